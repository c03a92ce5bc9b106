/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt vm ...: VMs through /v1/vms, one sub-verb per endpoint, plus the
 * console, which connects straight to the VM's serial socket (the daemon
 * tells where) so keystrokes never pass through barevirtd.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fd.h"
#include "common/json.h"
#include "common/parse.h"
#include "tools/cli/cli.h"

static int need_name(const char *usage, int argc, char **argv)
{
        if (argc != 2 || argv[1][0] == '-')
                return cli_usage_error(usage, "expected one VM name");
        return 0;
}

static void print_vm(const json_t *vm)
{
        const json_t *def = json_object_get(vm, "definition");
        json_t *v;
        size_t i;

        printf("%-12s %s\n", "name", cli_jstr(vm, "name"));
        printf("%-12s %s\n", "state", cli_jstr(vm, "state"));
        if (json_integer_value(json_object_get(vm, "pid")) > 0)
                printf("%-12s %lld\n", "pid", (long long)json_integer_value(json_object_get(vm, "pid")));
        printf("%-12s %s, %s, %lld vcpus, %lld MiB\n", "machine", cli_jstr(def, "machine"), cli_jstr(def, "accel"),
               (long long)json_integer_value(json_object_get(def, "vcpus")),
               (long long)json_integer_value(json_object_get(def, "memory")));
        if (json_object_get(def, "kernel"))
                printf("%-12s %s %s\n", "kernel", cli_jstr(def, "kernel"), cli_jstr(def, "cmdline"));
        json_array_foreach(json_object_get(def, "disks"), i, v)
                printf("%-12s %s: %s (%s, %s%s)\n", i ? "" : "disks", cli_jstr(v, "id"),
                       json_is_true(json_object_get(v, "overlay")) ? cli_jstr(v, "overlay_file") : cli_jstr(v, "file"),
                       cli_jstr(v, "format"), cli_jstr(v, "bus"), json_is_true(json_object_get(v, "readonly")) ? ", ro" : "");
        json_array_foreach(json_object_get(def, "nics"), i, v)
                printf("%-12s net%zu: %s %s\n", i ? "" : "nics", i, cli_jstr(v, "network"), cli_jstr(v, "mac"));
        printf("%-12s %s (log %s)\n", "console", cli_jstr(json_object_get(vm, "console"), "socket"),
               cli_jstr(json_object_get(vm, "console"), "log"));
        json_array_foreach(json_object_get(vm, "last_error"), i, v)
                printf("%-12s %s\n", i ? "" : "last error", json_string_value(v));
}

static int vm_list(struct cli *cli, int argc, char **argv)
{
        json_auto_t *a = NULL;
        json_t *vm;
        size_t i;
        int r = cli_fetch(cli, "vm list [--json]", "/v1/vms", argc, argv, &a);

        if (r || !a)
                return r;
        printf("%-20s %-9s %8s %5s %8s %s\n", "NAME", "STATE", "PID", "CPUS", "MEMORY", "NICS");
        json_array_foreach(a, i, vm) {
                const json_t *def = json_object_get(vm, "definition");
                char nics[128] = "";
                json_t *n;
                size_t k;
                json_array_foreach(json_object_get(def, "nics"), k, n)
                        snprintf(nics + strlen(nics), sizeof(nics) - strlen(nics), "%s%s", k ? "," : "", cli_jstr(n, "network"));
                long long pid = json_integer_value(json_object_get(vm, "pid"));
                char pids[16] = "-";
                if (pid > 0)
                        snprintf(pids, sizeof(pids), "%lld", pid);
                printf("%-20s %-9s %8s %5lld %5lld Mi %s\n", cli_jstr(vm, "name"), cli_jstr(vm, "state"), pids,
                       (long long)json_integer_value(json_object_get(def, "vcpus")),
                       (long long)json_integer_value(json_object_get(def, "memory")), *nics ? nics : "-");
        }
        return 0;
}

static int get_vm(struct cli *cli, const char *name, json_t **ret)
{
        char path[256];

        if (!bv_name_is_valid(name))
                return cli_fail("invalid VM name '%s'", name);
        snprintf(path, sizeof(path), "/v1/vms/%s", name);
        return cli_api(cli, "GET", path, NULL, 0, ret);
}

