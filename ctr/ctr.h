/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctr/: containers. Sections: the host's cgroup layout (cgroup-detect.c);
 * the OCI runtime that barevirt-runtime and the monitor drive (oci-*.c);
 * barevirt's own long-lived containers: definitions, specs, images,
 * idmapping and the struct ctr_ct lifecycle (ct-*.c); and the clients of
 * Docker and Podman (engine*.c).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/common.h"

/* ---- cgroups (cgroup-detect.c) ----------------------------------------------------------- */
/* What the host's cgroup hierarchy looks like, which decides which container limits can be enforced. */

enum ctr_cgroup_mode {
        CTR_CGROUP_V2,       /* /sys/fs/cgroup is cgroup2 */
        CTR_CGROUP_HYBRID,   /* v1 controllers, a cgroup2 tree at /sys/fs/cgroup/unified */
        CTR_CGROUP_V1,       /* v1 only: no cgroup2 tree at all */
        CTR_CGROUP_NONE,     /* nothing mounted */
};

#define CTR_CGROUP_MAX_CONTROLLERS 16

#define CTR_CGROUP_MAX_V1 16
/* One mounted cgroup v1 hierarchy: its mount and the controllers it holds. */
struct ctr_cgroup_v1 {
        char mount[64];                           /* e.g. "/sys/fs/cgroup/memory" */
        char controllers[64];                     /* e.g. "cpu,cpuacct" */
};

struct ctr_cgroup_info {
        enum ctr_cgroup_mode mode;
        char v2_root[64];                         /* "" when there is no v2 tree */
        char controllers[CTR_CGROUP_MAX_CONTROLLERS][16]; /* enabled in the v2 root */
        size_t n_controllers;
        struct ctr_cgroup_v1 v1[CTR_CGROUP_MAX_V1];  /* v1 hierarchies under sysfs_cgroup (hybrid, v1) */
        size_t n_v1;
};

/*
 * Inspects the cgroup mounts under sysfs_cgroup (normally "/sys/fs/cgroup";
 * settable for tests). Never changes anything. Returns 0 or -errno.
 */
int ctr_cgroup_detect(const char *sysfs_cgroup, struct ctr_cgroup_info *ret, struct bv_error *err);

/* "v2", "hybrid", "v1" or "none". */
const char *ctr_cgroup_mode_name(enum ctr_cgroup_mode mode);
/* As GET /v1/host shows it: mode, controllers (the v2 root's), v2_root, by_controller {version, path, usable}. */
json_t *ctr_cgroup_info_json(const struct ctr_cgroup_info *info);

/* ---- the OCI runtime (oci-*.c) ----------------------------------------------------------- */
/*
 * OCI containers built by barevirt itself. This is the API the
 * OCI runtime CLI (tools/barevirt-runtime) and barevirtd use: parse a
 * bundle's config.json, create a container (namespaces, id maps, mounts,
 * pivot_root, cgroup v2, capabilities, seccomp) whose init waits before the
 * user process until it is started, and the rest of the lifecycle (state,
 * kill, delete, exec). Container state lives in <root>/<id>/ (state.json,
 * written atomically, and exec.fifo while the container waits for start).
 *
 * Nothing here prints or exits. Functions that fail return -errno and fill
 * the caller's struct bv_error; a failed create leaves nothing behind (no
 * process, mount, cgroup or state directory).
 */

struct ctr_config;
struct ctr_process;

#define CTR_OCI_VERSION "1.0.2"
#define CTR_DEFAULT_STATE_ROOT "/run/barevirt-runtime"

/*
 * Parses config.json text (len bytes) into *ret. Unknown fields are ignored
 * as the spec says; a field of the wrong type or value is refused with its
 * JSON path in the message ("process.args[0]: expected a string").
 * Returns 0, -EINVAL, -EMSGSIZE or -ENOMEM.
 */
int ctr_config_parse(const char *buf, size_t len, struct ctr_config **ret, struct bv_error *err);

/* Reads <bundle>/config.json (bounded) and parses it. Blocks on file I/O. */
int ctr_config_load(const char *bundle, struct ctr_config **ret, struct bv_error *err);

/* Frees a config (NULL accepted); returns NULL. */
struct ctr_config *ctr_config_free(struct ctr_config *cfg);

/* Parses a process object file (`exec --process`). */
int ctr_process_load(const char *path, struct ctr_process **ret, struct bv_error *err);

