#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Interrupts of the simulated VMQ NIC: one vector per queue pair spread
# over CPUs with affinity hints, counted on the CPU their affinity names;
# an admin's pin holds across ethtool -L, link down/up and the Dynamic VMQ
# rebalancer; skewed load is spread and steady load causes no moves; CPU
# hotplug loses no queue.  (Coalescing: coalesce.sh.)
# Wants 4 CPUs (scripts/vm -c 4).

source "$(dirname "$0")/lib.sh"

TESTS="
	static_spread
	counts_follow_affinity
	admin_pin_kept
	dynamic_spreads_skew
	dynamic_steady_no_moves
	dynamic_respects_pin
	cpu_hotplug
	admin_pin_noticed
	pin_seen_before_notifier
	pin_while_down
	pin_kept_over_offline_flap
"

DEV=vmq0
PEER=vmq0w
BUS=vmqsim0
NQ=4
MACBASE=52:54:00:00:03:0

moves()
{
	awk '/^moves:/ { print $2 }' /sys/kernel/debug/vmq/$BUS/moves
}

# One ntuple rule per host queue: MACBASE<q> -> queue q.
steer_all()
{
	local q

	for q in $(seq 0 $((NQ - 1))); do
		ethtool -N $DEV flow-type ether dst $MACBASE$q action $q \
			loc $q >/dev/null || return 1
	done
}

# traffic_start [GAP_NS]: pktgen cycles through the NQ steered MACs, as
# fast as it can or with GAP_NS between frames.
traffic_start()
{
	pktgen_start $PEER ${MACBASE}0 - $NQ "${1:-0}"
}

# The Dynamic VMQ tests' load: 400 frames/s, 50 per queue and
# rebalancer period.  Paced, not as fast as pktgen can: a guest that
# keeps up carries the same load every period however busy the host is,
# and pktgen sleeps between frames instead of taking the CPU that the
# receive path and the rebalancer need.  At full speed the rate on the
# debug kernel swings fourfold between periods, below any fixed mark.
DYN_GAP_NS=2500000

# rx_counts: every steered queue's received frames, one line, from one
# ethtool call so that all are read at the same moment.
rx_counts()
{
	ethtool -S $DEV | awk -v nq=$NQ '
		$1 ~ /^qp[0-9]+_rx_packets:$/ {
			q = substr($1, 3) + 0
			if (q < nq)
				n[q] = $2
		}
		END { for (q = 0; q < nq; q++) printf "%s ", n[q] }'
}

# calibrate_busy: set the rebalancer's busy mark to a third of what the
# least loaded queue carries per 500 ms period under the running
# traffic.  How fast pktgen drives an emulated machine depends on the
# host's load, the policy's mark is absolute; this keeps the Dynamic VMQ
# tests about the policy.  Fails when the load is too thin to tell busy
# from idle (8 frames per period).  The window is timed, not assumed:
# on the debug kernel reading the counters takes longer than the pause.
# It starts a second after the traffic, which takes that to settle.
calibrate_busy()
{
	local -a a b
	local q min= t0 t1 mark

	nap 1
	a=($(rx_counts))
	t0=${EPOCHREALTIME/./}
	nap 2
	b=($(rx_counts))
	t1=${EPOCHREALTIME/./}
	for q in "${!a[@]}"; do
		[ -z "$min" ] || [ $((b[q] - a[q])) -lt "$min" ] &&
			min=$((b[q] - a[q]))
	done
	mark=$((min * 500000 / (t1 - t0) / 3))
	if [ "$mark" -le 8 ]; then
		echo "traffic too thin to test: $min frames in $(((t1 - t0) / 1000)) ms on a queue"
		return 1
	fi
	echo $mark > /sys/kernel/debug/vmq/$BUS/balance_busy
}

show_balance()
{
	echo "busy mark: $(cat /sys/kernel/debug/vmq/$BUS/balance_busy)"
	cat /sys/kernel/debug/vmq/$BUS/moves /sys/kernel/debug/vmq/$BUS/queues
}

