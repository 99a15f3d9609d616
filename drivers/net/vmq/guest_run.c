// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: a guest queue pair's run, from the checks at its
 * start to the steps by which its owner lets go of guest memory.
 *
 * The guest is untrusted: every ring and virtqueue parameter is checked
 * here before the hardware sees it.  Once started, every page of the
 * rings is read through the owner, outside the device mutex as guest
 * memory may take its time: a ring the device cannot reach at enable is
 * the guest's error (VMQ_ERR_DMA), one it cannot reach later was
 * unmapped under it (VMQ_ERR_UNMAP).  Stop, abort, drain, release and
 * clear end a run in the order a VMM's exit or reset needs.  Doorbells
 * and kicks are here too: what they do depends on whether the queue
 * pair runs, and the owner serialises them with start and stop.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/log2.h>
#include "vmq_priv.h"

static int vmq_guest_ring_check(struct vmq_guest_qp *gqp, const char *what,
				const struct vmq_ring_state *ring, u32 min,
				u32 max)
{
	if (!is_power_of_2(ring->size) || ring->size < min ||
	    ring->size > max) {
		pr_warn_ratelimited("guest queue %s: %s ring size %u, want a power of 2 in %u..%u\n",
				    gqp->name, what, ring->size, min, max);
		return -EINVAL;
	}
	/* By its last byte: a ring may end at the top of the IOVA space. */
	if (!IS_ALIGNED(ring->base, VMQ_RING_ALIGN) ||
	    ring->base + (u64)ring->size * sizeof(struct vmq_desc) - 1 <
	    ring->base) {
		pr_warn_ratelimited("guest queue %s: %s ring base %#llx not %u-byte aligned or past the top of the IOVA space\n",
				    gqp->name, what, ring->base,
				    VMQ_RING_ALIGN);
		return -EINVAL;
	}
	if (ring->head >= ring->size || ring->tail >= ring->size) {
		pr_warn_ratelimited("guest queue %s: %s ring index %u/%u beyond size %u\n",
				    gqp->name, what, ring->head, ring->tail,
				    ring->size);
		return -EINVAL;
	}
	return 0;
}

/*
 * Read one byte of every page of a ring's area, [@base, @base + @len).
 * A ring the device cannot
 * reach at enable is the guest's error (VMQ_ERR_DMA); one it cannot
 * reach later was unmapped under it (VMQ_ERR_UNMAP): the engine can tell
 * the two apart only if enable checked.  Page by page, since a mapping
 * is made of pages.
 */
static int vmq_guest_area_reachable(struct vmq_guest_qp *gqp, const char *what,
				    u64 base, u64 len)
{
	u64 last = base + len - 1;
	u64 iova = base;
	u8 byte;

	for (;;) {
		if (vmq_guest_dma_rw(gqp, iova, &byte, 1, false)) {
			pr_warn_ratelimited("guest queue %s: %s ring at %#llx: %#llx not in mapped memory\n",
					    gqp->name, what, base, iova);
			return -EFAULT;
		}
		/* The next page, unless past the area or the top of the space. */
		iova = ALIGN_DOWN(iova, PAGE_SIZE) + PAGE_SIZE;
		if (!iova || iova > last)
			return 0;
	}
}

static int vmq_guest_ring_reachable(struct vmq_guest_qp *gqp, const char *what,
				    const struct vmq_ring_state *ring)
{
	return vmq_guest_area_reachable(gqp, what, ring->base,
					(u64)ring->size * sizeof(struct vmq_desc));
}

/**
 * vmq_guest_qp_start() - let the hardware run a guest's rings
 * @vdev: the vmq device.
 * @qp: a guest queue pair, not running.
 * @state: the rings, as the guest set them up or as saved by
 *	vmq_guest_qp_save() (possibly on another device).
 *
 * Context: process context, may sleep; the owner's task (the VMM), which
 * the driver's qp_start may charge for the engine's work (its cgroups).
 * Return: 0; -EINVAL for a bad ring (size not a power of two within the
 * device's limits, misaligned base, index beyond the size) or state
 * version; -EFAULT for a ring the device cannot reach (not in mapped
 * guest memory: the queue pair is then stopped in %VMQ_ERR_DMA); -EBUSY
 * while an access of its last run still waits for the VMM (see
 * vmq_guest_qp_stop()); the driver's error if it cannot start.
 */
