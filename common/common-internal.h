/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * common/ internals: the HTTP parser glue shared by the server, the client
 * and the fuzz targets.
 */
#pragma once

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/common.h"

/* ---- the HTTP parser glue (http.c) ------------------------------------------------------- */
/*
 * Parser glue shared by the HTTP server (http-server.c), the client
 * (http-client.c) and the fuzz targets. struct bv_http_msg wraps one
 * libhttp-parser instance and collects one message at a time: the URL and
 * the headers are copied into a fixed arena of BV_HTTP_MAX_HEAD bytes, at
 * most BV_HTTP_MAX_HEADERS headers are kept, and the (de-chunked) body goes
 * into a heap buffer bounded by max_body, or to a callback when streaming.
 *
 * The parser is paused at the end of every message, so a caller feeding a
 * buffer that holds several pipelined messages gets them one by one and
 * keeps the unparsed rest. Nothing here does I/O; this is the only place
 * that knows about http_parser.h.
 */

struct bv_http_msg;

/* A buffer (body, write buffer) larger than this is not kept between messages. */
#define BV_HTTP_KEEP_BUF (64 * 1024)

/*
 * Grows the heap buffer *buf of *cap bytes to hold at least want bytes,
 * doubling, but to no more than limit unless want itself is more (so what
 * a peer announces cannot make us reserve slack beyond it). Returns 0 or
 * -ENOMEM, *buf and *cap intact then.
 */
int bv_http_buf_reserve(char **buf, size_t *cap, size_t want, size_t limit);

/* Frees *buf (an empty one) once it grew past BV_HTTP_KEEP_BUF, so one big message pins nothing. */
void bv_http_buf_trim(char **buf, size_t *cap);

/* Called once the head is parsed, before the body limit is checked; return < 0 (an -errno) to abort. */
typedef int (*bv_http_msg_head_cb)(struct bv_http_msg *m);
/* Called with body bytes when streaming; return < 0 (an -errno) to abort. */
typedef int (*bv_http_msg_data_cb)(struct bv_http_msg *m, const char *data, size_t len);

struct bv_http_msg {
        http_parser parser;
        /* Set by the owner. */
        size_t max_body;              /* collected bodies; ignored when on_data is set; on_head may lower it */
        size_t max_head;              /* raw bytes of a head, at most BV_HTTP_MAX_HEAD (set by init) */
        bool skip_body;               /* response to HEAD: no body whatever the headers say */
        bv_http_msg_head_cb on_head;  /* optional */
        bv_http_msg_data_cb on_data;  /* optional: stream the body instead of collecting it */
        void *userdata;

        /* State of the message being parsed. */
        bool headers_done;
        bool complete;                /* a whole message was parsed (parser is between messages) */
        bool keep_alive;              /* valid once complete */
        int error;                    /* -errno recorded by a callback */
        int error_status;             /* HTTP status a server answers an error with */
        unsigned last;                /* which element the arena is appending to */
        size_t head_len;              /* bytes used in head[] */
        size_t head_bytes;            /* raw bytes of the head fed so far (by earlier feeds) */
        const char *feed, *seen;      /* the feed being parsed, and the end of its last head element seen */
        size_t url_off;
        char *path, *query;           /* request target split at '?', in head[] */
        size_t n_headers;
        struct bv_http_header headers[BV_HTTP_MAX_HEADERS];
        char *body;                   /* NUL-terminated when set */
        size_t body_len, body_cap;
        char head[BV_HTTP_MAX_HEAD];
};

/* Prepares m for parsing requests (server) or responses (client). */
void bv_http_msg_init(struct bv_http_msg *m, bool request, size_t max_body);
/* Frees the body buffer; m itself belongs to the caller. */
void bv_http_msg_done(struct bv_http_msg *m);

/*
 * Feeds len bytes (len == 0 signals end of input). Returns the bytes
 * consumed; when m->complete is set afterwards, one message is complete and
 * the rest of the buffer belongs to the next one. Errors: -EPROTO for
 * malformed HTTP (m->error_status 400), -EMSGSIZE past a limit
 * (m->error_status 413 for the body, 431 for the head), -ECONNRESET when the
 * input ended inside a message, or whatever a callback returned. After an
 * error m must be re-initialised before it is used again.
 */
ssize_t bv_http_msg_feed(struct bv_http_msg *m, const char *data, size_t len);

/* A short description of the last parse error of m, for messages. */
const char *bv_http_msg_strerror(const struct bv_http_msg *m);

/* Resets the per-message state after a complete message was consumed. */
void bv_http_msg_next(struct bv_http_msg *m);

/*
 * Fills req from a complete request in m (pointers into m; valid until the
 * next feed). Peer credentials are left for the caller.
 */
void bv_http_msg_to_request(struct bv_http_msg *m, struct bv_http_request *req);

/*
 * Builds a heap response (status, headers and, unless streaming, the body,
 * whose buffer is taken from m) from m, whose head must be done. Returns
 * NULL on ENOMEM.
 */
struct bv_http_response *bv_http_msg_to_response(struct bv_http_msg *m, bool with_body);

/*
 * Fuzzing entry points: feed data through the same parsing code the server
 * (requests, pipelined, in pieces whose size the first byte picks) and the
 * client (one response, then end of input) use, without sockets. cb (may
 * be NULL) sees every complete request, as a handler would. Return 0 or
 * the -errno the parse ended with.
 */
typedef void (*bv_http_fuzz_request_cb)(const struct bv_http_request *req, void *userdata);
int bv_http_fuzz_parse_requests(const uint8_t *data, size_t len, bv_http_fuzz_request_cb cb,
                                void *userdata);
int bv_http_fuzz_parse_response(const uint8_t *data, size_t len);
