#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Feature tests against the kernel headers being built for, called by
# compat.mk.  Each probe looks for the API itself, not a version number,
# and prints a -DVMQ_HAVE_* flag that include/net/vmq_compat.h turns into
# one API.
#
#   scripts/compat-probe.sh SRCTREE

inc=$1/include

probe() {
	local name=$1 file=$2 regex=$3

	grep -Eqs -- "$regex" "$inc/$file" && echo "-DVMQ_HAVE_$name"
}

probe PAGE_POOL_HELPERS net/page_pool/helpers.h 'page_pool_dev_alloc_pages'
probe ETHTOOL_PUTS linux/ethtool.h 'void ethtool_puts'
probe QUEUE_SET_NAPI linux/netdevice.h 'void netif_queue_set_napi'
probe NETDEV_LLTX linux/netdevice.h 'unsigned long[[:space:]]+lltx:1'
probe CONST_BUS_TYPE linux/device/bus.h '\(\*show\)\(const struct bus_type'
probe IRQ_MOVE_PCNTXT linux/irq.h 'IRQ_MOVE_PCNTXT[[:space:]]*='
probe EVENTFD_SIGNAL_1ARG linux/eventfd.h 'void eventfd_signal\(struct eventfd_ctx \*ctx\)'
probe VFIO_FREE_DEVICE linux/vfio.h 'void vfio_free_device'
probe VFIO_IOMMUFD_EMULATED linux/vfio.h 'vfio_iommufd_emulated_bind'
exit 0
