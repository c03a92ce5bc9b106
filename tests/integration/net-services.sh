#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The services of a network: a supervised dnsmasq (real dnsmasq-base) that
# hands VMs their pinned DHCP leases and resolves instance names, pool
# addresses for containers (configured by barevirtd, no DHCP client inside)
# with a resolv.conf, fixed addresses checked, and all of it surviving
# restarts of the instance, of dnsmasq (kill -9) and of barevirtd (kill -9).
# Bad input is refused and leaves nothing behind; net delete removes the
# dnsmasq and its files. Everything in throwaway netns, with a private
# barevirtd (--netns) and the test guest under QEMU.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/netns.sh"
. "$top_srcdir/tests/lib/guest.sh"

tap_require_root
tap_require_cmd ip curl jq busybox
DNSMASQ=$(command -v dnsmasq || ls /usr/sbin/dnsmasq 2>/dev/null)
[ -n "$DNSMASQ" ] || tap_skip_all "dnsmasq is not installed (dnsmasq-base)"

cleanup() {
	[ -n "$EVENTS_PID" ] && kill "$EVENTS_PID" 2>/dev/null
	for p in $(cat "$BV_TMP"/run/vms/*/qemu.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	for c in c1 c2 c3 c4 sv6; do bv_cli ct kill "$c" >/dev/null 2>&1; done
	bv_cleanup
	[ -n "$T2" ] && rm -rf "$T2"
	bv_netns_cleanup
}
trap cleanup EXIT INT TERM
jqe() { jq -e "$@" >/dev/null; }
api() { bv_api "$@"; }
wait_for() { bv_wait_for "$@"; }
dm_pid() { bv_cli net show svc --json | jq -r '.dnsmasq.pid // empty'; }
ct_ip() { bv_cli --json list | jq -r --arg n "$1" '.[] | select(.ref == $n) | .addresses[0] // empty'; }

NS=$(bv_netns_new svc) || tap_skip_all "cannot create a network namespace (ip netns add)"
bv_daemon_start --netns "/run/netns/$NS" || tap_skip_all "barevirtd did not start"
curl -s -N --unix-socket "$BV_SOCKET" http://x/v1/events >"$BV_TMP/events" 2>/dev/null &
EVENTS_PID=$!
wait_for 5 grep -q hello "$BV_TMP/events"

# -- a network with an IPv4 address gets NAT, DHCP and DNS by default.
bv_cli net create svc --address 10.66.0.1/24 >/dev/null
tap_ok $? "net create svc --address 10.66.0.1/24"
bv_cli net show svc --json >"$BV_TMP/show"
tap_check "defaults: nat, dhcp, pool the upper half, domain svc.barevirt ($(jq -c .definition "$BV_TMP/show"))" \
	jqe '.definition | .nat and .dhcp and .dhcp_range == "10.66.0.128-10.66.0.254" and .dns_domain == "svc.barevirt"' \
	"$BV_TMP/show"
PID=$(dm_pid)
tap_check "net show names a running dnsmasq (pid $PID)" grep -q dnsmasq "/proc/${PID:-0}/cmdline"
tap_check "it runs in barevirtd's netns" \
	[ "$(readlink "/proc/${PID:-0}/ns/net")" = "$(ip netns exec "$NS" readlink /proc/self/ns/net)" ]
ip netns exec "$NS" ss -lnu >"$BV_TMP/ss"
tap_check "it listens on the bridge's address only ($(grep -c ':53 ' "$BV_TMP/ss") DNS sockets)" \
	sh -c "grep -q '10.66.0.1:53 ' '$BV_TMP/ss' && ! grep -qE '(0.0.0.0|\*):53 ' '$BV_TMP/ss'"
bv_cli net show svc >"$BV_TMP/show.txt"
tap_check "net show table: nat, dhcp pool, domain, dnsmasq pid" \
	sh -c "grep -q '^nat *yes' '$BV_TMP/show.txt' && grep -q 'pool 10.66.0.128-10.66.0.254' '$BV_TMP/show.txt' &&
		grep -q 'svc.barevirt' '$BV_TMP/show.txt' && grep -q 'pid $PID' '$BV_TMP/show.txt'"
tap_check "barevirt host says whether IP forwarding is on" \
	sh -c "bv_cli() { '$BAREVIRT' --socket '$BV_SOCKET' \"\$@\"; }; bv_cli --json host | jq -e '.network.ip_forward | type == \"boolean\"'"

# -- containers: pool addresses, resolv.conf, names.
R=$BV_TMP/rootfs
mkdir -p "$R/bin" "$R/etc" && cp "$(command -v busybox)" "$R/bin/" &&
	for a in sh ping nslookup ip cat sleep nc httpd mkdir echo; do ln -sf busybox "$R/bin/$a"; done
for c in c1 c2; do
	bv_cli ct create $c --rootfs "$R" --nic svc -- /bin/sleep 1000 >/dev/null && bv_cli ct start $c >/dev/null
done
IP1=$(ct_ip c1) IP2=$(ct_ip c2)
tap_check "two containers get pool addresses ($IP1, $IP2)" \
	sh -c "case '$IP1 $IP2' in 10.66.0.1[2-9][0-9]' '10.66.0.1[2-9][0-9]|10.66.0.2[0-5][0-9]' '*) [ '$IP1' != '$IP2' ] ;; *) false ;; esac"
tap_check "c1's eth0 has $IP1/24 and a default route via the bridge" \
	sh -c "'$BAREVIRT' --socket '$BV_SOCKET' ct exec c1 -- ip -4 addr show eth0 | grep -q 'inet $IP1/24' &&
		'$BAREVIRT' --socket '$BV_SOCKET' ct exec c1 -- ip route | grep -q 'default via 10.66.0.1'"
bv_cli ct exec c1 -- cat /etc/resolv.conf >"$BV_TMP/resolv" 2>&1
tap_check "c1's resolv.conf points at the network's DNS ($(grep nameserver "$BV_TMP/resolv"))" \
	sh -c "grep -q 'nameserver 10.66.0.1' '$BV_TMP/resolv' && grep -q 'search svc.barevirt' '$BV_TMP/resolv'"
out=$(bv_cli ct exec c1 -- sh -c 'echo x >>/etc/resolv.conf' 2>&1)
tap_check "the resolv.conf is read-only inside ($out)" sh -c "case \"$out\" in *Read-only*) true ;; *) false ;; esac"
tap_check "c1 reaches c2 by its bare name" bv_cli ct exec c1 -- ping -c1 -W2 c2
bv_cli ct exec c1 -- nslookup c2.svc.barevirt >"$BV_TMP/ns" 2>&1
tap_check "c2.svc.barevirt resolves to $IP2 from c1" grep -q "Address: $IP2" "$BV_TMP/ns"
# -- NAT: an "upstream" netns plays the internet and sees barevirtd's address, not the container's.
UP=$(bv_netns_new up)
ip -n "$NS" link add wan type veth peer name up0 netns "$UP"
ip -n "$NS" addr add 192.0.2.1/24 dev wan && ip -n "$NS" link set wan up
ip -n "$UP" addr add 192.0.2.2/24 dev up0 && ip -n "$UP" link set up0 up && ip -n "$UP" link set lo up
ip -n "$NS" route add default via 192.0.2.2
ip netns exec "$UP" socat TCP-LISTEN:7777,reuseaddr,fork 'SYSTEM:echo peer=$SOCAT_PEERADDR' >/dev/null 2>&1 &
SOCAT=$!
wait_for 5 ip netns exec "$UP" sh -c 'ss -ltn | grep -q :7777'
out=$(bv_cli ct exec c1 -- nc -w 3 192.0.2.2 7777 </dev/null 2>&1)
tap_check "c1 reaches the upstream netns through NAT, seen as 192.0.2.1 ($out)" [ "$out" = "peer=192.0.2.1" ]
kill $SOCAT 2>/dev/null
tap_check "IP forwarding is on in barevirtd's netns" [ "$(ip netns exec "$NS" cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
# -- port forwards: DNAT to the instance's current address, from upstream and from the host itself.
bv_cli ct exec c1 -- sh -c 'mkdir -p /www && echo hello-from-c1 >/www/index.html && httpd -p 80 -h /www'
bv_cli net forward add svc --port 8080 --to c1:80 >/dev/null
tap_ok $? "net forward add svc --port 8080 --to c1:80"
tap_check "the upstream netns reaches c1's httpd through the forward" sh -c "[ \"\$(ip netns exec '$UP' curl -s --max-time 5 http://192.0.2.1:8080/)\" = hello-from-c1 ]"
tap_check "barevirtd's own namespace reaches it too (hairpin)" sh -c "[ \"\$(ip netns exec '$NS' curl -s --max-time 5 http://192.0.2.1:8080/)\" = hello-from-c1 ]"
bv_cli net forward list svc --json >"$BV_TMP/fwd"
tap_check "net forward list shows it pointing at $IP1" jqe --arg a "$IP1" '.[0] | .proto == "tcp" and .port == 8080 and .to == "c1:80" and .address == $a' "$BV_TMP/fwd"
rules0=$(ip netns exec "$NS" nft list ruleset | md5sum)
out=$(bv_cli net forward add svc --port 8080 --to c2:80 2>&1)
tap_check "a second forward of port 8080 is refused naming the first ($out)" sh -c "case \"$out\" in *c1:80*) true ;; *) false ;; esac"
out=$(bv_cli net forward add svc --port 8081 --to nosuch:80 2>&1)
tap_check "a forward to an unknown instance is refused ($out)" sh -c "case \"$out\" in *nosuch*) true ;; *) false ;; esac"
bv_cli ct create c4 --rootfs "$R" --nic svc -- /bin/sleep 1000 >/dev/null
bv_cli net forward add svc --port 8082 --to c4:80 >/dev/null
tap_ok $? "a forward to a container that has not started yet is accepted"
bv_cli net forward delete svc --port 8082 >/dev/null && bv_cli ct delete c4 >/dev/null
st=$(api POST /v1/networks/svc/forwards '{"proto":"sctp","port":9,"to":"c1:80"}')
tap_check "a forward of proto sctp is refused (HTTP $st)" [ "$st" = 400 ]
tap_check "the refusals left nft list ruleset as it was" [ "$(ip netns exec "$NS" nft list ruleset | md5sum)" = "$rules0" ]
nft_table() { ip netns exec "$NS" nft list table inet barevirt 2>&1; }
nft_table >"$BV_TMP/nft.before"
tap_check "nft: table inet barevirt masquerades 10.66.0.0/24" grep -q "10.66.0.0/24.*masquerade" "$BV_TMP/nft.before"
ip netns exec "$NS" nft add table inet foreign
ip netns exec "$NS" nft add chain inet foreign c
ip netns exec "$NS" nft add rule inet foreign c tcp dport 4711 accept
ip netns exec "$NS" nft list table inet foreign >"$BV_TMP/foreign.before"

bv_cli net leases svc --json >"$BV_TMP/leases"
tap_check "net leases lists both containers with their addresses" \
	jqe --arg a "$IP1" --arg b "$IP2" '[.[] | select(.kind == "static") | "\(.instance)=\(.ip)"] | sort == ["c1=\($a)", "c2=\($b)"]' "$BV_TMP/leases"
bv_cli net leases svc >"$BV_TMP/leases.txt"
tap_check "net leases table: a header and c1 at $IP1 with its MAC" \
	sh -c "head -1 '$BV_TMP/leases.txt' | grep -q '^MAC  *IP  *HOSTNAME  *INSTANCE  *EXPIRES' &&
		grep -Eq '^[0-9a-f:]{17}  *$IP1  *c1  *c1  *never' '$BV_TMP/leases.txt'"
tap_check "GET /v1/networks/svc/leases is the same" sh -c "[ \"\$(curl -s --unix-socket '$BV_SOCKET' http://x/v1/networks/svc/leases | jq -cS .)\" = \"\$(jq -cS . '$BV_TMP/leases')\" ]"
bv_cli ct create c3 --rootfs "$R" --nic svc --dns none -- /bin/sleep 1000 >/dev/null && bv_cli ct start c3 >/dev/null
out=$(bv_cli ct exec c3 -- sh -c 'cat /etc/resolv.conf 2>/dev/null; echo exec-ok' 2>&1)
tap_check "--dns none: no resolv.conf from the network ($(echo $out))" \
	sh -c "case \"$out\" in *10.66.0.1*) false ;; *exec-ok*) true ;; *) false ;; esac"
bv_cli ct kill c3 >/dev/null; bv_cli ct delete c3 >/dev/null

# -- fixed addresses: reserved, checked.
out=$(bv_cli ct create fx --rootfs "$R" --nic "svc,ip=$IP1/24" -- /bin/true 2>&1)
tap_check "ip= of c1's address is refused naming c1 ($out)" sh -c "case \"$out\" in *\"'c1'\"*) true ;; *) false ;; esac"
out=$(bv_cli ct create fx --rootfs "$R" --nic "svc,ip=10.9.9.9/24" -- /bin/true 2>&1)
tap_check "ip= outside the subnet is refused ($out)" sh -c "case \"$out\" in *outside*) true ;; *) false ;; esac"
tap_check "neither left a container behind" sh -c "! ls '$BV_TMP/state/containers/fx.json' 2>/dev/null"

# -- a VM gets its pinned lease from its own DHCP client.
if command -v qemu-system-x86_64 >/dev/null && bv_guest_build; then
	bv_cli vm create v1 --memory 128 --kernel "$BV_GUEST_KERNEL" --initrd "$BV_GUEST_INITRD" \
		--append "console=ttyS0 quiet" --nic svc --stop-timeout 20 >/dev/null && bv_cli vm start v1 >/dev/null
	tap_ok $? "a VM without bv.ip= on svc starts"
	LOG=$BV_TMP/state/vms/v1/console.log
	bv_wait_for_line "$LOG" 'by dhcp' 90
	VIP=$(tr -d '\r' <"$LOG" | sed -n 's/.*bv-init: eth0 \([0-9.]*\)\/24 by dhcp.*/\1/p' | tail -1)
	tap_check "the guest got a lease from the pool ($VIP)" sh -c "case '$VIP' in 10.66.0.*) true ;; *) false ;; esac"
	bv_cli net leases svc --json >"$BV_TMP/leases"
	tap_check "net leases names v1 for $VIP, with an expiry" \
		jqe --arg a "$VIP" 'any(.[]; .instance == "v1" and .ip == $a and .kind == "dhcp" and (.expiry | type) == "number")' "$BV_TMP/leases"
	tap_check "list shows v1 at $VIP" sh -c "[ \"\$('$BAREVIRT' --socket '$BV_SOCKET' --json list | jq -r '.[] | select(.ref == \"v1\") | .addresses[0]')\" = '$VIP' ]"
	case "$(printf 'nslookup c1 >/dev/null && ping -c1 -W2 c1 >/dev/null && echo RESOLVE-OK\n' |
		timeout 20 "$BAREVIRT" --socket "$BV_SOCKET" vm console v1 | tr -d '\r')" in
	*RESOLVE-OK*) r=0 ;; *) r=1 ;; esac
	tap_ok $r "the guest resolves and reaches c1 by name"
	tap_check "c1 reaches v1 by name" wait_for 15 bv_cli ct exec c1 -- ping -c1 -W2 v1
