/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every verb shares: the API call (through common/http.c, so the CLI
 * parses replies with the same libhttp-parser code as the daemon), the
 * list and show verbs' GET-then-print, JSON output and error lines
 * (args.c has the command lines). Failures become one line on stderr,
 * never a stack of transport errors.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "tools/cli/cli.h"

#define CLI_MAX_REPLY (64 * 1024 * 1024)

/*
 * One rule for every error line, ours and barevirtd's: "barevirt: " and a
 * message that starts in lower case ("No VM named 'x'" becomes "no VM named
 * 'x'"), except where the first word is an acronym (QEMU, VM), a name
 * (Docker, Podman) or the name of a peer that speaks next ("Docker: ...").
 */
__attribute__((format(printf, 1, 0))) static void vfail(const char *fmt, va_list ap)
{
        char msg[4096];

        vsnprintf(msg, sizeof(msg), fmt, ap);
        static const char *const names[] = { "Docker", "Podman", "Linux", "OpenSSL" };
        size_t word = strcspn(msg, " ");
        bool keep = word < 2 || !isupper((unsigned char)msg[0]) || !islower((unsigned char)msg[1]) ||
                    msg[word - 1] == ':';
        for (size_t i = 0; i < BV_ELEMENTSOF(names) && !keep; i++)
                keep = strlen(names[i]) == word && strncmp(msg, names[i], word) == 0;
        if (!keep)
                msg[0] = (char)tolower((unsigned char)msg[0]);
        fprintf(stderr, "barevirt: %s\n", msg);
}

int cli_fail(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vfail(fmt, ap);
        va_end(ap);
        return 1;
}

int cli_usage_error(struct cli *cli, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vfail(fmt, ap);
        va_end(ap);
        fprintf(stderr, "usage: barevirt %s\n", cli->command->usage);
        return 2;
}

const char *cli_jstr(const json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));
        return s ? s : "-";
}

const char *cli_join(const json_t *a, const char *key, char *buf, size_t len)
{
        json_t *v;
        size_t i;

        buf[0] = '\0';
        json_array_foreach(a, i, v) {
                const char *s = key ? json_string_value(json_object_get(v, key)) : json_string_value(v);
                size_t used = strlen(buf);
                snprintf(buf + used, len - used, "%s%s", i ? "," : "", s ? s : "?");
        }
        if (!buf[0])
                snprintf(buf, len, "-");
        return buf;
}

const char *cli_mib_text(long long mib, char *buf, size_t len)
{
        snprintf(buf, len, "%lld MiB", mib);
        return buf;
}

const char *cli_vcpus_text(long long n, char *buf, size_t len)
{
        snprintf(buf, len, "%lld vcpu%s", n, n == 1 ? "" : "s");
        return buf;
}

/* GETs path: with --json prints the reply and sets *ret to NULL, else *ret is the reply. */
static int get_or_print(struct cli *cli, const char *path, json_t **ret)
{
        json_t *v = NULL;
        int r = cli_api(cli, "GET", path, NULL, 0, &v);

        *ret = NULL;
        if (r)
                return r;
        if (cli->json) {
                cli_print_json(v);
                json_decref(v);
                return 0;
        }
        *ret = v;
        return 0;
}

int cli_fetch(struct cli *cli, const char *path, int argc, char **argv, json_t **ret)
{
        struct cli_args a = {};
        int r = cli_parse(cli, argc, argv, &a, NULL, NULL);

        *ret = NULL;
        return r ? r : get_or_print(cli, path, ret);
}

int cli_get_table(struct cli *cli, const char *path, void (*print_row)(const json_t *row))
{
        json_auto_t *a = NULL;
        json_t *v;
        size_t i;
        int r = get_or_print(cli, path, &a);

        if (r || !a)
                return r;
        print_row(NULL);
        json_array_foreach(a, i, v)
                print_row(v);
        return 0;
}

int cli_get(struct cli *cli, const char *collection, const char *name, json_t **ret)
{
        char path[256];

        snprintf(path, sizeof(path), "/v1/%s/%s", collection, name);
        return cli_api(cli, "GET", path, NULL, 0, ret);
}

int cli_show(struct cli *cli, const char *what, const char *collection, int argc, char **argv,
             void (*print)(const json_t *v))
{
        json_auto_t *v = NULL;
        const char *name = NULL;
        int r = cli_parse_name(cli, what, argc, argv, NULL, NULL, &name);

        if (r || (r = cli_get(cli, collection, name, &v)))
                return r;
        if (cli->json)
                return cli_print_json(v);
        print(v);
        return 0;
}

