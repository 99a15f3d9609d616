#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Traffic through a vmqsim NIC: the link partner vmq0w sits in netns
# "peer" (192.0.2.2/24), the NIC vmq0 has 192.0.2.1/24.  Frames from the
# partner are classified by the simulated silicon and land on the queue
# pair the filter table says, which the per-queue counters (ethtool -S)
# and the silicon's debugfs view prove; a held interrupt lets a ring
# overflow; the device goes away safely under a ping flood (and the
# module, in mod_load.sh).

source "$(dirname "$0")/lib.sh"

SEND="$(cd "$(dirname "$0")" && pwd)/vmq_send_frames"
SIM_DBG=/sys/kernel/debug/vmqsim/0
PEER=$PEER_NS
OTHER_MAC=02:00:00:00:00:99

TESTS="
	ping_both_ways
	unmatched_unicast_on_qp0
	broadcast_on_qp0
	filter_steers_to_qp
	vlan_filter
	drop_filter
	hold_irq_fills_ring
	close_with_frames_pending
	reconfigure_under_flood
	del_device_under_flood
	host_tx_skbs_not_shared
	mac_control_consumed
"

carrier_up()
{
	[ "$(cat /sys/class/net/vmq0/carrier 2>/dev/null)" = 1 ]
}

# qp_rx_total: frames received over all queue pairs.
qp_rx_total()
{
	local sum=0 n

	for n in $(qp_rx_all); do
		sum=$((sum + n))
	done
	echo $sum
}

# traffic_setup: device 0 with the defaults (16 queue pairs), vmq0 up
# with 192.0.2.1, vmq0w up in "peer" with .2.
traffic_setup()
{
	defer vmqsim_teardown
	vmq_load || return 1
	vmqsim_new 0 || return 1
	peer_ns_setup
}

# qp_stat NAME: one ethtool -S counter of vmq0, e.g. qp0_rx_packets.
qp_stat()
{
	ethtool -S vmq0 | awk -v k="$1:" '$1 == k { print $2 }'
}

# qp_rx_all: rx_packets of every queue pair, space separated.
qp_rx_all()
{
	ethtool -S vmq0 | awk '$1 ~ /^qp[0-9]+_rx_packets:$/ { printf "%s ", $2 }'
}

# peer_send DST COUNT [VLAN]: frames from the partner into the silicon.
peer_send()
{
	ip netns exec $PEER "$SEND" vmq0w "$@"
}

# stat_reaches NAME VALUE: qp_stat NAME is at least VALUE.
stat_reaches()
{
	[ "$(qp_stat "$1")" -ge "$2" ]
}

ping_both_ways()
{
	traffic_setup
	check_err $? "setup failed"
	ping -c 3 -i 0.2 -W 2 192.0.2.2 >/dev/null
	check_err $? "vmq0 cannot ping the partner"
	ip netns exec $PEER ping -c 3 -i 0.2 -W 2 192.0.2.1 >/dev/null
	check_err $? "the partner cannot ping vmq0"
	[ "$(sim_counter tx_wire)" -gt 0 ]
	check_err $? "silicon counted nothing sent to the wire"
	log_test "ping across the simulated wire, both ways"
}

