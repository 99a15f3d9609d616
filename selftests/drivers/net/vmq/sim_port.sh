#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The simulated NIC's receive port: what the link partner sends waits in
# a FIFO that a thread of the NIC's own, vmqsim<ID>-port, takes into the
# classifier, so the silicon's work is not the sender's.  The thread
# exists exactly as long as its device; under a stream it does the
# classifying (its CPU time grows, and it runs where the admin pins it);
# a silicon that takes nothing (the port_hold knob) lets the FIFO fill to
# its 1024 frames, every frame after that is an overrun (rx_overruns,
# the NIC's rx_fifo_errors), the debugfs backlog counts those it holds,
# and they reach the queue once released (the backlog back to 0).  With
# PAUSE on (ethtool -A tx on) a full ring holds the port and a full FIFO
# pauses the partner instead: nothing is dropped or overrun, but a frame
# too long for the host is dropped and counted, never held, and nothing is
# held once the link is down.  A vector
# whose CPU is the port thread's is raised there without an IPI.

source "$(dirname "$0")/lib.sh"

TESTS="
	port_thread_per_device
	port_thread_classifies
	port_fifo_overruns
	port_pause
	port_pause_link_down
	port_pause_too_long
	local_vector_no_ipi
"

DEV=vmq0
PEER=vmq0w
SIM_DBG=/sys/kernel/debug/vmqsim/0
UNMATCHED=02:00:00:00:00:99

