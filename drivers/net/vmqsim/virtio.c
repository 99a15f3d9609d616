// SPDX-License-Identifier: GPL-2.0
/*
 * vmqsim: the engine on virtio split virtqueues, what a virtio-capable NIC
 * does for a vDPA device (vmq_vdpa): virtqueue 0 receives, 1 transmits,
 * each buffer starting with a struct virtio_net_hdr_v1.
 *
 * The rings and buffers are the driver's, reached through the owner's
 * DMA translation, and the driver is untrusted: every index is checked
 * against the ring, a chain may be no longer than the ring (a loop is
 * one that is), indirect descriptors are refused (not offered), and a
 * receive buffer must be device-writable, a transmit one not.  Any of
 * these, or memory the device cannot reach, puts the queue pair into its
 * error state (the owner sets NEEDS_RESET).  A received frame longer than
 * the chain offered is no driver's fault: it is dropped and its buffers
 * come back with length 0.  The device completes in order, so the used
 * ring's index follows the available one it took.  Without the event
 * index, the driver's VRING_AVAIL_F_NO_INTERRUPT says it polls: the
 * device then sends no interrupt for what it completes.
 */

#include <linux/virtio_net.h>
#include "guest.h"

#define VMQSIM_VRING_F_NEXT	1
#define VMQSIM_VRING_F_WRITE	2
#define VMQSIM_VRING_F_INDIRECT	4
#define VMQSIM_VRING_AVAIL_F_NO_INTERRUPT	1

/* The split ring's descriptor and used element, little-endian (VERSION_1). */
struct vmqsim_vring_desc {
	__le64 addr;
	__le32 len;
	__le16 flags;
	__le16 next;
};

struct vmqsim_vring_used_elem {
	__le32 id;
	__le32 len;
};

/* Where the avail ring's index and entries, and the used ring's, are. */
#define VMQSIM_VRING_IDX	2
#define VMQSIM_VRING_RING	4

/* The frame's header as the driver reads it: no offloads, one buffer. */
#define VMQSIM_VNET_HDR		sizeof(struct virtio_net_hdr_v1)

/* Descriptors a chain may have for the classifier to fill it itself. */
#define VMQSIM_DIRECT_DESCS	4

/**
 * struct vmqsim_chain - one descriptor chain, checked
 * @head: its first descriptor.
 * @n: descriptors in it.
 * @max: room in @desc: VMQ_VIRTQ_MAX for the engine, which takes any
 *	chain; fewer for the classifier, which leaves longer ones to it.
 * @desc: them, in chain order.
 * @len: their buffers' bytes in all.
 */
struct vmqsim_chain {
	u16 head;
	u32 n;
	u32 max;
	struct vmqsim_vring_desc *desc;
	u64 len;
};

/* A chain with room for the longest, for the engine. */
static struct vmqsim_chain *vmqsim_chain_alloc(void)
{
	struct vmqsim_chain *c;

	c = kmalloc(sizeof(*c) + VMQ_VIRTQ_MAX * sizeof(*c->desc),
		    GFP_KERNEL_ACCOUNT);
	if (c) {
		c->max = VMQ_VIRTQ_MAX;
		c->desc = (struct vmqsim_vring_desc *)(c + 1);
	}
	return c;
}

/*
 * Every access to the driver's memory: the engine's, through the gate
 * (it may sleep), or with @direct the classifier's, which may not and
 * gives up (-EAGAIN) where the owner would have to.
 */
static int vmqsim_vq_dma(struct vmqsim_guest *gq, bool direct, u64 iova,
			 void *buf, size_t len, bool write)
{
	if (direct)
		return vmq_guest_dma_try(gq->gqp, iova, buf, len, write);
	return vmqsim_guest_dma(gq, iova, buf, len, write);
}

static struct vmq_virtq *vmqsim_vq(struct vmqsim_guest *gq, u32 which)
{
	return &gq->gqp->vq[which];
}

