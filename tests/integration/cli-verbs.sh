#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every generic verb (start stop restart kill pause resume logs exec show
# delete) on a barevirt container and on a VM, as a person types them,
# through a private barevirtd in a throwaway netns with its own cgroup
# parent (names start with cv-: the cgroup tree is host-wide).
#
# Containers: pause really freezes (a counter written every 0.1 s stops,
# then goes on after resume), "paused" in list, ct show, /v1/instances and
# the event stream, the freezer cgroup frozen (v1 freezer.state on this
# hybrid host, cgroup.freeze on pure v2); a paused container survives kill
# -9 of barevirtd and resumes; stop and kill of a paused one work; pause
# of a stopped one fails in one line; exec exit codes 0, N, 126, 127 with
# barevirt's message; logs, -n 5, -f. VMs: logs shows the guest's boot
# banner, -n 5 gives at most 5 lines, logs -f started during boot sees the
# banner arrive and ends when the VM stops; exec says why it cannot apply.
# "--" before the command: exec (a barevirt container, Podman's, Docker's),
# ct exec, ct create, docker run and podman run run exactly the words after
# it (echo -n x prints "x", no newline; a later "--" is the command's own);
# "--" with nothing after it is a usage error (engines from tests/lib/engines.sh).
# Usage errors exit 2, failures 1. Nothing is left behind (cgroups,
# processes). Every wait is bounded.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/netns.sh"
. "$top_srcdir/tests/lib/guest.sh"

tap_require_root
for t in curl jq ip; do command -v $t >/dev/null || tap_skip_all "$t is not installed"; done
[ -x /bin/busybox ] || tap_skip_all "busybox-static is not installed"
[ -x "$top_builddir/tools/barevirt-runtime" ] || tap_skip_all "barevirt-runtime is not built"

