// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: the queue-pair pool, its state machine, host channels,
 * ring sizes and per-queue counters.
 */

#include <linux/ktime.h>
#include <linux/slab.h>
#include "vmq_priv.h"

static const char * const vmq_qp_state_names[] = {
	[VMQ_QP_FREE]		= "free",
	[VMQ_QP_ALLOCATED]	= "allocated",
	[VMQ_QP_RUNNING]	= "running",
	[VMQ_QP_DMA_STOPPED]	= "dma-stopped",
};

static const char * const vmq_owner_names[] = {
	[VMQ_OWNER_NONE]	= "none",
	[VMQ_OWNER_HOST]	= "host",
	[VMQ_OWNER_MACVLAN]	= "macvlan",
	[VMQ_OWNER_VFIO]	= "vfio",
	[VMQ_OWNER_VDPA]	= "vdpa",
};

const char *vmq_qp_state_name(enum vmq_qp_state state)
{
	return vmq_qp_state_names[state];
}

const char *vmq_owner_name(enum vmq_owner_type owner)
{
	return vmq_owner_names[owner];
}

int vmq_qps_init(struct vmq_dev *vdev)
{
	u32 count = vdev->caps.default_channels;
	u32 i;
	int err;

	vdev->qps = kcalloc(vdev->caps.num_qps, sizeof(*vdev->qps),
			    GFP_KERNEL);
	if (!vdev->qps)
		return -ENOMEM;
	for (i = 0; i < vdev->caps.num_qps; i++) {
		struct vmq_qp *qp = &vdev->qps[i];

		qp->id = i;
		u64_stats_init(&qp->stats.rx_syncp);
		u64_stats_init(&qp->stats.tx_syncp);
	}
	seqlock_init(&vdev->stats_lock);

	mutex_lock(&vdev->lock);
	err = vdev->ops->set_channels(vdev, count);
	if (!err) {
		for (i = 0; i < count; i++)
			vmq_qp_claim(vdev, i, VMQ_OWNER_HOST);
		vdev->channels = count;
	}
	mutex_unlock(&vdev->lock);
	if (err)
		kfree(vdev->qps);
	return err;
}

/* Called with the device mutex held, after every queue pair stopped. */
void vmq_qps_fini(struct vmq_dev *vdev)
{
	u32 i;

	for (i = 0; i < vdev->caps.num_qps; i++) {
		if (vdev->qps[i].state == VMQ_QP_RUNNING)
			vmq_qp_stop(vdev, i);
		if (vdev->qps[i].state != VMQ_QP_FREE)
			vmq_qp_release(vdev, i);
	}
	kfree(vdev->qps);
	vdev->qps = NULL;
}

/* FREE -> ALLOCATED, for @owner. */
/* A new owner starts from zero: one VM never sees another's counts. */
static void vmq_qp_stats_reset(struct vmq_qp_stats *stats)
{
	u64_stats_update_begin(&stats->rx_syncp);
	u64_stats_set(&stats->rx_packets, 0);
	u64_stats_set(&stats->rx_bytes, 0);
	u64_stats_update_end(&stats->rx_syncp);
	u64_stats_update_begin(&stats->tx_syncp);
	u64_stats_set(&stats->tx_packets, 0);
	u64_stats_set(&stats->tx_bytes, 0);
	u64_stats_update_end(&stats->tx_syncp);
	atomic64_set(&stats->rx_drops, 0);
	atomic64_set(&stats->tx_drops, 0);
	atomic64_set(&stats->irqs, 0);
}

/*
 * The netdev's totals must not go back when a host channel goes away.
 * In stats_lock's write section, with the owner's change.
 */
static void vmq_qp_stats_retire(struct vmq_dev *vdev, struct vmq_qp *qp)
{
	struct vmq_gone_stats *gone = &vdev->host_gone;
	u64 rxp, rxb, txp, txb;

	vmq_qp_read_stats(qp, &rxp, &rxb, &txp, &txb);
	u64_stats_add(&gone->rx_packets, rxp);
	u64_stats_add(&gone->rx_bytes, rxb);
	u64_stats_add(&gone->tx_packets, txp);
	u64_stats_add(&gone->tx_bytes, txb);
	u64_stats_add(&gone->rx_drops, atomic64_read(&qp->stats.rx_drops));
	u64_stats_add(&gone->tx_drops, atomic64_read(&qp->stats.tx_drops));
}

