/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Docker and Podman as engines: their container events on /v1/events, and
 * their images.
 *
 * Events: while an engine is reachable barevirtd holds one events
 * subscription to it (ctr_engine_events()), and each container event
 * becomes a barevirt event {"type": "ENGINE-ACTION" ("docker-start",
 * "podman-die", ...), "ref", "engine", "action", "id", "name", "image",
 * "engine_time", "exit_code" (die)}. "engine-connected" says a subscription
 * is up; when it breaks (the engine stopped or restarted) an
 * "engine-error" event names the engine and the error, and barevirtd tries
 * again with a backoff from 0.5 s doubling up to 30 s, so a restarted
 * engine is picked up without restarting barevirtd. An engine that is not
 * there at start is tried with the same backoff, quietly.
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

#include "common/cleanup.h"
#include "common/file.h"
#include "common/log.h"
#include "ctr/engine.h"
#include "tools/daemon/daemon.h"

#define N_ENGINES 2
#define BACKOFF_MIN_USEC (500ULL * 1000)
#define BACKOFF_MAX_USEC (30ULL * 1000000)
#define IMAGE_TAR_MAX (512ULL * 1024 * 1024)

struct watch {
        struct barevirtd *d;
        size_t engine;
        struct ctr_engine_stream *stream;
        struct bv_timer *retry;
        uint64_t backoff;
        bool up;
        uint64_t n_events;
};

struct engine_watch {
        struct watch w[N_ENGINES];
};

static void watch_start(struct watch *w);

static void on_retry(struct bv_loop *loop, void *userdata)
{
        struct watch *w = userdata;

        (void)loop;
        w->retry = NULL;
        watch_start(w);
}

static void schedule_retry(struct watch *w)
{
        w->backoff = w->backoff ? BV_MIN(w->backoff * 2, BACKOFF_MAX_USEC) : BACKOFF_MIN_USEC;
        bv_loop_add_timer(w->d->loop, w->backoff, on_retry, w, &w->retry);
}

static void on_up(void *userdata)
{
        struct watch *w = userdata;

        w->up = true;
        w->backoff = 0;
        bv_info("%s: events subscription up", instances_engine_names[w->engine]);
        events_emit(w->d, "engine-connected", json_pack("{s:s}", "engine", instances_engine_names[w->engine]));
}

static void on_event(const json_t *ev, void *userdata)
{
        struct watch *w = userdata;
        char type[96];
        json_t *f = json_deep_copy(ev);

        if (!f)
                return;
        w->n_events++;
        snprintf(type, sizeof(type), "%s-%s", instances_engine_names[w->engine],
                 json_string_value(json_object_get(ev, "action")));
        /* barevirt's "time" is when barevirtd saw it; the engine's is kept apart. */
        json_object_set(f, "engine_time", json_object_get(ev, "time"));
        json_object_del(f, "time");
        events_emit(w->d, type, f);
}

static void on_end(int r, const struct bv_error *err, void *userdata)
{
        struct watch *w = userdata;
        const char *name = instances_engine_names[w->engine];

        w->stream = ctr_engine_stream_free(w->stream);
        if (w->up) {
                const char *msg = r < 0 ? bv_error_message(err, r) : "the engine closed the events stream";
                bv_warn("%s: events stream ended: %s", name, msg);
                events_emit(w->d, "engine-error", json_pack("{s:s, s:s}", "engine", name, "error", msg));
        }
        w->up = false;
        schedule_retry(w);
}

static void watch_start(struct watch *w)
{
        struct bv_error err = {};
        struct ctr_engine *e = instances_engine(w->d, w->engine, &err);

        if (!e)
                return;  /* not configured */
        if (ctr_engine_events(e, on_up, on_event, on_end, w, &w->stream, &err) < 0) {
                bv_warn("%s: %s", instances_engine_names[w->engine], err.msg);
                schedule_retry(w);
        }
}

int engine_watch_start(struct barevirtd *d)
{
        struct engine_watch *ew = calloc(1, sizeof(*ew));

        if (!ew)
                return -ENOMEM;
        d->watch = ew;
        for (size_t i = 0; i < N_ENGINES; i++) {
                ew->w[i] = (struct watch){ .d = d, .engine = i };
                watch_start(&ew->w[i]);
        }
        return 0;
}

