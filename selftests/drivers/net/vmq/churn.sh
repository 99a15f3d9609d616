#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Churn under traffic.  While pktgen streams from the link partner to
# every MAC below, workers create and destroy, side by side:
#
#   macvlan  offloaded macvlans (and macvtaps), in bursts of 1 to 4
#   ntuple   ethtool MAC/VLAN rules, to host queues or drop, 1 to 3 at once
#   mdev     VFIO queue pairs: bare; with a VMM receiving that is killed
#            (kill -9); with a VMM transmitting that is killed; with a
#            VMM the host asks for the device back
#   device   whole vmqsim NICs, each with a macvlan, a rule and an mdev
#            (on every other one a VMM the del_device asks to let go), and
#            frames from its own link partner
#
# and a fifth toggles the NIC's channels (ethtool -L) and ring sizes
# (ethtool -G) under them.  Refusals (no queue pair left, a rule to a
# queue the channels no longer cover, channels a guest queue blocks) are
# expected and counted.  A cycle is one object created and destroyed:
# one macvlan, one rule, one mdev, one NIC (its macvlan, rule and mdev
# included).  Then: every queue pair and filter slot is free and every
# mdev instance available, the slab objects our modules allocated are
# back to their count before the churn, and the modules' only references
# are each other, so that nothing keeps them from unloading (mod_load.sh
# unloads them, after a NIC with a macvlan, a rule and an mdev is gone).
#
#   CHURN_CYCLES=N   N cycles in all (default 100), split 35:35:20:10
#                    among macvlan, ntuple, mdev and device, which makes
#                    the workers take about as long as each other
#   CHURN_SECONDS=S  instead, every worker churns for S seconds
#   CHURN_KINDS=...  only these workers (default: all four)
#
# A run longer than the settings' timeout goes around the runner, e.g.
#   CHURN_SECONDS=3600 ./churn.sh

source "$(dirname "$0")/lib.sh"

HERE=$(dirname "$(readlink -f "$0")")
VMM=$HERE/vmq_vmm
SEND=$HERE/vmq_send_frames
DEV=vmq0
PEER=vmq0w
BUS=vmqsim0
QPS=6
CHANNELS=2
MDEVS=/sys/bus/mdev/devices
UUID_PFX=6f3c0a5e-0000-4000-8000-c000000
# Destinations: macvlans :0x, rules :2x, mdevs :1x; pktgen covers all
# 48, a frame a millisecond at most: with shorter gaps pktgen spins, and
# an emulated CPU spinning slows the churn more than it adds frames.
MACP=52:54:00:c0:00
PG_MACS=48
PG_GAP_NS=1000000
# The NICs the device worker makes and their objects' MACs.
DEV_MACP=52:54:00:c1:00
# Network queue kobjects (rx-N, tx-N: a name, a sysfs node) are made
# again by whichever path changes the queue count last, ours (register,
# l2-fwd-offload, ethtool -L) or the stack's, so an object or two moves
# in or out of our count with nothing leaked.  A leak on a path the
# churn takes repeats every cycle of its kind: 10 times at the least.
SLAB_SLACK=2

CHURN_CYCLES=${CHURN_CYCLES:-100}
CHURN_SECONDS=${CHURN_SECONDS:-0}
KINDS=${CHURN_KINDS:-macvlan ntuple mdev device}
declare -A QUOTA=(
	[macvlan]=$((CHURN_CYCLES * 35 / 100))
	[ntuple]=$((CHURN_CYCLES * 35 / 100))
	[mdev]=$((CHURN_CYCLES * 20 / 100))
	[device]=$((CHURN_CYCLES - CHURN_CYCLES * 90 / 100))
)

ST=$(mktemp -d /tmp/churn.XXXXXX)

TESTS="
	churn
	all_free
	slab_back
	modules_unpinned
"

# --- worker bookkeeping ----------------------------------------------------
#
# Each worker is a background subshell that counts in its own array and
# keeps a copy of each figure in a file under $ST for the report; its
# failures go to $ST/errors.  Builtins only: a fork costs the emulated
# guest dearly.

declare -A FIG

# fig NAME [N]: add N (1) to a figure.
fig()
{
	FIG[$1]=$((${FIG[$1]:-0} + ${2:-1}))
	echo "${FIG[$1]}" > "$ST/$1"
}

