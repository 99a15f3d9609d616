#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The host admin's mac, vlan and spoofchk attributes of a vmq_vfio mdev:
# changing them moves the queue's filter in place, so a full filter table
# is no reason to refuse; and writers of different attributes at once
# all keep their value.

source "$(dirname "$0")/lib.sh"

BUS=vmqsim0
MDEVS=/sys/bus/mdev/devices
UUID1=6f3c0a5e-0000-4000-8000-000000000021
MAC1=52:54:00:00:21:01
MAC2=52:54:00:00:21:02
DELAY=/sys/module/vmq_vfio/parameters/attr_delay_ms

TESTS="
	move_in_full_table
	concurrent_writers
"

# setup QUEUE_PAIRS FILTERS: one NIC, up, with its mdev type.
setup()
{
	vmq_load || return 1
	vmqsim_new 0 "$1" "$2" || return 1
	sysctl -qw net.ipv6.conf.vmq0.disable_ipv6=1
	sysctl -qw net.ipv6.conf.vmq0w.disable_ipv6=1
	ip link set vmq0 up && ip link set vmq0w up || return 1
	modprobe vfio_iommu_type1 || return 1
	TYPE=$(ls -d /sys/class/mdev_bus/$BUS/mdev_supported_types/*-qp 2>/dev/null)
	[ -d "$TYPE" ]
}

teardown()
{
	[ -e $MDEVS/$UUID1 ] && echo 1 > $MDEVS/$UUID1/remove
	# Puts attr_delay_ms back too, should concurrent_writers fail
	# before its own defer.
	vmqsim_teardown
}

filters()
{
	cat /sys/kernel/debug/vmq/$BUS/filters
}

# has_filter MAC VLAN QP: the core steers MAC/VLAN ("-": none) to QP for vfio.
has_filter()
{
	filters | grep -q "$1 $2 *$3 *vfio"
}

move_in_full_table()
{
	local a=$MDEVS/$UUID1/vmq qp i out

	defer teardown
	setup 8 4 || { check_err 1 "setup failed"; log_test "move in a full table"; return; }
	echo $UUID1 > "$TYPE/create" && echo $MAC1 > $a/mac
	check_err $? "mdev create failed"
	qp=$(cat $a/qp)
	for i in 1 2 3; do
		out=$(ethtool -N vmq0 flow-type ether dst 52:54:00:00:22:0$i action 0 2>&1)
		! echo "$out" | grep -q "Cannot insert"
		check_err $? "ethtool rule $i refused: $out"
	done
	out=$(ethtool -N vmq0 flow-type ether dst 52:54:00:00:22:09 action 0 2>&1)
	echo "$out" | grep -q "Cannot insert"
	check_err $? "the filter table of 4 is not full"

	echo $MAC2 > $a/mac
	check_err $? "changing the MAC with the table full failed"
	has_filter $MAC2 - "$qp" && ! filters | grep -q $MAC1
	check_err $? "filter not moved to $MAC2: $(filters | tr '\n' '|')"
	echo 100 > $a/vlan
	check_err $? "changing the VLAN with the table full failed"
	has_filter $MAC2 100 "$qp"
	check_err $? "filter not moved to vlan 100: $(filters | tr '\n' '|')"
	[ "$(cat $a/mac) $(cat $a/vlan)" = "$MAC2 100" ]
	check_err $? "attributes read $(cat $a/mac) $(cat $a/vlan)"
	echo 0 > $a/vlan
	check_err $? "changing the VLAN back with the table full failed"
	(echo 52:54:00:00:22:01 > $a/mac) 2>/dev/null
	check_fail $? "moving onto an ethtool rule's MAC succeeded"
	has_filter $MAC2 - "$qp" && [ "$(filters | grep -c vfio)" -eq 1 ]
	check_err $? "a refused move changed the table: $(filters | tr '\n' '|')"
	log_test "mac/vlan change moves the filter in place, table full"
}

concurrent_writers()
{
	local a=$MDEVS/$UUID1/vmq qp r mac vlan sp got

	defer teardown
	setup 8 64 || { check_err 1 "setup failed"; log_test "concurrent writers"; return; }
	[ -w $DELAY ]
	check_err $? "no $DELAY knob"
	echo $UUID1 > "$TYPE/create" && echo $MAC1 > $a/mac
	check_err $? "mdev create failed"
	qp=$(cat $a/qp)
	# Every writer reads the others' settings, then waits: a writer that
	# read them outside the lock puts back what it read.
	echo 200 > $DELAY
	defer sh -c "echo 0 > $DELAY"
	for r in 1 2 3 4; do
		mac=52:54:00:00:23:0$r
		vlan=$((100 + r))
		sp=$((r % 2))
		echo $mac > $a/mac &
		echo $vlan > $a/vlan &
		echo $sp > $a/spoofchk &
		wait
		got="$(cat $a/mac) $(cat $a/vlan) $(cat $a/spoofchk)"
		[ "$got" = "$mac $vlan $sp" ]
		check_err $? "round $r: wrote $mac $vlan $sp, got $got"
		has_filter $mac $vlan "$qp"
		check_err $? "round $r: no filter for $mac vlan $vlan"
	done
	log_test "concurrent mac/vlan/spoofchk writers all keep their value"
}

require_root
tests_run
exit $EXIT_STATUS
