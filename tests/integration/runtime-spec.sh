#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The spec corners an outside OCI conformance run found broken in
# barevirt-runtime, each with the same config.json through runc where that
# says something (crun refuses this hybrid host):
# - a seccomp allow-list as users write them (defaultAction SCMP_ACT_ERRNO,
#   only what busybox needs: no openat2, no close_range, and one without
#   getcwd), with and without noNewPrivileges, for run and exec: the
#   container runs in its working directory and a call off the list fails;
# - rootfsPropagation shared and rshared: "/" is shared inside (as runc
#   makes it); private, slave and unbindable as before;
# - linux.mountLabel: ignored where SELinux is off (this host), refused where
#   it is on; process.apparmorProfile: refused by name where AppArmor is off,
#   applied where it is on (as the `unconfined` profile);
# - no mount namespace: the container shares the runtime's, is only chrooted
#   into root.path (its root, its files), exec works, and the host's mount
#   table is exactly as before; mounts are refused by name. runc runs the
#   same config.json (in a throwaway mount namespace: it mounts on the host).
# Every refusal leaves nothing behind (mounts, cgroups, state, processes).
. "$top_srcdir/tests/lib/tap.sh"

tap_require_root
command -v jq >/dev/null || tap_skip_all "jq is not installed"
[ -x /bin/busybox ] || tap_skip_all "busybox-static is not installed"
[ -d /sys/fs/cgroup/unified ] || [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] ||
	tap_skip_all "no cgroup v2 tree"
. "$top_srcdir/tests/lib/runtime.sh"
RUNC=$(command -v runc)
cleanup() {
	[ -n "$RUNC" ] && for id in $RUNC_IDS; do "$RUNC" --root "$RT_TMP/runc" delete -f "$id" >/dev/null 2>&1; done
	rt_cleanup
}
trap cleanup EXIT INT TERM
rt_rootfs "$RT_TMP/rootfs"
# What this test could leave behind: rt_snapshot without its cgroup count (other tests' containers come and go
# host-wide), and the cgroups of this test's ids (c-rs-*) anywhere.
leftovers() {
	echo "$(rt_snapshot | sed 's/cgroups=[0-9]* //') cgroups=$(find /sys/fs/cgroup -maxdepth 4 -type d -name 'c-rs-*' 2>/dev/null | wc -l)"
}
before=$(leftovers)
RUNC_IDS=
# rootprop: the optional fields of "/" in the container's /proc/self/mountinfo, then "end".
cat >"$RT_TMP/rootfs/bin/rootprop" <<'EOS'
#!/bin/sh
awk '$5 == "/" { for (i = 7; $i != "-"; i++) printf "%s ", $i; print "end" }' /proc/self/mountinfo
EOS
chmod 755 "$RT_TMP/rootfs/bin/rootprop"

# runc_run NAME ID: the same bundle through runc, in a private mount namespace of its own (it may mount
# there); output in $RUNC_OUT.
runc_run() {
	RUNC_IDS="$RUNC_IDS $2"
	RUNC_OUT=$(cd "$RT_TMP/$1" && timeout 30 unshare -m --propagation private "$RUNC" --root "$RT_TMP/runc" run "$2" 2>&1 </dev/null)
}
# host_unchanged FILE: every line of the mount table saved in FILE is still there as it was, and nothing of ours is new.
host_unchanged() {
	grep -v -x -F -f /proc/self/mountinfo "$1" >"$RT_TMP/gone"
	[ ! -s "$RT_TMP/gone" ] && ! grep -q -F "$RT_TMP" /proc/self/mountinfo
}

# -- seccomp: an allow-list of what busybox needs (no openat2, no close_range)
BUSYBOX='["access", "arch_prctl", "brk", "clone", "close", "dup2", "execve", "exit", "exit_group", "fcntl", "fstat",
	"futex", "getcwd", "getegid", "geteuid", "getgid", "getpid", "getppid", "getrandom", "getuid", "ioctl", "mmap",
	"mprotect", "munmap", "nanosleep", "clock_nanosleep", "newfstatat", "openat", "prlimit64", "read", "readlink", "rseq",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "set_robust_list", "set_tid_address", "uname", "vfork", "wait4",
	"write", "writev"]'
