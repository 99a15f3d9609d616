// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: guest queue pairs, whose rings and buffers live in a
 * virtual machine's memory.
 *
 * The owner (vmq_vfio) allocates one, lets the host admin give it a MAC
 * and VLAN (guest_l2.c), starts it on the guest's ring configuration and
 * forwards the guest's doorbells; the driver's engine reads &struct
 * vmq_guest_qp in qp_start and in its data path.  The guest is untrusted:
 * every ring parameter is checked here before the hardware sees it, and
 * every error the hardware finds goes through vmq_guest_qp_error().
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/if_vlan.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include "vmq_priv.h"

static const char * const vmq_err_names[] = {
	[VMQ_ERR_NONE]		= "none",
	[VMQ_ERR_RING_CFG]	= "bad ring configuration",
	[VMQ_ERR_RING_INDEX]	= "ring index out of range",
	[VMQ_ERR_DMA]		= "DMA outside mapped memory",
	[VMQ_ERR_TX_LEN]	= "bad transmit length",
	[VMQ_ERR_RX_LEN]	= "frame larger than receive buffer",
	[VMQ_ERR_UNMAP]		= "ring memory unmapped",
	[VMQ_ERR_CHAIN]		= "bad descriptor chain",
};

/* What enum vmq_err @err means, in words. */
const char *vmq_guest_err_name(u32 err)
{
	return err < ARRAY_SIZE(vmq_err_names) ? vmq_err_names[err] : "?";
}

const char *vmq_guest_qp_name(const struct vmq_qp *qp)
{
	return qp->guest ? qp->guest->name : NULL;
}

/**
 * vmq_guest_qp() - the guest state of a queue pair
 * @vdev: the vmq device.
 * @qp: queue pair index.
 *
 * For the driver's qp_start, qp_stop and data path, and for the owner.
 *
 * Return: the guest queue pair, or NULL if @qp is not a guest queue pair
 * (one a VFIO or vDPA owner allocated).
 * It stays valid until vmq_guest_qp_free(), which stops the queue pair
 * first.
 */
struct vmq_guest_qp *vmq_guest_qp(struct vmq_dev *vdev, u32 qp)
{
	return vdev->qps[qp].guest;
}
EXPORT_SYMBOL_GPL(vmq_guest_qp);

/**
 * vmq_guest_qp_error() - a guest queue pair met a guest error
 * @gqp: the guest queue pair.
 * @err: what went wrong.
 *
 * Records the first error, counts it and raises the owner's error event.
 * The driver's engine stops touching the rings once an error is set; the
 * queue pair stays so until its owner stops and clears it.
 *
 * Context: any.
 * Return: true if this was the first error.
 */
bool vmq_guest_qp_error(struct vmq_guest_qp *gqp, enum vmq_err err)
{
	if (cmpxchg(&gqp->error, VMQ_ERR_NONE, err) != VMQ_ERR_NONE)
		return false;
	pr_warn_ratelimited("guest queue %s: %s, queue stopped\n", gqp->name,
			    vmq_guest_err_name(err));
	vmq_guest_count(gqp, VMQ_CNT_ERRORS, 1);
	vmq_guest_notify(gqp, VMQ_GUEST_EV_ERR);
	vmq_devlink_guest_error(gqp->vdev, gqp->id, gqp->name, err);
	return true;
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_error);

/**
 * vmq_guest_qp_count_drop() - a frame for a guest queue pair was dropped
 * @vdev: the vmq device.
 * @qp: queue pair index.
 *
 * For the driver's classifier, when a frame is steered to a queue pair
 * that does not run (never started, stopped, or in error): the guest's
 * rx_drops counts it if @qp is a guest's.
 *
 * Context: RCU read side.
 */
void vmq_guest_qp_count_drop(struct vmq_dev *vdev, u32 qp)
{
	struct vmq_guest_qp *gqp = READ_ONCE(vdev->qps[qp].guest);

	if (gqp)
		vmq_guest_count(gqp, VMQ_CNT_RX_DROPS, 1);
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_count_drop);

/**
 * vmq_guest_qp_avail() - how many guest queue pairs could be allocated
 * @vdev: the vmq device.
 *
 * Return: free queue pairs; a snapshot.
 */
u32 vmq_guest_qp_avail(struct vmq_dev *vdev)
{
	u32 i, n = 0;

	if (!vdev->ops->guest)
		return 0;
	for (i = 0; i < vdev->caps.num_qps; i++)
		if (READ_ONCE(vdev->qps[i].state) == VMQ_QP_FREE)
			n++;
	return n;
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_avail);

