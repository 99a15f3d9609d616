#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A queue pair as a vDPA virtio-net device: vmq_vdpa.ko (vmq.rst, "A queue
# pair as a vDPA virtio-net device").  The management device and every
# refusal of "vdpa dev add"; the host's own virtio_net on it through
# virtio_vdpa: its netdev, the host's views of its queue pair, traffic
# both ways counted on that queue pair, its two vectors (one per
# virtqueue, placed and moved with the queue pair), the MAC filter, the VLAN,
# anti-spoofing and trunk; "vdpa dev del" under traffic, rmmod and
# del_device with a device present; and through vhost_vdpa the test VMM
# vmq_vhost playing a guest's virtio_net, well and badly behaved.
# Kernels without vDPA (Debian's 6.1) skip.

source "$(dirname "$0")/lib.sh"

VHOST_VMM="$(dirname "$(readlink -f "$0")")/vmq_vhost"
VFIO_VMM="$(dirname "$(readlink -f "$0")")/vmq_vmm"
QUEUES_CMD="$(dirname "$(readlink -f "$0")")/../../../../tools/vmq-queues"
BUS=vmqsim0
MGMT=vmqsim/$BUS
DL=vmqsim/$BUS
VDPA=$VDPA_BUS
VDEVS=$VDPA/devices
MDEVS=/sys/bus/mdev/devices
SIM_DBG=/sys/kernel/debug/vmqsim/0
VDPA_DBG=/sys/kernel/debug/vmq_vdpa
UUID1=6f3c0a5e-0000-4000-8000-000000000d01
MAC1=52:54:00:00:1d:01
MAC2=52:54:00:00:1d:02
MAC3=52:54:00:00:1d:03
OTHER=52:54:00:00:1d:77		# a MAC nobody holds
SPOOF=52:54:00:00:1d:99
NAMES="vdpa0 vdpa1 vbad"	# every device a test makes
QPS=8
N=200
NS_V=vdpa_v			# the virtio netdev's namespace
NS_P=vdpa_p			# the link partner's
IP_V=198.51.100.1
IP_P=198.51.100.2
PORT=5001

TESTS="
	mgmtdev
	refuse_einval
	refuse_enospc
	refuse_eexist
	vmq_queues_view
	virtio_dev
	virtio_traffic
	virtio_counts
	virtio_vectors
	virtio_vlan
	virtio_spoof_trunk
	del_under_traffic
	rmmod_with_device
	rmmod_held
	del_device_with_device
	new_device_whole
	vhost_vmm
	vhost_bad_driver
	vhost_map_cost
	vhost_mtu
	vhost_kick_start
	rebind_config_cb
	vhost_call_shared
"

# --- vDPA ------------------------------------------------------------------

# vdpa_require: the vDPA bus and vmq_vdpa, or SKIP saying what is missing.
vdpa_require()
{
	modprobe vdpa 2>/dev/null
	if [ ! -d $VDPA ]; then
		echo "SKIP: kernel $(uname -r) has no vDPA bus (CONFIG_VDPA)"
		exit $ksft_skip
	fi
	if ! modinfo vmq_vdpa >/dev/null 2>&1; then
		echo "SKIP: no vmq_vdpa module for kernel $(uname -r)"
		exit $ksft_skip
	fi
	vmq_load || { echo "SKIP: no vmqsim"; exit $ksft_skip; }
	if ! mod_loaded vmq_vdpa && ! modprobe vmq_vdpa; then
		echo "FAIL: modprobe vmq_vdpa failed"
		exit 1
	fi
}

# vdpa_add NAME ARGS...: "vdpa dev add" on the test NIC; its messages go
# to /tmp/vdpa_add.out.
vdpa_add()
{
	local name=$1
	shift

	vdpa dev add name "$name" mgmtdev $MGMT "$@" > /tmp/vdpa_add.out 2>&1
}

vdpa_del_all()
{
	local n

	for n in $NAMES; do
		[ ! -e "$VDEVS/$n" ] || vdpa dev del "$n"
	done
}

# vdpa_qp NAME: the queue pair the device holds.
vdpa_qp()
{
	cat "$VDEVS/$1/vmq/qp"
}

# virtio_drivers: virtio_vdpa and virtio_net loaded (no udev here loads
# virtio_net for the device), vhost_vdpa unloaded if this test loaded it
# before, so that a new device binds to virtio_vdpa by itself.
virtio_drivers()
{
	if mod_loaded vhost_vdpa && ! rmmod vhost_vdpa; then
		return 1
	fi
	modprobe virtio_vdpa && modprobe virtio_net
}

# virtio_dev_add NAME MAC: a device the host's virtio_net drives; its
# netdev, up, in ND.
virtio_dev_add()
{
	vdpa_add "$1" mac "$2" || { cat /tmp/vdpa_add.out; return 1; }
	vdpa_bind "$1" virtio_vdpa || return 1
	busywait 5000 vdpa_netdev "$1" >/dev/null || return 1
	ND=$(vdpa_netdev "$1")
	quiet_ipv6 "$ND"
	ip link set "$ND" up && busywait 5000 link_has_carrier "$ND"
}

# vhost_dev_add NAME MAC: a device bound to vhost_vdpa from the start
# (virtio_vdpa unloaded, as no test needs it any more); its node in VHOST.
vhost_dev_add()
{
	if mod_loaded virtio_vdpa && ! rmmod virtio_vdpa; then
		return 1
	fi
	modprobe vhost_vdpa || return 1
	vdpa_add "$1" mac "$2" || { cat /tmp/vdpa_add.out; return 1; }
	vdpa_bind "$1" vhost_vdpa || return 1
	busywait 5000 vhost_node "$1" >/dev/null || return 1
	VHOST=$(vhost_node "$1")
}

# --- the NIC's side ----------------------------------------------------------

# setup [QUEUE_PAIRS]: the NIC, vmq0 and vmq0w up, neither with an
# address or IPv6 (vmqsim_setup): nothing but the test's frames moves.
setup()
{
	vmqsim_setup "${1:-$QPS}"
}

teardown()
{
	pg_stop_all
	vdpa_del_all
	ip netns del $NS_V 2>/dev/null
	ip netns del $NS_P 2>/dev/null
	[ ! -e "$MDEVS/$UUID1" ] || echo 1 > "$MDEVS/$UUID1/remove"
	vmqsim_teardown
}

channels()
{
	ethtool -l vmq0 | awk '/^Combined:/ { n++ } n == 2 { print $2; exit }'
}

# qp_line QP: the queue pair's line in the core's queues view.
qp_line()
{
	awk -v q="$1" 'NR > 1 && $1 == q' /sys/kernel/debug/vmq/$BUS/queues
}

qp_owner_name()
{
	qp_line "$1" | awk '{ print $NF }'
}

# nic_state: what a refused "vdpa dev add" must leave as it was: every
# queue pair's state and owner, the filters, the vDPA devices.
nic_state()
{
	awk 'NR > 1 { print $1, $2, $3 }' /sys/kernel/debug/vmq/$BUS/queues
	cat /sys/kernel/debug/vmq/$BUS/filters
	ls $VDEVS
}

nic_unchanged()
{
	[ "$(nic_state)" = "$1" ]
}

# nic_diff BEFORE: what changed since nic_state printed BEFORE.
nic_diff()
{
	nic_unchanged "$1" && return 0
	echo "$1" > /tmp/vdpa_nic.before
	nic_state > /tmp/vdpa_nic.after
	diff /tmp/vdpa_nic.before /tmp/vdpa_nic.after | grep '^[-+][^-+]' |
		tr '\n' ' '
}

# qp_free QP: nobody holds the queue pair, no filter points at it.
qp_free()
{
	[ "$(qp_state $BUS "$1")" = free ] && [ "$(qp_owner $BUS "$1")" = none ] &&
		! awk -v q="$1" 'NR > 1 && $4 == q { f = 1 } END { exit !f }' \
			/sys/kernel/debug/vmq/$BUS/filters
}

# filter_qp MAC: the queue pair the NIC's filter for MAC steers to.
filter_qp()
{
	awk -v m="$1" 'NR > 1 && tolower($2) == m { print $4 }' \
		/sys/kernel/debug/vmq/$BUS/filters
}

# backlog_empty: every frame the partner sent has been classified and
# delivered or dropped.
backlog_empty()
{
	[ "$(cat $SIM_DBG/backlog)" -eq 0 ]
}

# hstat KEY: state or error of the NIC's guest_queue health reporter.
hstat()
{
	devlink health show $DL reporter guest_queue |
		awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'
}

