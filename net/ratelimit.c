/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Port rate limits: which tc objects a limit needs, in which order, and
 * how they are undone. tc.c encodes the messages (tbf's rate table and
 * bucket in ticks, the u32 match-all key, the mirred action) and nl.c
 * sends them, so the kernel's extended-ack text reaches the caller.
 *
 * Directions, seen from the bridge port (the host end of a tap or veth):
 *  - egress: what the port sends, i.e. traffic towards the guest. A tbf
 *    root qdisc on the port shapes it (queues, then paces), which TCP
 *    follows smoothly.
 *  - ingress: what the port receives, i.e. traffic from the guest. Linux
 *    cannot queue on ingress, and policing (dropping) makes TCP oscillate
 *    and needs act_police, which some kernels lack. So ingress traffic is
 *    redirected (ingress qdisc, u32 match-all filter, mirred egress
 *    redirect) to an ifb device "bvifb<ifindex>" whose tbf root qdisc
 *    shapes it exactly like egress. Needs CONFIG_IFB, CONFIG_NET_SCH_INGRESS,
 *    CONFIG_NET_CLS_U32 and CONFIG_NET_ACT_MIRRED.
 * Setting a limit replaces the previous one; on failure, what this call
 * made (ifb, ingress qdisc) is removed again.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/pkt_sched.h>

#include "common/common.h"
#include "net/net-internal.h"

#define NET_RATELIMIT_MAX_MBIT 10000   /* the documented range (tc.c could go past 4 GiB/s) */

/* Sets (creates or replaces) the tbf root qdisc of idx to mbit Mbit/s. */
static int tbf_replace(struct net_ctx *ctx, int idx, const char *name, unsigned mbit, double ticks_per_usec,
                       struct bv_error *err)
{
        char buf[NET_MSG_BUF];
        struct nlmsghdr *nlh;
        struct net_tbf t = { .rate = mbit * 125000ull };        /* bytes per second */

        /* 20 ms of tokens, at least one GSO packet; queue 50 ms at the rate plus the bucket. */
        t.burst = (uint32_t) BV_MAX(t.rate / 50, 65536u);
        t.limit = (uint32_t) (t.rate / 20 + t.burst);
        if (net_msg_tbf(buf, idx, &t, ticks_per_usec, &nlh) < 0)
                return bv_error_set(err, EMSGSIZE, "Netlink message too large");
        return net_nl_talk(ctx, nlh, NULL, NULL, err, "Failed to set a tbf rate limit on '%s'", name);
}

/* Deletes the qdisc at parent (TC_H_ROOT or TC_H_INGRESS); a missing one is fine. */
static int qdisc_del(struct net_ctx *ctx, int idx, uint32_t parent, const char *name, struct bv_error *err)
{
        char buf[NET_MSG_BUF];
        uint32_t handle = parent == TC_H_INGRESS ? TC_H_MAKE(TC_H_INGRESS, 0) : 0;
        struct nlmsghdr *nlh = net_msg_tc(buf, RTM_DELQDISC, 0, idx, parent, handle, 0);
        int r;

        r = net_nl_talk(ctx, nlh, NULL, NULL, err, "Failed to remove the %s qdisc of '%s'",
                        parent == TC_H_INGRESS ? "ingress" : "root", name);
        /* ENOENT/EINVAL: nothing there (the default qdisc has handle 0). */
        if (r == -ENOENT || r == -EINVAL) {
                bv_error_clear(err);
                return 0;
        }
        return r;
}

static int ifb_name(int idx, char name[IFNAMSIZ])
{
        return snprintf(name, IFNAMSIZ, "bvifb%d", idx) < IFNAMSIZ ? 0 : -ENAMETOOLONG;
}

/* Creates the ifb, up. Returns 1 if made, 0 if it was there, or -errno. */
static int ifb_ensure(struct net_ctx *ctx, const char *ifb, struct bv_error *err)
{
        char buf[NET_MSG_BUF];
        struct net_newlink l = { .name = ifb, .kind = "ifb", .up = true };
        struct nlmsghdr *nlh;
        struct nlattr *info;
        int r;

        if (net_msg_newlink(buf, &l, &nlh, &info) < 0)
                return bv_error_set(err, EMSGSIZE, "Netlink message too large");
        mnl_attr_nest_end(nlh, info);
        r = net_nl_talk(ctx, nlh, NULL, NULL, err, "Failed to create ifb '%s' for an ingress limit", ifb);
        if (r == -EEXIST) {
                bv_error_clear(err);
                return 0;
        }
        return r < 0 ? r : 1;
}