# port_pid ID: the PID of device ID's port thread, nothing if none.
port_pid()
{
	local c

	for c in /proc/[0-9]*/comm; do
		[ "$(cat "$c" 2>/dev/null)" = "vmqsim$1-port" ] || continue
		c=${c#/proc/}
		echo "${c%/comm}"
		return 0
	done
	return 1
}

# cpu_ticks PID: the task's utime + stime, in clock ticks.
cpu_ticks()
{
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

# qp_sum FIELD: FIELD (rx_packets, rx_drops) summed over vmq0's queues.
qp_sum()
{
	ethtool -S $DEV | awk -v re="^qp[0-9]+_$1:\$" '$1 ~ re { s += $2 }
		END { print s + 0 }'
}

# accounted: frames from the wire the NIC has dealt with: delivered on a
# queue, dropped at a full ring or overrun at a full FIFO (a TCG vCPU
# may be off the host CPU for a while, so any of the three can happen).
accounted()
{
	echo $(($(qp_sum rx_packets) + $(qp_sum rx_drops) +
		$(sim_counter rx_overruns)))
}

port_thread_per_device()
{
	local pid

	vmqsim_setup_or_exit 4
	pid=$(port_pid 0)
	check_err $? "no vmqsim0-port thread"
	vmqsim_new 1 4
	check_err $? "cannot make device 1"
	port_pid 1 >/dev/null
	check_err $? "no vmqsim1-port thread for device 1"
	echo 1 > /sys/bus/vmqsim/del_device
	check_err $? "cannot delete device 1"
	! port_pid 1 >/dev/null
	check_err $? "vmqsim1-port outlived its device"
	[ "$(port_pid 0)" = "$pid" ]
	check_err $? "device 0's thread changed when device 1 went"
	log_test "one port thread per device, gone with it"
}

port_thread_classifies()
{
	local pid cpu t0 t1 f0 n=20000

	vmqsim_setup_or_exit 4
	pid=$(port_pid 0)
	check_err $? "no vmqsim0-port thread"
	# The thread is an unbound kthread: the admin places it.
	cpu=$(($(nproc) - 1))
	taskset -p -c "$cpu" "$pid" >/dev/null
	check_err $? "cannot pin the port thread to CPU $cpu"
	t0=$(cpu_ticks "$pid")
	f0=$(accounted)
	pktgen_send $PEER $UNMATCHED $n
	check_err $? "pktgen failed"
	busywait 20000 ge $((f0 + n)) accounted
	check_err $? "the NIC dealt with $(($(accounted) - f0)) of $n frames"
	t1=$(cpu_ticks "$pid")
	[ "$t1" -gt "$t0" ]
	check_err $? "port thread used no CPU time for $n frames ($t0 -> $t1)"
	[ "$(awk '{ sub(/^.*\) /, ""); print $37 }' "/proc/$pid/stat")" = "$cpu" ]
	check_err $? "port thread did not run where it was pinned"
	echo "port thread: $((t1 - t0)) ticks for $n frames"
	log_test "the port thread classifies the wire's frames"
}

port_fifo_overruns()
{
	local o0 f0 d0 o1 f1 d1 fifo n=1500 room=1024

	# A new device starts with the knob off, whatever this test left.
	vmqsim_setup_or_exit 4
	o0=$(sim_counter rx_overruns)
	f0=$(qp_sum rx_packets); d0=$(qp_sum rx_drops)
	echo Y > $SIM_DBG/port_hold
	check_err $? "cannot set port_hold"
	# pktgen_send returns when all n have left the partner.
	pktgen_send $PEER $UNMATCHED $n
	check_err $? "pktgen failed"
	o1=$(sim_counter rx_overruns)
	[ $((o1 - o0)) -ge $((n - room)) ] && [ $((o1 - o0)) -lt $n ]
	check_err $? "held port: $((o1 - o0)) overruns of $n, want $((n - room)) or a few more"
	fifo=$(cat /sys/class/net/$DEV/statistics/rx_fifo_errors)
	[ "$fifo" -eq "$o1" ]
	check_err $? "rx_fifo_errors $fifo, rx_overruns $o1"
	[ "$(($(qp_sum rx_packets) + $(qp_sum rx_drops)))" -eq $((f0 + d0)) ]
	check_err $? "frames reached a queue while the port was held"
	[ "$(cat $SIM_DBG/backlog)" -eq $((n - (o1 - o0))) ] &&
		[ "$(cat $SIM_DBG/port_backlog)" -eq $((n - (o1 - o0))) ]
	check_err $? "held port: backlog $(cat $SIM_DBG/backlog), port_backlog $(cat $SIM_DBG/port_backlog), want the $((n - (o1 - o0))) not overrun"
	echo N > $SIM_DBG/port_hold
	# What the FIFO held reaches the queue: with the overruns, all n.
	busywait 10000 eval '[ $(($(qp_sum rx_packets) - f0 +
		$(qp_sum rx_drops) - d0 + o1 - o0)) -eq $n ]'
	check_err $? "after release: delivered $(($(qp_sum rx_packets) - f0)), ring drops $(($(qp_sum rx_drops) - d0)), overruns $((o1 - o0)), want $n in all"
	[ "$(cat $SIM_DBG/backlog)" -eq 0 ] &&
		[ "$(cat $SIM_DBG/port_backlog)" -eq 0 ]
	check_err $? "after release: backlog $(cat $SIM_DBG/backlog), port_backlog $(cat $SIM_DBG/port_backlog), want 0"
	f1=$(qp_sum rx_packets); d1=$(qp_sum rx_drops)
	echo "sent $n: $((o1 - o0)) overruns, $((f1 - f0)) delivered, $((d1 - d0)) ring drops"
	log_test "a held port overruns its 1024-frame FIFO, every frame accounted"
}

# hold_irqs Y|N: every host queue pair's vector held, or not.
hold_irqs()
{
	local q

	for q in $SIM_DBG/qp[0-9]*/hold_irq; do
		echo "$1" > "$q" || return 1
	done
}

