# SPDX-License-Identifier: GPL-2.0
#
# Feature tests against the kernel being built for (scripts/compat-probe.sh),
# as -DVMQ_HAVE_* flags for include/net/vmq_compat.h.

VMQ_COMPAT_FLAGS := $(shell $(VMQ_ROOT)/scripts/compat-probe.sh $(srctree))
export VMQ_COMPAT_FLAGS
