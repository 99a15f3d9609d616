#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The devlink instance of a vmq device (vmq.rst, "devlink"): it comes and
# goes with the device; its resources count queue pairs by owner and
# filter slots as they are taken and freed; its guest_queue health
# reporter reports a guest queue pair's error, dumps the queue, its owner
# and the reason, and reads healthy again once the guest reset the queue;
# dynamic_vmq is ethtool's dynamic-vmq flag; base_cpu and max_cpus keep
# every vector the admin did not pin, and Dynamic VMQ's moves, in their
# range.  (The macvlan_queues parameter: macvlan_vmmq.sh.)

source "$(dirname "$0")/lib.sh"

TESTS="
	instance
	resources
	health
	dynamic_param
	cpu_range
"

DEV=vmq0
BUS=vmqsim0
DL=vmqsim/$BUS
QPS=8
VMM="$(dirname "$(readlink -f "$0")")/vmq_vmm"
MDEVS=/sys/bus/mdev/devices
UUID=6f3c0a5e-0000-4000-8000-000000000d01
MAC=52:54:00:00:17:01

# res KEY NAME: KEY (size or occ) of resource NAME.
res()
{
	devlink resource show $DL | awk -v k="$1" -v n="$2" '
		{ for (i = 1; i < NF; i++) if ($i == "name" && $(i + 1) == n)
			for (j = i; j < NF; j++) if ($j == k) { print $(j + 1); exit } }'
}

# expect_occ "NAME=N ...": each resource's occupancy; prints mismatches.
expect_occ()
{
	local kv got rc=0

	for kv in $1; do
		got=$(res occ "${kv%%=*}")
		[ "$got" = "${kv#*=}" ] ||
			{ echo "${kv%%=*} occ $got, want ${kv#*=}"; rc=1; }
	done
	return $rc
}

# hstat KEY: KEY (state or error) of the guest_queue reporter.
hstat()
{
	devlink health show $DL reporter guest_queue |
		awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'
}

instance()
{
	devlink dev show | grep -qx "$DL"
	check_err $? "no devlink instance $DL"
	echo "1 4" > /sys/bus/vmqsim/new_device
	devlink dev show | grep -qx vmqsim/vmqsim1
	check_err $? "a new device has no devlink instance"
	echo 1 > /sys/bus/vmqsim/del_device
	devlink dev show | grep -q vmqsim/vmqsim1
	check_fail $? "a deleted device's devlink instance stayed"
	log_test "each device has a devlink instance, gone with it"
}

resources()
{
	local ch

	ch=$(ethtool -l $DEV | awk '/^Combined:/ { n++ } n == 2 { print $2; exit }')
	[ "$(res size queue_pairs)" = $QPS ] && [ "$(res size free)" = $QPS ] &&
		[ "$(res size filters)" -gt 0 ]
	check_err $? "sizes: queue_pairs $(res size queue_pairs) free $(res size free) filters $(res size filters)"
	expect_occ "queue_pairs=$ch host=$ch macvlan=0 vfio=0 free=$((QPS - ch)) filters=0"
	check_err $? "at start"
	ethtool -L $DEV combined 2 && defer ethtool -L $DEV combined "$ch"
	ethtool -N $DEV flow-type ether dst 52:54:00:00:17:02 action 1 loc 3 &&
		defer eval "ethtool -N $DEV delete 3 2>/dev/null; true"
	ethtool -K $DEV l2-fwd-offload on && defer ethtool -K $DEV l2-fwd-offload off
	ip link add link $DEV name dl1 address 52:54:00:00:17:03 type macvlan &&
		ip link set dl1 up && defer eval "ip link del dl1 2>/dev/null; true"
	echo "$UUID" > "$(vmq_mdev_type $BUS)/create" &&
		defer mdevs_remove "$UUID"
	check_err $? "setup of rule, macvlan, mdev"
	# The mdev has no MAC yet: no filter of its own.
	expect_occ "queue_pairs=4 host=2 macvlan=1 vfio=1 free=$((QPS - 4)) filters=2"
	check_err $? "with 2 channels, a rule, a macvlan and an mdev"
	echo $MAC > "$MDEVS/$UUID/vmq/mac"
	expect_occ "filters=3"
	check_err $? "after the mdev's MAC"
	ip link del dl1 && mdevs_remove "$UUID" && ethtool -N $DEV delete 3
	expect_occ "queue_pairs=2 host=2 macvlan=0 vfio=0 free=$((QPS - 2)) filters=0"
	check_err $? "after they went"
	log_test "resources count queue pairs by owner and filter slots"
}

