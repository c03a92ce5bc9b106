/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Generic instance verbs over /v1/instances: `list` shows barevirt VMs and
 * Docker/Podman containers in one table; `start`, `stop`, `kill` and `logs`
 * take a ref (NAME, docker:NAME, podman:NAME).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "tools/cli/cli.h"

int cmd_list(struct cli *cli, int argc, char **argv)
{
        json_auto_t *a = NULL;
        json_t *in;
        size_t i;
        int r = cli_fetch(cli, "list [--json]", "/v1/instances", argc, argv, &a);

        if (r || !a)
                return r;
        printf("%-28s %-7s %-10s %-30s %s\n", "REF", "TYPE", "STATE", "IMAGE/KERNEL", "STATUS");
        json_array_foreach(a, i, in)
                printf("%-28s %-7s %-10s %-30s %s\n", cli_jstr(in, "ref"), cli_jstr(in, "type"), cli_jstr(in, "state"),
                       cli_jstr(in, "image"), cli_jstr(in, "status"));
        return 0;
}

/*
 * Parses "VERB [--json] [OPT VALUE] REF": opt (e.g. "-t") takes a value into
 * *ret_val when given. Returns 0 with *ret_ref, or an exit code.
 */
static int parse_ref_args(struct cli *cli, const char *usage, const char *opt, const char *long_opt, int argc,
                          char **argv, const char **ret_ref, const char **ret_val)
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
                } else if (argv[i][0] == '-')
                        return cli_usage_error(usage, "unknown option '%s'", argv[i]);
                else if (ref)
                        return cli_usage_error(usage, "expected one REF");
                else
                        ref = argv[i];
        }
        if (!ref)
                return cli_usage_error(usage, "expected one REF (NAME, docker:NAME or podman:NAME)");
        /* The ref becomes a path segment: refuse what would change the URL. */
        if (strpbrk(ref, "/?#% \t\r\n"))
                return cli_usage_error(usage, "invalid REF '%s'", ref);
        *ret_ref = ref;
        return 0;
}

static int run_action(struct cli *cli, const char *action, const char *usage, const char *opt,
                      const char *long_opt, const char *qkey, unsigned timeout_ms, int argc, char **argv)
{
        const char *ref = NULL, *val = NULL;
        json_auto_t *reply = NULL;
        char path[512];
        int r = parse_ref_args(cli, usage, opt, long_opt, argc, argv, &ref, &val);

        if (r)
                return r < 0 ? 0 : r;
        if (val && strpbrk(val, "/?#%&= \t\r\n"))
                return cli_usage_error(usage, "invalid value '%s'", val);
        snprintf(path, sizeof(path), "/v1/instances/%s/%s%s%s%s%s", ref, action, val ? "?" : "", val ? qkey : "",
                 val ? "=" : "", val ? val : "");
        if (val && strcmp(action, "stop") == 0)
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
        return run_action(cli, "start", "start [--json] REF", NULL, NULL, NULL, 0, argc, argv);
}

int cmd_stop(struct cli *cli, int argc, char **argv)
{
        return run_action(cli, "stop", "stop [--json] [-t SECONDS] REF", "-t", "--time", "t", 0, argc, argv);
}

int cmd_kill(struct cli *cli, int argc, char **argv)
{
        return run_action(cli, "kill", "kill [--json] [-s SIGNAL] REF", "-s", "--signal", "signal", 0, argc, argv);
}

int cmd_logs(struct cli *cli, int argc, char **argv)
{
        const char *usage = "logs [--json] [-n LINES] REF";
        const char *ref = NULL, *tail = NULL;
        json_auto_t *reply = NULL;
        char path[512];
        int r = parse_ref_args(cli, usage, "-n", "--tail", argc, argv, &ref, &tail);

        if (r)
                return r < 0 ? 0 : r;
        if (tail && (strspn(tail, "0123456789") != strlen(tail) || !*tail || strlen(tail) > 7))
                return cli_usage_error(usage, "invalid number of lines '%s'", tail);
        snprintf(path, sizeof(path), "/v1/instances/%s/logs%s%s", ref, tail ? "?tail=" : "", tail ? tail : "");
        r = cli_api(cli, "GET", path, NULL, 0, &reply);
        if (r)
                return r;
        if (cli->json)
                return cli_print_json(reply);
        const json_t *out = json_object_get(reply, "output");
        fwrite(json_string_value(out) ? json_string_value(out) : "", 1, json_string_length(out), stdout);
        return 0;
}