else
	for i in 1 2 3 4 5 6; do tap_skip "no QEMU or test guest: VM lease not checked"; done
	VIP=
fi

# -- the same addresses after restarts: the instance, dnsmasq, barevirtd.
bv_cli ct restart c1 >/dev/null
tap_check "c1 keeps $IP1 across its restart" [ "$(ct_ip c1)" = "$IP1" ]
OLD=$(dm_pid)
kill -9 "$OLD"
wait_for 10 sh -c "grep -q network-dhcp-started '$BV_TMP/events'"
NEW=$(dm_pid)
tap_check "dnsmasq killed: events network-dhcp-died and network-dhcp-started, a new dnsmasq ($OLD -> $NEW)" \
	sh -c "grep -q network-dhcp-died '$BV_TMP/events' && [ -n '$NEW' ] && [ '$NEW' != '$OLD' ] && grep -q dnsmasq /proc/$NEW/cmdline"
tap_check "names resolve from the new dnsmasq" wait_for 5 bv_cli ct exec c2 -- nslookup c1.svc.barevirt
kill -9 "$BV_DAEMON_PID"; wait "$BV_DAEMON_PID" 2>/dev/null
tap_check "dnsmasq outlives barevirtd's kill -9" kill -0 "$NEW"
BV_DAEMON_PID=
bv_daemon_start --netns "/run/netns/$NS" >/dev/null
tap_check "the restarted barevirtd adopts the same dnsmasq (pid $NEW)" [ "$(dm_pid)" = "$NEW" ]
tap_check "c1 and c2 keep their addresses ($IP1, $IP2)" sh -c "[ '$(ct_ip c1) $(ct_ip c2)' = '$IP1 $IP2' ]"
sleep 0.3
nft_table >"$BV_TMP/nft.after"
tap_check "nft list table inet barevirt is the same after barevirtd's kill -9 and restart" cmp -s "$BV_TMP/nft.before" "$BV_TMP/nft.after"
bv_cli ct exec c1 -- httpd -p 80 -h /www  # its restart above ended the first one
tap_check "the forward still works after the restarts" sh -c "[ \"\$(ip netns exec '$UP' curl -s --max-time 5 http://192.0.2.1:8080/)\" = hello-from-c1 ]"
bv_cli net forward delete svc --port 8080 >/dev/null
tap_ok $? "net forward delete svc --port 8080"
sleep 0.3
tap_check "the port is closed again and the forward is gone from the list" \
	sh -c "! ip netns exec '$UP' curl -s --max-time 3 http://192.0.2.1:8080/ >/dev/null &&
		'$BAREVIRT' --socket '$BV_SOCKET' net forward list svc --json | jq -e 'length == 0'"