# json_valid: stdin is one JSON text.
json_valid()
{
	awk '
	function ws() { while (pos <= n && index(" \t\r\n", substr(s, pos, 1))) pos++ }
	function str(   c) {
		if (substr(s, pos, 1) != "\"") return 0
		for (pos++; pos <= n; pos++) {
			c = substr(s, pos, 1)
			if (c == "\"") { pos++; return 1 }
			if (c == "\\") {
				pos++
				c = substr(s, pos, 1)
				if (c == "u") {
					if (substr(s, pos + 1, 4) !~ /^[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]$/)
						return 0
					pos += 4
				} else if (index("\"\\/bfnrt", c) == 0) {
					return 0
				}
			}
		}
		return 0
	}
	function num(   t) {
		t = substr(s, pos)
		if (!match(t, /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/)) return 0
		pos += RLENGTH
		return 1
	}
	function obj(   c) {
		pos++; ws()
		if (substr(s, pos, 1) == "}") { pos++; return 1 }
		for (;;) {
			ws()
			if (!str()) return 0
			ws()
			if (substr(s, pos, 1) != ":") return 0
			pos++
			if (!val()) return 0
			ws(); c = substr(s, pos, 1); pos++
			if (c == "}") return 1
			if (c != ",") return 0
		}
	}
	function arr(   c) {
		pos++; ws()
		if (substr(s, pos, 1) == "]") { pos++; return 1 }
		for (;;) {
			if (!val()) return 0
			ws(); c = substr(s, pos, 1); pos++
			if (c == "]") return 1
			if (c != ",") return 0
		}
	}
	function val(   c) {
		ws(); c = substr(s, pos, 1)
		if (c == "{") return obj()
		if (c == "[") return arr()
		if (c == "\"") return str()
		if (c ~ /[-0-9]/) return num()
		if (substr(s, pos, 4) == "true" || substr(s, pos, 4) == "null") { pos += 4; return 1 }
		if (substr(s, pos, 5) == "false") { pos += 5; return 1 }
		return 0
	}
	{ s = s $0 "\n" }
	END { n = length(s); pos = 1; ok = val(); ws(); exit !(ok && pos > n) }'
}

# --- pktgen on several devices at once ------------------------------------

# pg_send DEV DST_MAC COUNT [VLAN [SRC_MAC]]: COUNT frames from DEV (any
# pktgen-capable netdev: the partner, the virtio netdev), from SRC_MAC
# if given, waiting for them to go.
pg_send()
{
	pktgen_prepare "$1" "$2" "$3" "${4:--}" 60 || return 1
	[ -z "${5:-}" ] || pg_set "$1" "src_mac $5"
	echo start > "$PG/pgctrl"
}

# pg_stream THREAD DEV DST_MAC: an endless stream from DEV, a frame every
# 100 us, queued on pktgen thread THREAD beside any already there;
# pg_go starts them all in the background, pg_stop_all stops them.
pg_stream()
{
	[ -d "$PG" ] || modprobe pktgen || return 1
	pg_set "$1" "add_device $2" || return 1
	pg_set "$2" "count 0"
	pg_set "$2" "pkt_size 60"
	pg_set "$2" "clone_skb 0"
	pg_set "$2" "delay 100000"
	pg_set "$2" "dst_mac $3"
	pg_set "$2" "dst 198.51.100.1"
}

pg_stop_all()
{
	local t

	[ -w "$PG/pgctrl" ] || return 0
	echo stop > "$PG/pgctrl" 2>/dev/null
	[ -z "${PG_PID:-}" ] || wait "$PG_PID" 2>/dev/null
	PG_PID=
	for t in "$PG"/kpktgend_*; do
		echo rem_device_all > "$t" 2>/dev/null
	done
	return 0
}

pg_go()
{
	(echo start > "$PG/pgctrl") 2>/dev/null &
	PG_PID=$!
}

# qp_counts QP: "rx_packets tx_packets rx_drops tx_drops irqs" of queue
# pair QP.
qp_counts()
{
	ethtool -S vmq0 | awk -v p="qp$1_" '
		{ sub(":", "", $1) }
		$1 == p "rx_packets" { r = $2 } $1 == p "tx_packets" { t = $2 }
		$1 == p "rx_drops" { rd = $2 } $1 == p "tx_drops" { td = $2 }
		$1 == p "irqs" { i = $2 }
		END { print r + 0, t + 0, rd + 0, td + 0, i + 0 }'
}

# qp_moved QP FIELD BEFORE: how far counter FIELD (1 rx_packets, 2
# tx_packets, 3 rx_drops, 4 tx_drops, 5 irqs) moved since BEFORE.
qp_moved()
{
	local -a now was

	read -r -a now <<< "$(qp_counts "$1")"
	read -r -a was <<< "$3"
	echo $((now[$2 - 1] - was[$2 - 1]))
}

# --- the tests ----------------------------------------------------------------

mgmtdev()
{
	local out

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "mgmtdev"; return; }
	out=$(vdpa mgmtdev show)
	check_err $? "vdpa mgmtdev show failed"
	echo "$out" | sed 's/^/\t/'
	echo "$out" | grep -q "^$MGMT:"
	check_err $? "no management device $MGMT"
	vdpa mgmtdev show $MGMT | grep -qE "supported_classes +net( |$)"
	check_err $? "$MGMT: supported classes not net"
	out=$(vdpa -j mgmtdev show)
	check_err $? "vdpa -j mgmtdev show failed"
	echo "$out" | json_valid
	check_err $? "JSON does not parse: $out"
	echo "$out" | grep -qE "\"$MGMT\":\{\"supported_classes\":\[\"net\"\]"
	check_err $? "JSON lacks $MGMT with classes [net]: $out"
	echo "1 4" > $VMQSIM_BUS/new_device
	busywait 3000 eval "vdpa mgmtdev show | grep -q '^vmqsim/vmqsim1:'"
	check_err $? "a new NIC is no management device"
	echo 1 > $VMQSIM_BUS/del_device
	! vdpa mgmtdev show | grep -q '^vmqsim/vmqsim1:'
	check_err $? "a deleted NIC's management device stayed"
	log_test "mgmtdev: each NIC a vDPA management device of class net"
}

# refused ERRNO_TEXT WHAT ARGS...: "vdpa dev add vbad ARGS" fails with the
# kernel's ERRNO_TEXT, logs a line, and leaves the NIC as it was.
refused()
{
	local err=$1 what=$2 mark before out log
	shift 2

	before=$(nic_state)
	mark=$(kmsg_mark)
	out=$(vdpa dev add name vbad mgmtdev $MGMT "$@" 2>&1)
	if [ $? -eq 0 ]; then
		check_err 1 "$what: accepted"
		vdpa dev del vbad
		return
	fi
	echo "$out" | grep -q "kernel answers: $err"
	check_err $? "$what: '$out', want '$err'"
	log=$(kmsg_since "$mark")
	echo "$log" | grep -qiE "vdpa|vmq|$BUS"
	check_err $? "$what: no kernel log line"
	echo "$log" | sed "s/^/\t$what: /"
	[ ! -e $VDEVS/vbad ] && ! vdpa dev show vbad >/dev/null 2>&1
	check_err $? "$what: a device vbad is left"
	nic_unchanged "$before"
	check_err $? "$what: the NIC changed: $(nic_diff "$before")"
}

# refused_by_core WHAT ARGS...: vdpa dev add ARGS is refused by the vDPA
# core, EOPNOTSUPP with its extack naming the unsupported attribute, and
# nothing is left behind.
refused_by_core()
{
	local what=$1 out before
	shift

	before=$(nic_state)
	out=$(vdpa dev add name vbad mgmtdev $MGMT "$@" 2>&1)
	if [ $? -eq 0 ]; then
		check_err 1 "$what: accepted"
		vdpa dev del vbad
		return
	fi
	echo "$out" | grep -q "not supported" &&
		echo "$out" | grep -q "kernel answers: Operation not supported"
	check_err $? "$what: '$out', want EOPNOTSUPP, attributes not supported"
	[ ! -e $VDEVS/vbad ] && ! vdpa dev show vbad >/dev/null 2>&1
	check_err $? "$what: a device vbad is left"
	nic_unchanged "$before"
	check_err $? "$what: the NIC changed: $(nic_diff "$before")"
}

