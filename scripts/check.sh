#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The project's test command (make check): install missing packages,
# lint, test the bench report, build for every supported kernel, build,
# install, load and remove the Debian package (scripts/dkms-check.sh), then run
# one VM lane per kernel, the lanes side by side: the whole selftest suite,
# the rig's own test, the demo and (6.12) the benchmarks' smoke run.  Prints a KTAP summary per kernel
# and a final "N passed, N failed, N skipped" line; exits non-zero on any
# failure, build warning or style finding.
#
#   scripts/check.sh [-V] [-k 6.1|6.12]... [-t COLLECTION:TEST]...
#
# -V runs the VM lanes only (no deps, no lint): what scripts/check-soak
# repeats.  Logs, KTAP files and every VM's kernel log are kept in
# build/check/.

set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
logdir=${VMQ_CHECK_LOGS:-$top/build/check}
series=()
tests=()
vm_only=0

usage() {
	echo "usage: scripts/check.sh [-V] [-k 6.1|6.12]..." \
	     "[-t COLLECTION:TEST]..." >&2
	exit 2
}

while getopts "Vk:t:" opt; do
	case $opt in
	V) vm_only=1 ;;
	k) series+=("$OPTARG") ;;
	t) tests+=(-t "$OPTARG") ;;
	*) usage ;;
	esac
done
[ ${#series[@]} -gt 0 ] || series=(6.1 6.12)

start=$(date +%s)
passed=0 failed=0 skipped=0
mkdir -p "$logdir"

# count_ktap FILE RC: add FILE's results to the totals.  Results the plan
# promised but the run never printed (the VM died) count as failed, and
# the test that was running then is named; a run that failed without
# reporting any failed test counts as one failure.
count_ktap() {
	local f=$1 rc=$2 p s n plan missing running

	p=$(grep -c -E '^ok [0-9]+ ' "$f")
	s=$(grep -c -E '^ok [0-9]+ .*# SKIP' "$f")
	n=$(grep -c -E '^not ok [0-9]+ ' "$f")
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$f" | head -n1)
	missing=$(( ${plan:-0} - p - n ))
	if [ "$missing" -gt 0 ]; then
		running=$(awk '/^# selftests: / { cur = $3 }
			       /^(not )?ok [0-9]+ selftests: / { cur = "" }
			       END { print cur }' "$f")
		echo "# $(basename "$f" .ktap): $missing results missing;" \
		     "the guest died during ${running:-boot}"
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

# step NAME CMD...: run a step that is itself one test; its status.
step() {
	local name=$1
	shift

	if "$@" > "$logdir/$name.log" 2>&1; then
		passed=$((passed + 1))
		echo "ok - $name"
	else
		failed=$((failed + 1))
		echo "not ok - $name (log: $logdir/$name.log)"
		sed 's/^/#   /' "$logdir/$name.log" | tail -n 40
		return 1
	fi
}

# build_for_host KVER: the build a host gets (make, make install) makes
# our modules (vmq_vdpa where the kernel has vDPA) and none of the rig's
# test modules.
build_for_host() {
	local order=${VMQ_BUILD:-$top/build}/$1/modules.order mods want

	"$top/scripts/build.sh" "$1" || return 1
	mods=$(sed 's|.*/||; s|\.k\?o$||' "$order" | sort | xargs)
	want="vmq vmq_vfio vmqsim"
	grep -qs '^CONFIG_VDPA=[ym]' "/lib/modules/$1/build/.config" &&
		want="vmq vmq_vdpa vmq_vfio vmqsim"
	[ "$mods" = "$want" ] || {
		echo "build: $order lists '$mods', not '$want'"
		return 1
	}
}

# keep_console KVER WHAT: keep the kernel log of the VM run just ended.
keep_console() {
	cp "${VMQ_BUILD:-$top/build}/vm/$1/console.log" "$logdir/console-$1-$2.log" \
		2>/dev/null
}

# lane KVER: every VM run for one kernel.  Runs in the background beside
# the other kernel's lane, so it only writes files: each run's output,
# exit status and kernel log.
lane() {
	local kver=$1 rc

	VMQ_NO_BUILD=1 "$top/scripts/vm" -k "$kver" -c 4 -t 1500 -- \
		selftests/run_kselftest.sh "${tests[@]}" \
		> "$logdir/selftests-$kver.ktap" 2>&1
	echo $? > "$logdir/selftests-$kver.rc"
	keep_console "$kver" selftests

	"$top/tests/rig/run.sh" "$kver" > "$logdir/rig-$kver.ktap" 2>&1
	echo $? > "$logdir/rig-$kver.rc"
	keep_console "$kver" rig

	# The README's first command, so a newcomer's demo never rots.
	VMQ_NO_BUILD=1 "$top/scripts/vm" -k "$kver" -c 2 -t 600 -- \
		bash scripts/guest/demo.sh > "$logdir/demo-$kver.log" 2>&1
	echo $? > "$logdir/demo-$kver.rc"
	keep_console "$kver" demo

	# The benchmarks' smoke run, so scripts/bench never rots (6.12).
	case $kver in
	6.12.*)
		VMQ_NO_BUILD=1 "$top/scripts/bench" --smoke -k "$kver" \
			> "$logdir/bench-smoke-$kver.log" 2>&1
		rc=$?
		echo $rc > "$logdir/bench-smoke-$kver.rc"
		keep_console "$kver" bench-smoke
		;;
	esac
}

if [ "$vm_only" = 0 ]; then
	step deps "$top/scripts/deps.sh"
	step lint "$top/scripts/lint.sh"
	step bench-report python3 "$top/tests/bench/report_test.py"
fi

kvers=()
for s in "${series[@]}"; do
	kver=$("$top/scripts/kernels.sh" "$s" | tail -n1)
	if [ -z "$kver" ]; then
		echo "not ok - kernel $s: no headers installed"
		failed=$((failed + 1))
		continue
	fi
	step "build-$kver" build_for_host "$kver" && kvers+=("$kver")
done
# The Debian package, through DKMS, as a host admin installs it.
[ "$vm_only" = 1 ] || [ ${#kvers[@]} = 0 ] ||
	step dkms "$top/scripts/dkms-check.sh" "${kvers[@]}"
# The guest-side helpers are built once, before the lanes share them.
step selftest-helpers make -C "$top/selftests/drivers/net/vmq"

pids=()
for kver in "${kvers[@]}"; do
	rm -f "$logdir"/*-"$kver".{ktap,rc,log}
	echo "# $kver: VM lane started (logs in $logdir)"
	lane "$kver" &
	pids+=($!)
done
wait "${pids[@]}"

for kver in "${kvers[@]}"; do
	echo "# ===== $kver ====="
	for run in selftests rig; do
		cat "$logdir/$run-$kver.ktap"
		count_ktap "$logdir/$run-$kver.ktap" \
			"$(cat "$logdir/$run-$kver.rc")"
	done
	for run in demo bench-smoke; do
		[ -f "$logdir/$run-$kver.rc" ] || continue
		if [ "$(cat "$logdir/$run-$kver.rc")" -eq 0 ]; then
			passed=$((passed + 1))
			echo "ok - $run-$kver"
		else
			failed=$((failed + 1))
			echo "not ok - $run-$kver (log: $logdir/$run-$kver.log)"
			sed 's/^/#   /' "$logdir/$run-$kver.log" | tail -n 40
		fi
	done
done

echo "# make check took $(( $(date +%s) - start ))s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
