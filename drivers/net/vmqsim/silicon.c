// SPDX-License-Identifier: GPL-2.0
/*
 * vmqsim: the simulated silicon.
 *
 * - The filter table the core programs (by slot) and the classifier that
 *   searches it (by MAC and VLAN, a hash table walked under RCU).
 * - Receive rings: the driver posts one page per descriptor; the silicon
 *   copies ("DMAs") a frame into the next free one and raises the queue
 *   pair's vector.
 * - The receive path (frames from the wire) and the transmit switch
 *   (frames from the NIC's queues: to the wire, or to a queue pair of
 *   another pool).
 *
 * Frames for one queue pair may arrive on several CPUs at once, so each
 * ring has a producer lock; its single consumer is the queue pair's NAPI
 * poll.  Head and tail are free-running counters, each published with
 * release and read with acquire semantics, as a real NIC's doorbells and
 * descriptor-done bits would be.
 */

#include <linux/bitmap.h>
#include <linux/etherdevice.h>
#include <linux/percpu.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <net/vmq_compat.h>
#include <net/vmq_guest.h>
#include "vmqsim.h"

/* Classifier lookup result: no filter matched. */
#define VMQSIM_CLS_MISS		(U32_MAX - 1)
/*
 * Where vmqsim_deliver() sends the host's frames: RSS table 0 picks the
 * channel.  Not VMQ_QP_DEFAULT, which is also queue pair 0, the target
 * of a rule's "action 0".
 */
#define VMQSIM_QP_HOST		VMQ_QP_RSS(0)

const char * const vmqsim_counter_names[VMQSIM_CNT_MAX] = {
	[VMQSIM_CNT_RX_UNMATCHED]	= "rx_unmatched",
	[VMQSIM_CNT_RX_REPLICATED]	= "rx_replicated",
	[VMQSIM_CNT_RX_FILTER_DROPS]	= "rx_filter_drops",
	[VMQSIM_CNT_TX_SWITCHED]	= "tx_switched",
	[VMQSIM_CNT_TX_WIRE]		= "tx_wire",
	[VMQSIM_CNT_RX_OVERRUNS]	= "rx_overruns",
	[VMQSIM_CNT_RX_GUEST_DIRECT]	= "rx_guest_direct",
	[VMQSIM_CNT_RX_GUEST_DIRECT_BATCHES] = "rx_guest_direct_batches",
	[VMQSIM_CNT_RX_RAISES]		= "rx_raises",
	[VMQSIM_CNT_RX_HELD]		= "rx_held",
	[VMQSIM_CNT_TX_PAUSE]		= "tx_pause_frames",
	[VMQSIM_CNT_GUEST_PASSES]	= "guest_passes",
	[VMQSIM_CNT_RX_TOO_LONG]	= "rx_too_long",
	[VMQSIM_CNT_GUEST_ENGINES]	= "guest_engines",
	[VMQSIM_CNT_RX_MAC_CONTROL]	= "rx_mac_control",
	[VMQSIM_CNT_RX_PAUSE]		= "rx_pause_frames",
};

/**
 * struct vmqsim_l2 - what the classifier looks at in a frame
 * @dst: destination MAC.
 * @vid: VLAN ID, or %VMQ_VLAN_NONE if untagged.
 */
struct vmqsim_l2 {
	u8 dst[ETH_ALEN] __aligned(2);
	u16 vid;
};

/**
 * vmqsim_silicon_add() - count events in a device-level counter
 * @sdev: the device.
 * @c: the counter.
 * @n: how many.
 *
 * Context: any.
 */
void vmqsim_silicon_add(struct vmqsim_dev *sdev, enum vmqsim_counter c, u64 n)
{
	struct vmqsim_pcpu_counters *pc;

	pc = get_cpu_ptr(sdev->silicon.counters);
	u64_stats_update_begin(&pc->syncp);
	u64_stats_add(&pc->cnt[c], n);
	u64_stats_update_end(&pc->syncp);
	put_cpu_ptr(sdev->silicon.counters);
}

/**
 * vmqsim_silicon_count() - count one event in a device-level counter
 * @sdev: the device.
 * @c: the counter.
 *
 * Context: any.
 */
void vmqsim_silicon_count(struct vmqsim_dev *sdev, enum vmqsim_counter c)
{
	vmqsim_silicon_add(sdev, c, 1);
}

/**
 * vmqsim_silicon_read_counters() - sum the device-level counters
 * @sdev: the device.
 * @cnt: filled, indexed by enum vmqsim_counter.
 */
