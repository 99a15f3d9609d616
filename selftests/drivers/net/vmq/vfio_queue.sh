#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Queue pairs in guest memory: vmq_vfio mediated devices on vmqsim.
# The mdev type and its admin attributes; a test VMM (vmq_vmm) receiving
# and transmitting through guest memory; every misbehaving-guest case;
# two VMMs isolated from each other; and the ways a VMM and its device
# part: close, kill, mdev removal, del_device (rmmod: mod_load.sh).

source "$(dirname "$0")/lib.sh"

VMM="$(dirname "$(readlink -f "$0")")/vmq_vmm"
BUS=vmqsim0
PARENT=/sys/class/mdev_bus/$BUS
MDEVS=/sys/bus/mdev/devices
UUID1=6f3c0a5e-0000-4000-8000-000000000001
UUID2=6f3c0a5e-0000-4000-8000-000000000002
MAC1=52:54:00:00:10:01
MAC2=52:54:00:00:10:02
QPS=8

TESTS="
	mdev_type
	mdev_exhaust
	admin_attrs
	views
	guest_rx
	unused_offsets
	guest_pin
	guest_batch
	guest_stop_count
	guest_moderation
	guest_tx
	guest_vlan
	guest_trunk
	guest_no_pause
	bad_guest
	engine_cgroup
	engine_cgroup_net_prio
	engine_kept
	engine_rejoin
	two_vmms
	vmm_close_and_kill
	remove_with_vmm
	del_device_with_vmm
"

setup()
{
	vfio_nic_setup $QPS
}

teardown()
{
	mdevs_remove $UUID1 $UUID2
	vmqsim_teardown
}

avail()
{
	cat "$TYPE/available_instances"
}

mdev_remove()
{
	echo 1 > "$MDEVS/$1/remove"
}

mdev_qp()
{
	cat "$MDEVS/$1/vmq/qp"
}

# expect_write_fail FILE VALUE LOGPATTERN: refused with a log line.
expect_write_fail()
{
	local mark

	mark=$(kmsg_mark)
	(echo "$2" > "$1") 2>/dev/null
	check_fail $? "writing '$2' to $1 succeeded"
	kmsg_since "$mark" | grep -q "$3"
	check_err $? "no log line matching '$3' for '$2' > $1"
}

# vmm UUID CASE...: run the test VMM, show its output, keep its status.
vmm()
{
	"$VMM" -t 3 "$@" > /tmp/vmq_vmm.out 2>&1
	local rc=$?

	sed 's/^/\t/' /tmp/vmq_vmm.out
	return $rc
}

mdev_type()
{
	local n

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "mdev type"; return; }
	[ "$(cat "$TYPE/name")" = "VMQ queue pair" ]
	check_err $? "type name is '$(cat "$TYPE/name")'"
	[ "$(cat "$TYPE/device_api")" = "vmq-qp" ]
	check_err $? "device_api is '$(cat "$TYPE/device_api")'"
	n=$(avail)
	[ "$n" -eq $((QPS - $(ethtool -l vmq0 | awk '/Combined/ { c = $2 } END { print c }'))) ]
	check_err $? "available_instances $n, expected free queue pairs"
	mdev_create $UUID1
	check_err $? "create failed"
	[ "$(avail)" -eq $((n - 1)) ]
	check_err $? "available_instances $(avail) after create, want $((n - 1))"
	[ -e "$MDEVS/$UUID1/iommu_group" ]
	check_err $? "mdev has no iommu_group"
	mdev_remove $UUID1
	check_err $? "remove failed"
	[ "$(avail)" -eq "$n" ]
	check_err $? "available_instances $(avail) after remove, want $n"
	log_test "mdev type: create, remove, available_instances"
}

mdev_exhaust()
{
	local n i uuids=() mark

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "mdev exhaust"; return; }
	n=$(avail)
	for ((i = 0; i < n; i++)); do
		uuids+=("6f3c0a5e-0000-4000-8000-1000000000$(printf %02x $i)")
		echo "${uuids[i]}" > "$TYPE/create"
		check_err $? "create $i of $n failed"
	done
	[ "$(avail)" -eq 0 ]
	check_err $? "available_instances $(avail) with every queue pair taken"
	mark=$(kmsg_mark)
	(echo 6f3c0a5e-0000-4000-8000-2000000000ff > "$TYPE/create") 2>/dev/null
	check_fail $? "create succeeded with no queue pair free"
	kmsg_since "$mark" | grep -q "no free queue pair"
	check_err $? "no log line for the refused create"
	ethtool -L vmq0 combined $QPS 2>/dev/null
	check_fail $? "ethtool -L took queue pairs VMs own"
	for i in "${uuids[@]}"; do
		echo 1 > "$MDEVS/$i/remove"
	done
	[ "$(avail)" -eq "$n" ]
	check_err $? "available_instances $(avail) after removing all, want $n"
	log_test "mdev: creation fails cleanly when no queue pair is left"
}

