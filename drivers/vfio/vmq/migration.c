// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vfio: live migration of a queue pair through VFIO migration v2.
 *
 * RUNNING, STOP, STOP_COPY and RESUMING (include/uapi/linux/vmq.h,
 * Documentation/networking/vmq.rst "Live migration").  STOP stops the
 * queue's DMA, waits for its last access to guest memory, keeps the
 * frames the NIC had not written yet and takes the MAC out of the
 * classifier; STOP_COPY serialises all of it into a stream (stream.c
 * reads and writes the format), RESUMING takes a stream and, when the
 * VMM moves on to STOP, checks it whole before anything of it is
 * applied.  A refused stream leaves the device in ERROR, with nothing
 * applied, until a reset; so does a PRE_COPY that could neither go on to
 * STOP_COPY nor run again.
 *
 * Locking: @mig_lock orders the migration states, the VMM's reset and
 * close; the register lock is taken inside it, and never while waiting
 * for guest memory (the drain at STOP), so the host admin's sysfs
 * writes never wait for a VMM.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "vmq_vfio.h"

static unsigned int fail_saves;
module_param(fail_saves, uint, 0644);
MODULE_PARM_DESC(fail_saves,
		 "debug: the next N saves of a device's state fail with ENOMEM, for tests of that (0: none)");

/* A save a test asked to fail, as an allocation that failed would. */
static bool vmq_vfio_mig_fail_save(void)
{
	unsigned int n = READ_ONCE(fail_saves);

	return n && cmpxchg(&fail_saves, n, n - 1) == n;
}

/* A segment of the device's stream (stream.c), kvmalloc()ed. */
static int vmq_vfio_mig_segment(struct vmq_vfio_dev *mvdev, bool full,
				u8 **buf, size_t *len)
{
	int err = -ENOMEM;

	if (!vmq_vfio_mig_fail_save()) {
		mutex_lock(&mvdev->lock);
		err = vmq_vfio_stream_save(mvdev, full, buf, len);
		mutex_unlock(&mvdev->lock);
	}
	if (err)
		dev_warn(mvdev->vfio.dev, "cannot save the device's state: %d\n",
			 err);
	return err;
}

static void vmq_vfio_mig_file_disable(struct vmq_vfio_mig_file *migf)
{
	mutex_lock(&migf->lock);
	migf->disabled = true;
	kvfree(migf->buf);
	migf->buf = NULL;
	migf->len = 0;
	migf->cap = 0;
	mutex_unlock(&migf->lock);
}

static int vmq_vfio_mig_release(struct inode *inode, struct file *filp)
{
	struct vmq_vfio_mig_file *migf = filp->private_data;

	kvfree(migf->buf);
	mutex_destroy(&migf->lock);
	kfree(migf);
	return 0;
}

static ssize_t vmq_vfio_mig_read(struct file *filp, char __user *buf,
				 size_t count, loff_t *ppos)
{
	struct vmq_vfio_mig_file *migf = filp->private_data;
	ssize_t done;

	if (ppos)
		return -ESPIPE;
	mutex_lock(&migf->lock);
	if (migf->disabled) {
		done = -ENODEV;
		goto out;
	}
	/* Pre-copy has sent all there is for now (uapi vfio.h). */
	if (migf->precopy && migf->pos == migf->len) {
		done = -ENOMSG;
		goto out;
	}
	done = min_t(size_t, count, migf->len - migf->pos);
	if (copy_to_user(buf, migf->buf + migf->pos, done)) {
		done = -EFAULT;
		goto out;
	}
	migf->pos += done;
out:
	mutex_unlock(&migf->lock);
	return done;
}

