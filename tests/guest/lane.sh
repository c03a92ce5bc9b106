#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The guest lane: cgroup v2 controllers are missing on hybrid hosts (ours),
# so the container tests that need them run inside the tiny guest, booted
# by barevirt itself with a pure cgroup v2 hierarchy. This builds a guest
# with barevirt-runtime, barevirtd, barevirt and jq (and their libraries),
# a busybox rootfs, the bundles and tests/guest/in-guest*.sh, boots it
# through barevirtd with bv.run=/lane.sh, and turns the "LANE:" lines of
# its console into TAP (runtime checks, then `barevirt ct` checks).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/guest.sh"

bv_guest_require jq curl
[ -x /bin/busybox ] || tap_skip_all "busybox-static is not installed"
RT="$top_builddir/tools/barevirt-runtime"
[ -x "$RT" ] || tap_skip_all "barevirt-runtime is not built"
cleanup() {
	for p in $(cat "$BV_TMP"/run/vms/*/qemu.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	bv_cleanup
}
trap cleanup EXIT INT TERM
bv_guest_build || tap_skip_all "the test guest could not be built (tools/mkguest)"
bv_tmpdir
T=$BV_TMP/lane
mkdir -p "$T/rootfs/bin" "$T/bundles"

# A busybox rootfs, shared read-only by every bundle.
cp /bin/busybox "$T/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$T/rootfs/bin/$a"; done
mkdir -p "$T/rootfs/proc" "$T/rootfs/sys" "$T/rootfs/dev" "$T/rootfs/tmp"

# bundle NAME JQ-FILTER: a bundle from `barevirt-runtime spec`, edited.
bundle() {
	mkdir -p "$T/bundles/$1"
	(cd "$T/bundles/$1" && "$RT" spec >/dev/null) || return 1
	jq --arg cg "/lane/$1" '.root.path = "/lane/rootfs" | .process.terminal = false
		| .linux.cgroupsPath = $cg | '"$2" "$T/bundles/$1/config.json" >"$T/c.json" &&
		mv "$T/c.json" "$T/bundles/$1/config.json"
}
M64=67108864
bundle memview ".process.args = [\"cat\", \"/sys/fs/cgroup/memory.max\"] | .linux.resources.memory.limit = $M64" &&
bundle mem '.process.args = ["sh", "-c", "head -c 134217728 /dev/zero | sort >/dev/null"]
	| .linux.resources.memory.limit = '$M64' | .linux.resources.memory.swap = '$M64 &&
bundle pids '.process.args = ["sh", "-c", "i=0; while [ $i -lt 30 ]; do sleep 5 & i=$((i + 1)); done; wait"]
	| .linux.resources.pids.limit = 10' &&
bundle cpu '.process.args = ["sh", "-c", "while :; do :; done"] | .linux.resources.cpu.quota = 10000
	| .linux.resources.cpu.period = 100000' &&
bundle kill '.process.args = ["sh", "-c", "sleep 100 & sleep 100 & sleep 100"]' &&
bundle true '.process.args = ["true"]'
tap_ok $? "bundles made from barevirt-runtime spec"

# The runtime, barevirtd, the CLI, jq, and the shared libraries they need.
adds=$(bv_guest_adds "$RT" /usr/bin/barevirt-runtime)
if [ -x "$top_builddir/tools/barevirtd" ] && [ -x "$top_builddir/tools/barevirt" ]; then
	adds="$adds $(bv_guest_adds "$top_builddir/tools/barevirtd" /usr/sbin/barevirtd)"
	adds="$adds $(bv_guest_adds "$top_builddir/tools/barevirt" /usr/bin/barevirt)"
	adds="$adds $(bv_guest_adds "$(command -v jq)" /usr/bin/jq)"
fi
# shellcheck disable=SC2086 # adds is a word list
sh "$top_srcdir/tools/mkguest" --out "$top_builddir/build/guest-lane" --cache "$top_builddir/build/guest/cache" \
	$adds --add "$T/rootfs:/lane/rootfs" --add "$T/bundles:/lane/bundles" \
	--add "$top_srcdir/tests/guest/in-guest.sh:/lane.sh" \
	--add "$top_srcdir/tests/guest/in-guest-ct.sh:/lane-ct.sh" \
	--add "$top_srcdir/tests/lib/in-guest.sh:/lane-lib.sh" >/dev/null
tap_ok $? "the lane guest builds (runtime, libraries, rootfs, bundles, tests)"

bv_daemon_start || tap_skip_all "barevirtd did not start"
G=$top_builddir/build/guest-lane
bv_cli vm create lane --memory 512 --kernel "$G/vmlinuz" --initrd "$G/initramfs.cpio.gz" \
	--append "console=ttyS0 quiet bv.run=/lane.sh" --stop-timeout 5 >/dev/null &&
	bv_cli vm start lane >/dev/null
tap_ok $? "barevirt boots the lane guest"
LOG=$BV_TMP/state/vms/lane/console.log
bv_wait_for_line "$LOG" 'BAREVIRT-GUEST-RUN-EXIT=' 240
tap_ok $? "the in-guest tests finished within 240 s"
tr -d '\r' <"$LOG" | sed -n 's/^LANE: //p' >"$BV_TMP/lane.tap"
tap_check "the guest reported its checks" grep -q '^1\.\.' "$BV_TMP/lane.tap"
while IFS= read -r line; do
	case "$line" in
	"ok "*) tap_ok 0 "guest: ${line#ok * - }" ;;
	"not ok "*) tap_ok 1 "guest: ${line#not ok * - }" ;;
	"#"*) echo "$line" ;;
	esac
done <"$BV_TMP/lane.tap"
n=0; while [ "$(bv_cli vm show lane --json | jq -r .state)" != stopped ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
tap_check "the lane guest powered itself off" [ "$(bv_cli vm show lane --json | jq -r .state)" = stopped ]
bv_daemon_stop
tap_done
