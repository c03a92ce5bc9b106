/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Child processes on the event loop (job.c): a program spawned without
 * copying the caller's memory, a program run with its output captured, and
 * a blocking call run in a forked child. Nothing here blocks the loop.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bv_loop;
struct bv_jobs;

/*
 * Spawns argv (argv[0] shown; executes exe_fd when >= 0, else the path
 * argv[0]) with stdin/stdout/stderr from fds[0..2] (fds NULL or -1:
 * /dev/null) and extra_fd as fd 3 (-1: none), every other fd closed by
 * close-on-exec, signal mask and dispositions reset, in /, in a new
 * session when new_session. The child is not watched: the caller reaps
 * it. Returns 0 with *ret_pid, or -errno.
 */
int bv_spawn(int exe_fd, char *const argv[], const int fds[3], int extra_fd, bool new_session,
             pid_t *ret_pid);

/*
 * The running jobs of one owner, on loop. bv_jobs_free() kills every job
 * still running (SIGKILL, reaped) and calls its callback as for a timeout;
 * NULL accepted; returns NULL.
 */
int bv_jobs_new(struct bv_loop *loop, struct bv_jobs **ret);
struct bv_jobs *bv_jobs_free(struct bv_jobs *jobs);

/* A finished job: status as from waitpid (-1 on timeout), captured stdout/stderr (NUL-terminated). */
typedef void (*bv_job_cb)(int status, const char *out, size_t out_len, const char *errout,
                          size_t err_len, bool truncated, void *userdata);
/*
 * Runs argv as bv_spawn() does (no new session, stdin /dev/null) with
 * stdout and stderr captured up to max bytes each (the rest is read and
 * dropped, truncated then says so); the child is killed after
 * timeout_usec (0: no limit). cb runs once, from the loop, after the child
 * exited and both outputs ended. Returns 0 or -errno (cb will not run).
 */
int bv_job_spawn(struct bv_jobs *jobs, int exe_fd, char *const argv[], size_t max,
                 uint64_t timeout_usec, bv_job_cb cb, void *userdata);

/*
 * Forks a child that runs fn(arg, out, len) (which may block); what fn
 * left in out (an error message, or a result such as an id; at most 511
 * bytes) reaches cb with fn's result (0 or -errno; -ETIMEDOUT after
 * timeout_usec, 0: no limit; -EINTR when the child was killed). The child
 * _exit()s and never returns through the caller's cleanup scopes.
 * Returns 0 or -errno (cb will not run).
 */
typedef int (*bv_fork_fn)(void *arg, char *out, size_t len);
typedef void (*bv_fork_cb)(int r, const char *out, void *userdata);
int bv_job_fork(struct bv_jobs *jobs, bv_fork_fn fn, void *arg, uint64_t timeout_usec, bv_fork_cb cb,
                void *userdata);
