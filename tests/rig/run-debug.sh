#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test of the debug kernel lane itself (scripts/check-debug.sh): on the
# debug kernel, a use-after-free (KASAN) and a sleep in atomic context
# must each fail the test that did it, a leak from a module since unloaded
# must fail the kmemleak check, and a test doing nothing wrong must pass.
# Runs on the host with the debug kernel named as scripts/vm expects
# (VMQ_VM_KVER, VMQ_VM_KERNEL, VMQ_VM_MODULES); prints one KTAP line.
#
#   tests/rig/run-debug.sh [KTAP_NUMBER]

num=${1:-1}
name="rig: debug kernel reports use-after-free, sleep in atomic, leaks"
source "$(dirname "$0")/lib.sh"

rig_build "$VMQ_VM_KVER"
VMQ_NO_BUILD=1 "$top/scripts/vm" -c 2 -m 2048 -t 900 -- '
	bash scripts/guest/kmemleak.sh start
	(cd tests/rig && ../../selftests/kselftest/runner.sh benign.sh \
		inject_use_after_free.sh inject_sleep_in_atomic.sh inject_leak.sh)
	bash scripts/guest/kmemleak.sh check' > "$out" 2>&1
vmrc=$?

why=
grep -q '^ok 1 selftests: benign.sh$' "$out" || why="control test not ok"
grep -q '^not ok 2 selftests: inject_use_after_free.sh # kernel log: .*KASAN' \
	"$out" || why="${why:+$why; }KASAN report not attributed"
grep -q '^not ok 3 selftests: inject_sleep_in_atomic.sh # kernel log: .*sleeping function' \
	"$out" || why="${why:+$why; }sleep in atomic not attributed"
grep -q '^# kmemleak: leak in vmq_rig_debug' "$out" ||
	why="${why:+$why; }leak not blamed on vmq_rig_debug"
grep -q '^not ok - kmemleak' "$out" || why="${why:+$why; }kmemleak check passed"
[ "$vmrc" -ne 0 ] || why="${why:+$why; }VM run exited 0"

rig_result "$why"
