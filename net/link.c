/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Generic link operations, whatever the link type: look up, list (type,
 * state, master, MTU, MAC, counters), set up/down, MTU, master, name, MAC,
 * group and namespace, and delete one, a group, or many at once.
 *
 * Links are named in requests by IFLA_IFNAME where the kernel allows it, so
 * most operations are one round trip. Batched deletion relies on the kernel
 * unregistering all links of a group together (one RCU grace period for
 * all of them instead of one each).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>

#include "common/common.h"
#include "net/net-internal.h"

/* Fills l from an RTM_NEWLINK message. Unknown attributes are ignored. */
static int link_parse(const struct nlmsghdr *nlh, struct net_link *l)
{
        const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
        const struct nlattr *attr;

        memset(l, 0, sizeof(*l));
        l->index = ifi->ifi_index;
        l->flags = ifi->ifi_flags;
        l->up = ifi->ifi_flags & IFF_UP;
        l->carrier = ifi->ifi_flags & IFF_LOWER_UP;
        mnl_attr_for_each(attr, nlh, sizeof(*ifi)) {
                switch (mnl_attr_get_type(attr)) {
                case IFLA_IFNAME:
                        if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
                                snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(attr));
                        break;
                case IFLA_MTU:
                        if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
                                l->mtu = mnl_attr_get_u32(attr);
                        break;
                case IFLA_MASTER:
                        if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
                                l->master = (int) mnl_attr_get_u32(attr);
                        break;
                case IFLA_GROUP:
                        if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
                                l->group = mnl_attr_get_u32(attr);
                        break;
                case IFLA_ADDRESS:
                        if (mnl_attr_get_payload_len(attr) == 6) {
                                memcpy(l->mac, mnl_attr_get_payload(attr), 6);
                                l->has_mac = true;
                        }
                        break;
                case IFLA_STATS64:
                        if (mnl_attr_get_payload_len(attr) >= sizeof(struct rtnl_link_stats64)) {
                                struct rtnl_link_stats64 st;
                                memcpy(&st, mnl_attr_get_payload(attr), sizeof(st));
                                l->rx_bytes = st.rx_bytes;
                                l->tx_bytes = st.tx_bytes;
                                l->rx_packets = st.rx_packets;
                                l->tx_packets = st.tx_packets;
                                l->rx_dropped = st.rx_dropped;
                                l->tx_dropped = st.tx_dropped;
                        }
                        break;
                case IFLA_LINKINFO: {
                        const struct nlattr *inner;
                        mnl_attr_for_each_nested(inner, attr)
                                if (mnl_attr_get_type(inner) == IFLA_INFO_KIND &&
                                    mnl_attr_validate(inner, MNL_TYPE_NUL_STRING) == 0)
                                        snprintf(l->kind, sizeof(l->kind), "%s", mnl_attr_get_str(inner));
                        break;
                }
                default:
                        break;
                }
        }
        return MNL_CB_OK;
}

/* Starts a request of type on the link name, named by IFLA_IFNAME, in buf (NET_MSG_BUF). */
static int link_msg_by_name(void *buf, uint16_t type, const char *name, struct nlmsghdr **ret,
                            struct bv_error *err)
{
        struct nlmsghdr *nlh;
        int r;

        r = net_name_check(name, err);
        if (r < 0)
                return r;
        nlh = net_msg_link(buf, type, 0, AF_UNSPEC, 0);
        if (!mnl_attr_put_strz_check(nlh, NET_MSG_BUF, IFLA_IFNAME, name))
                return bv_error_set(err, EMSGSIZE, "Netlink message too large");
        *ret = nlh;
        return 0;
}

static int link_get_cb(const struct nlmsghdr *nlh, void *data)
{
        if (nlh->nlmsg_type != RTM_NEWLINK)
                return MNL_CB_OK;
        return link_parse(nlh, data);
}

