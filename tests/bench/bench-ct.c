/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt containers side by side with Podman and Docker, in one run, in
 * the benchmark's own network namespace (a private barevirtd inherits it):
 *  - start of an app container (/bin/true, busybox image, no network)
 *    through barevirtd, from the start request to the exit recorded (the
 *    "stopped" line on /v1/events), vs `podman run --rm` (runc, private
 *    storage) and `docker run --rm` (a private dockerd) of the same image;
 *  - network attach (veth into the netns, bridge port, address, up) as
 *    barevirtd measures it for 200 containers on one network, and the same
 *    code path (tools/daemon/ct-net.c) timed directly;
 *  - with 200 running containers: `barevirt ct list`, barevirtd's RSS, each
 *    monitor's RSS;
 *  - teardown of the 200 (DELETE ?force=1, all at once) until the bridge
 *    has no port left, amortized per container; and the network part alone
 *    (dropping 200 namespaces) through ct-net.c.
 * Targets (issue 7): start <= 0.1x podman and docker, attach median <= 1.5
 * ms, teardown <= 1 ms per container, list < 20 ms, barevirtd < 8 MiB,
 * monitor < 1 MiB. BAREVIRT_BENCH_SMOKE=1: few iterations, 10 containers,
 * no peers. Needs root (skips otherwise).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"
#include "net/net.h"
#include "tests/bench/bench.h"

extern char **environ;

#define MAX_CTS 200

static char T[] = "/tmp/bv-bench-ct.XXXXXX";
static char sock[256];
static struct bv_loop *loop;
static struct bv_http_client *api_client;

static pid_t daemon_pid;
static char cli[512];

