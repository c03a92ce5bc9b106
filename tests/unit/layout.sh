#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The tree's house rules (issue 13), checked on the sources in $top_srcdir:
# file sizes, function lengths, the daemon's api-*.c files reached only
# through their route tables, one public header per library folder, and the
# folder's prefix on every function a library exports. One TAP check per
# rule; a failing one lists every offender as a diagnostic line. A function
# runs from a "{" at column 0 to the next "}" at column 0 and is named by
# the last line before it that starts at column 0 (its signature). Needs no
# privileges; reads only.
. "$top_srcdir/tests/lib/tap.sh"

SRC=${top_srcdir:-.}
BUILD=${top_builddir:-.}
LIBS="common qmp net vmm ctr"
[ -d "$SRC/cluster" ] && LIBS="$LIBS cluster"
[ -d "$SRC/tls" ] && LIBS="$LIBS tls"

# rule DESCRIPTION OFFENDERS: ok when OFFENDERS (one a line) is empty.
rule() {
	if [ -z "$2" ]; then
		tap_ok 0 "$1"
		return
	fi
	n=$(printf '%s\n' "$2" | wc -l | tr -d ' ')
	tap_ok 1 "$1 ($n offender$([ "$n" = 1 ] || echo s))"
	printf '%s\n' "$2" | while IFS= read -r o; do tap_diag "  $o"; done
}

# sources [DIR...]: the .c and .h files below each DIR (default: every
# folder of the tree but build trees), relative to $SRC, one a line.
sources() {
	(cd "$SRC" && {
		[ $# -gt 0 ] || set -- */
		for d; do
			d=${d%/}
			[ -d "$d" ] && [ ! -f "$d/config.status" ] &&
				find "$d" -type f \( -name '*.c' -o -name '*.h' \)
		done
	} | sort)
}

# over MAX FILE...: the files longer than MAX lines, with their length.
over() {
	max=$1; shift
	[ $# -gt 0 ] || return 0
	(cd "$SRC" && wc -l "$@" | awk -v max="$max" '$2 != "total" && $1 > max { print $2 " (" $1 " lines)" }')
}

# functions FILE...: "FILE:LINE<tab>NAME<tab>LENGTH<tab>STATIC" a function,
# LENGTH the lines between its braces, STATIC 1 for a static one.
functions() {
	[ $# -gt 0 ] || return 0
	(cd "$SRC" && awk '
		FNR == 1 { open = 0; sig = "" }
		/^[A-Za-z_]/ { sig = $0; at = FNR }
		/^\{/ && sig != "" { open = FNR; name = sig; line = at; static = sig ~ /^static/ }
		/^\}/ && open {
			gsub(/__attribute__[ \t]*\(\(([^()]|\([^()]*\))*\)\)/, "", name)
			if (match(name, /[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/))
				name = substr(name, RSTART, RLENGTH - 1)
			sub(/[ \t]+$/, "", name)
			print FILENAME ":" line "\t" name "\t" (FNR - open - 1) "\t" static
			open = 0
		}' "$@")
}

size_rule() {
	libs=$(cd "$SRC" && for d in $LIBS web; do [ -d "$d" ] && echo "$d"; done)
	# shellcheck disable=SC2046,SC2086 # word lists
	rule "no .c/.h file in tools/ over 700 lines, none in the libraries over 1000" \
		"$(over 700 $(sources tools); over 1000 $(sources $libs))"
}

function_rule() {
	# shellcheck disable=SC2046 # a word list
	rule "no C function over 120 lines" "$(functions $(sources | grep '\.c$') |
		awk -F '\t' '$3 > 120 { print $1 " " $2 "() (" $3 " lines)" }')"
}

# The handlers in tools/daemon/api-*.c are reached through the route tables
# (api_*_routes) only: no other daemon file declares or calls them.
api_rule() {
	desc="tools/daemon/api-*.c are reached through their route tables only"
	set -- "$SRC"/tools/daemon/api-*.c
	[ -f "$1" ] || { tap_skip "$desc: no tools/daemon/api-*.c"; return; }
	defs=$(cd "$SRC" && functions tools/daemon/api-*.c |
		awk -F '\t' '!$4 && $2 !~ /^api_.*_routes$/ { sub(/:.*/, "", $1); print $2 " " $1 }')
	rule "$desc" "$(cd "$SRC" && awk -v defs="$defs" '
		BEGIN { n = split(defs, w, /[ \n]/); for (i = 1; i < n; i += 2) def[w[i]] = w[i + 1] }
		{
			for (fn in def)
				if (FILENAME != def[fn] && match($0, "(^|[^A-Za-z0-9_])" fn "[ \t]*\\("))
					print FILENAME ":" FNR " uses " fn "() of " def[fn]
		}' tools/daemon/*.[ch])"
}

# FOLDER/FOLDER.h is a library's one public header; FOLDER/FOLDER-internal.h
# the only other one, included by the folder itself and by tests/ alone.
header_rule() {
	# shellcheck disable=SC2046 # a word list
	offenders=$(cd "$SRC" && for d in $LIBS; do
		[ -f "$d/$d.h" ] || echo "$d/: no public header $d/$d.h"
		[ -d "$d" ] && find "$d" -name '*.h' ! -path "$d/$d.h" ! -path "$d/$d-internal.h" |
			sort | sed "s|\$| is a header other than $d/$d.h and $d/$d-internal.h|"
	done
	grep -nE '#[[:space:]]*include[[:space:]]*"[^"]*-internal\.h"' $(sources) /dev/null |
		awk -v libs=" $LIBS " '{
			file = $0; sub(/:.*/, "", file)
			hdr = $0; sub(/^[^"]*"/, "", hdr); sub(/".*/, "", hdr)
			d = hdr; if (!sub(/\/.*/, "", d)) sub(/-internal\.h$/, "", d)
			if (index(libs, " " d " ") && index(file, d "/") != 1 && index(file, "tests/") != 1)
				print file ":" $2 " includes " hdr
		}' FS=:)
	rule "one public header per library folder; its internal header stays inside (and tests/)" "$offenders"
}

prefix_of() { case $1 in common) echo bv_ ;; *) echo "$1"_ ;; esac; }
# The archive of a library folder: tls/ builds libbvtls (not to be read as OpenSSL's libtls).
lib_of() { case $1 in tls) echo bvtls ;; *) echo "$1" ;; esac; }

prefix_rule() {
	desc="every function a library exports has its folder's prefix"
	command -v nm >/dev/null || { tap_skip "$desc: nm is not installed"; return; }
	libs=$LIBS
	[ -f "$BUILD/.libs/libbvtls.a" ] || libs=$(echo "$LIBS" | sed 's/ tls//')  # --disable-tls
	for d in $libs; do
		[ -f "$BUILD/.libs/lib$(lib_of "$d").a" ] ||
			{ tap_skip "$desc: $BUILD/.libs/lib$(lib_of "$d").a is not built"; return; }
	done
	rule "$desc" "$(for d in $libs; do
		nm -g --defined-only "$BUILD/.libs/lib$(lib_of "$d").a" |
			awk -v d="$d" -v p="$(prefix_of "$d")" '$2 ~ /^[TW]$/ && index($3, p) != 1 {
				print "lib" d ".a exports " $3 "() without " p }' | sort -u
	done)"
}

size_rule
function_rule
api_rule
header_rule
prefix_rule
tap_done