refuse_einval()
{
	local before

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "EINVAL refusals"; return; }
	refused "Invalid argument" "no mac"
	refused "Invalid argument" "multicast mac" mac 01:00:5e:00:00:01
	refused "Invalid argument" "broadcast mac" mac ff:ff:ff:ff:ff:ff
	refused "Invalid argument" "zero mac" mac 00:00:00:00:00:00
	refused "Invalid argument" "max_vqp 2" mac $MAC1 max_vqp 2
	refused_by_core "mtu" mac $MAC1 mtu 1500
	refused_by_core "mtu 9000" mac $MAC1 mtu 9000
	before=$(nic_state)
	vdpa_add vdpa0 mac $MAC1 max_vqp 1
	check_err $? "max_vqp 1 refused: $(cat /tmp/vdpa_add.out)"
	vdpa dev del vdpa0 2>/dev/null
	nic_unchanged "$before"
	check_err $? "add and del changed the NIC: $(nic_diff "$before")"
	log_test "refusals: EINVAL for no, multicast or zero MAC, max_vqp 2; EOPNOTSUPP for mtu"
}

refuse_enospc()
{
	local free i mark

	defer teardown
	setup 4 || { check_err 1 "setup failed"; log_test "ENOSPC refusal"; return; }
	ethtool -L vmq0 combined 2
	check_err $? "ethtool -L vmq0 combined 2"
	free=$(awk 'NR > 1 && $2 == "free"' /sys/kernel/debug/vmq/$BUS/queues | wc -l)
	[ "$free" -eq 2 ]
	check_err $? "$free queue pairs free, want 2"
	for ((i = 0; i < free; i++)); do
		vdpa_add vdpa$i mac 52:54:00:00:1e:0$i
		check_err $? "device $i of $free refused: $(cat /tmp/vdpa_add.out)"
	done
	mark=$(kmsg_mark)
	refused "No space left on device" "no free queue pair" mac $MAC3
	kmsg_since "$mark" | grep -q "no free queue pair"
	check_err $? "no 'no free queue pair' log line"
	vdpa_del_all
	free=$(awk 'NR > 1 && $2 == "free"' /sys/kernel/debug/vmq/$BUS/queues | wc -l)
	[ "$free" -eq 2 ]
	check_err $? "$free queue pairs free after dev del, want 2"
	vdpa_add vdpa0 mac $MAC3
	check_err $? "a freed queue pair cannot be had again: $(cat /tmp/vdpa_add.out)"
	log_test "refusals: ENOSPC when no queue pair is free"
}

refuse_eexist()
{
	local type

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "EEXIST refusals"; return; }
	ethtool -N vmq0 flow-type ether dst $MAC1 action 0 loc 1 2>&1 |
		grep -q "Cannot insert"
	check_fail $? "ethtool rule for $MAC1 refused"
	refused "File exists" "MAC of an ntuple rule" mac $MAC1
	vdpa_add vdpa0 mac $MAC2
	check_err $? "vdpa0: $(cat /tmp/vdpa_add.out)"
	refused "File exists" "MAC of another vDPA device" mac $MAC2
	refused "File exists" "the NIC's own MAC" \
		mac "$(cat /sys/class/net/vmq0/address)"
	if modprobe vfio_iommu_type1 2>/dev/null &&
	   type=$(vmq_mdev_type $BUS) && [ -d "$type" ]; then
		echo $UUID1 > "$type/create" &&
			echo $MAC3 > "$MDEVS/$UUID1/vmq/mac"
		check_err $? "mdev with $MAC3"
		refused "File exists" "MAC of an mdev" mac $MAC3
	else
		check_err 1 "no vmq_vfio mdev type to hold a MAC"
	fi
	log_test "refusals: EEXIST for a MAC a rule, a device, an mdev or the NIC holds"
}

# vmq-queues (vmq.rst, "Admin guide") names a vDPA device's queue pair:
# owner vdpa, the device's name, its state, MAC and VLAN.
vmq_queues_view()
{
	local q r out

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "vmq-queues shows a vDPA device"; return; }
	vdpa_add vdpa0 mac $MAC1
	check_err $? "vdpa0: $(cat /tmp/vdpa_add.out)"
	echo 100 > $VDEVS/vdpa0/vmq/vlan
	q=$(vdpa_qp vdpa0)
	r=$("$QUEUES_CMD" vmq0 | awk -v q="$q" '$1 == q { print $2, $3, $4, $5, $6 }')
	[ "$r" = "disabled vdpa vdpa0 $MAC1 100" ]
	check_err $? "queue pair $q: '$r', want 'disabled vdpa vdpa0 $MAC1 100'"
	out=$("$QUEUES_CMD" --json vmq0)
	echo "$out" | grep -qF "{\"qp\":$q,\"state\":\"disabled\",\"owner\":\"vdpa\",\"name\":\"vdpa0\",\"mac\":\"$MAC1\",\"vlan\":100,"
	check_err $? "--json: queue pair $q not vdpa0's: $out"
	log_test "vmq-queues shows a vDPA device's queue pair"
}

# expect_write_fail FILE VALUE: refused, the value kept.
expect_write_fail()
{
	local old

	old=$(cat "$1")
	(echo "$2" > "$1") 2>/dev/null
	check_fail $? "writing '$2' to $1 succeeded"
	[ "$(cat "$1")" = "$old" ]
	check_err $? "$1 changed from $old to $(cat "$1") on a refused write"
}

virtio_dev()
{
	local qp mtu drv a=$VDEVS/vdpa0/vmq line

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "virtio_vdpa device"; return; }
	virtio_drivers
	check_err $? "cannot load virtio_vdpa and virtio_net"
	vdpa_add vdpa0 mac $MAC1
	check_err $? "vdpa dev add: $(cat /tmp/vdpa_add.out)"
	[ "$(vdpa_driver vdpa0)" = virtio_vdpa ]
	check_err $? "vdpa0 bound to '$(vdpa_driver vdpa0)', not virtio_vdpa"
	busywait 5000 vdpa_netdev vdpa0 >/dev/null
	check_err $? "no virtio_net netdev on vdpa0"
	ND=$(vdpa_netdev vdpa0)
	mtu=$(cat /sys/class/net/vmq0/mtu)
	drv=$(readlink /sys/class/net/$ND/device/driver 2>/dev/null)
	[ "${drv##*/}" = virtio_net ]
	check_err $? "$ND driven by '${drv##*/}', not virtio_net"
	[ "$(cat /sys/class/net/$ND/address)" = $MAC1 ]
	check_err $? "$ND has MAC $(cat /sys/class/net/$ND/address), want $MAC1"
	[ "$(cat /sys/class/net/$ND/mtu)" = "$mtu" ]
	check_err $? "$ND has MTU $(cat /sys/class/net/$ND/mtu), vmq0 $mtu"
	vdpa dev show vdpa0 | grep -q "mgmtdev $MGMT .*max_vqs 2 max_vq_size 256"
	check_err $? "vdpa dev show: $(vdpa dev show vdpa0)"
	line=$(vdpa dev config show vdpa0)
	echo "$line" | grep -q "mac $MAC1 link up .*mtu $mtu"
	check_err $? "vdpa dev config show: $line"

	qp=$(vdpa_qp vdpa0)
	[ "$qp" -ge "$(channels)" ] 2>/dev/null
	check_err $? "queue pair '$qp' is not past the host's channels"
	[ "$(qp_owner $BUS "$qp")" = vdpa ] && [ "$(qp_owner_name "$qp")" = vdpa0 ]
	check_err $? "queues view: $(qp_line "$qp")"
	[ "$(filter_qp $MAC1)" = "$qp" ]
	check_err $? "no filter steering $MAC1 to queue pair $qp"
	[ "$(qstat vmq0 "qp${qp}_rx_packets")" != missing ]
	check_err $? "ethtool -S has no qp${qp} counters"
	grep -q " vmq0-qp$qp\$" /proc/interrupts
	check_err $? "no vector vmq0-qp$qp"
	[ "$(cat $a/vlan)" = 0 ] && [ "$(cat $a/spoofchk)" = 1 ] &&
		[ "$(cat $a/trunk)" = 0 ] && [ "$(cat $a/state)" = running ]
	check_err $? "vmq/: vlan $(cat $a/vlan) spoofchk $(cat $a/spoofchk) trunk $(cat $a/trunk) state $(cat $a/state)"
	expect_write_fail $a/qp $((qp + 1))
	expect_write_fail $a/state disabled
	expect_write_fail $a/vlan 4095
	expect_write_fail $a/vlan abc
	expect_write_fail $a/spoofchk maybe
	expect_write_fail $a/trunk maybe
	echo "	$ND on vdpa0: queue pair $qp: $(qp_line "$qp")"

	vdpa dev del vdpa0
	check_err $? "vdpa dev del failed"
	[ ! -e $VDEVS/vdpa0 ] && [ ! -e /sys/class/net/$ND ]
	check_err $? "device or netdev $ND left after dev del"
	qp_free "$qp"
	check_err $? "queue pair $qp not free after dev del: $(qp_line "$qp")"
	log_test "virtio_vdpa: virtio_net binds; MAC, MTU, views, vmq/ attributes"
}

