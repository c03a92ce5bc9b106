#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# barevirt-runtime as a user of the OCI command line sees it: what a
# container sees inside (pid 1, hostname, mounts, masked paths, capabilities,
# seccomp, user namespace ownership, read-only mounts), hooks in order with
# the state on stdin, the create/start/state/kill/delete lifecycle, exec,
# the CVE defences, and bad configs refused without leaving anything behind.
. "$top_srcdir/tests/lib/tap.sh"

tap_require_root
command -v jq >/dev/null || tap_skip_all "jq is not installed"
[ -x /bin/busybox ] || tap_skip_all "busybox-static is not installed"
[ -d /sys/fs/cgroup/unified ] || [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] ||
	tap_skip_all "no cgroup v2 tree"
. "$top_srcdir/tests/lib/runtime.sh"
trap rt_cleanup EXIT INT TERM
rt_rootfs "$RT_TMP/rootfs"
before=$(rt_snapshot)

# -- inside
rt_bundle basic '.hostname = "bv-test" | .linux.maskedPaths += ["/etc/secret", "/etc/secretdir"]
	| .process.args = ["sh", "-c", "echo pid=$$; hostname; grep CapEff /proc/self/status; ls /proc/self/fd | tr \"\\n\" \" \"; echo; cat /etc/secret | wc -c; ls /etc/secretdir | wc -l"]'
exec 7</etc/hostname
rt_run basic c-basic
tap_ok $? "run succeeds"
exec 7<&-
echo "$RT_OUT" | grep -qx "pid=1"; tap_ok $? "the process is pid 1"
echo "$RT_OUT" | grep -qx "bv-test"; tap_ok $? "hostname is set"
echo "$RT_OUT" | grep -q "CapEff:.0000000020000420"; tap_ok $? "CapEff is exactly AUDIT_WRITE, KILL, NET_BIND_SERVICE"
echo "$RT_OUT" | grep -qx "0 1 2 3 "; tap_ok $? "no host fd leaks in (only stdio and ls's own)"
[ "$(echo "$RT_OUT" | sed -n 5p)" = 0 ] && [ "$(echo "$RT_OUT" | sed -n 6p)" = 0 ]
tap_ok $? "masked paths are unreadable (a file reads empty, a directory lists empty)"
tap_diag "output: $RT_OUT"

mkdir -p "$RT_TMP/host-ro" "$RT_TMP/host-rw"
echo hello >"$RT_TMP/host-ro/file"
rt_bundle mounts '.mounts += [
	{"destination": "/ro", "type": "bind", "source": ($tmp + "/host-ro"), "options": ["rbind", "ro"]},
	{"destination": "/rw", "type": "bind", "source": ($tmp + "/host-rw"), "options": ["bind"]},
	{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "noexec"]}]
	| .process.args = ["sh", "-c", "cat /ro/file; touch /ro/new && echo ro-writable; echo x > /rw/out; grep -E \" /(ro|rw|scratch) \" /proc/mounts | cut -d\" \" -f2,3,4 | cut -d, -f1"]'
rt_run mounts c-mounts
tap_ok $? "run with bind and tmpfs mounts succeeds"
echo "$RT_OUT" | grep -qx hello; tap_ok $? "the bind mount shows the host file"
! echo "$RT_OUT" | grep -q ro-writable && [ ! -e "$RT_TMP/host-ro/new" ]
tap_ok $? "a bind mount made read-only is read-only"
[ "$(cat "$RT_TMP/host-rw/out" 2>/dev/null)" = x ]; tap_ok $? "a read-write bind mount writes through to the host"
echo "$RT_OUT" | grep -qx "/ro [a-z0-9]* ro"; tap_ok $? "/ro is listed ro in /proc/mounts"
echo "$RT_OUT" | grep -qx "/scratch tmpfs rw"
tap_ok $? "the tmpfs is mounted at /scratch"
tap_diag "output: $RT_OUT"

rt_bundle caps '.process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}
	| .process.args = ["sh", "-c", "grep -E \"Cap(Eff|Bnd)\" /proc/self/status; hostname x 2>/dev/null && echo hostname-allowed"]'
rt_run caps c-caps
echo "$RT_OUT" | grep -q "CapEff:.0000000000000020" && echo "$RT_OUT" | grep -q "CapBnd:.0000000000000020"
tap_ok $? "dropped capabilities are dropped (CapEff and CapBnd = CAP_KILL only)"
! echo "$RT_OUT" | grep -q hostname-allowed; tap_ok $? "a dropped capability is refused (sethostname without CAP_SYS_ADMIN)"

