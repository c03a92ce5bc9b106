/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Traffic through what net/ built, in throwaway namespaces: two namespaces
 * joined by veths through a bridge ping each other; with VLAN filtering,
 * ports on different VLANs cannot reach each other and ports on the same
 * VLAN can; a rate-limited port (each direction) carries a bounded TCP
 * transfer within 20% of its limit, measured by a small sender/receiver
 * pair under a time limit, and `tc -s` shows the tbf at that rate and the
 * redirect of the port's ingress to its ifb.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/net.h"
#include "tests/integration/test-net-lib.h"

static struct net_ctx *ctx;

/* A namespace with port <port> on bridge br (VLAN vid if > 0) and eth0 = addr inside. */
static int attach_ns(const char *br, const char *port, const char *addr, uint16_t vid)
{
        struct net_veth_opts vo = { .peer = "eth0", .master = br, .up = true, .peer_up = true };
        struct bv_error err = { 0 };
        struct net_ctx *inner = NULL;
        int ns = tn_ns_new();

        vo.peer_netns_fd = ns;
        if (net_link_add_veth(ctx, port, &vo, &err) < 0 || net_ctx_new(ns, &inner, &err) < 0 ||
            net_addr_add(inner, "eth0", addr, &err) < 0 ||
            (vid && net_vlan_set_access(ctx, port, vid, &err) < 0))
                tap_diag("attach %s: %s", port, err.msg);
        net_ctx_free(inner);
        return ns;
}

static void test_ping(void)
{
        struct net_bridge_opts bo = { .up = true };
        struct bv_error err = { 0 };
        int a, b;

        tap_is_int(net_link_add_bridge(ctx, "br0", &bo, &err), 0, "bridge br0");
        a = attach_ns("br0", "pa", "10.9.0.1/24", 0);
        b = attach_ns("br0", "pb", "10.9.0.2/24", 0);
        tap_is_int(tn_run(a, NULL, 0, "ping -c1 -W2 10.9.0.2"), 0, "netns A pings netns B through br0");
        tap_is_int(tn_run(b, NULL, 0, "ping -c1 -W2 10.9.0.1"), 0, "netns B pings netns A through br0");
        close(a);
        close(b);
}

static void test_vlans(void)
{
        struct net_bridge_opts bo = { .up = true, .vlan_filtering = true };
        struct bv_error err = { 0 };
        int c, d, e;

        if (net_link_add_bridge(ctx, "brv", &bo, &err) < 0) {
                tap_skip("VLAN isolation: %s", err.msg);
                return;
        }
        c = attach_ns("brv", "pc", "10.10.0.3/24", 10);
        d = attach_ns("brv", "pd", "10.10.0.4/24", 20);
        e = attach_ns("brv", "pe", "10.10.0.5/24", 10);
        tap_is_int(tn_run(c, NULL, 0, "ping -c1 -W2 10.10.0.5"), 0, "same VLAN 10: C reaches E");
        tap_ok(tn_run(c, NULL, 0, "ping -c1 -W1 10.10.0.4") != 0, "VLAN 10 vs 20: C cannot reach D");
        close(c);
        close(d);
        close(e);
}

