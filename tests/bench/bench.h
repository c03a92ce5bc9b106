/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the benchmarks in tests/bench/: private daemons, timing, output lines. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Median of v (sorted in place). */
uint64_t bench_median(uint64_t *v, size_t n);

/*
 * Starts bin (barevirtd) with its state, run dir and socket (DIR/api.sock)
 * under dir, stderr to /dev/null; extra is an optional NULL-terminated
 * argument list. Returns the pid.
 */
pid_t bench_daemon_start(const char *bin, const char *dir, const char *const *extra);
void bench_daemon_stop(pid_t pid);

/* Microseconds from t0 until GET path on sock is answered (polling), or -1 after 10 s. */
int64_t bench_time_to_answer(const char *sock, const char *path, uint64_t t0);

/* The distinct shared objects (.so files) pid maps. */
int bench_shared_objects(pid_t pid);

/* VmRSS of pid in KiB, or -1. */
long bench_rss_kib(pid_t pid);

/*
 * Prints "<prefix>: <metric> <v> <unit> (<peer> <pv> <unit>, ratio <v/pv>x) target < T: ok|MISSED".
 * peer NULL or pv <= 0 omits the comparison; target <= 0 omits the target.
 * With BAREVIRT_BENCH_RECORD=FILE (make bench sets it) the figure is also
 * appended to FILE as one tab-separated line: prefix, metric, value, unit,
 * peer (or -), peer's value, ratio, target, ok|MISSED|- (bench-table.sh
 * prints them as one table and writes BAREVIRT_BENCH_JSON).
 */
void bench_line(const char *prefix, const char *metric, double v, const char *unit, const char *peer,
                double pv, double target);

/* True when BAREVIRT_BENCH_SMOKE is set: a few iterations only. */
bool bench_smoke(void);
