#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The NIC's internal switch and guest queue pairs that do not run: a
# frame the host or another guest sends to a MAC whose filter names a
# guest's queue pair is switched to that queue pair and, as it does not
# run, dropped there and counted in its qpN_rx_drops; it never leaves on
# the wire (vmq.rst, "Queue pairs in guest memory").  Whatever the queue
# pair's history: never enabled, stopped after a run, or held by a
# private macvlan before the guest; VFIO mdevs, and a vDPA device no
# driver started where the kernel has vDPA.

source "$(dirname "$0")/lib.sh"

VMM="$(dirname "$(readlink -f "$0")")/vmq_vmm"
SEND="$(dirname "$(readlink -f "$0")")/vmq_send_frames"
MDEVS=/sys/bus/mdev/devices
UUID1=6f3c0a5e-0000-4000-8000-000000000e01
UUID2=6f3c0a5e-0000-4000-8000-000000000e02
MAC1=52:54:00:00:1e:01
MAC2=52:54:00:00:1e:02
MACV=52:54:00:00:1e:0a
QPS=8
N=20

TESTS="
	host_to_disabled
	host_to_stopped
	host_to_reused
	guest_to_disabled
	bcast_to_disabled
	host_to_vdpa
"

setup()
{
	vfio_nic_setup $QPS
}

teardown()
{
	[ ! -e $VDPA_BUS/devices/gsw0 ] || vdpa dev del gsw0
	ip link del gsw_mv 2>/dev/null
	mdevs_remove $UUID1 $UUID2
	vmqsim_teardown
}

# vmm UUID CASE...: run the test VMM, show its output, keep its status.
vmm()
{
	"$VMM" -t 3 "$@" > /tmp/vmq_vmm.out 2>&1
	local rc=$?

	sed 's/^/\t/' /tmp/vmq_vmm.out
	return $rc
}

# counts QP: "tx_wire tx_switched qpQP_rx_drops vmq0w_rx_packets".
counts()
{
	echo "$(sim_counter tx_wire) $(sim_counter tx_switched)" \
	     "$(qstat vmq0 "qp$1_rx_drops") $(ifstat vmq0w rx_packets)"
}

# expect_switched_dropped QP BEFORE N WHAT: since BEFORE (counts QP), N
# frames were switched to queue pair QP and dropped there, none went to
# the wire.
expect_switched_dropped()
{
	local -a b=($2) a
	local i

	# The drops are counted as the frames are switched, before the
	# sender's call returns; the partner's counter may lag a little.
	for i in 1 2 3 4 5; do
		a=($(counts "$1"))
		[ $((a[1] - b[1])) -ge "$3" ] && break
		nap 0.2
	done
	[ $((a[0] - b[0])) -eq 0 ] && [ $((a[3] - b[3])) -eq 0 ]
	check_err $? "$4: frames went to the wire: tx_wire +$((a[0] - b[0])), vmq0w received +$((a[3] - b[3]))"
	[ $((a[1] - b[1])) -eq "$3" ] && [ $((a[2] - b[2])) -eq "$3" ]
	check_err $? "$4: tx_switched +$((a[1] - b[1])), qp$1_rx_drops +$((a[2] - b[2])), want +$3 each"
}

# host_sends_to QP MAC WHAT: N frames from the host to MAC, whose filter
# names queue pair QP, are switched there and dropped.
host_sends_to()
{
	local before

	before=$(counts "$1")
	"$SEND" vmq0 "$2" $N
	check_err $? "$3: sending from vmq0 failed"
	expect_switched_dropped "$1" "$before" $N "$3"
}

host_to_disabled()
{
	local qp

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "host to a disabled guest queue"; return; }
	mdev_create $UUID1 $MAC1
	check_err $? "mdev create failed"
	qp=$(cat $MDEVS/$UUID1/vmq/qp)
	[ "$(cat $MDEVS/$UUID1/vmq/state)" = disabled ]
	check_err $? "state $(cat $MDEVS/$UUID1/vmq/state), want disabled"
	host_sends_to "$qp" $MAC1 "never enabled"
	log_test "host to a guest queue never enabled: switched, dropped, not on the wire"
}

host_to_stopped()
{
	local qp

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "host to a stopped guest queue"; return; }
	mdev_create $UUID1 $MAC1
	check_err $? "mdev create failed"
	qp=$(cat $MDEVS/$UUID1/vmq/qp)
	vmm $UUID1 rx
	check_err $? "test VMM failed"
	[ "$(cat $MDEVS/$UUID1/vmq/state)" = disabled ]
	check_err $? "state $(cat $MDEVS/$UUID1/vmq/state) after the VMM closed, want disabled"
	host_sends_to "$qp" $MAC1 "after a run"
	log_test "host to a guest queue after a run: switched, dropped, not on the wire"
}