# nic_not_a_vms_mac: the mirror of the NIC's own address refused as a
# VM's: vmq0 does not take $MAC1, its mdev's, as its address.
nic_not_a_vms_mac()
{
	local own mark out

	own=$(cat /sys/class/net/vmq0/address)
	out=$(ip link set vmq0 address 52:54:00:00:10:7f 2>&1)
	check_fail $? "vmq0 changed its address while up"
	echo "$out" | grep -q "Device or resource busy"
	check_err $? "ip link set vmq0 address while up said: $out (want EBUSY)"
	mark=$(kmsg_mark)
	ip link set vmq0 down
	out=$(ip link set vmq0 address $MAC1 2>&1)
	check_fail $? "vmq0 took the VM's MAC $MAC1 as its address"
	echo "$out" | grep -q "Address already in use"
	check_err $? "ip link set vmq0 address $MAC1 said: $out"
	[ "$(cat /sys/class/net/vmq0/address)" = "$own" ]
	check_err $? "vmq0's address is $(cat /sys/class/net/vmq0/address), want $own"
	kmsg_since "$mark" |
		grep -q "vmq: $MAC1 is the MAC of the VM on queue pair $(mdev_qp $UUID1)"
	check_err $? "no log line for the refused address"
	ip link set vmq0 address 52:54:00:00:10:7f
	check_err $? "vmq0 refused an address no VM has"
	ip link set vmq0 address "$own" && ip link set vmq0 up
	check_err $? "vmq0 back to $own, up, failed"
}

# nic_zero_mac_invalid: an mdev with no MAC yet (all zeroes) does not make
# 00:00:00:00:00:00 a VM's MAC: vmq0 refuses it as invalid, as any NIC.
nic_zero_mac_invalid()
{
	local mark out

	mark=$(kmsg_mark)
	ip link set vmq0 down
	out=$(ip link set vmq0 address 00:00:00:00:00:00 2>&1)
	check_fail $? "vmq0 took 00:00:00:00:00:00 as its address"
	echo "$out" | grep -q "Cannot assign requested address"
	check_err $? "ip link set vmq0 address 00:00:00:00:00:00 said: $out (want EADDRNOTAVAIL)"
	kmsg_since "$mark" | grep -q "is the MAC of the VM"
	check_fail $? "00:00:00:00:00:00 logged as a VM's MAC"
	ip link set vmq0 up
}

admin_attrs()
{
	local a=$MDEVS/$UUID1/vmq

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "admin attributes"; return; }
	mdev_create $UUID1
	check_err $? "create failed"
	[ "$(cat $a/mac)" = "00:00:00:00:00:00" ] && [ "$(cat $a/vlan)" = 0 ] &&
		[ "$(cat $a/spoofchk)" = 1 ]
	check_err $? "defaults: mac $(cat $a/mac) vlan $(cat $a/vlan) spoofchk $(cat $a/spoofchk)"
	nic_zero_mac_invalid
	echo $MAC1 > $a/mac && echo 100 > $a/vlan && echo 0 > $a/spoofchk
	check_err $? "setting mac/vlan/spoofchk failed"
	[ "$(cat $a/mac)" = $MAC1 ] && [ "$(cat $a/vlan)" = 100 ] &&
		[ "$(cat $a/spoofchk)" = 0 ]
	check_err $? "read back: mac $(cat $a/mac) vlan $(cat $a/vlan) spoofchk $(cat $a/spoofchk)"
	grep -q "$MAC1 100 *$(mdev_qp $UUID1) *vfio" /sys/kernel/debug/vmq/$BUS/filters
	check_err $? "no vfio filter for $MAC1 vlan 100 in the core's table"
	expect_write_fail $a/mac "zz:00:00:00:00:01" "mac: want"
	expect_write_fail $a/mac "52:54:00:00:10:01x" "mac: want"
	expect_write_fail $a/mac "01:00:5e:00:00:01" "not a unicast MAC"
	expect_write_fail $a/mac "$(cat /sys/class/net/vmq0/address)" \
		"the NIC's own address"
	nic_not_a_vms_mac
	expect_write_fail $a/vlan 4095 "vlan: want"
	expect_write_fail $a/vlan abc "vlan: want"
	expect_write_fail $a/spoofchk maybe "spoofchk: want"
	echo 0 > $a/vlan
	mdev_create $UUID2
	expect_write_fail $MDEVS/$UUID2/vmq/mac $MAC1 "cannot steer"
	echo 1 > $a/spoofchk
	[ "$(cat $a/mac)" = $MAC1 ] && [ "$(cat $a/vlan)" = 0 ]
	check_err $? "a refused write changed the settings"
	mdev_remove $UUID2
	log_test "admin attributes: mac, vlan, spoofchk, qp; bad input refused"
}

