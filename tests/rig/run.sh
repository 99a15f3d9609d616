#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test of the test rig itself: a test that raises a kernel WARNING but
# exits 0 must be reported "not ok", the test before it "ok", and the VM
# run must fail.  Runs on the host; prints one KTAP result line.
#
#   tests/rig/run.sh KVER [KTAP_NUMBER]

kver=$1
num=${2:-1}
name="rig: injected WARNING fails its test ($kver)"
source "$(dirname "$0")/lib.sh"

rig_build "$kver"
VMQ_NO_BUILD=1 "$top/scripts/vm" -k "$kver" -t 300 -- \
	'cd tests/rig && ../../selftests/kselftest/runner.sh benign.sh inject_warn.sh' \
	> "$out" 2>&1
vmrc=$?

why=
grep -q '^ok 1 selftests: benign.sh$' "$out" || why="control test not ok"
grep -q '^not ok 2 selftests: inject_warn.sh # kernel log: .*WARNING' "$out" ||
	why="${why:+$why; }WARNING not attributed to inject_warn.sh"
[ "$vmrc" -ne 0 ] || why="${why:+$why; }VM run exited 0"

rig_result "$why"
