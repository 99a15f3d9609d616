// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: read-only views of queue pairs and filters in debugfs,
 * /sys/kernel/debug/vmq/<device>/{info,queues,filters}, where <device> is
 * the NIC's bus device (e.g. vmqsim0) or, without one, its netdev name.
 */

#include <linux/irq.h>
#include <linux/seq_file.h>
#include "vmq_priv.h"

static struct dentry *vmq_debugfs_root;

static int vmq_qp_cpu(int irq)
{
	const struct cpumask *mask;

	if (irq <= 0)
		return -1;
	mask = irq_get_effective_affinity_mask(irq);
	if (!mask || cpumask_empty(mask))
		return -1;
	return cpumask_first(mask);
}

static int queues_show(struct seq_file *m, void *unused)
{
	struct vmq_dev *vdev = m->private;
	u64 rxp, rxb, txp, txb;
	u32 i;

	seq_puts(m, "qp state       owner   filters irq  cpu rx_packets rx_bytes rx_drops tx_packets tx_bytes tx_drops\n");
	mutex_lock(&vdev->lock);
	for (i = 0; i < vdev->caps.num_qps; i++) {
		const struct vmq_qp *qp = &vdev->qps[i];

		vmq_qp_read_stats(qp, &rxp, &rxb, &txp, &txb);
		seq_printf(m, "%-2u %-11s %-7s %-7u %-4d %-3d %llu %llu %lld %llu %llu %lld\n",
			   i, vmq_qp_state_name(qp->state),
			   vmq_owner_name(qp->owner), qp->nr_filters, qp->irq,
			   vmq_qp_cpu(qp->irq), rxp, rxb,
			   atomic64_read(&qp->stats.rx_drops), txp, txb,
			   atomic64_read(&qp->stats.tx_drops));
	}
	mutex_unlock(&vdev->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(queues);

static int filters_show(struct seq_file *m, void *unused)
{
	struct vmq_dev *vdev = m->private;
	u32 loc;

	seq_puts(m, "loc  mac               vlan qp   origin\n");
	mutex_lock(&vdev->lock);
	for (loc = 0; loc < vdev->caps.num_filters; loc++) {
		const struct vmq_filter *f = vdev->filters[loc];

		if (!f)
			continue;
		seq_printf(m, "%-4u %pM ", loc, f->key.addr);
		if (f->key.vlan == VMQ_VLAN_NONE)
			seq_puts(m, "-    ");
		else
			seq_printf(m, "%-4u ", f->key.vlan);
		if (f->qp == VMQ_QP_DROP)
			seq_puts(m, "drop ");
		else
			seq_printf(m, "%-4u ", f->qp);
		seq_printf(m, "%s\n", vmq_filter_origin_name(f->origin));
	}
	mutex_unlock(&vdev->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(filters);

static int info_show(struct seq_file *m, void *unused)
{
	struct vmq_dev *vdev = m->private;

	mutex_lock(&vdev->lock);
	seq_printf(m, "netdev: %s\n", netdev_name(vdev->netdev));
	seq_printf(m, "queue_pairs: %u\n", vdev->caps.num_qps);
	seq_printf(m, "channels: %u\n", vdev->channels);
	seq_printf(m, "filters: %u/%u\n", vdev->nr_filters,
		   vdev->caps.num_filters);
	seq_printf(m, "ethtool_rules: %u\n", vdev->nr_ethtool_filters);
	seq_printf(m, "vectors: %u\n", vdev->caps.num_vectors);
	seq_printf(m, "match: dst-mac%s\n",
		   vdev->caps.match_fields & VMQ_MATCH_VLAN ? " vlan" : "");
	seq_printf(m, "rx_ring: %u (%u..%u)\n", vdev->rx_ring,
		   vdev->caps.ring_min, vdev->caps.rx_ring_max);
	seq_printf(m, "tx_ring: %u (%u..%u)\n", vdev->tx_ring,
		   vdev->caps.ring_min, vdev->caps.tx_ring_max);
	mutex_unlock(&vdev->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(info);

void vmq_debugfs_dev_add(struct vmq_dev *vdev)
{
	struct device *parent = vdev->netdev->dev.parent;
	const char *name;

	name = parent ? dev_name(parent) : vdev->netdev->name;
	vdev->debugfs = debugfs_create_dir(name, vmq_debugfs_root);
	debugfs_create_file("info", 0400, vdev->debugfs, vdev, &info_fops);
	debugfs_create_file("queues", 0400, vdev->debugfs, vdev, &queues_fops);
	debugfs_create_file("filters", 0400, vdev->debugfs, vdev,
			    &filters_fops);
}

void vmq_debugfs_dev_del(struct vmq_dev *vdev)
{
	debugfs_remove(vdev->debugfs);
	vdev->debugfs = NULL;
}

void vmq_debugfs_init(void)
{
	vmq_debugfs_root = debugfs_create_dir("vmq", NULL);
}

void vmq_debugfs_exit(void)
{
	debugfs_remove(vmq_debugfs_root);
}