int net_link_get(struct net_ctx *ctx, const char *name, struct net_link *ret, struct bv_error *err)
{
        char buf[NET_MSG_BUF];
        struct nlmsghdr *nlh;
        struct net_link l = { .index = 0 };
        int r;

        r = link_msg_by_name(buf, RTM_GETLINK, name, &nlh, err);
        if (r < 0)
                return r;
        if (!mnl_attr_put_u32_check(nlh, sizeof(buf), IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS))
                return bv_error_set(err, EMSGSIZE, "Netlink message too large");
        r = net_nl_talk(ctx, nlh, link_get_cb, &l, err, "Failed to look up link '%s'", name);
        if (r == -ENODEV || (r == 0 && l.index <= 0))
                return bv_error_set(err, ENODEV, "No link named '%s'", name);
        if (r < 0)
                return r;
        *ret = l;
        return 0;
}

int net_link_index(struct net_ctx *ctx, const char *name, struct bv_error *err)
{
        struct net_link l;
        int r;

        r = net_link_get(ctx, name, &l, err);
        return r < 0 ? r : l.index;
}

#define NET_LINK_LIST_MAX 65536

struct list_state {
        struct net_link *v;
        size_t n, cap;
        int error;
};

static int link_list_cb(const struct nlmsghdr *nlh, void *data)
{
        struct list_state *s = data;

        if (nlh->nlmsg_type != RTM_NEWLINK)
                return MNL_CB_OK;
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 16;
                struct net_link *v;

                if (s->n >= NET_LINK_LIST_MAX) {
                        s->error = E2BIG;
                        return MNL_CB_OK;       /* keep reading to the end of the dump */
                }
                v = reallocarray(s->v, cap, sizeof(*v));
                if (!v) {
                        s->error = ENOMEM;
                        return MNL_CB_OK;
                }
                s->v = v;
                s->cap = cap;
        }
        link_parse(nlh, &s->v[s->n++]);
        return MNL_CB_OK;
}

int net_link_list(struct net_ctx *ctx, struct net_link **ret, size_t *ret_n, struct bv_error *err)
{
        char buf[NET_MSG_BUF];
        struct nlmsghdr *nlh;
        struct list_state s = { .v = NULL };
        int r;

        nlh = net_msg_link(buf, RTM_GETLINK, NLM_F_DUMP, AF_UNSPEC, 0);
        r = net_nl_talk(ctx, nlh, link_list_cb, &s, err, "Failed to list links");
        if (r == 0 && s.error)
                r = bv_error_set(err, s.error, "Failed to list links: %s",
                                 s.error == E2BIG ? "more than 65536 links" : "out of memory");
        if (r < 0) {
                free(s.v);
                return r;
        }
        *ret = s.v;
        *ret_n = s.n;
        return 0;
}

/* An RTM_SETLINK on name carrying one attribute; fmt names the change in an error. */
static int __attribute__((format(printf, 7, 8)))
setlink_attr(struct net_ctx *ctx, const char *name, uint16_t type, size_t len, const void *data,
             struct bv_error *err, const char *fmt, ...)
{
        char buf[NET_MSG_BUF], what[BV_ERROR_MSG_MAX];
        struct nlmsghdr *nlh;
        va_list ap;
        int r;

        r = link_msg_by_name(buf, RTM_SETLINK, name, &nlh, err);
        if (r < 0)
                return r;
        if (!mnl_attr_put_check(nlh, sizeof(buf), type, len, data))
                return bv_error_set(err, EMSGSIZE, "Netlink message too large");
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        return net_nl_talk(ctx, nlh, NULL, NULL, err, "%s", what);
}

int net_link_set_up(struct net_ctx *ctx, const char *name, bool up, struct bv_error *err)
{
        char buf[NET_MSG_BUF];
        struct nlmsghdr *nlh;
        struct ifinfomsg *ifi;
        int r;

        r = link_msg_by_name(buf, RTM_SETLINK, name, &nlh, err);
        if (r < 0)
                return r;
        ifi = mnl_nlmsg_get_payload(nlh);
        ifi->ifi_change = IFF_UP;
        ifi->ifi_flags = up ? IFF_UP : 0;
        return net_nl_talk(ctx, nlh, NULL, NULL, err, "Failed to set link '%s' %s", name, up ? "up" : "down");
}

