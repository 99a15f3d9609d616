// SPDX-License-Identifier: GPL-2.0
/*
 * vmqsim: the "vmqsim" bus, where simulated NICs are created and
 * destroyed, its driver, and the module's entry points.
 *
 *   echo "ID [QUEUE_PAIRS [FILTERS]]" > /sys/bus/vmqsim/new_device
 *   echo ID > /sys/bus/vmqsim/del_device
 *
 * A bus device is the simulated hardware's slot; the driver brings it
 * to life when it binds (probe: the silicon, its vectors and both
 * netdevs) and takes it apart when it unbinds, so the driver core's
 * bind and unbind files work as on any bus:
 *
 *   echo vmqsim0 > /sys/bus/vmqsim/drivers/vmqsim/unbind
 *   echo vmqsim0 > /sys/bus/vmqsim/drivers/vmqsim/bind
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <net/rtnetlink.h>
#include <net/vmq_compat.h>
#include "vmqsim.h"

#define VMQSIM_NEW_DEVICE_USAGE \
	"echo \"ID [QUEUE_PAIRS [FILTERS]]\" > /sys/bus/vmqsim/new_device"

static unsigned int num_devices = 1;
module_param(num_devices, uint, 0444);
MODULE_PARM_DESC(num_devices, "devices (IDs 0..n-1) to create at load");

/*
 * Guards the list, each device's @dying and the flag.  Not held while a
 * device is taken apart: that waits for VMMs using it, which must not
 * hold up other devices.
 */
static DEFINE_MUTEX(vmqsim_bus_lock);
static LIST_HEAD(vmqsim_devs);
/* False while the module goes away: no new devices. */
static bool vmqsim_bus_open;
/*
 * Bus devices not yet released.  Others may hold the last reference
 * (6.12's devlink drops its hold on the parent from a work item, after a
 * grace period), and the release is this module's code: the module may
 * not go before the count is 0.
 */
static atomic_t vmqsim_bus_live = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(vmqsim_bus_released);

static struct vmqsim_dev *vmqsim_bus_find(u32 id)
{
	struct vmqsim_dev *sdev;

	lockdep_assert_held(&vmqsim_bus_lock);
	list_for_each_entry(sdev, &vmqsim_devs, list)
		if (sdev->id == id)
			return sdev;
	return NULL;
}

static struct vmqsim_dev *to_vmqsim_dev(struct device *dev)
{
	return container_of(dev, struct vmqsim_dev, dev);
}

static void vmqsim_bus_dev_release(struct device *dev)
{
	kvfree(to_vmqsim_dev(dev));
	if (atomic_dec_and_test(&vmqsim_bus_live))
		wake_up(&vmqsim_bus_released);
}

static VMQ_COMPAT_BUS_TYPE vmqsim_bus;

/* Called with vmqsim_bus_lock held. */
static int vmqsim_bus_dev_new(u32 id, u32 num_qps, u32 num_filters)
{
	struct vmqsim_dev *sdev;
	int err;

	sdev = vmqsim_bus_find(id);
	if (sdev) {
		pr_err("device %u %s\n", id,
		       sdev->dying ? "is still being deleted" : "already exists");
		return sdev->dying ? -EBUSY : -EEXIST;
	}
	/* The classifier's buckets make it large: it need not be contiguous. */
	sdev = kvzalloc(sizeof(*sdev), GFP_KERNEL);
	if (!sdev)
		return -ENOMEM;
	sdev->id = id;
	sdev->num_qps = num_qps;
	sdev->num_filters = num_filters;
	device_initialize(&sdev->dev);
	sdev->dev.bus = &vmqsim_bus;
	sdev->dev.release = vmqsim_bus_dev_release;
	atomic_inc(&vmqsim_bus_live);
	err = dev_set_name(&sdev->dev, VMQSIM_DRV_NAME "%u", id);
	if (err)
		goto err_put_device;
	/* Binds the driver, whose probe builds the NIC... */
	err = device_add(&sdev->dev);
	if (err)
		goto err_put_device;
	/* ...which must work: a device that cannot be created is not kept. */
	err = READ_ONCE(sdev->probe_err);
	if (err)
		goto err_device_del;
	list_add_tail(&sdev->list, &vmqsim_devs);
	return 0;

err_device_del:
	device_del(&sdev->dev);
err_put_device:
	put_device(&sdev->dev);
	return err;
}

