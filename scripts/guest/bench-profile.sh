#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run one benchmark path for scripts/bench-profile: one window of it,
# whose marks the vmq_insns plugin profiles, then the kernel's function
# addresses, for the host to name the profile's addresses with.
#
#   bench-profile.sh [vfio|vdpa|vdpa-fifo|vdpa-virtio|macvlan8|
#                    macvlan64|macvlan8-off|macvlan64-off] [FRAME_SIZE]

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_LIB=1 source "$here/bench.sh" full
# One window, as many instructions as 2 s at shift 3 (bench.sh scales WARM).
RUNS=1
WIN=$(awk -v s="$TSCALE" 'BEGIN { print 2 * s }')

what=${1:-vfio}
size=${2:-64}

info meta cpu_roles "generator $GEN_CPU, host ${HOST_CPUS:-none}, nic ${NIC_CPU:-none}"
case $what in
# As guest_rx runs them: the VFIO queue and the vDPA device's at the
# default moderation.
vfio)		NIC_COAL='' guest_rx_vfio "$size" ;;
vdpa)		NIC_COAL='' guest_rx_vdpa_vhost "$size" ;;
vdpa-fifo)	NIC_COAL='' NIC_GUEST_RX_FIFO=Y guest_rx_vdpa_vhost "$size" ;;
vdpa-virtio)	NIC_COAL='' guest_rx_vdpa_virtio_net "$size" ;;
macvlan8*)	MV_COUNTS=8 bench_macvlan_offload ;;
macvlan64*)	MV_COUNTS=64 bench_macvlan_offload ;;
esac
pktgen_stop
echo "BENCHKSYMS"
# Text symbols, kernel and modules: "ADDRESS NAME [MODULE]".
awk '$2 == "t" || $2 == "T" { print $1, $3, $4 }' /proc/kallsyms
echo "BENCHKSYMS end"
vmq_unload_all
