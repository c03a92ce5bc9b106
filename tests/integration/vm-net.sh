#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A VM on a barevirt network, all inside a throwaway network namespace
# (barevirtd --netns): the tap is a port of the bridge, the guest pings the
# bridge's address and answers pings from the namespace, a rate-limited NIC
# gets its limit, and stopping the VM removes its tap.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/guest.sh"
. "$top_srcdir/tests/lib/netns.sh"

tap_require_root
command -v qemu-system-x86_64 >/dev/null || tap_skip_all "qemu-system-x86_64 is not installed"
for t in curl jq ip; do command -v $t >/dev/null || tap_skip_all "$t is not installed"; done
[ -c /dev/net/tun ] || tap_skip_all "no /dev/net/tun"
cleanup() {
	for p in $(cat "$BV_TMP"/run/vms/*/qemu.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	bv_cleanup
	bv_netns_cleanup
}
trap cleanup EXIT INT TERM
bv_guest_build || tap_skip_all "the test guest could not be built (tools/mkguest)"
NS=$(bv_netns_new vmnet) || tap_skip_all "cannot create a network namespace"
bv_daemon_start --netns "/run/netns/$NS" || tap_skip_all "barevirtd did not start"
console() { printf '%s\n' "$2" | timeout 20 "$BAREVIRT" --socket "$BV_SOCKET" vm console "$1" | tr -d '\r'; }

bv_cli net create vmnet0 --address 10.98.0.1/24 >/dev/null
tap_ok $? "net create vmnet0 inside the namespace"
bv_cli vm create n1 --memory 128 --kernel "$BV_GUEST_KERNEL" --initrd "$BV_GUEST_INITRD" \
	--append "console=ttyS0 quiet bv.ip=10.98.0.2/24" --nic vmnet0,rate=50 --stop-timeout 20 >/dev/null
tap_ok $? "vm create with a NIC on it"
mac() { bv_cli vm show "$1" --json | jq -r '.definition.nics[0].mac'; }
bv_cli vm create n1b --kernel "$BV_GUEST_KERNEL" --nic vmnet0 >/dev/null
mac_b=$(mac n1b)
tap_check "another VM name derives another MAC ($(mac n1), $mac_b)" [ "$(mac n1)" != "$mac_b" ]
bv_cli vm delete n1b >/dev/null && bv_cli vm create n1b --kernel "$BV_GUEST_KERNEL" --nic vmnet0 >/dev/null
tap_check "the derived MAC is the same when the VM is made again" [ "$(mac n1b)" = "$mac_b" ]
bv_cli vm delete n1b >/dev/null
bv_cli vm start n1 >/dev/null
tap_ok $? "vm start"
tap=$(ip -n "$NS" -j link show master vmnet0 | jq -r '.[0].ifname')
tap_check "its tap ($tap) is a port of the bridge" [ -n "$tap" -a "$tap" != null ]
tap_check "and exists only in the namespace, not on the host" sh -c "! ip link show '$tap' >/dev/null 2>&1"
tap_check "the tap has the 50 Mbit/s limit (tbf)" sh -c "ip netns exec $NS tc -j qdisc show dev $tap | jq -e '.[] | select(.kind==\"tbf\")' >/dev/null"
tap_check "bv net show lists the VM's port" sh -c "'$BAREVIRT' --socket '$BV_SOCKET' net show vmnet0 --json | jq -e '.ports[] | select(.vm==\"n1\")' >/dev/null"
bv_wait_for_line "$BV_TMP/state/vms/n1/console.log" BAREVIRT-GUEST-UP 90
tap_ok $? "the guest boots"
ok=1; n=0
while [ $n -lt 10 ]; do ip netns exec "$NS" ping -c1 -W2 10.98.0.2 >/dev/null 2>&1 && { ok=0; break; }; n=$((n + 1)); done
tap_ok $ok "the namespace pings the guest across the bridge"
case "$(console n1 'ping -c1 -W2 10.98.0.1 >/dev/null && echo PING-OK')" in *PING-OK*) r=0 ;; *) r=1 ;; esac
tap_ok $r "the guest pings the bridge's address in the namespace"
bv_cli net delete vmnet0 2>"$BV_TMP/err"
tap_check "the network cannot be deleted while the VM uses it ($(cat "$BV_TMP/err"))" [ -s "$BV_TMP/err" ]
bv_cli vm stop n1 >/dev/null
tap_ok $? "vm stop"
tap_check "the tap is gone with QEMU" [ "$(ip -n "$NS" -j link show master vmnet0 | jq length)" = 0 ]
bv_cli vm delete n1 >/dev/null && bv_cli net delete vmnet0 >/dev/null
tap_ok $? "VM and network deleted"
tap_check "no bridge left in the namespace" sh -c "! ip -n '$NS' link show vmnet0 >/dev/null 2>&1"
bv_daemon_stop
tap_done
