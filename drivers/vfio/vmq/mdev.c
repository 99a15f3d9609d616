// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vfio: mdev parents, their types (one queue pair, "qp"; four with
 * the guest's RSS, "qp4"), creation and removal, and the host admin's
 * attributes of each mdev:
 *
 *   /sys/bus/mdev/devices/<uuid>/vmq/{mac,vlan,spoofchk,trunk,qp,queues,state}
 *
 * The guest never sets its MAC or VLAN; the admin does, before or while
 * the VMM uses the device.  The core holds these settings (the NIC's
 * engine reads them per frame); the attributes read and write them there.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/module.h>
#include <linux/slab.h>
#include "vmq_vfio.h"

static unsigned int attr_delay_ms;
module_param(attr_delay_ms, uint, 0644);
MODULE_PARM_DESC(attr_delay_ms,
		 "debug: delay before applying a mac/vlan/spoofchk write, to widen races in tests (0: none)");

/*
 * Apply one of the admin's settings (the others NULL); the core validates,
 * logs and holds them.  The settings not written are read from the core
 * under the lock that serialises this device's writers, so writers of
 * different attributes at once all keep their value.  That lock is the
 * attributes' own: the register lock may be held by a VMM whose guest
 * memory does not answer.
 */
static int vmq_vfio_set_l2(struct vmq_vfio_dev *mvdev, const u8 *mac,
			   const u16 *vlan, const bool *spoofchk)
{
	struct vmq_guest_qp *gqp = vmq_vfio_gqp(mvdev);
	unsigned int delay = READ_ONCE(attr_delay_ms);
	u8 new_mac[ETH_ALEN];
	bool new_spoofchk;
	u16 new_vlan;
	int err;

	if (delay)
		msleep(delay);
	mutex_lock(&mvdev->attr_lock);
	new_vlan = vmq_guest_qp_l2(gqp, new_mac);
	if (mac)
		ether_addr_copy(new_mac, mac);
	if (vlan)
		new_vlan = *vlan;
	new_spoofchk = spoofchk ? *spoofchk : READ_ONCE(gqp->spoofchk);
	err = vmq_guest_qp_set_l2(mvdev->vdev, mvdev->qp, new_mac, new_vlan,
				  new_spoofchk);
	mutex_unlock(&mvdev->attr_lock);
	return err;
}

static ssize_t mac_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	struct vmq_vfio_dev *mvdev = dev_get_drvdata(dev);
	u8 mac[ETH_ALEN];

	vmq_guest_qp_l2(vmq_vfio_gqp(mvdev), mac);
	return sysfs_emit(buf, "%pM\n", mac);
}

static ssize_t mac_store(struct device *dev, struct device_attribute *attr,
			 const char *buf, size_t count)
{
	struct vmq_vfio_dev *mvdev = dev_get_drvdata(dev);
	size_t len = count;
	u8 mac[ETH_ALEN];
	int err;

	if (len && buf[len - 1] == '\n')
		len--;
	if (len != 3 * ETH_ALEN - 1 || !mac_pton(buf, mac)) {
		dev_warn(dev, "mac: want xx:xx:xx:xx:xx:xx\n");
		return -EINVAL;
	}
	err = vmq_vfio_set_l2(mvdev, mac, NULL, NULL);
	return err ? err : count;
}
static DEVICE_ATTR_RW(mac);

static ssize_t vlan_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct vmq_vfio_dev *mvdev = dev_get_drvdata(dev);
	u8 mac[ETH_ALEN];
	u16 vlan;

	vlan = vmq_guest_qp_l2(vmq_vfio_gqp(mvdev), mac);
	return sysfs_emit(buf, "%u\n", vlan);
}

static ssize_t vlan_store(struct device *dev, struct device_attribute *attr,
			  const char *buf, size_t count)
{
	struct vmq_vfio_dev *mvdev = dev_get_drvdata(dev);
	u16 vlan;
	int err;

	if (kstrtou16(buf, 0, &vlan) || vlan >= VLAN_VID_MASK) {
		dev_warn(dev, "vlan: want 0 (none) or a VLAN ID 1..4094\n");
		return -EINVAL;
	}
	err = vmq_vfio_set_l2(mvdev, NULL, &vlan, NULL);
	return err ? err : count;
}
static DEVICE_ATTR_RW(vlan);

static ssize_t spoofchk_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	struct vmq_vfio_dev *mvdev = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n",
			  READ_ONCE(vmq_vfio_gqp(mvdev)->spoofchk));
}

