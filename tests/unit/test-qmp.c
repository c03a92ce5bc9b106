/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of qmp/: a fake QMP peer on the other end of a socketpair(),
 * driven by the case files in tests/unit/qmp-cases/ (one scripted session
 * each: what the peer sends, what the client does, what must come out),
 * plus a forked echo peer for the blocking wrappers and typed helpers, and
 * a few API edge cases written out in C.
 *
 * Case file lines (one step each; '#' starts a comment line):
 *   opt max_message N | opt timeout MS | opt max_pending N
 *   S TEXT          peer sends TEXT + "\r\n", verbatim
 *   R TEXT          peer sends TEXT with \r \n \t \\ \xHH escapes, nothing appended
 *   K N TEXT        peer sends TEXT + "\r\n" in chunks of N bytes, the client reading each
 *   B N             peer sends N bytes of 'a' (no newline)
 *   L N ID          peer sends a reply with a string "return" of N bytes for id ID
 *   X               peer closes its end
 *   C NAME [JSON]   client submits command NAME (arguments JSON); numbered from 0
 *   W MS            run the client loop for MS milliseconds
 *   > SUBSTRING     the next line the client sent contains SUBSTRING
 *   = N ok JSON     command N succeeded with this return value
 *   = N err ERRNO [SUBSTRING]   command N failed with -ERRNO, message containing SUBSTRING
 *   = N pending     command N has not completed
 *   E NAME [JSON]   the next event is NAME (with this data)
 *   T SEC USEC      ...and it had this timestamp
 *   D SUBSTRING     the next diagnostic contains SUBSTRING
 *   ! STAT N        a counter of struct qmp_stats (events, replies, dropped, discarded, late,
 *                   timeouts, messages) equals N
 *   ! ready | ! open | ! closed ERRNO | ! version MAJ MIN MIC | ! cap NAME
 * After every peer step the client loop runs until it has nothing left to do.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "qmp/qmp-internal.h"
#include "qmp/qmp.h"
#include "tests/tap.h"

#define MAX_CMDS 64
#define MAX_EVENTS 256
#define MAX_DIAGS 64

struct result {
        bool done;
        int r;
        json_t *ret;
        char msg[BV_ERROR_MSG_MAX];
};

struct session {
        const char *name;
        struct bv_loop *loop;
        struct qmp_conn *conn;
        int peer;
        bool peer_closed;
        struct result cmds[MAX_CMDS];
        int n_cmds;
        struct {
                char name[64];
                json_t *data;
                int64_t s, us;
        } events[MAX_EVENTS];
        int n_events, next_event;
        char diags[MAX_DIAGS][BV_ERROR_MSG_MAX];
        int n_diags, next_diag;
        int close_r;
        bool closed;
        char *sent;                 /* what the client wrote, unconsumed */
        size_t sent_len;
        unsigned timeout_ms;
};

static void on_reply(struct qmp_conn *c, int r, json_t *ret, const struct bv_error *err, void *ud)
{
        struct result *res = ud;

        res->done = true;
        res->r = r;
        res->ret = json_incref(ret);
        snprintf(res->msg, sizeof(res->msg), "%s", err ? err->msg : "");
}

static void on_event(struct qmp_conn *c, const struct qmp_event *ev, void *ud)
{
        struct session *s = ud;

        if (s->n_events >= MAX_EVENTS)
                return;
        snprintf(s->events[s->n_events].name, sizeof(s->events[0].name), "%s", ev->name);
        s->events[s->n_events].data = json_incref(ev->data);
        s->events[s->n_events].s = ev->seconds;
        s->events[s->n_events].us = ev->microseconds;
        s->n_events++;
}

static void on_diag(struct qmp_conn *c, const struct bv_error *err, void *ud)
{
        struct session *s = ud;

        if (s->n_diags < MAX_DIAGS)
                snprintf(s->diags[s->n_diags++], BV_ERROR_MSG_MAX, "%s", err->msg);
}

static void on_close(struct qmp_conn *c, int r, const struct bv_error *err, void *ud)
{
        struct session *s = ud;

        s->closed = true;
        s->close_r = r;
}

/* Runs the client loop until nothing is left to do right now. */
static void drain(struct session *s)
{
        for (int i = 0; i < 10000; i++)
                if (bv_loop_run_once(s->loop, 0) <= 0)
                        break;
}

/* Collects what the client wrote. */
static void peer_collect(struct session *s)
{
        char buf[65536];

        for (;;) {
                ssize_t n = read(s->peer, buf, sizeof(buf));
                if (n <= 0)
                        return;
                char *p = realloc(s->sent, s->sent_len + (size_t)n);
                if (!p)
                        abort();
                s->sent = p;
                memcpy(s->sent + s->sent_len, buf, (size_t)n);
                s->sent_len += (size_t)n;
        }
}

