#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Receive side scaling over the host's channels (vmq.rst, "Receive side
# scaling"): the NIC's Toeplitz hash against a reference computation
# checked on Microsoft's published RSS vectors, the queue each flow lands
# on, the spread of many flows, and ethtool -x/-X, -n/-N rx-flow-hash, -L
# with every refusal; RSS contexts, the Linux form of VMMQ: one MAC's
# flows spread over the channels of its context.

source "$(dirname "$0")/lib.sh"

TESTS="
	reference
	defaults
	nic_hash
	flow_queues
	spread
	weights
	refusals
	contexts
	context_per_kernel
	channels_follow
"

DEV=vmq0
PEER=vmq0w
NQ=4
RSS="$(dirname "$(readlink -f "$0")")/vmq_rss"
MAC=

# indir DEV: the indirection table, one entry per line.
indir()
{
	ethtool -x "$1" | awk '/^ *[0-9]+: / { for (i = 2; i <= NF; i++) print $i }'
}

# queue_of HASH: the channel "equal $NQ" gives a hash.
queue_of() { echo $(( ($1 % 128) % NQ )); }

# one_flow FAM PROTO IDX MODE: vector IDX's frames land on the channel
# its MODE (l3 or l4) hash says, and only there.
one_flow()
{
	local h q before after delta

	h=$("$RSS" expect "$1" "$4" "$3")
	q=$(queue_of "$h")
	before=$(qp_rx_snapshot $DEV)
	"$RSS" send $PEER "$MAC" "$1" "$2" "$3" 4 || return 1
	busywait 5000 eval '[ "$(qp_rx_delta "$before" "$(qp_rx_snapshot $DEV)" |
		tr " " "\n" | awk -F: "{ s += \$2 } END { print s }")" -ge 4 ]'
	after=$(qp_rx_snapshot $DEV)
	delta=$(qp_rx_delta "$before" "$after")
	expect_rx_delta "$delta" "$q:4" ||
		{ echo "$1 $2 vector $3 ($4 hash $h): want channel $q"; return 1; }
}

reference()
{
	"$RSS" vectors > /tmp/vmq_rss.out
	check_err $? "the reference Toeplitz differs from the published vectors:
$(grep FAIL /tmp/vmq_rss.out)"
	log_test "reference Toeplitz matches Microsoft's 16 published hashes"
}

defaults()
{
	local want n

	ethtool -x $DEV | grep -q 'toeplitz: on'
	check_err $? "hash function is not toeplitz"
	n=$(ethtool -x $DEV | awk '/RSS hash key/ { getline; print }' |
		tr ':' '\n' | grep -c .)
	[ "$n" -eq 40 ]
	check_err $? "key of $n bytes, want 40"
	want=$(for i in $(seq 0 127); do echo $((i % NQ)); done)
	[ "$(indir $DEV)" = "$want" ]
	check_err $? "default table is not spread over $NQ channels"
	ethtool -n $DEV rx-flow-hash tcp4 | grep -q 'L4 bytes 0 & 1'
	check_err $? "tcp4 does not hash its ports by default"
	ethtool -n $DEV rx-flow-hash udp4 | grep -q 'L4 bytes 0 & 1'
	check_fail $? "udp4 hashes its ports by default"
	log_test "defaults: Toeplitz, 40-byte key, table over $NQ channels, TCP ports"
}

nic_hash()
{
	local fam proto

	ethtool -X $DEV hkey "$("$RSS" key)"
	check_err $? "ethtool -X hkey failed"
	for fam in 4 6; do
		ethtool -N $DEV rx-flow-hash udp$fam sdfn
		check_err $? "rx-flow-hash udp$fam sdfn refused"
	done
	for fam in v4 v6; do
		for proto in tcp udp; do
			"$RSS" rxhash $PEER $DEV $fam $proto > /tmp/vmq_rss.out
			check_err $? "$(grep FAIL /tmp/vmq_rss.out)"
		done
	done
	for fam in 4 6; do
		ethtool -N $DEV rx-flow-hash udp$fam sd
	done
	log_test "the NIC's hash is the reference's on every vector (TCP, UDP; v4, v6)"
}

