// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: receive side scaling over the host's channels.
 *
 * The core keeps the key, the indirection table and the hashed fields
 * (&struct vmq_rss) and programs the driver's hardware with them:
 * "ethtool -x/-X" and "ethtool -n/-N ... rx-flow-hash" read and write
 * them.  Until the admin sets a table the core spreads it evenly over
 * the channels, again at every "ethtool -L"; a table the admin set is
 * kept, and channels it points at cannot go.
 */

#include <linux/ethtool.h>
#include "vmq_priv.h"

#define VMQ_RXH_IP	(RXH_IP_SRC | RXH_IP_DST)
#define VMQ_RXH_L4	(RXH_L4_B_0_1 | RXH_L4_B_2_3)

/* Called with the device mutex held. */
static int vmq_rss_write(struct vmq_dev *vdev)
{
	return vdev->ops->rss_write(vdev, 0, &vdev->rss);
}

static void vmq_rss_ctxs_rewrite(struct vmq_dev *vdev);
static int vmq_rss_indir_check(struct vmq_dev *vdev, const u32 *indir,
			       u32 count, u32 ctx);

static void vmq_rss_spread(struct vmq_dev *vdev, u32 channels)
{
	u32 i;

	for (i = 0; i < VMQ_RSS_INDIR_SIZE; i++)
		vdev->rss.indir[i] = ethtool_rxfh_indir_default(i, channels);
}

/* Every entry of @indir names one of @count channels; else logged. */
static int vmq_rss_indir_check(struct vmq_dev *vdev, const u32 *indir,
			       u32 count, u32 ctx)
{
	u32 i;

	for (i = 0; i < VMQ_RSS_INDIR_SIZE; i++) {
		if (indir[i] < count)
			continue;
		netdev_warn(vdev->netdev,
			    "vmq: RSS context %u entry %u: channel %u, of %u\n",
			    ctx, i, indir[i], count);
		return -EINVAL;
	}
	return 0;
}

/* Context @ctx with table 0's key and fields; device mutex held. */
static int vmq_rss_ctx_write(struct vmq_dev *vdev, u32 ctx)
{
	struct vmq_rss *rss = vdev->rss_ctx[ctx];

	memcpy(rss->key, vdev->rss.key, sizeof(rss->key));
	rss->l4 = vdev->rss.l4;
	return vdev->ops->rss_write(vdev, ctx, rss);
}

/* Table 0's key or fields changed: the contexts share them. */
static void vmq_rss_ctxs_rewrite(struct vmq_dev *vdev)
{
	u32 i;

	for (i = 1; i <= VMQ_RSS_HW_CTX; i++)
		if (vdev->rss_ctx[i] && !test_bit(i, vdev->rss_guest) &&
		    vmq_rss_ctx_write(vdev, i))
			netdev_warn(vdev->netdev,
				    "vmq: RSS context %u keeps its old key\n", i);
}

/**
 * vmq_rss_ctx_exists() - whether a filter may name RSS context @ctx
 * @vdev: the device, its mutex held.
 * @ctx: the context.
 *
 * Return: true if it exists.
 */
bool vmq_rss_ctx_exists(struct vmq_dev *vdev, u32 ctx)
{
	return ctx && ctx <= VMQ_RSS_MAX_CTX && vdev->rss_ctx[ctx];
}

/* Whether a filter sends frames to context @ctx. */
static bool vmq_rss_ctx_in_use(struct vmq_dev *vdev, u32 ctx)
{
	u32 loc;

	for (loc = 0; loc < vdev->caps.num_filters; loc++)
		if (vdev->filters[loc] &&
		    vdev->filters[loc]->qp == VMQ_QP_RSS(ctx))
			return true;
	return false;
}

/*
 * A new context @ctx (0: the first free one), its table @indir or, NULL,
 * spread over the channels; *@id and @out (if not NULL) say what it got.
 */
