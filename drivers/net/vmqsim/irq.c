// SPDX-License-Identifier: GPL-2.0
/*
 * vmqsim: simulated MSI-X.
 *
 * Each device owns an irq domain with one vector per queue pair (hwirq N
 * serves queue pair N) plus a misc vector (hwirq QUEUE_PAIRS), requested
 * from ndo_open to ndo_stop, and a transmit vector per queue pair (hwirq
 * QUEUE_PAIRS + 1 + N), requested only while a virtio queue pair runs: a
 * virtio device has a vector per virtqueue, and the receive virtqueue's
 * is the queue pair's own.  They are real Linux irqs: they show in
 * /proc/interrupts, take affinity writes, and a "message" runs the flow
 * handler on the CPU the effective affinity names, through an
 * asynchronous cross-CPU call with interrupts off.
 *
 * A queue pair's vector knows nothing of its user: whoever runs the
 * queue pair attaches a &struct vmqsim_vector_user, whose handler the
 * message calls and whose pending count moderation and re-arming read.
 *
 * Queue pair vectors auto-mask: the first raise after an unmask sends
 * the message (when moderation says it is due: see vmqsim_irq_raise());
 * further raises only find the vector masked.  The user unmasks when
 * its handler's work is done, and the vector raises again if completions
 * arrived meanwhile, so none waits for an interrupt that never comes.
 */

#include <linux/cpumask.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/slab.h>
#include "vmqsim.h"

static void vmqsim_irq_chip_noop(struct irq_data *d)
{
}

static int vmqsim_irq_chip_set_affinity(struct irq_data *d,
					const struct cpumask *mask, bool force)
{
	unsigned int cpu = cpumask_first_and(mask, cpu_online_mask);

	if (cpu >= nr_cpu_ids)
		return -EINVAL;
	/* Like an MSI-X message: delivered to exactly one CPU of the mask. */
	irq_data_update_effective_affinity(d, cpumask_of(cpu));
	return IRQ_SET_MASK_OK;
}

static const struct irq_chip vmqsim_irq_chip = {
	.name			= "vmqsim-msix",
	.irq_mask		= vmqsim_irq_chip_noop,
	.irq_unmask		= vmqsim_irq_chip_noop,
	.irq_set_affinity	= vmqsim_irq_chip_set_affinity,
};

static int vmqsim_irq_domain_map(struct irq_domain *d, unsigned int virq,
				 irq_hw_number_t hwirq)
{
	irq_set_chip_and_handler(virq, &vmqsim_irq_chip, handle_simple_irq);
	irq_set_chip_data(virq, d->host_data);
	/*
	 * No ack ever runs irq_move_irq() for this chip: without the flag an
	 * affinity write would stay pending for good.
	 */
	irq_set_status_flags(virq, IRQ_MOVE_PCNTXT);
	return 0;
}

static const struct irq_domain_ops vmqsim_irq_domain_ops = {
	.map	= vmqsim_irq_domain_map,
};

static bool vmqsim_vector_is_misc(const struct vmqsim_vector *vec)
{
	return vec->hwirq == vec->sdev->num_qps;
}

/**
 * vmqsim_irq_tx_hwirq() - the transmit vector of a queue pair
 * @sdev: the device.
 * @qp: the queue pair.
 *
 * Return: its hwirq, for the vmqsim_irq_*() calls that take one.
 */
u32 vmqsim_irq_tx_hwirq(const struct vmqsim_dev *sdev, u32 qp)
{
	return sdev->num_qps + 1 + qp;
}

/* The message arrives: runs on the target CPU with interrupts off. */
static void vmqsim_vector_deliver(void *info)
{
	struct vmqsim_vector *vec = info;

	generic_handle_domain_irq(vec->sdev->irqs.domain, vec->hwirq);
	/* The handler is done before the vector may be freed. */
	smp_mb__before_atomic();
	atomic_dec(&vec->inflight);
}

static unsigned int vmqsim_vector_cpu(const struct vmqsim_vector *vec)
{
	const struct cpumask *eff;
	unsigned int cpu;

	eff = irq_data_get_effective_affinity_mask(vec->data);
	cpu = cpumask_first_and(eff, cpu_online_mask);

	return cpu < nr_cpu_ids ? cpu : cpumask_first(cpu_online_mask);
}