unmatched_unicast_on_qp0()
{
	local before after i b a unmatched

	traffic_setup
	check_err $? "setup failed"
	read -ra before <<< "$(qp_rx_all)"
	unmatched=$(sim_counter rx_unmatched)
	peer_send $OTHER_MAC 20
	check_err $? "sending frames failed"
	busywait 5000 stat_reaches qp0_rx_packets $((before[0] + 20))
	check_err $? "qp0 did not receive the 20 frames"
	read -ra after <<< "$(qp_rx_all)"
	for ((i = 1; i < ${#after[@]}; i++)); do
		b=${before[i]} a=${after[i]}
		[ "$a" -eq "$b" ]
		check_err $? "qp$i received $((a - b)) frames"
	done
	[ "$(sim_counter rx_unmatched)" -ge $((unmatched + 20)) ]
	check_err $? "rx_unmatched did not count them"
	log_test "unmatched unicast lands on qp0 only"
}

broadcast_on_qp0()
{
	local before

	traffic_setup
	check_err $? "setup failed"
	before=$(qp_stat qp0_rx_packets)
	peer_send ff:ff:ff:ff:ff:ff 10
	check_err $? "sending broadcasts failed"
	busywait 5000 stat_reaches qp0_rx_packets $((before + 10))
	check_err $? "qp0 did not receive the broadcasts"
	[ "$(sim_counter rx_replicated)" -eq 0 ]
	check_err $? "replicated without any filtered queue of another pool"
	log_test "broadcast reaches qp0"
}

# need_two_channels: the filter tests steer to queue pair 1.
need_two_channels()
{
	ethtool -L vmq0 combined 2 2>/dev/null
	ethtool -l vmq0 | awk '/Combined/ { n = $2 } END { exit n < 2 }'
}

filter_steers_to_qp()
{
	local mac=02:00:00:00:00:42 before0 before1

	traffic_setup
	check_err $? "setup failed"
	need_two_channels
	check_err $? "cannot get 2 channels"
	ethtool -N vmq0 flow-type ether dst $mac action 1 loc 5
	check_err $? "ethtool -N failed"
	grep -E -q "^5 +$mac +- +1$" $SIM_DBG/filters
	check_err $? "silicon table does not show slot 5: $(cat $SIM_DBG/filters)"
	before0=$(qp_stat qp0_rx_packets)
	before1=$(qp_stat qp1_rx_packets)
	peer_send $mac 15
	busywait 5000 stat_reaches qp1_rx_packets $((before1 + 15))
	check_err $? "qp1 did not receive the filtered frames"
	[ "$(qp_stat qp0_rx_packets)" -lt $((before0 + 15)) ]
	check_err $? "the filtered frames went to qp0 too"
	ethtool -N vmq0 delete 5
	check_err $? "ethtool -N delete failed"
	grep -q "^5 " $SIM_DBG/filters
	check_fail $? "slot 5 still programmed after delete"
	log_test "ntuple rule steers its MAC to qp1, table shows it"
}

vlan_filter()
{
	local mac=02:00:00:00:00:43 before0 before1

	traffic_setup
	check_err $? "setup failed"
	need_two_channels
	check_err $? "cannot get 2 channels"
	ethtool -N vmq0 flow-type ether dst $mac vlan 100 m 0xf000 action 1 \
		loc 3
	check_err $? "ethtool -N with vlan failed"
	grep -E -q "^3 +$mac +100 +1$" $SIM_DBG/filters
	check_err $? "silicon table does not show the VLAN filter"
	before0=$(qp_stat qp0_rx_packets)
	before1=$(qp_stat qp1_rx_packets)
	peer_send $mac 10 100
	busywait 5000 stat_reaches qp1_rx_packets $((before1 + 10))
	check_err $? "tagged frames (VLAN 100) did not reach qp1"
	peer_send $mac 10 200
	busywait 5000 stat_reaches qp0_rx_packets $((before0 + 10))
	check_err $? "frames of another VLAN did not fall back to qp0"
	[ "$(qp_stat qp1_rx_packets)" -lt $((before1 + 20)) ]
	check_err $? "VLAN 200 frames reached qp1"
	log_test "MAC+VLAN filter matches the in-band tag only"
}

drop_filter()
{
	local mac=02:00:00:00:00:44 drops before

	traffic_setup
	check_err $? "setup failed"
	ethtool -N vmq0 flow-type ether dst $mac action -1 loc 7
	check_err $? "ethtool -N drop rule failed"
	grep -E -q "^7 +$mac +- +drop$" $SIM_DBG/filters
	check_err $? "silicon table does not show the drop filter"
	drops=$(sim_counter rx_filter_drops)
	before=$(qp_rx_total)
	peer_send $mac 12
	busywait 5000 eval '[ "$(sim_counter rx_filter_drops)" -ge $((drops + 12)) ]'
	check_err $? "rx_filter_drops did not count the frames"
	[ "$(qp_rx_total)" -lt $((before + 12)) ]
	check_err $? "dropped frames reached a queue"
	ip -s link show dev vmq0 | awk '/RX:/ { getline; print $4 }' |
		grep -q -v '^0$'
	check_err $? "netdev rx_dropped does not include filter drops"
	log_test "drop filter discards in the silicon"
}

ring_fill()
{
	awk '$1 == 0 { print $4 - $5 }' $SIM_DBG/rings
}

hold_irq_fills_ring()
{
	local drops packets

	traffic_setup
	check_err $? "setup failed"
	ethtool -G vmq0 rx 16
	check_err $? "ethtool -G vmq0 rx 16 failed"
	awk '$1 == 0 { exit !($2 == 1 && $3 == 16) }' $SIM_DBG/rings
	check_err $? "qp0's ring is not 16 descriptors: $(cat $SIM_DBG/rings)"
	echo 1 > $SIM_DBG/qp0/hold_irq
	check_err $? "cannot set hold_irq"
	drops=$(qp_stat qp0_rx_drops)
	packets=$(qp_stat qp0_rx_packets)
	peer_send $OTHER_MAC 40
	check_err $? "sending frames failed"
	busywait 5000 stat_reaches qp0_rx_drops $((drops + 24))
	check_err $? "drops rose by $(($(qp_stat qp0_rx_drops) - drops)), want >= 24"
	[ "$(ring_fill)" -eq 16 ]
	check_err $? "ring holds $(ring_fill) frames, want 16"
	echo 0 > $SIM_DBG/qp0/hold_irq
	check_err $? "cannot clear hold_irq"
	busywait 5000 stat_reaches qp0_rx_packets $((packets + 16))
	check_err $? "held frames not delivered after unhold"
	[ "$(ring_fill)" -eq 0 ]
	check_err $? "ring not drained after unhold"
	log_test "hold_irq: ring fills, overflow counted, unhold delivers"
}

close_with_frames_pending()
{
	local mark packets

	traffic_setup
	check_err $? "setup failed"
	mark=$(kmsg_mark)
	echo 1 > $SIM_DBG/qp0/hold_irq
	peer_send $OTHER_MAC 10
	busywait 5000 eval '[ "$(ring_fill)" -ge 10 ]'
	check_err $? "frames did not wait on the held ring"
	ip link set vmq0 down
	awk '$1 == 0 { exit $2 != 0 }' $SIM_DBG/rings
	check_err $? "qp0's ring still published after down"
	ip link set vmq0 up
	echo 0 > $SIM_DBG/qp0/hold_irq
	busywait 5000 carrier_up
	packets=$(qp_stat qp0_rx_packets)
	peer_send $OTHER_MAC 5
	busywait 5000 stat_reaches qp0_rx_packets $((packets + 5))
	check_err $? "qp0 does not receive after down/up"
	kernel_quiet_since "$mark"
	check_err $? "kernel complained"
	log_test "down with frames on a held ring, then up again"
}

reconfigure_under_flood()
{
	local mark i

	traffic_setup
	check_err $? "setup failed"
	mark=$(kmsg_mark)
	flood_start
	for i in 1 2 3; do
		ethtool -G vmq0 rx 64 tx 64 &&
			ethtool -G vmq0 rx 512 tx 256 &&
			ethtool -L vmq0 combined 1 &&
			ethtool -L vmq0 combined 2
		check_err $? "ring or channel change failed in round $i"
	done
	flood_stop
	ping -c 2 -i 0.2 -W 2 192.0.2.2 >/dev/null
	check_err $? "no ping after the changes"
	kernel_quiet_since "$mark"
	check_err $? "kernel complained"
	log_test "ring and channel changes under a ping flood"
}

del_device_under_flood()
{
	local mark before

	traffic_setup
	check_err $? "setup failed"
	before=$(qp_stat qp0_rx_packets)
	mark=$(kmsg_mark)
	flood_start
	[ "$(qp_stat qp0_rx_packets)" -gt "$before" ]
	check_err $? "the flood is not reaching vmq0"
	echo 0 > /sys/bus/vmqsim/del_device
	check_err $? "del_device under traffic failed"
	flood_stop
	ip link show dev vmq0 >/dev/null 2>&1
	check_fail $? "vmq0 still there"
	echo 0 > /sys/bus/vmqsim/new_device
	check_err $? "device 0 cannot be created again"
	kernel_quiet_since "$mark"
	check_err $? "kernel complained: $(kmsg_since "$mark" | grep -E 'WARNING|BUG|Oops|KFENCE|stalled' | head -1)"
	log_test "del_device while a ping flood runs"
}

# pktgen may send one skb many times only through a device whose transmit
# leaves it as it was; vmq0 hands what it does not switch to the wire's
# receive path, which takes the skb over.  (The partner may: the bench
# relies on it, and make check's bench smoke run would fail without.)
host_tx_skbs_not_shared()
{
	traffic_setup
	check_err $? "setup failed"
	defer pktgen_stop
	pktgen_prepare vmq0 $OTHER_MAC 10 - 60
	check_err $? "pktgen cannot take vmq0"
	pg_set vmq0 "clone_skb 10" 2>/dev/null
	check_fail $? "pktgen may send one skb many times through vmq0"
	pg_set vmq0 "burst 10" 2>/dev/null
	check_fail $? "pktgen may send one skb in bursts through vmq0"
	log_test "vmq0 does not let its senders share an skb"
}

# pause_rx: the PAUSE frames vmq0 says it received.
pause_rx()
{
	ethtool -I -a vmq0 | awk '$1 == "rx_pause_frames:" { print $2 }'
}

# MAC Control frames (802.3x PAUSE) from the partner are the MAC's own:
# counted, and delivered to no queue, not even to the one a filter steers
# their destination to; the frames behind them are.
mac_control_consumed()
{
	local mac=02:00:00:00:00:44 b1 m0 p0

	traffic_setup
	check_err $? "setup failed"
	need_two_channels
	check_err $? "cannot get 2 channels"
	ethtool -N vmq0 flow-type ether dst $mac action 1 loc 6
	check_err $? "ethtool -N failed"
	defer ethtool -N vmq0 delete 6
	b1=$(qp_stat qp1_rx_packets)
	m0=$(sim_counter rx_mac_control); p0=$(pause_rx)
	peer_send $mac 10 pause && peer_send 01:80:c2:00:00:01 10 pause
	check_err $? "sending PAUSE frames failed"
	peer_send $mac 5
	check_err $? "sending frames failed"
	busywait 5000 stat_reaches qp1_rx_packets $((b1 + 5))
	check_err $? "qp1 did not receive the 5 frames behind the PAUSE frames"
	[ "$(qp_stat qp1_rx_packets)" -eq $((b1 + 5)) ]
	check_err $? "qp1 received $(($(qp_stat qp1_rx_packets) - b1)) frames, want the 5 that are not PAUSE"
	[ $(($(sim_counter rx_mac_control) - m0)) -eq 20 ]
	check_err $? "rx_mac_control counted $(($(sim_counter rx_mac_control) - m0)), want 20"
	[ $(($(pause_rx) - p0)) -eq 20 ]
	check_err $? "rx_pause_frames counted $(($(pause_rx) - p0)), want 20"
	log_test "PAUSE frames from the wire are counted and reach no queue"
}

require_root
require_cmd ip ethtool ping modprobe
if [ ! -x "$SEND" ]; then
	echo "SKIP: $SEND not built (make -C $(dirname "$0"))"
	exit $ksft_skip
fi
tests_run
exit $EXIT_STATUS