/* Writes without blocking, letting the client read whenever the socket is full. */
static void peer_send(struct session *s, const char *buf, size_t len)
{
        while (len > 0 && !s->peer_closed) {
                ssize_t n = send(s->peer, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN) {
                                if (bv_loop_run_once(s->loop, 10000) < 0)
                                        return;
                                continue;
                        }
                        return; /* the client closed (EPIPE/ECONNRESET): nothing more to send */
                }
                buf += n;
                len -= (size_t)n;
        }
        drain(s);
        peer_collect(s);
}

static size_t unescape(const char *in, char *out)
{
        size_t n = 0;

        while (*in) {
                if (*in != '\\' || !in[1]) {
                        out[n++] = *in++;
                        continue;
                }
                in++;
                switch (*in) {
                case 'r': out[n++] = '\r'; in++; break;
                case 'n': out[n++] = '\n'; in++; break;
                case 't': out[n++] = '\t'; in++; break;
                case 'x': {
                        char hex[3] = { in[1], in[1] ? in[2] : 0, 0 };
                        out[n++] = (char)strtoul(hex, NULL, 16);
                        in += 1 + strlen(hex);
                        break;
                }
                default: out[n++] = *in++; break;
                }
        }
        return n;
}

static int errno_from_name(const char *name)
{
        static const struct { const char *n; int e; } names[] = {
                { "ETIMEDOUT", ETIMEDOUT }, { "ECONNRESET", ECONNRESET }, { "EREMOTEIO", EREMOTEIO },
                { "EPROTO", EPROTO },       { "ERANGE", ERANGE },         { "EMSGSIZE", EMSGSIZE },
                { "ECANCELED", ECANCELED }, { "ENOTCONN", ENOTCONN },     { "EBUSY", EBUSY },
                { "EINVAL", EINVAL },
        };
        for (size_t i = 0; i < BV_ELEMENTSOF(names); i++)
                if (strcmp(names[i].n, name) == 0)
                        return names[i].e;
        return -1;
}

static bool json_text_equal(json_t *got, const char *want_text)
{
        json_error_t jerr;
        json_t *want = json_loads(want_text, JSON_DECODE_ANY, &jerr);
        bool eq = want && got && json_equal(got, want);

        json_decref(want);
        return eq;
}

static uint64_t stat_value(const struct qmp_stats *st, const char *name, bool *ok)
{
        *ok = true;
        if (strcmp(name, "events") == 0) return st->events;
        if (strcmp(name, "replies") == 0) return st->replies;
        if (strcmp(name, "dropped") == 0) return st->dropped;
        if (strcmp(name, "discarded") == 0) return st->discarded;
        if (strcmp(name, "late") == 0) return st->late;
        if (strcmp(name, "timeouts") == 0) return st->timeouts;
        if (strcmp(name, "messages") == 0) return st->messages;
        *ok = false;
        return 0;
}

/* Takes the next line the client sent. Returns false if there is none. */
static bool next_sent_line(struct session *s, char *buf, size_t size)
{
        char *nl = s->sent ? memchr(s->sent, '\n', s->sent_len) : NULL;

        if (!nl)
                return false;
        size_t len = (size_t)(nl - s->sent);
        snprintf(buf, size, "%.*s", (int)len, s->sent);
        memmove(s->sent, nl + 1, s->sent_len - len - 1);
        s->sent_len -= len + 1;
        return true;
}

static void check_result(struct session *s, int line, char *args)
{
        char *save = NULL;
        char *num = strtok_r(args, " ", &save);
        char *kind = strtok_r(NULL, " ", &save);
        char *rest = save && *save ? save : NULL;
        int n = num ? atoi(num) : -1;

        if (n < 0 || n >= s->n_cmds || !kind) {
                tap_ok(false, "%s:%d: bad '=' line", s->name, line);
                return;
        }
        struct result *res = &s->cmds[n];
        if (strcmp(kind, "pending") == 0) {
                tap_ok(!res->done, "%s:%d: command %d still pending", s->name, line, n);
        } else if (strcmp(kind, "ok") == 0) {
                bool ok = res->done && res->r == 0 && json_text_equal(res->ret, rest ? rest : "null");
                if (!tap_ok(ok, "%s:%d: command %d returned %s", s->name, line, n, rest ? rest : "")) {
                        _cleanup_free_ char *got = res->ret ? bv_json_dumps(res->ret) : NULL;
                        tap_diag("  done=%d r=%d ret=%s msg=%s", res->done, res->r, got ? got : "(null)",
                                 res->msg);
                }
        } else if (strcmp(kind, "err") == 0) {
                char *ename = strtok_r(NULL, " ", &save);
                char *sub = save && *save ? save : NULL;
                int e = ename ? errno_from_name(ename) : -1;
                bool ok = res->done && res->r == -e && (!sub || strstr(res->msg, sub));
                if (!tap_ok(ok, "%s:%d: command %d failed with %s%s%s", s->name, line, n,
                            ename ? ename : "?", sub ? ": " : "", sub ? sub : ""))
                        tap_diag("  done=%d r=%d msg='%s'", res->done, res->r, res->msg);
        } else {
                tap_ok(false, "%s:%d: bad '=' kind '%s'", s->name, line, kind);
        }
}

