// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vdpa: how the NIC reaches the driver's memory.
 *
 * vhost-vdpa gives the device the guest's mappings (set_map): IOVA to
 * the physical address of pages it holds pinned, with their access
 * rights.  The device keeps its own copy, changing in it only what each
 * new map changes, and translates every access through it; an IOVA
 * outside it, or against its rights, fails, and the queue pair stops in
 * its error state.  A device no map was given to reaches nothing.
 *
 * vhost-vdpa unpins a range's pages before it tells the device (and,
 * inside an IOTLB batch, not until the batch ends), so the device's copy
 * holds a reference on every page it maps: a page the VMM unmaps stays
 * allocated until the next map the device is given no longer holds it,
 * and the NIC never writes a page the host gave to someone else.
 *
 * The host's own virtio_net over virtio_vdpa hands the device DMA
 * addresses of a device without an IOMMU, which are physical addresses
 * of the host's memory: only while that driver runs the device is an
 * IOVA a physical address (passthrough), decided when it sets DRIVER_OK.
 * Any other driver, vhost-vdpa above all, reaches only what it mapped.
 */

#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/string.h>
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

	if (!vd->iotlb)
		return NULL;
	tlb = &vd->tlb[(iova >> PAGE_SHIFT) % VMQ_VDPA_TLB_SIZE];
	map = *tlb;
	if (map && iova >= map->start && iova <= map->last)
		return map;
	map = vhost_iotlb_itree_first(vd->iotlb, iova, iova);
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
 * The driver's memory is always at hand (held by the device's map, or
 * the host's own), so only a bad address fails, and that is for the
 * engine's vmq_vdpa_dma_rw() to find and report.
 *
 * Context: any but hard irq.
 * Return: 0, or -EAGAIN.
 */
int vmq_vdpa_dma_try(void *ctx, u64 iova, void *buf, size_t len, bool write)
{
	return vmq_vdpa_dma_rw(ctx, iova, buf, len, write) ? -EAGAIN : 0;
}

/*
 * Drop the references on the RAM pages of @map's first @n bytes that
 * vmq_vdpa_hold() took.
 */
static void vmq_vdpa_release(const struct vhost_iotlb_map *map, u64 n)
{
	unsigned long pfn = PHYS_PFN(map->addr);
	unsigned long end = PHYS_PFN(map->addr + n - 1);

	for (; n && pfn <= end; pfn++) {
		if (pfn_valid(pfn))
			folio_put(page_folio(pfn_to_page(pfn)));
		/* A map may reach all of a large guest's memory. */
		cond_resched();
	}
}

/*
 * Take a reference on each RAM page @map reaches, counted in
 * @vd->page_refs.  vhost-vdpa holds them pinned while it hands the map
 * over, so none can be free; if one is, the map is refused.
 */
static int vmq_vdpa_hold(struct vmq_vdpa_dev *vd,
			 const struct vhost_iotlb_map *map)
{
	unsigned long first = PHYS_PFN(map->addr);
	unsigned long end = PHYS_PFN(map->addr + map->size - 1);
	unsigned long pfn;
	u64 held = 0;

	if (map->addr + map->size - 1 < map->addr)
		return -EFAULT;
	for (pfn = first; pfn <= end; pfn++) {
		if (pfn_valid(pfn)) {
			if (!folio_try_get(page_folio(pfn_to_page(pfn)))) {
				if (pfn > first)
					vmq_vdpa_release(map, PFN_PHYS(pfn) -
							      map->addr);
				return -EFAULT;
			}
			held++;
		}
		cond_resched();
	}
	vd->page_refs += held;
	return 0;
}

/* Free a map of the device's, and what it held. */
static void vmq_vdpa_map_free(struct vhost_iotlb *iotlb)
{
	struct vhost_iotlb_map *map;

	if (!iotlb)
		return;
	for (map = vhost_iotlb_itree_first(iotlb, 0, U64_MAX); map;
	     map = vhost_iotlb_itree_next(map, 0, U64_MAX))
		vmq_vdpa_release(map, map->size);
	vhost_iotlb_free(iotlb);
}

/* An order of mappings, by IOVA first; 0: the same mapping. */
static int vmq_vdpa_map_cmp(const struct vhost_iotlb_map *a,
			    const struct vhost_iotlb_map *b)
{
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->last != b->last)
		return a->last < b->last ? -1 : 1;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	if (a->perm != b->perm)
		return a->perm < b->perm ? -1 : 1;
	return 0;
}

static struct vhost_iotlb_map *vmq_vdpa_map_next(struct vhost_iotlb_map *map)
{
	return vhost_iotlb_itree_next(map, 0, U64_MAX);
}

/*
 * What @src changes in the device's map, staged: in @add a copy of each
 * mapping of @src the device lacks, holding its pages; in @gone each of
 * the device's mappings @src lacks, with the device's own as its opaque.
 * Both maps are walked side by side in IOVA order.  A mapping in both
 * keeps its page references: outside a batch vhost-vdpa hands over the
 * whole map for every IOTLB message, so holding every page again would
 * cost each message all that is mapped.  Only the map's writer changes
 * the device's map (map_lock), so it reads it without iotlb_lock.
 */
