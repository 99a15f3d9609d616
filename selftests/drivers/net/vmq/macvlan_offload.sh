#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# macvlan L2-forwarding offload: with l2-fwd-offload on, each macvlan (or
# macvtap) on the NIC gets a hardware queue pair and a MAC filter; its
# frames arrive on that queue and reach the macvlan directly, and what it
# sends leaves through that queue.  Per-queue counters and the macvlan's
# own counters tell which path a frame took.  (The module unloading with
# offloaded macvlans: mod_load.sh.)

source "$(dirname "$0")/lib.sh"

TESTS="
	offload_allocates
	rx_hardware_path
	macvlans_isolated
	tx_own_queue
	channels_keep_tx_queue
	channels_keep_isolation
	fallback_when_full
	mac_change_moves_filter
	mac_change_unsteerable
	vlan_on_macvlan
	macvtap_offloaded
	private_and_vepa
	mode_change
	software_path_says_why
	tc_taken_says_why
	toggle_offload
	churn_under_traffic
	del_device_with_macvlans
"

DEV=vmq0
PEER=vmq0w
BUS=vmqsim0
M1=52:54:00:00:01:01
M2=52:54:00:00:01:02
M3=52:54:00:00:01:03
N=40

mv_add()
{
	ip link add link $DEV name "$1" address "$2" type macvlan \
		mode "${3:-bridge}" && ip link set "$1" up
}

mv_del()
{
	ip link del "$1" 2>/dev/null
	return 0
}

# send_to MAC [VLAN]: N frames from the link partner.
send_to()
{
	pktgen_send $PEER "$1" $N "${2:--}"
}

# wait_rx DEV BEFORE: the netdev got N more frames (NAPI runs elsewhere).
wait_rx()
{
	busywait 3000 ge $(($2 + N)) ifstat "$1" rx_packets
}

offload_allocates()
{
	local qp ifindex

	mv_add vm1 $M1
	defer mv_del vm1
	qp=$(fwd_qp $BUS vm1)
	[ -n "$qp" ] && [ "$qp" -ge 2 ]
	check_err $? "vm1 not offloaded: $(fwd_state $BUS vm1)"
	[ "$(qp_owner $BUS "$qp")" = macvlan ] &&
		[ "$(qp_state $BUS "$qp")" = running ]
	check_err $? "queue pair $qp not a running macvlan queue"
	grep -q "$M1 *- *$qp *macvlan" /sys/kernel/debug/vmq/$BUS/filters
	check_err $? "no macvlan filter for vm1 on queue pair $qp"
	ifindex=$(cat /sys/class/net/vm1/ifindex)
	[ "$(qstat $DEV "qp${qp}_owner_ifindex")" = "$ifindex" ]
	check_err $? "ethtool -S does not name vm1 as queue $qp's owner"
	awk -v q="$qp" '$1 == q { print $NF }' \
		/sys/kernel/debug/vmq/$BUS/queues | grep -qx vm1
	check_err $? "queue view does not name vm1"
	log_test "a macvlan gets a queue pair, a filter and shows in views"
}

rx_hardware_path()
{
	local qp before d

	mv_add vm1 $M1
	defer mv_del vm1
	qp=$(fwd_qp $BUS vm1)
	before=$(qp_rx_snapshot $DEV)
	d=$(ifstat vm1 rx_packets)
	send_to $M1
	wait_rx vm1 "$d"
	check_err $? "vm1 did not receive the frames"
	sleep 0.2
	d=$(expect_rx_delta "$(qp_rx_delta "$before" "$(qp_rx_snapshot $DEV)")" \
		"$qp:$N")
	check_err $? "hardware path not taken: $d"
	log_test "frames for a macvlan arrive on its queue pair"
}

