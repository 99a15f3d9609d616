// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: macvlan L2-forwarding offload.
 *
 * With "ethtool -K DEV l2-fwd-offload on", each macvlan (or macvtap) that
 * comes up on the NIC gets a queue pair of its own and a filter on its
 * MAC: its frames land in that queue pair and the driver hands them to the
 * macvlan netdev directly, past macvlan's software demux; what it sends
 * leaves through the queue pair's transmit ring.  With devlink's
 * macvlan_queues above 1 it gets that many queue pairs in a row (VMMQ),
 * its filter names an RSS context of its own that spreads its flows over
 * them, and it sends on them by flow hash.  As with ixgbe, the
 * macvlan is a subordinate channel of the NIC: it passes itself as sb_dev,
 * and the stack's binding of its traffic class to the queue pair's
 * transmit queue says where its frames go.  Multicast and broadcast still
 * reach macvlans through the lower device, as with ixgbe.
 *
 * When no queue pair or filter slot is left the macvlan keeps working on
 * the software path, and the log and the "macvlans" debugfs view say so.
 * Freed queue pairs are not pushed onto such macvlans behind the admin's
 * back: re-creating the macvlan (or taking it down and up), or toggling
 * l2-fwd-offload off and on, offloads it.
 */

#include <linux/etherdevice.h>
#include <linux/if_macvlan.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include "vmq_priv.h"

static bool vmq_fwd_mode_ok(struct net_device *upper)
{
	return macvlan_supports_dest_filter(upper);
}

/* The first of @count free queue pairs in a row, or VMQ_QP_DROP. */
static u32 vmq_fwd_free_qps(struct vmq_dev *vdev, u32 count)
{
	u32 qp, run = 0;

	for (qp = vdev->channels; qp < vdev->caps.num_qps; qp++) {
		run = vdev->qps[qp].state == VMQ_QP_FREE ? run + 1 : 0;
		if (run == count)
			return qp + 1 - count;
	}
	return VMQ_QP_DROP;
}

/*
 * The stack binds subordinate channels per traffic class of the NIC, so
 * while offload is on the NIC has one class over all its transmit queues,
 * and a macvlan's class 0 is its queue pair's queue alone.  The host's
 * frames still spread over the channels only (vmq_select_queue()).
 */
static int vmq_fwd_bind(struct vmq_fwd *fwd)
{
	int err;

	err = netdev_set_sb_channel(fwd->upper, fwd->qp);
	if (!err)
		err = netdev_bind_sb_channel_queue(fwd->vdev->netdev, fwd->upper,
						   0, fwd->nr_qps, fwd->qp);
	if (err)
		netdev_set_sb_channel(fwd->upper, 0);
	return err;
}

static void vmq_fwd_unbind(struct vmq_fwd *fwd)
{
	netdev_unbind_sb_channel(fwd->vdev->netdev, fwd->upper);
	netdev_set_sb_channel(fwd->upper, 0);
}

/* A change of traffic classes dropped the driver's XPS maps: set them again. */
static void vmq_fwd_xps_restore(struct vmq_dev *vdev)
{
	u32 i;

	if (!vdev->ops->qp_affinity)
		return;
	for (i = 0; i < vdev->channels; i++)
		vdev->ops->qp_affinity(vdev, i, vmq_qp_cpu(vdev, i));
}

/**
 * vmq_fwd_tc_setup() - give the NIC its traffic class, bind every macvlan
 * @vdev: the vmq device, offload on, its transmit queues all real.
 *
 * Context: RTNL and the device mutex held.
 * Return: 0, or a negative errno with no class and nothing bound.
 */
static int vmq_fwd_tc_setup(struct vmq_dev *vdev)
{
	struct net_device *netdev = vdev->netdev;
	struct vmq_fwd *fwd;
	int err;

	err = netdev_set_num_tc(netdev, 1);
	if (!err)
		err = netdev_set_tc_queue(netdev, 0, netdev->real_num_tx_queues,
					  0);
	list_for_each_entry(fwd, &vdev->fwds, list) {
		if (!err)
			err = vmq_fwd_bind(fwd);
	}
	if (err) {
		netdev_err(netdev, "vmq: cannot bind macvlans to their queues: %d\n",
			   err);
		netdev_reset_tc(netdev);
	}
	vmq_fwd_xps_restore(vdev);
	return err;
}

/**
 * vmq_fwd_tc_clear() - undo vmq_fwd_tc_setup()
 * @vdev: the vmq device, offload going off: no macvlan offloaded.
 *
 * Context: RTNL and the device mutex held.
 */
