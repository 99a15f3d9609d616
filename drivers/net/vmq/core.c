// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: registration of VMQ-capable netdevs.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include "vmq_priv.h"

#define VMQ_CORE_VERSION "0.2"

static int vmq_caps_check(struct net_device *netdev,
			  const struct vmq_caps *caps)
{
	if (!caps->num_qps || caps->num_qps > netdev->num_tx_queues ||
	    caps->num_qps > netdev->num_rx_queues) {
		netdev_err(netdev, "vmq: %u queue pairs but %u/%u netdev queues\n",
			   caps->num_qps, netdev->num_tx_queues,
			   netdev->num_rx_queues);
		return -EINVAL;
	}
	if (!caps->default_channels || caps->default_channels > caps->num_qps) {
		netdev_err(netdev, "vmq: bad default channel count %u\n",
			   caps->default_channels);
		return -EINVAL;
	}
	if (!caps->ring_min || caps->ring_min > caps->rx_ring_default ||
	    caps->rx_ring_default > caps->rx_ring_max ||
	    caps->ring_min > caps->tx_ring_default ||
	    caps->tx_ring_default > caps->tx_ring_max) {
		netdev_err(netdev, "vmq: inconsistent ring size limits\n");
		return -EINVAL;
	}
	if (!(caps->match_fields & VMQ_MATCH_DST_MAC)) {
		netdev_err(netdev, "vmq: classifier must match destination MAC\n");
		return -EINVAL;
	}
	return 0;
}

static int vmq_ops_check(struct net_device *netdev,
			 const struct vmq_caps *caps,
			 const struct vmq_hw_ops *ops)
{
	const struct vmq_guest_hw_ops *guest = ops->guest;

	if (guest && (!guest->qp_start || !guest->qp_stop || !guest->qp_kick)) {
		netdev_err(netdev, "vmq: guest queue ops need qp_start, qp_stop and qp_kick\n");
		return -EINVAL;
	}
	if (caps->rss && !ops->rss_write) {
		netdev_err(netdev, "vmq: RSS needs rss_write\n");
		return -EINVAL;
	}
	return 0;
}

/**
 * vmq_dev_register() - make a netdev a VMQ device
 * @netdev: the NIC's netdev, allocated with at least @caps->num_qps
 *	transmit and receive queues, and not yet registered.
 * @caps: what the hardware can do; copied.
 * @ops: the driver's hardware operations; must outlive the vmq device.
 * @priv: the driver's pointer, returned by vmq_dev_priv().
 *
 * Sets up the queue-pair pool with queue pairs [0, default_channels)
 * owned by the host (calling @ops->set_channels) and an empty filter
 * table.  Takes @netdev->ml_priv, pointing it at the vmq device, so the
 * vmq_ethtool_* and ndo helpers can serve as the netdev's ops members;
 * the driver leaves ml_priv alone until vmq_dev_unregister().
 *
 * Context: process context, may sleep.
 * Return: the vmq device or an ERR_PTR().
 */
