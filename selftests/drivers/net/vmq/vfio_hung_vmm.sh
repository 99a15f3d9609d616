#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A VMM that hangs holds up nobody but itself: not RTNL, not the NIC's
# configuration, not the admin's mdev attributes, not another VMM, not
# another NIC, not another client module of the core (vmq_vdpa) loading
# or unloading.  One VMM's guest memory faults into a userfaultfd it never
# serves while the NIC writes there, or while its own ENABLE reads a
# ring there; another ignores the host's request to give its device
# back.  A VMM killed while the NIC waits in its memory exits, even with
# a thread of its own waiting behind the NIC.

source "$(dirname "$0")/lib.sh"

VMM="$(dirname "$(readlink -f "$0")")/vmq_vmm"
BUS=vmqsim0
MDEVS=/sys/bus/mdev/devices
UUID1=6f3c0a5e-0000-4000-8000-000000000011
UUID2=6f3c0a5e-0000-4000-8000-000000000012
UUID3=6f3c0a5e-0000-4000-8000-000000000013
MAC1=52:54:00:00:11:01
MAC2=52:54:00:00:11:02
QPS=8

TESTS="
	stuck_guest_memory
	stuck_enable
	stuck_vmm_killed
	stuck_vmm_killed_device_first
	stuck_vmm_killed_mapping
	stuck_vmm_killed_two_devices
	del_device_alone
	del_device_clients
"

setup()
{
	vfio_nic_setup $QPS
}

teardown()
{
	mdevs_remove $UUID1 $UUID2 $UUID3
	vmqsim_teardown
}

# gone PID: the process has finished its exit (gone or a zombie).
gone()
{
	[ ! -e /proc/$1/stat ] || [ "$(awk '{ print $3 }' /proc/$1/stat)" = Z ]
}

channels()
{
	ethtool -l vmq0 | awk '/Combined/ { c = $2 } END { print c }'
}

# stuck_vmm UUID SECS OUT [CASE [OPTION...]]: start a VMM whose engine is
# stuck in guest memory (CASE stuck, stuck-exit, stuck-map or stuck-two),
# with the test VMM's OPTIONs; sets PID.  Returns 4 if the kernel has no
# userfaultfd.
stuck_vmm()
{
	local uuid=$1 secs=$2 out=$3 case=${4:-stuck}

	shift $(($# < 4 ? $# : 4))
	# Not the last VMM's lines: see vmm_wait_holding in lib.sh.
	: > "$out"
	"$VMM" -t "$secs" "$@" "$uuid" "$case" > "$out" 2>&1 &
	PID=$!
	busywait 20000 grep -q "holding the device\|^SKIP\|FAIL" "$out"
	grep -q "^SKIP" "$out" && return 4
	grep -q "holding the device" "$out"
}

stuck_guest_memory()
{
	local ch rc

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "stuck guest memory"; return; }
	mdev_create $UUID1 $MAC1 && mdev_create $UUID2 $MAC2
	check_err $? "mdev create failed"
	stuck_vmm $UUID1 25 /tmp/vmm_stuck.out
	rc=$?
	if [ $rc -eq 4 ]; then
		wait $PID
		log_test_skip "stuck guest memory" "no userfaultfd"
		return
	fi
	check_err $rc "the VMM's engine did not get stuck"

	within 5 ip link set vmq0 down
	check_err $? "ip link set vmq0 down waited for the stuck VMM"
	within 5 ip link set vmq0 up
	check_err $? "ip link set vmq0 up waited for the stuck VMM"
	ch=$(channels)
	within 5 ethtool -L vmq0 combined 1
	check_err $? "ethtool -L waited for the stuck VMM"
	within 5 ethtool -L vmq0 combined "$ch"
	check_err $? "ethtool -L back waited for the stuck VMM"
	within 30 "$VMM" -t 5 $UUID2 rx tx
	check_err $? "another VMM's queue waited for the stuck one"

	kill -USR1 $PID
	wait $PID
	check_err $? "the stuck VMM's own checks failed"
	sed 's/^/\t/' /tmp/vmm_stuck.out
	log_test "stuck guest memory: RTNL, ethtool and other VMMs go on"
}

stuck_enable()
{
	local rc

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "stuck enable"; return; }
	mdev_create $UUID1 $MAC1
	check_err $? "mdev create failed"
	"$VMM" -t 10 $UUID1 stuck-enable > /tmp/vmm_stuck.out 2>&1
	rc=$?
	sed 's/^/\t/' /tmp/vmm_stuck.out
	if [ $rc -eq 4 ]; then
		log_test_skip "stuck enable" "no userfaultfd"
		return
	fi
	check_err $rc "the admin's vlan write waited for the VMM"
	log_test "stuck enable: the admin's mdev attributes go on"
}

