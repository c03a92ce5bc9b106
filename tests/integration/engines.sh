#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# barevirt against real container engines on private sockets
# (tests/lib/engines.sh): a podman service (compat API, runc) and a dockerd
# with its own data root. The same table of cases runs against each engine:
# the container shows in `barevirt list` as ENGINE:NAME with the right type
# and state, start, logs (stdout and stderr demultiplexed), logs -f, exec
# with its exit code, stats, pause/resume, restart, stop with a timeout,
# kill, create with every option through the API (checked in the engine's
# own inspect), `barevirt ENGINE run` with and without -d, images (list,
# load a `save` tarball, remove), delete, and /v1/events showing the
# engine's start, die and destroy events in barevirt's format. Then: the
# list beside a barevirt VM definition; an unreachable engine does not break
# the list; killing an engine mid-stream ends its events stream with an
# engine-error event while barevirtd stays up, and the restarted engine is
# subscribed again. Every wait is bounded; every service is killed on every
# exit path.
. "$top_srcdir/tests/lib/tap.sh"

tap_require_root
command -v podman >/dev/null || tap_skip_all "podman is not installed"
command -v jq >/dev/null || tap_skip_all "jq is not installed"
command -v runc >/dev/null || tap_skip_all "runc is not installed (crun refuses hybrid cgroups)"
[ -x /bin/busybox ] || tap_skip_all "busybox-static is not installed"
. "$top_srcdir/tests/lib/daemon.sh"
bv_tmpdir
T=$BV_TMP
. "$top_srcdir/tests/lib/engines.sh"
EV_PID=