void vmqsim_silicon_read_counters(struct vmqsim_dev *sdev,
				  u64 cnt[VMQSIM_CNT_MAX])
{
	const struct vmqsim_pcpu_counters *pc;
	unsigned int start;
	u64 val[VMQSIM_CNT_MAX];
	int cpu, i;

	memset(cnt, 0, sizeof(u64) * VMQSIM_CNT_MAX);
	for_each_possible_cpu(cpu) {
		pc = per_cpu_ptr(sdev->silicon.counters, cpu);
		do {
			start = u64_stats_fetch_begin(&pc->syncp);
			for (i = 0; i < VMQSIM_CNT_MAX; i++)
				val[i] = u64_stats_read(&pc->cnt[i]);
		} while (u64_stats_fetch_retry(&pc->syncp, start));
		for (i = 0; i < VMQSIM_CNT_MAX; i++)
			cnt[i] += val[i];
	}
}

/* --- filter table and classifier ----------------------------------------- */

/* Caller holds the RCU read lock. */
static struct vmqsim_cls_entry *vmqsim_cls_find(struct vmqsim_silicon *si,
						u64 key)
{
	struct vmqsim_cls_entry *entry;

	hash_for_each_possible_rcu(si->cls, entry, node, key)
		if (entry->key == key)
			return entry;
	return NULL;
}

/* A MAC+VLAN filter wins over one on the MAC alone.  RCU read side. */
static struct vmqsim_cls_entry *vmqsim_cls_match(struct vmqsim_silicon *si,
						 const struct vmqsim_l2 *l2)
{
	struct vmqsim_cls_entry *entry = NULL;
	u64 key;

	if (l2->vid != VMQ_VLAN_NONE) {
		key = vmq_mac_vlan_pack(l2->dst, l2->vid);
		entry = vmqsim_cls_find(si, key);
	}
	if (!entry) {
		key = vmq_mac_vlan_pack(l2->dst, VMQ_VLAN_NONE);
		entry = vmqsim_cls_find(si, key);
	}
	return entry;
}

/* Its filter's target, or VMQSIM_CLS_MISS.  RCU read side. */
static u32 vmqsim_cls_lookup(struct vmqsim_silicon *si,
			     const struct vmqsim_l2 *l2)
{
	struct vmqsim_cls_entry *entry = vmqsim_cls_match(si, l2);

	return entry ? READ_ONCE(entry->qp) : VMQSIM_CLS_MISS;
}

/* The core's mutex serialises every writer of the table. */
static struct vmqsim_cls_entry *vmqsim_slot(struct vmqsim_silicon *si,
					    u32 slot)
{
	return rcu_dereference_protected(si->slots[slot], 1);
}

/*
 * The queue pair that stands for an entry's target in the switch: the
 * target, or the first queue pair of the vport a context spreads over
 * (which takes the vport's broadcasts; queue pair 0 for the host's
 * contexts, which replicate nothing more: the host gets its copy
 * there); VMQ_QP_DROP for none.  Its filters count for replication.
 * The core's mutex held.
 */
static u32 vmqsim_cls_owner(struct vmqsim_dev *sdev, u32 qp)
{
	if (qp == VMQ_QP_DROP || !vmq_qp_is_rss(qp))
		return qp;
	return vmqsim_rss_vport(sdev, vmq_qp_rss_ctx(qp));
}

/*
 * The switch learns which pool a filter's target belongs to, and
 * whether it takes switched frames, when the filter is written, as a
 * NIC's MAC filter entry names its pool: not at the target's first
 * start, so that a frame for a guest's MAC stays inside the NIC before
 * its queue pair ever ran, and nothing of the queue pair's previous
 * owner decides where it goes.  Of a running queue pair it writes what
 * its start wrote: a queue pair's vport and flags stay while it is
 * claimed.
 */
static void vmqsim_cls_owner_learn(struct vmqsim_dev *sdev, u32 owner)
{
	if (owner == VMQ_QP_DROP)
		return;
	WRITE_ONCE(sdev->qps[owner].pool, vmq_qp_vport(sdev->vdev, owner));
	WRITE_ONCE(sdev->qps[owner].flags, vmq_qp_flags(sdev->vdev, owner));
}

static void vmqsim_qp_filters_add(struct vmqsim_silicon *si, u32 qp, int n)
{
	if (qp != VMQ_QP_DROP)
		WRITE_ONCE(si->qp_filters[qp], si->qp_filters[qp] + n);
}

