/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * OCI hooks: programs from config.json run at fixed points of the lifecycle
 * with the container state JSON on stdin. Each runs bounded by its timeout
 * (default 30 s) and is killed when it overruns; a failing prestart,
 * createRuntime, createContainer or startContainer hook fails the operation,
 * the caller decides about poststart and poststop. The hook's stdout and
 * stderr are the caller's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"

static const char *hook_names[CTR_HOOK_MAX] = { "prestart", "createRuntime", "createContainer",
                                                "startContainer", "poststart", "poststop" };

static int run_one(const struct ctr_hook *h, const char *kind, const char *state_json,
                   struct bv_error *err)
{
        int p[2];
        const char *argv0[2] = { h->path, NULL };
        const char *envp0[1] = { NULL };

        if (pipe2(p, O_CLOEXEC) < 0)
                return bv_error_set_errno(err, errno, "Failed to run %s hook '%s'", kind, h->path);
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(p[0]);
                close(p[1]);
                return bv_error_set_errno(err, e, "Failed to run %s hook '%s'", kind, h->path);
        }
        if (pid == 0) {
                if (dup2(p[0], 0) < 0)
                        _exit(127);
                sigset_t all;
                sigemptyset(&all);
                sigprocmask(SIG_SETMASK, &all, NULL);
                execve(h->path, (char *const *)(h->args ? h->args : argv0),
                       (char *const *)(h->env ? h->env : envp0));
                _exit(127);
        }
        close(p[0]);
        bv_fd_set_nonblock(p[1], 1);
        /* A hook that does not read its stdin must not block us: EAGAIN/EPIPE are fine. */
        signal(SIGPIPE, SIG_IGN);
        (void)bv_fd_write_all(p[1], state_json, strlen(state_json));
        close(p[1]);
        int status = 0;
        unsigned timeout = (unsigned)(h->timeout > 0 ? h->timeout : 30);
        int r = bv_proc_wait_timeout(pid, timeout * 1000u, &status);
        if (r == -ETIMEDOUT) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return bv_error_set(err, ETIMEDOUT, "%s hook '%s' timed out after %u s", kind, h->path, timeout);
        }
        if (r < 0)
                return bv_error_set_errno(err, -r, "Failed to wait for %s hook '%s'", kind, h->path);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        if (WIFEXITED(status))
                return bv_error_set(err, EIO, "%s hook '%s' failed with exit status %d", kind, h->path,
                                    WEXITSTATUS(status));
        return bv_error_set(err, EIO, "%s hook '%s' killed by signal %d", kind, h->path, WTERMSIG(status));
}

int ctr_hooks_run(const struct ctr_config *cfg, enum ctr_hook_kind kind, const char *state_json,
                  struct bv_error *err)
{
        for (size_t i = 0; i < cfg->n_hooks[kind]; i++) {
                int r = run_one(&cfg->hooks[kind][i], hook_names[kind], state_json, err);
                if (r < 0)
                        return r;
        }
        return 0;
}