static void vmq_fwd_tc_clear(struct vmq_dev *vdev)
{
	/* Unbinds every subordinate channel too. */
	netdev_reset_tc(vdev->netdev);
	vmq_fwd_xps_restore(vdev);
}

/*
 * Queue pairs for @fwd: devlink's macvlan_queues of them in a row, spread
 * by an RSS context of their own, or one when the device has no RSS, or
 * not that many free in a row, or no context left.  Device mutex held.
 */
static int vmq_fwd_reserve(struct vmq_dev *vdev, struct vmq_fwd *fwd)
{
	u32 want = vdev->caps.rss ? vdev->fwd_qps : 1;
	u32 qp = VMQ_QP_DROP;
	int ctx;

	if (want > 1)
		qp = vmq_fwd_free_qps(vdev, want);
	if (qp != VMQ_QP_DROP) {
		ctx = vmq_rss_fwd_add(vdev, qp, want);
		if (ctx > 0) {
			fwd->qp = qp;
			fwd->nr_qps = want;
			fwd->ctx = ctx;
			return 0;
		}
		qp = VMQ_QP_DROP;
	}
	qp = vmq_fwd_free_qps(vdev, 1);
	/* None at all: the caller says so; "it gets one" would be false. */
	if (qp == VMQ_QP_DROP)
		return -EBUSY;
	if (want > 1)
		netdev_info(vdev->netdev, "vmq: %s: no %u free queue pairs in a row with an RSS context, it gets one\n",
			    fwd->upper->name, want);
	fwd->qp = qp;
	fwd->nr_qps = 1;
	return 0;
}

/* Device mutex held. */
static void vmq_fwd_unreserve(struct vmq_dev *vdev, struct vmq_fwd *fwd)
{
	if (fwd->ctx)
		vmq_rss_fwd_del(vdev, fwd->ctx);
}

/* Where its filter sends frames: its queue pair, or its RSS context. */
static u32 vmq_fwd_target(const struct vmq_fwd *fwd)
{
	return fwd->ctx ? VMQ_QP_RSS(fwd->ctx) : fwd->qp;
}

/* Give @fwd its queue pairs, started if the NIC runs; mutex held. */
static int vmq_fwd_qps_claim(struct vmq_dev *vdev, struct vmq_fwd *fwd)
{
	u32 i, qp;
	int err;

	for (i = 0; i < fwd->nr_qps; i++) {
		qp = fwd->qp + i;
		vmq_qp_claim(vdev, qp, VMQ_OWNER_MACVLAN);
		vdev->qps[qp].fwd = fwd;
		rcu_assign_pointer(vdev->qps[qp].rx_netdev, fwd->upper);
		if (!vdev->running)
			continue;
		err = vmq_qp_start(vdev, qp);
		if (err) {
			RCU_INIT_POINTER(vdev->qps[qp].rx_netdev, NULL);
			vdev->qps[qp].fwd = NULL;
			vmq_qp_release(vdev, qp);
			goto err_release;
		}
	}
	return 0;

err_release:
	while (i--) {
		qp = fwd->qp + i;
		vmq_qp_stop(vdev, qp);
		RCU_INIT_POINTER(vdev->qps[qp].rx_netdev, NULL);
		vdev->qps[qp].fwd = NULL;
		vmq_qp_release(vdev, qp);
	}
	return err;
}

/* Undo vmq_fwd_qps_claim(); mutex held, the filter gone. */
static void vmq_fwd_qps_release(struct vmq_dev *vdev, struct vmq_fwd *fwd)
{
	u32 i, qp;

	for (i = 0; i < fwd->nr_qps; i++) {
		qp = fwd->qp + i;
		vmq_qp_stop(vdev, qp);
		RCU_INIT_POINTER(vdev->qps[qp].rx_netdev, NULL);
		vdev->qps[qp].fwd = NULL;
		vmq_qp_release(vdev, qp);
	}
}

/* Called with RTNL and the device mutex held. */
static struct vmq_fwd *vmq_fwd_add(struct vmq_dev *vdev,
				   struct net_device *upper)
{
	struct vmq_filter_key key = { .vlan = VMQ_VLAN_NONE };
	struct macvlan_dev *mvlan = netdev_priv(upper);
	struct vmq_fwd *fwd;
	int err, loc;

