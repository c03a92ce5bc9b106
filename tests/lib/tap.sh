# SPDX-License-Identifier: GPL-2.0-or-later
# TAP for shell tests, the same conventions as tests/tap.h: the plan comes
# last (tap_done), and a skip of a whole lane is a failure when
# BAREVIRT_TEST_STRICT=1.
TAP_N=0
TAP_FAILED=0

tap_ok() { # tap_ok STATUS DESCRIPTION
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_N - $2"
	else
		echo "not ok $TAP_N - $2"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

# tap_check DESCRIPTION COMMAND...: runs COMMAND, ok when it succeeds.
tap_check() {
	desc=$1; shift
	if "$@"; then tap_ok 0 "$desc"; else tap_ok 1 "$desc"; fi
}

tap_diag() { echo "# $*"; }

tap_skip() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N # SKIP $*"
}

tap_skip_all() {
	if [ "${BAREVIRT_TEST_STRICT:-0}" = 1 ]; then
		TAP_N=$((TAP_N + 1))
		echo "not ok $TAP_N - required lane missing (BAREVIRT_TEST_STRICT=1): $*"
		echo "1..$TAP_N"
		exit 1
	fi
	echo "1..0 # SKIP $*"
	exit 0
}

# Integration tests (root) run unless BAREVIRT_TEST_LANES names other lanes
# only (e.g. "unit" for make distcheck); that is a choice, not a missing
# prerequisite, so it is a plain skip even in strict mode.
tap_require_lane() { # tap_require_lane LANE
	case " ${BAREVIRT_TEST_LANES:-integration} " in
	*" $1 "*) ;;
	*) echo "1..0 # SKIP lane '$1' not selected (BAREVIRT_TEST_LANES)"; exit 0 ;;
	esac
}

# tap_require_cmd COMMAND...: skips the whole test unless every COMMAND is
# installed.
tap_require_cmd() {
	for _tap_cmd; do
		command -v "$_tap_cmd" >/dev/null || tap_skip_all "$_tap_cmd is not installed"
	done
}

tap_require_root() {
	tap_require_lane integration
	[ "$(id -u)" = 0 ] || tap_skip_all "needs root"
}

tap_done() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
	exit $?
}