int vmq_qp_claim(struct vmq_dev *vdev, u32 id, enum vmq_owner_type owner)
{
	struct vmq_qp *qp = &vdev->qps[id];

	lockdep_assert_held(&vdev->lock);
	if (qp->state != VMQ_QP_FREE)
		return -EBUSY;
	/*
	 * Dynamic VMQ's notes were on the old owner's counts: the new one's
	 * start from 0, and a load taken against the old would be huge.
	 */
	qp->bal.last_frames = 0;
	qp->bal.idle_ticks = 0;
	qp->bal.rest = 0;
	/*
	 * A reader of the netdev totals must not find a new host channel
	 * with the counts its last owner left (vmq_get_stats64()).
	 */
	write_seqlock_bh(&vdev->stats_lock);
	vmq_qp_stats_reset(&qp->stats);
	WRITE_ONCE(qp->owner, owner);
	write_sequnlock_bh(&vdev->stats_lock);
	WRITE_ONCE(qp->state, VMQ_QP_ALLOCATED);
	return 0;
}

/* ALLOCATED or DMA_STOPPED -> RUNNING; a running queue pair stays so. */
int vmq_qp_start(struct vmq_dev *vdev, u32 id)
{
	struct vmq_qp *qp = &vdev->qps[id];
	int err;

	lockdep_assert_held(&vdev->lock);
	if (qp->state == VMQ_QP_RUNNING)
		return 0;
	if (WARN_ON(qp->state == VMQ_QP_FREE))
		return -EINVAL;
	if (vmq_owner_is_guest(qp->owner))
		err = vdev->ops->guest->qp_start(vdev, id);
	else
		err = vdev->ops->qp_start(vdev, id);
	if (err) {
		/* A guest can make its queue's start fail again and again. */
		if (net_ratelimit())
			netdev_err(vdev->netdev, "vmq: queue pair %u failed to start: %d\n",
				   id, err);
		return err;
	}
	WRITE_ONCE(qp->state, VMQ_QP_RUNNING);
	return 0;
}

/*
 * RUNNING -> DMA_STOPPED; the driver guarantees DMA is over on return,
 * but for an access to guest memory the VMM holds up (vmq_guest_qp_drain()).
 */
void vmq_qp_stop(struct vmq_dev *vdev, u32 id)
{
	struct vmq_qp *qp = &vdev->qps[id];

	lockdep_assert_held(&vdev->lock);
	if (qp->state != VMQ_QP_RUNNING)
		return;
	if (vmq_owner_is_guest(qp->owner))
		vdev->ops->guest->qp_stop(vdev, id);
	else
		vdev->ops->qp_stop(vdev, id);
	WRITE_ONCE(qp->state, VMQ_QP_DMA_STOPPED);
}

/*
 * vmq_qp_stop() of a guest queue pair whose frames not yet in guest
 * memory go to @held (the driver's qp_stop_held, which the caller
 * checked it has).
 */
void vmq_qp_stop_held(struct vmq_dev *vdev, u32 id, struct sk_buff_head *held)
{
	struct vmq_qp *qp = &vdev->qps[id];

	lockdep_assert_held(&vdev->lock);
	if (qp->state != VMQ_QP_RUNNING)
		return;
	vdev->ops->guest->qp_stop_held(vdev, id, held);
	WRITE_ONCE(qp->state, VMQ_QP_DMA_STOPPED);
}

/* The longest wait vmq_qp_retire_delay() makes, whatever the knob says. */
#define VMQ_RETIRE_DELAY_MAX_MS	500

/*
 * Test knob: hold a host channel's release between retiring its counts
 * and giving up its queue pair, so that a test can read the netdev's
 * totals right there.  A busy wait: to a reader of the totals that step
 * is meant to be one, and it must not sleep.  On the clock, not with
 * mdelay(): that trusts the CPU's calibrated loops_per_jiffy, which an
 * emulated secondary CPU can get a thousand times too small.
 */