/**
 * vmq_guest_vport_avail() - how many sets of queue pairs could be allocated
 * @vdev: the vmq device.
 * @count: queue pairs in each set (vmq_guest_vport_alloc()).
 *
 * Return: how many runs of @count free queue pairs in a row the device
 * has, side by side; 0 for several without RSS.  A snapshot.
 */
u32 vmq_guest_vport_avail(struct vmq_dev *vdev, u32 count)
{
	u32 i, run = 0, n = 0;

	if (!vdev->ops->guest || !count || (count > 1 && !vdev->caps.rss))
		return 0;
	for (i = 0; i < vdev->caps.num_qps; i++) {
		run = READ_ONCE(vdev->qps[i].state) == VMQ_QP_FREE ? run + 1 : 0;
		if (run == count) {
			n++;
			run = 0;
		}
	}
	return n;
}
EXPORT_SYMBOL_GPL(vmq_guest_vport_avail);

static struct vmq_guest_qp *vmq_guest_qp_create(const struct vmq_guest_ops *ops,
						void *ctx, const char *name)
{
	struct vmq_guest_qp *gqp;

	gqp = kzalloc(sizeof(*gqp), GFP_KERNEL);
	if (!gqp)
		return NULL;
	gqp->ops = ops;
	gqp->ctx = ctx;
	gqp->loc = VMQ_LOC_ANY;
	gqp->spoofchk = true;
	skb_queue_head_init(&gqp->held);
	strscpy(gqp->name, name, sizeof(gqp->name));
	return gqp;
}

/* The first of @count free queue pairs in a row, or the number of qps. */
static u32 vmq_guest_find_free(struct vmq_dev *vdev, u32 count)
{
	u32 i, run = 0;

	for (i = vdev->channels; i < vdev->caps.num_qps; i++) {
		run = vdev->qps[i].state == VMQ_QP_FREE ? run + 1 : 0;
		if (run == count)
			return i + 1 - count;
	}
	return vdev->caps.num_qps;
}

static void vmq_guest_qps_kfree(struct vmq_guest_qp **gqps, u32 count)
{
	u32 i;

	for (i = 0; i < count; i++)
		kfree(gqps[i]);
}

/* Give the set at @first its queue pairs and, for several, its table. */
static int vmq_guest_vport_claim(struct vmq_dev *vdev,
				 struct vmq_guest_qp **gqps, u32 first,
				 u32 count)
{
	int ctx = 0;
	u32 i;

	if (count > 1) {
		ctx = vmq_rss_guest_add(vdev, first);
		if (ctx < 0)
			return ctx;
	}
	for (i = 0; i < count; i++) {
		gqps[i]->vdev = vdev;
		gqps[i]->id = first + i;
		gqps[i]->vport = first;
		gqps[i]->nr_qps = count;
		/* Published whole: the data path may look it up (RCU). */
		smp_store_release(&vdev->qps[first + i].guest, gqps[i]);
		vmq_qp_claim(vdev, first + i,
			     gqps[i]->ops->owner ? gqps[i]->ops->owner :
						   VMQ_OWNER_VFIO);
	}
	gqps[0]->rss_ctx = ctx;
	return 0;
}

/**
 * vmq_guest_vport_alloc() - take free queue pairs in a row for one guest
 * @vdev: the vmq device.
 * @ops: the owner's DMA and notification operations.
 * @ctx: @count contexts, one per queue pair, each passed to @ops for it.
 * @count: how many queue pairs, 1..%VMQ_VFIO_MAX_QUEUES.
 * @name: the owner's name for them (e.g. the mdev's UUID), for the views.
 *
 * The queue pairs are owned by @ops->owner (%VMQ_OWNER_VFIO if that is
 * %VMQ_OWNER_NONE) and switch as one vport (vmq_qp_vport()).  The MAC,
 * VLAN, anti-spoofing and trunk settings, the MAC filter and
 * vmq_guest_qp_match() are the set's, given through its first queue
 * pair; rings, start, stop, doorbells, counters and errors are each
 * queue pair's.  Several queue pairs get an RSS table of their own,
 * which the filter names and vmq_guest_vport_rss() sets: until then
 * every frame goes to the first.  Nothing has a MAC filter until
 * vmq_guest_qp_set_l2(), anti-spoofing is on, and nothing runs until
 * vmq_guest_qp_start().
 *
 * Context: process context, may sleep.
 * Return: the first queue pair's index, or -ENOSPC when there are not
 * @count free queue pairs in a row (or, for several, no RSS table is
 * free), -EOPNOTSUPP when the driver cannot run guest queues (or, for
 * several, has no RSS), -EINVAL for a bad @count, -ENOMEM.
 */
