/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /v1/instances: barevirt's own instances and Docker/Podman containers under
 * one namespace of refs (NAME for barevirt's, docker:NAME, podman:NAME).
 * Engines are queried asynchronously (ctr/ctr.h (engines)) so the single-threaded
 * loop never waits on them; an unreachable engine is logged and left out of
 * the list, never an error for the whole list.
 *
 *   GET    /v1/instances               every instance, one array
 *   POST   /v1/instances               create an engine container
 *                                      ({"engine": "docker"|"podman", "image", ...})
 *   GET    /v1/instances/REF           one instance (engine refs: with "inspect")
 *   DELETE /v1/instances/REF           delete it (engines: ?force=1 kills first)
 *   POST   /v1/instances/REF/ACTION    start, stop (?t=S), restart (?t=S), kill
 *                                      (?signal=SIG), pause, resume, wait, exec
 *   GET    /v1/instances/REF/logs      {"output", "stdout", "stderr", "tty"} (?tail=N);
 *                                      ?follow=1: the raw log as a chunked stream
 *   GET    /v1/instances/REF/stats     one-shot stats
 *
 * A bare NAME is one of the registry's instance kinds (VMs, containers):
 * the router forwards the generic verbs to the kind's own endpoints
 * (api_forward()); engine refs go through ctr/ctr.h (engines), verbs chosen from a
 * table too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr.h"
#include "tools/daemon/daemon.h"

/* Podman answers its first requests after a (re)start slowly: seconds on a loaded host. */
#define LIST_TIMEOUT_USEC (5ULL * 1000000)

/* ---- refs -------------------------------------------------------------------- */

/* An instance ref: "docker:NAME", "podman:NAME" or a bare NAME (barevirt's own). */
struct ref {
        int engine;                         /* index into engine_names, -1 for barevirt's own */
        char name[160];
        const struct instance_kind *kind;   /* barevirt's own: what it is */
        struct ctr_engine *e;               /* engine refs: the client */
};

/* Parses "docker:NAME", "podman:NAME" or "NAME". Returns 0 or -EINVAL with err. */
static int ref_parse(const char *s, struct ref *ret, struct bv_error *err)
{
        const char *colon = strchr(s, ':');

        *ret = (struct ref){ .engine = -1 };
        if (colon) {
                char engine[16];
                snprintf(engine, sizeof(engine), "%.*s", (int)BV_MIN((size_t)(colon - s), sizeof(engine) - 1), s);
                if ((size_t)(colon - s) >= sizeof(engine) || (ret->engine = engines_index(engine)) < 0)
                        return bv_error_set(err, EINVAL, "Unknown engine in ref '%.64s' (use docker:NAME or podman:NAME)", s);
                s = colon + 1;
        }
        if (!ctr_engine_name_valid(s))
                return bv_error_set(err, EINVAL, "Invalid instance name '%.64s'", s);
        snprintf(ret->name, sizeof(ret->name), "%s", s);
        return 0;
}

/* Parses s as a ref and finds its kind or its engine's client. Answers errors itself. */
static int ref_or_error(struct barevirtd *d, struct bv_http_conn *c, const char *s, struct ref *ref)
{
        struct bv_error err = {};
        int r = ref_parse(s, ref, &err);

        if (r < 0) {
                api_reply_errno(c, r, err.msg);
                return r;
        }
        if (ref->engine < 0) {
                if (!(ref->kind = registry_kind(d, ref->name))) {
                        api_reply_missing(c, "instance", ref->name);
                        return -ENOENT;
                }
                return 0;
        }
        if (!(ref->e = engines_get(d, (size_t)ref->engine, &err))) {
                api_reply_errno(c, err.error == ENODEV ? -ECONNREFUSED : -err.error, err.msg);
                return -ENODEV;
        }
        return 0;
}

/* A pending answer for an engine ref. */
static struct api_pending *pending_new(struct barevirtd *d, struct bv_http_conn *c, const struct ref *ref)
{
        struct api_pending *p = api_pending_new(d, c, ref->name);

        if (p)
                p->engine = ref->engine;
        return p;
}

/* Starts an engine call for a pending answer; answers the error itself. */
static void start_call(struct api_pending *p, int r, const struct bv_error *err)
{
        if (r < 0)
                api_pending_fail(p, r, err->msg);
}

/* ---- list -------------------------------------------------------------------- */

/* One engine container (ctr_engine_list's entry) as an instance. */
static json_t *engine_instance(const char *engine, const json_t *c)
{
        static const char *const keys[] = { "state", "image", "id", "status", "engine_state", "created", "addresses",
                                            "uptime", "labels" };
        char ref[200];

        snprintf(ref, sizeof(ref), "%s:%s", engine, json_string_value(json_object_get(c, "name")));
        json_t *o = json_pack("{s:s, s:s?, s:s, s:s}", "ref", ref, "name", json_string_value(json_object_get(c, "name")),
                              "project", "default", "type", engine);
        for (size_t i = 0; o && i < BV_ELEMENTSOF(keys); i++)
                json_object_set(o, keys[i], json_object_get(c, keys[i]) ? json_object_get(c, keys[i]) : json_null());
        return o;
}

struct gather;
struct gather_slot {
        struct gather *g;
        size_t engine;
};

struct gather {
        struct bv_http_conn *conn;
        json_t *items;                        /* local instances */
        json_t *engine_items[N_ENGINES];
        struct gather_slot slots[N_ENGINES];
        unsigned pending;
};

static void gather_finish(struct gather *g)
{
        for (size_t i = 0; i < N_ENGINES; i++) {
                if (g->engine_items[i])
                        json_array_extend(g->items, g->engine_items[i]);
                json_decref(g->engine_items[i]);
        }
        api_reply_json(g->conn, 200, g->items);
        bv_http_conn_unref(g->conn);
        free(g);
}

static void on_engine_list(int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct gather_slot *s = userdata;
        struct gather *g = s->g;
        const char *name = engine_names[s->engine];

        if (r < 0)
                bv_warn("%s: %s", name, bv_error_message(err, r));
        else {
                json_t *c;
                size_t i;
                g->engine_items[s->engine] = json_array();
                json_array_foreach(result, i, c)
                        json_array_append_new(g->engine_items[s->engine], engine_instance(name, c));
        }
        if (--g->pending == 0)
                gather_finish(g);
}

static void get_instances(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct ctr_engine_opts o = { .timeout_usec = LIST_TIMEOUT_USEC };
        struct gather *g = calloc(1, sizeof(*g));

        if (!g || !(g->items = json_array())) {
                free(g);
                api_reply_errno(c, -ENOMEM, NULL);
                return;
        }
        g->conn = bv_http_conn_ref(c);
        registry_instances_json(d, access_scope(req), g->items);
        g->pending = 1;   /* held until every engine call is queued */
        /* Engine containers are default's. */
        for (size_t i = 0; access_sees(req, "default") && i < N_ENGINES; i++) {
                struct bv_error err = {};
                struct ctr_engine *e = engines_get(d, i, &err);
                if (!e) {
                        if (err.error != ENODEV)
                                bv_warn("%s", err.msg);
                        continue;
                }
                g->slots[i] = (struct gather_slot){ .g = g, .engine = i };
                g->pending++;
                if (ctr_engine_list(e, &o, on_engine_list, &g->slots[i], &err) < 0) {
                        bv_warn("%s", err.msg);
                        g->pending--;
                }
        }
        if (--g->pending == 0)
                gather_finish(g);
}

/* ---- one engine container ------------------------------------------------------ */

/* The instance summary of an inspect object, with the inspect itself. */
static json_t *inspect_instance(struct ctr_engine *e, const char *ref_name, const json_t *in)
{
        const json_t *st = json_object_get(in, "State"), *cfg = json_object_get(in, "Config");
        const char *status = json_string_value(json_object_get(st, "Status"));
        const char *image = json_string_value(json_object_get(cfg, "Image"));
        const char *id = json_string_value(json_object_get(in, "Id"));
        const char *name = json_string_value(json_object_get(in, "Name"));
        const json_t *nets = json_object_get(json_object_get(in, "NetworkSettings"), "Networks"), *n;
        json_t *addrs = json_array();
        const char *key;
        char r[200];

        if (name && *name == '/')
                name++;
        snprintf(r, sizeof(r), "%s:%s", ctr_engine_name(e), name && ctr_engine_name_valid(name) ? name : ref_name);
        json_object_foreach((json_t *)nets, key, n) {
                const char *ip = json_string_value(json_object_get(n, "IPAddress"));
                if (ip && *ip && addrs)
                        json_array_append_new(addrs, json_string(ip));
        }
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:O}", "ref", r, "type", ctr_engine_name(e), "state",
                         ctr_engine_state(e, status), "engine_state", status ? status : "", "image",
                         image ? image : "", "id", id ? id : "", "addresses", addrs, "inspect", in);
}

