/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Long-lived engine streams, each on a connection of its own so they never
 * hold up other calls: the container events stream and a followed log.
 * A stream first pings the engine (which also tells whether it is there at
 * all, and gives the API version in a header; GET /version only when the
 * header is missing), then (logs) inspects the container for its tty flag, then
 * sends the streaming request and hands body bytes on as they arrive: event
 * lines normalised to Docker's words, or demultiplexed log frames.
 *
 * Differences handled: Podman answers the events request with nothing at
 * all, not even the response head, until the first event happens, so the
 * stream counts as up once the ping answered, and the idle timeout of the
 * stream is a day, not the 10 s of a call. Podman names actions its own way
 * ("died", "remove", plus internal ones such as "cleanup" and "init", which
 * are dropped); the backend's map_action table turns them into Docker's.
 *
 * Podman's file events backend also rotates its log under a following
 * stream, which then sends the kept part again: repeats (same id, action
 * and engine time as one of the last 4096 events) are dropped.
 *
 * Bounds: an event line is at most 64 KiB, a log frame at most 1 MiB; past
 * them the stream ends with -EMSGSIZE.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"
#include "ctr/ctr.h"

#define STREAM_IDLE_USEC (24ULL * 3600 * 1000000)
#define STEP_TIMEOUT_USEC (10ULL * 1000000)
#define LINE_MAX_BYTES (64 * 1024)
#define FRAME_MAX_BYTES (1024 * 1024)
#define SEEN_MAX 4096

enum step { STEP_PING, STEP_VERSION, STEP_INSPECT, STEP_STREAM, STEP_ENDED };

struct ctr_engine_stream {
        struct ctr_engine *e;
        struct bv_http_client *client;
        enum step step;
        bool logs;
        bool tty;
        bool dead;                  /* freed by its user while inside a callback */
        unsigned in_cb;
        char id[160];
        int tail;
        ctr_engine_up_cb on_up;
        ctr_engine_event_cb on_event;
        ctr_engine_data_cb on_data;
        ctr_engine_end_cb on_end;
        void *userdata;
        char *line;                 /* an event line not complete yet */
        size_t line_len;
        struct ctr_engine_demuxer demux;
        int body_error;             /* why on_body stopped the exchange */
        uint64_t seen[SEEN_MAX];    /* hashes of the last events passed on (a ring) */
        size_t n_seen;
        struct bv_error err;
};

/* ---- event lines ------------------------------------------------------------ */

static const char *attr(const json_t *attrs, const char *key)
{
        return json_string_value(json_object_get(attrs, key));
}

int ctr_engine_event_parse(const struct ctr_engine_backend *b, const char *line, size_t len, json_t **ret,
                           struct bv_error *err)
{
        json_auto_t *v = NULL;
        struct bv_error jerr = {};
        char action[64];

        if (bv_json_loadb(line, len, LINE_MAX_BYTES, 0, &v, &jerr) < 0 || !json_is_object(v))
                return bv_error_set(err, EPROTO, "%s sent a malformed event: %s", b->title,
                                    json_is_object(v) || !v ? jerr.msg : "not an object");
        const char *type = json_string_value(json_object_get(v, "Type"));
        const char *act = json_string_value(json_object_get(v, "Action"));
        const json_t *actor = json_object_get(v, "Actor");
        const json_t *attrs = json_object_get(actor, "Attributes");
        if (!act)
                act = json_string_value(json_object_get(v, "status"));
        if (!type || strcmp(type, "container") != 0 || !act)
                return 0;
        /* "exec_start: sh -c ..." and "health_status: healthy": the word only. */
        size_t n = strcspn(act, ":");
        if (n == 0 || n >= sizeof(action))
                return 0;
        memcpy(action, act, n);
        action[n] = '\0';
        const char *mapped = b->map_action(action);
        if (!mapped)
                return 0;
        const char *id = json_string_value(json_object_get(actor, "ID"));
        if (!id)
                id = json_string_value(json_object_get(v, "id"));
        const char *name = attr(attrs, "name");
        const char *image = attr(attrs, "image");
        if (!image)
                image = json_string_value(json_object_get(v, "from"));
        if (!id || !ctr_engine_name_valid(id))
                return bv_error_set(err, EPROTO, "%s sent a container event without a valid id", b->title);
        if (!name || !ctr_engine_name_valid(name))
                name = id;
        double t = 0;
        const json_t *tn = json_object_get(v, "timeNano"), *ts = json_object_get(v, "time");
        if (json_is_integer(tn))
                t = (double)json_integer_value(tn) / 1e9;
        else if (json_is_integer(ts))
                t = (double)json_integer_value(ts);
        char ref[200];
        snprintf(ref, sizeof(ref), "%s:%s", b->name, name);
        json_auto_t *out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f}", "engine", b->name, "action", mapped,
                                     "engine_action", action, "id", id, "name", name, "ref", ref, "image",
                                     image ? image : "", "time", t);
        if (!out)
                return bv_error_set(err, ENOMEM, "Out of memory");
        if (strcmp(mapped, "die") == 0) {
                /* Docker: "exitCode"; Podman: "containerExitCode" (both strings or numbers). */
                const json_t *c = json_object_get(attrs, "exitCode");
                if (!c)
                        c = json_object_get(attrs, "containerExitCode");
                if (!c)
                        c = json_object_get(v, "ContainerExitCode");
                long code = -1;
                char *end;
                if (json_is_integer(c))
                        code = (long)json_integer_value(c);
                else if (json_is_string(c)) {
                        code = strtol(json_string_value(c), &end, 10);
                        if (*end || code < 0 || code > 255)
                                code = -1;
                }
                if (code >= 0)
                        json_object_set_new(out, "exit_code", json_integer(code));
        }
        *ret = TAKE_PTR(out);
        return 1;
}

