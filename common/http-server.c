/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The HTTP/1.1 server side of common/common.h (HTTP): accepts on a non-blocking
 * listening UNIX socket, reads requests through bv_http_msg_feed() and hands
 * each complete one to the handler, writes responses (Content-Length) and
 * streams (chunked) through a per-connection write buffer flushed on
 * EPOLLOUT. It never blocks.
 *
 * Invariants:
 * - A connection is in one of three states: READING (parsing, no request
 *   outstanding), PENDING (a request was handed to the handler and is not
 *   answered yet) or STREAMING (a chunked response is open). Only READING
 *   parses input; in the other states pipelined bytes wait in rbuf (or in the
 *   socket), so one request is answered before the next is dispatched.
 *   EPOLLIN is switched off lazily: it stays on while a request is pending
 *   and goes off only when input arrives then, which saves two epoll_ctl()
 *   calls on every request of a client that waits for its answers.
 * - rbuf holds only bytes the parser has not consumed yet; it is empty
 *   whenever the socket is read.
 * - The server holds one reference on each open connection and drops it in
 *   conn_close(); handlers may hold more. A closed connection keeps its
 *   memory until the last reference goes, and every call on it is a no-op
 *   returning -EPIPE.
 * - User callbacks (the handler, on_close) are never called from inside a
 *   bv_http_conn_*() call: a write error found there only marks the
 *   connection closed and finishes the teardown from the loop.
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/common-internal.h"
#include "common/common.h"

#define RBUF_SIZE (16 * 1024)
/* Output a stream may have queued for a slow reader before writes fail with -ENOBUFS. */
#define STREAM_WBUF_MAX (1024 * 1024)
#define ACCEPT_BATCH 32
#define ACCEPT_RETRY_USEC (100 * 1000)

enum conn_state { CONN_READING, CONN_PENDING, CONN_STREAMING };

struct bv_http_server {
        struct bv_loop *loop;
        int listen_fd;
        struct bv_watch *listen_watch;
        struct bv_timer *accept_retry;
        size_t max_body, max_head;
        unsigned max_conns;
        uint64_t idle_timeout, request_timeout;
        size_t (*body_limit)(const struct bv_http_request *head, void *userdata);
        bv_http_handler handler;
        void *userdata;
        void (*on_response)(struct bv_http_conn *c, int status, void *note, void *userdata);
        void (*on_reject)(struct bv_http_conn *c, const struct bv_http_request *req, void *userdata);
        struct bv_http_conn *conns;
        unsigned n_conns;
        uint64_t n_accepted;
};

struct bv_http_conn {
        unsigned refs;
        struct bv_http_server *server;     /* NULL once closed */
        struct bv_http_conn *prev, *next;
        int fd;
        struct bv_watch *watch;
        uint32_t events;
        struct bv_timer *idle_timer;
        struct bv_timer *soon_timer;       /* holds a reference while armed */
        uint64_t last_active;
        uint64_t req_began;                /* first byte of the request being read, 0: none yet */
        enum conn_state state;
        bool closed;                       /* peer gone or connection torn down */
        bool torn_down;
        bool close_soon;                   /* soon_timer tears down */
        bool resume_soon;                  /* soon_timer parses pipelined bytes */
        bool close_after_flush;
        bool keep_alive;                   /* of the request being answered */
        bool http10;
        bool no_body;                      /* HEAD: heads only */
        bool in_dispatch;
        bool input_unwanted;               /* EPOLLIN fired while not READING */
        bv_http_close_cb on_close;
        void *close_userdata;
        pid_t peer_pid;
        uid_t peer_uid;
        gid_t peer_gid;
        void *peer_data;                   /* of an adopted connection, freed by peer_data_free */
        void (*peer_data_free)(void *);
        void *note;                        /* the request's, for on_response (bv_http_conn_set_note()) */
        void (*note_free)(void *);
        char *wbuf;
        size_t wpos, wlen, wcap;
        size_t rpos, rlen;
        char rbuf[RBUF_SIZE];
        struct bv_http_msg msg;
};

