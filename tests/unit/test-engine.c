/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctr/engine.c without a real engine: the log stream demultiplexer, and a
 * fake engine (a forked child serving canned replies on a UNIX socket) for
 * version negotiation, list normalisation per backend, engine errors, and
 * malformed or oversized replies, which must give a clear error and no crash.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/loop.h"
#include "ctr/engine.h"
#include "tests/tap.h"

static void test_demux(void)
{
        static const char ok[] = "\1\0\0\0\0\0\0\4out\n\2\0\0\0\0\0\0\4err\n\1\0\0\0\0\0\0\0";
        struct ctr_engine_demux d = {};
        struct bv_error err = {};

        tap_is_int(ctr_engine_demux(ok, sizeof(ok) - 1, &d, &err), 0, "demux: two frames and an empty one");
        tap_is_str(d.out, "out\nerr\n", "demux: interleaved output");
        tap_is_str(d.stdout_, "out\n", "demux: stdout");
        tap_is_str(d.stderr_, "err\n", "demux: stderr");
        ctr_engine_demux_clear(&d);
        tap_is_int(ctr_engine_demux("\1\0\0\0\0\0\0\x10short", 13, &d, &err), -EPROTO, "demux: truncated frame is -EPROTO");
        ctr_engine_demux_clear(&d);
        tap_is_int(ctr_engine_demux("hello world\n", 12, &d, &err), -EPROTO, "demux: raw text is not a frame");
        tap_ok(strstr(err.msg, "byte 0") != NULL, "demux: the error names the offset (%s)", err.msg);
        ctr_engine_demux_clear(&d);
        tap_is_int(ctr_engine_demux("", 0, &d, &err), 0, "demux: empty log");
        ctr_engine_demux_clear(&d);
        tap_ok(ctr_engine_name_valid("web-1.a_b") && !ctr_engine_name_valid("../x") && !ctr_engine_name_valid("a/b") &&
               !ctr_engine_name_valid("a?b") && !ctr_engine_name_valid("") && !ctr_engine_name_valid("-a"),
               "names: only [A-Za-z0-9][A-Za-z0-9._-]*");
}

/* ---- fake engine ---------------------------------------------------------- */

struct fake {
        const char *version;       /* the /version reply body */
        const char *reply;         /* the whole HTTP response to anything else */
        const char *want_prefix;   /* when set, other paths get a 400 */
};

static void write_all(int fd, const char *s, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, s, n);
                if (w <= 0)
                        return;
                s += w;
                n -= (size_t)w;
        }
}

static void respond(int fd, int status, const char *body)
{
        char head[256];
        int n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                         status, strlen(body));
        write_all(fd, head, (size_t)n);
        write_all(fd, body, strlen(body));
}

static void serve(int lfd, const struct fake *f)
{
        for (;;) {
                int c = accept(lfd, NULL, NULL);
                if (c < 0)
                        _exit(0);
                char buf[8192];
                size_t used = 0;
                for (;;) {
                        ssize_t r = read(c, buf + used, sizeof(buf) - 1 - used);
                        if (r <= 0)
                                break;
                        used += (size_t)r;
                        buf[used] = '\0';
                        char *end = strstr(buf, "\r\n\r\n");
                        if (!end)
                                continue;
                        if (strncmp(buf, "GET /version ", 13) == 0 || strncmp(buf, "GET /_ping ", 11) == 0 ||
                            strncmp(buf, "GET /libpod/_ping ", 18) == 0)
                                respond(c, 200, strstr(buf, "_ping") ? "OK" : f->version);
                        else if (f->want_prefix && !strstr(buf, f->want_prefix))
                                respond(c, 400, "{\"message\": \"wrong version prefix\"}");
                        else {
                                write_all(c, f->reply, strlen(f->reply));
                                break;
                        }
                        size_t consumed = (size_t)(end + 4 - buf);
                        memmove(buf, buf + consumed, used - consumed + 1);
                        used -= consumed;
                }
                close(c);
        }
}

static pid_t fake_start(const char *path, const struct fake *f)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        unlink(path);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
                perror("fake engine");
                exit(1);
        }
        pid_t pid = fork();
        if (pid == 0) {
                serve(fd, f);
                _exit(0);
        }
        close(fd);
        return pid;
}