port_pause()
{
	local n=3000 f0 d0 o0 h0 p0 sent pid want="TX:[[:space:]]*on"

	vmqsim_setup_or_exit 4
	ethtool -A $DEV tx on
	check_err $? "ethtool -A $DEV tx on failed"
	ethtool -a $DEV | grep -q "$want"
	check_err $? "ethtool -a $DEV does not say $want"
	! ethtool -A $DEV rx on 2>/dev/null
	check_err $? "rx pause accepted: the partner never sends PAUSE"
	f0=$(qp_sum rx_packets); d0=$(qp_sum rx_drops)
	o0=$(sim_counter rx_overruns); h0=$(sim_counter rx_held)
	p0=$(sim_counter tx_pause_frames)
	# The host polls nothing: rings fill, then the FIFO.
	hold_irqs Y
	check_err $? "cannot hold the vectors"
	pktgen_send $PEER $UNMATCHED $n &
	pid=$!
	busywait 10000 eval '[ "$(sim_counter tx_pause_frames)" -gt "$p0" ]'
	check_err $? "the NIC sent no PAUSE with its rings and FIFO full"
	sleep 0.5
	sent=$(pktgen_sent $PEER)
	[ "${sent:-0}" -lt $n ]
	check_err $? "the partner sent all $n frames while paused"
	hold_irqs N
	check_err $? "cannot let the vectors go"
	wait $pid
	check_err $? "pktgen failed"
	busywait 20000 eval '[ $(($(qp_sum rx_packets) - f0)) -eq $n ]'
	check_err $? "delivered $(($(qp_sum rx_packets) - f0)) of $n"
	[ "$(qp_sum rx_drops)" -eq "$d0" ] &&
		[ "$(sim_counter rx_overruns)" -eq "$o0" ]
	check_err $? "with PAUSE: $(($(qp_sum rx_drops) - d0)) ring drops, $(($(sim_counter rx_overruns) - o0)) overruns, want none"
	[ "$(sim_counter rx_held)" -gt "$h0" ]
	check_err $? "no frame waited for a full ring"
	ethtool -I -a $DEV 2>/dev/null | grep -q "tx_pause_frames: [1-9]"
	check_err $? "ethtool -I -a shows no tx_pause_frames: $(ethtool -I -a $DEV 2>&1 | tr '\n' ' ')"
	echo "sent $n: paused at $sent of them, $(($(sim_counter tx_pause_frames) - p0)) PAUSE," \
	     "$(($(sim_counter rx_held) - h0)) holds, all delivered"
	ethtool -A $DEV tx off
	check_err $? "ethtool -A $DEV tx off failed"
	log_test "PAUSE: a full ring holds the port, a full FIFO pauses the partner, nothing lost"
}

# held_frames N: send N frames to the held queue pair 0, whose ring of 16
# fills, and wait until the port holds the rest; pktgen's PID in PG_PID.
held_frames()
{
	local h0

	h0=$(sim_counter rx_held)
	pktgen_send $PEER $UNMATCHED "$1" &
	PG_PID=$!
	busywait 10000 eval '[ "$(cat $SIM_DBG/port_backlog)" -gt 0 ] &&
		[ "$(sim_counter rx_held)" -gt "$h0" ]'
}

# Frames a full ring holds wait only while the link is up: the partner
# going down lets them go, dropped and counted, so pktgen, which waits
# until its last frame is freed, finishes; and del_device, which takes
# the partner down first, does not wait for them (it used to wait for
# good: "unregister_netdevice: waiting for vmq0w to become free").
port_pause_link_down()
{
	local n=40 f0 d0 o0 got

	vmqsim_setup_or_exit 4
	defer ethtool -A $DEV tx off
	# Before the teardown: the host's polls drain what is still held.
	defer hold_irqs N
	ethtool -G $DEV rx 16 && ethtool -A $DEV tx on
	check_err $? "ring of 16 and PAUSE on"
	f0=$(qp_sum rx_packets); d0=$(qp_sum rx_drops)
	o0=$(sim_counter rx_overruns)
	hold_irqs Y
	check_err $? "cannot hold the vectors"
	held_frames $n
	check_err $? "no frame held for the full ring (port_backlog $(cat $SIM_DBG/port_backlog))"
	echo "$(cat $SIM_DBG/port_backlog) of $n frames held in the port"
	ip link set $PEER down
	busywait 5000 eval '[ "$(cat $SIM_DBG/port_backlog)" -eq 0 ]'
	check_err $? "the partner down, the port still holds $(cat $SIM_DBG/port_backlog) frames"
	busywait 5000 eval '! kill -0 $PG_PID 2>/dev/null'
	check_err $? "pktgen still waits for its frames"
	hold_irqs N
	busywait 5000 eval '[ $(($(qp_sum rx_packets) - f0 + $(qp_sum rx_drops) - d0)) -eq $n ]'
	check_err $? "$(($(qp_sum rx_packets) - f0)) delivered and $(($(qp_sum rx_drops) - d0)) dropped of $n"
	got=$(($(qp_sum rx_packets) - f0))
	[ "$got" -lt $n ] && [ "$(sim_counter rx_overruns)" -eq "$o0" ]
	check_err $? "$got of $n delivered, $(($(sim_counter rx_overruns) - o0)) overruns: want the held ones dropped"
	echo "the partner down: $got delivered, $(($(qp_sum rx_drops) - d0)) dropped"
	if [ "$RET" -eq 0 ]; then
		ip link set $PEER up
		hold_irqs Y
		held_frames $n
		check_err $? "no frame held the second time"
		(echo 0 > "$VMQSIM_BUS/del_device") &
		busywait 20000 eval '[ ! -e $VMQSIM_BUS/devices/vmqsim0 ]'
		check_err $? "del_device still waits with frames held in the port"
		busywait 5000 eval '! kill -0 $PG_PID 2>/dev/null'
		check_err $? "pktgen still waits for its frames after del_device"
	fi
	log_test "PAUSE: held frames go when the link goes down or the device goes"
}

