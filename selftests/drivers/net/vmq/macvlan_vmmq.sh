#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# VMMQ for offloaded macvlans (vmq.rst, "Several queue pairs per
# macvlan"): devlink's macvlan_queues gives each macvlan offloaded from
# then on that many queue pairs in a row, each with its own vector; the
# NIC spreads the macvlan's flows over them by RSS (the key of table 0,
# the table spread evenly), one flow always on one queue, and the
# macvlan sends on them by flow.  Refusals, fallback to one queue pair,
# and nothing leaked when macvlans go.  Dynamic VMQ treats the macvlan's
# queue pairs as one unit ("Interrupts and Dynamic VMQ").

source "$(dirname "$0")/lib.sh"

TESTS="
	param
	offload_queues
	flows_spread
	one_flow
	tx_spread
	switch_between
	fallback
	churn_frees_contexts
	dynamic_packs_vm
	dynamic_spreads_vm
"

DEV=vmq0
PEER=vmq0w
BUS=vmqsim0
DL=vmqsim/$BUS
M1=52:54:00:00:16:01
M2=52:54:00:00:16:02
NQ=4
RSS="$(dirname "$(readlink -f "$0")")/vmq_rss"

mv_add()
{
	ip link add link "${3:-$DEV}" name "$1" address "$2" type macvlan \
		mode bridge && ip link set "$1" up
}

mv_del()
{
	ip link del "$1" 2>/dev/null
	return 0
}

# dl_queues [HANDLE]: macvlan_queues as devlink shows it.
dl_queues()
{
	devlink dev param show "${1:-$DL}" name macvlan_queues |
		awk '/cmode runtime value/ { print $NF }'
}

dl_set_queues()
{
	devlink dev param set "${2:-$DL}" name macvlan_queues value "$1" \
		cmode runtime
}

# fwd_queues BUS UPPER: how many queue pairs an offloaded macvlan holds.
fwd_queues()
{
	fwd_state "$1" "$2" | awk '$1 == "offloaded" { print $7 }'
}

# refused WHY CMD...: CMD fails, with WHY (strerror) in what it says.
refused()
{
	local why=$1 out
	shift

	out=$("$@" 2>&1) && { echo "$*: succeeded: '$out'"; return 1; }
	echo "$out" | grep -q "$why" || { echo "$*: '$out', want $why"; return 1; }
}

# rx_total DELTA: the frames all queues moved by.
rx_total()
{
	tr ' ' '\n' <<< "$1" | awk -F: '{ s += $2 } END { print s + 0 }'
}

param()
{
	devlink dev show | grep -qx "$DL"
	check_err $? "no devlink instance $DL: $(devlink dev show 2>&1)"
	[ "$(dl_queues)" = 1 ]
	check_err $? "macvlan_queues starts at '$(dl_queues)', want 1"
	refused "Invalid argument" dl_set_queues 0
	check_err $? "macvlan_queues 0"
	refused "Invalid argument" dl_set_queues 9
	check_err $? "macvlan_queues 9"
	[ "$(dl_queues)" = 1 ]
	check_err $? "a refused value changed macvlan_queues"
	dl_set_queues $NQ
	check_err $? "macvlan_queues $NQ"
	[ "$(dl_queues)" = $NQ ]
	check_err $? "macvlan_queues reads '$(dl_queues)' after setting $NQ"
	log_test "devlink macvlan_queues: default 1, range 1-8"
}

