#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot the test VM on each supported kernel and run the guest
# demo (scripts/guest/demo.sh), which shows what vmq does.
#
#   scripts/demo.sh [6.1|6.12]...

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- 6.1 6.12
"$top/scripts/deps.sh" -q
for s in "$@"; do
	kver=$("$top/scripts/kernels.sh" "$s" | tail -n1)
	echo "=================== vmq demo on Linux $kver ==================="
	"$top/scripts/vm" -k "$s" -c 2 -t 600 -- bash scripts/guest/demo.sh
done
