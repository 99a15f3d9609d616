// SPDX-License-Identifier: GPL-2.0
/*
 * vmqsim: the silicon's engine for guest queue pairs, whose rings and
 * buffers live in a virtual machine's memory (include/uapi/linux/vmq.h).
 *
 * Guest memory is reached through the owner's DMA translation, which may
 * sleep (vfio_dma_rw), so each guest queue pair has a work item, the
 * engine, in the vdpa_sim manner: budgeted and rescheduling itself while
 * work remains.  Its work is the VMM's: it runs on a kthread worker of
 * its own that sits in the VMM's cgroups (vhost's model), so a guest
 * ringing doorbells over and over spends its VMM's CPU quota, not the
 * host's.  Frames the classifier sends to the queue wait in a
 * bounded on-chip FIFO (full: dropped and counted); the engine moves them
 * into posted guest buffers, sends posted transmit frames into the
 * transmit switch (guest_tx.c), writes completions, and raises the queue
 * pair's vector as the queue's interrupt moderation says (ethtool -C, per
 * queue, also adaptive-rx), counting completed descriptors as its
 * frames.  The vector's handler tells the owner.
 *
 * The guest is untrusted: a buffer it cannot back (DMA failure), ring
 * memory gone since enable checked it (UNMAP) or a transmit length out of
 * range put the queue into the error state through vmq_guest_qp_error(),
 * after which the engine touches nothing until the owner stops the queue.
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
 *
 * Guest memory is the VMM's: an access may wait as long as the VMM
 * leaves a fault unresolved (a userfaultfd nobody serves).  Stopping the
 * queue happens under the core's device mutex and must not wait for
 * that: it closes the gate every access passes (vmqsim_guest_dma()),
 * and an engine caught inside guest memory is left to finish that one
 * access, after which it finds the gate closed and does nothing more.
 * vmqsim_guest_drain(), without the mutex, is the final wait for it,
 * and ends the access if it still waits: a fatal signal to the engine's
 * thread fails the fault as it would a killed VMM thread's.
 */

#include <linux/cgroup.h>
#include <linux/etherdevice.h>
#include <linux/kthread.h>
#include <linux/refcount.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/vmq_guest.h>
#include "guest.h"

/* Hands a stopped engine still in guest memory over to the drain. */
static DEFINE_SPINLOCK(vmqsim_guest_drain_lock);

/* Tell the owner what happened since the vector last did. */
static void vmqsim_guest_vec_tell(struct vmqsim_guest_vec *gv)
{
	u32 events = atomic_xchg(&gv->events, 0);

	if (events)
		vmq_guest_notify(gv->gq->gqp, events);
}

/* Tell the owner everything not told yet, on any vector. */
static void vmqsim_guest_tell(struct vmqsim_guest *gq)
{
	u32 i;

	for (i = 0; i < gq->nr_vecs; i++)
		vmqsim_guest_vec_tell(&gq->vec[i]);
}

/*
 * The vector fired: its completions go to the owner.  Hard irq context,
 * or the vector's last call as it goes away (vmqsim_irqs_free()).
 */
static void vmqsim_guest_irq(struct vmqsim_vector_user *user)
{
	struct vmqsim_guest_vec *gv = container_of(user, struct vmqsim_guest_vec,
						   user);

	vmqsim_irq_rearm(gv->gq->sdev, gv->hwirq);
	/* Re-armed before taking the events: a later one raises again. */
	smp_mb__after_atomic();
	/*
	 * The count before the events: completions counted after this
	 * raise again, and those counted before it had their events set
	 * first, so the events are taken below.
	 */
	atomic_xchg(&gv->unsignalled, 0);
	vmqsim_guest_vec_tell(gv);
}

static u32 vmqsim_guest_pending(struct vmqsim_vector_user *user)
{
	struct vmqsim_guest_vec *gv = container_of(user, struct vmqsim_guest_vec,
						   user);

	return atomic_read(&gv->unsignalled);
}

/*
 * @n descriptors completed: raise the vector as its moderation says;
 * straight to the owner when it has no handler to do it (the NIC is
 * down, or going down right now).
 */
static void vmqsim_guest_vec_raise(struct vmqsim_guest_vec *gv, u32 events,
				   u32 n)
{
	/* Events before the count: see vmqsim_guest_irq(). */
	atomic_or(events, &gv->events);
	atomic_add(max(n, 1U), &gv->unsignalled);
	if (!vmqsim_irq_raise_moderated(gv->gq->sdev, gv->hwirq))
		vmqsim_guest_vec_tell(gv);
}

/*
 * Signal what a pass completed: transmit on its own vector, if any.  On
 * a queue pair being stopped (@keep) only note it: the stop tells the
 * owner (vmqsim_guest_tell()) once the engine is done.
 */
