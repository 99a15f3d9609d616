#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Style and static checks, all of which must be clean:
#   - checkpatch.pl --strict, from Debian's linux-source-6.12 package,
#     over every C source and header of the project;
#   - sparse (C=2) and W=1 builds for every supported kernel;
#   - kernel-doc -Wall, from the same package, over every C source and
#     header, and a kernel-doc comment for every exported symbol;
#   - vmq.rst parsed by docutils.
#
#   scripts/lint.sh [checkpatch|sparse|kerneldoc|docs]...   (default: all)

set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tools=$top/build/tools
src_tar=/usr/src/linux-source-6.12.tar.xz
rc=0

# from_source DIR FILE...: scripts/FILE... of Debian's linux-source into
# $tools/DIR, once; the first FILE says whether they are there already.
from_source() {
	local dir=$1 member prefix
	shift

	[ -e "$tools/$dir/$1" ] && return 0
	[ -r "$src_tar" ] || {
		echo "lint: $src_tar missing (run scripts/deps.sh)" >&2
		return 1
	}
	mkdir -p "$tools/$dir"
	member=$(tar -tJf "$src_tar" | grep -m1 "scripts/$1\$")
	prefix=${member%"$1"}
	tar -xJf "$src_tar" -C "$tools/$dir" --strip-components=2 \
		"${@/#/$prefix}"
}

get_checkpatch() {
	from_source checkpatch checkpatch.pl spelling.txt \
		const_structs.checkpatch
}

run_checkpatch() {
	local files

	get_checkpatch || return 1
	mapfile -t files < <(cd "$top" && git ls-files -co --exclude-standard \
		'*.c' '*.h' | grep -v '^build/')
	[ ${#files[@]} -gt 0 ] || return 0
	(cd "$top" && "$tools/checkpatch/checkpatch.pl" --strict --no-tree \
		--show-types -q --ignore FILE_PATH_CHANGES \
		-f "${files[@]}")
}

get_kernel_doc() {
	from_source kernel-doc kernel-doc
}

# kernel-doc's own warnings (a parameter not described, a bad heading),
# and what it does not check: that every exported symbol has a kernel-doc
# comment naming it in the file that exports it.
run_kernel_doc() {
	local f sym files out ok=0

	get_kernel_doc || return 1
	mapfile -t files < <(cd "$top" && git ls-files -co --exclude-standard \
		'drivers/*.[ch]' 'include/*.h')
	[ ${#files[@]} -gt 0 ] || return 0
	out=$(cd "$top" && perl "$tools/kernel-doc/kernel-doc" -none -Wall \
		"${files[@]}" 2>&1)
	[ -z "$out" ] || { echo "$out"; ok=1; }
	for f in "${files[@]}"; do
		for sym in $(grep -oP 'EXPORT_SYMBOL(_GPL)?\(\K\w+' "$top/$f"); do
			grep -qE "^ \* $sym(\(\))? - " "$top/$f" && continue
			echo "$f: exported $sym has no kernel-doc comment"
			ok=1
		done
	done
	return $ok
}

run_sparse() {
	local kver ok=0

	for kver in $("$top/scripts/kernels.sh"); do
		echo "lint: sparse + W=1 for $kver"
		"$top/scripts/build.sh" "$kver" C=2 VMQ_RIG=m >/dev/null ||
			ok=1
	done
	return $ok
}

# The contract's reST: a warning (a malformed table, an unclosed literal)
# fails, as it would in the kernel's documentation build.
run_docs() {
	/usr/bin/python3 -c 'import sys, docutils.core
docutils.core.publish_cmdline(writer_name="null",
			      argv=["--halt=warning", "--report=warning",
				    sys.argv[1]])' \
		"$top/Documentation/networking/vmq.rst"
}

[ $# -gt 0 ] || set -- checkpatch sparse kerneldoc docs
for what in "$@"; do
	case $what in
	checkpatch)
		echo "lint: checkpatch --strict"
		run_checkpatch || rc=1 ;;
	sparse)	run_sparse || rc=1 ;;
	kerneldoc)
		echo "lint: kernel-doc -Wall"
		run_kernel_doc || rc=1 ;;
	docs)	echo "lint: reST of vmq.rst"
		run_docs || rc=1 ;;
	*)	echo "lint: unknown check '$what'" >&2; exit 2 ;;
	esac
done
[ $rc -eq 0 ] && echo "lint: clean"
exit $rc
