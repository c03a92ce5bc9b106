#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# barevirtd as a user meets it: starts, reports this host truthfully,
# answers bad requests with JSON errors, refuses a second instance on the
# same run dir, shuts down cleanly. The CLI's host verb and error paths.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"

tap_require_root
command -v curl >/dev/null || tap_skip_all "curl is not installed"
command -v jq >/dev/null || tap_skip_all "jq is not installed"
command -v socat >/dev/null || tap_skip_all "socat is not installed"
trap bv_cleanup EXIT INT TERM
jqe() { jq -e "$@" >/dev/null; }

t0=$(date +%s%N)
bv_daemon_start
tap_ok $? "barevirtd starts and answers on its socket"
tap_diag "first answer after $(( ($(date +%s%N) - t0) / 1000000 )) ms (includes the shell's polling)"

# -- /v1/host reports what is true here, checked against independent witnesses.
bv_cli host --json >"$BV_TMP/host.json"
tap_ok $? "barevirt host --json succeeds"
jq -e . "$BV_TMP/host.json" >/dev/null
tap_ok $? "its output is JSON"
tap_check "kernel is uname -r" [ "$(jq -r .kernel "$BV_TMP/host.json")" = "$(uname -r)" ]

fs=$(stat -f -c %T /sys/fs/cgroup)
if [ "$fs" = cgroup2fs ]; then want=v2
elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then want=hybrid
else want=v1; fi
tap_check "cgroup.mode is '$want'" [ "$(jq -r .cgroup.mode "$BV_TMP/host.json")" = "$want" ]
if [ "$want" = hybrid ]; then
	ctl=$(tr ' ' '\n' </sys/fs/cgroup/unified/cgroup.controllers | sort | tr '\n' ' ')
	got=$(jq -r '.cgroup.controllers[]' "$BV_TMP/host.json" | sort | tr '\n' ' ')
	tap_check "cgroup.controllers are the v2 root's ($ctl)" [ "$got" = "$ctl" ]
fi

usable=$(jq -r .kvm.usable "$BV_TMP/host.json")
reason=$(jq -r .kvm.reason "$BV_TMP/host.json")
tap_diag "kvm.usable=$usable ($reason)"
if [ ! -e /dev/kvm ]; then
	tap_check "kvm.usable is false without /dev/kvm" [ "$usable" = false ]
	case "$reason" in */dev/kvm*) r=0 ;; *) r=1 ;; esac
	tap_ok $r "kvm.reason names /dev/kvm"
elif [ -n "$BAREVIRT_TEST_KVM" ]; then
	# CI states what its machines do (there: /dev/kvm opens but vCPUs hang,
	# or QEMU aborts setting up a -cpu host vCPU).
	want=false; [ "$BAREVIRT_TEST_KVM" = usable ] && want=true
	tap_check "kvm.usable is $want as BAREVIRT_TEST_KVM says" [ "$usable" = "$want" ]
	case "$want:$reason" in
	true:*"QEMU ran a test guest with kvm"*) r=0 ;;
	false:*KVM_RUN*|false:*"QEMU cannot run a guest with kvm here: "?*|false:*"QEMU (kvm) did not"*) r=0 ;;
	*) r=1 ;;
	esac
	tap_ok $r "kvm.reason says what was tried ($reason)"
else
	tap_check "kvm.usable is a boolean" [ "$usable" = true -o "$usable" = false ]
fi

if command -v qemu-system-x86_64 >/dev/null; then
	qv=$(qemu-system-x86_64 --version | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -1)
	tap_check "qemu.version is $qv" [ "$(jq -r .qemu.version "$BV_TMP/host.json")" = "$qv" ]
	tap_check "qemu.path is $(command -v qemu-system-x86_64)" \
		[ "$(jq -r .qemu.path "$BV_TMP/host.json")" = "$(command -v qemu-system-x86_64)" ]
else
	tap_skip "qemu-system-x86_64 not installed"
fi
tap_check "engines.docker.reachable is a boolean" \
	[ "$(jq -r '.engines.docker.reachable|type' "$BV_TMP/host.json")" = boolean ]