rt_bundle seccomp '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
	"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}
	| .process.args = ["sh", "-c", "mkdir /tmp/x 2>&1; echo done"]'
rt_run seccomp c-seccomp
echo "$RT_OUT" | grep -q "Function not implemented"; tap_ok $? "a seccomp-denied syscall returns its errnoRet (ENOSYS)"
f=$(ls "$RT_ROOT"/.seccomp/*.bpf 2>/dev/null | head -1)
[ -n "$f" ] && [ "$(stat -c %a:%u "$f")" = 600:0 ]; tap_ok $? "the compiled filter is cached (0600, root's)"
rt_run seccomp c-seccomp2
echo "$RT_OUT" | grep -q "Function not implemented"; tap_ok $? "a second run loads the cached filter"

rt_bundle nnp-seccomp '.process.noNewPrivileges = true | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
	"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
	| .process.args = ["sh", "-c", "mkdir /tmp/y 2>&1; grep NoNewPrivs /proc/self/status"]'
rt_run nnp-seccomp c-nnp
echo "$RT_OUT" | grep -q "Operation not permitted" && echo "$RT_OUT" | grep -q "NoNewPrivs:.1"
tap_ok $? "noNewPrivileges is set and the filter applies after it"

mkdir -p "$RT_TMP/userns-data" && chmod 777 "$RT_TMP/userns-data"
rt_bundle userns '.linux.namespaces += [{"type": "user"}]
	| .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
	| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
	| .mounts += [{"destination": "/data", "type": "bind", "source": ($tmp + "/userns-data"), "options": ["rbind"]}]
	| .process.args = ["sh", "-c", "touch /data/f; id -u; cat /proc/self/uid_map"]'
rt_run userns c-userns
tap_ok $? "run in a user namespace succeeds"
[ "$(stat -c %u:%g "$RT_TMP/userns-data/f" 2>/dev/null)" = 200000:200000 ]
tap_ok $? "a file created inside shows the mapped uid/gid outside (200000)"
echo "$RT_OUT" | grep -qx 0; tap_ok $? "the process is root inside the user namespace"
tap_diag "output: $RT_OUT"

# Joining a user namespace by path: the new mount, pid, ... namespaces must belong to it.
unshare -U sleep 60 &
UNS_PID=$!
sleep 0.2
echo "0 300000 65536" >"/proc/$UNS_PID/uid_map" && echo "0 300000 65536" >"/proc/$UNS_PID/gid_map" &&
	touch "$RT_TMP/userns-pin" && mount --bind "/proc/$UNS_PID/ns/user" "$RT_TMP/userns-pin"
kill "$UNS_PID"; wait "$UNS_PID" 2>/dev/null
rm -f "$RT_TMP/userns-data/f"
rt_bundle userns-path '.linux.namespaces += [{"type": "user", "path": ($tmp + "/userns-pin")}]
	| .mounts += [{"destination": "/data", "type": "bind", "source": ($tmp + "/userns-data"), "options": ["rbind"]}]
	| .process.args = ["sh", "-c", "touch /data/f; id -u; echo $$"]'
rt_run userns-path c-userns-path
tap_ok $? "run joining a user namespace by path succeeds (mounts, pid namespace made inside it: $(echo $RT_OUT))"
[ "$(stat -c %u:%g "$RT_TMP/userns-data/f" 2>/dev/null)" = 300000:300000 ] && [ "$RT_OUT" = "0
1" ]
tap_ok $? "it is root in that namespace (host 300000) and pid 1 of its own pid namespace"
umount "$RT_TMP/userns-pin" 2>/dev/null

# Without a cgroup namespace (Docker's default on hybrid hosts) /sys/fs/cgroup is the container's own cgroup
# (on hybrid and v1 hosts: its own directory of each v1 hierarchy, memory/ for one).
cgown=/sys/fs/cgroup
[ "$(stat -f -c %T /sys/fs/cgroup/memory 2>/dev/null)" = cgroupfs ] && cgown=/sys/fs/cgroup/memory
rt_bundle cg-own '.linux.namespaces |= map(select(.type != "cgroup"))
	| .process.args = ["sh", "-c", "grep -qx 1 '$cgown'/cgroup.procs && echo own; find '$cgown' -mindepth 1 -maxdepth 1 -type d | wc -l; touch '$cgown'/x /sys/fs/cgroup/x 2>/dev/null || echo ro"]'
rt_run cg-own c-cg-own
tap_check "no cgroup namespace: $cgown is its own cgroup, read-only, no host cgroups in it ($(echo $RT_OUT))" \
	[ "$(echo $RT_OUT)" = "own 0 ro" ]

rt_bundle devices '.linux.resources.devices = [{"allow": false, "access": "rwm"}]
	| .process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"]
	| .process.capabilities.permitted += ["CAP_MKNOD"]
	| .process.args = ["sh", "-c", "echo x > /dev/null && echo null-ok; mknod /tmp/sda b 8 0 && (head -c1 /tmp/sda >/dev/null 2>&1 || echo sda-denied); rm -f /tmp/sda"]'
rt_run devices c-devices
[ "$RT_OUT" = "null-ok
sda-denied" ]; tap_ok $? "linux.resources.devices is enforced (cgroup v2 device program; defaults allowed as runc does)"
tap_diag "output: $RT_OUT"

rt_bundle rootro '.root.readonly = true | .process.args = ["sh", "-c", "touch /x 2>/dev/null && echo writable; echo done"]'
rt_run rootro c-rootro
[ "$RT_OUT" = done ]; tap_ok $? "root.readonly makes / read-only"

# -- --no-pivot, --preserve-fds, joining a namespace by path, a time namespace
rt_bundle nopivot '.process.args = ["sh", "-c", "head -1 /proc/self/mountinfo | cut -d\" \" -f5; ls /"]'
RT_OUT=$(cd "$RT_TMP/nopivot" && rt run --no-pivot c-nopivot 2>&1)
echo "$RT_OUT" | head -1 | grep -qx / && echo "$RT_OUT" | grep -qx bin; tap_ok $? "--no-pivot runs in the rootfs (MS_MOVE + chroot)"
rt_bundle preserve '.process.args = ["sh", "-c", "cat <&3"]'
echo preserved-data >"$RT_TMP/pf"
RT_OUT=$(cd "$RT_TMP/preserve" && rt run --preserve-fds 1 c-preserve 3<"$RT_TMP/pf" 2>&1)
[ "$RT_OUT" = preserved-data ]; tap_ok $? "--preserve-fds 1 passes fd 3"
if ip netns add bv-rt-test 2>/dev/null; then
	rt_bundle netns '.linux.namespaces = [.linux.namespaces[] | if .type == "network" then .path = "/run/netns/bv-rt-test" else . end]
		+ [{"type": "time"}] | .process.args = ["readlink", "/proc/self/ns/net"]'
	rt_run netns c-netns
	[ "$RT_OUT" = "net:[$(stat -L -c %i /run/netns/bv-rt-test)]" ]; tap_ok $? "a namespace path is joined (network), with a new time namespace"
	ip netns del bv-rt-test
else
	tap_skip "ip netns unavailable"
fi

# A pid namespace joined by path (another container's): the new container
# sees that container's processes; hooks (run after the clone) stay in ours.
rt_bundle pidhost '.process.args = ["sleep", "30"]'
RT_IDS="$RT_IDS c-pidhost"
(cd "$RT_TMP/pidhost" && rt run --detach c-pidhost </dev/null >/dev/null 2>&1)
hp=$(rt state c-pidhost | jq -r .pid)
rt_bundle pidjoin '.linux.namespaces = [.linux.namespaces[] | if .type == "pid" then .path = "/proc/'"$hp"'/ns/pid" else . end]
	| .process.args = ["sh", "-c", "ps -o comm | grep -c sleep"]
	| .hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "readlink /proc/self/ns/pid >'"$RT_TMP"'/hookns"]}]'
rt_run pidjoin c-pidjoin
[ "$RT_OUT" = 1 ] && [ "$(cat "$RT_TMP/hookns")" = "$(readlink /proc/self/ns/pid)" ]
tap_ok $? "a pid namespace joined by path: its processes are visible; hooks stay in the runtime's ($RT_OUT, $(cat "$RT_TMP/hookns"))"
rt delete --force c-pidhost >/dev/null 2>&1

# -- `spec` + `run` with its terminal: the pty is relayed to our own stdio
if command -v script >/dev/null; then
	rt_bundle tty '.process.terminal = true'
	RT_IDS="$RT_IDS c-tty"
	out=$(printf 'tty; echo in-tty\nexit 4\n' | (cd "$RT_TMP/tty" &&
		timeout 30 script -qc "$RT --root $RT_ROOT run c-tty; echo rc=\$?" /dev/null) | tr -d '\r')
	echo "$out" | grep -qx /dev/pts/0 && echo "$out" | grep -qx in-tty && echo "$out" | grep -qx rc=4
	tap_ok $? "run with process.terminal and no --console-socket relays the pty (exit status kept)"
else
	tap_skip "script(1) is not installed"
fi

# -- hooks, in order, with the state on stdin
mkdir -p "$RT_TMP/hooklog"
hk() { printf '{"path": "/bin/sh", "args": ["sh", "-c", "read -r s; echo \\"%s $(echo $s | %s)\\" >> %s/hooks"]}' "$1" "$2" "$3"; }
J='jq -r .id+\\\":\\\"+.status'
rt_bundle hooks "$(printf '.hooks = {"prestart": [%s], "createRuntime": [%s], "createContainer": [%s], "startContainer": [%s], "poststart": [%s], "poststop": [%s]} | .mounts += [{"destination": "/log", "type": "bind", "source": "%s", "options": ["bind"]}] | .process.args = ["sleep", "30"]' \
	"$(hk prestart "$J" "$RT_TMP/hooklog")" "$(hk createRuntime "$J" "$RT_TMP/hooklog")" \
	"$(hk createContainer "$J" "$RT_TMP/hooklog")" "$(hk startContainer "sed -e s/.*/in-container/" /log)" \
	"$(hk poststart "$J" "$RT_TMP/hooklog")" "$(hk poststop "$J" "$RT_TMP/hooklog")" "$RT_TMP/hooklog")"
