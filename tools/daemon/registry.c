/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one registry of barevirt's own instances: every VM (struct vmm_vm,
 * vmm/) and container (struct ctr_ct, ctr/) this daemon owns, in one
 * namespace of names, and the kinds a bare NAME can be. It makes them with
 * this daemon's host facts (loop, directories, QEMU, the networks'
 * bridges), turns their events into /v1/events and their messages into
 * the log, and loads them all at start (networks first, then VMs, which
 * reattach to running QEMUs, then containers, which re-adopt running
 * monitors). Networks, the part of the registry that lives in the state
 * dir only, are networks.c.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "ctr/ctr.h"
#include "tools/daemon/daemon.h"
#include "vmm/vmm.h"

#define MAX_VMS 1024
#define MAX_CONTAINERS 4096
#define DEF_MAX (256 * 1024)
#define OVMF "/usr/share/ovmf/OVMF.fd"

/* ---- kinds ------------------------------------------------------------------------------- */

static const char *verb_in(const char *verb, const char *const map[][2], size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(verb, map[i][0]) == 0)
                        return map[i][1];
        return NULL;
}

static const char *vm_action(const char *verb)
{
        static const char *const map[][2] = {
                { "start", "start" }, { "stop", "stop" }, { "kill", "kill" }, { "restart", "reboot" },
                { "pause", "pause" }, { "resume", "resume" },
        };
        return verb_in(verb, map, BV_ELEMENTSOF(map));
}

static const char *ct_action(const char *verb)
{
        static const char *const map[][2] = {
                { "start", "start" }, { "stop", "stop" }, { "kill", "kill" }, { "restart", "restart" }, { "exec", "exec" },
                { "pause", "pause" }, { "resume", "resume" },
        };
        return verb_in(verb, map, BV_ELEMENTSOF(map));
}

static json_t *ct_logs(struct barevirtd *d, const char *name, long long tail)
{
        struct ctr_ct *ct = registry_ct(d, name);
        _cleanup_free_ char *buf = NULL;
        size_t len;

        if (!ct || ctr_ct_log_read(ct, tail, &buf, &len) < 0)
                return NULL;
        return json_pack("{s:o,s:b}", "output", bv_json_string_lossy(buf, len), "tty", ctr_ct_get_def(ct)->system);
}

static json_t *vm_logs(struct barevirtd *d, const char *name, long long tail)
{
        struct vmm_vm *vm = registry_vm(d, name);
        _cleanup_free_ char *buf = NULL;
        size_t len;

        if (!vm || vmm_vm_log_read(vm, tail, &buf, &len) < 0)
                return NULL;
        /* A serial console: what the guest wrote to its terminal. */
        return json_pack("{s:o,s:b}", "output", bv_json_string_lossy(buf, len), "tty", true);
}

const struct instance_kind instance_kind_vm = { "vm", "VM", "/v1/vms", vm_action, vm_logs };
const struct instance_kind instance_kind_ct = { "ct", "container", "/v1/containers", ct_action, ct_logs };

struct vmm_vm *registry_vm(struct barevirtd *d, const char *name)
{
        for (size_t i = 0; i < d->reg.n_vms; i++)
                if (strcmp(vmm_vm_name(d->reg.vms[i]), name) == 0)
                        return d->reg.vms[i];
        return NULL;
}

struct ctr_ct *registry_ct(struct barevirtd *d, const char *name)
{
        for (size_t i = 0; i < d->reg.n_cts; i++)
                if (strcmp(ctr_ct_name(d->reg.cts[i]), name) == 0)
                        return d->reg.cts[i];
        return NULL;
}

const struct instance_kind *registry_kind(struct barevirtd *d, const char *name)
{
        return registry_vm(d, name) ? &instance_kind_vm : registry_ct(d, name) ? &instance_kind_ct : NULL;
}

int registry_name_free(struct barevirtd *d, const char *name, const struct instance_kind *kind, struct bv_error *err)
{
        const struct instance_kind *holder = registry_kind(d, name);

        if (!holder)
                return 0;
        if (holder == kind)
                return bv_error_set(err, EEXIST, "A %s named '%s' already exists", holder->what, name);
        return bv_error_set(err, EEXIST, "A %s named '%s' already exists (VMs and containers share names)",
                            holder->what, name);
}