flow_queues()
{
	local fam i n mode

	ethtool -X $DEV hkey "$("$RSS" key)" equal $NQ
	check_err $? "ethtool -X equal $NQ failed"
	for mode in l4 l3; do
		for fam in 4 6; do
			if [ $mode = l4 ]; then
				ethtool -N $DEV rx-flow-hash tcp$fam sdfn
			else
				ethtool -N $DEV rx-flow-hash tcp$fam sd
			fi
			check_err $? "rx-flow-hash tcp$fam ($mode) refused"
			n=5
			[ $fam = 6 ] && n=3
			for ((i = 0; i < n; i++)); do
				one_flow v$fam tcp $i $mode
				check_err $? "TCP/IPv$fam vector $i ($mode)"
			done
		done
	done
	ethtool -N $DEV rx-flow-hash tcp4 sdfn
	ethtool -N $DEV rx-flow-hash tcp6 sdfn
	log_test "each flow lands on the channel its hash picks (ports and addresses only)"
}

spread()
{
	local before after hashes q got want i total=256 min max

	ethtool -X $DEV hkey "$("$RSS" key)" equal $NQ
	before=$(qp_rx_snapshot $DEV)
	hashes=$("$RSS" flows $PEER "$MAC" $total)
	check_err $? "sending the flows failed"
	busywait 5000 eval '[ "$(qp_rx_delta "$before" "$(qp_rx_snapshot $DEV)" |
		tr " " "\n" | awk -F: "{ s += \$2 } END { print s }")" -ge $total ]'
	after=$(qp_rx_snapshot $DEV)
	want=
	for ((q = 0; q < NQ; q++)); do
		n=0
		for h in $hashes; do
			[ "$(queue_of "$h")" -eq $q ] && n=$((n + 1))
		done
		want+="$q:$n "
	done
	expect_rx_delta "$(qp_rx_delta "$before" "$after")" "$want"
	check_err $? "the flows did not land where their hashes say"
	# And they spread: each channel takes 15% to 35% of 256 flows.
	min=$((total * 15 / 100))
	max=$((total * 35 / 100))
	for i in $want; do
		got=${i#*:}
		[ "$got" -ge $min ] && [ "$got" -le $max ]
		check_err $? "channel ${i%%:*} took $got of $total flows"
	done
	echo "	per channel: $want"
	log_test "256 flows spread over $NQ channels as their hashes say (15-35% each)"
}

weights()
{
	local before delta

	ethtool -X $DEV weight 0 0 1 0
	check_err $? "ethtool -X weight failed"
	[ "$(indir $DEV | sort -u)" = 2 ]
	check_err $? "weight 0 0 1 0 is not a table of channel 2"
	before=$(qp_rx_snapshot $DEV)
	"$RSS" flows $PEER "$MAC" 32 >/dev/null
	busywait 5000 eval '[ "$(qstat $DEV qp2_rx_packets)" -ge \
		$(( $(echo "$before" | awk "{ print \$3 }") + 32 )) ]'
	delta=$(qp_rx_delta "$before" "$(qp_rx_snapshot $DEV)")
	expect_rx_delta "$delta" "2:32"
	check_err $? "32 flows with the table on channel 2"
	ethtool -X $DEV default
	log_test "a table of one channel takes every flow"
}

# refused WHY CMD...: CMD fails with WHY (strerror) in what it says;
# ethtool -N rx-flow-hash exits 0 even then, so its words decide.
refused()
{
	local why=$1 out
	shift

	out=$("$@" 2>&1)
	echo "$out" | grep -q "$why" || { echo "$*: '$out', want $why"; return 1; }
}

