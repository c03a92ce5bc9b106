#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# barevirt against real container engines on private sockets: a podman
# service (compat API, runc) and, when dockerd is installed, a dockerd with
# its own data root. The same table of cases runs against each: the
# container shows in `barevirt list` as ENGINE:NAME with the right type and
# state, start makes it running, logs show its output (stdout and stderr
# demultiplexed), stop makes it exited; an unreachable engine socket does
# not break the list, and bad refs give clear errors. Every wait is bounded;
# every service is killed on every exit path.
. "$top_srcdir/tests/lib/tap.sh"

tap_require_root
command -v podman >/dev/null || tap_skip_all "podman is not installed"
command -v jq >/dev/null || tap_skip_all "jq is not installed"
[ -x /bin/busybox ] || tap_skip_all "busybox-static is not installed"
. "$top_srcdir/tests/lib/daemon.sh"
bv_tmpdir
T=$BV_TMP
RUNC=$(command -v runc) || tap_skip_all "runc is not installed (crun refuses hybrid cgroups)"
P="timeout 60 podman --runtime $RUNC --root $T/storage --runroot $T/run --storage-driver vfs --cgroup-manager cgroupfs --events-backend file"
O="--network none --pids-limit -1 --ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
PODMAN_PID=
DOCKERD_PID=

eng_cleanup() {
	bv_daemon_stop >/dev/null 2>&1
	[ -n "$DOCKERD_PID" ] && docker -H "unix://$T/docker.sock" rm -f bv-eng-d >/dev/null 2>&1
	$P rm -fa -t 0 >/dev/null 2>&1
	[ -n "$PODMAN_PID" ] && kill "$PODMAN_PID" 2>/dev/null
	if [ -n "$DOCKERD_PID" ]; then
		kill "$DOCKERD_PID" 2>/dev/null
		n=0
		while kill -0 "$DOCKERD_PID" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
		kill -9 "$DOCKERD_PID" 2>/dev/null
	fi
	[ -n "$PODMAN_PID" ] && wait "$PODMAN_PID" 2>/dev/null
	grep -o " $T[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
	bv_cleanup
}
trap eng_cleanup EXIT
trap 'exit 1' INT TERM

# wait_sock SOCKET SECONDS: until the engine answers /_ping.
wait_sock() {
	n=0
	while [ $n -lt $(($2 * 10)) ]; do
		curl -s --max-time 2 --unix-socket "$1" http://x/_ping 2>/dev/null | grep -q OK && return 0
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}

# state_of REF: the instance's state in `barevirt list --json`, or "absent".
state_of() {
	bv_cli list --json | jq -r --arg r "$1" '(map(select(.ref == $r)) | .[0].state) // "absent"'
}