static void check_state(struct session *s, int line, char *args)
{
        char *save = NULL;
        char *what = strtok_r(args, " ", &save);
        char *a1 = strtok_r(NULL, " ", &save);
        char *a2 = strtok_r(NULL, " ", &save);
        char *a3 = strtok_r(NULL, " ", &save);
        struct qmp_stats st;
        bool known;

        if (!what) {
                tap_ok(false, "%s:%d: bad '!' line", s->name, line);
                return;
        }
        qmp_conn_get_stats(s->conn, &st);
        uint64_t v = stat_value(&st, what, &known);
        if (known) {
                long long want = a1 ? atoll(a1) : -1;
                if (!tap_ok((long long)v == want, "%s:%d: %s = %lld", s->name, line, what, want))
                        tap_diag("  got %llu", (unsigned long long)v);
        } else if (strcmp(what, "ready") == 0) {
                tap_ok(qmp_conn_is_ready(s->conn), "%s:%d: connection ready", s->name, line);
        } else if (strcmp(what, "open") == 0) {
                tap_ok(qmp_conn_is_open(s->conn) && !s->closed, "%s:%d: connection open", s->name, line);
        } else if (strcmp(what, "closed") == 0) {
                int e = a1 ? errno_from_name(a1) : -1;
                if (!tap_ok(s->closed && s->close_r == -e && !qmp_conn_is_open(s->conn),
                            "%s:%d: connection closed with %s", s->name, line, a1 ? a1 : "?"))
                        tap_diag("  closed=%d r=%d", s->closed, s->close_r);
        } else if (strcmp(what, "version") == 0) {
                int ma, mi, mc;
                qmp_conn_get_version(s->conn, &ma, &mi, &mc);
                tap_ok(a1 && a2 && a3 && ma == atoi(a1) && mi == atoi(a2) && mc == atoi(a3),
                       "%s:%d: version %s.%s.%s", s->name, line, a1, a2, a3);
        } else if (strcmp(what, "cap") == 0) {
                tap_ok(a1 && qmp_conn_has_capability(s->conn, a1), "%s:%d: capability %s", s->name,
                       line, a1);
        } else {
                tap_ok(false, "%s:%d: unknown check '%s'", s->name, line, what);
        }
}

/* ---- The steps of a case file, one function each (see the table below) ---- */

/* The peer sends text + "\r\n", chunk bytes at a time (the client reading each). */
static void send_line(struct session *s, const char *text, size_t chunk)
{
        size_t len = strlen(text);
        _cleanup_free_ char *buf = malloc(len + 2);

        memcpy(buf, text, len);
        memcpy(buf + len, "\r\n", 2);
        for (size_t off = 0; off < len + 2; off += chunk)
                peer_send(s, buf + off, BV_MIN(chunk, len + 2 - off));
}

/* S TEXT */
static void step_send(struct session *s, int line, char *arg)
{
        send_line(s, arg, SIZE_MAX);
}

/* R TEXT (with escapes) */
static void step_send_raw(struct session *s, int line, char *arg)
{
        _cleanup_free_ char *buf = malloc(strlen(arg) + 1);
        size_t n = unescape(arg, buf);

        peer_send(s, buf, n);
}

/* K N TEXT */
static void step_send_chunks(struct session *s, int line, char *arg)
{
        char *text = NULL;
        size_t chunk = strtoul(arg, &text, 10);

        if (text && *text == ' ')
                text++;
        send_line(s, text, chunk ? chunk : 1);
}

/* B N */
static void step_send_bytes(struct session *s, int line, char *arg)
{
        size_t n = strtoul(arg, NULL, 10);
        _cleanup_free_ char *buf = malloc(n + 1);

        memset(buf, 'a', n);
        peer_send(s, buf, n);
}

/* L N ID */
static void step_send_long_reply(struct session *s, int line, char *arg)
{
        char *end = NULL;
        size_t n = strtoul(arg, &end, 10);
        unsigned long id = strtoul(end, NULL, 10);
        _cleanup_free_ char *buf = malloc(n + 64);
        int h = snprintf(buf, 64, "{\"id\": %lu, \"return\": \"", id);

        memset(buf + h, 'a', n);
        memcpy(buf + h + n, "\"}\r\n", 4);
        peer_send(s, buf, (size_t)h + n + 4);
}

/* X */
static void step_close(struct session *s, int line, char *arg)
{
        close(s->peer);
        s->peer = -1;
        s->peer_closed = true;
        drain(s);
}

