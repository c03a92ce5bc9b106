#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Prints "N passed, N failed, N skipped" over every TAP result of the last
# `make check` in the build tree $1 (automake's .trs files hold one
# ":test-result:" line per test case). Exits 1 when any failed or none ran.
dir=${1:-.}
find "$dir" -name '*.trs' -exec cat {} + 2>/dev/null | awk '
	/^:test-result: PASS/  { p++ }
	/^:test-result: XFAIL/ { p++ }
	/^:test-result: FAIL/  { f++ }
	/^:test-result: XPASS/ { f++ }
	/^:test-result: ERROR/ { f++ }
	/^:test-result: SKIP/  { s++ }
	END {
		printf "%d passed, %d failed, %d skipped\n", p, f, s
		exit (f > 0 || p == 0) ? 1 : 0
	}'