tap_check "the foreign table is untouched" sh -c "ip netns exec '$NS' nft list table inet foreign | cmp -s - '$BV_TMP/foreign.before'"
if [ -n "$VIP" ]; then
	bv_cli vm kill v1 >/dev/null; : >"$LOG"; bv_cli vm start v1 >/dev/null
	bv_wait_for_line "$LOG" 'by dhcp' 90
	tap_check "v1 gets $VIP again after its restart" sh -c "tr -d '\r' <'$LOG' | grep -q 'eth0 $VIP/24 by dhcp'"
	bv_cli vm kill v1 >/dev/null; bv_cli vm delete v1 >/dev/null
fi
bv_cli ct kill c2 >/dev/null; bv_cli ct delete c2 >/dev/null
tap_check "a deleted container's address goes back to the pool" \
	sh -c "'$BAREVIRT' --socket '$BV_SOCKET' net leases svc --json | jq -e 'length > 0 and all(.[]; .instance != \"c2\")'"

# -- bad input: refused, nothing changed.
before=$(ls "$BV_TMP/state/networks"; ip -n "$NS" -br link | awk '{print $1}' | sort)
for body in '{"name":"ov","addresses":["10.66.0.200/25"]}' \
	'{"name":"rg","addresses":["10.67.0.1/24"],"dhcp_range":"10.68.0.10-10.68.0.20"}' \
	'{"name":"gw","addresses":["10.67.0.1/24"],"dhcp_range":"10.67.0.1-10.67.0.20"}' \
	'{"name":"nd","dhcp":true}' '{"name":"nn","nat":true}' \
	'{"name":"dd","addresses":["10.67.0.1/24"],"dns_domain":"bad..domain"}' \
	'{"name":"rr","addresses":["10.67.0.1/24"],"dhcp_range":"10.67.0.20-10.67.0.10"}'; do
	st=$(api POST /v1/networks "$body")
	tap_check "refused with 400/409: $body ($st: $(jq -r .error "$BV_TMP/body"))" sh -c "[ $st = 400 ] || [ $st = 409 ]"
