// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vdpa: how the NIC reaches the driver's memory.
 *
 * vhost-vdpa gives the device the guest's mappings (set_map): IOVA to
 * the physical address of pages it holds pinned, with their access
 * rights.  The device keeps its own copy and translates every access
 * through it; an IOVA outside it, or against its rights, fails, and the
 * queue pair stops in its error state.  Until a map is set (and after a
 * reset of it) the device is in passthrough: the host's own virtio_net
 * over virtio_vdpa hands it DMA addresses of a device without an IOMMU,
 * which are physical addresses of the host's memory.  Only RAM the
 * kernel manages is reached, page by page.
 */

#include <linux/highmem.h>
#include <linux/mm.h>
#include "vmq_vdpa.h"

/* Copy within one physical page run: RAM pages only. */
static int vmq_vdpa_copy_pa(phys_addr_t pa, void *buf, size_t len,
			    bool write)
{
	size_t part;
	void *va;

	while (len) {
		if (!pfn_valid(PHYS_PFN(pa)))
			return -EFAULT;
		part = min_t(size_t, len, PAGE_SIZE - offset_in_page(pa));
		va = kmap_local_page(pfn_to_page(PHYS_PFN(pa)));
		if (write)
			memcpy(va + offset_in_page(pa), buf, part);
		else
			memcpy(buf, va + offset_in_page(pa), part);
		kunmap_local(va);
		pa += part;
		buf += part;
		len -= part;
	}
	return 0;
}

/*
 * The mapping that holds @iova.  vhost-vdpa maps each physically
 * contiguous run of pinned pages apart, so a driver's buffers lie in
 * hundreds of mappings, and a search of them costs more than the rest
 * of an access.  As a NIC's IOTLB does, the device remembers the mapping
 * each page it used went through, by page number, and searches only
 * when that one does not hold @iova.
 */
static struct vhost_iotlb_map *vmq_vdpa_lookup(struct vmq_vdpa_dev *vd,
					       u64 iova)
{
	struct vhost_iotlb_map **tlb;
	struct vhost_iotlb_map *map;

	tlb = &vd->tlb[(iova >> PAGE_SHIFT) % VMQ_VDPA_TLB_SIZE];
	map = *tlb;
	if (map && iova >= map->start && iova <= map->last)
		return map;
	map = vhost_iotlb_itree_first(&vd->iotlb, iova, iova);
	if (map)
		*tlb = map;
	return map;
}

/* The part of [@iova, @iova + @len) one mapping covers; 0: none. */
static size_t vmq_vdpa_translate(struct vmq_vdpa_dev *vd, u64 iova,
				 size_t len, bool write, phys_addr_t *pa)
{
	struct vhost_iotlb_map *map;

	if (vd->passthrough) {
		*pa = iova;
		return len;
	}
	map = vmq_vdpa_lookup(vd, iova);
	if (!map || !(map->perm & (write ? VHOST_MAP_WO : VHOST_MAP_RO)))
		return 0;
	*pa = map->addr + (iova - map->start);
	return min_t(u64, len, map->last - iova + 1);
}

/**
 * vmq_vdpa_dma_rw() - the NIC's access to the driver's memory
 * @ctx: the device (&vmq_guest_ops.dma_rw's context).
 * @iova: the driver's address.
 * @buf: kernel buffer.
 * @len: bytes.
 * @write: into the driver's memory, else from it.
 *
 * Context: any but hard irq; never waits for anyone.
 * Return: 0, or -EFAULT where the driver mapped nothing (or not so).
 */
int vmq_vdpa_dma_rw(void *ctx, u64 iova, void *buf, size_t len, bool write)
{
	struct vmq_vdpa_dev *vd = ctx;
	phys_addr_t pa;
	size_t part;
	int err = 0;

	/* BHs off: the classifier comes here too (vmq_vdpa_dma_try()). */
	spin_lock_bh(&vd->iotlb_lock);
	while (len && !err) {
		part = vmq_vdpa_translate(vd, iova, len, write, &pa);
		if (!part || iova + part - 1 < iova) {
			err = -EFAULT;
			break;
		}
		err = vmq_vdpa_copy_pa(pa, buf, part, write);
		iova += part;
		buf += part;
		len -= part;
	}
	spin_unlock_bh(&vd->iotlb_lock);
	return err;
}

