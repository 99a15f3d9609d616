// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: interrupt moderation per queue pair, set with
 * "ethtool -C" for the whole device or "ethtool --per-queue ... -C" for
 * some queues.  The driver reads a queue's settings in its data path with
 * vmq_qp_get_coalesce() and counts interrupts with vmq_qp_count_irq(), so
 * the frames per interrupt show in ethtool -S.
 */

#include <linux/ethtool.h>
#include "vmq_priv.h"

/* Defaults: batch at load, but a lone frame waits at most 20us. */
#define VMQ_COAL_USECS_DEFAULT	20
#define VMQ_COAL_FRAMES_DEFAULT	64
#define VMQ_COAL_USECS_MAX	10000
#define VMQ_COAL_FRAMES_MAX	4096

void vmq_coalesce_dev_init(struct vmq_dev *vdev)
{
	struct vmq_coalesce def = {
		.rx_usecs = VMQ_COAL_USECS_DEFAULT,
		.rx_frames = VMQ_COAL_FRAMES_DEFAULT,
		.tx_usecs = VMQ_COAL_USECS_DEFAULT,
		.tx_frames = VMQ_COAL_FRAMES_DEFAULT,
	};
	u32 i;

	for (i = 0; i < vdev->caps.num_qps; i++)
		vdev->qps[i].coal = def;
}

/**
 * vmq_qp_get_coalesce() - a queue pair's interrupt moderation
 * @vdev: the vmq device.
 * @qp: queue pair index.
 * @coal: filled in.
 *
 * An interrupt is due when @coal->rx_frames frames are waiting, or
 * @coal->rx_usecs after the first of them (0: at once); likewise for tx.
 *
 * Context: any; a torn read mixes an old and a new setting, harmlessly.
 */
void vmq_qp_get_coalesce(const struct vmq_dev *vdev, u32 qp,
			 struct vmq_coalesce *coal)
{
	const struct vmq_coalesce *c = &vdev->qps[qp].coal;

	coal->rx_usecs = READ_ONCE(c->rx_usecs);
	coal->rx_frames = READ_ONCE(c->rx_frames);
	coal->tx_usecs = READ_ONCE(c->tx_usecs);
	coal->tx_frames = READ_ONCE(c->tx_frames);
}
EXPORT_SYMBOL_GPL(vmq_qp_get_coalesce);

/**
 * vmq_qp_count_irq() - count an interrupt of a queue pair
 * @vdev: the vmq device.
 * @qp: queue pair index.
 *
 * Context: the vector's handler.
 */
void vmq_qp_count_irq(struct vmq_dev *vdev, u32 qp)
{
	atomic64_inc(&vdev->qps[qp].stats.irqs);
}
EXPORT_SYMBOL_GPL(vmq_qp_count_irq);

static void vmq_coal_to_ethtool(const struct vmq_coalesce *c,
				struct ethtool_coalesce *ec)
{
	ec->rx_coalesce_usecs = c->rx_usecs;
	ec->rx_max_coalesced_frames = c->rx_frames;
	ec->tx_coalesce_usecs = c->tx_usecs;
	ec->tx_max_coalesced_frames = c->tx_frames;
}

static int vmq_coal_from_ethtool(struct net_device *netdev,
				 const struct ethtool_coalesce *ec,
				 struct vmq_coalesce *c)
{
	if (ec->rx_coalesce_usecs > VMQ_COAL_USECS_MAX ||
	    ec->tx_coalesce_usecs > VMQ_COAL_USECS_MAX ||
	    ec->rx_max_coalesced_frames > VMQ_COAL_FRAMES_MAX ||
	    ec->tx_max_coalesced_frames > VMQ_COAL_FRAMES_MAX) {
		netdev_warn(netdev, "vmq: coalescing limits are %u usecs and %u frames\n",
			    VMQ_COAL_USECS_MAX, VMQ_COAL_FRAMES_MAX);
		return -EINVAL;
	}
	c->rx_usecs = ec->rx_coalesce_usecs;
	c->rx_frames = ec->rx_max_coalesced_frames ?: 1;
	c->tx_usecs = ec->tx_coalesce_usecs;
	c->tx_frames = ec->tx_max_coalesced_frames ?: 1;
	return 0;
}

