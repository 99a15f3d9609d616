#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The vmq benchmarks, run inside the test VM by scripts/bench.  Loads
# traffic with pktgen from the link partner vmq0w and counts frames at the
# consumer over fixed windows of guest time.  Prints machine-readable lines
# only; scripts/bench-report turns them into the table, JSON and plots:
#
#   BENCH METRIC CASE VALUE         one measured figure (one run)
#   BENCHNA METRIC CASE REASON...   a figure that could not be measured
#   BENCHOFF METRIC CASE VALUE      frames/s the link partner offered
#                                   in that run's window
#   BENCHINFO METRIC KEY VALUE...   context (settings, offload counts)
#   BENCHINSN METRIC CASE S E N     a window between the marks tagged S
#                                   and E (see MARK_NEXT) that delivered
#                                   N frames: scripts/bench-report turns
#                                   it into instructions per frame
#
#   scripts/guest/bench.sh [full|smoke] [METRIC...]

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
sel=$(cd "$here/../../selftests/drivers/net/vmq" && pwd)
# shellcheck source=../../selftests/drivers/net/vmq/lib.sh
source "$sel/lib.sh"

MODE=${1:-full}
shift || true
METRICS=${*:-"guest_rx copy_limit macvlan_offload filter_scaling irq_batching qp_memory migration vmmq"}

if [ "$MODE" = smoke ]; then
	RUNS=1 WIN=0.3 WARM=0.1 AWIN_X=1 QRUNS=1
	MV_COUNTS="1 8"
	FILTER_COUNTS="1 64"
	IRQ_QUEUES=8
	LOW_RATE=500
else
	RUNS=5 WIN=1 WARM=0.3 AWIN_X=8 QRUNS=9
	MV_COUNTS="1 8 64"
	FILTER_COUNTS="1 64 1024 4096"
	IRQ_QUEUES="8 64"
	LOW_RATE=200
fi
# Windows of guest time scaled by VMQ_BENCH_TSCALE (scripts/bench: on
# the instruction clock, whatever the shift, a window is as many
# instructions as 1 s is at shift 3).  A low-rate window keeps its
# length: it is mostly idle, which costs no instructions, and needs its
# frames.
LOW_WIN=$WIN
TSCALE=${VMQ_BENCH_TSCALE:-1}
WIN=$(awk -v w="$WIN" -v s="$TSCALE" 'BEGIN { print w * s }')
WARM=$(awk -v w="$WARM" -v s="$TSCALE" 'BEGIN { print w * s }')
SETTLE=$(awk -v s="$TSCALE" 'BEGIN { print s }')
# net_dim moves a queue's moderation a step per 64 interrupts and steps
# back when a step gained nothing, so an adaptive-rx window must hold
# dozens of its steps, or its count says where the last step happened
# to leave the queue: windows 8 times as long (a smoke run's are not),
# after as long a time to settle.
AWIN=$(awk -v w="$WIN" -v x="$AWIN_X" 'BEGIN { print w * x }')
# With 8 busy queues, 8 net_dims move at once and one window's count
# moved 11% to 16% from the next, so the median of five moved 7.5%
# between two runs: QRUNS windows twice as long at saturation.  One busy
# queue needs them too: its net_dim alternates between neighbouring
# profiles, its 1 s windows spread 50% to 94%, and the median of five
# moved 24% between two runs (5.29, 4 per 1000 frames).
QWIN=$(awk -v w="$AWIN" -v x="$AWIN_X" 'BEGIN { print (x > 1 ? 2 * w : w) }')

DEV=vmq0
PEER=vmq0w
BUS=vmqsim0
NCPU=$(nproc)

# The CPUs' roles, so that host CPU time is what the host pays: CPU 0 is
# the traffic generator's (pktgen, and this script with every command it
# runs), the last CPU stands for the NIC's silicon (the port thread and
# guest queue engines, vmqsim*), the CPUs between are the host's: every
# vector, softirq, RPS target and consumer.  "BENCH M_cpu CASE NS" lines
# are the host CPUs' busy time per frame (less a consumer's own user
# time: the consumer stands for the guest).  Fewer than 4 CPUs: no roles,
# no CPU figures.
GEN_CPU=0
PKTGEN_THREAD=kpktgend_$GEN_CPU
if [ "$NCPU" -ge 4 ]; then
	NIC_CPU=$((NCPU - 1))
	HOST_CPUS=$(seq -s, 1 $((NCPU - 2)))
	taskset -p -c $GEN_CPU $$ >/dev/null
else
	NIC_CPU= HOST_CPUS=
