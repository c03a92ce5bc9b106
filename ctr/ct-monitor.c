/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A container's monitor (`barevirt-runtime monitor`), seen from its owner.
 *
 * Spawn: in its own session, from the sealed memfd copy of the runtime, so
 * it outlives the owner and does not re-execute itself; its own messages go
 * to RUN/containers/NAME/monitor.log (two generations of 1 MiB at most). It
 * answers on a ready pipe with one JSON line; until then the container is
 * "starting". Then the owner subscribes to monitor.sock and turns each
 * change into the container's state. stop and kill are requests on a
 * connection of their own, answered within a timeout (or the container is
 * killed).
 *
 * The end: the monitor writes monitor.json for the last time and exits;
 * the owner learns it from the monitor's exit (its own child) or from the
 * end of the subscription (a monitor adopted after a restart).
 *
 * Adoption at the owner's start: monitor.json plus "is its pid alive with
 * the same start time" tells whether a monitor still runs (subscribe
 * again) or the container ended while the owner was away (its status is in
 * the file). A monitor still starting its container is looked at again
 * every 100 ms, 50 times.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"

#define READY_TIMEOUT_USEC (60 * 1000000ULL)
#define CTL_EXTRA_USEC (15 * 1000000ULL)
#define ADOPT_RETRY_USEC (100 * 1000ULL)
#define ADOPT_RETRIES 50
#define MONITOR_LOG_MAX (1024 * 1024)

/* ---- monitor.sock connections ----------------------------------------------------------- */