int cli_create(struct cli *cli, const char *what, const char *path, json_t *body)
{
        json_t *v = NULL;
        int r;

        if (cli->project && !json_object_get(body, "project"))
                json_object_set_new(body, "project", json_string(cli->project));
        if ((r = cli_api(cli, "POST", path, body, 0, &v)))
                return r;
        if (cli->json)
                cli_print_json(v);
        else
                printf("%c%s '%s' created\n", toupper((unsigned char)what[0]), what + 1, cli_jstr(v, "name"));
        json_decref(v);
        return 0;
}

int cli_create_from_file(struct cli *cli, const char *what, const char *path, const char *file, const char *name)
{
        struct bv_error err = {};
        json_auto_t *def = NULL;

        if (bv_json_load_file(file, 256 * 1024, &def, &err) < 0)
                return cli_fail("%s", err.msg);
        if (name)
                json_object_set_new(def, "name", json_string(name));
        return cli_create(cli, what, path, def);
}

int cli_spec_set(json_t *o, char *opt, const char *const *keys)
{
        char *eq = strchr(opt, '=');

        for (size_t i = 0; eq && keys[i]; i++)
                if (strlen(keys[i]) == (size_t)(eq - opt) && strncmp(opt, keys[i], strlen(keys[i])) == 0) {
                        json_object_set_new(o, keys[i], json_string(eq + 1));
                        return 0;
                }
        return -EINVAL;
}

int cli_add_spec(struct cli *cli, const char *opt, json_t *list, const char *val, const char *head_key,
                 int (*on_opt)(json_t *o, char *opt))
{
        _cleanup_free_ char *spec = strdup(val);
        json_t *o = json_object();
        char *save = NULL;
        char *head = spec ? strtok_r(spec, ",", &save) : NULL;
        int r = head ? 0 : -EINVAL;

        json_array_append_new(list, o);
        /* "network=N,firewall=G" is also "N,firewall=G". */
        if (head && strncmp(head, head_key, strlen(head_key)) == 0 && head[strlen(head_key)] == '=')
                head += strlen(head_key) + 1;
        if (head && strcmp(head_key, "file") == 0)
                cli_json_set_path(o, head_key, head);
        else if (head)
                json_object_set_new(o, head_key, json_string(head));
        for (char *p; r == 0 && (p = strtok_r(NULL, ",", &save));)
                r = on_opt(o, p);
        return r < 0 ? cli_usage_error(cli, "bad %s '%s'", opt, val) : 0;
}

void cli_json_set_path(json_t *o, const char *key, const char *path)
{
        _cleanup_free_ char *abs = realpath(path, NULL);

        json_object_set_new(o, key, json_string(abs ? abs : path));
}

int cli_print_json(const json_t *v)
{
        _cleanup_free_ char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
        if (s)
                puts(s);
        return 0;
}

static int connect_error(struct cli *cli, int r, const struct bv_error *err)
{
        if (cli->remote_name[0]) {
                char msg[sizeof(err->msg)];
                snprintf(msg, sizeof(msg), "%s", bv_error_message(err, r));
                if (isupper((unsigned char)msg[0]) && islower((unsigned char)msg[1]))
                        msg[0] = (char)tolower((unsigned char)msg[0]);
                return cli_fail("remote '%s': %s", cli->remote_name, msg);
        }
        if (r == -ENOENT || r == -ECONNREFUSED)
                return cli_fail("barevirtd is not running (nothing listens on '%s')", cli->socket);
        if (r == -EACCES || r == -EPERM)
                return cli_fail("permission denied on '%s' (are you root or in the barevirt group?)",
                                cli->socket);
        return cli_fail("%s", bv_error_message(err, r));
}

/* The loop and the client, made on first use. Returns the exit code. */
static int client_connect(struct cli *cli)
{
        struct bv_error err = {};
        int r;

        if (!cli->loop && (r = bv_loop_new(&cli->loop, &err)) < 0)
                return cli_fail("%s", bv_error_message(&err, r));
#ifdef BV_TLS
        if (!cli->client && (r = cli_remote_open(cli)))
                return r;
#else
        if (cli->remote && strcmp(cli->remote, "local") != 0)
                return cli_fail("remote '%s': TLS support was left out of this build (--disable-tls)", cli->remote);
#endif
        if (!cli->client && (r = bv_http_client_new(cli->loop, cli->socket, &cli->client, &err)) < 0)
                return connect_error(cli, r, &err);
        return 0;
}

