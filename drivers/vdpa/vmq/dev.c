// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vdpa: the vDPA bus's view of the device, virtio-net 1.x by the spec:
 * features, config space, status, reset and the two virtqueues.
 *
 * DRIVER_OK starts the queue pair on the virtqueues the driver set up;
 * the NIC then runs them itself.  A driver error the NIC finds (the
 * core's error state) is the virtio NEEDS_RESET status, with the config
 * interrupt; only a reset (status 0) clears it.  Suspend stops the queue
 * pair where it got to, for a VMM to read the virtqueues' state (live
 * migration); resume starts it again from there.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/module.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include "vmq_vdpa.h"

static unsigned int start_delay_ms;
module_param(start_delay_ms, uint, 0644);
MODULE_PARM_DESC(start_delay_ms,
		 "debug: delay between a queue pair's start and the device taking kicks, to widen races in tests (0: none)");

static void vmq_vdpa_call(struct vmq_vdpa_dev *vd, struct vdpa_callback *cb)
{
	unsigned long flags;

	spin_lock_irqsave(&vd->cb_lock, flags);
	if (cb->callback)
		cb->callback(cb->private);
	spin_unlock_irqrestore(&vd->cb_lock, flags);
}

/* The NIC's events: completions on a virtqueue, or a driver error. */
static void vmq_vdpa_notify(void *ctx, u32 events)
{
	struct vmq_vdpa_dev *vd = ctx;

	if (events & VMQ_GUEST_EV_RX)
		vmq_vdpa_call(vd, &vd->vq[VMQ_VQ_RX].cb);
	if (events & VMQ_GUEST_EV_TX)
		vmq_vdpa_call(vd, &vd->vq[VMQ_VQ_TX].cb);
	if (events & VMQ_GUEST_EV_ERR) {
		/* Read by get_status, which reports NEEDS_RESET from here. */
		vmq_vdpa_call(vd, &vd->config_cb);
	}
}

const struct vmq_guest_ops vmq_vdpa_guest_ops = {
	.dma_rw		= vmq_vdpa_dma_rw,
	.dma_try	= vmq_vdpa_dma_try,
	.notify		= vmq_vdpa_notify,
	.owner		= VMQ_OWNER_VDPA,
	.ring_fmt	= VMQ_RING_VIRTIO,
};

static struct vmq_guest_qp *vmq_vdpa_gqp(struct vmq_vdpa_dev *vd)
{
	return vmq_guest_qp(vd->vdev, vd->qp);
}

/* The driver's virtqueues as the NIC takes them, @vq[VMQ_VDPA_NVQS]. */
static void vmq_vdpa_virtqs(struct vmq_vdpa_dev *vd, struct vmq_virtq *vq)
{
	int i;

	for (i = 0; i < VMQ_VDPA_NVQS; i++) {
		vq[i].desc = vd->vq[i].desc;
		vq[i].avail = vd->vq[i].avail;
		vq[i].used = vd->vq[i].used;
		vq[i].num = vd->vq[i].num;
		vq[i].last_avail = vd->vq[i].avail_index;
		vq[i].used_idx = vd->vq[i].avail_index;
	}
}

/*
 * The NIC takes a first look at the virtqueues as it starts, and another
 * only when kicked, but kicks were ignored until now: here (started), and
 * in the core, which calls the queue pair running only once that first
 * look may be over.  A buffer the driver made available and kicked
 * meanwhile would wait for its next kick: kick both virtqueues once for
 * it (the receive one runs the NIC only for frames that wait for
 * buffers).  The barrier orders started before the NIC's read of the
 * available indices; it pairs with a driver's between its available
 * index and its kick (virtqueue_kick_prepare()'s).
 */
static void vmq_vdpa_kick_started(struct vmq_vdpa_dev *vd)
{
	smp_mb();	/* started before the NIC's read of avail: see above */
	vmq_guest_qp_kick(vd->vdev, vd->qp, false);
	vmq_guest_qp_kick(vd->vdev, vd->qp, true);
}

