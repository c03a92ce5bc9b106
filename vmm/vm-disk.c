/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Disks of a VM, live: hot-plug (blockdev-add + device_add, rolled back if
 * the device cannot be added), hot-unplug (device_del, then wait for the
 * guest to let go: DEVICE_DELETED, then blockdev-del), and internal qcow2
 * snapshots (savevm/loadvm/delvm through QMP while QEMU runs, qemu-img
 * snapshot when it does not). Each is one lifecycle operation of the VM
 * (vmm_vm_begin/complete), so none races a start or a stop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/common.h"
#include "qmp/qmp.h"
#include "vmm/vmm-internal.h"
#include "vmm/vmm.h"

#define QMP_TIMEOUT_MS 30000
#define UNPLUG_TIMEOUT_USEC (10ULL * 1000000)
#define QEMU_IMG_TIMEOUT_MS 60000

struct disk_unplug {
        char id[64];
        char dev[80];
        struct bv_timer *timer;
};

static bool running(const struct vmm_vm *vm)
{
        return vm->qmp && (vm->state == VMM_RUNNING || vm->state == VMM_PAUSED);
}

static struct vmm_disk *find_disk(struct vmm_vm *vm, const char *id, size_t *ret_index)
{
        for (size_t i = 0; i < vm->def->n_disks; i++)
                if (strcmp(vm->def->disks[i].id, id) == 0) {
                        if (ret_index)
                                *ret_index = i;
                        return &vm->def->disks[i];
                }
        return NULL;
}

static void drop_disk(struct vmm_vm *vm, size_t i)
{
        vmm_disk_clear(&vm->def->disks[i]);
        memmove(&vm->def->disks[i], &vm->def->disks[i + 1], (vm->def->n_disks - i - 1) * sizeof(struct vmm_disk));
        vm->def->n_disks--;
        vm->def->disks[vm->def->n_disks] = (struct vmm_disk){};
}

static void fail(struct vmm_vm *vm, int r, const struct bv_error *err, const char *what)
{
        struct bv_error e = {};

        if (err)
                e = *err;
        else
                bv_error_set(&e, -r, "failed");
        bv_error_prefix(&e, "%s", what);
        vmm_vm_complete(vm, r, NULL, &e);
}

/* ---- hot-plug ------------------------------------------------------------- */

static void on_device_added(struct qmp_conn *c, int r, json_t *ret, const struct bv_error *err, void *userdata)
{
        struct vmm_vm *vm = userdata;
        struct vmm_disk *k = &vm->def->disks[vm->def->n_disks - 1];

        if (r < 0) {
                /* Roll back: the node must not stay behind without its device. */
                json_auto_t *args = json_pack("{s:s}", "node-name", k->id);
                qmp_conn_call(vm->qmp, "blockdev-del", args, QMP_TIMEOUT_MS, NULL, NULL, NULL, NULL);
                drop_disk(vm, vm->def->n_disks - 1);
                fail(vm, r, err, "device_add");
                return;
        }
        vmm_vm_emit(vm, "disk-added", json_pack("{s:s}", "disk", k->id));
        vmm_vm_complete(vm, 0, NULL, NULL);
}

static void on_blockdev_added(struct qmp_conn *c, int r, json_t *ret, const struct bv_error *err, void *userdata)
{
        struct vmm_vm *vm = userdata;
        struct vmm_disk *k = &vm->def->disks[vm->def->n_disks - 1];
        char dev[80];

        if (r < 0) {
                drop_disk(vm, vm->def->n_disks - 1);
                fail(vm, r, err, "blockdev-add");
                return;
        }
        snprintf(dev, sizeof(dev), "%s-dev", k->id);
        json_auto_t *args = json_pack("{s:s,s:s,s:s,s:b}", "driver", "virtio-blk-pci", "drive", k->id, "id", dev,
                                      "write-cache", vmm_disk_write_cache(k));
        struct bv_error e = {};
        r = qmp_conn_call(vm->qmp, "device_add", args, QMP_TIMEOUT_MS, on_device_added, vm, NULL, &e);
        if (r < 0)
                on_device_added(c, r, NULL, &e, vm);
}

int vmm_vm_disk_add(struct vmm_vm *vm, struct vmm_disk *disk, vmm_done_cb done, void *userdata,
                    struct bv_error *err)
{
        struct vmm_def one = { .n_disks = 1 };
        int r;

