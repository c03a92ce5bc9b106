/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt-proxy: barevirtd's network front end (issue 15, item 7). The
 * parts:
 *   main.c      modes (--make-identity, --serve), the control socket, accepting
 *   sandbox.c   dropping to an unprivileged user, no_new_privs, the seccomp filter
 *   admit.c     connection limits in all and per client address, reports of refusals
 */
#pragma once

#include <sys/socket.h>
#include <time.h>

#include "common/common.h"
#include "tls/tls.h"

/* Connection limits, and refusals reported to barevirtd on ctl_fd (admit.c). */
struct proxy_source;
struct proxy_admit {
        struct proxy_source *src;     /* max_conns slots */
        unsigned max_conns, max_per_source, n_conns;
        int ctl_fd;
        struct bv_loop *loop;
        struct bv_timer *flush;       /* reports what was suppressed once the second is over */
        time_t window;                /* the second reports are counted in */
        unsigned in_window, suppressed;
        char last_peer[TLS_PEER_MAX], last_reason[TLS_REASON_MAX];  /* of the last suppressed refusal */
};
/*
 * Room for max_conns connections, at most max_per_source (0: no own
 * limit) from one address; refusals reported on ctl_fd. 0 or -ENOMEM.
 */
int proxy_admit_init(struct proxy_admit *a, struct bv_loop *loop, unsigned max_conns, unsigned max_per_source,
                     int ctl_fd);
/* Counts a new connection from ss, or NULL with *why when a limit is reached. */
struct proxy_source *proxy_admit(struct proxy_admit *a, const struct sockaddr_storage *ss, const char **why);
/* The end of a connection proxy_admit() counted (NULL accepted). */
void proxy_release(struct proxy_admit *a, struct proxy_source *s);
/* Tells barevirtd that a connection from peer was refused, and why (rate-limited, never blocks). */
void proxy_report(struct proxy_admit *a, const char *peer, const char *reason);

/*
 * Becomes user (a name in /etc/passwd; its uid must not be 0): an empty
 * capability bounding set, no supplementary groups, its gid and uid
 * (real, effective, saved), so no capabilities, no_new_privs, not
 * dumpable, SIGKILL when the parent dies, then a seccomp filter that
 * kills the process on any system call but those the event loop and the
 * relay need (opening a file fails with EACCES). Irreversible. 0 or -errno.
 */
int proxy_sandbox_enter(const char *user, struct bv_error *err);
