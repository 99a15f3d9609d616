// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: ethtool ntuple MAC/VLAN rules, channels, rings and
 * per-queue statistics.  A driver points its ethtool_ops members at these.
 *
 * The ioctl path carries no extack, so each refusal is logged with its
 * reason; "ethtool -N" then prints the errno.
 */

#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/log2.h>
#include "vmq_priv.h"

/* VLAN mask for "vlan VID m 0xf000": match the VID, ignore PCP and DEI. */
#define VMQ_VLAN_VID_MASK	0x0fff

/* The last is not a counter: which netdev owns the queue pair (0: none). */
static const char * const vmq_qp_stat_names[] = {
	"rx_packets", "rx_bytes", "rx_drops",
	"tx_packets", "tx_bytes", "tx_drops",
	"irqs", "owner_ifindex",
};

/* Private flags, in bit order. */
#define VMQ_PRIV_FLAG_DYNAMIC	BIT(0)
static const char * const vmq_priv_flag_names[] = {
	"dynamic-vmq",
};

#define VMQ_QP_NSTATS	ARRAY_SIZE(vmq_qp_stat_names)

static void vmq_rule_fill(const struct vmq_filter *filter,
			  struct ethtool_rx_flow_spec *fs)
{
	memset(&fs->h_u, 0, sizeof(fs->h_u));
	memset(&fs->m_u, 0, sizeof(fs->m_u));
	memset(&fs->h_ext, 0, sizeof(fs->h_ext));
	memset(&fs->m_ext, 0, sizeof(fs->m_ext));
	fs->flow_type = ETHER_FLOW;
	ether_addr_copy(fs->h_u.ether_spec.h_dest, filter->key.addr);
	eth_broadcast_addr(fs->m_u.ether_spec.h_dest);
	if (filter->key.vlan != VMQ_VLAN_NONE) {
		fs->flow_type |= FLOW_EXT;
		fs->h_ext.vlan_tci = htons(filter->key.vlan);
		fs->m_ext.vlan_tci = htons(VMQ_VLAN_VID_MASK);
	}
	fs->ring_cookie = filter->qp == VMQ_QP_DROP ? RX_CLS_FLOW_DISC :
						      filter->qp;
	/* Spread by a context: "context C", queue offset 0. */
	if (vmq_qp_is_rss(filter->qp)) {
		fs->flow_type |= FLOW_RSS;
		fs->ring_cookie = 0;
	}
	fs->location = filter->loc;
}

static int vmq_get_rule(struct vmq_dev *vdev, struct ethtool_rxnfc *cmd)
{
	u32 loc = cmd->fs.location;
	struct vmq_filter *filter;

	if (loc >= vdev->caps.num_filters)
		return -EINVAL;
	filter = vdev->filters[loc];
	if (!filter || filter->origin != VMQ_FILTER_ETHTOOL)
		return -ENOENT;
	vmq_rule_fill(filter, &cmd->fs);
	if (vmq_qp_is_rss(filter->qp))
		cmd->rss_context = vmq_qp_rss_ctx(filter->qp);
	cmd->data = vdev->caps.num_filters;
	return 0;
}

static int vmq_get_all_rules(struct vmq_dev *vdev, struct ethtool_rxnfc *cmd,
			     u32 *rule_locs)
{
	u32 loc, n = 0;

	for (loc = 0; loc < vdev->caps.num_filters; loc++) {
		struct vmq_filter *filter = vdev->filters[loc];

		if (!filter || filter->origin != VMQ_FILTER_ETHTOOL)
			continue;
		if (n >= cmd->rule_cnt)
			return -EMSGSIZE;
		rule_locs[n++] = loc;
	}
	cmd->data = vdev->caps.num_filters;
	cmd->rule_cnt = n;
	return 0;
}

