#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The vmq modules load, report themselves, hold each other's references
# as their dependencies require, and unload without a trace: vmqsim's
# devices made at load (num_devices), what becomes of devices, offloaded
# macvlans, a ping flood and a VMM's device when the modules go, and the
# modules unloading after use.  The other tests leave the modules loaded
# and make their own devices; every test here that needs the modules
# fresh loads them, and unloads them when it ends.

source "$(dirname "$0")/lib.sh"

BUS=$VMQSIM_BUS
VMM="$(dirname "$(readlink -f "$0")")/vmq_vmm"
MDEVS=/sys/bus/mdev/devices
UUID1=6f3c0a5e-0000-4000-8000-000000000001
UUID2=6f3c0a5e-0000-4000-8000-000000000002
MAC1=52:54:00:00:10:01
MAC2=52:54:00:00:10:02

TESTS="
	load_core_alone
	load_sim_pulls_deps
	core_busy_while_users
	load_unload_loop
	default_device
	no_devices_at_load
	rmmod_with_devices
	rmmod_with_macvlans
	rmmod_under_flood
	rmmod_with_vmm
	register_unwind
	unload_after_use
"

load_core_alone()
{
	local mark

	vmq_unload_all
	mark=$(kmsg_mark)
	modprobe vmq
	check_err $? "modprobe vmq failed"
	mod_loaded vmq
	check_err $? "vmq not in /sys/module"
	kmsg_since "$mark" | grep -q "vmq: core .* loaded"
	check_err $? "no load message from vmq"
	rmmod vmq
	check_err $? "rmmod vmq failed"
	mod_loaded vmq
	check_fail $? "vmq still loaded after rmmod"
	kmsg_since "$mark" | grep -q "vmq: core unloaded"
	check_err $? "no unload message from vmq"
	log_test "vmq.ko loads and unloads on its own"
}

load_sim_pulls_deps()
{
	vmq_unload_all
	defer vmq_unload_all
	modprobe vmqsim
	check_err $? "modprobe vmqsim failed"
	mod_loaded vmq
	check_err $? "vmq not loaded as a dependency of vmqsim"
	mod_loaded vmq_vfio
	check_err $? "vmq_vfio not loaded along with vmqsim"
	log_test "modprobe vmqsim loads vmq and vmq_vfio"
}

core_busy_while_users()
{
	vmq_unload_all
	defer vmq_unload_all
	modprobe vmqsim
	check_err $? "modprobe vmqsim failed"
	rmmod vmq 2>/dev/null
	check_fail $? "rmmod vmq succeeded while vmqsim uses it"
	mod_loaded vmq
	check_err $? "vmq gone while vmqsim loaded"
	modprobe -r vmqsim vmq_vfio vmq
	check_err $? "modprobe -r of all three failed"
	mod_loaded vmq
	check_fail $? "vmq still loaded after modprobe -r"
	log_test "core pinned while its users are loaded"
}

load_unload_loop()
{
	local i mark

	vmq_unload_all
	mark=$(kmsg_mark)
	for i in $(seq 20); do
		modprobe vmqsim || break
		modprobe -r vmqsim vmq_vfio vmq || break
	done
	check_err $? "load/unload failed in round $i"
	[ "$(kmsg_since "$mark" | grep -c 'vmq: core .* loaded')" -eq 20 ]
	check_err $? "expected 20 core load messages"
	log_test "20 load/unload rounds"
}

# sim_load [ARGS]: a fresh vmqsim, unloaded again when the test ends.
sim_load()
{
	vmq_unload_all
	defer vmq_unload_all
	modprobe vmqsim "$@"
}

default_device()
{
	sim_load
	check_err $? "modprobe vmqsim failed"
	[ -d /sys/bus/vmqsim/devices/vmqsim0 ]
	check_err $? "no vmqsim0 on the bus"
	ip link show dev vmq0 >/dev/null 2>&1
	check_err $? "no netdev vmq0"
	ip link show dev vmq0w >/dev/null 2>&1
	check_err $? "no netdev vmq0w"
	ip -o link show dev vmq0w | grep -q "vmq0w@vmq0:"
	check_err $? "vmq0w does not show vmq0 as its link"
	[ "$(readlink -f /sys/class/net/vmq0/device)" = \
	  "$(readlink -f $BUS/devices/vmqsim0)" ]
	check_err $? "vmq0's parent is not vmqsim0"
	ethtool -i vmq0 | grep -q "driver: vmqsim"
	check_err $? "ethtool -i does not name the driver"
	[ "$(ethtool -l vmq0 | awk '/Combined/ { print $2; exit }')" = 16 ]
	check_err $? "vmq0 does not offer 16 queue pairs"
	log_test "modprobe vmqsim creates vmqsim0 with vmq0 and vmq0w"
}

