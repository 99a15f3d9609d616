// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vfio: the device's interrupts, one eventfd per VMQ_VFIO_IRQ_* index
 * and queue (the receive and transmit indexes have one subindex per
 * queue pair, the others one), set with VFIO_DEVICE_SET_IRQS.  The NIC's
 * vector handler and the engine fire them from any context, so the
 * eventfds sit behind a spinlock.
 */

#include <linux/file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "vmq_vfio.h"

/**
 * vmq_vfio_irq_fire() - signal one interrupt to the VMM
 * @mvdev: the device.
 * @index: VMQ_VFIO_IRQ_*.
 * @sub: its subindex: the queue, for RX and TX; else 0.
 *
 * Context: any.
 */
void vmq_vfio_irq_fire(struct vmq_vfio_dev *mvdev, u32 index, u32 sub)
{
	unsigned long flags;

	spin_lock_irqsave(&mvdev->irq_lock, flags);
	if (mvdev->trigger[index][sub])
		vmq_compat_eventfd_signal(mvdev->trigger[index][sub]);
	spin_unlock_irqrestore(&mvdev->irq_lock, flags);
}

static void vmq_vfio_irq_set_trigger(struct vmq_vfio_dev *mvdev, u32 index,
				     u32 sub, struct eventfd_ctx *trigger)
{
	struct eventfd_ctx *old;

	spin_lock_irq(&mvdev->irq_lock);
	old = mvdev->trigger[index][sub];
	mvdev->trigger[index][sub] = trigger;
	spin_unlock_irq(&mvdev->irq_lock);
	if (old)
		eventfd_ctx_put(old);
}

/**
 * vmq_vfio_irqs_release() - drop every eventfd
 * @mvdev: the device, closed by its VMM.
 */
void vmq_vfio_irqs_release(struct vmq_vfio_dev *mvdev)
{
	u32 i, sub;

	for (i = 0; i < VMQ_VFIO_NUM_IRQS; i++)
		for (sub = 0; sub < VMQ_VFIO_MAX_QUEUES; sub++)
			vmq_vfio_irq_set_trigger(mvdev, i, sub, NULL);
}

/* Subindexes of interrupt @index: one per queue for RX and TX. */
static u32 vmq_vfio_irq_count(struct vmq_vfio_dev *mvdev, u32 index)
{
	if (index == VMQ_VFIO_IRQ_RX || index == VMQ_VFIO_IRQ_TX)
		return mvdev->nr_queues;
	return 1;
}

/**
 * vmq_vfio_irq_info() - VFIO_DEVICE_GET_IRQ_INFO
 * @mvdev: the device.
 * @arg: user pointer to &struct vfio_irq_info.
 *
 * Return: 0 or a negative errno.
 */
int vmq_vfio_irq_info(struct vmq_vfio_dev *mvdev, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VMQ_VFIO_NUM_IRQS)
		return -EINVAL;
	info.flags = VFIO_IRQ_INFO_EVENTFD;
	info.count = vmq_vfio_irq_count(mvdev, info.index);
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

/* The eventfds of @fds, all taken before any is set: all or nothing. */
static int vmq_vfio_irq_eventfds(struct vmq_vfio_dev *mvdev,
				 const struct vfio_irq_set *hdr,
				 const s32 *fds)
{
	struct eventfd_ctx *trigger[VMQ_VFIO_MAX_QUEUES] = {};
	int err;
	u32 i;

	for (i = 0; i < hdr->count; i++) {
		if (fds[i] < 0)
			continue;
		trigger[i] = eventfd_ctx_fdget(fds[i]);
		if (!IS_ERR(trigger[i]))
			continue;
		err = PTR_ERR(trigger[i]);
		dev_warn_ratelimited(mvdev->vfio.dev,
				     "irq %u.%u: fd %d is not an eventfd\n",
				     hdr->index, hdr->start + i, fds[i]);
		while (i--)
			if (trigger[i])
				eventfd_ctx_put(trigger[i]);
		return err;
	}
	for (i = 0; i < hdr->count; i++)
		vmq_vfio_irq_set_trigger(mvdev, hdr->index, hdr->start + i,
					 trigger[i]);
	return 0;
}

/* ACTION_TRIGGER with its data: eventfds, a "fire now", or nothing. */
static int vmq_vfio_irq_trigger(struct vmq_vfio_dev *mvdev,
				struct vfio_irq_set *hdr, const void *data)
{
	u32 i;

	if (!hdr->count) {
		for (i = 0; i < vmq_vfio_irq_count(mvdev, hdr->index); i++)
			vmq_vfio_irq_set_trigger(mvdev, hdr->index, i, NULL);
		return 0;
	}
	switch (hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_EVENTFD:
		return vmq_vfio_irq_eventfds(mvdev, hdr, data);
	case VFIO_IRQ_SET_DATA_BOOL:
		for (i = 0; i < hdr->count; i++)
			if (((const u8 *)data)[i])
				vmq_vfio_irq_fire(mvdev, hdr->index,
						  hdr->start + i);
		return 0;
	default:	/* DATA_NONE */
		for (i = 0; i < hdr->count; i++)
			vmq_vfio_irq_fire(mvdev, hdr->index, hdr->start + i);
		return 0;
	}
}

/**
 * vmq_vfio_set_irqs() - VFIO_DEVICE_SET_IRQS
 * @mvdev: the device.
 * @arg: user pointer to &struct vfio_irq_set and its data.
 *
 * Only ACTION_TRIGGER: these are edge interrupts, nothing to mask.
 *
 * Return: 0 or a negative errno.
 */
int vmq_vfio_set_irqs(struct vmq_vfio_dev *mvdev, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	u8 *data = NULL;
	int err;

	if (copy_from_user(&hdr, (void __user *)arg, minsz))
		return -EFAULT;
	/* Index checked first: it says how many subindexes there are. */
	if (hdr.index >= VMQ_VFIO_NUM_IRQS)
		return -EINVAL;
	err = vfio_set_irqs_validate_and_prepare(&hdr,
						 vmq_vfio_irq_count(mvdev, hdr.index),
						 VMQ_VFIO_NUM_IRQS, &data_size);
	if (err)
		return err;
	if ((hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) !=
	    VFIO_IRQ_SET_ACTION_TRIGGER)
		return -EINVAL;
	if (data_size) {
		data = memdup_user((void __user *)(arg + minsz), data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}
	mutex_lock(&mvdev->lock);
	err = vmq_vfio_irq_trigger(mvdev, &hdr, data);
	mutex_unlock(&mvdev->lock);
	kfree(data);
	return err;
}