static void fake_stop(pid_t pid, const char *path)
{
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        unlink(path);
}

struct result {
        bool done;
        int r;
        json_t *v;
        struct bv_error err;
};

static void on_done(int r, json_t *v, const struct bv_error *err, void *userdata)
{
        struct result *res = userdata;

        res->done = true;
        res->r = r;
        res->v = json_incref(v);
        if (err)
                res->err = *err;
}

enum call { LIST, INSPECT, PING };

static int run(struct bv_loop *loop, const struct ctr_engine_backend *b, const char *sock, enum call call,
               struct result *res, char *ret_version, size_t vlen)
{
        struct ctr_engine *e = NULL;
        struct ctr_engine_opts o = { .timeout_usec = 2000000 };
        struct bv_error err = {};
        int r;

        *res = (struct result){};
        if ((r = ctr_engine_new(loop, b, sock, &e, &err)) < 0)
                return r;
        if (call == LIST)
                r = ctr_engine_list(e, &o, on_done, res, &err);
        else if (call == INSPECT)
                r = ctr_engine_inspect(e, "c1", &o, on_done, res, &err);
        else
                r = ctr_engine_ping(e, &o, on_done, res, &err);
        if (r >= 0)
                r = bv_loop_run_until(loop, &res->done, 5000000);
        if (ret_version)
                snprintf(ret_version, vlen, "%s", ctr_engine_api_version(e));
        ctr_engine_free(e);
        return r < 0 ? r : res->r;
}

#define OK_HEAD "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
#define V143 "{\"Version\": \"24.0.5\", \"ApiVersion\": \"1.43\", \"MinAPIVersion\": \"1.12\"}"

