# SPDX-License-Identifier: GPL-2.0-or-later
# Private barevirtd instances for tests (POSIX sh). Each gets its own
# state dir, run dir and socket under a temp dir, so tests never touch
# /var/lib/barevirt or /run/barevirt and can run side by side.
#
#   bv_daemon_start [BAREVIRTD ARGS...]  sets BV_TMP BV_SOCKET BV_DAEMON_PID BV_DAEMON_LOG
#   bv_daemon_stop                       SIGTERM, wait (bounded), returns its exit status
#   bv_cli ARGS...                       runs barevirt --socket $BV_SOCKET ARGS
#   bv_cleanup                           kills what is left (dnsmasq too); call from a trap
#   bv_api METHOD PATH [BODY]            curl on $BV_SOCKET: prints the HTTP status, body into $BV_TMP/body
#   bv_wait_for SECONDS COMMAND...       until COMMAND succeeds (quietly), or 1 after SECONDS
#   bv_busybox_rootfs DIR                a container rootfs: busybox with every applet, /etc/passwd

: "${top_builddir:=.}"
: "${top_srcdir:=.}"
BAREVIRTD="$top_builddir/tools/barevirtd"
BAREVIRT="$top_builddir/tools/barevirt"

bv_tmpdir() {
	[ -n "$BV_TMP" ] || BV_TMP=$(mktemp -d /tmp/bvtest.XXXXXX)
	# Search-only for others, as /run is: a network's dnsmasq runs as nobody.
	chmod 0711 "$BV_TMP"
}

# bv_kill_dnsmasq: kills the dnsmasq of every network of this test's barevirtd
# (they run in their own session and outlive barevirtd, by design).
bv_kill_dnsmasq() {
	for _f in "$BV_TMP"/run/networks/*/dnsmasq.json; do
		[ -f "$_f" ] || continue
		_p=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$_f")
		[ -n "$_p" ] && grep -q dnsmasq "/proc/$_p/cmdline" 2>/dev/null && kill -KILL "$_p"
	done
}

# bv_wait_socket SOCKET TIMEOUT_S: until an HTTP request on SOCKET gets any answer.
bv_wait_socket() {
	_n=0
	while [ "$_n" -lt $(($2 * 20)) ]; do
		[ -S "$1" ] && curl -s -o /dev/null --max-time 2 --unix-socket "$1" http://x/v1/ping && return 0
		sleep 0.05
		_n=$((_n + 1))
	done
	return 1
}

bv_daemon_start() {
	bv_tmpdir
	BV_SOCKET="$BV_TMP/api.sock"
	BV_DAEMON_LOG="$BV_TMP/barevirtd.log"
	"$BAREVIRTD" --state-dir "$BV_TMP/state" --run-dir "$BV_TMP/run" --socket "$BV_SOCKET" "$@" \
		>>"$BV_DAEMON_LOG" 2>&1 &
	BV_DAEMON_PID=$!
	if ! bv_wait_socket "$BV_SOCKET" 10; then
		echo "# barevirtd did not come up; its log:"
		sed 's/^/#   /' "$BV_DAEMON_LOG"
		return 1
	fi
}

bv_daemon_stop() {
	[ -n "$BV_DAEMON_PID" ] || return 0
	kill -TERM "$BV_DAEMON_PID" 2>/dev/null
	_n=0
	while kill -0 "$BV_DAEMON_PID" 2>/dev/null && [ "$_n" -lt 100 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
	if kill -0 "$BV_DAEMON_PID" 2>/dev/null; then
		kill -KILL "$BV_DAEMON_PID"
		wait "$BV_DAEMON_PID" 2>/dev/null
		BV_DAEMON_PID=
		return 124
	fi
	wait "$BV_DAEMON_PID"
	_st=$?
	BV_DAEMON_PID=
	return $_st
}

bv_cli() {
	"$BAREVIRT" --socket "$BV_SOCKET" "$@"
}

bv_cleanup() {
	[ -n "$BV_DAEMON_PID" ] && kill -KILL "$BV_DAEMON_PID" 2>/dev/null
	[ -n "$BV_TMP" ] && bv_kill_dnsmasq
	[ -n "$BV_TMP" ] && [ -z "$BV_KEEP_TMP" ] && rm -rf "$BV_TMP"
	BV_TMP=
}

bv_api() {
	curl -s -o "$BV_TMP/body" -w '%{http_code}' --unix-socket "$BV_SOCKET" -X "$1" \
		${3:+-H 'Content-Type: application/json' --data-binary "$3"} "http://x$2"
}

bv_wait_for() {
	_t=$(($1 * 10)); shift
	while ! "$@" >/dev/null 2>&1; do
		_t=$((_t - 1)); [ $_t -gt 0 ] || return 1; sleep 0.1
	done
}

bv_busybox_rootfs() {
	mkdir -p "$1/bin" "$1/proc" "$1/sys" "$1/dev" "$1/etc" "$1/tmp" || return 1
	cp /bin/busybox "$1/bin/busybox" || return 1
	for _a in $(/bin/busybox --list); do [ "$_a" = busybox ] || ln -sf busybox "$1/bin/$_a"; done
	echo "root:x:0:0:root:/:/bin/sh" >"$1/etc/passwd"
}

# bv_ct_cleanup: what a test's containers leave when it ends: their monitors (they outlive barevirtd by
# design; TERM, then KILL) and the cgroup parent $CGP in the v2 tree and in every v1 hierarchy.
bv_ct_cleanup() {
	for _sig in TERM KILL; do
		for _m in $(cat "$BV_TMP"/run/containers/*/monitor.json 2>/dev/null | jq -r '.monitor_pid // empty' 2>/dev/null); do
			kill -"$_sig" "$_m" 2>/dev/null
		done
		[ "$_sig" = TERM ] && sleep 0.3
	done
	[ -n "$CGP" ] || return 0
	for _d in /sys/fs/cgroup/*/"$CGP" /sys/fs/cgroup/"$CGP"; do
		[ -d "$_d" ] && { rmdir "$_d"/* 2>/dev/null; rmdir "$_d" 2>/dev/null; }
	done
	return 0
}

# bv_ct_tmp: the test's tmpdir $T (755, so that containers' users can reach into it) with a busybox $ROOTFS.
bv_ct_tmp() {
	bv_tmpdir
	T=$BV_TMP
	chmod 755 "$T"
	ROOTFS=$T/rootfs
	bv_busybox_rootfs "$ROOTFS"
}
