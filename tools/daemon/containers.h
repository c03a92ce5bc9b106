/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirtd's containers, shared by the files that implement them:
 *   api-containers.c  /v1/containers: definitions, create, delete, list, show, exec, logs
 *   ct-run.c          lifecycle: start (run dir, overlay, netns, bundle, monitor),
 *                     the monitor connection (state changes), stop/kill, re-adoption
 *   ct-net.c          network namespaces and veths over net/ (no barevirtd state:
 *                     tests/bench links it as it is)
 *   ct-proc.c         child processes watched on the loop: the monitor spawn,
 *                     runtime exec with captured output, forked blocking jobs
 *
 * Invariants: one struct ct per definition file (STATE/containers/NAME.json),
 * plus entries in state CT_CREATING while an image imports (not yet on disk).
 * A ct's monitor, once started, outlives barevirtd; everything barevirtd
 * holds for it (the subscription socket, the netns and userns files, the
 * overlay and idmapped mounts)
 * can be found again from the run directory at the next start. Nothing here
 * blocks the loop: the blocking library calls (image import, recursive
 * removal, runtime exec) run in children.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctr/ct.h"
#include "ctr/ctr.h"
#include "tools/daemon/daemon.h"

struct net_ctx;
struct ct_waiter;
struct ct_follower;

enum ct_state {
        CT_CREATING,     /* image import running; not on disk yet */
        CT_CREATED,      /* defined, never started (no monitor.json) */
        CT_STARTING,     /* monitor spawned, waiting for its ready line */
        CT_RUNNING,
        CT_RESTARTING,   /* the monitor waits for the restart backoff */
        CT_STOPPING,
        CT_STOPPED,
        CT_CRASHED,
};

const char *ct_state_name(enum ct_state s);

struct ct {
        struct containers *cts;
        struct ctr_ct_def *def;
        enum ct_state state;
        struct ctr_ct_status st;      /* last status known from the monitor */
        bool have_status;
        pid_t monitor_pid;
        bool monitor_is_child;        /* spawned by this barevirtd (reaped through the loop) */
        bool deleting;
        bool stop_requested;
        char error[256];              /* last start failure, "" when none */
        char veth[CTR_CT_MAX_NICS][IFNAMSIZ]; /* host ends while running ("" unknown) */
        uint64_t net_usec;            /* last network attach (veths, bridge ports, addresses, up), microseconds */
        uint64_t netns_usec;          /* last network namespace creation, microseconds */
        uint64_t t_start, t_spawned;  /* monotonic times of the last start request and monitor spawn */
        /* start */
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
        struct ct_waiter *waiters;
        struct ct_follower *followers;
};

struct containers {
        struct barevirtd *d;
        struct ct **v;
        size_t n;
        char runtime_path[4096];      /* barevirt-runtime on disk */
        int runtime_fd;               /* sealed memfd copy, or -1 (exec the path) */
        char runtime_root[4096];      /* RUN/runtime */
        struct ctr_cgroup_info cg;    /* detected once at start */
        int cg_ok;                    /* 0 or the -errno of the detection */
        int host_netns_fd;            /* barevirtd's own network namespace */
        struct ct_job *jobs;          /* running children (ct-proc.c) */
};

/* ---- api-containers.c ------------------------------------------------------- */
struct ct *cts_find(struct barevirtd *d, const char *name);
/* A container as the API shows it: full (definition, usage, paths) or the list summary. */
json_t *ct_to_json(struct ct *ct, bool full);
/* Paths of a container's files. */
void ct_run_path(struct ct *ct, const char *file, char *buf, size_t len);
void ct_state_path(struct ct *ct, const char *file, char *buf, size_t len);
/* Store the definition (atomically). */
int ct_store_def(struct ct *ct, struct bv_error *err);
/* The follower list of a container changed state: ends follow streams of a stopped one. */
void ct_logs_state_changed(struct ct *ct);

/* ---- ct-run.c --------------------------------------------------------------- */
/*
 * Waiters: HTTP requests answered when the container reaches a state.
 * CT_WAIT_START: running (or a start failure); CT_WAIT_END: stopped/crashed;
 * CT_WAIT_EXIT: any exit (also one followed by a restart).
 */