macvlans_isolated()
{
	local r1 r2 before q1 q2 msg

	mv_add vm1 $M1 && mv_add vm2 $M2
	defer mv_del vm1
	defer mv_del vm2
	q1=$(fwd_qp $BUS vm1)
	q2=$(fwd_qp $BUS vm2)
	[ -n "$q1" ] && [ -n "$q2" ] && [ "$q1" != "$q2" ]
	check_err $? "vm1/vm2 not on queue pairs of their own ($q1/$q2)"
	# The previous test's macvlan used a queue pair; its counts are gone.
	[ "$(qstat $DEV "qp${q1}_rx_packets")" = 0 ] &&
		[ "$(qstat $DEV "qp${q2}_rx_packets")" = 0 ]
	check_err $? "a new owner inherited a queue pair's counters"
	r1=$(ifstat vm1 rx_packets)
	r2=$(ifstat vm2 rx_packets)
	before=$(qp_rx_snapshot $DEV)
	send_to $M2
	wait_rx vm2 "$r2"
	check_err $? "vm2 did not receive its frames"
	sleep 0.2
	[ "$(ifstat vm1 rx_packets)" -eq "$r1" ]
	check_err $? "vm2's frames reached vm1"
	msg=$(expect_rx_delta "$(qp_rx_delta "$before" \
		"$(qp_rx_snapshot $DEV)")" "$q2:$N")
	check_err $? "$msg"
	log_test "frames for one macvlan never reach another"
}

# vm1_netns: vm1 on the NIC, in netns vm1ns as 192.0.2.11, the link
# partner 192.0.2.2; undone when the test ends.
vm1_netns()
{
	ip netns add vm1ns
	defer ip netns del vm1ns
	# The kernel deletes a namespace's devices later, from a work item:
	# vm1 and its MAC go now, before the next test makes its own.
	defer ip -n vm1ns link del vm1
	ip addr add 192.0.2.2/24 dev $PEER
	defer ip addr del 192.0.2.2/24 dev $PEER
	ip link add link $DEV name vm1 address $M1 type macvlan mode bridge
	ip link set vm1 netns vm1ns
	ip -n vm1ns addr add 192.0.2.11/24 dev vm1
	ip -n vm1ns link set vm1 up
}

tx_own_queue()
{
	local qp before

	vm1_netns
	qp=$(fwd_qp $BUS vm1)
	[ -n "$qp" ]
	check_err $? "vm1 not offloaded in its netns"
	before=$(qstat $DEV "qp${qp}_tx_packets")
	ip netns exec vm1ns ping -c 5 -i 0.2 -W 2 192.0.2.2 >/dev/null
	check_err $? "vm1 cannot reach the link partner"
	[ "$(qstat $DEV "qp${qp}_tx_packets")" -ge $((before + 5)) ]
	check_err $? "vm1's frames did not leave through queue pair $qp"
	log_test "a macvlan transmits through its own queue pair"
}

# Changing the channel count while a macvlan is offloaded rebinds its
# subordinate channel: its frames still leave through its queue pair,
# and the stack never drops the NIC's traffic class with a warning.
channels_keep_tx_queue()
{
	local qp before mark ch

	ch=$(ethtool -l $DEV | awk '/^Combined:/ { n++ } n == 2 { print $2; exit }')
	vm1_netns
	qp=$(fwd_qp $BUS vm1)
	[ -n "$qp" ]
	check_err $? "vm1 not offloaded in its netns"
	mark=$(kmsg_mark)
	defer ethtool -L $DEV combined "$ch"
	ethtool -L $DEV combined 1 && ethtool -L $DEV combined "$ch"
	check_err $? "ethtool -L $DEV combined 1, then $ch, failed"
	before=$(qstat $DEV "qp${qp}_tx_packets")
	ip netns exec vm1ns ping -c 5 -i 0.2 -W 2 192.0.2.2 >/dev/null
	check_err $? "vm1 cannot reach the link partner after ethtool -L"
	[ "$(qstat $DEV "qp${qp}_tx_packets")" -ge $((before + 5)) ]
	check_err $? "after ethtool -L vm1's frames did not leave through queue pair $qp"
	kmsg_since "$mark" | grep -E "tc mapping|invalid qcount"
	check_fail $? "the stack complained about the NIC's traffic class"
	log_test "a macvlan keeps its transmit queue over ethtool -L"
}

