#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A network's services, measured through a private barevirtd in a throwaway
# netns (--netns), with the real dnsmasq and nftables (issue 14):
# - container start with a pool address against the same container with a
#   fixed ip= (alternating, medians of R rounds; `barevirt ct start` until it
#   answers). Target: the pool at most 2 ms slower.
# - a VM's DHCP lease: from the guest's first DHCPDISCOVER to dnsmasq's
#   DHCPACK, both seen by a capture on the bridge (tests/bench/dhcp-sniff.py,
#   AF_PACKET). Target: within 100 ms.
# - barevirtd's RSS with 50 networks (NAT, DHCP: 50 dnsmasq) and 1,000 port
#   forwards (20 per network, to a container on it), and the dnsmasqs' RSS
#   apart. Target: barevirtd under 6 MiB.
# BAREVIRT_BENCH_SMOKE=1: R=3, 3 networks with 5 forwards each, and the VM
# part only when the test guest is already built.
: "${top_srcdir:=.}" "${top_builddir:=.}"
say() { echo "bench-netsvc: $*"; }
[ "$(id -u)" = 0 ] || { say "skipped (needs root)"; exit 0; }
for c in ip jq curl busybox python3; do command -v $c >/dev/null || { say "skipped ($c is not installed)"; exit 0; }; done
command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] || { say "skipped (dnsmasq is not installed)"; exit 0; }
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/netns.sh"
. "$top_srcdir/tests/lib/guest.sh"
R=30 NETS=50 FWS=20
[ -z "${BAREVIRT_BENCH_SMOKE:-}" ] || { R=3 NETS=3 FWS=5; }
SNIFF_PID=
cleanup() {
	[ -n "$SNIFF_PID" ] && kill "$SNIFF_PID" 2>/dev/null
	for p in $(cat "$BV_TMP"/run/vms/*/qemu.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	for c in $(bv_cli ct list -q 2>/dev/null); do bv_cli ct delete --force "$c" >/dev/null 2>&1; done
	bv_cleanup
	bv_netns_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { say "FAILED: $*"; [ -f "$BV_DAEMON_LOG" ] && tail -5 "$BV_DAEMON_LOG"; exit 1; }
now_us() { echo $(($(date +%s%N) / 1000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
api() { curl -s --fail-with-body -o "$BV_TMP/api.out" --max-time 60 --unix-socket "$BV_SOCKET" -X "$1" -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "http://x$2"; }
wait_state() { # wait_state NAME STATE: up to 10 s
	_n=0
	while [ "$(bv_cli ct show "$1" --json 2>/dev/null | jq -r .state)" != "$2" ]; do
		_n=$((_n + 1)); [ $_n -lt 200 ] || return 1; sleep 0.05
	done
}

NS=$(bv_netns_new bnsvc) || fail "cannot create a netns"
bv_daemon_start --netns "/run/netns/$NS" || fail "barevirtd did not start"
P=bnsvc$$ # names: the cgroup parent is host-wide
R_FS=$BV_TMP/rootfs
mkdir -p "$R_FS/bin" "$R_FS/etc" && cp "$(command -v busybox)" "$R_FS/bin/" && ln -sf busybox "$R_FS/bin/sleep"

# -- pool against fixed address
bv_cli net create b0 --address 10.71.0.1/24 >/dev/null || fail "net create b0"
[ -n "$(bv_cli net show b0 --json | jq -r '.dnsmasq.pid // empty')" ] || fail "b0 has no dnsmasq: $(bv_cli net show b0 --json | jq -c .dnsmasq)"
bv_cli ct create "$P-pool" --rootfs "$R_FS" --nic b0 --dns none -- /bin/sleep 1000 >/dev/null || fail "ct create pool"
bv_cli ct create "$P-fixed" --rootfs "$R_FS" --nic b0,ip=10.71.0.20/24 --dns none -- /bin/sleep 1000 >/dev/null ||
	fail "ct create fixed"
: >"$BV_TMP/pool" && : >"$BV_TMP/fixed"
i=0
while [ $i -lt $R ]; do
	for kind in pool fixed; do
		t0=$(now_us)
		bv_cli ct start "$P-$kind" >/dev/null || fail "ct start $kind"
		echo $(($(now_us) - t0)) >>"$BV_TMP/$kind"
		bv_cli ct kill "$P-$kind" >/dev/null 2>&1
		wait_state "$P-$kind" stopped || fail "$kind did not stop"
	done
	i=$((i + 1))
done
pool=$(median <"$BV_TMP/pool") fixed=$(median <"$BV_TMP/fixed")
awk -v p="$pool" -v f="$fixed" 'BEGIN { printf "bench-netsvc: ct start with a pool address %.2f ms, with a fixed ip %.2f ms: %+.2f ms (target <= 2 ms)\n", p / 1000, f / 1000, (p - f) / 1000 }'
bv_cli ct delete --force "$P-pool" >/dev/null; bv_cli ct delete --force "$P-fixed" >/dev/null

# -- a VM's lease: DISCOVER to ACK on the bridge
if command -v qemu-system-x86_64 >/dev/null &&
   { [ -z "${BAREVIRT_BENCH_SMOKE:-}" ] || [ -s "$top_builddir/build/guest/initramfs.cpio.gz" ]; } &&
   bv_guest_build 2>/dev/null; then
	MAC=52:54:00:71:00:99
	bv_cli vm create "$P-vm" --memory 96 --kernel "$BV_GUEST_KERNEL" --initrd "$BV_GUEST_INITRD" \
		--append "console=ttyS0 quiet" --nic "b0,mac=$MAC" >/dev/null || fail "vm create"
	BR=$(bv_cli net show b0 --json | jq -r '.bridge.name')
	ip netns exec "$NS" python3 "$top_srcdir/tests/bench/dhcp-sniff.py" "$BR" "$MAC" 60 >"$BV_TMP/sniff" 2>&1 &
	SNIFF_PID=$!
	n=0; while ! grep -q READY "$BV_TMP/sniff" && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
	bv_cli vm start "$P-vm" >/dev/null || fail "vm start"
	wait "$SNIFF_PID" || fail "no DISCOVER and ACK seen on $BR: $(cat "$BV_TMP/sniff"); dnsmasq: $(tail -8 "$BV_TMP/run/networks/b0/dnsmasq.log" 2>&1; cat "$BV_TMP/run/networks/b0/dhcp-hosts")"
	SNIFF_PID=
	d=$(awk '$1 == "DISCOVER" { d = $2 } $1 == "ACK" { a = $2 } END { printf "%.2f", (a - d) / 1e6 }' "$BV_TMP/sniff")
	say "VM lease: DHCPDISCOVER to DHCPACK $d ms on the bridge (target <= 100 ms)"
	bv_cli vm kill "$P-vm" >/dev/null 2>&1; bv_cli vm delete --force "$P-vm" >/dev/null 2>&1
else
	say "VM lease: skipped (no QEMU or no test guest built)"
fi

# -- RSS with NETS networks and NETS*FWS forwards
i=1
while [ $i -le $NETS ]; do
	api POST /v1/networks "{\"name\": \"n$i\", \"addresses\": [\"10.$((100 + i / 250)).$((i % 250)).1/24\"]}" || fail "network n$i: $(cat "$BV_TMP/api.out")"
	bv_cli ct create "$P-t$i" --rootfs "$R_FS" --nic "n$i" --dns none -- /bin/sleep 1000 >/dev/null || fail "ct t$i"
	j=1
	while [ $j -le $FWS ]; do
		api POST "/v1/networks/n$i/forwards" "{\"proto\": \"tcp\", \"port\": $((20000 + i * 100 + j)), \"to\": \"$P-t$i:$((8000 + j))\"}" ||
			fail "forward $i/$j"
		j=$((j + 1))
	done
	i=$((i + 1))
done
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$BV_DAEMON_PID/status")
dm=0 ndm=0
for f in "$BV_TMP"/run/networks/*/dnsmasq.json; do
	p=$(jq -r .pid "$f"); r=$(awk '/^VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null)
	[ -n "$r" ] && dm=$((dm + r)) ndm=$((ndm + 1))
done
awk -v r="$rss" -v n="$NETS" -v f="$((NETS * FWS))" -v d="$dm" -v nd="$ndm" 'BEGIN {
	printf "bench-netsvc: barevirtd RSS %.2f MiB with %d networks and %d forwards (target < 6 MiB); %d dnsmasq %.2f MiB in all, %.2f MiB each\n",
		r / 1024, n, f, nd, d / 1024, nd ? d / 1024 / nd : 0 }'
exit 0
