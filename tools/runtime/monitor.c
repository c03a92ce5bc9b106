/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `barevirt-runtime monitor`: one small process per barevirtd container.
 * barevirtd starts it (fork + setsid + exec) and may die or restart at any
 * time; the monitor keeps the container, its console and its exit status.
 *
 * It creates the container itself (ctr_container_create with start_now),
 * so the container's init is its child and its exit status is ours to
 * reap, wherever barevirtd is. It holds the pty master (process.terminal)
 * or the read end of a pipe on the init's stdout/stderr (stdin /dev/null),
 * writes the status to D/monitor.json atomically on every change, applies
 * the restart policy (backoff 100 ms doubling to 5 s, reset after 10 s of
 * running), and serves D/console.sock and D/monitor.sock (monitor-io.c).
 * Stop sends the stop signal, waits, then kills the whole cgroup
 * (cgroup.kill; where there is none, every task while the v1 freezer holds
 * them; falling back to SIGKILL of the init). When the container
 * ends for good it deletes the runtime state (cgroup, state dir), writes
 * the final monitor.json, removes its sockets and exits 0.
 *
 * --ready-fd N gets one JSON line once the container runs, or the error;
 * a monitor that fails to start the container exits 1 and leaves nothing
 * behind (no runtime state, no sockets, no monitor.json of its own).
 *
 * Single-threaded on common/common.h (loop); nothing here blocks except the
 * container create/delete calls, which are bounded by the runtime.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr.h"
#include "tools/runtime/monitor.h"
#include "tools/runtime/runtime.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define BACKOFF_RESET_USEC (10ULL * 1000000)
#define DEFAULT_LOG_MAX (1024 * 1024)
#define CONFIG_MAX (1024 * 1024)


int mon_write_status(struct mon *m)
{
        json_auto_t *j = ctr_ct_status_to_json(&m->st);
        return j ? bv_json_write_file(m->status_path, j, NULL) : -ENOMEM;
}

static void ready(struct mon *m, int r, const struct bv_error *err)
{
        if (m->ready_fd < 0)
                return;
        json_auto_t *j = r < 0 ? json_pack("{s:b, s:s, s:i}", "ok", false, "error", bv_error_message(err, r),
                                           "errno", -r)
                               : json_pack("{s:b, s:I}", "ok", true, "pid", (json_int_t)m->pid);
        _cleanup_free_ char *s = j ? bv_json_dumps(j) : NULL;
        if (s) {
                size_t n = strlen(s);
                s[n] = '\n';
                (void)bv_fd_write_all(m->ready_fd, s, n + 1);
        }
        close(m->ready_fd);
        m->ready_fd = -1;
}

static void child_exited(struct bv_loop *loop, pid_t pid, int status, void *userdata);

/*
 * The fds the container starts with, ours to close after the create: for a
 * terminal the socket the pty master comes back on (io[0] ours, io[1] the
 * init's); otherwise stdin /dev/null (io[1]) and stdout and stderr the write
 * end of a pipe (io[2]) whose read end (io[0]) we keep. All close-on-exec:
 * the create passes them on explicitly (stdio_fds), our own 0-2 stay.
 */
static int open_container_io(bool terminal, int io[3], struct bv_error *err)
{
        int p[2];

        io[0] = io[1] = io[2] = -1;
        if (terminal) {
                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
                        return bv_error_set_errno(err, errno, "Failed to create the console socket");
                io[0] = p[0];
                io[1] = p[1];
                return 0;
        }
        io[1] = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (io[1] < 0 || pipe2(p, O_CLOEXEC) < 0) {
                int r = bv_error_set_errno(err, errno, "Failed to create the output pipe");
                if (io[1] >= 0)
                        close(io[1]);
                return r;
        }
        io[0] = p[0];
        io[2] = p[1];
        return 0;
}

