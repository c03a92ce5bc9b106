#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The CLI's tables (tools/cli/table.c) as a person sees them, against
# golden files in tests/integration/golden/: `barevirt list` and `vm list`
# at COLUMNS=60 and 120 and piped (never cut), the long kernel path
# shortened from the left (`…/guest/vmlinuz`), units one way (MiB, 1 vcpu
# / 2 vcpus) in list and show, no stray text after `kernel PATH`; -q prints
# names, --format '{{.name}} {{.state}}' fields by JSON key, --format json
# the JSON, an unknown field is a usage error (2) that names it. A private
# barevirtd with two defined (never started) VMs; no QEMU needed.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"

tap_require_root
G="$top_srcdir/tests/integration/golden"
# A fixed kernel path, so the goldens do not depend on a temp dir's name.
K=/tmp/bv-cli-tables.golden/var/lib/barevirt/guest
cleanup() { bv_cleanup; rm -rf /tmp/bv-cli-tables.golden; }
trap cleanup EXIT INT TERM
mkdir -p "$K" && : >"$K/vmlinuz"
bv_daemon_start || tap_skip_all "barevirtd did not start"
bv_cli vm create tables-one --memory 128 --cpus 1 --kernel "$K/vmlinuz" >/dev/null 2>&1
bv_cli vm create tables-two-with-a-long-name --memory 256 --cpus 2 --kernel "$K/vmlinuz" \
	--append console=ttyS0 >/dev/null 2>&1
tap_check "two VMs defined" [ "$(bv_cli list -q | wc -l)" = 2 ]

# golden NAME COMMAND...: the output of COMMAND is golden/NAME.
golden() {
	name=$1
	shift
	"$@" 2>&1 | sed "s|$BV_TMP|TMP|g" >"$BV_TMP/$name"
	if diff -u "$G/$name" "$BV_TMP/$name" >"$BV_TMP/$name.diff"; then
		tap_ok 0 "$name: $* matches golden/$name"
	else
		sed 's/^/# /' "$BV_TMP/$name.diff"
		tap_ok 1 "$name: $* matches golden/$name"
	fi
}
golden list-60 env COLUMNS=60 "$BAREVIRT" --socket "$BV_SOCKET" list
golden list-120 env COLUMNS=120 "$BAREVIRT" --socket "$BV_SOCKET" list
golden list-piped env -u COLUMNS "$BAREVIRT" --socket "$BV_SOCKET" list
golden vm-list-60 env COLUMNS=60 "$BAREVIRT" --socket "$BV_SOCKET" vm list
golden list-format env COLUMNS=60 "$BAREVIRT" --socket "$BV_SOCKET" list --format '{{.name}} {{ .state }}\t{{.type}}'
golden vm-show-one bv_cli vm show tables-one
golden vm-show-two bv_cli vm show tables-two-with-a-long-name

tap_check "list -q prints the names only" [ "$(bv_cli list -q | tr '\n' ' ')" = "tables-one tables-two-with-a-long-name " ]
tap_check "vm list -q prints the names only" [ "$(bv_cli vm list -q | tr '\n' ' ')" = "tables-one tables-two-with-a-long-name " ]
tap_check "list --all shows the stopped ones too" [ "$(bv_cli list --all -q | wc -l)" = 2 ]
tap_check "list --format json is the API's JSON" sh -c "$BAREVIRT --socket $BV_SOCKET list --format json | jq -e 'length == 2' >/dev/null"
out=$(bv_cli list --format '{{.nosuch}}' 2>&1)
st=$?
case $st:$out in 2:*"no field 'nosuch'"*) ok=0 ;; *) ok=1 ;; esac
tap_ok $ok "an unknown --format field is a usage error that names it ($out)"
out=$(bv_cli list --format '{{name}}' 2>&1)
st=$?
tap_check "a field without its dot is a usage error ($out)" [ $st = 2 ]
out=$(bv_cli list -q --json 2>&1)
tap_check "-q and --json exclude each other" [ $? = 2 ]
tap_done
