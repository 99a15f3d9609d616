// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: interrupt moderation per queue pair, set with
 * "ethtool -C" for the whole device or "ethtool --per-queue ... -C" for
 * some queues.  The driver reads a queue's settings in its data path with
 * vmq_qp_get_coalesce() and counts interrupts with vmq_qp_count_irq(), so
 * the frames per interrupt show in ethtool -S.
 *
 * With adaptive-rx on, the kernel's net_dim library picks a queue's
 * receive moderation from its interrupt, frame and byte rates, sampled
 * in vmq_qp_count_irq(): any driver that counts its interrupts gets it.
 */

#include <linux/dim.h>
#include <linux/ethtool.h>
#include <linux/interrupt.h>
#include <linux/ratelimit.h>
#include "vmq_priv.h"

/* Defaults: batch at load, but a lone frame waits at most 20us. */
#define VMQ_COAL_USECS_DEFAULT	20
#define VMQ_COAL_FRAMES_DEFAULT	64
#define VMQ_COAL_USECS_MAX	10000
#define VMQ_COAL_FRAMES_MAX	4096

/* net_dim chose a profile: it applies to the queue's next interrupts. */
static void vmq_coal_dim_work(struct work_struct *work)
{
	struct dim *dim = container_of(work, struct dim, work);
	struct vmq_qp *qp = container_of(dim, struct vmq_qp, rx_dim);
	struct dim_cq_moder m;

	m = net_dim_get_rx_moderation(dim->mode, dim->profile_ix);
	WRITE_ONCE(qp->coal.rx_usecs, m.usec);
	WRITE_ONCE(qp->coal.rx_frames, m.pkts ?: 1);
	dim->state = DIM_START_MEASURE;
}

void vmq_coalesce_dev_init(struct vmq_dev *vdev)
{
	struct vmq_coalesce def = {
		.rx_usecs = VMQ_COAL_USECS_DEFAULT,
		.rx_frames = VMQ_COAL_FRAMES_DEFAULT,
		.tx_usecs = VMQ_COAL_USECS_DEFAULT,
		.tx_frames = VMQ_COAL_FRAMES_DEFAULT,
	};
	u32 i;

	for (i = 0; i < vdev->caps.num_qps; i++) {
		struct vmq_qp *qp = &vdev->qps[i];

		qp->coal = def;
		INIT_WORK(&qp->rx_dim.work, vmq_coal_dim_work);
		/* The timer starts at the first frame, as rx_usecs does. */
		qp->rx_dim.mode = DIM_CQ_PERIOD_MODE_START_FROM_EQE;
	}
}

/* After the driver's vectors are gone: no handler schedules more work. */
void vmq_coalesce_dev_fini(struct vmq_dev *vdev)
{
	u32 i;

	for (i = 0; i < vdev->caps.num_qps; i++)
		cancel_work_sync(&vdev->qps[i].rx_dim.work);
}

/* One net_dim sample: interrupts so far, and the frames and bytes. */
static void vmq_coal_dim_sample(struct vmq_qp *qp, u64 irqs)
{
	struct vmq_qp_stats *s = &qp->stats;
	struct dim_sample sample;
	unsigned int start;
	u64 packets, bytes;

	do {
		start = u64_stats_fetch_begin(&s->rx_syncp);
		packets = u64_stats_read(&s->rx_packets);
		bytes = u64_stats_read(&s->rx_bytes);
	} while (u64_stats_fetch_retry(&s->rx_syncp, start));
	dim_update_sample(irqs, packets, bytes, &sample);
	net_dim(&qp->rx_dim, sample);
}

/*
 * net_dim searches afresh from the profile it chose last.  Kept from
 * before an off, its rates belong to moderation the queue no longer has:
 * parked on them at a rate the sender sets, where every profile measures
 * the same, it would never choose again and the admin's values would
 * stay in force.  With no rates before it, the first measurement counts
 * as better and net_dim steps at once.
 */
