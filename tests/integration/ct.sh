#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# barevirt containers through a private barevirtd running in a throwaway
# network namespace (--netns): create from a busybox directory and from a
# tarball image (overlay upper layer per container), list/show JSON, the
# lifecycle (start, stop, kill, restart, delete), recorded exit status, exec
# exit code passthrough, logs and logs -f, the console of a system container,
# NICs on a barevirt network (ping the bridge and each other), the restart
# policy with backoff, limits this hybrid host cannot enforce refused naming
# why, bad definitions changing nothing, and kill -9 of barevirtd:
# containers keep running, are re-adopted, and an exit while barevirtd was
# away is reported. Every wait is bounded.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/netns.sh"
. "$top_srcdir/tests/lib/guest.sh"

tap_require_root
for t in curl jq ip tar; do command -v $t >/dev/null || tap_skip_all "$t is not installed"; done
[ -x /bin/busybox ] || tap_skip_all "busybox-static is not installed"
[ -x "$top_builddir/tools/barevirt-runtime" ] || tap_skip_all "barevirt-runtime is not built"
grep -q overlay /proc/filesystems || modprobe overlay 2>/dev/null
grep -q overlay /proc/filesystems || tap_skip_all "no overlayfs"

cleanup() {
	for p in $(cat "$BV_TMP"/run/vms/*/qemu.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	# Monitors outlive barevirtd by design: stop what this test started (and its cgroup parent, below).
	bv_ct_cleanup
	[ -n "$BV_TMP" ] && grep -o " $BV_TMP[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
	bv_cleanup
	bv_netns_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM

bv_ct_tmp
mkdir -p "$ROOTFS/sbin" "$ROOTFS/cnt"
ln -sf ../bin/busybox "$ROOTFS/sbin/init"
printf '::sysinit:/bin/echo SYSTEM-CT-UP\n::respawn:-/bin/sh\n' >"$ROOTFS/etc/inittab"
IMAGE=$T/busybox.tar
tar -C "$ROOTFS" -cf "$IMAGE" .

NS=$(bv_netns_new ct) || tap_skip_all "cannot create a network namespace"
# Its own cgroup parent: another barevirtd (a test run beside this one) may use the same names.
CGP=bvt-${T##*.}
bv_daemon_start --netns "/run/netns/$NS" --cgroup-parent "$CGP" || tap_skip_all "barevirtd did not start"
out=$("$BAREVIRTD" --state-dir "$T/x" --run-dir "$T/x" --cgroup-parent ../x 2>&1); st=$?
tap_check "barevirtd refuses a bad --cgroup-parent ($out)" [ $st = 2 -a ! -e "$T/x" ]
C() { timeout 60 "$BAREVIRT" --socket "$BV_SOCKET" "$@"; }
api() { curl -s --max-time 30 --unix-socket "$BV_SOCKET" "$@"; }
js() { C ct show "$1" --json | jq -r "$2"; }
# wait_state NAME STATE SECONDS
wait_state() {
	_n=0
	while [ "$(js "$1" .state)" != "$2" ] && [ $_n -lt $(($3 * 10)) ]; do sleep 0.1; _n=$((_n + 1)); done
	[ "$(js "$1" .state)" = "$2" ]
}
ncts() { C ct list --json | jq length; }
nfiles() { find "$T/state" "$T/run" 2>/dev/null | wc -l; }

# ---- create, list, show ----
C ct create ctt-c1 --rootfs "$ROOTFS" --stop-timeout 2 -- /bin/sh -c 'echo hello-from-ct; trap "echo got-term; exit 0" TERM; while :; do sleep 0.1; done' >/dev/null
tap_ok $? "ct create from a directory"
out=$(C ct list --json)
tap_check "ct list --json shows it created" sh -c "echo '$out' | jq -e '.[] | select(.name==\"ctt-c1\" and .state==\"created\")' >/dev/null"
C ct show ctt-c1 --json >"$T/show.json"
tap_check "ct show --json has state, pid, limits, usage, definition" \
	jq -e 'has("state") and has("pid") and has("limits") and has("usage") and (.definition.rootfs | length > 0)' "$T/show.json"
tap_check "the definition is stored as STATE/containers/ctt-c1.json" [ -f "$T/state/containers/ctt-c1.json" ]
C ct list | head -1 | grep -q "^NAME *STATE *PID"; tap_ok $? "ct list prints a table"

# ---- start, exec, logs ----
C ct start ctt-c1 >/dev/null; tap_ok $? "ct start"
pid=$(js ctt-c1 .pid); mon=$(js ctt-c1 .monitor_pid)
tap_check "running with the host pid of its init ($pid)" [ "$(js ctt-c1 .state)" = running -a -d "/proc/$pid" ]
tap_check "the monitor ($mon) is the parent of the init" [ "$(awk '{print $4}' "/proc/$pid/stat")" = "$mon" ]
tap_check "the init is in the cgroup /$CGP/ctt-c1 (--cgroup-parent)" grep -q "/$CGP/ctt-c1$" "/proc/$pid/cgroup"
tap_check "show has live usage (cpu usec)" [ "$(js ctt-c1 '.usage.cpu_usec | type')" = number ]
out=$(C ct exec ctt-c1 -- sh -c 'echo exec-out; echo exec-err >&2; exit 7' 2>"$T/err")
st=$?
tap_check "ct exec passes the exit status through (got $st)" [ $st = 7 ]
tap_check "ct exec prints stdout and stderr" sh -c "[ '$out' = exec-out ] && grep -qx exec-err '$T/err'"
out=$(C ct exec ctt-c1 -- cat /proc/1/cmdline | tr '\0' ' ')
tap_check "exec runs inside the container's pid namespace (pid 1: $out)" sh -c "echo '$out' | grep -q '^/bin/sh -c'"
n=0; while ! C ct logs ctt-c1 | grep -q hello-from-ct && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
tap_check "ct logs shows what the container printed" sh -c "'$BAREVIRT' --socket '$BV_SOCKET' ct logs ctt-c1 | grep -qx hello-from-ct"
if command -v script >/dev/null; then
	timeout 20 script -qec "'$BAREVIRT' --socket '$BV_SOCKET' ct exec -t ctt-c1 -- sh -c 'tty; exit 6'" /dev/null \
		</dev/null >"$T/tty.out" 2>&1
	st=$?
	tap_check "ct exec -t runs on a tty ($(tr -d '\0\r' <"$T/tty.out" | tail -1)) and passes the status ($st)" \
		sh -c "[ $st = 6 ] && grep -aq /dev/pts/ '$T/tty.out'"
	timeout 20 script -qec "'$BAREVIRT' --socket '$BV_SOCKET' ct exec -t ctt-c1 -- /nonexistent" /dev/null \
		</dev/null >"$T/tty.out" 2>&1
	st=$?
	# (script(1) may echo a control character it sent at stdin's EOF, "^@", before the line)
	[ $st = 127 ] && tr -d '\0\r' <"$T/tty.out" | sed 's/\^@//g' | grep -qx "barevirt: '/nonexistent': no such file in container 'ctt-c1'"
	tap_ok $? "ct exec -t of a missing command: 127 and barevirt's line ($st, $(tr -d '\0\r' <"$T/tty.out" | tail -1))"
else
	tap_skip "ct exec -t: script(1) is not installed"
	tap_skip "ct exec -t of a missing command: script(1) is not installed"
fi
code=$(api -o /dev/null -w '%{http_code}' -X POST -d '{"cmd":["true"],"tty":true}' http://x/v1/containers/ctt-c1/exec)
tap_check "a tty exec through the API is refused with 400 (got $code)" [ "$code" = 400 ]

# ---- stop, kill, restart, exit status ----
ms() { echo $(($(date +%s%N) / 1000000)); }
start=$(ms)
C ct stop ctt-c1 >/dev/null; tap_ok $? "ct stop"
took=$(($(ms) - start))
tap_check "stopped before its 2 s stop timeout, by SIGTERM (${took} ms)" [ $took -lt 1800 ]
tap_check "state stopped, exit code 0" sh -c "[ \"\$('$BAREVIRT' --socket '$BV_SOCKET' ct show ctt-c1 --json | jq -r '.state + \" \" + (.exit_code|tostring)')\" = 'stopped 0' ]"
tap_check "the container's process is gone" [ ! -d "/proc/$pid" ]
C ct logs ctt-c1 | grep -qx got-term; tap_ok $? "the log has what it printed on SIGTERM"
C ct start ctt-c1 >/dev/null
pid1=$(js ctt-c1 .pid)
C ct restart ctt-c1 >/dev/null; tap_ok $? "ct restart"
pid2=$(js ctt-c1 .pid)
tap_check "restart gives a new init ($pid1 -> $pid2)" [ "$(js ctt-c1 .state)" = running -a "$pid1" != "$pid2" -a -d "/proc/$pid2" ]
C ct kill ctt-c1 >/dev/null; tap_ok $? "ct kill"
tap_check "killed: ended, signal 9 and exit code 137 recorded" sh -c "'$BAREVIRT' --socket '$BV_SOCKET' ct show ctt-c1 --json | jq -e '(.state == \"stopped\" or .state == \"crashed\") and .signal == 9 and .exit_code == 137' >/dev/null"
C ct create ctt-ex5 --rootfs "$ROOTFS" -- /bin/sh -c 'exit 5' >/dev/null && C ct start ctt-ex5 >/dev/null
wait_state ctt-ex5 crashed 10
tap_check "an app container exiting 5 is crashed with exit code 5" [ "$(js ctt-ex5 .exit_code)" = 5 ]
C ct create ctt-ex0 --rootfs "$ROOTFS" -- /bin/true >/dev/null && C ct start ctt-ex0 >/dev/null
wait_state ctt-ex0 stopped 10; tap_ok $? "/bin/true ends stopped (exit 0)"
head -c 1100000 /dev/zero >"$T/run/containers/ctt-ex0/monitor.log"
C ct start ctt-ex0 >/dev/null; wait_state ctt-ex0 stopped 10
tap_check "a monitor.log past 1 MiB is rotated at start" \
	[ "$(stat -c %s "$T/run/containers/ctt-ex0/monitor.log.1")" = 1100000 -a "$(stat -c %s "$T/run/containers/ctt-ex0/monitor.log")" -lt 4096 ]

# ---- delete ----
C ct start ctt-c1 >/dev/null
C ct delete ctt-c1 2>"$T/err"; st=$?
tap_check "delete of a running container is refused ($(cat "$T/err"))" [ $st != 0 -a "$(js ctt-c1 .state)" = running ]
cg=/sys/fs/cgroup/unified; [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && cg=/sys/fs/cgroup
tap_check "its cgroup exists meanwhile" [ -d "$cg/$CGP/ctt-c1" ]
C ct delete ctt-c1 --force >/dev/null; tap_ok $? "ct delete --force"
tap_check "definition, run dir and cgroup are gone" sh -c "[ ! -e '$T/state/containers/ctt-c1.json' ] && [ ! -e '$T/run/containers/ctt-c1' ] && [ ! -e '$cg/$CGP/ctt-c1' ]"
C ct delete ctt-ex5 >/dev/null && C ct delete ctt-ex0 >/dev/null; tap_ok $? "stopped containers are deleted without --force"

# ---- image: overlay per container ----
C ct create ctt-im1 --image "$IMAGE" -- /bin/sh -c 'sleep 1000' >/dev/null; tap_ok $? "ct create from an image tarball"
C ct create ctt-im2 --image "$IMAGE" -- /bin/sh -c 'sleep 1000' >/dev/null
tap_check "both use the same imported image" sh -c "[ \$(ls '$T/state/images' | wc -l) = 1 ] && [ -d '$T/state/images/$(js ctt-im1 .image_id)/rootfs/bin' ] && [ '$(js ctt-im1 .image_id)' = '$(js ctt-im2 .image_id)' ]"
C ct start ctt-im1 >/dev/null && C ct start ctt-im2 >/dev/null; tap_ok $? "both start"
C ct exec ctt-im1 -- sh -c 'echo mine > /tmp/im1-file' && C ct exec ctt-im2 -- sh -c '[ ! -e /tmp/im1-file ]'
tap_ok $? "a file written in one is not seen by the other"
tap_check "it lives in ctt-im1's upper layer, not in the image" sh -c "[ -f '$T/state/containers/ctt-im1/upper/tmp/im1-file' ] && [ ! -e '$T/state/images/$(js ctt-im1 .image_id)/rootfs/tmp/im1-file' ]"
C ct delete --force ctt-im1 >/dev/null && C ct delete --force ctt-im2 >/dev/null
tap_check "delete removes the upper layers and unmounts the overlays" sh -c "[ ! -e '$T/state/containers/ctt-im1' ] && ! grep -q '$T/run/containers/im' /proc/self/mountinfo"

# ---- networks ----
C net create ctnet0 --address 10.88.0.1/24 >/dev/null; tap_ok $? "net create ctnet0 in the namespace"
C ct create ctt-n1 --rootfs "$ROOTFS" --nic ctnet0,ip=10.88.0.2/24,gw=10.88.0.1 -- /bin/sh -c 'sleep 1000' >/dev/null &&
	C ct create ctt-n2 --rootfs "$ROOTFS" --nic ctnet0,ip=10.88.0.3/24 -- /bin/sh -c 'sleep 1000' >/dev/null
tap_ok $? "two containers with a NIC on it"
C ct start ctt-n1 >/dev/null && C ct start ctt-n2 >/dev/null; tap_ok $? "both start"
tap_check "the bridge has their two veths as ports" [ "$(ip -n "$NS" -j link show master ctnet0 | jq length)" = 2 ]
tap_check "the veths are not on the host" sh -c "! ip link show '$(js ctt-n1 '.nics[0].host_ifname')' >/dev/null 2>&1"
C ct exec ctt-n1 -- ping -c1 -W2 10.88.0.1 >/dev/null; tap_ok $? "ctt-n1 pings the bridge's address"
C ct exec ctt-n1 -- ping -c1 -W2 10.88.0.3 >/dev/null; tap_ok $? "ctt-n1 pings ctt-n2"
# Busybox 1.35's ping has no SOCK_DGRAM fallback; iputils' ping uses it when raw sockets are refused.
tap_check "ICMP echo sockets are open to every group in a container's netns, as Docker does" \
	[ "$(nsenter --net="$T/run/containers/ctt-n1/netns" cat /proc/sys/net/ipv4/ping_group_range | tr -s '\t ' ' ')" = "0 2147483647" ]
mac=$(C ct exec ctt-n1 -- cat /sys/class/net/eth0/address)
tap_check "eth0 has the stable MAC of the definition ($mac)" [ "$mac" = "$(js ctt-n1 '.nics[0].mac')" ]
C ct exec ctt-n1 -- ip route | grep -q "default via 10.88.0.1"; tap_ok $? "ctt-n1 has its default route via the gateway"
tap_check "show reports the attach time" [ "$(js ctt-n1 '.net_attach_usec | type')" = number ]
C ct stop -t 0 ctt-n2 >/dev/null
n=0; while [ "$(ip -n "$NS" -j link show master ctnet0 | jq length)" != 1 ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
tap_check "stopping ctt-n2 removes its veth" [ "$(ip -n "$NS" -j link show master ctnet0 | jq length)" = 1 ]
tap_check "and its netns file" [ ! -e "$T/run/containers/ctt-n2/netns" ]
C ct start ctt-n2 >/dev/null && C ct exec ctt-n2 -- ping -c1 -W2 10.88.0.2 >/dev/null; tap_ok $? "ctt-n2 starts again with its network"
# A VM beside them on the same network (the README demo's picture).
if command -v qemu-system-x86_64 >/dev/null && [ -c /dev/net/tun ] && bv_guest_build; then
	C vm create ctt-vm --memory 128 --kernel "$BV_GUEST_KERNEL" --initrd "$BV_GUEST_INITRD" \
		--append "console=ttyS0 quiet bv.ip=10.88.0.9/24" --nic ctnet0 --stop-timeout 5 >/dev/null &&
		C vm start ctt-vm >/dev/null
	bv_wait_for_line "$T/state/vms/ctt-vm/console.log" BAREVIRT-GUEST-UP 180
	tap_ok $? "a VM on the same network boots"
	ok=1; n=0
	while [ $n -lt 10 ]; do C ct exec ctt-n1 -- ping -c1 -W2 10.88.0.9 >/dev/null && { ok=0; break; }; n=$((n + 1)); done
	tap_ok $ok "a container pings the VM"
	C vm kill ctt-vm >/dev/null && C vm delete ctt-vm >/dev/null
	tap_ok $? "VM killed and deleted"
else
	tap_skip "a container pings a VM: no QEMU, /dev/net/tun or test guest"
fi

# ---- restart policy ----
mkdir -p "$T/cnt"
C ct create ctt-rp --rootfs "$ROOTFS" --restart on-failure --mount "$T/cnt:/cnt" -- /bin/sh -c 'echo run >> /cnt/runs; exit 1' >/dev/null
C ct start ctt-rp >/dev/null 2>&1
sleep 1.6
runs=$(wc -l <"$T/cnt/runs")
tap_check "on-failure restarts a failing container ($runs runs in 1.6 s)" [ "$runs" -ge 3 ]
tap_check "with backoff (no more than 6 runs in 1.6 s)" [ "$runs" -le 6 ]
tap_check "show counts the restarts ($(js ctt-rp .restarts))" [ "$(js ctt-rp .restarts)" -ge 2 ]
C ct stop -t 0 ctt-rp >/dev/null
wait_state ctt-rp stopped 10; tap_ok $? "stop ends the restarts"
runs=$(wc -l <"$T/cnt/runs"); sleep 1
tap_check "no run after stop" [ "$(wc -l <"$T/cnt/runs")" = "$runs" ]
C ct create ctt-rp0 --rootfs "$ROOTFS" --restart on-failure -- /bin/true >/dev/null && C ct start ctt-rp0 >/dev/null
wait_state ctt-rp0 stopped 10; tap_ok $? "on-failure does not restart a container that exits 0"

# ---- console (system container) and logs -f ----
C ct create ctt-sys1 --rootfs "$ROOTFS" --stop-timeout 10 >/dev/null && C ct start ctt-sys1 >/dev/null
tap_check "a container without command is a system container (/sbin/init, tty)" [ "$(js ctt-sys1 .definition.system)" = true ]
n=0; while ! C ct logs ctt-sys1 | grep -q SYSTEM-CT-UP && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
out=$(printf 'echo CONSOLE-$((6*7))\n' | C ct console ctt-sys1 | tr -d '\r')
tap_check "ct console reaches the shell on the console" sh -c "echo '$out' | grep -q CONSOLE-42"
start=$(date +%s)
C ct stop ctt-sys1 >/dev/null
took=$(($(date +%s) - start))
tap_check "busybox init stops on SIGPWR before the 10 s timeout (${took}s)" [ $took -lt 8 ]
C ct create ctt-lf --rootfs "$ROOTFS" -- /bin/sh -c 'i=0; while [ $i -lt 6 ]; do echo tick$i; i=$((i+1)); sleep 0.3; done' >/dev/null
C ct start ctt-lf >/dev/null
timeout 15 "$BAREVIRT" --socket "$BV_SOCKET" ct logs -f ctt-lf >"$T/follow"
st=$?
tap_check "logs -f streams until the container ends (status $st)" sh -c "[ $st = 0 ] && grep -qx tick5 '$T/follow' && grep -qx tick0 '$T/follow'"
tap_check "logs -n 2 gives the last two lines" [ "$(C ct logs -n 2 ctt-lf | tr '\n' ' ')" = "tick4 tick5 " ]

# ---- a limit this host cannot enforce (ct-limits.sh tests those it can); bad definitions ----
before=$(ncts); files=$(nfiles)
"$BAREVIRT" --socket "$BV_SOCKET" host --json >"$T/host.json"
tap_check "barevirt host says for each limit whether it works and why" \
	jq -e '.ct_limits | type == "object" and (.memory | has("supported")) and ([.[] | (.via // .reason) | length > 0] | all)' "$T/host.json"
no=$(jq -r '[.ct_limits | to_entries[] | select(.value.supported | not) | .key][0] // empty' "$T/host.json")
if [ -n "$no" ]; then
	opt=--$(echo "$no" | tr _ -)
	[ "$no" = memory_swap ] && opt="--memory 64 --memory-swap"
	# shellcheck disable=SC2086 # opt may be three words
	out=$(C ct create lim --rootfs "$ROOTFS" $opt 100 2>&1)
	st=$?
	[ $st != 0 ] && echo "$out" | grep -q "Limit '$no' cannot be enforced on this host: "
	tap_ok $? "$opt is refused, saying why ($out)"
	code=$(api -o /dev/null -w '%{http_code}' -X POST -d "{\"name\":\"lim\",\"rootfs\":\"$ROOTFS\",\"limits\":{\"memory\":64,\"$no\":100}}" http://x/v1/containers)
	tap_check "the API answers a 4xx for it ($code)" [ "$code" -ge 400 -a "$code" -lt 500 ]
else
	tap_skip "every limit works on this host"
fi
mkdir -p "$T/bad/ok"
echo x >"$T/bad/ok/f"
tar -C "$T/bad/ok" -cf "$T/dotdot.tar" --transform 's|^\./f|../escape|' ./f 2>/dev/null
ln -s /etc/passwd "$T/bad/ok/abs"
tar -C "$T/bad/ok" -cf "$T/abslink.tar" ./abs
for bad in "unknown network:--rootfs $ROOTFS --nic nosuchnet" "bad name:--rootfs $ROOTFS" \
	"missing mount source:--rootfs $ROOTFS --mount /nonexistent/x:/x" "missing rootfs:--rootfs /nonexistent" \
	"memory limit 0:--rootfs $ROOTFS --memory 0" "image with ../ paths:--image $T/dotdot.tar" \
	"idmap mount without userns:--rootfs $ROOTFS --mount $T/bad:/x:idmap" "bad mount option:--rootfs $ROOTFS --mount $T/bad:/x:rx" \
	"image with an absolute symlink:--image $T/abslink.tar" "missing image:--image $T/none.tar"; do
	what=${bad%%:*}; opts=${bad#*:}
	name=badct; [ "$what" = "bad name" ] && name='bad/name'
	# shellcheck disable=SC2086 # opts is a word list
	out=$(C ct create "$name" $opts 2>&1)
	st=$?
	tap_check "$what is refused ($out)" [ $st != 0 -a -n "$out" ]
done
out=$(api -X POST -d "{\"name\":\"badct\",\"rootfs\":\"$ROOTFS\",\"colour\":\"red\"}" http://x/v1/containers)
tap_check "an unknown key is refused with its name ($out)" sh -c "echo '$out' | grep -q colour"
tap_check "nothing was created ($before containers, $files files)" [ "$(ncts)" = "$before" -a "$(nfiles)" = "$files" ]
tap_check "no image directory left behind" [ "$(ls -A "$T/state/images" | wc -l)" = 1 ]

# ---- events ----
api -N http://x/v1/events >"$T/events" 2>/dev/null &
EV=$!
sleep 0.3
C ct create ctt-evt --rootfs "$ROOTFS" -- /bin/true >/dev/null && C ct start ctt-evt >/dev/null
wait_state ctt-evt stopped 10
sleep 0.2
kill $EV 2>/dev/null; wait $EV 2>/dev/null
tap_check "/v1/events has the container's states" sh -c "grep '\"type\": *\"container\"' '$T/events' | grep -q '\"ctt-evt\"' && grep '\"ctt-evt\"' '$T/events' | grep -q stopped"

# ---- kill -9 of barevirtd ----
C ct create ctt-late --rootfs "$ROOTFS" -- /bin/sh -c 'sleep 2; exit 4' >/dev/null && C ct start ctt-late >/dev/null
p1=$(js ctt-n1 .pid); p2=$(js ctt-n2 .pid); m1=$(js ctt-n1 .monitor_pid)
kill -9 "$BV_DAEMON_PID"; wait "$BV_DAEMON_PID" 2>/dev/null; BV_DAEMON_PID=
tap_check "kill -9 of barevirtd leaves the containers running" sh -c "kill -0 $p1 && kill -0 $p2 && kill -0 $m1"
sleep 3
bv_daemon_start --netns "/run/netns/$NS" --cgroup-parent "$CGP"; tap_ok $? "barevirtd starts again"
tap_check "ctt-n1 is re-adopted: running, same pid" [ "$(js ctt-n1 .state)" = running -a "$(js ctt-n1 .pid)" = "$p1" ]
tap_check "ctt-n2 too" [ "$(js ctt-n2 .state)" = running -a "$(js ctt-n2 .pid)" = "$p2" ]
tap_check "the exit of 'ctt-late' while barevirtd was away is reported (crashed, exit 4)" \
	[ "$(js ctt-late .state)" = crashed -a "$(js ctt-late .exit_code)" = 4 ]
tap_check "logs survive the restart of barevirtd" sh -c "'$BAREVIRT' --socket '$BV_SOCKET' ct logs ctt-lf | grep -qx tick5"
C ct exec ctt-n1 -- ping -c1 -W2 10.88.0.3 >/dev/null; tap_ok $? "the network still works"
C ct stop -t 0 ctt-n1 >/dev/null; tap_ok $? "stop works on a re-adopted container"
tap_check "ctt-n1 stopped, its init gone" [ "$(js ctt-n1 .state)" = stopped -a ! -d "/proc/$p1" ]
C ct kill ctt-n2 >/dev/null
tap_check "so does kill (ctt-n2 $(js ctt-n2 .state), signal $(js ctt-n2 .signal))" [ "$(js ctt-n2 .signal)" = 9 -a ! -d "/proc/$p2" ]

# ---- generic instance verbs ----
tap_check "barevirt list shows containers as type ct" sh -c "'$BAREVIRT' --socket '$BV_SOCKET' list --json | jq -e '.[] | select(.ref == \"ctt-lf\" and .type == \"ct\" and .state == \"stopped\")' >/dev/null"
out=$(C start ctt-lf 2>&1); tap_check "barevirt start NAME starts a container ($out)" [ "$(js ctt-lf .state)" = running ]
C logs ctt-lf | grep -q tick0; tap_ok $? "barevirt logs NAME prints its log"
C kill -s KILL ctt-lf >/dev/null 2>&1; tap_check "barevirt kill -s KILL NAME kills it" [ "$(js ctt-lf .signal)" = 9 ]

# ---- user namespace ----
mkdir -p "$T/shared" "$T/plain"
C ct create ctt-un --rootfs "$ROOTFS" --userns --mount "$T/shared:/shared:idmap" --mount "$T/plain:/plain" \
	-- /bin/sh -c 'sleep 1000' >/dev/null && C ct start ctt-un >/dev/null
tap_ok $? "a container with --userns starts"
upid=$(js ctt-un .pid)
tap_check "its root is an unprivileged host uid ($(awk '/^Uid:/ {print $2}' /proc/$upid/status 2>/dev/null))" \
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$upid/status" 2>/dev/null)" -gt 0 ]
tap_check "and uid 0 inside" [ "$(C ct exec ctt-un -- id -u)" = 0 ]
C ct create ctt-un2 --rootfs "$ROOTFS" --userns --nic ctnet0,ip=10.88.0.40/24 -- /bin/sh -c 'sleep 1000' >/dev/null &&
	C ct start ctt-un2 >/dev/null
tap_ok $? "a container with --userns and a NIC starts"
out=$(C ct exec ctt-un2 -- ip -4 addr show eth0 2>&1)
tap_check "exec into it runs in its netns: $(echo "$out" | grep -o 'inet [0-9./]*')" \
	sh -c "echo '$out' | grep -q 'inet 10.88.0.40/24'"
# Its netns belongs to its user namespace: container root has CAP_NET_RAW there and a sysfs of its own.
C ct exec ctt-un2 -- ping -c1 -W2 10.88.0.1 >/dev/null; tap_ok $? "a --userns container pings with a raw socket (its netns is its own)"
out=$(C ct exec ctt-un2 -- ls /sys/class/net | tr '\n' ' ')
tap_check "its /sys/class/net has its own interfaces only ($out)" [ "$out" = "eth0 lo " ]
tap_check "its init is in the user namespace barevirtd pinned for it" \
	[ "$(stat -L -c %i "/proc/$(js ctt-un2 .pid)/ns/user")" = "$(stat -c %i "$T/run/containers/ctt-un2/userns")" ]
# The rootfs is idmapped: host root's files are container root's, and what it writes is host root's again.
tap_check "--userns: host root's files are root's inside ($(C ct exec ctt-un -- stat -c %u:%g /bin/busybox))" \
	[ "$(C ct exec ctt-un -- stat -c %u:%g /bin/busybox)" = 0:0 ]
tap_check "--userns: show says the rootfs is idmapped" [ "$(js ctt-un .idmapped)" = true ]
C ct exec ctt-un -- sh -c 'echo un >/etc/un-file && chown 1000:1000 /etc/un-file'
tap_ok $? "--userns: container root writes to its root-owned /etc and chowns"
tap_check "the file lands in the directory as host uid 1000 ($(stat -c %u "$ROOTFS/etc/un-file" 2>&1))" \
	[ "$(stat -c %u "$ROOTFS/etc/un-file" 2>/dev/null)" = 1000 ]
rm -f "$ROOTFS/etc/un-file"
C ct exec ctt-un -- touch /shared/idm; tap_ok $? "--userns: an idmap bind mount of a root-owned host directory is writable"
tap_check "what it writes there is host root's" [ "$(stat -c %u "$T/shared/idm" 2>/dev/null)" = 0 ]
C ct exec ctt-un -- touch /plain/f 2>/dev/null
tap_check "a plain bind mount is not shifted: root's directory stays closed to it" [ $? != 0 -a ! -e "$T/plain/f" ]
ub=$(js ctt-un .definition.userns_base)
tap_check "only its root's host uid reaches its run directory: $ub does, nobody does not" sh -c \
	"setpriv --reuid $ub --regid $ub --clear-groups ls '$T/run/containers/ctt-un/rootfs/bin/busybox' >/dev/null &&
	 ! setpriv --reuid 65534 --regid 65534 --clear-groups ls '$T/run/containers/ctt-un/rootfs/bin/busybox' 2>/dev/null"
C ct create ctt-un3 --image "$IMAGE" --userns -- /bin/sh -c 'sleep 1000' >/dev/null && C ct start ctt-un3 >/dev/null
tap_ok $? "a --userns container from an image starts"
base=$(js ctt-un3 .definition.userns_base)
C ct exec ctt-un3 -- sh -c 'echo un3 >/etc/un3-file && mkdir /root-dir && touch /bin/busybox'
tap_ok $? "--userns image: container root writes /etc, / and copies up /bin/busybox"
tap_check "its files are in its upper layer as its host ids ($(stat -c %u "$T/state/containers/ctt-un3/upper/etc/un3-file" 2>&1), base $base)" \
	sh -c "[ \$(stat -c %u '$T/state/containers/ctt-un3/upper/etc/un3-file') = $base ] && [ \$(stat -c %u '$T/state/containers/ctt-un3/upper/bin/busybox') = $base ]"
tap_check "and the shared image is untouched" sh -c "[ ! -e '$T/state/images/$(js ctt-un3 .image_id)/rootfs/etc/un3-file' ] && [ \$(stat -c %u '$T/state/images/$(js ctt-un3 .image_id)/rootfs/bin/busybox') = 0 ]"
C ct stop ctt-un3 >/dev/null && C ct start ctt-un3 >/dev/null
tap_check "--userns image: its files are still its own after a restart" [ "$(C ct exec ctt-un3 -- stat -c %u /etc/un3-file)" = 0 ]
pu=$(js ctt-un2 .pid)
kill -9 "$BV_DAEMON_PID"; wait "$BV_DAEMON_PID" 2>/dev/null; BV_DAEMON_PID=
bv_daemon_start --netns "/run/netns/$NS" --cgroup-parent "$CGP"
tap_check "--userns: after kill -9 of barevirtd it is re-adopted with the same pid" [ "$(js ctt-un2 .pid)" = "$pu" ]
C ct exec ctt-un2 -- ping -c1 -W2 10.88.0.1 >/dev/null; tap_ok $? "and its network and exec still work"
C ct restart ctt-un2 >/dev/null && C ct exec ctt-un2 -- ping -c1 -W2 10.88.0.1 >/dev/null
tap_ok $? "restarted by the new barevirtd, it runs with its network again"

# ---- a network and its containers ----
C net create ctnet9 --address 10.87.0.1/24 >/dev/null
C ct create ctt-nd --rootfs "$ROOTFS" --nic ctnet9,ip=10.87.0.2/24 -- /bin/sh -c 'sleep 1000' >/dev/null && C ct start ctt-nd >/dev/null
out=$(C net delete ctnet9 2>&1); st=$?
echo "$out" | grep -q "1 running container"; tap_check "net delete is refused while a container runs on it ($out)" [ $st != 0 -a $? = 0 ]
tap_check "net show names the container of its veth" \
	[ "$(C net show ctnet9 --json | jq -r '.ports[0].container + "/" + (.ports[0].nic | tostring)')" = ctt-nd/0 ]
C ct delete --force ctt-nd >/dev/null
out=$(C net delete ctnet9 2>&1); tap_ok $? "right after the container is deleted the network deletes ($out)"

# ---- a dead monitor: the container dies with it, is crashed ("monitor died"), leaves nothing ----
C ct create ctt-md --rootfs "$ROOTFS" -- /bin/sh -c 'sleep 1000' >/dev/null && C ct start ctt-md >/dev/null
pm=$(js ctt-md .pid); mm=$(js ctt-md .monitor_pid)
kill -9 "$mm"
wait_state ctt-md crashed 5
err=$(js ctt-md .error)
tap_check "kill -9 of its monitor: the container is crashed ($err)" [ "${err#monitor died}" != "$err" ]
bv_wait_for 3 sh -c "! kill -0 $pm 2>/dev/null"
tap_ok $? "its init ($pm) died with the monitor"
tap_check "no cgroup, runtime state or pid left" [ ! -e "$cg/$CGP/ctt-md" -a ! -e "$T/run/runtime/ctt-md" -a "$(js ctt-md .pid)" = null ]
C ct start ctt-md >/dev/null; tap_check "it starts again" [ "$(js ctt-md .state)" = running ]
pm=$(js ctt-md .pid); mm=$(js ctt-md .monitor_pid)
bv_daemon_stop
kill -9 "$mm"
bv_daemon_start --netns "/run/netns/$NS" --cgroup-parent "$CGP"
err=$(js ctt-md .error)
tap_check "its monitor killed while barevirtd was away: crashed ($err)" \
	[ "$(js ctt-md .state)" = crashed -a "$err" = "monitor died while barevirtd was away" ]
bv_wait_for 3 sh -c "! kill -0 $pm 2>/dev/null"
tap_ok $? "its init ($pm) is gone"
tap_check "no cgroup or runtime state of it left ($(ls -d "$cg/$CGP/ctt-md" "$T/run/runtime/ctt-md" 2>/dev/null))" \
	[ ! -e "$cg/$CGP/ctt-md" -a ! -e "$T/run/runtime/ctt-md" ]

# ---- the end ----
for n in $(C ct list --json | jq -r '.[].name'); do C ct delete --force "$n" >/dev/null || echo "# delete $n failed"; done
tap_check "every container deleted" [ "$(ncts)" = 0 ]
tap_check "no mounts left under the test dir" sh -c "! grep -q ' $T' /proc/self/mountinfo"
left=
for n in ctt-c1 ctt-ex5 ctt-ex0 ctt-im1 ctt-im2 ctt-n1 ctt-n2 ctt-rp ctt-rp0 ctt-sys1 ctt-lf ctt-evt ctt-late ctt-un ctt-un2 ctt-un3 ctt-nd ctt-md; do [ -e "$cg/$CGP/$n" ] && left="$left $n"; done
tap_check "no container cgroup left ($left)" [ -z "$left" ]
tap_check "no veth left on the bridge" [ "$(ip -n "$NS" -j link show master ctnet0 | jq length)" = 0 ]
bv_daemon_stop; tap_ok $? "barevirtd exits cleanly"
tap_done