static void vmq_qp_retire_delay(struct vmq_dev *vdev)
{
	u32 ms = min_t(u32, READ_ONCE(vdev->dbg_retire_delay_ms),
		       VMQ_RETIRE_DELAY_MAX_MS);
	ktime_t end;

	if (!ms)
		return;
	atomic_inc(&vdev->dbg_retire_delays);
	end = ktime_add_ms(ktime_get(), ms);
	while (ktime_before(ktime_get(), end))
		cpu_relax();
}

/* ALLOCATED or DMA_STOPPED -> FREE.  Never while DMA can run. */
void vmq_qp_release(struct vmq_dev *vdev, u32 id)
{
	struct vmq_qp *qp = &vdev->qps[id];

	lockdep_assert_held(&vdev->lock);
	if (WARN_ON(qp->state == VMQ_QP_RUNNING))
		vmq_qp_stop(vdev, id);
	/*
	 * A reader of the netdev totals finds a going host channel's counts
	 * in host_gone or on the queue pair, never both nor neither.
	 */
	write_seqlock_bh(&vdev->stats_lock);
	if (qp->owner == VMQ_OWNER_HOST) {
		vmq_qp_stats_retire(vdev, qp);
		vmq_qp_retire_delay(vdev);
	}
	WRITE_ONCE(qp->owner, VMQ_OWNER_NONE);
	write_sequnlock_bh(&vdev->stats_lock);
	WRITE_ONCE(qp->state, VMQ_QP_FREE);
}

/*
 * The netdev a queue pair works for: an offloaded macvlan, or the NIC
 * itself for a host channel; NULL for a free or VFIO queue pair.  Called
 * with RTNL or the device mutex held, as a macvlan's offload comes and
 * goes under both.
 */
struct net_device *vmq_qp_owner_netdev(const struct vmq_dev *vdev,
				       const struct vmq_qp *qp)
{
	const struct vmq_fwd *fwd = READ_ONCE(qp->fwd);

	if (fwd)
		return fwd->upper;
	return qp->owner == VMQ_OWNER_HOST ? vdev->netdev : NULL;
}

static int vmq_channels_check(struct vmq_dev *vdev, u32 count)
{
	u32 busy_qp, i;

	if (!count || count > vdev->caps.num_qps) {
		netdev_err(vdev->netdev, "vmq: %u channels requested, 1..%u possible\n",
			   count, vdev->caps.num_qps);
		return -EINVAL;
	}
	/* Shrinking must not orphan an ethtool rule's target queue. */
	busy_qp = vmq_filter_max_qp(vdev, VMQ_FILTER_ETHTOOL);
	if (busy_qp != VMQ_QP_DROP && busy_qp >= count) {
		netdev_err(vdev->netdev,
			   "vmq: queue %u is the target of an ntuple rule; delete it before shrinking to %u channels\n",
			   busy_qp, count);
		return -EBUSY;
	}
	/* Growing needs the queue pairs to be free, not a VM's. */
	for (i = vdev->channels; i < count; i++) {
		if (vdev->qps[i].state != VMQ_QP_FREE) {
			netdev_err(vdev->netdev, "vmq: queue pair %u is owned by %s\n",
				   i, vmq_owner_name(vdev->qps[i].owner));
			return -EBUSY;
		}
	}
	return 0;
}

/* The default RSS table spreads over @count channels; mutex held. */
static void vmq_rss_follow(struct vmq_dev *vdev, u32 count)
{
	/* Only a default table follows (vmq_rss_channels() checked). */
	if (vmq_rss_channels(vdev, count, true))
		netdev_warn(vdev->netdev, "vmq: RSS table not updated\n");
}

/*
 * The driver refused to go from @old to @count channels: the ones that
 * stopped to go run again, and the table spreads over them again.
 */
static void vmq_channels_restore(struct vmq_dev *vdev, u32 count, u32 old)
{
	u32 i;

	if (vdev->running)
		for (i = count; i < old; i++)
			vmq_qp_start(vdev, i);
	if (count < old)
		vmq_rss_follow(vdev, old);
}

