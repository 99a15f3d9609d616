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
	return vdev->ops->rss_write(vdev, &vdev->rss);
}

static void vmq_rss_spread(struct vmq_dev *vdev, u32 channels)
{
	u32 i;

	for (i = 0; i < VMQ_RSS_INDIR_SIZE; i++)
		vdev->rss.indir[i] = ethtool_rxfh_indir_default(i, channels);
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
 * @commit: false: only check; true: the change happened, follow it.
 *
 * Return: 0, or -EINVAL if the admin's table points past @count.
 */
int vmq_rss_channels(struct vmq_dev *vdev, u32 count, bool commit)
{
	u32 i;

	if (!vdev->caps.rss)
		return 0;
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

	if (!vdev->caps.rss || vmq_rss_flow_bit(cmd->flow_type, &bit))
		return -EOPNOTSUPP;
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
	return err;
}
