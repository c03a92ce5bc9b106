/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /v1/vms: VM definitions and their lifecycle. Definitions live in
 * STATE/vms/NAME.json (written atomically); the runtime side is vmm/vm.c.
 * Lifecycle requests are answered when the operation is done (start: QMP
 * says running; stop: QEMU is gone), never by blocking the loop.
 *
 *   GET    /v1/vms                    list
 *   POST   /v1/vms                    create (body: a definition, see vmm/def.h)
 *   GET    /v1/vms/NAME               one VM
 *   DELETE /v1/vms/NAME               delete a stopped VM
 *   POST   /v1/vms/NAME/ACTION        start, stop, kill, reboot, pause, resume
 *   POST   /v1/vms/NAME/qmp           {"command": ..., "arguments": {...}}
 *   POST   /v1/vms/NAME/disks         hot-add a disk (body: a disk, see vmm/def.h)
 *   DELETE /v1/vms/NAME/disks/ID      hot-remove it
 *   GET    /v1/vms/NAME/snapshots     list internal qcow2 snapshots
 *   POST   /v1/vms/NAME/snapshots     {"name": SNAP}: create
 *   POST   /v1/vms/NAME/snapshots/SNAP/restore
 *   DELETE /v1/vms/NAME/snapshots/SNAP
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/file.h"
#include "common/json.h"
#include "common/log.h"
#include "common/parse.h"
#include "tools/daemon/daemon.h"
#include "vmm/def.h"
#include "vmm/disk.h"
#include "vmm/vm.h"
#include "vmm/vmm.h"

#define MAX_VMS 1024
#define DEF_MAX (256 * 1024)

static void def_path(struct barevirtd *d, const char *name, char *buf, size_t len)
{
        snprintf(buf, len, "%s/vms/%s.json", d->state_dir, name);
}

struct vmm_vm *vms_find(struct barevirtd *d, const char *name)
{
        for (size_t i = 0; i < d->n_vms; i++)
                if (strcmp(vmm_vm_name(d->vms[i]), name) == 0)
                        return d->vms[i];
        return NULL;
}

size_t vms_using_network(struct barevirtd *d, const char *network)
{
        size_t n = 0;

        for (size_t i = 0; i < d->n_vms; i++) {
                const struct vmm_def *def = vmm_vm_def(d->vms[i]);
                enum vmm_state s = vmm_vm_state(d->vms[i]);
                if (s == VMM_STOPPED || s == VMM_CRASHED)
                        continue;
                for (size_t k = 0; k < def->n_nics; k++)
                        if (strcmp(def->nics[k].network, network) == 0) {
                                n++;
                                break;
                        }
        }
        return n;
}

static int bridge_of(void *userdata, const char *network, char *ret, size_t len, struct bv_error *err)
{
        return network_bridge(userdata, network, ret, len, err);
}

static void on_vm_event(struct vmm_vm *vm, const char *event, json_t *data, void *userdata)
{
        struct barevirtd *d = userdata;
        json_t *f = json_pack("{s:s}", "name", vmm_vm_name(vm));

        if (data)
                json_object_update(f, data);
        if (strcmp(event, "state") == 0)
                bv_info("vm '%s': %s -> %s", vmm_vm_name(vm), json_string_value(json_object_get(data, "from")),
                        json_string_value(json_object_get(data, "to")));
        char type[64];
        snprintf(type, sizeof(type), "vm-%s", event);
        events_emit(d, type, f);
}

static bool kvm_usable(struct barevirtd *d)
{
        return json_is_true(json_object_get(json_object_get(host_probe_result(d), "kvm"), "usable"));
}

