/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Engine clients over common/common.h (HTTP): one keep-alive HTTP client per engine
 * socket, requests serialised by it, each with a timeout. A call is a
 * struct engine_op that may take several exchanges (version negotiation
 * first when none is known; inspect before logs); done is called exactly
 * once per accepted call. When the engine is unreachable the negotiated
 * version is forgotten, so a restarted (maybe upgraded) engine is negotiated
 * again. Replies are untrusted: bodies are capped, JSON is loaded with
 * common/common.h's JSON limits and read by type; bad replies give -EPROTO.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"
#include "ctr/ctr.h"

#define DEFAULT_TIMEOUT_USEC (10ULL * 1000000)
#define LIST_MAX_BODY (16 * 1024 * 1024)
#define LOGS_MAX_BODY (4 * 1024 * 1024)
#define LIST_MAX (10000)

static const struct ctr_engine_backend *const backends[] = { &ctr_engine_docker, &ctr_engine_podman };

const struct ctr_engine_backend *ctr_engine_backend_find(const char *name)
{
        for (size_t i = 0; i < BV_ELEMENTSOF(backends); i++)
                if (strcmp(backends[i]->name, name) == 0)
                        return backends[i];
        return NULL;
}

bool ctr_engine_name_valid(const char *name)
{
        size_t n = name ? strlen(name) : 0;

        if (n == 0 || n > 128)
                return false;
        for (size_t i = 0; i < n; i++) {
                char ch = name[i];
                bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
                if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-')))
                        return false;
        }
        return true;
}

void ctr_engine_error_message(const json_t *body, char *buf, size_t len)
{
        const json_t *m = json_object_get(body, "message");

        snprintf(buf, len, "%s", json_is_string(m) ? json_string_value(m) : "");
}

int ctr_engine_new(struct bv_loop *loop, const struct ctr_engine_backend *backend,
                   const char *socket_path, struct ctr_engine **ret, struct bv_error *err)
{
        if (!loop || !backend || !socket_path || !*socket_path)
                return bv_error_set(err, EINVAL, "Engine needs a loop, a backend and a socket path");
        if (strlen(socket_path) >= sizeof(((struct ctr_engine *)NULL)->socket))
                return bv_error_set(err, ENAMETOOLONG, "Engine socket path '%.64s...' is too long", socket_path);
        struct ctr_engine *e = calloc(1, sizeof(*e));
        if (!e)
                return bv_error_set(err, ENOMEM, "Out of memory");
        e->b = backend;
        e->loop = loop;
        snprintf(e->socket, sizeof(e->socket), "%s", socket_path);
        int r = bv_http_client_new(loop, socket_path, &e->client, err);
        if (r < 0) {
                free(e);
                return r;
        }
        *ret = e;
        return 0;
}

struct ctr_engine *ctr_engine_free(struct ctr_engine *e)
{
        if (!e)
                return NULL;
        e->client = bv_http_client_free(e->client);
        /* Calls on their own connections, or waiting on a timer. */
        while (e->ops) {
                struct engine_op *op = e->ops;
                struct bv_http_client *c = op->own;
                op->own = NULL;
                bv_http_client_free(c);
                if (e->ops == op) {
                        struct bv_error err = {};
                        bv_error_set(&err, ECANCELED, "%s engine client closed", e->b->title);
                        ctr_engine_op_finish(op, -ECANCELED, NULL, &err);
                }
        }
        free(e);
        return NULL;
}

const char *ctr_engine_name(const struct ctr_engine *e)
{
        return e->b->name;
}

const char *ctr_engine_socket(const struct ctr_engine *e)
{
        return e->socket;
}

const char *ctr_engine_state(const struct ctr_engine *e, const char *engine_state)
{
        return e->b->map_state(engine_state ? engine_state : "");
}

const char *ctr_engine_api_version(const struct ctr_engine *e)
{
        return e->version;
}

