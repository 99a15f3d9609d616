#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for the vmq selftests, with the names the kernel's net
# selftests use (check_err, check_fail, log_test, tests_run, busywait,
# defer) so they read the same.  Source it; set TESTS to the list of test
# functions; call tests_run; exit $EXIT_STATUS.

ksft_skip=4
RET=0
EXIT_STATUS=0
RETMSG=

# --- result bookkeeping ---------------------------------------------------

check_err()
{
	local err=$1 msg=$2

	if [ "$RET" -eq 0 ] && [ "$err" -ne 0 ]; then
		RET=$err
		RETMSG=$msg
	fi
}

check_fail()
{
	local err=$1 msg=$2

	if [ "$RET" -eq 0 ] && [ "$err" -eq 0 ]; then
		RET=1
		RETMSG=$msg
	fi
}

log_test()
{
	local name=$1

	if [ "$RET" -ne 0 ]; then
		EXIT_STATUS=1
		printf "TEST: %-60s [FAIL]\n" "$name"
		[ -z "$RETMSG" ] || printf "\t%s\n" "$RETMSG"
		RET=0
		RETMSG=
		return 1
	fi
	printf "TEST: %-60s [ OK ]\n" "$name"
	return 0
}

log_test_skip()
{
	printf "TEST: %-60s [SKIP]\n" "$1"
	[ -z "${2:-}" ] || printf "\t%s\n" "$2"
	RET=0
	RETMSG=
}

# --- deferred cleanup -----------------------------------------------------
#
# "defer CMD..." queues CMD to run when the current test ends (tests_run
# opens a scope per test) or, outside tests, when the script exits.
# Commands run in reverse order of queueing.

DEFER_CMDS=()
DEFER_SCOPES=()

defer()
{
	DEFER_CMDS+=("$(printf '%q ' "$@")")
}

defer_scope_push()
{
	DEFER_SCOPES+=("${#DEFER_CMDS[@]}")
}

defer_scope_pop()
{
	local base=${DEFER_SCOPES[-1]} i

	for ((i = ${#DEFER_CMDS[@]} - 1; i >= base; i--)); do
		eval "${DEFER_CMDS[i]}" >/dev/null 2>&1
		unset "DEFER_CMDS[i]"
	done
	DEFER_CMDS=("${DEFER_CMDS[@]}")
	unset "DEFER_SCOPES[-1]"
}

defer_run_all()
{
	while [ ${#DEFER_SCOPES[@]} -gt 0 ]; do
		defer_scope_pop
	done
}

DEFER_SCOPES=(0)
trap defer_run_all EXIT

# --- running tests --------------------------------------------------------

tests_run()
{
	local t

	for t in $TESTS; do
		defer_scope_push
		"$t"
		defer_scope_pop
	done
}

# busywait TIMEOUT_MS CMD...: retry CMD until it succeeds or time is up.
busywait()
{
	local timeout_ms=$1 start now
	shift

	start=$(date +%s%3N)
	while true; do
		"$@" && return 0
		now=$(date +%s%3N)
		[ $((now - start)) -lt "$timeout_ms" ] || return 1
		sleep 0.1
	done
}

require_root()
{
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: need root"
		exit $ksft_skip
	fi
}

require_cmd()
{
	local cmd

	for cmd in "$@"; do
		if ! command -v "$cmd" >/dev/null; then
			echo "SKIP: $cmd not available"
			exit $ksft_skip
		fi
	done
}

# --- kernel log -----------------------------------------------------------

# kmsg_mark: write a unique marker to the kernel log and print it, so a
# test can later look only at what the kernel said after that point.
kmsg_mark()
{
	local marker="vmq-test-mark $$-$RANDOM-$(date +%s%N)"

	echo "$marker" > /dev/kmsg
	echo "$marker"
}

# kmsg_since MARKER: kernel log lines after MARKER.
kmsg_since()
{
	dmesg | awk -v m="$1" 'found { print } index($0, m) { found = 1 }'
}

# --- vmq modules ----------------------------------------------------------

VMQ_MODULES="vmqsim vmq_vfio vmq"

vmq_unload_all()
{
	local mod

	for mod in $VMQ_MODULES; do
		if [ -d "/sys/module/$mod" ]; then
			rmmod "$mod" || return 1
		fi
	done
}

mod_loaded()
{
	[ -d "/sys/module/$1" ]
}
