/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctr/oci.h: OCI containers built by barevirt itself. This is the API the
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
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"

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

/* Sends sig to the init (all=true: to every process of its cgroup). */
int ctr_container_kill(const char *state_root, const char *id, int sig, bool all,
                       struct bv_error *err);

/*
 * Freezes (pause=true) a running container's cgroup through cgroup.freeze,
 * or thaws a paused one, waiting (bounded) until cgroup.events agrees. A
 * frozen cgroup makes the status "paused", as runc reports it.
 */
int ctr_container_pause(const char *state_root, const char *id, bool pause, struct bv_error *err);

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
 * *ret_pid. Blocks until it has exec'ed or failed (bounded).
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
