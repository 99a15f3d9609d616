/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmq core library: private structures shared by the core's files.
 */
#ifndef _VMQ_PRIV_H
#define _VMQ_PRIV_H

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/rhashtable.h>
#include <linux/u64_stats_sync.h>
#include <net/vmq.h>

/**
 * struct vmq_qp_stats - one queue pair's counters
 * @rx_syncp: guards @rx_packets/@rx_bytes (one writer: the queue's poll).
 * @rx_packets: frames delivered to the owner.
 * @rx_bytes: bytes delivered to the owner.
 * @tx_syncp: guards @tx_packets/@tx_bytes (one writer: the queue's xmit).
 * @tx_packets: frames sent.
 * @tx_bytes: bytes sent.
 * @rx_drops: frames the hardware dropped (ring full, queue stopped); any
 *	CPU may count these, hence atomic.
 * @tx_drops: frames the queue could not send.
 */
struct vmq_qp_stats {
	struct u64_stats_sync rx_syncp;
	u64_stats_t rx_packets;
	u64_stats_t rx_bytes;
	struct u64_stats_sync tx_syncp;
	u64_stats_t tx_packets;
	u64_stats_t tx_bytes;
	atomic64_t rx_drops;
	atomic64_t tx_drops;
};

/**
 * struct vmq_qp - a hardware queue pair as the core sees it
 * @id: index in the pool.
 * @state: enum vmq_qp_state; written under the device mutex, read
 *	locklessly by the views.
 * @owner: enum vmq_owner_type.
 * @irq: Linux irq of its vector, or 0 if it has none.
 * @nr_filters: filters that target it.
 * @stats: its counters.
 */
struct vmq_qp {
	u32 id;
	enum vmq_qp_state state;
	enum vmq_owner_type owner;
	int irq;
	u32 nr_filters;
	struct vmq_qp_stats stats;
};

/**
 * struct vmq_filter - an installed MAC/VLAN filter
 * @node: in &vmq_dev.filter_ht, keyed by @key.
 * @key: what it matches.
 * @loc: its slot in the hardware table, also its ethtool location.
 * @qp: target queue pair, or %VMQ_QP_DROP.
 * @origin: who installed it.
 * @rcu: deferred free, since the receive path looks filters up under RCU.
 */
struct vmq_filter {
	struct rhash_head node;
	struct vmq_filter_key key;
	u32 loc;
	u32 qp;
	enum vmq_filter_origin origin;
	struct rcu_head rcu;
};

/**
 * struct vmq_dev - one VMQ-capable NIC port
 * @netdev: the NIC's netdev.
 * @caps: its capabilities.
 * @ops: its driver's hardware operations.
 * @priv: the driver's private pointer.
 * @lock: serialises every configuration change and every @ops call.
 * @running: the netdev is open: host queue pairs run.
 * @channels: host queue pairs, [0, @channels).
 * @rx_ring: receive ring size for host buffers.
 * @tx_ring: transmit ring size.
 * @qps: the pool, @caps.num_qps entries.
 * @filter_ht: installed filters by key, for O(1) RCU lookup.
 * @filters: installed filters by location, @caps.num_filters entries.
 * @nr_filters: installed filters.
 * @nr_ethtool_filters: of which ethtool rules.
 * @debugfs: this device's debugfs directory.
 */
struct vmq_dev {
	struct net_device *netdev;
	struct vmq_caps caps;
	const struct vmq_hw_ops *ops;
	void *priv;
	struct mutex lock;	/* see @lock above */
	bool running;
	u32 channels;
	u32 rx_ring;
	u32 tx_ring;
	struct vmq_qp *qps;
	struct rhashtable filter_ht;
	struct vmq_filter **filters;
	u32 nr_filters;
	u32 nr_ethtool_filters;
	struct dentry *debugfs;
};

/* qp.c */
int vmq_qps_init(struct vmq_dev *vdev);
void vmq_qps_fini(struct vmq_dev *vdev);
int vmq_qp_claim(struct vmq_dev *vdev, u32 qp, enum vmq_owner_type owner);
int vmq_qp_start(struct vmq_dev *vdev, u32 qp);
void vmq_qp_stop(struct vmq_dev *vdev, u32 qp);
void vmq_qp_release(struct vmq_dev *vdev, u32 qp);
int vmq_set_channels(struct vmq_dev *vdev, u32 count);
int vmq_set_ring_sizes(struct vmq_dev *vdev, u32 rx, u32 tx);
void vmq_qp_read_stats(const struct vmq_qp *qp, u64 *rx_packets,
		       u64 *rx_bytes, u64 *tx_packets, u64 *tx_bytes);
const char *vmq_qp_state_name(enum vmq_qp_state state);
const char *vmq_owner_name(enum vmq_owner_type owner);

/* filter.c */
int vmq_filters_init(struct vmq_dev *vdev);
void vmq_filters_fini(struct vmq_dev *vdev);
int __vmq_filter_add(struct vmq_dev *vdev, const struct vmq_filter_key *key,
		     u32 qp, enum vmq_filter_origin origin, u32 loc);
int __vmq_filter_del(struct vmq_dev *vdev, u32 loc);
u32 vmq_filter_max_qp(struct vmq_dev *vdev, enum vmq_filter_origin origin);
const char *vmq_filter_origin_name(enum vmq_filter_origin origin);

/* debugfs.c */
void vmq_debugfs_init(void);
void vmq_debugfs_exit(void);
void vmq_debugfs_dev_add(struct vmq_dev *vdev);
void vmq_debugfs_dev_del(struct vmq_dev *vdev);

#endif /* _VMQ_PRIV_H */
