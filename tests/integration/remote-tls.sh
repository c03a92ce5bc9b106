#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# barevirtd --listen as a remote client meets it, with real OpenSSL on the
# other side (curl, openssl s_client): HTTPS on 127.0.0.1 and ::1 at a
# free port, 401 without credentials, bearer tokens and their roles,
# client certificates from the trust store (and not from another CA),
# TLS 1.3 only, revocation closing open keep-alive connections and event
# streams, expiry, events over HTTPS, the handshake timeout;
# barevirt-proxy's confinement read from /proc, and its restart after kill -9.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"

tap_require_root
[ -x "$top_builddir/tools/barevirt-proxy" ] || tap_skip_all "built without TLS (--disable-tls)"
for c in curl jq openssl python3; do
	command -v $c >/dev/null || tap_skip_all "$c is not installed"
done
trap 'kill $ev_pid $sc_pid 2>/dev/null; bv_cleanup' EXIT INT TERM
jqe() { jq -e "$@" >/dev/null; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bv_daemon_start --listen "127.0.0.1:$port" --listen "[::1]:$port" --tls-handshake-timeout 1
tap_ok $? "barevirtd starts with --listen 127.0.0.1:$port and [::1]:$port"
TLS="$BV_TMP/state/tls"
CA="$TLS/ca.pem"
URL="https://127.0.0.1:$port"

# -- identity: made once, 0600, its fingerprint in GET /v1/host and `barevirt host`.
[ -f "$CA" ] && [ -f "$TLS/server.key" ]
tap_ok $? "CA and server certificate made in the state dir"
tap_check "the keys are 0600" [ "$(stat -c %a "$TLS/server.key") $(stat -c %a "$TLS/ca.key")" = "600 600" ]
openssl verify -CAfile "$CA" "$TLS/server.pem" >/dev/null 2>&1
tap_ok $? "the server certificate chains to the CA"
openssl x509 -in "$TLS/server.pem" -noout -text | grep -q "ASN1 OID: prime256v1"
tap_ok $? "the server key is ECDSA P-256"
want=$(openssl x509 -in "$TLS/server.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)
bv_cli host --json >"$BV_TMP/host.json"
tap_check "GET /v1/host's tls.fingerprint is openssl's SHA-256" [ "$(jq -r .tls.fingerprint "$BV_TMP/host.json")" = "$want" ]
bv_cli host | grep -q "sha256 $want"
tap_ok $? "barevirt host shows the fingerprint"

# -- no credentials, wrong credentials: 401 JSON, the same words.
code=$(curl -s -o "$BV_TMP/b" -w '%{http_code}' --cacert "$CA" "$URL/v1/ping")
tap_check "HTTPS GET /v1/ping without auth is 401" [ "$code" = 401 ]
jqe '.error | type == "string"' "$BV_TMP/b"
tap_ok $? "with a JSON error"
noauth=$(jq -r .error "$BV_TMP/b")
code=$(curl -s -o "$BV_TMP/b" -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer bvt_0000" "$URL/v1/ping")
[ "$code" = 401 ] && [ "$(jq -r .error "$BV_TMP/b")" = "$noauth" ]
tap_ok $? "a wrong token is 401 with the same message"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H "Authorization: Basic cm9vdDpyb290" "$URL/v1/ping")
tap_check "Basic auth is 401" [ "$code" = 401 ]

# -- tokens and roles.
admin=$(bv_cli token create ci-admin --role admin --json | jq -r .token)
tap_check "token create --json prints {\"token\"}" [ "${admin#bvt_}" != "$admin" ]
! grep -q "$admin" "$BV_TMP/state/tokens.json"
tap_ok $? "tokens.json holds no token, only hashes"
hash=$(printf %s "$admin" | sha256sum | cut -d' ' -f1)
grep -q "$hash" "$BV_TMP/state/tokens.json"
tap_ok $? "tokens.json holds its SHA-256"
tap_check "tokens.json is 0600" [ "$(stat -c %a "$BV_TMP/state/tokens.json")" = 600 ]
code=$(curl -s -o "$BV_TMP/b" -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer $admin" "$URL/v1/ping")
[ "$code" = 200 ] && jqe '.ok == true' "$BV_TMP/b"
tap_ok $? "HTTPS GET /v1/ping with a token is 200"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer $admin" "https://[::1]:$port/v1/ping")
tap_check "and over IPv6 [::1]:$port" [ "$code" = 200 ]
viewer=$(bv_cli token create watcher --json | jq -r .token)
operator=$(bv_cli token create ops --role operator --expires 1h --json | jq -r .token)
# An operator names files in barevirt's store only (STATE/images, STATE/volumes): see remote-projects.sh.
mkdir -p "$BV_TMP/state/images" && : >"$BV_TMP/state/images/vmlinuz"
vm='{"name": "rt-vm", "kernel": "'"$BV_TMP/state/images/vmlinuz"'"}'
code=$(curl -s -o "$BV_TMP/b" -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer $viewer" -d "$vm" "$URL/v1/vms")
[ "$code" = 403 ] && jqe '.error | test("viewer")' "$BV_TMP/b"
tap_ok $? "a viewer's POST /v1/vms is 403"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer $viewer" "$URL/v1/vms")
tap_check "a viewer's GET /v1/vms is 200" [ "$code" = 200 ]
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer $operator" "$URL/v1/tokens")
tap_check "an operator's GET /v1/tokens is 403" [ "$code" = 403 ]

# -- events over HTTPS: a viewer follows, an operator creates a VM.
curl -s -N --cacert "$CA" -H "Authorization: Bearer $viewer" "$URL/v1/events" >"$BV_TMP/events" &
ev_pid=$!
sleep 0.5
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer $operator" -d "$vm" "$URL/v1/vms")
tap_check "an operator's POST /v1/vms is 201" [ "$code" = 201 ]
bv_wait_for 5 grep -q '"vm-created"' "$BV_TMP/events"
tap_ok $? "GET /v1/events over HTTPS streams the vm-created event"
kill $ev_pid 2>/dev/null
bv_api DELETE /v1/vms/rt-vm >/dev/null

tap_check "a token name twice is 409" [ "$(bv_api POST /v1/tokens '{"name": "ops"}')" = 409 ]
tap_check "an unknown role is 400" [ "$(bv_api POST /v1/tokens '{"name": "x", "role": "root"}')" = 400 ]
tap_check "a bad name is 400" [ "$(bv_api POST /v1/tokens '{"name": "../x"}')" = 400 ]
tap_check "expires_in 0 is 400" [ "$(bv_api POST /v1/tokens '{"name": "x", "expires_in": 0}')" = 400 ]
bv_cli token create x --expires 2q >/dev/null 2>&1
tap_check "--expires 2q is a usage error" [ $? = 2 ]
tap_check "and none of them made a token" [ "$(bv_cli token list -q | sort | tr '\n' ' ')" = "ci-admin ops watcher " ]
code=$(curl -s -o "$BV_TMP/b" -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer $admin" "$URL/v1/tokens")
[ "$code" = 200 ] && jqe 'length == 3' "$BV_TMP/b"
tap_ok $? "an admin token lists tokens over HTTPS"
bv_cli token list | grep -q "^ops  *operator"
tap_ok $? "token list shows ops as operator"
bv_cli token list --json | jqe 'all(.[]; has("hash") | not)'
tap_ok $? "token list never shows hashes"

# -- revocation holds from the next request of an open keep-alive connection.
mkfifo "$BV_TMP/in"
openssl s_client -quiet -connect "127.0.0.1:$port" -CAfile "$CA" <"$BV_TMP/in" >"$BV_TMP/ka" 2>/dev/null &
sc_pid=$!
exec 3>"$BV_TMP/in"
req() { printf 'GET /v1/ping HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n' "$viewer" >&3; }
req
bv_wait_for 5 grep -q "HTTP/1.1 200" "$BV_TMP/ka"
tap_ok $? "keep-alive connection: first request 200"
bv_cli token revoke watcher >/dev/null
(trap '' PIPE; req) 2>/dev/null  # s_client may be gone already: no SIGPIPE for us
bv_wait_for 2 sh -c "! kill -0 $sc_pid 2>/dev/null"
tap_ok $? "token revoke closes the open keep-alive connection"
tap_check "its next request got no answer but the refusal" [ "$(grep -c "HTTP/1.1 200" "$BV_TMP/ka")" = 1 ]
exec 3>&- 2>/dev/null
kill $sc_pid 2>/dev/null

# -- a revoked token's open event stream ends at once; an expired token is refused.
streamer=$(bv_cli token create streamer --json | jq -r .token)
curl -s -N --cacert "$CA" -H "Authorization: Bearer $streamer" "$URL/v1/events" >/dev/null &
ev_pid=$!
bv_wait_for 5 grep -q "GET /v1/events from .*token 'streamer'" "$BV_DAEMON_LOG"
tap_ok $? "a token follows GET /v1/events"
bv_cli token revoke streamer >/dev/null
bv_wait_for 1 sh -c "! kill -0 $ev_pid 2>/dev/null"
tap_ok $? "revoking it closes the stream within a second"
kill $ev_pid 2>/dev/null; wait $ev_pid 2>/dev/null
# A token lives at least the time asked for (whole seconds), then is refused.
short=$(bv_cli token create short --expires 2s --json | jq -r .token)
short_code() { curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer $short" "$URL/v1/ping"; }
tap_check "a token with --expires 2s works at first" [ "$(short_code)" = 200 ]
short_gone() { [ "$(short_code)" = 401 ]; }
bv_wait_for 5 short_gone
tap_ok $? "and is 401 once expired"
bv_cli token list | grep -q "^short .*(expired)"
tap_ok $? "token list marks it expired"

# -- client certificates: trusted ones in, others out.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=laptop \
	-keyout "$BV_TMP/laptop.key" -out "$BV_TMP/laptop.pem" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=other \
	-keyout "$BV_TMP/other.key" -out "$BV_TMP/other.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=ours \
	-keyout "$BV_TMP/ours.key" -out "$BV_TMP/ours.csr" 2>/dev/null
openssl x509 -req -in "$BV_TMP/ours.csr" -CA "$CA" -CAkey "$TLS/ca.key" -CAcreateserial -days 2 \
	-out "$BV_TMP/ours.pem" 2>/dev/null
# An expired certificate (2020-01-01..02), through `openssl ca` for its dates.
mkdir "$BV_TMP/oldca" && touch "$BV_TMP/oldca/index.txt" && echo 01 >"$BV_TMP/oldca/serial"
printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s/index.txt\nserial = %s/serial\nnew_certs_dir = %s\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n' \
	"$BV_TMP/oldca" "$BV_TMP/oldca" "$BV_TMP/oldca" >"$BV_TMP/oldca/ca.cnf"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=old \
	-keyout "$BV_TMP/old.key" -out "$BV_TMP/old.csr" 2>/dev/null
openssl ca -batch -config "$BV_TMP/oldca/ca.cnf" -selfsign -keyfile "$BV_TMP/old.key" -in "$BV_TMP/old.csr" \
	-startdate 20200101000000Z -enddate 20200102000000Z -out "$BV_TMP/old.pem" >/dev/null 2>&1
bv_cli trust add "$BV_TMP/old.pem" --role admin >/dev/null
tap_ok $? "trust add of an expired certificate as admin"
bv_cli trust add "$BV_TMP/laptop.pem" --role operator >/dev/null
tap_ok $? "trust add laptop.pem --role operator"
fp=$(openssl x509 -in "$BV_TMP/laptop.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)
bv_cli trust list | grep -q "^laptop  *operator  *$fp"
tap_ok $? "trust list shows it with openssl's fingerprint"
bv_cli trust show laptop | grep -q "BEGIN CERTIFICATE"
tap_ok $? "trust show prints its PEM"
cc() { curl -s -o "$BV_TMP/b" -w '%{http_code}' --cacert "$CA" --cert "$BV_TMP/$1.pem" --key "$BV_TMP/$1.key" "$URL$2"; }
tap_check "a trusted client certificate gets 200" [ "$(cc laptop /v1/vms)" = 200 ]
tap_check "a certificate from another CA gets 401" [ "$(cc other /v1/ping)" = 401 ]
tap_check "a trusted but expired certificate gets 401" [ "$(cc old /v1/ping)" = 401 ]
tap_check "one our CA signed but nobody trusted gets 401" [ "$(cc ours /v1/ping)" = 401 ]
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" --cert "$BV_TMP/laptop.pem" --key "$BV_TMP/laptop.key" \
	-X DELETE "$URL/v1/trust/laptop")
tap_check "an operator certificate cannot touch /v1/trust (403)" [ "$code" = 403 ]
bv_api POST /v1/trust '{"name": "bad", "certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}' >"$BV_TMP/code"
tap_check "a broken PEM is refused with 400" [ "$(cat "$BV_TMP/code")" = 400 ]
curl -s -N --cacert "$CA" --cert "$BV_TMP/laptop.pem" --key "$BV_TMP/laptop.key" "$URL/v1/events" >/dev/null &
ev_pid=$!
bv_wait_for 5 grep -q "GET /v1/events from .*certificate 'laptop'" "$BV_DAEMON_LOG"
tap_ok $? "the certificate follows GET /v1/events"
bv_cli trust remove laptop >/dev/null
bv_wait_for 1 sh -c "! kill -0 $ev_pid 2>/dev/null"
tap_ok $? "trust remove closes its stream within a second"
kill $ev_pid 2>/dev/null; wait $ev_pid 2>/dev/null
tap_check "after trust remove the certificate gets 401" [ "$(cc laptop /v1/ping)" = 401 ]

# -- TLS versions, handshake timeout.
openssl s_client -connect "127.0.0.1:$port" -tls1_2 -CAfile "$CA" </dev/null >/dev/null 2>&1
tap_ok $((! $?)) "a TLS 1.2 handshake is refused"
openssl s_client -connect "127.0.0.1:$port" -tls1_3 -CAfile "$CA" -verify_return_error </dev/null >/dev/null 2>&1
tap_ok $? "a TLS 1.3 handshake verifies against the CA"
t0=$(date +%s%N)
python3 -c "
import socket; s = socket.create_connection(('127.0.0.1', $port)); s.settimeout(5)
exit(0 if s.recv(1) == b'' else 1)" 2>/dev/null
st=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $st = 0 ] && [ $ms -lt 3000 ]
tap_ok $? "a silent client is closed by the handshake timeout (1 s; took $ms ms)"

# 50 silent clients (TCP, no handshake) and one that stops mid-handshake do not stall anyone.
python3 -c "
import socket, time
s = [socket.create_connection(('127.0.0.1', $port)) for _ in range(50)]
h = socket.create_connection(('127.0.0.1', $port)); h.send(b'\x16\x03\x01\x02\x00\x01')
time.sleep(3)" &
silent=$!
sleep 0.5
t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --cacert "$CA" -H "Authorization: Bearer $admin" "$URL/v1/ping")
kill $silent 2>/dev/null; wait $silent 2>/dev/null
[ "${t% *}" = 200 ] && awk -v t="${t#* }" 'BEGIN { exit !(t < 0.5) }'
tap_ok $? "with 51 stuck clients a new one's HTTPS ping answers at once ($t s)"

# -- the proxy's confinement, from /proc.
ppid=$(bv_cli host --json | jq -r .tls.proxy_pid)
st=/proc/$ppid/status
tap_check "barevirt-proxy (pid $ppid) runs as a uid other than 0" [ "$(awk '/^Uid:/ { print $3 }' "$st")" != 0 ]
tap_check "with CapEff 0" [ "$(awk '/^CapEff:/ { print $2 }' "$st")" = 0000000000000000 ]
tap_check "and an empty bounding set (CapBnd 0)" [ "$(awk '/^CapBnd:/ { print $2 }' "$st")" = 0000000000000000 ]
tap_check "with NoNewPrivs 1" [ "$(awk '/^NoNewPrivs:/ { print $2 }' "$st")" = 1 ]
tap_check "in seccomp filter mode (2)" [ "$(awk '/^Seccomp:/ { print $2 }' "$st")" = 2 ]
! ls -l /proc/$ppid/fd 2>/dev/null | grep -q "$BV_TMP/state"
tap_ok $? "it holds no file of the state dir"

# -- kill -9: restarted, a new connection works.
kill -KILL "$ppid"
bv_wait_for 5 sh -c "bv() { $BAREVIRT --socket $BV_SOCKET \"\$@\"; }; bv host --json | jq -e '.tls.proxy_pid != $ppid and .tls.proxy_pid > 0' >/dev/null"
tap_ok $? "the core restarts barevirt-proxy after kill -9"
grep -q "barevirt-proxy (pid $ppid) was killed by signal 9" "$BV_DAEMON_LOG"
tap_ok $? "and logs it"
bv_wait_for 5 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --cacert '$CA' -H 'Authorization: Bearer $admin' '$URL/v1/ping')\" = 200 ]"
tap_ok $? "a new HTTPS connection works"

# -- the audit log: who, from where, how answered; refused requests too; admin only.
bv_cli audit --json >"$BV_TMP/audit.json"
tap_check "audit: the viewer's refused POST /v1/vms (403), with its token and source address" \
	jqe 'any(.[]; .identity == "token:watcher" and .auth == "token" and .method == "POST" and .path == "/v1/vms"
		and .status == 403 and (.source | startswith("127.0.0.1:")))' "$BV_TMP/audit.json"
tap_check "audit: the operator's POST /v1/vms, answered" \
	jqe 'any(.[]; .identity == "token:ops" and .method == "POST" and .path == "/v1/vms" and .status < 300)' "$BV_TMP/audit.json"
tap_check "audit: unauthenticated requests (401) as identity none, GETs included" \
	jqe 'any(.[]; .identity == "none" and .status == 401 and .method == "GET")' "$BV_TMP/audit.json"
tap_check "audit: the operator certificate's refused DELETE /v1/trust/laptop names it and its fingerprint" \
	jqe --arg fp "$fp" 'any(.[]; .identity == "certificate:laptop" and .auth == "certificate" and .fingerprint == $fp
		and .method == "DELETE" and .status == 403)' "$BV_TMP/audit.json"
tap_check "audit --identity watcher: only the viewer's" \
	sh -c "bv_cli() { '$BAREVIRT' --socket '$BV_SOCKET' \"\$@\"; }; bv_cli audit --identity watcher --json | jq -e 'length > 0 and all(.[]; .identity == \"token:watcher\")' >/dev/null"
viewer2=$(bv_cli token create auditor --json | jq -r .token)
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer $viewer2" "$URL/v1/audit")
code2=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer $admin" "$URL/v1/audit")
[ "$code" = 403 ] && [ "$code2" = 200 ]
tap_ok $? "GET /v1/audit over HTTPS: viewer 403, admin 200 ($code, $code2)"

# -- bad flags change nothing.
"$BAREVIRTD" --listen 127.0.0.1 --state-dir "$BV_TMP/x" 2>"$BV_TMP/err"
[ $? = 2 ] && grep -q "ADDR:PORT" "$BV_TMP/err"
tap_ok $? "--listen without a port is a usage error (2)"
"$BAREVIRTD" --listen "[::1:$port" --state-dir "$BV_TMP/x" 2>/dev/null
tap_check "--listen with a broken IPv6 address is a usage error" [ $? = 2 ]
"$BAREVIRTD" --tls-min 1.1 --state-dir "$BV_TMP/x" 2>/dev/null
tap_check "--tls-min 1.1 is a usage error" [ $? = 2 ]
tap_check "and none of them made a state dir" [ ! -e "$BV_TMP/x" ]

# -- --tls-min 1.2 lets TLS 1.2 in.
bv_cli host --json >"$BV_TMP/h"
bv_daemon_stop
tap_ok $? "barevirtd stops"
tap_check "barevirt-proxy went with it" [ ! -e "/proc/$(jq -r .tls.proxy_pid "$BV_TMP/h")" ]
bv_daemon_start --listen "127.0.0.1:$port" --tls-min 1.2
tap_ok $? "barevirtd starts again with --tls-min 1.2 (same identity)"
tap_check "the fingerprint stayed" [ "$(bv_cli host --json | jq -r .tls.fingerprint)" = "$want" ]
openssl s_client -connect "127.0.0.1:$port" -tls1_2 -CAfile "$CA" -verify_return_error </dev/null >/dev/null 2>&1
tap_ok $? "a TLS 1.2 handshake now succeeds"
tap_done