/* ---- the /v1/instances summaries ------------------------------------------------------------ */

static json_t *uptime_json(pid_t pid)
{
        uint64_t up;

        return pid > 0 && bv_proc_uptime(pid, &up) >= 0 ? json_integer((json_int_t)up) : json_null();
}

/* The pool address of NIC i of instance name, appended when it has one. */
static void add_pool_address(struct barevirtd *d, json_t *addrs, const char *network, const char *name, size_t i)
{
        const char *ip = netsvc_instance_address(d, network, name, (unsigned)i);

        if (*ip)
                json_array_append_new(addrs, json_string(ip));
}

static json_t *vm_instance(struct barevirtd *d, const struct vmm_vm *vm)
{
        const struct vmm_def *def = vmm_vm_def(vm);
        enum vmm_state st = vmm_vm_state(vm);
        json_t *addrs = json_array();
        const char *ip = def->cmdline ? strstr(def->cmdline, "bv.ip=") : NULL;

        if (ip && addrs) {
                ip += 6;
                json_array_append_new(addrs, json_stringn(ip, strcspn(ip, " /")));
        }
        for (size_t i = 0; !ip && addrs && i < def->n_nics; i++)
                add_pool_address(d, addrs, def->nics[i].network, def->name, i);
        bool live = st != VMM_STOPPED && st != VMM_CRASHED;
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "ref", vmm_vm_name(vm), "name", vmm_vm_name(vm),
                         "project", projects_of(def->project), "type", "vm", "state",
                         vmm_state_name(st), "image", def->kernel ? def->kernel : "", "status", "", "addresses",
                         addrs, "uptime", live ? uptime_json(vmm_vm_pid(vm)) : json_null());
}

static json_t *ct_instance(struct barevirtd *d, const struct ctr_ct *ct)
{
        const struct ctr_ct_def *def = ctr_ct_get_def(ct);
        const struct ctr_ct_status *st = ctr_ct_get_status(ct);
        enum ctr_ct_state s = ctr_ct_get_state(ct);
        char status[64] = "";

        if (st && st->exit_code >= 0 && (s == CTR_CT_STOPPED || s == CTR_CT_CRASHED))
                snprintf(status, sizeof(status), "exit code %d", st->exit_code);
        json_t *addrs = json_array();
        for (size_t i = 0; addrs && i < def->n_nics; i++)
                if (def->nics[i].ip)
                        json_array_append_new(addrs, json_stringn(def->nics[i].ip, strcspn(def->nics[i].ip, "/")));
                else
                        add_pool_address(d, addrs, def->nics[i].network, def->name, i);
        bool live = (s == CTR_CT_RUNNING || s == CTR_CT_PAUSED) && st && st->pid > 0;
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o}", "ref", def->name, "name", def->name, "project",
                         projects_of(def->project), "type", "ct", "state",
                         ctr_ct_state_name(s), "image", def->image ? def->image : def->rootfs, "status", status,
                         "addresses", addrs, "uptime", live ? uptime_json(st->pid) : json_null());
}

json_t *registry_instance_json(struct barevirtd *d, const char *name)
{
        struct vmm_vm *vm = registry_vm(d, name);
        struct ctr_ct *ct = vm ? NULL : registry_ct(d, name);

        return vm ? vm_instance(d, vm) : ct ? ct_instance(d, ct) : json_null();
}

void registry_instances_json(struct barevirtd *d, const char *scope, json_t *items)
{
        for (size_t i = 0; i < d->reg.n_vms; i++)
                if (!scope || strcmp(scope, projects_of(vmm_vm_def(d->reg.vms[i])->project)) == 0)
                        json_array_append_new(items, vm_instance(d, d->reg.vms[i]));
        for (size_t i = 0; i < d->reg.n_cts; i++)
                if (!scope || strcmp(scope, projects_of(ctr_ct_get_def(d->reg.cts[i])->project)) == 0)
                        json_array_append_new(items, ct_instance(d, d->reg.cts[i]));
}

