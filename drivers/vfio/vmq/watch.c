// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vfio: a dying VMM ends the NIC's waits in its memory.
 *
 * The NIC reaches guest memory it has not pinned through the VMM's page
 * tables (vfio_dma_rw(), vfio_pin_pages()), holding VFIO type1's
 * container lock, and a fault there waits as long as the VMM takes to
 * serve it (its userfaultfd).  The close ends such a wait of its own
 * device's queues (vmq_vfio_release_dma()), but a killed VMM may never
 * get to the close: its files are released only once every one of its
 * threads is out, and one may wait, uninterruptibly, for the container
 * lock the NIC holds (VFIO_IOMMU_MAP_DMA), or the close of another vmq
 * device of the VMM may wait for an engine queued behind that lock.
 *
 * Nothing tells a module that a process was killed.  So while an access
 * through the page tables is in progress, a watch looks at the VMM every
 * VMQ_VFIO_WATCH_PERIOD: once it is dying (killed, exiting or exec'ing:
 * its threads are going), the watch ends the device's waits
 * (vmq_guest_qp_abort()), and no new access through the page tables
 * starts, for as long as the device stays open.  Copies through pins go
 * on: they cannot wait.
 *
 * The VMM is the task that opened the device (VFIO_GROUP_GET_DEVICE_FD):
 * a process that uses a device fd it did not open itself loses the
 * NIC's access to unpinned guest memory once the opener dies.
 */

#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include "vmq_vfio.h"

/* How long an access waits for a dying VMM's memory, at most. */
#define VMQ_VFIO_WATCH_PERIOD	(HZ / 10)

/* Its threads are being killed: a fatal signal, an exit_group, an exec. */
static bool vmq_vfio_vmm_going(struct task_struct *vmm)
{
	struct signal_struct *sig = vmm->signal;

	return (READ_ONCE(sig->flags) & SIGNAL_GROUP_EXIT) ||
	       READ_ONCE(sig->group_exec_task);
}

/**
 * vmq_vfio_vmm_dying() - is the VMM that has the device open going away?
 * @mvdev: the device, open.
 *
 * Once it has said so, it says so until the device is closed: an exec
 * clears the thread group's mark before the old memory goes, and an
 * access the watch ended must fail as the VMM's going, not the guest's
 * error.
 *
 * Return: true once the VMM's threads are being killed, or its memory
 * has no users left (it exited).
 */
bool vmq_vfio_vmm_dying(struct vmq_vfio_dev *mvdev)
{
	if (READ_ONCE(mvdev->vmm_gone))
		return true;
	if ((mvdev->mm && !atomic_read(&mvdev->mm->mm_users)) ||
	    (mvdev->vmm && vmq_vfio_vmm_going(mvdev->vmm))) {
		WRITE_ONCE(mvdev->vmm_gone, true);
		return true;
	}
	return false;
}

/**
 * vmq_vfio_watch_enter() - start an access through the VMM's page tables
 * @mvdev: the device, open.
 *
 * Arms the watch for as long as the access may wait.  Pair with
 * vmq_vfio_watch_leave() unless it fails.
 *
 * Return: 0, or -ESHUTDOWN if the VMM is dying: the access must not start.
 */
int vmq_vfio_watch_enter(struct vmq_vfio_dev *mvdev)
{
	if (vmq_vfio_vmm_dying(mvdev))
		return -ESHUTDOWN;
	atomic_inc(&mvdev->watched);
	/* A no-op while armed: at most one timer per period. */
	queue_delayed_work(system_wq, &mvdev->watch, VMQ_VFIO_WATCH_PERIOD);
	return 0;
}

/**
 * vmq_vfio_watch_leave() - an access through the page tables is over
 * @mvdev: the device.
 */
void vmq_vfio_watch_leave(struct vmq_vfio_dev *mvdev)
{
	atomic_dec(&mvdev->watched);
}

static void vmq_vfio_watch_fn(struct work_struct *work)
{
	struct vmq_vfio_dev *mvdev =
		container_of(to_delayed_work(work), struct vmq_vfio_dev, watch);
	u32 q;

	if (!atomic_read(&mvdev->watched))
		return;
	if (vmq_vfio_vmm_dying(mvdev)) {
		/* Every queue: one's access may wait behind another's. */
		for (q = 0; q < mvdev->nr_queues; q++)
			vmq_guest_qp_abort(mvdev->vdev, mvdev->qp + q);
	}
	/* An access queued behind the lock enters the memory only now. */
	queue_delayed_work(system_wq, &mvdev->watch, VMQ_VFIO_WATCH_PERIOD);
}

/**
 * vmq_vfio_watch_init() - set up the watch of a new device
 * @mvdev: the device.
 */
void vmq_vfio_watch_init(struct vmq_vfio_dev *mvdev)
{
	INIT_DELAYED_WORK(&mvdev->watch, vmq_vfio_watch_fn);
	atomic_set(&mvdev->watched, 0);
}

/**
 * vmq_vfio_watch_open() - watch the VMM opening the device
 * @mvdev: the device, being opened in the VMM's task.
 */
void vmq_vfio_watch_open(struct vmq_vfio_dev *mvdev)
{
	/* Held: its signal_struct lives as long as the task_struct. */
	mvdev->vmm = get_task_struct(current);
	WRITE_ONCE(mvdev->vmm_gone, false);
}

/**
 * vmq_vfio_watch_close() - stop watching the VMM
 * @mvdev: the device, its accesses over (vmq_vfio_release_dma()).
 */
void vmq_vfio_watch_close(struct vmq_vfio_dev *mvdev)
{
	/* It re-arms only while an access is in progress, and none is. */
	cancel_delayed_work_sync(&mvdev->watch);
	put_task_struct(mvdev->vmm);
	mvdev->vmm = NULL;
}
