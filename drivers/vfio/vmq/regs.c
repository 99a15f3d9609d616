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

/* Queue @q runs: the NIC may DMA for it. */
static bool vmq_vfio_q_running(struct vmq_vfio_dev *mvdev, u32 q)
{
	return vmq_qp_state(mvdev->vdev, mvdev->qp + q) == VMQ_QP_RUNNING;
}

/*
 * Queue @q's rings are the device's: it runs, or it entered its error
 * state with ENABLE set.  Such a queue stays enabled in the registers'
 * view until a reset or ENABLE cleared, also once migration's STOP
 * stopped it or it was restored in error, so that a guest in error
 * cannot move its rings under a CONTROL that reads ENABLE.
 */
static bool vmq_vfio_q_rings_held(struct vmq_vfio_dev *mvdev, u32 q)
{
	return vmq_vfio_q_running(mvdev, q) ||
	       ((mvdev->control & VMQ_CTRL_ENABLE) &&
		READ_ONCE(vmq_vfio_qgqp(mvdev, q)->error));
}

/* The error of the lowest queue in error, or VMQ_ERR_NONE. */
static u32 vmq_vfio_error(struct vmq_vfio_dev *mvdev)
{
	u32 q, err;

	for (q = 0; q < mvdev->nr_queues; q++) {
		err = READ_ONCE(vmq_vfio_qgqp(mvdev, q)->error);
		if (err)
			return err;
	}
	return VMQ_ERR_NONE;
}

/*
 * ENABLED while any queue runs (the device may DMA), ERROR while any is in
 * error: on a qp4 a guest error stops its queue alone, so both may hold.
 * A queue in error stays started in the core's view until a reset or
 * ENABLE cleared, but does no DMA.
 */
static u32 vmq_vfio_status(struct vmq_vfio_dev *mvdev)
{
	u32 st = vmq_vfio_error(mvdev) ? VMQ_STATUS_ERROR : 0, q;

	for (q = 0; q < mvdev->nr_queues; q++) {
		if (vmq_vfio_q_running(mvdev, q) &&
		    !READ_ONCE(vmq_vfio_qgqp(mvdev, q)->error))
			return st | VMQ_STATUS_ENABLED;
	}
	return st;
}

/**
 * vmq_vfio_features() - what the FEATURES register reads
 * @mvdev: the device.
 *
 * Return: VMQ_FEAT_* bits; RSS and the hash only with several queues.
 */
u32 vmq_vfio_features(struct vmq_vfio_dev *mvdev)
{
	u32 feat = VMQ_FEAT_VLAN | VMQ_FEAT_SPOOFCHK | VMQ_FEAT_MCAST;

	if (mvdev->nr_queues > 1)
		feat |= VMQ_FEAT_RSS | VMQ_FEAT_RX_HASH;
	return feat;
}

/* Whether queue @q starts at enable: queue 0, and any with a ring set. */
static bool vmq_vfio_q_used(struct vmq_vfio_dev *mvdev, u32 q)
{
	return !q || mvdev->q[q].regs.rx.size || mvdev->q[q].regs.tx.size;
}

/*
 * vmq_guest_qp_start()'s refusals that are the guest's doing: a bad ring
 * (-EINVAL), a ring outside its mapped memory (-EFAULT).
 */
static bool vmq_vfio_guest_err(int err)
{
	return err == -EINVAL || err == -EFAULT;
}

/*
 * Start queue @q on the rings the guest set up.  A ring the core refuses
 * (vmq_vfio_guest_err()) puts the queue into its error state.
 */
static int vmq_vfio_q_enable(struct vmq_vfio_dev *mvdev, u32 q, u32 control)
{
	struct vmq_guest_qp *gqp = vmq_vfio_qgqp(mvdev, q);
	struct vmq_queue_state state = mvdev->q[q].regs;
	int err;

	/* Resume where a disable left the device. */
	state.version = VMQ_STATE_VERSION;
	state.flags = control & VMQ_CTRL_RX_HASH ? VMQ_STATE_F_RX_HASH : 0;
	state.rx.head = gqp->rx.head;
	state.tx.head = gqp->tx.head;
	err = vmq_guest_qp_start(mvdev->vdev, mvdev->qp + q, &state);
	if (vmq_vfio_guest_err(err))
		vmq_guest_qp_error(gqp, err == -EINVAL ? VMQ_ERR_RING_CFG :
							 VMQ_ERR_DMA);
	return err;
}

