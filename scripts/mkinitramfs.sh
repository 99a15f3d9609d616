#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the base initramfs the test VM boots for one kernel:
#
#   scripts/mkinitramfs.sh KVER OUT.cpio
#   scripts/mkinitramfs.sh --kmods     (list the in-tree modules it takes)
#
# It holds busybox (applets in /bb, last in PATH), the host's real bash,
# iproute2, ethtool, kmod and friends with the shared libraries they
# need, and the in-tree modules the tests use, decompressed because
# busybox cannot load .ko.xz.  The project's own modules, the selftests
# and the command to run go in a second archive (scripts/vm) appended at
# boot, so this one is rebuilt only when its inputs change.
#
# The kernel's modules come from /lib/modules/KVER, or from
# $VMQ_VM_MODULES/lib/modules/KVER when that is set (a kernel built
# elsewhere, scripts/debug-kernel.sh).

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)

# Real tools the tests drive; busybox covers the rest.
TOOLS=(
	bash ip bridge tc devlink vdpa ethtool ping kmod modprobe insmod rmmod lsmod
	depmod modinfo grep sed awk timeout dmesg taskset stty setsid
	sort uniq wc tr cut head tail seq sleep cat date od
	nproc ps pgrep pkill kill find stat mount umount
)

# More tools on request (scripts/vm passes VMQ_VM_EXTRA, e.g. "perf").
read -r -a EXTRA <<< "${VMQ_VM_EXTRA:-}"
TOOLS+=("${EXTRA[@]}")

# In-tree modules the selftests load (with their dependencies).
KMODS=(
	macvlan macvtap veth 8021q bridge pktgen sch_mqprio
	vfio vfio_iommu_type1 mdev
	vdpa virtio_vdpa vhost_vdpa virtio_net
)
if [ "${1:-}" = --kmods ]; then
	printf '%s\n' "${KMODS[@]}"
	exit 0
fi
kver=$1
out=$2

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{usr/bin,usr/sbin,usr/lib,usr/lib64,proc,sys,dev,tmp,run}
mkdir -p "$stage"/{root,etc,var,bb,vmq,mnt}
ln -s usr/bin "$stage/bin"
ln -s usr/sbin "$stage/sbin"
ln -s usr/lib "$stage/lib"
ln -s usr/lib64 "$stage/lib64"
ln -s ../run "$stage/var/run"

copy_file() {
	local src=$1 dst

	dst=$stage$(realpath -s "$src" | sed 's|^/bin/|/usr/bin/|;
		s|^/sbin/|/usr/sbin/|; s|^/lib/|/usr/lib/|;
		s|^/lib64/|/usr/lib64/|')
	[ -e "$dst" ] && return 0
	mkdir -p "$(dirname "$dst")"
	cp -L "$src" "$dst"
}

copy_binary() {
	local bin=$1 lib

	copy_file "$bin"
	ldd "$bin" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		copy_file "$lib"
	done
}

cp /bin/busybox "$stage/bb/busybox"
for tool in "${TOOLS[@]}"; do
	path=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin type -P "$tool") || {
		echo "mkinitramfs: $tool not found (run scripts/deps.sh)" >&2
		exit 1
	}
	copy_binary "$path"
done
# kmod's multi-call names must point at the kmod binary.
for tool in modprobe insmod rmmod lsmod depmod modinfo; do
	ln -sf /usr/bin/kmod "$stage/usr/sbin/$tool"
done

# Kernel modules: resolve dependencies with the host's modprobe against
# the guest kernel's modules.dep, then decompress.
modroot=${VMQ_VM_MODULES:-}
mpargs=(-S "$kver")
[ -z "$modroot" ] || mpargs+=(-d "$modroot")
moddir=/lib/modules/$kver
mkdir -p "$stage$moddir/kernel"
cp "$modroot$moddir"/modules.{order,builtin,builtin.modinfo} "$stage$moddir/" \
	2>/dev/null || true
# A module the kernel does not have (vDPA on 6.1) is left out.
for mod in "${KMODS[@]}"; do
	{ modprobe "${mpargs[@]}" --show-depends "$mod" 2>/dev/null || :; } |
		awk '$1 == "insmod" { print $2 }'
done | sort -u | while read -r ko; do
	rel=${ko#"$modroot$moddir"/}
	dst=$stage$moddir/${rel%.xz}
	mkdir -p "$(dirname "$dst")"
	case "$ko" in
	*.xz)	xz -dc "$ko" > "$dst" ;;
	*)	cp "$ko" "$dst" ;;
	esac
done

cp "$top/scripts/vm-init" "$stage/init"
chmod 755 "$stage/init"
echo "root:x:0:0:root:/root:/bin/bash" > "$stage/etc/passwd"
echo "root:x:0:" > "$stage/etc/group"
printf 'hosts: files\n' > "$stage/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n' > "$stage/etc/hosts"

(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) > "$out.tmp"
mv "$out.tmp" "$out"
