/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The REST API's front door: listens on the UNIX socket, logs every request
 * with the peer's credentials (SO_PEERCRED), matches it against the route
 * tables of the api-*.c files and maps failures to JSON errors:
 * unknown path 404, known path with another method 405 (naming the allowed ones),
 * oversized bodies 413 (in common/http.c), malformed JSON 400. The router
 * also serves the generic /v1/instances verbs of barevirt's own instances,
 * which api_forward() hands to the kind's own endpoint; and the replies and
 * pending answers every handler shares.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr.h"
#include "tools/daemon/daemon.h"

#define API_MAX_BODY (1024 * 1024)
#define API_SMALL_BODY 4096           /* GET, HEAD, paths no route has, and anonymous remote requests */
#define API_ENROL_BODY (16 * 1024)    /* POST /v1/enrol: a join token's secret and a certificate */

static const struct api_route *const route_tables[] = {
        api_host_routes,
        api_events_routes,
        api_vms_routes,
        api_networks_routes,
        api_forwards_routes,
        api_firewall_routes,
        api_instances_routes,
        api_containers_routes,
        api_containers_io_routes,
        api_containers_action_routes,   /* after io: "POST /v1/containers/{}/{}" would take "exec" */
        api_engines_routes,
#ifdef BV_TLS
        api_auth_routes,
#endif
        api_audit_routes,
        api_projects_routes,
};

/*
 * Matches path against pattern segment by segment; "{}" takes one
 * non-empty segment into args (copied into buf). Returns the number of
 * arguments, or -1 when it does not match.
 */
static int match(const char *pattern, const char *path, char *buf, size_t buflen, char **args)
{
        int n = 0;
        size_t used = 0;

        while (*pattern && *path) {
                if (pattern[0] == '{' && pattern[1] == '}') {
                        size_t len = strcspn(path, "/");
                        if (len == 0 || n >= API_MAX_ARGS || used + len + 1 > buflen)
                                return -1;
                        memcpy(buf + used, path, len);
                        buf[used + len] = '\0';
                        args[n++] = buf + used;
                        used += len + 1;
                        path += len;
                        pattern += 2;
                } else if (*pattern == *path) {
                        pattern++;
                        path++;
                } else
                        return -1;
        }
        return (*pattern || *path) ? -1 : n;
}

int api_status_from_errno(int neg_errno)
{
        switch (-neg_errno) {
        case ENOENT: case ENODEV: case ESRCH: return 404;
        case EEXIST: case EBUSY: case ENOTEMPTY: case EALREADY: return 409;
        case EINVAL: case ERANGE: case ENAMETOOLONG: case EDOM: return 400;
        case ETIMEDOUT: return 504;
        case EMSGSIZE: case EFBIG: case E2BIG: return 413;
        case EPERM: case EACCES: case EDQUOT: return 403;
        case EOPNOTSUPP: case ENOSYS: return 501;
        case ECONNREFUSED: case EHOSTDOWN: case ENOTCONN: return 503;
        case EREMOTEIO: return 422;
        default: return 500;
        }
}

void api_reply_json(struct bv_http_conn *c, int status, json_t *v)
{
        _cleanup_free_ char *s = v ? bv_json_dumps(v) : NULL;
        json_decref(v);
        if (!s) {
                bv_http_conn_respond_error(c, 500, "Out of memory");
                return;
        }
        size_t n = strlen(s);
        s[n] = '\n';  /* replace the NUL: one JSON value per line, curl-friendly */
        bv_http_conn_respond(c, status, "application/json", s, n + 1);
}

void api_reply_errno(struct bv_http_conn *c, int neg_errno, const char *msg)
{
        int status = api_status_from_errno(neg_errno);
        bv_http_conn_respond_error(c, status, "%s", msg && *msg ? msg : strerror(-neg_errno));
}

int api_read_json(struct bv_http_conn *c, const struct bv_http_request *req, json_t **ret)
{
        struct bv_error err = {};
        int r;

        if (req->body_len == 0) {
                bv_http_conn_respond_error(c, 400, "Request body must be a JSON object");
                return -EINVAL;
        }
        r = bv_json_load_object(req->body, req->body_len, API_MAX_BODY, ret, &err);
        if (r < 0) {
                bv_http_conn_respond_error(c, r == -EMSGSIZE ? 413 : 400, "Malformed JSON body: %s",
                                           err.msg);
                return r;
        }
        return 0;
}

static const char *instance_project(struct barevirtd *d, const char *name, char buf[64])
{
        return strchr(name, ':') ? "default" : access_instance_project(d, name);  /* engine refs are default's */
}

static const char *project_itself(struct barevirtd *d, const char *name, char buf[64])
{
        return name;
}

