/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * barevirt-proxy: barevirtd's network front end (issue 15, item 7). The
 * parts:
 *   main.c      modes (--make-identity, --serve), the control socket, accepting
 *   sandbox.c   dropping to an unprivileged user, no_new_privs, the seccomp filter
 */
#pragma once

#include "common/common.h"

/*
 * Becomes user (a name in /etc/passwd; its uid must not be 0): an empty
 * capability bounding set, no supplementary groups, its gid and uid
 * (real, effective, saved), so no capabilities, no_new_privs, not
 * dumpable, SIGKILL when the parent dies, then a seccomp filter that
 * kills the process on any system call but those the event loop and the
 * relay need (opening a file fails with EACCES). Irreversible. 0 or -errno.
 */
int proxy_sandbox_enter(const char *user, struct bv_error *err);
