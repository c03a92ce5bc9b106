#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# barevirt-runtime's limits on a hybrid (or v1) host, against runc in the
# same run: the same config.json gives the same values in the v1 files
# (memory, cpu, cpuset, pids, devices, blkio throttles); and each limit
# acts: memory OOM-kills, pids.max makes fork fail, the CPU quota
# throttles, pause freezes through freezer.state. Also the systemd form of
# cgroupsPath, the cgroup namespace rooted at the container's own cgroups,
# cleanup (no directory left in any v1 hierarchy) and delete --force after
# kill -9 of the runtime mid-create. Then the same with the v2 tree at
# unified/ hidden in a private mount namespace (a v1-only host, as crun's
# users run it here; the host's mounts stay as they are).
. "$top_srcdir/tests/lib/tap.sh"

tap_require_root
command -v jq >/dev/null || tap_skip_all "jq is not installed"
[ -x /bin/busybox ] || tap_skip_all "busybox-static is not installed"
[ "$(stat -f -c %T /sys/fs/cgroup/memory 2>/dev/null)" = cgroupfs ] || tap_skip_all "no cgroup v1 hierarchies (pure v2 host)"
command -v runc >/dev/null || tap_skip_all "runc is not installed"
. "$top_srcdir/tests/lib/runtime.sh"
# Ids of its own (g-*), so that runtime.sh running beside it does not count them, nor it those.
RT_ID_PREFIX=g-
cleanup() {
	for id in $RUNC_IDS; do runc --root "$RT_TMP/runc" delete --force "$id" >/dev/null 2>&1; done
	rt_cleanup
	for d in /sys/fs/cgroup/*/bv-rtcg /sys/fs/cgroup/*/machine.slice/bv-rt*; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
}
RUNC_IDS=""
trap cleanup EXIT INT TERM
rt_rootfs "$RT_TMP/rootfs"
before=$(rt_snapshot)
V1=/sys/fs/cgroup
swapacct=false
[ -e $V1/memory/memory.memsw.limit_in_bytes ] && swapacct=true

# A block device for the throttle (the first the host has: a loop device will do).
blk=$(cat /sys/block/"$(ls /sys/block | head -n 1)"/dev)
blk_maj=${blk%:*} blk_min=${blk#*:}
limits='.linux.resources = {
	"memory": {"limit": 50331648, "reservation": 33554432, "swap": 67108864},
	"cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"},
	"pids": {"limit": 64},
	"blockIO": {"throttleReadBpsDevice": [{"major": '$blk_maj', "minor": '$blk_min', "rate": 1048576}]},
	"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}]}'

# -- the same config.json, through barevirt-runtime and through runc
rt_bundle same "$limits"' | .process.args = ["sleep", "30"] | .linux.cgroupsPath = "/bv-rtcg/g-ours"'
jq '.linux.cgroupsPath = "/bv-rtcg/g-runc"' "$RT_TMP/same/config.json" >"$RT_TMP/same/runc.json"
(cd "$RT_TMP/same" && rt create g-ours >/dev/null 2>&1)
tap_ok $? "create with memory, cpu, cpuset, pids, blkio and device limits"
RT_IDS="$RT_IDS g-ours"
mkdir -p "$RT_TMP/runcb" && mv "$RT_TMP/same/runc.json" "$RT_TMP/runcb/config.json"
RUNC_IDS="g-runc"
(cd "$RT_TMP/runcb" && runc --root "$RT_TMP/runc" create g-runc >/dev/null 2>"$RT_TMP/runc.err")
tap_ok $? "runc creates the same config ($(head -c 200 "$RT_TMP/runc.err"))"
files="memory/memory.limit_in_bytes memory/memory.soft_limit_in_bytes cpu/cpu.shares cpu/cpu.cfs_quota_us
	cpu/cpu.cfs_period_us cpuset/cpuset.cpus cpuset/cpuset.mems pids/pids.max devices/devices.list
	blkio/blkio.throttle.read_bps_device"
$swapacct && files="$files memory/memory.memsw.limit_in_bytes"
for f in $files; do
	c=${f%%/*} n=${f#*/}
	# (the kernel lists device rules in the order they were written: compared as sets)
	ours=$(sort "$V1/$c/bv-rtcg/g-ours/$n" 2>&1 | tr '\n' ' ')
	theirs=$(sort "$V1/$c/bv-rtcg/g-runc/$n" 2>&1 | tr '\n' ' ')
	[ -n "$ours" ] && [ "$ours" = "$theirs" ] && [ -e "$V1/$c/bv-rtcg/g-ours/$n" ]
	tap_ok $? "$n as runc writes it: '$ours'"
	[ "$ours" = "$theirs" ] || tap_diag "runc: '$theirs'"
