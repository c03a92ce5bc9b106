/* SPDX-License-Identifier: GPL-2.0-or-later */
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
#pragma once

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/loop.h"
#include "ctr/ct.h"

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
        struct ctr_ct_follower *followers;
};

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
 * CTR_CT_WAIT_OP: the create or delete in flight (ct->op).
 */
enum ctr_ct_wait { CTR_CT_WAIT_START, CTR_CT_WAIT_END, CTR_CT_WAIT_EXIT, CTR_CT_WAIT_NOW, CTR_CT_WAIT_OP };
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

/* ---- ct-log.c ----------------------------------------------------------------------- */
/* Ends every follower of ct (the container ended, or it is being freed). */
void ctr_ct_log_end_followers(struct ctr_ct *ct);
