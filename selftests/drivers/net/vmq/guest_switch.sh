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
# driver started where the kernel has vDPA.  And a guest's queue pair
# freed and taken at once by another owner: the old MAC's frames reach
# the host, never the new owner, and nothing is left behind.

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
	reuse_after_free
	held_across_reuse
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

mdev_remove()
{
	echo 1 > "$MDEVS/$1/remove"
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

channels()
{
	ethtool -l vmq0 | awk '/Current hardware settings/ { cur = 1 }
		/^Combined:/ && cur { print $2 }'
}

# wire_sends_to MAC QP WANT WHAT: N frames from the partner to MAC move
# queue pair QP's WANT (rx_packets or rx_drops) by N, or with WANT
# "unmatched" reach the default queue as unmatched, QP untouched.
wire_sends_to()
{
	local p0 d0 u0 p d

	p0=$(qstat vmq0 "qp$2_rx_packets")
	d0=$(qstat vmq0 "qp$2_rx_drops")
	u0=$(sim_counter rx_unmatched)
	"$SEND" vmq0w "$1" $N
	check_err $? "$4: sending from vmq0w failed"
	case $3 in
	unmatched)	busywait 5000 ge $((u0 + N)) sim_counter rx_unmatched ;;
	rx_packets)	busywait 5000 ge $((p0 + N)) qstat vmq0 "qp$2_rx_packets" ;;
	rx_drops)	busywait 5000 ge $((d0 + N)) qstat vmq0 "qp$2_rx_drops" ;;
	esac
	check_err $? "$4: $N frames to $1 not all counted in $3"
	p=$(($(qstat vmq0 "qp$2_rx_packets") - p0))
	d=$(($(qstat vmq0 "qp$2_rx_drops") - d0))
	case $3 in
	unmatched)	[ $p -eq 0 ] && [ $d -eq 0 ] ;;
	rx_packets)	[ $p -eq $N ] && [ $d -eq 0 ] ;;
	rx_drops)	[ $p -eq 0 ] && [ $d -eq $N ] ;;
	esac
	check_err $? "$4: qp$2 rx_packets +$p rx_drops +$d for $N frames to $1"
}

# A guest's queue pair goes back to the pool a grace period after its
# filter went (vmq_guest_qp_free()), also when it never ran and nothing
# stopped, and the next owner may take it at once: a host channel
# (ethtool -L), a bridge macvlan, another guest.  Frames for the old
# guest's MAC then reach the host's default queue, none the new owner.
# The race the grace period closes, a classifier pass between its
# lookup of the old filter and the queue pair, is too narrow to hit
# from here; this checks that freeing and reusing still work, and that
# nothing of the freed guests is left in our slab caches.
reuse_after_free()
{
	local i k qp before=

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "reuse after free"; return; }
	ethtool -K vmq0 l2-fwd-offload on
	check_err $? "l2-fwd-offload on failed"
	# The queue pair an mdev, a macvlan and the next channel all take.
	k=$(channels)
	for ((i = 0; i < 12 && RET == 0; i++)); do
		# Each kind of new owner once before the count starts.
		[ $i -ne 3 ] || before=$(slab_ours)
		mdev_create $UUID1 $MAC1
		check_err $? "round $i: mdev create failed"
		qp=$(cat $MDEVS/$UUID1/vmq/qp)
		[ "$qp" = "$k" ]
		check_err $? "round $i: the mdev got queue pair $qp, not $k"
		mdev_remove $UUID1
		check_err $? "round $i: mdev remove failed"
		case $((i % 3)) in
		0)
			ethtool -L vmq0 combined $((k + 1))
			check_err $? "round $i: ethtool -L to $((k + 1)) failed"
			wire_sends_to $MAC1 "$k" unmatched "round $i, a channel"
			ethtool -L vmq0 combined "$k"
			check_err $? "round $i: ethtool -L back to $k failed"
			;;
		1)
			ip link add link vmq0 name gsw_mv address $MACV \
				type macvlan mode bridge && ip link set gsw_mv up
			check_err $? "round $i: bridge macvlan failed"
			qp=$(fwd_qp vmqsim0 gsw_mv)
			[ "$qp" = "$k" ]
			check_err $? "round $i: the macvlan got queue pair '$qp', not $k"
			wire_sends_to $MAC1 "$k" unmatched "round $i, a macvlan"
			wire_sends_to $MACV "$k" rx_packets "round $i, the macvlan's own"
			ip link del gsw_mv
			;;
		2)
			mdev_create $UUID2 $MAC2
			check_err $? "round $i: second mdev create failed"
			qp=$(cat $MDEVS/$UUID2/vmq/qp)
			[ "$qp" = "$k" ]
			check_err $? "round $i: the second mdev got queue pair $qp, not $k"
			wire_sends_to $MAC1 "$k" unmatched "round $i, a guest"
			wire_sends_to $MAC2 "$k" rx_drops "round $i, the guest's own"
			mdev_remove $UUID2
			;;
		esac
	done
	if [ $RET -eq 0 ]; then
		# Nine rounds, three of each kind: one object a round shows.
		busywait 10000 eval 'slab_grown "$before" 2 /tmp > /tmp/slab.grown'
		check_err $? "slab objects left by the rounds: $(tr '\n' ';' < /tmp/slab.grown)"
	fi
	log_test "a freed guest's queue pair, taken at once by the next owner"
}

