/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VM definitions: the JSON a user gives (API body, `barevirt vm create
 * --file`), validated into a typed struct, and back. Unknown keys are
 * refused at every level, so a typo never silently changes nothing.
 *
 *   {"name": "web1", "machine": "pc", "accel": "auto", "vcpus": 1,
 *    "memory": 256, "firmware": "bios",
 *    "kernel": "/path/vmlinuz", "initrd": "/path/initrd", "cmdline": "console=ttyS0",
 *    "disks": [{"file": "/img/base.qcow2", "format": "qcow2", "bus": "virtio",
 *               "readonly": false, "cache": "writeback", "overlay": true}],
 *    "nics": [{"network": "demo", "mac": "52:54:00:12:34:56", "model": "virtio-net",
 *              "rate_mbit": 100}],
 *    "vnc": false, "autostart": false, "stop_timeout": 30, "extra_args": []}
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

#define VMM_MAX_DISKS 16
#define VMM_MAX_NICS 8
#define VMM_MAX_EXTRA_ARGS 64
#define VMM_MAX_VCPUS 64
#define VMM_MIN_MEMORY_MIB 16
#define VMM_MAX_MEMORY_MIB (1024 * 1024)

struct vmm_disk {
        char *file;            /* what the user named (the base image when overlay) */
        char *format;          /* "raw" or "qcow2" */
        char *bus;             /* "virtio" or "scsi" */
        char *cache;           /* "none", "writeback", "writethrough", "directsync", "unsafe" */
        bool readonly;
        bool overlay;          /* run on a qcow2 overlay over file; file never changes */
        char *overlay_file;    /* set by barevirt when the overlay is made */
        char *id;              /* "disk0"...; hot-added disks keep theirs */
};

struct vmm_nic {
        char *network;         /* a barevirt network (bridge) */
        uint8_t mac[6];        /* stable: derived from the VM name and index unless given */
        char *model;           /* "virtio-net" */
        unsigned rate_mbit;    /* 0: unlimited */
};

struct vmm_def {
        char *name;
        char *machine;         /* "pc", "q35", "microvm" */
        char *accel;           /* "auto", "kvm", "tcg" */
        unsigned vcpus;
        unsigned memory_mib;
        char *firmware;        /* "bios", "uefi" */
        char *kernel, *initrd, *cmdline;
        struct vmm_disk disks[VMM_MAX_DISKS];
        size_t n_disks;
        struct vmm_nic nics[VMM_MAX_NICS];
        size_t n_nics;
        bool vnc;
        bool autostart;
        unsigned stop_timeout; /* seconds */
        char *extra_args[VMM_MAX_EXTRA_ARGS];
        size_t n_extra_args;
};

/*
 * Parses and validates a definition object. Defaults: machine "pc", accel
 * "auto", vcpus 1, memory 256, firmware "bios", stop_timeout 30, disk
 * format "raw" (or "qcow2" for *.qcow2), bus "virtio", cache "writeback",
 * nic model "virtio-net", MAC derived from name and index. Checks only the
 * JSON itself: files and networks are checked by vmm_def_check_host().
 * Returns 0 or -EINVAL with the offending key in err ("disks[1].format:
 * must be 'raw' or 'qcow2'").
 */
int vmm_def_from_json(const json_t *o, struct vmm_def **ret, struct bv_error *err);

/* Serialises d (every field, defaults included). NULL on ENOMEM. */
json_t *vmm_def_to_json(const struct vmm_def *d);

/*
 * Checks what the definition names on this host: the kernel, initrd and
 * disk files exist and are readable (-ENOENT), formats match qemu's
 * expectation is not probed. Does not block beyond stat().
 */
int vmm_def_check_files(const struct vmm_def *d, struct bv_error *err);

/*
 * Parses one disk object (as in "disks"; index names it in messages and
 * gives the default id "diskN"). vmm_disk_clear() frees what it holds.
 */
int vmm_disk_from_json(const json_t *o, size_t index, struct vmm_disk *ret, struct bv_error *err);
void vmm_disk_clear(struct vmm_disk *k);

/* Frees d. NULL accepted; returns NULL. */
struct vmm_def *vmm_def_free(struct vmm_def *d);

/* The stable MAC of NIC index of VM name: 52:54:00 + 3 bytes of a hash. */
void vmm_mac_derive(const char *name, unsigned index, uint8_t mac[6]);
