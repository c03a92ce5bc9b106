#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Enrolment as Incus does it, between two "machines": barevirtd in one
# network namespace (its own --netns), the barevirt CLI in another, joined
# by a veth, each with real OpenSSL. trust token create on the server,
# remote add on the client (a client certificate made under
# $XDG_CONFIG_HOME/barevirt, 0600, the server pinned by the token's
# fingerprint), then commands through --remote, BAREVIRT_REMOTE and
# remote switch; a reused, an expired and a revoked token refused alike;
# a token whose fingerprint names another server refused before the token
# is sent (it still works afterwards); a viewer's POST is 403; the audit
# log names the enrolment.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/netns.sh"

tap_require_root
[ -x "$top_builddir/tools/barevirt-proxy" ] || tap_skip_all "built without TLS (--disable-tls)"
for c in ip jq openssl python3; do
	command -v $c >/dev/null || tap_skip_all "$c is not installed"
done
trap 'kill $ev_pid 2>/dev/null; bv_cleanup; bv_netns_cleanup' EXIT INT TERM
jqe() { jq -e "$@" >/dev/null; }

srv=$(bv_netns_new srv) && cln=$(bv_netns_new cli) || tap_skip_all "cannot make network namespaces"
ip -n "$srv" link add bv-e0 type veth peer name bv-e1 netns "$cln" &&
	ip -n "$srv" addr add 10.99.0.1/24 dev bv-e0 && ip -n "$srv" link set bv-e0 up &&
	ip -n "$cln" addr add 10.99.0.2/24 dev bv-e1 && ip -n "$cln" link set bv-e1 up
tap_ok $? "two namespaces joined by a veth (10.99.0.1 and 10.99.0.2)"

bv_daemon_start --netns "/run/netns/$srv" --listen 0.0.0.0:8443
tap_ok $? "barevirtd starts in its namespace with --listen 0.0.0.0:8443"
fp=$(bv_cli host --json | jq -r .tls.fingerprint)

# The other machine: its own network, its own home.
export XDG_CONFIG_HOME="$BV_TMP/client/config"
export HOME="$BV_TMP/client/home"
unset BAREVIRT_SOCKET BAREVIRT_REMOTE
mkdir -p "$HOME"
CONF="$XDG_CONFIG_HOME/barevirt"
R() { ip netns exec "$cln" "$BAREVIRT" "$@"; }
# A join token's fields, and a token with one field changed (python3: base64 of JSON).
field() { printf %s "$1" | base64 -d | jq -r "$2"; }
retoken() {
	python3 - "$1" "$2" "$3" <<'PYEOF'
import base64, json, sys
j = json.loads(base64.b64decode(sys.argv[1]))
j[sys.argv[2]] = json.loads(sys.argv[3]) if sys.argv[3].startswith("[") else sys.argv[3]
print(base64.b64encode(json.dumps(j).encode()).decode())
PYEOF
}

# -- trust token create: one use, carries the addresses and the fingerprint; only a hash is kept.
tok=$(bv_cli trust token create laptop --role operator --expires 1h 2>/dev/null)
tap_check "trust token create prints a token" [ -n "$tok" ]
tap_check "it carries the server's fingerprint" [ "$(field "$tok" .fingerprint)" = "$fp" ]
field "$tok" '.addresses[]' | grep -qx "10.99.0.1:8443"
tap_ok $? "and its address 10.99.0.1:8443 (0.0.0.0 expanded)"
secret=$(field "$tok" .secret)
J="$BV_TMP/state/join-tokens.json"
! grep -q "$secret" "$J" && grep -q "$(printf %s "$secret" | sha256sum | cut -d' ' -f1)" "$J"
tap_ok $? "join-tokens.json holds the secret's SHA-256, not the secret"
tap_check "join-tokens.json is 0600" [ "$(stat -c %a "$J")" = 600 ]
bv_cli trust token create phone --json >"$BV_TMP/phone.json"
jqe '.token | type == "string"' "$BV_TMP/phone.json" && jqe '.role == "viewer" and .spent == 0' "$BV_TMP/phone.json"
tap_ok $? "trust token create --json prints {\"token\"}; the role defaults to viewer"
phone=$(jq -r .token "$BV_TMP/phone.json")
tap_check "a join token named 'tokens' is refused" [ "$(bv_api POST /v1/trust/tokens '{"name": "tokens"}')" = 400 ]
tap_check "a project that is no project is refused (404)" \
	[ "$(bv_api POST /v1/trust/tokens '{"name": "p", "project": "../x"}')" = 404 ]

# -- a token for another server's fingerprint: refused before the token goes out.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=other \
	-keyout "$BV_TMP/other.key" -out "$BV_TMP/other.pem" 2>/dev/null
