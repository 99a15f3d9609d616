#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What other tenants, the host admin and races must not break (issue 11):
# ring sizes the silicon can index, anti-spoofing without an admin MAC,
# frames queued across a VLAN change, frames longer than MAX_FRAME or the
# posted buffer, completion interrupts while the NIC goes down, and a
# guest queue stopped under a broadcast flood.  The races are widened
# with vmqsim's debugfs delay knobs.  (A device registration that fails
# half way, which wants freshly loaded modules to count their objects
# against: mod_load.sh.)

source "$(dirname "$0")/lib.sh"

VMM="$(dirname "$(readlink -f "$0")")/vmq_vmm"
MDEVS=/sys/bus/mdev/devices
DBG=/sys/kernel/debug/vmqsim/0
UUID1=6f3c0a5e-0000-4000-8000-000000000011
MAC1=52:54:00:00:11:01
QPS=4

TESTS="
	ring_pow2
	spoof_nomac
	vlan_change
	access_port_rx
	rx_too_long
	irq_nic_down
	stop_race
"

setup()
{
	vfio_nic_setup $QPS || return 1
	# Queue pairs for guests, however many CPUs the host stack has.
	ethtool -L vmq0 combined 2 || return 1
	mdev_create $UUID1 "${1:-}"
}

teardown()
{
	mdevs_remove $UUID1
	vmqsim_teardown
}

# vmm CASE...: run the test VMM on UUID1, show its output, keep its status.
vmm()
{
	"$VMM" -t 3 -b /sys/kernel/debug/vmqsim/0/backlog $UUID1 "$@" \
		> /tmp/vmq_vmm.out 2>&1
	local rc=$?

	sed 's/^/\t/' /tmp/vmq_vmm.out
	return $rc
}

ring_pow2()
{
	local mark

	defer vmqsim_teardown
	vmqsim_setup $QPS || { check_err 1 "setup failed"; log_test "ring sizes"; return; }
	mark=$(kmsg_mark)
	ethtool -G vmq0 rx 300 2>/dev/null
	check_fail $? "ethtool -G rx 300 accepted"
	ethtool -G vmq0 rx 256 tx 100 2>/dev/null
	check_fail $? "ethtool -G tx 100 accepted"
	kmsg_since "$mark" | grep -q "want powers of two"
	check_err $? "no log line for the refused ring size"
	ethtool -g vmq0 | awk '/^Current/ { c = 1 } c && /^(RX|TX):/ { print $2 }' |
		grep -qvx 256
	check_fail $? "a refused ring size changed the rings"
	ethtool -G vmq0 rx 512 tx 64
	check_err $? "ethtool -G rx 512 tx 64 refused"
	log_test "ethtool -G: ring sizes not a power of two refused (EINVAL)"
}

spoof_nomac()
{
	defer teardown
	setup || { check_err 1 "setup failed"; log_test "anti-spoofing without MAC"; return; }
	vmm nomac
	check_err $? "test VMM failed"
	log_test "anti-spoofing without an admin MAC: nothing sent, not even from 00:00:00:00:00:00"
}

vlan_change()
{
	defer teardown
	setup $MAC1 || { check_err 1 "setup failed"; log_test "VLAN change"; return; }
	vmm vlan-change
	check_err $? "test VMM failed"
	log_test "VLAN change: frames queued for the old VLAN dropped and counted, never rewritten"
}

access_port_rx()
{
	defer teardown
	setup $MAC1 || { check_err 1 "setup failed"; log_test "access port receive"; return; }
	vmm access-rx access-batch
	check_err $? "test VMM failed as an access port"
	echo 1 > $MDEVS/$UUID1/vmq/trunk
	check_err $? "cannot make the queue a trunk"
	vmm trunk-rx
	check_err $? "test VMM failed as a trunk port"
	log_test "access port: tagged frames kept out, counted, alone or in a burst; a trunk port gets them in band"
}

rx_too_long()
{
	defer teardown
	setup $MAC1 || { check_err 1 "setup failed"; log_test "frames too long"; return; }
	# The partner may send frames longer than the NIC's MTU allows, and
	# tagged ones, which only a trunk port takes.
	ip link set vmq0w mtu 3000 && echo 1 > $MDEVS/$UUID1/vmq/trunk
	check_err $? "cannot raise vmq0w's MTU or make the queue a trunk"
	vmm rx-toolong bad-rxlen
	check_err $? "test VMM failed"
	log_test "frames longer than MAX_FRAME (MTU + 18) or the buffer: dropped and counted, queue runs"
}

irq_nic_down()
{
	local pid

	defer teardown
	setup $MAC1 || { check_err 1 "setup failed"; log_test "irq while NIC goes down"; return; }
	echo 10000 > $DBG/guest_raise_delay_us
	check_err $? "no guest_raise_delay_us knob"
	(while :; do
		ip link set vmq0 down
		ip link set vmq0 up
		sleep 0.01
	done) &
	pid=$!
	vmm irq-down
	check_err $? "test VMM failed"
	kill $pid
	wait $pid 2>/dev/null
	echo 0 > $DBG/guest_raise_delay_us
	log_test "completion interrupts reach the VMM while the NIC goes down"
}

stop_race()
{
	defer teardown
	setup $MAC1 || { check_err 1 "setup failed"; log_test "stop under flood"; return; }
	echo 300 > $DBG/guest_rx_delay_us
	check_err $? "no guest_rx_delay_us knob"
	vmm stop-race
	check_err $? "test VMM failed"
	echo 0 > $DBG/guest_rx_delay_us
	log_test "guest queue stopped under a broadcast flood: no use after free"
}

require_root
[ -x "$VMM" ] || { echo "SKIP: $VMM not built"; exit $ksft_skip; }
tests_run
exit $EXIT_STATUS