static void vmq_coal_dim_restart(struct dim *dim)
{
	memset(&dim->prev_stats, 0, sizeof(dim->prev_stats));
	dim->tune_state = DIM_PARKING_ON_TOP;
	dim->steps_right = 0;
	dim->steps_left = 0;
	dim->tired = 0;
	/* A profile chosen before the last off was never applied. */
	dim->state = DIM_START_MEASURE;
}

/*
 * Turn net_dim on or off for a queue pair.  Off waits until no handler
 * samples and no chosen profile is still being applied, so what the
 * admin sets next is not overwritten; on starts a new search.
 *
 * Context: RTNL held (ethtool), may sleep.
 */
static void vmq_qp_set_adaptive_rx(struct vmq_qp *qp, bool on)
{
	int irq;

	if (on == qp->rx_adaptive)
		return;
	if (on) {
		vmq_coal_dim_restart(&qp->rx_dim);
		/* The handler sees the state once it sees the flag. */
		smp_store_release(&qp->rx_adaptive, true);
		return;
	}
	WRITE_ONCE(qp->rx_adaptive, false);
	irq = READ_ONCE(qp->irq);
	if (irq > 0)
		synchronize_irq(irq);
	cancel_work_sync(&qp->rx_dim.work);
}

/**
 * vmq_qp_get_coalesce() - a queue pair's interrupt moderation
 * @vdev: the vmq device.
 * @qp: queue pair index.
 * @coal: filled in.
 *
 * An interrupt is due when @coal->rx_frames frames are waiting, or
 * @coal->rx_usecs after the first of them (0: at once); likewise for tx.
 *
 * Context: any; a torn read mixes an old and a new setting, harmlessly.
 */
void vmq_qp_get_coalesce(const struct vmq_dev *vdev, u32 qp,
			 struct vmq_coalesce *coal)
{
	const struct vmq_coalesce *c = &vdev->qps[qp].coal;

	coal->rx_usecs = READ_ONCE(c->rx_usecs);
	coal->rx_frames = READ_ONCE(c->rx_frames);
	coal->tx_usecs = READ_ONCE(c->tx_usecs);
	coal->tx_frames = READ_ONCE(c->tx_frames);
}
EXPORT_SYMBOL_GPL(vmq_qp_get_coalesce);

/**
 * vmq_qp_count_irq() - count an interrupt of a queue pair
 * @vdev: the vmq device.
 * @qp: queue pair index.
 *
 * With adaptive-rx on, this is also where net_dim samples the queue.
 *
 * Context: the vector's handler (the queue pair's Linux irq, as given to
 * vmq_qp_set_irq()); never two at once for one queue pair.
 */
void vmq_qp_count_irq(struct vmq_dev *vdev, u32 qp)
{
	struct vmq_qp *q = &vdev->qps[qp];
	u64 irqs = atomic64_inc_return(&q->stats.irqs);

	/* Pairs with vmq_qp_set_adaptive_rx(): net_dim's state is reset. */
	if (smp_load_acquire(&q->rx_adaptive))
		vmq_coal_dim_sample(q, irqs);
}
EXPORT_SYMBOL_GPL(vmq_qp_count_irq);

/**
 * vmq_qp_count_tx_irq() - count an interrupt of a queue pair's own
 *	transmit vector (vmq_qp_set_tx_irq())
 * @vdev: the vmq device.
 * @qp: queue pair index.
 *
 * Counted in the queue pair's irqs with its receive vector's, but not a
 * net_dim sample: adaptive-rx moderates receive, and the transmit
 * vector's handler may run beside the receive one's.
 *
 * Context: the transmit vector's handler.
 */
void vmq_qp_count_tx_irq(struct vmq_dev *vdev, u32 qp)
{
	atomic64_inc(&vdev->qps[qp].stats.irqs);
}
EXPORT_SYMBOL_GPL(vmq_qp_count_tx_irq);