static ssize_t spoofchk_store(struct device *dev,
			      struct device_attribute *attr, const char *buf,
			      size_t count)
{
	struct vmq_vfio_dev *mvdev = dev_get_drvdata(dev);
	bool on;
	int err;

	if (kstrtobool(buf, &on)) {
		dev_warn(dev, "spoofchk: want 0 or 1\n");
		return -EINVAL;
	}
	err = vmq_vfio_set_l2(mvdev, NULL, NULL, &on);
	return err ? err : count;
}
static DEVICE_ATTR_RW(spoofchk);

static ssize_t trunk_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct vmq_vfio_dev *mvdev = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", READ_ONCE(vmq_vfio_gqp(mvdev)->trunk));
}

static ssize_t trunk_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	struct vmq_vfio_dev *mvdev = dev_get_drvdata(dev);
	bool on;

	if (kstrtobool(buf, &on)) {
		dev_warn(dev, "trunk: want 0 or 1\n");
		return -EINVAL;
	}
	vmq_guest_qp_set_trunk(mvdev->vdev, mvdev->qp, on);
	return count;
}
static DEVICE_ATTR_RW(trunk);

static ssize_t qp_show(struct device *dev, struct device_attribute *attr,
		       char *buf)
{
	struct vmq_vfio_dev *mvdev = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", mvdev->qp);
}
static DEVICE_ATTR_RO(qp);

/* Its queue pairs: qp, qp + 1, ... on the NIC. */
static ssize_t queues_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct vmq_vfio_dev *mvdev = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", mvdev->nr_queues);
}
static DEVICE_ATTR_RO(queues);

/*
 * Where the guest's queue pair is, for an admin's view: "disabled" (not
 * enabled since the last reset), "running", "stopped" (by the guest, or
 * by the VMM for migration) or "error" (devlink health has the reason).
 */
static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	static const char * const names[] = {
		[VMQ_QP_FREE]		= "free",
		[VMQ_QP_ALLOCATED]	= "disabled",
		[VMQ_QP_RUNNING]	= "running",
		[VMQ_QP_DMA_STOPPED]	= "stopped",
	};
	struct vmq_vfio_dev *mvdev = dev_get_drvdata(dev);
	enum vmq_qp_state state;
	u32 q;

	for (q = 0; q < mvdev->nr_queues; q++)
		if (READ_ONCE(vmq_vfio_qgqp(mvdev, q)->error))
			return sysfs_emit(buf, "error\n");
	state = vmq_qp_state(mvdev->vdev, mvdev->qp);
	return sysfs_emit(buf, "%s\n", state < ARRAY_SIZE(names) ?
			  names[state] : "?");
}
static DEVICE_ATTR_RO(state);

static struct attribute *vmq_vfio_attrs[] = {
	&dev_attr_mac.attr,
	&dev_attr_vlan.attr,
	&dev_attr_spoofchk.attr,
	&dev_attr_trunk.attr,
	&dev_attr_qp.attr,
	&dev_attr_queues.attr,
	&dev_attr_state.attr,
	NULL,
};

static const struct attribute_group vmq_vfio_group = {
	.name	= "vmq",
	.attrs	= vmq_vfio_attrs,
};

static const struct attribute_group *vmq_vfio_groups[] = {
	&vmq_vfio_group,
	NULL,
};

static struct vmq_vfio_type *vmq_vfio_type(struct mdev_type *mtype)
{
	return container_of(mtype, struct vmq_vfio_type, type);
}

static int vmq_vfio_probe(struct mdev_device *mdev)
{
	struct vmq_vfio_type *type = vmq_vfio_type(mdev->type);
	struct vmq_vfio_parent *parent = type->parent;
	void *ctx[VMQ_VFIO_MAX_QUEUES];
	struct vmq_vfio_dev *mvdev;
	int qp, err;
	u32 q;

	mvdev = vfio_alloc_device(vmq_vfio_dev, vfio, &mdev->dev,
				  &vmq_vfio_dev_ops);
	if (IS_ERR(mvdev))
		return PTR_ERR(mvdev);
	mvdev->parent = parent;
	mvdev->vdev = parent->vdev;
	mvdev->nr_queues = type->queues;
	for (q = 0; q < mvdev->nr_queues; q++) {
		mvdev->q[q].mvdev = mvdev;
		mvdev->q[q].index = q;
		ctx[q] = &mvdev->q[q];
	}

	qp = vmq_guest_vport_alloc(parent->vdev, &vmq_vfio_guest_ops, ctx,
				   mvdev->nr_queues, dev_name(&mdev->dev));
	if (qp < 0) {
		err = qp;
		goto err_put;
	}
	mvdev->qp = qp;
	dev_set_drvdata(&mdev->dev, mvdev);

	err = vfio_register_emulated_iommu_dev(&mvdev->vfio);
	if (err)
		goto err_free_qp;
	if (mvdev->nr_queues > 1)
		dev_info(&mdev->dev, "queue pairs %u-%u of %s\n", qp,
			 qp + mvdev->nr_queues - 1,
			 netdev_name(vmq_dev_netdev(parent->vdev)));
	else
		dev_info(&mdev->dev, "queue pair %u of %s\n", qp,
			 netdev_name(vmq_dev_netdev(parent->vdev)));
	return 0;

err_free_qp:
	vmq_guest_qp_free(parent->vdev, qp);
err_put:
	vfio_put_device(&mvdev->vfio);
	return err;
}

