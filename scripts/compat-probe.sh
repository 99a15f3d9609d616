#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Feature tests against the kernel headers being built for, called by
# compat.mk.  Each probe looks for the API itself, not a version number,
# and prints a -DVMQ_HAVE_* flag that include/net/vmq_compat.h turns into
# one API.  Only what tells Debian's 6.1 and 6.12 apart belongs here.
#
#   scripts/compat-probe.sh SRCTREE

inc=$1/include

probe() {
	local name=$1 file=$2 regex=$3

	grep -Eqs -- "$regex" "$inc/$file" && echo "-DVMQ_HAVE_$name"
}

probe PAGE_POOL_HELPERS net/page_pool/helpers.h 'page_pool_dev_alloc_pages'
probe ETHTOOL_PUTS linux/ethtool.h 'void ethtool_puts'
probe EVENTFD_SIGNAL_1ARG linux/eventfd.h 'void eventfd_signal\(struct eventfd_ctx \*ctx\)'
probe VFIO_FREE_DEVICE linux/vfio.h 'void vfio_free_device'
probe VFIO_IOMMUFD_EMULATED linux/vfio.h 'vfio_iommufd_emulated_bind'
probe VFIO_MIG_DATA_SIZE linux/vfio.h 'migration_get_data_size'
probe VFIO_PRE_COPY uapi/linux/vfio.h 'VFIO_DEVICE_STATE_PRE_COPY = '
probe RXFH_PARAM linux/ethtool.h 'struct ethtool_rxfh_param \{'
probe QUEUE_NAPI linux/netdevice.h 'void netif_queue_set_napi\('
# devlink_param.set gained an extack (6.8); its arguments span lines.
grep -Pzqs 'gset_ctx \*ctx,\s*struct netlink_ext_ack \*extack\);' \
	"$inc/net/devlink.h" && echo -DVMQ_HAVE_DEVLINK_SET_EXTACK
exit 0