health()
{
	local qp out

	if [ ! -x "$VMM" ]; then
		log_test_skip "guest_queue health reporter" "vmq_vmm not built"
		return
	fi
	modprobe vfio_iommu_type1
	TYPE=$(vmq_mdev_type $BUS)
	mdev_create $UUID $MAC && defer mdevs_remove $UUID
	check_err $? "mdev"
	qp=$(cat "$MDEVS/$UUID/vmq/qp")
	[ "$(hstat state)" = healthy ] && [ "$(hstat error)" = 0 ]
	check_err $? "guest_queue starts $(hstat state) with $(hstat error) errors"
	"$VMM" -t 3 $UUID bad-tail > /tmp/vmq_vmm.out 2>&1
	check_err $? "the bad-tail case failed: $(tail -3 /tmp/vmq_vmm.out)"
	busywait 3000 eval '[ "$(hstat error)" -ge 2 ]'
	check_err $? "two guest errors made $(hstat error) reports"
	out=$(devlink health dump show $DL reporter guest_queue 2>&1)
	for kv in "queue $qp" "owner vfio" "name $UUID" "reason ring index out of range"; do
		echo "$out" | tr -d ':' | grep -q "${kv%% *} ${kv#* }"
		check_err $? "dump lacks '$kv': $out"
	done
	# bad-tail resets the queue after each error: nothing is in error.
	busywait 3000 eval '[ "$(hstat state)" = healthy ]'
	check_err $? "guest_queue stays $(hstat state) after the guest's reset"
	devlink health dump clear $DL reporter guest_queue
	check_err $? "dump clear"
	log_test "guest_queue health: reports, dumps queue, owner, reason"
}

# param NAME: a runtime parameter's value.
param()
{
	devlink dev param show $DL name "$1" |
		awk '/cmode runtime value/ { print $NF }'
}

param_set()
{
	devlink dev param set $DL name "$1" value "$2" cmode runtime
}

# refused WHY CMD...: CMD fails, with WHY (strerror) in what it says.
refused()
{
	local why=$1 out
	shift

	out=$("$@" 2>&1) && { echo "$*: succeeded: '$out'"; return 1; }
	echo "$out" | grep -q "$why" || { echo "$*: '$out', want $why"; return 1; }
}

priv_dynamic()
{
	ethtool --show-priv-flags $DEV | awk '$1 ~ /^dynamic-vmq/ { print $NF }'
}

dynamic_param()
{
	[ "$(param dynamic_vmq)" = false ] && [ "$(priv_dynamic)" = off ]
	check_err $? "dynamic_vmq starts $(param dynamic_vmq), the flag $(priv_dynamic)"
	param_set dynamic_vmq true && defer param_set dynamic_vmq false
	[ "$(priv_dynamic)" = on ] &&
		grep -q "policy: dynamic" /sys/kernel/debug/vmq/$BUS/moves
	check_err $? "devlink dynamic_vmq true: flag $(priv_dynamic)"
	ethtool --set-priv-flags $DEV dynamic-vmq off
	[ "$(param dynamic_vmq)" = false ] &&
		grep -q "policy: static" /sys/kernel/debug/vmq/$BUS/moves
	check_err $? "ethtool dynamic-vmq off: devlink says $(param dynamic_vmq)"
	log_test "dynamic_vmq and ethtool's dynamic-vmq are one setting"
}

# vec_cpus: "QP:CPU ..." of every vmq0 queue pair's vector.
vec_cpus()
{
	local irq name

	awk -v d="$DEV-qp" 'index($NF, d) == 1 { sub(":", "", $1); print $1, $NF }' \
		/proc/interrupts | while read -r irq name; do
		printf '%s:%s ' "${name#"$DEV"-qp}" "$(irq_eff_cpu "$irq")"
	done
}

