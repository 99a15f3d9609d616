#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the installed selftests listed in kselftest-list.txt, as the
# kernel's run_kselftest.sh does, with one KTAP plan for the whole run.
#
#   run_kselftest.sh [-t COLLECTION:TEST]...   (default: every test)

set -u
here=$(cd "$(dirname "$0")" && pwd)
list=$here/kselftest-list.txt

selected=()
while getopts "t:" opt; do
	case $opt in
	t) selected+=("$OPTARG") ;;
	*) echo "usage: $0 [-t COLLECTION:TEST]..." >&2; exit 2 ;;
	esac
done
[ ${#selected[@]} -gt 0 ] || mapfile -t selected < "$list"

run_all() {
	local num=1 entry

	echo "KTAP version 1"
	echo "1..${#selected[@]}"
	for entry in "${selected[@]}"; do
		(cd "$here/${entry%%:*}" &&
			"$here/kselftest/runner.sh" -p -n "$num" "${entry#*:}")
		num=$((num + 1))
	done
}

# Keep every line, drop the per-test totals, count results for our own.
run_all | awk '
	/^# Totals:/		{ next }
	/^ok .* # SKIP/		{ skip++; print; next }
	/^ok /			{ pass++; print; next }
	/^not ok /		{ fail++; print; next }
				{ print }
	END {
		printf "# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0\n",
			pass, fail, skip
		exit fail > 0
	}'
