#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Control case for the rig test: loads the WARN module without firing it.
modprobe vmq_rig_warn && rmmod vmq_rig_warn
