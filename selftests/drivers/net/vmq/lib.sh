#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for the vmq selftests, with the names the kernel's net
# selftests use (check_err, check_fail, log_test, tests_run, busywait,
# defer) so they read the same.  Source it; set TESTS to the list of test
# functions; call tests_run; exit $EXIT_STATUS.

ksft_skip=4
RET=0
EXIT_STATUS=0
RETMSG=

# --- result bookkeeping ---------------------------------------------------

check_err()
{
	local err=$1 msg=$2

	if [ "$RET" -eq 0 ] && [ "$err" -ne 0 ]; then
		RET=$err
		RETMSG=$msg
	fi
}

check_fail()
{
	local err=$1 msg=$2

	if [ "$RET" -eq 0 ] && [ "$err" -eq 0 ]; then
		RET=1
		RETMSG=$msg
	fi
}

log_test()
{
	local name=$1

	if [ "$RET" -ne 0 ]; then
		EXIT_STATUS=1
		printf "TEST: %-60s [FAIL]\n" "$name"
		[ -z "$RETMSG" ] || printf "\t%s\n" "$RETMSG"
		RET=0
		RETMSG=
		return 1
	fi
	printf "TEST: %-60s [ OK ]\n" "$name"
	return 0
}

log_test_skip()
{
	printf "TEST: %-60s [SKIP]\n" "$1"
	[ -z "${2:-}" ] || printf "\t%s\n" "$2"
	RET=0
	RETMSG=
}

# --- deferred cleanup -----------------------------------------------------
#
# "defer CMD..." queues CMD to run when the current test ends (tests_run
# opens a scope per test) or, outside tests, when the script exits.
# Commands run in reverse order of queueing.

DEFER_CMDS=()
DEFER_SCOPES=()

defer()
{
	DEFER_CMDS+=("$(printf '%q ' "$@")")
}

defer_scope_push()
{
	DEFER_SCOPES+=("${#DEFER_CMDS[@]}")
}