# ns_pair: the virtio netdev ND in NS_V with IP_V, the partner in NS_P
# with IP_P.
ns_pair()
{
	ip netns add $NS_V && ip netns add $NS_P || return 1
	ip link set "$ND" netns $NS_V && ip link set vmq0w netns $NS_P || return 1
	ip -n $NS_V link set lo up && ip -n $NS_P link set lo up &&
		ip -n $NS_V addr add $IP_V/24 dev "$ND" &&
		ip -n $NS_V link set "$ND" up &&
		ip -n $NS_P link set vmq0w up || return 1
	ip netns exec $NS_V bash -c "$(declare -f quiet_ipv6); quiet_ipv6 $ND"
	ip netns exec $NS_P bash -c "$(declare -f quiet_ipv6); quiet_ipv6 vmq0w"
	[ -n "${1:-}" ] || ip -n $NS_P addr add $IP_P/24 dev vmq0w
}

# stream FROM_NS TO_NS TO_IP FILE: FILE over TCP from one namespace to the
# other (busybox nc listening, bash's /dev/tcp sending); the copy is
# compared.
stream()
{
	local pid

	rm -f /tmp/vdpa_bulk.out
	ip netns exec "$2" timeout 90 nc -l -p $PORT > /tmp/vdpa_bulk.out &
	pid=$!
	ip netns exec "$1" timeout 90 bash -c "
		for i in \$(seq 50); do
			cat $4 2>/dev/null > /dev/tcp/$3/$PORT && exit 0
			sleep 0.1
		done
		exit 1" 2>/dev/null
	check_err $? "stream $1 -> $2: cannot send"
	wait $pid
	cmp -s "$4" /tmp/vdpa_bulk.out
	check_err $? "stream $1 -> $2: $(stat -c %s /tmp/vdpa_bulk.out 2>/dev/null) bytes of $(stat -c %s "$4") arrived intact"
}

virtio_traffic()
{
	local qp c0 rx tx host0 size=$((4 * 1024 * 1024))

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "virtio_vdpa traffic"; return; }
	virtio_drivers && virtio_dev_add vdpa0 $MAC1
	check_err $? "no virtio netdev on vdpa0"
	qp=$(vdpa_qp vdpa0)
	ns_pair
	check_err $? "namespaces"
	c0=$(qp_counts "$qp")
	host0=$(qstat vmq0 qp0_rx_packets)
	ip netns exec $NS_V ping -c 3 -W 2 $IP_P >/dev/null
	check_err $? "ping from the virtio netdev to the partner"
	ip netns exec $NS_P ping -c 3 -W 2 $IP_V >/dev/null
	check_err $? "ping from the partner to the virtio netdev"
	head -c $size /dev/urandom > /tmp/vdpa_bulk.in
	stream $NS_V $NS_P $IP_P /tmp/vdpa_bulk.in
	stream $NS_P $NS_V $IP_V /tmp/vdpa_bulk.in
	rm -f /tmp/vdpa_bulk.in /tmp/vdpa_bulk.out
	rx=$(qp_moved "$qp" 1 "$c0")
	tx=$(qp_moved "$qp" 2 "$c0")
	echo "	queue pair $qp: rx $rx tx $tx frames; qp0 rx $(($(qstat vmq0 qp0_rx_packets) - host0))"
	# 4 MiB each way in frames of at most 1514 bytes.
	[ "$rx" -ge $((size / 1514)) ] && [ "$tx" -ge $((size / 1514)) ]
	check_err $? "queue pair $qp counted rx $rx tx $tx frames for 4 MiB each way"
	[ $(($(qstat vmq0 qp0_rx_packets) - host0)) -lt 20 ]
	check_err $? "the host's queue got the traffic"
	[ "$(qp_moved "$qp" 5 "$c0")" -gt 0 ]
	check_err $? "no interrupt on queue pair $qp"
	log_test "virtio_vdpa traffic: ping both ways, 4 MiB TCP each way on its queue pair"
}

virtio_counts()
{
	local qp c0 nd0 w0 h0 d0 d

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "virtio_vdpa counts"; return; }
	virtio_drivers && virtio_dev_add vdpa0 $MAC1
	check_err $? "no virtio netdev on vdpa0"
	qp=$(vdpa_qp vdpa0)

	c0=$(qp_counts "$qp")
	nd0=$(ifstat "$ND" rx_packets)
	d0=$(sim_counter rx_guest_direct)
	pg_send vmq0w $MAC1 $N
	busywait 5000 ge $((nd0 + N)) ifstat "$ND" rx_packets
	check_err $? "$ND received $(($(ifstat "$ND" rx_packets) - nd0)) of $N"
	# The classifier fills the virtqueue itself while nothing waits.
	d=$(($(sim_counter rx_guest_direct) - d0))
	[ "$d" -ge $((N / 4)) ]
	check_err $? "rx_guest_direct moved by $d for $N frames, want $((N / 4)) at least"
	echo "	$N frames to $ND: $d written straight into its buffers"
	[ "$(qp_moved "$qp" 1 "$c0")" -eq $N ] && [ "$(ifstat "$ND" rx_packets)" -eq $((nd0 + N)) ]
	check_err $? "rx: qp${qp}_rx_packets moved by $(qp_moved "$qp" 1 "$c0"), $ND by $(($(ifstat "$ND" rx_packets) - nd0)), want $N"
	[ "$(qp_moved "$qp" 5 "$c0")" -gt 0 ]
	check_err $? "qp${qp}_irqs did not move"

	c0=$(qp_counts "$qp")
	w0=$(ifstat vmq0w rx_packets)
	pg_send "$ND" "$(cat /sys/class/net/vmq0w/address)" $N
	busywait 5000 ge $((w0 + N)) ifstat vmq0w rx_packets
	check_err $? "the partner received $(($(ifstat vmq0w rx_packets) - w0)) of $N"
	[ "$(qp_moved "$qp" 2 "$c0")" -eq $N ]
	check_err $? "tx: qp${qp}_tx_packets moved by $(qp_moved "$qp" 2 "$c0"), want $N"

	# The MAC filter: frames to another MAC go to the host's queue.
	c0=$(qp_counts "$qp")
	nd0=$(ifstat "$ND" rx_packets)
	h0=$(qstat vmq0 qp0_rx_packets)
	pg_send vmq0w $OTHER $N
	busywait 5000 ge $((h0 + N)) qstat vmq0 qp0_rx_packets
	check_err $? "the host's queue got $(($(qstat vmq0 qp0_rx_packets) - h0)) of $N frames to $OTHER"
	busywait 3000 backlog_empty
	[ "$(qp_moved "$qp" 1 "$c0")" -eq 0 ] && [ "$(ifstat "$ND" rx_packets)" -eq "$nd0" ]
	check_err $? "frames to $OTHER reached queue pair $qp ($(qp_moved "$qp" 1 "$c0")) or $ND"
	log_test "virtio_vdpa counts: pktgen both ways on its queue pair, received straight into its buffers; MAC filter"
}

# irq_total IRQ: its interrupts on every CPU, from /proc/interrupts.
irq_total()
{
	irq_cpu_counts "$1" |
		awk '{ for (i = 1; i <= NF; i++) s += $i } END { print s + 0 }'
}

# irq_moved RXI TXI BEFORE: how far both vectors' counts moved since
# BEFORE ("RX TX" counts), as "RX TX".
irq_moved()
{
	local -a was

	read -r -a was <<< "$3"
	echo "$(($(irq_total "$1") - was[0])) $(($(irq_total "$2") - was[1]))"
}

# tx_follows IRQ CPU: IRQ's affinity is CPU alone.
tx_follows()
{
	[ "$(cat "/proc/irq/$1/smp_affinity_list")" = "$2" ]
}