# A frame from the wire longer than the NIC's MTU + 18, or than any
# ring's buffer, is dropped and counted (qpN_rx_drops, rx_too_long, the
# NIC's rx_length_errors and rx_errors), PAUSE or not: the frames behind
# it go on.
port_pause_too_long()
{
	local f0 d0 t0 l0 e0 h0 stats=/sys/class/net/$DEV/statistics

	vmqsim_setup_or_exit 4
	defer ip link set $PEER mtu 1500
	defer ethtool -A $DEV tx off
	ethtool -A $DEV tx on && ip link set $PEER mtu 3000
	check_err $? "PAUSE on, or the partner's MTU 3000"
	f0=$(qp_sum rx_packets); d0=$(qp_sum rx_drops)
	t0=$(sim_counter rx_too_long); l0=$(cat $stats/rx_length_errors)
	e0=$(cat $stats/rx_errors)
	h0=$(sim_counter rx_held)
	# 2000 bytes: past MTU 1500 + 18; 4000: past any ring's buffer
	# (pktgen minds no MTU).
	pktgen_send $PEER $UNMATCHED 1 - 2000 &&
		pktgen_send $PEER $UNMATCHED 1 - 4000 &&
		pktgen_send $PEER $UNMATCHED 10
	check_err $? "pktgen failed"
	busywait 5000 eval '[ $(($(qp_sum rx_packets) - f0)) -eq 10 ]'
	check_err $? "delivered $(($(qp_sum rx_packets) - f0)) of the 10 frames behind the long ones"
	[ $(($(qp_sum rx_drops) - d0)) -eq 2 ] &&
		[ $(($(sim_counter rx_too_long) - t0)) -eq 2 ] &&
		[ $(($(cat $stats/rx_length_errors) - l0)) -eq 2 ] &&
		[ $(($(cat $stats/rx_errors) - e0)) -eq 2 ]
	check_err $? "long frames: $(($(qp_sum rx_drops) - d0)) ring drops, $(($(sim_counter rx_too_long) - t0)) rx_too_long, $(($(cat $stats/rx_length_errors) - l0)) rx_length_errors, $(($(cat $stats/rx_errors) - e0)) rx_errors, want 2 each"
	[ "$(cat $SIM_DBG/port_backlog)" -eq 0 ]
	check_err $? "frames left waiting in the port"
	[ "$(sim_counter rx_held)" -eq "$h0" ]
	check_err $? "frames waited in the port $(($(sim_counter rx_held) - h0)) times"
	log_test "PAUSE: a frame too long for the host is dropped and counted, never held"
}

# cal_on CPU: function-call IPIs CPU has taken (the CAL line).
cal_on()
{
	awk -v c="$1" '$1 == "CAL:" { print $(c + 2) }' /proc/interrupts
}