static void test_fake(struct bv_loop *loop, const char *dir)
{
        char sock[256], ver[32];
        struct result res;
        static const char list[] = "[{\"Id\": \"abcdef0123456789\", \"Names\": [\"/p1\"], \"Image\": \"busybox\","
                                   " \"State\": \"stopped\", \"Status\": \"Exited (0)\", \"Created\": 1700000000, \"Labels\": null}]";
        char reply[1024];
        int r;

        snprintf(sock, sizeof(sock), "%s/engine.sock", dir);
        snprintf(reply, sizeof(reply), OK_HEAD "Content-Length: %zu\r\n\r\n%s", strlen(list), list);

        struct fake f = { .version = V143, .reply = reply, .want_prefix = "/v1.41/" };
        pid_t pid = fake_start(sock, &f);
        r = run(loop, &ctr_engine_docker, sock, LIST, &res, ver, sizeof(ver));
        tap_is_int(r, 0, "docker: list through a fake engine");
        tap_is_str(ver, "1.41", "docker: API 1.43 engine negotiated down to 1.41");
        json_t *c = json_array_get(res.v, 0);
        tap_is_str(json_string_value(json_object_get(c, "name")), "p1", "list: name without the leading '/'");
        tap_is_str(json_string_value(json_object_get(c, "state")), "unknown", "docker: 'stopped' is not a Docker state");
        json_decref(res.v);
        r = run(loop, &ctr_engine_docker, sock, PING, &res, NULL, 0);
        tap_ok(r == 0 && json_is_string(json_object_get(res.v, "version")), "docker: ping and version");
        json_decref(res.v);
        fake_stop(pid, sock);

        f.want_prefix = "/v1.40/";
        pid = fake_start(sock, &f);
        r = run(loop, &ctr_engine_podman, sock, LIST, &res, ver, sizeof(ver));
        tap_is_int(r, 0, "podman: list through a fake engine at /v1.40");
        c = json_array_get(res.v, 0);
        tap_is_str(json_string_value(json_object_get(c, "state")), "exited", "podman: 'stopped' maps to exited");
        tap_is_str(json_string_value(json_object_get(c, "engine_state")), "stopped", "podman: its own word is kept");
        json_decref(res.v);
        fake_stop(pid, sock);

        static const struct {
                const char *what, *reply;
                int want;
                const char *want_text;
        } bad[] = {
                { "invalid JSON", OK_HEAD "Content-Length: 9\r\n\r\n[{\"Id\": 1", -EPROTO, "malformed JSON" },
                { "not an array", OK_HEAD "Content-Length: 2\r\n\r\n{}", -EPROTO, "not an array" },
                { "entry without Id", OK_HEAD "Content-Length: 4\r\n\r\n[{}]", -EPROTO, "malformed container entry" },
                { "bad chunk framing", OK_HEAD "Transfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n", -EPROTO, NULL },
                { "oversized body", OK_HEAD "Content-Length: 99999999\r\n\r\n[", -EMSGSIZE, NULL },
                { "truncated body", OK_HEAD "Content-Length: 100\r\n\r\n[", 0, NULL },
                { "engine error", "HTTP/1.1 500 X\r\nContent-Length: 25\r\n\r\n{\"message\": \"disk full\"}\n", -EIO,
                  "Docker: disk full (HTTP 500)" },
                { "error without JSON", "HTTP/1.1 503 X\r\nContent-Length: 4\r\n\r\nbusy", -EIO, "busy (HTTP 503)" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct fake fb = { .version = V143, .reply = bad[i].reply };
                pid = fake_start(sock, &fb);
                r = run(loop, &ctr_engine_docker, sock, LIST, &res, NULL, 0);
                if (bad[i].want)
                        tap_ok(r == bad[i].want, "bad reply: %s gives %d (got %d: %s)", bad[i].what, bad[i].want, r,
                               res.err.msg);
                else
                        tap_ok(r < 0, "bad reply: %s is an error (got %d: %s)", bad[i].what, r, res.err.msg);
                if (bad[i].want_text)
                        tap_ok(strstr(res.err.msg, bad[i].want_text) != NULL, "bad reply: %s: message '%s'", bad[i].what,
                               res.err.msg);
                json_decref(res.v);
                fake_stop(pid, sock);
        }

        static const char nf[] = "{\"message\": \"No such container: c1\"}";
        snprintf(reply, sizeof(reply), "HTTP/1.1 404 Not Found\r\nContent-Length: %zu\r\n\r\n%s", strlen(nf), nf);
        struct fake f404 = { .version = V143, .reply = reply };
        pid = fake_start(sock, &f404);
        r = run(loop, &ctr_engine_docker, sock, INSPECT, &res, NULL, 0);
        tap_is_int(r, -ENOENT, "inspect: 404 is -ENOENT");
        tap_is_str(res.err.msg, "Docker: No such container: c1 (HTTP 404)", "inspect: the engine's message and status");
        fake_stop(pid, sock);

        struct fake fold = { .version = "{\"ApiVersion\": \"1.12\"}", .reply = reply };
        pid = fake_start(sock, &fold);
        r = run(loop, &ctr_engine_docker, sock, LIST, &res, NULL, 0);
        tap_ok(r == -EOPNOTSUPP && strstr(res.err.msg, "1.12"), "version: too old an engine is refused (%s)", res.err.msg);
        fake_stop(pid, sock);

        struct fake fnew = { .version = "{\"ApiVersion\": \"1.50\", \"MinAPIVersion\": \"1.44\"}", .reply = reply };
        pid = fake_start(sock, &fnew);
        r = run(loop, &ctr_engine_docker, sock, LIST, &res, NULL, 0);
        tap_ok(r == -EOPNOTSUPP && strstr(res.err.msg, "1.44"), "version: an engine past ours is refused (%s)", res.err.msg);
        fake_stop(pid, sock);

        r = run(loop, &ctr_engine_podman, sock, LIST, &res, NULL, 0);
        tap_ok(r == -ECONNREFUSED && strstr(res.err.msg, "Podman engine at '") && strstr(res.err.msg, "is not reachable"),
               "unreachable: clear error (%s)", res.err.msg);
}

int main(void)
{
        char dir[] = "/tmp/bv-engine-XXXXXX";
        struct bv_loop *loop = NULL;
        struct bv_error err = {};

        signal(SIGPIPE, SIG_IGN);
        test_demux();
        if (!mkdtemp(dir) || bv_loop_new(&loop, &err) < 0) {
                tap_ok(false, "setup: %s", err.msg);
                tap_done();
        }
        test_fake(loop, dir);
        bv_loop_free(loop);
        rmdir(dir);
        tap_done();
}