/* Send the vector's message.  False if it has no handler or can't go. */
static bool vmqsim_vector_fire(struct vmqsim_vector *vec)
{
	bool sent = false;

	/* vmqsim_vectors_free() waits for this section to end. */
	rcu_read_lock();
	if (READ_ONCE(vec->requested)) {
		atomic_inc(&vec->inflight);
		sent = !smp_call_function_single_async(vmqsim_vector_cpu(vec),
						       &vec->csd);
		if (sent)
			atomic64_inc(&vec->fired);
		else
			atomic_dec(&vec->inflight);
	}
	rcu_read_unlock();
	return sent;
}

static void vmqsim_vector_wait(struct vmqsim_vector *vec)
{
	/* Pairs with the barrier in vmqsim_vector_deliver(). */
	while (atomic_read_acquire(&vec->inflight))
		cpu_relax();
}

/**
 * vmqsim_irq_home_cpu() - the CPU a vector starts on
 * @hwirq: vector index.
 *
 * Return: a CPU, spreading consecutive vectors over the online CPUs.
 */
unsigned int vmqsim_irq_home_cpu(u32 hwirq)
{
	return cpumask_local_spread(hwirq, NUMA_NO_NODE);
}

/**
 * vmqsim_irq_effective_cpu() - where a vector's messages go now
 * @vec: the vector.
 *
 * Return: the CPU, or -1 if the vector has no handler.
 */
int vmqsim_irq_effective_cpu(const struct vmqsim_vector *vec)
{
	return READ_ONCE(vec->requested) ? vmqsim_vector_cpu(vec) : -1;
}

/*
 * Send the message now, unless one is outstanding (masked): its handler
 * has yet to run and sees whatever raised this one.  False if no message
 * is outstanding and none could be sent (no handler).
 */
static bool vmqsim_vector_trigger(struct vmqsim_vector *vec)
{
	if (test_and_set_bit(VMQSIM_VEC_MASKED, &vec->flags))
		return true;
	if (vmqsim_vector_fire(vec))
		return true;
	clear_bit(VMQSIM_VEC_MASKED, &vec->flags);
	return false;
}

/* Completions waiting for the user's handler; 0 without a user. */
static u32 vmqsim_vector_pending(struct vmqsim_vector *vec)
{
	struct vmqsim_vector_user *user;
	u32 n = 0;

	rcu_read_lock();
	user = rcu_dereference(vec->user);
	if (user && user->pending)
		n = user->pending(user);
	rcu_read_unlock();
	return n;
}

/* The moderation delay ran out: whatever waits gets its interrupt. */
static enum hrtimer_restart vmqsim_coal_timer_fn(struct hrtimer *timer)
{
	struct vmqsim_vector *vec = container_of(timer, struct vmqsim_vector,
						 coal_timer);

	/*
	 * The timer is off its queue before the count is read: a raise
	 * that found it still queued counted before this reads.  Pairs
	 * with the smp_mb() in vmqsim_irq_raise().
	 */
	smp_mb();
	if (vmqsim_vector_pending(vec))
		vmqsim_vector_trigger(vec);
	return HRTIMER_NORESTART;
}

/**
 * vmqsim_irq_raise() - the silicon raises a vector
 * @sdev: the device.
 * @hwirq: the vector: a queue pair's own (its index) or its transmit
 *	vector (vmqsim_irq_tx_hwirq()), whose queue pair just completed a
 *	descriptor.
 *
 * Interrupt moderation, as the core's settings for the queue say: the
 * message goes at once when rx_frames completions wait (or rx_usecs is
 * 0), else a timer sends it rx_usecs after the first waiting one; a
 * transmit vector goes by tx_frames and tx_usecs.
 */