/* Creates and starts the container, our child; the fd of its output (pty master or pipe) into *ret_out. */
static int create_container(struct mon *m, pid_t *ret_pid, int *ret_out, struct bv_error *err)
{
        struct ctr_config *cfg = NULL;
        int io[3], out = -1;
        int r;

        r = ctr_config_load(m->bundle, &cfg, err);
        if (r < 0)
                return r;
        m->terminal = ctr_config_terminal(cfg);
        if ((r = open_container_io(m->terminal, io, err)) < 0) {
                ctr_config_free(cfg);
                return r;
        }
        struct ctr_create_opts o = { .state_root = m->root, .id = m->id, .bundle = m->bundle,
                                     .has_console_fd = m->terminal, .console_fd = io[1], .start_now = true,
                                     .die_with_parent = true,
                                     .has_stdio = !m->terminal, .stdio_fds = { io[1], io[2], io[2] } };
        r = ctr_container_create(cfg, &o, ret_pid, err);
        ctr_config_free(cfg);
        close(io[1]);
        if (io[2] >= 0)
                close(io[2]);   /* the write end now lives only in the container */
        if (r == 0 && m->terminal) {
                char buf[16];
                size_t nfds = 0;
                if (bv_fd_recv(io[0], buf, sizeof(buf), &out, 1, &nfds) <= 0 || nfds != 1)
                        out = -1;
        }
        if (m->terminal || r < 0)
                close(io[0]);
        else
                out = io[0];
        *ret_out = out;
        return r;
}

/* Creates and starts the container, watches its init, attaches its output, records it running. */
static int start_container(struct mon *m, struct bv_error *err)
{
        pid_t pid = 0;
        int out = -1;
        int r;

        if ((r = create_container(m, &pid, &out, err)) < 0)
                return r;
        m->pid = pid;
        r = bv_loop_add_child(m->loop, pid, child_exited, m, &m->child);
        if (r < 0) {
                /* Cannot watch it: do not leave it running unobserved. */
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                (void)ctr_container_delete(m->root, m->id, true, NULL);
                if (out >= 0)
                        close(out);
                m->pid = 0;
                return bv_error_set_errno(err, -r, "Failed to watch the container's init");
        }
        if (out >= 0)
                mon_output_attach(m, out);
        m->started_usec = bv_now_usec();
        m->requested_signal = 0;
        m->st.state = CTR_CT_STATUS_RUNNING;
        m->st.pid = pid;
        m->st.exit_code = -1;
        m->st.signal = 0;
        m->st.oom_killed = false;
        m->st.finished_at[0] = 0;
        bv_now_iso(m->st.started_at, sizeof(m->st.started_at));
        return 0;
}

static void finish(struct mon *m)
{
        m->stop_timer = bv_timer_cancel(m->stop_timer);
        m->restart_timer = bv_timer_cancel(m->restart_timer);
        m->shrink_timer = bv_timer_cancel(m->shrink_timer);
        m->st.pid = 0;
        if (!m->st.finished_at[0])
                bv_now_iso(m->st.finished_at, sizeof(m->st.finished_at));
        mon_write_status(m);
        mon_event(m, "stopped");
        mon_reply_stopped(m);
        bv_loop_quit(m->loop, 0);
}

static void restart_now(struct bv_loop *loop, void *userdata)
{
        struct mon *m = userdata;
        struct bv_error err = { 0 };
        (void)loop;

        m->restart_timer = NULL;
        mon_touch(m);
        int r = start_container(m, &err);
        if (r < 0) {
                /* The container cannot come back (rootfs gone, ...): it has crashed for good. */
                m->st.state = CTR_CT_STATUS_CRASHED;
                finish(m);
                return;
        }
        m->st.restarts++;
        mon_write_status(m);
        mon_event(m, "running");
}

static void child_exited(struct bv_loop *loop, pid_t pid, int status, void *userdata)
{
        struct mon *m = userdata;
        struct bv_error err = { 0 };
        (void)loop;
        (void)pid;

        mon_touch(m);
        m->child = NULL;
        mon_output_drain(m);
        m->st.oom_killed = ctr_container_oom_killed(m->root, m->id);
        /* Whatever is left in the cgroup goes with the init; then the runtime state. */
        (void)ctr_container_delete(m->root, m->id, true, &err);
        m->pid = 0;
        m->st.pid = 0;
        m->stop_timer = bv_timer_cancel(m->stop_timer);
        if (WIFSIGNALED(status)) {
                m->st.signal = WTERMSIG(status);
                m->st.exit_code = 128 + m->st.signal;
        } else {
                m->st.signal = 0;
                m->st.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
        }
        bv_now_iso(m->st.finished_at, sizeof(m->st.finished_at));
        bool failed = WIFSIGNALED(status) ? m->st.signal != m->requested_signal || m->st.oom_killed
                                          : m->st.exit_code != 0;
        bool again = !m->stopping && (m->restart == CTR_CT_RESTART_ALWAYS ||
                                      (m->restart == CTR_CT_RESTART_ON_FAILURE && failed));
        m->st.state = again ? CTR_CT_STATUS_RESTARTING
                            : (failed && !m->stopping ? CTR_CT_STATUS_CRASHED : CTR_CT_STATUS_STOPPED);
        mon_event(m, "exited");
        if (!again) {
                finish(m);
                return;
        }
        if (bv_now_usec() - m->started_usec >= BACKOFF_RESET_USEC)
                m->backoff_ms = BACKOFF_MIN_MS;
        uint64_t delay = m->backoff_ms;
        m->backoff_ms = BV_MIN(m->backoff_ms * 2, BACKOFF_MAX_MS);
        mon_write_status(m);
        mon_event(m, "restarting");
        if (bv_loop_add_timer(m->loop, delay * 1000, restart_now, m, &m->restart_timer) < 0) {
                m->st.state = CTR_CT_STATUS_CRASHED;
                finish(m);
        }
}

