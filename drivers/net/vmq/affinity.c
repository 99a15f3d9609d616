// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: where queue pairs' interrupts run.
 *
 * Static spread: each vector gets a home CPU, NUMA-local first, chosen as
 * the online CPU with the fewest vectors of this device, and is pinned
 * there with an affinity hint (which irqbalance honours).  Existing
 * vectors are not reshuffled when another comes, so a queue's CPU is
 * stable.  An admin who writes /proc/irq/N/smp_affinity pins the vector:
 * the core notices that the affinity is no longer the one it set (an
 * irq affinity notifier tells it as the write happens; the views and
 * every move of the core look again first), keeps the admin's mask
 * across ethtool -L, link down/up and rebalancing, and never moves it; a
 * transmit vector of the queue pair follows the pin.  CPU hotplug only
 * queues work: the kernel itself moves vectors off a dying CPU, which is
 * no pin, the work then gives them new homes, and a vector whose home
 * CPU comes back before that goes home.
 *
 * The admin may confine the device's vectors to the CPUs numbered
 * [base_cpu, base_cpu + max_cpus) (devlink, Set-NetAdapterVmq's
 * -BaseProcessorNumber and -MaxProcessors): homes, and Dynamic VMQ's
 * moves, stay there while any of them is online; pins stay pins.
 */

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/slab.h>
#include "vmq_priv.h"

static enum cpuhp_state vmq_cpuhp_state;

/* Debugging (debugfs vmq/fail_cpuhp_add): this many registrations fail at
 * the step below, which nothing else can make fail, so that a test sees
 * the unwind of everything allocated before it.
 */
atomic_t vmq_fail_cpuhp_add = ATOMIC_INIT(0);

static int vmq_dev_node(const struct vmq_dev *vdev)
{
	struct device *parent = vdev->netdev->dev.parent;

	return parent ? dev_to_node(parent) : NUMA_NO_NODE;
}

/* Vectors of this device homed on each CPU, the pinned ones excluded. */
static unsigned int vmq_cpu_load(const struct vmq_dev *vdev, int cpu)
{
	unsigned int n = 0;
	u32 i;

	for (i = 0; i < vdev->caps.num_qps; i++) {
		const struct vmq_qp *qp = &vdev->qps[i];

		n += qp->irq > 0 && !qp->pinned && qp->home_cpu == cpu;
	}
	return n;
}

/* Whether @cpu is in the admin's range for the device's vectors. */
static bool vmq_cpu_in_range(const struct vmq_dev *vdev, int cpu)
{
	return (u32)cpu >= vdev->cpu_base &&
	       (!vdev->cpu_max || (u32)cpu - vdev->cpu_base < vdev->cpu_max);
}

/*
 * Whether @cpu is on its way out: its teardown began (the hotplug
 * callback), and it did not come back.  The work that the callback
 * queues may run before the kernel takes the CPU out of the online mask,
 * so cpu_online() alone would still say yes, and nothing would give its
 * vectors a new home once the kernel has moved them.
 */
static bool vmq_cpu_leaving(const struct vmq_dev *vdev, int cpu)
{
	return cpumask_test_cpu(cpu, vdev->cpus_leaving) &&
	       !cpumask_test_cpu(cpu, vdev->cpus_back);
}

/**
 * vmq_cpu_usable() - whether the device's vectors may live on @cpu
 * @vdev: the device, its mutex held.
 * @cpu: an online CPU.
 *
 * Return: false if @cpu is going offline; else true if @cpu is in the
 * admin's range, or if no CPU of that range is online and staying (then
 * any such CPU is).
 */
bool vmq_cpu_usable(const struct vmq_dev *vdev, int cpu)
{
	int c;

	if (vmq_cpu_leaving(vdev, cpu))
		return false;
	if (vmq_cpu_in_range(vdev, cpu))
		return true;
	for_each_online_cpu(c)
		if (vmq_cpu_in_range(vdev, c) && !vmq_cpu_leaving(vdev, c))
			return false;
	return true;
}

/*
 * The least used usable online CPU, preferring the device's NUMA node.
 * Called with the device mutex held.
 */
