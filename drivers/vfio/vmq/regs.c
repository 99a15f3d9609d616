// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vfio: the register region (include/uapi/linux/vmq.h), and the
 * queue's enable/disable/reset behind it.
 *
 * Everything a guest writes is untrusted: ring geometry is checked by the
 * core at enable, tails at each doorbell, descriptors by the NIC as it
 * reads them.  None of it can fail the VMM's write: like a real device,
 * the queue goes to its error state and raises the error interrupt.
 */

#include "vmq_vfio.h"

static struct vmq_guest_qp *vmq_vfio_gqp(struct vmq_vfio_dev *mvdev)
{
	return vmq_guest_qp(mvdev->vdev, mvdev->qp);
}

static bool vmq_vfio_running(struct vmq_vfio_dev *mvdev)
{
	return vmq_qp_state(mvdev->vdev, mvdev->qp) == VMQ_QP_RUNNING;
}

static u32 vmq_vfio_status(struct vmq_vfio_dev *mvdev)
{
	if (READ_ONCE(vmq_vfio_gqp(mvdev)->error))
		return VMQ_STATUS_ERROR;
	return vmq_vfio_running(mvdev) ? VMQ_STATUS_ENABLED : 0;
}

static int vmq_vfio_enable(struct vmq_vfio_dev *mvdev)
{
	struct vmq_guest_qp *gqp = vmq_vfio_gqp(mvdev);
	struct vmq_queue_state state = mvdev->regs;
	int err;

	if (READ_ONCE(gqp->error)) {
		dev_warn_ratelimited(mvdev->vfio.dev,
				     "enable ignored: queue in error state %u, reset it first\n",
				     gqp->error);
		return 0;
	}
	/* Resume where a disable left the device. */
	state.version = VMQ_STATE_VERSION;
	state.rx.head = gqp->rx.head;
	state.tx.head = gqp->tx.head;
	err = vmq_guest_qp_start(mvdev->vdev, mvdev->qp, &state);
	if (err == -EINVAL || err == -EFAULT) {
		vmq_guest_qp_error(gqp, err == -EINVAL ? VMQ_ERR_RING_CFG :
							 VMQ_ERR_DMA);
		return 0;
	}
	if (err)
		return err;
	mvdev->control = VMQ_CTRL_ENABLE;
	return 0;
}

/* Stop the queue's DMA, keeping its rings for a later enable. */
static void __vmq_vfio_disable(struct vmq_vfio_dev *mvdev)
{
	vmq_guest_qp_stop(mvdev->vdev, mvdev->qp);
	mvdev->control = 0;
}

static void __vmq_vfio_reset(struct vmq_vfio_dev *mvdev)
{
	vmq_guest_qp_clear(mvdev->vdev, mvdev->qp);
	memset(&mvdev->regs, 0, sizeof(mvdev->regs));
	mvdev->control = 0;
}

/**
 * vmq_vfio_reset() - stop the queue and clear its rings and error
 * @mvdev: the device.
 *
 * VFIO_DEVICE_RESET, CONTROL.RESET, and the VMM closing the device.
 */
void vmq_vfio_reset(struct vmq_vfio_dev *mvdev)
{
	mutex_lock(&mvdev->lock);
	__vmq_vfio_reset(mvdev);
	mutex_unlock(&mvdev->lock);
}

/**
 * vmq_vfio_release_dma() - the VMM closed the device: let go of its memory
 * @mvdev: the device, reset.
 *
 * Waits for an access the NIC left waiting on the VMM's memory; only this
 * VMM's close waits, holding no lock.
 */
void vmq_vfio_release_dma(struct vmq_vfio_dev *mvdev)
{
	vmq_guest_qp_drain(mvdev->vdev, mvdev->qp);
}

static int vmq_vfio_control(struct vmq_vfio_dev *mvdev, u32 val)
{
	bool running = vmq_vfio_running(mvdev);

	if (val & VMQ_CTRL_RESET) {
		__vmq_vfio_reset(mvdev);
		return 0;
	}
	if ((val & VMQ_CTRL_ENABLE) && !running)
		return vmq_vfio_enable(mvdev);
	if (!(val & VMQ_CTRL_ENABLE) && running)
		__vmq_vfio_disable(mvdev);
	return 0;
}

/* The ring registers: which ring, and which of base-low/base-high/size. */
static struct vmq_ring_state *vmq_vfio_ring_of(struct vmq_vfio_dev *mvdev,
					       u32 off, u32 *field)
{
	if (off >= VMQ_REG_RX_BASE_LO && off <= VMQ_REG_RX_SIZE) {
		*field = off - VMQ_REG_RX_BASE_LO;
		return &mvdev->regs.rx;
	}
	if (off >= VMQ_REG_TX_BASE_LO && off <= VMQ_REG_TX_SIZE) {
		*field = off - VMQ_REG_TX_BASE_LO;
		return &mvdev->regs.tx;
	}
	return NULL;
}

static u32 vmq_vfio_ring_get(const struct vmq_ring_state *ring, u32 field)
{
	switch (field) {
	case 0:
		return lower_32_bits(ring->base);
	case 4:
		return upper_32_bits(ring->base);
	default:
		return ring->size;
	}
}

static void vmq_vfio_ring_set(struct vmq_ring_state *ring, u32 field,
			      u32 val)
{
	switch (field) {
	case 0:
		ring->base = (ring->base & ~0xffffffffULL) | val;
		break;
	case 4:
		ring->base = (ring->base & 0xffffffffULL) | (u64)val << 32;
		break;
	default:
		ring->size = val;
	}
}

