#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `barevirt-runtime monitor` driven directly, as barevirtd drives it: real
# container definitions turned into bundles by ctr_ct_spec() (test-ct-bundle)
# over a busybox rootfs. The ready fd (success and failure, a failure leaving
# nothing behind), console.log and its rotation, the console.sock relay (pty
# input and output), status/stop/kill/subscribe over monitor.sock, exit codes
# and crashes recorded, the restart policy with its backoff, stop escalating
# to cgroup.kill, SIGTERM to the monitor, the monitor outliving its parent,
# the default security profile seen from inside, limits refused on a host
# without the controllers, the monitor's RSS, and no leak of mounts, cgroups,
# state, sockets or processes.
. "$top_srcdir/tests/lib/tap.sh"

tap_require_root
command -v jq >/dev/null || tap_skip_all "jq is not installed"
command -v socat >/dev/null || tap_skip_all "socat is not installed"
[ -x /bin/busybox ] || tap_skip_all "busybox-static is not installed"
[ -d /sys/fs/cgroup/unified ] || [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] ||
	tap_skip_all "no cgroup v2 tree"
. "$top_srcdir/tests/lib/runtime.sh"
BUNDLE="$top_builddir/tests/integration/test-ct-bundle"
V2=/sys/fs/cgroup/unified
[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && V2=/sys/fs/cgroup
CG=bv-test/ctmon-$$   # our own cgroup parent: barevirtd tests may run beside us

MONS=""
ct_cleanup() {
	for d in $MONS; do
		[ -S "$d/monitor.sock" ] && echo '{"cmd":"stop","timeout":0}' |
			timeout 5 socat -t5 - "UNIX-CONNECT:$d/monitor.sock" >/dev/null 2>&1
	done
	rmdir "$V2/$CG" 2>/dev/null
	# The v1 freezer cgroups of hybrid hosts: barevirt removes a parent only right under the mount.
	rmdir "/sys/fs/cgroup/freezer/$CG" 2>/dev/null
	rt_cleanup
}
trap ct_cleanup EXIT INT TERM
rt_rootfs "$RT_TMP/rootfs"

# wait_for SECONDS COMMAND...: polls every 0.1 s.
wait_for() {
	n=$(($1 * 10)); shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# mkct NAME DEF-JSON [ROOTFS]: the bundle $RT_TMP/NAME/bundle and run dir $RT_TMP/NAME/run.
mkct() {
	mkdir -p "$RT_TMP/$1/run"
	echo "$2" >"$RT_TMP/$1/def.json"
	"$BUNDLE" "$RT_TMP/$1/def.json" "${3:-$RT_TMP/rootfs}" "$RT_TMP/$1/bundle" - "/$CG/$1"
}

# monitor NAME [OPTIONS...]: starts the monitor (setsid, as barevirtd does), waits for the ready line.
monitor() {
	name=$1; shift
	d="$RT_TMP/$name/run"
	MONS="$MONS $d"
	: >"$RT_TMP/$name/ready"   # now, not in the background child: wait_for must not see a previous line
	setsid "$RT" --root "$RT_ROOT" monitor --bundle "$RT_TMP/$name/bundle" --dir "$d" --ready-fd 3 "$@" "$name" \
		3>"$RT_TMP/$name/ready" </dev/null >"$RT_TMP/$name/monitor.out" 2>&1 &
	wait_for 15 test -s "$RT_TMP/$name/ready"
}
ready() { cat "$RT_TMP/$1/ready"; }
msend() { echo "$2" | timeout 20 socat -t20 - "UNIX-CONNECT:$RT_TMP/$1/run/monitor.sock"; }
mjson() { jq -r "$2" "$RT_TMP/$1/run/monitor.json" 2>/dev/null; }
state_is() { [ "$(mjson "$1" .state)" = "$2" ]; }
gone() { [ ! -S "$RT_TMP/$1/run/monitor.sock" ] && ! kill -0 "$(mjson "$1" .monitor_pid)" 2>/dev/null; }
log_has() { grep -q "$2" "$RT_TMP/$1/run/console.log" 2>/dev/null; }

mkdir -p "$V2/$CG"
# Without the global cgroup count: barevirtd tests make /barevirt/* cgroups beside us; ours are checked below.
snapshot() { rt_snapshot | sed 's/ cgroups=[0-9]*//'; }
before=$(snapshot)

# -- an app container: ready fd, console.log, status
mkct app '{"name":"app","rootfs":"/x","command":["/bin/sh","-c","echo out-line; echo err-line >&2; grep CapEff /proc/self/status; cat /proc/kcore | wc -c; unshare -m true || echo unshare-denied; exec sleep 60"]}'
tap_check "app: monitor reports ready" monitor app
ready app | jq -e '.ok == true and .pid > 1' >/dev/null; tap_ok $? "app: ready line is {ok:true,pid} ($(ready app))"
pid=$(ready app | jq -r .pid)
kill -0 "$pid" 2>/dev/null; tap_ok $? "app: the init runs as host pid $pid"
[ "$(mjson app .state)" = running ] && [ "$(mjson app .pid)" = "$pid" ] && [ "$(mjson app .exit_code)" = null ]
tap_ok $? "app: monitor.json says running with that pid, exit_code null"
mpid=$(mjson app .monitor_pid)
[ "$(awk '{print $4}' /proc/"$pid"/stat)" = "$mpid" ]; tap_ok $? "app: the monitor is the init's parent"
wait_for 5 log_has app unshare-denied
log_has app out-line && log_has app err-line; tap_ok $? "app: stdout and stderr are in console.log"
log_has app "CapEff:.00000000a80425fb"; tap_ok $? "app: CapEff is Docker's default set"
grep -qx 0 "$RT_TMP/app/run/console.log"; tap_ok $? "app: /proc/kcore is masked (reads empty)"
log_has app unshare-denied; tap_ok $? "app: the default seccomp profile denies unshare"
st=$(msend app '{"cmd":"status"}')
echo "$st" | jq -e --argjson p "$pid" '.state == "running" and .pid == $p and .id == "app" and .restarts == 0' >/dev/null
tap_ok $? "app: status over monitor.sock ($st)"
r=$(msend app '{"cmd":"dance"}')
echo "$r" | jq -e '.ok == false and (.error | test("unknown cmd"))' >/dev/null; tap_ok $? "app: an unknown cmd gets an error reply"
r=$(msend app 'not json')
echo "$r" | jq -e '.ok == false and .errno == 22' >/dev/null; tap_ok $? "app: malformed JSON gets an error reply"
r=$(head -c 5000 /dev/zero | tr '\0' a | timeout 5 socat -t2 - "UNIX-CONNECT:$RT_TMP/app/run/monitor.sock")
echo "$r" | jq -e '.errno == 90' >/dev/null; tap_ok $? "app: an overlong request line is refused (EMSGSIZE) and the client dropped"
n=$( (for i in $(seq 20); do echo '{"cmd":"status"}'; done) | timeout 5 socat -t2 - "UNIX-CONNECT:$RT_TMP/app/run/monitor.sock" | grep -c '"state":"running"')
[ "$n" = 20 ]; tap_ok $? "app: 20 pipelined requests get 20 replies ($n)"

# -- the monitor's memory, after start-up and after serving requests
sleep 3
rss=$(awk '/^VmRSS/{print $2}' /proc/"$mpid"/status)
tap_diag "monitor VmRSS after start-up and requests: ${rss} kB"
[ "$rss" -lt 1024 ]; tap_ok $? "monitor RSS is under 1 MiB (${rss} kB)"

# -- subscribe, kill (requested: no restart with on-failure semantics -> stopped)
(echo '{"cmd":"subscribe"}'; sleep 5) | timeout 8 socat -t8 - "UNIX-CONNECT:$RT_TMP/app/run/monitor.sock" >"$RT_TMP/app/events" &
sub=$!
wait_for 5 test -s "$RT_TMP/app/events"
r=$(msend app '{"cmd":"kill","signal":9}')
[ "$r" = '{"ok":true}' ]; tap_ok $? "app: kill replies ok"
wait_for 10 gone app; tap_ok $? "app: the monitor exits after the container is gone, sockets removed"
wait "$sub" 2>/dev/null
ev=$(jq -r .event "$RT_TMP/app/events" | tr '\n' ' ')
[ "$ev" = "running exited stopped " ]; tap_ok $? "app: subscriber saw running, exited, stopped ($ev)"
[ "$(mjson app .state)" = stopped ] && [ "$(mjson app .exit_code)" = 137 ] && [ "$(mjson app .signal)" = 9 ] &&
	[ "$(mjson app .finished_at)" != null ]
tap_ok $? "app: final monitor.json: stopped (asked for), exit_code 137, signal 9"
kill -0 "$pid" 2>/dev/null; tap_ok $((!$?)) "app: the init is gone"

# -- exit code recorded, crash
mkct crash '{"name":"crash","rootfs":"/x","command":["/bin/sh","-c","echo bye; exit 3"]}'
monitor crash
wait_for 10 gone crash
[ "$(mjson crash .state)" = crashed ] && [ "$(mjson crash .exit_code)" = 3 ] && [ "$(mjson crash .signal)" = null ]
tap_ok $? "crash: exit 3 is recorded as crashed with exit_code 3"
log_has crash bye; tap_ok $? "crash: its last output is in console.log"

mkct clean '{"name":"clean","rootfs":"/x","command":["/bin/true"]}'
monitor clean --restart on-failure
wait_for 10 gone clean
[ "$(mjson clean .state)" = stopped ] && [ "$(mjson clean .exit_code)" = 0 ] && [ "$(mjson clean .restarts)" = 0 ]
tap_ok $? "clean: exit 0 with on-failure: stopped, no restart"

# -- restart policy on-failure, with backoff
mkct flaky '{"name":"flaky","rootfs":"/x","command":["/bin/sh","-c","echo run-$$; exit 1"]}'
t0=$(date +%s%N)
monitor flaky --restart on-failure
restarts_at_least() { [ "$(mjson flaky .restarts)" -ge "$1" ] 2>/dev/null; }
wait_for 10 restarts_at_least 3; tap_ok $? "flaky: on-failure restarts a failing container ($(mjson flaky .restarts) restarts)"
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
# Backoff 100 + 200 + 400 ms before the third restart: not a tight loop.
[ "$ms" -ge 600 ]; tap_ok $? "flaky: three restarts took ${ms} ms (backoff 100, 200, 400 ms)"
sleep 1
n=$(mjson flaky .restarts)
[ "$n" -le 6 ]; tap_ok $? "flaky: backoff keeps restarts few ($n after ~2 s)"
[ "$(grep -c '^run-1$' "$RT_TMP/flaky/run/console.log")" -ge 3 ]; tap_ok $? "flaky: every run printed to console.log"
r=$(msend flaky '{"cmd":"stop","timeout":5}')
echo "$r" | jq -e '.state == "stopped" and .pid == 0' >/dev/null; tap_ok $? "flaky: stop during backoff ends it: $(echo "$r" | jq -c '{state,restarts}')"
wait_for 10 gone flaky; tap_ok $? "flaky: monitor gone after stop"

mkct always '{"name":"always","rootfs":"/x","command":["/bin/sh","-c","echo again; sleep 0.2"]}'
monitor always --restart always
ra() { [ "$(jq -r .restarts "$RT_TMP/always/run/monitor.json")" -ge 2 ] 2>/dev/null; }
wait_for 10 ra; tap_ok $? "always: restarts after exit 0"
msend always '{"cmd":"stop","timeout":5}' >/dev/null
wait_for 10 gone always && state_is always stopped; tap_ok $? "always: stop ends it for good (stopped)"

# -- stop: graceful, and escalation to cgroup.kill
mkct polite '{"name":"polite","rootfs":"/x","command":["/bin/sh","-c","trap \"echo got-term; exit 0\" TERM; echo up; while :; do sleep 0.1; done"]}'
monitor polite
wait_for 5 log_has polite up
r=$(msend polite '{"cmd":"stop","timeout":10}')
echo "$r" | jq -e '.state == "stopped" and .exit_code == 0' >/dev/null; tap_ok $? "polite: stop with SIGTERM: clean exit 0 ($(echo "$r" | jq -c '{state,exit_code}'))"
log_has polite got-term; tap_ok $? "polite: the init saw the stop signal"

mkct stubborn '{"name":"stubborn","rootfs":"/x","command":["/bin/sh","-c","trap \"\" TERM; sleep 300 & echo up; while :; do sleep 0.1; done"]}'
monitor stubborn
wait_for 5 log_has stubborn up
spid=$(mjson stubborn .pid)
t0=$(date +%s%N)
r=$(msend stubborn '{"cmd":"stop","timeout":1}')
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "$r" | jq -e '.state == "stopped" and .signal == 9' >/dev/null
tap_ok $? "stubborn: stop escalates to a kill after the timeout (${ms} ms, $(echo "$r" | jq -c '{state,signal}'))"
[ "$ms" -ge 900 ] && [ "$ms" -lt 8000 ]; tap_ok $? "stubborn: the stop waited the timeout, then ended quickly (${ms} ms)"
[ ! -d "$V2/$CG/stubborn" ]; tap_ok $? "stubborn: its cgroup is gone"
wait_for 5 gone stubborn; tap_ok $? "stubborn: monitor gone"

# -- SIGTERM to the monitor = stop
mkct term '{"name":"term","rootfs":"/x","command":["/bin/sleep","300"]}'
monitor term --stop-timeout 1
kill -TERM "$(mjson term .monitor_pid)"
wait_for 10 gone term && state_is term stopped; tap_ok $? "term: SIGTERM to the monitor stops the container"

# -- a system container: terminal, console.sock relay both ways, SIGPWR
mkct sys '{"name":"sys","rootfs":"/x","command":["/bin/sh"],"system":true}'
monitor sys --stop-signal SIGPWR --stop-timeout 1
(sleep 0.5; printf 'echo relay-$((6*7))\n'; sleep 1.5) | timeout 5 socat -t3 - "UNIX-CONNECT:$RT_TMP/sys/run/console.sock" >"$RT_TMP/sys/relay" 2>&1
grep -q relay-42 "$RT_TMP/sys/relay"; tap_ok $? "sys: console.sock input reaches the pty, output comes back"
log_has sys relay-42; tap_ok $? "sys: the pty output is in console.log too"
msend sys '{"cmd":"stop","timeout":1}' >/dev/null
wait_for 10 gone sys; tap_ok $? "sys: stopped"

# -- a system container running busybox init stops on SIGPWR, before any escalation
mkct init '{"name":"init","rootfs":"/x"}'
sed -i 's#"/sbin/init"#"/bin/init"#' "$RT_TMP/init/bundle/config.json"
monitor init --stop-signal SIGPWR
sleep 1
r=$(msend init '{"cmd":"stop","timeout":15}')
# It halts: reboot(2) in a pid namespace ends its init with SIGINT (or it exits); never SIGKILL.
echo "$r" | jq -e '.state == "stopped" and .signal != 9' >/dev/null
tap_ok $? "init: busybox init shuts down on SIGPWR ($(echo "$r" | jq -c '{state,exit_code,signal}'))"
log_has init "The system is going down"; tap_ok $? "init: its shutdown messages are in console.log"

# -- log rotation
mkct chatty '{"name":"chatty","rootfs":"/x","command":["/bin/sh","-c","i=0; while [ $i -lt 400 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done"]}'
monitor chatty --log-max 4096
wait_for 10 gone chatty
sz=$(stat -c %s "$RT_TMP/chatty/run/console.log")
[ -s "$RT_TMP/chatty/run/console.log.1" ] && [ "$sz" -le 8192 ]; tap_ok $? "chatty: console.log rotated to console.log.1 at --log-max ($sz bytes now)"
grep -q line-399- "$RT_TMP/chatty/run/console.log"; tap_ok $? "chatty: the newest output is in console.log"

# -- the monitor outlives its parent
mkct orphan '{"name":"orphan","rootfs":"/x","command":["/bin/sleep","300"]}'
mkdir -p "$RT_TMP/orphan/run"
MONS="$MONS $RT_TMP/orphan/run"
sh -c '"$0" --root "$1" monitor --bundle "$2/orphan/bundle" --dir "$2/orphan/run" --ready-fd 3 orphan 3>"$2/orphan/ready" </dev/null >/dev/null 2>&1 & sleep 60' \
	"$RT" "$RT_ROOT" "$RT_TMP" &
parent=$!
wait_for 15 test -s "$RT_TMP/orphan/ready"
kill -9 "$parent"; wait "$parent" 2>/dev/null
sleep 0.5
opid=$(mjson orphan .pid)
st=$(msend orphan '{"cmd":"status"}')
echo "$st" | jq -e '.state == "running"' >/dev/null && kill -0 "$opid"; tap_ok $? "orphan: the monitor and container survive the death of their parent"
msend orphan '{"cmd":"stop","timeout":1}' | jq -e '.state == "stopped"' >/dev/null; tap_ok $? "orphan: and still stop on request"

# -- failures: nothing left behind
mkct bad '{"name":"bad","rootfs":"/x","command":["/no/such/program"]}'
monitor bad
ready bad | jq -e '.ok == false and .errno > 0 and (.error | length > 0)' >/dev/null; tap_ok $? "bad: ready line reports the failure ($(ready bad))"
wait_for 5 gone bad
[ -z "$(ls -A "$RT_TMP/bad/run")" ]; tap_ok $? "bad: nothing left in the run dir ($(ls -A "$RT_TMP/bad/run" | tr '\n' ' '))"
[ ! -e "$RT_ROOT/bad" ] && [ ! -d "$V2/$CG/bad" ]; tap_ok $? "bad: no runtime state, no cgroup"

mkct badcfg '{"name":"badcfg","rootfs":"/x","command":["/bin/true"]}'
echo '{"ociVersion": "1.0.2", "root": {"path": "/"}, "process": {"args": 5}}' >"$RT_TMP/badcfg/bundle/config.json"
monitor badcfg
ready badcfg | jq -e '.ok == false and (.error | test("process.args"))' >/dev/null; tap_ok $? "badcfg: a malformed config.json is reported on the ready fd ($(ready badcfg | jq -r .error))"
wait_for 5 gone badcfg
[ -z "$(ls -A "$RT_TMP/badcfg/run")" ] && [ ! -e "$RT_ROOT/badcfg" ]; tap_ok $? "badcfg: nothing left behind"
monitor badcfg --restart sometimes
ready badcfg | jq -e '.ok == false and .errno == 22' >/dev/null; tap_ok $? "badcfg: a bad option is reported on the ready fd too"

mkct busy '{"name":"busy","rootfs":"/x","command":["/bin/sleep","300"]}'
monitor busy
cp "$RT_TMP/busy/ready" "$RT_TMP/busy/ready.first"
monitor busy
ready busy | jq -e '.ok == false and .errno == 16' >/dev/null; tap_ok $? "busy: a second monitor for the same dir is refused ($(ready busy | jq -r .error))"
msend busy '{"cmd":"status"}' | jq -e '.state == "running"' >/dev/null; tap_ok $? "busy: the first monitor is unharmed"
msend busy '{"cmd":"stop","timeout":1}' >/dev/null
wait_for 10 gone busy

# -- limits on a host without the controller (neither in the v2 tree nor as a v1 hierarchy)
if ! grep -qw memory "$V2/cgroup.controllers" 2>/dev/null && [ "$(stat -f -c %T /sys/fs/cgroup/memory 2>/dev/null)" != cgroupfs ]; then
	mkct lim '{"name":"lim","rootfs":"/x","command":["/bin/true"],"limits":{"memory":64}}'
	monitor lim
	ready lim | jq -e '.ok == false and (.error | test("memory"))' >/dev/null
	tap_ok $? "lim: a memory limit is refused on this host: $(ready lim | jq -r .error)"
	[ -z "$(ls -A "$RT_TMP/lim/run")" ] && [ ! -e "$RT_ROOT/lim" ]; tap_ok $? "lim: nothing left behind"
else
	tap_skip "the host has the memory controller (v2 or v1): tests/integration/ct-limits.sh enforces it"
	tap_skip "the host has the memory controller"
fi

# -- privileged: seccomp and caps off
mkct priv '{"name":"priv","rootfs":"/x","command":["/bin/sh","-c","unshare -m true && echo unshare-ok; grep CapEff /proc/self/status"],"privileged":true}'
monitor priv
wait_for 10 gone priv
log_has priv unshare-ok; tap_ok $? "priv: a privileged container may unshare"
! log_has priv "CapEff:.00000000a80425fb"; tap_ok $? "priv: it has more than the default capabilities"

# -- user namespace and a given network namespace (as barevirtd makes for NICs)
mkdir -p "$RT_TMP/un-data" && chown 300000:300000 "$RT_TMP/un-data"
touch "$RT_TMP/netns"
if unshare --net="$RT_TMP/netns" true && nsenter --net="$RT_TMP/netns" ip link add bvdummy0 type veth peer name bvdummy1; then
	mkct un '{"name":"un","rootfs":"/x","userns":true,"nics":[{"network":"n"}],"command":["/bin/sh","-c","cat /proc/self/uid_map; id -u; touch /data/f && echo wrote; cat /proc/net/dev"],"mounts":[{"source":"'"$RT_TMP/un-data"'","destination":"/data"}]}'
	"$BUNDLE" "$RT_TMP/un/def.json" "$RT_TMP/rootfs" "$RT_TMP/un/bundle" "$RT_TMP/netns" "/$CG/un"
	monitor un
	wait_for 10 gone un
	log_has un "^ *0 *300000 *65536"; tap_ok $? "userns: container root is host uid 300000 (65536 ids)"
	[ "$(stat -c %u "$RT_TMP/un-data/f" 2>/dev/null)" = 300000 ]; tap_ok $? "userns: a file it creates belongs to host uid 300000"
	log_has un "bvdummy0"; tap_ok $? "netns: the container joined the given network namespace (sees its link)"
	state_is un stopped; tap_ok $? "userns: ran to a clean exit ($(mjson un .state))"
else
	tap_skip "cannot make a network namespace here"
	tap_skip "cannot make a network namespace here"
	tap_skip "cannot make a network namespace here"
	tap_skip "cannot make a network namespace here"
fi
umount "$RT_TMP/netns" 2>/dev/null

# -- images: imported once, shared read-only through a per-container overlay
IMG="$top_builddir/tests/integration/test-ct-image"
I="$RT_TMP/images"
tar -C "$RT_TMP/rootfs" -cf "$RT_TMP/busybox.tar" .
id=$("$IMG" import "$I" "$RT_TMP/busybox.tar")
echo "$id" | grep -qE '^[0-9a-f]{16}$'; tap_ok $? "image: the busybox tarball is imported as $id"
[ -x "$I/$id/rootfs/bin/busybox" ] &&
	jq -e --arg id "$id" --arg src "$RT_TMP/busybox.tar" '.id == $id and .source == $src and .size > 0 and .mtime > 0 and (.imported_at | length > 0)' \
		"$I/$id/image.json" >/dev/null
tap_ok $? "image: rootfs and image.json are in place"
ino=$(stat -c %i "$I/$id/rootfs/bin/busybox")
id2=$("$IMG" import "$I" "$RT_TMP/busybox.tar")
[ "$id2" = "$id" ] && [ "$(stat -c %i "$I/$id/rootfs/bin/busybox")" = "$ino" ]
tap_ok $? "image: importing the same tarball again reuses the image (no second extraction)"
[ "$("$IMG" id "$RT_TMP/busybox.tar")" = "$id" ]; tap_ok $? "image: ctr_image_id gives the same id without importing"
O="$RT_TMP/ovl"
"$IMG" mount "$I/$id/rootfs" "$O/upper" "$O/work" "$O/merged"; tap_ok $? "image: overlay mounted"
mkct img '{"name":"img","rootfs":"/x","command":["/bin/sh","-c","echo from-image > /hello; rm /etc/secret; cat /hello"]}' "$O/merged"
monitor img
wait_for 10 gone img
log_has img from-image; tap_ok $? "image: a container runs from the overlay"
[ -f "$O/upper/hello" ] && [ ! -e "$I/$id/rootfs/hello" ] && [ -e "$I/$id/rootfs/etc/secret" ]
tap_ok $? "image: the container's writes land in its upper layer; the image is unchanged"
"$IMG" umount "$O/merged" && ! mountpoint -q "$O/merged"; tap_ok $? "image: overlay unmounted"
"$IMG" umount "$O/merged"; tap_ok $? "image: unmounting again is not an error"
mkdir -p "$RT_TMP/evil/in" "$RT_TMP/abs"
echo x >"$RT_TMP/evil/escape"
tar -C "$RT_TMP/evil/in" -cPf "$RT_TMP/dotdot.tar" ../escape 2>/dev/null
msg=$("$IMG" import "$I" "$RT_TMP/dotdot.tar" 2>&1); rc=$?
[ $rc = 1 ] && echo "$msg" | grep -q "'\.\.'"; tap_ok $? "image: a tarball with ../ members is refused: $msg"
ln -s /etc/passwd "$RT_TMP/abs/link"
tar -C "$RT_TMP/abs" -cf "$RT_TMP/abs.tar" .
msg=$("$IMG" import "$I" "$RT_TMP/abs.tar" 2>&1); rc=$?
[ $rc = 1 ] && echo "$msg" | grep -q "absolute symlink"; tap_ok $? "image: a tarball with an absolute symlink is refused: $msg"
[ "$(ls -A "$I")" = "$id" ]; tap_ok $? "image: refused imports leave nothing ($(ls -A "$I" | tr '\n' ' '))"
"$IMG" remove "$I" "$id" && [ ! -e "$I/$id" ]; tap_ok $? "image: removed"

# -- nothing leaked
sleep 0.5
after=$(snapshot)
[ "$after" = "$before" ]; tap_ok $? "nothing leaked: $after"
[ "$after" = "$before" ] || tap_diag "before: $before"
left=$(find "$V2/$CG" -mindepth 1 -type d 2>/dev/null | wc -l)
[ "$left" = 0 ]; tap_ok $? "no container cgroup left under $V2/$CG ($left)"
n=0
for p in /proc/[0-9]*; do
	tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q "monitor --bundle $RT_TMP" && n=$((n + 1))
done
[ "$n" = 0 ]; tap_ok $? "no monitor process left ($n)"
socks=$(find "$RT_TMP" -name '*.sock' | wc -l)
[ "$socks" = 0 ]; tap_ok $? "no socket left ($socks)"
tap_done