# engine_cases ENGINE NAME: the table of cases for one engine and one
# created (not started) container NAME that prints "out-line" and "err-line".
engine_cases() {
	e=$1 name=$2 ref=$1:$2
	list=$(bv_cli list --json)
	echo "$list" | jq -e --arg r "$ref" --arg t "$e" 'map(select(.ref == $r and .type == $t)) | length == 1' >/dev/null
	tap_ok $? "$e: list shows $ref with type $e"
	st=$(echo "$list" | jq -r --arg r "$ref" 'map(select(.ref == $r)) | .[0].state')
	[ "$st" = created ]; tap_ok $? "$e: a created container is 'created' (got '$st')"
	echo "$list" | jq -e --arg r "$ref" 'map(select(.ref == $r)) | .[0] | (.image | length > 0) and (.id | length >= 12)' >/dev/null
	tap_ok $? "$e: the list entry has image and id"
	out=$(bv_cli start "$ref" 2>&1)
	[ "$out" = "$ref: running" ]; tap_ok $? "$e: barevirt start $ref answers running (got '$out')"
	st=$(state_of "$ref")
	[ "$st" = running ]; tap_ok $? "$e: list shows it running (got '$st')"
	out=$(bv_cli start "$ref" 2>&1); tap_ok $? "$e: starting a running container is not an error ($out)"
	n=0 logs=
	while [ $n -lt 50 ]; do
		logs=$(bv_cli logs "$ref" 2>&1)
		echo "$logs" | grep -qx err-line && break
		sleep 0.1; n=$((n + 1))
	done
	echo "$logs" | grep -qx out-line && echo "$logs" | grep -qx err-line
	tap_ok $? "$e: logs show stdout and stderr, frame headers removed"
	[ "$(echo "$logs" | tr -d '\n' | tr -d '[:print:]' | wc -c)" -eq 0 ]
	tap_ok $? "$e: no stream header bytes in the log text"
	js=$(bv_cli logs --json "$ref")
	[ "$(printf '%s\n' "$js" | jq -r .stderr)" = err-line ] && [ "$(printf '%s\n' "$js" | jq -r .tty)" = false ]
	tap_ok $? "$e: logs --json keeps stderr apart"
	out=$(bv_cli logs -n 1 "$ref" 2>&1)
	[ "$(echo "$out" | wc -l)" -eq 1 ]; tap_ok $? "$e: logs -n 1 gives one line"
	start=$(date +%s)
	out=$(bv_cli stop -t 1 "$ref" 2>&1)
	took=$(($(date +%s) - start))
	[ "$out" = "$ref: exited" ]; tap_ok $? "$e: barevirt stop -t 1 $ref answers exited (got '$out')"
	[ $took -le 15 ]; tap_ok $? "$e: stop with a 1 s grace time took ${took}s"
	st=$(state_of "$ref")
	[ "$st" = exited ]; tap_ok $? "$e: list shows it exited (got '$st')"
	bv_cli start "$ref" >/dev/null 2>&1
	out=$(bv_cli kill "$ref" 2>&1)
	[ "$out" = "$ref: exited" ]; tap_ok $? "$e: barevirt kill $ref answers exited (got '$out')"
	out=$(bv_cli kill "$ref" 2>&1)
	st=$?
	[ $st -ne 0 ] && echo "$out" | grep -Eqi "not running|can only kill running" && echo "$out" | grep -q "HTTP"
	tap_ok $? "$e: killing a stopped container gives the engine's error ($out)"
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --unix-socket "$BV_SOCKET" -X POST "http://x/v1/instances/$ref/kill")
	[ "$code" = 409 ]; tap_ok $? "$e: ... with status 409 from barevirtd (got $code)"
	out=$(bv_cli start "$e:bv-no-such" 2>&1)
	st=$?
	[ $st -ne 0 ] && echo "$out" | grep -q "HTTP 404"; tap_ok $? "$e: a missing container gives the engine's 404 ($out)"
	out=$(bv_cli start "$e:bad%20name" 2>&1)
	[ $? -ne 0 ]; tap_ok $? "$e: a malformed ref is refused ($out)"
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --unix-socket "$BV_SOCKET" -X POST "http://x/v1/instances/$e:..%2Fx/start")
	[ "$code" = 400 ]; tap_ok $? "$e: a ref with path characters gets 400 (got $code)"
}

# ---- podman ----
mkdir -p "$T/rootfs/bin"
cp /bin/busybox "$T/rootfs/bin/busybox"
ln -s busybox "$T/rootfs/bin/sh"
tar -C "$T/rootfs" -c . | $P import - bvbusybox >/dev/null 2>&1
tap_ok $? "podman: image imported from a busybox tarball"
$P system service --time 0 "unix://$T/podman.sock" >"$T/podman.log" 2>&1 &
PODMAN_PID=$!
wait_sock "$T/podman.sock" 30; tap_ok $? "podman: service answers on its private socket"
# Its first container list after a start is slow (seconds under load): warm it up.
curl -s --max-time 30 --unix-socket "$T/podman.sock" "http://x/v1.40/containers/json?all=1" >/dev/null
$P create --name bv-eng-p $O bvbusybox /bin/busybox sh -c 'echo out-line; echo err-line >&2; exec /bin/busybox sleep 300' >/dev/null 2>&1
tap_ok $? "podman: container created with the podman CLI"

