# SPDX-License-Identifier: GPL-2.0-or-later
# Test guest helpers, sourced by shell tests (POSIX sh; bash works too).
# bv_guest_build makes the tiny Debian-kernel + busybox guest with
# tools/mkguest, once per build tree: parallel tests take a lock (flock), the
# first one builds, the others wait and reuse it. It is rebuilt when
# tools/mkguest is newer than the guest, or when BV_GUEST_REBUILD=1. The
# .deb cache lives in $top_builddir/build/guest/cache unless BV_GUEST_CACHE
# names another (tools/mkguest reads it). Waits here always have a timeout.

# bv_guest_require COMMAND...: skips the whole test unless it runs as root
# (in the integration lane) with qemu-system-x86_64 and every COMMAND.
bv_guest_require() {
	tap_require_root
	tap_require_cmd qemu-system-x86_64 "$@"
}

# bv_guest_build: build (or reuse) the guest in $top_builddir/build/guest and
# set BV_GUEST_KERNEL and BV_GUEST_INITRD. Returns non-zero (with mkguest's
# messages on stderr) when it cannot be built.
bv_guest_build() {
	_bv_top=${top_builddir:-.}
	_bv_src=${top_srcdir:-.}
	_bv_dir=$_bv_top/build/guest
	mkdir -p "$_bv_dir" || return 1
	(
		flock -w 900 9 || { echo "bv_guest_build: lock timed out" >&2; exit 1; }
		if [ "${BV_GUEST_REBUILD:-0}" = 1 ] ||
		   [ ! -s "$_bv_dir/vmlinuz" ] ||
		   [ ! -s "$_bv_dir/initramfs.cpio.gz" ] ||
		   [ -n "$(find "$_bv_src/tools/mkguest" \
			-newer "$_bv_dir/initramfs.cpio.gz")" ]; then
			sh "$_bv_src/tools/mkguest" --out "$_bv_dir" >/dev/null || exit 1
		fi
	) 9>"$_bv_dir/.build.lock" || return 1
	BV_GUEST_KERNEL=$_bv_dir/vmlinuz
	BV_GUEST_INITRD=$_bv_dir/initramfs.cpio.gz
	export BV_GUEST_KERNEL BV_GUEST_INITRD
}

# bv_wait_for_line FILE PATTERN TIMEOUT_S: wait until FILE has a line
# matching the extended regex PATTERN (carriage returns of a serial console
# are ignored, so 'X$' matches). Returns 0 when found, 1 on timeout.
bv_wait_for_line() {
	_bv_end=$(($(date +%s) + $3))
	while :; do
		if [ -f "$1" ] && tr -d '\r' <"$1" | grep -Eq -- "$2"; then
			return 0
		fi
		[ "$(date +%s)" -lt "$_bv_end" ] || return 1
		sleep 0.1
	done
}

# bv_wait_pid_exit PID TIMEOUT_S: wait until process PID (a child of this
# shell or not) has exited; a zombie counts as exited. Returns 0 when it
# has, 1 on timeout. Reap a child with 'wait PID' afterwards for its status.
bv_wait_pid_exit() {
	_bv_end=$(($(date +%s) + $2))
	while :; do
		[ -e "/proc/$1" ] || return 0
		case $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) in
		Z*|X*|'') return 0 ;;
		esac
		[ "$(date +%s)" -lt "$_bv_end" ] || return 1
		sleep 0.1
	done
}

# bv_guest_adds BIN DST: prints mkguest --add arguments that put the binary
# BIN at DST in the guest, with every shared library it needs at the path
# the dynamic loader searches (the initramfs has no ld.so.cache).
bv_guest_adds() {
	printf ' --add %s:%s' "$1" "$2"
	for _bv_lib in $(ldd "$1" | awk '/=>/ { print $3 } /ld-linux/ { print $1 }'); do
		printf ' --add %s:%s' "$(readlink -f "$_bv_lib")" "$_bv_lib"
	done
}