static int vm_show(struct cli *cli, int argc, char **argv)
{
        json_auto_t *vm = NULL;
        const char *name = NULL;
        int r = cli_name_and_json(cli, "vm show NAME [--json]", "VM", argc, argv, &name);

        if (r || (r = get_vm(cli, name, &vm)))
                return r;
        if (cli->json)
                return cli_print_json(vm);
        print_vm(vm);
        return 0;
}

/* Splits "FILE[,key=value|flag]..." and adds one disk object. */
static int add_disk(json_t *disks, char *spec)
{
        json_t *d = json_object();
        char *save = NULL;
        char *file = strtok_r(spec, ",", &save);

        json_array_append_new(disks, d);
        if (!file)
                return -EINVAL;
        json_object_set_new(d, "file", json_string(file));
        for (char *opt; (opt = strtok_r(NULL, ",", &save));) {
                char *eq = strchr(opt, '=');
                if (strcmp(opt, "overlay") == 0 || strcmp(opt, "readonly") == 0)
                        json_object_set_new(d, opt, json_true());
                else if (eq && (!strncmp(opt, "format=", 7) || !strncmp(opt, "bus=", 4) || !strncmp(opt, "cache=", 6) ||
                                !strncmp(opt, "id=", 3))) {
                        *eq = '\0';
                        json_object_set_new(d, opt, json_string(eq + 1));
                } else
                        return -EINVAL;
        }
        return 0;
}

static int add_nic(json_t *nics, char *spec)
{
        json_t *n = json_object();
        char *save = NULL;
        char *net = strtok_r(spec, ",", &save);
        unsigned rate;

        json_array_append_new(nics, n);
        if (!net)
                return -EINVAL;
        json_object_set_new(n, "network", json_string(net));
        for (char *opt; (opt = strtok_r(NULL, ",", &save));) {
                if (!strncmp(opt, "mac=", 4))
                        json_object_set_new(n, "mac", json_string(opt + 4));
                else if (!strncmp(opt, "rate=", 5) && bv_parse_uint(opt + 5, 1, 100000, &rate) == 0)
                        json_object_set_new(n, "rate_mbit", json_integer(rate));
                else
                        return -EINVAL;
        }
        return 0;
}