/* Start the queue pair on the driver's virtqueues; lock held. */
static void vmq_vdpa_start(struct vmq_vdpa_dev *vd)
{
	unsigned int delay = READ_ONCE(start_delay_ms);
	struct vmq_virtq vq[VMQ_VDPA_NVQS] = {};
	int err;

	/*
	 * A driver that gave the device no map (or took it all back) has no
	 * ring it can reach: in error, as for a ring outside the map, but
	 * with nothing started, so that the NIC makes no engine for it.
	 */
	if (!vmq_vdpa_dma_start(vd)) {
		dev_warn_ratelimited(&vd->vdpa.dev,
				     "queue pair %u: no map, its rings are not in mapped memory\n",
				     vd->qp);
		vmq_guest_qp_error(vmq_vdpa_gqp(vd), VMQ_ERR_DMA);
		return;
	}
	/* Frames past it are the NIC's to drop, not a driver error. */
	vmq_vdpa_gqp(vd)->mtu = vd->features & BIT_ULL(VIRTIO_NET_F_MTU) ?
				vd->mtu : 0;
	vmq_vdpa_virtqs(vd, vq);
	err = vmq_guest_qp_start_virtio(vd->vdev, vd->qp, vq);
	/* The NIC runs the rings already: a window for tests to widen. */
	if (!err && delay)
		msleep(delay);
	WRITE_ONCE(vd->started, !err);
	if (!err) {
		vmq_vdpa_kick_started(vd);
		return;
	}
	/*
	 * NEEDS_RESET, with the config interrupt the error event brings;
	 * the core set it already for a ring it cannot reach (-EFAULT).
	 */
	if (err == -EFAULT)
		return;
	if (err != -EINVAL)
		dev_warn(&vd->vdpa.dev, "queue pair %u did not start: %d\n",
			 vd->qp, err);
	vmq_guest_qp_error(vmq_vdpa_gqp(vd), VMQ_ERR_RING_CFG);
}

/*
 * Stop the queue pair, keeping where the NIC got to as where it starts
 * again from: it completes in order, so every buffer it took is used.
 * Lock held.
 */
static void vmq_vdpa_stop(struct vmq_vdpa_dev *vd)
{
	struct vmq_guest_qp *gqp = vmq_vdpa_gqp(vd);
	int i;

	vmq_guest_qp_stop(vd->vdev, vd->qp);
	vmq_guest_qp_drain(vd->vdev, vd->qp);
	for (i = 0; i < VMQ_VDPA_NVQS; i++)
		vd->vq[i].avail_index = READ_ONCE(gqp->vq[i].last_avail);
	WRITE_ONCE(vd->started, false);
}

/*
 * The queue pair runs while the driver has set DRIVER_OK, both
 * virtqueues are ready and the device is not suspended; one in error
 * stays stopped until a reset.  Start or stop it to match.  Lock held.
 */
