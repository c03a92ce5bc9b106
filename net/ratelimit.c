/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Port rate limits. libnl-route-3's tc objects build the messages (tbf's
 * rate and bucket encoding, u32 keys, the mirred action), and nl.c sends
 * them, so the kernel's extended-ack text still reaches the caller.
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
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>
#include <netlink/msg.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/action.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>

#include "common/common.h"
#include "net/net-internal.h"

#define NET_RATELIMIT_MAX_MBIT 10000   /* libnl's tbf rate is an int of bytes/s */

BV_DEFINE_CLEANUP(struct rtnl_qdisc, rtnl_qdisc_put)
BV_DEFINE_CLEANUP(struct rtnl_cls, rtnl_cls_put)
BV_DEFINE_CLEANUP(struct nl_msg, nlmsg_free)

/* Sends a libnl-built message over ctx's socket (ext-ack kept). */
static int send_nl_msg(struct net_ctx *ctx, struct nl_msg *msg, struct bv_error *err, const char *what,
                       const char *name)
{
        struct nlmsghdr *nlh = nlmsg_hdr(msg);

        /* libnl adds NLM_F_REQUEST only when it sends; without it the kernel just acks. */
        nlh->nlmsg_flags |= NLM_F_REQUEST;
        return net_nl_talk(ctx, nlh, NULL, NULL, err, "Failed to %s on '%s'", what, name);
}

static int tbf_replace(struct net_ctx *ctx, int idx, const char *name, unsigned mbit, struct bv_error *err)
{
        _cleanup_(rtnl_qdisc_putp) struct rtnl_qdisc *q = NULL;
        _cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
        int rate = (int) (mbit * 125000u);              /* bytes per second */
        int burst = BV_MAX(rate / 50, 65536);           /* 20 ms, at least one GSO packet */

        q = rtnl_qdisc_alloc();
        if (!q)
                return bv_error_set(err, ENOMEM, "Out of memory");
        rtnl_tc_set_ifindex(TC_CAST(q), idx);
        rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
        rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(1, 0));
        if (rtnl_tc_set_kind(TC_CAST(q), "tbf") < 0)
                return bv_error_set(err, ENOTSUP, "libnl-route-3 has no tbf qdisc");
        rtnl_qdisc_tbf_set_rate(q, rate, burst, 0);
        /* Queue what 50 ms at the rate take, plus the bucket. */
        rtnl_qdisc_tbf_set_limit(q, rate / 20 + burst);
        if (rtnl_qdisc_build_add_request(q, NLM_F_CREATE | NLM_F_REPLACE, &msg) < 0)
                return bv_error_set(err, EINVAL, "Failed to build tbf qdisc for '%s'", name);
        return send_nl_msg(ctx, msg, err, "set a tbf rate limit", name);
}

