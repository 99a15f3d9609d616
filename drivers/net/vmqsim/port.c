// SPDX-License-Identifier: GPL-2.0
/*
 * vmqsim: the receive port, where the silicon's own context begins.
 *
 * A real NIC classifies, DMAs and raises vectors on its own silicon; the
 * host pays only for the interrupt and what its driver does about it.  So
 * the simulation does not do that work in the sender's context: what the
 * link partner transmits waits in the port's bounded FIFO, and a kernel
 * thread per device that stands for the silicon, "vmqsim<ID>-port", takes
 * it from there into the classifier, in batches.  Its CPU time is the
 * NIC's, not the host's: it is an unbound kthread, so an admin or a
 * benchmark places it with taskset like any other.
 *
 * A full FIFO drops the frame and counts it as rx_overruns, as a NIC's
 * receive FIFO overflows when the silicon falls behind the wire.  Frames
 * leave the FIFO in the order they entered it.
 *
 * Unless the NIC sends PAUSE (IEEE 802.3x flow control, ethtool -A tx):
 * then a frame whose host queue pair's ring is full waits in the port,
 * with every frame behind it, until the driver frees a descriptor, and a
 * full FIFO pauses the link partner (its transmit queue stops) until the
 * FIFO has drained to half, so the wire loses nothing.  A guest's queue
 * pair never holds the port (silicon.c).
 */

#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ptr_ring.h>
#include <linux/rtnetlink.h>
#include <linux/sched.h>
#include "vmqsim.h"

/* Frames the port holds before it drops: about 1 ms of a 1 Mpps wire. */
#define VMQSIM_PORT_FIFO	1024
/* Frames the silicon takes from the FIFO at once. */
#define VMQSIM_PORT_BATCH	64
/* A paused partner may send again once the FIFO holds no more than this. */
#define VMQSIM_PORT_RESUME	(VMQSIM_PORT_FIFO / 2)
/* While frames come, the thread looks again this often (us)... */
#define VMQSIM_PORT_POLL_US	50
/* ...and sleeps until a frame wakes it after this many empty looks. */
#define VMQSIM_PORT_POLLS	20

/**
 * vmqsim_port_rx() - a frame arrives on the wire
 * @sdev: the device.
 * @wire: the link partner, sending it.
 * @skb: the frame, consumed.
 *
 * Context: the link partner's transmit path, BHs disabled.
 */
void vmqsim_port_rx(struct vmqsim_dev *sdev, struct net_device *wire,
		    struct sk_buff *skb)
{
	struct vmqsim_port *port = &sdev->port;
	bool pause;
	int err;

	/*
	 * On the wire the frame is no longer the sender's: its socket's
	 * send buffer must not wait for the silicon (a full one made the
	 * sender's non-blocking send() fail with EAGAIN).
	 */
	skb_orphan(skb);
	/*
	 * Counted before the FIFO publishes it (__ptr_ring_produce() orders
	 * its stores), so the thread never takes a frame not yet arrived.
	 */
	spin_lock(&port->fifo.producer_lock);
	WRITE_ONCE(port->arrived, port->arrived + 1);
	err = __ptr_ring_produce(&port->fifo, skb);
	if (err)
		WRITE_ONCE(port->arrived, port->arrived - 1);
	pause = !err && READ_ONCE(port->pause_tx) &&
		__ptr_ring_full(&port->fifo);
	spin_unlock(&port->fifo.producer_lock);
	if (err) {
		vmqsim_silicon_count(sdev, VMQSIM_CNT_RX_OVERRUNS);
		kfree_skb(skb);
		return;
	}
	if (pause) {
		/* The last frame that fits: PAUSE, the partner stops. */
		netif_stop_queue(wire);
		vmqsim_silicon_count(sdev, VMQSIM_CNT_TX_PAUSE);
	}
	/*
	 * The frame is in the FIFO, and a pause in force, before @idle is
	 * read; pairs with the barrier in set_current_state() in
	 * vmqsim_port_idle(), so either the thread sees the frame and the
	 * pause or this sees it idle and wakes it.
	 */
	smp_mb();
	if (READ_ONCE(port->idle))
		wake_up_process(port->thread);
}

