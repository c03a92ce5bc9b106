#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# 100 containers created, started, killed and deleted in a loop, plus 20
# whose create fails late (in the child, after the mounts): afterwards no
# mount, cgroup, state directory, container process or fd of ours is left.
. "$top_srcdir/tests/lib/tap.sh"

tap_require_root
command -v jq >/dev/null || tap_skip_all "jq is not installed"
[ -x /bin/busybox ] || tap_skip_all "busybox-static is not installed"
. "$top_srcdir/tests/lib/runtime.sh"
trap rt_cleanup EXIT INT TERM
rt_rootfs "$RT_TMP/rootfs"
rt_bundle loop '.process.args = ["sleep", "30"]'
rt_bundle fail '.process.args = ["/no/such/program"]'
fds() { ls /proc/$$/fd | wc -l; }
before="$(rt_snapshot) fds=$(fds)"
n=${BAREVIRT_LEAK_LOOPS:-100}
ok=0
i=0
cd "$RT_TMP/loop" || exit 1
while [ $i -lt "$n" ]; do
	id="leak-$i"
	if rt create "$id" && rt start "$id" && [ "$(rt state "$id" | jq -r .status)" = running ] &&
		rt kill "$id" KILL && rt delete --force "$id"; then
		ok=$((ok + 1))
	else
		RT_IDS="$RT_IDS $id"
	fi
	i=$((i + 1))
done
tap_ok $((n - ok)) "$n containers created, started, killed and deleted ($ok succeeded)"
cd "$RT_TMP/fail" || exit 1
bad=0
for i in $(seq 20); do rt create "fail-$i" 2>/dev/null && bad=$((bad + 1)); done
tap_ok $bad "20 creates failing in the child are all refused"
after="$(rt_snapshot) fds=$(fds)"
[ "$after" = "$before" ]; tap_ok $? "nothing leaked ($after)"
[ "$after" = "$before" ] || tap_diag "before: $before"
tap_done
