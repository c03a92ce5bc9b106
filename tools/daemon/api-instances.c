/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /v1/instances: barevirt's own instances and Docker/Podman containers under
 * one namespace of refs (NAME for barevirt's, docker:NAME, podman:NAME).
 * Engines are queried asynchronously (ctr/engine.h) so the single-threaded
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
 * A bare NAME is looked up in a table of local instance kinds (VMs today;
 * barevirt's own containers add one entry), each of which forwards the
 * generic verbs to its own API; engine refs go through ctr/engine.h, verbs
 * chosen from a table too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/proc.h"
#include "ctr/engine.h"
#include "tools/daemon/daemon.h"
#include "vmm/def.h"
#include "vmm/vm.h"

/* Podman answers its first requests after a (re)start slowly: seconds on a loaded host. */
#define LIST_TIMEOUT_USEC (5ULL * 1000000)
#define N_ENGINES 2

const char *const instances_engine_names[N_ENGINES] = { "docker", "podman" };
#define engine_names instances_engine_names

static const struct ctr_engine_backend *engine_backend(size_t i)
{
        return ctr_engine_backend_find(engine_names[i]);
}

static const char *engine_socket(struct barevirtd *d, size_t i)
{
        return i == 0 ? d->docker_socket : d->podman_socket;
}

struct ctr_engine *instances_engine(struct barevirtd *d, size_t i, struct bv_error *err)
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
        engine_watch_free(d);
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

/* ---- local instance kinds ------------------------------------------------------- */

/*
 * A kind of barevirt's own instance: what a bare NAME can be. Each forwards
 * the generic verbs to its own API's handlers. Actions it lacks answer 501.
 */
struct local_kind {
        const char *type;                                   /* "vm" */
        bool (*exists)(struct barevirtd *d, const char *name);
        json_t *(*instance)(struct barevirtd *d, const char *name);  /* the list/show summary */
        void (*list)(struct barevirtd *d, json_t *items);
        /* generic verb -> the kind's own action word (NULL: not available) */
        const char *(*action)(const char *verb);
        void (*forward_action)(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                               const char *name, const char *action);
        void (*forward_delete)(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                               const char *name);
        /* GET .../logs (?tail, ?follow); NULL: the kind keeps no log here */
        void (*logs)(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                     const char *name, int tail, bool follow);
};

static json_t *vm_instance(struct vmm_vm *vm)
{
        const struct vmm_def *def = vmm_vm_def(vm);
        enum vmm_state st = vmm_vm_state(vm);
        json_t *addrs = json_array();
        const char *ip = def->cmdline ? strstr(def->cmdline, "bv.ip=") : NULL;

        if (ip && addrs) {
                ip += 6;
                json_array_append_new(addrs, json_stringn(ip, strcspn(ip, " /")));
        }
        uint64_t up = 0;
        bool have_up = st != VMM_STOPPED && st != VMM_CRASHED && bv_proc_uptime(vmm_vm_pid(vm), &up) == 0;
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "ref", vmm_vm_name(vm), "type", "vm", "state",
                              vmm_state_name(st), "image", def->kernel ? def->kernel : "", "status", "", "addresses",
                              addrs);
        if (o)
                json_object_set_new(o, "uptime", have_up ? json_integer((json_int_t)up) : json_null());
        return o;
}

static bool vm_exists(struct barevirtd *d, const char *name)
{
        return vms_find(d, name) != NULL;
}

static json_t *vm_kind_instance(struct barevirtd *d, const char *name)
{
        return vm_instance(vms_find(d, name));
}

static void vm_list(struct barevirtd *d, json_t *items)
{
        for (size_t i = 0; i < d->n_vms; i++)
                json_array_append_new(items, vm_instance(d->vms[i]));
}

static const char *vm_action(const char *verb)
{
        static const struct { const char *verb, *action; } map[] = {
                { "start", "start" }, { "stop", "stop" }, { "kill", "kill" }, { "restart", "reboot" },
                { "pause", "pause" }, { "resume", "resume" },
        };
        for (size_t i = 0; i < BV_ELEMENTSOF(map); i++)
                if (strcmp(verb, map[i].verb) == 0)
                        return map[i].action;
        return NULL;
}

/* Calls the handler of routes for method and pattern with {name, action}; false if there is none. */
static bool kind_route(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
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
                        return true;
                }
        return false;
}

