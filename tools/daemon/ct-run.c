/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The lifecycle of barevirtd's containers, on the loop, never blocking it.
 *
 * Start: the run directory RUN/containers/NAME, for a --userns container
 * its user namespace (pinned on RUN/.../userns) and idmapped mounts, the
 * overlay mount of an image's rootfs, the network namespace and veths
 * (ct-net.c), the bundle's
 * config.json from ctr_ct_spec(), then the monitor (`barevirt-runtime
 * monitor`, spawned in its own session from a sealed memfd copy of the
 * runtime, so it outlives barevirtd and does not re-execute itself). The
 * monitor answers on its ready fd with one JSON line; until then the
 * container is "starting" and requests wait. Then barevirtd subscribes to
 * monitor.sock and turns each change into the container's state and a
 * /v1/events line.
 *
 * The end: the monitor writes monitor.json for the last time and exits.
 * barevirtd learns it from the monitor's exit (its own child) or from the
 * end of the subscription (a monitor adopted after a restart), reads the
 * file (state, exit code, signal, OOM), and undoes the host side (netns
 * and userns files, overlay and idmapped mounts). stop and kill are requests on their own connection to
 * monitor.sock.
 *
 * Re-adoption at start: monitor.json plus "is its pid alive with the same
 * start time" tells whether a monitor still runs (subscribe again) or the
 * container ended while barevirtd was away (its status is in the file).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fd.h"
#include "common/file.h"
#include "common/json.h"
#include "common/log.h"
#include "net/net.h"
#include "tools/daemon/containers.h"

#define READY_TIMEOUT_USEC (60 * 1000000ULL)
#define CTL_EXTRA_USEC (15 * 1000000ULL)
#define ADOPT_RETRY_USEC (100 * 1000ULL)
#define ADOPT_RETRIES 50
#define MONITOR_LOG_MAX (1024 * 1024)

struct ct_waiter {
        struct ct_waiter *next;
        struct ct *ct;
        enum ct_wait what;
        struct bv_timer *timer;
        ct_wait_cb cb;
        void *userdata;
};

const char *ct_state_name(enum ct_state s)
{
        static const char *const names[] = {
                [CT_CREATING] = "creating", [CT_CREATED] = "created", [CT_STARTING] = "starting",
                [CT_RUNNING] = "running", [CT_RESTARTING] = "restarting", [CT_STOPPING] = "stopping",
                [CT_STOPPED] = "stopped", [CT_CRASHED] = "crashed",
        };
        return (unsigned)s < BV_ELEMENTSOF(names) ? names[s] : "unknown";
}

/* ---- waiters ----------------------------------------------------------------- */

static void waiter_unlink(struct ct_waiter *w)
{
        for (struct ct_waiter **p = &w->ct->waiters; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        return;
                }
}

static void on_waiter_timeout(struct bv_loop *loop, void *userdata)
{
        struct ct_waiter *w = userdata;

        w->timer = NULL;
        waiter_unlink(w);
        w->cb(w->ct, -ETIMEDOUT, "Timed out waiting for the container", w->userdata);
        free(w);
}

int ct_wait_add(struct ct *ct, enum ct_wait what, uint64_t timeout_usec, ct_wait_cb cb, void *userdata)
{
        struct ct_waiter *w = calloc(1, sizeof(*w));

        if (!w)
                return -ENOMEM;
        *w = (struct ct_waiter){ .ct = ct, .what = what, .cb = cb, .userdata = userdata };
        if (timeout_usec && bv_loop_add_timer(ct->cts->d->loop, timeout_usec, on_waiter_timeout, w, &w->timer) < 0) {
                free(w);
                return -ENOMEM;
        }
        w->next = ct->waiters;
        ct->waiters = w;
        return 0;
}

/* Answers the waiters for what (all of them when what < 0) with r and msg. */
static void waiters_fire(struct ct *ct, int what, int r, const char *msg)
{
        struct ct_waiter *list = NULL, **tail = &list;

        for (struct ct_waiter **p = &ct->waiters; *p;) {
                struct ct_waiter *w = *p;
                if (what < 0 || w->what == (enum ct_wait)what) {
                        *p = w->next;
                        w->next = NULL;
                        *tail = w;
                        tail = &w->next;
                } else
                        p = &w->next;
        }
        while (list) {
                struct ct_waiter *w = list;
                list = w->next;
                bv_timer_cancel(w->timer);
                w->cb(ct, r, msg, w->userdata);
                free(w);
        }
}

/* ---- state ------------------------------------------------------------------- */

static void set_state(struct ct *ct, enum ct_state s)
{
        if (ct->state == s)
                return;
        bv_info("container '%s': %s -> %s", ct->def->name, ct_state_name(ct->state), ct_state_name(s));
        ct->state = s;
        json_t *f = json_pack("{s:s,s:s}", "name", ct->def->name, "state", ct_state_name(s));
        if (f && ct->have_status) {
                if (ct->st.pid > 0 && (s == CT_RUNNING || s == CT_STOPPING))
                        json_object_set_new(f, "pid", json_integer(ct->st.pid));
                if (s == CT_STOPPED || s == CT_CRASHED || s == CT_RESTARTING) {
                        json_object_set_new(f, "exit_code", ct->st.exit_code >= 0 ? json_integer(ct->st.exit_code) : json_null());
                        json_object_set_new(f, "signal", ct->st.signal > 0 ? json_integer(ct->st.signal) : json_null());
                        json_object_set_new(f, "oom_killed", json_boolean(ct->st.oom_killed));
                }
        }
        events_emit(ct->cts->d, "container", f);
        ct_logs_state_changed(ct);
}

static bool ended(enum ct_state s)
{
        return s == CT_CREATED || s == CT_STOPPED || s == CT_CRASHED;
}

/* ---- monitor.sock connections ---------------------------------------------------- */

