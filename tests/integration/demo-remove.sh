#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `tools/demo --remove` without running the whole demo: the demo's
# directories moved to a temp dir (BAREVIRT_DEMO_STATE_DIR, _RUN_DIR,
# _NETNS, _LOG) and a fake barevirt under BAREVIRT_PREFIX whose `vm delete`
# fails. The remove names the failed step and exits 1; it still removes
# the imported images, the lock and probe files; once the step works, a
# second remove exits 0 with nothing left, and says what stays on purpose.
. "$top_srcdir/tests/lib/tap.sh"

tap_require_root
command -v jq >/dev/null || tap_skip_all "jq is not installed"
T=$(mktemp -d /tmp/bv-demo-remove.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
mkdir -p "$T/prefix/bin" "$T/state/images/0123456789abcdef" "$T/state/images/fedcba9876543210" \
	"$T/state/images/1111111111111111" "$T/run" "$T/state/demo-ct"
printf '0123456789abcdef\nfedcba9876543210\n' >"$T/state/demo-images"
: >"$T/run/barevirtd.lock"
: >"$T/run/host-probe.json"
# The fake barevirt: everything there, stopped; vm delete fails unless $T/fixed exists.
cat >"$T/prefix/bin/barevirt" <<EOT
#!/bin/sh
shift 2 # --socket PATH
case "\$*" in
"vm show demo-vm --json") echo '{"state":"stopped"}' ;;
"vm delete demo-vm") [ -f "$T/fixed" ] && exit 0; echo "barevirt: Failed to delete VM 'demo-vm': injected" >&2; exit 1 ;;
*) exit 0 ;;
esac
EOT
chmod +x "$T/prefix/bin/barevirt"
export BAREVIRT_PREFIX="$T/prefix" BAREVIRT_DEMO_STATE_DIR="$T/state" BAREVIRT_DEMO_RUN_DIR="$T/run" \
	BAREVIRT_DEMO_NETNS=bv-demo-remove-test-$$ BAREVIRT_DEMO_LOG="$T/barevirtd.log"

"$top_srcdir/tools/demo" --remove >"$T/out" 2>&1
st=$?
sed 's/^/# /' "$T/out"
tap_check "a failed step: --remove exits 1" [ $st = 1 ]
tap_check "it names the failed step and its error" grep -q "FAILED  stop and delete VM 'demo-vm': .*injected" "$T/out"
tap_check "it lists the failed steps at the end" grep -q "^  - stop and delete VM 'demo-vm'" "$T/out"
tap_check "it never says 'demo removed' then" sh -c "! grep -q '^demo removed' '$T/out'"
tap_check "the other steps ran: the demo's images are gone" \
	[ ! -e "$T/state/images/0123456789abcdef" -a ! -e "$T/state/images/fedcba9876543210" ]
tap_check "an image the demo did not import stays" [ -d "$T/state/images/1111111111111111" ]
tap_check "the stale lock and probe files are gone" [ ! -e "$T/run/barevirtd.lock" -a ! -e "$T/run/host-probe.json" ]
tap_check "the tarball dir is gone" [ ! -e "$T/state/demo-ct" ]
tap_check "it says what it leaves and how to remove it" \
	sh -c "grep -q 'rm -rf $T/state/guest' '$T/out' && grep -q 'rm -f $T/barevirtd.log' '$T/out'"

: >"$T/fixed"
"$top_srcdir/tools/demo" --remove >"$T/out" 2>&1
st=$?
sed 's/^/# /' "$T/out"
tap_check "once the step works, --remove exits 0 and says 'demo removed'" sh -c "[ $st = 0 ] && grep -q '^demo removed' '$T/out'"
tap_done
