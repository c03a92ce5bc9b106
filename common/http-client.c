/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The HTTP/1.1 client side of common/common.h (HTTP): one keep-alive connection to
 * one UNIX socket (or to what a connect callback returns: a remote barevirtd
 * through TLS), driven by the event loop. Requests are serialised; each
 * is formatted once into a reusable write buffer and sent with one send()
 * when the socket takes it; the response is read into a fixed buffer and
 * parsed by bv_http_msg_feed() (Content-Length, chunked and read-until-close
 * bodies).
 *
 * Invariants:
 * - At most one exchange is active; queued requests wait in a FIFO already
 *   formatted.
 * - wbuf keeps the whole active request until the exchange ends, so a
 *   request whose reused connection turns out to be dead before any byte of
 *   the response arrived is sent again, once, on a fresh connection.
 * - One timer per client, armed at or before the active deadline; firing
 *   early it re-arms itself, so the fast path arms no timer per request.
 * - done is called exactly once per accepted request, never from inside
 *   bv_http_client_send(); bv_http_client_free() from any callback is
 *   deferred until our frames are off the stack ("busy").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/common-internal.h"
#include "common/common.h"

#ifndef BAREVIRT_VERSION
#define BAREVIRT_VERSION "0"
#endif

#define RBUF_SIZE (16 * 1024)
#define DEFAULT_TIMEOUT_USEC (30 * 1000000ULL)

struct exchange {
        uint64_t timeout;
        size_t max_body;
        int (*on_body)(const char *data, size_t len, void *userdata);
        void (*on_head)(const struct bv_http_response *head, void *userdata);
        bool is_head;
        bv_http_done_cb done;
        void *userdata;
};

struct queued {
        struct queued *next;
        struct exchange x;
        size_t len;
        char data[];
};

struct bv_http_client {
        struct bv_loop *loop;
        char *path;                  /* the socket's, or the name of what connect() reaches */
        bv_http_connect_fn *connect;
        void *connect_data;
        int fd;
        struct bv_watch *watch;
        uint32_t events;
        bool reused;                 /* the connection already carried a response */
        bool active;
        bool got_bytes;              /* of the active response */
        bool retried;
        bool write_dead;             /* peer stopped reading our request; still read */
        int pending_error;           /* delivered from the timer (never from send) */
        unsigned busy;
        bool free_pending;
        struct exchange x;
        uint64_t deadline;
        struct bv_timer *timer;
        uint64_t timer_when;
        char *wbuf;
        size_t wpos, wlen, wcap;
        struct queued *q_head, *q_tail;
        struct bv_error err;
        char rbuf[RBUF_SIZE];
        struct bv_http_msg msg;
};

static void client_destroy(struct bv_http_client *c);

static void client_drop_conn(struct bv_http_client *c)
{
        c->watch = bv_watch_remove(c->watch);
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
        c->reused = false;
        c->write_dead = false;
}

static void on_timer(struct bv_loop *loop, void *userdata);
static void on_io(struct bv_loop *loop, int fd, uint32_t events, void *userdata);

static void arm_timer(struct bv_http_client *c, uint64_t when)
{
        if (c->timer && c->timer_when <= when)
                return;
        c->timer = bv_timer_cancel(c->timer);
        uint64_t now = bv_now_usec();
        if (bv_loop_add_timer(c->loop, when > now ? when - now : 0, on_timer, c, &c->timer) == 0)
                c->timer_when = when;
}

static void client_update_events(struct bv_http_client *c)
{
        uint32_t ev = EPOLLIN;

        if (!c->watch)
                return;
        if (c->active && c->wpos < c->wlen && !c->write_dead)
                ev |= EPOLLOUT;
        if (ev != c->events && bv_watch_set_events(c->watch, ev) == 0)
                c->events = ev;
}

static void start_next(struct bv_http_client *c);