static void vm_forward_action(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                              const char *name, const char *action)
{
        if (!kind_route(d, c, req, api_vms_routes, "POST", "/v1/vms/{}/{}", name, action))
                bv_http_conn_respond_error(c, 501, "VM actions are not available");
}

static void vm_forward_delete(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                              const char *name)
{
        if (!kind_route(d, c, req, api_vms_routes, "DELETE", "/v1/vms/{}", name, NULL))
                bv_http_conn_respond_error(c, 501, "Deleting VMs is not available");
}

static const struct local_kind vm_kind = {
        .type = "vm",
        .exists = vm_exists,
        .instance = vm_kind_instance,
        .list = vm_list,
        .action = vm_action,
        .forward_action = vm_forward_action,
        .forward_delete = vm_forward_delete,
};

/* barevirt containers: /v1/containers does the work (api-containers.c). */
static const char *ct_action(const char *verb)
{
        static const char *const verbs[] = { "start", "stop", "kill", "restart", "exec" };
        for (size_t i = 0; i < BV_ELEMENTSOF(verbs); i++)
                if (strcmp(verb, verbs[i]) == 0)
                        return verbs[i];
        return NULL;
}

static void ct_forward_action(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                              const char *name, const char *action)
{
        const char *pattern = strcmp(action, "exec") == 0 ? "/v1/containers/{}/exec" : "/v1/containers/{}/{}";
        if (!kind_route(d, c, req, api_containers_routes, "POST", pattern, name, action))
                bv_http_conn_respond_error(c, 501, "Container actions are not available");
}

static void ct_forward_delete(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                              const char *name)
{
        if (!kind_route(d, c, req, api_containers_routes, "DELETE", "/v1/containers/{}", name, NULL))
                bv_http_conn_respond_error(c, 501, "Deleting containers is not available");
}

static void ct_logs(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                    const char *name, int tail, bool follow)
{
        if (!follow)
                api_reply_json(c, 200, containers_logs(d, name, tail));
        else if (!kind_route(d, c, req, api_containers_routes, "GET", "/v1/containers/{}/logs", name, NULL))
                bv_http_conn_respond_error(c, 501, "Following container logs is not available");
}

static const struct local_kind ct_kind = {
        .type = "ct",
        .exists = containers_exists,
        .instance = containers_instance,
        .list = containers_instances,
        .action = ct_action,
        .forward_action = ct_forward_action,
        .forward_delete = ct_forward_delete,
        .logs = ct_logs,
};

/* Every kind of local instance; NAME is unique across them. */
static const struct local_kind *const local_kinds[] = { &vm_kind, &ct_kind };

static const struct local_kind *local_find(struct barevirtd *d, const char *name)
{
        for (size_t i = 0; i < BV_ELEMENTSOF(local_kinds); i++)
                if (local_kinds[i]->exists(d, name))
                        return local_kinds[i];
        return NULL;
}

/* ---- list -------------------------------------------------------------------- */

/* One engine container (ctr_engine_list's entry) as an instance. */
static json_t *engine_instance(const char *engine, const json_t *c)
{
        char ref[200];

        snprintf(ref, sizeof(ref), "%s:%s", engine, json_string_value(json_object_get(c, "name")));
        return json_pack("{s:s, s:s, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "ref", ref, "type", engine,
                         "state", json_object_get(c, "state"), "image", json_object_get(c, "image"), "id",
                         json_object_get(c, "id"), "status", json_object_get(c, "status"), "engine_state",
                         json_object_get(c, "engine_state"), "created", json_object_get(c, "created"), "addresses",
                         json_object_get(c, "addresses"), "uptime", json_object_get(c, "uptime"), "labels",
                         json_object_get(c, "labels"));
}