/* On failure: stop what we started (monitors outlive barevirtd), then exit. */
static void die(const char *what)
{
        fprintf(stderr, "bench-ct: %s\n", what);
        if (daemon_pid > 0) {
                char cmd[1024];
                snprintf(cmd, sizeof(cmd), "for n in $(%s --socket %s/api.sock ct list --json | jq -r '.[].name'); do "
                         "%s --socket %s/api.sock ct delete --force $n; done >/dev/null 2>&1", cli, T, cli, T);
                if (system(cmd) < 0)
                        fprintf(stderr, "bench-ct: cleanup failed\n");
                bench_daemon_stop(daemon_pid);
        }
        exit(1);
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
        char cmd[4096];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        int r = system(cmd);
        return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

/* One API call; the reply JSON in *ret (may be NULL). Returns the HTTP status or -errno. */
static int api(const char *method, const char *path, const char *body, json_t **ret)
{
        struct bv_http_response *resp = NULL;
        struct bv_http_client_request req = {
                .method = method, .path = path, .content_type = body ? "application/json" : NULL,
                .body = body, .body_len = body ? strlen(body) : 0, .timeout_usec = 120000000,
                .max_body = 64 << 20,
        };
        int r = bv_http_client_call(api_client, &req, &resp, NULL);
        if (r < 0)
                return r;
        int status = resp->status;
        if (ret)
                *ret = resp->body_len ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
        if (status >= 400)
                fprintf(stderr, "bench-ct: %s %s: %d %s\n", method, path, status, resp->body ? resp->body : "");
        bv_http_response_free(resp);
        return status;
}

/* ---- /v1/events: counts the "stopped"/"crashed" lines of containers ---- */

static struct {
        struct bv_http_client *c;
        char buf[65536];
        size_t len;
        unsigned ended;      /* container state lines stopped/crashed seen */
        bool done;
} ev;

static int ev_body(const char *data, size_t len, void *userdata)
{
        if (ev.len + len >= sizeof(ev.buf))
                ev.len = 0;
        memcpy(ev.buf + ev.len, data, len);
        ev.len += len;
        ev.buf[ev.len] = '\0';
        char *start = ev.buf, *nl;
        while ((nl = strchr(start, '\n'))) {
                *nl = '\0';
                if (strstr(start, "\"container\"") && (strstr(start, "\"stopped\"") || strstr(start, "\"crashed\"")))
                        ev.ended++;
                start = nl + 1;
        }
        ev.len -= (size_t)(start - ev.buf);
        memmove(ev.buf, start, ev.len);
        return 0;
}

static void ev_done(int ret, struct bv_http_response *resp, const struct bv_error *err, void *userdata)
{
        ev.done = true;
        bv_http_response_free(resp);
}

static void wait_ended(unsigned n)
{
        uint64_t t0 = bv_now_usec();
        while (ev.ended < n && bv_now_usec() - t0 < 30000000)
                bv_loop_run_once(loop, 100000);
        if (ev.ended < n)
                die("a container's end never showed on /v1/events");
}

/* ---- helpers ---- */

static uint64_t run_cmd_usec(char *const argv[])
{
        uint64_t t0 = bv_now_usec();
        pid_t pid;
        int st;
        posix_spawn_file_actions_t fa;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0)
                return 0;
        posix_spawn_file_actions_destroy(&fa);
        waitpid(pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                return 0;
        return bv_now_usec() - t0;
}

static double median_ms(uint64_t *v, size_t n)
{
        return n ? bench_median(v, n) / 1000.0 : 0;
}

/* Ports of bridge (a fresh netlink socket each time: dumps race with links going away); -1 unknown. */
static int bridge_ports(const char *bridge)
{
        struct net_ctx *ctx = NULL;
        struct net_link *links = NULL;
        size_t n = 0;
        int idx, ports = 0;

        if (net_ctx_new(-1, &ctx, NULL) < 0)
                return -1;
        if ((idx = net_link_index(ctx, bridge, NULL)) < 0 || net_link_list(ctx, &links, &n, NULL) < 0) {
                net_ctx_free(ctx);
                return idx == -ENODEV ? 0 : -1;
        }
        for (size_t i = 0; i < n; i++)
                ports += links[i].master == idx;
        free(links);
        net_ctx_free(ctx);
        return ports;
}

/* Waits (bounded) until bridge has no port. */
static void wait_no_ports(const char *bridge, uint64_t t0)
{
        while (bridge_ports(bridge) != 0 && bv_now_usec() - t0 < 60000000)
                usleep(200);
}

/* ---- the direct ct-net.c path ---- */

static void direct_net(size_t n)
{
        struct net_ctx *ctx = NULL;
        int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        struct bv_error err = {};
        uint64_t attach[MAX_CTS], mk[MAX_CTS];
        char path[512];
        const char *addr[] = { "10.98.0.1/16", NULL };
        struct net_bridge_opts bo = { .up = true, .addresses = addr };

        if (net_ctx_new(-1, &ctx, &err) < 0 || net_link_add_bridge(ctx, "bbr", &bo, &err) < 0)
                die(err.msg);
        for (size_t i = 0; i < n; i++) {
                int nsfd;
                char host[IFNAMSIZ], ip[32];
                uint8_t mac[6] = { 2, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i };
                snprintf(path, sizeof(path), "%s/ns%zu", T, i);
                uint64_t t0 = bv_now_usec();
                if (ctr_ct_netns_create(path, self, &nsfd, &err) < 0)
                        die(err.msg);
                struct net_ctx *ns = NULL;
                if (net_ctx_new(nsfd, &ns, &err) < 0)
                        die(err.msg);
                uint64_t t1 = bv_now_usec();
                snprintf(host, sizeof(host), "vb%zu", i);
                snprintf(ip, sizeof(ip), "10.98.%zu.%zu/16", (i + 2) / 250, (i + 2) % 250 + 1);
                struct ctr_ct_net_nic nic = { .host_ifname = host, .bridge = "bbr", .ifname = "eth0", .mac = mac,
                                          .ip = ip, .gw = "10.98.0.1" };
                if (ctr_ct_net_attach(ctx, nsfd, ns, &nic, true, &err) < 0)
                        die(err.msg);
                attach[i] = bv_now_usec() - t1;
                mk[i] = t1 - t0;
                net_ctx_free(ns);
                close(nsfd);
        }
        bench_line("bench-ct", "netns create (direct, median)", median_ms(mk, n), "ms", NULL, 0, 0);
        bench_line("bench-ct", "network attach (direct, median)", median_ms(attach, n), "ms", NULL, 0, 1.5);
        uint64_t t0 = bv_now_usec();
        for (size_t i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "%s/ns%zu", T, i);
                ctr_ct_netns_remove(path);
        }
        wait_no_ports("bbr", t0);
        double per = (bv_now_usec() - t0) / 1000.0 / (double)n;
        char what[64];
        snprintf(what, sizeof(what), "network teardown of %zu (direct, per ct)", n);
        bench_line("bench-ct", what, per, "ms", NULL, 0, 1.0);
        net_link_delete(ctx, "bbr", NULL);
        net_ctx_free(ctx);
        close(self);
}

/* ---- DELETE many at once: a pool of connections (below the listen backlog of 128), each taking the next name ---- */

