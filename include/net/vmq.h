/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmq: Virtual Machine Queue support for multi-queue NICs.
 *
 * The NIC-driver API of the core library (vmq.ko).  A NIC driver
 * registers its netdev together with its capabilities and a table of
 * hardware operations; the core owns the queue-pair pool, the MAC/VLAN
 * filter table and the user interfaces built on them (ethtool ntuple,
 * channels, rings and statistics, macvlan offload, VFIO).  A driver
 * that also runs guest queue pairs, and the modules owning those, use
 * <net/vmq_guest.h> too.
 *
 * The core takes the netdev's ml_priv from vmq_dev_register() to
 * vmq_dev_unregister(): the ethtool and ndo helpers find the vmq device
 * there.  The driver keeps its own state in netdev_priv() or behind
 * vmq_dev_priv().  Client modules (VFIO, vDPA) see the device only from
 * vmq_dev_publish(), the last step of the driver's probe, to
 * vmq_dev_unpublish(), the first of its remove.
 *
 * Queue pair 0 is the default queue: unmatched unicast, and a copy of all
 * broadcast and multicast, go there.  Queue pairs [0, channels) belong to
 * the host stack (ethtool -L); the rest are free for owners such as
 * macvlans and VFIO devices.
 *
 * Locking: configuration calls take the device's mutex and may sleep;
 * every &struct vmq_hw_ops callback is called with that mutex held.  The
 * counting helpers may be called from any context.
 */
#ifndef _NET_VMQ_H
#define _NET_VMQ_H

#include <linux/etherdevice.h>
#include <linux/if_ether.h>
#include <linux/netdevice.h>
#include <linux/types.h>
#include <net/vmq_compat.h>

struct vmq_dev;
struct vmq_guest_hw_ops;
struct netlink_ext_ack;

/* The host's pool: what no filter claims, spread by RSS table 0. */
#define VMQ_QP_DEFAULT		0
/* Filter target meaning "drop the frame". */
#define VMQ_QP_DROP		U32_MAX
/* RSS contexts besides the host's table, numbered 1..VMQ_RSS_MAX_CTX. */
#define VMQ_RSS_MAX_CTX		8
/*
 * RSS tables of offloaded macvlans with several queue pairs, numbered
 * after the admin's contexts: VMQ_RSS_MAX_CTX + 1..VMQ_RSS_HW_CTX.
 */
#define VMQ_RSS_FWD_CTX		32
#define VMQ_RSS_HW_CTX		(VMQ_RSS_MAX_CTX + VMQ_RSS_FWD_CTX)
/* Queue pairs an offloaded macvlan may get (devlink macvlan_queues). */
#define VMQ_FWD_MAX_QPS		8
/* Filter target meaning "spread by RSS context ctx over its queue pairs". */
#define VMQ_QP_RSS_BASE		0x80000000U
#define VMQ_QP_RSS(ctx)		(VMQ_QP_RSS_BASE | (ctx))

/* Whether a filter target is an RSS context; vmq_qp_rss_ctx() says which. */
static inline bool vmq_qp_is_rss(u32 qp)
{
	return qp > VMQ_QP_RSS_BASE && qp <= VMQ_QP_RSS(VMQ_RSS_HW_CTX);
}

static inline u32 vmq_qp_rss_ctx(u32 qp)
{
	return qp & ~VMQ_QP_RSS_BASE;
}

/* Filter key VLAN value meaning "untagged, or any VLAN". */
#define VMQ_VLAN_NONE		0xffff
/* Filter location meaning "any free slot". */
#define VMQ_LOC_ANY		U32_MAX

/* Queue pair flags, from vmq_qp_flags(). */
#define VMQ_QP_F_LOCAL_SWITCH	BIT(0)
#define VMQ_QP_F_MCAST		BIT(1)

/* Header fields a classifier can match, for &vmq_caps.match_fields. */
#define VMQ_MATCH_DST_MAC	BIT(0)
#define VMQ_MATCH_VLAN		BIT(1)

/**
 * enum vmq_qp_state - life cycle of a queue pair, after NDIS VMQ
 * @VMQ_QP_FREE: in the pool, no owner, no memory.
 * @VMQ_QP_ALLOCATED: owned, rings may exist, no DMA yet.
 * @VMQ_QP_RUNNING: the hardware may DMA into and out of its rings.
 * @VMQ_QP_DMA_STOPPED: DMA has stopped; its memory may now be freed.
 *
 * Transitions: FREE -> ALLOCATED -> RUNNING <-> DMA_STOPPED -> FREE, and
 * ALLOCATED -> FREE.  A RUNNING queue pair is never freed.
 */