/* C NAME [JSON] */
static void step_call(struct session *s, int line, char *arg)
{
        char *save = NULL;
        char *name = strtok_r(arg, " ", &save);
        char *json = save && *save ? save : NULL;
        json_t *args = json ? json_loads(json, 0, NULL) : NULL;
        struct bv_error err = { 0 };

        if (s->n_cmds >= MAX_CMDS || !name) {
                tap_ok(false, "%s:%d: bad 'C' line", s->name, line);
                return;
        }
        struct result *res = &s->cmds[s->n_cmds++];
        int r = qmp_conn_call(s->conn, name, args, s->timeout_ms, on_reply, res, NULL, &err);
        json_decref(args);
        if (r < 0) {
                res->done = true;
                res->r = r;
                snprintf(res->msg, sizeof(res->msg), "%s", err.msg);
        }
        drain(s);
        if (!s->peer_closed)
                peer_collect(s);
}

/* W MS */
static void step_wait(struct session *s, int line, char *arg)
{
        uint64_t end = bv_now_usec() + strtoull(arg, NULL, 10) * 1000;
        uint64_t now;

        while ((now = bv_now_usec()) < end)
                bv_loop_run_once(s->loop, (int64_t)(end - now));
        if (!s->peer_closed)
                peer_collect(s);
}

/* > SUBSTRING */
static void check_sent(struct session *s, int line, char *arg)
{
        char got[4096];
        bool have = next_sent_line(s, got, sizeof(got));

        if (!tap_ok(have && strstr(got, arg), "%s:%d: client sent '%s'", s->name, line, arg))
                tap_diag("  got '%s'", have ? got : "(nothing)");
}

/* E NAME [JSON] */
static void check_event(struct session *s, int line, char *arg)
{
        char *save = NULL;
        char *name = strtok_r(arg, " ", &save);
        char *data = save && *save ? save : NULL;
        bool have = s->next_event < s->n_events;
        bool ok = have && name && strcmp(s->events[s->next_event].name, name) == 0 &&
                  (!data || json_text_equal(s->events[s->next_event].data, data));

        if (!tap_ok(ok, "%s:%d: event %s", s->name, line, name ? name : "?"))
                tap_diag("  got %s", have ? s->events[s->next_event].name : "(none)");
        s->next_event++;
}

/* T SEC USEC */
static void check_timestamp(struct session *s, int line, char *arg)
{
        long long sec = 0, usec = 0;
        int i = s->next_event - 1;

        sscanf(arg, "%lld %lld", &sec, &usec);
        tap_ok(i >= 0 && s->events[i].s == sec && s->events[i].us == usec,
               "%s:%d: timestamp %lld.%06lld", s->name, line, sec, usec);
}

/* D SUBSTRING */
static void check_diag(struct session *s, int line, char *arg)
{
        bool have = s->next_diag < s->n_diags;

        if (!tap_ok(have && strstr(s->diags[s->next_diag], arg), "%s:%d: diagnostic '%s'",
                    s->name, line, arg))
                tap_diag("  got '%s'", have ? s->diags[s->next_diag] : "(none)");
        s->next_diag++;
}

static const struct {
        char op;
        void (*run)(struct session *s, int line, char *arg);
} steps[] = {
        { 'S', step_send },
        { 'R', step_send_raw },
        { 'K', step_send_chunks },
        { 'B', step_send_bytes },
        { 'L', step_send_long_reply },
        { 'X', step_close },
        { 'C', step_call },
        { 'W', step_wait },
        { '>', check_sent },
        { '=', check_result },
        { 'E', check_event },
        { 'T', check_timestamp },
        { 'D', check_diag },
        { '!', check_state },
};

/* One line of a case file: its step, by the first character. */
static void step(struct session *s, int line, char *l)
{
        char *arg = l[1] == ' ' ? l + 2 : l + 1;

        for (size_t i = 0; i < BV_ELEMENTSOF(steps); i++)
                if (steps[i].op == l[0]) {
                        steps[i].run(s, line, arg);
                        return;
                }
        tap_ok(false, "%s:%d: unknown step '%c'", s->name, line, l[0]);
}

/* The "opt" lines at the top of a case file: they come before the connection exists. */
static void read_options(FILE *f, struct session *s, struct qmp_options *opts)
{
        char *line = NULL;
        size_t cap = 0;

        while (getline(&line, &cap, f) > 0) {
                if (strncmp(line, "opt ", 4) != 0) {
                        if (line[0] != '#' && line[0] != '\n')
                                break;
                        continue;
                }
                char key[64];
                unsigned long long v;
                if (sscanf(line + 4, "%63s %llu", key, &v) == 2) {
                        if (strcmp(key, "max_message") == 0)
                                opts->max_message = v;
                        else if (strcmp(key, "timeout") == 0)
                                s->timeout_ms = opts->timeout_ms = (unsigned)v;
                        else if (strcmp(key, "max_pending") == 0)
                                opts->max_pending = (unsigned)v;
                }
        }
        free(line);
}