defer_scope_pop()
{
	local base=${DEFER_SCOPES[-1]} i

	for ((i = ${#DEFER_CMDS[@]} - 1; i >= base; i--)); do
		eval "${DEFER_CMDS[i]}" >/dev/null 2>&1
		unset "DEFER_CMDS[i]"
	done
	DEFER_CMDS=("${DEFER_CMDS[@]}")
	unset "DEFER_SCOPES[-1]"
}

defer_run_all()
{
	while [ ${#DEFER_SCOPES[@]} -gt 0 ]; do
		defer_scope_pop
	done
}

# Deferred commands run with their output dropped; what a teardown must
# say goes here, to the test's own stderr.
exec {REPORT_FD}>&2

# A teardown that cannot put things back sets TEARDOWN_FAILED: the next
# test would find them, so the script fails even when every test passed.
TEARDOWN_FAILED=

defer_exit()
{
	local rc=$? left

	defer_run_all
	[ -z "$TEARDOWN_FAILED" ] || rc=1
	# The next script must find no device (vmqsim_new refuses an ID in
	# use): one left here is a teardown missing.
	# No bus (vmqsim unloaded) is no device; set -e callers (the demo)
	# must not die on ls's status here.
	left=$(ls "$VMQSIM_BUS/devices" 2>/dev/null || true)
	if [ -n "$left" ]; then
		echo "teardown: devices left behind:" $left >&2
		rc=1
	fi
	exit $rc
}

DEFER_SCOPES=(0)
trap defer_exit EXIT

# --- running tests --------------------------------------------------------

tests_run()
{
	local t

	for t in $TESTS; do
		defer_scope_push
		"$t"
		defer_scope_pop
	done
}

# nap SECS: sleep without a fork, as a read that times out on a FIFO no
# one writes to.  In the test VM every process costs the CPU that the
# traffic under test needs: all vCPUs share one host thread, and on the
# debug kernel a fork and exec of sleep(1) takes a good part of a second.
nap()
{
	local fifo

	if [ -z "${NAP_FD:-}" ]; then
		fifo=$(mktemp -u /tmp/vmq-nap.XXXXXX)
		mkfifo "$fifo" || return 1
		exec {NAP_FD}<>"$fifo"
		rm -f "$fifo"
	fi
	read -r -t "$1" -u "$NAP_FD" _
	return 0
}

# busywait TIMEOUT_MS CMD...: poll CMD until it succeeds or time is up,
# every BUSYWAIT_SLEEP seconds (default 0.1).
busywait()
{
	local timeout_ms=$1 start now
	shift

	# The clock and the pause without a fork (see nap).
	start=${EPOCHREALTIME/./}
	while true; do
		"$@" && return 0
		now=${EPOCHREALTIME/./}
		[ $(((now - start) / 1000)) -lt "$timeout_ms" ] || return 1
		nap "${BUSYWAIT_SLEEP:-0.1}"
	done
}

# ge MIN CMD...: CMD prints a number at least MIN.  For busywait, which
# must run CMD afresh each time: "busywait 3000 ge 5 qstat vmq0 qp0_irqs".
ge()
{
	local min=$1 val
	shift

	val=$("$@") || return 1
	[ "$val" -ge "$min" ] 2>/dev/null
}

require_root()
{
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: need root"
		exit $ksft_skip
	fi
}

require_cmd()
{
	local cmd

	for cmd in "$@"; do
		if ! command -v "$cmd" >/dev/null; then
			echo "SKIP: $cmd not available"
			exit $ksft_skip
		fi
	done
}

# --- kernel log -----------------------------------------------------------

# kmsg_mark: write a unique marker to the kernel log and print it, so a
# test can later look only at what the kernel said after that point.
kmsg_mark()
{
	local marker="vmq-test-mark $$-$RANDOM-$(date +%s%N)"

	echo "$marker" > /dev/kmsg
	echo "$marker"
}

# kmsg_since MARKER: kernel log lines after MARKER.
kmsg_since()
{
	dmesg | awk -v m="$1" 'found { print } index($0, m) { found = 1 }'
}

# --- slab objects our modules allocated --------------------------------------
#
# With slub_debug's U every object records the stack that allocated it,
# and debugfs lists the live ones per cache, with module names.  Counting
# the objects whose stack runs through vmq, vmqsim or vmq_vfio leaves out
# what the rest of the kernel does meanwhile.  Left out as well:
#  - socket buffer heads: NAPI keeps up to 64 freed heads per CPU
#    (NAPI_SKB_CACHE_SIZE) that slab counts as allocated by whoever took
#    them first, our receive path among others;
#  - the nodes of trees the whole kernel shares (radix_tree_node,
#    maple_node: IDs, ifindexes, irq numbers): whoever grows a tree
#    allocates a node that then holds everyone's entries;
#  - sysfs nodes of removed devices that the dentry cache still pins:
#    dropped (drop_caches) before each count.
# Pages (rings, page pools) are not slab objects and are not counted.

slab_ours()
{
	local t

	echo 2 > /proc/sys/vm/drop_caches
	# KASAN keeps freed objects in its quarantine, allocated in slab's
	# view, until the quarantine is full; shrinking a cache frees its
	# objects from the quarantine.
	for t in /sys/kernel/debug/slab/*/alloc_traces; do
		t=${t%/alloc_traces}
		echo 1 2>/dev/null > "/sys/kernel/slab/${t##*/}/shrink"
	done
	awk '
		function flush() { if (via != "") sum[cache " " site " " via] += n
				   via = "" }
		FNR == 1 { flush(); cache = FILENAME
			   sub(/\/alloc_traces$/, "", cache); sub(/.*\//, "", cache) }
		cache ~ /^(skbuff_|radix_tree_node$|maple_node$)/ { next }
		/^ +[0-9]+ / { flush(); n = $1; site = $2; sub(/\+.*/, "", site) }
		via == "" && /\[(vmq|vmqsim|vmq_vfio)\]/ {
			via = $1 == n ? $2 : $1; sub(/\+.*/, "", via) }
		END { flush(); for (k in sum) print k, sum[k] }' \
		/sys/kernel/debug/slab/*/alloc_traces 2>/dev/null | sort
}

# slab_grown BEFORE SLACK DIR: caches where our objects outnumber those in
# BEFORE (slab_ours output) by more than SLACK, one "cache before after"
# line each; fails if there is any.  The objects by allocation site and
# our innermost function on the stack, before and after, are kept in
# DIR/slab.{before,after} to tell where they come from.
slab_grown()
{
	echo "$1" > "$3/slab.before"
	slab_ours > "$3/slab.after"
	awk -v slack="$2" '
		FNR == 1 { f++ }
		{ n[f, $1] += $NF; c[$1] = 1 }
		END { for (k in c) if (n[2, k] - n[1, k] > slack) {
				print k, n[1, k] + 0, n[2, k]; bad = 1 }
		      exit bad }' "$3/slab.before" "$3/slab.after"
}

# --- vmq modules ----------------------------------------------------------
#
# The modules stay loaded from one test to the next, as netdevsim's do:
# a test makes its own devices on the vmqsim bus and deletes them again,
# and puts back any global knob it turned.  Only mod_load.sh loads and
# unloads them.

# In unloading order: vmq_vdpa (kernels with vDPA) uses vmq too.
VMQ_MODULES="vmq_vdpa vmqsim vmq_vfio vmq"
VMQSIM_BUS=/sys/bus/vmqsim

vmq_unload_all()
{
	local mod

	for mod in $VMQ_MODULES; do
		if [ -d "/sys/module/$mod" ]; then
			rmmod "$mod" || return 1
		fi
	done
}

mod_loaded()
{
	[ -d "/sys/module/$1" ]
}

# sim_counter NAME [ID]: a device-level counter of vmqsim device ID
# (default 0), from its debugfs "counters".
sim_counter()
{
	awk -v k="$1:" '$1 == k { print $2 }' \
		"/sys/kernel/debug/vmqsim/${2:-0}/counters"
}

# no_engine_thread QP: no thread of vmqsim device 0 runs queue pair QP's
# guest engine.
no_engine_thread()
{
	! grep -qx "vmqsim0-qp$1" /proc/[0-9]*/comm 2>/dev/null
}

# vmq_load: the modules, loaded unless they are, without a device: each
# test makes the ones it wants.  vmq_vfio comes with vmqsim (a softdep),
# but a test may have taken it out on its own.
vmq_load()
{
	mod_loaded vmqsim || modprobe vmqsim num_devices=0 || return 1
	mod_loaded vmq_vfio || modprobe vmq_vfio
}

# vmqsim_setup_or_exit QUEUE_PAIRS: a test file's NIC (vmqsim_setup), torn
# down when the file ends; SKIP without vmqsim, FAIL if it cannot be made.
vmqsim_setup_or_exit()
{
	defer vmqsim_teardown
	vmq_load || { echo "SKIP: no vmqsim"; exit $ksft_skip; }
	vmqsim_setup "$1" || { echo "FAIL: NIC setup"; exit 1; }
}

# vmq_knobs_reset: the modules' global knobs back to their values at load.
# A reload used to reset them; a test that turns one and fails before it
# turns it back would hand it on to every test after it.
vmq_knobs_reset()
{
	local knob

	for knob in /sys/kernel/debug/vmq/fail_cpuhp_add \
		    /sys/module/vmq_vfio/parameters/attr_delay_ms \
		    /sys/module/vmq_vdpa/parameters/start_delay_ms \
		    /sys/module/vmq_vfio/parameters/fail_saves; do
		[ ! -w "$knob" ] || echo 0 > "$knob"
	done
}

# vmqsim_new ID [QUEUE_PAIRS [FILTERS]]: a new device.  An ID already in
# use is a device an earlier test left behind: say so rather than carry
# on with it, whatever state it is in.
vmqsim_new()
{
	if [ -e "$VMQSIM_BUS/devices/vmqsim$1" ]; then
		echo "vmqsim$1 exists already: left behind by an earlier test" >&2
		return 1
	fi
	echo "$*" > "$VMQSIM_BUS/new_device"
}

# vmqsim_del_all: delete every device on the bus: the test's own and any
# it made and left (mdevs and macvlans on them go with them), and put
# the global knobs back.  A device that will not go fails the script
# (TEARDOWN_FAILED), or the next test would find it.  Leaves the modules
# loaded.
vmqsim_del_all()
{
	local d

	vmq_knobs_reset
	[ -d "$VMQSIM_BUS/devices" ] || return 0
	for d in "$VMQSIM_BUS"/devices/vmqsim*; do
		[ -e "$d" ] || continue
		echo "${d##*/vmqsim}" > "$VMQSIM_BUS/del_device" 2>/dev/null
		if [ -e "$d" ]; then
			echo "teardown: cannot delete ${d##*/}" >&"$REPORT_FD"
			TEARDOWN_FAILED=1
		fi
	done
}

# --- the simulated NIC ----------------------------------------------------

# vmqsim_setup [QUEUE_PAIRS [FILTERS]]: the modules (loaded if they are
# not) with a new device 0, vmq0 and its link partner vmq0w both up in
# this namespace.  Defer vmqsim_teardown before calling it, so that a
# setup that fails half way is undone too.
vmqsim_setup()
{
	vmq_load || return 1
	vmqsim_new 0 "${1:-16}" ${2:+"$2"} || return 1
	# No IPv6 chatter (router solicitations, MLD) in the queue counters,
	# from these or from macvlans made later.
	echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6
	no_ipv6 vmq0 && no_ipv6 vmq0w
	# Both ends of the cable may sit in this namespace: only the one
	# that holds an address may answer ARP for it.
	echo 1 > /proc/sys/net/ipv4/conf/all/arp_ignore
	# The tests count the host's frames on queue pair 0, the default
	# queue of one channel: an RSS table of channel 0 keeps them there
	# whatever the channel count (rss.sh spreads them).
	ethtool -X vmq0 equal 1 || return 1
	ip link set vmq0 up && ip link set vmq0w up
}

# vfio_nic_setup QUEUE_PAIRS: the NIC (vmqsim_setup) with VFIO's type1
# IOMMU driver loaded, and TYPE its mdev type.
vfio_nic_setup()
{
	vmqsim_setup "$1" || return 1
	modprobe vfio_iommu_type1 || return 1
	TYPE=$(vmq_mdev_type vmqsim0)
	[ -d "$TYPE" ]
}

# mdevs_remove UUID...: remove those of the mdevs that exist.
mdevs_remove()
{
	local u

	for u in "$@"; do
		[ ! -e "$MDEVS/$u" ] || echo 1 > "$MDEVS/$u/remove"
	done
}

no_ipv6()
{
	echo 1 > "/proc/sys/net/ipv6/conf/$1/disable_ipv6"
}

# within SECS CMD...: CMD succeeds, and in less than SECS seconds.  A
# command stuck in the kernel cannot be killed: it is waited for anyway
# (the VMMs here give up after their -t), and fails the check.
within()
{
	local secs=$1 start pid rc
	shift

	start=$(date +%s%3N)
	"$@" > /tmp/within.out 2>&1 &
	pid=$!
	while kill -0 $pid 2>/dev/null &&
	      [ $(($(date +%s%3N) - start)) -lt $((secs * 1000)) ]; do
		sleep 0.1
	done
	wait $pid
	rc=$?
	if [ $(($(date +%s%3N) - start)) -ge $((secs * 1000)) ]; then
		echo "'$*' took $(($(date +%s%3N) - start)) ms" >> /tmp/within.out
		rc=1
	fi
	[ $rc -eq 0 ] || sed 's/^/\t/' /tmp/within.out
	return $rc
}

# vmqsim_teardown: traffic stopped, every device deleted, the knobs
# put back; the modules stay.
vmqsim_teardown()
{
	pktgen_stop
	vmqsim_del_all
}

# --- the link partner in a namespace of its own ---------------------------
#
# For traffic through the host's stack (ping) rather than crafted frames,
# the partner goes into netns PEER_NS.  sim_traffic.sh and mod_load.sh.

PEER_NS=peer

# quiet_ipv6 DEV: no IPv6 chatter (ND, MLD) on DEV to disturb the counts.
quiet_ipv6()
{
	local knob=/proc/sys/net/ipv6/conf/$1/disable_ipv6

	[ ! -e "$knob" ] || echo 1 > "$knob"
}

# peer_ns_setup: with device 0 made, vmq0 up with 192.0.2.1/24 and its
# partner vmq0w up in PEER_NS with 192.0.2.2/24; the namespace goes when
# the test ends.
peer_ns_setup()
{
	ip netns add $PEER_NS || return 1
	defer ip netns del $PEER_NS
	ip link set vmq0w netns $PEER_NS &&
		quiet_ipv6 vmq0 && ip netns exec $PEER_NS bash -c \
			"$(declare -f quiet_ipv6); quiet_ipv6 vmq0w" &&
		ip -n $PEER_NS link set lo up &&
		ip -n $PEER_NS addr add 192.0.2.2/24 dev vmq0w &&
		ip -n $PEER_NS link set vmq0w up &&
		ip addr add 192.0.2.1/24 dev vmq0 &&
		ip link set vmq0 up || return 1
	busywait 5000 link_has_carrier vmq0
}

# flood_start: a ping flood from the partner, in the background; returns
# once vmq0 has taken 100 of its frames (1 if it never does in 10 s).
flood_start()
{
	local rx

	rx=$(ifstat vmq0 rx_packets)
	ip netns exec $PEER_NS ping -f -w 20 192.0.2.1 >/dev/null 2>&1 &
	FLOOD_PID=$!
	defer kill $FLOOD_PID
	busywait 10000 ge $((rx + 100)) ifstat vmq0 rx_packets
}

flood_stop()
{
	kill "$FLOOD_PID" 2>/dev/null
	wait "$FLOOD_PID" 2>/dev/null
}

kernel_quiet_since()
{
	! kmsg_since "$1" | grep -E -q "WARNING|BUG|Oops|KFENCE|stalled pool"
}

# qstat DEV NAME: one ethtool -S counter.
qstat()
{
	ethtool -S "$1" | awk -v n="$2:" '$1 == n { print $2; found = 1 }
		END { if (!found) print "missing" }'
}

# qp_rx_snapshot DEV: "qp0_rx_packets qp1_rx_packets ..." values.
qp_rx_snapshot()
{
	ethtool -S "$1" | awk '$1 ~ /^qp[0-9]+_rx_packets:$/ { printf "%s ", $2 }'
}

# qp_rx_delta BEFORE AFTER: per-queue differences, "0:3 1:0 ...".
qp_rx_delta()
{
	local -a b=($1) a=($2)
	local i out=

	for i in "${!a[@]}"; do
		out+="$i:$((a[i] - b[i])) "
	done
	echo "${out% }"
}

# expect_rx_delta DELTA "Q:N ..." : queues named must have moved by N,
# every other queue by 0.  Prints the mismatch.
expect_rx_delta()
{
	local delta=$1 want=$2 q n got

	for q in $delta; do
		n=${q#*:}
		q=${q%%:*}
		got=0
		for w in $want; do
			[ "${w%%:*}" = "$q" ] && got=${w#*:}
		done
		if [ "$n" -ne "$got" ]; then
			echo "queue $q moved by $n, expected $got (all: $delta)"
			return 1
		fi
	done
}

# --- pktgen, to craft frames from the link partner ------------------------

PG=/proc/net/pktgen
# The pktgen thread, one per CPU, that sends: set it after sourcing this
# file to send from another CPU (the bench keeps it off queue 0's CPU).
PKTGEN_THREAD=kpktgend_0

pg_set()
{
	echo "$2" > "$PG/$1"
}

# pktgen_send DEV DST_MAC COUNT [VLAN [SIZE]]: send COUNT frames from DEV
# and wait for them to go.  VLAN "-" means untagged.
pktgen_send()
{
	local dev=$1 mac=$2 count=$3 vlan=${4:--} size=${5:-60}

	pktgen_prepare "$dev" "$mac" "$count" "$vlan" "$size" || return 1
	echo start > "$PG/pgctrl"
}

# pktgen_start DEV DST_MAC [VLAN [MACS [GAP_NS [SIZE [FLAG...]]]]]: endless
# stream in the background, to MACS destinations counting up from DST_MAC
# in turn, with GAP_NS between frames (pktgen sleeps for gaps of 100 us and
# more, and spins for shorter ones), of SIZE bytes without the FCS (60
# unless given), with pktgen's FLAGs (MACDST_RND: the MACS at random).
pktgen_start()
{
	local dev=$1 mac=$2 vlan=${3:--} macs=${4:-1} gap=${5:-0} size=${6:-60}
	local flag

	shift $(($# < 6 ? $# : 6))
	pktgen_prepare "$dev" "$mac" 0 "$vlan" "$size" || return 1
	pg_set "$dev" "dst_mac_count $macs"
	pg_set "$dev" "delay $gap"
	for flag in "$@"; do
		pg_set "$dev" "flag $flag"
	done
	(echo start > "$PG/pgctrl") 2>/dev/null &
	PKTGEN_PID=$!
}

# pktgen_sent DEV: frames pktgen has sent from DEV so far.
pktgen_sent()
{
	awk '$1 == "pkts-sofar:" { print $2 }' "$PG/$1" 2>/dev/null
}

pktgen_stop()
{
	[ -w "$PG/pgctrl" ] && echo stop > "$PG/pgctrl" 2>/dev/null
	[ -z "${PKTGEN_PID:-}" ] || wait "$PKTGEN_PID" 2>/dev/null
	PKTGEN_PID=
	[ -w "$PG/$PKTGEN_THREAD" ] &&
		echo rem_device_all > "$PG/$PKTGEN_THREAD"
	return 0
}

pktgen_prepare()
{
	local dev=$1 mac=$2 count=$3 vlan=$4 size=$5

	[ -d "$PG" ] || modprobe pktgen || return 1
	pg_set "$PKTGEN_THREAD" rem_device_all
	pg_set "$PKTGEN_THREAD" "add_device $dev"
	pg_set "$dev" "count $count"
	pg_set "$dev" "pkt_size $size"
	pg_set "$dev" "clone_skb 0"
	pg_set "$dev" "delay 0"
	pg_set "$dev" "dst_mac $mac"
	pg_set "$dev" "dst 198.51.100.1"
	if [ "$vlan" = "-" ]; then
		pg_set "$dev" "vlan_id 9999"
	else
		pg_set "$dev" "vlan_id $vlan"
	fi
}

link_has_carrier()
{
	[ "$(cat "/sys/class/net/$1/carrier" 2>/dev/null)" = 1 ]
}

# vmq_leftovers BUS: what a NIC with nothing on it still holds, one line
# each: queue pairs past the host's channels that are not free, and
# installed filters.  Prints nothing when all is free.
vmq_leftovers()
{
	local d=/sys/kernel/debug/vmq/$1 ch

	ch=$(awk '$1 == "channels:" { print $2 }' "$d/info")
	awk -v ch="$ch" 'NR > 1 && $1 >= ch && ($2 != "free" || $3 != "none") {
		print "queue pair: " $0 }' "$d/queues"
	awk 'NR > 1 { print "filter: " $0 }' "$d/filters"
}

# vmq_mdev_type BUS: the directory of the NIC's mdev type.
vmq_mdev_type()
{
	ls -d "/sys/class/mdev_bus/$1/mdev_supported_types/"*-qp 2>/dev/null
}

# vmm_wait_holding FILE: the test VMM writing to FILE has its device
# running.  Empty FILE before starting the VMM (": > FILE"): the VMM's own
# redirection runs after the fork, and the wait must not find an earlier
# VMM's line.
vmm_wait_holding()
{
	busywait 10000 grep -q "holding the device" "$1"
}

# mdev_create UUID [MAC [VLAN]]: a vmq_vfio mdev of the type in $TYPE
# (the test's vmq_mdev_type), with its admin MAC and VLAN if given.
mdev_create()
{
	echo "$1" > "$TYPE/create" || return 1
	[ -z "${2:-}" ] || echo "$2" > "$MDEVS/$1/vmq/mac" || return 1
	[ -z "${3:-}" ] || echo "$3" > "$MDEVS/$1/vmq/vlan"
}

# hold_then UUID MAC CMD...: the test VMM ($VMM) holds a new mdev UUID;
# CMD must ask it to let go and wait for it, and log the request.
hold_then()
{
	local uuid=$1 mac=$2 pid mark
	shift 2

	mdev_create "$uuid" "$mac"
	: > /tmp/vmm_hold.out
	"$VMM" -t 30 "$uuid" hold > /tmp/vmm_hold.out 2>&1 &
	pid=$!
	vmm_wait_holding /tmp/vmm_hold.out
	check_err $? "VMM did not start"
	mark=$(kmsg_mark)
	timeout 60 "$@"
	check_err $? "'$*' failed with a VMM attached"
	# The VMM flushes its last line, then gives the device back, then
	# exits: only the line is ordered before the removal's return.  The
	# process itself may still be exiting (or unreaped) here.
	grep -q "failure(s)" /tmp/vmm_hold.out
	check_err $? "'$*' returned before the VMM gave the device back"
	wait $pid
	check_err $? "VMM was not asked to release the device"
	sed 's/^/\t/' /tmp/vmm_hold.out
	kmsg_since "$mark" | grep -q "asking the VMM to release"
	check_err $? "no request logged"
}

# check_module_refs: each of our modules is held only by the others of
# ours that use it (lsmod's holders): nothing else pins it.
check_module_refs()
{
	local mod refs holders

	lsmod | grep -E '^(vmqsim|vmq_vfio|vmq) ' | sed 's/^/\t/'
	for mod in vmqsim vmq_vfio vmq; do
		refs=$(cat /sys/module/$mod/refcnt)
		holders=$(ls /sys/module/$mod/holders | wc -l)
		[ "$refs" -eq "$holders" ]
		check_err $? "$mod: $refs references, $holders from modules"
	done
}

# qp_state DEV_BUS_NAME QP: the queue pair's state in the core's view.
qp_state()
{
	awk -v q="$2" 'NR > 1 && $1 == q { print $2 }' \
		"/sys/kernel/debug/vmq/$1/queues"
}

# qp_owner DEV_BUS_NAME QP: the queue pair's owner in the core's view.
qp_owner()
{
	awk -v q="$2" 'NR > 1 && $1 == q { print $3 }' \
		"/sys/kernel/debug/vmq/$1/queues"
}

# ifstat DEV COUNTER: a netdev statistic (rx_packets, tx_packets, ...).
ifstat()
{
	cat "/sys/class/net/$1/statistics/$2"
}

# fwd_state BUS UPPER: "offloaded qp N ..." or "software", from the core.
fwd_state()
{
	awk -v d="$2" '$1 == d { $1 = ""; $2 = ""; sub(/^ +/, ""); print }' \
		"/sys/kernel/debug/vmq/$1/macvlans"
}

# fwd_qp BUS UPPER: the queue pair an offloaded macvlan holds, or nothing.
fwd_qp()
{
	fwd_state "$1" "$2" | awk '$1 == "offloaded" { print $3 }'
}

# qp_irq DEV QP: the Linux irq of a queue pair's vector, from /proc/interrupts.
qp_irq()
{
	awk -v n="$1-qp$2" '$NF == n { sub(":", "", $1); print $1 }' \
		/proc/interrupts
}

# irq_cpu_counts IRQ: its per-CPU counts from /proc/interrupts.
irq_cpu_counts()
{
	awk -v i="$1:" -v n="$(nproc)" '$1 == i {
		for (c = 2; c <= n + 1; c++) printf "%s ", $c }' /proc/interrupts
}

# irq_eff_cpu IRQ: the first CPU of its effective affinity.
irq_eff_cpu()
{
	cut -d, -f1 "/proc/irq/$1/effective_affinity_list" | cut -d- -f1
}

# --- vDPA devices (vmq_vdpa; kernels with CONFIG_VDPA) ----------------------
#
# vdpa.sh and the benchmarks' guest_rx.

VDPA_BUS=/sys/bus/vdpa

# vdpa_driver NAME: the vDPA bus driver bound to it, or nothing.
vdpa_driver()
{
	local link

	link=$(readlink "$VDPA_BUS/devices/$1/driver" 2>/dev/null) || return 0
	echo "${link##*/}"
}

# vdpa_bind NAME DRIVER: the device bound to DRIVER (virtio_vdpa or
# vhost_vdpa), wherever it was.
vdpa_bind()
{
	local cur

	echo "$2" > "$VDPA_BUS/devices/$1/driver_override" || return 1
	cur=$(vdpa_driver "$1")
	[ "$cur" != "$2" ] || return 0
	[ -z "$cur" ] || echo "$1" > "$VDPA_BUS/drivers/$cur/unbind" || return 1
	echo "$1" > "$VDPA_BUS/drivers/$2/bind"
}

# vdpa_netdev NAME: the virtio_net netdev on the device (virtio_vdpa).
vdpa_netdev()
{
	local d

	for d in "$VDPA_BUS/devices/$1"/virtio*/net/*; do
		[ -e "$d" ] || return 1
		echo "${d##*/}"
		return 0
	done
	return 1
}

# vhost_node NAME: the device's /dev/vhost-vdpa-N (vhost_vdpa).
vhost_node()
{
	local d

	for d in "$VDPA_BUS/devices/$1"/vhost-vdpa-*; do
		[ -c "/dev/${d##*/}" ] || return 1
		echo "/dev/${d##*/}"
		return 0
	done
	return 1
}