void vmqsim_irq_raise(struct vmqsim_dev *sdev, u32 hwirq)
{
	struct vmqsim_vector *vec = &sdev->irqs.vectors[hwirq];
	struct vmq_coalesce coal;
	u32 usecs, frames;

	/*
	 * The completed descriptor is visible before the hold and mask
	 * checks; pairs with the barriers in vmqsim_irq_unmask() and
	 * vmqsim_irq_set_hold(), which look at the ring after clearing.
	 */
	smp_mb();
	if (READ_ONCE(vec->hold) || test_bit(VMQSIM_VEC_MASKED, &vec->flags))
		return;
	vmq_qp_get_coalesce(sdev->vdev, vec->qp, &coal);
	usecs = vec->tx ? coal.tx_usecs : coal.rx_usecs;
	frames = vec->tx ? coal.tx_frames : coal.rx_frames;
	if (!usecs || vmqsim_vector_pending(vec) >= frames) {
		vmqsim_vector_trigger(vec);
		return;
	}
	/*
	 * Queued: it fires in time for this completion too.  Not queued,
	 * even if its callback runs right now (which may have looked at
	 * the count already): start it again.
	 */
	if (!hrtimer_is_queued(&vec->coal_timer))
		hrtimer_start(&vec->coal_timer,
			      ns_to_ktime(usecs * NSEC_PER_USEC),
			      HRTIMER_MODE_REL);
}

/**
 * vmqsim_irq_unmask() - re-arm a queue pair's vector, raising if work waits
 * @sdev: the device.
 * @qp: the queue pair; called by its user once its handler's work is
 *	done (the NAPI poll, when it completed).
 */
void vmqsim_irq_unmask(struct vmqsim_dev *sdev, u32 qp)
{
	struct vmqsim_vector *vec = &sdev->irqs.vectors[qp];

	clear_bit(VMQSIM_VEC_MASKED, &vec->flags);
	/* Pairs with the smp_mb() in vmqsim_irq_raise(). */
	smp_mb__after_atomic();
	if (vmqsim_vector_pending(vec))
		vmqsim_irq_raise(sdev, qp);
}

/**
 * vmqsim_irq_rearm() - re-arm a vector
 * @sdev: the device.
 * @hwirq: the vector, as for vmqsim_irq_raise().
 *
 * For a user that looks at its work only after re-arming (the vector's
 * next raise is then never lost), and for a queue pair starting: a user
 * detached while the vector was masked never unmasked it.
 */
void vmqsim_irq_rearm(struct vmqsim_dev *sdev, u32 hwirq)
{
	clear_bit(VMQSIM_VEC_MASKED, &sdev->irqs.vectors[hwirq].flags);
}

/**
 * vmqsim_irq_attach() - give a starting queue pair's vector its user
 * @sdev: the device.
 * @hwirq: the vector, as for vmqsim_irq_raise(); its queue pair is not
 *	yet published to the silicon.
 * @user: what the vector calls back from now on.
 *
 * The vector starts unmasked.
 */
void vmqsim_irq_attach(struct vmqsim_dev *sdev, u32 hwirq,
		       struct vmqsim_vector_user *user)
{
	vmqsim_irq_rearm(sdev, hwirq);
	/* The user's state is set up before a message can find it. */
	rcu_assign_pointer(sdev->irqs.vectors[hwirq].user, user);
}

/**
 * vmqsim_irq_detach() - take a stopping queue pair's user off a vector
 * @sdev: the device.
 * @hwirq: the vector, as for vmqsim_irq_raise().
 *
 * Messages sent from now on call nobody; one being handled may still
 * use the old user until the caller's next RCU grace period, or until
 * vmqsim_irq_quiesce().
 */
void vmqsim_irq_detach(struct vmqsim_dev *sdev, u32 hwirq)
{
	RCU_INIT_POINTER(sdev->irqs.vectors[hwirq].user, NULL);
}

/**
 * vmqsim_irq_set_hold() - debugfs knob: keep a queue pair's vector quiet
 * @sdev: the device.
 * @qp: the queue pair.
 * @hold: true to stop raising, false to resume (raising if frames wait).
 *
 * Context: process context.
 */
void vmqsim_irq_set_hold(struct vmqsim_dev *sdev, u32 qp, bool hold)
{
	struct vmqsim_vector *vec = &sdev->irqs.vectors[qp];

	WRITE_ONCE(vec->hold, hold);
	if (hold)
		return;
	/* Pairs with the smp_mb() in vmqsim_irq_raise(). */
	smp_mb();
	if (!vmqsim_vector_pending(vec))
		return;
	/* Delivered on this CPU, a softirq it raises runs at local_bh_enable(). */
	local_bh_disable();
	vmqsim_irq_raise(sdev, qp);
	local_bh_enable();
}

