/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the OCI runtime part of ctr/: the parsed form of config.json
 * and the steps the container's init process runs between clone() and
 * execve(). A struct ctr_config keeps a reference to the jansson document it
 * was parsed from; every `const char *` in it points into that document and
 * lives exactly as long as the config. Arrays of pointers are malloc'ed and
 * freed by ctr_config_free().
 *
 * The child-side functions (ctr_mounts_setup(), ctr_process_finalize(), ...)
 * run in the cloned init process only: they never return through cleanup
 * scopes of the parent and report failure as -errno plus a struct bv_error,
 * which the init process sends to the runtime as text before it _exit()s.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/cleanup.h"
#include "common/error.h"
#include "ctr/oci.h"

struct ctr_bpf;

#define CTR_MAX_ARRAY 4096          /* entries in any array of config.json */
#define CTR_CONFIG_MAX (4u << 20)   /* bytes of config.json */

struct ctr_mount {
        const char *destination;
        const char *source;          /* NULL for none */
        const char *type;            /* NULL for bind mounts without a type */
        unsigned long flags;         /* MS_* applied at mount time */
        unsigned long propagation;   /* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE (| MS_REC) or 0 */
        bool bind;
        bool recursive_ro;           /* "rro": mount_setattr(AT_RECURSIVE) */
        char *data;                  /* unrecognised options joined with ',' (malloc'ed) */
};

struct ctr_idmap {
        uint32_t container_id, host_id, size;
};

struct ctr_rlimit {
        int resource;
        uint64_t soft, hard;
};

enum ctr_ns_type {
        CTR_NS_USER, CTR_NS_MOUNT, CTR_NS_PID, CTR_NS_NET, CTR_NS_IPC, CTR_NS_UTS,
        CTR_NS_CGROUP, CTR_NS_TIME, CTR_NS_MAX,
};

struct ctr_namespace {
        bool enabled;
        const char *path;            /* join instead of creating; NULL to create */
};

struct ctr_hook {
        const char *path;
        const char **args;           /* NULL-terminated, or NULL for {path} */
        const char **env;            /* NULL-terminated, or NULL */
        int timeout;                 /* seconds, 0 = default */
};

enum ctr_hook_kind {
        CTR_HOOK_PRESTART, CTR_HOOK_CREATE_RUNTIME, CTR_HOOK_CREATE_CONTAINER,
        CTR_HOOK_START_CONTAINER, CTR_HOOK_POSTSTART, CTR_HOOK_POSTSTOP, CTR_HOOK_MAX,
};

struct ctr_device {
        const char *path;
        char type;                   /* 'c', 'b', 'u' or 'p' */
        int64_t major, minor;
        mode_t mode;
        uid_t uid;
        gid_t gid;
};

struct ctr_seccomp_arg {
        unsigned index;
        uint64_t value, value2;
        int op;                      /* enum scmp_compare */
};

#define CTR_SECCOMP_MAX_ARGS 6

struct ctr_seccomp_rule {
        const char **names;          /* NULL-terminated */
        uint32_t action;             /* SCMP_ACT_* */
        struct ctr_seccomp_arg args[CTR_SECCOMP_MAX_ARGS];
        size_t n_args;
};

struct ctr_seccomp {
        uint32_t default_action;
        uint32_t *arches;            /* SCMP_ARCH_* */
        size_t n_arches;
        struct ctr_seccomp_rule *rules;
        size_t n_rules;
        bool flag_log, flag_spec_allow, flag_tsync;
};

enum ctr_cap_set { CTR_CAP_BOUNDING, CTR_CAP_EFFECTIVE, CTR_CAP_PERMITTED,
                   CTR_CAP_INHERITABLE, CTR_CAP_AMBIENT, CTR_CAP_MAX };

struct ctr_process {
        json_t *json;                /* the object parsed (a reference) */
        bool terminal;
        unsigned console_height, console_width;
        uid_t uid;
        gid_t gid;
        gid_t *additional_gids;
        size_t n_additional_gids;
        bool has_umask;
        mode_t umask;
        const char **args;           /* NULL-terminated, at least one */
        const char **env;            /* NULL-terminated, possibly empty */
        const char *cwd;
        bool has_caps;
        uint64_t caps[CTR_CAP_MAX];  /* bit masks */
        struct ctr_rlimit *rlimits;
        size_t n_rlimits;
        bool no_new_privileges;
        bool has_oom_score_adj;
        int oom_score_adj;
};

