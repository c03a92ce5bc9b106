#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The closing table of `make bench`: every figure the benchmarks recorded
# (bench_line, BAREVIRT_BENCH_RECORD) with the peer's figure beside it and
# the ratio; with BAREVIRT_BENCH_JSON=FILE the same as a JSON array of
# objects in FILE, so that two runs can be compared.
#
# Usage: bench-table.sh RECORD [BENCH...]
# Each BENCH named (a program path; its base name is the line prefix) must
# have at least one figure unless RECORD.out (the benches' output) says
# "NAME: skipped", else the table is incomplete and this fails (CI's
# bench smoke checks that, not the numbers).
record=$1
shift
if [ ! -s "$record" ]; then
	echo "bench-table: no figures were recorded in $record" >&2
	exit 1
fi
echo
echo "make bench: every figure (peer's figure and ratio beside it)"
awk -F '\t' '
	BEGIN { printf "%-14s %-42s %10s %-4s  %-28s %10s %7s  %s\n", "bench", "figure", "value", "unit", "peer", "peer", "ratio", "target" }
	{
		peer = $5 == "-" ? "" : $5
		pv = $5 == "-" ? "-" : sprintf("%.2f", $6)
		ratio = $5 == "-" ? "-" : sprintf("%.2fx", $7)
		tgt = $9 == "-" ? "" : sprintf("< %g %s", $8, $9)
		printf "%-14s %-42s %10.2f %-4s  %-28s %10s %7s  %s\n", $1, $2, $3, $4, peer, pv, ratio, tgt
	}' "$record"
if [ -n "$BAREVIRT_BENCH_JSON" ]; then
	awk -F '\t' '
		function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
		BEGIN { printf "[" }
		{
			printf "%s\n {\"bench\": %s, \"figure\": %s, \"value\": %s, \"unit\": %s", (NR > 1 ? "," : ""), q($1), q($2), $3, q($4)
			if ($5 != "-")
				printf ", \"peer\": %s, \"peer_value\": %s, \"ratio\": %s", q($5), $6, $7
			if ($9 != "-")
				printf ", \"target\": %s, \"status\": %s", $8, q($9)
			printf "}"
		}
		END { print "\n]" }' "$record" >"$BAREVIRT_BENCH_JSON" || exit 1
	echo "make bench: the same as JSON in $BAREVIRT_BENCH_JSON"
fi
st=0
for b in "$@"; do
	name=${b##*/}
	if ! cut -f1 "$record" | grep -qx "$name" && ! grep -q "^$name: skipped" "$record.out" 2>/dev/null; then
		echo "bench-table: incomplete: $name recorded no figure" >&2
		st=1
	fi
done
exit $st
