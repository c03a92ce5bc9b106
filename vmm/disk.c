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

#include "common/proc.h"
#include "vmm/disk.h"

int vmm_disks_prepare(struct vmm_def *d, const char *dir, const char *qemu_img, struct bv_error *err)
{
        bool made[VMM_MAX_DISKS] = {};
        int r = 0;

        for (size_t i = 0; i < d->n_disks; i++) {
                struct vmm_disk *k = &d->disks[i];
                char path[4096], out[1024];
                int status;

                if (!k->overlay || k->overlay_file)
                        continue;
                snprintf(path, sizeof(path), "%s/%s.qcow2", dir, k->id);
                char *argv[] = { (char *)qemu_img, (char *)"create", (char *)"-q", (char *)"-f", (char *)"qcow2",
                                 (char *)"-F", k->format, (char *)"-b", k->file, path, NULL };
                r = bv_proc_run_capture(argv, 30000, out, sizeof(out), &status, err);
                if (r < 0)
                        break;
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        out[strcspn(out, "\n")] = '\0';
                        r = bv_error_set(err, EIO, "qemu-img could not make an overlay of '%s': %s", k->file, out);
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