/**
 * vmq_ethtool_get_rxnfc() - ethtool_ops.get_rxnfc for a VMQ device
 * @netdev: the NIC netdev.
 * @cmd: the request.
 * @rule_locs: where ETHTOOL_GRXCLSRLALL puts rule locations.
 *
 * Serves ring count, rule count (with the table size), one rule, the
 * list of rules, and the fields RSS hashes per flow type (rss.c).  Only
 * ethtool's own rules are listed; filters installed for macvlans or VFIO
 * devices show in debugfs.
 *
 * Return: 0 or a negative errno.
 */
int vmq_ethtool_get_rxnfc(struct net_device *netdev,
			  struct ethtool_rxnfc *cmd, u32 *rule_locs)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);
	int err = 0;

	mutex_lock(&vdev->lock);
	switch (cmd->cmd) {
	case ETHTOOL_GRXRINGS:
		cmd->data = vdev->channels;
		break;
	case ETHTOOL_GRXCLSRLCNT:
		cmd->rule_cnt = vdev->nr_ethtool_filters;
		cmd->data = vdev->caps.num_filters | RX_CLS_LOC_SPECIAL;
		break;
	case ETHTOOL_GRXCLSRULE:
		err = vmq_get_rule(vdev, cmd);
		break;
	case ETHTOOL_GRXCLSRLALL:
		err = vmq_get_all_rules(vdev, cmd, rule_locs);
		break;
	case ETHTOOL_GRXFH:
		err = vmq_rss_get_fields(vdev, cmd);
		break;
	default:
		err = -EOPNOTSUPP;
	}
	mutex_unlock(&vdev->lock);
	return err;
}
EXPORT_SYMBOL_GPL(vmq_ethtool_get_rxnfc);

static bool vmq_mem_is_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/* Refuse, with the reason in the kernel log. */
#define vmq_refuse(vdev, err, fmt, ...) ({				\
	netdev_warn((vdev)->netdev, "vmq: ntuple rule refused: " fmt "\n", \
		    ##__VA_ARGS__);					\
	(err);								\
})

/* The match part of a rule: what the classifier can and cannot do. */
static int vmq_rule_parse_match(struct vmq_dev *vdev,
				const struct ethtool_rx_flow_spec *fs,
				struct vmq_filter_key *key)
{
	const struct ethhdr *mask = &fs->m_u.ether_spec;
	u32 flow = fs->flow_type & ~(FLOW_EXT | FLOW_RSS);
	u16 vlan_mask;

	if (flow != ETHER_FLOW)
		return vmq_refuse(vdev, -EOPNOTSUPP,
				  "only flow-type ether is supported");
	if (!is_broadcast_ether_addr(mask->h_dest))
		return vmq_refuse(vdev, -EOPNOTSUPP,
				  "the destination MAC must be matched in full");
	if (!is_zero_ether_addr(mask->h_source) || mask->h_proto)
		return vmq_refuse(vdev, -EOPNOTSUPP,
				  "source MAC and ethertype cannot be matched");
	if (!is_valid_ether_addr(fs->h_u.ether_spec.h_dest))
		return vmq_refuse(vdev, -EINVAL,
				  "%pM is not a unicast address",
				  fs->h_u.ether_spec.h_dest);
	ether_addr_copy(key->addr, fs->h_u.ether_spec.h_dest);
	key->vlan = VMQ_VLAN_NONE;

	if (!(fs->flow_type & FLOW_EXT))
		return 0;
	if (fs->m_ext.vlan_etype ||
	    !vmq_mem_is_zero(fs->m_ext.data, sizeof(fs->m_ext.data)))
		return vmq_refuse(vdev, -EOPNOTSUPP,
				  "vlan-etype and user-def cannot be matched");
	vlan_mask = ntohs(fs->m_ext.vlan_tci);
	if (!vlan_mask)
		return 0;
	if (!(vdev->caps.match_fields & VMQ_MATCH_VLAN))
		return vmq_refuse(vdev, -EOPNOTSUPP,
				  "this NIC cannot match VLANs");
	if (vlan_mask != VMQ_VLAN_VID_MASK)
		return vmq_refuse(vdev, -EOPNOTSUPP,
				  "VLAN mask %#x: only the VID can be matched (use 'vlan VID m 0xf000')",
				  vlan_mask);
	key->vlan = ntohs(fs->h_ext.vlan_tci) & VMQ_VLAN_VID_MASK;
	return 0;
}