static void stop_timeout(struct bv_loop *loop, void *userdata)
{
        struct mon *m = userdata;
        (void)loop;

        m->stop_timer = NULL;
        if (!m->pid)
                return;
        /* The init ignored the stop signal: end every process of the container at once. */
        if (ctr_container_kill(m->root, m->id, SIGKILL, true, NULL) < 0)
                kill(m->pid, SIGKILL);
}

void mon_request_stop(struct mon *m, unsigned timeout_s)
{
        if (!m->pid) {
                /* Nothing runs (waiting for a restart): stopped now. */
                m->stopping = true;
                if (m->st.state == CTR_CT_STATUS_RESTARTING)
                        m->st.state = CTR_CT_STATUS_STOPPED;
                finish(m);
                return;
        }
        if (!m->stopping || timeout_s == 0) {
                m->stopping = true;
                m->requested_signal = m->stop_signal;
                kill(m->pid, m->stop_signal);
                m->stop_timer = bv_timer_cancel(m->stop_timer);
                bv_loop_add_timer(m->loop, (uint64_t)timeout_s * 1000000, stop_timeout, m, &m->stop_timer);
        }
}

int mon_request_kill(struct mon *m, int sig)
{
        if (!m->pid)
                return -ESRCH;
        m->requested_signal = sig;
        return kill(m->pid, sig) < 0 ? -errno : 0;
}

static void on_signal(struct bv_loop *loop, int signo, void *userdata)
{
        struct mon *m = userdata;
        (void)loop;
        if (signo == SIGTERM || signo == SIGINT)
                mon_request_stop(m, m->stop_timeout);
}

/* Refuses a second monitor for the same directory while the first one lives. */
static int check_no_other(struct mon *m, struct bv_error *err)
{
        struct ctr_ct_status old;

        if (ctr_ct_monitor_read(m->dir, &old, NULL) == 0 && ctr_ct_monitor_alive(&old) &&
            old.monitor_pid != getpid())
                return bv_error_set(err, EBUSY, "Container '%s' already has a monitor (pid %d)", m->id,
                                    (int)old.monitor_pid);
        return 0;
}

/*
 * The issue asks each monitor to stay under 1 MiB of RSS, and after start-up
 * it only waits. Most of what start-up left resident are page-cache pages
 * of libc and the other libraries, mapped around each fault. Those mappings
 * that hold no private (Anonymous) page and are not writable are exact
 * copies of their file: dropping their page table entries loses nothing,
 * and the few pages the event loop needs come back on first touch. The
 * stack below the current frame is dead and goes the same way; the heap is
 * trimmed. Nothing is ever dropped from a mapping with private pages (such
 * as RELRO, relocated at load time), so no data can revert to the file.
 */
