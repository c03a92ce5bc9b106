/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /v1/instances: barevirt VMs and Docker/Podman containers under one
 * namespace of refs (NAME for barevirt VMs, docker:NAME, podman:NAME).
 * Engines are queried asynchronously (ctr/engine.h) so the single-threaded
 * loop never waits on them; an unreachable engine is logged and left out of
 * the list, never an error for the whole list.
 *
 *   GET  /v1/instances                 VMs and engine containers, one array
 *   GET  /v1/instances/REF             one instance (engine refs: with "inspect")
 *   POST /v1/instances/REF/ACTION      start, stop (?t=SECONDS), kill (?signal=SIG)
 *   GET  /v1/instances/REF/logs        {"output", "stdout", "stderr", "tty"} (?tail=N)
 *
 * VM refs are forwarded to /v1/vms/NAME/ACTION for start, stop and kill;
 * other verbs on VM refs answer 501.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "ctr/engine.h"
#include "tools/daemon/daemon.h"
#include "vmm/def.h"
#include "vmm/vm.h"

/* Podman answers its first requests after a (re)start slowly: seconds on a loaded host. */
#define LIST_TIMEOUT_USEC (5ULL * 1000000)
#define N_ENGINES 2

static const char *const engine_names[N_ENGINES] = { "docker", "podman" };

static const struct ctr_engine_backend *engine_backend(size_t i)
{
        return ctr_engine_backend_find(engine_names[i]);
}

static const char *engine_socket(struct barevirtd *d, size_t i)
{
        return i == 0 ? d->docker_socket : d->podman_socket;
}

/* The client for engine i, made on first use; NULL when not configured. */
static struct ctr_engine *engine_get(struct barevirtd *d, size_t i, struct bv_error *err)
{
        const char *sock = engine_socket(d, i);

        if (!d->engines[i]) {
                if (!sock || !*sock) {
                        bv_error_set(err, ENODEV, "No %s socket configured", i == 0 ? "Docker" : "Podman");
                        return NULL;
                }
                if (ctr_engine_new(d->loop, engine_backend(i), sock, &d->engines[i], err) < 0)
                        return NULL;
        }
        return d->engines[i];
}

void instances_free(struct barevirtd *d)
{
        for (size_t i = 0; i < N_ENGINES; i++)
                d->engines[i] = ctr_engine_free(d->engines[i]);
}

/* ---- refs -------------------------------------------------------------------- */

struct ref {
        int engine;         /* index into engines, -1 for a barevirt VM */
        char name[160];
};

/* Parses "docker:NAME", "podman:NAME" or "NAME". Returns 0 or -EINVAL with err. */
static int ref_parse(const char *s, struct ref *ret, struct bv_error *err)
{
        const char *colon = strchr(s, ':');

        ret->engine = -1;
        if (colon) {
                for (size_t i = 0; i < N_ENGINES; i++) {
                        const char *n = engine_names[i];
                        if ((size_t)(colon - s) == strlen(n) && strncmp(s, n, strlen(n)) == 0)
                                ret->engine = (int)i;
                }
                if (ret->engine < 0)
                        return bv_error_set(err, EINVAL, "Unknown engine in ref '%.64s' (use docker:NAME or podman:NAME)", s);
                s = colon + 1;
        }
        if (!ctr_engine_name_valid(s))
                return bv_error_set(err, EINVAL, "Invalid instance name '%.64s'", s);
        snprintf(ret->name, sizeof(ret->name), "%s", s);
        return 0;
}

/* Value of key in a query string "a=1&b=2" into buf; false when absent. */
static bool query_get(const char *query, const char *key, char *buf, size_t len)
{
        size_t kl = strlen(key);

        for (const char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
                if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
                        size_t n = strcspn(p + kl + 1, "&");
                        if (n >= len)
                                n = len - 1;
                        memcpy(buf, p + kl + 1, n);
                        buf[n] = '\0';
                        return true;
                }
        }
        return false;
}

static bool parse_int(const char *s, int min, int max, int *ret)
{
        char *end;
        long v = strtol(s, &end, 10);

        if (!*s || *end || v < min || v > max)
                return false;
        *ret = (int)v;
        return true;
}

/* ---- list -------------------------------------------------------------------- */

static json_t *vm_instance(struct vmm_vm *vm)
{
        const struct vmm_def *def = vmm_vm_def(vm);

        return json_pack("{s:s, s:s, s:s, s:s, s:s}", "ref", vmm_vm_name(vm), "type", "vm", "state",
                         vmm_state_name(vmm_vm_state(vm)), "image", def->kernel ? def->kernel : "", "status", "");
}