/* "1.41" -> 1041; -EINVAL when malformed. */
static int version_num(const char *s)
{
        unsigned maj, min;
        char extra;

        if (!s || sscanf(s, "%u.%u%c", &maj, &min, &extra) != 2 || maj > 99 || min > 999)
                return -EINVAL;
        return (int)(maj * 1000 + min);
}

/* Text from the engine for a message: bounded, printable. */
static void clean_text(char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        *s = ' ';
}

int ctr_engine_status_errno(int status, const char *text)
{
        (void)text;
        switch (status) {
        case 400: return EINVAL;
        case 401: case 403: return EACCES;
        case 404: return ENOENT;
        case 409: return EBUSY;
        case 501: return EOPNOTSUPP;
        default: return EIO;
        }
}

int ctr_engine_http_error(struct ctr_engine *e, const struct bv_http_response *resp, struct bv_error *err)
{
        json_auto_t *body = NULL;
        char msg[200] = "";

        if (resp->body && resp->body_len > 0 &&
            bv_json_loadb(resp->body, resp->body_len, resp->body_len, 0, &body, NULL) >= 0 && json_is_object(body))
                e->b->error_text(body, msg, sizeof(msg));
        if (!*msg && resp->body)
                snprintf(msg, sizeof(msg), "%.120s", resp->body);
        clean_text(msg);
        return bv_error_set(err, e->b->error_errno(resp->status, msg), "%s: %s (HTTP %d)", e->b->title,
                            *msg ? msg : bv_http_status_text(resp->status), resp->status);
}

int ctr_engine_unreachable(struct ctr_engine *e, int r, const struct bv_error *cause, struct bv_error *err)
{
        if (r == -ECONNREFUSED || r == -ENOENT || r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE) {
                e->version[0] = '\0';
                return bv_error_set(err, ECONNREFUSED, "%s engine at '%s' is not reachable (%s)", e->b->title,
                                    e->socket, bv_error_message(cause, r));
        }
        if (r == -ETIMEDOUT) {
                e->version[0] = '\0';
                return bv_error_set(err, ETIMEDOUT, "%s engine at '%s' did not answer in time", e->b->title,
                                    e->socket);
        }
        if (r == -ECANCELED)
                return bv_error_set(err, ECANCELED, "%s engine client closed", e->b->title);
        if (r == -EPROTO || r == -EMSGSIZE)
                return bv_error_set(err, -r, "%s engine at '%s' sent a bad reply: %s", e->b->title, e->socket,
                                    bv_error_message(cause, r));
        return bv_error_set(err, -r, "%s engine at '%s': %s", e->b->title, e->socket, bv_error_message(cause, r));
}

void ctr_engine_op_finish(struct engine_op *op, int r, json_t *result, const struct bv_error *err)
{
        if (op->prev)
                op->prev->next = op->next;
        else
                op->e->ops = op->next;
        if (op->next)
                op->next->prev = op->prev;
        op->done(r, r < 0 ? NULL : result, err, op->userdata);
        bv_timer_cancel(op->timer);
        ctr_engine_op_free(op);
}

void ctr_engine_op_free(struct engine_op *op)
{
        bv_http_client_free(op->own);
        json_decref(op->acc);
        free(op->body);
        free(op);
}

static int finish_version(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                          struct bv_error *err);

static void on_reply(int ret, struct bv_http_response *resp, const struct bv_error *cause, void *userdata)
{
        struct engine_op *op = userdata;
        struct bv_error err = {};
        json_t *result = NULL;
        int r;

        op_finish_fn fn = op->negotiating ? finish_version : op->finish;

        op->negotiating = false;
        if (ret < 0)
                r = ctr_engine_unreachable(op->e, ret, cause, &err);
        else if (resp->status >= 400)
                r = ctr_engine_http_error(op->e, resp, &err);
        else
                r = fn(op, resp, &result, &err);
        bv_http_response_free(resp);
        if (r == 1) {
                json_decref(result);
                return;  /* continued */
        }
        ctr_engine_op_finish(op, r, result, &err);
        json_decref(result);
}