/* Adds the ingress qdisc of idx and its filter redirecting everything to ifb_idx. */
static int ingress_redirect(struct net_ctx *ctx, int idx, const char *name, int ifb_idx, struct bv_error *err)
{
        char buf[NET_MSG_BUF];
        struct nlmsghdr *nlh;
        int r;

        if (net_msg_ingress(buf, idx, &nlh) < 0)
                return bv_error_set(err, EMSGSIZE, "Netlink message too large");
        r = net_nl_talk(ctx, nlh, NULL, NULL, err, "Failed to add an ingress qdisc on '%s'", name);
        if (r < 0)
                return r;
        if (net_msg_redirect(buf, idx, ifb_idx, &nlh) < 0)
                return bv_error_set(err, EMSGSIZE, "Netlink message too large");
        return net_nl_talk(ctx, nlh, NULL, NULL, err, "Failed to redirect ingress traffic to an ifb on '%s'",
                           name);
}

int net_ratelimit_set(struct net_ctx *ctx, const char *name, unsigned mbit, unsigned directions,
                      struct bv_error *err)
{
        char ifb[IFNAMSIZ];
        int r, idx, ifb_idx, made_ifb;
        double ticks;

        if (mbit < 1 || mbit > NET_RATELIMIT_MAX_MBIT)
                return bv_error_set(err, ERANGE, "Invalid rate limit %u Mbit/s: must be 1-%d", mbit,
                                    NET_RATELIMIT_MAX_MBIT);
        if (directions == 0 || (directions & ~(NET_RATELIMIT_EGRESS | NET_RATELIMIT_INGRESS)))
                return bv_error_set(err, EINVAL, "Invalid rate limit directions 0x%x", directions);
        r = net_tc_psched_read(&ticks, err);
        idx = r < 0 ? r : net_link_index(ctx, name, err);
        if (idx < 0) {
                (void) bv_error_prefix(err, "Failed to limit '%s'", name);
                return idx;     /* not bv_error_prefix()'s: -EIO when err is NULL */
        }

        if (directions & NET_RATELIMIT_EGRESS)
                r = tbf_replace(ctx, idx, name, mbit, ticks, err);     /* atomic replace */
        else
                r = qdisc_del(ctx, idx, TC_H_ROOT, name, err);
        if (r < 0)
                return r;

        if (ifb_name(idx, ifb) < 0)
                return bv_error_set(err, ENAMETOOLONG, "Failed to name an ifb for '%s'", name);
        /* The ingress part is rebuilt from scratch: redirect, ifb and its tbf. */
        r = qdisc_del(ctx, idx, TC_H_INGRESS, name, err);
        if (r < 0)
                return r;
        if (!(directions & NET_RATELIMIT_INGRESS)) {
                (void) net_link_delete(ctx, ifb, NULL);
                return 0;
        }

        made_ifb = ifb_ensure(ctx, ifb, err);
        if (made_ifb < 0)
                return made_ifb;
        ifb_idx = net_link_index(ctx, ifb, err);
        r = ifb_idx < 0 ? ifb_idx : tbf_replace(ctx, ifb_idx, ifb, mbit, ticks, err);
        if (r >= 0)
                r = ingress_redirect(ctx, idx, name, ifb_idx, err);
        if (r < 0) {
                /* Roll back: no redirect to a missing ifb, no ifb we made. */
                (void) qdisc_del(ctx, idx, TC_H_INGRESS, name, NULL);
                if (made_ifb)
                        (void) net_link_delete(ctx, ifb, NULL);
                return r;
        }
        return 0;
}

int net_ratelimit_clear(struct net_ctx *ctx, const char *name, struct bv_error *err)
{
        char ifb[IFNAMSIZ];
        int r, idx;

        idx = net_link_index(ctx, name, err);
        if (idx < 0) {
                (void) bv_error_prefix(err, "Failed to clear the rate limit of '%s'", name);
                return idx;
        }
        r = qdisc_del(ctx, idx, TC_H_ROOT, name, err);
        if (r < 0)
                return r;
        r = qdisc_del(ctx, idx, TC_H_INGRESS, name, err);
        if (r < 0)
                return r;
        if (ifb_name(idx, ifb) == 0)
                (void) net_link_delete(ctx, ifb, NULL);
        return 0;
}