cleanup() {
	[ -n "$EVENTS_PID" ] && kill "$EVENTS_PID" 2>/dev/null
	[ -n "$FOLLOW_PID" ] && kill "$FOLLOW_PID" 2>/dev/null
	for p in $(cat "$BV_TMP"/run/vms/*/qemu.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	bv_ct_cleanup
	[ -n "$ENGINES" ] && eng_cleanup
	bv_cleanup
	bv_netns_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM

bv_ct_tmp
mkdir -p "$ROOTFS/cnt" "$T/cnt"
echo cv-host >"$ROOTFS/etc/hostname"

NS=$(bv_netns_new cv) || tap_skip_all "cannot create a network namespace"
CGP=cv-${T##*.}
# Podman and Docker on private sockets, for the verbs of engine containers.
ENGINES= ENG_FLAGS=
if command -v podman >/dev/null && command -v runc >/dev/null; then
	. "$top_srcdir/tests/lib/engines.sh"
	eng_podman_start && ENGINES=podman
	eng_docker_start && ENGINES="$ENGINES docker" || DSOCK=$T/nodocker.sock
	ENG_FLAGS="--podman-socket $PSOCK --docker-socket $DSOCK"
fi
# shellcheck disable=SC2086 # ENG_FLAGS: words, paths without spaces
bv_daemon_start --netns "/run/netns/$NS" --cgroup-parent "$CGP" $ENG_FLAGS || tap_skip_all "barevirtd did not start"

C() { timeout 60 "$BAREVIRT" --socket "$BV_SOCKET" "$@"; }
api() { curl -s --max-time 30 --unix-socket "$BV_SOCKET" "$@"; }
state() { C show "$1" --json | jq -r .state; }
# wait_state NAME STATE SECONDS
wait_state() {
	_n=0
	while [ "$(state "$1")" != "$2" ] && [ $_n -lt $(($3 * 10)) ]; do sleep 0.1; _n=$((_n + 1)); done
	[ "$(state "$1")" = "$2" ]
}
# run_cli CMD...: output (stdout and stderr) in $out, exit status in $st.
run_cli() { out=$(C "$@" 2>&1); st=$?; }
# raw_cli CMD...: the same, with the output's trailing newlines kept.
raw_cli() { out=$(C "$@" 2>&1; echo "/$?"); st=${out##*/}; out=${out%/*}; }
# Checks on the last run_cli: exit status, one line of output, a pattern in it.
one_line() { [ "$(printf '%s\n' "$out" | wc -l)" = 1 ]; }
has() { printf '%s\n' "$out" | grep -q -- "$1"; }
failed_one_line() { [ $st = 1 ] && one_line; }
exited() { [ $st = "$1" ]; }
ok_has() { [ $st = 0 ] && has "$1"; }
usage_has() { [ $st = 2 ] && has "$1"; }
cnt() { cat "$T/cnt/n" 2>/dev/null || echo 0; }
events_follow() {
	curl -s -N --unix-socket "$BV_SOCKET" http://x/v1/events >>"$T/events" 2>/dev/null &
	EVENTS_PID=$!
	n=0; while ! grep -q '"hello"' "$T/events" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
}
events_follow

# ---- usage errors ------------------------------------------------------------------------
run_cli pause
tap_check "pause without a REF is a usage error (exit 2: $(echo "$out" | head -1))" [ $st = 2 ]
run_cli pause cv-nosuch
tap_check "pause of an unknown instance fails in one line (exit $st: $out)" failed_one_line

# ---- a container ---------------------------------------------------------------------------
C ct create cv-ct1 --rootfs "$ROOTFS" --stop-timeout 2 --mount "$T/cnt:/cnt" -- /bin/sh -c \
	'i=0; trap "echo got-term; exit 0" TERM; while :; do i=$((i+1)); echo $i >/cnt/n; echo tick $i; sleep 0.1; done' >/dev/null
tap_ok $? "ct create cv-ct1"
run_cli start cv-ct1
tap_check "start CT exits 0 ($out)" [ $st = 0 -a "$out" = "cv-ct1: running" ]
run_cli show cv-ct1
tap_check "show CT exits 0 and says running" ok_has '^state *running'
n=0; while [ "$(cnt)" -lt 3 ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
tap_check "the counter advances ($(cnt))" [ "$(cnt)" -ge 3 ]

run_cli pause cv-ct1
tap_check "pause CT exits 0 ($out)" [ $st = 0 -a "$out" = "cv-ct1: paused" ]
a=$(cnt); sleep 1; b=$(cnt)
tap_check "while paused the counter stops ($a, then $b after 1 s)" [ "$a" = "$b" ]
run_cli list
tap_check "list shows paused" ok_has '^cv-ct1 .* paused '
run_cli ct show cv-ct1
tap_check "ct show shows paused" ok_has '^state *paused'
tap_check "/v1/instances says paused" [ "$(api http://x/v1/instances | jq -r '.[] | select(.name == "cv-ct1") | .state')" = paused ]
tap_check "/v1/containers/cv-ct1 says paused" [ "$(api http://x/v1/containers/cv-ct1 | jq -r .state)" = paused ]
tap_check "a state event says paused" grep -q '"cv-ct1".*"paused"\|"paused".*"cv-ct1"' "$T/events"
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
	tap_check "cgroup.freeze is 1" [ "$(cat /sys/fs/cgroup/$CGP/cv-ct1/cgroup.freeze)" = 1 ]
else
	tap_check "the container's v1 freezer cgroup is FROZEN" \
		[ "$(cat /sys/fs/cgroup/freezer/$CGP/cv-ct1/freezer.state 2>/dev/null)" = FROZEN ]
	pid=$(api http://x/v1/containers/cv-ct1 | jq -r .pid)
	tap_check "its init is in that freezer cgroup" grep -qx "$pid" "/sys/fs/cgroup/freezer/$CGP/cv-ct1/cgroup.procs"
fi
tap_check "barevirt-runtime state says paused too" \
	[ "$("$top_builddir/tools/barevirt-runtime" --root "$T/run/runtime" state cv-ct1 | jq -r .status)" = paused ]
run_cli pause cv-ct1
tap_check "pause of a paused CT exits 0 ($out)" [ $st = 0 ]
run_cli exec cv-ct1 true
tap_check "exec in a paused CT fails in one line (exit $st: $out)" failed_one_line

# kill -9 of barevirtd: still paused when it is back, and resume works.
kill -9 "$BV_DAEMON_PID"; wait "$BV_DAEMON_PID" 2>/dev/null; BV_DAEMON_PID=
# shellcheck disable=SC2086
bv_daemon_start --netns "/run/netns/$NS" --cgroup-parent "$CGP" $ENG_FLAGS || tap_skip_all "barevirtd did not come back"
tap_check "after kill -9 and a restart of barevirtd, still paused" [ "$(state cv-ct1)" = paused ]
a=$(cnt); sleep 0.5; b=$(cnt)
tap_check "and still frozen ($a, $b)" [ "$a" = "$b" ]
run_cli resume cv-ct1
tap_check "resume CT exits 0 ($out)" [ $st = 0 -a "$out" = "cv-ct1: running" ]
a=$(cnt); sleep 1; b=$(cnt)
tap_check "after resume the counter advances again ($a, then $b)" [ "$b" -gt "$a" ]
run_cli resume cv-ct1
tap_check "resume of a running CT exits 0 ($out)" [ $st = 0 ]

# logs: all, -n 5, -f
run_cli logs cv-ct1
tap_check "logs CT prints the output (exit $st)" ok_has '^tick 1$'
tap_check "logs -n 5 CT prints at most 5 lines" [ "$(C logs -n 5 cv-ct1 | wc -l)" -le 5 -a "$(C logs -n 5 cv-ct1 | wc -l)" -ge 1 ]
timeout 30 "$BAREVIRT" --socket "$BV_SOCKET" logs -f -n 0 cv-ct1 >"$T/ct-follow" 2>&1 &
FOLLOW_PID=$!
sleep 1
tap_check "logs -f CT streams new lines ($(wc -l <"$T/ct-follow") in 1 s)" grep -q '^tick' "$T/ct-follow"
kill "$FOLLOW_PID" 2>/dev/null; wait "$FOLLOW_PID" 2>/dev/null; FOLLOW_PID=

# exec exit codes
run_cli exec cv-ct1 true
tap_check "exec CT true exits 0" [ $st = 0 ]
run_cli exec cv-ct1 sh -c 'echo out; exit 3'
tap_check "exec passes the status through (3: $st)" [ $st = 3 -a "$out" = out ]
run_cli ct exec cv-ct1 -- /nonexistent
tap_check "ct exec of a missing file exits 127 ($st)" [ $st = 127 ]
tap_check "with barevirt's message ($out)" [ "$out" = "barevirt: '/nonexistent': no such file in container 'cv-ct1'" ]
run_cli exec cv-ct1 /etc/hostname
tap_check "exec of a file that is not executable exits 126 ($st)" [ $st = 126 ]
tap_check "with barevirt's message ($out)" [ "$out" = "barevirt: '/etc/hostname': permission denied in container 'cv-ct1'" ]
run_cli exec cv-ct1 nosuchcommand
tap_check "a command not in PATH exits 127 ($st: $out)" [ $st = 127 ]
run_cli exec cv-ct1 sh -c 'exit 127'
tap_check "a command's own 127 stays its own, without our message ($st: '$out')" [ $st = 127 -a -z "$out" ]
out=$(C exec --json cv-ct1 /nonexistent 2>&1)
tap_check "exec --json has the reason" sh -c 'printf "%s" "$1" | jq -e ".reason == \"not-found\" and .exit_code == 127" >/dev/null' sh "$out"

# "--" before the command
raw_cli exec cv-ct1 -- echo -n x
tap_check "exec CT -- echo -n x runs exactly that ('$out', $st)" [ $st = 0 -a "$out" = x ]
raw_cli exec cv-ct1 echo -n x
tap_check "exec CT echo -n x: the same without '--' ('$out', $st)" [ $st = 0 -a "$out" = x ]
raw_cli exec -- cv-ct1 -- echo -n x
tap_check "exec -- CT -- CMD: the first '--' ends exec's options ('$out', $st)" [ $st = 0 -a "$out" = x ]
run_cli exec cv-ct1 -- sh -c 'echo "$# $*"' zero -n -- x
tap_check "exec CT -- CMD: a later '--' is the command's ('$out')" [ $st = 0 -a "$out" = "3 -n -- x" ]
raw_cli ct exec cv-ct1 -- echo -n x
tap_check "ct exec CT -- echo -n x ('$out', $st)" [ $st = 0 -a "$out" = x ]
raw_cli ct exec -- cv-ct1 echo -n x
tap_check "ct exec -- CT CMD ('$out', $st)" [ $st = 0 -a "$out" = x ]
run_cli exec cv-ct1 --
tap_check "exec CT -- without a command is a usage error ($st: $(echo "$out" | head -1))" \
	usage_has "expected a command after '--'"
run_cli ct exec cv-ct1 --
tap_check "ct exec CT -- without a command is a usage error ($st)" [ $st = 2 ]
C ct create cv-dd --rootfs "$ROOTFS" -- echo -n x >/dev/null && C start cv-dd >/dev/null
tap_check "ct create -- echo -n x: starts" wait_state cv-dd stopped 10
raw_cli logs cv-dd
tap_check "and its log is exactly 'x' ('$out')" [ $st = 0 -a "$out" = x ]
C delete cv-dd >/dev/null

for e in $ENGINES; do
	raw_cli "$e" run --rm --network none bvbusybox -- echo -n x
	tap_check "$e run IMAGE -- echo -n x runs exactly that ('$out', $st)" [ $st = 0 -a "$out" = x ]
	run_cli "$e" run --rm --network none bvbusybox sh -c 'echo "$# $*"' zero -n -- x
	tap_check "$e run IMAGE CMD: a later '--' is the command's ('$out')" [ $st = 0 -a "$out" = "3 -n -- x" ]
	run_cli "$e" run --rm --network none bvbusybox --
	tap_check "$e run IMAGE -- without a command is a usage error ($st)" [ $st = 2 ]
	C "$e" run -d --name "cv-$e" --network none bvbusybox -- sleep 300 >/dev/null
	tap_check "$e run -d IMAGE -- sleep 300: running" [ "$(state "$e:cv-$e")" = running ]
	raw_cli exec "$e:cv-$e" -- echo -n x
	tap_check "exec $e:NAME -- echo -n x runs exactly that ('$out', $st)" [ $st = 0 -a "$out" = x ]
	run_cli exec -e V=1 "$e:cv-$e" -- sh -c 'echo "$V $# $*"' zero -n -- x
	tap_check "exec $e:NAME -- CMD: a later '--' is the command's ('$out')" [ $st = 0 -a "$out" = "1 3 -n -- x" ]
	run_cli exec "$e:cv-$e" --
	tap_check "exec $e:NAME -- without a command is a usage error ($st)" [ $st = 2 ]
	C delete -f "$e:cv-$e" >/dev/null
done
[ -n "$ENGINES" ] || tap_skip "the engine verbs with '--': podman and runc are not installed"

run_cli restart cv-ct1
tap_check "restart CT exits 0 ($out)" [ $st = 0 -a "$out" = "cv-ct1: running" ]

# stop and kill of a paused container
C pause cv-ct1 >/dev/null
t0=$(date +%s)
run_cli stop cv-ct1
t1=$(date +%s)
tap_check "stop of a paused CT exits 0 ($out, $((t1 - t0)) s)" [ $st = 0 -a "$out" = "cv-ct1: stopped" ]
run_cli logs -n 3 cv-ct1
tap_check "it ended through its TERM trap (thawed, not killed)" ok_has got-term
run_cli pause cv-ct1
tap_check "pause of a stopped CT fails (exit $st)" exited 1
tap_check "in one line that says why ($out)" sh -c '[ "$(printf "%s\n" "$1" | wc -l)" = 1 ] && printf "%s" "$1" | grep -q "is stopped"' sh "$out"
run_cli resume cv-ct1
tap_check "resume of a stopped CT fails in one line ($out)" failed_one_line
C start cv-ct1 >/dev/null && C pause cv-ct1 >/dev/null
run_cli kill cv-ct1
tap_check "kill of a paused CT exits 0 ($out)" [ $st = 0 ]
tap_check "and it ends" wait_state cv-ct1 stopped 10

run_cli delete cv-ct1
tap_check "delete CT exits 0 ($out)" [ $st = 0 ]
run_cli list -q --all
tap_check "it is gone" sh -c '! printf "%s\n" "$1" | grep -qx cv-ct1' sh "$out"
tap_check "its freezer and cgroup are gone" sh -c "[ ! -e /sys/fs/cgroup/freezer/$CGP/cv-ct1 ] && [ ! -e /sys/fs/cgroup/unified/$CGP/cv-ct1 ] && [ ! -e /sys/fs/cgroup/$CGP/cv-ct1 ]"

# ---- a VM ----------------------------------------------------------------------------------
if ! command -v qemu-system-x86_64 >/dev/null; then
	tap_skip "the VM half: qemu-system-x86_64 is not installed"
	tap_done
	exit 0
fi
if ! bv_guest_build; then
	tap_skip "the VM half: the test guest could not be built (tools/mkguest)"
	tap_done
	exit 0
fi
LOG=$T/state/vms/cv-vm1/console.log
C vm create cv-vm1 --memory 128 --kernel "$BV_GUEST_KERNEL" --initrd "$BV_GUEST_INITRD" \
	--append "console=ttyS0 quiet" --stop-timeout 5 >/dev/null
tap_ok $? "vm create cv-vm1"
run_cli logs cv-vm1
tap_check "logs of a VM never started: empty, exit 0" [ $st = 0 -a -z "$out" ]
run_cli start cv-vm1
tap_check "start VM exits 0 ($out)" [ $st = 0 -a "$out" = "cv-vm1: running" ]
banner_then=$(grep -c BAREVIRT-GUEST-UP "$LOG" 2>/dev/null)
timeout 120 "$BAREVIRT" --socket "$BV_SOCKET" logs -f cv-vm1 >"$T/vm-follow" 2>&1 &
FOLLOW_PID=$!
n=0; while ! grep -q BAREVIRT-GUEST-UP "$T/vm-follow" && [ $n -lt 900 ]; do sleep 0.1; n=$((n + 1)); done
tap_check "logs -f VM, started during boot (banner then: ${banner_then:-0}), sees the banner arrive" grep -q BAREVIRT-GUEST-UP "$T/vm-follow"
run_cli logs cv-vm1
tap_check "logs VM shows the boot banner (exit $st)" ok_has BAREVIRT-GUEST-UP
tap_check "logs -n 5 VM gives at most 5 lines" [ "$(C logs -n 5 cv-vm1 | wc -l)" -le 5 ]
tap_check "vm logs -n 2 gives at most 2 lines" [ "$(C vm logs -n 2 cv-vm1 | wc -l)" -le 2 ]
tap_check "GET /v1/vms/cv-vm1/logs?tail=1 is one line" [ "$(api 'http://x/v1/vms/cv-vm1/logs?tail=1' | wc -l)" -le 1 ]
run_cli show cv-vm1
tap_check "show VM exits 0 and says running" ok_has '^state *running'
run_cli pause cv-vm1
tap_check "pause VM exits 0 ($out)" [ $st = 0 -a "$out" = "cv-vm1: paused" ]
run_cli list
tap_check "list shows the VM paused" ok_has '^cv-vm1 .* paused '
run_cli resume cv-vm1
tap_check "resume VM exits 0 ($out)" [ $st = 0 -a "$out" = "cv-vm1: running" ]
run_cli exec cv-vm1 true
tap_check "exec on a VM fails in one line that says why ($out)" sh -c '[ "$2" = 1 ] && [ "$(printf "%s\n" "$1" | wc -l)" = 1 ] && printf "%s" "$1" | grep -q "not available for vm"' sh "$out" "$st"
run_cli restart cv-vm1
tap_check "restart VM exits 0 ($out)" [ $st = 0 ]
n=0; while [ "$(grep -c BAREVIRT-GUEST-UP "$T/vm-follow")" -lt 2 ] && [ $n -lt 900 ]; do sleep 0.1; n=$((n + 1)); done
tap_check "logs -f VM sees the banner of the reboot too" [ "$(grep -c BAREVIRT-GUEST-UP "$T/vm-follow")" -ge 2 ]
run_cli kill cv-vm1
tap_check "kill VM exits 0 ($out)" [ $st = 0 ]
tap_check "it is stopped" wait_state cv-vm1 stopped 10
n=0; while kill -0 "$FOLLOW_PID" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
tap_check "logs -f VM ends when the VM stops" sh -c "! kill -0 $FOLLOW_PID 2>/dev/null"
wait "$FOLLOW_PID" 2>/dev/null; FOLLOW_PID=
run_cli start cv-vm1
tap_check "start VM again exits 0" [ $st = 0 ]
run_cli stop cv-vm1
tap_check "stop VM exits 0 ($out)" [ $st = 0 -a "$out" = "cv-vm1: stopped" ]
run_cli pause cv-vm1
tap_check "pause of a stopped VM fails in one line ($out)" failed_one_line
run_cli delete cv-vm1
tap_check "delete VM exits 0 ($out)" [ $st = 0 ]
tap_check "no QEMU is left" sh -c "! pgrep -f '[q]emu-system.*$T' >/dev/null"
tap_done