static void __vmqsim_guest_raise(struct vmqsim_guest *gq,
				 const struct vmqsim_guest_done *done, bool keep)
{
	u32 events[VMQSIM_GUEST_VECS] = {}, n[VMQSIM_GUEST_VECS] = {};
	u32 i;

	if (done->rx) {
		events[VMQSIM_GUEST_VEC_QP] = VMQ_GUEST_EV_RX;
		n[VMQSIM_GUEST_VEC_QP] = done->rx;
	}
	if (done->tx) {
		i = gq->nr_vecs > VMQSIM_GUEST_VEC_TX ? VMQSIM_GUEST_VEC_TX :
							VMQSIM_GUEST_VEC_QP;
		events[i] |= VMQ_GUEST_EV_TX;
		n[i] += done->tx;
	}
	for (i = 0; i < gq->nr_vecs; i++) {
		if (!events[i])
			continue;
		if (keep)
			atomic_or(events[i], &gq->vec[i].events);
		else
			vmqsim_guest_vec_raise(&gq->vec[i], events[i], n[i]);
	}
}

static void vmqsim_guest_raise(struct vmqsim_guest *gq,
			       const struct vmqsim_guest_done *done)
{
	__vmqsim_guest_raise(gq, done, false);
}

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
static void vmqsim_guest_fifo_drop(struct vmqsim_guest *gq)
{
	struct sk_buff *skb;

	while ((skb = skb_dequeue(&gq->fifo))) {
		vmqsim_guest_rx_drop(gq);
		kfree_skb(skb);
	}
}

bool vmqsim_guest_fail(struct vmqsim_guest *gq, enum vmq_err err)
{
	/* A stopped queue's access failing is no fault of the guest. */
	if (gq->dead)
		return false;
	vmq_guest_qp_error(gq->gqp, err);
	vmqsim_guest_fifo_drop(gq);
	return false;
}

/*
 * After an abort's SIGKILL reached the engine's thread: the kernel took
 * it as fatal to the thread's group, whose mark (SIGNAL_GROUP_EXIT, put
 * in place of SIGNAL_UNKILLABLE) makes it drop every later signal, the
 * next abort's too.  The thread goes on, as a running engine or until
 * it is freed, so it drops the signal and takes back its setup's marks:
 * left pending, the signal would also keep the worker from sleeping.
 */
static void vmqsim_guest_engine_rearm(void)
{
	/* Its own: only an exec changes it, and a kernel thread does none. */
	struct sighand_struct *sighand =
		rcu_dereference_protected(current->sighand, true);

	flush_signals(current);
	spin_lock_irq(&sighand->siglock);
	current->signal->flags = SIGNAL_UNKILLABLE;
	spin_unlock_irq(&sighand->siglock);
}

/*
 * Every access to guest memory passes this gate.  None starts once the
 * queue is stopped: it fails with -ESHUTDOWN.  One in progress when the
 * stop came leaves the engine @dead, so that nothing after it is written
 * back or signalled; if it got through, it still happened (its bytes are
 * in guest memory), and it returns 0 so that the engine's state says so:
 * a used index or completion the guest can see is one the owner reads
 * back.  One that failed ends as -ESHUTDOWN, as does one the owner fails
 * as -ESHUTDOWN: its VMM is dying, and the stop follows; the engine is
 * @dead from then on too, and starts no other.  @delay: a test knob, how
 * long the access waits once through the gate.
 */
static int __vmqsim_guest_dma(struct vmqsim_guest *gq, u64 iova, void *buf,
			      size_t len, bool write, const u32 *delay)
{
	int err = -ESHUTDOWN;
	bool open;

	spin_lock(&gq->lock);
	open = gq->running && !gq->dead;
	gq->in_dma = open;
	spin_unlock(&gq->lock);
	if (open) {
		if (delay)
			vmqsim_dbg_delay(delay);
		err = vmq_guest_dma_rw(gq->gqp, iova, buf, len, write);
	}
	spin_lock(&gq->lock);
	gq->in_dma = false;
	if (!gq->running || err == -ESHUTDOWN)
		gq->dead = true;
	spin_unlock(&gq->lock);
	/* An abort's SIGKILL (sent only while @in_dma) ended it, or came late. */
	if (unlikely(fatal_signal_pending(current)))
		vmqsim_guest_engine_rearm();
	if (!open)
		return -ESHUTDOWN;
	return gq->dead && err ? -ESHUTDOWN : err;
}

int vmqsim_guest_dma(struct vmqsim_guest *gq, u64 iova, void *buf,
		     size_t len, bool write)
{
	return __vmqsim_guest_dma(gq, iova, buf, len, write, NULL);
}