/* The action part: a host queue, drop, or an RSS context (@ctx). */
static int vmq_rule_parse_action(struct vmq_dev *vdev,
				 const struct ethtool_rx_flow_spec *fs,
				 u32 ctx, u32 *qp)
{
	u64 ring;

	if (fs->flow_type & FLOW_RSS) {
		if (fs->ring_cookie == RX_CLS_FLOW_DISC ||
		    ethtool_get_flow_spec_ring(fs->ring_cookie))
			return vmq_refuse(vdev, -EINVAL,
					  "a context rule takes no queue offset or drop");
		if (!vmq_rss_ctx_exists(vdev, ctx))
			return vmq_refuse(vdev, -ENOENT,
					  "RSS context %u does not exist", ctx);
		*qp = VMQ_QP_RSS(ctx);
		return 0;
	}

	if (fs->ring_cookie == RX_CLS_FLOW_DISC) {
		*qp = VMQ_QP_DROP;
		return 0;
	}
	if (fs->ring_cookie == RX_CLS_FLOW_WAKE ||
	    ethtool_get_flow_spec_ring_vf(fs->ring_cookie))
		return vmq_refuse(vdev, -EOPNOTSUPP,
				  "only queue and drop actions are supported");
	ring = ethtool_get_flow_spec_ring(fs->ring_cookie);
	if (ring >= vdev->channels)
		return vmq_refuse(vdev, -EINVAL,
				  "queue %llu does not exist (%u channels)",
				  ring, vdev->channels);
	*qp = ring;
	return 0;
}

static int vmq_rule_loc(struct vmq_dev *vdev, u32 loc, u32 *out)
{
	u32 n = vdev->caps.num_filters, i;

	switch (loc) {
	case RX_CLS_LOC_ANY:
	case RX_CLS_LOC_FIRST:
		*out = VMQ_LOC_ANY;
		return 0;
	case RX_CLS_LOC_LAST:
		for (i = n; i-- > 0;) {
			if (!vdev->filters[i]) {
				*out = i;
				return 0;
			}
		}
		return vmq_refuse(vdev, -ENOSPC, "filter table full (%u)", n);
	}
	if (loc >= n)
		return vmq_refuse(vdev, -EINVAL,
				  "location %u out of range (table size %u)",
				  loc, n);
	*out = loc;
	return 0;
}

static int vmq_rule_insert(struct vmq_dev *vdev,
			   struct ethtool_rx_flow_spec *fs, u32 ctx)
{
	struct vmq_filter_key key;
	u32 qp, loc;
	int ret;

	if (!(vdev->netdev->features & NETIF_F_NTUPLE))
		return vmq_refuse(vdev, -EOPNOTSUPP,
				  "ntuple filters are off (ethtool -K %s ntuple on)",
				  netdev_name(vdev->netdev));
	ret = vmq_rule_parse_match(vdev, fs, &key);
	if (ret)
		return ret;
	ret = vmq_rule_parse_action(vdev, fs, ctx, &qp);
	if (ret)
		return ret;
	ret = vmq_rule_loc(vdev, fs->location, &loc);
	if (ret)
		return ret;

	ret = __vmq_filter_add(vdev, &key, qp, VMQ_FILTER_ETHTOOL, loc);
	switch (ret) {
	case -ENOSPC:
		return vmq_refuse(vdev, ret, "filter table full (%u)",
				  vdev->caps.num_filters);
	case -EEXIST:
		if (key.vlan == VMQ_VLAN_NONE)
			return vmq_refuse(vdev, ret,
					  "%pM without a VLAN already has a filter",
					  key.addr);
		return vmq_refuse(vdev, ret, "%pM vlan %u already has a filter",
				  key.addr, key.vlan);
	case -EBUSY:
		return vmq_refuse(vdev, ret,
				  "location %u holds a %s filter", loc,
				  vmq_filter_origin_name(vdev->filters[loc]->origin));
	}
	if (ret < 0)
		return vmq_refuse(vdev, ret, "hardware error %d", ret);
	fs->location = ret;
	return 0;
}

