/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net/ without a kernel: link names, CIDRs, addresses and MACs are parsed
 * or refused with a clear message, and the netlink messages for a bridge,
 * a veth pair with its peer in another namespace, bridge VLANs and an
 * address carry the attributes the kernel expects. No privileges needed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/veth.h>

#include "net/net-internal.h"
#include "tests/tap.h"

static const struct nlattr *find(const struct nlattr *nest, uint16_t type)
{
        const struct nlattr *a;

        mnl_attr_for_each_nested(a, nest)
                if (mnl_attr_get_type(a) == type)
                        return a;
        return NULL;
}

static const struct nlattr *top(const struct nlmsghdr *nlh, size_t hdr, uint16_t type)
{
        const struct nlattr *a;

        mnl_attr_for_each(a, nlh, hdr)
                if (mnl_attr_get_type(a) == type)
                        return a;
        return NULL;
}

static void test_names(void)
{
        struct bv_error err = { 0 };

        tap_is_int(net_name_check("br0", &err), 0, "br0 is a valid name");
        tap_is_int(net_name_check("exactly15bytes_", &err), 0, "15 bytes accepted");
        tap_is_int(net_name_check("sixteen-bytes-xx", &err), -EINVAL, "16 bytes refused");
        tap_ok(strstr(err.msg, "too long (16 bytes, at most 15)") != NULL, "message: %s", err.msg);
        tap_is_int(net_name_check("", &err), -EINVAL, "empty refused");
        tap_is_int(net_name_check("a/b", &err), -EINVAL, "slash refused");
        tap_is_int(net_name_check("a b", &err), -EINVAL, "space refused");
        tap_is_int(net_name_check("a:1", &err), -EINVAL, "colon refused");
        tap_is_int(net_name_check("..", &err), -EINVAL, "'..' refused");
        tap_is_int(net_name_check("tap%d", &err), -EINVAL, "template refused as a plain name");
}

static void test_cidr(void)
{
        struct bv_error err = { 0 };
        struct net_cidr c;
        char buf[64];

        tap_is_int(net_cidr_parse("10.0.0.1/24", true, &c, &err), 0, "IPv4 CIDR");
        tap_ok(c.family == AF_INET && c.prefixlen == 24, "family and prefix");
        tap_is_str(net_cidr_format(&c, buf, sizeof(buf)), "10.0.0.1/24", "round trip");
        tap_is_int(net_cidr_parse("fd00::1/64", true, &c, &err), 0, "IPv6 CIDR");
        tap_is_str(net_cidr_format(&c, buf, sizeof(buf)), "fd00::1/64", "IPv6 round trip");
        tap_is_int(net_cidr_parse("10.0.0.1", false, &c, &err), 0, "bare address when allowed");
        tap_is_int(c.prefixlen, 32, "host prefix");
        tap_is_int(net_cidr_parse("10.0.0.1", true, &c, &err), -EINVAL, "bare address when a prefix is required");
        tap_ok(strstr(err.msg, "missing '/prefix-length'") != NULL, "message: %s", err.msg);
        tap_is_int(net_cidr_parse("10.0.0.300/24", true, &c, &err), -EINVAL, "octet out of range");
        tap_ok(strstr(err.msg, "'10.0.0.300' is not an IPv4 or IPv6 address") != NULL, "message: %s", err.msg);
        tap_is_int(net_cidr_parse("10.0.0.1/33", true, &c, &err), -EINVAL, "IPv4 prefix 33");
        tap_ok(strstr(err.msg, "0 to 32") != NULL, "message: %s", err.msg);
        tap_is_int(net_cidr_parse("fd00::1/129", true, &c, &err), -EINVAL, "IPv6 prefix 129");
        tap_is_int(net_cidr_parse("10.0.0.1/", true, &c, &err), -EINVAL, "empty prefix");
        tap_is_int(net_cidr_parse("10.0.0.1/+8", true, &c, &err), -EINVAL, "signed prefix");
        tap_is_int(net_cidr_parse("10.0.0.1/24x", true, &c, &err), -EINVAL, "trailing junk");
        tap_is_int(net_cidr_parse(" 10.0.0.1/24", true, &c, &err), -EINVAL, "leading space");
        tap_is_int(net_cidr_parse("", true, &c, &err), -EINVAL, "empty");
        tap_is_int(net_cidr_parse("default", true, &c, &err), -EINVAL, "'default' is not a CIDR");
        tap_is_int(net_ip_parse("fe80::1", &c, &err), 0, "bare IPv6 address");
        tap_is_int(net_ip_parse("1.2.3", &c, &err), -EINVAL, "short IPv4 refused");
}

static void test_mac(void)
{
        struct bv_error err = { 0 };
        uint8_t mac[6];

        tap_is_int(net_mac_parse("02:00:5e:10:00:01", mac, &err), 0, "MAC parsed");
        tap_ok(mac[0] == 2 && mac[5] == 1, "MAC bytes");
        tap_is_int(net_mac_parse("01:00:5e:10:00:01", mac, &err), -EINVAL, "multicast MAC refused");
        tap_is_int(net_mac_parse("02:00:5e:10:00", mac, &err), -EINVAL, "short MAC refused");
        tap_is_int(net_mac_parse("02:00:5e:10:00:0g", mac, &err), -EINVAL, "non-hex refused");
        tap_is_int(net_mac_parse("02-00-5e-10-00-01", mac, &err), -EINVAL, "dashes refused");
}

