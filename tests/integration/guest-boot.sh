#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The tiny test guest (tools/mkguest) works the way later tests rely on: it
# builds, boots under TCG and prints BAREVIRT-GUEST-UP, takes its address from
# bv.ip= and answers ping over a tap on a bridge (all inside a throwaway
# netns), powers off on an ACPI power button press (QMP system_powerdown),
# and with bv.run= runs a script added with --add and powers off by itself.
# Needs root and qemu-system-x86_64; QEMU always runs with -accel tcg. Every
# wait has a timeout, and the EXIT trap kills QEMU and removes the netns.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/guest.sh"
. "$top_srcdir/tests/lib/netns.sh"

tap_require_root
command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	tap_skip_all "qemu-system-x86_64 not installed"
command -v socat >/dev/null 2>&1 || command -v python3 >/dev/null 2>&1 ||
	tap_skip_all "neither socat nor python3 for QMP"
for t in ip flock cpio gzip dpkg-deb; do
	command -v "$t" >/dev/null 2>&1 || tap_skip_all "'$t' not installed"
done
PATH=$PATH:/usr/sbin:/sbin
command -v depmod >/dev/null 2>&1 || tap_skip_all "'depmod' not installed (kmod)"

tmp=$(mktemp -d /tmp/bv-guest-boot.XXXXXX)
qemu_pids=
# shellcheck disable=SC2317 # called from the trap
cleanup() {
	for p in $qemu_pids; do kill -TERM "$p" 2>/dev/null; done
	for p in $qemu_pids; do
		bv_wait_pid_exit "$p" 5 || kill -KILL "$p" 2>/dev/null
	done
	bv_netns_cleanup
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# show_log FILE: the last lines of a guest's console, as TAP comments.
show_log() { tail -n 15 "$1" 2>/dev/null | tr -d '\r' | sed 's/^/#   /'; }

# start_guest NAME NETNS INITRD APPEND [QEMU ARGS...]: start QEMU in the
# background (inside NETNS unless it is empty), serial console in
# $tmp/NAME.log, QMP socket $tmp/NAME.qmp; sets qpid. timeout(1) kills it
# after 5 minutes even if this script is killed without running its trap.
start_guest() {
	_name=$1 _ns=$2 _initrd=$3 _append=$4
	shift 4
	set -- qemu-system-x86_64 -accel tcg -m 256 -nodefaults -no-user-config \
		-display none -no-reboot \
		-serial "file:$tmp/$_name.log" \
		-qmp "unix:$tmp/$_name.qmp,server=on,wait=off" \
		-kernel "$BV_GUEST_KERNEL" -initrd "$_initrd" \
		-append "console=ttyS0 quiet panic=1 $_append" "$@"
	[ -z "$_ns" ] || set -- ip netns exec "$_ns" "$@"
	: >"$tmp/$_name.log"
	timeout -k 5 300 "$@" </dev/null >"$tmp/$_name.out" 2>&1 &
	qpid=$!
	qemu_pids="$qemu_pids $qpid"
}

# qmp_powerdown SOCKET: negotiate capabilities and press the power button.
qmp_powerdown() {
	_cmds='{"execute":"qmp_capabilities"}
{"execute":"system_powerdown"}
'
	if command -v socat >/dev/null 2>&1; then
		printf '%s' "$_cmds" | timeout 10 socat -t 2 - "UNIX-CONNECT:$1" >"$tmp/qmp.out"
	else
		printf '%s' "$_cmds" | timeout 10 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
for line in sys.stdin:
    f.write(line); f.flush()
    print(f.readline(), end="")
' "$1" >"$tmp/qmp.out"
	fi
	[ "$(grep -c '"return"' "$tmp/qmp.out")" -ge 2 ]
}

# exited_ok PID TIMEOUT_S: PID exits by itself within TIMEOUT_S, status 0.
exited_ok() {
	bv_wait_pid_exit "$1" "$2" || return 1
	wait "$1"
}

# --- build ---
t0=$(now_ms)
if ! bv_guest_build; then
	tap_ok 1 "guest builds (tools/mkguest)"
	tap_done
fi
tap_ok 0 "guest builds (tools/mkguest)"
tap_diag "build: $(($(now_ms) - t0)) ms; initramfs $(wc -c <"$BV_GUEST_INITRD") bytes, kernel $(cat "$(dirname "$BV_GUEST_KERNEL")/kernel-version" 2>/dev/null)"

# --- network: bridge + tap in a throwaway netns ---
ns='' netargs='' append=''
if [ -c /dev/net/tun ]; then
	if ns=$(bv_netns_new guestboot) &&
	   ip -n "$ns" link add br0 type bridge &&
	   ip -n "$ns" addr add 10.99.0.1/24 dev br0 &&
	   ip -n "$ns" link set br0 up &&
	   ip netns exec "$ns" ip tuntap add dev tap0 mode tap &&
	   ip -n "$ns" link set tap0 master br0 &&
	   ip -n "$ns" link set tap0 up; then
		netargs="-netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device virtio-net-pci,netdev=n0"
		append="bv.ip=10.99.0.2/24 bv.gw=10.99.0.1"
		tap_ok 0 "netns with bridge br0 (10.99.0.1/24) and tap0"
	else
		tap_ok 1 "netns with bridge br0 (10.99.0.1/24) and tap0"
		ns=
	fi
fi

# --- boot ---
t0=$(now_ms)
# shellcheck disable=SC2086
start_guest net "$ns" "$BV_GUEST_INITRD" "$append" $netargs
if bv_wait_for_line "$tmp/net.log" '^BAREVIRT-GUEST-UP$' 60; then
	tap_ok 0 "guest boots under TCG and prints BAREVIRT-GUEST-UP within 60 s"
	tap_diag "boot to banner: $(($(now_ms) - t0)) ms"
	booted=1
else
	tap_ok 1 "guest boots under TCG and prints BAREVIRT-GUEST-UP within 60 s"
	show_log "$tmp/net.log"
	sed 's/^/#   qemu: /' "$tmp/net.out"
	booted=0
fi

# --- ping the guest from the netns ---
if [ -z "$ns" ]; then
	tap_skip "ping the guest: no /dev/net/tun or no netns"
elif [ "$booted" = 1 ]; then
	pingcmd=(ping)
	command -v ping >/dev/null 2>&1 || pingcmd=(busybox ping)
	t0=$(now_ms) pinged=1
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		if ip netns exec "$ns" "${pingcmd[@]}" -c1 -W2 10.99.0.2 >"$tmp/ping.out" 2>&1; then
			pinged=0
			break
		fi
		sleep 0.5
	done
	tap_ok "$pinged" "guest with bv.ip=10.99.0.2/24 answers ping from the netns"
	if [ "$pinged" = 0 ]; then
		tap_diag "first ping reply after $(($(now_ms) - t0)) ms"
	else
		sed 's/^/#   /' "$tmp/ping.out"
	fi
else
	tap_ok 1 "guest with bv.ip=10.99.0.2/24 answers ping from the netns (not booted)"
fi

# --- ACPI power button ---
if [ "$booted" = 1 ] && qmp_powerdown "$tmp/net.qmp"; then
	t0=$(now_ms)
	exited_ok "$qpid" 30
	rc=$?
	tap_ok "$rc" "QEMU exits by itself (status 0) within 30 s of QMP system_powerdown"
	if [ "$rc" = 0 ]; then
		tap_diag "powerdown to exit: $(($(now_ms) - t0)) ms"
	else
		show_log "$tmp/net.log"
	fi
else
	tap_ok 1 "QEMU exits by itself (status 0) within 30 s of QMP system_powerdown (no QMP reply)"
	sed 's/^/#   qmp: /' "$tmp/qmp.out" 2>/dev/null
fi
kill -KILL "$qpid" 2>/dev/null

# --- bv.run: run an added script, then power off ---
cat >"$tmp/test.sh" <<'EOF'
#!/bin/sh
echo "BV-TEST-MARKER cgroup=$(awk '$2 == "/sys/fs/cgroup" { print $3 }' /proc/mounts) pid=$$"
EOF
chmod +x "$tmp/test.sh"
if sh "$top_srcdir/tools/mkguest" --out "$tmp/run-guest" \
	--cache "${BV_GUEST_CACHE:-$top_builddir/build/guest/cache}" \
	--add "$tmp/test.sh:/test.sh" >"$tmp/mkguest.out" 2>&1; then
	tap_ok 0 "guest with --add $tmp/test.sh:/test.sh builds"
	start_guest run "" "$tmp/run-guest/initramfs.cpio.gz" "bv.run=/test.sh"
	bv_wait_for_line "$tmp/run.log" '^BV-TEST-MARKER cgroup=cgroup2 pid=[0-9]+$' 60
	tap_ok $? "bv.run=/test.sh runs the added script (prints its marker, sees cgroup2)"
	bv_wait_for_line "$tmp/run.log" '^BAREVIRT-GUEST-RUN-EXIT=0$' 10
	tap_ok $? "guest reports the script's exit status 0"
	exited_ok "$qpid" 30
	rc=$?
	tap_ok "$rc" "guest powers off by itself after bv.run (QEMU exits, status 0)"
	[ "$rc" = 0 ] || show_log "$tmp/run.log"
else
	tap_ok 1 "guest with --add $tmp/test.sh:/test.sh builds"
	sed 's/^/#   /' "$tmp/mkguest.out"
fi

tap_done