/* ---- VMs ------------------------------------------------------------------------------------- */

bool registry_kvm_usable(struct barevirtd *d)
{
        return json_is_true(json_object_get(json_object_get(host_probe_result(d), "kvm"), "usable"));
}

static int bridge_of(void *userdata, const char *network, char *ret, size_t len, struct bv_error *err)
{
        return networks_bridge(userdata, network, ret, len, err);
}

static void on_vm_event(struct vmm_vm *vm, const char *event, json_t *data, void *userdata)
{
        struct barevirtd *d = userdata;
        json_t *f = json_pack("{s:s}", "name", vmm_vm_name(vm));
        char type[64];

        if (data)
                json_object_update(f, data);
        if (strcmp(event, "state") == 0)
                bv_info("vm '%s': %s -> %s", vmm_vm_name(vm), json_string_value(json_object_get(data, "from")),
                        json_string_value(json_object_get(data, "to")));
        snprintf(type, sizeof(type), "vm-%s", event);
        events_emit(d, type, f);
        netsvc_changed(d);
}

static struct vmm_host vm_host(struct barevirtd *d)
{
        return (struct vmm_host){
                .loop = d->loop, .state_dir = d->state_dir, .run_dir = d->run_dir, .qemu = d->qemu_bin,
                .qemu_img = d->qemu_img, .kvm = registry_kvm_usable(d),
                .uefi_firmware = access(OVMF, R_OK) == 0 ? OVMF : NULL,
                .net = d->net, .bridge_of = bridge_of, .on_event = on_vm_event, .userdata = d,
        };
}

/* Makes room for one more pointer in *v (n of them, at most max). */
static int grow(void *v, size_t n, size_t max)
{
        void **p = *(void ***)v;

        if (n >= max)
                return -ENOSPC;
        p = realloc(p, (n + 1) * sizeof(*p));
        if (!p)
                return -ENOMEM;
        *(void ***)v = p;
        return 0;
}

int registry_create_vm(struct barevirtd *d, struct vmm_def *def, struct vmm_vm **ret, struct bv_error *err)
{
        struct vmm_host h = vm_host(d);
        int r;

        if ((r = grow(&d->reg.vms, d->reg.n_vms, MAX_VMS)) < 0) {
                vmm_def_free(def);
                return r == -ENOSPC ? bv_error_set(err, ENOSPC, "Too many VMs (at most %d)", MAX_VMS)
                                    : bv_error_set(err, ENOMEM, "Out of memory");
        }
        if ((r = vmm_vm_create(&h, def, ret, err)) < 0)
                return r;
        d->reg.vms[d->reg.n_vms++] = *ret;
        return 0;
}

void registry_remove_vm(struct barevirtd *d, struct vmm_vm *vm)
{
        for (size_t i = 0; i < d->reg.n_vms; i++)
                if (d->reg.vms[i] == vm) {
                        d->reg.vms[i] = d->reg.vms[--d->reg.n_vms];
                        break;
                }
        vmm_vm_free(vm);
}

static void on_reattached(struct vmm_vm *vm, int r, json_t *result, const struct bv_error *err, void *userdata)
{
        if (r < 0)
                bv_warn("vm '%s': reattach failed: %s", vmm_vm_name(vm), bv_error_message(err, r));
        else if (vmm_vm_pid(vm) > 0)
                bv_info("vm '%s': reattached to QEMU pid %d (%s)", vmm_vm_name(vm), (int)vmm_vm_pid(vm),
                        vmm_state_name(vmm_vm_state(vm)));
}

