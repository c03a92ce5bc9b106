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

#include "common/cleanup.h"
#include "common/json.h"
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

static const char *addresses_text(const json_t *a, char *buf, size_t len)
{
        const json_t *x;
        size_t i, used = 0;

        buf[0] = '\0';
        json_array_foreach(a, i, x)
                if (json_is_string(x) && used < len)
                        used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "", json_string_value(x));
        return *buf ? buf : "-";
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
        json_auto_t *a = NULL;
        json_t *in;
        size_t i;
        int r = cli_fetch(cli, "list [--json]", "/v1/instances", argc, argv, &a);

        if (r || !a)
                return r;
        printf("%-28s %-7s %-10s %-30s %-18s %s\n", "NAME", "TYPE", "STATE", "IMAGE/KERNEL", "ADDRESSES", "UPTIME");
        json_array_foreach(a, i, in) {
                char up[32], addrs[128];
                printf("%-28s %-7s %-10s %-30.30s %-18s %s\n", cli_jstr(in, "ref"), cli_jstr(in, "type"),
                       cli_jstr(in, "state"), cli_jstr(in, "image"),
                       addresses_text(json_object_get(in, "addresses"), addrs, sizeof(addrs)),
                       uptime_text(json_object_get(in, "uptime"), up, sizeof(up)));
        }
        return 0;
}

/* A ref becomes a path segment: refuse what would change the URL. */
static bool ref_ok(const char *ref)
{
        return *ref && !strpbrk(ref, "/?#% \t\r\n");
}

/*
 * Parses "VERB [--json] [OPT VALUE] [FLAG] REF": opt (e.g. "-t") takes a
 * value into *ret_val when given; flag (e.g. "-f") sets *ret_flag. Returns 0
 * with *ret_ref, or an exit code (-1: help printed).
 */
static int parse_ref_args(struct cli *cli, const char *usage, const char *opt, const char *long_opt,
                          const char *flag, const char *long_flag, int argc, char **argv, const char **ret_ref,
                          const char **ret_val, bool *ret_flag)
{
        const char *ref = NULL;

        if (cli_wants_help(usage, argc, argv))
                return -1;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0)
                        cli->json = true;
                else if (opt && (strcmp(argv[i], opt) == 0 || strcmp(argv[i], long_opt) == 0)) {
                        if (i + 1 >= argc)
                                return cli_usage_error(usage, "%s needs a value", argv[i]);
                        *ret_val = argv[++i];
                } else if (flag && (strcmp(argv[i], flag) == 0 || strcmp(argv[i], long_flag) == 0))
                        *ret_flag = true;
                else if (argv[i][0] == '-')
                        return cli_usage_error(usage, "unknown option '%s'", argv[i]);
                else if (ref)
                        return cli_usage_error(usage, "expected one REF");
                else
                        ref = argv[i];
        }
        if (!ref)
                return cli_usage_error(usage, "expected one REF (NAME, docker:NAME or podman:NAME)");
        if (!ref_ok(ref))
                return cli_usage_error(usage, "invalid REF '%s'", ref);
        *ret_ref = ref;
        return 0;
}

static int run_action(struct cli *cli, const char *action, const char *usage, const char *opt,
                      const char *long_opt, const char *qkey, int argc, char **argv)
{
        const char *ref = NULL, *val = NULL;
        json_auto_t *reply = NULL;
        char path[512];
        unsigned timeout_ms = 0;
        int r = parse_ref_args(cli, usage, opt, long_opt, NULL, NULL, argc, argv, &ref, &val, NULL);

        if (r)
                return r < 0 ? 0 : r;
        if (val && strpbrk(val, "/?#%&= \t\r\n"))
                return cli_usage_error(usage, "invalid value '%s'", val);
        snprintf(path, sizeof(path), "/v1/instances/%s/%s%s%s%s%s", ref, action, val ? "?" : "", val ? qkey : "",
                 val ? "=" : "", val ? val : "");
        if (val && strcmp(qkey, "t") == 0)
                timeout_ms = (unsigned)(atoi(val) + 20) * 1000;
        r = cli_api(cli, "POST", path, NULL, timeout_ms, &reply);
        if (r)
                return r;
        if (cli->json)
                return cli_print_json(reply);
        printf("%s: %s\n", cli_jstr(reply, "ref"), cli_jstr(reply, "state"));
        return 0;
}

int cmd_start(struct cli *cli, int argc, char **argv)
{
        return run_action(cli, "start", "start [--json] REF", NULL, NULL, NULL, argc, argv);
}

int cmd_stop(struct cli *cli, int argc, char **argv)
{
        return run_action(cli, "stop", "stop [--json] [-t SECONDS] REF", "-t", "--time", "t", argc, argv);
}

int cmd_restart(struct cli *cli, int argc, char **argv)
{
        return run_action(cli, "restart", "restart [--json] [-t SECONDS] REF", "-t", "--time", "t", argc, argv);
}

int cmd_kill(struct cli *cli, int argc, char **argv)
{
        return run_action(cli, "kill", "kill [--json] [-s SIGNAL] REF", "-s", "--signal", "signal", argc, argv);
}

int cmd_pause(struct cli *cli, int argc, char **argv)
{
        return run_action(cli, "pause", "pause [--json] REF", NULL, NULL, NULL, argc, argv);
}