#define DEL_CONNS 100

static struct {
        struct bv_http_client *c[DEL_CONNS];
        char paths[MAX_CTS][64];
        size_t next, n, done;
} del;

static void del_send(size_t conn);

static void del_done(int ret, struct bv_http_response *resp, const struct bv_error *err, void *userdata)
{
        size_t conn = (size_t)(uintptr_t)userdata;

        if (ret < 0 || resp->status >= 400)
                fprintf(stderr, "bench-ct: delete failed: %d %s\n", ret < 0 ? ret : resp->status,
                        resp && resp->body ? resp->body : "");
        bv_http_response_free(resp);
        del.done++;
        del_send(conn);
}

static void del_send(size_t conn)
{
        if (del.next >= del.n)
                return;
        struct bv_http_client_request req = { .method = "DELETE", .path = del.paths[del.next++], .timeout_usec = 120000000 };
        if (bv_http_client_send(del.c[conn], &req, del_done, (void *)(uintptr_t)conn) < 0)
                die("cannot send a DELETE");
}

/* ---- start of an app container: ours and the peers', interleaved ---- */

/* The peers' run commands ("" when missing) and what to stop afterwards. */
struct peers {
        char podman[1024];   /* podman with its private storage */
        char prun[1400];     /* podman run of the busybox image */
        char drun[1024];     /* docker run of the busybox image, on our dockerd */
        pid_t dockerd;
};

struct start_times {
        double ours, userns, podman, docker;   /* medians, ms; 0 when not measured */
};

/* Podman with runc and storage of its own, the busybox image imported. */
static void podman_peer(struct peers *pr)
{
        char runc[256] = "";
        FILE *f = popen("command -v runc", "r");

        if (f && fgets(runc, sizeof(runc), f))
                runc[strcspn(runc, "\n")] = '\0';
        if (f)
                pclose(f);
        if (!runc[0] || sh("command -v podman >/dev/null") != 0)
                return;
        /* Hosts without CAP_SYS_RESOURCE cannot raise rlimits: podman gets its own, as engines.sh does. */
        snprintf(pr->podman, sizeof(pr->podman), "podman --runtime %s --root %s/storage --runroot %s/prun "
                 "--storage-driver vfs --cgroup-manager cgroupfs --events-backend file", runc, T, T);
        if (sh("%s import %s/busybox.tar bvbusybox >/dev/null 2>&1", pr->podman, T) == 0)
                snprintf(pr->prun, sizeof(pr->prun), "%s run --rm --network none --pids-limit -1 --ulimit nofile=1024:1024 "
                         "--ulimit nproc=1024:1024 bvbusybox /bin/true", pr->podman);
}

/* In the child: a dockerd of our own on dsock, its state under T. */
static void __attribute__((noreturn)) dockerd_exec(const char *dsock)
{
        char dr[300], er[300], pf[300], host[320];

        snprintf(dr, sizeof(dr), "%s/docker", T);
        snprintf(er, sizeof(er), "%s/dexec", T);
        snprintf(pf, sizeof(pf), "%s/docker.pid", T);
        snprintf(host, sizeof(host), "unix://%s", dsock);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execlp("dockerd", "dockerd", "--iptables=false", "--ip6tables=false", "--bridge=none", "--data-root", dr,
               "--exec-root", er, "--host", host, "--pidfile", pf, (char *)NULL);
        _exit(127);
}

/* A private dockerd, once it answers, with the busybox image imported. */
static void docker_peer(struct peers *pr)
{
        char dsock[300];

        snprintf(dsock, sizeof(dsock), "%s/docker.sock", T);
        if (sh("command -v dockerd >/dev/null && command -v docker >/dev/null") != 0)
                return;
        pr->dockerd = fork();
        if (pr->dockerd == 0)
                dockerd_exec(dsock);
        for (int i = 0; i < 600; i++) {
                if (sh("docker -H unix://%s version >/dev/null 2>&1", dsock) == 0)
                        break;
                usleep(100000);
        }
        if (sh("docker -H unix://%s import %s/busybox.tar bvbusybox >/dev/null 2>&1", dsock, T) == 0)
                snprintf(pr->drun, sizeof(pr->drun), "docker -H unix://%s run --rm --network none bvbusybox /bin/true", dsock);
}

