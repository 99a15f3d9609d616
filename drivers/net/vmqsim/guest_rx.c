// SPDX-License-Identifier: GPL-2.0
/*
 * vmqsim: a guest queue pair's receive.  Frames the classifier sends to
 * the queue are admitted and made up for the guest here, and written
 * straight into its posted buffers or queued in its FIFO; the engine's
 * receive pass moves what waits in the FIFO into posted buffers.
 *
 * What the guest receives is not its doing, so no received frame stops
 * the queue: frames longer than MAX_FRAME are dropped at admission,
 * frames longer than the posted buffer complete with an error flag.
 *
 * A frame is made into what the guest sees (VLAN tag stripped or put
 * back in band) when it enters the FIFO, by the admin's VLAN of that
 * moment; a frame still waiting when the admin changes the VLAN is
 * dropped, never delivered as the new VLAN's.
 *
 * Where the owner keeps guest memory at hand (pinned: vmq_guest_dma_try())
 * the classifier writes a frame straight into the next posted buffer (on
 * virtqueues, the next available chain of a few descriptors) and
 * completes it, as a NIC's receive DMA does: no copy into the FIFO, no
 * engine pass.  On the hardware's rings, frames the receive port takes
 * together for one queue pair, up to %VMQSIM_RX_STAGE in a row, share
 * one read of their descriptors and one write-back of their completions
 * and raise the vector once, as a NIC prefetches descriptors and
 * coalesces its write-backs.  It does so only while nothing waits in
 * the FIFO (on a virtqueue it first writes, the same way, up to a chunk
 * of what waits there into chains the driver made available meanwhile,
 * as a NIC's DMA drains its FIFO once buffers come), and
 * holds the receive ring's token (%VMQSIM_GUEST_RX_BUSY) meanwhile, which
 * the engine holds for its receive passes, so frames keep their order and
 * the ring has one consumer at a time.  Whatever it cannot do without
 * sleeping or failing (a page not pinned, a frame to remake or drop, a
 * buffer too short) goes the FIFO's way, and the engine decides.
 */

#include <linux/etherdevice.h>
#include <linux/spinlock.h>
#include <net/vmq_guest.h>
#include "guest.h"

/* @n frames the NIC took for the queue, dropped. */
void vmqsim_guest_rx_drops(struct vmqsim_guest *gq, u32 n)
{
	if (!n)
		return;
	vmq_guest_count(gq->gqp, VMQ_CNT_RX_DROPS, n);
	vmq_qp_count_rx_drop(gq->sdev->vdev, gq->id, n);
}

void vmqsim_guest_rx_drop(struct vmqsim_guest *gq)
{
	vmqsim_guest_rx_drops(gq, 1);
}

/*
 * Drop every frame waiting in the FIFO, each counted as rx_drops: a frame
 * the NIC took for the queue is delivered or counted, never lost.
 */
void vmqsim_guest_fifo_drop(struct vmqsim_guest *gq)
{
	struct sk_buff *skb;

	while ((skb = skb_dequeue(&gq->fifo))) {
		vmqsim_guest_rx_drop(gq);
		kfree_skb(skb);
	}
}

/*
 * Make @desc the completion of a frame of @len bytes: with RX_HASH its
 * hash takes the place of the buffer address.
 */
static void vmqsim_guest_complete(struct vmqsim_guest *gq,
				  struct vmq_desc *desc, u32 len, u16 flags,
				  const struct vmqsim_guest_cb *cb)
{
	if (gq->gqp->rx_hash)
		desc->addr = cpu_to_le64(cb->hash | (u64)cb->hash_type << 32);
	desc->len = cpu_to_le32(len);
	desc->flags = cpu_to_le16(flags);
}

/*
 * Write one frame into the buffer @desc points to and make @desc its
 * completion.  A frame longer than the buffer completes the descriptor
 * with DONE|ERR and its length, its bytes unwritten: the guest does not
 * choose what it receives, so this is no guest error.  False on a guest
 * error (its buffer cannot be written).
 */
