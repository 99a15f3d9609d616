/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmq core library: private structures shared by the core's files.
 */
#ifndef _VMQ_PRIV_H
#define _VMQ_PRIV_H

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/dim.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/rhashtable.h>
#include <linux/seqlock.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <net/vmq.h>
#include <net/vmq_guest.h>

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
 * @irqs: interrupts its vectors delivered.
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
	atomic64_t irqs;
};

/**
 * struct vmq_qp_balance - the rebalancer's notes on one queue pair
 * @last_frames: frames counted at the last period.
 * @idle_ticks: periods in a row it was idle.
 * @rest: periods left before it may move again.
 * @moves: times it was moved.
 */
struct vmq_qp_balance {
	u64 last_frames;
	u32 idle_ticks;
	u32 rest;
	u32 moves;
};

/**
 * struct vmq_qp - a hardware queue pair as the core sees it
 * @id: index in the pool.
 * @state: enum vmq_qp_state; written under the device mutex, read
 *	locklessly by the views.
 * @owner: enum vmq_owner_type.
 * @irq: Linux irq of its vector, or 0 if it has none.
 * @tx_irq: Linux irq of the vector of its transmit completions, where the
 *	driver gives them one of their own (vmq_qp_set_tx_irq()), else 0.
 * @home_cpu: the CPU the core pointed its vector at, or -1.
 * @down_irq: the irq the vector had when it was last freed, 0 for none.
 * @down_mask: its affinity then, whoever set it: what it reads at the
 *	next request unless the admin wrote it meanwhile.
 * @pinned: the admin chose its affinity; @pin_mask holds the choice.
 * @pin_mask: the admin's affinity, kept across free/request of the irq.
 * @notify: tells the core when @irq's affinity changes, so an admin's
 *	pin is noticed as it is made (affinity.c).
 * @vdev: the device, for @notify's callback.
 * @nr_filters: filters that target it.
 * @coal: its interrupt moderation, as the driver applies it.
 * @rx_adaptive: net_dim sets @coal's receive side (ethtool adaptive-rx);
 *	written under RTNL, read by the vector's handler.
 * @rx_dim: net_dim's state, fed by the vector's handler.
 * @bal: the rebalancer's notes.
 * @fwd: the offloaded macvlan owning it, if any.
 * @rx_netdev: where its received frames go: the macvlan, or NULL for the
 *	NIC.  Read by the driver's poll under RCU.
 * @stats: its counters.
 * @guest: its guest rings and owner, if it is a VFIO queue pair (guest.c).
 */
struct vmq_qp {
	u32 id;
	enum vmq_qp_state state;
	enum vmq_owner_type owner;
	int irq;
	int tx_irq;
	int home_cpu;
	int down_irq;
	bool pinned;
	cpumask_var_t pin_mask;
	cpumask_var_t down_mask;
	struct irq_affinity_notify notify;
	struct vmq_dev *vdev;
	u32 nr_filters;
	struct vmq_coalesce coal;
	bool rx_adaptive;
	struct dim rx_dim;
	struct vmq_qp_balance bal;
	struct vmq_fwd *fwd;
	struct net_device __rcu *rx_netdev;
	struct vmq_qp_stats stats;
	struct vmq_guest_qp *guest;
};

/**
 * struct vmq_fwd - a macvlan offloaded onto a queue pair (its accel_priv)
 * @list: in &vmq_dev.fwds.
 * @vdev: the vmq device.
 * @upper: the macvlan netdev.
 * @qp: its first queue pair.
 * @nr_qps: its queue pairs, [@qp, @qp + @nr_qps).
 * @ctx: the RSS context spreading its frames over them, or 0 for one.
 * @loc: its filter's location, or %VMQ_LOC_ANY while its MAC cannot be
 *	steered (vmq_fwd_changeaddr()).
 * @local_switch: the hardware may switch its frames to other local queue
 *	pairs (bridge mode); private and vepa macvlans go to the wire.
 */
