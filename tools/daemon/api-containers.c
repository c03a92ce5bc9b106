/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /v1/containers: barevirt's own containers (ctr/ctr.h: definitions in
 * STATE/containers/NAME.json, the lifecycle in struct ctr_ct). This file
 * is the JSON in and out of create, delete, list, show and the actions;
 * exec and logs are api-containers-io.c.
 *
 *   GET    /v1/containers                 list
 *   POST   /v1/containers                 create (body: a definition); an image tarball
 *                                         is imported first, in a child process
 *   GET    /v1/containers/NAME            one container, with live usage from its cgroup
 *   DELETE /v1/containers/NAME[?force=1]  delete (a running one only with force)
 *   POST   /v1/containers/NAME/ACTION     start, stop, kill, restart, pause, resume
 *
 * Invariants: bad input changes nothing (definitions are validated, and
 * everything they name on the host checked, before any file is written);
 * requested limits the host cannot enforce are refused at create and at
 * start, naming the missing controller (400); a container and a VM never
 * share a name.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "ctr/ctr.h"
#include "tools/daemon/daemon.h"

/* The status for a refused definition: limits the host lacks are the request's problem (400). */
static void reply_refused(struct bv_http_conn *c, int r, const char *msg)
{
        if (r == -EOPNOTSUPP || r == -ENOTDIR)
                bv_http_conn_respond_error(c, 400, "%s", msg);
        else
                api_reply_errno(c, r, msg);
}

/* Answers with the container (r >= 0, or -EALREADY: already where asked) or the error. */
static void reply_ct(struct ctr_ct *ct, int r, const struct bv_error *err, void *userdata)
{
        struct api_pending *p = userdata;

        if (r < 0 && r != -EALREADY)
                api_reply_errno(p->conn, r, err ? err->msg : NULL);
        else
                api_reply_json(p->conn, p->status, ctr_ct_to_json(ct, true));
        api_pending_free(p);
}

/* ---- list, show, create ---------------------------------------------------------------- */

static void get_containers(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_t *a = json_array();

        for (size_t i = 0; i < d->reg.n_cts; i++)
                if (access_sees(req, ctr_ct_get_def(d->reg.cts[i])->project))
                        json_array_append_new(a, ctr_ct_to_json(d->reg.cts[i], false));
        api_reply_json(c, 200, a);
}

static void get_container(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct ctr_ct *ct = api_ct_or_404(d, c, args[0]);

        if (ct)
                api_reply_json(c, 200, ctr_ct_to_json(ct, true));
}

static void created(struct ctr_ct *ct, int r, const struct bv_error *err, void *userdata)
{
        struct api_pending *p = userdata;

        if (r < 0) {
                if (r != -ECANCELED)
                        registry_remove_ct(p->d, ct);
                reply_refused(p->conn, r, err ? err->msg : NULL);
                api_pending_free(p);
                return;
        }
        reply_ct(ct, 0, NULL, p);
}

/* Fixed addresses must lie in their network's subnet and be free. */
static int check_fixed_ips(struct barevirtd *d, const struct ctr_ct_def *def, struct bv_error *err)
{
        int r = 0;

        for (size_t i = 0; r >= 0 && i < def->n_nics; i++)
                if (def->nics[i].ip)
                        r = netsvc_check_fixed(d, def->name, def->nics[i].network, (unsigned)i, def->nics[i].ip, err);
        return r;
}

static void post_containers(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_auto_t *body = NULL;
        struct ctr_ct_def *def = NULL;
        struct bv_error err = {};
        struct api_pending *p;
        struct ctr_ct *ct;
        int r;

        if (api_read_json(c, req, &body) < 0)
                return;
        /* image_id is barevirtd's to set. */
        if (json_object_get(body, "image_id")) {
                bv_http_conn_respond_error(c, 400, "image_id: set by barevirtd, not accepted in a request");
                return;
        }
        if ((r = ctr_ct_def_parse(body, &def, &err)) < 0 || (r = access_ct_create(d, req, def, &err)) < 0 ||
            (r = check_fixed_ips(d, def, &err)) < 0 ||
            (r = firewall_check_ct(d, def, &err)) < 0) {
                ctr_ct_def_free(def);
                reply_refused(c, r, err.msg);
                return;
        }
        if ((r = registry_new_ct(d, def, &ct, &err)) < 0) {
                api_reply_errno(c, r, err.msg);
                return;
        }
        if (!(p = api_pending_new(d, c, ctr_ct_name(ct)))) {
                registry_remove_ct(d, ct);
                return;
        }
        p->status = 201;
        if ((r = ctr_ct_create(ct, created, p, &err)) < 0) {
                registry_remove_ct(d, ct);
                reply_refused(c, r, err.msg);
                api_pending_free(p);
        }
}

/* ---- delete -------------------------------------------------------------------------------- */

static void deleted(struct ctr_ct *ct, int r, const struct bv_error *err, void *userdata)
{
        struct api_pending *p = userdata;

        if (r < 0)
                api_reply_errno(p->conn, r, err ? err->msg : NULL);
        else {
                registry_remove_ct(p->d, ct);
                bv_http_conn_respond(p->conn, 204, NULL, NULL, 0);
        }
        api_pending_free(p);
}

static void delete_container(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct ctr_ct *ct = api_ct_or_404(d, c, args[0]);
        struct bv_error err = {};
        struct api_pending *p;
        bool force;
        int r;

        if (!ct || api_query_flag(c, req, "force", &force) < 0 || !(p = api_pending_new(d, c, args[0])))
                return;
        if ((r = ctr_ct_delete(ct, force, deleted, p, &err)) < 0)
                api_pending_fail(p, r, err.msg);
}

/* ---- actions -------------------------------------------------------------------------------- */

