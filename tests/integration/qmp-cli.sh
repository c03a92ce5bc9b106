#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `barevirt qmp` against a real qemu-system-x86_64 (TCG, started paused
# with -S, no guest needed): the return value as one JSON line on stdout,
# QMP errors as "CLASS: desc" on stderr with exit 1, events with --events,
# arguments as JSON, timeouts against a SIGSTOPped QEMU. Needs no root.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
. "$top_srcdir/tests/lib/tap.sh"

tap_require_lane integration
command -v qemu-system-x86_64 >/dev/null 2>&1 || tap_skip_all "qemu-system-x86_64 not installed"
BAREVIRT=${BAREVIRT:-$top_builddir/tools/barevirt}
[ -x "$BAREVIRT" ] || tap_skip_all "$BAREVIRT not built"
"$BAREVIRT" qmp --help 2>&1 | grep -q 'qmp --socket' ||
	tap_skip_all "the 'qmp' verb is not in the CLI's command table"

tmp=$(mktemp -d /tmp/bv-qmp-cli.XXXXXX)
qpid= qemu=
cleanup() {
	if [ -n "$qpid" ]; then
		[ -z "$qemu" ] || { kill -CONT "$qemu"; kill -KILL "$qemu"; } 2>/dev/null
		kill -KILL "$qpid" 2>/dev/null
		wait "$qpid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

sock=$tmp/qmp.sock
timeout -k 5 300 qemu-system-x86_64 -accel tcg -m 64 -nodefaults -no-user-config \
	-display none -S -qmp "unix:$sock,server=on,wait=off" </dev/null >"$tmp/qemu.out" 2>&1 &
qpid=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -S "$sock" ] || { cat "$tmp/qemu.out" >&2; tap_skip_all "QEMU did not create its QMP socket"; }
# $qpid is timeout(1); QEMU is its only child.
qemu=$(cat "/proc/$qpid/task/$qpid/children" 2>/dev/null | tr -d ' ')
[ -n "$qemu" ] || tap_skip_all "cannot find QEMU's pid"

# bvq ARGS...: runs barevirt qmp, stdout in $tmp/out, stderr in $tmp/err, status in $rc.
bvq() {
	timeout 30 "$BAREVIRT" qmp --socket "$sock" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
lines() { wc -l <"$1" | tr -d ' '; }

bvq query-status
tap_ok $rc "query-status exits 0"
tap_check "query-status prints one JSON line" [ "$(lines "$tmp/out")" = 1 ]
tap_check "... with running false and status prelaunch" \
	grep -q '"running": false.*' "$tmp/out"
tap_check "... status prelaunch" grep -q '"status": "prelaunch"' "$tmp/out"
tap_check "... nothing on stderr" [ ! -s "$tmp/err" ]

bvq --events 1 --wait 5000 cont
tap_ok $rc "cont --events 1 exits 0"
tap_check "cont prints {} first" [ "$(head -n 1 "$tmp/out")" = "{}" ]
tap_check "... then the RESUME event" sh -c "sed -n 2p '$tmp/out' | grep -q '\"event\": \"RESUME\"'"
tap_check "... and nothing more" [ "$(lines "$tmp/out")" = 2 ]

bvq --events 1 stop
tap_ok $rc "stop --events 1 (wait defaults to the timeout)"
tap_check "... STOP event" grep -q '"event": "STOP"' "$tmp/out"

bvq human-monitor-command '{"command-line": "info status"}'
tap_ok $rc "arguments as JSON"
tap_check "... HMP output as a JSON string" grep -q '^"VM status: paused' "$tmp/out"

bvq device_del '{"id": "nope"}'
tap_check "QMP error exits 1" [ $rc = 1 ]
tap_check "... 'CLASS: desc' on stderr" [ "$(cat "$tmp/err")" = "DeviceNotFound: Device 'nope' not found" ]
tap_check "... nothing on stdout" [ ! -s "$tmp/out" ]

bvq no-such-command
tap_check "unknown command: QMP's CommandNotFound" sh -c "[ $rc = 1 ] && grep -q '^CommandNotFound: ' '$tmp/err'"

bvq --events 1 --wait 300 query-status
tap_check "too few events within --wait exits 1" [ $rc = 1 ]
tap_check "... after printing the return value" [ "$(lines "$tmp/out")" = 1 ]
tap_check "... and says so on one line" [ "$(lines "$tmp/err")" = 1 ]

bvq query-status '{"bad json'
tap_check "invalid ARGUMENTS_JSON is a usage error (2)" [ $rc = 2 ]
timeout 10 "$BAREVIRT" qmp query-status >/dev/null 2>&1
tap_check "missing --socket is a usage error (2)" [ $? = 2 ]

timeout 10 "$BAREVIRT" qmp --socket "$tmp/nothing.sock" query-status >"$tmp/out" 2>"$tmp/err"
rc=$?
tap_check "missing socket exits 1" [ $rc = 1 ]
tap_check "... with one line naming it" sh -c "[ \$(wc -l <'$tmp/err') = 1 ] && grep -q 'nothing.sock' '$tmp/err'"

kill -STOP "$qemu"
start=$(date +%s%N)
bvq --timeout 500 query-status
end=$(date +%s%N)
kill -CONT "$qemu"
ms=$(((end - start) / 1000000))
tap_check "SIGSTOPped QEMU: exits 1" [ $rc = 1 ]
tap_check "... within its timeout (${ms} ms)" [ "$ms" -lt 3000 ]
tap_check "... one line on stderr" [ "$(lines "$tmp/err")" = 1 ]
tap_diag "$(cat "$tmp/err")"

bvq query-status
tap_ok $rc "works again after SIGCONT"

bvq quit
tap_ok $rc "quit"
i=0
while kill -0 "$qpid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
tap_check "QEMU exited after quit" sh -c "! kill -0 $qpid 2>/dev/null"
wait "$qpid" 2>/dev/null
qpid=

tap_done
