/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctr/ internals, shared by the files of each part: the OCI config model
 * and runtime state (oci-*.c), the engine clients' operations
 * (engine*.c), and the container lifecycle (ct-*.c).
 */
#pragma once

#include <jansson.h>
#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/common.h"
#include "ctr/ctr.h"

/* ---- the OCI config model (oci-config*.c) ------------------------------------------------ */
/*
 * Internal to the config.json parser (ctr/oci-config*.c): typed field
 * extraction with JSON paths in errors. Every function returns 0 (with the
 * out-parameter set, or NULL/untouched when the field is absent or null) or
 * -errno with err naming the path.
 */

struct ctr_config;

#define P_MAX 192

const char *ctr_cfg_type_name(const json_t *v);
int ctr_cfg_want(struct bv_error *err, const char *path, const char *what, const json_t *v);
/* t is the JSON type wanted; JSON_TRUE stands for "a boolean". */
int ctr_cfg_get(json_t *obj, const char *key, json_type t, const char *path, json_t **ret,
                struct bv_error *err);
int ctr_cfg_get_str(json_t *obj, const char *key, const char *path, const char **ret,
                    struct bv_error *err);
int ctr_cfg_get_bool(json_t *obj, const char *key, const char *path, bool *ret, struct bv_error *err);
int ctr_cfg_get_int(json_t *obj, const char *key, const char *path, int64_t min, int64_t max,
                    int64_t *ret, bool *present, struct bv_error *err);
/* obj's "uid" and "gid" (each 0 when absent). */
int ctr_cfg_get_ids(json_t *obj, const char *path, uid_t *ret_uid, gid_t *ret_gid, struct bv_error *err);
int ctr_cfg_get_u64(json_t *obj, const char *key, const char *path, uint64_t *ret, bool *present,
                    struct bv_error *err);
/* A malloc'ed NULL-terminated array of the strings of arr (pointers into arr). */
int ctr_cfg_str_array(json_t *arr, const char *path, const char ***ret, size_t *ret_n,
                      struct bv_error *err);
int ctr_cfg_get_str_array(json_t *obj, const char *key, const char *path, const char ***ret,
                          size_t *ret_n, struct bv_error *err);
int ctr_cfg_check_count(json_t *arr, const char *path, struct bv_error *err);
/* ctr_cfg_check_count(), then room for one element more than arr has (zeroed, malloc'ed) into *ret. */
int ctr_cfg_array_alloc(json_t *arr, const char *path, size_t size, void **ret, struct bv_error *err);
/* "private", "rslave", ... -> MS_* flags; -EINVAL when unknown. */
int ctr_cfg_propagation_parse(const char *s, unsigned long *ret);
/* Parses the "linux" object into cfg. */
int ctr_config_parse_linux(json_t *lx, struct ctr_config *cfg, struct bv_error *err);

/* Iterates over an optional array of objects with a bounded count. */
#define FOR_OBJECTS(arr, i, item, path, p, err)                                                 \
        for (size_t i = 0; i < json_array_size(arr); i++)                                      \
                if ((item = json_array_get(arr, i)),                                            \
                    snprintf(p, sizeof(p), "%s[%zu]", path, i),                                 \
                    !json_is_object(item) ? (r = ctr_cfg_want(err, p, "an object", item)) < 0 : 0)     \
                        return r;                                                               \
                else

/* ---- the OCI runtime (oci-*.c) ----------------------------------------------------------- */
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
        const char *apparmor_profile;  /* NULL or "": none */
        const char *selinux_label;     /* NULL or "": none */
};

struct ctr_sysctl {
        const char *key, *value;
};

/*
 * One write into a cgroup file, derived from linux.resources, in its cgroup
 * v2 form, its v1 form, or both: a host writes the v1 form where the v1
 * hierarchy of that controller is mounted, else the v2 form. A knob only
 * v1 has (memory.swappiness) is skipped on v2, as runc and crun do.
 */
