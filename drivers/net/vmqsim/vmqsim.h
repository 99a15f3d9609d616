/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmqsim: a simulated VMQ-capable NIC, the first driver on the vmq core.
 *
 * One simulated device (a device on the "vmqsim" bus) has two halves:
 *
 *  - the "silicon" (silicon.c, irq.c): a MAC/VLAN filter table and its
 *    classifier, per queue pair receive rings it "DMAs" frames into, a
 *    transmit switch, and MSI-X-like vectors delivered as real Linux irqs;
 *    for guest queue pairs (guest*.c) an engine that moves frames between
 *    the silicon and rings in a VM's memory;
 *  - the driver (netdev.c): the NIC netdev vmq<ID>, which registers with
 *    the vmq core, programs the silicon through &struct vmq_hw_ops and
 *    polls the rings with NAPI.
 *
 * The other end of the wire is a plain netdev, vmq<ID>w (wire.c): what it
 * transmits enters the NIC's receive port (port.c), whose thread is the
 * silicon's own context; what the NIC sends to the wire it receives.
 */
#ifndef _VMQSIM_H
#define _VMQSIM_H

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/hashtable.h>
#include <linux/hrtimer.h>
#include <linux/if_vlan.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/netdevice.h>
#include <linux/pid.h>
#include <linux/ptr_ring.h>
#include <linux/skbuff.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/u64_stats_sync.h>
#include <net/vmq.h>

#define VMQSIM_DRV_NAME		"vmqsim"

/* What "echo ID [QUEUE_PAIRS [FILTERS]] > new_device" accepts. */
#define VMQSIM_MAX_ID		1023
#define VMQSIM_MAX_QPS		64
#define VMQSIM_DEFAULT_QPS	16
#define VMQSIM_MAX_FILTERS	4096

#define VMQSIM_RING_MIN		16
#define VMQSIM_RING_MAX		4096
#define VMQSIM_RING_DEFAULT	256

/*
 * One page per receive descriptor: the frame goes after the headroom the
 * stack wants, and the skb_shared_info napi_build_skb() puts at the end
 * must still fit.
 */
#define VMQSIM_RX_HEADROOM	(NET_SKB_PAD + NET_IP_ALIGN)
#define VMQSIM_RX_TAILROOM	SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
#define VMQSIM_MAX_FRAME	(PAGE_SIZE - VMQSIM_RX_HEADROOM - \
				 VMQSIM_RX_TAILROOM)
#define VMQSIM_MAX_MTU		(VMQSIM_MAX_FRAME - VLAN_ETH_HLEN)

/* Internal-switching pool of frames that come from the wire. */
#define VMQSIM_POOL_WIRE	U32_MAX

/*
 * Frames in a row for one guest queue pair that the receive port writes
 * into its buffers at once (see vmqsim_guest_rx_many()).
 */
#define VMQSIM_RX_STAGE		16

struct page_pool;
struct vmqsim_dev;
struct vmqsim_guest;
struct vmqsim_guest_attach;

/**
 * struct vmqsim_rx_meta - what the hardware reports with a frame
 * @hash: its RSS hash.
 * @hash_type: enum pkt_hash_types of @hash; PKT_HASH_TYPE_NONE: none.
 */
struct vmqsim_rx_meta {
	u32 hash;
	u8 hash_type;
};

/**
 * struct vmqsim_rx_desc - one receive descriptor
 * @page: the buffer the driver posted; the frame goes at
 *	%VMQSIM_RX_HEADROOM.
 * @len: frame length, written by the hardware.
 * @meta: the frame's hash, written by the hardware.
 */
struct vmqsim_rx_desc {
	struct page *page;
	u32 len;
	struct vmqsim_rx_meta meta;
};

/**
 * struct vmqsim_ring - a receive ring, shared by the driver and the silicon
 * @pool: where the posted pages come from.
 * @lock: serialises the silicon's writers; frames for one queue pair may
 *	arrive on several CPUs at once.
 * @size: number of descriptors.
 * @head: next descriptor the silicon fills (free running); written under
 *	@lock and published with release semantics.
 * @tail: next descriptor the driver consumes (free running); written by
 *	the queue pair's NAPI poll only, with release semantics.
 * @desc: the descriptors.
 */
