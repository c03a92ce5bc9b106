#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Roles and projects (issue 15, item 4) against a real barevirtd with
# --listen and --socket-group, through real curl over HTTPS and the CLI:
# projects and their quotas, identities restricted to a project (lists,
# 404s with the body of a missing name, creates, events), host paths
# refused to operators and kept for admin, and the group socket checked
# with SO_PEERCRED for users made here (useradd; removed at the end).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/netns.sh"

tap_require_root
[ -x "$top_builddir/tools/barevirt-proxy" ] || tap_skip_all "built without TLS (--disable-tls)"
for c in curl jq openssl python3 useradd userdel groupadd groupdel runuser; do
	command -v $c >/dev/null || tap_skip_all "$c is not installed"
done
# Host-wide names carry this test's prefix and pid.
G=bvpj$$
U_IN=bvpji$$
U_OUT=bvpjo$$
cleanup() {
	kill $ev_pid 2>/dev/null
	bv_ct_cleanup
	bv_cleanup
	bv_netns_cleanup
	userdel "$U_IN" 2>/dev/null
	userdel "$U_OUT" 2>/dev/null
	groupdel "$G" 2>/dev/null
}
trap cleanup EXIT INT TERM
jqe() { jq -e "$@" >/dev/null; }

groupadd "$G" && useradd -M -N -g nogroup -G "$G" "$U_IN" && useradd -M -N -g nogroup "$U_OUT"
tap_ok $? "made group $G, $U_IN in it (supplementary), $U_OUT outside"

bv_ct_tmp
chmod 755 "$BV_TMP"
CGP=bvpj-$$
NS=$(bv_netns_new pj) || tap_skip_all "cannot make a network namespace"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
GSOCK="$BV_TMP/group.sock"
bv_daemon_start --listen "127.0.0.1:$port" --netns "/run/netns/$NS" --cgroup-parent "$CGP" \
	--socket-group "$G" --group-socket "$GSOCK"
tap_ok $? "barevirtd starts with --listen, --socket-group $G and --group-socket"
CA="$BV_TMP/state/tls/ca.pem"
URL="https://127.0.0.1:$port"
# req TOKEN METHOD PATH [BODY]: the status; the body in $BV_TMP/b (HTTPS inside barevirtd's --netns).
req() {
	ip netns exec "$NS" curl -s -o "$BV_TMP/b" -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer $1" -X "$2" \
		${4:+-H 'Content-Type: application/json' --data-binary "$4"} "$URL$3"
}

# -- projects.
bv_cli project create a >/dev/null && bv_cli project create b >/dev/null &&
	bv_cli project create q --max-instances 2 --max-memory 512 --max-vcpus 3 >/dev/null
tap_ok $? "project create a, b, and q with quotas"
bv_cli project list >"$BV_TMP/pl"
grep -q "^q  *0/2  *0/512  *0/3 " "$BV_TMP/pl"
tap_ok $? "project list shows usage against quotas"
tap_check "projects.json is 0600" [ "$(stat -c %a "$BV_TMP/state/projects.json")" = 600 ]
bv_cli project create a 2>"$BV_TMP/err"
[ $? = 1 ] && grep -q "^barevirt: project 'a' exists already" "$BV_TMP/err"
tap_ok $? "a project name twice is refused"
bv_cli project delete default 2>"$BV_TMP/err"
[ $? = 1 ] && grep -q "cannot be deleted" "$BV_TMP/err"
tap_ok $? "default cannot be deleted"
bv_cli project show default --json | jqe '.name == "default"'
tap_ok $? "default always exists"

# -- instances and networks in projects (containers: cheap; created, never started).
C() { bv_cli "$@" >/dev/null; }
C ct create pja1 --project a --rootfs "$ROOTFS" -- /bin/true &&
	C ct create pjb1 --project b --rootfs "$ROOTFS" -- /bin/true &&
	C ct create pjd1 --rootfs "$ROOTFS" -- /bin/true