static int vmq_rss_ctx_create(struct vmq_dev *vdev, u32 ctx, const u32 *indir,
			      u32 *id, u32 *out)
{
	struct vmq_rss *rss;
	u32 i;
	int err;

	if (!vdev->caps.rss)
		return -EOPNOTSUPP;
	mutex_lock(&vdev->lock);
	for (i = 1; !ctx && i <= VMQ_RSS_MAX_CTX; i++)
		if (!vdev->rss_ctx[i])
			ctx = i;
	err = -EBUSY;
	if (!ctx || ctx > VMQ_RSS_MAX_CTX || vdev->rss_ctx[ctx]) {
		netdev_warn(vdev->netdev, "vmq: all %u RSS contexts in use\n",
			    VMQ_RSS_MAX_CTX);
		goto out;
	}
	err = -EINVAL;
	if (indir && vmq_rss_indir_check(vdev, indir, vdev->channels, ctx))
		goto out;
	err = -ENOMEM;
	rss = kzalloc(sizeof(*rss), GFP_KERNEL);
	if (!rss)
		goto out;
	for (i = 0; i < VMQ_RSS_INDIR_SIZE; i++)
		rss->indir[i] = indir ? indir[i] :
				ethtool_rxfh_indir_default(i, vdev->channels);
	vdev->rss_ctx[ctx] = rss;
	err = vmq_rss_ctx_write(vdev, ctx);
	if (err) {
		vdev->rss_ctx[ctx] = NULL;
		kfree(rss);
		goto out;
	}
	*id = ctx;
	if (out)
		memcpy(out, rss->indir, sizeof(rss->indir));
out:
	mutex_unlock(&vdev->lock);
	return err;
}

static int vmq_rss_ctx_modify(struct vmq_dev *vdev, u32 ctx, const u32 *indir)
{
	struct vmq_rss old;
	int err = -ENOENT;

	mutex_lock(&vdev->lock);
	if (!vmq_rss_ctx_exists(vdev, ctx)) {
		netdev_warn(vdev->netdev, "vmq: no RSS context %u\n", ctx);
		goto out;
	}
	err = 0;
	if (!indir)
		goto out;
	err = vmq_rss_indir_check(vdev, indir, vdev->channels, ctx);
	if (err)
		goto out;
	old = *vdev->rss_ctx[ctx];
	memcpy(vdev->rss_ctx[ctx]->indir, indir, sizeof(old.indir));
	err = vmq_rss_ctx_write(vdev, ctx);
	if (err)
		*vdev->rss_ctx[ctx] = old;
out:
	mutex_unlock(&vdev->lock);
	return err;
}

static int vmq_rss_ctx_remove(struct vmq_dev *vdev, u32 ctx)
{
	int err = -ENOENT;

	mutex_lock(&vdev->lock);
	if (!vmq_rss_ctx_exists(vdev, ctx)) {
		netdev_warn(vdev->netdev, "vmq: no RSS context %u\n", ctx);
		goto out;
	}
	err = -EBUSY;
	if (vmq_rss_ctx_in_use(vdev, ctx)) {
		netdev_warn(vdev->netdev,
			    "vmq: RSS context %u is in use by a rule; delete the rule first\n",
			    ctx);
		goto out;
	}
	vdev->ops->rss_write(vdev, ctx, NULL);
	kfree(vdev->rss_ctx[ctx]);
	vdev->rss_ctx[ctx] = NULL;
	err = 0;
out:
	mutex_unlock(&vdev->lock);
	return err;
}

/**
 * vmq_rss_fwd_add() - a table spreading a macvlan's frames
 * @vdev: the device, its mutex held, with RSS.
 * @first: the macvlan's first queue pair.
 * @count: its queue pairs, [@first, @first + @count).
 *
 * Its tables are numbered after the admin's contexts, which ethtool
 * neither shows nor lets a rule name.
 *
 * Return: the context, or -ENOSPC when all %VMQ_RSS_FWD_CTX are taken,
 * -ENOMEM, or the driver's error.
 */
int vmq_rss_fwd_add(struct vmq_dev *vdev, u32 first, u32 count)
{
	struct vmq_rss *rss;
	u32 ctx, i;
	int err;

	for (ctx = VMQ_RSS_MAX_CTX + 1; ctx <= VMQ_RSS_HW_CTX; ctx++)
		if (!vdev->rss_ctx[ctx])
			break;
	if (ctx > VMQ_RSS_HW_CTX)
		return -ENOSPC;
	rss = kzalloc(sizeof(*rss), GFP_KERNEL);
	if (!rss)
		return -ENOMEM;
	for (i = 0; i < VMQ_RSS_INDIR_SIZE; i++)
		rss->indir[i] = first + ethtool_rxfh_indir_default(i, count);
	vdev->rss_ctx[ctx] = rss;
	err = vmq_rss_ctx_write(vdev, ctx);
	if (err) {
		vdev->rss_ctx[ctx] = NULL;
		kfree(rss);
		return err;
	}
	return ctx;
}

