/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VMs through barevirtd, side by side with QEMU launched by hand:
 *   - start latency: API request to QMP "running", against forking the very
 *     same qemu argv (read back from /proc) and waiting for the same state
 *     over QMP (target: barevirt adds at most 5 ms);
 *   - a QMP command through the daemon (POST /v1/vms/NAME/qmp) against the
 *     raw QMP round trip on a QEMU of our own (target: +20 us at most), and
 *     against the same round trip through a do-nothing relay process: the
 *     machine's cost of any process in the path (two more wake-ups), so
 *     that daemon minus relay is barevirtd's own work;
 *   - barevirtd's RSS with N running VMs (target < 4 MiB with 20), QEMU's
 *     RSS as launched by barevirt against by hand, and GET /v1/vms while one
 *     QEMU is SIGSTOPped (target < 50 ms).
 * Runs the tiny guest from tools/mkguest (built if missing), under TCG.
 * BAREVIRT_BENCH_SMOKE=1: fewer runs and VMs.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "qmp/qmp.h"
#include "tests/bench/bench.h"

static struct bv_loop *loop;
static struct bv_http_client *api;

static int call(const char *method, const char *path, const char *body, json_t **ret)
{
        struct bv_http_response *r = NULL;
        struct bv_error err = {};
        struct bv_http_client_request req = {
                .method = method, .path = path, .content_type = body ? "application/json" : NULL,
                .body = body, .body_len = body ? strlen(body) : 0, .timeout_usec = 120000000,
        };
        int rc = bv_http_client_call(api, &req, &r, &err);
        if (rc < 0) {
                fprintf(stderr, "bench-vm: %s %s: %s\n", method, path, err.msg);
                return rc;
        }
        rc = r->status < 300 ? 0 : -EIO;
        if (rc < 0)
                fprintf(stderr, "bench-vm: %s %s: HTTP %d %s\n", method, path, r->status, r->body ? r->body : "");
        if (ret && r->body)
                bv_json_loadb(r->body, r->body_len, 1 << 24, 0, ret, NULL);
        bv_http_response_free(r);
        return rc;
}

/* The argv of a running pid, with the run-dir paths of name moved to dir. NULL-terminated. */
static char **argv_of(pid_t pid, const char *from, const char *to)
{
        char path[64];
        _cleanup_free_ char *buf = NULL;
        size_t len, n = 0;

        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
        if (bv_file_read(path, 1 << 20, &buf, &len, NULL) < 0)
                return NULL;
        char **argv = calloc(256, sizeof(char *));
        for (size_t i = 0; i < len && n < 255; i += strlen(buf + i) + 1) {
                const char *a = buf + i, *hit;
                char *out = malloc(strlen(a) * 2 + strlen(to) + 8), *o = out;
                while ((hit = strstr(a, from))) {
                        memcpy(o, a, (size_t)(hit - a));
                        o += hit - a;
                        o = stpcpy(o, to);
                        a = hit + strlen(from);
                }
                strcpy(o, a);
                argv[n++] = out;
        }
        return argv;
}

static pid_t spawn(char **argv)
{
        pid_t pid = fork();
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR);
                dup2(null, 0);
                dup2(null, 1);
                dup2(null, 2);
                setsid();
                execv(argv[0], argv);
                _exit(127);
        }
        return pid;
}

/* Polls path until QMP answers query-status with running; returns the connection. */
static struct qmp_conn *wait_running(const char *path, uint64_t timeout_usec)
{
        uint64_t end = bv_now_usec() + timeout_usec;
        struct qmp_conn *c = NULL;

        while (bv_now_usec() < end) {
                if (qmp_conn_connect(loop, path, NULL, &c, NULL) == 0 && qmp_conn_wait_ready(c, 5000, NULL) == 0) {
                        struct qmp_status st;
                        if (qmp_status_query(c, 5000, &st, NULL) == 0 && st.running)
                                return c;
                }
                c = qmp_conn_free(c);
                usleep(1000);
        }
        return NULL;
}

/*
 * A forked relay that copies bytes between one client of listen_path and the
 * QMP socket qemu_path (poll, read, write: the same three calls per hop as
 * barevirtd's loop, and no parsing at all).
 */