tap_ok $? "ct create --project a, --project b, and one without"
bv_api GET /v1/containers/pjd1 >/dev/null
jqe '.project == "default"' "$BV_TMP/body"
tap_ok $? "without --project it is default's"
tap_check "pjb1's definition file says project b" jqe '.project == "b"' "$BV_TMP/state/containers/pjb1.json"
C net create pjnb --project b --address 10.91.0.1/24 --no-nat --no-dhcp
tap_ok $? "net create --project b"
bv_cli list >"$BV_TMP/list"
head -1 "$BV_TMP/list" | grep -q "^NAME  *PROJECT  *TYPE"
tap_ok $? "barevirt list shows a PROJECT column (more than one project)"
tap_check "barevirt list --project a shows a's only" [ "$(bv_cli list --project a -q | tr '\n' ' ')" = "pja1 " ]
bv_cli project delete b 2>"$BV_TMP/err"
[ $? = 1 ] && grep -q "^barevirt: project 'b' is not empty (1 instance, 1 network)" "$BV_TMP/err"
tap_ok $? "project delete is refused while it holds instances or networks"

# -- roles: a viewer reads, never writes.
viewer=$(bv_cli token create pj-viewer --json | jq -r .token)
tap_check "a viewer's POST /v1/vms is 403" [ "$(req "$viewer" POST /v1/vms '{"name": "pjv"}')" = 403 ]
tap_check "a viewer's GET /v1/vms is 200" [ "$(req "$viewer" GET /v1/vms)" = 200 ]
tap_check "a viewer's GET /v1/projects lists all four" [ "$(req "$viewer" GET /v1/projects)" = 200 ]
jqe 'length == 4' "$BV_TMP/b"
tap_ok $? "(default, a, b, q)"

# -- an operator restricted to project a.
tap_check "token create --project nope is refused" [ "$(bv_api POST /v1/tokens '{"name": "x", "project": "nope"}')" = 404 ]
opa=$(bv_cli token create pj-opa --role operator --project a --json | jq -r .token)
bv_cli token list | grep -q "^pj-opa  *operator .* a$"
tap_ok $? "token create --project a; token list shows its project"
tap_check "tokens.json keeps its project" jqe '.tokens[] | select(.name == "pj-opa") | .project == "a"' "$BV_TMP/state/tokens.json"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=pj-laptop \
	-keyout "$BV_TMP/laptop.key" -out "$BV_TMP/laptop.pem" 2>/dev/null
bv_cli trust add "$BV_TMP/laptop.pem" --role operator --project a >/dev/null &&
	bv_cli trust list --json | jqe '.[] | select(.name == "laptop") | .project == "a"'
tap_ok $? "trust add --project a: the entry carries its project"
tap_check "trust add --project nope is refused" sh -c "! '$BAREVIRT' --socket '$BV_SOCKET' trust add '$BV_TMP/laptop.pem' --name l2 --project nope 2>/dev/null"
c=$(ip netns exec "$NS" curl -s -o "$BV_TMP/b" -w '%{http_code}' --cacert "$CA" --cert "$BV_TMP/laptop.pem" \
	--key "$BV_TMP/laptop.key" "$URL/v1/containers/pjb1")
