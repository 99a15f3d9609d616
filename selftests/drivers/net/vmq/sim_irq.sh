#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vmqsim's simulated MSI-X: one vector per queue pair plus a misc vector,
# real Linux irqs in /proc/interrupts, requested while vmq0 is up, spread
# over the CPUs by their affinity hints, delivered on the CPU their
# effective affinity names and moved by writing smp_affinity_list.

source "$(dirname "$0")/lib.sh"

SEND="$(cd "$(dirname "$0")" && pwd)/vmq_send_frames"
SIM_DBG=/sys/kernel/debug/vmqsim/0
OTHER_MAC=02:00:00:00:00:99
NUM_QPS=16

TESTS="
	vectors_requested_while_up
	hints_spread_over_cpus
	irq_on_effective_cpu
	affinity_write_moves_irq
	affinity_survives_down_up
	misc_fires_on_carrier_change
"

carrier_up()
{
	[ "$(cat /sys/class/net/vmq0/carrier 2>/dev/null)" = 1 ]
}

# irq_setup: device 0 with the defaults (NUM_QPS queue pairs), vmq0 and
# its partner up, both in this namespace.
irq_setup()
{
	defer vmqsim_teardown
	vmq_load || return 1
	vmqsim_new 0 || return 1
	ip link set vmq0 up && ip link set vmq0w up || return 1
	busywait 5000 carrier_up
}

# irq_of NAME: the irq number /proc/interrupts lists NAME under.
irq_of()
{
	awk -v n="$1" '$NF == n { sub(":", "", $1); print $1 }' /proc/interrupts
}

ncpus()
{
	head -n1 /proc/interrupts | wc -w
}

# irq_counts IRQ: its per-CPU counts, space separated.
irq_counts()
{
	awk -v irq="$1:" -v n="$(ncpus)" \
		'$1 == irq { for (i = 2; i <= n + 1; i++) printf "%s ", $i }' \
		/proc/interrupts
}

effective_cpu()
{
	cat "/proc/irq/$1/effective_affinity_list"
}