/* A non-blocking connection to the monitor's socket FILE in the run dir (long paths through /proc/self/fd). */
static int monitor_connect(struct ct *ct, const char *file)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char path[PATH_MAX];
        _cleanup_close_ int dfd = -1;

        ct_run_path(ct, file, path, sizeof(path));
        if (strlen(path) >= sizeof(sa.sun_path)) {
                char dir[PATH_MAX];
                ct_run_path(ct, NULL, dir, sizeof(dir));
                dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0)
                        return -errno;
                snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd, file);
        }
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -errno;
        return TAKE_FD(fd);
}

static int send_line(int fd, const char *line)
{
        size_t len = strlen(line);
        ssize_t n = send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EAGAIN;
}

/*
 * Reads what fd has into buf (a line buffer of size len) and calls fn for
 * each complete line. Returns 0, or < 0 at the end of the stream or on error
 * (also when a line does not fit).
 */
static int read_lines(int fd, char *buf, size_t *used, size_t len, void (*fn)(struct ct *, const char *), struct ct *ct)
{
        ssize_t n = read(fd, buf + *used, len - 1 - *used);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0)
                return n < 0 ? -errno : -EPIPE;
        *used += (size_t)n;
        buf[*used] = '\0';
        char *start = buf, *nl;
        while ((nl = strchr(start, '\n'))) {
                *nl = '\0';
                fn(ct, start);
                start = nl + 1;
        }
        *used -= (size_t)(start - buf);
        memmove(buf, start, *used);
        return *used >= len - 1 ? -EMSGSIZE : 0;
}

