/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmq: guest queue pairs and the modules that own them.
 *
 * A guest queue pair is a queue pair whose rings and buffers live in a
 * virtual machine's memory, in the hardware's own format
 * (include/uapi/linux/vmq.h).  Its owner (vmq_vfio) supplies the DMA
 * translation, as an IOMMU would for a real device, and receives the
 * queue's interrupts; the driver's engine reads descriptors and moves
 * frames through &struct vmq_guest_qp.
 *
 * Three audiences: the owner (vmq_guest_qp_alloc() and the rest of the
 * vmq_guest_qp_* calls, and &struct vmq_client to hear of devices), the
 * driver's engine for guest queues (the inline helpers on &struct
 * vmq_guest_qp), and the core that links them.  A NIC driver without
 * guest queues needs only <net/vmq.h>.
 */
#ifndef _NET_VMQ_GUEST_H
#define _NET_VMQ_GUEST_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/skbuff.h>
#include <linux/vmq.h>
#include <net/vmq.h>

/* Events for &vmq_guest_ops.notify. */
#define VMQ_GUEST_EV_RX		BIT(0)
#define VMQ_GUEST_EV_TX		BIT(1)
#define VMQ_GUEST_EV_ERR	BIT(2)

/**
 * struct vmq_guest_ops - what the owner of a guest queue pair supplies
 * @dma_rw: copy @len bytes between @buf and guest memory at @iova;
 *	returns 0, -ESHUTDOWN when the owner is going away (its memory
 *	went first, or its VMM is dying: the engine stops the pass quietly,
 *	no guest error), or another
 *	negative errno when @iova is not mapped.  Called by
 *	the driver's engine in process context (it may sleep, as long as
 *	the VMM takes to resolve a fault), only while the queue pair runs
 *	or until vmq_guest_qp_drain() returns.
 * @dma_try: optional: what @dma_rw does, but only where it needs
 *	neither to sleep nor to fail (memory the owner holds pinned);
 *	returns 0, or -EAGAIN when it could not, perhaps having copied a
 *	part: the access is then for @dma_rw to do in full.  Any context
 *	but hard irq, with the same lifetime rules.
 * @notify: VMQ_GUEST_EV_* happened.  Any context, may not sleep.
 * @owner: who owns the queue pairs: %VMQ_OWNER_VFIO (0 reads as it) or
 *	%VMQ_OWNER_VDPA.
 * @ring_fmt: the rings' layout, enum vmq_ring_fmt.
 */
struct vmq_guest_ops {
	int (*dma_rw)(void *ctx, u64 iova, void *buf, size_t len, bool write);
	int (*dma_try)(void *ctx, u64 iova, void *buf, size_t len, bool write);
	void (*notify)(void *ctx, u32 events);
	enum vmq_owner_type owner;
	u32 ring_fmt;
};

/**
 * enum vmq_ring_fmt - the layout of a guest queue pair's rings
 * @VMQ_RING_VMQ: the hardware's own (&struct vmq_desc), in
 *	&vmq_guest_qp.rx and .tx.
 * @VMQ_RING_VIRTIO: virtio split virtqueues, receive and transmit, in
 *	&vmq_guest_qp.vq; each buffer starts with a struct
 *	virtio_net_hdr_v1.
 */
enum vmq_ring_fmt {
	VMQ_RING_VMQ,
	VMQ_RING_VIRTIO,
};

/* Virtqueues of a virtio guest queue pair, and their largest size. */
#define VMQ_VQ_RX	0
#define VMQ_VQ_TX	1
#define VMQ_VIRTQ_MAX	256

/**
 * struct vmq_virtq - a split virtqueue the hardware runs
 * @desc: IOVA of the descriptor table.
 * @avail: IOVA of the driver area (available ring).
 * @used: IOVA of the device area (used ring).
 * @num: entries, a power of two.
 * @last_avail: the next available ring entry the device takes; the
 *	engine's while the queue pair runs.
 * @used_idx: the used ring's index as the device last wrote it.
 */
