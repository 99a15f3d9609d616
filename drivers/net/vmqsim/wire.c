// SPDX-License-Identifier: GPL-2.0
/*
 * vmqsim: the link partner vmq<ID>w, the far end of the NIC's wire.
 *
 * What the partner transmits enters the NIC's receive port; what the
 * NIC sends to the wire the partner receives.  Like veth it may live in
 * another network namespace.  The carrier is up on both ends exactly
 * when both netdevs are.
 */

#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include "vmqsim.h"

static bool vmqsim_set_carrier(struct net_device *dev, bool up)
{
	if (netif_carrier_ok(dev) == up)
		return false;
	if (up)
		netif_carrier_on(dev);
	else
		netif_carrier_off(dev);
	return true;
}

/**
 * vmqsim_carrier_update() - carrier up on both ends iff both are up
 * @sdev: the device.
 *
 * A change of the NIC's link raises its misc vector.
 *
 * Context: RTNL held.
 */
void vmqsim_carrier_update(struct vmqsim_dev *sdev)
{
	struct net_device *wire = rtnl_dereference(sdev->wire_link);
	bool up;

	up = wire && netif_running(sdev->nic) && netif_running(wire);
	if (vmqsim_set_carrier(sdev->nic, up))
		vmqsim_irq_raise_misc(sdev);
	if (wire)
		vmqsim_set_carrier(wire, up);
}

/**
 * vmqsim_wire_deliver() - the partner receives a frame the NIC sent
 * @sdev: the device.
 * @skb: the frame, consumed.
 *
 * Context: the NIC's transmit path, BHs disabled.
 * Return: true if the partner took it.
 */
bool vmqsim_wire_deliver(struct vmqsim_dev *sdev, struct sk_buff *skb)
{
	struct net_device *wire;
	unsigned int len;
	bool delivered = false;

	rcu_read_lock();
	wire = rcu_dereference(sdev->wire_link);
	if (!wire) {
		kfree_skb(skb);
		goto out;
	}
	len = skb->len;
	/* Scrubs the skb when it crosses into the partner's namespace. */
	if (dev_forward_skb(wire, skb) == NET_RX_SUCCESS) {
		dev_sw_netstats_rx_add(wire, len);
		delivered = true;
	}
out:
	rcu_read_unlock();
	return delivered;
}

static int vmqsim_wire_open(struct net_device *wire)
{
	vmqsim_carrier_update(vmqsim_netdev_sdev(wire));
	return 0;
}

static int vmqsim_wire_stop(struct net_device *wire)
{
	netif_carrier_off(wire);
	vmqsim_carrier_update(vmqsim_netdev_sdev(wire));
	return 0;
}

static netdev_tx_t vmqsim_wire_xmit(struct sk_buff *skb,
				    struct net_device *wire)
{
	dev_sw_netstats_tx_add(wire, 1, skb->len);
	vmqsim_port_rx(vmqsim_netdev_sdev(wire), wire, skb);
	return NETDEV_TX_OK;
}

/* "ip link" shows the partner as vmq<ID>w@vmq<ID>. */
static int vmqsim_wire_get_iflink(const struct net_device *wire)
{
	return vmqsim_netdev_sdev(wire)->nic->ifindex;
}

static const struct net_device_ops vmqsim_wire_ops = {
	.ndo_open		= vmqsim_wire_open,
	.ndo_stop		= vmqsim_wire_stop,
	.ndo_start_xmit		= vmqsim_wire_xmit,
	.ndo_get_stats64	= dev_get_tstats64,
	.ndo_get_iflink		= vmqsim_wire_get_iflink,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
};

static const struct ethtool_ops vmqsim_wire_ethtool_ops = {
	.get_link		= ethtool_op_get_link,
};

static void vmqsim_wire_setup(struct vmqsim_dev *sdev, struct net_device *wire)
{
	struct vmqsim_netdev_priv *priv = netdev_priv(wire);

	priv->sdev = sdev;
	snprintf(wire->name, IFNAMSIZ, "vmq%uw", sdev->id);
	eth_hw_addr_random(wire);
	wire->netdev_ops = &vmqsim_wire_ops;
	wire->ethtool_ops = &vmqsim_wire_ethtool_ops;
	wire->max_mtu = VMQSIM_MAX_MTU;
	wire->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;
	netif_carrier_off(wire);
}

/**
 * vmqsim_wire_create() - create and register the link partner
 * @sdev: the device, its NIC registered.
 *
 * Return: 0 or a negative errno, with nothing left behind.
 */
int vmqsim_wire_create(struct vmqsim_dev *sdev)
{
	struct net_device *wire;
	int err;

	wire = alloc_etherdev(sizeof(struct vmqsim_netdev_priv));
	if (!wire)
		return -ENOMEM;
	vmqsim_wire_setup(sdev, wire);
	err = register_netdev(wire);
	if (err) {
		dev_err(&sdev->dev, "cannot register %s: %d\n", wire->name,
			err);
		free_netdev(wire);
		return err;
	}
	sdev->wire = wire;

	rtnl_lock();
	rcu_assign_pointer(sdev->wire_link, wire);
	vmqsim_carrier_update(sdev);
	rtnl_unlock();
	return 0;
}

/**
 * vmqsim_wire_destroy() - cut the wire and unregister the partner
 * @sdev: the device.
 *
 * The NIC may be transmitting: it stops seeing the partner before the
 * partner goes.
 */
void vmqsim_wire_destroy(struct vmqsim_dev *sdev)
{
	rtnl_lock();
	RCU_INIT_POINTER(sdev->wire_link, NULL);
	vmqsim_carrier_update(sdev);
	netif_carrier_off(sdev->wire);
	rtnl_unlock();
	/* No NIC transmit still hands frames to the partner. */
	synchronize_net();
	unregister_netdev(sdev->wire);
	free_netdev(sdev->wire);
	sdev->wire = NULL;
}
