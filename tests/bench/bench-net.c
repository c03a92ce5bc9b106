/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net/ side by side with iproute2, in one run, inside the benchmark's own
 * network namespace (the host's links are never touched):
 *  - create a tap, attach it to a bridge, bring it up: median per tap via
 *    net_tap_open() vs `ip tuntap add` + `ip link set master` + `ip link
 *    set up` (three fork+execs, as a script would do it);
 *  - teardown of N links: one group delete (taps), or dropping the
 *    namespace that holds them (veths), amortized per link, vs deleting
 *    one by one;
 *  - RSS before and after 10 rounds of create + batched teardown;
 *  - a rate limit both ways on a port: net_ratelimit_set() vs the ip(8)
 *    and tc(8) commands that make the same ifb, qdiscs and redirect.
 * Prints `bench-net: <metric> <value> (<peer> <value>, ratio <x>)`.
 * BAREVIRT_BENCH_SMOKE=1: 10 links instead of 200.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "net/net.h"
#include "tests/bench/bench.h"

extern char **environ;

#define MAX_N 200

/* Runs argv[0] from PATH; returns its exit status or -1. */
static int run_argv(char *const argv[])
{
        int status;
        pid_t pid;

        if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
                return -1;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* run_argv() with the arguments given inline, ending with NULL (at most 7 in all). */
static int run(const char *a0, ...)
{
        char *argv[8];
        size_t n = 0;
        va_list ap;

        argv[n++] = (char *) a0;
        va_start(ap, a0);
        while (n < BV_ELEMENTSOF(argv) - 1 && (argv[n] = va_arg(ap, char *)) != NULL)
                n++;
        va_end(ap);
        argv[n] = NULL;
        return run_argv(argv);
}

static void die(const char *what, const struct bv_error *err)
{
        fprintf(stderr, "bench-net: %s: %s\n", what, err ? err->msg : strerror(errno));
        exit(1);
}

/* Makes n taps "<prefix><i>" on br0, up, in group; fds into fds; per-tap times into us. */
static void make_taps(struct net_ctx *ctx, const char *prefix, size_t n, uint32_t group, int *fds, uint64_t *us)
{
        struct net_tap_opts o = { .master = "br0", .up = true, .group = group };
        struct bv_error err = { 0 };
        char name[IFNAMSIZ];

        for (size_t i = 0; i < n; i++) {
                uint64_t t0 = bv_now_usec();
                snprintf(name, sizeof(name), "%s%zu", prefix, i);
                if (net_tap_open(ctx, name, &o, &fds[i], NULL, &err) < 0)
                        die("net_tap_open", &err);
                if (us)
                        us[i] = bv_now_usec() - t0;
        }
}

/* What a script runs for one port's limit both ways: the ifb, two tbfs, ingress and the redirect. */
static int tc_limit_both(const char *port, const char *ifb)
{
        char *p = (char *) port, *i = (char *) ifb;
        char *tbf_port[] = { "tc", "qdisc", "replace", "dev", p, "root", "handle", "1:", "tbf", "rate", "20mbit",
                             "burst", "65536", "limit", "190536", NULL };
        char *tbf_ifb[] = { "tc", "qdisc", "replace", "dev", i, "root", "handle", "1:", "tbf", "rate", "20mbit",
                            "burst", "65536", "limit", "190536", NULL };
        char *ingress[] = { "tc", "qdisc", "add", "dev", p, "handle", "ffff:", "ingress", NULL };
        char *redirect[] = { "tc", "filter", "add", "dev", p, "parent", "ffff:", "protocol", "all", "prio", "1",
                             "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev",
                             i, NULL };

        return run("ip", "link", "add", ifb, "type", "ifb", NULL) || run("ip", "link", "set", ifb, "up", NULL) ||
               run_argv(tbf_port) || run_argv(tbf_ifb) || run_argv(ingress) || run_argv(redirect);
}

/*
 * 5. A 20 Mbit/s limit both ways on a veth: net_ratelimit_set() vs the ip(8)
 * and tc(8) commands above (six fork+execs), each undone between rounds.
 */
static void bench_ratelimit(struct net_ctx *ctx, size_t rounds)
{
        struct net_veth_opts vo = { .peer = "rl1", .peer_netns_fd = -1, .up = true };
        uint64_t ours[MAX_N], theirs[MAX_N], t0;
        struct bv_error err = { 0 };
        char ifb[IFNAMSIZ];

        if (net_link_add_veth(ctx, "rl0", &vo, &err) < 0)
                die("veth", &err);
        snprintf(ifb, sizeof(ifb), "bvifb%d", net_link_index(ctx, "rl0", NULL));
        for (size_t i = 0; i < rounds; i++) {
                t0 = bv_now_usec();
                if (net_ratelimit_set(ctx, "rl0", 20, NET_RATELIMIT_EGRESS | NET_RATELIMIT_INGRESS, &err) < 0)
                        die("net_ratelimit_set", &err);
                ours[i] = bv_now_usec() - t0;
                if (net_ratelimit_clear(ctx, "rl0", &err) < 0)
                        die("net_ratelimit_clear", &err);
                t0 = bv_now_usec();
                if (tc_limit_both("rl0", ifb) != 0)
                        die("tc", NULL);
                theirs[i] = bv_now_usec() - t0;
                if (net_ratelimit_clear(ctx, "rl0", &err) < 0)
                        die("net_ratelimit_clear after tc", &err);
        }
        net_link_delete(ctx, "rl0", NULL);
        uint64_t m1 = bench_median(ours, rounds), m2 = bench_median(theirs, rounds);
        printf("bench-net: ratelimit_set_both_median_us %.1f (tc %.1f, ratio %.1f)\n", (double) m1, (double) m2,
               (double) m2 / (double) (m1 ? m1 : 1));
}

int main(void)
{
        const char *smoke = getenv("BAREVIRT_BENCH_SMOKE");
        size_t n = smoke && strcmp(smoke, "1") == 0 ? 10 : MAX_N;
        struct net_bridge_opts bo = { .up = true };
        struct bv_error err = { 0 };
        struct net_ctx *ctx = NULL, *inner = NULL;
        uint64_t ours[MAX_N], theirs[MAX_N], t0, group_us, netns_us, one_us;
        int fds[MAX_N], self, child;
        char name[IFNAMSIZ];
        long rss0 = -1, rss1;

        if (geteuid() != 0) {
                printf("bench-net: skipped (needs root)\n");
                return 0;
        }
        if (unshare(CLONE_NEWNET) < 0)
                die("unshare(CLONE_NEWNET)", NULL);
        if (net_ctx_new(-1, &ctx, &err) < 0 || net_link_add_bridge(ctx, "br0", &bo, &err) < 0)
                die("setup", &err);

        /* 1. create + attach + up, ours vs ip(8). */
        make_taps(ctx, "bt", n, 10, fds, ours);
        for (size_t i = 0; i < n; i++) {
                t0 = bv_now_usec();
                snprintf(name, sizeof(name), "it%zu", i);
                if (run("ip", "tuntap", "add", name, "mode", "tap", NULL) != 0 ||
                    run("ip", "link", "set", name, "master", "br0", NULL) != 0 ||
                    run("ip", "link", "set", name, "up", NULL) != 0)
                        die("ip", NULL);
                theirs[i] = bv_now_usec() - t0;
        }
        {
                uint64_t m1 = bench_median(ours, n), m2 = bench_median(theirs, n);
                printf("bench-net: tap_create_attach_up_median_us %.1f (ip %.1f, ratio %.1f)\n",
                       (double) m1, (double) m2, (double) m2 / (double) (m1 ? m1 : 1));
        }

        /* 2. teardown: one group request for our taps vs one by one for ip's. */
        t0 = bv_now_usec();
        if (net_link_delete_group(ctx, 10, &err) < 0)
                die("delete group", &err);
        for (size_t i = 0; i < n; i++)
                close(fds[i]);
        group_us = bv_now_usec() - t0;
        t0 = bv_now_usec();
        for (size_t i = 0; i < n; i++) {
                snprintf(name, sizeof(name), "it%zu", i);
                if (net_link_delete(ctx, name, &err) < 0)
                        die("delete", &err);
        }
        one_us = bv_now_usec() - t0;
        printf("bench-net: teardown_group_per_link_us %.1f (one_by_one %.1f, ratio %.1f)\n",
               (double) group_us / n, (double) one_us / n, (double) one_us / (double) (group_us ? group_us : 1));

        /* 3. teardown by dropping a namespace holding n veths (peers here, to watch them go). */
        self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (self < 0 || unshare(CLONE_NEWNET) < 0)
                die("unshare", NULL);
        child = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (child < 0 || setns(self, CLONE_NEWNET) < 0 || net_ctx_new(child, &inner, &err) < 0)
                die("child netns", &err);
        for (size_t i = 0; i < n; i++) {
                char peer[IFNAMSIZ];
                struct net_veth_opts vo = { .peer = peer, .peer_netns_fd = self };
                snprintf(name, sizeof(name), "nv%zu", i);
                snprintf(peer, sizeof(peer), "np%zu", i);
                if (net_link_add_veth(inner, name, &vo, &err) < 0)
                        die("veth", &err);
        }
        net_ctx_free(inner);
        t0 = bv_now_usec();
        close(child);           /* last reference: the kernel tears the namespace down */
        for (;;) {
                struct net_link *links = NULL;
                size_t nl = 0, left = 0;
                if (net_link_list(ctx, &links, &nl, &err) < 0)
                        die("list", &err);
                for (size_t i = 0; i < nl; i++)
                        left += strncmp(links[i].name, "np", 2) == 0;
                free(links);
                if (left == 0)
                        break;
                if (bv_now_usec() - t0 > 30000000)
                        die("netns teardown did not finish in 30 s", NULL);
                usleep(500);
        }
        netns_us = bv_now_usec() - t0;
        printf("bench-net: teardown_netns_per_link_us %.1f (one_by_one %.1f, ratio %.1f)\n",
               (double) netns_us / n, (double) one_us / n, (double) one_us / (double) (netns_us ? netns_us : 1));
        close(self);

        /* 4. RSS across 10 rounds of create + batched teardown. */
        /* Round 0 warms up (stack pages, allocator); rounds 1-10 are measured. */
        for (int round = 0; round <= 10; round++) {
                if (round == 1)
                        rss0 = bench_rss_kib(getpid());
                make_taps(ctx, "rt", n, 11, fds, NULL);
                if (net_link_delete_group(ctx, 11, &err) < 0)
                        die("delete group", &err);
                for (size_t i = 0; i < n; i++)
                        close(fds[i]);
        }
        rss1 = bench_rss_kib(getpid());
        printf("bench-net: rss_kib_after_10_rounds %ld (before %ld, ratio %.2f)\n", rss1, rss0,
               (double) rss1 / (double) (rss0 > 0 ? rss0 : 1));
        bench_ratelimit(ctx, n < 20 ? n : 20);
        net_ctx_free(ctx);
        return 0;
}