/* The client's connection on one end of a socketpair, the fake peer on the other. */
static int session_open(struct session *s, const struct qmp_options *opts)
{
        struct bv_error err = { 0 };
        int sv[2];

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || bv_loop_new(&s->loop, &err) < 0) {
                tap_ok(false, "%s: setup", s->name);
                return -1;
        }
        s->peer = sv[1];
        fcntl(s->peer, F_SETFL, O_NONBLOCK);
        if (qmp_conn_new(s->loop, sv[0], opts, &s->conn, &err) < 0) {
                tap_ok(false, "%s: qmp_conn_new: %s", s->name, err.msg);
                return -1;
        }
        qmp_conn_set_event_cb(s->conn, on_event, s);
        qmp_conn_set_diag_cb(s->conn, on_diag, s);
        qmp_conn_set_close_cb(s->conn, on_close, s);
        return 0;
}

static void session_free(struct session *s)
{
        qmp_conn_free(s->conn);
        for (int i = 0; i < s->n_cmds; i++)
                json_decref(s->cmds[i].ret);
        for (int i = 0; i < s->n_events; i++)
                json_decref(s->events[i].data);
        free(s->sent);
        if (s->peer >= 0)
                close(s->peer);
        bv_loop_free(s->loop);
}

/* Every step of the case file, with its line number counted from the start of the file. */
static void run_steps(FILE *f, struct session *s)
{
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        int lineno = 0;

        rewind(f);
        while ((n = getline(&line, &cap, f)) > 0) {
                lineno++;
                if (n > 0 && line[n - 1] == '\n')
                        line[--n] = '\0';
                if (n == 0 || line[0] == '#' || strncmp(line, "opt ", 4) == 0)
                        continue;
                step(s, lineno, line);
        }
        free(line);
}

static void run_case(const char *dir, const char *file)
{
        _cleanup_free_ char *path = NULL;
        struct session s = { .name = file, .peer = -1, .timeout_ms = 2000 };
        struct qmp_options opts = { .first_id = 1 };

        if (asprintf(&path, "%s/%s", dir, file) < 0) {
                path = NULL;
                tap_ok(false, "%s: out of memory", file);
                return;
        }
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!tap_ok(f != NULL, "%s: open", file))
                return;
        read_options(f, &s, &opts);
        if (session_open(&s, &opts) < 0)
                return;
        run_steps(f, &s);
        session_free(&s);
}

static int case_filter(const struct dirent *d)
{
        size_t n = strlen(d->d_name);
        return n > 5 && strcmp(d->d_name + n - 5, ".case") == 0;
}

static void run_cases(const char *dir)
{
        struct dirent **list = NULL;
        int n = scandir(dir, &list, case_filter, alphasort);

        if (!tap_ok(n > 0, "case files found in '%s'", dir))
                return;
        for (int i = 0; i < n; i++) {
                tap_diag("case %s", list[i]->d_name);
                run_case(dir, list[i]->d_name);
                free(list[i]);
        }
        free(list);
}

/* ---- A forked echo peer for the blocking wrappers and typed helpers ---- */

static void peer_reply(int fd, json_t *id, const char *body)
{
        _cleanup_free_ char *ids = id ? bv_json_dumps(id) : NULL;
        char buf[8192];
        int n = snprintf(buf, sizeof(buf), "{%s, \"id\": %s}\r\n", body, ids ? ids : "null");
        if (write(fd, buf, (size_t)n) < 0)
                _exit(3);
}

static void peer_send_line(int fd, const char *line)
{
        if (write(fd, line, strlen(line)) < 0 || write(fd, "\r\n", 2) < 0)
                _exit(3);
}