static int vm_create(struct cli *cli, int argc, char **argv)
{
        static const char usage[] =
                "vm create NAME [--memory MIB] [--cpus N] [--kernel F --initrd F --append S] "
                "[--disk FILE[,format=F][,overlay][,readonly][,bus=B][,cache=C]] [--nic NETWORK[,mac=M][,rate=MBIT]] "
                "[--machine pc|q35|microvm] [--accel auto|kvm|tcg] [--stop-timeout S] [--autostart] | --file DEF.json";
        json_auto_t *def = json_object();
        json_t *disks = json_array(), *nics = json_array();
        const char *file = NULL, *name = NULL;
        unsigned u;

        json_object_set_new(def, "disks", disks);
        json_object_set_new(def, "nics", nics);
        for (int k = 1; k < argc; k++) {
                const char *a = argv[k];
                const char *val = k + 1 < argc ? argv[k + 1] : NULL;
                bool takes = strcmp(a, "--autostart") != 0 && strcmp(a, "--json") != 0 && a[0] == '-';
                if (takes && !val)
                        return cli_usage_error(usage, "%s needs a value", a);
                if (strcmp(a, "--json") == 0)
                        cli->json = true;
                else if (strcmp(a, "--autostart") == 0)
                        json_object_set_new(def, "autostart", json_true());
                else if (strcmp(a, "--file") == 0)
                        file = val;
                else if (strcmp(a, "--memory") == 0 || strcmp(a, "--cpus") == 0 || strcmp(a, "--stop-timeout") == 0) {
                        if (bv_parse_uint(val, 0, 1u << 30, &u) < 0)
                                return cli_usage_error(usage, "%s: '%s' is not a number", a, val);
                        json_object_set_new(def, !strcmp(a, "--memory") ? "memory" : !strcmp(a, "--cpus") ? "vcpus" : "stop_timeout",
                                            json_integer(u));
                } else if (strcmp(a, "--kernel") == 0 || strcmp(a, "--initrd") == 0) {
                        char *abs = realpath(val, NULL);
                        json_object_set_new(def, a + 2, json_string(abs ? abs : val));
                        free(abs);
                } else if (strcmp(a, "--append") == 0)
                        json_object_set_new(def, "cmdline", json_string(val));
                else if (strcmp(a, "--machine") == 0 || strcmp(a, "--accel") == 0)
                        json_object_set_new(def, a + 2, json_string(val));
                else if (strcmp(a, "--disk") == 0) {
                        _cleanup_free_ char *spec = strdup(val);
                        if (!spec || add_disk(disks, spec) < 0)
                                return cli_usage_error(usage, "bad --disk '%s'", val);
                        json_t *d = json_array_get(disks, json_array_size(disks) - 1);
                        char *abs = realpath(json_string_value(json_object_get(d, "file")), NULL);
                        if (abs)
                                json_object_set_new(d, "file", json_string(abs));
                        free(abs);
                } else if (strcmp(a, "--nic") == 0) {
                        _cleanup_free_ char *spec = strdup(val);
                        if (!spec || add_nic(nics, spec) < 0)
                                return cli_usage_error(usage, "bad --nic '%s'", val);
                } else if (a[0] == '-')
                        return cli_usage_error(usage, "unknown option '%s'", a);
                else if (!name) {
                        name = a;
                        continue;
                } else
                        return cli_usage_error(usage, "unexpected argument '%s'", a);
                if (takes)
                        k++;
        }
        if (file) {
                struct bv_error err = {};
                json_t *f = NULL;
                if (json_object_size(def) > 2 || json_array_size(disks) || json_array_size(nics))
                        return cli_usage_error(usage, "--file excludes the other options");
                if (bv_json_load_file(file, 256 * 1024, &f, &err) < 0)
                        return cli_fail("%s", err.msg);
                json_decref(def);
                def = f;
                if (name)
                        json_object_set_new(def, "name", json_string(name));
        } else {
                if (!name)
                        return cli_usage_error(usage, "expected a VM name");
                json_object_set_new(def, "name", json_string(name));
        }
        return cli_create(cli, "VM", "/v1/vms", def);
}

static int vm_action(struct cli *cli, int argc, char **argv)
{
        char usage[64], path[256];
        json_auto_t *vm = NULL;
        const char *name = NULL;

        snprintf(usage, sizeof(usage), "vm %s NAME [--json]", argv[0]);
        int r = cli_name_and_json(cli, usage, "VM", argc, argv, &name);
        if (r)
                return r;
        snprintf(path, sizeof(path), "/v1/vms/%s/%s", name, argv[0]);
        /* stop may wait for the guest's stop timeout (up to an hour) before QEMU is killed. */
        r = cli_api(cli, "POST", path, NULL, 3700 * 1000, &vm);
        if (r)
                return r;
        if (cli->json)
                return cli_print_json(vm);
        printf("VM '%s' is %s\n", cli_jstr(vm, "name"), cli_jstr(vm, "state"));
        return 0;
}

static int vm_delete(struct cli *cli, int argc, char **argv)
{
        char path[256];
        int r = need_name("vm delete NAME", argc, argv);

        if (r)
                return r;
        if (!bv_name_is_valid(argv[1]))
                return cli_fail("invalid VM name '%s'", argv[1]);
        snprintf(path, sizeof(path), "/v1/vms/%s", argv[1]);
        r = cli_api(cli, "DELETE", path, NULL, 0, NULL);
        if (r == 0)
                printf("VM '%s' deleted\n", argv[1]);
        return r;
}

