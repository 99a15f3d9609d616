#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# VMMQ for VMs: the vmq_vfio mdev type "qp4", four queue pairs in guest
# memory with the guest's RSS (include/uapi/linux/vmq.h, "Several queue
# pairs").  The type beside the single queue pair one, its admin
# attributes, the host's views of its queue pairs and their vectors; the
# test VMM vmq_vmmq as the guest: flows spread by the guest's key and
# table and checked against a reference Toeplitz, the table reloaded
# live, a queue left unset, transmit per queue, an error on one queue,
# queue 0's error at ENABLE and at run time stopping all four, STOP and
# RUNNING restarting the queues not in error,
# completions with and without the hash; a live migration to a qp4 on
# another NIC, refused by a single queue pair device; and removal
# freeing all four queue pairs.

source "$(dirname "$0")/lib.sh"

VMMQ="$(dirname "$(readlink -f "$0")")/vmq_vmmq"
VMM="$(dirname "$(readlink -f "$0")")/vmq_vmm"
QUEUES_CMD="$(dirname "$(readlink -f "$0")")/../../../../tools/vmq-queues"
BUS=vmqsim0
DL=vmqsim/$BUS
PARENT=/sys/class/mdev_bus/$BUS
MDEVS=/sys/bus/mdev/devices
BACKLOG=/sys/kernel/debug/vmqsim/0/backlog
UUID1=6f3c0a5e-0000-4000-8000-000000000a01
UUID2=6f3c0a5e-0000-4000-8000-000000000a02
UUID3=6f3c0a5e-0000-4000-8000-000000000a03
UUIDS=6f3c0a5e-0000-4000-8000-000000000a04	# single queue pair
MAC1=52:54:00:00:1a:01
MAC2=52:54:00:00:1a:02
MACS=52:54:00:00:1a:04
QPS=12
NQ=4

TESTS="
	types
	admin_attrs
	views
	guest_rss
	guest_table
	guest_queues
	queue0_error
	single_beside
	remove_frees
	stop_run
	migrate
"

setup()
{
	vfio_nic_setup $QPS || return 1
	TYPE4=$(ls -d "$PARENT/mdev_supported_types/"*-qp4 2>/dev/null)
	[ -d "$TYPE4" ]
}

teardown()
{
	mdevs_remove $UUID1 $UUID2 $UUID3 $UUIDS
	ip link del br0 2>/dev/null
	vmqsim_teardown
}

# mdev4_create UUID [MAC]: a qp4 mdev, with its admin MAC if given.
mdev4_create()
{
	echo "$1" > "$TYPE4/create" || return 1
	[ -z "${2:-}" ] || echo "$2" > "$MDEVS/$1/vmq/mac"
}

avail()
{
	cat "$1/available_instances"
}

channels()
{
	ethtool -l vmq0 | awk '/^Combined:/ { n++ } n == 2 { print $2; exit }'
}

# free_qps: queue pairs free in the core's view.
free_qps()
{
	awk 'NR > 1 && $2 == "free" { n++ } END { print n + 0 }' \
		/sys/kernel/debug/vmq/$BUS/queues
}

# dl_occ NAME: devlink's occupancy of resource NAME ("" without devlink).
dl_occ()
{
	command -v devlink >/dev/null || return 0
	devlink resource show $DL 2>/dev/null | awk -v n="$1" '
		{ for (i = 1; i < NF; i++) if ($i == "name" && $(i + 1) == n)
			for (j = i; j < NF; j++) if ($j == "occ") { print $(j + 1); exit } }'
}

mdev_qp()
{
	cat "$MDEVS/$1/vmq/qp"
}

# owned QP UUID: queue pairs QP..QP+3 are the mdev's, owned by VFIO.
owned()
{
	local q

	for ((q = $1; q < $1 + NQ; q++)); do
		[ "$(qp_owner $BUS $q)" = vfio ] ||
			{ echo "queue pair $q owner '$(qp_owner $BUS $q)'"; return 1; }
		grep -q "^$q .*$2\$" /sys/kernel/debug/vmq/$BUS/queues ||
			{ echo "queue pair $q does not name $2"; return 1; }
	done
}