int vmq_guest_vport_alloc(struct vmq_dev *vdev, const struct vmq_guest_ops *ops,
			  void * const *ctx, u32 count, const char *name)
{
	struct vmq_guest_qp *gqps[VMQ_VFIO_MAX_QUEUES] = {};
	u32 i, first;
	int err;

	if (!vdev->ops->guest || (count > 1 && !vdev->caps.rss)) {
		netdev_warn(vdev->netdev, "vmq: driver has no guest queues%s\n",
			    count > 1 ? " with RSS" : "");
		return -EOPNOTSUPP;
	}
	if (!count || count > VMQ_VFIO_MAX_QUEUES)
		return -EINVAL;
	for (i = 0; i < count; i++) {
		gqps[i] = vmq_guest_qp_create(ops, ctx[i], name);
		if (!gqps[i]) {
			vmq_guest_qps_kfree(gqps, count);
			return -ENOMEM;
		}
	}

	mutex_lock(&vdev->lock);
	first = vmq_guest_find_free(vdev, count);
	if (first == vdev->caps.num_qps) {
		err = -ENOSPC;
		if (count > 1)
			netdev_warn(vdev->netdev,
				    "vmq: no %u free queue pairs in a row for %s\n",
				    count, name);
		else
			netdev_warn(vdev->netdev,
				    "vmq: no free queue pair for %s\n", name);
	} else {
		err = vmq_guest_vport_claim(vdev, gqps, first, count);
		if (err)
			netdev_warn(vdev->netdev,
				    "vmq: no RSS table for %s: %d\n", name, err);
	}
	mutex_unlock(&vdev->lock);
	if (err) {
		vmq_guest_qps_kfree(gqps, count);
		return err;
	}
	return first;
}
EXPORT_SYMBOL_GPL(vmq_guest_vport_alloc);

/**
 * vmq_guest_qp_alloc() - take a free queue pair for a guest
 * @vdev: the vmq device.
 * @ops: the owner's DMA and notification operations.
 * @ctx: passed to @ops.
 * @name: the owner's name for it (e.g. the mdev's UUID), for the views.
 *
 * vmq_guest_vport_alloc() of one queue pair.
 *
 * Context: process context, may sleep.
 * Return: the queue pair index, or -ENOSPC when none is free,
 * -EOPNOTSUPP when the driver cannot run guest queues, -ENOMEM.
 */
int vmq_guest_qp_alloc(struct vmq_dev *vdev, const struct vmq_guest_ops *ops,
		       void *ctx, const char *name)
{
	return vmq_guest_vport_alloc(vdev, ops, &ctx, 1, name);
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_alloc);

/**
 * vmq_guest_qp_free() - return a guest's queue pairs to the pool
 * @vdev: the vmq device.
 * @qp: as vmq_guest_vport_alloc() or vmq_guest_qp_alloc() returned.
 *
 * Frees all of the set's queue pairs: removes the MAC filter and the RSS
 * table, stops those that run, and drains each (see
 * vmq_guest_qp_drain()) before its guest state goes.  A grace period
 * after the filter went, each queue pair goes back to the pool.
 *
 * Context: process context, may sleep.
 */
void vmq_guest_qp_free(struct vmq_dev *vdev, u32 qp)
{
	struct vmq_guest_qp *gqps[VMQ_VFIO_MAX_QUEUES];
	struct vmq_guest_qp *gqp;
	u32 i, n;

	mutex_lock(&vdev->lock);
	gqp = vdev->qps[qp].guest;
	if (WARN_ON(!gqp || !vmq_owner_is_guest(vdev->qps[qp].owner) ||
		    gqp->vport != qp)) {
		mutex_unlock(&vdev->lock);
		return;
	}
	n = gqp->nr_qps;
	/* Stop steering first, then DMA. */
	if (gqp->loc != VMQ_LOC_ANY)
		__vmq_filter_del(vdev, gqp->loc);
	if (gqp->rss_ctx)
		vmq_rss_fwd_del(vdev, gqp->rss_ctx);
	for (i = 0; i < n; i++)
		vmq_qp_stop(vdev, qp + i);
	mutex_unlock(&vdev->lock);
	/*
	 * A classifier that found the filter before it went may still be
	 * on its way to a queue pair: once one is released, a new owner
	 * may claim and start it, and take this guest's frame.  A stop
	 * need not wait for such passes, and one that never ran has none.
	 */
	synchronize_net();
	/*
	 * Still the guest's while an access waits on guest memory: a new
	 * owner starting one would find the old engine, and tell the old
	 * owner what it completed.
	 */
	for (i = 0; i < n; i++)
		vmq_guest_qp_abort(vdev, qp + i);
	for (i = 0; i < n; i++) {
		vmq_guest_qp_drain(vdev, qp + i);
		vmq_guest_qp_release(vdev, qp + i);
	}
	mutex_lock(&vdev->lock);
	for (i = 0; i < n; i++) {
		gqps[i] = vdev->qps[qp + i].guest;
		vmq_qp_release(vdev, qp + i);
		WRITE_ONCE(vdev->qps[qp + i].guest, NULL);
	}
	mutex_unlock(&vdev->lock);
	for (i = 0; i < n; i++) {
		skb_queue_purge(&gqps[i]->held);
		/* vmq_guest_qp_count_drop() may have found it. */
		kfree_rcu(gqps[i], rcu);
	}
	vmq_devlink_guest_recheck(vdev);
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_free);

