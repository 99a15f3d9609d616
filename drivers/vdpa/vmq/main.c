// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vdpa: every vmq device as a vDPA management device; "vdpa dev add"
 * claims a free queue pair and steers the given MAC to it, "vdpa dev del"
 * frees it.  The core tells the module of every device (&struct
 * vmq_client), as it tells vmq_vfio.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/virtio_ids.h>
#include <uapi/linux/vdpa.h>
#include "vmq_vdpa.h"

/* vmq_vdpa/: a directory per device, for its map's counters. */
struct dentry *vmq_vdpa_debugfs;

static struct vmq_vdpa_mgmt *vmq_vdpa_mgmt_of(struct vdpa_mgmt_dev *mgmt)
{
	return container_of(mgmt, struct vmq_vdpa_mgmt, mgmt);
}

/* The attributes "vdpa dev add" may give, checked; logged if not. */
static int vmq_vdpa_check_config(struct vmq_vdpa_mgmt *m, const char *name,
				 const struct vdpa_dev_set_config *config)
{
	struct net_device *nic = vmq_dev_netdev(m->vdev);

	if (!(config->mask & BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MACADDR))) {
		netdev_warn(nic, "vmq: vdpa %s: a mac is required\n", name);
		return -EINVAL;
	}
	if (!is_valid_ether_addr(config->net.mac)) {
		netdev_warn(nic, "vmq: vdpa %s: %pM is not a unicast MAC\n",
			    name, config->net.mac);
		return -EINVAL;
	}
	if ((config->mask & BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MAX_VQP)) &&
	    config->net.max_vq_pairs != 1) {
		netdev_warn(nic, "vmq: vdpa %s: max_vqp %u, only 1 is offered\n",
			    name, config->net.max_vq_pairs);
		return -EINVAL;
	}
	return 0;
}

static int vmq_vdpa_dev_add(struct vdpa_mgmt_dev *mgmt, const char *name,
			    const struct vdpa_dev_set_config *config)
{
	struct vmq_vdpa_mgmt *m = vmq_vdpa_mgmt_of(mgmt);
	struct vmq_vdpa_dev *vd;
	int qp, err;

	err = vmq_vdpa_check_config(m, name, config);
	if (err)
		return err;
	vd = vdpa_alloc_device(struct vmq_vdpa_dev, vdpa, mgmt->device,
			       &vmq_vdpa_config_ops, 1, 1, name, false);
	if (IS_ERR(vd))
		return PTR_ERR(vd);
	vmq_vdpa_init_dev(vd);
	vd->vdev = m->vdev;
	vd->vdpa.mdev = mgmt;
	/*
	 * virtio_vdpa maps the host driver's buffers with the DMA API on
	 * this device: no IOMMU, so DMA addresses are physical ones, all
	 * 64 bits of them.
	 */
	vd->vdpa.dma_dev = &vd->vdpa.dev;
	vd->vdpa.dev.dma_mask = &vd->vdpa.dev.coherent_dma_mask;
	err = dma_set_mask_and_coherent(&vd->vdpa.dev, DMA_BIT_MASK(64));
	if (err) {
		dev_warn(mgmt->device, "vdpa %s: no DMA mask: %d\n", name, err);
		goto err_put;
	}
	ether_addr_copy(vd->mac, config->net.mac);

	qp = vmq_guest_qp_alloc(m->vdev, &vmq_vdpa_guest_ops, vd, name);
	if (qp < 0) {
		err = qp;
		goto err_put;
	}
	vd->qp = qp;
	err = vmq_guest_qp_set_l2(m->vdev, qp, vd->mac, 0, true);
	if (err)
		goto err_free_qp;
	vd->vdpa.dev.groups = vmq_vdpa_groups;
	err = _vdpa_register_device(&vd->vdpa, VMQ_VDPA_NVQS);
	if (err)
		goto err_free_qp;
	dev_info(&vd->vdpa.dev, "queue pair %u of %s, mac %pM\n", qp,
		 netdev_name(vmq_dev_netdev(m->vdev)), vd->mac);
	/* The cost of the VMM's map changes, for the tests to see. */
	vd->debugfs = debugfs_create_dir(name, vmq_vdpa_debugfs);
	debugfs_create_u64("page_refs", 0400, vd->debugfs, &vd->page_refs);
	return 0;

err_free_qp:
	vmq_guest_qp_free(m->vdev, qp);
err_put:
	put_device(&vd->vdpa.dev);
	return err;
}