# ---- docker (optional) ----
DOCKER_OK=
if command -v dockerd >/dev/null && command -v docker >/dev/null; then
	dockerd --iptables=false --ip6tables=false --bridge=none --data-root "$T/docker" --exec-root "$T/dexec" \
		--host "unix://$T/docker.sock" --pidfile "$T/docker.pid" >"$T/dockerd.log" 2>&1 &
	DOCKERD_PID=$!
	D="timeout 60 docker -H unix://$T/docker.sock"
	if wait_sock "$T/docker.sock" 60 &&
		tar -C "$T/rootfs" -c . | $D import - bvbusybox >/dev/null 2>&1 &&
		$D create --name bv-eng-d --network none bvbusybox /bin/busybox sh -c 'echo out-line; echo err-line >&2; exec /bin/busybox sleep 300' >/dev/null 2>&1; then
		DOCKER_OK=1
		DSOCK="$T/docker.sock"
	else
		tap_diag "dockerd did not come up: $(tail -3 "$T/dockerd.log" | tr '\n' ' ')"
	fi
fi
[ -n "$DOCKER_OK" ] || DSOCK="$T/nodocker.sock"

bv_daemon_start --podman-socket "$T/podman.sock" --docker-socket "$DSOCK"
tap_ok $? "barevirtd started"

engine_cases podman bv-eng-p
if [ -n "$DOCKER_OK" ]; then
	engine_cases docker bv-eng-d
else
	for c in "list shows docker:NAME" "start/stop/logs/kill cases"; do
		tap_skip "docker: $c: dockerd is not installed or did not start"
	done
fi

# ---- an engine that is not there ----
bv_daemon_stop >/dev/null 2>&1
bv_daemon_start --podman-socket "$T/podman.sock" --docker-socket "$T/nodocker.sock"
out=$(bv_cli list --json)
tap_ok $? "list works with the Docker socket missing"
echo "$out" | jq -e 'map(select(.type == "podman")) | length >= 1' >/dev/null
tap_ok $? "podman containers are still listed beside the missing Docker"
out=$(bv_cli start docker:x 2>&1)
st=$?
[ $st -ne 0 ] && echo "$out" | grep -q "Docker engine at '$T/nodocker.sock' is not reachable"
tap_ok $? "a docker: ref with no Docker gives a clear error ($out)"
grep -q "not reachable" "$BV_DAEMON_LOG"; tap_ok $? "the unreachable engine is logged as a warning"
out=$(bv_cli start nosuchvm 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q "No instance named 'nosuchvm'"; tap_ok $? "an unknown bare ref gives 'No instance' ($out)"
out=$(bv_cli start lxc:x 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q "Unknown engine"; tap_ok $? "an unknown engine prefix is refused ($out)"
out=$(bv_cli list)
echo "$out" | head -1 | grep -q "^REF *TYPE *STATE *IMAGE/KERNEL *STATUS"; tap_ok $? "the list table has its header"
echo "$out" | grep -q "^podman:bv-eng-p *podman"; tap_ok $? "the list table shows the podman container"

# ---- the engine stops, then comes back ----
kill "$PODMAN_PID"; wait "$PODMAN_PID" 2>/dev/null; PODMAN_PID=
out=$(bv_cli list --json)
tap_ok $? "list still works with podman stopped"
echo "$out" | jq -e 'map(select(.type == "podman")) | length == 0' >/dev/null; tap_ok $? "no podman entries while it is down"
$P system service --time 0 "unix://$T/podman.sock" >>"$T/podman.log" 2>&1 &
PODMAN_PID=$!
wait_sock "$T/podman.sock" 30
curl -s --max-time 30 --unix-socket "$T/podman.sock" "http://x/v1.40/containers/json?all=1" >/dev/null
st=$(state_of podman:bv-eng-p)
[ "$st" = exited ]; tap_ok $? "a restarted podman is picked up again (state '$st')"
kill -0 "$BV_DAEMON_PID"; tap_ok $? "barevirtd stayed up"
bv_daemon_stop; tap_ok $? "barevirtd exits cleanly"
tap_done
