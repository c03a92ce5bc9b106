#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# barevirt against the engines' own CLIs, in one run, on private engines
# (tests/lib/engines.sh):
# - listing N engine containers (100; 5 for a smoke run): `barevirt list
#   --json` against `docker ps -a --format json` and `podman ps -a --format
#   json`, alternating, median of R rounds; barevirt talks to one engine at a
#   time (a barevirtd per engine) so both sides list the same containers.
#   Target: at most 0.5x each CLI's time.
# - the events stream: M container starts and stops (1,000; 10 for a smoke
#   run) done through the engine's API by W parallel workers, counted on
#   /v1/events (ENGINE-start and ENGINE-die for the bench's containers)
#   against the calls that succeeded. Target: none lost.
# BAREVIRT_BENCH_EVENTS_ENGINES picks the engines for the events part
# (default "docker podman"); BAREVIRT_BENCH_ENGINES_N and _M override N and M.
: "${top_srcdir:=.}" "${top_builddir:=.}"
say() { echo "bench-engines: $*"; }
[ "$(id -u)" = 0 ] || { say "skipped (needs root)"; exit 0; }
for c in podman runc jq curl; do command -v $c >/dev/null || { say "skipped ($c is not installed)"; exit 0; }; done
. "$top_srcdir/tests/lib/daemon.sh"
bv_tmpdir
. "$top_srcdir/tests/lib/engines.sh"
N=100 R=5 M=1000 W=4
[ -z "${BAREVIRT_BENCH_SMOKE:-}" ] || { N=5 R=2 M=10 W=2; }
N=${BAREVIRT_BENCH_ENGINES_N:-$N} M=${BAREVIRT_BENCH_ENGINES_M:-$M}
EV_ENGINES=${BAREVIRT_BENCH_EVENTS_ENGINES:-docker podman}
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $(cat "$BV_TMP"/bvd-*.pid 2>/dev/null); do kill "$p" 2>/dev/null; done
	eng_cleanup
	bv_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# time_ms CMD...: wall time of CMD in ms (output discarded).