static int send_exchange(struct engine_op *op, const char *method, const char *path, size_t max_body,
                         struct bv_error *err)
{
        bool with_body = !op->negotiating && op->body;
        struct bv_http_client_request req = {
                .method = method, .path = path, .timeout_usec = op->timeout_usec, .max_body = max_body,
                .content_type = with_body ? op->content_type : NULL, .body = with_body ? op->body : NULL,
                .body_len = with_body ? op->body_len : 0,
        };
        int r = bv_http_client_send(op->own ? op->own : op->e->client, &req, on_reply, op);
        if (r < 0)
                return bv_error_set(err, -r, "Cannot send a request to the %s engine at '%s'", op->e->b->title,
                                    op->e->socket);
        return 0;
}

int ctr_engine_load_reply(struct engine_op *op, const struct bv_http_response *resp, json_t **ret, struct bv_error *err)
{
        struct bv_error jerr = {};

        if (!resp->body || resp->body_len == 0)
                return bv_error_set(err, EPROTO, "%s sent an empty reply to %s", op->e->b->title, op->path);
        int r = bv_json_loadb(resp->body, resp->body_len, resp->body_len, 0, ret, &jerr);
        if (r < 0)
                return bv_error_set(err, EPROTO, "%s sent malformed JSON for %s: %s", op->e->b->title, op->path,
                                    jerr.msg);
        return 0;
}

/* Picks the API version from a /version reply into e->version. */
int ctr_engine_negotiate(struct ctr_engine *e, const json_t *v, struct bv_error *err)
{
        const char *api = json_string_value(json_object_get(v, "ApiVersion"));
        const char *min = json_string_value(json_object_get(v, "MinAPIVersion"));
        int their = version_num(api), ours = version_num(e->b->max_version);

        if (their < 0)
                return bv_error_set(err, EPROTO, "%s sent no valid ApiVersion in /version", e->b->title);
        if (their < version_num(e->b->min_version))
                return bv_error_set(err, EOPNOTSUPP, "%s API version %s is older than %s, the oldest barevirt speaks",
                                    e->b->title, api, e->b->min_version);
        if (min && version_num(min) > ours)
                return bv_error_set(err, EOPNOTSUPP, "%s needs API version %.16s or newer; barevirt speaks up to %s",
                                    e->b->title, min, e->b->max_version);
        snprintf(e->version, sizeof(e->version), "%s", their < ours ? api : e->b->max_version);
        return 0;
}

/* Negotiation before an op: GET /version, then the op's own exchange. */
int ctr_engine_negotiate_ping(struct ctr_engine *e, const struct bv_http_response *resp, struct bv_error *err)
{
        const char *api = bv_http_response_header(resp, "Api-Version");

        if (!api || version_num(api) < 0)
                return 1;
        json_auto_t *v = json_pack("{s:s}", "ApiVersion", api);
        if (!v)
                return bv_error_set(err, ENOMEM, "Out of memory");
        return ctr_engine_negotiate(e, v, err);
}

static int finish_version(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                          struct bv_error *err)
{
        json_auto_t *v = NULL;
        int r;

        *ret = NULL;
        if (!op->negotiating_full) {
                r = ctr_engine_negotiate_ping(op->e, resp, err);
                if (r < 0)
                        return r;
                if (r == 1) {
                        /* No Api-Version header: ask /version. */
                        op->negotiating = op->negotiating_full = true;
                        r = send_exchange(op, "GET", op->e->b->version_path, 64 * 1024, err);
                        return r < 0 ? r : 1;
                }
        } else if ((r = ctr_engine_load_reply(op, resp, &v, err)) < 0 || (r = ctr_engine_negotiate(op->e, v, err)) < 0)
                return r;
        op->negotiating_full = false;
        r = ctr_engine_op_send(op, err);
        return r < 0 ? r : 1;
}

int ctr_engine_op_send(struct engine_op *op, struct bv_error *err)
{
        char full[600];

        if (op->versioned && !op->e->version[0]) {
                op->negotiating = true;
                op->negotiating_full = false;
                return send_exchange(op, "GET", op->e->b->ping_path, 4096, err);
        }
        if (op->versioned)
                snprintf(full, sizeof(full), "/v%s%s", op->e->version, op->path);
        else
                snprintf(full, sizeof(full), "%s", op->path);
        return send_exchange(op, op->method, full, op->max_body, err);
}