static struct ctr_engine *pending_engine(struct api_pending *p)
{
        return engines_get(p->d, (size_t)p->engine, NULL);
}

static void on_inspect(int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct api_pending *p = userdata;
        struct ctr_engine *e = pending_engine(p);

        if (r < 0 || !e)
                api_reply_errno(p->conn, r < 0 ? r : -ECANCELED, bv_error_message(err, r));
        else
                api_reply_json(p->conn, p->status, inspect_instance(e, p->name, result));
        api_pending_free(p);
}

/* After an action: answer with the container as it is now. */
static void on_action(int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct api_pending *p = userdata;
        struct ctr_engine *e = pending_engine(p);
        struct bv_error e2 = {};

        if (r < 0)
                api_pending_fail(p, r, bv_error_message(err, r));
        else if (!e || (r = ctr_engine_inspect(e, p->name, NULL, on_inspect, p, &e2)) < 0)
                api_pending_fail(p, r < 0 ? r : -ECANCELED, e2.msg);
}

/* Answers with the call's own result, plus the ref. */
static void on_result(int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct api_pending *p = userdata;
        char ref[200];

        if (r < 0) {
                api_pending_fail(p, r, bv_error_message(err, r));
                return;
        }
        json_t *o = json_is_object(result) ? json_deep_copy(result) : json_object();
        snprintf(ref, sizeof(ref), "%s:%s", engine_names[p->engine], p->name);
        if (o)
                json_object_set_new(o, "ref", json_string(ref));
        api_reply_json(p->conn, 200, o);
        api_pending_free(p);
}

