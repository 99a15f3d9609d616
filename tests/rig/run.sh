#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test of the test rig itself: a test that raises a kernel WARNING but
# exits 0 must be reported "not ok", the test before it "ok", and the VM
# run must fail.  Runs on the host; prints one KTAP result line.
#
#   tests/rig/run.sh KVER [KTAP_NUMBER]

top=$(cd "$(dirname "$0")/../.." && pwd)
kver=$1
num=${2:-1}
name="rig: injected WARNING fails its test ($kver)"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# The rig's modules are built only for this (VMQ_RIG=m); the build is
# the one make check made, plus them.
if ! "$top/scripts/build.sh" "$kver" VMQ_RIG=m > "$out" 2>&1; then
	sed 's/^/# /' "$out"
	echo "not ok $num $name # build with VMQ_RIG=m failed"
	exit 1
fi
VMQ_NO_BUILD=1 "$top/scripts/vm" -k "$kver" -t 300 -- \
	'cd tests/rig && ../../selftests/kselftest/runner.sh benign.sh inject_warn.sh' \
	> "$out" 2>&1
vmrc=$?

why=
grep -q '^ok 1 selftests: benign.sh$' "$out" || why="control test not ok"
grep -q '^not ok 2 selftests: inject_warn.sh # kernel log: .*WARNING' "$out" ||
	why="${why:+$why; }WARNING not attributed to inject_warn.sh"
[ "$vmrc" -ne 0 ] || why="${why:+$why; }VM run exited 0"

if [ -n "$why" ]; then
	sed 's/^/# /' "$out"
	echo "not ok $num $name # $why"
	exit 1
fi
echo "ok $num $name"