static void load_vm(struct barevirtd *d, const char *path, json_t *o, void *userdata)
{
        struct vmm_host h = vm_host(d);
        struct bv_error err = {};
        struct vmm_def *def = NULL;
        struct vmm_vm *vm;

        if (vmm_def_from_json(o, &def, &err) < 0)
                bv_warn("ignoring '%s': %s", path, err.msg);
        else if (grow(&d->reg.vms, d->reg.n_vms, MAX_VMS) < 0 || vmm_vm_new(&h, def, &vm) < 0)
                vmm_def_free(def);
        else {
                d->reg.vms[d->reg.n_vms++] = vm;
                if (vmm_vm_reattach(vm, on_reattached, d) < 0)
                        bv_warn("vm '%s': cannot reattach", vmm_vm_name(vm));
        }
}

static void autostart_after_probe(struct barevirtd *d, void *userdata)
{
        for (size_t i = 0; i < d->reg.n_vms; i++) {
                struct vmm_vm *vm = d->reg.vms[i];
                struct bv_error err = {};
                if (!vmm_vm_def(vm)->autostart || vmm_vm_state(vm) != VMM_STOPPED || !host_probe_result(d))
                        continue;
                bv_info("vm '%s': autostart", vmm_vm_name(vm));
                vmm_vm_set_kvm(vm, registry_kvm_usable(d));
                if (vmm_vm_start(vm, NULL, NULL, &err) < 0)
                        bv_warn("vm '%s': autostart failed: %s", vmm_vm_name(vm), err.msg);
        }
}

/* ---- containers ---------------------------------------------------------------------------- */

static void on_ct_event(struct ctr_ct *ct, const char *event, const json_t *data, void *userdata)
{
        static const char *const types[][2] = {
                { "state", "container" }, { "created", "container-created" }, { "deleted", "container-deleted" },
        };
        json_t *f = json_pack("{s:s}", "name", ctr_ct_name(ct));

        if (f && data)
                json_object_update(f, (json_t *)data);
        netsvc_changed(userdata);
        for (size_t i = 0; i < BV_ELEMENTSOF(types); i++)
                if (strcmp(event, types[i][0]) == 0) {
                        events_emit(userdata, types[i][1], f);
                        return;
                }
        json_decref(f);
}

static void on_ct_log(void *userdata, int level, const char *msg)
{
        static const enum bv_log_level levels[] = { BV_LOG_ERR, BV_LOG_WARN, BV_LOG_INFO, BV_LOG_DEBUG };

        bv_log(levels[level < 0 ? 0 : level > 3 ? 3 : level], "%s", msg);
}

static int nic_address(void *userdata, const char *ct, unsigned index, const char *network, const uint8_t mac[6],
                       struct ctr_ct_nic_addr *ret, struct bv_error *err)
{
        return netsvc_ct_address(userdata, ct, index, network, mac, ret, err);
}

static int ct_host_new(struct barevirtd *d)
{
        struct ctr_ct_host_opts o = {
                .loop = d->loop, .state_dir = d->state_dir, .run_dir = d->run_dir,
                .cgroup_parent = d->cgroup_parent, .runtime = d->runtime_path, .net = d->net,
                .bridge_of = bridge_of, .nic_address = nic_address, .on_event = on_ct_event, .on_log = on_ct_log,
                .userdata = d,
        };
        return ctr_ct_host_new(&o, &d->reg.ct_host);
}

int registry_new_ct(struct barevirtd *d, struct ctr_ct_def *def, struct ctr_ct **ret, struct bv_error *err)
{
        int r;

        if ((r = grow(&d->reg.cts, d->reg.n_cts, MAX_CONTAINERS)) < 0 || (r = ctr_ct_new(d->reg.ct_host, def, ret)) < 0) {
                ctr_ct_def_free(def);
                return r == -ENOSPC ? bv_error_set(err, ENOSPC, "Too many containers (at most %d)", MAX_CONTAINERS)
                                    : bv_error_set(err, ENOMEM, "Out of memory");
        }
        d->reg.cts[d->reg.n_cts++] = *ret;
        return 0;
}

void registry_remove_ct(struct barevirtd *d, struct ctr_ct *ct)
{
        for (size_t i = 0; i < d->reg.n_cts; i++)
                if (d->reg.cts[i] == ct) {
                        memmove(&d->reg.cts[i], &d->reg.cts[i + 1], (d->reg.n_cts - i - 1) * sizeof(ct));
                        d->reg.n_cts--;
                        break;
                }
        ctr_ct_free(ct);
}

