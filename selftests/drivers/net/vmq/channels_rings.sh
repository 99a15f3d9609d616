#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ethtool -l/-L (combined channels = the host's queue pairs) and -g/-G
# (ring sizes) on the simulated VMQ NIC: limits, the queue-pair states
# behind them, changes made while traffic flows, and the netdev's
# counters, which a shrink never takes back.

source "$(dirname "$0")/lib.sh"

TESTS="
	channels_report
	channels_resize
	channels_limits
	rings_report
	rings_resize
	rings_limits
	resize_under_traffic
	stats_per_queue
	stats_through_shrink
"

DEV=vmq0
PEER=vmq0w
BUS=vmqsim0

channels()
{
	ethtool -l $DEV | awk '/Current hardware settings/ { cur = 1 }
		/^Combined:/ { if (cur) print $2; else max = $2 }'
}

tx_queues()
{
	ls -d /sys/class/net/$DEV/queues/tx-* | wc -l
}

channels_report()
{
	local max

	max=$(ethtool -l $DEV | awk '/^Combined:/ { print $2; exit }')
	[ "$max" = 16 ]
	check_err $? "max combined $max, expected 16 queue pairs"
	[ "$(channels)" = "$(nproc)" ]
	check_err $? "default channels $(channels), expected one per CPU"
	log_test "ethtool -l reports queue pairs and channels"
}

channels_resize()
{
	local q

	ethtool -L $DEV combined 8
	check_err $? "ethtool -L combined 8 failed"
	[ "$(channels)" = 8 ] && [ "$(tx_queues)" = 8 ]
	check_err $? "netdev has $(tx_queues) tx queues, expected 8"
	for q in 0 7; do
		[ "$(qp_state $BUS $q)" = running ] &&
			[ "$(qp_owner $BUS $q)" = host ]
		check_err $? "queue pair $q not a running host queue"
	done
	[ "$(qp_state $BUS 8)" = free ]
	check_err $? "queue pair 8 not free"
	ethtool -L $DEV combined 3
	check_err $? "ethtool -L combined 3 failed"
	[ "$(qp_state $BUS 3)" = free ] && [ "$(tx_queues)" = 3 ]
	check_err $? "shrinking did not free queue pair 3"
	ip link set $DEV down
	[ "$(qp_state $BUS 0)" = dma-stopped ]
	check_err $? "link down: queue pair 0 is $(qp_state $BUS 0)"
	ip link set $DEV up
	[ "$(qp_state $BUS 0)" = running ]
	check_err $? "link up: queue pair 0 is $(qp_state $BUS 0)"
	log_test "channels map to host queue pairs and their states"
}

channels_limits()
{
	ethtool -L $DEV combined 0 2>/dev/null
	check_fail $? "0 channels accepted"
	ethtool -L $DEV combined 17 2>/dev/null
	check_fail $? "17 channels accepted on 16 queue pairs"
	ethtool -L $DEV rx 2 2>/dev/null
	check_fail $? "separate rx channels accepted"
	log_test "channel counts outside the hardware are refused"
}

rings_report()
{
	local out

	out=$(ethtool -g $DEV)
	echo "$out" | awk '/^RX:/ { print $2; exit }' | grep -qx 4096
	check_err $? "rx max not 4096: $out"
	echo "$out" | awk '/Current/ { c = 1 } c && /^RX:/ { print $2 }' |
		grep -qx 256
	check_err $? "rx default not 256"
	log_test "ethtool -g reports ring limits and sizes"
}

rings_resize()
{
	ethtool -G $DEV rx 64 tx 128
	check_err $? "ethtool -G failed"
	ethtool -g $DEV | awk '/Current/ { c = 1 } c && /^RX:/ { print $2 }' |
		grep -qx 64
	check_err $? "rx ring not 64"
	grep -q "rx_ring: 64 " /sys/kernel/debug/vmq/$BUS/info
	check_err $? "core does not show rx ring 64"
	ethtool -G $DEV rx 256 tx 256
	log_test "ring sizes change"
}

rings_limits()
{
	ethtool -G $DEV rx 8 2>/dev/null
	check_fail $? "rx ring of 8 (< 16) accepted"
	ethtool -G $DEV rx 8192 2>/dev/null
	check_fail $? "rx ring of 8192 (> 4096) accepted"
	log_test "ring sizes outside the hardware are refused"
}

