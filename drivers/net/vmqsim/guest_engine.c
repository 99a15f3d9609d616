// SPDX-License-Identifier: GPL-2.0
/*
 * vmqsim: the thread a guest queue pair's engine runs on, and its join
 * of the owner's cgroups.  The engine's work is the VMM's: it runs on a
 * kthread worker of its own that sits in the VMM's cgroups (vhost's
 * model), so a guest ringing doorbells over and over spends its VMM's
 * CPU quota, not the host's.
 */

#include <linux/cgroup.h>
#include <linux/kthread.h>
#include <linux/refcount.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include "guest.h"

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

/* Drop a hold on @a (none if NULL); the last one frees it. */
void vmqsim_guest_attach_put(struct vmqsim_guest_attach *a)
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

/*
 * The engine's thread: the one kept from the queue's last run, or a new
 * one charged to the owner.  A kept thread stays in the cgroups it
 * joined, whoever starts the queue, until the owner lets the queue pair
 * go (vmqsim_guest_release()), as vhost's worker stays its owner's: so a
 * guest that stops and starts its queues, or a VMM's processes that take
 * turns at it, create no thread and move none between cgroups (joining
 * takes the cgroup lock, which every fork and exit on the host waits for).
 */
int vmqsim_guest_engine_create(struct vmqsim_guest *gq)
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

/* Run the engine; false if a pass was already due. */
bool vmqsim_guest_engine_queue(struct vmqsim_guest *gq)
{
	return kthread_queue_work(gq->engine, &gq->work);
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