typedef int (*engine_id_fn)(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                            ctr_engine_done_cb done, void *userdata, struct bv_error *err);

/* A request on one ref: barevirt's own answered by local(), an engine's by fn, which done answers. */
static void on_one(struct barevirtd *d, struct bv_http_conn *c, const char *s,
                   void (*local)(struct barevirtd *d, struct bv_http_conn *c, const struct ref *ref), engine_id_fn fn,
                   ctr_engine_done_cb done)
{
        struct bv_error err = {};
        struct api_pending *p;
        struct ref ref;

        if (ref_or_error(d, c, s, &ref) < 0)
                return;
        if (ref.kind)
                local(d, c, &ref);
        else if ((p = pending_new(d, c, &ref)))
                start_call(p, fn(ref.e, ref.name, NULL, done, p, &err), &err);
}

static void local_instance(struct barevirtd *d, struct bv_http_conn *c, const struct ref *ref)
{
        api_reply_json(c, 200, registry_instance_json(d, ref->name));
}

static void get_instance(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        on_one(d, c, args[0], local_instance, ctr_engine_inspect, on_inspect);
}

/* ---- actions on engine containers ------------------------------------------------ */

/* ?t=S: the stop timeout (-1 when absent); < 0 after answering 400. */
static int grace_time(struct api_pending *p, const struct bv_http_request *req, int *ret, struct bv_error *err)
{
        char val[32];
        int64_t v;
        int r = api_query_get(p->conn, req, "t", val, sizeof(val));

        *ret = -1;
        if (r < 0)
                return -EALREADY;   /* answered */
        if (r > 0 && bv_parse_i64(val, 0, 3600, &v) < 0)
                return bv_error_set(err, EINVAL, "Invalid stop timeout '%s' (0 to 3600 seconds)", val);
        if (r > 0)
                *ret = (int)v;
        return 0;
}

typedef int (*engine_action_fn)(struct ctr_engine *e, struct api_pending *p, const struct bv_http_request *req,
                                struct bv_error *err);

static int act_stop(struct ctr_engine *e, struct api_pending *p, const struct bv_http_request *req, struct bv_error *err)
{
        int t, r = grace_time(p, req, &t, err);
        return r < 0 ? r : ctr_engine_stop(e, p->name, t, NULL, on_action, p, err);
}

static int act_restart(struct ctr_engine *e, struct api_pending *p, const struct bv_http_request *req, struct bv_error *err)
{
        int t, r = grace_time(p, req, &t, err);
        return r < 0 ? r : ctr_engine_restart(e, p->name, t, NULL, on_action, p, err);
}

static int act_kill(struct ctr_engine *e, struct api_pending *p, const struct bv_http_request *req, struct bv_error *err)
{
        char val[32];
        int r = api_query_get(p->conn, req, "signal", val, sizeof(val));

        return r < 0 ? -EALREADY : ctr_engine_kill(e, p->name, r > 0 ? val : NULL, NULL, on_action, p, err);
}

static int act_exec(struct ctr_engine *e, struct api_pending *p, const struct bv_http_request *req, struct bv_error *err)
{
        json_auto_t *spec = NULL;

        if (api_read_json(p->conn, req, &spec) < 0)
                return -EALREADY;  /* answered */
        return ctr_engine_exec(e, p->name, spec, NULL, on_result, p, err);
}

