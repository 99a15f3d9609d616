#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run kselftest programs and report in KTAP.
#
#   runner.sh [-n FIRST_NUMBER] [-p] TEST...
#
# Run from the tests' directory.  Each test gets the timeout from the
# directory's "settings" file (timeout=SECONDS, default 45), times
# $VMQ_TIMEOUT_FACTOR (default 1; the debug kernel is slower).  Exit code 4
# means skip.  On top of the kernel's runner, each test is watched for
# kernel trouble: a WARNING, BUG, Oops, slab, KFENCE, KASAN, lockdep or
# RCU report in the kernel log, or a new taint flag, while it runs fails it.
# -p leaves out the KTAP header and plan, for runs split over several
# invocations.

set -u

KSFT_SKIP=4
first=1
plan=1
while getopts "n:p" opt; do
	case $opt in
	n) first=$OPTARG ;;
	p) plan=0 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))

timeout_s=45
if [ -r settings ]; then
	t=$(sed -n 's/^timeout=\([0-9]*\)$/\1/p' settings)
	[ -z "$t" ] || timeout_s=$t
fi
timeout_s=$((timeout_s * ${VMQ_TIMEOUT_FACTOR:-1}))

# Taint bits a test may set without fault: out-of-tree (O, 12) and
# unsigned (E, 13) modules, both expected when loading ours.
TAINT_IGNORED=$(((1 << 12) | (1 << 13)))
KMSG_BAD='WARNING:|BUG[: ]|Oops|general protection|KFENCE:|Kernel panic'
KMSG_BAD+='|UBSAN:|list_(add|del) corruption|refcount_t:|INFO: task .* blocked'
# Debug kernels: KASAN, lockdep and PROVE_RCU, DEBUG_ATOMIC_SLEEP, debugobjects.
KMSG_BAD+='|KASAN:|possible circular locking|inconsistent lock state'
KMSG_BAD+='|suspicious RCU usage|sleeping function called from invalid context'
KMSG_BAD+='|possible recursive locking|trying to register non-static key|ODEBUG:'

kmsg() {
	[ -w /dev/kmsg ] && echo "$*" > /dev/kmsg
}

# Kernel log lines since the marker written for this test.
kmsg_since() {
	dmesg 2>/dev/null | awk -v m="$1" 'found { print } index($0, m) { found = 1 }'
}

pass=0 fail=0 skip=0
[ "$plan" = 0 ] || { echo "KTAP version 1"; echo "1..$#"; }

num=$first
for test in "$@"; do
	marker="vmq-selftest: begin $num $test $$-$RANDOM"
	taint0=$(cat /proc/sys/kernel/tainted 2>/dev/null || echo 0)
	kmsg "$marker"

	echo "# timeout set to $timeout_s"
	echo "# selftests: $test"
	timeout -k 5 "$timeout_s" "./$test" 2>&1 | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}

	taint1=$(cat /proc/sys/kernel/tainted 2>/dev/null || echo 0)
	new_taint=$(( (taint1 & ~taint0) & ~TAINT_IGNORED ))
	bad=$(kmsg_since "$marker" | grep -E "$KMSG_BAD")

	reason=
	if [ -n "$bad" ]; then
		echo "# kernel reported a problem during $test:"
		kmsg_since "$marker" | sed 's/^/# kmsg: /' | tail -n 60
		reason="kernel log: $(echo "$bad" | head -n1 | cut -c1-100)"
	elif [ "$new_taint" -ne 0 ]; then
		reason="kernel tainted (new flags $new_taint)"
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		reason="timeout after ${timeout_s}s"
	fi

	if [ -n "$reason" ]; then
		echo "not ok $num selftests: $test # $reason"
		fail=$((fail + 1))
	elif [ "$rc" -eq 0 ]; then
		echo "ok $num selftests: $test"
		pass=$((pass + 1))
	elif [ "$rc" -eq "$KSFT_SKIP" ]; then
		echo "ok $num selftests: $test # SKIP"
		skip=$((skip + 1))
	else
		echo "not ok $num selftests: $test # exit=$rc"
		fail=$((fail + 1))
	fi
	num=$((num + 1))
done

echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
[ "$fail" -eq 0 ]
