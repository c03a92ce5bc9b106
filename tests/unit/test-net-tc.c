/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tc messages of net/tc.c without a kernel, against bytes seen on the
 * wire: the tbf parameters and rate tables that iproute2 6.1's
 * `tc qdisc add dev r0 root handle 1: tbf rate R burst B limit L` sent
 * (read with strace on a 64 ns-tick kernel: /proc/net/psched
 * "000003e8 00000040 000f4240 3b9aca00"), and the ingress qdisc and u32
 * match-all + mirred redirect that libnl-route-3 3.7 built before net/ did
 * it over libmnl. No privileges needed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>

#include "common/common.h"
#include "net/net-internal.h"
#include "tests/tap.h"

#define TICKS 15.625    /* ticks per microsecond, the psched line above */

/* iproute2's TCA_TBF_RTAB for "rate 100mbit" (12,500,000 bytes/s). */
static const uint32_t rtab_100mbit[NET_TC_RTAB_CELLS] = {
        0, 15, 15, 31, 46, 46, 62, 78, 78, 93, 109, 109, 125, 125,
        140, 156, 156, 171, 187, 187, 203, 218, 218, 234, 250, 250, 265, 265,
        281, 296, 296, 312, 328, 328, 343, 359, 359, 375, 375, 390, 406, 406,
        421, 437, 437, 453, 468, 468, 484, 500, 500, 515, 515, 531, 546, 546,
        562, 578, 578, 593, 609, 609, 625, 625, 640, 656, 656, 671, 687, 687,
        703, 718, 718, 734, 750, 750, 765, 765, 781, 796, 796, 812, 828, 828,
        843, 859, 859, 875, 875, 890, 906, 906, 921, 937, 937, 953, 968, 968,
        984, 1000, 1000, 1015, 1015, 1031, 1046, 1046, 1062, 1078, 1078, 1093, 1109, 1109,
        1125, 1125, 1140, 1156, 1156, 1171, 1187, 1187, 1203, 1218, 1218, 1234, 1250, 1250,
        1265, 1265, 1281, 1296, 1296, 1312, 1328, 1328, 1343, 1359, 1359, 1375, 1375, 1390,
        1406, 1406, 1421, 1437, 1437, 1453, 1468, 1468, 1484, 1500, 1500, 1515, 1515, 1531,
        1546, 1546, 1562, 1578, 1578, 1593, 1609, 1609, 1625, 1625, 1640, 1656, 1656, 1671,
        1687, 1687, 1703, 1718, 1718, 1734, 1750, 1750, 1765, 1765, 1781, 1796, 1796, 1812,
        1828, 1828, 1843, 1859, 1859, 1875, 1875, 1890, 1906, 1906, 1921, 1937, 1937, 1953,
        1968, 1968, 1984, 2000, 2000, 2015, 2015, 2031, 2046, 2046, 2062, 2078, 2078, 2093,
        2109, 2109, 2125, 2125, 2140, 2156, 2156, 2171, 2187, 2187, 2203, 2218, 2218, 2234,
        2250, 2250, 2265, 2265, 2281, 2296, 2296, 2312, 2328, 2328, 2343, 2359, 2359, 2375,
        2375, 2390, 2406, 2406, 2421, 2437, 2437, 2453, 2468, 2468, 2484, 2500, 2500, 2515,
        2515, 2531, 2546, 2546,
};

/* iproute2's TCA_TBF_PARMS (struct tc_tbf_qopt) for three rates, as hex. */
struct parms_case {
        uint64_t rate;
        uint32_t burst, limit;
        const char *hex;
};
static const struct parms_case parms_cases[] = {
        { 12500000, 250000, 875000,     /* 100mbit burst 250000 limit 875000 */
          "03010000ffff000020bcbe00000000000000000000000000f8590d00b4c4040000000000" },
        { 2500000, 65536, 190536,       /* 20mbit burst 65536 limit 190536 */
          "03010000ffff0000a025260000000000000000000000000048e80200f93f060000000000" },
        { 125000, 65536, 190536,        /* 1mbit burst 65536 limit 190536 */
          "03010000ffff000048e8010000000000000000000000000048e8020000007d0000000000" },
};