static bool vmqsim_guest_rx_fill(struct vmqsim_guest *gq,
				 struct vmq_desc *desc, struct sk_buff *skb,
				 struct vmqsim_guest_rx_stats *st)
{
	u16 flags = VMQ_DESC_F_DONE;

	if (skb->len > le32_to_cpu(desc->len)) {
		flags |= VMQ_DESC_F_ERR;
		vmqsim_guest_rx_drop(gq);
	} else {
		if (vmqsim_guest_dma(gq, le64_to_cpu(desc->addr), skb->data,
				     skb->len, true))
			return false;
		st->packets++;
		st->bytes += skb->len;
	}
	vmqsim_guest_complete(gq, desc, skb->len, flags, vmqsim_guest_cb(skb));
	return true;
}

/* The next FIFO frame still made up for the queue's VLAN, or NULL. */
struct sk_buff *vmqsim_guest_rx_next(struct vmqsim_guest *gq)
{
	struct sk_buff *skb;
	u8 mac[ETH_ALEN];

	while ((skb = skb_dequeue(&gq->fifo))) {
		if (vmqsim_guest_cb(skb)->vlan == vmq_guest_qp_l2(gq->gqp, mac))
			return skb;
		/* Made up for another VLAN than the queue is on now. */
		vmqsim_guest_rx_drop(gq);
		kfree_skb(skb);
	}
	return NULL;
}

/*
 * The guest_take_budget knob: take one frame of it, waiting while it is
 * spent and the queue runs.  The engine may sleep here with the ring's
 * token held: the classifier only tries for it.
 */
static void vmqsim_guest_take_budget(struct vmqsim_guest *gq)
{
	atomic_t *budget = &gq->sdev->dbg_take_budget;
	bool counted = false;

	while (unlikely(atomic_read(budget) >= 0) &&
	       atomic_dec_if_positive(budget) < 0 && READ_ONCE(gq->running)) {
		/* Out of guest memory now: a test may stop the queue here. */
		if (!counted)
			atomic_inc(&gq->sdev->dbg_take_waits);
		counted = true;
		usleep_range(1000, 2000);
	}
}

/*
 * Fill the @n posted buffers from HEAD on (one piece of the ring) from
 * the FIFO, as a NIC does: their descriptors read at once, the frames
 * written, then their completions written back at once, so the frames
 * are in guest memory before their completions say so.  False on a
 * guest error; what was completed before it is written back first.
 */
static bool vmqsim_guest_rx_chunk(struct vmqsim_guest *gq, u32 n,
				  struct vmqsim_guest_rx_stats *st)
{
	struct vmq_desc desc[VMQSIM_GUEST_RX_CHUNK];
	struct vmq_ring_state *ring = &gq->gqp->rx;
	u64 iova = ring->base + (u64)ring->head * sizeof(*desc);
	struct vmqsim_guest_rx_stats chunk = {};
	bool ok = true, written;
	struct sk_buff *skb;
	u32 i = 0;

	if (vmqsim_guest_dma(gq, iova, desc, n * sizeof(*desc), false))
		return vmqsim_guest_fail(gq, vmq_guest_ring_err(gq->gqp));
	while (i < n) {
		vmqsim_guest_take_budget(gq);
		/* In hand before it leaves the FIFO: never out of the backlog. */
		WRITE_ONCE(gq->rx_in_hand, i + 1);
		smp_wmb();	/* pairs with vmqsim_guest_backlog() */
		skb = vmqsim_guest_rx_next(gq);
		if (!skb)
			break;
		ok = vmqsim_guest_rx_fill(gq, &desc[i], skb, &chunk);
		consume_skb(skb);
		if (!ok) {
			/* Its buffer could not be written: lost to the guest. */
			vmqsim_guest_rx_drop(gq);
			break;
		}
		i++;
		vmqsim_dbg_delay(&gq->sdev->dbg_take_delay_us);
	}
	written = !i || !vmqsim_guest_dma(gq, iova, desc, i * sizeof(*desc),
					  true);
	WRITE_ONCE(gq->rx_in_hand, 0);
	if (!written) {
		/* Without their completions the guest never sees them. */
		vmqsim_guest_rx_drops(gq, chunk.packets);
		return vmqsim_guest_fail(gq, vmq_guest_ring_err(gq->gqp));
	}
	WRITE_ONCE(ring->head, (ring->head + i) & (ring->size - 1));
	st->packets += chunk.packets;
	st->bytes += chunk.bytes;
	st->used += i;
	return ok || vmqsim_guest_fail(gq, VMQ_ERR_DMA);
}