# all_free QP: queue pairs QP..QP+3 free, owned by none.
all_free()
{
	local q

	for ((q = $1; q < $1 + NQ; q++)); do
		[ "$(qp_state $BUS $q)" = free ] && [ "$(qp_owner $BUS $q)" = none ] ||
			{ echo "queue pair $q: $(qp_state $BUS $q) $(qp_owner $BUS $q)"; return 1; }
	done
}

# vmmq ARG...: run the test VMM, show its output, keep its status.
vmmq()
{
	local rc

	"$VMMQ" -t 3 -b $BACKLOG "$@" > /tmp/vmq_vmmq.out 2>&1
	rc=$?
	sed 's/^/\t/' /tmp/vmq_vmmq.out
	return $rc
}

# qstats QP NAME: NAME (rx_packets, irqs...) of queue pairs QP..QP+3.
qstats()
{
	local q out=

	for ((q = $1; q < $1 + NQ; q++)); do
		out+="$(qstat vmq0 "qp${q}_$2") "
	done
	echo "${out% }"
}

# all_moved BEFORE AFTER: every one of the numbers moved.
all_moved()
{
	local -a b a
	local i

	read -ra b <<< "$1"
	read -ra a <<< "$2"

	for i in "${!b[@]}"; do
		[ "${a[i]}" != missing ] && [ "${a[i]}" -gt "${b[i]}" ] || return 1
	done
}

types()
{
	local free n1 n4 d

	defer teardown
	setup || { check_err 1 "setup failed (no qp4 type?)"; log_test "types"; return; }
	free=$((QPS - $(channels)))
	n1=$(avail "$TYPE")
	n4=$(avail "$TYPE4")
	[ "$n1" -eq "$free" ] && [ "$n4" -eq $((free / NQ)) ]
	check_err $? "available_instances: qp $n1, qp4 $n4 with $free queue pairs free"
	[ "$(cat "$TYPE4/device_api")" = vmq-qp ]
	check_err $? "qp4 device_api '$(cat "$TYPE4/device_api")'"
	d=$(cat "$TYPE4/description")
	echo "$d" | grep -q "$NQ queue pairs" && echo "$d" | grep -q vmq0
	check_err $? "qp4 description '$d'"
	echo "	$(basename "$TYPE4"): $(cat "$TYPE4/name"): $d"
	mdev4_create $UUID1
	check_err $? "qp4 create failed"
	[ "$(avail "$TYPE4")" -eq $((n4 - 1)) ] &&
		[ "$(avail "$TYPE")" -eq $((n1 - NQ)) ]
	check_err $? "after one qp4: qp4 $(avail "$TYPE4"), qp $(avail "$TYPE"); want $((n4 - 1)), $((n1 - NQ))"
	mdev4_create $UUID2
	check_err $? "second qp4 create failed"
	[ "$(avail "$TYPE4")" -eq $((n4 - 2)) ]
	check_err $? "after two: qp4 available $(avail "$TYPE4")"
	if [ "$(avail "$TYPE4")" -eq 0 ]; then
		(echo $UUID3 > "$TYPE4/create") 2>/dev/null
		check_fail $? "a qp4 created with fewer than $NQ queue pairs in a row free"
	fi
	mdevs_remove $UUID1 $UUID2 $UUID3
	[ "$(avail "$TYPE4")" -eq "$n4" ] && [ "$(avail "$TYPE")" -eq "$n1" ]
	check_err $? "after removal: qp4 $(avail "$TYPE4"), qp $(avail "$TYPE"); want $n4, $n1"
	log_test "qp4 type beside qp: available_instances, device_api, description"
}