static void status_now_iso(char *buf, size_t len)
{
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void finish(struct ct *ct, const char *why);

static void sub_close(struct ct *ct)
{
        ct->sub_watch = bv_watch_remove(ct->sub_watch);
        if (ct->sub_fd >= 0)
                close(ct->sub_fd);
        ct->sub_fd = -1;
        ct->sub_len = 0;
}

static void ctl_close(struct ct *ct)
{
        ct->ctl_watch = bv_watch_remove(ct->ctl_watch);
        ct->ctl_timer = bv_timer_cancel(ct->ctl_timer);
        if (ct->ctl_fd >= 0)
                close(ct->ctl_fd);
        ct->ctl_fd = -1;
        ct->ctl_len = 0;
}

/* One line of the subscription: {"event": "running|exited|restarting|stopped", ...}. */
static void on_sub_line(struct ct *ct, const char *line)
{
        json_auto_t *o = NULL;
        const char *event = NULL;
        json_int_t pid = 0;
        json_t *code = NULL, *sig = NULL;
        int oom = 0, restarts = -1;

        if (bv_json_load_object(line, strlen(line), 4096, &o, NULL) < 0 ||
            json_unpack(o, "{s:s,s?I,s?o,s?o,s?b,s?i}", "event", &event, "pid", &pid, "exit_code", &code,
                        "signal", &sig, "oom_killed", &oom, "restarts", &restarts) < 0) {
                bv_warn("container '%s': ignoring a malformed monitor line", ct->def->name);
                return;
        }
        ct->have_status = true;
        if (strcmp(event, "running") == 0) {
                if (restarts >= 0)
                        ct->st.restarts = (unsigned)restarts;
                else if (ct->state == CT_RESTARTING)
                        ct->st.restarts++;
                ct->st.pid = (pid_t)pid;
                ct->st.exit_code = -1;
                ct->st.signal = 0;
                ct->st.oom_killed = false;
                ct->st.finished_at[0] = '\0';
                status_now_iso(ct->st.started_at, sizeof(ct->st.started_at));
                if (ct->state != CT_STOPPING)
                        set_state(ct, CT_RUNNING);
        } else if (strcmp(event, "exited") == 0 || strcmp(event, "stopped") == 0) {
                ct->st.exit_code = json_is_integer(code) ? (int)json_integer_value(code) : ct->st.exit_code;
                ct->st.signal = json_is_integer(sig) ? (int)json_integer_value(sig) : 0;
                ct->st.oom_killed = oom;
                ct->st.pid = 0;
                status_now_iso(ct->st.finished_at, sizeof(ct->st.finished_at));
                waiters_fire(ct, CT_WAIT_EXIT, 0, NULL);
        } else if (strcmp(event, "restarting") == 0)
                set_state(ct, CT_RESTARTING);
}

static void on_sub(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct ct *ct = userdata;

        if (read_lines(fd, ct->sub_buf, &ct->sub_len, sizeof(ct->sub_buf), on_sub_line, ct) == 0)
                return;
        sub_close(ct);
        /* Our own child: its exit (reaped through the loop) is the end. Otherwise this is. */
        if (!ct->monitor_is_child)
                finish(ct, "the monitor closed its socket");
}

static int subscribe(struct ct *ct)
{
        int fd = monitor_connect(ct, "monitor.sock");

        if (fd < 0)
                return fd;
        int r = send_line(fd, "{\"cmd\":\"subscribe\"}\n");
        if (r < 0 || (r = bv_loop_add_fd(ct->cts->d->loop, fd, EPOLLIN, on_sub, ct, &ct->sub_watch)) < 0) {
                close(fd);
                return r;
        }
        ct->sub_fd = fd;
        ct->sub_len = 0;
        return 0;
}

/* ---- the end ------------------------------------------------------------------- */

static void umount_rmdir(struct ct *ct, const char *file)
{
        char path[PATH_MAX];
        struct bv_error err = {};

        ct_run_path(ct, file, path, sizeof(path));
        if (ctr_ct_overlay_umount(path, &err) < 0)
                bv_warn("container '%s': %s", ct->def->name, err.msg);
        rmdir(path);
}

/* Unmounts and removes what start_rootfs() mounted under RUN/containers/NAME. */
static void host_mounts_drop(struct ct *ct)
{
        umount_rmdir(ct, "rootfs");   /* first: the overlay sits on lower */
        umount_rmdir(ct, "lower");
        for (size_t i = 0; i < ct->def->n_mounts; i++) {
                char f[32];
                snprintf(f, sizeof(f), "mounts/%zu", i);
                umount_rmdir(ct, f);
        }
        umount_rmdir(ct, "mounts");
}

void ct_host_teardown(struct ct *ct)
{
        char path[PATH_MAX];

        static const char *const pins[] = { "netns", "userns" };   /* ct_ns_pin() */
        for (size_t i = 0; i < BV_ELEMENTSOF(pins); i++) {
                ct_run_path(ct, pins[i], path, sizeof(path));
                int r = ct_netns_remove(path);
                if (r < 0)
                        bv_warn("container '%s': failed to remove '%s': %s", ct->def->name, path, strerror(-r));
        }
        host_mounts_drop(ct);
        memset(ct->veth, 0, sizeof(ct->veth));
}

/* Reads monitor.json into ct->st; returns 0 or -errno. */
static int read_status(struct ct *ct)
{
        char dir[PATH_MAX];
        struct ctr_ct_status st;
        struct bv_error err = {};

        ct_run_path(ct, NULL, dir, sizeof(dir));
        int r = ctr_ct_monitor_read(dir, &st, &err);
        if (r < 0) {
                if (r != -ENOENT)
                        bv_warn("container '%s': %s", ct->def->name, err.msg);
                return r;
        }
        ct->st = st;
        ct->have_status = true;
        return 0;
}

/* The container ended for good: final status from monitor.json, host side undone, waiters answered. */
static void finish(struct ct *ct, const char *why)
{
        sub_close(ct);
        ctl_close(ct);
        ct->mon_child = bv_child_remove(ct->mon_child);
        ct->monitor_pid = 0;
        ct->monitor_is_child = false;
        int r = read_status(ct);
        enum ct_state s;
        if (r < 0) {
                snprintf(ct->error, sizeof(ct->error), "The monitor ended without a status (%s)", why);
                s = CT_CRASHED;
        } else if (ct->st.state == CTR_CT_STATE_STOPPED)
                s = CT_STOPPED;
        else if (ct->st.state == CTR_CT_STATE_CRASHED)
                s = CT_CRASHED;
        else {
                /* The file still says running: the monitor died without writing its end. */
                snprintf(ct->error, sizeof(ct->error), "The monitor died (%s)", why);
                ct->st.state = CTR_CT_STATE_CRASHED;
                ct->st.pid = 0;
                s = CT_CRASHED;
        }
        ct_host_teardown(ct);
        if (ct->t_start)
                bv_debug("container '%s': ended, %llu us after the last start request", ct->def->name,
                         (unsigned long long)(bv_now_usec() - ct->t_start));
        ct->stop_requested = false;
        set_state(ct, s);
        waiters_fire(ct, CT_WAIT_EXIT, 0, NULL);
        waiters_fire(ct, CT_WAIT_START, -ECHILD, ct->error[0] ? ct->error : "The container exited during its start");
        waiters_fire(ct, CT_WAIT_END, 0, NULL);
}

/* ---- start --------------------------------------------------------------------- */

static void ready_close(struct ct *ct)
{
        ct->ready_watch = bv_watch_remove(ct->ready_watch);
        ct->ready_timer = bv_timer_cancel(ct->ready_timer);
        if (ct->ready_fd >= 0)
                close(ct->ready_fd);
        ct->ready_fd = -1;
}

/* A failed start: nothing is left (the monitor exits 1 and cleans its part). */
static void start_failed(struct ct *ct, int r, const char *msg)
{
        enum ct_state back = ct->have_status ? (ct->st.state == CTR_CT_STATE_CRASHED ? CT_CRASHED : CT_STOPPED) : CT_CREATED;

        ready_close(ct);
        sub_close(ct);
        snprintf(ct->error, sizeof(ct->error), "%s", msg);
        bv_warn("container '%s': start failed: %s", ct->def->name, msg);
        /* A monitor still alive exits by itself; its watch only reaps it (see on_monitor_exit). */
        ct->mon_child = NULL;
        ct->monitor_pid = 0;
        ct->monitor_is_child = false;
        ct_host_teardown(ct);
        set_state(ct, back);
        waiters_fire(ct, CT_WAIT_START, r, msg);
}

/* The monitor's ready line: {"ok":true,"pid":N} or {"ok":false,"error":"...","errno":N}. */
static void handle_ready(struct ct *ct, bool eof)
{
        char *nl = memchr(ct->ready_buf, '\n', ct->ready_len);

        if (!nl && !eof)
                return;
        json_auto_t *o = NULL;
        int ok = 0, e = 0;
        json_int_t pid = 0;
        const char *msg = NULL;
        if (nl)
                *nl = '\0';
        if (!ct->ready_len || bv_json_load_object(ct->ready_buf, strlen(ct->ready_buf), sizeof(ct->ready_buf), &o, NULL) < 0 ||
            json_unpack(o, "{s:b,s?I,s?s,s?i}", "ok", &ok, "pid", &pid, "error", &msg, "errno", &e) < 0) {
                char log[PATH_MAX];
                ct_run_path(ct, "monitor.log", log, sizeof(log));
                char m[256];
                snprintf(m, sizeof(m), "The monitor exited before the container started (see '%.180s')", log);
                start_failed(ct, -EIO, m);
                return;
        }
        if (!ok) {
                start_failed(ct, e > 0 ? -e : -EIO, msg ? msg : "The container failed to start");
                return;
        }
        ready_close(ct);
        ct->have_status = true;
        ct->st.state = CTR_CT_STATE_RUNNING;
        ct->st.pid = (pid_t)pid;
        ct->st.exit_code = -1;
        ct->st.signal = 0;
        ct->st.oom_killed = false;
        ct->st.restarts = 0;
        ct->st.monitor_pid = ct->monitor_pid;
        ct->st.finished_at[0] = '\0';
        status_now_iso(ct->st.started_at, sizeof(ct->st.started_at));
        ct->error[0] = '\0';
        bv_debug("container '%s': ready %llu us after the spawn", ct->def->name,
                 (unsigned long long)(bv_now_usec() - ct->t_spawned));
        int r = subscribe(ct);
        if (r < 0)
                bv_debug("container '%s': no subscription (%s): it may have ended already", ct->def->name, strerror(-r));
        set_state(ct, CT_RUNNING);
        waiters_fire(ct, CT_WAIT_START, 0, NULL);
}

static void on_ready(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct ct *ct = userdata;

        ssize_t n = read(fd, ct->ready_buf + ct->ready_len, sizeof(ct->ready_buf) - 1 - ct->ready_len);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n > 0) {
                ct->ready_len += (size_t)n;
                ct->ready_buf[ct->ready_len] = '\0';
        }
        handle_ready(ct, n <= 0 || ct->ready_len >= sizeof(ct->ready_buf) - 1);
}