enum vmq_qp_state {
	VMQ_QP_FREE,
	VMQ_QP_ALLOCATED,
	VMQ_QP_RUNNING,
	VMQ_QP_DMA_STOPPED,
};

/**
 * enum vmq_owner_type - who a queue pair works for
 * @VMQ_OWNER_NONE: nobody (free).
 * @VMQ_OWNER_HOST: the host stack on the NIC's own netdev (a channel).
 * @VMQ_OWNER_MACVLAN: a macvlan or macvtap offloaded onto the NIC.
 * @VMQ_OWNER_VFIO: a VFIO mediated device, i.e. a VM's own memory.
 * @VMQ_OWNER_VDPA: a vDPA virtio-net device: a guest's, or the host's
 *	own virtio_net through virtio_vdpa.
 */
enum vmq_owner_type {
	VMQ_OWNER_NONE,
	VMQ_OWNER_HOST,
	VMQ_OWNER_MACVLAN,
	VMQ_OWNER_VFIO,
	VMQ_OWNER_VDPA,
};

/* Whether queue pairs of @owner have their rings in a guest's memory. */
static inline bool vmq_owner_is_guest(enum vmq_owner_type owner)
{
	return owner == VMQ_OWNER_VFIO || owner == VMQ_OWNER_VDPA;
}

/**
 * enum vmq_filter_origin - who installed a filter
 * @VMQ_FILTER_ETHTOOL: an ethtool ntuple rule.
 * @VMQ_FILTER_MACVLAN: macvlan L2-forwarding offload.
 * @VMQ_FILTER_VFIO: the host admin's MAC for a VFIO queue pair.
 */
enum vmq_filter_origin {
	VMQ_FILTER_ETHTOOL,
	VMQ_FILTER_MACVLAN,
	VMQ_FILTER_VFIO,
};

/**
 * struct vmq_filter_key - what a filter matches
 * @addr: destination MAC address, a unicast address.
 * @vlan: VLAN ID (0-4095) the frame must carry, or %VMQ_VLAN_NONE to match
 *	the address whatever the tag.
 */
struct vmq_filter_key {
	u8 addr[ETH_ALEN];
	u16 vlan;
};

/**
 * vmq_mac_vlan_pack() - a MAC and a VLAN as one 64-bit word
 * @addr: the MAC address.
 * @vlan: a VLAN ID, or whatever 16-bit value stands for "none".
 *
 * The MAC in bits 63..16 (first byte highest), the VLAN in bits 15..0:
 * a key a hash table or a classifier compares in one step, or a pair
 * that one atomic write publishes consistently.
 *
 * Return: the packed word.
 */
static inline u64 vmq_mac_vlan_pack(const u8 *addr, u16 vlan)
{
	return ether_addr_to_u64(addr) << 16 | vlan;
}

/**
 * vmq_mac_vlan_unpack() - undo vmq_mac_vlan_pack()
 * @word: the packed word.
 * @addr: filled with the MAC address.
 *
 * Return: the VLAN.
 */
static inline u16 vmq_mac_vlan_unpack(u64 word, u8 *addr)
{
	u64_to_ether_addr(word >> 16, addr);
	return word & 0xffff;
}

/**
 * struct vmq_caps - what the hardware can do
 * @num_qps: queue pairs, the default queue included.
 * @num_filters: MAC/VLAN filter slots.
 * @num_vectors: interrupt vectors available to queue pairs.
 * @match_fields: VMQ_MATCH_* flags the classifier supports.
 * @ring_min: smallest ring, in descriptors.
 * @rx_ring_max: largest receive ring.
 * @tx_ring_max: largest transmit ring.
 * @rx_ring_default: receive ring size at registration.
 * @tx_ring_default: transmit ring size at registration.
 * @default_channels: host queue pairs at registration (at least 1).
 * @rss: the hardware spreads what reaches the host's channels by a
 *	Toeplitz hash (&struct vmq_rss, &vmq_hw_ops.rss_write).
 */
struct vmq_caps {
	u32 num_qps;
	u32 num_filters;
	u32 num_vectors;
	u32 match_fields;
	u32 ring_min;
	u32 rx_ring_max;
	u32 tx_ring_max;
	u32 rx_ring_default;
	u32 tx_ring_default;
	u32 default_channels;
	bool rss;
};

