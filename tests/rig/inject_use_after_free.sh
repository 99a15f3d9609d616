#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Commits a defect only a debug kernel reports (use_after_free, see
# vmq_rig_debug.c) and still exits 0: the runner must fail it.
modprobe vmq_rig_debug || exit 1
echo 1 > /sys/module/vmq_rig_debug/parameters/use_after_free
rmmod vmq_rig_debug
exit 0
