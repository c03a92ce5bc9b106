#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# barevirt-runtime against crun, where crun runs: crun refuses hybrid
# cgroups, so both run inside the tiny guest (pure cgroup v2, TCG) booted
# by barevirt, through the same bench-runtime program as on the host
# (--no-pivot for both: the guest's root is an initramfs). Target: `run` of
# /bin/true at most 0.8x crun's. Prints bench-runtime's lines.
# BAREVIRT_BENCH_SMOKE=1: 3 runs each instead of 30.
: "${top_srcdir:=.}" "${top_builddir:=.}"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/guest.sh"
say() { echo "bench-runtime-guest: $*"; }
CRUN=$(command -v crun) || { say "skipped (crun is not installed: apt-get install crun)"; exit 0; }
[ "$(id -u)" = 0 ] && command -v qemu-system-x86_64 >/dev/null || { say "skipped (needs root and qemu)"; exit 0; }
trap 'for p in $(cat "$BV_TMP"/run/vms/*/qemu.pid 2>/dev/null); do kill -9 "$p"; done; bv_cleanup' EXIT INT TERM
bv_guest_build || { say "the guest could not be built"; exit 1; }
bv_tmpdir
# Under TCG every run costs ~0.1-0.5 s: 30 runs each, as on the host (3 for a smoke run).
iters=30
[ -z "${BAREVIRT_BENCH_SMOKE:-}" ] || iters=3
cat >"$BV_TMP/bench.sh" <<EOS
#!/bin/sh
cd /tmp && top_builddir=/lane BAREVIRT_BENCH_PEER=/usr/bin/crun BAREVIRT_BENCH_PEER_NAME=crun \\
	BAREVIRT_BENCH_NO_PIVOT=1 BAREVIRT_BENCH_ITERATIONS=$iters /lane/bench-runtime 2>&1 | sed 's/^/BENCH: /'
EOS
adds="$(bv_guest_adds "$top_builddir/tools/barevirt-runtime" /lane/tools/barevirt-runtime)"
adds="$adds $(bv_guest_adds "$top_builddir/tests/bench/bench-runtime" /lane/bench-runtime)"
adds="$adds $(bv_guest_adds "$CRUN" /usr/bin/crun)"
# shellcheck disable=SC2086 # adds is a word list
sh "$top_srcdir/tools/mkguest" --out "$top_builddir/build/guest-bench" --cache "$top_builddir/build/guest/cache" \
	$adds --add "$BV_TMP/bench.sh:/bench.sh" >/dev/null || { say "the bench guest could not be built"; exit 1; }
bv_daemon_start || exit 1
G=$top_builddir/build/guest-bench
bv_cli vm create bench --memory 512 --kernel "$G/vmlinuz" --initrd "$G/initramfs.cpio.gz" \
	--append "console=ttyS0 quiet bv.run=/bench.sh" >/dev/null && bv_cli vm start bench >/dev/null || exit 1
LOG=$BV_TMP/state/vms/bench/console.log
bv_wait_for_line "$LOG" 'BAREVIRT-GUEST-RUN-EXIT=' 600 || { say "timed out"; exit 1; }
tr -d '\r' <"$LOG" | sed -n 's/^BENCH: bench-runtime: /bench-runtime-guest: /p'
bv_daemon_stop