/* Ends the active exchange: done(ret, resp). The caller holds busy. */
static void finish(struct bv_http_client *c, int ret)
{
        struct bv_http_response *resp = NULL;
        struct exchange x = c->x;

        if (ret == 0) {
                resp = bv_http_msg_to_response(&c->msg, !x.on_body);
                if (!resp)
                        ret = bv_error_set(&c->err, ENOMEM, "Out of memory");
        }
        if (ret < 0 || !c->msg.keep_alive)
                client_drop_conn(c);
        else
                c->reused = true;
        c->active = false;
        c->pending_error = 0;
        c->wpos = c->wlen = 0;
        bv_http_buf_trim(&c->wbuf, &c->wcap);
        if (c->msg.body_cap > BV_HTTP_KEEP_BUF)
                bv_http_msg_done(&c->msg);
        x.done(ret, resp, ret < 0 ? &c->err : NULL, x.userdata);
        if (!c->free_pending)
                start_next(c);
}

static int client_connect(struct bv_http_client *c)
{
        /* Non-blocking from birth: a full backlog fails with -EAGAIN instead of stalling the loop. */
        _cleanup_close_ int fd = c->connect ? c->connect(c->connect_data, &c->err)
                                            : bv_unix_connect(c->path, BV_UNIX_CONNECT_NONBLOCK, &c->err);
        if (fd < 0)
                return fd;
        int r = bv_loop_add_fd(c->loop, fd, EPOLLIN, on_io, c, &c->watch);
        if (r < 0)
                return bv_error_set_errno(&c->err, r, "Failed to watch the connection to '%s'", c->path);
        c->fd = TAKE_FD(fd);
        c->events = EPOLLIN;
        c->reused = false;
        return 0;
}

/* Sends what is left of the request. Returns 0, or -errno when the connection failed. */
static int client_flush(struct bv_http_client *c)
{
        if (!c->write_dead) {
                int r = bv_fd_send_some(c->fd, c->wbuf, c->wlen, &c->wpos);
                if (r < 0)
                        return r;
        }
        client_update_events(c);
        return 0;
}

static int on_msg_head(struct bv_http_msg *m)
{
        struct bv_http_client *c = m->userdata;
        int status = (int)m->parser.status_code;

        if (status / 100 == 1 || !c->x.on_head)
                return 0;
        struct bv_http_response head = {
                .status = status,
                .headers = m->headers,
                .n_headers = m->n_headers,
        };
        c->x.on_head(&head, c->x.userdata);
        return 0;
}

static int on_msg_data(struct bv_http_msg *m, const char *data, size_t len)
{
        struct bv_http_client *c = m->userdata;
        int r = c->x.on_body(data, len, c->x.userdata);

        if (r < 0)
                bv_error_set(&c->err, r, "Reading the response from '%s' was aborted", c->path);
        return r < 0 ? r : 0;
}

/* (Re)starts the active exchange on the current or a new connection. */
static void start_exchange(struct bv_http_client *c)
{
        c->got_bytes = false;
        c->wpos = 0;
        bv_http_msg_init(&c->msg, false, c->x.on_body ? SIZE_MAX : c->x.max_body);
        c->msg.skip_body = c->x.is_head;
        c->msg.on_head = c->x.on_head ? on_msg_head : NULL;
        c->msg.on_data = c->x.on_body ? on_msg_data : NULL;
        c->msg.userdata = c;
        if (c->fd < 0) {
                int r = client_connect(c);
                if (r < 0) {
                        c->pending_error = r;
                        arm_timer(c, 0);
                        return;
                }
        }
        if (client_flush(c) < 0) {
                /*
                 * Keep reading: the server may have answered (413) before
                 * closing, or closed a kept-alive connection (EOF: retry).
                 */
                c->write_dead = true;
                client_update_events(c);
        }
}

static void begin(struct bv_http_client *c, const struct exchange *x)
{
        c->x = *x;
        c->active = true;
        c->retried = false;
        c->pending_error = 0;
        c->deadline = bv_now_usec() + x->timeout;
        arm_timer(c, c->deadline);
        start_exchange(c);
}

static void start_next(struct bv_http_client *c)
{
        while (!c->active && c->q_head) {
                struct queued *q = c->q_head;
                c->q_head = q->next;
                if (!c->q_head)
                        c->q_tail = NULL;
                if (bv_http_buf_reserve(&c->wbuf, &c->wcap, q->len, SIZE_MAX) < 0) {
                        struct exchange x = q->x;
                        free(q);
                        bv_error_set(&c->err, ENOMEM, "Out of memory");
                        x.done(-ENOMEM, NULL, &c->err, x.userdata);
                        if (c->free_pending)
                                return;
                        continue;
                }
                memcpy(c->wbuf, q->data, q->len);
                c->wlen = q->len;
                struct exchange x = q->x;
                free(q);
                begin(c, &x);
        }
}

