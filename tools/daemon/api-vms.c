/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /v1/vms: VM definitions and their lifecycle. Definitions live in
 * STATE/vms/NAME.json (written atomically by vmm/vm-store.c); the runtime
 * side is vmm/vm.c.
 * Lifecycle requests are answered when the operation is done (start: QMP
 * says running; stop: QEMU is gone), never by blocking the loop.
 *
 *   GET    /v1/vms                    list
 *   POST   /v1/vms                    create (body: a definition, see vmm/vmm.h)
 *   GET    /v1/vms/NAME               one VM
 *   DELETE /v1/vms/NAME               delete a stopped VM
 *   POST   /v1/vms/NAME/ACTION        start, stop, kill, reboot, pause, resume
 *   GET    /v1/vms/NAME/logs[?tail=N][&follow=1]   the serial console log as text;
 *                                     following: a chunked stream until the VM stops
 *   POST   /v1/vms/NAME/qmp           {"command": ..., "arguments": {...}}
 *   POST   /v1/vms/NAME/disks         hot-add a disk (body: a disk, see vmm/vmm.h)
 *   DELETE /v1/vms/NAME/disks/ID      hot-remove it
 *   GET    /v1/vms/NAME/snapshots     list internal qcow2 snapshots
 *   POST   /v1/vms/NAME/snapshots     {"name": SNAP}: create
 *   POST   /v1/vms/NAME/snapshots/SNAP/restore
 *   DELETE /v1/vms/NAME/snapshots/SNAP
 *
 * The VMs themselves are the registry's (registry.c) and vmm/'s: create and
 * delete, with their files, are vmm_vm_create() and vmm_vm_delete().
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "tools/daemon/daemon.h"
#include "vmm/vmm.h"

/* Answers with the operation's result (p->raw) or the VM. */
static void reply_vm_done(struct vmm_vm *vm, int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct api_pending *p = userdata;

        if (r < 0 && r != -EALREADY)
                api_reply_errno(p->conn, r, err ? err->msg : NULL);
        else if (p->raw)
                api_reply_json(p->conn, 200, json_pack("{s:O?}", "return", result));
        else if (vm)
                api_reply_json(p->conn, 200, vmm_vm_to_json(vm));
        else
                api_reply_errno(p->conn, -ENOENT, "VM is gone");
        api_pending_free(p);
}

/* ---- handlers ------------------------------------------------------------- */

static void get_vms(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_t *a = json_array();

        for (size_t i = 0; i < d->reg.n_vms; i++)
                if (access_sees(req, vmm_vm_def(d->reg.vms[i])->project))
                        json_array_append_new(a, vmm_vm_to_json(d->reg.vms[i]));
        api_reply_json(c, 200, a);
}

static void get_vm(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct vmm_vm *vm = api_vm_or_404(d, c, args[0]);
        if (vm)
                api_reply_json(c, 200, vmm_vm_to_json(vm));
}

static void post_vms(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_auto_t *body = NULL;
        struct vmm_def *def = NULL;
        struct bv_error err = {};
        struct vmm_vm *vm;
        int r;

        if (api_read_json(c, req, &body) < 0)
                return;
        if ((r = vmm_def_from_json(body, &def, &err)) < 0 || (r = access_vm_create(d, req, def, &err)) < 0 ||
            (r = firewall_check_vm(d, def, &err)) < 0) {
                vmm_def_free(def);
                api_reply_errno(c, r, err.msg);
                return;
        }
        if ((r = registry_create_vm(d, def, &vm, &err)) < 0) {
                api_reply_errno(c, r, err.msg);
                return;
        }
        bv_info("vm '%s' created", vmm_vm_name(vm));
        events_emit(d, "vm-created", json_pack("{s:s,s:s}", "name", vmm_vm_name(vm), "project",
                                               projects_of(vmm_vm_def(vm)->project)));
        api_reply_json(c, 201, vmm_vm_to_json(vm));
}

