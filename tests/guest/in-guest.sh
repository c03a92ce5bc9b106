#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside the guest-lane VM (pure cgroup v2, booted by barevirt): the
# container tests that need cgroup controllers, through barevirt-runtime.
# Prints one "LANE: ok|not ok N - ..." line per check on the console; the
# host side (tests/guest/lane.sh) turns them into TAP. The root is an
# initramfs, where pivot_root is impossible: containers use --no-pivot.
RT="barevirt-runtime --root /run/bvrt"
B=/lane/bundles
CG=/sys/fs/cgroup
LANE_ID=
# shellcheck source=tests/lib/in-guest.sh # its copy in the guest
. /lane-lib.sh
has() { case "$1" in *"$2"*) return 0 ;; *) return 1 ;; esac; }
events() { sed -n "s/^$2 //p" "$CG/lane/$1" 2>/dev/null || echo 0; }

echo "LANE: # controllers: $(cat $CG/cgroup.controllers)"
lane_check "pure cgroup v2 with memory, pids and cpu" sh -c "grep -q memory $CG/cgroup.controllers && grep -q pids $CG/cgroup.controllers && grep -q cpu $CG/cgroup.controllers"

# The container sees its own memory limit.
out=$($RT run --no-pivot --bundle $B/memview memview 2>&1)
lane_check "the container sees memory.max = 64 MiB ($out)" has "$out" 67108864

# memory.max is enforced: sort holding 128 MiB of one line past a 64 MiB limit is OOM-killed.
before=$(events memory.events oom_kill)
$RT run --no-pivot --bundle $B/mem mem >/tmp/mem.out 2>&1
st=$?
after=$(events memory.events oom_kill)
lane_check "a process allocating past memory.max is OOM-killed (exit status $st)" [ "$st" = 137 ]
lane_check "the kernel counted an OOM kill ($before -> $after)" [ "${after:-0}" -gt "${before:-0}" ]

# pids.max is enforced: fork fails past it.
out=$($RT run --no-pivot --bundle $B/pids pids 2>&1)
lane_check "fork fails past pids.max" has "$out" "can't fork"

# cpu.max is visible as throttling in cpu.stat.
$RT run --no-pivot --detach --bundle $B/cpu cpu >/dev/null 2>&1
sleep 2
thr=$(sed -n 's/^nr_throttled //p' $CG/lane/cpu/cpu.stat 2>/dev/null)
usage=$(sed -n 's/^usage_usec //p' $CG/lane/cpu/cpu.stat 2>/dev/null)
lane_check "cpu.max throttles a busy loop (nr_throttled=$thr, usage ${usage}us in 2 s)" [ "${thr:-0}" -gt 0 ]
$RT kill cpu KILL >/dev/null 2>&1; sleep 0.3; $RT delete --force cpu >/dev/null 2>&1

# cgroup.kill stops everything in the container at once.
$RT run --no-pivot --detach --bundle $B/kill kill >/dev/null 2>&1
sleep 0.5
procs=$(wc -l <$CG/lane/kill/cgroup.procs)
echo 1 >$CG/lane/kill/cgroup.kill
i=0; while [ -s $CG/lane/kill/cgroup.procs ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
lane_check "cgroup.kill stops all $procs processes" sh -c "[ $procs -gt 0 ] && [ ! -s $CG/lane/kill/cgroup.procs ]"
$RT delete --force kill >/dev/null 2>&1

# Back-to-back runs never hang: a SIGCHLD lost before `run` blocked it once
# hung about one run in ten on this one-CPU guest.
ok=0
i=0
while [ $i -lt 20 ]; do
	i=$((i + 1))
	timeout -s KILL 20 $RT run --no-pivot --bundle $B/true true-$i </dev/null >/dev/null 2>&1 && ok=$((ok + 1))
done
lane_check "20 back-to-back runs of /bin/true all finish ($ok of 20)" [ $ok = 20 ]

# barevirtd and `barevirt ct` (tests/guest/in-guest-ct.sh), in a mount
# namespace whose root is a bind mount: pivot_root refuses the initramfs
# itself as the old root, not a mount on top of it.
if [ -f /lane-ct.sh ] && command -v barevirtd >/dev/null; then
	t0=$(date +%s)
	unshare -m sh -c 'mount --make-rprivate / && mkdir -p /ctroot && mount --rbind / /ctroot &&
		exec chroot /ctroot sh /lane-ct.sh'
	lane_check "the barevirt ct checks ran to the end (status $?)" [ $? = 0 ]
	echo "LANE: # the barevirt ct checks took $(($(date +%s) - t0)) s"
else
	lane_check "barevirtd and /lane-ct.sh are in the guest" false
fi

# Nothing left behind.
lane_check "no container cgroups left" sh -c "[ -z \"\$(find $CG/lane -mindepth 1 -type d 2>/dev/null)\" ]"
echo "LANE: 1..$lane_n"