views()
{
	local qp

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "views"; return; }
	mdev_create $UUID1 $MAC1
	qp=$(mdev_qp $UUID1)
	[ "$qp" -ge "$(ethtool -l vmq0 | awk '/Combined/ { c = $2 } END { print c }')" ]
	check_err $? "queue pair $qp is one of the host's channels"
	[ "$(qp_owner $BUS "$qp")" = vfio ]
	check_err $? "queue view: qp $qp owner '$(qp_owner $BUS "$qp")'"
	grep -q "^$qp .*$UUID1" /sys/kernel/debug/vmq/$BUS/queues
	check_err $? "queue view does not name the mdev"
	[ "$(qstat vmq0 "qp${qp}_rx_packets")" != missing ]
	check_err $? "ethtool -S has no qp${qp} counters"
	log_test "views: queue list and ethtool -S include the VFIO queue"
}

# vmq.rst, "The device ABI": offsets no register uses ignore writes and
# read 0; on a device without RSS those include the per-queue blocks.
unused_offsets()
{
	defer teardown
	setup || { check_err 1 "setup failed"; log_test "unused offsets"; return; }
	mdev_create $UUID1 $MAC1
	vmm $UUID1 unused
	check_err $? "test VMM failed"
	log_test "a device without RSS has no per-queue register blocks"
}

guest_rx()
{
	local qp before

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "guest rx"; return; }
	mdev_create $UUID1 $MAC1
	qp=$(mdev_qp $UUID1)
	before=$(qstat vmq0 "qp${qp}_rx_packets")
	vmm $UUID1 info rx bcast
	check_err $? "test VMM failed"
	[ "$(qstat vmq0 "qp${qp}_rx_packets")" -gt "$before" ]
	check_err $? "ethtool -S qp${qp}_rx_packets did not move"
	grep -q "vmq0-qp$qp" /proc/interrupts
	check_err $? "no vector for queue pair $qp"
	# The VMM's close reset the device: as one never enabled.
	[ "$(cat /sys/bus/mdev/devices/$UUID1/vmq/state)" = disabled ]
	check_err $? "state after the VMM closed: $(cat /sys/bus/mdev/devices/$UUID1/vmq/state), want disabled"
	log_test "guest rx: frames land in guest memory at the posted IOVAs"
}

# The device's way into guest memory: pinned pages, let go at unmap and
# at close, and frames written straight into them by the classifier;
# none of that with max_pinned_pages 0.
guest_pin()
{
	local param=/sys/module/vmq_vfio/parameters/max_pinned_pages old d0 d1

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "guest pin"; return; }
	mdev_create $UUID1 $MAC1
	d0=$(sim_counter rx_guest_direct)
	vmm $UUID1 pin
	check_err $? "test VMM failed"
	d1=$(sim_counter rx_guest_direct)
	# 128 frames, one at a time: each page's first frame pins it.
	[ $((d1 - d0)) -ge 64 ]
	check_err $? "rx_guest_direct moved by $((d1 - d0)) for 128 frames, want 64 at least"
	# Its close let every page go: this run finds none pinned.
	vmm $UUID1 pin
	check_err $? "test VMM failed on its second run"
	vmm $UUID1 unmap-storm
	check_err $? "test VMM failed unmapping pinned buffers under traffic"
	old=$(cat $param)
	defer sh -c "echo $old > $param"
	echo 0 > $param
	d0=$(sim_counter rx_guest_direct)
	vmm $UUID1 nopin
	check_err $? "test VMM failed without pins"
	d1=$(sim_counter rx_guest_direct)
	[ "$d1" -eq "$d0" ]
	check_err $? "rx_guest_direct moved by $((d1 - d0)) with nothing pinned"
	log_test "guest pin: pinned at first access, let go at unmap and close; frames written straight in; unmaps under traffic"
}

