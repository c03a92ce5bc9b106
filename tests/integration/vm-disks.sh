#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# VM disks, live, against a real QEMU (TCG) and the tiny guest: a qcow2
# overlay leaves its base untouched, a hot-added disk appears in the
# guest's /sys/block and goes away again on removal, and an internal
# snapshot restored on a running VM really returns the bytes the guest
# changed; offline snapshots work on a stopped VM; a raw disk is refused.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/guest.sh"

tap_require_root
command -v qemu-system-x86_64 >/dev/null || tap_skip_all "qemu-system-x86_64 is not installed"
for t in curl jq qemu-img; do command -v $t >/dev/null || tap_skip_all "$t is not installed"; done
cleanup() {
	for p in $(cat "$BV_TMP"/run/vms/*/qemu.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	bv_cleanup
}
trap cleanup EXIT INT TERM
bv_guest_build || tap_skip_all "the test guest could not be built (tools/mkguest)"
bv_daemon_start || tap_skip_all "barevirtd did not start"

# console VM COMMAND: run COMMAND in the guest, print its output lines.
console() { printf '%s\n' "$2" | timeout 20 "$BAREVIRT" --socket "$BV_SOCKET" vm console "$1" | tr -d '\r'; }
has() { case "$1" in *"$2"*) return 0 ;; *) return 1 ;; esac; }
hasnt() { ! has "$@"; }

qemu-img create -q -f qcow2 "$BV_TMP/base.qcow2" 64M
truncate -s 8M "$BV_TMP/extra.raw"
base_sum=$(md5sum <"$BV_TMP/base.qcow2")
bv_cli vm create d1 --memory 128 --kernel "$BV_GUEST_KERNEL" --initrd "$BV_GUEST_INITRD" \
	--append "console=ttyS0 quiet" --disk "$BV_TMP/base.qcow2,overlay" --stop-timeout 20 >/dev/null
tap_ok $? "vm create with an overlay disk"
ov=$(bv_cli vm show d1 --json | jq -r '.definition.disks[0].overlay_file')
tap_check "the overlay is a qcow2 backed by the base" sh -c "qemu-img info '$ov' | grep -q 'backing file: $BV_TMP/base.qcow2'"
bv_cli vm start d1 >/dev/null
bv_wait_for_line "$BV_TMP/state/vms/d1/console.log" BAREVIRT-GUEST-UP 90
tap_ok $? "the VM boots"
tap_check "the guest sees its disk" has "$(console d1 'ls /sys/block')" vda

# -- hot-add and hot-remove.
bv_cli vm disk add d1 "$BV_TMP/extra.raw" >/dev/null
tap_ok $? "vm disk add"
n=0; until has "$(console d1 'ls /sys/block')" vdb || [ $n -ge 10 ]; do sleep 0.5; n=$((n + 1)); done
tap_check "the guest sees the new disk appear" has "$(console d1 'ls /sys/block')" vdb
tap_check "the definition lists it" [ "$(jq '.disks | length' "$BV_TMP/state/vms/d1.json")" = 2 ]
bv_cli vm disk add d1 /nonexistent.raw 2>/dev/null
tap_check "adding a missing file is refused" [ $? -ne 0 ]
bv_cli vm disk remove d1 disk1 >/dev/null
tap_ok $? "vm disk remove"
out=$(console d1 'ls /sys/block')
tap_check "the guest sees it disappear" hasnt "$out" vdb
tap_check "the definition no longer lists it" [ "$(jq '.disks | length' "$BV_TMP/state/vms/d1.json")" = 1 ]
bv_cli vm disk remove d1 nosuch 2>/dev/null
tap_check "removing an unknown disk is refused" [ $? -ne 0 ]

# -- snapshot of a running VM; restore returns the disk's bytes.
console d1 'echo AAAA | dd of=/dev/vda bs=512 count=1 conv=sync 2>/dev/null; sync' >/dev/null
bv_cli vm snapshot create d1 s1 >/dev/null
tap_ok $? "vm snapshot create (running)"
out=$(console d1 'echo BBBB | dd of=/dev/vda bs=512 count=1 conv=sync 2>/dev/null; sync; dd if=/dev/vda bs=512 count=1 iflag=direct 2>/dev/null | head -c 4; echo')
tap_check "the guest changed the disk" has "$out" BBBB
bv_cli vm snapshot restore d1 s1 >/dev/null
tap_ok $? "vm snapshot restore (running)"
out=$(console d1 'dd if=/dev/vda bs=512 count=1 iflag=direct 2>/dev/null | head -c 4; echo')
tap_check "after the restore the disk holds the snapshot's bytes" has "$out" AAAA
tap_check "vm snapshot list shows s1" [ "$(bv_cli vm snapshot list d1 --json | jq -r '.[].name')" = s1 ]

# -- stopped VM: qemu-img snapshots.
bv_cli vm stop d1 >/dev/null
bv_cli vm snapshot create d1 s2 >/dev/null
tap_ok $? "vm snapshot create (stopped)"
tap_check "list shows s1 and s2" [ "$(bv_cli vm snapshot list d1 --json | jq -r '.[].name' | tr '\n' ' ')" = "s1 s2 " ]
bv_cli vm snapshot restore d1 s1 >/dev/null
tap_ok $? "vm snapshot restore (stopped)"
bv_cli vm snapshot delete d1 s1 >/dev/null
tap_check "vm snapshot delete" [ "$(bv_cli vm snapshot list d1 --json | jq -r '.[].name')" = s2 ]
bv_cli vm snapshot restore d1 nosuch 2>/dev/null
tap_check "restoring an unknown snapshot fails" [ $? -ne 0 ]
tap_check "the base image never changed" [ "$(md5sum <"$BV_TMP/base.qcow2")" = "$base_sum" ]

# -- raw disks cannot be snapshotted.
bv_cli vm create d2 --kernel "$BV_GUEST_KERNEL" --disk "$BV_TMP/extra.raw" >/dev/null
bv_cli vm snapshot create d2 s1 2>"$BV_TMP/err"
tap_check "a raw disk is refused for snapshots ($(cat "$BV_TMP/err"))" grep -q qcow2 "$BV_TMP/err"
bv_cli vm delete d1 >/dev/null && bv_cli vm delete d2 >/dev/null
tap_check "delete removes the overlay" [ ! -e "$ov" ]
bv_daemon_stop
tap_done