static void on_ready_timeout(struct bv_loop *loop, void *userdata)
{
        struct ct *ct = userdata;

        ct->ready_timer = NULL;
        if (ct->monitor_pid > 0)
                kill(ct->monitor_pid, SIGKILL);
        start_failed(ct, -ETIMEDOUT, "The monitor did not report within 60 s");
}

static void on_monitor_exit(struct bv_loop *loop, pid_t pid, int status, void *userdata)
{
        struct ct *ct = userdata;
        char why[64];

        if (pid != ct->monitor_pid || !ct->monitor_is_child)
                return;   /* the monitor of a failed start, now reaped */
        ct->mon_child = NULL;
        if (ct->state == CT_STARTING) {
                /* Its ready line may still sit in the pipe. */
                for (ssize_t n = 1; n > 0 && ct->ready_fd >= 0 && ct->ready_len < sizeof(ct->ready_buf) - 1;) {
                        n = read(ct->ready_fd, ct->ready_buf + ct->ready_len, sizeof(ct->ready_buf) - 1 - ct->ready_len);
                        if (n > 0) {
                                ct->ready_len += (size_t)n;
                                ct->ready_buf[ct->ready_len] = '\0';
                        }
                }
                ct->monitor_pid = 0;
                ct->monitor_is_child = false;
                handle_ready(ct, true);
                if (ct->state != CT_RUNNING)
                        return;   /* start_failed() answered */
        }
        if (WIFEXITED(status))
                snprintf(why, sizeof(why), "exit status %d", WEXITSTATUS(status));
        else
                snprintf(why, sizeof(why), "killed by signal %d", WTERMSIG(status));
        /* Anything still in the subscription is older than the final status file. */
        finish(ct, why);
}

static int write_config(const char *path, const json_t *cfg, struct bv_error *err)
{
        _cleanup_free_ char *s = json_dumps(cfg, JSON_COMPACT);
        if (!s)
                return bv_error_set(err, ENOMEM, "Out of memory");
        /* A bundle in the run dir (tmpfs): no fsync, it is made again at every start. */
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 || bv_fd_write_all(fd, s, strlen(s)) < 0)
                return bv_error_set_errno(err, errno, "Failed to write '%s'", path);
        return 0;
}

/*
 * Netns (made here, or given_nsfd made by start_userns()) and one veth per
 * NIC; the netns path goes to *netns (else NULL).
 */
static int start_network(struct ct *ct, int given_nsfd, char *netns, size_t len, struct bv_error *err)
{
        struct barevirtd *d = ct->cts->d;
        const struct ctr_ct_def *def = ct->def;
        uint64_t t0 = bv_now_usec();
        unsigned char salt = 0;
        int r;

        if (def->n_nics == 0)
                return 0;
        if (!d->net)
                return bv_error_set(err, EOPNOTSUPP, "Networking is unavailable in barevirtd (netlink failed at start)");
        if (getrandom(&salt, 1, GRND_NONBLOCK) < 0)
                salt = (unsigned char)t0;
        ct_run_path(ct, "netns", netns, len);
        _cleanup_close_ int own_nsfd = -1;
        if (given_nsfd < 0 && (r = ct_netns_create(netns, ct->cts->host_netns_fd, &own_nsfd, err)) < 0)
                return r;
        if (given_nsfd >= 0 && (r = ct_ns_pin(netns, given_nsfd, err)) < 0)
                return r;
        int nsfd = given_nsfd >= 0 ? given_nsfd : own_nsfd;
        struct net_ctx *ns = NULL;
        if ((r = net_ctx_new(nsfd, &ns, err)) < 0) {
                ct_netns_remove(netns);
                return r;
        }
        uint64_t t1 = bv_now_usec();
        ct->netns_usec = t1 - t0;
        for (size_t i = 0; i < def->n_nics && r >= 0; i++) {
                char bridge[IFNAMSIZ], ifname[IFNAMSIZ];
                struct net_link br;
                const struct ctr_ct_nic *n = &def->nics[i];
                if ((r = network_bridge(d, n->network, bridge, sizeof(bridge), err)) < 0 ||
                    (r = net_link_get(d->net, bridge, &br, err)) < 0) {
                        bv_error_prefix(err, "nics[%zu]", i);
                        break;
                }
                snprintf(ifname, sizeof(ifname), "eth%zu", i);
                ct_net_host_ifname(def->name, salt, (unsigned)i, ct->veth[i]);
                struct ct_net_nic nic = {
                        .host_ifname = ct->veth[i], .bridge = bridge, .ifname = ifname, .mac = n->mac,
                        .ip = n->ip, .gw = n->gw, .mtu = br.mtu,
                };
                r = ct_net_attach(d->net, nsfd, ns, &nic, i == 0, err);
                if (r < 0)
                        bv_error_prefix(err, "nics[%zu]", i);
        }
        net_ctx_free(ns);
        if (r < 0) {
                /* Veths made so far die with the namespace. */
                ct_netns_remove(netns);
                memset(ct->veth, 0, sizeof(ct->veth));
                return r;
        }
        ct->net_usec = bv_now_usec() - t1;
        return 0;
}

