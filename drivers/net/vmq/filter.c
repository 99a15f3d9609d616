// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: the MAC/VLAN filter table.
 *
 * Filters live twice: in an rhashtable keyed by MAC+VLAN, for O(1) RCU
 * lookup from a receive path and duplicate detection, and in an array by
 * location, which is both the hardware slot and the ethtool rule location.
 */

#include <linux/etherdevice.h>
#include <linux/slab.h>
#include "vmq_priv.h"

static const struct rhashtable_params vmq_filter_ht_params = {
	.key_len	= sizeof(struct vmq_filter_key),
	.key_offset	= offsetof(struct vmq_filter, key),
	.head_offset	= offsetof(struct vmq_filter, node),
	.automatic_shrinking = true,
};

static const char * const vmq_filter_origin_names[] = {
	[VMQ_FILTER_ETHTOOL]	= "ethtool",
	[VMQ_FILTER_MACVLAN]	= "macvlan",
	[VMQ_FILTER_VFIO]	= "vfio",
};

const char *vmq_filter_origin_name(enum vmq_filter_origin origin)
{
	return vmq_filter_origin_names[origin];
}

int vmq_filters_init(struct vmq_dev *vdev)
{
	int err;

	vdev->filters = kcalloc(vdev->caps.num_filters,
				sizeof(*vdev->filters), GFP_KERNEL);
	if (!vdev->filters)
		return -ENOMEM;
	err = rhashtable_init(&vdev->filter_ht, &vmq_filter_ht_params);
	if (err)
		kfree(vdev->filters);
	return err;
}

/* Called with the device mutex held, or before anyone else can see it. */
void vmq_filters_fini(struct vmq_dev *vdev)
{
	u32 loc;

	if (!vdev->filters)
		return;
	for (loc = 0; loc < vdev->caps.num_filters; loc++)
		if (vdev->filters[loc])
			__vmq_filter_del(vdev, loc);
	rhashtable_destroy(&vdev->filter_ht);
	kfree(vdev->filters);
	vdev->filters = NULL;
}

static u32 vmq_filter_free_loc(struct vmq_dev *vdev)
{
	u32 loc;

	for (loc = 0; loc < vdev->caps.num_filters; loc++)
		if (!vdev->filters[loc])
			return loc;
	return VMQ_LOC_ANY;
}

static void vmq_filter_account(struct vmq_dev *vdev,
			       const struct vmq_filter *filter, int delta)
{
	vdev->nr_filters += delta;
	if (filter->origin == VMQ_FILTER_ETHTOOL)
		vdev->nr_ethtool_filters += delta;
	if (filter->qp != VMQ_QP_DROP && !vmq_qp_is_rss(filter->qp))
		vdev->qps[filter->qp].nr_filters += delta;
}

/*
 * Put @new into the hash table: in place of @old if it has the same key
 * (only the action changes), else next to it until the hardware took
 * @new, so that a lookup never misses both.
 */
static int vmq_filter_hash_add(struct vmq_dev *vdev, struct vmq_filter *old,
			       struct vmq_filter *new, bool same_key)
{
	if (same_key)
		return rhashtable_replace_fast(&vdev->filter_ht, &old->node,
					       &new->node, vmq_filter_ht_params);
	return rhashtable_insert_fast(&vdev->filter_ht, &new->node,
				      vmq_filter_ht_params);
}

/* Undo vmq_filter_hash_add(): @old, if any, matches as before. */
static void vmq_filter_hash_undo(struct vmq_dev *vdev, struct vmq_filter *old,
				 struct vmq_filter *new, bool same_key)
{
	if (same_key)
		rhashtable_replace_fast(&vdev->filter_ht, &new->node,
					&old->node, vmq_filter_ht_params);
	else
		rhashtable_remove_fast(&vdev->filter_ht, &new->node,
				       vmq_filter_ht_params);
}

static struct vmq_filter *vmq_filter_alloc(const struct vmq_filter_key *key,
					   u32 qp, enum vmq_filter_origin origin,
					   u32 loc)
{
	struct vmq_filter *filter;

	filter = kzalloc(sizeof(*filter), GFP_KERNEL);
	if (!filter)
		return NULL;
	filter->key = *key;
	filter->loc = loc;
	filter->qp = qp;
	filter->origin = origin;
	return filter;
}

/*
 * Install a filter; called with the device mutex held.  Returns the
 * location used, or a negative errno: -ENOSPC when the table is full,
 * -EINVAL for a location past its end, -EBUSY for a location another
 * origin holds, -EEXIST when the key is already installed.  A location
 * its own origin holds is updated in place, in one hardware write; on
 * failure the old filter stays as it was.
 */
