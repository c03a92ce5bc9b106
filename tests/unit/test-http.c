/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of common/common.h (HTTP): a server and a client on one bv_loop in this
 * process, talking over a UNIX socket in a mkdtemp() directory; raw sockets
 * that write bytes straight to the server and read its reply; and fake
 * servers that answer with canned bytes for the client's corner cases.
 * Then a latency measurement of sequential GETs on one connection, and the
 * query-string readers (pure functions, no server).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/common.h"
#include "tests/tap.h"

struct ctx {
        struct bv_loop *loop;
        struct bv_http_server *server;
        unsigned on_close_calls;
        struct bv_http_conn *forever;     /* stream never ended */
        struct bv_http_conn *never;       /* request never answered */
        int forever_write_after_close;
        char last_path[128];
};

struct deferred {
        struct bv_http_conn *conn;
        int step;
};

static void on_defer(struct bv_loop *loop, void *userdata)
{
        struct deferred *d = userdata;

        bv_http_conn_respond(d->conn, 200, "text/plain", "deferred", 8);
        bv_http_conn_unref(d->conn);
        free(d);
}

static void on_stream_step(struct bv_loop *loop, void *userdata)
{
        struct deferred *d = userdata;
        static const char *parts[] = { "two\n", "three\n" };

        if (d->step < 2) {
                bv_http_conn_stream_write(d->conn, parts[d->step], strlen(parts[d->step]));
                d->step++;
                bv_loop_add_timer(loop, 5000, on_stream_step, d, NULL);
                return;
        }
        bv_http_conn_stream_end(d->conn);
        bv_http_conn_unref(d->conn);
        free(d);
}

static void on_forever_close(struct bv_http_conn *c, void *userdata)
{
        struct ctx *t = userdata;

        t->on_close_calls++;
}

static void handler(struct bv_http_conn *c, const struct bv_http_request *req, void *userdata)
{
        struct ctx *t = userdata;
        bool get = strcmp(req->method, "GET") == 0;

        snprintf(t->last_path, sizeof(t->last_path), "%s", req->path);
        if (strcmp(req->path, "/hello") == 0) {
                if (!get && strcmp(req->method, "HEAD") != 0) {
                        bv_http_conn_respond_error(c, 405, "Method '%s' not allowed on '%s'", req->method,
                                                   req->path);
                        return;
                }
                bv_http_conn_respond(c, 200, "text/plain", "hello", 5);
        } else if (strcmp(req->path, "/echo") == 0 && strcmp(req->method, "POST") == 0) {
                json_t *v = NULL;
                struct bv_error err = { 0 };
                if (bv_json_load_object(req->body, req->body_len, 4096, &v, &err) < 0) {
                        bv_http_conn_respond_error(c, 400, "%s", err.msg);
                        return;
                }
                json_auto_t *reply = json_pack("{s:o, s:s?}", "got", v, "query", req->query);
                _cleanup_free_ char *s = bv_json_dumps(reply);
                bv_http_conn_respond(c, 200, "application/json", s, strlen(s));
        } else if (strcmp(req->path, "/defer") == 0) {
                struct deferred *d = calloc(1, sizeof(*d));
                d->conn = bv_http_conn_ref(c);
                bv_loop_add_timer(t->loop, 20000, on_defer, d, NULL);
        } else if (strcmp(req->path, "/stream") == 0) {
                struct deferred *d = calloc(1, sizeof(*d));
                bv_http_conn_stream_begin(c, 200, "text/plain", NULL, NULL);
                bv_http_conn_stream_write(c, "one\n", 4);
                d->conn = bv_http_conn_ref(c);
                bv_loop_add_timer(t->loop, 5000, on_stream_step, d, NULL);
        } else if (strcmp(req->path, "/forever") == 0) {
                bv_http_conn_stream_begin(c, 200, "application/x-ndjson", on_forever_close, t);
                bv_http_conn_stream_write(c, "{}\n", 3);
                t->forever = bv_http_conn_ref(c);
        } else if (strcmp(req->path, "/never") == 0) {
                bv_http_conn_unref(t->never);
                t->never = bv_http_conn_ref(c);
        } else if (strcmp(req->path, "/big") == 0) {
                size_t n = 300 * 1000;
                _cleanup_free_ char *b = malloc(n);
                for (size_t i = 0; i < n; i++)
                        b[i] = (char)('a' + i % 26);
                bv_http_conn_respond(c, 200, "application/octet-stream", b, n);
        } else if (strcmp(req->path, "/peer") == 0) {
                char buf[64];
                int n = snprintf(buf, sizeof(buf), "%u", (unsigned)req->peer_uid);
                bv_http_conn_respond(c, 200, "text/plain", buf, (size_t)n);
        } else
                bv_http_conn_respond_error(c, 404, "No route '%s'", req->path);
}

/* ---- raw sockets ------------------------------------------------------ */

static int raw_connect(const char *path)
{
        struct bv_error err = { 0 };
        int fd = bv_unix_connect(path, 1, &err);

        if (fd < 0)
                tap_diag("raw connect: %s", err.msg);
        return fd;
}

/*
 * Writes req on fd, then runs the loop and reads until until appears, EOF,
 * or 2 s. Returns the bytes read into out (NUL-terminated); *eof tells.
 */