/* A non-blocking connection to the monitor's socket FILE in the run dir (long paths through /proc/self/fd). */
static int monitor_connect(struct ctr_ct *ct, const char *file)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char path[PATH_MAX];
        _cleanup_close_ int dfd = -1;

        ctr_ct_run_path(ct, file, path, sizeof(path));
        if (strlen(path) >= sizeof(sa.sun_path)) {
                char dir[PATH_MAX];
                ctr_ct_run_path(ct, NULL, dir, sizeof(dir));
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
static int read_lines(int fd, char *buf, size_t *used, size_t len, void (*fn)(struct ctr_ct *, const char *),
                      struct ctr_ct *ct)
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

static void close_watched(int *fd, struct bv_watch **watch)
{
        *watch = bv_watch_remove(*watch);
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

static void sub_close(struct ctr_ct *ct)
{
        close_watched(&ct->sub_fd, &ct->sub_watch);
        ct->sub_len = 0;
}

static void ctl_close(struct ctr_ct *ct)
{
        close_watched(&ct->ctl_fd, &ct->ctl_watch);
        ct->ctl_timer = bv_timer_cancel(ct->ctl_timer);
        ct->ctl_len = 0;
}

static void ready_close(struct ctr_ct *ct)
{
        close_watched(&ct->ready_fd, &ct->ready_watch);
        ct->ready_timer = bv_timer_cancel(ct->ready_timer);
}

void ctr_ct_monitor_detach(struct ctr_ct *ct)
{
        ready_close(ct);
        sub_close(ct);
        ctl_close(ct);
        ct->mon_child = bv_child_remove(ct->mon_child);
}

int ctr_ct_monitor_read_status(struct ctr_ct *ct)
{
        char dir[PATH_MAX];
        struct ctr_ct_status st;
        struct bv_error err = {};

        ctr_ct_run_path(ct, NULL, dir, sizeof(dir));
        int r = ctr_ct_monitor_read(dir, &st, &err);
        if (r < 0) {
                if (r != -ENOENT)
                        ctr_ct_log(ct->h, CTR_LOG_WARN, "container '%s': %s", ct->def->name, err.msg);
                return r;
        }
        ct->st = st;
        ct->have_status = true;
        return 0;
}

/* ---- the subscription ------------------------------------------------------------------- */

/* One line of the subscription: {"event": "running|exited|restarting|stopped", ...}. */
static void on_sub_line(struct ctr_ct *ct, const char *line)
{
        json_auto_t *o = NULL;
        const char *event = NULL;
        json_int_t pid = 0;
        json_t *code = NULL, *sig = NULL;
        int oom = 0, restarts = -1;

        if (bv_json_load_object(line, strlen(line), 4096, &o, NULL) < 0 ||
            json_unpack(o, "{s:s,s?I,s?o,s?o,s?b,s?i}", "event", &event, "pid", &pid, "exit_code", &code,
                        "signal", &sig, "oom_killed", &oom, "restarts", &restarts) < 0) {
                ctr_ct_log(ct->h, CTR_LOG_WARN, "container '%s': ignoring a malformed monitor line", ct->def->name);
                return;
        }
        ct->have_status = true;
        if (strcmp(event, "running") == 0) {
                if (restarts >= 0)
                        ct->st.restarts = (unsigned)restarts;
                else if (ct->state == CTR_CT_RESTARTING)
                        ct->st.restarts++;
                ctr_ct_status_started(ct, (pid_t)pid);
                /* Also the answer to a new subscription: a frozen container stays paused. */
                if (ct->state != CTR_CT_STOPPING)
                        ctr_ct_set_state(ct, ct->state == CTR_CT_PAUSED || ctr_ct_frozen(ct) ? CTR_CT_PAUSED : CTR_CT_RUNNING);
        } else if (strcmp(event, "exited") == 0 || strcmp(event, "stopped") == 0) {
                ctr_ct_status_ended(ct, json_is_integer(code) ? (int)json_integer_value(code) : ct->st.exit_code,
                                    json_is_integer(sig) ? (int)json_integer_value(sig) : 0, oom);
                ctr_ct_waiters_fire(ct, CTR_CT_WAIT_EXIT, 0, NULL);
        } else if (strcmp(event, "restarting") == 0)
                ctr_ct_set_state(ct, CTR_CT_RESTARTING);
}

static void on_sub(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct ctr_ct *ct = userdata;

        if (read_lines(fd, ct->sub_buf, &ct->sub_len, sizeof(ct->sub_buf), on_sub_line, ct) == 0)
                return;
        sub_close(ct);
        /* Our own child: its exit (reaped through the loop) is the end. Otherwise this is. */
        if (!ct->monitor_is_child)
                ctr_ct_finish(ct, "the monitor closed its socket");
}

static int subscribe(struct ctr_ct *ct)
{
        int fd = monitor_connect(ct, "monitor.sock");

        if (fd < 0)
                return fd;
        int r = send_line(fd, "{\"cmd\":\"subscribe\"}\n");
        if (r < 0 || (r = bv_loop_add_fd(ct->h->o.loop, fd, EPOLLIN, on_sub, ct, &ct->sub_watch)) < 0) {
                close(fd);
                return r;
        }
        ct->sub_fd = fd;
        ct->sub_len = 0;
        return 0;
}

/* ---- the start: ready line and the monitor's exit ------------------------------------------- */

/* A failed start: nothing is left (the monitor exits 1 and cleans its part). */
static void start_failed(struct ctr_ct *ct, int r, const char *msg)
{
        enum ctr_ct_state back = !ct->have_status ? CTR_CT_CREATED
                                 : ct->st.state == CTR_CT_STATUS_CRASHED ? CTR_CT_CRASHED : CTR_CT_STOPPED;

        ready_close(ct);
        sub_close(ct);
        snprintf(ct->error, sizeof(ct->error), "%s", msg);
        ctr_ct_log(ct->h, CTR_LOG_WARN, "container '%s': start failed: %s", ct->def->name, msg);
        /* A monitor still alive exits by itself; its watch only reaps it (see on_monitor_exit). */
        ct->mon_child = NULL;
        ct->monitor_pid = 0;
        ct->monitor_is_child = false;
        ctr_ct_host_teardown(ct);
        ctr_ct_set_state(ct, back);
        ctr_ct_waiters_fire(ct, CTR_CT_WAIT_START, r, msg);
}

static void ready_ok(struct ctr_ct *ct, pid_t pid)
{
        ready_close(ct);
        ct->st.state = CTR_CT_STATUS_RUNNING;
        ct->st.restarts = 0;
        ct->st.monitor_pid = ct->monitor_pid;
        ctr_ct_status_started(ct, pid);
        ct->error[0] = '\0';
        ctr_ct_log(ct->h, CTR_LOG_DEBUG, "container '%s': ready %llu us after the spawn", ct->def->name,
                   (unsigned long long)(bv_now_usec() - ct->t_spawned));
        int r = subscribe(ct);
        if (r < 0)
                ctr_ct_log(ct->h, CTR_LOG_DEBUG, "container '%s': no subscription (%s): it may have ended already",
                           ct->def->name, strerror(-r));
        ctr_ct_set_state(ct, CTR_CT_RUNNING);
        ctr_ct_waiters_fire(ct, CTR_CT_WAIT_START, 0, NULL);
}

/* The monitor's ready line: {"ok":true,"pid":N} or {"ok":false,"error":"...","errno":N}. */
static void handle_ready(struct ctr_ct *ct, bool eof)
{
        char *nl = memchr(ct->ready_buf, '\n', ct->ready_len);
        json_auto_t *o = NULL;
        int ok = 0, e = 0;
        json_int_t pid = 0;
        const char *msg = NULL;

        if (!nl && !eof)
                return;
        if (nl)
                *nl = '\0';
        if (!ct->ready_len || bv_json_load_object(ct->ready_buf, strlen(ct->ready_buf), sizeof(ct->ready_buf), &o, NULL) < 0 ||
            json_unpack(o, "{s:b,s?I,s?s,s?i}", "ok", &ok, "pid", &pid, "error", &msg, "errno", &e) < 0) {
                char log[PATH_MAX], m[256];
                ctr_ct_run_path(ct, "monitor.log", log, sizeof(log));
                snprintf(m, sizeof(m), "The monitor exited before the container started (see '%.180s')", log);
                start_failed(ct, -EIO, m);
        } else if (!ok)
                start_failed(ct, e > 0 ? -e : -EIO, msg ? msg : "The container failed to start");
        else
                ready_ok(ct, (pid_t)pid);
}

/* Reads what the ready pipe has; whether it ended (or the buffer is full). */
static bool ready_read(struct ctr_ct *ct)
{
        for (;;) {
                ssize_t n = read(ct->ready_fd, ct->ready_buf + ct->ready_len, sizeof(ct->ready_buf) - 1 - ct->ready_len);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return false;
                if (n <= 0)
                        return true;
                ct->ready_len += (size_t)n;
                ct->ready_buf[ct->ready_len] = '\0';
                if (ct->ready_len >= sizeof(ct->ready_buf) - 1)
                        return true;
        }
}

static void on_ready(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct ctr_ct *ct = userdata;

        handle_ready(ct, ready_read(ct));
}

static void on_ready_timeout(struct bv_loop *loop, void *userdata)
{
        struct ctr_ct *ct = userdata;

        ct->ready_timer = NULL;
        if (ct->monitor_pid > 0)
                kill(ct->monitor_pid, SIGKILL);
        start_failed(ct, -ETIMEDOUT, "The monitor did not report within 60 s");
}

static void on_monitor_exit(struct bv_loop *loop, pid_t pid, int status, void *userdata)
{
        struct ctr_ct *ct = userdata;
        char why[64];

        if (pid != ct->monitor_pid || !ct->monitor_is_child)
                return;   /* the monitor of a failed start, now reaped */
        ct->mon_child = NULL;
        if (ct->state == CTR_CT_STARTING) {
                /* Its ready line may still sit in the pipe. */
                if (ct->ready_fd >= 0)
                        ready_read(ct);
                ct->monitor_pid = 0;
                ct->monitor_is_child = false;
                handle_ready(ct, true);
                if (ct->state != CTR_CT_RUNNING)
                        return;   /* start_failed() answered */
        }
        if (WIFEXITED(status))
                snprintf(why, sizeof(why), "exit status %d", WEXITSTATUS(status));
        else
                snprintf(why, sizeof(why), "killed by signal %d", WTERMSIG(status));
        /* Anything still in the subscription is older than the final status file. */
        ctr_ct_finish(ct, why);
}

/* The monitor's own messages, appended at every start: kept to two generations of 1 MiB at most. */
static int open_monitor_log(struct ctr_ct *ct, struct bv_error *err)
{
        char log[PATH_MAX], old[PATH_MAX + 2];
        struct stat st;

        ctr_ct_run_path(ct, "monitor.log", log, sizeof(log));
        if (stat(log, &st) == 0 && st.st_size > MONITOR_LOG_MAX) {
                snprintf(old, sizeof(old), "%s.1", log);
                rename(log, old);
        }
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        return fd >= 0 ? fd : bv_error_set_errno(err, errno, "Failed to open '%s'", log);
}

static int watch_monitor(struct ctr_ct *ct, pid_t pid, int ready_fd)
{
        struct bv_loop *loop = ct->h->o.loop;

        bv_fd_set_nonblock(ready_fd, 1);
        ct->ready_fd = ready_fd;
        ct->ready_len = 0;
        ct->monitor_pid = pid;
        ct->monitor_is_child = true;
        if (bv_loop_add_fd(loop, ct->ready_fd, EPOLLIN, on_ready, ct, &ct->ready_watch) < 0 ||
            bv_loop_add_child(loop, pid, on_monitor_exit, ct, &ct->mon_child) < 0 ||
            bv_loop_add_timer(loop, READY_TIMEOUT_USEC, on_ready_timeout, ct, &ct->ready_timer) < 0) {
                kill(pid, SIGKILL);
                if (!ct->mon_child)
                        waitpid(pid, NULL, 0);
                ct->mon_child = bv_child_remove(ct->mon_child);
                ready_close(ct);
                ct->monitor_pid = 0;
                return -ENOMEM;
        }
        return 0;
}

int ctr_ct_monitor_spawn(struct ctr_ct *ct, struct bv_error *err)
{
        struct ctr_ct_host *h = ct->h;
        char bundle[PATH_MAX], dir[PATH_MAX], stop_timeout[16];
        int ready[2];
        pid_t pid;

        ctr_ct_run_path(ct, NULL, dir, sizeof(dir));
        ctr_ct_run_path(ct, "bundle", bundle, sizeof(bundle));
        snprintf(stop_timeout, sizeof(stop_timeout), "%u", ct->def->stop_timeout);
        _cleanup_close_ int logfd = open_monitor_log(ct, err);
        if (logfd < 0)
                return logfd;
        if (pipe2(ready, O_CLOEXEC) < 0)
                return bv_error_set_errno(err, errno, "Failed to make a pipe");
        char *argv[] = {
                h->runtime_path, (char *)"--root", h->runtime_root, (char *)"monitor",
                (char *)"--bundle", bundle, (char *)"--dir", dir,
                (char *)"--restart", (char *)ctr_ct_restart_name(ct->def->restart),
                (char *)"--stop-signal", (char *)(ctr_ct_def_stop_signal(ct->def) == SIGPWR ? "SIGPWR" : "SIGTERM"),
                (char *)"--stop-timeout", stop_timeout, (char *)"--ready-fd", (char *)"3", ct->def->name, NULL,
        };
        int fds[3] = { -1, -1, logfd };
        int r = bv_spawn(h->runtime_fd, argv, fds, ready[1], true, &pid);
        close(ready[1]);
        if (r < 0) {
                close(ready[0]);
                return bv_error_set_errno(err, -r, "Failed to start the monitor '%s'", h->runtime_path);
        }
        if (watch_monitor(ct, pid, ready[0]) < 0)
                return bv_error_set(err, ENOMEM, "Cannot watch the monitor");
        return 0;
}

/* ---- stop and kill requests ------------------------------------------------------------------ */

static void on_ctl_line(struct ctr_ct *ct, const char *line)
{
        ctr_ct_log(ct->h, CTR_LOG_DEBUG, "container '%s': monitor answered %s", ct->def->name, line);
        ct->ctl_answered = true;
}

static void on_ctl(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct ctr_ct *ct = userdata;

        /* One answer per request: then done (a monitor going away is handled by the end). */
        if (read_lines(fd, ct->ctl_buf, &ct->ctl_len, sizeof(ct->ctl_buf), on_ctl_line, ct) < 0 || ct->ctl_answered)
                ctl_close(ct);
}

static void on_ctl_timeout(struct bv_loop *loop, void *userdata)
{
        struct ctr_ct *ct = userdata;

        ct->ctl_timer = NULL;
        ctr_ct_log(ct->h, CTR_LOG_WARN, "container '%s': the monitor did not answer in time; killing the container",
                   ct->def->name);
        ctl_close(ct);
        if (ct->st.pid > 0)
                kill(ct->st.pid, SIGKILL);
        if (ct->monitor_pid > 0)
                kill(ct->monitor_pid, SIGTERM);
}

static int ctl_send(struct ctr_ct *ct, const char *line, uint64_t timeout_usec, struct bv_error *err)
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
        if (bv_loop_add_fd(ct->h->o.loop, fd, EPOLLIN, on_ctl, ct, &ct->ctl_watch) < 0 ||
            bv_loop_add_timer(ct->h->o.loop, timeout_usec, on_ctl_timeout, ct, &ct->ctl_timer) < 0) {
                ctl_close(ct);
                return bv_error_set(err, ENOMEM, "Out of memory");
        }
        return 0;
}

int ctr_ct_monitor_stop(struct ctr_ct *ct, int timeout, struct bv_error *err)
{
        char line[64];

        ctl_close(ct);   /* a kill in flight is superseded */
        snprintf(line, sizeof(line), "{\"cmd\":\"stop\",\"timeout\":%d}\n", timeout);
        int r = ctl_send(ct, line, timeout * 1000000ULL + CTL_EXTRA_USEC, err);
        /* The monitor's socket is gone but it runs: SIGTERM is its stop. */
        if (r < 0 && ct->monitor_pid > 0 && kill(ct->monitor_pid, SIGTERM) == 0)
                r = 0;
        return r;
}

int ctr_ct_monitor_kill(struct ctr_ct *ct, int signo, struct bv_error *err)
{
        char line[64];

        if (ct->state == CTR_CT_STOPPING && ct->st.pid > 0) {
                /* The stop's connection is busy: signal the init directly. */
                if (kill(ct->st.pid, signo) < 0)
                        return bv_error_set_errno(err, errno, "Failed to signal container '%s'", ct->def->name);
                return 0;
        }
        snprintf(line, sizeof(line), "{\"cmd\":\"kill\",\"signal\":%d}\n", signo);
        return ctl_send(ct, line, CTL_EXTRA_USEC, err);
}

/* ---- adoption ------------------------------------------------------------------------------- */

static void adopt_try(struct ctr_ct *ct);

static void on_adopt_retry(struct bv_loop *loop, void *userdata)
{
        struct ctr_ct *ct = userdata;

        ct->adopt_timer = NULL;
        adopt_try(ct);
}

/* Looks again shortly; false when the retries are used up. */
static bool adopt_retry(struct ctr_ct *ct)
{
        if (ct->adopt_attempt >= ADOPT_RETRIES)
                return false;
        ct->adopt_attempt++;
        bv_loop_add_timer(ct->h->o.loop, ADOPT_RETRY_USEC, on_adopt_retry, ct, &ct->adopt_timer);
        return true;
}

/* The container ended while the owner was away (or its monitor died then). */
static void adopt_ended(struct ctr_ct *ct)
{
        if (ct->st.state == CTR_CT_STATUS_RUNNING || ct->st.state == CTR_CT_STATUS_RESTARTING) {
                snprintf(ct->error, sizeof(ct->error), "monitor died while barevirtd was away");
                ctr_ct_reap_orphan(ct);
        }
        ctr_ct_host_teardown(ct);
        ct->state = ct->st.state == CTR_CT_STATUS_STOPPED ? CTR_CT_STOPPED : CTR_CT_CRASHED;
        ctr_ct_log(ct->h, CTR_LOG_INFO, "container '%s': %s while barevirtd was away (exit code %d)", ct->def->name,
                   ctr_ct_state_name(ct->state), ct->st.exit_code);
}

static enum ctr_ct_state live_state(const struct ctr_ct *ct)
{
        if (ct->st.state == CTR_CT_STATUS_RESTARTING)
                return CTR_CT_RESTARTING;
        return ctr_ct_frozen(ct) ? CTR_CT_PAUSED : CTR_CT_RUNNING;
}

static void adopt_try(struct ctr_ct *ct)
{
        int r = ctr_ct_monitor_read_status(ct);
        char sock[PATH_MAX];

        ctr_ct_run_path(ct, "monitor.sock", sock, sizeof(sock));
        /* A monitor still starting its container (the owner died meanwhile): its status comes shortly. */
        if (r == -ENOENT && access(sock, F_OK) == 0 && adopt_retry(ct))
                return;
        if (r < 0) {
                ctr_ct_host_teardown(ct);
                if (r != -ENOENT)
                        snprintf(ct->error, sizeof(ct->error), "Unreadable monitor.json");
                ct->state = r == -ENOENT ? CTR_CT_CREATED : CTR_CT_CRASHED;
                return;
        }
        if (ct->st.state == CTR_CT_STATUS_STOPPED || ct->st.state == CTR_CT_STATUS_CRASHED ||
            !ctr_ct_monitor_alive(&ct->st)) {
                adopt_ended(ct);
                return;
        }
        ct->monitor_pid = ct->st.monitor_pid;
        ct->monitor_is_child = false;
        if (subscribe(ct) < 0) {
                /* Alive but not answering: it is ending (or starting); look again shortly. */
                if (adopt_retry(ct))
                        return;
                ctr_ct_log(ct->h, CTR_LOG_WARN, "container '%s': its monitor (pid %d) does not answer", ct->def->name,
                           (int)ct->monitor_pid);
                ct->state = live_state(ct);
                ctr_ct_net_find_veths(ct);
                return;
        }
        /* Subscribed: read the file again, so a change in between is not missed. */
        ctr_ct_monitor_read_status(ct);
        ct->state = live_state(ct);
        ctr_ct_net_find_veths(ct);
        ctr_ct_log(ct->h, CTR_LOG_INFO, "container '%s': re-adopted monitor pid %d (container pid %d, %s)", ct->def->name,
                   (int)ct->monitor_pid, (int)ct->st.pid, ctr_ct_state_name(ct->state));
}

void ctr_ct_monitor_adopt(struct ctr_ct *ct)
{
        ct->adopt_attempt = 0;
        adopt_try(ct);
}