/**
 * vmqsim_irq_raise_moderated() - raise a vector, if it has a handler
 * @sdev: the device.
 * @hwirq: the vector, as for vmqsim_irq_raise(), whose user counts its
 *	completions in @pending.
 *
 * vmqsim_irq_raise(), for a user that must tell its owner by itself when
 * no handler will (a guest queue pair keeps running while the NIC is
 * down).  The vector may be freed at any moment: a raise that found it
 * requested is over before vmqsim_irqs_free() looks for completions
 * left waiting, which it hands to the user's handler then.
 *
 * Return: true if the vector (or its freeing) will call the handler,
 * false if it has none (the NIC is down): the caller notifies by itself.
 */
bool vmqsim_irq_raise_moderated(struct vmqsim_dev *sdev, u32 hwirq)
{
	struct vmqsim_vector *vec = &sdev->irqs.vectors[hwirq];
	bool requested;

	/* vmqsim_vectors_free() waits for this section to end. */
	rcu_read_lock();
	requested = READ_ONCE(vec->requested);
	if (requested) {
		vmqsim_dbg_delay(&sdev->dbg_raise_delay_us);
		vmqsim_irq_raise(sdev, hwirq);
	}
	rcu_read_unlock();
	return requested;
}

/**
 * vmqsim_irq_quiesce() - wait until a vector is quiet
 * @sdev: the device.
 * @hwirq: the vector, as for vmqsim_irq_raise(), which nobody raises
 *	any more.
 *
 * On return no message of it is in flight or being handled.
 */
void vmqsim_irq_quiesce(struct vmqsim_dev *sdev, u32 hwirq)
{
	vmqsim_vector_wait(&sdev->irqs.vectors[hwirq]);
}

/**
 * vmqsim_irq_raise_misc() - raise the misc vector (link state changed)
 * @sdev: the device.
 */
void vmqsim_irq_raise_misc(struct vmqsim_dev *sdev)
{
	vmqsim_vector_fire(&sdev->irqs.vectors[sdev->num_qps]);
}

static irqreturn_t vmqsim_qp_isr(int irq, void *data)
{
	struct vmqsim_vector *vec = data;
	struct vmqsim_vector_user *user;

	if (vec->tx)
		vmq_qp_count_tx_irq(vec->sdev->vdev, vec->qp);
	else
		vmq_qp_count_irq(vec->sdev->vdev, vec->qp);
	rcu_read_lock();
	user = rcu_dereference(vec->user);
	if (user)
		user->handler(user);
	rcu_read_unlock();
	return IRQ_HANDLED;
}

/* The carrier already tells the stack; the vector makes the event visible. */
static irqreturn_t vmqsim_misc_isr(int irq, void *data)
{
	return IRQ_HANDLED;
}

/*
 * The misc vector's home; queue pair vectors are placed by the vmq core
 * (vmq_qp_set_irq()), which spreads them and keeps an admin's pin.  The
 * affinity is set on the first request only: the irq lives as long as the
 * device, so a CPU the admin chose since survives down and up.
 */
static int vmqsim_vector_place(struct vmqsim_vector *vec)
{
	const struct cpumask *home = cpumask_of(vmqsim_irq_home_cpu(vec->hwirq));
	int err;

	if (vec->placed)
		return irq_update_affinity_hint(vec->virq, home);
	err = irq_set_affinity_and_hint(vec->virq, home);
	vec->placed = !err;
	return err;
}

static int vmqsim_vector_request(struct vmqsim_vector *vec)
{
	struct vmqsim_dev *sdev = vec->sdev;
	bool misc = vmqsim_vector_is_misc(vec);
	int err;

	if (misc)
		snprintf(vec->name, sizeof(vec->name), "%s-misc",
			 netdev_name(sdev->nic));
	else
		snprintf(vec->name, sizeof(vec->name), "%s-qp%u",
			 netdev_name(sdev->nic), vec->hwirq);
	err = request_irq(vec->virq, misc ? vmqsim_misc_isr : vmqsim_qp_isr,
			  0, vec->name, vec);
	if (err)
		goto err_out;
	if (misc) {
		err = vmqsim_vector_place(vec);
		if (err)
			goto err_free_irq;
	} else {
		vmq_qp_set_irq(sdev->vdev, vec->hwirq, vec->virq);
	}
	WRITE_ONCE(vec->requested, true);
	return 0;

err_free_irq:
	free_irq(vec->virq, vec);
err_out:
	netdev_err(sdev->nic, "cannot set up vector %s (irq %u): %d\n",
		   vec->name, vec->virq, err);
	return err;
}

