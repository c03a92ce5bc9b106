# SPDX-License-Identifier: GPL-2.0-or-later
# Real container engines on private sockets and data roots, for tests and
# benches (POSIX sh; source tests/lib/daemon.sh and call bv_tmpdir first).
# Neither touches the host's own engines: podman runs as `podman system
# service` with runc and its own --root/--runroot (vfs, cgroupfs, file
# events); dockerd with --iptables=false --bridge=none and its own data,
# exec root and socket. Both get the image bvbusybox imported from a busybox
# tarball (no network).
#
#   eng_podman_start            sets PODMAN_PID, PSOCK, P (the podman CLI with our flags); 1 on failure
#   eng_docker_start            sets DOCKERD_PID, DSOCK, D (the docker CLI); 1 when missing or failing
#   eng_podman_kill / eng_docker_kill   stop one (for tests of an engine going away)
#   eng_cleanup                 removes containers, stops both, unmounts what they left
#   eng_wait_sock SOCKET SECONDS
#   O                           podman create flags this host needs (hybrid cgroups, no network)

: "${BV_TMP:?call bv_tmpdir first}"
ENG_T=$BV_TMP
ENG_RUNC=$(command -v runc)
# This host's quirks (hybrid cgroups: no pids controller in v2; low hard
# limits) as the service's defaults, so containers created through the API
# need no special flags.
mkdir -p "$ENG_T"
cat >"$ENG_T/containers.conf" <<EOC
[containers]
pids_limit = 0
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
netns = "none"
EOC
export CONTAINERS_CONF="$ENG_T/containers.conf"
# --tmpdir: the file events log lives there (default /run/libpod, shared by
# every podman on the host: another test's events would show up in ours).
PF="--runtime $ENG_RUNC --root $ENG_T/storage --runroot $ENG_T/prun --tmpdir $ENG_T/ptmp --storage-driver vfs --cgroup-manager cgroupfs --events-backend file"
P="timeout 120 podman $PF"
O="--network none --pids-limit -1 --ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
PODMAN_PID=
DOCKERD_PID=
PSOCK="$ENG_T/podman.sock"
DSOCK="$ENG_T/docker.sock"
D="timeout 120 docker -H unix://$DSOCK"

eng_wait_sock() {
	_n=0
	while [ $_n -lt $(($2 * 10)) ]; do
		curl -s --max-time 2 --unix-socket "$1" http://x/_ping 2>/dev/null | grep -q OK && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}

eng_rootfs() {
	[ -d "$ENG_T/rootfs" ] && return 0
	mkdir -p "$ENG_T/rootfs/bin"
	cp /bin/busybox "$ENG_T/rootfs/bin/busybox"
	for t in sh true false sleep echo cat ls; do ln -s busybox "$ENG_T/rootfs/bin/$t"; done
}

eng_podman_service() {
	# In a network namespace of its own: a container asking for a bridge can
	# never add one to the host.
	unshare --net podman $PF system service --time 0 "unix://$PSOCK" >>"$ENG_T/podman.log" 2>&1 &
	PODMAN_PID=$!
	eng_wait_sock "$PSOCK" 30 || return 1
	# Its first container list after a start is slow (seconds under load): warm it up.
	curl -s --max-time 30 --unix-socket "$PSOCK" "http://x/v1.40/containers/json?all=1" >/dev/null
	curl -s --max-time 30 --unix-socket "$PSOCK" "http://x/v1.40/libpod/containers/json?all=true" >/dev/null
}

eng_podman_start() {
	[ -n "$ENG_RUNC" ] && command -v podman >/dev/null || return 1
	eng_rootfs
	tar -C "$ENG_T/rootfs" -c . | $P import - bvbusybox >/dev/null 2>&1 || return 1
	eng_podman_service
}

eng_docker_start() {
	command -v dockerd >/dev/null && command -v docker >/dev/null || return 1
	eng_rootfs
	dockerd --iptables=false --ip6tables=false --bridge=none --data-root "$ENG_T/docker" --exec-root "$ENG_T/dexec" \
		--host "unix://$DSOCK" --pidfile "$ENG_T/docker.pid" >"$ENG_T/dockerd.log" 2>&1 &
	DOCKERD_PID=$!
	eng_wait_sock "$DSOCK" 60 && tar -C "$ENG_T/rootfs" -c . | $D import - bvbusybox >/dev/null 2>&1
}

eng_podman_kill() {
	[ -n "$PODMAN_PID" ] || return 0
	kill "${1:--TERM}" "$PODMAN_PID" 2>/dev/null
	wait "$PODMAN_PID" 2>/dev/null
	PODMAN_PID=
}

eng_docker_kill() {
	[ -n "$DOCKERD_PID" ] || return 0
	kill "$DOCKERD_PID" 2>/dev/null
	_n=0
	while kill -0 "$DOCKERD_PID" 2>/dev/null && [ $_n -lt 100 ]; do sleep 0.1; _n=$((_n + 1)); done
	kill -9 "$DOCKERD_PID" 2>/dev/null
	wait "$DOCKERD_PID" 2>/dev/null
	DOCKERD_PID=
}

eng_cleanup() {
	if [ -n "$DOCKERD_PID" ]; then
		_ids=$($D ps -aq 2>/dev/null)
		[ -n "$_ids" ] && $D rm -f $_ids >/dev/null 2>&1
	fi
	$P rm -fa -t 0 >/dev/null 2>&1
	eng_podman_kill
	eng_docker_kill
	# Podman's exec sessions keep a conmon for 5 minutes after they end
	# (--exit-delay 300): stop the ones of our root, by pid.
	for _p in $(pgrep -f -- "$ENG_T/storage/" 2>/dev/null); do kill "$_p" 2>/dev/null; done
	# Leftovers of runc/containerd and of the vfs/overlay drivers under our root.
	grep -o " $ENG_T[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
}
