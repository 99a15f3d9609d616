// SPDX-License-Identifier: GPL-2.0
/*
 * vmqsim: the silicon's receive side scaling.
 *
 * Frames the classifier leaves to the host's pool are spread over its
 * channels as &struct vmq_rss says: a Toeplitz hash (Microsoft's RSS
 * specification, "Verifying the RSS Hash Calculation" has its test
 * vectors) over the source and destination address, then the source and
 * destination port, in network byte order, indexes the indirection
 * table.  The hash rides with the frame in its receive descriptor, and
 * the driver hands it to the stack (skb_set_hash()).
 */

#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/ip.h>
#include "vmqsim.h"

/* The longest hash input: two IPv6 addresses and two ports. */
#define VMQSIM_RSS_IN_MAX	(2 * sizeof(struct in6_addr) + 2 * sizeof(__be16))
#define VMQSIM_RSS_NIBBLES	(2 * VMQSIM_RSS_IN_MAX)

/**
 * struct vmqsim_rss_hw - the RSS registers, as the driver last wrote them
 * @rcu: frees an old copy once no classifier pass reads it.
 * @cfg: key, table and hashed fields.
 * @xor: what each 4 bits of input add to the hash, by their position
 *	and value: the Toeplitz hash is linear in its input, so a frame's
 *	hash is the XOR of its nibbles' entries.  Silicon hashes for free;
 *	the simulation's hash runs on the NIC's CPU, whose instructions
 *	the bench's clock counts, so it costs a lookup per nibble, not a
 *	step per bit.
 */
struct vmqsim_rss_hw {
	struct rcu_head rcu;
	struct vmq_rss cfg;
	u32 xor[VMQSIM_RSS_NIBBLES][16];
};

/* The 32 key bits from bit @bit on, the key's first bit the highest. */
static u32 vmqsim_rss_key_window(const u8 *key, unsigned int bit)
{
	unsigned int i = bit / 8, shift = bit % 8;
	u32 w = (u32)key[i] << 24 | key[i + 1] << 16 | key[i + 2] << 8 |
		key[i + 3];

	if (shift)
		w = w << shift | key[i + 4] >> (8 - shift);
	return w;
}

/* Every input bit set XORs in the key window starting at that bit. */
static void vmqsim_rss_fill(struct vmqsim_rss_hw *hw)
{
	unsigned int n, v, b;

	BUILD_BUG_ON(VMQSIM_RSS_IN_MAX + 4 > VMQ_RSS_KEY_SIZE);
	for (n = 0; n < VMQSIM_RSS_NIBBLES; n++) {
		for (v = 0; v < 16; v++) {
			u32 h = 0;

			for (b = 0; b < 4; b++)
				if (v & (8 >> b))
					h ^= vmqsim_rss_key_window(hw->cfg.key,
								   4 * n + b);
			hw->xor[n][v] = h;
		}
	}
}

/* Toeplitz over @len bytes of @data, at most %VMQSIM_RSS_IN_MAX. */
static u32 vmqsim_toeplitz(const struct vmqsim_rss_hw *hw, const u8 *data,
			   unsigned int len)
{
	unsigned int i;
	u32 hash = 0;

	for (i = 0; i < len; i++)
		hash ^= hw->xor[2 * i][data[i] >> 4] ^
			hw->xor[2 * i + 1][data[i] & 0xf];
	return hash;
}

/**
 * struct vmqsim_rss_input - what a frame hashes: addresses, maybe ports
 * @buf: source address, destination address, source port, dest port.
 * @len: bytes of @buf that count.
 * @l4: the ports are in.
 */
struct vmqsim_rss_input {
	u8 buf[VMQSIM_RSS_IN_MAX];
	unsigned int len;
	bool l4;
};

/* The ports after an IP header at @off, if the flow type hashes them. */
static void vmqsim_rss_ports(const struct sk_buff *skb, unsigned int off,
			     u8 proto, u32 l4, u32 tcp_bit, u32 udp_bit,
			     struct vmqsim_rss_input *in)
{
	__be16 ports[2], *p;

	if (!((proto == IPPROTO_TCP && (l4 & tcp_bit)) ||
	      (proto == IPPROTO_UDP && (l4 & udp_bit))))
		return;
	p = skb_header_pointer(skb, off, sizeof(ports), ports);
	if (!p)
		return;
	memcpy(in->buf + in->len, p, sizeof(ports));
	in->len += sizeof(ports);
	in->l4 = true;
}

static bool vmqsim_rss_ipv4(const struct sk_buff *skb, unsigned int off,
			    u32 l4, struct vmqsim_rss_input *in)
{
	struct iphdr _ip, *ip;

	ip = skb_header_pointer(skb, off, sizeof(_ip), &_ip);
	if (!ip || ip->ihl < 5)
		return false;
	memcpy(in->buf, &ip->saddr, sizeof(ip->saddr));
	memcpy(in->buf + sizeof(ip->saddr), &ip->daddr, sizeof(ip->daddr));
	in->len = 2 * sizeof(ip->saddr);
	/* A fragment's ports are not its own: addresses only. */
	if (!ip_is_fragment(ip))
		vmqsim_rss_ports(skb, off + ip->ihl * 4, ip->protocol, l4,
				 VMQ_RSS_L4_TCP4, VMQ_RSS_L4_UDP4, in);
	return true;
}

