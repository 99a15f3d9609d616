#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian package the vmq project needs to build, lint, test
# and benchmark.  Idempotent: when everything is present it does nothing
# and never touches the network.

set -euo pipefail

PKGS=(
	# build
	build-essential bc kmod xz-utils dwarves
	linux-headers-amd64 linux-headers-6.12-amd64
	# the kernels the test VM boots
	linux-image-amd64 linux-image-6.12-amd64
	# VM rig
	qemu-system-x86 busybox-static cpio
	# tools driven inside the guest
	iproute2 ethtool iputils-ping procps
	# lint: checkpatch.pl comes from the kernel source package
	sparse linux-source-6.12 perl
	# lint: Documentation/networking/vmq.rst must parse cleanly
	python3-docutils
	# make deb (the vmq-dkms package) and its check
	dkms dh-dkms debhelper dpkg-dev
	# benchmark profiles (scripts/bench-profile)
	linux-perf
	# benchmarks: the report (scripts/bench-report) and its plots
	python3 gnuplot-nox
	# the debug kernel (make check-debug) is built from linux-source-6.12
	flex bison libelf-dev libssl-dev
)

missing=()
for pkg in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
		grep -q "install ok installed" || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
	[ "${1:-}" = "-q" ] || echo "deps: all ${#PKGS[@]} packages present"
	exit 0
fi

echo "deps: installing ${missing[*]}"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