/* The connection ended (EOF or error) during the active exchange. */
static void conn_lost(struct bv_http_client *c, int error)
{
        if (!c->got_bytes && c->reused && !c->retried) {
                /* The server closed the kept-alive connection first: retry once. */
                c->retried = true;
                client_drop_conn(c);
                start_exchange(c);
                return;
        }
        if (error == 0 && c->got_bytes) {
                ssize_t r = bv_http_msg_feed(&c->msg, "", 0);
                if (r >= 0 && c->msg.complete) {
                        c->msg.keep_alive = false;
                        finish(c, 0);
                        return;
                }
        }
        if (error == 0 && !c->got_bytes)
                bv_error_set(&c->err, ECONNRESET, "'%s' closed the connection without answering", c->path);
        else if (error == 0)
                bv_error_set(&c->err, ECONNRESET,
                             "'%s' closed the connection before the response was complete", c->path);
        else
                bv_error_set_errno(&c->err, error, "Failed to read the response from '%s'", c->path);
        finish(c, -ECONNRESET);
}

static void handle_input(struct bv_http_client *c, size_t len)
{
        const char *p = c->rbuf;

        c->got_bytes = true;
        if (c->x.on_body)
                c->deadline = bv_now_usec() + c->x.timeout; /* idle time when streaming */
        while (len > 0) {
                ssize_t n = bv_http_msg_feed(&c->msg, p, len);
                if (c->free_pending)
                        return;
                if (n < 0) {
                        struct bv_http_msg *m = &c->msg;
                        if (n == -EMSGSIZE && m->error_status == 413)
                                bv_error_set(&c->err, EMSGSIZE, "Response body from '%s' exceeds %zu bytes",
                                             c->path, m->max_body);
                        else if (n == -EMSGSIZE)
                                bv_error_set(&c->err, EMSGSIZE, "Response head from '%s' exceeds %d bytes or %d headers",
                                             c->path, BV_HTTP_MAX_HEAD, BV_HTTP_MAX_HEADERS);
                        else if (n == -EPROTO || n == -ECONNRESET)
                                bv_error_set(&c->err, EPROTO, "Malformed HTTP response from '%s': %s",
                                             c->path, bv_http_msg_strerror(m));
                        else if (n == -ENOMEM)
                                bv_error_set(&c->err, ENOMEM, "Out of memory");
                        finish(c, n == -ECONNRESET ? -EPROTO : (int)n);
                        return;
                }
                p += n;
                len -= (size_t)n;
                if (!c->msg.complete) {
                        if (n == 0)
                                break;
                        continue;
                }
                int status = (int)c->msg.parser.status_code;
                if (status / 100 == 1 && status != 101) {
                        /* Interim response (100 Continue): the real one follows. */
                        bv_http_msg_next(&c->msg);
                        continue;
                }
                if (status == 101 || len > 0)
                        c->msg.keep_alive = false; /* upgrades and surplus bytes end the connection */
                finish(c, 0);
                return;
        }
}

static void on_io(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct bv_http_client *c = userdata;

        c->busy++;
        if ((events & EPOLLOUT) && c->active && !c->write_dead) {
                int r = client_flush(c);
                if (r < 0) {
                        c->write_dead = true;
                        client_update_events(c);
                }
        }
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                ssize_t n;
                do
                        n = read(c->fd, c->rbuf, sizeof(c->rbuf));
                while (n < 0 && errno == EINTR);
                if (n < 0 && errno == EAGAIN) {
                        /* nothing yet */
                } else if (!c->active) {
                        /* EOF, an error or bytes nobody asked for on an idle connection. */
                        client_drop_conn(c);
                } else if (n <= 0)
                        conn_lost(c, n < 0 ? errno : 0);
                else
                        handle_input(c, (size_t)n);
        }
        if (--c->busy == 0 && c->free_pending)
                client_destroy(c);
}