/**
 * vmqsim_silicon_filter_write() - program one filter slot
 * @sdev: the device.
 * @slot: table slot.
 * @key: MAC and VLAN (or %VMQ_VLAN_NONE) to match.
 * @qp: target queue pair or %VMQ_QP_DROP.
 *
 * Replaces whatever the slot held in one step: a frame classified
 * meanwhile sees either the old filter or the new one.  Called with the
 * core's mutex held.
 *
 * Return: 0 or -ENOMEM.
 */
int vmqsim_silicon_filter_write(struct vmqsim_dev *sdev, u32 slot,
				const struct vmq_filter_key *key, u32 qp)
{
	struct vmqsim_silicon *si = &sdev->silicon;
	struct vmqsim_cls_entry *entry, *old;

	entry = kzalloc(sizeof(*entry), GFP_KERNEL);
	if (!entry)
		return -ENOMEM;
	entry->key = vmq_mac_vlan_pack(key->addr, key->vlan);
	entry->qp = qp;
	entry->owner = vmqsim_cls_owner(sdev, qp);
	/* Before the classifier can find the entry. */
	vmqsim_cls_owner_learn(sdev, entry->owner);

	old = vmqsim_slot(si, slot);
	if (old && old->key == entry->key) {
		hlist_replace_rcu(&old->node, &entry->node);
	} else {
		hash_add_rcu(si->cls, &entry->node, entry->key);
		if (old)
			hash_del_rcu(&old->node);
	}
	rcu_assign_pointer(si->slots[slot], entry);
	vmqsim_qp_filters_add(si, entry->owner, 1);
	if (old) {
		vmqsim_qp_filters_add(si, old->owner, -1);
		kfree_rcu(old, rcu);
	}
	return 0;
}

/**
 * vmqsim_silicon_filter_clear() - empty one filter slot
 * @sdev: the device.
 * @slot: table slot.
 *
 * Called with the core's mutex held.
 */
void vmqsim_silicon_filter_clear(struct vmqsim_dev *sdev, u32 slot)
{
	struct vmqsim_silicon *si = &sdev->silicon;
	struct vmqsim_cls_entry *old = vmqsim_slot(si, slot);

	if (!old)
		return;
	hash_del_rcu(&old->node);
	RCU_INIT_POINTER(si->slots[slot], NULL);
	vmqsim_qp_filters_add(si, old->owner, -1);
	kfree_rcu(old, rcu);
}

int vmqsim_silicon_init(struct vmqsim_dev *sdev)
{
	struct vmqsim_silicon *si = &sdev->silicon;
	u32 ctx;
	int cpu;

	hash_init(si->cls);
	for (ctx = 0; ctx <= VMQ_RSS_HW_CTX; ctx++)
		RCU_INIT_POINTER(si->rss[ctx], NULL);
	si->slots = kcalloc(sdev->num_filters, sizeof(*si->slots), GFP_KERNEL);
	if (!si->slots)
		return -ENOMEM;
	si->qp_filters = kcalloc(sdev->num_qps, sizeof(*si->qp_filters),
				 GFP_KERNEL);
	if (!si->qp_filters)
		goto err_free_slots;
	si->counters = alloc_percpu(struct vmqsim_pcpu_counters);
	if (!si->counters)
		goto err_free_qp_filters;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(si->counters, cpu)->syncp);
	return 0;

err_free_qp_filters:
	kfree(si->qp_filters);
err_free_slots:
	kfree(si->slots);
	return -ENOMEM;
}

/* After vmq_dev_unregister(), which cleared every slot. */
void vmqsim_silicon_fini(struct vmqsim_dev *sdev)
{
	struct vmqsim_silicon *si = &sdev->silicon;

	vmqsim_rss_fini(sdev);
	free_percpu(si->counters);
	kfree(si->qp_filters);
	kfree(si->slots);
}

/* --- receive rings ------------------------------------------------------- */

/**
 * vmqsim_ring_create() - a receive ring with a page posted on every slot
 * @size: number of descriptors.
 *
 * The pages come from a page_pool of the ring's own; there is no device
 * to map them for, the silicon copies with the CPU.
 *
 * Return: the ring or an ERR_PTR().
 */
struct vmqsim_ring *vmqsim_ring_create(u32 size)
{
	struct page_pool_params pp_params = {
		.order		= 0,
		.pool_size	= size,
		.nid		= NUMA_NO_NODE,
	};
	struct vmqsim_ring *ring;
	int err = -ENOMEM;
	u32 i;

