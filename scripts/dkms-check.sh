#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The packaging as a host admin meets it, a make check step: make deb;
# "apt-get install ./vmq-dkms_*.deb", whose DKMS builds and installs the
# three host modules (never the rig's) for each kernel KVER given; every
# module parameter has a description; the modules DKMS built load in the
# test VM of each kernel and make vmq0; removing the package takes them
# away again.  Needs root (apt, dkms); leaves the machine as it was.
#
#   scripts/dkms-check.sh KVER...

set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
rc=0

fail() {
	echo "dkms-check: $*" >&2
	rc=1
}

cleanup() {
	DEBIAN_FRONTEND=noninteractive apt-get remove -y vmq-dkms \
		> "$work/remove.log" 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

deb=$(VMQ_BUILD=$work "$top/scripts/deb.sh") || exit 1
echo "dkms-check: $(basename "$deb")"
DEBIAN_FRONTEND=noninteractive apt-get install -y "$deb" \
	> "$work/install.log" 2>&1 ||
	{ tail -n 30 "$work/install.log" >&2; fail "apt-get install failed"; exit 1; }
[ -x /usr/sbin/vmq-queues ] || fail "vmq-queues not installed"

pids=()
for kver in "$@"; do
	dir=/lib/modules/$kver/updates/dkms
	mods=$(cd "$dir" 2>/dev/null && ls | sed 's/\.ko.*//' | sort | xargs)
	expect="vmq vmq_vfio vmqsim"
	grep -qs '^CONFIG_VDPA=[ym]' "/lib/modules/$kver/build/.config" &&
		expect="vmq vmq_vdpa vmq_vfio vmqsim"
	[ "$mods" = "$expect" ] ||
		{ fail "$kver: DKMS installed '$mods', not '$expect'"; continue; }
	for m in $mods; do
		modinfo -k "$kver" -F parm "$m" | grep -v ':.' &&
			fail "$kver: $m has a parameter without a description"
	done
	# The VM loads what DKMS built: a build tree of just those modules.
	mkdir -p "$work/$kver"
	for m in $mods; do
		xz -dc "$dir/$m.ko.xz" > "$work/$kver/$m.ko" 2>/dev/null ||
			cp "$dir/$m.ko" "$work/$kver/$m.ko"
		echo "$work/$kver/$m.ko" >> "$work/$kver/modules.order"
	done
	want=$(modinfo -k "$kver" -F srcversion vmq)
	[ -n "$want" ] || fail "$kver: vmq.ko has no srcversion"
	VMQ_BUILD=$work VMQ_NO_BUILD=1 VMQ_VM_DEBUG=0 "$top/scripts/vm" \
		-k "$kver" -t 300 -- "modprobe vmqsim &&
			ip link show vmq0 >/dev/null &&
			[ \"\$(cat /sys/module/vmq/srcversion)\" = $want ] &&
			devlink dev show | grep -qx vmqsim/vmqsim0" \
		> "$work/vm-$kver.log" 2>&1 &
	pids+=("$!:$kver")
done
for p in "${pids[@]}"; do
	if wait "${p%%:*}"; then
		echo "dkms-check: ${p#*:}: the DKMS build loads in the VM"
	else
		tail -n 20 "$work/vm-${p#*:}.log" >&2
		fail "${p#*:}: the DKMS modules did not load in the VM"
	fi
done

DEBIAN_FRONTEND=noninteractive apt-get remove -y vmq-dkms \
	> "$work/remove.log" 2>&1 || fail "apt-get remove failed"
for kver in "$@"; do
	ls /lib/modules/"$kver"/updates/dkms/vmq*.ko* >/dev/null 2>&1 &&
		fail "$kver: modules left after removal"
done
[ $rc = 0 ] && echo "dkms-check: installed, built, loaded and removed"
exit $rc
