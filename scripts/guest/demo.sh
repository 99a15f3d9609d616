#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The vmq demo, run inside the test VM by scripts/demo.sh.

set -e

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

say "Unload everything"
run modprobe -r vmqsim vmq_vfio vmq
printf '$ lsmod | grep -c vmq\n'
lsmod | grep -c vmq || true