/* Frees a process (NULL accepted); returns NULL. */
struct ctr_process *ctr_process_free(struct ctr_process *p);

/*
 * `exec --apparmor` and `--process-label`: p's AppArmor profile and
 * SELinux label instead of its own (NULL: keep). Not copied: they must
 * outlive p.
 */
void ctr_process_set_lsm(struct ctr_process *p, const char *apparmor_profile, const char *selinux_label);

struct ctr_create_opts {
        const char *state_root;      /* e.g. /run/barevirt-runtime */
        const char *id;
        const char *bundle;          /* absolute */
        const char *console_socket;  /* NULL unless process.terminal */
        bool has_console_fd;         /* or console_fd, a connected UNIX socket for the master */
        int console_fd;
        const char *pid_file;        /* NULL for none */
        bool no_pivot;
        unsigned preserve_fds;       /* fds 3..3+n-1 are passed to the container */
        bool start_now;              /* `run`: start as soon as created, stay the parent */
        bool die_with_parent;        /* the init is SIGKILLed when its creator dies (a monitor's containers) */
        /*
         * The container's stdin, stdout and stderr. With has_stdio, the init
         * dup2()s stdio_fds[0..2] (open fds of the caller, close-on-exec or
         * not, any of them among 0-2, one fd may stand for several) onto its
         * 0, 1 and 2 before anything runs in it; the caller closes its own
         * after the create. Without (as in a zeroed struct) the init inherits
         * the caller's 0-2. A terminal (process.terminal) replaces all three
         * with the pty either way.
         */
        bool has_stdio;
        int stdio_fds[3];
};

/*
 * Creates the container: validates, makes <state_root>/<id>, the cgroup, and
 * the init process, which sets everything up and waits (on exec.fifo) until
 * ctr_container_start(). Runs prestart/createRuntime/createContainer hooks.
 * With start_now, the init is released at once and poststart hooks run; the
 * caller then waits for *ret_pid (its child). Blocks until the init reports
 * (bounded). Returns 0 with *ret_pid, or -errno leaving nothing behind:
 * -EEXIST (id in use), -EINVAL (bad config), -EOPNOTSUPP (a limit the host
 * cannot enforce), or the errno of the failed setup step.
 */
int ctr_container_create(const struct ctr_config *cfg, const struct ctr_create_opts *opts,
                         pid_t *ret_pid, struct bv_error *err);

/* Releases a created container's init into the user process; runs poststart hooks. */
int ctr_container_start(const char *state_root, const char *id, struct bv_error *err);

enum ctr_status { CTR_STATUS_CREATING, CTR_STATUS_CREATED, CTR_STATUS_RUNNING, CTR_STATUS_STOPPED,
                  CTR_STATUS_PAUSED };

const char *ctr_status_name(enum ctr_status s);

/*
 * The state of container id as the OCI spec shows it (ociVersion, id,
 * status, pid, bundle, annotations) in *ret (a new reference).
 * -ENOENT when there is no such container.
 */
int ctr_container_state(const char *state_root, const char *id, json_t **ret,
                        struct bv_error *err);

/* Whether the kernel's OOM killer ended a process of the container (its memory cgroup's oom_kill counter). */
bool ctr_container_oom_killed(const char *state_root, const char *id);
/* Sends sig to the init (all=true: to every process of its cgroup). */
int ctr_container_kill(const char *state_root, const char *id, int sig, bool all,
                       struct bv_error *err);

/*
 * Freezes (pause=true) a running container, or thaws a paused one, through
 * its freezer backend (cgroup v2 cgroup.freeze on pure v2 hosts, the v1
 * freezer's freezer.state on hybrid and v1 hosts; oci-freeze.c), waiting
 * (blocks, at most 5 s, -ETIMEDOUT) until the freezer agrees. A freeze
 * asked makes the status "paused", as runc reports it. -ESRCH when the
 * container is stopped, -EINVAL when it is not running (pause) or not
 * paused (resume), -EOPNOTSUPP when it has no cgroup.
 * ctr_container_freeze() only asks and returns at once (for an event loop);
 * ctr_container_frozen() is 1 once frozen, 0 when not, -errno.
 */
int ctr_container_pause(const char *state_root, const char *id, bool pause, struct bv_error *err);
int ctr_container_freeze(const char *state_root, const char *id, bool pause, struct bv_error *err);
int ctr_container_frozen(const char *state_root, const char *id);

