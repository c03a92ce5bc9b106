/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctr/ct.h: barevirt's own long-lived containers (barevirtd's /v1/containers),
 * built on the OCI runtime of ctr/oci.h. This header holds:
 *   - the container definition (STATE/containers/NAME.json): parsed,
 *     validated (unknown keys refused with their key path) and serialised;
 *   - the OCI config.json made from a definition (ctr_ct_spec()), with
 *     Docker-like default capabilities, seccomp profile and masked paths;
 *   - the check of requested limits against the host's cgroup v2 controllers;
 *   - image tarballs imported once into STATE/images/ID/rootfs, and the
 *     overlay mount that gives each container its own upper layer;
 *   - idmapped mounts of the rootfs for containers with a user namespace;
 *   - the reader of the monitor's status file (RUN/containers/NAME/monitor.json).
 *
 * struct ctr_ct_def is public with plain fields: barevirtd reads name, nics,
 * limits and so on directly. A definition only ever comes out of
 * ctr_ct_def_parse() (validated) and is released with ctr_ct_def_free().
 * Nothing here prints or exits; failures return -errno and fill struct bv_error.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "ctr/ctr.h"

#define CTR_CT_MAX_ARGS 256        /* command */
#define CTR_CT_MAX_ENV 256
#define CTR_CT_MAX_NICS 8
#define CTR_CT_MAX_MOUNTS 32
#define CTR_CT_MAX_CAPS 64         /* per cap_add / cap_drop list */
#define CTR_CT_MAX_STOP_TIMEOUT 3600
#define CTR_CT_USERNS_SIZE 65536   /* container ids 0..65535 map to userns_base.. */

enum ctr_ct_restart {
        CTR_CT_RESTART_NO,
        CTR_CT_RESTART_ON_FAILURE,
        CTR_CT_RESTART_ALWAYS,
};

struct ctr_ct_nic {
        char *network;         /* a barevirt network name */
        char *ip;              /* "10.77.0.5/24" or NULL (no address) */
        char *gw;              /* "10.77.0.1" or NULL */
        uint8_t mac[6];        /* given, or derived with ctr_ct_mac_derive() */
        bool mac_given;        /* the user gave "mac" (serialised only then) */
};

struct ctr_ct_mount {
        char *source;          /* absolute host path */
        char *destination;     /* absolute path inside the container */
        bool readonly;
        bool idmap;            /* ids shifted like an idmapped rootfs (userns only) */
};

/* 0 (or 0.0) means "not set" for every limit. */
struct ctr_ct_limits {
        uint64_t memory_mib;       /* memory.max */
        uint64_t memory_swap_mib;  /* memory + swap (Docker's --memory-swap); >= memory_mib */
        double cpus;               /* cpu.max quota = cpus * period (100 ms) */
        unsigned cpu_weight;       /* cpu.weight, 1..10000 */
        uint64_t pids;             /* pids.max */
        unsigned io_weight;        /* io.weight, 1..10000 */
};

struct ctr_ct_def {
        char *name;
        char *rootfs;              /* absolute directory, XOR image */
        char *image;               /* absolute tarball path, XOR rootfs */
        char *image_id;            /* set by barevirtd after import (16 hex digits), or NULL */
        char **command;            /* NULL-terminated; default {"/sbin/init"} */
        size_t n_command;
        bool command_given;        /* "command" was in the JSON */
        bool system;               /* tty + SIGPWR as stop signal; default: !command_given */
        char **env;                /* NULL-terminated "K=V" strings (may be empty) */
        size_t n_env;
        char *cwd;                 /* default "/" */
        char *user;                /* "uid[:gid]", default "0:0" */
        uid_t uid;                 /* parsed from user */
        gid_t gid;
        char *hostname;            /* default: name */
        struct ctr_ct_nic nics[CTR_CT_MAX_NICS];
        size_t n_nics;
        struct ctr_ct_limits limits;
        char *seccomp;             /* "default", "none" or an absolute profile path */
        char **cap_add;            /* NULL-terminated "CAP_X" names, validated with libcap */
        size_t n_cap_add;
        char **cap_drop;           /* may contain "ALL" */
        size_t n_cap_drop;
        bool privileged;
        bool userns;
        uint32_t userns_base;      /* host id for container id 0; 0 = not allocated yet */
        struct ctr_ct_mount mounts[CTR_CT_MAX_MOUNTS];
        size_t n_mounts;
        bool autostart;
        unsigned stop_timeout;     /* seconds, default 10 */
        enum ctr_ct_restart restart;
};