/* The collections whose second path segment names something of a project, and what a missing one is called. */
static const struct {
        const char *coll, *what;
        const char *(*project)(struct barevirtd *d, const char *name, char buf[64]);
} scoped[] = {
        { "vms", "VM", instance_project },
        { "containers", "container", instance_project },
        { "instances", "instance", instance_project },
        { "networks", "network", networks_project },
        { "projects", "project", project_itself },
};

/*
 * The one place where a request's instance, network or project is looked
 * up by name for an identity restricted to a project (access.c): one of
 * another project is answered exactly as a name that does not exist,
 * whatever the endpoint (a VM path naming a container gets "No VM named"
 * either way). Engine paths are default's. True when answered.
 */
static bool hidden(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, const char *path)
{
        const char *scope = access_scope(req), *p;
        char coll[32], name[160], buf[64];
        int n;

        if (!scope || sscanf(path, "/v1/%31[^/]%n", coll, &n) != 1)
                return false;
        if (strcmp(coll, "engines") == 0 && strcmp(scope, "default") != 0) {
                bv_http_conn_respond_error(c, 404, "No such endpoint '%s'", path);
                return true;
        }
        if (path[n] != '/' || sscanf(path + n, "/%159[^/]", name) != 1)
                return false;
        for (size_t i = 0; i < BV_ELEMENTSOF(scoped); i++)
                if (strcmp(coll, scoped[i].coll) == 0) {
                        if (!(p = scoped[i].project(d, name, buf)) || strcmp(p, scope) == 0)
                                return false;
                        api_reply_missing(c, scoped[i].what, name);
                        return true;
                }
        return false;
}

void api_reply_missing(struct bv_http_conn *c, const char *what, const char *name)
{
        bv_http_conn_respond_error(c, 404, "No %s named '%.64s'", what, name);
}

/* Endpoints whose bodies are small by nature: a smaller limit than --max-body. */
static const struct {
        const char *method, *pattern;
        size_t max;
} small_bodies[] = {
        { "POST", "/v1/tokens", 4096 },
        { "POST", "/v1/trust", 96 * 1024 },   /* a certificate (chain) in PEM */
        { "POST", "/v1/trust/tokens", 4096 },
        { "POST", "/v1/vms/{}/{}", 64 * 1024 },       /* start, stop, ... */
        { "POST", "/v1/containers/{}/{}", 64 * 1024 },
};

/*
 * The body limit of a request, decided from its head before the body is
 * read (so a 100 MB body is refused unread): small_bodies' own, else
 * --max-body; reads and paths no route has get API_SMALL_BODY.
 */
static size_t body_limit(const struct bv_http_request *head, void *userdata)
{
        struct barevirtd *d = userdata;
        const char *method = head->method, *path = head->path;
        char buf[512];
        char *args[API_MAX_ARGS];

        if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
                return API_SMALL_BODY;
#ifdef BV_TLS
        /* What can only be refused (or is an enrolment) is not read in full: no megabyte for anyone on the net. */
        if (auth_anonymous(d, head))
                return strcmp(path, "/v1/enrol") == 0 ? API_ENROL_BODY : API_SMALL_BODY;
#endif
        for (size_t t = 0; t < BV_ELEMENTSOF(route_tables); t++)
                for (const struct api_route *rt = route_tables[t]; rt->method; rt++)
                        if (strcmp(rt->method, method) == 0 && match(rt->pattern, path, buf, sizeof(buf), args) >= 0) {
                                size_t max = d->limits.max_body;
                                for (size_t i = 0; i < BV_ELEMENTSOF(small_bodies); i++)
                                        if (strcmp(small_bodies[i].method, method) == 0 &&
                                            match(small_bodies[i].pattern, path, buf, sizeof(buf), args) >= 0)
                                                return BV_MIN(max, small_bodies[i].max);
                                return max;
                        }
        return API_SMALL_BODY;
}

/* Calls the handler of method and path; false (allow: the methods path has) when there is none. */
static bool dispatch(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                     const char *method, const char *path, char *allow, size_t allow_len)
{
        char buf[512];
        char *args[API_MAX_ARGS];

        for (size_t t = 0; t < BV_ELEMENTSOF(route_tables); t++)
                for (const struct api_route *rt = route_tables[t]; rt->method; rt++) {
                        if (match(rt->pattern, path, buf, sizeof(buf), args) < 0)
                                continue;
                        if (strcmp(rt->method, method) == 0) {
                                if (!hidden(d, c, req, path))
                                        rt->handler(d, c, req, args);
                                return true;
                        }
                        if (!strstr(allow, rt->method) && strlen(allow) + strlen(rt->method) + 3 < allow_len) {
                                if (*allow)
                                        strcat(allow, ", ");
                                strcat(allow, rt->method);
                        }
                }
        return false;
}