# Without noNewPrivileges the filter comes before the id change (as in runc): what runc's users add for it, and
# what the runtime does up to execve (wait for start, close its fds).
CREDS='["prctl", "capget", "capset", "setgroups", "setresgid", "setresuid", "sendto", "poll", "recvfrom", "close_range"]'
seccomp_bundle() { # NAME NNP CALLS ARGS-JSON CWD
	rt_bundle "$1" ".process.noNewPrivileges = $2 | .process.cwd = \"$5\" | .process.args = $4
		| .linux.seccomp = {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86_64\"],
			\"syscalls\": [{\"names\": $3, \"action\": \"SCMP_ACT_ALLOW\"}]}"
}
SH_ARGS='["sh", "-c", "echo seccomp-ok; pwd; mkdir /tmp/d 2>/dev/null || echo mkdir-denied"]'
seccomp_bundle sc-nnp true "$BUSYBOX" "$SH_ARGS" /tmp
rt_run sc-nnp c-rs-sc-nnp
st=$?
tap_check "seccomp allow-list without openat2, noNewPrivileges: runs in its cwd, mkdir denied ($st: $(echo $RT_OUT))" \
	[ $st = 0 -a "$(echo $RT_OUT)" = "seccomp-ok /tmp mkdir-denied" ]
if [ -n "$RUNC" ]; then
	runc_run sc-nnp r-sc-nnp
	tap_diag "runc with the same config.json: $(echo $RUNC_OUT | head -c 200)"
fi
seccomp_bundle sc-nogetcwd false "$(echo "$BUSYBOX $CREDS" | jq -s -c 'add | map(select(. != "getcwd"))')" \
	'["echo", "no-getcwd-ok"]' /
rt_run sc-nogetcwd c-rs-sc-nogetcwd
st=$?
tap_check "a profile that denies getcwd (no noNewPrivileges): runs, not 'outside the container' ($st: $RT_OUT)" [ $st = 0 -a "$RT_OUT" = no-getcwd-ok ]
seccomp_bundle sc-nonnp false "$(echo "$BUSYBOX $CREDS" | jq -s -c 'add')" "$SH_ARGS" /tmp
rt_run sc-nonnp c-rs-sc-nonnp
st=$?
tap_check "the same without noNewPrivileges, with the id-change calls ($st: $(echo $RT_OUT))" \
	[ $st = 0 -a "$(echo $RT_OUT)" = "seccomp-ok /tmp mkdir-denied" ]
seccomp_bundle sc-exec true "$BUSYBOX" '["sleep", "30"]' /tmp
RT_IDS="$RT_IDS c-rs-sc-exec"
(cd "$RT_TMP/sc-exec" && rt create c-rs-sc-exec </dev/null >/dev/null 2>&1) && rt start c-rs-sc-exec
tap_ok $? "create and start with the allow-list"
out=$(rt exec --cwd /tmp c-rs-sc-exec sh -c 'echo exec-ok; pwd' 2>&1)
tap_check "exec under the allow-list runs in its cwd ($(echo $out))" [ "$(echo $out)" = "exec-ok /tmp" ]
rt delete --force c-rs-sc-exec >/dev/null 2>&1

# -- rootfsPropagation
for p in shared rshared private slave unbindable; do
	rt_bundle "prop-$p" ".linux.rootfsPropagation = \"$p\" | .process.args = [\"rootprop\"]"
	rt_run "prop-$p" "c-rs-prop-$p"
	eval "st_$p=\$? out_$p=\"\$RT_OUT\""
done
tap_check "rootfsPropagation shared: runs, '/' is shared inside ($st_shared: $out_shared)" \
	sh -c '[ "$1" = 0 ] && echo "$2" | grep -q "^shared:[0-9]* end$"' sh "$st_shared" "$out_shared"
tap_check "rootfsPropagation rshared: the same ($st_rshared: $out_rshared)" \
	sh -c '[ "$1" = 0 ] && echo "$2" | grep -q "^shared:[0-9]* end$"' sh "$st_rshared" "$out_rshared"
tap_check "private: no peer group ($st_private: $out_private)" [ "$st_private" = 0 -a "$out_private" = end ]
# (A slave of a shared host mount shows "master:N"; this host's / is private, so there may be none.)
tap_check "slave: no peer group ($st_slave: $out_slave)" \
	sh -c '[ "$1" = 0 ] && echo "$2" | grep -q "^\(master:[0-9]* \)\?end$"' sh "$st_slave" "$out_slave"
tap_check "unbindable ($st_unbindable: $out_unbindable)" [ "$st_unbindable" = 0 -a "$out_unbindable" = "unbindable end" ]
if [ -n "$RUNC" ]; then
	# runc 1.2 applies it after pivot_root too; 1.1 leaves / private.
	runc_run prop-shared r-prop-shared
	tap_diag "runc with rootfsPropagation shared: $RUNC_OUT"
fi

# -- linux.mountLabel and process.apparmorProfile against what this host enforces
selinux=no
[ -e /sys/fs/selinux/enforce ] && selinux=yes
apparmor=no
[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] && [ -e /sys/kernel/security/apparmor ] && apparmor=yes
tap_diag "this host: SELinux $selinux, AppArmor $apparmor"
rt_bundle label '.linux.mountLabel = "system_u:object_r:container_file_t:s0:c1,c2" | .process.args = ["echo", "label-ok"]'
rt_run label c-rs-label
st=$?
if [ $selinux = no ]; then
	tap_check "linux.mountLabel without SELinux: ignored, runs ($st: $RT_OUT)" [ $st = 0 -a "$RT_OUT" = label-ok ]
else
	tap_check "linux.mountLabel with SELinux: refused by name ($st: $RT_OUT)" \
		sh -c '[ "$1" != 0 ] && echo "$2" | grep -q "linux.mountLabel"' sh "$st" "$RT_OUT"
fi
if [ -n "$RUNC" ]; then
	runc_run label r-label
	tap_diag "runc with mountLabel: $RUNC_OUT"
fi
rt_bundle aa '.process.apparmorProfile = "unconfined" | .process.args = ["cat", "/proc/self/attr/current"]'
rt_run aa c-rs-aa
st=$?
if [ $apparmor = no ]; then
	tap_check "process.apparmorProfile without AppArmor: refused, naming the key ($st: $RT_OUT)" \
		sh -c '[ "$1" != 0 ] && echo "$2" | grep -q "process.apparmorProfile.*AppArmor is not enabled"' sh "$st" "$RT_OUT"
	tap_check "... and nothing is left behind" [ "$(leftovers)" = "$before" ]
	if [ -n "$RUNC" ]; then
		runc_run aa r-aa
		[ -n "$RUNC_OUT" ] && ! echo "$RUNC_OUT" | grep -q unconfined
		tap_ok $? "runc refuses it too ($(echo $RUNC_OUT | head -c 160))"
	fi
	rt_bundle aa-exec '.process.args = ["sleep", "30"]'
	RT_IDS="$RT_IDS c-rs-aa-exec"
	(cd "$RT_TMP/aa-exec" && rt create c-rs-aa-exec </dev/null >/dev/null 2>&1) && rt start c-rs-aa-exec
	out=$(rt exec --apparmor bv-profile c-rs-aa-exec true 2>&1)
	tap_check "exec --apparmor without AppArmor: refused too ($out)" sh -c 'echo "$1" | grep -q "process.apparmorProfile"' sh "$out"
	rt delete --force c-rs-aa-exec >/dev/null 2>&1
else
	tap_check "process.apparmorProfile with AppArmor: the process runs in it ($st: $RT_OUT)" [ $st = 0 -a "$RT_OUT" = unconfined ]
fi

# -- no mount namespace: the runtime's (the host's), chroot only
cp /proc/self/mountinfo "$RT_TMP/mountinfo.before"
# (runc refuses masked and read-only paths without a mount namespace: none here.)
rt_bundle nomnt '.linux.namespaces |= map(select(.type != "mount")) | .mounts = [] | del(.linux.maskedPaths, .linux.readonlyPaths)
	| .process.args = ["sh", "-c", "cat /etc/secret; ls /; echo nomnt-ok"]'
rt_run nomnt c-rs-nomnt
st=$?
tap_check "no mount namespace: runs in root.path (its files, its root: $st: $(echo $RT_OUT))" \
	sh -c '[ "$1" = 0 ] && [ "$(echo $2)" = "secret bin data dev etc proc sys tmp nomnt-ok" ]' sh "$st" "$RT_OUT"
rt_bundle nomnt-live '.linux.namespaces |= map(select(.type != "mount")) | .mounts = [] | .process.args = ["sleep", "30"]'
RT_IDS="$RT_IDS c-rs-nomnt-live"
(cd "$RT_TMP/nomnt-live" && rt create c-rs-nomnt-live </dev/null >/dev/null 2>&1) && rt start c-rs-nomnt-live
pid=$(rt state c-rs-nomnt-live | jq -r .pid)
tap_check "its process shares our mount namespace" [ "$(readlink /proc/"$pid"/ns/mnt)" = "$(readlink /proc/self/ns/mnt)" ]
tap_check "and its root is root.path" [ "$(readlink /proc/"$pid"/root)" = "$RT_TMP/rootfs" ]
out=$(rt exec c-rs-nomnt-live cat /etc/secret 2>&1)
tap_check "exec in it sees root.path ($out)" [ "$out" = secret ]
rt delete --force c-rs-nomnt-live >/dev/null 2>&1
tap_check "the host's mount table is as before ($(head -c 300 "$RT_TMP/gone"))" host_unchanged "$RT_TMP/mountinfo.before"
# Against runc: it needs a /proc in the root (it closes its fds through /proc/self/fd) and, without
# a mount namespace, mounts on the host. So both run the same config.json in a throwaway mount
# namespace, where /proc is mounted in the rootfs beforehand.
if [ -n "$RUNC" ]; then
	RUNC_IDS="$RUNC_IDS r-nomnt"
	RT_IDS="$RT_IDS c-rs-nomnt2"
	(cd "$RT_TMP/nomnt" && timeout 60 unshare -m --propagation private sh -c '
		mount -t proc proc "$1/rootfs/proc" || exit 1
		cat /proc/self/mountinfo >"$1/m0"
		"$2" --root "$1/state" run c-rs-nomnt2 >"$1/out-bv" 2>&1 </dev/null
		cat /proc/self/mountinfo >"$1/m1"
		"$3" --root "$1/runc" run r-nomnt >"$1/out-runc" 2>&1 </dev/null
		cat /proc/self/mountinfo >"$1/m2"' sh "$RT_TMP" "$RT" "$RUNC")
	want="secret bin data dev etc proc sys tmp nomnt-ok"
	tap_check "runc runs the same config.json as we do ($(echo $(cat "$RT_TMP/out-runc")))" \
		[ "$(echo $(cat "$RT_TMP/out-runc"))" = "$want" -a "$(echo $(cat "$RT_TMP/out-bv"))" = "$want" ]
	tap_check "there we leave the mount table as it was" cmp -s "$RT_TMP/m0" "$RT_TMP/m1"
	tap_diag "runc's changes to it: $(diff "$RT_TMP/m1" "$RT_TMP/m2" | grep '^[<>]' | cut -d' ' -f1,6,7 | tr '\n' ' ' | head -c 400)"
fi
rt_bundle nomnt-masked '.linux.namespaces |= map(select(.type != "mount")) | .mounts = [] | .process.args = ["echo", "masked-ok"]'
rt_run nomnt-masked c-rs-nomnt-masked
st=$?
tap_check "the default masked and read-only paths (under /proc, not mounted here): nothing to do ($st: $RT_OUT)" \
	[ $st = 0 -a "$RT_OUT" = masked-ok ]
rt_bundle nomnt-secret '.linux.namespaces |= map(select(.type != "mount")) | .mounts = [] | .linux.maskedPaths = ["/etc/secret"]
	| .process.args = ["cat", "/etc/secret"]'
rt_run nomnt-secret c-rs-nomnt-secret
st=$?
tap_check "a masked path that is there: refused by name, not left readable ($st: $RT_OUT)" \
	sh -c '[ "$1" != 0 ] && echo "$2" | grep -q "linux.maskedPaths\[0\]: masking .*/etc/secret.* needs a mount namespace"' sh "$st" "$RT_OUT"
rt_bundle nomnt-proc '.linux.namespaces |= map(select(.type != "mount"))
	| .mounts = [{"destination": "/proc", "type": "proc", "source": "proc"}] | .process.args = ["true"]'
rt_run nomnt-proc c-rs-nomnt-proc
st=$?
tap_check "no mount namespace with a mount: refused by name ($st: $RT_OUT)" \
	sh -c '[ "$1" != 0 ] && echo "$2" | grep -q "mounts\[0\]: .*/proc.* needs a mount namespace"' sh "$st" "$RT_OUT"
tap_check "the host's mount table is still as before" host_unchanged "$RT_TMP/mountinfo.before"

tap_check "nothing is left behind ($(leftovers))" [ "$(leftovers)" = "$before" ]
tap_done