/* Called with the device mutex held. */
int vmq_set_channels(struct vmq_dev *vdev, u32 count)
{
	u32 old = vdev->channels, i;
	int err, ret;

	err = vmq_channels_check(vdev, count);
	if (!err)
		err = vmq_rss_channels(vdev, count, false);
	if (err || count == old)
		return err;

	/*
	 * The default table follows the channels: away from the queue pairs
	 * going before they stop, to new ones once they run.  Frames sent
	 * to a queue pair already released would be counted nowhere.  A
	 * failure to program it is logged.
	 */
	if (count < old)
		vmq_rss_follow(vdev, count);
	for (i = count; i < old; i++)
		vmq_qp_stop(vdev, i);
	/*
	 * With offload on the transmit queues stay as they are
	 * (vmq_real_num_tx_queues()), and with them the NIC's traffic class
	 * and every macvlan's binding: their frames never pass through a
	 * host channel meanwhile.
	 */
	err = vdev->ops->set_channels(vdev, count);
	if (err) {
		vmq_channels_restore(vdev, count, old);
		return err;
	}
	/*
	 * A classifier pass may have picked a going channel from the old
	 * table: none may still be on its way there once a new owner can
	 * claim it, also while the NIC is down and nothing stopped.
	 */
	if (count < old)
		synchronize_net();
	for (i = count; i < old; i++)
		vmq_qp_release(vdev, i);
	for (i = old; i < count; i++)
		vmq_qp_claim(vdev, i, VMQ_OWNER_HOST);
	vdev->channels = count;
	/*
	 * A queue that failed to start stays allocated (open retries it);
	 * the others start all the same, as RSS spreads over every one.
	 */
	for (i = old; i < count && vdev->running; i++) {
		ret = vmq_qp_start(vdev, i);
		err = err ?: ret;
	}
	if (count > old)
		vmq_rss_follow(vdev, count);
	return err;
}

/* Called with the device mutex held. */
int vmq_set_ring_sizes(struct vmq_dev *vdev, u32 rx, u32 tx)
{
	unsigned long *restart;
	int err, ret;
	u32 i;

	restart = bitmap_zalloc(vdev->caps.num_qps, GFP_KERNEL);
	if (!restart)
		return -ENOMEM;
	for (i = 0; i < vdev->caps.num_qps; i++) {
		if (vmq_owner_is_guest(vdev->qps[i].owner) ||
		    vdev->qps[i].state != VMQ_QP_RUNNING)
			continue;
		vmq_qp_stop(vdev, i);
		__set_bit(i, restart);
	}
	err = vdev->ops->set_ring_sizes(vdev, rx, tx);
	if (!err) {
		vdev->rx_ring = rx;
		vdev->tx_ring = tx;
	}
	for_each_set_bit(i, restart, vdev->caps.num_qps) {
		ret = vmq_qp_start(vdev, i);
		if (ret && !err)
			err = ret;
	}
	bitmap_free(restart);
	return err;
}

/**
 * vmq_channels() - how many queue pairs the host stack owns
 * @vdev: the vmq device.
 *
 * Return: the channel count; the host owns queue pairs [0, count).
 */
u32 vmq_channels(const struct vmq_dev *vdev)
{
	return READ_ONCE(vdev->channels);
}
EXPORT_SYMBOL_GPL(vmq_channels);

/**
 * vmq_qp_state() - state of a queue pair
 * @vdev: the vmq device.
 * @qp: queue pair index.
 *
 * Return: its state; a snapshot unless the caller holds the device mutex
 * (as every &struct vmq_hw_ops callback does).
 */
enum vmq_qp_state vmq_qp_state(const struct vmq_dev *vdev, u32 qp)
{
	return READ_ONCE(vdev->qps[qp].state);
}
EXPORT_SYMBOL_GPL(vmq_qp_state);

/**
 * vmq_qp_owner() - who a queue pair works for
 * @vdev: the vmq device.
 * @qp: queue pair index.
 *
 * Drivers use this in &struct vmq_hw_ops.qp_start to tell the hardware
 * which queue pairs belong together (the host's channels form one pool;
 * each other owner is a pool of its own) for internal switching.
 *
 * Return: the owner type; a snapshot unless the device mutex is held.
 */