# Frames the receive port takes together go into guest memory a chunk
# of 16 at a time: one descriptor read and one write-back per chunk.
guest_batch()
{
	local dbg=/sys/kernel/debug/vmqsim/0

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "guest batch"; return; }
	defer sh -c "echo N > $dbg/port_hold"
	mdev_create $UUID1 $MAC1
	vmm -b $dbg/backlog $UUID1 batch
	check_err $? "test VMM failed"
	log_test "guest batch: frames taken together share a descriptor read and write-back"
}

# ethtool's interrupt moderation holds for a guest queue pair too.
guest_moderation()
{
	local qp irqs

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "guest moderation"; return; }
	mdev_create $UUID1 $MAC1
	qp=$(mdev_qp $UUID1)
	ethtool --per-queue vmq0 queue_mask $((1 << qp)) --coalesce \
		rx-usecs 10000 rx-frames 16
	check_err $? "cannot set moderation on queue pair $qp"
	irqs=$(qstat vmq0 "qp${qp}_irqs")
	vmm -b /sys/kernel/debug/vmqsim/0/backlog $UUID1 moderation
	check_err $? "test VMM failed"
	[ "$(qstat vmq0 "qp${qp}_irqs")" -gt "$irqs" ]
	check_err $? "ethtool -S qp${qp}_irqs did not move"
	log_test "guest moderation: rx-frames and rx-usecs batch a guest queue's interrupts"
}

guest_tx()
{
	defer teardown
	setup || { check_err 1 "setup failed"; log_test "guest tx"; return; }
	mdev_create $UUID1 $MAC1
	vmm $UUID1 tx spoof
	check_err $? "test VMM failed"
	log_test "guest tx: frames reach the partner; anti-spoofing drops others"
}

guest_vlan()
{
	defer teardown
	setup || { check_err 1 "setup failed"; log_test "guest vlan"; return; }
	mdev_create $UUID1 $MAC1 100
	vmm $UUID1 info vlan bcast
	check_err $? "test VMM failed"
	log_test "guest vlan: tag stripped on receive, inserted on transmit"
}

# An untagged queue is an access port unless the admin makes it a trunk:
# only then do its guest's VLAN-100 frames reach a VLAN-100 queue.
guest_trunk()
{
	local a=$MDEVS/$UUID1/vmq pid

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "guest trunk"; return; }
	mdev_create $UUID1 $MAC1
	mdev_create $UUID2 $MAC2 100
	[ "$(cat $a/trunk)" = 0 ]
	check_err $? "trunk defaults to $(cat $a/trunk)"
	expect_write_fail $a/trunk maybe "trunk: want"

	: > /tmp/vmm2.out
	"$VMM" -t 3 -p $MAC1 $UUID2 recvnone > /tmp/vmm2.out 2>&1 &
	pid=$!
	vmm_wait_holding /tmp/vmm2.out
	check_err $? "receiving VMM did not start"
	vmm -n 5 -p $MAC2 -V 100 $UUID1 sendto-refused
	check_err $? "tagged frames left an untagged queue that is no trunk"
	wait $pid
	check_err $? "a VLAN-100 queue got tagged frames from an untagged queue"
	sed 's/^/\t/' /tmp/vmm2.out

	echo 1 > $a/trunk && [ "$(cat $a/trunk)" = 1 ]
	check_err $? "cannot make the queue a trunk"
	: > /tmp/vmm2.out
	"$VMM" -t 5 -n 5 -p $MAC1 $UUID2 recvfrom > /tmp/vmm2.out 2>&1 &
	pid=$!
	vmm_wait_holding /tmp/vmm2.out
	check_err $? "receiving VMM did not start"
	vmm -n 5 -p $MAC2 -V 100 $UUID1 sendto
	check_err $? "a trunk could not send VLAN-100 frames"
	wait $pid
	check_err $? "VLAN-100 frames from the trunk did not reach the VLAN-100 queue"
	sed 's/^/\t/' /tmp/vmm2.out
	log_test "guest trunk: tagged frames from an untagged queue only when allowed"
}

host_untouched()
{
	ip link set vmq0 up && ip link set vmq0w up
	ip addr add 192.0.2.1/24 dev vmq0 2>/dev/null
	ip addr add 192.0.2.2/24 dev vmq0w 2>/dev/null
	# Both ends are local: ping through the partner's address on the NIC.
	ping -c 2 -W 2 -I vmq0 192.0.2.2 >/dev/null 2>&1 ||
		ethtool -S vmq0 >/dev/null
}

