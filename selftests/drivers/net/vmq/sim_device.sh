#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vmqsim devices: created and destroyed on the vmqsim bus, bad requests
# refused with an errno and a log line, the NIC and its link partner
# named as documented, the driver unbound and bound again through sysfs,
# the carrier up only when both ends are, and no way in through
# "ip link add".  The devices vmqsim makes at load (num_devices) and what
# becomes of them at unload: mod_load.sh.

source "$(dirname "$0")/lib.sh"

BUS=/sys/bus/vmqsim
VMQ_DBG=/sys/kernel/debug/vmq

TESTS="
	new_del_device
	bad_input
	duplicate_id
	filters_arg
	unbind_bind
	carrier_both_ends
	ip_link_add_refused
"

# sim_start [ID [QUEUE_PAIRS]]: the modules, loaded if they are not, and
# with ID a new device; every device goes when the test ends.
sim_start()
{
	defer vmqsim_teardown
	vmq_load || return 1
	[ $# -eq 0 ] || vmqsim_new "$@"
}

# bus_write FILE STRING: write STRING, print the shell's error if any.
bus_write()
{
	local err

	err=$( { echo "$2" > "$BUS/$1"; } 2>&1 )
	local rc=$?
	echo "$err"
	return $rc
}

new_del_device()
{
	sim_start
	check_err $? "vmqsim not loaded"
	[ -z "$(ls $BUS/devices)" ]
	check_err $? "devices before the test made any: $(ls $BUS/devices)"

	bus_write new_device "7 4" >/dev/null
	check_err $? "new_device '7 4' failed"
	ip link show dev vmq7 >/dev/null 2>&1 &&
		ip link show dev vmq7w >/dev/null 2>&1
	check_err $? "vmq7/vmq7w missing"
	ethtool -l vmq7 | grep -q "Combined:.*4"
	check_err $? "vmq7 does not have 4 queue pairs"

	bus_write new_device 1023 >/dev/null
	check_err $? "new_device 1023 failed"

	bus_write del_device 7 >/dev/null
	check_err $? "del_device 7 failed"
	ip link show dev vmq7 >/dev/null 2>&1
	check_fail $? "vmq7 still there after del_device"
	[ -d $BUS/devices/vmqsim7 ]
	check_fail $? "vmqsim7 still on the bus"
	[ -d $BUS/devices/vmqsim1023 ]
	check_err $? "deleting 7 took vmqsim1023 along"

	bus_write new_device 7 >/dev/null
	check_err $? "ID 7 not reusable after del_device"
	log_test "new_device and del_device"
}

# expect_einval FILE STRING: the write fails with EINVAL and a log line.
expect_einval()
{
	local file=$1 input=$2 mark out

	mark=$(kmsg_mark)
	out=$(bus_write "$file" "$input")
	check_fail $? "$file '$input' accepted"
	echo "$out" | grep -q "Invalid argument"
	check_err $? "$file '$input': not EINVAL: $out"
	kmsg_since "$mark" | grep -q "vmqsim: bad $file input; use: echo"
	check_err $? "$file '$input': no log line naming the format"
}

bad_input()
{
	local input

	sim_start
	for input in "x" "" "1x" "-1" "1024" "1 0" "1 65" "1 2 0" \
		     "1 2 4097" "1 2 3 4" "1 two"; do
		expect_einval new_device "$input"
	done
	expect_einval del_device "zero"
	[ -z "$(ls $BUS/devices)" ]
	check_err $? "a bad request created a device"
	bus_write del_device 5 | grep -q "No such file or directory"
	check_err $? "del_device of a missing ID is not ENOENT"
	log_test "bad input refused with EINVAL and the expected format"
}

duplicate_id()
{
	local out

	sim_start 0
	check_err $? "new_device 0 failed"
	out=$(bus_write new_device 0)
	check_fail $? "second device 0 accepted"
	echo "$out" | grep -q "File exists"
	check_err $? "duplicate ID not EEXIST: $out"
	ip link show dev vmq0 >/dev/null 2>&1
	check_err $? "the first device 0 suffered"
	log_test "duplicate ID refused with EEXIST"
}

filters_arg()
{
	sim_start
	bus_write new_device "3 8 128" >/dev/null
	check_err $? "new_device '3 8 128' failed"
	grep -q "^filters: 0/128$" $VMQ_DBG/vmqsim3/info
	check_err $? "core does not see 128 filters"
	grep -q "^queue_pairs: 8$" $VMQ_DBG/vmqsim3/info
	check_err $? "core does not see 8 queue pairs"
	bus_write new_device 4 >/dev/null
	grep -q "^filters: 0/4096$" $VMQ_DBG/vmqsim4/info
	check_err $? "default is not 4096 filters"
	grep -q "^queue_pairs: 16$" $VMQ_DBG/vmqsim4/info
	check_err $? "default is not 16 queue pairs"
	log_test "QUEUE_PAIRS and FILTERS reach the core"
}

# netdevs_of ID: "present" if both netdevs of device ID exist, else "gone".
netdevs_of()
{
	if ip link show dev "vmq$1" >/dev/null 2>&1 &&
	   ip link show dev "vmq$1w" >/dev/null 2>&1; then
		echo present
	else
		echo gone
	fi
}

unbind_bind()
{
	local drv=$BUS/drivers/vmqsim

	sim_start
	bus_write new_device "5 4" >/dev/null
	check_err $? "new_device '5 4' failed"
	[ "$(readlink -f $BUS/devices/vmqsim5/driver)" = "$(readlink -f $drv)" ]
	check_err $? "vmqsim5 is not bound to the vmqsim driver"
	ip link set vmq5 up

	bus_write drivers/vmqsim/unbind vmqsim5 >/dev/null
	check_err $? "unbind vmqsim5 failed"
	[ "$(netdevs_of 5)" = gone ]
	check_err $? "vmq5/vmq5w still there after unbind"
	[ -d $BUS/devices/vmqsim5 ] && [ ! -e $BUS/devices/vmqsim5/driver ]
	check_err $? "vmqsim5 not left on the bus, unbound"

	bus_write drivers/vmqsim/bind vmqsim5 >/dev/null
	check_err $? "bind vmqsim5 failed"
	[ "$(netdevs_of 5)" = present ]
	check_err $? "vmq5/vmq5w not back after bind"
	ethtool -l vmq5 | grep -q "Combined:.*4"
	check_err $? "vmq5 lost its 4 queue pairs over unbind and bind"
	ip link set vmq5 up && ip link set vmq5w up
	check_err $? "vmq5 cannot come up after bind"

	bus_write drivers/vmqsim/unbind vmqsim5 >/dev/null
	bus_write del_device 5 >/dev/null
	check_err $? "del_device of an unbound device failed"
	[ -d $BUS/devices/vmqsim5 ]
	check_fail $? "vmqsim5 still on the bus"
	bus_write new_device 5 >/dev/null && [ "$(netdevs_of 5)" = present ]
	check_err $? "ID 5 not reusable after unbind and del_device"
	log_test "the driver unbinds and binds again through sysfs"
}

carrier()
{
	cat "/sys/class/net/$1/carrier" 2>/dev/null || echo 0
}

# expect_carrier NIC PARTNER: both carriers read NIC, PARTNER.
expect_carrier()
{
	[ "$(carrier vmq0)" = "$1" ] && [ "$(carrier vmq0w)" = "$2" ]
	check_err $? "carrier vmq0/vmq0w is $(carrier vmq0)/$(carrier vmq0w), want $1/$2 ($3)"
}

carrier_both_ends()
{
	sim_start 0
	check_err $? "new_device 0 failed"
	ip link set vmq0 up
	expect_carrier 0 0 "only the NIC up"
	ip link set vmq0w up
	expect_carrier 1 1 "both up"
	ip link set vmq0 down
	ip link set vmq0 up
	expect_carrier 1 1 "NIC down and up again"
	ip link set vmq0w down
	expect_carrier 0 0 "partner down"
	ip link set vmq0 down
	ip link set vmq0w up
	expect_carrier 0 0 "only the partner up"
	ip link set vmq0 up
	expect_carrier 1 1 "both up again"
	ip -o link show dev vmq0 | grep -q "LOWER_UP"
	check_err $? "vmq0 not LOWER_UP"
	log_test "carrier is up on both ends iff both are up"
}

ip_link_add_refused()
{
	local out

	sim_start 0
	check_err $? "new_device 0 failed"
	out=$(ip link add name vmqx type vmqsim 2>&1)
	check_fail $? "ip link add type vmqsim succeeded"
	echo "$out" | grep -q '/sys/bus/vmqsim/new_device'
	check_err $? "no hint to the bus in: $out"
	log_test "ip link add type vmqsim points at new_device"
}

require_root
require_cmd ip ethtool modprobe
tests_run
exit $EXIT_STATUS
