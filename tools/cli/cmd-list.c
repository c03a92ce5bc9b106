/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Generic instance verbs over /v1/instances, the same for every type of
 * instance: `list` shows barevirt's own instances and Docker/Podman
 * containers in one table; start, stop, restart, kill, pause, resume,
 * logs [-f], exec, show and delete take a ref (NAME, docker:NAME,
 * podman:NAME). Which verbs a type supports is the daemon's to say.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "tools/cli/cli.h"

/* "42s", "3m", "5h", "2d", or "-". */
static const char *uptime_text(const json_t *v, char *buf, size_t len)
{
        if (!json_is_integer(v))
                return "-";
        long long s = json_integer_value(v);
        if (s < 120)
                snprintf(buf, len, "%llds", s);
        else if (s < 7200)
                snprintf(buf, len, "%lldm", s / 60);
        else if (s < 172800)
                snprintf(buf, len, "%lldh", s / 3600);
        else
                snprintf(buf, len, "%lldd", s / 86400);
        return buf;
}

static void instance_row(const json_t *in, char cells[][CLI_CELL_MAX])
{
        snprintf(cells[0], CLI_CELL_MAX, "%s", cli_jstr(in, "ref"));
        snprintf(cells[1], CLI_CELL_MAX, "%s", cli_jstr(in, "type"));
        snprintf(cells[2], CLI_CELL_MAX, "%s", cli_jstr(in, "state"));
        snprintf(cells[3], CLI_CELL_MAX, "%s", cli_jstr(in, "image"));
        cli_join(json_object_get(in, "addresses"), NULL, cells[4], CLI_CELL_MAX);
        char up[32];
        snprintf(cells[5], CLI_CELL_MAX, "%s", uptime_text(json_object_get(in, "uptime"), up, sizeof(up)));
}

static const struct cli_column instance_columns[] = {
        { "NAME", CLI_COL_SHRINK }, { "TYPE", 0 }, { "STATE", 0 }, { "IMAGE/KERNEL", CLI_COL_PATH },
        { "ADDRESSES", CLI_COL_SHRINK }, { "UPTIME", 0 }, {},
};

/* With a PROJECT column after NAME. */
static void instance_project_row(const json_t *in, char cells[][CLI_CELL_MAX])
{
        instance_row(in, cells + 1);
        memcpy(cells[0], cells[1], CLI_CELL_MAX);
        snprintf(cells[1], CLI_CELL_MAX, "%s", cli_jstr(in, "project"));
}

static const struct cli_column instance_project_columns[] = {
        { "NAME", CLI_COL_SHRINK }, { "PROJECT", CLI_COL_SHRINK }, { "TYPE", 0 }, { "STATE", 0 },
        { "IMAGE/KERNEL", CLI_COL_PATH }, { "ADDRESSES", CLI_COL_SHRINK }, { "UPTIME", 0 }, {},
};

int cmd_list(struct cli *cli, int argc, char **argv)
{
        /* A PROJECT column only where there is more than one project (the JSON always has "project"). */
        static const struct cli_table tp = { instance_project_columns, "ref", instance_project_row, NULL };
        static const struct cli_table t = { instance_columns, "ref", instance_row, &tp };

        return cli_list(cli, "/v1/instances", argc, argv, &t);
}

/* A ref becomes a path segment: refuse what would change the URL. */
static bool ref_ok(const char *ref)
{
        return *ref && !strpbrk(ref, "/?#% \t\r\n");
}

/* Parses "VERB [OPTIONS] REF" with the options of cli->command. Returns 0 with *ret_ref, or an exit code. */
static int parse_ref(struct cli *cli, int argc, char **argv, cli_option_fn *on_option, void *userdata,
                     const char **ret_ref)
{
        struct cli_args a = { .max = 2 };
        int r = cli_parse(cli, argc, argv, &a, on_option, userdata);

        if (r)
                return r;
        if (a.n == 0)
                return cli_usage_error(cli, "expected one REF (NAME, docker:NAME or podman:NAME)");
        if (a.n > 1)
                return cli_usage_error(cli, "expected one REF");
        if (!ref_ok(a.arg[0]))
                return cli_usage_error(cli, "invalid REF '%s'", a.arg[0]);
        *ret_ref = a.arg[0];
        return 0;
}

/* ---- start, stop, restart, kill, pause, resume ------------------------------------- */

enum { OPT_TIME = CLI_OPT_OWN, OPT_SIGNAL, OPT_FOLLOW, OPT_TAIL, OPT_FORCE, OPT_TTY };

const struct cli_option cli_grace_options[] = {
        CLI_OPTION_JSON,
        { "time", 't', "SECONDS", "seconds to wait for it to stop before SIGKILL (0-3600)", "its own", OPT_TIME },
        {},
};

const struct cli_option cli_kill_options[] = {
        CLI_OPTION_JSON,
        { "signal", 's', "SIGNAL", "the signal to send (KILL, SIGTERM, 15, ...)", "SIGKILL", OPT_SIGNAL },
        {},
};