static int vmq_rule_delete(struct vmq_dev *vdev, u32 loc)
{
	if (loc >= vdev->caps.num_filters || !vdev->filters[loc] ||
	    vdev->filters[loc]->origin != VMQ_FILTER_ETHTOOL)
		return vmq_refuse(vdev, -ENOENT, "no rule at location %u", loc);
	return __vmq_filter_del(vdev, loc);
}

/**
 * vmq_rules_flush() - ethtool -K DEV ntuple off: every ntuple rule goes
 * @vdev: the device.
 *
 * As NICs with Flow Director do: turning ntuple filters off removes the
 * rules, and new ones are refused until it is on again.  Filters of
 * macvlans and guests are not ntuple rules and stay.
 *
 * Context: RTNL held (ndo_set_features).
 */
void vmq_rules_flush(struct vmq_dev *vdev)
{
	u32 loc, n = 0;

	mutex_lock(&vdev->lock);
	for (loc = 0; loc < vdev->caps.num_filters; loc++)
		if (vdev->filters[loc] &&
		    vdev->filters[loc]->origin == VMQ_FILTER_ETHTOOL &&
		    !__vmq_filter_del(vdev, loc))
			n++;
	mutex_unlock(&vdev->lock);
	if (n)
		netdev_info(vdev->netdev, "vmq: ntuple off: %u rules removed\n",
			    n);
}

/**
 * vmq_ethtool_set_rxnfc() - ethtool_ops.set_rxnfc for a VMQ device
 * @netdev: the NIC netdev.
 * @cmd: ETHTOOL_SRXCLSRLINS, ETHTOOL_SRXCLSRLDEL or ETHTOOL_SRXFH.
 *
 * Installs "flow-type ether dst MAC [vlan VID m 0xf000] action Q|-1
 * [loc L]" rules and deletes them by location.  A rule at a location that
 * already holds an ethtool rule replaces it.  ETHTOOL_SRXFH sets the
 * fields RSS hashes for a flow type (rss.c).
 *
 * Return: 0; -EOPNOTSUPP for a match or action the hardware cannot do,
 * or while ntuple filters are off; -EINVAL for a queue beyond the channels, a bad location or a
 * non-unicast MAC; -ENOSPC when the table is full; -EEXIST for a MAC/VLAN
 * that already has a filter; -EBUSY for a location used by a macvlan or
 * VFIO filter; -ENOENT deleting an empty location.
 */
int vmq_ethtool_set_rxnfc(struct net_device *netdev, struct ethtool_rxnfc *cmd)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);
	int err;

	mutex_lock(&vdev->lock);
	switch (cmd->cmd) {
	case ETHTOOL_SRXCLSRLINS:
		err = vmq_rule_insert(vdev, &cmd->fs, cmd->rss_context);
		break;
	case ETHTOOL_SRXCLSRLDEL:
		err = vmq_rule_delete(vdev, cmd->fs.location);
		break;
	case ETHTOOL_SRXFH:
		err = vmq_rss_set_fields(vdev, cmd);
		break;
	default:
		err = -EOPNOTSUPP;
	}
	mutex_unlock(&vdev->lock);
	return err;
}
EXPORT_SYMBOL_GPL(vmq_ethtool_set_rxnfc);

/**
 * vmq_ethtool_get_channels() - ethtool_ops.get_channels
 * @netdev: the NIC netdev.
 * @ch: filled with combined channels: the host's queue pairs.
 */
void vmq_ethtool_get_channels(struct net_device *netdev,
			      struct ethtool_channels *ch)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);

	ch->max_combined = vdev->caps.num_qps;
	ch->combined_count = READ_ONCE(vdev->channels);
}
EXPORT_SYMBOL_GPL(vmq_ethtool_get_channels);

