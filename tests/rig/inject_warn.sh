#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fires a kernel WARNING and still exits 0: only the runner's watch on the
# kernel log and taint can fail this test, which is the point.
modprobe vmq_rig_warn || exit 1
echo 1 > /sys/module/vmq_rig_warn/parameters/trigger
rmmod vmq_rig_warn
exit 0