time_ms() { _t0=$(date +%s%N); "$@" >/dev/null 2>&1; echo $((($(date +%s%N) - _t0) / 1000000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# bvd_start ENGINE SOCKET: a barevirtd that knows only this engine; sets SOCK_<ENGINE>.
bvd_start() {
	_d="$BV_TMP/bvd-$1"
	mkdir -p "$_d"
	if [ "$1" = docker ]; then set -- --docker-socket "$2" --podman-socket "$_d/none.sock"
	else set -- --podman-socket "$2" --docker-socket "$_d/none.sock"; fi
	"$BAREVIRTD" --state-dir "$_d/state" --run-dir "$_d/run" --socket "$_d/api.sock" "$@" >"$_d/log" 2>&1 &
	echo $! >"$_d.pid"
	bv_wait_socket "$_d/api.sock" 10
}

# create ENGINE SOCKET NAME: a container running `sleep` (not started), through the API.
create() {
	curl -sf --max-time 60 --unix-socket "$2" -H 'Content-Type: application/json' \
		-d '{"Image": "bvbusybox", "Cmd": ["/bin/sleep", "1000"], "HostConfig": {"NetworkMode": "none"}}' \
		"http://x/v1.40/containers/create?name=$3" >/dev/null
}

eng_podman_start || { say "skipped (podman did not start)"; exit 0; }
ENGINES=podman
if eng_docker_start; then ENGINES="docker podman"; else say "docker: not benchmarked (dockerd did not start)"; fi
sock_of() { [ "$1" = docker ] && echo "$DSOCK" || echo "$PSOCK"; }

# ---- listing ----
for e in $ENGINES; do
	s=$(sock_of $e)
	t0=$(now_ms)
	i=0
	while [ $i -lt $N ]; do create $e "$s" "bl$i" || { say "$e: create failed"; exit 1; }; i=$((i + 1)); done
	say "$e: created $N containers in $(($(now_ms) - t0)) ms"
	bvd_start $e "$s" || { say "barevirtd did not start"; exit 1; }
	B="$BV_TMP/bvd-$e/api.sock"
	n=$("$BAREVIRT" --socket "$B" list --json | jq "map(select(.type == \"$e\")) | length")
	[ "$n" -ge "$N" ] || { say "$e: barevirt lists $n of $N"; exit 1; }
	if [ $e = docker ]; then peer="docker -H unix://$DSOCK ps -a --format json"; else peer="podman $PF ps -a --format json"; fi
	pn=$($peer 2>/dev/null | grep -c '"')
	[ "$pn" -ge 1 ] || { say "$e: its CLI lists nothing"; exit 1; }
	# warm both once
	"$BAREVIRT" --socket "$B" list --json >/dev/null; $peer >/dev/null 2>&1
	: >"$BV_TMP/t-bv"; : >"$BV_TMP/t-peer"
	r=0
	while [ $r -lt $R ]; do
		time_ms "$BAREVIRT" --socket "$B" list --json >>"$BV_TMP/t-bv"
		time_ms $peer >>"$BV_TMP/t-peer"
		r=$((r + 1))
	done
	bv=$(median <"$BV_TMP/t-bv"); pv=$(median <"$BV_TMP/t-peer")
	ratio=$(awk -v a="$bv" -v b="$pv" 'BEGIN { printf "%.2f", a / b }')
	verdict=$(awk -v x="$ratio" 'BEGIN { print (x <= 0.5) ? "ok" : "MISSED" }')
	say "list $N $e containers: barevirt list --json $bv ms ($e ps -a --format json $pv ms, ratio ${ratio}x) target <= 0.5x: $verdict (median of $R; runs: $(tr '\n' ' ' <"$BV_TMP/t-bv")/ $(tr '\n' ' ' <"$BV_TMP/t-peer"))"
	# remove the listing containers, so the events part has a quiet engine
	curl -s --max-time 120 --unix-socket "$s" "http://x/v1.40/containers/json?all=1" | jq -r '.[].Id' |
		while read -r id; do curl -s -o /dev/null --max-time 30 --unix-socket "$s" -X DELETE "http://x/v1.40/containers/$id?force=1"; done
done

# ---- events ----
# worker ENGINE SOCKET W_INDEX COUNT: start and stop container bev<W> COUNT times; prints the successful starts.
worker() {
	_ok=0 _k=0
	while [ $_k -lt "$4" ]; do
		c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 --unix-socket "$2" -X POST "http://x/v1.40/containers/bev$3/start")
		[ "$c" = 204 ] && _ok=$((_ok + 1))
		curl -s -o /dev/null --max-time 60 --unix-socket "$2" -X POST "http://x/v1.40/containers/bev$3/stop?t=0"
		_k=$((_k + 1))
	done
	echo $_ok
}

for e in $EV_ENGINES; do
	case " $ENGINES " in *" $e "*) ;; *) continue ;; esac
	s=$(sock_of $e)
	B="$BV_TMP/bvd-$e/api.sock"
	w=0
	while [ $w -lt $W ]; do create $e "$s" "bev$w" || exit 1; w=$((w + 1)); done
	curl -sN --max-time 3600 --unix-socket "$B" http://x/v1/events >"$BV_TMP/ev-$e" 2>/dev/null &
	CPID=$!
	PIDS="$PIDS $CPID"
	n=0
	while [ $n -lt 100 ] && ! curl -s --unix-socket "$B" http://x/v1/engines | jq -e ".$e.subscribed" >/dev/null; do sleep 0.1; n=$((n + 1)); done
	sleep 1  # Podman registers the subscription when the request arrives, after "subscribed"
	t0=$(now_ms)
	w=0
	while [ $w -lt $W ]; do worker $e "$s" $w $((M / W)) >"$BV_TMP/w-$e-$w" & PIDS="$PIDS $!"; w=$((w + 1)); done
	wait_workers() { for f in $(seq 0 $((W - 1))); do while [ ! -s "$BV_TMP/w-$e-$f" ]; do sleep 0.2; done; done; }
	wait_workers
	took=$(($(now_ms) - t0))
	done_starts=$(cat "$BV_TMP"/w-$e-* | awk '{ s += $1 } END { print s }')
	count() { grep -F "\"type\":\"$e-$1\"" "$BV_TMP/ev-$e" | grep -c '"name":"bev'; }
	n=0
	while [ $n -lt 300 ] && { [ "$(count start)" -lt "$done_starts" ] || [ "$(count die)" -lt "$done_starts" ]; }; do sleep 0.1; n=$((n + 1)); done
	st=$(count start); di=$(count die)
	lost=$((2 * done_starts - st - di))
	verdict=ok   # none lost, and none counted twice
	[ "$st" -eq "$done_starts" ] && [ "$di" -eq "$done_starts" ] || verdict=MISSED
	say "events $e: $done_starts starts and stops in $took ms by $W workers; /v1/events delivered $st $e-start and $di $e-die of $done_starts each; lost $lost; target none lost: $verdict"
	kill $CPID 2>/dev/null
done