static int vmqsim_vq_read16(struct vmqsim_guest *gq, bool direct, u64 iova,
			    u16 *val)
{
	__le16 le;
	int err;

	err = vmqsim_vq_dma(gq, direct, iova, &le, sizeof(le), false);
	*val = le16_to_cpu(le);
	return err;
}

/* The driver's available index, from its memory. */
static int vmqsim_vq_avail_idx(struct vmqsim_guest *gq, bool direct,
			       u32 which, u16 *idx)
{
	return vmqsim_vq_read16(gq, direct,
				vmqsim_vq(gq, which)->avail + VMQSIM_VRING_IDX,
				idx);
}

/*
 * How many buffers the driver made available that the device did not
 * take.  The driver only ever adds to them, so its index is read again
 * only once the device has taken every one it knew of: per batch of
 * buffers, not per frame.
 */
static int vmqsim_vq_pending(struct vmqsim_guest *gq, bool direct, u32 which,
			     u16 *n)
{
	struct vmqsim_avail *a = &gq->avail[which];
	struct vmq_virtq *vq = vmqsim_vq(gq, which);
	u16 idx;
	int err;

	*n = a->idx - vq->last_avail;
	if (*n)
		return 0;
	err = vmqsim_vq_avail_idx(gq, direct, which, &idx);
	if (err)
		return err;
	*n = idx - vq->last_avail;
	if (*n > vq->num)
		return -ERANGE;		/* the driver ran past the ring */
	a->idx = idx;
	/* The entries and descriptors after the index the driver wrote. */
	smp_rmb();
	return 0;
}

/*
 * The chain head at the next available position.  Entries are read
 * ahead, as many as are known available up to the ring's end, in one
 * access: a driver may not change an entry it made available.
 */
static int vmqsim_vq_head(struct vmqsim_guest *gq, bool direct, u32 which,
			  u16 *head)
{
	struct vmqsim_avail *a = &gq->avail[which];
	struct vmq_virtq *vq = vmqsim_vq(gq, which);
	u16 pos = vq->last_avail, slot = pos & (vq->num - 1), i, n;
	__le16 le[VMQSIM_AVAIL_AHEAD];

	if ((u16)(pos - a->start) >= a->count) {
		n = min3((u16)(a->idx - pos), (u16)(vq->num - slot),
			 (u16)VMQSIM_AVAIL_AHEAD);
		n = max_t(u16, n, 1);
		if (vmqsim_vq_dma(gq, direct, vq->avail + VMQSIM_VRING_RING +
				  2 * slot, le, 2 * n, false))
			return -EFAULT;
		for (i = 0; i < n; i++)
			a->head[(u16)(pos + i) % VMQSIM_AVAIL_AHEAD] =
				le16_to_cpu(le[i]);
		a->start = pos;
		a->count = n;
	}
	*head = a->head[pos % VMQSIM_AVAIL_AHEAD];
	return 0;
}

/* The error a failed look at the available ring stops the queue with. */
static enum vmq_err vmqsim_vq_pending_err(struct vmqsim_guest *gq, int err)
{
	return err == -ERANGE ? VMQ_ERR_RING_INDEX :
				vmq_guest_ring_err(gq->gqp);
}

/*
 * Read the chain the next available entry names, checking it as the
 * file's comment says; @write: a receive chain.  0, or the error the
 * queue stops with.
 */
static enum vmq_err vmqsim_vq_chain(struct vmqsim_guest *gq, bool direct,
				    u32 which, bool write,
				    struct vmqsim_chain *c)
{
	struct vmq_virtq *vq = vmqsim_vq(gq, which);
	struct vmqsim_vring_desc *d;
	u16 idx, flags;