admin_attrs()
{
	local at=$MDEVS/$UUID1/vmq qp

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "admin attributes"; return; }
	mdev4_create $UUID1 $MAC1
	check_err $? "create with MAC failed"
	[ "$(cat $at/queues)" = $NQ ]
	check_err $? "vmq/queues reads '$(cat $at/queues)'"
	qp=$(cat $at/qp)
	[ "$qp" -ge "$(channels)" ] && [ $((qp + NQ)) -le $QPS ]
	check_err $? "vmq/qp $qp: not a run of $NQ past the host's channels"
	[ "$(cat $at/mac)" = $MAC1 ] && [ "$(cat $at/vlan)" = 0 ] &&
		[ "$(cat $at/spoofchk)" = 1 ] && [ "$(cat $at/trunk)" = 0 ] &&
		[ "$(cat $at/state)" = disabled ]
	check_err $? "mac $(cat $at/mac) vlan $(cat $at/vlan) spoofchk $(cat $at/spoofchk) trunk $(cat $at/trunk) state $(cat $at/state)"
	echo 100 > $at/vlan && [ "$(cat $at/vlan)" = 100 ] && echo 0 > $at/vlan
	check_err $? "vlan not settable"
	grep -q "$MAC1 " /sys/kernel/debug/vmq/$BUS/filters
	check_err $? "no filter for $MAC1 in the core's table"
	mdev_create $UUIDS
	[ "$(cat $MDEVS/$UUIDS/vmq/queues)" = 1 ]
	check_err $? "a qp mdev's vmq/queues reads '$(cat $MDEVS/$UUIDS/vmq/queues)'"
	log_test "admin attributes: queues $NQ, qp, mac, vlan, spoofchk, trunk, state"
}

# The host's views of the four queue pairs: the core's queue list,
# ethtool -S, devlink, a vector each on a CPU of its own.
views()
{
	local qp q irq irqs='' cpus='' free0 vfio0 msg

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "views"; return; }
	free0=$(dl_occ free)
	vfio0=$(dl_occ vfio)
	mdev4_create $UUID1 $MAC1
	qp=$(mdev_qp $UUID1)
	msg=$(owned "$qp" $UUID1)
	check_err $? "$msg"
	for ((q = qp; q < qp + NQ; q++)); do
		[ "$(qstat vmq0 "qp${q}_rx_packets")" != missing ]
		check_err $? "ethtool -S has no qp${q} counters"
		irq=$(qp_irq vmq0 $q)
		[ -n "$irq" ]
		check_err $? "queue pair $q has no vector vmq0-qp$q"
		irqs+="$irq "
		[ -z "$irq" ] || cpus+="$(irq_eff_cpu "$irq") "
	done
	[ "$(tr ' ' '\n' <<< "$irqs" | sort -u | grep -c .)" = $NQ ]
	check_err $? "vectors not one per queue pair: $irqs"
	if [ "$(nproc)" -ge $NQ ]; then
		[ "$(tr ' ' '\n' <<< "$cpus" | sort -u | grep -c .)" = $NQ ]
		check_err $? "the $NQ vectors share CPUs: $cpus"
	fi
	echo "	queue pairs $qp-$((qp + NQ - 1)): vectors $irqs on CPUs $cpus"
	# The admin command names the mdev on each of its queue pairs.
	for ((q = qp; q < qp + NQ; q++)); do
		"$QUEUES_CMD" vmq0 |
			awk -v q=$q -v u=$UUID1 -v m=$MAC1 \
				'$1 == q && $3 == "vfio" && $4 == u && $5 == m { ok = 1 }
				 END { exit !ok }'
		check_err $? "vmq-queues: queue pair $q: $("$QUEUES_CMD" vmq0 | awk -v q=$q '$1 == q')"
	done
	if [ -n "$free0" ]; then
		[ "$(dl_occ vfio)" = $((vfio0 + NQ)) ] &&
			[ "$(dl_occ free)" = $((free0 - NQ)) ]
		check_err $? "devlink: vfio $(dl_occ vfio) free $(dl_occ free), were $vfio0 $free0"
	fi
	log_test "views: $NQ queue pairs owned by VFIO, each with its own vector and CPU"
}