static void test_messages(void)
{
        static char buf[NET_MSG_BUF];
        uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };
        struct net_bridge_opts bo = { .mtu = 9000, .mac = mac, .vlan_filtering = true, .up = true };
        struct net_veth_opts vo = { .peer = "eth0", .peer_netns_fd = 7, .mtu = 1400, .up = true };
        struct nlmsghdr *nlh;
        const struct nlattr *li, *data, *peer, *a;
        const struct ifinfomsg *ifi, *pifi;
        uint16_t vids[2] = { 10, 20 }, vflags[2] = { BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED, 0 };
        struct net_cidr c;
        int n = 0;

        tap_is_int(net_msg_bridge_new(buf, "br0", &bo, &nlh), 0, "bridge message built");
        ifi = mnl_nlmsg_get_payload(nlh);
        tap_ok(nlh->nlmsg_type == RTM_NEWLINK && (nlh->nlmsg_flags & NLM_F_EXCL) && (ifi->ifi_flags & IFF_UP),
               "RTM_NEWLINK, exclusive, up");
        tap_is_str(mnl_attr_get_str(top(nlh, sizeof(*ifi), IFLA_IFNAME)), "br0", "IFLA_IFNAME");
        tap_is_int(mnl_attr_get_u32(top(nlh, sizeof(*ifi), IFLA_MTU)), 9000, "IFLA_MTU");
        tap_ok(memcmp(mnl_attr_get_payload(top(nlh, sizeof(*ifi), IFLA_ADDRESS)), mac, 6) == 0, "IFLA_ADDRESS");
        li = top(nlh, sizeof(*ifi), IFLA_LINKINFO);
        tap_is_str(mnl_attr_get_str(find(li, IFLA_INFO_KIND)), "bridge", "kind bridge");
        data = find(li, IFLA_INFO_DATA);
        tap_is_int(mnl_attr_get_u32(find(data, IFLA_BR_STP_STATE)), 0, "STP off");
        tap_is_int(mnl_attr_get_u8(find(data, IFLA_BR_VLAN_FILTERING)), 1, "vlan_filtering 1");
        bo.vlan_filtering = false;
        net_msg_bridge_new(buf, "br0", &bo, &nlh);
        data = find(find(top(nlh, sizeof(*ifi), IFLA_LINKINFO), IFLA_INFO_DATA), IFLA_BR_VLAN_FILTERING);
        tap_ok(data == NULL, "no vlan_filtering attribute unless asked");

        tap_is_int(net_msg_veth_new(buf, "v0", &vo, 5, &nlh), 0, "veth message built");
        tap_is_int(mnl_attr_get_u32(top(nlh, sizeof(*ifi), IFLA_MASTER)), 5, "IFLA_MASTER in the same request");
        li = top(nlh, sizeof(*ifi), IFLA_LINKINFO);
        tap_is_str(mnl_attr_get_str(find(li, IFLA_INFO_KIND)), "veth", "kind veth");
        peer = find(find(li, IFLA_INFO_DATA), VETH_INFO_PEER);
        tap_ok(peer != NULL, "VETH_INFO_PEER");
        pifi = mnl_attr_get_payload(peer);
        tap_is_int(pifi->ifi_flags & IFF_UP, 0, "peer not brought up in the create request");
        {
                const char *p = (const char *) pifi + sizeof(*pifi);
                const char *end = (const char *) mnl_attr_get_payload(peer) + mnl_attr_get_payload_len(peer);
                bool name_ok = false, ns_ok = false;
                while (p < end) {
                        a = (const struct nlattr *) p;
                        if (mnl_attr_get_type(a) == IFLA_IFNAME)
                                name_ok = strcmp(mnl_attr_get_str(a), "eth0") == 0;
                        if (mnl_attr_get_type(a) == IFLA_NET_NS_FD)
                                ns_ok = mnl_attr_get_u32(a) == 7;
                        p += MNL_ALIGN(a->nla_len);
                }
                tap_ok(name_ok, "peer IFLA_IFNAME eth0");
                tap_ok(ns_ok, "peer IFLA_NET_NS_FD 7");
        }

        tap_is_int(net_msg_vlan(buf, RTM_SETLINK, 3, vids, vflags, 2, &nlh), 0, "VLAN message built");
        ifi = mnl_nlmsg_get_payload(nlh);
        tap_ok(ifi->ifi_family == AF_BRIDGE && ifi->ifi_index == 3, "AF_BRIDGE, port index");
        mnl_attr_for_each_nested(a, top(nlh, sizeof(*ifi), IFLA_AF_SPEC)) {
                const struct bridge_vlan_info *vi = mnl_attr_get_payload(a);
                if (mnl_attr_get_type(a) == IFLA_BRIDGE_VLAN_INFO && vi->vid == vids[n] && vi->flags == vflags[n])
                        n++;
        }
        tap_is_int(n, 2, "two IFLA_BRIDGE_VLAN_INFO entries with flags");

        net_cidr_parse("fd00::5/64", true, &c, NULL);
        tap_is_int(net_msg_addr(buf, RTM_NEWADDR, 4, &c, &nlh), 0, "address message built");
        {
                const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
                tap_ok(ifa->ifa_family == AF_INET6 && ifa->ifa_prefixlen == 64 && ifa->ifa_index == 4,
                       "ifaddrmsg family, prefix, index");
                tap_is_int(mnl_attr_get_payload_len(top(nlh, sizeof(*ifa), IFA_LOCAL)), 16, "IFA_LOCAL 16 bytes");
        }
}

int main(void)
{
        test_names();
        test_cidr();
        test_mac();
        test_messages();
        tap_done();
}
