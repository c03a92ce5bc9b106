#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Networks through barevirtd (/v1/networks) and `barevirt net`, with a
# private barevirtd whose networking runs inside a throwaway netns
# (--netns), so host interfaces are never touched. iproute2 is the
# independent witness: what the API says is compared with `ip -n NS -j`.
# Covered: create with addresses and MTU, list and show (JSON and tables),
# ports, bad input refused with the right status and nothing changed,
# delete refused while a port exists, the bridge re-created after kill -9
# and deletion behind barevirtd's back, adoption of a left-behind barevirt
# bridge, delete, and the events. With QEMU and the test guest: a running
# VM's tap is a port that names its VM, and delete is refused while it runs.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/netns.sh"
. "$top_srcdir/tests/lib/guest.sh"

tap_require_root
for t in ip curl jq; do command -v $t >/dev/null || tap_skip_all "$t is not installed"; done
GROUP=1651928692  # barevirt's link group for network bridges (0x62766e74, "bvnt")

cleanup() {
	[ -n "$EVENTS_PID" ] && kill "$EVENTS_PID" 2>/dev/null
	for p in $(cat "$BV_TMP"/run/vms/*/qemu.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	bv_cleanup
	bv_netns_cleanup
}
trap cleanup EXIT INT TERM
jqe() { jq -e "$@" >/dev/null; }

NS=$(bv_netns_new nets) || tap_skip_all "cannot create a network namespace (ip netns add)"
bv_daemon_start --netns "/run/netns/$NS" || tap_skip_all "barevirtd did not start"
tap_ok 0 "barevirtd started with --netns /run/netns/$NS"
# events_follow: append /v1/events to $BV_TMP/events; returns once subscribed (the "hello").
events_follow() {
	n0=$(grep -c '"hello"' "$BV_TMP/events" 2>/dev/null || :)
	curl -s -N --unix-socket "$BV_SOCKET" http://x/v1/events >>"$BV_TMP/events" 2>/dev/null &
	EVENTS_PID=$!
	n=0
	while [ "$(grep -c '"hello"' "$BV_TMP/events" 2>/dev/null)" = "${n0:-0}" ] && [ $n -lt 100 ]; do
		sleep 0.05; n=$((n + 1))
	done
}
events_follow
DEFS=$BV_TMP/state/networks

# What a user would compare: the links of the netns, without counters.
# Carrier flags are the kernel's to change (a port's carrier), not configuration.
links() {
	ip -n "$NS" -j -d link | jq -c 'sort_by(.ifname) | [.[] | {ifname, mtu, group, master, address,
		flags: (.flags - ["NO-CARRIER", "LOWER_UP", "M-DOWN"]), kind: .linkinfo.info_kind}]'
}
addrs() { ip -n "$NS" -j addr show dev "$1" | jq -r '.[0].addr_info[] | "\(.local)/\(.prefixlen)"' | sort | tr '\n' ' '; }
api() { # api METHOD PATH [BODY]: prints the HTTP status, body into $BV_TMP/body
	curl -s -o "$BV_TMP/body" -w '%{http_code}' --unix-socket "$BV_SOCKET" -X "$1" \
		${3:+-H 'Content-Type: application/json' --data-binary "$3"} "http://x$2"
}

# -- a barevirtd in a netns does its networking there, not on the host.
tap_check "the host has no link 'n1' (sanity)" sh -c '! ip link show n1 >/dev/null 2>&1'

# -- create with addresses and MTU; iproute2 is the witness.
bv_cli net create n1 --address 10.77.0.1/24 --address fd77::1/64 --mtu 1400 >"$BV_TMP/out" 2>"$BV_TMP/err"
tap_ok $? "net create n1 --address 10.77.0.1/24 --address fd77::1/64 --mtu 1400 ($(cat "$BV_TMP/out" "$BV_TMP/err"))"
link=$(ip -n "$NS" -j -d link show n1 2>/dev/null)
tap_check "ip: n1 is a bridge" [ "$(echo "$link" | jq -r '.[0].linkinfo.info_kind')" = bridge ]
tap_check "ip: n1 is up" sh -c "echo '$link' | jq -e '.[0].flags | index(\"UP\")' >/dev/null"
tap_check "ip: n1 has mtu 1400" [ "$(echo "$link" | jq -r '.[0].mtu')" = 1400 ]
tap_check "ip: n1 is in barevirt's link group $GROUP" [ "$(echo "$link" | jq -r '.[0].group')" = "$GROUP" ]
tap_check "ip: STP is off" [ "$(echo "$link" | jq -r '.[0].linkinfo.info_data.stp_state')" = 0 ]
a=$(addrs n1)
case "$a" in *10.77.0.1/24*fd77::1/64*) r=0 ;; *) r=1 ;; esac
tap_ok $r "ip: n1 has 10.77.0.1/24 and fd77::1/64 ($a)"
tap_check "the host still has no link 'n1'" sh -c '! ip link show n1 >/dev/null 2>&1'
tap_check "the definition is stored" jqe '.name == "n1" and .mtu == 1400 and .vlan_filtering == false and .addresses == ["10.77.0.1/24","fd77::1/64"]' "$DEFS/n1.json"

# -- list and show: JSON and tables.
bv_cli net list --json >"$BV_TMP/list"
tap_check "net list --json: one network with name, definition, state, bridge, ports" \
	jqe 'length == 1 and (.[0] | has("name") and has("definition") and has("state") and has("bridge") and has("ports")) and .[0].state == "up"' "$BV_TMP/list"
bv_cli net show n1 --json >"$BV_TMP/show"
tap_check "net show --json: live mtu and addresses match the definition" \
	jqe '.bridge.mtu == 1400 and .bridge.up == true and (.bridge.addresses | index("10.77.0.1/24") and index("fd77::1/64")) and .ports == []' "$BV_TMP/show"
mac=$(echo "$link" | jq -r '.[0].address')
tap_check "net show --json: the MAC is what ip shows ($mac)" [ "$(jq -r .bridge.mac "$BV_TMP/show")" = "$mac" ]
tap_check "net show --json: the ifindex is what ip shows" [ "$(jq -r .bridge.index "$BV_TMP/show")" = "$(echo "$link" | jq -r '.[0].ifindex')" ]
bv_cli net list >"$BV_TMP/out"
tap_check "net list table: header" grep -Eq '^NAME +STATE +ADDRESSES +PORTS$' "$BV_TMP/out"
tap_check "net list table: n1 up with its addresses, no ports" grep -Eq '^n1 +up +10\.77\.0\.1/24,fd77::1/64 +-$' "$BV_TMP/out"
bv_cli net show n1 >"$BV_TMP/out"
tap_check "net show table: mtu and state" sh -c "grep -Eq '^state +up$' '$BV_TMP/out' && grep -Eq '^bridge +n1, up, mtu 1400' '$BV_TMP/out'"

# -- ports: a veth enslaved with ip appears in show and list.
ip -n "$NS" link add vp0 type veth peer name vp0p && ip -n "$NS" link set vp0 master n1 up
tap_ok $? "ip: veth vp0 added as a port of n1"
tap_check "ip: n1 keeps mtu 1400 with a port of mtu 1500" [ "$(ip -n "$NS" -j link show n1 | jq -r '.[0].mtu')" = 1400 ]
bv_cli net show n1 --json >"$BV_TMP/show"
tap_check "net show --json lists port vp0 (veth, no VM)" \
	jqe '.ports | length == 1 and .[0].name == "vp0" and .[0].kind == "veth" and .[0].vm == null' "$BV_TMP/show"
bv_cli net show n1 >"$BV_TMP/out"
tap_check "net show table lists vp0" grep -Eq '^ports +vp0 \(veth, up\)$' "$BV_TMP/out"
bv_cli net list >"$BV_TMP/out"
tap_check "net list table shows the port" grep -Eq '^n1 +up +.* vp0$' "$BV_TMP/out"

# -- bad input: the right status, one line from the CLI, nothing changed.
ip -n "$NS" link add fx0 type veth peer name fx0p
ip -n "$NS" link add brx type bridge
before=$(links)
bad() { # bad DESCRIPTION STATUS METHOD PATH [BODY]
	st=$(api "$3" "$4" "$5")
	tap_check "$1: HTTP $2 ($(jq -r .error "$BV_TMP/body" 2>/dev/null))" [ "$st" = "$2" ]
}
badcli() { # badcli DESCRIPTION CLI-ARGS...: exit 1, one line on stderr
	desc=$1; shift
	bv_cli "$@" >/dev/null 2>"$BV_TMP/err"
	st=$?
	tap_check "CLI $desc: exit 1 and one line ($(cat "$BV_TMP/err"))" sh -c "[ $st = 1 ] && [ \$(wc -l <'$BV_TMP/err') = 1 ]"
}
bad "name of 16 bytes" 400 POST /v1/networks '{"name":"abcdefghijklmnop"}'
badcli "name of 16 bytes" net create abcdefghijklmnop
bad "bad characters in the name" 400 POST /v1/networks '{"name":"a/b"}'
bad "name of an existing veth" 409 POST /v1/networks '{"name":"fx0"}'
badcli "name of an existing veth" net create fx0
bad "name of a bridge that is not barevirt's" 409 POST /v1/networks '{"name":"brx","addresses":["10.1.1.1/24"]}'
bad "bad CIDR" 400 POST /v1/networks '{"name":"n2","addresses":["10.0.0.300/24"]}'
badcli "bad CIDR" net create n2 --address 10.0.0.300/24
bad "address without prefix" 400 POST /v1/networks '{"name":"n2","addresses":["10.2.0.1"]}'
bad "second address bad (nothing made for the first)" 400 POST /v1/networks '{"name":"n2","addresses":["10.2.0.1/24","fd00::/129"]}'
bad "address listed twice" 400 POST /v1/networks '{"name":"n2","addresses":["10.2.0.1/24","10.2.0.1/24"]}'
bad "mtu out of range" 400 POST /v1/networks '{"name":"n2","mtu":20}'
bad "unknown key" 400 POST /v1/networks '{"name":"n2","adresses":[]}'
bad "malformed JSON" 400 POST /v1/networks '{"name":'
bad "duplicate" 409 POST /v1/networks '{"name":"n1"}'
badcli "duplicate" net create n1
bad "show of an unknown network" 404 GET /v1/networks/nope
badcli "show of an unknown network" net show nope
bad "delete of an unknown network" 404 DELETE /v1/networks/nope
badcli "delete of an unknown network" net delete nope
bad "delete of a non-barevirt link's name" 404 DELETE /v1/networks/fx0
bad "delete while a port exists" 409 DELETE /v1/networks/n1
badcli "delete while a port exists" net delete n1
after=$(links)
tap_check "ip -j link is unchanged by all of that" [ "$after" = "$before" ]
[ "$after" = "$before" ] || { tap_diag "before: $before"; tap_diag "after:  $after"; }
tap_check "no definition was written but n1's" [ "$(ls "$DEFS")" = n1.json ]
bv_cli net create >/dev/null 2>&1
tap_check "CLI bad usage exits 2" [ $? = 2 ]
badcli "unknown sub-command" net frob
ip -n "$NS" link del fx0; ip -n "$NS" link del brx

# -- a running VM's tap: a port naming its VM; delete refused while it runs.
ip -n "$NS" link del vp0
if command -v qemu-system-x86_64 >/dev/null && bv_guest_build; then
	bv_cli vm create g1 --memory 96 --kernel "$BV_GUEST_KERNEL" --initrd "$BV_GUEST_INITRD" \
		--append "console=ttyS0 quiet" --nic n1 >/dev/null &&
		bv_cli vm start g1 >/dev/null
	tap_ok $? "a VM with a NIC on n1 starts"
	bv_cli net show n1 --json >"$BV_TMP/show"
	tap_check "net show: the VM's tap is a port owned by VM g1, nic 0 ($(jq -c '.ports' "$BV_TMP/show"))" \
		jqe '.ports | length == 1 and (.[0].name | test("^bv[0-9a-f]{6}-0$")) and .[0].vm == "g1" and .[0].nic == 0' "$BV_TMP/show"
	tap_check "ip: that tap's master is n1" \
		[ "$(ip -n "$NS" -j link show "$(jq -r '.ports[0].name' "$BV_TMP/show")" | jq -r '.[0].master')" = n1 ]
	st=$(api DELETE /v1/networks/n1)
	tap_check "delete while a running VM uses it: HTTP 409 ($(jq -r .error "$BV_TMP/body"))" [ "$st" = 409 ]
	bv_cli vm kill g1 >/dev/null && bv_cli vm delete g1 >/dev/null
	tap_ok $? "the VM is killed and deleted"
	tap_check "its tap is gone from n1" [ "$(bv_cli net show n1 --json | jq '.ports | length')" = 0 ]
else
	tap_skip "no QEMU or test guest: VM ports not tested"
fi

# -- kill -9, the bridge deleted behind barevirtd's back, restart: re-created.
bv_cli net create n2 --address 10.88.0.1/24 >/dev/null
kill -9 "$BV_DAEMON_PID"; wait "$BV_DAEMON_PID" 2>/dev/null; BV_DAEMON_PID=
ip -n "$NS" link del n1
tap_check "ip: n1 is gone" sh -c "! ip -n '$NS' link show n1 >/dev/null 2>&1"
# n2 is left behind without its definition: a barevirt bridge to adopt.
n2_index=$(ip -n "$NS" -j link show n2 | jq -r '.[0].ifindex')
rm -f "$DEFS/n2.json"
kill "$EVENTS_PID" 2>/dev/null; EVENTS_PID=
bv_daemon_start --netns "/run/netns/$NS"
tap_ok $? "barevirtd restarted"
events_follow
link=$(ip -n "$NS" -j -d link show n1 2>/dev/null)
tap_check "ip: n1 re-created as a bridge, up, mtu 1400, group $GROUP" \
	sh -c "echo '$link' | jq -e '.[0] | .linkinfo.info_kind == \"bridge\" and (.flags | index(\"UP\")) and .mtu == 1400 and .group == \"$GROUP\"' >/dev/null"
a=$(addrs n1)
case "$a" in *10.77.0.1/24*fd77::1/64*) r=0 ;; *) r=1 ;; esac
tap_ok $r "ip: n1 has its addresses again ($a)"
tap_check "the log says it re-created n1" grep -q "network 'n1': bridge was missing, re-created it" "$BV_DAEMON_LOG"
tap_check "net show n1 after restart: up" [ "$(bv_cli net show n1 --json | jq -r .state)" = up ]
st=$(api POST /v1/networks '{"name":"n2","addresses":["10.88.0.1/24","10.89.0.1/24"]}')
tap_check "a left-behind barevirt bridge is adopted by create (HTTP $st)" [ "$st" = 201 ]
tap_check "adopted, not re-made: same ifindex" [ "$(ip -n "$NS" -j link show n2 | jq -r '.[0].ifindex')" = "$n2_index" ]
a=$(addrs n2)
case "$a" in *10.88.0.1/24*10.89.0.1/24*) r=0 ;; *) r=1 ;; esac
tap_ok $r "adopted n2 has its old and new addresses ($a)"

# -- delete removes bridge and file.
bv_cli net delete n1 >/dev/null
tap_ok $? "net delete n1"
tap_check "ip: n1 is gone" sh -c "! ip -n '$NS' link show n1 >/dev/null 2>&1"
tap_check "its definition is gone" [ ! -e "$DEFS/n1.json" ]
bv_cli net delete n2 >/dev/null
tap_check "net delete n2; only lo is left" [ "$(ip -n "$NS" -j link | jq -r '[.[].ifname] | join(",")')" = lo ]
tap_check "net list is empty" [ "$(bv_cli net list --json | jq length)" = 0 ]
sleep 0.2
tap_check "events: network-created for n1 and network-deleted for n1" \
	sh -c "grep '\"network-created\"' '$BV_TMP/events' | grep -q '\"n1\"' && grep '\"network-deleted\"' '$BV_TMP/events' | grep -q '\"n1\"'"
bv_daemon_stop
tap_ok $? "barevirtd stops cleanly"
tap_done