/*
 * Root of a user-namespace container is an unprivileged host id that must
 * reach its rootfs (RUN/containers/NAME/rootfs) to mount it. As Incus does:
 * RUN/containers is search-only for everyone, and NAME is search-only for
 * the container's root alone, so no other host user reaches the files
 * (setuid ones too) that container root writes as host root through the
 * idmapped mount. The files inside keep their own modes (bundle 0700, logs
 * and sockets 0600); barevirtd and the monitor are root and need no more.
 */
static int run_dir_for_userns(struct ct *ct, struct bv_error *err)
{
        char dir[PATH_MAX];
        uint32_t id = ct->def->userns_base;

        ct_run_path(ct, NULL, dir, sizeof(dir));
        char *slash = strrchr(dir, '/');
        if (chown(dir, id, id) < 0 || chmod(dir, 0100) < 0)
                return bv_error_set_errno(err, errno, "Failed to give '%s' to the container's root", dir);
        *slash = 0;
        if (chmod(dir, 0711) < 0)
                return bv_error_set_errno(err, errno, "Failed to chmod '%s'", dir);
        return 0;
}

/*
 * The user namespace of a --userns container, made by barevirtd and pinned
 * on RUN/containers/NAME/userns for the runtime to join, so that what
 * barevirtd makes for the container belongs to it: the idmapped mounts and,
 * with NICs, the network namespace (*ret_netns, made inside it). Owning its
 * netns, container root has its network capabilities there (raw sockets,
 * its own addresses and routes) and mounts a sysfs of its own.
 */
static int start_userns(struct ct *ct, int *ret_userns, int *ret_netns, struct bv_error *err)
{
        char path[PATH_MAX];
        int r;

        if ((r = run_dir_for_userns(ct, err)) < 0 ||
            (r = ctr_ct_userns_open(ct->def->userns_base, CTR_CT_USERNS_SIZE, ret_userns,
                                    ct->def->n_nics ? ret_netns : NULL, err)) < 0)
                return r;
        ct_run_path(ct, "userns", path, sizeof(path));
        return ct_ns_pin(path, *ret_userns, err);
}

/* The bind mounts asked with idmap, idmapped on RUN/containers/NAME/mounts/I (ctr_ct_paths.idmap_dir). */
static int idmap_binds(struct ct *ct, int userns, struct bv_error *err)
{
        char dir[PATH_MAX], path[PATH_MAX + 16];
        int r;

        ct_run_path(ct, "mounts", dir, sizeof(dir));
        for (size_t i = 0; i < ct->def->n_mounts; i++) {
                if (!ct->def->mounts[i].idmap)
                        continue;
                if (mkdir(dir, 0711) < 0 && errno != EEXIST)
                        return bv_error_set_errno(err, errno, "Failed to create '%s'", dir);
                snprintf(path, sizeof(path), "%s/%zu", dir, i);
                if ((r = ctr_ct_idmap_bind(ct->def->mounts[i].source, path, userns, false, err)) < 0)
                        return bv_error_prefix(err, "mounts[%zu]", i);
        }
        return 0;
}

/*
 * The directory that becomes the container's /: the definition's rootfs, or
 * an overlay of the image (its own upper layer) on RUN/containers/NAME/rootfs.
 * With a user namespace (userns, an fd of it, else -1) the host-owned tree
 * is idmapped (ct-idmap.c), so container root owns it: the directory itself
 * is bound idmapped on RUN/.../rootfs; for an image the read-only lower
 * layer is bound idmapped on RUN/.../lower and the upper layer belongs to
 * the container's root, so what it writes lands there under its own host
 * ids. Where the filesystem has no idmapped mounts the container still
 * runs, with host-owned files showing as nobody (warned, and "idmapped":
 * false in show).
 */
static int start_rootfs(struct ct *ct, int userns, char *rootfs, size_t len, struct bv_error *err)
{
        const struct ctr_ct_def *def = ct->def;
        char src[PATH_MAX], lower[PATH_MAX], upper[PATH_MAX], work[PATH_MAX];
        bool idmapped = false;
        int r;

        ct_run_path(ct, "rootfs", rootfs, len);
        ct_run_path(ct, "lower", lower, sizeof(lower));
        host_mounts_drop(ct);   /* stale mounts from a crash */
        if (def->image)
                snprintf(src, sizeof(src), "%s/images/%s/rootfs", ct->cts->d->state_dir,
                         def->image_id ? def->image_id : "-");
        else
                snprintf(src, sizeof(src), "%s", def->rootfs);
        if (userns >= 0) {
                struct bv_error e = {};
                if ((r = idmap_binds(ct, userns, err)) < 0)
                        return r;
                r = ctr_ct_idmap_bind(src, def->image ? lower : rootfs, userns, def->image != NULL, &e);
                if (r < 0 && r != -EOPNOTSUPP)
                        return bv_error_set(err, -r, "%s", e.msg);
                if (r < 0)
                        bv_warn("container '%s': %s: files the host owns show as nobody inside", def->name, e.msg);
                idmapped = r == 0;
        }
        if (!def->image) {
                if (!idmapped)
                        snprintf(rootfs, len, "%s", def->rootfs);
                return 0;
        }
        ct_state_path(ct, "upper", upper, sizeof(upper));
        ct_state_path(ct, "work", work, sizeof(work));
        if (def->userns) {
                /* The upper layer's top is the container's /: container root owns it. */
                if ((r = bv_mkdir_p(upper, 0755, err)) < 0)
                        return r;
                if (chown(upper, def->userns_base, def->userns_base) < 0)
                        return bv_error_set_errno(err, errno, "Failed to chown '%s'", upper);
        }
        return ctr_ct_overlay_mount(idmapped ? lower : src, upper, work, rootfs, err);
}

