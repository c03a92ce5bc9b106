#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# barevirtd --listen under hostile clients (issue 15, item 6), with real
# OpenSSL on the other side: slowloris (100 connections sending a byte a
# second) gets 408 and is closed, 2,000 idle TLS connections and 2,000
# idle TCP ones from one address do not delay another client's ping by
# more than 50 ms, the per-address limit holds, a 100 MB body is refused
# unread (barevirtd's peak RSS checked), per-endpoint body and head limits,
# an SNI the certificate does not name is refused at the handshake, and
# every refusal before HTTP is in the audit log. Each hostile client runs
# from its own loopback address (127.0.0.2...) so the limits per address
# are visible; the measuring client is 127.0.0.1.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"

tap_require_root
[ -x "$top_builddir/tools/barevirt-proxy" ] || tap_skip_all "built without TLS (--disable-tls)"
for c in curl jq openssl python3; do
	command -v $c >/dev/null || tap_skip_all "$c is not installed"
done
FLOOD="$top_srcdir/tests/integration/tls-flood.py"
trap 'kill $fl_pid 2>/dev/null; bv_cleanup' EXIT INT TERM
jqe() { jq -e "$@" >/dev/null; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bv_daemon_start --listen "127.0.0.1:$port" --max-connections 4096 --max-connections-per-source 4096 \
	--request-timeout 2 --max-header-bytes 2048
tap_ok $? "barevirtd starts with --listen and its limits as flags"
CA="$BV_TMP/state/tls/ca.pem"
URL="https://127.0.0.1:$port"
admin=$(bv_cli token create lim-admin --role admin --json | jq -r .token)
AUTH="Authorization: Bearer $admin"

# ping_ms: the median of 5 fresh HTTPS pings from 127.0.0.1 (handshake included), in ms.
ping_ms() {
	for _i in 1 2 3 4 5; do
		curl -s -o /dev/null -w '%{time_total}\n' --cacert "$CA" -H "$AUTH" "$URL/v1/ping"
	done | sort -n | sed -n 3p | awk '{ printf "%d", $1 * 1000 }'
}
# flood MODE N SRC SECONDS: starts tls-flood.py into $BV_TMP/flood.out, waits (bounded) until it is ready.
flood() {
	python3 "$FLOOD" "$1" "$2" 127.0.0.1 "$port" "$3" "$4" >"$BV_TMP/flood.out" 2>"$BV_TMP/flood.err" &
	fl_pid=$!
	bv_wait_for 60 grep -q "^ready" "$BV_TMP/flood.out"
}
flood_result() { # waits for the flood's JSON line (bounded) and prints it
	bv_wait_for 30 grep -q "^{" "$BV_TMP/flood.out"
	grep "^{" "$BV_TMP/flood.out"
}
base=$(ping_ms)
tap_check "a baseline HTTPS ping ($base ms)" [ -n "$base" ]

# -- slowloris: a byte a second keeps a connection from being idle, not from the request timeout.
flood slow 100 127.0.0.2 6
tap_check "100 slowloris connections are open ($(cat "$BV_TMP/flood.out"))" grep -q "^ready 100" "$BV_TMP/flood.out"
t=$(ping_ms)
tap_check "under slowloris a ping takes $t ms (baseline $base; at most 50 more)" [ "$t" -le $((base + 50)) ]
r=$(flood_result)
echo "$r" | jqe '.got_408 >= 95 and .closed == 100'
tap_ok $? "each got 408 and was closed after --request-timeout 2 ($r)"
wait $fl_pid

# -- 2,000 idle TLS connections (the limits raised for it): the loop still answers at once.
flood idle-tls 2000 127.0.0.3 120
tap_check "2000 idle TLS connections are open ($(head -c 40 "$BV_TMP/flood.out"))" grep -q "^ready 2000" "$BV_TMP/flood.out"
t=$(ping_ms)
tap_check "with 2000 idle TLS connections a ping takes $t ms (baseline $base; at most 50 more)" [ "$t" -le $((base + 50)) ]
kill $fl_pid; wait $fl_pid 2>/dev/null

# -- bodies and heads: refused from the head, never read into memory.
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$BV_DAEMON_PID/status"; }
before=$(hwm)
truncate -s 100M "$BV_TMP/big"
code=$(curl -s -o "$BV_TMP/b" -w '%{http_code}' --cacert "$CA" -H "$AUTH" -H "Content-Type: application/json" \
	--data-binary @"$BV_TMP/big" "$URL/v1/vms")
tap_check "a 100 MB body (Content-Length) is 413" [ "$code" = 413 ]
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H "$AUTH" -H "Transfer-Encoding: chunked" \
	-X POST -T "$BV_TMP/big" "$URL/v1/vms")