/* ---- demultiplexer -------------------------------------------------------------- */

int ctr_engine_demuxer_feed(struct ctr_engine_demuxer *d, const char *buf, size_t len, ctr_engine_data_cb cb,
                            void *userdata, struct bv_error *err)
{
        while (len > 0) {
                if (d->left == 0) {
                        size_t take = BV_MIN(len, sizeof(d->head) - d->head_len);
                        memcpy(d->head + d->head_len, buf, take);
                        d->head_len += take;
                        buf += take;
                        len -= take;
                        if (d->head_len < sizeof(d->head))
                                return 0;
                        const unsigned char *h = d->head;
                        if (h[0] > 2 || h[1] || h[2] || h[3])
                                return bv_error_set(err, EPROTO, "Bad log stream frame header");
                        d->left = ((size_t)h[4] << 24) | ((size_t)h[5] << 16) | ((size_t)h[6] << 8) | h[7];
                        if (d->left > FRAME_MAX_BYTES)
                                return bv_error_set(err, EMSGSIZE, "Log stream frame of %zu bytes", d->left);
                        d->stream = h[0] == 2 ? 2 : 1;
                        d->head_len = 0;
                        continue;
                }
                size_t take = BV_MIN(len, d->left);
                cb(d->stream, buf, take, userdata);
                d->left -= take;
                buf += take;
                len -= take;
        }
        return 0;
}

/* ---- the stream ------------------------------------------------------------------ */

static void stream_destroy(struct ctr_engine_stream *s)
{
        struct bv_http_client *c = s->client;

        s->client = NULL;
        s->dead = true;
        bv_http_client_free(c);  /* a pending exchange ends with -ECANCELED: ignored (dead) */
        free(s->line);
        free(s);
}

struct ctr_engine_stream *ctr_engine_stream_free(struct ctr_engine_stream *s)
{
        if (!s)
                return NULL;
        s->dead = true;
        if (s->in_cb == 0)
                stream_destroy(s);
        return NULL;
}

static void on_step(int ret, struct bv_http_response *resp, const struct bv_error *cause, void *userdata);

static int stream_send(struct ctr_engine_stream *s, const char *path, bool streaming, struct bv_error *err);

static void emit_line(struct ctr_engine_stream *s, const char *line, size_t len)
{
        json_auto_t *ev = NULL;
        struct bv_error err = {};

        while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
                len--;
        if (len == 0)
                return;
        int r = ctr_engine_event_parse(s->e->b, line, len, &ev, &err);
        if (r < 0) {
                s->body_error = r;
                s->err = err;
                return;
        }
        if (r == 0)
                return;
        /*
         * Podman (file events backend) rotates its events log while a stream
         * follows it, and the stream then sends the kept part again. Events
         * of different containers are not in time order, so repeats are
         * found by what they are: the same id, action and engine time as one
         * of the last SEEN_MAX events passed on.
         */
        uint64_t h = 1469598103934665603ULL;
        const char *parts[] = { json_string_value(json_object_get(ev, "id")),
                                json_string_value(json_object_get(ev, "engine_action")) };
        for (size_t i = 0; i < 2; i++)
                for (const char *c = parts[i] ? parts[i] : ""; *c; c++)
                        h = (h ^ (unsigned char)*c) * 1099511628211ULL;
        double t = json_real_value(json_object_get(ev, "time"));
        h = (h ^ (uint64_t)(t * 1e6)) * 1099511628211ULL;
        size_t n = BV_MIN(s->n_seen, (size_t)SEEN_MAX);
        if (t > 0)
                for (size_t i = 0; i < n; i++)
                        if (s->seen[i] == h)
                                return;
        s->seen[s->n_seen++ % SEEN_MAX] = h;
        s->on_event(ev, s->userdata);
}

