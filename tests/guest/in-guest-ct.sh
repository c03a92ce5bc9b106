#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside the guest-lane VM, started by in-guest.sh in a mount
# namespace whose root is a bind mount of the initramfs (so that
# pivot_root works, as on a real host): barevirtd and `barevirt ct` with
# the cgroup v2 controllers a hybrid host lacks. memory.max is enforced and
# the OOM kill reported on the container, pids.max makes fork fail,
# cpu.max shows as throttling in the container's cpu.stat, live usage is
# read back, and stop kills the whole cgroup (cgroup.kill) after the stop
# timeout. Prints "LANE: ok|not ok N - ..." lines like in-guest.sh.
S=/run/bvd
BV="barevirt --socket $S/api.sock"
CG=/sys/fs/cgroup
LANE_ID=ct
# shellcheck source=tests/lib/in-guest.sh # its copy in the guest
. /lane-lib.sh
js() { $BV ct show "$1" --json | jq -r "$2"; }
wait_state() { # NAME STATE SECONDS
	i=0
	while [ "$(js "$1" .state)" != "$2" ] && [ $i -lt $(($3 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(js "$1" .state)" = "$2" ]
}

mkdir -p $S
barevirtd --state-dir $S/state --run-dir $S/run --socket $S/api.sock -q 2>$S/barevirtd.log &
BVD=$!
i=0
while ! $BV host --json >/dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
lane_check "barevirtd runs in the guest" kill -0 $BVD
limits=$($BV host --json | jq -c '[.ct_limits | to_entries[] | select(.value.supported) | .key]')
lane_check "barevirt host lists memory, cpus and pids as available ($limits)" \
	sh -c "echo '$limits' | grep -q memory && echo '$limits' | grep -q cpus && echo '$limits' | grep -q pids"

# memory.max: the init allocates past 64 MiB and is OOM-killed; the container says so.
$BV ct create ctmem --rootfs /lane/rootfs --memory 64 -- sort /dev/zero >/dev/null &&
	$BV ct start ctmem >/dev/null
lane_check "ct create/start with --memory 64" [ $? = 0 ]
wait_state ctmem crashed 60
lane_check "memory.max enforced: the container crashed ($(js ctmem .state), signal $(js ctmem .signal))" \
	[ "$(js ctmem .state)" = crashed ]
lane_check "and is reported OOM-killed" [ "$(js ctmem .oom_killed)" = true ]

# One container with every limit, busy, for the rest.
$BV ct create ctlim --rootfs /lane/rootfs --memory 64 --pids 10 --cpus 0.1 --stop-timeout 1 \
	-- sh -c 'sleep 1000 & sleep 1000 & while :; do :; done' >/dev/null && $BV ct start ctlim >/dev/null
lane_check "a container with memory, pids and cpus limits starts" [ "$(js ctlim .state)" = running ]
out=$($BV ct exec ctlim -- cat /sys/fs/cgroup/memory.max 2>&1)
lane_check "it sees memory.max = 64 MiB ($out)" [ "$out" = 67108864 ]
out=$($BV ct exec ctlim -- sh -c 'i=0; while [ $i -lt 30 ]; do sleep 5 & i=$((i + 1)); done; wait' 2>&1)
case "$out" in *"can't fork"*|*"Resource temporarily unavailable"*) r=0 ;; *) r=1 ;; esac
lane_check "pids.max enforced: fork fails past 10" [ $r = 0 ]
sleep 2
thr=$(sed -n 's/^nr_throttled //p' $CG/barevirt/ctlim/cpu.stat)
lane_check "cpu.max throttles the busy loop (nr_throttled=$thr)" [ "${thr:-0}" -gt 0 ]
mem=$(js ctlim .usage.memory_bytes); pids=$(js ctlim .usage.pids)
lane_check "ct show reports live usage (memory $mem bytes, $pids pids)" [ "${mem:-0}" -gt 0 -a "${pids:-0}" -ge 3 ]
procs=$(wc -l <$CG/barevirt/ctlim/cgroup.procs)
$BV ct stop ctlim >/dev/null
lane_check "stop after the 1 s timeout: cgroup.kill ends all $procs processes (state $(js ctlim .state))" \
	sh -c "[ $procs -ge 3 ] && [ '$(js ctlim .state)' = stopped ] && [ ! -e $CG/barevirt/ctlim ]"
lane_check "the stop was a kill (signal $(js ctlim .signal))" [ "$(js ctlim .signal)" = 9 ]

$BV ct delete ctmem >/dev/null && $BV ct delete ctlim >/dev/null
lane_check "containers deleted, no cgroup left" sh -c "[ -z \"\$(ls $CG/barevirt 2>/dev/null)\" ]"
kill $BVD
wait $BVD
lane_check "barevirtd exits cleanly" [ $? = 0 ]