/**
 * vmq_rss_fwd_del() - undo vmq_rss_fwd_add() or vmq_rss_guest_add()
 * @vdev: the device, its mutex held.
 * @ctx: the context; no filter names it any more.
 */
void vmq_rss_fwd_del(struct vmq_dev *vdev, u32 ctx)
{
	vdev->ops->rss_write(vdev, ctx, NULL);
	kfree(vdev->rss_ctx[ctx]);
	vdev->rss_ctx[ctx] = NULL;
	clear_bit(ctx, vdev->rss_guest);
}

/**
 * vmq_rss_guest_add() - a table for a guest's queue pairs
 * @vdev: the device, its mutex held, with RSS.
 * @first: the guest's first queue pair.
 *
 * A guest sets its own key and table (vmq_rss_guest_write()); until then
 * the key is zero and every entry is @first.  Numbered like a macvlan's
 * table, out of ethtool's sight.
 *
 * Return: the context, or -ENOSPC when all %VMQ_RSS_FWD_CTX are taken,
 * -ENOMEM, or the driver's error.
 */
int vmq_rss_guest_add(struct vmq_dev *vdev, u32 first)
{
	static const u8 zero[VMQ_RSS_INDIR_SIZE];
	int ctx, err;

	ctx = vmq_rss_fwd_add(vdev, first, 1);
	if (ctx < 0)
		return ctx;
	set_bit(ctx, vdev->rss_guest);
	err = vmq_rss_guest_write(vdev, ctx, first, 1, zero, zero);
	if (err) {
		vmq_rss_fwd_del(vdev, ctx);
		return err;
	}
	return ctx;
}

/**
 * vmq_rss_guest_write() - a guest's own key and table
 * @vdev: the device, its mutex held.
 * @ctx: the guest's context, from vmq_rss_guest_add().
 * @first: the guest's first queue pair.
 * @count: its queue pairs.
 * @key: %VMQ_RSS_KEY_SIZE bytes.
 * @table: %VMQ_RSS_INDIR_SIZE queue indices, taken modulo @count: no
 *	value reaches another owner's queue pair.
 *
 * The guest hashes the ports of TCP and UDP over IPv4 and IPv6.  The old
 * table stays if the driver refuses.
 *
 * Return: 0 or the driver's error.
 */
int vmq_rss_guest_write(struct vmq_dev *vdev, u32 ctx, u32 first, u32 count,
			const u8 *key, const u8 *table)
{
	struct vmq_rss *rss = vdev->rss_ctx[ctx], old = *rss;
	u32 i;
	int err;

	memcpy(rss->key, key, sizeof(rss->key));
	for (i = 0; i < VMQ_RSS_INDIR_SIZE; i++)
		rss->indir[i] = first + table[i] % count;
	rss->l4 = VMQ_RSS_L4_TCP4 | VMQ_RSS_L4_UDP4 | VMQ_RSS_L4_TCP6 |
		  VMQ_RSS_L4_UDP6;
	err = vdev->ops->rss_write(vdev, ctx, rss);
	if (err)
		*rss = old;
	return err;
}

/**
 * vmq_rss_fini() - the core's copies of the contexts go with the device
 * @vdev: the device; the driver frees what it programmed.
 */
void vmq_rss_fini(struct vmq_dev *vdev)
{
	u32 i;

	for (i = 1; i <= VMQ_RSS_HW_CTX; i++) {
		kfree(vdev->rss_ctx[i]);
		vdev->rss_ctx[i] = NULL;
	}
	bitmap_zero(vdev->rss_guest, VMQ_RSS_HW_CTX + 1);
}

/**
 * vmq_rss_init() - a random key, the table spread over the channels
 * @vdev: the device, its channels set; device mutex not held.
 *
 * TCP hashes its ports, UDP only its addresses (fragments of one
 * datagram must not spread), as most NICs start.
 *
 * Return: 0 or the driver's error.
 */