offload_queues()
{
	local qp q ifindex irq irqs= cpus=

	mv_add vm1 $M1
	defer mv_del vm1
	qp=$(fwd_qp $BUS vm1)
	[ -n "$qp" ] && [ "$(fwd_queues $BUS vm1)" = $NQ ]
	check_err $? "vm1: $(fwd_state $BUS vm1), want $NQ queues"
	ifindex=$(cat /sys/class/net/vm1/ifindex)
	for ((q = qp; q < qp + NQ; q++)); do
		[ "$(qp_owner $BUS $q)" = macvlan ] &&
			[ "$(qp_state $BUS $q)" = running ] &&
			[ "$(qstat $DEV "qp${q}_owner_ifindex")" = "$ifindex" ]
		check_err $? "queue pair $q is not vm1's running queue"
		irq=$(qp_irq $DEV $q)
		[ -n "$irq" ]
		check_err $? "queue pair $q has no vector"
		irqs+="$irq "
		cpus+="$(irq_eff_cpu "$irq") "
	done
	[ "$(tr ' ' '\n' <<< "$irqs" | sort -u | grep -c .)" = $NQ ]
	check_err $? "vectors not one per queue pair: $irqs"
	if [ "$(nproc)" -ge $NQ ]; then
		[ "$(tr ' ' '\n' <<< "$cpus" | sort -u | grep -c .)" = $NQ ]
		check_err $? "vm1's vectors share CPUs: $cpus"
	fi
	grep -q "$M1 .*ctx" /sys/kernel/debug/vmq/$BUS/filters
	check_err $? "vm1's filter does not name an RSS context"
	ethtool -n $DEV | grep -qi "$M1"
	check_fail $? "vm1's filter shows as an ethtool rule"
	log_test "a macvlan gets $NQ queue pairs, one vector each on its own CPU"
}