# killed_while_stuck CASE TITLE [UUID2]: kill -9 a VMM (test VMM case
# CASE, with a second device UUID2 if given) whose engine waits in its
# guest memory; its exit must finish and the mdevs go.
killed_while_stuck()
{
	local rc

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "$2"; return; }
	mdev_create $UUID1 $MAC1 && { [ -z "$3" ] || mdev_create "$3" $MAC2; }
	check_err $? "mdev create failed"
	stuck_vmm $UUID1 60 /tmp/vmm_stuck.out "$1" ${3:+-u "$3"}
	rc=$?
	if [ $rc -eq 4 ]; then
		wait $PID
		log_test_skip "$2" "no userfaultfd"
		return
	fi
	check_err $rc "the VMM's engine did not get stuck"
	sed 's/^/\t/' /tmp/vmm_stuck.out
	kill -9 $PID
	busywait 10000 gone $PID
	check_err $? "the killed VMM's exit waits for its own memory: $(head -3 /proc/$PID/stack 2>/dev/null | tr '\n' ' ')"
	if gone $PID; then
		wait $PID 2>/dev/null
		within 10 sh -c "echo 1 > $MDEVS/$UUID1/remove"
		check_err $? "mdev remove after the kill failed"
		[ -z "$3" ] || within 10 sh -c "echo 1 > $MDEVS/$3/remove"
		check_err $? "second mdev remove after the kill failed"
	fi
	! grep "^FAIL" /tmp/vmm_stuck.out
	check_err $? "$(grep -m1 "^FAIL" /tmp/vmm_stuck.out)"
	log_test "$2"
}

# The VMM's userfaultfd has the higher fd number: released first as the
# VMM exits, it serves the fault before the device's close.
stuck_vmm_killed()
{
	killed_while_stuck stuck \
		"stuck VMM killed: its teardown waits for its own memory only"
}

# The device fd has the higher number: its close comes first, and the
# fault is served (by the userfaultfd's release) only after it.
stuck_vmm_killed_device_first()
{
	killed_while_stuck stuck-exit \
		"stuck VMM killed, device first: its close does not wait for its memory"
}

# Another thread of the VMM maps guest RAM, and waits for the container
# lock VFIO holds while the NIC is in the memory: the VMM's files (its
# userfaultfd, its device) are not released while that thread is there.
stuck_vmm_killed_mapping()
{
	killed_while_stuck stuck-map \
		"stuck VMM killed while it maps memory: its exit does not wait"
}

# Two vmq devices of the VMM share its container: the second's engine
# waits for the container lock behind the first's, and the second's fd,
# the higher, is released first.
stuck_vmm_killed_two_devices()
{
	killed_while_stuck stuck-two \
		"stuck VMM killed with two devices in one container: it exits" \
		$UUID2
}

del_device_alone()
{
	defer teardown
	setup || { check_err 1 "setup failed"; log_test "del_device alone"; return; }
	mdev_create $UUID1 $MAC1
	check_err $? "mdev create failed"
	deaf_vmm $UUID1
	check_err $? "VMM did not start"
	del_device0_asking

	within 10 sh -c "echo 1 > /sys/bus/vmqsim/new_device"
	check_err $? "new_device 1 waited for device 0's VMM"
	within 10 sh -c "echo $UUID3 > /sys/class/mdev_bus/vmqsim1/mdev_supported_types/vmqsim-qp/create"
	check_err $? "no mdev on device 1"
	within 10 sh -c "echo 1 > $MDEVS/$UUID3/remove"
	check_err $? "mdev remove on device 1 failed"
	within 10 sh -c "echo 1 > /sys/bus/vmqsim/del_device"
	check_err $? "del_device 1 waited for device 0's VMM"
	del_device0_done
	log_test "del_device waiting for a VMM holds up no other device"
}

