#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Firewall groups on NICs and MAC/IP anti-spoofing, with the real kernel and
# nft, in a throwaway netns with a private barevirtd (--netns): a group that
# drops inbound TCP 80 keeps another container on the same bridge from
# fw-a's httpd while ICMP and other ports pass, deleting the rule reopens
# it; a container cannot send from an address or a MAC that is not its
# own, while its own still work; a foreign table is untouched; barevirtd's
# tables are the same after its kill -9 and restart (and still drop); each
# bad input leaves `nft list ruleset` and the state dir as they were.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/netns.sh"
. "$top_srcdir/tests/lib/guest.sh"

tap_require_root
tap_require_cmd ip curl jq busybox nft nsenter
DNSMASQ=$(command -v dnsmasq || ls /usr/sbin/dnsmasq 2>/dev/null)
[ -n "$DNSMASQ" ] || tap_skip_all "dnsmasq is not installed (dnsmasq-base)"

CTS="fw-a fw-b"
cleanup() {
	for p in $(cat "$BV_TMP"/run/vms/*/qemu.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	for c in $CTS; do bv_cli ct kill "$c" >/dev/null 2>&1; bv_cli ct delete "$c" >/dev/null 2>&1; done
	bv_cleanup
	bv_netns_cleanup
}
trap cleanup EXIT INT TERM
jqe() { jq -e "$@" >/dev/null; }
api() { bv_api "$@"; }
wait_for() { bv_wait_for "$@"; }
# refused DESCRIPTION NEEDLE CLI-ARGS...: the command fails, its message has NEEDLE.
refused() {
	_d=$1 _n=$2; shift 2
	_out=$(bv_cli "$@" 2>&1) && { tap_ok 1 "$_d: accepted ($_out)"; return; }
	case "$_out" in *"$_n"*) tap_ok 0 "$_d: refused ($_out)" ;; *) tap_ok 1 "$_d: wrong message ($_out)" ;; esac
}
ct_ip() { bv_cli --json list | jq -r --arg n "$1" '.[] | select(.ref == $n) | .addresses[0] // empty'; }
ct_pid() { bv_cli ct show "$1" --json | jq -r '.pid // .status.pid // empty'; }
in_ct() { _c=$1; shift; nsenter -t "$(ct_pid "$_c")" -n "$@"; } # the container's netns, with our tools
nft_ns() { ip netns exec "$NS" nft "$@" 2>&1; }
tables() { nft_ns list table inet barevirt; nft_ns list table bridge barevirt; }
state_sum() { (cd "$BV_TMP/state" && find . -type f ! -name '*.log' ! -name '*.leases' | sort | xargs md5sum); }
# reach FROM-CT IP PORT: fetches http://IP:PORT/ from FROM-CT's netns (the host's curl: busybox wget needs more of a rootfs).
reach() { nsenter -t "$(ct_pid "$1")" -n curl -s --max-time 2 "http://$2:$3/" 2>/dev/null | grep -q "hello-$3"; }

NS=$(bv_netns_new fw) || tap_skip_all "cannot create a network namespace (ip netns add)"
bv_daemon_start --netns "/run/netns/$NS" || tap_skip_all "barevirtd did not start"
ip netns exec "$NS" nft add table inet foreign &&
	ip netns exec "$NS" nft add chain inet foreign c &&
	ip netns exec "$NS" nft add rule inet foreign c tcp dport 4711 accept
nft_ns list table inet foreign >"$BV_TMP/foreign.before"

bv_cli net create fwn --address 10.68.0.1/24 --no-nat >/dev/null
tap_ok $? "net create fwn --address 10.68.0.1/24 (DHCP pool, no NAT)"
bv_cli net firewall create fw-web >/dev/null
tap_ok $? "net firewall create fw-web"
bv_cli net firewall rule add fw-web --in --proto tcp --port 80 --action drop >"$BV_TMP/out"
tap_check "rule add --in --proto tcp --port 80 --action drop ($(cat "$BV_TMP/out"))" grep -q "Rule 1 of firewall group 'fw-web' added: in tcp port 80 drop" "$BV_TMP/out"
tap_check "STATE/firewall/fw-web.json holds it" \
	jqe '.name == "fw-web" and .default_in == "accept" and .default_out == "accept" and .rules == [{"direction": "in", "proto": "tcp", "port": 80, "action": "drop"}]' \
	"$BV_TMP/state/firewall/fw-web.json"

R=$BV_TMP/rootfs
mkdir -p "$R/bin" "$R/etc" "$R/www" && cp "$(command -v busybox)" "$R/bin/" &&
	for a in sh ping ip cat sleep httpd mkdir echo; do ln -sf busybox "$R/bin/$a"; done
echo hello-80 >"$R/www/index80.html"
bv_cli ct create fw-a --rootfs "$R" --nic network=fwn,firewall=fw-web -- /bin/sleep 100000 >/dev/null &&
	bv_cli ct start fw-a >/dev/null
tap_ok $? "ct create fw-a --nic network=fwn,firewall=fw-web, started"
bv_cli ct create fw-b --rootfs "$R" --nic fwn,ip=10.68.0.50/24 -- /bin/sleep 100000 >/dev/null &&
	bv_cli ct start fw-b >/dev/null
tap_ok $? "ct create fw-b --nic fwn,ip=10.68.0.50/24 (no group), started"
A=$(ct_ip fw-a) B=10.68.0.50
tap_check "fw-a has a pool address ($A)" sh -c "case '$A' in 10.68.0.1[2-9][0-9]|10.68.0.2[0-5][0-9]) true ;; *) false ;; esac"
tap_check "ct show fw-a keeps firewall=fw-web in its NIC" \
	sh -c "'$BAREVIRT' --socket '$BV_SOCKET' ct show fw-a --json | jq -e '.definition.nics[0].firewall == \"fw-web\"' >/dev/null"
for p in 80 81; do
	bv_cli ct exec fw-a -- sh -c "mkdir -p /w$p && echo hello-$p >/w$p/index.html && httpd -p $p -h /w$p"
done
bv_cli ct exec fw-b -- sh -c "mkdir -p /w80 && echo hello-80 >/w80/index.html && httpd -p 80 -h /w80"
wait_for 5 reach fw-a 127.0.0.1 80

tables >"$BV_TMP/tables"
tap_check "nft: bridge barevirt has chains in-fw-web, out-fw-web and anti-spoofing for both veths" \
	sh -c "grep -q 'chain in-fw-web' '$BV_TMP/tables' && grep -q 'chain out-fw-web' '$BV_TMP/tables' &&
		[ \$(grep -c 'chain spoof-vc' '$BV_TMP/tables') = 2 ]"
tap_check "fw-b cannot reach fw-a's tcp 80 (the group drops it)" sh -c "! nsenter -t $(ct_pid fw-b) -n curl -s --max-time 2 http://$A:80/ | grep -q hello-80"
tap_check "fw-b reaches fw-a's tcp 81" reach fw-b "$A" 81
tap_check "fw-b pings fw-a (ICMP passes)" bv_cli ct exec fw-b -- ping -c1 -W2 "$A"
tap_check "fw-a reaches fw-b's tcp 80 (out is accepted, its replies pass)" reach fw-a "$B" 80
tap_check "the host (barevirtd's netns) cannot reach fw-a's tcp 80 either" \
	sh -c "! ip netns exec '$NS' curl -s --max-time 2 http://$A:80/ | grep -q hello-80"
bv_cli net firewall show fw-web >"$BV_TMP/show"
tap_check "net firewall show: defaults, rule 1, used by fw-a" \
	sh -c "grep -q '^default in *accept' '$BV_TMP/show' && grep -q '1: in tcp port 80 drop' '$BV_TMP/show' && grep -q 'used by *fw-a nic 0' '$BV_TMP/show'"
bv_cli net firewall list >"$BV_TMP/list"
tap_check "net firewall list: a header and fw-web with 1 rule, used by fw-a" \
	sh -c "head -1 '$BV_TMP/list' | grep -q '^NAME  *IN  *OUT  *RULES  *USED BY' && grep -Eq '^fw-web  *accept  *accept  *1  *fw-a' '$BV_TMP/list'"

# -- anti-spoofing: fw-b with a second address, then with another MAC.
in_ct fw-b ip addr add 10.68.0.99/24 dev eth0
tap_check "fw-b reaches fw-a from its own address" bv_cli ct exec fw-b -- ping -c1 -W2 -I "$B" "$A"
tap_check "fw-b cannot reach fw-a from 10.68.0.99, an address that is not its own" \
	sh -c "! nsenter -t $(ct_pid fw-b) -n ping -c2 -W1 -I 10.68.0.99 $A"
in_ct fw-b ip neigh flush dev eth0
tap_check "nor can it answer ARP for it: fw-a has no neighbour 10.68.0.99" \
	sh -c "! nsenter -t $(ct_pid fw-a) -n ping -c1 -W1 10.68.0.99; ! nsenter -t $(ct_pid fw-a) -n ip neigh show 10.68.0.99 | grep -q lladdr"
in_ct fw-b ip addr del 10.68.0.99/24 dev eth0
MAC=$(in_ct fw-b ip -br link show eth0 | awk '{ print $3 }')
in_ct fw-b ip link set eth0 address 02:aa:bb:cc:dd:ee
in_ct fw-a ip neigh flush dev eth0
tap_check "with another MAC fw-b cannot reach fw-a, not even from its own address" \
	sh -c "! nsenter -t $(ct_pid fw-b) -n ping -c2 -W1 -I $B $A"
in_ct fw-b ip link set eth0 address "$MAC"
tap_check "its own MAC again: it reaches fw-a" wait_for 5 bv_cli ct exec fw-b -- ping -c1 -W1 "$A"

# -- bad input: refused, nft and the state dir unchanged.
nft_ns list ruleset >"$BV_TMP/ruleset.before"
state_sum >"$BV_TMP/state.before"
refused "a rule with --port and --proto any" "a port needs --proto tcp or udp, not 'any'" \
	net firewall rule add fw-web --in --proto any --port 22 --action drop
refused "a rule with --port and --proto icmp" "not 'icmp'" net firewall rule add fw-web --in --proto icmp --port 22 --action drop
refused "a bad CIDR" "'10.0.0.300/24' is not a CIDR" net firewall rule add fw-web --in --proto tcp --from 10.0.0.300/24 --action drop
refused "a port out of range" "70000 is not a port (1-65535)" net firewall rule add fw-web --in --proto tcp --port 70000 --action drop
refused "port 0" "0 is not a port" net firewall rule add fw-web --in --proto udp --port 0 --action drop
refused "a port range out of range" "'80-70000' is not N or N-M" net firewall rule add fw-web --in --proto tcp --port 80-70000 --action drop
refused "a port range that ends before it starts" "'90-80' ends before it starts" \
	net firewall rule add fw-web --in --proto tcp --port 90-80 --action drop
refused "--from on an --out rule" "--from: an --out rule matches its peer with --to" \
	net firewall rule add fw-web --out --proto tcp --from 10.0.0.0/8 --action drop
refused "an unknown --proto" "'sctp' is not tcp, udp, icmp or any" net firewall rule add fw-web --in --proto sctp --action drop
refused "an unknown --action" "'reject' is not accept or drop" net firewall rule add fw-web --in --proto tcp --action reject
refused "a rule for an unknown group" "no firewall group named 'fw-nope'" net firewall rule add fw-nope --in --proto tcp --action drop
refused "a duplicate group" "firewall group 'fw-web' exists already" net firewall create fw-web
refused "a bad --default-in" "--default-in: 'maybe' is not accept or drop" net firewall create fw-x --default-in maybe
refused "a bad group name" "invalid firewall group name '-x'" net firewall create -- -x
refused "deleting a group a NIC uses, naming it" "used by container 'fw-a'" net firewall delete fw-web
refused "deleting a rule that does not exist" "has no rule '5'" net firewall rule delete fw-web 5
refused "a container NIC naming an unknown group" "nics[0].firewall: no firewall group named 'fw-nope'" \
	ct create fw-c --rootfs "$R" --nic fwn,firewall=fw-nope -- /bin/true
st=$(api POST /v1/vms '{"name": "fw-v", "kernel": "/nonexistent", "nics": [{"network": "fwn", "firewall": "fw-nope"}]}')
tap_check "a VM NIC naming an unknown group (HTTP $st: $(jq -r .error "$BV_TMP/body"))" \
	sh -c "[ $st = 400 ] && jq -e '.error | contains(\"no firewall group named \\u0027fw-nope\\u0027\")' '$BV_TMP/body' >/dev/null"
st=$(api POST /v1/firewall/groups/fw-web/rules '{"direction": "in", "proto": "tcp", "action": "drop", "extra": 1}')
tap_check "a rule with an unknown key (HTTP $st)" [ "$st" = 400 ]
tap_check "the refusals left nft list ruleset as it was" sh -c "nft_ns() { ip netns exec '$NS' nft \"\$@\"; }; nft_ns list ruleset | cmp -s - '$BV_TMP/ruleset.before'"
state_sum >"$BV_TMP/state.after"
tap_check "the refusals left the state dir as it was" cmp -s "$BV_TMP/state.before" "$BV_TMP/state.after"

# -- kill -9 and restart: the same tables, still dropping.
tables >"$BV_TMP/nft.before"
PIDB=$(ct_pid fw-b)
kill -9 "$BV_DAEMON_PID"; wait "$BV_DAEMON_PID" 2>/dev/null
BV_DAEMON_PID=
tap_check "while barevirtd is away fw-a's tcp 80 stays closed to fw-b" \
	sh -c "! nsenter -t $PIDB -n curl -s --max-time 2 http://$A:80/ | grep -q hello-80"
tap_check "... and tcp 81 stays open" \
	sh -c "nsenter -t $PIDB -n curl -s --max-time 2 http://$A:81/ | grep -q hello-81"
bv_daemon_start --netns "/run/netns/$NS" >/dev/null
wait_for 5 sh -c "'$BAREVIRT' --socket '$BV_SOCKET' ct show fw-b --json | jq -e '.state == \"running\"'"
sleep 0.5
tables >"$BV_TMP/nft.after"
tap_check "nft list table inet/bridge barevirt is the same after barevirtd's kill -9 and restart" \
	cmp -s "$BV_TMP/nft.before" "$BV_TMP/nft.after"
[ $? = 0 ] || diff "$BV_TMP/nft.before" "$BV_TMP/nft.after" | sed 's/^/# /'
tap_check "after the restart fw-b still cannot reach fw-a's tcp 80" \
	sh -c "! nsenter -t $(ct_pid fw-b) -n curl -s --max-time 2 http://$A:80/ | grep -q hello-80"

# -- removing the rule reopens the port.
bv_cli net firewall rule delete fw-web 1 >/dev/null
tap_ok $? "net firewall rule delete fw-web 1"
tap_check "fw-b reaches fw-a's tcp 80 again" reach fw-b "$A" 80
bv_cli net firewall rule list fw-web --json >"$BV_TMP/rules"
tap_check "rule list is empty" jqe 'length == 0' "$BV_TMP/rules"
bv_cli net firewall rule add fw-web --in --proto tcp --port 81-82 --from 10.68.0.50 --action drop >/dev/null
tap_check "a rule with a range and --from fw-b's address closes tcp 81 for fw-b" \
	sh -c "! nsenter -t $(ct_pid fw-b) -n curl -s --max-time 2 http://$A:81/ | grep -q hello-81"
tap_check "... but not tcp 80" reach fw-b "$A" 80
bv_cli net firewall rule list fw-web >"$BV_TMP/rules.txt"
tap_check "rule list table: 1 in tcp 81-82 10.68.0.50/32 drop" grep -Eq '^ *1  *in  *tcp  *81-82  *10.68.0.50/32  *drop' "$BV_TMP/rules.txt"

# -- a VM in a group that drops inbound by default: its DHCP passes, anti-spoofed once leased.
bv_cli net firewall create fw-closed --default-in drop --default-out drop >/dev/null
tap_check "net firewall create fw-closed --default-in drop --default-out drop" \
	jqe '.default_in == "drop" and .default_out == "drop"' "$BV_TMP/state/firewall/fw-closed.json"
if command -v qemu-system-x86_64 >/dev/null && bv_guest_build; then
	bv_cli vm create fw-v --memory 128 --kernel "$BV_GUEST_KERNEL" --initrd "$BV_GUEST_INITRD" \
		--append "console=ttyS0 quiet" --nic fwn,firewall=fw-closed --stop-timeout 5 >/dev/null && bv_cli vm start fw-v >/dev/null
	tap_ok $? "vm create fw-v --nic fwn,firewall=fw-closed, started"
	LOG=$BV_TMP/state/vms/fw-v/console.log
	bv_wait_for_line "$LOG" 'by dhcp' 120
	V=$(tr -d '\r' <"$LOG" | sed -n 's/.*bv-init: eth0 \([0-9.]*\)\/24 by dhcp.*/\1/p' | tail -1)
	tap_check "its guest got a lease through the group's default drop ($V)" sh -c "case '$V' in 10.68.0.*) true ;; *) false ;; esac"
	tap_check "once leased its tap is anti-spoofed and dispatched to fw-closed" \
		wait_for 5 sh -c "ip netns exec '$NS' nft list table bridge barevirt | grep -q 'chain spoof-bv' &&
			ip netns exec '$NS' nft list table bridge barevirt | grep -Eq 'oifname \"bv[0-9a-f]{6}-0\" jump in-fw-closed'"
	tap_check "fw-b cannot ping fw-v (inbound is dropped by default)" sh -c "! nsenter -t $(ct_pid fw-b) -n ping -c1 -W2 $V"
	bv_cli net firewall rule add fw-closed --in --proto icmp --from 10.68.0.0/24 --action accept >/dev/null
	tap_check "with a rule accepting ICMP from the subnet fw-b pings fw-v" wait_for 5 nsenter -t "$(ct_pid fw-b)" -n ping -c1 -W1 "$V"
	bv_cli vm kill fw-v >/dev/null; bv_cli vm delete fw-v >/dev/null
	tap_check "the VM's tap left the bridge table" wait_for 5 sh -c "! ip netns exec '$NS' nft list table bridge barevirt | grep -q 'spoof-bv'"
else
	for i in 1 2 3 4 5 6; do tap_skip "no QEMU or test guest: the VM's group not checked"; done
fi

# -- a stopped instance leaves the ruleset.
VB=$(bv_cli ct show fw-b --json | jq -r '.nics[0].host_ifname')
tap_check "fw-b's veth $VB is in the bridge table" sh -c "ip netns exec '$NS' nft list table bridge barevirt | grep -q 'spoof-$VB'"
bv_cli ct stop fw-b >/dev/null
tap_check "fw-b's veth left the bridge table when it stopped" \
	wait_for 5 sh -c "! ip netns exec '$NS' nft list table bridge barevirt | grep -q '$VB'"

# -- the end: groups go once unused, nothing of ours is left, the foreign table is untouched.
for c in $CTS; do bv_cli ct kill "$c" >/dev/null 2>&1; bv_cli ct delete "$c" >/dev/null 2>&1; done
wait_for 5 sh -c "! ip netns exec '$NS' nft list table bridge barevirt | grep -q spoof-"
tap_check "with no running instance the bridge table has no anti-spoofing chains" sh -c "! ip netns exec '$NS' nft list table bridge barevirt | grep -q spoof-"
bv_cli net firewall delete fw-web >/dev/null && bv_cli net firewall delete fw-closed >/dev/null
tap_ok $? "net firewall delete fw-web and fw-closed once no NIC names them"
tap_check "their state files are gone" sh -c "! ls '$BV_TMP/state/firewall/'*.json 2>/dev/null"
bv_cli net delete fwn >/dev/null
tap_check "net delete fwn: barevirtd's tables are gone" sh -c "! ip netns exec '$NS' nft list table inet barevirt >/dev/null 2>&1"
nft_ns list table inet foreign >"$BV_TMP/foreign.after"
tap_check "the foreign table is untouched" cmp -s "$BV_TMP/foreign.before" "$BV_TMP/foreign.after"

tap_done