/* Runs in the child: a small QMP server on fd. Never returns. */
static void __attribute__((noreturn)) echo_peer(int fd, bool greet)
{
        char buf[65536];
        size_t len = 0;

        if (greet)
                peer_send_line(fd, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, "
                                   "\"major\": 7}, \"package\": \"Debian 1:7.2+dfsg-7\"}, "
                                   "\"capabilities\": [\"oob\"]}}");
        for (;;) {
                ssize_t n = read(fd, buf + len, sizeof(buf) - len - 1);
                if (n <= 0)
                        _exit(0);
                len += (size_t)n;
                char *nl;
                while ((nl = memchr(buf, '\n', len))) {
                        size_t l = (size_t)(nl - buf) + 1;
                        json_t *m = json_loadb(buf, l, 0, NULL);
                        memmove(buf, buf + l, len - l);
                        len -= l;
                        const char *cmd = json_string_value(json_object_get(m, "execute"));
                        json_t *id = json_object_get(m, "id");
                        json_t *args = json_object_get(m, "arguments");
                        if (!cmd)
                                peer_send_line(fd, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Invalid JSON syntax\"}}");
                        else if (strcmp(cmd, "qmp_capabilities") == 0 || strcmp(cmd, "cont") == 0 ||
                                 strcmp(cmd, "system_reset") == 0 || strcmp(cmd, "device_del") == 0)
                                peer_reply(fd, id, "\"return\": {}");
                        else if (strcmp(cmd, "query-status") == 0)
                                peer_reply(fd, id, "\"return\": {\"running\": true, \"singlestep\": false, \"status\": \"running\"}");
                        else if (strcmp(cmd, "query-version") == 0)
                                peer_reply(fd, id, "\"return\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, \"package\": \"Debian\"}");
                        else if (strcmp(cmd, "query-block") == 0)
                                peer_reply(fd, id, "\"return\": [{\"device\": \"d0\"}]");
                        else if (strcmp(cmd, "stop") == 0) {
                                peer_send_line(fd, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}");
                                peer_reply(fd, id, "\"return\": {}");
                        } else if (strcmp(cmd, "human-monitor-command") == 0) {
                                char out[4096];
                                snprintf(out, sizeof(out), "ran %s\r\n",
                                         json_string_value(json_object_get(args, "command-line")));
                                json_t *rv = json_pack("{s:s,s:O}", "return", out, "id", id);
                                _cleanup_free_ char *line = bv_json_dumps(rv);
                                json_decref(rv);
                                peer_send_line(fd, line);
                        } else if (strcmp(cmd, "fail") == 0)
                                peer_reply(fd, id, "\"error\": {\"class\": \"GenericError\", \"desc\": \"boom\"}");
                        else if (strcmp(cmd, "never") == 0)
                                ;
                        else if (strcmp(cmd, "quit") == 0)
                                _exit(0);
                        else
                                peer_reply(fd, id, "\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command has not been found\"}");
                        json_decref(m);
                }
                if (len == sizeof(buf) - 1)
                        _exit(2);
        }
}

static pid_t start_peer(int *ret_fd, bool greet)
{
        int sv[2];

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -1;
        pid_t pid = fork();
        if (pid == 0) {
                close(sv[0]);
                echo_peer(sv[1], greet);
        }
        close(sv[1]);
        *ret_fd = sv[0];
        return pid;
}

static void reap(pid_t pid)
{
        int status;
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
}

static int n_stop_events;
static void count_stop(struct qmp_conn *c, const struct qmp_event *ev, void *ud)
{
        if (strcmp(ev->name, "STOP") == 0 && ev->seconds == 1 && ev->microseconds == 2)
                n_stop_events++;
}

