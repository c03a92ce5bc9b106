#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bench/bench-engines.sh as a smoke test (5 containers listed, 10
# starts and stops): it runs, both listings agree on what is there, and
# /v1/events lost none of the engines' start and die events. Timings are
# printed, not asserted (the machine is shared).
. "$top_srcdir/tests/lib/tap.sh"

tap_require_root
command -v podman >/dev/null || tap_skip_all "podman is not installed"
out=$(BAREVIRT_BENCH_SMOKE=1 sh "$top_srcdir/tests/bench/bench-engines.sh" 2>&1)
st=$?
echo "$out" | sed 's/^/# /'
tap_ok $st "bench-engines runs (smoke)"
echo "$out" | grep -q "skipped" && tap_skip_all "bench-engines skipped itself"
echo "$out" | grep -q "^bench-engines: list 5 podman containers: barevirt list --json [0-9.]* ms (podman ps"
tap_ok $? "podman listing timed against podman ps"
echo "$out" | grep -q "^bench-engines: events podman: 10 starts and stops .* lost 0; target none lost: ok"
tap_ok $? "podman: no event lost"
if command -v dockerd >/dev/null; then
	echo "$out" | grep -q "^bench-engines: events docker: 10 starts and stops .* lost 0; target none lost: ok"
	tap_ok $? "docker: no event lost"
else
	tap_skip "docker: dockerd is not installed"
fi
tap_done