done
out=$(bv_cli net create ov2 --address 10.66.0.9/16 2>&1)
tap_check "an overlapping subnet names the other network ($out)" sh -c "case \"$out\" in *\"'svc'\"*) true ;; *) false ;; esac"
after=$(ls "$BV_TMP/state/networks"; ip -n "$NS" -br link | awk '{print $1}' | sort)
tap_check "nothing was added to the state dir or the netns" [ "$before" = "$after" ]

# -- without dnsmasq: --dhcp is refused naming the package; --no-dhcp needs nothing.
T2=$(mktemp -d /tmp/bvtest2.XXXXXX); chmod 711 "$T2"
NS2=$(bv_netns_new svc2)
BAREVIRT_DNSMASQ=/nonexistent "$BAREVIRTD" --state-dir "$T2/state" --run-dir "$T2/run" --socket "$T2/api.sock" \
	--netns "/run/netns/$NS2" >"$T2/log" 2>&1 &
D2=$!
bv_wait_socket "$T2/api.sock" 10
out=$("$BAREVIRT" --socket "$T2/api.sock" net create m1 --address 10.70.0.1/24 --dhcp 2>&1)
tap_check "no dnsmasq: --dhcp is refused naming dnsmasq-base ($out)" sh -c "case \"$out\" in *dnsmasq-base*) true ;; *) false ;; esac"
tap_check "... and left no network" sh -c "! ls '$T2/state/networks/m1.json' 2>/dev/null && ! ip -n '$NS2' link show m1 2>/dev/null"
"$BAREVIRT" --socket "$T2/api.sock" net create m2 --address 10.70.0.1/24 --no-dhcp >/dev/null
tap_ok $? "no dnsmasq: a --no-dhcp network is created"
kill "$D2"; wait "$D2" 2>/dev/null

