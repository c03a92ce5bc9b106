/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net/'s nftables batches side by side with nft(8), in one run, inside the
 * benchmark's own network namespace:
 *  - applying a NAT network with 1,000 port forwards as
 *    one batch (1,000 DNAT rules in chain forwards), net_nft_apply() from a fresh net_nft (the atomic replace),
 *    vs `nft -f` of the equivalent ruleset text (the same tables, chains
 *    and rules, with the same add/delete/add replace), target ratio 0.5x;
 *  - adding one forward to a table that holds 1,000: net_nft_apply() of
 *    the ruleset plus one (appended) vs `nft -f` adding the rule,
 *    target 5 ms.
 * Medians over the rounds. BAREVIRT_BENCH_SMOKE=1: one round of 100.
 */
#include <arpa/inet.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "net/net.h"
#include "tests/bench/bench.h"

extern char **environ;

#define MAX_ROUNDS 7
#define NFT_FILE "/tmp/bench-nft.nft"

static struct net_nft_network net;
static struct net_nft_forward *fws;

static void die(const char *what, const struct bv_error *err)
{
        fprintf(stderr, "bench-nft: %s: %s\n", what, err ? err->msg : "failed");
        exit(1);
}

static int nft_file(void)
{
        char *argv[] = { "nft", "-f", NFT_FILE, NULL };
        int status;
        pid_t pid;

        if (posix_spawnp(&pid, "nft", NULL, NULL, argv, environ) != 0)
                return -1;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void forward_text(FILE *f, size_t i, bool add)
{
        char to[INET_ADDRSTRLEN];

        inet_ntop(AF_INET, &fws[i].to, to, sizeof(to));
        fprintf(f, "%stcp dport %u dnat ip to %s:80\n", add ? "add rule inet bvnft forwards " : "\t\t", fws[i].port, to);
}

/* The ruleset text of net_nft_apply()'s replace for forwards [0, n), or (add) just forward n. */
static void write_text(size_t n, bool add)
{
        static const char *const chains[][2] = {
                { "prerouting", "nat hook prerouting priority -100" },
                { "output", "nat hook output priority -100" },
        };
        FILE *f = fopen(NFT_FILE, "w");

        if (!f)
                die("fopen", NULL);
        if (add) {
                forward_text(f, n, true);
                fclose(f);
                return;
        }
        fprintf(f, "table inet bvnft\ndelete table inet bvnft\ntable bridge bvnft\ndelete table bridge bvnft\n"
                   "table bridge bvnft {\n}\ntable inet bvnft {\n");
        fprintf(f, "\tchain forwards {\n");
        for (size_t i = 0; i < n; i++)
                forward_text(f, i, false);
        fprintf(f, "\t}\n");
        for (size_t c = 0; c < 2; c++)
                fprintf(f, "\tchain %s {\n\t\ttype %s; policy accept;\n\t\tmeta nfproto ipv4 fib daddr type local %sjump forwards\n\t}\n",
                        chains[c][0], chains[c][1], c ? "ip daddr != 127.0.0.0/8 " : "");
        fprintf(f, "\tchain postrouting {\n\t\ttype nat hook postrouting priority 100; policy accept;\n"
                   "\t\tmeta nfproto ipv4 ip saddr 10.77.0.0/16 oifname != \"br0\" masquerade\n"
                   "\t\tmeta nfproto ipv4 ip saddr 10.77.0.0/16 oifname \"br0\" ct status dnat masquerade\n\t}\n"
                   "\tchain forward {\n\t\ttype filter hook forward priority 0; policy accept;\n"
                   "\t\tiifname \"br0\" accept\n\t\toifname \"br0\" ct state established,related accept\n"
                   "\t\toifname \"br0\" ct status dnat accept\n\t}\n}\n");
        fclose(f);
}

int main(void)
{
        size_t n = bench_smoke() ? 100 : 1000, rounds = bench_smoke() ? 1 : MAX_ROUNDS;
        uint64_t ours[MAX_ROUNDS], theirs[MAX_ROUNDS], add_ours[MAX_ROUNDS], add_theirs[MAX_ROUNDS], t0;
        struct bv_error err = { 0 };
        struct net_nft_ruleset rs = { .networks = &net, .n_networks = 1 };
        struct net_nft *nft = NULL;

        if (geteuid() != 0) {
                printf("bench-nft: skipped (needs root)\n");
                return 0;
        }
        if (system("nft --version >/dev/null 2>&1") != 0) {
                printf("bench-nft: skipped (no nft: Debian package nftables)\n");
                return 0;
        }
        if (unshare(CLONE_NEWNET) < 0)
                die("unshare(CLONE_NEWNET)", NULL);
        net = (struct net_nft_network) { .bridge = "br0", .has_subnet4 = true, .nat = true };
        net_cidr_parse("10.77.0.0/16", true, &net.subnet4, NULL);
        fws = calloc(n + MAX_ROUNDS + 1, sizeof(*fws));
        for (size_t i = 0; i < n + MAX_ROUNDS + 1; i++) {
                fws[i] = (struct net_nft_forward) { .proto = IPPROTO_TCP, .port = (uint16_t) (10000 + i), .to_port = 80,
                                                    .bridge = "br0" };
                fws[i].to.s_addr = htonl(0x0a4d0000u + 2 + (uint32_t) i);
        }

        for (size_t r = 0; r < rounds; r++) {
                rs.forwards = fws;
                rs.n_forwards = n;
                t0 = bv_now_usec();
                if (net_nft_new(-1, "bvbench", &nft, &err) < 0 || net_nft_apply(nft, &rs, &err) < 0)
                        die("net_nft_apply", &err);
                ours[r] = bv_now_usec() - t0;

                rs.n_forwards = n + 1;
                t0 = bv_now_usec();
                if (net_nft_apply(nft, &rs, &err) < 0)
                        die("net_nft_apply + 1", &err);
                add_ours[r] = bv_now_usec() - t0;
                nft = net_nft_free(nft);

                write_text(n, false);
                t0 = bv_now_usec();
                if (nft_file() != 0)
                        die("nft -f (replace)", NULL);
                theirs[r] = bv_now_usec() - t0;
                write_text(n, true);
                t0 = bv_now_usec();
                if (nft_file() != 0)
                        die("nft -f (add one)", NULL);
                add_theirs[r] = bv_now_usec() - t0;
        }
        {
                char metric[64];
                double m1 = (double) bench_median(ours, rounds) / 1000, m2 = (double) bench_median(theirs, rounds) / 1000;
                snprintf(metric, sizeof(metric), "apply_%zu_forwards_ms", n);
                bench_line("bench-nft", metric, m1, "ms", "nft -f", m2, 0);
                printf("bench-nft: %-36s %9.2f x    target < 0.5: %s\n", "apply_ratio_vs_nft", m1 / m2,
                       m1 / m2 < 0.5 ? "ok" : "MISSED");
                snprintf(metric, sizeof(metric), "add_one_to_%zu_forwards_ms", n);
                bench_line("bench-nft", metric, (double) bench_median(add_ours, rounds) / 1000, "ms", "nft -f",
                           (double) bench_median(add_theirs, rounds) / 1000, 5);
        }
        unlink(NFT_FILE);
        free(fws);
        return 0;
}