/*
 * Parses and validates a definition object (borrowed). Defaults as
 * documented in struct ctr_ct_def. Checks the JSON only (name rules,
 * absolute paths, ranges, capability names known to libcap, "K=V" env),
 * never the host (whether files or networks exist is the caller's job).
 * Unknown keys are refused at every level with their path:
 * "limits.memroy: unknown key", "nics[1].gw: a gateway needs an ip".
 * Returns 0 with *ret (free with ctr_ct_def_free()), -EINVAL or -ENOMEM.
 */
int ctr_ct_def_parse(const json_t *j, struct ctr_ct_def **ret, struct bv_error *err);

/* Serialises def (every key, defaults included; unset limits omitted). NULL on ENOMEM. */
json_t *ctr_ct_def_to_json(const struct ctr_ct_def *def);

/* Frees def (NULL accepted); returns NULL. */
struct ctr_ct_def *ctr_ct_def_free(struct ctr_ct_def *def);

/* SIGPWR for system containers, SIGTERM otherwise. */
int ctr_ct_def_stop_signal(const struct ctr_ct_def *def);

/* "no", "on-failure", "always"; and back (-EINVAL for anything else). */
const char *ctr_ct_restart_name(enum ctr_ct_restart r);
int ctr_ct_restart_from_string(const char *s, enum ctr_ct_restart *ret);

/*
 * The stable MAC of NIC index of container name: locally administered
 * unicast 02:xx:xx:xx:xx:xx from an FNV-1a hash of name and index.
 */
void ctr_ct_mac_derive(const char *name, unsigned index, uint8_t mac[6]);

/* Host-side facts ctr_ct_spec() needs besides the definition. */
struct ctr_ct_paths {
        const char *rootfs;        /* the directory that becomes / (def->rootfs or the overlay) */
        const char *netns;         /* bind-mounted netns file to join, or NULL: new netns, lo only */
        const char *userns;        /* with def->userns: bind-mounted user namespace to join, or NULL: a new one */
        const char *cgroups_path;  /* e.g. "/barevirt/NAME"; NULL: "/barevirt/<name>" */
        uint32_t userns_base;      /* 0: use def->userns_base (only read when def->userns) */
        const char *idmap_dir;     /* mounts[i] with idmap are bound from idmap_dir/i (NULL: from source) */
};

/*
 * Builds the OCI config.json for def into *ret_config (a new reference) so
 * that ctr_config_parse() accepts it: process (args, env, cwd, user,
 * terminal = def->system, capabilities, noNewPrivileges; rlimits are inherited), root,
 * hostname, default mounts (proc, sysfs ro, /dev tmpfs, devpts, mqueue,
 * shm, cgroup2 ro) plus def->mounts, namespaces (pid, mount, ipc, uts,
 * cgroup, network with p->netns as path, user with mappings when userns,
 * and p->userns as path),
 * linux.resources from def->limits (memory.max, memory.swap.max, cpu.max,
 * cpu.weight, pids.max, io.weight), cgroupsPath, maskedPaths/readonlyPaths
 * and seccomp (default profile, none, or the file def->seccomp, read here).
 * Privileged: every capability of the caller's bounding set (so is "ALL"
 * in cap_add), no seccomp, no masked/readonly paths, all devices.
 * Blocks only to read a seccomp profile file. Returns 0, -EINVAL (bad
 * profile file, userns without base), -ENOENT or -ENOMEM.
 */
int ctr_ct_spec(const struct ctr_ct_def *def, const struct ctr_ct_paths *p, json_t **ret_config,
                struct bv_error *err);

/*
 * The default seccomp profile (OCI linux.seccomp object, a new reference):
 * allow by default, EPERM for keyctl, add_key, request_key, kexec_*, bpf,
 * open_by_handle_at, perf_event_open, userfaultfd, ptrace, mount, umount2,
 * unshare, setns, pivot_root, *_module, swapon/off, acct, ... NULL on ENOMEM.
 * cap_sys_admin: the container keeps CAP_SYS_ADMIN, so the mount family
 * stays allowed; cap_sys_ptrace likewise for ptrace.
 */
json_t *ctr_ct_seccomp_default(bool cap_sys_admin, bool cap_sys_ptrace);

/*
 * Checks every limit def requests against the host's cgroup v2 controllers:
 * -EOPNOTSUPP "Limit 'memory' needs the cgroup v2 'memory' controller,
 * which this host does not have (hybrid cgroups)". 0 when all can be
 * enforced (or none is requested).
 */
int ctr_ct_limits_check(const struct ctr_ct_def *def, const struct ctr_cgroup_info *cg,
                        struct bv_error *err);

/* Whether the host can enforce limit (a key of "limits": "memory", "cpus" ...). */
bool ctr_ct_limit_supported(const struct ctr_cgroup_info *cg, const char *limit);

/*
 * The limits this host can enforce as a JSON array of key names
 * (["memory","memory_swap","cpus","cpu_weight","pids","io_weight"] on a full
 * v2 host, [] on ours). A new reference; NULL on ENOMEM.
 */
