#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Docker with barevirt-runtime as an extra runtime (daemon.json "runtimes"),
# side by side with runc in the same test: the case table of
# tests/lib/runtime-engine.sh (with and without a tty, -e, -w, -u 1000:1000,
# --read-only, --cap-drop ALL, a seccomp profile, --network none, exit
# codes, exec, pause and unpause) through `docker run --runtime barevirt`
# and `--runtime runc`; outputs must match. containerd-shim-runc-v2 drives
# the runtime with its own flags (--root, --log with --log-format json,
# create --bundle --pid-file [--console-socket], start, exec --process
# --detach --pid-file, pause, resume, kill, delete [--force]); a wrapper
# records them so the test can check it saw them. A private dockerd
# (--iptables=false --bridge=none, private --data-root, --exec-root, socket
# and pidfile) is started and stopped by the test; every wait is bounded.
. "$top_srcdir/tests/lib/tap.sh"

tap_require_root
command -v dockerd >/dev/null || tap_skip_all "dockerd is not installed"
command -v docker >/dev/null || tap_skip_all "the docker client is not installed"
command -v jq >/dev/null || tap_skip_all "jq is not installed"
command -v curl >/dev/null || tap_skip_all "curl is not installed"
[ -x /bin/busybox ] || tap_skip_all "busybox-static is not installed"
. "$top_srcdir/tests/lib/runtime.sh"
. "$top_srcdir/tests/lib/runtime-engine.sh"
T=$RT_TMP
DOCKERD_PID=
E="timeout 60 docker -H unix://$T/docker.sock"
dk_cleanup() {
	if [ -n "$DOCKERD_PID" ]; then
		$E ps -aq 2>/dev/null | xargs -r $E rm -f >/dev/null 2>&1
		kill "$DOCKERD_PID" 2>/dev/null
		n=0
		while kill -0 "$DOCKERD_PID" 2>/dev/null && [ $n -lt 150 ]; do sleep 0.1; n=$((n + 1)); done
		kill -9 "$DOCKERD_PID" 2>/dev/null
		wait "$DOCKERD_PID" 2>/dev/null
	fi
	grep -o " $T[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
	rt_cleanup
}
trap dk_cleanup EXIT
trap 'exit 1' INT TERM

# A wrapper that records the shim's command lines, then runs the runtime.
cat >"$T/wrap.sh" <<WRAP
#!/bin/sh
echo "\$*" >>"$T/args.log"
exec "$RT" "\$@"
WRAP
chmod 755 "$T/wrap.sh"
jq -n --arg rt "$RT" --arg wrap "$T/wrap.sh" '{runtimes: {barevirt: {path: $rt}, "barevirt-wrapped": {path: $wrap}}}' \
	>"$T/daemon.json"
dockerd --config-file "$T/daemon.json" --iptables=false --ip6tables=false --bridge=none --data-root "$T/docker" \
	--exec-root "$T/dexec" --host "unix://$T/docker.sock" --pidfile "$T/docker.pid" >"$T/dockerd.log" 2>&1 &
DOCKERD_PID=$!
n=0
until curl -s --max-time 2 --unix-socket "$T/docker.sock" http://x/_ping 2>/dev/null | grep -q OK; do
	n=$((n + 1))
	[ $n -lt 600 ] && kill -0 "$DOCKERD_PID" 2>/dev/null || break
	sleep 0.1
done
curl -s --max-time 2 --unix-socket "$T/docker.sock" http://x/_ping 2>/dev/null | grep -q OK
tap_ok $? "a private dockerd answers on its socket"
[ $? -eq 0 ] || tap_diag "$(tail -5 "$T/dockerd.log")"
$E info --format '{{json .Runtimes}}' 2>/dev/null | jq -e --arg rt "$RT" '.barevirt.path == $rt' >/dev/null
tap_ok $? "docker info lists barevirt-runtime as the runtime 'barevirt'"
rt_rootfs "$T/rootfs"
IMAGE=bvbusybox
tar -C "$T/rootfs" -c . | $E import - $IMAGE >/dev/null 2>&1
tap_ok $? "image imported from a busybox tarball"
RUNC=$(command -v runc)
THEIRS=
[ -n "$RUNC" ] && THEIRS=runc
[ -n "$RUNC" ] || tap_diag "runc is not installed: no comparison, our outputs are checked alone"
MINE=barevirt RM="rm -f"
O_DETACHED="--network none"
O="--rm $O_DETACHED"
rte_cases
rte_limits

# What the shim passed, through the recording wrapper.
$E run --rm --runtime barevirt-wrapped --network none $IMAGE echo wrapped >"$T/out" 2>&1
grep -qx wrapped "$T/out"; tap_ok $? "the recording wrapper runs a container"
$E run -d --name bv-dk-w --runtime barevirt-wrapped --network none $IMAGE sleep 60 >/dev/null 2>&1
$E exec bv-dk-w true
$E rm -f bv-dk-w >/dev/null 2>&1
for want in "--log-format json create --bundle" "--pid-file" " start " "exec --process" "--detach" " kill " " delete "; do
	grep -q -e "$want" "$T/args.log"; tap_ok $? "the shim called the runtime with '$want'"
done
grep -q " create .*--console-socket" "$T/args.log"; [ $? -ne 0 ]; tap_ok $? "no --console-socket without a tty"
root=$(sed -n 's/^--root \([^ ]*\) .*/\1/p' "$T/args.log" | head -1)
[ -n "$root" ] && [ -z "$(ls "$root" 2>/dev/null)" ]; tap_ok $? "no container state left in the shim's --root ($root)"
tap_done