static int spawn_monitor(struct ct *ct, const char *bundle, const char *dir, struct bv_error *err)
{
        struct containers *cts = ct->cts;
        char log[PATH_MAX], stop_timeout[16];
        int ready[2];

        snprintf(stop_timeout, sizeof(stop_timeout), "%u", ct->def->stop_timeout);
        ct_run_path(ct, "monitor.log", log, sizeof(log));
        /* The monitor's own messages, appended at every start: kept to two generations of 1 MiB at most. */
        struct stat st;
        if (stat(log, &st) == 0 && st.st_size > MONITOR_LOG_MAX) {
                char old[PATH_MAX + 2];
                snprintf(old, sizeof(old), "%s.1", log);
                rename(log, old);
        }
        _cleanup_close_ int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (logfd < 0)
                return bv_error_set_errno(err, errno, "Failed to open '%s'", log);
        if (pipe2(ready, O_CLOEXEC) < 0)
                return bv_error_set_errno(err, errno, "Failed to make a pipe");
        char *argv[] = {
                cts->runtime_path, (char *)"--root", cts->runtime_root, (char *)"monitor",
                (char *)"--bundle", (char *)bundle, (char *)"--dir", (char *)dir,
                (char *)"--restart", (char *)ctr_ct_restart_name(ct->def->restart),
                (char *)"--stop-signal", (char *)(ctr_ct_def_stop_signal(ct->def) == SIGPWR ? "SIGPWR" : "SIGTERM"),
                (char *)"--stop-timeout", stop_timeout, (char *)"--ready-fd", (char *)"3", ct->def->name, NULL,
        };
        int fds[3] = { -1, -1, logfd };
        pid_t pid;
        int r = ct_spawn(cts->runtime_fd, argv, fds, ready[1], true, &pid);
        close(ready[1]);
        if (r < 0) {
                close(ready[0]);
                return bv_error_set_errno(err, -r, "Failed to start the monitor '%s'", cts->runtime_path);
        }
        bv_fd_set_nonblock(ready[0], 1);
        ct->ready_fd = ready[0];
        ct->ready_len = 0;
        ct->monitor_pid = pid;
        ct->monitor_is_child = true;
        if (bv_loop_add_fd(cts->d->loop, ct->ready_fd, EPOLLIN, on_ready, ct, &ct->ready_watch) < 0 ||
            bv_loop_add_child(cts->d->loop, pid, on_monitor_exit, ct, &ct->mon_child) < 0 ||
            bv_loop_add_timer(cts->d->loop, READY_TIMEOUT_USEC, on_ready_timeout, ct, &ct->ready_timer) < 0) {
                kill(pid, SIGKILL);
                if (!ct->mon_child)
                        waitpid(pid, NULL, 0);
                ct->mon_child = bv_child_remove(ct->mon_child);
                ready_close(ct);
                ct->monitor_pid = 0;
                return bv_error_set(err, ENOMEM, "Cannot watch the monitor");
        }
        return 0;
}

int ct_start(struct ct *ct, struct bv_error *err)
{
        struct containers *cts = ct->cts;
        const struct ctr_ct_def *def = ct->def;
        char dir[PATH_MAX], bundle[PATH_MAX], path[PATH_MAX], netns[PATH_MAX] = "", rootfs[PATH_MAX];
        int r;

        switch (ct->state) {
        case CT_RUNNING: case CT_RESTARTING:
                return bv_error_set(err, EALREADY, "Container '%s' is %s", def->name, ct_state_name(ct->state));
        case CT_STARTING:
                return 0;
        case CT_CREATING: case CT_STOPPING:
                return bv_error_set(err, EBUSY, "Container '%s' is %s", def->name, ct_state_name(ct->state));
        default:
                break;
        }
        if (ct->deleting)
                return bv_error_set(err, EBUSY, "Container '%s' is being deleted", def->name);
        if (cts->cg_ok < 0) {
                struct ctr_cgroup_info none = { .mode = CTR_CGROUP_NONE };
                if ((r = ctr_ct_limits_check(def, &none, err)) < 0)
                        return r;
        } else if ((r = ctr_ct_limits_check(def, &cts->cg, err)) < 0)
                return r;
        if (!cts->runtime_path[0])
                return bv_error_set(err, ENOENT, "No barevirt-runtime found (barevirtd --runtime PATH)");

        ct->t_start = bv_now_usec();
        ct_run_path(ct, NULL, dir, sizeof(dir));
        ct_run_path(ct, "bundle", bundle, sizeof(bundle));
        if ((r = bv_mkdir_p(bundle, 0700, err)) < 0)
                return r;
        ct_run_path(ct, "monitor.json", path, sizeof(path));
        unlink(path);
        _cleanup_close_ int userns = -1, userns_net = -1;
        char userns_path[PATH_MAX];
        ct_run_path(ct, "userns", userns_path, sizeof(userns_path));
        if ((def->userns && (r = start_userns(ct, &userns, &userns_net, err)) < 0) ||
            (r = start_rootfs(ct, userns, rootfs, sizeof(rootfs), err)) < 0 ||
            (r = start_network(ct, userns_net, netns, sizeof(netns), err)) < 0) {
                ct_host_teardown(ct);
                return r;
        }
        json_auto_t *cfg = NULL;
        char idmap_dir[PATH_MAX];
        ct_run_path(ct, "mounts", idmap_dir, sizeof(idmap_dir));
        char cgroups_path[PATH_MAX];
        snprintf(cgroups_path, sizeof(cgroups_path), "/%s/%s", cts->d->cgroup_parent, def->name);
        struct ctr_ct_paths p = { .rootfs = rootfs, .netns = netns[0] ? netns : NULL, .idmap_dir = idmap_dir,
                                  .userns = def->userns ? userns_path : NULL, .cgroups_path = cgroups_path };
        snprintf(path, sizeof(path), "%s/config.json", bundle);
        if ((r = ctr_ct_spec(def, &p, &cfg, err)) < 0 || (r = write_config(path, cfg, err)) < 0 ||
            (r = spawn_monitor(ct, bundle, dir, err)) < 0) {
                ct_host_teardown(ct);
                return r;
        }
        ct->stop_requested = false;
        ct->t_spawned = bv_now_usec();
        bv_debug("container '%s': monitor spawned %llu us after the start request", def->name,
                 (unsigned long long)(ct->t_spawned - ct->t_start));
        set_state(ct, CT_STARTING);
        return 0;
}