static void vmq_vfio_stop_all(struct vmq_vfio_dev *mvdev)
{
	u32 q;

	for (q = 0; q < mvdev->nr_queues; q++)
		vmq_guest_qp_stop(mvdev->vdev, mvdev->qp + q);
}

/*
 * The guest sets CONTROL.ENABLE: queue 0 and every other queue with a
 * ring set start, all or none; a queue whose rings are refused goes
 * into its error state and none runs.  CONTROL keeps whether
 * completions carry the hash.  A device with a queue in error stays
 * stopped until reset.
 *
 * Return: 0, or why the queues could not start (not the guest's doing).
 * Unless all started, none runs and CONTROL.ENABLE stays clear.
 */
static int vmq_vfio_enable(struct vmq_vfio_dev *mvdev)
{
	u32 q, control = mvdev->control | VMQ_CTRL_ENABLE;
	int err = 0;

	if (vmq_vfio_error(mvdev)) {
		dev_warn_ratelimited(mvdev->vfio.dev,
				     "enable ignored: queue in error state %u, reset it first\n",
				     vmq_vfio_error(mvdev));
		return 0;
	}
	for (q = 0; !err && q < mvdev->nr_queues; q++)
		if (vmq_vfio_q_used(mvdev, q))
			err = vmq_vfio_q_enable(mvdev, q, control);
	if (err) {
		/*
		 * A queue the guest's rings keep from starting stops the
		 * others too: a device with a queue in error does not
		 * start, and none may be left running with ENABLE clear.
		 */
		vmq_vfio_stop_all(mvdev);
		return vmq_vfio_guest_err(err) ? 0 : err;
	}
	mvdev->control = control;
	return 0;
}

/**
 * vmq_vfio_restart() - restart the queues the guest had running
 * @mvdev: the device, CONTROL.ENABLE set, its queues stopped for
 *	migration; its register lock held.
 *
 * STOP to RUNNING.  Each queue that ENABLE started and that is not in
 * error starts again where it stopped.  A queue in error stays stopped
 * with its error, as it was before STOP: starting it would clear the
 * error, which only a reset does.  A queue whose rings the guest can no
 * longer reach (unmapped while stopped) goes into error alone, as such
 * an error at run time does; the others run.
 *
 * Return: 0, or why a queue could not start (not the guest's doing);
 * none runs then, and the device is stopped as STOP left it: frames
 * the queues that started had not delivered are held again.  The caller
 * then waits for their DMA with vmq_vfio_release_dma(), without the
 * lock, as STOP does.
 */
int vmq_vfio_restart(struct vmq_vfio_dev *mvdev)
{
	int err;
	u32 q;

	for (q = 0; q < mvdev->nr_queues; q++) {
		if (!vmq_vfio_q_used(mvdev, q) ||
		    READ_ONCE(vmq_vfio_qgqp(mvdev, q)->error))
			continue;
		err = vmq_vfio_q_enable(mvdev, q, mvdev->control);
		if (err && !vmq_vfio_guest_err(err)) {
			for (q = 0; q < mvdev->nr_queues; q++)
				vmq_guest_qp_stop_hold(mvdev->vdev,
						       mvdev->qp + q);
			return err;
		}
	}
	return 0;
}

/* Stop the queues' DMA, keeping their rings for a later enable. */
static void __vmq_vfio_disable(struct vmq_vfio_dev *mvdev)
{
	vmq_vfio_stop_all(mvdev);
	mvdev->control &= ~VMQ_CTRL_ENABLE;
}

static void __vmq_vfio_reset(struct vmq_vfio_dev *mvdev)
{
	u32 q;

	for (q = 0; q < mvdev->nr_queues; q++) {
		vmq_guest_qp_clear(mvdev->vdev, mvdev->qp + q);
		memset(&mvdev->q[q].regs, 0, sizeof(mvdev->q[q].regs));
	}
	mvdev->control = 0;
	if (mvdev->nr_queues > 1) {
		memset(&mvdev->rss, 0, sizeof(mvdev->rss));
		vmq_vfio_rss_load(mvdev);
	}
}

/**
 * vmq_vfio_reset() - stop the queues and clear their rings and errors
 * @mvdev: the device.
 *
 * VFIO_DEVICE_RESET, CONTROL.RESET, and the VMM closing the device.  The
 * RSS key and table go back to zero.
 */
void vmq_vfio_reset(struct vmq_vfio_dev *mvdev)
{
	mutex_lock(&mvdev->lock);
	__vmq_vfio_reset(mvdev);
	mutex_unlock(&mvdev->lock);
}

