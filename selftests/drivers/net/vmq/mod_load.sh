#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The vmq modules load, report themselves, hold each other's references
# as their dependencies require, and unload without a trace.

source "$(dirname "$0")/lib.sh"

TESTS="
	load_core_alone
	load_sim_pulls_deps
	core_busy_while_users
	load_unload_loop
"

load_core_alone()
{
	local mark

	vmq_unload_all
	mark=$(kmsg_mark)
	modprobe vmq
	check_err $? "modprobe vmq failed"
	mod_loaded vmq
	check_err $? "vmq not in /sys/module"
	kmsg_since "$mark" | grep -q "vmq: core .* loaded"
	check_err $? "no load message from vmq"
	rmmod vmq
	check_err $? "rmmod vmq failed"
	mod_loaded vmq
	check_fail $? "vmq still loaded after rmmod"
	kmsg_since "$mark" | grep -q "vmq: core unloaded"
	check_err $? "no unload message from vmq"
	log_test "vmq.ko loads and unloads on its own"
}

load_sim_pulls_deps()
{
	vmq_unload_all
	defer vmq_unload_all
	modprobe vmqsim
	check_err $? "modprobe vmqsim failed"
	mod_loaded vmq
	check_err $? "vmq not loaded as a dependency of vmqsim"
	mod_loaded vmq_vfio
	check_err $? "vmq_vfio not loaded along with vmqsim"
	log_test "modprobe vmqsim loads vmq and vmq_vfio"
}

core_busy_while_users()
{
	vmq_unload_all
	defer vmq_unload_all
	modprobe vmqsim
	check_err $? "modprobe vmqsim failed"
	rmmod vmq 2>/dev/null
	check_fail $? "rmmod vmq succeeded while vmqsim uses it"
	mod_loaded vmq
	check_err $? "vmq gone while vmqsim loaded"
	modprobe -r vmqsim vmq_vfio vmq
	check_err $? "modprobe -r of all three failed"
	mod_loaded vmq
	check_fail $? "vmq still loaded after modprobe -r"
	log_test "core pinned while its users are loaded"
}

load_unload_loop()
{
	local i mark

	vmq_unload_all
	mark=$(kmsg_mark)
	for i in $(seq 20); do
		modprobe vmqsim || break
		modprobe -r vmqsim vmq_vfio vmq || break
	done
	check_err $? "load/unload failed in round $i"
	[ "$(kmsg_since "$mark" | grep -c 'vmq: core .* loaded')" -eq 20 ]
	check_err $? "expected 20 core load messages"
	log_test "20 load/unload rounds"
}

require_root
tests_run
exit $EXIT_STATUS
