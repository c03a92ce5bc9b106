/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Child processes watched on the event loop, never waited for on its
 * thread: bv_spawn() starts a program (say a container monitor, from a
 * sealed memfd copy of its binary) with posix_spawn, so the caller's
 * memory is never copied; bv_job_spawn() runs a program with its output
 * captured into bounded buffers and calls back on exit; bv_job_fork() runs
 * a blocking library call (image import, recursive removal) in a forked
 * child and hands its result and message back through a socket (an error
 * message, or a result such as an image id). Every job has an optional
 * timeout after which the child is killed; the jobs of a struct bv_jobs
 * still running when it is freed are killed, and their callbacks run as
 * for a timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"

extern char **environ;

struct bv_jobs {
        struct bv_loop *loop;
        struct bv_job *head;
};

int bv_spawn(int exe_fd, char *const argv[], const int fds[3], int extra_fd, bool setsid_, pid_t *ret_pid)
{
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none, all;
        char exe[64];
        pid_t pid;
        int r;

        /* dup2 onto itself would keep close-on-exec: move such an fd out of the way first. */
        _cleanup_close_ int moved = -1;
        if (extra_fd >= 0 && extra_fd <= 3) {
                moved = fcntl(extra_fd, F_DUPFD_CLOEXEC, 10);
                if (moved < 0)
                        return -errno;
                extra_fd = moved;
        }
        posix_spawn_file_actions_init(&fa);
        posix_spawnattr_init(&attr);
        sigemptyset(&none);
        sigfillset(&all);
        sigdelset(&all, SIGKILL);
        sigdelset(&all, SIGSTOP);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &all);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                         (setsid_ ? POSIX_SPAWN_SETSID : 0));
        for (int i = 0; i < 3; i++) {
                if (fds && fds[i] >= 0)
                        posix_spawn_file_actions_adddup2(&fa, fds[i], i);
                else
                        posix_spawn_file_actions_addopen(&fa, i, "/dev/null", i == 0 ? O_RDONLY : O_WRONLY, 0);
        }
        if (extra_fd >= 0)
                posix_spawn_file_actions_adddup2(&fa, extra_fd, 3);
        posix_spawn_file_actions_addchdir_np(&fa, "/");
        if (exe_fd >= 0)
                snprintf(exe, sizeof(exe), "/proc/self/fd/%d", exe_fd);
        r = posix_spawn(&pid, exe_fd >= 0 ? exe : argv[0], &fa, &attr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (r != 0)
                return -r;
        *ret_pid = pid;
        return 0;
}

/* ---- jobs ---------------------------------------------------------------------- */

struct bv_job {
        struct bv_jobs *jobs;
        struct bv_job *next;
        pid_t pid;
        struct bv_child *child;
        struct bv_timer *timer;
        struct {
                int fd;
                struct bv_watch *watch;
                char *buf;
                size_t len;
        } out[2];
        size_t max;
        bool truncated, exited, timed_out;
        int status;
        bv_job_cb cb;
        bv_fork_cb fork_cb;
        void *userdata;
};

static void job_unlink(struct bv_job *j)
{
        for (struct bv_job **p = &j->jobs->head; *p; p = &(*p)->next)
                if (*p == j) {
                        *p = j->next;
                        break;
                }
}

static void job_free(struct bv_job *j)
{
        job_unlink(j);
        bv_child_remove(j->child);
        bv_timer_cancel(j->timer);
        for (int i = 0; i < 2; i++) {
                bv_watch_remove(j->out[i].watch);
                if (j->out[i].fd >= 0)
                        close(j->out[i].fd);
                free(j->out[i].buf);
        }
        free(j);
}