int vmq_pick_cpu(const struct vmq_dev *vdev)
{
	unsigned int load, best_load = UINT_MAX;
	int node = vmq_dev_node(vdev);
	int cpu, best = -1, pass;

	for (pass = 0; pass < 2 && best < 0; pass++) {
		for_each_online_cpu(cpu) {
			if (!vmq_cpu_usable(vdev, cpu))
				continue;
			if (!pass && node != NUMA_NO_NODE &&
			    cpu_to_node(cpu) != node)
				continue;
			load = vmq_cpu_load(vdev, cpu);
			if (load < best_load) {
				best_load = load;
				best = cpu;
			}
		}
	}
	return best >= 0 ? best : cpumask_first(cpu_online_mask);
}

/*
 * A transmit vector runs where its queue pair's vector does: the queue
 * pair's work stays on one CPU, and the policy places queue pairs.  Its
 * own home is not counted in the load: it goes with one already counted.
 */
static void vmq_qp_place_tx(struct vmq_dev *vdev, struct vmq_qp *qp)
{
	const struct cpumask *mask;

	if (qp->tx_irq <= 0)
		return;
	if (qp->pinned)
		mask = qp->pin_mask;
	else if (qp->home_cpu >= 0)
		mask = cpumask_of(qp->home_cpu);
	else
		mask = cpumask_of(vmq_pick_cpu(vdev));
	irq_set_affinity_and_hint(qp->tx_irq, mask);
}

/*
 * An admin's pin moved the vector: its hint becomes the admin's mask, so
 * that it never names a CPU the admin took the vector off; its transmit
 * vector follows, and so does the driver's transmit steering, to the CPU
 * the vector now runs on.
 */
static void vmq_qp_follow_pin(struct vmq_dev *vdev, struct vmq_qp *qp)
{
	int cpu = vmq_qp_cpu(vdev, qp->id);

	irq_update_affinity_hint(qp->irq, qp->pin_mask);
	vmq_qp_place_tx(vdev, qp);
	if (vdev->ops->qp_affinity && cpu >= 0)
		vdev->ops->qp_affinity(vdev, qp->id, cpu);
}

/* Point a vector at @cpu, hint included; record it as its home. */
int vmq_qp_move(struct vmq_dev *vdev, struct vmq_qp *qp, int cpu)
{
	int err;

	err = irq_set_affinity_and_hint(qp->irq, cpumask_of(cpu));
	if (err)
		return err;
	qp->home_cpu = cpu;
	vmq_qp_place_tx(vdev, qp);
	if (vdev->ops->qp_affinity)
		vdev->ops->qp_affinity(vdev, qp->id, cpu);
	return 0;
}

/*
 * Has the admin pinned this vector?  Its affinity is not what we set and
 * our CPU is still online (the kernel moves vectors off dying CPUs, which
 * is not a pin).  True if it is newly pinned.
 */
static bool vmq_qp_detect_pin(struct vmq_dev *vdev, struct vmq_qp *qp)
{
	const struct cpumask *mask;

	if (qp->irq <= 0 || qp->pinned || qp->home_cpu < 0 ||
	    !cpu_online(qp->home_cpu) ||
	    cpumask_test_cpu(qp->home_cpu, vdev->cpus_leaving))
		return false;
	mask = irq_get_affinity_mask(qp->irq);
	if (!mask || cpumask_equal(mask, cpumask_of(qp->home_cpu)))
		return false;
	cpumask_copy(qp->pin_mask, mask);
	qp->pinned = true;
	return true;
}

/*
 * The admin may write /proc/irq/N/smp_affinity while the vector is freed
 * (the link down): no notifier sees it, and request_irq() keeps it.  An
 * affinity other than the one the vector had when it was freed is a pin
 * then too, or a new one.  Not one the kernel chose: before the free (a
 * CPU went) it is the same as then; at the request (no CPU of it online)
 * the kernel no longer counts it as set.
 */
static void vmq_qp_detect_pin_while_down(struct vmq_qp *qp, int irq)
{
	const struct cpumask *mask = irq_get_affinity_mask(irq);
	struct irq_data *d = irq_get_irq_data(irq);

	/* A new descriptor of the same number has no affinity set either. */
	if (irq != qp->down_irq || !mask || !d || !irqd_affinity_was_set(d) ||
	    cpumask_equal(mask, qp->down_mask))
		return;
	cpumask_copy(qp->pin_mask, mask);
	qp->pinned = true;
}

