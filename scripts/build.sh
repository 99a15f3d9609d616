#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the vmq modules for one kernel, out of tree, with W=1.
#
#   scripts/build.sh KVER [extra kbuild args, e.g. C=2]
#
# Each kernel gets its own build directory, build/KVER, holding a tree of
# symlinks to the sources, so that objects for 6.1 and 6.12 never mix.
# Any compiler or modpost warning fails the build.

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kver=$1
shift
kdir=${KDIR:-/lib/modules/$kver/build}
out=${VMQ_BUILD:-$top/build}/$kver

[ -e "$kdir/Makefile" ] || {
	echo "build: no kernel headers at $kdir (run scripts/deps.sh)" >&2
	exit 1
}

# Refresh the symlink tree: new files appear, removed ones go.
mkdir -p "$out"
find "$out" -type l -delete
for d in Kbuild compat.mk drivers include scripts tests; do
	cp -rs "$top/$d" "$out/" 2>/dev/null || cp -rsf "$top/$d" "$out/"
done

log=$out/build.log
set +e
make -C "$kdir" M="$out" W=1 "$@" modules 2>&1 | tee "$log" |
	grep -v -E '^make(\[[0-9]+\])?: (Entering|Leaving) directory'
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || exit "$rc"

if grep -E -i '(warning|error):' "$log" >/dev/null; then
	echo "build: $kver: warnings are errors here; see $log" >&2
	exit 1
fi
