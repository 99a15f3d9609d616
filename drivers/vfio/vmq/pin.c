// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vfio: the NIC's access to guest memory, through pinned pages.
 *
 * vfio_dma_rw() reaches guest memory through the VMM's page tables: from
 * the NIC's thread that means switching into the VMM's address space for
 * every access, which costs more than the copy itself for small frames.
 * A NIC behind an IOMMU has its translation at hand instead.  So the
 * first access to a guest page pins it (vfio_pin_pages()), and later
 * ones copy through its kernel mapping.  A pin lasts until the VMM
 * unmaps the range (.dma_unmap, which type1 and iommufd call before the
 * unmap completes and which must unpin) or closes the device.
 *
 * It is bounded: at most max_pinned_pages pages per device.  Past that,
 * and where a page cannot be pinned (not mapped, mapped read-only, the
 * VMM's RLIMIT_MEMLOCK spent, a page its userfaultfd has not filled),
 * the access goes through vfio_dma_rw(), whose answer stands.  So every
 * error and every wait of guest memory is what it was; only the cost of
 * a pinned page's access changes.
 *
 * A copy through a pin happens under the xarray's lock, and .dma_unmap
 * takes a page out of the xarray under that lock before unpinning it, so
 * no copy touches a page after the VMM has got it back.  Copies that may
 * not sleep (vmq_vfio_pin_try(), the NIC's receive path with BHs off)
 * use only pins already there; the lock is BH-safe for them.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/moduleparam.h>
#include "vmq_vfio.h"

static unsigned int max_pinned_pages = 1024;
module_param(max_pinned_pages, uint, 0644);
MODULE_PARM_DESC(max_pinned_pages,
		 "Guest pages a queue pair's device keeps pinned, at most (0: none, every access through the VMM's page tables)");

/* The page frame of @iova in the xarray's index space; false if none. */
static bool vmq_vfio_pin_index(u64 iova, unsigned long *idx)
{
	u64 pfn = iova >> PAGE_SHIFT;

	*idx = pfn;
	return *idx == pfn;
}

/*
 * Copy @len bytes, all within one page, through that page's pin.  False
 * if the page is not pinned.
 */
static bool vmq_vfio_pin_copy(struct vmq_vfio_dev *mvdev, u64 iova, void *buf,
			      size_t len, bool write)
{
	struct page *page;
	unsigned long idx;
	void *va;

	if (!vmq_vfio_pin_index(iova, &idx))
		return false;
	xa_lock_bh(&mvdev->pins);
	page = xa_load(&mvdev->pins, idx);
	if (page) {
		va = kmap_local_page(page) + offset_in_page(iova);
		if (write)
			memcpy(va, buf, len);
		else
			memcpy(buf, va, len);
		kunmap_local(va);
	}
	xa_unlock_bh(&mvdev->pins);
	return page;
}

/* Pin the page of @iova for the device's reads and writes. */
static int vmq_vfio_pin_page(struct vmq_vfio_dev *mvdev, u64 iova)
{
	struct vmq_guest_qp *gqp = vmq_vfio_gqp(mvdev);
	dma_addr_t base = iova & PAGE_MASK;
	struct page *page;
	unsigned long idx;
	int ret;

	if (!vmq_vfio_pin_index(iova, &idx) ||
	    atomic_read(&mvdev->npins) >= READ_ONCE(max_pinned_pages))
		return -ENOSPC;
	ret = vfio_pin_pages(&mvdev->vfio, base, 1, IOMMU_READ | IOMMU_WRITE,
			     &page);
	if (ret != 1)
		return ret < 0 ? ret : -EFAULT;
	/*
	 * Should .dma_unmap have looked for it before it is in the xarray,
	 * type1 and iommufd see it still pinned and call again.
	 */
	ret = xa_insert_bh(&mvdev->pins, idx, page, GFP_KERNEL);
	if (ret) {
		/* -EBUSY: pinned by a racing access, which is as good. */
		vfio_unpin_pages(&mvdev->vfio, base, 1);
		return ret == -EBUSY ? 0 : ret;
	}
	atomic_inc(&mvdev->npins);
	vmq_guest_count(gqp, VMQ_CNT_DMA_PINS, 1);
	return 0;
}

/* One piece of an access, within one page. */
static int vmq_vfio_pin_rw_page(struct vmq_vfio_dev *mvdev, u64 iova,
				void *buf, size_t len, bool write)
{
	if (vmq_vfio_pin_copy(mvdev, iova, buf, len, write))
		return 0;
	if (!vmq_vfio_pin_page(mvdev, iova) &&
	    vmq_vfio_pin_copy(mvdev, iova, buf, len, write))
		return 0;
	vmq_guest_count(vmq_vfio_gqp(mvdev), VMQ_CNT_DMA_SLOW, 1);
	return vfio_dma_rw(&mvdev->vfio, iova, buf, len, write);
}

/**
 * vmq_vfio_pin_rw() - copy between a kernel buffer and guest memory
 * @mvdev: the device, open.
 * @iova: guest I/O virtual address.
 * @buf: kernel buffer.
 * @len: bytes.
 * @write: true to write guest memory.
 *
 * What vfio_dma_rw() does, through pins where it can.  An access that
 * wraps the top of the IOVA space goes to vfio_dma_rw() whole, which
 * refuses it.
 *
 * Context: process context, may sleep.
 * Return: 0 or what vfio_dma_rw() returns.
 */
int vmq_vfio_pin_rw(struct vmq_vfio_dev *mvdev, u64 iova, void *buf,
		    size_t len, bool write)
{
	size_t n;
	int err;

	if (len && iova + len - 1 < iova)
		return vfio_dma_rw(&mvdev->vfio, iova, buf, len, write);
	while (len) {
		n = min_t(size_t, len, PAGE_SIZE - offset_in_page(iova));
		err = vmq_vfio_pin_rw_page(mvdev, iova, buf, n, write);
		if (err)
			return err;
		iova += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/**
 * vmq_vfio_pin_try() - copy through pins only (vmq_guest_ops.dma_try)
 * @mvdev: the device, open.
 * @iova: guest I/O virtual address.
 * @buf: kernel buffer.
 * @len: bytes.
 * @write: true to write guest memory.
 *
 * Context: any but hard irq; does not sleep.
 * Return: 0, or -EAGAIN if a page of the range is not pinned; pages
 * before it may have been copied (the caller's access is then redone
 * in full by vmq_vfio_pin_rw()).
 */
int vmq_vfio_pin_try(struct vmq_vfio_dev *mvdev, u64 iova, void *buf,
		     size_t len, bool write)
{
	size_t n;

	if (len && iova + len - 1 < iova)
		return -EAGAIN;
	while (len) {
		n = min_t(size_t, len, PAGE_SIZE - offset_in_page(iova));
		if (!vmq_vfio_pin_copy(mvdev, iova, buf, n, write))
			return -EAGAIN;
		iova += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Unpin every pinned page whose index is in [@first, @last]. */
static void vmq_vfio_unpin_range(struct vmq_vfio_dev *mvdev,
				 unsigned long first, unsigned long last)
{
	unsigned long idx = first;
	struct page *page;

	while (idx <= last) {
		xa_lock_bh(&mvdev->pins);
		page = xa_find(&mvdev->pins, &idx, last, XA_PRESENT);
		if (page)
			__xa_erase(&mvdev->pins, idx);
		xa_unlock_bh(&mvdev->pins);
		if (!page)
			return;
		/* Out of the xarray: no copy uses it from here on. */
		vfio_unpin_pages(&mvdev->vfio, (dma_addr_t)idx << PAGE_SHIFT, 1);
		atomic_dec(&mvdev->npins);
		vmq_guest_count(vmq_vfio_gqp(mvdev), VMQ_CNT_DMA_UNPINS, 1);
		if (idx == last)
			return;
		idx++;
	}
}

/**
 * vmq_vfio_dma_unmap() - the VMM unmaps guest memory (vfio_device_ops)
 * @vfio: the device.
 * @iova: start of the range.
 * @length: its bytes.
 *
 * Unpins what the device pinned in the range before the unmap goes on,
 * as type1 and iommufd require.  An access after it pins again, or
 * fails as vfio_dma_rw() does once the range is gone.
 *
 * Context: process context, may sleep; the VMM's unmap.
 */
void vmq_vfio_dma_unmap(struct vfio_device *vfio, u64 iova, u64 length)
{
	unsigned long first, last;

	if (!length)
		return;
	if (!vmq_vfio_pin_index(iova, &first))
		return;
	if (!vmq_vfio_pin_index(iova + length - 1, &last) ||
	    iova + length - 1 < iova)
		last = ULONG_MAX;
	vmq_vfio_unpin_range(vmq_vfio_from(vfio), first, last);
}

/**
 * vmq_vfio_unpin_all() - the VMM closes the device: let go of its pages
 * @mvdev: the device, whose queue is stopped and drained.
 */
void vmq_vfio_unpin_all(struct vmq_vfio_dev *mvdev)
{
	vmq_vfio_unpin_range(mvdev, 0, ULONG_MAX);
}