other=$(openssl x509 -in "$BV_TMP/other.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)
R remote add evil "$(retoken "$phone" fingerprint "$other")" >/dev/null 2>"$BV_TMP/err"
st=$?
[ $st = 1 ] && grep -q "^barevirt: remote 'evil': the server at '10.99.0.1:8443' is not the one pinned" "$BV_TMP/err"
tap_ok $? "a token with another server's fingerprint is refused with a clear error"
tap_diag "$(tail -n 1 "$BV_TMP/err")"
! grep -q "POST /v1/enrol" "$BV_DAEMON_LOG"
tap_ok $? "and barevirtd never saw a request"
tap_check "no remote was added" [ ! -f "$CONF/remotes.json" ]
R remote add bogus "not-a-token" 2>"$BV_TMP/err"
[ $? = 1 ] && grep -q "^barevirt: not a join token" "$BV_TMP/err"
tap_ok $? "a string that is no join token is refused"

# -- remote add: the client certificate, the pin, the enrolment.
R remote add srv "$tok" >"$BV_TMP/out" 2>"$BV_TMP/err"
tap_ok $? "remote add srv TOKEN enrols (from the other namespace)"
grep -q "trusted there as 'laptop' (operator)" "$BV_TMP/out"
tap_ok $? "as the token's name and role"
tap_check "client.key, client.crt and remotes.json are 0600 under \$XDG_CONFIG_HOME/barevirt" \
	[ "$(stat -c %a "$CONF/client.key" "$CONF/client.crt" "$CONF/remotes.json" | tr '\n' ' ')" = "600 600 600 " ]
openssl x509 -in "$CONF/client.crt" -noout -text | grep -q "ASN1 OID: prime256v1"
tap_ok $? "the client key is ECDSA P-256"
mine=$(openssl x509 -in "$CONF/client.crt" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)
bv_cli trust list --json | jqe --arg f "$mine" '.[] | select(.name == "laptop") | .fingerprint == $f and .role == "operator"'
tap_ok $? "the server trusts that certificate as 'laptop', operator"
jqe --arg f "$fp" '.remotes.srv.fingerprint == $f and .default == "local"' "$CONF/remotes.json"
tap_ok $? "remotes.json pins the server's fingerprint; the default stays local"
bv_cli trust token list | grep -q "^laptop .* spent "
tap_ok $? "trust token list shows the token spent"
grep '"/v1/enrol"' "$BV_TMP/state/audit.log" | grep -q '"identity": *"certificate:laptop".*"status": *201'
tap_ok $? "the audit log has the enrolment, as certificate:laptop, 201"

# -- one use only: a reused, an expired and a revoked token get the same refusal.
R remote add again "$tok" >/dev/null 2>"$BV_TMP/reused"
tap_check "the reused token is refused" [ $? = 1 ]
short=$(bv_cli trust token create short --expires 1s 2>/dev/null)
expired() { bv_cli trust token list | grep -q "^short .*expired"; }
bv_wait_for 5 expired
R remote add late "$short" >/dev/null 2>"$BV_TMP/expired"
tap_check "the expired token is refused" [ $? = 1 ]
gone=$(bv_cli trust token create gone 2>/dev/null)
bv_cli trust token revoke gone >/dev/null
R remote add revoked "$gone" >/dev/null 2>"$BV_TMP/revoked"
tap_check "the revoked token is refused" [ $? = 1 ]
grep -q "authentication required" "$BV_TMP/reused" && cmp -s "$BV_TMP/reused" "$BV_TMP/expired" &&
	cmp -s "$BV_TMP/reused" "$BV_TMP/revoked"
tap_ok $? "all three with the same words (no hint): $(cat "$BV_TMP/reused")"
tap_check "and none of them was added" [ "$(jq -r '.remotes | keys | join(" ")' "$CONF/remotes.json")" = srv ]
grep -q "POST /v1/enrol from 10.99.0.2:.* refused" "$BV_DAEMON_LOG"
tap_ok $? "barevirtd logs the refusals with the client's address"

# -- commands over the remote: --remote, BAREVIRT_REMOTE, remote switch.
R remote list >"$BV_TMP/list"
grep -q "^local (current) " "$BV_TMP/list" && grep -q "^srv  *10.99.0.1:8443,127.0.0.1:8443  *$fp" "$BV_TMP/list"
tap_ok $? "remote list: local (current) and srv with its addresses and fingerprint"
# An operator names files in barevirt's store only (STATE/images): see remote-projects.sh.
mkdir -p "$BV_TMP/state/images" && : >"$BV_TMP/state/images/vmlinuz"
R --remote srv events >"$BV_TMP/events" 2>&1 &
ev_pid=$!
bv_wait_for 5 grep -q '"hello"' "$BV_TMP/events"
tap_ok $? "--remote srv events streams over HTTPS"
R --remote srv vm create web --kernel "$BV_TMP/state/images/vmlinuz" >/dev/null
tap_ok $? "--remote srv vm create (an operator may)"
bv_wait_for 5 grep -q '"vm-created"' "$BV_TMP/events"
tap_ok $? "and the event stream has its vm-created"
kill $ev_pid 2>/dev/null; wait $ev_pid 2>/dev/null
R --remote srv list -q | grep -qx web
tap_ok $? "--remote srv list shows it"
BAREVIRT_REMOTE=srv R vm show web --json | jqe '.name == "web"'
tap_ok $? "BAREVIRT_REMOTE=srv vm show"
R vm list --remote srv -q | grep -qx web
tap_ok $? "--remote after the verb works too"
grep -q "GET /v1/vms/web from 10.99.0.2:.* (certificate 'laptop', operator)" "$BV_DAEMON_LOG"
tap_ok $? "barevirtd saw them over HTTPS from 10.99.0.2 as certificate 'laptop'"
R --remote srv logs web >/dev/null 2>"$BV_TMP/err"
st=$?
[ $st = 0 ] || ! grep -q "remote 'srv'" "$BV_TMP/err"
tap_ok $? "logs (a stream) goes through the remote (exit $st: $(head -c 100 "$BV_TMP/err"))"
R --remote srv vm console web </dev/null 2>"$BV_TMP/err"
[ $? = 1 ] && grep -q "not reachable over remote 'srv'" "$BV_TMP/err"
tap_ok $? "vm console over a remote says it is not reachable there (its socket is on the host)"
R --remote srv trust list >/dev/null 2>"$BV_TMP/err"
[ $? = 1 ] && grep -q "needs admin" "$BV_TMP/err"
tap_ok $? "an operator's trust list is refused (403)"
R remote switch srv >/dev/null && R vm list -q | grep -qx web
tap_ok $? "remote switch srv: commands go there without --remote"
R remote list | grep -q "^srv (current) "
tap_ok $? "remote list marks srv current"
R --remote nope list 2>"$BV_TMP/err"
[ $? = 1 ] && grep -q "no remote named 'nope'" "$BV_TMP/err"
tap_ok $? "an unknown remote is an error"

# -- the token with the changed fingerprint was never sent: it still enrols (another user, so
# another client certificate: one certificate is trusted once); a viewer gets 403 on a POST.
export XDG_CONFIG_HOME="$BV_TMP/client2/config"
CONF="$XDG_CONFIG_HOME/barevirt"
# Its first address refuses connections: remote add (and every command) tries the next.
R remote add phone "$(retoken "$phone" addresses '["10.99.0.1:1", "10.99.0.1:8443"]')" >/dev/null
tap_ok $? "the token first tried with the wrong fingerprint still works (a second user; the 2nd address)"
R --remote phone vm create web2 --kernel "$BV_TMP/state/images/vmlinuz" 2>"$BV_TMP/err"
[ $? = 1 ] && grep -q "role 'viewer' may not POST" "$BV_TMP/err"
tap_ok $? "the viewer's vm create is 403"
tap_diag "$(tail -n 1 "$BV_TMP/err")"
R --remote phone list -q | grep -qx web
tap_ok $? "and its list is 200"
BAREVIRT_REMOTE=phone R --socket /nonexistent list 2>"$BV_TMP/err"
[ $? = 1 ] && grep -q "nothing listens on '/nonexistent'" "$BV_TMP/err"
tap_ok $? "--socket on the line means local, over BAREVIRT_REMOTE"

# -- the join token's project goes into the trust entry (a third user).
bv_cli project create a >/dev/null
proj=$(bv_cli trust token create tablet --project a 2>/dev/null)
bv_cli trust token list --json | jqe '.[] | select(.name == "tablet") | .project == "a"'
tap_ok $? "trust token create --project a stores the project"
XDG_CONFIG_HOME="$BV_TMP/client3/config" R remote add tab "$proj" >/dev/null &&
	bv_cli trust show tablet --json | jqe '.project == "a" and .role == "viewer"'
tap_ok $? "and the certificate it enrols is trusted with project a"

# -- a remote whose pin no longer matches (the server changed) is refused.
python3 - "$CONF/remotes.json" "$other" <<'PYEOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["remotes"]["phone"]["fingerprint"] = sys.argv[2]
json.dump(c, open(sys.argv[1], "w"))
PYEOF
R --remote phone list 2>"$BV_TMP/err"
[ $? = 1 ] && grep -q "not the one pinned" "$BV_TMP/err"
tap_ok $? "a remote whose server does not match its pin is refused"

# -- remote remove.
export XDG_CONFIG_HOME="$BV_TMP/client/config"
CONF="$XDG_CONFIG_HOME/barevirt"
R remote remove srv >/dev/null && ! R remote list | grep -q "^srv"
tap_ok $? "remote remove srv"
tap_check "the default is local again" [ "$(jq -r .default "$CONF/remotes.json")" = local ]
R remote remove local 2>/dev/null
tap_check "local cannot be removed" [ $? = 1 ]
tap_check "remote add with a bad name is refused" sh -c "! ip netns exec $cln $BAREVIRT remote add 'a b' x 2>/dev/null"

bv_api DELETE /v1/vms/web >/dev/null
bv_daemon_stop
tap_ok $? "barevirtd stops cleanly"
tap_done