static void on_timer(struct bv_loop *loop, void *userdata)
{
        struct bv_http_client *c = userdata;

        c->timer = NULL;
        if (!c->active)
                return;
        c->busy++;
        uint64_t now = bv_now_usec();
        if (c->pending_error)
                finish(c, c->pending_error);
        else if (now >= c->deadline) {
                bv_error_set(&c->err, ETIMEDOUT, "Request to '%s' timed out after %.1f s", c->path,
                             (double)c->x.timeout / 1e6);
                finish(c, -ETIMEDOUT); /* drops the connection: its state is unknown */
        } else
                arm_timer(c, c->deadline);
        if (--c->busy == 0 && c->free_pending)
                client_destroy(c);
}

int bv_http_client_new(struct bv_loop *loop, const char *socket_path, struct bv_http_client **ret,
                       struct bv_error *err)
{
        if (!loop || !socket_path || !ret)
                return bv_error_set(err, EINVAL, "Invalid arguments for the HTTP client");
        struct bv_http_client *c = malloc(sizeof(*c));
        if (!c)
                return bv_error_set(err, ENOMEM, "Out of memory");
        memset(c, 0, offsetof(struct bv_http_client, rbuf));
        c->msg.body = NULL;
        c->msg.body_cap = 0;
        c->loop = loop;
        c->fd = -1;
        c->path = strdup(socket_path);
        if (!c->path) {
                free(c);
                return bv_error_set(err, ENOMEM, "Out of memory");
        }
        *ret = c;
        return 0;
}

int bv_http_client_new_connect(struct bv_loop *loop, const char *name, bv_http_connect_fn *connect, void *userdata,
                               struct bv_http_client **ret, struct bv_error *err)
{
        int r;

        if (!connect)
                return bv_error_set(err, EINVAL, "Invalid arguments for the HTTP client");
        if ((r = bv_http_client_new(loop, name, ret, err)) < 0)
                return r;
        (*ret)->connect = connect;
        (*ret)->connect_data = userdata;
        return 0;
}

static void client_destroy(struct bv_http_client *c)
{
        c->busy++; /* done callbacks below must not recurse into here */
        c->timer = bv_timer_cancel(c->timer);
        client_drop_conn(c);
        bv_error_set(&c->err, ECANCELED, "The HTTP client for '%s' was freed", c->path);
        if (c->active) {
                c->active = false;
                c->x.done(-ECANCELED, NULL, &c->err, c->x.userdata);
        }
        while (c->q_head) {
                struct queued *q = c->q_head;
                c->q_head = q->next;
                q->x.done(-ECANCELED, NULL, &c->err, q->x.userdata);
                free(q);
        }
        bv_http_msg_done(&c->msg);
        free(c->wbuf);
        free(c->path);
        free(c);
}

struct bv_http_client *bv_http_client_free(struct bv_http_client *c)
{
        if (!c || c->free_pending)
                return NULL;
        c->free_pending = true;
        if (c->busy == 0)
                client_destroy(c);
        return NULL;
}

static bool token_safe(const char *s, bool allow_space)
{
        /* Defends against request splitting through a method, path or content type. */
        for (; *s; s++)
                if (*s == '\r' || *s == '\n' || (!allow_space && (*s == ' ' || *s == '\t')))
                        return false;
        return true;
}

static size_t format_request(char *buf, size_t size, const struct bv_http_client_request *req)
{
        bool cl = req->body_len > 0 || (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0 &&
                                         strcmp(req->method, "DELETE") != 0);
        char clbuf[48] = "";

        if (cl)
                snprintf(clbuf, sizeof(clbuf), "Content-Length: %zu\r\n", req->body_len);
        int n = snprintf(buf, size,
                         "%s %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: barevirt/" BAREVIRT_VERSION
                         "\r\n%s%s%s%s\r\n",
                         req->method, req->path, req->content_type ? "Content-Type: " : "",
                         req->content_type ? req->content_type : "", req->content_type ? "\r\n" : "",
                         clbuf);
        if (n < 0 || (size_t)n >= size)
                return 0;
        if (req->body_len)
                memcpy(buf + n, req->body, req->body_len);
        return (size_t)n + req->body_len;
}