int cli_api(struct cli *cli, const char *method, const char *path, json_t *body,
            unsigned timeout_ms, json_t **ret)
{
        struct bv_error err = {};
        _cleanup_free_ char *payload = NULL;
        struct bv_http_response *resp = NULL;
        int r;

        if ((r = client_connect(cli)))
                return r;
        if (body && !(payload = bv_json_dumps(body)))
                return cli_fail("out of memory");
        struct bv_http_client_request req = {
                .method = method,
                .path = path,
                .content_type = payload ? "application/json" : NULL,
                .body = payload,
                .body_len = payload ? strlen(payload) : 0,
                .timeout_usec = (timeout_ms ? timeout_ms : 60000) * 1000ULL,
                .max_body = CLI_MAX_REPLY,
        };
        r = bv_http_client_call(cli->client, &req, &resp, &err);
        cli_progress_end(cli);
        if (r < 0) {
                if (r == -ETIMEDOUT)
                        return cli_fail("barevirtd did not answer %s %s within %u ms", method, path,
                                        timeout_ms ? timeout_ms : 60000);
                return connect_error(cli, r, &err);
        }
        json_t *v = NULL;
        if (resp->body_len > 0 &&
            bv_json_loadb(resp->body, resp->body_len, CLI_MAX_REPLY, JSON_ALLOW_NUL, &v, &err) < 0) {
                int status = resp->status;
                bv_http_response_free(resp);
                return cli_fail("barevirtd sent a malformed reply (HTTP %d): %s", status, err.msg);
        }
        if (resp->status >= 400) {
                const char *msg = json_string_value(json_object_get(v, "error"));
                cli_fail("%s", msg ? msg : bv_http_status_text(resp->status));
                json_decref(v);
                bv_http_response_free(resp);
                return 1;
        }
        bv_http_response_free(resp);
        if (ret)
                *ret = v;
        else
                json_decref(v);
        return 0;
}

struct stream_call {
        bool done;
        int r;
        int status;
        struct bv_error err;
        char errbody[512];
        size_t errlen;
        int (*on_body)(const char *data, size_t len, void *userdata);
        void *userdata;
};

static void stream_head(const struct bv_http_response *head, void *userdata)
{
        struct stream_call *s = userdata;

        s->status = head->status;
}

static int stream_body(const char *data, size_t len, void *userdata)
{
        struct stream_call *s = userdata;

        if (s->status >= 400) {
                size_t n = BV_MIN(len, sizeof(s->errbody) - 1 - s->errlen);
                memcpy(s->errbody + s->errlen, data, n);
                s->errlen += n;
                s->errbody[s->errlen] = '\0';
                return 0;
        }
        return s->on_body(data, len, s->userdata);
}

static void stream_done(int ret, struct bv_http_response *resp, const struct bv_error *err, void *userdata)
{
        struct stream_call *s = userdata;

        s->done = true;
        s->r = ret;
        if (ret < 0 && err)
                s->err = *err;
        bv_http_response_free(resp);
}

void cli_json_set_nonempty(json_t *o, const char *key, json_t *v)
{
        if (json_array_size(v) || json_object_size(v))
                json_object_set(o, key, v);
}

int cli_write_stdout(const char *data, size_t len, void *userdata)
{
        (void)userdata;
        return bv_fd_write_all(STDOUT_FILENO, data, len) < 0 ? -EPIPE : 0;
}

int cli_stream(struct cli *cli, const char *path, int (*on_body)(const char *data, size_t len, void *userdata),
               void *userdata)
{
        struct stream_call s = { .on_body = on_body, .userdata = userdata };
        int r;

        if ((r = client_connect(cli)))
                return r;
        struct bv_http_client_request req = {
                /* Following: the idle time allowed between two pieces of output. */
                .method = "GET", .path = path, .timeout_usec = 30ULL * 24 * 3600 * 1000000,
                .on_body = stream_body, .on_head = stream_head,
        };
        if ((r = bv_http_client_send(cli->client, &req, stream_done, &s)) < 0)
                return cli_fail("cannot send a request: %s", strerror(-r));
        while (!s.done)
                if ((r = bv_loop_run_once(cli->loop, -1)) < 0)
                        return cli_fail("event loop failed: %s", strerror(-r));
        if (s.r == -EPIPE)
                return 0;   /* whoever reads our output went away (| head) */
        if (s.r < 0)
                return connect_error(cli, s.r, &s.err);
        if (s.status >= 400) {
                json_auto_t *v = NULL;
                const char *msg = NULL;
                if (bv_json_loadb(s.errbody, s.errlen, sizeof(s.errbody), 0, &v, NULL) >= 0)
                        msg = json_string_value(json_object_get(v, "error"));
                return cli_fail("%s", msg ? msg : bv_http_status_text(s.status));
        }
        return 0;
}
