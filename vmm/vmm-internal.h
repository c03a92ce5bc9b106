/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmm/ internals shared by vm.c (lifecycle) and vm-disk.c (hot-plug and
 * snapshots): the VM struct and the operation helpers.
 */
#pragma once

#include <sys/types.h>

#include "vmm/vmm.h"

struct qmp_conn;
struct qmp_event;

struct op {
        vmm_done_cb done;
        void *userdata;
        const char *name;
};

struct vmm_vm {
        struct vmm_host host;
        struct vmm_def *def;
        enum vmm_state state;
        pid_t pid;
        unsigned long long start_time;
        off_t log_offset;            /* size of qemu.log when this QEMU started */
        struct bv_child *child;
        struct qmp_conn *qmp;
        struct bv_timer *timer;
        uint64_t deadline;
        int stop_phase;              /* 0 none, 1 powerdown, 2 quit, 3 SIGKILL */
        bool stop_requested;
        bool guest_shutdown;
        struct op op;
        char last_error[1024];
        /* A disk being unplugged: device_del sent, waiting for DEVICE_DELETED. */
        struct disk_unplug *unplug;
        struct bv_log_follower *followers;   /* vm-log.c */
};


/* Starts a lifecycle operation (one at a time: -EBUSY otherwise). */
int vmm_vm_begin(struct vmm_vm *vm, const char *name, vmm_done_cb done, void *userdata, struct bv_error *err);
/* Completes the pending operation exactly once. */
void vmm_vm_complete(struct vmm_vm *vm, int r, json_t *result, const struct bv_error *err);
/* Tells the owner about an event (data is stolen). */
void vmm_vm_emit(struct vmm_vm *vm, const char *event, json_t *data);
/* vm-log.c: the console log's followers get what is left, then their end (the run ended, or the VM is freed). */
void vmm_vm_log_end_followers(struct vmm_vm *vm);
/* vm-disk.c: a QMP event reached the VM (DEVICE_DELETED matters there). */
void vmm_vm_disk_event(struct vmm_vm *vm, const struct qmp_event *ev);
/* vm-disk.c: QEMU went away; fails a pending unplug. */
void vmm_vm_disk_abort(struct vmm_vm *vm);
