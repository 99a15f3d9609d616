#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kmemleak in the test VM (a kernel with CONFIG_DEBUG_KMEMLEAK, see
# scripts/debug-kernel.sh):
#
#   kmemleak.sh start   forget what boot leaked, note where our modules load
#   kmemleak.sh check   scan, print a KTAP result line "ok/not ok - kmemleak"
#
# A leak counts when its allocation backtrace runs through vmq, vmq_vfio,
# vmqsim, vmq_vdpa or the rig's module.  Once a module is unloaded its
# frames print as bare addresses, so "start" leaves a watcher that
# records the address ranges our modules occupy (from /proc/modules) and
# "check" maps bare addresses back through them.  Leaks elsewhere in the
# kernel are counted, not failed: kmemleak has false positives of its own.

set -euo pipefail

KML=/sys/kernel/debug/kmemleak
RANGES=/tmp/vmq-kmemleak-ranges
OURS='vmq|vmq_vfio|vmqsim|vmq_vdpa|vmq_rig_warn|vmq_rig_debug'

start() {
	[ -w "$KML" ] || { echo "# kmemleak: $KML missing" >&2; return 0; }
	echo clear > "$KML"
	: > "$RANGES"
	watch_modules </dev/null >/dev/null 2>&1 &
	echo $! > "$RANGES.pid"
}

# watch_modules: append where our modules sit to $RANGES whenever that
# changes, every half second.  With builtins only, the pause a read that
# times out on a FIFO no one writes to: this runs beside every test, and
# on the debug kernel the fork and exec of an awk and a sleep twice a
# second would take a good part of the CPU the tests' traffic needs.
watch_modules() {
	local fifo=$RANGES.fifo name size addr now last= fd

	rm -f "$fifo"
	mkfifo "$fifo"
	exec {fd}<>"$fifo"
	rm -f "$fifo"
	while :; do
		now=
		while read -r name size _ _ _ addr _; do
			[[ $name =~ ^($OURS)$ && $addr == 0x* ]] &&
				now+="$name $addr $size"$'\n'
		done < /proc/modules
		if [ "$now" != "$last" ]; then
			printf '%s' "$now" >> "$RANGES"
			last=$now
		fi
		read -r -t 0.5 -u "$fd" _ || :
	done
}

# owner ADDR: the module of ours that was loaded at ADDR, if any.
owner() {
	local addr=$(( $1 )) name base size

	while read -r name base size; do
		if [ "$addr" -ge $(( base )) ] &&
		   [ "$addr" -lt $(( base + size )) ]; then
			echo "$name"
			return
		fi
	done < "$RANGES.sorted"
}

check() {
	local record=() line ours=0 others=0 found=() addr mod

	if [ ! -r "$KML" ]; then
		echo "not ok - kmemleak # $KML missing (no CONFIG_DEBUG_KMEMLEAK?)"
		return 1
	fi
	[ ! -s "$RANGES.pid" ] || kill "$(cat "$RANGES.pid")" 2>/dev/null || true
	# No process substitution here: the guest has no /dev/fd.
	sort -u "$RANGES" > "$RANGES.sorted" 2>/dev/null || : > "$RANGES.sorted"
	# A block is reported once its contents stayed the same over a
	# whole scan, and once it is older than five seconds.
	sleep 5
	echo scan > "$KML"
	echo scan > "$KML"

	flush() {
		[ ${#record[@]} -gt 0 ] || return 0
		found=()
		for line in "${record[@]}"; do
			if [[ $line =~ \[($OURS)\]$ ]]; then
				found+=("${BASH_REMATCH[1]}")
			elif [[ $line =~ ^\ +(0xffffffff[0-9a-f]{8})$ ]]; then
				addr=${BASH_REMATCH[1]}
				mod=$(owner "$addr")
				[ -z "$mod" ] || found+=("$mod (unloaded)")
			fi
		done
		if [ ${#found[@]} -gt 0 ]; then
			ours=$((ours + 1))
			echo "# kmemleak: leak in ${found[0]}:"
			printf '# kmemleak:   %s\n' "${record[@]}"
		else
			others=$((others + 1))
		fi
		record=()
	}
	while IFS= read -r line; do
		case "$line" in
		"unreferenced object "*) flush ;;
		esac
		record+=("$line")
	done < "$KML"
	flush

	echo "# kmemleak: $ours leaks through our modules," \
	     "$others elsewhere in the kernel (not counted)"
	if [ "$ours" -gt 0 ]; then
		echo "not ok - kmemleak # $ours leaks through our modules"
		return 1
	fi
	echo "ok - kmemleak"
}

case "${1:-}" in
start)	start ;;
check)	check ;;
*)	echo "usage: kmemleak.sh start|check" >&2; exit 2 ;;
esac