tap_check "the restricted certificate gets 404 for b's container ($c)" [ "$c" = 404 ]
ip netns exec "$NS" curl -s -N --cacert "$CA" -H "Authorization: Bearer $opa" "$URL/v1/events" >"$BV_TMP/events" &
ev_pid=$!
[ "$(req "$opa" GET /v1/instances)" = 200 ] && jqe '[.[].name] == ["pja1"]' "$BV_TMP/b"
tap_ok $? "it lists only a's instances (GET /v1/instances)"
[ "$(req "$opa" GET /v1/containers)" = 200 ] && jqe '[.[].name] == ["pja1"]' "$BV_TMP/b"
tap_ok $? "and only a's containers"
[ "$(req "$opa" GET /v1/networks)" = 200 ] && jqe 'length == 0' "$BV_TMP/b"
tap_ok $? "and none of b's networks"
[ "$(req "$opa" GET /v1/projects)" = 200 ] && jqe '[.[].name] == ["a"]' "$BV_TMP/b"
tap_ok $? "and only its project"
tap_check "GET /v1/containers/pja1 is 200" [ "$(req "$opa" GET /v1/containers/pja1)" = 200 ]
for pair in containers:pjb1 instances:pjb1 instances:pjb1/logs networks:pjnb projects:b; do
	coll=${pair%%:*} rest=${pair#*:} name=${rest%%/*} tail=${rest#"$name"}
	c1=$(req "$opa" GET "/v1/$coll/$rest"); body1=$(cat "$BV_TMP/b")
	c2=$(req "$opa" GET "/v1/$coll/pjnone$tail"); body2=$(sed "s/pjnone/$name/" "$BV_TMP/b")
	[ "$c1" = 404 ] && [ "$c2" = 404 ] && [ "$body1" = "$body2" ]
	tap_ok $? "GET /v1/$coll/$rest is 404 with the body of a missing name ($body1)"
done
c1=$(req "$opa" POST /v1/containers/pjb1/start); body1=$(cat "$BV_TMP/b")
c2=$(req "$opa" POST /v1/containers/pjnone/start); body2=$(sed 's/pjnone/pjb1/' "$BV_TMP/b")
[ "$c1" = 404 ] && [ "$c2" = 404 ] && [ "$body1" = "$body2" ]
tap_ok $? "POST /v1/containers/pjb1/start too"
c1=$(req "$opa" DELETE /v1/instances/pjb1); c2=$(req "$opa" PUT /v1/instances/pjb1)
[ "$c1" = 404 ] && [ "$c2" = "$(req "$opa" PUT /v1/instances/pjnone)" ]
tap_ok $? "DELETE is 404; a wrong method answers as for a missing name ($c2)"
tap_check "its ct-b1 is still there" [ "$(bv_api GET /v1/containers/pjb1)" = 200 ]
ct() { printf '{"name": "%s", "rootfs": "%s/state/images/root", "command": ["/bin/true"]%s}' "$1" "$BV_TMP" "$2"; }
mkdir -p "$BV_TMP/state/images" && cp -a "$ROOTFS" "$BV_TMP/state/images/root"
tap_check "it creates in a from barevirt's store (201)" [ "$(req "$opa" POST /v1/containers "$(ct pja2)")" = 201 ]
jqe '.project == "a"' "$BV_TMP/b"
tap_ok $? "without \"project\" the container lands in a"
c1=$(req "$opa" POST /v1/containers "$(ct pjx ', "project": "b"')"); body1=$(cat "$BV_TMP/b")
c2=$(req "$opa" POST /v1/containers "$(ct pjx ', "project": "nope"')"); body2=$(cat "$BV_TMP/b")
[ "$c1" = 403 ] && [ "$c2" = 403 ] && [ "$body1" = "$body2" ]
tap_ok $? "it cannot create in b, nor in a project that does not exist (403 both, same body)"
c=$(req "$opa" POST /v1/containers "$(ct pjb1)")
[ "$c" = 409 ] && jqe '.error | test("not available") and (test("container|VM") | not)' "$BV_TMP/b"
tap_ok $? "a name held in b is 409 'not available', no word of what holds it"
c=$(req "$opa" POST /v1/containers "$(ct pjx ', "nics": [{"network": "pjnb"}]')")
[ "$c" = 404 ] && jqe '.error == "No network named '"'pjnb'"'"' "$BV_TMP/b"
tap_ok $? "b's network is a network that does not exist ($c)"
C ct create pjb2 --project b --rootfs "$ROOTFS" -- /bin/true
bv_wait_for 5 grep -q '"pja2"' "$BV_TMP/events"
tap_ok $? "its /v1/events stream has a's events"
! grep -q 'pjb' "$BV_TMP/events"
tap_ok $? "and none of b's"
kill $ev_pid 2>/dev/null; wait $ev_pid 2>/dev/null

# -- quotas (they hold for everyone, the UNIX socket too).
C ct create pjq1 --project q --memory 384 --cpus 1 --rootfs "$ROOTFS" -- /bin/true
tap_ok $? "a 384 MiB container in q"
bv_cli ct create pjq2 --project q --memory 256 --cpus 1 --rootfs "$ROOTFS" -- /bin/true 2>"$BV_TMP/err"
[ $? = 1 ] && grep -q "^barevirt: project 'q': max-memory 512 MiB would be exceeded (384 in use, 256 asked)$" "$BV_TMP/err"
tap_ok $? "256 MiB more is refused, naming the quota and the numbers"
tap_check "over the API it is 403" [ "$(bv_api POST /v1/containers "$(ct pjq2 ', "project": "q", "limits": {"memory": 256, "cpus": 1}')")" = 403 ]
bv_cli ct create pjq3 --project q --memory 64 --cpus 3 --rootfs "$ROOTFS" -- /bin/true 2>"$BV_TMP/err"
grep -q "max-vcpus 3 would be exceeded (1 in use, 3 asked)" "$BV_TMP/err"
tap_ok $? "max-vcpus too"
bv_cli ct create pjq6 --project q --rootfs "$ROOTFS" -- /bin/true 2>"$BV_TMP/err"
grep -q "needs a memory limit" "$BV_TMP/err"
tap_ok $? "a container without --memory in a project with max-memory is refused"
C ct create pjq4 --project q --memory 64 --cpus 1 --rootfs "$ROOTFS" -- /bin/true
bv_cli ct create pjq5 --project q --memory 64 --cpus 1 --rootfs "$ROOTFS" -- /bin/true 2>"$BV_TMP/err"
grep -q "max-instances 2 would be exceeded (2 in use, 1 asked)" "$BV_TMP/err"
tap_ok $? "and max-instances"
: >"$BV_TMP/k"
bv_api POST /v1/vms '{"name": "pjqv", "project": "q", "kernel": "'"$BV_TMP/k"'", "memory": 128}' >"$BV_TMP/code"
[ "$(cat "$BV_TMP/code")" = 403 ] && jqe '.error | test("max-instances")' "$BV_TMP/body"
tap_ok $? "a VM counts against the same quotas"

# -- host paths: an operator names files in barevirt's store only; admin anything, as before.
op=$(bv_cli token create pj-op --role operator --json | jq -r .token)
: >"$BV_TMP/host.img"
vm() { printf '{"name": "%s", "disks": [{"file": "%s"}]}' "$1" "$2"; }
c=$(req "$op" POST /v1/vms "$(vm pjv1 /dev/sda)")
[ "$c" = 403 ] && jqe '.error | test("disks\\[0\\].file: ./dev/sda. is a host path")' "$BV_TMP/b"
tap_ok $? "an operator's VM disk /dev/sda is refused (403)"
tap_check "so is a host file" [ "$(req "$op" POST /v1/vms "$(vm pjv1 "$BV_TMP/host.img")")" = 403 ]
ln -s /etc/passwd "$BV_TMP/state/images/sneaky"
tap_check "and a symlink in the store pointing out of it" [ "$(req "$op" POST /v1/vms "$(vm pjv1 "$BV_TMP/state/images/sneaky")")" = 403 ]
tap_check "a kernel outside the store" [ "$(req "$op" POST /v1/vms '{"name": "pjv1", "kernel": "/boot/vmlinuz"}')" = 403 ]
tap_check "QEMU extra_args" [ "$(req "$op" POST /v1/vms '{"name": "pjv1", "kernel": "'"$BV_TMP/state/images/root/bin/busybox"'", "extra_args": ["-hda", "/dev/sda"]}')" = 403 ]
tap_check "a container rootfs of /" [ "$(req "$op" POST /v1/containers '{"name": "pjc", "rootfs": "/", "command": ["/bin/true"]}')" = 403 ]
tap_check "a bind mount of a host path" [ "$(req "$op" POST /v1/containers "$(ct pjc ', "mounts": [{"source": "/etc", "destination": "/mnt"}]')")" = 403 ]
tap_check "a privileged container" [ "$(req "$op" POST /v1/containers "$(ct pjc ', "privileged": true')")" = 403 ]
tap_check "an engine container with binds" [ "$(req "$op" POST /v1/instances '{"engine": "docker", "image": "busybox", "binds": ["/:/host"]}')" = 403 ]
cp /bin/busybox "$BV_TMP/state/images/disk.img"
tap_check "a disk in STATE/images is fine for an operator (201)" [ "$(req "$op" POST /v1/vms "$(vm pjv2 "$BV_TMP/state/images/disk.img")")" = 201 ]
tap_check "admin's host file disk is allowed as before (201)" [ "$(bv_api POST /v1/vms "$(vm pjv3 "$BV_TMP/host.img")")" = 201 ]

# -- --socket-group: the group's members get the role (operator), others are closed.
tap_check "the group socket is 0660 root:$G" [ "$(stat -c '%a %U %G' "$GSOCK")" = "660 root $G" ]
tap_check "the main socket stays root's" [ "$(stat -c %U "$BV_SOCKET")" = root ]
gc() { runuser -u "$1" -- curl -s -o /dev/null -w '%{http_code}' --unix-socket "$GSOCK" -X "$2" ${4:+--data-binary "$4"} "http://x$3"; }
tap_check "$U_IN (in $G) gets GET /v1/ping 200" [ "$(gc "$U_IN" GET /v1/ping)" = 200 ]
tap_check "as an operator: POST /v1/projects is 403" [ "$(gc "$U_IN" POST /v1/projects '{"name": "pjg"}')" = 403 ]
tap_check "a container from the store is 201" [ "$(gc "$U_IN" POST /v1/containers "$(ct pjg1)")" = 201 ]
tap_check "a host path is 403" [ "$(gc "$U_IN" POST /v1/vms "$(vm pjv4 "$BV_TMP/host.img")")" = 403 ]
uid=$(id -u "$U_IN")
bv_cli audit --json | jqe --arg u "uid:$uid" 'any(.[]; .identity == $u and .path == "/v1/containers" and .status == 201)'
tap_ok $? "the audit log names it uid:$uid"
c=$(gc "$U_OUT" GET /v1/ping)
tap_check "$U_OUT (not in $G) cannot connect ($c)" [ "$c" = 000 ]
chmod 0666 "$GSOCK"
c=$(gc "$U_OUT" GET /v1/ping)
tap_check "with the socket opened to all, SO_PEERCRED still closes $U_OUT ($c)" [ "$c" = 000 ]
grep -q "group socket: closed a connection of uid $(id -u "$U_OUT")" "$BV_DAEMON_LOG"
tap_ok $? "and says so in the log"
chmod 0660 "$GSOCK"
tap_check "root on the group socket is admin" [ "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$GSOCK" -X POST -d '{"name": "pjr"}' http://x/v1/projects)" = 201 ]

# -- bad files and flags stop the start with a clear message.
mkdir -p "$BV_TMP/bad"
echo '{"projects": [{"name": "x", "max_cpus": 1}]}' >"$BV_TMP/bad/projects.json"
"$BAREVIRTD" --state-dir "$BV_TMP/bad" --run-dir "$BV_TMP/badrun" --socket "$BV_TMP/bad.sock" 2>"$BV_TMP/err"
[ $? = 1 ] && grep -q "projects.json.*max_cpus" "$BV_TMP/err"
tap_ok $? "a bad projects.json stops barevirtd, naming the file and the key"
"$BAREVIRTD" --socket-group-role root --state-dir "$BV_TMP/x" 2>/dev/null
tap_check "--socket-group-role root is a usage error" [ $? = 2 ]
C ct delete pja1 && C ct delete pja2 && C project delete a
tap_ok $? "once empty, project a deletes"
tap_done
