/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VLANs of bridge ports: AF_BRIDGE RTM_SETLINK (add) and RTM_DELLINK
 * (delete) carrying IFLA_AF_SPEC with IFLA_BRIDGE_VLAN_INFO entries, as
 * `bridge vlan add/del` does. They take effect on a bridge with
 * vlan_filtering on. A new port starts with the bridge's default PVID 1,
 * untagged; an access port drops it for its own VLAN.
 */
#include <errno.h>
#include <string.h>
#include <linux/if_bridge.h>

#include "net/net-internal.h"

int net_msg_vlan(void *buf, uint16_t type, int index, const uint16_t *vids, const uint16_t *vflags,
                 size_t n, struct nlmsghdr **ret)
{
        struct nlmsghdr *nlh = net_msg_link(buf, type, 0, AF_BRIDGE, index);
        struct nlattr *spec;

        spec = mnl_attr_nest_start_check(nlh, NET_MSG_BUF, IFLA_AF_SPEC);
        if (!spec)
                return -EMSGSIZE;
        for (size_t i = 0; i < n; i++) {
                struct bridge_vlan_info vi = { .flags = vflags ? vflags[i] : 0, .vid = vids[i] };
                if (!mnl_attr_put_check(nlh, NET_MSG_BUF, IFLA_BRIDGE_VLAN_INFO, sizeof(vi), &vi))
                        return -EMSGSIZE;
        }
        mnl_attr_nest_end(nlh, spec);
        *ret = nlh;
        return 0;
}

static int vlan_change(struct net_ctx *ctx, uint16_t type, const char *name, uint16_t vid, unsigned flags,
                       struct bv_error *err)
{
        const char *verb = type == RTM_SETLINK ? "add" : "delete";
        char buf[NET_MSG_BUF];
        struct nlmsghdr *nlh;
        uint16_t vf = 0;
        int r, idx;

        if (vid < 1 || vid > 4094)
                return bv_error_set(err, EINVAL, "Invalid VLAN %u: must be 1-4094", vid);
        if (flags & ~(NET_VLAN_PVID | NET_VLAN_UNTAGGED))
                return bv_error_set(err, EINVAL, "Invalid VLAN flags 0x%x", flags);
        if (flags & NET_VLAN_PVID)
                vf |= BRIDGE_VLAN_INFO_PVID;
        if (flags & NET_VLAN_UNTAGGED)
                vf |= BRIDGE_VLAN_INFO_UNTAGGED;
        idx = net_link_index(ctx, name, err);
        if (idx < 0)
                return bv_error_prefix(err, "Failed to %s VLAN %u", verb, vid);
        r = net_msg_vlan(buf, type, idx, &vid, &vf, 1, &nlh);
        if (r < 0)
                return bv_error_set(err, -r, "Netlink message too large");
        return net_nl_talk(ctx, nlh, NULL, NULL, err, "Failed to %s VLAN %u %s port '%s'", verb, vid,
                           type == RTM_SETLINK ? "to" : "from", name);
}

int net_vlan_add(struct net_ctx *ctx, const char *name, uint16_t vid, unsigned flags, struct bv_error *err)
{
        return vlan_change(ctx, RTM_SETLINK, name, vid, flags, err);
}

int net_vlan_del(struct net_ctx *ctx, const char *name, uint16_t vid, struct bv_error *err)
{
        return vlan_change(ctx, RTM_DELLINK, name, vid, 0, err);
}

int net_vlan_set_access(struct net_ctx *ctx, const char *name, uint16_t vid, struct bv_error *err)
{
        int r;

        r = net_vlan_add(ctx, name, vid, NET_VLAN_PVID | NET_VLAN_UNTAGGED, err);
        if (r < 0 || vid == 1)
                return r;
        /* Leave the default VLAN; it may be absent already (bridge default_pvid 0). */
        r = net_vlan_del(ctx, name, 1, err);
        if (r == -ENOENT) {
                bv_error_clear(err);
                return 0;
        }
        if (r < 0)
                (void) net_vlan_del(ctx, name, vid, NULL);     /* roll back the add */
        return r;
}