static void delete_vm(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct vmm_vm *vm = api_vm_or_404(d, c, args[0]);
        struct bv_error err = {};
        char name[64];
        int r;

        if (!vm)
                return;
        if ((r = vmm_vm_delete(vm, &err)) < 0) {
                api_reply_errno(c, r, err.msg);
                return;
        }
        snprintf(name, sizeof(name), "%s", vmm_vm_name(vm));
        events_emit(d, "vm-deleted", json_pack("{s:s,s:s}", "name", name, "project", projects_of(vmm_vm_def(vm)->project)));
        bv_info("vm '%s' deleted", name);
        registry_remove_vm(d, vm);
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
        struct vmm_vm *vm = api_vm_or_404(d, c, name);
        struct bv_error err = {};
        struct api_pending *p;
        int r;

        if (vm && (p = api_pending_new(d, c, name)) && (r = fn(vm, reply_vm_done, p, &err)) < 0)
                api_pending_fail(p, r, err.msg);
}

/* start needs the host probe (KVM or not): wait for it, then start. */
static void start_after_probe(struct barevirtd *d, void *userdata)
{
        struct api_pending *p = userdata;
        struct vmm_vm *vm = registry_vm(d, p->name);

        if (!vm || !host_probe_result(d)) {
                api_pending_fail(p, -ENOENT, vm ? "barevirtd is shutting down" : "VM is gone");
                return;
        }
        vmm_vm_set_kvm(vm, registry_kvm_usable(d));
        run_action(d, p->conn, p->name, vmm_vm_start);
        api_pending_free(p);
}

static void start_vm(struct barevirtd *d, struct bv_http_conn *c, const char *name)
{
        struct vmm_vm *vm = api_vm_or_404(d, c, name);
        struct bv_error err = {};
        struct api_pending *p;
        int r;

        if (!vm)
                return;
        if ((r = firewall_check_vm(d, vmm_vm_def(vm), &err)) < 0) {
                api_reply_errno(c, r, err.msg);
                return;
        }
        if (!d->qemu_bin[0]) {
                bv_http_conn_respond_error(c, 503, "No QEMU binary found (install qemu-system-x86)");
                return;
        }
        if ((p = api_pending_new(d, c, name)) && host_probe_wait(d, start_after_probe, p) < 0)
                api_pending_fail(p, -EBUSY, "Cannot wait for the host probe");
}

static void post_action(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        for (size_t i = 0; i < BV_ELEMENTSOF(actions); i++) {
                if (strcmp(args[1], actions[i].name) != 0)
                        continue;
                if (actions[i].fn == vmm_vm_start)
                        start_vm(d, c, args[0]);
                else
                        run_action(d, c, args[0], actions[i].fn);
                return;
        }
        bv_http_conn_respond_error(c, 404, "No VM action '%.32s' (start, stop, kill, reboot, pause, resume)", args[1]);
}

/* The VM named name and the request's JSON body; NULL after answering 404 or 400. */
static struct vmm_vm *find_with_body(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req,
                                     const char *name, json_t **ret_body)
{
        struct vmm_vm *vm = api_vm_or_404(d, c, name);

        return vm && api_read_json(c, req, ret_body) >= 0 ? vm : NULL;
}

static void post_qmp(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        json_auto_t *body = NULL;
        json_t *arguments = NULL;
        const char *command = NULL;
        json_error_t jerr;
        struct bv_error err = {};
        struct api_pending *p;
        struct vmm_vm *vm;
        int r;

        if (!(vm = find_with_body(d, c, req, args[0], &body)))
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
        if (!(p = api_pending_new(d, c, args[0])))
                return;
        p->raw = true;
        if ((r = vmm_vm_qmp(vm, command, arguments, 0, reply_vm_done, p, &err)) < 0)
                api_pending_fail(p, r, err.msg);
}

/* ---- disks and snapshots --------------------------------------------------- */

/* After a disk change: store the new definition, then answer with the VM. */
static void reply_disk_done(struct vmm_vm *vm, int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct bv_error e = {};

        if (r >= 0 && vm && (r = vmm_vm_store_def(vm, &e)) < 0)
                err = &e;
        reply_vm_done(vm, r, result, err, userdata);
}

/* Without an id a new disk is "diskN", N the first number no disk of the VM uses. */
static size_t free_disk_number(const struct vmm_def *def)
{
        char id[32];
        bool used = true;
        size_t n;

        for (n = def->n_disks; used; n++) {
                snprintf(id, sizeof(id), "disk%zu", n);
                used = false;
                for (size_t i = 0; i < def->n_disks; i++)
                        used |= strcmp(def->disks[i].id, id) == 0;
                if (!used)
                        break;
        }
        return n;
}

