/* SPDX-License-Identifier: GPL-2.0-or-later */
/* barevirt host: the host report of GET /v1/host, as a table or JSON. */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "tools/cli/cli.h"

static const char *str(const json_t *o, const char *key, const char *def)
{
        const char *s = json_string_value(json_object_get(o, key));
        return s ? s : def;
}

/* The cgroup layout: which controllers are on v1 and on v2 (and any not usable), then the container limits. */
static void print_cgroups(const json_t *cg, const json_t *limits)
{
        const char *name;
        json_t *v;

        printf("%-10s %s\n", "cgroup", str(cg, "mode", "?"));
        for (int ver = 1; ver <= 2; ver++) {
                char line[512] = "", bad[256] = "";
                const char *path = NULL;
                json_object_foreach((json_t *)json_object_get(cg, "by_controller"), name, v) {
                        if (json_integer_value(json_object_get(v, "version")) != ver)
                                continue;
                        char *dst = json_is_true(json_object_get(v, "usable")) ? line : bad;
                        size_t cap = dst == line ? sizeof(line) : sizeof(bad);
                        if (strlen(dst) + strlen(name) + 2 < cap)
                                snprintf(dst + strlen(dst), cap - strlen(dst), "%s%s", *dst ? " " : "", name);
                        path = ver == 2 ? str(v, "path", "?") : path;
                }
                if (*line || *bad)
                        printf("  %-8s %s%s%s%s%s%s\n", ver == 1 ? "v1" : "v2", line, path ? " (" : "", path ? path : "",
                               path ? ")" : "", *bad ? "; not usable: " : "", bad);
        }
        char ok[256] = "";
        json_object_foreach((json_t *)limits, name, v)
                if (json_is_true(json_object_get(v, "supported")) && strlen(ok) + strlen(name) + 2 < sizeof(ok))
                        snprintf(ok + strlen(ok), sizeof(ok) - strlen(ok), "%s%s", *ok ? " " : "", name);
        printf("%-10s %s\n", "limits", *ok ? ok : "none");
        json_object_foreach((json_t *)limits, name, v)
                if (!json_is_true(json_object_get(v, "supported")))
                        printf("  %-8s not enforceable: %s\n", name, str(v, "reason", "?"));
}

int cmd_host(struct cli *cli, int argc, char **argv)
{
        json_auto_t *h = NULL;
        int r = cli_fetch(cli, "/v1/host", argc, argv, &h);

        if (r || !h)
                return r;

        const json_t *kvm = json_object_get(h, "kvm");
        const json_t *cg = json_object_get(h, "cgroup");
        const json_t *qemu = json_object_get(h, "qemu");
        const json_t *daemon = json_object_get(h, "daemon");
        const json_t *engines = json_object_get(h, "engines");
        json_t *v;

        printf("%-10s %s\n", "barevirt", str(h, "version", "?"));
        printf("%-10s %s (pid %lld, socket %s)\n", "daemon", "barevirtd",
               (long long)json_integer_value(json_object_get(daemon, "pid")), str(daemon, "socket", "?"));
        printf("%-10s %s %s, %lld cpus, %lld MiB\n", "host", str(h, "hostname", "?"), str(h, "arch", "?"),
               (long long)json_integer_value(json_object_get(h, "cpus")),
               (long long)json_integer_value(json_object_get(h, "memory_mib")));
        printf("%-10s %s\n", "kernel", str(h, "kernel", "?"));
        if (json_is_true(json_object_get(kvm, "usable")))
                printf("%-10s usable (%s)\n", "kvm", str(kvm, "reason", ""));
        else
                printf("%-10s not usable: %s (VMs run under TCG)\n", "kvm", str(kvm, "reason", "?"));
        print_cgroups(cg, json_object_get(h, "ct_limits"));
        if (json_string_value(json_object_get(qemu, "path")))
                printf("%-10s %s %s\n", "qemu", str(qemu, "path", "?"), str(qemu, "version", "(version unknown)"));
        else
                printf("%-10s not found: %s\n", "qemu", str(qemu, "error", "?"));
        const json_t *tls = json_object_get(h, "tls");
        if (json_array_size(json_object_get(tls, "listen"))) {
                char listen[256];
                printf("%-10s %s\n", "https", cli_join(json_object_get(tls, "listen"), NULL, listen, sizeof(listen)));
                printf("%-10s sha256 %s\n", "cert", str(tls, "fingerprint", "?"));
        }
        const char *name;
        json_object_foreach((json_t *)engines, name, v)
                printf("%-10s %s (%s)\n", name, str(v, "socket", "?"),
                       json_is_true(json_object_get(v, "reachable")) ? "reachable" : "not reachable");
        return 0;
}

/* GET /v1/events: JSON lines as they come (already what --json would print), keep-alives included. */
int cmd_events(struct cli *cli, int argc, char **argv)
{
        struct cli_args a = {};
        int r = cli_parse(cli, argc, argv, &a, NULL, NULL);

        return r ? r : cli_stream(cli, "/v1/events", cli_write_stdout, NULL);
}
