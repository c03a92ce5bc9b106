/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VM's serial console log, STATE/vms/NAME/console.log: QEMU's chardev
 * writes it (logfile=, logappend=on, so it holds every boot), barevirt only
 * reads it, with a tail, and follows it through common/logfile.c, as
 * ctr/ct-log.c does for a container. Followers end with the VM's run: when
 * it reaches stopped or crashed, or when the owner frees the VM.
 */
#include <errno.h>
#include <limits.h>

#include "common/common.h"
#include "vmm/vmm-internal.h"
#include "vmm/vmm.h"

int vmm_vm_log_read(const struct vmm_vm *vm, long long tail, char **ret, size_t *ret_len)
{
        char dir[PATH_MAX];

        return bv_log_read(vmm_vm_state_path(vm, NULL, dir, sizeof(dir)), "console.log", NULL, tail, ret, ret_len);
}

void vmm_vm_log_end_followers(struct vmm_vm *vm)
{
        bv_log_end_followers(&vm->followers);
}

int vmm_vm_log_follow(struct vmm_vm *vm, long long tail, int (*on_data)(const char *data, size_t len, void *userdata),
                      void (*on_end)(void *userdata), void *userdata, struct bv_log_follower **ret,
                      struct bv_error *err)
{
        char dir[PATH_MAX];

        if (vm->state == VMM_STOPPED || vm->state == VMM_CRASHED)
                return bv_error_set(err, EALREADY, "VM '%s' is %s", vm->def->name, vmm_state_name(vm->state));
        struct bv_log_follow_opts o = {
                .dir = vmm_vm_state_path(vm, NULL, dir, sizeof(dir)), .name = "console.log", .tail = tail,
                .on_data = on_data, .on_end = on_end, .userdata = userdata,
        };
        return bv_log_follow(vm->host.loop, &o, &vm->followers, ret, err);
}