struct vmqsim_ring {
	struct page_pool *pool;
	spinlock_t lock;	/* see @lock above */
	u32 size;
	u32 head;
	u32 tail;
	struct vmqsim_rx_desc desc[];
};

/**
 * struct vmqsim_vector_user - what a queue pair's vector serves
 * @handler: runs for each message, in hard irq context on the vector's
 *	CPU; the vector stays masked until its user re-arms it
 *	(vmqsim_irq_unmask() or vmqsim_irq_rearm()).  Once more, in process
 *	context with BHs off, if the vector is freed while completions
 *	wait (only users that outlive vectors meet this).
 * @pending: optional: how many completions wait for @handler.  Interrupt
 *	moderation counts them, and re-arming raises again if any wait.
 *	Any context.
 *
 * The silicon knows the rings, not the vectors: a queue pair's user is
 * attached when it starts (vmqsim_irq_attach()) and detached before it
 * stops, and the vector calls back whoever is attached, under RCU.  The
 * callbacks find their own state with container_of().
 */
struct vmqsim_vector_user {
	void (*handler)(struct vmqsim_vector_user *user);
	u32 (*pending)(struct vmqsim_vector_user *user);
};

/**
 * struct vmqsim_qp - a queue pair, both the driver's and the silicon's view
 * @sdev: its device.
 * @id: queue pair index, also its vector's hwirq.
 * @napi: its receive poll.
 * @ring: its receive ring while started; the NAPI poll's view.
 * @hw_ring: the same ring as published to the silicon, or NULL when the
 *	silicon must not DMA into it.
 * @pool: internal-switching pool: 0 for the host's queue pairs, else the
 *	first of its vport's.  Written at its start, and when a filter
 *	names it or its vport's context (vmqsim_silicon_filter_write()).
 * @tx_ring_size: transmit descriptors, as configured (transmit is
 *	synchronous in the simulation).
 * @flags: VMQ_QP_F_* from the core, written with @pool.
 * @guest: the engine of a running guest queue pair (guest.c), else NULL;
 *	the classifier and doorbells use it under RCU, so it is freed a
 *	grace period after it is cleared.
 * @draining: the engine of a stopped guest queue pair that was left
 *	waiting in guest memory, until vmqsim_guest_drain() (guest.c).
 * @spare: the thread of a stopped guest queue pair's engine, kept for
 *	its next run until its owner lets go of it (guest.c).
 * @spare_attach: @spare's join of its owner's cgroups (guest_engine.c).
 * @rx_irq: what its vector does while the host's NAPI poll serves it.
 * @napi_shown: its queues name @napi in the netdev netlink family.
 */
struct vmqsim_qp {
	struct vmqsim_dev *sdev;
	u32 id;
	struct napi_struct napi;
	struct vmqsim_ring *ring;
	struct vmqsim_ring __rcu *hw_ring;
	u32 pool;
	u32 tx_ring_size;
	u32 flags;
	struct vmqsim_guest __rcu *guest;
	struct vmqsim_guest *draining;
	struct kthread_worker *spare;
	struct vmqsim_guest_attach *spare_attach;
	struct vmqsim_vector_user rx_irq;
	bool napi_shown;
};

/* Bits of &vmqsim_vector.flags. */
enum {
	VMQSIM_VEC_MASKED,	/* raised, not yet re-armed by its handler */
};

/**
 * struct vmqsim_vector - one simulated MSI-X vector
 * @sdev: its device.
 * @hwirq: index in the device's irq domain.
 * @qp: the queue pair it serves (not meaningful for the misc vector).
 * @tx: it is @qp's transmit vector, moderated by the transmit settings.
 * @virq: Linux irq number.
 * @data: @virq's irq data, looked up once: where a message goes is read
 *	from it at every message.
 * @name: name it is requested under, "<ifname>-qp<N>", "<ifname>-misc"
 *	or "<ifname>-qp<N>-tx".
 * @user: whom a queue pair vector's messages are for, or NULL (RCU).
 * @csd: delivers it to a CPU.
 * @inflight: deliveries sent and not yet done; freeing waits for zero.
 * @flags: VMQSIM_VEC_* bits.
 * @requested: a handler is installed (between ndo_open and ndo_stop; a
 *	transmit vector's while its virtio queue pair runs).
 * @placed: its initial affinity was set (on the first request).
 * @hold: debugfs knob: do not raise, let the ring fill up.
 * @fired: deliveries sent.
 * @coal_timer: sends a moderated interrupt when its delay runs out.
 */