# -- an IPv6 /64 without IPv4: no DHCP, but router advertisements (SLAAC) from its dnsmasq.
bv_cli net create v6 --address fd77:1::1/64 >/dev/null
tap_ok $? "net create v6 --address fd77:1::1/64"
bv_cli net show v6 --json >"$BV_TMP/show6"
tap_check "v6: no DHCP or NAT, a dnsmasq for its router advertisements ($(jq -c '[.definition.dhcp, .definition.nat, .dnsmasq.pid]' "$BV_TMP/show6"))" \
	jqe '(.definition.dhcp | not) and (.definition.nat | not) and (.dnsmasq.pid | type) == "number"' "$BV_TMP/show6"
tap_check "v6: its dnsmasq sends RAs and leases no IPv4" \
	sh -c "grep -qx enable-ra '$BV_TMP/run/networks/v6/dnsmasq.conf' && grep -q 'constructor:v6,ra-stateless' '$BV_TMP/run/networks/v6/dnsmasq.conf' && ! grep -q '^dhcp-range=[0-9]' '$BV_TMP/run/networks/v6/dnsmasq.conf'"
bv_cli ct create sv6 --rootfs "$R" --nic v6 -- /bin/sleep 1000 >/dev/null && bv_cli ct start sv6 >/dev/null
tap_ok $? "a container on v6 starts"
tap_check "it configures a SLAAC address in fd77:1::/64 from the RA" \
	wait_for 20 sh -c "'$BAREVIRT' --socket '$BV_SOCKET' ct exec sv6 -- ip -6 addr show | grep -q 'inet6 fd77:1:'"
