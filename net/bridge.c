/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bridges: created in one RTM_NEWLINK carrying the bridge options (STP off
 * unless asked, VLAN filtering), MTU, MAC, group and the up flag, so the
 * kernel applies them all or none. Addresses follow in separate requests;
 * if one fails, the bridge this call made is deleted again, so a failed
 * setup leaves nothing behind.
 */
#include <errno.h>
#include <string.h>
#include <linux/if_link.h>

#include "net/net-internal.h"

int net_msg_bridge_new(void *buf, const char *name, const struct net_bridge_opts *opts,
                       struct nlmsghdr **ret)
{
        static const struct net_bridge_opts defaults = { .mtu = 0 };
        struct nlmsghdr *nlh;
        struct nlattr *info, *data;

        if (!opts)
                opts = &defaults;
        struct net_newlink l = { .name = name, .kind = "bridge", .up = opts->up, .mtu = opts->mtu,
                                 .mac = opts->mac, .group = opts->group };
        if (net_msg_newlink(buf, &l, &nlh, &info) < 0)
                return -EMSGSIZE;
        data = mnl_attr_nest_start_check(nlh, NET_MSG_BUF, IFLA_INFO_DATA);
        if (!data || !mnl_attr_put_u32_check(nlh, NET_MSG_BUF, IFLA_BR_STP_STATE, opts->stp ? 1 : 0))
                return -EMSGSIZE;
        /* Only when asked: kernels without CONFIG_BRIDGE_VLAN_FILTERING refuse the attribute. */
        if (opts->vlan_filtering && !mnl_attr_put_u8_check(nlh, NET_MSG_BUF, IFLA_BR_VLAN_FILTERING, 1))
                return -EMSGSIZE;
        mnl_attr_nest_end(nlh, data);
        mnl_attr_nest_end(nlh, info);
        *ret = nlh;
        return 0;
}

int net_bridge_pin_mtu(struct net_ctx *ctx, const char *name, unsigned mtu, struct bv_error *err)
{
        struct net_link l;
        int r = net_link_get(ctx, name, &l, err);

        /* Only a real change through RTM_SETLINK pins it: step away first when it already has mtu. */
        if (r >= 0 && l.mtu == mtu)
                r = net_link_set_mtu(ctx, name, mtu > 68 ? mtu - 1 : mtu + 1, err);
        if (r >= 0)
                r = net_link_set_mtu(ctx, name, mtu, err);
        return r;
}

int net_link_add_bridge(struct net_ctx *ctx, const char *name, const struct net_bridge_opts *opts,
                        struct bv_error *err)
{
        char buf[NET_MSG_BUF];
        struct nlmsghdr *nlh;
        struct net_cidr c;
        int r;

        r = net_name_check_what(name, "bridge", err);
        if (r < 0)
                return r;
        /* Check every address before anything is made. */
        for (size_t i = 0; opts && opts->addresses && opts->addresses[i]; i++) {
                r = net_cidr_parse(opts->addresses[i], true, &c, err);
                if (r < 0)
                        return bv_error_prefix(err, "Failed to create bridge '%s'", name);
        }
        r = net_msg_bridge_new(buf, name, opts, &nlh);
        if (r < 0)
                return bv_error_set(err, -r, "Failed to create bridge '%s': netlink message too large", name);
        r = net_nl_talk(ctx, nlh, NULL, NULL, err, "Failed to create bridge '%s'", name);
        if (r == -EEXIST)
                return bv_error_set(err, EEXIST, "Failed to create bridge '%s': a link of that name exists",
                                    name);
        if (r == -EOPNOTSUPP && opts && opts->vlan_filtering)
                return bv_error_set(err, EOPNOTSUPP,
                                    "Failed to create bridge '%s': this kernel has no bridge VLAN filtering "
                                    "(CONFIG_BRIDGE_VLAN_FILTERING)", name);
        if (r < 0)
                return r;

        /* The MTU in RTM_NEWLINK is not "set by the user" for the kernel: pin it. */
        r = opts && opts->mtu ? net_bridge_pin_mtu(ctx, name, opts->mtu, err) : 0;
        for (size_t i = 0; r >= 0 && opts && opts->addresses && opts->addresses[i]; i++)
                r = net_addr_add(ctx, name, opts->addresses[i], err);
        if (r < 0) {
                /* Roll back: the bridge is ours, made above. */
                (void)net_link_delete(ctx, name, NULL);
                return bv_error_prefix(err, "Failed to set up bridge '%s' (removed it again)", name);
        }
        return 0;
}
