/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * HTTP/1.1 over UNIX sockets, server and client, on the event loop. All
 * parsing is done by libhttp-parser behind this interface (so it could be
 * swapped for llhttp without touching callers); the socket I/O around it is
 * ours: bounded buffers, keep-alive, chunked streaming responses.
 *
 * Limits: a request or response head is at most BV_HTTP_MAX_HEAD bytes and at
 * most BV_HTTP_MAX_HEADERS headers; a body is at most the configured max
 * (server: 413 beyond it; client: -EMSGSIZE). Nothing here blocks except
 * bv_http_client_call(), which runs the client's loop until the answer.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/loop.h"

#define BV_HTTP_MAX_HEAD (16 * 1024)
#define BV_HTTP_MAX_HEADERS 64
#define BV_HTTP_DEFAULT_MAX_BODY (1024 * 1024)

struct bv_http_header {
        char *name;   /* as received; compare with strcasecmp */
        char *value;
};

/* ---- server ---------------------------------------------------------- */

struct bv_http_server;
struct bv_http_conn;   /* one client connection; refcounted */

struct bv_http_request {
        const char *method;       /* "GET", "POST", ... */
        const char *path;         /* without the query, percent-decoding not applied */
        const char *query;        /* after '?', or NULL */
        const struct bv_http_header *headers;
        size_t n_headers;
        const char *body;         /* NUL-terminated for convenience; may contain NULs */
        size_t body_len;
        pid_t peer_pid;           /* SO_PEERCRED of the connection */
        uid_t peer_uid;
        gid_t peer_gid;
};

/* Returns the value of header name (case-insensitive) or NULL. */
const char *bv_http_request_header(const struct bv_http_request *req, const char *name);

/*
 * Called once per complete request. The handler must eventually answer with
 * exactly one of bv_http_conn_respond*() or bv_http_conn_stream_begin(); it
 * may do so later from another callback, holding a reference taken with
 * bv_http_conn_ref(). No further request on that connection is read until
 * the answer is complete. The request is only valid during the call.
 */
typedef void (*bv_http_handler)(struct bv_http_conn *conn, const struct bv_http_request *req,
                                void *userdata);

struct bv_http_server_config {
        size_t max_body;           /* 0: BV_HTTP_DEFAULT_MAX_BODY */
        unsigned max_conns;        /* 0: 256; further connections are refused */
        uint64_t idle_timeout_usec; /* 0: 60 s; idle keep-alive connections are closed */
};

/*
 * Serves HTTP on the listening socket listen_fd (non-blocking; the server
 * does not own it). config may be NULL for defaults. Malformed requests get
 * a 400, heads over the limits a 431, bodies over max_body a 413 (decided
 * from Content-Length before the body is read), all as JSON errors, and the
 * connection is closed. Returns 0, -EINVAL or -ENOMEM.
 */
int bv_http_server_new(struct bv_loop *loop, int listen_fd,
                       const struct bv_http_server_config *config, bv_http_handler handler,
                       void *userdata, struct bv_http_server **ret, struct bv_error *err);
/* Closes every connection and frees the server. NULL accepted; returns NULL. */
struct bv_http_server *bv_http_server_free(struct bv_http_server *s);
/* Connections open now, and accepted since the server was created (for status and tests). */
unsigned bv_http_server_n_conns(const struct bv_http_server *s);
uint64_t bv_http_server_n_accepted(const struct bv_http_server *s);

/*
 * Takes and drops a reference on c, for a handler that answers later. The
 * last unref frees a closed connection. NULL accepted; ref returns c,
 * unref NULL.
 */
struct bv_http_conn *bv_http_conn_ref(struct bv_http_conn *c);
struct bv_http_conn *bv_http_conn_unref(struct bv_http_conn *c);
/*
 * True once the peer went away (or the server closed the connection). From
 * then on every bv_http_conn_respond*() and bv_http_conn_stream_*() call on c
 * does nothing and returns -EPIPE; the memory stays valid until the last
 * reference is dropped.
 */
bool bv_http_conn_closed(const struct bv_http_conn *c);

/*
 * Sends a complete response with Content-Length. content_type may be NULL
 * for no body type. Keep-alive follows the request. Never blocks: what the
 * socket does not take is flushed from the loop. Returns 0, -EPIPE (peer
 * gone), -EINVAL (already answered, bad status, CR/LF in content_type) or
 * -ENOMEM. Answering a request a handler deferred lets the next pipelined
 * request of that connection be dispatched (from the loop, not from here).
 */
int bv_http_conn_respond(struct bv_http_conn *c, int status, const char *content_type,
                         const void *body, size_t len);