/**
 * vmq_guest_vport_rss() - the guest's RSS key and indirection table
 * @vdev: the vmq device.
 * @qp: the first of a guest's several queue pairs.
 * @key: %VMQ_RSS_KEY_SIZE bytes.
 * @table: %VMQ_RSS_INDIR_SIZE queue indices within the set, each taken
 *	modulo the set's size.
 *
 * The guest controls how its own frames spread and nothing else: the
 * table can only name the set's queue pairs.  Applied in one step, also
 * while the queue pairs run.
 *
 * Context: process context, may sleep.
 * Return: 0, -EOPNOTSUPP for a set of one, or the driver's error.
 */
int vmq_guest_vport_rss(struct vmq_dev *vdev, u32 qp, const u8 *key,
			const u8 *table)
{
	struct vmq_guest_qp *gqp;
	int err;

	mutex_lock(&vdev->lock);
	gqp = vdev->qps[qp].guest;
	err = gqp->rss_ctx ? vmq_rss_guest_write(vdev, gqp->rss_ctx, qp,
						 gqp->nr_qps, key, table) :
			     -EOPNOTSUPP;
	mutex_unlock(&vdev->lock);
	return err;
}
EXPORT_SYMBOL_GPL(vmq_guest_vport_rss);

static int vmq_guest_ring_check(struct vmq_guest_qp *gqp, const char *what,
				const struct vmq_ring_state *ring, u32 min,
				u32 max)
{
	if (!is_power_of_2(ring->size) || ring->size < min ||
	    ring->size > max) {
		pr_warn_ratelimited("guest queue %s: %s ring size %u, want a power of 2 in %u..%u\n",
				    gqp->name, what, ring->size, min, max);
		return -EINVAL;
	}
	/* By its last byte: a ring may end at the top of the IOVA space. */
	if (!IS_ALIGNED(ring->base, VMQ_RING_ALIGN) ||
	    ring->base + (u64)ring->size * sizeof(struct vmq_desc) - 1 <
	    ring->base) {
		pr_warn_ratelimited("guest queue %s: %s ring base %#llx not %u-byte aligned or past the top of the IOVA space\n",
				    gqp->name, what, ring->base,
				    VMQ_RING_ALIGN);
		return -EINVAL;
	}
	if (ring->head >= ring->size || ring->tail >= ring->size) {
		pr_warn_ratelimited("guest queue %s: %s ring index %u/%u beyond size %u\n",
				    gqp->name, what, ring->head, ring->tail,
				    ring->size);
		return -EINVAL;
	}
	return 0;
}

/*
 * Read one byte of every page of a ring's area, [@base, @base + @len).
 * A ring the device cannot
 * reach at enable is the guest's error (VMQ_ERR_DMA); one it cannot
 * reach later was unmapped under it (VMQ_ERR_UNMAP): the engine can tell
 * the two apart only if enable checked.  Page by page, since a mapping
 * is made of pages.
 */
static int vmq_guest_area_reachable(struct vmq_guest_qp *gqp, const char *what,
				    u64 base, u64 len)
{
	u64 last = base + len - 1;
	u64 iova = base;
	u8 byte;

	for (;;) {
		if (vmq_guest_dma_rw(gqp, iova, &byte, 1, false)) {
			pr_warn_ratelimited("guest queue %s: %s ring at %#llx: %#llx not in mapped memory\n",
					    gqp->name, what, base, iova);
			return -EFAULT;
		}
		/* The next page, unless past the area or the top of the space. */
		iova = ALIGN_DOWN(iova, PAGE_SIZE) + PAGE_SIZE;
		if (!iova || iova > last)
			return 0;
	}
}