static void post_disk(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct vmm_disk disk = {};
        struct bv_error err = {};
        json_auto_t *body = NULL;
        struct api_pending *p;
        int r;
        struct vmm_vm *vm = find_with_body(d, c, req, args[0], &body);

        if (!vm)
                return;
        if ((r = vmm_disk_from_json(body, free_disk_number(vmm_vm_def(vm)), &disk, &err)) < 0 ||
            (r = access_disk_paths(d, req, &disk, "", &err)) < 0)
                api_reply_errno(c, r, err.msg);
        else if ((p = api_pending_new(d, c, args[0])) && (r = vmm_vm_disk_add(vm, &disk, reply_disk_done, p, &err)) < 0)
                api_pending_fail(p, r, err.msg);
        vmm_disk_clear(&disk);
}

static void delete_disk(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct bv_error err = {};
        struct vmm_vm *vm = api_vm_or_404(d, c, args[0]);
        struct api_pending *p;
        int r;

        if (vm && (p = api_pending_new(d, c, args[0])) &&
            (r = vmm_vm_disk_remove(vm, args[1], reply_disk_done, p, &err)) < 0)
                api_pending_fail(p, r, err.msg);
}

static void reply_snapshot_done(struct vmm_vm *vm, int r, json_t *result, const struct bv_error *err, void *userdata)
{
        struct api_pending *p = userdata;

        if (r < 0)
                api_reply_errno(p->conn, r, err ? err->msg : NULL);
        else if (result)
                api_reply_json(p->conn, 200, json_incref(result));
        else if (p->name[0])
                api_reply_json(p->conn, 200, vm ? vmm_vm_to_json(vm) : json_object());
        api_pending_free(p);
}

static void snapshot(struct barevirtd *d, struct bv_http_conn *c, const char *vm_name, const char *op,
                     const char *snap)
{
        struct bv_error err = {};
        struct vmm_vm *vm = api_vm_or_404(d, c, vm_name);
        struct api_pending *p;
        int r;

        if (vm && (p = api_pending_new(d, c, vm_name)) &&
            (r = vmm_vm_snapshot(vm, op, snap, reply_snapshot_done, p, &err)) < 0)
                api_pending_fail(p, r, err.msg);
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

/* ---- logs: the serial console log, read or followed (vmm/vm-log.c) --------------------- */

static int vm_log_read(void *obj, long long tail, char **ret, size_t *ret_len)
{
        return vmm_vm_log_read(obj, tail, ret, ret_len);
}

static int vm_log_follow(void *obj, long long tail, int (*on_data)(const char *data, size_t len, void *userdata),
                         void (*on_end)(void *userdata), void *userdata, struct bv_log_follower **ret,
                         struct bv_error *err)
{
        return vmm_vm_log_follow(obj, tail, on_data, on_end, userdata, ret, err);
}

static void get_logs(struct barevirtd *d, struct bv_http_conn *c, const struct bv_http_request *req, char **args)
{
        struct vmm_vm *vm = api_vm_or_404(d, c, args[0]);
        bool live = vm && vmm_vm_state(vm) != VMM_STOPPED && vmm_vm_state(vm) != VMM_CRASHED;

        if (vm)
                api_logs_serve(c, req, &(struct api_log_source){ vm, live, vm_log_read, vm_log_follow });
}

const struct api_route api_vms_routes[] = {
        { "GET", "/v1/vms", get_vms },
        { "POST", "/v1/vms", post_vms },
        { "GET", "/v1/vms/{}", get_vm },
        { "DELETE", "/v1/vms/{}", delete_vm },
        { "POST", "/v1/vms/{}/qmp", post_qmp },
        { "POST", "/v1/vms/{}/disks", post_disk },
        { "DELETE", "/v1/vms/{}/disks/{}", delete_disk },
        { "GET", "/v1/vms/{}/logs", get_logs },
        { "GET", "/v1/vms/{}/snapshots", get_snapshots },
        { "POST", "/v1/vms/{}/snapshots", post_snapshot },
        { "POST", "/v1/vms/{}/snapshots/{}/restore", restore_snapshot },
        { "DELETE", "/v1/vms/{}/snapshots/{}", delete_snapshot },
        /* Last: "{}" would also match "disks", "snapshots" and "qmp". */
        { "POST", "/v1/vms/{}/{}", post_action },
        {},
};
