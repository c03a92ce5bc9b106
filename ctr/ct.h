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
enum ctr_ct_status_state {
        CTR_CT_STATUS_RUNNING,
        CTR_CT_STATUS_RESTARTING,   /* exited, waiting for the restart backoff */
        CTR_CT_STATUS_STOPPED,      /* ended for good: stop asked, or exit code 0 */
        CTR_CT_STATUS_CRASHED,      /* ended for good with non-zero status or unasked signal */
};

struct ctr_ct_status {
        char id[64];
        pid_t monitor_pid;
        unsigned long long monitor_start_time;  /* /proc/PID/stat field 22 */
        enum ctr_ct_status_state state;
        pid_t pid;                 /* host pid of the init; 0 when none */
        char started_at[40];       /* ISO-8601 UTC, "" when never */
        char finished_at[40];      /* "" while running */
        int exit_code;             /* -1 = null (running); 128+N after signal N */
        int signal;                /* 0 = null; the signal that ended the init */
        bool oom_killed;
        unsigned restarts;
};

/* "running", "restarting", "stopped", "crashed"; and back (-EINVAL). */
const char *ctr_ct_status_state_name(enum ctr_ct_status_state s);
int ctr_ct_status_state_from_string(const char *s, enum ctr_ct_status_state *ret);

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

/* ---- the lifecycle of a container (ct-host.c, ct-life.c, ct-start.c, ct-monitor.c, ...) ---- */
/*
 * A container as its owner (barevirtd) keeps it: struct ctr_ct, made from a
 * definition, driven on the owner's event loop exactly as struct vmm_vm is
 * for VMs. Start prepares the host side (run directory, user namespace and
 * idmapped mounts, overlay rootfs, network namespace and veths over net/,
 * the bundle's config.json from ctr_ct_spec()) and spawns the monitor
 * (`barevirt-runtime monitor`, in its own session from a sealed memfd copy
 * of the runtime, so it outlives the owner); the monitor reports on a ready
 * fd, then on RUN/containers/NAME/monitor.sock, whose changes become the
 * container's state. The end (monitor.json written for the last time)
 * undoes the host side. At the owner's next start ctr_ct_adopt() finds a
 * running monitor again, or the status the container ended with.
 *
 * Files: STATE/containers/NAME.json (the definition, atomically written),
 * STATE/containers/NAME/ (an image's upper layer), RUN/containers/NAME/
 * (bundle, monitor files, console socket and log, namespace pins, mounts),
 * RUN/runtime/ (the runtime's state), STATE/images/ID (imported images).
 *
 * Operations are asynchronous: 0 means done will be called exactly once,
 * from the loop (never from inside the call); < 0 means refused now, with
 * err set, and nothing changed. Several operations may wait at once (a
 * start and a delete --force, say). Nothing here blocks the loop: image
 * import, recursive removal and the runtime's exec run in child processes.
 * Nothing here logs: messages go to the owner's log callback.
 */
struct bv_loop;
struct net_ctx;
struct ctr_ct;
struct ctr_ct_host;

enum ctr_ct_state {
        CTR_CT_CREATING,     /* being created (image import); not on disk yet */
        CTR_CT_CREATED,      /* defined, never started */
        CTR_CT_STARTING,     /* monitor spawned, waiting for its ready line */
        CTR_CT_RUNNING,
        CTR_CT_RESTARTING,   /* the monitor waits for the restart backoff */
        CTR_CT_STOPPING,
        CTR_CT_STOPPED,
        CTR_CT_CRASHED,
};
const char *ctr_ct_state_name(enum ctr_ct_state s);

/* What containers need from their owner. Strings and callbacks must outlive the host. */
struct ctr_ct_host_opts {
        struct bv_loop *loop;
        const char *state_dir;
        const char *run_dir;
        const char *cgroup_parent;  /* cgroups are /PARENT/NAME */
        const char *runtime;        /* barevirt-runtime, or NULL: beside the program, else in $PATH */
        const char *sysfs_cgroup;   /* NULL: "/sys/fs/cgroup" */
        struct net_ctx *net;        /* where the bridges are; NULL: networking unavailable */
        /* A network name to its bridge; -ENOENT "No network named ..." when unknown. */
        int (*bridge_of)(void *userdata, const char *network, char *ret_bridge, size_t len,
                         struct bv_error *err);
        /*
         * Events: "state" ({"state", and "pid", "exit_code", "signal",
         * "oom_killed" where known}), "created", "deleted". data is borrowed.
         */
        void (*on_event)(struct ctr_ct *ct, const char *event, const json_t *data, void *userdata);
        /* A message for the owner's log: level 0 error, 1 warning, 2 info, 3 debug. */
        void (*on_log)(void *userdata, int level, const char *msg);
        void *userdata;
};