/* Room for @need bytes in all, at most VMQ_MIG_MAX_SIZE. */
static int vmq_vfio_mig_grow(struct vmq_vfio_mig_file *migf, size_t need)
{
	size_t cap = max_t(size_t, migf->cap, PAGE_SIZE);
	u8 *buf;

	if (need <= migf->cap)
		return 0;
	if (need > VMQ_MIG_MAX_SIZE)
		return -EFBIG;
	while (cap < need)
		cap *= 2;
	cap = min_t(size_t, cap, VMQ_MIG_MAX_SIZE);
	buf = kvzalloc(cap, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	if (migf->len)
		memcpy(buf, migf->buf, migf->len);
	kvfree(migf->buf);
	migf->buf = buf;
	migf->cap = cap;
	return 0;
}

/*
 * Each segment as soon as it is in: a stream the device cannot take is
 * refused while the source still runs.  Called with the file's lock.
 */
static int vmq_vfio_mig_check(struct vmq_vfio_mig_file *migf)
{
	struct vmq_vfio_dev *mvdev = migf->mvdev;

	if (!migf->bad) {
		mutex_lock(&mvdev->lock);
		migf->bad = vmq_vfio_stream_check(mvdev, migf->buf, migf->len,
						  &migf->checked,
						  &migf->queued);
		mutex_unlock(&mvdev->lock);
	}
	return migf->bad;
}

static ssize_t vmq_vfio_mig_write(struct file *filp, const char __user *buf,
				  size_t count, loff_t *ppos)
{
	struct vmq_vfio_mig_file *migf = filp->private_data;
	ssize_t err;

	if (ppos)
		return -ESPIPE;
	mutex_lock(&migf->lock);
	if (migf->disabled) {
		err = -ENODEV;
		goto out;
	}
	/* A refused stream stays refused, for the same reason. */
	if (migf->bad) {
		err = migf->bad;
		goto out;
	}
	if (count > VMQ_MIG_MAX_SIZE - migf->len) {
		err = -EFBIG;
		goto out;
	}
	err = vmq_vfio_mig_grow(migf, migf->len + count);
	if (err)
		goto out;
	if (copy_from_user(migf->buf + migf->len, buf, count)) {
		err = -EFAULT;
		goto out;
	}
	migf->len += count;
	err = vmq_vfio_mig_check(migf);
	if (!err)
		err = count;
out:
	mutex_unlock(&migf->lock);
	return err;
}

#ifdef VMQ_HAVE_VFIO_PRE_COPY
/* VFIO_MIG_GET_PRECOPY_INFO: what pre-copy still has to send. */
static long vmq_vfio_mig_ioctl(struct file *filp, unsigned int cmd,
			       unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_precopy_info, dirty_bytes);
	struct vmq_vfio_mig_file *migf = filp->private_data;
	struct vfio_precopy_info info;
	long err = 0;

	if (cmd != VFIO_MIG_GET_PRECOPY_INFO)
		return -ENOTTY;
	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	mutex_lock(&migf->lock);
	if (migf->disabled)
		err = -ENODEV;
	else if (!migf->precopy)
		err = -EINVAL;
	info.initial_bytes = migf->len - migf->pos;
	/* The device's state is sent whole in STOP_COPY: nothing dirties. */
	info.dirty_bytes = 0;
	mutex_unlock(&migf->lock);
	if (err)
		return err;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}
#endif

static const struct file_operations vmq_vfio_save_fops = {
	.owner		= THIS_MODULE,
	.read		= vmq_vfio_mig_read,
#ifdef VMQ_HAVE_VFIO_PRE_COPY
	.unlocked_ioctl	= vmq_vfio_mig_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
#endif
	.release	= vmq_vfio_mig_release,
};

static const struct file_operations vmq_vfio_resume_fops = {
	.owner		= THIS_MODULE,
	.write		= vmq_vfio_mig_write,
	.release	= vmq_vfio_mig_release,
};

/*
 * A data fd: one reference for the VMM's fd, one for the device until
 * the state it belongs to is left.
 */
static struct vmq_vfio_mig_file *
vmq_vfio_mig_file_new(const struct file_operations *fops, int flags)
{
	struct vmq_vfio_mig_file *migf;
	struct file *filp;

	migf = kzalloc(sizeof(*migf), GFP_KERNEL_ACCOUNT);
	if (!migf)
		return ERR_PTR(-ENOMEM);
	mutex_init(&migf->lock);
	filp = anon_inode_getfile("vmq_vfio_mig", fops, migf, flags);
	if (IS_ERR(filp)) {
		mutex_destroy(&migf->lock);
		kfree(migf);
		return ERR_CAST(filp);
	}
	stream_open(filp->f_inode, filp);
	migf->filp = filp;
	get_file(filp);
	return migf;
}

/* The state's data fd goes with it: the VMM's copy reads ENODEV. */
static void vmq_vfio_mig_files_drop(struct vmq_vfio_dev *mvdev)
{
	struct vmq_vfio_mig_file **f[] = { &mvdev->mig_save, &mvdev->mig_resume };
	int i;

	for (i = 0; i < ARRAY_SIZE(f); i++) {
		if (!*f[i])
			continue;
		vmq_vfio_mig_file_disable(*f[i]);
		fput((*f[i])->filp);
		*f[i] = NULL;
	}
}