/* The one query parameter of an action: ?t=SECONDS or ?signal=SIG. */
struct action_query {
        const char *key;
        const char *val;
};

static int on_action_option(struct cli *cli, int id, const char *val, void *userdata)
{
        struct action_query *q = userdata;

        if (strpbrk(val, "/?#%&= \t\r\n"))
                return cli_usage_error(cli, "invalid value '%s'", val);
        *q = (struct action_query){ id == OPT_TIME ? "t" : "signal", val };
        return 0;
}

int cmd_action(struct cli *cli, int argc, char **argv)
{
        struct action_query q = {};
        const char *ref = NULL;
        json_auto_t *reply = NULL;
        char path[512];
        unsigned timeout_ms = 0;
        int r = parse_ref(cli, argc, argv, on_action_option, &q, &ref);

        if (r)
                return r;
        snprintf(path, sizeof(path), "/v1/instances/%s/%s%s%s%s%s", ref, argv[0], q.val ? "?" : "", q.val ? q.key : "",
                 q.val ? "=" : "", q.val ? q.val : "");
        if (q.val && strcmp(q.key, "t") == 0)
                timeout_ms = (unsigned)(atoi(q.val) + 20) * 1000;
        bool stop = strcmp(argv[0], "stop") == 0 || strcmp(argv[0], "restart") == 0;
        if (stop && q.val && strcmp(q.key, "t") == 0)
                cli_progress_start(cli, (unsigned)atoi(q.val), "waiting up to %s s for '%s' to stop (Ctrl-C to stop waiting; kill kills)",
                                   q.val, ref);
        else if (stop)
                cli_progress_start(cli, 0, "waiting for '%s' to stop (Ctrl-C to stop waiting; kill kills)", ref);
        else if (strcmp(argv[0], "start") == 0)
                cli_progress_start(cli, 0, "waiting for '%s' to start", ref);
        r = cli_api(cli, "POST", path, NULL, timeout_ms, &reply);
        if (r)
                return r;
        if (cli->json)
                return cli_print_json(reply);
        printf("%s: %s\n", json_object_get(reply, "ref") ? cli_jstr(reply, "ref") : cli_jstr(reply, "name"),
               cli_jstr(reply, "state"));
        return 0;
}

/* ---- logs, show, delete ------------------------------------------------------------- */

const struct cli_option cli_logs_options[] = {
        CLI_OPTION_JSON,
        { "follow", 'f', NULL, "keep following until the instance stops", NULL, OPT_FOLLOW },
        { "tail", 'n', "LINES", "only the last LINES lines", "all", OPT_TAIL },
        {},
};

struct logs {
        bool follow;
        const char *tail;
};

static int on_logs_option(struct cli *cli, int id, const char *val, void *userdata)
{
        struct logs *l = userdata;

        if (id == OPT_FOLLOW)
                l->follow = true;
        else if (strspn(val, "0123456789") != strlen(val) || !*val || strlen(val) > 7)
                return cli_usage_error(cli, "invalid number of lines '%s'", val);
        else
                l->tail = val;
        return 0;
}

int cmd_logs(struct cli *cli, int argc, char **argv)
{
        struct logs l = {};
        const char *ref = NULL;
        json_auto_t *reply = NULL;
        char path[512];
        int r = parse_ref(cli, argc, argv, on_logs_option, &l, &ref);

        if (r)
                return r;
        snprintf(path, sizeof(path), "/v1/instances/%s/logs?follow=%d%s%s", ref, l.follow ? 1 : 0,
                 l.tail ? "&tail=" : "", l.tail ? l.tail : "");
        if (l.follow)
                return cli_stream(cli, path, cli_write_stdout, NULL);
        if ((r = cli_api(cli, "GET", path, NULL, 0, &reply)))
                return r;
        if (cli->json)
                return cli_print_json(reply);
        const json_t *out = json_object_get(reply, "output");
        fwrite(json_string_value(out) ? json_string_value(out) : "", 1, json_string_length(out), stdout);
        return 0;
}

struct kind_logs {
        bool follow, tail;
        unsigned lines;
};

/* -f is the only option without a value. */
static int on_kind_logs_option(struct cli *cli, int id, const char *val, void *userdata)
{
        struct kind_logs *l = userdata;

        if (!val)
                l->follow = true;
        else if (bv_parse_uint(val, 0, 1000000000, &l->lines) < 0)
                return cli_usage_error(cli, "-n: expected a number of lines");
        else
                l->tail = true;
        return 0;
}

int cli_kind_logs(struct cli *cli, const char *what, const char *collection, int argc, char **argv)
{
        struct kind_logs l = {};
        const char *name = NULL;
        char path[320];
        int r = cli_parse_name(cli, what, argc, argv, on_kind_logs_option, &l, &name);

        if (r)
                return r;
        snprintf(path, sizeof(path), "/v1/%s/%s/logs?follow=%d", collection, name, l.follow);
        if (l.tail)
                snprintf(path + strlen(path), sizeof(path) - strlen(path), "&tail=%u", l.lines);
        return cli_stream(cli, path, cli_write_stdout, NULL);
}