	if (vmqsim_vq_head(gq, direct, which, &c->head))
		return vmq_guest_ring_err(gq->gqp);
	idx = c->head;
	c->len = 0;
	for (c->n = 0; ; c->n++) {
		if (idx >= vq->num || c->n == vq->num || c->n == c->max)
			return VMQ_ERR_CHAIN;
		d = &c->desc[c->n];
		if (vmqsim_vq_dma(gq, direct, vq->desc + 16ULL * idx, d,
				  sizeof(*d), false))
			return vmq_guest_ring_err(gq->gqp);
		flags = le16_to_cpu(d->flags);
		if ((flags & VMQSIM_VRING_F_INDIRECT) ||
		    !!(flags & VMQSIM_VRING_F_WRITE) != write)
			return VMQ_ERR_CHAIN;
		c->len += le32_to_cpu(d->len);
		if (!(flags & VMQSIM_VRING_F_NEXT))
			break;
		idx = le16_to_cpu(d->next);
	}
	c->n++;
	return VMQ_ERR_NONE;
}

/* Copy @len bytes between @buf and the chain's buffers from byte @off. */
static int vmqsim_chain_copy(struct vmqsim_guest *gq, bool direct,
			     const struct vmqsim_chain *c, u64 off, void *buf,
			     u32 len, bool write)
{
	u32 i, part, dlen;
	u64 addr;
	int err;

	for (i = 0; i < c->n && len; i++) {
		dlen = le32_to_cpu(c->desc[i].len);
		if (off >= dlen) {
			off -= dlen;
			continue;
		}
		addr = le64_to_cpu(c->desc[i].addr) + off;
		part = min_t(u64, dlen - off, len);
		err = vmqsim_vq_dma(gq, direct, addr, buf, part, write);
		if (err)
			return err;
		buf += part;
		len -= part;
		off = 0;
	}
	return 0;
}

/*
 * Put @n used elements in the used ring from its index on, in at most
 * two accesses (the ring's end); the index is written per batch.  The
 * available entries they take are the caller's to have counted.
 */
static int vmqsim_vq_use_many(struct vmqsim_guest *gq, bool direct, u32 which,
			      struct vmqsim_vring_used_elem *e, u32 n)
{
	struct vmq_virtq *vq = vmqsim_vq(gq, which);
	u32 slot = vq->used_idx & (vq->num - 1);
	u32 part = min(n, vq->num - slot);
	int err;

	err = vmqsim_vq_dma(gq, direct,
			    vq->used + VMQSIM_VRING_RING + 8ULL * slot, e,
			    part * sizeof(*e), true);
	if (!err && part < n)
		err = vmqsim_vq_dma(gq, direct, vq->used + VMQSIM_VRING_RING,
				    e + part, (n - part) * sizeof(*e), true);
	if (!err)
		vq->used_idx += n;
	return err;
}

/* Used elements the engine gathers, to write back a burst at a time. */
#define VMQSIM_USED_BURST	16

struct vmqsim_used_burst {
	struct vmqsim_vring_used_elem e[VMQSIM_USED_BURST];
	u32 n;
};

/* The engine's gathered used elements into the ring; 0 or -errno. */
static int vmqsim_vq_use_flush(struct vmqsim_guest *gq, u32 which,
			       struct vmqsim_used_burst *u)
{
	int err = 0;

	if (u->n)
		err = vmqsim_vq_use_many(gq, false, which, u->e, u->n);
	u->n = 0;
	return err;
}

/*
 * The engine took chain @head and used @len bytes of it: its element is
 * written with the others, once a burst is full or at the pass's end.
 */
static int vmqsim_vq_use(struct vmqsim_guest *gq, u32 which,
			 struct vmqsim_used_burst *u, u16 head, u32 len)
{
	u->e[u->n].id = cpu_to_le32(head);
	u->e[u->n].len = cpu_to_le32(len);
	vmqsim_vq(gq, which)->last_avail++;
	if (++u->n < ARRAY_SIZE(u->e))
		return 0;
	return vmqsim_vq_use_flush(gq, which, u);
}

/*
 * A pass that ends unpublished because the queue pair was stopped under
 * it (the gate closed: a suspend) leaves the virtqueue where the driver
 * last saw it, at @published, the used index at the pass's start: what
 * the owner reads as the virtqueue's base is then the used index the
 * driver sees, and the chains the pass took are taken again when the
 * queue pair starts from there.  A driver error needs no unwinding: only
 * a reset ends it.
 */