static void vmq_coal_to_ethtool(const struct vmq_coalesce *c, bool adaptive,
				struct ethtool_coalesce *ec)
{
	ec->use_adaptive_rx_coalesce = adaptive;
	ec->rx_coalesce_usecs = c->rx_usecs;
	ec->rx_max_coalesced_frames = c->rx_frames;
	ec->tx_coalesce_usecs = c->tx_usecs;
	ec->tx_max_coalesced_frames = c->tx_frames;
}

static int vmq_coal_from_ethtool(struct net_device *netdev,
				 const struct ethtool_coalesce *ec,
				 struct vmq_coalesce *c)
{
	if (ec->rx_coalesce_usecs > VMQ_COAL_USECS_MAX ||
	    ec->tx_coalesce_usecs > VMQ_COAL_USECS_MAX ||
	    ec->rx_max_coalesced_frames > VMQ_COAL_FRAMES_MAX ||
	    ec->tx_max_coalesced_frames > VMQ_COAL_FRAMES_MAX) {
		netdev_warn(netdev, "vmq: coalescing limits are %u usecs and %u frames\n",
			    VMQ_COAL_USECS_MAX, VMQ_COAL_FRAMES_MAX);
		return -EINVAL;
	}
	c->rx_usecs = ec->rx_coalesce_usecs;
	c->rx_frames = ec->rx_max_coalesced_frames ?: 1;
	c->tx_usecs = ec->tx_coalesce_usecs;
	c->tx_frames = ec->tx_max_coalesced_frames ?: 1;
	return 0;
}

/* Context: RTNL held, may sleep. */
static void vmq_qp_set_coalesce(struct vmq_qp *qp,
				const struct vmq_coalesce *c, bool adaptive)
{
	vmq_qp_set_adaptive_rx(qp, adaptive);
	WRITE_ONCE(qp->coal.rx_usecs, c->rx_usecs);
	WRITE_ONCE(qp->coal.rx_frames, c->rx_frames);
	WRITE_ONCE(qp->coal.tx_usecs, c->tx_usecs);
	WRITE_ONCE(qp->coal.tx_frames, c->tx_frames);
}

/**
 * vmq_ethtool_get_coalesce() - ethtool_ops.get_coalesce
 * @netdev: the NIC netdev.
 * @ec: filled with the default queue's settings.
 * @kec: unused.
 * @extack: unused.
 *
 * Return: 0.
 */
int vmq_ethtool_get_coalesce(struct net_device *netdev,
			     struct ethtool_coalesce *ec,
			     struct kernel_ethtool_coalesce *kec,
			     struct netlink_ext_ack *extack)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);
	struct vmq_coalesce c;

	vmq_qp_get_coalesce(vdev, VMQ_QP_DEFAULT, &c);
	vmq_coal_to_ethtool(&c, vdev->qps[VMQ_QP_DEFAULT].rx_adaptive, ec);
	return 0;
}
EXPORT_SYMBOL_GPL(vmq_ethtool_get_coalesce);

/*
 * What a device-wide set gives queue pair @qp.  ethtool hands the driver
 * what get_coalesce reported (queue pair 0's) with the admin's changes
 * applied, so a receive value equal to queue pair 0's was not given:
 * turning adaptive-rx off leaves a queue pair that had it the values
 * net_dim chose for it, not queue pair 0's.
 */
static void vmq_coal_for_qp(struct vmq_dev *vdev, u32 qp, bool adaptive,
			    const struct vmq_coalesce *given,
			    const struct vmq_coalesce *q0,
			    struct vmq_coalesce *c)
{
	struct vmq_coalesce cur;

	*c = *given;
	if (adaptive || !READ_ONCE(vdev->qps[qp].rx_adaptive))
		return;
	vmq_qp_get_coalesce(vdev, qp, &cur);
	if (given->rx_usecs == q0->rx_usecs)
		c->rx_usecs = cur.rx_usecs;
	if (given->rx_frames == q0->rx_frames)
		c->rx_frames = cur.rx_frames;
}