static int vmq_vfio_write_locked(struct vmq_vfio_dev *mvdev, u32 off,
				 u32 val)
{
	struct vmq_guest_qp *gqp = vmq_vfio_gqp(mvdev);
	struct vmq_ring_state *ring;
	u32 field, *head;

	switch (off) {
	case VMQ_REG_CONTROL:
		return vmq_vfio_control(mvdev, val);
	case VMQ_REG_RX_TAIL:
		mvdev->regs.rx.tail = val;
		vmq_guest_qp_doorbell(mvdev->vdev, mvdev->qp, false, val);
		return 0;
	case VMQ_REG_TX_TAIL:
		mvdev->regs.tx.tail = val;
		vmq_guest_qp_doorbell(mvdev->vdev, mvdev->qp, true, val);
		return 0;
	}
	ring = vmq_vfio_ring_of(mvdev, off, &field);
	if (!ring)
		return 0;	/* read-only or reserved: ignored */
	if (vmq_vfio_running(mvdev)) {
		dev_warn_ratelimited(mvdev->vfio.dev,
				     "ring register %#x written while enabled\n",
				     off);
		return -EBUSY;
	}
	if (vmq_vfio_ring_get(ring, field) == val)
		return 0;
	vmq_vfio_ring_set(ring, field, val);
	/*
	 * A ring moved or resized is a new ring: the device starts at its
	 * first descriptor, and HEAD never reads beyond SIZE.  The queue is
	 * stopped, so the engine does not move HEAD meanwhile.
	 */
	head = ring == &mvdev->regs.tx ? &gqp->tx.head : &gqp->rx.head;
	WRITE_ONCE(*head, 0);
	return 0;
}

/**
 * vmq_vfio_reg_write() - the VMM writes a register
 * @mvdev: the device.
 * @off: register offset, 4-byte aligned, inside the region.
 * @val: the value.
 *
 * Return: 0, or -EBUSY for a ring register of an enabled queue.
 */
int vmq_vfio_reg_write(struct vmq_vfio_dev *mvdev, u32 off, u32 val)
{
	int err;

	mutex_lock(&mvdev->lock);
	err = vmq_vfio_write_locked(mvdev, off, val);
	mutex_unlock(&mvdev->lock);
	return err;
}

static u32 vmq_vfio_read_locked(struct vmq_vfio_dev *mvdev, u32 off)
{
	struct vmq_guest_qp *gqp = vmq_vfio_gqp(mvdev);
	struct vmq_ring_state *ring;
	u32 min, max, field;

	vmq_guest_ring_limits(mvdev->vdev, &min, &max);
	switch (off) {
	case VMQ_REG_VERSION:
		return VMQ_VFIO_VERSION;
	case VMQ_REG_FEATURES:
		return VMQ_FEAT_VLAN | VMQ_FEAT_SPOOFCHK | VMQ_FEAT_MCAST;
	case VMQ_REG_STATUS:
		return vmq_vfio_status(mvdev);
	case VMQ_REG_CONTROL:
		return mvdev->control;
	case VMQ_REG_ERROR:
		return READ_ONCE(gqp->error);
	case VMQ_REG_MAC_LO:
		return mvdev->mac[0] | mvdev->mac[1] << 8 |
		       mvdev->mac[2] << 16 | (u32)mvdev->mac[3] << 24;
	case VMQ_REG_MAC_HI:
		return mvdev->mac[4] | mvdev->mac[5] << 8;
	case VMQ_REG_VLAN:
		return mvdev->vlan;
	case VMQ_REG_MAX_FRAME:
		return vmq_guest_max_frame(mvdev->vdev);
	case VMQ_REG_RING_MIN:
		return min;
	case VMQ_REG_RING_MAX:
		return max;
	case VMQ_REG_RX_TAIL:
		return mvdev->regs.rx.tail;
	case VMQ_REG_RX_HEAD:
		return READ_ONCE(gqp->rx.head);
	case VMQ_REG_TX_TAIL:
		return mvdev->regs.tx.tail;
	case VMQ_REG_TX_HEAD:
		return READ_ONCE(gqp->tx.head);
	}
	ring = vmq_vfio_ring_of(mvdev, off, &field);
	return ring ? vmq_vfio_ring_get(ring, field) : 0; /* reserved: 0 */
}

/**
 * vmq_vfio_reg_read() - the VMM reads a register
 * @mvdev: the device.
 * @off: register offset, 4-byte aligned, inside the region.
 * @val: the value read.
 *
 * Return: 0.
 */
int vmq_vfio_reg_read(struct vmq_vfio_dev *mvdev, u32 off, u32 *val)
{
	struct vmq_guest_qp *gqp = vmq_vfio_gqp(mvdev);
	u64 cnt;

	if (off >= VMQ_REG_COUNTER(0) && off < VMQ_REG_COUNTER(VMQ_CNT_MAX)) {
		cnt = atomic64_read(&gqp->cnt[(off - VMQ_REG_COUNTER(0)) / 8]);
		*val = off & 4 ? upper_32_bits(cnt) : lower_32_bits(cnt);
		return 0;
	}
	mutex_lock(&mvdev->lock);
	*val = vmq_vfio_read_locked(mvdev, off);
	mutex_unlock(&mvdev->lock);
	return 0;
}