static void peers_stop(const struct peers *pr)
{
        if (pr->dockerd > 0) {
                kill(pr->dockerd, SIGTERM);
                for (int i = 0; i < 100 && waitpid(pr->dockerd, NULL, WNOHANG) == 0; i++)
                        usleep(100000);
                kill(pr->dockerd, SIGKILL);
                waitpid(pr->dockerd, NULL, 0);
                sh("grep -o ' %s/[^ ]*' /proc/self/mountinfo | sort -r | while read -r m; do umount -l $m; done 2>/dev/null", T);
        }
        if (pr->podman[0])
                sh("%s rm -fa >/dev/null 2>&1; %s system reset -f >/dev/null 2>&1", pr->podman, pr->podman);
}

/* Starts a container (POST path) and waits for its end on /v1/events: the microseconds between. */
static uint64_t start_to_end_usec(const char *path, const char *what)
{
        unsigned before = ev.ended;
        uint64_t t0 = bv_now_usec();

        if (api("POST", path, NULL, NULL) != 200)
                die(what);
        wait_ended(before + 1);
        return bv_now_usec() - t0;
}

/* One of each per round, so that load from elsewhere hits all alike. */
static void time_starts(size_t n_start, size_t n_peer, struct peers *pr, struct start_times *ret)
{
        uint64_t starts[64], ustarts[64], pt[64], dt[64], us;
        size_t np = 0, nd = 0;
        char *pargv[] = { (char *)"/bin/sh", (char *)"-c", pr->prun, NULL };
        char *dargv[] = { (char *)"/bin/sh", (char *)"-c", pr->drun, NULL };

        if (pr->prun[0])
                run_cmd_usec(pargv);   /* warm-up */
        if (pr->drun[0])
                run_cmd_usec(dargv);
        for (size_t i = 0; i < n_start; i++) {
                starts[i] = start_to_end_usec("/v1/containers/bt/start", "start failed");
                ustarts[i] = start_to_end_usec("/v1/containers/btu/start", "userns start failed");
                if (pr->prun[0] && i < n_peer && (us = run_cmd_usec(pargv)))
                        pt[np++] = us;
                if (pr->drun[0] && i < n_peer && (us = run_cmd_usec(dargv)))
                        dt[nd++] = us;
        }
        ret->ours = median_ms(starts, n_start);
        ret->userns = median_ms(ustarts, n_start);
        ret->podman = median_ms(pt, np);
        ret->docker = median_ms(dt, nd);
}

static void report_starts(const struct start_times *t)
{
        bench_line("bench-ct", "start /bin/true to exit recorded", t->ours, "ms", "podman run --rm", t->podman, 0);
        if (t->podman > 0)
                printf("bench-ct:   vs podman: %.3fx (target <= 0.1x): %s\n", t->ours / t->podman,
                       t->ours / t->podman <= 0.1 ? "ok" : "MISSED");
        if (t->docker > 0) {
                bench_line("bench-ct", "start /bin/true to exit recorded", t->ours, "ms", "docker run --rm", t->docker, 0);
                printf("bench-ct:   vs docker: %.3fx (target <= 0.1x): %s\n", t->ours / t->docker,
                       t->ours / t->docker <= 0.1 ? "ok" : "MISSED");
        }
        bench_line("bench-ct", "start /bin/true, --userns (idmapped)", t->userns, "ms", "without userns", t->ours, 0);
}

static void start_bench(bool smoke, size_t n_start, size_t n_peer)
{
        char body[1024];
        struct peers pr = {};
        struct start_times t;

        snprintf(body, sizeof(body), "{\"name\":\"bt\",\"image\":\"%s/busybox.tar\",\"command\":[\"/bin/true\"]}", T);
        if (api("POST", "/v1/containers", body, NULL) != 201)
                die("cannot create the container");
        /* The same, unprivileged: its own user namespace and an idmapped image layer. */
        snprintf(body, sizeof(body), "{\"name\":\"btu\",\"image\":\"%s/busybox.tar\",\"userns\":true,"
                 "\"command\":[\"/bin/true\"]}", T);
        if (api("POST", "/v1/containers", body, NULL) != 201)
                die("cannot create the userns container");
        if (!smoke) {
                podman_peer(&pr);
                docker_peer(&pr);
        }
        time_starts(n_start, n_peer, &pr, &t);
        peers_stop(&pr);
        report_starts(&t);
        api("DELETE", "/v1/containers/bt", NULL, NULL);
        api("DELETE", "/v1/containers/btu", NULL, NULL);
}

/* ---- n containers on one network, then measured while they run ---- */

