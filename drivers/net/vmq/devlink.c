// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: the devlink instance of a vmq device.
 *
 * Settings and views that belong to the NIC rather than to one of its
 * netdevs have devlink as their standard home, so every vmq device whose
 * netdev has a parent device on a bus gets an instance there ("devlink
 * dev show"), with
 *
 *   - runtime parameters: macvlan_queues (u32, 1..VMQ_FWD_MAX_QPS,
 *     default 1), the queue pairs a macvlan offloaded from now on gets;
 *     dynamic_vmq (bool), the Dynamic VMQ rebalancer, which ethtool's
 *     private flag dynamic-vmq also turns; base_cpu and max_cpus (u32,
 *     0 and 0: all CPUs), the CPUs the device's vectors may use, as
 *     Set-NetAdapterVmq's -BaseProcessorNumber and -MaxProcessors;
 *   - resources (sizes fixed by the hardware, occupancy live):
 *     queue_pairs, with host, macvlan, vfio and free under it, and
 *     filters;
 *   - the health reporter guest_queue: each guest queue pair's entry
 *     into the error state is reported, with a dump naming the queue,
 *     its owner and the reason; it reads healthy again once no guest
 *     queue pair is in error.
 */

#include <linux/spinlock.h>
#include <linux/stringify.h>
#include <net/devlink.h>
#include "vmq_priv.h"

enum vmq_devlink_resource_id {
	VMQ_RES_QPS = 1,
	VMQ_RES_QPS_HOST,
	VMQ_RES_QPS_MACVLAN,
	VMQ_RES_QPS_VFIO,
	VMQ_RES_QPS_FREE,
	VMQ_RES_FILTERS,
};

enum vmq_devlink_param_id {
	VMQ_DEVLINK_PARAM_ID_BASE = DEVLINK_PARAM_GENERIC_ID_MAX,
	VMQ_DEVLINK_PARAM_ID_MACVLAN_QUEUES,
	VMQ_DEVLINK_PARAM_ID_DYNAMIC_VMQ,
	VMQ_DEVLINK_PARAM_ID_BASE_CPU,
	VMQ_DEVLINK_PARAM_ID_MAX_CPUS,
};

static struct vmq_dev *vmq_devlink_vdev(struct devlink *devlink)
{
	return *(struct vmq_dev **)devlink_priv(devlink);
}

static int vmq_devlink_param_get(struct devlink *devlink, u32 id,
				 struct devlink_param_gset_ctx *ctx)
{
	struct vmq_dev *vdev = vmq_devlink_vdev(devlink);

	mutex_lock(&vdev->lock);
	switch (id) {
	case VMQ_DEVLINK_PARAM_ID_MACVLAN_QUEUES:
		ctx->val.vu32 = vdev->fwd_qps;
		break;
	case VMQ_DEVLINK_PARAM_ID_DYNAMIC_VMQ:
		ctx->val.vbool = vdev->dynamic;
		break;
	case VMQ_DEVLINK_PARAM_ID_BASE_CPU:
		ctx->val.vu32 = vdev->cpu_base;
		break;
	case VMQ_DEVLINK_PARAM_ID_MAX_CPUS:
		ctx->val.vu32 = vdev->cpu_max;
		break;
	}
	mutex_unlock(&vdev->lock);
	return 0;
}

/* A new CPU range: vectors outside it move in, pinned ones stay. */
static void vmq_devlink_cpus_set(struct vmq_dev *vdev, u32 base, u32 max)
{
	vdev->cpu_base = base;
	vdev->cpu_max = max;
	vmq_affinity_refresh(vdev);
	if (max)
		netdev_info(vdev->netdev, "vmq: vectors on CPUs %u-%u\n", base,
			    min(base + max - 1, nr_cpu_ids - 1));
	else
		netdev_info(vdev->netdev, "vmq: vectors on CPUs %u and up\n",
			    base);
}

#ifdef VMQ_HAVE_DEVLINK_SET_EXTACK
static int vmq_devlink_param_set(struct devlink *devlink, u32 id,
				 struct devlink_param_gset_ctx *ctx,
				 struct netlink_ext_ack *extack)
#else
static int vmq_devlink_param_set(struct devlink *devlink, u32 id,
				 struct devlink_param_gset_ctx *ctx)
#endif
{
	struct vmq_dev *vdev = vmq_devlink_vdev(devlink);

	mutex_lock(&vdev->lock);
	switch (id) {
	case VMQ_DEVLINK_PARAM_ID_MACVLAN_QUEUES:
		vdev->fwd_qps = ctx->val.vu32;
		netdev_info(vdev->netdev, "vmq: macvlans offloaded from now on get %u queue pairs\n",
			    ctx->val.vu32);
		break;
	case VMQ_DEVLINK_PARAM_ID_DYNAMIC_VMQ:
		vmq_balance_set(vdev, ctx->val.vbool);
		break;
	case VMQ_DEVLINK_PARAM_ID_BASE_CPU:
		vmq_devlink_cpus_set(vdev, ctx->val.vu32, vdev->cpu_max);
		break;
	case VMQ_DEVLINK_PARAM_ID_MAX_CPUS:
		vmq_devlink_cpus_set(vdev, vdev->cpu_base, ctx->val.vu32);
		break;
	}
	mutex_unlock(&vdev->lock);
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

static int vmq_devlink_cpus_validate(struct devlink *devlink, u32 id,
				     union devlink_param_value val,
				     struct netlink_ext_ack *extack)
{
	u32 last = id == VMQ_DEVLINK_PARAM_ID_MAX_CPUS ? nr_cpu_ids :
						       nr_cpu_ids - 1;

	if (val.vu32 > last) {
		NL_SET_ERR_MSG_MOD(extack, "past the last possible CPU");
		return -EINVAL;
	}
	return 0;
}

#define VMQ_DEVLINK_PARAM(_id, _name, _type, _validate)			\
	DEVLINK_PARAM_DRIVER(VMQ_DEVLINK_PARAM_ID_##_id, _name,		\
			     DEVLINK_PARAM_TYPE_##_type,			\
			     BIT(DEVLINK_PARAM_CMODE_RUNTIME),		\
			     vmq_devlink_param_get, vmq_devlink_param_set,	\
			     _validate)

static const struct devlink_param vmq_devlink_params[] = {
	VMQ_DEVLINK_PARAM(MACVLAN_QUEUES, "macvlan_queues", U32,
			  vmq_devlink_fwd_qps_validate),
	VMQ_DEVLINK_PARAM(DYNAMIC_VMQ, "dynamic_vmq", BOOL, NULL),
	VMQ_DEVLINK_PARAM(BASE_CPU, "base_cpu", U32,
			  vmq_devlink_cpus_validate),
	VMQ_DEVLINK_PARAM(MAX_CPUS, "max_cpus", U32,
			  vmq_devlink_cpus_validate),
};

static const struct devlink_ops vmq_devlink_ops = {
};

/* Queue pairs owned by @owner; VMQ_OWNER_NONE: free ones. */
static u64 vmq_devlink_qps_owned(struct vmq_dev *vdev,
				 enum vmq_owner_type owner)
{
	u64 n = 0;
	u32 i;

	mutex_lock(&vdev->lock);
	for (i = 0; i < vdev->caps.num_qps; i++)
		n += vdev->qps[i].state == VMQ_QP_FREE ?
		     owner == VMQ_OWNER_NONE : vdev->qps[i].owner == owner;
	mutex_unlock(&vdev->lock);
	return n;
}

static u64 vmq_devlink_occ_qps(void *priv)
{
	struct vmq_dev *vdev = priv;

	return vdev->caps.num_qps - vmq_devlink_qps_owned(vdev, VMQ_OWNER_NONE);
}

static u64 vmq_devlink_occ_host(void *priv)
{
	return vmq_devlink_qps_owned(priv, VMQ_OWNER_HOST);
}

static u64 vmq_devlink_occ_macvlan(void *priv)
{
	return vmq_devlink_qps_owned(priv, VMQ_OWNER_MACVLAN);
}

/* Guest queue pairs: VFIO's and vDPA's. */
static u64 vmq_devlink_occ_vfio(void *priv)
{
	return vmq_devlink_qps_owned(priv, VMQ_OWNER_VFIO) +
	       vmq_devlink_qps_owned(priv, VMQ_OWNER_VDPA);
}

static u64 vmq_devlink_occ_free(void *priv)
{
	return vmq_devlink_qps_owned(priv, VMQ_OWNER_NONE);
}

static u64 vmq_devlink_occ_filters(void *priv)
{
	struct vmq_dev *vdev = priv;
	u64 n;

	mutex_lock(&vdev->lock);
	n = vdev->nr_filters;
	mutex_unlock(&vdev->lock);
	return n;
}

static const struct {
	const char *name;
	u64 id;
	u64 parent;
	devlink_resource_occ_get_t *occ;
} vmq_devlink_resources[] = {
	{ "queue_pairs", VMQ_RES_QPS, DEVLINK_RESOURCE_ID_PARENT_TOP,
	  vmq_devlink_occ_qps },
	{ "host", VMQ_RES_QPS_HOST, VMQ_RES_QPS, vmq_devlink_occ_host },
	{ "macvlan", VMQ_RES_QPS_MACVLAN, VMQ_RES_QPS, vmq_devlink_occ_macvlan },
	{ "vfio", VMQ_RES_QPS_VFIO, VMQ_RES_QPS, vmq_devlink_occ_vfio },
	{ "free", VMQ_RES_QPS_FREE, VMQ_RES_QPS, vmq_devlink_occ_free },
	{ "filters", VMQ_RES_FILTERS, DEVLINK_RESOURCE_ID_PARENT_TOP,
	  vmq_devlink_occ_filters },
};

static void vmq_devlink_resources_del(struct devlink *devlink)
{
	/* Their occupancy getters go with them. */
	devlink_resources_unregister(devlink);
}

/*
 * Each resource's size is what the hardware has; any owner may take any
 * queue pair, so each kind under queue_pairs may grow to all of them.
 */
static int vmq_devlink_resources_add(struct vmq_dev *vdev,
				     struct devlink *devlink)
{
	struct devlink_resource_size_params params;
	u64 size;
	int err;
	u32 i;

	for (i = 0; i < ARRAY_SIZE(vmq_devlink_resources); i++) {
		size = vmq_devlink_resources[i].id == VMQ_RES_FILTERS ?
		       vdev->caps.num_filters : vdev->caps.num_qps;
		devlink_resource_size_params_init(&params, size, size, 1,
						  DEVLINK_RESOURCE_UNIT_ENTRY);
		err = devlink_resource_register(devlink,
						vmq_devlink_resources[i].name,
						size, vmq_devlink_resources[i].id,
						vmq_devlink_resources[i].parent,
						&params);
		if (err)
			goto err_unregister;
		devlink_resource_occ_get_register(devlink,
						  vmq_devlink_resources[i].id,
						  vmq_devlink_resources[i].occ,
						  vdev);
	}
	return 0;

err_unregister:
	vmq_devlink_resources_del(devlink);
	return err;
}

/*
 * What a guest_queue dump says: the error it was made for, or, asked for
 * by the admin, the latest one.
 */
static int vmq_health_dump(struct devlink_health_reporter *reporter,
			   struct devlink_fmsg *fmsg, void *priv_ctx,
			   struct netlink_ext_ack *extack)
{
	struct vmq_dev *vdev = devlink_health_reporter_priv(reporter);
	struct vmq_health_event ev;
	unsigned long flags;

	if (priv_ctx) {
		ev = *(struct vmq_health_event *)priv_ctx;
	} else {
		spin_lock_irqsave(&vdev->health_lock, flags);
		ev = vdev->health_last;
		spin_unlock_irqrestore(&vdev->health_lock, flags);
	}
	if (!ev.err) {
		NL_SET_ERR_MSG_MOD(extack, "no guest queue error yet");
		return -ENODATA;
	}
	devlink_fmsg_u32_pair_put(fmsg, "queue", ev.qp);
	devlink_fmsg_string_pair_put(fmsg, "owner", vmq_owner_name(ev.owner));
	devlink_fmsg_string_pair_put(fmsg, "name", ev.name);
	devlink_fmsg_string_pair_put(fmsg, "reason", vmq_guest_err_name(ev.err));
	devlink_fmsg_u32_pair_put(fmsg, "error", ev.err);
	return 0;
}

static const struct devlink_health_reporter_ops vmq_health_ops = {
	.name = "guest_queue",
	.dump = vmq_health_dump,
};

/* Whether a guest queue pair of @vdev is in the error state now. */
static bool vmq_health_any_error(struct vmq_dev *vdev)
{
	bool err = false;
	u32 i;

	mutex_lock(&vdev->lock);
	for (i = 0; i < vdev->caps.num_qps && !err; i++)
		err = vdev->qps[i].guest && READ_ONCE(vdev->qps[i].guest->error);
	mutex_unlock(&vdev->lock);
	return err;
}

/* Reports the errors queued, then says healthy if none is left. */
static void vmq_health_work(struct work_struct *work)
{
	struct vmq_dev *vdev = container_of(work, struct vmq_dev, health_work);
	struct devlink_health_reporter *health = READ_ONCE(vdev->health);
	struct vmq_health_event ev;
	unsigned long flags;
	char msg[96];

	/*
	 * The reporter goes (vmq_health_del()) with this work cancelled and
	 * waited for, but after it is unset: a run that begins in between
	 * has nothing to report to.
	 */
	if (!health)
		return;
	for (;;) {
		spin_lock_irqsave(&vdev->health_lock, flags);
		if (!vdev->health_nr) {
			spin_unlock_irqrestore(&vdev->health_lock, flags);
			break;
		}
		ev = vdev->health_ev[0];
		vdev->health_nr--;
		memmove(vdev->health_ev, vdev->health_ev + 1,
			vdev->health_nr * sizeof(ev));
		spin_unlock_irqrestore(&vdev->health_lock, flags);
		snprintf(msg, sizeof(msg), "guest queue pair %u (%s): %s",
			 ev.qp, ev.name, vmq_guest_err_name(ev.err));
		devlink_health_report(health, msg, &ev);
	}
	if (!vmq_health_any_error(vdev))
		devlink_health_reporter_state_update(health,
						     DEVLINK_HEALTH_REPORTER_STATE_HEALTHY);
}

/**
 * vmq_devlink_guest_error() - tell devlink a guest queue pair failed
 * @vdev: the device.
 * @qp: the queue pair.
 * @name: its owner's name for it.
 * @err: why.
 *
 * Context: any; the report is made from a work item.  Events beyond
 * %VMQ_HEALTH_PENDING waiting at once are counted by the reporter's
 * next report only.
 */
void vmq_devlink_guest_error(struct vmq_dev *vdev, u32 qp, const char *name,
			     enum vmq_err err)
{
	struct vmq_health_event ev = { .qp = qp, .err = err };
	unsigned long flags;

	if (!vdev->health)
		return;
	ev.owner = READ_ONCE(vdev->qps[qp].owner);
	strscpy(ev.name, name, sizeof(ev.name));
	spin_lock_irqsave(&vdev->health_lock, flags);
	/* The dump shows the latest error, also one only counted. */
	vdev->health_last = ev;
	if (vdev->health_nr < VMQ_HEALTH_PENDING)
		vdev->health_ev[vdev->health_nr++] = ev;
	spin_unlock_irqrestore(&vdev->health_lock, flags);
	schedule_work(&vdev->health_work);
}

/**
 * vmq_devlink_guest_recheck() - a guest queue pair left the error state
 * @vdev: the device.
 *
 * Context: any.
 */
void vmq_devlink_guest_recheck(struct vmq_dev *vdev)
{
	if (vdev->health)
		schedule_work(&vdev->health_work);
}

static void vmq_health_add(struct vmq_dev *vdev, struct devlink *devlink)
{
	struct devlink_health_reporter *health;

	spin_lock_init(&vdev->health_lock);
	INIT_WORK(&vdev->health_work, vmq_health_work);
	health = devlink_health_reporter_create(devlink, &vmq_health_ops, 0,
						vdev);
	if (IS_ERR(health)) {
		netdev_warn(vdev->netdev, "vmq: no devlink health reporter: %ld\n",
			    PTR_ERR(health));
		return;
	}
	vdev->health = health;
}

/* No guest queue pair is left to report an error now. */
static void vmq_health_del(struct vmq_dev *vdev)
{
	struct devlink_health_reporter *health = vdev->health;

	if (!health)
		return;
	WRITE_ONCE(vdev->health, NULL);
	cancel_work_sync(&vdev->health_work);
	devlink_health_reporter_destroy(health);
}

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
	if (!devlink) {
		netdev_warn(vdev->netdev, "vmq: no memory for a devlink instance, none registered\n");
		return;
	}
	*(struct vmq_dev **)devlink_priv(devlink) = vdev;
	err = devlink_params_register(devlink, vmq_devlink_params,
				      ARRAY_SIZE(vmq_devlink_params));
	if (err) {
		netdev_warn(vdev->netdev, "vmq: no devlink parameters: %d\n",
			    err);
		devlink_free(devlink);
		return;
	}
	err = vmq_devlink_resources_add(vdev, devlink);
	if (err)
		netdev_warn(vdev->netdev, "vmq: no devlink resources: %d\n",
			    err);
	devlink_register(devlink);
	vmq_health_add(vdev, devlink);
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
	vmq_health_del(vdev);
	devlink_unregister(devlink);
	vmq_devlink_resources_del(devlink);
	devlink_params_unregister(devlink, vmq_devlink_params,
				  ARRAY_SIZE(vmq_devlink_params));
	devlink_free(devlink);
	vdev->devlink = NULL;
}