# ethtool -L while a private macvlan sends to a bridge sibling's MAC: its
# frames go to the wire throughout, never out of a host channel, from
# which the NIC would switch them to the sibling.
channels_keep_isolation()
{
	local ch q1 q2 rx2 sw tx1 i

	ch=$(ethtool -l $DEV | awk '/^Combined:/ { n++ } n == 2 { print $2; exit }')
	mv_add vm1 $M1 private && mv_add vm2 $M2 bridge
	check_err $? "cannot add the macvlans"
	defer mv_del vm1
	defer mv_del vm2
	defer ethtool -L $DEV combined "$ch"
	q1=$(fwd_qp $BUS vm1)
	q2=$(fwd_qp $BUS vm2)
	[ -n "$q1" ] && [ -n "$q2" ]
	check_err $? "not offloaded: vm1 $(fwd_state $BUS vm1), vm2 $(fwd_state $BUS vm2)"
	rx2=$(qstat $DEV "qp${q2}_rx_packets")
	tx1=$(qstat $DEV "qp${q1}_tx_packets")
	sw=$(sim_counter tx_switched)
	pktgen_start vm1 $M2
	defer pktgen_stop
	for i in $(seq 10); do
		ethtool -L $DEV combined 1 && ethtool -L $DEV combined "$ch"
		check_err $? "ethtool -L $DEV combined 1, then $ch, failed"
	done
	pktgen_stop
	[ "$(qstat $DEV "qp${q1}_tx_packets")" -gt "$tx1" ]
	check_err $? "vm1 sent nothing on its queue pair $q1"
	[ "$(sim_counter tx_switched)" = "$sw" ] &&
		[ "$(qstat $DEV "qp${q2}_rx_packets")" = "$rx2" ]
	check_err $? "the private macvlan's frames were switched to its sibling: tx_switched $sw -> $(sim_counter tx_switched), vm2's queue pair received $rx2 -> $(qstat $DEV "qp${q2}_rx_packets")"
	log_test "a private macvlan stays isolated over ethtool -L"
}

fallback_when_full()
{
	local mark r3 q0

	echo "1 4" > /sys/bus/vmqsim/new_device
	defer eval 'echo 1 > /sys/bus/vmqsim/del_device'
	ip link set vmq1 up && ip link set vmq1w up
	# The software path's frames are counted on the default queue's
	# first channel: an RSS table of channel 0 keeps them there.
	ethtool -L vmq1 combined 2 && ethtool -X vmq1 equal 1
	ethtool -K vmq1 l2-fwd-offload on
	mark=$(kmsg_mark)
	for i in 1 2 3; do
		ip link add link vmq1 name fb$i address 52:54:00:00:02:0$i \
			type macvlan mode bridge && ip link set fb$i up
		defer mv_del fb$i
	done
	[ -n "$(fwd_qp vmqsim1 fb1)" ] && [ -n "$(fwd_qp vmqsim1 fb2)" ]
	check_err $? "first two macvlans not offloaded"
	[ "$(fwd_state vmqsim1 fb3)" = software ]
	check_err $? "third macvlan: $(fwd_state vmqsim1 fb3), expected software"
	kmsg_since "$mark" | grep -q "no free queue pair for fb3"
	check_err $? "no log line for the fallback"
	r3=$(ifstat fb3 rx_packets)
	q0=$(qstat vmq1 qp0_rx_packets)
	pktgen_send vmq1w 52:54:00:00:02:03 $N
	busywait 3000 ge $((r3 + N)) ifstat fb3 rx_packets
	check_err $? "fallback macvlan does not receive"
	[ "$(qstat vmq1 qp0_rx_packets)" -ge $((q0 + N)) ]
	check_err $? "fallback frames did not come through the default queue"
	mv_del fb1
	[ "$(fwd_state vmqsim1 fb3)" = software ]
	check_err $? "a freed queue pair was silently given to fb3"
	log_test "out of queue pairs: software path, logged and shown"
}