int vmq_rss_init(struct vmq_dev *vdev)
{
	int err;

	if (!vdev->caps.rss)
		return 0;
	netdev_rss_key_fill(vdev->rss.key, sizeof(vdev->rss.key));
	vdev->rss.l4 = VMQ_RSS_L4_TCP4 | VMQ_RSS_L4_TCP6;
	mutex_lock(&vdev->lock);
	vmq_rss_spread(vdev, vdev->channels);
	err = vmq_rss_write(vdev);
	mutex_unlock(&vdev->lock);
	return err;
}

/**
 * vmq_rss_channels() - the channels are about to become @count
 * @vdev: the device, its mutex held.
 * @count: the new channel count.
 * @commit: false: only check; true: spread a default table (not the
 *	admin's) over @count channels now.
 *
 * Return: 0, or -EINVAL if the admin's table points past @count.
 */
int vmq_rss_channels(struct vmq_dev *vdev, u32 count, bool commit)
{
	u32 i;

	if (!vdev->caps.rss)
		return 0;
	for (i = 1; i <= VMQ_RSS_MAX_CTX; i++) {
		if (vdev->rss_ctx[i] &&
		    vmq_rss_indir_check(vdev, vdev->rss_ctx[i]->indir, count, i))
			return -EINVAL;
	}
	if (netif_is_rxfh_configured(vdev->netdev)) {
		for (i = 0; i < VMQ_RSS_INDIR_SIZE; i++) {
			if (vdev->rss.indir[i] < count)
				continue;
			netdev_warn(vdev->netdev,
				    "vmq: RSS table sends to channel %u; change it first (ethtool -X)\n",
				    vdev->rss.indir[i]);
			return -EINVAL;
		}
		return 0;
	}
	if (!commit)
		return 0;
	vmq_rss_spread(vdev, count);
	return vmq_rss_write(vdev);
}

static int vmq_rss_get(struct vmq_dev *vdev, u32 *indir, u8 *key, u8 *hfunc)
{
	if (!vdev->caps.rss)
		return -EOPNOTSUPP;
	mutex_lock(&vdev->lock);
	if (indir)
		memcpy(indir, vdev->rss.indir, sizeof(vdev->rss.indir));
	if (key)
		memcpy(key, vdev->rss.key, sizeof(vdev->rss.key));
	mutex_unlock(&vdev->lock);
	if (hfunc)
		*hfunc = ETH_RSS_HASH_TOP;
	return 0;
}

static int vmq_rss_set(struct vmq_dev *vdev, const u32 *indir, const u8 *key,
		       u8 hfunc)
{
	struct vmq_rss old;
	int err, i;

	if (!vdev->caps.rss)
		return -EOPNOTSUPP;
	if (hfunc != ETH_RSS_HASH_NO_CHANGE && hfunc != ETH_RSS_HASH_TOP) {
		netdev_warn(vdev->netdev, "vmq: RSS hashes with Toeplitz only\n");
		return -EOPNOTSUPP;
	}
	mutex_lock(&vdev->lock);
	old = vdev->rss;
	if (indir) {
		for (i = 0; i < VMQ_RSS_INDIR_SIZE; i++) {
			if (indir[i] < vdev->channels)
				continue;
			netdev_warn(vdev->netdev,
				    "vmq: RSS table entry %d: channel %u of %u\n",
				    i, indir[i], vdev->channels);
			err = -EINVAL;
			goto out;
		}
		memcpy(vdev->rss.indir, indir, sizeof(vdev->rss.indir));
	}
	if (key)
		memcpy(vdev->rss.key, key, sizeof(vdev->rss.key));
	err = vmq_rss_write(vdev);
	if (err)
		vdev->rss = old;
	else if (key)
		vmq_rss_ctxs_rewrite(vdev);
out:
	mutex_unlock(&vdev->lock);
	return err;
}

/**
 * vmq_ethtool_get_rxfh_key_size() - ethtool_ops.get_rxfh_key_size
 * @netdev: the NIC netdev.
 *
 * Return: %VMQ_RSS_KEY_SIZE, 0 without RSS.
 */
u32 vmq_ethtool_get_rxfh_key_size(struct net_device *netdev)
{
	return vmq_dev_from_netdev(netdev)->caps.rss ? VMQ_RSS_KEY_SIZE : 0;
}
EXPORT_SYMBOL_GPL(vmq_ethtool_get_rxfh_key_size);