# A disable in the middle of a receive pass: every frame sent to the queue
# is delivered or counted as dropped, by the guest's counters (the VMM
# checks those) and the NIC's ethtool counters of its queue pair alike.
guest_stop_count()
{
	local dbg=/sys/kernel/debug/vmqsim/0 qp p0 d0 p d

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "guest stop count"; return; }
	defer sh -c "echo -1 > $dbg/guest_take_budget"
	mdev_create $UUID1 $MAC1
	qp=$(cat $MDEVS/$UUID1/vmq/qp)
	p0=$(qstat vmq0 qp${qp}_rx_packets)
	d0=$(qstat vmq0 qp${qp}_rx_drops)
	vmm -b $dbg/backlog $UUID1 stop-count
	check_err $? "test VMM failed"
	p=$(($(qstat vmq0 qp${qp}_rx_packets) - p0))
	d=$(($(qstat vmq0 qp${qp}_rx_drops) - d0))
	[ $((p + d)) -eq 60 ] && [ "$d" -gt 0 ]
	check_err $? "qp${qp}: $p delivered and $d dropped, want 60 in all, some dropped"
	echo "	qp${qp}: $p delivered, $d dropped"
	log_test "guest stop count: a disable mid-pass loses no frame uncounted"
}

bad_guest()
{
	defer teardown
	setup || { check_err 1 "setup failed"; log_test "misbehaving guest"; return; }
	mdev_create $UUID1 $MAC1
	mdev_create $UUID2 $MAC2
	vmm -b /sys/kernel/debug/vmqsim/0/backlog $UUID1 bad-desc bad-txlen \
		bad-rxlen bad-tail bad-ring storm fifo unmap unmap-edge reset
	check_err $? "misbehaving-guest cases failed"
	# The other queue pair and the host never noticed.
	vmm $UUID2 rx tx
	check_err $? "the other guest's queue was disturbed"
	ethtool -S vmq0 >/dev/null && host_untouched
	check_err $? "host side disturbed"
	log_test "misbehaving guest: each case -> error state, irq, counter; others untouched"
}

# Joining the VMM's cgroups takes the cgroup lock, under which net_prio
# (cgroup v1) takes RTNL as it makes a cgroup; ethtool takes the NIC's
# device mutex under RTNL.  The engine joins with no lock of the NIC
# held, so on a lockdep kernel the three never close a cycle (a report
# is a WARNING, which fails the test); elsewhere the steps must work.
engine_cgroup_net_prio()
{
	local np=/tmp/vmq_net_prio mark

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "engine cgroup, net_prio"; return; }
	mkdir -p $np
	if ! mount -t cgroup -o net_prio none $np 2>/dev/null; then
		log_test_skip "engine cgroup, net_prio" "no cgroup v1 net_prio"
		return
	fi
	defer umount $np
	mark=$(kmsg_mark)
	mkdir $np/vmq && rmdir $np/vmq
	check_err $? "cannot make a net_prio cgroup"
	ethtool -C vmq0 rx-usecs 20
	check_err $? "ethtool -C failed"
	mdev_create $UUID1 $MAC1
	vmm $UUID1 rx
	check_err $? "test VMM failed"
	kernel_quiet_since "$mark"
	check_err $? "kernel complained: $(dmesg | grep -m1 -A3 WARNING)"
	log_test "engine cgroup, net_prio: the engine joins with no NIC lock held"
}

# A guest that stops and starts its queue over and over makes the host
# neither create threads nor move them between cgroups (the cgroup lock,
# which every fork and exit waits for): the NIC keeps its engine's thread
# for the VMM until the VMM closes the device.
engine_kept()
{
	local qp e0 e

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "engine kept"; return; }
	mdev_create $UUID1 $MAC1
	qp=$(mdev_qp $UUID1)
	e0=$(sim_counter guest_engines)
	vmm $UUID1 toggle
	check_err $? "test VMM failed"
	e=$(($(sim_counter guest_engines) - e0))
	[ "$e" -eq 1 ]
	check_err $? "$e engine threads for one VMM's 50 starts, want 1"
	# The close let it go, and it left the VMM's cgroups with it (a
	# stopped thread is listed until it is reaped).
	busywait 5000 no_engine_thread "$qp"
	check_err $? "engine thread vmqsim0-qp$qp outlived the VMM's close"
	# Processes sharing the device's file take turns: still the one
	# thread, the first starter's.
	e0=$(sim_counter guest_engines)
	vmm $UUID1 forktoggle
	check_err $? "test VMM failed the forked toggles"
	e=$(($(sim_counter guest_engines) - e0))
	[ "$e" -eq 1 ]
	check_err $? "$e engine threads for 25 children's and 25 parent's starts, want 1"
	busywait 5000 no_engine_thread "$qp"
	check_err $? "engine thread vmqsim0-qp$qp outlived the forked VMM's close"
	log_test "engine kept: one thread for a guest's 50 queue starts, gone at close"
}

