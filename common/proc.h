/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Child processes outside the event loop, for probes and tools: wait with a
 * timeout (pidfd + poll), run a command and capture its output. These
 * block; barevirtd only calls them from forked helper processes.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

/*
 * Waits up to timeout_ms for pid to exit and reaps it. Returns 0 with
 * *ret_status set, -ETIMEDOUT (the child is left running), or -errno.
 */
int bv_proc_wait_timeout(pid_t pid, unsigned timeout_ms, int *ret_status);

/*
 * Runs argv (argv[0] is a path, not searched in $PATH) with stdin from
 * /dev/null and stdout+stderr captured into out (up to len-1 bytes, NUL
 * terminated; the rest is discarded). Kills it after timeout_ms.
 * Returns 0 with *ret_status as from waitpid, -ETIMEDOUT, or -errno.
 */
int bv_proc_run_capture(char *const argv[], unsigned timeout_ms, char *out, size_t len,
                        int *ret_status, struct bv_error *err);

/*
 * The start time of pid (field 22 of /proc/PID/stat, in clock ticks since
 * boot). With the pid it identifies a process for good: a recycled pid has
 * another start time. Returns 0, -ESRCH (no such process) or -EPROTO.
 */
int bv_proc_start_time(pid_t pid, unsigned long long *ret);

/*
 * Seconds since pid started, from its start time and /proc/uptime, into
 * *ret_seconds (0 for a clock that went backwards). Returns 0, -EINVAL
 * (pid <= 0), -ESRCH (the process is gone), -EPROTO (a /proc file we
 * cannot parse) or the -errno of opening /proc/uptime. Reads /proc only.
 */
int bv_proc_uptime(pid_t pid, uint64_t *ret_seconds);