fi
# Every guest_rx consumer's CPU: the host's last.
GUEST_CPU=${HOST_CPUS##*,}
export VMQ_BENCH_HOST_CPUS=$HOST_CPUS VMQ_BENCH_NIC_CPU=$NIC_CPU
MV_BASE=52:54:00:20:00:00	# macvlan i: MV_BASE + i
FLT_BASE=52:54:00:30:00:00	# filter i: FLT_BASE + i
IRQ_MAC=52:54:00:40:00:01

out() { echo "$@"; }
na() { local m=$1 c=$2; shift 2; out "BENCHNA $m $c $*"; }
info() { out "BENCHINFO $*"; }

# mac_plus BASE N: BASE + N over its last two bytes (N < 65536).
mac_plus()
{
	local b=${1%:*:*}

	printf '%s:%02x:%02x' "$b" $(($2 >> 8)) $(($2 & 255))
}

now_ns() { date +%s%N; }

# --- pktgen ---------------------------------------------------------------

# pg_run DST_MAC SIZE [MAC_COUNT [rnd [RATE_PPS]]]: endless stream from the
# partner in the background, SIZE bytes without FCS.  MAC_COUNT > 1
# cycles the destination through that many consecutive MACs (rnd: at
# random among them), as fast as pktgen goes (no RATE_PPS).
#
# The partner stands for the wire, which costs the host nothing: the
# simulated NIC only reads what it sends and writes its own copy, so on
# vmq0w pktgen sends each skb PG_SHARE times (pg_run_shared).  A veth
# hands the very skb to its peer, so a veth partner gets one skb per
# frame; so does a random destination, which pktgen draws per skb.
pg_run()
{
	local mac=$1 size=$2 nmac=${3:-1} rate=${5:-0} gap=0 flags=()

	[ "${4:-}" = rnd ] && flags=(MACDST_RND)
	# What pktgen's "ratep" would set, in the unit pktgen_start takes.
	[ "$rate" -gt 0 ] && gap=$((1000000000 / rate))
	pktgen_stop
	if [ "$PEER" = vmq0w ] && [ "${4:-}" != rnd ]; then
		pg_run_shared "$mac" "$size" "$nmac" "$gap" || return 1
	else
		pktgen_start "$PEER" "$mac" - "$nmac" "$gap" "$size" \
			"${flags[@]}" || return 1
	fi
	pg_wait_started || return 1
	sleep "$WARM"
}

# Times pktgen sends one skb from vmq0w before it builds the next.
PG_SHARE=${VMQ_BENCH_PG_SHARE:-64}
# A shared skb keeps its destination, so MAC_COUNT MACs are as many
# pktgen devices on vmq0w (vmq0w, vmq0w@1, ...), one per MAC.  pktgen's
# thread runs the device whose next send is due first, and this delay
# (ns) between one device's sends, far shorter than a frame takes,
# makes that each in turn without ever waiting.
PG_TURN_NS=100

# pg_dev_shared NAME MAC SIZE GAP: configure pktgen device NAME.
pg_dev_shared()
{
	pg_set "$1" "count 0"
	pg_set "$1" "pkt_size $3"
	pg_set "$1" "delay $4"
	pg_set "$1" "dst_mac $2"
	pg_set "$1" "dst 198.51.100.1"
	pg_set "$1" "vlan_id 9999"
	pg_set "$1" "clone_skb $PG_SHARE"
}

# pg_run_shared DST_MAC SIZE MAC_COUNT GAP: pg_run's stream from vmq0w.
pg_run_shared()
{
	local mac=$1 size=$2 nmac=$3 gap=$4 i name m=$1

	[ -d "$PG" ] || modprobe pktgen || return 1
	pg_set "$PKTGEN_THREAD" rem_device_all
	[ "$nmac" -gt 1 ] && gap=$PG_TURN_NS
	for ((i = 0; i < nmac; i++)); do
		name=$PEER
		[ "$i" = 0 ] || { name=$PEER@$i; m=$(mac_plus "$mac" "$i"); }
		pg_set "$PKTGEN_THREAD" "add_device $name" || return 1
		pg_dev_shared "$name" "$m" "$size" "$gap" || return 1
	done
	(echo start > "$PG/pgctrl") 2>/dev/null &
	PKTGEN_PID=$!
}

# pg_wait_started: wait until pktgen, started in the background, sends.
# A stop that came before its start took effect would find nothing to
# stop, and the start would then leave it running for good (seen with
# windows of a few ms: "vmq0w is already stopped", then a hang).
pg_wait_started()
{
	BUSYWAIT_SLEEP=0.001 busywait 5000 pg_sending && return 0
	echo "bench: pktgen on $PEER did not start" >&2
	return 1
}

pg_sending() { [ "$(pktgen_sent "$PEER")" -gt 0 ] 2>/dev/null; }

# --- counters -------------------------------------------------------------

# sum_files FILE...: the sum of the numbers in FILEs.
sum_files() { awk '{ s += $1 } END { printf "%d\n", s }' "$@"; }

# qsum DEV REGEX: the sum of ethtool -S counters whose name matches.
qsum()
{
	ethtool -S "$1" | awk -v re="$2" '$1 ~ re { s += $2 }
		END { printf "%d\n", s }'
}

# offered: frames the link partner has sent (what pktgen offers).
offered() { cat /sys/class/net/$PEER/statistics/tx_packets; }

# The counters a rate window reads, in this shell: each leaves its value
# in REPLY.  A fork and exec costs the VM a few million instructions, and
# a window's counter reads, time stamps and sleep took about a fifth of
# the instructions of a 0.125 s window, work that no path does.
offered_reply() { read -r REPLY < "/sys/class/net/$PEER/statistics/tx_packets"; }
# reply CMD...: REPLY=CMD's output, for a counter that needs a command.
reply() { REPLY=$("$@"); }

# stamp VAR CMD...: VAR=what CMD leaves in REPLY, and VAR_t the midpoint
# in ns of the time CMD took (a counter read can take a while in a TCG
# VM), from bash's own clock (microseconds, no fork).
stamp()
{
	local var=$1 a b
	shift

	a=${EPOCHREALTIME/./}
	"$@"
	b=${EPOCHREALTIME/./}
	printf -v "$var" '%s' "$REPLY"
	printf -v "${var}_t" '%s' $(((a + b) * 500))
}

# window_sleep SECONDS: sleep without a fork: a read that times out on a
# FIFO this shell holds both ends of, so nothing ever comes.
window_sleep()
{
	read -r -t "$1" -u "$SLEEP_FD"
	return 0
}
SLEEP_FIFO=$(mktemp -u)
mkfifo "$SLEEP_FIFO" && exec {SLEEP_FD}<> "$SLEEP_FIFO"
rm -f "$SLEEP_FIFO"

# The tag of the next mark for the vmq_insns plugin (VMQ_VM_INSNS, see
# scripts/bench): each window's first and last, unique over the run; a
# consumer (sink) takes 64, a rate window 2.
MARK_NEXT=0

# host_busy_ns [MARK]: the host CPUs' time outside idle so far, measured
# at every idle entry and exit rather than sampled at the tick
# (vmq_bench_cpu, as the consumers read it, after passing MARK), 0 without
# CPU roles, nothing if unreadable.
host_busy_ns()
{
	if [ -n "$HOST_CPUS" ]; then
		"$sel/vmq_bench_cpu" "$@"
	else
		echo 0
	fi
}

# rate METRIC CASE CMD...: frames per second by CMD's counter (which CMD
# leaves in REPLY) over one window of WIN seconds (elapsed time measured,
# not assumed), as a BENCH line, what the partner offered meanwhile, as a
# BENCHOFF line, and the host CPU time per frame, as a BENCH METRIC_cpu
# line.
rate()
{
	local m=$1 c=$2 c0 c0_t c1 c1_t o0 o0_t o1 o1_t h0 h1 roles=$HOST_CPUS
	local mk=$MARK_NEXT
	shift 2

	MARK_NEXT=$((MARK_NEXT + 2))
	h0=$(host_busy_ns $mk)
	stamp o0 offered_reply; stamp c0 "$@"
	window_sleep "$WIN"
	stamp o1 offered_reply; stamp c1 "$@"
	h1=$(host_busy_ns $((mk + 1)))
	# No figure rather than a made-up one.
	if [ -z "$h0" ] || [ -z "$h1" ]; then
		na "${m}_cpu" "$c" "host CPU time unreadable (vmq_bench_cpu)"
		roles= h0=0 h1=0
	fi
	awk -v d=$((c1 - c0)) -v t=$((c1_t - c0_t)) -v o=$((o1 - o0)) \
		-v ot=$((o1_t - o0_t)) -v m="$m" -v c="$c" \
		-v h=$((h1 - h0)) -v roles="$roles" -v mk=$mk 'BEGIN {
		printf "BENCH %s %s %.0f\n", m, c, d * 1e9 / t
		printf "BENCHOFF %s %s %.0f\n", m, c, o * 1e9 / ot
		if (roles != "" && d > 0) {
			printf "BENCH %s_cpu %s %.0f\n", m, c, h / d
			printf "BENCHINSN %s %s %d %d %d\n", m, c, mk, mk + 1, d
		} }'
}