mac_change_moves_filter()
{
	local qp r before

	mv_add vm1 $M1
	defer mv_del vm1
	qp=$(fwd_qp $BUS vm1)
	ip link set vm1 address $M3
	check_err $? "cannot change vm1's MAC"
	grep -q "$M3 *- *$qp *macvlan" /sys/kernel/debug/vmq/$BUS/filters
	check_err $? "filter not moved to the new MAC"
	grep -q "$M1" /sys/kernel/debug/vmq/$BUS/filters
	check_fail $? "old MAC still filtered"
	r=$(ifstat vm1 rx_packets)
	before=$(qstat $DEV "qp${qp}_rx_packets")
	send_to $M3
	wait_rx vm1 "$r"
	check_err $? "vm1 does not receive on its new MAC"
	[ "$(qstat $DEV "qp${qp}_rx_packets")" -ge $((before + N)) ]
	check_err $? "new MAC's frames not on queue pair $qp"
	log_test "changing a macvlan's MAC moves its filter"
}

# vm1 changes its MAC to one an ethtool rule holds: its filter cannot
# move, and must not stay on the old MAC, which is no longer vm1's.
mac_change_unsteerable()
{
	local r filters=/sys/kernel/debug/vmq/$BUS/filters

	mv_add vm1 $M1
	defer mv_del vm1
	ethtool -N $DEV flow-type ether dst $M3 action 0 loc 100
	check_err $? "cannot add a rule for $M3"
	defer ethtool -N $DEV delete 100
	ip link set vm1 address $M3
	check_err $? "cannot change vm1's MAC"
	grep -q "$M1" $filters
	check_fail $? "the old MAC is still steered: $(grep "$M1" $filters)"
	grep -q "^vm1 $M3 offloaded qp [0-9]* filter none " \
		/sys/kernel/debug/vmq/$BUS/macvlans
	check_err $? "macvlans view: $(grep vm1 /sys/kernel/debug/vmq/$BUS/macvlans)"
	r=$(ifstat vm1 rx_packets)
	send_to $M1
	sleep 0.5
	[ "$(ifstat vm1 rx_packets)" -eq "$r" ]
	check_err $? "frames to vm1's old MAC reached it"
	send_to $M3
	wait_rx vm1 "$r"
	check_err $? "vm1 does not receive on its new MAC through the lower device"
	log_test "a macvlan's MAC that cannot be steered leaves no filter behind"
}

vlan_on_macvlan()
{
	local qp r before

	mv_add vm1 $M1
	defer mv_del vm1
	ip link add link vm1 name vm1.100 type vlan id 100 &&
		ip link set vm1.100 up
	check_err $? "cannot add a VLAN on the macvlan"
	qp=$(fwd_qp $BUS vm1)
	r=$(ifstat vm1.100 rx_packets)
	before=$(qstat $DEV "qp${qp}_rx_packets")
	send_to $M1 100
	wait_rx vm1.100 "$r"
	check_err $? "VLAN device on the macvlan receives nothing"
	[ "$(qstat $DEV "qp${qp}_rx_packets")" -ge $((before + N)) ]
	check_err $? "tagged frames not on the macvlan's queue pair"
	log_test "VLAN devices on an offloaded macvlan work"
}

macvtap_offloaded()
{
	local qp r

	ip link add link $DEV name vt1 address $M2 type macvtap mode bridge &&
		ip link set vt1 up
	check_err $? "cannot create macvtap"
	defer mv_del vt1
	qp=$(fwd_qp $BUS vt1)
	[ -n "$qp" ]
	check_err $? "macvtap not offloaded: $(fwd_state $BUS vt1)"
	r=$(qstat $DEV "qp${qp}_rx_packets")
	send_to $M2
	busywait 3000 ge $((r + N)) qstat $DEV "qp${qp}_rx_packets"
	check_err $? "macvtap's queue pair received nothing"
	log_test "macvtap gets a queue pair the same way"
}

