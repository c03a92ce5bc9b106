#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Podman with --runtime barevirt-runtime, side by side with runc in the same
# test (the case table of tests/lib/runtime-engine.sh): an image imported
# from a busybox tarball, run with and without a tty, -e, -w, -u,
# --read-only, --cap-drop ALL, a seccomp profile, --network none, exit
# codes, exec into a running container, pause and unpause. Outputs must
# match runc's. Podman gets its own storage and run dirs under a temp dir,
# the cgroupfs manager, and Podman's default containers.conf but for the
# nofile and nproc ulimits (no CAP_SYS_RESOURCE here to raise rlimits); its
# pids limit, --memory, --cpus and --pids-limit are enforced.
. "$top_srcdir/tests/lib/tap.sh"

tap_require_root
command -v podman >/dev/null || tap_skip_all "podman is not installed"
command -v jq >/dev/null || tap_skip_all "jq is not installed"
[ -x /bin/busybox ] || tap_skip_all "busybox-static is not installed"
. "$top_srcdir/tests/lib/runtime.sh"
. "$top_srcdir/tests/lib/runtime-engine.sh"
# Podman's defaults, its pids limit (2048) included; only the nofile and nproc ulimits are lowered to this
# host's hard limits, for every runtime alike (no CAP_SYS_RESOURCE to raise them).
# (at most 20000: what these machines allow)
hn=$(awk '/^Max open files/ {print $5}' /proc/self/limits); hu=$(awk '/^Max processes/ {print $4}' /proc/self/limits)
[ "$hn" = unlimited ] || [ "$hn" -gt 20000 ] && hn=20000
[ "$hu" = unlimited ] || [ "$hu" -gt 20000 ] && hu=20000
cat >"$RT_TMP/containers.conf" <<EOC
[containers]
default_ulimits = ["nofile=$hn:$hn", "nproc=$hu:$hu"]
EOC
export CONTAINERS_CONF="$RT_TMP/containers.conf"
E="timeout 60 podman --root $RT_TMP/storage --runroot $RT_TMP/run --storage-driver vfs --cgroup-manager cgroupfs --events-backend file"
pm_cleanup() {
	$E rm -fa -t 0 >/dev/null 2>&1
	grep -o " $RT_TMP[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
	rt_cleanup
}
trap pm_cleanup EXIT INT TERM
rt_rootfs "$RT_TMP/rootfs"
IMAGE=bvbusybox
tar -C "$RT_TMP/rootfs" -c . | $E import - $IMAGE >/dev/null 2>&1
tap_ok $? "image imported from a busybox tarball"
RUNC=$(command -v runc)
[ -n "$RUNC" ] || tap_diag "runc is not installed: no comparison, our outputs are checked alone"
MINE=$RT THEIRS=$RUNC RM="rm -f -t 0"
O_DETACHED="--network none"
O="--rm $O_DETACHED"
rte_cases
both "Podman's default pids limit" run --runtime "$MINE" $O "$IMAGE" sh -c \
	'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'
echo "$out" | grep -qx 2048; tap_ok $? "Podman's default pids limit (2048) is enforced"
rte_limits
[ -z "$(ls "$RT_ROOT" 2>/dev/null)" ]; tap_ok $? "no state left in our --root"
tap_done