enum ct_wait { CT_WAIT_START, CT_WAIT_END, CT_WAIT_EXIT };
typedef void (*ct_wait_cb)(struct ct *ct, int r, const char *msg, void *userdata);
int ct_wait_add(struct ct *ct, enum ct_wait what, uint64_t timeout_usec, ct_wait_cb cb, void *userdata);

/* Starts a stopped/created/crashed container. 0: cb follows; < 0: refused now (err). */
int ct_start(struct ct *ct, struct bv_error *err);
/* Asks the monitor to stop (timeout < 0: the definition's stop timeout). */
int ct_stop(struct ct *ct, int timeout, struct bv_error *err);
/* Sends signo to the container's init through the monitor. */
int ct_kill(struct ct *ct, int signo, struct bv_error *err);
/* Re-adopts what the run directory says about ct (at barevirtd start). */
void ct_adopt(struct ct *ct);
/* Drops every loop source and waiter of ct (waiters get -ECANCELED). */
void ct_detach(struct ct *ct, const char *why);
/* Undoes what start prepared on the host (netns, overlay); idempotent. */
void ct_host_teardown(struct ct *ct);
/* The runtime binary: path for display, and the fd to exec (or -1). */
int cts_runtime_init(struct containers *cts, const char *configured, struct bv_error *err);

/* ---- ct-net.c --------------------------------------------------------------- */
/*
 * Creates a new network namespace bind-mounted on path (an empty file is
 * created there) without leaving barevirtd's own namespace (host_netns_fd:
 * an fd of it, to return to). *ret_fd: an fd of the new namespace.
 */
int ct_netns_create(const char *path, int host_netns_fd, int *ret_fd, struct bv_error *err);
/* Bind-mounts the namespace nsfd on path (an empty file is created there), so that it outlives its processes. */
int ct_ns_pin(const char *path, int nsfd, struct bv_error *err);
/*
 * Unmounts (lazily) and removes a namespace file made by ct_ns_pin(); for a
 * netns the kernel then destroys the namespace and its veths.
 */
int ct_netns_remove(const char *path);

struct ct_net_nic {
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
int ct_net_attach(struct net_ctx *host, int nsfd, struct net_ctx *ns, const struct ct_net_nic *nic,
                  bool first, struct bv_error *err);
/* Host end name for NIC index of a container: "vc" + 8 hex (name hash) + 2 hex (salt) + index. */
void ct_net_host_ifname(const char *name, unsigned salt, unsigned index, char buf[IFNAMSIZ]);

/* ---- ct-proc.c -------------------------------------------------------------- */
/*
 * Spawns argv (argv[0] shown; executes exe_fd when >= 0, else argv[0]) in a
 * new session with stdin/stdout/stderr from fds[0..2] (-1: /dev/null) and
 * extra_fd as fd 3 (-1: none), every other fd closed by close-on-exec, signal
 * mask and dispositions reset. Returns 0 with *ret_pid, or -errno.
 */
int ct_spawn(int exe_fd, char *const argv[], const int fds[3], int extra_fd, bool setsid_,
             pid_t *ret_pid);

struct ct_job;
/* A finished job: status as from waitpid (-1 on timeout), captured stdout/stderr (NUL-terminated). */
typedef void (*ct_job_cb)(int status, const char *out, size_t out_len, const char *errout,
                          size_t err_len, bool truncated, void *userdata);
/*
 * Runs argv like ct_spawn (no new session) with stdout and stderr captured
 * up to max bytes each; the child is killed after timeout_usec (0: none).
 */
int ct_job_spawn(struct barevirtd *d, int exe_fd, char *const argv[], size_t max,
                 uint64_t timeout_usec, ct_job_cb cb, void *userdata);
/*
 * Forks a child that runs fn(arg, msgbuf) (which may block); the child
 * sends what fn left in msgbuf (an error message, or a result) to the parent. cb gets fn's result
 * (0 or -errno) and the message. timeout_usec 0: none.
 */
typedef int (*ct_fork_fn)(void *arg, char *out, size_t len);
typedef void (*ct_fork_cb)(int r, const char *out, void *userdata);
int ct_job_fork(struct barevirtd *d, ct_fork_fn fn, void *arg, uint64_t timeout_usec, ct_fork_cb cb,
                void *userdata);
/* Kills every running job; their callbacks run as for a timeout. */
void cts_jobs_free(struct containers *cts);
