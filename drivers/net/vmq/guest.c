// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: guest queue pairs, whose rings and buffers live in a
 * virtual machine's memory: taking them from the pool, alone or as a
 * vport of several that switch as one, and giving them back; looking one
 * up; the errors a guest makes on one.
 *
 * The owner (vmq_vfio) allocates one, lets the host admin give it a MAC
 * and VLAN (guest_l2.c), starts it on the guest's ring configuration and
 * forwards the guest's doorbells (guest_run.c); the driver's engine reads
 * &struct vmq_guest_qp in qp_start and in its data path.  The guest is
 * untrusted: every ring parameter is checked before the hardware sees it
 * (guest_run.c), and every error the hardware finds goes through
 * vmq_guest_qp_error().  The ring and frame limits are guest_limits.c's,
 * live migration guest_mig.c's.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

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