struct gather;
struct gather_slot {
        struct gather *g;
        size_t engine;
};

struct gather {
        struct barevirtd *d;
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

        (void)req, (void)args;
        if (!g || !(g->items = json_array())) {
                free(g);
                api_reply_errno(c, -ENOMEM, NULL);
                return;
        }
        g->d = d;
        g->conn = bv_http_conn_ref(c);
        for (size_t i = 0; i < BV_ELEMENTSOF(local_kinds); i++)
                local_kinds[i]->list(d, g->items);
        g->pending = 1;   /* held until every engine call is queued */
        for (size_t i = 0; i < N_ENGINES; i++) {
                struct bv_error err = {};
                struct ctr_engine *e = instances_engine(d, i, &err);
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
        int status;                   /* of the answer after an inspect */
        struct ctr_engine_stream *stream;
};

/* A pending answer on c for ref; NULL after answering 500 itself when out of memory. */
static struct pending *pending_new(struct barevirtd *d, struct bv_http_conn *c, const struct ref *ref)
{
        struct pending *p = calloc(1, sizeof(*p));

        if (!p) {
                api_reply_errno(c, -ENOMEM, NULL);
                return NULL;
        }
        p->d = d;
        p->conn = bv_http_conn_ref(c);
        p->ref = *ref;
        p->status = 200;
        return p;
}

static void pending_free(struct pending *p)
{
        ctr_engine_stream_free(p->stream);
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
        const char *name = json_string_value(json_object_get(in, "Name"));
        char r[200];

        if (name && *name == '/')
                name++;
        snprintf(r, sizeof(r), "%s:%s", ctr_engine_name(e), name && ctr_engine_name_valid(name) ? name : ref->name);
        json_t *addrs = json_array();
        const json_t *nets = json_object_get(json_object_get(in, "NetworkSettings"), "Networks"), *n;
        const char *key;
        json_object_foreach((json_t *)nets, key, n) {
                const char *ip = json_string_value(json_object_get(n, "IPAddress"));
                if (ip && *ip && addrs)
                        json_array_append_new(addrs, json_string(ip));
        }
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:O}", "ref", r, "type", ctr_engine_name(e), "state",
                         ctr_engine_state(e, status), "engine_state", status ? status : "", "image",
                         image ? image : "", "id", id ? id : "", "addresses", addrs, "inspect", in);
}