/* Stop and kill arguments: ?timeout= (or ?t=) and ?signal= (a number or name), or a body {"timeout", "signal"}. */
static int query_args(struct bv_http_conn *c, const struct bv_http_request *req, int64_t *timeout, int *signo)
{
        char buf[16];
        int r;

        /* ?t= and signal names too: /v1/instances forwards its own query here. */
        if ((r = api_query_get(c, req, "timeout", buf, sizeof(buf))) < 0 ||
            (r == 0 && (r = api_query_get(c, req, "t", buf, sizeof(buf))) < 0))
                return r;
        if (r > 0 && bv_parse_i64(buf, 0, CTR_CT_MAX_STOP_TIMEOUT, timeout) < 0) {
                bv_http_conn_respond_error(c, 400, "timeout: expected 0-%d seconds", CTR_CT_MAX_STOP_TIMEOUT);
                return -EINVAL;
        }
        if ((r = api_query_get(c, req, "signal", buf, sizeof(buf))) <= 0)
                return r;
        if ((*signo = bv_parse_signal(buf)) < 0) {
                bv_http_conn_respond_error(c, 400, "signal: expected a signal number 1-64 or name");
                return -EINVAL;
        }
        return 0;
}

static int action_args(struct bv_http_conn *c, const struct bv_http_request *req, int *timeout, int *signo)
{
        json_auto_t *body = NULL;
        json_error_t jerr;
        int64_t t = -1;
        json_int_t bt, bs;
        int r;

        *signo = SIGKILL;
        if ((r = query_args(c, req, &t, signo)) < 0)
                return r;
        bt = t, bs = *signo;
        if (req->body_len > 0) {
                if (api_read_json(c, req, &body) < 0)
                        return -EINVAL;
                if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s?I,s?I}", "timeout", &bt, "signal", &bs) < 0 ||
                    bt < -1 || bt > CTR_CT_MAX_STOP_TIMEOUT || bs < 1 || bs > 64) {
                        bv_http_conn_respond_error(c, 400, "Body must be {\"timeout\": 0-%d} or {\"signal\": 1-64}",
                                                   CTR_CT_MAX_STOP_TIMEOUT);
                        return -EINVAL;
                }
        }
        *timeout = (int)bt;
        *signo = (int)bs;
        return 0;
}

static int act_start(struct ctr_ct *ct, int timeout, int signo, struct api_pending *p, struct bv_error *err)
{
        int r = firewall_check_ct(p->d, ctr_ct_get_def(ct), err);

        return r < 0 ? r : ctr_ct_start(ct, reply_ct, p, err);
}

static int act_stop(struct ctr_ct *ct, int timeout, int signo, struct api_pending *p, struct bv_error *err)
{
        return ctr_ct_stop(ct, timeout, reply_ct, p, err);
}

static int act_kill(struct ctr_ct *ct, int timeout, int signo, struct api_pending *p, struct bv_error *err)
{
        return ctr_ct_kill(ct, signo, reply_ct, p, err);
}

static int act_restart(struct ctr_ct *ct, int timeout, int signo, struct api_pending *p, struct bv_error *err)
{
        int r = firewall_check_ct(p->d, ctr_ct_get_def(ct), err);

        return r < 0 ? r : ctr_ct_restart(ct, timeout, reply_ct, p, err);
}

static int act_pause(struct ctr_ct *ct, int timeout, int signo, struct api_pending *p, struct bv_error *err)
{
        return ctr_ct_pause(ct, true, reply_ct, p, err);
}

static int act_resume(struct ctr_ct *ct, int timeout, int signo, struct api_pending *p, struct bv_error *err)
{
        return ctr_ct_pause(ct, false, reply_ct, p, err);
}

/* The actions; kill_like: -EALREADY (not live) is an error, not "already there". */
static const struct {
        const char *name;
        int (*fn)(struct ctr_ct *ct, int timeout, int signo, struct api_pending *p, struct bv_error *err);
        bool kill_like;
} ct_actions[] = {
        { "start", act_start, false }, { "stop", act_stop, false }, { "kill", act_kill, true },
        { "restart", act_restart, false }, { "pause", act_pause, false }, { "resume", act_resume, false },
};

static void post_action(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        const char *action = args[1];
        struct bv_error err = {};
        struct api_pending *p;
        int timeout, signo, r;
        struct ctr_ct *ct;
        size_t i;

        for (i = 0; i < BV_ELEMENTSOF(ct_actions); i++)
                if (strcmp(action, ct_actions[i].name) == 0)
                        break;
        if (i == BV_ELEMENTSOF(ct_actions)) {
                bv_http_conn_respond_error(c, 404,
                                           "No container action '%.32s' (start, stop, kill, restart, pause, resume)",
                                           action);
                return;
        }
        if (!(ct = api_ct_or_404(d, c, args[0])) || action_args(c, req, &timeout, &signo) < 0 ||
            !(p = api_pending_new(d, c, args[0])))
                return;
        if ((r = ct_actions[i].fn(ct, timeout, signo, p, &err)) >= 0)
                return;
        if (r == -EALREADY && !ct_actions[i].kill_like)
                reply_ct(ct, r, NULL, p);   /* already in the wanted state */
        else
                api_pending_fail(p, r == -EALREADY ? -EBUSY : r, err.msg);
}

const struct api_route api_containers_routes[] = {
        { "GET", "/v1/containers", get_containers },
        { "POST", "/v1/containers", post_containers },
        { "GET", "/v1/containers/{}", get_container },
        { "DELETE", "/v1/containers/{}", delete_container },
        {},
};

/* After the exec and logs routes (api.c lists this table last): "{}" would also match "exec". */
const struct api_route api_containers_action_routes[] = {
        { "POST", "/v1/containers/{}/{}", post_action },
        {},
};
