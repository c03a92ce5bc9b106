/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Routes in the main table (RTM_NEWROUTE/RTM_DELROUTE): to a CIDR or the
 * default route, via a gateway and/or out of a device. A destination with
 * host bits set is refused by the kernel with its own explanation, which
 * reaches the caller unchanged.
 */
#include <errno.h>
#include <string.h>

#include "net/net-internal.h"

static int route_change(struct net_ctx *ctx, uint16_t type, const char *dst, const char *gateway,
                        const char *dev, struct bv_error *err)
{
        const char *verb = type == RTM_NEWROUTE ? "add" : "delete";
        char buf[NET_MSG_BUF];
        struct nlmsghdr *nlh;
        struct rtmsg *rtm;
        struct net_cidr d, gw;
        int r, oif = 0;

        if (gateway) {
                r = net_ip_parse(gateway, &gw, err);
                if (r < 0)
                        return bv_error_prefix(err, "Failed to %s route to '%s'", verb, dst ? dst : "");
        }
        if (dst && (strcmp(dst, "default") == 0 || strcmp(dst, "default6") == 0)) {
                memset(&d, 0, sizeof(d));
                d.family = strcmp(dst, "default6") == 0 || (gateway && gw.family == AF_INET6) ? AF_INET6 : AF_INET;
        } else {
                r = net_cidr_parse(dst, true, &d, err);
                if (r < 0)
                        return bv_error_prefix(err, "Failed to %s route", verb);
        }
        if (gateway && gw.family != d.family)
                return bv_error_set(err, EINVAL, "Failed to %s route to '%s': gateway '%s' is of another family",
                                    verb, dst, gateway);
        if (!gateway && !dev)
                return bv_error_set(err, EINVAL, "Failed to %s route to '%s': need a gateway or a device",
                                    verb, dst);
        if (dev) {
                oif = net_link_index(ctx, dev, err);
                if (oif < 0)
                        return bv_error_prefix(err, "Failed to %s route to '%s'", verb, dst);
        }

        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST | (type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_EXCL : 0);
        rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
        rtm->rtm_family = (unsigned char) d.family;
        rtm->rtm_dst_len = d.prefixlen;
        rtm->rtm_table = RT_TABLE_MAIN;
        rtm->rtm_protocol = type == RTM_NEWROUTE ? RTPROT_STATIC : 0;
        rtm->rtm_type = RTN_UNICAST;
        rtm->rtm_scope = type == RTM_DELROUTE ? RT_SCOPE_NOWHERE : gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
        if ((d.prefixlen && !mnl_attr_put_check(nlh, sizeof(buf), RTA_DST, d.family == AF_INET ? 4 : 16, &d.addr)) ||
            (gateway && !mnl_attr_put_check(nlh, sizeof(buf), RTA_GATEWAY, gw.family == AF_INET ? 4 : 16, &gw.addr)) ||
            (oif && !mnl_attr_put_u32_check(nlh, sizeof(buf), RTA_OIF, (uint32_t) oif)))
                return bv_error_set(err, EMSGSIZE, "Netlink message too large");
        r = net_nl_talk(ctx, nlh, NULL, NULL, err, "Failed to %s route to '%s'", verb, dst);
        if (r == -EEXIST)
                return bv_error_set(err, EEXIST, "Failed to add route to '%s': a route to it exists", dst);
        if (r == -ESRCH)
                return bv_error_set(err, ESRCH, "Failed to delete route to '%s': no such route", dst);
        return r;
}

int net_route_add(struct net_ctx *ctx, const char *dst, const char *gateway, const char *dev,
                  struct bv_error *err)
{
        return route_change(ctx, RTM_NEWROUTE, dst, gateway, dev, err);
}

int net_route_del(struct net_ctx *ctx, const char *dst, const char *gateway, const char *dev,
                  struct bv_error *err)
{
        return route_change(ctx, RTM_DELROUTE, dst, gateway, dev, err);
}
