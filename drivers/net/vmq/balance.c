// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: Dynamic VMQ, a rebalancer for queue pairs' vectors.
 *
 * Off by default ("ethtool --set-priv-flags DEV dynamic-vmq on").  Every
 * VMQ_BALANCE_MS it measures each queue pair's load (frames received and
 * sent) and each CPU's (the sum over the vectors it serves), then makes at
 * most one move:
 *
 *  - spread: when the busiest CPU carries at least two busy queues and
 *    more than twice the load of the least busy CPU, for two periods in a
 *    row, the queue that best evens the two out moves there;
 *  - pack: a queue idle for VMQ_BALANCE_IDLE_TICKS periods moves to the
 *    CPU that already holds the most idle queues, if that CPU is not busy,
 *    so idle queues stop waking many CPUs.
 *
 * A VM's queue pairs (a vport of several: an offloaded macvlan's with
 * macvlan_queues, a VFIO device's with RSS) are one unit where that
 * helps: they are packed together, all of them once all are idle, never
 * one while another of them is busy; and a spread prefers to move a
 * queue that shares its CPU with another of its VM's, to a CPU holding
 * none of them, since RSS over queues on one CPU spreads nothing.
 *
 * Hysteresis keeps it from flapping: a moved queue rests for
 * VMQ_BALANCE_REST_TICKS periods, and a steady, even load causes no move.
 * It never touches a vector the admin pinned, and moves only to CPUs in
 * the admin's range (devlink base_cpu, max_cpus).  Each move is logged
 * and listed in debugfs ("moves").
 */

#include <linux/interrupt.h>
#include <linux/slab.h>
#include "vmq_priv.h"

#define VMQ_BALANCE_MS		500
#define VMQ_BALANCE_IDLE	8	/* frames per period: "idle" below */
/* Frames per period: "busy" at or above; vmq_dev.bal_busy starts here. */
#define VMQ_BALANCE_BUSY	64
#define VMQ_BALANCE_IDLE_TICKS	4
#define VMQ_BALANCE_REST_TICKS	4

struct vmq_balance_view {
	u64 *qp_load;
	u64 *cpu_load;
	unsigned int *cpu_busy;
	unsigned int *cpu_idle;
};

static bool vmq_balance_movable(const struct vmq_qp *qp)
{
	return qp->irq > 0 && !qp->pinned && qp->state == VMQ_QP_RUNNING &&
	       !qp->bal.rest && qp->home_cpu >= 0;
}

/* Busy and idle must not overlap, whatever the knob says. */
static u64 vmq_balance_busy(const struct vmq_dev *vdev)
{
	return max_t(u64, READ_ONCE(vdev->bal_busy), VMQ_BALANCE_IDLE);
}

static void vmq_balance_measure(struct vmq_dev *vdev,
				struct vmq_balance_view *v)
{
	u64 rxp, rxb, txp, txb, total, busy = vmq_balance_busy(vdev);
	u32 i;

	for (i = 0; i < vdev->caps.num_qps; i++) {
		struct vmq_qp *qp = &vdev->qps[i];
		int cpu = vmq_qp_cpu(vdev, i);

		vmq_qp_read_stats(qp, &rxp, &rxb, &txp, &txb);
		total = rxp + txp;
		v->qp_load[i] = total - qp->bal.last_frames;
		qp->bal.last_frames = total;
		if (qp->bal.rest)
			qp->bal.rest--;
		if (qp->irq <= 0 || cpu < 0 || qp->state != VMQ_QP_RUNNING)
			continue;
		v->cpu_load[cpu] += v->qp_load[i];
		if (v->qp_load[i] >= busy)
			v->cpu_busy[cpu]++;
		if (v->qp_load[i] < VMQ_BALANCE_IDLE) {
			qp->bal.idle_ticks++;
			v->cpu_idle[cpu]++;
		} else {
			qp->bal.idle_ticks = 0;
		}
	}
}

static void vmq_balance_log(struct vmq_dev *vdev, struct vmq_qp *qp,
			    int from, int to, const char *why)
{
	struct vmq_balance_move *mv;

	mv = &vdev->bal_moves[vdev->bal_nr_moves % VMQ_BALANCE_LOG];
	mv->jiffies = jiffies;
	mv->qp = qp->id;
	mv->from = from;
	mv->to = to;
	mv->why = why;
	vdev->bal_nr_moves++;
	qp->bal.moves++;
	netdev_info(vdev->netdev, "vmq: dynamic: queue pair %u irq %d cpu %d -> %d (%s)\n",
		    qp->id, qp->irq, from, to, why);
}