int vmq_guest_qp_start(struct vmq_dev *vdev, u32 qp,
		       const struct vmq_queue_state *state)
{
	struct vmq_guest_qp *gqp = vdev->qps[qp].guest;
	int err;

	if (state->version != VMQ_STATE_VERSION) {
		pr_warn_ratelimited("guest queue %s: state version %u, want %u\n",
				    gqp->name, state->version,
				    VMQ_STATE_VERSION);
		return -EINVAL;
	}
	err = vmq_guest_ring_check(gqp, "rx", &state->rx, vdev->caps.ring_min,
				   vdev->caps.rx_ring_max);
	if (!err)
		err = vmq_guest_ring_check(gqp, "tx", &state->tx,
					   vdev->caps.ring_min,
					   vdev->caps.tx_ring_max);
	if (err)
		return err;

	mutex_lock(&vdev->lock);
	if (vdev->qps[qp].state == VMQ_QP_RUNNING) {
		err = -EBUSY;
		goto out;
	}
	gqp->rx = state->rx;
	gqp->tx = state->tx;
	gqp->rx_hash = state->flags & VMQ_STATE_F_RX_HASH;
	WRITE_ONCE(gqp->error, VMQ_ERR_NONE);
	WRITE_ONCE(gqp->rings_checked, false);
	err = vmq_qp_start(vdev, qp);
out:
	mutex_unlock(&vdev->lock);
	if (err)
		return err;
	/*
	 * Checked once started, so that a start refused while the last
	 * run's access still waits in guest memory (-EBUSY) does not wait
	 * behind it; and outside the device mutex, as guest memory may take
	 * its time.  Until checked, the engine calls a failing ring access
	 * VMQ_ERR_DMA too.
	 */
	err = vmq_guest_ring_reachable(gqp, "rx", &state->rx);
	if (!err)
		err = vmq_guest_ring_reachable(gqp, "tx", &state->tx);
	if (err) {
		vmq_guest_qp_error(gqp, VMQ_ERR_DMA);
		vmq_guest_qp_stop(vdev, qp);
		return err;
	}
	WRITE_ONCE(gqp->rings_checked, true);
	return 0;
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_start);

/* The virtqueue areas: where each starts, how long, how aligned. */
static void vmq_guest_vq_areas(const struct vmq_virtq *vq, u64 *base,
			       u64 *len, u32 *align)
{
	base[0] = vq->desc;
	len[0] = 16ULL * vq->num;
	align[0] = 16;
	base[1] = vq->avail;
	len[1] = 6 + 2ULL * vq->num;
	align[1] = 2;
	base[2] = vq->used;
	len[2] = 6 + 8ULL * vq->num;
	align[2] = 4;
}

/* A virtqueue's geometry as the virtio spec wants it for a split ring. */
static int vmq_guest_vq_check(struct vmq_guest_qp *gqp, const char *what,
			      const struct vmq_virtq *vq)
{
	u64 base[3], len[3];
	u32 align[3], i;

	if (!is_power_of_2(vq->num) || vq->num > VMQ_VIRTQ_MAX) {
		pr_warn_ratelimited("guest queue %s: %s virtqueue size %u, want a power of 2 up to %u\n",
				    gqp->name, what, vq->num, VMQ_VIRTQ_MAX);
		return -EINVAL;
	}
	vmq_guest_vq_areas(vq, base, len, align);
	for (i = 0; i < 3; i++) {
		if (IS_ALIGNED(base[i], align[i]) && base[i] + len[i] - 1 >= base[i])
			continue;
		pr_warn_ratelimited("guest queue %s: %s virtqueue area %u at %#llx misaligned or past the top\n",
				    gqp->name, what, i, base[i]);
		return -EINVAL;
	}
	return 0;
}

static int vmq_guest_vq_reachable(struct vmq_guest_qp *gqp, const char *what,
				  const struct vmq_virtq *vq)
{
	u64 base[3], len[3];
	u32 align[3], i;
	int err;

	vmq_guest_vq_areas(vq, base, len, align);
	for (i = 0; i < 3; i++) {
		/* Its own bytes: an area may end where the mapping does. */
		err = vmq_guest_area_reachable(gqp, what, base[i], len[i]);
		if (err)
			return err;
	}
	return 0;
}

/**
 * vmq_guest_qp_start_virtio() - let the hardware run a guest's virtqueues
 * @vdev: the vmq device.
 * @qp: a %VMQ_RING_VIRTIO guest queue pair, not running.
 * @vq: its receive and transmit virtqueues (VMQ_VQ_RX, VMQ_VQ_TX),
 *	with the indices to go on from.
 *
 * Context: process context, may sleep; the owner's task.
 * Return: 0; -EINVAL for a virtqueue of a bad size or misaligned;
 * -EFAULT for one the device cannot reach (the queue pair is then
 * stopped in %VMQ_ERR_DMA); -EBUSY as vmq_guest_qp_start(); the driver's
 * error if it cannot start.
 */