/*
 * Deletes a stopped container (force: kills it first, bounded wait): removes
 * its cgroup and state directory and runs the poststop hooks. -EBUSY when it
 * still runs and force is false.
 */
int ctr_container_delete(const char *state_root, const char *id, bool force,
                         struct bv_error *err);

/* The ids of all containers under state_root as a JSON array of state objects. */
int ctr_container_list(const char *state_root, json_t **ret, struct bv_error *err);

/* The pids (host view) in the container's cgroup as a JSON array of integers. */
int ctr_container_pids(const char *state_root, const char *id, json_t **ret,
                       struct bv_error *err);

struct ctr_exec_opts {
        const char *console_socket;
        const char *pid_file;
        unsigned preserve_fds;
};

/*
 * Starts process p (args, env, cwd, user, caps ...) in the namespaces and
 * cgroup of running container id. The new process is the caller's child:
 * *ret_pid. Blocks until it has exec'ed or failed (bounded). -ENOENT: the
 * command is not in the container; -EACCES (or -ENOEXEC, -EISDIR): it is
 * not executable; the text keeps runc's wording, which Docker and Podman map.
 */
int ctr_container_exec(const char *state_root, const char *id, const struct ctr_process *p,
                       const struct ctr_exec_opts *opts, pid_t *ret_pid, struct bv_error *err);

/* Whether the config's process wants a terminal. */
bool ctr_config_terminal(const struct ctr_config *cfg);

/* The container config's own process (for exec without --process); borrowed. */
const struct ctr_process *ctr_config_process(const struct ctr_config *cfg);

/* Builds a process for exec from the container's one with args (and more) replaced. */
int ctr_process_for_exec(const struct ctr_config *cfg, char **args, char **env_extra,
                         const char *cwd, const char *user, bool tty,
                         struct ctr_process **ret, struct bv_error *err);

/* Reads the container's bundle config (from its state). */
int ctr_container_config(const char *state_root, const char *id, struct ctr_config **ret,
                         struct bv_error *err);

/* Waits for our child pid and maps its status to an exit code (128+signal). */
int ctr_child_wait_exit(pid_t pid);

/* A default config.json (`spec`), and the `features` document. New references. */
json_t *ctr_spec_default(void);
json_t *ctr_features(void);

/*
 * CVE-2019-5736: unless already running from one, copies /proc/self/exe into
 * a sealed memfd and re-executes it (argv/envp unchanged plus a marker), so
 * that no process of a container can ever reach, and write, the runtime
 * binary on disk through /proc/<pid>/exe. Returns only on failure (-errno)
 * or when already sealed (0).
 */
int ctr_exe_ensure_sealed(char **argv, char **envp, struct bv_error *err);

/* ---- barevirt containers (ct-*.c) -------------------------------------------------------- */
/*
 * barevirt's own long-lived containers (barevirtd's /v1/containers), built
 * on the OCI runtime above. This section holds:
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

/* limits.memory and memory_swap, MiB */
#define CTR_MIN_MEMORY_MIB 4
#define CTR_MAX_MEMORY_MIB (1024ULL * 1024 * 1024)
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
        char *firewall;        /* a firewall group (the owner's), or NULL */
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
        bool dns_none;             /* "dns": "none": no resolv.conf from the network */
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
        char *project;             /* the project it belongs to; NULL: "default" */
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
        const char *resolv_conf;   /* bound read-only on /etc/resolv.conf, or NULL */
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
 * Checks every limit def requests against the host's cgroups (the v1
 * hierarchy of its controller where mounted, else the v2 root):
 * -EOPNOTSUPP "Limit 'io_weight' cannot be enforced on this host: the
 * cgroup v1 'blkio' hierarchy (/sys/fs/cgroup/blkio) has no ...". 0 when
 * all can be enforced (or none is requested).
 */
int ctr_ct_limits_check(const struct ctr_ct_def *def, const struct ctr_cgroup_info *cg,
                        struct bv_error *err);

/* Every limit and whether the host can enforce it: {"memory": {"supported": true, "via": "cgroup v1 ..."},
 * "io_weight": {"supported": false, "reason": "..."}, ...}. A new reference; NULL on ENOMEM. */
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