RT_IDS="$RT_IDS c-hooks"
(cd "$RT_TMP/hooks" && rt create c-hooks) && rt start c-hooks && rt delete --force c-hooks
tap_ok $? "create, start and delete with all six hook kinds"
want="prestart c-hooks:creating
createRuntime c-hooks:creating
createContainer c-hooks:creating
startContainer in-container
poststart c-hooks:running
poststop c-hooks:stopped"
[ "$(cat "$RT_TMP/hooklog/hooks" 2>/dev/null)" = "$want" ]
tap_ok $? "hooks ran in order with the state (id, status) on stdin"
[ "$(cat "$RT_TMP/hooklog/hooks" 2>/dev/null)" = "$want" ] || tap_diag "hooks log: $(cat "$RT_TMP/hooklog/hooks" 2>&1)"

# -- lifecycle
rt_bundle life '.process.args = ["sleep", "30"]'
RT_IDS="$RT_IDS c-life"
(cd "$RT_TMP/life" && rt create --pid-file "$RT_TMP/life.pid" c-life)
tap_ok $? "create succeeds"
st() { rt state c-life | jq -r .status; }
[ "$(st)" = created ]; tap_ok $? "state is 'created' after create"
pid=$(rt state c-life | jq -r .pid)
[ "$pid" -gt 0 ] && [ "$(cat "$RT_TMP/life.pid")" = "$pid" ]; tap_ok $? "state pid matches --pid-file"
[ "$(rt state c-life | jq -r '.ociVersion + " " + .id + " " + .bundle')" = "1.0.2 c-life $RT_TMP/life" ]
tap_ok $? "state has ociVersion, id and bundle"
readlink /proc/$pid/exe | grep -q "^/memfd:" && ! grep -q sleep /proc/$pid/comm
tap_ok $? "the init waits before exec of the user process"
rt start c-life; tap_ok $? "start succeeds"
[ "$(st)" = running ]; tap_ok $? "state is 'running' after start"
grep -q sleep /proc/$pid/comm; tap_ok $? "the user process runs"
rt start c-life 2>/dev/null; [ $? -ne 0 ]; tap_ok $? "a second start fails"
[ "$(rt exec c-life sh -c 'echo $$; hostname')" != "" ]; tap_ok $? "exec runs a process in the container"
[ "$(rt exec c-life cat /proc/1/comm)" = sleep ]; tap_ok $? "exec sees the container's pid namespace"
rt delete c-life 2>/dev/null; [ $? -ne 0 ] && [ "$(st)" = running ]; tap_ok $? "delete without --force refuses a running container"
echo '{"args": ["sh", "-c", "id -u; echo via-process"], "cwd": "/", "user": {"uid": 5, "gid": 5}}' >"$RT_TMP/proc.json"
[ "$(rt exec --process "$RT_TMP/proc.json" c-life | tr '\n' ' ')" = "5 via-process " ]; tap_ok $? "exec --process runs a process object as its user"
rt exec --detach --pid-file "$RT_TMP/exec.pid" c-life sleep 20
epid=$(cat "$RT_TMP/exec.pid" 2>/dev/null)
sleep 0.2
[ -n "$epid" ] && grep -q sleep /proc/$epid/comm 2>/dev/null; tap_ok $? "exec --detach --pid-file: the process outlives the runtime"
rt ps --format json c-life | jq -e "index($pid)" >/dev/null; tap_ok $? "ps lists the init's pid"
rt list --format json | jq -e '.[] | select(.id == "c-life" and .status == "running")' >/dev/null; tap_ok $? "list shows it running"
rt kill --all c-life KILL; tap_ok $? "kill --all KILL succeeds"
for i in $(seq 50); do [ "$(st)" = stopped ] && break; sleep 0.1; done
[ "$(st)" = stopped ]; tap_ok $? "state is 'stopped' after kill"
rt kill c-life KILL 2>/dev/null; [ $? -ne 0 ]; tap_ok $? "kill of a stopped container fails"
rt delete c-life; tap_ok $? "delete succeeds"
rt state c-life >/dev/null 2>&1; [ $? -ne 0 ]; tap_ok $? "state fails after delete"
[ ! -e "$RT_ROOT/c-life" ] && [ ! -e /sys/fs/cgroup/unified/barevirt/c-life ]; tap_ok $? "state dir and cgroup are gone"
rt list -q | grep -q c-life; [ $? -ne 0 ]; tap_ok $? "list no longer shows it"