/* RUNNING -> STOP: no DMA, frames kept, the MAC steers nothing. */
static void vmq_vfio_mig_stop(struct vmq_vfio_dev *mvdev)
{
	u32 q;

	mutex_lock(&mvdev->lock);
	mvdev->mig_stopped = true;
	for (q = 0; q < mvdev->nr_queues; q++)
		vmq_guest_qp_stop_hold(mvdev->vdev, mvdev->qp + q);
	vmq_guest_qp_match(mvdev->vdev, mvdev->qp, false);
	mutex_unlock(&mvdev->lock);
	/* Nothing is written to guest memory after STOP: wait for it. */
	vmq_vfio_release_dma(mvdev);
}

/* STOP -> RUNNING: the MAC first, so the queue never runs unsteered. */
static int vmq_vfio_mig_run(struct vmq_vfio_dev *mvdev)
{
	int err;

	mutex_lock(&mvdev->lock);
	err = vmq_guest_qp_match(mvdev->vdev, mvdev->qp, true);
	if (err) {
		vmq_guest_qp_match(mvdev->vdev, mvdev->qp, false);
		/* The VMM may ask again at once: bounded as refused streams. */
		if (__ratelimit(&mvdev->mig_log))
			dev_warn(mvdev->vfio.dev,
				 "cannot run: the queue's MAC cannot be steered to it: %d\n",
				 err);
		goto out;
	}
	if (mvdev->control & VMQ_CTRL_ENABLE)
		err = vmq_vfio_restart(mvdev);
	if (err) {
		/* Still STOP, as the VMM will see it. */
		vmq_guest_qp_match(mvdev->vdev, mvdev->qp, false);
		if (__ratelimit(&mvdev->mig_log))
			dev_warn(mvdev->vfio.dev,
				 "cannot run: the queue did not start: %d\n",
				 err);
		goto out;
	}
	mvdev->mig_stopped = false;
out:
	mutex_unlock(&mvdev->lock);
	/* A queue that started before one failed wrote to guest memory. */
	if (err)
		vmq_vfio_release_dma(mvdev);
	return err;
}

/*
 * STOP -> STOP_COPY, RUNNING -> PRE_COPY: a data fd to read the stream
 * from, with all of the stopped device, or what pre-copy sends.
 */
static struct file *vmq_vfio_mig_save(struct vmq_vfio_dev *mvdev, bool full)
{
	struct vmq_vfio_mig_file *migf;
	int err;

	migf = vmq_vfio_mig_file_new(&vmq_vfio_save_fops, O_RDONLY);
	if (IS_ERR(migf))
		return ERR_CAST(migf);
	err = vmq_vfio_mig_segment(mvdev, full, &migf->buf, &migf->len);
	if (err) {
		fput(migf->filp);
		fput(migf->filp);
		return ERR_PTR(err);
	}
	migf->cap = migf->len;
	migf->precopy = !full;
	mvdev->mig_save = migf;
	return migf->filp;
}

#ifdef VMQ_HAVE_VFIO_PRE_COPY
/* The stopped device's segment, after the pre-copy one on its fd. */
static int vmq_vfio_mig_precopy_append(struct vmq_vfio_dev *mvdev)
{
	struct vmq_vfio_mig_file *migf = mvdev->mig_save;
	size_t len;
	u8 *seg;
	int err;

	err = vmq_vfio_mig_segment(mvdev, true, &seg, &len);
	if (err)
		return err;
	mutex_lock(&migf->lock);
	err = vmq_vfio_mig_grow(migf, migf->len + len);
	if (!err) {
		memcpy(migf->buf + migf->len, seg, len);
		migf->len += len;
		migf->precopy = false;
	}
	mutex_unlock(&migf->lock);
	kvfree(seg);
	/* The segment's own failures are logged where it is made. */
	if (err)
		dev_warn(mvdev->vfio.dev, "cannot save the device's state: %d\n",
			 err);
	return err;
}

/*
 * PRE_COPY -> STOP_COPY: stop, and the rest follows on the same fd.  A
 * failed arc leaves the device where the VMM will find it, PRE_COPY,
 * which runs: it is restarted, or ERROR if it cannot be.
 */