# runs METRIC CASE CMD...: RUNS windows of rate.
runs()
{
	local m=$1 c=$2 i
	shift 2

	for ((i = 0; i < RUNS; i++)); do
		rate "$m" "$c" "$@"
	done
}

# --- setup ----------------------------------------------------------------

# nic_place: the NIC's threads on its CPU, its vectors spread over the
# host's CPUs in turn (the admin's pin: the vmq policy keeps it).
nic_place()
{
	local -a host
	local irq i=0 pid comm

	[ -n "$HOST_CPUS" ] || return 0
	IFS=, read -ra host <<< "$HOST_CPUS"
	for irq in $(awk -v d="$DEV-" 'index($NF, d) == 1 {
			sub(":", "", $1); print $1 }' /proc/interrupts); do
		echo "${host[i++ % ${#host[@]}]}" \
			> "/proc/irq/$irq/smp_affinity_list" || return 1
	done
	# read, not cat: a fork per process costs seconds in the VM.
	for pid in /proc/[0-9]*; do
		read -r comm < "$pid/comm" 2>/dev/null || continue
		case $comm in
		vmqsim*) taskset -p -c "$NIC_CPU" "${pid#/proc/}" >/dev/null ;;
		esac
	done
}

# host_rps DEV: DEV's receive work goes to the host's CPUs (RPS), not to
# the generator's, whose transmit hands it the frames.
host_rps()
{
	local c mask=0

	[ -n "$HOST_CPUS" ] || return 0
	for c in ${HOST_CPUS//,/ }; do
		mask=$((mask | 1 << c))
	done
	printf '%x\n' $mask > "/sys/class/net/$1/queues/rx-0/rps_cpus"
}

fresh_nic()
{
	# The last figure's NIC goes, with all that was made on it: the
	# modules stay loaded, and vmqsim_setup makes device 0 anew.
	vmqsim_teardown
	vmqsim_setup "${1:-16}" || return 1
	# NIC_COAL: interrupt moderation for every queue pair of the NIC.
	[ -z "${NIC_COAL:-}" ] || ethtool -C $DEV $NIC_COAL || return 1
	# NIC_GUEST_RX_FIFO=Y (scripts/bench-profile vdpa-fifo): every frame
	# for a guest queue pair through its FIFO and engine.
	[ -z "${NIC_GUEST_RX_FIFO:-}" ] ||
		echo "$NIC_GUEST_RX_FIFO" > /sys/kernel/debug/vmqsim/0/guest_rx_fifo ||
		return 1
	# Link flow control, as host NICs usually run: past what a host
	# path takes, its full ring pauses the partner, rather than the
	# simulated silicon classifying frames only to drop them, on the
	# same instruction budget as the path (guest queues still drop).
	ethtool -A $DEV tx on || return 1
	busywait 5000 link_has_carrier $DEV && nic_place
}

# --- 2/6. macvlan_offload + cpu_spread ------------------------------------

# mv_rx: REPLY=the frames the macvlans bmv* have received.
mv_rx()
{
	local f v

	REPLY=0
	for f in /sys/class/net/bmv*/statistics/rx_packets; do
		read -r v < "$f" && REPLY=$((REPLY + v))
	done
}

# irq_cpus: per-CPU sums of the vmq0 vectors in /proc/interrupts.
irq_cpus()
{
	awk -v n="$NCPU" '$NF ~ /^vmq0-/ {
		for (c = 0; c < n; c++) s[c] += $(c + 2) }
		END { for (c = 0; c < n; c++) printf "%d ", s[c] }' \
		/proc/interrupts
}

softirq_cpus()
{
	awk -v n="$NCPU" '$1 == "NET_RX:" {
		for (c = 0; c < n; c++) printf "%d ", $(c + 2) }' /proc/softirqs
}

# spread_delta NAME BEFORE AFTER: one BENCH line per CPU.
spread_delta()
{
	local -a b=($2) a=($3)
	local c

	# With CPU roles, only the host's CPUs take vectors and softirqs.
	for c in "${!a[@]}"; do
		[ -z "$HOST_CPUS" ] || [[ ",$HOST_CPUS," == *",$c,"* ]] ||
			continue
		out "BENCH cpu_spread ${1}_cpu$c $((a[c] - b[c]))"
	done
}

bench_macvlan_offload()
{
	local n i off mode ib sb i0 i1 fi0 fi1

	for n in $MV_COUNTS; do
		# 64 queue pairs at most; one host channel leaves the rest.
		fresh_nic 64 || { na macvlan_offload "on_$n" "no vmqsim"; return; }
		ethtool -L $DEV combined 1 >/dev/null
		for ((i = 0; i < n; i++)); do
			ip link add link $DEV name bmv$i \
				address "$(mac_plus $MV_BASE "$i")" \
				type macvlan mode bridge &&
				ip link set bmv$i up || break
		done
		pg_run $MV_BASE 60 "$n"
		for mode in off on; do
			ethtool -K $DEV l2-fwd-offload $mode >/dev/null
			off=$(grep -c offloaded /sys/kernel/debug/vmq/$BUS/macvlans)
			info macvlan_offload "offloaded_${mode}_$n" "$off/$n"
			sleep "$WARM"
			if [ "$mode" = on ] && [ "$n" -eq 8 ]; then
				ib=$(irq_cpus)
				sb=$(softirq_cpus)
			fi
			fi0=$(qsum $DEV '^qp[0-9]+_(irqs|rx_packets):$')
			i0=$(qsum $DEV '^qp[0-9]+_irqs:$')
			runs macvlan_offload "${mode}_$n" mv_rx
			i1=$(qsum $DEV '^qp[0-9]+_irqs:$')
			fi1=$(qsum $DEV '^qp[0-9]+_(irqs|rx_packets):$')
			info macvlan_offload "frames_per_irq_${mode}_$n" \
				"$(awk -v i=$((i1 - i0)) \
				-v f=$((fi1 - fi0 - i1 + i0)) \
				'BEGIN { printf "%.2f", i ? f / i : 0 }')"
			if [ "$mode" = on ] && [ "$n" -eq 8 ]; then
				spread_delta irq "$ib" "$(irq_cpus)"
				spread_delta softirq "$sb" "$(softirq_cpus)"
				info cpu_spread pktgen_cpu $GEN_CPU
			fi
		done
		pktgen_stop
	done
}

# --- 3. filter_scaling ----------------------------------------------------

bench_filter_scaling()
{
	local n have=0 q=1

	fresh_nic 16 || { na filter_scaling 1 "no vmqsim"; return; }
	ethtool -L $DEV combined 4 >/dev/null
	info filter_scaling queue "$q"
	for n in $FILTER_COUNTS; do
		if ! "$sel/vmq_bench_rules" $DEV add $FLT_BASE "$have" \
			$((n - have)) $q; then
			na filter_scaling "$n" "installing $n rules failed"
			continue
		fi
		have=$n
		info filter_scaling "installed_$n" \
			"$(grep -c 52:54:00:30 \
			/sys/kernel/debug/vmq/$BUS/filters)"
		pg_run $FLT_BASE 60 "$n" rnd
		runs filter_scaling "$n" reply qsum $DEV '^qp[0-9]+_rx_packets:$'
		pktgen_stop
	done
}