struct ctr_cgroup_write {
        const char *controller;      /* v2: "memory", "pids", ... or NULL for core files */
        char file[64];               /* v2: "" when v2 has no such knob */
        char value[96];
        const char *v1_controller;   /* v1: NULL when v1 has no such knob */
        char v1_file[64];            /* alternatives separated by '|': the first that exists */
        char v1_value[96];
        bool v1_optional;            /* v1: skipped when no alternative exists (memsw without swap accounting) */
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
        const char *mount_label;            /* linux.mountLabel, NULL or "": none */
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
struct ctr_cgroup_plan;
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
        const struct ctr_cgroup_plan *cgroup_v1;  /* its v1 directories (a "cgroup" mount shows them), or NULL */
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

/*
 * Rlimits, the cwd (resolved in the current root and entered before the
 * filter), the AppArmor exec profile, noNewPrivileges, seccomp (when not
 * NNP; with NNP the caller loads it right before execve), groups, uid/gid,
 * capabilities, umask.
 */
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
/* ---- ctr/oci-lsm.c: AppArmor and SELinux ---- */

/* Which security modules this host enforces. */
struct ctr_lsm_host {
        bool apparmor;
        bool selinux;
};

/*
 * Reads what the host enforces under sys (normally "/sys"): AppArmor when
 * sys/module/apparmor/parameters/enabled says Y and securityfs shows
 * sys/kernel/security/apparmor (runc's test), SELinux when selinuxfs is
 * mounted (sys/fs/selinux/enforce exists). Never fails: what cannot be
 * read is not enabled.
 */
void ctr_lsm_host_detect(const char *sys, struct ctr_lsm_host *ret);

/*
 * Refuses what the host cannot honour, by key: process.apparmorProfile
 * where AppArmor is not enabled (the process would run unconfined without
 * a word), and linux.mountLabel and process.selinuxLabel where SELinux is
 * enabled (barevirt-runtime does not label, so the label would be dropped;
 * where SELinux is off both are ignored, as crun and runc do). cfg may be
 * NULL (exec: only p). Returns 0 or -EOPNOTSUPP.
 */
int ctr_lsm_check(const struct ctr_config *cfg, const struct ctr_process *p, const struct ctr_lsm_host *host,
                  struct bv_error *err);

/*
 * In the container process, before execve (and before the seccomp
 * filter): asks AppArmor to confine the next execve in p's profile,
 * writing "exec PROFILE" to /proc/thread-self/attr/apparmor/exec (or the
 * older attr/exec). Nothing to do without a profile.
 */
int ctr_lsm_apply_exec(const struct ctr_process *p, struct bv_error *err);

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

/* ---- ctr/oci-cgroup.c, ctr/cgroup-v1.c ---- */

/* The mount of the v1 hierarchy that holds controller c ("memory", "cpu", ...), NULL when none does. */
const char *ctr_cgroup_v1_mount(const struct ctr_cgroup_info *info, const char *c);
/* Whether controller c is enabled in the v2 root. */
bool ctr_cgroup_v2_has(const struct ctr_cgroup_info *info, const char *c);
/* Whether the host can enforce limit (a key of "limits": "memory", "cpus" ...); ct-spec.c. */
bool ctr_ct_limit_supported(const struct ctr_cgroup_info *cg, const char *limit);

enum { CTR_CGW_SKIP, CTR_CGW_V2, CTR_CGW_V1 /* + the index of the v1 file alternative */ };

/* Where a container's cgroup lives and where each of its writes goes (ctr_cgroup_plan()). */
struct ctr_cgroup_plan {
        struct ctr_cgroup_info info;
        char rel[2048];              /* under each hierarchy's root, no leading '/'; "" without cgroups */
        char v2[4096];               /* the v2 cgroup directory, "" without a v2 tree */
        unsigned char how[64];       /* per cgroup write: CTR_CGW_* */
};

/*
 * The container's cgroup path relative to a hierarchy's root: cgroupsPath
 * (a path; systemd's "slice:prefix:name" expanded as runc names its scope:
 * "machine.slice:libpod:ID" -> "machine.slice/libpod-ID.scope") or
 * "barevirt/<id>". -EINVAL for a malformed systemd form or the root.
 */
int ctr_cgroup_rel(const char *cgroups_path, const char *id, char *buf, size_t len, struct bv_error *err);
/*
 * Plans the container's cgroup: detects the host, resolves the paths, and
 * decides for every write whether it goes through v1 (where its controller's
 * v1 hierarchy is mounted) or v2. Refuses, naming the JSON path and the
 * controller, a write the host cannot enforce. Makes nothing.
 */
int ctr_cgroup_plan(const struct ctr_config *cfg, const char *id, struct ctr_cgroup_plan *p, struct bv_error *err);
/* Creates the v2 cgroup, enables the needed controllers on the way, writes its limits. Returns an O_DIRECTORY fd. */
int ctr_cgroup_setup(const struct ctr_config *cfg, const struct ctr_cgroup_plan *p, struct bv_error *err);
/* Writes value to dir/file (a cgroup file: no O_CREAT, no symlink). 0 or -errno. */
int ctr_cgroup_file_write(const char *dir, const char *file, const char *value);
/* The config's device rules plus the ones runc and crun always allow after them, malloc'ed. */
int ctr_dev_rules_full(const struct ctr_config *cfg, struct ctr_dev_rule **ret, size_t *ret_n);
/*
 * Attaches a cgroup v2 device program (BPF_PROG_TYPE_CGROUP_DEVICE) built
 * from the rules to the cgroup dirfd. Returns 0 or -errno.
 */
int ctr_devices_attach(int cgfd, const struct ctr_dev_rule *rules, size_t n, struct bv_error *err);
/*
 * The v1 side (cgroup-v1.c): makes the directory in every v1 hierarchy
 * (-EEXIST when one exists: another container's), copying cpuset's CPUs and
 * nodes into each new level, writes the v1 form of the writes planned for
 * v1, and the device rules into devices.allow/deny. The caller removes what
 * was made on failure (ctr_cgv1_destroy()).
 */
int ctr_cgv1_setup(const struct ctr_config *cfg, const struct ctr_cgroup_plan *p, struct bv_error *err);
/*
 * Moves pid into the container's directory of every v1 hierarchy. pid 0
 * moves the calling thread through "tasks", which the kernel does without
 * the global threadgroup lock (no RCU grace period: ~0.05 ms, not 7-12 ms);
 * only for a single-threaded caller, whose thread is its process.
 */
int ctr_cgv1_join(const struct ctr_cgroup_info *info, const char *rel, pid_t pid, struct bv_error *err);
/* Thaws, kills what is left, removes every directory (and the parent right under a mount when empty). */
void ctr_cgv1_destroy(const struct ctr_cgroup_info *info, const char *rel);
/* The container's directory in controller's v1 hierarchy into buf; -ENOENT when it is not mounted. */
int ctr_cgv1_path(const struct ctr_cgroup_info *info, const char *rel, const char *controller, char *buf, size_t len);
/* Alternative idx of a v1 file list ("a|b") into buf; with mount m, true only when m has that file. */
bool ctr_cgv1_file_pick(const char *m, const char *alts, unsigned idx, char *buf, size_t len);
/* Sends sig to every process listed in the cgroup's cgroup.procs; -errno when it cannot be read. */
int ctr_cgroup_signal(const char *path, int sig);
/* Kills what is left in the cgroup (cgroup.kill or SIGKILL per pid) and removes it, bounded. */
int ctr_cgroup_destroy(const char *path, struct bv_error *err);

/* ---- freezing (oci-freeze.c) ------------------------------------------------------------- */
/*
 * A freezer backend: set() asks to freeze or thaw (returns at once), get()
 * is 1 once frozen, 0 when not (also while still freezing), asked() 1 when
 * a freeze was asked (frozen or freezing); -errno when unreadable.
 */
enum ctr_freezer_kind { CTR_FREEZER_V2, CTR_FREEZER_V1 };
struct ctr_freezer_ops {
        const char *name;
        int (*set)(const char *dir, bool frozen);
        int (*get)(const char *dir);
        int (*asked)(const char *dir);
};
struct ctr_saved;
/* The saved container's backend and its directory (*ret_dir), NULL when it has no cgroup. */
const struct ctr_freezer_ops *ctr_freezer_of(const struct ctr_saved *s, const char **ret_dir);
/* ---- the runtime state (oci-state.c) ----------------------------------------------------- */
/*
 * Internal: the per-container state directory <root>/<id>/ shared by
 * create (ctr/oci-container.c), exec (ctr/oci-exec.c) and the lifecycle
 * verbs (ctr/oci-state.c). state.json is written once, atomically, at
 * create; the status is derived at read time from the init's pid (with its
 * start time, against pid reuse) and the presence of exec.fifo.
 */

struct ctr_saved {
        char id[130];
        char bundle[4096];
        char cgroup[4096];           /* the v2 cgroup, "" without a v2 tree */
        char cgroup_v1[2048];        /* the path under each v1 hierarchy, "" on pure v2 hosts */
        char freezer[4096];          /* the v1 freezer cgroup, "" when the v2 one freezes */
        char dir[4096];
        pid_t pid;
        uint64_t starttime;
        json_t *annotations;         /* new reference or NULL */
        enum ctr_status status;      /* derived */
};

/* The spec's state object as compact text (malloc'ed), NULL on ENOMEM. */
char *ctr_state_json_text(const char *id, enum ctr_status status, pid_t pid, const char *bundle,
                          json_t *annotations);

/* Makes <root>/<id> (root with mkdir -p); -EEXIST when the id is taken. */
int ctr_state_dir_make(const char *root, const char *id, char *buf, size_t len, struct bv_error *err);

/* Writes pid as text into path (atomically), for --pid-file. */
int ctr_pid_file_write(const char *path, pid_t pid, struct bv_error *err);

/* Removes exec.fifo, state.json and the directory itself (best effort). */
void ctr_state_dir_remove(const char *dir);

/* Writes state.json for a created container. */
/* Names the cgroups create is about to make (cgroups.pending), so delete --force finds them if it is killed. */
int ctr_state_pending_write(const char *dir, const char *v2, const char *v1, struct bv_error *err);
/* A container's cgroup directories as the state file records them ("" for none). */
struct ctr_saved_cgroups {
        const char *v2, *v1, *freezer;
};
int ctr_state_write(const char *dir, const struct ctr_create_opts *o, pid_t pid, const struct ctr_saved_cgroups *cg,
                    const char *rootfs, json_t *annotations, struct bv_error *err);

/* The directory whose cgroup.procs lists the container's processes (v2, else a v1 one) into buf; false: none. */
bool ctr_saved_procs_dir(const struct ctr_saved *s, char *buf, size_t len);
/* Loads <root>/<id>/state.json and derives the status. -ENOENT when absent. */
int ctr_state_load(const char *root, const char *id, struct ctr_saved *ret, struct bv_error *err);

/* Start time (clock ticks since boot) of pid, from /proc/<pid>/stat; 0 if gone; *zombie set. */
uint64_t ctr_pid_starttime(pid_t pid, bool *zombie);

/* ---- the engine clients (engine*.c) ------------------------------------------------------ */
/*
 * What differs between container engines: one table per backend
 * (engine-docker.c, engine-podman.c), used by engine*.c; and the call
 * machinery shared by engine.c (core calls), engine-ops.c (create, exec,
 * images, ...) and engine-stream.c (events, logs follow). Internal to ctr/.
 */

struct ctr_engine_backend {
        const char *name;          /* "docker": ref prefix and instance type */
        const char *title;         /* "Docker": for messages */
        const char *max_version;   /* highest compat API version we speak with it */
        const char *min_version;   /* lowest we accept */
        const char *ping_path;     /* liveness check, answers "OK" */
        const char *version_path;  /* unversioned: {"Version", "ApiVersion", "MinAPIVersion"} */
        /* The engine's state word mapped to barevirt's (running, paused, exited, ...). */
        const char *(*map_state)(const char *engine_state);
        /* The human text of an error body (status >= 400) into buf. */
        void (*error_text)(const json_t *body, char *buf, size_t len);
        /* The errno for an error reply (status >= 400) with that text. */
        int (*error_errno)(int status, const char *text);
        /* An event's action word mapped to Docker's ("died" -> "die"), or
         * NULL to drop the event (engine-internal noise). */
        const char *(*map_action)(const char *action);
        /* The path (after the version prefix) that loads an image tarball. */
        const char *image_load_path;
        /* The container list: path, and whether it takes the version prefix. */
        const char *list_path;
        bool list_versioned;
};

/* Shared helpers: body's "message" string, or nothing; errno of an HTTP status. */
void ctr_engine_error_message(const json_t *body, char *buf, size_t len);
int ctr_engine_status_errno(int status, const char *text);

struct ctr_engine {
        const struct ctr_engine_backend *b;
        struct bv_loop *loop;
        struct bv_http_client *client;
        char socket[256];
        char version[16];           /* negotiated, "" when not */
        struct engine_op *ops;      /* every call in flight */
};

struct engine_op;
/* Handles a successful (status < 400) reply. Returns 0 with *ret (may be
 * NULL), 1 when the op continued with another exchange (or a timer), or
 * -errno. */
typedef int (*op_finish_fn)(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                            struct bv_error *err);

struct engine_op {
        struct ctr_engine *e;
        struct engine_op *next, *prev;
        struct bv_http_client *own;  /* a dedicated connection for long calls, or NULL */
        const char *method;
        char path[1024];            /* after the version prefix */
        bool versioned;
        uint64_t timeout_usec;
        size_t max_body;
        op_finish_fn finish;
        bool negotiating;           /* the exchange in flight negotiates (ping, or /version) */
        bool negotiating_full;      /* ... and it is GET /version */
        ctr_engine_done_cb done;
        void *userdata;
        char *body;                 /* request body (owned), or NULL */
        size_t body_len;
        const char *content_type;
        /* logs, exec */
        char id[160];
        char exec_id[160];
        char exec_cmd[128];        /* exec: its cmd[0], for the message when it cannot run */
        int tail;
        bool tty;
        int tries;
        json_t *acc;                /* what an op collects across exchanges */
        struct bv_timer *timer;
};

struct engine_op *ctr_engine_op_new(struct ctr_engine *e, const struct ctr_engine_opts *o, ctr_engine_done_cb done,
                                    void *userdata);
/* Gives op its own connection (for calls that may take long, so they never
 * hold up the engine's shared one). Returns 0 or -errno. */
int ctr_engine_op_own_client(struct engine_op *op, struct bv_error *err);
/* Sends op's (next) exchange, negotiating first when needed. On failure
 * op_start frees op; op_send leaves it to the caller. */
int ctr_engine_op_start(struct engine_op *op, struct bv_error *err);
int ctr_engine_op_send(struct engine_op *op, struct bv_error *err);
/* An op on /containers/ID<suffix>, id checked. */
int ctr_engine_id_op(struct ctr_engine *e, const char *id, const char *method, const char *suffix, op_finish_fn finish,
                     const struct ctr_engine_opts *o, ctr_engine_done_cb done, void *userdata, struct bv_error *err,
                     struct engine_op **ret);
/* ctr_engine_id_op() and ctr_engine_op_start() in one: the common shape of a call on one container. */
int ctr_engine_id_call(struct ctr_engine *e, const char *id, const char *method, const char *suffix,
                       op_finish_fn finish, const struct ctr_engine_opts *o, ctr_engine_done_cb done, void *userdata,
                       struct bv_error *err);
/*
 * POST /containers/ID/<verb>[?t=grace_sec] (stop, restart): grace_sec < 0 is
 * the engine's default (10 s); the timeout covers the grace time, and the
 * call gets its own connection, so it never holds up other calls.
 */
int ctr_engine_grace_call(struct ctr_engine *e, const char *id, const char *verb, int grace_sec,
                          const struct ctr_engine_opts *o, ctr_engine_done_cb done, void *userdata,
                          struct bv_error *err);
/* Sets op's request body (copied). */
int ctr_engine_op_set_body(struct engine_op *op, const char *content_type, const void *body, size_t len,
                           struct bv_error *err);
/* Ends op: done, then frees it. */
void ctr_engine_op_finish(struct engine_op *op, int r, json_t *result, const struct bv_error *err);
/* Frees an op that is not in flight (not started, or ended) with what it owns. */
void ctr_engine_op_free(struct engine_op *op);

/* Reply readers. */
int ctr_engine_load_reply(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                          struct bv_error *err);
int ctr_engine_finish_json_object(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                                  struct bv_error *err);
int ctr_engine_finish_none(struct engine_op *op, const struct bv_http_response *resp, json_t **ret,
                           struct bv_error *err);
/* The API version from a /version reply into e->version. */
int ctr_engine_negotiate(struct ctr_engine *e, const json_t *v, struct bv_error *err);
/* The API version from a ping reply's Api-Version header (what Docker's
 * own client does; Podman's /version takes seconds): 0 when negotiated, 1
 * when the header is missing and /version must be asked, or -errno. */
int ctr_engine_negotiate_ping(struct ctr_engine *e, const struct bv_http_response *resp, struct bv_error *err);
/* The error of an unreachable engine (and forgets the version). */
int ctr_engine_unreachable(struct ctr_engine *e, int r, const struct bv_error *cause, struct bv_error *err);
/* The error of a reply with status >= 400. */
int ctr_engine_http_error(struct ctr_engine *e, const struct bv_http_response *resp, struct bv_error *err);

/* Terminal reply handlers by name, for ctr_engine_reply_replay() (tests, fuzzing). */
struct engine_reply_kind {
        const char *name;
        op_finish_fn finish;
};
extern const struct engine_reply_kind ctr_engine_core_replies[];  /* engine.c, ended by {} */
extern const struct engine_reply_kind ctr_engine_ops_replies[];   /* engine-ops.c, ended by {} */

/* ---- the container lifecycle (ct-*.c) ---------------------------------------------------- */
/*
 * ctr/ internals of the container lifecycle, shared by its files:
 *   ct-host.c     the shared context: runtime binary, cgroups, jobs, user namespace ranges
 *   ct-life.c     the object, its states, waiters and events; start, stop, kill, restart
 *   ct-monitor.c  the monitor: spawn, ready line, subscription, stop/kill requests, adoption
 *   ct-prepare.c  the host side of a start (userns, rootfs, netns, bundle) and its teardown
 *   ct-net.c      network namespaces and veths over net/
 *   ct-store.c    create (host checks, image import, definition) and delete
 *   ct-json.c     the API's JSON, live usage from the cgroup
 *   ct-log.c      console log reading and following
 *   ct-exec.c     exec through the runtime
 *
 * Invariants: a container's monitor, once started, outlives the owner;
 * everything the owner holds for it (the subscription socket, namespace
 * pins, overlay and idmapped mounts) can be found again from its run
 * directory. Nothing blocks the loop.
 */

struct bv_jobs;
struct ctr_ct_waiter;

struct ctr_ct_host {
        struct ctr_ct_host_opts o;
        char runtime_path[PATH_MAX];   /* barevirt-runtime on disk ("" when not found) */
        int runtime_fd;                /* sealed memfd copy, or -1 (exec the path) */
        char runtime_root[PATH_MAX];   /* RUN/runtime */
        struct ctr_cgroup_info cg;     /* detected once */
        int cg_ok;                     /* 0 or the -errno of the detection */
        int host_netns_fd;             /* the owner's network namespace */
        struct bv_jobs *jobs;          /* children in flight */
        struct ctr_ct *cts;            /* every container of this host (user namespace ranges) */
};

struct ctr_ct {
        struct ctr_ct_host *h;
        struct ctr_ct *next;            /* in h->cts */
        struct ctr_ct_def *def;
        enum ctr_ct_state state;
        struct ctr_ct_status st;        /* last status known from the monitor */
        bool have_status;
        pid_t monitor_pid;
        bool monitor_is_child;          /* spawned by this owner (reaped through the loop) */
        bool deleting;
        char error[256];                /* last start failure, "" when none */
        char veth[CTR_CT_MAX_NICS][IFNAMSIZ]; /* host ends while running ("" unknown) */
        uint64_t net_usec;              /* last network attach (veths, bridge ports, addresses, up) */
        uint64_t netns_usec;            /* last network namespace creation */
        uint64_t t_start, t_spawned;    /* monotonic times of the last start request and monitor spawn */
        /* start: the monitor's ready pipe */
        int ready_fd;
        struct bv_watch *ready_watch;
        struct bv_timer *ready_timer;
        char ready_buf[512];
        size_t ready_len;
        struct bv_child *mon_child;
        /* subscription to monitor.sock */
        int sub_fd;
        struct bv_watch *sub_watch;
        char sub_buf[1024];
        size_t sub_len;
        /* control request (stop/kill) on its own connection */
        int ctl_fd;
        struct bv_watch *ctl_watch;
        struct bv_timer *ctl_timer;
        char ctl_buf[1024];
        size_t ctl_len;
        bool ctl_answered;
        struct bv_timer *adopt_timer;   /* re-adoption retry */
        unsigned adopt_attempt;
        struct ctr_ct_waiter *waiters;
        struct ctr_ct_op *op;           /* create or delete in flight (ct-store.c) */
        struct bv_log_follower *followers;
        /* pause/resume in flight (ct-pause.c): the freezer is polled until it agrees */
        struct bv_timer *freeze_timer;
        bool freeze_want;
};

/* ---- ct-pause.c -------------------------------------------------------------------- */
/* Whether the container's freezer says frozen (for adoption). */
bool ctr_ct_frozen(const struct ctr_ct *ct);
/* Asks the freezer to thaw (a pause in flight is cancelled); for stop and kill of a paused container. */
void ctr_ct_thaw(struct ctr_ct *ct);

/* ---- ct-host.c -------------------------------------------------------------------- */
/* Formats a message for the owner's log (level as in struct ctr_ct_host_opts.on_log). */
void ctr_ct_log(const struct ctr_ct_host *h, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define CTR_LOG_ERR 0
#define CTR_LOG_WARN 1
#define CTR_LOG_INFO 2
#define CTR_LOG_DEBUG 3
/* RUN/containers/NAME[/file] and STATE/containers/NAME[/file]. */
void ctr_ct_run_path(const struct ctr_ct *ct, const char *file, char *buf, size_t len);
void ctr_ct_state_path(const struct ctr_ct *ct, const char *file, char *buf, size_t len);
/* The cgroup layout to check limits against (none at all when detection failed). */
const struct ctr_cgroup_info *ctr_ct_host_cgroups(const struct ctr_ct_host *h);
/* A free range of CTR_CT_USERNS_SIZE host ids. */
uint32_t ctr_ct_host_userns_alloc(const struct ctr_ct_host *h);

/* ---- ct-life.c -------------------------------------------------------------------- */
/*
 * Waiters: operations answered when the container reaches a state.
 * CTR_CT_WAIT_START: running (or a start failure); CTR_CT_WAIT_END: ended
 * (created, stopped, crashed); CTR_CT_WAIT_EXIT: any exit (also one followed
 * by a restart); CTR_CT_WAIT_NOW: nothing but its timer, which answers 0;
 * CTR_CT_WAIT_OP: the create or delete in flight (ct->op); CTR_CT_WAIT_FREEZE:
 * a pause or resume (ct-pause.c).
 */
enum ctr_ct_wait { CTR_CT_WAIT_START, CTR_CT_WAIT_END, CTR_CT_WAIT_EXIT, CTR_CT_WAIT_NOW, CTR_CT_WAIT_OP, CTR_CT_WAIT_FREEZE };
int ctr_ct_wait_add(struct ctr_ct *ct, enum ctr_ct_wait what, uint64_t timeout_usec, ctr_ct_done_cb cb, void *userdata);
/* Drops the waiters for what without calling them (an operation refused after all). */
void ctr_ct_wait_cancel(struct ctr_ct *ct, enum ctr_ct_wait what);
/* Answers the waiters for what (all of them when what < 0) with r and msg. */
void ctr_ct_waiters_fire(struct ctr_ct *ct, int what, int r, const char *msg);
void ctr_ct_set_state(struct ctr_ct *ct, enum ctr_ct_state s);
void ctr_ct_emit(struct ctr_ct *ct, const char *event, json_t *data /* stolen, may be NULL */);
bool ctr_ct_state_ended(enum ctr_ct_state s);
/* The container ended for good: final status, host side undone, waiters answered. */
void ctr_ct_finish(struct ctr_ct *ct, const char *why);
/* Asks the monitor to stop (timeout < 0: the definition's); 0 also when it is stopping already. */
int ctr_ct_stop_now(struct ctr_ct *ct, int timeout, struct bv_error *err);
/* Fills the status of a container that (re)started now, pid its init. */
void ctr_ct_status_started(struct ctr_ct *ct, pid_t pid);
/* Fills the status of a container whose init exited now. */
void ctr_ct_status_ended(struct ctr_ct *ct, int exit_code, int signo, bool oom_killed);

/* ---- ct-store.c ------------------------------------------------------------------- */
/* Detaches the create or delete in flight from ct (which is being forgotten). */
void ctr_ct_op_detach(struct ctr_ct *ct);

/* ---- ct-monitor.c ----------------------------------------------------------------- */
/* Spawns the monitor on the prepared bundle; its ready line moves the container on. */
int ctr_ct_monitor_spawn(struct ctr_ct *ct, struct bv_error *err);
/* Sends a stop (timeout seconds) or kill (signo) request to the monitor. */
int ctr_ct_monitor_stop(struct ctr_ct *ct, int timeout, struct bv_error *err);
int ctr_ct_monitor_kill(struct ctr_ct *ct, int signo, struct bv_error *err);
/* Re-adopts what the run directory says about ct (at the owner's start). */
void ctr_ct_monitor_adopt(struct ctr_ct *ct);
/* Reads monitor.json into ct->st; returns 0 or -errno. */
int ctr_ct_monitor_read_status(struct ctr_ct *ct);
/* Drops every loop source of ct's monitor connections. */
void ctr_ct_monitor_detach(struct ctr_ct *ct);

/* ---- ct-prepare.c ----------------------------------------------------------------- */
/* Everything a start needs on the host, up to the bundle's config.json; undone on failure. */
int ctr_ct_prepare(struct ctr_ct *ct, struct bv_error *err);
/* Undoes what start prepared on the host (namespace pins, mounts); idempotent. */
void ctr_ct_host_teardown(struct ctr_ct *ct);
/*
 * The monitor died without writing the container's end: the status becomes
 * crashed (pid 0) and whatever it left is removed, as `delete --force`
 * would (its init, which dies with the monitor anyway, every process of its
 * cgroup, the cgroup and the runtime state). Blocks briefly (bounded).
 */
void ctr_ct_reap_orphan(struct ctr_ct *ct);
/* Whether the rootfs could be idmapped (the idmapped view is a mount root). */
bool ctr_ct_rootfs_idmapped(const struct ctr_ct *ct);

/* ---- ct-net.c ----------------------------------------------------------------------- */
/*
 * Creates a new network namespace bind-mounted on path (an empty file is
 * created there) without leaving the caller's own namespace (host_netns_fd:
 * an fd of it, to return to). *ret_fd: an fd of the new namespace.
 */
int ctr_ct_netns_create(const char *path, int host_netns_fd, int *ret_fd, struct bv_error *err);
/* Bind-mounts the namespace nsfd on path (an empty file is created there), so that it outlives its processes. */
int ctr_ct_ns_pin(const char *path, int nsfd, struct bv_error *err);
/*
 * Unmounts (lazily) and removes a namespace file made by ctr_ct_ns_pin(); for a
 * netns the kernel then destroys the namespace and its veths.
 */
int ctr_ct_netns_remove(const char *path);

struct ctr_ct_net_nic {
        const char *host_ifname;   /* host end, on bridge */
        const char *bridge;
        const char *ifname;        /* inside: "eth0", ... */
        const uint8_t *mac;        /* inside end's MAC */
        const char *ip;            /* CIDR or NULL */
        const char *gw;            /* or NULL */
        unsigned mtu;              /* 0: default */
};
/*
 * One veth per NIC: the inside end is created directly in the namespace
 * nsfd, the host end joins the bridge and comes up in the same request; then
 * (through ns, a context inside the namespace) MAC, address, lo and eth up,
 * default route. A failure removes what this call made.
 */
int ctr_ct_net_attach(struct net_ctx *host, int nsfd, struct net_ctx *ns, const struct ctr_ct_net_nic *nic,
                  bool first, struct bv_error *err);
/* Host end name for NIC index of a container: "vc" + 8 hex (name hash) + 2 hex (salt) + index. */
void ctr_ct_net_host_ifname(const char *name, unsigned salt, unsigned index, char buf[IFNAMSIZ]);
/*
 * The host ends of an adopted container's NICs (whose salt the owner that
 * started it knew): the veths named for its NICs, preferring bridge ports.
 * Blocks for one netlink dump; leaves a NIC "" when none is found.
 */
void ctr_ct_net_find_veths(struct ctr_ct *ct);

/* ---- ct-log.c ----------------------------------------------------------------------- */
/* Ends every follower of ct (the container ended, or it is being freed). */
void ctr_ct_log_end_followers(struct ctr_ct *ct);