struct ctr_sysctl {
        const char *key, *value;
};

/* One write into a cgroup v2 file, derived from linux.resources. */
struct ctr_cgroup_write {
        const char *controller;      /* "memory", "pids", ... or NULL for core files */
        char file[64];
        char value[96];
        const char *json_path;       /* for the error when the controller is missing */
};

/* One linux.resources.devices rule; later rules override earlier ones. */
struct ctr_dev_rule {
        bool allow;
        char type;                   /* 'a', 'c' or 'b' */
        int64_t major, minor;        /* -1 = any */
        unsigned access;             /* BPF_DEVCG_ACC_* bits */
};

struct ctr_config {
        json_t *json;
        const char *oci_version;
        const char *root_path;
        bool root_readonly;
        const char *hostname;
        const char *domainname;
        struct ctr_mount *mounts;
        size_t n_mounts;
        struct ctr_process *process;
        struct ctr_hook *hooks[CTR_HOOK_MAX];
        size_t n_hooks[CTR_HOOK_MAX];
        struct ctr_namespace ns[CTR_NS_MAX];
        struct ctr_idmap *uid_maps, *gid_maps;
        size_t n_uid_maps, n_gid_maps;
        struct ctr_device *devices;
        size_t n_devices;
        const char **masked_paths;
        size_t n_masked_paths;
        const char **readonly_paths;
        size_t n_readonly_paths;
        struct ctr_sysctl *sysctls;
        size_t n_sysctls;
        unsigned long rootfs_propagation;   /* 0 = default (rslave) */
        struct ctr_seccomp *seccomp;
        struct ctr_cgroup_write *cgroup_writes;
        size_t n_cgroup_writes;
        struct ctr_dev_rule *dev_rules;     /* linux.resources.devices */
        size_t n_dev_rules;
        const char *cgroups_path;
        json_t *annotations;                /* borrowed from json, may be NULL */
};

BV_DEFINE_CLEANUP(struct ctr_config, ctr_config_free)

/* Namespace names as config.json spells them, and their CLONE_* flags. */
const char *ctr_ns_name(enum ctr_ns_type t);
int ctr_ns_flag(enum ctr_ns_type t);
const char *ctr_ns_proc_name(enum ctr_ns_type t);

/*
 * Namespaces the runtime itself enters for one clone: pid and time apply to
 * children only, and a network namespace that the host's user namespace
 * owns (one barevirtd made for a container's NICs) cannot be joined from
 * inside the container's user namespace. ctr_ns_clone_enter() enters fds[t]
 * (those >= 0) for every t in mask (bits 1 << CTR_NS_*), saving ours;
 * ctr_ns_clone_leave() goes back right after the clone, so that the
 * runtime's later children (hooks, LeakSanitizer's exit-time tracer, which
 * spins forever when it cannot see its parent) stay in its namespaces.
 * Leaving returns -errno if we could not go back (then the caller must not
 * go on: it would run in the container's namespace).
 */
struct ctr_ns_saved {
        int fd[CTR_NS_MAX];
};
#define CTR_NS_CHILDREN ((1u << CTR_NS_PID) | (1u << CTR_NS_TIME))
int ctr_ns_clone_enter(const int fds[CTR_NS_MAX], unsigned mask, struct ctr_ns_saved *saved,
                       struct bv_error *err);
int ctr_ns_clone_leave(struct ctr_ns_saved *saved);

/* Parses a process object (also used by `exec --process`). path is its JSON path. */
int ctr_process_parse(json_t *obj, const char *path, struct ctr_process **ret,
                      struct bv_error *err);

/* ---- child side: ctr/oci-mount.c ---- */

/*
 * Context of the init process between clone() and execve(): the resolved
 * rootfs, its O_PATH fd, and whether a user namespace makes mknod impossible.
 */
struct ctr_child {
        const struct ctr_config *config;
        const struct ctr_process *process;
        const char *rootfs;          /* absolute host path */
        const char *bundle;
        int rootfd;                  /* O_PATH fd of rootfs */
        bool userns;
        bool no_pivot;
        int console_sock;            /* -1 when no console socket */
        int pty_slave;               /* -1 when no terminal */
};