flows_spread()
{
	local qp before after r hashes want q n h got min max total=256

	mv_add vm1 $M1
	defer mv_del vm1
	qp=$(fwd_qp $BUS vm1)
	r=$(ifstat vm1 rx_packets)
	before=$(qp_rx_snapshot $DEV)
	hashes=$("$RSS" flows $PEER $M1 $total)
	check_err $? "sending the flows failed"
	busywait 5000 ge $((r + total)) ifstat vm1 rx_packets
	check_err $? "vm1 got $(($(ifstat vm1 rx_packets) - r)) of $total"
	after=$(qp_rx_snapshot $DEV)
	want=
	for ((q = 0; q < NQ; q++)); do
		n=0
		for h in $hashes; do
			[ $(( (h % 128) % NQ )) -eq $q ] && n=$((n + 1))
		done
		want+="$((qp + q)):$n "
	done
	expect_rx_delta "$(qp_rx_delta "$before" "$after")" "$want"
	check_err $? "vm1's flows did not land where their hashes say"
	min=$((total * 15 / 100))
	max=$((total * 35 / 100))
	for q in $want; do
		got=${q#*:}
		[ "$got" -ge $min ] && [ "$got" -le $max ]
		check_err $? "queue pair ${q%%:*} took $got of $total flows"
	done
	echo "	per queue pair: $want"
	log_test "$total flows to a macvlan spread over its queue pairs (15-35% each)"
}

one_flow()
{
	local qp h q before delta r

	mv_add vm1 $M1
	defer mv_del vm1
	qp=$(fwd_qp $BUS vm1)
	h=$("$RSS" expect v4 l4 0)
	q=$((qp + (h % 128) % NQ))
	r=$(ifstat vm1 rx_packets)
	before=$(qp_rx_snapshot $DEV)
	"$RSS" send $PEER $M1 v4 tcp 0 32
	check_err $? "sending one flow failed"
	busywait 5000 ge $((r + 32)) ifstat vm1 rx_packets
	check_err $? "vm1 did not get the flow's 32 frames"
	delta=$(qp_rx_delta "$before" "$(qp_rx_snapshot $DEV)")
	expect_rx_delta "$delta" "$q:32"
	check_err $? "one flow left queue pair $q: $delta"
	log_test "one flow stays on one queue pair, the one its hash says"
}

tx_spread()
{
	local qp q before=() got total=0 idle=

	mv_add vm1 $M1
	defer mv_del vm1
	qp=$(fwd_qp $BUS vm1)
	for ((q = 0; q < NQ; q++)); do
		before[q]=$(qstat $DEV "qp$((qp + q))_tx_packets")
	done
	pktgen_prepare vm1 "$(cat /sys/class/net/$PEER/address)" 256 - 60
	defer pktgen_stop
	pg_set vm1 "udp_src_min 1"
	pg_set vm1 "udp_src_max 60000"
	pg_set vm1 "flag UDPSRC_RND"
	echo start > "$PG/pgctrl"
	check_err $? "pktgen on vm1 failed"
	for ((q = 0; q < NQ; q++)); do
		got=$(($(qstat $DEV "qp$((qp + q))_tx_packets") - before[q]))
		total=$((total + got))
		[ "$got" -gt 0 ] || idle+="$((qp + q)) "
	done
	[ $total -eq 256 ]
	check_err $? "vm1's queue pairs sent $total of 256 frames"
	[ -z "$idle" ]
	check_err $? "256 flows from vm1 never used queue pairs $idle"
	log_test "a macvlan sends on its queue pairs by flow"
}

# Two bridge macvlans of several queue pairs each reach one another
# through the NIC's switch, each in its own netns.
switch_between()
{
	local q1 q2 before

	ip netns add vmmq1 && defer ip netns del vmmq1
	ip netns add vmmq2 && defer ip netns del vmmq2
	ip link add link $DEV name vm1 address $M1 type macvlan mode bridge
	ip link add link $DEV name vm2 address $M2 type macvlan mode bridge
	ip link set vm1 netns vmmq1 && ip link set vm2 netns vmmq2
	ip -n vmmq1 addr add 192.0.2.21/24 dev vm1
	ip -n vmmq2 addr add 192.0.2.22/24 dev vm2
	ip -n vmmq1 link set vm1 up && ip -n vmmq2 link set vm2 up
	q1=$(fwd_qp $BUS vm1)
	q2=$(fwd_qp $BUS vm2)
	[ -n "$q1" ] && [ -n "$q2" ]
	check_err $? "vm1/vm2 not offloaded in their netns"
	before=$(sim_counter tx_switched)
	ip netns exec vmmq1 ping -c 5 -i 0.2 -W 2 192.0.2.22 >/dev/null
	check_err $? "vm1 cannot reach vm2"
	[ "$(sim_counter tx_switched)" -gt "$before" ]
	check_err $? "vm1's frames to vm2 were not switched in the NIC"
	log_test "macvlans of several queue pairs reach each other through the NIC"
}

# A device of 8 queue pairs, 2 of them channels: 6 left in a row.
fallback()
{
	local mark

	echo "1 8" > /sys/bus/vmqsim/new_device
	defer eval 'echo 1 > /sys/bus/vmqsim/del_device'
	ip link set vmq1 up && ip link set vmq1w up
	ethtool -L vmq1 combined 2 && ethtool -K vmq1 l2-fwd-offload on
	check_err $? "vmq1 setup"
	dl_set_queues $NQ vmqsim/vmqsim1
	check_err $? "macvlan_queues $NQ on vmq1"
	mark=$(kmsg_mark)
	for i in 1 2 3 4; do
		mv_add fb$i 52:54:00:00:16:1$i vmq1
		defer mv_del fb$i
	done
	[ "$(fwd_queues vmqsim1 fb1)" = $NQ ] &&
		[ "$(fwd_queues vmqsim1 fb2)" = 1 ] &&
		[ "$(fwd_queues vmqsim1 fb3)" = 1 ]
	check_err $? "queues fb1-3: $(fwd_queues vmqsim1 fb1) $(fwd_queues vmqsim1 fb2) $(fwd_queues vmqsim1 fb3), want $NQ 1 1"
	[ "$(fwd_state vmqsim1 fb4)" = software ]
	check_err $? "fb4: $(fwd_state vmqsim1 fb4), want software"
	kmsg_since "$mark" | grep -q "fb2: no $NQ free queue pairs in a row"
	check_err $? "no log line for fb2's single queue pair"
	# fb4 got none at all: the log says so, and not that it got one.
	kmsg_since "$mark" | grep -q "no free queue pair for fb4"
	check_err $? "no log line for fb4 on the software path"
	kmsg_since "$mark" | grep -q "fb4: no $NQ free queue pairs in a row"
	check_fail $? "the log says fb4 gets a queue pair it never got"
	mv_del fb1
	mv_add fb5 52:54:00:00:16:15 vmq1
	defer mv_del fb5
	[ "$(fwd_queues vmqsim1 fb5)" = $NQ ]
	check_err $? "fb1's $NQ queue pairs were not free again: fb5 $(fwd_state vmqsim1 fb5)"
	log_test "too few queue pairs in a row: one queue pair, logged"
}

# More macvlans come and go than the NIC has RSS tables for them.
churn_frees_contexts()
{
	local i

	for i in $(seq 40); do
		mv_add vm1 $M1 || break
		[ "$(fwd_queues $BUS vm1)" = $NQ ] || { echo "round $i: $(fwd_state $BUS vm1)"; break; }
		ip link del vm1 || break
	done
	[ "$i" = 40 ] && [ ! -e /sys/class/net/vm1 ]
	check_err $? "create/delete of a $NQ-queue macvlan failed in round $i"
	grep -q macvlan /sys/kernel/debug/vmq/$BUS/queues
	check_fail $? "queue pairs leaked"
	log_test "40 macvlans of $NQ queue pairs come and go, nothing leaked"
}

DBG=/sys/kernel/debug/vmq/$BUS

# vm_cpus FIRST: the CPU of each of the macvlan's queue pairs' vectors.
vm_cpus()
{
	local q

	for ((q = $1; q < $1 + NQ; q++)); do
		echo -n "$(irq_eff_cpu "$(qp_irq $DEV $q)") "
	done
}

# vm_moves FIRST WHY: Dynamic VMQ's moves of the macvlan's queue pairs
# for reason WHY ("pack", "pack vport", "spread", "spread vport").
vm_moves()
{
	awk -v lo="$1" -v hi=$(($1 + NQ)) -v why="$2" '
		$2 == "qp" && $3 >= lo && $3 < hi {
			w = $8; for (i = 9; i <= NF; i++) w = w " " $i
			if (w == why) n++
		}
		END { print n + 0 }' $DBG/moves
}

# vec_queue IDX: which of the macvlan's queues (0..NQ-1) its table
# sends reference vector IDX's TCP/IPv4 flow to.
vec_queue()
{
	local h

	h=$("$RSS" expect v4 l4 "$1") && echo $(((h % 128) % NQ))
}

# feed IDX...: keep the flows of those vectors coming to vm1, 200 frames
# a second each, interleaved, until killed: one process, so that every
# fed queue is busy in the same Dynamic VMQ period, on the debug kernel
# too (a process per burst, there, fed one queue at a time).
feed()
{
	exec "$RSS" feed $PEER $M1 v4 tcp 200 "$@"
}

stop_feed()
{
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# eq WANT CMD...: CMD prints WANT.  For busywait.
eq()
{
	local want=$1
	shift

	[ "$("$@")" = "$want" ]
}

# vm_ncpus FIRST: on how many CPUs the macvlan's vectors are.
vm_ncpus()
{
	vm_cpus "$1" | tr ' ' '\n' | sort -u | grep -c .
}

# A busy queue stops vm1's idle ones being packed; once all are idle they
# are packed together, never one by one.
dynamic_packs_vm()
{
	local qp h q0 before pid one

	mv_add vm1 $M1
	defer mv_del vm1
	qp=$(fwd_qp $BUS vm1)
	echo 16 > $DBG/balance_busy
	defer eval "echo 64 > $DBG/balance_busy"
	h=$("$RSS" expect v4 l4 0)
	q0=$(((h % 128) % NQ))
	before=$(vm_cpus "$qp")
	feed 0 &
	pid=$!
	defer stop_feed $pid
	ethtool --set-priv-flags $DEV dynamic-vmq on
	check_err $? "cannot turn dynamic-vmq on"
	defer ethtool --set-priv-flags $DEV dynamic-vmq off
	# Eight periods: vm1's idle queues are idle long enough to pack.
	nap 4
	[ "$(vm_cpus "$qp")" = "$before" ] &&
		[ "$(vm_moves "$qp" pack)" = 0 ] &&
		[ "$(vm_moves "$qp" "pack vport")" = 0 ]
	check_err $? "vm1 moved while queue $q0 was busy: $before -> $(vm_cpus "$qp")"
	stop_feed $pid
	BUSYWAIT_SLEEP=0.5 busywait 15000 eq 1 vm_ncpus "$qp"
	check_err $? "vm1 not packed onto one CPU: $(vm_cpus "$qp")"
	one=$(vm_moves "$qp" pack)
	[ "$one" = 0 ] && [ "$(vm_moves "$qp" "pack vport")" -ge $((NQ - 1)) ]
	check_err $? "packed one by one ($one) or not as a unit: $(cat $DBG/moves)"
	log_test "Dynamic VMQ packs a macvlan's queue pairs together, none while one is busy"
}

# Two busy queues of vm1 on one CPU, its idle ones on the least busy
# CPU: the spread moves a busy one to a CPU holding none of vm1's.
dynamic_spreads_vm()
{
	local qp qa qb q cpus pid a b

	mv_add vm1 $M1
	defer mv_del vm1
	qp=$(fwd_qp $BUS vm1)
	# Vectors 0 and 1 land on different queues (0 and 2 under the key).
	qa=$(vec_queue 0)
	qb=$(vec_queue 1)
	[ -n "$qa" ] && [ -n "$qb" ] && [ "$qa" != "$qb" ]
	check_err $? "reference vectors 0 and 1 share queue ${qa:-?}"
	echo 16 > $DBG/balance_busy
	defer eval "echo 64 > $DBG/balance_busy"
	# The busy two on CPU 1; the idle ones on CPU 0, the least busy.
	for ((q = 0; q < NQ; q++)); do
		echo "$((qp + q)) $([ $q = "$qa" ] || [ $q = "$qb" ] && echo 1 || echo 0)" \
			> $DBG/place
		check_err $? "cannot place queue pair $((qp + q))"
	done
	feed 0 1 &
	pid=$!
	defer stop_feed $pid
	ethtool --set-priv-flags $DEV dynamic-vmq on
	defer ethtool --set-priv-flags $DEV dynamic-vmq off
	BUSYWAIT_SLEEP=0.5 busywait 15000 ge 1 vm_moves "$qp" "spread vport"
	check_err $? "no spread of vm1: $(cat $DBG/moves)"
	cpus=($(vm_cpus "$qp"))
	a=${cpus[qa]}
	b=${cpus[qb]}
	[ "$a" != "$b" ] && { [ "$a" = 1 ] || [ "$b" = 1 ]; } &&
		[ "$a" != 0 ] && [ "$b" != 0 ]
	check_err $? "vm1's busy queues on CPUs $a and $b: want one left on 1, one on a CPU without vm1's queues"
	echo "	vm1's CPUs after: ${cpus[*]}"
	log_test "Dynamic VMQ spreads a macvlan's busy queues apart, onto a CPU free of its queues"
}

require_root
require_cmd ethtool ip devlink
[ -x "$RSS" ] || { echo "SKIP: vmq_rss not built"; exit "$ksft_skip"; }
vmqsim_setup_or_exit 16
ethtool -L $DEV combined 2 && ethtool -K $DEV l2-fwd-offload on &&
	ethtool -X $DEV hkey "$("$RSS" key)" ||
	{ echo "FAIL: ethtool -L, -K, -X hkey"; exit 1; }
tests_run
exit $EXIT_STATUS
