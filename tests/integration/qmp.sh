#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The QMP client against a real qemu-system-x86_64 (TCG). Builds the
# mkguest guest (Debian kernel + busybox initramfs, cached per build tree)
# and runs tests/integration/qmp-qemu, which speaks TAP itself. Without a
# guest, qmp-qemu tests QEMU sitting in SeaBIOS and skips the guest checks
# (a failure under BAREVIRT_TEST_STRICT=1). Needs no root.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
. "$top_srcdir/tests/lib/tap.sh"

tap_require_lane integration
command -v qemu-system-x86_64 >/dev/null 2>&1 || tap_skip_all "qemu-system-x86_64 not installed"
prog=$top_builddir/tests/integration/qmp-qemu
[ -x "$prog" ] || tap_skip_all "$prog not built"

if [ -f "$top_srcdir/tests/lib/guest.sh" ]; then
	. "$top_srcdir/tests/lib/guest.sh"
	if ! bv_guest_build 2>"${TMPDIR:-/tmp}/bv-qmp-guest.$$.err"; then
		echo "# guest build failed:"
		sed 's/^/#   /' "${TMPDIR:-/tmp}/bv-qmp-guest.$$.err" | tail -n 10
		unset BV_GUEST_KERNEL BV_GUEST_INITRD
	fi
	rm -f "${TMPDIR:-/tmp}/bv-qmp-guest.$$.err"
fi
# The whole run is bounded even if something inside hangs.
exec timeout -k 10 900 "$prog"