static void vmq_vfio_remove(struct mdev_device *mdev)
{
	struct vmq_vfio_dev *mvdev = dev_get_drvdata(&mdev->dev);

	/* Blocks until the VMM has closed the device (see .request). */
	vfio_unregister_group_dev(&mvdev->vfio);
	vmq_guest_qp_free(mvdev->vdev, mvdev->qp);
	vfio_put_device(&mvdev->vfio);
}

static unsigned int vmq_vfio_get_available(struct mdev_type *mtype)
{
	struct vmq_vfio_type *type = vmq_vfio_type(mtype);

	if (type->queues == 1)
		return vmq_guest_qp_avail(type->parent->vdev);
	return vmq_guest_vport_avail(type->parent->vdev, type->queues);
}

static ssize_t vmq_vfio_show_description(struct mdev_type *mtype, char *buf)
{
	struct vmq_vfio_type *type = vmq_vfio_type(mtype);
	const char *name = netdev_name(vmq_dev_netdev(type->parent->vdev));

	if (type->queues == 1)
		return sysfs_emit(buf,
				  "one queue pair of %s: rings in guest memory, MAC and VLAN set by the host\n",
				  name);
	return sysfs_emit(buf,
			  "%u queue pairs of %s spread by the guest's RSS: rings in guest memory, MAC and VLAN set by the host\n",
			  type->queues, name);
}

struct mdev_driver vmq_vfio_mdev_driver = {
	.device_api	= VMQ_VFIO_DEVICE_API,
	.driver = {
		.name		= VMQ_VFIO_DRV_NAME,
		.owner		= THIS_MODULE,
		.mod_name	= KBUILD_MODNAME,
		.dev_groups	= vmq_vfio_groups,
	},
	.probe			= vmq_vfio_probe,
	.remove			= vmq_vfio_remove,
	.get_available		= vmq_vfio_get_available,
	.show_description	= vmq_vfio_show_description,
};

/**
 * vmq_vfio_parent_add() - make a vmq device an mdev parent
 * @vdev: the vmq device.
 *
 * The parent is the NIC's bus device (e.g. vmqsim0), so the types show
 * under /sys/class/mdev_bus/<bus device>/mdev_supported_types/.
 *
 * Return: the parent, the core's cookie for vmq_vfio_parent_del(), or
 * an ERR_PTR().
 */
void *vmq_vfio_parent_add(struct vmq_dev *vdev)
{
	struct device *dev = vmq_dev_netdev(vdev)->dev.parent;
	struct vmq_vfio_parent *parent;
	int err, i;

	if (!dev)
		return ERR_PTR(-ENODEV);
	parent = kzalloc(sizeof(*parent), GFP_KERNEL);
	if (!parent)
		return ERR_PTR(-ENOMEM);
	parent->vdev = vdev;
	parent->types[0].type.sysfs_name = "qp";
	parent->types[0].type.pretty_name = "VMQ queue pair";
	parent->types[0].queues = 1;
	parent->types[1].type.sysfs_name = "qp4";
	parent->types[1].type.pretty_name = "VMQ 4 queue pairs with RSS";
	parent->types[1].queues = VMQ_VFIO_QP4;
	for (i = 0; i < VMQ_VFIO_NUM_TYPES; i++) {
		parent->types[i].parent = parent;
		parent->type_list[i] = &parent->types[i].type;
	}
	err = mdev_register_parent(&parent->parent, dev, &vmq_vfio_mdev_driver,
				   parent->type_list, VMQ_VFIO_NUM_TYPES);
	if (err) {
		kfree(parent);
		return ERR_PTR(err);
	}
	return parent;
}

/**
 * vmq_vfio_parent_del() - a vmq device is going away
 * @vdev: the vmq device.
 * @cookie: its parent, as vmq_vfio_parent_add() returned.
 *
 * Removes its mdevs; each removal asks its VMM to close the device and
 * waits until it has.  Holds no lock of the module meanwhile.
 */
void vmq_vfio_parent_del(struct vmq_dev *vdev, void *cookie)
{
	struct vmq_vfio_parent *parent = cookie;

	mdev_unregister_parent(&parent->parent);
	kfree(parent);
}