bv_cli host >"$BV_TMP/host.txt"
tap_ok $? "barevirt host prints a table"
grep -q '^kvm ' "$BV_TMP/host.txt" && grep -q '^cgroup ' "$BV_TMP/host.txt"
tap_ok $? "the table has kvm and cgroup lines"
BAREVIRT_SOCKET="$BV_SOCKET" "$BAREVIRT" host --json | jq -e .version >/dev/null
tap_ok $? "BAREVIRT_SOCKET selects the daemon"

# -- bad requests get JSON errors with fitting statuses.
req() { # req METHOD PATH [curl args] -> prints "STATUS BODY"
	m=$1; p=$2; shift 2
	curl -s --max-time 10 -o "$BV_TMP/body" -w '%{http_code}' -X "$m" --unix-socket "$BV_SOCKET" "$@" "http://x$p"
}
st=$(req GET /v1/nope)
tap_check "unknown path: 404" [ "$st" = 404 ]
tap_check "404 has a JSON error and code" [ "$(jq -r '"\(.code) \(.error|type)"' "$BV_TMP/body")" = "404 string" ]
st=$(req DELETE /v1/host)
tap_check "DELETE /v1/host: 405" [ "$st" = 405 ]
tap_check "405 body is a JSON error" jqe '.error|test("not allowed")' "$BV_TMP/body"
st=$(req POST /v1/host/probe -H 'Content-Type: application/json' --data-binary '{"a":')
tap_check "malformed JSON: 400" [ "$st" = 400 ]
tap_check "400 says malformed" jqe '.error|test("Malformed JSON")' "$BV_TMP/body"
st=$(req POST /v1/host/probe -H 'Content-Type: application/json' --data-binary '{"a":1,"a":2}')
tap_check "duplicate keys: 400" [ "$st" = 400 ]
head -c 2000000 /dev/zero | tr '\0' 'x' >"$BV_TMP/big"
st=$(req POST /v1/host/probe -H 'Content-Type: application/json' --data-binary "@$BV_TMP/big")
tap_check "body over the limit: 413" [ "$st" = 413 ]
st=$(req GET /v1/host)
tap_check "the daemon still answers after bad requests" [ "$st" = 200 ]

# -- the events stream: JSON lines.
curl -s -N --max-time 2 --unix-socket "$BV_SOCKET" http://x/v1/events >"$BV_TMP/events" 2>/dev/null
tap_check "/v1/events streams a hello line" jqe 'select(.type=="hello")' "$BV_TMP/events"

# -- SO_PEERCRED is logged per request.
grep -q "GET /v1/host (pid [0-9]* uid $(id -u))" "$BV_DAEMON_LOG"
tap_ok $? "requests are logged with the peer's pid and uid"

# -- a second daemon on the same run dir is refused, naming the lock.
"$BAREVIRTD" --state-dir "$BV_TMP/state" --run-dir "$BV_TMP/run" --socket "$BV_TMP/other.sock" \
	>"$BV_TMP/second.log" 2>&1
st=$?
tap_check "a second barevirtd on the same run dir exits non-zero" [ "$st" -ne 0 ]
grep -q "barevirtd.lock" "$BV_TMP/second.log"
tap_ok $? "its message names the lock ($(head -1 "$BV_TMP/second.log"))"
tap_check "it did not create its socket" [ ! -e "$BV_TMP/other.sock" ]
st=$(req GET /v1/host)
tap_check "the first daemon is unaffected" [ "$st" = 200 ]

# -- the CLI without a daemon: one line, exit 1.
"$BAREVIRT" --socket /nonexistent host >"$BV_TMP/out" 2>"$BV_TMP/err"
st=$?
tap_check "barevirt --socket /nonexistent host exits 1" [ "$st" = 1 ]
tap_check "and prints exactly one line" [ "$(wc -l <"$BV_TMP/err")" = 1 ]
tap_diag "$(cat "$BV_TMP/err")"
"$BAREVIRT" --help | grep -q '^  host '
tap_ok $? "barevirt --help lists the host verb"
"$BAREVIRT" host --help | grep -q 'usage: barevirt host'
tap_ok $? "barevirt host --help shows its usage"
"$BAREVIRT" frobnicate >/dev/null 2>&1
tap_check "an unknown verb fails" [ $? -ne 0 ]