static int vmq_guest_ring_reachable(struct vmq_guest_qp *gqp, const char *what,
				    const struct vmq_ring_state *ring)
{
	return vmq_guest_area_reachable(gqp, what, ring->base,
					(u64)ring->size * sizeof(struct vmq_desc));
}

/**
 * vmq_guest_qp_start() - let the hardware run a guest's rings
 * @vdev: the vmq device.
 * @qp: a guest queue pair, not running.
 * @state: the rings, as the guest set them up or as saved by
 *	vmq_guest_qp_save() (possibly on another device).
 *
 * Context: process context, may sleep; the owner's task (the VMM), which
 * the driver's qp_start may charge for the engine's work (its cgroups).
 * Return: 0; -EINVAL for a bad ring (size not a power of two within the
 * device's limits, misaligned base, index beyond the size) or state
 * version; -EFAULT for a ring the device cannot reach (not in mapped
 * guest memory: the queue pair is then stopped in %VMQ_ERR_DMA); -EBUSY
 * while an access of its last run still waits for the VMM (see
 * vmq_guest_qp_stop()); the driver's error if it cannot start.
 */
int vmq_guest_qp_start(struct vmq_dev *vdev, u32 qp,
		       const struct vmq_queue_state *state)
{
	struct vmq_guest_qp *gqp = vdev->qps[qp].guest;
	int err;

	if (state->version != VMQ_STATE_VERSION) {
		pr_warn_ratelimited("guest queue %s: state version %u, want %u\n",
				    gqp->name, state->version,
				    VMQ_STATE_VERSION);
		return -EINVAL;
	}
	err = vmq_guest_ring_check(gqp, "rx", &state->rx, vdev->caps.ring_min,
				   vdev->caps.rx_ring_max);
	if (!err)
		err = vmq_guest_ring_check(gqp, "tx", &state->tx,
					   vdev->caps.ring_min,
					   vdev->caps.tx_ring_max);
	if (err)
		return err;

	mutex_lock(&vdev->lock);
	if (vdev->qps[qp].state == VMQ_QP_RUNNING) {
		err = -EBUSY;
		goto out;
	}
	gqp->rx = state->rx;
	gqp->tx = state->tx;
	gqp->rx_hash = state->flags & VMQ_STATE_F_RX_HASH;
	WRITE_ONCE(gqp->error, VMQ_ERR_NONE);
	WRITE_ONCE(gqp->rings_checked, false);
	err = vmq_qp_start(vdev, qp);
out:
	mutex_unlock(&vdev->lock);
	if (err)
		return err;
	/*
	 * Checked once started, so that a start refused while the last
	 * run's access still waits in guest memory (-EBUSY) does not wait
	 * behind it; and outside the device mutex, as guest memory may take
	 * its time.  Until checked, the engine calls a failing ring access
	 * VMQ_ERR_DMA too.
	 */
	err = vmq_guest_ring_reachable(gqp, "rx", &state->rx);
	if (!err)
		err = vmq_guest_ring_reachable(gqp, "tx", &state->tx);
	if (err) {
		vmq_guest_qp_error(gqp, VMQ_ERR_DMA);
		vmq_guest_qp_stop(vdev, qp);
		return err;
	}
	WRITE_ONCE(gqp->rings_checked, true);
	return 0;
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_start);

/* The virtqueue areas: where each starts, how long, how aligned. */
static void vmq_guest_vq_areas(const struct vmq_virtq *vq, u64 *base,
			       u64 *len, u32 *align)
{
	base[0] = vq->desc;
	len[0] = 16ULL * vq->num;
	align[0] = 16;
	base[1] = vq->avail;
	len[1] = 6 + 2ULL * vq->num;
	align[1] = 2;
	base[2] = vq->used;
	len[2] = 6 + 8ULL * vq->num;
	align[2] = 4;
}

/* A virtqueue's geometry as the virtio spec wants it for a split ring. */
static int vmq_guest_vq_check(struct vmq_guest_qp *gqp, const char *what,
			      const struct vmq_virtq *vq)
{
	u64 base[3], len[3];
	u32 align[3], i;

	if (!is_power_of_2(vq->num) || vq->num > VMQ_VIRTQ_MAX) {
		pr_warn_ratelimited("guest queue %s: %s virtqueue size %u, want a power of 2 up to %u\n",
				    gqp->name, what, vq->num, VMQ_VIRTQ_MAX);
		return -EINVAL;
	}
	vmq_guest_vq_areas(vq, base, len, align);
	for (i = 0; i < 3; i++) {
		if (IS_ALIGNED(base[i], align[i]) && base[i] + len[i] - 1 >= base[i])
			continue;
		pr_warn_ratelimited("guest queue %s: %s virtqueue area %u at %#llx misaligned or past the top\n",
				    gqp->name, what, i, base[i]);
		return -EINVAL;
	}
	return 0;
}