struct vmq_virtq {
	u64 desc;
	u64 avail;
	u64 used;
	u32 num;
	u16 last_avail;
	u16 used_idx;
};

/**
 * struct vmq_guest_qp - a guest queue pair, shared by the core, its owner
 *	and the driver's engine
 * @ops: the owner's operations.
 * @ctx: their context.
 * @rx: the receive ring.  @rx.base and @rx.size are fixed while the
 *	queue pair runs; @rx.tail is written by the owner's doorbell,
 *	@rx.head by the engine; read both with READ_ONCE().
 * @tx: the transmit ring, likewise.
 * @error: enum vmq_err; the first error, set with vmq_guest_qp_error().
 * @rings_checked: since this start, the core has found every page of
 *	both rings reachable; see vmq_guest_ring_err().
 *	The engine stops touching the rings once it is set.
 * @l2: the admin's MAC and VLAN (0 for none), vmq_mac_vlan_pack()ed:
 *	one word, so the engine always sees a consistent pair while the
 *	admin changes it.  Read with vmq_guest_qp_l2().
 * @spoofchk: drop transmitted frames whose source is not the MAC.
 * @trunk: on a queue without a VLAN, let the guest send 802.1Q/802.1ad
 *	tagged frames (into any VLAN) and receive them, tags in band; off,
 *	an access port, the engine drops those it sends and counts them as
 *	%VMQ_CNT_TX_SPOOFED, and it receives untagged frames only.  No
 *	effect with a VLAN set: the queue's own tag is then the outer one.
 * @cnt: counters, enum vmq_counter.
 * @loc: location of its MAC filter, or %VMQ_LOC_ANY if it has none.
 * @unmatched: its MAC steers nothing (vmq_guest_qp_match()).
 * @held: frames the hardware accepted for the guest and had not written
 *	to guest memory, kept across a stop (vmq_guest_qp_stop_hold(),
 *	vmq_guest_qp_hold()), each as the guest will see it, oldest first.
 *	The driver takes them at its next start with
 *	vmq_guest_qp_take_held(); the owner may read them while the queue
 *	pair is stopped.  A clear drops them.
 * @held_l2: @l2 when @held got its first frame: frames made up for
 *	another MAC or VLAN are dropped, not delivered.
 * @name: the owner's name for it, for the views.
 * @vdev: the device it is on.
 * @id: its queue pair index there.
 * @vport: the first queue pair of its owner's set
 *	(vmq_guest_vport_alloc()): the queue pairs [@vport, @vport +
 *	@nr_qps) switch as one, and the first holds the MAC filter.
 * @nr_qps: how many the set has.
 * @rss_ctx: the first's: the RSS context spreading the set's frames, or
 *	0 for a set of one.
 * @rx_hash: write each frame's RSS hash into its receive completion
 *	(%VMQ_CTRL_RX_HASH); fixed while the queue pair runs.
 * @mtu: the MTU the owner promised its driver (virtio-net's config
 *	space), or 0 for none: the NIC's, whatever it is.  Set by the
 *	owner while the queue pair does not run; see
 *	vmq_guest_qp_max_frame().
 * @rcu: freed after a grace period: the classifier may have found it.
 * @vq: the virtqueues of a %VMQ_RING_VIRTIO queue pair, VMQ_VQ_RX and
 *	VMQ_VQ_TX, instead of @rx and @tx.
 */
struct vmq_guest_qp {
	const struct vmq_guest_ops *ops;
	void *ctx;
	struct vmq_ring_state rx;
	struct vmq_ring_state tx;
	u32 error;
	bool rings_checked;
	atomic64_t l2;
	bool spoofchk;
	bool trunk;
	atomic64_t cnt[VMQ_CNT_MAX];
	u32 loc;
	bool unmatched;
	struct sk_buff_head held;
	u64 held_l2;
	char name[40];
	struct vmq_dev *vdev;
	u32 id;
	u32 vport;
	u32 nr_qps;
	u32 rss_ctx;
	bool rx_hash;
	u32 mtu;
	struct rcu_head rcu;
	struct vmq_virtq vq[2];
};