/* Sends {"error": msg, "code": status} with the status (built by jansson). */
int bv_http_conn_respond_error(struct bv_http_conn *c, int status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/*
 * Starts a chunked streaming response; then any number of
 * bv_http_conn_stream_write() and one bv_http_conn_stream_end(). on_close,
 * if set, is called once when the peer disconnects during the stream.
 * Output is buffered up to a limit (1 MiB); past it the write fails with
 * -ENOBUFS (a slow reader is the caller's to drop). on_close is never called
 * from inside these functions: when a write finds the peer gone, the call
 * returns -EPIPE and on_close follows from the loop. It is not called after
 * bv_http_conn_stream_end(). HTTP/1.0 peers get the raw body and a close.
 */
typedef void (*bv_http_close_cb)(struct bv_http_conn *c, void *userdata);
int bv_http_conn_stream_begin(struct bv_http_conn *c, int status, const char *content_type,
                              bv_http_close_cb on_close, void *userdata);
int bv_http_conn_stream_write(struct bv_http_conn *c, const void *data, size_t len);
int bv_http_conn_stream_end(struct bv_http_conn *c);

/* Short reason phrase for a status code ("Not Found"). */
const char *bv_http_status_text(int status);

/* ---- query strings ---------------------------------------------------- */

/*
 * Finds key in the query string query ("a=1&b=2", the request's query; NULL
 * is an empty one), with application/x-www-form-urlencoded decoding of keys
 * and values: '+' is a space, %XX the byte XX (hex, either case). Keys
 * match whole ("forced=1" is not "force"); a bare "force" or "force=" is
 * present with the value "". Empty pairs ("a=1&&b=2") are skipped.
 *
 * Returns 1 with the decoded value NUL-terminated in buf, or 0 when key is
 * absent (buf set to "" when len > 0). Errors leave buf untouched:
 * -EINVAL when any pair of the query holds a malformed escape ("%G1", a
 * truncated "%4") or an escaped NUL, when key is given twice (a client
 * must not get one value past a check and another to the code), or when
 * key is NULL or empty; -ENOBUFS when the value and its NUL do not fit in
 * len bytes. Pure function: no allocation, no I/O.
 */
int bv_http_query_get(const char *query, const char *key, char *buf, size_t len);

/*
 * A boolean query parameter, with bv_http_query_get()'s decoding: absent
 * gives *ret = false and returns 0; "", "1", "true" and "yes" give true,
 * "0", "false" and "no" false, and return 1 (so a bare "?force" is true).
 * Anything else, and every error of bv_http_query_get(), is -EINVAL with
 * *ret untouched: the caller answers 400 naming the key.
 */
int bv_http_query_flag(const char *query, const char *key, bool *ret);

/* ---- client ---------------------------------------------------------- */

struct bv_http_response {
        int status;
        struct bv_http_header *headers;
        size_t n_headers;
        char *body;        /* NUL-terminated; NULL when streamed to a callback */
        size_t body_len;
};
/* Frees a response handed to a done callback or by bv_http_client_call(). NULL accepted; returns NULL. */
struct bv_http_response *bv_http_response_free(struct bv_http_response *r);
/* Returns the value of header name (case-insensitive) or NULL; it lives as long as r. */
const char *bv_http_response_header(const struct bv_http_response *r, const char *name);

struct bv_http_client;     /* one keep-alive connection to one UNIX socket */

/*
 * A client of the server on socket_path (copied). Connects lazily: the
 * socket is opened at the first request, without blocking. Returns 0,
 * -EINVAL or -ENOMEM.
 */
int bv_http_client_new(struct bv_loop *loop, const char *socket_path,
                       struct bv_http_client **ret, struct bv_error *err);
/*
 * Closes the connection and frees c; every request still active or queued
 * completes with -ECANCELED first. Safe from inside c's callbacks (deferred
 * until they return). NULL accepted; returns NULL.
 */
struct bv_http_client *bv_http_client_free(struct bv_http_client *c);

struct bv_http_client_request {
        const char *method;
        const char *path;               /* including any query */
        const char *content_type;       /* NULL: no Content-Type */
        const void *body;
        size_t body_len;
        uint64_t timeout_usec;          /* 0: 30 s; whole exchange, or idle time when streaming */
        size_t max_body;                /* 0: BV_HTTP_DEFAULT_MAX_BODY (ignored when streaming) */
        /*
         * When set, body bytes (de-chunked) are passed here as they arrive
         * instead of being collected; the response handed to done then has
         * body == NULL.  Return < 0 to abort the exchange.
         */
        int (*on_body)(const char *data, size_t len, void *userdata);
        /* When set with on_body, called once the head has arrived. */
        void (*on_head)(const struct bv_http_response *head, void *userdata);
};

/*
 * Sends a request on the loop. Returns 0 once accepted, or -EINVAL (bad
 * arguments, CR/LF or blanks in method or path), -ENOMEM, -ECANCELED (client
 * being freed); then done is not called. Otherwise done is called exactly
 * once, never from inside this function: with ret == 0
 * and the response (owned by the callee: free it with
 * bv_http_response_free()), or with ret < 0, resp == NULL and err filled
 * (-ECONNREFUSED/-ENOENT when nobody listens, -ETIMEDOUT, -EPROTO for
 * malformed HTTP, -EMSGSIZE past a limit, -ECONNRESET, -ECANCELED when the
 * client is freed first). Requests on one client are serialised: a second
 * request waits for the first. on_body and on_head get done's userdata; they
 * must not free the client (return < 0 from on_body instead). A request whose
 * kept-alive connection turns out closed before any byte of the response
 * arrived is sent again once on a new connection.
 */
typedef void (*bv_http_done_cb)(int ret, struct bv_http_response *resp,
                                const struct bv_error *err, void *userdata);
int bv_http_client_send(struct bv_http_client *c, const struct bv_http_client_request *req,
                        bv_http_done_cb done, void *userdata);

/*
 * Blocking request for CLIs and tests: runs c's loop (other sources on it
 * run too) until the response arrives or the request's timeout passes.
 * Returns 0 with *ret set (free it with bv_http_response_free()), or -errno
 * with err filled.
 */
int bv_http_client_call(struct bv_http_client *c, const struct bv_http_client_request *req,
                        struct bv_http_response **ret, struct bv_error *err);