/* RSS: a Toeplitz key and an indirection table of queue pairs. */
#define VMQ_RSS_KEY_SIZE	40
#define VMQ_RSS_INDIR_SIZE	128

/* Which frames hash their TCP or UDP ports too (IP ones hash addresses). */
#define VMQ_RSS_L4_TCP4		BIT(0)
#define VMQ_RSS_L4_UDP4		BIT(1)
#define VMQ_RSS_L4_TCP6		BIT(2)
#define VMQ_RSS_L4_UDP6		BIT(3)

/**
 * struct vmq_rss - how the hardware spreads frames over the host's channels
 * @key: the Toeplitz key.
 * @indir: the queue pair for each value of the hash's low 7 bits.
 * @l4: VMQ_RSS_L4_*: the flow types whose hash takes in their ports.
 *
 * Frames the classifier leaves to the host (no filter, or broadcast and
 * multicast) go to queue pair indir[hash % VMQ_RSS_INDIR_SIZE]: IPv4 and
 * IPv6 hash source and destination address, then (per @l4, and not for
 * fragments) source and destination port, in the order of Microsoft's
 * RSS specification; other frames go to indir[0].  The hardware reports
 * the hash with each frame.
 */
struct vmq_rss {
	u8 key[VMQ_RSS_KEY_SIZE];
	u32 indir[VMQ_RSS_INDIR_SIZE];
	u32 l4;
};

/**
 * struct vmq_coalesce - interrupt moderation of a queue pair
 * @rx_usecs: longest a received frame waits for its interrupt (0: none).
 * @rx_frames: received frames that make an interrupt due at once.
 * @tx_usecs: likewise for transmit completions.
 * @tx_frames: likewise for transmit completions.
 */
struct vmq_coalesce {
	u32 rx_usecs;
	u32 rx_frames;
	u32 tx_usecs;
	u32 tx_frames;
};

/* ethtool_ops.supported_coalesce_params of a VMQ device. */
#define VMQ_SUPPORTED_COALESCE_PARAMS \
	(ETHTOOL_COALESCE_USECS | ETHTOOL_COALESCE_MAX_FRAMES | \
	 ETHTOOL_COALESCE_USE_ADAPTIVE_RX)

/**
 * struct vmq_hw_ops - what the core asks of the driver
 *
 * All are called with the device mutex held and may sleep.
 *
 * @filter_write: program filter slot @slot to send frames matching @key to
 *	queue pair @qp (or drop them if @qp is %VMQ_QP_DROP, or spread them
 *	by an RSS context if vmq_qp_is_rss(@qp)).  The slot may hold an
 *	older filter, which this replaces in one step.  The target need not
 *	run (a guest's filter comes before its first start): what the
 *	filter matches is its target's all the same, also in the NIC's
 *	internal switch, and dropped there while it does not run.
 * @filter_clear: empty filter slot @slot.  A classification under way
 *	may still use the old filter: the core lets an RCU grace period
 *	(synchronize_net()) pass before a queue pair this filter or an RSS
 *	table named goes to another owner, which is all a driver whose
 *	classifier runs under RCU needs.
 * @qp_start: give queue pair @qp rings of the current sizes and let the
 *	hardware DMA.  Called on ALLOCATED or DMA_STOPPED queue pairs of
 *	the host and of macvlans; guest queue pairs go to @guest instead.
 * @qp_stop: stop all DMA of queue pair @qp; when this returns the hardware
 *	no longer touches its memory and no interrupt or poll is running,
 *	so the rings may be freed.
 * @set_channels: the host now owns queue pairs [0, @count): update the
 *	netdev's real queue counts, @count receive queues and
 *	vmq_real_num_tx_queues() transmit queues, and transmit steering.
 *	Called while the affected queue pairs are not running.
 * @set_ring_sizes: use @rx and @tx descriptors for rings started from now
 *	on.  The core stops and restarts running host queue pairs around it.
 * @qp_affinity: optional: queue pair @qp's vector now runs on @cpu (the
 *	driver may update XPS).
 * @rss_write: program RSS table @ctx of the hardware with @rss
 *	(&vmq_caps.rss): 0 is the host's pool, 1..%VMQ_RSS_HW_CTX the
 *	contexts filters may name (VMQ_QP_RSS()); NULL @rss frees context
 *	@ctx.  Every context has the key and fields of table 0.  The
 *	queue pairs of one table belong to one vport (vmq_qp_vport()):
 *	host channels up to %VMQ_RSS_MAX_CTX, an offloaded macvlan's
 *	above.
 * @guest: optional: how the driver runs guest queue pairs, whose rings
 *	live in a VM's memory (&struct vmq_guest_hw_ops in
 *	<net/vmq_guest.h>); NULL if it cannot.
 */