# st_get NAME: a figure, from the files, once the workers are done.
st_get()
{
	cat "$ST/$1" 2>/dev/null || echo 0
}

err()
{
	echo "$*" >> "$ST/errors"
}

# churn_more KIND: whether KIND's worker goes on.  A worker whose creates
# are all refused stops after twice its quota of attempts.
churn_more()
{
	if [ "$CHURN_SECONDS" -gt 0 ]; then
		[ "$EPOCHSECONDS" -lt "$DEADLINE" ]
	else
		[ "${FIG[$1]:-0}" -lt "${QUOTA[$1]}" ] &&
			[ "${FIG[$1.tries]:-0}" -lt $((2 * QUOTA[$1] + 10)) ]
	fi
}

# offloaded UPPER: the macvlan has a queue pair of its own.
offloaded()
{
	grep -q "^$1 .* offloaded " /sys/kernel/debug/vmq/$BUS/macvlans
}

# --- the workers -------------------------------------------------------------

churn_macvlan()
{
	local n=0 k i name type
	local -a made

	while churn_more macvlan; do
		k=$((n % 4 + 1))
		made=()
		for ((i = 0; i < k; i++)); do
			name=chm$i
			type=macvlan
			[ $(((n + i) % 5)) -ne 4 ] || type=macvtap
			fig macvlan.tries
			if ! ip link add link $DEV name $name address $MACP:0$i \
				up type $type mode bridge; then
				err "macvlan: cannot add $type $name"
				continue
			fi
			made+=("$name")
			if offloaded $name; then
				fig macvlan.offloaded
			else
				fig macvlan.software
			fi
		done
		for name in "${made[@]}"; do
			ip link del $name || err "macvlan: cannot delete $name"
			fig macvlan
		done
		n=$((n + 1))
	done
}

churn_ntuple()
{
	local n=0 k i loc out
	local -a acts=(0 1 -1) made vlan

	while churn_more ntuple; do
		k=$((n % 3 + 1))
		made=()
		for ((i = 0; i < k; i++)); do
			loc=$((4000 + i))
			vlan=()
			[ $(((n + i) % 2)) -eq 0 ] || vlan=(vlan $((100 + i)) m 0xf000)
			fig ntuple.tries
			# Debian 12's ethtool exits 0 on a refused rule.
			out=$(ethtool -N $DEV flow-type ether dst $MACP:2$i \
				"${vlan[@]}" action "${acts[(n + i) % 3]}" \
				loc $loc 2>&1)
			if [ $? -ne 0 ] || echo "$out" | grep -q "Cannot insert"; then
				fig ntuple.refused
				continue
			fi
			made+=("$loc")
		done
		for loc in "${made[@]}"; do
			ethtool -N $DEV delete $loc ||
				err "ntuple: cannot delete the rule at $loc"
			fig ntuple
		done
		n=$((n + 1))
	done
}

# mdev_vmm UUID CASE OUT: start the test VMM on UUID; sets VMM_PID.
mdev_vmm()
{
	# Emptied here, not by the VMM's redirection, which runs after the
	# fork: the wait must not find the last VMM's "holding" line.
	# The VMM holds for at most 20 s of the slowest kernel's time: on the
	# debug kernel, with every other worker running, the device worker's
	# frames and del_device take longer than 20 s of wall time.
	: > "$3"
	"$VMM" -t $((20 * ${VMQ_TIMEOUT_FACTOR:-1})) "$1" "$2" > "$3" 2>&1 &
	VMM_PID=$!
	vmm_wait_holding "$3"
}