        if (find_disk(vm, disk->id, NULL))
                return bv_error_set(err, EEXIST, "VM '%s' already has a disk '%s'", vm->def->name, disk->id);
        if (vm->def->n_disks >= VMM_MAX_DISKS)
                return bv_error_set(err, ENOSPC, "VM '%s' has the maximum of %d disks", vm->def->name, VMM_MAX_DISKS);
        if (disk->overlay)
                return bv_error_set(err, EOPNOTSUPP, "Overlays are made at VM creation; add the overlay file itself");
        one.disks[0] = *disk;
        r = vmm_def_check_files(&one, err);
        if (r < 0)
                return r;
        if (running(vm) && strcmp(disk->bus, "virtio") != 0)
                return bv_error_set(err, EOPNOTSUPP, "Only virtio disks can be hot-plugged");
        if ((r = vmm_vm_begin(vm, "disk-add", done, userdata, err)) < 0)
                return r;
        vm->def->disks[vm->def->n_disks++] = *disk;
        *disk = (struct vmm_disk){};
        if (!running(vm)) {
                vmm_vm_complete(vm, 0, NULL, NULL);
                return 0;
        }
        json_auto_t *args = vmm_disk_blockdev(&vm->def->disks[vm->def->n_disks - 1]);
        r = args ? qmp_conn_call(vm->qmp, "blockdev-add", args, QMP_TIMEOUT_MS, on_blockdev_added, vm, NULL, err) : -ENOMEM;
        if (r < 0) {
                drop_disk(vm, vm->def->n_disks - 1);
                vm->op = (struct op){};
        }
        return r;
}

/* ---- hot-unplug ----------------------------------------------------------- */

static void unplug_free(struct vmm_vm *vm)
{
        if (!vm->unplug)
                return;
        bv_timer_cancel(vm->unplug->timer);
        free(vm->unplug);
        vm->unplug = NULL;
}

static void on_blockdev_deleted(struct qmp_conn *c, int r, json_t *ret, const struct bv_error *err, void *userdata)
{
        struct vmm_vm *vm = userdata;
        size_t i;

        /* The device is gone either way; a failed blockdev-del only leaks a node in QEMU. */
        if (vm->unplug && find_disk(vm, vm->unplug->id, &i)) {
                vmm_vm_emit(vm, "disk-removed", json_pack("{s:s}", "disk", vm->unplug->id));
                drop_disk(vm, i);
        }
        unplug_free(vm);
        vmm_vm_complete(vm, 0, NULL, NULL);
}

void vmm_vm_disk_event(struct vmm_vm *vm, const struct qmp_event *ev)
{
        const char *dev = json_string_value(json_object_get(ev->data, "device"));

        if (!vm->unplug || !dev || strcmp(dev, vm->unplug->dev) != 0)
                return;
        vm->unplug->timer = bv_timer_cancel(vm->unplug->timer);
        json_auto_t *args = json_pack("{s:s}", "node-name", vm->unplug->id);
        if (qmp_conn_call(vm->qmp, "blockdev-del", args, QMP_TIMEOUT_MS, on_blockdev_deleted, vm, NULL, NULL) < 0)
                on_blockdev_deleted(vm->qmp, -EIO, NULL, NULL, vm);
}

static void on_unplug_timeout(struct bv_loop *loop, void *userdata)
{
        struct vmm_vm *vm = userdata;
        struct bv_error e;

        vm->unplug->timer = NULL;
        bv_error_set(&e, ETIMEDOUT, "The guest of VM '%s' did not release disk '%s' within %llu s", vm->def->name,
                     vm->unplug->id, UNPLUG_TIMEOUT_USEC / 1000000);
        unplug_free(vm);
        vmm_vm_complete(vm, -ETIMEDOUT, NULL, &e);
}

void vmm_vm_disk_abort(struct vmm_vm *vm)
{
        struct bv_error e;

        if (!vm->unplug)
                return;
        bv_error_set(&e, ECONNRESET, "QEMU of VM '%s' went away during the unplug", vm->def->name);
        unplug_free(vm);
        vmm_vm_complete(vm, -ECONNRESET, NULL, &e);
}