int cmd_resume(struct cli *cli, int argc, char **argv)
{
        return run_action(cli, "resume", "resume [--json] REF", NULL, NULL, NULL, argc, argv);
}

int cmd_logs(struct cli *cli, int argc, char **argv)
{
        const char *usage = "logs [--json] [-f] [-n LINES] REF";
        const char *ref = NULL, *tail = NULL;
        bool follow = false;
        json_auto_t *reply = NULL;
        char path[512];
        int r = parse_ref_args(cli, usage, "-n", "--tail", "-f", "--follow", argc, argv, &ref, &tail, &follow);

        if (r)
                return r < 0 ? 0 : r;
        if (tail && (strspn(tail, "0123456789") != strlen(tail) || !*tail || strlen(tail) > 7))
                return cli_usage_error(usage, "invalid number of lines '%s'", tail);
        snprintf(path, sizeof(path), "/v1/instances/%s/logs?follow=%d%s%s", ref, follow ? 1 : 0,
                 tail ? "&tail=" : "", tail ? tail : "");
        if (follow)
                return cli_stream(cli, path, cli_write_stdout, NULL);
        r = cli_api(cli, "GET", path, NULL, 0, &reply);
        if (r)
                return r;
        if (cli->json)
                return cli_print_json(reply);
        const json_t *out = json_object_get(reply, "output");
        fwrite(json_string_value(out) ? json_string_value(out) : "", 1, json_string_length(out), stdout);
        return 0;
}

int cmd_show(struct cli *cli, int argc, char **argv)
{
        const char *ref = NULL;
        json_auto_t *reply = NULL;
        char path[512], buf[128];
        int r = parse_ref_args(cli, "show [--json] REF", NULL, NULL, NULL, NULL, argc, argv, &ref, NULL, NULL);

        if (r)
                return r < 0 ? 0 : r;
        snprintf(path, sizeof(path), "/v1/instances/%s", ref);
        if ((r = cli_api(cli, "GET", path, NULL, 0, &reply)))
                return r;
        if (cli->json)
                return cli_print_json(reply);
        static const char *const keys[] = { "ref", "type", "state", "engine_state", "image", "id" };
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                if (json_object_get(reply, keys[i]))
                        printf("%-13s %s\n", keys[i], cli_jstr(reply, keys[i]));
        printf("%-13s %s\n", "addresses", addresses_text(json_object_get(reply, "addresses"), buf, sizeof(buf)));
        return 0;
}

int cmd_delete(struct cli *cli, int argc, char **argv)
{
        const char *ref = NULL;
        bool force = false;
        char path[512];
        int r = parse_ref_args(cli, "delete [-f] REF", NULL, NULL, "-f", "--force", argc, argv, &ref, NULL, &force);

        if (r)
                return r < 0 ? 0 : r;
        snprintf(path, sizeof(path), "/v1/instances/%s%s", ref, force ? "?force=1" : "");
        if ((r = cli_api(cli, "DELETE", path, NULL, 0, NULL)))
                return r;
        if (!cli->json)
                printf("%s deleted\n", ref);
        return 0;
}

/* Prints an exec or run result's output to stdout and stderr. */
void cli_print_output(const json_t *reply)
{
        const json_t *o = json_object_get(reply, "stdout"), *e = json_object_get(reply, "stderr");

        fwrite(json_string_value(o) ? json_string_value(o) : "", 1, json_string_length(o), stdout);
        fflush(stdout);
        fwrite(json_string_value(e) ? json_string_value(e) : "", 1, json_string_length(e), stderr);
}

int cmd_exec(struct cli *cli, int argc, char **argv)
{
        const char *usage = "exec [--json] [-e NAME=VALUE]... [-w DIR] [-u USER] [-t] REF CMD [ARG...]";
        json_auto_t *spec = json_object(), *env = json_array(), *cmd = json_array(), *reply = NULL;
        const char *ref = NULL;
        char path[512];
        int i, r;

        if (!spec || !env || !cmd)
                return cli_fail("out of memory");
        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                const char *a = argv[i];
                if (strcmp(a, "--") == 0) {
                        i++;
                        break;
                }
                if (strcmp(a, "--json") == 0)
                        cli->json = true;
                else if (strcmp(a, "-t") == 0 || strcmp(a, "--tty") == 0)
                        json_object_set_new(spec, "tty", json_true());
                else if ((strcmp(a, "-e") == 0 || strcmp(a, "-w") == 0 || strcmp(a, "-u") == 0) && i + 1 < argc) {
                        const char *v = argv[++i];
                        if (a[1] == 'e')
                                json_array_append_new(env, json_string(v));
                        else
                                json_object_set_new(spec, a[1] == 'w' ? "workdir" : "user", json_string(v));
                } else
                        return cli_usage_error(usage, "unknown option or missing value '%s'", a);
        }
        if (i >= argc)
                return cli_usage_error(usage, "expected REF and CMD");
        ref = argv[i++];
        if (!ref_ok(ref))
                return cli_usage_error(usage, "invalid REF '%s'", ref);
        if (i >= argc)
                return cli_usage_error(usage, "expected a command to run in '%s'", ref);
        for (; i < argc; i++)
                json_array_append_new(cmd, json_string(argv[i]));
        json_object_set(spec, "cmd", cmd);
        cli_json_set_nonempty(spec, "env", env);
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