virtio_vectors()
{
	local qp rxi txi c0 i0 s0 cpu to pin moved rxm txm peer nd0

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "virtio_vdpa vectors"; return; }
	virtio_drivers && virtio_dev_add vdpa0 $MAC1
	check_err $? "no virtio netdev on vdpa0"
	qp=$(vdpa_qp vdpa0)
	rxi=$(qp_irq vmq0 "$qp")
	txi=$(qp_irq vmq0 "$qp-tx")
	[ -n "$rxi" ] && [ -n "$txi" ] && [ "$rxi" != "$txi" ]
	check_err $? "vectors of queue pair $qp: vmq0-qp$qp irq '$rxi', vmq0-qp$qp-tx irq '$txi'"
	if [ -z "$rxi" ] || [ -z "$txi" ]; then
		log_test "virtio_vdpa vectors: one per virtqueue"
		return
	fi

	# The transmit vector goes where the policy puts the queue pair.
	cpu=$(irq_eff_cpu "$rxi")
	[ "$(irq_eff_cpu "$txi")" = "$cpu" ]
	check_err $? "vmq0-qp$qp on CPU $cpu, vmq0-qp$qp-tx on CPU $(irq_eff_cpu "$txi")"
	to=$(((cpu + 1) % $(nproc)))
	echo "$qp $to" > /sys/kernel/debug/vmq/$BUS/place
	check_err $? "cannot move queue pair $qp to CPU $to"
	[ "$(irq_eff_cpu "$rxi")" = "$to" ] && [ "$(irq_eff_cpu "$txi")" = "$to" ] &&
		[ "$(cat /proc/irq/$txi/affinity_hint)" = "$(cat /proc/irq/$rxi/affinity_hint)" ]
	check_err $? "queue pair $qp moved to CPU $to: vmq0-qp$qp on $(irq_eff_cpu "$rxi") hint $(cat /proc/irq/$rxi/affinity_hint), tx on $(irq_eff_cpu "$txi") hint $(cat /proc/irq/$txi/affinity_hint)"
	# An admin's pin of the queue pair's vector: the transmit one follows.
	pin=$(((to + 1) % $(nproc)))
	echo $pin > "/proc/irq/$rxi/smp_affinity_list"
	check_err $? "cannot pin irq $rxi to CPU $pin"
	busywait 3000 tx_follows "$txi" $pin
	check_err $? "vmq0-qp$qp pinned to CPU $pin, vmq0-qp$qp-tx on $(cat "/proc/irq/$txi/smp_affinity_list")"
	# Both hints are the pin's mask.
	[ "$(cat /proc/irq/$rxi/affinity_hint)" = "$(cat /proc/irq/$txi/affinity_hint)" ] &&
		[ $((16#$(tr -d ',\n' < /proc/irq/$rxi/affinity_hint))) -eq $((1 << pin)) ]
	check_err $? "vmq0-qp$qp pinned to CPU $pin: its hint $(cat /proc/irq/$rxi/affinity_hint), the tx vector's $(cat /proc/irq/$txi/affinity_hint)"

	# Receive completions on the queue pair's vector, transmit ones on
	# the transmit vector; the queue pair's irqs counter counts both.
	c0=$(qp_counts "$qp")
	i0="$(irq_total "$rxi") $(irq_total "$txi")"
	s0=$(($(irq_total "$rxi") + $(irq_total "$txi")))
	nd0=$(ifstat "$ND" rx_packets)
	pg_send vmq0w $MAC1 $N
	busywait 5000 ge $((nd0 + N)) ifstat "$ND" rx_packets
	check_err $? "$ND received $(($(ifstat "$ND" rx_packets) - nd0)) of $N"
	read -r rxm txm <<< "$(irq_moved "$rxi" "$txi" "$i0")"
	[ "$rxm" -gt 0 ] && [ "$txm" -eq 0 ]
	check_err $? "receiving $N frames: vmq0-qp$qp moved by $rxm, vmq0-qp$qp-tx by $txm"
	moved="rx $N frames: $rxm/$txm"

	i0="$(irq_total "$rxi") $(irq_total "$txi")"
	peer=$(ifstat vmq0w rx_packets)
	pg_send "$ND" "$(cat /sys/class/net/vmq0w/address)" $N
	busywait 5000 ge $((peer + N)) ifstat vmq0w rx_packets
	check_err $? "the partner received $(($(ifstat vmq0w rx_packets) - peer)) of $N"
	read -r rxm txm <<< "$(irq_moved "$rxi" "$txi" "$i0")"
	[ "$rxm" -eq 0 ] && [ "$txm" -gt 0 ]
	check_err $? "sending $N frames: vmq0-qp$qp moved by $rxm, vmq0-qp$qp-tx by $txm"
	moved="$moved, tx $N frames: $rxm/$txm"
	s0=$(($(irq_total "$rxi") + $(irq_total "$txi") - s0))
	[ "$(qp_moved "$qp" 5 "$c0")" -eq "$s0" ]
	check_err $? "qp${qp}_irqs moved by $(qp_moved "$qp" 5 "$c0"), its two vectors by $s0"
	echo "	vmq0-qp$qp (irq $rxi) and vmq0-qp$qp-tx (irq $txi) pinned to CPU $pin; interrupts qp/tx: $moved"

	vdpa dev del vdpa0
	check_err $? "vdpa dev del failed"
	! grep -q " vmq0-qp$qp-tx\$" /proc/interrupts
	check_err $? "vmq0-qp$qp-tx left after dev del"
	log_test "virtio_vdpa vectors: one per virtqueue, placed, moved and pinned with the queue pair"
}

virtio_vlan()
{
	local qp c0 v a=$VDEVS/vdpa0/vmq

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "virtio_vdpa vlan"; return; }
	virtio_drivers && virtio_dev_add vdpa0 $MAC1
	check_err $? "no virtio netdev on vdpa0"
	qp=$(vdpa_qp vdpa0)
	echo 100 > $a/vlan && [ "$(cat $a/vlan)" = 100 ]
	check_err $? "cannot set vlan 100"
	for v in - 200 100; do
		c0=$(qp_counts "$qp")
		pg_send vmq0w $MAC1 20 $v
		busywait 3000 backlog_empty
		if [ $v = 100 ]; then
			busywait 3000 ge 20 qp_moved "$qp" 1 "$c0"
			[ "$(qp_moved "$qp" 1 "$c0")" -eq 20 ]
		else
			[ "$(qp_moved "$qp" 1 "$c0")" -eq 0 ]
		fi
		check_err $? "vlan 100: frames to $MAC1 with vlan '$v' moved qp${qp}_rx_packets by $(qp_moved "$qp" 1 "$c0")"
	done

	modprobe 8021q
	ns_pair nopartnerip
	check_err $? "namespaces"
	ip -n $NS_P link add link vmq0w name vmq0w.100 type vlan id 100 &&
		ip -n $NS_P addr add $IP_P/24 dev vmq0w.100 &&
		ip -n $NS_P link set vmq0w.100 up
	check_err $? "vlan 100 on the partner"
	ip netns exec $NS_V ping -c 3 -W 2 $IP_P >/dev/null
	check_err $? "untagged from the virtio netdev did not reach VLAN 100"
	ip netns exec $NS_P ping -c 3 -W 2 $IP_V >/dev/null
	check_err $? "VLAN 100 from the partner did not reach the virtio netdev untagged"
	ip -n $NS_P link del vmq0w.100
	ip -n $NS_P addr add $IP_P/24 dev vmq0w
	ip netns exec $NS_P ping -c 2 -W 1 $IP_V >/dev/null
	check_fail $? "untagged frames reached a VLAN 100 device"
	echo 0 > $a/vlan
	ip netns exec $NS_P ping -c 3 -W 2 $IP_V >/dev/null
	check_err $? "vlan back to 0: untagged ping fails"
	log_test "virtio_vdpa vlan: tag stripped on receive, inserted on transmit"
}

# spoof_send WHAT QP SRC VLAN PASS: N frames from the virtio netdev ND
# (queue pair QP) to the partner, from SRC, tagged VLAN ("-": untagged).
# PASS 1: all reach the partner; 0: none does, qpN_tx_drops counts them.
spoof_send()
{
	local what=$1 qp=$2 c0 w0

	c0=$(qp_counts "$qp")
	w0=$(ifstat vmq0w rx_packets)
	pg_send "$ND" "$(cat /sys/class/net/vmq0w/address)" $N "$4" "$3"
	if [ "$5" = 1 ]; then
		busywait 5000 ge $((w0 + N)) ifstat vmq0w rx_packets
		check_err $? "$what: the partner got $(($(ifstat vmq0w rx_packets) - w0)) of $N"
		return
	fi
	busywait 5000 ge $N qp_moved "$qp" 4 "$c0"
	check_err $? "$what: qp${qp}_tx_drops moved by $(qp_moved "$qp" 4 "$c0"), want $N"
	nap 0.5
	[ "$(ifstat vmq0w rx_packets)" -eq "$w0" ]
	check_err $? "$what: $(($(ifstat vmq0w rx_packets) - w0)) frames reached the partner"
}

virtio_spoof_trunk()
{
	local qp a=$VDEVS/vdpa0/vmq

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "virtio_vdpa anti-spoofing"; return; }
	virtio_drivers && virtio_dev_add vdpa0 $MAC1
	check_err $? "no virtio netdev on vdpa0"
	qp=$(vdpa_qp vdpa0)
	spoof_send "spoofed source" "$qp" $SPOOF - 0
	spoof_send "own source" "$qp" $MAC1 - 1
	echo 0 > $a/spoofchk
	check_err $? "cannot turn spoofchk off"
	spoof_send "spoofchk 0, spoofed source" "$qp" $SPOOF - 1
	echo 1 > $a/spoofchk
	spoof_send "tagged, trunk 0" "$qp" $MAC1 100 0
	echo 1 > $a/trunk && [ "$(cat $a/trunk)" = 1 ]
	check_err $? "cannot make it a trunk"
	spoof_send "tagged, trunk 1" "$qp" $MAC1 100 1
	log_test "virtio_vdpa anti-spoofing and trunk: drops counted in qpN_tx_drops"
}