static void conn_close(struct bv_http_conn *c);
static void conn_process(struct bv_http_conn *c);
static void refuse(int fd);

struct bv_http_conn *bv_http_conn_ref(struct bv_http_conn *c)
{
        if (c)
                c->refs++;
        return c;
}

struct bv_http_conn *bv_http_conn_unref(struct bv_http_conn *c)
{
        if (!c || --c->refs > 0)
                return NULL;
        /* The server's reference is only dropped by conn_close(), so c is torn down. */
        bv_http_msg_done(&c->msg);
        if (c->peer_data_free)
                c->peer_data_free(c->peer_data);
        bv_http_conn_set_note(c, NULL, NULL);
        free(c->wbuf);
        free(c);
        return NULL;
}

bool bv_http_conn_closed(const struct bv_http_conn *c)
{
        return c->closed;
}

static void conn_update_events(struct bv_http_conn *c)
{
        uint32_t ev = 0;

        if (c->torn_down)
                return;
        if (c->closed)
                ev = 0;
        else {
                if (c->wpos < c->wlen)
                        ev |= EPOLLOUT;
                if (c->state == CONN_READING && !c->close_after_flush && c->rpos >= c->rlen) {
                        ev |= EPOLLIN;
                        c->input_unwanted = false;
                } else if ((c->events & EPOLLIN) && !c->input_unwanted)
                        ev |= EPOLLIN; /* lazy: off only once input really arrives */
        }
        if (ev != c->events && bv_watch_set_events(c->watch, ev) == 0)
                c->events = ev;
}

static void on_soon(struct bv_loop *loop, void *userdata)
{
        struct bv_http_conn *c = userdata;

        c->soon_timer = NULL;
        if (c->close_soon)
                conn_close(c);
        else if (c->resume_soon && !c->torn_down) {
                c->resume_soon = false;
                conn_process(c);
                conn_update_events(c);
        }
        bv_http_conn_unref(c);
}

static void conn_schedule(struct bv_http_conn *c)
{
        if (c->soon_timer || c->torn_down)
                return;
        if (bv_loop_add_timer(c->server->loop, 0, on_soon, c, &c->soon_timer) == 0)
                bv_http_conn_ref(c);
}

/* Marks c closed now and tears it down from the loop (no callbacks from here). */
static void conn_close_soon(struct bv_http_conn *c)
{
        c->closed = true;
        c->close_soon = true;
        conn_schedule(c);
        if (!c->soon_timer) { /* no memory for a timer: tear down now, without on_close */
                c->on_close = NULL;
                conn_close(c);
        }
}

static void conn_close(struct bv_http_conn *c)
{
        struct bv_http_server *s = c->server;

        if (c->torn_down)
                return;
        bv_http_conn_ref(c);
        c->torn_down = true;
        c->closed = true;
        c->idle_timer = bv_timer_cancel(c->idle_timer);
        if (c->soon_timer) {
                c->soon_timer = bv_timer_cancel(c->soon_timer);
                c->refs--; /* the timer's */
        }
        c->watch = bv_watch_remove(c->watch);
        close(c->fd);
        c->fd = -1;
        if (c->prev)
                c->prev->next = c->next;
        else
                s->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        c->prev = c->next = NULL;
        s->n_conns--;
        c->server = NULL;
        if (c->state == CONN_STREAMING && c->on_close) {
                bv_http_close_cb cb = c->on_close;
                c->on_close = NULL;
                cb(c, c->close_userdata);
        }
        c->refs--; /* the server's; the one taken above keeps c alive */
        bv_http_conn_unref(c);
}

/* Writes what is buffered. Returns 0 (done or would block) or -errno (peer gone). */
static int conn_flush(struct bv_http_conn *c)
{
        size_t before = c->wpos;
        int r = bv_fd_send_some(c->fd, c->wbuf, c->wlen, &c->wpos);

        if (c->wpos != before)
                c->last_active = bv_now_usec();
        if (r < 0 || c->wpos < c->wlen)
                return r;
        c->wpos = c->wlen = 0;
        bv_http_buf_trim(&c->wbuf, &c->wcap);
        return 0;
}