static int on_events_body(const char *data, size_t len, void *userdata)
{
        struct ctr_engine_stream *s = userdata;

        s->in_cb++;
        while (len > 0 && !s->dead && s->body_error == 0) {
                const char *nl = memchr(data, '\n', len);
                size_t n = nl ? (size_t)(nl - data) : len;
                if (s->line_len + n > LINE_MAX_BYTES) {
                        s->body_error = bv_error_set(&s->err, EMSGSIZE, "%s sent an event line over %d bytes",
                                                     s->e->b->title, LINE_MAX_BYTES);
                        break;
                }
                if (s->line_len > 0 || !nl) {
                        char *p = realloc(s->line, s->line_len + n + 1);
                        if (!p) {
                                s->body_error = bv_error_set(&s->err, ENOMEM, "Out of memory");
                                break;
                        }
                        s->line = p;
                        memcpy(s->line + s->line_len, data, n);
                        s->line_len += n;
                        if (nl) {
                                emit_line(s, s->line, s->line_len);
                                s->line_len = 0;
                        }
                } else
                        emit_line(s, data, n);
                data += n + (nl ? 1 : 0);
                len -= n + (nl ? 1 : 0);
        }
        s->in_cb--;
        if (s->dead)
                return -ECANCELED;
        return s->body_error;
}

static void on_log_frame(int stream, const char *data, size_t len, void *userdata)
{
        struct ctr_engine_stream *s = userdata;

        if (!s->dead)
                s->on_data(stream, data, len, s->userdata);
}

static int on_logs_body(const char *data, size_t len, void *userdata)
{
        struct ctr_engine_stream *s = userdata;

        s->in_cb++;
        if (s->tty)
                s->on_data(1, data, len, s->userdata);
        else {
                int r = ctr_engine_demuxer_feed(&s->demux, data, len, on_log_frame, s, &s->err);
                if (r < 0)
                        s->body_error = r;
        }
        s->in_cb--;
        if (s->dead)
                return -ECANCELED;
        return s->body_error;
}

static int stream_send(struct ctr_engine_stream *s, const char *path, bool streaming, struct bv_error *err)
{
        char full[1200];

        if (*path == '/' && s->step != STEP_VERSION && s->step != STEP_PING)
                snprintf(full, sizeof(full), "/v%s%s", s->e->version, path);
        else
                snprintf(full, sizeof(full), "%s", path);
        struct bv_http_client_request req = {
                .method = "GET", .path = full,
                .timeout_usec = streaming ? STREAM_IDLE_USEC : STEP_TIMEOUT_USEC,
                .max_body = 1024 * 1024,
                .on_body = streaming ? (s->logs ? on_logs_body : on_events_body) : NULL,
        };
        int r = bv_http_client_send(s->client, &req, on_step, s);
        if (r < 0)
                return bv_error_set(err, -r, "Cannot send a request to the %s engine at '%s'", s->e->b->title,
                                    s->e->socket);
        return 0;
}

/* The request after /version (and inspect): the stream itself. */
static int stream_next(struct ctr_engine_stream *s, const struct bv_http_response *resp, struct bv_error *err)
{
        char path[600];
        json_auto_t *v = NULL;
        struct bv_error jerr = {};

        int r;

        switch (s->step) {
        case STEP_PING:
        case STEP_VERSION:
                if (s->step == STEP_PING) {
                        if ((r = ctr_engine_negotiate_ping(s->e, resp, err)) < 0)
                                return r;
                        if (r == 1) {
                                s->step = STEP_VERSION;
                                return stream_send(s, s->e->b->version_path, false, err);
                        }
                } else {
                        if (!resp->body || bv_json_loadb(resp->body, resp->body_len, resp->body_len, 0, &v, &jerr) < 0)
                                return bv_error_set(err, EPROTO, "%s sent malformed JSON for /version", s->e->b->title);
                        if ((r = ctr_engine_negotiate(s->e, v, err)) < 0)
                                return r;
                }
                if (!s->logs) {
                        s->step = STEP_STREAM;
                        if (s->on_up) {
                                s->in_cb++;
                                s->on_up(s->userdata);
                                s->in_cb--;
                                if (s->dead)
                                        return -ECANCELED;
                        }
                        /* filters={"type":["container"]} */
                        return stream_send(s, "/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D", true, err);
                }
                s->step = STEP_INSPECT;
                snprintf(path, sizeof(path), "/containers/%s/json", s->id);
                return stream_send(s, path, false, err);
        case STEP_INSPECT:
                if (!resp->body || bv_json_loadb(resp->body, resp->body_len, resp->body_len, 0, &v, &jerr) < 0 ||
                    !json_is_object(v))
                        return bv_error_set(err, EPROTO, "%s sent a malformed inspect reply", s->e->b->title);
                s->tty = json_is_true(json_object_get(json_object_get(v, "Config"), "Tty"));
                s->step = STEP_STREAM;
                char tail[16] = "all";
                if (s->tail >= 0)
                        snprintf(tail, sizeof(tail), "%d", s->tail);
                snprintf(path, sizeof(path), "/containers/%s/logs?stdout=1&stderr=1&follow=1&tail=%s", s->id, tail);
                return stream_send(s, path, true, err);
        default:
                return bv_error_set(err, EINVAL, "Stream in a bad state");
        }
}