private_and_vepa()
{
	local m

	ip addr add 192.0.2.2/24 dev $PEER
	defer ip addr del 192.0.2.2/24 dev $PEER
	for m in private vepa; do
		ip netns add ns_$m
		defer ip netns del ns_$m
		ip link add link $DEV name mv_$m type macvlan mode $m
		ip link set mv_$m netns ns_$m
		ip -n ns_$m addr add 192.0.2.3${#m}/24 dev mv_$m
		ip -n ns_$m link set mv_$m up
		[ -n "$(fwd_qp $BUS mv_$m)" ]
		check_err $? "$m macvlan not offloaded"
		ip netns exec ns_$m ping -c 2 -i 0.2 -W 2 192.0.2.2 >/dev/null
		check_err $? "$m macvlan cannot reach the partner"
	done
	# Private macvlans must not reach their siblings, offloaded or not.
	ip netns exec ns_private ping -c 2 -i 0.2 -W 1 192.0.2.34 \
		>/dev/null 2>&1
	check_fail $? "private macvlan reached its sibling"
	log_test "private and vepa macvlans are offloaded and keep their rules"
}

# A bridge macvlan made private while offloaded: its queue pairs take the
# new mode (it reaches its sibling no more, nor the sibling it), and made
# bridge again, the old one.
mode_change()
{
	local qa r a=192.0.2.41 b=192.0.2.42

	ip addr add 192.0.2.2/24 dev $PEER
	defer ip addr del 192.0.2.2/24 dev $PEER
	for m in a b; do
		ip netns add ns_$m
		defer ip netns del ns_$m
		defer ip -n ns_$m link del mv_$m
		# A new namespace has IPv6 on whatever the first one says:
		# no router solicitations or MLD reports, which the NIC
		# floods and counts as switched.
		ip netns exec ns_$m sh -c \
			'echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6'
		ip link add link $DEV name mv_$m type macvlan mode bridge
		ip link set mv_$m netns ns_$m
		ip -n ns_$m link set mv_$m up
	done
	ip -n ns_a addr add $a/24 dev mv_a && ip -n ns_b addr add $b/24 dev mv_b
	check_err $? "cannot address the macvlans"
	ip netns exec ns_a ping -c 2 -i 0.2 -W 2 $b >/dev/null
	check_err $? "bridge macvlans cannot reach each other"

	ip -n ns_a link set mv_a type macvlan mode private
	check_err $? "cannot make mv_a private"
	qa=$(fwd_qp $BUS mv_a)
	[ -n "$qa" ]
	check_err $? "mv_a not offloaded after the mode change: $(fwd_state $BUS mv_a)"
	ip netns exec ns_a ping -c 2 -i 0.2 -W 1 $b >/dev/null 2>&1
	check_fail $? "private macvlan reached its sibling after the mode change"
	ip netns exec ns_a ping -c 2 -i 0.2 -W 2 192.0.2.2 >/dev/null
	check_err $? "private macvlan cannot reach the partner"
	# Nor does the sibling reach it: the NIC switches nothing to it.
	# (Its queue pair's counter would also count the partner's late
	# frames, an ARP probe say: the switch's counter is the sibling's.)
	ip -n ns_b neigh replace $a lladdr "$(ip -n ns_a -br link show mv_a | awk '{ print $3 }')" dev mv_b
	r=$(sim_counter tx_switched)
	ip netns exec ns_b ping -c 3 -i 0.2 -W 1 $a >/dev/null 2>&1
	[ "$(sim_counter tx_switched)" = "$r" ]
	check_err $? "the NIC switched the sibling's frames to the private macvlan (queue pair $qa): tx_switched $r -> $(sim_counter tx_switched)"

	ip -n ns_a link set mv_a type macvlan mode bridge
	check_err $? "cannot make mv_a bridge again"
	[ -n "$(fwd_qp $BUS mv_a)" ]
	check_err $? "mv_a not offloaded as bridge again: $(fwd_state $BUS mv_a)"
	ip netns exec ns_a ping -c 2 -i 0.2 -W 2 $b >/dev/null
	check_err $? "bridge macvlans cannot reach each other again"
	log_test "a macvlan's mode change takes effect on its queue pairs"
}

# A macvlan in a mode the NIC does not offload (source) stays on the
# software path, and the log says why however it came to be considered:
# offload turned on with it up, or a mode change from bridge.  Between
# private and vepa, which the NIC treats alike, a mode change changes
# nothing.
software_path_says_why()
{
	local mark q why="only bridge, private and vepa macvlans are offloaded"

	defer ethtool -K $DEV l2-fwd-offload on
	ethtool -K $DEV l2-fwd-offload off
	mv_add vm1 $M1 source
	check_err $? "cannot add a source macvlan"
	defer mv_del vm1
	mark=$(kmsg_mark)
	ethtool -K $DEV l2-fwd-offload on
	[ "$(fwd_state $BUS vm1)" = software ]
	check_err $? "source macvlan: $(fwd_state $BUS vm1), want software"
	kmsg_since "$mark" | grep -q "vm1: $why"
	check_err $? "offload on: no log line says why vm1 is not offloaded"

	mv_add vm2 $M2 bridge
	defer mv_del vm2
	mark=$(kmsg_mark)
	ip link set vm2 type macvlan mode source
	check_err $? "cannot make vm2 a source macvlan"
	[ "$(fwd_state $BUS vm2)" = software ]
	check_err $? "vm2 after bridge -> source: $(fwd_state $BUS vm2), want software"
	kmsg_since "$mark" | grep -q "vm2 changed mode, offloading it again" &&
		kmsg_since "$mark" | grep -q "vm2: $why"
	check_err $? "bridge -> source: the log does not say why vm2 is not offloaded: $(kmsg_since "$mark" | grep vm2)"

	mv_add vm3 $M3 private
	defer mv_del vm3
	q=$(fwd_qp $BUS vm3)
	mark=$(kmsg_mark)
	ip link set vm3 type macvlan mode vepa
	check_err $? "cannot make vm3 vepa"
	[ -n "$q" ] && [ "$(fwd_qp $BUS vm3)" = "$q" ]
	check_err $? "private -> vepa moved vm3 from queue pair $q to $(fwd_qp $BUS vm3)"
	kmsg_since "$mark" | grep -q "vm3 changed mode"
	check_fail $? "private -> vepa offloaded vm3 again"

	# Out of vepa (or private) into source leaves the NIC's path too.
	mark=$(kmsg_mark)
	ip link set vm3 type macvlan mode source
	check_err $? "cannot make vm3 a source macvlan"
	[ "$(fwd_state $BUS vm3)" = software ]
	check_err $? "vm3 after vepa -> source: $(fwd_state $BUS vm3), want software"
	kmsg_since "$mark" | grep -q "vm3: $why"
	check_err $? "vepa -> source: the log does not say why vm3 is not offloaded: $(kmsg_since "$mark" | grep vm3)"
	awk '$NF == "vm3"' /sys/kernel/debug/vmq/$BUS/queues | grep -q .
	check_fail $? "vm3 still owns queue pairs after vepa -> source"
	log_test "the log says why a macvlan is not offloaded"
}

# A software mqprio sets the NIC's traffic classes and leaves none when
# deleted: a macvlan offloaded after that cannot bind its queue pairs,
# stays on the software path and the log says why; l2-fwd-offload off
# and on gives the class back.
tc_taken_says_why()
{
	local mark

	if ! tc qdisc add dev $DEV root mqprio num_tc 1 map 0 queues 1@0 hw 0 \
		2>/dev/null; then
		log_test_skip "the log says why mqprio keeps a macvlan on the software path" \
			"no mqprio qdisc here"
		return
	fi
	tc qdisc del dev $DEV root
	check_err $? "cannot delete the mqprio qdisc"
	mark=$(kmsg_mark)
	mv_add vm1 $M1
	check_err $? "cannot add vm1"
	defer mv_del vm1
	[ "$(fwd_state $BUS vm1)" = software ]
	check_err $? "vm1 after mqprio came and went: $(fwd_state $BUS vm1), want software"
	kmsg_since "$mark" |
		grep -q "vmq: cannot bind vm1 to its queue pairs: -22 (the NIC's traffic classes changed"
	check_err $? "no log line says why vm1 is not offloaded: $(kmsg_since "$mark" | grep vm1)"
	ethtool -K $DEV l2-fwd-offload off && ethtool -K $DEV l2-fwd-offload on
	check_err $? "l2-fwd-offload off and on failed"
	[ -n "$(fwd_qp $BUS vm1)" ]
	check_err $? "vm1 after l2-fwd-offload off and on: $(fwd_state $BUS vm1), want offloaded"
	log_test "the log says why mqprio keeps a macvlan on the software path"
}

toggle_offload()
{
	local r

	mv_add vm1 $M1 && mv_add vm2 $M2
	defer mv_del vm1
	defer mv_del vm2
	ethtool -K $DEV l2-fwd-offload off
	check_err $? "cannot turn offload off"
	[ "$(fwd_state $BUS vm1)" = software ] &&
		[ "$(fwd_state $BUS vm2)" = software ]
	check_err $? "macvlans still offloaded after toggling off"
	grep -q macvlan /sys/kernel/debug/vmq/$BUS/queues
	check_fail $? "queue pairs still owned by macvlans"
	r=$(ifstat vm1 rx_packets)
	send_to $M1
	wait_rx vm1 "$r"
	check_err $? "vm1 lost traffic on the software path"
	ethtool -K $DEV l2-fwd-offload on
	[ -n "$(fwd_qp $BUS vm1)" ] && [ -n "$(fwd_qp $BUS vm2)" ]
	check_err $? "toggling on did not offload the macvlans again"
	r=$(ifstat vm1 rx_packets)
	send_to $M1
	wait_rx vm1 "$r"
	check_err $? "vm1 lost traffic after toggling on"
	log_test "toggling offload moves macvlans between paths intact"
}

churn_under_traffic()
{
	local i

	pktgen_start $PEER $M1
	defer pktgen_stop
	for i in $(seq 100); do
		mv_add vm1 $M1 || break
		ip link del vm1 || break
	done
	check_err $? "create/delete failed in round $i"
	pktgen_stop
	grep -q -E "macvlan|running +macvlan" /sys/kernel/debug/vmq/$BUS/queues
	check_fail $? "queue pairs leaked"
	grep -q "filters: 0/" /sys/kernel/debug/vmq/$BUS/info
	check_err $? "filters leaked: $(grep filters: /sys/kernel/debug/vmq/$BUS/info)"
	log_test "100 macvlan create/delete under traffic leak nothing"
}

del_device_with_macvlans()
{
	echo "2 8" > /sys/bus/vmqsim/new_device
	ip link set vmq2 up && ip link set vmq2w up
	ethtool -K vmq2 l2-fwd-offload on
	ip link add link vmq2 name dd1 type macvlan mode bridge &&
		ip link set dd1 up
	ip link add link vmq2 name dd2 type macvtap mode bridge &&
		ip link set dd2 up
	pktgen_start vmq2w "$(cat /sys/class/net/dd1/address)"
	sleep 0.3
	echo 2 > /sys/bus/vmqsim/del_device
	check_err $? "del_device failed with macvlans present"
	pktgen_stop
	[ ! -e /sys/class/net/dd1 ] && [ ! -e /sys/class/net/dd2 ]
	check_err $? "macvlans survived their lower device"
	log_test "del_device with offloaded macvlans cleans up"
}

require_root
require_cmd ethtool ip
vmqsim_setup_or_exit 8
ethtool -K $DEV l2-fwd-offload on || { echo "FAIL: no l2-fwd-offload"; exit 1; }
tests_run
exit $EXIT_STATUS