/* Frames in the FIFO, less @held the thread has taken but not dealt with. */
static unsigned long vmqsim_port_fifo_len(struct vmqsim_port *port, int held)
{
	return READ_ONCE(port->arrived) - port->taken - held;
}

/* The NIC has paused the partner: its transmit queue is stopped. */
static bool vmqsim_port_paused(struct vmqsim_dev *sdev)
{
	struct net_device *wire;
	bool paused;

	rcu_read_lock();
	wire = rcu_dereference(sdev->wire_link);
	paused = wire && netif_queue_stopped(wire);
	rcu_read_unlock();
	return paused;
}

/*
 * The partner may send again once the FIFO has drained to half, or once
 * the NIC no longer sends PAUSE.
 */
static void vmqsim_port_resume(struct vmqsim_dev *sdev, int held)
{
	struct vmqsim_port *port = &sdev->port;
	struct net_device *wire;

	rcu_read_lock();
	wire = rcu_dereference(sdev->wire_link);
	if (wire && netif_queue_stopped(wire) &&
	    (!READ_ONCE(port->pause_tx) ||
	     vmqsim_port_fifo_len(port, held) <= VMQSIM_PORT_RESUME)) {
		local_bh_disable();
		netif_wake_queue(wire);
		local_bh_enable();
	}
	rcu_read_unlock();
}

/*
 * Sleep until a frame arrives or the thread is told to stop; never while
 * the partner is paused, which only this thread lifts.
 */
static void vmqsim_port_idle(struct vmqsim_dev *sdev)
{
	struct vmqsim_port *port = &sdev->port;

	WRITE_ONCE(port->idle, true);
	set_current_state(TASK_INTERRUPTIBLE);
	if (ptr_ring_empty(&port->fifo) && !vmqsim_port_paused(sdev) &&
	    !kthread_should_stop())
		schedule();
	__set_current_state(TASK_RUNNING);
	WRITE_ONCE(port->idle, false);
}

/*
 * Waking a sleeping thread costs the sender a cross-CPU wakeup, which a
 * NIC's wire never charges, and per frame at moderate rates.  So, as
 * NAPI polls while work comes, the thread keeps looking at the FIFO on
 * a timer (never spinning) until it has found it empty for about a
 * millisecond, and only then sleeps until a frame wakes it.
 */
static int vmqsim_port_thread(void *data)
{
	struct vmqsim_dev *sdev = data;
	struct vmqsim_port *port = &sdev->port;
	struct sk_buff *batch[VMQSIM_PORT_BATCH];
	int n = 0, done, polls = 0;

	while (!kthread_should_stop()) {
		/* Test knob: a held silicon takes nothing; look again soon. */
		if (unlikely(READ_ONCE(sdev->dbg_port_hold))) {
			schedule_timeout_interruptible(msecs_to_jiffies(10));
			continue;
		}
		/* Frames a full ring held stay first, in order. */
		n += ptr_ring_consume_batched(&port->fifo, (void **)batch + n,
					      ARRAY_SIZE(batch) - n);
		vmqsim_port_resume(sdev, n);
		/*
		 * Held since the look above: what it took stays in hand,
		 * unclassified.  A frame sent after the knob was set is seen
		 * with it (the ring's producer orders its entry after it).
		 */
		smp_rmb();
		if (unlikely(READ_ONCE(sdev->dbg_port_hold)))
			continue;
		if (!n && ++polls < VMQSIM_PORT_POLLS) {
			usleep_range(VMQSIM_PORT_POLL_US, 2 * VMQSIM_PORT_POLL_US);
			continue;
		}
		if (!n) {
			polls = 0;
			vmqsim_port_idle(sdev);
			continue;
		}
		polls = 0;
		/* The classifier's context, as the wire's softirq was. */
		local_bh_disable();
		done = vmqsim_silicon_rx(sdev, batch, n);
		local_bh_enable();
		/*
		 * Where the batch went (a guest FIFO, a ring) is visible
		 * before it leaves the backlog; pairs with the smp_rmb() in
		 * vmqsim_port_backlog().
		 */
		smp_wmb();
		WRITE_ONCE(port->taken, port->taken + done);
		n -= done;
		if (n) {
			/* A full ring: look again once its driver has polled. */
			memmove(batch, batch + done, n * sizeof(*batch));
			usleep_range(VMQSIM_PORT_POLL_US, 2 * VMQSIM_PORT_POLL_US);
		}
		cond_resched();
	}
	/* What a full ring still held goes with the device. */
	while (n)
		kfree_skb(batch[--n]);
	return 0;
}