int cmd_show(struct cli *cli, int argc, char **argv)
{
        static const char *const keys[] = { "ref", "type", "state", "engine_state", "image", "id" };
        const char *ref = NULL;
        json_auto_t *reply = NULL;
        char path[512], buf[128];
        int r = parse_ref(cli, argc, argv, NULL, NULL, &ref);

        if (r)
                return r;
        snprintf(path, sizeof(path), "/v1/instances/%s", ref);
        if ((r = cli_api(cli, "GET", path, NULL, 0, &reply)))
                return r;
        if (cli->json)
                return cli_print_json(reply);
        for (size_t i = 0; i < BV_ELEMENTSOF(keys); i++)
                if (json_object_get(reply, keys[i]))
                        printf("%-13s %s\n", keys[i], cli_jstr(reply, keys[i]));
        printf("%-13s %s\n", "addresses", cli_join(json_object_get(reply, "addresses"), NULL, buf, sizeof(buf)));
        return 0;
}

const struct cli_option cli_delete_options[] = {
        CLI_OPTION_JSON,
        { "force", 'f', NULL, "remove a running engine container too", NULL, OPT_FORCE },
        {},
};

int cmd_delete(struct cli *cli, int argc, char **argv)
{
        const char *ref = NULL;
        bool force = false;
        char path[512];
        int r = parse_ref(cli, argc, argv, cli_on_flag, &force, &ref);

        if (r)
                return r;
        snprintf(path, sizeof(path), "/v1/instances/%s%s", ref, force ? "?force=1" : "");
        if ((r = cli_api(cli, "DELETE", path, NULL, 0, NULL)))
                return r;
        if (!cli->json)
                printf("Instance '%s' deleted\n", ref);
        return 0;
}

/* ---- exec ---------------------------------------------------------------------------- */

/* Prints an exec or run result's output to stdout and stderr (or its "error", when the command could not run). */
void cli_print_output(const json_t *reply)
{
        const json_t *o = json_object_get(reply, "stdout"), *e = json_object_get(reply, "stderr");
        const char *failure = json_string_value(json_object_get(reply, "error"));

        /* A command that could not run: barevirt's one line instead of the runtime's or engine's (in --json). */
        if (failure) {
                fprintf(stderr, "barevirt: %s\n", failure);
                return;
        }
        fwrite(json_string_value(o) ? json_string_value(o) : "", 1, json_string_length(o), stdout);
        fflush(stdout);
        fwrite(json_string_value(e) ? json_string_value(e) : "", 1, json_string_length(e), stderr);
}

const struct cli_option cli_exec_options[] = {
        CLI_OPTION_JSON,
        { NULL, 'e', "NAME=VALUE", "an environment variable (repeatable)", NULL, 'e' },
        { NULL, 'w', "DIR", "the working directory", "the image's", 'w' },
        { NULL, 'u', "USER", "the user (NAME, UID or UID:GID)", "the image's", 'u' },
        { "tty", 't', NULL, "allocate a tty", NULL, OPT_TTY },
        {},
};

static int on_exec_option(struct cli *cli, int id, const char *val, void *userdata)
{
        json_t *spec = userdata;

        if (id == OPT_TTY)
                json_object_set_new(spec, "tty", json_true());
        else if (id == 'e')
                json_array_append_new(json_object_get(spec, "env"), json_string(val));
        else
                json_object_set_new(spec, id == 'w' ? "workdir" : "user", json_string(val));
        return 0;
}

int cmd_exec(struct cli *cli, int argc, char **argv)
{
        json_auto_t *spec = json_pack("{s:[]}", "env"), *cmd = json_array(), *reply = NULL;
        struct cli_args a = { .max = 1 };
        char path[512];
        int r;

        if (!spec || !cmd)
                return cli_fail("out of memory");
        if ((r = cli_parse(cli, argc, argv, &a, on_exec_option, spec)))
                return r;
        if (a.n == 0)
                return cli_usage_error(cli, "expected REF and CMD");
        const char *ref = a.arg[0];
        if (!ref_ok(ref))
                return cli_usage_error(cli, "invalid REF '%s'", ref);
        if (a.n_rest == 0)
                return cli_usage_error(cli, "expected a command to run in '%s'", ref);
        for (int i = 0; i < a.n_rest; i++)
                json_array_append_new(cmd, json_string(a.rest[i]));
        json_object_set(spec, "cmd", cmd);
        if (json_array_size(json_object_get(spec, "env")) == 0)
                json_object_del(spec, "env");
        snprintf(path, sizeof(path), "/v1/instances/%s/exec", ref);
        if ((r = cli_api(cli, "POST", path, spec, 24 * 3600 * 1000, &reply)))
                return r;
        if (cli->json)
                cli_print_json(reply);
        else
                cli_print_output(reply);
        const json_t *code = json_object_get(reply, "exit_code");
        return json_is_integer(code) ? (int)(json_integer_value(code) & 0xff) : 1;
}
