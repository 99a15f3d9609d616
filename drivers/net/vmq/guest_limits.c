// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: the limits a guest queue pair lives within, as its
 * owner advertises them to the guest and the driver's engine applies
 * them: ring sizes (which vmq_guest_qp_start() enforces) and frame
 * lengths.
 *
 * The frame limits follow the NIC's MTU, so they may change while a
 * guest queue runs; a virtio-net owner's promised MTU caps them, as its
 * device must not pass a frame longer than its config space gave.
 */

#include <linux/if_vlan.h>
#include "vmq_priv.h"

/**
 * vmq_guest_ring_limits() - ring sizes a guest queue pair accepts
 * @vdev: the vmq device.
 * @min: smallest ring, in descriptors.
 * @max: largest ring, receive or transmit.
 */
void vmq_guest_ring_limits(struct vmq_dev *vdev, u32 *min, u32 *max)
{
	*min = vdev->caps.ring_min;
	*max = min(vdev->caps.rx_ring_max, vdev->caps.tx_ring_max);
}
EXPORT_SYMBOL_GPL(vmq_guest_ring_limits);

/**
 * vmq_guest_max_frame() - the largest frame a guest may send or receive
 * @vdev: the vmq device.
 *
 * A frame of the NIC's current MTU with one VLAN tag in band, as an
 * untagged queue sees a tagged frame: what receivers of that MTU accept.
 * It follows the MTU, so it may change while a guest queue runs.  The
 * driver drops (and counts) received frames that would be longer as the
 * guest sees them, so a receive buffer of this size always suffices.
 *
 * Context: any.
 * Return: bytes, FCS excluded.
 */
u32 vmq_guest_max_frame(struct vmq_dev *vdev)
{
	return READ_ONCE(vdev->netdev->mtu) + VLAN_ETH_HLEN;
}
EXPORT_SYMBOL_GPL(vmq_guest_max_frame);

/**
 * vmq_guest_qp_max_frame() - the largest frame a guest queue pair
 *	receives, and sends to the wire
 * @gqp: the guest queue pair.
 *
 * vmq_guest_max_frame(), but never more than the MTU its owner promised
 * the driver (@gqp->mtu) allows: a virtio-net device must not pass a
 * frame longer than the MTU its config space gave, whatever the NIC's
 * MTU became since.
 *
 * Context: any.
 * Return: bytes, FCS excluded.
 */
u32 vmq_guest_qp_max_frame(const struct vmq_guest_qp *gqp)
{
	u32 max = vmq_guest_max_frame(gqp->vdev);

	if (gqp->mtu)
		max = min(max, gqp->mtu + VLAN_ETH_HLEN);
	return max;
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_max_frame);

/**
 * vmq_guest_qp_tx_limit() - the longest frame a guest may hand the
 *	queue pair to send without a driver error
 * @gqp: the guest queue pair.
 *
 * The MTU its owner promised the driver, plus 18, if it promised one;
 * else vmq_guest_max_frame().  A frame within this limit but longer than
 * vmq_guest_qp_max_frame() (the NIC's MTU went down since the promise)
 * is the host's limit, not the driver's fault: the driver drops it and
 * counts it in the queue pair's tx_drops.
 *
 * Context: any.
 * Return: bytes, FCS excluded.
 */
u32 vmq_guest_qp_tx_limit(const struct vmq_guest_qp *gqp)
{
	return gqp->mtu ? gqp->mtu + VLAN_ETH_HLEN :
			  vmq_guest_max_frame(gqp->vdev);
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_tx_limit);