	fwd = kzalloc(sizeof(*fwd), GFP_KERNEL);
	if (!fwd)
		return ERR_PTR(-ENOMEM);
	fwd->vdev = vdev;
	fwd->upper = upper;
	fwd->local_switch = mvlan->mode == MACVLAN_MODE_BRIDGE;
	err = vmq_fwd_reserve(vdev, fwd);
	if (err) {
		netdev_info(vdev->netdev, "vmq: no free queue pair for %s, it stays on the software path\n",
			    upper->name);
		goto err_free;
	}
	err = vmq_fwd_qps_claim(vdev, fwd);
	if (err)
		goto err_unreserve;
	err = vmq_fwd_bind(fwd);
	if (err) {
		/*
		 * Our traffic class is gone: a software mqprio sets the NIC's
		 * classes itself, and clears them all when it goes.
		 */
		netdev_info(vdev->netdev, "vmq: cannot bind %s to its queue pairs: %d (the NIC's traffic classes changed, e.g. by mqprio; turn l2-fwd-offload off and on), it stays on the software path\n",
			    upper->name, err);
		goto err_release;
	}

	/* The queues are ready: now let the classifier send frames there. */
	ether_addr_copy(key.addr, upper->dev_addr);
	loc = __vmq_filter_add(vdev, &key, vmq_fwd_target(fwd),
			       VMQ_FILTER_MACVLAN, VMQ_LOC_ANY);
	if (loc < 0) {
		err = loc;
		netdev_info(vdev->netdev, "vmq: no filter for %s (%pM): %d, it stays on the software path\n",
			    upper->name, upper->dev_addr, err);
		goto err_unbind;
	}
	fwd->loc = loc;
	list_add_tail(&fwd->list, &vdev->fwds);
	netdev_info(vdev->netdev, "vmq: %s offloaded to queue pairs %u-%u\n",
		    upper->name, fwd->qp, fwd->qp + fwd->nr_qps - 1);
	return fwd;

err_unbind:
	vmq_fwd_unbind(fwd);
err_release:
	vmq_fwd_qps_release(vdev, fwd);
err_unreserve:
	vmq_fwd_unreserve(vdev, fwd);
err_free:
	kfree(fwd);
	return ERR_PTR(err);
}

/* Called with RTNL and the device mutex held. */
static void vmq_fwd_del(struct vmq_fwd *fwd)
{
	struct vmq_dev *vdev = fwd->vdev;

	/* Stop steering first, then transmit, then DMA. */
	if (fwd->loc != VMQ_LOC_ANY)
		__vmq_filter_del(vdev, fwd->loc);
	vmq_fwd_unreserve(vdev, fwd);
	vmq_fwd_unbind(fwd);
	/*
	 * No classifier pass that found the filter or the table may still
	 * be on its way to the queue pairs once a new owner can claim
	 * them: a stop need not wait for one, and while the NIC is down
	 * nothing stops.
	 */
	synchronize_net();
	vmq_fwd_qps_release(vdev, fwd);
	list_del(&fwd->list);
	netdev_info(vdev->netdev, "vmq: %s released queue pairs %u-%u\n",
		    fwd->upper->name, fwd->qp, fwd->qp + fwd->nr_qps - 1);
	kfree(fwd);
}

/*
 * Can @upper be offloaded at all?  Else the log says why it stays on the
 * software path, whichever way it came up for offload: its open, offload
 * turned on, or a mode change.
 */
static bool vmq_fwd_offloadable(struct net_device *pdev,
				struct net_device *upper)
{
	if (!netif_is_macvlan(upper) || !vmq_fwd_mode_ok(upper)) {
		netdev_info(pdev, "vmq: %s: only bridge, private and vepa macvlans are offloaded\n",
			    upper->name);
		return false;
	}
	if (netif_is_multiqueue(upper)) {
		netdev_info(pdev, "vmq: %s: multiqueue macvlans are not offloaded\n",
			    upper->name);
		return false;
	}
	return true;
}

/**
 * vmq_dfwd_add_station() - ndo_dfwd_add_station for a VMQ device
 * @pdev: the NIC netdev.
 * @upper: the macvlan coming up on it.
 *
 * Gives @upper a queue pair and a filter on its MAC.
 *
 * Context: RTNL held (macvlan_open()).
 * Return: the offload handle macvlan keeps as accel_priv, or an ERR_PTR(),
 * in which case macvlan uses the software path.
 */