/* ---- the lifecycle of a container (ct-host.c, ct-life.c, ct-monitor.c, ct-store.c, ...) ---- */
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
        CTR_CT_PAUSED,       /* frozen (ctr_ct_pause()) */
        CTR_CT_RESTARTING,   /* the monitor waits for the restart backoff */
        CTR_CT_STOPPING,
        CTR_CT_STOPPED,
        CTR_CT_CRASHED,
};
const char *ctr_ct_state_name(enum ctr_ct_state s);

/* An address a network hands a container NIC (ctr_ct_host_opts.nic_address). */
struct ctr_ct_nic_addr {
        char ip[64];               /* CIDR */
        char gw[64];               /* or "" */
        char dns[64];              /* resolver address, or "" */
        char search[256];          /* search domain, or "" */
};

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
         * The address of NIC index of container ct when its definition has
         * no ip (NULL callback, or *ret->ip left "": none): "10.0.0.5/24",
         * its gateway and the resolver for the container's /etc/resolv.conf.
         */
        int (*nic_address)(void *userdata, const char *ct, unsigned index, const char *network,
                           const uint8_t mac[6], struct ctr_ct_nic_addr *ret, struct bv_error *err);
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
/* The limits this host can enforce, as ctr_ct_limits_available() (a new reference, {} without cgroups). */
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
/* The host end of NIC nic of a live container, or NULL (not live, or not known yet). */
const char *ctr_ct_host_ifname(const struct ctr_ct *ct, unsigned nic);
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
 * pause (pause=true): freezes a running container's processes; resume:
 * thaws a paused one. Done once the freezer agrees (-ETIMEDOUT after 5 s).
 * -EALREADY (refused now) when it is already paused (resumed); -EBUSY with
 * the reason when it is not running (paused), or being deleted.
 */
int ctr_ct_pause(struct ctr_ct *ct, bool pause, ctr_ct_done_cb done, void *userdata, struct bv_error *err);

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
 * owner forgot the container meanwhile. When the command could not be run
 * at all, exit_code is 127 (not in the container) or 126 (not executable)
 * and failure says so in one line ("'/x': no such file in container 'c'"),
 * with the runtime's own text in errout; otherwise failure is NULL.
 */
struct ctr_ct_exec_failure {
        const char *reason;        /* "not-found" or "not-executable" */
        char msg[320];
};
typedef void (*ctr_ct_exec_cb)(struct ctr_ct *ct, int r, int exit_code, const char *out, size_t out_len,
                               const char *errout, size_t err_len, bool truncated,
                               const struct ctr_ct_exec_failure *failure, void *userdata);
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
 * all), from the loop, then what is appended (across a rotation too);
 * on_end once the container ended (or ctr_ct_free() cancelled the
 * follower), after the last on_data. on_data returning < 0 ends the
 * follower at once (on_end is not called). bv_log_unfollow() stops one
 * early without calling on_end. The follower is freed after on_end or
 * unfollow. -EALREADY (nothing to follow) when the container is not live.
 */
int ctr_ct_log_follow(struct ctr_ct *ct, long long tail, int (*on_data)(const char *data, size_t len, void *userdata),
                      void (*on_end)(void *userdata), void *userdata, struct bv_log_follower **ret,
                      struct bv_error *err);

/* ---- Docker and Podman (engine*.c) ------------------------------------------------------- */
/*
 * Clients for container engines (Docker, Podman) over their UNIX-socket HTTP
 * APIs, on the caller's event loop through common/common.h (HTTP). One struct
 * ctr_engine per engine socket; what differs between engines lives in a
 * backend table (engine-docker.c, engine-podman.c), never in if-chains.
 *
 * Every call is asynchronous and carries a timeout: it returns 0 once the
 * request is queued (then done is called exactly once, never from inside the
 * call) or -errno (then done is not called). The first call after the engine
 * was unreachable negotiates the API version again (the highest version both
 * sides speak, from the ping's Api-Version header, or GET /version when the
 * engine sends none), so a restarted engine is picked up without restarting
 * the caller.
 *
 * Errors from the engine keep its {"message"} and HTTP status in the
 * bv_error text; an engine that does not answer gives "Docker engine at
 * '/var/run/docker.sock' is not reachable" (-ECONNREFUSED, -ENOENT or
 * -ETIMEDOUT). Replies are untrusted: bounded bodies, JSON checked by type.
 */

struct ctr_engine;
struct ctr_engine_backend;