/**
 * vmqsim_port_backlog() - frames from the wire the silicon has not classified
 * @sdev: the device.
 *
 * Those in the FIFO and the batch the port's thread holds.  0 means every
 * frame that entered the FIFO is in a ring, in a guest queue pair's FIFO
 * (vmqsim_guest_backlog()) or dropped.
 *
 * Context: any.
 * Return: the number of frames.
 */
unsigned long vmqsim_port_backlog(struct vmqsim_dev *sdev)
{
	unsigned long taken = READ_ONCE(sdev->port.taken);

	/* Pairs with the smp_wmb() in vmqsim_port_thread(). */
	smp_rmb();
	return READ_ONCE(sdev->port.arrived) - taken;
}

/**
 * vmqsim_port_set_pause() - whether the NIC sends PAUSE to the partner
 * @sdev: the device.
 * @tx: send PAUSE (hold the port for a full host ring, pause the partner
 *	at a full FIFO), or drop and overrun as without flow control.
 *
 * Turning it off lets frames a full ring holds go (to be dropped if it is
 * still full) and a paused partner send again, within a poll interval.
 *
 * Context: RTNL held.
 */
void vmqsim_port_set_pause(struct vmqsim_dev *sdev, bool tx)
{
	ASSERT_RTNL();
	WRITE_ONCE(sdev->port.pause_tx, tx);
	/*
	 * An idle thread lifts a pause when it wakes.  The NIC's ethtool ops
	 * outlive the thread at both ends (vmqsim_port_init()), so it may
	 * not be there.
	 */
	if (!tx && sdev->port.thread)
		wake_up_process(sdev->port.thread);
}

/**
 * vmqsim_port_init() - the receive FIFO and the silicon's thread
 * @sdev: the device, its NIC registered, its partner not yet.
 *
 * Context: process context, without RTNL.
 *
 * Return: 0 or a negative errno, with nothing left behind.
 */
int vmqsim_port_init(struct vmqsim_dev *sdev)
{
	struct vmqsim_port *port = &sdev->port;
	struct task_struct *thread;
	int err;

	err = ptr_ring_init(&port->fifo, VMQSIM_PORT_FIFO, GFP_KERNEL);
	if (err)
		return err;
	port->idle = false;
	port->arrived = 0;
	port->taken = 0;
	thread = kthread_run(vmqsim_port_thread, sdev, "vmqsim%u-port",
			     sdev->id);
	if (IS_ERR(thread)) {
		ptr_ring_cleanup(&port->fifo, NULL);
		return PTR_ERR(thread);
	}
	/* ethtool -A, under RTNL, may already wake it. */
	rtnl_lock();
	port->thread = thread;
	rtnl_unlock();
	return 0;
}

static void vmqsim_port_drop(void *skb)
{
	kfree_skb(skb);
}

/**
 * vmqsim_port_fini() - stop the silicon's thread and drop what waits
 * @sdev: the device, its partner gone: nothing feeds the FIFO any more.
 *
 * Context: process context, without RTNL.
 * When this returns the port no longer hands frames to the classifier.
 */
void vmqsim_port_fini(struct vmqsim_dev *sdev)
{
	struct vmqsim_port *port = &sdev->port;
	struct task_struct *thread;

	/* ethtool -A, under RTNL, wakes it no more. */
	rtnl_lock();
	thread = port->thread;
	port->thread = NULL;
	rtnl_unlock();
	kthread_stop(thread);
	ptr_ring_cleanup(&port->fifo, vmqsim_port_drop);
}