churn_mdev()
{
	local n=0 uuid qp out=$ST/vmm.out type

	type=$(vmq_mdev_type $BUS)
	while churn_more mdev; do
		uuid=$UUID_PFX$(printf %05x $n)
		n=$((n + 1))
		fig mdev.tries
		if ! echo $uuid > "$type/create" 2>/dev/null; then
			fig mdev.refused
			sleep 0.2
			continue
		fi
		echo $MACP:1$((n % 4)) > $MDEVS/$uuid/vmq/mac ||
			err "mdev: cannot set $uuid's MAC"
		qp=$(cat $MDEVS/$uuid/vmq/qp)
		case $((n % 4)) in
		1|2)
			# A VMM with DMA going (pktgen's frames into guest
			# buffers, or its own transmit loop) killed mid-run.
			local what=hold
			[ $((n % 4)) -eq 1 ] || what=txloop
			if mdev_vmm $uuid $what $out; then
				sleep 0.$((RANDOM % 5 + 1))
				kill -9 $VMM_PID
				wait $VMM_PID 2>/dev/null
				fig mdev.vmm_killed
				[ "$(qp_state $BUS "$qp")" != running ] ||
					err "mdev: queue pair $qp still running after its VMM ($what) was killed"
			else
				err "mdev: $what VMM did not start: $(tail -n 3 $out)"
				kill -9 $VMM_PID
				wait $VMM_PID 2>/dev/null
			fi
			;;
		3)
			# Removed under a running VMM: the host asks for the
			# device back and the removal waits for the VMM.
			if ! mdev_vmm $uuid hold $out; then
				err "mdev: hold VMM did not start: $(tail -n 3 $out)"
			fi
			;;
		esac
		if ! timeout 30 sh -c "echo 1 > $MDEVS/$uuid/remove"; then
			err "mdev: cannot remove $uuid"
			continue
		fi
		if [ $((n % 4)) -eq 3 ]; then
			if wait $VMM_PID; then
				fig mdev.vmm_released
			else
				err "mdev: VMM on removed $uuid failed: $(tail -n 3 $out)"
			fi
		fi
		fig mdev
	done
}

churn_device()
{
	local n=0 id nic peer uuid type pid frames

	while churn_more device; do
		id=$((n % 2 + 1))
		nic=vmq$id
		peer=vmq${id}w
		uuid=${UUID_PFX}f$(printf %04x $n)
		pid=
		fig device.tries
		if ! echo "$id 4" > /sys/bus/vmqsim/new_device; then
			err "device: new_device $id failed"
			sleep 1
			n=$((n + 1))
			continue
		fi
		ip link set $nic up && ip link set $peer up &&
			ethtool -L $nic combined 1 &&
			ethtool -K $nic l2-fwd-offload on ||
			err "device: cannot set $nic up"
		ip link add link $nic name chd$id address $DEV_MACP:0$id \
			type macvlan mode bridge && ip link set chd$id up ||
			err "device: no macvlan on $nic"
		ethtool -N $nic flow-type ether dst $DEV_MACP:1$id action 0 \
			loc 1 || err "device: no rule on $nic"
		type=$(vmq_mdev_type vmqsim$id)
		if echo $uuid > "$type/create" &&
		   echo $DEV_MACP:2$id > $MDEVS/$uuid/vmq/mac; then
			if [ $((n % 2)) -eq 1 ]; then
				mdev_vmm $uuid hold $ST/vmm_dev.out ||
					err "device: VMM did not start on $nic"
				pid=$VMM_PID
			fi
		else
			err "device: no mdev on $nic"
		fi
		frames=0
		for m in 0 1 2; do
			"$SEND" $peer $DEV_MACP:$m$id 100 && frames=$((frames + 100))
		done
		fig device.frames $frames
		if ! timeout 60 sh -c "echo $id > /sys/bus/vmqsim/del_device"; then
			err "device: del_device $id failed"
		else
			fig device
		fi
		if [ -n "$pid" ]; then
			wait $pid ||
				err "device: VMM on $nic was not asked to let go:" \
				    "$(tail -n 3 $ST/vmm_dev.out)"
		fi
		[ ! -e /sys/class/net/chd$id ] && [ ! -e $MDEVS/$uuid ] ||
			err "device: $nic's macvlan or mdev outlived it"
		n=$((n + 1))
	done
}

# The NIC's channels between 1 and 2, its rings between 128 and 256.
churn_admin()
{
	local n=0 ch ring

	while [ ! -e "$ST/done" ]; do
		ch=$((CHANNELS - n % 2))
		if ethtool -L $DEV combined $ch 2>/dev/null; then
			fig admin.channels
		else
			fig admin.channels_refused
		fi
		ring=$((256 >> (n % 2)))
		if ethtool -G $DEV rx $ring tx $ring 2>/dev/null; then
			fig admin.rings
		else
			fig admin.rings_refused
		fi
		n=$((n + 1))
		sleep 1
	done
}