int __vmq_filter_add(struct vmq_dev *vdev, const struct vmq_filter_key *key,
		     u32 qp, enum vmq_filter_origin origin, u32 loc)
{
	struct vmq_filter *filter, *old = NULL, *dup;
	bool same_key;
	int err;

	lockdep_assert_held(&vdev->lock);
	if (loc == VMQ_LOC_ANY) {
		loc = vmq_filter_free_loc(vdev);
		if (loc == VMQ_LOC_ANY)
			return -ENOSPC;
	} else if (loc >= vdev->caps.num_filters) {
		return -EINVAL;
	} else if (vdev->filters[loc]) {
		old = vdev->filters[loc];
		/*
		 * ethtool's "insert at a used location" means "update"; a
		 * macvlan or VFIO owner moves its own filter the same way.
		 */
		if (old->origin != origin)
			return -EBUSY;
	}

	dup = rhashtable_lookup_fast(&vdev->filter_ht, key,
				     vmq_filter_ht_params);
	if (dup && dup != old)
		return -EEXIST;
	same_key = old && dup == old;

	filter = vmq_filter_alloc(key, qp, origin, loc);
	if (!filter)
		return -ENOMEM;
	err = vmq_filter_hash_add(vdev, old, filter, same_key);
	if (err)
		goto err_free;
	/* One write replaces whatever the slot held. */
	err = vdev->ops->filter_write(vdev, loc, key, qp);
	if (err) {
		vmq_filter_hash_undo(vdev, old, filter, same_key);
		goto err_free;
	}
	vdev->filters[loc] = filter;
	vmq_filter_account(vdev, filter, 1);
	if (old) {
		if (!same_key)
			rhashtable_remove_fast(&vdev->filter_ht, &old->node,
					       vmq_filter_ht_params);
		vmq_filter_account(vdev, old, -1);
		kfree_rcu(old, rcu);
	}
	return loc;

err_free:
	/* It may have been in the hash table, which RCU readers walk. */
	kfree_rcu(filter, rcu);
	return err;
}

/* Remove the filter at @loc; called with the device mutex held. */
int __vmq_filter_del(struct vmq_dev *vdev, u32 loc)
{
	struct vmq_filter *filter;

	lockdep_assert_held(&vdev->lock);
	if (loc >= vdev->caps.num_filters || !vdev->filters[loc])
		return -ENOENT;
	filter = vdev->filters[loc];
	vdev->ops->filter_clear(vdev, loc);
	rhashtable_remove_fast(&vdev->filter_ht, &filter->node,
			       vmq_filter_ht_params);
	vdev->filters[loc] = NULL;
	vmq_filter_account(vdev, filter, -1);
	kfree_rcu(filter, rcu);
	return 0;
}

/* Highest queue pair any filter of @origin targets, or VMQ_QP_DROP. */
u32 vmq_filter_max_qp(struct vmq_dev *vdev, enum vmq_filter_origin origin)
{
	u32 loc, max = VMQ_QP_DROP;

	for (loc = 0; loc < vdev->caps.num_filters; loc++) {
		struct vmq_filter *filter = vdev->filters[loc];

		/* A context's channels are checked with its table. */
		if (!filter || filter->origin != origin ||
		    filter->qp == VMQ_QP_DROP || vmq_qp_is_rss(filter->qp))
			continue;
		if (max == VMQ_QP_DROP || filter->qp > max)
			max = filter->qp;
	}
	return max;
}

/**
 * vmq_filter_lookup() - which queue pair a unicast frame belongs to
 * @vdev: the vmq device.
 * @addr: the frame's destination MAC.
 * @vlan: its VLAN ID, or %VMQ_VLAN_NONE if untagged.
 *
 * A filter on MAC+VLAN wins over one on the MAC alone.  What a driver
 * classifying in software would ask; exported once such a driver exists.
 *
 * Context: any; takes the RCU read lock itself.
 * Return: the target queue pair, %VMQ_QP_DROP, or %VMQ_QP_DEFAULT when
 * no filter matches.
 */
u32 vmq_filter_lookup(struct vmq_dev *vdev, const u8 *addr, u16 vlan)
{
	struct vmq_filter_key key = { .vlan = vlan };
	struct vmq_filter *filter = NULL;
	u32 qp = VMQ_QP_DEFAULT;

	memcpy(key.addr, addr, ETH_ALEN);
	rcu_read_lock();
	if (vlan != VMQ_VLAN_NONE)
		filter = rhashtable_lookup(&vdev->filter_ht, &key,
					   vmq_filter_ht_params);
	if (!filter) {
		key.vlan = VMQ_VLAN_NONE;
		filter = rhashtable_lookup(&vdev->filter_ht, &key,
					   vmq_filter_ht_params);
	}
	if (filter)
		qp = READ_ONCE(filter->qp);
	rcu_read_unlock();
	return qp;
}
