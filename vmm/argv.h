/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The qemu command line of a VM: a pure function of its definition, the
 * runtime paths and the fd numbers of its taps. No I/O, so golden tests
 * can pin it (tests/unit/vmm-golden/).
 */
#pragma once

#include <stdbool.h>
#include <jansson.h>
#include <stddef.h>

#include "common/error.h"
#include "vmm/def.h"

struct vmm_argv_opts {
        const char *qemu;          /* binary path */
        bool kvm;                  /* accel=kvm (else tcg) */
        const char *qmp_socket;
        const char *serial_socket;
        const char *console_log;   /* the serial console, appended, kept across restarts */
        const char *pidfile;
        const char *vnc_socket;    /* used when the definition asks for VNC */
        const char *uefi_firmware; /* OVMF image when firmware is "uefi" */
        const int *tap_fds;        /* fd number in QEMU of each NIC's tap, in NIC order */
        size_t n_tap_fds;
};

/*
 * Builds the NULL-terminated argv into *ret (free with vmm_argv_free()).
 * Returns 0, -EINVAL (a tap fd is missing for a NIC, UEFI without a
 * firmware image) or -ENOMEM.
 */
int vmm_argv_build(const struct vmm_def *d, const struct vmm_argv_opts *o, char ***ret,
                   struct bv_error *err);
char **vmm_argv_free(char **argv);

/*
 * The -blockdev / blockdev-add options of a disk: a format node named after
 * the disk id over a file node, with its cache mode and read-only flag.
 * NULL on ENOMEM. vmm_disk_write_cache() is the device's write-cache.
 */
json_t *vmm_disk_blockdev(const struct vmm_disk *k);
bool vmm_disk_write_cache(const struct vmm_disk *k);