	ring = kvzalloc(struct_size(ring, desc, size), GFP_KERNEL);
	if (!ring)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&ring->lock);
	ring->size = size;
	ring->pool = page_pool_create(&pp_params);
	if (IS_ERR(ring->pool)) {
		err = PTR_ERR(ring->pool);
		goto err_free_ring;
	}
	for (i = 0; i < size; i++) {
		ring->desc[i].page = page_pool_alloc_pages(ring->pool,
							   GFP_KERNEL);
		if (!ring->desc[i].page)
			goto err_put_pages;
	}
	return ring;

err_put_pages:
	while (i--)
		page_pool_put_full_page(ring->pool, ring->desc[i].page, false);
	page_pool_destroy(ring->pool);
err_free_ring:
	kvfree(ring);
	return ERR_PTR(err);
}

/**
 * vmqsim_ring_waiting() - frames a ring holds that the driver has not taken
 * @ring: a ring no one writes or reads at the moment.
 *
 * Return: how many.
 */
u32 vmqsim_ring_waiting(const struct vmqsim_ring *ring)
{
	return READ_ONCE(ring->head) - ring->tail;
}

/**
 * vmqsim_ring_destroy() - return a ring's posted pages and free it
 * @ring: a ring the silicon no longer writes and no poll reads.
 *
 * Frames still on the ring are dropped.  Pages the stack still holds go
 * back to the pool when it frees them; the pool lives until then.
 */
void vmqsim_ring_destroy(struct vmqsim_ring *ring)
{
	u32 i;

	for (i = 0; i < ring->size; i++)
		page_pool_put_full_page(ring->pool, ring->desc[i].page, false);
	page_pool_destroy(ring->pool);
	kvfree(ring);
}

/**
 * vmqsim_ring_take() - the driver takes the next completed frame
 * @ring: the ring; called from its queue pair's NAPI poll only.
 * @out: set to the descriptor as the silicon completed it: its page, now
 *	the caller's (data at %VMQSIM_RX_HEADROOM), length and hash.
 *
 * A fresh page from the pool replaces the taken one on the descriptor
 * before it goes back to the silicon.  Without a fresh page the frame is
 * dropped and its page stays posted.
 *
 * Return: 1 with @out set, 0 if no frame is waiting, -ENOMEM if one was
 * dropped.
 */
int vmqsim_ring_take(struct vmqsim_ring *ring, struct vmqsim_rx_desc *out)
{
	u32 tail = ring->tail;
	struct vmqsim_rx_desc *desc;
	struct page *fresh;

	/* Pairs with the release in vmqsim_ring_dma(): the frame is there. */
	if (smp_load_acquire(&ring->head) == tail)
		return 0;
	desc = &ring->desc[tail % ring->size];
	fresh = page_pool_dev_alloc_pages(ring->pool);
	if (fresh) {
		*out = *desc;
		desc->page = fresh;
	}
	/* The descriptor, with its new page, belongs to the silicon again. */
	smp_store_release(&ring->tail, tail + 1);
	return fresh ? 1 : -ENOMEM;
}

/* On the wire a frame carries its VLAN tag in band. */
static u32 vmqsim_frame_len(const struct sk_buff *skb)
{
	return skb->len + (skb_vlan_tag_present(skb) ? VLAN_HLEN : 0);
}

static void vmqsim_frame_copy(const struct sk_buff *skb, u8 *buf)
{
	__be16 tag[2];

	if (!skb_vlan_tag_present(skb)) {
		skb_copy_bits(skb, 0, buf, skb->len);
		return;
	}
	tag[0] = skb->vlan_proto;
	tag[1] = htons(skb_vlan_tag_get(skb));
	skb_copy_bits(skb, 0, buf, 2 * ETH_ALEN);
	memcpy(buf + 2 * ETH_ALEN, tag, VLAN_HLEN);
	skb_copy_bits(skb, 2 * ETH_ALEN, buf + 2 * ETH_ALEN + VLAN_HLEN,
		      skb->len - 2 * ETH_ALEN);
}

/*
 * Longer than the host's queue pairs take: the NIC's MTU plus an
 * Ethernet header and a tag (MAX_FRAME), as a receiver of that MTU
 * accepts, and never more than a descriptor's buffer holds.
 */
static bool vmqsim_host_too_long(struct vmqsim_dev *sdev,
				 const struct sk_buff *skb)
{
	u32 max = READ_ONCE(sdev->nic->mtu) + VLAN_ETH_HLEN;

	return vmqsim_frame_len(skb) > min_t(u32, max, VMQSIM_MAX_FRAME);
}