# --- 4. irq_batching ------------------------------------------------------

# irq_window PREFIX [QUEUES [SECONDS]]: one window's interrupts and
# frames over the queue pairs whose names match the regex QUEUES
# (default: queue 1), over SECONDS (default WIN).
irq_window()
{
	local p=$1 q=${2:-1} w=${3:-$WIN} i0 f0 i1 f1 t0 t1

	i0=$(qsum $DEV "^qp($q)_irqs:\$")
	f0=$(qsum $DEV "^qp($q)_rx_packets:\$")
	t0=${EPOCHREALTIME/./}000
	window_sleep "$w"
	i1=$(qsum $DEV "^qp($q)_irqs:\$")
	f1=$(qsum $DEV "^qp($q)_rx_packets:\$")
	t1=${EPOCHREALTIME/./}000
	if [ $((f1 - f0)) -le 0 ]; then
		na irq_batching "${p}_irqs_per_1000" "no frames in the window"
		return
	fi
	awk -v i=$((i1 - i0)) -v f=$((f1 - f0)) -v t=$((t1 - t0)) -v p="$p" '
	BEGIN {
		printf "BENCH irq_batching %s_irqs_per_1000 %.2f\n", p, i * 1000 / f
		printf "BENCH irq_batching %s_frames_per_irq %.2f\n", p, i ? f / i : f
		printf "BENCH irq_batching %s_fps %.0f\n", p, f * 1e9 / t
	}'
}

bench_irq_batching()
{
	local i n

	fresh_nic 16 || { na irq_batching sat "no vmqsim"; return; }
	ethtool -L $DEV combined 4 >/dev/null
	ethtool -N $DEV flow-type ether dst $IRQ_MAC action 1 loc 0 >/dev/null
	info irq_batching coalescing "$(ethtool -c $DEV |
		awk '/^rx-usecs:|^rx-frames:/ { printf "%s%s ", $1, $2 }')"
	pg_run $IRQ_MAC 60
	for ((i = 0; i < RUNS; i++)); do
		irq_window sat
	done
	pktgen_stop
	pg_run $IRQ_MAC 60 1 "" $LOW_RATE
	info irq_batching low_rate_pps $LOW_RATE
	for ((i = 0; i < RUNS; i++)); do
		irq_window low 1 "$LOW_WIN"
	done
	pktgen_stop
	irq_batching_adaptive
	for n in $IRQ_QUEUES; do
		irq_batching_queues "$n"
	done
}

# irq_batching_queues N: N queue pairs busy at once, each with a rule for
# one of N MACs that pktgen sends to in turn; interrupts per frame over
# all of them, with the default moderation and with adaptive-rx.
irq_batching_queues()
{
	local n=$1 i all

	fresh_nic 64 || { na irq_batching "sat${n}_irqs_per_1000" "no vmqsim"; return; }
	ethtool -L $DEV combined "$n" >/dev/null ||
		{ na irq_batching "sat${n}_irqs_per_1000" "no $n channels"; return; }
	nic_place
	for ((i = 0; i < n; i++)); do
		"$sel/vmq_bench_rules" $DEV add $FLT_BASE "$i" 1 "$i" || {
			na irq_batching "sat${n}_irqs_per_1000" "rule $i failed"
			return
		}
	done
	all="[0-9]+"
	pg_run $FLT_BASE 60 "$n"
	for ((i = 0; i < RUNS; i++)); do
		irq_window "sat$n" "$all"
	done
	if ethtool -C $DEV adaptive-rx on >/dev/null 2>&1; then
		sleep "$QWIN"
		for ((i = 0; i < QRUNS; i++)); do
			irq_window "adaptive_sat$n" "$all" "$QWIN"
		done
	fi
	pktgen_stop
}

# The same two loads with net_dim choosing the moderation (adaptive-rx),
# each after a warm-up long enough for it to settle.
irq_batching_adaptive()
{
	local i n load w

	if ! ethtool -C $DEV adaptive-rx on >/dev/null 2>&1; then
		na irq_batching adaptive_sat_irqs_per_1000 "no adaptive-rx"
		return
	fi
	for load in sat low; do
		if [ $load = sat ]; then
			pg_run $IRQ_MAC 60
		else
			pg_run $IRQ_MAC 60 1 "" $LOW_RATE
		fi
		# net_dim settles; a low rate's window keeps its length.
		if [ $load = sat ]; then
			sleep "$QWIN"
			w=$QWIN n=$QRUNS
		else
			sleep 1
			w=$LOW_WIN n=$RUNS
		fi
		for ((i = 0; i < n; i++)); do
			irq_window adaptive_$load 1 "$w"
		done
		pktgen_stop
	done
	ethtool -C $DEV adaptive-rx off >/dev/null
}

# --- 1/5. guest_rx and copy_limit -----------------------------------------

GUEST_MAC=52:54:00:50:00:01
VFIO_UUID=6f3c0a5e-0000-4000-8000-0000000000be

# frame SIZE: pktgen's pkt_size (no FCS) for a SIZE-byte frame: 64 B frames
# are 60 B plus FCS; 1500 B frames carry a full 1500 B MTU payload.
frame_len() { [ "$1" = 64 ] && echo 60 || echo $(($1 + 14)); }

# sink METRIC CASE CMD...: run a consumer that prints one frames/s figure
# per window, each a BENCH line, and "info KEY VALUE" lines, each a
# BENCHINFO line; what the partner offered over the whole run is a
# BENCHOFF line.
sink()
{
	local m=$1 c=$2 line got=0 res err o0 o1 t0 t1 mk=$MARK_NEXT
	shift 2

	MARK_NEXT=$((MARK_NEXT + 64))

	res=$(mktemp)
	err=$(mktemp)
	o0=$(offered); t0=$(now_ns)
	# The consumer is the guest: a vCPU pinned to one of the host's CPUs,
	# as a VMM pins it.  Left to float, it woke on its vector's CPU in one
	# boot and on the other in the next, and a cross-CPU wakeup costs the
	# host kernel a fifth more.
	# Marks only where host CPU figures are wanted (not copy_limit's).
	[ -n "$VMQ_BENCH_HOST_CPUS" ] || mk=
	(taskset -p -c "${GUEST_CPU:-0-$((NCPU - 1))}" $BASHPID >/dev/null &&
		VMQ_BENCH_MARK=$mk "$@") > "$res" 2> "$err"
	o1=$(offered); t1=$(now_ns)
	while read -r line; do
		case $line in
		info\ *) info "$m" "${c}_${line#info }" ;;
		cpu\ *) out "BENCH ${m}_cpu $c ${line#cpu }" ;;
		insn\ *) out "BENCHINSN $m $c ${line#insn }" ;;
		[0-9]*) out "BENCH $m $c $line"; got=1 ;;
		# Anything else (a VMM's "FAIL: ...") is why it failed.
		*) echo "$line" >> "$err" ;;
		esac
	done < "$res"
	if [ "$got" = 1 ]; then
		[ "$m" = copy_limit ] ||
			awk -v o=$((o1 - o0)) -v t=$((t1 - t0)) -v m="$m" \
				-v c="$c" 'BEGIN {
				printf "BENCHOFF %s %s %.0f\n", m, c, o * 1e9 / t }'
	else
		na "$m" "$c" "consumer failed: $(head -c 200 "$err" |
			tr '\n' ' ')"
	fi
	rm -f "$res" "$err"
}