# distinct_cpus: how many CPUs the steered queues' vectors are on.  The
# Dynamic VMQ tests poll it while pktgen runs, and the guest's vCPUs
# share one host thread: it forks nothing, so the polling does not take
# the CPU the traffic it measures needs.
distinct_cpus()
{
	local -A cpus=()
	local q irq cpu

	for ((q = 0; q < NQ; q++)); do
		irq=${QP_IRQS[q]:-$(qp_irq $DEV "$q")}
		read -r cpu < "/proc/irq/$irq/effective_affinity_list" || return 1
		cpu=${cpu%%[,-]*}
		cpus[$cpu]=1
	done
	echo "${#cpus[@]}"
}

# cache_qp_irqs: remember the vectors of the steered queues, which stay
# until channels change, for distinct_cpus.
cache_qp_irqs()
{
	local q

	QP_IRQS=()
	for ((q = 0; q < NQ; q++)); do
		QP_IRQS[q]=$(qp_irq $DEV "$q")
	done
}

static_spread()
{
	local q irq hint

	[ "$(distinct_cpus)" -eq $NQ ]
	check_err $? "$NQ queues on $(distinct_cpus) CPUs"
	for q in $(seq 0 $((NQ - 1))); do
		irq=$(qp_irq $DEV "$q")
		hint=$(cat "/proc/irq/$irq/affinity_hint" | tr -d '0,')
		[ -n "$hint" ]
		check_err $? "queue $q has no affinity hint"
	done
	grep -q "$DEV-misc" /proc/interrupts
	check_err $? "no misc vector"
	log_test "vectors spread over CPUs with affinity hints"
}

counts_follow_affinity()
{
	local irq cpu before after i moved=0 other=0
	local -a b a

	irq=$(qp_irq $DEV 1)
	cpu=$(irq_eff_cpu "$irq")
	b=($(irq_cpu_counts "$irq"))
	pktgen_send $PEER ${MACBASE}1 200
	sleep 0.5
	a=($(irq_cpu_counts "$irq"))
	for i in "${!a[@]}"; do
		if [ "$i" -eq "$cpu" ]; then
			moved=$((a[i] - b[i]))
		else
			other=$((other + a[i] - b[i]))
		fi
	done
	[ "$moved" -gt 0 ] && [ "$other" -eq 0 ]
	check_err $? "irq $irq: $moved on CPU $cpu, $other elsewhere"
	log_test "interrupts are counted on the CPU of the affinity"
}

admin_pin_kept()
{
	local irq

	irq=$(qp_irq $DEV 0)
	echo 3 > "/proc/irq/$irq/smp_affinity_list"
	check_err $? "cannot pin irq $irq"
	# (The ntuple rules keep the channels from going below $NQ.)
	ethtool -L $DEV combined 6 && ethtool -L $DEV combined $NQ
	ip link set $DEV down && ip link set $DEV up
	irq=$(qp_irq $DEV 0)
	[ "$(cat "/proc/irq/$irq/smp_affinity_list")" = 3 ]
	check_err $? "pin lost: $(cat "/proc/irq/$irq/smp_affinity_list")"
	awk '$1 == 0 { print $7 }' /sys/kernel/debug/vmq/$BUS/queues |
		grep -qx yes
	check_err $? "queue view does not show the pin"
	log_test "an admin's pin survives ethtool -L and down/up"
}

# skew: every unpinned vector onto CPU 0, as the core would place it.
skew()
{
	local q

	for q in $(seq 0 $((NQ - 1))); do
		echo "$q 0" > /sys/kernel/debug/vmq/$BUS/place 2>/dev/null
	done
}

dynamic_spreads_skew()
{
	skew
	[ "$(distinct_cpus)" -le 2 ]
	check_err $? "could not skew the vectors"
	traffic_start $DYN_GAP_NS
	defer pktgen_stop
	calibrate_busy
	check_err $? "no load to balance"
	cache_qp_irqs
	defer unset QP_IRQS
	ethtool --set-priv-flags $DEV dynamic-vmq on
	check_err $? "cannot turn dynamic-vmq on"
	defer ethtool --set-priv-flags $DEV dynamic-vmq off
	# Polled at the rebalancer's period: polling costs traffic.
	BUSYWAIT_SLEEP=0.5 busywait 15000 ge 3 distinct_cpus
	check_err $? "still on $(distinct_cpus) CPUs after 15s: $(show_balance)"
	grep -q "spread" /sys/kernel/debug/vmq/$BUS/moves
	check_err $? "no move reported"
	log_test "Dynamic VMQ spreads skewed load within 15s"
}

