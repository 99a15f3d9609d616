#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Profile one benchmark path inside the VM (scripts/bench-profile): runs
# the guest_rx measurement of the vmq VFIO queue while perf samples every
# CPU, then prints where the time went.
#
#   bench-profile.sh [vfio|macvlan8] [FRAME_SIZE]

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_LIB=1 source "$here/bench.sh" full
RUNS=1 WIN=4 WARM=0.3

what=${1:-vfio}
size=${2:-64}
data=/tmp/perf.data

perf record -q -a -g -F 499 -o $data -- sleep 4.5 >/dev/null 2>&1 &
pid=$!
sleep 0.2
case $what in
vfio)		guest_rx_vfio "$size" ;;
macvlan8)	MV_COUNTS=8 bench_macvlan_offload ;;
esac
wait $pid
echo "BENCHPROFILE $what $size"
perf report -i $data --stdio --no-children --sort sym --percent-limit 0.4 \
	-g none 2>/dev/null | grep -v -e "^#" -e "^$" | head -50
echo "BENCHPROFILE by command"
perf report -i $data --stdio --no-children --sort comm --percent-limit 1 \
	-g none 2>/dev/null | grep -v -e "^#" -e "^$" | head -12
