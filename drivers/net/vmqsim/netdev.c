// SPDX-License-Identifier: GPL-2.0
/*
 * vmqsim: the driver half, the NIC netdev vmq<ID>.
 *
 * It registers with the vmq core and programs the silicon when the core
 * asks (&struct vmq_hw_ops), sends frames through the silicon's transmit
 * switch, and receives with one NAPI poll per queue pair, building skbs
 * on the pages the silicon filled.
 */

#include <linux/cpumask.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/if_macvlan.h>
#include <linux/netdevice.h>
#include <linux/string.h>
#include <net/vmq_compat.h>
#include "vmqsim.h"

/* --- what the core asks of the hardware ---------------------------------- */

static int vmqsim_hw_filter_write(struct vmq_dev *vdev, u32 slot,
				  const struct vmq_filter_key *key, u32 qp)
{
	return vmqsim_silicon_filter_write(vmq_dev_priv(vdev), slot, key, qp);
}

static void vmqsim_hw_filter_clear(struct vmq_dev *vdev, u32 slot)
{
	vmqsim_silicon_filter_clear(vmq_dev_priv(vdev), slot);
}

/*
 * The netdev netlink family's view of a host channel (6.8+): its receive
 * and transmit queue, the NAPI instance that serves them, and that
 * NAPI's vector.  Called under RTNL, as every start and stop of a host
 * channel is (ndo_open/stop, ethtool -L/-G); other owners' queue pairs
 * are not the stack's queues and are left out.
 */
static void vmqsim_queue_napi_show(struct vmqsim_dev *sdev, u32 id, bool show)
{
#ifdef VMQ_HAVE_QUEUE_NAPI
	struct vmqsim_qp *qp = &sdev->qps[id];
	struct napi_struct *napi = show ? &qp->napi : NULL;

	if (show == qp->napi_shown)
		return;
	/* A NAPI instance serving no channel names no vector either. */
	netif_napi_set_irq(&qp->napi,
			   show ? sdev->irqs.vectors[id].virq : -1);
	netif_queue_set_napi(sdev->nic, id, NETDEV_QUEUE_TYPE_RX, napi);
	netif_queue_set_napi(sdev->nic, id, NETDEV_QUEUE_TYPE_TX, napi);
	qp->napi_shown = show;
#endif
}

static int vmqsim_hw_qp_start(struct vmq_dev *vdev, u32 id)
{
	struct vmqsim_dev *sdev = vmq_dev_priv(vdev);
	struct vmqsim_qp *qp = &sdev->qps[id];
	struct vmqsim_ring *ring;

	ring = vmqsim_ring_create(sdev->rx_ring_size);
	if (IS_ERR(ring))
		return PTR_ERR(ring);
	qp->ring = ring;
	qp->tx_ring_size = sdev->tx_ring_size;
	/* A vport's queue pairs switch as one pool. */
	WRITE_ONCE(qp->pool, vmq_qp_vport(vdev, id));
	WRITE_ONCE(qp->flags, vmq_qp_flags(vdev, id));
	vmqsim_irq_attach(sdev, id, &qp->rx_irq);
	napi_enable(&qp->napi);
	if (vmq_qp_owner(vdev, id) == VMQ_OWNER_HOST)
		vmqsim_queue_napi_show(sdev, id, true);
	vmqsim_silicon_ring_publish(qp);
	return 0;
}

static void vmqsim_hw_qp_stop(struct vmq_dev *vdev, u32 id)
{
	struct vmqsim_dev *sdev = vmq_dev_priv(vdev);
	struct vmqsim_qp *qp = &sdev->qps[id];

	vmqsim_irq_detach(sdev, id);
	/* Its grace period also ends the handlers that found the poll. */
	vmqsim_silicon_ring_unpublish(qp);
	vmqsim_queue_napi_show(sdev, id, false);
	/* Waits for a running poll; a late interrupt finds NAPI disabled. */
	napi_disable(&qp->napi);
	/* Frames the driver had yet to take go with the ring, counted. */
	vmq_qp_count_rx_drop(vdev, id, vmqsim_ring_waiting(qp->ring));
	vmqsim_ring_destroy(qp->ring);
	qp->ring = NULL;
}

/* Send on the queue whose vector interrupts the sending CPU. */
static int vmqsim_xps_set(struct vmqsim_dev *sdev, u32 qp, int cpu)
{
	if (cpu < 0)
		cpu = vmqsim_irq_home_cpu(qp);
	return netif_set_xps_queue(sdev->nic, cpumask_of(cpu), qp);
}

