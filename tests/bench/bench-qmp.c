/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Benchmarks of the QMP client, side by side with a peer in the same run:
 *
 *   1. query-status round trip against a real QEMU (TCG, started paused by
 *      this program with two QMP sockets): the library's blocking call
 *      (qmp_conn_call_sync: event loop, timer, id matching, parsing)
 *      against a minimal hand-written blocking loop that writes the same
 *      bytes (same ids: QEMU reads QMP input a byte per main-loop
 *      iteration, so every byte shows in the round trip) and reads up to
 *      the newline. Iterations alternate between the
 *      two so drift hits both alike. Target: median ratio <= 1.15.
 *   2. 10,000 events from the real QEMU (5,000 stop/cont pairs, each
 *      emitting STOP or RESUME), all delivered, RSS before and after.
 *   3. 10,000 events streamed back to back by a fake peer (a forked
 *      process on a socketpair, so reads merge many events), all delivered.
 *
 * Prints `bench-qmp: <metric> <value> (<peer> <value>, ratio <x>)` lines.
 * --smoke or BAREVIRT_BENCH_SMOKE=1 runs a few iterations only. Exits 1 if
 * an event is lost or a call fails; the ratio target is reported, not
 * enforced (timings on shared CI machines are noisy).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "qmp/qmp.h"
#include "tests/bench/bench.h"

static char tmpdir[] = "/tmp/bv-bench-qmp-XXXXXX";
static char sock_a[256], sock_b[256];
static pid_t qemu_pid = -1;

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static long rss_kib(void)
{
        char line[256];
        long v = -1;
        FILE *f = fopen("/proc/self/status", "re");

        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
                        break;
        fclose(f);
        return v;
}

static void cleanup(void)
{
        char cmd[300];

        if (qemu_pid > 0) {
                kill(qemu_pid, SIGKILL);
                waitpid(qemu_pid, NULL, 0);
        }
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
                fprintf(stderr, "bench-qmp: cannot remove %s\n", tmpdir);
}

static int start_qemu(void)
{
        char qa[300], qb[300];

        snprintf(sock_a, sizeof(sock_a), "%s/a.sock", tmpdir);
        snprintf(sock_b, sizeof(sock_b), "%s/b.sock", tmpdir);
        snprintf(qa, sizeof(qa), "unix:%s,server=on,wait=off", sock_a);
        snprintf(qb, sizeof(qb), "unix:%s,server=on,wait=off", sock_b);
        qemu_pid = fork();
        if (qemu_pid < 0)
                return -errno;
        if (qemu_pid == 0) {
                int nul = open("/dev/null", O_RDWR);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (nul >= 0) {
                        dup2(nul, 0);
                        dup2(nul, 1);
                }
                execlp("qemu-system-x86_64", "qemu-system-x86_64", "-accel", "tcg", "-m", "64", "-S",
                       "-nodefaults", "-no-user-config", "-display", "none", "-qmp", qa, "-qmp", qb,
                       (char *)NULL);
                _exit(127);
        }
        return 0;
}

/* The hand-written peer: blocking socket, read to '\n'. */
struct raw {
        int fd;
        char buf[65536];
        size_t len;
};

static int raw_readline(struct raw *r)
{
        for (;;) {
                char *nl = memchr(r->buf, '\n', r->len);
                if (nl) {
                        size_t l = (size_t)(nl - r->buf) + 1;
                        memmove(r->buf, r->buf + l, r->len - l);
                        r->len -= l;
                        return 0;
                }
                if (r->len == sizeof(r->buf))
                        return -EMSGSIZE;
                ssize_t n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
                if (n <= 0)
                        return n == 0 ? -ECONNRESET : -errno;
                r->len += (size_t)n;
        }
}

