/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt: the CLI. Global flags, then a verb from the command table; each
 * verb is one function in a cmd-*.c file, with its usage, summary and
 * option table in its row. Verbs follow the API one to one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/cli.h"

#define DEFAULT_SOCKET "/run/barevirt/api.sock"

static int cmd_help(struct cli *cli, int argc, char **argv);
static int cmd_version(struct cli *cli, int argc, char **argv);

static const struct cli_command commands[] = {
        CLI_VERB("host", cmd_host, "host [--json]", "show what this host can do (KVM, cgroups, QEMU, engines)",
                 cli_json_options),
        CLI_VERB("qmp", cmd_qmp, "qmp --socket PATH [--timeout MS] [--events N] [--wait MS] COMMAND [ARGUMENTS_JSON]",
                 "talk to a QEMU QMP socket directly (no daemon)", cli_qmp_options),
        CLI_GROUP("vm", "vm COMMAND ...", "virtual machines: create, list, show, start, stop, console, qmp, ...",
                  cli_vm_commands),
        CLI_GROUP("ct", "ct COMMAND ...", "containers: create, list, show, start, stop, exec, console, logs, ...",
                  cli_ct_commands),
        CLI_GROUP("net", "net COMMAND ...", "networks (bridges): create, list, show, delete", cli_net_commands),
        CLI_GROUP("token", "token create|list|revoke ...", "bearer tokens for HTTPS clients (barevirtd --listen)",
                  cli_token_commands),
        CLI_GROUP("trust", "trust add|list|show|remove|token ...",
                  "trusted client certificates and join tokens for HTTPS (barevirtd --listen)", cli_trust_commands),
        CLI_GROUP("remote", "remote add|list|remove|switch ...",
                  "other machines' barevirtd over HTTPS: enrol with a join token, pick the default", cli_remote_commands),
        CLI_GROUP("project", "project create|list|show|delete ...", "projects: instances and networks grouped, with quotas",
                  cli_project_commands),
        CLI_VERB("events", cmd_events, "events [--json]",
                 "follow barevirtd's events, a JSON line each (keep-alives too), until interrupted", cli_json_options),
        CLI_VERB("audit", cmd_audit, "audit [--since T] [--identity N] [--json]",
                 "the audit log: every request that changed something or was refused", cli_audit_options),
        CLI_VERB("list", cmd_list, "list [-q] [-a] [--format TEMPLATE] [--project P] [--json]", "every instance: VMs, docker:NAME and podman:NAME containers",
                 cli_table_options),
        CLI_VERB("start", cmd_action, "start [--json] REF", "start an instance (NAME, docker:NAME, podman:NAME)",
                 cli_json_options),
        CLI_VERB("stop", cmd_action, "stop [--json] [-t SECONDS] REF", "stop an instance", cli_grace_options),
        CLI_VERB("kill", cmd_action, "kill [--json] [-s SIGNAL] REF", "kill an instance", cli_kill_options),
        CLI_VERB("restart", cmd_action, "restart [--json] [-t SECONDS] REF", "restart an instance", cli_grace_options),
        CLI_VERB("pause", cmd_action, "pause [--json] REF", "pause an instance", cli_json_options),
        CLI_VERB("resume", cmd_action, "resume [--json] REF", "resume a paused instance", cli_json_options),
        CLI_VERB("logs", cmd_logs, "logs [--json] [-f] [-n LINES] REF", "print (-f: follow) an instance's log",
                 cli_logs_options),
        CLI_VERB_REST("exec", cmd_exec, "exec [--json] [-e NAME=VALUE]... [-w DIR] [-u USER] [-t] REF [--] CMD [ARG...]",
                      "run a command in an instance; exits with its status", cli_exec_options, CLI_REST_AFTER_ARG0),
        CLI_VERB("show", cmd_show, "show [--json] REF", "show one instance", cli_json_options),
        CLI_VERB("delete", cmd_delete, "delete [-f] REF", "delete an instance (-f: even when running)", cli_delete_options),
        CLI_GROUP("docker", "docker run|images|load|rmi ...", "Docker containers and images: docker run IMAGE [CMD...]",
                  cli_docker_commands),
        CLI_GROUP("podman", "podman run|images|load|rmi ...", "Podman containers and images: podman run IMAGE [CMD...]",
                  cli_podman_commands),
        CLI_VERB("help", cmd_help, "help [COMMAND [SUB [SUB [SUB]]]]", "what --help prints, for barevirt or a command",
                 NULL),
        CLI_VERB("version", cmd_version, "version", "print the version (as --version)", NULL),
        {},
};