static size_t raw_io(struct bv_loop *loop, int fd, const char *req, size_t len, char *out,
                     size_t size, const char *until, bool *eof)
{
        size_t got = 0, off = 0;
        uint64_t deadline = bv_now_usec() + 2000000;

        *eof = false;
        out[0] = '\0';
        while (bv_now_usec() < deadline) {
                if (off < len) {
                        ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
                        if (w > 0)
                                off += (size_t)w;
                }
                bv_loop_run_once(loop, 2000);
                ssize_t n = recv(fd, out + got, size - 1 - got, MSG_DONTWAIT);
                if (n > 0) {
                        got += (size_t)n;
                        out[got] = '\0';
                } else if (n == 0 || (n < 0 && errno != EAGAIN)) {
                        *eof = true;
                        break;
                }
                if (until && strstr(out, until))
                        break;
                if (got + 1 >= size)
                        break;
        }
        return got;
}

static void run_for(struct bv_loop *loop, uint64_t usec)
{
        uint64_t end = bv_now_usec() + usec;

        while (bv_now_usec() < end)
                bv_loop_run_once(loop, (int64_t)(end - bv_now_usec()));
}

/* ---- fake servers with canned replies --------------------------------- */

struct fake {
        struct bv_loop *loop;
        int lfd;
        struct bv_watch *lw;
        const char *reply;
        bool close_after;
        int cfd;
        struct bv_watch *cw;
};

static void fake_io(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct fake *f = userdata;
        char buf[4096];

        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0) {
                f->cw = bv_watch_remove(f->cw);
                close(f->cfd);
                f->cfd = -1;
                return;
        }
        if (f->reply && bv_fd_write_all(fd, f->reply, strlen(f->reply)) < 0)
                tap_diag("fake server write failed");
        if (f->close_after) {
                f->cw = bv_watch_remove(f->cw);
                close(f->cfd);
                f->cfd = -1;
        }
}

static void fake_accept(struct bv_loop *loop, int fd, uint32_t events, void *userdata)
{
        struct fake *f = userdata;
        int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

        if (cfd < 0)
                return;
        if (f->cfd >= 0) {
                bv_watch_remove(f->cw);
                close(f->cfd);
        }
        f->cfd = cfd;
        bv_loop_add_fd(loop, cfd, EPOLLIN, fake_io, f, &f->cw);
}

static int fake_call(struct bv_loop *loop, const char *dir, const char *reply, bool close_after,
                     struct bv_http_response **ret, struct bv_error *err)
{
        char path[256];
        struct fake f = { .loop = loop, .reply = reply, .close_after = close_after, .cfd = -1 };

        snprintf(path, sizeof(path), "%s/fake.sock", dir);
        f.lfd = bv_unix_listen(path, 0600, NULL);
        bv_loop_add_fd(loop, f.lfd, EPOLLIN, fake_accept, &f, &f.lw);
        struct bv_http_client *c = NULL;
        bv_http_client_new(loop, path, &c, NULL);
        struct bv_http_client_request req = { .method = "GET", .path = "/x", .timeout_usec = 2000000 };
        int r = bv_http_client_call(c, &req, ret, err);
        bv_http_client_free(c);
        bv_watch_remove(f.cw);
        if (f.cfd >= 0)
                close(f.cfd);
        bv_watch_remove(f.lw);
        close(f.lfd);
        unlink(path);
        return r;
}

/* ---- client streaming --------------------------------------------------- */

struct collect {
        char buf[256];
        size_t len;
        unsigned calls, heads;
        int head_status;
};

static int collect_body(const char *data, size_t len, void *userdata)
{
        struct collect *col = userdata;

        if (len > sizeof(col->buf) - 1 - col->len)
                return -EMSGSIZE;
        memcpy(col->buf + col->len, data, len);
        col->len += len;
        col->buf[col->len] = '\0';
        col->calls++;
        return 0;
}

