#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: the vmq-dkms package, built with Debian's own tooling
# (dpkg-buildpackage, debhelper, dh_dkms) from a copy of what it ships,
# into build/deb/ (or $VMQ_BUILD/deb/).  Prints the .deb's path.

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=${VMQ_BUILD:-$top/build}/deb

rm -rf "$out"
mkdir -p "$out/src"
tar -C "$top" -cf - Kbuild compat.mk dkms.conf drivers include \
	scripts/compat-probe.sh tools debian | tar -C "$out/src" -xf -
if ! (cd "$out/src" && dpkg-buildpackage -b -us -uc) > "$out/build.log" 2>&1; then
	tail -n 20 "$out/build.log" >&2
	echo "deb: dpkg-buildpackage failed; see $out/build.log" >&2
	exit 1
fi
ls "$out"/vmq-dkms_*_all.deb
