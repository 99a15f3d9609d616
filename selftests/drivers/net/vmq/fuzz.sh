#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fuzzing (issue 11), bounded for make check: vmq_fuzz plays a VMM that
# misbehaves at random against a guest queue pair's VFIO ABI while frames
# arrive, then checks guest memory outside rings and posted buffers is
# untouched and that both resets bring the queue back; and it sends
# malformed frames (runts, oversize, random bytes, stacked and cut-short
# VLAN tags) from the link partner while a guest queue, an offloaded
# macvlan and the host queues receive, after which each still works and
# the counters make sense; and vmq_vdpa_fuzz plays a hostile VMM on a
# vmq_vdpa device through /dev/vhost-vdpa-N (its virtqueues, status,
# IOTLB, suspend and resume, close) while frames arrive, with the same
# checks of guest memory and of recovery after every reset, and that a
# device in NEEDS_RESET writes no guest memory.  Kernels without vDPA
# (Debian's 6.1) skip that one.  The kernel log is the runner's to judge.
#
# VMQ_FUZZ_SEED replays a run (each run prints its seed);
# VMQ_FUZZ_OPS, VMQ_FUZZ_FRAMES and VMQ_FUZZ_VDPA_OPS size it, or
# VMQ_FUZZ_SECS gives each fuzzer a duration instead (scripts/soak).

source "$(dirname "$0")/lib.sh"

FUZZ="$(dirname "$(readlink -f "$0")")/vmq_fuzz"
VDPA_FUZZ="$(dirname "$(readlink -f "$0")")/vmq_vdpa_fuzz"
BUS=vmqsim0
SIM_DBG=/sys/kernel/debug/vmqsim/0
MDEVS=/sys/bus/mdev/devices
UUID1=6f3c0a5e-0000-4000-8000-000000000021
MAC1=52:54:00:00:21:01
M1=52:54:00:00:21:02
MAC_V=52:54:00:00:21:03		# the vDPA device's
VDEV=vfz0
QPS=6
SEED=${VMQ_FUZZ_SEED:-$(( $(date +%s%N) % 1000000007 ))}
OPS=${VMQ_FUZZ_OPS:-100000}
FRAMES=${VMQ_FUZZ_FRAMES:-10000}
VDPA_OPS=${VMQ_FUZZ_VDPA_OPS:-45000}

TESTS="
	vfio_fuzz
	wire_fuzz
	vdpa_fuzz
"

setup()
{
	vfio_nic_setup $QPS || return 1
	ethtool -L vmq0 combined 2 || return 1
	mdev_create $UUID1 $MAC1
}

teardown()
{
	pktgen_stop
	ip link del vm1 2>/dev/null
	mdevs_remove $UUID1
	vmqsim_teardown
}

# fuzz [-p PROG] LIMIT ARGS...: run vmq_fuzz (or PROG) for LIMIT (-n N,
# or -t S from VMQ_FUZZ_SECS), show its output, keep its status.
fuzz()
{
	local prog=$FUZZ limit rc

	[ "$1" != -p ] || { prog=$2; shift 2; }
	limit=(-n "$1")
	shift
	[ -z "${VMQ_FUZZ_SECS:-}" ] || limit=(-t "$VMQ_FUZZ_SECS")
	"$prog" -s "$SEED" "${limit[@]}" "$@" > /tmp/vmq_fuzz.out 2>&1
	rc=$?
	sed 's/^/\t/' /tmp/vmq_fuzz.out
	return $rc
}

vfio_fuzz()
{
	defer teardown
	setup || { check_err 1 "setup failed"; log_test "VFIO ABI fuzz"; return; }
	# Frames keep coming, a few thousand a second, beside the fuzzer's.
	pktgen_start vmq0w $MAC1 - 1 200000
	check_err $? "pktgen did not start"
	fuzz "$OPS" vfio $UUID1
	check_err $? "vmq_fuzz vfio found something (seed $SEED)"
	pktgen_stop
	log_test "VFIO ABI fuzz: guest memory intact, kernel quiet, resets recover"
}

# counters DEV: "name value" for every ethtool -S counter.
counters()
{
	ethtool -S "$1" | awk -F': *' 'NR > 1 { gsub(/ /, "", $1); print $1, $2 }'
}

# sane_counters BEFORE AFTER FRAMES: integers, none went back, and the
# queues together saw no more frames than could have arrived.
sane_counters()
{
	awk -v frames="$3" '
		FNR == NR { before[$1] = $2; next }
		$2 !~ /^[0-9]+$/ || length($2) > 16 {
			print "counter " $1 " reads " $2; bad = 1; next }
		$1 in before && $2 + 0 < before[$1] + 0 {
			print "counter " $1 " went from " before[$1] " to " $2
			bad = 1 }
		$1 ~ /^qp[0-9]+_rx_(packets|drops)$/ { rx += $2 - before[$1] }
		END {
			# The default queue and the guest queue both get
			# broadcasts; the rest is the host stack chatting.
			if (rx > 2 * frames + 1000) {
				print "queues counted " rx " frames of " frames
				bad = 1
			}
			exit bad
		}' "$1" "$2"
}