void *vmq_dfwd_add_station(struct net_device *pdev, struct net_device *upper)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(pdev);
	struct vmq_fwd *fwd;

	ASSERT_RTNL();
	if (!vmq_fwd_offloadable(pdev, upper))
		return ERR_PTR(-EOPNOTSUPP);
	mutex_lock(&vdev->lock);
	fwd = vmq_fwd_add(vdev, upper);
	mutex_unlock(&vdev->lock);
	return fwd;
}
EXPORT_SYMBOL_GPL(vmq_dfwd_add_station);

/**
 * vmq_dfwd_del_station() - ndo_dfwd_del_station for a VMQ device
 * @pdev: the NIC netdev.
 * @priv: what vmq_dfwd_add_station() returned.
 *
 * Removes the filter, stops DMA, drains and frees the queue pair.
 *
 * Context: RTNL held (macvlan_stop()).
 */
void vmq_dfwd_del_station(struct net_device *pdev, void *priv)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(pdev);

	ASSERT_RTNL();
	mutex_lock(&vdev->lock);
	vmq_fwd_del(priv);
	mutex_unlock(&vdev->lock);
}
EXPORT_SYMBOL_GPL(vmq_dfwd_del_station);

/*
 * The macvlans on @pdev, held, in an array: offloading sleeps, which a
 * walk of the upper list under RCU cannot.  RTNL keeps the list stable.
 */
static int vmq_macvlans_get(struct net_device *pdev,
			    struct net_device ***uppers)
{
	struct net_device *upper, **arr;
	struct list_head *iter;
	int n = 0, i = 0;

	rcu_read_lock();
	netdev_for_each_upper_dev_rcu(pdev, upper, iter)
		n += netif_is_macvlan(upper);
	rcu_read_unlock();
	arr = kcalloc(n ?: 1, sizeof(*arr), GFP_KERNEL);
	if (!arr)
		return -ENOMEM;
	rcu_read_lock();
	netdev_for_each_upper_dev_rcu(pdev, upper, iter) {
		if (!netif_is_macvlan(upper) || i == n)
			continue;
		dev_hold(upper);
		arr[i++] = upper;
	}
	rcu_read_unlock();
	*uppers = arr;
	return i;
}

static void vmq_macvlans_put(struct net_device **uppers, int n)
{
	while (n--)
		dev_put(uppers[n]);
	kfree(uppers);
}

/* Offload off: every offloaded macvlan goes back to software, intact. */
static void vmq_fwd_release_all(struct vmq_dev *vdev)
{
	struct vmq_fwd *fwd, *tmp;

	mutex_lock(&vdev->lock);
	list_for_each_entry_safe(fwd, tmp, &vdev->fwds, list) {
		/* macvlan forgets us and adds its MAC to the lower device. */
		macvlan_release_l2fw_offload(fwd->upper);
		vmq_fwd_del(fwd);
	}
	mutex_unlock(&vdev->lock);
}

/*
 * Offload a macvlan that is up on the software path, as macvlan_open()
 * would have had a queue pair been free; RTNL and the mutex held.
 */
static void vmq_fwd_offload_one(struct vmq_dev *vdev, struct net_device *upper)
{
	struct macvlan_dev *mvlan = netdev_priv(upper);
	struct vmq_fwd *fwd;

	if (!netif_running(upper) || mvlan->accel_priv ||
	    !vmq_fwd_offloadable(vdev->netdev, upper))
		return;
	fwd = vmq_fwd_add(vdev, upper);
	if (IS_ERR(fwd))
		return;
	/* macvlan's MAC is the filter's now, no longer the lower device's. */
	mvlan->accel_priv = fwd;
	dev_uc_del(vdev->netdev, upper->dev_addr);
}

/* Offload on: macvlans already up get a queue pair where one is free. */
static void vmq_fwd_offload_existing(struct vmq_dev *vdev)
{
	struct net_device **uppers;
	int n, i;

	n = vmq_macvlans_get(vdev->netdev, &uppers);
	if (n < 0)
		return;
	mutex_lock(&vdev->lock);
	for (i = 0; i < n; i++)
		vmq_fwd_offload_one(vdev, uppers[i]);
	mutex_unlock(&vdev->lock);
	vmq_macvlans_put(uppers, n);
}