# A private macvlan's queue pair sends to the wire and takes no switched
# frame: nothing of that may stay with the guest that gets it next.
host_to_reused()
{
	local qp mqp

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "host to a reused guest queue"; return; }
	ethtool -K vmq0 l2-fwd-offload on
	ip link add link vmq0 name gsw_mv address $MACV type macvlan mode private &&
		ip link set gsw_mv up
	check_err $? "private macvlan failed"
	mqp=$(fwd_qp vmqsim0 gsw_mv)
	[ -n "$mqp" ]
	check_err $? "the macvlan is not offloaded: $(fwd_state vmqsim0 gsw_mv)"
	ip link del gsw_mv
	mdev_create $UUID1 $MAC1
	check_err $? "mdev create failed"
	qp=$(cat $MDEVS/$UUID1/vmq/qp)
	[ "$qp" = "$mqp" ]
	check_err $? "the mdev got queue pair $qp, not the macvlan's $mqp"
	host_sends_to "$qp" $MAC1 "a private macvlan's before"
	log_test "host to a guest queue a private macvlan had: switched, dropped"
}

guest_to_disabled()
{
	local qp2 before

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "guest to a disabled guest queue"; return; }
	mdev_create $UUID1 $MAC1 && mdev_create $UUID2 $MAC2
	check_err $? "mdev create failed"
	qp2=$(cat $MDEVS/$UUID2/vmq/qp)
	before=$(counts "$qp2")
	# The VMM checks that none of its frames reach the wire's end.
	vmm -n $N -p $MAC2 $UUID1 sendto
	check_err $? "sending VMM failed"
	expect_switched_dropped "$qp2" "$before" $N "guest to guest"
	log_test "guest to a guest queue never enabled: switched, dropped"
}

# Broadcast reaches a guest queue pair with a MAC filter whether or not
# it ever ran: a copy, dropped and counted.
bcast_to_disabled()
{
	local qp d0 d

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "broadcast to a disabled guest queue"; return; }
	mdev_create $UUID1 $MAC1
	check_err $? "mdev create failed"
	qp=$(cat $MDEVS/$UUID1/vmq/qp)
	d0=$(qstat vmq0 "qp${qp}_rx_drops")
	"$SEND" vmq0 ff:ff:ff:ff:ff:ff $N
	check_err $? "sending from vmq0 failed"
	d=$(($(qstat vmq0 "qp${qp}_rx_drops") - d0))
	[ "$d" -eq $N ]
	check_err $? "never enabled: qp${qp}_rx_drops +$d for $N broadcasts, want +$N"
	vmm $UUID1 rx
	check_err $? "test VMM failed"
	d0=$(qstat vmq0 "qp${qp}_rx_drops")
	"$SEND" vmq0 ff:ff:ff:ff:ff:ff $N
	d=$(($(qstat vmq0 "qp${qp}_rx_drops") - d0))
	[ "$d" -eq $N ]
	check_err $? "after a run: qp${qp}_rx_drops +$d for $N broadcasts, want +$N"
	log_test "broadcast to a guest queue, run or not: a copy, dropped"
}

# A vDPA device bound to vhost_vdpa that no VMM opened: its queue pair
# has its filter and does not run.
host_to_vdpa()
{
	local qp

	modprobe vdpa 2>/dev/null
	if [ ! -d $VDPA_BUS ] || ! modinfo vmq_vdpa >/dev/null 2>&1; then
		log_test_skip "host to a vDPA device not started" \
			"kernel $(uname -r) has no vDPA"
		return
	fi
	defer teardown
	setup || { check_err 1 "setup failed"; log_test "host to a vDPA device not started"; return; }
	if mod_loaded virtio_vdpa && ! rmmod virtio_vdpa; then
		check_err 1 "virtio_vdpa in use"
		log_test "host to a vDPA device not started"
		return
	fi
	modprobe vmq_vdpa && modprobe vhost_vdpa &&
		vdpa dev add name gsw0 mgmtdev vmqsim/vmqsim0 mac $MAC2
	check_err $? "vdpa dev add failed"
	qp=$(cat $VDPA_BUS/devices/gsw0/vmq/qp)
	[ "$(cat $VDPA_BUS/devices/gsw0/vmq/state)" = disabled ]
	check_err $? "state $(cat $VDPA_BUS/devices/gsw0/vmq/state), want disabled"
	host_sends_to "$qp" $MAC2 "vDPA"
	log_test "host to a vDPA device not started: switched, dropped"
}

require_root
[ -x "$VMM" ] && [ -x "$SEND" ] || { echo "SKIP: test helpers not built"; exit $ksft_skip; }
tests_run
exit $EXIT_STATUS