static int vmq_vfio_mig_precopy_end(struct vmq_vfio_dev *mvdev)
{
	int err;

	vmq_vfio_mig_stop(mvdev);
	err = vmq_vfio_mig_precopy_append(mvdev);
	if (err && vmq_vfio_mig_run(mvdev))
		mvdev->mig_state = VFIO_DEVICE_STATE_ERROR;
	return err;
}
#endif

static struct file *vmq_vfio_mig_resume(struct vmq_vfio_dev *mvdev)
{
	struct vmq_vfio_mig_file *migf;

	migf = vmq_vfio_mig_file_new(&vmq_vfio_resume_fops, O_WRONLY);
	if (IS_ERR(migf))
		return ERR_CAST(migf);
	migf->mvdev = mvdev;
	mvdev->mig_resume = migf;
	return migf->filp;
}

/* RESUMING -> STOP: the whole stream checked, then applied. */
static int vmq_vfio_mig_load(struct vmq_vfio_dev *mvdev)
{
	struct vmq_vfio_mig_file *migf = mvdev->mig_resume;
	int err;

	mutex_lock(&migf->lock);
	/* A write has refused it already, and said why. */
	err = migf->bad;
	if (!err) {
		mutex_lock(&mvdev->lock);
		err = vmq_vfio_stream_load(mvdev, migf->buf, migf->len);
		mutex_unlock(&mvdev->lock);
	}
	mutex_unlock(&migf->lock);
	return err;
}

static struct file *vmq_vfio_mig_step(struct vmq_vfio_dev *mvdev,
				      enum vfio_device_mig_state next)
{
	enum vfio_device_mig_state cur = mvdev->mig_state;
	int err;

	if (cur == VFIO_DEVICE_STATE_RUNNING &&
	    next == VFIO_DEVICE_STATE_STOP) {
		vmq_vfio_mig_stop(mvdev);
		return NULL;
	}
	if (cur == VFIO_DEVICE_STATE_STOP &&
	    next == VFIO_DEVICE_STATE_RUNNING) {
		err = vmq_vfio_mig_run(mvdev);
		return err ? ERR_PTR(err) : NULL;
	}
	if (cur == VFIO_DEVICE_STATE_STOP &&
	    next == VFIO_DEVICE_STATE_STOP_COPY)
		return vmq_vfio_mig_save(mvdev, true);
#ifdef VMQ_HAVE_VFIO_PRE_COPY
	if (cur == VFIO_DEVICE_STATE_RUNNING &&
	    next == VFIO_DEVICE_STATE_PRE_COPY)
		return vmq_vfio_mig_save(mvdev, false);
	if (cur == VFIO_DEVICE_STATE_PRE_COPY &&
	    next == VFIO_DEVICE_STATE_RUNNING) {
		vmq_vfio_mig_files_drop(mvdev);
		return NULL;
	}
	if (cur == VFIO_DEVICE_STATE_PRE_COPY &&
	    next == VFIO_DEVICE_STATE_STOP_COPY) {
		err = vmq_vfio_mig_precopy_end(mvdev);
		return err ? ERR_PTR(err) : NULL;
	}
#endif
	if (cur == VFIO_DEVICE_STATE_STOP &&
	    next == VFIO_DEVICE_STATE_RESUMING)
		return vmq_vfio_mig_resume(mvdev);
	if (cur == VFIO_DEVICE_STATE_STOP_COPY &&
	    next == VFIO_DEVICE_STATE_STOP) {
		vmq_vfio_mig_files_drop(mvdev);
		return NULL;
	}
	if (cur == VFIO_DEVICE_STATE_RESUMING &&
	    next == VFIO_DEVICE_STATE_STOP) {
		err = vmq_vfio_mig_load(mvdev);
		vmq_vfio_mig_files_drop(mvdev);
		return err ? ERR_PTR(err) : NULL;
	}
	/* VFIO asks only for the arcs above, given migration_flags. */
	return ERR_PTR(-EINVAL);
}

static struct file *
vmq_vfio_mig_set_state(struct vfio_device *vfio,
		       enum vfio_device_mig_state new_state)
{
	struct vmq_vfio_dev *mvdev = vmq_vfio_from(vfio);
	enum vfio_device_mig_state next;
	struct file *res = NULL;
	int err;

