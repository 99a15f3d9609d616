// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: the devlink instance of a vmq device.
 *
 * Settings that belong to the NIC rather than to one of its netdevs have
 * devlink as their standard home, so every vmq device whose netdev has a
 * parent device on a bus gets an instance there ("devlink dev show"),
 * with these runtime parameters:
 *
 *   macvlan_queues	(u32, 1..VMQ_FWD_MAX_QPS, default 1) queue pairs
 *			a macvlan offloaded from now on gets; the ones
 *			already offloaded keep theirs.
 */

#include <linux/stringify.h>
#include <net/devlink.h>
#include "vmq_priv.h"

enum vmq_devlink_param_id {
	VMQ_DEVLINK_PARAM_ID_BASE = DEVLINK_PARAM_GENERIC_ID_MAX,
	VMQ_DEVLINK_PARAM_ID_MACVLAN_QUEUES,
};

static struct vmq_dev *vmq_devlink_vdev(struct devlink *devlink)
{
	return *(struct vmq_dev **)devlink_priv(devlink);
}

static int vmq_devlink_fwd_qps_get(struct devlink *devlink, u32 id,
				   struct devlink_param_gset_ctx *ctx)
{
	struct vmq_dev *vdev = vmq_devlink_vdev(devlink);

	mutex_lock(&vdev->lock);
	ctx->val.vu32 = vdev->fwd_qps;
	mutex_unlock(&vdev->lock);
	return 0;
}

#ifdef VMQ_HAVE_DEVLINK_SET_EXTACK
static int vmq_devlink_fwd_qps_set(struct devlink *devlink, u32 id,
				   struct devlink_param_gset_ctx *ctx,
				   struct netlink_ext_ack *extack)
#else
static int vmq_devlink_fwd_qps_set(struct devlink *devlink, u32 id,
				   struct devlink_param_gset_ctx *ctx)
#endif
{
	struct vmq_dev *vdev = vmq_devlink_vdev(devlink);

	mutex_lock(&vdev->lock);
	vdev->fwd_qps = ctx->val.vu32;
	mutex_unlock(&vdev->lock);
	netdev_info(vdev->netdev, "vmq: macvlans offloaded from now on get %u queue pairs\n",
		    ctx->val.vu32);
	return 0;
}

static int vmq_devlink_fwd_qps_validate(struct devlink *devlink, u32 id,
					union devlink_param_value val,
					struct netlink_ext_ack *extack)
{
	struct vmq_dev *vdev = vmq_devlink_vdev(devlink);

	if (val.vu32 < 1 || val.vu32 > VMQ_FWD_MAX_QPS) {
		NL_SET_ERR_MSG_MOD(extack, "macvlan_queues must be 1 to "
				   __stringify(VMQ_FWD_MAX_QPS));
		return -EINVAL;
	}
	if (val.vu32 > 1 && !vdev->caps.rss) {
		NL_SET_ERR_MSG_MOD(extack, "the device has no RSS to spread a macvlan's flows");
		return -EOPNOTSUPP;
	}
	return 0;
}

static const struct devlink_param vmq_devlink_params[] = {
	DEVLINK_PARAM_DRIVER(VMQ_DEVLINK_PARAM_ID_MACVLAN_QUEUES,
			     "macvlan_queues", DEVLINK_PARAM_TYPE_U32,
			     BIT(DEVLINK_PARAM_CMODE_RUNTIME),
			     vmq_devlink_fwd_qps_get, vmq_devlink_fwd_qps_set,
			     vmq_devlink_fwd_qps_validate),
};

static const struct devlink_ops vmq_devlink_ops = {
};

/**
 * vmq_devlink_add() - give a vmq device its devlink instance
 * @vdev: the device, not yet visible to anyone.
 *
 * Without a parent device on a bus, or when devlink refuses, the device
 * works without one, with the defaults, and the log says so.
 */
void vmq_devlink_add(struct vmq_dev *vdev)
{
	struct device *parent = vdev->netdev->dev.parent;
	struct devlink *devlink;
	int err;

	vdev->fwd_qps = 1;
	if (!parent || !parent->bus) {
		netdev_info(vdev->netdev, "vmq: no parent device, no devlink instance\n");
		return;
	}
	devlink = devlink_alloc(&vmq_devlink_ops, sizeof(vdev), parent);
	if (!devlink)
		return;
	*(struct vmq_dev **)devlink_priv(devlink) = vdev;
	err = devlink_params_register(devlink, vmq_devlink_params,
				      ARRAY_SIZE(vmq_devlink_params));
	if (err) {
		netdev_warn(vdev->netdev, "vmq: no devlink parameters: %d\n",
			    err);
		devlink_free(devlink);
		return;
	}
	devlink_register(devlink);
	vdev->devlink = devlink;
}

/**
 * vmq_devlink_del() - undo vmq_devlink_add()
 * @vdev: the device; no devlink callback runs once this returns.
 */
void vmq_devlink_del(struct vmq_dev *vdev)
{
	struct devlink *devlink = vdev->devlink;

	if (!devlink)
		return;
	devlink_unregister(devlink);
	devlink_params_unregister(devlink, vmq_devlink_params,
				  ARRAY_SIZE(vmq_devlink_params));
	devlink_free(devlink);
	vdev->devlink = NULL;
}