static int raw_connect(struct raw *r, const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        const char caps[] = "{\"execute\":\"qmp_capabilities\",\"id\":1}\n";

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        r->len = 0;
        if (r->fd < 0 || connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -errno;
        struct timeval tv = { .tv_sec = 10 };
        setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (raw_readline(r) < 0 || write(r->fd, caps, sizeof(caps) - 1) != (ssize_t)(sizeof(caps) - 1) ||
            raw_readline(r) < 0)
                return -EPROTO;
        return 0;
}

static int raw_query_status(struct raw *r, unsigned long long id)
{
        char line[128];
        int n = snprintf(line, sizeof(line), "{\"execute\":\"query-status\",\"id\":%llu}\n", id);

        if (write(r->fd, line, (size_t)n) != n)
                return -EIO;
        return raw_readline(r);
}

static unsigned n_events;
static void count_event(struct qmp_conn *c, const struct qmp_event *ev, void *ud)
{
        n_events++;
}

static int connect_lib(struct bv_loop *loop, const char *path, struct qmp_conn **ret)
{
        struct bv_error err = { 0 };
        int r = -ENOENT;

        for (int i = 0; i < 400; i++) {
                r = qmp_conn_connect(loop, path, NULL, ret, &err);
                if (r == 0)
                        break;
                usleep(25000);
        }
        if (r == 0)
                r = qmp_conn_wait_ready(*ret, 10000, &err);
        if (r < 0)
                fprintf(stderr, "bench-qmp: %s\n", err.msg);
        return r;
}

/* 3. A forked fake peer streams `count` events after its greeting. */
static int fake_peer_events(unsigned count, double *ret_ms, unsigned *ret_got)
{
        struct bv_loop *loop = NULL;
        struct qmp_conn *c = NULL;
        int sv[2];

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid == 0) {
                char buf[65536];
                const char greet[] = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, "
                                     "\"major\": 7}, \"package\": \"\"}, \"capabilities\": []}}\r\n";
                close(sv[0]);
                if (write(sv[1], greet, sizeof(greet) - 1) < 0 || read(sv[1], buf, sizeof(buf)) <= 0)
                        _exit(1);
                /* The reply to qmp_capabilities, then the stream, many events per write. */
                size_t len = (size_t)snprintf(buf, sizeof(buf), "{\"return\": {}, \"id\": 1}\r\n");
                for (unsigned i = 0; i < count; i++) {
                        char ev[256];
                        int n = snprintf(ev, sizeof(ev),
                                         "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": %u}, "
                                         "\"event\": \"%s\", \"data\": {\"n\": %u}}\r\n",
                                         i % 1000000, i % 2 ? "RESUME" : "STOP", i);
                        if (len + (size_t)n > sizeof(buf)) {
                                if (write(sv[1], buf, len) != (ssize_t)len)
                                        _exit(1);
                                len = 0;
                        }
                        memcpy(buf + len, ev, (size_t)n);
                        len += (size_t)n;
                }
                if (len && write(sv[1], buf, len) != (ssize_t)len)
                        _exit(1);
                /* Stay until the client closes. */
                while (read(sv[1], buf, sizeof(buf)) > 0)
                        ;
                _exit(0);
        }
        close(sv[1]);
        bv_loop_new(&loop, NULL);
        n_events = 0;
        uint64_t t0 = now_ns();
        int r = qmp_conn_new(loop, sv[0], NULL, &c, NULL);
        if (r == 0) {
                qmp_conn_set_event_cb(c, count_event, NULL);
                uint64_t end = bv_now_usec() + 30000000;
                while (n_events < count && bv_now_usec() < end && qmp_conn_is_open(c))
                        bv_loop_run_once(loop, 100000);
        }
        *ret_ms = (double)(now_ns() - t0) / 1e6;
        *ret_got = n_events;
        qmp_conn_free(c);
        bv_loop_free(loop);
        waitpid(pid, NULL, 0);
        return r;
}

