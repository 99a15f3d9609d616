// SPDX-License-Identifier: GPL-2.0
/*
 * vmq: what live migration of a guest queue pair needs from the core.
 *
 * The owner (vmq_vfio) stops the queue pair keeping the frames the
 * hardware accepted and had not written to guest memory, takes its MAC
 * out of the classifier so that no frame reaches both hosts, saves what
 * the guest can see (struct vmq_queue_state), and on the destination
 * restores all of that onto a stopped queue pair before starting it.
 * The frames wait in the core (&vmq_guest_qp.held) while the queue pair
 * is stopped; the driver takes them back when it starts.
 */

#include <linux/etherdevice.h>
#include "vmq_priv.h"

/**
 * vmq_guest_qp_save() - the guest-visible state of a guest queue pair
 * @vdev: the vmq device.
 * @qp: a guest queue pair.
 * @state: filled in.
 *
 * A snapshot if the queue pair runs; exact once it is stopped.
 */
void vmq_guest_qp_save(struct vmq_dev *vdev, u32 qp,
		       struct vmq_queue_state *state)
{
	struct vmq_guest_qp *gqp = vdev->qps[qp].guest;

	memset(state, 0, sizeof(*state));
	state->version = VMQ_STATE_VERSION;
	state->size = sizeof(*state);
	if (READ_ONCE(vdev->qps[qp].state) == VMQ_QP_RUNNING)
		state->flags |= VMQ_STATE_F_ENABLED;
	state->error = READ_ONCE(gqp->error);
	state->rx.base = gqp->rx.base;
	state->rx.size = gqp->rx.size;
	state->rx.head = READ_ONCE(gqp->rx.head);
	state->rx.tail = READ_ONCE(gqp->rx.tail);
	state->tx.base = gqp->tx.base;
	state->tx.size = gqp->tx.size;
	state->tx.head = READ_ONCE(gqp->tx.head);
	state->tx.tail = READ_ONCE(gqp->tx.tail);
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_save);

/**
 * vmq_guest_qp_restore() - give a stopped guest queue pair a saved state
 * @vdev: the vmq device.
 * @qp: a guest queue pair, not running.
 * @state: as vmq_guest_qp_save() made it, maybe on another device.
 *
 * Rings, indices and the error become @state's; the error is neither
 * counted nor signalled again.  Whether the queue pair runs is the
 * owner's to decide (%VMQ_STATE_F_ENABLED): vmq_guest_qp_start() checks
 * the rings then.
 *
 * Context: process context, may sleep.
 * Return: 0, -EBUSY if the queue pair runs, -EINVAL for a state of
 * another version or an unknown error.
 */
int vmq_guest_qp_restore(struct vmq_dev *vdev, u32 qp,
			 const struct vmq_queue_state *state)
{
	struct vmq_guest_qp *gqp;
	int err = 0;

	if (state->version != VMQ_STATE_VERSION ||
	    state->size != sizeof(*state) || state->error > VMQ_ERR_UNMAP)
		return -EINVAL;
	mutex_lock(&vdev->lock);
	gqp = vdev->qps[qp].guest;
	if (vdev->qps[qp].state == VMQ_QP_RUNNING) {
		err = -EBUSY;
		goto out;
	}
	gqp->rx = state->rx;
	gqp->tx = state->tx;
	gqp->rx.rsvd = 0;
	gqp->tx.rsvd = 0;
	WRITE_ONCE(gqp->error, state->error);
out:
	mutex_unlock(&vdev->lock);
	return err;
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_restore);

/* Frames from now on are made up for the queue's MAC and VLAN of now. */
static void vmq_guest_held_begin(struct vmq_guest_qp *gqp)
{
	if (skb_queue_empty(&gqp->held))
		gqp->held_l2 = atomic64_read(&gqp->l2);
}

/*
 * Drop every held frame, each counted where the NIC's other drops of the
 * queue pair are: the guest's rx_drops and the NIC's qpN_rx_drops.
 */
void vmq_guest_held_purge(struct vmq_dev *vdev, u32 qp)
{
	struct vmq_guest_qp *gqp = vdev->qps[qp].guest;
	u32 n = skb_queue_len(&gqp->held);

	skb_queue_purge(&gqp->held);
	vmq_guest_count(gqp, VMQ_CNT_RX_DROPS, n);
	vmq_qp_count_rx_drop(vdev, qp, n);
}

/**
 * vmq_guest_qp_stop_hold() - stop a guest queue pair, keeping its frames
 * @vdev: the vmq device.
 * @qp: a guest queue pair.
 *
 * As vmq_guest_qp_stop(), but frames the hardware accepted and had not
 * written to guest memory stay with the queue pair (&vmq_guest_qp.held),
 * delivered first when it starts again, dropped if it is cleared.
 *
 * Context: process context, may sleep; never waits for the VMM.
 * Return: 0, or -EOPNOTSUPP if the driver cannot keep frames (the queue
 * pair is stopped all the same, its frames dropped).
 */