/* Flushes from a public call: errors only mark the connection (see invariants). */
static int conn_flush_api(struct bv_http_conn *c)
{
        int r = conn_flush(c);

        if (r < 0) {
                conn_close_soon(c);
                return -EPIPE;
        }
        if (c->wpos >= c->wlen && c->close_after_flush) {
                conn_close(c); /* the answer is complete: no callback runs from here */
                return 0;
        }
        if (!c->in_dispatch)
                conn_update_events(c);
        return 0;
}

static int wbuf_reserve(struct bv_http_conn *c, size_t more)
{
        return bv_http_buf_reserve(&c->wbuf, &c->wcap, c->wlen + more, SIZE_MAX);
}

static void wbuf_put(struct bv_http_conn *c, const void *data, size_t len)
{
        memcpy(c->wbuf + c->wlen, data, len);
        c->wlen += len;
}

/* The request is answered: go back to reading (or close after the flush). */
static void conn_response_done(struct bv_http_conn *c)
{
        c->state = CONN_READING;
        c->on_close = NULL;
        bv_http_msg_next(&c->msg);
        if (!c->keep_alive) {
                c->close_after_flush = true;
                c->rpos = c->rlen = 0;
                return;
        }
        if (!c->in_dispatch && c->rpos < c->rlen) {
                c->resume_soon = true;
                conn_schedule(c);
        }
}

static bool header_safe(const char *s)
{
        /* Defends against header injection through a content type we are given. */
        return !s || !strpbrk(s, "\r\n");
}

void bv_http_conn_set_note(struct bv_http_conn *c, void *note, void (*note_free)(void *))
{
        if (c->note_free)
                c->note_free(c->note);
        c->note = note;
        c->note_free = note_free;
}

void *bv_http_conn_note(const struct bv_http_conn *c)
{
        return c->note;
}

static int format_head(struct bv_http_conn *c, char *buf, size_t size, int status,
                       const char *content_type, const char *framing)
{
        /* Every answer's status, once, to whoever noted the request (the daemon's audit log). */
        if (c->note && c->server && c->server->on_response)
                c->server->on_response(c, status, c->note, c->server->userdata);
        bv_http_conn_set_note(c, NULL, NULL);
        const char *conn = !c->keep_alive ? "Connection: close\r\n"
                           : c->http10    ? "Connection: keep-alive\r\n"
                                          : "";
        int n = snprintf(buf, size, "HTTP/1.1 %d %s\r\n%s%s%s%s%s\r\n", status,
                         bv_http_status_text(status), content_type ? "Content-Type: " : "",
                         content_type ? content_type : "", content_type ? "\r\n" : "", framing, conn);
        return n < 0 || (size_t)n >= size ? -EINVAL : n;
}

int bv_http_conn_respond(struct bv_http_conn *c, int status, const char *content_type,
                         const void *body, size_t len)
{
        char head[512], framing[64];

        if (c->closed)
                return -EPIPE;
        if (c->state != CONN_PENDING || status < 100 || status > 999 || !header_safe(content_type))
                return -EINVAL;
        bool bodyless = status < 200 || status == 204 || status == 304;
        if (bodyless)
                framing[0] = '\0';
        else
                snprintf(framing, sizeof(framing), "Content-Length: %zu\r\n", len);
        if (bodyless || c->no_body)
                len = 0;
        int n = format_head(c, head, sizeof(head), status, content_type, framing);
        if (n < 0)
                return n;
        if (wbuf_reserve(c, (size_t)n + len) < 0)
                return -ENOMEM;
        wbuf_put(c, head, (size_t)n);
        if (len)
                wbuf_put(c, body, len);
        conn_response_done(c);
        return conn_flush_api(c);
}