/*
 * Posted receive descriptors from HEAD on that one chunk may take: up to
 * the tail the guest rang, the ring's end and @max.
 */
static u32 vmqsim_guest_rx_span(const struct vmq_ring_state *ring, u32 max)
{
	/* Pairs with the release in vmq_guest_qp_doorbell(). */
	u32 posted = (smp_load_acquire(&ring->tail) - ring->head) &
		     (ring->size - 1);

	return min3(posted, ring->size - ring->head, max);
}

/**
 * vmqsim_guest_backlog() - frames a guest queue pair holds for its guest
 * @gq: the queue pair's engine, found under RCU.
 *
 * Those waiting in its FIFO and those the engine took but whose
 * completions it has not written back yet.
 *
 * Context: RCU read side.
 * Return: the number of frames.
 */
u32 vmqsim_guest_backlog(struct vmqsim_guest *gq)
{
	u32 waiting = skb_queue_len_lockless(&gq->fifo);

	/*
	 * A frame gone from the FIFO is seen in hand; pairs with the
	 * smp_wmb() in vmqsim_guest_rx_chunk().
	 */
	smp_rmb();
	return waiting + READ_ONCE(gq->rx_in_hand);
}

/* The receive pass, with the ring's token held. */
static bool __vmqsim_guest_rx_batch(struct vmqsim_guest *gq,
				    struct vmqsim_guest_done *done)
{
	struct vmq_ring_state *ring = &gq->gqp->rx;
	struct vmqsim_guest_rx_stats st = {};
	bool ok = true;
	u32 n;

	while (ok && st.used < VMQSIM_GUEST_BUDGET) {
		n = vmqsim_guest_rx_span(ring, min_t(u32, VMQSIM_GUEST_RX_CHUNK,
						     VMQSIM_GUEST_BUDGET - st.used));
		/* Only the engine takes from the FIFO: it holds at least this. */
		n = min(n, skb_queue_len_lockless(&gq->fifo));
		if (!n)
			break;
		ok = vmqsim_guest_rx_chunk(gq, n, &st);
	}
	/* Delivered: their completions were written, stopped or not. */
	if (st.packets) {
		vmq_qp_count_rx(gq->sdev->vdev, gq->id, st.packets, st.bytes);
		vmq_guest_count(gq->gqp, VMQ_CNT_RX_PACKETS, st.packets);
		vmq_guest_count(gq->gqp, VMQ_CNT_RX_BYTES, st.bytes);
	}
	done->rx += st.used;
	return ok;
}

/*
 * Take the receive ring's token from the classifier, which holds it only
 * for one batch's copies (%VMQSIM_RX_STAGE frames at most) with BHs off.
 */
static void vmqsim_guest_rx_lock(struct vmqsim_guest *gq)
{
	while (test_and_set_bit_lock(VMQSIM_GUEST_RX_BUSY, &gq->rx_flags))
		cpu_relax();
}

static void vmqsim_guest_rx_unlock(struct vmqsim_guest *gq)
{
	clear_bit_unlock(VMQSIM_GUEST_RX_BUSY, &gq->rx_flags);
}

/* Fill posted receive buffers from the FIFO.  False on a guest error. */
bool vmqsim_guest_rx_batch(struct vmqsim_guest *gq,
			   struct vmqsim_guest_done *done)
{
	bool ok;

	vmqsim_guest_rx_lock(gq);
	ok = __vmqsim_guest_rx_batch(gq, done);
	vmqsim_guest_rx_unlock(gq);
	return ok;
}