static void job_maybe_done(struct bv_job *j)
{
        if (!j->exited || j->out[0].fd >= 0 || j->out[1].fd >= 0)
                return;
        int status = j->timed_out ? -1 : j->status;
        if (j->cb)
                j->cb(status, j->out[0].buf ? j->out[0].buf : "", j->out[0].len,
                      j->out[1].buf ? j->out[1].buf : "", j->out[1].len, j->truncated, j->userdata);
        else if (j->fork_cb) {
                const char *msg = j->out[0].buf ? j->out[0].buf : "";
                int r;
                if (j->timed_out)
                        r = -ETIMEDOUT;
                else if (WIFEXITED(status))
                        r = -WEXITSTATUS(status);   /* the child exits with -r */
                else
                        r = -EINTR;
                if (r == -EINTR && !*msg)
                        msg = "the helper process was killed";
                if (r == -ETIMEDOUT && !*msg)
                        msg = "the helper process did not finish in time";
                j->fork_cb(r, msg, j->userdata);
        }
        job_free(j);
}

static void job_close_out(struct bv_job *j, int i)
{
        j->out[i].watch = bv_watch_remove(j->out[i].watch);
        close(j->out[i].fd);
        j->out[i].fd = -1;
}

/* Reads one chunk of output i into the job's buffer. Returns what read() returned. */
static ssize_t job_read(struct bv_job *j, int i)
{
        char tmp[4096];
        ssize_t n = read(j->out[i].fd, tmp, sizeof(tmp));

        if (n <= 0)
                return n;
        size_t take = (size_t)n;
        if (j->out[i].len + take > j->max) {
                take = j->max - j->out[i].len;
                j->truncated = true;
        }
        if (take > 0) {
                char *b = realloc(j->out[i].buf, j->out[i].len + take + 1);
                if (!b) {
                        j->truncated = true;
                        return n;
                }
                memcpy(b + j->out[i].len, tmp, take);
                j->out[i].len += take;
                b[j->out[i].len] = '\0';
                j->out[i].buf = b;
        }
        return n;
}

static void on_job_output(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct bv_job *j = userdata;
        int i = fd == j->out[0].fd ? 0 : 1;

        ssize_t n = job_read(j, i);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                job_close_out(j, i);
                job_maybe_done(j);
        }
}

/* The child is gone: take what its outputs hold now (grandchildren may keep them open). */
static void job_exited(struct bv_job *j, int status)
{
        j->exited = true;
        j->status = status;
        j->timer = bv_timer_cancel(j->timer);
        for (int i = 0; i < 2; i++)
                if (j->out[i].fd >= 0) {
                        while (job_read(j, i) > 0)
                                ;
                        job_close_out(j, i);
                }
        job_maybe_done(j);
}

static void on_job_exit(struct bv_loop *loop, pid_t pid, int status, void *userdata)
{
        struct bv_job *j = userdata;

        j->child = NULL;
        job_exited(j, status);
}

static void on_job_timeout(struct bv_loop *loop, void *userdata)
{
        struct bv_job *j = userdata;

        j->timer = NULL;
        j->timed_out = true;
        kill(j->pid, SIGKILL);
}

static int job_new(struct bv_jobs *jobs, size_t max, struct bv_job **ret)
{
        struct bv_job *j = calloc(1, sizeof(*j));

        if (!j)
                return -ENOMEM;
        j->jobs = jobs;
        j->max = max;
        j->out[0].fd = j->out[1].fd = -1;
        *ret = j;
        return 0;
}

static int job_watch(struct bv_job *j, uint64_t timeout_usec)
{
        for (int i = 0; i < 2; i++)
                if (j->out[i].fd >= 0 &&
                    bv_loop_add_fd(j->jobs->loop, j->out[i].fd, EPOLLIN, on_job_output, j, &j->out[i].watch) < 0)
                        return -ENOMEM;
        if (bv_loop_add_child(j->jobs->loop, j->pid, on_job_exit, j, &j->child) < 0)
                return -ECHILD;
        if (timeout_usec && bv_loop_add_timer(j->jobs->loop, timeout_usec, on_job_timeout, j, &j->timer) < 0)
                return -ENOMEM;
        j->next = j->jobs->head;
        j->jobs->head = j;
        return 0;
}