/* {"error": msg, "code": status}; a message that is not UTF-8 keeps its readable parts. */
static char *error_json(int status, const char *msg)
{
        json_auto_t *v = json_pack("{s:o, s:i}", "error", bv_json_string_lossy(msg, strlen(msg)), "code", status);

        return v ? json_dumps(v, 0) : NULL;
}

int bv_http_conn_respond_error(struct bv_http_conn *c, int status, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        _cleanup_free_ char *s = error_json(status, msg);
        if (!s)
                return -ENOMEM;
        return bv_http_conn_respond(c, status, "application/json", s, strlen(s));
}

int bv_http_conn_stream_begin(struct bv_http_conn *c, int status, const char *content_type,
                              bv_http_close_cb on_close, void *userdata)
{
        char head[512];

        if (c->closed)
                return -EPIPE;
        if (c->state != CONN_PENDING || status < 200 || status > 999 || status == 204 ||
            status == 304 || !header_safe(content_type))
                return -EINVAL;
        /* HTTP/1.0 knows no chunks: the body runs until the connection closes. */
        if (c->http10)
                c->keep_alive = false;
        int n = format_head(c, head, sizeof(head), status, content_type,
                            c->http10 ? "" : "Transfer-Encoding: chunked\r\n");
        if (n < 0)
                return n;
        if (wbuf_reserve(c, (size_t)n) < 0)
                return -ENOMEM;
        wbuf_put(c, head, (size_t)n);
        c->state = CONN_STREAMING;
        c->on_close = on_close;
        c->close_userdata = userdata;
        return conn_flush_api(c);
}

int bv_http_conn_stream_write(struct bv_http_conn *c, const void *data, size_t len)
{
        char size[32];

        if (c->closed)
                return -EPIPE;
        if (c->state != CONN_STREAMING)
                return -EINVAL;
        if (len == 0 || c->no_body)
                return 0; /* an empty chunk would end the stream */
        int n = c->http10 ? 0 : snprintf(size, sizeof(size), "%zx\r\n", len);
        size_t total = (size_t)n + len + (c->http10 ? 0 : 2);
        /* Defends against a reader that never reads: its output stops here. */
        if (c->wlen - c->wpos + total > STREAM_WBUF_MAX)
                return -ENOBUFS;
        if (wbuf_reserve(c, total) < 0)
                return -ENOMEM;
        wbuf_put(c, size, (size_t)n);
        wbuf_put(c, data, len);
        if (!c->http10)
                wbuf_put(c, "\r\n", 2);
        return conn_flush_api(c);
}

int bv_http_conn_stream_end(struct bv_http_conn *c)
{
        if (c->closed)
                return -EPIPE;
        if (c->state != CONN_STREAMING)
                return -EINVAL;
        if (!c->http10 && !c->no_body) {
                if (wbuf_reserve(c, 5) < 0)
                        return -ENOMEM;
                wbuf_put(c, "0\r\n\r\n", 5);
        }
        conn_response_done(c);
        return conn_flush_api(c);
}

/* The request being parsed or dispatched on c, with the peer's credentials. */
static void conn_request(struct bv_http_conn *c, struct bv_http_request *req)
{
        bv_http_msg_to_request(&c->msg, req);
        req->peer_pid = c->peer_pid;
        req->peer_uid = c->peer_uid;
        req->peer_gid = c->peer_gid;
        req->peer_data = c->peer_data;
}

