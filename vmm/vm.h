/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A running (or not) VM: its QEMU process, its QMP connection and its
 * state machine, on the owner's event loop. barevirtd keeps one struct
 * vmm_vm per definition.
 *
 * QEMU runs in a session of its own (setsid) so it outlives barevirtd; its
 * identity (pid plus process start time) and sockets are recorded in
 * RUN_DIR/vms/NAME/runtime.json, so a restarted daemon finds it again with
 * vmm_vm_reattach() and never mistakes a recycled pid for it.
 *
 * States: stopped -> starting -> running <-> paused; running/paused ->
 * stopping -> stopped; any -> crashed when QEMU dies without the guest
 * having shut down (its last stderr lines are kept). A guest-initiated
 * reboot keeps the VM running; a guest-initiated poweroff stops it (QEMU
 * exits; its non-persistent taps vanish with it).
 *
 * Operations are asynchronous: done is called exactly once, from the loop.
 * One lifecycle operation at a time: another one gets -EBUSY.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/loop.h"
#include "vmm/def.h"

struct net_ctx;
struct vmm_vm;

enum vmm_state { VMM_STOPPED, VMM_STARTING, VMM_RUNNING, VMM_PAUSED, VMM_STOPPING, VMM_CRASHED };
const char *vmm_state_name(enum vmm_state s);

/* What a VM needs from its owner. Pointers must outlive the VM. */
struct vmm_host {
        struct bv_loop *loop;
        const char *state_dir;      /* definitions: STATE/vms/NAME.json, disks: STATE/vms/NAME/ */
        const char *run_dir;        /* RUN/vms/NAME/: sockets, pidfile, runtime.json, qemu.log */
        const char *qemu;           /* resolved QEMU binary */
        const char *qemu_img;       /* qemu-img: overlays, offline snapshots */
        bool kvm;                   /* use KVM for accel "auto" */
        const char *uefi_firmware;  /* OVMF image or NULL */
        struct net_ctx *net;        /* where taps are made (barevirtd's netns) */
        /* Resolves a network name to its bridge; -ENOENT when unknown. */
        int (*bridge_of)(void *userdata, const char *network, char *ret_bridge, size_t len,
                         struct bv_error *err);
        /* Every state change, and events worth telling ("reset", "shutdown"). */
        void (*on_event)(struct vmm_vm *vm, const char *event, json_t *data, void *userdata);
        void *userdata;
};

typedef void (*vmm_done_cb)(struct vmm_vm *vm, int r, json_t *result, const struct bv_error *err,
                            void *userdata);

/* Takes over def. Does not start anything. Returns 0 or -ENOMEM. */
int vmm_vm_new(const struct vmm_host *host, struct vmm_def *def, struct vmm_vm **ret);

/*
 * Creates a new VM from def (taken over, freed on failure): checks what it
 * names on this host (kernel, initrd and disk files; the NICs' networks
 * through bridge_of), makes STATE/vms/NAME/ with the disks' qcow2
 * overlays (qemu-img, blocking about 20 ms each) and stores the definition
 * in STATE/vms/NAME.json. A failure leaves nothing behind. Returns 0 with
 * *ret (stopped), -ENOENT, -EINVAL or -errno.
 */
int vmm_vm_create(const struct vmm_host *host, struct vmm_def *def, struct vmm_vm **ret, struct bv_error *err);
/* Stores the definition again, atomically (after a disk change). */
int vmm_vm_store_def(const struct vmm_vm *vm, struct bv_error *err);
/*
 * Removes a stopped or crashed VM's files: its definition, its overlays,
 * its state and run directories (only files barevirt made). -EBUSY while it
 * runs. The owner frees vm afterwards.
 */
int vmm_vm_delete(struct vmm_vm *vm, struct bv_error *err);
/* Forgets the VM (QEMU keeps running). Pending operations complete with -ECANCELED. */
struct vmm_vm *vmm_vm_free(struct vmm_vm *vm);

/* Whether accel "auto" uses KVM from now on (the host probe may finish after the VM was made). */
void vmm_vm_set_kvm(struct vmm_vm *vm, bool kvm);