struct vmq_dev *vmq_dev_register(struct net_device *netdev,
				 const struct vmq_caps *caps,
				 const struct vmq_hw_ops *ops, void *priv)
{
	struct vmq_dev *vdev;
	int err;

	err = vmq_caps_check(netdev, caps);
	if (!err)
		err = vmq_ops_check(netdev, caps, ops);
	if (err)
		return ERR_PTR(err);

	vdev = kzalloc(sizeof(*vdev), GFP_KERNEL);
	if (!vdev)
		return ERR_PTR(-ENOMEM);
	vdev->netdev = netdev;
	vdev->caps = *caps;
	vdev->ops = ops;
	vdev->priv = priv;
	vdev->rx_ring = caps->rx_ring_default;
	vdev->tx_ring = caps->tx_ring_default;
	mutex_init(&vdev->lock);
	INIT_LIST_HEAD(&vdev->list);
	INIT_LIST_HEAD(&vdev->fwds);
	INIT_LIST_HEAD(&vdev->clients);

	err = vmq_filters_init(vdev);
	if (err)
		goto err_free_vdev;
	err = vmq_qps_init(vdev);
	if (err)
		goto err_filters_fini;
	err = vmq_rss_init(vdev);
	if (err)
		goto err_qps_fini;
	err = vmq_affinity_dev_init(vdev);
	if (err)
		goto err_qps_fini;
	vmq_coalesce_dev_init(vdev);
	vmq_balance_dev_init(vdev);
	vmq_devlink_add(vdev);

	netdev->ml_priv = vdev;
	vmq_debugfs_dev_add(vdev);
	vmq_registry_track(vdev);
	return vdev;

err_qps_fini:
	vmq_rss_fini(vdev);
	mutex_lock(&vdev->lock);
	vmq_qps_fini(vdev);
	mutex_unlock(&vdev->lock);
err_filters_fini:
	vmq_filters_fini(vdev);
err_free_vdev:
	mutex_destroy(&vdev->lock);
	kfree(vdev);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_GPL(vmq_dev_register);

/**
 * vmq_dev_publish() - offer a vmq device to the client modules
 * @vdev: the vmq device, its netdev registered.
 *
 * vmq_vfio and vmq_vdpa add their parts for it (an mdev parent, a vDPA
 * management device) from here on, and their users reach the driver's
 * guest queue pair operations at once: call it last in probe, once all
 * those need is set up, the driver's own pointer to @vdev included.
 * Until then the device is the host's alone.  vmq_dev_unregister() takes
 * it back.
 *
 * Context: process context, may sleep.
 */
void vmq_dev_publish(struct vmq_dev *vdev)
{
	vmq_registry_add(vdev);
}
EXPORT_SYMBOL_GPL(vmq_dev_publish);

/**
 * vmq_dev_unpublish() - take a vmq device back from the client modules
 * @vdev: the vmq device, published or not.
 *
 * Their parts for it go: each waits until its users (VMMs) let go of the
 * queue pairs they hold, however long that takes; other devices and
 * clients go on meanwhile.  Call it first in remove, while everything
 * the guest queue pair operations use is still there.
 * vmq_dev_unregister() does it too, for a driver that did not.
 *
 * Context: process context, may sleep.
 */
void vmq_dev_unpublish(struct vmq_dev *vdev)
{
	vmq_registry_del(vdev);
}
EXPORT_SYMBOL_GPL(vmq_dev_unpublish);

/**
 * vmq_dev_unregister() - undo vmq_dev_register()
 * @vdev: the vmq device.
 *
 * Call after the netdev is closed (vmq_dev_close()), typically after
 * unregister_netdev().  Clears every filter and frees the pool.
 *
 * Context: process context, may sleep.
 */
void vmq_dev_unregister(struct vmq_dev *vdev)
{
	/* Clients (VMMs on its queue pairs) let go before anything goes. */
	vmq_registry_del(vdev);
	vmq_registry_untrack(vdev);
	vmq_devlink_del(vdev);
	vmq_debugfs_dev_del(vdev);
	vmq_balance_dev_fini(vdev);
	vmq_coalesce_dev_fini(vdev);
	vmq_affinity_dev_fini(vdev);
	mutex_lock(&vdev->lock);
	WARN_ON(vdev->running);
	WARN_ON(!list_empty(&vdev->fwds));
	vmq_filters_fini(vdev);
	vmq_rss_fini(vdev);
	vmq_qps_fini(vdev);
	mutex_unlock(&vdev->lock);
	if (vdev->netdev->ml_priv == vdev)
		vdev->netdev->ml_priv = NULL;
	mutex_destroy(&vdev->lock);
	kfree(vdev);
}
EXPORT_SYMBOL_GPL(vmq_dev_unregister);

/**
 * vmq_dev_priv() - the driver's private pointer
 * @vdev: the vmq device.
 *
 * Return: the @priv given to vmq_dev_register().
 */
void *vmq_dev_priv(const struct vmq_dev *vdev)
{
	return vdev->priv;
}
EXPORT_SYMBOL_GPL(vmq_dev_priv);

/**
 * vmq_dev_netdev() - the netdev of a vmq device
 * @vdev: the vmq device.
 *
 * Return: the netdev given to vmq_dev_register().
 */
struct net_device *vmq_dev_netdev(const struct vmq_dev *vdev)
{
	return vdev->netdev;
}
EXPORT_SYMBOL_GPL(vmq_dev_netdev);

/* Queue pairs whose life follows the NIC netdev's: the host's and the
 * offloaded macvlans'.  VFIO queue pairs follow their VMM instead.
 */
static bool vmq_qp_follows_netdev(const struct vmq_qp *qp)
{
	return qp->state != VMQ_QP_FREE &&
	       (qp->owner == VMQ_OWNER_HOST || qp->owner == VMQ_OWNER_MACVLAN);
}

/**
 * vmq_dev_open() - start the host's and the macvlans' queue pairs
 * @vdev: the vmq device.
 *
 * Call from ndo_open.
 *
 * Context: process context, may sleep.
 * Return: 0 or a negative errno, in which case nothing was started.
 */
int vmq_dev_open(struct vmq_dev *vdev)
{
	u32 qp;
	int err;

	mutex_lock(&vdev->lock);
	for (qp = 0; qp < vdev->caps.num_qps; qp++) {
		if (!vmq_qp_follows_netdev(&vdev->qps[qp]))
			continue;
		err = vmq_qp_start(vdev, qp);
		if (err)
			goto err_stop;
	}
	vdev->running = true;
	mutex_unlock(&vdev->lock);
	return 0;

err_stop:
	while (qp--)
		if (vmq_qp_follows_netdev(&vdev->qps[qp]))
			vmq_qp_stop(vdev, qp);
	mutex_unlock(&vdev->lock);
	return err;
}
EXPORT_SYMBOL_GPL(vmq_dev_open);

/**
 * vmq_dev_close() - stop the host's and the macvlans' queue pairs
 * @vdev: the vmq device.
 *
 * Call from ndo_stop.  Stops their DMA; filters stay installed.
 *
 * Context: process context, may sleep.
 */
void vmq_dev_close(struct vmq_dev *vdev)
{
	u32 qp;

	mutex_lock(&vdev->lock);
	vdev->running = false;
	for (qp = 0; qp < vdev->caps.num_qps; qp++)
		if (vmq_qp_follows_netdev(&vdev->qps[qp]))
			vmq_qp_stop(vdev, qp);
	mutex_unlock(&vdev->lock);
}
EXPORT_SYMBOL_GPL(vmq_dev_close);

static int __init vmq_core_init(void)
{
	int err;

	vmq_debugfs_init();
	err = vmq_affinity_init();
	if (err)
		goto err_debugfs_exit;
	err = vmq_fwd_init();
	if (err)
		goto err_affinity_exit;
	pr_info("core %s loaded\n", VMQ_CORE_VERSION);
	return 0;

err_affinity_exit:
	vmq_affinity_exit();
err_debugfs_exit:
	vmq_debugfs_exit();
	return err;
}

static void __exit vmq_core_exit(void)
{
	vmq_fwd_exit();
	vmq_affinity_exit();
	vmq_debugfs_exit();
	pr_info("core unloaded\n");
}

module_init(vmq_core_init);
module_exit(vmq_core_exit);

MODULE_DESCRIPTION("Virtual Machine Queue core library");
MODULE_LICENSE("GPL");
MODULE_VERSION(VMQ_CORE_VERSION);
