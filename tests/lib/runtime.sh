# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for barevirt-runtime tests: a busybox rootfs, bundles made from
# `barevirt-runtime spec` edited with jq, a private --root, bounded runtime
# calls, and snapshots of what a container could leave behind (mounts,
# cgroups, state dirs, processes in other mount namespaces).
RT="$top_builddir/tools/barevirt-runtime"
RT_TMP=$(mktemp -d /tmp/bv-rt.XXXXXX) && chmod 755 "$RT_TMP"
RT_ROOT="$RT_TMP/state"
RT_IDS=""

rt() { timeout 30 "$RT" --root "$RT_ROOT" "$@"; }

rt_cleanup() {
	for id in $RT_IDS; do timeout 10 "$RT" --root "$RT_ROOT" delete --force "$id" >/dev/null 2>&1; done
	rm -rf "$RT_TMP"
}

# rt_rootfs DIR: a directory with bin/busybox and its applets as symlinks.
rt_rootfs() {
	mkdir -p "$1/bin" "$1/proc" "$1/sys" "$1/dev" "$1/etc" "$1/tmp" "$1/data"
	cp /bin/busybox "$1/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$1/bin/$a"
	done
	echo "root:x:0:0:root:/:/bin/sh" >"$1/etc/passwd"
	echo secret >"$1/etc/secret"
	mkdir -p "$1/etc/secretdir" && echo secret >"$1/etc/secretdir/file"
}

# rt_bundle NAME JQ-FILTER [ROOTFS]: $RT_TMP/NAME/config.json from the default spec
# ($tmp in the filter is $RT_TMP).
rt_bundle() {
	b="$RT_TMP/$1"
	mkdir -p "$b"
	rootfs=${3:-$RT_TMP/rootfs}
	"$RT" spec --bundle "$b" || return 1
	jq --arg root "$rootfs" --arg tmp "$RT_TMP" '.root.path = $root | .process.terminal = false | .root.readonly = false
		| .process.noNewPrivileges = false | '"$2" "$b/config.json" >"$b/config.tmp" &&
		mv "$b/config.tmp" "$b/config.json"
}

# rt_run NAME ID: runs the bundle in the foreground, output in $RT_OUT, status returned.
rt_run() {
	RT_IDS="$RT_IDS $2"
	RT_OUT=$(cd "$RT_TMP/$1" && rt run "$2" 2>&1 </dev/null)
}

# What a container may leave behind, as one line.
rt_snapshot() {
	# Scoped to what is ours: other tests may mount and make cgroups meanwhile.
	mnt=$(grep -c -e "$RT_TMP" /proc/self/mountinfo)
	v2=/sys/fs/cgroup/unified
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && v2=/sys/fs/cgroup
	# Only cgroups named like this suite's ids: other helpers' containers come and go.
	# ... in the v2 tree and in every v1 hierarchy (hybrid and v1 hosts).
	dirs="$v2/barevirt $v2/bv-test"
	for d in /sys/fs/cgroup/*; do
		[ "$(stat -f -c %T "$d" 2>/dev/null)" = cgroupfs ] && dirs="$dirs $d/barevirt $d/bv-test"
	done
	# shellcheck disable=SC2086
	# (a test run beside another sets RT_ID_PREFIX to its own ids' prefix)
	cg=$(find $dirs -mindepth 1 -maxdepth 1 -type d \( -name "${RT_ID_PREFIX:-c-}*" -o -name 'leak-*' \
		-o -name 'fail-*' \) 2>/dev/null | wc -l)
	st=$(ls "$RT_ROOT" 2>/dev/null | wc -l)
	# Processes running our rootfs's busybox (same inode), wherever they are.
	ino=$(stat -c %d:%i "$RT_TMP/rootfs/bin/busybox")
	n=0
	for p in /proc/[0-9]*; do
		[ "$(stat -L -c %d:%i "$p/exe" 2>/dev/null)" = "$ino" ] && n=$((n + 1))
	done
	echo "mounts=$mnt cgroups=$cg state=$st container-procs=$n"
}