static bool vmqsim_rss_ipv6(const struct sk_buff *skb, unsigned int off,
			    u32 l4, struct vmqsim_rss_input *in)
{
	struct ipv6hdr _ip6, *ip6;

	ip6 = skb_header_pointer(skb, off, sizeof(_ip6), &_ip6);
	if (!ip6)
		return false;
	memcpy(in->buf, &ip6->saddr, sizeof(ip6->saddr));
	memcpy(in->buf + sizeof(ip6->saddr), &ip6->daddr, sizeof(ip6->daddr));
	in->len = 2 * sizeof(ip6->saddr);
	/* Extension headers are not walked: such frames hash addresses. */
	vmqsim_rss_ports(skb, off + sizeof(*ip6), ip6->nexthdr, l4,
			 VMQ_RSS_L4_TCP6, VMQ_RSS_L4_UDP6, in);
	return true;
}

/* The hash input of a frame as it is on the wire; false: not IP. */
static bool vmqsim_rss_parse(const struct sk_buff *skb, u32 l4,
			     struct vmqsim_rss_input *in)
{
	unsigned int off = ETH_HLEN;
	struct vlan_hdr _vh, *vh;
	__be16 _proto, *proto_p, proto;

	proto_p = skb_header_pointer(skb, 2 * ETH_ALEN, sizeof(_proto), &_proto);
	if (!proto_p)
		return false;
	proto = *proto_p;
	if (proto == htons(ETH_P_8021Q)) {
		vh = skb_header_pointer(skb, off, sizeof(_vh), &_vh);
		if (!vh)
			return false;
		proto = vh->h_vlan_encapsulated_proto;
		off += VLAN_HLEN;
	}
	in->l4 = false;
	if (proto == htons(ETH_P_IP))
		return vmqsim_rss_ipv4(skb, off, l4, in);
	if (proto == htons(ETH_P_IPV6))
		return vmqsim_rss_ipv6(skb, off, l4, in);
	return false;
}

/**
 * vmqsim_rss_pick() - the host channel a frame goes to, and its hash
 * @sdev: the device.
 * @ctx: the table: 0 for the host's pool, else the context a filter named.
 * @skb: the frame as it is on the wire, its data at the Ethernet header.
 * @meta: set to the hash and its type (PKT_HASH_TYPE_NONE: none).
 *
 * Context: RCU read side.
 * Return: the queue pair; the default one without that table.
 */
u32 vmqsim_rss_pick(struct vmqsim_dev *sdev, u32 ctx,
		    const struct sk_buff *skb, struct vmqsim_rx_meta *meta)
{
	const struct vmqsim_rss_hw *rss;
	struct vmqsim_rss_input in;

	meta->hash = 0;
	meta->hash_type = PKT_HASH_TYPE_NONE;
	rss = ctx <= VMQ_RSS_HW_CTX ? rcu_dereference(sdev->silicon.rss[ctx]) :
				      NULL;
	if (!rss)
		return VMQ_QP_DEFAULT;
	if (!vmqsim_rss_parse(skb, rss->cfg.l4, &in))
		return rss->cfg.indir[0];
	meta->hash = vmqsim_toeplitz(rss, in.buf, in.len);
	meta->hash_type = in.l4 ? PKT_HASH_TYPE_L4 : PKT_HASH_TYPE_L3;
	return rss->cfg.indir[meta->hash % VMQ_RSS_INDIR_SIZE];
}

/**
 * vmqsim_rss_vport() - the vport RSS context @ctx spreads over
 * @sdev: the device.
 * @ctx: the context.
 *
 * Context: the core's mutex held (vmq_qp_vport()).
 * Return: the vport's first queue pair, or %VMQ_QP_DROP without that
 * table.
 */
u32 vmqsim_rss_vport(struct vmqsim_dev *sdev, u32 ctx)
{
	const struct vmqsim_rss_hw *rss;

	if (ctx > VMQ_RSS_HW_CTX)
		return VMQ_QP_DROP;
	rss = rcu_dereference_protected(sdev->silicon.rss[ctx], true);
	if (!rss || rss->cfg.indir[0] >= sdev->num_qps)
		return VMQ_QP_DROP;
	return vmq_qp_vport(sdev->vdev, rss->cfg.indir[0]);
}

/**
 * vmqsim_rss_write() - program the RSS registers (vmq_hw_ops.rss_write)
 * @vdev: the vmq device.
 * @ctx: which table: 0, or a context 1..%VMQ_RSS_HW_CTX.
 * @rss: key, table and fields; the table names one vport's queue
 *	pairs.  NULL frees context @ctx.
 *
 * The classifier switches to the new settings in one step.
 *
 * Return: 0, -EINVAL for a context beyond the hardware's, or -ENOMEM.
 */
int vmqsim_rss_write(struct vmq_dev *vdev, u32 ctx, const struct vmq_rss *rss)
{
	struct vmqsim_dev *sdev = vmq_dev_priv(vdev);
	struct vmqsim_rss_hw *hw = NULL, *old;

	if (ctx > VMQ_RSS_HW_CTX)
		return -EINVAL;
	if (rss) {
		/* A guest's RSS_LOAD makes one: charged to its VMM. */
		hw = kmalloc(sizeof(*hw), GFP_KERNEL_ACCOUNT);
		if (!hw)
			return -ENOMEM;
		hw->cfg = *rss;
		vmqsim_rss_fill(hw);
	}
	/* The core's mutex serialises writers. */
	old = rcu_replace_pointer(sdev->silicon.rss[ctx], hw, true);
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

/**
 * vmqsim_rss_fini() - the RSS registers go with the device
 * @sdev: the device, no classifier pass running any more.
 *
 * The device may be created again in the same memory (driver rebind):
 * nothing of this one may be found then.
 */
void vmqsim_rss_fini(struct vmqsim_dev *sdev)
{
	u32 i;

	for (i = 0; i <= VMQ_RSS_HW_CTX; i++)
		kfree(rcu_replace_pointer(sdev->silicon.rss[i], NULL, true));
}