/* The backends: "docker" and "podman". */
extern const struct ctr_engine_backend ctr_engine_docker;
extern const struct ctr_engine_backend ctr_engine_podman;

/* The backend named name ("docker", "podman"), or NULL. */
const struct ctr_engine_backend *ctr_engine_backend_find(const char *name);

/*
 * Creates a client for the engine listening on socket_path. Nothing is
 * connected until the first call. Returns 0, -EINVAL or -ENOMEM.
 */
int ctr_engine_new(struct bv_loop *loop, const struct ctr_engine_backend *backend,
                   const char *socket_path, struct ctr_engine **ret, struct bv_error *err);
/*
 * Frees the engine; calls still pending get their done with -ECANCELED
 * (from inside this function). NULL accepted; returns NULL.
 */
struct ctr_engine *ctr_engine_free(struct ctr_engine *e);

/* "docker" or "podman": the ref prefix and instance type. */
const char *ctr_engine_name(const struct ctr_engine *e);
const char *ctr_engine_socket(const struct ctr_engine *e);
/* The engine's container state word mapped to barevirt's ("stopped" from
 * Podman becomes "exited", ...); "unknown" for words it does not know. */
const char *ctr_engine_state(const struct ctr_engine *e, const char *engine_state);
/* The negotiated API version ("1.41"), or "" when not negotiated (yet). */
const char *ctr_engine_api_version(const struct ctr_engine *e);

/*
 * done of every call: r >= 0 with result (borrowed: valid during the call,
 * json_incref() to keep it; may be NULL for calls without a result), or
 * r < 0 with err filled and result NULL.
 */
typedef void (*ctr_engine_done_cb)(int r, json_t *result, const struct bv_error *err,
                                   void *userdata);

/* Per-call options; NULL for defaults. */
struct ctr_engine_opts {
        uint64_t timeout_usec;   /* 0: 10 s (stop: 10 s more than its grace time) */
};

/* GET /_ping, then GET /version. Result: {"engine", "socket", "version", "api_version", "min_api_version"}. */
int ctr_engine_ping(struct ctr_engine *e, const struct ctr_engine_opts *o, ctr_engine_done_cb done,
                    void *userdata, struct bv_error *err);

/*
 * Every container (all=1), as an array of {"id", "name", "names", "image",
 * "state" (barevirt's word: running, paused, exited, created, ...),
 * "engine_state" (the engine's word), "status", "created", "labels",
 * "addresses" (IP addresses), "uptime" (seconds, approximate, or null)}.
 */
int ctr_engine_list(struct ctr_engine *e, const struct ctr_engine_opts *o, ctr_engine_done_cb done,
                    void *userdata, struct bv_error *err);

/* The engine's inspect object, unchanged, for id (a name or id). */
int ctr_engine_inspect(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                       ctr_engine_done_cb done, void *userdata, struct bv_error *err);

/* Start (already running is success), stop with a grace time in seconds
 * (< 0: the engine's default; already stopped is success), kill with a
 * signal name or number (NULL: SIGKILL), remove (force kills first).
 * No result. */
int ctr_engine_start(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                     ctr_engine_done_cb done, void *userdata, struct bv_error *err);
int ctr_engine_stop(struct ctr_engine *e, const char *id, int grace_sec,
                    const struct ctr_engine_opts *o, ctr_engine_done_cb done, void *userdata,
                    struct bv_error *err);
int ctr_engine_kill(struct ctr_engine *e, const char *id, const char *signal,
                    const struct ctr_engine_opts *o, ctr_engine_done_cb done, void *userdata,
                    struct bv_error *err);
int ctr_engine_remove(struct ctr_engine *e, const char *id, bool force,
                      const struct ctr_engine_opts *o, ctr_engine_done_cb done, void *userdata,
                      struct bv_error *err);

/*
 * The log so far (no follow), stdout and stderr, the last tail lines
 * (tail < 0: all). The container is inspected first: without a tty the
 * engine multiplexes the streams with 8-byte frame headers, which are
 * removed. Result: {"tty": bool, "output": interleaved text, "stdout",
 * "stderr"}; bytes that are not UTF-8 become U+FFFD. At most 4 MiB.
 */
int ctr_engine_logs(struct ctr_engine *e, const char *id, int tail, const struct ctr_engine_opts *o,
                    ctr_engine_done_cb done, void *userdata, struct bv_error *err);