guest_rss()
{
	local qp rx irqs

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "guest rss"; return; }
	mdev4_create $UUID1 $MAC1
	qp=$(mdev_qp $UUID1)
	rx=$(qstats "$qp" rx_packets)
	irqs=$(qstats "$qp" irqs)
	vmmq $UUID1 info rss one-flow
	check_err $? "test VMM failed"
	all_moved "$rx" "$(qstats "$qp" rx_packets)"
	check_err $? "ethtool -S rx_packets of queue pairs $qp..: $rx -> $(qstats "$qp" rx_packets)"
	all_moved "$irqs" "$(qstats "$qp" irqs)"
	check_err $? "ethtool -S irqs of queue pairs $qp..: $irqs -> $(qstats "$qp" irqs)"
	log_test "guest rss: flows on the queues the guest's key and table pick, hash in completions"
}

guest_table()
{
	local qp2 rx2

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "guest table"; return; }
	mdev4_create $UUID1 $MAC1
	mdev4_create $UUID2 $MAC2
	qp2=$(mdev_qp $UUID2)
	rx2=$(qstats "$qp2" rx_packets)
	vmmq -x $UUID2 $UUID1 table
	check_err $? "test VMM failed"
	# The other device saw one broadcast at most, on its queue 0.
	[ "$(qstats "$qp2" rx_packets | cut -d' ' -f2-)" = "$(echo "$rx2" | cut -d' ' -f2-)" ]
	check_err $? "the other mdev's queue pairs $qp2..: $rx2 -> $(qstats "$qp2" rx_packets)"
	log_test "guest table: reloaded live; entries taken modulo the queues, none leaks"
}

guest_queues()
{
	local mark qp drops

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "guest queues"; return; }
	mdev4_create $UUID1 $MAC1
	qp=$(mdev_qp $UUID1)
	drops=$(qstats "$qp" rx_drops)
	mark=$(kmsg_mark)
	vmmq $UUID1 noqueue tx queue-error nohash
	check_err $? "test VMM failed"
	echo "	ethtool -S rx_drops of queue pairs $qp-$((qp + NQ - 1)): $drops -> $(qstats "$qp" rx_drops)"
	kernel_quiet_since "$mark"
	check_err $? "kernel warnings"
	log_test "guest queues: unset queue drops, tx per queue, one queue's error, no hash"
}

# Queue 0 in error does not leave queues 1-3 running on their own.
queue0_error()
{
	local mark

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "queue 0 error"; return; }
	mdev4_create $UUID1 $MAC1
	mark=$(kmsg_mark)
	vmmq $UUID1 enable-error disable-error
	check_err $? "test VMM failed"
	kernel_quiet_since "$mark"
	check_err $? "kernel warnings"
	log_test "queue 0 in error: ENABLE starts none; clearing ENABLE stops all"
}

# The single queue pair type is unchanged beside a qp4.
single_beside()
{
	defer teardown
	setup || { check_err 1 "setup failed"; log_test "single beside"; return; }
	mdev4_create $UUID1 $MAC1
	mdev_create $UUIDS $MACS
	vmmq $UUIDS single
	check_err $? "the qp mdev is not the single queue pair device"
	"$VMM" -t 3 $UUIDS info rx tx > /tmp/vmq_vmm.out 2>&1
	check_err $? "vmq_vmm on the qp mdev failed"
	sed 's/^/\t/' /tmp/vmq_vmm.out
	vmmq $UUID1 one-flow
	check_err $? "the qp4 beside it failed"
	"$VMM" -t 3 $UUIDS rx > /tmp/vmq_vmm.out 2>&1
	check_err $? "vmq_vmm on the qp mdev failed after the qp4 ran"
	sed 's/^/\t/' /tmp/vmq_vmm.out
	log_test "single queue pair type beside a qp4: unchanged"
}

