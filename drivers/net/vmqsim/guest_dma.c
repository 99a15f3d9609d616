// SPDX-License-Identifier: GPL-2.0
/*
 * vmqsim: a guest queue pair's engine's accesses to guest memory, and the
 * gate every one of them passes, which a stop closes (guest.c).
 *
 * The guest is untrusted: a buffer it cannot back (DMA failure), ring
 * memory gone since enable checked it (UNMAP) or a transmit length out of
 * range put the queue into the error state through vmq_guest_qp_error(),
 * after which the engine touches nothing until the owner stops the queue.
 */

#include <linux/spinlock.h>
#include <net/vmq_guest.h>
#include "guest.h"

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

bool vmqsim_guest_fail(struct vmqsim_guest *gq, enum vmq_err err)
{
	/* A stopped queue's access failing is no fault of the guest. */
	if (gq->dead)
		return false;
	vmq_guest_qp_error(gq->gqp, err);
	vmqsim_guest_fifo_drop(gq);
	return false;
}