# all_in CPUS VEC_CPUS [EXCEPT_QP]: every vector's CPU is one of CPUS.
all_in()
{
	local v

	for v in $2; do
		[ "${v%%:*}" = "${3:-}" ] && continue
		[[ " $1 " == *" ${v#*:} "* ]] || return 1
	done
}

nr_moves()
{
	awk '/^moves:/ { print $2 }' /sys/kernel/debug/vmq/$BUS/moves
}

cpu_range()
{
	local pin_irq moves v before c last mark line

	if [ "$(nproc)" -lt 4 ]; then
		log_test_skip "base_cpu and max_cpus" "needs 4 CPUs"
		return
	fi
	[ "$(param base_cpu)" = 0 ] && [ "$(param max_cpus)" = 0 ]
	check_err $? "base_cpu $(param base_cpu) max_cpus $(param max_cpus), want 0 0"
	refused "Invalid argument" param_set base_cpu 100000
	check_err $? "base_cpu past the last CPU"
	refused "Invalid argument" param_set max_cpus 100000
	check_err $? "max_cpus past the CPU count"
	# The admin pins queue pair 1's vector to CPU 3: a pin stays.
	pin_irq=$(qp_irq $DEV 1)
	echo 3 > "/proc/irq/$pin_irq/smp_affinity_list"
	param_set base_cpu 1 && param_set max_cpus 2
	check_err $? "base_cpu 1, max_cpus 2"
	defer param_set base_cpu 0
	defer param_set max_cpus 0
	v=$(vec_cpus)
	all_in "1 2" "$v" 1
	check_err $? "vectors outside CPUs 1-2: $v"
	[ "$(irq_eff_cpu "$pin_irq")" = 3 ]
	check_err $? "the pinned vector left CPU 3: $v"
	# New vectors (a macvlan's) come inside the range too.
	ethtool -K $DEV l2-fwd-offload on && defer ethtool -K $DEV l2-fwd-offload off
	ip link add link $DEV name dl2 address 52:54:00:00:17:04 type macvlan &&
		ip link set dl2 up && defer ip link del dl2
	v=$(vec_cpus)
	all_in "1 2" "$v" 1
	check_err $? "after a macvlan, vectors outside CPUs 1-2: $v"
	# Dynamic VMQ packs the idle queues, inside the range.
	before=$(nr_moves)
	param_set dynamic_vmq true && defer param_set dynamic_vmq false
	busywait 10000 eval '[ "$(nr_moves)" -ge $((before + 2)) ]'
	check_err $? "Dynamic VMQ made $(($(nr_moves) - before)) moves in 10 s, want 2"
	moves=$(awk '$6 == "->" { print $7 }' /sys/kernel/debug/vmq/$BUS/moves |
		tail -n $(($(nr_moves) - before)) | sort -u)
	for c in $moves; do
		[ "$c" = 1 ] || [ "$c" = 2 ]
		check_err $? "Dynamic VMQ moved a vector to CPU $c"
	done
	v=$(vec_cpus)
	all_in "1 2" "$v" 1
	check_err $? "after Dynamic VMQ, vectors outside CPUs 1-2: $v"
	# A range reaching past the last CPU ends there, and its log line too.
	last=$(sed 's/.*[-,]//' /sys/devices/system/cpu/possible)
	param_set max_cpus 0 && param_set base_cpu 2
	check_err $? "base_cpu 2, max_cpus 0"
	mark=$(kmsg_mark)
	param_set max_cpus "$(nproc)"
	check_err $? "base_cpu 2, max_cpus $(nproc)"
	line=$(kmsg_since "$mark" | grep "vmq: vectors on CPUs" | tail -n 1)
	[ "${line##*vmq: }" = "vectors on CPUs 2-$last" ]
	check_err $? "base_cpu 2, max_cpus $(nproc): log says '$line', want CPUs 2-$last"
	log_test "base_cpu/max_cpus confine vectors and Dynamic VMQ; pins stay"
}

require_root
require_cmd devlink ethtool ip
vmqsim_setup_or_exit $QPS
tests_run
exit $EXIT_STATUS