static void on_device_del(struct qmp_conn *c, int r, json_t *ret, const struct bv_error *err, void *userdata)
{
        struct vmm_vm *vm = userdata;

        if (r < 0) {
                unplug_free(vm);
                fail(vm, r, err, "device_del");
                return;
        }
        if (vm->unplug && !vm->unplug->timer)
                bv_loop_add_timer(vm->host.loop, UNPLUG_TIMEOUT_USEC, on_unplug_timeout, vm, &vm->unplug->timer);
}

int vmm_vm_disk_remove(struct vmm_vm *vm, const char *id, vmm_done_cb done, void *userdata,
                       struct bv_error *err)
{
        size_t i;
        int r;

        if (!find_disk(vm, id, &i))
                return bv_error_set(err, ENOENT, "VM '%s' has no disk '%.64s'", vm->def->name, id);
        if ((r = vmm_vm_begin(vm, "disk-remove", done, userdata, err)) < 0)
                return r;
        if (!running(vm)) {
                drop_disk(vm, i);
                vmm_vm_complete(vm, 0, NULL, NULL);
                return 0;
        }
        vm->unplug = calloc(1, sizeof(*vm->unplug));
        if (!vm->unplug) {
                vm->op = (struct op){};
                return bv_error_set(err, ENOMEM, "Out of memory");
        }
        snprintf(vm->unplug->id, sizeof(vm->unplug->id), "%s", id);
        snprintf(vm->unplug->dev, sizeof(vm->unplug->dev), "%s-dev", id);
        json_auto_t *args = json_pack("{s:s}", "id", vm->unplug->dev);
        r = qmp_conn_call(vm->qmp, "device_del", args, QMP_TIMEOUT_MS, on_device_del, vm, NULL, err);
        if (r < 0) {
                unplug_free(vm);
                vm->op = (struct op){};
        }
        return r;
}

/* ---- snapshots ------------------------------------------------------------ */

static const char *disk_file(const struct vmm_disk *k)
{
        return k->overlay && k->overlay_file ? k->overlay_file : k->file;
}

static int check_snapshottable(struct vmm_vm *vm, struct bv_error *err)
{
        size_t n = 0;

        for (size_t i = 0; i < vm->def->n_disks; i++) {
                const struct vmm_disk *k = &vm->def->disks[i];
                if (k->readonly)
                        continue;
                if (!(k->overlay && k->overlay_file) && strcmp(k->format, "qcow2") != 0)
                        return bv_error_set(err, EOPNOTSUPP,
                                            "Disk '%s' of VM '%s' is raw: snapshots need qcow2 disks (or overlay)",
                                            k->id, vm->def->name);
                n++;
        }
        if (n == 0)
                return bv_error_set(err, EOPNOTSUPP, "VM '%s' has no writable disk to snapshot", vm->def->name);
        return 0;
}

/* Snapshots from qemu-img info / query-block image info, merged by name. */
static void collect(json_t *out, const json_t *snaps)
{
        size_t i;
        json_t *s;

        json_array_foreach(snaps, i, s) {
                const char *name = json_string_value(json_object_get(s, "name"));
                bool seen = false;
                size_t k;
                json_t *o;
                json_array_foreach(out, k, o)
                        seen |= name && strcmp(json_string_value(json_object_get(o, "name")), name) == 0;
                if (name && !seen)
                        json_array_append_new(out, json_pack("{s:s,s:I,s:I}", "name", name, "date",
                                                             json_integer_value(json_object_get(s, "date-sec")),
                                                             "vm_state_size",
                                                             json_integer_value(json_object_get(s, "vm-state-size"))));
        }
}

static void on_hmp(struct qmp_conn *c, int r, json_t *ret, const struct bv_error *err, void *userdata)
{
        struct vmm_vm *vm = userdata;
        const char *out = json_string_value(ret);
        struct bv_error e = {};

        if (r < 0) {
                fail(vm, r, err, "snapshot");
                return;
        }
        if (out && *out) {
                /* HMP reports errors as text ("Error: ..."); success prints nothing. */
                char msg[200];
                snprintf(msg, sizeof(msg), "%s", out);
                msg[strcspn(msg, "\r\n")] = '\0';
                bv_error_set(&e, EIO, "VM '%s': %s", vm->def->name, msg);
                vmm_vm_complete(vm, -EIO, NULL, &e);
                return;
        }
        vmm_vm_complete(vm, 0, NULL, NULL);
}