static void vmqsim_vq_unwind(struct vmqsim_guest *gq, u32 which,
			     u16 published)
{
	struct vmq_virtq *vq = vmqsim_vq(gq, which);

	if (!gq->dead)
		return;
	vq->last_avail = published;
	vq->used_idx = published;
}

/* Publish the used index: the elements and buffers are written first. */
static int vmqsim_vq_publish(struct vmqsim_guest *gq, bool direct, u32 which)
{
	__le16 idx = cpu_to_le16(vmqsim_vq(gq, which)->used_idx);

	u64 iova = vmqsim_vq(gq, which)->used + VMQSIM_VRING_IDX;

	/* The driver that sees the index sees the elements and buffers. */
	smp_wmb();
	if (direct)
		return vmq_guest_dma_try(gq->gqp, iova, &idx, sizeof(idx), true);
	return vmqsim_guest_dma_publish(gq, iova, &idx, sizeof(idx));
}

/*
 * Whether the driver wants an interrupt for what was just published: no
 * VRING_AVAIL_F_NO_INTERRUPT in the available ring's flags.  The index
 * is written before the flags are read, as the driver clears the flag
 * before it reads the index: one of the two sees the other's write, so
 * no completion waits unseen.
 */
static bool vmqsim_vq_wants_irq(struct vmqsim_guest *gq, bool direct,
				u32 which)
{
	u16 flags;

	/* The used index written before the flags are read: see above. */
	smp_mb();
	if (vmqsim_vq_read16(gq, direct, vmqsim_vq(gq, which)->avail, &flags))
		return true;	/* the next pass finds out */
	return !(flags & VMQSIM_VRING_AVAIL_F_NO_INTERRUPT);
}

/*
 * Frames up to this long go into the chain with their header in one
 * write, as a NIC's DMA writes one burst: copying them behind the header
 * on the stack costs less than a second access to the driver's memory.
 */
#define VMQSIM_RX_ONE_WRITE	256

/* Write @skb with its header into chain @c; its used length, or -errno. */
static int vmqsim_virtio_rx_fill(struct vmqsim_guest *gq, bool direct,
				 const struct vmqsim_chain *c,
				 const struct sk_buff *skb)
{
	/* VERSION_1: the header's fields are little-endian. */
	struct virtio_net_hdr_v1 hdr = {
		.num_buffers = (__force __virtio16)cpu_to_le16(1),
	};
	u8 burst[VMQSIM_VNET_HDR + VMQSIM_RX_ONE_WRITE];
	int err;

	if (c->len < VMQSIM_VNET_HDR + skb->len) {
		vmqsim_guest_rx_drop(gq);
		return 0;
	}
	if (skb->len <= VMQSIM_RX_ONE_WRITE) {
		memcpy(burst, &hdr, VMQSIM_VNET_HDR);
		memcpy(burst + VMQSIM_VNET_HDR, skb->data, skb->len);
		err = vmqsim_chain_copy(gq, direct, c, 0, burst,
					VMQSIM_VNET_HDR + skb->len, true);
	} else {
		err = vmqsim_chain_copy(gq, direct, c, 0, &hdr, sizeof(hdr),
					true);
		if (!err)
			err = vmqsim_chain_copy(gq, direct, c, VMQSIM_VNET_HDR,
						skb->data, skb->len, true);
	}
	return err ? err : VMQSIM_VNET_HDR + skb->len;
}

/*
 * The receive pass's end: the rest of its used elements and the used
 * index written, its frames no longer in hand.  0, or the error the
 * queue stops with.
 */