/*
 * Splits a multiplexed log stream (8-byte headers: stream, 0, 0, 0, size
 * big-endian) into out (interleaved) and per-stream buffers. Returns 0, or
 * -EPROTO on a bad header or truncated frame (what came before is kept).
 * Exposed for tests.
 */
struct ctr_engine_demux {
        char *out, *stdout_, *stderr_;
        size_t out_len, stdout_len, stderr_len;
};
int ctr_engine_demux(const char *buf, size_t len, struct ctr_engine_demux *ret, struct bv_error *err);
void ctr_engine_demux_clear(struct ctr_engine_demux *d);

/* ---- create, lifecycle, exec, stats (engine-ops.c) ------------------------ */

/*
 * Creates a container from spec, barevirt's own create object (checked
 * strictly: unknown keys and wrong types are -EINVAL with the key named):
 *   {"image": "busybox" (required), "name", "cmd": [..], "entrypoint": [..],
 *    "env": ["K=V", ..], "workdir", "user", "labels": {"k": "v"},
 *    "binds": ["/src:/dst[:ro]", ..], "mounts": [{"source", "target",
 *    "readonly"}], "network": "none"|"host"|"bridge"|NAME,
 *    "restart": "no"|"always"|"unless-stopped"|"on-failure[:N]",
 *    "memory": bytes, "cpus": number, "tty": bool}
 * Result: {"id", "name", "warnings": [..]}.
 */
int ctr_engine_create(struct ctr_engine *e, const json_t *spec, const struct ctr_engine_opts *o,
                      ctr_engine_done_cb done, void *userdata, struct bv_error *err);
/* Builds the engine's create body and ?name= from spec (no I/O; for tests). */
int ctr_engine_create_body(const json_t *spec, json_t **ret_body, char *ret_name, size_t name_len,
                           struct bv_error *err);

/* Restart (grace time like stop), pause, unpause. No result. */
int ctr_engine_restart(struct ctr_engine *e, const char *id, int grace_sec, const struct ctr_engine_opts *o,
                       ctr_engine_done_cb done, void *userdata, struct bv_error *err);
int ctr_engine_pause(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                     ctr_engine_done_cb done, void *userdata, struct bv_error *err);
int ctr_engine_unpause(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                       ctr_engine_done_cb done, void *userdata, struct bv_error *err);
/*
 * Waits until the container is not running, on its own connection (other
 * calls go on meanwhile). Result: {"exit_code": N}. The default timeout is
 * an hour.
 */
int ctr_engine_wait(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                    ctr_engine_done_cb done, void *userdata, struct bv_error *err);
/*
 * Runs cmd in the running container (exec create, then start with output
 * attached, then exec inspect for the exit code), on its own connection.
 * spec: {"cmd": [..] (required), "env": [..], "workdir", "user", "tty"}.
 * Result: {"exit_code", "output", "stdout", "stderr", "tty"}; output at most
 * 4 MiB.
 */
int ctr_engine_exec(struct ctr_engine *e, const char *id, const json_t *spec, const struct ctr_engine_opts *o,
                    ctr_engine_done_cb done, void *userdata, struct bv_error *err);
/*
 * One-shot stats. Result: {"memory_usage", "memory_limit", "pids",
 * "cpu_total_ns", "read"} (0 where the engine gave nothing).
 */
int ctr_engine_stats(struct ctr_engine *e, const char *id, const struct ctr_engine_opts *o,
                     ctr_engine_done_cb done, void *userdata, struct bv_error *err);
/* Summarises an engine stats object (for tests and the fuzzer). */
json_t *ctr_engine_stats_summary(const json_t *stats);

/* Images: list ([{"id", "tags": [..], "created", "size"}]); load a tarball
 * made by `docker save` (result {"output": the engine's text}); remove (no
 * result; force: even when containers use it, which Podman takes as
 * "remove those containers too", Docker as "untag anyway"). */
int ctr_engine_images(struct ctr_engine *e, const struct ctr_engine_opts *o, ctr_engine_done_cb done,
                      void *userdata, struct bv_error *err);
int ctr_engine_image_load(struct ctr_engine *e, const void *tar, size_t len, const struct ctr_engine_opts *o,
                          ctr_engine_done_cb done, void *userdata, struct bv_error *err);
int ctr_engine_image_remove(struct ctr_engine *e, const char *image, bool force, const struct ctr_engine_opts *o,
                            ctr_engine_done_cb done, void *userdata, struct bv_error *err);