/* The same on virtqueues, which the classifier may fill too. */
bool vmqsim_guest_virtio_rx_batch(struct vmqsim_guest *gq,
				  struct vmqsim_guest_done *done)
{
	bool ok;

	vmqsim_guest_rx_lock(gq);
	ok = vmqsim_virtio_rx_batch(gq, done);
	vmqsim_guest_rx_unlock(gq);
	return ok;
}

/* The frame's VLAN ID, in band or out; %VMQ_VLAN_NONE if untagged. */
static u16 vmqsim_guest_vid(const struct sk_buff *skb)
{
	const struct vlan_ethhdr *hdr;
	struct vlan_ethhdr buf;

	if (skb_vlan_tag_present(skb))
		return skb_vlan_tag_get_id(skb);
	hdr = skb_header_pointer(skb, 0, sizeof(buf), &buf);
	if (!hdr || hdr->h_vlan_proto != htons(ETH_P_8021Q))
		return VMQ_VLAN_NONE;
	return ntohs(hdr->h_vlan_TCI) & VLAN_VID_MASK;
}

/*
 * Whether a guest on no VLAN and without trunk, an access port, keeps
 * out @skb: it carries a tag, out of band or in band (802.1Q or
 * 802.1ad), of a VLAN it is not on.
 */
static bool vmqsim_guest_access_refuses(const struct sk_buff *skb)
{
	const struct ethhdr *eth;
	struct ethhdr buf;

	if (skb_vlan_tag_present(skb))
		return true;
	eth = skb_header_pointer(skb, 0, sizeof(buf), &buf);
	return eth && eth_type_vlan(eth->h_proto);
}

/* Sent to one station: the destination MAC is unicast. */
static bool vmqsim_guest_is_unicast(const struct sk_buff *skb)
{
	u8 buf[ETH_ALEN];
	const u8 *dst = skb_header_pointer(skb, 0, ETH_ALEN, buf);

	return dst && is_unicast_ether_addr(dst);
}

/*
 * A copy of @skb as the guest will see it: without the tag when the
 * admin put the queue on @vlan (only that VLAN gets this far), else as it
 * was on the wire, an out-of-band tag put back in band.  NULL if that is
 * longer than MAX_FRAME (the guest never gets more) or memory is short.
 */
static struct sk_buff *vmqsim_guest_admit(struct vmqsim_guest *gq,
					  const struct sk_buff *skb, u16 vlan)
{
	bool hwtag = skb_vlan_tag_present(skb);
	struct sk_buff *frame;
	u32 len = skb->len;
	u8 *buf;

	if (vlan && !hwtag)
		len -= VLAN_HLEN;
	else if (!vlan && hwtag)
		len += VLAN_HLEN;
	if (len > vmq_guest_qp_max_frame(gq->gqp))
		return NULL;
	frame = alloc_skb(len, GFP_ATOMIC);
	if (!frame)
		return NULL;
	buf = skb_put(frame, len);
	if (vlan && !hwtag) {
		/* In-band tag: drop its four bytes after the addresses. */
		skb_copy_bits(skb, 0, buf, 2 * ETH_ALEN);
		skb_copy_bits(skb, VLAN_ETH_HLEN - ETH_TLEN, buf + 2 * ETH_ALEN,
			      len - 2 * ETH_ALEN);
	} else if (vlan || !hwtag) {
		skb_copy_bits(skb, 0, buf, len);
	} else {
		/* Untagged queue, tag out of band: put it back in band. */
		skb_copy_bits(skb, 0, buf, 2 * ETH_ALEN);
		*(__be16 *)(buf + 2 * ETH_ALEN) = skb->vlan_proto;
		*(__be16 *)(buf + 2 * ETH_ALEN + 2) =
			htons(skb_vlan_tag_get(skb));
		skb_copy_bits(skb, 2 * ETH_ALEN, buf + VLAN_ETH_HLEN - ETH_TLEN,
			      skb->len - 2 * ETH_ALEN);
	}
	vmqsim_guest_cb(frame)->vlan = vlan;
	return frame;
}