# vector_ipis CPU N: pin queue 0's vector to CPU, send N frames to queue 0,
# 300 us apart (pktgen sleeps between them, so that the port thread on
# pktgen's CPU takes each and its vector fires about once a frame), print
# "IRQS IPIS MS": the vector's interrupts and CPU's CAL IPIs meanwhile,
# and how long that took.  On
# a kernel VMQ_TIMEOUT_FACTOR times slower the frames are as many times
# further apart: sent faster than the port thread takes them one by one,
# they come in batches, one interrupt a batch, and the VM's own IPIs (a
# debug kernel's are many) outnumber the vector's interrupts.
vector_ipis()
{
	local cpu=$1 n=$2 irq i0 c0 f0 t0

	irq=$(qp_irq $DEV 0)
	echo "$cpu" > "/proc/irq/$irq/smp_affinity_list" || return 1
	busywait 2000 eval '[ "$(irq_eff_cpu '"$irq"')" = "$cpu" ]' || return 1
	pktgen_prepare $PEER $UNMATCHED "$n" - 60 &&
		pg_set $PEER "delay $((300000 * ${VMQ_TIMEOUT_FACTOR:-1}))" ||
		return 1
	i0=$(qstat $DEV qp0_irqs); c0=$(cal_on "$cpu")
	f0=$(accounted)
	t0=$(date +%s%N)
	echo start > "$PG/pgctrl" || return 1
	busywait 20000 ge $((f0 + n)) accounted || return 1
	echo "$(($(qstat $DEV qp0_irqs) - i0)) $(($(cal_on "$cpu") - c0))" \
	     "$((($(date +%s%N) - t0) / 1000000))"
}

local_vector_no_ipi()
{
	local pid here=1 there=2 n=1000 local_ remote bg
	# pktgen sends from the port thread's CPU: the thread's wake-ups
	# are then that CPU's own and cost no IPI, so the CPU's CAL count
	# is the vector's alone, however long the vCPUs wait for the host.
	local PKTGEN_THREAD=kpktgend_$here

	[ "$(nproc)" -ge 3 ] ||
		{ log_test_skip "a vector raised on its own CPU sends no IPI" \
			"needs 3 CPUs"; return; }
	vmqsim_setup_or_exit 4
	defer pg_set "$PKTGEN_THREAD" rem_device_all
	pid=$(port_pid 0)
	check_err $? "no vmqsim0-port thread"
	taskset -p -c $here "$pid" >/dev/null
	check_err $? "cannot pin the port thread to CPU $here"
	read -r -a local_ <<< "$(vector_ipis $here $n)"
	check_err $? "sending with the vector on CPU $here failed"
	read -r -a remote <<< "$(vector_ipis $there $n)"
	check_err $? "sending with the vector on CPU $there failed"
	# Sender, port thread and vector share the CPU: what IPIs it still
	# takes are the VM's own, which come with time, not with frames:
	# some 30 a window on an idle host, 100 to 150 on the debug kernel
	# beside two other VMs.  The other CPU takes one per interrupt and
	# its share of those; what it takes beyond its interrupts, per ms,
	# says how many of the VM's own this CPU took in its window (the
	# windows' lengths differ as load batches the frames).  Were the
	# vector to send itself an IPI, this CPU would take one per interrupt
	# beyond that.
	bg=$(((remote[1] - remote[0]) * local_[2] / (remote[2] > 0 ? remote[2] : 1)))
	[ "$bg" -ge 0 ] || bg=0
	echo "vector on the port's CPU: ${local_[0]} irqs, ${local_[1]} IPIs" \
	     "in ${local_[2]} ms; on another: ${remote[0]} irqs," \
	     "${remote[1]} IPIs in ${remote[2]} ms; the VM's own here: about $bg"
	[ "${local_[0]:-0}" -gt 0 ] &&
		[ $(((local_[1] - bg) * 2)) -lt "${local_[0]}" ]
	check_err $? "raising on its own CPU took IPIs: ${local_[*]}, for another ${remote[*]}, the VM's own about $bg"
	# The measure can see IPIs: the other CPU takes one per interrupt.
	[ "${remote[0]:-0}" -gt 0 ] && [ $((remote[1] * 2)) -ge "${remote[0]}" ]
	check_err $? "raising for another CPU showed no IPIs: ${remote[*]}"
	log_test "a vector raised on its own CPU sends no IPI"
}

require_root
tests_run
exit $EXIT_STATUS