struct vmq_hw_ops {
	int (*filter_write)(struct vmq_dev *vdev, u32 slot,
			    const struct vmq_filter_key *key, u32 qp);
	void (*filter_clear)(struct vmq_dev *vdev, u32 slot);
	int (*qp_start)(struct vmq_dev *vdev, u32 qp);
	void (*qp_stop)(struct vmq_dev *vdev, u32 qp);
	int (*set_channels)(struct vmq_dev *vdev, u32 count);
	int (*set_ring_sizes)(struct vmq_dev *vdev, u32 rx, u32 tx);
	void (*qp_affinity)(struct vmq_dev *vdev, u32 qp, int cpu);
	int (*rss_write)(struct vmq_dev *vdev, u32 ctx,
			 const struct vmq_rss *rss);
	const struct vmq_guest_hw_ops *guest;
};

/* Registration. */
struct vmq_dev *vmq_dev_register(struct net_device *netdev,
				 const struct vmq_caps *caps,
				 const struct vmq_hw_ops *ops, void *priv);
void vmq_dev_publish(struct vmq_dev *vdev);
void vmq_dev_unpublish(struct vmq_dev *vdev);
void vmq_dev_unregister(struct vmq_dev *vdev);
void *vmq_dev_priv(const struct vmq_dev *vdev);
struct net_device *vmq_dev_netdev(const struct vmq_dev *vdev);
int vmq_dev_open(struct vmq_dev *vdev);
void vmq_dev_close(struct vmq_dev *vdev);

/* Queue pairs. */
u32 vmq_channels(const struct vmq_dev *vdev);
enum vmq_qp_state vmq_qp_state(const struct vmq_dev *vdev, u32 qp);
enum vmq_owner_type vmq_qp_owner(const struct vmq_dev *vdev, u32 qp);
u32 vmq_qp_flags(const struct vmq_dev *vdev, u32 qp);
struct net_device *vmq_qp_rx_netdev(struct vmq_dev *vdev, u32 qp);
void vmq_qp_set_irq(struct vmq_dev *vdev, u32 qp, int irq);
int vmq_qp_cpu(const struct vmq_dev *vdev, u32 qp);
u32 vmq_qp_vport(const struct vmq_dev *vdev, u32 qp);
void vmq_qp_set_tx_irq(struct vmq_dev *vdev, u32 qp, int irq);

/* Per-queue counters, for the driver's data path. */
void vmq_qp_count_rx(struct vmq_dev *vdev, u32 qp, u32 packets, u64 bytes);
void vmq_qp_count_tx(struct vmq_dev *vdev, u32 qp, u32 packets, u64 bytes);
void vmq_qp_count_rx_drop(struct vmq_dev *vdev, u32 qp, u32 packets);
void vmq_qp_count_tx_drop(struct vmq_dev *vdev, u32 qp, u32 packets);
void vmq_get_stats64(struct vmq_dev *vdev, struct rtnl_link_stats64 *stats);
void vmq_qp_count_irq(struct vmq_dev *vdev, u32 qp);
void vmq_qp_count_tx_irq(struct vmq_dev *vdev, u32 qp);

/* Interrupt moderation, for the driver's data path. */
void vmq_qp_get_coalesce(const struct vmq_dev *vdev, u32 qp,
			 struct vmq_coalesce *coal);

/* net_device_ops members a driver points at directly, or calls. */
void *vmq_dfwd_add_station(struct net_device *pdev, struct net_device *upper);
void vmq_dfwd_del_station(struct net_device *pdev, void *priv);
u16 vmq_select_queue(struct net_device *netdev, struct sk_buff *skb,
		     struct net_device *sb_dev);
u32 vmq_real_num_tx_queues(struct vmq_dev *vdev, u32 channels);
int vmq_set_features(struct net_device *netdev, netdev_features_t features);
int vmq_set_mac_address(struct net_device *netdev, void *p);

/* ethtool_ops members a driver points at directly. */
int vmq_ethtool_get_rxnfc(struct net_device *netdev,
			  struct ethtool_rxnfc *cmd, u32 *rule_locs);
int vmq_ethtool_set_rxnfc(struct net_device *netdev,
			  struct ethtool_rxnfc *cmd);