static int add_vm(struct barevirtd *d, struct vmm_def *def, struct vmm_vm **ret)
{
        struct vmm_host h = {
                .loop = d->loop, .state_dir = d->state_dir, .run_dir = d->run_dir, .qemu = d->qemu_bin,
                .kvm = kvm_usable(d),
                .uefi_firmware = access("/usr/share/ovmf/OVMF.fd", R_OK) == 0 ? "/usr/share/ovmf/OVMF.fd" : NULL,
                .net = d->net, .bridge_of = bridge_of, .on_event = on_vm_event, .userdata = d,
        };
        if (d->n_vms >= MAX_VMS)
                return -ENOSPC;
        struct vmm_vm **nv = realloc(d->vms, (d->n_vms + 1) * sizeof(*nv));
        if (!nv)
                return -ENOMEM;
        d->vms = nv;
        int r = vmm_vm_new(&h, def, &d->vms[d->n_vms]);
        if (r < 0)
                return r;
        *ret = d->vms[d->n_vms++];
        return 0;
}

static void remove_vm(struct barevirtd *d, struct vmm_vm *vm)
{
        for (size_t i = 0; i < d->n_vms; i++)
                if (d->vms[i] == vm) {
                        d->vms[i] = d->vms[--d->n_vms];
                        break;
                }
        vmm_vm_free(vm);
}

/* ---- replies -------------------------------------------------------------- */

struct pending {
        struct barevirtd *d;
        struct bv_http_conn *conn;
        char name[64];
        bool raw;                 /* reply with the operation's result, not the VM */
};

static void reply_vm_done(struct vmm_vm *vm, int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct pending *p = userdata;

        if (r < 0 && r != -EALREADY)
                api_reply_errno(p->conn, r, err ? err->msg : NULL);
        else if (p->raw)
                api_reply_json(p->conn, 200, json_pack("{s:O?}", "return", result));
        else if (vm)
                api_reply_json(p->conn, 200, vmm_vm_to_json(vm));
        else
                api_reply_errno(p->conn, -ENOENT, "VM is gone");
        bv_http_conn_unref(p->conn);
        free(p);
}

static struct pending *pending_new(struct barevirtd *d, struct bv_http_conn *c, const char *name)
{
        struct pending *p = calloc(1, sizeof(*p));
        if (!p)
                return NULL;
        p->d = d;
        p->conn = bv_http_conn_ref(c);
        snprintf(p->name, sizeof(p->name), "%s", name);
        return p;
}

static struct vmm_vm *find_or_404(struct barevirtd *d, struct bv_http_conn *c, const char *name)
{
        struct vmm_vm *vm = vms_find(d, name);
        if (!vm)
                bv_http_conn_respond_error(c, 404, "No VM named '%.64s'", name);
        return vm;
}

/* ---- handlers ------------------------------------------------------------- */

static void get_vms(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_t *a = json_array();

        for (size_t i = 0; i < d->n_vms; i++)
                json_array_append_new(a, vmm_vm_to_json(d->vms[i]));
        api_reply_json(c, 200, a);
}

static void get_vm(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct vmm_vm *vm = find_or_404(d, c, args[0]);
        if (vm)
                api_reply_json(c, 200, vmm_vm_to_json(vm));
}

/* Validates everything a definition names on this host; nothing is changed on failure. */
static int check_new(struct barevirtd *d, const struct vmm_def *def, struct bv_error *err)
{
        char bridge[64];
        int r;

        if (vms_find(d, def->name))
                return bv_error_set(err, EEXIST, "A VM named '%s' already exists", def->name);
        if (containers_exists(d, def->name))
                return bv_error_set(err, EEXIST, "A container named '%s' already exists (VMs and containers share names)",
                                    def->name);
        if ((r = vmm_def_check_files(def, err)) < 0)
                return r;
        for (size_t i = 0; i < def->n_nics; i++)
                if ((r = network_bridge(d, def->nics[i].network, bridge, sizeof(bridge), err)) < 0)
                        return bv_error_prefix(err, "nics[%zu]", i);
        return 0;
}