/* Only unregistering a netdev frees its XPS maps, not free_netdev(), so
 * a netdev that never registered drops them here; resetting the traffic
 * classes is the exported call that does.
 */
static void vmqsim_xps_clear(struct net_device *nic)
{
	netdev_reset_tc(nic);
}

/* An XPS map of no CPU: no host frame is steered to the queue. */
static const struct cpumask vmqsim_no_cpus;

static int vmqsim_hw_set_channels(struct vmq_dev *vdev, u32 count)
{
	struct vmqsim_dev *sdev = vmq_dev_priv(vdev);
	u32 txqs = vmq_real_num_tx_queues(vdev, count);
	u32 old = sdev->nic->real_num_rx_queues;
	int err;
	u32 i;

	err = netif_set_real_num_queues(sdev->nic, txqs, count);
	if (err)
		return err;
	for (i = 0; i < count; i++) {
		err = vmqsim_xps_set(sdev, i, vmq_qp_cpu(vdev, i));
		if (err)
			return err;
	}
	/*
	 * Channels taken away whose transmit queues stay real (offload on)
	 * keep their maps unless cleared: the stack would steer host frames
	 * there, for vmq_select_queue() to fold back.  Only those: the
	 * stack takes a queue bound to a macvlan as the macvlan's own.
	 */
	for (i = count; i < min(old, txqs) && !err; i++)
		err = netif_set_xps_queue(sdev->nic, &vmqsim_no_cpus, i);
	return err;
}

static void vmqsim_hw_qp_affinity(struct vmq_dev *vdev, u32 qp, int cpu)
{
	struct vmqsim_dev *sdev = vmq_dev_priv(vdev);

	/* Only the host's channels use XPS; others have their own queue. */
	if (qp < vmq_channels(vdev))
		vmqsim_xps_set(sdev, qp, cpu);
}

static int vmqsim_hw_set_ring_sizes(struct vmq_dev *vdev, u32 rx, u32 tx)
{
	struct vmqsim_dev *sdev = vmq_dev_priv(vdev);

	/* The core restarts running queue pairs, which rebuilds their rings. */
	sdev->rx_ring_size = rx;
	sdev->tx_ring_size = tx;
	return 0;
}

static const struct vmq_hw_ops vmqsim_hw_ops = {
	.filter_write	= vmqsim_hw_filter_write,
	.filter_clear	= vmqsim_hw_filter_clear,
	.qp_start	= vmqsim_hw_qp_start,
	.qp_stop	= vmqsim_hw_qp_stop,
	.set_channels	= vmqsim_hw_set_channels,
	.set_ring_sizes	= vmqsim_hw_set_ring_sizes,
	.qp_affinity	= vmqsim_hw_qp_affinity,
	.rss_write	= vmqsim_rss_write,
	.guest		= &vmqsim_guest_hw_ops,
};

/* --- receive ------------------------------------------------------------- */

static struct sk_buff *vmqsim_rx_skb(struct vmqsim_qp *qp,
				     const struct vmqsim_rx_desc *desc)
{
	struct page *page = desc->page;
	struct net_device *upper;
	u32 len = desc->len;
	struct sk_buff *skb;

	skb = napi_build_skb(page_address(page), PAGE_SIZE);
	if (unlikely(!skb)) {
		page_pool_put_full_page(qp->ring->pool, page, true);
		return NULL;
	}
	skb_reserve(skb, VMQSIM_RX_HEADROOM);
	skb_put(skb, len);
	skb_mark_for_recycle(skb);
	/* An offloaded macvlan's frames go to it, past macvlan's demux. */
	upper = vmq_qp_rx_netdev(qp->sdev->vdev, qp->id);
	if (upper) {
		macvlan_count_rx(netdev_priv(upper), len, true, false);
		skb->protocol = eth_type_trans(skb, upper);
		return skb;
	}
	skb_record_rx_queue(skb, qp->id);
	if (desc->meta.hash_type != PKT_HASH_TYPE_NONE)
		skb_set_hash(skb, desc->meta.hash, desc->meta.hash_type);
	skb->protocol = eth_type_trans(skb, qp->sdev->nic);
	return skb;
}