static void vmq_qp_set_coalesce(struct vmq_qp *qp,
				const struct vmq_coalesce *c)
{
	WRITE_ONCE(qp->coal.rx_usecs, c->rx_usecs);
	WRITE_ONCE(qp->coal.rx_frames, c->rx_frames);
	WRITE_ONCE(qp->coal.tx_usecs, c->tx_usecs);
	WRITE_ONCE(qp->coal.tx_frames, c->tx_frames);
}

/**
 * vmq_ethtool_get_coalesce() - ethtool_ops.get_coalesce
 * @netdev: the NIC netdev.
 * @ec: filled with the default queue's settings.
 * @kec: unused.
 * @extack: unused.
 *
 * Return: 0.
 */
int vmq_ethtool_get_coalesce(struct net_device *netdev,
			     struct ethtool_coalesce *ec,
			     struct kernel_ethtool_coalesce *kec,
			     struct netlink_ext_ack *extack)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);
	struct vmq_coalesce c;

	vmq_qp_get_coalesce(vdev, VMQ_QP_DEFAULT, &c);
	vmq_coal_to_ethtool(&c, ec);
	return 0;
}
EXPORT_SYMBOL_GPL(vmq_ethtool_get_coalesce);

/**
 * vmq_ethtool_set_coalesce() - ethtool_ops.set_coalesce
 * @netdev: the NIC netdev.
 * @ec: the settings, for every queue pair.
 * @kec: unused.
 * @extack: unused.
 *
 * Return: 0, or -EINVAL beyond the limits.
 */
int vmq_ethtool_set_coalesce(struct net_device *netdev,
			     struct ethtool_coalesce *ec,
			     struct kernel_ethtool_coalesce *kec,
			     struct netlink_ext_ack *extack)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);
	struct vmq_coalesce c;
	u32 i;
	int err;

	err = vmq_coal_from_ethtool(netdev, ec, &c);
	if (err)
		return err;
	for (i = 0; i < vdev->caps.num_qps; i++)
		vmq_qp_set_coalesce(&vdev->qps[i], &c);
	return 0;
}
EXPORT_SYMBOL_GPL(vmq_ethtool_set_coalesce);

/**
 * vmq_ethtool_get_per_queue_coalesce() - ethtool_ops.get_per_queue_coalesce
 * @netdev: the NIC netdev.
 * @queue: queue pair index.
 * @ec: filled in.
 *
 * Return: 0, or -EINVAL for a queue pair that does not exist.
 */
int vmq_ethtool_get_per_queue_coalesce(struct net_device *netdev, u32 queue,
				       struct ethtool_coalesce *ec)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);
	struct vmq_coalesce c;

	if (queue >= vdev->caps.num_qps)
		return -EINVAL;
	vmq_qp_get_coalesce(vdev, queue, &c);
	vmq_coal_to_ethtool(&c, ec);
	return 0;
}
EXPORT_SYMBOL_GPL(vmq_ethtool_get_per_queue_coalesce);

/**
 * vmq_ethtool_set_per_queue_coalesce() - ethtool_ops.set_per_queue_coalesce
 * @netdev: the NIC netdev.
 * @queue: queue pair index.
 * @ec: the settings.
 *
 * Return: 0, or -EINVAL.
 */
int vmq_ethtool_set_per_queue_coalesce(struct net_device *netdev, u32 queue,
				       struct ethtool_coalesce *ec)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);
	struct vmq_coalesce c;
	int err;

	if (queue >= vdev->caps.num_qps)
		return -EINVAL;
	err = vmq_coal_from_ethtool(netdev, ec, &c);
	if (!err)
		vmq_qp_set_coalesce(&vdev->qps[queue], &c);
	return err;
}
EXPORT_SYMBOL_GPL(vmq_ethtool_set_per_queue_coalesce);