/*
 * Copy a frame into the next free descriptor.  False if the ring is
 * full; the frame fits a descriptor (vmqsim_host_too_long()).
 */
static bool vmqsim_ring_dma(struct vmqsim_ring *ring, const struct sk_buff *skb,
			    const struct vmqsim_rx_meta *meta)
{
	u32 len = vmqsim_frame_len(skb);
	struct vmqsim_rx_desc *desc;
	bool done = false;
	u32 head;

	spin_lock_bh(&ring->lock);
	head = ring->head;
	/* Pairs with the release in vmqsim_ring_take(): the slot is free. */
	if (head - smp_load_acquire(&ring->tail) < ring->size) {
		desc = &ring->desc[head % ring->size];
		vmqsim_frame_copy(skb, page_address(desc->page) +
				       VMQSIM_RX_HEADROOM);
		desc->len = len;
		desc->meta = *meta;
		/* The frame is in memory before the descriptor says so. */
		smp_store_release(&ring->head, head + 1);
		done = true;
	}
	spin_unlock_bh(&ring->lock);
	return done;
}

/**
 * vmqsim_silicon_ring_publish() - let the silicon DMA into a queue pair
 * @qp: a queue pair whose @ring is set up and whose NAPI is enabled.
 */
void vmqsim_silicon_ring_publish(struct vmqsim_qp *qp)
{
	/* Descriptors and their pages are in memory before the silicon looks. */
	rcu_assign_pointer(qp->hw_ring, qp->ring);
}

/**
 * vmqsim_silicon_ring_unpublish() - stop the silicon's DMA into a queue pair
 * @qp: the queue pair.
 *
 * When this returns no frame is being copied into its ring any more.
 */
void vmqsim_silicon_ring_unpublish(struct vmqsim_qp *qp)
{
	RCU_INIT_POINTER(qp->hw_ring, NULL);
	/* Every writer copies under the RCU read lock. */
	synchronize_net();
}

/**
 * vmqsim_silicon_rx_waiting() - how many frames wait for a queue's poll
 * @qp: the queue pair.
 *
 * Return: completed descriptors not yet taken, 0 if none or unpublished.
 */
u32 vmqsim_silicon_rx_waiting(struct vmqsim_qp *qp)
{
	struct vmqsim_ring *ring;
	u32 n = 0;

	rcu_read_lock();
	ring = rcu_dereference(qp->hw_ring);
	if (ring)
		n = READ_ONCE(ring->head) - READ_ONCE(ring->tail);
	rcu_read_unlock();
	return n;
}

/* --- receive path and transmit switch ------------------------------------ */

#define VMQSIM_MAC_CONTROL_PAUSE	0x0001

/*
 * A MAC Control frame (802.3 Annex 31A: PAUSE, priority flow control) is
 * the receiving MAC's own, whatever its destination: a MAC consumes it
 * and passes it to no queue.  This NIC does not act on PAUSE it receives
 * (ethtool -A rx is off), so it only counts them.
 */
static bool vmqsim_mac_control(struct vmqsim_dev *sdev,
			       const struct sk_buff *skb)
{
	__be16 type, opcode;

	if (skb_copy_bits(skb, ETH_ALEN * 2, &type, sizeof(type)) ||
	    type != htons(ETH_P_PAUSE))
		return false;
	vmqsim_silicon_count(sdev, VMQSIM_CNT_RX_MAC_CONTROL);
	if (!skb_copy_bits(skb, ETH_HLEN, &opcode, sizeof(opcode)) &&
	    opcode == htons(VMQSIM_MAC_CONTROL_PAUSE))
		vmqsim_silicon_count(sdev, VMQSIM_CNT_RX_PAUSE);
	return true;
}

static bool vmqsim_parse(const struct sk_buff *skb, struct vmqsim_l2 *l2)
{
	const struct vlan_ethhdr *hdr;
	struct vlan_ethhdr buf;
	int hlen;

	if (skb->len < ETH_HLEN)
		return false;
	hlen = skb->len >= VLAN_ETH_HLEN ? VLAN_ETH_HLEN : ETH_HLEN;
	hdr = skb_header_pointer(skb, 0, hlen, &buf);
	if (!hdr)
		return false;
	memcpy(l2->dst, hdr->h_dest, ETH_ALEN);
	if (skb_vlan_tag_present(skb))
		l2->vid = skb_vlan_tag_get_id(skb);
	else if (hlen == VLAN_ETH_HLEN &&
		 hdr->h_vlan_proto == htons(ETH_P_8021Q))
		l2->vid = ntohs(hdr->h_vlan_TCI) & VLAN_VID_MASK;
	else
		l2->vid = VMQ_VLAN_NONE;
	return true;
}