int net_link_set_mtu(struct net_ctx *ctx, const char *name, unsigned mtu, struct bv_error *err)
{
        return setlink_attr(ctx, name, IFLA_MTU, sizeof(uint32_t), &(uint32_t){ mtu }, err,
                            "Failed to set MTU %u on '%s'", mtu, name);
}

int net_link_set_master(struct net_ctx *ctx, const char *name, const char *master, struct bv_error *err)
{
        int idx = 0;

        if (master) {
                idx = net_link_index(ctx, master, err);
                if (idx < 0)
                        return bv_error_prefix(err, "Failed to attach '%s' to '%s'", name, master);
                return setlink_attr(ctx, name, IFLA_MASTER, sizeof(uint32_t), &(uint32_t){ (uint32_t)idx }, err,
                                    "Failed to attach '%s' to '%s'", name, master);
        }
        return setlink_attr(ctx, name, IFLA_MASTER, sizeof(uint32_t), &(uint32_t){ 0 }, err,
                            "Failed to detach '%s' from its master", name);
}

int net_link_rename(struct net_ctx *ctx, const char *name, const char *new_name, struct bv_error *err)
{
        char buf[NET_MSG_BUF];
        struct nlmsghdr *nlh;
        int r, idx;

        r = net_name_check(new_name, err);
        if (r < 0)
                return r;
        idx = net_link_index(ctx, name, err);
        if (idx < 0)
                return idx;
        nlh = net_msg_link(buf, RTM_SETLINK, 0, AF_UNSPEC, idx);
        if (!mnl_attr_put_strz_check(nlh, sizeof(buf), IFLA_IFNAME, new_name))
                return bv_error_set(err, EMSGSIZE, "Netlink message too large");
        return net_nl_talk(ctx, nlh, NULL, NULL, err, "Failed to rename '%s' to '%s'", name, new_name);
}

int net_link_set_mac(struct net_ctx *ctx, const char *name, const uint8_t mac[6], struct bv_error *err)
{
        return setlink_attr(ctx, name, IFLA_ADDRESS, 6, mac, err, "Failed to set the MAC address of '%s'", name);
}

int net_link_set_group(struct net_ctx *ctx, const char *name, uint32_t group, struct bv_error *err)
{
        return setlink_attr(ctx, name, IFLA_GROUP, sizeof(group), &group, err, "Failed to set group %u on '%s'",
                            group, name);
}

int net_link_set_netns(struct net_ctx *ctx, const char *name, int netns_fd, struct bv_error *err)
{
        if (netns_fd < 0)
                return bv_error_set(err, EBADF, "Failed to move '%s': bad network namespace fd", name);
        return setlink_attr(ctx, name, IFLA_NET_NS_FD, sizeof(uint32_t), &(uint32_t){ (uint32_t)netns_fd }, err,
                            "Failed to move '%s' to another network namespace", name);
}

int net_link_delete(struct net_ctx *ctx, const char *name, struct bv_error *err)
{
        char buf[NET_MSG_BUF];
        struct nlmsghdr *nlh;
        int r;

        r = link_msg_by_name(buf, RTM_DELLINK, name, &nlh, err);
        if (r < 0)
                return r;
        r = net_nl_talk(ctx, nlh, NULL, NULL, err, "Failed to delete link '%s'", name);
        if (r == -ENODEV)
                return bv_error_set(err, ENODEV, "Failed to delete link '%s': no such link", name);
        return r;
}

int net_link_delete_group(struct net_ctx *ctx, uint32_t group, struct bv_error *err)
{
        char buf[NET_MSG_BUF];
        struct nlmsghdr *nlh;

        /* Group 0 holds every link that never got one: deleting it would take loopback too. */
        if (group == 0)
                return bv_error_set(err, EINVAL, "Refusing to delete link group 0 (the default group)");
        nlh = net_msg_link(buf, RTM_DELLINK, 0, AF_UNSPEC, 0);
        if (!mnl_attr_put_u32_check(nlh, sizeof(buf), IFLA_GROUP, group))
                return bv_error_set(err, EMSGSIZE, "Netlink message too large");
        return net_nl_talk(ctx, nlh, NULL, NULL, err, "Failed to delete link group %u", group);
}

