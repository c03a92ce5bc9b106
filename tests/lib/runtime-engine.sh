# SPDX-License-Identifier: GPL-2.0-or-later
# The case table that runs a container engine (Podman or Docker) with
# barevirt-runtime and with runc side by side, shared by
# tests/integration/runtime-podman.sh and runtime-docker.sh. The caller sets:
#   E       the engine command (with its private sockets/roots and a timeout)
#   O       options for every foreground `run` (--rm --network none ...)
#   O_DETACHED  the same without --rm, for `run -d`
#   MINE    the --runtime value that selects barevirt-runtime
#   THEIRS  the --runtime value that selects runc ("" when runc is missing)
#   RM      the engine's "remove now" (podman: rm -f -t 0; docker: rm -f)
#   IMAGE   an image imported from a busybox tarball
# and sources tests/lib/runtime.sh (for $RT and $RT_TMP) first.

# rte_norm: an output without the parts that name the runtime.
rte_norm() {
	tr -d '\r' | sed "s|$RT|RUNTIME|g; s|${RUNC:-/nonexistent-runc}|RUNTIME|g; s|barevirt-runtime: ||;
		s|runc create failed: unable to start container process: ||"
}

# both DESCRIPTION ENGINE-ARGS...: runs `$E --runtime ...` style commands
# with ours, then with runc, and compares; our output (with status=N) in $out.
both() {
	desc=$1; shift
	out=$($E "$@" 2>&1; echo "status=$?")
	out=$(echo "$out" | tr -d '\r')
	if [ -n "$THEIRS" ]; then
		theirs=$(rte_swap "$@")
		mine=$(echo "$out" | rte_norm)
		[ "$mine" = "$theirs" ]; tap_ok $? "$desc: same as runc"
		[ "$mine" = "$theirs" ] || tap_diag "ours: $mine | runc: $theirs"
	fi
}

# rte_swap ENGINE-ARGS...: the same command with --runtime THEIRS, normalized.
rte_swap() {
	cmd=$1; shift
	# "$@" starts with --runtime MINE (see rte_run): replace the value.
	shift 2
	($E "$cmd" --runtime "$THEIRS" "$@" 2>&1; echo "status=$?") | rte_norm
}

