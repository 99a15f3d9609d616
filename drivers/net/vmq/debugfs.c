// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: read-only views of queue pairs and filters in debugfs,
 * /sys/kernel/debug/vmq/<device>/{info,queues,filters,macvlans,moves}, plus
 * test knobs (place, balance_busy, retire_delay_ms).  <device> is the
 * NIC's bus device (e.g. vmqsim0) or, without one, its netdev name.
 */

#include <linux/if_macvlan.h>
#include <linux/irq.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include "vmq_priv.h"

static struct dentry *vmq_debugfs_root;

static int queues_show(struct seq_file *m, void *unused)
{
	struct vmq_dev *vdev = m->private;
	struct net_device *owner;
	u64 rxp, rxb, txp, txb;
	u32 i;

	seq_puts(m, "qp state       owner   filters irq  cpu pin rx_packets rx_bytes rx_drops tx_packets tx_bytes tx_drops irqs moves owner_name\n");
	mutex_lock(&vdev->lock);
	vmq_affinity_notice_pins(vdev);
	for (i = 0; i < vdev->caps.num_qps; i++) {
		const struct vmq_qp *qp = &vdev->qps[i];

		vmq_qp_read_stats(qp, &rxp, &rxb, &txp, &txb);
		owner = vmq_qp_owner_netdev(vdev, qp);
		seq_printf(m, "%-2u %-11s %-7s %-7u %-4d %-3d %-3s %llu %llu %lld %llu %llu %lld %lld %u %s\n",
			   i, vmq_qp_state_name(qp->state),
			   vmq_owner_name(qp->owner), qp->nr_filters, qp->irq,
			   vmq_qp_cpu(vdev, i), qp->pinned ? "yes" : "no",
			   rxp, rxb, atomic64_read(&qp->stats.rx_drops),
			   txp, txb, atomic64_read(&qp->stats.tx_drops),
			   atomic64_read(&qp->stats.irqs), qp->bal.moves,
			   owner ? netdev_name(owner) :
			   vmq_guest_qp_name(qp) ?: "-");
	}
	mutex_unlock(&vdev->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(queues);

static bool vmq_fwd_is_ours(struct vmq_dev *vdev, void *priv)
{
	struct vmq_fwd *fwd;

	list_for_each_entry(fwd, &vdev->fwds, list)
		if (fwd == priv)
			return true;
	return false;
}

/* Every macvlan on the NIC and where its frames are handled. */
static int macvlans_show(struct seq_file *m, void *unused)
{
	struct vmq_dev *vdev = m->private;
	struct net_device *upper;
	struct list_head *iter;
	struct vmq_fwd *fwd;

	seq_printf(m, "l2-fwd-offload: %s\n", vdev->l2fw ? "on" : "off");
	mutex_lock(&vdev->lock);
	rcu_read_lock();
	netdev_for_each_upper_dev_rcu(vdev->netdev, upper, iter) {
		if (!netif_is_macvlan(upper))
			continue;
		fwd = macvlan_accel_priv(upper);
		if (fwd && vmq_fwd_is_ours(vdev, fwd) &&
		    fwd->loc == VMQ_LOC_ANY)
			seq_printf(m, "%s %pM offloaded qp %u filter none queues %u\n",
				   upper->name, upper->dev_addr, fwd->qp,
				   fwd->nr_qps);
		else if (fwd && vmq_fwd_is_ours(vdev, fwd))
			seq_printf(m, "%s %pM offloaded qp %u filter %u queues %u\n",
				   upper->name, upper->dev_addr, fwd->qp,
				   fwd->loc, fwd->nr_qps);
		else
			seq_printf(m, "%s %pM software\n", upper->name,
				   upper->dev_addr);
	}
	rcu_read_unlock();
	mutex_unlock(&vdev->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(macvlans);

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
		else if (vmq_qp_is_rss(f->qp))
			seq_printf(m, "ctx%u ", vmq_qp_rss_ctx(f->qp));
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

/* The rebalancer's recent moves, oldest first. */
static int moves_show(struct seq_file *m, void *unused)
{
	struct vmq_dev *vdev = m->private;
	u32 i, first;

	mutex_lock(&vdev->lock);
	seq_printf(m, "policy: %s\nmoves: %u\n",
		   vdev->dynamic ? "dynamic" : "static", vdev->bal_nr_moves);
	first = vdev->bal_nr_moves > VMQ_BALANCE_LOG ?
		vdev->bal_nr_moves - VMQ_BALANCE_LOG : 0;
	for (i = first; i < vdev->bal_nr_moves; i++) {
		const struct vmq_balance_move *mv =
			&vdev->bal_moves[i % VMQ_BALANCE_LOG];

		seq_printf(m, "%lu qp %u cpu %d -> %d %s\n", mv->jiffies,
			   mv->qp, mv->from, mv->to, mv->why);
	}
	mutex_unlock(&vdev->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(moves);

/*
 * Test knob: "QP CPU" moves a queue pair's vector as the core itself
 * would (no admin pin), to set up a placement the rebalancer must fix.
 */
static ssize_t place_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	struct vmq_dev *vdev = file->private_data;
	char buf[32];
	u32 qp, cpu;
	int err = -EINVAL;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (sscanf(buf, "%u %u", &qp, &cpu) != 2 ||
	    qp >= vdev->caps.num_qps || cpu >= nr_cpu_ids || !cpu_online(cpu))
		return -EINVAL;
	mutex_lock(&vdev->lock);
	/* An admin's pin made a moment ago is a pin too. */
	vmq_affinity_notice_pins(vdev);
	if (vdev->qps[qp].irq > 0 && !vdev->qps[qp].pinned)
		err = vmq_qp_move(vdev, &vdev->qps[qp], cpu);
	mutex_unlock(&vdev->lock);
	return err ?: count;
}

static const struct file_operations place_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = place_write,
};

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
	debugfs_create_file("macvlans", 0400, vdev->debugfs, vdev,
			    &macvlans_fops);
	debugfs_create_file("moves", 0400, vdev->debugfs, vdev, &moves_fops);
	debugfs_create_file("place", 0200, vdev->debugfs, vdev, &place_fops);
	/* The rebalancer's busy mark is in frames per period, so a test on a
	 * slow (emulated) machine sets it from the rate it can drive.
	 */
	debugfs_create_u32("balance_busy", 0600, vdev->debugfs,
			   &vdev->bal_busy);
	debugfs_create_u32("retire_delay_ms", 0600, vdev->debugfs,
			   &vdev->dbg_retire_delay_ms);
	debugfs_create_atomic_t("retire_delays", 0400, vdev->debugfs,
				&vdev->dbg_retire_delays);
	debugfs_create_u32("notify_delay_ms", 0600, vdev->debugfs,
			   &vdev->dbg_notify_delay_ms);
	debugfs_create_atomic_t("notify_delays", 0400, vdev->debugfs,
				&vdev->dbg_notify_delays);
}

void vmq_debugfs_dev_del(struct vmq_dev *vdev)
{
	debugfs_remove(vdev->debugfs);
	vdev->debugfs = NULL;
}

void vmq_debugfs_init(void)
{
	vmq_debugfs_root = debugfs_create_dir("vmq", NULL);
	debugfs_create_atomic_t("fail_cpuhp_add", 0600, vmq_debugfs_root,
				&vmq_fail_cpuhp_add);
}

void vmq_debugfs_exit(void)
{
	debugfs_remove(vmq_debugfs_root);
}
