#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Leaks 128 bytes from vmq_rig_debug and unloads it: the kmemleak check
# (scripts/guest/kmemleak.sh) must blame the module although its frames
# no longer resolve to names.
modprobe vmq_rig_debug || exit 1
sleep 1
echo 1 > /sys/module/vmq_rig_debug/parameters/leak
rmmod vmq_rig_debug
exit 0