wire_fuzz()
{
	local before after host_mac sent rx

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "wire fuzz"; return; }
	ethtool -K vmq0 l2-fwd-offload on &&
		ip link add link vmq0 name vm1 address $M1 type macvlan mode bridge &&
		ip link set vm1 up
	check_err $? "cannot add an offloaded macvlan"
	[ -n "$(fwd_qp $BUS vm1)" ]
	check_err $? "vm1 not offloaded: $(fwd_state $BUS vm1)"
	# The partner may send what the NIC's MTU does not allow.
	ip link set vmq0w mtu "$(ip -d link show vmq0w |
		sed -n 's/.*maxmtu \([0-9]*\).*/\1/p')"
	check_err $? "cannot raise vmq0w's MTU"
	host_mac=$(cat /sys/class/net/vmq0/address)
	before=$(mktemp)
	after=$(mktemp)
	defer rm -f "$before" "$after"
	counters vmq0 > "$before"

	fuzz "$FRAMES" -u $UUID1 -b $SIM_DBG/backlog wire vmq0w $MAC1 $M1 \
		"$host_mac"
	check_err $? "vmq_fuzz wire found something (seed $SEED)"
	sent=$(sed -n 's/.* frames \([0-9]*\) findings.*/\1/p' /tmp/vmq_fuzz.out)

	counters vmq0 > "$after"
	sane_counters "$before" "$after" "${sent:-0}"
	check_err $? "$(sane_counters "$before" "$after" "${sent:-0}")"

	rx=$(ifstat vm1 rx_packets)
	pktgen_send vmq0w $M1 40
	busywait 3000 ge $((rx + 40)) ifstat vm1 rx_packets
	check_err $? "the macvlan got $(($(ifstat vm1 rx_packets) - rx)) of 40 frames"
	rx=$(ifstat vmq0 rx_packets)
	pktgen_send vmq0w "$host_mac" 40
	busywait 3000 ge $((rx + 40)) ifstat vmq0 rx_packets
	check_err $? "the host queues got $(($(ifstat vmq0 rx_packets) - rx)) of 40 frames"
	log_test "wire fuzz: guest, macvlan and host queues still receive, counters sane"
}

vdpa_teardown()
{
	pktgen_stop
	[ ! -e "$VDPA_BUS/devices/$VDEV" ] || vdpa dev del $VDEV
	vmqsim_teardown
}

# The vDPA device bound to vhost_vdpa (virtio_vdpa unloaded first, or it
# would take the device as it is added); its node in VHOST.
vdpa_setup()
{
	vmqsim_setup $QPS || return 1
	if mod_loaded virtio_vdpa && ! rmmod virtio_vdpa; then
		echo "virtio_vdpa in use"
		return 1
	fi
	modprobe vmq_vdpa && modprobe vhost_vdpa &&
		vdpa dev add name $VDEV mgmtdev vmqsim/$BUS mac $MAC_V &&
		vdpa_bind $VDEV vhost_vdpa &&
		busywait 5000 vhost_node $VDEV >/dev/null || return 1
	VHOST=$(vhost_node $VDEV)
}

vdpa_fuzz()
{
	local name="vDPA fuzz: guest memory intact, NEEDS_RESET quiet, resets recover"

	modprobe vdpa 2>/dev/null
	if [ ! -d $VDPA_BUS ] || ! modinfo vmq_vdpa >/dev/null 2>&1; then
		echo "SKIP: kernel $(uname -r) has no vDPA (CONFIG_VDPA)"
		log_test_skip "$name"
		return
	fi
	if [ ! -x "$VDPA_FUZZ" ] || ! command -v vdpa >/dev/null; then
		echo "SKIP: $VDPA_FUZZ or the vdpa tool missing"
		log_test_skip "$name"
		return
	fi
	defer vdpa_teardown
	vdpa_setup
	check_err $? "setup failed"
	if [ $RET -ne 0 ]; then
		log_test "$name"
		return
	fi
	pktgen_start vmq0w $MAC_V - 1 50000
	check_err $? "pktgen did not start"
	fuzz -p "$VDPA_FUZZ" "$VDPA_OPS" -m $MAC_V \
		-S "$VDPA_BUS/devices/$VDEV/vmq/state" -N vmq0 \
		-Q "$(cat "$VDPA_BUS/devices/$VDEV/vmq/qp")" "$VHOST"
	check_err $? "vmq_vdpa_fuzz found something (seed $SEED)"
	pktgen_stop
	log_test "$name"
}

require_root
[ -x "$FUZZ" ] || { echo "SKIP: $FUZZ not built"; exit $ksft_skip; }
echo "fuzz seed $SEED (replay: VMQ_FUZZ_SEED=$SEED)"
tests_run
exit $EXIT_STATUS
