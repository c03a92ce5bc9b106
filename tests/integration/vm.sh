#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# VMs through barevirtd and `barevirt vm`, against a real QEMU (TCG) booting
# the tiny guest: create, start, console, QMP passthrough, pause/resume
# (the guest's clock-driven output stops and restarts), reboot (banner
# twice, still running), kill -9 of barevirtd and reattach, ACPI stop, a
# crash, a guest-initiated poweroff, delete, and bad definitions refused
# with nothing left behind.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/guest.sh"

bv_guest_require curl jq
cleanup() {
	[ -n "$EVENTS_PID" ] && kill "$EVENTS_PID" 2>/dev/null
	for p in $(cat "$BV_TMP"/run/vms/*/qemu.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	bv_cleanup
}
trap cleanup EXIT INT TERM
jqe() { jq -e "$@" >/dev/null; }

bv_guest_build || tap_skip_all "the test guest could not be built (tools/mkguest)"
bv_daemon_start || tap_skip_all "barevirtd did not start"
tap_ok 0 "barevirtd started"
# events_follow: stream /v1/events into $BV_TMP/events, and wait until connected (the hello line).
events_follow() {
	n0=$(grep -c '"hello"' "$BV_TMP/events" 2>/dev/null || echo 0)
	curl -s -N --unix-socket "$BV_SOCKET" http://x/v1/events >>"$BV_TMP/events" 2>/dev/null &
	EVENTS_PID=$!
	n=0; while [ "$(grep -c '"hello"' "$BV_TMP/events")" -le "$n0" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
}
events_follow
LOG=$BV_TMP/state/vms/g1/console.log
state() { bv_cli vm show "$1" --json | jq -r .state; }
count() { tr -d '\r' <"$LOG" 2>/dev/null | grep -c "$1"; }
console() { printf '%s\n' "$2" | timeout 20 "$BAREVIRT" --socket "$BV_SOCKET" vm console "$1" | tr -d '\r'; }

# -- bad definitions: refused, nothing left behind.
bad() { # bad DESCRIPTION WANTED-STATUS JSON
	st=$(curl -s -o "$BV_TMP/body" -w '%{http_code}' --unix-socket "$BV_SOCKET" -X POST \
		-H 'Content-Type: application/json' --data-binary "$3" http://x/v1/vms)
	tap_check "$1: HTTP $2 ($(jq -r .error "$BV_TMP/body" 2>/dev/null))" [ "$st" = "$2" ]
}
K=$BV_GUEST_KERNEL I=$BV_GUEST_INITRD
bad "unknown key" 400 "{\"name\":\"x\",\"kernel\":\"$K\",\"memroy\":64}"
bad "0 MiB" 400 "{\"name\":\"x\",\"kernel\":\"$K\",\"memory\":0}"
bad "missing kernel file" 404 '{"name":"x","kernel":"/nonexistent/vmlinuz"}'
bad "unknown network" 404 "{\"name\":\"x\",\"kernel\":\"$K\",\"nics\":[{\"network\":\"nonet\"}]}"
bad "bad name" 400 "{\"name\":\"../x\",\"kernel\":\"$K\"}"
bad "malformed JSON" 400 '{"name":'
tap_check "no definition, no directory left behind" [ -z "$(ls "$BV_TMP/state/vms")" ]
bv_cli vm create 'bad name' --kernel "$K" 2>"$BV_TMP/err" >/dev/null
tap_check "the CLI says why in one line" [ "$(wc -l <"$BV_TMP/err")" = 1 ]

# -- create from a definition file.
printf '{"name":"f1","memory":64,"vcpus":2,"kernel":"%s","initrd":"%s","cmdline":"console=ttyS0"}\n' "$K" "$I" >"$BV_TMP/f1.json"
bv_cli vm create --file "$BV_TMP/f1.json" >/dev/null
tap_check "vm create --file takes a definition file" jqe '.definition.vcpus == 2 and .definition.memory == 64' \
	"$(bv_cli vm show f1 --json >"$BV_TMP/f1.out"; echo "$BV_TMP/f1.out")"
bv_cli vm delete f1 >/dev/null
tap_ok $? "a stopped VM is deleted"

# -- create and start.
bv_cli vm create g1 --memory 128 --kernel "$K" --initrd "$I" --append "console=ttyS0 quiet" --stop-timeout 20 >/dev/null
tap_ok $? "vm create"
tap_check "a new VM is stopped" [ "$(state g1)" = stopped ]
bv_cli vm create g1 --kernel "$K" 2>"$BV_TMP/err" >/dev/null
tap_check "a duplicate name is refused ($(cat "$BV_TMP/err"))" [ $? -ne 0 ]
tap_check "the definition is stored" jqe '.name == "g1" and .memory == 128' "$BV_TMP/state/vms/g1.json"
bv_cli vm start g1 >/dev/null
tap_ok $? "vm start"
tap_check "start returns with the VM running" [ "$(state g1)" = running ]
pid=$(bv_cli vm show g1 --json | jq -r .pid)
tap_check "QEMU runs in its own session" [ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ]
bv_wait_for_line "$LOG" 'BAREVIRT-GUEST-UP' 90
tap_ok $? "the guest's banner appears on the console"
bv_cli vm start g1 >/dev/null 2>&1
tap_check "starting a running VM is refused" [ $? -ne 0 ]

# -- console, both through a pipe.
out=$(console g1 'echo hello-$((6*7))')
case "$out" in *hello-42*) r=0 ;; *) r=1 ;; esac
tap_ok $r "vm console with stdin from a pipe runs a command in the guest"

# -- QMP passthrough.
tap_check "vm qmp query-status" [ "$(bv_cli vm qmp g1 query-status | jq -c '{running,status}')" = '{"running":true,"status":"running"}' ]
bv_cli vm qmp g1 no-such-command 2>"$BV_TMP/err" >/dev/null
tap_check "a QMP error is passed on ($(cat "$BV_TMP/err"))" grep -q CommandNotFound "$BV_TMP/err"

# -- pause stops the guest's clock-driven output, resume restarts it.
console g1 '(while true; do echo tick; sleep 0.2; done) &' >/dev/null
sleep 1.5
bv_cli vm pause g1 >/dev/null
tap_check "pause: state paused" [ "$(state g1)" = paused ]
sleep 0.5; a=$(count tick); sleep 1.5; b=$(count tick)
tap_check "no output while paused ($a, $b ticks)" [ "$a" = "$b" ]
bv_cli vm resume g1 >/dev/null
sleep 1.5; c=$(count tick)
tap_check "output again after resume ($b, $c ticks)" [ "$c" -gt "$b" ]
tap_check "resume: state running" [ "$(state g1)" = running ]

# -- reboot: the banner twice, still running.
bv_cli vm reboot g1 >/dev/null
tap_ok $? "vm reboot"
n=0; while [ "$(count BAREVIRT-GUEST-UP)" -lt 2 ] && [ $n -lt 900 ]; do sleep 0.1; n=$((n + 1)); done
tap_check "the banner appears a second time" [ "$(count BAREVIRT-GUEST-UP)" = 2 ]
tap_check "after the reboot it is running, same QEMU" [ "$(state g1) $(bv_cli vm show g1 --json | jq -r .pid)" = "running $pid" ]

# -- kill -9 of barevirtd: QEMU lives on and is found again.
kill -9 "$BV_DAEMON_PID"; wait "$BV_DAEMON_PID" 2>/dev/null; BV_DAEMON_PID=
tap_check "QEMU survives kill -9 of barevirtd" kill -0 "$pid"
bv_daemon_start
tap_ok $? "barevirtd restarts"
tap_check "the VM is found again, running, same pid" [ "$(state g1) $(bv_cli vm show g1 --json | jq -r .pid)" = "running $pid" ]
tap_check "QMP works after the reattach" [ "$(bv_cli vm qmp g1 query-status | jq -r .status)" = running ]
out=$(console g1 'echo again-$((7*7))')
case "$out" in *again-49*) r=0 ;; *) r=1 ;; esac
tap_ok $r "the console works after the reattach"
events_follow

# -- delete of a running VM is refused; ACPI stop.
bv_cli vm delete g1 2>/dev/null
tap_check "deleting a running VM is refused" [ $? -ne 0 ]
t0=$(date +%s)
bv_cli vm stop g1 >/dev/null
tap_ok $? "vm stop"
tap_check "stopped through ACPI in $(($(date +%s) - t0)) s, before the 20 s stop timeout" [ $(($(date +%s) - t0)) -lt 20 ]
tap_check "the guest powered itself down" grep -q "Power down" "$LOG"
tap_check "state stopped" [ "$(state g1)" = stopped ]
bv_wait_pid_exit "$pid" 10
tap_ok $? "QEMU is gone"
tap_check "runtime files removed" [ ! -e "$BV_TMP/run/vms/g1/runtime.json" -a ! -e "$BV_TMP/run/vms/g1/qmp.sock" ]

# -- a guest-initiated poweroff leaves it stopped.
bv_cli vm start g1 >/dev/null
n=0; while [ "$(count BAREVIRT-GUEST-UP)" -lt 3 ] && [ $n -lt 900 ]; do sleep 0.1; n=$((n + 1)); done
console g1 'poweroff -f' >/dev/null
n=0; while [ "$(state g1)" != stopped ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
tap_check "a guest-initiated poweroff leaves it stopped" [ "$(state g1)" = stopped ]

# -- QEMU dying on its own is a crash, with its last words kept.
bv_cli vm start g1 >/dev/null
bv_cli vm qmp g1 qom-list-properties '{"typename":"colo-compare"}' >/dev/null 2>&1
n=0; while [ "$(state g1)" != crashed ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
tap_check "QEMU aborting makes the VM crashed" [ "$(state g1)" = crashed ]
tap_check "show keeps QEMU's last stderr lines ($(bv_cli vm show g1 --json | jq -r '.last_error[-1]'))" \
	jqe '.last_error | length > 0' "$(bv_cli vm show g1 --json >"$BV_TMP/show.json"; echo "$BV_TMP/show.json")"

# -- QEMU dying while barevirtd is down.
bv_cli vm start g1 >/dev/null
pid=$(bv_cli vm show g1 --json | jq -r .pid)
kill -9 "$BV_DAEMON_PID"; wait "$BV_DAEMON_PID" 2>/dev/null; BV_DAEMON_PID=
kill -9 "$pid"; sleep 0.3
bv_daemon_start
s=$(state g1)
tap_check "a VM whose QEMU died while barevirtd was down is '$s' (stopped or crashed)" [ "$s" = stopped -o "$s" = crashed ]
tap_check "its runtime files were cleaned up" [ ! -e "$BV_TMP/run/vms/g1/runtime.json" ]

# -- delete.
bv_cli vm delete g1 >/dev/null
tap_ok $? "vm delete"
tap_check "definition and directories are gone" [ ! -e "$BV_TMP/state/vms/g1.json" -a ! -e "$BV_TMP/state/vms/g1" -a ! -e "$BV_TMP/run/vms/g1" ]
bv_cli vm show g1 2>/dev/null
tap_check "vm show of a deleted VM fails" [ $? -ne 0 ]

# -- every state change was an event.
kill "$EVENTS_PID" 2>/dev/null; EVENTS_PID=
tap_diag "vm-state events: $(jq -r 'select(.type=="vm-state" and .name=="g1") | .to' "$BV_TMP/events" | tr '\n' ' ')"
tap_check "vm-state events were streamed (starting, running, paused, stopping, stopped, crashed)" \
	[ "$(jq -r 'select(.type=="vm-state" and .name=="g1") | .to' "$BV_TMP/events" | sort -u | tr '\n' ' ')" = "crashed paused running starting stopped stopping " ]
tap_check "vm-reset event on reboot" jqe -s 'map(select(.type=="vm-reset")) | length >= 1' "$BV_TMP/events"
bv_daemon_stop
tap_done