/**
 * vmq_vfio_release_dma() - wait until the stopped queues leave guest memory
 * @mvdev: the device, its queues stopped (reset, or STOP).
 *
 * Ends an access the NIC left waiting on the VMM's memory and waits
 * until it is over; only this VMM's close or migration waits, holding
 * no lock.
 */
void vmq_vfio_release_dma(struct vmq_vfio_dev *mvdev)
{
	u32 q;

	/* All first: one queue's access may wait for a lock another's holds. */
	for (q = 0; q < mvdev->nr_queues; q++)
		vmq_guest_qp_abort(mvdev->vdev, mvdev->qp + q);
	for (q = 0; q < mvdev->nr_queues; q++)
		vmq_guest_qp_drain(mvdev->vdev, mvdev->qp + q);
}

/**
 * vmq_vfio_rss_load() - make the RSS registers the NIC's
 * @mvdev: the device, with several queues, its register lock held.
 *
 * Return: 0, or the driver's error: the NIC keeps the old table.
 */
int vmq_vfio_rss_load(struct vmq_vfio_dev *mvdev)
{
	int err;

	/* A guest reloading what the NIC has costs it no table write. */
	if (!memcmp(&mvdev->rss, &mvdev->rss_loaded, sizeof(mvdev->rss)))
		return 0;
	err = vmq_guest_vport_rss(mvdev->vdev, mvdev->qp, mvdev->rss.key,
				  mvdev->rss.table);
	if (err) {
		dev_warn_ratelimited(mvdev->vfio.dev, "RSS load failed: %d\n",
				     err);
		return err;
	}
	mvdev->rss_loaded = mvdev->rss;
	return 0;
}

static int vmq_vfio_control(struct vmq_vfio_dev *mvdev, u32 val)
{
	/*
	 * A queue runs only while ENABLE is set: ENABLE, not queue 0's
	 * state, says whether any may run (queue 0 refused at ENABLE
	 * once left the others running).
	 */
	bool enabled = mvdev->control & VMQ_CTRL_ENABLE;

	if (val & VMQ_CTRL_RESET) {
		__vmq_vfio_reset(mvdev);
		return 0;
	}
	/* The hash is chosen with the enable, and only where it exists. */
	if (!enabled && (vmq_vfio_features(mvdev) & VMQ_FEAT_RX_HASH))
		mvdev->control = (mvdev->control & ~VMQ_CTRL_RX_HASH) |
				 (val & VMQ_CTRL_RX_HASH);
	if (!(val & VMQ_CTRL_ENABLE)) {
		if (enabled)
			__vmq_vfio_disable(mvdev);
		return 0;
	}
	/* Set again: nothing to start, but a queue in error is logged. */
	if (enabled && !vmq_vfio_error(mvdev))
		return 0;
	return vmq_vfio_enable(mvdev);
}

/*
 * The ABI lays out both rings' registers alike: a transmit ring register
 * is its receive twin's offset plus this.
 */
#define VMQ_VFIO_TX_REGS	(VMQ_REG_TX_BASE_LO - VMQ_REG_RX_BASE_LO)
/* A queue's register block: VMQ_REG_RX_BASE_LO up to this. */
#define VMQ_VFIO_QREGS_END	(VMQ_REG_QUEUE(1) - VMQ_REG_QUEUE(0) + \
				 VMQ_REG_RX_BASE_LO)

/*
 * The queues with register blocks of their own (VMQ_REG_QUEUE(),
 * VMQ_REG_QCOUNTER()): every queue of a device with RSS; none of a device
 * without, whose queue 0 is at the single-queue offsets alone and whose
 * blocks are offsets no register uses.
 */
static u32 vmq_vfio_qblocks(struct vmq_vfio_dev *mvdev)
{
	return mvdev->nr_queues > 1 ? mvdev->nr_queues : 0;
}

/*
 * Which queue a register offset is of, and the register, as queue 0's
 * offset (VMQ_REG_RX_BASE_LO..VMQ_REG_Q_ERROR).  False if it is no
 * queue's.
 */
static bool vmq_vfio_q_reg(struct vmq_vfio_dev *mvdev, u32 off, u32 *q,
			   u32 *reg)
{
	u32 block = VMQ_REG_QUEUE(1) - VMQ_REG_QUEUE(0);

	if (off >= VMQ_REG_RX_BASE_LO && off < VMQ_VFIO_QREGS_END) {
		*q = 0;
		*reg = off;
		return true;
	}
	if (off < VMQ_REG_QUEUE(0) ||
	    off >= VMQ_REG_QUEUE(vmq_vfio_qblocks(mvdev)))
		return false;
	*q = (off - VMQ_REG_QUEUE(0)) / block;
	*reg = (off - VMQ_REG_QUEUE(0)) % block + VMQ_REG_RX_BASE_LO;
	return true;
}

