/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target over the QMP reader and demultiplexer. The input is a
 * transcript in the same format as the unit-test case files
 * (tests/unit/qmp-cases/, which are the seed corpus), so the fuzzer can
 * interleave what the peer sends with commands the client has pending and
 * so reach the reply-matching paths, not only the greeting:
 *
 *   opt max_message N    cap for this run (clamped to 16 B .. 1 MiB)
 *   S TEXT               TEXT + "\r\n" through qmp_conn_feed()
 *   R TEXT               TEXT with \r \n \t \\ \xHH escapes, nothing appended
 *   K N TEXT             TEXT + "\r\n" in chunks of N bytes
 *   B N | L N ID         N bytes of 'a' | a reply of N bytes for ID (N <= 256 KiB)
 *   C NAME [JSON]        the client submits a command
 *   X                    the peer closes: EOF through the real socket path
 *   anything else        fed verbatim with its "\n"
 *
 * Bytes go through qmp_conn_feed(), the same framing/parsing/dispatch code
 * as bytes read from the socket. Run (clang, --enable-fuzzing):
 *   ./tests/fuzz/fuzz-qmp -max_total_time=60 CORPUS_DIR $top_srcdir/tests/unit/qmp-cases
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/common.h"
#include "qmp/qmp-internal.h"
#include "qmp/qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Big enough to cross the input buffer's growth steps; bigger only slows the fuzzer. */
#define FUZZ_BIG_MAX (256u * 1024u)

static void on_reply(struct qmp_conn *c, int r, json_t *ret, const struct bv_error *err, void *ud)
{
        /* Touch what we were given, so ASan sees any use-after-free. */
        if (ret)
                (void)json_typeof(ret);
        if (err)
                (void)strlen(err->msg);
}

static void on_event(struct qmp_conn *c, const struct qmp_event *ev, void *ud)
{
        (void)strlen(ev->name);
        if (ev->data)
                (void)json_object_size(ev->data);
        /* Exercise submitting from inside a callback. */
        if (ev->name[0] == 'Q')
                qmp_conn_call(c, "query-status", NULL, 0, on_reply, NULL, NULL, NULL);
        /* ... and freeing from inside one (the owner's reference is dropped here). */
        if (strcmp(ev->name, "FREE") == 0)
                *(struct qmp_conn **)ud = qmp_conn_free(c);
}

static size_t unescape(const char *in, size_t len, char *out)
{
        size_t n = 0;

        for (size_t i = 0; i < len; i++) {
                if (in[i] != '\\' || i + 1 >= len) {
                        out[n++] = in[i];
                        continue;
                }
                char e = in[++i];
                if (e == 'r')
                        out[n++] = '\r';
                else if (e == 'n')
                        out[n++] = '\n';
                else if (e == 't')
                        out[n++] = '\t';
                else if (e == 'x' && i + 2 < len) {
                        char hex[3] = { in[i + 1], in[i + 2], 0 };
                        out[n++] = (char)strtoul(hex, NULL, 16);
                        i += 2;
                } else
                        out[n++] = e;
        }
        return n;
}

static void feed_big(struct qmp_conn *c, const char *head, size_t n, const char *tail)
{
        _cleanup_free_ char *buf = NULL;
        size_t h = strlen(head), t = strlen(tail);

        if (n > FUZZ_BIG_MAX)
                n = FUZZ_BIG_MAX;
        buf = malloc(h + n + t);
        if (!buf)
                return;
        memcpy(buf, head, h);
        memset(buf + h, 'a', n);
        memcpy(buf + h + n, tail, t);
        qmp_conn_feed(c, buf, h + n + t);
}

