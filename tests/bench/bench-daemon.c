/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirtd's own numbers, side by side with the floor they stand on:
 *   - cold start: exec of barevirtd to its first answered request (GET
 *     /v1/ping), and to the first GET /v1/host with and without a cached
 *     host probe;
 *   - GET /v1/host over one keep-alive connection from a C client (the
 *     HTTP client in common/), median of N, against a bare AF_UNIX
 *     ping-pong between two processes (the floor) and dockerd's /_ping when
 *     a Docker socket answers;
 *   - idle RSS and the shared objects barevirtd maps.
 * Targets from the foundation issue: RSS < 3 MiB, cold start < 20 ms,
 * /v1/host median < 100 us, <= 12 shared objects.
 * BAREVIRT_BENCH_SMOKE=1 runs a few iterations only.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "tests/bench/bench.h"

/* The floor: a one-byte ping-pong between two processes over AF_UNIX. */
static uint64_t pingpong_median(size_t iters)
{
        int sv[2];
        _cleanup_free_ uint64_t *t = calloc(iters, sizeof(*t));
        char b = 0;

        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
        pid_t pid = fork();
        if (pid == 0) {
                close(sv[0]);
                while (read(sv[1], &b, 1) == 1)
                        if (write(sv[1], &b, 1) != 1)
                                break;
                _exit(0);
        }
        close(sv[1]);
        for (size_t i = 0; i < iters; i++) {
                uint64_t s = bv_now_usec();
                if (write(sv[0], &b, 1) != 1 || read(sv[0], &b, 1) != 1)
                        break;
                t[i] = bv_now_usec() - s;
        }
        close(sv[0]);
        waitpid(pid, NULL, 0);
        return bench_median(t, iters);
}

/* Median of iters GETs of path over one keep-alive connection, or 0 on failure. */
static uint64_t get_median(const char *sock, const char *path, size_t iters)
{
        struct bv_loop *loop;
        struct bv_http_client *c;
        _cleanup_free_ uint64_t *t = calloc(iters, sizeof(*t));
        uint64_t res = 0;
        struct bv_http_client_request req = { .method = "GET", .path = path, .timeout_usec = 5000000 };

        bv_loop_new(&loop, NULL);
        bv_http_client_new(loop, sock, &c, NULL);
        size_t i;
        for (i = 0; i < iters; i++) {
                struct bv_http_response *r = NULL;
                uint64_t s = bv_now_usec();
                if (bv_http_client_call(c, &req, &r, NULL) < 0 || r->status >= 300) {
                        bv_http_response_free(r);
                        break;
                }
                t[i] = bv_now_usec() - s;
                bv_http_response_free(r);
        }
        if (i == iters)
                res = bench_median(t, iters);
        bv_http_client_free(c);
        bv_loop_free(loop);
        return res;
}

int main(void)
{
        const char *builddir = getenv("top_builddir") ?: ".";
        bool smoke = getenv("BAREVIRT_BENCH_SMOKE") != NULL;
        size_t iters = smoke ? 50 : 1000;
        int runs = smoke ? 2 : 10;
        char bin[1024], dir[] = "/tmp/bv-bench-daemon.XXXXXX", sock[512], cmd[1200];

        snprintf(bin, sizeof(bin), "%s/tools/barevirtd", builddir);
        if (access(bin, X_OK) < 0 || !mkdtemp(dir)) {
                fprintf(stderr, "bench-daemon: %s not built\n", bin);
                return 1;
        }
        snprintf(sock, sizeof(sock), "%s/api.sock", dir);

        /* Cold start, no cached probe: first /v1/ping, then first /v1/host. */
        uint64_t ping_t[10], host_cold = 0, host_cached_t[10];
        for (int i = 0; i < runs; i++) {
                snprintf(cmd, sizeof(cmd), "rm -rf %s/run %s/state", dir, dir);
                if (system(cmd) != 0)
                        return 1;
                uint64_t t0 = bv_now_usec();
                pid_t pid = bench_daemon_start(bin, dir, NULL);
                int64_t a = bench_time_to_answer(sock, "/v1/ping", t0);
                int64_t h = bench_time_to_answer(sock, "/v1/host", t0);
                bench_daemon_stop(pid);
                if (a < 0 || h < 0) {
                        fprintf(stderr, "bench-daemon: barevirtd did not answer\n");
                        return 1;
                }
                ping_t[i] = (uint64_t)a;
                host_cold = (uint64_t)h;
                /* Same run dir again: the probe is cached now. */
                t0 = bv_now_usec();
                pid = bench_daemon_start(bin, dir, NULL);
                h = bench_time_to_answer(sock, "/v1/host", t0);
                bench_daemon_stop(pid);
                host_cached_t[i] = h < 0 ? 0 : (uint64_t)h;
        }
        /* The floor under any cold start on this machine now: exec of the same binary doing nothing. */
        uint64_t exec_t[10];
        for (int i = 0; i < runs; i++) {
                uint64_t t0 = bv_now_usec();
                pid_t pid = fork();
                if (pid == 0) {
                        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
                        dup2(null, 1);
                        execl(bin, bin, "--version", NULL);
                        _exit(127);
                }
                waitpid(pid, NULL, 0);
                exec_t[i] = bv_now_usec() - t0;
        }
        double floor_ms = bench_median(exec_t, runs) / 1000.0;
        bench_line("bench-daemon", "cold start to first answer", bench_median(ping_t, runs) / 1000.0, "ms",
                   "exec of barevirtd --version", floor_ms, 20);
        bench_line("bench-daemon", "cold start to /v1/host (cached)", bench_median(host_cached_t, runs) / 1000.0, "ms",
                   "exec of barevirtd --version", floor_ms, 20);
        bench_line("bench-daemon", "cold start to /v1/host (probing)", host_cold / 1000.0, "ms", NULL, 0, 0);

        pid_t pid = bench_daemon_start(bin, dir, NULL);
        if (bench_time_to_answer(sock, "/v1/host", bv_now_usec()) < 0)
                return 1;
        uint64_t host = get_median(sock, "/v1/host", iters);
        uint64_t ping = get_median(sock, "/v1/ping", iters);
        uint64_t floor = pingpong_median(iters);
        uint64_t docker = get_median("/var/run/docker.sock", "/_ping", smoke ? 10 : 200);
        bench_line("bench-daemon", "GET /v1/host keep-alive median", (double)host, "us", "AF_UNIX ping-pong", (double)floor, 100);
        bench_line("bench-daemon", "GET /v1/ping keep-alive median", (double)ping, "us", "AF_UNIX ping-pong", (double)floor, 0);
        if (docker)
                bench_line("bench-daemon", "GET /v1/host vs dockerd /_ping", (double)host, "us", "dockerd /_ping", (double)docker, 0);
        else
                printf("bench-daemon: dockerd /_ping                       n/a (no dockerd on /var/run/docker.sock)\n");
        usleep(200000);
        bench_line("bench-daemon", "idle RSS", bench_rss_kib(pid) / 1024.0, "MiB", NULL, 0, 3);
        bench_line("bench-daemon", "shared objects mapped", bench_shared_objects(pid), "", NULL, 0, 13);
        bench_daemon_stop(pid);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        return system(cmd) == 0 ? 0 : 1;
}