/**
 * vmq_ethtool_set_coalesce() - ethtool_ops.set_coalesce
 * @netdev: the NIC netdev.
 * @ec: the settings, for every queue pair.
 * @kec: unused.
 * @extack: unused.
 *
 * Turning adaptive-rx off keeps, on each queue pair that had it, the
 * receive values in force, but for those given in the same command.
 *
 * Return: 0, or -EINVAL beyond the limits.
 */
int vmq_ethtool_set_coalesce(struct net_device *netdev,
			     struct ethtool_coalesce *ec,
			     struct kernel_ethtool_coalesce *kec,
			     struct netlink_ext_ack *extack)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);
	bool adaptive = ec->use_adaptive_rx_coalesce;
	struct vmq_coalesce given, q0, c;
	u32 i;
	int err;

	err = vmq_coal_from_ethtool(netdev, ec, &given);
	if (err)
		return err;
	vmq_qp_get_coalesce(vdev, VMQ_QP_DEFAULT, &q0);
	for (i = 0; i < vdev->caps.num_qps; i++) {
		vmq_coal_for_qp(vdev, i, adaptive, &given, &q0, &c);
		vmq_qp_set_coalesce(&vdev->qps[i], &c, adaptive);
	}
	return 0;
}
EXPORT_SYMBOL_GPL(vmq_ethtool_set_coalesce);

/* A read's refusals, which anyone may cause, in the log. */
static DEFINE_RATELIMIT_STATE(vmq_coal_read_rs, DEFAULT_RATELIMIT_INTERVAL,
			      DEFAULT_RATELIMIT_BURST);

/*
 * ethtool's queue_mask may name any of 4096 queues and gives up at the
 * first refusal without saying which bit it was, so the log does.  Anyone
 * may read per-queue settings, so a read's refusal is rate limited, by a
 * limit of its own: the network stack's shared one may be spent.
 */
static bool vmq_coal_queue_exists(struct vmq_dev *vdev, u32 queue, bool set)
{
	if (queue < vdev->caps.num_qps)
		return true;
	if (set || __ratelimit(&vmq_coal_read_rs))
		netdev_warn(vdev->netdev, "vmq: no queue pair %u: the NIC has %u\n",
			    queue, vdev->caps.num_qps);
	return false;
}

/**
 * vmq_ethtool_get_per_queue_coalesce() - ethtool_ops.get_per_queue_coalesce
 * @netdev: the NIC netdev.
 * @queue: queue pair index.
 * @ec: filled in.
 *
 * Return: 0, or -EINVAL for a queue pair that does not exist.
 */
int vmq_ethtool_get_per_queue_coalesce(struct net_device *netdev, u32 queue,
				       struct ethtool_coalesce *ec)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);
	struct vmq_coalesce c;

	if (!vmq_coal_queue_exists(vdev, queue, false))
		return -EINVAL;
	vmq_qp_get_coalesce(vdev, queue, &c);
	vmq_coal_to_ethtool(&c, vdev->qps[queue].rx_adaptive, ec);
	return 0;
}
EXPORT_SYMBOL_GPL(vmq_ethtool_get_per_queue_coalesce);

/**
 * vmq_ethtool_set_per_queue_coalesce() - ethtool_ops.set_per_queue_coalesce
 * @netdev: the NIC netdev.
 * @queue: queue pair index.
 * @ec: the settings.
 *
 * Return: 0, or -EINVAL.
 */
int vmq_ethtool_set_per_queue_coalesce(struct net_device *netdev, u32 queue,
				       struct ethtool_coalesce *ec)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);
	struct vmq_coalesce c;
	int err;

	if (!vmq_coal_queue_exists(vdev, queue, true))
		return -EINVAL;
	err = vmq_coal_from_ethtool(netdev, ec, &c);
	if (!err)
		vmq_qp_set_coalesce(&vdev->qps[queue], &c,
				    ec->use_adaptive_rx_coalesce);
	return err;
}
EXPORT_SYMBOL_GPL(vmq_ethtool_set_per_queue_coalesce);