enum vmq_owner_type vmq_qp_owner(const struct vmq_dev *vdev, u32 qp)
{
	return READ_ONCE(vdev->qps[qp].owner);
}
EXPORT_SYMBOL_GPL(vmq_qp_owner);

/**
 * vmq_qp_flags() - how the hardware should treat a queue pair
 * @vdev: the vmq device.
 * @qp: queue pair index.
 *
 * For &struct vmq_hw_ops.qp_start, and its guest queue twin.
 *
 * Return: VMQ_QP_F_* flags: %VMQ_QP_F_LOCAL_SWITCH if frames it sends to
 * another owner's MAC may be switched inside the NIC (else they go to the
 * wire: private and vepa macvlans); %VMQ_QP_F_MCAST if it gets a copy of
 * broadcast and multicast (macvlans get theirs from the lower device).
 */
u32 vmq_qp_flags(const struct vmq_dev *vdev, u32 qp)
{
	const struct vmq_qp *q = &vdev->qps[qp];

	switch (READ_ONCE(q->owner)) {
	case VMQ_OWNER_MACVLAN:
		return q->fwd && q->fwd->local_switch ? VMQ_QP_F_LOCAL_SWITCH : 0;
	case VMQ_OWNER_NONE:
		return 0;
	default:
		return VMQ_QP_F_LOCAL_SWITCH | VMQ_QP_F_MCAST;
	}
}
EXPORT_SYMBOL_GPL(vmq_qp_flags);

/**
 * vmq_qp_vport() - the vport a queue pair belongs to, as NDIS says
 * @vdev: the vmq device.
 * @qp: queue pair index.
 *
 * A vport is one owner's set of queue pairs, which the hardware switches
 * as one: the host's channels, an offloaded macvlan's queue pairs
 * (several with devlink's macvlan_queues), or a VFIO device's queue
 * pairs (vmq_guest_vport_alloc()).  For
 * &struct vmq_hw_ops.qp_start: frames one of a vport's queue pairs sends
 * are never switched back to the same vport.
 *
 * Context: the device mutex held.
 * Return: the vport's first queue pair: 0 for the host's channels.
 */
u32 vmq_qp_vport(const struct vmq_dev *vdev, u32 qp)
{
	const struct vmq_qp *q = &vdev->qps[qp];

	if (q->owner == VMQ_OWNER_HOST)
		return VMQ_QP_DEFAULT;
	if (q->guest)
		return q->guest->vport;
	return q->fwd ? q->fwd->qp : qp;
}
EXPORT_SYMBOL_GPL(vmq_qp_vport);

/**
 * vmq_qp_count_rx() - count frames a queue pair delivered
 * @vdev: the vmq device.
 * @qp: queue pair index.
 * @packets: frames.
 * @bytes: their bytes.
 *
 * Context: the queue pair's receive poll; one writer at a time.
 */
void vmq_qp_count_rx(struct vmq_dev *vdev, u32 qp, u32 packets, u64 bytes)
{
	struct vmq_qp_stats *stats = &vdev->qps[qp].stats;

	u64_stats_update_begin(&stats->rx_syncp);
	u64_stats_add(&stats->rx_packets, packets);
	u64_stats_add(&stats->rx_bytes, bytes);
	u64_stats_update_end(&stats->rx_syncp);
}
EXPORT_SYMBOL_GPL(vmq_qp_count_rx);

/**
 * vmq_qp_count_tx() - count frames a queue pair sent
 * @vdev: the vmq device.
 * @qp: queue pair index.
 * @packets: frames.
 * @bytes: their bytes.
 *
 * Context: the queue pair's transmit path, serialised by its queue lock.
 */
void vmq_qp_count_tx(struct vmq_dev *vdev, u32 qp, u32 packets, u64 bytes)
{
	struct vmq_qp_stats *stats = &vdev->qps[qp].stats;

	u64_stats_update_begin(&stats->tx_syncp);
	u64_stats_add(&stats->tx_packets, packets);
	u64_stats_add(&stats->tx_bytes, bytes);
	u64_stats_update_end(&stats->tx_syncp);
}
EXPORT_SYMBOL_GPL(vmq_qp_count_tx);