/* Each verb: a call on the id alone (and what answers it), or one with arguments from the request. */
static const struct {
        const char *name;
        engine_id_fn call;
        ctr_engine_done_cb done;
        engine_action_fn fn;
} engine_actions[] = {
        { "start", ctr_engine_start, on_action, NULL }, { "stop", NULL, NULL, act_stop },
        { "restart", NULL, NULL, act_restart }, { "kill", NULL, NULL, act_kill },
        { "pause", ctr_engine_pause, on_action, NULL }, { "resume", ctr_engine_unpause, on_action, NULL },
        { "wait", ctr_engine_wait, on_result, NULL }, { "exec", NULL, NULL, act_exec },
};

/* A generic verb on one of barevirt's own instances: its kind's own endpoint answers. */
static void local_action(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                         const struct ref *ref, const char *verb)
{
        const char *a = ref->kind->action(verb);

        if (!a)
                bv_http_conn_respond_error(c, 501, "'%s' is not available for %s '%s'", verb, ref->kind->type, ref->name);
        else
                api_forward(d, c, req, "POST", "%s/%s/%s", ref->kind->api, ref->name, a);
}

static void post_action(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct bv_error err = {};
        struct api_pending *p;
        struct ref ref;
        size_t i;
        int r;

        for (i = 0; i < BV_ELEMENTSOF(engine_actions); i++)
                if (strcmp(args[1], engine_actions[i].name) == 0)
                        break;
        if (i == BV_ELEMENTSOF(engine_actions)) {
                bv_http_conn_respond_error(c, 404,
                                           "No instance action '%.32s' (start, stop, restart, kill, pause, resume, wait, exec)",
                                           args[1]);
                return;
        }
        if (ref_or_error(d, c, args[0], &ref) < 0)
                return;
        if (ref.kind) {
                local_action(d, c, req, &ref, args[1]);
                return;
        }
        if (!(p = pending_new(d, c, &ref)))
                return;
        if (engine_actions[i].call)
                r = engine_actions[i].call(ref.e, p->name, NULL, engine_actions[i].done, p, &err);
        else
                r = engine_actions[i].fn(ref.e, p, req, &err);
        if (r == -EALREADY)
                api_pending_free(p);
        else
                start_call(p, r, &err);
}

static void on_removed(int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct api_pending *p = userdata;

        if (r < 0)
                api_reply_errno(p->conn, r, bv_error_message(err, r));
        else
                bv_http_conn_respond(p->conn, 204, NULL, NULL, 0);
        api_pending_free(p);
}

static void delete_instance(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                            char **args)
{
        struct bv_error err = {};
        struct api_pending *p;
        struct ref ref;
        bool force;

        if (ref_or_error(d, c, args[0], &ref) < 0)
                return;
        if (ref.kind)
                api_forward(d, c, req, "DELETE", "%s/%s", ref.kind->api, ref.name);
        else if (api_query_flag(c, req, "force", &force) >= 0 && (p = pending_new(d, c, &ref)))
                start_call(p, ctr_engine_remove(ref.e, ref.name, force, NULL, on_removed, p, &err), &err);
}

/* ---- create ------------------------------------------------------------------------ */

static void on_created(int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct api_pending *p = userdata;
        struct ctr_engine *e = pending_engine(p);
        struct bv_error e2 = {};
        const char *id = json_string_value(json_object_get(result, "id"));

        if (r < 0 || !e || !id) {
                api_pending_fail(p, r < 0 ? r : -EPROTO, r < 0 ? bv_error_message(err, r) : "No id");
                return;
        }
        if (!p->name[0])
                snprintf(p->name, sizeof(p->name), "%s", id);
        p->status = 201;
        if ((r = ctr_engine_inspect(e, id, NULL, on_inspect, p, &e2)) < 0)
                api_pending_fail(p, r, e2.msg);
}

