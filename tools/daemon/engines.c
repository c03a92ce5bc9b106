/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Docker and Podman as engines: one client each (ctr/ctr.h (engines)), made on
 * first use, and their container events on /v1/events.
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
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "ctr/ctr.h"
#include "tools/daemon/daemon.h"

#define BACKOFF_MIN_USEC (500ULL * 1000)
#define BACKOFF_MAX_USEC (30ULL * 1000000)

const char *const engine_names[N_ENGINES] = { "docker", "podman" };

int engines_index(const char *name)
{
        for (size_t i = 0; i < N_ENGINES; i++)
                if (strcmp(name, engine_names[i]) == 0)
                        return (int)i;
        return -1;
}

const char *engines_socket(struct barevirtd *d, size_t i)
{
        return i == 0 ? d->docker_socket : d->podman_socket;
}

struct watch {
        struct barevirtd *d;
        size_t engine;
        struct ctr_engine_stream *stream;
        struct bv_timer *retry;
        uint64_t backoff;
        bool up;
        uint64_t n_events;
};

struct engines {
        struct ctr_engine *clients[N_ENGINES];   /* made on first use */
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
        bv_info("%s: events subscription up", engine_names[w->engine]);
        events_emit(w->d, "engine-connected", json_pack("{s:s}", "engine", engine_names[w->engine]));
}

static void on_event(const json_t *ev, void *userdata)
{
        struct watch *w = userdata;
        char type[96];
        json_t *f = json_deep_copy(ev);

        if (!f)
                return;
        w->n_events++;
        snprintf(type, sizeof(type), "%s-%s", engine_names[w->engine],
                 json_string_value(json_object_get(ev, "action")));
        /* barevirt's "time" is when barevirtd saw it; the engine's is kept apart. */
        json_object_set(f, "engine_time", json_object_get(ev, "time"));
        json_object_del(f, "time");
        events_emit(w->d, type, f);
}

static void on_end(int r, const struct bv_error *err, void *userdata)
{
        struct watch *w = userdata;
        const char *name = engine_names[w->engine];

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
        struct ctr_engine *e = engines_get(w->d, w->engine, &err);

        if (!e)
                return;  /* not configured */
        if (ctr_engine_events(e, on_up, on_event, on_end, w, &w->stream, &err) < 0) {
                bv_warn("%s: %s", engine_names[w->engine], err.msg);
                schedule_retry(w);
        }
}

struct ctr_engine *engines_get(struct barevirtd *d, size_t i, struct bv_error *err)
{
        const char *sock = engines_socket(d, i);
        struct engines *e = d->engines;

        if (!e) {
                bv_error_set(err, ENOMEM, "Out of memory");
                return NULL;
        }
        if (!e->clients[i]) {
                if (!sock || !*sock) {
                        bv_error_set(err, ENODEV, "No %s socket configured", i == 0 ? "Docker" : "Podman");
                        return NULL;
                }
                if (ctr_engine_new(d->loop, ctr_engine_backend_find(engine_names[i]), sock, &e->clients[i], err) < 0)
                        return NULL;
        }
        return e->clients[i];
}

bool engines_subscribed(struct barevirtd *d, size_t i, uint64_t *ret_events)
{
        const struct watch *w = d->engines ? &d->engines->w[i] : NULL;

        *ret_events = w ? w->n_events : 0;
        return w && w->up;
}

int engines_start(struct barevirtd *d)
{
        struct engines *e = calloc(1, sizeof(*e));

        if (!e)
                return -ENOMEM;
        d->engines = e;
        for (size_t i = 0; i < N_ENGINES; i++) {
                e->w[i] = (struct watch){ .d = d, .engine = i };
                watch_start(&e->w[i]);
        }
        return 0;
}

void engines_free(struct barevirtd *d)
{
        struct engines *e = d->engines;

        if (!e)
                return;
        for (size_t i = 0; i < N_ENGINES; i++) {
                e->w[i].stream = ctr_engine_stream_free(e->w[i].stream);
                e->w[i].retry = bv_timer_cancel(e->w[i].retry);
        }
        for (size_t i = 0; i < N_ENGINES; i++)
                e->clients[i] = ctr_engine_free(e->clients[i]);
        free(e);
        d->engines = NULL;
}