/* The vector fired: poll the ring.  Hard irq context. */
static void vmqsim_rx_irq_handler(struct vmqsim_vector_user *user)
{
	struct vmqsim_qp *qp = container_of(user, struct vmqsim_qp, rx_irq);

	napi_schedule_irqoff(&qp->napi);
}

static u32 vmqsim_rx_irq_pending(struct vmqsim_vector_user *user)
{
	return vmqsim_silicon_rx_waiting(container_of(user, struct vmqsim_qp,
						      rx_irq));
}

static int vmqsim_napi_poll(struct napi_struct *napi, int budget)
{
	struct vmqsim_qp *qp = container_of(napi, struct vmqsim_qp, napi);
	struct vmqsim_dev *sdev = qp->sdev;
	u32 packets = 0, drops = 0;
	struct vmqsim_rx_desc desc;
	struct sk_buff *skb;
	int work = 0, ret;
	u64 bytes = 0;

	while (work < budget) {
		ret = vmqsim_ring_take(qp->ring, &desc);
		if (!ret)
			break;
		work++;
		skb = ret > 0 ? vmqsim_rx_skb(qp, &desc) : NULL;
		if (!skb) {
			drops++;
			continue;
		}
		packets++;
		bytes += desc.len;
		napi_gro_receive(napi, skb);
	}
	if (packets)
		vmq_qp_count_rx(sdev->vdev, qp->id, packets, bytes);
	if (drops)
		vmq_qp_count_rx_drop(sdev->vdev, qp->id, drops);
	if (work < budget && napi_complete_done(napi, work))
		vmqsim_irq_unmask(sdev, qp->id);
	return work;
}

/* --- net_device_ops ------------------------------------------------------ */

static int vmqsim_nic_open(struct net_device *nic)
{
	struct vmqsim_dev *sdev = vmqsim_netdev_sdev(nic);
	int err;

	err = vmqsim_irqs_request(sdev);
	if (err)
		return err;
	err = vmq_dev_open(sdev->vdev);
	if (err)
		goto err_irqs_free;
	netif_tx_start_all_queues(nic);
	vmqsim_carrier_update(sdev);
	return 0;

err_irqs_free:
	vmqsim_irqs_free(sdev);
	return err;
}

static int vmqsim_nic_stop(struct net_device *nic)
{
	struct vmqsim_dev *sdev = vmqsim_netdev_sdev(nic);

	/* No longer running: this takes both carriers down. */
	vmqsim_carrier_update(sdev);
	netif_tx_stop_all_queues(nic);
	vmq_dev_close(sdev->vdev);
	vmqsim_irqs_free(sdev);
	return 0;
}

static netdev_tx_t vmqsim_nic_xmit(struct sk_buff *skb, struct net_device *nic)
{
	struct vmqsim_dev *sdev = vmqsim_netdev_sdev(nic);
	u32 txq = skb_get_queue_mapping(skb);

	vmq_qp_count_tx(sdev->vdev, txq, 1, skb->len);
	skb_tx_timestamp(skb);
	vmqsim_silicon_tx(sdev, txq, skb);
	return NETDEV_TX_OK;
}

static void vmqsim_nic_get_stats64(struct net_device *nic,
				   struct rtnl_link_stats64 *stats)
{
	struct vmqsim_dev *sdev = vmqsim_netdev_sdev(nic);
	u64 cnt[VMQSIM_CNT_MAX];

	vmq_get_stats64(sdev->vdev, stats);
	/* Frames a drop filter discarded never reached a queue pair. */
	vmqsim_silicon_read_counters(sdev, cnt);
	stats->rx_dropped += cnt[VMQSIM_CNT_RX_FILTER_DROPS];
	stats->rx_fifo_errors = cnt[VMQSIM_CNT_RX_OVERRUNS];
	stats->rx_length_errors = cnt[VMQSIM_CNT_RX_TOO_LONG];
	/* if_link.h: rx_errors includes the length errors. */
	stats->rx_errors += stats->rx_length_errors;
}

static int vmqsim_nic_set_features(struct net_device *nic,
				   netdev_features_t features)
{
	return vmq_set_features(nic, features);
}

static const struct net_device_ops vmqsim_nic_ops = {
	.ndo_open		= vmqsim_nic_open,
	.ndo_stop		= vmqsim_nic_stop,
	.ndo_start_xmit		= vmqsim_nic_xmit,
	.ndo_select_queue	= vmq_select_queue,
	.ndo_set_features	= vmqsim_nic_set_features,
	.ndo_dfwd_add_station	= vmq_dfwd_add_station,
	.ndo_dfwd_del_station	= vmq_dfwd_del_station,
	.ndo_get_stats64	= vmqsim_nic_get_stats64,
	.ndo_set_mac_address	= vmq_set_mac_address,
	.ndo_validate_addr	= eth_validate_addr,
};

