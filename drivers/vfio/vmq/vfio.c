// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vfio: the VFIO device a VMM opens, and the guest-memory services
 * the NIC uses on its behalf.
 *
 * Life of a device: .init at mdev creation, .open_device when the VMM
 * gets the device fd, .close_device when it closes it (or dies): the
 * queue is stopped, cleared and drained there, so no DMA outlives the
 * VMM, and every guest page the NIC pinned is let go there.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/sched/mm.h>
#include <linux/uaccess.h>
#include "vmq_vfio.h"

/* The core's context for a guest queue pair: its queue of the mdev. */
static struct vmq_vfio_dev *vmq_vfio_ctx_dev(void *ctx)
{
	return ((struct vmq_vfio_queue *)ctx)->mvdev;
}

static int vmq_vfio_dma_rw(void *ctx, u64 iova, void *buf, size_t len,
			   bool write)
{
	struct vmq_vfio_dev *mvdev = vmq_vfio_ctx_dev(ctx);
	int err;

	err = vmq_vfio_pin_rw(mvdev, iova, buf, len, write);
	/*
	 * A dying VMM's memory goes before its files (and this device), and
	 * the watch ends an access waiting for it: no guest error.
	 */
	if (err && vmq_vfio_vmm_dying(mvdev))
		return -ESHUTDOWN;
	return err;
}

static int vmq_vfio_dma_try(void *ctx, u64 iova, void *buf, size_t len,
			    bool write)
{
	return vmq_vfio_pin_try(vmq_vfio_ctx_dev(ctx), iova, buf, len, write);
}

static void vmq_vfio_notify(void *ctx, u32 events)
{
	struct vmq_vfio_queue *q = ctx;

	if (events & VMQ_GUEST_EV_RX)
		vmq_vfio_irq_fire(q->mvdev, VMQ_VFIO_IRQ_RX, q->index);
	if (events & VMQ_GUEST_EV_TX)
		vmq_vfio_irq_fire(q->mvdev, VMQ_VFIO_IRQ_TX, q->index);
	if (events & VMQ_GUEST_EV_ERR)
		vmq_vfio_irq_fire(q->mvdev, VMQ_VFIO_IRQ_ERR, 0);
}

const struct vmq_guest_ops vmq_vfio_guest_ops = {
	.dma_rw		= vmq_vfio_dma_rw,
	.dma_try	= vmq_vfio_dma_try,
	.notify		= vmq_vfio_notify,
};

static int vmq_vfio_init_dev(struct vfio_device *vfio)
{
	struct vmq_vfio_dev *mvdev = vmq_vfio_from(vfio);

	mutex_init(&mvdev->lock);
	mutex_init(&mvdev->attr_lock);
	spin_lock_init(&mvdev->irq_lock);
	xa_init_flags(&mvdev->pins, XA_FLAGS_LOCK_BH);
	init_waitqueue_head(&mvdev->pin_wait);
	spin_lock_init(&mvdev->fences.lock);
	vmq_vfio_mig_init(mvdev);
	vmq_vfio_watch_init(mvdev);
	return 0;
}

static void vmq_vfio_release_dev(struct vfio_device *vfio)
{
	struct vmq_vfio_dev *mvdev = vmq_vfio_from(vfio);

	/* Every pin went at the last close. */
	WARN_ON(!xa_empty(&mvdev->pins));
	xa_destroy(&mvdev->pins);
	mutex_destroy(&mvdev->mig_lock);
	mutex_destroy(&mvdev->attr_lock);
	mutex_destroy(&mvdev->lock);
	vmq_compat_vfio_release_done(vfio);
}

static int vmq_vfio_open(struct vfio_device *vfio)
{
	struct vmq_vfio_dev *mvdev = vmq_vfio_from(vfio);

	mvdev->mm = current->mm;
	if (mvdev->mm)
		mmgrab(mvdev->mm);
	vmq_vfio_watch_open(mvdev);
	return 0;
}

/* VFIO_DEVICE_RESET: RUNNING again, the queue clean. */
static void vmq_vfio_device_reset(struct vmq_vfio_dev *mvdev)
{
	mutex_lock(&mvdev->mig_lock);
	vmq_vfio_mig_reset(mvdev);
	vmq_vfio_reset(mvdev);
	mutex_unlock(&mvdev->mig_lock);
}