static void post_instances(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                           char **args)
{
        json_auto_t *spec = NULL;
        struct bv_error err = {};
        struct api_pending *p;
        struct ref ref = { .engine = -1 };

        if (api_read_json(c, req, &spec) < 0)
                return;
        const char *engine = json_string_value(json_object_get(spec, "engine"));
        if (!engine || (ref.engine = engines_index(engine)) < 0) {
                bv_http_conn_respond_error(c, 400, "Creating needs \"engine\": \"docker\" or \"podman\" (barevirt's own instances: /v1/vms)");
                return;
        }
        json_t *project = json_object_get(spec, "project");
        if (project && (!json_is_string(project) || strcmp(json_string_value(project), "default") != 0)) {
                bv_http_conn_respond_error(c, 400, "project: Docker and Podman containers belong to project 'default'");
                return;
        }
        json_object_del(spec, "project");
        int r = access_engine_create(d, req, spec, &err);
        if (r < 0) {
                api_reply_errno(c, r, err.msg);
                return;
        }
        if (!(ref.e = engines_get(d, (size_t)ref.engine, &err))) {
                api_reply_errno(c, err.error == ENODEV ? -ECONNREFUSED : -err.error, err.msg);
                return;
        }
        const char *name = json_string_value(json_object_get(spec, "name"));
        snprintf(ref.name, sizeof(ref.name), "%s", name && ctr_engine_name_valid(name) ? name : "");
        if ((p = pending_new(d, c, &ref)))
                start_call(p, ctr_engine_create(ref.e, spec, NULL, on_created, p, &err), &err);
}

/* ---- logs and stats -------------------------------------------------------------------- */

static void on_log_data(int stream, const char *data, size_t len, void *userdata)
{
        struct api_pending *p = userdata;

        if (bv_http_conn_stream_write(p->conn, data, len) < 0)
                p->stream = ctr_engine_stream_free(p->stream);  /* on_close follows */
}

static void on_log_end(int r, const struct bv_error *err, void *userdata)
{
        struct api_pending *p = userdata;

        if (r < 0) {
                char line[300];
                int n = snprintf(line, sizeof(line), "\nbarevirt: %s\n", bv_error_message(err, r));
                bv_http_conn_stream_write(p->conn, line, (size_t)BV_MIN(n, (int)sizeof(line) - 1));
        }
        bv_http_conn_stream_end(p->conn);
        api_pending_free(p);   /* frees the stream: allowed from on_end */
}

static void on_log_close(struct bv_http_conn *c, void *userdata)
{
        api_pending_free(userdata);
}

static void engine_logs(struct api_pending *p, const struct ref *ref, int tail, bool follow)
{
        struct bv_error err = {};
        int r;

        if (!follow) {
                start_call(p, ctr_engine_logs(ref->e, ref->name, tail, NULL, on_result, p, &err), &err);
                return;
        }
        if ((r = ctr_engine_logs_follow(ref->e, ref->name, tail, on_log_data, on_log_end, p, &p->stream, &err)) < 0)
                start_call(p, r, &err);
        else if (bv_http_conn_stream_begin(p->conn, 200, "text/plain; charset=utf-8", on_log_close, p) < 0)
                api_pending_free(p);
}

static void get_logs(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct api_pending *p;
        struct ref ref;
        char val[32];
        int64_t tail = -1;
        bool follow;
        int r;

        if (ref_or_error(d, c, args[0], &ref) < 0 || (r = api_query_get(c, req, "tail", val, sizeof(val))) < 0 ||
            api_query_flag(c, req, "follow", &follow) < 0)
                return;
        if (r > 0 && bv_parse_i64(val, 0, 1000000, &tail) < 0) {
                bv_http_conn_respond_error(c, 400, "Invalid tail '%s' (a number of lines)", val);
                return;
        }
        if (ref.kind && ref.kind->logs && follow)
                api_forward(d, c, req, "GET", "%s/%s/logs", ref.kind->api, ref.name);
        else if (ref.kind && ref.kind->logs)
                api_reply_json(c, 200, ref.kind->logs(d, ref.name, tail));
        else if (ref.kind)
                bv_http_conn_respond_error(c, 501, "Logs of %s '%s' are not available", ref.kind->type, ref.name);
        else if ((p = pending_new(d, c, &ref)))
                engine_logs(p, &ref, (int)tail, follow);
}

static void local_no_stats(struct barevirtd *d, struct bv_http_conn *c, const struct ref *ref)
{
        bv_http_conn_respond_error(c, 501, "Stats of %s '%s' are not available here", ref->kind->type, ref->name);
}

static void get_stats(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        on_one(d, c, args[0], local_no_stats, ctr_engine_stats, on_result);
}

const struct api_route api_instances_routes[] = {
        { "GET", "/v1/instances", get_instances },
        { "POST", "/v1/instances", post_instances },
        { "GET", "/v1/instances/{}", get_instance },
        { "DELETE", "/v1/instances/{}", delete_instance },
        { "GET", "/v1/instances/{}/logs", get_logs },
        { "GET", "/v1/instances/{}/stats", get_stats },
        { "POST", "/v1/instances/{}/{}", post_action },
        {}
};