/*
 * Makes the context that every container of one owner shares: the runtime
 * binary (found, then copied into a sealed memfd so the monitor need not
 * copy itself, CVE-2019-5736), the cgroup layout (detected once), the
 * caller's network namespace, and the jobs in flight. A missing runtime or
 * cgroup tree is not fatal (containers then refuse to start, saying why):
 * it is reported through on_log. Returns 0 or -ENOMEM.
 */
int ctr_ct_host_new(const struct ctr_ct_host_opts *o, struct ctr_ct_host **ret);
/* Kills the jobs in flight (their operations fail); containers must be freed first. NULL accepted. */
struct ctr_ct_host *ctr_ct_host_free(struct ctr_ct_host *h);
/* The limits this host can enforce, as ctr_ct_limits_available() (a new reference, [] without cgroups). */
json_t *ctr_ct_host_limits(const struct ctr_ct_host *h);

typedef void (*ctr_ct_done_cb)(struct ctr_ct *ct, int r, const struct bv_error *err, void *userdata);

/*
 * ctr_ct_new() takes def and makes a container in state "creating" (for
 * ctr_ct_create()); ctr_ct_load() makes one from a stored definition and
 * adopts what the run directory says (a running monitor, or how it
 * ended), starting it when def->autostart asks. ctr_ct_free() forgets the
 * container (monitor and container keep running); waiting operations get
 * -ECANCELED. NULL accepted; returns NULL.
 */
int ctr_ct_new(struct ctr_ct_host *h, struct ctr_ct_def *def, struct ctr_ct **ret);
int ctr_ct_load(struct ctr_ct_host *h, struct ctr_ct_def *def, struct ctr_ct **ret);
struct ctr_ct *ctr_ct_free(struct ctr_ct *ct);

const char *ctr_ct_name(const struct ctr_ct *ct);
const struct ctr_ct_def *ctr_ct_get_def(const struct ctr_ct *ct);
enum ctr_ct_state ctr_ct_get_state(const struct ctr_ct *ct);
/* The last status known from the monitor, or NULL when there is none. */
const struct ctr_ct_status *ctr_ct_get_status(const struct ctr_ct *ct);
/* Whether the container is live (starting to stopping), when its NICs exist. */
bool ctr_ct_is_live(const struct ctr_ct *ct);
/* Whether a live container has a NIC on network. */
bool ctr_ct_uses_network(const struct ctr_ct *ct, const char *network);
/* Whether ifname is the host end of one of a live container's NICs (*ret_nic: which). */
bool ctr_ct_owns_veth(const struct ctr_ct *ct, const char *ifname, unsigned *ret_nic);
/* Whether ifname has the form of a container's host veth end ("vc" + 11 characters). */
bool ctr_ct_is_veth_name(const char *ifname);

/*
 * The container as the API shows it: the list summary (name, state, pids,
 * exit status, limits, NICs, image) or, full, with the console, the
 * runtime, the definition, network timings, idmapping and live usage
 * from its cgroup. NULL on ENOMEM.
 */
json_t *ctr_ct_to_json(const struct ctr_ct *ct, bool full);

/*
 * Creates a container made by ctr_ct_new(): checks what its definition
 * names on this host (rootfs, image and mount sources exist, networks are
 * known, the limits can be enforced, networking works), allocates a user
 * namespace range when def->userns asks for one, imports an image tarball
 * in a child process, then stores the definition. Refused now: -EINVAL,
 * -ENOENT, -ENOTDIR, -EOPNOTSUPP (a limit or networking this host lacks).
 * A failure later leaves nothing on disk; the owner then frees ct.
 */