/* The guest ABI's name for a hash type. */
static u8 vmqsim_guest_hash_type(u8 type)
{
	switch (type) {
	case PKT_HASH_TYPE_L4:
		return VMQ_RX_HASH_L4;
	case PKT_HASH_TYPE_L3:
		return VMQ_RX_HASH_L3;
	default:
		return VMQ_RX_HASH_NONE;
	}
}

/*
 * Whether the guest on @vlan (0: none) sees @skb as it came: its tag, if
 * any, out of band and the queue on that VLAN, or neither; and nothing
 * to refuse.  A burst is written from its first frame on for as long as
 * this holds, so it checks every frame of it for what
 * vmqsim_guest_rx_many() checks of the first: an access port's tagged
 * frame stops the burst there, for vmqsim_guest_rx_many() to count.
 */
static bool vmqsim_guest_rx_as_is(struct vmqsim_guest *gq,
				  const struct sk_buff *skb, u16 vlan)
{
	bool tagged = skb_vlan_tag_present(skb);

	if (vlan ? !tagged || skb_vlan_tag_get_id(skb) != vlan : tagged)
		return false;
	if (!vlan && !READ_ONCE(gq->gqp->trunk) &&
	    vmqsim_guest_access_refuses(skb))
		return false;
	return !skb_is_nonlinear(skb) &&
	       skb->len <= vmq_guest_qp_max_frame(gq->gqp);
}

/*
 * Write frames @skb[0..@n) into the posted buffers from HEAD on and
 * complete their descriptors, as a NIC's receive DMA does: the
 * descriptors read at once, the frames written, then the completions
 * written back at once, all through memory the owner keeps at hand.
 * The descriptors read and written back lie in one page of the ring, so
 * either access is all or nothing.  Holding the ring's token.
 *
 * Return: how many frames, from the first, are in guest memory and
 * completed; the rest are the caller's, none of them consumed.
 */
static u32 vmqsim_guest_rx_direct_ring(struct vmqsim_guest *gq,
				       const struct sk_buff *const *skb,
				       const struct vmqsim_rx_meta *meta,
				       u32 n, u16 vlan)
{
	struct vmq_desc desc[VMQSIM_GUEST_RX_CHUNK];
	struct vmq_ring_state *ring = &gq->gqp->rx;
	u64 iova = ring->base + (u64)ring->head * sizeof(*desc);
	u32 in_page = (PAGE_SIZE - offset_in_page(iova)) / sizeof(*desc);
	struct vmqsim_guest_cb cb;
	u64 bytes = 0;
	u32 i;

	/*
	 * Frames first in the FIFO go first; the engine drains it.  A queue
	 * in error gets nothing more (the engine purges its FIFO).
	 */
	if (READ_ONCE(gq->gqp->error) || !skb_queue_empty_lockless(&gq->fifo))
		return 0;
	n = vmqsim_guest_rx_span(ring, min3(n, in_page, (u32)ARRAY_SIZE(desc)));
	if (!n || vmq_guest_dma_try(gq->gqp, iova, desc, n * sizeof(*desc),
				    false))
		return 0;
	for (i = 0; i < n; i++) {
		if (!vmqsim_guest_rx_as_is(gq, skb[i], vlan) ||
		    skb[i]->len > le32_to_cpu(desc[i].len) ||
		    vmq_guest_dma_try(gq->gqp, le64_to_cpu(desc[i].addr),
				      skb[i]->data, skb[i]->len, true))
			break;
		cb.hash = meta[i].hash;
		cb.hash_type = vmqsim_guest_hash_type(meta[i].hash_type);
		vmqsim_guest_complete(gq, &desc[i], skb[i]->len,
				      VMQ_DESC_F_DONE, &cb);
		bytes += skb[i]->len;
	}
	if (!i)
		return 0;
	/* The frames are in guest memory before their completions say so. */
	smp_wmb();
	if (vmq_guest_dma_try(gq->gqp, iova, desc, i * sizeof(*desc), true))
		return 0;
	WRITE_ONCE(ring->head, (ring->head + i) & (ring->size - 1));
	vmqsim_guest_rx_direct_done(gq, i, bytes);
	return i;
}