static pid_t relay_start(const char *listen_path, const char *qemu_path)
{
        int lfd = bv_unix_listen(listen_path, 0600, NULL);
        if (lfd < 0)
                return -1;
        pid_t pid = fork();
        if (pid != 0) {
                close(lfd);
                return pid;
        }
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        struct pollfd p[2] = { { .fd = -1, .events = POLLIN }, { .fd = -1, .events = POLLIN } };
        p[0].fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        p[1].fd = bv_unix_connect(qemu_path, 0, NULL);
        if (p[0].fd < 0 || p[1].fd < 0 || fcntl(p[0].fd, F_SETFL, 0) < 0)
                _exit(1);
        static char buf[65536];
        while (poll(p, 2, -1) > 0)
                for (int i = 0; i < 2; i++) {
                        if (!p[i].revents)
                                continue;
                        ssize_t n = read(p[i].fd, buf, sizeof(buf));
                        if (n <= 0 || write(p[1 - i].fd, buf, (size_t)n) != n)
                                _exit(0);
                }
        _exit(1);
}

static void stop_pid(pid_t pid)
{
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

/* What the steps below share. */
struct run {
        char dir[32];                  /* the private barevirtd's state, run dir and socket */
        char kernel[1024], initrd[1024];
        bool smoke;
        int runs, qmp_iters, nvms;
        pid_t daemon;
        char **argv;                   /* b0's QEMU argv, to run by hand with its sockets in DIR/hand */
        char qmp_path[600];            /* the QMP socket of QEMU run by hand */
        pid_t qpid;                    /* b0's QEMU as barevirtd launched it */
};

/* The guest from tools/mkguest, built when missing. */
static int guest_ready(struct run *r)
{
        const char *builddir = getenv("top_builddir") ?: ".";
        const char *srcdir = getenv("top_srcdir") ?: ".";
        char cmd[4096];

        snprintf(r->kernel, sizeof(r->kernel), "%s/build/guest/vmlinuz", builddir);
        snprintf(r->initrd, sizeof(r->initrd), "%s/build/guest/initramfs.cpio.gz", builddir);
        if (access(r->kernel, R_OK) < 0) {
                snprintf(cmd, sizeof(cmd), "sh %s/tools/mkguest --out %s/build/guest >/dev/null", srcdir, builddir);
                if (system(cmd) != 0) {
                        fprintf(stderr, "bench-vm: cannot build the guest\n");
                        return -1;
                }
        }
        return 0;
}

/* A private barevirtd on DIR/api.sock, answering. */
static int daemon_up(struct run *r)
{
        const char *builddir = getenv("top_builddir") ?: ".";
        char bin[1024], sock[512];

        snprintf(bin, sizeof(bin), "%s/tools/barevirtd", builddir);
        snprintf(sock, sizeof(sock), "%s/api.sock", r->dir);
        r->daemon = bench_daemon_start(bin, r->dir, NULL);
        bv_loop_new(&loop, NULL);
        bv_http_client_new(loop, sock, &api, NULL);
        return bench_time_to_answer(sock, "/v1/ping", bv_now_usec()) < 0 ? -1 : 0;
}

/* Creates b0 and starts it once (not timed: the first start also waits for the host probe), to read its argv. */
static int b0_argv(struct run *r)
{
        char cmd[4096], from[512], to[512];
        json_auto_t *first = NULL;

        /* b0 has a second QMP monitor, so raw QMP can be timed against the very same QEMU. */
        snprintf(cmd, sizeof(cmd), "{\"name\":\"b0\",\"memory\":128,\"kernel\":\"%s\",\"initrd\":\"%s\","
                 "\"cmdline\":\"console=ttyS0 quiet\",\"extra_args\":[\"-qmp\",\"unix:%s/run/vms/b0/raw.sock,server=on,wait=off\","
                 "\"-qmp\",\"unix:%s/run/vms/b0/raw2.sock,server=on,wait=off\"]}",
                 r->kernel, r->initrd, r->dir, r->dir);
        if (call("POST", "/v1/vms", cmd, NULL) < 0 || call("POST", "/v1/vms/b0/start", NULL, &first) < 0)
                return -1;
        r->qpid = (pid_t)json_integer_value(json_object_get(first, "pid"));
        /* The same argv by hand, with its sockets in a directory of ours. */
        snprintf(from, sizeof(from), "%s/run/vms/b0", r->dir);
        snprintf(to, sizeof(to), "%s/hand", r->dir);
        mkdir(to, 0700);
        r->argv = argv_of(r->qpid, from, to);
        snprintf(r->qmp_path, sizeof(r->qmp_path), "%s/qmp.sock", to);
        return !r->argv || call("POST", "/v1/vms/b0/kill", NULL, NULL) < 0 ? -1 : 0;
}

/* Start latency: barevirt against the same argv by hand, one QEMU at a time, so neither competes with the other's boot. */
static int start_latency(struct run *r)
{
        uint64_t bv_t[16], hand_t[16];

        for (int i = 0; i < r->runs; i++) {
                uint64_t t0 = bv_now_usec();
                json_auto_t *vm = NULL;
                if (call("POST", "/v1/vms/b0/start", NULL, &vm) < 0)
                        return -1;
                bv_t[i] = bv_now_usec() - t0;
                r->qpid = (pid_t)json_integer_value(json_object_get(vm, "pid"));
                if (call("POST", "/v1/vms/b0/kill", NULL, NULL) < 0)
                        return -1;
                unlink(r->qmp_path);
                t0 = bv_now_usec();
                pid_t hpid = spawn(r->argv);
                struct qmp_conn *hand = wait_running(r->qmp_path, 60000000);
                hand_t[i] = bv_now_usec() - t0;
                if (!hand)
                        return -1;
                qmp_conn_free(hand);
                stop_pid(hpid);
        }
        double bvm = bench_median(bv_t, r->runs) / 1000.0, hm = bench_median(hand_t, r->runs) / 1000.0;
        bench_line("bench-vm", "start to QMP running", bvm, "ms", "same argv by hand", hm, 0);
        bench_line("bench-vm", "barevirt's added start latency", bvm - hm, "ms", NULL, 0, 5);
        return 0;
}

/* query-status through barevirtd, on b0's first raw monitor, and through the relay on its second, alternating. */
static int time_qmp(struct run *r, struct qmp_conn *raw, struct qmp_conn *relayed)
{
        size_t n = (size_t)r->qmp_iters;
        _cleanup_free_ uint64_t *dq = calloc(n, sizeof(uint64_t));
        _cleanup_free_ uint64_t *rq = calloc(n, sizeof(uint64_t));
        _cleanup_free_ uint64_t *lq = calloc(n, sizeof(uint64_t));

        for (size_t i = 0; i < n; i++) {
                uint64_t t0 = bv_now_usec();
                if (call("POST", "/v1/vms/b0/qmp", "{\"command\":\"query-status\"}", NULL) < 0)
                        return -1;
                dq[i] = bv_now_usec() - t0;
                t0 = bv_now_usec();
                if (qmp_conn_call_sync(raw, "query-status", NULL, 5000, NULL, NULL) < 0)
                        return -1;
                rq[i] = bv_now_usec() - t0;
                t0 = bv_now_usec();
                if (qmp_conn_call_sync(relayed, "query-status", NULL, 5000, NULL, NULL) < 0)
                        return -1;
                lq[i] = bv_now_usec() - t0;
        }
        double dqm = (double)bench_median(dq, n), rqm = (double)bench_median(rq, n);
        bench_line("bench-vm", "query-status through barevirtd", dqm, "us", "raw QMP, same QEMU", rqm, 0);
        double lqm = (double)bench_median(lq, n);
        bench_line("bench-vm", "barevirtd's added QMP latency", dqm - rqm, "us", NULL, 0, 20);
        bench_line("bench-vm", "query-status via do-nothing relay", lqm, "us", "raw QMP", rqm, 0);
        bench_line("bench-vm", "barevirtd's own QMP work", dqm - lqm, "us", NULL, 0, 20);
        return 0;
}

/*
 * QMP through the daemon against raw QMP on b0's second monitor: the
 * same QEMU, alternating, once the guest is up (and a hand-launched
 * twin for the memory comparison at the end).
 */
static int qmp_latency(struct run *r)
{
        json_auto_t *vm = NULL;
        char raw_path[600], relay_path[600], raw2_path[600];

        unlink(r->qmp_path);
        pid_t hpid = spawn(r->argv);
        struct qmp_conn *hand = wait_running(r->qmp_path, 60000000);
        if (!hand || call("POST", "/v1/vms/b0/start", NULL, &vm) < 0)
                return -1;
        qmp_conn_free(hand);
        r->qpid = (pid_t)json_integer_value(json_object_get(vm, "pid"));
        snprintf(raw_path, sizeof(raw_path), "%s/run/vms/b0/raw.sock", r->dir);
        struct qmp_conn *raw = wait_running(raw_path, 60000000), *relayed = NULL;
        snprintf(raw2_path, sizeof(raw2_path), "%s/run/vms/b0/raw2.sock", r->dir);
        snprintf(relay_path, sizeof(relay_path), "%s/relay.sock", r->dir);
        pid_t relay = raw ? relay_start(relay_path, raw2_path) : -1;
        if (relay > 0)
                relayed = wait_running(relay_path, 60000000);
        if (!raw || !relayed)
                return -1;
        sleep(r->smoke ? 3 : 8);
        if (time_qmp(r, raw, relayed) < 0)
                return -1;
        /* QEMU memory: launched by barevirt vs by hand, both booted about the same time ago. */
        bench_line("bench-vm", "QEMU RSS as launched by barevirt", bench_rss_kib(r->qpid) / 1024.0, "MiB",
                   "by hand", bench_rss_kib(hpid) / 1024.0, 0);
        qmp_conn_free(raw);
        qmp_conn_free(relayed);
        stop_pid(relay);
        stop_pid(hpid);
        return 0;
}

/* Many VMs: daemon RSS, and listing while one QEMU is stopped dead. */
static int many_vms(struct run *r)
{
        char cmd[4096], path[64], metric[64];
        uint64_t lt[16];

        for (int i = 1; i < r->nvms; i++) {
                snprintf(cmd, sizeof(cmd), "{\"name\":\"b%d\",\"memory\":64,\"kernel\":\"%s\",\"initrd\":\"%s\","
                         "\"cmdline\":\"console=ttyS0 quiet\"}", i, r->kernel, r->initrd);
                snprintf(path, sizeof(path), "/v1/vms/b%d/start", i);
                if (call("POST", "/v1/vms", cmd, NULL) < 0 || call("POST", path, NULL, NULL) < 0)
                        return -1;
        }
        snprintf(metric, sizeof(metric), "barevirtd RSS with %d VMs", r->nvms);
        bench_line("bench-vm", metric, bench_rss_kib(r->daemon) / 1024.0, "MiB", NULL, 0, 4);
        kill(r->qpid, SIGSTOP);
        for (int i = 0; i < 5; i++) {
                uint64_t t0 = bv_now_usec();
                call("GET", "/v1/vms", NULL, NULL);
                lt[i] = bv_now_usec() - t0;
        }
        kill(r->qpid, SIGCONT);
        bench_line("bench-vm", "GET /v1/vms with a SIGSTOPped QEMU", bench_median(lt, 5) / 1000.0, "ms", NULL, 0, 50);
        return 0;
}

/* Kills every VM, stops barevirtd, removes DIR. */
static int finish(struct run *r)
{
        char path[64], cmd[128];

        for (int i = 0; i < r->nvms; i++) {
                snprintf(path, sizeof(path), "/v1/vms/b%d/kill", i);
                call("POST", path, NULL, NULL);
        }
        bv_http_client_free(api);
        bv_loop_free(loop);
        bench_daemon_stop(r->daemon);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", r->dir);
        return system(cmd) == 0 ? 0 : 1;
}

int main(void)
{
        bool smoke = bench_smoke();
        struct run r = {
                .dir = "/tmp/bv-bench-vm.XXXXXX", .smoke = smoke,
                .runs = smoke ? 2 : 7, .qmp_iters = smoke ? 50 : 500, .nvms = smoke ? 2 : 20,
        };

        if (guest_ready(&r) < 0)
                return 1;
        if (access("/usr/bin/qemu-system-x86_64", X_OK) < 0 || !mkdtemp(r.dir)) {
                printf("bench-vm: skipped (no qemu-system-x86_64)\n");
                return 0;
        }
        if (daemon_up(&r) < 0 || b0_argv(&r) < 0 || start_latency(&r) < 0 || qmp_latency(&r) < 0 ||
            many_vms(&r) < 0)
                return 1;
        return finish(&r);
}
