/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmm/: virtual machines over QEMU. For now: the host facts a VM manager
 * needs before it can launch anything (is KVM usable, which QEMU is there).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/*
 * Probes KVM by really running a vCPU: creates a VM with one page of guest
 * memory holding a HLT instruction and runs it in a child process, which
 * must report KVM_EXIT_HLT within timeout_ms. Opening /dev/kvm is not
 * enough: on some hosts it opens but vCPUs never return from KVM_RUN.
 * Sets *ret_usable and a human-readable reason (why not, or "KVM_RUN
 * returned HLT in N us"). Blocks up to timeout_ms; returns 0 or -errno when
 * the probe itself could not run (fork failed).
 */
int vmm_kvm_probe(unsigned timeout_ms, bool *ret_usable, char *reason, size_t reason_len);

/*
 * Resolves a QEMU binary (an absolute path, or a name searched in $PATH)
 * into ret_path. Returns 0 or -ENOENT with err set.
 */
int vmm_qemu_find(const char *name, char *ret_path, size_t len, struct bv_error *err);

/*
 * Runs `path --version` with a timeout and extracts "X.Y.Z" into
 * ret_version. Blocks up to timeout_ms. Returns 0, -ETIMEDOUT, -EPROTO
 * (unrecognised output) or -errno.
 */
int vmm_qemu_version(const char *path, unsigned timeout_ms, char *ret_version, size_t len,
                     struct bv_error *err);