/*
 * What the receive port's batch has classified but not finished: frames
 * for one guest queue pair, not yet written, which go into its buffers
 * together (one read of their descriptors, one write-back of their
 * completions) when the batch moves on to another guest queue pair,
 * floods a frame or ends; and the host queue pairs whose rings got
 * frames, whose vectors are raised once the batch is in its rings.
 */
struct vmqsim_rx_stage {
	struct vmqsim_guest *gq;
	u32 n;
	const struct sk_buff *skb[VMQSIM_RX_STAGE];
	struct vmqsim_rx_meta meta[VMQSIM_RX_STAGE];
	DECLARE_BITMAP(raise, VMQSIM_MAX_QPS);
};

static void vmqsim_stage_flush(struct vmqsim_rx_stage *st)
{
	if (st->n)
		vmqsim_guest_rx_many(st->gq, st->skb, st->meta, st->n);
	st->n = 0;
}

static void vmqsim_stage_add(struct vmqsim_rx_stage *st,
			     struct vmqsim_guest *gq, const struct sk_buff *skb,
			     const struct vmqsim_rx_meta *meta)
{
	if (st->n && (st->gq != gq || st->n == ARRAY_SIZE(st->skb)))
		vmqsim_stage_flush(st);
	st->gq = gq;
	st->skb[st->n] = skb;
	st->meta[st->n++] = *meta;
}

/*
 * "DMA" a frame to queue pair @qp (VMQSIM_QP_HOST or an RSS context: the
 * queue pair its table picks) and raise its vector; with a @stage, a
 * guest queue pair's frame waits there, and a host queue pair's vector
 * is raised at the end of the batch.  RCU read side.
 *
 * False if the frame must wait in the port: a unicast frame from the
 * wire (@stage set) for a host queue pair whose ring is full, while the
 * NIC sends PAUSE (port.c).  A guest's queue pair never holds the port:
 * a guest that posts no buffers loses only its own frames.
 */
static bool vmqsim_deliver(struct vmqsim_dev *sdev, u32 qp,
			   const struct sk_buff *skb,
			   struct vmqsim_rx_stage *stage)
{
	struct vmqsim_rx_meta meta = { .hash_type = PKT_HASH_TYPE_NONE };
	struct vmqsim_guest *gq;
	struct vmqsim_ring *ring;

	/* The host's pool, or a filter's context: RSS picks the channel. */
	if (qp == VMQSIM_QP_HOST)
		qp = vmqsim_rss_pick(sdev, 0, skb, &meta);
	else if (vmq_qp_is_rss(qp))
		qp = vmqsim_rss_pick(sdev, vmq_qp_rss_ctx(qp), skb, &meta);
	/* A guest queue pair's buffers are in guest memory: its engine's. */
	gq = rcu_dereference(sdev->qps[qp].guest);
	if (gq) {
		vmqsim_dbg_delay(&sdev->dbg_rx_delay_us);
		if (stage)
			vmqsim_stage_add(stage, gq, skb, &meta);
		else
			vmqsim_guest_rx(gq, skb, &meta);
		return true;
	}
	ring = rcu_dereference(sdev->qps[qp].hw_ring);
	/* Dropped, never held for PAUSE: no ring ever takes it. */
	if (ring && vmqsim_host_too_long(sdev, skb)) {
		vmqsim_silicon_count(sdev, VMQSIM_CNT_RX_TOO_LONG);
		vmq_qp_count_rx_drop(sdev->vdev, qp, 1);
		return true;
	}
	if (!ring || !vmqsim_ring_dma(ring, skb, &meta)) {
		/*
		 * Held only while the link is up: a ring need not drain for
		 * a link that is down, and a sender waiting for its frames
		 * (pktgen) would hold up the partner's unregister for good.
		 */
		if (ring && stage && READ_ONCE(sdev->port.pause_tx) &&
		    netif_carrier_ok(sdev->nic)) {
			vmqsim_silicon_count(sdev, VMQSIM_CNT_RX_HELD);
			return false;
		}
		vmq_qp_count_rx_drop(sdev->vdev, qp, 1);
		/* A guest's queue not running: the guest counts it too. */
		if (!ring)
			vmq_guest_qp_count_drop(sdev->vdev, qp);
		return true;
	}
	if (stage) {
		__set_bit(qp, stage->raise);
		return true;
	}
	vmqsim_irq_raise(sdev, qp);
	vmqsim_silicon_count(sdev, VMQSIM_CNT_RX_RAISES);
	return true;
}

