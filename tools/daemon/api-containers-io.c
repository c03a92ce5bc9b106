/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A container's input and output over the API: exec with captured output,
 * and its console log, read or followed (ctr/ct-exec.c, ctr/ct-log.c).
 *
 *   POST   /v1/containers/NAME/exec       {"cmd": [...], "env": [...], "tty": false, "cwd", "user", "timeout"}
 *                                         -> {"exit_code", "stdout", "stderr", "truncated"}
 *   GET    /v1/containers/NAME/logs[?tail=N][&follow=1]   console.log as text; following
 *                                         streams it (chunked) until the container ends
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "ctr/ctr.h"
#include "tools/daemon/daemon.h"

#define EXEC_MAX_OUTPUT (1024 * 1024)
#define EXEC_DEFAULT_TIMEOUT 300
#define EXEC_MAX_ENV 64

/* ---- exec ---------------------------------------------------------------------------------- */

/* The result; a command that could not run at all also has "error" (one line) and "reason". */
static void exec_done(struct ctr_ct *ct, int r, int exit_code, const char *out, size_t out_len, const char *errout,
                      size_t err_len, bool truncated, const struct ctr_ct_exec_failure *failure, void *userdata)
{
        struct api_pending *p = userdata;

        if (r < 0) {
                api_reply_errno(p->conn, -ETIMEDOUT, "The command did not finish in time (killed)");
                api_pending_free(p);
                return;
        }
        json_t *o = json_pack("{s:i,s:o,s:o,s:b}", "exit_code", exit_code, "stdout", bv_json_string_lossy(out, out_len),
                              "stderr", bv_json_string_lossy(errout, err_len), "truncated", truncated);
        if (o && failure) {
                json_object_set_new(o, "error", json_string(failure->msg));
                json_object_set_new(o, "reason", json_string(failure->reason));
        }
        api_reply_json(p->conn, 200, o);
        api_pending_free(p);
}

/* The strings of a, into ret (NULL-terminated, at most max); -1 after answering 400 naming what[i]. */
static int string_list(struct bv_http_conn *c, const char *what, const json_t *a, bool env, const char **ret,
                       size_t max)
{
        const json_t *v;
        size_t i;

        json_array_foreach(a, i, v) {
                const char *s = json_string_value(v);
                if (i >= max || !s || (env && (!strchr(s, '=') || s[0] == '='))) {
                        bv_http_conn_respond_error(c, 400, env ? "%s[%zu]: expected \"K=V\"" : "%s[%zu]: expected a string",
                                                   what, i);
                        return -1;
                }
                ret[i] = s;
        }
        ret[json_array_size(a)] = NULL;
        return 0;
}

/* Parses an exec body into o (strings borrowed from body); -1 after answering 400. */
static int exec_body(struct bv_http_conn *c, json_t *body, struct ctr_ct_exec_opts *o, const char **argv,
                     const char **env)
{
        json_t *cmd = NULL, *jenv = NULL;
        json_int_t timeout = EXEC_DEFAULT_TIMEOUT;
        json_error_t jerr;
        int tty = 0;

        if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s:o,s?o,s?b,s?s,s?s,s?I}", "cmd", &cmd, "env", &jenv, "tty", &tty,
                           "cwd", &o->cwd, "user", &o->user, "timeout", &timeout) < 0) {
                bv_http_conn_respond_error(c, 400, "Body must be {\"cmd\": [...], \"env\": [...], \"tty\": false, "
                                           "\"cwd\", \"user\", \"timeout\"}: %s", jerr.text);
                return -1;
        }
        if (!json_is_array(cmd) || json_array_size(cmd) == 0 || json_array_size(cmd) > CTR_CT_MAX_ARGS ||
            (jenv && (!json_is_array(jenv) || json_array_size(jenv) > EXEC_MAX_ENV)) || timeout < 1 || timeout > 86400) {
                bv_http_conn_respond_error(c, 400, "cmd: a non-empty array of strings; env: an array of \"K=V\"; "
                                           "timeout: 1-86400 seconds");
                return -1;
        }
        if (tty) {
                bv_http_conn_respond_error(c, 400, "An exec with a tty is interactive: run `barevirt ct exec -t` "
                                           "(barevirt-runtime exec --tty) instead");
                return -1;
        }
        if (string_list(c, "env", jenv, true, env, EXEC_MAX_ENV) < 0 ||
            string_list(c, "cmd", cmd, false, argv, CTR_CT_MAX_ARGS) < 0)
                return -1;
        o->argv = (char *const *)argv;
        o->env = (char *const *)env;
        o->timeout_sec = (unsigned)timeout;
        o->max_output = EXEC_MAX_OUTPUT;
        return 0;
}

static void post_exec(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_auto_t *body = NULL;
        const char *argv[CTR_CT_MAX_ARGS + 1], *env[EXEC_MAX_ENV + 1];
        struct ctr_ct_exec_opts o = {};
        struct bv_error err = {};
        struct api_pending *p;
        struct ctr_ct *ct;
        int r;

        if (!(ct = api_ct_or_404(d, c, args[0])) || api_read_json(c, req, &body) < 0 ||
            exec_body(c, body, &o, argv, env) < 0)
                return;
        if (ctr_ct_get_state(ct) != CTR_CT_RUNNING) {
                bv_http_conn_respond_error(c, 409, "Container '%s' is %s", ctr_ct_name(ct),
                                           ctr_ct_state_name(ctr_ct_get_state(ct)));
                return;
        }
        if ((p = api_pending_new(d, c, args[0])) && (r = ctr_ct_exec(ct, &o, exec_done, p, &err)) < 0)
                api_pending_fail(p, r, err.msg);
}

/* ---- logs ------------------------------------------------------------------------------------ */

static int ct_log_read(void *obj, long long tail, char **ret, size_t *ret_len)
{
        return ctr_ct_log_read(obj, tail, ret, ret_len);
}

static int ct_log_follow(void *obj, long long tail, int (*on_data)(const char *data, size_t len, void *userdata),
                         void (*on_end)(void *userdata), void *userdata, struct bv_log_follower **ret,
                         struct bv_error *err)
{
        return ctr_ct_log_follow(obj, tail, on_data, on_end, userdata, ret, err);
}

static void get_logs(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct ctr_ct *ct = api_ct_or_404(d, c, args[0]);

        if (ct)
                api_logs_serve(c, req, &(struct api_log_source){ ct, ctr_ct_is_live(ct), ct_log_read, ct_log_follow });
}

const struct api_route api_containers_io_routes[] = {
        { "POST", "/v1/containers/{}/exec", post_exec },
        { "GET", "/v1/containers/{}/logs", get_logs },
        {},
};
