#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Podman with --runtime barevirt-runtime, side by side with runc in the same
# test: an image imported from a busybox tarball, run with and without a
# tty, -e, -w, -u, --read-only, --cap-drop ALL, a seccomp profile, --network
# none, exit codes, and exec into a running container. Outputs must match
# runc's. Podman gets its own storage and run dirs under a temp dir, the
# cgroupfs manager, and limits this host can grant (no pids controller in
# the v2 tree, no CAP_SYS_RESOURCE for raising rlimits).
. "$top_srcdir/tests/lib/tap.sh"

tap_require_root
command -v podman >/dev/null || tap_skip_all "podman is not installed"
command -v jq >/dev/null || tap_skip_all "jq is not installed"
[ -x /bin/busybox ] || tap_skip_all "busybox-static is not installed"
. "$top_srcdir/tests/lib/runtime.sh"
P="timeout 60 podman --root $RT_TMP/storage --runroot $RT_TMP/run --storage-driver vfs --cgroup-manager cgroupfs --events-backend file"
pm_cleanup() {
	$P rm -fa >/dev/null 2>&1
	grep -o " $RT_TMP[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
	rt_cleanup
}
trap pm_cleanup EXIT INT TERM
rt_rootfs "$RT_TMP/rootfs"
tar -C "$RT_TMP/rootfs" -c . | $P import - bvbusybox >/dev/null 2>&1
tap_ok $? "image imported from a busybox tarball"
RUNC=$(command -v runc)
[ -n "$RUNC" ] || tap_diag "runc is not installed: no comparison, our outputs are checked alone"
O="--rm --network none --pids-limit -1 --ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
cat >"$RT_TMP/seccomp.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
JSON

# both DESCRIPTION PODMAN-ARGS...: runs with ours (and runc), compares; ours in $out.
both() {
	desc=$1; shift
	out=$($P --runtime "$RT" "$@" 2>&1; echo "status=$?")
	out=$(echo "$out" | tr -d '\r')
	if [ -n "$RUNC" ]; then
		theirs=$($P --runtime "$RUNC" "$@" 2>&1; echo "status=$?")
		theirs=$(echo "$theirs" | tr -d '\r' | sed "s|$RUNC|RUNTIME|g; s|runc create failed: unable to start container process: ||")
		mine=$(echo "$out" | sed "s|$RT|RUNTIME|g; s|barevirt-runtime: ||")
		[ "$mine" = "$theirs" ]; tap_ok $? "$desc: same as runc"
		[ "$mine" = "$theirs" ] || tap_diag "ours: $mine | runc: $theirs"
	fi
}

both "echo hi" run $O bvbusybox echo hi
echo "$out" | grep -qx hi; tap_ok $? "podman run --rm IMAGE echo hi prints hi"
both "-e -w -u --read-only --cap-drop ALL" run $O -e FOO=bar -w /tmp -u 1000:1000 --read-only --cap-drop ALL bvbusybox \
	sh -c 'echo $FOO; pwd; id -u; id -g; grep CapEff /proc/self/status; touch /x 2>&1'
[ "$(echo "$out" | head -4 | tr '\n' ' ')" = "bar /tmp 1000 1000 " ] && echo "$out" | grep -q "CapEff:.0000000000000000" &&
	echo "$out" | grep -q "Read-only file system"
tap_ok $? "env, workdir, user, read-only root and dropped capabilities apply"
both "tty" run $O -t bvbusybox sh -c 'tty; echo tty-ok'
echo "$out" | grep -qx "/dev/pts/0"; tap_ok $? "with -t the process has a pty"
both "seccomp" run $O --security-opt seccomp="$RT_TMP/seccomp.json" bvbusybox sh -c 'mkdir /tmp/d 2>&1; echo done'
echo "$out" | grep -q "Permission denied"; tap_ok $? "--security-opt seccomp=profile denies mkdir with its errnoRet"
both "exit 3" run $O bvbusybox sh -c 'exit 3'
echo "$out" | grep -qx "status=3"; tap_ok $? "the exit status comes through"
both "missing program" run $O bvbusybox /nonexistent
echo "$out" | grep -qx "status=127"; tap_ok $? "a missing program gives 127"
for r in "$RT" $RUNC; do
	name=bv-exec-$(basename "$r")
	$P --runtime "$r" run -d --name "$name" $O bvbusybox sleep 30 >/dev/null 2>&1
	got=$($P exec "$name" sh -c 'echo exec-ok; cat /proc/1/comm' 2>&1)
	[ "$got" = "exec-ok
sleep" ]; tap_ok $? "exec into a running container ($(basename "$r"))"
	[ "$got" = "exec-ok
sleep" ] || tap_diag "$got"
	$P rm -f -t 0 "$name" >/dev/null 2>&1
done
[ -z "$(ls "$RT_ROOT" 2>/dev/null)" ]; tap_ok $? "no state left in our --root"
tap_done