rte_cases() {
	cat >"$RT_TMP/seccomp.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
JSON
	both "echo hi" run --runtime "$MINE" $O "$IMAGE" echo hi
	echo "$out" | grep -qx hi; tap_ok $? "run --rm IMAGE echo hi prints hi"
	both "-e -w -u --read-only --cap-drop ALL" run --runtime "$MINE" $O -e FOO=bar -w /tmp -u 1000:1000 --read-only \
		--cap-drop ALL "$IMAGE" sh -c 'echo $FOO; pwd; id -u; id -g; grep CapEff /proc/self/status; touch /x 2>&1'
	[ "$(echo "$out" | head -4 | tr '\n' ' ')" = "bar /tmp 1000 1000 " ] &&
		echo "$out" | grep -q "CapEff:.0000000000000000" && echo "$out" | grep -q "Read-only file system"
	tap_ok $? "env, workdir, user, read-only root and dropped capabilities apply"
	both "tty" run --runtime "$MINE" $O -t "$IMAGE" sh -c 'tty; echo tty-ok'
	echo "$out" | grep -qx "/dev/pts/0"; tap_ok $? "with -t the process has a pty"
	both "no tty" run --runtime "$MINE" $O "$IMAGE" sh -c 'tty; echo done'
	echo "$out" | grep -qx "not a tty"; tap_ok $? "without -t the process has no tty"
	both "seccomp" run --runtime "$MINE" $O --security-opt seccomp="$RT_TMP/seccomp.json" "$IMAGE" \
		sh -c 'mkdir /tmp/d 2>&1; echo done'
	echo "$out" | grep -q "Permission denied"; tap_ok $? "--security-opt seccomp=profile denies mkdir with its errnoRet"
	both "network none" run --runtime "$MINE" $O "$IMAGE" sh -c 'ls /sys/class/net; cat /proc/net/dev | wc -l'
	[ "$(echo "$out" | head -1)" = lo ]; tap_ok $? "--network none leaves only lo"
	# The container's own cgroup, not the host's tree: on hybrid and v1 hosts its own directory of each v1
	# hierarchy (memory/ checked), as runc shows them; on v2 its own v2 cgroup.
	out=$($E run --runtime "$MINE" $O "$IMAGE" sh -c 'd=/sys/fs/cgroup; [ -d $d/memory ] && d=$d/memory
		grep -c . $d/cgroup.procs; find $d -mindepth 1 -maxdepth 1 -type d | wc -l' 2>&1 | tr -d '\r' | tr '\n' ' ')
	tap_check "/sys/fs/cgroup is the container's own cgroup, not the host's tree ($out)" \
		sh -c "[ \$(echo $out | cut -d' ' -f1) -le 3 ] && [ \$(echo $out | cut -d' ' -f2) = 0 ]"
	both "exit 3" run --runtime "$MINE" $O "$IMAGE" sh -c 'exit 3'
	echo "$out" | grep -qx "status=3"; tap_ok $? "the exit status comes through"
	both "missing program" run --runtime "$MINE" $O "$IMAGE" /nonexistent
	echo "$out" | grep -qx "status=127"; tap_ok $? "a missing program gives 127"

	# exec, and pause/unpause, into a running container of each runtime.
	for r in "$MINE" $THEIRS; do
		name=bv-exec-$(basename "$r")
		$E run -d --runtime "$r" --name "$name" $O_DETACHED "$IMAGE" \
			sh -c 'while :; do echo x >>/tmp/ticks; sleep 0.1; done' >/dev/null 2>&1
		got=$($E exec "$name" sh -c 'echo exec-ok; cat /proc/1/comm; id -u' 2>&1)
		[ "$got" = "exec-ok
sh
0" ]; tap_ok $? "exec into a running container ($(basename "$r"))"
		[ "$got" = "exec-ok
sh
0" ] || tap_diag "$got"
		got=$($E exec -u 1000:1000 -w /tmp -e X=y "$name" sh -c 'echo $X; pwd; id -u' 2>&1)
		[ "$got" = "y
/tmp
1000" ]; tap_ok $? "exec -u -w -e ($(basename "$r"))"
		got=$($E exec -t "$name" tty 2>&1 | tr -d '\r')
		[ "$got" = /dev/pts/0 ]; tap_ok $? "exec -t gets a pty ($(basename "$r")): $got"
		$E pause "$name" >/dev/null 2>&1
		st=$($E inspect -f '{{.State.Status}}' "$name" 2>&1)
		pid=$($E inspect -f '{{.State.Pid}}' "$name" 2>&1)
		n1=$(wc -l <"/proc/$pid/root/tmp/ticks")
		sleep 1
		n2=$(wc -l <"/proc/$pid/root/tmp/ticks")
		[ "$st" = paused ] && [ "$n1" = "$n2" ]; tap_ok $? "pause freezes the container ($(basename "$r"): $st, $n1 -> $n2 ticks)"
		$E exec "$name" true >/dev/null 2>&1
		[ $? -ne 0 ]; tap_ok $? "exec into a paused container is refused ($(basename "$r"))"
		$E unpause "$name" >/dev/null 2>&1
		sleep 0.5
		n3=$(wc -l <"/proc/$pid/root/tmp/ticks")
		st=$($E inspect -f '{{.State.Status}}' "$name" 2>&1)
		[ "$st" = running ] && [ "$n3" -gt "$n2" ]; tap_ok $? "unpause thaws it ($(basename "$r"): $st, $n2 -> $n3 ticks)"
		$E $RM "$name" >/dev/null 2>&1
	done
}

# rte_limits: --memory, --cpus, --pids-limit enforced (the values in the container's cgroup files, v1 or
# v2, and by effect: an OOM kill, a fork refused), each against runc.
rte_limits() {
	both "--memory 32m" run --runtime "$MINE" $O --memory 32m "$IMAGE" sh -c \
		'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'
	echo "$out" | grep -qx 33554432; tap_ok $? "--memory 32m: the container's memory limit is 33554432"
	both "--memory 32m OOM" run --runtime "$MINE" $O --memory 32m --memory-swap 32m "$IMAGE" sh -c \
		'x=$(head -c 100000000 /dev/zero | tr "\\0" x); echo survived'
	echo "$out" | grep -qx "status=137"; tap_ok $? "--memory 32m: allocating 100 MB is OOM-killed (${out##*status=})"
	both "--cpus 0.5" run --runtime "$MINE" $O --cpus 0.5 "$IMAGE" sh -c \
		'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max'
	echo "$out" | grep -q "^50000"; tap_ok $? "--cpus 0.5: the CPU quota is 50000 of 100000"
	both "--pids-limit 16" run --runtime "$MINE" $O --pids-limit 16 "$IMAGE" sh -c \
		'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max;
		for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18; do sleep 3 & done 2>&1 | grep -c fork'
	[ "$(echo "$out" | head -n 1)" = 16 ] && [ "$(echo "$out" | sed -n 2p)" -gt 0 ]
	tap_ok $? "--pids-limit 16: pids.max is 16 and fork fails past it"
}
