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
 * a pinned page's access changes.  (Except for a dying VMM: no access
 * through its page tables starts, and one waiting there is ended; see
 * watch.c.)
 *
 * A copy through a pin happens under the xarray's lock, and .dma_unmap
 * takes a page out of the xarray under that lock before unpinning it, so
 * no copy touches a page after the VMM has got it back.  The last pins
 * looked up are cached (&struct vmq_vfio_tlb) under the same lock, and
 * a page leaves the cache when it leaves the xarray.
 *
 * type1 calls .dma_unmap with its lock dropped and, while any page of
 * the range is still pinned, calls again, ten times at most before it
 * BUG()s.  So a pin must not slip in between: .dma_unmap waits for pins
 * in flight, and records the range it emptied as fenced; no page in a
 * fenced range is pinned again (its accesses go through vfio_dma_rw())
 * until an access there finds nothing mapped, which proves the unmap
 * done, or the VMM closes the device.  Any other failure proves
 * nothing: type1 drops its lock while it calls .dma_unmap, and an access
 * meanwhile may fail with -EFAULT (the VMM's vaddr unbacked) while the
 * range is still mapped and being unmapped.  Too many fenced ranges at
 * once fence everything.  Copies that may not sleep (vmq_vfio_pin_try(),
 * the NIC's receive path with BHs off) use only pins already there; the
 * lock is BH-safe for them.
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
 * The pin of page @idx, or NULL; under the pins' lock.  A frame's
 * descriptor read, its write and its completion come back to the same
 * few pages, so the translation cache spares most xarray walks.
 */
static struct page *vmq_vfio_pin_lookup(struct vmq_vfio_dev *mvdev,
					unsigned long idx)
{
	struct vmq_vfio_tlb *e = &mvdev->tlb[idx & (VMQ_VFIO_TLB - 1)];
	struct page *page;

	lockdep_assert_held(&mvdev->pins.xa_lock);
	if (e->page && e->idx == idx)
		return e->page;
	page = xa_load(&mvdev->pins, idx);
	if (page) {
		e->idx = idx;
		e->page = page;
	}
	return page;
}

/* Page @idx leaves the pins: no cache entry may keep it. */
static void vmq_vfio_tlb_forget(struct vmq_vfio_dev *mvdev, unsigned long idx)
{
	struct vmq_vfio_tlb *e = &mvdev->tlb[idx & (VMQ_VFIO_TLB - 1)];

	lockdep_assert_held(&mvdev->pins.xa_lock);
	if (e->idx == idx)
		e->page = NULL;
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
	page = vmq_vfio_pin_lookup(mvdev, idx);
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

/* Is page @idx in a range .dma_unmap fenced off? */
static bool vmq_vfio_fenced(struct vmq_vfio_dev *mvdev, unsigned long idx)
{
	struct vmq_vfio_fences *f = &mvdev->fences;
	bool fenced;
	u32 i;

	spin_lock_bh(&f->lock);
	fenced = f->all;
	for (i = 0; i < f->nr && !fenced; i++)
		fenced = idx >= f->range[i].first && idx <= f->range[i].last;
	spin_unlock_bh(&f->lock);
	return fenced;
}

static void vmq_vfio_fence(struct vmq_vfio_dev *mvdev, unsigned long first,
			   unsigned long last)
{
	struct vmq_vfio_fences *f = &mvdev->fences;

	spin_lock_bh(&f->lock);
	if (f->nr < VMQ_VFIO_FENCES) {
		f->range[f->nr].first = first;
		f->range[f->nr].last = last;
		f->nr++;
	} else {
		f->all = true;
	}
	spin_unlock_bh(&f->lock);
}

/* Page @idx is no longer mapped: any unmap of it is done, lift its fence. */
static void vmq_vfio_unfence(struct vmq_vfio_dev *mvdev, unsigned long idx)
{
	struct vmq_vfio_fences *f = &mvdev->fences;
	u32 i = 0;

	spin_lock_bh(&f->lock);
	while (i < f->nr) {
		if (idx >= f->range[i].first && idx <= f->range[i].last)
			f->range[i] = f->range[--f->nr];
		else
			i++;
	}
	spin_unlock_bh(&f->lock);
}

/* Pin and record page @idx, unless a fence is up; in flight meanwhile. */
static int vmq_vfio_pin_unfenced(struct vmq_vfio_dev *mvdev, unsigned long idx,
				 struct page **page)
{
	dma_addr_t base = (dma_addr_t)idx << PAGE_SHIFT;
	int ret = -EBUSY;

	atomic_inc(&mvdev->pinning);
	/* In flight before looking at the fences: see vmq_vfio_dma_unmap(). */
	smp_mb__after_atomic();
	if (!vmq_vfio_fenced(mvdev, idx)) {
		ret = vmq_vfio_watch_enter(mvdev);
		if (!ret) {
			ret = vfio_pin_pages(&mvdev->vfio, base, 1,
					     IOMMU_READ | IOMMU_WRITE, page);
			vmq_vfio_watch_leave(mvdev);
			ret = ret == 1 ? 0 : ret < 0 ? ret : -EFAULT;
		}
	}
	if (!ret) {
		ret = xa_insert_bh(&mvdev->pins, idx, *page, GFP_KERNEL);
		if (ret) {
			vfio_unpin_pages(&mvdev->vfio, base, 1);
			/* -EBUSY: pinned by a racing access, as good. */
			ret = ret == -EBUSY ? 0 : ret;
			*page = NULL;
		}
	}
	if (atomic_dec_and_test(&mvdev->pinning))
		wake_up(&mvdev->pin_wait);
	return ret;
}

/* Pin the page of @iova for the device's reads and writes. */
static int vmq_vfio_pin_page(struct vmq_vfio_dev *mvdev, u64 iova)
{
	struct vmq_guest_qp *gqp = vmq_vfio_gqp(mvdev);
	struct page *page = NULL;
	unsigned long idx;
	int ret;

	if (!vmq_vfio_pin_index(iova, &idx) ||
	    atomic_read(&mvdev->npins) >= READ_ONCE(max_pinned_pages))
		return -ENOSPC;
	ret = vmq_vfio_pin_unfenced(mvdev, idx, &page);
	if (ret || !page)
		return ret;
	atomic_inc(&mvdev->npins);
	vmq_guest_count(gqp, VMQ_CNT_DMA_PINS, 1);
	return 0;
}

/*
 * Does vfio_dma_rw()'s @err say that nothing is mapped at the IOVA any
 * more?  type1 answers -EINVAL when it finds no vfio_dma there, which it
 * removes only once the unmap is done; iommufd answers -ENOENT for an
 * IOVA no area covers, and -EINVAL for an area being unmapped, whose
 * pins it refuses itself until the area is gone.  Every other error
 * comes while the mapping is still there, possibly in the middle of an
 * unmap: -EFAULT (the VMM's vaddr not backed, another mm), -EPERM, or
 * -EBUSY.
 */
static bool vmq_vfio_unmapped(int err)
{
	return err == -EINVAL || err == -ENOENT;
}

/* vfio_dma_rw(), watched: -ESHUTDOWN once the VMM is dying. */
static int vmq_vfio_slow_rw(struct vmq_vfio_dev *mvdev, u64 iova, void *buf,
			    size_t len, bool write)
{
	int err;

	err = vmq_vfio_watch_enter(mvdev);
	if (err)
		return err;
	vmq_guest_count(vmq_vfio_gqp(mvdev), VMQ_CNT_DMA_SLOW, 1);
	err = vfio_dma_rw(&mvdev->vfio, iova, buf, len, write);
	vmq_vfio_watch_leave(mvdev);
	return err;
}

/* One piece of an access, within one page. */
static int vmq_vfio_pin_rw_page(struct vmq_vfio_dev *mvdev, u64 iova,
				void *buf, size_t len, bool write)
{
	unsigned long idx;
	int err;

	if (vmq_vfio_pin_copy(mvdev, iova, buf, len, write))
		return 0;
	if (!vmq_vfio_pin_page(mvdev, iova) &&
	    vmq_vfio_pin_copy(mvdev, iova, buf, len, write))
		return 0;
	err = vmq_vfio_slow_rw(mvdev, iova, buf, len, write);
	if (vmq_vfio_unmapped(err) && vmq_vfio_pin_index(iova, &idx))
		vmq_vfio_unfence(mvdev, idx);
	return err;
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
 * wraps the top of the IOVA space goes to vfio_dma_rw() whole, as the
 * page walk here does not wrap.
 *
 * Context: process context, may sleep.
 * Return: 0, what vfio_dma_rw() returns, or -ESHUTDOWN if the VMM is
 * dying and the access needed its page tables (watch.c).
 */
int vmq_vfio_pin_rw(struct vmq_vfio_dev *mvdev, u64 iova, void *buf,
		    size_t len, bool write)
{
	size_t n;
	int err;

	if (len && iova + len - 1 < iova)
		return vmq_vfio_slow_rw(mvdev, iova, buf, len, write);
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
		if (page) {
			__xa_erase(&mvdev->pins, idx);
			vmq_vfio_tlb_forget(mvdev, idx);
		}
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
	struct vmq_vfio_dev *mvdev = vmq_vfio_from(vfio);
	unsigned long first, last, at;

	if (!length)
		return;
	if (!vmq_vfio_pin_index(iova, &first))
		return;
	if (!vmq_vfio_pin_index(iova + length - 1, &last) ||
	    iova + length - 1 < iova)
		last = ULONG_MAX;
	/*
	 * Nothing of ours in the range, nothing on its way: no fence.  A
	 * pin that starts after this look makes type1 call again, and that
	 * call fences.
	 */
	at = first;
	if (!atomic_read(&mvdev->pinning) &&
	    !xa_find(&mvdev->pins, &at, last, XA_PRESENT))
		return;
	vmq_vfio_fence(mvdev, first, last);
	/* Fenced before looking at pins in flight; pairs with the pinner. */
	smp_mb();
	wait_event(mvdev->pin_wait, !atomic_read(&mvdev->pinning));
	vmq_vfio_unpin_range(mvdev, first, last);
}

/**
 * vmq_vfio_unpin_all() - the VMM closes the device: let go of its pages
 * @mvdev: the device, whose queue is stopped and drained.
 */
void vmq_vfio_unpin_all(struct vmq_vfio_dev *mvdev)
{
	vmq_vfio_unpin_range(mvdev, 0, ULONG_MAX);
	/* No unmap is in flight for a closed device: none needs a fence. */
	spin_lock_bh(&mvdev->fences.lock);
	mvdev->fences.nr = 0;
	mvdev->fences.all = false;
	spin_unlock_bh(&mvdev->fences.lock);
}
