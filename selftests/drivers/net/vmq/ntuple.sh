#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ethtool ntuple MAC/VLAN steering on the simulated VMQ NIC: rules steer
# frames sent by the link partner to their queue and only that queue's
# counters move; unmatched unicast lands on the default queue; broadcast
# reaches the default and the filtered queues; every refusal has its errno
# and a kernel log line; rules survive link down/up and pin channels.

source "$(dirname "$0")/lib.sh"

TESTS="
	steer_mac
	steer_mac_vlan
	steer_to_queue_0
	unmatched_to_default
	broadcast_once
	drop_action
	rule_listing
	rule_replace_at_location
	errors
	table_full
	survives_link_flap
	pins_channels
	ntuple_off
"

DEV=vmq0
PEER=vmq0w
MAC1=52:54:00:00:00:01
MAC2=52:54:00:00:00:02
MAC3=52:54:00:00:00:03
N=40

setup()
{
	vmqsim_setup 8 || return 1
	ethtool -L $DEV combined 4
}

# steered TEST_NAME DST VLAN WANT: send N frames, check per-queue deltas.
steered()
{
	local before msg

	before=$(qp_rx_snapshot $DEV)
	pktgen_send $PEER "$2" $N "$3"
	check_err $? "pktgen failed"
	# Delivery ends in NAPI on the vector's CPU: give it a moment.
	busywait 3000 rx_moved_by "$before" "$4"
	sleep 0.2
	msg=$(expect_rx_delta "$(qp_rx_delta "$before" \
		"$(qp_rx_snapshot $DEV)")" "$4")
	check_err $? "$1: $msg"
}