/* One engine container (ctr_engine_list's entry) as an instance. */
static json_t *engine_instance(const char *engine, const json_t *c)
{
        char ref[200];

        snprintf(ref, sizeof(ref), "%s:%s", engine, json_string_value(json_object_get(c, "name")));
        return json_pack("{s:s, s:s, s:O, s:O, s:O, s:O, s:O, s:O}", "ref", ref, "type", engine, "state",
                         json_object_get(c, "state"), "image", json_object_get(c, "image"), "id",
                         json_object_get(c, "id"), "status", json_object_get(c, "status"), "engine_state",
                         json_object_get(c, "engine_state"), "created", json_object_get(c, "created"));
}

struct gather;
struct gather_slot {
        struct gather *g;
        size_t engine;
};

struct gather {
        struct barevirtd *d;
        struct bv_http_conn *conn;
        json_t *items;                        /* VMs */
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

        (void)req, (void)args;
        if (!g || !(g->items = json_array())) {
                free(g);
                api_reply_errno(c, -ENOMEM, NULL);
                return;
        }
        g->d = d;
        g->conn = bv_http_conn_ref(c);
        for (size_t i = 0; i < d->n_vms; i++)
                json_array_append_new(g->items, vm_instance(d->vms[i]));
        containers_instances(d, g->items);
        g->pending = 1;   /* held until every engine call is queued */
        for (size_t i = 0; i < N_ENGINES; i++) {
                struct bv_error err = {};
                struct ctr_engine *e = engine_get(d, i, &err);
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

struct pending {
        struct barevirtd *d;
        struct bv_http_conn *conn;
        struct ref ref;
};

static struct pending *pending_new(struct barevirtd *d, struct bv_http_conn *c, const struct ref *ref)
{
        struct pending *p = calloc(1, sizeof(*p));

        if (!p)
                return NULL;
        p->d = d;
        p->conn = bv_http_conn_ref(c);
        p->ref = *ref;
        return p;
}

static void pending_free(struct pending *p)
{
        bv_http_conn_unref(p->conn);
        free(p);
}

/* The instance summary of an inspect object, with the inspect itself. */
static json_t *inspect_instance(struct ctr_engine *e, const struct ref *ref, const json_t *in)
{
        const json_t *st = json_object_get(in, "State"), *cfg = json_object_get(in, "Config");
        const char *status = json_string_value(json_object_get(st, "Status"));
        const char *image = json_string_value(json_object_get(cfg, "Image"));
        const char *id = json_string_value(json_object_get(in, "Id"));
        char r[200];

        snprintf(r, sizeof(r), "%s:%s", ctr_engine_name(e), ref->name);
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O}", "ref", r, "type", ctr_engine_name(e), "state",
                         ctr_engine_state(e, status), "engine_state", status ? status : "", "image",
                         image ? image : "", "id", id ? id : "", "inspect", in);
}

static void on_inspect(int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct pending *p = userdata;

        if (r < 0)
                api_reply_errno(p->conn, r, bv_error_message(err, r));
        else {
                struct ctr_engine *e = p->d->engines[p->ref.engine];
                api_reply_json(p->conn, 200, inspect_instance(e, &p->ref, result));
        }
        pending_free(p);
}

/* After an action: answer with the container as it is now. */
static void on_action(int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct pending *p = userdata;
        struct ctr_engine *e = p->d->engines[p->ref.engine];
        struct bv_error e2 = {};

        (void)result;
        if (r < 0) {
                api_reply_errno(p->conn, r, bv_error_message(err, r));
                pending_free(p);
                return;
        }
        if (!e || (r = ctr_engine_inspect(e, p->ref.name, NULL, on_inspect, p, &e2)) < 0) {
                api_reply_errno(p->conn, r < 0 ? r : -ECANCELED, e2.msg);
                pending_free(p);
        }
}

static void on_logs(int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct pending *p = userdata;

        if (r < 0)
                api_reply_errno(p->conn, r, bv_error_message(err, r));
        else {
                char ref[200];
                json_t *o = json_deep_copy(result);
                snprintf(ref, sizeof(ref), "%s:%s", engine_names[p->ref.engine], p->ref.name);
                if (o)
                        json_object_set_new(o, "ref", json_string(ref));
                api_reply_json(p->conn, 200, o);
        }
        pending_free(p);
}

/* Parses args[0] as a ref; for engine refs also finds the engine. Answers errors itself. */
static int ref_or_error(struct barevirtd *d, struct bv_http_conn *c, const char *s, struct ref *ref,
                        struct ctr_engine **ret_engine)
{
        struct bv_error err = {};
        int r = ref_parse(s, ref, &err);

        if (r < 0) {
                api_reply_errno(c, r, err.msg);
                return r;
        }
        if (ref->engine < 0) {
                if (!vms_find(d, ref->name) && !containers_exists(d, ref->name)) {
                        bv_http_conn_respond_error(c, 404, "No instance named '%s'", ref->name);
                        return -ENOENT;
                }
                *ret_engine = NULL;
                return 0;
        }
        *ret_engine = engine_get(d, (size_t)ref->engine, &err);
        if (!*ret_engine) {
                api_reply_errno(c, err.error == ENODEV ? -ECONNREFUSED : -err.error, err.msg);
                return -ENODEV;
        }
        return 0;
}