static void start_many(size_t n)
{
        char body[1024], path[512];
        uint64_t attach[MAX_CTS], cstart[MAX_CTS];

        /* A bare bridge, as this bench always measured: no dnsmasq (it would outlive the bench's barevirtd). */
        if (api("POST", "/v1/networks", "{\"name\":\"bnet\",\"addresses\":[\"10.97.0.1/16\"],\"dhcp\":false,\"nat\":false}",
                NULL) != 201)
                die("cannot create the network");
        for (size_t i = 0; i < n; i++) {
                json_t *o = NULL;
                snprintf(body, sizeof(body),
                         "{\"name\":\"b%03zu\",\"rootfs\":\"%s/rootfs\",\"command\":[\"/bin/sleep\",\"100000\"],"
                         "\"nics\":[{\"network\":\"bnet\",\"ip\":\"10.97.%zu.%zu/16\"}]}", i, T, (i + 2) / 250, (i + 2) % 250 + 1);
                if (api("POST", "/v1/containers", body, NULL) != 201)
                        die("create failed");
                snprintf(path, sizeof(path), "/v1/containers/b%03zu/start", i);
                uint64_t t0 = bv_now_usec();
                if (api("POST", path, NULL, &o) != 200)
                        die("start failed");
                cstart[i] = bv_now_usec() - t0;
                attach[i] = (uint64_t)json_integer_value(json_object_get(o, "net_attach_usec"));
                json_decref(o);
        }
        bench_line("bench-ct", "start with a NIC (median)", median_ms(cstart, n), "ms", NULL, 0, 0);
        bench_line("bench-ct", "network attach in barevirtd (median)", median_ms(attach, n), "ms", NULL, 0, 1.5);
}

/* The RSS of each container's monitor. */
static void monitors_rss(void)
{
        json_t *list = NULL, *c;
        uint64_t mrss[MAX_CTS];
        size_t nm = 0, i;
        long maxrss = 0;

        api("GET", "/v1/containers", NULL, &list);
        json_array_foreach(list, i, c) {
                long kib = bench_rss_kib((pid_t)json_integer_value(json_object_get(c, "monitor_pid")));
                if (kib > 0 && nm < MAX_CTS) {
                        mrss[nm++] = (uint64_t)kib;
                        if (kib > maxrss)
                                maxrss = kib;
                }
        }
        json_decref(list);
        bench_line("bench-ct", "monitor RSS (median)", nm ? bench_median(mrss, nm) / 1024.0 : 0, "MiB", NULL, 0, 1);
        bench_line("bench-ct", "monitor RSS (max)", maxrss / 1024.0, "MiB", NULL, 0, 1);
}

static void running_metrics(size_t n)
{
        uint64_t lt[9];
        char *largv[] = { cli, (char *)"--socket", sock, (char *)"ct", (char *)"list", NULL };
        char what[80];

        for (size_t i = 0; i < 9; i++)
                lt[i] = run_cmd_usec(largv);
        snprintf(what, sizeof(what), "barevirt ct list, %zu running", n);
        bench_line("bench-ct", what, median_ms(lt, 9), "ms", NULL, 0, 20);
        snprintf(what, sizeof(what), "barevirtd RSS, %zu running", n);
        bench_line("bench-ct", what, bench_rss_kib(daemon_pid) / 1024.0, "MiB", NULL, 0, 8);
        monitors_rss();
}

/* ---- teardown: every DELETE at once, until the bridge has no port ---- */

static void teardown_all(size_t n)
{
        struct bv_error err = {};
        char what[80];
        uint64_t t0 = bv_now_usec();

        del.n = n;
        for (size_t k = 0; k < n; k++)
                snprintf(del.paths[k], sizeof(del.paths[k]), "/v1/containers/b%03zu?force=1", k);
        for (size_t k = 0; k < DEL_CONNS; k++) {
                if (bv_http_client_new(loop, sock, &del.c[k], &err) < 0)
                        die(err.msg);
                del_send(k);
        }
        while (del.done < n && bv_now_usec() - t0 < 120000000)
                bv_loop_run_once(loop, 100000);
        uint64_t answered = bv_now_usec() - t0;
        wait_no_ports("bnet", t0);
        uint64_t gone = bv_now_usec() - t0;
        /*
         * The whole container: stop (cgroup.kill), the monitor's end (runtime
         * state, cgroup, monitor.json), barevirtd's teardown and files. The
         * issue's 1 ms per container is the network part: "network teardown"
         * below, through ct-net.c alone.
         */
        snprintf(what, sizeof(what), "full teardown of %zu, answered (per ct)", n);
        bench_line("bench-ct", what, answered / 1000.0 / (double)n, "ms", NULL, 0, 0);
        snprintf(what, sizeof(what), "full teardown of %zu, ports gone (per ct)", n);
        bench_line("bench-ct", what, gone / 1000.0 / (double)n, "ms", NULL, 0, 0);
        for (size_t k = 0; k < DEL_CONNS; k++)
                bv_http_client_free(del.c[k]);
}