int main(int argc, char **argv)
{
        const char *env = getenv("BAREVIRT_BENCH_SMOKE");
        bool smoke = (env && strcmp(env, "1") == 0) || (argc > 1 && strcmp(argv[1], "--smoke") == 0);
        unsigned iters = smoke ? 50 : 5000, warm = smoke ? 10 : 300;
        unsigned pairs = smoke ? 50 : 5000, fake = smoke ? 1000 : 10000;
        struct bv_loop *loop = NULL;
        struct qmp_conn *c = NULL;
        struct bv_error err = { 0 };
        struct raw raw = { .fd = -1 };
        int failed = 0;

        signal(SIGPIPE, SIG_IGN);
        if (system("command -v qemu-system-x86_64 >/dev/null 2>&1") != 0) {
                printf("bench-qmp: skipped (qemu-system-x86_64 not installed)\n");
                return 0;
        }
        if (!mkdtemp(tmpdir)) {
                perror("bench-qmp: mkdtemp");
                return 1;
        }
        atexit(cleanup);
        if (start_qemu() < 0 || bv_loop_new(&loop, &err) < 0 || connect_lib(loop, sock_a, &c) < 0) {
                fprintf(stderr, "bench-qmp: cannot start QEMU or connect\n");
                return 1;
        }
        if (raw_connect(&raw, sock_b) < 0) {
                fprintf(stderr, "bench-qmp: hand-written client cannot connect\n");
                return 1;
        }

        /* 1. Round trips, alternating. */
        uint64_t *lib_t = calloc(iters, sizeof(uint64_t)), *raw_t = calloc(iters, sizeof(uint64_t));
        if (!lib_t || !raw_t)
                return 1;
        /* The library numbers its commands from 1: the same ids, so the same bytes. */
        unsigned long long raw_id = 1;
        for (unsigned i = 0; i < warm + iters; i++) {
                /* Alternate which goes first, so neither always follows the other's wake-up. */
                bool lib_first = i % 2 == 0;
                uint64_t tl = 0, tr = 0;
                int r = 0, r2 = 0;
                for (int k = 0; k < 2; k++) {
                        if ((k == 0) == lib_first) {
                                json_t *ret = NULL;
                                uint64_t t0 = now_ns();
                                r = qmp_conn_call_sync(c, "query-status", NULL, 5000, &ret, &err);
                                tl = now_ns() - t0;
                                json_decref(ret);
                        } else {
                                uint64_t t0 = now_ns();
                                r2 = raw_query_status(&raw, raw_id++);
                                tr = now_ns() - t0;
                        }
                }
                if (r < 0 || r2 < 0) {
                        fprintf(stderr, "bench-qmp: query-status failed: %s / %d\n", err.msg, r2);
                        return 1;
                }
                if (i >= warm) {
                        lib_t[i - warm] = tl;
                        raw_t[i - warm] = tr;
                }
        }
        double lib_med = bench_median(lib_t, iters) / 1000.0, raw_med = bench_median(raw_t, iters) / 1000.0;
        double ratio = lib_med / raw_med;
        printf("bench-qmp: query-status-rtt-median-us %.1f (hand-written-loop %.1f, ratio %.3f)\n",
               lib_med, raw_med, ratio);
        printf("bench-qmp: query-status-rtt-p90-us %.1f (hand-written-loop %.1f, ratio %.3f)\n",
               (double)lib_t[iters * 9 / 10] / 1000.0, (double)raw_t[iters * 9 / 10] / 1000.0,
               (double)lib_t[iters * 9 / 10] / (double)raw_t[iters * 9 / 10]);
        printf("# %u iterations each; target ratio <= 1.15: %s\n", iters, ratio <= 1.15 ? "met" : "MISSED");
        free(lib_t);
        free(raw_t);
        /* The hand-written client would receive the events below too: close it first. */
        close(raw.fd);

        /* 2. Events from the real QEMU. */
        qmp_conn_set_event_cb(c, count_event, NULL);
        n_events = 0;
        long rss0 = rss_kib();
        uint64_t t0 = now_ns();
        for (unsigned i = 0; i < pairs; i++) {
                if (qmp_conn_call_sync(c, "cont", NULL, 5000, NULL, &err) < 0 ||
                    qmp_conn_call_sync(c, "stop", NULL, 5000, NULL, &err) < 0) {
                        fprintf(stderr, "bench-qmp: stop/cont failed: %s\n", err.msg);
                        return 1;
                }
        }
        /* STOP is sent before stop's reply, RESUME before cont's: all are in by now. */
        uint64_t end = bv_now_usec() + 5000000;
        while (n_events < 2 * pairs && bv_now_usec() < end)
                bv_loop_run_once(loop, 100000);
        double ev_ms = (double)(now_ns() - t0) / 1e6;
        long rss1 = rss_kib();
        printf("bench-qmp: qemu-events-delivered %u (qemu-sent %u, ratio %.3f)\n", n_events, 2 * pairs,
               (double)n_events / (2.0 * pairs));
        printf("bench-qmp: rss-kib-after-events %ld (before %ld, ratio %.3f)\n", rss1, rss0,
               (double)rss1 / (double)rss0);
        printf("# %u stop/cont pairs in %.0f ms\n", pairs, ev_ms);
        if (n_events != 2 * pairs)
                failed = 1;
        qmp_conn_free(c);
        bv_loop_free(loop);

        /* 3. A fake peer's burst. */
        double fake_ms = 0;
        unsigned got = 0;
        long rss2 = rss_kib();
        if (fake_peer_events(fake, &fake_ms, &got) < 0)
                failed = 1;
        long rss3 = rss_kib();
        printf("bench-qmp: fake-peer-events-delivered %u (sent %u, ratio %.3f)\n", got, fake,
               (double)got / fake);
        printf("bench-qmp: fake-peer-events-per-s %.0f (rss-kib %ld before %ld, ratio %.3f)\n",
               got / (fake_ms / 1000.0), rss3, rss2, (double)rss3 / (double)rss2);
        if (got != fake)
                failed = 1;
        return failed;
}