# -- CVE defences
rt_bundle exe '.process.args = ["sleep", "3"]'
RT_IDS="$RT_IDS c-exe"
(cd "$RT_TMP/exe" && rt run c-exe >/dev/null 2>&1) &
sleep 0.5
found=1
for rpid in $(pgrep -f -- "--root $RT_ROOT run c-exe"); do
	[ "$(cat /proc/$rpid/comm)" = timeout ] && continue
	readlink "/proc/$rpid/exe" 2>/dev/null | grep -q "^/memfd:barevirt-runtime" && found=0
done
[ $found = 0 ]
tap_ok $? "CVE-2019-5736: the runtime runs from a sealed memfd, not the binary on disk"
wait
rt_bundle cwd '.process.cwd = "/proc/self/fd/7" | .process.args = ["pwd"]'
exec 7</etc
rt_run cwd c-cwd
r=$?
exec 7<&-
[ $r -ne 0 ] && ! echo "$RT_OUT" | grep -qx /etc; tap_ok $? "CVE-2024-21626: a cwd through /proc/self/fd is refused"
rt_bundle newcwd '.process.cwd = "/new/deep/dir" | .process.args = ["sh", "-c", "pwd; touch f && echo wrote"]'
rt_run newcwd c-newcwd
[ "$RT_OUT" = "/new/deep/dir
wrote" ] && [ "$(stat -c '%a %u' "$RT_TMP/rootfs/new/deep/dir")" = "755 0" ] && [ -f "$RT_TMP/rootfs/new/deep/dir/f" ]
tap_ok $? "a missing process.cwd is created in the rootfs (0755, root), as runc does ($RT_OUT)"
ln -s /data "$RT_TMP/rootfs/inlink"
rt_bundle linkcwd '.process.cwd = "/inlink/sub" | .process.args = ["sh", "-c", "touch f; echo ok"]'
rt_run linkcwd c-linkcwd
[ -f "$RT_TMP/rootfs/data/sub/f" ] && [ ! -e /data/sub ]
tap_ok $? "a cwd through an absolute symlink is resolved inside the rootfs ($RT_OUT)"
mkdir -p "$RT_TMP/hostside"
ln -s "$RT_TMP/hostside/gone" "$RT_TMP/rootfs/escape"
rt_bundle escapecwd '.process.cwd = "/escape/sub" | .process.args = ["sh", "-c", "touch f; echo ok"]'
rt_run escapecwd c-escapecwd
r=$?
[ $r -ne 0 ] && [ -z "$(ls "$RT_TMP/hostside")" ] && echo "$RT_OUT" | grep -q "working directory '/escape/sub'"
tap_ok $? "a cwd through a symlink dangling toward a host path is refused; the host is untouched ($RT_OUT)"
touch "$RT_TMP/rootfs/afile"
rt_bundle filecwd '.process.cwd = "/afile/sub" | .process.args = ["true"]'
rt_run filecwd c-filecwd
[ $? -ne 0 ] && echo "$RT_OUT" | grep -q "working directory '/afile/sub'"; tap_ok $? "a cwd under a file is refused ($RT_OUT)"

# -- bad configs are refused and leave nothing behind
mid=$(rt_snapshot)
bad() { # bad NAME FILTER EXPECTED-MESSAGE
	rt_bundle "$1" "$2"
	rt_run "$1" "c-$1"
	r=$?
	[ $r -ne 0 ] && echo "$RT_OUT" | grep -qF -- "$3"
	tap_ok $? "refused: $1 ('$3')"
	[ $r -ne 0 ] && echo "$RT_OUT" | grep -qF -- "$3" || tap_diag "status $r, output: $RT_OUT"
	now=$(rt_snapshot)
	[ "$now" = "$mid" ] && [ ! -e "$RT_ROOT/c-$1" ]; tap_ok $? "... and nothing is left behind"
	[ "$now" = "$mid" ] || tap_diag "before: $mid, after: $now"
}
bad missing-root '.root.path = "/nonexistent/rootfs"' "root.path '/nonexistent/rootfs'"
ln -s /etc "$RT_TMP/rootfs/evil"
cp /etc/hostname "$RT_TMP/hostname.before"
bad symlink-target '.mounts += [{"destination": "/evil", "type": "tmpfs", "source": "tmpfs"}]' "Mount target '/evil' is a symlink"
cmp -s /etc/hostname "$RT_TMP/hostname.before" && ! grep -q " /etc " /proc/self/mountinfo
tap_ok $? "... and the host's /etc is untouched"
bad unknown-ns '.linux.namespaces += [{"type": "bogus"}]' "unknown namespace type 'bogus'"
bad bad-args '.process.args = ["sh", 42]' "process.args[1]: expected a string"
bad late-failure '.process.args = ["/no/such/program"]' 'exec: "/no/such/program"'
bad hook-timeout '.hooks.prestart = [{"path": "/bin/sleep", "args": ["sleep", "5"], "timeout": 1}]' "prestart hook '/bin/sleep' timed out after 1 s"
bad bad-mount-src '.mounts += [{"destination": "/x", "type": "bind", "source": "/nonexistent", "options": ["bind"]}]' "source '/nonexistent'"
if ! grep -qw memory /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null && [ -d /sys/fs/cgroup/unified ]; then
	# A v2 file by name (linux.resources.unified) on a hybrid host whose v2 tree has no memory controller.
	bad unified-memory '.linux.resources.unified = {"memory.high": "100000000"}' "cgroup controller 'memory' is not available on this host (hybrid"
fi
printf '{"ociVersion": "1.0.2", "root": {"path": "rootfs"}, ' >"$RT_TMP/truncated.json"
mkdir -p "$RT_TMP/trunc" && mv "$RT_TMP/truncated.json" "$RT_TMP/trunc/config.json"
RT_OUT=$(cd "$RT_TMP/trunc" && rt run c-trunc 2>&1)
[ $? -ne 0 ] && echo "$RT_OUT" | grep -q "config.json"; tap_ok $? "malformed JSON is refused with a position"

# -- log format for Podman/Docker
(cd "$RT_TMP/unknown-ns" && rt --log "$RT_TMP/log.json" --log-format json run c-log >/dev/null 2>&1)
jq -e 'select(.level == "error") | .msg | contains("bogus")' "$RT_TMP/log.json" >/dev/null &&
	jq -e '.time' "$RT_TMP/log.json" >/dev/null
tap_ok $? "--log --log-format json writes {level, msg, time} lines"
rt --systemd-cgroup list >/dev/null; tap_ok $? "--systemd-cgroup is accepted (a slice:prefix:name cgroupsPath is placed as systemd names it)"

after=$(rt_snapshot)
[ "$after" = "$before" ]; tap_ok $? "nothing is left behind by the whole test ($after)"
[ "$after" = "$before" ] || tap_diag "before: $before"
tap_done