del_under_traffic()
{
	local qp mark nd c0

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "dev del under traffic"; return; }
	virtio_drivers && virtio_dev_add vdpa0 $MAC1
	check_err $? "no virtio netdev on vdpa0"
	qp=$(vdpa_qp vdpa0)
	nd=$ND
	c0=$(qp_counts "$qp")
	pg_stream kpktgend_0 vmq0w $MAC1 && pg_stream kpktgend_1 "$nd" \
		"$(cat /sys/class/net/vmq0w/address)" && pg_go
	check_err $? "pktgen"
	busywait 5000 ge 100 qp_moved "$qp" 1 "$c0" &&
		busywait 5000 ge 100 qp_moved "$qp" 2 "$c0"
	check_err $? "no traffic both ways on queue pair $qp"
	mark=$(kmsg_mark)
	timeout 30 vdpa dev del vdpa0
	check_err $? "vdpa dev del under traffic failed"
	pg_stop_all
	[ ! -e $VDEVS/vdpa0 ] && [ ! -e /sys/class/net/$nd ]
	check_err $? "device or netdev left"
	qp_free "$qp"
	check_err $? "queue pair $qp not free: $(qp_line "$qp")"
	kernel_quiet_since "$mark"
	check_err $? "kernel complained: $(kmsg_since "$mark" | grep -E 'WARNING|BUG|Oops' | head -3)"
	virtio_dev_add vdpa0 $MAC1
	check_err $? "cannot add the device again"
	log_test "vdpa dev del under traffic both ways: clean, queue pair free"
}

rmmod_with_device()
{
	local qp mark nd

	defer teardown
	defer modprobe vmq_vdpa
	setup || { check_err 1 "setup failed"; log_test "rmmod with a device"; return; }
	virtio_drivers && virtio_dev_add vdpa0 $MAC1
	check_err $? "no virtio netdev on vdpa0"
	qp=$(vdpa_qp vdpa0)
	nd=$ND
	pg_send vmq0w $MAC1 20
	mark=$(kmsg_mark)
	timeout 30 rmmod vmq_vdpa
	check_err $? "rmmod vmq_vdpa with a device failed"
	! mod_loaded vmq_vdpa && [ ! -e $VDEVS/vdpa0 ] && [ ! -e /sys/class/net/$nd ]
	check_err $? "module, device or netdev left"
	! vdpa mgmtdev show 2>/dev/null | grep -q "^$MGMT:"
	check_err $? "management device left"
	qp_free "$qp"
	check_err $? "queue pair $qp not free: $(qp_line "$qp")"
	kernel_quiet_since "$mark"
	check_err $? "kernel complained"
	modprobe vmq_vdpa && busywait 3000 eval "vdpa mgmtdev show | grep -q '^$MGMT:'"
	check_err $? "no management device after modprobe vmq_vdpa"
	vdpa_add vdpa0 mac $MAC1
	check_err $? "cannot add a device after reload: $(cat /tmp/vdpa_add.out)"
	log_test "rmmod vmq_vdpa with a device: clean, queue pair free"
}

# vhost_hold SECS: vdpa0 with MAC1 for vhost-vdpa, and the test VMM
# holding it for up to SECS (until SIGUSR1); sets VHOST_PID.
vhost_hold()
{
	local mtu

	vhost_dev_add vdpa0 $MAC1 || return 1
	mtu=$(cat /sys/class/net/vmq0/mtu)
	: > /tmp/vhost_hold.out
	"$VHOST_VMM" -t "$1" -m $MAC1 -M "$mtu" "$VHOST" hold \
		> /tmp/vhost_hold.out 2>&1 &
	VHOST_PID=$!
	busywait 10000 grep -q "holding the device" /tmp/vhost_hold.out
}

# rmmod vmq_vdpa while a VMM holds /dev/vhost-vdpa-N: it waits for the
# VMM (vhost-vdpa asks it nothing), and holds up no other NIC meanwhile.
rmmod_held()
{
	local vmm_pid rm_pid

	defer teardown
	defer modprobe vmq_vdpa
	setup || { check_err 1 "setup failed"; log_test "rmmod while a VMM holds a device"; return; }
	vhost_hold 25
	check_err $? "no VMM holds vdpa0: $(cat /tmp/vhost_hold.out)"
	vmm_pid=$VHOST_PID
	rmmod vmq_vdpa &
	rm_pid=$!
	busywait 10000 grep -q vhost_vdpa_remove /proc/$rm_pid/stack
	check_err $? "rmmod vmq_vdpa is not waiting for the VMM"

	within 10 sh -c "echo 1 > /sys/bus/vmqsim/new_device"
	check_err $? "new_device 1 waited for the VMM of vmq_vdpa's device"
	within 10 sh -c "echo 1 > /sys/bus/vmqsim/del_device"
	check_err $? "del_device 1 waited for the VMM of vmq_vdpa's device"
	kill -0 $rm_pid 2>/dev/null
	check_err $? "rmmod vmq_vdpa did not wait for the VMM"

	kill -USR1 $vmm_pid
	wait $vmm_pid
	check_err $? "VMM failed"
	sed 's/^/\t/' /tmp/vhost_hold.out
	wait $rm_pid
	check_err $? "rmmod vmq_vdpa failed"
	! mod_loaded vmq_vdpa && [ ! -e $VDEVS/vdpa0 ]
	check_err $? "module or device left"
	log_test "rmmod vmq_vdpa waiting for a VMM holds up no other NIC"
}

del_device_with_device()
{
	local mark nd

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "del_device with a device"; return; }
	virtio_drivers && virtio_dev_add vdpa0 $MAC1
	check_err $? "no virtio netdev on vdpa0"
	nd=$ND
	pg_stream kpktgend_0 vmq0w $MAC1 && pg_go
	nap 1
	mark=$(kmsg_mark)
	echo 0 > $VMQSIM_BUS/del_device
	check_err $? "del_device failed"
	pg_stop_all
	[ ! -e $VMQSIM_BUS/devices/vmqsim0 ] && [ ! -e $VDEVS/vdpa0 ] &&
		[ ! -e /sys/class/net/$nd ]
	check_err $? "NIC, vDPA device or netdev left"
	! vdpa mgmtdev show 2>/dev/null | grep -q "^$MGMT:"
	check_err $? "management device left"
	kernel_quiet_since "$mark"
	check_err $? "kernel complained"
	log_test "del_device with a vDPA device under traffic: clean"
}

# A NIC being created is offered to VMMs only once it is whole.  Its
# probe waits here for the vDPA core's lock, which "vdpa dev del" holds
# while a VMM keeps its device; vmq_vfio offers the NIC before vmq_vdpa
# does, so an mdev can be made on it meanwhile, and a VMM enabling its
# queue pair must find the NIC's driver ready.
new_device_whole()
{
	local vmm_pid del_pid new_pid type

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "new_device offers a whole NIC"; return; }
	modprobe vfio_iommu_type1
	# Clients are offered a NIC in the order they loaded: vmq_vfio first.
	rmmod vmq_vdpa && modprobe vmq_vfio && modprobe vmq_vdpa
	check_err $? "cannot load vmq_vfio before vmq_vdpa"
	vhost_hold 60
	check_err $? "no VMM holds vdpa0: $(cat /tmp/vhost_hold.out)"
	vmm_pid=$VHOST_PID
	vdpa dev del vdpa0 &
	del_pid=$!
	busywait 10000 grep -q vhost_vdpa_remove /proc/$del_pid/stack
	check_err $? "vdpa dev del is not waiting for the VMM"
	sh -c "echo 1 > $VMQSIM_BUS/new_device" &
	new_pid=$!
	busywait 10000 grep -q vdpa_mgmtdev_register /proc/$new_pid/stack
	check_err $? "new_device 1 is not waiting for the vDPA core"

	busywait 10000 vmq_mdev_type vmqsim1 >/dev/null
	check_err $? "vmq_vfio did not offer vmqsim1"
	type=$(vmq_mdev_type vmqsim1)
	echo $UUID1 > "$type/create" && echo $MAC2 > "$MDEVS/$UUID1/vmq/mac"
	check_err $? "mdev on vmqsim1 failed"
	ip link set vmq1 up && ip link set vmq1w up
	"$VFIO_VMM" -w vmq1w $UUID1 rx > /tmp/vfio_rx.out 2>&1
	check_err $? "the mdev's VMM failed: $(tail -3 /tmp/vfio_rx.out)"
	echo 1 > "$MDEVS/$UUID1/remove"

	kill -USR1 $vmm_pid
	wait $vmm_pid
	check_err $? "vDPA VMM failed"
	wait $del_pid
	check_err $? "vdpa dev del failed"
	wait $new_pid
	check_err $? "new_device 1 failed"
	log_test "new_device: VMMs get the NIC only once it is whole"
}