/* l2-fwd-offload turned on or off (vmq_set_features()). */
static int vmq_fwd_set_offload(struct vmq_dev *vdev, bool on)
{
	struct net_device *netdev = vdev->netdev;
	int err;

	if (on) {
		err = netif_set_real_num_tx_queues(netdev, vdev->caps.num_qps);
		if (err)
			return err;
		mutex_lock(&vdev->lock);
		err = vmq_fwd_tc_setup(vdev);
		mutex_unlock(&vdev->lock);
		if (err) {
			netif_set_real_num_tx_queues(netdev, vdev->channels);
			return err;
		}
		WRITE_ONCE(vdev->l2fw, true);
		vmq_fwd_offload_existing(vdev);
		return 0;
	}
	vmq_fwd_release_all(vdev);
	WRITE_ONCE(vdev->l2fw, false);
	mutex_lock(&vdev->lock);
	vmq_fwd_tc_clear(vdev);
	mutex_unlock(&vdev->lock);
	return netif_set_real_num_tx_queues(netdev, vdev->channels);
}

/**
 * vmq_set_features() - the vmq part of ndo_set_features
 * @netdev: the NIC netdev.
 * @features: the features about to be set.
 *
 * Handles NETIF_F_HW_L2FW_DOFFLOAD: turning it on makes every transmit
 * queue usable for subordinate channels (vmq_fwd_tc_setup()) and offloads
 * the macvlans already up; turning it off moves every offloaded macvlan
 * back to the software path, keeping the interfaces.  Turning
 * NETIF_F_NTUPLE off removes the ntuple rules (vmq_rules_flush()); a
 * driver that takes ntuple rules has it in its features.
 *
 * Context: RTNL held.
 * Return: 0 or a negative errno.
 */
int vmq_set_features(struct net_device *netdev, netdev_features_t features)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);
	netdev_features_t changed = netdev->features ^ features;
	int err;

	if (changed & NETIF_F_HW_L2FW_DOFFLOAD) {
		err = vmq_fwd_set_offload(vdev,
					  features & NETIF_F_HW_L2FW_DOFFLOAD);
		if (err)
			return err;
	}
	if (changed & ~features & NETIF_F_NTUPLE)
		vmq_rules_flush(vdev);
	return 0;
}
EXPORT_SYMBOL_GPL(vmq_set_features);

/**
 * vmq_select_queue() - ndo_select_queue for a VMQ device
 * @netdev: the NIC netdev.
 * @skb: the frame.
 * @sb_dev: the offloaded macvlan sending it, or NULL for the host.
 *
 * An offloaded macvlan's frames use the queues its subordinate channel is
 * bound to, its queue pairs', spread by flow hash; the host's, and a
 * macvlan's while it is not bound, use the channels, with the usual XPS
 * and flow hashing.
 *
 * Return: the transmit queue.
 */
u16 vmq_select_queue(struct net_device *netdev, struct sk_buff *skb,
		     struct net_device *sb_dev)
{
	struct vmq_dev *vdev = vmq_dev_from_netdev(netdev);
	u32 channels = READ_ONCE(vdev->channels);
	u16 txq, count;

	/* A macvlan's class 0 is its queue pairs: spread by flow. */
	count = sb_dev ? READ_ONCE(sb_dev->tc_to_txq[0].count) : 0;
	if (count) {
		txq = READ_ONCE(sb_dev->tc_to_txq[0].offset);
		if (count > 1)
			txq += reciprocal_scale(skb_get_hash(skb), count);
		if (txq < netdev->real_num_tx_queues)
			return txq;
	}
	/*
	 * Unbound for a moment (a failed rebinding): still its own first
	 * queue pair, the subordinate channel's number, never a host
	 * channel, from which the NIC would switch frames a private or
	 * vepa macvlan must send to the wire.
	 */
	txq = sb_dev ? netdev_get_sb_channel(sb_dev) : 0;
	if (txq && txq < netdev->real_num_tx_queues)
		return txq;
	return netdev_pick_tx(netdev, skb, NULL) % channels;
}
EXPORT_SYMBOL_GPL(vmq_select_queue);

/**
 * vmq_real_num_tx_queues() - the transmit queues a driver makes real
 * @vdev: the vmq device.
 * @channels: the host's channels.
 *
 * While l2-fwd-offload is on, offloaded macvlans send on their queue
 * pairs' queues, past the channels: every queue pair's transmit queue
 * stays real, also while ethtool -L changes the channels, so that the
 * NIC's traffic class and the macvlans' bindings stay valid throughout.
 *
 * Context: the device mutex or RTNL held.
 * Return: @channels, or the device's queue pairs while offload is on.
 */
u32 vmq_real_num_tx_queues(struct vmq_dev *vdev, u32 channels)
{
	return READ_ONCE(vdev->l2fw) ? vdev->caps.num_qps : channels;
}
EXPORT_SYMBOL_GPL(vmq_real_num_tx_queues);