# moves_pause: no move over the next 2 s.
moves_pause()
{
	local m

	m=$(moves)
	nap 2
	[ "$(moves)" = "$m" ]
}

dynamic_steady_no_moves()
{
	local m

	traffic_start $DYN_GAP_NS
	defer pktgen_stop
	ethtool --set-priv-flags $DEV dynamic-vmq on
	defer ethtool --set-priv-flags $DEV dynamic-vmq off
	# The previous test may leave the spread a move short: let it land.
	busywait 15000 moves_pause
	check_err $? "no pause between moves in 15s: $(show_balance)"
	m=$(moves)
	nap 4
	[ "$(moves)" = "$m" ]
	check_err $? "moves under steady load: $m -> $(moves)"
	log_test "steady load causes no further moves"
}

dynamic_respects_pin()
{
	local irq

	irq=$(qp_irq $DEV 0)
	echo 0 > "/proc/irq/$irq/smp_affinity_list"
	skew
	traffic_start $DYN_GAP_NS
	defer pktgen_stop
	calibrate_busy
	check_err $? "no load to balance"
	cache_qp_irqs
	defer unset QP_IRQS
	ethtool --set-priv-flags $DEV dynamic-vmq on
	defer ethtool --set-priv-flags $DEV dynamic-vmq off
	# Polled at the rebalancer's period: polling costs traffic.
	BUSYWAIT_SLEEP=0.5 busywait 15000 ge 3 distinct_cpus
	check_err $? "not spread with one queue pinned: $(show_balance)"
	[ "$(cat "/proc/irq/$irq/smp_affinity_list")" = 0 ]
	check_err $? "the rebalancer moved a pinned vector"
	log_test "the rebalancer never moves an admin's pin"
}

