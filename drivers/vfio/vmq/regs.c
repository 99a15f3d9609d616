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

/**
 * vmq_vfio_enable() - start the queue on the rings the guest set up
 * @mvdev: the device, its register lock held.
 *
 * A ring the core refuses puts the queue into its error state instead.
 *
 * Return: 0, or why the queue could not start (not the guest's doing).
 */
int vmq_vfio_enable(struct vmq_vfio_dev *mvdev)
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

/*
 * The ABI lays out both rings' registers alike: a transmit ring register
 * is its receive twin's offset plus this.
 */
#define VMQ_VFIO_TX_REGS	(VMQ_REG_TX_BASE_LO - VMQ_REG_RX_BASE_LO)

/*
 * The ring geometry registers: which ring, and which of its registers,
 * named by the receive ring's offset (VMQ_REG_RX_BASE_LO, _BASE_HI or
 * _SIZE) whichever ring it is.
 */
static struct vmq_ring_state *vmq_vfio_ring_of(struct vmq_vfio_dev *mvdev,
					       u32 off, u32 *reg)
{
	if (off >= VMQ_REG_RX_BASE_LO && off <= VMQ_REG_RX_SIZE) {
		*reg = off;
		return &mvdev->regs.rx;
	}
	if (off >= VMQ_REG_TX_BASE_LO && off <= VMQ_REG_TX_SIZE) {
		*reg = off - VMQ_VFIO_TX_REGS;
		return &mvdev->regs.tx;
	}
	return NULL;
}

static u32 vmq_vfio_ring_get(const struct vmq_ring_state *ring, u32 reg)
{
	switch (reg) {
	case VMQ_REG_RX_BASE_LO:
		return lower_32_bits(ring->base);
	case VMQ_REG_RX_BASE_HI:
		return upper_32_bits(ring->base);
	default:	/* VMQ_REG_RX_SIZE */
		return ring->size;
	}
}

static void vmq_vfio_ring_set(struct vmq_ring_state *ring, u32 reg, u32 val)
{
	switch (reg) {
	case VMQ_REG_RX_BASE_LO:
		ring->base = (u64)upper_32_bits(ring->base) << 32 | val;
		break;
	case VMQ_REG_RX_BASE_HI:
		ring->base = (u64)val << 32 | lower_32_bits(ring->base);
		break;
	default:	/* VMQ_REG_RX_SIZE */
		ring->size = val;
	}
}

static int vmq_vfio_write_locked(struct vmq_vfio_dev *mvdev, u32 off,
				 u32 val)
{
	struct vmq_guest_qp *gqp = vmq_vfio_gqp(mvdev);
	struct vmq_ring_state *ring;
	u32 reg, *head;

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
	ring = vmq_vfio_ring_of(mvdev, off, &reg);
	if (!ring)
		return 0;	/* read-only or reserved: ignored */
	if (vmq_vfio_running(mvdev)) {
		dev_warn_ratelimited(mvdev->vfio.dev,
				     "ring register %#x written while enabled\n",
				     off);
		return -EBUSY;
	}
	if (vmq_vfio_ring_get(ring, reg) == val)
		return 0;
	vmq_vfio_ring_set(ring, reg, val);
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
 * Return: 0, or -EBUSY for a ring register of an enabled queue, or any
 * register while the device is stopped for migration.
 */
int vmq_vfio_reg_write(struct vmq_vfio_dev *mvdev, u32 off, u32 val)
{
	int err;

	mutex_lock(&mvdev->lock);
	if (mvdev->mig_stopped) {
		dev_warn_ratelimited(mvdev->vfio.dev,
				     "register %#x written while stopped for migration\n",
				     off);
		err = -EBUSY;
	} else {
		err = vmq_vfio_write_locked(mvdev, off, val);
	}
	mutex_unlock(&mvdev->lock);
	return err;
}

/* MAC_LO, MAC_HI or VLAN: the admin's settings, as the core holds them. */
static u32 vmq_vfio_l2_reg(const struct vmq_guest_qp *gqp, u32 off)
{
	u8 mac[ETH_ALEN];
	u16 vlan;

	vlan = vmq_guest_qp_l2(gqp, mac);
	switch (off) {
	case VMQ_REG_MAC_LO:
		return mac[0] | mac[1] << 8 | mac[2] << 16 | (u32)mac[3] << 24;
	case VMQ_REG_MAC_HI:
		return mac[4] | mac[5] << 8;
	default:	/* VMQ_REG_VLAN */
		return vlan;
	}
}

static u32 vmq_vfio_read_locked(struct vmq_vfio_dev *mvdev, u32 off)
{
	struct vmq_guest_qp *gqp = vmq_vfio_gqp(mvdev);
	struct vmq_ring_state *ring;
	u32 min, max, reg;

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
	case VMQ_REG_MAC_HI:
	case VMQ_REG_VLAN:
		return vmq_vfio_l2_reg(gqp, off);
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
	ring = vmq_vfio_ring_of(mvdev, off, &reg);
	return ring ? vmq_vfio_ring_get(ring, reg) : 0; /* reserved: 0 */
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
	u32 idx;
	u64 cnt;

	/* Each counter is two registers, the low half first. */
	if (off >= VMQ_REG_COUNTER(0) && off < VMQ_REG_COUNTER(VMQ_CNT_MAX)) {
		idx = (off - VMQ_REG_COUNTER(0)) /
		      (VMQ_REG_COUNTER(1) - VMQ_REG_COUNTER(0));
		cnt = atomic64_read(&gqp->cnt[idx]);
		*val = off == VMQ_REG_COUNTER(idx) ? lower_32_bits(cnt) :
						     upper_32_bits(cnt);
		return 0;
	}
	mutex_lock(&mvdev->lock);
	*val = vmq_vfio_read_locked(mvdev, off);
	mutex_unlock(&mvdev->lock);
	return 0;
}