static void collect_head(const struct bv_http_response *head, void *userdata)
{
        struct collect *col = userdata;

        col->heads++;
        col->head_status = head->status;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

static struct bv_http_response *get(struct bv_http_client *cl, const char *path, int *ret,
                                    struct bv_error *err)
{
        struct bv_http_client_request req = { .method = "GET", .path = path, .timeout_usec = 2000000 };
        struct bv_http_response *resp = NULL;

        bv_error_clear(err);
        *ret = bv_http_client_call(cl, &req, &resp, err);
        return resp;
}

struct sstate {
        struct collect col;
        bool done;
        int ret;
        struct bv_http_response *resp;
};

static int stream_body(const char *data, size_t len, void *userdata)
{
        struct sstate *st = userdata;
        return collect_body(data, len, &st->col);
}

static void stream_head(const struct bv_http_response *head, void *userdata)
{
        struct sstate *st = userdata;
        collect_head(head, &st->col);
}

static void stream_done(int ret, struct bv_http_response *resp, const struct bv_error *err, void *userdata)
{
        struct sstate *st = userdata;

        st->done = true;
        st->ret = ret;
        st->resp = resp;
        if (ret < 0)
                tap_diag("stream: %s", bv_error_message(err, ret));
}

/* ---- the cases, in groups --------------------------------------------- */

/* What every group shares: the loop and main server (in t), their socket, one client. */
struct suite {
        struct ctx t;
        char dir[32];
        char path[256];
        struct bv_http_client *cl;
};

static const char hello_req[] = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";

/* Keep-alive, a POST with a query, 404, 405 and an escaped error message. */
static void test_basics(struct suite *s)
{
        struct bv_error err = { 0 };
        struct bv_http_response *resp;
        int r;

        /* keep-alive: three GETs, one connection */
        for (int i = 0; i < 3; i++) {
                resp = get(s->cl, "/hello", &r, &err);
                if (r < 0)
                        tap_diag("GET /hello: %s", err.msg);
                tap_ok(r == 0 && resp && resp->status == 200 && resp->body_len == 5 &&
                               strcmp(resp->body, "hello") == 0,
                       "GET /hello #%d", i + 1);
                bv_http_response_free(resp);
        }
        tap_is_int(bv_http_server_n_accepted(s->t.server), 1, "keep-alive: one accept for three GETs");

        /* POST with a JSON body and a query */
        const char *json = "{\"name\": \"vm1\", \"cpus\": 2}";
        struct bv_http_client_request post = { .method = "POST", .path = "/echo?x=1",
                                               .content_type = "application/json",
                                               .body = json, .body_len = strlen(json) };
        resp = NULL;
        r = bv_http_client_call(s->cl, &post, &resp, &err);
        tap_ok(r == 0 && resp && resp->status == 200, "POST /echo");
        if (resp) {
                tap_is_str(resp->body, "{\"got\":{\"name\":\"vm1\",\"cpus\":2},\"query\":\"x=1\"}",
                           "POST echo body");
                tap_is_str(bv_http_response_header(resp, "content-type"), "application/json",
                           "response Content-Type (case-insensitive lookup)");
        }
        resp = bv_http_response_free(resp);

        /* 404 and 405 */
        resp = get(s->cl, "/missing", &r, &err);
        tap_ok(r == 0 && resp && resp->status == 404, "404 status");
        if (resp)
                tap_is_str(resp->body, "{\"error\": \"No route '/missing'\", \"code\": 404}", "404 JSON body");
        resp = bv_http_response_free(resp);
        struct bv_http_client_request del = { .method = "DELETE", .path = "/hello" };
        r = bv_http_client_call(s->cl, &del, &resp, &err);
        tap_ok(r == 0 && resp && resp->status == 405, "405 status");
        resp = bv_http_response_free(resp);
        /* an error message with quotes and a newline stays valid JSON */
        struct bv_http_client_request weird = { .method = "GET", .path = "/a\"b\\c%0A" };
        r = bv_http_client_call(s->cl, &weird, &resp, &err);
        tap_ok(r == 0 && resp && strcmp(resp->body, "{\"error\": \"No route '/a\\\"b\\\\c%0A'\", \"code\": 404}") == 0,
               "error message escaped by jansson");
        resp = bv_http_response_free(resp);
        tap_is_int(bv_http_server_n_accepted(s->t.server), 1, "still one connection");
}

/* A request body over the server's limit, answered 413 with a JSON error. */
static void test_body_limit(struct suite *s)
{
        struct bv_error err = { 0 };
        struct bv_http_response *resp = NULL;
        _cleanup_free_ char *big = malloc(10000);

        memset(big, 'x', 10000);
        struct bv_http_client_request toobig = { .method = "POST", .path = "/echo", .body = big,
                                                 .body_len = 10000 };
        int r = bv_http_client_call(s->cl, &toobig, &resp, &err);
        if (r < 0)
                tap_diag("413 call: %s", err.msg);
        tap_ok(r == 0 && resp && resp->status == 413, "body over max_body: 413");
        if (resp) {
                json_t *v = NULL;
                int code = 0;
                tap_ok(bv_json_load_object(resp->body, resp->body_len, 4096, &v, NULL) == 0 &&
                               json_unpack(v, "{s:i}", "code", &code) == 0 && code == 413 &&
                               json_is_string(json_object_get(v, "error")),
                       "413 JSON error body");
                json_decref(v);
                tap_is_str(bv_http_response_header(resp, "connection"), "close", "413 closes the connection");
        }
        bv_http_response_free(resp);
}

/* A deferred answer, a chunked stream collected and streamed to on_body. */
static void test_defer_and_stream(struct suite *s)
{
        struct bv_error err = { 0 };
        struct bv_http_response *resp;
        int r;

        /* deferred response */
        resp = get(s->cl, "/defer", &r, &err);
        tap_ok(r == 0 && resp && strcmp(resp->body, "deferred") == 0, "deferred response from a timer");
        resp = bv_http_response_free(resp);

        /* streaming: collecting mode */
        resp = get(s->cl, "/stream", &r, &err);
        tap_ok(r == 0 && resp && strcmp(resp->body, "one\ntwo\nthree\n") == 0, "chunked stream collected");
        if (resp)
                tap_is_str(bv_http_response_header(resp, "transfer-encoding"), "chunked", "stream is chunked");
        resp = bv_http_response_free(resp);

        /* streaming: on_body mode (on_body gets the send() userdata) */
        struct sstate st = { 0 };
        struct bv_http_client_request sreq = { .method = "GET", .path = "/stream", .on_body = stream_body,
                                               .on_head = stream_head, .timeout_usec = 2000000 };
        tap_ok(bv_http_client_send(s->cl, &sreq, stream_done, &st) == 0, "send streaming request");
        bv_loop_run_until(s->t.loop, &st.done, 3000000);
        tap_ok(st.done && st.ret == 0 && st.resp && st.resp->status == 200 && !st.resp->body,
               "streamed response: done with head only");
        tap_is_int(st.col.heads, 1, "on_head called once");
        tap_is_int(st.col.head_status, 200, "on_head status");
        tap_is_str(st.col.buf, "one\ntwo\nthree\n", "on_body got the de-chunked bytes");
        tap_ok(st.col.calls >= 2, "on_body called per chunk as it arrived (%u calls)", st.col.calls);
        bv_http_response_free(st.resp);
}

/* A big response, the client's max_body, and the client's timeout. */
static void test_big_and_timeout(struct suite *s)
{
        struct bv_error err = { 0 };
        struct bv_http_response *resp;
        int r;

        /* a big response goes out through EPOLLOUT flushes */
        struct bv_http_client_request bigreq = { .method = "GET", .path = "/big", .max_body = 1 << 20 };
        r = bv_http_client_call(s->cl, &bigreq, &resp, &err);
        bool big_ok = r == 0 && resp && resp->body_len == 300000;
        for (size_t i = 0; big_ok && i < resp->body_len; i++)
                big_ok = resp->body[i] == (char)('a' + i % 26);
        tap_ok(big_ok, "300 kB response intact");
        resp = bv_http_response_free(resp);

        /* client max_body */
        bigreq.max_body = 1000;
        r = bv_http_client_call(s->cl, &bigreq, &resp, &err);
        tap_is_int(r, -EMSGSIZE, "client max_body exceeded: -EMSGSIZE");
        tap_diag("%s", err.msg);
        tap_ok(!resp, "no response on error");

        /* client timeout against a server that never answers */
        uint64_t t0 = bv_now_usec();
        struct bv_http_client_request nreq = { .method = "GET", .path = "/never", .timeout_usec = 200000 };
        r = bv_http_client_call(s->cl, &nreq, &resp, &err);
        uint64_t took = bv_now_usec() - t0;
        tap_is_int(r, -ETIMEDOUT, "no answer: -ETIMEDOUT");
        tap_ok(took >= 200000 && took < 1000000, "timed out after the timeout (%llu us)",
               (unsigned long long)took);
        tap_ok(strstr(err.msg, "timed out") != NULL, "timeout message: %s", err.msg);
        run_for(s->t.loop, 20000);
        tap_ok(s->t.never && bv_http_conn_closed(s->t.never), "the server saw the client drop the connection");
        tap_is_int(bv_http_conn_respond(s->t.never, 200, NULL, "late", 4), -EPIPE,
                   "respond after the peer left: -EPIPE");
        s->t.never = bv_http_conn_unref(s->t.never);
        resp = get(s->cl, "/hello", &r, &err);
        tap_ok(r == 0 && resp && resp->status == 200, "client works again after a timeout");
        bv_http_response_free(resp);
}

/* A second server: idle close, a restart under a kept-alive client, max_conns. */
static void test_reconnect(struct suite *s)
{
        struct bv_error err = { 0 };
        struct bv_http_response *resp;
        int r;

        /* the server closes a kept-alive connection: idle timeout, client notices on the loop */
        struct bv_http_client *cl2 = NULL;
        struct bv_http_server_config cfg2 = { .idle_timeout_usec = 50000 };
        char path2[256];
        snprintf(path2, sizeof(path2), "%s/idle.sock", s->dir);
        int lfd2 = bv_unix_listen(path2, 0600, &err);
        struct bv_http_server *s2 = NULL;
        bv_http_server_new(s->t.loop, lfd2, &cfg2, handler, &s->t, &s2, &err);
        bv_http_client_new(s->t.loop, path2, &cl2, &err);
        resp = get(cl2, "/hello", &r, &err);
        bv_http_response_free(resp);
        run_for(s->t.loop, 150000);
        tap_is_int(bv_http_server_n_conns(s2), 0, "idle connection closed by the server");
        resp = get(cl2, "/hello", &r, &err);
        tap_ok(r == 0 && resp && resp->status == 200, "client reconnects after an idle close");
        resp = bv_http_response_free(resp);
        tap_is_int(bv_http_server_n_accepted(s2), 2, "two connections");

        /* the server goes away while the client is not looking: retried on a new connection */
        bv_http_server_free(s2);
        tap_ok(bv_http_server_new(s->t.loop, lfd2, &cfg2, handler, &s->t, &s2, &err) == 0, "second server");
        resp = get(cl2, "/hello", &r, &err);
        if (r < 0)
                tap_diag("%s", err.msg);
        tap_ok(r == 0 && resp && resp->status == 200, "request on a dead kept-alive connection retried");
        resp = bv_http_response_free(resp);
        tap_is_int(bv_http_server_n_accepted(s2), 1, "retry went to the new server");
        bv_http_client_free(cl2);
        bv_http_server_free(s2);

        /* max_conns */
        struct bv_http_server_config cfg3 = { .max_conns = 1 };
        bv_http_server_new(s->t.loop, lfd2, &cfg3, handler, &s->t, &s2, &err);
        int a = raw_connect(path2), b = raw_connect(path2);
        char out[8192];
        bool eof;
        raw_io(s->t.loop, a, hello_req, strlen(hello_req), out, sizeof(out), "hello", &eof);
        tap_ok(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0, "first connection served");
        raw_io(s->t.loop, b, hello_req, strlen(hello_req), out, sizeof(out), NULL, &eof);
        tap_ok(strncmp(out, "HTTP/1.1 503", 12) == 0 && eof, "connection over max_conns refused with 503");
        close(a);
        close(b);
        bv_http_server_free(s2);
        close(lfd2);
        unlink(path2);
}

/* The client against a missing socket and against fake servers' canned replies. */
static void test_client_corners(struct suite *s)
{
        struct bv_error err = { 0 };
        struct bv_http_response *resp;
        char missing[256];
        int r;

        /* missing socket */
        snprintf(missing, sizeof(missing), "%s/missing.sock", s->dir);
        struct bv_http_client *cl3 = NULL;
        bv_http_client_new(s->t.loop, missing, &cl3, &err);
        resp = get(cl3, "/hello", &r, &err);
        tap_is_int(r, -ENOENT, "missing socket: -ENOENT");
        char want[512];
        snprintf(want, sizeof(want), "Failed to connect to '%s': No such file or directory", missing);
        tap_is_str(err.msg, want, "missing socket message");
        bv_http_client_free(cl3);

        /* fake servers */
        r = fake_call(s->t.loop, s->dir, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
                      false, &resp, &err);
        tap_is_int(r, -EPROTO, "bad chunk framing: -EPROTO");
        tap_diag("%s", err.msg);
        r = fake_call(s->t.loop, s->dir, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close", true,
                      &resp, &err);
        tap_ok(r == 0 && resp && strcmp(resp->body, "until close") == 0, "read-until-close body");
        resp = bv_http_response_free(resp);
        r = fake_call(s->t.loop, s->dir, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true, &resp, &err);
        tap_is_int(r, -ECONNRESET, "connection closed inside the body: -ECONNRESET");
        r = fake_call(s->t.loop, s->dir, NULL, true, &resp, &err);
        tap_is_int(r, -ECONNRESET, "closed without an answer: -ECONNRESET");
        r = fake_call(s->t.loop, s->dir, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
                      false, &resp, &err);
        tap_ok(r == 0 && resp && resp->status == 201 && strcmp(resp->body, "ok") == 0, "100 Continue skipped");
        resp = bv_http_response_free(resp);
        r = fake_call(s->t.loop, s->dir, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;ext=1\r\n!!!\r\n0\r\nX-Trailer: 1\r\n\r\n",
                      false, &resp, &err);
        tap_ok(r == 0 && resp && strcmp(resp->body, "hello!!!") == 0 && resp->n_headers == 1 &&
                       !bv_http_response_header(resp, "x-trailer"),
               "chunked body with extension and trailer (trailer not kept)");
        bv_http_response_free(resp);
}

/* Raw requests the server refuses: malformed, heads and bodies over the limits. */
static void test_raw_refused(struct suite *s)
{
        char out[8192], many[8192];
        bool eof;
        int fd, n;

        /* raw: malformed request */
        fd = raw_connect(s->path);
        const char *junk = "GARBAGE\x01\r\n\r\n";
        raw_io(s->t.loop, fd, junk, strlen(junk), out, sizeof(out), NULL, &eof);
        tap_ok(strncmp(out, "HTTP/1.1 400 Bad Request\r\n", 26) == 0 && strstr(out, "\"code\": 400") && eof,
               "malformed request: 400 JSON error and close");
        close(fd);

        /* raw: header too large, too many headers */
        _cleanup_free_ char *huge = malloc(BV_HTTP_MAX_HEAD + 200);
        n = snprintf(huge, BV_HTTP_MAX_HEAD + 200, "GET /hello HTTP/1.1\r\nX-Big: ");
        memset(huge + n, 'a', BV_HTTP_MAX_HEAD);
        memcpy(huge + n + BV_HTTP_MAX_HEAD, "\r\n\r\n", 5);
        fd = raw_connect(s->path);
        raw_io(s->t.loop, fd, huge, strlen(huge), out, sizeof(out), NULL, &eof);
        tap_ok(strncmp(out, "HTTP/1.1 431 ", 13) == 0 && strstr(out, "\"code\": 431") && eof,
               "head too large: 431 and close");
        close(fd);
        n = snprintf(many, sizeof(many), "GET /hello HTTP/1.1\r\n");
        for (int i = 0; i < BV_HTTP_MAX_HEADERS + 1; i++)
                n += snprintf(many + n, sizeof(many) - (size_t)n, "X-H%d: %d\r\n", i, i);
        n += snprintf(many + n, sizeof(many) - (size_t)n, "\r\n");
        fd = raw_connect(s->path);
        raw_io(s->t.loop, fd, many, (size_t)n, out, sizeof(out), NULL, &eof);
        tap_ok(strncmp(out, "HTTP/1.1 431 ", 13) == 0 && eof, "too many headers: 431 and close");
        close(fd);

        /* raw: Content-Length over the limit is refused before the body is sent */
        fd = raw_connect(s->path);
        const char *cl_big = "POST /echo HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n";
        raw_io(s->t.loop, fd, cl_big, strlen(cl_big), out, sizeof(out), NULL, &eof);
        tap_ok(strncmp(out, "HTTP/1.1 413 ", 13) == 0 && eof, "Content-Length over the limit: 413 up front");
        close(fd);

        /* raw: chunked request body over the limit */
        fd = raw_connect(s->path);
        n = snprintf(many, sizeof(many), "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < 5; i++)
                n += snprintf(many + n, sizeof(many) - (size_t)n, "400\r\n%01024d\r\n", 0);
        raw_io(s->t.loop, fd, many, (size_t)n, out, sizeof(out), NULL, &eof);
        tap_ok(strncmp(out, "HTTP/1.1 413 ", 13) == 0 && eof, "chunked body over the limit: 413");
        close(fd);
}

/* The limits a server is configured with: request timeout (slowloris), head size, body limit per request. */
static size_t small_echo(const struct bv_http_request *head, void *userdata)
{
        return strcmp(head->path, "/echo") == 0 ? 16 : 0;
}

static void test_limits(struct suite *s)
{
        struct bv_error err = { 0 };
        struct bv_http_server_config cfg = { .request_timeout_usec = 100000, .max_head = 1024,
                                             .body_limit = small_echo };
        struct bv_http_server *srv = NULL;
        char path[256], out[4096], big[2048];
        bool eof;

        snprintf(path, sizeof(path), "%s/limits.sock", s->dir);
        int lfd = bv_unix_listen(path, 0600, &err);
        tap_ok(lfd >= 0 && bv_http_server_new(s->t.loop, lfd, &cfg, handler, &s->t, &srv, &err) == 0, "limits server");
        int fd = raw_connect(path);
        const char *part = "GET /hello HTTP/1.1\r\nX-Slow: a";
        uint64_t t0 = bv_now_usec();
        raw_io(s->t.loop, fd, part, strlen(part), out, sizeof(out), NULL, &eof);
        uint64_t took = bv_now_usec() - t0;
        tap_ok(strncmp(out, "HTTP/1.1 408 ", 13) == 0 && eof && took >= 90000 && took < 1500000,
               "a request not complete within request_timeout: 408 and close (%llu ms)", (unsigned long long)took / 1000);
        close(fd);
        int n = snprintf(big, sizeof(big), "GET /hello HTTP/1.1\r\nX-Big: %01200d\r\n\r\n", 0);
        fd = raw_connect(path);
        raw_io(s->t.loop, fd, big, (size_t)n, out, sizeof(out), NULL, &eof);
        tap_ok(strncmp(out, "HTTP/1.1 431 ", 13) == 0 && strstr(out, "1024 bytes") && eof,
               "a head over max_head in one read: 431 naming the limit");
        close(fd);
        const char *post = "POST /echo HTTP/1.1\r\nContent-Length: 17\r\n\r\n";
        fd = raw_connect(path);
        raw_io(s->t.loop, fd, post, strlen(post), out, sizeof(out), NULL, &eof);
        tap_ok(strncmp(out, "HTTP/1.1 413 ", 13) == 0 && strstr(out, "16 bytes") && eof,
               "body_limit's 16 bytes for /echo: 17 is 413 from the head");
        close(fd);
        bv_http_server_free(srv);
        close(lfd);
        unlink(path);
}

/* Raw framing: pipelining, chunked requests, HTTP/1.0, Connection: close, HEAD, SO_PEERCRED. */
static void test_raw_framing(struct suite *s)
{
        char out[8192];
        bool eof;
        int fd;

        /* raw: pipelined pair in one write; the first is deferred, order is kept */
        fd = raw_connect(s->path);
        const char *pipe2 = "GET /defer HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        raw_io(s->t.loop, fd, pipe2, strlen(pipe2), out, sizeof(out), NULL, &eof);
        char *d1 = strstr(out, "deferred"), *h2 = strstr(out, "hello");
        tap_ok(d1 && h2 && d1 < h2 && eof, "pipelined requests answered in order, then closed");
        close(fd);

        /* raw: chunked request body accepted */
        fd = raw_connect(s->path);
        const char *chunked = "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                              "5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n";
        raw_io(s->t.loop, fd, chunked, strlen(chunked), out, sizeof(out), NULL, &eof);
        tap_ok(strstr(out, "{\"got\":{\"a\":1},\"query\":null}") != NULL, "chunked request body de-chunked");
        close(fd);

        /* raw: HTTP/1.0 closes; HTTP/1.0 keep-alive stays */
        fd = raw_connect(s->path);
        const char *h10 = "GET /hello HTTP/1.0\r\n\r\n";
        raw_io(s->t.loop, fd, h10, strlen(h10), out, sizeof(out), NULL, &eof);
        tap_ok(strstr(out, "Connection: close\r\n") && strstr(out, "\r\n\r\nhello") && eof, "HTTP/1.0 closes");
        close(fd);
        fd = raw_connect(s->path);
        const char *h10k = "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
        raw_io(s->t.loop, fd, h10k, strlen(h10k), out, sizeof(out), "hello", &eof);
        tap_ok(strstr(out, "Connection: keep-alive\r\n") && !eof, "HTTP/1.0 keep-alive kept");
        const char *h11c = "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n";
        raw_io(s->t.loop, fd, h11c, strlen(h11c), out, sizeof(out), NULL, &eof);
        tap_ok(strstr(out, "Connection: close\r\n") && eof, "Connection: close honoured");
        close(fd);

        /* raw: HEAD gets the head only */
        fd = raw_connect(s->path);
        const char *head = "HEAD /hello HTTP/1.1\r\nConnection: close\r\n\r\n";
        raw_io(s->t.loop, fd, head, strlen(head), out, sizeof(out), NULL, &eof);
        tap_ok(strstr(out, "Content-Length: 5\r\n") && !strstr(out, "hello") && eof, "HEAD: no body");
        close(fd);

        /* raw: SO_PEERCRED */
        fd = raw_connect(s->path);
        const char *peer = "GET /peer HTTP/1.1\r\nConnection: close\r\n\r\n";
        raw_io(s->t.loop, fd, peer, strlen(peer), out, sizeof(out), NULL, &eof);
        char uid[32];
        snprintf(uid, sizeof(uid), "\r\n\r\n%u", (unsigned)getuid());
        tap_ok(strstr(out, uid) != NULL, "peer uid from SO_PEERCRED");
        close(fd);
}

/* Raw peers that go away: during a stream, inside a request, after a half-close. */
static void test_raw_peer_gone(struct suite *s)
{
        char out[8192];
        bool eof;
        int fd;

        /* raw: the peer closes during a stream */
        fd = raw_connect(s->path);
        const char *forever = "GET /forever HTTP/1.1\r\n\r\n";
        raw_io(s->t.loop, fd, forever, strlen(forever), out, sizeof(out), "{}\n", &eof);
        tap_ok(strstr(out, "Transfer-Encoding: chunked\r\n") && strstr(out, "3\r\n{}\n\r\n"), "stream started");
        close(fd);
        run_for(s->t.loop, 20000);
        tap_is_int(s->t.on_close_calls, 1, "on_close called once when the peer left");
        tap_ok(s->t.forever && bv_http_conn_closed(s->t.forever), "conn reports closed");
        tap_is_int(bv_http_conn_stream_write(s->t.forever, "x", 1), -EPIPE, "stream_write after close: -EPIPE");
        tap_is_int(bv_http_conn_stream_end(s->t.forever), -EPIPE, "stream_end after close: -EPIPE");
        run_for(s->t.loop, 5000);
        tap_is_int(s->t.on_close_calls, 1, "on_close not called again");
        s->t.forever = bv_http_conn_unref(s->t.forever);

        /* raw: a request cut short by EOF, and an idle EOF */
        fd = raw_connect(s->path);
        const char *cut = "POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc";
        if (send(fd, cut, strlen(cut), MSG_NOSIGNAL) < 0)
                tap_diag("send failed");
        shutdown(fd, SHUT_WR);
        raw_io(s->t.loop, fd, "", 0, out, sizeof(out), NULL, &eof);
        tap_ok(eof && out[0] == '\0', "half-sent request dropped at EOF");
        close(fd);

        /* a half-closing client still gets its answer */
        fd = raw_connect(s->path);
        if (send(fd, hello_req, strlen(hello_req), MSG_NOSIGNAL) < 0)
                tap_diag("send failed");
        shutdown(fd, SHUT_WR);
        raw_io(s->t.loop, fd, "", 0, out, sizeof(out), NULL, &eof);
        tap_ok(strstr(out, "\r\n\r\nhello") && eof, "answer after the client's shutdown(SHUT_WR)");
        close(fd);
}

/* Latency: sequential GETs on one keep-alive connection. */
static void test_latency(struct suite *s)
{
        enum { N = 1000 };
        static uint64_t lat[N];
        struct bv_error err = { 0 };
        uint64_t acc0 = bv_http_server_n_accepted(s->t.server);
        bool all_ok = true;
        int r;

        for (int i = 0; i < N; i++) {
                uint64_t s0 = bv_now_usec();
                struct bv_http_response *resp = get(s->cl, "/hello", &r, &err);
                lat[i] = bv_now_usec() - s0;
                all_ok = all_ok && r == 0 && resp && resp->status == 200;
                bv_http_response_free(resp);
        }
        qsort(lat, N, sizeof(lat[0]), cmp_u64);
        tap_ok(all_ok, "%d sequential GETs", N);
        tap_ok(bv_http_server_n_accepted(s->t.server) - acc0 <= 1, "all on one connection");
        tap_diag("latency of %d sequential GETs on one keep-alive connection: median %llu us, p99 %llu us, max %llu us",
                 N, (unsigned long long)lat[N / 2], (unsigned long long)lat[N * 99 / 100],
                 (unsigned long long)lat[N - 1]);
}

/* bv_http_query_get(): decoding, matching, and every error (buf untouched on errors). */
static void test_query_get(void)
{
        char buf[16];

        tap_is_int(bv_http_query_get("a=1&b=2", "b", buf, sizeof(buf)), 1, "query: b present");
        tap_is_str(buf, "2", "query: b's value");
        tap_is_int(bv_http_query_get("a=1&b=2", "c", buf, sizeof(buf)), 0, "query: c absent");
        tap_is_str(buf, "", "query: absent key leaves \"\"");
        tap_is_int(bv_http_query_get(NULL, "a", buf, sizeof(buf)), 0, "query: NULL query is empty");
        tap_is_int(bv_http_query_get("", "a", buf, sizeof(buf)), 0, "query: empty query");
        tap_is_int(bv_http_query_get("force", "force", buf, sizeof(buf)), 1, "query: bare key present");
        tap_is_str(buf, "", "query: bare key's value is \"\"");
        tap_is_int(bv_http_query_get("x=1&force=", "force", buf, sizeof(buf)), 1, "query: key= present");
        tap_is_str(buf, "", "query: key='s value is \"\"");
        tap_is_int(bv_http_query_get("forced=1", "force", buf, sizeof(buf)), 0, "query: forced=1 is not force");
        tap_is_int(bv_http_query_get("f=1", "force", buf, sizeof(buf)), 0, "query: a prefix of the key is not it");
        tap_is_int(bv_http_query_get("a=x+y%20z%2b%3D%c3%A9", "a", buf, sizeof(buf)), 1, "query: escapes");
        tap_is_str(buf, "x y z+=\xc3\xa9", "query: '+' is a space, %XX a byte (either case)");
        tap_is_int(bv_http_query_get("%66orce=1", "force", buf, sizeof(buf)), 1, "query: key decoded");
        tap_is_int(bv_http_query_get("a+b=1", "a b", buf, sizeof(buf)), 1, "query: '+' in a key");
        tap_is_int(bv_http_query_get("a=b=c", "a", buf, sizeof(buf)), 1, "query: '=' in a value");
        tap_is_str(buf, "b=c", "query: the value runs to the '&'");
        tap_is_int(bv_http_query_get("&&a=1&", "a", buf, sizeof(buf)), 1, "query: empty pairs skipped");

        strcpy(buf, "keep");
        tap_is_int(bv_http_query_get("a=%G1", "a", buf, sizeof(buf)), -EINVAL, "query: %G1 is -EINVAL");
        tap_is_int(bv_http_query_get("a=%4", "a", buf, sizeof(buf)), -EINVAL, "query: truncated %4 is -EINVAL");
        tap_is_int(bv_http_query_get("a=1%", "a", buf, sizeof(buf)), -EINVAL, "query: truncated % is -EINVAL");
        tap_is_int(bv_http_query_get("b=%zz&a=1", "a", buf, sizeof(buf)), -EINVAL,
                   "query: a bad escape in another pair is -EINVAL too");
        tap_is_int(bv_http_query_get("a%4=1", "a", buf, sizeof(buf)), -EINVAL, "query: bad escape in a key");
        tap_is_int(bv_http_query_get("a=x%00y", "a", buf, sizeof(buf)), -EINVAL, "query: decoded NUL in a value");
        tap_is_int(bv_http_query_get("a%00b=1", "a", buf, sizeof(buf)), -EINVAL, "query: decoded NUL in a key");
        tap_is_int(bv_http_query_get("a=1&b=2&a=3", "a", buf, sizeof(buf)), -EINVAL, "query: key twice");
        tap_is_int(bv_http_query_get("a&%61=", "a", buf, sizeof(buf)), -EINVAL, "query: key twice, once encoded");
        tap_is_int(bv_http_query_get("a=1", "", buf, sizeof(buf)), -EINVAL, "query: empty key asked for");
        tap_is_int(bv_http_query_get("a=0123456789abcdef", "a", buf, sizeof(buf)), -ENOBUFS,
                   "query: value that does not fit is -ENOBUFS");
        tap_is_int(bv_http_query_get("a=0123456789abcde", "a", buf, sizeof(buf)), 1, "query: value that just fits");
        tap_is_str(buf, "0123456789abcde", "query: value that just fits, whole");
        strcpy(buf, "keep");
        tap_is_int(bv_http_query_get("a=%41%41", "a", buf, 2), -ENOBUFS, "query: decoded length counts");
        tap_is_str(buf, "keep", "query: buf untouched on errors");
}

/* bv_http_query_flag(): the accepted words, absence, and -EINVAL for the rest. */
static void test_query_flag(void)
{
        static const char *const yes[] = { "f", "f=", "f=1", "f=true", "f=yes", "x=0&f" };
        static const char *const no[] = { "f=0", "f=false", "f=no" };
        static const char *const bad[] = { "f=2", "f=on", "f=TRUE", "f=yesss", "f=%G1", "f=1&f=1", "f=%00" };
        bool v;

        v = true;
        tap_ok(bv_http_query_flag("forced=1", "f", &v) == 0 && !v, "flag: absent is false, returns 0");
        v = true;
        tap_ok(bv_http_query_flag(NULL, "f", &v) == 0 && !v, "flag: NULL query is false");
        for (size_t i = 0; i < BV_ELEMENTSOF(yes); i++) {
                v = false;
                tap_ok(bv_http_query_flag(yes[i], "f", &v) == 1 && v, "flag: '%s' is true", yes[i]);
        }
        for (size_t i = 0; i < BV_ELEMENTSOF(no); i++) {
                v = true;
                tap_ok(bv_http_query_flag(no[i], "f", &v) == 1 && !v, "flag: '%s' is false", no[i]);
        }
        for (size_t i = 0; i < BV_ELEMENTSOF(bad); i++) {
                v = true;
                tap_ok(bv_http_query_flag(bad[i], "f", &v) == -EINVAL && v, "flag: '%s' is -EINVAL, *ret untouched",
                       bad[i]);
        }
}

int main(void)
{
        struct suite s = { .dir = "/tmp/test-http-XXXXXX" };
        struct bv_error err = { 0 };

        if (!mkdtemp(s.dir))
                tap_skip_all("mkdtemp failed");
        snprintf(s.path, sizeof(s.path), "%s/api.sock", s.dir);
        tap_ok(bv_loop_new(&s.t.loop, &err) == 0, "loop");
        int lfd = bv_unix_listen(s.path, 0600, &err);
        tap_ok(lfd >= 0, "listen on %s", s.path);
        struct bv_http_server_config cfg = { .max_body = 4096, .idle_timeout_usec = 10000000 };
        tap_ok(bv_http_server_new(s.t.loop, lfd, &cfg, handler, &s.t, &s.t.server, &err) == 0, "server");
        tap_ok(bv_http_client_new(s.t.loop, s.path, &s.cl, &err) == 0, "client");

        test_basics(&s);
        test_body_limit(&s);
        test_defer_and_stream(&s);
        test_big_and_timeout(&s);
        test_reconnect(&s);
        test_client_corners(&s);
        test_raw_refused(&s);
        test_limits(&s);
        test_raw_framing(&s);
        test_raw_peer_gone(&s);
        test_latency(&s);
        test_query_get();
        test_query_flag();

        bv_http_client_free(s.cl);
        bv_http_server_free(s.t.server);
        close(lfd);
        unlink(s.path);
        rmdir(s.dir);
        bv_loop_free(s.t.loop);
        tap_done();
}