tap_check "a 100 MB chunked body is 413 too" [ "$code" = 413 ]
after=$(hwm)
tap_check "barevirtd's peak RSS grew $((after - before)) KiB (at most 2048)" [ $((after - before)) -le 2048 ]
rm -f "$BV_TMP/big"
head -c 10000 /dev/zero | tr '\0' x | sed 's/^/{"name": "/; s/$/"}/' >"$BV_TMP/10k"
code=$(curl -s -o "$BV_TMP/b" -w '%{http_code}' --cacert "$CA" -H "$AUTH" --data-binary @"$BV_TMP/10k" "$URL/v1/tokens")
[ "$code" = 413 ] && grep -q "4096 bytes" "$BV_TMP/b"
tap_ok $? "POST /v1/tokens has its own limit: 10 kB is 413 ($(cat "$BV_TMP/b"))"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" --data-binary @"$BV_TMP/10k" "$URL/v1/vms")
code2=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H "$AUTH" --data-binary @"$BV_TMP/10k" "$URL/v1/vms")
[ "$code" = 413 ] && [ "$code2" != 413 ]
tap_ok $? "without credentials 10 kB is 413 unread ($code); with a token it is read ($code2)"
code=$(curl -s -o "$BV_TMP/b" -w '%{http_code}' --cacert "$CA" -H "$AUTH" -H "X-Big: $(head -c 3000 /dev/zero | tr '\0' y)" "$URL/v1/ping")
[ "$code" = 431 ] && grep -q "2048 bytes" "$BV_TMP/b"
tap_ok $? "--max-header-bytes 2048: a 3 kB header is 431"

# -- SNI: a name the certificate is not for ends the handshake; its own name and none are fine.
name=$(openssl x509 -in "$BV_TMP/state/tls/server.pem" -noout -ext subjectAltName | grep -o 'DNS:[^,]*' | head -1 | cut -d: -f2)
curl -s -o /dev/null --cacert "$CA" -H "$AUTH" --resolve "wrong.example:$port:127.0.0.1" "https://wrong.example:$port/v1/ping"
tap_check "an SNI of wrong.example is refused at the handshake (curl exit 35)" [ $? = 35 ]
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H "$AUTH" --resolve "$name:$port:127.0.0.1" "https://$name:$port/v1/ping")
tap_check "the certificate's own name ($name) as SNI gets 200" [ "$code" = 200 ]
openssl s_client -connect "127.0.0.1:$port" -servername wrong.example -CAfile "$CA" </dev/null >"$BV_TMP/sc" 2>&1
grep -qi "unrecognized name" "$BV_TMP/sc"
tap_ok $? "openssl s_client -servername wrong.example gets the unrecognized_name alert"
openssl s_client -connect "127.0.0.1:$port" -tls1_2 -CAfile "$CA" </dev/null >/dev/null 2>&1
bv_cli audit --json >"$BV_TMP/audit.json"
jqe 'any(.[]; .method == "TLS" and .status == null and (.refused | test("SNI")) and (.source | startswith("127.0.0.1:")))' "$BV_TMP/audit.json"
tap_ok $? "audit: the wrong SNI, as a refused TLS connection with its source"
jqe 'any(.[]; .method == "TLS" and (.refused | test("protocol")))' "$BV_TMP/audit.json"
tap_ok $? "audit: the TLS 1.2 handshake ($(jq -c '[.[] | select(.method == "TLS") | .refused] | unique' "$BV_TMP/audit.json"))"
jqe 'any(.[]; .method == "POST" and .path == "/v1/tokens" and .status == 413)' "$BV_TMP/audit.json"
tap_ok $? "audit: the 413 is logged"
bv_cli audit | grep -q "TLS .*refused"
tap_ok $? "barevirt audit prints the refused connections"

# -- the defaults: one address gets 64 connections, the others still get in.
bv_daemon_stop
bv_daemon_start --listen "127.0.0.1:$port" --idle-timeout 3
tap_ok $? "barevirtd starts again with the default limits (and --idle-timeout 3)"
flood idle-tcp 2000 127.0.0.5 8
t=$(ping_ms)
tap_check "with 2000 TCP connections from one address a ping takes $t ms (baseline $base; at most 50 more)" \
	[ "$t" -le $((base + 50)) ]
r=$(flood_result)
echo "$r" | jqe '.alive <= 64 and .closed >= 1936'
tap_ok $? "--max-connections-per-source 64 (the default) held: $r"
bv_cli audit --json | jqe 'any(.[]; .method == "TLS" and .refused == "too many connections from this address" and .suppressed > 0)'
tap_ok $? "audit: the refusals, rate-limited (suppressed counted)"
wait $fl_pid

# -- --idle-timeout closes keep-alive connections nobody uses.
flood idle-tls 10 127.0.0.4 5
r=$(flood_result)
echo "$r" | jqe '.closed == 10'
tap_ok $? "--idle-timeout 3 closed 10 idle connections within 5 s ($r)"
wait $fl_pid

# -- bad limits are usage errors and change nothing.
"$BAREVIRTD" --max-connections 0 --state-dir "$BV_TMP/x" 2>"$BV_TMP/err"
[ $? = 2 ] && grep -q "max-connections '0': expected 1 to" "$BV_TMP/err"
tap_ok $? "--max-connections 0 is a usage error naming the range"
"$BAREVIRTD" --request-timeout 1s --state-dir "$BV_TMP/x" 2>/dev/null
tap_check "--request-timeout 1s is a usage error" [ $? = 2 ]
"$BAREVIRTD" --max-header-bytes 100000 --state-dir "$BV_TMP/x" 2>/dev/null
tap_check "--max-header-bytes past 16384 is a usage error" [ $? = 2 ]
tap_check "and none of them made a state dir" [ ! -e "$BV_TMP/x" ]
tap_done