static void post_vms(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_auto_t *body = NULL;
        struct vmm_def *def = NULL;
        struct bv_error err = {};
        char path[4096], dir[4096];
        struct vmm_vm *vm;
        int r;

        if (api_read_json(c, req, &body) < 0)
                return;
        if ((r = vmm_def_from_json(body, &def, &err)) < 0 || (r = check_new(d, def, &err)) < 0) {
                vmm_def_free(def);
                api_reply_errno(c, r, err.msg);
                return;
        }
        snprintf(dir, sizeof(dir), "%s/vms/%s", d->state_dir, def->name);
        if ((r = bv_mkdir_p(dir, 0700, &err)) < 0 || (r = vmm_disks_prepare(def, dir, d->qemu_img, &err)) < 0) {
                rmdir(dir);
                vmm_def_free(def);
                api_reply_errno(c, r, err.msg);
                return;
        }
        json_auto_t *stored = vmm_def_to_json(def);
        def_path(d, def->name, path, sizeof(path));
        r = stored ? bv_json_write_file(path, stored, &err) : -ENOMEM;
        if (r >= 0 && (r = add_vm(d, def, &vm)) < 0)
                unlink(path);
        if (r < 0) {
                vmm_disks_remove_overlays(def);
                rmdir(dir);
                vmm_def_free(def);
                api_reply_errno(c, r, err.msg);
                return;
        }
        bv_info("vm '%s' created", vmm_vm_name(vm));
        events_emit(d, "vm-created", json_pack("{s:s}", "name", vmm_vm_name(vm)));
        api_reply_json(c, 201, vmm_vm_to_json(vm));
}

static void delete_vm(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct vmm_vm *vm = find_or_404(d, c, args[0]);
        char path[4096], name[64];

        if (!vm)
                return;
        enum vmm_state s = vmm_vm_state(vm);
        if (s != VMM_STOPPED && s != VMM_CRASHED) {
                bv_http_conn_respond_error(c, 409, "VM '%s' is %s: stop it first", vmm_vm_name(vm), vmm_state_name(s));
                return;
        }
        def_path(d, vmm_vm_name(vm), path, sizeof(path));
        if (unlink(path) < 0 && errno != ENOENT) {
                api_reply_errno(c, -errno, "Failed to remove the definition");
                return;
        }
        vmm_disks_remove_overlays(vmm_vm_def(vm));
        /* The VM's own directories hold only files barevirt made (console log, overlays, sockets). */
        char sdir[4096], rdir[4096];
        vmm_vm_state_path(vm, NULL, sdir, sizeof(sdir));
        vmm_vm_run_path(vm, NULL, rdir, sizeof(rdir));
        snprintf(name, sizeof(name), "%s", vmm_vm_name(vm));
        events_emit(d, "vm-deleted", json_pack("{s:s}", "name", name));
        bv_info("vm '%s' deleted", name);
        remove_vm(d, vm);
        for (const char *dir = sdir;; dir = rdir) {
                DIR *dh = opendir(dir);
                struct dirent *e;
                while (dh && (e = readdir(dh)))
                        if (e->d_name[0] != '.') {
                                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                                unlink(path);
                        }
                if (dh)
                        closedir(dh);
                rmdir(dir);
                if (dir == rdir)
                        break;
        }
        bv_http_conn_respond(c, 204, NULL, NULL, 0);
}

typedef int (*vm_action_fn)(struct vmm_vm *, vmm_done_cb, void *, struct bv_error *);

static const struct {
        const char *name;
        vm_action_fn fn;
} actions[] = {
        { "start", vmm_vm_start }, { "stop", vmm_vm_stop }, { "kill", vmm_vm_kill },
        { "reboot", vmm_vm_reboot }, { "pause", vmm_vm_pause }, { "resume", vmm_vm_resume },
};