# -- the audit log: changing and refused requests only, who, how answered.
bv_api POST /v1/host/probe >/dev/null
bv_api POST /v1/vms '{"name": "bad name!"}' >/dev/null
bv_api DELETE /v1/vms/nosuchvm >/dev/null
bv_cli audit --json >"$BV_TMP/audit.json"
tap_check "audit: POST /v1/vms (400) and DELETE /v1/vms/nosuchvm (404) as uid:0 on the socket" \
	jqe 'any(.[]; .method == "POST" and .path == "/v1/vms" and .status == 400 and .identity == "uid:0" and .source == "unix")
		and any(.[]; .method == "DELETE" and .instance == "nosuchvm" and .status == 404)' "$BV_TMP/audit.json"
tap_check "audit: no GET is logged" jqe 'all(.[]; .method != "GET") and length >= 3' "$BV_TMP/audit.json"
tap_check "audit: every line has time, identity, source, method, path, instance, status" \
	jqe 'all(.[]; has("time") and has("identity") and has("source") and has("method") and has("path") and has("instance") and has("status"))' "$BV_TMP/audit.json"
tap_check "audit.log is 0600, one JSON line each" sh -c "[ \$(stat -c %a '$BV_TMP/state/audit.log') = 600 ] && jq -e . '$BV_TMP/state/audit.log' >/dev/null"
tap_check "audit --since 1h has them, --since 2099-01-01 none" \
	sh -c "[ \$('$BAREVIRT' --socket '$BV_SOCKET' audit --since 1h --json | jq length) -ge 3 ] && [ \$('$BAREVIRT' --socket '$BV_SOCKET' audit --since 2099-01-01 --json | jq length) = 0 ]"
tap_check "audit --identity uid:0 has them, --identity nobody none" \
	sh -c "[ \$('$BAREVIRT' --socket '$BV_SOCKET' audit --identity uid:0 --json | jq length) -ge 3 ] && [ \$('$BAREVIRT' --socket '$BV_SOCKET' audit --identity nobody --json | jq length) = 0 ]"
bv_cli audit | head -n 1 | grep -q "^TIME *IDENTITY *SOURCE *REQUEST *STATUS"
tap_ok $? "barevirt audit prints a table"
code=$(bv_api GET '/v1/audit?since=yesterday')
tap_check "a bad since is a 400 ($code)" [ "$code" = 400 ]
"$BAREVIRT" --socket "$BV_SOCKET" audit --since 'x&y' >/dev/null 2>&1
tap_check "barevirt audit --since with odd characters is a usage error (2)" [ $? = 2 ]

# -- clean shutdown on SIGTERM: exit 0, socket removed; restart uses the cached probe.
bv_daemon_stop
tap_check "SIGTERM: barevirtd exits 0" [ $? = 0 ]
tap_check "its socket is removed" [ ! -e "$BV_SOCKET" ]
# A listener stands in for Docker; Podman's socket is missing.
socat UNIX-LISTEN:"$BV_TMP/fake-docker.sock",fork /dev/null &
SOCAT=$!
n=0; while [ ! -S "$BV_TMP/fake-docker.sock" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
bv_daemon_start -v --docker-socket "$BV_TMP/fake-docker.sock" --podman-socket "$BV_TMP/none.sock"
tap_ok $? "restarts on the same run dir"
bv_cli host --json >"$BV_TMP/host2.json"
grep -q "using the cached result" "$BV_DAEMON_LOG"
tap_ok $? "the restarted daemon reuses the cached host probe"
tap_check "an engine socket that accepts is reachable" jqe '.engines.docker.reachable == true' "$BV_TMP/host2.json"
tap_check "a missing engine socket is not" jqe '.engines.podman.reachable == false' "$BV_TMP/host2.json"
kill "$SOCAT" 2>/dev/null
bv_daemon_stop
tap_done