static void test_sync_helpers(void)
{
        struct bv_loop *loop = NULL;
        struct qmp_conn *c = NULL;
        struct bv_error err = { 0 };
        int fd;
        pid_t pid = start_peer(&fd, true);

        bv_loop_new(&loop, NULL);
        tap_is_int(qmp_conn_new(loop, fd, NULL, &c, &err), 0, "sync: qmp_conn_new");
        qmp_conn_set_event_cb(c, count_stop, NULL);
        tap_is_int(qmp_conn_wait_ready(c, 2000, &err), 0, "sync: handshake");
        tap_ok(qmp_conn_is_ready(c), "sync: ready");
        int ma, mi, mc;
        qmp_conn_get_version(c, &ma, &mi, &mc);
        tap_ok(ma == 7 && mi == 2 && mc == 22, "sync: greeting version 7.2.22");
        tap_is_str(qmp_conn_get_package(c), "Debian 1:7.2+dfsg-7", "sync: greeting package");
        tap_ok(qmp_conn_has_capability(c, "oob") && !qmp_conn_has_capability(c, "x"), "sync: capabilities");

        struct qmp_status st = { 0 };
        tap_is_int(qmp_status_query(c, 2000, &st, &err), 0, "sync: query-status");
        tap_ok(st.running && strcmp(st.status, "running") == 0, "sync: running, 'running'");
        struct qmp_version ver = { 0 };
        tap_is_int(qmp_version_query(c, 2000, &ver, &err), 0, "sync: query-version");
        tap_ok(ver.major == 7 && ver.minor == 2 && ver.micro == 22 && strcmp(ver.package, "Debian") == 0,
               "sync: version parsed");
        tap_is_int(qmp_vm_stop(c, 2000, &err), 0, "sync: stop");
        tap_is_int(n_stop_events, 1, "sync: STOP event delivered during the blocking call");
        tap_is_int(qmp_vm_cont(c, 2000, &err), 0, "sync: cont");
        tap_is_int(qmp_vm_reset(c, 2000, &err), 0, "sync: system_reset");
        tap_is_int(qmp_device_del(c, 2000, "nic0", &err), 0, "sync: device_del");
        json_t *blocks = NULL;
        tap_is_int(qmp_block_query(c, 2000, &blocks, &err), 0, "sync: query-block");
        tap_ok(json_is_array(blocks) && json_array_size(blocks) == 1, "sync: query-block array");
        json_decref(blocks);
        _cleanup_free_ char *out = NULL;
        tap_is_int(qmp_hmp_run(c, 2000, "info status", &out, &err), 0, "sync: human-monitor-command");
        tap_ok(out && strstr(out, "info status"), "sync: HMP output returned");

        int r = qmp_conn_call_sync(c, "fail", NULL, 2000, NULL, &err);
        tap_is_int(r, -EREMOTEIO, "sync: QMP error gives -EREMOTEIO");
        tap_is_str(err.msg, "GenericError: boom", "sync: error keeps 'CLASS: desc'");
        r = qmp_conn_call_sync(c, "blockdev-add", NULL, 2000, NULL, &err);
        tap_is_int(r, -EREMOTEIO, "sync: unknown command gives the peer's error");
        tap_ok(strncmp(err.msg, "CommandNotFound: ", 17) == 0, "sync: CommandNotFound class kept");
        tap_is_int(qmp_device_add(c, 2000, NULL, &err), -EINVAL, "sync: device_add without options");
        tap_is_int(qmp_blockdev_add(c, 2000, NULL, &err), -EINVAL, "sync: blockdev-add without options");

        uint64_t t0 = bv_now_usec();
        r = qmp_conn_call_sync(c, "never", NULL, 150, NULL, &err);
        uint64_t dt = bv_now_usec() - t0;
        tap_is_int(r, -ETIMEDOUT, "sync: unanswered command times out");
        tap_ok(dt >= 140000 && dt < 1000000, "sync: ... after its timeout (%llu us)", (unsigned long long)dt);
        tap_ok(qmp_conn_is_open(c), "sync: connection still open after a timeout");
        tap_is_int(qmp_status_query(c, 2000, &st, &err), 0, "sync: connection usable after a timeout");

        tap_is_int(qmp_vm_quit(c, 2000, &err), 0, "sync: quit (peer exits without replying) is success");
        tap_ok(!qmp_conn_is_open(c), "sync: closed after quit");
        r = qmp_conn_call(c, "query-status", NULL, 0, NULL, NULL, NULL, &err);
        tap_is_int(r, -ENOTCONN, "sync: call on a closed connection gives -ENOTCONN");
        r = qmp_status_query(c, 2000, &st, &err);
        tap_is_int(r, -ENOTCONN, "sync: typed helper on a closed connection gives -ENOTCONN");

        qmp_conn_free(c);
        bv_loop_free(loop);
        reap(pid);
}

static void test_handshake_timeout(void)
{
        struct bv_loop *loop = NULL;
        struct qmp_conn *c = NULL;
        struct bv_error err = { 0 };
        struct qmp_options o = { .handshake_timeout_ms = 100 };
        int fd;
        pid_t pid = start_peer(&fd, false);

        bv_loop_new(&loop, NULL);
        qmp_conn_new(loop, fd, &o, &c, &err);
        struct result res = { 0 };
        tap_is_int(qmp_conn_call(c, "query-status", NULL, 5000, on_reply, &res, NULL, &err), 0,
                   "handshake: command queued before the greeting");
        uint64_t t0 = bv_now_usec();
        int r = qmp_conn_wait_ready(c, 5000, &err);
        tap_is_int(r, -ETIMEDOUT, "handshake: no greeting gives -ETIMEDOUT");
        tap_ok(bv_now_usec() - t0 < 1000000, "handshake: within the handshake timeout");
        tap_ok(!qmp_conn_is_open(c), "handshake: connection closed");
        tap_ok(res.done && res.r == -ECONNRESET, "handshake: queued command failed with -ECONNRESET");
        qmp_conn_free(c);
        bv_loop_free(loop);
        reap(pid);
}

static void free_on_event(struct qmp_conn *c, const struct qmp_event *ev, void *ud)
{
        *(bool *)ud = true;
        qmp_conn_free(c);
}

