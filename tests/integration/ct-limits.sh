#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# barevirt containers' limits on a hybrid (or v1) host, end to end through
# a private barevirtd: barevirt host says per controller whether it is v1
# or v2 and which limits work and why; --memory OOM-kills and the container
# says so; --pids makes fork fail; --cpus throttles; --cpu-weight and
# --io-weight land in cpu.shares and the blkio weight; the container sees
# its own memory limit; ct show reads live usage from the v1 files; stop
# after the timeout kills every process; delete leaves no directory in any
# v1 hierarchy. (Pure v2 hosts: tests/guest/in-guest-ct.sh.)
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/netns.sh"

tap_require_root
for t in curl jq ip; do command -v $t >/dev/null || tap_skip_all "$t is not installed"; done
[ -x /bin/busybox ] || tap_skip_all "busybox-static is not installed"
[ "$(stat -f -c %T /sys/fs/cgroup/memory 2>/dev/null)" = cgroupfs ] || tap_skip_all "no cgroup v1 hierarchies (pure v2 host)"
V1=/sys/fs/cgroup

cleanup() {
	bv_ct_cleanup
	bv_cleanup
	bv_netns_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM

bv_ct_tmp
NS=$(bv_netns_new ctl) || tap_skip_all "cannot create a network namespace"
CGP=bvl-${T##*.}
bv_daemon_start --netns "/run/netns/$NS" --cgroup-parent "$CGP" || tap_skip_all "barevirtd did not start"
C() { timeout 60 "$BAREVIRT" --socket "$BV_SOCKET" "$@"; }
js() { C ct show --json "$1" | jq -r "$2"; }
wait_state() { bv_wait_for "$3" sh -c "[ \"\$(C ct show --json $1 | jq -r .state)\" = $2 ]"; }

# -- what the host offers
C host --json >"$T/host.json"
tap_check "GET /v1/host: memory is a v1 controller, usable" \
	jq -e '.cgroup.by_controller.memory | .version == 1 and .usable and .path == "/sys/fs/cgroup/memory"' "$T/host.json"
tap_check "... ct_limits: memory, cpus, cpu_weight and pids supported, with how" \
	jq -e '.ct_limits | (.memory.supported and .cpus.supported and .cpu_weight.supported and .pids.supported)
		and (.memory.via | contains("cgroup v1"))' "$T/host.json"
tap_check "... every limit not supported says why" \
	jq -e '[.ct_limits[] | select(.supported | not) | .reason | length > 0] | all' "$T/host.json"
out=$(C host)
echo "$out" | grep -q "^  v1 .*memory" && echo "$out" | grep -q "^limits .*memory"
tap_ok $? "barevirt host lists the v1 controllers and the limits ($(echo "$out" | grep -A1 '^cgroup' | tr '\n' ' '))"

# -- memory: the init allocates past 64 MiB and is OOM-killed; the container says so
C ct create ctmem --rootfs "$ROOTFS" --memory 64 -- sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" x); echo survived' >/dev/null &&
	C ct start ctmem >/dev/null
tap_ok $? "ct create/start --memory 64 on a $(jq -r .cgroup.mode "$T/host.json") host"
wait_state ctmem crashed 30
tap_check "memory.limit_in_bytes enforced: the container crashed ($(js ctmem .state), signal $(js ctmem .signal))" \
	[ "$(js ctmem .state)" = crashed ]
tap_check "... and is reported OOM-killed" [ "$(js ctmem .oom_killed)" = true ]

# -- one container with every limit, busy, for the rest
swap=""
jq -e .ct_limits.memory_swap.supported "$T/host.json" >/dev/null && swap="--memory-swap 96"
io=""
jq -e .ct_limits.io_weight.supported "$T/host.json" >/dev/null && io="--io-weight 500"
# shellcheck disable=SC2086
C ct create ctlim --rootfs "$ROOTFS" --memory 64 $swap --pids 10 --cpus 0.1 --cpu-weight 200 $io --stop-timeout 1 \
	-- sh -c 'trap "" TERM; sleep 1000 & sleep 1000 & while :; do :; done' >/dev/null && C ct start ctlim >/dev/null
tap_check "a container with memory, pids, cpus and weight limits starts" [ "$(js ctlim .state)" = running ]
D=$CGP/ctlim
tap_check "memory.limit_in_bytes is 64 MiB" [ "$(cat $V1/memory/$D/memory.limit_in_bytes)" = 67108864 ]
[ -n "$swap" ] && tap_check "memory.memsw.limit_in_bytes is 96 MiB" [ "$(cat $V1/memory/$D/memory.memsw.limit_in_bytes)" = 100663296 ]
[ "$(cat $V1/cpu/$D/cpu.cfs_quota_us)" = 10000 ] && [ "$(cat $V1/cpu/$D/cpu.cfs_period_us)" = 100000 ]
tap_ok $? "cpu.cfs_quota_us/period is 0.1 CPU ($(cat $V1/cpu/$D/cpu.cfs_quota_us) / $(cat $V1/cpu/$D/cpu.cfs_period_us))"
tap_check "cpu-weight 200 is cpu.shares 5220 (runc's conversion, exact back to v2 weight 200)" [ "$(cat $V1/cpu/$D/cpu.shares)" = 5220 ]
tap_check "pids.max is 10" [ "$(cat $V1/pids/$D/pids.max)" = 10 ]
if [ -n "$io" ]; then
	w=$(cat $V1/blkio/$D/blkio.weight $V1/blkio/$D/blkio.bfq.weight 2>/dev/null | head -n 1 | awk '{print $NF}')
	tap_check "io-weight 500 is blkio weight 60 ($w)" [ "$w" = 60 ]
fi
out=$(C ct exec ctlim -- cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>&1)
tap_check "the container sees its own memory limit in /sys/fs/cgroup/memory ($out)" [ "$out" = 67108864 ]
out=$(C ct exec ctlim -- sh -c 'i=0; while [ $i -lt 30 ]; do sleep 5 & i=$((i + 1)); done; wait' 2>&1)
case "$out" in *"can't fork"*|*"Resource temporarily unavailable"*) r=0 ;; *) r=1 ;; esac
tap_ok $r "pids.max enforced: fork fails past 10"
sleep 2
thr=$(sed -n 's/^nr_throttled //p' $V1/cpu/$D/cpu.stat)
tap_check "cpu.cfs_quota_us throttles the busy loop (nr_throttled=$thr)" [ "${thr:-0}" -gt 0 ]
mem=$(js ctlim .usage.memory_bytes); pids=$(js ctlim .usage.pids); cpu=$(js ctlim .usage.cpu_usec)
tap_check "ct show reads live usage from v1 (memory $mem bytes, $pids pids, cpu $cpu us)" \
	[ "${mem:-0}" -gt 0 -a "${pids:-0}" -ge 3 -a "${cpu:-0}" -gt 0 ]
procs=$(wc -l <$V1/pids/$D/cgroup.procs)
C ct stop ctlim >/dev/null
tap_check "stop after the 1 s timeout ends all $procs processes (state $(js ctlim .state))" \
	sh -c "[ $procs -ge 3 ] && [ '$(js ctlim .state)' = stopped ] && [ ! -e $V1/pids/$D ]"
tap_check "the stop was a kill (signal $(js ctlim .signal))" [ "$(js ctlim .signal)" = 9 ]

# -- a limit the host cannot enforce is refused naming why, and nothing is stored
if ! jq -e .ct_limits.io_weight.supported "$T/host.json" >/dev/null; then
	out=$(C ct create ctio --rootfs "$ROOTFS" --io-weight 100 2>&1)
	echo "$out" | grep -q "io_weight.*blkio"; tap_ok $? "--io-weight without a blkio weight file is refused ($out)"
fi

C ct delete ctmem >/dev/null && C ct delete ctlim >/dev/null
left=$(ls -d $V1/*/"$CGP"/* 2>/dev/null | grep -c "/ct")
tap_check "containers deleted: no directory left in any v1 hierarchy ($left)" [ "$left" = 0 ]
tap_done