# deaf_vmm UUID: a VMM that holds the mdev and ignores the host's request
# for it back; sets PID.
deaf_vmm()
{
	: > /tmp/vmm_deaf.out
	"$VMM" -t 25 "$1" deaf > /tmp/vmm_deaf.out 2>&1 &
	PID=$!
	busywait 10000 grep -q "holding the device" /tmp/vmm_deaf.out
}

# del_device0_asking: "del_device 0" in the background (DEL_PID), once it
# has asked the deaf VMM (PID) for its device.
del_device0_asking()
{
	local mark

	mark=$(kmsg_mark)
	(echo 0 > /sys/bus/vmqsim/del_device) &
	DEL_PID=$!
	busywait 10000 eval 'kmsg_since "$mark" | grep -q "asking the VMM"'
	check_err $? "del_device 0 did not ask the VMM"
}

# del_device0_done: del_device 0 still waits for the VMM; let the VMM go,
# and device 0 goes.
del_device0_done()
{
	kill -0 $DEL_PID 2>/dev/null
	check_err $? "del_device 0 did not wait for its VMM"
	kill -USR1 $PID
	wait $PID
	check_err $? "VMM failed"
	sed 's/^/\t/' /tmp/vmm_deaf.out
	wait $DEL_PID
	check_err $? "del_device 0 failed"
	[ ! -e /sys/bus/vmqsim/devices/vmqsim0 ]
	check_err $? "device 0 still there"
}

# vdpa_mgmt ID: vmq_vdpa made vmqsim device ID a vDPA management device.
vdpa_mgmt()
{
	[ -d /sys/bus/vdpa ] && vdpa mgmtdev show 2>/dev/null |
		grep -q "^vmqsim/vmqsim$1:"
}

del_device_clients()
{
	if ! modinfo vmq_vdpa >/dev/null 2>&1 || ! modprobe vdpa 2>/dev/null; then
		log_test_skip "del_device and client modules" \
			"no vDPA on $(uname -r): vmq_vfio is the only client"
		return
	fi
	defer teardown
	setup || { check_err 1 "setup failed"; log_test "del_device and client modules"; return; }
	# vmq_vdpa before vmq_vfio: device 0's removal then asks vmq_vfio
	# first, and vmq_vdpa's link to it is still there while that waits.
	{ ! mod_loaded vmq_vdpa || rmmod vmq_vdpa; } && rmmod vmq_vfio &&
		modprobe vmq_vdpa && modprobe vmq_vfio &&
		busywait 5000 vdpa_mgmt 0 && mdev_create $UUID1 $MAC1
	check_err $? "client modules vmq_vdpa then vmq_vfio, and an mdev"
	deaf_vmm $UUID1
	check_err $? "VMM did not start"
	del_device0_asking

	within 10 rmmod vmq_vdpa
	check_err $? "rmmod vmq_vdpa waited for device 0's VMM"
	within 10 modprobe vmq_vdpa
	check_err $? "modprobe vmq_vdpa waited for device 0's VMM"
	! vdpa_mgmt 0
	check_err $? "vmq_vdpa attached to device 0, which is going"
	within 10 sh -c "echo 1 > /sys/bus/vmqsim/new_device"
	check_err $? "new_device 1 waited for device 0's VMM"
	vdpa_mgmt 1
	check_err $? "vmq_vdpa did not attach to device 1"
	within 10 sh -c "echo 1 > /sys/bus/vmqsim/del_device"
	check_err $? "del_device 1 waited for device 0's VMM"
	del_device0_done
	log_test "del_device waiting for a VMM holds up no client module"
}

require_root
[ -x "$VMM" ] || { echo "SKIP: $VMM not built"; exit $ksft_skip; }
tests_run
exit $EXIT_STATUS