static void vmq_vdpa_update(struct vmq_vdpa_dev *vd)
{
	bool run = (vd->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
		   !vd->suspended && vd->vq[VMQ_VQ_RX].ready &&
		   vd->vq[VMQ_VQ_TX].ready;

	if (run && !vd->started && !READ_ONCE(vmq_vdpa_gqp(vd)->error))
		vmq_vdpa_start(vd);
	else if (!run && vd->started)
		vmq_vdpa_stop(vd);
}

/* Back to a clean, stopped device; lock held. */
static void vmq_vdpa_do_reset(struct vmq_vdpa_dev *vd)
{
	unsigned long flags;
	int i;

	vmq_guest_qp_clear(vd->vdev, vd->qp);
	vmq_guest_qp_drain(vd->vdev, vd->qp);
	/*
	 * The host's virtio_vdpa lets the device go with a reset (its
	 * unbind), and what the NIC kept for its next start goes then.
	 * vhost-vdpa's close resets the device and then takes its map away
	 * (vmq_vdpa_reset_map()), which lets it go; its VMM's own resets
	 * keep it, whatever they leave mapped: the VMM may reset at will,
	 * and the next start must not cost the host a new engine.
	 */
	if (vmq_vdpa_host_driver(vd))
		vmq_guest_qp_release(vd->vdev, vd->qp);
	vmq_vdpa_dma_stop(vd);
	WRITE_ONCE(vd->started, false);
	/*
	 * The callbacks go with the driver that set them: a driver unbound
	 * resets the device and may free what they point at, and the next
	 * one (vhost-vdpa sets the config callback only when its VMM asks)
	 * must not have them called.
	 */
	spin_lock_irqsave(&vd->cb_lock, flags);
	for (i = 0; i < VMQ_VDPA_NVQS; i++)
		memset(&vd->vq[i], 0, sizeof(vd->vq[i]));
	memset(&vd->config_cb, 0, sizeof(vd->config_cb));
	spin_unlock_irqrestore(&vd->cb_lock, flags);
	vd->status = 0;
	vd->features = 0;
	vd->mtu = 0;
	vd->suspended = false;
	vd->generation++;
}

static int vmq_vdpa_set_vq_address(struct vdpa_device *vdpa, u16 idx,
				   u64 desc, u64 driver, u64 device)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);

	if (idx >= VMQ_VDPA_NVQS)
		return -EINVAL;
	mutex_lock(&vd->lock);
	vd->vq[idx].desc = desc;
	vd->vq[idx].avail = driver;
	vd->vq[idx].used = device;
	mutex_unlock(&vd->lock);
	return 0;
}

static void vmq_vdpa_set_vq_num(struct vdpa_device *vdpa, u16 idx, u32 num)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);

	if (idx >= VMQ_VDPA_NVQS)
		return;
	mutex_lock(&vd->lock);
	vd->vq[idx].num = num;
	mutex_unlock(&vd->lock);
}

static void vmq_vdpa_kick_vq(struct vdpa_device *vdpa, u16 idx)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);

	if (idx < VMQ_VDPA_NVQS && READ_ONCE(vd->started))
		vmq_guest_qp_kick(vd->vdev, vd->qp, idx == VMQ_VQ_TX);
}

static void vmq_vdpa_set_vq_cb(struct vdpa_device *vdpa, u16 idx,
			       struct vdpa_callback *cb)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);
	unsigned long flags;

	if (idx >= VMQ_VDPA_NVQS)
		return;
	spin_lock_irqsave(&vd->cb_lock, flags);
	vd->vq[idx].cb = *cb;
	spin_unlock_irqrestore(&vd->cb_lock, flags);
}

static void vmq_vdpa_set_vq_ready(struct vdpa_device *vdpa, u16 idx,
				  bool ready)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);

	if (idx >= VMQ_VDPA_NVQS)
		return;
	mutex_lock(&vd->lock);
	vd->vq[idx].ready = ready;
	vmq_vdpa_update(vd);
	mutex_unlock(&vd->lock);
}

static bool vmq_vdpa_get_vq_ready(struct vdpa_device *vdpa, u16 idx)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);

	return idx < VMQ_VDPA_NVQS && READ_ONCE(vd->vq[idx].ready);
}

static int vmq_vdpa_set_vq_state(struct vdpa_device *vdpa, u16 idx,
				 const struct vdpa_vq_state *state)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);
	int err = 0;

	if (idx >= VMQ_VDPA_NVQS)
		return -EINVAL;
	mutex_lock(&vd->lock);
	if (vd->started)
		err = -EBUSY;
	else
		vd->vq[idx].avail_index = state->split.avail_index;
	mutex_unlock(&vd->lock);
	return err;
}

static int vmq_vdpa_get_vq_state(struct vdpa_device *vdpa, u16 idx,
				 struct vdpa_vq_state *state)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);

	if (idx >= VMQ_VDPA_NVQS)
		return -EINVAL;
	mutex_lock(&vd->lock);
	state->split.avail_index = vd->started ?
		READ_ONCE(vmq_vdpa_gqp(vd)->vq[idx].last_avail) :
		vd->vq[idx].avail_index;
	mutex_unlock(&vd->lock);
	return 0;
}