int vmq_guest_qp_start_virtio(struct vmq_dev *vdev, u32 qp,
			      const struct vmq_virtq *vq)
{
	struct vmq_guest_qp *gqp = vdev->qps[qp].guest;
	int err;

	err = vmq_guest_vq_check(gqp, "rx", &vq[VMQ_VQ_RX]);
	if (!err)
		err = vmq_guest_vq_check(gqp, "tx", &vq[VMQ_VQ_TX]);
	if (err)
		return err;
	mutex_lock(&vdev->lock);
	if (vdev->qps[qp].state == VMQ_QP_RUNNING) {
		err = -EBUSY;
		goto out;
	}
	memcpy(gqp->vq, vq, sizeof(gqp->vq));
	WRITE_ONCE(gqp->error, VMQ_ERR_NONE);
	WRITE_ONCE(gqp->rings_checked, false);
	err = vmq_qp_start(vdev, qp);
out:
	mutex_unlock(&vdev->lock);
	if (err)
		return err;
	err = vmq_guest_vq_reachable(gqp, "rx", &vq[VMQ_VQ_RX]);
	if (!err)
		err = vmq_guest_vq_reachable(gqp, "tx", &vq[VMQ_VQ_TX]);
	if (err) {
		vmq_guest_qp_error(gqp, VMQ_ERR_DMA);
		vmq_guest_qp_stop(vdev, qp);
		return err;
	}
	WRITE_ONCE(gqp->rings_checked, true);
	return 0;
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_start_virtio);

/**
 * vmq_guest_qp_stop() - stop a guest queue pair's DMA
 * @vdev: the vmq device.
 * @qp: a guest queue pair.
 *
 * On return the hardware starts no access to guest memory, writes
 * nothing back and notifies nothing, and the ring indices and the error
 * are final, for vmq_guest_qp_save().  It does not wait for an access
 * that waits for the VMM (a fault in guest memory the VMM does not
 * resolve): that one may still complete later, and restarting the queue
 * pair fails with -EBUSY until it has.  vmq_guest_qp_drain() waits for
 * it.
 *
 * Context: process context, may sleep; never waits for the VMM.
 */
void vmq_guest_qp_stop(struct vmq_dev *vdev, u32 qp)
{
	mutex_lock(&vdev->lock);
	vmq_qp_stop(vdev, qp);
	mutex_unlock(&vdev->lock);
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_stop);

/**
 * vmq_guest_qp_abort() - end a guest queue pair's wait in guest memory
 * @vdev: the vmq device.
 * @qp: a guest queue pair.
 *
 * Ends the access vmq_guest_qp_stop() left in progress, if it still waits
 * for the VMM's memory, without waiting for it to be over: it fails as
 * one a stop came during.  Where several queue pairs go at once (one
 * VMM's device), abort them all before draining any, as one's access may
 * wait for a lock another's holds (VFIO type1's container lock).  Of a
 * running queue pair, it ends the access in progress the same way, for
 * an owner whose VMM is dying: its &vmq_guest_ops.dma_rw then fails the
 * access as -ESHUTDOWN, and starts no other that could wait.
 *
 * Context: process context, may not sleep; takes no lock of the device.
 */
void vmq_guest_qp_abort(struct vmq_dev *vdev, u32 qp)
{
	if (vdev->ops->guest->qp_abort)
		vdev->ops->guest->qp_abort(vdev, qp);
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_abort);

/**
 * vmq_guest_qp_drain() - wait for a stopped guest queue pair's last access
 * @vdev: the vmq device.
 * @qp: a guest queue pair, stopped.
 *
 * The final wait before guest memory may go (the VMM closing its
 * device, or stopping it for migration): returns once the access
 * vmq_guest_qp_stop() left in progress, if any, is over.  The driver
 * ends an access still waiting for the VMM's memory (a fault its
 * userfaultfd never serves) rather than wait for it, as
 * vmq_guest_qp_abort() does: the VMM's exit may be what would serve it.
 * Takes no lock of the device.
 *
 * Context: process context.
 */
void vmq_guest_qp_drain(struct vmq_dev *vdev, u32 qp)
{
	if (vdev->ops->guest->qp_drain)
		vdev->ops->guest->qp_drain(vdev, qp);
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_drain);

/**
 * vmq_guest_qp_release() - the owner is done with a guest queue pair
 * @vdev: the vmq device.
 * @qp: a guest queue pair, stopped and drained.
 *
 * The owner let go of the queue pair (a VMM closed its device, a driver
 * unbound): the driver lets go of what it kept for the owner from one
 * run of the queue pair to the next, so that stopping and starting it
 * again (a guest toggling or resetting its queues) creates nothing on
 * the host.  vmq_guest_qp_free() releases too.  Takes no lock of the
 * device.
 *
 * Context: process context, may sleep.
 */