/* --- ethtool_ops --------------------------------------------------------- */

static void vmqsim_get_drvinfo(struct net_device *nic,
			       struct ethtool_drvinfo *info)
{
	struct vmqsim_dev *sdev = vmqsim_netdev_sdev(nic);

	strscpy(info->driver, VMQSIM_DRV_NAME, sizeof(info->driver));
	strscpy(info->bus_info, dev_name(&sdev->dev), sizeof(info->bus_info));
}

/* The NIC may send PAUSE (port.c); it never honours one: none comes. */
static void vmqsim_get_pauseparam(struct net_device *nic,
				  struct ethtool_pauseparam *pause)
{
	struct vmqsim_dev *sdev = vmqsim_netdev_sdev(nic);

	pause->autoneg = 0;
	pause->rx_pause = 0;
	pause->tx_pause = READ_ONCE(sdev->port.pause_tx);
}

static int vmqsim_set_pauseparam(struct net_device *nic,
				 struct ethtool_pauseparam *pause)
{
	struct vmqsim_dev *sdev = vmqsim_netdev_sdev(nic);

	if (pause->autoneg || pause->rx_pause) {
		netdev_err(nic, "only tx pause is supported: no autoneg, and the partner never sends PAUSE\n");
		return -EOPNOTSUPP;
	}
	vmqsim_port_set_pause(sdev, pause->tx_pause);
	return 0;
}

static void vmqsim_get_pause_stats(struct net_device *nic,
				   struct ethtool_pause_stats *stats)
{
	u64 cnt[VMQSIM_CNT_MAX];

	vmqsim_silicon_read_counters(vmqsim_netdev_sdev(nic), cnt);
	stats->tx_pause_frames = cnt[VMQSIM_CNT_TX_PAUSE];
	stats->rx_pause_frames = cnt[VMQSIM_CNT_RX_PAUSE];
}

static const struct ethtool_ops vmqsim_ethtool_ops = {
	.supported_coalesce_params = VMQ_SUPPORTED_COALESCE_PARAMS,
	.get_drvinfo		= vmqsim_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_pauseparam		= vmqsim_get_pauseparam,
	.set_pauseparam		= vmqsim_set_pauseparam,
	.get_pause_stats	= vmqsim_get_pause_stats,
	.get_rxnfc		= vmq_ethtool_get_rxnfc,
	.set_rxnfc		= vmq_ethtool_set_rxnfc,
	.get_rxfh_key_size	= vmq_ethtool_get_rxfh_key_size,
	.get_rxfh_indir_size	= vmq_ethtool_get_rxfh_indir_size,
	.get_rxfh		= vmq_ethtool_get_rxfh,
	.set_rxfh		= vmq_ethtool_set_rxfh,
	VMQ_ETHTOOL_RSS_CTX_OPS
	.get_channels		= vmq_ethtool_get_channels,
	.set_channels		= vmq_ethtool_set_channels,
	.get_ringparam		= vmq_ethtool_get_ringparam,
	.set_ringparam		= vmq_ethtool_set_ringparam,
	.get_strings		= vmq_ethtool_get_strings,
	.get_sset_count		= vmq_ethtool_get_sset_count,
	.get_ethtool_stats	= vmq_ethtool_get_stats,
	.get_coalesce		= vmq_ethtool_get_coalesce,
	.set_coalesce		= vmq_ethtool_set_coalesce,
	.get_per_queue_coalesce	= vmq_ethtool_get_per_queue_coalesce,
	.set_per_queue_coalesce	= vmq_ethtool_set_per_queue_coalesce,
	.get_priv_flags		= vmq_ethtool_get_priv_flags,
	.set_priv_flags		= vmq_ethtool_set_priv_flags,
};

/* --- life cycle ---------------------------------------------------------- */