# A frame the classifier matched to a guest's filter, held there
# (cls_hold) as its queue pair is freed: the queue pair may not go back
# to the pool, and to the next owner, before the frame is delivered, or
# the guest's frame lands in the new owner's ring.  Here the next owner
# is a host channel, tried while the frame is held (cls_hold lets go
# after 10 s): its ethtool -L is refused, the mdev's remove waiting for
# the held pass, and made again once the hold is over.
held_across_reuse()
{
	local dbg=/sys/kernel/debug/vmqsim/0 k qp spid pid rc p

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "held across reuse"; return; }
	defer sh -c "echo 0 > $dbg/cls_hold"
	k=$(channels)
	mdev_create $UUID1 $MAC1
	check_err $? "mdev create failed"
	qp=$(cat $MDEVS/$UUID1/vmq/qp)
	[ "$qp" = "$k" ]
	check_err $? "the mdev got queue pair $qp, not $k"
	echo 1 > $dbg/cls_hold
	# The sender's close waits for a grace period, which the hold holds
	# up: it stays in the background until the end.
	"$SEND" vmq0w $MAC1 1 &
	spid=$!
	busywait 5000 ge 1 cat $dbg/cls_holds
	check_err $? "the classifier held no frame"
	mdev_remove $UUID1 &
	pid=$!
	# Gone at once unless the remove waits for the held frame.
	busywait 3000 test ! -e $MDEVS/$UUID1
	ethtool -L vmq0 combined $((k + 1)) 2>/dev/null
	rc=$?
	echo 0 > $dbg/cls_hold
	wait $spid
	check_err $? "sending from vmq0w failed"
	wait $pid
	check_err $? "mdev remove failed"
	if [ $rc -ne 0 ]; then
		ethtool -L vmq0 combined $((k + 1))
		check_err $? "ethtool -L to $((k + 1)) failed after the remove"
	fi
	# Its poll takes what its ring got.
	nap 0.5
	p=$(qstat vmq0 "qp${k}_rx_packets")
	[ "$p" -eq 0 ]
	check_err $? "the freed guest's frame reached host channel $k: qp${k}_rx_packets $p"
	echo "	ethtool -L while the frame was held: $([ $rc -eq 0 ] && echo taken || echo refused)"
	log_test "a frame held across a guest's free never reaches the next owner"
}

require_root
[ -x "$VMM" ] && [ -x "$SEND" ] || { echo "SKIP: test helpers not built"; exit $ksft_skip; }
tests_run
exit $EXIT_STATUS