/**
 * vmqsim_guest_rx_direct_done() - count frames the classifier wrote
 *	straight into guest memory, at once
 * @gq: the engine.
 * @packets: the frames.
 * @bytes: their bytes.
 */
void vmqsim_guest_rx_direct_done(struct vmqsim_guest *gq, u32 packets,
				 u64 bytes)
{
	vmqsim_silicon_add(gq->sdev, VMQSIM_CNT_RX_GUEST_DIRECT, packets);
	vmqsim_silicon_count(gq->sdev, VMQSIM_CNT_RX_GUEST_DIRECT_BATCHES);
	vmq_qp_count_rx(gq->sdev->vdev, gq->id, packets, bytes);
	vmq_guest_count(gq->gqp, VMQ_CNT_RX_PACKETS, packets);
	vmq_guest_count(gq->gqp, VMQ_CNT_RX_BYTES, bytes);
}

/*
 * The classifier's receive DMA on a virtqueue: up to a chunk of what
 * waits in the FIFO first, then frames @skb[0..@n) for a queue on @vlan
 * while the driver sees each as it is.  @done: the frames to signal,
 * if the driver wants an interrupt for them.  Return: how many of @skb.
 */
static u32 vmqsim_guest_rx_direct_virtio(struct vmqsim_guest *gq,
					 const struct sk_buff *const *skb,
					 u32 n, u16 vlan,
					 struct vmqsim_guest_done *done)
{
	bool irq_fifo = false, irq = false;
	u32 as_is, drained = 0, written = 0;

	if (!skb_queue_empty_lockless(&gq->fifo))
		drained = vmqsim_virtio_rx_drain(gq, &irq_fifo);
	n = min_t(u32, n, VMQSIM_GUEST_RX_CHUNK);
	for (as_is = 0; as_is < n; as_is++)
		if (!vmqsim_guest_rx_as_is(gq, skb[as_is], vlan))
			break;
	if (as_is)
		written = vmqsim_virtio_rx_direct(gq, skb, as_is, &irq);
	if ((drained && irq_fifo) || (written && irq))
		done->rx = drained + written;
	return written;
}

/*
 * The classifier's receive DMA: frames @skb[0..@n) for a queue on @vlan
 * straight into guest memory, from the first on, while the guest sees
 * each as it is and nothing needs to wait.  Return: how many; the rest
 * are the caller's.
 */
static u32 vmqsim_guest_rx_direct(struct vmqsim_guest *gq,
				  const struct sk_buff *const *skb,
				  const struct vmqsim_rx_meta *meta, u32 n,
				  u16 vlan)
{
	struct vmqsim_guest_done done = {};
	u32 written;

	if (!READ_ONCE(gq->running) || in_hardirq() || irqs_disabled() ||
	    READ_ONCE(gq->sdev->dbg_guest_rx_fifo))
		return 0;
	if (test_and_set_bit_lock(VMQSIM_GUEST_RX_BUSY, &gq->rx_flags))
		return 0;
	if (!vmqsim_guest_is_virtio(gq)) {
		written = vmqsim_guest_rx_direct_ring(gq, skb, meta, n, vlan);
		done.rx = written;
	} else {
		written = vmqsim_guest_rx_direct_virtio(gq, skb, n, vlan,
							&done);
	}
	vmqsim_guest_rx_unlock(gq);
	if (done.rx)
		vmqsim_guest_raise(gq, &done);
	return written;
}

/*
 * A frame the classifier could not write straight into guest memory:
 * made up for the guest on @vlan and queued in the FIFO for the engine.
 */