/**
 * vmq_ethtool_get_rxfh_indir_size() - ethtool_ops.get_rxfh_indir_size
 * @netdev: the NIC netdev.
 *
 * Return: %VMQ_RSS_INDIR_SIZE, 0 without RSS.
 */
u32 vmq_ethtool_get_rxfh_indir_size(struct net_device *netdev)
{
	return vmq_dev_from_netdev(netdev)->caps.rss ? VMQ_RSS_INDIR_SIZE : 0;
}
EXPORT_SYMBOL_GPL(vmq_ethtool_get_rxfh_indir_size);

#ifdef VMQ_HAVE_RXFH_PARAM
/**
 * vmq_ethtool_get_rxfh() - ethtool_ops.get_rxfh: key, table, Toeplitz
 * @netdev: the NIC netdev.
 * @rxfh: filled in.
 *
 * Return: 0, or -EOPNOTSUPP without RSS.
 */
int vmq_ethtool_get_rxfh(struct net_device *netdev,
			 struct ethtool_rxfh_param *rxfh)
{
	return vmq_rss_get(vmq_dev_from_netdev(netdev), rxfh->indir, rxfh->key,
			   &rxfh->hfunc);
}
EXPORT_SYMBOL_GPL(vmq_ethtool_get_rxfh);

/**
 * vmq_ethtool_set_rxfh() - ethtool_ops.set_rxfh
 * @netdev: the NIC netdev.
 * @rxfh: what to change (NULL key or table: keep it).
 * @extack: for the reason of a refusal.
 *
 * Return: 0, -EOPNOTSUPP for a hash other than Toeplitz or an RSS
 * context, -EINVAL for a table entry past the channels.
 */
int vmq_ethtool_set_rxfh(struct net_device *netdev,
			 struct ethtool_rxfh_param *rxfh,
			 struct netlink_ext_ack *extack)
{
	if (rxfh->rss_context) {
		NL_SET_ERR_MSG(extack, "vmq: no RSS contexts");
		return -EOPNOTSUPP;
	}
	return vmq_rss_set(vmq_dev_from_netdev(netdev), rxfh->indir, rxfh->key,
			   rxfh->hfunc);
}
EXPORT_SYMBOL_GPL(vmq_ethtool_set_rxfh);

/**
 * vmq_ethtool_create_rxfh_context() - ethtool_ops.create_rxfh_context
 * @netdev: the NIC netdev.
 * @ctx: the context the ethtool core made (its ID 1..%VMQ_RSS_MAX_CTX);
 *	filled with the table and key it got.
 * @rxfh: its table, or NULL for one spread over the channels.
 * @extack: unused; the reason of a refusal is logged.
 *
 * Return: 0, -EINVAL for a table entry past the channels, -ENOMEM.
 */
int vmq_ethtool_create_rxfh_context(struct net_device *netdev,
				    struct ethtool_rxfh_context *ctx,
				    const struct ethtool_rxfh_param *rxfh,
				    struct netlink_ext_ack *extack)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);
	u32 id;
	int err;

	err = vmq_rss_ctx_create(vdev, rxfh->rss_context, rxfh->indir, &id,
				 ethtool_rxfh_context_indir(ctx));
	if (err)
		return err;
	mutex_lock(&vdev->lock);
	memcpy(ethtool_rxfh_context_key(ctx), vdev->rss.key,
	       VMQ_RSS_KEY_SIZE);
	mutex_unlock(&vdev->lock);
	ctx->hfunc = ETH_RSS_HASH_TOP;
	return 0;
}
EXPORT_SYMBOL_GPL(vmq_ethtool_create_rxfh_context);

/**
 * vmq_ethtool_modify_rxfh_context() - ethtool_ops.modify_rxfh_context
 * @netdev: the NIC netdev.
 * @ctx: the context.
 * @rxfh: its new table (NULL: unchanged) and ID.
 * @extack: unused; the reason of a refusal is logged.
 *
 * Return: 0, -EINVAL for a table entry past the channels.
 */
int vmq_ethtool_modify_rxfh_context(struct net_device *netdev,
				    struct ethtool_rxfh_context *ctx,
				    const struct ethtool_rxfh_param *rxfh,
				    struct netlink_ext_ack *extack)
{
	return vmq_rss_ctx_modify(vmq_dev_from_netdev(netdev),
				  rxfh->rss_context, rxfh->indir);
}
EXPORT_SYMBOL_GPL(vmq_ethtool_modify_rxfh_context);