/*
 * Broadcast and multicast: the default queue, and a copy for every queue
 * pair outside the host's channels that owns a unicast filter and takes
 * multicast (VMQ_QP_F_MCAST: not macvlans, which get theirs through the
 * lower device), as SR-IOV NICs replicate to VFs.  The host's stack gets
 * one copy, however many of its channels have rules.  A copy never goes
 * back to the sender's pool.  RCU read side.
 */
static void vmqsim_flood(struct vmqsim_dev *sdev, const struct sk_buff *skb,
			 u32 src_pool)
{
	u32 qp, pool;

	for (qp = 0; qp < sdev->num_qps; qp++) {
		pool = READ_ONCE(sdev->qps[qp].pool);
		if (qp != VMQ_QP_DEFAULT &&
		    (pool == VMQ_QP_DEFAULT ||
		     !READ_ONCE(sdev->silicon.qp_filters[qp]) ||
		     !(READ_ONCE(sdev->qps[qp].flags) & VMQ_QP_F_MCAST)))
			continue;
		if (pool == src_pool)
			continue;
		vmqsim_deliver(sdev, qp == VMQ_QP_DEFAULT ? VMQSIM_QP_HOST : qp,
			       skb, NULL);
		if (src_pool != VMQSIM_POOL_WIRE)
			vmqsim_silicon_count(sdev, VMQSIM_CNT_TX_SWITCHED);
		else if (qp != VMQ_QP_DEFAULT)
			vmqsim_silicon_count(sdev, VMQSIM_CNT_RX_REPLICATED);
	}
}

/*
 * Test knob cls_hold: wait, inside the read side, as a classifier pass
 * that found a filter and is still on its way to the queue pair.
 */
static void vmqsim_dbg_cls_hold(struct vmqsim_dev *sdev)
{
	u64 end;

	if (likely(!READ_ONCE(sdev->dbg_cls_hold)))
		return;
	atomic_inc(&sdev->dbg_cls_holds);
	end = ktime_get_ns() + VMQSIM_DBG_HOLD_MS * NSEC_PER_MSEC;
	while (READ_ONCE(sdev->dbg_cls_hold) && ktime_get_ns() < end)
		cpu_relax();
}

/*
 * Unicast from the wire: its filter's queue pair, else the default queue.
 * False if it waits in the port (vmqsim_deliver()), counted nowhere yet.
 */
static bool vmqsim_rx_unicast(struct vmqsim_dev *sdev,
			      const struct sk_buff *skb,
			      const struct vmqsim_l2 *l2,
			      struct vmqsim_rx_stage *stage)
{
	u32 qp = vmqsim_cls_lookup(&sdev->silicon, l2);

	if (qp != VMQSIM_CLS_MISS)
		vmqsim_dbg_cls_hold(sdev);
	if (qp == VMQ_QP_DROP) {
		vmqsim_silicon_count(sdev, VMQSIM_CNT_RX_FILTER_DROPS);
		return true;
	}
	if (!vmqsim_deliver(sdev, qp == VMQSIM_CLS_MISS ? VMQSIM_QP_HOST : qp,
			    skb, stage))
		return false;
	if (qp == VMQSIM_CLS_MISS)
		vmqsim_silicon_count(sdev, VMQSIM_CNT_RX_UNMATCHED);
	return true;
}

/**
 * vmqsim_silicon_rx() - frames arrive from the wire
 * @sdev: the device.
 * @skb: the frames, in the order they came.
 * @n: how many.
 *
 * Each frame is classified in turn; frames for one guest queue pair in
 * a row are written into its buffers together, and each host queue pair
 * that got frames has its vector raised once, after the last.  While the
 * NIC sends PAUSE, a unicast frame for a host queue pair whose ring is
 * full stops the batch there: it and the frames after it wait.
 *
 * Context: the receive port's thread (port.c), BHs disabled.
 * Return: how many frames, from the first, were dealt with and consumed;
 * the rest are still the caller's.
 */