struct vmqsim_vector {
	struct vmqsim_dev *sdev;
	u32 hwirq;
	u32 qp;
	bool tx;
	unsigned int virq;
	struct irq_data *data;
	char name[IFNAMSIZ + 16];
	struct vmqsim_vector_user __rcu *user;
	call_single_data_t csd;
	atomic_t inflight;
	unsigned long flags;
	bool requested;
	bool placed;
	bool hold;
	atomic64_t fired;
	struct hrtimer coal_timer;
};

/**
 * struct vmqsim_irqs - the device's simulated MSI-X block
 * @fwnode: names @domain.
 * @domain: maps hwirq N (queue pair N, the misc vector, or a transmit
 *	vector) to a virq.
 * @vectors: queue pair vectors, the misc vector, then transmit vectors.
 * @count: the vectors requested from ndo_open to ndo_stop: queue pairs'
 *	and misc.
 * @total: number of @vectors.
 */
struct vmqsim_irqs {
	struct fwnode_handle *fwnode;
	struct irq_domain *domain;
	struct vmqsim_vector *vectors;
	u32 count;
	u32 total;
};

/**
 * struct vmqsim_cls_entry - a filter as the classifier holds it
 * @node: in &vmqsim_silicon.cls.
 * @key: vmq_mac_vlan_pack() of its MAC and VLAN.
 * @qp: target queue pair or %VMQ_QP_DROP.
 * @owner: the queue pair that stands for @qp in the switch and in
 *	replication: @qp, or the first of the vport a context spreads
 *	over; %VMQ_QP_DROP for none.
 * @rcu: deferred free; the data path looks entries up under RCU.
 */
struct vmqsim_cls_entry {
	struct hlist_node node;
	u64 key;
	u32 qp;
	u32 owner;
	struct rcu_head rcu;
};

/* Device-level counters of the silicon, see vmqsim_counter_names. */
enum vmqsim_counter {
	VMQSIM_CNT_RX_UNMATCHED,
	VMQSIM_CNT_RX_REPLICATED,
	VMQSIM_CNT_RX_FILTER_DROPS,
	VMQSIM_CNT_TX_SWITCHED,
	VMQSIM_CNT_TX_WIRE,
	VMQSIM_CNT_RX_OVERRUNS,
	VMQSIM_CNT_RX_GUEST_DIRECT,
	VMQSIM_CNT_RX_GUEST_DIRECT_BATCHES,
	VMQSIM_CNT_RX_RAISES,
	VMQSIM_CNT_RX_HELD,
	VMQSIM_CNT_TX_PAUSE,
	VMQSIM_CNT_GUEST_PASSES,
	VMQSIM_CNT_RX_TOO_LONG,
	VMQSIM_CNT_GUEST_ENGINES,
	VMQSIM_CNT_RX_MAC_CONTROL,
	VMQSIM_CNT_RX_PAUSE,
	VMQSIM_CNT_MAX,
};

/**
 * struct vmqsim_pcpu_counters - one CPU's share of the silicon counters
 * @syncp: for 64-bit reads on 32-bit machines.
 * @cnt: indexed by enum vmqsim_counter.
 */
struct vmqsim_pcpu_counters {
	struct u64_stats_sync syncp;
	u64_stats_t cnt[VMQSIM_CNT_MAX];
};

#define VMQSIM_CLS_HASH_BITS	12	/* one bucket per filter at the most */