/**
 * vmq_guest_qp_l2() - a guest queue pair's MAC and VLAN
 * @gqp: the guest queue pair.
 * @mac: filled with its MAC (zero if the admin has not set one).
 *
 * Return: its VLAN ID, or 0 for none.
 */
static inline u16 vmq_guest_qp_l2(const struct vmq_guest_qp *gqp, u8 *mac)
{
	return vmq_mac_vlan_unpack(atomic64_read(&gqp->l2), mac);
}

/**
 * vmq_guest_count() - count on a guest queue pair
 * @gqp: the guest queue pair.
 * @cnt: which counter.
 * @n: by how much.
 */
static inline void vmq_guest_count(struct vmq_guest_qp *gqp,
				   enum vmq_counter cnt, u64 n)
{
	atomic64_add(n, &gqp->cnt[cnt]);
}

/**
 * vmq_guest_dma_rw() - the engine's access to guest memory
 * @gqp: the guest queue pair.
 * @iova: guest I/O virtual address.
 * @buf: kernel buffer.
 * @len: bytes.
 * @write: true to write guest memory, false to read it.
 *
 * Context: process context, may sleep.
 * Return: 0 or a negative errno.
 */
static inline int vmq_guest_dma_rw(struct vmq_guest_qp *gqp, u64 iova,
				   void *buf, size_t len, bool write)
{
	return gqp->ops->dma_rw(gqp->ctx, iova, buf, len, write);
}

/**
 * vmq_guest_dma_try() - the engine's access to guest memory, without waiting
 * @gqp: the guest queue pair.
 * @iova: guest I/O virtual address.
 * @buf: kernel buffer.
 * @len: bytes.
 * @write: true to write guest memory, false to read it.
 *
 * For a data path that cannot sleep: it copies only where the owner has
 * the memory at hand, and leaves the rest to vmq_guest_dma_rw().
 *
 * Context: any but hard irq; does not sleep.
 * Return: 0, or -EAGAIN: the access is for vmq_guest_dma_rw() to do.
 */
static inline int vmq_guest_dma_try(struct vmq_guest_qp *gqp, u64 iova,
				    void *buf, size_t len, bool write)
{
	if (!gqp->ops->dma_try)
		return -EAGAIN;
	return gqp->ops->dma_try(gqp->ctx, iova, buf, len, write);
}

/**
 * vmq_guest_ring_err() - the error for a ring access that failed
 * @gqp: the guest queue pair.
 *
 * A ring the core found reachable when the queue pair started has been
 * unmapped since (%VMQ_ERR_UNMAP); before that check it is the guest's
 * configuration (%VMQ_ERR_DMA).
 *
 * Return: enum vmq_err.
 */
static inline enum vmq_err vmq_guest_ring_err(const struct vmq_guest_qp *gqp)
{
	return READ_ONCE(gqp->rings_checked) ? VMQ_ERR_UNMAP : VMQ_ERR_DMA;
}

/**
 * vmq_guest_notify() - tell the owner about completions
 * @gqp: the guest queue pair.
 * @events: VMQ_GUEST_EV_* bits.
 *
 * For the driver's interrupt handler.  Context: any.
 */
static inline void vmq_guest_notify(struct vmq_guest_qp *gqp, u32 events)
{
	gqp->ops->notify(gqp->ctx, events);
}