static void on_inspect(int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct pending *p = userdata;

        if (r < 0)
                api_reply_errno(p->conn, r, bv_error_message(err, r));
        else {
                struct ctr_engine *e = p->d->engines[p->ref.engine];
                api_reply_json(p->conn, p->status, inspect_instance(e, &p->ref, result));
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

/* Answers with the call's own result, plus the ref. */
static void on_result(int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct pending *p = userdata;

        if (r < 0)
                api_reply_errno(p->conn, r, bv_error_message(err, r));
        else {
                char ref[200];
                json_t *o = json_is_object(result) ? json_deep_copy(result) : json_object();
                snprintf(ref, sizeof(ref), "%s:%s", engine_names[p->ref.engine], p->ref.name);
                if (o)
                        json_object_set_new(o, "ref", json_string(ref));
                api_reply_json(p->conn, 200, o);
        }
        pending_free(p);
}

/* Parses s as a ref; finds the local kind or the engine. Answers errors itself. */
static int ref_or_error(struct barevirtd *d, struct bv_http_conn *c, const char *s, struct ref *ref,
                        struct ctr_engine **ret_engine, const struct local_kind **ret_kind)
{
        struct bv_error err = {};
        int r = ref_parse(s, ref, &err);

        if (r < 0) {
                api_reply_errno(c, r, err.msg);
                return r;
        }
        *ret_engine = NULL;
        *ret_kind = NULL;
        if (ref->engine < 0) {
                *ret_kind = local_find(d, ref->name);
                if (!*ret_kind) {
                        bv_http_conn_respond_error(c, 404, "No instance named '%s'", ref->name);
                        return -ENOENT;
                }
                return 0;
        }
        *ret_engine = instances_engine(d, (size_t)ref->engine, &err);
        if (!*ret_engine) {
                api_reply_errno(c, err.error == ENODEV ? -ECONNREFUSED : -err.error, err.msg);
                return -ENODEV;
        }
        return 0;
}

/* Starts an engine call for a pending answer; answers the error itself. */
static void start_call(struct bv_http_conn *c, struct pending *p, int r, const struct bv_error *err)
{
        if (r < 0) {
                api_reply_errno(c, r, err->msg);
                pending_free(p);
        }
}

static void get_instance(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct ref ref;
        struct ctr_engine *e;
        const struct local_kind *k;
        struct bv_error err = {};

        (void)req;
        if (ref_or_error(d, c, args[0], &ref, &e, &k) < 0)
                return;
        if (k) {
                api_reply_json(c, 200, k->instance(d, ref.name));
                return;
        }
        struct pending *p = pending_new(d, c, &ref);
        if (!p)
                return;
        start_call(c, p, ctr_engine_inspect(e, ref.name, NULL, on_inspect, p, &err), &err);
}

/* ---- actions on engine containers ------------------------------------------------ */

static int grace_time(const struct bv_http_request *req, int *ret, struct bv_error *err)
{
        char val[32];

        *ret = -1;
        if (query_get(req->query, "t", val, sizeof(val)) && !parse_int(val, 0, 3600, ret))
                return bv_error_set(err, EINVAL, "Invalid stop timeout '%s' (0 to 3600 seconds)", val);
        return 0;
}

static int act_start(struct ctr_engine *e, struct pending *p, const struct bv_http_request *req, struct bv_error *err)
{
        (void)req;
        return ctr_engine_start(e, p->ref.name, NULL, on_action, p, err);
}

static int act_stop(struct ctr_engine *e, struct pending *p, const struct bv_http_request *req, struct bv_error *err)
{
        int t, r = grace_time(req, &t, err);
        return r < 0 ? r : ctr_engine_stop(e, p->ref.name, t, NULL, on_action, p, err);
}

static int act_restart(struct ctr_engine *e, struct pending *p, const struct bv_http_request *req, struct bv_error *err)
{
        int t, r = grace_time(req, &t, err);
        return r < 0 ? r : ctr_engine_restart(e, p->ref.name, t, NULL, on_action, p, err);
}

static int act_kill(struct ctr_engine *e, struct pending *p, const struct bv_http_request *req, struct bv_error *err)
{
        char val[32];
        return ctr_engine_kill(e, p->ref.name, query_get(req->query, "signal", val, sizeof(val)) ? val : NULL, NULL,
                               on_action, p, err);
}

static int act_pause(struct ctr_engine *e, struct pending *p, const struct bv_http_request *req, struct bv_error *err)
{
        (void)req;
        return ctr_engine_pause(e, p->ref.name, NULL, on_action, p, err);
}

static int act_resume(struct ctr_engine *e, struct pending *p, const struct bv_http_request *req, struct bv_error *err)
{
        (void)req;
        return ctr_engine_unpause(e, p->ref.name, NULL, on_action, p, err);
}

static int act_wait(struct ctr_engine *e, struct pending *p, const struct bv_http_request *req, struct bv_error *err)
{
        (void)req;
        return ctr_engine_wait(e, p->ref.name, NULL, on_result, p, err);
}

static int act_exec(struct ctr_engine *e, struct pending *p, const struct bv_http_request *req, struct bv_error *err)
{
        json_auto_t *spec = NULL;

        if (api_read_json(p->conn, req, &spec) < 0)
                return -EALREADY;  /* answered */
        return ctr_engine_exec(e, p->ref.name, spec, NULL, on_result, p, err);
}

static const struct {
        const char *name;
        int (*fn)(struct ctr_engine *e, struct pending *p, const struct bv_http_request *req, struct bv_error *err);
} engine_actions[] = {
        { "start", act_start }, { "stop", act_stop }, { "restart", act_restart }, { "kill", act_kill },
        { "pause", act_pause }, { "resume", act_resume }, { "wait", act_wait }, { "exec", act_exec },
};

static void post_action(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct ref ref;
        struct ctr_engine *e;
        const struct local_kind *k;
        struct bv_error err = {};
        const char *action = args[1];
        size_t i;

        for (i = 0; i < BV_ELEMENTSOF(engine_actions); i++)
                if (strcmp(action, engine_actions[i].name) == 0)
                        break;
        if (i == BV_ELEMENTSOF(engine_actions)) {
                bv_http_conn_respond_error(c, 404,
                                           "No instance action '%.32s' (start, stop, restart, kill, pause, resume, wait, exec)",
                                           action);
                return;
        }
        if (ref_or_error(d, c, args[0], &ref, &e, &k) < 0)
                return;
        if (k) {
                const char *a = k->action(action);
                if (!a)
                        bv_http_conn_respond_error(c, 501, "'%s' is not available for %s '%s'", action, k->type,
                                                   ref.name);
                else
                        k->forward_action(d, c, req, ref.name, a);
                return;
        }
        struct pending *p = pending_new(d, c, &ref);
        if (!p)
                return;
        int r = engine_actions[i].fn(e, p, req, &err);
        if (r == -EALREADY)
                pending_free(p);
        else
                start_call(c, p, r, &err);
}

static void on_removed(int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct pending *p = userdata;

        (void)result;
        if (r < 0)
                api_reply_errno(p->conn, r, bv_error_message(err, r));
        else
                bv_http_conn_respond(p->conn, 204, NULL, NULL, 0);
        pending_free(p);
}

static void delete_instance(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                            char **args)
{
        struct ref ref;
        struct ctr_engine *e;
        const struct local_kind *k;
        struct bv_error err = {};
        char val[8];

        if (ref_or_error(d, c, args[0], &ref, &e, &k) < 0)
                return;
        if (k) {
                k->forward_delete(d, c, req, ref.name);
                return;
        }
        bool force = query_get(req->query, "force", val, sizeof(val)) && strcmp(val, "1") == 0;
        struct pending *p = pending_new(d, c, &ref);
        if (!p)
                return;
        start_call(c, p, ctr_engine_remove(e, ref.name, force, NULL, on_removed, p, &err), &err);
}

/* ---- create ------------------------------------------------------------------------ */

static void on_created(int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct pending *p = userdata;
        struct ctr_engine *e = p->d->engines[p->ref.engine];
        struct bv_error e2 = {};
        const char *id = json_string_value(json_object_get(result, "id"));

        if (r < 0 || !e || !id) {
                api_reply_errno(p->conn, r < 0 ? r : -EPROTO, r < 0 ? bv_error_message(err, r) : "No id");
                pending_free(p);
                return;
        }
        if (!p->ref.name[0])
                snprintf(p->ref.name, sizeof(p->ref.name), "%s", id);
        p->status = 201;
        if ((r = ctr_engine_inspect(e, id, NULL, on_inspect, p, &e2)) < 0) {
                api_reply_errno(p->conn, r, e2.msg);
                pending_free(p);
        }
}

static void post_instances(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                           char **args)
{
        json_auto_t *spec = NULL;
        struct bv_error err = {};
        struct ref ref = { .engine = -1 };

        (void)args;
        if (api_read_json(c, req, &spec) < 0)
                return;
        const char *engine = json_string_value(json_object_get(spec, "engine"));
        for (size_t i = 0; engine && i < N_ENGINES; i++)
                if (strcmp(engine, engine_names[i]) == 0)
                        ref.engine = (int)i;
        if (ref.engine < 0) {
                bv_http_conn_respond_error(c, 400, "Creating needs \"engine\": \"docker\" or \"podman\" (barevirt's own instances: /v1/vms)");
                return;
        }
        struct ctr_engine *e = instances_engine(d, (size_t)ref.engine, &err);
        if (!e) {
                api_reply_errno(c, err.error == ENODEV ? -ECONNREFUSED : -err.error, err.msg);
                return;
        }
        const char *name = json_string_value(json_object_get(spec, "name"));
        snprintf(ref.name, sizeof(ref.name), "%s", name && ctr_engine_name_valid(name) ? name : "");
        struct pending *p = pending_new(d, c, &ref);
        if (!p)
                return;
        start_call(c, p, ctr_engine_create(e, spec, NULL, on_created, p, &err), &err);
}

/* ---- logs and stats -------------------------------------------------------------------- */

static void on_log_data(int stream, const char *data, size_t len, void *userdata)
{
        struct pending *p = userdata;

        (void)stream;
        if (bv_http_conn_stream_write(p->conn, data, len) < 0)
                p->stream = ctr_engine_stream_free(p->stream);  /* on_close follows */
}

static void on_log_end(int r, const struct bv_error *err, void *userdata)
{
        struct pending *p = userdata;

        if (r < 0) {
                char line[300];
                int n = snprintf(line, sizeof(line), "\nbarevirt: %s\n", bv_error_message(err, r));
                bv_http_conn_stream_write(p->conn, line, (size_t)BV_MIN(n, (int)sizeof(line) - 1));
        }
        bv_http_conn_stream_end(p->conn);
        pending_free(p);   /* frees the stream: allowed from on_end */
}

static void on_log_close(struct bv_http_conn *c, void *userdata)
{
        (void)c;
        pending_free(userdata);
}

static void get_logs(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct ref ref;
        struct ctr_engine *e;
        const struct local_kind *k;
        struct bv_error err = {};
        char val[32];
        int tail = -1;

        if (ref_or_error(d, c, args[0], &ref, &e, &k) < 0)
                return;
        if (query_get(req->query, "tail", val, sizeof(val)) && !parse_int(val, 0, 1000000, &tail)) {
                bv_http_conn_respond_error(c, 400, "Invalid tail '%s' (a number of lines)", val);
                return;
        }
        bool follow = query_get(req->query, "follow", val, sizeof(val)) && strcmp(val, "1") == 0;
        if (k && k->logs) {
                k->logs(d, c, req, ref.name, tail, follow);
                return;
        }
        if (k) {
                bv_http_conn_respond_error(c, 501, "Logs of %s '%s' are not available here: its serial console log is in 'barevirt vm show %s'",
                                           k->type, ref.name, ref.name);
                return;
        }
        struct pending *p = pending_new(d, c, &ref);
        if (!p)
                return;
        if (!follow) {
                start_call(c, p, ctr_engine_logs(e, ref.name, tail, NULL, on_result, p, &err), &err);
                return;
        }
        int r = ctr_engine_logs_follow(e, ref.name, tail, on_log_data, on_log_end, p, &p->stream, &err);
        if (r < 0) {
                start_call(c, p, r, &err);
                return;
        }
        if (bv_http_conn_stream_begin(c, 200, "text/plain; charset=utf-8", on_log_close, p) < 0)
                pending_free(p);
}

static void get_stats(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct ref ref;
        struct ctr_engine *e;
        const struct local_kind *k;
        struct bv_error err = {};

        (void)req;
        if (ref_or_error(d, c, args[0], &ref, &e, &k) < 0)
                return;
        if (k) {
                bv_http_conn_respond_error(c, 501, "Stats of %s '%s' are not available here", k->type, ref.name);
                return;
        }
        struct pending *p = pending_new(d, c, &ref);
        if (!p)
                return;
        start_call(c, p, ctr_engine_stats(e, ref.name, NULL, on_result, p, &err), &err);
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