/*
 * vmqsim_guest_dma() for the write of a virtqueue's used index, which
 * the publish_delay_us test knob holds up inside guest memory.
 */
int vmqsim_guest_dma_publish(struct vmqsim_guest *gq, u64 iova, void *buf,
			     size_t len)
{
	return __vmqsim_guest_dma(gq, iova, buf, len, true,
				  &gq->sdev->dbg_publish_delay_us);
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
static bool vmqsim_guest_rx_batch(struct vmqsim_guest *gq,
				  struct vmqsim_guest_done *done)
{
	bool ok;

	vmqsim_guest_rx_lock(gq);
	ok = __vmqsim_guest_rx_batch(gq, done);
	vmqsim_guest_rx_unlock(gq);
	return ok;
}

/* The same on virtqueues, which the classifier may fill too. */
static bool vmqsim_guest_virtio_rx_batch(struct vmqsim_guest *gq,
					 struct vmqsim_guest_done *done)
{
	bool ok;

	vmqsim_guest_rx_lock(gq);
	ok = vmqsim_virtio_rx_batch(gq, done);
	vmqsim_guest_rx_unlock(gq);
	return ok;
}

static bool vmqsim_guest_more(struct vmqsim_guest *gq)
{
	struct vmq_guest_qp *gqp = gq->gqp;

	return (!skb_queue_empty(&gq->fifo) &&
		READ_ONCE(gqp->rx.tail) != gqp->rx.head) ||
	       READ_ONCE(gqp->tx.tail) != gqp->tx.head;
}

/* --- the engine's thread ------------------------------------------------ */

/*
 * On the engine's thread: SIGKILL's default action, so that a fatal
 * signal ends a wait in a fault of the VMM's memory as it ends the VMM's
 * own threads' waits.  A kernel thread starts with every signal ignored;
 * unkillable, it still ignores a SIGKILL from user space (it is in the
 * VMM's cgroups), and takes only the kernel's.
 */
static void vmqsim_guest_engine_setup(struct kthread_work *work)
{
	/* Its own: only an exec changes it, and a kernel thread does none. */
	struct sighand_struct *sighand =
		rcu_dereference_protected(current->sighand, true);

	spin_lock_irq(&sighand->siglock);
	current->signal->flags |= SIGNAL_UNKILLABLE;
	spin_unlock_irq(&sighand->siglock);
	kernel_sigaction(SIGKILL, SIG_DFL);
}

/* Where engines join their owners' cgroups; flushed at module exit. */
static struct workqueue_struct *vmqsim_guest_attach_wq;

/**
 * struct vmqsim_guest_attach - an engine's thread joining an owner's cgroups
 * @work: on vmqsim_guest_attach_wq.
 * @owner: the task that started the queue pair (the VMM), held until the
 *	join ran.
 * @engine: the engine's thread, held likewise: it may end meanwhile.
 * @ref: the thread's holder's (the engine, or the queue pair's spare) and,
 *	until it ran, the work's.
 * @err: -EINPROGRESS until the work ran, then 0 if the thread joined,
 *	-ESRCH if the owner was exiting, else why it could not.
 */
struct vmqsim_guest_attach {
	struct work_struct work;
	struct task_struct *owner;
	struct task_struct *engine;
	refcount_t ref;
	int err;
};

static void vmqsim_guest_attach_put(struct vmqsim_guest_attach *a)
{
	if (a && refcount_dec_and_test(&a->ref))
		kfree(a);
}

static void vmqsim_guest_attach_fn(struct work_struct *work)
{
	struct vmqsim_guest_attach *a =
		container_of(work, struct vmqsim_guest_attach, work);
	int err = -ESRCH;

	/*
	 * An owner gone meanwhile may have left a cgroup being removed;
	 * one still there keeps its cgroups alive.  Not joined (-ESRCH),
	 * the thread joins the next start's (vmqsim_guest_engine_charged()).
	 */
	if (!(READ_ONCE(a->owner->flags) & PF_EXITING))
		err = cgroup_attach_task_all(a->owner, a->engine);
	if (err && err != -ESRCH)
		pr_warn_ratelimited("%s: cannot join the cgroups of %s[%d]: %d\n",
				    a->engine->comm, a->owner->comm,
				    task_pid_nr(a->owner), err);
	put_task_struct(a->owner);
	put_task_struct(a->engine);
	WRITE_ONCE(a->err, err);
	vmqsim_guest_attach_put(a);
}

/*
 * Charge the engine's thread to the owner's cgroups.  qp_start of a
 * guest queue runs in the owner's task (the VMM enabling it), so current
 * is whose CPU the engine spends.  Joining takes the cgroup lock, under
 * which cgroup code takes RTNL (net_prio), while qp_start holds the NIC's
 * device mutex, which RTNL holders take: the thread joins from a work
 * item, with no lock of ours held, a moment after the start.  It replaces
 * the thread's last join, which has run: one at a time per thread.
 */
static int vmqsim_guest_engine_charge(struct vmqsim_guest *gq)
{
	struct vmqsim_guest_attach *a;

	a = kmalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	if (!a)
		return -ENOMEM;
	INIT_WORK(&a->work, vmqsim_guest_attach_fn);
	a->owner = get_task_struct(current);
	a->engine = get_task_struct(gq->engine->task);
	refcount_set(&a->ref, 2);
	a->err = -EINPROGRESS;
	vmqsim_guest_attach_put(gq->attach);
	gq->attach = a;
	queue_work(vmqsim_guest_attach_wq, &a->work);
	return 0;
}

/*
 * A kept thread whose join found the task that started the queue exiting
 * joins this start's task's cgroups instead, so that a VMM cannot have
 * its engine run uncharged by starting the queue from a thread that exits
 * at once; a join it cannot allocate now is the next start's to try.  One
 * that failed is not tried again, as it would fail again, each time under
 * the cgroup lock: the log said so, and the thread stays where it is.
 */
static void vmqsim_guest_engine_charged(struct vmqsim_guest *gq)
{
	if (READ_ONCE(gq->attach->err) == -ESRCH)
		vmqsim_guest_engine_charge(gq);
}

/* Take the thread kept for the queue's next run, and its join. */
static struct kthread_worker *
vmqsim_guest_spare_get(struct vmqsim_qp *q, struct vmqsim_guest_attach **a)
{
	struct kthread_worker *spare;

	spin_lock(&vmqsim_guest_drain_lock);
	spare = q->spare;
	*a = q->spare_attach;
	q->spare = NULL;
	q->spare_attach = NULL;
	spin_unlock(&vmqsim_guest_drain_lock);
	return spare;
}

/* End a kept thread; it is idle, out of guest memory. */
static void vmqsim_guest_spare_end(struct kthread_worker *spare,
				   struct vmqsim_guest_attach *a)
{
	if (spare)
		kthread_destroy_worker(spare);
	vmqsim_guest_attach_put(a);
}

/* Keep a stopped engine's thread, idle, for the queue's next run. */
static void vmqsim_guest_spare_put(struct vmqsim_qp *q,
				   struct vmqsim_guest *gq)
{
	struct vmqsim_guest_attach *old_attach;
	struct kthread_worker *old;

	spin_lock(&vmqsim_guest_drain_lock);
	old = q->spare;
	old_attach = q->spare_attach;
	q->spare = gq->engine;
	q->spare_attach = gq->attach;
	spin_unlock(&vmqsim_guest_drain_lock);
	gq->engine = NULL;
	gq->attach = NULL;
	/* Mostly none (the start took it); a drain racing a start's may. */
	vmqsim_guest_spare_end(old, old_attach);
}

/*
 * The engine's thread: the one kept from the queue's last run, or a new
 * one charged to the owner.  A kept thread stays in the cgroups it
 * joined, whoever starts the queue, until the owner lets the queue pair
 * go (vmqsim_guest_release()), as vhost's worker stays its owner's: so a
 * guest that stops and starts its queues, or a VMM's processes that take
 * turns at it, create no thread and move none between cgroups (joining
 * takes the cgroup lock, which every fork and exit on the host waits for).
 */
static int vmqsim_guest_engine_create(struct vmqsim_guest *gq)
{
	int err;

	gq->engine = vmqsim_guest_spare_get(&gq->sdev->qps[gq->id],
					    &gq->attach);
	if (gq->engine) {
		vmqsim_guest_engine_charged(gq);
		return 0;
	}
	gq->engine = kthread_create_worker(0, "vmqsim%u-qp%u", gq->sdev->id,
					   gq->id);
	if (IS_ERR(gq->engine)) {
		err = PTR_ERR(gq->engine);
		gq->engine = NULL;
		return err;
	}
	err = vmqsim_guest_engine_charge(gq);
	if (err) {
		kthread_destroy_worker(gq->engine);
		gq->engine = NULL;
		return err;
	}
	/* Before any pass: a worker runs its works in order. */
	kthread_init_work(&gq->setup, vmqsim_guest_engine_setup);
	kthread_queue_work(gq->engine, &gq->setup);
	vmqsim_silicon_count(gq->sdev, VMQSIM_CNT_GUEST_ENGINES);
	return 0;
}

/*
 * End an access of an engine that still waits in the VMM's memory, a
 * fault its userfaultfd handler or file system does not serve.  Of a
 * stopped engine: the drain must not wait for it, as whoever would
 * serve it may be the VMM's exit that waits for the drain (its device fd
 * released before its userfaultfd); the access fails as one a stop came
 * during, nothing after it is written back or signalled, and the thread
 * is idle right after (vmqsim_guest_free()).  Of a running one: its owner
 * saw the VMM dying, and fails the access as -ESHUTDOWN.
 */
static void vmqsim_guest_engine_abort(struct vmqsim_guest *gq)
{
	spin_lock(&gq->lock);
	if (gq->in_dma)
		send_sig(SIGKILL, gq->engine->task, 1);
	spin_unlock(&gq->lock);
}

/* Run the engine; false if a pass was already due. */
static bool vmqsim_guest_engine_queue(struct vmqsim_guest *gq)
{
	return kthread_queue_work(gq->engine, &gq->work);
}

/*
 * Wait for the engine to be idle for good, and keep its thread for the
 * queue's next run: the signal of an abort it took is flushed by now.
 */
static void vmqsim_guest_engine_retire(struct vmqsim_qp *q,
				       struct vmqsim_guest *gq)
{
	kthread_cancel_work_sync(&gq->work);
	vmqsim_guest_spare_put(q, gq);
}

static void vmqsim_guest_work(struct kthread_work *work)
{
	struct vmqsim_guest *gq = container_of(work, struct vmqsim_guest, work);
	struct vmqsim_guest_done done = {};
	bool ok;

	if (!READ_ONCE(gq->running) || READ_ONCE(gq->gqp->error) || gq->dead)
		return;
	vmqsim_silicon_count(gq->sdev, VMQSIM_CNT_GUEST_PASSES);
	if (vmqsim_guest_is_virtio(gq))
		ok = vmqsim_guest_virtio_rx_batch(gq, &done) &&
		     vmqsim_virtio_tx_batch(gq, &done);
	else
		ok = vmqsim_guest_rx_batch(gq, &done) &&
		     vmqsim_guest_tx_batch(gq, &done);
	/*
	 * Stopped meanwhile, or the owner going away (the stop follows):
	 * what the pass completed is told by the stop, or, if the stop did
	 * not wait for the engine, when it is freed.
	 */
	if (gq->dead) {
		__vmqsim_guest_raise(gq, &done, true);
		return;
	}
	vmqsim_guest_raise(gq, &done);
	/* Budget spent with work left: yield, then go on. */
	if (ok && (vmqsim_guest_is_virtio(gq) ? vmqsim_virtio_more(gq) :
						 vmqsim_guest_more(gq)))
		vmqsim_guest_engine_queue(gq);
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

/*
 * Whether a doorbell gives the engine work: frames wait in the FIFO for
 * buffers, or frames wait to be sent.  Buffers posted while the FIFO is
 * empty wait for the next frame, whose arrival runs the engine anyway
 * (the classifier reads a virtqueue's available ring itself).
 */
static bool vmqsim_guest_kick_due(struct vmqsim_guest *gq, bool tx)
{
	struct vmq_guest_qp *gqp = gq->gqp;

	/*
	 * The new tail (or available index) is visible before the FIFO is
	 * looked at: a frame found absent here is queued later, and the
	 * engine pass its arrival starts sees the buffers.
	 */
	smp_mb();
	if (!skb_queue_empty_lockless(&gq->fifo))
		return true;
	/* A transmit virtqueue's new chains are not seen for free. */
	if (vmqsim_guest_is_virtio(gq))
		return tx;
	return READ_ONCE(gqp->tx.tail) != READ_ONCE(gqp->tx.head);
}

/**
 * vmqsim_guest_kick() - the guest rang a doorbell (vmq_guest_hw_ops.qp_kick)
 * @vdev: the vmq device.
 * @qp: a running guest queue pair.
 * @tx: its transmit ring's doorbell, not its receive ring's.
 *
 * A doorbell while the engine is already due costs nothing more: the
 * pass it is waiting for sees the new tail too.  One that only refills
 * an idle receive ring, a virtqueue's included, does not run the engine
 * at all.
 *
 * Context: any.
 */
static void vmqsim_guest_kick(struct vmq_dev *vdev, u32 qp, bool tx)
{
	struct vmqsim_dev *sdev = vmq_dev_priv(vdev);
	struct vmqsim_guest *gq;

	rcu_read_lock();
	gq = rcu_dereference(sdev->qps[qp].guest);
	if (gq && vmqsim_guest_kick_due(gq, tx) &&
	    !vmqsim_guest_engine_queue(gq))
		vmq_guest_count(gq->gqp, VMQ_CNT_DOORBELLS_COALESCED, 1);
	rcu_read_unlock();
}

/* Called with the engine stopped: out of guest memory, or waited for. */
static void vmqsim_guest_free(struct vmqsim_qp *q, struct vmqsim_guest *gq)
{
	vmqsim_guest_engine_retire(q, gq);
	/* What it completed once a stop that did not wait had told its own. */
	vmqsim_guest_tell(gq);
	skb_queue_purge(&gq->fifo);
	kfree(gq);
}

static bool vmqsim_guest_in_dma(struct vmqsim_guest *gq)
{
	bool in_dma;

	spin_lock(&gq->lock);
	in_dma = gq->in_dma;
	spin_unlock(&gq->lock);
	return in_dma;
}

/*
 * The engine of the queue's last run, if it was left in guest memory:
 * free it once it is out, or say the queue is not ready to run again.
 */
static int vmqsim_guest_reap(struct vmqsim_qp *q)
{
	struct vmqsim_guest *old;

	spin_lock(&vmqsim_guest_drain_lock);
	old = q->draining;
	if (old && vmqsim_guest_in_dma(old)) {
		spin_unlock(&vmqsim_guest_drain_lock);
		return -EBUSY;
	}
	q->draining = NULL;
	spin_unlock(&vmqsim_guest_drain_lock);
	/* Out of guest memory and the gate closed: this does not wait long. */
	if (old)
		vmqsim_guest_free(q, old);
	return 0;
}

/*
 * Frames a stop kept, or a migration brought, go first, made up for the
 * VLAN the queue is on (the core drops them if that changed meanwhile).
 */
static void vmqsim_guest_take_held(struct vmqsim_guest *gq)
{
	u8 mac[ETH_ALEN];
	struct sk_buff *skb;
	u32 dropped;
	u16 vlan;

	dropped = vmq_guest_qp_take_held(gq->gqp, &gq->fifo, VMQSIM_GUEST_FIFO);
	if (dropped)
		vmq_qp_count_rx_drop(gq->sdev->vdev, gq->id, dropped);
	vlan = vmq_guest_qp_l2(gq->gqp, mac);
	/* A held frame's hash stayed with the device it was hashed on. */
	skb_queue_walk(&gq->fifo, skb) {
		vmqsim_guest_cb(skb)->vlan = vlan;
		vmqsim_guest_cb(skb)->hash = 0;
		vmqsim_guest_cb(skb)->hash_type = VMQ_RX_HASH_NONE;
	}
}

/*
 * The queue pair's vectors: its own, and a transmit vector for virtqueues
 * (vmqsim_irq_tx_request()).
 */
static int vmqsim_guest_vecs_init(struct vmqsim_guest *gq)
{
	struct vmqsim_dev *sdev = gq->sdev;
	int err;
	u32 i;

	gq->nr_vecs = 1;
	gq->vec[VMQSIM_GUEST_VEC_QP].hwirq = gq->id;
	if (vmqsim_guest_is_virtio(gq)) {
		err = vmqsim_irq_tx_request(sdev, gq->id);
		if (err)
			return err;
		gq->vec[VMQSIM_GUEST_VEC_TX].hwirq =
			vmqsim_irq_tx_hwirq(sdev, gq->id);
		gq->nr_vecs++;
	}
	for (i = 0; i < gq->nr_vecs; i++) {
		gq->vec[i].gq = gq;
		gq->vec[i].user.handler = vmqsim_guest_irq;
		gq->vec[i].user.pending = vmqsim_guest_pending;
	}
	return 0;
}

static void vmqsim_guest_vecs_attach(struct vmqsim_guest *gq)
{
	u32 i;

	for (i = 0; i < gq->nr_vecs; i++)
		vmqsim_irq_attach(gq->sdev, gq->vec[i].hwirq, &gq->vec[i].user);
}

static void vmqsim_guest_vecs_detach(struct vmqsim_guest *gq)
{
	u32 i;

	for (i = 0; i < gq->nr_vecs; i++)
		vmqsim_irq_detach(gq->sdev, gq->vec[i].hwirq);
}

/*
 * Wait for the vectors' messages (nobody raises them any more), and give
 * the transmit vector back: what they had yet to signal stays for
 * vmqsim_guest_tell().
 */
static void vmqsim_guest_vecs_fini(struct vmqsim_guest *gq)
{
	u32 i;

	for (i = 0; i < gq->nr_vecs; i++)
		vmqsim_irq_quiesce(gq->sdev, gq->vec[i].hwirq);
	if (gq->nr_vecs > VMQSIM_GUEST_VEC_TX)
		vmqsim_irq_tx_free(gq->sdev, gq->id);
}

/**
 * vmqsim_guest_start() - run a guest queue pair (vmq_guest_hw_ops.qp_start)
 * @vdev: the vmq device.
 * @qp: the queue pair; the core checked its rings.
 *
 * Return: 0, -ENOMEM, or -EBUSY while the engine of its last run still
 * waits in guest memory.
 */
static int vmqsim_guest_start(struct vmq_dev *vdev, u32 qp)
{
	struct vmqsim_dev *sdev = vmq_dev_priv(vdev);
	struct vmqsim_qp *q = &sdev->qps[qp];
	struct vmqsim_guest *gq;
	int err;

	err = vmqsim_guest_reap(q);
	if (err) {
		dev_warn_ratelimited(&sdev->dev,
				     "queue pair %u: still waiting for guest memory of its last run\n",
				     qp);
		return err;
	}
	gq = kzalloc(sizeof(*gq), GFP_KERNEL_ACCOUNT);
	if (!gq)
		return -ENOMEM;
	gq->sdev = sdev;
	gq->id = qp;
	gq->gqp = vmq_guest_qp(sdev->vdev, qp);
	if (vmqsim_guest_is_virtio(gq))
		vmqsim_virtio_start(gq);
	kthread_init_work(&gq->work, vmqsim_guest_work);
	err = vmqsim_guest_vecs_init(gq);
	if (err)
		goto err_free;
	err = vmqsim_guest_engine_create(gq);
	if (err)
		goto err_vecs;
	skb_queue_head_init(&gq->fifo);
	vmqsim_guest_take_held(gq);
	spin_lock_init(&gq->lock);
	gq->running = true;
	/*
	 * Its VM's switching pool: a guest reaches others through the
	 * switch, never its own queues.
	 */
	WRITE_ONCE(q->pool, vmq_qp_vport(sdev->vdev, qp));
	WRITE_ONCE(q->flags, vmq_qp_flags(sdev->vdev, qp));
	vmqsim_guest_vecs_attach(gq);
	/* The engine is set up before the classifier or a doorbell finds it. */
	rcu_assign_pointer(q->guest, gq);
	/* Buffers may have been posted before the queue was enabled. */
	vmqsim_guest_engine_queue(gq);
	return 0;

err_vecs:
	vmqsim_guest_vecs_fini(gq);
err_free:
	kfree(gq);
	return err;
}

/*
 * Stop a guest queue pair.  On return no frame enters its FIFO, no
 * access to guest memory starts and its vector's handler is done.
 * Completions of the last batch still reach the owner, those of a pass
 * the stop cut short included.  An engine inside guest memory is not
 * waited for (the VMM may never let it out): nothing after that access
 * is written back or signalled, the engine is left to
 * vmqsim_guest_drain(), and what its pass completed reaches the owner
 * once it is out (vmqsim_guest_free(): at the drain, or when the queue
 * pair starts again).  The FIFO's frames go to @held, or are dropped
 * without it.
 */
static void __vmqsim_guest_stop(struct vmq_dev *vdev, u32 qp,
				struct sk_buff_head *held)
{
	struct vmqsim_dev *sdev = vmq_dev_priv(vdev);
	struct vmqsim_qp *q = &sdev->qps[qp];
	struct vmqsim_guest *gq;
	bool in_dma;

	/* The core's mutex serialises start and stop. */
	gq = rcu_dereference_protected(q->guest, 1);
	/* Close the gate: the engine starts no access from here on. */
	spin_lock(&gq->lock);
	WRITE_ONCE(gq->running, false);
	in_dma = gq->in_dma;
	spin_unlock(&gq->lock);
	/* Nobody finds the engine any more... */
	RCU_INIT_POINTER(q->guest, NULL);
	vmqsim_guest_vecs_detach(gq);
	/*
	 * ...and every classifier pass, doorbell or handler that did is
	 * over.  Not synchronize_net(): a guest stops its queue at will,
	 * and an expedited grace period whenever anyone holds RTNL would
	 * let it send IPIs to every CPU of the host at that rate.
	 */
	synchronize_rcu();
	/* Out of guest memory, it finds the gate closed soon: wait for it. */
	if (!in_dma)
		kthread_flush_worker(gq->engine);
	/* The last batch's interrupts have been handled... */
	vmqsim_guest_vecs_fini(gq);
	/* ...or found no engine: tell the owner what they would have told. */
	vmqsim_guest_tell(gq);
	/* Nothing adds to the FIFO now; a stuck engine only holds its batch. */
	if (held) {
		spin_lock_bh(&gq->fifo.lock);
		skb_queue_splice_tail_init(&gq->fifo, held);
		spin_unlock_bh(&gq->fifo.lock);
	} else {
		vmqsim_guest_fifo_drop(gq);
	}
	if (!in_dma) {
		vmqsim_guest_free(q, gq);
		return;
	}
	/* The owner stops and drains in turn, so none is left from before. */
	spin_lock(&vmqsim_guest_drain_lock);
	WARN_ON_ONCE(q->draining);
	q->draining = gq;
	spin_unlock(&vmqsim_guest_drain_lock);
}

/**
 * vmqsim_guest_stop() - stop a guest queue pair (vmq_guest_hw_ops.qp_stop)
 * @vdev: the vmq device.
 * @qp: the queue pair.
 *
 * Frames waiting in its FIFO are dropped and counted.
 */
static void vmqsim_guest_stop(struct vmq_dev *vdev, u32 qp)
{
	__vmqsim_guest_stop(vdev, qp, NULL);
}

/**
 * vmqsim_guest_stop_held() - stop a guest queue pair, keeping its FIFO
 *	(vmq_guest_hw_ops.qp_stop_held)
 * @vdev: the vmq device.
 * @qp: the queue pair.
 * @held: where the frames waiting in its FIFO go, oldest first.
 */
static void vmqsim_guest_stop_held(struct vmq_dev *vdev, u32 qp,
				   struct sk_buff_head *held)
{
	__vmqsim_guest_stop(vdev, qp, held);
}

/**
 * vmqsim_guest_abort() - end an engine's wait in guest memory
 *	(vmq_guest_hw_ops.qp_abort)
 * @vdev: the vmq device.
 * @qp: the queue pair: the engine of its run, and of its last run if
 *	that is still in guest memory.
 */
static void vmqsim_guest_abort(struct vmq_dev *vdev, u32 qp)
{
	struct vmqsim_dev *sdev = vmq_dev_priv(vdev);
	struct vmqsim_qp *q = &sdev->qps[qp];
	struct vmqsim_guest *gq;

	/* A stop frees its engine only after a grace period. */
	rcu_read_lock();
	gq = rcu_dereference(q->guest);
	if (gq)
		vmqsim_guest_engine_abort(gq);
	rcu_read_unlock();
	spin_lock(&vmqsim_guest_drain_lock);
	if (q->draining)
		vmqsim_guest_engine_abort(q->draining);
	spin_unlock(&vmqsim_guest_drain_lock);
}

/**
 * vmqsim_guest_drain() - wait for a stopped guest queue pair's engine
 *	(vmq_guest_hw_ops.qp_drain)
 * @vdev: the vmq device.
 * @qp: the queue pair, stopped.
 *
 * Called without the core's device mutex.  An access still waiting for
 * the VMM's memory is ended (vmqsim_guest_engine_abort()).
 */
static void vmqsim_guest_drain(struct vmq_dev *vdev, u32 qp)
{
	struct vmqsim_dev *sdev = vmq_dev_priv(vdev);
	struct vmqsim_qp *q = &sdev->qps[qp];
	struct vmqsim_guest *gq;

	spin_lock(&vmqsim_guest_drain_lock);
	gq = q->draining;
	q->draining = NULL;
	spin_unlock(&vmqsim_guest_drain_lock);
	if (!gq)
		return;
	vmqsim_guest_engine_abort(gq);
	vmqsim_guest_free(q, gq);
}

/**
 * vmqsim_guest_release() - end the thread kept for a guest queue pair's
 *	next run (vmq_guest_hw_ops.qp_release)
 * @vdev: the vmq device.
 * @qp: the queue pair, stopped and drained; its owner let go of it.
 *
 * The thread leaves the owner's cgroups with it, so that they can go.
 */
static void vmqsim_guest_release(struct vmq_dev *vdev, u32 qp)
{
	struct vmqsim_dev *sdev = vmq_dev_priv(vdev);
	struct vmqsim_guest_attach *a;
	struct kthread_worker *spare;

	spare = vmqsim_guest_spare_get(&sdev->qps[qp], &a);
	vmqsim_guest_spare_end(spare, a);
}

/**
 * vmqsim_guest_init() - set up what guest queue pairs' engines share
 *
 * Return: 0 or -ENOMEM.
 */
int vmqsim_guest_init(void)
{
	vmqsim_guest_attach_wq = alloc_workqueue("vmqsim_attach", 0, 0);
	return vmqsim_guest_attach_wq ? 0 : -ENOMEM;
}

/**
 * vmqsim_guest_exit() - undo vmqsim_guest_init(), every device gone
 *
 * Waits for engines still joining their owners' cgroups.
 */
void vmqsim_guest_exit(void)
{
	destroy_workqueue(vmqsim_guest_attach_wq);
}

const struct vmq_guest_hw_ops vmqsim_guest_hw_ops = {
	.qp_start	= vmqsim_guest_start,
	.qp_stop	= vmqsim_guest_stop,
	.qp_stop_held	= vmqsim_guest_stop_held,
	.qp_abort	= vmqsim_guest_abort,
	.qp_drain	= vmqsim_guest_drain,
	.qp_release	= vmqsim_guest_release,
	.qp_kick	= vmqsim_guest_kick,
};