bv_cli ct kill sv6 >/dev/null 2>&1; bv_cli ct delete --force sv6 >/dev/null 2>&1
PID6=$(bv_cli net show v6 --json | jq -r '.dnsmasq.pid // empty')
bv_cli net delete v6 >/dev/null
tap_check "net delete v6 stops its dnsmasq" wait_for 5 sh -c "! kill -0 ${PID6:-0} 2>/dev/null"

# -- delete: its dnsmasq and files go.
bv_cli ct kill c1 >/dev/null; bv_cli ct delete c1 >/dev/null
PID=$(dm_pid)
bv_cli net delete svc >/dev/null
tap_ok $? "net delete svc"
tap_check "its dnsmasq is gone" wait_for 5 sh -c "! kill -0 $PID"
tap_check "without networks barevirtd's nftables tables are gone, the foreign one stays" \
	sh -c "! ip netns exec '$NS' nft list table inet barevirt >/dev/null 2>&1 && ip netns exec '$NS' nft list table inet foreign >/dev/null"
tap_check "its run dir, pool and lease file are gone" \
	sh -c "! ls -d '$BV_TMP/run/networks/svc' '$BV_TMP/state/leases/svc.json' '$BV_TMP/state/leases/svc.leases' 2>/dev/null"
tap_done