# rose_only_on IRQ BEFORE CPU: since BEFORE, only CPU's count rose.
rose_only_on()
{
	local irq=$1 cpu=$3 before after i

	read -ra before <<< "$2"
	read -ra after <<< "$(irq_counts "$irq")"

	for ((i = 0; i < ${#after[@]}; i++)); do
		if [ "$i" -eq "$cpu" ]; then
			[ "${after[i]}" -gt "${before[i]}" ] || return 1
		else
			[ "${after[i]}" -eq "${before[i]}" ] || return 1
		fi
	done
}

# qp0_traffic: frames from the partner that the silicon puts on qp0.
qp0_traffic()
{
	"$SEND" vmq0w $OTHER_MAC 20
}

vectors_requested_while_up()
{
	local qp missing=''

	irq_setup
	check_err $? "setup failed"
	for ((qp = 0; qp < NUM_QPS; qp++)); do
		[ -n "$(irq_of vmq0-qp$qp)" ] || missing+=" vmq0-qp$qp"
	done
	[ -n "$(irq_of vmq0-misc)" ] || missing+=" vmq0-misc"
	[ -z "$missing" ]
	check_err $? "not in /proc/interrupts:$missing"
	grep -q "vmq0-qp$NUM_QPS\$" /proc/interrupts
	check_fail $? "one vector too many"
	awk '$1 == "qp0" { exit !($2 > 0 && $3 >= 0) }' $SIM_DBG/vectors
	check_err $? "debugfs shows no virq/cpu for qp0"
	ip link set vmq0 down
	grep -q "vmq0-" /proc/interrupts
	check_fail $? "vectors still requested after down"
	log_test "vmq0-qp0..qp$((NUM_QPS - 1)) and vmq0-misc exist while up"
}

hints_spread_over_cpus()
{
	local qp irq hints='' n want

	irq_setup
	check_err $? "setup failed"
	for ((qp = 0; qp < NUM_QPS; qp++)); do
		irq=$(irq_of vmq0-qp$qp)
		hints+="$(cat /proc/irq/$irq/affinity_hint)"$'\n'
		[ "$(cat /proc/irq/$irq/effective_affinity_list)" = \
		  "$(cat /proc/irq/$irq/smp_affinity_list)" ]
		check_err $? "qp$qp: effective affinity is not the set one"
	done
	n=$(echo -n "$hints" | sort -u | grep -c .)
	want=$(ncpus)
	[ "$want" -le $NUM_QPS ] || want=$NUM_QPS
	[ "$n" -eq "$want" ]
	check_err $? "hints cover $n distinct CPU masks, want $want"
	log_test "affinity hints spread the vectors over all CPUs"
}

irq_on_effective_cpu()
{
	local irq cpu before

	irq_setup
	check_err $? "setup failed"
	irq=$(irq_of vmq0-qp0)
	cpu=$(effective_cpu "$irq")
	before=$(irq_counts "$irq")
	qp0_traffic
	check_err $? "sending frames failed"
	busywait 5000 rose_only_on "$irq" "$before" "$cpu"
	check_err $? "counts went from [$before] to [$(irq_counts "$irq")], want a rise on CPU$cpu only"
	log_test "qp0's interrupts arrive on its effective CPU only"
}

affinity_write_moves_irq()
{
	local irq cpu target before

	if [ "$(ncpus)" -lt 2 ]; then
		log_test_skip "smp_affinity_list moves the vector" "one CPU"
		return
	fi
	irq_setup
	check_err $? "setup failed"
	irq=$(irq_of vmq0-qp0)
	cpu=$(effective_cpu "$irq")
	target=$(( (cpu + 1) % $(ncpus) ))
	echo $target > /proc/irq/$irq/smp_affinity_list
	check_err $? "writing smp_affinity_list failed"
	[ "$(effective_cpu "$irq")" = $target ]
	check_err $? "effective affinity is $(effective_cpu "$irq"), want $target"
	before=$(irq_counts "$irq")
	qp0_traffic
	busywait 5000 rose_only_on "$irq" "$before" "$target"
	check_err $? "counts went from [$before] to [$(irq_counts "$irq")], want a rise on CPU$target only"
	awk -v c=$target '$1 == "qp0" { exit $3 != c }' $SIM_DBG/vectors
	check_err $? "debugfs does not show qp0 on CPU$target"
	log_test "smp_affinity_list moves qp0's vector"
}

affinity_survives_down_up()
{
	local irq target

	if [ "$(ncpus)" -lt 2 ]; then
		log_test_skip "affinity survives down/up" "one CPU"
		return
	fi
	irq_setup
	check_err $? "setup failed"
	irq=$(irq_of vmq0-qp0)
	target=$(( ($(effective_cpu "$irq") + 1) % $(ncpus) ))
	echo $target > /proc/irq/$irq/smp_affinity_list
	ip link set vmq0 down
	ip link set vmq0 up
	irq=$(irq_of vmq0-qp0)
	[ "$(effective_cpu "$irq")" = $target ]
	check_err $? "after down/up qp0 is on CPU$(effective_cpu "$irq"), want $target"
	log_test "an affinity the admin set survives down/up"
}

misc_total()
{
	local sum=0 c

	for c in $(irq_counts "$(irq_of vmq0-misc)"); do
		sum=$((sum + c))
	done
	echo $sum
}

misc_fires_on_carrier_change()
{
	local before

	irq_setup
	check_err $? "setup failed"
	before=$(misc_total)
	ip link set vmq0w down
	ip link set vmq0w up
	busywait 5000 carrier_up
	busywait 2000 eval '[ "$(misc_total)" -ge $((before + 2)) ]'
	check_err $? "misc vector fired $(($(misc_total) - before)) times, want 2"
	log_test "misc vector fires on carrier changes"
}

require_root
require_cmd ip modprobe
if [ ! -x "$SEND" ]; then
	echo "SKIP: $SEND not built (make -C $(dirname "$0"))"
	exit $ksft_skip
fi
tests_run
exit $EXIT_STATUS