enum { OPT_SOCKET = CLI_OPT_OWN, OPT_VERSION, OPT_LIST_OPTIONS };

static const struct cli_option global_options[] = {
        { "socket", 0, "PATH", "barevirtd's API socket", "$BAREVIRT_SOCKET or " DEFAULT_SOCKET, OPT_SOCKET },
        { "remote", 0, "NAME", "the barevirtd to talk to (barevirt remote list); every command takes it",
          "$BAREVIRT_REMOTE, else the one of 'remote switch', else local: the socket", CLI_OPT_REMOTE },
        { "json", 0, NULL, "print the API's JSON instead of tables", NULL, CLI_OPT_JSON },
        { "version", 0, NULL, "print the version", NULL, OPT_VERSION },
        { "list-options", 0, NULL, "print every command's long options, a line per command (for scripts and tests)", NULL,
          OPT_LIST_OPTIONS },
        { "help", 'h', NULL, "this text; COMMAND --help for a command's own", NULL, CLI_OPT_HELP },
        {},
};

static const struct cli_command root = {
        "barevirt", NULL, "[--socket PATH] [--remote NAME] [--json] COMMAND [ARGS...]", "Manage VMs and containers through barevirtd.",
        global_options, commands, CLI_REST_NONE,
};

static int print_version(void)
{
        printf("barevirt %s\n", BAREVIRT_VERSION);
        return 0;
}

static int cmd_version(struct cli *cli, int argc, char **argv)
{
        struct cli_args a = {};
        int r = cli_parse(cli, argc, argv, &a, NULL, NULL);

        return r ? r : print_version();
}

static int cmd_help(struct cli *cli, int argc, char **argv)
{
        struct cli_args a = { .max = CLI_ARGS_MAX };   /* "help net firewall rule add" */
        const struct cli_command *c = cli->root;
        char words[256] = "";
        int r = cli_parse(cli, argc, argv, &a, NULL, NULL);

        if (r)
                return r;
        for (int i = 0; i < a.n; i++) {
                const struct cli_command *sub = cli_find_command(c, a.arg[i]);
                if (!sub)
                        return cli_fail("unknown command '%s%s%s' (see 'barevirt %s%s--help')", words, *words ? " " : "",
                                        a.arg[i], words, *words ? " " : "");
                size_t len = strlen(words);
                snprintf(words + len, sizeof(words) - len, "%s%s", len ? " " : "", a.arg[i]);
                c = sub;
        }
        cli_print_help(cli, c, stdout);
        return 0;
}

struct globals {
        bool version;
        bool list_options;
};

static int on_global(struct cli *cli, int id, const char *value, void *userdata)
{
        struct globals *g = userdata;

        if (id == OPT_SOCKET) {
                cli->socket = value;
                cli->socket_given = true;
        }
        g->version |= id == OPT_VERSION;
        g->list_options |= id == OPT_LIST_OPTIONS;
        return 0;
}

static int run(struct cli *cli, int argc, char **argv)
{
        struct cli_args a = {};
        struct globals g = {};
        int r;

        if (cli_wants_help(cli, &root, argc, argv))
                return 0;
        if ((r = cli_parse(cli, argc, argv, &a, on_global, &g)))
                return r;
        if (g.version)
                return print_version();
        if (g.list_options) {
                cli_list_options(&root);
                return 0;
        }
        if (a.n_rest == 0) {
                cli_print_help(cli, &root, stderr);
                return 2;
        }
        return cli_dispatch(cli, &root, a.n_rest, a.rest);
}

int main(int argc, char **argv)
{
        struct cli cli = { .socket = getenv("BAREVIRT_SOCKET"), .remote = getenv("BAREVIRT_REMOTE"), .root = &root,
                           .command = &root };

        if (!cli.socket || !*cli.socket)
                cli.socket = DEFAULT_SOCKET;
        if (cli.remote && !*cli.remote)
                cli.remote = NULL;
        int r = run(&cli, argc, argv);
        bv_http_client_free(cli.client);
#ifdef BV_TLS
        cli_remote_free(&cli);
#endif
        bv_loop_free(cli.loop);
        return r;
}
