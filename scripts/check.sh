#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The project's test command (make check): install missing packages,
# lint, build for every supported kernel, run the whole selftest suite in
# one VM per kernel plus the rig's own test, print a KTAP summary per
# kernel and a final "N passed, N failed, N skipped" line.  Exits non-zero
# on any failure, build warning or style finding.
#
#   scripts/check.sh [-k 6.1|6.12]... [-t COLLECTION:TEST]...

set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
logdir=$top/build/check
series=()
tests=()
while getopts "k:t:" opt; do
	case $opt in
	k) series+=("$OPTARG") ;;
	t) tests+=(-t "$OPTARG") ;;
	*) sed -n '10p' "$0" >&2; exit 2 ;;
	esac
done
[ ${#series[@]} -gt 0 ] || series=(6.1 6.12)

start=$(date +%s)
passed=0 failed=0 skipped=0
mkdir -p "$logdir"

# count_ktap FILE RC: add FILE's results to the totals.  Results the plan
# promised but the run never printed (the VM died) count as failed, and so
# does a run that failed without reporting any failed test.
count_ktap() {
	local f=$1 rc=$2 p s n plan missing

	p=$(grep -c -E '^ok [0-9]+ ' "$f")
	s=$(grep -c -E '^ok [0-9]+ .*# SKIP' "$f")
	n=$(grep -c -E '^not ok [0-9]+ ' "$f")
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$f" | head -n1)
	missing=$(( ${plan:-0} - p - n ))
	if [ "$missing" -gt 0 ]; then
		echo "# $(basename "$f" .ktap): $missing results missing"
		n=$((n + missing))
	fi
	if [ "$rc" -ne 0 ] && [ "$n" -eq 0 ]; then
		echo "# $(basename "$f" .ktap): run failed (exit $rc)"
		n=1
	fi
	passed=$((passed + p - s))
	skipped=$((skipped + s))
	failed=$((failed + n))
	echo "# $(basename "$f" .ktap): pass:$((p - s)) fail:$n skip:$s"
}

# step NAME CMD...: run a step that is itself one test.
step() {
	local name=$1
	shift

	if "$@" > "$logdir/$name.log" 2>&1; then
		passed=$((passed + 1))
		echo "ok - $name"
	else
		failed=$((failed + 1))
		echo "not ok - $name (log: build/check/$name.log)"
		sed 's/^/#   /' "$logdir/$name.log" | tail -n 40
	fi
}

step deps "$top/scripts/deps.sh"
step lint "$top/scripts/lint.sh"

for s in "${series[@]}"; do
	kver=$("$top/scripts/kernels.sh" "$s" | tail -n1)
	if [ -z "$kver" ]; then
		echo "not ok - kernel $s: no headers installed"
		failed=$((failed + 1))
		continue
	fi
	echo "# ===== $kver ====="
	step "build-$kver" "$top/scripts/build.sh" "$kver"

	ktap=$logdir/selftests-$kver.ktap
	VMQ_NO_BUILD=0 "$top/scripts/vm" -k "$kver" -c 4 -t 1500 -- \
		selftests/run_kselftest.sh "${tests[@]}" 2>&1 | tee "$ktap"
	count_ktap "$ktap" "${PIPESTATUS[0]}"
	cp "$top/build/vm/$kver/console.log" "$logdir/console-$kver.log"

	rig=$logdir/rig-$kver.ktap
	"$top/tests/rig/run.sh" "$kver" > "$rig" 2>&1
	rc=$?
	cat "$rig"
	count_ktap "$rig" "$rc"

	# The benchmarks' smoke run, so scripts/bench never rots (6.12 only).
	case $kver in
	6.12.*) step "bench-smoke-$kver" "$top/scripts/bench" --smoke \
			-k "$kver" ;;
	esac
done

echo "# make check took $(( $(date +%s) - start ))s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