# hints_off_cpu2: no affinity hint of queue pairs 1 and up names CPU 2.
hints_off_cpu2()
{
	local q hint

	for q in $(seq 1 $((NQ - 1))); do
		hint=$(cat /proc/irq/"$(qp_irq $DEV "$q")"/affinity_hint)
		hint=${hint//,/}
		[ -n "$hint" ] && (( (16#$hint & 4) == 0 )) || return 1
	done
}

cpu_hotplug()
{
	local before q irq hint

	[ -w /sys/devices/system/cpu/cpu2/online ] || {
		log_test_skip "CPU hotplug" "cpu2 cannot go offline"
		return
	}
	traffic_start
	defer pktgen_stop
	echo 0 > /sys/devices/system/cpu/cpu2/online
	check_err $? "cannot offline cpu2"
	defer eval 'echo 1 > /sys/devices/system/cpu/cpu2/online'
	for q in $(seq 0 $((NQ - 1))); do
		irq=$(qp_irq $DEV "$q")
		[ "$(irq_eff_cpu "$irq")" != 2 ]
		check_err $? "queue $q still on the offline CPU"
	done
	# The kernel moved them off while the CPU went; the core gives them
	# new homes from a work item, which their hints name (queue pair 0 is
	# pinned by the tests before), a moment later under traffic.
	busywait 10000 hints_off_cpu2
	for q in $(seq 1 $((NQ - 1))); do
		hint=$(cat /proc/irq/"$(qp_irq $DEV "$q")"/affinity_hint)
		hint=${hint//,/}
		[ -n "$hint" ] && (( (16#$hint & 4) == 0 ))
		check_err $? "queue $q still homed on the offline CPU: hint $hint"
	done
	before=$(qstat $DEV qp0_rx_packets)
	sleep 1
	[ "$(qstat $DEV qp0_rx_packets)" -gt "$before" ]
	check_err $? "traffic stopped with cpu2 offline"
	echo 1 > /sys/devices/system/cpu/cpu2/online
	check_err $? "cannot online cpu2"
	ethtool -L $DEV combined 6 && ethtool -L $DEV combined $NQ
	for q in $(seq 0 $((NQ - 1))); do
		[ "$(qp_state $BUS "$q")" = running ]
		check_err $? "queue $q lost"
	done
	# The kernel's moves off the dying CPU are not an admin's pin (queue
	# pair 0 is pinned by the tests before).
	for q in $(seq 1 $((NQ - 1))); do
		awk -v q="$q" '$1 == q { print $7 }' \
			/sys/kernel/debug/vmq/$BUS/queues | grep -qx no
		check_err $? "queue $q counted as pinned after hotplug: $(awk -v q="$q" '$1 == q' /sys/kernel/debug/vmq/$BUS/queues)"
	done
	log_test "CPU offline/online under traffic loses no queue"
}

# A pin is noticed as it is made: the queue view shows it at once, and
# the core's own moves (the place knob) leave the vector where the admin
# put it.  Dynamic VMQ is off, so no rebalancer tick looks meanwhile.
# xps_on Q CPU: host channel Q's transmit steering is CPU alone.
xps_on()
{
	local m

	m=$(tr -d ',\n' < "/sys/class/net/$DEV/queues/tx-$1/xps_cpus") &&
		[ $((16#$m)) -eq $((1 << $2)) ]
}

# hint_on IRQ CPU: the vector's affinity hint is CPU alone.
hint_on()
{
	local m

	m=$(tr -d ',\n' < "/proc/irq/$1/affinity_hint") &&
		[ $((16#$m)) -eq $((1 << $2)) ]
}

admin_pin_noticed()
{
	local irq cpu to

	irq=$(qp_irq $DEV 1)
	cpu=$(irq_eff_cpu "$irq")
	to=$(((cpu + 1) % $(nproc)))
	echo $to > "/proc/irq/$irq/smp_affinity_list"
	check_err $? "cannot pin irq $irq"
	awk '$1 == 1 { print $7 }' /sys/kernel/debug/vmq/$BUS/queues |
		grep -qx yes
	check_err $? "queue view does not show the pin at once"
	echo "1 $cpu" > /sys/kernel/debug/vmq/$BUS/place 2>/dev/null
	check_fail $? "the place knob moved a pinned vector"
	[ "$(cat "/proc/irq/$irq/smp_affinity_list")" = $to ]
	check_err $? "pin lost: $(cat "/proc/irq/$irq/smp_affinity_list")"
	busywait 2000 xps_on 1 "$to"
	check_err $? "tx-1's xps_cpus $(cat /sys/class/net/$DEV/queues/tx-1/xps_cpus), want $(printf %x $((1 << to))) (CPU $to)"
	busywait 2000 hint_on "$irq" "$to"
	check_err $? "irq $irq's affinity hint $(cat "/proc/irq/$irq/affinity_hint"), want the pin's $(printf %x $((1 << to))) (CPU $to)"
	log_test "an admin's pin is noticed as it is made"
}

# The affinity notifier runs from a work item; a read of the queues view
# that comes first notices the pin itself, and the notifier then finds
# it noticed already.  Transmit steering must follow it all the same.
# (Queue pairs 0 to 3 are pinned by the tests before: a fifth channel.)
pin_seen_before_notifier()
{
	local d=/sys/kernel/debug/vmq/$BUS irq cpu to n

	ethtool -L $DEV combined $((NQ + 1))
	check_err $? "cannot grow to $((NQ + 1)) channels"
	defer ethtool -L $DEV combined $NQ
	irq=$(qp_irq $DEV $NQ)
	cpu=$(irq_eff_cpu "$irq")
	to=$(((cpu + 1) % $(nproc)))
	n=$(cat $d/notify_delays)
	echo 1000 > $d/notify_delay_ms
	defer eval "echo 0 > $d/notify_delay_ms"
	echo $to > "/proc/irq/$irq/smp_affinity_list"
	check_err $? "cannot pin irq $irq"
	awk -v q=$NQ '$1 == q { print $7 }' $d/queues | grep -qx yes
	check_err $? "queue view does not show the pin at once"
	[ "$(cat $d/notify_delays)" = "$n" ]
	check_err $? "the notifier ran before the queues view was read"
	busywait 3000 ge $((n + 1)) cat $d/notify_delays
	check_err $? "the notifier never ran: notify_delays $(cat $d/notify_delays)"
	busywait 2000 xps_on $NQ "$to"
	check_err $? "tx-$NQ's xps_cpus $(cat /sys/class/net/$DEV/queues/tx-$NQ/xps_cpus), want $(printf %x $((1 << to))) (CPU $to)"
	log_test "a pin the queues view saw first moves transmit steering too"
}

# A vector's /proc/irq/N/ stays while the link is down and its irq freed;
# an affinity written there then is a pin too, kept at link up.
pin_while_down()
{
	local irq cpu to

	irq=$(qp_irq $DEV 2)
	cpu=$(irq_eff_cpu "$irq")
	to=$(((cpu + 1) % $(nproc)))
	defer ip link set $DEV up
	ip link set $DEV down
	echo $to > "/proc/irq/$irq/smp_affinity_list"
	check_err $? "cannot set irq $irq's affinity while the link is down"
	ip link set $DEV up
	[ "$(qp_irq $DEV 2)" = "$irq" ]
	check_err $? "queue pair 2's irq is $(qp_irq $DEV 2) after link up, was $irq"
	[ "$(cat "/proc/irq/$irq/smp_affinity_list")" = $to ]
	check_err $? "the pin made while down is lost at link up: $(cat "/proc/irq/$irq/smp_affinity_list"), want $to"
	awk '$1 == 2 { print $7 }' /sys/kernel/debug/vmq/$BUS/queues |
		grep -qx yes
	check_err $? "queue view does not show the pin made while down"
	busywait 2000 xps_on 2 "$to"
	check_err $? "tx-2's xps_cpus $(cat /sys/class/net/$DEV/queues/tx-2/xps_cpus), want $(printf %x $((1 << to))) (CPU $to)"
	log_test "a pin made while the link is down is kept"
}

# A pinned vector whose only CPU goes offline is moved by the kernel;
# that move, still in force over a link down/up, is not the admin's new
# pin: once the CPU is back, the next link up puts the pin back.
pin_kept_over_offline_flap()
{
	local irq cpu=3

	[ -w /sys/devices/system/cpu/cpu$cpu/online ] || {
		log_test_skip "pin over an offline CPU" "cpu$cpu cannot go offline"
		return
	}
	irq=$(qp_irq $DEV 3)
	echo $cpu > "/proc/irq/$irq/smp_affinity_list"
	check_err $? "cannot pin irq $irq"
	defer ip link set $DEV up
	defer eval "echo 1 > /sys/devices/system/cpu/cpu$cpu/online"
	echo 0 > /sys/devices/system/cpu/cpu$cpu/online
	check_err $? "cannot offline cpu$cpu"
	ip link set $DEV down && ip link set $DEV up
	check_err $? "link down/up with cpu$cpu offline failed"
	echo 1 > /sys/devices/system/cpu/cpu$cpu/online
	check_err $? "cannot online cpu$cpu"
	ip link set $DEV down && ip link set $DEV up
	[ "$(cat "/proc/irq/$irq/smp_affinity_list")" = $cpu ]
	check_err $? "the pin to cpu$cpu is lost: irq $irq's affinity is $(cat "/proc/irq/$irq/smp_affinity_list")"
	log_test "a pin outlives its CPU's absence over a link down/up"
}

require_root
require_cmd ethtool ip
[ "$(nproc)" -ge 4 ] || { echo "SKIP: needs 4 CPUs"; exit $ksft_skip; }
vmqsim_setup_or_exit 8
ethtool -L $DEV combined $NQ
steer_all || { echo "FAIL: cannot steer"; exit 1; }

tests_run
exit $EXIT_STATUS
