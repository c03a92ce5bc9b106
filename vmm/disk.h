/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Disk images: qcow2 overlays over base images, made with qemu-img. */
#pragma once

#include "common/error.h"
#include "vmm/def.h"

/*
 * For every disk with overlay set and no overlay_file yet, creates
 * DIR/<disk id>.qcow2 backed by the disk's file (`qemu-img create -f qcow2
 * -F FORMAT -b FILE`) and records it in overlay_file. The base is never
 * written. On failure the overlays made by this call are removed.
 * qemu_img is the qemu-img binary. Blocks (qemu-img takes ~20 ms); bounded
 * by a 30 s timeout per image. Returns 0 or -errno.
 */
int vmm_disks_prepare(struct vmm_def *d, const char *dir, const char *qemu_img, struct bv_error *err);

/*
 * Runs qemu_img with args (NULL-terminated, without argv[0]), capturing its
 * output into out. A non-zero exit is -EIO with qemu-img's first line in
 * err. Blocks, at most timeout_ms.
 */
int vmm_qemu_img(const char *qemu_img, char *const args[], unsigned timeout_ms, char *out, size_t len,
                 struct bv_error *err);

/* Removes the overlays of d (files it made under its state directory). */
void vmm_disks_remove_overlays(const struct vmm_def *d);