/**
 * vmq_qp_rx_netdev() - where a queue pair's frames go
 * @vdev: the vmq device.
 * @qp: queue pair index.
 *
 * Context: the queue pair's NAPI poll, with BH disabled: that is the RCU
 * read side the pointer is checked against, and the macvlan stays until
 * vmq_fwd_del() has stopped the queue pair's poll.
 * Return: the offloaded macvlan owning @qp, or NULL for the NIC itself.
 */
struct net_device *vmq_qp_rx_netdev(struct vmq_dev *vdev, u32 qp)
{
	return rcu_dereference_bh(vdev->qps[qp].rx_netdev);
}
EXPORT_SYMBOL_GPL(vmq_qp_rx_netdev);

/* An offloaded macvlan's offload, if its lower device is ours; or NULL. */
static struct vmq_fwd *vmq_fwd_of(struct net_device *upper)
{
	/* Only our own lower devices' accel_priv is a struct vmq_fwd. */
	if (!vmq_dev_is_ours(macvlan_dev_real_dev(upper)))
		return NULL;
	return macvlan_accel_priv(upper);
}

/*
 * A macvlan changed its MAC: move its filter in one step.  If the new
 * MAC cannot be steered (another filter holds it, the table is full) the
 * old one must not stay steered to the macvlan either: that MAC may be
 * another's from now on.  The macvlan then keeps its queue pairs for
 * what it sends and receives through the lower device (macvlan added
 * its new MAC there), until its next MAC change or reopen.
 */
static void vmq_fwd_changeaddr(struct net_device *upper)
{
	struct vmq_filter_key key = { .vlan = VMQ_VLAN_NONE };
	struct vmq_fwd *fwd;
	struct vmq_dev *vdev;
	int loc;

	fwd = vmq_fwd_of(upper);
	if (!fwd)
		return;
	vdev = fwd->vdev;
	ether_addr_copy(key.addr, upper->dev_addr);
	mutex_lock(&vdev->lock);
	loc = __vmq_filter_add(vdev, &key, vmq_fwd_target(fwd),
			       VMQ_FILTER_MACVLAN, fwd->loc);
	if (loc < 0)
		__vmq_filter_del(vdev, fwd->loc);
	fwd->loc = loc < 0 ? VMQ_LOC_ANY : loc;
	mutex_unlock(&vdev->lock);
	if (loc < 0)
		netdev_warn(vdev->netdev, "vmq: %s: cannot move filter to %pM: %d; it receives through the software path\n",
			    upper->name, upper->dev_addr, loc);
}

/*
 * A macvlan's mode changed (macvlan's changelink, then NETDEV_CHANGE):
 * its queue pairs were started for the old one, which says whether the
 * NIC may switch what they send (bridge) or must send it to the wire
 * (private, vepa).  Offload it again from the start, as l2-fwd-offload
 * off and on would; a mode that is not offloaded (source, from any of
 * the three) leaves it on the software path.
 */
static void vmq_fwd_changemode(struct net_device *upper)
{
	struct macvlan_dev *mvlan = netdev_priv(upper);
	struct vmq_fwd *fwd;
	struct vmq_dev *vdev;
	bool bridge;

	fwd = vmq_fwd_of(upper);
	if (!fwd)
		return;
	bridge = mvlan->mode == MACVLAN_MODE_BRIDGE;
	if (vmq_fwd_mode_ok(upper) && fwd->local_switch == bridge)
		return;
	vdev = fwd->vdev;
	netdev_info(vdev->netdev, "vmq: %s changed mode, offloading it again\n",
		    upper->name);
	mutex_lock(&vdev->lock);
	macvlan_release_l2fw_offload(upper);
	vmq_fwd_del(fwd);
	vmq_fwd_offload_one(vdev, upper);
	mutex_unlock(&vdev->lock);
}

static int vmq_netdev_event(struct notifier_block *nb, unsigned long event,
			    void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	if (!netif_is_macvlan(dev))
		return NOTIFY_DONE;
	if (event == NETDEV_CHANGEADDR)
		vmq_fwd_changeaddr(dev);
	else if (event == NETDEV_CHANGE)
		vmq_fwd_changemode(dev);
	return NOTIFY_DONE;
}

static struct notifier_block vmq_netdev_nb = {
	.notifier_call = vmq_netdev_event,
};

int vmq_fwd_init(void)
{
	return register_netdevice_notifier(&vmq_netdev_nb);
}

void vmq_fwd_exit(void)
{
	unregister_netdevice_notifier(&vmq_netdev_nb);
}
