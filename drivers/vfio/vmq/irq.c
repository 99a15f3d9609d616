// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vfio: the device's interrupts, one eventfd per VMQ_VFIO_IRQ_* index,
 * set with VFIO_DEVICE_SET_IRQS.  The NIC's vector handler and the engine
 * fire them from any context, so the eventfds sit behind a spinlock.
 */

#include <linux/file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "vmq_vfio.h"

/**
 * vmq_vfio_irq_fire() - signal one interrupt to the VMM
 * @mvdev: the device.
 * @index: VMQ_VFIO_IRQ_*.
 *
 * Context: any.
 */
void vmq_vfio_irq_fire(struct vmq_vfio_dev *mvdev, u32 index)
{
	unsigned long flags;

	spin_lock_irqsave(&mvdev->irq_lock, flags);
	if (mvdev->trigger[index])
		vmq_compat_eventfd_signal(mvdev->trigger[index]);
	spin_unlock_irqrestore(&mvdev->irq_lock, flags);
}

static void vmq_vfio_irq_set_trigger(struct vmq_vfio_dev *mvdev, u32 index,
				     struct eventfd_ctx *trigger)
{
	struct eventfd_ctx *old;

	spin_lock_irq(&mvdev->irq_lock);
	old = mvdev->trigger[index];
	mvdev->trigger[index] = trigger;
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
	u32 i;

	for (i = 0; i < VMQ_VFIO_NUM_IRQS; i++)
		vmq_vfio_irq_set_trigger(mvdev, i, NULL);
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
	info.count = 1;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static int vmq_vfio_irq_eventfd(struct vmq_vfio_dev *mvdev, u32 index,
				s32 fd)
{
	struct eventfd_ctx *trigger;

	if (fd < 0) {
		vmq_vfio_irq_set_trigger(mvdev, index, NULL);
		return 0;
	}
	trigger = eventfd_ctx_fdget(fd);
	if (IS_ERR(trigger)) {
		dev_warn_ratelimited(mvdev->vfio.dev,
				     "irq %u: fd %d is not an eventfd\n",
				     index, fd);
		return PTR_ERR(trigger);
	}
	vmq_vfio_irq_set_trigger(mvdev, index, trigger);
	return 0;
}

/* ACTION_TRIGGER with its data: an eventfd, a "fire now", or nothing. */
static int vmq_vfio_irq_trigger(struct vmq_vfio_dev *mvdev,
				struct vfio_irq_set *hdr, const void *data)
{
	if (!hdr->count) {
		vmq_vfio_irq_set_trigger(mvdev, hdr->index, NULL);
		return 0;
	}
	switch (hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_EVENTFD:
		return vmq_vfio_irq_eventfd(mvdev, hdr->index,
					    *(const s32 *)data);
	case VFIO_IRQ_SET_DATA_BOOL:
		if (*(const u8 *)data)
			vmq_vfio_irq_fire(mvdev, hdr->index);
		return 0;
	default:	/* DATA_NONE */
		vmq_vfio_irq_fire(mvdev, hdr->index);
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
	err = vfio_set_irqs_validate_and_prepare(&hdr, 1, VMQ_VFIO_NUM_IRQS,
						 &data_size);
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