/**
 * struct vmqsim_silicon - the simulated hardware's filter state
 * @slots: the filter table by slot, as the core programmed it; written
 *	with the core's mutex held, read under RCU.
 * @qp_filters: forwarding filters per queue pair, for replication.
 * @cls: the classifier: @slots hashed by MAC and VLAN, O(1) under RCU.
 * @counters: per-CPU device-level counters.
 * @rss: the RSS registers (rss.c) of table 0 (the host's pool) and of
 *	each context filters may name; NULL until the driver writes them.
 */
struct vmqsim_silicon {
	struct vmqsim_cls_entry __rcu **slots;
	u32 *qp_filters;
	DECLARE_HASHTABLE(cls, VMQSIM_CLS_HASH_BITS);
	struct vmqsim_pcpu_counters __percpu *counters;
	struct vmqsim_rss_hw __rcu *rss[VMQ_RSS_HW_CTX + 1];
};

/**
 * struct vmqsim_port - the receive port: wire to silicon (port.c)
 * @fifo: frames from the wire the silicon has not taken yet.
 * @thread: the silicon's context, "vmqsim<ID>-port".
 * @idle: @thread sleeps, or is about to; a new frame wakes it.
 * @arrived: frames that entered @fifo; written under its producer lock.
 * @taken: frames @thread took from @fifo and classified; its own.
 * @pause_tx: the NIC sends PAUSE (ethtool -A tx): a full host ring holds
 *	the port, a full @fifo stops the partner's transmit queue.
 */
struct vmqsim_port {
	struct ptr_ring fifo;
	struct task_struct *thread;
	bool idle;
	unsigned long arrived;
	unsigned long taken;
	bool pause_tx;
};

/**
 * struct vmqsim_dev - one simulated NIC
 * @dev: its device on the vmqsim bus, "vmqsim<ID>".
 * @probe_err: how the driver's last probe of @dev ended.
 * @list: in the bus's list of devices.
 * @dying: being deleted; stays on the list, keeping its ID, until gone.
 * @id: ID given to new_device.
 * @num_qps: queue pairs.
 * @num_filters: filter table capacity.
 * @rx_ring_size: receive ring size for rings started from now on.
 * @tx_ring_size: transmit ring size likewise.
 * @nic: the NIC netdev, vmq<ID>.
 * @vdev: its vmq core device.
 * @wire: the link partner netdev, vmq<ID>w.
 * @wire_link: @wire as the NIC's transmit path sees it: NULL once the
 *	partner is going away (RCU; written under RTNL).
 * @qps: @num_qps queue pairs.
 * @irqs: simulated MSI-X.
 * @silicon: filter table and classifier.
 * @port: where frames from the wire wait for the silicon.
 * @ddir: debugfs directory.
 * @dbg_rx_delay_us: debugfs test knob: the classifier waits this long
 *	after it found a guest queue pair's engine (widens races with
 *	vmqsim_guest_stop()).
 * @dbg_raise_delay_us: debugfs test knob: a guest queue pair's engine
 *	waits this long before it raises its vector (widens races with
 *	the vectors being freed).
 * @dbg_take_delay_us: debugfs test knob: a guest queue pair's engine
 *	waits this long after each transmit buffer it took, before it uses
 *	it, and after each frame it wrote into a receive buffer, before the
 *	completions (widens races with a stop in the middle of a pass).
 * @dbg_take_budget: debugfs test knob: receive buffers of VFIO queues the
 *	guest queue pairs' engines may still fill from their FIFOs, or
 *	negative for no limit; at 0 an engine waits before its next frame
 *	until this changes or its queue pair stops (holds a stop in the
 *	middle of a pass where a test wants it).
 * @dbg_take_waits: debugfs, read-only: how often an engine began to wait
 *	for @dbg_take_budget (it is out of guest memory then).
 * @dbg_publish_delay_us: debugfs test knob: a guest queue pair's engine
 *	waits this long inside guest memory as it writes a virtqueue's used
 *	index (widens races with a stop during that write).
 * @dbg_port_hold: debugfs test knob: the receive port's thread takes no
 *	frames, so the port's FIFO fills up and overruns.
 * @dbg_guest_rx_fifo: debugfs test knob: every frame for a guest queue
 *	pair goes through its FIFO and engine, as when its memory is not
 *	at hand (tests and profiles of that path).
 * @dbg_cls_hold: debugfs test knob: the receive port's thread, having
 *	found a filter for a unicast frame, waits before it delivers it
 *	until this is cleared, at most %VMQSIM_DBG_HOLD_MS (holds a
 *	classifier pass between its lookup and the queue pair).
 * @dbg_cls_holds: debugfs, read-only: frames held so.
 */