static void test_api_edges(void)
{
        struct bv_loop *loop = NULL;
        struct qmp_conn *c = NULL;
        struct bv_error err = { 0 };
        struct qmp_options o = { .max_pending = 2, .first_id = 1 };
        struct result res[4] = { 0 };
        int sv[2];

        bv_loop_new(&loop, NULL);
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
        tap_is_int(qmp_conn_new(loop, sv[0], &o, &c, &err), 0, "edges: new");
        tap_is_int(qmp_conn_call(c, "a b", NULL, 0, on_reply, &res[0], NULL, &err), -EINVAL,
                   "edges: command name with a space refused");
        tap_is_int(qmp_conn_call(c, "x\"y", NULL, 0, on_reply, &res[0], NULL, &err), -EINVAL,
                   "edges: command name with a quote refused");
        json_t *arr = json_array();
        tap_is_int(qmp_conn_call(c, "stop", arr, 0, on_reply, &res[0], NULL, &err), -EINVAL,
                   "edges: non-object arguments refused");
        json_decref(arr);
        uint64_t id0 = 0;
        tap_is_int(qmp_conn_call(c, "stop", NULL, 0, on_reply, &res[0], &id0, &err), 0, "edges: first");
        tap_is_int(qmp_conn_call(c, "cont", NULL, 0, on_reply, &res[1], NULL, &err), 0, "edges: second");
        tap_is_int(qmp_conn_call(c, "cont", NULL, 0, on_reply, &res[2], NULL, &err), -EBUSY,
                   "edges: third over max_pending gives -EBUSY");
        tap_ok(!res[0].done && !res[1].done, "edges: no callback from inside qmp_conn_call");
        tap_is_int(qmp_conn_cancel(c, id0), 0, "edges: cancel");
        tap_is_int(qmp_conn_cancel(c, id0), -ENOENT, "edges: cancel twice gives -ENOENT");

        /* The owner frees the connection from an event callback, with a command pending. */
        bool freed = false;
        qmp_conn_set_event_cb(c, free_on_event, &freed);
        const char *script = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \"\"}, \"capabilities\": []}}\r\n"
                             "{\"return\": {}, \"id\": 3}\r\n"
                             "{\"event\": \"RESET\", \"data\": {}}\r\n"
                             "{\"return\": {}, \"id\": 2}\r\n";
        if (write(sv[1], script, strlen(script)) < 0)
                tap_ok(false, "edges: write");
        for (int i = 0; i < 20 && !freed; i++)
                bv_loop_run_once(loop, 10000);
        tap_ok(freed, "edges: event callback freed the connection");
        tap_ok(res[1].done && res[1].r == -ECANCELED, "edges: pending command got -ECANCELED");
        tap_ok(!res[0].done, "edges: cancelled command's callback never called");
        close(sv[1]);
        bv_loop_free(loop);

        /* Free with commands pending, outside any callback. */
        bv_loop_new(&loop, NULL);
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
        qmp_conn_new(loop, sv[0], NULL, &c, &err);
        struct result r2 = { 0 };
        uint64_t id1 = 0;
        qmp_conn_call(c, "stop", NULL, 0, on_reply, &r2, &id1, &err);
        tap_is_int((long long)id1, 1, "edges: command ids start at 1");
        const char greet[] = "{\"QMP\": {}}\r\n";
        char sent[512] = "";
        if (write(sv[1], greet, sizeof(greet) - 1) < 0)
                tap_ok(false, "edges: write greeting");
        for (int i = 0; i < 5; i++)
                bv_loop_run_once(loop, 10000);
        ssize_t got = read(sv[1], sent, sizeof(sent) - 1);
        sent[got > 0 ? got : 0] = '\0';
        const char *cid = strstr(sent, "\"qmp_capabilities\",\"id\":");
        unsigned long long capsid = cid ? strtoull(cid + 25, NULL, 10) : 0;
        tap_ok(capsid >= (1ull << 32) && capsid < (1ull << 48),
               "edges: qmp_capabilities gets a random id in [2^32, 2^48) (%llu)", capsid);
        qmp_conn_free(c);
        tap_ok(r2.done && r2.r == -ECANCELED, "edges: free fails pending commands with -ECANCELED");
        tap_ok(qmp_conn_free(NULL) == NULL, "edges: qmp_conn_free(NULL)");
        close(sv[1]);

        /* Connecting to a socket that is not there. */
        tap_is_int(qmp_conn_connect(loop, "/nonexistent/qmp.sock", NULL, &c, &err), -ENOENT,
                   "edges: connect to a missing socket gives -ENOENT");
        tap_ok(strstr(err.msg, "/nonexistent/qmp.sock") != NULL, "edges: ... naming the path");
        o = (struct qmp_options){ .max_message = SIZE_MAX };
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
        tap_is_int(qmp_conn_new(loop, sv[0], &o, &c, &err), -EINVAL, "edges: absurd message cap refused");
        tap_ok(fcntl(sv[0], F_GETFD) < 0, "edges: fd closed on failure");
        close(sv[1]);
        bv_loop_free(loop);
}

static void run_api_tests(void)
{
        test_sync_helpers();
        test_handshake_timeout();
        test_api_edges();
}

int main(int argc, char **argv)
{
        char dir[4096];

        tap_cases_dir(dir, sizeof(dir), argc, argv, "qmp-cases", __FILE__);
        run_cases(dir);
        run_api_tests();
        tap_done();
}