static enum vmq_err vmqsim_virtio_rx_publish(struct vmqsim_guest *gq,
					     struct vmqsim_used_burst *u,
					     u32 used)
{
	enum vmq_err verr = VMQ_ERR_NONE;

	if (vmqsim_vq_use_flush(gq, VMQ_VQ_RX, u))
		verr = vmq_guest_ring_err(gq->gqp);
	else if (used && vmqsim_vq_publish(gq, false, VMQ_VQ_RX))
		verr = vmq_guest_ring_err(gq->gqp);
	WRITE_ONCE(gq->rx_in_hand, 0);
	return verr;
}

/* What one receive pass took and wrote, until it is published. */
struct vmqsim_virtio_rx_pass {
	struct vmqsim_used_burst u;
	u32 used;
	u32 packets;
	u64 bytes;
};

/*
 * Write the FIFO's next frame into the next available chain, read into
 * @c, and add its used element to @p.  @empty: set when the FIFO had none.
 * Return: VMQ_ERR_NONE, or the error the queue stops with.
 */
static enum vmq_err vmqsim_virtio_rx_take(struct vmqsim_guest *gq,
					  struct vmqsim_chain *c,
					  struct vmqsim_virtio_rx_pass *p,
					  bool *empty)
{
	struct sk_buff *skb;
	enum vmq_err verr;
	int len;

	verr = vmqsim_vq_chain(gq, false, VMQ_VQ_RX, true, c);
	if (verr)
		return verr;
	/* In hand before it leaves the FIFO: never out of the backlog. */
	WRITE_ONCE(gq->rx_in_hand, p->used + 1);
	smp_wmb();	/* pairs with vmqsim_guest_backlog() */
	skb = vmqsim_guest_rx_next(gq);
	*empty = !skb;
	if (!skb)
		return VMQ_ERR_NONE;
	len = vmqsim_virtio_rx_fill(gq, false, c, skb);
	if (len > 0) {
		p->packets++;
		p->bytes += skb->len;
	}
	consume_skb(skb);
	if (len < 0) {
		/* Its buffer could not be written: lost to the driver. */
		vmqsim_guest_rx_drop(gq);
		return VMQ_ERR_DMA;
	}
	if (vmqsim_vq_use(gq, VMQ_VQ_RX, &p->u, c->head, len))
		return vmq_guest_ring_err(gq->gqp);
	p->used++;
	return VMQ_ERR_NONE;
}

/**
 * vmqsim_virtio_rx_batch() - fill available receive buffers from the FIFO
 * @gq: the engine.
 * @done: what the pass completed, added to.
 *
 * The pass's used elements are written back a burst at a time and the
 * used index once; until then the frames it took count in the backlog.
 *
 * Return: false on a driver error (the queue pair is in its error state).
 */
bool vmqsim_virtio_rx_batch(struct vmqsim_guest *gq,
			    struct vmqsim_guest_done *done)
{
	u16 published = vmqsim_vq(gq, VMQ_VQ_RX)->used_idx;
	struct vmqsim_virtio_rx_pass p = {};
	enum vmq_err verr = VMQ_ERR_NONE;
	struct vmqsim_chain *c;
	bool empty = false;
	u16 avail;
	int err;

	if (skb_queue_empty(&gq->fifo))
		return true;
	err = vmqsim_vq_pending(gq, false, VMQ_VQ_RX, &avail);
	if (err)
		return vmqsim_guest_fail(gq, vmqsim_vq_pending_err(gq, err));
	c = vmqsim_chain_alloc();
	if (!c)
		return true;	/* the host's shortage: try at the next pass */
	avail = min_t(u32, avail, VMQSIM_GUEST_BUDGET);
	while (!verr && !empty && p.used < avail)
		verr = vmqsim_virtio_rx_take(gq, c, &p, &empty);
	kfree(c);
	if (verr)
		WRITE_ONCE(gq->rx_in_hand, 0);
	else
		verr = vmqsim_virtio_rx_publish(gq, &p.u, p.used);
	if (verr) {
		/* Unpublished, the pass's frames never reach the driver. */
		vmqsim_guest_rx_drops(gq, p.packets);
		vmqsim_vq_unwind(gq, VMQ_VQ_RX, published);
		return vmqsim_guest_fail(gq, verr);
	}
	if (p.packets) {
		vmq_qp_count_rx(gq->sdev->vdev, gq->id, p.packets, p.bytes);
		vmq_guest_count(gq->gqp, VMQ_CNT_RX_PACKETS, p.packets);
		vmq_guest_count(gq->gqp, VMQ_CNT_RX_BYTES, p.bytes);
	}
	if (p.used && vmqsim_vq_wants_irq(gq, false, VMQ_VQ_RX))
		done->rx += p.used;
	return true;
}

