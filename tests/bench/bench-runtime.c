/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt-runtime side by side with runc: `run` of one bundle whose
 * process is /bin/true (busybox) with pid, mount, ipc, uts and network
 * namespaces, the same config.json for both, median wall time of N runs
 * (the two runtimes' runs alternate); and the peak RSS of the runtime during those runs (getrusage
 * RUSAGE_CHILDREN ru_maxrss of a helper that only runs that runtime).
 * Targets from issue 6: run median <= 0.5x runc's, peak RSS <= 2 MiB. And
 * the same bundle with memory, cpu and pids limits (issue 19: on this
 * hybrid host through the v1 controllers), at most 0.5x runc's too.
 * BAREVIRT_BENCH_SMOKE=1 runs a few iterations only; without runc the
 * comparison is skipped with a note. Needs root (skips otherwise).
 *
 * BAREVIRT_BENCH_PEER=PATH (and BAREVIRT_BENCH_PEER_NAME) compares with
 * another runtime instead, e.g. crun inside the cgroup v2 guest
 * (tests/bench/bench-runtime-guest.sh), where the target is 0.8x crun's;
 * BAREVIRT_BENCH_NO_PIVOT=1 passes --no-pivot to both (an initramfs root).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "tests/bench/bench.h"

static const char config_fmt[] =
        "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"%s/rootfs\", \"readonly\": true},"
        " \"process\": {\"terminal\": false, \"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"/bin/true\"],"
        "  \"env\": [\"PATH=/bin\"], \"cwd\": \"/\","
        "  \"capabilities\": {\"bounding\": [\"CAP_KILL\"], \"effective\": [\"CAP_KILL\"], \"permitted\": [\"CAP_KILL\"]},"
        "  \"noNewPrivileges\": true},"
        " \"hostname\": \"bench\","
        " \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
        "  {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"nosuid\", \"mode=755\", \"size=65536k\"]}],"
        " \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"}, {\"type\": \"mount\"}],"
        "  \"maskedPaths\": [\"/proc/kcore\", \"/proc/keys\"], \"readonlyPaths\": [\"/proc/sys\"]%s}}";

/* The limits of the second bundle. */
static const char limits[] =
        ", \"resources\": {\"memory\": {\"limit\": 67108864}, \"cpu\": {\"quota\": 50000, \"period\": 100000},"
        " \"pids\": {\"limit\": 100}}";

static uint64_t now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int sh(const char *cmd)
{
        int r = system(cmd);
        return r == 0 ? 0 : -1;
}

/* One `run`; returns wall microseconds or 0 on failure. */
static bool no_pivot;

static uint64_t run_once(const char *bin, const char *root, const char *bundle, int i)
{
        char id[32];
        snprintf(id, sizeof(id), "bench-%d", i);
        uint64_t t0 = now_us();
        pid_t pid = fork();
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                dup2(null, 0);
                dup2(null, 1);
                if (no_pivot)
                        execl(bin, bin, "--root", root, "run", "--no-pivot", "--bundle", bundle, id, (char *)NULL);
                else
                        execl(bin, bin, "--root", root, "run", "--bundle", bundle, id, (char *)NULL);
                _exit(127);
        }
        int status;
        /* A run that hangs is a failure, never a hung benchmark. */
        if (pid < 0)
                return 0;
        if (bv_proc_wait_timeout(pid, 60000, &status) < 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                fprintf(stderr, "bench-runtime: '%s run' did not finish within 60 s\n", bin);
                return 0;
        }
        uint64_t t = now_us() - t0;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t : 0;
}

/*
 * A helper process per runtime runs it on demand, so that RUSAGE_CHILDREN
 * covers that runtime alone: it reads an iteration number, runs once and
 * answers the wall time (0 on failure); at EOF it answers its children's
 * ru_maxrss. The two runtimes' runs alternate, one each in turn, so that
 * load from the rest of the machine falls on both alike.
 */
struct runner {
        pid_t pid;
        int cmd, res;
};

