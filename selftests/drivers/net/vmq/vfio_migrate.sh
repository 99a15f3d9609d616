#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# VFIO live migration of a guest queue pair (vmq.rst, "Live migration"),
# between two hosts' NICs: vmq0 and vmq1, whose link partners vmq0w and
# vmq1w are ports of bridge br0, the switch between the hosts.  The admin
# gives an mdev on each NIC the guest's MAC; the test VMM (vmq_migrate)
# opens both, a VFIO container each, and moves the guest between them
# while a numbered stream of frames to the guest's MAC leaves br0:
#
#   migrate      one migration under traffic, with type1 dirty tracking;
#                every frame accounted for, registers and counters carried
#   bad_streams  each stream a destination must refuse, with the errno the
#                contract names, a log line and ERROR; reset, then usable
#   rollback     STOP (and STOP_COPY) back to RUNNING on the source; its
#                MAC taken meanwhile: refused, in a loop, with a bounded
#                log; a STOP_COPY whose save fails (vmq_vfio.fail_saves);
#                a reset after STOP drops and counts the frames kept
#   error_kept   a queue in error keeps its rings (EBUSY) through STOP and
#                back, and on the destination that restores it, until reset
#   precopy      PRE_COPY on kernels that have it (6.2 and later): the first
#                segment while the guest runs, checked by the destination
#   round_trips  50 migrations back and forth; no slab objects left, the
#                mdevs go, the modules hold no references and unload

source "$(dirname "$0")/lib.sh"

MIGRATE="$(dirname "$(readlink -f "$0")")/vmq_migrate"
MDEVS=/sys/bus/mdev/devices
UUID0=6f3c0a5e-0000-4000-8000-000000000041	# on vmq0, host A
UUID1=6f3c0a5e-0000-4000-8000-000000000042	# on vmq1, host B
SPARE=6f3c0a5e-0000-4000-8000-000000000043	# on vmq0, no MAC
MAC=52:54:00:00:41:01
QPS=8
ROUNDS=${VMQ_MIGRATE_ROUNDS:-50}
# Used in the eval string of round_trips.
# shellcheck disable=SC2034
SLAB_SLACK=2

TESTS="
	migrate
	bad_streams
	rollback
	error_kept
	precopy
	round_trips
	modules_unload
"

# port_forwarding DEV: the bridge forwards through its port DEV.
port_forwarding()
{
	[ "$(cat "/sys/class/net/$1/brport/state" 2>/dev/null)" = 3 ]
}

# setup: both NICs up, their partners in br0, an mdev with the guest's
# MAC on each NIC, a spare one without on vmq0.
setup()
{
	vfio_nic_setup $QPS || return 1
	vmqsim_new 1 $QPS || return 1
	no_ipv6 vmq1 && no_ipv6 vmq1w || return 1
	ip link set vmq1 up && ip link set vmq1w up || return 1
	ip link add br0 type bridge forward_delay 0 mcast_snooping 0 ||
		return 1
	no_ipv6 br0
	ip link set vmq0w master br0 && ip link set vmq1w master br0 &&
		ip link set br0 up || return 1
	busywait 5000 port_forwarding vmq0w &&
		busywait 5000 port_forwarding vmq1w || return 1
	mdev_create "$UUID0" "$MAC" && mdev_create "$SPARE" || return 1
	TYPE=$(vmq_mdev_type vmqsim1)
	mdev_create "$UUID1" "$MAC"
}

teardown()
{
	mdevs_remove "$UUID0" "$UUID1" "$SPARE"
	ip link del br0 2>/dev/null
	vmqsim_teardown
}

# migrate_run CASE...: the test VMM on both mdevs; its output shown, its
# status kept.
migrate_run()
{
	local rc

	"$MIGRATE" -b /sys/kernel/debug/vmqsim/0/backlog \
		-B /sys/kernel/debug/vmqsim/1/backlog -x "$SPARE" -r "$ROUNDS" \
		"$UUID0" "$UUID1" "$@" > /tmp/vmq_migrate.out 2>&1
	rc=$?
	sed 's/^/\t/' /tmp/vmq_migrate.out
	return $rc
}

# no_fail: the VMM printed no failed check (it exits 1 on any anyway).
no_fail()
{
	! grep -q '^FAIL' /tmp/vmq_migrate.out
}