/* Makes the mount tree private/slave, binds the rootfs and mounts everything in config. */
int ctr_rootfs_prepare(struct ctr_child *c, struct bv_error *err);
/* Creates the pty (when terminal), sends its master, binds /dev/console. */
int ctr_console_setup(struct ctr_child *c, struct bv_error *err);
/* pivot_root (or MS_MOVE + chroot), then sysctls, masked and read-only paths, readonly root. */
int ctr_rootfs_enter(struct ctr_child *c, struct bv_error *err);
/* Writes linux.sysctl under /proc/sys (called by ctr_rootfs_enter). */
int ctr_sysctl_apply(const struct ctr_config *cfg, struct bv_error *err);
/*
 * Opens path inside the directory rootfd with RESOLVE_IN_ROOT, so that ".."
 * and absolute symlinks can never leave it. flags are open(2) flags.
 */
int ctr_open_in_root(int rootfd, const char *path, int flags, struct bv_error *err);

/* ---- child side: ctr/oci-process.c ---- */

/* Rlimits, groups, uid/gid, capabilities, noNewPrivileges, seccomp (when not NNP), umask, cwd. */
int ctr_process_finalize(const struct ctr_config *cfg, const struct ctr_process *p,
                         const struct ctr_bpf *filter, struct bv_error *err);
/* Finds args[0] in the PATH of p's environment; writes the path into buf. */
/*
 * Just before execve(): every signal back to its default action and none
 * blocked. The caller of the runtime (barevirtd, the monitor: signalfd
 * users) blocks or ignores signals, and both the mask and ignored
 * dispositions survive execve: a container init would never see SIGTERM.
 */
void ctr_signals_reset(void);
int ctr_process_find_exec(const struct ctr_process *p, char *buf, size_t len,
                          struct bv_error *err);
/* Checks that cwd exists inside the current root and makes it the cwd. */
int ctr_process_chdir(const struct ctr_process *p, struct bv_error *err);
/* ---- ctr/oci-seccomp.c ---- */

struct sock_filter;

/* A compiled seccomp program (classic BPF). */
struct ctr_bpf {
        struct sock_filter *insns;
        size_t n;
};

/*
 * Compiles linux.seccomp of cfg into *ret (empty when there is none), from
 * the cache under state_root when it has it (state_root NULL: no cache).
 * Runs in the runtime, before clone. Returns 0 or -errno.
 */
int ctr_seccomp_compile(const struct ctr_config *cfg, const char *state_root, struct ctr_bpf *ret,
                        struct bv_error *err);
void ctr_bpf_done(struct ctr_bpf *b);
/* Loads filter with the flags of s (no-op when there is no filter). */
int ctr_seccomp_apply(const struct ctr_seccomp *s, const struct ctr_bpf *filter, struct bv_error *err);

/* ---- ctr/oci-hooks.c ---- */

/*
 * Runs the hooks of one kind in order with state_json on stdin, each bounded
 * by its timeout (default 30 s). Blocks. Returns 0 or -errno with the
 * failing hook named in err.
 */
int ctr_hooks_run(const struct ctr_config *cfg, enum ctr_hook_kind kind, const char *state_json,
                  struct bv_error *err);

/* ---- ctr/oci-cgroup.c ---- */

/*
 * Resolves the container cgroup directory (v2 root + cgroupsPath or
 * "barevirt/<id>") into buf. Fails with -EOPNOTSUPP when the host has no v2
 * tree, and refuses every write whose controller the v2 tree lacks, naming
 * it. Does not create anything.
 */
int ctr_cgroup_plan(const struct ctr_config *cfg, const char *id, char *buf, size_t len,
                    struct bv_error *err);
/* Creates the cgroup, enables the needed controllers on the way, writes limits. Returns an O_DIRECTORY fd. */
int ctr_cgroup_setup(const struct ctr_config *cfg, const char *path, struct bv_error *err);
/*
 * Attaches a cgroup v2 device program (BPF_PROG_TYPE_CGROUP_DEVICE) built
 * from the rules to the cgroup dirfd. Returns 0 or -errno.
 */
int ctr_devices_attach(int cgfd, const struct ctr_dev_rule *rules, size_t n, struct bv_error *err);
/* Sends sig to every process listed in the cgroup's cgroup.procs; -errno when it cannot be read. */
int ctr_cgroup_signal(const char *path, int sig);
/* Kills what is left in the cgroup (cgroup.kill or SIGKILL per pid) and removes it, bounded. */
int ctr_cgroup_destroy(const char *path, struct bv_error *err);