/* libnl-route-3's messages after the nlmsghdr: ingress qdisc on 3; u32 + mirred on 3 to 4. */
static const char ingress_hex[] = "00000000030000000000fffff1ffffff000000000c000100696e677265737300";
static const char redirect_hex[] =
        "0000000003000000000000000000ffff0003010008000100753332006000028024000500010001000000000000000000"
        "000000000000000000000000000000000000000038000780340001800b0001006d697272656400002400028020000200"
        "00000000000000000400000000000000000000000100000004000000";

static const char *bytes_hex(const void *data, size_t n, char *out, size_t size)
{
        const uint8_t *p = data;

        out[0] = 0;
        for (size_t i = 0; i < n && 2 * i + 2 < size; i++)
                snprintf(out + 2 * i, 3, "%02x", p[i]);
        return out;
}

/* The payload of nlh after its nlmsghdr, as lowercase hex. */
static const char *payload_hex(const struct nlmsghdr *nlh, char *out, size_t size)
{
        return bytes_hex(mnl_nlmsg_get_payload(nlh), mnl_nlmsg_get_payload_len(nlh), out, size);
}

/* The attribute at path (types, outermost first) below the tcmsg of nlh, or NULL. */
static const struct nlattr *tc_attr(const struct nlmsghdr *nlh, const uint16_t *path, size_t depth)
{
        const struct nlattr *a, *found = NULL;

        mnl_attr_for_each(a, nlh, sizeof(struct tcmsg))
                if (mnl_attr_get_type(a) == path[0])
                        found = a;
        for (size_t d = 1; found && d < depth; d++) {
                const struct nlattr *outer = found;
                found = NULL;
                mnl_attr_for_each_nested(a, outer)
                        if (mnl_attr_get_type(a) == path[d])
                                found = a;
        }
        return found;
}

static void test_psched(void)
{
        double t = 0;

        tap_is_int(net_tc_psched_parse("000003e8 00000040 000f4240 3b9aca00", &t), 0, "psched line parsed");
        tap_ok(t == 15.625, "64 ns ticks: 15.625 per microsecond (%g)", t);
        tap_is_int(net_tc_psched_parse("000003e8 00000040 3b9aca00 3b9aca00", &t), 0, "1 GHz clock line");
        tap_ok(t == 1000.0, "tc's compatibility rule: t2us taken as us2t (%g)", t);
        tap_is_int(net_tc_psched_parse("000003e8 00000000 000f4240", &t), -EINVAL, "zero tick length refused");
        tap_is_int(net_tc_psched_parse("psched", &t), -EINVAL, "junk refused");
        tap_is_int(net_tc_psched_read(&t, NULL), 0, "/proc/net/psched read");
}

static void test_rate_table(void)
{
        uint32_t rtab[NET_TC_RTAB_CELLS];
        size_t same = 0;

        tap_is_int(net_tc_rate_table(12500000, TICKS, rtab), 3, "cell_log 3 for the default MTU");
        for (size_t i = 0; i < NET_TC_RTAB_CELLS; i++)
                same += rtab[i] == rtab_100mbit[i];
        tap_is_int(same, NET_TC_RTAB_CELLS, "100 Mbit/s: all 256 cells equal iproute2's");
        net_tc_rate_table(125000, TICKS, rtab);
        tap_ok(rtab[0] == 1000 && rtab[1] == 2000 && rtab[255] == 256000, "1 Mbit/s: 8 bytes take 64 us, 1000 ticks");
        net_tc_rate_table(2500000, TICKS, rtab);
        tap_ok(rtab[0] == 46 && rtab[3] == 187 && rtab[255] == 12796, "20 Mbit/s cells as iproute2's");
        tap_is_int(net_tc_xmittime(1, 1ull << 40, TICKS), UINT32_MAX, "overlong times saturate");
}