int vmq_guest_qp_stop_hold(struct vmq_dev *vdev, u32 qp)
{
	struct vmq_guest_qp *gqp;
	struct sk_buff_head held;
	int err = 0;

	__skb_queue_head_init(&held);
	mutex_lock(&vdev->lock);
	gqp = vdev->qps[qp].guest;
	if (vdev->ops->guest->qp_stop_held) {
		vmq_guest_held_begin(gqp);
		vmq_qp_stop_held(vdev, qp, &held);
		skb_queue_splice_tail_init(&held, &gqp->held);
	} else {
		vmq_qp_stop(vdev, qp);
		err = -EOPNOTSUPP;
	}
	mutex_unlock(&vdev->lock);
	return err;
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_stop_hold);

/**
 * vmq_guest_qp_hold() - give a stopped guest queue pair a frame to deliver
 * @vdev: the vmq device.
 * @qp: a guest queue pair, not running.
 * @skb: the frame as the guest will see it, linear; consumed.
 *
 * The frame goes after those already held, before anything the queue
 * pair receives once it starts.  A frame longer than vmq_guest_max_frame()
 * is dropped and counted, as the hardware drops it at admission.
 *
 * Context: process context, may sleep.
 * Return: 0 (also for a frame dropped), -EBUSY if the queue pair runs,
 * -EOPNOTSUPP if the driver cannot take held frames.
 */
int vmq_guest_qp_hold(struct vmq_dev *vdev, u32 qp, struct sk_buff *skb)
{
	struct vmq_guest_qp *gqp;
	int err = 0;

	mutex_lock(&vdev->lock);
	gqp = vdev->qps[qp].guest;
	if (!vdev->ops->guest->qp_stop_held) {
		err = -EOPNOTSUPP;
	} else if (vdev->qps[qp].state == VMQ_QP_RUNNING) {
		err = -EBUSY;
	} else if (skb->len > vmq_guest_qp_max_frame(gqp) ||
		   skb_is_nonlinear(skb)) {
		vmq_guest_count(gqp, VMQ_CNT_RX_DROPS, 1);
		vmq_qp_count_rx_drop(vdev, qp, 1);
	} else {
		vmq_guest_held_begin(gqp);
		skb_queue_tail(&gqp->held, skb);
		skb = NULL;
	}
	mutex_unlock(&vdev->lock);
	kfree_skb(skb);
	return err;
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_hold);

/**
 * vmq_guest_qp_take_held() - the driver takes the held frames at start
 * @gqp: the guest queue pair, being started.
 * @to: where they go, after what it holds.
 * @room: how many @to takes; the rest are dropped and counted.
 *
 * For &vmq_guest_hw_ops.qp_start.  Frames made up for a MAC or VLAN the
 * admin has changed since are all dropped.
 *
 * Context: the driver's qp_start.
 * Return: the number of frames dropped, for the driver's own counters.
 */
u32 vmq_guest_qp_take_held(struct vmq_guest_qp *gqp, struct sk_buff_head *to,
			   u32 room)
{
	struct sk_buff *skb;
	u32 dropped = 0;

	if (gqp->held_l2 != atomic64_read(&gqp->l2))
		room = 0;
	while ((skb = skb_dequeue(&gqp->held))) {
		if (room) {
			skb_queue_tail(to, skb);
			room--;
			continue;
		}
		kfree_skb(skb);
		dropped++;
	}
	vmq_guest_count(gqp, VMQ_CNT_RX_DROPS, dropped);
	return dropped;
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_take_held);

/**
 * vmq_guest_qp_match() - let a guest queue pair's MAC steer frames or not
 * @vdev: the vmq device.
 * @qp: a guest queue pair.
 * @match: true: its filter is installed again (the admin's MAC and VLAN
 *	as they are now); false: it is taken out, and frames to the MAC go
 *	where unmatched frames go.
 *
 * Live migration moves the MAC with the VM: the source stops matching
 * when it stops, the destination starts when it runs.  Admin changes
 * meanwhile are recorded and applied by the next @match.
 *
 * Context: process context, may sleep.
 * Return: 0, or why the filter cannot come back (-EEXIST: another queue
 * has that MAC and VLAN now; -ENOSPC: the table is full); the queue pair
 * then has no filter until the admin sets its MAC again.  Not logged:
 * the caller says why, as often as it lets its VMM make it.
 */
int vmq_guest_qp_match(struct vmq_dev *vdev, u32 qp, bool match)
{
	struct vmq_guest_qp *gqp;
	u8 mac[ETH_ALEN];
	int err = 0;
	u16 vlan;

	mutex_lock(&vdev->lock);
	gqp = vdev->qps[qp].guest;
	if (!match) {
		if (gqp->loc != VMQ_LOC_ANY)
			__vmq_filter_del(vdev, gqp->loc);
		gqp->loc = VMQ_LOC_ANY;
		gqp->unmatched = true;
	} else if (gqp->unmatched) {
		vlan = vmq_guest_qp_l2(gqp, mac);
		err = vmq_guest_filter_move(vdev, qp, gqp, mac, vlan);
		gqp->unmatched = false;
	}
	mutex_unlock(&vdev->lock);
	return err;
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_match);