struct engine_op *ctr_engine_op_new(struct ctr_engine *e, const struct ctr_engine_opts *o, ctr_engine_done_cb done,
                                    void *userdata)
{
        struct engine_op *op = calloc(1, sizeof(*op));

        if (!op)
                return NULL;
        op->e = e;
        op->method = "GET";
        op->versioned = true;
        op->timeout_usec = o && o->timeout_usec ? o->timeout_usec : DEFAULT_TIMEOUT_USEC;
        op->done = done;
        op->userdata = userdata;
        return op;
}

int ctr_engine_op_start(struct engine_op *op, struct bv_error *err)
{
        int r = ctr_engine_op_send(op, err);
        if (r >= 0) {
                op->next = op->e->ops;
                if (op->next)
                        op->next->prev = op;
                op->e->ops = op;
        } else
                ctr_engine_op_free(op);
        return r;
}

int ctr_engine_op_own_client(struct engine_op *op, struct bv_error *err)
{
        if (op->own)
                return 0;
        return bv_http_client_new(op->e->loop, op->e->socket, &op->own, err);
}

int ctr_engine_op_set_body(struct engine_op *op, const char *content_type, const void *body, size_t len,
                           struct bv_error *err)
{
        free(op->body);
        op->body = malloc(len + 1);
        if (!op->body)
                return bv_error_set(err, ENOMEM, "Out of memory");
        memcpy(op->body, body, len);
        op->body[len] = '\0';
        op->body_len = len;
        op->content_type = content_type;
        return 0;
}

/* ---- ping ------------------------------------------------------------------ */

static int finish_ping_version(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                               struct bv_error *err)
{
        struct ctr_engine *e = op->e;
        json_auto_t *v = NULL;
        int r = ctr_engine_load_reply(op, resp, &v, err);

        if (r < 0 || (r = ctr_engine_negotiate(e, v, err)) < 0)
                return r;
        const char *ver = json_string_value(json_object_get(v, "Version"));
        const char *min = json_string_value(json_object_get(v, "MinAPIVersion"));
        *ret = json_pack("{s:s, s:s, s:s, s:s, s:s}", "engine", e->b->name, "socket", e->socket,
                         "version", ver ? ver : "", "api_version", e->version, "min_api_version", min ? min : "");
        return *ret ? 0 : bv_error_set(err, ENOMEM, "Out of memory");
}

static int finish_ping(struct engine_op *op, const struct bv_http_response *resp, json_t **ret, struct bv_error *err)
{
        if (!resp->body || resp->body_len < 2 || strncmp(resp->body, "OK", 2) != 0)
                return bv_error_set(err, EPROTO, "%s engine at '%s' answered its ping with something else than OK",
                                    op->e->b->title, op->e->socket);
        *ret = NULL;
        snprintf(op->path, sizeof(op->path), "%s", op->e->b->version_path);
        op->finish = finish_ping_version;
        int r = send_exchange(op, "GET", op->path, 64 * 1024, err);
        return r < 0 ? r : 1;
}

int ctr_engine_ping(struct ctr_engine *e, const struct ctr_engine_opts *o, ctr_engine_done_cb done,
                    void *userdata, struct bv_error *err)
{
        struct engine_op *op = ctr_engine_op_new(e, o, done, userdata);

        if (!op)
                return bv_error_set(err, ENOMEM, "Out of memory");
        op->versioned = false;
        op->finish = finish_ping;
        snprintf(op->path, sizeof(op->path), "%s", e->b->ping_path);
        op->max_body = 4096;
        return ctr_engine_op_start(op, err);
}

/* ---- list ------------------------------------------------------------------ */

static const char *jstr(const json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));
        return s ? s : "";
}