void vmq_ethtool_get_channels(struct net_device *netdev,
			      struct ethtool_channels *ch);
u32 vmq_ethtool_get_rxfh_key_size(struct net_device *netdev);
u32 vmq_ethtool_get_rxfh_indir_size(struct net_device *netdev);
#ifdef VMQ_HAVE_RXFH_PARAM
int vmq_ethtool_get_rxfh(struct net_device *netdev,
			 struct ethtool_rxfh_param *rxfh);
int vmq_ethtool_set_rxfh(struct net_device *netdev,
			 struct ethtool_rxfh_param *rxfh,
			 struct netlink_ext_ack *extack);
int vmq_ethtool_create_rxfh_context(struct net_device *netdev,
				    struct ethtool_rxfh_context *ctx,
				    const struct ethtool_rxfh_param *rxfh,
				    struct netlink_ext_ack *extack);
int vmq_ethtool_modify_rxfh_context(struct net_device *netdev,
				    struct ethtool_rxfh_context *ctx,
				    const struct ethtool_rxfh_param *rxfh,
				    struct netlink_ext_ack *extack);
int vmq_ethtool_remove_rxfh_context(struct net_device *netdev,
				    struct ethtool_rxfh_context *ctx,
				    u32 rss_context,
				    struct netlink_ext_ack *extack);
/* ethtool_ops members for RSS contexts, in this kernel's form. */
#define VMQ_ETHTOOL_RSS_CTX_OPS						\
	.rxfh_max_num_contexts	= VMQ_RSS_MAX_CTX + 1,			\
	.create_rxfh_context	= vmq_ethtool_create_rxfh_context,	\
	.modify_rxfh_context	= vmq_ethtool_modify_rxfh_context,	\
	.remove_rxfh_context	= vmq_ethtool_remove_rxfh_context,
#else
int vmq_ethtool_get_rxfh(struct net_device *netdev, u32 *indir, u8 *key,
			 u8 *hfunc);
int vmq_ethtool_set_rxfh(struct net_device *netdev, const u32 *indir,
			 const u8 *key, const u8 hfunc);
int vmq_ethtool_get_rxfh_context(struct net_device *netdev, u32 *indir,
				 u8 *key, u8 *hfunc, u32 rss_context);
int vmq_ethtool_set_rxfh_context(struct net_device *netdev, const u32 *indir,
				 const u8 *key, const u8 hfunc,
				 u32 *rss_context, bool delete);
#define VMQ_ETHTOOL_RSS_CTX_OPS						\
	.get_rxfh_context	= vmq_ethtool_get_rxfh_context,		\
	.set_rxfh_context	= vmq_ethtool_set_rxfh_context,
#endif
int vmq_ethtool_set_channels(struct net_device *netdev,
			     struct ethtool_channels *ch);
void vmq_ethtool_get_ringparam(struct net_device *netdev,
			       struct ethtool_ringparam *ring,
			       struct kernel_ethtool_ringparam *kring,
			       struct netlink_ext_ack *extack);
int vmq_ethtool_set_ringparam(struct net_device *netdev,
			      struct ethtool_ringparam *ring,
			      struct kernel_ethtool_ringparam *kring,
			      struct netlink_ext_ack *extack);
int vmq_ethtool_get_sset_count(struct net_device *netdev, int sset);
void vmq_ethtool_get_strings(struct net_device *netdev, u32 sset, u8 *data);
void vmq_ethtool_get_stats(struct net_device *netdev,
			   struct ethtool_stats *stats, u64 *data);
int vmq_ethtool_get_coalesce(struct net_device *netdev,
			     struct ethtool_coalesce *ec,
			     struct kernel_ethtool_coalesce *kec,
			     struct netlink_ext_ack *extack);
int vmq_ethtool_set_coalesce(struct net_device *netdev,
			     struct ethtool_coalesce *ec,
			     struct kernel_ethtool_coalesce *kec,
			     struct netlink_ext_ack *extack);
int vmq_ethtool_get_per_queue_coalesce(struct net_device *netdev, u32 queue,
				       struct ethtool_coalesce *ec);
int vmq_ethtool_set_per_queue_coalesce(struct net_device *netdev, u32 queue,
				       struct ethtool_coalesce *ec);
u32 vmq_ethtool_get_priv_flags(struct net_device *netdev);
int vmq_ethtool_set_priv_flags(struct net_device *netdev, u32 flags);

#endif /* _NET_VMQ_H */