struct vmq_fwd {
	struct list_head list;
	struct vmq_dev *vdev;
	struct net_device *upper;
	u32 qp;
	u32 nr_qps;
	u32 ctx;
	u32 loc;
	bool local_switch;
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
 * struct vmq_gone_stats - counts of host channels that went away
 * @rx_packets: received frames.
 * @rx_bytes: received bytes.
 * @tx_packets: sent frames.
 * @tx_bytes: sent bytes.
 * @rx_drops: frames dropped on receive.
 * @tx_drops: frames dropped on transmit.
 */
struct vmq_gone_stats {
	u64_stats_t rx_packets;
	u64_stats_t rx_bytes;
	u64_stats_t tx_packets;
	u64_stats_t tx_bytes;
	u64_stats_t rx_drops;
	u64_stats_t tx_drops;
};

/* Moves the rebalancer remembers for debugfs. */
#define VMQ_BALANCE_LOG		32

/**
 * struct vmq_balance_move - one move of the rebalancer
 * @jiffies: when.
 * @qp: which queue pair.
 * @from: old CPU.
 * @to: new CPU.
 * @why: "spread" or "pack".
 */
struct vmq_balance_move {
	unsigned long jiffies;
	u32 qp;
	int from;
	int to;
	const char *why;
};

/* Guest queue errors waiting for the devlink health reporter. */
#define VMQ_HEALTH_PENDING	8

/**
 * struct vmq_health_event - a guest queue pair's entry into the error state
 * @qp: the queue pair.
 * @err: enum vmq_err, 0 for none.
 * @owner: enum vmq_owner_type: vfio or vdpa.
 * @name: its owner's name for it.
 */
struct vmq_health_event {
	u32 qp;
	u32 err;
	u32 owner;
	char name[40];
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
 * @host_gone: counts of host channels released, for netdev totals.
 * @stats_lock: a reader of the netdev totals finds each host channel's
 *	counts once, in @host_gone or on its queue pair: the writers
 *	(vmq_qp_claim(), vmq_qp_release(), under @lock too) change a queue
 *	pair's owner, and reset or retire its counts, in its write section.
 *	With bottom halves off: ndo_get_stats64 may run in atomic context,
 *	and a reader in a softirq would spin forever on a write section it
 *	interrupted on its own CPU.
 * @l2fw: macvlan L2-forwarding offload is on.
 * @fwd_qps: queue pairs a macvlan offloaded from now on gets (devlink).
 * @fwds: offloaded macvlans.
 * @list: in the registry of all vmq devices once published, else empty
 *	(client.c).
 * @all: in the list of all registered vmq devices (client.c).
 * @clients: the clients attached to it, with their cookies (client.c).
 * @nr_client_links: of which not yet removed (client.c).
 * @registry_dying: its removal from the registry began (client.c).
 * @affinity_work: gives vectors new homes after CPU hotplug.
 * @cpuhp_node: in the core's CPU hotplug state.
 * @cpus_leaving: CPUs that went offline (or are going) since the last
 *	@affinity_work that found them back; set by the hotplug callback.
 *	The kernel moves vectors off them without telling anyone, which
 *	must not look like an admin's pin (affinity.c).
 * @cpus_back: those of @cpus_leaving that came online again.
 * @dynamic: the Dynamic VMQ policy is on.
 * @cpu_base: the first CPU the device's vectors may use (devlink).
 * @cpu_max: how many from there, 0 for all.
 * @bal_work: the rebalancer's periodic work.
 * @bal_skew_ticks: periods in a row the load was skewed.
 * @bal_busy: frames per period above which a queue counts as busy
 *	(%VMQ_BALANCE_BUSY; a debugfs knob, never below the idle mark).
 * @dbg_retire_delay_ms: a debugfs test knob: how long the release of a
 *	host channel waits between retiring its counts and giving up its
 *	queue pair (vmq_qp_release()), 0 for not at all.
 * @dbg_retire_delays: how many times it waited, for the test to know.
 * @dbg_notify_delay_ms: a debugfs test knob: how long the affinity
 *	notifier sleeps before it looks at the vector, 0 for not at all.
 * @dbg_notify_delays: how many times it slept, counted when it wakes.
 * @bal_moves: the last %VMQ_BALANCE_LOG moves, a ring.
 * @bal_nr_moves: moves so far.
 * @debugfs: this device's debugfs directory.
 * @devlink: its devlink instance, or NULL without a parent device.
 * @health: its guest_queue health reporter, or NULL.
 * @health_lock: guards @health_ev, @health_nr and @health_last.
 * @health_ev: errors waiting for @health_work to report them.
 * @health_nr: how many.
 * @health_last: the latest error, for a dump the admin asks for.
 * @health_work: reports them; process context.
 * @rss: RSS table 0, the host's pool.
 * @rss_ctx: the admin's contexts 1..%VMQ_RSS_MAX_CTX, then those of
 *	offloaded macvlans and guests; NULL where free.
 * @rss_guest: which of @rss_ctx are a guest's, with a key of its own.
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
	struct vmq_gone_stats host_gone;
	seqlock_t stats_lock;	/* see @stats_lock above */
	bool l2fw;
	u32 fwd_qps;
	struct list_head fwds;
	struct list_head list;
	struct list_head all;
	struct list_head clients;
	atomic_t nr_client_links;
	bool registry_dying;
	struct work_struct affinity_work;
	struct hlist_node cpuhp_node;
	cpumask_var_t cpus_leaving;
	cpumask_var_t cpus_back;
	bool dynamic;
	u32 cpu_base;
	u32 cpu_max;
	struct delayed_work bal_work;
	u32 bal_skew_ticks;
	u32 bal_busy;
	u32 dbg_retire_delay_ms;
	atomic_t dbg_retire_delays;
	u32 dbg_notify_delay_ms;
	atomic_t dbg_notify_delays;
	struct vmq_balance_move bal_moves[VMQ_BALANCE_LOG];
	u32 bal_nr_moves;
	struct dentry *debugfs;
	struct devlink *devlink;
	struct devlink_health_reporter *health;
	spinlock_t health_lock;	/* see @health_lock above */
	struct vmq_health_event health_ev[VMQ_HEALTH_PENDING];
	u32 health_nr;
	struct vmq_health_event health_last;
	struct work_struct health_work;
	struct vmq_rss rss;
	struct vmq_rss *rss_ctx[VMQ_RSS_HW_CTX + 1];
	DECLARE_BITMAP(rss_guest, VMQ_RSS_HW_CTX + 1);
};

/* qp.c */
int vmq_qps_init(struct vmq_dev *vdev);
void vmq_qps_fini(struct vmq_dev *vdev);
int vmq_qp_claim(struct vmq_dev *vdev, u32 qp, enum vmq_owner_type owner);
int vmq_qp_start(struct vmq_dev *vdev, u32 qp);
void vmq_qp_stop(struct vmq_dev *vdev, u32 qp);
void vmq_qp_stop_held(struct vmq_dev *vdev, u32 id, struct sk_buff_head *held);
void vmq_qp_release(struct vmq_dev *vdev, u32 qp);
int vmq_set_channels(struct vmq_dev *vdev, u32 count);
int vmq_set_ring_sizes(struct vmq_dev *vdev, u32 rx, u32 tx);
void vmq_qp_read_stats(const struct vmq_qp *qp, u64 *rx_packets,
		       u64 *rx_bytes, u64 *tx_packets, u64 *tx_bytes);
const char *vmq_qp_state_name(enum vmq_qp_state state);
const char *vmq_owner_name(enum vmq_owner_type owner);
struct net_device *vmq_qp_owner_netdev(const struct vmq_dev *vdev,
				       const struct vmq_qp *qp);

/* rss.c */
int vmq_rss_init(struct vmq_dev *vdev);
void vmq_rss_fini(struct vmq_dev *vdev);
bool vmq_rss_ctx_exists(struct vmq_dev *vdev, u32 ctx);
int vmq_rss_channels(struct vmq_dev *vdev, u32 count, bool commit);
void vmq_rules_flush(struct vmq_dev *vdev);
int vmq_rss_get_fields(struct vmq_dev *vdev, struct ethtool_rxnfc *cmd);
int vmq_rss_set_fields(struct vmq_dev *vdev, struct ethtool_rxnfc *cmd);
int vmq_rss_fwd_add(struct vmq_dev *vdev, u32 first, u32 count);
void vmq_rss_fwd_del(struct vmq_dev *vdev, u32 ctx);
int vmq_rss_guest_add(struct vmq_dev *vdev, u32 first);
int vmq_rss_guest_write(struct vmq_dev *vdev, u32 ctx, u32 first, u32 count,
			const u8 *key, const u8 *table);

/* devlink.c */
void vmq_devlink_add(struct vmq_dev *vdev);
void vmq_devlink_del(struct vmq_dev *vdev);
void vmq_devlink_guest_error(struct vmq_dev *vdev, u32 qp, const char *name,
			     enum vmq_err err);
void vmq_devlink_guest_recheck(struct vmq_dev *vdev);

/* filter.c */
int vmq_filters_init(struct vmq_dev *vdev);
void vmq_filters_fini(struct vmq_dev *vdev);
int __vmq_filter_add(struct vmq_dev *vdev, const struct vmq_filter_key *key,
		     u32 qp, enum vmq_filter_origin origin, u32 loc);
int __vmq_filter_del(struct vmq_dev *vdev, u32 loc);
u32 vmq_filter_max_qp(struct vmq_dev *vdev, enum vmq_filter_origin origin);
const char *vmq_filter_origin_name(enum vmq_filter_origin origin);
u32 vmq_filter_lookup(struct vmq_dev *vdev, const u8 *addr, u16 vlan);

/* The vmq device of a netdev vmq_dev_register() took ml_priv of. */
static inline struct vmq_dev *
vmq_dev_from_netdev(const struct net_device *netdev)
{
	return netdev->ml_priv;
}

/* affinity.c */
extern atomic_t vmq_fail_cpuhp_add;
int vmq_affinity_init(void);
void vmq_affinity_exit(void);
int vmq_affinity_dev_init(struct vmq_dev *vdev);
void vmq_affinity_dev_fini(struct vmq_dev *vdev);
void vmq_affinity_refresh(struct vmq_dev *vdev);
void vmq_affinity_notice_pins(struct vmq_dev *vdev);
int vmq_pick_cpu(const struct vmq_dev *vdev);
bool vmq_cpu_usable(const struct vmq_dev *vdev, int cpu);
int vmq_qp_move(struct vmq_dev *vdev, struct vmq_qp *qp, int cpu);

/* balance.c */
void vmq_balance_dev_init(struct vmq_dev *vdev);
void vmq_balance_dev_fini(struct vmq_dev *vdev);
void vmq_balance_set(struct vmq_dev *vdev, bool dynamic);

/* coalesce.c */
void vmq_coalesce_dev_init(struct vmq_dev *vdev);
void vmq_coalesce_dev_fini(struct vmq_dev *vdev);

/* client.c */
bool vmq_dev_is_ours(const struct net_device *netdev);
void vmq_registry_track(struct vmq_dev *vdev);
void vmq_registry_untrack(struct vmq_dev *vdev);
void vmq_registry_add(struct vmq_dev *vdev);
void vmq_registry_del(struct vmq_dev *vdev);

/* guest.c */
const char *vmq_guest_qp_name(const struct vmq_qp *qp);
const char *vmq_guest_err_name(u32 err);

/* guest_l2.c */
int vmq_guest_filter_move(struct vmq_dev *vdev, u32 qp,
			  struct vmq_guest_qp *gqp, const u8 *mac, u16 vlan);

/* guest_mig.c */
void vmq_guest_held_purge(struct vmq_dev *vdev, u32 qp);

/* fwd.c */
int vmq_fwd_init(void);
void vmq_fwd_exit(void);

/* debugfs.c */
void vmq_debugfs_init(void);
void vmq_debugfs_exit(void);
void vmq_debugfs_dev_add(struct vmq_dev *vdev);
void vmq_debugfs_dev_del(struct vmq_dev *vdev);

#endif /* _VMQ_PRIV_H */