/*
 * Seconds a running container has been up, from the engine's status text
 * ("Up 5 seconds", "Up About a minute", "Up 3 hours (Paused)"): the list
 * call carries no start time, and an inspect per container would make the
 * list as slow as N calls. Approximate, as the text is; -1 when not up.
 */
int64_t ctr_engine_status_uptime(const char *status)
{
        static const struct { const char *unit; int64_t sec; } units[] = {
                { "second", 1 }, { "minute", 60 }, { "hour", 3600 }, { "day", 86400 },
                { "week", 7 * 86400 }, { "month", 30 * 86400 }, { "year", 365 * 86400 },
        };
        long n = 1;
        char *end;

        if (!status || strncmp(status, "Up ", 3) != 0)
                return -1;
        const char *p = status + 3;
        if (strncmp(p, "Less than a second", 18) == 0)
                return 0;
        if (strncmp(p, "About a", 7) == 0 || strncmp(p, "About an", 8) == 0)
                p = strchr(p + 6, ' ');
        else if (*p >= '0' && *p <= '9') {
                n = strtol(p, &end, 10);
                p = end;
        } else
                return -1;
        if (!p || *p != ' ' || n < 0 || n > 100000)
                return -1;
        p++;
        for (size_t i = 0; i < BV_ELEMENTSOF(units); i++)
                if (strncmp(p, units[i].unit, strlen(units[i].unit)) == 0)
                        return (int64_t)n * units[i].sec;
        return -1;
}

/* The non-empty IPAddress of every network in NetworkSettings.Networks. */
static json_t *container_addresses(const json_t *c)
{
        const json_t *nets = json_object_get(json_object_get(c, "NetworkSettings"), "Networks"), *n;
        const char *key;
        json_t *out = json_array();

        json_object_foreach((json_t *)nets, key, n) {
                const char *ip = json_string_value(json_object_get(n, "IPAddress"));
                if (ip && *ip && strlen(ip) < 64 && out)
                        json_array_append_new(out, json_string(ip));
        }
        return out;
}

static json_t *container_entry(struct ctr_engine *e, const json_t *c)
{
        const json_t *names = json_object_get(c, "Names"), *labels = json_object_get(c, "Labels");
        const char *id = jstr(c, "Id"), *state = jstr(c, "State"), *first = NULL;
        json_t *n, *out_names = json_array();
        size_t i;

        if (!out_names)
                return NULL;
        json_array_foreach(names, i, n) {
                const char *s = json_string_value(n);
                if (!s)
                        continue;
                if (*s == '/')
                        s++;
                if (!first)
                        first = s;
                json_array_append_new(out_names, json_string(s));
        }
        if (!first)
                first = id;
        const json_t *cr = json_object_get(c, "Created");
        json_int_t created = json_is_integer(cr) ? json_integer_value(cr) : 0;
        if (json_is_string(cr)) {
                /* Podman's libpod list: RFC 3339 in UTC. */
                struct tm tm = {};
                const char *end = strptime(json_string_value(cr), "%Y-%m-%dT%H:%M:%S", &tm);
                created = end ? (json_int_t)timegm(&tm) : 0;
        }
        const char *mapped = e->b->map_state(state);
        bool is_up = strcmp(mapped, "running") == 0 || strcmp(mapped, "paused") == 0;
        int64_t up = is_up ? ctr_engine_status_uptime(jstr(c, "Status")) : -1;
        /* Podman's libpod list: StartedAt (exact), no status text. */
        const json_t *started = json_object_get(c, "StartedAt");
        if (is_up && json_is_integer(started) && json_integer_value(started) > 0) {
                int64_t t = (int64_t)time(NULL) - json_integer_value(started);
                up = t < 0 ? 0 : t;
        }
        /* "o" steals: a borrowed labels object gets its own reference. */
        json_t *out = json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:I, s:o, s:o}", "id", id, "name", first, "names",
                                out_names, "image", jstr(c, "Image"), "state", mapped, "engine_state", state, "status",
                                jstr(c, "Status"), "created", created, "labels",
                                json_is_object(labels) ? json_incref((json_t *)labels) : json_object(), "addresses",
                                container_addresses(c));
        if (out)
                json_object_set_new(out, "uptime", up >= 0 ? json_integer(up) : json_null());
        const json_t *code = json_object_get(c, "ExitCode");
        if (out && !*jstr(c, "Status") && strcmp(mapped, "exited") == 0 && json_is_integer(code)) {
                char st[32];
                snprintf(st, sizeof(st), "Exited (%d)", (int)json_integer_value(code));
                json_object_set_new(out, "status", json_string(st));
        } else if (out && !*jstr(c, "Status") && up >= 0)
                json_object_set_new(out, "status", json_string("Up"));
        return out;
}

