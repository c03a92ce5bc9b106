/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * veth pairs. The pair is made by one RTM_NEWLINK: the peer's own
 * ifinfomsg and attributes ride in VETH_INFO_PEER, with IFLA_NET_NS_FD so
 * the peer is born inside the container's namespace (it never appears in
 * ours), and the master and up flag of our end are in the same request.
 * The kernel creates both ends or neither, and unregisters the new pair
 * itself if enslaving fails, so no failure leaves half a pair. Only the
 * peer's up flag needs a second request (the kernel cannot open a peer
 * before the pair is linked); if it fails, the pair is deleted again.
 */
#include <errno.h>
#include <string.h>
#include <linux/if_link.h>
#include <linux/veth.h>

#include "net/net-internal.h"

int net_msg_veth_new(void *buf, const char *name, const struct net_veth_opts *opts, int master,
                     struct nlmsghdr **ret)
{
        struct nlmsghdr *nlh;
        struct nlattr *info, *data, *peer;
        struct ifinfomsg *pifi;

        struct net_newlink l = { .name = name, .kind = "veth", .up = opts->up, .mtu = opts->mtu,
                                 .master = master, .group = opts->group };
        if (net_msg_newlink(buf, &l, &nlh, &info) < 0)
                return -EMSGSIZE;
        data = mnl_attr_nest_start_check(nlh, NET_MSG_BUF, IFLA_INFO_DATA);
        if (!data)
                return -EMSGSIZE;
        peer = mnl_attr_nest_start_check(nlh, NET_MSG_BUF, VETH_INFO_PEER);
        if (!peer)
                return -EMSGSIZE;
        /* The peer's ifinfomsg sits at the start of VETH_INFO_PEER's payload. */
        if (mnl_nlmsg_size(nlh->nlmsg_len + sizeof(*pifi)) > NET_MSG_BUF)
                return -EMSGSIZE;
        pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
        /*
         * No IFF_UP for the peer here: the kernel would open it before the pair
         * is linked and fail with ENOTCONN. net_link_add_veth() raises it after.
         */
        pifi->ifi_family = AF_UNSPEC;
        if (!mnl_attr_put_strz_check(nlh, NET_MSG_BUF, IFLA_IFNAME, opts->peer))
                return -EMSGSIZE;
        if (opts->mtu && !mnl_attr_put_u32_check(nlh, NET_MSG_BUF, IFLA_MTU, opts->mtu))
                return -EMSGSIZE;
        if (opts->peer_netns_fd >= 0 &&
            !mnl_attr_put_u32_check(nlh, NET_MSG_BUF, IFLA_NET_NS_FD, (uint32_t) opts->peer_netns_fd))
                return -EMSGSIZE;
        mnl_attr_nest_end(nlh, peer);
        mnl_attr_nest_end(nlh, data);
        mnl_attr_nest_end(nlh, info);
        *ret = nlh;
        return 0;
}

int net_link_add_veth(struct net_ctx *ctx, const char *name, const struct net_veth_opts *opts,
                      struct bv_error *err)
{
        char buf[NET_MSG_BUF];
        struct nlmsghdr *nlh;
        int r, master = 0;

        if (!opts)
                return bv_error_set(err, EINVAL, "Failed to create veth '%s': missing peer", name ? name : "");
        r = net_name_check_what(name, "veth", err);
        if (r < 0)
                return r;
        r = net_name_check_what(opts->peer, "veth peer", err);
        if (r < 0)
                return r;
        if (opts->master) {
                master = net_link_index(ctx, opts->master, err);
                if (master < 0)
                        return bv_error_prefix(err, "Failed to create veth '%s'", name);
        }
        r = net_msg_veth_new(buf, name, opts, master, &nlh);
        if (r < 0)
                return bv_error_set(err, -r, "Failed to create veth '%s': netlink message too large", name);
        r = net_nl_talk(ctx, nlh, NULL, NULL, err, "Failed to create veth pair '%s'/'%s'", name, opts->peer);
        if (r == -EEXIST)
                return bv_error_set(err, EEXIST,
                                    "Failed to create veth pair '%s'/'%s': a link of one of these names exists",
                                    name, opts->peer);
        if (r < 0 || !opts->peer_up)
                return r;

        /* Second step: the peer up, from inside its namespace; undo the pair on failure. */
        if (opts->peer_netns_fd >= 0) {
                struct net_ctx *peer_ctx = NULL;

                r = net_ctx_new(opts->peer_netns_fd, &peer_ctx, err);
                if (r >= 0)
                        r = net_link_set_up(peer_ctx, opts->peer, true, err);
                net_ctx_free(peer_ctx);
        } else
                r = net_link_set_up(ctx, opts->peer, true, err);
        if (r < 0) {
                (void) net_link_delete(ctx, name, NULL);
                return bv_error_prefix(err, "Failed to set up veth pair '%s'/'%s' (removed it again)",
                                       name, opts->peer);
        }
        return 0;
}