void engine_watch_free(struct barevirtd *d)
{
        struct engine_watch *ew = d->watch;

        if (!ew)
                return;
        for (size_t i = 0; i < N_ENGINES; i++) {
                ew->w[i].stream = ctr_engine_stream_free(ew->w[i].stream);
                ew->w[i].retry = bv_timer_cancel(ew->w[i].retry);
        }
        free(ew);
        d->watch = NULL;
}

/* ---- API ---------------------------------------------------------------------------- */

static int engine_index(struct bv_http_conn *c, const char *name)
{
        for (size_t i = 0; i < N_ENGINES; i++)
                if (strcmp(name, instances_engine_names[i]) == 0)
                        return (int)i;
        bv_http_conn_respond_error(c, 404, "No engine '%.32s' (docker, podman)", name);
        return -1;
}

static void get_engines(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_t *o = json_object();

        (void)req, (void)args;
        for (size_t i = 0; o && i < N_ENGINES; i++) {
                const struct watch *w = d->watch ? &d->watch->w[i] : NULL;
                const char *sock = i == 0 ? d->docker_socket : d->podman_socket;
                json_object_set_new(o, instances_engine_names[i],
                                    json_pack("{s:s, s:b, s:I}", "socket", sock ? sock : "", "subscribed",
                                              w && w->up, "events", (json_int_t)(w ? w->n_events : 0)));
        }
        api_reply_json(c, 200, o);
}

struct call {
        struct bv_http_conn *conn;
        int status;
};

static void on_call(int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct call *k = userdata;

        if (r < 0)
                api_reply_errno(k->conn, r, bv_error_message(err, r));
        else if (!result)
                bv_http_conn_respond(k->conn, 204, NULL, NULL, 0);
        else
                api_reply_json(k->conn, k->status, json_incref(result));
        bv_http_conn_unref(k->conn);
        free(k);
}

/* Sets up a call, or answers the error; NULL when answered. */
static struct call *call_new(struct barevirtd *d, struct bv_http_conn *c, const char *engine, struct ctr_engine **ret)
{
        struct bv_error err = {};
        int i = engine_index(c, engine);

        if (i < 0)
                return NULL;
        *ret = instances_engine(d, (size_t)i, &err);
        if (!*ret) {
                api_reply_errno(c, err.error == ENODEV ? -ECONNREFUSED : -err.error, err.msg);
                return NULL;
        }
        struct call *k = calloc(1, sizeof(*k));
        if (!k) {
                api_reply_errno(c, -ENOMEM, NULL);
                return NULL;
        }
        k->conn = bv_http_conn_ref(c);
        k->status = 200;
        return k;
}

static void call_failed(struct call *k, int r, const struct bv_error *err)
{
        if (r >= 0)
                return;
        api_reply_errno(k->conn, r, err->msg);
        bv_http_conn_unref(k->conn);
        free(k);
}

static void get_images(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct ctr_engine *e;
        struct bv_error err = {};
        struct call *k = call_new(d, c, args[0], &e);

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
        /* Read here, on the loop: a local file, bounded. */
        int r = bv_file_read(path, IMAGE_TAR_MAX, &tar, &len, &err);
        if (r < 0) {
                api_reply_errno(c, r, err.msg);
                return;
        }
        struct call *k = call_new(d, c, args[0], &e);
        if (k)
                call_failed(k, ctr_engine_image_load(e, tar, len, NULL, on_call, k, &err), &err);
}

static void delete_image(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct ctr_engine *e;
        struct bv_error err = {};
        struct call *k = call_new(d, c, args[0], &e);
        bool force = req->query && strstr(req->query, "force=1");

        if (k)
                call_failed(k, ctr_engine_image_remove(e, args[1], force, NULL, on_call, k, &err), &err);
}

const struct api_route api_engines_routes[] = {
        { "GET", "/v1/engines", get_engines },
        { "GET", "/v1/engines/{}/images", get_images },
        { "POST", "/v1/engines/{}/images/load", post_image_load },
        { "DELETE", "/v1/engines/{}/images/{}", delete_image },
        {},
};