/**
 * struct vmq_guest_hw_ops - how a driver runs guest queue pairs
 *
 * &vmq_hw_ops.guest of a driver that can; the core calls these instead
 * of &vmq_hw_ops.qp_start and qp_stop for queue pairs owned by a guest,
 * %VMQ_OWNER_VFIO or %VMQ_OWNER_VDPA (vmq_owner_is_guest()).  The
 * device mutex must never wait for a VMM, so stopping one does not wait
 * for an access to guest memory the VMM holds up (a page fault it never
 * answers): @qp_drain does, without the mutex.
 *
 * @qp_start: let the hardware run guest queue pair @qp on the rings in
 *	vmq_guest_qp(), which the core checked.  Called with the device
 *	mutex held, in the owner's task (the VMM), which the driver may
 *	charge for the work of the queue's engine (its cgroups); may sleep.
 *	Returns -EBUSY while an access of the last run still waits.
 * @qp_stop: stop queue pair @qp: on return no access to guest memory
 *	starts, nothing more is written back or signalled, and no interrupt
 *	handler is running; one access in progress may still finish later.
 *	Called with the device mutex held; may sleep, never for the VMM.
 * @qp_abort: optional: end the access @qp_stop left in progress if it
 *	still waits for the VMM's memory (the VMM's exit may be what would
 *	resolve it), without waiting for it; of a running queue pair, end
 *	the access in progress the same way (the owner saw its VMM dying
 *	and fails it as -ESHUTDOWN).  Called without the device mutex, in
 *	process context; may not sleep.
 * @qp_drain: optional: wait until the access @qp_stop left in progress,
 *	if any, is over, ending it first as @qp_abort does.  Called without
 *	the device mutex.  NULL if @qp_stop always waits.
 * @qp_release: optional: the owner is done with queue pair @qp (it
 *	closes its device, or the queue pair is freed): let go of what the
 *	driver kept for it from one run to the next, such as a thread in
 *	the owner's cgroups.  Called without the device mutex, on a stopped
 *	and drained queue pair, in process context; may sleep.
 * @qp_stop_held: optional: as @qp_stop, and move the frames the queue
 *	pair accepted and had not written to guest memory to @held, oldest
 *	first, each as the guest would have seen it, instead of dropping
 *	them.  A driver that has it takes &vmq_guest_qp.held back at
 *	@qp_start with vmq_guest_qp_take_held(), before any new frame.
 * @qp_kick: the guest rang a doorbell of running queue pair @qp: its
 *	transmit ring's if @tx, else its receive ring's.  Also called once
 *	(for the receive ring) when a doorbell put the queue pair in error:
 *	the driver drops the frames waiting for its receive ring, each
 *	counted as the guest's and the queue pair's receive drop.  Called
 *	without the device mutex, from any context; must not sleep.
 */
struct vmq_guest_hw_ops {
	int (*qp_start)(struct vmq_dev *vdev, u32 qp);
	void (*qp_stop)(struct vmq_dev *vdev, u32 qp);
	void (*qp_stop_held)(struct vmq_dev *vdev, u32 qp,
			     struct sk_buff_head *held);
	void (*qp_abort)(struct vmq_dev *vdev, u32 qp);
	void (*qp_drain)(struct vmq_dev *vdev, u32 qp);
	void (*qp_release)(struct vmq_dev *vdev, u32 qp);
	void (*qp_kick)(struct vmq_dev *vdev, u32 qp, bool tx);
};

/* For the driver (engine) and the owner. */
struct vmq_guest_qp *vmq_guest_qp(struct vmq_dev *vdev, u32 qp);
bool vmq_guest_qp_error(struct vmq_guest_qp *gqp, enum vmq_err err);
void vmq_guest_qp_count_drop(struct vmq_dev *vdev, u32 qp);
u32 vmq_guest_qp_take_held(struct vmq_guest_qp *gqp, struct sk_buff_head *to,
			   u32 room);

/* For the owner. */
u32 vmq_guest_qp_avail(struct vmq_dev *vdev);
u32 vmq_guest_vport_avail(struct vmq_dev *vdev, u32 count);
int vmq_guest_qp_alloc(struct vmq_dev *vdev, const struct vmq_guest_ops *ops,
		       void *ctx, const char *name);