static void vmq_vfio_close(struct vfio_device *vfio)
{
	struct vmq_vfio_dev *mvdev = vmq_vfio_from(vfio);
	u32 q;

	/* The VMM is gone: no DMA into its memory from here on. */
	vmq_vfio_device_reset(mvdev);
	vmq_vfio_irqs_release(mvdev);
	/* vfio_dma_rw() is only allowed while the device is open. */
	vmq_vfio_release_dma(mvdev);
	/* What the NIC kept for this VMM's next ENABLE (its cgroups). */
	for (q = 0; q < mvdev->nr_queues; q++)
		vmq_guest_qp_release(mvdev->vdev, mvdev->qp + q);
	vmq_vfio_watch_close(mvdev);
	/* Pins are only for an open device; none is in use after the drain. */
	vmq_vfio_unpin_all(mvdev);
	if (mvdev->mm)
		mmdrop(mvdev->mm);
	mvdev->mm = NULL;
}

/* Split a file offset into region index and offset in the region. */
static int vmq_vfio_reg_offset(loff_t pos, size_t count, u32 *off)
{
	u64 index = (u64)pos >> VMQ_VFIO_REGION_SHIFT;
	u64 offset = pos & (VMQ_VFIO_REGION_OFFSET(1) - 1);

	if (index != VMQ_VFIO_REGION_REGS || count != sizeof(u32) ||
	    !IS_ALIGNED(offset, sizeof(u32)) || offset >= VMQ_VFIO_REGS_SIZE)
		return -EINVAL;
	*off = offset;
	return 0;
}

static ssize_t vmq_vfio_read(struct vfio_device *vfio, char __user *buf,
			     size_t count, loff_t *ppos)
{
	struct vmq_vfio_dev *mvdev = vmq_vfio_from(vfio);
	u32 off, val;
	int err;

	err = vmq_vfio_reg_offset(*ppos, count, &off);
	if (err)
		return err;
	err = vmq_vfio_reg_read(mvdev, off, &val);
	if (err)
		return err;
	if (copy_to_user(buf, &val, sizeof(val)))
		return -EFAULT;
	*ppos += sizeof(val);
	return sizeof(val);
}

static ssize_t vmq_vfio_write(struct vfio_device *vfio,
			      const char __user *buf, size_t count,
			      loff_t *ppos)
{
	struct vmq_vfio_dev *mvdev = vmq_vfio_from(vfio);
	u32 off, val;
	int err;

	err = vmq_vfio_reg_offset(*ppos, count, &off);
	if (err)
		return err;
	if (copy_from_user(&val, buf, sizeof(val)))
		return -EFAULT;
	err = vmq_vfio_reg_write(mvdev, off, val);
	if (err)
		return err;
	*ppos += sizeof(val);
	return sizeof(val);
}

static int vmq_vfio_get_info(unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VMQ_VFIO_NUM_REGIONS;
	info.num_irqs = VMQ_VFIO_NUM_IRQS;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static int vmq_vfio_region_info(unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_region_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	if (info.index != VMQ_VFIO_REGION_REGS)
		return -EINVAL;
	info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	info.cap_offset = 0;
	info.size = VMQ_VFIO_REGS_SIZE;
	info.offset = VMQ_VFIO_REGION_OFFSET(info.index);
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static long vmq_vfio_ioctl(struct vfio_device *vfio, unsigned int cmd,
			   unsigned long arg)
{
	struct vmq_vfio_dev *mvdev = vmq_vfio_from(vfio);

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return vmq_vfio_get_info(arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return vmq_vfio_region_info(arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return vmq_vfio_irq_info(mvdev, arg);
	case VFIO_DEVICE_SET_IRQS:
		return vmq_vfio_set_irqs(mvdev, arg);
	case VFIO_DEVICE_RESET:
		vmq_vfio_device_reset(mvdev);
		return 0;
	}
	return -ENOTTY;
}

/* The host wants the device back (mdev removal, rmmod): ask the VMM. */
static void vmq_vfio_request(struct vfio_device *vfio, unsigned int count)
{
	struct vmq_vfio_dev *mvdev = vmq_vfio_from(vfio);

	if (!count)
		dev_notice(vfio->dev, "asking the VMM to release the device\n");
	else if (!(count % 10))
		dev_notice_ratelimited(vfio->dev,
				       "still waiting for the VMM to release the device (%u)\n",
				       count);
	vmq_vfio_irq_fire(mvdev, VMQ_VFIO_IRQ_REQ, 0);
}

const struct vfio_device_ops vmq_vfio_dev_ops = {
	.name		= VMQ_VFIO_DRV_NAME,
	.init		= vmq_vfio_init_dev,
	.release	= vmq_vfio_release_dev,
	.open_device	= vmq_vfio_open,
	.close_device	= vmq_vfio_close,
	.read		= vmq_vfio_read,
	.write		= vmq_vfio_write,
	.ioctl		= vmq_vfio_ioctl,
	.request	= vmq_vfio_request,
	.dma_unmap	= vmq_vfio_dma_unmap,
	VMQ_COMPAT_VFIO_IOMMUFD_OPS
};