const char *vmm_vm_name(const struct vmm_vm *vm);
const struct vmm_def *vmm_vm_def(const struct vmm_vm *vm);
enum vmm_state vmm_vm_state(const struct vmm_vm *vm);
pid_t vmm_vm_pid(const struct vmm_vm *vm);
/* Whether a running (or paused, starting, stopping) VM has a NIC on network. */
bool vmm_vm_uses_network(const struct vmm_vm *vm, const char *network);
/* Whether ifname is the tap of one of the VM's NICs ("bv" + name hash + "-" + index); *ret_nic: which. */
bool vmm_vm_owns_tap(const struct vmm_vm *vm, const char *ifname, unsigned *ret_nic);

/* The definition, state, pid, sockets, console log and last errors, for the API. */
json_t *vmm_vm_to_json(const struct vmm_vm *vm);

/*
 * Looks for a QEMU left running by an earlier barevirtd (runtime.json,
 * pid + start time + command line) and takes it over: QMP reconnected,
 * state from query-status. A QEMU that died meanwhile leaves the VM
 * stopped (clean exit) or crashed (it wrote to stderr), with its runtime
 * files removed. done reports the outcome. Returns 0 or -errno.
 */
int vmm_vm_reattach(struct vmm_vm *vm, vmm_done_cb done, void *userdata);

/*
 * start: creates overlays, opens taps on the networks' bridges, launches
 * QEMU and completes when QMP reports it running (or fails with the last
 * lines QEMU printed). stop: ACPI powerdown, then after stop_timeout quit,
 * then SIGKILL; completes when QEMU is gone. kill: SIGKILL now.
 * reboot/pause/resume: system_reset/stop/cont.
 */
int vmm_vm_start(struct vmm_vm *vm, vmm_done_cb done, void *userdata, struct bv_error *err);
int vmm_vm_stop(struct vmm_vm *vm, vmm_done_cb done, void *userdata, struct bv_error *err);
int vmm_vm_kill(struct vmm_vm *vm, vmm_done_cb done, void *userdata, struct bv_error *err);
int vmm_vm_reboot(struct vmm_vm *vm, vmm_done_cb done, void *userdata, struct bv_error *err);
int vmm_vm_pause(struct vmm_vm *vm, vmm_done_cb done, void *userdata, struct bv_error *err);
int vmm_vm_resume(struct vmm_vm *vm, vmm_done_cb done, void *userdata, struct bv_error *err);

/* Any QMP command over the VM's own connection; result is the "return" value. */
int vmm_vm_qmp(struct vmm_vm *vm, const char *command, json_t *arguments, unsigned timeout_ms,
               vmm_done_cb done, void *userdata, struct bv_error *err);

/*
 * Disks. disk_add takes over *disk (parsed with vmm_disk_from_json(); its
 * id must be new): on a running VM blockdev-add + device_add, so the guest
 * sees it at once; on a stopped one it is only added to the definition.
 * disk_remove: device_del, wait for DEVICE_DELETED (10 s), blockdev-del; or
 * just the definition when stopped. On success the definition changed:
 * the owner stores it again. -ENOENT for an unknown disk id.
 */
int vmm_vm_disk_add(struct vmm_vm *vm, struct vmm_disk *disk, vmm_done_cb done, void *userdata,
                    struct bv_error *err);
int vmm_vm_disk_remove(struct vmm_vm *vm, const char *id, vmm_done_cb done, void *userdata,
                       struct bv_error *err);

/*
 * Internal qcow2 snapshots of every writable disk (all must be qcow2; raw
 * ones are refused with -EOPNOTSUPP). op is "create", "restore", "delete"
 * or "list" (name NULL; result is [{"name", "date", "vm_state_size"}]).
 * Running or paused VM: savevm/loadvm/delvm through QMP (with the RAM
 * state). Stopped VM: qemu-img snapshot on each disk (blocks for the few
 * milliseconds qemu-img takes).
 */
int vmm_vm_snapshot(struct vmm_vm *vm, const char *op, const char *name,
                    vmm_done_cb done, void *userdata, struct bv_error *err);

/* Path of the VM's file name (e.g. "serial.sock") in its run dir, into buf. */
const char *vmm_vm_run_path(const struct vmm_vm *vm, const char *name, char *buf, size_t len);
/* Path of the VM's file name in its state dir (console.log, overlays). */
const char *vmm_vm_state_path(const struct vmm_vm *vm, const char *name, char *buf, size_t len);
