# SPDX-License-Identifier: GPL-2.0-or-later
# `tools/demo --remove`, sourced by tools/demo (its variables: STATE, RUN,
# LOG, NS, NET, VM, CT, GUEST, LOCK, IMAGES, prefix; bv, daemon_pid,
# stop_daemon). Each step says what it did; a step that fails is named
# with its error, the rest still run, and demo_remove returns 1. What the
# demo leaves on purpose (the guest cache, the log, the installed
# programs) is named with the command that removes it too.

REMOVE_FAILED=
# remove_step DESCRIPTION COMMAND...: runs COMMAND, reports it.
remove_step() {
	_desc=$1
	shift
	if _out=$("$@" 2>&1); then
		echo "  ok      $_desc"
	else
		echo "  FAILED  $_desc: $(printf '%s' "$_out" | tail -3 | tr '\n' ' ')" >&2
		REMOVE_FAILED="$REMOVE_FAILED
  - $_desc"
	fi
}

# Each remove_*: done when it is not there (any more).
remove_ct() { bv ct show "$CT" >/dev/null 2>&1 || return 0; bv ct delete --force "$CT"; }
remove_vm() {
	bv vm show "$VM" >/dev/null 2>&1 || return 0
	[ "$(bv vm show "$VM" --json | jq -r .state)" != running ] || bv vm kill "$VM" >/dev/null
	bv vm delete "$VM"
}
remove_net() { bv net show "$NET" >/dev/null 2>&1 || return 0; bv net delete "$NET"; }
remove_fw() { bv net firewall show "$FW" >/dev/null 2>&1 || return 0; bv net firewall delete "$FW"; }
# The images the demo imported (each run imports busybox.tar anew), unless a container still uses one.
remove_images() {
	[ -f "$IMAGES" ] || return 0
	_rc=0
	while read -r _id; do
		case $_id in *[!0-9a-f]* | "") continue ;; esac
		if grep -rqs "\"$_id\"" "$STATE/containers"; then
			echo "image $_id is still used by a container in $STATE/containers" >&2
			_rc=1
		else
			rm -rf "${STATE:?}/images/$_id" || _rc=1
		fi
	done <"$IMAGES"
	[ $_rc = 0 ] && rm -f "$IMAGES"
	return $_rc
}
remove_daemon() {
	stop_daemon
	! daemon_pid >/dev/null || { echo "barevirtd (pid $(daemon_pid)) is still running after SIGTERM" >&2; return 1; }
	rm -f "$LOCK" "$RUN/host-probe.json"
}
remove_netns() { ! ip netns list 2>/dev/null | grep -qw "^$NS" || ip netns delete "$NS"; }

demo_remove() {
	echo "removing the demo"
	if bv host --json >/dev/null 2>&1; then
		remove_step "delete container '$CT'" remove_ct
		remove_step "stop and delete VM '$VM'" remove_vm
		remove_step "delete network '$NET'" remove_net
		remove_step "delete firewall group '$FW'" remove_fw
	elif ls "$STATE/containers/$CT"* "$STATE/vms/$VM"* "$STATE/networks/$NET"* >/dev/null 2>&1; then
		remove_step "delete '$CT', '$VM', '$NET' and '$FW' (barevirtd is not running: start it, e.g. tools/demo, then --remove again)" false
	fi
	remove_step "remove the images the demo imported ($STATE/images)" remove_images
	remove_step "remove the container's image tarball ($STATE/demo-ct)" rm -rf "$STATE/demo-ct"
	remove_step "stop barevirtd; remove its lock and probe files ($LOCK, $RUN/host-probe.json)" remove_daemon
	remove_step "delete network namespace '$NS'" remove_netns
	cat <<EOT
left on purpose:
  the guest cache $GUEST (reused by the next run; rm -rf $GUEST)
  the log $LOG (rm -f $LOG)
  barevirt installed under $prefix (make -C ${build:-build} uninstall)
EOT
	if [ -n "$REMOVE_FAILED" ]; then
		echo "demo NOT fully removed; these steps failed:$REMOVE_FAILED" >&2
		return 1
	fi
	echo "demo removed"
}