static void get_instance(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct ref ref;
        struct ctr_engine *e;
        struct bv_error err = {};

        (void)req;
        if (ref_or_error(d, c, args[0], &ref, &e) < 0)
                return;
        if (!e) {
                struct vmm_vm *vm = vms_find(d, ref.name);
                api_reply_json(c, 200, vm ? vm_instance(vm) : containers_instance(d, ref.name));
                return;
        }
        struct pending *p = pending_new(d, c, &ref);
        int r = p ? ctr_engine_inspect(e, ref.name, NULL, on_inspect, p, &err) : -ENOMEM;
        if (r < 0) {
                api_reply_errno(c, r, err.msg);
                if (p)
                        pending_free(p);
        }
}

/*
 * A VM or container ref: hand the request to the handler of pattern
 * (/v1/vms/{}/{}, /v1/containers/{}/{}, /v1/containers/{}/logs) in routes.
 */
static void forward(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                    const struct api_route *routes, const char *method, const char *pattern, const char *name,
                    const char *action)
{
        char nbuf[160], abuf[16];
        char *vargs[API_MAX_ARGS] = { nbuf, abuf };

        snprintf(nbuf, sizeof(nbuf), "%s", name);
        snprintf(abuf, sizeof(abuf), "%s", action ? action : "");
        for (const struct api_route *rt = routes; rt->method; rt++)
                if (strcmp(rt->method, method) == 0 && strcmp(rt->pattern, pattern) == 0) {
                        rt->handler(d, c, req, vargs);
                        return;
                }
        bv_http_conn_respond_error(c, 501, "'%s' is not available", pattern);
}

static void forward_vm(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                       const char *name, const char *action)
{
        if (!vms_find(d, name))
                forward(d, c, req, api_containers_routes, "POST", "/v1/containers/{}/{}", name, action);
        else
                forward(d, c, req, api_vms_routes, "POST", "/v1/vms/{}/{}", name, action);
}

static void post_action(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct ref ref;
        struct ctr_engine *e;
        struct bv_error err = {};
        const char *action = args[1];
        char val[32];
        int r;

        if (strcmp(action, "start") && strcmp(action, "stop") && strcmp(action, "kill")) {
                bv_http_conn_respond_error(c, 404, "No instance action '%.32s' (start, stop, kill)", action);
                return;
        }
        if (ref_or_error(d, c, args[0], &ref, &e) < 0)
                return;
        if (!e) {
                forward_vm(d, c, req, ref.name, action);
                return;
        }
        struct pending *p = pending_new(d, c, &ref);
        if (!p) {
                api_reply_errno(c, -ENOMEM, NULL);
                return;
        }
        if (strcmp(action, "start") == 0)
                r = ctr_engine_start(e, ref.name, NULL, on_action, p, &err);
        else if (strcmp(action, "stop") == 0) {
                int t = -1;
                if (query_get(req->query, "t", val, sizeof(val)) && !parse_int(val, 0, 3600, &t))
                        r = bv_error_set(&err, EINVAL, "Invalid stop timeout '%s' (0 to 3600 seconds)", val);
                else
                        r = ctr_engine_stop(e, ref.name, t, NULL, on_action, p, &err);
        } else
                r = ctr_engine_kill(e, ref.name, query_get(req->query, "signal", val, sizeof(val)) ? val : NULL,
                                    NULL, on_action, p, &err);
        if (r < 0) {
                api_reply_errno(c, r, err.msg);
                pending_free(p);
        }
}

static void get_logs(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct ref ref;
        struct ctr_engine *e;
        struct bv_error err = {};
        char val[32];
        int tail = -1;

        if (ref_or_error(d, c, args[0], &ref, &e) < 0)
                return;
        if (!e && !containers_exists(d, ref.name)) {
                bv_http_conn_respond_error(c, 501, "Logs of VM '%s' are not available here: its serial console log is in 'barevirt vm show %s'",
                                           ref.name, ref.name);
                return;
        }
        if (query_get(req->query, "tail", val, sizeof(val)) && !parse_int(val, 0, 1000000, &tail)) {
                bv_http_conn_respond_error(c, 400, "Invalid tail '%s' (a number of lines)", val);
                return;
        }
        if (!e) {
                api_reply_json(c, 200, containers_logs(d, ref.name, tail));
                return;
        }
        struct pending *p = pending_new(d, c, &ref);
        int r = p ? ctr_engine_logs(e, ref.name, tail, NULL, on_logs, p, &err) : -ENOMEM;
        if (r < 0) {
                api_reply_errno(c, r, err.msg);
                if (p)
                        pending_free(p);
        }
}

const struct api_route api_instances_routes[] = {
        { "GET", "/v1/instances", get_instances },
        { "GET", "/v1/instances/{}", get_instance },
        { "GET", "/v1/instances/{}/logs", get_logs },
        { "POST", "/v1/instances/{}/{}", post_action },
        {}
};
