/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctr/engine.c without a real engine: the log stream demultiplexer, and a
 * fake engine (a forked child serving canned replies on a UNIX socket) for
 * version negotiation, list normalisation per backend, engine errors, and
 * malformed or oversized replies, which must give a clear error and no crash;
 * and the case files in tests/unit/engine-cases/, each one engine reply
 * replayed through the handling a live call gives it (ctr_engine_reply_replay):
 *   first line:  BACKEND KIND STATUS WANT [TEXT]
 *   the rest:    the reply body, byte for byte
 * WANT is 0 or an errno name; TEXT must appear in the error message, or in
 * the compact JSON of the result. The same files seed the fuzzer.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr.h"
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
        int delay_ms;              /* before the reply (Podman's silent events stream) */
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
                                if (f->delay_ms)
                                        usleep((useconds_t)f->delay_ms * 1000);
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

        static const char plist[] = "[{\"Id\": \"abcdef0123456789\", \"Names\": [\"p1\"], \"Image\": \"busybox\","
                                    " \"State\": \"stopped\", \"Status\": \"\", \"Created\": \"2026-01-02T03:04:05.6Z\","
                                    " \"ExitCode\": 3, \"StartedAt\": 1, \"Labels\": null}]";
        snprintf(reply, sizeof(reply), OK_HEAD "Content-Length: %zu\r\n\r\n%s", strlen(plist), plist);
        f.want_prefix = "/v1.40/libpod/containers/json?all=true";
        pid = fake_start(sock, &f);
        r = run(loop, &ctr_engine_podman, sock, LIST, &res, ver, sizeof(ver));
        tap_is_int(r, 0, "podman: list through a fake engine, from the libpod API");
        c = json_array_get(res.v, 0);
        tap_is_str(json_string_value(json_object_get(c, "state")), "exited", "podman: 'stopped' maps to exited");
        tap_is_str(json_string_value(json_object_get(c, "engine_state")), "stopped", "podman: its own word is kept");
        tap_is_str(json_string_value(json_object_get(c, "status")), "Exited (3)", "podman: a status made from the exit code");
        tap_ok(json_integer_value(json_object_get(c, "created")) == 1767323045, "podman: libpod's RFC 3339 creation time");
        tap_ok(json_is_null(json_object_get(c, "uptime")), "podman: no uptime when not running");
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

/* ---- the events stream over a fake engine ---------------------------------- */

struct stream_result {
        bool up, ended;
        int n_events, r;
        char action[32], ref[64], err[256];
};

static void st_up(void *userdata)
{
        ((struct stream_result *)userdata)->up = true;
}

static void st_event(const json_t *ev, void *userdata)
{
        struct stream_result *s = userdata;

        s->n_events++;
        snprintf(s->action, sizeof(s->action), "%s", json_string_value(json_object_get(ev, "action")));
        snprintf(s->ref, sizeof(s->ref), "%s", json_string_value(json_object_get(ev, "ref")));
}

static void st_end(int r, const struct bv_error *err, void *userdata)
{
        struct stream_result *s = userdata;

        s->ended = true;
        s->r = r;
        snprintf(s->err, sizeof(s->err), "%s", err ? err->msg : "");
}