/*
 * Write @skb[0..@n) into the next available chains, their used elements
 * together and the used index once, as a NIC's receive DMA writes back a
 * burst; stop at the first frame that cannot go in that way.  @bytes:
 * set to theirs; @irq: set to whether the driver wants an interrupt.
 * Return: how many frames, from the first, are used and published; none
 * of the others is visible to the driver.
 */
static u32 vmqsim_virtio_rx_write(struct vmqsim_guest *gq,
				  const struct sk_buff *const *skb, u32 n,
				  u64 *bytes, bool *irq)
{
	struct vmqsim_vring_used_elem used[VMQSIM_GUEST_RX_CHUNK];
	struct vmqsim_vring_desc desc[VMQSIM_DIRECT_DESCS];
	struct vmqsim_chain c = { .max = ARRAY_SIZE(desc), .desc = desc };
	struct vmq_virtq *vq = vmqsim_vq(gq, VMQ_VQ_RX);
	u16 avail;
	u32 i;
	int len;

	*bytes = 0;
	if (READ_ONCE(gq->gqp->error) ||
	    vmqsim_vq_pending(gq, true, VMQ_VQ_RX, &avail))
		return 0;
	n = min3(n, (u32)avail, (u32)ARRAY_SIZE(used));
	for (i = 0; i < n; i++) {
		if (vmqsim_vq_chain(gq, true, VMQ_VQ_RX, true, &c) ||
		    c.len < VMQSIM_VNET_HDR + skb[i]->len)
			break;
		len = vmqsim_virtio_rx_fill(gq, true, &c, skb[i]);
		if (len <= 0)
			break;
		used[i].id = cpu_to_le32(c.head);
		used[i].len = cpu_to_le32(len);
		/* The next chain is the next entry's. */
		vq->last_avail++;
		*bytes += skb[i]->len;
	}
	if (!i)
		return 0;
	if (vmqsim_vq_use_many(gq, true, VMQ_VQ_RX, used, i))
		goto undo;
	if (vmqsim_vq_publish(gq, true, VMQ_VQ_RX)) {
		vq->used_idx -= i;
		goto undo;
	}
	*irq = vmqsim_vq_wants_irq(gq, true, VMQ_VQ_RX);
	return i;
undo:
	/* Unpublished: the engine fills the same chains again. */
	vq->last_avail -= i;
	return 0;
}

/**
 * vmqsim_virtio_rx_direct() - the classifier's receive DMA on a virtqueue
 * @gq: the engine; the caller holds its receive token.
 * @skb: the frames as the driver sees them, linear, in order.
 * @n: how many.
 * @irq: set to whether the driver wants an interrupt for them.
 *
 * Frames go straight into the next available chains while nothing waits
 * before them, each chain is short and fits its frame, and the owner has
 * the memory at hand; their used elements are written together and the
 * used index once, as a NIC's receive DMA writes back a burst.  The
 * first frame that cannot (no buffer, a chain to refuse or to drop the
 * frame for, memory to fault in) and those after it are the engine's,
 * through the FIFO, which sees the same ring as if the classifier had
 * not looked.
 *
 * Context: BHs off; does not sleep.
 * Return: how many frames, from the first, are used and published; none
 * of the others is visible to the driver.
 */