/* ---- setting up ---- */

/* Root, barevirtd and busybox; says why not otherwise. Sets cli and bin. */
static bool can_run(char *bin, size_t size)
{
        const char *top = getenv("top_builddir") ? getenv("top_builddir") : ".";

        if (getuid() != 0) {
                printf("bench-ct: skipped (needs root)\n");
                return false;
        }
        snprintf(bin, size, "%s/tools/barevirtd", top);
        snprintf(cli, sizeof(cli), "%s/tools/barevirt", top);
        if (access(bin, X_OK) < 0 || access("/bin/busybox", X_OK) < 0) {
                printf("bench-ct: skipped (needs barevirtd and /bin/busybox)\n");
                return false;
        }
        return true;
}

/* T, with a busybox rootfs and its tarball (the image). */
static void make_rootfs(void)
{
        if (!mkdtemp(T))
                die("mkdtemp");
        chmod(T, 0755);
        if (sh("set -e; cd %s; mkdir -p rootfs/bin rootfs/proc rootfs/sys rootfs/dev rootfs/tmp rootfs/etc;"
               "cp /bin/busybox rootfs/bin/; for a in sh true sleep; do ln -s busybox rootfs/bin/$a; done;"
               "tar -C rootfs -cf busybox.tar .", T) != 0)
                die("cannot make the busybox rootfs");
}

/* Our own barevirtd, answering, and our clients of its API and /v1/events. */
static void daemon_up(const char *bin)
{
        struct bv_error err = {};

        snprintf(sock, sizeof(sock), "%s/api.sock", T);
        daemon_pid = bench_daemon_start(bin, T, NULL);
        if (bench_time_to_answer(sock, "/v1/ping", bv_now_usec()) < 0)
                die("barevirtd did not come up");
        if (bv_loop_new(&loop, &err) < 0 || bv_http_client_new(loop, sock, &api_client, &err) < 0 ||
            bv_http_client_new(loop, sock, &ev.c, &err) < 0)
                die(err.msg);
        struct bv_http_client_request evreq = { .method = "GET", .path = "/v1/events",
                                                .timeout_usec = 3600000000ULL, .on_body = ev_body };
        bv_http_client_send(ev.c, &evreq, ev_done, NULL);
}

int main(void)
{
        bool smoke = bench_smoke();
        size_t n_start = smoke ? 3 : 15, n_peer = smoke ? 1 : 7, n_cts = smoke ? 10 : MAX_CTS;
        char bin[512];
        struct bv_error err = {};
        struct net_ctx *ctx = NULL;

        if (!can_run(bin, sizeof(bin)))
                return 0;
        make_rootfs();
        /* Our own network namespace: the daemon and its bridges live and die in it. */
        if (unshare(CLONE_NEWNET) < 0)
                die("unshare(CLONE_NEWNET)");
        if (net_ctx_new(-1, &ctx, &err) < 0 || net_link_set_up(ctx, "lo", true, &err) < 0)
                die(err.msg);
        daemon_up(bin);
        start_bench(smoke, n_start, n_peer);
        /*
         * Destroyed network namespaces are cleaned up by the kernel in the
         * background, holding the RTNL lock: let the ones above go first.
         */
        sleep(smoke ? 0 : 3);
        start_many(n_cts);
        sleep(smoke ? 0 : 2);   /* monitors settled after their start-up */
        running_metrics(n_cts);
        teardown_all(n_cts);
        /* The network part alone, through ct-net.c (after the kernel's cleanup settled). */
        sleep(smoke ? 0 : 5);
        direct_net(n_cts);

        bv_http_client_free(ev.c);
        bv_http_client_free(api_client);
        bv_loop_free(loop);
        bench_daemon_stop(daemon_pid);
        net_ctx_free(ctx);
        sh("grep -o ' %s/[^ ]*' /proc/self/mountinfo | sort -r | while read -r m; do umount -l $m; done 2>/dev/null; rm -rf %s", T, T);
        return 0;
}
