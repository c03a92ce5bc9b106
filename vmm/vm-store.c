/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VM's files: STATE/vms/NAME.json (the definition, written atomically),
 * STATE/vms/NAME/ (console log, disk overlays) and RUN/vms/NAME/ (sockets,
 * pidfile, runtime.json). Create checks what the definition names, makes
 * the overlays and stores the definition, and undoes all of it when a
 * step fails; delete removes all of it. These block on file I/O and on
 * qemu-img (about 20 ms an overlay), as they did in the daemon before.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "vmm/vmm-internal.h"
#include "vmm/vmm.h"

static void def_path(const char *state_dir, const char *name, char *buf, size_t len)
{
        bv_def_path(buf, len, state_dir, "vms", name);
}

int vmm_vm_store_def(const struct vmm_vm *vm, struct bv_error *err)
{
        char path[PATH_MAX];
        json_auto_t *o = vmm_def_to_json(vm->def);

        def_path(vm->host.state_dir, vm->def->name, path, sizeof(path));
        return o ? bv_json_write_file(path, o, err) : bv_error_set(err, ENOMEM, "Out of memory");
}

/* The files and networks def names exist. */
static int check_host(const struct vmm_host *host, const struct vmm_def *def, struct bv_error *err)
{
        char bridge[64];
        int r;

        if ((r = vmm_def_check_files(def, err)) < 0)
                return r;
        for (size_t i = 0; i < def->n_nics; i++)
                if ((r = host->bridge_of(host->userdata, def->nics[i].network, bridge, sizeof(bridge), err)) < 0)
                        return bv_error_prefix(err, "nics[%zu]", i);
        return 0;
}

static int create_files(const struct vmm_host *host, struct vmm_def *def, struct bv_error *err)
{
        char dir[PATH_MAX];
        int r;

        snprintf(dir, sizeof(dir), "%s/vms/%s", host->state_dir, def->name);
        if ((r = bv_mkdir_p(dir, 0700, err)) < 0 || (r = vmm_disks_prepare(def, dir, host->qemu_img, err)) < 0) {
                rmdir(dir);
                return r;
        }
        return 0;
}

static void remove_files(const struct vmm_host *host, const struct vmm_def *def)
{
        char dir[PATH_MAX];

        vmm_disks_remove_overlays(def);
        snprintf(dir, sizeof(dir), "%s/vms/%s", host->state_dir, def->name);
        rmdir(dir);
}

int vmm_vm_create(const struct vmm_host *host, struct vmm_def *def, struct vmm_vm **ret, struct bv_error *err)
{
        struct vmm_vm *vm = NULL;
        int r;

        if ((r = check_host(host, def, err)) < 0 || (r = create_files(host, def, err)) < 0) {
                vmm_def_free(def);
                return r;
        }
        if ((r = vmm_vm_new(host, def, &vm)) < 0) {
                remove_files(host, def);
                vmm_def_free(def);
                return bv_error_set(err, -r, "Out of memory");
        }
        if ((r = vmm_vm_store_def(vm, err)) < 0) {
                remove_files(host, def);
                vmm_vm_free(vm);
                return r;
        }
        *ret = vm;
        return 0;
}

/* Removes the files of dir (only files barevirt made: console log, overlays, sockets), then dir. */
static void remove_dir(const char *dir)
{
        char path[PATH_MAX];
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
}

int vmm_vm_delete(struct vmm_vm *vm, struct bv_error *err)
{
        char path[PATH_MAX];

        if (vm->state != VMM_STOPPED && vm->state != VMM_CRASHED)
                return bv_error_set(err, EBUSY, "VM '%s' is %s: stop it first", vm->def->name, vmm_state_name(vm->state));
        def_path(vm->host.state_dir, vm->def->name, path, sizeof(path));
        if (unlink(path) < 0 && errno != ENOENT)
                return bv_error_set_errno(err, errno, "Failed to remove the definition");
        vmm_disks_remove_overlays(vm->def);
        remove_dir(vmm_vm_state_path(vm, NULL, path, sizeof(path)));
        remove_dir(vmm_vm_run_path(vm, NULL, path, sizeof(path)));
        return 0;
}
