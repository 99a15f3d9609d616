// SPDX-License-Identifier: GPL-2.0
/*
 * vmqsim: a guest queue pair's transmit.  The engine sends the frames
 * the guest posts into the transmit switch, by the admin's rules
 * (anti-spoofing and the VLAN rules: a frame they refuse is dropped and
 * counted), and writes their completions.  A transmit length out of
 * range is the guest's error (vmqsim_guest_fail()); the host's shortage
 * is not, and drops the frame.
 */

#include <linux/etherdevice.h>
#include <net/vmq_guest.h>
#include "guest.h"

static int vmqsim_guest_desc_rw(struct vmqsim_guest *gq,
				const struct vmq_ring_state *ring, u32 idx,
				struct vmq_desc *desc, bool write)
{
	return vmqsim_guest_dma(gq, ring->base + (u64)idx * sizeof(*desc),
				desc, sizeof(*desc), write);
}

/* The admin's rules on a frame the guest sends.  False: drop it. */
static bool vmqsim_guest_tx_admit(struct vmqsim_guest *gq, struct sk_buff *skb)
{
	u8 mac[ETH_ALEN];
	u16 vlan;

	vlan = vmq_guest_qp_l2(gq->gqp, mac);
	/* Without an admin MAC nothing is the guest's own, not even zero. */
	if (READ_ONCE(gq->gqp->spoofchk) &&
	    (is_zero_ether_addr(mac) ||
	     !ether_addr_equal(eth_hdr(skb)->h_source, mac))) {
		vmq_guest_count(gq->gqp, VMQ_CNT_TX_SPOOFED, 1);
		return false;
	}
	/* Untagged and not a trunk: no way into other VLANs' queues. */
	if (!vlan && eth_type_vlan(eth_hdr(skb)->h_proto) &&
	    !READ_ONCE(gq->gqp->trunk)) {
		vmq_guest_count(gq->gqp, VMQ_CNT_TX_SPOOFED, 1);
		return false;
	}
	if (vlan)
		__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021Q), vlan);
	return true;
}

static void vmqsim_guest_tx_out(struct vmqsim_guest *gq, struct sk_buff *skb);

/* Send the frame of transmit descriptor @desc.  False on a guest error. */
static bool vmqsim_guest_tx_one(struct vmqsim_guest *gq, struct vmq_desc *desc)
{
	u32 len = le32_to_cpu(desc->len);
	struct sk_buff *skb;

	desc->flags = cpu_to_le16(VMQ_DESC_F_DONE);
	if (len < ETH_HLEN || len > vmq_guest_qp_tx_limit(gq->gqp))
		return vmqsim_guest_fail(gq, VMQ_ERR_TX_LEN);
	skb = alloc_skb(len, GFP_KERNEL);
	if (!skb) {
		/* The host's shortage, not the guest's fault: drop. */
		vmq_qp_count_tx_drop(gq->sdev->vdev, gq->id, 1);
		desc->flags |= cpu_to_le16(VMQ_DESC_F_ERR);
		return true;
	}
	if (vmqsim_guest_dma(gq, le64_to_cpu(desc->addr), skb_put(skb, len),
			     len, false)) {
		kfree_skb(skb);
		return vmqsim_guest_fail(gq, VMQ_ERR_DMA);
	}
	skb_reset_mac_header(skb);
	if (!vmqsim_guest_tx_admit(gq, skb)) {
		vmq_qp_count_tx_drop(gq->sdev->vdev, gq->id, 1);
		desc->flags |= cpu_to_le16(VMQ_DESC_F_ERR);
		kfree_skb(skb);
		return true;
	}
	vmqsim_guest_tx_out(gq, skb);
	return true;
}

/* Into the transmit switch: a frame the admin's rules let through. */
static void vmqsim_guest_tx_out(struct vmqsim_guest *gq, struct sk_buff *skb)
{
	skb->dev = gq->sdev->nic;
	vmq_qp_count_tx(gq->sdev->vdev, gq->id, 1, skb->len);
	vmq_guest_count(gq->gqp, VMQ_CNT_TX_PACKETS, 1);
	vmq_guest_count(gq->gqp, VMQ_CNT_TX_BYTES, skb->len);
	local_bh_disable();
	vmqsim_silicon_tx(gq->sdev, gq->id, skb);
	local_bh_enable();
}

/**
 * vmqsim_guest_tx_send() - send a frame a guest queued, by the rules
 * @gq: the engine.
 * @skb: the frame, its data at the Ethernet header; consumed.
 *
 * Anti-spoofing and the VLAN rules first: a frame they refuse is dropped
 * and counted.
 */
void vmqsim_guest_tx_send(struct vmqsim_guest *gq, struct sk_buff *skb)
{
	skb_reset_mac_header(skb);
	if (!vmqsim_guest_tx_admit(gq, skb)) {
		vmq_qp_count_tx_drop(gq->sdev->vdev, gq->id, 1);
		kfree_skb(skb);
		return;
	}
	vmqsim_guest_tx_out(gq, skb);
}

/* Send posted transmit frames.  False on a guest error. */
bool vmqsim_guest_tx_batch(struct vmqsim_guest *gq,
			   struct vmqsim_guest_done *done)
{
	struct vmq_ring_state *ring = &gq->gqp->tx;
	u32 head = ring->head, n = 0;
	struct vmq_desc desc;

	/* Pairs with the release in vmq_guest_qp_doorbell(). */
	while (n < VMQSIM_GUEST_BUDGET && head != smp_load_acquire(&ring->tail)) {
		if (vmqsim_guest_desc_rw(gq, ring, head, &desc, false))
			return vmqsim_guest_fail(gq, vmq_guest_ring_err(gq->gqp));
		if (!vmqsim_guest_tx_one(gq, &desc))
			return false;
		if (vmqsim_guest_desc_rw(gq, ring, head, &desc, true))
			return vmqsim_guest_fail(gq, vmq_guest_ring_err(gq->gqp));
		head = (head + 1) & (ring->size - 1);
		WRITE_ONCE(ring->head, head);
		n++;
	}
	done->tx += n;
	return true;
}