/* ---- stop and kill ---------------------------------------------------------------- */

static void on_ctl_line(struct ct *ct, const char *line)
{
        bv_debug("container '%s': monitor answered %s", ct->def->name, line);
        ct->ctl_answered = true;
}

static void on_ctl(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct ct *ct = userdata;

        /* One answer per request: then done (a monitor going away is handled by the end). */
        if (read_lines(fd, ct->ctl_buf, &ct->ctl_len, sizeof(ct->ctl_buf), on_ctl_line, ct) < 0 || ct->ctl_answered)
                ctl_close(ct);
}

static void on_ctl_timeout(struct bv_loop *loop, void *userdata)
{
        struct ct *ct = userdata;

        ct->ctl_timer = NULL;
        bv_warn("container '%s': the monitor did not answer in time; killing the container", ct->def->name);
        ctl_close(ct);
        if (ct->st.pid > 0)
                kill(ct->st.pid, SIGKILL);
        if (ct->monitor_pid > 0)
                kill(ct->monitor_pid, SIGTERM);
}

static int ctl_send(struct ct *ct, const char *line, uint64_t timeout_usec, struct bv_error *err)
{
        if (ct->ctl_fd >= 0)
                return bv_error_set(err, EBUSY, "Container '%s' has a stop or kill in progress", ct->def->name);
        int fd = monitor_connect(ct, "monitor.sock");
        if (fd < 0)
                return bv_error_set_errno(err, -fd, "Cannot reach the monitor of container '%s'", ct->def->name);
        int r = send_line(fd, line);
        if (r < 0) {
                close(fd);
                return bv_error_set_errno(err, -r, "Cannot talk to the monitor of container '%s'", ct->def->name);
        }
        ct->ctl_fd = fd;
        ct->ctl_len = 0;
        ct->ctl_answered = false;
        if (bv_loop_add_fd(ct->cts->d->loop, fd, EPOLLIN, on_ctl, ct, &ct->ctl_watch) < 0 ||
            bv_loop_add_timer(ct->cts->d->loop, timeout_usec, on_ctl_timeout, ct, &ct->ctl_timer) < 0) {
                ctl_close(ct);
                return bv_error_set(err, ENOMEM, "Out of memory");
        }
        return 0;
}

int ct_stop(struct ct *ct, int timeout, struct bv_error *err)
{
        char line[64];

        if (ended(ct->state))
                return bv_error_set(err, EALREADY, "Container '%s' is %s", ct->def->name, ct_state_name(ct->state));
        if (ct->state == CT_STOPPING)
                return 0;
        if (ct->state == CT_STARTING || ct->state == CT_CREATING)
                return bv_error_set(err, EBUSY, "Container '%s' is %s", ct->def->name, ct_state_name(ct->state));
        if (timeout < 0)
                timeout = (int)ct->def->stop_timeout;
        ctl_close(ct);   /* a kill in flight is superseded */
        snprintf(line, sizeof(line), "{\"cmd\":\"stop\",\"timeout\":%d}\n", timeout);
        int r = ctl_send(ct, line, timeout * 1000000ULL + CTL_EXTRA_USEC, err);
        if (r < 0) {
                /* The monitor's socket is gone but it runs: SIGTERM is its stop. */
                if (ct->monitor_pid > 0 && kill(ct->monitor_pid, SIGTERM) == 0)
                        r = 0;
                else
                        return r;
        }
        ct->stop_requested = true;
        set_state(ct, CT_STOPPING);
        return 0;
}

int ct_kill(struct ct *ct, int signo, struct bv_error *err)
{
        char line[64];

        if (ct->state != CT_RUNNING && ct->state != CT_STOPPING)
                return bv_error_set(err, EALREADY, "Container '%s' is %s", ct->def->name, ct_state_name(ct->state));
        if (ct->state == CT_STOPPING && ct->st.pid > 0) {
                /* The stop's connection is busy: signal the init directly. */
                if (kill(ct->st.pid, signo) < 0)
                        return bv_error_set_errno(err, errno, "Failed to signal container '%s'", ct->def->name);
                return 0;
        }
        snprintf(line, sizeof(line), "{\"cmd\":\"kill\",\"signal\":%d}\n", signo);
        return ctl_send(ct, line, CTL_EXTRA_USEC, err);
}

/* ---- adoption ------------------------------------------------------------------- */

static void adopt_try(struct ct *ct, unsigned attempt);

static void on_adopt_retry(struct bv_loop *loop, void *userdata)
{
        struct ct *ct = userdata;

        ct->adopt_timer = NULL;
        adopt_try(ct, ct->adopt_attempt);
}

