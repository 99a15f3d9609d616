#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug kernel lane (make check-debug): get the 6.12 debug kernel
# (KASAN, lockdep with PROVE_RCU, DEBUG_ATOMIC_SLEEP, kmemleak,
# debugobjects; scripts/debug-kernel.sh builds it once and caches it),
# build our modules against it, run the whole selftest suite on it in the
# test VM, then scan for leaks through our modules with kmemleak.  Prints
# the KTAP results and a final "N passed, N failed, N skipped" line; exits
# non-zero on any failure.
#
#   scripts/check-debug.sh [-t COLLECTION:TEST]...
#
# Logs go to build/check-debug/ (VMQ_CHECK_LOGS moves them): the KTAP
# output, the build logs and the VM's kernel log, console.log.

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
logdir=${VMQ_CHECK_LOGS:-$top/build/check-debug}
tests=()

usage() {
	echo "usage: scripts/check-debug.sh [-t COLLECTION:TEST]..." >&2
	exit 2
}

while getopts "t:" opt; do
	case $opt in
	t) tests+=(-t "$OPTARG") ;;
	*) usage ;;
	esac
done

start=$(date +%s)
mkdir -p "$logdir"
rm -f "$logdir"/*.ktap "$logdir"/*.log

"$top/scripts/deps.sh" -q

cached=" (cached)"
[ -e "$("$top/scripts/debug-kernel.sh" -n)/done" ] || cached=
kdir=$("$top/scripts/debug-kernel.sh")
kver=$(cat "$kdir/release")
echo "# debug kernel $kver: built in $(cat "$kdir/build-time")s$cached;" \
     "$kdir"

if ! KDIR=$kdir/src "$top/scripts/build.sh" "$kver" \
	> "$logdir/build.log" 2>&1; then
	sed 's/^/# /' "$logdir/build.log" | tail -n 40
	echo "not ok - build for $kver (log: $logdir/build.log)"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
make -s -C "$top/selftests/drivers/net/vmq" > "$logdir/helpers.log" 2>&1

# KASAN and lockdep make the guest several times slower: four times the
# tests' own timeouts, two hours for the whole run, and memory for the
# shadow and the allocation records.
cmd="export VMQ_TIMEOUT_FACTOR=4
bash scripts/guest/kmemleak.sh start
selftests/run_kselftest.sh ${tests[*]@Q}
rc=\$?
bash scripts/guest/kmemleak.sh check || rc=1
exit \$rc"
ktap=$logdir/selftests.ktap
export VMQ_VM_KVER=$kver VMQ_VM_KERNEL=$kdir/src/arch/x86/boot/bzImage
export VMQ_VM_MODULES=$kdir/modroot KDIR=$kdir/src VMQ_NO_BUILD=1
set +e
"$top/scripts/vm" -c 4 -m 2048 -t 7200 -- "$cmd" > "$ktap" 2>&1
rc=$?
set -e
cp "${VMQ_BUILD:-$top/build}/vm/$kver/console.log" "$logdir/console.log" \
	2>/dev/null || true
cat "$ktap"

# The plan counts the selftests; kmemleak adds one line of its own.
p=$(grep -c -E '^ok ' "$ktap" || true)
s=$(grep -c -E '^ok .*# SKIP' "$ktap" || true)
n=$(grep -c -E '^not ok ' "$ktap" || true)
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$ktap" | head -n1)
ran=$(grep -c -E '^(not )?ok [0-9]+ selftests: ' "$ktap" || true)
if [ "${plan:-0}" -gt "$ran" ]; then
	echo "# $((plan - ran)) results missing: the guest died or timed out"
	n=$((n + plan - ran))
fi
grep -q -E '^(not )?ok - kmemleak' "$ktap" || {
	echo "not ok - kmemleak # no result"
	n=$((n + 1))
}
if [ "$rc" -ne 0 ] && [ "$n" -eq 0 ]; then
	echo "not ok - VM run failed (exit $rc; kernel log: $logdir/console.log)"
	n=1
fi

# The lane's own test: would it have caught a defect at all?
if "$top/tests/rig/run-debug.sh" > "$logdir/rig.ktap" 2>&1; then
	p=$((p + 1))
else
	n=$((n + 1))
	cp "${VMQ_BUILD:-$top/build}/vm/$kver/console.log" \
		"$logdir/console-rig.log" 2>/dev/null || true
fi
cat "$logdir/rig.ktap"

echo "# check-debug took $(( $(date +%s) - start ))s; kernel log: $logdir/console.log"
echo "$((p - s)) passed, $n failed, $s skipped"
[ "$n" -eq 0 ]