/*
 * The ring geometry registers: which ring, and which of its registers,
 * named by the receive ring's offset (VMQ_REG_RX_BASE_LO, _BASE_HI or
 * _SIZE) whichever ring it is.
 */
static struct vmq_ring_state *vmq_vfio_ring_of(struct vmq_queue_state *regs,
					       u32 off, u32 *reg)
{
	if (off >= VMQ_REG_RX_BASE_LO && off <= VMQ_REG_RX_SIZE) {
		*reg = off;
		return &regs->rx;
	}
	if (off >= VMQ_REG_TX_BASE_LO && off <= VMQ_REG_TX_SIZE) {
		*reg = off - VMQ_VFIO_TX_REGS;
		return &regs->tx;
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

/* A write to queue @q's register @reg (as queue 0's offset). */
static int vmq_vfio_q_write(struct vmq_vfio_dev *mvdev, u32 q, u32 reg,
			    u32 val)
{
	struct vmq_guest_qp *gqp = vmq_vfio_qgqp(mvdev, q);
	struct vmq_queue_state *regs = &mvdev->q[q].regs;
	struct vmq_ring_state *ring;
	u32 ring_reg, *head;

	switch (reg) {
	case VMQ_REG_RX_TAIL:
		regs->rx.tail = val;
		vmq_guest_qp_doorbell(mvdev->vdev, mvdev->qp + q, false, val);
		return 0;
	case VMQ_REG_TX_TAIL:
		regs->tx.tail = val;
		vmq_guest_qp_doorbell(mvdev->vdev, mvdev->qp + q, true, val);
		return 0;
	}
	ring = vmq_vfio_ring_of(regs, reg, &ring_reg);
	if (!ring)
		return 0;	/* read-only or reserved: ignored */
	if (vmq_vfio_q_rings_held(mvdev, q)) {
		dev_warn_ratelimited(mvdev->vfio.dev,
				     "queue %u ring register %#x written while enabled\n",
				     q, reg);
		return -EBUSY;
	}
	if (vmq_vfio_ring_get(ring, ring_reg) == val)
		return 0;
	vmq_vfio_ring_set(ring, ring_reg, val);
	/*
	 * A ring moved or resized is a new ring: the device starts at its
	 * first descriptor, and HEAD never reads beyond SIZE.  The queue is
	 * stopped, so the engine does not move HEAD meanwhile.
	 */
	head = ring == &regs->tx ? &gqp->tx.head : &gqp->rx.head;
	WRITE_ONCE(*head, 0);
	return 0;
}

/* RSS_KEY or RSS_TABLE: 4 bytes of the guest's copy, lowest first. */
static u8 *vmq_vfio_rss_reg(struct vmq_vfio_dev *mvdev, u32 off)
{
	if (mvdev->nr_queues < 2)
		return NULL;
	if (off >= VMQ_REG_RSS_KEY(0) &&
	    off < VMQ_REG_RSS_KEY(VMQ_RSS_KEY_SIZE / 4))
		return mvdev->rss.key + (off - VMQ_REG_RSS_KEY(0));
	if (off >= VMQ_REG_RSS_TABLE(0) &&
	    off < VMQ_REG_RSS_TABLE(VMQ_RSS_TABLE_SIZE / 4))
		return mvdev->rss.table + (off - VMQ_REG_RSS_TABLE(0));
	return NULL;
}

static int vmq_vfio_write_locked(struct vmq_vfio_dev *mvdev, u32 off,
				 u32 val)
{
	u32 q, reg;
	u8 *rss;

	if (off == VMQ_REG_CONTROL)
		return vmq_vfio_control(mvdev, val);
	if (off == VMQ_REG_RSS_LOAD)
		return mvdev->nr_queues > 1 ? vmq_vfio_rss_load(mvdev) : 0;
	if (vmq_vfio_q_reg(mvdev, off, &q, &reg))
		return vmq_vfio_q_write(mvdev, q, reg, val);
	rss = vmq_vfio_rss_reg(mvdev, off);
	if (rss) {
		__le32 le = cpu_to_le32(val);

		memcpy(rss, &le, sizeof(le));
	}
	return 0;	/* read-only or reserved: ignored */
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

/* A read of queue @q's register @reg (as queue 0's offset). */
static u32 vmq_vfio_q_read(struct vmq_vfio_dev *mvdev, u32 q, u32 reg)
{
	struct vmq_guest_qp *gqp = vmq_vfio_qgqp(mvdev, q);
	struct vmq_queue_state *regs = &mvdev->q[q].regs;
	struct vmq_ring_state *ring;
	u32 ring_reg;

	switch (reg) {
	case VMQ_REG_RX_TAIL:
		return regs->rx.tail;
	case VMQ_REG_RX_HEAD:
		return READ_ONCE(gqp->rx.head);
	case VMQ_REG_TX_TAIL:
		return regs->tx.tail;
	case VMQ_REG_TX_HEAD:
		return READ_ONCE(gqp->tx.head);
	case VMQ_REG_Q_ERROR:
		return READ_ONCE(gqp->error);
	}
	ring = vmq_vfio_ring_of(regs, reg, &ring_reg);
	return ring ? vmq_vfio_ring_get(ring, ring_reg) : 0; /* reserved: 0 */
}

static u32 vmq_vfio_read_locked(struct vmq_vfio_dev *mvdev, u32 off)
{
	struct vmq_guest_qp *gqp = vmq_vfio_gqp(mvdev);
	u32 min, max, q, reg;
	u8 *rss;

	vmq_guest_ring_limits(mvdev->vdev, &min, &max);
	switch (off) {
	case VMQ_REG_VERSION:
		return VMQ_VFIO_VERSION;
	case VMQ_REG_FEATURES:
		return vmq_vfio_features(mvdev);
	case VMQ_REG_STATUS:
		return vmq_vfio_status(mvdev);
	case VMQ_REG_CONTROL:
		return mvdev->control;
	case VMQ_REG_ERROR:
		return vmq_vfio_error(mvdev);
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
	case VMQ_REG_QUEUES:
		return mvdev->nr_queues;
	}
	if (vmq_vfio_q_reg(mvdev, off, &q, &reg))
		return vmq_vfio_q_read(mvdev, q, reg);
	rss = vmq_vfio_rss_reg(mvdev, off);
	if (rss) {
		__le32 le;

		memcpy(&le, rss, sizeof(le));
		return le32_to_cpu(le);
	}
	return 0;	/* reserved */
}

/*
 * Counter registers: 64 bits each, the low half first; the device's
 * (the sum over its queues) at VMQ_REG_COUNTER(), each queue's at
 * VMQ_REG_QCOUNTER().  False if @off is none.
 */
static bool vmq_vfio_counter_read(struct vmq_vfio_dev *mvdev, u32 off,
				  u32 *val)
{
	u32 stride = VMQ_REG_COUNTER(1) - VMQ_REG_COUNTER(0);
	u32 qblock = VMQ_REG_QCOUNTER(1, 0) - VMQ_REG_QCOUNTER(0, 0);
	u32 q, first = 0, last = mvdev->nr_queues, idx;
	u64 cnt = 0;

	if (off >= VMQ_REG_COUNTER(0) && off < VMQ_REG_COUNTER(VMQ_CNT_MAX)) {
		idx = (off - VMQ_REG_COUNTER(0)) / stride;
	} else if (off >= VMQ_REG_QCOUNTER(0, 0) &&
		   off < VMQ_REG_QCOUNTER(vmq_vfio_qblocks(mvdev), 0) &&
		   (off - VMQ_REG_QCOUNTER(0, 0)) % qblock <
		   VMQ_CNT_MAX * stride) {
		first = (off - VMQ_REG_QCOUNTER(0, 0)) / qblock;
		last = first + 1;
		idx = (off - VMQ_REG_QCOUNTER(first, 0)) / stride;
		off -= VMQ_REG_QCOUNTER(first, 0) - VMQ_REG_COUNTER(0);
	} else {
		return false;
	}
	for (q = first; q < last; q++)
		cnt += atomic64_read(&vmq_vfio_qgqp(mvdev, q)->cnt[idx]);
	*val = off == VMQ_REG_COUNTER(idx) ? lower_32_bits(cnt) :
					     upper_32_bits(cnt);
	return true;
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
	if (vmq_vfio_counter_read(mvdev, off, val))
		return 0;
	mutex_lock(&mvdev->lock);
	*val = vmq_vfio_read_locked(mvdev, off);
	mutex_unlock(&mvdev->lock);
	return 0;
}