migrate()
{
	defer teardown
	setup || { check_err 1 "setup failed"; log_test "migrate"; return; }
	migrate_run migrate && no_fail
	check_err $? "test VMM failed"
	log_test "migrate: vmq0 -> vmq1 under traffic, nothing lost but the downtime's"
}

bad_streams()
{
	defer teardown
	setup || { check_err 1 "setup failed"; log_test "bad streams"; return; }
	migrate_run bad-streams && no_fail
	check_err $? "test VMM failed"
	mdevs_remove "$UUID0" "$UUID1" "$SPARE"
	[ ! -e "$MDEVS/$UUID0" ] && [ ! -e "$MDEVS/$UUID1" ]
	check_err $? "an mdev would not go"
	log_test "bad streams: refused with the contract's errno, logged, ERROR; reset recovers"
}

rollback()
{
	defer teardown
	setup || { check_err 1 "setup failed"; log_test "rollback"; return; }
	migrate_run rollback && no_fail
	check_err $? "test VMM failed"
	log_test "rollback: STOP -> RUNNING resumes the queue, kept frames first"
}

error_kept()
{
	defer teardown
	setup || { check_err 1 "setup failed"; log_test "error kept"; return; }
	migrate_run error-kept && no_fail
	check_err $? "test VMM failed"
	log_test "error kept: a queue in error keeps its rings through STOP and on the destination"
}

precopy()
{
	defer teardown
	setup || { check_err 1 "setup failed"; log_test "precopy"; return; }
	migrate_run precopy
	case $? in
	0)	no_fail
		check_err $? "test VMM failed" ;;
	"$ksft_skip")
		log_test_skip "precopy" "no PRE_COPY on this kernel"
		return ;;
	*)	check_err 1 "test VMM failed" ;;
	esac
	log_test "precopy: first segment while the guest runs, the rest at STOP_COPY"
}

# slab_sum FILE: the objects a slab_ours listing counts.
slab_sum()
{
	awk '{ n += $NF } END { print n + 0 }' "$1"
}

round_trips()
{
	local st before=

	defer teardown
	setup || { check_err 1 "setup failed"; log_test "round trips"; return; }
	st=$(mktemp -d /tmp/vfio_migrate.XXXXXX)
	defer rm -rf "$st"
	[ ! -r /sys/kernel/debug/slab/kmalloc-8/alloc_traces ] ||
		before=$(slab_ours)
	migrate_run round-trips && no_fail
	check_err $? "test VMM failed"
	mdevs_remove "$UUID0" "$UUID1" "$SPARE"
	[ ! -e "$MDEVS/$UUID0" ] && [ ! -e "$MDEVS/$UUID1" ] &&
		[ ! -e "$MDEVS/$SPARE" ]
	check_err $? "an mdev would not go"
	if [ -n "$before" ]; then
		# Objects freed after an RCU grace period take a moment.
		busywait 10000 eval \
			'slab_grown "$before" $SLAB_SLACK "$st" > "$st/slab.grown"'
		check_err $? "more of our slab objects (cache before after):
$(cat "$st/slab.grown")
by site and caller:
$(diff "$st/slab.before" "$st/slab.after" | grep '^[-+][^-+]')"
		echo "	our slab objects: $(slab_sum "$st/slab.before") before," \
			"$(slab_sum "$st/slab.after") after"
	else
		echo "	no allocation traces (slub_debug=U): slab not counted"
	fi
	log_test "round trips: $ROUNDS migrations vmq0 <-> vmq1, nothing left behind"
}

# With every device gone the modules hold only each other's references,
# and unload; loaded again for the tests after this one.
modules_unload()
{
	check_module_refs
	vmq_unload_all
	check_err $? "the modules would not unload"
	! mod_loaded vmqsim && ! mod_loaded vmq_vfio && ! mod_loaded vmq
	check_err $? "a module is still loaded"
	vmq_load
	check_err $? "the modules would not load again"
	log_test "after the migrations the modules unload"
}

# probe: SKIP (exit 4) unless the mdev offers VFIO migration.
probe()
{
	local rc

	defer_scope_push
	defer teardown
	if ! setup; then
		defer_scope_pop
		echo "FAIL: setup"
		exit 1
	fi
	migrate_run probe
	rc=$?
	defer_scope_pop
	[ $rc -ne $ksft_skip ] || exit $ksft_skip
}

require_root
require_cmd ip
[ -x "$MIGRATE" ] || { echo "SKIP: $MIGRATE not built"; exit $ksft_skip; }
probe
tests_run
exit $EXIT_STATUS
