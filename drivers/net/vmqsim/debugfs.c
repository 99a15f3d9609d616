// SPDX-License-Identifier: GPL-2.0
/*
 * vmqsim: the simulated hardware's state, and knobs to misbehave, in
 * /sys/kernel/debug/vmqsim/<ID>/:
 *
 *   filters	the silicon's filter table: slot mac vlan qp
 *   rings	per queue pair: published size producer consumer pool
 *   vectors	per vector: virq effective cpu, messages fired, masked, held
 *   counters	device-level counters of the silicon
 *   qp<N>/hold_irq  while set, queue pair N's vector is not raised
 *   guest_rx_delay_us	the classifier waits this long after it found a
 *			guest queue pair's engine (0: off)
 *   guest_raise_delay_us  a guest queue pair's engine waits this long
 *			before it raises its vector (0: off)
 *   guest_take_delay_us  a guest queue pair's engine waits this long
 *			after each transmit buffer it took, and after each
 *			frame it wrote into a receive buffer (0: off)
 *   guest_take_budget	receive buffers of VFIO queues the engines may
 *			still fill from their FIFOs (negative, the default:
 *			no limit); at 0 an engine waits before its next
 *			frame until this changes or its queue pair stops
 *   guest_take_waits	how often an engine began such a wait (read-only)
 *   guest_publish_delay_us  a guest queue pair's engine waits this long
 *			inside guest memory as it writes a virtqueue's used
 *			index (0: off)
 *   port_hold		Y: the receive port's thread takes no frames from
 *			the wire's FIFO, which fills up (N: off)
 *   guest_rx_fifo	Y: the classifier writes no frame straight into a
 *			guest queue pair's buffers; each goes through the
 *			queue pair's FIFO and engine (N: off)
 *
 * The delays (at most 20 ms) only widen race windows for tests.
 *
 * Tests compare what the stack asked for with what the "hardware" did.
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include "vmqsim.h"

static struct dentry *vmqsim_debugfs_root;

static int filters_show(struct seq_file *m, void *unused)
{
	struct vmqsim_dev *sdev = m->private;
	struct vmqsim_cls_entry *entry;
	u8 addr[ETH_ALEN];
	u16 vlan;
	u32 slot;

	seq_puts(m, "slot mac               vlan qp\n");
	rcu_read_lock();
	for (slot = 0; slot < sdev->num_filters; slot++) {
		entry = rcu_dereference(sdev->silicon.slots[slot]);
		if (!entry)
			continue;
		u64_to_ether_addr(entry->key >> 16, addr);
		vlan = entry->key & 0xffff;
		seq_printf(m, "%-4u %pM ", slot, addr);
		if (vlan == VMQ_VLAN_NONE)
			seq_puts(m, "-    ");
		else
			seq_printf(m, "%-4u ", vlan);
		if (entry->qp == VMQ_QP_DROP)
			seq_puts(m, "drop\n");
		else
			seq_printf(m, "%u\n", entry->qp);
	}
	rcu_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(filters);

static int rings_show(struct seq_file *m, void *unused)
{
	struct vmqsim_dev *sdev = m->private;
	struct vmqsim_ring *ring;
	u32 i;

	seq_puts(m, "qp published size producer consumer pool\n");
	rcu_read_lock();
	for (i = 0; i < sdev->num_qps; i++) {
		ring = rcu_dereference(sdev->qps[i].hw_ring);
		if (ring)
			seq_printf(m, "%-2u 1         %-4u %-8u %-8u %u\n", i,
				   ring->size, READ_ONCE(ring->head),
				   READ_ONCE(ring->tail),
				   READ_ONCE(sdev->qps[i].pool));
		else
			seq_printf(m, "%-2u 0         -    -        -        %u\n",
				   i, READ_ONCE(sdev->qps[i].pool));
	}
	rcu_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rings);

static int vectors_show(struct seq_file *m, void *unused)
{
	struct vmqsim_dev *sdev = m->private;
	struct vmqsim_vector *vec;
	char name[16];
	u32 i;

	seq_puts(m, "vector virq cpu fired masked hold\n");
	for (i = 0; i < sdev->irqs.total; i++) {
		vec = &sdev->irqs.vectors[i];
		if (i == sdev->num_qps)
			strscpy(name, "misc", sizeof(name));
		else
			snprintf(name, sizeof(name), "qp%u%s", vec->qp,
				 vec->tx ? "-tx" : "");
		seq_printf(m, "%-6s %-4u %-3d %-5lld %-6d %d\n", name, vec->virq,
			   vmqsim_irq_effective_cpu(vec),
			   atomic64_read(&vec->fired),
			   test_bit(VMQSIM_VEC_MASKED, &vec->flags),
			   READ_ONCE(vec->hold));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vectors);

static int counters_show(struct seq_file *m, void *unused)
{
	struct vmqsim_dev *sdev = m->private;
	u64 cnt[VMQSIM_CNT_MAX];
	int i;

	vmqsim_silicon_read_counters(sdev, cnt);
	for (i = 0; i < VMQSIM_CNT_MAX; i++)
		seq_printf(m, "%s: %llu\n", vmqsim_counter_names[i], cnt[i]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(counters);

/*
 * Frames from the wire the silicon still holds: in the port, or in a
 * guest queue pair's FIFO or engine.  The port is read first: a frame it
 * classified is by then in a guest queue pair's backlog, or in a ring.
 */