# rx_moved_by BEFORE "Q:N ...": the queues have received at least that.
rx_moved_by()
{
	local want=0 got=0 w d

	for w in $2; do
		want=$((want + ${w#*:}))
	done
	for d in $(qp_rx_delta "$1" "$(qp_rx_snapshot $DEV)"); do
		got=$((got + ${d#*:}))
	done
	[ "$got" -ge "$want" ]
}

steer_mac()
{
	ethtool -N $DEV flow-type ether dst $MAC1 action 2 >/dev/null
	check_err $? "rule insert failed"
	defer ethtool -N $DEV delete 0
	steered "MAC rule" $MAC1 - "2:$N"
	grep -q "^0 .*$MAC1 *- *2 *ethtool" /sys/kernel/debug/vmq/vmqsim0/filters
	check_err $? "core filter table does not show the rule"
	log_test "dst MAC rule steers to its queue only"
}

steer_mac_vlan()
{
	ethtool -N $DEV flow-type ether dst $MAC2 vlan 100 m 0xf000 action 3 \
		>/dev/null
	check_err $? "rule insert failed"
	defer ethtool -N $DEV delete 0
	steered "MAC+VLAN rule" $MAC2 100 "3:$N"
	steered "other VLAN" $MAC2 200 "0:$N"
	steered "untagged" $MAC2 - "0:$N"
	log_test "dst MAC + VLAN rule steers only that VLAN"
}

# flows DST: N frames from the link partner to DST, each from another
# source address, so that RSS, which hashes UDP's addresses, spreads them.
flows()
{
	pktgen_prepare $PEER "$1" $N - 60 &&
		pg_set $PEER "src_min 198.51.100.10" &&
		pg_set $PEER "src_max 198.51.100.250" &&
		echo start > "$PG/pgctrl"
}

# flows_landed DST: send flows(), print the per-queue deltas.
flows_landed()
{
	local before

	before=$(qp_rx_snapshot $DEV)
	flows "$1" || return 1
	busywait 3000 rx_moved_by "$before" "0:$N"
	sleep 0.2
	qp_rx_delta "$before" "$(qp_rx_snapshot $DEV)"
}

# "action 0" is queue pair 0, not the default queue that RSS spreads: the
# same flows to an unmatched MAC spread over the channels, with the RSS
# table spread over them too (the rig keeps it on channel 0).
steer_to_queue_0()
{
	local spread delta

	defer ethtool -X $DEV equal 1
	ethtool -X $DEV default
	check_err $? "ethtool -X $DEV default failed"
	delta=$(flows_landed $MAC3)
	check_err $? "pktgen failed"
	spread=$(echo "$delta" | tr ' ' '\n' | awk -F: '$2 > 0' | wc -l)
	[ "$spread" -gt 1 ]
	check_err $? "the flows do not spread without a rule: $delta"
	ethtool -N $DEV flow-type ether dst $MAC1 action 0 >/dev/null
	check_err $? "rule insert failed"
	defer ethtool -N $DEV delete 0
	delta=$(flows_landed $MAC1)
	check_err $? "pktgen failed"
	expect_rx_delta "$delta" "0:$N" >/dev/null
	check_err $? "action 0: the flows landed on $delta, want 0:$N"
	log_test "a rule to queue 0 steers there, not to RSS"
}

unmatched_to_default()
{
	ethtool -N $DEV flow-type ether dst $MAC1 action 2 >/dev/null
	defer ethtool -N $DEV delete 0
	steered "unmatched" $MAC3 - "0:$N"
	log_test "unmatched unicast lands on the default queue"
}

broadcast_once()
{
	ethtool -N $DEV flow-type ether dst $MAC1 action 2 >/dev/null
	defer ethtool -N $DEV delete 0
	ethtool -N $DEV flow-type ether dst $MAC2 vlan 100 m 0xf000 action 3 \
		>/dev/null
	defer ethtool -N $DEV delete 1
	# Channels 2 and 3 are the host's too: it gets each frame once.
	steered "broadcast" ff:ff:ff:ff:ff:ff - "0:$N"
	steered "multicast" 01:00:5e:00:00:fb - "0:$N"
	log_test "broadcast/multicast reach the host once, whatever its rules"
}

drop_action()
{
	local d0 d1

	ethtool -N $DEV flow-type ether dst $MAC3 action -1 >/dev/null
	check_err $? "drop rule insert failed"
	defer ethtool -N $DEV delete 0
	steered "drop" $MAC3 - ""
	ethtool -n $DEV rule 0 | grep -q "Action: Drop"
	check_err $? "rule does not read back as drop"
	log_test "action -1 drops in hardware"
}

rule_listing()
{
	local out

	ethtool -N $DEV flow-type ether dst $MAC1 action 1 loc 7 >/dev/null
	check_err $? "insert at loc 7 failed"
	defer ethtool -N $DEV delete 7
	ethtool -N $DEV flow-type ether dst $MAC2 vlan 100 m 0xf000 action 2 \
		loc 3 >/dev/null
	check_err $? "insert at loc 3 failed"
	defer ethtool -N $DEV delete 3
	out=$(ethtool -n $DEV)
	echo "$out" | grep -q "Total 2 rules"
	check_err $? "rule count not 2: $out"
	echo "$out" | grep -q "4 RX rings available"
	check_err $? "ring count not 4"
	ethtool -n $DEV rule 3 | grep -q "VLAN: 0x64 mask: 0xf000"
	check_err $? "VLAN match does not read back as 'vlan 100 m 0xf000'"
	ethtool -n $DEV rule 3 | grep -qi "Dest MAC addr: $MAC2"
	check_err $? "dst MAC does not read back"
	ethtool -n $DEV rule 7 | grep -q "Action: Direct to queue 1"
	check_err $? "action does not read back"
	grep -q "filters: 2/4096" /sys/kernel/debug/vmq/vmqsim0/info
	check_err $? "table size/usage not reported"
	log_test "rules list with count, location and table size"
}

rule_replace_at_location()
{
	ethtool -N $DEV flow-type ether dst $MAC1 action 1 loc 5 >/dev/null
	defer ethtool -N $DEV delete 5
	ethtool -N $DEV flow-type ether dst $MAC1 action 2 loc 5 >/dev/null
	check_err $? "update in place failed"
	ethtool -n $DEV | grep -q "Total 1 rules"
	check_err $? "update added a rule"
	steered "updated rule" $MAC1 - "2:$N"
	log_test "inserting at a used location updates the rule"
}

# refused WHAT ERRNO_TEXT ARGS...: the ethtool call must fail with that
# error and the kernel must say why.  (ethtool 6.1 exits 0 even when the
# kernel refuses a rule, so its message is what tells.)
refused()
{
	local what=$1 err=$2 mark out
	shift 2

	mark=$(kmsg_mark)
	out=$(ethtool -N $DEV "$@" 2>&1)
	echo "$out" | grep -q "Cannot insert RX class rule: $err"
	check_err $? "$what: expected '$err', got '$out'"
	kmsg_since "$mark" | grep -q "ntuple rule refused"
	check_err $? "$what: no kernel log line"
}

errors()
{
	local mark

	ethtool -N $DEV flow-type ether dst $MAC1 action 1 >/dev/null
	defer ethtool -N $DEV delete 0

	refused "tcp4 flow" "Operation not supported" \
		flow-type tcp4 dst-port 80 action 1
	refused "src MAC" "Operation not supported" \
		flow-type ether src $MAC2 action 1
	refused "proto" "Operation not supported" \
		flow-type ether dst $MAC2 proto 0x0800 action 1
	refused "VLAN PCP" "Operation not supported" \
		flow-type ether dst $MAC2 vlan 100 action 1
	refused "no such queue" "Invalid argument" \
		flow-type ether dst $MAC2 action 4
	refused "multicast dst" "Invalid argument" \
		flow-type ether dst 01:00:5e:00:00:01 action 1
	refused "bad location" "Invalid argument" \
		flow-type ether dst $MAC2 action 1 loc 4096
	mark=$(kmsg_mark)
	refused "duplicate" "File exists" \
		flow-type ether dst $MAC1 action 2
	kmsg_since "$mark" | grep -q "$MAC1 without a VLAN already has a filter"
	check_err $? "duplicate: the log line does not say $MAC1 without a VLAN"
	ethtool -N $DEV delete 9 2>&1 | grep -q "No such file or directory"
	check_err $? "deleting an empty location did not fail with ENOENT"
	ethtool -n $DEV | grep -q "Total 1 rules"
	check_err $? "a refused rule changed the table"
	log_test "refusals: EOPNOTSUPP, EINVAL, EEXIST, ENOENT with reasons"
}

table_full()
{
	local i

	echo "1 4 4" > /sys/bus/vmqsim/new_device
	check_err $? "cannot create a device with 4 filters"
	defer eval 'echo 1 > /sys/bus/vmqsim/del_device'
	ip link set vmq1 up
	ethtool -L vmq1 combined 2
	for i in 1 2 3 4; do
		ethtool -N vmq1 flow-type ether dst 52:54:00:00:01:0$i action 1 \
			>/dev/null
		check_err $? "rule $i of 4 refused"
	done
	DEV=vmq1 refused "fifth rule" "No space left on device" \
		flow-type ether dst 52:54:00:00:01:05 action 1
	ethtool -N vmq1 delete 2
	ethtool -N vmq1 flow-type ether dst 52:54:00:00:01:05 action 1 \
		>/dev/null
	check_err $? "freed slot not reusable"
	log_test "a full table refuses with ENOSPC"
}

survives_link_flap()
{
	ethtool -N $DEV flow-type ether dst $MAC1 action 3 >/dev/null
	defer ethtool -N $DEV delete 0
	ip link set $DEV down
	ip link set $DEV up
	busywait 2000 link_has_carrier $DEV
	ethtool -n $DEV | grep -q "Total 1 rules"
	check_err $? "rule lost on down/up"
	steered "after flap" $MAC1 - "3:$N"
	log_test "rules survive link down/up"
}

# ethtool -K ntuple off removes the rules and refuses new ones until it
# is on again, as NICs with Flow Director do.
ntuple_off()
{
	local mark out

	ethtool -N $DEV flow-type ether dst $MAC1 action 3 loc 0 >/dev/null &&
		ethtool -N $DEV flow-type ether dst $MAC2 action 2 loc 1 >/dev/null
	check_err $? "cannot add the rules"
	mark=$(kmsg_mark)
	ethtool -K $DEV ntuple off
	check_err $? "ethtool -K ntuple off failed"
	defer ethtool -K $DEV ntuple on
	ethtool -n $DEV | grep -q "Total 0 rules"
	check_err $? "rules left with ntuple off: $(ethtool -n $DEV | grep -i total)"
	kmsg_since "$mark" | grep -q "ntuple off: 2 rules removed"
	check_err $? "no log line for the rules removed"
	steered "ntuple off" $MAC1 - "0:$N"
	# ethtool -N exits 0 on a refusal too: its words decide.
	out=$(ethtool -N $DEV flow-type ether dst $MAC1 action 3 2>&1)
	echo "$out" | grep -q "Cannot insert RX class rule: Operation not supported"
	check_err $? "with ntuple off: '$out', want EOPNOTSUPP"
	ethtool -n $DEV | grep -q "Total 0 rules"
	check_err $? "a rule taken with ntuple off: $(ethtool -n $DEV | grep -i total)"
	kmsg_since "$mark" | grep -q "ntuple filters are off"
	check_err $? "no log line for the refusal"
	ethtool -K $DEV ntuple on &&
		ethtool -N $DEV flow-type ether dst $MAC1 action 3 loc 0 >/dev/null
	check_err $? "no rule again with ntuple on"
	steered "ntuple on again" $MAC1 - "3:$N"
	ethtool -N $DEV delete 0
	log_test "ntuple off removes the rules and refuses new ones"
}

pins_channels()
{
	local out

	ethtool -N $DEV flow-type ether dst $MAC1 action 3 >/dev/null
	defer ethtool -N $DEV delete 0
	out=$(ethtool -L $DEV combined 2 2>&1)
	check_fail $? "shrinking below a rule's queue was accepted"
	# 6.1 reaches the driver (EBUSY); 6.12's ethtool core refuses first.
	echo "$out" | grep -q -E "Device or resource busy|Invalid argument"
	check_err $? "unexpected error: $out"
	ethtool -l $DEV | tail -n 5 | grep -q "Combined:.*4"
	check_err $? "channel count changed"
	ethtool -L $DEV combined 6
	check_err $? "growing was refused"
	ethtool -N $DEV delete 0
	ethtool -L $DEV combined 2
	check_err $? "shrinking refused after the rule went"
	ethtool -L $DEV combined 4
	log_test "a rule's queue cannot be removed by ethtool -L"
}

require_root
require_cmd ethtool ip
defer vmqsim_teardown
vmq_load || { echo "SKIP: no vmqsim"; exit $ksft_skip; }
setup || { echo "FAIL: NIC setup"; exit 1; }
tests_run
exit $EXIT_STATUS