static bool vmq_balance_move(struct vmq_dev *vdev, struct vmq_qp *qp, int to,
			     const char *why)
{
	int from = qp->home_cpu;

	if (vmq_qp_move(vdev, qp, to))
		return false;
	qp->bal.rest = VMQ_BALANCE_REST_TICKS;
	vmq_balance_log(vdev, qp, from, to, why);
	return true;
}

/* The vport @i belongs to if it is a VM's (not the host's), else -1. */
static s64 vmq_balance_vm(struct vmq_dev *vdev, u32 i)
{
	if (vdev->qps[i].owner == VMQ_OWNER_HOST)
		return -1;
	return vmq_qp_vport(vdev, i);
}

/* Running queue pairs of @i's VM other than @i on @cpu (any CPU: -1). */
static u32 vmq_balance_siblings(struct vmq_dev *vdev, u32 i, int cpu)
{
	s64 vm = vmq_balance_vm(vdev, i);
	u32 j, n = 0;

	if (vm < 0)
		return 0;
	for (j = 0; j < vdev->caps.num_qps; j++)
		if (j != i && vdev->qps[j].state == VMQ_QP_RUNNING &&
		    vmq_balance_vm(vdev, j) == vm &&
		    (cpu < 0 || vmq_qp_cpu(vdev, j) == cpu))
			n++;
	return n;
}

/*
 * Where a spread moves @i: the least busy CPU in range holding none of
 * its VM's queues, while that is still under half of @hot's load; else
 * @cold.
 */
static int vmq_balance_target(struct vmq_dev *vdev, struct vmq_balance_view *v,
			      u32 i, int hot, int cold)
{
	int cpu, best = -1;

	if (!vmq_balance_siblings(vdev, i, cold))
		return cold;
	for_each_online_cpu(cpu) {
		if (!vmq_cpu_usable(vdev, cpu) || cpu == hot ||
		    vmq_balance_siblings(vdev, i, cpu) ||
		    2 * v->cpu_load[cpu] >= v->cpu_load[hot])
			continue;
		if (best < 0 || v->cpu_load[cpu] < v->cpu_load[best])
			best = cpu;
	}
	return best < 0 ? cold : best;
}

static bool vmq_balance_spread(struct vmq_dev *vdev,
			       struct vmq_balance_view *v)
{
	int cpu, hot = -1, cold = -1;
	struct vmq_qp *best = NULL;
	u64 gap, best_diff = U64_MAX;
	bool best_shared = false;
	u32 i;

	for_each_online_cpu(cpu) {
		if (hot < 0 || v->cpu_load[cpu] > v->cpu_load[hot])
			hot = cpu;
		if (vmq_cpu_usable(vdev, cpu) &&
		    (cold < 0 || v->cpu_load[cpu] < v->cpu_load[cold]))
			cold = cpu;
	}
	if (hot < 0 || cold < 0 || hot == cold || v->cpu_busy[hot] < 2 ||
	    v->cpu_load[hot] <= 2 * v->cpu_load[cold]) {
		vdev->bal_skew_ticks = 0;
		return false;
	}
	/* Hysteresis: the skew must last two periods. */
	if (++vdev->bal_skew_ticks < 2)
		return false;

	gap = (v->cpu_load[hot] - v->cpu_load[cold]) / 2;
	for (i = 0; i < vdev->caps.num_qps; i++) {
		struct vmq_qp *qp = &vdev->qps[i];
		bool shared;
		u64 diff;

		if (!vmq_balance_movable(qp) || vmq_qp_cpu(vdev, i) != hot ||
		    v->qp_load[i] < vmq_balance_busy(vdev))
			continue;
		diff = v->qp_load[i] > gap ? v->qp_load[i] - gap :
					     gap - v->qp_load[i];
		/* A queue sharing its CPU with its VM's goes first. */
		shared = vmq_balance_siblings(vdev, i, hot);
		if (shared > best_shared ||
		    (shared == best_shared && diff < best_diff)) {
			best_shared = shared;
			best_diff = diff;
			best = qp;
		}
	}
	if (!best)
		return false;
	vdev->bal_skew_ticks = 0;
	return vmq_balance_move(vdev, best,
				vmq_balance_target(vdev, v, best->id, hot,
						   cold),
				best_shared ? "spread vport" : "spread");
}

/* Whether every running queue pair of @i's VM has been idle long. */
static bool vmq_balance_vm_idle(struct vmq_dev *vdev, u32 i)
{
	s64 vm = vmq_balance_vm(vdev, i);
	u32 j;

	for (j = 0; vm >= 0 && j < vdev->caps.num_qps; j++)
		if (vdev->qps[j].state == VMQ_QP_RUNNING &&
		    vmq_balance_vm(vdev, j) == vm &&
		    vdev->qps[j].bal.idle_ticks < VMQ_BALANCE_IDLE_TICKS)
			return false;
	return true;
}

