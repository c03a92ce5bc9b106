/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The /v1/events bus (its endpoint is api-events.c): each subscriber gets a
 * chunked stream of JSON lines, one event per line:
 *   {"type": "...", "time": <unix seconds, float>, ...fields}
 * A new subscriber first gets {"type": "hello"}; every KEEPALIVE_SEC an
 * {"type": "keepalive"} line keeps proxies and idle timers happy. A
 * subscriber that stops reading (its buffer fills) is dropped, so one slow
 * client never holds memory or the loop.
 *
 * A subscriber whose identity is restricted to a project gets only the
 * events of that project's instances and networks (the event's "project",
 * else found from its "name"; Docker and Podman events are default's) and
 * the keepalives: nothing that hints at another project.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "tools/daemon/daemon.h"

#define KEEPALIVE_SEC 15
#define MAX_SUBSCRIBERS 64

struct events {
        struct barevirtd *d;
        struct bv_http_conn *subs[MAX_SUBSCRIBERS];
        char scope[MAX_SUBSCRIBERS][64];  /* a subscriber's project, or "": every event */
        size_t n_subs;
        struct bv_timer *keepalive;
};

static void drop(struct events *ev, size_t i)
{
        struct bv_http_conn *c = ev->subs[i];

        ev->subs[i] = ev->subs[--ev->n_subs];
        memcpy(ev->scope[i], ev->scope[ev->n_subs], sizeof(ev->scope[i]));
        if (!bv_http_conn_closed(c))
                bv_http_conn_stream_end(c);
        bv_http_conn_unref(c);
}

static int send_line(struct bv_http_conn *c, const char *type, json_t *fields)
{
        struct timespec ts;
        json_auto_t *o = fields ? json_incref(fields) : json_object();

        clock_gettime(CLOCK_REALTIME, &ts);
        json_auto_t *line = json_pack("{s:s,s:f}", "type", type,
                                      "time", (double)ts.tv_sec + ts.tv_nsec / 1e9);
        if (!line || !o)
                return -ENOMEM;
        json_object_update_missing(line, o);
        _cleanup_free_ char *s = bv_json_dumps(line);
        if (!s)
                return -ENOMEM;
        size_t n = strlen(s);
        s[n] = '\n';
        return bv_http_conn_stream_write(c, s, n + 1);
}

/* The project an event is about, or NULL (host-wide, or of something gone). */
static const char *event_project(struct barevirtd *d, const char *type, const json_t *fields, char buf[64])
{
        const char *p = json_string_value(json_object_get(fields, "project"));
        const char *name = json_string_value(json_object_get(fields, "name"));

        if (p)
                return p;
        if (strncmp(type, "docker-", 7) == 0 || strncmp(type, "podman-", 7) == 0)
                return "default";
        if (!name)
                return NULL;
        if (strncmp(type, "network-", 8) == 0)
                return networks_project(d, name, buf);
        return access_instance_project(d, name);
}

void events_emit(struct barevirtd *d, const char *type, json_t *fields)
{
        struct events *ev = d->events;
        char buf[64];
        const char *project = NULL;
        bool looked = false;

        for (size_t i = 0; ev && i < ev->n_subs;) {
                if (ev->scope[i][0] && strcmp(type, "keepalive") != 0) {
                        if (!looked)
                                project = event_project(d, type, fields, buf), looked = true;
                        if (!project || strcmp(project, ev->scope[i]) != 0) {
                                i++;
                                continue;
                        }
                }
                if (send_line(ev->subs[i], type, fields) < 0) {
                        bv_warn("dropping a slow or closed /v1/events subscriber");
                        drop(ev, i);
                } else
                        i++;
        }
        json_decref(fields);
}

static void on_keepalive(struct bv_loop *loop, void *userdata)
{
        struct events *ev = userdata;

        ev->keepalive = NULL;
        events_emit(ev->d, "keepalive", NULL);
        bv_loop_add_timer(loop, KEEPALIVE_SEC * 1000000ULL, on_keepalive, ev, &ev->keepalive);
}

static void on_close(struct bv_http_conn *c, void *userdata)
{
        struct events *ev = userdata;

        for (size_t i = 0; i < ev->n_subs; i++)
                if (ev->subs[i] == c) {
                        drop(ev, i);
                        return;
                }
}

void events_subscribe(struct barevirtd *d, struct bv_http_conn *c, const char *scope)
{
        struct events *ev = d->events;

        if (ev->n_subs >= MAX_SUBSCRIBERS) {
                bv_http_conn_respond_error(c, 503, "Too many event subscribers (max %d)", MAX_SUBSCRIBERS);
                return;
        }
        int r = bv_http_conn_stream_begin(c, 200, "application/x-ndjson", on_close, ev);
        if (r < 0)
                return;
        snprintf(ev->scope[ev->n_subs], sizeof(ev->scope[0]), "%s", scope ? scope : "");
        ev->subs[ev->n_subs++] = bv_http_conn_ref(c);
        if (send_line(c, "hello", NULL) < 0)
                on_close(c, ev);
}

int events_new(struct barevirtd *d)
{
        struct events *ev = calloc(1, sizeof(*ev));

        if (!ev)
                return -ENOMEM;
        ev->d = d;
        d->events = ev;
        return bv_loop_add_timer(d->loop, KEEPALIVE_SEC * 1000000ULL, on_keepalive, ev, &ev->keepalive);
}

void events_free(struct barevirtd *d)
{
        struct events *ev = d->events;

        if (!ev)
                return;
        while (ev->n_subs > 0)
                drop(ev, ev->n_subs - 1);
        bv_timer_cancel(ev->keepalive);
        free(ev);
        d->events = NULL;
}
