/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt: the CLI. Global flags, then a verb from the command table; each
 * verb is one function in a cmd-*.c file. Verbs follow the API one to one.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/cli.h"

#define DEFAULT_SOCKET "/run/barevirt/api.sock"

static const struct cli_command commands[] = {
        { "host", cmd_host, "host [--json]", "show what this host can do (KVM, cgroups, QEMU, engines)" },
        { "qmp", cmd_qmp, "qmp --socket PATH [--timeout MS] [--events N] [--wait MS] COMMAND [ARGUMENTS_JSON]",
          "talk to a QEMU QMP socket directly (no daemon)" },
        { "vm", cmd_vm, "vm COMMAND ...", "virtual machines: create, list, show, start, stop, console, qmp, ..." },
        { "ct", cmd_ct, "ct COMMAND ...", "containers: create, list, show, start, stop, exec, console, logs, ..." },
        { "net", cmd_net, "net COMMAND ...", "networks (bridges): create, list, show, delete" },
        { "list", cmd_list, "list [--json]", "every instance: VMs, docker:NAME and podman:NAME containers" },
        { "start", cmd_start, "start [--json] REF", "start an instance (NAME, docker:NAME, podman:NAME)" },
        { "stop", cmd_stop, "stop [--json] [-t SECONDS] REF", "stop an instance" },
        { "kill", cmd_kill, "kill [--json] [-s SIGNAL] REF", "kill an instance" },
        { "restart", cmd_restart, "restart [--json] [-t SECONDS] REF", "restart an instance" },
        { "pause", cmd_pause, "pause [--json] REF", "pause an instance" },
        { "resume", cmd_resume, "resume [--json] REF", "resume a paused instance" },
        { "logs", cmd_logs, "logs [--json] [-f] [-n LINES] REF", "print (-f: follow) an instance's log" },
        { "exec", cmd_exec, "exec [--json] [-e NAME=VALUE]... [-w DIR] [-u USER] [-t] REF CMD [ARG...]",
          "run a command in an instance; exits with its status" },
        { "show", cmd_show, "show [--json] REF", "show one instance" },
        { "delete", cmd_delete, "delete [-f] REF", "delete an instance (-f: even when running)" },
        { "docker", cmd_docker, "docker run|images|load|rmi ...", "Docker containers and images: docker run IMAGE [CMD...]" },
        { "podman", cmd_podman, "podman run|images|load|rmi ...", "Podman containers and images: podman run IMAGE [CMD...]" },
        {},
};

static void usage(FILE *f)
{
        fprintf(f,
                "usage: barevirt [--socket PATH] [--json] COMMAND [ARGS...]\n"
                "\n"
                "Manage VMs and containers through barevirtd.\n"
                "\n"
                "Global options:\n"
                "  --socket PATH   barevirtd's API socket (default $BAREVIRT_SOCKET or %s)\n"
                "  --json          print the API's JSON instead of tables\n"
                "  --version       print the version\n"
                "  -h, --help      this text; COMMAND --help for a command's own\n"
                "\n"
                "Commands:\n",
                DEFAULT_SOCKET);
        for (size_t i = 0; commands[i].name; i++)
                fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
        enum { OPT_SOCKET = 256, OPT_JSON, OPT_VERSION };
        static const struct option opts[] = {
                { "socket", required_argument, NULL, OPT_SOCKET },
                { "json", no_argument, NULL, OPT_JSON },
                { "version", no_argument, NULL, OPT_VERSION },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        struct cli cli = { .socket = getenv("BAREVIRT_SOCKET") };
        int c;

        if (!cli.socket || !*cli.socket)
                cli.socket = DEFAULT_SOCKET;
        /* "+": stop at the verb; the verb parses its own flags. */
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) >= 0) {
                switch (c) {
                case OPT_SOCKET: cli.socket = optarg; break;
                case OPT_JSON: cli.json = true; break;
                case OPT_VERSION: printf("barevirt %s\n", BAREVIRT_VERSION); return 0;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return 2;
        }
        int r = cli_dispatch(&cli, NULL, commands, argc - optind, argv + optind);
        bv_http_client_free(cli.client);
        bv_loop_free(cli.loop);
        return r;
}