static int vmq_guest_vq_reachable(struct vmq_guest_qp *gqp, const char *what,
				  const struct vmq_virtq *vq)
{
	u64 base[3], len[3];
	u32 align[3], i;
	int err;

	vmq_guest_vq_areas(vq, base, len, align);
	for (i = 0; i < 3; i++) {
		/* Its own bytes: an area may end where the mapping does. */
		err = vmq_guest_area_reachable(gqp, what, base[i], len[i]);
		if (err)
			return err;
	}
	return 0;
}

/**
 * vmq_guest_qp_start_virtio() - let the hardware run a guest's virtqueues
 * @vdev: the vmq device.
 * @qp: a %VMQ_RING_VIRTIO guest queue pair, not running.
 * @vq: its receive and transmit virtqueues (VMQ_VQ_RX, VMQ_VQ_TX),
 *	with the indices to go on from.
 *
 * Context: process context, may sleep; the owner's task.
 * Return: 0; -EINVAL for a virtqueue of a bad size or misaligned;
 * -EFAULT for one the device cannot reach (the queue pair is then
 * stopped in %VMQ_ERR_DMA); -EBUSY as vmq_guest_qp_start(); the driver's
 * error if it cannot start.
 */
int vmq_guest_qp_start_virtio(struct vmq_dev *vdev, u32 qp,
			      const struct vmq_virtq *vq)
{
	struct vmq_guest_qp *gqp = vdev->qps[qp].guest;
	int err;

	err = vmq_guest_vq_check(gqp, "rx", &vq[VMQ_VQ_RX]);
	if (!err)
		err = vmq_guest_vq_check(gqp, "tx", &vq[VMQ_VQ_TX]);
	if (err)
		return err;
	mutex_lock(&vdev->lock);
	if (vdev->qps[qp].state == VMQ_QP_RUNNING) {
		err = -EBUSY;
		goto out;
	}
	memcpy(gqp->vq, vq, sizeof(gqp->vq));
	WRITE_ONCE(gqp->error, VMQ_ERR_NONE);
	WRITE_ONCE(gqp->rings_checked, false);
	err = vmq_qp_start(vdev, qp);
out:
	mutex_unlock(&vdev->lock);
	if (err)
		return err;
	err = vmq_guest_vq_reachable(gqp, "rx", &vq[VMQ_VQ_RX]);
	if (!err)
		err = vmq_guest_vq_reachable(gqp, "tx", &vq[VMQ_VQ_TX]);
	if (err) {
		vmq_guest_qp_error(gqp, VMQ_ERR_DMA);
		vmq_guest_qp_stop(vdev, qp);
		return err;
	}
	WRITE_ONCE(gqp->rings_checked, true);
	return 0;
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_start_virtio);

/**
 * vmq_guest_qp_stop() - stop a guest queue pair's DMA
 * @vdev: the vmq device.
 * @qp: a guest queue pair.
 *
 * On return the hardware starts no access to guest memory, writes
 * nothing back and notifies nothing, and the ring indices and the error
 * are final, for vmq_guest_qp_save().  It does not wait for an access
 * that waits for the VMM (a fault in guest memory the VMM does not
 * resolve): that one may still complete later, and restarting the queue
 * pair fails with -EBUSY until it has.  vmq_guest_qp_drain() waits for
 * it.
 *
 * Context: process context, may sleep; never waits for the VMM.
 */
void vmq_guest_qp_stop(struct vmq_dev *vdev, u32 qp)
{
	mutex_lock(&vdev->lock);
	vmq_qp_stop(vdev, qp);
	mutex_unlock(&vdev->lock);
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_stop);

/**
 * vmq_guest_qp_abort() - end a guest queue pair's wait in guest memory
 * @vdev: the vmq device.
 * @qp: a guest queue pair.
 *
 * Ends the access vmq_guest_qp_stop() left in progress, if it still waits
 * for the VMM's memory, without waiting for it to be over: it fails as
 * one a stop came during.  Where several queue pairs go at once (one
 * VMM's device), abort them all before draining any, as one's access may
 * wait for a lock another's holds (VFIO type1's container lock).  Of a
 * running queue pair, it ends the access in progress the same way, for
 * an owner whose VMM is dying: its &vmq_guest_ops.dma_rw then fails the
 * access as -ESHUTDOWN, and starts no other that could wait.
 *
 * Context: process context, may not sleep; takes no lock of the device.
 */
