#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Interrupt moderation on the simulated VMQ NIC: ethtool -C raises the
# frames each queue pair's interrupt carries and reads back, and
# ethtool --per-queue sets one queue pair's without touching the others.

source "$(dirname "$0")/lib.sh"

TESTS="
	coalescing
	per_queue_coalescing
"

DEV=vmq0
PEER=vmq0w
NQ=4
MACBASE=52:54:00:00:03:0

# frames_per_irq Q COUNT: send COUNT frames to queue Q, print frames/irq*100.
frames_per_irq()
{
	local q=$1 n=$2 i0 f0 i1 f1

	i0=$(qstat $DEV "qp${q}_irqs")
	f0=$(qstat $DEV "qp${q}_rx_packets")
	pktgen_send $PEER $MACBASE$q "$n"
	busywait 5000 ge $((f0 + n)) qstat $DEV "qp${q}_rx_packets"
	i1=$(qstat $DEV "qp${q}_irqs")
	f1=$(qstat $DEV "qp${q}_rx_packets")
	echo $(( (f1 - f0) * 100 / (i1 - i0 > 0 ? i1 - i0 : 1) ))
}

coalescing()
{
	local low high

	ethtool -C $DEV rx-usecs 0 rx-frames 1
	check_err $? "ethtool -C failed"
	low=$(frames_per_irq 1 2000)
	ethtool -C $DEV rx-usecs 500 rx-frames 256
	high=$(frames_per_irq 1 2000)
	ethtool -C $DEV rx-usecs 20 rx-frames 64
	[ "$high" -gt "$low" ]
	check_err $? "frames per interrupt x100: $low unmoderated, $high moderated"
	echo "frames per interrupt x100: $low unmoderated, $high moderated"
	ethtool -c $DEV | grep -q "rx-usecs: *20"
	check_err $? "settings do not read back"
	log_test "coalescing raises frames per interrupt"
}

per_queue_coalescing()
{
	ethtool --per-queue $DEV queue_mask 0x4 --coalesce rx-usecs 300 \
		rx-frames 128
	check_err $? "per-queue set failed"
	ethtool --per-queue $DEV queue_mask 0x4 --show-coalesce |
		grep -q "rx-usecs: *300"
	check_err $? "queue 2 does not read back 300"
	ethtool --per-queue $DEV queue_mask 0x2 --show-coalesce |
		grep -q "rx-usecs: *20"
	check_err $? "queue 1 changed too"
	log_test "coalescing per queue"
}

require_root
require_cmd ethtool ip
defer vmqsim_teardown
vmq_load || { echo "SKIP: no vmqsim"; exit $ksft_skip; }
vmqsim_setup 8 || { echo "FAIL: NIC setup"; exit 1; }
# Queue pairs 0 to NQ - 1 for the host, and frames to MACBASE1 steered
# to queue pair 1, whose interrupts frames_per_irq counts.
ethtool -L $DEV combined $NQ &&
	ethtool -N $DEV flow-type ether dst ${MACBASE}1 action 1 loc 1 \
		>/dev/null || { echo "FAIL: cannot steer"; exit 1; }
tests_run
exit $EXIT_STATUS
