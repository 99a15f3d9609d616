// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vdpa: the host admin's settings of a device, as for an mdev:
 *
 *   /sys/bus/vdpa/devices/<name>/vmq/{vlan,spoofchk,trunk,qp,state}
 *
 * The MAC is the one "vdpa dev add" gave; the driver never sets any of
 * these.  The core holds them (the NIC reads them per frame).
 */

#include <linux/if_vlan.h>
#include "vmq_vdpa.h"

static struct vmq_vdpa_dev *vmq_vdpa_dev_of(struct device *dev)
{
	return vmq_vdpa_from(dev_to_vdpa(dev));
}

static struct vmq_guest_qp *vmq_vdpa_attr_gqp(struct device *dev)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_dev_of(dev);

	return vmq_guest_qp(vd->vdev, vd->qp);
}

/* Apply VLAN or anti-spoofing (the other NULL), keeping the rest. */
static int vmq_vdpa_set_l2(struct device *dev, const u16 *vlan,
			   const bool *spoofchk)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_dev_of(dev);
	struct vmq_guest_qp *gqp = vmq_vdpa_attr_gqp(dev);
	u8 mac[ETH_ALEN];
	bool new_spoofchk;
	u16 new_vlan;
	int err;

	/* The device's lock serialises the admin's writers. */
	mutex_lock(&vd->lock);
	new_vlan = vmq_guest_qp_l2(gqp, mac);
	if (vlan)
		new_vlan = *vlan;
	new_spoofchk = spoofchk ? *spoofchk : READ_ONCE(gqp->spoofchk);
	err = vmq_guest_qp_set_l2(vd->vdev, vd->qp, mac, new_vlan,
				  new_spoofchk);
	mutex_unlock(&vd->lock);
	return err;
}

static ssize_t vlan_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	u8 mac[ETH_ALEN];

	return sysfs_emit(buf, "%u\n",
			  vmq_guest_qp_l2(vmq_vdpa_attr_gqp(dev), mac));
}

static ssize_t vlan_store(struct device *dev, struct device_attribute *attr,
			  const char *buf, size_t count)
{
	u16 vlan;
	int err;

	if (kstrtou16(buf, 0, &vlan) || vlan >= VLAN_VID_MASK) {
		dev_warn(dev, "vlan: want 0 (none) or a VLAN ID 1..4094\n");
		return -EINVAL;
	}
	err = vmq_vdpa_set_l2(dev, &vlan, NULL);
	return err ? err : count;
}
static DEVICE_ATTR_RW(vlan);

static ssize_t spoofchk_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  READ_ONCE(vmq_vdpa_attr_gqp(dev)->spoofchk));
}

static ssize_t spoofchk_store(struct device *dev,
			      struct device_attribute *attr, const char *buf,
			      size_t count)
{
	bool on;
	int err;

	if (kstrtobool(buf, &on)) {
		dev_warn(dev, "spoofchk: want 0 or 1\n");
		return -EINVAL;
	}
	err = vmq_vdpa_set_l2(dev, NULL, &on);
	return err ? err : count;
}
static DEVICE_ATTR_RW(spoofchk);

static ssize_t trunk_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(vmq_vdpa_attr_gqp(dev)->trunk));
}

static ssize_t trunk_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_dev_of(dev);
	bool on;

	if (kstrtobool(buf, &on)) {
		dev_warn(dev, "trunk: want 0 or 1\n");
		return -EINVAL;
	}
	vmq_guest_qp_set_trunk(vd->vdev, vd->qp, on);
	return count;
}
static DEVICE_ATTR_RW(trunk);

static ssize_t qp_show(struct device *dev, struct device_attribute *attr,
		       char *buf)
{
	return sysfs_emit(buf, "%u\n", vmq_vdpa_dev_of(dev)->qp);
}
static DEVICE_ATTR_RO(qp);

/*
 * "error" (the NIC stopped it on a driver error), "running",
 * "suspended" (by its driver, since DRIVER_OK), or "disabled": no
 * DRIVER_OK since the device was added or last reset, or a virtqueue
 * not ready.
 */
static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct vmq_vdpa_dev *vd = vmq_vdpa_dev_of(dev);

	if (READ_ONCE(vmq_vdpa_attr_gqp(dev)->error))
		return sysfs_emit(buf, "error\n");
	if (vmq_qp_state(vd->vdev, vd->qp) == VMQ_QP_RUNNING)
		return sysfs_emit(buf, "running\n");
	if (READ_ONCE(vd->suspended))
		return sysfs_emit(buf, "suspended\n");
	return sysfs_emit(buf, "disabled\n");
}
static DEVICE_ATTR_RO(state);

static struct attribute *vmq_vdpa_attrs[] = {
	&dev_attr_vlan.attr,
	&dev_attr_spoofchk.attr,
	&dev_attr_trunk.attr,
	&dev_attr_qp.attr,
	&dev_attr_state.attr,
	NULL,
};

static const struct attribute_group vmq_vdpa_group = {
	.name	= "vmq",
	.attrs	= vmq_vdpa_attrs,
};

const struct attribute_group *vmq_vdpa_groups[] = {
	&vmq_vdpa_group,
	NULL,
};