static int vmq_vdpa_map_diff(struct vmq_vdpa_dev *vd, struct vhost_iotlb *src,
			     struct vhost_iotlb *add, struct vhost_iotlb *gone)
{
	struct vhost_iotlb_map *old, *new;
	int cmp, err = 0;

	old = vhost_iotlb_itree_first(vd->iotlb, 0, U64_MAX);
	new = vhost_iotlb_itree_first(src, 0, U64_MAX);
	while (old || new) {
		cmp = !old ? 1 : !new ? -1 : vmq_vdpa_map_cmp(old, new);
		if (cmp < 0) {
			err = vhost_iotlb_add_range_ctx(gone, old->start,
							old->last, old->addr,
							old->perm, old);
			if (err)
				break;
		} else if (cmp > 0) {
			err = vmq_vdpa_hold(vd, new);
			if (err)
				break;
			err = vhost_iotlb_add_range(add, new->start, new->last,
						    new->addr, new->perm);
			if (err) {
				vmq_vdpa_release(new, new->size);
				break;
			}
		}
		if (cmp <= 0)
			old = vmq_vdpa_map_next(old);
		if (cmp >= 0)
			new = vmq_vdpa_map_next(new);
		/* A map may hold thousands of mappings. */
		cond_resched();
	}
	return err;
}

/* The mapping of @iotlb that is the same as @map. */
static struct vhost_iotlb_map *vmq_vdpa_map_find(struct vhost_iotlb *iotlb,
						 const struct vhost_iotlb_map *map)
{
	struct vhost_iotlb_map *m;

	for (m = vhost_iotlb_itree_first(iotlb, map->start, map->last); m;
	     m = vhost_iotlb_itree_next(m, map->start, map->last))
		if (!vmq_vdpa_map_cmp(m, map))
			break;
	return m;
}

/*
 * Make the staged change, all of it or, for want of memory, none, while
 * no access runs: an access sees the old map or the new one.  The
 * mappings of @add become the device's, with their page references;
 * those of @gone leave it, their references passing to @gone.  The
 * lock is held for work in proportion to the change, not to the map.
 */
static int vmq_vdpa_map_apply(struct vmq_vdpa_dev *vd,
			      struct vhost_iotlb *add,
			      struct vhost_iotlb *gone)
{
	struct vhost_iotlb_map *map, *undo;
	int err = 0;

	spin_lock_bh(&vd->iotlb_lock);
	for (map = vhost_iotlb_itree_first(add, 0, U64_MAX); map;
	     map = vmq_vdpa_map_next(map)) {
		err = vhost_iotlb_add_range(vd->iotlb, map->start, map->last,
					    map->addr, map->perm);
		if (err)
			break;
	}
	if (err) {
		/* Each is there: it was just added. */
		for (undo = vhost_iotlb_itree_first(add, 0, U64_MAX);
		     undo != map; undo = vmq_vdpa_map_next(undo))
			vhost_iotlb_map_free(vd->iotlb,
					     vmq_vdpa_map_find(vd->iotlb, undo));
	} else {
		for (map = vhost_iotlb_itree_first(gone, 0, U64_MAX); map;
		     map = vmq_vdpa_map_next(map))
			vhost_iotlb_map_free(vd->iotlb, map->opaque);
	}
	memset(vd->tlb, 0, sizeof(vd->tlb));
	spin_unlock_bh(&vd->iotlb_lock);
	return err;
}

/*
 * Make @iotlb the device's map; the old one is freed once unused.  The
 * map's writer, under map_lock.
 */
static void vmq_vdpa_map_swap(struct vmq_vdpa_dev *vd,
			      struct vhost_iotlb *iotlb)
{
	struct vhost_iotlb *old;

	lockdep_assert_held(&vd->map_lock);
	spin_lock_bh(&vd->iotlb_lock);
	old = vd->iotlb;
	vd->iotlb = iotlb;
	memset(vd->tlb, 0, sizeof(vd->tlb));
	spin_unlock_bh(&vd->iotlb_lock);
	/* Every access holds the lock: none uses @old any more. */
	vmq_vdpa_map_free(old);
}

/* The device's map becomes @src's mappings; under map_lock. */
static int vmq_vdpa_map_update(struct vmq_vdpa_dev *vd,
			       struct vhost_iotlb *src)
{
	struct vhost_iotlb *add, *gone, *empty;
	int err;

