#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) a 6.12 debug kernel for the test VM and print the directory
# that holds it:
#
#   scripts/debug-kernel.sh [-n]      (-n: print the directory, build nothing)
#
# The kernel is Debian's linux-source-6.12 with Debian's 6.12 config,
# trimmed by localmodconfig to the modules the VM loads (KMODS in
# scripts/mkinitramfs.sh, with their dependencies) and by
# scripts/debug-kernel-trim.config, plus
# scripts/debug-kernel.config: KASAN, lockdep with PROVE_RCU,
# DEBUG_ATOMIC_SLEEP, kmemleak, debugobjects; no debug info, no signed or
# compressed modules.  It is built at nice 19 with -j2 and cached outside
# the clone, keyed by a hash of everything that goes into it:
#
#   ${VMQ_DEBUG_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmq/debug-kernel}/HASH/
#	src/			the build tree, a kbuild M= target (KDIR)
#	src/arch/x86/boot/bzImage
#	modroot/lib/modules/RELEASE/	the installed modules
#	release			the kernel release string
#	build-time		how long the build took, in seconds
#	done			present once all of the above is complete
#
# An interrupted build resumes where it stopped.

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
fragment=$top/scripts/debug-kernel.config
trim=$top/scripts/debug-kernel-trim.config
tarball=/usr/src/linux-source-6.12.tar.xz
cache=${VMQ_DEBUG_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmq/debug-kernel}
jobs=${VMQ_DEBUG_KERNEL_JOBS:-2}

dry=0
[ "${1:-}" != -n ] || dry=1

[ -r "$tarball" ] || {
	echo "debug-kernel: $tarball missing (run scripts/deps.sh)" >&2
	exit 1
}
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
debkver=$("$top/scripts/kernels.sh" 6.12 | tail -n1)
baseconfig=/boot/config-$debkver
if [ -z "$debkver" ] || [ ! -r "$baseconfig" ]; then
	echo "debug-kernel: no Debian 6.12 kernel config (run scripts/deps.sh)" >&2
	exit 1
fi

# The modules the VM loads, with their dependencies as Debian's 6.12
# resolves them, in the form localmodconfig reads (lsmod's first column).
modlist() {
	local mod

	for mod in $("$top/scripts/mkinitramfs.sh" --kmods); do
		modprobe -S "$debkver" --show-depends "$mod" |
			awk '$1 == "insmod" { print $2 }'
	done | sed 's|.*/||; s|\.ko\(\.xz\)\{0,1\}$||; s|-|_|g' | sort -u
}
mods=$(modlist)

# Bump when the recipe below changes in a way the inputs do not show.
recipe=1
hash=$({
	echo "recipe $recipe"
	echo "source $srcver"
	cat "$baseconfig" "$fragment" "$trim"
	echo "$mods"
} | sha256sum | cut -c1-16)
dir=$cache/$hash

if [ "$dry" = 1 ] || [ -e "$dir/done" ]; then
	echo "$dir"
	exit 0
fi

mkdir -p "$dir"
exec 9> "$dir/lock"
flock 9
if [ -e "$dir/done" ]; then
	echo "$dir"
	exit 0
fi

log=$dir/build.log
echo "debug-kernel: building in $dir (log: $log); this takes a while" >&2
start=$(date +%s)
src=$dir/src
if [ ! -e "$src/.extracted" ]; then
	rm -rf "$src"
	mkdir -p "$src"
	tar -xf "$tarball" -C "$src" --strip-components=1
	touch "$src/.extracted"
fi

if [ ! -e "$src/.configured" ]; then
	echo "Module" > "$dir/lsmod"
	echo "$mods" >> "$dir/lsmod"
	cp "$baseconfig" "$src/.config"
	# localmodconfig asks about options it cannot settle; take defaults.
	make -C "$src" -s LSMOD="$dir/lsmod" localmodconfig \
		< <(yes '') >> "$log" 2>&1
	"$src/scripts/kconfig/merge_config.sh" -m -O "$src" \
		"$src/.config" "$trim" "$fragment" >> "$log" 2>&1
	"$src/scripts/config" --file "$src/.config" \
		--set-str LOCALVERSION "-vmqdebug-${hash:0:8}"
	make -C "$src" -s olddefconfig >> "$log" 2>&1
	# Every option of the fragment must have stuck.
	bad=0
	while read -r line; do
		case "$line" in
		CONFIG_*=*)	want=$line ;;
		"# CONFIG_"*" is not set")
				want=${line#\# }; want=${want%% *}=n ;;
		*)		continue ;;
		esac
		opt=${want%%=*}
		have=$(grep -E "^$opt=" "$src/.config" || echo "$opt=n")
		if [ "$have" != "$want" ]; then
			echo "debug-kernel: wanted $want, got $have" >&2
			bad=1
		fi
	done < "$fragment"
	[ "$bad" = 0 ] || exit 1
	touch "$src/.configured"
fi

nice -n 19 make -C "$src" -j"$jobs" -s bzImage modules >> "$log" 2>&1 || {
	echo "debug-kernel: build failed; last lines of $log:" >&2
	tail -n 30 "$log" >&2
	exit 1
}
rm -rf "$dir/modroot"
make -C "$src" -s INSTALL_MOD_PATH="$dir/modroot" modules_install \
	>> "$log" 2>&1
make -C "$src" -s kernelrelease > "$dir/release"
# Of a resumed build, only the last part is counted.
echo $(( $(date +%s) - start )) > "$dir/build-time"
touch "$dir/done"
echo "debug-kernel: built $(cat "$dir/release") in $(cat "$dir/build-time")s" >&2
echo "$dir"