/* Answers a request we could not parse, then closes. */
static void conn_reject(struct bv_http_conn *c)
{
        struct bv_http_msg *m = &c->msg;
        int status = m->error_status ? m->error_status : 400;

        c->state = CONN_PENDING;
        c->keep_alive = false;
        c->http10 = false;
        c->no_body = false;
        c->rpos = c->rlen = 0;
        c->in_dispatch = true;
        if (c->server->on_reject) {
                struct bv_http_request req;
                conn_request(c, &req);
                if (!m->path)
                        req.method = "";  /* not even the request line was parsed */
                c->server->on_reject(c, &req, c->server->userdata);
        }
        if (status == 413)
                bv_http_conn_respond_error(c, 413, "Request body exceeds the limit of %zu bytes",
                                           m->max_body);
        else if (status == 431)
                bv_http_conn_respond_error(c, 431,
                                           "Request head exceeds the limit of %zu bytes or %d headers",
                                           m->max_head, BV_HTTP_MAX_HEADERS);
        else if (status == 408)
                bv_http_conn_respond_error(c, 408, "Request not complete within %llu ms",
                                           (unsigned long long)(c->server->request_timeout / 1000));
        else if (status == 500)
                bv_http_conn_respond_error(c, 500, "Out of memory reading the request");
        else
                bv_http_conn_respond_error(c, 400, "Malformed HTTP request: %s",
                                           bv_http_msg_strerror(m));
        c->in_dispatch = false;
        if (!c->torn_down && c->state == CONN_PENDING) /* could not even queue it */
                conn_close(c);
}

static void conn_dispatch(struct bv_http_conn *c)
{
        struct bv_http_msg *m = &c->msg;
        struct bv_http_request req;

        c->state = CONN_PENDING;
        c->req_began = 0;
        c->keep_alive = m->keep_alive;
        c->http10 = m->parser.http_major < 1 || (m->parser.http_major == 1 && m->parser.http_minor == 0);
        c->no_body = m->parser.method == HTTP_HEAD;
        conn_request(c, &req);
        c->in_dispatch = true;
        c->server->handler(c, &req, c->server->userdata);
        c->in_dispatch = false;
}

/* Parses what rbuf holds while no request is outstanding. */
static void conn_process(struct bv_http_conn *c)
{
        while (c->state == CONN_READING && !c->closed && !c->close_after_flush && c->rpos < c->rlen) {
                if (!c->req_began)
                        c->req_began = bv_now_usec();
                ssize_t n = bv_http_msg_feed(&c->msg, c->rbuf + c->rpos, c->rlen - c->rpos);
                if (n < 0) {
                        conn_reject(c);
                        return;
                }
                c->rpos += (size_t)n;
                if (c->msg.complete)
                        conn_dispatch(c);
                else if (n == 0)
                        break;
        }
        if (c->rpos >= c->rlen)
                c->rpos = c->rlen = 0;
}

static void conn_read(struct bv_http_conn *c)
{
        ssize_t n;

        do
                n = read(c->fd, c->rbuf, sizeof(c->rbuf));
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                if (errno != EAGAIN)
                        conn_close(c);
                return;
        }
        if (n == 0) {
                /* End of input: a half-sent request is dropped; answered ones still flush. */
                if (bv_http_msg_feed(&c->msg, "", 0) < 0 || c->wpos >= c->wlen)
                        conn_close(c);
                else
                        c->close_after_flush = true;
                return;
        }
        c->rpos = 0;
        c->rlen = (size_t)n;
        c->last_active = bv_now_usec();
        conn_process(c);
}

static void conn_event(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct bv_http_conn *c = userdata;

        if (c->closed) /* teardown already scheduled */
                return;
        bv_http_conn_ref(c);
        if (events & EPOLLERR)
                conn_close(c);
        if (!c->torn_down && (events & EPOLLOUT)) {
                if (conn_flush(c) < 0)
                        conn_close(c);
                else if (c->wpos >= c->wlen && c->close_after_flush)
                        conn_close(c);
        }
        if (!c->torn_down && (events & EPOLLIN) && c->state == CONN_READING && !c->close_after_flush)
                conn_read(c);
        else {
                if (events & EPOLLIN)
                        c->input_unwanted = true; /* not now: conn_update_events() turns EPOLLIN off */
                if (!c->torn_down && (events & EPOLLHUP))
                        conn_close(c); /* gone for good; nothing we queue can arrive */
        }
        conn_update_events(c);
        bv_http_conn_unref(c);
}