/* True for image references: [A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}, no "..". */
bool ctr_engine_image_valid(const char *image);

/* ---- streams (engine-stream.c) ------------------------------------------- */

struct ctr_engine_stream;
/* Called when the stream ends: r == 0 when the engine closed it cleanly,
 * else -errno with err (the engine went away: -ECONNREFUSED/-ECONNRESET;
 * a bad stream: -EPROTO, -EMSGSIZE). Not called after
 * ctr_engine_stream_free(). The stream may be freed from inside. */
typedef void (*ctr_engine_end_cb)(int r, const struct bv_error *err, void *userdata);
/* One normalised event (borrowed): {"engine", "action" (Docker's word:
 * create, start, die, stop, kill, pause, unpause, restart, destroy, ...),
 * "engine_action" (the engine's own), "id", "name", "ref" (ENGINE:NAME),
 * "image", "time" (seconds, float), "exit_code" (die only)}. */
typedef void (*ctr_engine_event_cb)(const json_t *event, void *userdata);
/* Called once the stream is connected (its ping answered). */
typedef void (*ctr_engine_up_cb)(void *userdata);

/*
 * Subscribes to the engine's container events on a connection of its own:
 * a ping first (on_up once it answers), then the events request, which
 * Podman answers with nothing until the first event. Events the engine
 * sends before it has the request are not replayed. Returns 0 or -errno.
 */
int ctr_engine_events(struct ctr_engine *e, ctr_engine_up_cb on_up, ctr_engine_event_cb on_event,
                      ctr_engine_end_cb on_end, void *userdata, struct ctr_engine_stream **ret,
                      struct bv_error *err);
/* Normalises one line of an engine's event stream (for tests and the
 * fuzzer): 1 with *ret, 0 for a line that is not a container event, or
 * -EPROTO. */
int ctr_engine_event_parse(const struct ctr_engine_backend *b, const char *line, size_t len, json_t **ret,
                           struct bv_error *err);

/*
 * Follows a container's log: the last tail lines (< 0: all), then new
 * output as it comes, demultiplexed: on_data(stream 1 or 2, bytes). Ends
 * when the container stops (on_end with 0). Returns 0 or -errno.
 */
typedef void (*ctr_engine_data_cb)(int stream, const char *data, size_t len, void *userdata);
int ctr_engine_logs_follow(struct ctr_engine *e, const char *id, int tail, ctr_engine_data_cb on_data,
                           ctr_engine_end_cb on_end, void *userdata, struct ctr_engine_stream **ret,
                           struct bv_error *err);
/* Stops a stream. Must be freed before its engine. NULL accepted; returns NULL. */
struct ctr_engine_stream *ctr_engine_stream_free(struct ctr_engine_stream *s);

/*
 * Incremental demultiplexer for streams with 8-byte frame headers: bytes in
 * any pieces, whole frames out. Returns 0 or -EPROTO (bad header) or
 * -EMSGSIZE (a frame over 1 MiB).
 */
struct ctr_engine_demuxer {
        unsigned char head[8];
        size_t head_len;
        size_t left;                /* bytes left in the current frame */
        int stream;
};
int ctr_engine_demuxer_feed(struct ctr_engine_demuxer *d, const char *buf, size_t len, ctr_engine_data_cb cb,
                            void *userdata, struct bv_error *err);

/* Seconds from an engine status text ("Up 5 minutes"), or -1. */
int64_t ctr_engine_status_uptime(const char *status);

/*
 * Replays one engine reply through the handling a live call gives it, with
 * no engine and no I/O (for tests and fuzzing). kind: list, inspect, logs,
 * create, wait, exec-output, exec-inspect, stats, images, image-load,
 * version; events (the body is stream lines: result an array of normalised
 * events) and log-stream (a multiplexed stream fed in 5-byte pieces: an
 * array of {"stream", "data"}). status >= 400 takes the error path.
 * Returns what the call's done would get.
 */
int ctr_engine_reply_replay(const struct ctr_engine_backend *b, const char *kind, int status, const char *body,
                            size_t len, json_t **ret, struct bv_error *err);

/* True when name is a valid engine container name or id:
 * [A-Za-z0-9][A-Za-z0-9._-]{0,127}. */
bool ctr_engine_name_valid(const char *name);