u32 vmqsim_virtio_rx_direct(struct vmqsim_guest *gq,
			    const struct sk_buff *const *skb, u32 n, bool *irq)
{
	u64 bytes;
	u32 i;

	if (!skb_queue_empty_lockless(&gq->fifo))
		return 0;
	i = vmqsim_virtio_rx_write(gq, skb, n, &bytes, irq);
	if (i)
		vmqsim_guest_rx_direct_done(gq, i, bytes);
	return i;
}

/**
 * vmqsim_virtio_rx_drain() - the classifier writes what the FIFO holds
 * @gq: the engine; the caller holds its receive token.
 * @irq: set when the driver wants an interrupt for frames written.
 *
 * A NIC's receive DMA writes the frames its FIFO holds as soon as the
 * driver makes buffers available, oldest first, and new frames behind
 * them.  So before the classifier's frames, up to a chunk of the FIFO's
 * go into the available chains the same way, without waiting for the
 * engine; those that cannot are put back in front, in order, for it.
 * They went through the FIFO, so rx_guest_direct does not count them.
 *
 * Context: BHs off; does not sleep.
 * Return: how many frames it wrote.
 */
u32 vmqsim_virtio_rx_drain(struct vmqsim_guest *gq, bool *irq)
{
	struct sk_buff *skb[VMQSIM_GUEST_RX_CHUNK];
	u32 n, i, k, max;
	u64 bytes;
	u16 avail;

	/* Frames taken out only for chains there are. */
	if (READ_ONCE(gq->gqp->error) ||
	    vmqsim_vq_pending(gq, true, VMQ_VQ_RX, &avail) || !avail)
		return 0;
	max = min_t(u32, avail, ARRAY_SIZE(skb));
	for (n = 0; n < max; n++) {
		/* In hand before it leaves the FIFO: never out of the backlog. */
		WRITE_ONCE(gq->rx_in_hand, n + 1);
		smp_wmb();	/* pairs with vmqsim_guest_backlog() */
		skb[n] = vmqsim_guest_rx_next(gq);
		if (!skb[n])
			break;
	}
	i = vmqsim_virtio_rx_write(gq, (const struct sk_buff *const *)skb,
				   n, &bytes, irq);
	if (i) {
		vmq_qp_count_rx(gq->sdev->vdev, gq->id, i, bytes);
		vmq_guest_count(gq->gqp, VMQ_CNT_RX_PACKETS, i);
		vmq_guest_count(gq->gqp, VMQ_CNT_RX_BYTES, bytes);
	}
	for (k = n; k > i; k--)
		skb_queue_head(&gq->fifo, skb[k - 1]);
	for (k = 0; k < i; k++)
		consume_skb(skb[k]);
	WRITE_ONCE(gq->rx_in_hand, 0);
	return i;
}

/* The frame chain @c carries, its header left out; NULL: see *verr. */
static struct sk_buff *vmqsim_virtio_tx_frame(struct vmqsim_guest *gq,
					      const struct vmqsim_chain *c,
					      enum vmq_err *verr)
{
	u64 len = c->len - min_t(u64, c->len, VMQSIM_VNET_HDR);
	struct sk_buff *skb;

	*verr = VMQ_ERR_NONE;
	if (c->len < VMQSIM_VNET_HDR || len < ETH_HLEN ||
	    len > vmq_guest_qp_tx_limit(gq->gqp)) {
		*verr = VMQ_ERR_TX_LEN;
		return NULL;
	}
	/* Within the MTU the driver was promised, past the NIC's now. */
	if (len > vmq_guest_qp_max_frame(gq->gqp)) {
		vmq_qp_count_tx_drop(gq->sdev->vdev, gq->id, 1);
		return NULL;
	}
	skb = alloc_skb(len, GFP_KERNEL);
	if (!skb) {
		/* The host's shortage, not the driver's fault: drop. */
		vmq_qp_count_tx_drop(gq->sdev->vdev, gq->id, 1);
		return NULL;
	}
	if (vmqsim_chain_copy(gq, false, c, VMQSIM_VNET_HDR, skb_put(skb, len),
			      len, false)) {
		kfree_skb(skb);
		*verr = VMQ_ERR_DMA;
		return NULL;
	}
	return skb;
}