# num_devices=0, with which vmq_load loads vmqsim so that each test
# makes its own devices, makes none.
no_devices_at_load()
{
	sim_load num_devices=0
	check_err $? "modprobe vmqsim num_devices=0 failed"
	[ -z "$(ls $BUS/devices)" ]
	check_err $? "num_devices=0 still created a device"
	log_test "modprobe vmqsim num_devices=0 creates no device"
}

rmmod_with_devices()
{
	local mark

	sim_load num_devices=3
	check_err $? "modprobe vmqsim num_devices=3 failed"
	ip link set vmq1 up
	ip link set vmq1w up
	ip link set vmq2 up
	mark=$(kmsg_mark)
	rmmod vmqsim
	check_err $? "rmmod vmqsim failed"
	for i in 0 1 2; do
		ip link show dev vmq$i >/dev/null 2>&1
		check_fail $? "vmq$i left behind"
	done
	[ -d $BUS ]
	check_fail $? "bus still registered"
	kmsg_since "$mark" | grep -E -q "WARNING|BUG|Oops"
	check_fail $? "kernel complained during rmmod"
	log_test "rmmod with devices present"
}

# Unloads the modules with offloaded macvlans up and traffic on, on a NIC
# set up as macvlan_offload.sh's.
rmmod_with_macvlans()
{
	vmq_unload_all
	defer vmq_unload_all
	defer pktgen_stop
	vmqsim_setup 8 && ethtool -K vmq0 l2-fwd-offload on
	check_err $? "setup failed"
	ip link add link vmq0 name rm1 type macvlan mode bridge &&
		ip link set rm1 up
	ip link add link vmq0 name rm2 type macvtap mode bridge &&
		ip link set rm2 up
	[ -n "$(fwd_qp vmqsim0 rm1)" ] && [ -n "$(fwd_qp vmqsim0 rm2)" ]
	check_err $? "macvlans not offloaded"
	pktgen_start vmq0w "$(cat /sys/class/net/rm1/address)"
	sleep 0.3
	pktgen_stop
	vmq_unload_all
	check_err $? "rmmod failed with offloaded macvlans present"
	[ ! -e /sys/class/net/rm1 ] && [ ! -e /sys/class/net/rm2 ]
	check_err $? "macvlans survived the module"
	log_test "rmmod with offloaded macvlans cleans up"
}

rmmod_under_flood()
{
	local mark

	vmq_unload_all
	defer vmq_unload_all
	modprobe vmqsim && peer_ns_setup
	check_err $? "setup failed"
	mark=$(kmsg_mark)
	flood_start
	rmmod vmqsim
	check_err $? "rmmod vmqsim under traffic failed"
	flood_stop
	mod_loaded vmqsim
	check_fail $? "vmqsim still loaded"
	kernel_quiet_since "$mark"
	check_err $? "kernel complained: $(kmsg_since "$mark" | grep -E 'WARNING|BUG|Oops|KFENCE|stalled' | head -1)"
	log_test "rmmod while a ping flood runs"
}

# vfio_load: fresh modules, device 0 with 8 queue pairs and its mdev type
# in TYPE, as vfio_queue.sh's setup.
vfio_load()
{
	vmq_unload_all || return 1
	vfio_nic_setup 8
}

vfio_unload()
{
	mdevs_remove $UUID1 $UUID2
	vmq_unload_all
}

