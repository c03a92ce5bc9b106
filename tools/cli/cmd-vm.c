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

#include "common/common.h"
#include "tools/cli/cli.h"
#include "vmm/vmm.h"

static void print_vm(const json_t *vm)
{
        const json_t *def = json_object_get(vm, "definition");
        json_t *v;
        size_t i;

        printf("%-12s %s\n", "name", cli_jstr(vm, "name"));
        printf("%-12s %s\n", "state", cli_jstr(vm, "state"));
        if (json_integer_value(json_object_get(vm, "pid")) > 0)
                printf("%-12s %lld\n", "pid", (long long)json_integer_value(json_object_get(vm, "pid")));
        char vcpus[32], mem[32];
        cli_vcpus_text(json_integer_value(json_object_get(def, "vcpus")), vcpus, sizeof(vcpus));
        cli_mib_text(json_integer_value(json_object_get(def, "memory")), mem, sizeof(mem));
        printf("%-12s %s, %s, %s, %s\n", "machine", cli_jstr(def, "machine"), cli_jstr(def, "accel"), vcpus, mem);
        if (json_object_get(def, "kernel")) {
                const char *cmdline = json_string_value(json_object_get(def, "cmdline"));
                printf("%-12s %s%s%s\n", "kernel", cli_jstr(def, "kernel"), cmdline && *cmdline ? " " : "",
                       cmdline ? cmdline : "");
        }
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

/* An OPT of --disk FILE[,OPT]... */
static int disk_opt(json_t *d, char *opt)
{
        static const char *const keys[] = { "format", "bus", "cache", "id", NULL };

        if (strcmp(opt, "overlay") == 0 || strcmp(opt, "readonly") == 0) {
                json_object_set_new(d, opt, json_true());
                return 0;
        }
        return cli_spec_set(d, opt, keys);
}

/* An OPT of --nic NETWORK[,OPT]... */
static int nic_opt(json_t *n, char *opt)
{
        static const char *const keys[] = { "mac", "firewall", NULL };
        unsigned rate;

        if (strncmp(opt, "rate=", 5) != 0)
                return cli_spec_set(n, opt, keys);
        if (bv_parse_uint(opt + 5, 1, 100000, &rate) < 0)
                return -EINVAL;
        json_object_set_new(n, "rate_mbit", json_integer(rate));
        return 0;
}

static void vm_row(const json_t *vm, char cells[][CLI_CELL_MAX])
{
        const json_t *def = json_object_get(vm, "definition");
        long long pid = json_integer_value(json_object_get(vm, "pid"));

        snprintf(cells[0], CLI_CELL_MAX, "%s", cli_jstr(vm, "name"));
        snprintf(cells[1], CLI_CELL_MAX, "%s", cli_jstr(vm, "state"));
        snprintf(cells[2], CLI_CELL_MAX, pid > 0 ? "%lld" : "-", pid);
        cli_vcpus_text(json_integer_value(json_object_get(def, "vcpus")), cells[3], CLI_CELL_MAX);
        cli_mib_text(json_integer_value(json_object_get(def, "memory")), cells[4], CLI_CELL_MAX);
        cli_join(json_object_get(def, "nics"), "network", cells[5], CLI_CELL_MAX);
}

static const struct cli_column vm_columns[] = {
        { "NAME", CLI_COL_SHRINK }, { "STATE", 0 }, { "PID", CLI_COL_RIGHT }, { "CPUS", CLI_COL_RIGHT },
        { "MEMORY", CLI_COL_RIGHT }, { "NICS", CLI_COL_SHRINK }, {},
};

static int vm_list(struct cli *cli, int argc, char **argv)
{
        static const struct cli_table t = { vm_columns, "name", vm_row, NULL };

        return cli_list(cli, "/v1/vms", argc, argv, &t);
}

static int vm_show(struct cli *cli, int argc, char **argv)
{
        return cli_show(cli, "VM", "vms", argc, argv, print_vm);
}

/* ---- create ---------------------------------------------------------------------- */

enum {
        OPT_MEMORY = CLI_OPT_OWN, OPT_CPUS, OPT_KERNEL, OPT_INITRD, OPT_APPEND, OPT_DISK, OPT_NIC, OPT_MACHINE,
        OPT_ACCEL, OPT_STOP_TIMEOUT, OPT_AUTOSTART, OPT_FILE, OPT_FORMAT, OPT_READONLY, OPT_ID, OPT_FOLLOW, OPT_TAIL,
};

static const struct cli_option create_options[] = {
        { "memory", 0, "SIZE", "memory: 512M, 1G, or plain MiB", "256", OPT_MEMORY },
        { "cpus", 0, "N", "virtual CPUs", "1", OPT_CPUS },
        { "kernel", 0, "FILE", "boot this kernel directly", NULL, OPT_KERNEL },
        { "initrd", 0, "FILE", "the initrd of --kernel", NULL, OPT_INITRD },
        { "append", 0, "CMDLINE", "the kernel command line of --kernel", NULL, OPT_APPEND },
        { "disk", 0, "FILE[,OPTS]",
          "a disk (repeatable); OPTS: format=F, overlay (run on a qcow2 overlay of FILE), readonly, bus=B, cache=C",
          NULL, OPT_DISK },
        { "nic", 0, "NETWORK[,OPTS]", "a NIC on a network (repeatable); OPTS: mac=M, rate=MBIT, firewall=GROUP", NULL, OPT_NIC },
        { "machine", 0, "pc|q35|microvm", "QEMU's machine type", "pc", OPT_MACHINE },
        { "accel", 0, "auto|kvm|tcg", "the accelerator; auto: KVM when usable", "auto", OPT_ACCEL },
        { "stop-timeout", 0, "S", "seconds 'vm stop' waits for the guest to power off", "30", OPT_STOP_TIMEOUT },
        { "autostart", 0, NULL, "start the VM when barevirtd starts", NULL, OPT_AUTOSTART },
        { "file", 0, "DEF.json", "the whole definition from a file (excludes the other options)", NULL, OPT_FILE },
        CLI_OPTION_PROJECT,
        CLI_OPTION_JSON,
        {},
};

struct vm_create {
        json_t *def, *disks, *nics;   /* disks and nics belong to def */
        const char *file;
};

static int set_uint(struct cli *cli, json_t *def, const char *key, const char *opt, const char *val)
{
        unsigned u;

        if (bv_parse_uint(val, 0, 1u << 30, &u) < 0)
                return cli_usage_error(cli, "%s: '%s' is not a number", opt, val);
        json_object_set_new(def, key, json_integer(u));
        return 0;
}

/* --memory: a size with a suffix (512M, 1G) or plain MiB, stored as MiB. */
static int set_memory(struct cli *cli, json_t *def, const char *val)
{
        uint64_t mib;
        int r = cli_parse_mib(cli, "--memory", val, VMM_MIN_MEMORY_MIB, VMM_MAX_MEMORY_MIB, &mib);

        if (r == 0)
                json_object_set_new(def, "memory", json_integer((json_int_t)mib));
        return r;
}

static int on_create_option(struct cli *cli, int id, const char *val, void *userdata)
{
        struct vm_create *c = userdata;

        switch (id) {
        case OPT_MEMORY: return set_memory(cli, c->def, val);
        case OPT_CPUS: return set_uint(cli, c->def, "vcpus", "--cpus", val);
        case OPT_STOP_TIMEOUT: return set_uint(cli, c->def, "stop_timeout", "--stop-timeout", val);
        case OPT_KERNEL: cli_json_set_path(c->def, "kernel", val); return 0;
        case OPT_INITRD: cli_json_set_path(c->def, "initrd", val); return 0;
        case OPT_APPEND: json_object_set_new(c->def, "cmdline", json_string(val)); return 0;
        case OPT_MACHINE: json_object_set_new(c->def, "machine", json_string(val)); return 0;
        case OPT_ACCEL: json_object_set_new(c->def, "accel", json_string(val)); return 0;
        case OPT_AUTOSTART: json_object_set_new(c->def, "autostart", json_true()); return 0;
        case OPT_DISK: return cli_add_spec(cli, "--disk", c->disks, val, "file", disk_opt);
        case OPT_NIC: return cli_add_spec(cli, "--nic", c->nics, val, "network", nic_opt);
        case OPT_FILE: c->file = val; return 0;
        }
        return 0;
}

static int vm_create(struct cli *cli, int argc, char **argv)
{
        json_auto_t *def = json_object();
        struct vm_create c = { .def = def, .disks = json_array(), .nics = json_array() };
        struct cli_args a = { .max = 1 };
        const char *name;

        json_object_set_new(def, "disks", c.disks);
        json_object_set_new(def, "nics", c.nics);
        int r = cli_parse(cli, argc, argv, &a, on_create_option, &c);
        if (r)
                return r;
        name = a.n ? a.arg[0] : NULL;
        if (c.file && (json_object_size(def) > 2 || json_array_size(c.disks) || json_array_size(c.nics)))
                return cli_usage_error(cli, "--file excludes the other options");
        if (c.file)
                return cli_create_from_file(cli, "VM", "/v1/vms", c.file, name);
        if (!name)
                return cli_usage_error(cli, "expected a VM name");
        json_object_set_new(def, "name", json_string(name));
        return cli_create(cli, "VM", "/v1/vms", def);
}

/* ---- lifecycle ------------------------------------------------------------------- */

static const struct cli_option vm_stop_options[] = {
        CLI_OPTION_JSON,
        { "force", 'f', NULL, "kill QEMU at once instead of asking the guest to power off (vm kill)", NULL, 'f' },
        {},
};

/* Says what start and stop wait for (on a terminal). */
static void vm_action_progress(struct cli *cli, const char *name, const char *action)
{
        json_auto_t *vm = NULL;
        char path[256];

        if (!cli_progress_wanted(cli))
                return;
        if (strcmp(action, "start") == 0) {
                cli_progress_start(cli, 0, "waiting for QEMU to report VM '%s' running", name);
                return;
        }
        snprintf(path, sizeof(path), "/v1/vms/%s", name);
        if (strcmp(action, "stop") != 0 || cli_api(cli, "GET", path, NULL, 0, &vm))
                return;
        const json_t *t = json_object_get(json_object_get(vm, "definition"), "stop_timeout");
        unsigned s = json_is_integer(t) ? (unsigned)json_integer_value(t) : 30;
        cli_progress_start(cli, s,
                                  "waiting up to %u s for the guest to power off (Ctrl-C to stop waiting; --force kills)", s);
}

static int vm_action(struct cli *cli, int argc, char **argv)
{
        char path[256];
        json_auto_t *vm = NULL;
        const char *name = NULL;
        bool force = false;
        int r = cli_parse_name(cli, "VM", argc, argv, strcmp(argv[0], "stop") == 0 ? cli_on_flag : NULL, &force, &name);

        if (r)
                return r;
        const char *action = force ? "kill" : argv[0];
        snprintf(path, sizeof(path), "/v1/vms/%s/%s", name, action);
        vm_action_progress(cli, name, action);
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
        const char *name = NULL;
        int r = cli_parse_name(cli, "VM", argc, argv, NULL, NULL, &name);

        if (r)
                return r;
        snprintf(path, sizeof(path), "/v1/vms/%s", name);
        if ((r = cli_api(cli, "DELETE", path, NULL, 0, NULL)) == 0)
                printf("VM '%s' deleted\n", name);
        return r;
}

static int vm_qmp(struct cli *cli, int argc, char **argv)
{
        char path[256];
        struct bv_error err = {};
        json_auto_t *body = NULL, *ret = NULL;
        json_t *args = NULL;
        struct cli_args a = { .max = 3 };
        int r = cli_parse(cli, argc, argv, &a, NULL, NULL);

        if (r)
                return r;
        if (a.n < 2)
                return cli_usage_error(cli, "expected a VM name and a QMP command");
        if (!bv_name_is_valid(a.arg[0]))
                return cli_fail("invalid VM name '%s'", a.arg[0]);
        if (a.n == 3 && bv_json_load_object(a.arg[2], strlen(a.arg[2]), 1024 * 1024, &args, &err) < 0)
                return cli_fail("arguments: %s", err.msg);
        body = json_pack("{s:s,s:o*}", "command", a.arg[1], "arguments", args);
        snprintf(path, sizeof(path), "/v1/vms/%s/qmp", a.arg[0]);
        if ((r = cli_api(cli, "POST", path, body, 0, &ret)))
                return r;
        json_t *v = json_object_get(ret, "return");
        _cleanup_free_ char *s = json_dumps(v ? v : json_null(), JSON_ENCODE_ANY | JSON_COMPACT);
        puts(s ? s : "null");
        return 0;
}

/* ---- disks and snapshots ----------------------------------------------------- */

static const struct cli_option disk_options[] = {
        { "format", 0, "raw|qcow2", "the image format of vm disk add (default: from the file name)", NULL, OPT_FORMAT },
        { "readonly", 0, NULL, "vm disk add: the guest cannot write", NULL, OPT_READONLY },
        { "id", 0, "ID", "vm disk add: the disk's id (vm disk remove takes it)", "diskN", OPT_ID },
        {},
};

struct disk_add {
        json_t *disk;
        bool options;
};

static int on_disk_option(struct cli *cli, int id, const char *val, void *userdata)
{
        struct disk_add *d = userdata;

        d->options = true;
        if (id == OPT_READONLY)
                json_object_set_new(d->disk, "readonly", json_true());
        else
                json_object_set_new(d->disk, id == OPT_FORMAT ? "format" : "id", json_string(val));
        return 0;
}

static int disk_add(struct cli *cli, const char *name, const char *file, json_t *disk)
{
        char path[256];
        json_auto_t *vm = NULL;

        cli_json_set_path(disk, "file", file);
        if (!bv_name_is_valid(name))
                return cli_fail("invalid VM name '%s'", name);
        snprintf(path, sizeof(path), "/v1/vms/%s/disks", name);
        int r = cli_api(cli, "POST", path, disk, 0, &vm);
        if (r)
                return r;
        json_t *disks = json_object_get(json_object_get(vm, "definition"), "disks");
        printf("Disk '%s' added to VM '%s'\n", cli_jstr(json_array_get(disks, json_array_size(disks) - 1), "id"),
               name);
        return 0;
}

static int disk_remove(struct cli *cli, const char *name, const char *disk)
{
        char path[256];

        if (!bv_name_is_valid(name) || !bv_name_is_valid(disk))
                return cli_fail("invalid VM or disk name");
        snprintf(path, sizeof(path), "/v1/vms/%s/disks/%s", name, disk);
        cli_progress_start(cli, 0, "waiting for the guest to release disk '%s' (DEVICE_DELETED)", disk);
        int r = cli_api(cli, "DELETE", path, NULL, 0, NULL);
        if (r == 0)
                printf("Disk '%s' removed from VM '%s'\n", disk, name);
        return r;
}

static int vm_disk(struct cli *cli, int argc, char **argv)
{
        json_auto_t *disk = json_object();
        struct disk_add d = { .disk = disk };
        struct cli_args a = { .max = 3 };
        int r = cli_parse(cli, argc, argv, &a, on_disk_option, &d);

        if (r)
                return r;
        if (a.n == 3 && strcmp(a.arg[0], "add") == 0)
                return disk_add(cli, a.arg[1], a.arg[2], disk);
        if (a.n == 3 && strcmp(a.arg[0], "remove") == 0 && !d.options)
                return disk_remove(cli, a.arg[1], a.arg[2]);
        return cli_usage_error(cli, "expected add or remove");
}

static void print_snapshot_row(const json_t *s)
{
        char date[32];

        if (!s) {
                printf("%-24s %-20s %s\n", "NAME", "DATE", "VM STATE");
                return;
        }
        time_t t = (time_t)json_integer_value(json_object_get(s, "date"));
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", localtime(&t));
        printf("%-24s %-20s %s\n", cli_jstr(s, "name"), date,
               json_integer_value(json_object_get(s, "vm_state_size")) ? "yes" : "no");
}

/* create, restore or delete SNAP of VM name. */
static int snapshot_op(struct cli *cli, const char *op, const char *name, const char *snap)
{
        char path[256];
        json_auto_t *body = NULL;
        const char *method = "POST";

        if (strcmp(op, "create") == 0) {
                body = json_pack("{s:s}", "name", snap);
                snprintf(path, sizeof(path), "/v1/vms/%s/snapshots", name);
        } else if (strcmp(op, "restore") == 0)
                snprintf(path, sizeof(path), "/v1/vms/%s/snapshots/%s/restore", name, snap);
        else if (strcmp(op, "delete") == 0) {
                snprintf(path, sizeof(path), "/v1/vms/%s/snapshots/%s", name, snap);
                method = "DELETE";
        } else
                return cli_usage_error(cli, "unknown operation '%s'", op);
        int r = cli_api(cli, method, path, body, 600000, NULL);
        if (r == 0)
                printf("Snapshot '%s' of VM '%s': %s done\n", snap, name, op);
        return r;
}

static int vm_snapshot(struct cli *cli, int argc, char **argv)
{
        struct cli_args a = { .max = 3 };
        char path[256];
        int r = cli_parse(cli, argc, argv, &a, NULL, NULL);

        if (r)
                return r;
        if (a.n < 2)
                return cli_usage_error(cli, "expected an operation and a VM name");
        bool list = strcmp(a.arg[0], "list") == 0;
        if (list != (a.n == 2))
                return cli_usage_error(cli, list ? "list takes only a VM name" : "expected a VM and a snapshot name");
        if (!bv_name_is_valid(a.arg[1]) || (!list && !bv_name_is_valid(a.arg[2])))
                return cli_fail("invalid VM or snapshot name");
        if (!list)
                return snapshot_op(cli, a.arg[0], a.arg[1], a.arg[2]);
        snprintf(path, sizeof(path), "/v1/vms/%s/snapshots", a.arg[1]);
        return cli_get_table(cli, path, print_snapshot_row);
}

/* ---- console -------------------------------------------------------------- */

static int vm_console(struct cli *cli, int argc, char **argv)
{
        static const char *const states[] = { "running", "paused", NULL };

        return cli_console(cli, "VM", "vms", states, argc, argv);
}

static const struct cli_option logs_options[] = {
        { "follow", 'f', NULL, "keep following until the VM stops", NULL, OPT_FOLLOW },
        { "tail", 'n', "LINES", "only the last LINES lines", "all", OPT_TAIL },
        {},
};

/* The serial console log, as `ct logs` prints a container's. */
static int vm_logs(struct cli *cli, int argc, char **argv)
{
        return cli_kind_logs(cli, "VM", "vms", argc, argv);
}

#define VM_ACTION(verb, summary) CLI_VERB(verb, vm_action, "vm " verb " NAME [--json]", summary, cli_json_options)

const struct cli_command cli_vm_commands[] = {
        CLI_VERB("create", vm_create, "vm create NAME [OPTIONS] | --file DEF.json",
                 "define a VM: memory, CPUs, kernel, disks, NICs", create_options),
        CLI_VERB("list", vm_list, "vm list [-q] [--format TEMPLATE] [--json]", "list VMs", cli_table_options),
        CLI_VERB("show", vm_show, "vm show NAME [--json]", "one VM: definition, state, console, last errors",
                 cli_json_options),
        VM_ACTION("start", "start; returns when QEMU reports running"),
        CLI_VERB("stop", vm_action, "vm stop NAME [-f] [--json]",
                 "ACPI shutdown, then quit, then kill after the stop timeout; -f kills at once", vm_stop_options),
        VM_ACTION("kill", "kill QEMU now"),
        VM_ACTION("reboot", "reset the VM"),
        VM_ACTION("pause", "pause the vCPUs"),
        VM_ACTION("resume", "resume the vCPUs"),
        CLI_VERB("delete", vm_delete, "vm delete NAME", "delete a stopped VM and its overlays", NULL),
        CLI_VERB("logs", vm_logs, "vm logs NAME [-f] [-n LINES]", "print the serial console log (-f: follow until it stops)",
                 logs_options),
        CLI_VERB("console", vm_console, "vm console NAME", "attach to the serial console (Ctrl-] detaches)", NULL),
        CLI_VERB("qmp", vm_qmp, "vm qmp NAME COMMAND [ARGUMENTS_JSON]", "a QMP command over barevirtd's connection", NULL),
        CLI_VERB("disk", vm_disk, "vm disk add NAME FILE [--format F] [--readonly] [--id ID] | vm disk remove NAME DISK",
                 "hot-add or hot-remove a disk", disk_options),
        CLI_VERB("snapshot", vm_snapshot, "vm snapshot create|list|restore|delete NAME [SNAP] [--json]",
                 "internal qcow2 snapshots, running or stopped", cli_json_options),
        {},
};
