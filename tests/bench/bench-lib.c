/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the benchmarks: see bench.h. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "tests/bench/bench.h"

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

uint64_t bench_median(uint64_t *v, size_t n)
{
        if (n == 0)
                return 0;
        qsort(v, n, sizeof(*v), cmp_u64);
        return v[n / 2];
}

bool bench_smoke(void)
{
        return getenv("BAREVIRT_BENCH_SMOKE") != NULL;
}

pid_t bench_daemon_start(const char *bin, const char *dir, const char *const *extra)
{
        char state[512], run[512], sock[512];
        const char *argv[32] = { bin, "-q", "--state-dir", state, "--run-dir", run, "--socket", sock };
        size_t n = 8;

        snprintf(state, sizeof(state), "%s/state", dir);
        snprintf(run, sizeof(run), "%s/run", dir);
        snprintf(sock, sizeof(sock), "%s/api.sock", dir);
        for (; extra && *extra && n < 31; extra++)
                argv[n++] = *extra;
        argv[n] = NULL;
        pid_t pid = fork();
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);
                dup2(null, 2);
                execv(bin, (char *const *)argv);
                _exit(127);
        }
        return pid;
}

void bench_daemon_stop(pid_t pid)
{
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
}

int64_t bench_time_to_answer(const char *sock, const char *path, uint64_t t0)
{
        struct bv_loop *loop;
        struct bv_http_client *c;
        struct bv_http_response *r = NULL;
        int64_t res = -1;

        bv_loop_new(&loop, NULL);
        bv_http_client_new(loop, sock, &c, NULL);
        struct bv_http_client_request req = { .method = "GET", .path = path, .timeout_usec = 15000000 };
        while (bv_now_usec() - t0 < 10000000) {
                if (bv_http_client_call(c, &req, &r, NULL) == 0) {
                        res = (int64_t)(bv_now_usec() - t0);
                        bv_http_response_free(r);
                        break;
                }
                usleep(100);
        }
        bv_http_client_free(c);
        bv_loop_free(loop);
        return res;
}

int bench_shared_objects(pid_t pid)
{
        char path[64], line[512], seen[64][256];
        int n = 0;

        snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
        FILE *f = fopen(path, "re");
        while (f && fgets(line, sizeof(line), f)) {
                char *so = strchr(line, '/');
                if (!so || !strstr(so, ".so"))
                        continue;
                so[strcspn(so, "\n")] = 0;
                bool dup = false;
                for (int i = 0; i < n; i++)
                        dup |= strcmp(seen[i], so) == 0;
                if (!dup && n < 64)
                        snprintf(seen[n++], sizeof(seen[0]), "%s", so);
        }
        if (f)
                fclose(f);
        return n;
}

long bench_rss_kib(pid_t pid)
{
        char path[64], line[256];
        long kib = -1;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        FILE *f = fopen(path, "re");
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %ld", &kib) == 1)
                        break;
        if (f)
                fclose(f);
        return kib;
}

void bench_line(const char *prefix, const char *metric, double v, const char *unit, const char *peer,
                double pv, double target)
{
        printf("%s: %-36s %9.2f %-4s", prefix, metric, v, unit);
        if (peer && pv > 0)
                printf(" (%s %.2f %s, ratio %.2fx)", peer, pv, unit, v / pv);
        if (target > 0)
                printf(" target < %g: %s", target, v < target ? "ok" : "MISSED");
        printf("\n");
        fflush(stdout);
        /* make bench collects every figure for its closing table and BAREVIRT_BENCH_JSON. */
        const char *record = getenv("BAREVIRT_BENCH_RECORD");
        FILE *f = record && *record ? fopen(record, "ae") : NULL;
        if (!f)
                return;
        bool cmp = peer && pv > 0;
        fprintf(f, "%s\t%s\t%.3f\t%s\t%s\t%.3f\t%.3f\t%g\t%s\n", prefix, metric, v, unit, cmp ? peer : "-",
                cmp ? pv : 0.0, cmp ? v / pv : 0.0, target > 0 ? target : 0.0,
                target > 0 ? (v < target ? "ok" : "MISSED") : "-");
        fclose(f);
}