void vmq_guest_qp_abort(struct vmq_dev *vdev, u32 qp)
{
	if (vdev->ops->guest->qp_abort)
		vdev->ops->guest->qp_abort(vdev, qp);
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_abort);

/**
 * vmq_guest_qp_drain() - wait for a stopped guest queue pair's last access
 * @vdev: the vmq device.
 * @qp: a guest queue pair, stopped.
 *
 * The final wait before guest memory may go (the VMM closing its
 * device, or stopping it for migration): returns once the access
 * vmq_guest_qp_stop() left in progress, if any, is over.  The driver
 * ends an access still waiting for the VMM's memory (a fault its
 * userfaultfd never serves) rather than wait for it, as
 * vmq_guest_qp_abort() does: the VMM's exit may be what would serve it.
 * Takes no lock of the device.
 *
 * Context: process context.
 */
void vmq_guest_qp_drain(struct vmq_dev *vdev, u32 qp)
{
	if (vdev->ops->guest->qp_drain)
		vdev->ops->guest->qp_drain(vdev, qp);
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_drain);

/**
 * vmq_guest_qp_release() - the owner is done with a guest queue pair
 * @vdev: the vmq device.
 * @qp: a guest queue pair, stopped and drained.
 *
 * The owner let go of the queue pair (a VMM closed its device, a driver
 * unbound): the driver lets go of what it kept for the owner from one
 * run of the queue pair to the next, so that stopping and starting it
 * again (a guest toggling or resetting its queues) creates nothing on
 * the host.  vmq_guest_qp_free() releases too.  Takes no lock of the
 * device.
 *
 * Context: process context, may sleep.
 */
void vmq_guest_qp_release(struct vmq_dev *vdev, u32 qp)
{
	if (vdev->ops->guest->qp_release)
		vdev->ops->guest->qp_release(vdev, qp);
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_release);

/**
 * vmq_guest_qp_clear() - stop a guest queue pair and forget its rings
 * @vdev: the vmq device.
 * @qp: a guest queue pair.
 *
 * The reset of the guest's device: DMA stops as in vmq_guest_qp_stop(),
 * rings, the error and held frames (dropped, counted) are cleared, and
 * the queue pair is %VMQ_QP_ALLOCATED again, as one never enabled.  MAC,
 * VLAN, anti-spoofing, counters and whether the MAC matches stay.
 *
 * Context: process context, may sleep; never waits for the VMM.
 */
void vmq_guest_qp_clear(struct vmq_dev *vdev, u32 qp)
{
	struct vmq_guest_qp *gqp = vdev->qps[qp].guest;

	mutex_lock(&vdev->lock);
	vmq_qp_stop(vdev, qp);
	/* Admin views say "disabled", not "stopped", after a reset. */
	if (vdev->qps[qp].state == VMQ_QP_DMA_STOPPED)
		WRITE_ONCE(vdev->qps[qp].state, VMQ_QP_ALLOCATED);
	memset(&gqp->rx, 0, sizeof(gqp->rx));
	memset(&gqp->tx, 0, sizeof(gqp->tx));
	memset(gqp->vq, 0, sizeof(gqp->vq));
	WRITE_ONCE(gqp->error, VMQ_ERR_NONE);
	vmq_guest_held_purge(vdev, qp);
	mutex_unlock(&vdev->lock);
	vmq_devlink_guest_recheck(vdev);
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_clear);

/**
 * vmq_guest_qp_doorbell() - the guest wrote a ring's tail
 * @vdev: the vmq device.
 * @qp: a guest queue pair.
 * @tx: the transmit ring, else the receive ring.
 * @tail: the new tail.
 *
 * While the queue pair is stopped the tail is only recorded (a guest may
 * post before enabling).  While it runs a tail beyond the ring is a guest
 * error; otherwise the driver is kicked.  A storm of doorbells costs one
 * pass of the engine per batch: the driver coalesces kicks.
 *
 * Context: any; the owner serialises it with start and stop.
 * Return: 0, or -EINVAL for a tail out of range.
 */