json_t *ctr_ct_limits_available(const struct ctr_cgroup_info *cg);

/*
 * Image tarballs. ID = 16 hex digits of a 64-bit FNV-1a hash over
 * realpath(tar), size and mtime. ctr_image_id() computes it (stat only).
 * ctr_image_import() extracts tar (BLOCKING: `tar -x` in a child, bounded by
 * a timeout) into images_dir/.tmp-ID-PID, refuses archives with members
 * outside the root ("../") or absolute symlinks, writes image.json
 * ({"id","source","size","mtime","imported_at"}) and renames the directory
 * to images_dir/ID (rootfs in images_dir/ID/rootfs). When images_dir/ID
 * exists already it is reused (no extraction). A failure leaves nothing.
 * ret_id gets the ID (len >= 17). Returns 0, -ENOENT, -EINVAL (bad archive),
 * -ETIMEDOUT or -errno.
 */
int ctr_image_id(const char *tar, char *ret_id, size_t len, struct bv_error *err);
int ctr_image_import(const char *images_dir, const char *tar, char *ret_id, size_t len,
                     struct bv_error *err);

/* Removes images_dir/ID recursively (BLOCKING). -ENOENT when absent, -EINVAL on a bad id. */
int ctr_image_remove(const char *images_dir, const char *id, struct bv_error *err);

/*
 * Mounts overlayfs lowerdir=lower, upperdir=upper, workdir=work on merged,
 * creating upper, work and merged (mode 0755) when missing. Returns 0 or -errno.
 */
int ctr_ct_overlay_mount(const char *lower, const char *upper, const char *work,
                         const char *merged, struct bv_error *err);

/* Unmounts merged (lazy detach when busy). 0 also when nothing is mounted there. */
int ctr_ct_overlay_umount(const char *merged, struct bv_error *err);

/*
 * User namespaces and idmapped mounts (ct-idmap.c). ctr_ct_userns_open()
 * makes a user namespace mapping container ids 0..size-1 to host ids
 * base.. (uid and gid alike) and gives an O_CLOEXEC fd of it, and with
 * ret_netns_fd one of a new network namespace that belongs to it; it forks
 * a child for a moment and reaps it (BLOCKING, well under a millisecond).
 * ctr_ct_idmap_bind() mounts src on dst (a directory, made when missing)
 * with ids shifted through that namespace: on-disk 0 is seen as host id
 * base. -EOPNOTSUPP when src's filesystem or the kernel has no idmapped
 * mounts; else 0 or -errno.
 */
int ctr_ct_userns_open(uint32_t base, uint32_t size, int *ret_fd, int *ret_netns_fd, struct bv_error *err);
int ctr_ct_idmap_bind(const char *src, const char *dst, int userns_fd, bool readonly, struct bv_error *err);

/* The monitor's view of its container (monitor.json, monitor.sock "status"). */
enum ctr_ct_state {
        CTR_CT_STATE_RUNNING,
        CTR_CT_STATE_RESTARTING,   /* exited, waiting for the restart backoff */
        CTR_CT_STATE_STOPPED,      /* ended for good: stop asked, or exit code 0 */
        CTR_CT_STATE_CRASHED,      /* ended for good with non-zero status or unasked signal */
};

struct ctr_ct_status {
        char id[64];
        pid_t monitor_pid;
        unsigned long long monitor_start_time;  /* /proc/PID/stat field 22 */
        enum ctr_ct_state state;
        pid_t pid;                 /* host pid of the init; 0 when none */
        char started_at[40];       /* ISO-8601 UTC, "" when never */
        char finished_at[40];      /* "" while running */
        int exit_code;             /* -1 = null (running); 128+N after signal N */
        int signal;                /* 0 = null; the signal that ended the init */
        bool oom_killed;
        unsigned restarts;
};

/* "running", "restarting", "stopped", "crashed"; and back (-EINVAL). */
const char *ctr_ct_state_name(enum ctr_ct_state s);
int ctr_ct_state_from_string(const char *s, enum ctr_ct_state *ret);

/* Status <-> JSON object (the keys of monitor.json). to_json: NULL on ENOMEM. */
json_t *ctr_ct_status_to_json(const struct ctr_ct_status *st);
int ctr_ct_status_from_json(const json_t *o, struct ctr_ct_status *ret, struct bv_error *err);

/*
 * Reads dir/monitor.json (bounded) into *ret. -ENOENT when there is none,
 * -EINVAL when it is malformed. Blocks on file I/O only.
 */
int ctr_ct_monitor_read(const char *dir, struct ctr_ct_status *ret, struct bv_error *err);

/* Whether the monitor that wrote st still runs (its pid with the same start time). */
bool ctr_ct_monitor_alive(const struct ctr_ct_status *st);