/**
 * vmq_vdpa_dma_try() - the same for the NIC's receive path
 * @ctx: the device (&vmq_guest_ops.dma_try's context).
 * @iova: the driver's address.
 * @buf: kernel buffer.
 * @len: bytes.
 * @write: into the driver's memory, else from it.
 *
 * The driver's memory is always at hand (pinned by vhost-vdpa, or the
 * host's own), so only a bad address fails, and that is for the engine's
 * vmq_vdpa_dma_rw() to find and report.
 *
 * Context: any but hard irq.
 * Return: 0, or -EAGAIN.
 */
int vmq_vdpa_dma_try(void *ctx, u64 iova, void *buf, size_t len, bool write)
{
	return vmq_vdpa_dma_rw(ctx, iova, buf, len, write) ? -EAGAIN : 0;
}

/**
 * vmq_vdpa_set_map() - the driver's mappings, all at once
 * @vdpa: the device.
 * @asid: its one address space, 0.
 * @iotlb: the mappings; copied.
 *
 * Return: 0, -EINVAL for another address space, or -ENOMEM.
 */
int vmq_vdpa_set_map(struct vdpa_device *vdpa, unsigned int asid,
		     struct vhost_iotlb *iotlb)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);
	struct vhost_iotlb_map *map;
	int err = 0;

	if (asid)
		return -EINVAL;
	/*
	 * Replaced under the lock, so an access sees the old map or the
	 * new one; a map left short by -ENOMEM fails the accesses it lacks.
	 */
	spin_lock_bh(&vd->iotlb_lock);
	memset(vd->tlb, 0, sizeof(vd->tlb));
	vhost_iotlb_reset(&vd->iotlb);
	for (map = vhost_iotlb_itree_first(iotlb, 0, U64_MAX); map && !err;
	     map = vhost_iotlb_itree_next(map, 0, U64_MAX))
		err = vhost_iotlb_add_range(&vd->iotlb, map->start, map->last,
					    map->addr, map->perm);
	vd->passthrough = false;
	spin_unlock_bh(&vd->iotlb_lock);
	return err;
}

/**
 * vmq_vdpa_reset_map() - back to passthrough
 * @vdpa: the device.
 * @asid: 0.
 *
 * Return: 0, or -EINVAL for another address space.
 */
int vmq_vdpa_reset_map(struct vdpa_device *vdpa, unsigned int asid)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);

	if (asid)
		return -EINVAL;
	spin_lock_bh(&vd->iotlb_lock);
	memset(vd->tlb, 0, sizeof(vd->tlb));
	vhost_iotlb_reset(&vd->iotlb);
	vd->passthrough = true;
	spin_unlock_bh(&vd->iotlb_lock);
	return 0;
}

/**
 * vmq_vdpa_dma_init() - a new device, in passthrough
 * @vd: the device.
 */
void vmq_vdpa_dma_init(struct vmq_vdpa_dev *vd)
{
	spin_lock_init(&vd->iotlb_lock);
	vhost_iotlb_init(&vd->iotlb, VMQ_VDPA_IOTLB_MAX, 0);
	memset(vd->tlb, 0, sizeof(vd->tlb));
	vd->passthrough = true;
}

/**
 * vmq_vdpa_dma_fini() - the device goes
 * @vd: the device; the NIC no longer reaches its memory.
 */
void vmq_vdpa_dma_fini(struct vmq_vdpa_dev *vd)
{
	memset(vd->tlb, 0, sizeof(vd->tlb));
	vhost_iotlb_reset(&vd->iotlb);
}