static void mon_shrink(void)
{
        static struct { unsigned long start, end; } drop[128];
        size_t n = 0;
        char line[512], perms[8] = "";
        unsigned long start = 0, end = 0, stack_start = 0, stack_end = 0;
        bool have = false, writable = true;
        FILE *f = fopen("/proc/self/smaps", "re");

        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                unsigned long a, b, kb;
                if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) == 3 && strchr(line, '-') < strchr(line, ' ')) {
                        have = true;
                        start = a;
                        end = b;
                        writable = strchr(perms, 'w') != NULL;
                        if (strstr(line, "[stack]")) {
                                stack_start = a;
                                stack_end = b;
                        }
                        continue;
                }
                if (have && sscanf(line, "Anonymous: %lu kB", &kb) == 1) {
                        have = false;
                        if (!writable && kb == 0 && perms[0] == 'r' && perms[3] == 'p' && n < BV_ELEMENTSOF(drop)) {
                                drop[n].start = start;
                                drop[n].end = end;
                                n++;
                        }
                }
        }
        fclose(f);
        malloc_trim(0);
        /* Only system calls from here: the pages dropped must not be touched again right away. */
        for (size_t i = 0; i < n; i++) {
                madvise((void *)drop[i].start, drop[i].end - drop[i].start, MADV_DONTNEED);
                /* No fault-around: a page touched later maps alone, not with its 15 neighbours. */
                madvise((void *)drop[i].start, drop[i].end - drop[i].start, MADV_RANDOM);
        }
        if (stack_start) {
                volatile char here = 0;
                unsigned long sp = (unsigned long)&here & ~4095UL;
                /* Keep a margin of 16 KiB below us for the frames the loop calls into. */
                if (sp > stack_start + 16384 && sp < stack_end)
                        madvise((void *)stack_start, sp - 16384 - stack_start, MADV_DONTNEED);
        }
}

static void shrink_cb(struct bv_loop *loop, void *userdata)
{
        struct mon *m = userdata;
        (void)loop;
        m->shrink_timer = NULL;
        mon_shrink();
}

void mon_touch(struct mon *m)
{
        if (!m->shrink_timer)
                bv_loop_add_timer(m->loop, 2 * 1000000, shrink_cb, m, &m->shrink_timer);
}

static int setup(struct mon *m, struct bv_error *err)
{
        int r;

        if ((r = check_no_other(m, err)) < 0)
                return r;
        if ((r = bv_loop_new(&m->loop, err)) < 0)
                return r;
        if ((r = bv_loop_add_signal(m->loop, SIGTERM, on_signal, m)) < 0 ||
            (r = bv_loop_add_signal(m->loop, SIGINT, on_signal, m)) < 0)
                return bv_error_set_errno(err, -r, "Failed to watch signals");
        if ((r = mon_io_open(m, err)) < 0)
                return r;
        m->st.monitor_pid = getpid();
        if ((r = bv_proc_start_time(getpid(), &m->st.monitor_start_time)) < 0)
                return bv_error_set_errno(err, -r, "Failed to read our own start time");
        snprintf(m->st.id, sizeof(m->st.id), "%s", m->id);
        return start_container(m, err);
}

struct mon_args {
        const char *bundle, *dir, *restart, *stop_sig, *log_max, *ready_fd, *stop_timeout_s, *id;
};

/* fds 0-2 must exist: a socket or the log opened on one of them would get whatever goes to stdio. */
static void ensure_stdio(void)
{
        for (int fd = 0; fd < 3; fd++)
                if (fcntl(fd, F_GETFD) < 0) {
                        int n = open("/dev/null", O_RDWR);
                        if (n >= 0 && n != fd) {
                                dup2(n, fd);
                                close(n);
                        }
                }
}

/* The ready fd first: every later failure is reported on it. -EINVAL when it is not an open fd >= 3. */
static int take_ready_fd(struct mon *m, const char *ready_fd)
{
        unsigned u;

        if (!ready_fd)
                return 0;
        if (bv_parse_uint(ready_fd, 3, 65535, &u) < 0 || fcntl((int)u, F_GETFD) < 0)
                return -EINVAL;
        m->ready_fd = (int)u;
        bv_fd_set_cloexec(m->ready_fd, 1);
        return 0;
}

/* The options into m, the bundle's and dir's real paths into bundle_abs and dir_abs. */
static int check_args(struct mon *m, const struct mon_args *a, char *bundle_abs, char *dir_abs, struct bv_error *err)
{
        if (!a->id)
                return bv_error_set(err, EINVAL, "monitor: expected exactly one container id");
        if (!a->bundle || !a->dir)
                return bv_error_set(err, EINVAL, "monitor: --bundle and --dir are required");
        if (ctr_ct_restart_from_string(a->restart, &m->restart) < 0)
                return bv_error_set(err, EINVAL, "monitor: --restart must be no, on-failure or always");
        if ((m->stop_signal = bv_parse_signal(a->stop_sig)) < 0)
                return bv_error_set(err, EINVAL, "monitor: unknown --stop-signal '%s'", a->stop_sig);
        if (a->log_max && bv_parse_u64(a->log_max, 4096, 1ULL << 40, &m->log_max) < 0)
                return bv_error_set(err, EINVAL, "monitor: --log-max must be 4096..1TiB bytes");
        if (a->stop_timeout_s && bv_parse_uint(a->stop_timeout_s, 0, CTR_CT_MAX_STOP_TIMEOUT, &m->stop_timeout) < 0)
                return bv_error_set(err, EINVAL, "monitor: --stop-timeout must be 0..3600 seconds");
        if (!realpath(a->bundle, bundle_abs))
                return bv_error_set_errno(err, errno, "monitor: bundle '%s'", a->bundle);
        if (!realpath(a->dir, dir_abs))
                return bv_error_set_errno(err, errno, "monitor: dir '%s'", a->dir);
        return bv_name_check(a->id, "container", err);
}