static void test_events_stream(struct bv_loop *loop, const char *dir)
{
        char sock[256];
        static const char ev[] = "{\"Type\":\"container\",\"Action\":\"died\",\"Actor\":{\"ID\":\"abc123\","
                                 "\"Attributes\":{\"name\":\"p1\",\"containerExitCode\":\"2\"}},\"timeNano\":1}\n";
        char reply[1024];

        snprintf(sock, sizeof(sock), "%s/events.sock", dir);
        /* Podman: nothing at all for a while, then the head and one event in two chunks, then the engine dies. */
        snprintf(reply, sizeof(reply), OK_HEAD "Transfer-Encoding: chunked\r\n\r\n%zx\r\n%.20s\r\n%zx\r\n%s\r\n",
                 (size_t)20, ev, strlen(ev) - 20, ev + 20);
        struct fake f = { .version = V143, .reply = reply, .delay_ms = 300 };
        pid_t pid = fake_start(sock, &f);
        struct ctr_engine *e = NULL;
        struct ctr_engine_stream *s = NULL;
        struct stream_result res = {};
        struct bv_error err = {};
        int r = ctr_engine_new(loop, &ctr_engine_podman, sock, &e, &err);
        if (r >= 0)
                r = ctr_engine_events(e, st_up, st_event, st_end, &res, &s, &err);
        tap_is_int(r, 0, "events: subscribed to a fake podman");
        bv_loop_run_until(loop, &res.up, 3000000);
        tap_ok(res.up && res.n_events == 0, "events: up once /version answered, before the silent stream sends anything");
        bv_loop_run_until(loop, &res.ended, 5000000);
        tap_ok(res.n_events == 1 && strcmp(res.action, "die") == 0 && strcmp(res.ref, "podman:p1") == 0,
               "events: a line split across chunks gives one event, podman's 'died' as 'die' (%d, %s, %s)",
               res.n_events, res.action, res.ref);
        tap_ok(res.ended && res.r == -ECONNREFUSED && strstr(res.err, "Podman engine at"),
               "events: the engine going away mid-stream ends it with a clear error (%d: %s)", res.r, res.err);
        ctr_engine_stream_free(s);
        fake_stop(pid, sock);

        /* Podman's rotated events log: the kept part comes again, and is dropped. */
        static const char e1[] = "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"a1\",\"Attributes\":{\"name\":\"p1\"}},\"timeNano\":1000000000}\n";
        static const char e2[] = "{\"Type\":\"container\",\"Action\":\"died\",\"Actor\":{\"ID\":\"a1\",\"Attributes\":{\"name\":\"p1\"}},\"timeNano\":2000000000}\n";
        static const char e3[] = "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"a2\",\"Attributes\":{\"name\":\"p2\"}},\"timeNano\":2000000000}\n";
        char body[2048], rep[2600];
        snprintf(body, sizeof(body), "%s%s%s%s%s", e1, e2, e1, e2, e3);
        snprintf(rep, sizeof(rep), OK_HEAD "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
        struct fake fr = { .version = V143, .reply = rep };
        pid = fake_start(sock, &fr);
        res = (struct stream_result){};
        r = ctr_engine_events(e, st_up, st_event, st_end, &res, &s, &err);
        bv_loop_run_until(loop, &res.ended, 5000000);
        tap_ok(r == 0 && res.ended && res.r == 0 && res.n_events == 3 && strcmp(res.ref, "podman:p2") == 0,
               "events: repeats of a rotated log are dropped, a new event at the same time is not (%d events, %s)",
               res.n_events, res.ref);
        ctr_engine_stream_free(s);
        fake_stop(pid, sock);

        /* An event line over 64 KiB ends the stream with -EMSGSIZE. */
        _cleanup_free_ char *big = malloc(80 * 1024);
        int n = snprintf(big, 80 * 1024, OK_HEAD "Transfer-Encoding: chunked\r\n\r\n%x\r\n", 70 * 1024);
        memset(big + n, 'x', 70 * 1024);
        snprintf(big + n + 70 * 1024, 80 * 1024 - (size_t)n - 70 * 1024, "\r\n0\r\n\r\n");
        struct fake fb = { .version = V143, .reply = big };
        pid = fake_start(sock, &fb);
        res = (struct stream_result){};
        r = ctr_engine_events(e, st_up, st_event, st_end, &res, &s, &err);
        bv_loop_run_until(loop, &res.ended, 5000000);
        tap_ok(r == 0 && res.ended && res.r == -EMSGSIZE, "events: an oversized event line is -EMSGSIZE (%d: %s)", res.r,
               res.err);
        ctr_engine_stream_free(s);
        fake_stop(pid, sock);

        /* Freeing a stream that is still waiting: no callback afterwards. */
        struct fake fs = { .version = V143, .reply = reply, .delay_ms = 2000 };
        pid = fake_start(sock, &fs);
        res = (struct stream_result){};
        r = ctr_engine_events(e, st_up, st_event, st_end, &res, &s, &err);
        bv_loop_run_until(loop, &res.up, 3000000);
        s = ctr_engine_stream_free(s);
        bool never = false;
        bv_loop_run_until(loop, &never, 300000);
        tap_ok(r == 0 && res.up && !res.ended && res.n_events == 0, "events: a freed stream calls nothing");
        fake_stop(pid, sock);
        ctr_engine_free(e);
}

/* ---- case files ------------------------------------------------------------- */

static int errno_of(const char *name)
{
        static const struct { const char *name; int e; } map[] = {
                { "0", 0 }, { "EPROTO", EPROTO }, { "EMSGSIZE", EMSGSIZE }, { "ENOENT", ENOENT }, { "EBUSY", EBUSY },
                { "EIO", EIO }, { "EINVAL", EINVAL }, { "ETIMEDOUT", ETIMEDOUT }, { "EOPNOTSUPP", EOPNOTSUPP },
        };
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
                if (strcmp(name, map[i].name) == 0)
                        return map[i].e;
        return -1;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

static void run_case(const char *dir, const char *name)
{
        char path[4096], backend[16], kind[32], want_s[16], text[512] = "";
        _cleanup_free_ char *data = NULL;
        struct bv_error err = {};
        size_t len;
        int status;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (bv_file_read(path, 1024 * 1024, &data, &len, &err) < 0) {
                tap_ok(false, "case %s: %s", name, err.msg);
                return;
        }
        char *nl = memchr(data, '\n', len);
        if (!nl || sscanf(data, "%15s %31s %d %15s", backend, kind, &status, want_s) != 4) {
                tap_ok(false, "case %s: malformed first line", name);
                return;
        }
        *nl = '\0';
        /* TEXT: after the fourth word. */
        const char *p = data;
        for (int w = 0; w < 4 && p; w++) {
                p += strspn(p, " ");
                p = strchr(p, ' ');
        }
        if (p)
                snprintf(text, sizeof(text), "%s", p + 1);
        const struct ctr_engine_backend *b = ctr_engine_backend_find(backend);
        int want = errno_of(want_s);
        if (!b || want < 0) {
                tap_ok(false, "case %s: unknown backend '%s' or errno '%s'", name, backend, want_s);
                return;
        }
        json_t *v = NULL;
        int r = ctr_engine_reply_replay(b, kind, status, nl + 1, len - (size_t)(nl + 1 - data), &v, &err);
        _cleanup_free_ char *dump = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        tap_ok(r == -want, "case %s: %s %s gives %s (got %d: %s)", name, backend, kind, want_s, r,
               r < 0 ? err.msg : (dump ? dump : "null"));
        if (*text)
                tap_ok(strstr(r < 0 ? err.msg : (dump ? dump : ""), text) != NULL, "case %s: has '%s'", name, text);
        json_decref(v);
}

static void test_cases(const char *dir)
{
        struct dirent **list = NULL;
        int n = scandir(dir, &list, NULL, by_name);

        tap_ok(n > 2, "engine cases found in '%s'", dir);
        for (int i = 0; i < n; i++) {
                if (list[i]->d_name[0] != '.')
                        run_case(dir, list[i]->d_name);
                free(list[i]);
        }
        free(list);
}

/* Incremental demultiplexer against the whole-buffer one, every split point. */
static void on_piece(int stream, const char *data, size_t len, void *userdata)
{
        struct ctr_engine_demux *d = userdata;
        char **dst = stream == 2 ? &d->stderr_ : &d->stdout_;
        size_t *dl = stream == 2 ? &d->stderr_len : &d->stdout_len;

        memcpy(*dst + *dl, data, len);
        *dl += len;
}

static void test_demuxer(void)
{
        static const char s[] = "\1\0\0\0\0\0\0\5hello\2\0\0\0\0\0\0\3err\1\0\0\0\0\0\0\0\1\0\0\0\0\0\0\1!";
        size_t n = sizeof(s) - 1;
        bool ok = true;

        for (size_t cut = 0; cut <= n; cut++) {
                char o[64], e[64];
                struct ctr_engine_demux d = { .stdout_ = o, .stderr_ = e };
                struct ctr_engine_demuxer dm = {};
                struct bv_error err = {};
                int r = ctr_engine_demuxer_feed(&dm, s, cut, on_piece, &d, &err);
                if (r >= 0)
                        r = ctr_engine_demuxer_feed(&dm, s + cut, n - cut, on_piece, &d, &err);
                ok &= r == 0 && d.stdout_len == 6 && memcmp(o, "hello!", 6) == 0 && d.stderr_len == 3 &&
                      memcmp(e, "err", 3) == 0 && dm.head_len == 0 && dm.left == 0;
        }
        tap_ok(ok, "demuxer: the same frames whatever the split point");
}

/* Create bodies: barevirt's object to the Engine API's. */
static void test_create_body(void)
{
        json_auto_t *spec = json_pack("{s:s, s:s, s:[s,s], s:[s], s:{s:s}, s:[s], s:s, s:s, s:I, s:f, s:s}", "image",
                                      "busybox", "name", "c1", "cmd", "sh", "-c", "env", "A=1", "labels", "k", "v",
                                      "binds", "/a:/b:ro", "network", "none", "restart", "on-failure:3", "memory",
                                      (json_int_t)64 << 20, "cpus", 1.5, "workdir", "/tmp");
        json_auto_t *body = NULL;
        struct bv_error err = {};
        char name[64];

        tap_ok(ctr_engine_create_body(spec, &body, name, sizeof(name), &err) == 0, "create body: %s", err.msg);
        tap_is_str(name, "c1", "create body: the name goes to ?name=");
        const json_t *h = json_object_get(body, "HostConfig");
        tap_ok(json_integer_value(json_object_get(h, "NanoCpus")) == 1500000000 &&
               json_integer_value(json_object_get(h, "Memory")) == 64 << 20 &&
               strcmp(json_string_value(json_object_get(json_object_get(h, "RestartPolicy"), "Name")), "on-failure") == 0 &&
               json_integer_value(json_object_get(json_object_get(h, "RestartPolicy"), "MaximumRetryCount")) == 3 &&
               strcmp(json_string_value(json_array_get(json_object_get(h, "Binds"), 0)), "/a:/b:ro") == 0 &&
               strcmp(json_string_value(json_object_get(h, "NetworkMode")), "none") == 0,
               "create body: HostConfig has cpus, memory, restart policy, binds, network");
        tap_ok(strcmp(json_string_value(json_object_get(body, "WorkingDir")), "/tmp") == 0 &&
               json_array_size(json_object_get(body, "Cmd")) == 2, "create body: workdir and cmd");
        json_auto_t *ps = json_loads("{\"image\": \"b\", \"hostname\": \"web-1\", \"auto_remove\": true, "
                                     "\"ports\": [\"8080:80\", \"127.0.0.1:8443:443/tcp\", \"53/udp\", "
                                     "\"[::1]::80\", \"0.0.0.0::9000\"]}", 0, NULL), *pb = NULL;
        tap_ok(ctr_engine_create_body(ps, &pb, name, sizeof(name), &err) == 0, "create body with ports: %s", err.msg);
        _cleanup_free_ char *pt = json_dumps(pb, JSON_COMPACT | JSON_SORT_KEYS);
        tap_ok(pt && strstr(pt, "\"ExposedPorts\":{\"443/tcp\":{},\"53/udp\":{},\"80/tcp\":{},\"9000/tcp\":{}}") &&
               strstr(pt, "\"PortBindings\":{\"443/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8443\"}],"
                          "\"53/udp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}],\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"},"
                          "{\"HostIp\":\"::1\",\"HostPort\":\"\"}],\"9000/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"\"}]}") &&
               strstr(pt, "\"AutoRemove\":true") && strstr(pt, "\"Hostname\":\"web-1\""),
               "create body: ports, hostname and auto_remove as Docker's -p, -h and --rm (%s)", pt ? pt : "");
        static const struct { const char *json, *text; } bad[] = {
                { "{\"image\": \"busybox\", \"memroy\": 1}", "memroy" },
                { "{\"image\": \"b\", \"ports\": [\"0:80\"]}", "ports[0]" },
                { "{\"image\": \"b\", \"ports\": [\"80:65536\"]}", "ports[0]" },
                { "{\"image\": \"b\", \"ports\": [\"80/sctp\"]}", "not tcp or udp" },
                { "{\"image\": \"b\", \"ports\": [\"::1:80:80\"]}", "IPv6 in brackets" },
                { "{\"image\": \"b\", \"ports\": [\"1.2.3:80:80\"]}", "not an IP address" },
                { "{\"image\": \"b\", \"ports\": [\"8000-8001:80\"]}", "ports[0]" },
                { "{\"image\": \"b\", \"ports\": [80]}", "ports[0]' must be a string" },
                { "{\"image\": \"b\", \"ports\": \"80\"}", "'ports' must be an array" },
                { "{\"image\": \"b\", \"hostname\": \"-x\"}", "Invalid hostname" },
                { "{\"name\": \"x\"}", "image" },
                { "{\"image\": \"../x\"}", "Invalid image" },
                { "{\"image\": \"b\", \"name\": \"a/b\"}", "Invalid container name" },
                { "{\"image\": \"b\", \"env\": [\"NOVALUE\"]}", "NAME=VALUE" },
                { "{\"image\": \"b\", \"env\": \"A=1\"}", "'env' must be an array" },
                { "{\"image\": \"b\", \"restart\": \"sometimes\"}", "restart policy" },
                { "{\"image\": \"b\", \"restart\": \"always:3\"}", "restart policy" },
                { "{\"image\": \"b\", \"memory\": 1024}", "at least 6 MiB" },
                { "{\"image\": \"b\", \"cpus\": 0}", "'cpus'" },
                { "{\"image\": \"b\", \"workdir\": \"rel\"}", "absolute" },
                { "{\"image\": \"b\", \"binds\": [\"/nodst\"]}", "SOURCE:TARGET" },
                { "{\"image\": \"b\", \"mounts\": [{\"source\": \"/a\"}]}", "mounts[0]" },
                { "{\"image\": \"b\", \"labels\": {\"k\": 1}}", "labels.k" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                json_auto_t *sp = json_loads(bad[i].json, 0, NULL), *bd = NULL;
                int r = ctr_engine_create_body(sp, &bd, name, sizeof(name), &err);
                tap_ok(r == -EINVAL && strstr(err.msg, bad[i].text), "create body: %s refused (%s)", bad[i].json, err.msg);
        }
        tap_ok(ctr_engine_status_uptime("Up 5 seconds") == 5 && ctr_engine_status_uptime("Up About an hour") == 3600 &&
               ctr_engine_status_uptime("Up 3 days (Paused)") == 3 * 86400 &&
               ctr_engine_status_uptime("Up Less than a second") == 0 && ctr_engine_status_uptime("Exited (0)") == -1 &&
               ctr_engine_status_uptime("Up x") == -1, "uptime from the engines' status text");
}

int main(int argc, char **argv)
{
        char cases[4096];

        tap_cases_dir(cases, sizeof(cases), argc, argv, "engine-cases", __FILE__);
        char dir[] = "/tmp/bv-engine-XXXXXX";
        struct bv_loop *loop = NULL;
        struct bv_error err = {};

        signal(SIGPIPE, SIG_IGN);
        test_demux();
        test_demuxer();
        test_create_body();
        test_cases(cases);
        if (!mkdtemp(dir) || bv_loop_new(&loop, &err) < 0) {
                tap_ok(false, "setup: %s", err.msg);
                tap_done();
        }
        test_fake(loop, dir);
        test_events_stream(loop, dir);
        bv_loop_free(loop);
        rmdir(dir);
        tap_done();
}