void vmq_guest_qp_release(struct vmq_dev *vdev, u32 qp)
{
	if (vdev->ops->guest->qp_release)
		vdev->ops->guest->qp_release(vdev, qp);
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_release);

/**
 * vmq_guest_qp_clear() - stop a guest queue pair and forget its rings
 * @vdev: the vmq device.
 * @qp: a guest queue pair.
 *
 * The reset of the guest's device: DMA stops as in vmq_guest_qp_stop(),
 * rings, the error and held frames (dropped, counted) are cleared, and
 * the queue pair is %VMQ_QP_ALLOCATED again, as one never enabled.  MAC,
 * VLAN, anti-spoofing, counters and whether the MAC matches stay.
 *
 * Context: process context, may sleep; never waits for the VMM.
 */
void vmq_guest_qp_clear(struct vmq_dev *vdev, u32 qp)
{
	struct vmq_guest_qp *gqp = vdev->qps[qp].guest;

	mutex_lock(&vdev->lock);
	vmq_qp_stop(vdev, qp);
	/* Admin views say "disabled", not "stopped", after a reset. */
	if (vdev->qps[qp].state == VMQ_QP_DMA_STOPPED)
		WRITE_ONCE(vdev->qps[qp].state, VMQ_QP_ALLOCATED);
	memset(&gqp->rx, 0, sizeof(gqp->rx));
	memset(&gqp->tx, 0, sizeof(gqp->tx));
	memset(gqp->vq, 0, sizeof(gqp->vq));
	WRITE_ONCE(gqp->error, VMQ_ERR_NONE);
	vmq_guest_held_purge(vdev, qp);
	mutex_unlock(&vdev->lock);
	vmq_devlink_guest_recheck(vdev);
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_clear);

/**
 * vmq_guest_qp_doorbell() - the guest wrote a ring's tail
 * @vdev: the vmq device.
 * @qp: a guest queue pair.
 * @tx: the transmit ring, else the receive ring.
 * @tail: the new tail.
 *
 * While the queue pair is stopped the tail is only recorded (a guest may
 * post before enabling).  While it runs a tail beyond the ring is a guest
 * error, and the driver is kicked once for the error; otherwise it is
 * kicked for the tail.  A storm of doorbells costs one
 * pass of the engine per batch: the driver coalesces kicks.
 *
 * Context: any; the owner serialises it with start and stop.
 * Return: 0, or -EINVAL for a tail out of range.
 */
int vmq_guest_qp_doorbell(struct vmq_dev *vdev, u32 qp, bool tx, u32 tail)
{
	struct vmq_guest_qp *gqp = vdev->qps[qp].guest;
	struct vmq_ring_state *ring = tx ? &gqp->tx : &gqp->rx;

	vmq_guest_count(gqp, VMQ_CNT_DOORBELLS, 1);
	if (READ_ONCE(vdev->qps[qp].state) != VMQ_QP_RUNNING) {
		WRITE_ONCE(ring->tail, tail);
		return 0;
	}
	if (tail >= ring->size) {
		/*
		 * The engine, kicked, finds the error and drops what waits
		 * for the receive ring: those frames will never land.
		 */
		if (vmq_guest_qp_error(gqp, VMQ_ERR_RING_INDEX))
			vdev->ops->guest->qp_kick(vdev, qp, false);
		return -EINVAL;
	}
	/* Descriptors the guest wrote before the doorbell are visible to
	 * the engine that sees the new tail.
	 */
	smp_store_release(&ring->tail, tail);
	vdev->ops->guest->qp_kick(vdev, qp, tx);
	return 0;
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_doorbell);

/**
 * vmq_guest_qp_kick() - the driver made virtqueue buffers available
 * @vdev: the vmq device.
 * @qp: a %VMQ_RING_VIRTIO guest queue pair.
 * @tx: the transmit virtqueue was kicked, not the receive one.
 *
 * The device reads the available rings itself: a kick only wakes it, and
 * is ignored while the queue pair does not run.
 *
 * Context: any; must not sleep.
 */
void vmq_guest_qp_kick(struct vmq_dev *vdev, u32 qp, bool tx)
{
	vmq_guest_count(vdev->qps[qp].guest, VMQ_CNT_DOORBELLS, 1);
	if (READ_ONCE(vdev->qps[qp].state) == VMQ_QP_RUNNING)
		vdev->ops->guest->qp_kick(vdev, qp, tx);
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_kick);