/*
 * A vector going away with completions waiting (its moderation timer
 * cancelled, its message refused): its user hears of them now, as the
 * vector's last call.  Only users that outlive the vector (guest queue
 * pairs) are still attached here.
 */
static void vmqsim_vector_flush(struct vmqsim_vector *vec)
{
	struct vmqsim_vector_user *user;

	rcu_read_lock();
	user = rcu_dereference(vec->user);
	if (user && user->pending && user->pending(user)) {
		local_bh_disable();
		user->handler(user);
		local_bh_enable();
	}
	rcu_read_unlock();
}

/* Free vectors [0, @count), which are requested. */
static void vmqsim_vectors_free(struct vmqsim_dev *sdev, u32 count)
{
	struct vmqsim_vector *vec;
	u32 i;

	for (i = 0; i < count; i++)
		WRITE_ONCE(sdev->irqs.vectors[i].requested, false);
	/* Whoever saw a vector requested has sent its message by now... */
	synchronize_net();
	for (i = 0; i < count; i++) {
		vec = &sdev->irqs.vectors[i];
		/* ...and the message has been handled. */
		hrtimer_cancel(&vec->coal_timer);
		vmqsim_vector_wait(vec);
		vmqsim_vector_flush(vec);
		if (!vmqsim_vector_is_misc(vec))
			vmq_qp_set_irq(sdev->vdev, vec->hwirq, 0);
		irq_update_affinity_hint(vec->virq, NULL);
		free_irq(vec->virq, vec);
	}
}

/**
 * vmqsim_irqs_request() - install the driver's handlers on every vector
 * @sdev: the device; called from ndo_open.
 *
 * Return: 0, or a negative errno with no vector requested.
 */
int vmqsim_irqs_request(struct vmqsim_dev *sdev)
{
	int err;
	u32 i;

	for (i = 0; i < sdev->irqs.count; i++) {
		err = vmqsim_vector_request(&sdev->irqs.vectors[i]);
		if (err) {
			vmqsim_vectors_free(sdev, i);
			return err;
		}
	}
	return 0;
}

/**
 * vmqsim_irqs_free() - undo vmqsim_irqs_request()
 * @sdev: the device; called from ndo_stop, after every queue pair stopped.
 */
void vmqsim_irqs_free(struct vmqsim_dev *sdev)
{
	vmqsim_vectors_free(sdev, sdev->irqs.count);
}

/**
 * vmqsim_irq_tx_request() - install the handler on a queue pair's
 *	transmit vector
 * @sdev: the device.
 * @qp: the queue pair, starting.
 *
 * The core places it with the queue pair (vmq_qp_set_tx_irq()).
 * Context: the core's device mutex held (a guest queue pair's start).
 * Return: 0 or request_irq()'s error.
 */
int vmqsim_irq_tx_request(struct vmqsim_dev *sdev, u32 qp)
{
	struct vmqsim_vector *vec;
	int err;

	vec = &sdev->irqs.vectors[vmqsim_irq_tx_hwirq(sdev, qp)];
	snprintf(vec->name, sizeof(vec->name), "%s-qp%u-tx",
		 netdev_name(sdev->nic), qp);
	err = request_irq(vec->virq, vmqsim_qp_isr, 0, vec->name, vec);
	if (err) {
		netdev_err(sdev->nic, "cannot set up vector %s (irq %u): %d\n",
			   vec->name, vec->virq, err);
		return err;
	}
	vmq_qp_set_tx_irq(sdev->vdev, qp, vec->virq);
	WRITE_ONCE(vec->requested, true);
	return 0;
}

/**
 * vmqsim_irq_tx_free() - undo vmqsim_irq_tx_request()
 * @sdev: the device.
 * @qp: the queue pair, stopping: its user detached and nobody raises
 *	the vector any more.
 *
 * Completions the vector had yet to signal are left to the user's owner.
 * Context: the core's device mutex held; sleeps.
 */