# slab_young MS: the allocation traces (with stacks) of our objects
# allocated in the last MS milliseconds, to tell what stayed behind.
slab_young()
{
	awk -v max=$(($1 * $(getconf CLK_TCK 2>/dev/null || echo 100) / 1000)) '
		function flush() { if (ours && age <= max) printf "%s", e; e = "" }
		/^ +[0-9]+ / { flush(); ours = 0; age = $0
			       sub(/.* age=/, "", age); sub(/[- ].*/, "", age)
			       e = FILENAME ":\n" }
		/\[(vmq|vmqsim|vmq_vfio)\]/ { ours = 1 }
		/^ / { e = e $0 "\n" }
		END { flush() }' /sys/kernel/debug/slab/kmalloc-8/alloc_traces \
		/sys/kernel/debug/slab/kernfs_node_cache/alloc_traces 2>/dev/null
}

# stuck_pids: this test's processes, all its descendants: not its process
# group, which timeout(1) leaves for one of its own with its command.
stuck_pids()
{
	awk -v root=$$ '
	FNR == 1 {
		pid = FILENAME
		gsub(/[^0-9]/, "", pid)
		sub(/.*\) /, "")
		parent[pid] = $2
	}
	END {
		for (p in parent) {
			q = p
			while (q != root && (q in parent))
				q = parent[q]
			if (q == root)
				print p
		}
	}' /proc/[0-9]*/stat 2>/dev/null | sort -n
}

# stuck_report: where every task of this test waits.
stuck_report()
{
	local p

	for p in $(stuck_pids); do
		[ -e /proc/$p/cmdline ] || continue
		echo "# task $p: $(tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null)" \
			"$(grep '^State' /proc/$p/status 2>/dev/null)"
		sed 's/^/#   /' /proc/$p/stack 2>/dev/null
	done
	report
}

# --- tests -----------------------------------------------------------------

churn()
{
	local start kind pids=() pid sent errs

	require_cmd timeout
	start=$(date +%s%3N)
	CHURN_START=$start
	[ "$CHURN_SECONDS" -eq 0 ] || DEADLINE=$((EPOCHSECONDS + CHURN_SECONDS))
	pktgen_start $PEER $MACP:00 - $PG_MACS $PG_GAP_NS
	check_err $? "pktgen did not start"
	for kind in $KINDS; do
		(churn_$kind; echo $(($(date +%s%3N) - start)) > "$ST/$kind.ms") &
		pids+=($!)
	done
	churn_admin &
	ADMIN_PID=$!
	# A worker stuck in the kernel is a finding: say where it is.  The
	# debug kernel (VMQ_TIMEOUT_FACTOR) is that many times slower.
	if ! busywait $(((CHURN_SECONDS + 200) * ${VMQ_TIMEOUT_FACTOR:-1} * 1000)) \
		eval '! kill -0 ${pids[@]} 2>/dev/null'; then
		stuck_report
		check_err 1 "a churn worker is stuck"
	fi
	wait "${pids[@]}"
	touch "$ST/done"
	wait $ADMIN_PID
	sent=$(pktgen_sent $PEER)
	pktgen_stop
	ELAPSED=$(($(date +%s%3N) - start))
	PG_SENT=${sent:-0}

	errs=$(cat "$ST/errors" 2>/dev/null)
	[ -z "$errs" ]
	check_err $? "$(echo "$errs" | head -n 10)"
	for kind in $KINDS; do
		[ "$(st_get $kind)" -gt 0 ]
		check_err $? "no $kind cycle completed"
	done
	CYCLES=0
	for kind in $KINDS; do
		CYCLES=$((CYCLES + $(st_get $kind)))
	done
	[ "$CHURN_SECONDS" -gt 0 ] || [ $CYCLES -ge "$CHURN_CYCLES" ]
	check_err $? "$CYCLES cycles done, $CHURN_CYCLES asked for"
	[ "$PG_SENT" -gt 0 ]
	check_err $? "pktgen sent nothing"
	log_test "churn: $CYCLES create/destroy cycles under traffic"
}

