/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Docker and Podman as engines: their sockets and events subscriptions
 * (engines.c keeps both), and their images.
 *
 *   GET    /v1/engines                        each engine: socket, subscribed
 *   GET    /v1/engines/ENGINE/images          its images
 *   POST   /v1/engines/ENGINE/images/load     {"path": "/abs/image.tar"} (docker save format)
 *   DELETE /v1/engines/ENGINE/images/IMAGE    remove (?force=1: even when in use)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "ctr/ctr.h"
#include "tools/daemon/daemon.h"

#define IMAGE_TAR_MAX (512ULL * 1024 * 1024)

/* ---- API ---------------------------------------------------------------------------- */

static int engine_index(struct bv_http_conn *c, const char *name)
{
        int i = engines_index(name);

        if (i < 0)
                bv_http_conn_respond_error(c, 404, "No engine '%.32s' (docker, podman)", name);
        return i;
}

static void get_engines(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_t *o = json_object();

        (void)req, (void)args;
        for (size_t i = 0; o && i < N_ENGINES; i++) {
                const char *sock = engines_socket(d, i);
                uint64_t n;
                bool up = engines_subscribed(d, i, &n);
                json_object_set_new(o, engine_names[i], json_pack("{s:s, s:b, s:I}", "socket", sock ? sock : "",
                                                                  "subscribed", up, "events", (json_int_t)n));
        }
        api_reply_json(c, 200, o);
}

static void on_call(int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct api_pending *p = userdata;

        if (r < 0)
                api_reply_errno(p->conn, r, bv_error_message(err, r));
        else if (!result)
                bv_http_conn_respond(p->conn, 204, NULL, NULL, 0);
        else
                api_reply_json(p->conn, p->status, json_incref(result));
        api_pending_free(p);
}

/* Sets up a call to engine, or answers the error; NULL when answered. */
static struct api_pending *call_new(struct barevirtd *d, struct bv_http_conn *c, const char *engine,
                                    struct ctr_engine **ret)
{
        struct bv_error err = {};
        int i = engine_index(c, engine);

        if (i < 0)
                return NULL;
        *ret = engines_get(d, (size_t)i, &err);
        if (!*ret) {
                api_reply_errno(c, err.error == ENODEV ? -ECONNREFUSED : -err.error, err.msg);
                return NULL;
        }
        return api_pending_new(d, c, engine);
}

static void call_failed(struct api_pending *p, int r, const struct bv_error *err)
{
        if (r < 0)
                api_pending_fail(p, r, err->msg);
}

static void get_images(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct ctr_engine *e;
        struct bv_error err = {};
        struct api_pending *k = call_new(d, c, args[0], &e);

        (void)req;
        if (k)
                call_failed(k, ctr_engine_images(e, NULL, on_call, k, &err), &err);
}

static void post_image_load(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                            char **args)
{
        json_auto_t *body = NULL;
        struct ctr_engine *e;
        struct bv_error err = {};
        _cleanup_free_ char *tar = NULL;
        size_t len;

        if (api_read_json(c, req, &body) < 0)
                return;
        const char *path = json_string_value(json_object_get(body, "path"));
        if (!path || path[0] != '/') {
                bv_http_conn_respond_error(c, 400, "Loading an image needs {\"path\": \"/absolute/image.tar\"}");
                return;
        }
        /* Read here, on the loop: a local file, bounded; by root, so only admin names any file. */
        int r = access_path(d, req, "path", path, &err);
        if (r >= 0)
                r = bv_file_read(path, IMAGE_TAR_MAX, &tar, &len, &err);
        if (r < 0) {
                api_reply_errno(c, r, err.msg);
                return;
        }
        struct api_pending *k = call_new(d, c, args[0], &e);
        if (k)
                call_failed(k, ctr_engine_image_load(e, tar, len, NULL, on_call, k, &err), &err);
}

static void delete_image(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct ctr_engine *e;
        struct bv_error err = {};
        struct api_pending *k;
        bool force;

        if (api_query_flag(c, req, "force", &force) >= 0 && (k = call_new(d, c, args[0], &e)))
                call_failed(k, ctr_engine_image_remove(e, args[1], force, NULL, on_call, k, &err), &err);
}

const struct api_route api_engines_routes[] = {
        { "GET", "/v1/engines", get_engines },
        { "GET", "/v1/engines/{}/images", get_images },
        { "POST", "/v1/engines/{}/images/load", post_image_load },
        { "DELETE", "/v1/engines/{}/images/{}", delete_image },
        {},
};
