/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qcow2 overlays: a VM whose disk says "overlay": true runs on a private
 * qcow2 file backed by the base image, so many VMs can share one base and
 * the base never changes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "vmm/vmm.h"

int vmm_qemu_img(const char *qemu_img, char *const args[], unsigned timeout_ms, char *out, size_t len,
                 struct bv_error *err)
{
        char *argv[16] = { (char *)qemu_img };
        size_t n = 1;
        int status;

        for (; args[n - 1] && n < BV_ELEMENTSOF(argv) - 1; n++)
                argv[n] = args[n - 1];
        argv[n] = NULL;
        int r = bv_proc_run_capture(argv, timeout_ms, out, len, &status, err);
        if (r < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                out[strcspn(out, "\n")] = '\0';
                return bv_error_set(err, EIO, "qemu-img %s: %s", args[0], out);
        }
        return 0;
}

int vmm_disks_prepare(struct vmm_def *d, const char *dir, const char *qemu_img, struct bv_error *err)
{
        bool made[VMM_MAX_DISKS] = {};
        int r = 0;

        for (size_t i = 0; i < d->n_disks; i++) {
                struct vmm_disk *k = &d->disks[i];
                char path[4096], out[1024];

                if (!k->overlay || k->overlay_file)
                        continue;
                snprintf(path, sizeof(path), "%s/%s.qcow2", dir, k->id);
                char *args[] = { (char *)"create", (char *)"-q", (char *)"-f", (char *)"qcow2", (char *)"-F",
                                 k->format, (char *)"-b", k->file, path, NULL };
                r = vmm_qemu_img(qemu_img, args, 30000, out, sizeof(out), err);
                if (r < 0) {
                        bv_error_prefix(err, "Cannot make an overlay of '%s'", k->file);
                        break;
                }
                if (!(k->overlay_file = strdup(path))) {
                        unlink(path);
                        r = bv_error_set(err, ENOMEM, "Out of memory");
                        break;
                }
                made[i] = true;
        }
        if (r < 0)
                for (size_t i = 0; i < d->n_disks; i++)
                        if (made[i]) {
                                unlink(d->disks[i].overlay_file);
                                free(d->disks[i].overlay_file);
                                d->disks[i].overlay_file = NULL;
                        }
        return r;
}

void vmm_disks_remove_overlays(const struct vmm_def *d)
{
        for (size_t i = 0; i < d->n_disks; i++)
                if (d->disks[i].overlay && d->disks[i].overlay_file)
                        unlink(d->disks[i].overlay_file);
}