# vhost DEV ARGS...: run the test VMM, show its output, keep its status.
vhost()
{
	"$VHOST_VMM" -t 3 "$@" > /tmp/vmq_vhost.out 2>&1
	local rc=$?

	sed 's/^/\t/' /tmp/vmq_vhost.out
	return $rc
}

vhost_vmm()
{
	local qp c0 mtu d0 b0 d b e0 e1 e one a=$VDEVS/vdpa0/vmq

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "vhost_vdpa VMM"; return; }
	vhost_dev_add vdpa0 $MAC1
	check_err $? "no /dev/vhost-vdpa-N for vdpa0 (driver '$(vdpa_driver vdpa0)')"
	qp=$(vdpa_qp vdpa0)
	mtu=$(cat /sys/class/net/vmq0/mtu)
	[ "$(qp_owner $BUS "$qp")" = vdpa ] && [ "$(qp_owner_name "$qp")" = vdpa0 ]
	check_err $? "queues view: $(qp_line "$qp")"
	# Not enabled since it was made (as an mdev's "disabled").
	[ "$(cat $a/state)" = disabled ]
	check_err $? "vmq/state $(cat $a/state) before any driver set it up"
	c0=$(qp_counts "$qp")
	vhost -m $MAC1 -M "$mtu" -s $a "$VHOST" info rx bcast filter tx spoof \
		chain rx-small no-irq suspend ready unmap-batch avail-end
	check_err $? "test VMM failed"
	# A virtqueue's enable, and a reset, whatever it leaves mapped, stop
	# and start the queue pair; the NIC makes its engine's thread once for
	# the VMM, not at every start, and ends it as the VMM closes.  (The
	# test VMM's info checks start the device first: a run with one
	# start of its own is the measure.)
	e0=$(sim_counter guest_engines)
	vhost -m $MAC1 -M "$mtu" -s $a "$VHOST" rx
	check_err $? "test VMM failed rx"
	e1=$(sim_counter guest_engines)
	vhost -m $MAC1 -M "$mtu" -s $a "$VHOST" toggle
	check_err $? "test VMM failed the toggles"
	e=$(($(sim_counter guest_engines) - e1))
	[ "$e" -eq $((e1 - e0)) ] && [ "$e" -gt 0 ]
	check_err $? "$e engine threads for a VMM's 50 virtqueue toggles and 25 resets, $((e1 - e0)) for one start"
	busywait 5000 no_engine_thread "$qp"
	check_err $? "engine thread vmqsim0-qp$qp outlived the VMM's close"
	# Neither resets after the map is taken back, nor starts with none.
	one=$((e1 - e0))
	e1=$(sim_counter guest_engines)
	vhost -m $MAC1 -M "$mtu" -s $a "$VHOST" toggle-unmap
	check_err $? "test VMM failed the toggles without a map"
	e=$(($(sim_counter guest_engines) - e1))
	[ "$e" -eq "$one" ]
	check_err $? "$e engine threads for a VMM's 10 resets after unmapping and 10 starts with no map, $one for one start"
	busywait 5000 no_engine_thread "$qp"
	check_err $? "engine thread vmqsim0-qp$qp outlived the close of a VMM that unmapped"
	# Suspends that land while the NIC is in the middle of a burst of
	# transmit buffers: the knob holds it after each one it took.
	echo 2000 > $SIM_DBG/guest_take_delay_us
	check_err $? "no guest_take_delay_us knob"
	vhost -m $MAC1 -M "$mtu" -s $a "$VHOST" suspend-busy
	check_err $? "test VMM failed the suspends in a burst"
	echo 0 > $SIM_DBG/guest_take_delay_us
	# Suspends that land while the NIC writes the used index: the write
	# happens, so the base the VMM reads back is the index written.
	echo 20000 > $SIM_DBG/guest_publish_delay_us
	check_err $? "no guest_publish_delay_us knob"
	vhost -m $MAC1 -M "$mtu" -s $a "$VHOST" suspend-busy
	check_err $? "test VMM failed the suspends during the used index's write"
	echo 0 > $SIM_DBG/guest_publish_delay_us
	# A burst: the classifier writes several frames at once, publishing
	# their used elements together.
	d0=$(sim_counter rx_guest_direct)
	b0=$(sim_counter rx_guest_direct_batches)
	vhost -m $MAC1 -M "$mtu" -s $a "$VHOST" rx-burst
	check_err $? "test VMM failed the burst"
	d=$(($(sim_counter rx_guest_direct) - d0))
	b=$(($(sim_counter rx_guest_direct_batches) - b0))
	[ "$d" -gt "$b" ]
	check_err $? "rx-burst: $d frames written straight into the buffers in $b batches, want a batch of several"
	echo "	rx-burst: $d frames written straight into the buffers in $b batches"
	# The same bursts through the queue pair's FIFO and engine, which
	# writes their used elements back in bursts of its own.
	echo Y > $SIM_DBG/guest_rx_fifo
	check_err $? "no guest_rx_fifo knob"
	d0=$(sim_counter rx_guest_direct)
	vhost -m $MAC1 -M "$mtu" -s $a "$VHOST" rx-burst
	check_err $? "test VMM failed the burst through the engine"
	echo N > $SIM_DBG/guest_rx_fifo
	d=$(($(sim_counter rx_guest_direct) - d0))
	[ "$d" -eq 0 ]
	check_err $? "guest_rx_fifo: $d frames still written straight into the buffers"
	# 64 frames into the 64 buffers, 8 that wait with none, then one
	# after the buffers came back: the classifier writes the 8 first,
	# then that one straight in.
	d0=$(sim_counter rx_guest_direct)
	vhost -m $MAC1 -M "$mtu" -s $a "$VHOST" rx-refill
	check_err $? "test VMM failed the refill"
	d=$(($(sim_counter rx_guest_direct) - d0))
	[ "$d" -eq 65 ]
	check_err $? "rx-refill: $d frames written straight into the buffers, want 65 (64, then the one behind the 8 that waited)"
	echo "	rx-refill: $d frames written straight into the buffers"
	# Receive kicks with nothing waiting cost the NIC no pass.
	vhost -m $MAC1 -M "$mtu" -s $a -c $SIM_DBG/counters "$VHOST" kick-idle
	check_err $? "test VMM failed the idle kicks"
	[ "$(qp_moved "$qp" 1 "$c0")" -ge 12 ] && [ "$(qp_moved "$qp" 2 "$c0")" -ge 12 ]
	check_err $? "qp${qp}: rx $(qp_moved "$qp" 1 "$c0") tx $(qp_moved "$qp" 2 "$c0") frames"
	[ "$(qp_moved "$qp" 4 "$c0")" -ge 12 ]
	check_err $? "qp${qp}_tx_drops moved by $(qp_moved "$qp" 4 "$c0") for 12 spoofed frames"
	[ "$(qp_moved "$qp" 3 "$c0")" -ge 3 ]
	check_err $? "qp${qp}_rx_drops moved by $(qp_moved "$qp" 3 "$c0"), not by the frame too long for its buffer and the two sent while suspended"
	[ "$(qp_moved "$qp" 5 "$c0")" -gt 0 ]
	check_err $? "qp${qp}_irqs did not move"
	# The VMM closed the device: vhost-vdpa reset it.
	busywait 3000 eval "[ \"\$(cat $a/state)\" = disabled ]"
	check_err $? "vmq/state $(cat $a/state) after the VMM closed the device"
	log_test "vhost_vdpa: a VMM's rings in its IOTLB; rx, bursts direct and through the engine, a refill, idle kicks, tx, header, filter, spoofing, NO_INTERRUPT, suspend/resume, migration, vring enable (one engine thread), pages held through an IOTLB batch"
}