static u32 vmq_vdpa_get_vq_align(struct vdpa_device *vdpa)
{
	return SMP_CACHE_BYTES;
}

static u64 vmq_vdpa_get_device_features(struct vdpa_device *vdpa)
{
	return VMQ_VDPA_FEATURES;
}

static int vmq_vdpa_set_driver_features(struct vdpa_device *vdpa,
					u64 features)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);

	/* A 1.x device only: the rings are little-endian. */
	if (!(features & BIT_ULL(VIRTIO_F_VERSION_1)))
		return -EINVAL;
	mutex_lock(&vd->lock);
	vd->features = features & VMQ_VDPA_FEATURES;
	mutex_unlock(&vd->lock);
	return 0;
}

static u64 vmq_vdpa_get_driver_features(struct vdpa_device *vdpa)
{
	return READ_ONCE(vmq_vdpa_from(vdpa)->features);
}

static void vmq_vdpa_set_config_cb(struct vdpa_device *vdpa,
				   struct vdpa_callback *cb)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);
	unsigned long flags;

	spin_lock_irqsave(&vd->cb_lock, flags);
	vd->config_cb = *cb;
	spin_unlock_irqrestore(&vd->cb_lock, flags);
}

static u16 vmq_vdpa_get_vq_num_max(struct vdpa_device *vdpa)
{
	return VMQ_VIRTQ_MAX;
}

static u32 vmq_vdpa_get_device_id(struct vdpa_device *vdpa)
{
	return VIRTIO_ID_NET;
}

static u32 vmq_vdpa_get_vendor_id(struct vdpa_device *vdpa)
{
	return 0;
}

static u8 vmq_vdpa_get_status(struct vdpa_device *vdpa)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);
	u8 status = READ_ONCE(vd->status);

	/* The NIC stopped the queue pair on a driver error. */
	if (status && READ_ONCE(vmq_vdpa_gqp(vd)->error))
		status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	return status;
}

static int vmq_vdpa_reset(struct vdpa_device *vdpa)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);

	mutex_lock(&vd->lock);
	vmq_vdpa_do_reset(vd);
	mutex_unlock(&vd->lock);
	return 0;
}

static void vmq_vdpa_set_status(struct vdpa_device *vdpa, u8 status)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);

	if (!status) {
		vmq_vdpa_reset(vdpa);
		return;
	}
	mutex_lock(&vd->lock);
	/* The MTU the driver negotiated stays its own, as the spec wants. */
	if ((status & VIRTIO_CONFIG_S_FEATURES_OK) && !vd->mtu)
		vd->mtu = READ_ONCE(vmq_dev_netdev(vd->vdev)->mtu);
	/* The device sets NEEDS_RESET; a driver writing it changes nothing. */
	vd->status = status & ~VIRTIO_CONFIG_S_NEEDS_RESET;
	vmq_vdpa_update(vd);
	mutex_unlock(&vd->lock);
}

/*
 * The NIC takes no more buffers and writes nothing back; frames for the
 * device meanwhile are dropped, counted in the queue pair's rx_drops.
 * The virtqueues' state (get_vq_state) is final, and may be set again,
 * with their addresses, before resume.
 */
static int vmq_vdpa_suspend(struct vdpa_device *vdpa)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);

	mutex_lock(&vd->lock);
	vd->suspended = true;
	vmq_vdpa_update(vd);
	mutex_unlock(&vd->lock);
	return 0;
}

/* Run again from where suspend left off; a device in error stays so. */
static int vmq_vdpa_resume(struct vdpa_device *vdpa)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);

	mutex_lock(&vd->lock);
	vd->suspended = false;
	vmq_vdpa_update(vd);
	mutex_unlock(&vd->lock);
	return 0;
}

static size_t vmq_vdpa_get_config_size(struct vdpa_device *vdpa)
{
	return sizeof(struct virtio_net_config);
}

/* A 1.x device's config space is little-endian. */
static __virtio16 vmq_vdpa_v16(u16 val)
{
	return (__force __virtio16)cpu_to_le16(val);
}