struct vmqsim_dev {
	struct device dev;
	int probe_err;
	struct list_head list;
	bool dying;
	u32 id;
	u32 num_qps;
	u32 num_filters;
	u32 rx_ring_size;
	u32 tx_ring_size;
	struct net_device *nic;
	struct vmq_dev *vdev;
	struct net_device *wire;
	struct net_device __rcu *wire_link;
	struct vmqsim_qp *qps;
	struct vmqsim_irqs irqs;
	struct vmqsim_silicon silicon;
	struct vmqsim_port port;
	struct dentry *ddir;
	u32 dbg_rx_delay_us;
	u32 dbg_raise_delay_us;
	u32 dbg_take_delay_us;
	atomic_t dbg_take_budget;
	atomic_t dbg_take_waits;
	u32 dbg_publish_delay_us;
	bool dbg_port_hold;
	bool dbg_guest_rx_fifo;
	bool dbg_cls_hold;
	atomic_t dbg_cls_holds;
};

/* The longest the debugfs delay knobs wait, in microseconds. */
#define VMQSIM_DBG_DELAY_MAX	20000
/* The longest cls_hold holds a frame: well below the lockup detectors'. */
#define VMQSIM_DBG_HOLD_MS	10000

/* Context: any; a test knob, never set in normal use. */
static inline void vmqsim_dbg_delay(const u32 *knob)
{
	u32 us = READ_ONCE(*knob);

	if (unlikely(us))
		udelay(min_t(u32, us, VMQSIM_DBG_DELAY_MAX));
}

/* What both netdevs keep in netdev_priv(). */
struct vmqsim_netdev_priv {
	struct vmqsim_dev *sdev;
};

static inline struct vmqsim_dev *vmqsim_netdev_sdev(const struct net_device *dev)
{
	const struct vmqsim_netdev_priv *priv = netdev_priv(dev);

	return priv->sdev;
}

/* dev.c */
int vmqsim_dev_create(struct vmqsim_dev *sdev);
void vmqsim_dev_destroy(struct vmqsim_dev *sdev);

/* silicon.c */
int vmqsim_silicon_init(struct vmqsim_dev *sdev);
void vmqsim_silicon_fini(struct vmqsim_dev *sdev);
int vmqsim_silicon_filter_write(struct vmqsim_dev *sdev, u32 slot,
				const struct vmq_filter_key *key, u32 qp);
void vmqsim_silicon_filter_clear(struct vmqsim_dev *sdev, u32 slot);
u32 vmqsim_silicon_rx(struct vmqsim_dev *sdev, struct sk_buff **skb, u32 n);
void vmqsim_silicon_tx(struct vmqsim_dev *sdev, u32 qp, struct sk_buff *skb);
void vmqsim_silicon_ring_publish(struct vmqsim_qp *qp);
void vmqsim_silicon_ring_unpublish(struct vmqsim_qp *qp);
u32 vmqsim_silicon_rx_waiting(struct vmqsim_qp *qp);
void vmqsim_silicon_read_counters(struct vmqsim_dev *sdev,
				  u64 cnt[VMQSIM_CNT_MAX]);
void vmqsim_silicon_count(struct vmqsim_dev *sdev, enum vmqsim_counter c);
void vmqsim_silicon_add(struct vmqsim_dev *sdev, enum vmqsim_counter c, u64 n);
extern const char * const vmqsim_counter_names[VMQSIM_CNT_MAX];
struct vmqsim_ring *vmqsim_ring_create(u32 size);
u32 vmqsim_ring_waiting(const struct vmqsim_ring *ring);
void vmqsim_ring_destroy(struct vmqsim_ring *ring);
int vmqsim_ring_take(struct vmqsim_ring *ring, struct vmqsim_rx_desc *out);