# A thread that is gone before the engine's thread joins its cgroups
# leaves it unjoined; the queue's next start, from a live thread of the
# VMM, joins it to that one's, so only one run is uncharged.
engine_rejoin()
{
	local qp pid eng

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "engine rejoin"; return; }
	grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG
	mkdir -p $CG_VMM
	check_err $? "cannot make a cgroup"
	defer rmdir $CG_VMM
	mdev_create $UUID1 $MAC1
	qp=$(mdev_qp $UUID1)
	vmm_in_cgroup /tmp/vmm_rejoin.out exitjoin
	check_err $? "VMM did not start: $(cat /tmp/vmm_rejoin.out)"
	defer kill $pid
	eng=$(engine_joined "$qp")
	check_err $? "engine thread vmqsim0-qp$qp '$eng' not in the VMM's cgroup after the VMM's own start: $(cat "/proc/$eng/cgroup" 2>/dev/null)"
	kill -USR1 $pid
	wait $pid
	check_err $? "test VMM failed"
	sed 's/^/\t/' /tmp/vmm_rejoin.out
	log_test "engine rejoin: a thread gone before the join leaves one run uncharged"
}

two_vmms()
{
	local pid1 pid2 rc1 rc2

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "two VMMs"; return; }
	mdev_create $UUID1 $MAC1
	mdev_create $UUID2 $MAC2
	: > /tmp/vmm1.out
	"$VMM" -t 3 -n 40 -p $MAC2 $UUID1 isolate > /tmp/vmm1.out 2>&1 &
	pid1=$!
	: > /tmp/vmm2.out
	"$VMM" -t 3 -n 40 -p $MAC1 $UUID2 isolate > /tmp/vmm2.out 2>&1 &
	pid2=$!
	wait $pid1
	rc1=$?
	wait $pid2
	rc2=$?
	sed 's/^/\t/' /tmp/vmm1.out /tmp/vmm2.out
	[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ]
	check_err $? "a VMM saw the other's traffic or lost its own ($rc1/$rc2)"

	# Guest to guest: switched inside the NIC, never on the wire.
	: > /tmp/vmm2.out
	"$VMM" -t 5 -n 20 -p $MAC1 $UUID2 recvfrom > /tmp/vmm2.out 2>&1 &
	pid2=$!
	vmm_wait_holding /tmp/vmm2.out
	check_err $? "receiving VMM did not start"
	vmm -n 20 -p $MAC2 $UUID1 sendto
	check_err $? "sending VMM failed"
	wait $pid2
	check_err $? "receiving VMM failed"
	sed 's/^/\t/' /tmp/vmm2.out

	# With the NIC down (no vectors) guest queues still run and notify.
	ip link set vmq0 down
	: > /tmp/vmm2.out
	"$VMM" -t 5 -n 10 -p $MAC1 $UUID2 recvfrom > /tmp/vmm2.out 2>&1 &
	pid2=$!
	vmm_wait_holding /tmp/vmm2.out
	vmm -n 10 -p $MAC2 $UUID1 sendto
	check_err $? "sending VMM failed with the NIC down"
	wait $pid2
	check_err $? "receiving VMM failed with the NIC down"
	sed 's/^/\t/' /tmp/vmm2.out
	ip link set vmq0 up
	log_test "two VMMs: own traffic only; guest to guest switched in the NIC"
}

CG=/sys/fs/cgroup
CG_VMM=$CG/vmq_vmm

# vmm_in_cgroup OUT CASE: the test VMM, in cgroup CG_VMM and in the
# background, runs CASE on UUID1's device (its output in OUT) and holds
# it; sets pid.  Fails if it never says it holds the device.
vmm_in_cgroup()
{
	: > "$1"
	bash -c "echo \$\$ > $CG_VMM/cgroup.procs && exec $VMM -t 20 $UUID1 $2" \
		> "$1" 2>&1 &
	pid=$!
	vmm_wait_holding "$1"
}

# engine_joined QP: prints the pid of queue pair QP's engine thread; fails
# if there is none, or if it is not in CG_VMM within 5 s (it joins from a
# work item, a moment after the start).
engine_joined()
{
	local eng

	eng=$(grep -lx "vmqsim0-qp$1" /proc/[0-9]*/comm 2>/dev/null | cut -d/ -f3)
	echo "$eng"
	[ -n "$eng" ] &&
		busywait 5000 grep -qx "0::/${CG_VMM#$CG/}" "/proc/$eng/cgroup" 2>/dev/null
}

