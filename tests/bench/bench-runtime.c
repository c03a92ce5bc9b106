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
 * Issue 21: the plain bundle also runs with crun and with bench-floor (clone,
 * the same mounts, pivot_root, exec, wait: the floor of any runtime), all
 * four alternating; targets <= 0.5x crun and <= 1.5x the floor. crun
 * refuses hybrid cgroups, so on such a host the whole benchmark runs in a
 * private mount namespace with /sys/fs/cgroup/unified unmounted (said so
 * on stdout; the host is untouched).
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
#include <sched.h>
#include <sys/mount.h>
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

/* The floor (bench-floor ROOTFS) instead of a runtime. */
static bool is_floor(const char *bin)
{
        const char *b = strrchr(bin, '/');
        return strcmp(b ? b + 1 : bin, "bench-floor") == 0;
}

/* The shared rootfs beside a bundle dir (DIR/NAME -> DIR/rootfs); static buffer. */
static const char *rootfs_of(const char *bundle)
{
        static char path[4300];
        const char *slash = strrchr(bundle, '/');
        snprintf(path, sizeof(path), "%.*s/rootfs", (int)(slash ? slash - bundle : 0), bundle);
        return path;
}

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
                if (is_floor(bin))
                        execl(bin, bin, rootfs_of(bundle), (char *)NULL);
                else if (no_pivot)
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

/*
 * Several runtimes on one bundle (bins[0] is ours; NULL entries are
 * skipped), one run each in turn, the order rotating every iteration;
 * medians in ms (0 when that one failed) and peak RSS in KiB.
 */
enum { MAX_PEERS = 4 };
struct result {
        double ms[MAX_PEERS];
        long rss[MAX_PEERS];
};

static int bench_set(const char *const *bins, size_t nbins, const char *dir, const char *bundle, size_t n,
                     struct result *ret)
{
        char root[4200];
        uint64_t *t[MAX_PEERS] = { 0 };
        struct runner r[MAX_PEERS];
        bool ok[MAX_PEERS] = { 0 }, started[MAX_PEERS] = { 0 };
        int rc = 0;

        memset(ret, 0, sizeof(*ret));
        for (size_t k = 0; k < nbins; k++) {
                if (!bins[k])
                        continue;
                if (!(t[k] = calloc(n, sizeof(uint64_t))))
                        rc = 1;
                snprintf(root, sizeof(root), "%s/state-%zu", dir, k);
                ok[k] = started[k] = t[k] && runner_start(&r[k], bins[k], root, bundle) == 0;
        }
        if (!ok[0])
                rc = 1;
        for (size_t i = 0; i < n && rc == 0; i++)
                for (size_t j = 0; j < nbins; j++) {
                        size_t k = (i + j) % nbins;
                        if (ok[k] && (t[k][i] = runner_step(&r[k], (int)i)) == 0) {
                                ok[k] = false;
                                if (k == 0)
                                        rc = 1;
                        }
                }
        /* Last started first: each helper holds copies of the earlier helpers' command pipes. */
        for (size_t k = nbins; k-- > 0;)
                if (started[k])
                        ret->rss[k] = runner_finish(&r[k]);
        for (size_t k = 0; k < nbins; k++) {
                if (ok[k] && rc == 0)
                        ret->ms[k] = (double)bench_median(t[k], n) / 1000.0;
                free(t[k]);
        }
        return rc;
}

/*
 * crun refuses hybrid cgroups: every runtime (and the floor) runs in a
 * private mount namespace of this benchmark where /sys/fs/cgroup/unified
 * is unmounted, as `unshare -m --propagation private` plus `umount` would
 * do; the host's mounts are never touched. Returns whether it is hidden.
 */
static bool hide_unified(void)
{
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return false;
        return umount2("/sys/fs/cgroup/unified", MNT_DETACH) == 0;
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
        bool own_peer = getenv("BAREVIRT_BENCH_PEER") != NULL;
        double ratio = strcmp(peer, "crun") == 0 ? 0.8 : 0.5;
        char floor_bin[4200];
        snprintf(floor_bin, sizeof(floor_bin), "%s/tests/bench/bench-floor", builddir);
        /* Ours, the peer (runc), and on this host crun and the floor too. */
        const char *crun = !own_peer && access("/usr/bin/crun", X_OK) == 0 ? "/usr/bin/crun" : NULL;
        const char *fl = !own_peer && access(floor_bin, X_OK) == 0 ? floor_bin : NULL;
        if (!own_peer && access("/sys/fs/cgroup/unified", F_OK) == 0) {
                if (hide_unified())
                        printf("bench-runtime: every runtime and the floor run in a private mount namespace with "
                               "/sys/fs/cgroup/unified unmounted (crun refuses hybrid cgroups; the host is untouched)\n");
                else
                        crun = NULL;
        }
        if (!own_peer && !crun)
                printf("bench-runtime: crun not usable here (apt-get install crun); no comparison with it\n");
        const char *bins[] = { bin, runc, crun, fl };
        struct result p, pl;
        snprintf(bundle, sizeof(bundle), "%s/plain", dir);
        rc = bench_set(bins, BV_ELEMENTSOF(bins), dir, bundle, n, &p);
        snprintf(bundle, sizeof(bundle), "%s/limits", dir);
        const char *lbins[] = { bin, runc };
        int rcl = bench_set(lbins, BV_ELEMENTSOF(lbins), dir, bundle, n, &pl);
        if (rc || rcl)
                fprintf(stderr, "bench-runtime: barevirt-runtime run failed%s\n", rc ? "" : " (with limits)");
        if (runc && rc == 0 && p.ms[1] == 0)
                printf("bench-runtime: %s run failed; no comparison\n", peer);
        else if (!runc)
                printf("bench-runtime: runc not installed (apt-get install runc); no comparison\n");
        if (rc == 0) {
                bench_line("bench-runtime", "run /bin/true median", p.ms[0], "ms", runc ? peer : NULL, p.ms[1],
                           p.ms[1] > 0 ? p.ms[1] * ratio : 0);
                bench_line("bench-runtime", "peak RSS during run", (double)p.rss[0] / 1024.0, "MiB",
                           runc ? peer : NULL, (double)p.rss[1] / 1024.0, 2.0 + 1e-9);
                /* Issue 21: at most 0.5x crun and 1.5x the floor (<= so that the target itself passes). */
                if (crun)
                        bench_line("bench-runtime", "run /bin/true median vs crun", p.ms[0], "ms", "crun", p.ms[2],
                                   p.ms[2] > 0 ? p.ms[2] * 0.5 + 1e-9 : 0);
                if (fl)
                        bench_line("bench-runtime", "run /bin/true median vs the floor", p.ms[0], "ms", "floor",
                                   p.ms[3], p.ms[3] > 0 ? p.ms[3] * 1.5 + 1e-9 : 0);
        }
        if (rcl == 0)
                bench_line("bench-runtime", "run with memory+cpu+pids limits median", pl.ms[0], "ms",
                           runc ? peer : NULL, pl.ms[1], pl.ms[1] > 0 ? pl.ms[1] * ratio : 0);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        sh(cmd);
        return rc || rcl;
}
