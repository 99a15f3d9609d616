#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The vmq demo, run inside the test VM by scripts/demo.sh.

set -e

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../selftests/drivers/net/vmq/lib.sh
source "$here/../../selftests/drivers/net/vmq/lib.sh"

say() {
	printf '\n\033[1m### %s\033[0m\n' "$*"
}

run() {
	printf '$ %s\n' "$*"
	"$@"
}

say "Kernel $(uname -r), $(nproc) CPUs"

say "Load the simulated VMQ NIC; the core and the VFIO glue come along"
mark="vmq-demo-$RANDOM"
echo "$mark" > /dev/kmsg
run modprobe vmqsim
run lsmod
printf '$ dmesg | grep vmq\n'
dmesg | awk -v m="$mark" 'f && /vmq/ { print } index($0, m) { f = 1 }'

# qcounts DEV: the per-queue receive counters that are not zero.
qcounts() {
	ethtool -S "$1" | awk '/qp[0-9]+_rx_packets:/ && $2 > 0 { printf "  %s %s\n", $1, $2 }'
}

# send DST COUNT [VLAN]: frames from the link partner, with pktgen.
send() {
	pktgen_send vmq0w "$1" "$2" "${3:--}"
	sleep 0.3
}

say "The NIC vmq0 and the other end of its cable, vmq0w"
for d in vmq0 vmq0w; do
	echo 1 > /proc/sys/net/ipv6/conf/$d/disable_ipv6
done
echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6
run ip link set vmq0 up
run ip link set vmq0w up
run ip -br link show
run ethtool -L vmq0 combined 4
printf '$ grep vmq0 /proc/interrupts   # one vector per queue pair\n'
grep -E "CPU|vmq0-" /proc/interrupts | head -6

say "MAC/VLAN steering with ethtool ntuple rules"
run ethtool -N vmq0 flow-type ether dst 52:54:00:00:00:02 action 2
run ethtool -N vmq0 flow-type ether dst 52:54:00:00:00:03 vlan 100 m 0xf000 action 3
printf '$ pktgen: 100 frames to ..:02, 50 to ..:03 on VLAN 100, 25 to ..:09\n'
send 52:54:00:00:00:02 100
send 52:54:00:00:00:03 50 100
send 52:54:00:00:00:09 25
echo '$ ethtool -S vmq0   # per-queue receive counters'
qcounts vmq0
run ethtool -N vmq0 delete 0
run ethtool -N vmq0 delete 1

say "Three VMs' macvlans, each on a hardware queue pair of its own"
run ethtool -K vmq0 l2-fwd-offload on
for i in 1 2 3; do
	run ip link add link vmq0 name vm$i address 52:54:00:00:01:0$i \
		type macvlan mode bridge
	ip link set vm$i up
done
run cat /sys/kernel/debug/vmq/vmqsim0/macvlans
for i in 1 2 3; do
	send 52:54:00:00:01:0$i $((i * 100))
done
echo '$ ethtool -S vmq0   # each VM its own queue'
qcounts vmq0
printf '$ grep vmq0-qp /proc/interrupts   # and its own vector\n'
grep -E "CPU|vmq0-qp[4-6]" /proc/interrupts
printf '$ cat /sys/kernel/debug/vmq/vmqsim0/queues   # the core view\n'
awk 'NR <= 8 { printf "  %-3s %-12s %-8s %-4s %-4s %-10s %s\n", $1, $2, $3, $5, $6, $8, $NF }' \
	/sys/kernel/debug/vmq/vmqsim0/queues
for i in 1 2 3; do
	ip link del vm$i
done

say "A queue pair in a VM's memory: a VFIO mediated device"
vmm=selftests/drivers/net/vmq/vmq_vmm
uuid=6f3c0a5e-0000-4000-8000-00000000d3e0
types=/sys/class/mdev_bus/vmqsim0/mdev_supported_types
run modprobe vfio_iommu_type1
run ls $types
printf '$ cat %s/*-qp/{name,available_instances}\n' "$types"
cat $types/*-qp/name $types/*-qp/available_instances
run sh -c "echo $uuid > $(ls -d $types/*-qp)/create"
run sh -c "echo 52:54:00:12:34:56 > /sys/bus/mdev/devices/$uuid/vmq/mac"
run cat /sys/bus/mdev/devices/$uuid/vmq/qp
say "A test VMM maps guest RAM, posts buffers; the partner sends a frame"
run $vmm $uuid info demo
printf '$ grep -E "^qp|vfio" /sys/kernel/debug/vmq/vmqsim0/queues\n'
grep -E "^qp|vfio" /sys/kernel/debug/vmq/vmqsim0/queues
run sh -c "echo 1 > /sys/bus/mdev/devices/$uuid/remove"

say "Unload everything"
run modprobe -r vmqsim vmq_vfio vmq
printf '$ lsmod | grep -c vmq\n'
lsmod | grep -c vmq || true
