/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replays an engine reply through the same handlers a live call uses, with
 * no engine, no socket and no loop: the unit tests feed it case files and
 * the fuzzer feeds it anything. Only handlers that end a call are
 * replayable; calls that continue with another exchange are covered by
 * their terminal step (exec-output, exec-inspect) and by the fake engine in
 * tests/unit/test-engine.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "ctr/ctr-internal.h"
#include "ctr/ctr.h"

static op_finish_fn find_kind(const char *kind)
{
        const struct engine_reply_kind *const tables[] = { ctr_engine_core_replies, ctr_engine_ops_replies };

        for (size_t t = 0; t < BV_ELEMENTSOF(tables); t++)
                for (const struct engine_reply_kind *k = tables[t]; k->name; k++)
                        if (strcmp(k->name, kind) == 0)
                                return k->finish;
        return NULL;
}

struct collect {
        json_t *frames;
};

static void on_frame(int stream, const char *data, size_t len, void *userdata)
{
        struct collect *c = userdata;
        json_t *last = json_array_get(c->frames, json_array_size(c->frames) - 1);

        /* Pieces of one stream in a row are joined: the split points are ours. */
        if (last && json_integer_value(json_object_get(last, "stream")) == stream) {
                const json_t *prev = json_object_get(last, "data");
                size_t n = json_string_length(prev);
                char *buf = malloc(n + len);
                if (!buf)
                        return;
                memcpy(buf, json_string_value(prev), n);
                memcpy(buf + n, data, len);
                json_object_set_new(last, "data", bv_json_string_lossy(buf, n + len));
                free(buf);
                return;
        }
        json_array_append_new(c->frames,
                              json_pack("{s:i, s:o}", "stream", stream, "data", bv_json_string_lossy(data, len)));
}

static int replay_events(const struct ctr_engine_backend *b, const char *body, size_t len, json_t **ret,
                         struct bv_error *err)
{
        json_auto_t *out = json_array();
        const char *p = body, *end = body + len;

        if (!out)
                return bv_error_set(err, ENOMEM, "Out of memory");
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                if (n > 0) {
                        json_t *ev = NULL;
                        int r = ctr_engine_event_parse(b, p, n, &ev, err);
                        if (r < 0)
                                return r;
                        if (r > 0)
                                json_array_append_new(out, ev);
                }
                p += n + (nl ? 1 : 0);
        }
        *ret = TAKE_PTR(out);
        return 0;
}

static int replay_log_stream(const char *body, size_t len, json_t **ret, struct bv_error *err)
{
        struct collect c = { .frames = json_array() };
        struct ctr_engine_demuxer d = {};
        int r = 0;

        if (!c.frames)
                return bv_error_set(err, ENOMEM, "Out of memory");
        /* In pieces of 5 bytes: headers and frames split across reads. */
        for (size_t off = 0; off < len && r >= 0; off += 5)
                r = ctr_engine_demuxer_feed(&d, body + off, BV_MIN(5, len - off), on_frame, &c, err);
        if (r >= 0 && (d.head_len || d.left))
                r = bv_error_set(err, EPROTO, "The log stream ended inside a frame");
        if (r < 0) {
                json_decref(c.frames);
                return r;
        }
        *ret = c.frames;
        return 0;
}

int ctr_engine_reply_replay(const struct ctr_engine_backend *b, const char *kind, int status, const char *body,
                            size_t len, json_t **ret, struct bv_error *err)
{
        struct ctr_engine e = { .b = b };
        _cleanup_free_ char *copy = malloc(len + 1);
        int r;

        *ret = NULL;
        if (!copy)
                return bv_error_set(err, ENOMEM, "Out of memory");
        memcpy(copy, body, len);
        copy[len] = '\0';
        snprintf(e.socket, sizeof(e.socket), "/replay.sock");
        struct bv_http_response resp = { .status = status, .body = copy, .body_len = len };
        if (status >= 400)
                return ctr_engine_http_error(&e, &resp, err);
        if (strcmp(kind, "events") == 0)
                return replay_events(b, copy, len, ret, err);
        if (strcmp(kind, "log-stream") == 0)
                return replay_log_stream(copy, len, ret, err);
        if (strcmp(kind, "version") == 0) {
                json_auto_t *v = NULL;
                struct engine_op op = { .e = &e };
                snprintf(op.path, sizeof(op.path), "/version");
                if ((r = ctr_engine_load_reply(&op, &resp, &v, err)) < 0 || (r = ctr_engine_negotiate(&e, v, err)) < 0)
                        return r;
                *ret = json_pack("{s:s}", "api_version", e.version);
                return *ret ? 0 : bv_error_set(err, ENOMEM, "Out of memory");
        }
        op_finish_fn fn = find_kind(kind);
        if (!fn)
                return bv_error_set(err, EINVAL, "No reply kind '%.32s'", kind);
        struct engine_op op = { .e = &e, .tries = 1000000, .acc = json_object() };
        snprintf(op.path, sizeof(op.path), "/replay/%s", kind);
        snprintf(op.id, sizeof(op.id), "c1");
        r = fn(&op, &resp, ret, err);
        json_decref(op.acc);
        if (r == 1) {  /* never for terminal handlers */
                json_decref(*ret);
                *ret = NULL;
                return bv_error_set(err, EINVAL, "Reply kind '%s' continues the call", kind);
        }
        return r;
}
