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
        char ctl[256] = "";
        size_t i;
        json_t *v;

        json_array_foreach(json_object_get(cg, "controllers"), i, v) {
                if (strlen(ctl) + strlen(json_string_value(v) ?: "") + 2 >= sizeof(ctl))
                        break;
                if (i)
                        strcat(ctl, " ");
                strcat(ctl, json_string_value(v) ?: "");
        }
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
        printf("%-10s %s (v2 controllers: %s)\n", "cgroup", str(cg, "mode", "?"), *ctl ? ctl : "none");
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