/* The files in the monitor's directory. */
static void set_paths(struct mon *m)
{
        snprintf(m->log_path, sizeof(m->log_path), "%s/console.log", m->dir);
        snprintf(m->log_old, sizeof(m->log_old), "%s/console.log.1", m->dir);
        snprintf(m->mon_sock, sizeof(m->mon_sock), "%s/monitor.sock", m->dir);
        snprintf(m->con_sock, sizeof(m->con_sock), "%s/console.sock", m->dir);
        snprintf(m->status_path, sizeof(m->status_path), "%s/monitor.json", m->dir);
}

/* Sets up and starts the container, reports on the ready fd, and serves until the end. */
static int run(struct mon *m)
{
        struct bv_error err = { 0 };
        bool log_existed = access(m->log_path, F_OK) == 0;
        int r = setup(m, &err);

        if (r < 0) {
                mon_io_close(m);
                if (!log_existed) {
                        struct stat st;
                        if (stat(m->log_path, &st) == 0 && st.st_size == 0)
                                unlink(m->log_path);
                }
                bv_loop_free(m->loop);
                ready(m, r, &err);
                return rt_fail_err(NULL, r, &err);
        }
        mon_write_status(m);
        ready(m, 0, NULL);
        /* From here on we only wait: give back what start-up used. */
        mon_shrink();
        mon_touch(m);   /* and again once the first requests (barevirtd's subscribe) are served */
        r = bv_loop_run(m->loop);
        mon_io_close(m);
        bv_loop_free(m->loop);
        return r < 0 ? 1 : 0;
}

int cmd_monitor(int argc, char **argv)
{
        struct mon_args a = { .restart = "no", .stop_sig = "SIGTERM" };
        struct rt_opt opts[] = {
                { "bundle", 'b', true, &a.bundle, NULL },
                { "dir", 0, true, &a.dir, NULL },
                { "restart", 0, true, &a.restart, NULL },
                { "stop-signal", 0, true, &a.stop_sig, NULL },
                { "stop-timeout", 0, true, &a.stop_timeout_s, NULL },
                { "log-max", 0, true, &a.log_max, NULL },
                { "ready-fd", 0, true, &a.ready_fd, NULL },
                { NULL, 0, false, NULL, NULL },
        };
        static struct mon mon;   /* one per process; static keeps it off the stack and zeroed */
        struct mon *m = &mon;
        struct bv_error err = { 0 };
        char bundle_abs[PATH_MAX], dir_abs[PATH_MAX];
        int r;

        m->ready_fd = m->out_fd = m->log.fd = m->mon_lfd = m->con_lfd = -1;
        ensure_stdio();
        m->log_max = DEFAULT_LOG_MAX;
        m->stop_timeout = 10;
        m->backoff_ms = BACKOFF_MIN_MS;
        m->st.exit_code = -1;
        int i = rt_parse_opts(argc, argv, opts, "monitor");
        if (i < 0)
                return 1;
        if (take_ready_fd(m, a.ready_fd) < 0)
                return rt_fail("monitor: invalid --ready-fd '%s'", a.ready_fd);
        a.id = i == argc - 1 ? argv[i] : NULL;
        if ((r = check_args(m, &a, bundle_abs, dir_abs, &err)) < 0) {
                ready(m, r, &err);
                return rt_fail_err(NULL, r, &err);
        }
        m->root = rt.root;
        m->bundle = bundle_abs;
        m->dir = dir_abs;
        m->id = a.id;
        set_paths(m);

        /* Outlive whoever started us: our own session, no controlling tty, no cwd pinned. */
        if (getsid(0) != getpid())
                (void)setsid();
        if (chdir("/") < 0)
                return rt_fail("monitor: chdir /: %s", strerror(errno));
        signal(SIGPIPE, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        return run(m);
}