static void run_action(struct barevirtd *d, struct bv_http_conn *c, const char *name, vm_action_fn fn)
{
        struct vmm_vm *vm = find_or_404(d, c, name);
        struct bv_error err = {};

        if (!vm)
                return;
        struct pending *p = pending_new(d, c, name);
        if (!p) {
                api_reply_errno(c, -ENOMEM, NULL);
                return;
        }
        int r = fn(vm, reply_vm_done, p, &err);
        if (r < 0) {
                api_reply_errno(c, r, err.msg);
                bv_http_conn_unref(p->conn);
                free(p);
        }
}

/* start needs the host probe (KVM or not): wait for it, then start. */
static void start_after_probe(struct barevirtd *d, void *userdata)
{
        struct pending *p = userdata;
        struct vmm_vm *vm = vms_find(d, p->name);

        if (!vm || !host_probe_result(d)) {
                api_reply_errno(p->conn, -ENOENT, vm ? "barevirtd is shutting down" : "VM is gone");
                bv_http_conn_unref(p->conn);
                free(p);
                return;
        }
        vmm_vm_set_kvm(vm, kvm_usable(d));
        run_action(d, p->conn, p->name, vmm_vm_start);
        bv_http_conn_unref(p->conn);
        free(p);
}

static void post_action(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        for (size_t i = 0; i < BV_ELEMENTSOF(actions); i++) {
                if (strcmp(args[1], actions[i].name) != 0)
                        continue;
                if (actions[i].fn == vmm_vm_start) {
                        if (!find_or_404(d, c, args[0]))
                                return;
                        if (!d->qemu_bin[0]) {
                                bv_http_conn_respond_error(c, 503, "No QEMU binary found (install qemu-system-x86)");
                                return;
                        }
                        struct pending *p = pending_new(d, c, args[0]);
                        if (!p || host_probe_wait(d, start_after_probe, p) < 0) {
                                api_reply_errno(c, -EBUSY, "Cannot wait for the host probe");
                                if (p) {
                                        bv_http_conn_unref(p->conn);
                                        free(p);
                                }
                        }
                        return;
                }
                run_action(d, c, args[0], actions[i].fn);
                return;
        }
        bv_http_conn_respond_error(c, 404, "No VM action '%.32s' (start, stop, kill, reboot, pause, resume)", args[1]);
}

static void post_qmp(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_auto_t *body = NULL;
        json_t *arguments = NULL;
        const char *command = NULL;
        json_error_t jerr;
        struct bv_error err = {};
        struct vmm_vm *vm;

        if (!(vm = find_or_404(d, c, args[0])) || api_read_json(c, req, &body) < 0)
                return;
        if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s:s,s?o}", "command", &command, "arguments", &arguments) < 0) {
                bv_http_conn_respond_error(c, 400, "Body must be {\"command\": STRING, \"arguments\": OBJECT}: %s", jerr.text);
                return;
        }
        if (json_is_null(arguments))
                arguments = NULL;
        if (arguments && !json_is_object(arguments)) {
                bv_http_conn_respond_error(c, 400, "arguments: must be an object");
                return;
        }
        struct pending *p = pending_new(d, c, args[0]);
        if (!p) {
                api_reply_errno(c, -ENOMEM, NULL);
                return;
        }
        p->raw = true;
        int r = vmm_vm_qmp(vm, command, arguments, 0, reply_vm_done, p, &err);
        if (r < 0) {
                api_reply_errno(c, r, err.msg);
                bv_http_conn_unref(p->conn);
                free(p);
        }
}

/* ---- disks and snapshots --------------------------------------------------- */

static int store_def(struct barevirtd *d, struct vmm_vm *vm, struct bv_error *err)
{
        char path[4096];
        json_auto_t *o = vmm_def_to_json(vmm_vm_def(vm));

        def_path(d, vmm_vm_name(vm), path, sizeof(path));
        return o ? bv_json_write_file(path, o, err) : -ENOMEM;
}

/* After a disk change: store the new definition, then answer with the VM. */
static void reply_disk_done(struct vmm_vm *vm, int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct pending *p = userdata;
        struct bv_error e = {};

        if (r >= 0 && vm && (r = store_def(p->d, vm, &e)) < 0)
                err = &e;
        reply_vm_done(vm, r, result, err, userdata);
}