/*
 * The one timer of a connection: while READING, an idle connection is
 * closed after idle_timeout, and a request begun but not complete within
 * request_timeout (slowloris: one byte now and then keeps it from being
 * idle) gets a 408 and is closed.
 */
static void on_idle(struct bv_loop *loop, void *userdata)
{
        struct bv_http_conn *c = userdata;
        const struct bv_http_server *s = c->server;
        uint64_t now = bv_now_usec(), left = BV_MIN(s->idle_timeout, s->request_timeout);

        c->idle_timer = NULL;
        if (c->state == CONN_READING) {
                if (c->req_began && now - c->req_began >= s->request_timeout) {
                        c->msg.error_status = 408;
                        bv_http_conn_ref(c);  /* the answer's flush may close c */
                        conn_reject(c);
                        bv_http_conn_unref(c);
                        return;
                }
                if (now - c->last_active >= s->idle_timeout) {
                        conn_close(c);
                        return;
                }
                left = s->idle_timeout - (now - c->last_active);
                if (c->req_began)
                        left = BV_MIN(left, s->request_timeout - (now - c->req_began));
        }
        bv_loop_add_timer(loop, left, on_idle, c, &c->idle_timer);
}

/* The body limit of the request whose head was just parsed. */
static int on_head(struct bv_http_msg *m)
{
        struct bv_http_conn *c = m->userdata;
        const struct bv_http_server *s = c->server;
        struct bv_http_request head;
        size_t limit = 0;

        if (s->body_limit) {
                conn_request(c, &head);
                limit = s->body_limit(&head, s->userdata);
        }
        m->max_body = limit ? limit : s->max_body;
        return 0;
}

static int conn_new(struct bv_http_server *s, int fd, void *peer_data, void (*peer_data_free)(void *))
{
        struct bv_http_conn *c = calloc(1, sizeof(*c));

        if (!c) {
                close(fd);
                return -ENOMEM;
        }
        c->refs = 1;
        c->server = s;
        c->fd = fd;
        c->state = CONN_READING;
        c->last_active = bv_now_usec();
        /* Unknown credentials must never look like root. */
        c->peer_pid = 0;
        c->peer_uid = (uid_t)-1;
        c->peer_gid = (gid_t)-1;
        struct ucred cred;
        socklen_t cl = sizeof(cred);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0 && cl == sizeof(cred)) {
                c->peer_pid = cred.pid;
                c->peer_uid = cred.uid;
                c->peer_gid = cred.gid;
        }
        bv_http_msg_init(&c->msg, true, s->max_body);
        c->msg.max_head = s->max_head;
        c->msg.userdata = c;
        c->msg.on_head = on_head;
        c->events = EPOLLIN;
        if (bv_loop_add_fd(s->loop, fd, EPOLLIN, conn_event, c, &c->watch) < 0 ||
            bv_loop_add_timer(s->loop, BV_MIN(s->idle_timeout, s->request_timeout), on_idle, c, &c->idle_timer) < 0) {
                bv_watch_remove(c->watch);
                close(fd);
                free(c);
                return -ENOMEM;
        }
        c->peer_data = peer_data;
        c->peer_data_free = peer_data_free;
        c->next = s->conns;
        if (s->conns)
                s->conns->prev = c;
        s->conns = c;
        s->n_conns++;
        return 0;
}

int bv_http_server_adopt(struct bv_http_server *s, int fd, void *peer_data, void (*peer_data_free)(void *))
{
        int r = -EMFILE;

        s->n_accepted++;
        if (s->n_conns >= s->max_conns)
                refuse(fd);
        else if ((r = conn_new(s, fd, peer_data, peer_data_free)) == 0)
                return 0;
        if (peer_data_free)
                peer_data_free(peer_data);
        return r;
}

