/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every verb shares: the API call (through common/http.c, so the CLI
 * parses replies with the same libhttp-parser code as the daemon), JSON
 * output, usage errors and sub-command dispatch. Failures become one line
 * on stderr, never a stack of transport errors.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fd.h"
#include "common/json.h"
#include "common/parse.h"
#include "tools/cli/cli.h"

#define CLI_MAX_REPLY (64 * 1024 * 1024)

int cli_fail(const char *fmt, ...)
{
        va_list ap;

        fputs("barevirt: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return 1;
}

int cli_usage_error(const char *usage, const char *fmt, ...)
{
        va_list ap;

        fputs("barevirt: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nusage: barevirt %s\n", usage);
        return 2;
}

bool cli_wants_help(const char *usage, int argc, char **argv)
{
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--") == 0)
                        break;
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        printf("usage: barevirt %s\n", usage);
                        return true;
                }
        }
        return false;
}

const char *cli_jstr(const json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));
        return s ? s : "-";
}

int cli_fetch(struct cli *cli, const char *usage, const char *path, int argc, char **argv, json_t **ret)
{
        json_t *v = NULL;

        *ret = NULL;
        for (int k = 1; k < argc; k++)
                if (strcmp(argv[k], "--json") == 0)
                        cli->json = true;
                else
                        return cli_usage_error(usage, "unexpected argument '%s'", argv[k]);
        int r = cli_api(cli, "GET", path, NULL, 0, &v);
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

int cli_create(struct cli *cli, const char *what, const char *path, json_t *body)
{
        json_t *v = NULL;
        int r = cli_api(cli, "POST", path, body, 0, &v);

        if (r)
                return r;
        if (cli->json)
                cli_print_json(v);
        else
                printf("%s '%s' created\n", what, cli_jstr(v, "name"));
        json_decref(v);
        return 0;
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
        if (r == -ENOENT || r == -ECONNREFUSED)
                return cli_fail("barevirtd is not running (nothing listens on '%s')", cli->socket);
        if (r == -EACCES || r == -EPERM)
                return cli_fail("permission denied on '%s' (are you root or in the barevirt group?)",
                                cli->socket);
        return cli_fail("%s", bv_error_message(err, r));
}

int cli_api(struct cli *cli, const char *method, const char *path, json_t *body,
            unsigned timeout_ms, json_t **ret)
{
        struct bv_error err = {};
        _cleanup_free_ char *payload = NULL;
        struct bv_http_response *resp = NULL;
        int r;

        if (!cli->loop && (r = bv_loop_new(&cli->loop, &err)) < 0)
                return cli_fail("%s", bv_error_message(&err, r));
        if (!cli->client && (r = bv_http_client_new(cli->loop, cli->socket, &cli->client, &err)) < 0)
                return connect_error(cli, r, &err);
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

int cli_dispatch(struct cli *cli, const char *verb, const struct cli_command *table, int argc,
                 char **argv)
{
        size_t n = 0;

        while (table[n].name)
                n++;
        if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
                FILE *f = argc < 1 ? stderr : stdout;
                fprintf(f, "usage:\n");
                for (size_t i = 0; i < n; i++)
                        fprintf(f, "  barevirt %-40s %s\n", table[i].usage, table[i].summary);
                return argc < 1 ? 2 : 0;
        }
        for (size_t i = 0; i < n; i++)
                if (strcmp(argv[0], table[i].name) == 0) {
                        /* A verb with sub-commands ("vm COMMAND ...") answers --help itself, per sub-command. */
                        if (!strstr(table[i].usage, "COMMAND ...") && cli_wants_help(table[i].usage, argc, argv))
                                return 0;
                        return table[i].fn(cli, argc, argv);
                }
        if (verb)
                return cli_fail("unknown command '%s %s' (see 'barevirt %s --help')", verb, argv[0], verb);
        return cli_fail("unknown command '%s' (see 'barevirt --help')", argv[0]);
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
        struct bv_error err = {};
        int r;

        if (!cli->loop && (r = bv_loop_new(&cli->loop, &err)) < 0)
                return cli_fail("%s", bv_error_message(&err, r));
        if (!cli->client && (r = bv_http_client_new(cli->loop, cli->socket, &cli->client, &err)) < 0)
                return connect_error(cli, r, &err);
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

int cli_name_and_json(struct cli *cli, const char *usage, const char *what, int argc, char **argv,
                      const char **ret_name)
{
        const char *name = NULL;

        for (int k = 1; k < argc; k++)
                if (cli && strcmp(argv[k], "--json") == 0)
                        cli->json = true;
                else if (!name && argv[k][0] != '-')
                        name = argv[k];
                else
                        return cli_usage_error(usage, "unexpected argument '%s'", argv[k]);
        if (!name)
                return cli_usage_error(usage, "expected a %s name", what);
        if (!bv_name_is_valid(name))
                return cli_fail("invalid %s name '%s'", what, name);
        *ret_name = name;
        return 0;
}