static void on_step(int ret, struct bv_http_response *resp, const struct bv_error *cause, void *userdata)
{
        struct ctr_engine_stream *s = userdata;
        struct bv_error err = {};
        int r = 0;

        if (s->dead) {
                /* Freed by its user: the client is being freed too. */
                bv_http_response_free(resp);
                if (s->in_cb == 0 && s->client) {
                        struct bv_http_client *c = s->client;
                        s->client = NULL;
                        bv_http_client_free(c);
                        free(s->line);
                        free(s);
                }
                return;
        }
        if (s->body_error < 0) {
                r = s->body_error;
                err = s->err;
        } else if (ret < 0)
                r = ctr_engine_unreachable(s->e, ret, cause, &err);
        else if (resp->status >= 400)
                r = ctr_engine_http_error(s->e, resp, &err);
        else if (s->step != STEP_STREAM) {
                r = stream_next(s, resp, &err);
                if (r >= 0) {
                        bv_http_response_free(resp);
                        return;
                }
                if (s->dead) {
                        bv_http_response_free(resp);
                        stream_destroy(s);
                        return;
                }
        } else if (s->logs && (s->demux.head_len || s->demux.left))
                r = bv_error_set(&err, EPROTO, "%s ended the log stream inside a frame", s->e->b->title);
        else if (!s->logs && s->line_len > 0)
                emit_line(s, s->line, s->line_len);
        bv_http_response_free(resp);
        s->step = STEP_ENDED;
        s->in_cb++;
        s->on_end(r, r < 0 ? &err : NULL, s->userdata);
        s->in_cb--;
        if (s->dead) {
                struct bv_http_client *c = s->client;
                s->client = NULL;
                bv_http_client_free(c);  /* deferred: we are inside its callback */
                free(s->line);
                free(s);
        }
}

static int stream_new(struct ctr_engine *e, struct ctr_engine_stream **ret, struct bv_error *err)
{
        struct ctr_engine_stream *s = calloc(1, sizeof(*s));

        if (!s)
                return bv_error_set(err, ENOMEM, "Out of memory");
        s->e = e;
        int r = bv_http_client_new(e->loop, e->socket, &s->client, err);
        if (r < 0) {
                free(s);
                return r;
        }
        *ret = s;
        return 0;
}

static int stream_begin(struct ctr_engine_stream *s, struct ctr_engine_stream **ret, struct bv_error *err)
{
        int r = stream_send(s, s->e->b->ping_path, false, err);

        if (r < 0) {
                stream_destroy(s);
                return r;
        }
        *ret = s;
        return 0;
}

int ctr_engine_events(struct ctr_engine *e, ctr_engine_up_cb on_up, ctr_engine_event_cb on_event,
                      ctr_engine_end_cb on_end, void *userdata, struct ctr_engine_stream **ret,
                      struct bv_error *err)
{
        struct ctr_engine_stream *s;
        int r = stream_new(e, &s, err);

        if (r < 0)
                return r;
        s->on_up = on_up;
        s->on_event = on_event;
        s->on_end = on_end;
        s->userdata = userdata;
        return stream_begin(s, ret, err);
}

int ctr_engine_logs_follow(struct ctr_engine *e, const char *id, int tail, ctr_engine_data_cb on_data,
                           ctr_engine_end_cb on_end, void *userdata, struct ctr_engine_stream **ret,
                           struct bv_error *err)
{
        struct ctr_engine_stream *s;

        /* Defends against path and query injection: ids are checked names. */
        if (!ctr_engine_name_valid(id))
                return bv_error_set(err, EINVAL, "Invalid container name '%.64s'", id ? id : "");
        int r = stream_new(e, &s, err);
        if (r < 0)
                return r;
        s->logs = true;
        snprintf(s->id, sizeof(s->id), "%s", id);
        s->tail = tail;
        s->on_data = on_data;
        s->on_end = on_end;
        s->userdata = userdata;
        return stream_begin(s, ret, err);
}