rxsink() { "$sel/vmq_bench_rxsink" "$@" "$WARM" "$WIN" "$RUNS"; }

# AF_PACKET (TPACKET_V3) on an offloaded macvlan of vmq0.
guest_rx_afpacket_offload()
{
	local s=$1 c=afpacket_offload_$1 qp q0

	fresh_nic 16 || { na guest_rx "$c" "no vmqsim"; return; }
	ethtool -K $DEV l2-fwd-offload on >/dev/null
	ip link add link $DEV name gmv0 address $GUEST_MAC type macvlan \
		mode bridge && ip link set gmv0 up && no_ipv6 gmv0
	qp=$(fwd_qp $BUS gmv0)
	[ -n "$qp" ] || { na guest_rx "$c" "macvlan not offloaded"; return; }
	pg_run $GUEST_MAC "$(frame_len "$s")"
	q0=$(qp_copies_irqs "$qp")
	sink guest_rx "$c" rxsink afpacket gmv0
	qp_irqs_info "$c" $q0 $(qp_copies_irqs "$qp")
	pktgen_stop
	ip link del gmv0
}

# AF_PACKET (TPACKET_V3) on a software macvlan over a veth, no vmq at all.
guest_rx_afpacket_sw_veth()
{
	local s=$1 c=afpacket_sw_veth_$1 save=$PEER

	ip link add bvA type veth peer name bvB &&
		ip link add link bvB name gmv1 address $GUEST_MAC \
			type macvlan mode bridge ||
		{ na guest_rx "$c" "cannot create veth + macvlan"; return; }
	for d in bvA bvB gmv1; do
		no_ipv6 $d
		ip link set $d up
	done
	host_rps bvB
	PEER=bvA
	pg_run $GUEST_MAC "$(frame_len "$s")"
	sink guest_rx "$c" rxsink afpacket gmv1
	pktgen_stop
	PEER=$save
	ip link del bvA
}

# AF_XDP in copy mode straight on a veth, no vmq at all: pktgen sends on
# bvA, the XDP socket takes queue 0 of bvB.  On bvB itself, not on a
# macvlan over it: veth has a native XDP hook, so the frame is copied into
# the UMEM from bvB's NAPI poll before any skb goes up a stack, while a
# macvlan would offer only generic XDP (an skb built, then copied again),
# AF_XDP's worst case and not what a VMM would pick.  This is AF_XDP's
# best case here, as macvtap's is an offloaded macvtap.
guest_rx_afxdp_veth()
{
	local s=$1 c=afxdp_veth_$1 save=$PEER

	ip link add bvA type veth peer name bvB &&
		ip link set bvB address $GUEST_MAC ||
		{ na guest_rx "$c" "cannot create veth"; return; }
	for d in bvA bvB; do
		no_ipv6 $d
		ip link set $d up
	done
	# veth's NAPI runs where bvA transmits, on the generator's CPU:
	# threaded (GRO gives bvB its NAPI before XDP does), the consumer
	# puts the thread on the host's CPUs.
	ethtool -K bvB gro on >/dev/null 2>&1 &&
		echo 1 > /sys/class/net/bvB/threaded ||
		{ na guest_rx "$c" "no threaded NAPI on veth"; ip link del bvA; return; }
	PEER=bvA
	pg_run $GUEST_MAC "$(frame_len "$s")"
	VMQ_BENCH_HOST_THREADS=napi/bvB sink guest_rx "$c" rxsink afxdp bvB
	pktgen_stop
	PEER=$save
	ip link del bvA
}

# read() from a macvtap on vmq0 (offloaded: the macvtap's best case).
guest_rx_macvtap()
{
	local s=$1 c=macvtap_$1 node qp q0

	fresh_nic 16 || { na guest_rx "$c" "no vmqsim"; return; }
	ethtool -K $DEV l2-fwd-offload on >/dev/null
	ip link add link $DEV name gvt0 address $GUEST_MAC type macvtap \
		mode bridge && ip link set gvt0 up && no_ipv6 gvt0
	node=/dev/tap$(cat /sys/class/net/gvt0/ifindex)
	busywait 2000 test -c "$node" ||
		{ na guest_rx "$c" "no $node"; return; }
	info guest_rx "macvtap_$s" "$(fwd_state $BUS gvt0)"
	qp=$(fwd_qp $BUS gvt0)
	pg_run $GUEST_MAC "$(frame_len "$s")"
	q0=$(qp_copies_irqs "${qp:-0}")
	sink guest_rx "$c" rxsink macvtap "$node"
	[ -z "$qp" ] || qp_irqs_info "$c" $q0 $(qp_copies_irqs "$qp")
	pktgen_stop
	ip link del gvt0
}