int vmq_guest_vport_alloc(struct vmq_dev *vdev, const struct vmq_guest_ops *ops,
			  void * const *ctx, u32 count, const char *name);
int vmq_guest_vport_rss(struct vmq_dev *vdev, u32 qp, const u8 *key,
			const u8 *table);
void vmq_guest_qp_free(struct vmq_dev *vdev, u32 qp);
int vmq_guest_qp_set_l2(struct vmq_dev *vdev, u32 qp, const u8 *mac,
			u16 vlan, bool spoofchk);
void vmq_guest_qp_set_trunk(struct vmq_dev *vdev, u32 qp, bool trunk);
int vmq_guest_qp_start(struct vmq_dev *vdev, u32 qp,
		       const struct vmq_queue_state *state);
int vmq_guest_qp_start_virtio(struct vmq_dev *vdev, u32 qp,
			      const struct vmq_virtq *vq);
void vmq_guest_qp_stop(struct vmq_dev *vdev, u32 qp);
void vmq_guest_qp_abort(struct vmq_dev *vdev, u32 qp);
void vmq_guest_qp_drain(struct vmq_dev *vdev, u32 qp);
void vmq_guest_qp_release(struct vmq_dev *vdev, u32 qp);
void vmq_guest_qp_clear(struct vmq_dev *vdev, u32 qp);
void vmq_guest_qp_save(struct vmq_dev *vdev, u32 qp,
		       struct vmq_queue_state *state);
int vmq_guest_qp_restore(struct vmq_dev *vdev, u32 qp,
			 const struct vmq_queue_state *state);
int vmq_guest_qp_stop_hold(struct vmq_dev *vdev, u32 qp);
int vmq_guest_qp_hold(struct vmq_dev *vdev, u32 qp, struct sk_buff *skb);
int vmq_guest_qp_match(struct vmq_dev *vdev, u32 qp, bool match);
int vmq_guest_qp_doorbell(struct vmq_dev *vdev, u32 qp, bool tx, u32 tail);
void vmq_guest_qp_kick(struct vmq_dev *vdev, u32 qp, bool tx);
u32 vmq_guest_max_frame(struct vmq_dev *vdev);
u32 vmq_guest_qp_max_frame(const struct vmq_guest_qp *gqp);
u32 vmq_guest_qp_tx_limit(const struct vmq_guest_qp *gqp);
void vmq_guest_ring_limits(struct vmq_dev *vdev, u32 *min, u32 *max);

/**
 * struct vmq_client - a module that builds on every vmq device
 * @name: for the log.
 * @add: a device appeared (or existed when the client registered).
 *	Returns the client's cookie for it, which the core keeps for
 *	@remove, or an ERR_PTR(): the device then goes on without the
 *	client (logged).  May block; if the device or the client starts
 *	to go meanwhile, @remove follows at once.
 * @remove: a device @add succeeded on is going away; @cookie is what
 *	@add returned.  When this returns the client must hold none of
 *	its queue pairs.  May block (a VMM closing its fd); other devices
 *	and clients come and go meanwhile.  May run beside @add and
 *	@remove of other devices, and of other clients on the same device.
 * @list: the core's.
 * @nr_links: the core's.
 *
 * How vmq_vfio makes every VMQ device an mdev parent without the drivers
 * knowing about it.  The core's registry of devices is the only one: a
 * client keeps what it needs per device in its cookie.
 */
struct vmq_client {
	const char *name;
	void *(*add)(struct vmq_dev *vdev);
	void (*remove)(struct vmq_dev *vdev, void *cookie);
	struct list_head list;
	atomic_t nr_links;
};

int vmq_register_client(struct vmq_client *client);
void vmq_unregister_client(struct vmq_client *client);

#endif /* _NET_VMQ_GUEST_H */