static void job_abort(struct bv_job *j)
{
        if (j->pid > 0 && !j->child) {
                kill(j->pid, SIGKILL);
                waitpid(j->pid, NULL, 0);
        } else if (j->pid > 0) {
                kill(j->pid, SIGKILL);
        }
        job_free(j);
}

/*
 * Pipes are socketpairs: on_job_exit() peeks them without blocking to tell
 * "nothing yet" from "end", which a pipe cannot do portably.
 */
static int out_pair(int fds[2])
{
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
                return -errno;
        shutdown(fds[0], SHUT_WR);
        shutdown(fds[1], SHUT_RD);
        bv_fd_set_nonblock(fds[0], 1);
        return 0;
}

int bv_job_spawn(struct bv_jobs *jobs, int exe_fd, char *const argv[], size_t max, uint64_t timeout_usec,
                 bv_job_cb cb, void *userdata)
{
        struct bv_job *j;
        int o[2] = { -1, -1 }, e[2] = { -1, -1 }, r;

        if ((r = job_new(jobs, max, &j)) < 0)
                return r;
        if ((r = out_pair(o)) < 0 || (r = out_pair(e)) < 0) {
                if (o[0] >= 0) {
                        close(o[0]);
                        close(o[1]);
                }
                free(j);
                return r;
        }
        int fds[3] = { -1, o[1], e[1] };
        r = bv_spawn(exe_fd, argv, fds, -1, false, &j->pid);
        close(o[1]);
        close(e[1]);
        j->out[0].fd = o[0];
        j->out[1].fd = e[0];
        j->cb = cb;
        j->userdata = userdata;
        if (r < 0 || (r = job_watch(j, timeout_usec)) < 0) {
                job_unlink(j);
                job_abort(j);
                return r;
        }
        return 0;
}

int bv_job_fork(struct bv_jobs *jobs, bv_fork_fn fn, void *arg, uint64_t timeout_usec, bv_fork_cb cb,
                void *userdata)
{
        struct bv_job *j;
        int o[2], r;

        if ((r = job_new(jobs, 1024, &j)) < 0)
                return r;
        if ((r = out_pair(o)) < 0) {
                free(j);
                return r;
        }
        pid_t pid = fork();
        if (pid < 0) {
                r = -errno;
                close(o[0]);
                close(o[1]);
                free(j);
                return r;
        }
        if (pid == 0) {
                char msg[512] = "";
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                r = fn(arg, msg, sizeof(msg));
                if (msg[0])
                        bv_fd_write_all(o[1], msg, strlen(msg));
                _exit(r < 0 ? (-r > 255 ? EIO : -r) : 0);
        }
        close(o[1]);
        j->pid = pid;
        j->out[0].fd = o[0];
        j->fork_cb = cb;
        j->userdata = userdata;
        if ((r = job_watch(j, timeout_usec)) < 0) {
                job_unlink(j);
                job_abort(j);
                return r;
        }
        return 0;
}

int bv_jobs_new(struct bv_loop *loop, struct bv_jobs **ret)
{
        struct bv_jobs *jobs = calloc(1, sizeof(*jobs));

        if (!jobs)
                return -ENOMEM;
        jobs->loop = loop;
        *ret = jobs;
        return 0;
}

struct bv_jobs *bv_jobs_free(struct bv_jobs *jobs)
{
        if (!jobs)
                return NULL;
        while (jobs->head) {
                struct bv_job *j = jobs->head;
                j->child = bv_child_remove(j->child);
                kill(j->pid, SIGKILL);
                waitpid(j->pid, NULL, 0);
                j->timed_out = true;   /* callbacks see a cancelled job */
                job_exited(j, -1);     /* frees j, unlinking it */
        }
        free(jobs);
        return NULL;
}