static void load_ct(struct barevirtd *d, const char *path, json_t *o, void *userdata)
{
        struct bv_error err = {};
        struct ctr_ct_def *def = NULL;
        const char *base = strrchr(path, '/') + 1;
        size_t len = strlen(base) - 5;

        if (ctr_ct_def_parse(o, &def, &err) < 0)
                bv_warn("ignoring '%s': %s", path, err.msg);
        else if (strncmp(base, def->name, len) != 0 || strlen(def->name) != len) {
                bv_warn("ignoring '%s': it names container '%s'", path, def->name);
                ctr_ct_def_free(def);
        } else if (grow(&d->reg.cts, d->reg.n_cts, MAX_CONTAINERS) < 0 ||
                   ctr_ct_load(d->reg.ct_host, def, &d->reg.cts[d->reg.n_cts]) < 0)
                ctr_ct_def_free(def);
        else
                d->reg.n_cts++;
}

/* ---- loading ---------------------------------------------------------------------------------- */

int registry_defs_foreach(struct barevirtd *d, const char *kind,
                          void (*fn)(struct barevirtd *d, const char *path, json_t *def, void *userdata),
                          void *userdata)
{
        char dir[4096], path[4400];
        struct dirent **list;
        struct bv_error err = {};

        snprintf(dir, sizeof(dir), "%s/%s", d->state_dir, kind);
        if (bv_mkdir_p(dir, 0700, &err) < 0)
                return -err.error;
        int n = scandir(dir, &list, NULL, alphasort), count = 0;
        for (int i = 0; i < n; i++) {
                const char *f = list[i]->d_name;
                size_t len = strlen(f);
                json_auto_t *o = NULL;
                if (len > 5 && strcmp(f + len - 5, ".json") == 0) {
                        snprintf(path, sizeof(path), "%s/%s", dir, f);
                        if (bv_json_load_file(path, DEF_MAX, &o, &err) < 0)
                                bv_warn("ignoring '%s': %s", path, err.msg);
                        else {
                                fn(d, path, o, userdata);
                                count++;
                        }
                }
                free(list[i]);
        }
        if (n >= 0)
                free(list);
        return count;
}

static int load_vms(struct barevirtd *d)
{
        struct bv_error err = {};
        int r;

        if (vmm_qemu_find(d->qemu_path, d->qemu_bin, sizeof(d->qemu_bin), &err) < 0) {
                bv_warn("%s: VMs cannot start", err.msg);
                d->qemu_bin[0] = '\0';
        }
        if (vmm_qemu_find("qemu-img", d->qemu_img, sizeof(d->qemu_img), NULL) < 0)
                snprintf(d->qemu_img, sizeof(d->qemu_img), "qemu-img");
        if ((r = registry_defs_foreach(d, "vms", load_vm, NULL)) < 0)
                return r;
        /* Autostart needs the host probe (KVM or not); do not make start-up wait for it otherwise. */
        for (size_t i = 0; i < d->reg.n_vms; i++)
                if (vmm_vm_def(d->reg.vms[i])->autostart) {
                        host_probe_wait(d, autostart_after_probe, NULL);
                        break;
                }
        return 0;
}

int registry_load(struct barevirtd *d)
{
        int r;

        networks_load(d);
        if ((r = load_vms(d)) < 0 || (r = ct_host_new(d)) < 0)
                return r;
        r = registry_defs_foreach(d, "containers", load_ct, NULL);
        return r < 0 ? r : 0;
}

void registry_free(struct barevirtd *d)
{
        for (size_t i = 0; i < d->reg.n_cts; i++)
                ctr_ct_free(d->reg.cts[i]);
        free(d->reg.cts);
        d->reg.ct_host = ctr_ct_host_free(d->reg.ct_host);
        for (size_t i = 0; i < d->reg.n_vms; i++)
                vmm_vm_free(d->reg.vms[i]);
        free(d->reg.vms);
        d->reg = (struct registry){};
}
