#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The CLI's help against its own option tables: for every command and
# sub-command that `barevirt --list-options` names (the tables the parser
# is built from), --help exits 0, shows the usage and names every long
# option with a description; the parser accepts each of them (an option
# before --help is parsed, not judged); an unknown option is a usage
# error (2); `barevirt help ...` prints the same as --help; `barevirt
# version` prints what --version prints. Needs no daemon and no root.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
. "$top_srcdir/tests/lib/tap.sh"

tap_require_lane integration
BAREVIRT=${BAREVIRT:-$top_builddir/tools/barevirt}
[ -x "$BAREVIRT" ] || tap_skip_all "$BAREVIRT not built"
T=$(mktemp -d /tmp/bv-cli-help.XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM HUP
# Nothing here may reach a daemon: a socket that does not exist.
B() { timeout 10 "$BAREVIRT" --socket "$T/none.sock" "$@" </dev/null; }

B --list-options >"$T/list"
st=$? n=$(wc -l <"$T/list")
tap_check "--list-options exits 0 and lists the commands ($n lines)" [ $st = 0 -a "$n" -gt 40 ]

# check_command WORDS OPTIONS: the checks of one command; diagnostics for what fails.
check_command() {
	words=$1 opts=$2 bad=
	# shellcheck disable=SC2086 # words is a command line
	B $words --help >"$T/help" 2>"$T/err" || bad="$bad --help-exit"
	grep -q '^usage:' "$T/help" || bad="$bad no-usage"
	for opt in $opts; do
		name=${opt%=}
		# The option's line: the flag (with its metavar), then a description.
		line=$(grep -E -- "^ +(-., )?$name( |$)" "$T/help" | head -1)
		[ -n "$line" ] || { bad="$bad missing:$name"; continue; }
		desc=$(printf '%s\n' "$line" | sed -E "s/^ +(-., )?$name( [^ ]+)? +//")
		[ -n "$desc" ] && [ "$desc" != "$line" ] || bad="$bad no-description:$name"
		[ "$name" = --help ] && continue
		# Accepted by the parser: with the option first, --help still answers.
		value=; [ "$name" != "$opt" ] && value=x
		# shellcheck disable=SC2086 # words is a command line, value one word or none
		B $words "$name" $value --help >"$T/help2" 2>&1 && cmp -s "$T/help" "$T/help2" || bad="$bad refused:$name"
	done
	# shellcheck disable=SC2086
	B $words --no-such-option >/dev/null 2>"$T/err"
	[ $? = 2 ] && grep -q "unknown option '--no-such-option'" "$T/err" || bad="$bad unknown-option-not-2"
	# shellcheck disable=SC2086
	B help $words >"$T/help3" 2>&1 && cmp -s "$T/help" "$T/help3" || bad="$bad help-differs"
	[ -z "$bad" ] || tap_diag "$words:$bad"
	[ -z "$bad" ]
}

while IFS= read -r line; do
	words=${line%%:*} opts=${line#*:}
	# The first word is the program itself.
	words=${words#barevirt}
	check_command "$words" "$opts"
	tap_ok $? "barevirt$words --help: usage and every option ($(echo "$opts" | wc -w))"
done <"$T/list"

# A command with sub-commands lists each of them with its summary.
for group in vm ct net docker podman; do
	B "$group" --help >"$T/help"
	missing=
	for sub in $(sed -n "s/^barevirt $group \([a-z]*\):.*/\1/p" "$T/list"); do
		grep -q "^  barevirt $group ${sub}[ |]" "$T/help" || missing="$missing $sub"
	done
	tap_check "barevirt $group --help lists its sub-commands${missing:+ (missing:$missing)}" [ -z "$missing" ]
done
B --help | grep -q '^  help ' && B --help | grep -q '^  version '
tap_ok $? "barevirt --help lists help and version"

out=$(B version); st=$?
tap_check "barevirt version exits 0 ($out)" [ $st = 0 ]
tap_check "... and prints what --version prints" [ "$out" = "$(B --version)" ]
case "$out" in "barevirt "[0-9]*) st=0 ;; *) st=1 ;; esac
tap_ok $st "... barevirt VERSION"
B help no-such-command >/dev/null 2>&1
tap_check "barevirt help of an unknown command exits 1" [ $? = 1 ]
B vm create --mem 64 x >/dev/null 2>&1
tap_check "an abbreviated long option is refused (2)" [ $? = 2 ]
B exec x true --help >"$T/out" 2>"$T/err"
st=$?
tap_check "exec REF CMD --help: --help is CMD's (barevirt asks the daemon: exit 1, no help)" \
	[ $st = 1 -a ! -s "$T/out" ]

# Sizes: a negative one is "must be positive" and a bad one names the flag; both are usage errors (2)
# found before any daemon call.
for words in "vm create x --memory" "ct create x --rootfs / --memory" "docker run --memory"; do
	B $words -5 busybox >/dev/null 2>"$T/err"
	st=$?
	[ $st = 2 ] && grep -q "^barevirt: --memory: '-5' must be positive$" "$T/err"
	tap_ok $? "$words -5: exit 2, \"--memory: '-5' must be positive\"" 
	B $words 5q busybox >/dev/null 2>"$T/err"
	st=$?
	[ $st = 2 ] && grep -q "^barevirt: --memory: '5q' is not a size" "$T/err"
	tap_ok $? "$words 5q: exit 2, names --memory"
done

# Range errors name the flag and the unit; suffixes as Docker reads them.
B vm create x --memory 0 >/dev/null 2>"$T/err"; st=$?
[ $st = 2 ] && grep -qx "barevirt: --memory: 0 MiB is below the minimum of 16 MiB" "$T/err"
tap_ok $? "vm create --memory 0: \"$(head -1 "$T/err")\""
B vm create x --memory 8m >/dev/null 2>"$T/err"; st=$?
[ $st = 2 ] && grep -qx "barevirt: --memory: 8 MiB is below the minimum of 16 MiB" "$T/err"
tap_ok $? "vm create --memory 8m: \"$(head -1 "$T/err")\""
B ct create x --rootfs / --memory 2 >/dev/null 2>"$T/err"; st=$?
[ $st = 2 ] && grep -qx "barevirt: --memory: 2 MiB is below the minimum of 4 MiB" "$T/err"
tap_ok $? "ct create --memory 2: \"$(head -1 "$T/err")\""
B vm create x --memory 2048G >/dev/null 2>"$T/err"; st=$?
[ $st = 2 ] && grep -qx "barevirt: --memory: '2048G' is above the maximum of 1048576 MiB" "$T/err"
tap_ok $? "vm create --memory 2048G: \"$(head -1 "$T/err")\""
B vm create x --memory 1500k >/dev/null 2>"$T/err"; st=$?
[ $st = 2 ] && grep -qx "barevirt: --memory: '1500k' is not a whole number of MiB" "$T/err"
tap_ok $? "vm create --memory 1500k: \"$(head -1 "$T/err")\""
B docker run -p 80:99999 busybox >/dev/null 2>"$T/err"; st=$?
[ $st != 0 ]; tap_ok $? "docker run with a bad -p fails"
B docker run --help >"$T/out" 2>&1; st=$?
[ $st = 0 ] && grep -q -- "-h, --hostname NAME" "$T/out" && grep -q -- "--rm " "$T/out" && grep -q -- "-p, --publish" "$T/out"
tap_ok $? "docker run --help: -h is --hostname as in docker, --rm and -p are there"

tap_done