static int runner_start(struct runner *r, const char *bin, const char *root, const char *bundle)
{
        int c[2], p[2];
        if (pipe2(c, O_CLOEXEC) < 0)
                return -1;
        if (pipe2(p, O_CLOEXEC) < 0) {
                close(c[0]);
                close(c[1]);
                return -1;
        }
        r->pid = fork();
        if (r->pid == 0) {
                close(c[1]);
                close(p[0]);
                int i;
                while (read(c[0], &i, sizeof(i)) == (ssize_t)sizeof(i)) {
                        uint64_t t = run_once(bin, root, bundle, i);
                        if (write(p[1], &t, sizeof(t)) != (ssize_t)sizeof(t))
                                _exit(1);
                }
                struct rusage ru;
                getrusage(RUSAGE_CHILDREN, &ru);
                long rss = ru.ru_maxrss;
                _exit(write(p[1], &rss, sizeof(rss)) == (ssize_t)sizeof(rss) ? 0 : 1);
        }
        close(c[0]);
        close(p[1]);
        r->cmd = c[1];
        r->res = p[0];
        if (r->pid < 0) {
                close(r->cmd);
                close(r->res);
                return -1;
        }
        return 0;
}

/* One run through the helper: wall microseconds, 0 on failure. */
static uint64_t runner_step(struct runner *r, int i)
{
        uint64_t t = 0;
        if (write(r->cmd, &i, sizeof(i)) != (ssize_t)sizeof(i) || read(r->res, &t, sizeof(t)) != (ssize_t)sizeof(t))
                return 0;
        return t;
}

/* Ends the helper; its children's peak RSS in KiB (0 if unknown). */
static long runner_finish(struct runner *r)
{
        long rss = 0;
        close(r->cmd);
        if (read(r->res, &rss, sizeof(rss)) != (ssize_t)sizeof(rss))
                rss = 0;
        close(r->res);
        waitpid(r->pid, NULL, 0);
        return rss;
}

static const char *find_runc(void)
{
        static const char *paths[] = { "/usr/sbin/runc", "/usr/bin/runc", "/usr/local/bin/runc", "/usr/local/sbin/runc" };
        for (size_t i = 0; i < BV_ELEMENTSOF(paths); i++)
                if (access(paths[i], X_OK) == 0)
                        return paths[i];
        return NULL;
}

/* Both runtimes on one bundle, alternating; medians (ms, 0 when the peer failed) and peak RSS (KiB). */
struct pair {
        double ours_ms, theirs_ms;
        long our_rss, their_rss;
};

static int bench_pair(const char *bin, const char *peer_bin, const char *dir, const char *bundle, size_t n,
                      struct pair *ret)
{
        char root[4200];
        _cleanup_free_ uint64_t *ours = calloc(n, sizeof(uint64_t)), *theirs = calloc(n, sizeof(uint64_t));
        struct runner me, them;
        bool peer_ok = peer_bin != NULL;
        int rc = 0;

        memset(ret, 0, sizeof(*ret));
        if (!ours || !theirs)
                return 1;
        snprintf(root, sizeof(root), "%s/state-barevirt", dir);
        if (runner_start(&me, bin, root, bundle) < 0)
                return 1;
        snprintf(root, sizeof(root), "%s/state-runc", dir);
        if (peer_ok && runner_start(&them, peer_bin, root, bundle) < 0)
                peer_ok = false;
        bool them_started = peer_ok;
        for (size_t i = 0; i < n; i++) {
                /* Alternate who goes first, too. */
                if (peer_ok && i % 2 == 1 && (theirs[i] = runner_step(&them, (int)i)) == 0)
                        peer_ok = false;
                if ((ours[i] = runner_step(&me, (int)i)) == 0)
                        rc = 1;
                if (peer_ok && i % 2 == 0 && (theirs[i] = runner_step(&them, (int)i)) == 0)
                        peer_ok = false;
        }
        /* Theirs first: its helper holds a copy of our helper's command pipe. */
        if (them_started)
                ret->their_rss = runner_finish(&them);
        ret->our_rss = runner_finish(&me);
        ret->ours_ms = (double)bench_median(ours, n) / 1000.0;
        if (peer_ok && rc == 0)
                ret->theirs_ms = (double)bench_median(theirs, n) / 1000.0;
        return rc;
}