/**
 * vmqsim_virtio_tx_batch() - send the frames the driver made available
 * @gq: the engine.
 * @done: what the pass completed, added to.
 *
 * The pass's used elements are written back a burst at a time and the
 * used index once.
 *
 * Return: false on a driver error (the queue pair is in its error state).
 */
bool vmqsim_virtio_tx_batch(struct vmqsim_guest *gq,
			    struct vmqsim_guest_done *done)
{
	u16 published = vmqsim_vq(gq, VMQ_VQ_TX)->used_idx;
	struct vmqsim_used_burst u = {};
	struct vmqsim_chain *c;
	struct sk_buff *skb;
	enum vmq_err verr;
	u32 used = 0;
	u16 avail;
	int err;

	err = vmqsim_vq_pending(gq, false, VMQ_VQ_TX, &avail);
	if (err)
		return vmqsim_guest_fail(gq, vmqsim_vq_pending_err(gq, err));
	if (!avail)
		return true;
	c = vmqsim_chain_alloc();
	if (!c)
		return true;
	while (used < min_t(u32, avail, VMQSIM_GUEST_BUDGET)) {
		verr = vmqsim_vq_chain(gq, false, VMQ_VQ_TX, false, c);
		if (verr)
			goto fail;
		skb = vmqsim_virtio_tx_frame(gq, c, &verr);
		if (verr)
			goto fail;
		if (skb)
			vmqsim_guest_tx_send(gq, skb);
		vmqsim_dbg_delay(&gq->sdev->dbg_take_delay_us);
		if (vmqsim_vq_use(gq, VMQ_VQ_TX, &u, c->head, 0)) {
			verr = vmq_guest_ring_err(gq->gqp);
			goto fail;
		}
		used++;
	}
	kfree(c);
	if (vmqsim_vq_use_flush(gq, VMQ_VQ_TX, &u) ||
	    vmqsim_vq_publish(gq, false, VMQ_VQ_TX)) {
		vmqsim_vq_unwind(gq, VMQ_VQ_TX, published);
		return vmqsim_guest_fail(gq, vmq_guest_ring_err(gq->gqp));
	}
	if (vmqsim_vq_wants_irq(gq, false, VMQ_VQ_TX))
		done->tx += used;
	return true;
fail:
	kfree(c);
	vmqsim_vq_unwind(gq, VMQ_VQ_TX, published);
	return vmqsim_guest_fail(gq, verr);
}

/**
 * vmqsim_virtio_more() - whether a pass would find work
 * @gq: the engine.
 *
 * Return: frames wait and receive buffers are available, or transmit
 * buffers are; false too when the rings cannot be read (the next pass
 * finds out).
 */
bool vmqsim_virtio_more(struct vmqsim_guest *gq)
{
	u16 idx;

	/*
	 * From the driver's memory, leaving what the device knows alone:
	 * the classifier may hold the receive side meanwhile.
	 */
	if (!skb_queue_empty(&gq->fifo) &&
	    !vmqsim_vq_avail_idx(gq, false, VMQ_VQ_RX, &idx) &&
	    idx != READ_ONCE(vmqsim_vq(gq, VMQ_VQ_RX)->last_avail))
		return true;
	return !vmqsim_vq_avail_idx(gq, false, VMQ_VQ_TX, &idx) &&
	       idx != vmqsim_vq(gq, VMQ_VQ_TX)->last_avail;
}

/**
 * vmqsim_virtio_start() - the device knows nothing of the available rings
 * @gq: the engine, before it first runs; the owner set where each
 *	virtqueue starts (&vmq_virtq.last_avail).
 */
void vmqsim_virtio_start(struct vmqsim_guest *gq)
{
	u32 i;

	for (i = 0; i < ARRAY_SIZE(gq->avail); i++) {
		gq->avail[i].idx = vmqsim_vq(gq, i)->last_avail;
		gq->avail[i].count = 0;
	}
}