/**
 * vmq_ethtool_remove_rxfh_context() - ethtool_ops.remove_rxfh_context
 * @netdev: the NIC netdev.
 * @ctx: the context.
 * @rss_context: its ID.
 * @extack: unused; the reason of a refusal is logged.
 *
 * Return: 0, or -EBUSY while an ntuple rule sends frames to it.
 */
int vmq_ethtool_remove_rxfh_context(struct net_device *netdev,
				    struct ethtool_rxfh_context *ctx,
				    u32 rss_context,
				    struct netlink_ext_ack *extack)
{
	return vmq_rss_ctx_remove(vmq_dev_from_netdev(netdev), rss_context);
}
EXPORT_SYMBOL_GPL(vmq_ethtool_remove_rxfh_context);
#else
/**
 * vmq_ethtool_get_rxfh() - ethtool_ops.get_rxfh: key, table, Toeplitz
 * @netdev: the NIC netdev.
 * @indir: filled with the table, if not NULL.
 * @key: filled with the key, if not NULL.
 * @hfunc: set to ETH_RSS_HASH_TOP, if not NULL.
 *
 * Return: 0, or -EOPNOTSUPP without RSS.
 */
int vmq_ethtool_get_rxfh(struct net_device *netdev, u32 *indir, u8 *key,
			 u8 *hfunc)
{
	return vmq_rss_get(vmq_dev_from_netdev(netdev), indir, key, hfunc);
}
EXPORT_SYMBOL_GPL(vmq_ethtool_get_rxfh);

/**
 * vmq_ethtool_set_rxfh() - ethtool_ops.set_rxfh
 * @netdev: the NIC netdev.
 * @indir: the new table, or NULL to keep it.
 * @key: the new key, or NULL to keep it.
 * @hfunc: ETH_RSS_HASH_TOP or ETH_RSS_HASH_NO_CHANGE.
 *
 * Return: 0, -EOPNOTSUPP for another hash, -EINVAL for a table entry
 * past the channels.
 */
int vmq_ethtool_set_rxfh(struct net_device *netdev, const u32 *indir,
			 const u8 *key, const u8 hfunc)
{
	return vmq_rss_set(vmq_dev_from_netdev(netdev), indir, key, hfunc);
}
EXPORT_SYMBOL_GPL(vmq_ethtool_set_rxfh);

/**
 * vmq_ethtool_get_rxfh_context() - ethtool_ops.get_rxfh_context
 * @netdev: the NIC netdev.
 * @indir: filled with the context's table, if not NULL.
 * @key: filled with the key (all contexts share it), if not NULL.
 * @hfunc: set to ETH_RSS_HASH_TOP, if not NULL.
 * @rss_context: the context.
 *
 * Return: 0, -ENOENT for no such context.
 */
int vmq_ethtool_get_rxfh_context(struct net_device *netdev, u32 *indir,
				 u8 *key, u8 *hfunc, u32 rss_context)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);
	int err = -ENOENT;

	mutex_lock(&vdev->lock);
	if (vmq_rss_ctx_exists(vdev, rss_context)) {
		if (indir)
			memcpy(indir, vdev->rss_ctx[rss_context]->indir,
			       sizeof(vdev->rss.indir));
		if (key)
			memcpy(key, vdev->rss.key, sizeof(vdev->rss.key));
		if (hfunc)
			*hfunc = ETH_RSS_HASH_TOP;
		err = 0;
	}
	mutex_unlock(&vdev->lock);
	return err;
}
EXPORT_SYMBOL_GPL(vmq_ethtool_get_rxfh_context);

/**
 * vmq_ethtool_set_rxfh_context() - ethtool_ops.set_rxfh_context
 * @netdev: the NIC netdev.
 * @indir: the table, or NULL (a new context: spread over the channels).
 * @key: must be NULL: contexts share the key of table 0.
 * @hfunc: ETH_RSS_HASH_TOP or ETH_RSS_HASH_NO_CHANGE.
 * @rss_context: the context, or ETH_RXFH_CONTEXT_ALLOC for a new one,
 *	whose ID is returned here.
 * @delete: remove the context.
 *
 * Return: 0, -EBUSY when all contexts are in use or a rule uses the
 * one to delete, -ENOENT for no such context, -EINVAL for a table entry
 * past the channels, -EOPNOTSUPP for a key or another hash function.
 */
