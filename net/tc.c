/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tc messages of port rate limits, built over libmnl: a tbf qdisc
 * (its parameters, rate table and 64-bit rate), an ingress qdisc, a u32
 * match-all filter whose mirred action redirects to another device, and
 * the qdisc header they share. ratelimit.c decides what to send; this file
 * only encodes, so the unit tests check every byte without a kernel.
 *
 * Units are iproute2's: rates in bytes per second, times in psched ticks.
 * The tick rate comes from /proc/net/psched and is read the way tc(8)
 * reads it (tc_core_init), and the rate table is tc_calc_rtable's for the
 * default MTU (2047: cell_log 3, no minimum packet unit, Ethernet), so the
 * kernel sees from us exactly what `tc qdisc add ... tbf rate R` sends
 * (minus TCA_TBF_BURST: the bucket travels as ticks in the parameters).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>

#include "common/common.h"
#include "net/net-internal.h"

#define TC_TIME_UNITS_PER_SEC 1000000.0         /* iproute2 counts time in microseconds */
#define TC_DEFAULT_MTU 2047                     /* tc_calc_rtable's MTU when none is given */

int net_tc_psched_parse(const char *line, double *ret_ticks_per_usec)
{
        unsigned t2us, us2t, clock_res;
        double clock_factor;

        if (sscanf(line, "%08x%08x%08x", &t2us, &us2t, &clock_res) != 3 || t2us == 0 || us2t == 0 ||
            clock_res == 0)
                return -EINVAL;
        /* tc_core_init's compatibility rule: a 1 GHz clock advertises t2us 1000, meaning 1. */
        if (clock_res == 1000000000u)
                t2us = us2t;
        clock_factor = (double) clock_res / TC_TIME_UNITS_PER_SEC;
        *ret_ticks_per_usec = (double) t2us / us2t * clock_factor;
        return 0;
}

int net_tc_psched_read(double *ret_ticks_per_usec, struct bv_error *err)
{
        _cleanup_free_ char *line = NULL;
        int r;

        /* The message names the file ("Failed to open '/proc/net/psched': ..."). */
        r = bv_file_read_line("/proc/net/psched", &line, err);
        if (r < 0)
                return r;
        if (net_tc_psched_parse(line, ret_ticks_per_usec) < 0)
                return bv_error_set(err, EINVAL, "Unexpected /proc/net/psched '%s'", line);
        return 0;
}

uint32_t net_tc_xmittime(uint64_t rate, uint64_t size, double ticks_per_usec)
{
        double usec, ticks;

        if (rate == 0)
                return UINT32_MAX;
        /* As tc_calc_xmittime: whole microseconds first, then ticks, both truncated. */
        usec = TC_TIME_UNITS_PER_SEC * ((double) size / (double) rate);
        if (usec >= (double) UINT32_MAX)
                return UINT32_MAX;
        ticks = (double) (uint32_t) usec * ticks_per_usec;
        return ticks >= (double) UINT32_MAX ? UINT32_MAX : (uint32_t) ticks;
}

unsigned net_tc_rate_table(uint64_t rate, double ticks_per_usec, uint32_t rtab[NET_TC_RTAB_CELLS])
{
        unsigned cell_log = 0;

        while ((TC_DEFAULT_MTU >> cell_log) > 255)
                cell_log++;
        for (unsigned i = 0; i < NET_TC_RTAB_CELLS; i++)
                rtab[i] = net_tc_xmittime(rate, (uint64_t) (i + 1) << cell_log, ticks_per_usec);
        return cell_log;
}

struct nlmsghdr *net_msg_tc(void *buf, uint16_t type, uint16_t flags, int ifindex, uint32_t parent,
                            uint32_t handle, uint32_t info)
{
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct tcmsg *tcm;

        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST | flags;
        tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
        tcm->tcm_family = AF_UNSPEC;
        tcm->tcm_ifindex = ifindex;
        tcm->tcm_parent = parent;
        tcm->tcm_handle = handle;
        tcm->tcm_info = info;
        return nlh;
}