int bv_http_client_send(struct bv_http_client *c, const struct bv_http_client_request *req,
                        bv_http_done_cb done, void *userdata)
{
        if (!c || !req || !done || !req->method || !req->path || !req->method[0] || !req->path[0])
                return -EINVAL;
        if (c->free_pending)
                return -ECANCELED;
        if (!token_safe(req->method, false) || !token_safe(req->path, false) ||
            (req->content_type && !token_safe(req->content_type, true)) ||
            (req->body_len && !req->body))
                return -EINVAL;
        size_t head = strlen(req->method) + strlen(req->path) +
                      (req->content_type ? strlen(req->content_type) : 0) +
                      strlen(BAREVIRT_VERSION) + 160;
        if (req->body_len > SIZE_MAX - head)
                return -EMSGSIZE;
        size_t size = head + req->body_len;
        struct exchange x = {
                .timeout = req->timeout_usec ? req->timeout_usec : DEFAULT_TIMEOUT_USEC,
                .max_body = req->max_body ? req->max_body : BV_HTTP_DEFAULT_MAX_BODY,
                .on_body = req->on_body,
                .on_head = req->on_body ? req->on_head : NULL,
                .is_head = strcmp(req->method, "HEAD") == 0,
                .done = done,
                .userdata = userdata,
        };
        if (c->active || c->q_head) {
                struct queued *q = malloc(sizeof(*q) + size);
                if (!q)
                        return -ENOMEM;
                q->next = NULL;
                q->x = x;
                q->len = format_request(q->data, size, req);
                if (!q->len) {
                        free(q);
                        return -EINVAL;
                }
                if (c->q_tail)
                        c->q_tail->next = q;
                else
                        c->q_head = q;
                c->q_tail = q;
                return 0;
        }
        if (bv_http_buf_reserve(&c->wbuf, &c->wcap, size, SIZE_MAX) < 0)
                return -ENOMEM;
        c->wlen = format_request(c->wbuf, size, req);
        if (!c->wlen)
                return -EINVAL;
        begin(c, &x);
        return 0;
}

struct call_state {
        bool done;
        int ret;
        struct bv_http_response *resp;
        struct bv_error *err;
};

static void call_done(int ret, struct bv_http_response *resp, const struct bv_error *err, void *userdata)
{
        struct call_state *st = userdata;

        st->done = true;
        st->ret = ret;
        st->resp = resp;
        if (ret < 0 && st->err && err)
                *st->err = *err;
}

/* Forgets the request whose userdata is ud without calling its done callback. */
static void client_abandon(struct bv_http_client *c, void *ud, int error)
{
        if (c->active && c->x.userdata == ud) {
                c->x.done = call_done;
                c->busy++;
                bv_error_set(&c->err, error, "Request to '%s' abandoned", c->path);
                finish(c, error);
                c->busy--;
                return;
        }
        for (struct queued **p = &c->q_head, *prev = NULL; *p; prev = *p, p = &(*p)->next)
                if ((*p)->x.userdata == ud) {
                        struct queued *q = *p;
                        *p = q->next;
                        if (c->q_tail == q)
                                c->q_tail = prev;
                        free(q);
                        return;
                }
}

int bv_http_client_call(struct bv_http_client *c, const struct bv_http_client_request *req,
                        struct bv_http_response **ret, struct bv_error *err)
{
        struct call_state st = { .err = err };

        int r = bv_http_client_send(c, req, call_done, &st);
        if (r < 0)
                return bv_error_set(err, r, "Invalid HTTP request for '%s'", c ? c->path : "?");
        /* The client's own timer ends the exchange; the loop only has to run. */
        while (!st.done) {
                r = bv_loop_run_until(c->loop, &st.done, 3600 * 1000000ULL);
                if (r < 0 && r != -ETIMEDOUT && !st.done) {
                        client_abandon(c, &st, r);
                        return bv_error_set(err, r, "The event loop failed while waiting for '%s'", c->path);
                }
        }
        if (st.ret < 0)
                return st.ret;
        *ret = st.resp;
        return 0;
}