static void run_line(struct qmp_conn **cp, struct bv_loop *loop, int *peer, const char *l, size_t len)
{
        struct qmp_conn *c = *cp;
        _cleanup_free_ char *buf = malloc(len + 3);

        if (!buf)
                return;
        if (len >= 2 && (l[0] == 'S' || l[0] == 'R' || l[0] == 'C' || l[0] == 'K' || l[0] == 'B' ||
                         l[0] == 'L') && l[1] == ' ') {
                const char *a = l + 2;
                size_t alen = len - 2;
                memcpy(buf, a, alen);
                buf[alen] = '\0';
                switch (l[0]) {
                case 'S':
                        memcpy(buf + alen, "\r\n", 2);
                        qmp_conn_feed(c, buf, alen + 2);
                        return;
                case 'R': {
                        size_t n = unescape(a, alen, buf);
                        qmp_conn_feed(c, buf, n);
                        return;
                }
                case 'K': {
                        char *text = NULL;
                        size_t chunk = strtoul(buf, &text, 10);
                        if (!text || chunk == 0)
                                chunk = 1;
                        if (*text == ' ')
                                text++;
                        size_t tl = strlen(text);
                        memcpy(text + tl, "\r\n", 2);
                        for (size_t off = 0; off < tl + 2; off += chunk)
                                if (qmp_conn_feed(c, text + off, BV_MIN(chunk, tl + 2 - off)) < 0)
                                        break;
                        return;
                }
                case 'B':
                        feed_big(c, "", strtoul(buf, NULL, 10), "");
                        return;
                case 'L': {
                        char *end = NULL;
                        char head[64];
                        size_t n = strtoul(buf, &end, 10);
                        snprintf(head, sizeof(head), "{\"id\": %lu, \"return\": \"", strtoul(end, NULL, 10));
                        feed_big(c, head, n, "\"}\r\n");
                        return;
                }
                case 'C': {
                        char *sp = strchr(buf, ' ');
                        json_t *args = NULL;
                        if (sp) {
                                *sp = '\0';
                                args = json_loads(sp + 1, 0, NULL);
                        }
                        qmp_conn_call(c, buf, args, 0, on_reply, NULL, NULL, NULL);
                        json_decref(args);
                        return;
                }
                }
        }
        if (len == 1 && l[0] == 'X') {
                /* EOF through the real read path. */
                if (*peer >= 0) {
                        close(*peer);
                        *peer = -1;
                }
                for (int i = 0; i < 4 && *cp; i++)
                        bv_loop_run_once(loop, 0);
                return;
        }
        memcpy(buf, l, len);
        buf[len] = '\n';
        qmp_conn_feed(c, buf, len + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *p = (const char *)data, *end = p + size;
        /* Ids from 1, as in the case files, so replies can match. */
        struct qmp_options opts = { .max_pending = 64, .first_id = 1 };
        struct bv_loop *loop = NULL;
        struct qmp_conn *c = NULL;
        int sv[2];

        if (size >= 16 && memcmp(p, "opt max_message ", 16) == 0) {
                char num[16] = { 0 };
                memcpy(num, p + 16, BV_MIN(sizeof(num) - 1, size - 16));
                unsigned long v = strtoul(num, NULL, 10);
                opts.max_message = BV_MIN(BV_MAX(v, 16ul), 1024ul * 1024ul);
        } else {
                /* The default (10 MiB) cannot be reached within FUZZ_BIG_MAX: use 128 KiB. */
                opts.max_message = 128u * 1024u;
        }
        if (bv_loop_new(&loop, NULL) < 0)
                return 0;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
                bv_loop_free(loop);
                return 0;
        }
        if (qmp_conn_new(loop, sv[0], &opts, &c, NULL) < 0) {
                close(sv[1]);
                bv_loop_free(loop);
                return 0;
        }
        qmp_conn_set_event_cb(c, on_event, &c);

        while (p < end && c) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
                run_line(&c, loop, &sv[1], p, len);
                p += len + (nl ? 1 : 0);
        }
        qmp_conn_free(c);
        if (sv[1] >= 0)
                close(sv[1]);
        bv_loop_free(loop);
        return 0;
}