static void vmqsim_caps_fill(const struct vmqsim_dev *sdev,
			     struct vmq_caps *caps)
{
	*caps = (struct vmq_caps) {
		.num_qps		= sdev->num_qps,
		.num_filters		= sdev->num_filters,
		.num_vectors		= sdev->num_qps,
		.match_fields		= VMQ_MATCH_DST_MAC | VMQ_MATCH_VLAN,
		.ring_min		= VMQSIM_RING_MIN,
		.rx_ring_max		= VMQSIM_RING_MAX,
		.tx_ring_max		= VMQSIM_RING_MAX,
		.rx_ring_default	= VMQSIM_RING_DEFAULT,
		.tx_ring_default	= VMQSIM_RING_DEFAULT,
		.default_channels	= min(num_online_cpus(), sdev->num_qps),
		.rss			= true,
	};
}

static void vmqsim_nic_setup(struct vmqsim_dev *sdev, struct net_device *nic)
{
	struct vmqsim_netdev_priv *priv = netdev_priv(nic);

	priv->sdev = sdev;
	snprintf(nic->name, IFNAMSIZ, "vmq%u", sdev->id);
	SET_NETDEV_DEV(nic, &sdev->dev);
	eth_hw_addr_random(nic);
	nic->netdev_ops = &vmqsim_nic_ops;
	nic->ethtool_ops = &vmqsim_ethtool_ops;
	nic->max_mtu = VMQSIM_MAX_MTU;
	nic->hw_features |= NETIF_F_NTUPLE | NETIF_F_HW_L2FW_DOFFLOAD;
	nic->features |= NETIF_F_NTUPLE;
	/*
	 * What the NIC does not switch goes to the wire partner's receive
	 * path, which takes the skb over: pktgen must not send one many
	 * times (clone_skb, burst).
	 */
	nic->priv_flags &= ~IFF_TX_SKB_SHARING;
	/* Up only once both ends of the wire are. */
	netif_carrier_off(nic);
}

static void vmqsim_napi_del_all(struct vmqsim_dev *sdev)
{
	u32 i;

	for (i = 0; i < sdev->num_qps; i++)
		__netif_napi_del(&sdev->qps[i].napi);
	/* One grace period for all of them. */
	synchronize_net();
}

/**
 * vmqsim_nic_create() - create and register the NIC netdev vmq<ID>
 * @sdev: the device, its silicon and vectors set up.
 *
 * Registers with the vmq core before the netdev goes live, so the core
 * sets the queue counts and the ethtool helpers work from the start.
 *
 * Return: 0 or a negative errno, with nothing left behind.
 */
int vmqsim_nic_create(struct vmqsim_dev *sdev)
{
	struct vmq_caps caps;
	struct net_device *nic;
	int err;
	u32 i;

	nic = alloc_etherdev_mqs(sizeof(struct vmqsim_netdev_priv),
				 sdev->num_qps, sdev->num_qps);
	if (!nic)
		return -ENOMEM;
	vmqsim_nic_setup(sdev, nic);
	for (i = 0; i < sdev->num_qps; i++) {
		netif_napi_add(nic, &sdev->qps[i].napi, vmqsim_napi_poll);
		sdev->qps[i].rx_irq.handler = vmqsim_rx_irq_handler;
		sdev->qps[i].rx_irq.pending = vmqsim_rx_irq_pending;
	}
	sdev->nic = nic;

	vmqsim_caps_fill(sdev, &caps);
	sdev->vdev = vmq_dev_register(nic, &caps, &vmqsim_hw_ops, sdev);
	if (IS_ERR(sdev->vdev)) {
		err = PTR_ERR(sdev->vdev);
		goto err_napi_del;
	}
	err = register_netdev(nic);
	if (err)
		goto err_vmq_unregister;
	return 0;

err_vmq_unregister:
	vmq_dev_unregister(sdev->vdev);
err_napi_del:
	vmqsim_napi_del_all(sdev);
	vmqsim_xps_clear(nic);
	free_netdev(nic);
	sdev->vdev = NULL;
	sdev->nic = NULL;
	dev_err(&sdev->dev, "cannot create netdev vmq%u: %d\n", sdev->id, err);
	return err;
}

/**
 * vmqsim_nic_destroy() - undo vmqsim_nic_create()
 * @sdev: the device, its link partner gone.
 */
void vmqsim_nic_destroy(struct vmqsim_dev *sdev)
{
	/* Closes it first: DMA stops and the vectors are freed. */
	unregister_netdev(sdev->nic);
	vmq_dev_unregister(sdev->vdev);
	vmqsim_napi_del_all(sdev);
	free_netdev(sdev->nic);
	sdev->vdev = NULL;
	sdev->nic = NULL;
}