done
pid=$(rt state g-ours | jq -r .pid)
[ "$pid" -gt 0 ] 2>/dev/null || pid=no-such-pid
n=0
for c in cpu cpuacct cpuset memory devices freezer blkio pids; do
	[ -d "$V1/$c" ] || continue
	grep -q ":$c:/bv-rtcg/g-ours\$" /proc/"$pid"/cgroup || grep -q "[:,]$c[,:].*/bv-rtcg/g-ours\$" /proc/"$pid"/cgroup ||
		{ n=$((n + 1)); tap_diag "not in $c: $(grep "$c" /proc/"$pid"/cgroup)"; }
done
tap_ok $n "the init is in the container's directory of every v1 hierarchy"
inside=$(nsenter -t "$pid" -C cat /proc/"$pid"/cgroup 2>/dev/null)
[ -n "$inside" ] && ! echo "$inside" | grep -v -q ':/$'
tap_ok $? "its cgroup namespace is rooted at its own cgroups (every line '/' inside)"
rt delete --force g-ours >/dev/null 2>&1
runc --root "$RT_TMP/runc" delete --force g-runc >/dev/null 2>&1
left=$(ls -d $V1/*/bv-rtcg/g-ours 2>/dev/null | wc -l)
tap_ok "$left" "delete removes the directory from every v1 hierarchy"

# -- each limit acts
rt_bundle oom '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}
	| .process.args = ["sh", "-c", "x=$(head -c 100000000 /dev/zero | tr \\\\0 x); echo survived"]'
(cd "$RT_TMP/oom" && rt create g-oom >/dev/null 2>&1 && rt start g-oom >/dev/null 2>&1)
RT_IDS="$RT_IDS g-oom"
i=0
while [ "$(rt state g-oom 2>/dev/null | jq -r .status)" != stopped ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
oom=$(awk '$1 == "oom_kill" {print $2}' $V1/memory/barevirt/g-oom/memory.oom_control 2>/dev/null)
tap_check "memory.limit_in_bytes OOM-kills a process allocating past 32 MiB (oom_kill $oom)" [ "${oom:-0}" -gt 0 ]
rt delete --force g-oom >/dev/null 2>&1

rt_bundle pids '.linux.resources.pids = {"limit": 8}
	| .process.args = ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 5 & done 2>&1 | head -c 300; echo; cat /proc/self/cgroup >/dev/null; kill $(jobs -p) 2>/dev/null; echo end"]'
rt_run pids g-pids
echo "$RT_OUT" | grep -qi "fork\|resource temporarily"
tap_ok $? "pids.max 8 makes fork fail ($(echo "$RT_OUT" | head -n 1 | cut -c1-80))"

rt_bundle cpu '.linux.resources.cpu = {"quota": 10000, "period": 100000}
	| .process.args = ["sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"]'
(cd "$RT_TMP/cpu" && rt create g-cpu >/dev/null 2>&1 && rt start g-cpu >/dev/null 2>&1)
RT_IDS="$RT_IDS g-cpu"
sleep 1
thr=$(awk '$1 == "nr_throttled" {print $2}' $V1/cpu/barevirt/g-cpu/cpu.stat 2>/dev/null)
tap_check "cpu.cfs_quota_us 10% throttles a busy loop (nr_throttled $thr)" [ "${thr:-0}" -gt 0 ]

rt pause g-cpu >/dev/null 2>&1
[ "$(cat $V1/freezer/barevirt/g-cpu/freezer.state 2>/dev/null)" = FROZEN ] && [ "$(rt state g-cpu | jq -r .status)" = paused ]
tap_ok $? "pause freezes it through the v1 freezer ($(cat $V1/freezer/barevirt/g-cpu/freezer.state 2>&1))"
rt resume g-cpu >/dev/null 2>&1
rt kill g-cpu KILL >/dev/null 2>&1
rt delete --force g-cpu >/dev/null 2>&1

# -- the blkio weight through blkio.weight or BFQ's blkio.bfq.weight, else refused by name, nothing made
rt_bundle weight '.linux.resources.blockIO = {"weight": 500} | .process.args = ["sh", "-c", "cat /sys/fs/cgroup/blkio/blkio.weight /sys/fs/cgroup/blkio/blkio.bfq.weight 2>/dev/null | tr -s \" \\n\" \" \""]'

if [ ! -e $V1/blkio/blkio.weight ] && [ ! -e $V1/blkio/blkio.bfq.io_service_bytes ]; then
	out=$(cd "$RT_TMP/weight" && rt create g-weight 2>&1)
	echo "$out" | grep -q "linux.resources.blockIO.weight: .*blkio.*no blkio.weight"
	tap_ok $? "blockIO.weight without a weight file is refused by name ($out)"
	[ ! -e "$RT_ROOT/g-weight" ] && [ ! -d $V1/memory/barevirt/g-weight ]; tap_ok $? "... and nothing is made"
else
	rt_run weight g-weight
	echo "$RT_OUT" | grep -q "500"; tap_ok $? "blockIO.weight 500 is written to the v1 weight file ($(echo $RT_OUT))"
fi

# -- systemd's slice:prefix:name form
rt_bundle sd '.linux.cgroupsPath = "machine.slice:bv-rt:g-sd" | .process.args = ["cat", "/proc/self/cgroup"]'
rt_run sd g-sd
tap_ok $? "cgroupsPath 'machine.slice:bv-rt:g-sd' runs ($(echo "$RT_OUT" | grep memory))"
rt_bundle sd2 '.linux.cgroupsPath = "machine.slice:bv-rt:g-sd2" | .process.args = ["sleep", "10"]'
(cd "$RT_TMP/sd2" && rt create g-sd2 >/dev/null 2>&1)
RT_IDS="$RT_IDS g-sd2"
tap_check "... placed where systemd names it (machine.slice/bv-rt-g-sd2.scope)" [ -d $V1/memory/machine.slice/bv-rt-g-sd2.scope ]
rt delete --force g-sd2 >/dev/null 2>&1
rt_bundle sdbad '.linux.cgroupsPath = "machine.slice:x"'
out=$(cd "$RT_TMP/sdbad" && rt create g-sdbad 2>&1)
echo "$out" | grep -q "linux.cgroupsPath: 'machine.slice:x' is not \"slice:prefix:name\""; tap_ok $? "a malformed one is refused ($out)"

# -- kill -9 of the runtime mid-create: delete --force cleans up
rt_bundle mid '.hooks.createRuntime = [{"path": "/bin/sleep", "args": ["sleep", "10"]}] | .linux.resources.pids = {"limit": 10}'
(cd "$RT_TMP/mid" && exec timeout -s KILL 1 "$RT" --root "$RT_ROOT" create g-mid >/dev/null 2>&1)
made=$(ls -d $V1/*/barevirt/g-mid 2>/dev/null | wc -l)
rt delete --force g-mid >/dev/null 2>&1
tap_ok $? "delete --force after kill -9 mid-create succeeds ($made v1 directories were made)"
left=$(ls -d $V1/*/barevirt/g-mid /sys/fs/cgroup/unified/barevirt/g-mid "$RT_ROOT/g-mid" 2>/dev/null | wc -l)
tap_ok "$left" "... and leaves no cgroup and no state"
pkill -f "sleep 10" 2>/dev/null

# -- a v1-only host: the v2 tree hidden in a private mount namespace (the host's mounts untouched)
rt_bundle v1only "$limits"' | .process.args = ["cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]'
out=$(cd "$RT_TMP/v1only" && unshare -m --propagation private sh -c \
	"umount /sys/fs/cgroup/unified && timeout 30 '$RT' --root '$RT_ROOT' run g-v1only" 2>&1)
tap_check "on a v1-only host (no unified/) the same limits work ($out)" [ "$out" = 50331648 ]
# kill --all without cgroup.kill: every task signalled while the v1 freezer holds them.
rt_bundle v1kill '.process.args = ["sh", "-c", "sleep 100 & sleep 100 & sleep 100"]'
out=$(cd "$RT_TMP/v1kill" && unshare -m --propagation private sh -c "umount /sys/fs/cgroup/unified &&
	timeout 30 '$RT' --root '$RT_ROOT' create g-v1kill && timeout 30 '$RT' --root '$RT_ROOT' start g-v1kill &&
	sleep 0.3 && n=\$(wc -l <$V1/freezer/barevirt/g-v1kill/cgroup.procs) &&
	timeout 30 '$RT' --root '$RT_ROOT' kill --all g-v1kill KILL && sleep 0.5 &&
	echo \$n \$(wc -l <$V1/freezer/barevirt/g-v1kill/cgroup.procs) \$(cat $V1/freezer/barevirt/g-v1kill/freezer.state) &&
	timeout 30 '$RT' --root '$RT_ROOT' delete g-v1kill" 2>&1)
[ "${out%% *}" -ge 3 ] 2>/dev/null && [ "${out#* }" = "0 THAWED" ]
tap_ok $? "v1 only: kill --all KILL ends every process under the freezer, then thaws (procs before, after, state: $out)"
mountpoint -q /sys/fs/cgroup/unified; tap_ok $? "... and the host's unified/ stays mounted"

after=$(rt_snapshot)
tap_check "nothing is left behind ($after)" [ "$before" = "$after" ]
tap_done