static void vmq_vdpa_dev_del(struct vdpa_mgmt_dev *mgmt,
			     struct vdpa_device *vdpa)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_from(vdpa);

	/* Before the device may go: its files read it. */
	debugfs_remove_recursive(vd->debugfs);
	/*
	 * The bus driver (virtio_vdpa, vhost_vdpa) lets go of it first;
	 * the queue pair, whatever state that left it in, is stopped and
	 * drained while the device, its context, still exists.
	 */
	get_device(&vdpa->dev);
	_vdpa_unregister_device(vdpa);
	vmq_guest_qp_free(vd->vdev, vd->qp);
	put_device(&vdpa->dev);
}

static const struct vdpa_mgmtdev_ops vmq_vdpa_mgmt_ops = {
	.dev_add	= vmq_vdpa_dev_add,
	.dev_del	= vmq_vdpa_dev_del,
};

/* A vmq device appeared: it can make vDPA devices (vmq_client.add). */
static void *vmq_vdpa_mgmt_add(struct vmq_dev *vdev)
{
	struct device *dev = vmq_dev_netdev(vdev)->dev.parent;
	struct vmq_vdpa_mgmt *m;
	int err;

	if (!dev)
		return ERR_PTR(-ENODEV);
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->vdev = vdev;
	m->id_table[0].device = VIRTIO_ID_NET;
	m->id_table[0].vendor = VIRTIO_DEV_ANY_ID;
	m->mgmt.device = dev;
	m->mgmt.ops = &vmq_vdpa_mgmt_ops;
	m->mgmt.id_table = m->id_table;
	m->mgmt.config_attr_mask = BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MACADDR) |
				   BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MAX_VQP);
	m->mgmt.supported_features = VMQ_VDPA_FEATURES;
	m->mgmt.max_supported_vqs = VMQ_VDPA_NVQS;
	err = vdpa_mgmtdev_register(&m->mgmt);
	if (err) {
		kfree(m);
		return ERR_PTR(err);
	}
	return m;
}

/* A vmq device goes: its vDPA devices with it (vmq_client.remove). */
static void vmq_vdpa_mgmt_del(struct vmq_dev *vdev, void *cookie)
{
	struct vmq_vdpa_mgmt *m = cookie;

	/* Deletes every device it made, through dev_del. */
	vdpa_mgmtdev_unregister(&m->mgmt);
	kfree(m);
}

static struct vmq_client vmq_vdpa_client = {
	.name	= VMQ_VDPA_DRV_NAME,
	.add	= vmq_vdpa_mgmt_add,
	.remove	= vmq_vdpa_mgmt_del,
};

static int __init vmq_vdpa_init(void)
{
	int err;

	vmq_vdpa_debugfs = debugfs_create_dir(VMQ_VDPA_DRV_NAME, NULL);
	err = vmq_register_client(&vmq_vdpa_client);
	if (err) {
		debugfs_remove_recursive(vmq_vdpa_debugfs);
		return err;
	}
	pr_info("loaded\n");
	return 0;
}

static void __exit vmq_vdpa_exit(void)
{
	vmq_unregister_client(&vmq_vdpa_client);
	debugfs_remove_recursive(vmq_vdpa_debugfs);
	pr_info("unloaded\n");
}

module_init(vmq_vdpa_init);
module_exit(vmq_vdpa_exit);

MODULE_DESCRIPTION("vDPA virtio-net devices on VMQ queue pairs");
MODULE_LICENSE("GPL");