all_free()
{
	local left want

	# The admin worker may have left one channel or small rings.
	busywait 10000 ethtool -L $DEV combined $CHANNELS
	check_err $? "channels cannot go back to $CHANNELS"
	ethtool -G $DEV rx 256 tx 256
	check_err $? "rings cannot go back to 256"
	left=$(vmq_leftovers $BUS)
	[ -z "$left" ]
	check_err $? "$left"
	want=$((QPS - CHANNELS))
	[ "$(cat "$(vmq_mdev_type $BUS)/available_instances")" -eq $want ]
	check_err $? "available_instances $(cat "$(vmq_mdev_type $BUS)/available_instances"), want $want"
	[ -z "$(ls $MDEVS)" ]
	check_err $? "mdevs left: $(ls $MDEVS)"
	[ "$(ls /sys/bus/vmqsim/devices)" = $BUS ]
	check_err $? "vmqsim devices left: $(ls /sys/bus/vmqsim/devices)"
	log_test "every queue pair, filter slot and mdev instance is free"
}

slab_back()
{
	if [ -z "$SLAB_BEFORE" ]; then
		log_test_skip "slab objects back to baseline" \
			"no allocation traces (slub_debug=U) in debugfs"
		return
	fi
	# Objects freed after an RCU grace period take a moment.
	busywait 10000 eval \
		'slab_grown "$SLAB_BEFORE" $SLAB_SLACK "$ST" > "$ST/slab.grown"'
	check_err $? "more of our slab objects (cache before after):
$(cat "$ST/slab.grown")
by site and caller:
$(diff "$ST/slab.before" "$ST/slab.after" | grep '^[-+][^-+]')"
	if [ "$RET" -ne 0 ]; then
		ls /sys/class/mdev_bus /sys/bus/vmqsim/devices /sys/kernel/iommu_groups
		slab_young $(($(date +%s%3N) - CHURN_START)) | head -n 300
	fi
	log_test "slab objects our modules allocated are back to baseline"
}

# A module's reference count is its users plus the modules that link
# against it (each holds one): vmqsim has none, vmq_vfio has vmqsim,
# vmq has both.  More is a leaked reference, which would keep the
# modules from unloading; the unloading itself is mod_load.sh's.
modules_unpinned()
{
	check_module_refs
	log_test "the modules hold no references but each other's"
}

report()
{
	local kind
	local asked="$CHURN_CYCLES cycles"

	[ "$CHURN_SECONDS" -eq 0 ] || asked="$CHURN_SECONDS s"
	echo "# churn figures ($asked asked, $(nproc) CPUs):"
	for kind in $KINDS; do
		printf "#   %-8s %5d cycles in %6d ms\n" $kind "$(st_get $kind)" \
			"$(st_get $kind.ms)"
	done
	echo "#   macvlans offloaded $(st_get macvlan.offloaded), software $(st_get macvlan.software)"
	echo "#   ntuple rules refused $(st_get ntuple.refused)"
	echo "#   mdev creates refused $(st_get mdev.refused), VMMs killed $(st_get mdev.vmm_killed), asked to let go $(st_get mdev.vmm_released)"
	echo "#   ethtool -L $(st_get admin.channels) (refused $(st_get admin.channels_refused)), -G $(st_get admin.rings) (refused $(st_get admin.rings_refused))"
	echo "#   frames sent: pktgen $PG_SENT, device partners $(st_get device.frames)"
	echo "#   elapsed $((ELAPSED / 1000)).$(printf %03d $((ELAPSED % 1000))) s"
}

require_root
require_cmd ethtool ip modprobe
[ -x "$VMM" ] && [ -x "$SEND" ] || { echo "SKIP: test helpers not built"; exit $ksft_skip; }
vmqsim_setup_or_exit $QPS
defer rm -rf "$ST"
modprobe vfio_iommu_type1 || { echo "SKIP: no vfio_iommu_type1"; exit $ksft_skip; }
[ -n "$(vmq_mdev_type $BUS)" ] || { echo "SKIP: no mdev type"; exit $ksft_skip; }
ethtool -L $DEV combined $CHANNELS &&
	ethtool -K $DEV l2-fwd-offload on || { echo "FAIL: NIC setup"; exit 1; }
SLAB_BEFORE=$(slab_ours)
PG_SENT=0
ELAPSED=0
tests_run
report
exit $EXIT_STATUS