static void adopt_try(struct ct *ct, unsigned attempt)
{
        int r = read_status(ct);
        char sock[PATH_MAX];

        ct_run_path(ct, "monitor.sock", sock, sizeof(sock));
        if (r == -ENOENT && access(sock, F_OK) == 0 && attempt < ADOPT_RETRIES) {
                /* A monitor still starting its container (barevirtd died meanwhile): its status comes shortly. */
                ct->adopt_attempt = attempt + 1;
                bv_loop_add_timer(ct->cts->d->loop, ADOPT_RETRY_USEC, on_adopt_retry, ct, &ct->adopt_timer);
                return;
        }
        if (r == -ENOENT) {
                ct_host_teardown(ct);
                ct->state = CT_CREATED;
                return;
        }
        if (r < 0) {
                ct_host_teardown(ct);
                snprintf(ct->error, sizeof(ct->error), "Unreadable monitor.json");
                ct->state = CT_CRASHED;
                return;
        }
        if (ct->st.state == CTR_CT_STATE_STOPPED || ct->st.state == CTR_CT_STATE_CRASHED || !ctr_ct_monitor_alive(&ct->st)) {
                bool died = ct->st.state == CTR_CT_STATE_RUNNING || ct->st.state == CTR_CT_STATE_RESTARTING;
                if (died) {
                        snprintf(ct->error, sizeof(ct->error), "The monitor died while barevirtd was away");
                        ct->st.state = CTR_CT_STATE_CRASHED;
                        ct->st.pid = 0;
                }
                ct_host_teardown(ct);
                ct->state = ct->st.state == CTR_CT_STATE_STOPPED ? CT_STOPPED : CT_CRASHED;
                bv_info("container '%s': %s while barevirtd was away (exit code %d)", ct->def->name,
                        ct_state_name(ct->state), ct->st.exit_code);
                return;
        }
        ct->monitor_pid = ct->st.monitor_pid;
        ct->monitor_is_child = false;
        if ((r = subscribe(ct)) < 0) {
                /* Alive but not answering: it is ending (or starting); look again shortly. */
                if (attempt >= ADOPT_RETRIES) {
                        bv_warn("container '%s': its monitor (pid %d) does not answer", ct->def->name, (int)ct->monitor_pid);
                        ct->state = ct->st.state == CTR_CT_STATE_RESTARTING ? CT_RESTARTING : CT_RUNNING;
                        return;
                }
                ct->adopt_attempt = attempt + 1;
                bv_loop_add_timer(ct->cts->d->loop, ADOPT_RETRY_USEC, on_adopt_retry, ct, &ct->adopt_timer);
                return;
        }
        /* Subscribed: read the file again, so a change in between is not missed. */
        read_status(ct);
        ct->state = ct->st.state == CTR_CT_STATE_RESTARTING ? CT_RESTARTING : CT_RUNNING;
        bv_info("container '%s': re-adopted monitor pid %d (container pid %d, %s)", ct->def->name,
                (int)ct->monitor_pid, (int)ct->st.pid, ct_state_name(ct->state));
}

void ct_adopt(struct ct *ct)
{
        adopt_try(ct, 0);
}

void ct_detach(struct ct *ct, const char *why)
{
        ct->adopt_timer = bv_timer_cancel(ct->adopt_timer);
        ready_close(ct);
        sub_close(ct);
        ctl_close(ct);
        ct->mon_child = bv_child_remove(ct->mon_child);
        waiters_fire(ct, -1, -ECANCELED, why);
}

/* ---- the runtime binary ------------------------------------------------------------- */

static bool executable(const char *p)
{
        return access(p, X_OK) == 0;
}

int cts_runtime_init(struct containers *cts, const char *configured, struct bv_error *err)
{
        char self[PATH_MAX], cand[PATH_MAX];
        struct stat st;

        cts->runtime_fd = -1;
        cts->runtime_path[0] = '\0';
        if (configured) {
                if (!executable(configured))
                        return bv_error_set_errno(err, errno, "The runtime '%s' is not executable", configured);
                snprintf(cts->runtime_path, sizeof(cts->runtime_path), "%s", configured);
        } else {
                ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
                if (n > 0) {
                        self[n] = '\0';
                        char *slash = strrchr(self, '/');
                        if (slash)
                                *slash = '\0';
                        /* Beside barevirtd (build tree, one prefix), or sbin -> bin. */
                        snprintf(cand, sizeof(cand), "%s/barevirt-runtime", self);
                        if (!executable(cand))
                                snprintf(cand, sizeof(cand), "%s/../bin/barevirt-runtime", self);
                        if (executable(cand) && realpath(cand, cts->runtime_path) == NULL)
                                snprintf(cts->runtime_path, sizeof(cts->runtime_path), "%s", cand);
                }
                const char *pathenv = getenv("PATH");
                if (!cts->runtime_path[0] && pathenv) {
                        _cleanup_free_ char *copy = strdup(pathenv);
                        char *save = NULL;
                        for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir; dir = strtok_r(NULL, ":", &save)) {
                                snprintf(cand, sizeof(cand), "%s/barevirt-runtime", dir);
                                if (executable(cand)) {
                                        snprintf(cts->runtime_path, sizeof(cts->runtime_path), "%s", cand);
                                        break;
                                }
                        }
                }
                if (!cts->runtime_path[0])
                        return bv_error_set(err, ENOENT, "No barevirt-runtime beside barevirtd or in $PATH");
        }
        /* A sealed copy: the monitor runs from it and need not copy itself (CVE-2019-5736). */
        _cleanup_close_ int src = open(cts->runtime_path, O_RDONLY | O_CLOEXEC);
        if (src < 0 || fstat(src, &st) < 0)
                return 0;
        _cleanup_close_ int mfd = memfd_create("barevirt-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (mfd < 0)
                return 0;
        for (off_t off = 0; off < st.st_size;) {
                ssize_t n = sendfile(mfd, src, &off, (size_t)(st.st_size - off));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return 0;
        }
        if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
                return 0;
        cts->runtime_fd = TAKE_FD(mfd);
        return 0;
}