/* rss.c */
struct vmqsim_rss_hw;
u32 vmqsim_rss_pick(struct vmqsim_dev *sdev, u32 ctx,
		    const struct sk_buff *skb, struct vmqsim_rx_meta *meta);
u32 vmqsim_rss_vport(struct vmqsim_dev *sdev, u32 ctx);
int vmqsim_rss_write(struct vmq_dev *vdev, u32 ctx, const struct vmq_rss *rss);
void vmqsim_rss_fini(struct vmqsim_dev *sdev);

/* irq.c */
int vmqsim_irqs_init(struct vmqsim_dev *sdev);
void vmqsim_irqs_fini(struct vmqsim_dev *sdev);
int vmqsim_irqs_request(struct vmqsim_dev *sdev);
void vmqsim_irqs_free(struct vmqsim_dev *sdev);
unsigned int vmqsim_irq_home_cpu(u32 hwirq);
int vmqsim_irq_effective_cpu(const struct vmqsim_vector *vec);
void vmqsim_irq_attach(struct vmqsim_dev *sdev, u32 hwirq,
		       struct vmqsim_vector_user *user);
void vmqsim_irq_detach(struct vmqsim_dev *sdev, u32 hwirq);
void vmqsim_irq_rearm(struct vmqsim_dev *sdev, u32 hwirq);
void vmqsim_irq_raise(struct vmqsim_dev *sdev, u32 hwirq);
void vmqsim_irq_unmask(struct vmqsim_dev *sdev, u32 qp);
void vmqsim_irq_set_hold(struct vmqsim_dev *sdev, u32 qp, bool hold);
void vmqsim_irq_raise_misc(struct vmqsim_dev *sdev);
void vmqsim_irq_quiesce(struct vmqsim_dev *sdev, u32 hwirq);
bool vmqsim_irq_raise_moderated(struct vmqsim_dev *sdev, u32 hwirq);
u32 vmqsim_irq_tx_hwirq(const struct vmqsim_dev *sdev, u32 qp);
int vmqsim_irq_tx_request(struct vmqsim_dev *sdev, u32 qp);
void vmqsim_irq_tx_free(struct vmqsim_dev *sdev, u32 qp);

/* guest.c */
extern const struct vmq_guest_hw_ops vmqsim_guest_hw_ops;

/* guest_engine.c */
int vmqsim_guest_init(void);
void vmqsim_guest_exit(void);

/* guest_rx.c */
void vmqsim_guest_rx(struct vmqsim_guest *gq, const struct sk_buff *skb,
		     const struct vmqsim_rx_meta *meta);
void vmqsim_guest_rx_many(struct vmqsim_guest *gq,
			  const struct sk_buff *const *skb,
			  const struct vmqsim_rx_meta *meta, u32 n);
u32 vmqsim_guest_backlog(struct vmqsim_guest *gq);

/* port.c */
int vmqsim_port_init(struct vmqsim_dev *sdev);
void vmqsim_port_fini(struct vmqsim_dev *sdev);
void vmqsim_port_rx(struct vmqsim_dev *sdev, struct net_device *wire,
		    struct sk_buff *skb);
unsigned long vmqsim_port_backlog(struct vmqsim_dev *sdev);
void vmqsim_port_set_pause(struct vmqsim_dev *sdev, bool tx);

/* netdev.c */
int vmqsim_nic_create(struct vmqsim_dev *sdev);
void vmqsim_nic_destroy(struct vmqsim_dev *sdev);

/* wire.c */
int vmqsim_wire_create(struct vmqsim_dev *sdev);
void vmqsim_wire_destroy(struct vmqsim_dev *sdev);
bool vmqsim_wire_deliver(struct vmqsim_dev *sdev, struct sk_buff *skb);
void vmqsim_carrier_update(struct vmqsim_dev *sdev);

/* debugfs.c */
void vmqsim_debugfs_init(void);
void vmqsim_debugfs_exit(void);
void vmqsim_debugfs_dev_add(struct vmqsim_dev *sdev);
void vmqsim_debugfs_dev_del(struct vmqsim_dev *sdev);

#endif /* _VMQSIM_H */