/**
 * vmq_affinity_notice_pins() - notice the pins the admin made meanwhile
 * @vdev: the device, its mutex held.
 *
 * The notifier notices a pin from a work item; whatever reports or moves
 * vectors looks again first, so that it never misses one just made.  A
 * pin noticed here is one the notifier will not notice again (the vector
 * is pinned to that mask already), so everything that follows a pin
 * follows it here too.
 */
void vmq_affinity_notice_pins(struct vmq_dev *vdev)
{
	u32 i;

	lockdep_assert_held(&vdev->lock);
	for (i = 0; i < vdev->caps.num_qps; i++)
		if (vmq_qp_detect_pin(vdev, &vdev->qps[i]))
			vmq_qp_follow_pin(vdev, &vdev->qps[i]);
}

/* The longest sleep vmq_qp_notify_delay() makes, whatever the knob says. */
#define VMQ_NOTIFY_DELAY_MAX_MS	2000

/*
 * The test knob: hold the notifier back, so that a test can show that
 * whoever looks at the vectors before it does the notifier's work.
 */
static void vmq_qp_notify_delay(struct vmq_dev *vdev)
{
	u32 ms = min_t(u32, READ_ONCE(vdev->dbg_notify_delay_ms),
		       VMQ_NOTIFY_DELAY_MAX_MS);

	if (!ms)
		return;
	msleep(ms);
	atomic_inc(&vdev->dbg_notify_delays);
}

/*
 * The vector's affinity changed: the core's own move, or an admin's pin
 * (a first one, or a pinned vector pinned elsewhere), which its transmit
 * vector follows.  The kernel's own moves off a dying CPU do not notify.
 */
static void vmq_qp_affinity_notify(struct irq_affinity_notify *notify,
				   const cpumask_t *mask)
{
	struct vmq_qp *qp = container_of(notify, struct vmq_qp, notify);
	struct vmq_dev *vdev = qp->vdev;
	bool moved = false;

	vmq_qp_notify_delay(vdev);
	mutex_lock(&vdev->lock);
	if (qp->irq == notify->irq) {
		if (qp->pinned && !cpumask_equal(mask, qp->pin_mask)) {
			cpumask_copy(qp->pin_mask, mask);
			moved = true;
		} else {
			moved = vmq_qp_detect_pin(vdev, qp);
		}
	}
	if (moved)
		vmq_qp_follow_pin(vdev, qp);
	mutex_unlock(&vdev->lock);
}

/* Embedded in the queue pair, which outlives every registration. */
static void vmq_qp_affinity_release(struct kref *ref)
{
}

/*
 * CPUs that came back are like any other from now on.  Those still going
 * stay in @cpus_leaving: the kernel has yet to move vectors off them.
 */
static void vmq_affinity_back(struct vmq_dev *vdev)
{
	int cpu;

	for_each_cpu(cpu, vdev->cpus_back) {
		cpumask_clear_cpu(cpu, vdev->cpus_back);
		if (cpu_online(cpu))
			cpumask_clear_cpu(cpu, vdev->cpus_leaving);
	}
}

/*
 * Notice the admin's pins, and give vectors whose home is offline, going
 * offline or out of the admin's range a new one; a vector whose home CPU
 * went and came back before that goes home.  Called with the device mutex
 * held.
 */
void vmq_affinity_refresh(struct vmq_dev *vdev)
{
	u32 i;

	vmq_affinity_notice_pins(vdev);
	for (i = 0; i < vdev->caps.num_qps; i++) {
		struct vmq_qp *qp = &vdev->qps[i];

		if (qp->irq <= 0 || qp->pinned)
			continue;
		if (qp->home_cpu < 0 || !cpu_online(qp->home_cpu) ||
		    !vmq_cpu_usable(vdev, qp->home_cpu)) {
			/* Its old home must not count as a load any more. */
			qp->home_cpu = -1;
			vmq_qp_move(vdev, qp, vmq_pick_cpu(vdev));
		} else if (cpumask_test_cpu(qp->home_cpu, vdev->cpus_back)) {
			/* Home again: undo the kernel's move off it. */
			vmq_qp_move(vdev, qp, qp->home_cpu);
		}
	}
	vmq_affinity_back(vdev);
}