int ctr_ct_create(struct ctr_ct *ct, ctr_ct_done_cb done, void *userdata, struct bv_error *err);
/* Stores the definition again (atomically). */
int ctr_ct_store_def(struct ctr_ct *ct, struct bv_error *err);

/*
 * start: done once the container runs (-ECHILD when it exited during its
 * start, -ETIMEDOUT after 90 s). stop: the stop signal, SIGKILL after
 * timeout seconds (< 0: the definition's stop_timeout); done once it
 * ended. kill: signo to the init; for SIGKILL done once the exit is
 * recorded, for others at once. restart: stop (when live), then start.
 * -EALREADY (refused now) means the container already is where the
 * operation leads; -EBUSY that it is creating, stopping or being deleted.
 */
int ctr_ct_start(struct ctr_ct *ct, ctr_ct_done_cb done, void *userdata, struct bv_error *err);
int ctr_ct_stop(struct ctr_ct *ct, int timeout, ctr_ct_done_cb done, void *userdata, struct bv_error *err);
int ctr_ct_kill(struct ctr_ct *ct, int signo, ctr_ct_done_cb done, void *userdata, struct bv_error *err);
int ctr_ct_restart(struct ctr_ct *ct, int timeout, ctr_ct_done_cb done, void *userdata,
                   struct bv_error *err);

/*
 * Deletes the container: refused (-EBUSY) while it is live unless force,
 * which stops it first (SIGKILL at once). Then the definition goes, the
 * host side is undone, "deleted" is emitted, and the container's files
 * (upper layer, run directory, the runtime's state) are removed in a child
 * process. done follows; on success the owner frees ct.
 */
int ctr_ct_delete(struct ctr_ct *ct, bool force, ctr_ct_done_cb done, void *userdata, struct bv_error *err);
/* Whether a delete is in progress (new operations are refused with -EBUSY). */
bool ctr_ct_is_deleting(const struct ctr_ct *ct);

/* A command run in a running container by `barevirt-runtime exec` (no tty), output captured. */
struct ctr_ct_exec_opts {
        char *const *argv;         /* the command, NULL-terminated, at most CTR_CT_MAX_ARGS */
        char *const *env;          /* "K=V" strings, NULL-terminated, or NULL */
        const char *cwd;           /* or NULL */
        const char *user;          /* "uid[:gid]" or NULL */
        unsigned timeout_sec;      /* the command is killed after this (>= 1) */
        size_t max_output;         /* bytes kept of stdout and of stderr each */
};
/*
 * The command's end: exit code (128+N after signal N), or r < 0 (-ETIMEDOUT:
 * killed after its timeout, or when the host was freed). ct is NULL when the
 * owner forgot the container meanwhile.
 */
typedef void (*ctr_ct_exec_cb)(struct ctr_ct *ct, int r, int exit_code, const char *out, size_t out_len,
                               const char *errout, size_t err_len, bool truncated, void *userdata);
/* -EBUSY (refused now) unless the container runs. */
int ctr_ct_exec(struct ctr_ct *ct, const struct ctr_ct_exec_opts *o, ctr_ct_exec_cb done, void *userdata,
                struct bv_error *err);

/*
 * The console log (console.log.1 then console.log; at most the last 8 MiB),
 * from the start of its last tail lines (tail < 0: all) into *ret (NUL-
 * terminated, free() it). Blocks on file I/O only. Returns 0 or -ENOMEM.
 */
int ctr_ct_log_read(const struct ctr_ct *ct, long long tail, char **ret, size_t *ret_len);

/*
 * Follows the console log: on_data first gets its last tail lines (tail < 0:
 * all), from the loop, then what is appended (across a rotation too); on_end once the container ended (or ctr_ct_free() cancelled the
 * follower), after the last on_data. on_data returning < 0 ends the
 * follower at once (on_end is not called). ctr_ct_log_unfollow() stops one
 * early without calling on_end. The follower is freed after on_end or
 * unfollow. -EALREADY (nothing to follow) when the container is not live.
 */
struct ctr_ct_follower;
int ctr_ct_log_follow(struct ctr_ct *ct, long long tail, int (*on_data)(const char *data, size_t len, void *userdata),
                      void (*on_end)(void *userdata), void *userdata, struct ctr_ct_follower **ret,
                      struct bv_error *err);
void ctr_ct_log_unfollow(struct ctr_ct_follower *f);