static void post_disk(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_auto_t *body = NULL;
        struct vmm_disk disk = {};
        struct bv_error err = {};
        struct vmm_vm *vm;

        if (!(vm = find_or_404(d, c, args[0])) || api_read_json(c, req, &body) < 0)
                return;
        /* Without an id the disk is "diskN", N the first number no disk of the VM uses. */
        const struct vmm_def *def = vmm_vm_def(vm);
        size_t n = def->n_disks;
        for (bool used = true; used; n++) {
                char id[32];
                snprintf(id, sizeof(id), "disk%zu", n);
                used = false;
                for (size_t i = 0; i < def->n_disks; i++)
                        used |= strcmp(def->disks[i].id, id) == 0;
                if (!used)
                        break;
        }
        int r = vmm_disk_from_json(body, n, &disk, &err);
        struct pending *p = r < 0 ? NULL : pending_new(d, c, args[0]);
        if (r >= 0 && !p)
                r = bv_error_set(&err, ENOMEM, "Out of memory");
        if (r >= 0 && (r = vmm_vm_disk_add(vm, &disk, reply_disk_done, p, &err)) < 0) {
                bv_http_conn_unref(p->conn);
                free(p);
        }
        vmm_disk_clear(&disk);
        if (r < 0)
                api_reply_errno(c, r, err.msg);
}

static void delete_disk(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct bv_error err = {};
        struct vmm_vm *vm = find_or_404(d, c, args[0]);

        if (!vm)
                return;
        struct pending *p = pending_new(d, c, args[0]);
        int r = p ? vmm_vm_disk_remove(vm, args[1], reply_disk_done, p, &err) : -ENOMEM;
        if (r < 0) {
                api_reply_errno(c, r, err.msg);
                if (p) {
                        bv_http_conn_unref(p->conn);
                        free(p);
                }
        }
}

static void reply_snapshot_done(struct vmm_vm *vm, int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct pending *p = userdata;

        if (r < 0)
                api_reply_errno(p->conn, r, err ? err->msg : NULL);
        else if (result)
                api_reply_json(p->conn, 200, json_incref(result));
        else if (p->name[0])
                api_reply_json(p->conn, 200, vm ? vmm_vm_to_json(vm) : json_object());
        bv_http_conn_unref(p->conn);
        free(p);
}

static void snapshot(struct barevirtd *d, struct bv_http_conn *c, const char *vm_name, const char *op,
                     const char *snap)
{
        struct bv_error err = {};
        struct vmm_vm *vm = find_or_404(d, c, vm_name);

        if (!vm)
                return;
        struct pending *p = pending_new(d, c, vm_name);
        int r = p ? vmm_vm_snapshot(vm, op, snap, d->qemu_img, reply_snapshot_done, p, &err) : -ENOMEM;
        if (r < 0) {
                api_reply_errno(c, r, err.msg);
                if (p) {
                        bv_http_conn_unref(p->conn);
                        free(p);
                }
        }
}

static void get_snapshots(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        snapshot(d, c, args[0], "list", NULL);
}

static void post_snapshot(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_auto_t *body = NULL;
        const char *name = NULL;
        json_error_t jerr;

        if (api_read_json(c, req, &body) < 0)
                return;
        if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s:s}", "name", &name) < 0) {
                bv_http_conn_respond_error(c, 400, "Body must be {\"name\": STRING}: %s", jerr.text);
                return;
        }
        snapshot(d, c, args[0], "create", name);
}

static void restore_snapshot(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        snapshot(d, c, args[0], "restore", args[1]);
}

static void delete_snapshot(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        snapshot(d, c, args[0], "delete", args[1]);
}

/* ---- start-up ------------------------------------------------------------- */

