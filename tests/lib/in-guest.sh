# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the scripts that run inside the guest-lane VM
# (tests/guest/in-guest*.sh; tests/guest/lane.sh puts this file at
# /lane-lib.sh). Each check prints one "LANE: ok|not ok ID - DESCRIPTION"
# line on the console, which the host side turns into TAP; ID is
# $LANE_ID (empty, or a prefix that keeps two scripts' numbers apart) and a
# count, lane_n.
lane_n=0

# lane_check DESCRIPTION COMMAND...: runs COMMAND, ok when it succeeds.
lane_check() {
	_lane_d=$1; shift
	lane_n=$((lane_n + 1))
	if "$@"; then echo "LANE: ok $LANE_ID$lane_n - $_lane_d"; else echo "LANE: not ok $LANE_ID$lane_n - $_lane_d"; fi
}