/**
 * vmq_qp_set_irq() - tell the core which irq serves a queue pair
 * @vdev: the vmq device.
 * @qp: queue pair index.
 * @irq: its Linux irq number, after request_irq(); or 0 before free_irq().
 *
 * The core sets the vector's affinity and hint: the admin's pinned mask if
 * there is one, else a home CPU from the spread, and an irq affinity
 * notifier, to notice an admin's pin as it is made; the vector must have
 * no other notifier (no irq_cpu_rmap).  Passing 0 clears the hint and the
 * notifier, as free_irq() requires, and remembers an admin's pin.
 *
 * Context: process context, may sleep; not with the device mutex held.
 */
void vmq_qp_set_irq(struct vmq_dev *vdev, u32 qp, int irq)
{
	struct vmq_qp *q = &vdev->qps[qp];
	int old = READ_ONCE(q->irq);
	const struct cpumask *mask;

	/* Its callback takes the mutex: this waits for it, so not under it. */
	if (irq <= 0 && old > 0)
		irq_set_affinity_notifier(old, NULL);
	mutex_lock(&vdev->lock);
	if (irq > 0) {
		vmq_qp_detect_pin_while_down(q, irq);
		WRITE_ONCE(q->irq, irq);
		if (q->pinned) {
			irq_set_affinity(irq, q->pin_mask);
			vmq_qp_follow_pin(vdev, q);
		} else {
			vmq_qp_move(vdev, q, vmq_pick_cpu(vdev));
		}
	} else if (q->irq > 0) {
		vmq_qp_detect_pin(vdev, q);
		irq_update_affinity_hint(q->irq, NULL);
		mask = irq_get_affinity_mask(q->irq);
		q->down_irq = mask ? q->irq : 0;
		if (mask)
			cpumask_copy(q->down_mask, mask);
		WRITE_ONCE(q->irq, 0);
		q->home_cpu = -1;
	}
	mutex_unlock(&vdev->lock);
	if (irq > 0) {
		q->vdev = vdev;
		q->notify.notify = vmq_qp_affinity_notify;
		q->notify.release = vmq_qp_affinity_release;
		/* Without it, pins are still noticed, at the next look. */
		if (irq_set_affinity_notifier(irq, &q->notify))
			netdev_warn(vdev->netdev, "vmq: queue pair %u: no affinity notifier for irq %d\n",
				    qp, irq);
	}
}
EXPORT_SYMBOL_GPL(vmq_qp_set_irq);

/**
 * vmq_qp_set_tx_irq() - tell the core which irq serves a queue pair's
 *	transmit completions
 * @vdev: the vmq device.
 * @qp: queue pair index.
 * @irq: its Linux irq number, after request_irq(); or 0 before free_irq().
 *
 * For hardware that gives a queue pair's transmit completions a vector of
 * their own (one vector per virtqueue of a virtio queue pair).  The core
 * sets its affinity and hint: where the queue pair's own vector is (the
 * admin's pinned mask, or its home CPU; a CPU from the spread while it
 * has none), and again whenever the core moves the queue pair.  Passing 0
 * clears the hint, as free_irq() requires.
 *
 * Context: the device mutex held: from &struct vmq_guest_hw_ops.qp_start
 * or qp_stop.
 */
void vmq_qp_set_tx_irq(struct vmq_dev *vdev, u32 qp, int irq)
{
	struct vmq_qp *q = &vdev->qps[qp];

	lockdep_assert_held(&vdev->lock);
	if (irq > 0) {
		WRITE_ONCE(q->tx_irq, irq);
		vmq_qp_place_tx(vdev, q);
	} else if (q->tx_irq > 0) {
		irq_update_affinity_hint(q->tx_irq, NULL);
		WRITE_ONCE(q->tx_irq, 0);
	}
}
EXPORT_SYMBOL_GPL(vmq_qp_set_tx_irq);

/**
 * vmq_qp_cpu() - the CPU a queue pair's vector runs on
 * @vdev: the vmq device.
 * @qp: queue pair index.
 *
 * For XPS and the like.
 *
 * Return: the first CPU of the vector's effective affinity, its home CPU
 * if that is not known yet, or -1 without a vector.
 */