static void vmq_vdpa_fill_config(struct vmq_vdpa_dev *vd,
				 struct virtio_net_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg->mac, vd->mac, ETH_ALEN);
	cfg->status = vmq_vdpa_v16(VIRTIO_NET_S_LINK_UP);
	cfg->max_virtqueue_pairs = vmq_vdpa_v16(1);
	cfg->mtu = vmq_vdpa_v16(READ_ONCE(vd->mtu) ?:
				READ_ONCE(vmq_dev_netdev(vd->vdev)->mtu));
}

static void vmq_vdpa_get_config(struct vdpa_device *vdpa, unsigned int offset,
				void *buf, unsigned int len)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);
	struct virtio_net_config cfg;

	if (offset > sizeof(cfg) || len > sizeof(cfg) - offset)
		return;
	vmq_vdpa_fill_config(vd, &cfg);
	memcpy(buf, (u8 *)&cfg + offset, len);
}

static void vmq_vdpa_set_config(struct vdpa_device *vdpa, unsigned int offset,
				const void *buf, unsigned int len)
{
	/* Nothing in it is the driver's to write: the MAC is the admin's. */
}

static u32 vmq_vdpa_get_generation(struct vdpa_device *vdpa)
{
	return READ_ONCE(vmq_vdpa_from(vdpa)->generation);
}

static void vmq_vdpa_free(struct vdpa_device *vdpa)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);

	vmq_vdpa_dma_fini(vd);
	mutex_destroy(&vd->lock);
}

const struct vdpa_config_ops vmq_vdpa_config_ops = {
	.set_vq_address		= vmq_vdpa_set_vq_address,
	.set_vq_num		= vmq_vdpa_set_vq_num,
	.kick_vq		= vmq_vdpa_kick_vq,
	.set_vq_cb		= vmq_vdpa_set_vq_cb,
	.set_vq_ready		= vmq_vdpa_set_vq_ready,
	.get_vq_ready		= vmq_vdpa_get_vq_ready,
	.set_vq_state		= vmq_vdpa_set_vq_state,
	.get_vq_state		= vmq_vdpa_get_vq_state,
	/*
	 * No get_vq_irq: vhost-vdpa would make each vector an irq bypass
	 * producer keyed by its virtqueue's call eventfd, and 6.12's
	 * irqbypass unregisters by key alone, so that a VMM giving one
	 * virtqueue the other's eventfd has a producer that was refused
	 * unlinked in the place of the one registered (list corruption, a
	 * kernel BUG).
	 */
	.get_vq_align		= vmq_vdpa_get_vq_align,
	.get_device_features	= vmq_vdpa_get_device_features,
	.set_driver_features	= vmq_vdpa_set_driver_features,
	.get_driver_features	= vmq_vdpa_get_driver_features,
	.set_config_cb		= vmq_vdpa_set_config_cb,
	.get_vq_num_max		= vmq_vdpa_get_vq_num_max,
	.get_device_id		= vmq_vdpa_get_device_id,
	.get_vendor_id		= vmq_vdpa_get_vendor_id,
	.get_status		= vmq_vdpa_get_status,
	.set_status		= vmq_vdpa_set_status,
	.reset			= vmq_vdpa_reset,
	.suspend		= vmq_vdpa_suspend,
	.resume			= vmq_vdpa_resume,
	.get_config_size	= vmq_vdpa_get_config_size,
	.get_config		= vmq_vdpa_get_config,
	.set_config		= vmq_vdpa_set_config,
	.get_generation		= vmq_vdpa_get_generation,
	.set_map		= vmq_vdpa_set_map,
	.reset_map		= vmq_vdpa_reset_map,
	.free			= vmq_vdpa_free,
};

/**
 * vmq_vdpa_init_dev() - a new device's own state
 * @vd: the device, allocated.
 */
void vmq_vdpa_init_dev(struct vmq_vdpa_dev *vd)
{
	mutex_init(&vd->lock);
	spin_lock_init(&vd->cb_lock);
	vmq_vdpa_dma_init(vd);
}
