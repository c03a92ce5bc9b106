/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IPv4 and IPv6 addresses on links (RTM_NEWADDR/RTM_DELADDR). The CIDR is
 * parsed and checked before the kernel sees it; an address that already
 * exists is an error (NLM_F_EXCL), never silently accepted.
 */
#include <errno.h>
#include <string.h>
#include <linux/if_addr.h>

#include "net/net-internal.h"

int net_msg_addr(void *buf, uint16_t type, int index, const struct net_cidr *c, struct nlmsghdr **ret)
{
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct ifaddrmsg *ifa;
        size_t alen = c->family == AF_INET ? 4 : 16;

        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST | (type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0);
        ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
        ifa->ifa_family = (unsigned char) c->family;
        ifa->ifa_prefixlen = c->prefixlen;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        ifa->ifa_index = (unsigned) index;
        if (!mnl_attr_put_check(nlh, NET_MSG_BUF, IFA_LOCAL, alen, &c->addr) ||
            !mnl_attr_put_check(nlh, NET_MSG_BUF, IFA_ADDRESS, alen, &c->addr))
                return -EMSGSIZE;
        *ret = nlh;
        return 0;
}

static int addr_change(struct net_ctx *ctx, uint16_t type, const char *name, const char *cidr,
                       struct bv_error *err)
{
        const char *verb = type == RTM_NEWADDR ? "add" : "delete";
        char buf[NET_MSG_BUF];
        struct nlmsghdr *nlh;
        struct net_cidr c;
        int r, idx;

        r = net_cidr_parse(cidr, true, &c, err);
        if (r < 0)
                return bv_error_prefix(err, "Failed to %s address on '%s'", verb, name ? name : "");
        idx = net_link_index(ctx, name, err);
        if (idx < 0)
                return bv_error_prefix(err, "Failed to %s address '%s'", verb, cidr);
        r = net_msg_addr(buf, type, idx, &c, &nlh);
        if (r < 0)
                return bv_error_set(err, -r, "Netlink message too large");
        r = net_nl_talk(ctx, nlh, NULL, NULL, err, "Failed to %s address '%s' %s '%s'", verb, cidr,
                        type == RTM_NEWADDR ? "to" : "from", name);
        if (r == -EEXIST)
                return bv_error_set(err, EEXIST, "Failed to add address '%s' to '%s': it is already there",
                                    cidr, name);
        return r;
}

int net_addr_add(struct net_ctx *ctx, const char *name, const char *cidr, struct bv_error *err)
{
        return addr_change(ctx, RTM_NEWADDR, name, cidr, err);
}

int net_addr_del(struct net_ctx *ctx, const char *name, const char *cidr, struct bv_error *err)
{
        return addr_change(ctx, RTM_DELADDR, name, cidr, err);
}