static int vm_qmp(struct cli *cli, int argc, char **argv)
{
        static const char usage[] = "vm qmp NAME COMMAND [ARGUMENTS_JSON]";
        char path[256];
        struct bv_error err = {};
        json_auto_t *body = NULL, *ret = NULL;
        json_t *args = NULL;

        if (argc < 3 || argc > 4)
                return cli_usage_error(usage, "expected a VM name and a QMP command");
        if (!bv_name_is_valid(argv[1]))
                return cli_fail("invalid VM name '%s'", argv[1]);
        if (argc == 4 && bv_json_load_object(argv[3], strlen(argv[3]), 1024 * 1024, &args, &err) < 0)
                return cli_fail("arguments: %s", err.msg);
        body = json_pack("{s:s,s:o*}", "command", argv[2], "arguments", args);
        snprintf(path, sizeof(path), "/v1/vms/%s/qmp", argv[1]);
        int r = cli_api(cli, "POST", path, body, 0, &ret);
        if (r)
                return r;
        json_t *v = json_object_get(ret, "return");
        _cleanup_free_ char *s = json_dumps(v ? v : json_null(), JSON_ENCODE_ANY | JSON_COMPACT);
        puts(s ? s : "null");
        return 0;
}

/* ---- disks and snapshots ----------------------------------------------------- */

static int vm_disk(struct cli *cli, int argc, char **argv)
{
        static const char usage[] = "vm disk add NAME FILE [--format raw|qcow2] [--readonly] [--id ID] | "
                                    "vm disk remove NAME DISK";
        char path[256];
        json_auto_t *vm = NULL;

        if (argc >= 4 && strcmp(argv[1], "add") == 0) {
                json_auto_t *disk = json_object();
                char *abs = realpath(argv[3], NULL);
                json_object_set_new(disk, "file", json_string(abs ? abs : argv[3]));
                free(abs);
                for (int k = 4; k < argc; k++) {
                        if (strcmp(argv[k], "--readonly") == 0)
                                json_object_set_new(disk, "readonly", json_true());
                        else if ((strcmp(argv[k], "--format") == 0 || strcmp(argv[k], "--id") == 0) && k + 1 < argc) {
                                json_object_set_new(disk, argv[k] + 2, json_string(argv[k + 1]));
                                k++;
                        } else
                                return cli_usage_error(usage, "unexpected argument '%s'", argv[k]);
                }
                if (!bv_name_is_valid(argv[2]))
                        return cli_fail("invalid VM name '%s'", argv[2]);
                snprintf(path, sizeof(path), "/v1/vms/%s/disks", argv[2]);
                int r = cli_api(cli, "POST", path, disk, 0, &vm);
                if (r)
                        return r;
                json_t *disks = json_object_get(json_object_get(vm, "definition"), "disks");
                printf("disk '%s' added to VM '%s'\n",
                       cli_jstr(json_array_get(disks, json_array_size(disks) - 1), "id"), argv[2]);
                return 0;
        }
        if (argc == 4 && strcmp(argv[1], "remove") == 0) {
                if (!bv_name_is_valid(argv[2]) || !bv_name_is_valid(argv[3]))
                        return cli_fail("invalid VM or disk name");
                snprintf(path, sizeof(path), "/v1/vms/%s/disks/%s", argv[2], argv[3]);
                int r = cli_api(cli, "DELETE", path, NULL, 0, &vm);
                if (r == 0)
                        printf("disk '%s' removed from VM '%s'\n", argv[3], argv[2]);
                return r;
        }
        return cli_usage_error(usage, "expected add or remove");
}