static void vmqsim_guest_rx_fifo(struct vmqsim_guest *gq,
				 const struct sk_buff *skb,
				 const struct vmqsim_rx_meta *meta, u16 vlan)
{
	struct sk_buff *frame;
	bool full;

	if (skb_queue_len_lockless(&gq->fifo) >= VMQSIM_GUEST_FIFO) {
		vmqsim_guest_rx_drop(gq);
		return;
	}
	/* A copy: the frame may go to several queues, each makes its own. */
	frame = vmqsim_guest_admit(gq, skb, vlan);
	if (!frame) {
		vmqsim_guest_rx_drop(gq);
		return;
	}
	vmqsim_guest_cb(frame)->hash = meta->hash;
	vmqsim_guest_cb(frame)->hash_type =
		vmqsim_guest_hash_type(meta->hash_type);
	/*
	 * The port thread and the transmit switch both fill the FIFO: the
	 * bound is checked again where the frame goes in, or the two
	 * together could pass it.
	 */
	spin_lock(&gq->fifo.lock);
	full = skb_queue_len(&gq->fifo) >= VMQSIM_GUEST_FIFO;
	if (!full)
		__skb_queue_tail(&gq->fifo, frame);
	spin_unlock(&gq->fifo.lock);
	if (full) {
		kfree_skb(frame);
		vmqsim_guest_rx_drop(gq);
		return;
	}
	vmqsim_guest_engine_queue(gq);
}

/**
 * vmqsim_guest_rx_many() - the classifier sends frames to a guest queue pair
 * @gq: the queue pair's engine, found under RCU.
 * @skb: the frames, in the order they came; not consumed (one may go to
 *	several queues).
 * @meta: their RSS hashes, for a guest that asked for them
 *	(VMQ_CTRL_RX_HASH).
 * @n: how many.
 *
 * Each frame is made up for the guest here, once: by the VLAN the queue
 * is on now, and refused (dropped, counted) if longer than MAX_FRAME.
 * Frames written straight into guest memory together share one read of
 * their descriptors and one write-back of their completions.
 *
 * Context: RCU read side, BHs disabled.
 */
void vmqsim_guest_rx_many(struct vmqsim_guest *gq,
			  const struct sk_buff *const *skb,
			  const struct vmqsim_rx_meta *meta, u32 n)
{
	u8 mac[ETH_ALEN];
	u32 i = 0, done;
	u16 vlan;

	while (i < n) {
		if (READ_ONCE(gq->gqp->error)) {
			vmqsim_guest_rx_drop(gq);
			i++;
			continue;
		}
		/*
		 * A queue on a VLAN sees that VLAN only (broadcast included).
		 * A frame sent to its MAC on another was steered by the
		 * filter the admin just moved: the queue's, so counted.
		 */
		vlan = vmq_guest_qp_l2(gq->gqp, mac);
		if (vlan && vmqsim_guest_vid(skb[i]) != vlan) {
			if (vmqsim_guest_is_unicast(skb[i]))
				vmqsim_guest_rx_drop(gq);
			i++;
			continue;
		}
		/*
		 * An access port on no VLAN sees untagged frames only; one
		 * sent to its MAC is no one else's, so it is counted.
		 */
		if (!vlan && !READ_ONCE(gq->gqp->trunk) &&
		    vmqsim_guest_access_refuses(skb[i])) {
			if (vmqsim_guest_is_unicast(skb[i]))
				vmqsim_guest_rx_drop(gq);
			i++;
			continue;
		}
		done = vmqsim_guest_rx_direct(gq, skb + i, meta + i, n - i,
					      vlan);
		if (!done) {
			vmqsim_guest_rx_fifo(gq, skb[i], meta + i, vlan);
			done = 1;
		}
		i += done;
	}
}

/**
 * vmqsim_guest_rx() - the classifier sends a frame to a guest queue pair
 * @gq: the queue pair's engine, found under RCU.
 * @skb: the frame; not consumed (it may go to several queues).
 * @meta: its RSS hash, for a guest that asked for it (VMQ_CTRL_RX_HASH).
 *
 * vmqsim_guest_rx_many() for one frame.
 *
 * Context: RCU read side, BHs disabled.
 */
void vmqsim_guest_rx(struct vmqsim_guest *gq, const struct sk_buff *skb,
		     const struct vmqsim_rx_meta *meta)
{
	vmqsim_guest_rx_many(gq, &skb, meta, 1);
}