remove_frees()
{
	local qp free0 n4 msg

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "remove frees"; return; }
	free0=$(free_qps)
	n4=$(avail "$TYPE4")
	mdev4_create $UUID1 $MAC1
	qp=$(mdev_qp $UUID1)
	vmmq $UUID1 one-flow
	check_err $? "test VMM failed"
	[ "$(free_qps)" -eq $((free0 - NQ)) ]
	check_err $? "$(free_qps) queue pairs free with the qp4, $free0 before"
	echo 1 > "$MDEVS/$UUID1/remove"
	check_err $? "remove failed"
	msg=$(all_free "$qp")
	check_err $? "$msg"
	[ "$(free_qps)" -eq "$free0" ] && [ "$(avail "$TYPE4")" -eq "$n4" ]
	check_err $? "after removal: $(free_qps) free (want $free0), qp4 available $(avail "$TYPE4") (want $n4)"
	! grep -q "$MAC1" /sys/kernel/debug/vmq/$BUS/filters
	check_err $? "the filter for $MAC1 stayed"
	msg=$(vmq_leftovers $BUS)
	[ -z "$msg" ]
	check_err $? "left: $msg"
	log_test "remove frees all $NQ queue pairs, the filter, the instance"
}

# STOP and RUNNING with one queue in error restart the others.
stop_run()
{
	local rc

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "stop run"; return; }
	mdev4_create $UUID1 $MAC1
	vmmq $UUID1 stop-run
	rc=$?
	if [ $rc -eq $ksft_skip ]; then
		log_test_skip "stop run" "no VFIO migration"
		return
	fi
	check_err $rc "test VMM failed"
	log_test "STOP, RUNNING with queue 2 in error: 0 1 3 run again, 2 keeps it"
}

# port_forwarding DEV: the bridge forwards through its port DEV.
port_forwarding()
{
	[ "$(cat "/sys/class/net/$1/brport/state" 2>/dev/null)" = 3 ]
}

# Two NICs whose partners are ports of br0, the switch between hosts
# (as vfio_migrate.sh): the guest's qp4 on vmq0, a qp4 on vmq1 without
# a MAC, a qp on vmq1 holding the guest's MAC until the test VMM moves
# it.
migrate_setup()
{
	local type4b typeb

	setup || return 1
	vmqsim_new 1 $QPS || return 1
	no_ipv6 vmq1 && no_ipv6 vmq1w || return 1
	ip link set vmq1 up && ip link set vmq1w up || return 1
	ip link add br0 type bridge forward_delay 0 mcast_snooping 0 ||
		return 1
	no_ipv6 br0
	ip link set vmq0w master br0 && ip link set vmq1w master br0 &&
		ip link set br0 up || return 1
	busywait 5000 port_forwarding vmq0w &&
		busywait 5000 port_forwarding vmq1w || return 1
	mdev4_create $UUID1 $MAC1 || return 1
	type4b=$(ls -d /sys/class/mdev_bus/vmqsim1/mdev_supported_types/*-qp4)
	typeb=$(vmq_mdev_type vmqsim1)
	echo $UUID2 > "$type4b/create" && echo $UUIDS > "$typeb/create" &&
		echo $MAC1 > "$MDEVS/$UUIDS/vmq/mac"
}

migrate()
{
	local rc

	defer teardown
	migrate_setup || { check_err 1 "setup failed"; log_test "migrate"; return; }
	"$VMMQ" -t 3 -w br0 -b $BACKLOG -m $UUID2 -s $UUIDS $UUID1 migrate \
		> /tmp/vmq_vmmq.out 2>&1
	rc=$?
	sed 's/^/\t/' /tmp/vmq_vmmq.out
	if [ $rc -eq $ksft_skip ]; then
		log_test_skip "migrate" "no VFIO migration"
		return
	fi
	check_err $rc "test VMM failed"
	log_test "migrate: qp4 vmq0 -> qp4 vmq1 under traffic on every queue; refused by a qp"
}

require_root
require_cmd ethtool ip
[ -x "$VMMQ" ] || { echo "SKIP: $VMMQ not built"; exit $ksft_skip; }
[ -x "$VMM" ] || { echo "SKIP: $VMM not built"; exit $ksft_skip; }
tests_run
exit $EXIT_STATUS