	mutex_lock(&mvdev->mig_lock);
	/* Only a reset leaves ERROR; VFIO's walk warns if asked to. */
	if (mvdev->mig_state == VFIO_DEVICE_STATE_ERROR) {
		dev_warn_ratelimited(vfio->dev,
				     "migration state is ERROR: reset the device\n");
		res = ERR_PTR(-EINVAL);
		goto out;
	}
	while (mvdev->mig_state != new_state) {
		err = vfio_mig_get_next_state(vfio, mvdev->mig_state,
					      new_state, &next);
		if (err) {
			res = ERR_PTR(err);
			break;
		}
		res = vmq_vfio_mig_step(mvdev, next);
		if (IS_ERR(res)) {
			/* A refused stream: ERROR until a reset. */
			if (mvdev->mig_state == VFIO_DEVICE_STATE_RESUMING)
				mvdev->mig_state = VFIO_DEVICE_STATE_ERROR;
			break;
		}
		mvdev->mig_state = next;
		/* A data fd ends the walk: VFIO asked for that state. */
		if (res && next != new_state) {
			fput(res);
			res = ERR_PTR(-EINVAL);
			break;
		}
	}
out:
	mutex_unlock(&mvdev->mig_lock);
	return res;
}

static int vmq_vfio_mig_get_state(struct vfio_device *vfio,
				  enum vfio_device_mig_state *state)
{
	struct vmq_vfio_dev *mvdev = vmq_vfio_from(vfio);

	mutex_lock(&mvdev->mig_lock);
	*state = mvdev->mig_state;
	mutex_unlock(&mvdev->mig_lock);
	return 0;
}

#ifdef VMQ_HAVE_VFIO_MIG_DATA_SIZE
static int vmq_vfio_mig_data_size(struct vfio_device *vfio,
				  unsigned long *stop_copy_length)
{
	struct vmq_vfio_dev *mvdev = vmq_vfio_from(vfio);

	mutex_lock(&mvdev->mig_lock);
	mutex_lock(&mvdev->lock);
	*stop_copy_length = vmq_vfio_stream_size(mvdev);
	mutex_unlock(&mvdev->lock);
	mutex_unlock(&mvdev->mig_lock);
	return 0;
}
#endif

static const struct vfio_migration_ops vmq_vfio_mig_ops = {
	.migration_set_state	= vmq_vfio_mig_set_state,
	.migration_get_state	= vmq_vfio_mig_get_state,
#ifdef VMQ_HAVE_VFIO_MIG_DATA_SIZE
	.migration_get_data_size = vmq_vfio_mig_data_size,
#endif
};

/**
 * vmq_vfio_mig_reset() - back to RUNNING: the VMM's reset or close
 * @mvdev: the device.
 *
 * Data fds read ENODEV, held frames are dropped (the queue's clear, which
 * the caller does next, drops them), and the MAC steers to the queue
 * again.  Called with @mig_lock held.
 */
void vmq_vfio_mig_reset(struct vmq_vfio_dev *mvdev)
{
	int err;

	lockdep_assert_held(&mvdev->mig_lock);
	vmq_vfio_mig_files_drop(mvdev);
	mvdev->mig_state = VFIO_DEVICE_STATE_RUNNING;
	mutex_lock(&mvdev->lock);
	mvdev->mig_stopped = false;
	err = vmq_guest_qp_match(mvdev->vdev, mvdev->qp, true);
	mutex_unlock(&mvdev->lock);
	if (err && __ratelimit(&mvdev->mig_log))
		dev_warn(mvdev->vfio.dev,
			 "the queue's MAC is steered nowhere after reset: %d; set it again\n",
			 err);
}

/**
 * vmq_vfio_mig_init() - a new device offers migration, in RUNNING
 * @mvdev: the device, before it is registered.
 */
void vmq_vfio_mig_init(struct vmq_vfio_dev *mvdev)
{
	mutex_init(&mvdev->mig_lock);
	ratelimit_state_init(&mvdev->mig_log, VMQ_VFIO_MIG_LOG_INTERVAL,
			     VMQ_VFIO_MIG_LOG_BURST);
	mvdev->mig_state = VFIO_DEVICE_STATE_RUNNING;
	mvdev->vfio.migration_flags = VFIO_MIGRATION_STOP_COPY;
#ifdef VMQ_HAVE_VFIO_PRE_COPY
	mvdev->vfio.migration_flags |= VFIO_MIGRATION_PRE_COPY;
#endif
	mvdev->vfio.mig_ops = &vmq_vfio_mig_ops;
}