static void on_query_block(struct qmp_conn *c, int r, json_t *ret, const struct bv_error *err, void *userdata)
{
        struct vmm_vm *vm = userdata;
        json_auto_t *out = json_array();
        size_t i;
        json_t *b;

        if (r < 0) {
                fail(vm, r, err, "query-block");
                return;
        }
        json_array_foreach(ret, i, b)
                collect(out, json_object_get(json_object_get(json_object_get(b, "inserted"), "image"), "snapshots"));
        vmm_vm_complete(vm, 0, out, NULL);
}

static int snapshot_offline(struct vmm_vm *vm, const char *op, const char *name, json_t **ret, struct bv_error *err)
{
        enum { OUT_MAX = 256 * 1024 };   /* qemu-img info of a disk with many snapshots */
        _cleanup_free_ char *buf = malloc(OUT_MAX);

        if (!buf)
                return bv_error_set(err, ENOMEM, "Out of memory");
        const char *flag = !strcmp(op, "create") ? "-c" : !strcmp(op, "restore") ? "-a" : "-d";

        for (size_t i = 0; i < vm->def->n_disks; i++) {
                const struct vmm_disk *k = &vm->def->disks[i];
                if (k->readonly)
                        continue;
                if (!strcmp(op, "list")) {
                        char *args[] = { (char *)"info", (char *)"-U", (char *)"--output=json", (char *)disk_file(k), NULL };
                        json_auto_t *info = NULL;
                        int r = vmm_qemu_img(vm->host.qemu_img, args, QEMU_IMG_TIMEOUT_MS, buf, OUT_MAX, err);
                        if (r < 0)
                                return r;
                        if (bv_json_loadb(buf, strlen(buf), OUT_MAX, 0, &info, err) < 0)
                                return -EPROTO;
                        collect(*ret, json_object_get(info, "snapshots"));
                        continue;
                }
                char *args[] = { (char *)"snapshot", (char *)flag, (char *)name, (char *)disk_file(k), NULL };
                int r = vmm_qemu_img(vm->host.qemu_img, args, QEMU_IMG_TIMEOUT_MS, buf, OUT_MAX, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int vmm_vm_snapshot(struct vmm_vm *vm, const char *op, const char *name, vmm_done_cb done, void *userdata,
                    struct bv_error *err)
{
        int r;

        if (strcmp(op, "list") != 0 && strcmp(op, "create") != 0 && strcmp(op, "restore") != 0 &&
            strcmp(op, "delete") != 0)
                return bv_error_set(err, EINVAL, "Unknown snapshot operation '%.16s'", op);
        if (strcmp(op, "list") != 0 && !bv_name_is_valid(name))
                return bv_error_set(err, EINVAL, "Invalid snapshot name '%.64s'", name ? name : "");
        if ((r = check_snapshottable(vm, err)) < 0)
                return r;
        if (vm->state == VMM_STARTING || vm->state == VMM_STOPPING)
                return bv_error_set(err, EBUSY, "VM '%s' is %s", vm->def->name, vmm_state_name(vm->state));
        if ((r = vmm_vm_begin(vm, "snapshot", done, userdata, err)) < 0)
                return r;
        if (!running(vm)) {
                json_auto_t *out = json_array();
                r = snapshot_offline(vm, op, name, &out, err);
                if (r < 0) {
                        vm->op = (struct op){};
                        return r;
                }
                vmm_vm_complete(vm, 0, strcmp(op, "list") == 0 ? out : NULL, NULL);
                return 0;
        }
        if (!strcmp(op, "list"))
                r = qmp_conn_call(vm->qmp, "query-block", NULL, QMP_TIMEOUT_MS, on_query_block, vm, NULL, err);
        else {
                char line[128];
                snprintf(line, sizeof(line), "%s %s", !strcmp(op, "create") ? "savevm" : !strcmp(op, "restore") ? "loadvm" : "delvm", name);
                json_auto_t *args = json_pack("{s:s}", "command-line", line);
                r = qmp_conn_call(vm->qmp, "human-monitor-command", args, QMP_TIMEOUT_MS, on_hmp, vm, NULL, err);
        }
        if (r < 0)
                vm->op = (struct op){};
        return r;
}
