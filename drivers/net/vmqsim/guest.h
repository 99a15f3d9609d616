/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmqsim: the engine of guest queue pairs, shared by its ring formats:
 * the hardware's own (guest*.c) and virtio split virtqueues (virtio.c).
 */
#ifndef _VMQSIM_GUEST_H
#define _VMQSIM_GUEST_H

#include <net/vmq_guest.h>
#include "vmqsim.h"

/* The receive ring's token: its holder consumes descriptors. */
#define VMQSIM_GUEST_RX_BUSY	0

/* Frames the on-chip FIFO of one guest queue pair holds. */
#define VMQSIM_GUEST_FIFO	256
/* Descriptors per ring one engine pass handles before yielding. */
#define VMQSIM_GUEST_BUDGET	64
/* Receive descriptors read, and completions written back, at once. */
#define VMQSIM_GUEST_RX_CHUNK	16

/**
 * struct vmqsim_guest_cb - what a frame in the FIFO carries in skb->cb
 * @vlan: the admin's VLAN (0: none) it was admitted and made up for.
 * @hash_type: VMQ_RX_HASH_* of @hash.
 * @hash: its RSS hash.
 */
struct vmqsim_guest_cb {
	u16 vlan;
	u8 hash_type;
	u32 hash;
};

static inline struct vmqsim_guest_cb *vmqsim_guest_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct vmqsim_guest_cb) > sizeof(skb->cb));
	return (struct vmqsim_guest_cb *)skb->cb;
}

/* A guest queue pair's vectors: its own, and a virtio transmit one. */
enum {
	VMQSIM_GUEST_VEC_QP,
	VMQSIM_GUEST_VEC_TX,
	VMQSIM_GUEST_VECS,
};

/**
 * struct vmqsim_guest_vec - a vector of a guest queue pair, as its engine
 *	signals on it
 * @user: what the vector calls back while the queue pair runs.
 * @gq: the engine.
 * @hwirq: the vector.
 * @events: VMQ_GUEST_EV_* not yet told to the owner.
 * @unsignalled: completions since the vector last fired: what its
 *	moderation counts.
 */
struct vmqsim_guest_vec {
	struct vmqsim_vector_user user;
	struct vmqsim_guest *gq;
	u32 hwirq;
	atomic_t events;
	atomic_t unsignalled;
};

/* Available ring entries a virtqueue engine reads in one access, at most. */
#define VMQSIM_AVAIL_AHEAD	32

/**
 * struct vmqsim_avail - what the device knows of a virtqueue's available
 *	ring (virtio.c)
 * @idx: the driver's available index as the device last read it; never
 *	more than the ring's size ahead of &vmq_virtq.last_avail.
 * @start: the available position of the first entry read ahead.
 * @count: entries read ahead from @start on.
 * @head: those entries, the chain heads, position p at
 *	@head[p % VMQSIM_AVAIL_AHEAD].
 */
struct vmqsim_avail {
	u16 idx;
	u16 start;
	u16 count;
	u16 head[VMQSIM_AVAIL_AHEAD];
};

/**
 * struct vmqsim_guest - the silicon's state of one guest queue pair
 * @sdev: its device.
 * @id: its queue pair.
 * @gqp: the core's guest queue pair: rings, owner, MAC and VLAN.
 * @engine: the thread the engine runs on, in the owner's cgroups.
 * @attach: @engine's join of the owner's cgroups (guest_engine.c).
 * @work: the engine.
 * @setup: lets a fatal signal end the engine thread's waits; its first
 *	work.
 * @fifo: received frames waiting for guest buffers, each already as the
 *	guest will see it.
 * @rx_in_hand: frames the engine took from @fifo whose completions are
 *	not written back yet; the engine's, read by vmqsim_guest_backlog().
 * @rx_flags: %VMQSIM_GUEST_RX_BUSY.
 * @lock: the gate to guest memory: guards @running and @in_dma.
 * @running: the engine may run and reach guest memory; cleared
 *	under @lock, read locklessly on the data path.
 * @in_dma: the engine is inside guest memory.
 * @dead: the engine found the gate closed, or its owner going away
 *	(-ESHUTDOWN); it does nothing more.  The engine's own, written
 *	under @lock.
 * @vec: its vectors: the queue pair's, and for virtqueues the transmit
 *	vector (a virtio device has one per virtqueue).
 * @nr_vecs: how many of @vec it uses.
 * @avail: per virtqueue, its available ring as the device last read it:
 *	the receive one's whoever holds %VMQSIM_GUEST_RX_BUSY, the
 *	transmit one's the engine's.
 */
