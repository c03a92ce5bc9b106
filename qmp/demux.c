/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Framing and demultiplexing of what QEMU sends: the byte stream is cut
 * into lines ("\n", an optional "\r" before it), each line is one message,
 * parsed as bounded JSON (size cap, depth cap, duplicate keys rejected) and
 * routed: the greeting, events to the event callback, replies to the
 * pending command with the same id.
 *
 * What is not ours to trust, and what happens to it:
 *   - anything before the greeting: discarded (an earlier session's reply
 *     or event can still be in flight when we connect);
 *   - an unterminated message longer than the cap: the connection closes
 *     (-EMSGSIZE) and every pending command fails with -ECONNRESET;
 *   - a malformed line (invalid JSON, duplicate keys, deeper than the cap,
 *     not an object, neither event nor reply): dropped and reported to the
 *     diagnostic callback. When a lenient re-parse shows it was the reply
 *     to a pending command, that command fails at once with -EPROTO (or
 *     -ERANGE for an integer above INT64_MAX, which jansson refuses)
 *     instead of waiting for its timeout;
 *   - replies after the greeting but before the reply to our
 *     qmp_capabilities: an earlier session's, discarded (see qmp.h);
 *   - a reply without an id (QEMU's answer to bytes it could not parse)
 *     or with an id we never sent: dropped, never paired with the oldest
 *     command; a reply to a timed-out or cancelled id: dropped quietly;
 *   - an error reply without "class" or "desc": the command fails -EPROTO.
 *
 * Every user callback may free the connection: after one, nothing touches
 * the line or the input buffer, and the loop re-checks c->state.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "qmp/qmp-internal.h"

/* Extracts an id we could have sent: a non-negative integer (or an integral real, after a lenient parse). */
static bool id_from_json(json_t *id, uint64_t *ret)
{
        if (json_is_integer(id)) {
                json_int_t v = json_integer_value(id);
                if (v < 0)
                        return false;
                *ret = (uint64_t)v;
                return true;
        }
        if (json_is_real(id)) {
                double d = json_real_value(id);
                if (!(d >= 0 && d < 9007199254740992.0) || floor(d) != d)
                        return false;
                *ret = (uint64_t)d;
                return true;
        }
        return false;
}

static int greeting_fail(struct qmp_conn *c, const char *what)
{
        qmp_conn_close(c, -EPROTO, -ECONNRESET, "Malformed QMP greeting: %s", what);
        return -EPROTO;
}

static int handle_greeting(struct qmp_conn *c, json_t *qmp)
{
        json_t *version, *caps;

        if (!json_is_object(qmp))
                return greeting_fail(c, "'QMP' is not an object");

        version = json_object_get(qmp, "version");
        if (version) {
                struct qmp_version ver;

                if (qmp_version_parse(version, &ver, NULL) < 0)
                        return greeting_fail(c, "bad 'version'");
                const int64_t v[3] = { ver.major, ver.minor, ver.micro };
                for (int i = 0; i < 3; i++) {
                        if (v[i] < 0 || v[i] > INT_MAX)
                                return greeting_fail(c, "version number out of range");
                        c->version[i] = (int)v[i];
                }
                snprintf(c->package, sizeof(c->package), "%s", ver.package);
        }

        caps = json_object_get(qmp, "capabilities");
        if (caps) {
                size_t i;
                json_t *cap;

                if (!json_is_array(caps))
                        return greeting_fail(c, "'capabilities' is not an array");
                json_array_foreach(caps, i, cap)
                        if (!json_is_string(cap))
                                return greeting_fail(c, "a capability is not a string");
                json_decref(c->capabilities);
                c->capabilities = json_incref(caps);
        }
        return qmp_conn_negotiate(c);
}

static void handle_event(struct qmp_conn *c, json_t *msg, json_t *name)
{
        struct qmp_event ev = { .seconds = -1, .microseconds = -1, .message = msg };
        json_t *ts = json_object_get(msg, "timestamp");

        if (!json_is_string(name) || json_string_length(name) == 0) {
                qmp_conn_diag(c, "Dropped QMP event without a name");
                return;
        }
        ev.name = json_string_value(name);
        ev.data = json_object_get(msg, "data");
        if (ev.data && !json_is_object(ev.data)) {
                qmp_conn_diag(c, "Dropped QMP event '%s': 'data' is not an object", ev.name);
                return;
        }
        if (ts) {
                json_int_t s, us;
                json_error_t jerr;

                if (json_unpack_ex(ts, &jerr, 0, "{s:I,s:I}", "seconds", &s, "microseconds", &us) < 0) {
                        qmp_conn_diag(c, "Dropped QMP event '%s': bad 'timestamp'", ev.name);
                        return;
                }
                ev.seconds = s;
                ev.microseconds = us;
        }
        c->stats.events++;
        if (c->event_cb && !c->freed)
                c->event_cb(c, &ev, c->event_userdata);
}

static void handle_reply(struct qmp_conn *c, json_t *msg)
{
        json_t *id = json_object_get(msg, "id");
        json_t *error = json_object_get(msg, "error");
        struct qmp_pending *p;
        uint64_t n;

        if (c->state == QMP_STATE_NEGOTIATING &&
            !(id_from_json(id, &n) && n == c->caps_id)) {
                c->stats.discarded++;   /* an earlier session's: ours come after the caps reply */
                return;
        }
        if (!id) {
                /* QEMU's reply to input it could not parse: it belongs to no command. */
                const char *cls = json_string_value(json_object_get(error, "class"));
                const char *desc = json_string_value(json_object_get(error, "desc"));
                if (error)
                        qmp_conn_diag(c, "Dropped QMP error without id: %s: %s", cls ? cls : "(no class)",
                                      desc ? desc : "(no desc)");
                else
                        qmp_conn_diag(c, "Dropped QMP reply without id");
                return;
        }
        if (!id_from_json(id, &n) || !(p = qmp_pending_find(c, n))) {
                if (json_is_integer(id) && json_integer_value(id) > 0 &&
                    (uint64_t)json_integer_value(id) >= c->first_id &&
                    (uint64_t)json_integer_value(id) < c->next_id)
                        c->stats.late++;   /* timed out or cancelled: expected, quiet */
                else
                        qmp_conn_diag(c, "Dropped QMP reply with an unknown id");
                return;
        }
        c->stats.replies++;
        if (error) {
                const char *cls = json_string_value(json_object_get(error, "class"));
                const char *desc = json_string_value(json_object_get(error, "desc"));
                struct bv_error e = { 0 };

                if (!json_is_object(error) || !cls || !desc) {
                        bv_error_set(&e, EPROTO, "QMP error reply to '%s' without 'class' or 'desc'",
                                     p->command);
                        qmp_pending_complete(c, p, -EPROTO, NULL, &e);
                        return;
                }
                bv_error_set(&e, EREMOTEIO, "%s: %s", cls, desc);
                qmp_pending_complete(c, p, -EREMOTEIO, NULL, &e);
                return;
        }
        qmp_pending_complete(c, p, 0, json_object_get(msg, "return"), NULL);
}

static void dispatch(struct qmp_conn *c, json_t *msg)
{
        json_t *qmp = json_object_get(msg, "QMP");
        json_t *event;

        if (c->state == QMP_STATE_GREETING) {
                if (!qmp) {
                        c->stats.discarded++;
                        return;
                }
                (void)handle_greeting(c, qmp);
                return;
        }
        if (qmp) {
                qmp_conn_diag(c, "Dropped a second QMP greeting");
                return;
        }
        event = json_object_get(msg, "event");
        if (event)
                handle_event(c, msg, event);
        else if (json_object_get(msg, "return") || json_object_get(msg, "error"))
                handle_reply(c, msg);
        else
                qmp_conn_diag(c, "Dropped QMP message with neither 'event', 'return' nor 'error'");
}

/* True when jansson refuses buf only because of an integer above INT64_MAX (or below INT64_MIN). */
static bool has_int_overflow(const char *buf, size_t len)
{
        json_error_t jerr;
        json_t *v = json_loadb(buf, len, JSON_DECODE_ANY, &jerr);

        if (v) {
                json_decref(v);
                return false;
        }
        return json_error_code(&jerr) == json_error_numeric_overflow;
}

/*
 * A line that failed the strict parse. Re-parse it leniently (duplicates
 * allowed, integers as reals) only to find out whether it answers a
 * pending command, which then fails at once with a clear error instead of
 * waiting for its timeout. The lenient value is never delivered.
 */
static void bad_line(struct qmp_conn *c, const char *line, size_t len, const struct bv_error *perr)
{
        json_error_t jerr;
        struct qmp_pending *p = NULL;
        uint64_t n;
        bool overflow;

        if (c->state == QMP_STATE_GREETING) {
                c->stats.discarded++;
                return;
        }
        overflow = has_int_overflow(line, len);
        json_t *v = json_loadb(line, len, JSON_DECODE_INT_AS_REAL, &jerr);
        if (json_is_object(v) && (json_object_get(v, "return") || json_object_get(v, "error")) &&
            id_from_json(json_object_get(v, "id"), &n) &&
            (c->state != QMP_STATE_NEGOTIATING || n == c->caps_id))
                p = qmp_pending_find(c, n);
        json_decref(v);
        /* From here on, line may be freed by a callback: do not touch it. */

        if (!p) {
                if (overflow)
                        qmp_conn_diag(c, "Dropped QMP message with an integer above INT64_MAX");
                else
                        qmp_conn_diag(c, "Dropped malformed QMP message: %s", perr->msg);
                return;
        }
        struct bv_error e = { 0 };
        c->stats.replies++;
        c->stats.dropped++;
        if (overflow) {
                bv_error_set(&e, ERANGE, "QMP reply to '%s' holds an integer above INT64_MAX",
                             p->command);
                qmp_pending_complete(c, p, -ERANGE, NULL, &e);
        } else {
                bv_error_set(&e, EPROTO, "Malformed QMP reply to '%s': %s", p->command, perr->msg);
                qmp_pending_complete(c, p, -EPROTO, NULL, &e);
        }
}

/* Handles one message line (no newline). */
static void demux_line(struct qmp_conn *c, const char *line, size_t len)
{
        struct bv_error e = { 0 };
        json_t *msg = NULL;
        size_t i;

        for (i = 0; i < len; i++)
                if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
                        break;
        if (i == len)
                return; /* blank line */
        if (bv_json_load_object(line, len, c->opts.max_message, &msg, &e) < 0) {
                bad_line(c, line, len, &e);
                return;
        }
        c->stats.messages++;
        dispatch(c, msg);
        json_decref(msg);
}

void qmp_demux_input(struct qmp_conn *c)
{
        size_t start = 0;

        while (c->state != QMP_STATE_CLOSED) {
                char *nl = memchr(c->in + c->in_scan, '\n', c->in_len - c->in_scan);
                if (!nl) {
                        c->in_scan = c->in_len;
                        break;
                }
                size_t end = (size_t)(nl - c->in);
                const char *line = c->in + start;
                size_t len = end - start;

                if (len > 0 && line[len - 1] == '\r')
                        len--;
                start = end + 1;
                c->in_scan = start;
                if (len > c->opts.max_message) {
                        qmp_conn_close(c, -EMSGSIZE, -ECONNRESET,
                                       "QMP message of %zu bytes exceeds the limit of %zu", len,
                                       c->opts.max_message);
                        return;
                }
                demux_line(c, line, len);
        }
        if (c->state == QMP_STATE_CLOSED)
                return;

        /* Keep only the unterminated tail. */
        if (start > 0) {
                memmove(c->in, c->in + start, c->in_len - start);
                c->in_len -= start;
                c->in_scan -= start;
        }
        /* A tail longer than the cap (+ the '\r' it may end with) can only become an oversized message. */
        if (c->in_len > c->opts.max_message + 1)
                qmp_conn_close(c, -EMSGSIZE, -ECONNRESET,
                               "QMP message exceeds the limit of %zu bytes", c->opts.max_message);
}