static int vm_snapshot(struct cli *cli, int argc, char **argv)
{
        static const char usage[] = "vm snapshot create|list|restore|delete NAME [SNAP]";
        char path[256];
        json_auto_t *ret = NULL;
        int r;

        if (argc < 3)
                return cli_usage_error(usage, "expected an operation and a VM name");
        const char *op = argv[1], *name = argv[2], *snap = argc > 3 ? argv[3] : NULL;
        bool list = strcmp(op, "list") == 0;
        if ((list && argc != 3 && !(argc == 4 && strcmp(argv[3], "--json") == 0)) || (!list && argc != 4))
                return cli_usage_error(usage, list ? "list takes only a VM name" : "expected a VM and a snapshot name");
        if (!bv_name_is_valid(name) || (snap && !list && !bv_name_is_valid(snap)))
                return cli_fail("invalid VM or snapshot name");
        if (list) {
                snprintf(path, sizeof(path), "/v1/vms/%s/snapshots", name);
                if ((r = cli_api(cli, "GET", path, NULL, 0, &ret)))
                        return r;
                if (cli->json || argc == 4)
                        return cli_print_json(ret);
                size_t i;
                json_t *s;
                printf("%-24s %-20s %s\n", "NAME", "DATE", "VM STATE");
                json_array_foreach(ret, i, s) {
                        time_t t = (time_t)json_integer_value(json_object_get(s, "date"));
                        char date[32];
                        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", localtime(&t));
                        printf("%-24s %-20s %s\n", cli_jstr(s, "name"), date,
                               json_integer_value(json_object_get(s, "vm_state_size")) ? "yes" : "no");
                }
                return 0;
        }
        if (strcmp(op, "create") == 0) {
                json_auto_t *body = json_pack("{s:s}", "name", snap);
                snprintf(path, sizeof(path), "/v1/vms/%s/snapshots", name);
                r = cli_api(cli, "POST", path, body, 600000, NULL);
        } else if (strcmp(op, "restore") == 0) {
                snprintf(path, sizeof(path), "/v1/vms/%s/snapshots/%s/restore", name, snap);
                r = cli_api(cli, "POST", path, NULL, 600000, NULL);
        } else if (strcmp(op, "delete") == 0) {
                snprintf(path, sizeof(path), "/v1/vms/%s/snapshots/%s", name, snap);
                r = cli_api(cli, "DELETE", path, NULL, 600000, NULL);
        } else
                return cli_usage_error(usage, "unknown operation '%s'", op);
        if (r == 0)
                printf("snapshot '%s' of VM '%s': %s done\n", snap, name, op);
        return r;
}

/* ---- console -------------------------------------------------------------- */

static int vm_console(struct cli *cli, int argc, char **argv)
{
        json_auto_t *vm = NULL;
        char what[96];
        int r = need_name("vm console NAME", argc, argv);

        if (r || (r = get_vm(cli, argv[1], &vm)))
                return r;
        const char *sock = json_string_value(json_object_get(json_object_get(vm, "console"), "socket"));
        const char *state = cli_jstr(vm, "state");
        if (strcmp(state, "running") != 0 && strcmp(state, "paused") != 0)
                return cli_fail("VM '%s' is %s", argv[1], state);
        snprintf(what, sizeof(what), "VM '%s'", argv[1]);
        return cli_console_relay(sock, what);
}

static const struct cli_command vm_commands[] = {
        { "create", vm_create, "vm create NAME [OPTIONS] | --file DEF.json", "define a VM (see --help)" },
        { "list", vm_list, "vm list [--json]", "list VMs" },
        { "show", vm_show, "vm show NAME [--json]", "one VM: definition, state, console, last errors" },
        { "start", vm_action, "vm start NAME", "start; returns when QEMU reports running" },
        { "stop", vm_action, "vm stop NAME", "ACPI shutdown, then quit, then kill after the stop timeout" },
        { "kill", vm_action, "vm kill NAME", "kill QEMU now" },
        { "reboot", vm_action, "vm reboot NAME", "reset the VM" },
        { "pause", vm_action, "vm pause NAME", "pause the vCPUs" },
        { "resume", vm_action, "vm resume NAME", "resume the vCPUs" },
        { "delete", vm_delete, "vm delete NAME", "delete a stopped VM and its overlays" },
        { "console", vm_console, "vm console NAME", "attach to the serial console (Ctrl-] detaches)" },
        { "qmp", vm_qmp, "vm qmp NAME COMMAND [ARGUMENTS_JSON]", "a QMP command over barevirtd's connection" },
        { "disk", vm_disk, "vm disk add NAME FILE [--format F] [--readonly] [--id ID] | vm disk remove NAME DISK",
          "hot-add or hot-remove a disk" },
        { "snapshot", vm_snapshot, "vm snapshot create|list|restore|delete NAME [SNAP]",
          "internal qcow2 snapshots, running or stopped" },
        {},
};

int cmd_vm(struct cli *cli, int argc, char **argv)
{
        return cli_dispatch(cli, "vm", vm_commands, argc - 1, argv + 1);
}
