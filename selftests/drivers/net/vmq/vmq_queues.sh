#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The admin command tools/vmq-queues (vmq.rst, "Admin guide"): per queue
# pair its state, owner and name, MAC, VLAN, vector, CPU and counters,
# as text and as JSON, against a known setup: two host channels, an
# offloaded macvlan, a VFIO mdev with a MAC and VLAN, free queue pairs;
# then the NIC down, and a netdev that is not a vmq device.

source "$(dirname "$0")/lib.sh"

TESTS="
	text
	json
	nic_down
	not_vmq
"

DEV=vmq0
PEER=vmq0w
BUS=vmqsim0
QPS=8
CMD="$(dirname "$(readlink -f "$0")")/../../../../tools/vmq-queues"
MDEVS=/sys/bus/mdev/devices
UUID=6f3c0a5e-0000-4000-8000-000000000e01
MV_MAC=52:54:00:00:18:01
VM_MAC=52:54:00:00:18:02
MVQ=
VMQ=

# row QP: the text line of queue pair QP.
row()
{
	"$CMD" $DEV | awk -v q="$1" '$1 == q'
}

# expect_row QP STATE OWNER NAME "MAC VLAN": those columns; prints a
# mismatch.
expect_row()
{
	local r

	r=$(row "$1" | awk '{ print $2, $3, $4, $5, $6 }')
	[ "$r" = "$2 $3 $4 $5" ] || { echo "qp $1: '$r', want '$2 $3 $4 $5'"; return 1; }
}

setup()
{
	ethtool -L $DEV combined 2 && ethtool -K $DEV l2-fwd-offload on &&
		ip link add link $DEV name mv1 address $MV_MAC type macvlan &&
		ip link set mv1 up || return 1
	MVQ=$(fwd_qp $BUS mv1)
	modprobe vfio_iommu_type1 && TYPE=$(vmq_mdev_type $BUS) &&
		mdev_create $UUID $VM_MAC 100 || return 1
	VMQ=$(cat "$MDEVS/$UUID/vmq/qp")
}

text()
{
	local nicmac irq cpu r before

	nicmac=$(cat /sys/class/net/$DEV/address)
	"$CMD" | head -n1 | grep -q "^$DEV (vmqsim/$BUS): $QPS queue pairs"
	check_err $? "header: $("$CMD" | head -n1)"
	expect_row 0 running host $DEV "$nicmac -"
	check_err $? "host channel 0"
	expect_row 1 running host $DEV "$nicmac -"
	check_err $? "host channel 1"
	expect_row "$MVQ" running macvlan mv1 "$MV_MAC -"
	check_err $? "the macvlan's queue pair"
	expect_row "$VMQ" disabled vfio $UUID "$VM_MAC 100"
	check_err $? "the mdev's queue pair"
	for q in $(seq 0 $((QPS - 1))); do
		[ "$q" = 0 ] || [ "$q" = 1 ] || [ "$q" = "$MVQ" ] ||
			[ "$q" = "$VMQ" ] && continue
		expect_row "$q" free - - "- -"
		check_err $? "free queue pair $q"
	done
	irq=$(qp_irq $DEV "$MVQ")
	cpu=$(irq_eff_cpu "$irq")
	r=$(row "$MVQ" | awk '{ print $7, $8 }')
	[ "$r" = "$irq $cpu" ]
	check_err $? "the macvlan's vector and CPU: '$r', want '$irq $cpu'"
	before=$(row "$MVQ" | awk '{ print $9 }')
	pktgen_send $PEER $MV_MAC 20
	busywait 3000 eval '[ "$(row "$MVQ" | awk "{ print \$9 }")" -ge $((before + 20)) ]'
	check_err $? "the macvlan's received packets did not move by 20"
	log_test "text: state, owner, name, MAC, VLAN, vector, CPU, counters"
}

json()
{
	local out nicmac

	out=$("$CMD" --json $DEV)
	check_err $? "--json failed"
	nicmac=$(cat /sys/class/net/$DEV/address)
	for want in "{\"ifname\":\"$DEV\",\"devlink\":\"vmqsim/$BUS\",\"queue_pairs\":[" \
		"{\"qp\":0,\"state\":\"running\",\"owner\":\"host\",\"name\":\"$DEV\",\"mac\":\"$nicmac\",\"vlan\":null," \
		"{\"qp\":$MVQ,\"state\":\"running\",\"owner\":\"macvlan\",\"name\":\"mv1\",\"mac\":\"$MV_MAC\",\"vlan\":null," \
		"{\"qp\":$VMQ,\"state\":\"disabled\",\"owner\":\"vfio\",\"name\":\"$UUID\",\"mac\":\"$VM_MAC\",\"vlan\":100,"; do
		echo "$out" | grep -qF "$want"
		check_err $? "JSON lacks $want"
	done
	[ "$(echo "$out" | grep -o '{"qp":' | wc -l)" = $QPS ] &&
		[ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q ']}$'
	check_err $? "JSON: not one object of $QPS queue pairs: $out"
	log_test "--json: one object per NIC with every queue pair"
}

nic_down()
{
	ip link set $DEV down && defer ip link set $DEV up
	expect_row 0 stopped host $DEV "$(cat /sys/class/net/$DEV/address) -"
	check_err $? "host channel 0 with the NIC down"
	log_test "the NIC down: its queue pairs stopped"
}

not_vmq()
{
	local out

	out=$("$CMD" lo 2>&1)
	[ $? = 1 ] && echo "$out" | grep -q "lo is not a vmq device"
	check_err $? "lo: '$out'"
	log_test "a netdev that is not a vmq device: exit 1, said why"
}

require_root
require_cmd ethtool ip devlink
[ -x "$CMD" ] || { echo "SKIP: $CMD missing"; exit "$ksft_skip"; }
vmqsim_setup_or_exit $QPS
defer mdevs_remove $UUID
setup || { echo "FAIL: setup"; exit 1; }
tests_run
exit $EXIT_STATUS
