// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: a guest's L2 identity, the MAC and VLAN the host
 * admin gives a guest's queue pairs, the set's through its first one.
 *
 * The MAC steers frames to the guest through one filter, which moves in
 * one step, also while the queue pairs run; anti-spoofing and trunk mode
 * tell the engine what the guest may send.  A guest's filter on the NIC's
 * own address would take the host's unicast and pass the guest's frames
 * as the host's, as would the NIC taking a guest's MAC: each direction is
 * refused here, under the device mutex the address changes under too.
 * Live migration takes the filter out and back (vmq_guest_qp_match() in
 * guest_mig.c) through vmq_guest_filter_move().
 */

#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include "vmq_priv.h"

static int vmq_guest_l2_check(struct vmq_dev *vdev, const u8 *mac, u16 vlan)
{
	if (!is_zero_ether_addr(mac) && !is_valid_ether_addr(mac)) {
		netdev_warn(vdev->netdev, "vmq: %pM is not a unicast MAC\n",
			    mac);
		return -EINVAL;
	}
	if (vlan >= VLAN_VID_MASK) {
		netdev_warn(vdev->netdev, "vmq: VLAN %u not in 0..4094\n",
			    vlan);
		return -EINVAL;
	}
	if (vlan && !(vdev->caps.match_fields & VMQ_MATCH_VLAN)) {
		netdev_warn(vdev->netdev, "vmq: classifier cannot match VLANs\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * Move the queue's filter to @mac/@vlan; called with the device mutex.
 * Not logged here: a VMM can repeat vmq_guest_qp_match() at will, and
 * its caller bounds its own lines.
 */
int vmq_guest_filter_move(struct vmq_dev *vdev, u32 qp,
			  struct vmq_guest_qp *gqp, const u8 *mac, u16 vlan)
{
	struct vmq_filter_key key = { .vlan = vlan ? vlan : VMQ_VLAN_NONE };
	u32 old = gqp->loc;
	int loc;

	ether_addr_copy(key.addr, mac);
	if (old != VMQ_LOC_ANY && vdev->filters[old] &&
	    !memcmp(&vdev->filters[old]->key, &key, sizeof(key)))
		return 0;
	if (is_zero_ether_addr(mac)) {
		if (old != VMQ_LOC_ANY)
			__vmq_filter_del(vdev, old);
		gqp->loc = VMQ_LOC_ANY;
		return 0;
	}
	/*
	 * In the slot it holds, in one hardware write: a full table is no
	 * reason to refuse, and a refusal leaves the old filter.  A set of
	 * several queue pairs is reached through its table.
	 */
	loc = __vmq_filter_add(vdev, &key,
			       gqp->rss_ctx ? VMQ_QP_RSS(gqp->rss_ctx) : qp,
			       VMQ_FILTER_VFIO, old);
	if (loc < 0)
		return loc;
	gqp->loc = loc;
	return 0;
}

/*
 * A guest's filter on the NIC's own address would take the host's
 * unicast (on every VLAN the host uses it on), and its anti-spoofing
 * would pass the guest's frames as the host's: as macvlan refuses its
 * lower device's address.  vmq_set_mac_address() is the other direction.
 * Under the device mutex, which the address changes under too.
 */
static int vmq_guest_mac_not_nics(struct vmq_dev *vdev, const u8 *mac)
{
	lockdep_assert_held(&vdev->lock);
	if (!ether_addr_equal(mac, vdev->netdev->dev_addr))
		return 0;
	netdev_warn(vdev->netdev, "vmq: %pM is the NIC's own address\n", mac);
	return -EEXIST;
}

/* The first queue pair of a guest whose admin's MAC is @mac, if any. */
static bool vmq_guest_mac_owner(struct vmq_dev *vdev, const u8 *mac,
				u32 *qp)
{
	struct vmq_guest_qp *gqp;
	u8 addr[ETH_ALEN];
	u32 i;

	lockdep_assert_held(&vdev->lock);
	for (i = 0; i < vdev->caps.num_qps; i++) {
		gqp = vdev->qps[i].guest;
		if (!gqp || gqp->id != gqp->vport)
			continue;
		vmq_guest_qp_l2(gqp, addr);
		if (ether_addr_equal(addr, mac)) {
			*qp = i;
			return true;
		}
	}
	return false;
}

/**
 * vmq_set_mac_address() - ndo_set_mac_address for a vmq device
 * @netdev: the NIC's netdev, registered with vmq_dev_register().
 * @p: a &struct sockaddr with the new address.
 *
 * As eth_mac_addr(), but the MAC the admin gave a VM's queue pairs
 * (VFIO or vDPA, steered or not) is refused: the VM would take the
 * host's unicast and pass its frames as the host's.  The mirror of
 * vmq_guest_qp_set_l2() refusing the NIC's own address.  Offloaded
 * macvlans are not VMs: a macvlan takes its lower device's frames for
 * its address on the software path too.  eth_mac_addr()'s own checks
 * come first, so that an address no NIC could take (all zeroes, the
 * MAC of a VM not given one yet) is refused as such.
 *
 * Context: RTNL held, may sleep.
 * Return: 0, eth_prepare_mac_addr_change()'s error (-EBUSY while the
 * NIC is up without %IFF_LIVE_ADDR_CHANGE, -EADDRNOTAVAIL for an address
 * that is not a valid unicast one), or -EADDRINUSE for a VM's MAC
 * (logged).
 */
int vmq_set_mac_address(struct net_device *netdev, void *p)
{
	struct vmq_dev *vdev = netdev->ml_priv;
	struct sockaddr *sa = p;
	int err;
	u32 qp;

	if (!vdev)
		return eth_mac_addr(netdev, p);
	err = eth_prepare_mac_addr_change(netdev, p);
	if (err)
		return err;
	mutex_lock(&vdev->lock);
	if (vmq_guest_mac_owner(vdev, sa->sa_data, &qp)) {
		netdev_warn(netdev, "vmq: %pM is the MAC of the VM on queue pair %u\n",
			    sa->sa_data, qp);
		err = -EADDRINUSE;
	} else {
		eth_commit_mac_addr_change(netdev, p);
	}
	mutex_unlock(&vdev->lock);
	return err;
}
EXPORT_SYMBOL_GPL(vmq_set_mac_address);

/**
 * vmq_guest_qp_set_l2() - the host admin's MAC, VLAN and anti-spoofing
 * @vdev: the vmq device.
 * @qp: the first of a guest's queue pairs: the settings are the set's.
 * @mac: its MAC; all zeroes for none: no filter steers frames to it,
 *	and with anti-spoofing on every frame it sends is dropped (from
 *	00:00:00:00:00:00 too).
 * @vlan: VLAN ID 1..4094 the queue is on, transparently to the guest
 *	(stripped on receive, inserted on transmit), or 0 for none.
 * @spoofchk: drop frames the guest sends from another source MAC.
 *
 * Allowed at any time, also while the queue pair runs: the filter moves
 * in one step.  While the MAC matches nothing (vmq_guest_qp_match()) the
 * settings are only recorded.
 *
 * Context: process context, may sleep.
 * Return: 0, -EINVAL for a multicast MAC or bad VLAN, -EOPNOTSUPP for a
 * VLAN on a NIC whose classifier cannot match VLANs, -EEXIST if the MAC
 * is the NIC's own or another filter has this MAC and VLAN, -ENOSPC if
 * the filter table is full and the queue pair has no filter to move: no
 * MAC was set yet, the MAC was all zeroes, or its filter could not come
 * back at vmq_guest_qp_match().  While the MAC matches nothing, only
 * -EINVAL, -EOPNOTSUPP and -EEXIST for the NIC's own MAC.
 */
int vmq_guest_qp_set_l2(struct vmq_dev *vdev, u32 qp, const u8 *mac,
			u16 vlan, bool spoofchk)
{
	struct vmq_guest_qp *gqp, *member;
	int err;
	u32 i;

	err = vmq_guest_l2_check(vdev, mac, vlan);
	if (err)
		return err;
	mutex_lock(&vdev->lock);
	gqp = vdev->qps[qp].guest;
	err = vmq_guest_mac_not_nics(vdev, mac);
	/* An unmatched queue's filter comes back with vmq_guest_qp_match(). */
	if (!err && !gqp->unmatched) {
		err = vmq_guest_filter_move(vdev, qp, gqp, mac, vlan);
		if (err)
			netdev_warn(vdev->netdev,
				    "vmq: cannot steer %pM vlan %u to queue pair %u: %d\n",
				    mac, vlan, qp, err);
	}
	for (i = 0; !err && i < gqp->nr_qps; i++) {
		member = vdev->qps[qp + i].guest;
		atomic64_set(&member->l2, vmq_mac_vlan_pack(mac, vlan));
		WRITE_ONCE(member->spoofchk, spoofchk);
	}
	mutex_unlock(&vdev->lock);
	return err;
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_set_l2);

/**
 * vmq_guest_qp_set_trunk() - may the guest send and receive VLAN-tagged
 *	frames
 * @vdev: the vmq device.
 * @qp: the first of a guest's queue pairs: the setting is the set's.
 * @trunk: true: a queue without a VLAN passes the guest's tagged frames,
 *	which the NIC steers into those VLANs' queues, and receives tagged
 *	frames for its MAC, tags in band; false (the default): the driver
 *	drops the guest's tagged frames as spoofed and delivers it untagged
 *	frames only, so the guest stays on the untagged network.
 *
 * Allowed at any time; the engine applies it from the next frame.
 *
 * Context: process context, may sleep.
 */
void vmq_guest_qp_set_trunk(struct vmq_dev *vdev, u32 qp, bool trunk)
{
	u32 i;

	mutex_lock(&vdev->lock);
	for (i = 0; i < vdev->qps[qp].guest->nr_qps; i++)
		WRITE_ONCE(vdev->qps[qp + i].guest->trunk, trunk);
	mutex_unlock(&vdev->lock);
}
EXPORT_SYMBOL_GPL(vmq_guest_qp_set_trunk);