int vmq_qp_cpu(const struct vmq_dev *vdev, u32 qp)
{
	const struct vmq_qp *q = &vdev->qps[qp];
	const struct cpumask *mask;
	int irq = READ_ONCE(q->irq);

	if (irq <= 0)
		return -1;
	mask = irq_get_effective_affinity_mask(irq);
	if (mask && !cpumask_empty(mask))
		return cpumask_first(mask);
	return READ_ONCE(q->home_cpu);
}
EXPORT_SYMBOL_GPL(vmq_qp_cpu);

static void vmq_affinity_work(struct work_struct *work)
{
	struct vmq_dev *vdev = container_of(work, struct vmq_dev,
					    affinity_work);

	mutex_lock(&vdev->lock);
	vmq_affinity_refresh(vdev);
	mutex_unlock(&vdev->lock);
}

/* Hotplug callbacks must not take the device mutex: paths holding it
 * call into code that takes the hotplug lock.  Defer instead, noting
 * which CPU went or came (atomic bit operations) for the work.
 */
static int vmq_cpu_online(unsigned int cpu, struct hlist_node *node)
{
	struct vmq_dev *vdev = hlist_entry_safe(node, struct vmq_dev,
						cpuhp_node);

	if (cpumask_test_cpu(cpu, vdev->cpus_leaving))
		cpumask_set_cpu(cpu, vdev->cpus_back);
	schedule_work(&vdev->affinity_work);
	return 0;
}

static int vmq_cpu_offline(unsigned int cpu, struct hlist_node *node)
{
	struct vmq_dev *vdev = hlist_entry_safe(node, struct vmq_dev,
						cpuhp_node);

	cpumask_clear_cpu(cpu, vdev->cpus_back);
	cpumask_set_cpu(cpu, vdev->cpus_leaving);
	schedule_work(&vdev->affinity_work);
	return 0;
}

int vmq_affinity_dev_init(struct vmq_dev *vdev)
{
	int err = -ENOMEM;
	u32 i = 0;

	INIT_WORK(&vdev->affinity_work, vmq_affinity_work);
	if (!zalloc_cpumask_var(&vdev->cpus_leaving, GFP_KERNEL))
		return -ENOMEM;
	if (!zalloc_cpumask_var(&vdev->cpus_back, GFP_KERNEL))
		goto err_free;
	for (i = 0; i < vdev->caps.num_qps; i++) {
		vdev->qps[i].home_cpu = -1;
		if (!zalloc_cpumask_var(&vdev->qps[i].pin_mask, GFP_KERNEL))
			goto err_free;
		if (!zalloc_cpumask_var(&vdev->qps[i].down_mask, GFP_KERNEL)) {
			free_cpumask_var(vdev->qps[i].pin_mask);
			goto err_free;
		}
	}
	/* On failure vmq_affinity_dev_fini() never runs: free them here. */
	if (atomic_add_unless(&vmq_fail_cpuhp_add, -1, 0))
		err = -ENOMEM;
	else
		err = cpuhp_state_add_instance_nocalls(vmq_cpuhp_state,
						       &vdev->cpuhp_node);
	if (err)
		goto err_free;
	return 0;

err_free:
	while (i--) {
		free_cpumask_var(vdev->qps[i].down_mask);
		free_cpumask_var(vdev->qps[i].pin_mask);
	}
	free_cpumask_var(vdev->cpus_back);
	free_cpumask_var(vdev->cpus_leaving);
	return err;
}

void vmq_affinity_dev_fini(struct vmq_dev *vdev)
{
	u32 i;

	cpuhp_state_remove_instance_nocalls(vmq_cpuhp_state, &vdev->cpuhp_node);
	cancel_work_sync(&vdev->affinity_work);
	for (i = 0; i < vdev->caps.num_qps; i++) {
		free_cpumask_var(vdev->qps[i].down_mask);
		free_cpumask_var(vdev->qps[i].pin_mask);
	}
	free_cpumask_var(vdev->cpus_back);
	free_cpumask_var(vdev->cpus_leaving);
}

int vmq_affinity_init(void)
{
	int ret;

	ret = cpuhp_setup_state_multi(CPUHP_AP_ONLINE_DYN, "net/vmq:online",
				      vmq_cpu_online, vmq_cpu_offline);
	if (ret < 0)
		return ret;
	vmq_cpuhp_state = ret;
	return 0;
}

void vmq_affinity_exit(void)
{
	cpuhp_remove_multi_state(vmq_cpuhp_state);
}