void vmqsim_irq_tx_free(struct vmqsim_dev *sdev, u32 qp)
{
	struct vmqsim_vector *vec;

	vec = &sdev->irqs.vectors[vmqsim_irq_tx_hwirq(sdev, qp)];
	if (!vec->requested)
		return;
	WRITE_ONCE(vec->requested, false);
	/*
	 * As in vmqsim_vectors_free(): raises, then messages, are over.
	 * A guest's stop, at the guest's rate: never expedited (see
	 * __vmqsim_guest_stop()).
	 */
	synchronize_rcu();
	hrtimer_cancel(&vec->coal_timer);
	vmqsim_vector_wait(vec);
	vmq_qp_set_tx_irq(sdev->vdev, qp, 0);
	free_irq(vec->virq, vec);
}

static void vmqsim_vectors_dispose(struct vmqsim_dev *sdev, u32 count)
{
	while (count--)
		irq_dispose_mapping(sdev->irqs.vectors[count].virq);
}

/**
 * vmqsim_irqs_init() - create the device's irq domain and its vectors
 * @sdev: the device.
 *
 * Return: 0 or a negative errno, with nothing left behind.
 */
int vmqsim_irqs_init(struct vmqsim_dev *sdev)
{
	struct vmqsim_irqs *irqs = &sdev->irqs;
	struct vmqsim_vector *vec;
	int err = -ENOMEM;
	u32 i;

	irqs->count = sdev->num_qps + 1;
	irqs->total = 2 * sdev->num_qps + 1;
	irqs->vectors = kcalloc(irqs->total, sizeof(*irqs->vectors),
				GFP_KERNEL);
	if (!irqs->vectors)
		goto err_out;
	irqs->fwnode = irq_domain_alloc_named_fwnode(dev_name(&sdev->dev));
	if (!irqs->fwnode)
		goto err_free_vectors;
	irqs->domain = irq_domain_create_linear(irqs->fwnode, irqs->total,
						&vmqsim_irq_domain_ops, sdev);
	if (!irqs->domain)
		goto err_free_fwnode;
	for (i = 0; i < irqs->total; i++) {
		vec = &irqs->vectors[i];
		vec->sdev = sdev;
		vec->hwirq = i;
		vec->tx = i > sdev->num_qps;
		vec->qp = vec->tx ? i - sdev->num_qps - 1 : i;
		INIT_CSD(&vec->csd, vmqsim_vector_deliver, vec);
		hrtimer_init(&vec->coal_timer, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL);
		vec->coal_timer.function = vmqsim_coal_timer_fn;
		vec->virq = irq_create_mapping(irqs->domain, i);
		if (!vec->virq)
			goto err_dispose_mappings;
		/* Per message, irq_to_desc() is a maple tree walk. */
		vec->data = irq_get_irq_data(vec->virq);
	}
	return 0;

err_dispose_mappings:
	vmqsim_vectors_dispose(sdev, i);
	irq_domain_remove(irqs->domain);
err_free_fwnode:
	irq_domain_free_fwnode(irqs->fwnode);
err_free_vectors:
	kfree(irqs->vectors);
err_out:
	dev_err(&sdev->dev, "cannot create irq domain: %d\n", err);
	return err;
}

/**
 * vmqsim_irqs_fini() - undo vmqsim_irqs_init()
 * @sdev: the device, its netdevs gone.
 */
void vmqsim_irqs_fini(struct vmqsim_dev *sdev)
{
	struct vmqsim_irqs *irqs = &sdev->irqs;
	u32 i;

	for (i = 0; i < irqs->total; i++) {
		hrtimer_cancel(&irqs->vectors[i].coal_timer);
		vmqsim_vector_wait(&irqs->vectors[i]);
	}
	/*
	 * A message's last instructions may still run, with interrupts off,
	 * after its count dropped: let every CPU pass a quiescent state
	 * before the vectors (and maybe this module's code) go.
	 */
	synchronize_rcu();
	vmqsim_vectors_dispose(sdev, irqs->total);
	irq_domain_remove(irqs->domain);
	irq_domain_free_fwnode(irqs->fwnode);
	kfree(irqs->vectors);
	irqs->vectors = NULL;
}