static void autostart_after_probe(struct barevirtd *d, void *userdata)
{
        for (size_t i = 0; i < d->n_vms; i++) {
                struct vmm_vm *vm = d->vms[i];
                struct bv_error err = {};
                if (!vmm_vm_def(vm)->autostart || vmm_vm_state(vm) != VMM_STOPPED || !host_probe_result(d))
                        continue;
                bv_info("vm '%s': autostart", vmm_vm_name(vm));
                vmm_vm_set_kvm(vm, kvm_usable(d));
                if (vmm_vm_start(vm, NULL, NULL, &err) < 0)
                        bv_warn("vm '%s': autostart failed: %s", vmm_vm_name(vm), err.msg);
        }
}

static void on_reattached(struct vmm_vm *vm, int r, json_t *result, const struct bv_error *err, void *userdata)
{
        if (r < 0)
                bv_warn("vm '%s': reattach failed: %s", vmm_vm_name(vm), bv_error_message(err, r));
        else if (vmm_vm_pid(vm) > 0)
                bv_info("vm '%s': reattached to QEMU pid %d (%s)", vmm_vm_name(vm), (int)vmm_vm_pid(vm),
                        vmm_state_name(vmm_vm_state(vm)));
}

static void load_vm(struct barevirtd *d, const char *path, json_t *o)
{
        struct bv_error err = {};
        struct vmm_def *def = NULL;
        struct vmm_vm *vm;

        if (vmm_def_from_json(o, &def, &err) < 0)
                bv_warn("ignoring '%s': %s", path, err.msg);
        else if (add_vm(d, def, &vm) < 0)
                vmm_def_free(def);
        else if (vmm_vm_reattach(vm, on_reattached, d) < 0)
                bv_warn("vm '%s': cannot reattach", vmm_vm_name(vm));
}

int vms_load(struct barevirtd *d)
{
        struct bv_error err = {};
        int r;

        if (vmm_qemu_find(d->qemu_path, d->qemu_bin, sizeof(d->qemu_bin), &err) < 0) {
                bv_warn("%s: VMs cannot start", err.msg);
                d->qemu_bin[0] = '\0';
        }
        if (vmm_qemu_find("qemu-img", d->qemu_img, sizeof(d->qemu_img), NULL) < 0)
                snprintf(d->qemu_img, sizeof(d->qemu_img), "qemu-img");
        if ((r = state_defs_foreach(d, "vms", DEF_MAX, load_vm)) < 0)
                return r;
        /* Autostart needs the host probe (KVM or not); do not make start-up wait for it otherwise. */
        for (size_t i = 0; i < d->n_vms; i++)
                if (vmm_vm_def(d->vms[i])->autostart) {
                        host_probe_wait(d, autostart_after_probe, NULL);
                        break;
                }
        return 0;
}

void vms_free(struct barevirtd *d)
{
        for (size_t i = 0; i < d->n_vms; i++)
                vmm_vm_free(d->vms[i]);
        free(d->vms);
        d->vms = NULL;
        d->n_vms = 0;
}

const struct api_route api_vms_routes[] = {
        { "GET", "/v1/vms", get_vms },
        { "POST", "/v1/vms", post_vms },
        { "GET", "/v1/vms/{}", get_vm },
        { "DELETE", "/v1/vms/{}", delete_vm },
        { "POST", "/v1/vms/{}/qmp", post_qmp },
        { "POST", "/v1/vms/{}/disks", post_disk },
        { "DELETE", "/v1/vms/{}/disks/{}", delete_disk },
        { "GET", "/v1/vms/{}/snapshots", get_snapshots },
        { "POST", "/v1/vms/{}/snapshots", post_snapshot },
        { "POST", "/v1/vms/{}/snapshots/{}/restore", restore_snapshot },
        { "DELETE", "/v1/vms/{}/snapshots/{}", delete_snapshot },
        /* Last: "{}" would also match "disks", "snapshots" and "qmp". */
        { "POST", "/v1/vms/{}/{}", post_action },
        {},
};