u32 vmqsim_silicon_rx(struct vmqsim_dev *sdev, struct sk_buff **skb, u32 n)
{
	struct vmqsim_rx_stage stage;
	struct vmqsim_l2 l2;
	u32 i, done;

	stage.n = 0;
	bitmap_zero(stage.raise, VMQSIM_MAX_QPS);
	/* One read side for the batch: a staged engine outlives its stop. */
	rcu_read_lock();
	for (i = 0; i < n; i++) {
		if (!vmqsim_parse(skb[i], &l2)) {
			vmq_qp_count_rx_drop(sdev->vdev, VMQ_QP_DEFAULT, 1);
		} else if (vmqsim_mac_control(sdev, skb[i])) {
			continue;
		} else if (is_multicast_ether_addr(l2.dst)) {
			/* Earlier frames first: a copy may go to their queue. */
			vmqsim_stage_flush(&stage);
			vmqsim_flood(sdev, skb[i], VMQSIM_POOL_WIRE);
		} else if (!vmqsim_rx_unicast(sdev, skb[i], &l2, &stage)) {
			break;
		}
	}
	done = i;
	vmqsim_stage_flush(&stage);
	/*
	 * As a NIC writes back a burst's descriptors and then interrupts:
	 * each vector once, its frames all in its ring, so moderation
	 * counts from the burst's end, not from its first frame, however
	 * slowly the simulation gets through the burst.
	 */
	for_each_set_bit(i, stage.raise, VMQSIM_MAX_QPS)
		vmqsim_irq_raise(sdev, i);
	vmqsim_silicon_add(sdev, VMQSIM_CNT_RX_RAISES,
			   bitmap_weight(stage.raise, VMQSIM_MAX_QPS));
	rcu_read_unlock();
	for (i = 0; i < done; i++)
		consume_skb(skb[i]);
	return done;
}

/*
 * Whether a frame from pool @src_pool that matched @entry is switched
 * inside the NIC: its target is another pool's, and not a private or
 * vepa macvlan's, which takes frames from its siblings through the wire
 * only.  Decided by the filter (vmqsim_cls_owner_learn()), whether or
 * not the target runs: one that does not drops the frame
 * (vmqsim_deliver()).  RCU read side.
 */
static bool vmqsim_switch_to(struct vmqsim_dev *sdev,
			     const struct vmqsim_cls_entry *entry, u32 src_pool)
{
	const struct vmqsim_qp *owner;

	/* A drop rule's MAC (no owner) is the wire's, as without the rule. */
	if (entry->owner >= sdev->num_qps)
		return false;
	owner = &sdev->qps[entry->owner];
	return READ_ONCE(owner->pool) != src_pool &&
	       (READ_ONCE(owner->flags) & VMQ_QP_F_LOCAL_SWITCH);
}

/**
 * vmqsim_silicon_tx() - a frame leaves through one of the NIC's queues
 * @sdev: the device.
 * @txq: the queue pair it was sent on.
 * @skb: the frame, consumed.
 *
 * Unicast to a MAC whose filter names a queue pair (or context) of
 * another pool is switched to it, whether or not it runs; everything
 * else goes to the wire, and broadcast and multicast also to every
 * other pool.  A queue pair without VMQ_QP_F_LOCAL_SWITCH (a private or
 * vepa macvlan's) sends everything to the wire, and unicast to it goes
 * there too, so the rules of its mode hold both ways.
 *
 * Context: the NIC's transmit path, BHs disabled.
 */
void vmqsim_silicon_tx(struct vmqsim_dev *sdev, u32 txq, struct sk_buff *skb)
{
	u32 src_pool = READ_ONCE(sdev->qps[txq].pool);
	struct vmqsim_cls_entry *entry;
	struct vmqsim_l2 l2;

	if (!vmqsim_parse(skb, &l2)) {
		vmq_qp_count_tx_drop(sdev->vdev, txq, 1);
		kfree_skb(skb);
		return;
	}
	if (!(READ_ONCE(sdev->qps[txq].flags) & VMQ_QP_F_LOCAL_SWITCH))
		goto wire;
	rcu_read_lock();
	if (is_multicast_ether_addr(l2.dst)) {
		vmqsim_flood(sdev, skb, src_pool);
	} else {
		entry = vmqsim_cls_match(&sdev->silicon, &l2);
		if (entry && vmqsim_switch_to(sdev, entry, src_pool)) {
			vmqsim_deliver(sdev, READ_ONCE(entry->qp), skb, NULL);
			vmqsim_silicon_count(sdev, VMQSIM_CNT_TX_SWITCHED);
			rcu_read_unlock();
			consume_skb(skb);
			return;
		}
	}
	rcu_read_unlock();
wire:
	if (vmqsim_wire_deliver(sdev, skb))
		vmqsim_silicon_count(sdev, VMQSIM_CNT_TX_WIRE);
}