/**
 * vmq_ethtool_set_channels() - ethtool_ops.set_channels
 * @netdev: the NIC netdev.
 * @ch: the wanted combined channel count.
 *
 * Safe under traffic: queue pairs leaving the host are stopped before
 * their rings go.  Refuses (-EBUSY) to drop a queue an ntuple rule
 * targets, or to take a queue pair a macvlan or VM owns.
 *
 * Return: 0 or a negative errno.
 */
int vmq_ethtool_set_channels(struct net_device *netdev,
			     struct ethtool_channels *ch)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);
	int err;

	if (ch->rx_count || ch->tx_count || ch->other_count)
		return -EINVAL;
	mutex_lock(&vdev->lock);
	err = vmq_set_channels(vdev, ch->combined_count);
	mutex_unlock(&vdev->lock);
	return err;
}
EXPORT_SYMBOL_GPL(vmq_ethtool_set_channels);

/**
 * vmq_ethtool_get_ringparam() - ethtool_ops.get_ringparam
 * @netdev: the NIC netdev.
 * @ring: filled with current and maximum ring sizes.
 * @kring: unused.
 * @extack: unused.
 */
void vmq_ethtool_get_ringparam(struct net_device *netdev,
			       struct ethtool_ringparam *ring,
			       struct kernel_ethtool_ringparam *kring,
			       struct netlink_ext_ack *extack)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);

	ring->rx_max_pending = vdev->caps.rx_ring_max;
	ring->tx_max_pending = vdev->caps.tx_ring_max;
	ring->rx_pending = READ_ONCE(vdev->rx_ring);
	ring->tx_pending = READ_ONCE(vdev->tx_ring);
}
EXPORT_SYMBOL_GPL(vmq_ethtool_get_ringparam);

/**
 * vmq_ethtool_set_ringparam() - ethtool_ops.set_ringparam
 * @netdev: the NIC netdev.
 * @ring: the wanted sizes.
 * @kring: unused.
 * @extack: for error messages.
 *
 * Safe under traffic: running queue pairs with host buffers are stopped,
 * resized and restarted; frames arriving meanwhile are dropped and
 * counted.  VFIO queue pairs keep the rings their guest set up.
 *
 * Return: 0; -EINVAL for a size below the hardware's minimum or not a
 * power of two; or the error of restarting a queue pair.
 */
int vmq_ethtool_set_ringparam(struct net_device *netdev,
			      struct ethtool_ringparam *ring,
			      struct kernel_ethtool_ringparam *kring,
			      struct netlink_ext_ack *extack)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);
	int err;

	if (ring->rx_pending < vdev->caps.ring_min ||
	    ring->tx_pending < vdev->caps.ring_min) {
		NL_SET_ERR_MSG_MOD(extack, "ring size below the hardware minimum");
		netdev_warn(netdev, "vmq: rings need at least %u descriptors\n",
			    vdev->caps.ring_min);
		return -EINVAL;
	}
	/*
	 * Drivers index rings with free-running u32 counters modulo the
	 * size: only a power of two divides 2^32, else two descriptors in
	 * flight alias when the counters wrap.
	 */
	if (!is_power_of_2(ring->rx_pending) ||
	    !is_power_of_2(ring->tx_pending)) {
		NL_SET_ERR_MSG_MOD(extack, "ring size must be a power of two");
		netdev_warn(netdev, "vmq: ring sizes %u/%u: want powers of two\n",
			    ring->rx_pending, ring->tx_pending);
		return -EINVAL;
	}
	mutex_lock(&vdev->lock);
	err = vmq_set_ring_sizes(vdev, ring->rx_pending, ring->tx_pending);
	mutex_unlock(&vdev->lock);
	return err;
}
EXPORT_SYMBOL_GPL(vmq_ethtool_set_ringparam);

/**
 * vmq_ethtool_get_sset_count() - ethtool_ops.get_sset_count
 * @netdev: the NIC netdev.
 * @sset: string set.
 *
 * Return: number of per-queue statistics, or -EOPNOTSUPP.
 */