struct vmqsim_guest {
	struct vmqsim_dev *sdev;
	u32 id;
	struct vmq_guest_qp *gqp;
	struct kthread_worker *engine;
	struct vmqsim_guest_attach *attach;
	struct kthread_work work;
	struct kthread_work setup;
	struct sk_buff_head fifo;
	u32 rx_in_hand;
	unsigned long rx_flags;
	spinlock_t lock;	/* see @lock above */
	bool running;
	bool in_dma;
	bool dead;
	struct vmqsim_guest_vec vec[VMQSIM_GUEST_VECS];
	u32 nr_vecs;
	struct vmqsim_avail avail[VMQ_VQ_TX + 1];
};

/**
 * struct vmqsim_guest_done - what an engine pass completed
 * @rx: receive descriptors completed.
 * @tx: transmit descriptors completed.
 */
struct vmqsim_guest_done {
	u32 rx;
	u32 tx;
};

/**
 * struct vmqsim_guest_rx_stats - what one receive pass did
 * @packets: frames written into guest buffers.
 * @bytes: their bytes.
 * @used: descriptors completed, with a frame or with its error.
 */
struct vmqsim_guest_rx_stats {
	u32 packets;
	u64 bytes;
	u32 used;
};

/* guest.c: the engine's pass, its vectors and its queue pair's life. */
void vmqsim_guest_raise(struct vmqsim_guest *gq,
			const struct vmqsim_guest_done *done);
struct kthread_worker *
vmqsim_guest_spare_get(struct vmqsim_qp *q, struct vmqsim_guest_attach **a);

/* guest_dma.c: the engine's way into guest memory. */
int vmqsim_guest_dma(struct vmqsim_guest *gq, u64 iova, void *buf,
		     size_t len, bool write);
int vmqsim_guest_dma_publish(struct vmqsim_guest *gq, u64 iova, void *buf,
			     size_t len);
bool vmqsim_guest_fail(struct vmqsim_guest *gq, enum vmq_err err);

/* guest_engine.c: the thread the engine runs on. */
void vmqsim_guest_attach_put(struct vmqsim_guest_attach *a);
int vmqsim_guest_engine_create(struct vmqsim_guest *gq);
bool vmqsim_guest_engine_queue(struct vmqsim_guest *gq);

/* guest_rx.c: receive. */
void vmqsim_guest_fifo_drop(struct vmqsim_guest *gq);
bool vmqsim_guest_rx_batch(struct vmqsim_guest *gq,
			   struct vmqsim_guest_done *done);
void vmqsim_guest_rx_direct_done(struct vmqsim_guest *gq, u32 packets,
				 u64 bytes);
void vmqsim_guest_rx_drop(struct vmqsim_guest *gq);
void vmqsim_guest_rx_drops(struct vmqsim_guest *gq, u32 n);
struct sk_buff *vmqsim_guest_rx_next(struct vmqsim_guest *gq);
bool vmqsim_guest_virtio_rx_batch(struct vmqsim_guest *gq,
				  struct vmqsim_guest_done *done);

/* guest_tx.c: transmit. */
bool vmqsim_guest_tx_batch(struct vmqsim_guest *gq,
			   struct vmqsim_guest_done *done);
void vmqsim_guest_tx_send(struct vmqsim_guest *gq, struct sk_buff *skb);

/* virtio.c: the engine on virtio split virtqueues. */
bool vmqsim_virtio_rx_batch(struct vmqsim_guest *gq,
			    struct vmqsim_guest_done *done);
bool vmqsim_virtio_tx_batch(struct vmqsim_guest *gq,
			    struct vmqsim_guest_done *done);
bool vmqsim_virtio_more(struct vmqsim_guest *gq);
void vmqsim_virtio_start(struct vmqsim_guest *gq);
u32 vmqsim_virtio_rx_direct(struct vmqsim_guest *gq,
			    const struct sk_buff *const *skb, u32 n, bool *irq);
u32 vmqsim_virtio_rx_drain(struct vmqsim_guest *gq, bool *irq);

/* Whether @gq runs virtio virtqueues rather than the hardware's rings. */
static inline bool vmqsim_guest_is_virtio(const struct vmqsim_guest *gq)
{
	return gq->gqp->ops->ring_fmt == VMQ_RING_VIRTIO;
}

#endif /* _VMQSIM_GUEST_H */