int vmq_guest_qp_doorbell(struct vmq_dev *vdev, u32 qp, bool tx, u32 tail)
{
	struct vmq_guest_qp *gqp = vdev->qps[qp].guest;
	struct vmq_ring_state *ring = tx ? &gqp->tx : &gqp->rx;

	vmq_guest_count(gqp, VMQ_CNT_DOORBELLS, 1);
	if (READ_ONCE(vdev->qps[qp].state) != VMQ_QP_RUNNING) {
		WRITE_ONCE(ring->tail, tail);
		return 0;
	}
	if (tail >= ring->size) {
		vmq_guest_qp_error(gqp, VMQ_ERR_RING_INDEX);
		return -EINVAL;
	}
	/* Descriptors the guest wrote before the doorbell are visible to
	 * the engine that sees the new tail.
	 */
	smp_store_release(&ring->tail, tail);
	vdev->ops->guest->qp_kick(vdev, qp, tx);
	return 0;
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_doorbell);

/**
 * vmq_guest_qp_kick() - the driver made virtqueue buffers available
 * @vdev: the vmq device.
 * @qp: a %VMQ_RING_VIRTIO guest queue pair.
 * @tx: the transmit virtqueue was kicked, not the receive one.
 *
 * The device reads the available rings itself: a kick only wakes it, and
 * is ignored while the queue pair does not run.
 *
 * Context: any; must not sleep.
 */
void vmq_guest_qp_kick(struct vmq_dev *vdev, u32 qp, bool tx)
{
	vmq_guest_count(vdev->qps[qp].guest, VMQ_CNT_DOORBELLS, 1);
	if (READ_ONCE(vdev->qps[qp].state) == VMQ_QP_RUNNING)
		vdev->ops->guest->qp_kick(vdev, qp, tx);
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_kick);

/**
 * vmq_guest_ring_limits() - ring sizes a guest queue pair accepts
 * @vdev: the vmq device.
 * @min: smallest ring, in descriptors.
 * @max: largest ring, receive or transmit.
 */
void vmq_guest_ring_limits(struct vmq_dev *vdev, u32 *min, u32 *max)
{
	*min = vdev->caps.ring_min;
	*max = min(vdev->caps.rx_ring_max, vdev->caps.tx_ring_max);
}
EXPORT_SYMBOL_GPL(vmq_guest_ring_limits);

/**
 * vmq_guest_max_frame() - the largest frame a guest may send or receive
 * @vdev: the vmq device.
 *
 * A frame of the NIC's current MTU with one VLAN tag in band, as an
 * untagged queue sees a tagged frame: what receivers of that MTU accept.
 * It follows the MTU, so it may change while a guest queue runs.  The
 * driver drops (and counts) received frames that would be longer as the
 * guest sees them, so a receive buffer of this size always suffices.
 *
 * Context: any.
 * Return: bytes, FCS excluded.
 */
u32 vmq_guest_max_frame(struct vmq_dev *vdev)
{
	return READ_ONCE(vdev->netdev->mtu) + VLAN_ETH_HLEN;
}
EXPORT_SYMBOL_GPL(vmq_guest_max_frame);

/**
 * vmq_guest_qp_max_frame() - the largest frame a guest queue pair
 *	receives, and sends to the wire
 * @gqp: the guest queue pair.
 *
 * vmq_guest_max_frame(), but never more than the MTU its owner promised
 * the driver (@gqp->mtu) allows: a virtio-net device must not pass a
 * frame longer than the MTU its config space gave, whatever the NIC's
 * MTU became since.
 *
 * Context: any.
 * Return: bytes, FCS excluded.
 */
u32 vmq_guest_qp_max_frame(const struct vmq_guest_qp *gqp)
{
	u32 max = vmq_guest_max_frame(gqp->vdev);

	if (gqp->mtu)
		max = min(max, gqp->mtu + VLAN_ETH_HLEN);
	return max;
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_max_frame);

/**
 * vmq_guest_qp_tx_limit() - the longest frame a guest may hand the
 *	queue pair to send without a driver error
 * @gqp: the guest queue pair.
 *
 * The MTU its owner promised the driver, plus 18, if it promised one;
 * else vmq_guest_max_frame().  A frame within this limit but longer than
 * vmq_guest_qp_max_frame() (the NIC's MTU went down since the promise)
 * is the host's limit, not the driver's fault: the driver drops it and
 * counts it in the queue pair's tx_drops.
 *
 * Context: any.
 * Return: bytes, FCS excluded.
 */
u32 vmq_guest_qp_tx_limit(const struct vmq_guest_qp *gqp)
{
	return gqp->mtu ? gqp->mtu + VLAN_ETH_HLEN :
			  vmq_guest_max_frame(gqp->vdev);
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_tx_limit);