rmmod_with_vmm()
{
	local pid

	if [ ! -x "$VMM" ]; then
		log_test_skip "rmmod with VMM" "$VMM not built"
		return
	fi
	defer vfio_unload
	vfio_load || { check_err 1 "setup failed"; log_test "rmmod with VMM"; return; }
	# The open device pins vmq_vfio, as any VFIO driver's module.
	mdev_create $UUID2 $MAC2
	: > /tmp/vmm_hold2.out
	"$VMM" -t 30 $UUID2 hold > /tmp/vmm_hold2.out 2>&1 &
	pid=$!
	vmm_wait_holding /tmp/vmm_hold2.out
	rmmod vmq_vfio 2>/dev/null
	check_fail $? "rmmod vmq_vfio succeeded with a device open"
	kill $pid
	wait $pid 2>/dev/null
	echo 1 > "$MDEVS/$UUID2/remove"
	# The NIC's driver may go: its mdevs are taken back first.
	hold_then $UUID1 $MAC1 rmmod vmqsim
	mod_loaded vmqsim
	check_fail $? "vmqsim still loaded"
	rmmod vmq_vfio
	check_err $? "rmmod vmq_vfio failed once unused"
	log_test "rmmod with a VMM attached: in use, or request then wait"
}

# The core's last registration step (the CPU hotplug instance) fails for
# REG_FAILS devices in a row: each new_device must fail, and every object
# the modules allocated for it must be freed again.  Each leaked
# interrupt mask is one object per queue pair, REG_FAILS * 16 together.
# Counted against freshly loaded modules that have had no device yet:
# after other tests, objects of their devices still on their way out
# (RCU, work items) could be freed in the same caches meanwhile and hide
# a leak.
REG_FAILS=20

register_unwind()
{
	local knob=/sys/kernel/debug/vmq/fail_cpuhp_add before i ok=0

	vmq_unload_all && modprobe vmqsim num_devices=0
	check_err $? "modprobe vmqsim failed"
	defer vmq_unload_all
	if [ ! -r /sys/kernel/debug/slab/kmalloc-8/alloc_traces ]; then
		log_test_skip "failed registration unwinds" \
			"no allocation traces (slub_debug=U) in debugfs"
		return
	fi
	before=$(slab_ours)
	echo $REG_FAILS > $knob
	check_err $? "no $knob"
	for i in $(seq $REG_FAILS); do
		echo "$i 16" > /sys/bus/vmqsim/new_device 2>/dev/null && ok=$((ok + 1))
	done
	check_err $ok "$ok of $REG_FAILS registrations succeeded"
	[ "$(cat $knob)" = 0 ]
	check_err $? "$knob not used up: $(cat $knob)"
	[ -z "$(ls /sys/bus/vmqsim/devices)" ]
	check_err $? "devices left: $(ls /sys/bus/vmqsim/devices)"
	busywait 10000 eval 'slab_grown "$before" 0 /tmp > /tmp/slab.grown'
	check_err $? "objects left behind (cache before after):
$(cat /tmp/slab.grown)
by site and caller:
$(diff /tmp/slab.before /tmp/slab.after | grep '^[-+][^-+]')"
	echo "0 16" > /sys/bus/vmqsim/new_device && ip link set vmq0 up
	check_err $? "no device registers after the failures"
	log_test "failed registration unwinds: nothing leaked, next one works"
}

# After a NIC with all that hangs off it (an offloaded macvlan, an ntuple
# rule, an mdev a VMM held) has come and gone, each module's references
# are the modules linking against it, as churn.sh checks after its
# churn, and all three unload.
unload_after_use()
{
	defer vfio_unload
	vfio_load || { check_err 1 "setup failed"; log_test "unload after use"; return; }
	ethtool -K vmq0 l2-fwd-offload on &&
		ip link add link vmq0 name ua1 type macvlan mode bridge &&
		ip link set ua1 up
	check_err $? "no offloaded macvlan"
	ethtool -N vmq0 flow-type ether dst $MAC2 action 0 >/dev/null
	check_err $? "no ntuple rule"
	if [ -x "$VMM" ]; then
		hold_then $UUID1 $MAC1 sh -c "echo 0 > $BUS/del_device"
	else
		mdev_create $UUID1 $MAC1
		check_err $? "mdev create failed"
		echo 0 > $BUS/del_device
		check_err $? "del_device failed"
	fi
	check_module_refs
	modprobe -r vmqsim vmq_vfio vmq
	check_err $? "modprobe -r vmqsim vmq_vfio vmq failed"
	! mod_loaded vmqsim && ! mod_loaded vmq_vfio && ! mod_loaded vmq
	check_err $? "a module is still loaded"
	log_test "after use: references only each other's, modules unload"
}

require_root
require_cmd ip ethtool modprobe ping
tests_run
exit $EXIT_STATUS