static int finish_list(struct engine_op *op, const struct bv_http_response *resp, json_t **ret, struct bv_error *err)
{
        json_auto_t *v = NULL;
        json_t *c;
        size_t i;
        int r = ctr_engine_load_reply(op, resp, &v, err);

        if (r < 0)
                return r;
        if (!json_is_array(v))
                return bv_error_set(err, EPROTO, "%s sent a container list that is not an array", op->e->b->title);
        if (json_array_size(v) > LIST_MAX)
                return bv_error_set(err, EMSGSIZE, "%s lists more than %d containers", op->e->b->title, LIST_MAX);
        json_auto_t *out = json_array();
        json_array_foreach(v, i, c) {
                if (!json_is_object(c) || !json_is_string(json_object_get(c, "Id")))
                        return bv_error_set(err, EPROTO, "%s sent a malformed container entry", op->e->b->title);
                json_t *entry = container_entry(op->e, c);
                if (!entry || json_array_append_new(out, entry) < 0)
                        return bv_error_set(err, ENOMEM, "Out of memory");
        }
        *ret = TAKE_PTR(out);
        return 0;
}

int ctr_engine_list(struct ctr_engine *e, const struct ctr_engine_opts *o, ctr_engine_done_cb done,
                    void *userdata, struct bv_error *err)
{
        struct engine_op *op = ctr_engine_op_new(e, o, done, userdata);

        if (!op)
                return bv_error_set(err, ENOMEM, "Out of memory");
        snprintf(op->path, sizeof(op->path), "%s", e->b->list_path);
        op->versioned = e->b->list_versioned;
        op->finish = finish_list;
        op->max_body = LIST_MAX_BODY;
        return ctr_engine_op_start(op, err);
}

/* ---- inspect and actions ----------------------------------------------------- */

int ctr_engine_finish_json_object(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                                  struct bv_error *err)
{
        int r = ctr_engine_load_reply(op, resp, ret, err);

        if (r >= 0 && !json_is_object(*ret)) {
                json_decref(TAKE_PTR(*ret));
                return bv_error_set(err, EPROTO, "%s sent a reply that is not an object", op->e->b->title);
        }
        return r;
}

/* 204 done, 304 already in that state: both success, no result. */
int ctr_engine_finish_none(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                           struct bv_error *err)
{
        (void)op, (void)resp, (void)err;
        *ret = NULL;
        return 0;
}

int ctr_engine_id_op(struct ctr_engine *e, const char *id, const char *method, const char *fmt_suffix,
                     op_finish_fn finish, const struct ctr_engine_opts *o, ctr_engine_done_cb done, void *userdata,
                     struct bv_error *err, struct engine_op **ret)
{
        /* Defends against path and query injection: ids are checked names. */
        if (!ctr_engine_name_valid(id))
                return bv_error_set(err, EINVAL, "Invalid container name '%.64s'", id ? id : "");
        struct engine_op *op = ctr_engine_op_new(e, o, done, userdata);
        if (!op)
                return bv_error_set(err, ENOMEM, "Out of memory");
        op->method = method;
        op->finish = finish;
        op->max_body = BV_HTTP_DEFAULT_MAX_BODY;
        snprintf(op->id, sizeof(op->id), "%s", id);
        snprintf(op->path, sizeof(op->path), "/containers/%s%s", id, fmt_suffix);
        *ret = op;
        return 0;
}