cleanup() {
	[ -n "$EV_PID" ] && kill "$EV_PID" 2>/dev/null
	bv_daemon_stop >/dev/null 2>&1
	eng_cleanup
	bv_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# state_of REF: the instance's state in `barevirt list --json`, or "absent".
state_of() {
	bv_cli list --json | jq -r --arg r "$1" '(map(select(.ref == $r)) | .[0].state) // "absent"'
}

# api METHOD PATH [BODY]: curl on barevirtd's socket; prints the body, then the status on its own line.
api() {
	curl -s --max-time 60 --unix-socket "$BV_SOCKET" -X "$1" ${3:+-d "$3"} -w '\n%{http_code}' "http://x$2"
}

# events_has TYPE REF SECONDS: until /v1/events (recorded in $T/events) has an event TYPE for REF.
# (grep, not jq: the file's last line may be half written.)
events_has() {
	_n=0
	while [ $_n -lt $(($3 * 10)) ]; do
		grep -F "\"type\":\"$1\"" "$T/events" | grep -qF "\"ref\":\"$2\"" && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}

# engine_cases ENGINE NAME: the table of cases for one engine and one
# created (not started) container NAME that prints "out-line" and "err-line".
engine_cases() {
	e=$1 name=$2 ref=$1:$2
	# The first lists after barevirtd subscribed can take Podman seconds (past the list's 5 s).
	n=0
	while [ $n -lt 20 ] && [ "$(state_of "$ref")" = absent ]; do sleep 0.5; n=$((n + 1)); done
	list=$(bv_cli list --json)
	echo "$list" | jq -e --arg r "$ref" --arg t "$e" 'map(select(.ref == $r and .type == $t)) | length == 1' >/dev/null
	tap_ok $? "$e: list shows $ref with type $e"
	st=$(echo "$list" | jq -r --arg r "$ref" 'map(select(.ref == $r)) | .[0].state')
	[ "$st" = created ]; tap_ok $? "$e: a created container is 'created' (got '$st')"
	echo "$list" | jq -e --arg r "$ref" 'map(select(.ref == $r)) | .[0] | (.image | length > 0) and (.id | length >= 12) and .uptime == null and (.addresses | type == "array")' >/dev/null
	tap_ok $? "$e: the list entry has image, id, addresses, and no uptime while not running"
	out=$(bv_cli start "$ref" 2>&1)
	[ "$out" = "$ref: running" ]; tap_ok $? "$e: barevirt start $ref answers running (got '$out')"
	events_has "$e-start" "$ref" 20; tap_ok $? "$e: /v1/events shows $e-start for $ref"
	up=$(bv_cli list --json | jq -r --arg r "$ref" 'map(select(.ref == $r)) | .[0].uptime')
	[ "$up" -ge 0 ] 2>/dev/null && [ "$up" -lt 120 ]; tap_ok $? "$e: a running container has an uptime ($up s)"
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

	out=$(bv_cli exec "$ref" sh -c 'echo exec-out; echo exec-err >&2; exit 3' 2>"$T/exec.err")
	st=$?
	[ $st -eq 3 ]; tap_ok $? "$e: exec exits with the command's status (got $st)"
	[ "$out" = exec-out ] && [ "$(cat "$T/exec.err")" = exec-err ]
	tap_ok $? "$e: exec prints the command's stdout and stderr apart ('$out')"
	out=$(bv_cli exec -e BV_X=42 -w /bin "$ref" sh -c 'echo $BV_X $(pwd)'); st=$?
	[ $st -eq 0 ] && [ "$out" = "42 /bin" ]; tap_ok $? "$e: exec with -e and -w ('$out', $st)"
	out=$(bv_cli exec "$ref" /no/such 2>&1); st=$?
	[ $st -eq 127 ] && [ "$out" = "barevirt: '/no/such': no such file in container '${ref#*:}'" ]
	tap_ok $? "$e: exec of a missing program exits 127 with barevirt's line ($st: $(echo "$out" | head -1))"
	out=$(bv_cli exec "$ref" /etc/hostname 2>&1); st=$?
	[ $st -eq 126 ] && [ "$out" = "barevirt: '/etc/hostname': permission denied in container '${ref#*:}'" ]
	tap_ok $? "$e: exec of a file that is not executable exits 126 with barevirt's line ($st: $(echo "$out" | head -1))"

	js=$(api GET "/v1/instances/$ref/stats")
	echo "$js" | head -1 | jq -e '.pids >= 1 and .memory_usage > 0' >/dev/null
	tap_ok $? "$e: stats give pids and memory ($(echo "$js" | head -1))"

	out=$(bv_cli pause "$ref" 2>&1)
	[ "$out" = "$ref: paused" ] && [ "$(state_of "$ref")" = paused ]; tap_ok $? "$e: pause ($out)"
	events_has "$e-pause" "$ref" 10; tap_ok $? "$e: /v1/events shows $e-pause"
	out=$(bv_cli resume "$ref" 2>&1)
	[ "$out" = "$ref: running" ] && [ "$(state_of "$ref")" = running ]; tap_ok $? "$e: resume ($out)"
	events_has "$e-unpause" "$ref" 10; tap_ok $? "$e: /v1/events shows $e-unpause"

	# logs -f: follows until the container stops.
	timeout 30 "$BAREVIRT" --socket "$BV_SOCKET" logs -f "$ref" >"$T/follow.out" 2>&1 &
	fpid=$!
	sleep 1
	bv_cli exec "$ref" sh -c 'echo followed-line >/proc/1/fd/1' >/dev/null 2>&1
	n=0
	while ! grep -q followed-line "$T/follow.out" && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
	grep -q followed-line "$T/follow.out"; tap_ok $? "$e: logs -f shows output written after it started"

	start=$(date +%s)
	out=$(bv_cli restart -t 1 "$ref" 2>&1)
	took=$(($(date +%s) - start))
	[ "$out" = "$ref: running" ]; tap_ok $? "$e: restart -t 1 answers running (got '$out', ${took}s)"
	events_has "$e-restart" "$ref" 10 || events_has "$e-die" "$ref" 1; tap_ok $? "$e: /v1/events shows the restart"
	n=0
	while kill -0 $fpid 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	! kill -0 $fpid 2>/dev/null; tap_ok $? "$e: logs -f ended when the container stopped"
	kill $fpid 2>/dev/null; wait $fpid 2>/dev/null

	start=$(date +%s)
	out=$(bv_cli stop -t 1 "$ref" 2>&1)
	took=$(($(date +%s) - start))
	[ "$out" = "$ref: exited" ]; tap_ok $? "$e: barevirt stop -t 1 $ref answers exited (got '$out')"
	[ $took -le 15 ]; tap_ok $? "$e: stop with a 1 s grace time took ${took}s"
	st=$(state_of "$ref")
	[ "$st" = exited ]; tap_ok $? "$e: list shows it exited (got '$st')"
	events_has "$e-die" "$ref" 10; tap_ok $? "$e: /v1/events shows $e-die for $ref"
	grep -F "\"type\":\"$e-die\"" "$T/events" | grep -F "\"ref\":\"$ref\"" | tail -1 |
		jq -e '.engine == "'"$e"'" and (.id | length) > 12 and (.exit_code | type) == "number" and .action == "die"' >/dev/null
	tap_ok $? "$e: the die event carries engine, id, action and exit_code"
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

	# create with every option, checked in the engine's own inspect
	mkdir -p "$T/bind-$e"; echo bound >"$T/bind-$e/f"
	body=$(jq -nc --arg n "$e-full" --arg b "$T/bind-$e:/mnt/b:ro" --arg src "$T/bind-$e" '{engine: "'"$e"'", image: "bvbusybox",
		name: $n, cmd: ["sh", "-c", "cat /mnt/b/f; cat /mnt/m/f; echo $A; id -u; pwd; sleep 300"], env: ["A=envval"],
		workdir: "/bin", user: "1000", labels: {"bv.test": "yes"}, binds: [$b], mounts: [{source: $src, target: "/mnt/m", readonly: true}],
		network: "none", restart: "on-failure:2", memory: 67108864, cpus: 0.5, tty: false}')
	js=$(api POST /v1/instances "$body")
	[ "$(echo "$js" | tail -1)" = 201 ] && echo "$js" | head -1 | jq -e --arg r "$e:$e-full" '.ref == $r and .state == "created"' >/dev/null
	tap_ok $? "$e: POST /v1/instances creates $e:$e-full (201)"
	echo "$js" | head -1 | jq -e '.inspect | .HostConfig.Memory == 67108864 and .HostConfig.NanoCpus == 500000000
		and .HostConfig.RestartPolicy.Name == "on-failure" and .HostConfig.RestartPolicy.MaximumRetryCount == 2
		and .Config.Labels["bv.test"] == "yes" and (.Config.Env | index("A=envval")) != null and .Config.WorkingDir == "/bin"
		and .Config.User == "1000" and .HostConfig.NetworkMode == "none"' >/dev/null
	tap_ok $? "$e: the engine's inspect has memory, cpus, restart policy, labels, env, workdir, user, network"
	bv_cli start "$e:$e-full" >/dev/null 2>&1
	n=0 logs=
	while [ $n -lt 50 ]; do
		logs=$(bv_cli logs "$e:$e-full" 2>&1 | tr '\n' ' ')
		echo "$logs" | grep -q "/bin" && break
		sleep 0.1; n=$((n + 1))
	done
	[ "$logs" = "bound bound envval 1000 /bin " ]; tap_ok $? "$e: the container sees its bind, mount, env, user and workdir ('$logs')"
	js=$(api POST /v1/instances '{"engine": "'"$e"'", "image": "bvbusybox", "memroy": 1}')
	[ "$(echo "$js" | tail -1)" = 400 ] && echo "$js" | head -1 | grep -q memroy
	tap_ok $? "$e: an unknown create key is refused naming it ($(echo "$js" | head -1))"
	out=$(bv_cli delete "$e:$e-full" 2>&1); st=$?
	[ $st -ne 0 ] && echo "$out" | grep -q HTTP; tap_ok $? "$e: delete of a running container without -f is refused"
	out=$(bv_cli delete -f "$e:$e-full" 2>&1); st=$?
	[ $st -eq 0 ] && [ "$(state_of "$e:$e-full")" = absent ]; tap_ok $? "$e: delete -f removes it ($out)"
	events_has "$e-destroy" "$e:$e-full" 10; tap_ok $? "$e: /v1/events shows $e-destroy"

	# barevirt ENGINE run
	out=$(bv_cli "$e" run --name "$e-run1" --network none -e GREETING=hello --memory 64m --cpus 0.5 --restart no \
		bvbusybox sh -c 'echo $GREETING; echo oops >&2; exit 7' 2>"$T/run.err")
	st=$?
	[ $st -eq 7 ] && [ "$out" = hello ] && [ "$(cat "$T/run.err")" = oops ]
	tap_ok $? "$e run: waits, prints stdout and stderr, exits with the container's status ($st, '$out')"
	js=$(api GET "/v1/instances/$e:$e-run1")
	echo "$js" | head -1 | jq -e '.state == "exited" and .inspect.HostConfig.Memory == 67108864' >/dev/null
	tap_ok $? "$e run: --memory reached the engine"
	out=$(bv_cli "$e" run -d --name "$e-run2" --network none -v "$T/bind-$e:/data" bvbusybox sh -c 'cat /data/f; sleep 300')
	st=$?
	[ $st -eq 0 ] && [ "$out" = "$e:$e-run2" ] && [ "$(state_of "$e:$e-run2")" = running ]
	tap_ok $? "$e run -d: prints the ref and leaves it running ($out)"
	n=0
	while [ $n -lt 50 ] && ! bv_cli logs "$e:$e-run2" | grep -q bound; do sleep 0.1; n=$((n + 1)); done
	bv_cli logs "$e:$e-run2" | grep -qx bound; tap_ok $? "$e run -v: the bind is there"
	bv_cli delete -f "$e:$e-run2" >/dev/null; bv_cli delete "$e:$e-run1" >/dev/null
	out=$(bv_cli "$e" run --name x bvbusybox --memory 2>&1); st=$?
	[ $st -ne 0 ]; tap_ok $? "$e run: a bad flag is refused"
	# Docker's --rm, -h, -l, -p and -i
	out=$(bv_cli "$e" run --rm --name "$e-rm" --network none -h bv-host -l bv.k=v1 bvbusybox /bin/busybox hostname 2>&1); st=$?
	[ $st -eq 0 ] && [ "$out" = bv-host ] && [ "$(state_of "$e:$e-rm")" = absent ]
	tap_ok $? "$e run --rm -h: prints the host name, and the container is gone after ($st, '$out')"
	js=$(api POST /v1/instances '{"engine": "'"$e"'", "image": "bvbusybox", "name": "'"$e-ports"'", "hostname": "h1", "cmd": ["true"],
		"labels": {"bv.k": "v1"}, "ports": ["127.0.0.1:18080:80", "9053:53/udp"], "interactive": true, "auto_remove": true}')
	[ "$(echo "$js" | tail -1)" = 201 ] && echo "$js" | head -1 | jq -e '.inspect |
		.HostConfig.PortBindings["80/tcp"][0].HostPort == "18080" and .HostConfig.PortBindings["80/tcp"][0].HostIp == "127.0.0.1"
		and .HostConfig.PortBindings["53/udp"][0].HostPort == "9053" and .Config.Hostname == "h1"
		and .Config.Labels["bv.k"] == "v1" and .Config.OpenStdin == true and .HostConfig.AutoRemove == true' >/dev/null
	tap_ok $? "$e: ports, hostname, labels, interactive and auto_remove reach the engine's inspect"
	[ "$(echo "$js" | tail -1)" = 201 ] || tap_diag "$(echo "$js" | head -c 600)"
	bv_cli delete -f "$e:$e-ports" >/dev/null 2>&1
	out=$(bv_cli "$e" run --rm --name "$e-rmfail" --network none bvbusybox /nonexistent 2>&1); st=$?
	[ $st -ne 0 ] && [ "$(state_of "$e:$e-rmfail")" = absent ]; tap_ok $? "$e run --rm: a container that fails to start is removed too"
	out=$(bv_cli "$e" run -p 99999:80 bvbusybox true 2>&1); st=$?
	[ $st -ne 0 ] && echo "$out" | grep -q "ports\[0\]"; tap_ok $? "$e run -p with a bad port is refused ($out)"
	out=$(printf 'hello\nworld\n' | bv_cli "$e" run -i --rm --name "$e-in" --network none bvbusybox sh -c 'cat; echo err >&2; exit 5' 2>"$T/in.err"); st=$?
	[ $st -eq 5 ] && [ "$out" = "hello
world" ] && [ "$(cat "$T/in.err")" = err ] && [ "$(state_of "$e:$e-in")" = absent ]
	tap_ok $? "$e run -i: barevirt's stdin reaches the container, its stdout and stderr come back apart, its status is ours ($st, '$out')"
	if command -v script >/dev/null; then
		out=$( (sleep 2; printf 'echo tty-$((6*7))\nexit 3\n'; sleep 3) |
			script -qec "$BAREVIRT --socket $BV_SOCKET $e run -it --rm --name $e-tty --network none bvbusybox sh" /dev/null 2>&1)
		st=$?
		[ $st -eq 3 ] && echo "$out" | grep -q "tty-42" && [ "$(state_of "$e:$e-tty")" = absent ]
		tap_ok $? "$e run -it on a terminal: an interactive shell in the container ($st, $(echo "$out" | tr -d '\r' | tr '\n' ' ' | head -c 120))"
	else
		tap_skip "$e run -it: script is not installed"
	fi
	out=$(bv_cli "$e" run -d -i --rm --name "$e-dit" --network none bvbusybox sh); st=$?
	sleep 0.5
	[ $st -eq 0 ] && [ "$(state_of "$e:$e-dit")" = running ]; tap_ok $? "$e run -d -i: a shell stays up on its open stdin"
	bv_cli kill "$e:$e-dit" >/dev/null 2>&1
	n=0; while [ $n -lt 50 ] && [ "$(state_of "$e:$e-dit")" != absent ]; do sleep 0.1; n=$((n + 1)); done
	[ "$(state_of "$e:$e-dit")" = absent ]; tap_ok $? "$e run -d --rm: the engine removes it when it exits"

	# images
	out=$(bv_cli "$e" images --json)
	echo "$out" | jq -e 'map(select(.tags | map(test("bvbusybox")) | any)) | length == 1' >/dev/null
	tap_ok $? "$e images: lists bvbusybox"
}

# ---- engines ----
eng_podman_start; tap_ok $? "podman: image imported from a busybox tarball, service answers on its private socket"
$P create --name bv-eng-p $O bvbusybox /bin/busybox sh -c 'echo out-line; echo err-line >&2; exec /bin/busybox sleep 300' >/dev/null 2>&1
tap_ok $? "podman: container created with the podman CLI"
DOCKER_OK=
if eng_docker_start && $D create --name bv-eng-d --network none bvbusybox /bin/busybox sh -c 'echo out-line; echo err-line >&2; exec /bin/busybox sleep 300' >/dev/null 2>&1; then
	DOCKER_OK=1
else
	tap_diag "dockerd did not come up: $(tail -3 "$T/dockerd.log" 2>/dev/null | tr '\n' ' ')"
	DSOCK="$T/nodocker.sock"
fi

bv_daemon_start --podman-socket "$PSOCK" --docker-socket "$DSOCK"
tap_ok $? "barevirtd started"
curl -sN --max-time 600 --unix-socket "$BV_SOCKET" http://x/v1/events >"$T/events" 2>/dev/null &
EV_PID=$!
n=0
while [ $n -lt 200 ] && [ "$(api GET /v1/engines | head -1 | jq '[.[] | select(.subscribed)] | length')" -lt $((1 + ${DOCKER_OK:-0})) ]; do
	sleep 0.1; n=$((n + 1))
done
api GET /v1/engines | head -1 | jq -e '.podman.subscribed' >/dev/null; tap_ok $? "barevirtd subscribed to podman's events"

engine_cases podman bv-eng-p
if [ -n "$DOCKER_OK" ]; then
	engine_cases docker bv-eng-d
else
	tap_skip "docker: the case table: dockerd is not installed or did not start"
fi

# ---- images: remove, and load a save tarball ----
# bvcopy is another name of bvbusybox: removing it untags, loading its tarball tags again.
$P tag bvbusybox bvcopy >/dev/null 2>&1 && $P save -o "$T/p.tar" bvcopy >/dev/null 2>&1
out=$(bv_cli podman rmi bvcopy 2>&1); st=$?
[ $st -eq 0 ] && ! $P image exists bvcopy && $P image exists bvbusybox; tap_ok $? "podman rmi removes an image name ($out)"
out=$(bv_cli podman load "$T/p.tar" 2>&1); st=$?
[ $st -eq 0 ] && $P image exists bvcopy; tap_ok $? "podman load brings it back from a save tarball ($out)"
bv_cli podman images | grep -q "bvcopy"; tap_ok $? "podman images shows it"
out=$(bv_cli podman rmi bv-no-such-image 2>&1); st=$?
[ $st -ne 0 ] && echo "$out" | grep -q "HTTP 404"; tap_ok $? "podman rmi of a missing image gives the engine's 404 ($out)"
if [ -n "$DOCKER_OK" ]; then
	$D tag bvbusybox bvcopy >/dev/null 2>&1 && $D save -o "$T/d.tar" bvcopy >/dev/null 2>&1
	out=$(bv_cli docker rmi bvcopy 2>&1); st=$?
	[ $st -eq 0 ] && ! $D image inspect bvcopy >/dev/null 2>&1; tap_ok $? "docker rmi removes an image name ($out)"
	out=$(bv_cli docker load "$T/d.tar" 2>&1); st=$?
	[ $st -eq 0 ] && $D image inspect bvcopy >/dev/null 2>&1; tap_ok $? "docker load brings it back ($out)"
else
	tap_skip "docker images: no dockerd"
fi

# ---- beside a barevirt VM ----
: >"$T/vmlinuz"
bv_cli vm create web1 --kernel "$T/vmlinuz" --append "console=ttyS0 bv.ip=10.9.0.2/24" >/dev/null 2>&1
tap_ok $? "a VM definition"
list=$(bv_cli list --json)
echo "$list" | jq -e 'map(select(.ref == "web1" and .type == "vm" and .state == "stopped" and .addresses == ["10.9.0.2"])) | length == 1' >/dev/null &&
	echo "$list" | jq -e 'map(select(.type == "podman")) | length >= 1' >/dev/null
tap_ok $? "list shows the VM beside the engine containers"
out=$(bv_cli list)
echo "$out" | head -1 | grep -q "^NAME *TYPE *STATE *IMAGE/KERNEL *ADDRESSES *UPTIME"; tap_ok $? "the list table has its header"
echo "$out" | grep -q "^podman:bv-eng-p *podman" && echo "$out" | grep -q "^web1 *vm *stopped .*10.9.0.2"
tap_ok $? "the list table shows the podman container and the VM"
out=$(bv_cli show web1); echo "$out" | grep -q "^type *vm"; tap_ok $? "show works for a VM ref"
out=$(bv_cli exec web1 true 2>&1); st=$?
[ $st -ne 0 ] && echo "$out" | grep -q "not available"; tap_ok $? "exec on a VM is refused clearly ($out)"
out=$(bv_cli delete web1 2>&1); st=$?
[ $st -eq 0 ] && [ "$(state_of web1)" = absent ]; tap_ok $? "delete works for a VM ref ($out)"

# ---- an engine that is not there ----
kill "$EV_PID" 2>/dev/null; EV_PID=
bv_daemon_stop >/dev/null 2>&1
bv_daemon_start --podman-socket "$PSOCK" --docker-socket "$T/nodocker.sock"
out=$(bv_cli list --json)
tap_ok $? "list works with the Docker socket missing"
# Podman can be slower than the list's 5 s under load: a user would ask again.
n=0
while [ $n -lt 5 ] && ! echo "$out" | jq -e 'map(select(.type == "podman")) | length >= 1' >/dev/null; do
	sleep 1; n=$((n + 1)); out=$(bv_cli list --json)
done
echo "$out" | jq -e 'map(select(.type == "podman")) | length >= 1' >/dev/null
tap_ok $? "podman containers are still listed beside the missing Docker"
out=$(bv_cli start docker:x 2>&1)
st=$?
[ $st -ne 0 ] && echo "$out" | grep -q "Docker engine at '$T/nodocker.sock' is not reachable"
tap_ok $? "a docker: ref with no Docker gives a clear error ($out)"
out=$(bv_cli docker run bvbusybox true 2>&1); st=$?
[ $st -ne 0 ] && echo "$out" | grep -q "not reachable"; tap_ok $? "docker run with no Docker gives a clear error"
grep -q "not reachable" "$BV_DAEMON_LOG"; tap_ok $? "the unreachable engine is logged as a warning"
out=$(bv_cli start nosuchvm 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q "no instance named 'nosuchvm'"; tap_ok $? "an unknown bare ref gives 'no instance' ($out)"
out=$(bv_cli start lxc:x 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q "unknown engine"; tap_ok $? "an unknown engine prefix is refused ($out)"

# ---- the engine dies mid-stream, then comes back ----
curl -sN --max-time 120 --unix-socket "$BV_SOCKET" http://x/v1/events >"$T/events2" 2>/dev/null &
EV_PID=$!
n=0
while [ $n -lt 200 ] && ! api GET /v1/engines | head -1 | jq -e '.podman.subscribed' >/dev/null; do sleep 0.1; n=$((n + 1)); done
eng_podman_kill -KILL
n=0
while [ $n -lt 100 ] && ! grep -q '"engine-error"' "$T/events2"; do sleep 0.1; n=$((n + 1)); done
grep -F '"engine-error"' "$T/events2" | head -1 | jq -e '.engine == "podman" and (.error | test("Podman engine at"))' >/dev/null
tap_ok $? "killing podman mid-stream gives an engine-error event ($(grep engine-error "$T/events2" | head -1))"
kill -0 "$BV_DAEMON_PID"; tap_ok $? "barevirtd stayed up"
out=$(bv_cli list --json)
tap_ok $? "list still works with podman stopped"
echo "$out" | jq -e 'map(select(.type == "podman")) | length == 0' >/dev/null; tap_ok $? "no podman entries while it is down"
eng_podman_service
n=0
while [ $n -lt 400 ] && [ "$(grep -c '"engine-connected"' "$T/events2")" -lt 1 ]; do sleep 0.1; n=$((n + 1)); done
grep -q '"type":"engine-connected","time":[0-9.]*,"engine":"podman"' "$T/events2"
tap_ok $? "the restarted podman is subscribed again (engine-connected)"
st=$(state_of podman:bv-eng-p)
[ "$st" = exited ]; tap_ok $? "a restarted podman is listed again (state '$st')"
bv_cli start podman:bv-eng-p >/dev/null 2>&1
events_has_file() { grep -F "\"type\":\"$1\"" "$3" | grep -qF "\"ref\":\"$2\""; }
n=0
while [ $n -lt 100 ] && ! events_has_file podman-start podman:bv-eng-p "$T/events2"; do sleep 0.1; n=$((n + 1)); done
events_has_file podman-start podman:bv-eng-p "$T/events2"; tap_ok $? "events flow again after the restart"
kill "$EV_PID" 2>/dev/null; wait "$EV_PID" 2>/dev/null; EV_PID=
bv_daemon_stop; tap_ok $? "barevirtd exits cleanly"
tap_done