# cpu_usec CGROUP: CPU time its tasks used, in microseconds.
cpu_usec()
{
	awk '$1 == "usage_usec" { print $2 }' "$1/cpu.stat"
}

# thread_usec PID: CPU time of one thread, in microseconds: exact from
# schedstat where the kernel has it, else in clock ticks from stat.
thread_usec()
{
	[ -r "/proc/$1/schedstat" ] &&
		awk '{ print int($1 / 1000) }' "/proc/$1/schedstat" && return
	awk -v hz="$(getconf CLK_TCK 2>/dev/null || echo 100)" \
		'{ sub(/.*\) /, ""); print int(($12 + $13) * 1000000 / hz) }' \
		"/proc/$1/stat"
}

# The device's work for a guest queue belongs to the VMM: with the VMM
# in a cgroup limited to 20% of a CPU, a guest handing the same transmit
# descriptors back over and over costs that cgroup, engine included.
engine_cgroup()
{
	local qp pid eng u0 u1 e0 e1 t0 t1 used budget

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "engine cgroup"; return; }
	grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG
	echo +cpu > $CG/cgroup.subtree_control 2>/dev/null
	if ! grep -qw cpu $CG/cgroup.subtree_control; then
		log_test_skip "engine cgroup" "no cgroup2 cpu controller"
		return
	fi
	mkdir -p $CG_VMM && echo "20000 100000" > $CG_VMM/cpu.max
	check_err $? "cannot limit a cgroup with cpu.max"
	defer rmdir $CG_VMM
	mdev_create $UUID1 $MAC1
	qp=$(mdev_qp $UUID1)
	vmm_in_cgroup /tmp/vmm_loop.out txloop
	check_err $? "VMM did not start"
	eng=$(engine_joined "$qp")
	check_err $? "engine thread vmqsim0-qp$qp '$eng' not in the VMM's cgroup: $(cat "/proc/$eng/cgroup" 2>/dev/null)"
	if [ -n "$eng" ]; then
		nap 1
		# The engine's window inside the cgroup's: e0 after u0, e1
		# before u1.  The cgroup's budget is for the time from before
		# u0 to after u1, timed: on the debug kernel reading the
		# counters takes a good part of a second.
		t0=${EPOCHREALTIME/./}
		u0=$(cpu_usec $CG_VMM)
		e0=$(thread_usec "$eng")
		nap 4
		e1=$(thread_usec "$eng")
		u1=$(cpu_usec $CG_VMM)
		t1=${EPOCHREALTIME/./}
		used=$((u1 - u0))
		budget=$(((t1 - t0) * 20 / 100))
		echo "	cgroup used ${used}us, engine $((e1 - e0))us, in $(((t1 - t0) / 1000)) ms at 20% (${budget}us)"
		[ $((e1 - e0)) -gt 0 ] && [ $((e1 - e0)) -le $((used + 20000)) ]
		check_err $? "engine time $((e1 - e0))us not within the cgroup's ${used}us"
		[ "$used" -le $((budget * 3 / 2)) ]
		check_err $? "cgroup used ${used}us, over cpu.max (${budget}us)"
	fi
	wait $pid
	check_err $? "test VMM failed"
	sed 's/^/\t/' /tmp/vmm_loop.out
	log_test "engine cgroup: a guest queue's device work is charged to its VMM"
}

# A guest that posts its buffers and never takes its frames must not
# stop the wire for everyone while the NIC sends PAUSE: its frames are
# dropped on its own queue pair, as without flow control, and no frame
# waits in the port for it (rx_held).  The partner may still be paused:
# the port's FIFO fills whenever the NIC's own thread falls behind the
# wire, as on a loaded host it does, guest or not; that is not the
# guest's doing and is not counted against it.
guest_no_pause()
{
	local pid pg qp n=3000 h0 p0 d0 sent

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "guest no pause"; return; }
	mdev_create $UUID1 $MAC1
	qp=$(mdev_qp $UUID1)
	: > /tmp/vmm_hold.out
	"$VMM" -t 60 $UUID1 hold > /tmp/vmm_hold.out 2>&1 &
	pid=$!
	vmm_wait_holding /tmp/vmm_hold.out
	check_err $? "VMM did not start"
	ethtool -A vmq0 tx on
	check_err $? "ethtool -A vmq0 tx on failed"
	h0=$(sim_counter rx_held); p0=$(sim_counter tx_pause_frames)
	d0=$(qstat vmq0 "qp${qp}_rx_drops")
	pktgen_send vmq0w $MAC1 $n &
	pg=$!
	busywait 20000 eval '[ "$(pktgen_sent vmq0w)" = $n ]'
	check_err $? "the partner sent $(pktgen_sent vmq0w) of $n: held back"
	sent=$(pktgen_sent vmq0w)
	pktgen_stop
	wait $pg
	busywait 10000 eval '[ "$(cat /sys/kernel/debug/vmqsim/0/port_backlog)" -eq 0 ]'
	check_err $? "the port still holds $(cat /sys/kernel/debug/vmqsim/0/port_backlog) frames"
	[ "$(sim_counter rx_held)" -eq "$h0" ]
	check_err $? "the guest's queue held the port $(($(sim_counter rx_held) - h0)) times"
	[ $(($(qstat vmq0 "qp${qp}_rx_drops") - d0)) -gt 0 ]
	check_err $? "the guest's queue pair dropped nothing of $n"
	echo "sent $sent to a guest that takes nothing:" \
	     "$(($(qstat vmq0 "qp${qp}_rx_drops") - d0)) dropped on its queue pair," \
	     "$(($(sim_counter tx_pause_frames) - p0)) PAUSE while the port fell behind"
	ethtool -A vmq0 tx off
	kill $pid
	wait $pid 2>/dev/null
	log_test "PAUSE: a guest that takes nothing never holds the port"
}

