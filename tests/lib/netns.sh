# SPDX-License-Identifier: GPL-2.0-or-later
# Throwaway network namespaces for tests, sourced by shell tests (POSIX sh;
# bash works too). Network tests never touch the host's interfaces: they make
# a namespace with bv_netns_new and run everything inside it. The names carry
# this shell's pid ("PREFIX-bvPID-RANDOM"), which is how bv_netns_cleanup
# finds every namespace this test made, even ones made in a subshell such
# as ns=$(bv_netns_new x). Call bv_netns_cleanup from an EXIT trap, after
# killing the processes running inside.

# bv_netns_new NAME_PREFIX: create a netns with a unique name and print it.
bv_netns_new() {
	_bv_ns=$1-bv$$-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	ip netns add "$_bv_ns" || return 1
	ip -n "$_bv_ns" link set lo up || :
	echo "$_bv_ns"
}

# bv_netns_cleanup: delete every netns made by bv_netns_new in this shell.
bv_netns_cleanup() {
	for _bv_ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		case $_bv_ns in
		*-bv$$-*) ip netns delete "$_bv_ns" 2>/dev/null || : ;;
		esac
	done
}
