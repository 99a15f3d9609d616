# SPDX-License-Identifier: GPL-2.0
#
# What the rig's own tests (run.sh, run-debug.sh) share.  They set num
# (their KTAP number) and name before sourcing this; the VM's output goes
# to $out.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# rig_result WHY: the KTAP line, and exit: ok when WHY is empty, else
# not ok with $out shown.
rig_result()
{
	if [ -n "$1" ]; then
		sed 's/^/# /' "$out"
		echo "not ok $num $name # $1"
		exit 1
	fi
	echo "ok $num $name"
	exit 0
}

# rig_build KVER: the build for KVER (KDIR, if set, is its tree) plus the
# rig's test modules, which only these tests build (VMQ_RIG=m).
rig_build()
{
	"$top/scripts/build.sh" "$1" VMQ_RIG=m > "$out" 2>&1 ||
		rig_result "build with VMQ_RIG=m failed"
}