/* Sends RTM_SETLINK IFLA_GROUP for idx[i] -> groups (or group) in batches that fit a stack buffer. */
static int set_groups(struct net_ctx *ctx, const int *idx, const uint32_t *groups, uint32_t group,
                      size_t n, size_t *ret_done, struct bv_error *err)
{
        char buf[NET_RECV_BUF];
        size_t done = 0;
        int r = 0;

        while (done < n) {
                struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, sizeof(buf) - NET_MSG_BUF);
                uint32_t first = ctx->seq + 1;
                size_t k = 0, failed = 0;

                while (done + k < n) {
                        struct nlmsghdr *nlh = net_msg_link(mnl_nlmsg_batch_current(b), RTM_SETLINK,
                                                            NLM_F_ACK, AF_UNSPEC, idx[done + k]);
                        nlh->nlmsg_seq = first + (uint32_t) k;
                        if (!mnl_attr_put_u32_check(nlh, NET_MSG_BUF, IFLA_GROUP,
                                                    groups ? groups[done + k] : group))
                                return bv_error_set(err, EMSGSIZE, "Netlink message too large");
                        /* The message that no longer fits stays out; the next round rebuilds it. */
                        if (!mnl_nlmsg_batch_next(b))
                                break;
                        k++;
                }
                ctx->seq = first + (uint32_t) k;
                r = net_nl_batch(ctx, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b), k, first,
                                 &failed, err);
                mnl_nlmsg_batch_stop(b);
                if (r < 0) {
                        done += failed;
                        break;
                }
                done += k;
        }
        *ret_done = done;
        return r;
}

int net_link_delete_many(struct net_ctx *ctx, const char *const *names, size_t n, struct bv_error *err)
{
        _cleanup_free_ struct net_link *links = NULL;
        _cleanup_free_ int *idx = NULL;
        _cleanup_free_ uint32_t *old = NULL;
        size_t nlinks = 0, done = 0;
        uint32_t group;
        int r;

        if (n == 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                r = net_name_check(names[i], err);
                if (r < 0)
                        return r;
        }
        r = net_link_list(ctx, &links, &nlinks, err);
        if (r < 0)
                return r;
        idx = calloc(n, sizeof(*idx));
        old = calloc(n, sizeof(*old));
        if (!idx || !old)
                return bv_error_set(err, ENOMEM, "Out of memory");
        for (size_t i = 0; i < n; i++) {
                for (size_t j = 0; j < nlinks && !idx[i]; j++)
                        if (strcmp(links[j].name, names[i]) == 0) {
                                idx[i] = links[j].index;
                                old[i] = links[j].group;
                        }
                if (!idx[i])
                        return bv_error_set(err, ENODEV, "Failed to delete links: no link named '%s'", names[i]);
        }

        /* A group nobody uses; the high bit keeps clear of groups people number by hand. */
        group = 0x80000000u | (((uint32_t) getpid() << 12) ^ (uint32_t) time(NULL) ^ ctx->seq);
        for (bool again = true; again;) {
                again = false;
                for (size_t j = 0; j < nlinks; j++)
                        if (links[j].group == group) {
                                group = 0x80000000u | (group + 1);
                                again = true;
                        }
        }

        r = set_groups(ctx, idx, NULL, group, n, &done, err);
        if (r < 0) {
                size_t undone;
                /* Put back the groups of the links already moved; best effort. */
                (void) set_groups(ctx, idx, old, 0, done, &undone, NULL);
                return bv_error_prefix(err, "Failed to delete links: moving '%s' to a temporary group",
                                       names[done < n ? done : n - 1]);
        }
        return net_link_delete_group(ctx, group, err);
}