int vmq_ethtool_get_sset_count(struct net_device *netdev, int sset)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);

	switch (sset) {
	case ETH_SS_STATS:
		return vdev->caps.num_qps * VMQ_QP_NSTATS;
	case ETH_SS_PRIV_FLAGS:
		return ARRAY_SIZE(vmq_priv_flag_names);
	}
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(vmq_ethtool_get_sset_count);

/**
 * vmq_ethtool_get_strings() - ethtool_ops.get_strings
 * @netdev: the NIC netdev.
 * @sset: string set.
 * @data: where names go: qp<N>_{rx,tx}_{packets,bytes,drops},
 *	qp<N>_irqs and qp<N>_owner_ifindex; or the private flags.
 */
void vmq_ethtool_get_strings(struct net_device *netdev, u32 sset, u8 *data)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);
	u32 qp, i;

	if (sset == ETH_SS_PRIV_FLAGS) {
		for (i = 0; i < ARRAY_SIZE(vmq_priv_flag_names); i++)
			ethtool_puts(&data, vmq_priv_flag_names[i]);
		return;
	}
	if (sset != ETH_SS_STATS)
		return;
	for (qp = 0; qp < vdev->caps.num_qps; qp++)
		for (i = 0; i < VMQ_QP_NSTATS; i++)
			ethtool_sprintf(&data, "qp%u_%s", qp,
					vmq_qp_stat_names[i]);
}
EXPORT_SYMBOL_GPL(vmq_ethtool_get_strings);

static int vmq_qp_owner_ifindex(struct vmq_dev *vdev, const struct vmq_qp *qp)
{
	struct net_device *owner = vmq_qp_owner_netdev(vdev, qp);

	return owner ? owner->ifindex : 0;
}

/**
 * vmq_ethtool_get_stats() - ethtool_ops.get_ethtool_stats
 * @netdev: the NIC netdev.
 * @stats: unused.
 * @data: the values, in vmq_ethtool_get_strings() order.
 */
void vmq_ethtool_get_stats(struct net_device *netdev,
			   struct ethtool_stats *stats, u64 *data)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);
	u32 i;

	for (i = 0; i < vdev->caps.num_qps; i++) {
		const struct vmq_qp *qp = &vdev->qps[i];

		vmq_qp_read_stats(qp, &data[0], &data[1], &data[3], &data[4]);
		data[2] = atomic64_read(&qp->stats.rx_drops);
		data[5] = atomic64_read(&qp->stats.tx_drops);
		data[6] = atomic64_read(&qp->stats.irqs);
		data[7] = vmq_qp_owner_ifindex(vdev, qp);
		data += VMQ_QP_NSTATS;
	}
}
EXPORT_SYMBOL_GPL(vmq_ethtool_get_stats);

/**
 * vmq_ethtool_get_priv_flags() - ethtool_ops.get_priv_flags
 * @netdev: the NIC netdev.
 *
 * Return: bit 0, "dynamic-vmq": the Dynamic VMQ rebalancer is on.
 */
u32 vmq_ethtool_get_priv_flags(struct net_device *netdev)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);

	return READ_ONCE(vdev->dynamic) ? VMQ_PRIV_FLAG_DYNAMIC : 0;
}
EXPORT_SYMBOL_GPL(vmq_ethtool_get_priv_flags);

/**
 * vmq_ethtool_set_priv_flags() - ethtool_ops.set_priv_flags
 * @netdev: the NIC netdev.
 * @flags: bit 0, "dynamic-vmq", turns the rebalancer on or off.
 *
 * Return: 0.
 */
int vmq_ethtool_set_priv_flags(struct net_device *netdev, u32 flags)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);

	mutex_lock(&vdev->lock);
	vmq_balance_set(vdev, flags & VMQ_PRIV_FLAG_DYNAMIC);
	mutex_unlock(&vdev->lock);
	return 0;
}
EXPORT_SYMBOL_GPL(vmq_ethtool_set_priv_flags);
