/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The REST API's front door: listens on the UNIX socket, logs every request
 * with the peer's credentials (SO_PEERCRED), matches it against the route
 * tables of the api-*.c files and maps failures to JSON errors:
 * unknown path 404, known path with another method 405 (naming the allowed ones),
 * oversized bodies 413 (in common/http.c), malformed JSON 400.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fd.h"
#include "common/file.h"
#include "common/json.h"
#include "common/log.h"
#include "tools/daemon/daemon.h"

#define API_MAX_BODY (1024 * 1024)

static const struct api_route *const route_tables[] = {
        api_host_routes,
        api_events_routes,
        api_vms_routes,
        api_networks_routes,
        api_instances_routes,
        api_containers_routes,
        api_engines_routes,
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
        case EPERM: case EACCES: return 403;
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

static void handle(struct bv_http_conn *c, const struct bv_http_request *req, void *userdata)
{
        struct barevirtd *d = userdata;
        char allow[128] = "";
        char buf[512];
        char *args[API_MAX_ARGS];

        bv_info("%s %s%s%s (pid %d uid %u)", req->method, req->path, req->query ? "?" : "",
                req->query ? req->query : "", (int)req->peer_pid, (unsigned)req->peer_uid);

        for (size_t t = 0; t < BV_ELEMENTSOF(route_tables); t++)
                for (const struct api_route *rt = route_tables[t]; rt->method; rt++) {
                        if (match(rt->pattern, req->path, buf, sizeof(buf), args) < 0)
                                continue;
                        if (strcmp(rt->method, req->method) == 0) {
                                rt->handler(d, c, req, args);
                                return;
                        }
                        if (!strstr(allow, rt->method) && strlen(allow) + strlen(rt->method) + 3 < sizeof(allow)) {
                                if (*allow)
                                        strcat(allow, ", ");
                                strcat(allow, rt->method);
                        }
                }
        if (*allow)
                bv_http_conn_respond_error(c, 405, "Method %s not allowed on '%s' (allowed: %s)",
                                           req->method, req->path, allow);
        else
                bv_http_conn_respond_error(c, 404, "No such endpoint '%s'", req->path);
}

int api_start(struct barevirtd *d, struct bv_error *err)
{
        struct bv_http_server_config cfg = { .max_body = API_MAX_BODY };
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

void api_stop(struct barevirtd *d)
{
        d->api = bv_http_server_free(d->api);
        if (d->listen_fd >= 0) {
                close(d->listen_fd);
                unlink(d->socket_path);
                d->listen_fd = -1;
        }
}

int state_defs_foreach(struct barevirtd *d, const char *kind, size_t max,
                       void (*fn)(struct barevirtd *d, const char *path, json_t *def))
{
        char dir[4096], path[4400];
        struct dirent **list;
        struct bv_error err = {};

        snprintf(dir, sizeof(dir), "%s/%s", d->state_dir, kind);
        if (bv_mkdir_p(dir, 0700, &err) < 0)
                return -err.error;
        int n = scandir(dir, &list, NULL, alphasort);
        for (int i = 0; i < n; i++) {
                const char *f = list[i]->d_name;
                size_t len = strlen(f);
                json_auto_t *o = NULL;
                if (len > 5 && strcmp(f + len - 5, ".json") == 0) {
                        snprintf(path, sizeof(path), "%s/%s", dir, f);
                        if (bv_json_load_file(path, max, &o, &err) < 0)
                                bv_warn("ignoring '%s': %s", path, err.msg);
                        else
                                fn(d, path, o);
                }
                free(list[i]);
        }
        if (n >= 0)
                free(list);
        return 0;
}