/**
 * vmq_qp_count_rx_drop() - count frames dropped on their way to a queue
 * @vdev: the vmq device.
 * @qp: queue pair index.
 * @packets: frames dropped (ring full, queue stopped).
 *
 * Context: any.
 */
void vmq_qp_count_rx_drop(struct vmq_dev *vdev, u32 qp, u32 packets)
{
	atomic64_add(packets, &vdev->qps[qp].stats.rx_drops);
}
EXPORT_SYMBOL_GPL(vmq_qp_count_rx_drop);

/**
 * vmq_qp_count_tx_drop() - count frames a queue pair failed to send
 * @vdev: the vmq device.
 * @qp: queue pair index.
 * @packets: frames dropped.
 *
 * Context: any.
 */
void vmq_qp_count_tx_drop(struct vmq_dev *vdev, u32 qp, u32 packets)
{
	atomic64_add(packets, &vdev->qps[qp].stats.tx_drops);
}
EXPORT_SYMBOL_GPL(vmq_qp_count_tx_drop);

void vmq_qp_read_stats(const struct vmq_qp *qp, u64 *rx_packets,
		       u64 *rx_bytes, u64 *tx_packets, u64 *tx_bytes)
{
	const struct vmq_qp_stats *stats = &qp->stats;
	unsigned int start;

	do {
		start = u64_stats_fetch_begin(&stats->rx_syncp);
		*rx_packets = u64_stats_read(&stats->rx_packets);
		*rx_bytes = u64_stats_read(&stats->rx_bytes);
	} while (u64_stats_fetch_retry(&stats->rx_syncp, start));
	do {
		start = u64_stats_fetch_begin(&stats->tx_syncp);
		*tx_packets = u64_stats_read(&stats->tx_packets);
		*tx_bytes = u64_stats_read(&stats->tx_bytes);
	} while (u64_stats_fetch_retry(&stats->tx_syncp, start));
}

/**
 * vmq_get_stats64() - netdev totals over the host's queue pairs
 * @vdev: the vmq device.
 * @stats: filled in.
 *
 * For ndo_get_stats64: frames of queue pairs owned by macvlans or VFIO
 * devices are theirs, not the NIC netdev's, and are left out; those of
 * host channels that since went away stay in.  Fills the totals, so call
 * it before adding the driver's own.
 *
 * Context: process or softirq, atomic included.  Waits out a queue pair
 * changing owner: spinning, or on PREEMPT_RT on the writer's lock.
 */
void vmq_get_stats64(struct vmq_dev *vdev, struct rtnl_link_stats64 *stats)
{
	const struct vmq_gone_stats *gone = &vdev->host_gone;
	u64 rxp, rxb, txp, txb;
	unsigned int seq;
	u32 i;

	/* Once more if a host channel came or went meanwhile. */
	do {
		seq = read_seqbegin(&vdev->stats_lock);
		stats->rx_packets = u64_stats_read(&gone->rx_packets);
		stats->rx_bytes = u64_stats_read(&gone->rx_bytes);
		stats->tx_packets = u64_stats_read(&gone->tx_packets);
		stats->tx_bytes = u64_stats_read(&gone->tx_bytes);
		stats->rx_dropped = u64_stats_read(&gone->rx_drops);
		stats->tx_dropped = u64_stats_read(&gone->tx_drops);

		for (i = 0; i < vdev->caps.num_qps; i++) {
			const struct vmq_qp *qp = &vdev->qps[i];

			if (READ_ONCE(qp->owner) != VMQ_OWNER_HOST)
				continue;
			vmq_qp_read_stats(qp, &rxp, &rxb, &txp, &txb);
			stats->rx_packets += rxp;
			stats->rx_bytes += rxb;
			stats->tx_packets += txp;
			stats->tx_bytes += txb;
			stats->rx_dropped += atomic64_read(&qp->stats.rx_drops);
			stats->tx_dropped += atomic64_read(&qp->stats.tx_drops);
		}
	} while (read_seqretry(&vdev->stats_lock, seq));
}
EXPORT_SYMBOL_GPL(vmq_get_stats64);