int ctr_engine_id_call(struct ctr_engine *e, const char *id, const char *method, const char *suffix,
                       op_finish_fn finish, const struct ctr_engine_opts *o, ctr_engine_done_cb done, void *userdata,
                       struct bv_error *err)
{
        struct engine_op *op;
        int r = ctr_engine_id_op(e, id, method, suffix, finish, o, done, userdata, err, &op);
        return r < 0 ? r : ctr_engine_op_start(op, err);
}

int ctr_engine_inspect(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                       ctr_engine_done_cb done, void *userdata, struct bv_error *err)
{
        return ctr_engine_id_call(e, id, "GET", "/json", ctr_engine_finish_json_object, o, done, userdata, err);
}

int ctr_engine_start(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                     ctr_engine_done_cb done, void *userdata, struct bv_error *err)
{
        return ctr_engine_id_call(e, id, "POST", "/start", ctr_engine_finish_none, o, done, userdata, err);
}

int ctr_engine_grace_call(struct ctr_engine *e, const char *id, const char *verb, int grace_sec,
                          const struct ctr_engine_opts *o, ctr_engine_done_cb done, void *userdata,
                          struct bv_error *err)
{
        struct engine_op *op;
        char suffix[48];

        if (grace_sec > 3600)
                return bv_error_set(err, EINVAL, "Stop timeout %d s is over an hour", grace_sec);
        if (grace_sec >= 0)
                snprintf(suffix, sizeof(suffix), "/%s?t=%d", verb, grace_sec);
        else
                snprintf(suffix, sizeof(suffix), "/%s", verb);
        int r = ctr_engine_id_op(e, id, "POST", suffix, ctr_engine_finish_none, o, done, userdata, err, &op);
        if (r < 0)
                return r;
        if (!(o && o->timeout_usec))
                op->timeout_usec = DEFAULT_TIMEOUT_USEC + (uint64_t)(grace_sec >= 0 ? grace_sec : 10) * 1000000;
        if ((r = ctr_engine_op_own_client(op, err)) < 0) {
                ctr_engine_op_free(op);
                return r;
        }
        return ctr_engine_op_start(op, err);
}

int ctr_engine_stop(struct ctr_engine *e, const char *id, int grace_sec, const struct ctr_engine_opts *o,
                    ctr_engine_done_cb done, void *userdata, struct bv_error *err)
{
        return ctr_engine_grace_call(e, id, "stop", grace_sec, o, done, userdata, err);
}