/*
 * Called without vmqsim_bus_lock, on a device its caller marked @dying:
 * it stays listed, so its ID is not reused, until it is gone.
 */
static void vmqsim_bus_dev_del(struct vmqsim_dev *sdev)
{
	/* Unbinds the driver, whose remove takes the NIC apart. */
	device_del(&sdev->dev);
	mutex_lock(&vmqsim_bus_lock);
	list_del(&sdev->list);
	mutex_unlock(&vmqsim_bus_lock);
	put_device(&sdev->dev);
}

/* Parse "ID [QUEUE_PAIRS [FILTERS]]": one to three decimal numbers. */
static int vmqsim_parse_new_device(const char *buf, u32 vals[3])
{
	char *copy, *cur, *tok;
	int n = 0, err = 0;

	copy = kstrdup(buf, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	cur = strim(copy);
	while ((tok = strsep(&cur, " \t")) != NULL) {
		if (!*tok)
			continue;
		if (n == 3 || kstrtou32(tok, 10, &vals[n])) {
			err = -EINVAL;
			break;
		}
		n++;
	}
	kfree(copy);
	if (!err && !n)
		err = -EINVAL;
	return err;
}

static int vmqsim_check_new_device(const u32 vals[3])
{
	if (vals[0] > VMQSIM_MAX_ID || !vals[1] ||
	    vals[1] > VMQSIM_MAX_QPS || !vals[2] ||
	    vals[2] > VMQSIM_MAX_FILTERS)
		return -EINVAL;
	return 0;
}

static ssize_t
new_device_store(VMQ_COMPAT_BUS_TYPE *bus, const char *buf,
		 size_t count)
{
	u32 vals[3] = { 0, VMQSIM_DEFAULT_QPS, VMQSIM_MAX_FILTERS };
	int err;

	err = vmqsim_parse_new_device(buf, vals);
	if (!err)
		err = vmqsim_check_new_device(vals);
	if (err == -EINVAL) {
		pr_err("bad new_device input; use: " VMQSIM_NEW_DEVICE_USAGE
		       " (ID 0..%u, QUEUE_PAIRS 1..%u, FILTERS 1..%u)\n",
		       VMQSIM_MAX_ID, VMQSIM_MAX_QPS, VMQSIM_MAX_FILTERS);
		return err;
	}
	if (err)
		return err;

	mutex_lock(&vmqsim_bus_lock);
	err = vmqsim_bus_open ? vmqsim_bus_dev_new(vals[0], vals[1], vals[2]) :
				-ENODEV;
	mutex_unlock(&vmqsim_bus_lock);
	return err ?: count;
}
static BUS_ATTR_WO(new_device);

static ssize_t
del_device_store(VMQ_COMPAT_BUS_TYPE *bus, const char *buf,
		 size_t count)
{
	struct vmqsim_dev *sdev;
	u32 id;
	int err;

	err = kstrtou32(buf, 10, &id);
	if (err) {
		pr_err("bad del_device input; use: echo ID > /sys/bus/vmqsim/del_device\n");
		return -EINVAL;
	}

	mutex_lock(&vmqsim_bus_lock);
	sdev = vmqsim_bus_open ? vmqsim_bus_find(id) : NULL;
	if (sdev && sdev->dying)
		sdev = ERR_PTR(-EBUSY);
	else if (sdev)
		sdev->dying = true;
	mutex_unlock(&vmqsim_bus_lock);
	if (IS_ERR(sdev)) {
		pr_err("device %u is already being deleted\n", id);
		return PTR_ERR(sdev);
	}
	if (!sdev) {
		pr_err("no device %u to delete\n", id);
		return -ENOENT;
	}
	vmqsim_bus_dev_del(sdev);
	return count;
}
static BUS_ATTR_WO(del_device);

static struct attribute *vmqsim_bus_attrs[] = {
	&bus_attr_new_device.attr,
	&bus_attr_del_device.attr,
	NULL
};
ATTRIBUTE_GROUPS(vmqsim_bus);

/* Every vmqsim device is for the one driver: no match callback. */
static int vmqsim_bus_probe(struct device *dev)
{
	struct vmqsim_dev *sdev = to_vmqsim_dev(dev);
	int err;

	err = vmqsim_dev_create(sdev);
	/* For new_device, which cannot get it from device_add(). */
	WRITE_ONCE(sdev->probe_err, err);
	return err;
}

static void vmqsim_bus_remove(struct device *dev)
{
	vmqsim_dev_destroy(to_vmqsim_dev(dev));
}

static VMQ_COMPAT_BUS_TYPE vmqsim_bus = {
	.name		= VMQSIM_DRV_NAME,
	.bus_groups	= vmqsim_bus_groups,
	.probe		= vmqsim_bus_probe,
	.remove		= vmqsim_bus_remove,
};

static struct device_driver vmqsim_driver = {
	.name		= VMQSIM_DRV_NAME,
	.bus		= &vmqsim_bus,
	.owner		= THIS_MODULE,
};

/* The newest device nobody is deleting yet, marked @dying; or NULL. */
static struct vmqsim_dev *vmqsim_bus_take_last(void)
{
	struct vmqsim_dev *sdev;

	list_for_each_entry_reverse(sdev, &vmqsim_devs, list) {
		if (!sdev->dying) {
			sdev->dying = true;
			return sdev;
		}
	}
	return NULL;
}

/*
 * Devices a del_device write is still deleting are left to it: removing
 * the bus's attributes waits for that write to finish.  Then wait until
 * every device is released, whoever held its last reference.
 */
static void vmqsim_bus_del_all(void)
{
	struct vmqsim_dev *sdev;

	mutex_lock(&vmqsim_bus_lock);
	vmqsim_bus_open = false;
	while ((sdev = vmqsim_bus_take_last())) {
		mutex_unlock(&vmqsim_bus_lock);
		vmqsim_bus_dev_del(sdev);
		mutex_lock(&vmqsim_bus_lock);
	}
	mutex_unlock(&vmqsim_bus_lock);
	wait_event(vmqsim_bus_released, !atomic_read(&vmqsim_bus_live));
}

static int vmqsim_bus_add_initial(void)
{
	int err = 0;
	u32 id;

	mutex_lock(&vmqsim_bus_lock);
	vmqsim_bus_open = true;
	for (id = 0; id < num_devices && !err; id++)
		err = vmqsim_bus_dev_new(id, VMQSIM_DEFAULT_QPS,
					 VMQSIM_MAX_FILTERS);
	mutex_unlock(&vmqsim_bus_lock);
	return err;
}

/* Netdevs come from the bus, not from "ip link add": say so. */
static int vmqsim_link_validate(struct nlattr *tb[], struct nlattr *data[],
				struct netlink_ext_ack *extack)
{
	NL_SET_ERR_MSG_MOD(extack, "use: " VMQSIM_NEW_DEVICE_USAGE);
	return -EOPNOTSUPP;
}

static struct rtnl_link_ops vmqsim_link_ops __read_mostly = {
	.kind		= VMQSIM_DRV_NAME,
	.validate	= vmqsim_link_validate,
};

static int __init vmqsim_module_init(void)
{
	int err;

	if (num_devices > VMQSIM_MAX_ID + 1) {
		pr_err("num_devices=%u: at most %u\n", num_devices,
		       VMQSIM_MAX_ID + 1);
		return -EINVAL;
	}
	err = vmqsim_guest_init();
	if (err)
		return err;
	vmqsim_debugfs_init();
	err = bus_register(&vmqsim_bus);
	if (err)
		goto err_debugfs_exit;
	err = driver_register(&vmqsim_driver);
	if (err)
		goto err_bus_unregister;
	err = rtnl_link_register(&vmqsim_link_ops);
	if (err)
		goto err_driver_unregister;
	err = vmqsim_bus_add_initial();
	if (err)
		goto err_del_devices;
	return 0;

err_del_devices:
	vmqsim_bus_del_all();
	rtnl_link_unregister(&vmqsim_link_ops);
err_driver_unregister:
	driver_unregister(&vmqsim_driver);
err_bus_unregister:
	bus_unregister(&vmqsim_bus);
err_debugfs_exit:
	vmqsim_debugfs_exit();
	vmqsim_guest_exit();
	return err;
}

static void __exit vmqsim_module_exit(void)
{
	vmqsim_bus_del_all();
	rtnl_link_unregister(&vmqsim_link_ops);
	driver_unregister(&vmqsim_driver);
	bus_unregister(&vmqsim_bus);
	vmqsim_debugfs_exit();
	vmqsim_guest_exit();
}

module_init(vmqsim_module_init);
module_exit(vmqsim_module_exit);

MODULE_DESCRIPTION("Simulated VMQ network device");
MODULE_LICENSE("GPL");
/* Queue pairs of every vmqsim device are mdev parents. */
MODULE_SOFTDEP("post: vmq_vfio");