/* Receives on port 5001 in ns until EOF; returns bytes/s from first to last byte, or -1. */
static double measure(int ns_send, int ns_recv, const char *dst, size_t total)
{
        int p[2], status;
        pid_t rx, tx;
        double rate = -1;

        if (pipe(p) < 0)
                return -1;
        fflush(stdout);
        rx = fork();
        if (rx == 0) {
                struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(5001) };
                struct timespec t0 = { 0 }, t1;
                static char buf[65536];
                size_t got = 0;
                int one = 1, s, c;
                double r;

                alarm(10);
                if (ns_recv >= 0 && setns(ns_recv, CLONE_NEWNET) < 0)
                        _exit(1);
                s = socket(AF_INET, SOCK_STREAM, 0);
                setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                if (bind(s, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(s, 1) < 0)
                        _exit(1);
                if (write(p[1], "R", 1) != 1)
                        _exit(1);
                c = accept(s, NULL, NULL);
                for (;;) {
                        ssize_t n = read(c, buf, sizeof(buf));
                        if (n <= 0)
                                break;
                        if (got == 0)
                                clock_gettime(CLOCK_MONOTONIC, &t0);
                        got += (size_t) n;
                }
                clock_gettime(CLOCK_MONOTONIC, &t1);
                r = (double) got / ((double) (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
                if (write(p[1], &r, sizeof(r)) != sizeof(r))
                        _exit(1);
                _exit(0);
        }
        close(p[1]);    /* so that a dead receiver means EOF, not a hang */
        {
                char ready;
                if (read(p[0], &ready, 1) != 1) {
                        close(p[0]);
                        waitpid(rx, &status, 0);
                        return -1;
                }
        }
        tx = fork();
        if (tx == 0) {
                struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(5001) };
                static char buf[65536];
                size_t sent = 0;
                int s;

                alarm(10);
                inet_pton(AF_INET, dst, &sa.sin_addr);
                if (ns_send >= 0 && setns(ns_send, CLONE_NEWNET) < 0)
                        _exit(1);
                s = socket(AF_INET, SOCK_STREAM, 0);
                if (connect(s, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                        _exit(1);
                while (sent < total) {
                        ssize_t n = write(s, buf, BV_MIN_T(sizeof(buf), total - sent));
                        if (n <= 0)
                                _exit(1);
                        sent += (size_t) n;
                }
                close(s);
                _exit(0);
        }
        waitpid(tx, &status, 0);
        if (read(p[0], &rate, sizeof(rate)) != sizeof(rate))
                rate = -1;
        waitpid(rx, &status, 0);
        close(p[0]);
        return rate;
}

/* Checks that `tc -s ARGS` prints both strings (what a user would read). */
static void tc_shows(const char *args, const char *want1, const char *want2, const char *what)
{
        char out[8192];

        tn_run(-1, out, sizeof(out), "tc -s %s", args);
        if (!tap_ok(strstr(out, want1) && strstr(out, want2), "%s", what))
                tap_diag("tc -s %s: %s", args, out);
}

static void test_ratelimit(void)
{
        struct net_veth_opts vo = { .peer = "r1", .up = true, .peer_up = true };
        struct bv_error err = { 0 };
        struct net_ctx *cb = NULL;
        const unsigned mbit = 20;
        const double want = mbit * 125000.0;
        char out[4096], ifb[IFNAMSIZ], redirect[128], cmd[64];
        double got;
        int b = tn_ns_new();

        /* r0 (our namespace, the "port") <-> r1 in netns B: no loopback shortcut. */
        vo.peer_netns_fd = b;
        tap_is_int(net_link_add_veth(ctx, "r0", &vo, &err), 0, "veth r0 <-> r1 (netns B)");
        net_ctx_new(b, &cb, &err);
        net_addr_add(ctx, "r0", "10.20.0.1/24", &err);
        net_addr_add(cb, "r1", "10.20.0.2/24", &err);

        if (!tap_is_int(net_ratelimit_set(ctx, "r0", mbit, NET_RATELIMIT_EGRESS, &err), 0, "limit r0 egress to 20 Mbit/s"))
                tap_diag("%s", err.msg);
        tn_run(-1, out, sizeof(out), "tc -j qdisc show dev r0");
        if (!tap_ok(strstr(out, "\"kind\":\"tbf\"") != NULL, "tc: tbf on r0"))
                tap_diag("tc: %s", out);
        tc_shows("qdisc show dev r0", "qdisc tbf 1: root", "rate 20Mbit burst 64Kb lat 50ms", "tc: tbf on r0 at 20Mbit");
        got = measure(-1, b, "10.20.0.2", 3 * 1000 * 1000);
        tap_ok(got > want * 0.8 && got < want * 1.2, "egress: %.1f Mbit/s (limit %u)", got * 8 / 1e6, mbit);

        if (!tap_is_int(net_ratelimit_set(ctx, "r0", mbit, NET_RATELIMIT_INGRESS, &err), 0,
                        "limit r0 ingress to 20 Mbit/s (egress limit removed)"))
                tap_diag("%s", err.msg);
        tn_run(-1, out, sizeof(out), "tc -j qdisc show dev r0");
        tap_ok(strstr(out, "\"kind\":\"tbf\"") == NULL && strstr(out, "\"kind\":\"ingress\"") != NULL,
               "tc: r0 has ingress, no tbf");
        snprintf(ifb, sizeof(ifb), "bvifb%d", net_link_index(ctx, "r0", NULL));
        snprintf(redirect, sizeof(redirect), "mirred (Egress Redirect to device %s) stolen", ifb);
        tc_shows("filter show dev r0 ingress", "u32", redirect, "tc: r0's ingress redirected to its ifb");
        snprintf(cmd, sizeof(cmd), "qdisc show dev %s", ifb);
        tc_shows(cmd, "qdisc tbf 1: root", "rate 20Mbit burst 64Kb lat 50ms", "tc: tbf on the ifb at 20Mbit");
        got = measure(b, -1, "10.20.0.1", 3 * 1000 * 1000);
        if (!tap_ok(got > want * 0.8 && got < want * 1.2, "ingress: %.1f Mbit/s (limit %u)", got * 8 / 1e6, mbit)) {
                tn_run(-1, out, sizeof(out), "tc -s filter show dev r0 ingress; tc -s qdisc show");
                tap_diag("tc: %s", out);
        }

        tap_is_int(net_ratelimit_clear(ctx, "r0", &err), 0, "clear the limit");
        tn_run(-1, out, sizeof(out), "ip -o link | grep -c bvifb");
        tap_is_str(out, "0\n", "ifb removed");
        got = measure(-1, b, "10.20.0.2", 3 * 1000 * 1000);
        tap_ok(got > want * 2, "unlimited: %.1f Mbit/s", got * 8 / 1e6);
        tap_is_int(net_ratelimit_set(ctx, "r0", 0, NET_RATELIMIT_EGRESS, &err), -ERANGE, "0 Mbit/s refused");
        net_ctx_free(cb);
        close(b);
}

static void body(void)
{
        struct bv_error err = { 0 };

        if (system("ping -V >/dev/null 2>&1") != 0 && system("busybox ping 2>/dev/null; true") != 0)
                tap_skip_all("no ping");
        tap_is_int(net_ctx_new(-1, &ctx, &err), 0, "netlink context");
        test_ping();
        test_vlans();
        test_ratelimit();
        net_ctx_free(ctx);
}

int main(void)
{
        tn_main_in_netns(body);
}