	lockdep_assert_held(&vd->map_lock);
	if (!src->nmaps) {
		/* None: NULL, as the device starts, reaching nothing. */
		vmq_vdpa_map_swap(vd, NULL);
		return 0;
	}
	if (!vd->iotlb) {
		empty = vhost_iotlb_alloc(UINT_MAX, 0);
		if (!empty)
			return -ENOMEM;
		vmq_vdpa_map_swap(vd, empty);
	}
	/*
	 * No limit but vhost-vdpa's own, on @src: the device takes every
	 * map it takes, and holds both a changed mapping's old and new
	 * copies for a moment.
	 */
	add = vhost_iotlb_alloc(UINT_MAX, 0);
	gone = vhost_iotlb_alloc(UINT_MAX, 0);
	err = add && gone ? vmq_vdpa_map_diff(vd, src, add, gone) : -ENOMEM;
	if (!err)
		err = vmq_vdpa_map_apply(vd, add, gone);
	if (err) {
		/* The old map stays; what was held for the new one goes. */
		vmq_vdpa_map_free(add);
		vhost_iotlb_free(gone);
		/* A first map not taken leaves none, as before it. */
		if (!vd->iotlb->nmaps)
			vmq_vdpa_map_swap(vd, NULL);
	} else {
		/* The device's old mappings, now unused: their pages go. */
		vhost_iotlb_free(add);
		vmq_vdpa_map_free(gone);
	}
	return err;
}

/**
 * vmq_vdpa_set_map() - the driver's mappings, all at once
 * @vdpa: the device.
 * @asid: its one address space, 0.
 * @iotlb: the mappings; copied.
 *
 * Only what changed since the last map is copied, and that before the
 * NIC uses it, so an access sees the old map or the new one; if it
 * cannot be made, the old one stays, with the pages it holds.
 *
 * Context: process context, may sleep.
 * Return: 0, -EINVAL for another address space, -ENOMEM, or -EFAULT for
 * a mapping that wraps or a page no one holds.
 */
int vmq_vdpa_set_map(struct vdpa_device *vdpa, unsigned int asid,
		     struct vhost_iotlb *iotlb)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);
	int err;

	if (asid)
		return -EINVAL;
	mutex_lock(&vd->map_lock);
	err = vmq_vdpa_map_update(vd, iotlb);
	mutex_unlock(&vd->map_lock);
	if (err)
		dev_warn_ratelimited(&vdpa->dev, "map not taken: %d\n", err);
	return err;
}

/**
 * vmq_vdpa_reset_map() - no mappings
 * @vdpa: the device.
 * @asid: 0.
 *
 * vhost-vdpa calls it only as it closes, after resetting the device: what
 * the NIC kept for the driver's next start (vmq_guest_qp_release()) goes
 * too.
 *
 * Return: 0, or -EINVAL for another address space.
 */
int vmq_vdpa_reset_map(struct vdpa_device *vdpa, unsigned int asid)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);

	if (asid)
		return -EINVAL;
	mutex_lock(&vd->map_lock);
	vmq_vdpa_map_swap(vd, NULL);
	mutex_unlock(&vd->map_lock);
	/* vhost-vdpa's close, after its reset: the driver let the device go. */
	vmq_guest_qp_release(vd->vdev, vd->qp);
	return 0;
}

/**
 * vmq_vdpa_host_driver() - is the driver running the device the host's own?
 * @vd: the device.
 *
 * Return: true while virtio_vdpa is bound to it (its remove included).
 */
bool vmq_vdpa_host_driver(struct vmq_vdpa_dev *vd)
{
	struct device_driver *drv = READ_ONCE(vd->vdpa.dev.driver);

	return drv && !strcmp(drv->name, "virtio_vdpa");
}

/**
 * vmq_vdpa_dma_start() - the driver set DRIVER_OK: how its addresses read
 * @vd: the device, its queue pair stopped.
 *
 * Passthrough for the host's own virtio_vdpa, whose DMA addresses are
 * physical ones; the map for every other driver.  A reset ends it
 * (vmq_vdpa_dma_stop()).
 *
 * Return: false if the device reaches nothing: not passthrough, no map.
 */
bool vmq_vdpa_dma_start(struct vmq_vdpa_dev *vd)
{
	bool passthrough = vmq_vdpa_host_driver(vd);
	bool reach;

	spin_lock_bh(&vd->iotlb_lock);
	vd->passthrough = passthrough;
	reach = passthrough || vd->iotlb;
	spin_unlock_bh(&vd->iotlb_lock);
	return reach;
}

/**
 * vmq_vdpa_dma_stop() - the device was reset: only the map again
 * @vd: the device, its queue pair stopped.
 */
void vmq_vdpa_dma_stop(struct vmq_vdpa_dev *vd)
{
	spin_lock_bh(&vd->iotlb_lock);
	vd->passthrough = false;
	spin_unlock_bh(&vd->iotlb_lock);
}

/**
 * vmq_vdpa_dma_init() - a new device, reaching nothing
 * @vd: the device.
 */
void vmq_vdpa_dma_init(struct vmq_vdpa_dev *vd)
{
	mutex_init(&vd->map_lock);
	spin_lock_init(&vd->iotlb_lock);
	vd->iotlb = NULL;
	memset(vd->tlb, 0, sizeof(vd->tlb));
	vd->passthrough = false;
}

/**
 * vmq_vdpa_dma_fini() - the device goes
 * @vd: the device; the NIC no longer reaches its memory.
 */
void vmq_vdpa_dma_fini(struct vmq_vdpa_dev *vd)
{
	mutex_lock(&vd->map_lock);
	vmq_vdpa_map_swap(vd, NULL);
	mutex_unlock(&vd->map_lock);
	mutex_destroy(&vd->map_lock);
}
