/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A command run in a running container: `barevirt-runtime exec` (from the
 * sealed copy of the runtime) as a job with its output captured into
 * bounded buffers, killed after its timeout. Interactive execs with a tty
 * go through the runtime directly (barevirt ct exec -t), not through here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"

struct exec_call {
        struct ctr_ct_host *h;
        char name[64];
        char cmd[128];                 /* argv[0], for the message when it cannot run */
        ctr_ct_exec_cb done;
        void *userdata;
};

/* The container of a finished exec, when the owner still has it. */
static struct ctr_ct *find(struct ctr_ct_host *h, const char *name)
{
        for (struct ctr_ct *ct = h->cts; ct; ct = ct->next)
                if (strcmp(ct->def->name, name) == 0)
                        return ct;
        return NULL;
}

static void exec_done(int status, const char *out, size_t out_len, const char *errout, size_t err_len, bool truncated,
                      void *userdata)
{
        struct exec_call *x = userdata;
        struct ctr_ct *ct = find(x->h, x->name);
        int code = status < 0 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        struct ctr_ct_exec_failure f = {};
        static const char prefix[] = "barevirt-runtime: ";

        /*
         * 127 and 126 with the runtime's own message: the command never ran
         * (its process was killed before execve, so nothing else wrote to
         * stderr). A command that ran and exits 127 itself keeps its output.
         */
        if ((code == 127 || code == 126) && err_len >= sizeof(prefix) - 1 && memcmp(errout, prefix, sizeof(prefix) - 1) == 0) {
                f.reason = code == 127 ? "not-found" : "not-executable";
                snprintf(f.msg, sizeof(f.msg), "'%s': %s in container '%s'", x->cmd,
                         code == 127 ? "no such file" : "permission denied", x->name);
        }
        x->done(ct, status < 0 ? -ETIMEDOUT : 0, code, out, out_len, errout, err_len, truncated, f.reason ? &f : NULL,
                x->userdata);
        free(x);
}

/* Appends the optional "--flag value" pairs and the command to argv after "exec". */
static size_t exec_argv(const struct ctr_ct *ct, const struct ctr_ct_exec_opts *o, char **argv)
{
        size_t k = 0;

        argv[k++] = ct->h->runtime_path;
        argv[k++] = (char *)"--root";
        argv[k++] = (char *)ct->h->runtime_root;
        argv[k++] = (char *)"exec";
        for (size_t i = 0; o->env && o->env[i]; i++) {
                argv[k++] = (char *)"--env";
                argv[k++] = o->env[i];
        }
        if (o->cwd) {
                argv[k++] = (char *)"--cwd";
                argv[k++] = (char *)o->cwd;
        }
        if (o->user) {
                argv[k++] = (char *)"--user";
                argv[k++] = (char *)o->user;
        }
        argv[k++] = (char *)"--";
        argv[k++] = ct->def->name;
        for (size_t i = 0; o->argv[i]; i++)
                argv[k++] = o->argv[i];
        argv[k] = NULL;
        return k;
}

int ctr_ct_exec(struct ctr_ct *ct, const struct ctr_ct_exec_opts *o, ctr_ct_exec_cb done, void *userdata,
                struct bv_error *err)
{
        size_t n_env = 0, n_argv = 0;

        if (ct->state != CTR_CT_RUNNING)
                return bv_error_set(err, EBUSY, "Container '%s' is %s", ct->def->name, ctr_ct_state_name(ct->state));
        while (o->env && o->env[n_env])
                n_env++;
        while (o->argv[n_argv])
                n_argv++;
        if (n_argv == 0 || n_argv > CTR_CT_MAX_ARGS || n_env > CTR_CT_MAX_ENV || o->timeout_sec < 1)
                return bv_error_set(err, EINVAL, "exec: a command of 1-%d arguments and a timeout are needed",
                                    CTR_CT_MAX_ARGS);
        _cleanup_free_ char **argv = calloc(12 + 2 * n_env + n_argv, sizeof(char *));
        struct exec_call *x = calloc(1, sizeof(*x));
        if (!argv || !x) {
                free(x);
                return bv_error_set(err, ENOMEM, "Out of memory");
        }
        *x = (struct exec_call){ .h = ct->h, .done = done, .userdata = userdata };
        snprintf(x->name, sizeof(x->name), "%s", ct->def->name);
        snprintf(x->cmd, sizeof(x->cmd), "%s", o->argv[0]);
        exec_argv(ct, o, argv);
        int r = bv_job_spawn(ct->h->jobs, ct->h->runtime_fd, argv, o->max_output, (uint64_t)o->timeout_sec * 1000000ULL,
                             exec_done, x);
        if (r < 0) {
                free(x);
                return bv_error_set_errno(err, -r, "Failed to run barevirt-runtime exec");
        }
        return 0;
}