refusals()
{
	local mark

	refused "Operation not supported" ethtool -X $DEV hfunc xor
	check_err $? "a hash function other than Toeplitz"
	refused "Invalid argument" ethtool -X $DEV equal $((NQ + 1))
	check_err $? "a table past the channels"
	refused "Invalid argument" ethtool -N $DEV rx-flow-hash tcp4 sdfnv
	check_err $? "hashing the VLAN"
	refused "Invalid argument" ethtool -N $DEV rx-flow-hash tcp4 sdf
	check_err $? "one port only"
	[ "$(ethtool -n $DEV rx-flow-hash tcp4 | grep -c 'L4 bytes')" = 2 ]
	check_err $? "tcp4 fields changed by a refusal"
	mark=$(kmsg_mark)
	refused "Operation not supported" ethtool -N $DEV rx-flow-hash sctp4 sd
	check_err $? "SCTP"
	kmsg_since "$mark" | grep -q "RSS does not hash flow type"
	check_err $? "no log line for the SCTP refusal"
	ethtool -X $DEV weight 0 0 0 1
	refused "Invalid argument" ethtool -L $DEV combined 2
	check_err $? "dropping a channel the admin's table uses"
	[ "$(ethtool -l $DEV | awk '/^Combined:/ { v = $2 } END { print v }')" = $NQ ]
	check_err $? "channels changed after a refusal"
	ethtool -X $DEV default
	check_err $? "ethtool -X default"
	log_test "refusals: other hash, table past channels, bad fields, -L under a table"
}

# ctx_indir CTX: context CTX's table, its distinct channels on one line.
ctx_indir()
{
	ethtool -x $DEV context "$1" |
		awk '/^ *[0-9]+: / { for (i = 2; i <= NF; i++) print $i }' |
		sort -un | tr '\n' ' '
}

# ctx_flows CTX_MAC FIRST: 256 flows to CTX_MAC land exactly where the
# hash says among the context's two channels FIRST and FIRST + 1, and
# nowhere else.
ctx_flows()
{
	local before hashes want q n h

	before=$(qp_rx_snapshot $DEV)
	hashes=$("$RSS" flows $PEER "$1" 256) || return 1
	busywait 5000 eval '[ "$(qp_rx_delta "$before" "$(qp_rx_snapshot $DEV)" |
		tr " " "\n" | awk -F: "{ s += \$2 } END { print s }")" -ge 256 ]'
	want=
	for ((q = $2; q < $2 + 2; q++)); do
		n=0
		for h in $hashes; do
			[ $(($2 + (h % 128) % 2)) -eq $q ] && n=$((n + 1))
		done
		want+="$q:$n "
	done
	echo "	context per channel: $want"
	expect_rx_delta "$(qp_rx_delta "$before" "$(qp_rx_snapshot $DEV)")" \
		"$want"
}

contexts()
{
	local out ctx i ids= cmac=52:54:00:00:15:01

	ethtool -X $DEV hkey "$("$RSS" key)" && ethtool -X $DEV default
	check_err $? "key and default table"
	out=$(ethtool -X $DEV context new start 2 equal 2 2>&1)
	check_err $? "context new: $out"
	ctx=$(echo "$out" | awk '/New RSS context is/ { print $NF }')
	[ -n "$ctx" ]
	check_err $? "no context number in '$out'"
	[ "$(ctx_indir "$ctx")" = "2 3 " ]
	check_err $? "context $ctx's table has channels '$(ctx_indir "$ctx")', want 2 3"
	ethtool -N $DEV flow-type ether dst $cmac context "$ctx" loc 5
	check_err $? "a rule to context $ctx failed"
	ethtool -n $DEV rule 5 | grep -qi "context.*$ctx"
	check_err $? "rule 5 does not show its context: $(ethtool -n $DEV rule 5)"
	ctx_flows $cmac 2
	check_err $? "256 flows to $cmac did not land on context $ctx's channels as hashed"
	# A new table moves the flows: channels 0 and 1 now.
	ethtool -X $DEV context "$ctx" start 0 equal 2
	check_err $? "changing context $ctx"
	ctx_flows $cmac 0
	check_err $? "after the change the flows did not follow the new table"
	ethtool -X $DEV context "$ctx" start 2 equal 2

	refused "Device or resource busy" ethtool -X $DEV context "$ctx" delete
	check_err $? "deleting a context a rule uses"
	refused "Invalid argument" ethtool -L $DEV combined 2
	check_err $? "dropping channels a context uses"
	refused "Invalid argument" ethtool -X $DEV context new start 3 equal 2
	check_err $? "a context past the channels"
	refused "No such file or directory" \
		ethtool -N $DEV flow-type ether dst 52:54:00:00:15:02 context 99 loc 6
	check_err $? "a rule to no context"
	for ((i = 1; i < 8; i++)); do
		out=$(ethtool -X $DEV context new equal 1 2>&1)
		check_err $? "context $((i + 1)) of 8: $out"
		ids+="$(echo "$out" | awk '/New RSS context is/ { print $NF }') "
	done
	refused "Device or resource busy" ethtool -X $DEV context new equal 1
	check_err $? "a ninth context"
	for i in $ids; do
		ethtool -X $DEV context "$i" delete
		check_err $? "deleting context $i"
	done
	ethtool -N $DEV delete 5 && ethtool -X $DEV context "$ctx" delete
	check_err $? "deleting the rule, then its context"
	ethtool -x $DEV context "$ctx" >/dev/null 2>&1
	check_fail $? "context $ctx still shows after delete"
	ethtool -L $DEV combined 2 && ethtool -L $DEV combined $NQ
	check_err $? "-L with no context left"
	log_test "RSS contexts: a MAC's flows spread over its context; refusals"
}