int ctr_engine_kill(struct ctr_engine *e, const char *id, const char *signal, const struct ctr_engine_opts *o,
                    ctr_engine_done_cb done, void *userdata, struct bv_error *err)
{
        char suffix[48] = "/kill";

        if (signal) {
                /* Defends against query injection: SIG names and numbers only. */
                if (!*signal || strlen(signal) > 16 || strspn(signal, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-") != strlen(signal))
                        return bv_error_set(err, EINVAL, "Invalid signal '%.16s'", signal);
                snprintf(suffix, sizeof(suffix), "/kill?signal=%s", signal);
        }
        return ctr_engine_id_call(e, id, "POST", suffix, ctr_engine_finish_none, o, done, userdata, err);
}

int ctr_engine_remove(struct ctr_engine *e, const char *id, bool force, const struct ctr_engine_opts *o,
                      ctr_engine_done_cb done, void *userdata, struct bv_error *err)
{
        return ctr_engine_id_call(e, id, "DELETE", force ? "?force=1" : "", ctr_engine_finish_none, o, done, userdata,
                                  err);
}

/* ---- logs ---------------------------------------------------------------------- */

void ctr_engine_demux_clear(struct ctr_engine_demux *d)
{
        free(d->out);
        free(d->stdout_);
        free(d->stderr_);
        *d = (struct ctr_engine_demux){};
}

int ctr_engine_demux(const char *buf, size_t len, struct ctr_engine_demux *ret, struct bv_error *err)
{
        struct ctr_engine_demux d = {
                .out = malloc(len + 1), .stdout_ = malloc(len + 1), .stderr_ = malloc(len + 1),
        };
        size_t off = 0;
        int r = 0;

        if (!d.out || !d.stdout_ || !d.stderr_) {
                ctr_engine_demux_clear(&d);
                return bv_error_set(err, ENOMEM, "Out of memory");
        }
        while (off < len) {
                const unsigned char *h = (const unsigned char *)buf + off;
                if (len - off < 8 || h[0] > 2 || h[1] || h[2] || h[3]) {
                        r = bv_error_set(err, EPROTO, "Bad log stream frame header at byte %zu", off);
                        break;
                }
                size_t n = ((size_t)h[4] << 24) | ((size_t)h[5] << 16) | ((size_t)h[6] << 8) | h[7];
                if (n > len - off - 8) {
                        r = bv_error_set(err, EPROTO, "Truncated log stream frame at byte %zu", off);
                        break;
                }
                const char *p = buf + off + 8;
                memcpy(d.out + d.out_len, p, n);
                d.out_len += n;
                if (h[0] == 2) {
                        memcpy(d.stderr_ + d.stderr_len, p, n);
                        d.stderr_len += n;
                } else {
                        memcpy(d.stdout_ + d.stdout_len, p, n);
                        d.stdout_len += n;
                }
                off += 8 + n;
        }
        d.out[d.out_len] = d.stdout_[d.stdout_len] = d.stderr_[d.stderr_len] = '\0';
        *ret = d;
        return r;
}

static int finish_logs(struct engine_op *op, const struct bv_http_response *resp, json_t **ret, struct bv_error *err)
{
        if (op->tty)
                *ret = json_pack("{s:b, s:o, s:o, s:s}", "tty", 1, "output",
                                 bv_json_string_lossy(resp->body, resp->body_len), "stdout",
                                 bv_json_string_lossy(resp->body, resp->body_len), "stderr", "");
        else {
                struct ctr_engine_demux d = {};
                int r = ctr_engine_demux(resp->body ? resp->body : "", resp->body_len, &d, err);
                if (r < 0) {
                        ctr_engine_demux_clear(&d);
                        return bv_error_prefix(err, "%s sent a malformed log stream", op->e->b->title);
                }
                *ret = json_pack("{s:b, s:o, s:o, s:o}", "tty", 0, "output", bv_json_string_lossy(d.out, d.out_len),
                                 "stdout", bv_json_string_lossy(d.stdout_, d.stdout_len), "stderr",
                                 bv_json_string_lossy(d.stderr_, d.stderr_len));
                ctr_engine_demux_clear(&d);
        }
        return *ret ? 0 : bv_error_set(err, ENOMEM, "Out of memory");
}

static int finish_logs_inspect(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                               struct bv_error *err)
{
        json_auto_t *v = NULL;
        int r = ctr_engine_finish_json_object(op, resp, &v, err);

        if (r < 0)
                return r;
        op->tty = json_is_true(json_object_get(json_object_get(v, "Config"), "Tty"));
        *ret = NULL;
        char tail[16] = "all";
        if (op->tail >= 0)
                snprintf(tail, sizeof(tail), "%d", op->tail);
        snprintf(op->path, sizeof(op->path), "/containers/%s/logs?stdout=1&stderr=1&tail=%s", op->id, tail);
        op->finish = finish_logs;
        op->max_body = LOGS_MAX_BODY;
        r = ctr_engine_op_send(op, err);
        return r < 0 ? r : 1;
}

int ctr_engine_logs(struct ctr_engine *e, const char *id, int tail, const struct ctr_engine_opts *o,
                    ctr_engine_done_cb done, void *userdata, struct bv_error *err)
{
        struct engine_op *op;
        int r = ctr_engine_id_op(e, id, "GET", "/json", finish_logs_inspect, o, done, userdata, err, &op);
        if (r < 0)
                return r;
        op->tail = tail;
        return ctr_engine_op_start(op, err);
}

const struct engine_reply_kind ctr_engine_core_replies[] = {
        { "list", finish_list },
        { "inspect", ctr_engine_finish_json_object },
        { "logs", finish_logs },
        {},
};