# A vmq VFIO queue: frames written by the device into a VMM's memory.
# guest_rx_vfio SIZE [CASE_PREFIX]
guest_rx_vfio()
{
	local s=$1 c=${2:-vfio}_$1 type mdev=/sys/bus/mdev/devices/$VFIO_UUID qp q0

	fresh_nic 16 || { na guest_rx "$c" "no vmqsim"; return; }
	if [ ! -x "$sel/vmq_bench_vfio" ]; then
		na guest_rx "$c" "vmq_bench_vfio not built"
		return
	fi
	modprobe vfio_iommu_type1 2>/dev/null
	type=$(ls -d /sys/class/mdev_bus/$BUS/mdev_supported_types/*-qp \
		2>/dev/null | head -n1)
	if [ -z "$type" ] || ! echo $VFIO_UUID > "$type/create" 2>/dev/null; then
		na guest_rx "$c" "no vmq_vfio mediated device type on $BUS"
		return
	fi
	if ! echo $GUEST_MAC > "$mdev/vmq/mac"; then
		na guest_rx "$c" "cannot set the mdev's MAC"
		echo 1 > "$mdev/remove"
		return
	fi
	qp=$(cat "$mdev/vmq/qp")
	pg_run $GUEST_MAC "$(frame_len "$s")"
	q0=$(qp_copies_irqs "$qp")
	sink guest_rx "$c" "$sel/vmq_bench_vfio" $VFIO_UUID \
		"$WARM" "$WIN" "$RUNS"
	qp_copies_irqs_info "$c" $q0 $(qp_copies_irqs "$qp")
	info guest_rx "${c}_moderation" "$(qp_moderation "$qp")"
	info guest_rx "${c}_vector_cpu" "$(irq_eff_cpu "$(qp_irq $DEV "$qp")")"
	pktgen_stop
	echo 1 > "$mdev/remove"
}

VDPA_NAME=bvdpa0

# vdpa_missing: why this kernel cannot have a vmq_vdpa device, or nothing.
vdpa_missing()
{
	modprobe vdpa 2>/dev/null
	if [ ! -d "$VDPA_BUS" ]; then
		echo "kernel $(uname -r) has no vDPA bus (CONFIG_VDPA)"
	elif ! modprobe vmq_vdpa 2>/dev/null; then
		echo "no vmq_vdpa module for kernel $(uname -r)"
	elif ! command -v vdpa >/dev/null; then
		echo "no vdpa tool (iproute2)"
	fi
}

# vdpa_dev_add CASE DRIVER: a vDPA device with the guest's MAC on the
# fresh NIC, bound to DRIVER (virtio_vdpa or vhost_vdpa), its queue pair
# in VDPA_QP; or an na line for CASE saying why not, and 1.
vdpa_dev_add()
{
	local c=$1 drv=$2 why out

	why=$(vdpa_missing)
	[ -z "$why" ] || { na guest_rx "$c" "$why"; return 1; }
	modprobe "$drv" 2>/dev/null || { na guest_rx "$c" "no $drv module"; return 1; }
	# The VM has no udev to load the device's driver.
	if [ "$drv" = virtio_vdpa ] && ! modprobe virtio_net 2>/dev/null; then
		na guest_rx "$c" "no virtio_net module"
		return 1
	fi
	if ! out=$(vdpa dev add name $VDPA_NAME mgmtdev vmqsim/$BUS \
		mac $GUEST_MAC 2>&1); then
		na guest_rx "$c" "vdpa dev add failed: $out"
		return 1
	fi
	if ! vdpa_bind $VDPA_NAME "$drv"; then
		na guest_rx "$c" "cannot bind $VDPA_NAME to $drv"
		vdpa dev del $VDPA_NAME
		return 1
	fi
	VDPA_QP=$(cat "$VDPA_BUS/devices/$VDPA_NAME/vmq/qp")
}

# vdpa_dev_wait CASE WHAT CMD...: CMD succeeds within 5 s; else an na
# line for CASE saying WHAT went wrong, the device deleted, and 1.
vdpa_dev_wait()
{
	local c=$1 what=$2
	shift 2

	busywait 5000 "$@" >/dev/null && return 0
	na guest_rx "$c" "$what"
	vdpa dev del $VDPA_NAME
	return 1
}

# vdpa_sink CASE CMD...: sink, with the queue pair's copies and
# interrupts, and the frames it dropped for want of a posted buffer
# (vmq_bench_vfio reads the VFIO queue's from its device).
vdpa_sink()
{
	local c=$1 q0 d0
	shift

	q0=$(qp_copies_irqs "$VDPA_QP")
	d0=$(qstat $DEV "qp${VDPA_QP}_rx_drops")
	sink guest_rx "$c" "$@"
	qp_copies_irqs_info "$c" $q0 $(qp_copies_irqs "$VDPA_QP")
	info guest_rx "${c}_vector_cpu" \
		"$(irq_eff_cpu "$(qp_irq $DEV "$VDPA_QP")")"
	info guest_rx "${c}_rx_drops" \
		$(($(qstat $DEV "qp${VDPA_QP}_rx_drops") - d0))
}

# A vmq queue pair as a vDPA virtio-net device, driven by the host's own
# virtio_net through virtio_vdpa: AF_PACKET (TPACKET_V3) on its netdev,
# the consumer of afpacket_offload.
guest_rx_vdpa_virtio_net()
{
	local s=$1 c=vdpa_virtio_net_$1 nd

	fresh_nic 16 || { na guest_rx "$c" "no vmqsim"; return; }
	vdpa_dev_add "$c" virtio_vdpa || return
	vdpa_dev_wait "$c" "no virtio_net netdev on $VDPA_NAME" \
		vdpa_netdev $VDPA_NAME || return
	nd=$(vdpa_netdev $VDPA_NAME)
	no_ipv6 "$nd"
	ip link set "$nd" up
	vdpa_dev_wait "$c" "$nd did not come up" link_has_carrier "$nd" ||
		return
	pg_run $GUEST_MAC "$(frame_len "$s")"
	vdpa_sink "$c" rxsink afpacket "$nd"
	pktgen_stop
	vdpa dev del $VDPA_NAME
}

# The same device bound to vhost_vdpa: a VMM's receive virtqueue in its
# own memory, through /dev/vhost-vdpa-N (vmq_bench_vhost, the VFIO
# queue's vmq_bench_vfio through the vhost uapi).
guest_rx_vdpa_vhost()
{
	local s=$1 c=vdpa_vhost_$1 node

	fresh_nic 16 || { na guest_rx "$c" "no vmqsim"; return; }
	if [ ! -x "$sel/vmq_bench_vhost" ]; then
		na guest_rx "$c" "vmq_bench_vhost not built"
		return
	fi
	vdpa_dev_add "$c" vhost_vdpa || return
	vdpa_dev_wait "$c" "no /dev/vhost-vdpa-N for $VDPA_NAME" \
		vhost_node $VDPA_NAME || return
	node=$(vhost_node $VDPA_NAME)
	pg_run $GUEST_MAC "$(frame_len "$s")"
	vdpa_sink "$c" "$sel/vmq_bench_vhost" "$node" "$WARM" "$WIN" "$RUNS"
	pktgen_stop
	vdpa dev del $VDPA_NAME
}

# qp_moderation QP: the receive moderation queue pair QP ends its run
# with, as net_dim or the admin set it: "USECSus/FRAMES".
qp_moderation()
{
	ethtool --per-queue $DEV queue_mask $((1 << $1)) --show-coalesce |
		awk '/^rx-usecs:/ { u = $2 } /^rx-frames:/ { f = $2 }
		     END { printf "%sus/%s", u, f }'
}

# qp_copies_irqs QP: the guest queue pair's frames, interrupts, and the
# frames the classifier wrote straight into guest buffers, so far.
qp_copies_irqs()
{
	echo "$(qstat $DEV "qp$1_rx_packets") $(qstat $DEV "qp$1_irqs")" \
		"$(sim_counter rx_guest_direct)"
}

# qp_irqs_info CASE BEFORE... AFTER...: a host queue pair's interrupts
# per 1000 frames over the run.
qp_irqs_info()
{
	local c=$1 f=$(($5 - $2)) i=$(($6 - $3))

	[ "$f" -gt 0 ] || return 0
	info guest_rx "${c}_irqs_per_1000" \
		"$(awk -v f=$f -v i=$i 'BEGIN { printf "%.1f", i * 1000 / f }')"
}

# qp_copies_irqs_info CASE BEFORE... AFTER...: per frame over the run,
# the copies (one into guest memory, one more through the FIFO) and the
# interrupts per 1000 frames.
qp_copies_irqs_info()
{
	local c=$1 f=$(($5 - $2)) i=$(($6 - $3)) d=$(($7 - $4))

	[ "$f" -gt 0 ] || return 0
	info guest_rx "${c}_copies_per_frame" \
		"$(awk -v f=$f -v d=$d 'BEGIN { printf "%.2f", (2 * f - d) / f }')"
	info guest_rx "${c}_irqs_per_1000" \
		"$(awk -v f=$f -v i=$i 'BEGIN { printf "%.1f", i * 1000 / f }')"
}

# The VFIO queue and the vDPA device's run with the driver's default
# moderation (20us/64).  With adaptive-rx, net_dim parked the VFIO queue
# on 64us/256 in one boot and on 256us/256 in the next, each steady over
# its run (it cannot tell them apart by throughput: the NIC's CPU sets
# that), and its host kernel instructions per frame followed, 56
# against 34: the VFIO queue with adaptive-rx is vfio_adaptive, for
# reference.  The vDPA device's park moved vdpa_virtio_net: where it
# gave 3.5 interrupts per 1000 frames, virtio_net refilled its ring that
# much less often, 25% to 28% of the frames found it empty and waited
# in the NIC's FIFO, and frames/s fell 7% to 11% against boots that got
# 6.8 to 8.3.  The other vmq queues (the offloaded macvlan's and
# macvtap's) run with adaptive-rx, interrupts that follow load; the
# AF_PACKET consumers
# batch by TPACKET_V3 blocks, retired after 2 ms.  Every path warms up
# as long as an adaptive-rx window (AWIN), so that net_dim has settled
# before the first window: a guest queue's consumer starts with the
# path, and after the usual warm-up its queue's moderation was still
# moving through the windows.
bench_guest_rx()
{
	local s p NIC_COAL="adaptive-rx on" WARM=$AWIN

	for s in 64 1500; do
		for p in vfio vdpa_virtio_net vdpa_vhost; do
			NIC_COAL='' "guest_rx_$p" "$s"
			pktgen_stop
		done
		for p in afpacket_offload afpacket_sw_veth afxdp_veth macvtap; do
			"guest_rx_$p" "$s"
			pktgen_stop
		done
		guest_rx_vfio "$s" vfio_adaptive
		pktgen_stop
	done
}

bench_copy_limit()
{
	local s

	# A yardstick, not a path: no host CPU figures.
	for s in 64 1500; do
		VMQ_BENCH_HOST_CPUS='' sink copy_limit "memcpy_$s" \
			rxsink memcpy "$(frame_len "$s")"
	done
}

# --- 6. qp_memory -----------------------------------------------------------

# Queue pairs held idle at once, and where the helper reports.
QPMEM_N=8
QPMEM_OUT=/tmp/vmq_bench_idle.out

# The host kernel's memory that grows with queue pairs, in KiB: slab it
# cannot reclaim, kernel stacks (the engines' threads), per-CPU areas.
qpmem_kib()
{
	awk '/^(SUnreclaim|KernelStack|Percpu):/ { s += $2 } END { print s }' \
		/proc/meminfo
}

# The file may not be there yet: the VMM creates it as it starts.
qpmem_said() { grep -qs "^$1" "$QPMEM_OUT"; }

# qpmem_run TYPE: one figure, QPMEM_N mediated devices of TYPE made,
# opened and enabled by one idle VMM, against the memory before.
qpmem_run()
{
	local type=$1 i uuids=() k0 k1 pid fd

	for ((i = 0; i < QPMEM_N; i++)); do
		uuids+=("$(printf '6f3c0a5e-0000-4000-8000-0000000001%02x' "$i")")
	done
	rm -f "$QPMEM_OUT"
	coproc QPMEM { "$sel/vmq_bench_idle" "${uuids[@]}" > "$QPMEM_OUT" 2>&1; }
	pid=$QPMEM_PID
	fd=${QPMEM[1]}
	# Started, with nothing of vmq's made or open yet.
	busywait 10000 qpmem_said ready || { kill "$pid"; return 1; }
	# The last run's objects freed after a grace period are gone.
	sleep 1
	k0=$(qpmem_kib)
	for i in "${uuids[@]}"; do
		echo "$i" > "$type/create" || break
	done
	echo go >&"$fd"
	busywait 30000 qpmem_said holding
	sleep 1
	k1=$(qpmem_kib)
	qpmem_said holding && out "BENCH qp_memory kib_per_qp" \
		"$(awk -v a="$k0" -v b="$k1" -v n="$QPMEM_N" \
			'BEGIN { printf "%.1f\n", (b - a) / n }')"
	eval "exec $fd>&-"
	wait "$pid"
	for i in "${uuids[@]}"; do
		echo 1 > "/sys/bus/mdev/devices/$i/remove" 2>/dev/null
	done
	return 0
}

bench_qp_memory()
{
	local type r

	fresh_nic 16 || { na qp_memory kib_per_qp "no vmqsim"; return; }
	if [ ! -x "$sel/vmq_bench_idle" ]; then
		na qp_memory kib_per_qp "vmq_bench_idle not built"
		return
	fi
	modprobe vfio_iommu_type1 2>/dev/null
	type=$(ls -d /sys/class/mdev_bus/$BUS/mdev_supported_types/*-qp \
		2>/dev/null | head -n1)
	if [ -z "$type" ]; then
		na qp_memory kib_per_qp "no vmq_vfio mediated device type on $BUS"
		return
	fi
	info qp_memory queue_pairs "$QPMEM_N"
	# A first run makes what later ones reuse (slab pages, caches).
	qpmem_run "$type" > /dev/null
	for ((r = 0; r < RUNS; r++)); do
		qpmem_run "$type" ||
			{ na qp_memory kib_per_qp "vmq_bench_idle did not start"; return; }
	done
}

# --- 7. migration ------------------------------------------------------------

MDEVS=/sys/bus/mdev/devices
MIG_MAC=52:54:00:50:00:01
MIG_UUIDS="6f3c0a5e-0000-4000-8000-0000000000b0 6f3c0a5e-0000-4000-8000-0000000000b1"

# mig_port_up DEV: the bridge forwards through its port DEV.
mig_port_up() { [ "$(cat "/sys/class/net/$1/brport/state" 2>/dev/null)" = 3 ]; }

# mig_setup: vmq0 and vmq1, their partners in br0 (the switch between
# two hosts), an mdev with the guest's MAC on each.
mig_setup()
{
	local id uuid

	fresh_nic 8 && modprobe vfio_iommu_type1 && vmqsim_new 1 8 &&
		no_ipv6 vmq1 && no_ipv6 vmq1w && ip link set vmq1 up &&
		ip link set vmq1w up || return 1
	ip link add br0 type bridge forward_delay 0 mcast_snooping 0 &&
		no_ipv6 br0 && ip link set vmq0w master br0 &&
		ip link set vmq1w master br0 && ip link set br0 up &&
		busywait 5000 mig_port_up vmq0w &&
		busywait 5000 mig_port_up vmq1w || return 1
	id=0
	for uuid in $MIG_UUIDS; do
		TYPE=$(vmq_mdev_type vmqsim$id)
		mdev_create "$uuid" "$MIG_MAC" || return 1
		id=$((id + 1))
	done
}

mig_teardown()
{
	# shellcheck disable=SC2086
	mdevs_remove $MIG_UUIDS
	ip link del br0 2>/dev/null
	vmqsim_teardown
}

# The downtime of a live migration of a guest queue pair (STOP on the
# source to RUNNING on the destination) and the frames of a steady
# stream (one per ms) lost in it, per migration, from the test VMM.
bench_migration()
{
	local rounds=$((RUNS * 2)) out

	if [ ! -x "$sel/vmq_migrate" ]; then
		na migration downtime_us "vmq_migrate not built"
		return
	fi
	if ! mig_setup; then
		mig_teardown
		na migration downtime_us "no two NICs with mdevs"
		return
	fi
	# shellcheck disable=SC2086
	out=$("$sel/vmq_migrate" -r "$rounds" $MIG_UUIDS bench 2>&1)
	if [ $? -ne 0 ]; then
		na migration downtime_us "vmq_migrate failed:" \
			"$(echo "$out" | grep -m1 FAIL)"
	else
		echo "$out" | grep '^BENCH '
	fi
	mig_teardown
}

# --- 8. vmmq ---------------------------------------------------------------

VMMQ_MAC=52:54:00:60:00:01

# vmmq_pg_run: an endless stream to VMMQ_MAC of UDP flows, the source
# port counting up through 1..65534: many flows, the VM's traffic VMMQ
# spreads.  (Random ports, UDPSRC_RND, cost pktgen two thirds of its
# rate in the VM.)
vmmq_pg_run()
{
	pktgen_stop
	pktgen_prepare "$PEER" $VMMQ_MAC 0 - 60 || return 1
	pg_set "$PEER" "udp_src_min 1"
	pg_set "$PEER" "udp_src_max 65535"
	(echo start > "$PG/pgctrl") 2>/dev/null &
	PKTGEN_PID=$!
	pg_wait_started || return 1
	sleep "$WARM"
}

# vmmq_qp_rx FIRST N: "rx rx ..." of queue pairs FIRST..FIRST+N-1.
vmmq_qp_rx()
{
	ethtool -S $DEV | awk -v f="$1" -v n="$2" '
		match($1, /^qp[0-9]+_rx_packets:$/) {
			q = substr($1, 3) + 0
			if (q >= f && q < f + n) v[q - f] = $2 }
		END { for (i = 0; i < n; i++) printf "%d ", v[i] }'
}

# vmmq_balance N CPUS BEFORE AFTER: the least over the most of the
# frames each CPU's queue pairs received (CPUS: each queue's vector's).
vmmq_balance()
{
	awk -v n="$1" -v cpus="$2" -v b="$3" -v a="$4" 'BEGIN {
		split(cpus, c, " "); split(b, x, " "); split(a, y, " ")
		for (i = 1; i <= n; i++) w[c[i]] += y[i] - x[i]
		min = -1
		for (k in w) {
			if (min < 0 || w[k] < min) min = w[k]
			if (w[k] > max) max = w[k]
		}
		printf "%.3f\n", (max > 0 ? min / max : 0) }'
}

# One macvlan (one VM) with 1, 2 and 4 queue pairs (devlink
# macvlan_queues) under many UDP flows, hashed with their ports: the
# frames/s it receives and, per window, how evenly its receive work falls
# on the CPUs its vectors are on: the least over the most of the frames
# received by each CPU's queue pairs.  Every queue pair runs with
# adaptive-rx, as in guest_rx: several queue pairs each see a fraction
# of the rate, which the default moderation signals frame by frame.
bench_vmmq()
{
	local n qp cpus q r b NIC_COAL="adaptive-rx on"

	for n in 1 2 4; do
		fresh_nic 16 || { na vmmq "q$n" "no vmqsim"; return; }
		ethtool -L $DEV combined 1 >/dev/null
		ethtool -K $DEV l2-fwd-offload on >/dev/null &&
			ethtool -N $DEV rx-flow-hash udp4 sdfn >/dev/null &&
			devlink dev param set vmqsim/$BUS name macvlan_queues \
				value $n cmode runtime ||
			{ na vmmq "q$n" "no macvlan_queues"; return; }
		ip link add link $DEV name bmv0 address $VMMQ_MAC \
			type macvlan mode bridge && ip link set bmv0 up
		qp=$(fwd_qp $BUS bmv0)
		[ -n "$qp" ] || { na vmmq "q$n" "bmv0 not offloaded"; return; }
		cpus=
		for ((q = qp; q < qp + n; q++)); do
			cpus+="$(irq_eff_cpu "$(qp_irq $DEV $q)") "
		done
		info vmmq "cpus_q$n" "$cpus"
		vmmq_pg_run || { na vmmq "q$n" "pktgen failed"; return; }
		for ((r = 0; r < RUNS; r++)); do
			b=$(vmmq_qp_rx "$qp" $n)
			rate vmmq "q$n" mv_rx
			[ $n -gt 1 ] && out "BENCH vmmq balance_q$n" \
				"$(vmmq_balance $n "$cpus" "$b" "$(vmmq_qp_rx "$qp" $n)")"
		done
		pktgen_stop
	done
}

# BENCH_LIB=1: only define the functions (for one-off experiments).
[ "${BENCH_LIB:-0}" = 1 ] && return 0

info meta kernel "$(uname -r)"
info meta cpus "$NCPU"
info meta mode "$MODE"
info meta runs "$RUNS"
info meta cpu_roles "generator $GEN_CPU, host ${HOST_CPUS:-none}, nic ${NIC_CPU:-none}"
info meta window_s "$WIN"
info meta low_window_s "$LOW_WIN"
info meta generator_share "$PG_SHARE"
info meta flow_control "tx pause"
for m in $METRICS; do
	t0=$(now_ns)
	"bench_$m"
	pktgen_stop
	info meta "took_$m" "$(( ($(now_ns) - t0) / 1000000 ))ms"
done
vmq_unload_all
exit 0
