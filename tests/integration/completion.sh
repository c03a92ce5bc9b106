#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Shell completion (tools/completion/barevirt for bash, _barevirt for zsh)
# as a user's shell runs it: commands, sub-commands and flags (from
# `barevirt --list-options`, so they follow the option tables), instance
# and network names from a private barevirtd (`list -q`), and nothing but
# a quick empty answer when barevirtd is down. zsh: its syntax, if zsh is
# installed.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"

tap_require_root
command -v bash >/dev/null || tap_skip_all "bash is not installed"
C="$top_srcdir/tools/completion"
trap bv_cleanup EXIT INT TERM
BIN=$(cd "$top_builddir/tools" && pwd)

# comp WORD...: what bash completes for the last WORD (empty: a new word) of "barevirt WORD...".
comp() {
	PATH="$BIN:$PATH" bash -c '. "$0"; COMP_WORDS=(barevirt "$@"); COMP_CWORD=$#; _barevirt; echo "${COMPREPLY[*]}"' \
		"$C/barevirt" "$@"
}
# is WANT WORD...: comp WORD... prints WANT.
is() {
	want=$1
	shift
	got=$(comp "$@")
	[ "$got" = "$want" ] && tap_ok 0 "barevirt $*<TAB>: $want" || tap_ok 1 "barevirt $*<TAB>: '$got', not '$want'"
}

is "start stop" vm st
is "list" li
is "version" vers
is "--memory" vm create --me
is "--json --quiet --all --format --project --help" list --
is "--force" delete --fo
is "create" net cr

# Down: no daemon, an empty answer, at once.
export BAREVIRT_SOCKET=/nonexistent/api.sock
t0=$(date +%s)
is "" start ""
tap_check "with barevirtd down the answer is quick" [ $(($(date +%s) - t0)) -le 3 ]

bv_daemon_start || tap_skip_all "barevirtd did not start"
export BAREVIRT_SOCKET="$BV_SOCKET"
: >"$BV_TMP/vmlinuz"
bv_cli vm create comp-one --kernel "$BV_TMP/vmlinuz" >/dev/null
bv_cli vm create comp-two --kernel "$BV_TMP/vmlinuz" >/dev/null
bv_cli net create comp-net >/dev/null 2>&1
is "comp-one comp-two" start comp
is "comp-two" vm show comp-t
is "comp-one comp-two" --socket "$BV_SOCKET" delete ""
is "" vm create comp
if bv_cli net list -q | grep -qx comp-net; then
	is "comp-net" net delete comp
	is "comp-net" vm create x --nic comp
	if bv_cli net firewall create comp-fw >/dev/null; then
		is "comp-fw" net firewall show comp
		is "comp-fw" net firewall rule add comp
		is "" net firewall create comp
		bv_cli net firewall delete comp-fw >/dev/null
	else
		tap_skip "net firewall create did not work here"
		tap_skip "net firewall create did not work here"
		tap_skip "net firewall create did not work here"
	fi
else
	tap_skip "net create did not work here ($(bv_cli net create comp-net 2>&1))"
fi
# zsh: the same answers, with compadd and _files standing in for zsh's completion system.
zcomp() {
	PATH="$BIN:$PATH" zsh -f -c 'compadd() { [[ $1 == -- ]] && shift; local w; local -a out; for w; do [[ $w == ${words[CURRENT]}* ]] && out+=($w); done; print -r -- "${out[*]}"; }; _files() { print FILES; }
		words=(barevirt "$@"); CURRENT=$#words; source "$0"' "$C/_barevirt" "$@"
}
zis() {
	want=$1
	shift
	got=$(zcomp "$@")
	[ "$got" = "$want" ] && tap_ok 0 "zsh: barevirt $*<TAB>: $want" || tap_ok 1 "zsh: barevirt $*<TAB>: '$got', not '$want'"
}
if command -v zsh >/dev/null; then
	zsh -n "$C/_barevirt"
	tap_ok $? "_barevirt is valid zsh"
	zis "start stop" vm st
	zis "--memory" vm create --me
	zis "comp-one comp-two" start comp
	BAREVIRT_SOCKET=/nonexistent/api.sock zis "comp-one comp-two" --socket "$BV_SOCKET" delete ""
	zis "FILES" vm create x --kernel ""
	bv_cli net list -q | grep -qx comp-net && zis "comp-net" vm create x --nic ""
else
	tap_skip "zsh is not installed"
fi
tap_done