int vmq_ethtool_set_rxfh_context(struct net_device *netdev, const u32 *indir,
				 const u8 *key, const u8 hfunc,
				 u32 *rss_context, bool delete)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);

	if (key || (hfunc != ETH_RSS_HASH_NO_CHANGE &&
		    hfunc != ETH_RSS_HASH_TOP)) {
		netdev_warn(netdev,
			    "vmq: RSS contexts share the key and hash of table 0\n");
		return -EOPNOTSUPP;
	}
	if (delete)
		return vmq_rss_ctx_remove(vdev, *rss_context);
	if (*rss_context == ETH_RXFH_CONTEXT_ALLOC)
		return vmq_rss_ctx_create(vdev, 0, indir, rss_context, NULL);
	return vmq_rss_ctx_modify(vdev, *rss_context, indir);
}
EXPORT_SYMBOL_GPL(vmq_ethtool_set_rxfh_context);
#endif

/* The VMQ_RSS_L4_* bit of an ethtool flow type, 0 for IP-only types. */
static int vmq_rss_flow_bit(u32 flow_type, u32 *bit)
{
	switch (flow_type) {
	case TCP_V4_FLOW:
		*bit = VMQ_RSS_L4_TCP4;
		return 0;
	case UDP_V4_FLOW:
		*bit = VMQ_RSS_L4_UDP4;
		return 0;
	case TCP_V6_FLOW:
		*bit = VMQ_RSS_L4_TCP6;
		return 0;
	case UDP_V6_FLOW:
		*bit = VMQ_RSS_L4_UDP6;
		return 0;
	case IPV4_FLOW:
	case IPV6_FLOW:
		*bit = 0;
		return 0;
	}
	return -EOPNOTSUPP;
}

/**
 * vmq_rss_get_fields() - ETHTOOL_GRXFH: the fields a flow type hashes
 * @vdev: the device, its mutex held.
 * @cmd: flow_type in, data out (RXH_*).
 *
 * Return: 0, or -EOPNOTSUPP for a flow type RSS does not hash.
 */
int vmq_rss_get_fields(struct vmq_dev *vdev, struct ethtool_rxnfc *cmd)
{
	u32 bit;

	if (!vdev->caps.rss || vmq_rss_flow_bit(cmd->flow_type, &bit))
		return -EOPNOTSUPP;
	cmd->data = VMQ_RXH_IP;
	if (vdev->rss.l4 & bit)
		cmd->data |= VMQ_RXH_L4;
	return 0;
}

/**
 * vmq_rss_set_fields() - ETHTOOL_SRXFH: which fields a flow type hashes
 * @vdev: the device, its mutex held.
 * @cmd: flow_type and data (RXH_*): addresses, or for TCP and UDP
 *	addresses and ports.
 *
 * Return: 0, -EOPNOTSUPP for a flow type RSS does not hash, -EINVAL for
 * fields it cannot hash on.
 */
int vmq_rss_set_fields(struct vmq_dev *vdev, struct ethtool_rxnfc *cmd)
{
	u32 bit, old;
	int err;

	if (!vdev->caps.rss || vmq_rss_flow_bit(cmd->flow_type, &bit)) {
		netdev_warn(vdev->netdev,
			    "vmq: RSS does not hash flow type %u: TCP, UDP and other IPv4 and IPv6 only\n",
			    cmd->flow_type);
		return -EOPNOTSUPP;
	}
	if (cmd->data != VMQ_RXH_IP &&
	    (!bit || cmd->data != (VMQ_RXH_IP | VMQ_RXH_L4))) {
		netdev_warn(vdev->netdev,
			    "vmq: RSS hashes addresses (sd), and for TCP and UDP ports too (sdfn), nothing else\n");
		return -EINVAL;
	}
	old = vdev->rss.l4;
	if (cmd->data & VMQ_RXH_L4)
		vdev->rss.l4 |= bit;
	else
		vdev->rss.l4 &= ~bit;
	err = vmq_rss_write(vdev);
	if (err)
		vdev->rss.l4 = old;
	else
		vmq_rss_ctxs_rewrite(vdev);
	return err;
}