static void test_tbf(void)
{
        char buf[NET_MSG_BUF], hex[256];
        static const uint16_t parms[] = { TCA_OPTIONS, TCA_TBF_PARMS }, rtab[] = { TCA_OPTIONS, TCA_TBF_RTAB },
                              rate64[] = { TCA_OPTIONS, TCA_TBF_RATE64 }, kind[] = { TCA_KIND };
        const struct tc_tbf_qopt *q;
        const struct tcmsg *tcm;
        struct nlmsghdr *nlh;
        const struct nlattr *a;

        for (size_t i = 0; i < BV_ELEMENTSOF(parms_cases); i++) {
                const struct parms_case *c = &parms_cases[i];
                struct net_tbf t = { .rate = c->rate, .burst = c->burst, .limit = c->limit };

                if (!tap_ok(net_msg_tbf(buf, 3, &t, TICKS, &nlh) == 0, "tbf at %llu bytes/s built",
                            (unsigned long long) c->rate))
                        continue;
                a = tc_attr(nlh, parms, 2);
                tap_is_str(a ? bytes_hex(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a), hex, sizeof(hex)) : "",
                           c->hex, "TCA_TBF_PARMS equal iproute2's");
        }
        tcm = mnl_nlmsg_get_payload(nlh);
        tap_ok(nlh->nlmsg_type == RTM_NEWQDISC && (nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_REPLACE)) ==
               (NLM_F_CREATE | NLM_F_REPLACE), "RTM_NEWQDISC, create or replace");
        tap_ok(tcm->tcm_ifindex == 3 && tcm->tcm_parent == TC_H_ROOT && tcm->tcm_handle == 0x10000,
               "root qdisc 1: on ifindex 3");
        a = tc_attr(nlh, kind, 1);
        tap_is_str(a ? mnl_attr_get_str(a) : "", "tbf", "kind tbf");
        tap_ok(tc_attr(nlh, rate64, 2) == NULL, "no TCA_TBF_RATE64 below 4 GiB/s");

        struct net_tbf t = { .rate = 12500000, .burst = 250000, .limit = 875000 };
        net_msg_tbf(buf, 3, &t, TICKS, &nlh);
        a = tc_attr(nlh, rtab, 2);
        tap_ok(a && mnl_attr_get_payload_len(a) == sizeof(rtab_100mbit) &&
               memcmp(mnl_attr_get_payload(a), rtab_100mbit, sizeof(rtab_100mbit)) == 0,
               "TCA_TBF_RTAB equal iproute2's");

        /* 40 Gbit/s: the 32-bit rate saturates; the bucket is 20 ms at the true rate. */
        t = (struct net_tbf) { .rate = 5000000000ull, .burst = 100000000, .limit = 300000000 };
        tap_is_int(net_msg_tbf(buf, 3, &t, TICKS, &nlh), 0, "tbf at 40 Gbit/s built");
        a = tc_attr(nlh, parms, 2);
        q = a ? mnl_attr_get_payload(a) : NULL;
        tap_ok(q && q->rate.rate == UINT32_MAX && q->buffer == 312500 && q->limit == 300000000,
               "saturated 32-bit rate, buffer 312500 ticks, limit");
        a = tc_attr(nlh, rate64, 2);
        tap_ok(a && mnl_attr_get_payload_len(a) == 8 && mnl_attr_get_u64(a) == 5000000000ull,
               "TCA_TBF_RATE64 carries 5,000,000,000 bytes/s");
}

static void test_ingress_redirect(void)
{
        char buf[NET_MSG_BUF], hex[512];
        struct nlmsghdr *nlh;

        tap_is_int(net_msg_ingress(buf, 3, &nlh), 0, "ingress qdisc built");
        tap_ok(nlh->nlmsg_type == RTM_NEWQDISC && (nlh->nlmsg_flags & NLM_F_EXCL), "RTM_NEWQDISC, exclusive");
        tap_is_str(payload_hex(nlh, hex, sizeof(hex)), ingress_hex, "same bytes as libnl-route-3's");

        tap_is_int(net_msg_redirect(buf, 3, 4, &nlh), 0, "u32 + mirred filter built");
        tap_ok(nlh->nlmsg_type == RTM_NEWTFILTER && (nlh->nlmsg_flags & NLM_F_EXCL), "RTM_NEWTFILTER, exclusive");
        tap_is_str(payload_hex(nlh, hex, sizeof(hex)), redirect_hex,
                   "same bytes as libnl-route-3's: ETH_P_ALL, prio 1, terminal match-all, redirect to 4, stolen");
}

int main(void)
{
        test_psched();
        test_rate_table();
        test_tbf();
        test_ingress_redirect();
        tap_done();
}