static void refuse(int fd)
{
        char body[128], buf[384];
        int bn = snprintf(body, sizeof(body), "{\"error\": \"Too many connections\", \"code\": 503}");
        int n = snprintf(buf, sizeof(buf),
                         "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                         "Content-Length: %d\r\nConnection: close\r\n\r\n%s", bn, body);

        if (n > 0 && send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
                /* best effort: the peer is refused either way */
        }
        close(fd);
}

static void on_accept_retry(struct bv_loop *loop, void *userdata)
{
        struct bv_http_server *s = userdata;

        s->accept_retry = NULL;
        bv_watch_set_events(s->listen_watch, EPOLLIN);
}

static void on_accept(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct bv_http_server *s = userdata;

        for (int i = 0; i < ACCEPT_BATCH; i++) {
                int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (cfd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                                /* Out of fds: stop listening briefly instead of spinning. */
                                if (!s->accept_retry &&
                                    bv_loop_add_timer(loop, ACCEPT_RETRY_USEC, on_accept_retry, s,
                                                      &s->accept_retry) == 0)
                                        bv_watch_set_events(s->listen_watch, 0);
                        }
                        return;
                }
                s->n_accepted++;
                if (s->n_conns >= s->max_conns)
                        refuse(cfd);
                else
                        conn_new(s, cfd, NULL, NULL);
        }
}

int bv_http_server_new(struct bv_loop *loop, int listen_fd,
                       const struct bv_http_server_config *config, bv_http_handler handler,
                       void *userdata, struct bv_http_server **ret, struct bv_error *err)
{
        if (!loop || listen_fd < -1 || !handler || !ret)
                return bv_error_set(err, EINVAL, "Invalid arguments for the HTTP server");
        struct bv_http_server *s = calloc(1, sizeof(*s));
        if (!s)
                return bv_error_set(err, ENOMEM, "Out of memory");
        s->loop = loop;
        s->listen_fd = listen_fd;
        s->handler = handler;
        s->userdata = userdata;
        s->on_response = config ? config->on_response : NULL;
        s->on_reject = config ? config->on_reject : NULL;
        s->max_body = config && config->max_body ? config->max_body : BV_HTTP_DEFAULT_MAX_BODY;
        s->max_conns = config && config->max_conns ? config->max_conns : 256;
        s->idle_timeout = config && config->idle_timeout_usec ? config->idle_timeout_usec
                                                               : 60 * 1000000ULL;
        s->request_timeout = config && config->request_timeout_usec ? config->request_timeout_usec
                                                                     : 30 * 1000000ULL;
        s->max_head = config && config->max_head && config->max_head < BV_HTTP_MAX_HEAD ? config->max_head
                                                                                        : BV_HTTP_MAX_HEAD;
        s->body_limit = config ? config->body_limit : NULL;
        int r = listen_fd < 0 ? 0 : bv_loop_add_fd(loop, listen_fd, EPOLLIN, on_accept, s, &s->listen_watch);
        if (r < 0) {
                free(s);
                return bv_error_set_errno(err, r, "Failed to watch the API socket");
        }
        *ret = s;
        return 0;
}

unsigned bv_http_server_close_matching(struct bv_http_server *s, bool (*match)(void *peer_data, void *userdata),
                                       void *userdata)
{
        unsigned n = 0;
        bool again = true;

        /* From the head after each close: an on_close callback may close others too. */
        while (again) {
                again = false;
                for (struct bv_http_conn *c = s->conns; c; c = c->next)
                        if (c->peer_data && match(c->peer_data, userdata)) {
                                conn_close(c);
                                n++;
                                again = true;
                                break;
                        }
        }
        return n;
}

struct bv_http_server *bv_http_server_free(struct bv_http_server *s)
{
        if (!s)
                return NULL;
        while (s->conns)
                conn_close(s->conns);
        bv_watch_remove(s->listen_watch);
        bv_timer_cancel(s->accept_retry);
        free(s);
        return NULL;
}

unsigned bv_http_server_n_conns(const struct bv_http_server *s)
{
        return s->n_conns;
}

uint64_t bv_http_server_n_accepted(const struct bv_http_server *s)
{
        return s->n_accepted;
}