resize_under_traffic()
{
	local i before after

	ethtool -L $DEV combined 4
	before=$(qstat $DEV qp0_rx_packets)
	pktgen_start $PEER "$(cat /sys/class/net/$DEV/address)"
	check_err $? "cannot start pktgen"
	defer pktgen_stop
	for i in 1 2 3 4 5 6; do
		ethtool -L $DEV combined $((i % 4 + 1)) || break
		ethtool -G $DEV rx $((16 << (i % 5))) || break
	done
	check_err $? "a change under traffic failed"
	sleep 0.5
	pktgen_stop
	after=$(qstat $DEV qp0_rx_packets)
	[ "$after" -gt "$before" ]
	check_err $? "no traffic received during the changes"
	ethtool -L $DEV combined 2 && ethtool -G $DEV rx 256
	check_err $? "restoring settings failed"
	before=$(qstat $DEV qp0_rx_packets)
	pktgen_send $PEER "$(cat /sys/class/net/$DEV/address)" 20
	busywait 3000 ge $((before + 20)) qstat $DEV qp0_rx_packets
	check_err $? "traffic does not flow after the changes"
	log_test "ethtool -L and -G while traffic flows"
}

stats_per_queue()
{
	local n q

	n=$(ethtool -S $DEV | grep -c -E '^ +qp[0-9]+_(rx|tx)_(packets|bytes|drops):')
	[ "$n" -eq $((16 * 6)) ]
	check_err $? "expected 96 per-queue counters, found $n"
	for q in 0 15; do
		[ "$(qstat $DEV qp${q}_tx_drops)" != missing ]
		check_err $? "qp$q counters missing"
	done
	log_test "ethtool -S has rx/tx packets, bytes, drops per queue pair"
}

# retire_held: the core holds (or held) a channel's release; read without
# a fork, which on the emulated guest can take longer than the hold.
retire_held()
{
	local n

	read -r n < /sys/kernel/debug/vmq/$BUS/retire_delays && [ "$n" -ge 1 ]
}

# A read of the netdev's counters while ethtool -L takes channels away
# finds each channel's frames once: among the counts of the channels
# gone, or on its queue pair.  The core's retire_delay_ms holds each
# release between the two steps, and the read is made there.
stats_through_shrink()
{
	local dbg=/sys/kernel/debug/vmq/$BUS q before during after pid

	ethtool -L $DEV combined 4
	check_err $? "ethtool -L combined 4 failed"
	# Frames on channels 1 to 3, the ones the shrink takes away, so
	# that the read finds frames whichever release it meets; a rule
	# pins its channel, so it goes once they are in.
	for q in 1 2 3; do
		ethtool -N $DEV flow-type ether dst 52:54:00:00:00:0$q \
			action $q loc $q >/dev/null
		check_err $? "no rule to queue $q"
		defer ethtool -N $DEV delete $q
		pktgen_send $PEER 52:54:00:00:00:0$q 50
		busywait 5000 ge 50 qstat $DEV qp${q}_rx_packets
		check_err $? "queue $q did not take 50 frames"
		ethtool -N $DEV delete $q
	done
	before=$(ifstat $DEV rx_packets)
	[ "$before" -ge 150 ]
	check_err $? "rx_packets $before before the shrink, expected 150 at least"

	defer sh -c "echo 0 > $dbg/retire_delay_ms"
	echo 500 > $dbg/retire_delay_ms
	ethtool -L $DEV combined 1 &
	pid=$!
	BUSYWAIT_SLEEP=0.01 busywait 5000 retire_held
	check_err $? "ethtool -L held no channel's release"
	kill -0 $pid 2>/dev/null
	check_err $? "ethtool -L was over before the read"
	read -r during < /sys/class/net/$DEV/statistics/rx_packets
	wait $pid
	check_err $? "ethtool -L combined 1 failed"
	echo 0 > $dbg/retire_delay_ms
	after=$(ifstat $DEV rx_packets)

	[ "$during" -ge "$before" ]
	check_err $? "rx_packets read during ethtool -L went back: $before then $during"
	[ "$after" -ge "$during" ]
	check_err $? "rx_packets read during ethtool -L went back: $during then $after"
	[ "$during" -eq "$before" ] && [ "$after" -eq "$before" ]
	check_err $? "rx_packets $before before ethtool -L, $during during, $after after"
	ethtool -L $DEV combined 2
	check_err $? "restoring 2 channels failed"
	log_test "netdev counters never go back while ethtool -L shrinks"
}

require_root
require_cmd ethtool ip
vmqsim_setup_or_exit 16
tests_run
exit $EXIT_STATUS
