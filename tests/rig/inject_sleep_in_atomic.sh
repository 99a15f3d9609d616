#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Commits a defect only a debug kernel reports (sleep_in_atomic, see
# vmq_rig_debug.c) and still exits 0: the runner must fail it.
modprobe vmq_rig_debug || exit 1
echo 1 > /sys/module/vmq_rig_debug/parameters/sleep_in_atomic
rmmod vmq_rig_debug
exit 0
