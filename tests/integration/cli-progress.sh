#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Progress of waits (tools/cli/progress.c) as a person and a script see
# them: on a pseudo-terminal (script -qc) `vm stop` says what it waits for
# and counts down; never with --json, never when stdout is piped, never
# with BAREVIRT_NO_PROGRESS=1. With QEMU and the test guest: a stop right
# after start waits the guest's stop timeout with a countdown, and Ctrl-C
# (SIGINT) during the wait exits 130 and says only the waiting stopped.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/guest.sh"

tap_require_root
tap_require_cmd script
cleanup() {
	for p in $(cat "$BV_TMP"/run/vms/*/qemu.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	bv_cleanup
}
trap cleanup EXIT INT TERM
bv_daemon_start || tap_skip_all "barevirtd did not start"
B="$BAREVIRT --socket $BV_SOCKET"
# pty COMMAND: runs the shell COMMAND on a pseudo-terminal, its output (\r and escapes kept) in $BV_TMP/pty.
pty() { script -qec "$1" /dev/null </dev/null >"$BV_TMP/pty" 2>&1; }

: >"$BV_TMP/vmlinuz"
bv_cli vm create p1 --kernel "$BV_TMP/vmlinuz" >/dev/null
pty "$B vm stop p1"
tap_check "on a terminal, vm stop says what it waits for" \
	grep -q "waiting up to 30 s for the guest to power off (Ctrl-C to stop waiting; --force kills)" "$BV_TMP/pty"
tap_check "... and the error still reads on its own line" grep -q "^.*barevirt: VM 'p1' is not running" "$BV_TMP/pty"
pty "$B vm stop --json p1"
tap_check "never with --json" sh -c "! grep -q waiting '$BV_TMP/pty'"
pty "$B vm stop p1 | cat"
tap_check "never when stdout is piped" sh -c "! grep -q waiting '$BV_TMP/pty'"
pty "BAREVIRT_NO_PROGRESS=1 $B vm stop p1"
tap_check "never with BAREVIRT_NO_PROGRESS=1" sh -c "! grep -q waiting '$BV_TMP/pty'"
pty "$B stop -t 5 p1"
tap_check "generic stop -t 5 counts down from 5" grep -q "waiting up to 5 s for 'p1' to stop" "$BV_TMP/pty"
tap_check "vm stop --help lists -f, --force" sh -c "$B vm stop --help | grep -q -- '-f, --force'"
bv_cli vm delete p1 >/dev/null

# An image import shows a bar of the bytes barevirtd's tar has read.
mkdir -p "$BV_TMP/big/bin" && cp "$(command -v busybox)" "$BV_TMP/big/bin/" && truncate -s 600M "$BV_TMP/big/zeros" &&
	tar -C "$BV_TMP/big" -cf "$BV_TMP/big.tar" . && rm -rf "$BV_TMP/big"
pty "$B ct create pbig --image $BV_TMP/big.tar -- /bin/busybox true"
tap_check "ct create --image on a terminal shows a bar of the bytes imported" \
	grep -Eq '\[#*\.*\] [0-9.]+ of 60[0-9]\.[0-9] MiB' "$BV_TMP/pty"
tap_check "... and then says it created the container" grep -q "Container 'pbig' created" "$BV_TMP/pty"
bv_cli ct delete pbig >/dev/null; rm -f "$BV_TMP/big.tar"

if command -v qemu-system-x86_64 >/dev/null && bv_guest_build >/dev/null 2>&1; then
	bv_cli vm create g1 --memory 96 --kernel "$BV_GUEST_KERNEL" --initrd "$BV_GUEST_INITRD" --accel tcg \
		--append "console=ttyS0" --stop-timeout 3 >/dev/null
	bv_cli vm start g1 >/dev/null
	# Right after start the guest has no ACPI handler yet: stop waits the stop timeout.
	pty "$B vm stop g1"
	st=$?
	tr '\r' '\n' <"$BV_TMP/pty" | sed 's/^/# /'
	tap_check "a stop right after start waits 3 s with a countdown" \
		sh -c "[ $st = 0 ] && grep -q 'waiting up to 3 s' '$BV_TMP/pty' && grep -q 's left' '$BV_TMP/pty'"
	bv_cli vm start g1 >/dev/null
	bv_cli vm create g2 --memory 96 --kernel "$BV_GUEST_KERNEL" --initrd "$BV_GUEST_INITRD" --accel tcg \
		--append "console=ttyS0" >/dev/null 2>&1
	bv_cli vm start g2 >/dev/null
	pty "timeout --preserve-status -s INT 1 $B vm stop g2; echo rc=\$?"
	tap_check "Ctrl-C during the wait exits 130 and says only the waiting stopped" \
		sh -c "grep -q 'rc=130' '$BV_TMP/pty' && grep -q 'stopped waiting' '$BV_TMP/pty'"
	bv_cli vm kill g1 >/dev/null 2>&1
	bv_cli vm kill g2 >/dev/null 2>&1
else
	tap_skip "no QEMU or test guest: the real waits are not tried"
	tap_skip "no QEMU or test guest: Ctrl-C is not tried"
fi
tap_done