/* Deletes the qdisc at parent (TC_H_ROOT or TC_H_INGRESS); a missing one is fine. */
static int qdisc_del(struct net_ctx *ctx, int idx, uint32_t parent, const char *name, struct bv_error *err)
{
        char buf[NET_MSG_BUF];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct tcmsg *tcm;
        int r;

        nlh->nlmsg_type = RTM_DELQDISC;
        nlh->nlmsg_flags = NLM_F_REQUEST;
        tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
        tcm->tcm_family = AF_UNSPEC;
        tcm->tcm_ifindex = idx;
        tcm->tcm_parent = parent;
        if (parent == TC_H_INGRESS)
                tcm->tcm_handle = TC_H_MAKE(TC_H_INGRESS, 0);
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

static int ingress_redirect(struct net_ctx *ctx, int idx, const char *name, int ifb_idx, struct bv_error *err)
{
        _cleanup_(rtnl_qdisc_putp) struct rtnl_qdisc *q = NULL;
        _cleanup_(rtnl_cls_putp) struct rtnl_cls *cls = NULL;
        _cleanup_(nlmsg_freep) struct nl_msg *qmsg = NULL, *cmsg = NULL;
        struct rtnl_act *act;
        int r;

        q = rtnl_qdisc_alloc();
        cls = rtnl_cls_alloc();
        if (!q || !cls)
                return bv_error_set(err, ENOMEM, "Out of memory");
        rtnl_tc_set_ifindex(TC_CAST(q), idx);
        rtnl_tc_set_parent(TC_CAST(q), TC_H_INGRESS);
        rtnl_tc_set_handle(TC_CAST(q), TC_H_MAKE(TC_H_INGRESS, 0));
        if (rtnl_tc_set_kind(TC_CAST(q), "ingress") < 0 ||
            rtnl_qdisc_build_add_request(q, NLM_F_CREATE | NLM_F_EXCL, &qmsg) < 0)
                return bv_error_set(err, EINVAL, "Failed to build ingress qdisc for '%s'", name);
        r = send_nl_msg(ctx, qmsg, err, "add an ingress qdisc", name);
        if (r < 0)
                return r;

        rtnl_tc_set_ifindex(TC_CAST(cls), idx);
        rtnl_tc_set_parent(TC_CAST(cls), TC_H_MAKE(TC_H_INGRESS, 0));
        rtnl_cls_set_protocol(cls, ETH_P_ALL);
        rtnl_cls_set_prio(cls, 1);
        if (rtnl_tc_set_kind(TC_CAST(cls), "u32") < 0)
                return bv_error_set(err, ENOTSUP, "libnl-route-3 has no u32 classifier");
        act = rtnl_act_alloc();
        if (!act)
                return bv_error_set(err, ENOMEM, "Out of memory");
        rtnl_tc_set_kind(TC_CAST(act), "mirred");
        rtnl_mirred_set_action(act, TCA_EGRESS_REDIR);
        rtnl_mirred_set_policy(act, TC_ACT_STOLEN);
        rtnl_mirred_set_ifindex(act, (uint32_t) ifb_idx);
        /* Match every packet: one key, mask 0. */
        r = rtnl_u32_add_key_uint32(cls, 0, 0, 0, 0);
        /* Without TC_U32_TERMINAL a matching key runs no action at all. */
        if (r >= 0)
                r = rtnl_u32_set_cls_terminal(cls);
        if (r >= 0)
                r = rtnl_u32_add_action(cls, act);   /* takes its own reference */
        rtnl_act_put(act);
        if (r < 0 || rtnl_cls_build_add_request(cls, NLM_F_CREATE | NLM_F_EXCL, &cmsg) < 0)
                return bv_error_set(err, EINVAL, "Failed to build the ingress redirect of '%s'", name);
        return send_nl_msg(ctx, cmsg, err, "redirect ingress traffic to an ifb", name);
}

int net_ratelimit_set(struct net_ctx *ctx, const char *name, unsigned mbit, unsigned directions,
                      struct bv_error *err)
{
        char ifb[IFNAMSIZ];
        int r, idx, ifb_idx, made_ifb;

        if (mbit < 1 || mbit > NET_RATELIMIT_MAX_MBIT)
                return bv_error_set(err, ERANGE, "Invalid rate limit %u Mbit/s: must be 1-%d", mbit,
                                    NET_RATELIMIT_MAX_MBIT);
        if (directions == 0 || (directions & ~(NET_RATELIMIT_EGRESS | NET_RATELIMIT_INGRESS)))
                return bv_error_set(err, EINVAL, "Invalid rate limit directions 0x%x", directions);
        idx = net_link_index(ctx, name, err);
        if (idx < 0)
                return bv_error_prefix(err, "Failed to limit '%s'", name);

        if (directions & NET_RATELIMIT_EGRESS)
                r = tbf_replace(ctx, idx, name, mbit, err);     /* atomic replace */
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
                r = net_link_delete(ctx, ifb, NULL);
                return 0;
        }

        made_ifb = ifb_ensure(ctx, ifb, err);
        if (made_ifb < 0)
                return made_ifb;
        ifb_idx = net_link_index(ctx, ifb, err);
        r = ifb_idx < 0 ? ifb_idx : tbf_replace(ctx, ifb_idx, ifb, mbit, err);
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
        if (idx < 0)
                return bv_error_prefix(err, "Failed to clear the rate limit of '%s'", name);
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