void api_forward(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, const char *method,
                 const char *fmt, ...)
{
        char path[512], allow[128] = "";
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(path, sizeof(path), fmt, ap);
        va_end(ap);
        if (!dispatch(d, c, req, method, path, allow, sizeof(allow)))
                bv_http_conn_respond_error(c, 501, "No endpoint %s '%s'", method, path);
}

static void handle(struct bv_http_conn *c, const struct bv_http_request *req, void *userdata)
{
        struct barevirtd *d = userdata;
        char allow[128] = "";

        audit_request(d, c, req);
#ifdef BV_TLS
        if (!auth_check(d, c, req))
                return;
#endif
        if (!req->peer_data)
                bv_info("%s %s%s%s (pid %d uid %u)", req->method, req->path, req->query ? "?" : "",
                        req->query ? req->query : "", (int)req->peer_pid, (unsigned)req->peer_uid);
        if (dispatch(d, c, req, req->method, req->path, allow, sizeof(allow)))
                return;
        if (*allow)
                bv_http_conn_respond_error(c, 405, "Method %s not allowed on '%s' (allowed: %s)",
                                           req->method, req->path, allow);
        else
                bv_http_conn_respond_error(c, 404, "No such endpoint '%s'", req->path);
}

/* ---- lookups and pending answers ------------------------------------------------------- */

struct vmm_vm *api_vm_or_404(struct barevirtd *d, struct bv_http_conn *c, const char *name)
{
        struct vmm_vm *vm = registry_vm(d, name);

        if (!vm)
                api_reply_missing(c, "VM", name);
        return vm;
}

struct ctr_ct *api_ct_or_404(struct barevirtd *d, struct bv_http_conn *c, const char *name)
{
        struct ctr_ct *ct = registry_ct(d, name);

        if (!ct)
                api_reply_missing(c, "container", name);
        return ct;
}

struct api_pending *api_pending_new(struct barevirtd *d, struct bv_http_conn *c, const char *name)
{
        struct api_pending *p = calloc(1, sizeof(*p));

        if (!p) {
                api_reply_errno(c, -ENOMEM, NULL);
                return NULL;
        }
        p->d = d;
        p->conn = bv_http_conn_ref(c);
        p->status = 200;
        p->engine = -1;
        snprintf(p->name, sizeof(p->name), "%s", name ? name : "");
        return p;
}

void api_pending_free(struct api_pending *p)
{
        if (!p)
                return;
        ctr_engine_stream_free(p->stream);
        bv_http_conn_unref(p->conn);
        free(p);
}

void api_pending_fail(struct api_pending *p, int r, const char *msg)
{
        api_reply_errno(p->conn, r, msg);
        api_pending_free(p);
}

int api_query_flag(struct bv_http_conn *c, const struct bv_http_request *req, const char *key, bool *ret)
{
        if (bv_http_query_flag(req->query, key, ret) < 0) {
                bv_http_conn_respond_error(c, 400, "%s: expected 1, true, yes, 0, false or no", key);
                return -EINVAL;
        }
        return 0;
}

int api_query_get(struct bv_http_conn *c, const struct bv_http_request *req, const char *key, char *buf, size_t len)
{
        int r = bv_http_query_get(req->query, key, buf, len);

        if (r < 0)
                bv_http_conn_respond_error(c, 400, "%s: %s", key, r == -ENOBUFS ? "value too long" :
                                           "malformed query (bad %-escape or the key given twice)");
        return r;
}

int api_start(struct barevirtd *d, struct bv_error *err)
{
        struct bv_http_server_config cfg = { .max_body = API_MAX_BODY, .on_response = audit_on_response,
                                             .on_reject = audit_on_reject, .body_limit = body_limit };
        int fd = bv_unix_listen(d->socket_path, 0660, err);

        if (fd < 0)
                return fd;
        d->listen_fd = fd;
        int r = bv_http_server_new(d->loop, fd, &cfg, handle, d, &d->api, err);
        if (r < 0) {
                close(fd);
                unlink(d->socket_path);
                d->listen_fd = -1;
        }
        return r;
}

int api_server_new(struct barevirtd *d, unsigned max_conns, struct bv_http_server **ret, struct bv_error *err)
{
        const struct remote_limits *l = &d->limits;
        struct bv_http_server_config cfg = {
                .max_body = API_MAX_BODY, .max_conns = max_conns, .on_response = audit_on_response,
                .on_reject = audit_on_reject,
                .body_limit = body_limit, .max_head = l->max_header_bytes,
                .request_timeout_usec = l->request_timeout_s * 1000000ULL,
                .idle_timeout_usec = l->idle_timeout_s * 1000000ULL,
        };

        return bv_http_server_new(d->loop, -1, &cfg, handle, d, ret, err);
}

void api_stop(struct barevirtd *d)
{
        d->api = bv_http_server_free(d->api);
        if (d->listen_fd >= 0) {
                close(d->listen_fd);
                unlink(d->socket_path);
                d->listen_fd = -1;
        }
}
