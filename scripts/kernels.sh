#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the kernel releases vmq supports that have headers installed,
# one per line: Debian's 6.1 (linux-headers-amd64) and 6.12
# (linux-headers-6.12-amd64).  With an argument "6.1" or "6.12", print
# only that series.

set -euo pipefail

want=${1:-}
for build in /lib/modules/*/build; do
	[ -e "$build/Makefile" ] || continue
	kver=$(basename "$(dirname "$build")")
	case "$kver" in
	6.1.*-amd64)	series=6.1 ;;
	6.12.*-amd64)	series=6.12 ;;
	*)		continue ;;
	esac
	[ -z "$want" ] || [ "$want" = "$series" ] || [ "$want" = "$kver" ] ||
		continue
	echo "$kver"
done | sort -V