/* A bundle: dir/NAME with config.json (extra linux keys) naming the shared rootfs dir/rootfs. */
static int make_bundle(const char *dir, const char *name, const char *extra)
{
        char path[4400];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (mkdir(path, 0755) < 0)
                return -1;
        snprintf(path, sizeof(path), "%s/%s/config.json", dir, name);
        FILE *f = fopen(path, "we");
        if (!f || fprintf(f, config_fmt, dir, extra) < 0 || fclose(f) != 0)
                return -1;
        return 0;
}

int main(void)
{
        no_pivot = getenv("BAREVIRT_BENCH_NO_PIVOT") != NULL;
        const char *builddir = getenv("top_builddir") ? getenv("top_builddir") : ".";
        char bin[4096], dir[] = "/tmp/bv-bench-rt.XXXXXX", cmd[8400], bundle[4200];
        size_t n = bench_smoke() ? 3 : 30;
        if (getenv("BAREVIRT_BENCH_ITERATIONS"))
                n = strtoul(getenv("BAREVIRT_BENCH_ITERATIONS"), NULL, 10) ?: 1;
        int rc = 0;

        if (geteuid() != 0) {
                printf("bench-runtime: skipped (needs root)\n");
                return 0;
        }
        if (access("/bin/busybox", X_OK) < 0) {
                printf("bench-runtime: skipped (needs /bin/busybox)\n");
                return 0;
        }
        snprintf(bin, sizeof(bin), "%s/tools/barevirt-runtime", builddir);
        if (access(bin, X_OK) < 0) {
                fprintf(stderr, "bench-runtime: %s not built\n", bin);
                return 1;
        }
        if (!mkdtemp(dir))
                return 1;
        snprintf(cmd, sizeof(cmd),
                 "mkdir -p %s/rootfs/bin %s/rootfs/proc %s/rootfs/dev && cp /bin/busybox %s/rootfs/bin/ && "
                 "ln -s busybox %s/rootfs/bin/true",
                 dir, dir, dir, dir, dir);
        if (sh(cmd) < 0 || make_bundle(dir, "plain", "") < 0 || make_bundle(dir, "limits", limits) < 0) {
                fprintf(stderr, "bench-runtime: failed to build the bundles in %s\n", dir);
                return 1;
        }
        const char *runc = getenv("BAREVIRT_BENCH_PEER") ? getenv("BAREVIRT_BENCH_PEER") : find_runc();
        const char *peer = getenv("BAREVIRT_BENCH_PEER_NAME") ? getenv("BAREVIRT_BENCH_PEER_NAME") : "runc";
        double ratio = strcmp(peer, "crun") == 0 ? 0.8 : 0.5;
        struct pair p, pl;
        snprintf(bundle, sizeof(bundle), "%s/plain", dir);
        rc = bench_pair(bin, runc, dir, bundle, n, &p);
        snprintf(bundle, sizeof(bundle), "%s/limits", dir);
        int rcl = bench_pair(bin, runc, dir, bundle, n, &pl);
        if (rc || rcl)
                fprintf(stderr, "bench-runtime: barevirt-runtime run failed%s\n", rc ? "" : " (with limits)");
        if (runc && rc == 0 && p.theirs_ms == 0)
                printf("bench-runtime: %s run failed; no comparison\n", peer);
        else if (!runc)
                printf("bench-runtime: runc not installed (apt-get install runc); no comparison\n");
        if (rc == 0) {
                bench_line("bench-runtime", "run /bin/true median", p.ours_ms, "ms", runc ? peer : NULL, p.theirs_ms,
                           p.theirs_ms > 0 ? p.theirs_ms * ratio : 0);
                bench_line("bench-runtime", "peak RSS during run", (double)p.our_rss / 1024.0, "MiB",
                           runc ? peer : NULL, (double)p.their_rss / 1024.0, 2.0 + 1e-9);
        }
        if (rcl == 0)
                bench_line("bench-runtime", "run with memory+cpu+pids limits median", pl.ours_ms, "ms",
                           runc ? peer : NULL, pl.theirs_ms, pl.theirs_ms > 0 ? pl.theirs_ms * ratio : 0);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        sh(cmd);
        return rc || rcl;
}