# Each case of the misbehaving driver, with the error (enum vmq_err) the
# health dump gives its reason as: 2 ring index, 3 DMA, 4 transmit
# length, 6 ring unmapped, 7 descriptor chain.
BAD_DRIVER_CASES="bad-addr:3 bad-addr-rx:3 loop:7 bad-next:7 tx-short:4
	tx-long:4 rx-ro:7 tx-wo:7 rx-perm:3 tx-perm:3 indirect:7
	ring-unmapped:3 ring-gone:6 avail-past:2 host-pa:3"

vhost_bad_driver()
{
	local qp e0 out c n=0 err

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "vhost_vdpa bad driver"; return; }
	vhost_dev_add vdpa1 $MAC2 && V1=$VHOST && vhost_dev_add vdpa0 $MAC1
	check_err $? "no /dev/vhost-vdpa-N for vdpa0 and vdpa1"
	qp=$(vdpa_qp vdpa0)
	e0=$(hstat error)
	for c in $BAD_DRIVER_CASES; do
		n=$((n + 1))
		devlink health dump clear $DL reporter guest_queue
		vhost -m $MAC1 -M "$(cat /sys/class/net/vmq0/mtu)" \
			-s $VDEVS/vdpa0/vmq "$VHOST" "${c%:*}"
		check_err $? "misbehaving-driver case ${c%:*} failed"
		busywait 5000 eval "[ \"\$(hstat error)\" -ge $((e0 + n)) ]"
		err=$(devlink health dump show $DL reporter guest_queue 2>&1 |
		      tr -d ':' | grep -o -w 'error [0-9]*')
		[ "$err" = "error ${c#*:}" ]
		check_err $? "${c%:*}: the health dump has '$err', want error ${c#*:}"
	done
	[ "$(hstat error)" -eq $((e0 + n)) ]
	check_err $? "devlink health: $(($(hstat error) - e0)) errors reported for $n cases"
	busywait 3000 eval "[ \"\$(hstat state)\" = healthy ]"
	check_err $? "guest_queue $(hstat state) after the resets"
	out=$(devlink health dump show $DL reporter guest_queue 2>&1)
	echo "$out" | tr -d ':' | grep -q "queue $qp"
	check_err $? "health dump does not name queue pair $qp: $out"
	# Nothing else noticed: the other device, the host.
	vhost -m $MAC2 "$V1" rx tx
	check_err $? "the other vDPA device was disturbed"
	peer_ns_setup && ping -c 2 -W 2 192.0.2.2 >/dev/null
	check_err $? "the host's own traffic was disturbed"
	log_test "vhost_vdpa misbehaving driver: NEEDS_RESET, config irq, reset; others untouched"
}

# The MTU a driver negotiated stays its own while the NIC's changes: the
# test VMM changes vmq0's (and the partner's) MTU under it.
# One-page IOTLB messages outside a batch, as a VMM that does not batch
# sends them: each costs the device page references for what it maps,
# not for everything mapped (vmq.rst: page_refs).
vhost_map_cost()
{
	defer teardown
	setup || { check_err 1 "setup failed"; log_test "vhost_vdpa map cost"; return; }
	vhost_dev_add vdpa0 $MAC1
	check_err $? "no /dev/vhost-vdpa-N for vdpa0"
	[ -r $VDPA_DBG/vdpa0/page_refs ]
	check_err $? "no $VDPA_DBG/vdpa0/page_refs"
	vhost -m $MAC1 -M "$(cat /sys/class/net/vmq0/mtu)" -s $VDEVS/vdpa0/vmq \
		-r $VDPA_DBG/vdpa0/page_refs "$VHOST" map-cost
	check_err $? "test VMM failed"
	log_test "vhost_vdpa: an IOTLB message outside a batch costs page references for what it maps, not for all that is mapped"
}

vhost_mtu()
{
	local qp c0

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "vhost_vdpa MTU"; return; }
	vhost_dev_add vdpa0 $MAC1
	check_err $? "no /dev/vhost-vdpa-N for vdpa0"
	qp=$(vdpa_qp vdpa0)
	c0=$(qp_counts "$qp")
	vhost -N vmq0 -m $MAC1 -s $VDEVS/vdpa0/vmq "$VHOST" mtu-promise
	check_err $? "test VMM failed"
	[ "$(qp_moved "$qp" 4 "$c0")" -ge 1 ]
	check_err $? "qp${qp}_tx_drops moved by $(qp_moved "$qp" 4 "$c0") for the frame past the NIC's MTU"
	[ "$(qp_moved "$qp" 3 "$c0")" -ge 1 ]
	check_err $? "qp${qp}_rx_drops moved by $(qp_moved "$qp" 3 "$c0") for the frame past the promised MTU"
	log_test "vhost_vdpa: the MTU the driver negotiated holds while the NIC's changes"
}

# A transmit buffer the driver makes available and kicks once while the
# queue pair starts (DRIVER_OK, the transmit virtqueue's enable, a
# resume), after the NIC first looked at the rings: it goes out with no
# other kick.  start_delay_ms holds each start there for 200 ms; the
# test VMM kicks 30 ms into it.
vhost_kick_start()
{
	local knob=/sys/module/vmq_vdpa/parameters/start_delay_ms

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "vhost_vdpa: a kick during the start"; return; }
	vhost_dev_add vdpa0 $MAC1
	check_err $? "no /dev/vhost-vdpa-N for vdpa0"
	echo 200 > $knob
	check_err $? "no knob $knob"
	vhost -m $MAC1 -M "$(cat /sys/class/net/vmq0/mtu)" -s $VDEVS/vdpa0/vmq \
		"$VHOST" kick-start
	check_err $? "test VMM failed"
	echo 0 > $knob
	log_test "vhost_vdpa: a transmit kick while the queue pair starts (DRIVER_OK, enable, resume) is not lost"
}

# A device virtio_vdpa drove, then given to vhost_vdpa with virtio_vdpa
# unloaded: a VMM that never asks for the config interrupt makes a driver
# error, and nothing calls what virtio_vdpa left behind (its freed device,
# in a module no longer there).
rebind_config_cb()
{
	local mark

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "rebind: config callback"; return; }
	virtio_drivers && virtio_dev_add vdpa0 $MAC1
	check_err $? "no virtio netdev on vdpa0"
	mark=$(kmsg_mark)
	modprobe vhost_vdpa && vdpa_bind vdpa0 vhost_vdpa && rmmod virtio_vdpa
	check_err $? "cannot give vdpa0 to vhost_vdpa and unload virtio_vdpa"
	busywait 5000 vhost_node vdpa0 >/dev/null
	check_err $? "no /dev/vhost-vdpa-N for vdpa0"
	vhost -m $MAC1 -M "$(cat /sys/class/net/vmq0/mtu)" -s $VDEVS/vdpa0/vmq \
		"$(vhost_node vdpa0)" no-config-call
	check_err $? "test VMM failed"
	kernel_quiet_since "$mark"
	check_err $? "kernel complained"
	log_test "rebind: a driver error calls no config callback the last driver left"
}

# A VMM that gives the transmit virtqueue the receive one's call eventfd
# while the device runs, then its own again (vmq_vdpa_fuzz found it).
# While vmq_vdpa offered get_vq_irq, vhost-vdpa registered each
# virtqueue's interrupt as an irq bypass producer keyed by its call
# eventfd, the second with the same key was refused, and taking it back
# unregistered by key, which 6.12's irqbypass did by unlinking the
# refused producer, never linked: list_del corruption, a kernel BUG, and
# the VMM's thread dead holding irqbypass's lock (the lane hung until
# its timeout).  Last here, as it takes the lane down if it comes back.
vhost_call_shared()
{
	local mark

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "vhost_vdpa: one call eventfd for both virtqueues"; return; }
	vhost_dev_add vdpa0 $MAC1
	check_err $? "no /dev/vhost-vdpa-N for vdpa0"
	mark=$(kmsg_mark)
	vhost -m $MAC1 -M "$(cat /sys/class/net/vmq0/mtu)" -s $VDEVS/vdpa0/vmq \
		"$VHOST" call-shared
	check_err $? "test VMM failed"
	kernel_quiet_since "$mark"
	check_err $? "kernel complained"
	log_test "vhost_vdpa: the transmit virtqueue given the receive one's call eventfd, then its own"
}

require_root
require_cmd vdpa
vdpa_require
[ -x "$VHOST_VMM" ] || { echo "SKIP: $VHOST_VMM not built"; exit $ksft_skip; }
defer vmqsim_teardown
tests_run
exit $EXIT_STATUS