# A context has no key, hash function or fields of its own; what asking
# for them gives differs between the kernels (vmq.rst, "RSS contexts").
context_per_kernel()
{
	local out ctx v

	out=$(ethtool -X $DEV context new equal 2 2>&1)
	check_err $? "context new: $out"
	ctx=$(echo "$out" | awk '/New RSS context is/ { print $NF }')
	defer ethtool -X $DEV context "$ctx" delete
	v=$(uname -r | awk -F. '{ print $1 * 100 + $2 }')
	if [ "$v" -ge 612 ]; then
		refused "Invalid argument" \
			ethtool -N $DEV rx-flow-hash tcp4 sdfn context "$ctx"
		check_err $? "6.12: rx-flow-hash for a context"
		refused "Operation not supported" \
			ethtool -X $DEV context "$ctx" hfunc toeplitz
		check_err $? "6.12: hfunc toeplitz for a context"
	else
		refused "Operation not supported" \
			ethtool -N $DEV rx-flow-hash tcp4 sdfn context "$ctx"
		check_err $? "6.1: rx-flow-hash for a context"
		out=$(ethtool -X $DEV context "$ctx" hfunc toeplitz 2>&1)
		check_err $? "6.1: hfunc toeplitz for a context refused: $out"
		ethtool -x $DEV context "$ctx" | grep -q "toeplitz: on"
		check_err $? "6.1: context $ctx does not show toeplitz: $(ethtool -x $DEV context "$ctx" | tail -n 4)"
	fi
	log_test "an RSS context's key, hash and fields as each kernel answers"
}

channels_follow()
{
	local want

	ethtool -L $DEV combined 2
	check_err $? "ethtool -L combined 2 with the default table"
	want=$(for i in $(seq 0 127); do echo $((i % 2)); done)
	[ "$(indir $DEV)" = "$want" ]
	check_err $? "the default table does not follow -L 2"
	ethtool -L $DEV combined $NQ
	want=$(for i in $(seq 0 127); do echo $((i % NQ)); done)
	[ "$(indir $DEV)" = "$want" ]
	check_err $? "the default table does not follow -L $NQ"
	log_test "a default table follows the channel count"
}

require_root
require_cmd ethtool ip
[ -x "$RSS" ] || { echo "SKIP: vmq_rss not built"; exit "$ksft_skip"; }
vmqsim_setup_or_exit 8
# lib.sh keeps the host's frames on channel 0; the default table here.
ethtool -L $DEV combined $NQ && ethtool -X $DEV default ||
	{ echo "FAIL: ethtool -L, -X default"; exit 1; }
MAC=$(cat /sys/class/net/$DEV/address)
tests_run
exit $EXIT_STATUS