/* Pack all of @i's VM's movable queue pairs onto @home, as one unit. */
static bool vmq_balance_pack_vm(struct vmq_dev *vdev, u32 i, int home)
{
	s64 vm = vmq_balance_vm(vdev, i);
	bool moved = false;
	u32 j;

	for (j = 0; j < vdev->caps.num_qps; j++)
		if (vmq_balance_movable(&vdev->qps[j]) &&
		    vmq_balance_vm(vdev, j) == vm &&
		    vmq_qp_cpu(vdev, j) != home)
			moved |= vmq_balance_move(vdev, &vdev->qps[j], home,
						  "pack vport");
	return moved;
}

static bool vmq_balance_pack(struct vmq_dev *vdev, struct vmq_balance_view *v)
{
	int cpu, home = -1;
	u32 i;

	for_each_online_cpu(cpu)
		if (vmq_cpu_usable(vdev, cpu) &&
		    (home < 0 || v->cpu_idle[cpu] > v->cpu_idle[home]))
			home = cpu;
	if (home < 0 || v->cpu_busy[home])
		return false;
	for (i = 0; i < vdev->caps.num_qps; i++) {
		struct vmq_qp *qp = &vdev->qps[i];

		if (!vmq_balance_movable(qp) || vmq_qp_cpu(vdev, i) == home ||
		    qp->bal.idle_ticks < VMQ_BALANCE_IDLE_TICKS)
			continue;
		if (!vmq_balance_siblings(vdev, i, -1))
			return vmq_balance_move(vdev, qp, home, "pack");
		if (vmq_balance_vm_idle(vdev, i) &&
		    vmq_balance_pack_vm(vdev, i, home))
			return true;
	}
	return false;
}

static void vmq_balance_tick(struct vmq_dev *vdev)
{
	struct vmq_balance_view v;
	unsigned int ncpu = nr_cpu_ids;

	v.qp_load = kcalloc(vdev->caps.num_qps, sizeof(*v.qp_load), GFP_KERNEL);
	v.cpu_load = kcalloc(ncpu, sizeof(*v.cpu_load), GFP_KERNEL);
	v.cpu_busy = kcalloc(ncpu, sizeof(*v.cpu_busy), GFP_KERNEL);
	v.cpu_idle = kcalloc(ncpu, sizeof(*v.cpu_idle), GFP_KERNEL);
	if (v.qp_load && v.cpu_load && v.cpu_busy && v.cpu_idle) {
		vmq_affinity_refresh(vdev);
		vmq_balance_measure(vdev, &v);
		if (!vmq_balance_spread(vdev, &v))
			vmq_balance_pack(vdev, &v);
	}
	kfree(v.cpu_idle);
	kfree(v.cpu_busy);
	kfree(v.cpu_load);
	kfree(v.qp_load);
}

static void vmq_balance_work(struct work_struct *work)
{
	struct vmq_dev *vdev = container_of(to_delayed_work(work),
					    struct vmq_dev, bal_work);

	mutex_lock(&vdev->lock);
	if (vdev->dynamic) {
		vmq_balance_tick(vdev);
		schedule_delayed_work(&vdev->bal_work,
				      msecs_to_jiffies(VMQ_BALANCE_MS));
	}
	mutex_unlock(&vdev->lock);
}

/* Called with the device mutex held. */
void vmq_balance_set(struct vmq_dev *vdev, bool dynamic)
{
	u64 rxp, rxb, txp, txb;
	u32 i;

	if (dynamic == vdev->dynamic)
		return;
	vdev->dynamic = dynamic;
	if (!dynamic)
		return;	/* the work sees it and stops */
	for (i = 0; i < vdev->caps.num_qps; i++) {
		struct vmq_qp *qp = &vdev->qps[i];

		vmq_qp_read_stats(qp, &rxp, &rxb, &txp, &txb);
		qp->bal.last_frames = rxp + txp;
		qp->bal.idle_ticks = 0;
		qp->bal.rest = 0;
	}
	vdev->bal_skew_ticks = 0;
	schedule_delayed_work(&vdev->bal_work, msecs_to_jiffies(VMQ_BALANCE_MS));
}

void vmq_balance_dev_init(struct vmq_dev *vdev)
{
	INIT_DELAYED_WORK(&vdev->bal_work, vmq_balance_work);
	vdev->bal_busy = VMQ_BALANCE_BUSY;
}

void vmq_balance_dev_fini(struct vmq_dev *vdev)
{
	mutex_lock(&vdev->lock);
	vdev->dynamic = false;
	mutex_unlock(&vdev->lock);
	cancel_delayed_work_sync(&vdev->bal_work);
}
