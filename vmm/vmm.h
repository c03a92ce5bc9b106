/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmm/: virtual machines over QEMU. Sections: host facts (is KVM usable,
 * which QEMU is there; kvm.c, qemu.c), definitions (def.c), disk images
 * (disk.c), the QEMU command line (argv.c), and the VM object with its
 * lifecycle, disks, snapshots and files (vm.c, vm-disk.c, vm-store.c).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/common.h"

/* ---- host facts (kvm.c, qemu.c) ---------------------------------------------------------- */
/*
 * The host facts a VM manager needs before it can launch anything (is KVM
 * usable, which QEMU is there).
 */

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
 * The second half of the KVM probe: a bare vCPU that runs is not yet a QEMU
 * that runs. On some nested hosts QEMU with '-cpu host' aborts while it sets
 * up its vCPU ("failed to set MSR 0x10a"). So QEMU itself boots a 64 KiB
 * firmware (written to dir) whose first instruction writes to
 * isa-debug-exit, the way a VM would be started (accel=kvm, -cpu host; accel
 * "tcg" runs the same guest without KVM, which proves the probe itself).
 * Sets *ret_usable and a reason (QEMU's own first line of error when not).
 * Blocks up to timeout_ms; returns 0, or -errno with err set when the probe
 * could not run at all.
 */
int vmm_qemu_probe_accel(const char *qemu, const char *accel, const char *dir, unsigned timeout_ms,
                         bool *ret_usable, char *reason, size_t reason_len, struct bv_error *err);

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

/* ---- definitions (def.c) ----------------------------------------------------------------- */
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
 *              "rate_mbit": 100, "firewall": "web"}],
 *    "vnc": false, "autostart": false, "stop_timeout": 30, "extra_args": []}
 */

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
        char *firewall;        /* a firewall group (barevirtd's), or NULL */
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
        char *project;         /* the project it belongs to; NULL: "default" */
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

/* ---- disk images (disk.c) ---------------------------------------------------------------- */
/* Disk images: qcow2 overlays over base images, made with qemu-img. */

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

/* ---- the QEMU command line (argv.c) ------------------------------------------------------ */
/*
 * The qemu command line of a VM: a pure function of its definition, the
 * runtime paths and the fd numbers of its taps. No I/O, so golden tests
 * can pin it (tests/unit/vmm-golden/).
 */

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

/* ---- the VM (vm.c, vm-disk.c, vm-store.c) ------------------------------------------------ */
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
/* The tap name of NIC nic of the VM into buf (IFNAMSIZ), whether it runs or not. */
void vmm_vm_tap_name(const struct vmm_vm *vm, unsigned nic, char *buf, size_t len);

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
/*
 * The serial console log (STATE/vms/NAME/console.log, every boot; at most
 * its last 8 MiB), from the start of its last tail lines (tail < 0: all)
 * into *ret (NUL-terminated, free() it). Blocks on file I/O only. Returns 0
 * or -ENOMEM.
 */
int vmm_vm_log_read(const struct vmm_vm *vm, long long tail, char **ret, size_t *ret_len);
/*
 * Follows it: on_data first gets its last tail lines (tail < 0: all), from
 * the loop, then what QEMU appends; on_end once the VM stopped or crashed
 * (or vmm_vm_free() ended the follower), after the last on_data. on_data
 * returning < 0 ends the follower at once (on_end is not called);
 * bv_log_unfollow() stops one early without on_end. -EALREADY (nothing
 * to follow) when the VM is stopped or crashed.
 */
int vmm_vm_log_follow(struct vmm_vm *vm, long long tail, int (*on_data)(const char *data, size_t len, void *userdata),
                      void (*on_end)(void *userdata), void *userdata, struct bv_log_follower **ret,
                      struct bv_error *err);

/* Path of the VM's file name in its state dir (console.log, overlays). */
const char *vmm_vm_state_path(const struct vmm_vm *vm, const char *name, char *buf, size_t len);