int net_msg_tbf(void *buf, int ifindex, const struct net_tbf *t, double ticks_per_usec, struct nlmsghdr **ret)
{
        struct tc_tbf_qopt opt = { .limit = t->limit };
        uint32_t rtab[NET_TC_RTAB_CELLS];
        struct nlmsghdr *nlh;
        struct nlattr *opts;

        opt.rate.cell_log = (unsigned char) net_tc_rate_table(t->rate, ticks_per_usec, rtab);
        opt.rate.linklayer = TC_LINKLAYER_ETHERNET;
        opt.rate.cell_align = -1;
        opt.rate.rate = t->rate >= (1ull << 32) ? UINT32_MAX : (uint32_t) t->rate;
        opt.buffer = net_tc_xmittime(t->rate, t->burst, ticks_per_usec);

        nlh = net_msg_tc(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, ifindex, TC_H_ROOT,
                         TC_H_MAKE(1u << 16, 0), 0);
        if (!mnl_attr_put_strz_check(nlh, NET_MSG_BUF, TCA_KIND, "tbf"))
                return -EMSGSIZE;
        opts = mnl_attr_nest_start_check(nlh, NET_MSG_BUF, TCA_OPTIONS);
        if (!opts || !mnl_attr_put_check(nlh, NET_MSG_BUF, TCA_TBF_PARMS, sizeof(opt), &opt))
                return -EMSGSIZE;
        /* Above 4 GiB/s the 32-bit rate saturates and the kernel takes this one. */
        if (t->rate >= (1ull << 32) && !mnl_attr_put_u64_check(nlh, NET_MSG_BUF, TCA_TBF_RATE64, t->rate))
                return -EMSGSIZE;
        /* Kernels since 3.13 derive the link layer from rate.linklayer; older ones read the table. */
        if (!mnl_attr_put_check(nlh, NET_MSG_BUF, TCA_TBF_RTAB, sizeof(rtab), rtab))
                return -EMSGSIZE;
        mnl_attr_nest_end(nlh, opts);
        *ret = nlh;
        return 0;
}

int net_msg_ingress(void *buf, int ifindex, struct nlmsghdr **ret)
{
        struct nlmsghdr *nlh = net_msg_tc(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex, TC_H_INGRESS,
                                          TC_H_MAKE(TC_H_INGRESS, 0), 0);

        if (!mnl_attr_put_strz_check(nlh, NET_MSG_BUF, TCA_KIND, "ingress"))
                return -EMSGSIZE;
        *ret = nlh;
        return 0;
}

/* Adds the u32 selector that matches every packet: one key, mask 0, terminal. */
static bool put_u32_match_all(struct nlmsghdr *nlh)
{
        union {
                struct tc_u32_sel sel;
                char bytes[sizeof(struct tc_u32_sel) + sizeof(struct tc_u32_key)];
        } s;

        memset(&s, 0, sizeof(s));
        /* Without TC_U32_TERMINAL a matching key runs no action at all. */
        s.sel.flags = TC_U32_TERMINAL;
        s.sel.nkeys = 1;
        return mnl_attr_put_check(nlh, NET_MSG_BUF, TCA_U32_SEL, sizeof(s.bytes), s.bytes);
}

/* Adds action 1: mirred, redirect to the egress of to_ifindex, packet stolen. */
static bool put_mirred_redirect(struct nlmsghdr *nlh, int to_ifindex)
{
        struct tc_mirred m = { .action = TC_ACT_STOLEN, .eaction = TCA_EGRESS_REDIR,
                               .ifindex = (uint32_t) to_ifindex };
        struct nlattr *acts, *act, *opts;

        acts = mnl_attr_nest_start_check(nlh, NET_MSG_BUF, TCA_U32_ACT);
        act = acts ? mnl_attr_nest_start_check(nlh, NET_MSG_BUF, 1) : NULL;     /* action order 1 */
        if (!act || !mnl_attr_put_strz_check(nlh, NET_MSG_BUF, TCA_ACT_KIND, "mirred"))
                return false;
        opts = mnl_attr_nest_start_check(nlh, NET_MSG_BUF, TCA_ACT_OPTIONS);
        if (!opts || !mnl_attr_put_check(nlh, NET_MSG_BUF, TCA_MIRRED_PARMS, sizeof(m), &m))
                return false;
        mnl_attr_nest_end(nlh, opts);
        mnl_attr_nest_end(nlh, act);
        mnl_attr_nest_end(nlh, acts);
        return true;
}

int net_msg_redirect(void *buf, int ifindex, int to_ifindex, struct nlmsghdr **ret)
{
        /* Priority 1, every protocol (tcm_info holds both). */
        uint32_t info = TC_H_MAKE(1u << 16, htons(ETH_P_ALL));
        struct nlmsghdr *nlh = net_msg_tc(buf, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, ifindex,
                                          TC_H_MAKE(TC_H_INGRESS, 0), 0, info);
        struct nlattr *opts;

        if (!mnl_attr_put_strz_check(nlh, NET_MSG_BUF, TCA_KIND, "u32"))
                return -EMSGSIZE;
        opts = mnl_attr_nest_start_check(nlh, NET_MSG_BUF, TCA_OPTIONS);
        if (!opts || !put_u32_match_all(nlh) || !put_mirred_redirect(nlh, to_ifindex))
                return -EMSGSIZE;
        mnl_attr_nest_end(nlh, opts);
        *ret = nlh;
        return 0;
}
