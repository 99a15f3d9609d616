#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The host channels in the kernel's netdev netlink family (vmq.rst,
# "Statistics and views"): each receive and transmit queue names the
# NAPI instance of its queue pair, and that NAPI names the queue pair's
# vector, as "queue-get" and "napi-get" dumps show them; the dumps follow
# ethtool -L and the link going down.  6.8 and later; on older kernels
# the test skips.

source "$(dirname "$0")/lib.sh"

TESTS="
	queues_name_napi
	follow_channels
	link_down
"

DEV=vmq0
NL="$(dirname "$(readlink -f "$0")")/vmq_nl_queues"

# check_channels N: queues 0..N-1 each way, each naming the NAPI whose
# irq is its queue pair's vector; no other queue.  Prints mismatches.
check_channels()
{
	local out q t napi irq want rc=0

	out=$("$NL" $DEV) || { echo "vmq_nl_queues failed: $out"; return 1; }
	for t in rx tx; do
		[ "$(echo "$out" | grep -c "^queue $t ")" = "$1" ] ||
			{ echo "$t queues: $(echo "$out" | grep "^queue $t" | tr '\n' ' '), want $1"; rc=1; }
		for ((q = 0; q < $1; q++)); do
			napi=$(echo "$out" | awk -v t=$t -v q=$q \
				'$1 == "queue" && $2 == t && $3 == q { print $5 }')
			irq=$(echo "$out" | awk -v n="$napi" \
				'$1 == "napi" && $2 == n { print $4 }')
			want=$(qp_irq $DEV $q)
			if [ -z "$napi" ] || [ "$napi" = 0 ] || [ "$irq" != "$want" ]; then
				echo "$t queue $q: napi '$napi' irq '$irq', want the irq $want of $DEV-qp$q"
				rc=1
			fi
		done
	done
	# Every queue pair has a NAPI instance; only the channels' name a vector.
	irq=$(echo "$out" | awk '$1 == "napi" && $4 != -1' | wc -l)
	[ "$irq" = "$1" ] ||
		{ echo "$irq NAPI instances name a vector, want $1: $(echo "$out" | grep ^napi | tr '\n' ' ')"; rc=1; }
	return $rc
}

queues_name_napi()
{
	ethtool -L $DEV combined 4
	check_channels 4
	check_err $? "4 channels"
	log_test "each channel's queues name its NAPI, and the NAPI its vector"
}

follow_channels()
{
	ethtool -L $DEV combined 2 && defer ethtool -L $DEV combined 4
	check_channels 2
	check_err $? "after ethtool -L combined 2"
	ethtool -L $DEV combined 3
	check_channels 3
	check_err $? "after ethtool -L combined 3"
	log_test "the dumps follow ethtool -L"
}

link_down()
{
	local out

	ip link set $DEV down && defer ip link set $DEV up
	out=$("$NL" $DEV)
	check_err $? "vmq_nl_queues failed while $DEV is down: $out"
	[ -z "$out" ]
	check_err $? "a NIC that is down still lists queues or NAPI instances: $(echo "$out" | tr '\n' ' ')"
	ip link set $DEV up
	check_channels 4
	check_err $? "after the link came back"
	log_test "a NIC that is down lists no queue and no NAPI"
}

require_root
[ -x "$NL" ] || { echo "SKIP: vmq_nl_queues not built"; exit "$ksft_skip"; }
vmqsim_setup_or_exit 8
out=$("$NL" $DEV)
if [ $? -eq "$ksft_skip" ]; then
	echo "SKIP: $out (netdev netlink queue dumps came in 6.8)"
	exit "$ksft_skip"
fi
tests_run
exit $EXIT_STATUS
