// SPDX-License-Identifier: GPL-2.0
/*
 * vmqsim: the silicon's engine for guest queue pairs, whose rings and
 * buffers live in a virtual machine's memory (include/uapi/linux/vmq.h):
 * here its pass, the vectors it signals on, and a queue pair's life from
 * start to release (&struct vmq_guest_hw_ops).
 *
 * Guest memory is reached through the owner's DMA translation, which may
 * sleep (vfio_dma_rw), so each guest queue pair has a work item, the
 * engine, in the vdpa_sim manner: budgeted and rescheduling itself while
 * work remains.  Its work is the VMM's: it runs on a kthread worker of
 * its own (guest_engine.c).  Frames the classifier sends to the queue
 * wait in a bounded on-chip FIFO (full: dropped and counted); the engine
 * moves them into posted guest buffers (guest_rx.c), sends posted
 * transmit frames into the transmit switch (guest_tx.c), writes
 * completions, and raises the queue pair's vector as the queue's
 * interrupt moderation says (ethtool -C, per queue, also adaptive-rx),
 * counting completed descriptors as its frames.  The vector's handler
 * tells the owner.
 *
 * Guest memory is the VMM's: an access may wait as long as the VMM
 * leaves a fault unresolved (a userfaultfd nobody serves).  Stopping the
 * queue happens under the core's device mutex and must not wait for
 * that: it closes the gate every access passes (vmqsim_guest_dma(),
 * guest_dma.c), and an engine caught inside guest memory is left to
 * finish that one access, after which it finds the gate closed and does
 * nothing more.  vmqsim_guest_drain(), without the mutex, is the final
 * wait for it, and ends the access if it still waits: a fatal signal to
 * the engine's thread fails the fault as it would a killed VMM thread's.
 */

#include <linux/etherdevice.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
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

/* Signal what an engine pass, or the classifier's receive DMA, completed. */
void vmqsim_guest_raise(struct vmqsim_guest *gq,
			const struct vmqsim_guest_done *done)
{
	__vmqsim_guest_raise(gq, done, false);
}

static bool vmqsim_guest_more(struct vmqsim_guest *gq)
{
	struct vmq_guest_qp *gqp = gq->gqp;

	return (!skb_queue_empty(&gq->fifo) &&
		READ_ONCE(gqp->rx.tail) != gqp->rx.head) ||
	       READ_ONCE(gqp->tx.tail) != gqp->tx.head;
}

/* Take the thread kept for the queue's next run, and its join. */
struct kthread_worker *
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

	if (!READ_ONCE(gq->running) || gq->dead)
		return;
	/* An error the owner raised (a doorbell's): nothing waits to land. */
	if (READ_ONCE(gq->gqp->error)) {
		vmqsim_guest_fifo_drop(gq);
		return;
	}
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

const struct vmq_guest_hw_ops vmqsim_guest_hw_ops = {
	.qp_start	= vmqsim_guest_start,
	.qp_stop	= vmqsim_guest_stop,
	.qp_stop_held	= vmqsim_guest_stop_held,
	.qp_abort	= vmqsim_guest_abort,
	.qp_drain	= vmqsim_guest_drain,
	.qp_release	= vmqsim_guest_release,
	.qp_kick	= vmqsim_guest_kick,
};