static int backlog_show(struct seq_file *m, void *unused)
{
	struct vmqsim_dev *sdev = m->private;
	unsigned long frames = vmqsim_port_backlog(sdev);
	struct vmqsim_guest *gq;
	u32 i;

	rcu_read_lock();
	for (i = 0; i < sdev->num_qps; i++) {
		gq = rcu_dereference(sdev->qps[i].guest);
		if (gq)
			frames += vmqsim_guest_backlog(gq);
	}
	rcu_read_unlock();
	seq_printf(m, "%lu\n", frames);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(backlog);

static int port_backlog_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "%lu\n", vmqsim_port_backlog(m->private));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(port_backlog);

static ssize_t hold_irq_read(struct file *file, char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct vmqsim_qp *qp = file->private_data;
	bool hold = READ_ONCE(qp->sdev->irqs.vectors[qp->id].hold);
	char buf[3] = { hold ? 'Y' : 'N', '\n', '\0' };

	return simple_read_from_buffer(ubuf, count, ppos, buf, 2);
}

static ssize_t hold_irq_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct vmqsim_qp *qp = file->private_data;
	bool hold;
	int err;

	err = kstrtobool_from_user(ubuf, count, &hold);
	if (err) {
		dev_err(&qp->sdev->dev, "qp%u/hold_irq: write 0 or 1\n",
			qp->id);
		return err;
	}
	vmqsim_irq_set_hold(qp->sdev, qp->id, hold);
	return count;
}

static const struct file_operations hold_irq_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= hold_irq_read,
	.write	= hold_irq_write,
	.llseek	= default_llseek,
};

/**
 * vmqsim_debugfs_dev_add() - create a device's debugfs directory
 * @sdev: the device, fully set up.
 */
void vmqsim_debugfs_dev_add(struct vmqsim_dev *sdev)
{
	struct dentry *qp_dir;
	char name[16];
	u32 i;

	snprintf(name, sizeof(name), "%u", sdev->id);
	sdev->ddir = debugfs_create_dir(name, vmqsim_debugfs_root);
	debugfs_create_file("filters", 0400, sdev->ddir, sdev, &filters_fops);
	debugfs_create_file("rings", 0400, sdev->ddir, sdev, &rings_fops);
	debugfs_create_file("vectors", 0400, sdev->ddir, sdev, &vectors_fops);
	debugfs_create_file("counters", 0400, sdev->ddir, sdev,
			    &counters_fops);
	debugfs_create_file("backlog", 0400, sdev->ddir, sdev, &backlog_fops);
	debugfs_create_file("port_backlog", 0400, sdev->ddir, sdev,
			    &port_backlog_fops);
	debugfs_create_u32("guest_rx_delay_us", 0600, sdev->ddir,
			   &sdev->dbg_rx_delay_us);
	debugfs_create_bool("port_hold", 0600, sdev->ddir,
			    &sdev->dbg_port_hold);
	debugfs_create_bool("guest_rx_fifo", 0600, sdev->ddir,
			    &sdev->dbg_guest_rx_fifo);
	debugfs_create_u32("guest_raise_delay_us", 0600, sdev->ddir,
			   &sdev->dbg_raise_delay_us);
	debugfs_create_u32("guest_take_delay_us", 0600, sdev->ddir,
			   &sdev->dbg_take_delay_us);
	debugfs_create_atomic_t("guest_take_budget", 0600, sdev->ddir,
				&sdev->dbg_take_budget);
	debugfs_create_atomic_t("guest_take_waits", 0400, sdev->ddir,
				&sdev->dbg_take_waits);
	debugfs_create_u32("guest_publish_delay_us", 0600, sdev->ddir,
			   &sdev->dbg_publish_delay_us);
	debugfs_create_bool("cls_hold", 0600, sdev->ddir, &sdev->dbg_cls_hold);
	debugfs_create_atomic_t("cls_holds", 0400, sdev->ddir,
				&sdev->dbg_cls_holds);
	for (i = 0; i < sdev->num_qps; i++) {
		snprintf(name, sizeof(name), "qp%u", i);
		qp_dir = debugfs_create_dir(name, sdev->ddir);
		debugfs_create_file("hold_irq", 0600, qp_dir, &sdev->qps[i],
				    &hold_irq_fops);
	}
}

/**
 * vmqsim_debugfs_dev_del() - remove it, before the device comes apart
 * @sdev: the device.
 *
 * Waits for readers and writers of its files to finish.
 */
void vmqsim_debugfs_dev_del(struct vmqsim_dev *sdev)
{
	debugfs_remove(sdev->ddir);
	sdev->ddir = NULL;
}

void vmqsim_debugfs_init(void)
{
	vmqsim_debugfs_root = debugfs_create_dir(VMQSIM_DRV_NAME, NULL);
}

void vmqsim_debugfs_exit(void)
{
	debugfs_remove(vmqsim_debugfs_root);
}