# qp_not_running QP: queue pair QP of vmqsim0 is not running (afresh on
# each call, for busywait).
qp_not_running()
{
	[ "$(qp_state $BUS "$1")" != running ]
}

vmm_close_and_kill()
{
	local qp n pid mark round

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "VMM close/kill"; return; }
	n=$(avail)
	mdev_create $UUID1 $MAC1
	qp=$(mdev_qp $UUID1)
	vmm $UUID1 rx
	check_err $? "test VMM failed"
	[ "$(qp_state $BUS "$qp")" != running ]
	check_err $? "queue pair $qp still $(qp_state $BUS "$qp") after the VMM closed"
	: > /tmp/vmm_hold.out
	"$VMM" -t 30 $UUID1 hold > /tmp/vmm_hold.out 2>&1 &
	pid=$!
	vmm_wait_holding /tmp/vmm_hold.out
	check_err $? "VMM did not start"
	[ "$(qp_state $BUS "$qp")" = running ]
	check_err $? "queue pair $qp $(qp_state $BUS "$qp") while the VMM runs"
	kill -9 $pid
	wait $pid 2>/dev/null
	busywait 5000 qp_not_running "$qp"
	check_err $? "queue pair $qp still running after the VMM was killed"
	# Killed while the NIC transmits from its memory: the memory goes
	# before the device fd, and the NIC failing to reach it then is the
	# VMM exiting, not the guest's error.
	mark=$(kmsg_mark)
	for round in 1 2 3; do
		: > /tmp/vmm_txloop.out
		"$VMM" -t 30 $UUID1 txloop > /tmp/vmm_txloop.out 2>&1 &
		pid=$!
		vmm_wait_holding /tmp/vmm_txloop.out
		check_err $? "txloop VMM did not start"
		sleep 0.$round
		kill -9 $pid
		wait $pid 2>/dev/null
		busywait 5000 qp_not_running "$qp"
		check_err $? "queue pair $qp still running after its txloop VMM was killed"
	done
	! kmsg_since "$mark" | grep "guest queue .*queue stopped"
	check_err $? "a killed VMM's queue logged a guest error"
	mdev_remove $UUID1
	check_err $? "remove after kill failed"
	[ "$(avail)" -eq "$n" ]
	check_err $? "queue pair not returned"
	log_test "VMM close and kill: DMA stops, the queue pair returns"
}

remove_with_vmm()
{
	defer teardown
	setup || { check_err 1 "setup failed"; log_test "remove with VMM"; return; }
	hold_then $UUID1 $MAC1 sh -c "echo 1 > $MDEVS/$UUID1/remove"
	[ ! -e "$MDEVS/$UUID1" ]
	check_err $? "mdev still there"
	log_test "mdev remove with a VMM attached: request, then wait"
}

del_device_with_vmm()
{
	defer teardown
	setup || { check_err 1 "setup failed"; log_test "del_device with VMM"; return; }
	hold_then $UUID1 $MAC1 sh -c "echo 0 > /sys/bus/vmqsim/del_device"
	[ ! -e "$PARENT" ]
	check_err $? "parent still there"
	log_test "del_device with a VMM attached: request, then wait"
}

require_root
[ -x "$VMM" ] || { echo "SKIP: $VMM not built"; exit $ksft_skip; }
tests_run
exit $EXIT_STATUS
