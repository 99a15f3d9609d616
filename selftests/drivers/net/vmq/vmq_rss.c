// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_rss: the RSS hash of a vmq NIC against a reference Toeplitz.
 *
 *   vmq_rss vectors
 *	the reference Toeplitz (vmq_toeplitz.c) against the published
 *	vectors of Microsoft's "Verifying the RSS Hash Calculation" (IPv4,
 *	IPv6; with and without TCP ports): proves the reference itself.
 *   vmq_rss key
 *	prints that document's key as "ethtool -X ... hkey" takes it.
 *   vmq_rss expect v4|v6 l3|l4 IDX
 *	prints vector IDX's hash, as the reference computes it.
 *   vmq_rss send WIRE DST_MAC v4|v6 tcp|udp IDX COUNT
 *	sends COUNT frames of vector IDX's flow from WIRE to DST_MAC.
 *   vmq_rss feed WIRE DST_MAC v4|v6 tcp|udp RATE IDX...
 *	until killed, a frame of each vector IDX's flow in turn, RATE
 *	rounds a second: every flow busy at once, whatever a process
 *	start costs (a send that fails is skipped).
 *   vmq_rss flows WIRE DST_MAC COUNT
 *	sends one frame each of COUNT TCP/IPv4 flows (source port 1000 +
 *	i); prints each one's reference hash under the document's key.
 *   vmq_rss rxhash WIRE NIC v4|v6 tcp|udp
 *	sends one frame of each vector from WIRE and reads the hash the NIC
 *	reported with it (TPACKET_V3 tp_rxhash on NIC); checks it is the
 *	reference hash with ports (the NIC must hash that flow type's ports
 *	with the document's key).
 *
 * Exits 0 when every check passed, 1 otherwise, 4 run without arguments
 * (a helper, not a test).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "vmq_toeplitz.h"

#define KSFT_SKIP	4
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
/* Flows "vmq_rss feed" sends at once. */
#define VMQ_RSS_MAX_FEED	8

struct vector {
	const char *dst, *src;
	__u16 dport, sport;
	__u32 l3, l4;	/* published: addresses only, with TCP ports */
};

static const struct vector v4[] = {
	{ "161.142.100.80", "66.9.149.187", 1766, 2794, 0x323e8fc2, 0x51ccc178 },
	{ "65.69.140.83", "199.92.111.2", 4739, 14230, 0xd718262a, 0xc626b0ea },
	{ "12.22.207.184", "24.19.198.95", 38024, 12898, 0xd2d0a5de, 0x5c2b394a },
	{ "209.142.163.6", "38.27.205.30", 2217, 48228, 0x82989176, 0xafc7327f },
	{ "202.188.127.2", "153.39.163.191", 1303, 44251, 0x5d1809c5, 0x10e828a2 },
};

static const struct vector v6[] = {
	{ "3ffe:2501:200:3::1", "3ffe:2501:200:1fff::7", 1766, 2794,
	  0x2cc18cd5, 0x40207d3d },
	{ "ff02::1", "3ffe:501:8::260:97ff:fe40:efab", 4739, 14230,
	  0x0f0c461c, 0xdde51bbf },
	{ "fe80::200:f8ff:fe21:67cf", "3ffe:1900:4545:3:200:f8ff:fe21:67cf",
	  38024, 44251, 0x4b61e985, 0x02d1feef },
};

static int failures;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("%s: ", ok ? "PASS" : "FAIL");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	failures += !ok;
}

/* Source address, destination address, then the ports if @l4. */
static size_t tuple(const struct vector *v, bool six, bool l4, __u8 *out)
{
	int af = six ? AF_INET6 : AF_INET;
	size_t alen = six ? 16 : 4, n;
	__u16 p;

	if (inet_pton(af, v->src, out) != 1 ||
	    inet_pton(af, v->dst, out + alen) != 1) {
		fprintf(stderr, "bad vector address\n");
		exit(2);
	}
	n = 2 * alen;
	if (l4) {
		p = htons(v->sport);
		memcpy(out + n, &p, 2);
		p = htons(v->dport);
		memcpy(out + n + 2, &p, 2);
		n += 4;
	}
	return n;
}

static __u32 ref_hash(const struct vector *v, bool six, bool l4)
{
	__u8 in[36];

	return toeplitz(ms_key, in, tuple(v, six, l4, in));
}

static int cmd_vectors(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v4); i++) {
		check(ref_hash(&v4[i], false, false) == v4[i].l3,
		      "IPv4 vector %zu, addresses: %#x", i, v4[i].l3);
		check(ref_hash(&v4[i], false, true) == v4[i].l4,
		      "IPv4 vector %zu, with ports: %#x", i, v4[i].l4);
	}
	for (i = 0; i < ARRAY_SIZE(v6); i++) {
		check(ref_hash(&v6[i], true, false) == v6[i].l3,
		      "IPv6 vector %zu, addresses: %#x", i, v6[i].l3);
		check(ref_hash(&v6[i], true, true) == v6[i].l4,
		      "IPv6 vector %zu, with ports: %#x", i, v6[i].l4);
	}
	return failures ? 1 : 0;
}

/* --- frames --------------------------------------------------------------- */

struct wire {
	int fd, ifindex;
	__u8 mac[ETH_ALEN];
};

static int parse_mac(const char *s, __u8 *mac)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
		      &mac[2], &mac[3], &mac[4], &mac[5]) == 6 ? 0 : -1;
}

static void wire_open(struct wire *w, const char *ifname)
{
	struct ifreq ifr = { 0 };

	w->fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (w->fd < 0) {
		perror("socket");
		exit(2);
	}
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(w->fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror("SIOCGIFHWADDR");
		exit(2);
	}
	memcpy(w->mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	w->ifindex = if_nametoindex(ifname);
}

/* A TCP or UDP frame of a flow; its length. */
static size_t frame_build(__u8 *f, const __u8 *dst, const __u8 *src,
			  const __u8 *tup, bool six, bool udp)
{
	size_t alen = six ? 16 : 4, ip = six ? 40 : 20, l4 = udp ? 8 : 20;
	__u16 type = htons(six ? ETH_P_IPV6 : ETH_P_IP);
	__u16 len;
	__u8 *p = f + ETH_HLEN;

	memset(f, 0, ETH_HLEN + ip + l4);
	memcpy(f, dst, ETH_ALEN);
	memcpy(f + ETH_ALEN, src, ETH_ALEN);
	memcpy(f + 2 * ETH_ALEN, &type, 2);
	if (six) {
		p[0] = 0x60;
		len = htons(l4);
		memcpy(p + 4, &len, 2);
		p[6] = udp ? IPPROTO_UDP : IPPROTO_TCP;
		p[7] = 64;
		memcpy(p + 8, tup, 2 * alen);
	} else {
		p[0] = 0x45;
		len = htons(ip + l4);
		memcpy(p + 2, &len, 2);
		p[8] = 64;
		p[9] = udp ? IPPROTO_UDP : IPPROTO_TCP;
		memcpy(p + 12, tup, 2 * alen);
	}
	/* Source and destination port lead both TCP and UDP headers. */
	memcpy(p + ip, tup + 2 * alen, 4);
	if (udp) {
		len = htons(l4);
		memcpy(p + ip + 4, &len, 2);
	} else {
		p[ip + 12] = 5 << 4;
	}
	return ETH_HLEN + ip + l4;
}

static bool frame_try_send(struct wire *w, const __u8 *f, size_t len)
{
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET,
		.sll_ifindex = w->ifindex,
		.sll_halen = ETH_ALEN,
	};

	memcpy(to.sll_addr, f, ETH_ALEN);
	return sendto(w->fd, f, len, 0, (struct sockaddr *)&to, sizeof(to)) ==
	       (ssize_t)len;
}

static void frame_send(struct wire *w, const __u8 *f, size_t len)
{
	if (!frame_try_send(w, f, len)) {
		perror("sendto");
		exit(2);
	}
}

static const struct vector *pick(const char *fam, const char *idx, bool *six)
{
	int i = atoi(idx);

	*six = !strcmp(fam, "v6");
	if (*six ? i < 0 || i >= (int)ARRAY_SIZE(v6) :
		   i < 0 || i >= (int)ARRAY_SIZE(v4)) {
		fprintf(stderr, "no vector %d\n", i);
		exit(2);
	}
	return *six ? &v6[i] : &v4[i];
}

static int cmd_send(char **argv)
{
	__u8 dst[ETH_ALEN], tup[36], f[128];
	const struct vector *v;
	struct wire w;
	bool six;
	int n;

	wire_open(&w, argv[0]);
	if (parse_mac(argv[1], dst))
		return 2;
	v = pick(argv[2], argv[4], &six);
	tuple(v, six, true, tup);
	for (n = atoi(argv[5]); n > 0; n--)
		frame_send(&w, f, frame_build(f, dst, w.mac, tup, six,
					      !strcmp(argv[3], "udp")));
	return 0;
}

static int cmd_feed(int argc, char **argv)
{
	__u8 dst[ETH_ALEN], tup[VMQ_RSS_MAX_FEED][36], f[128];
	bool six[VMQ_RSS_MAX_FEED], udp = !strcmp(argv[3], "udp");
	long rate = atol(argv[4]);
	struct timespec gap;
	struct wire w;
	int i, n = argc - 5;

	if (n < 1 || n > VMQ_RSS_MAX_FEED || rate < 1 || rate > 100000 ||
	    parse_mac(argv[1], dst))
		return 2;
	wire_open(&w, argv[0]);
	for (i = 0; i < n; i++) {
		const struct vector *v = pick(argv[2], argv[5 + i], &six[i]);

		tuple(v, six[i], true, tup[i]);
	}
	gap.tv_sec = 0;
	gap.tv_nsec = 1000000000L / rate;
	for (;;) {
		for (i = 0; i < n; i++)
			frame_try_send(&w, f, frame_build(f, dst, w.mac, tup[i],
							  six[i], udp));
		nanosleep(&gap, NULL);
	}
}

static int cmd_flows(char **argv)
{
	struct vector v = v4[0];
	__u8 dst[ETH_ALEN], tup[36], f[128];
	struct wire w;
	int i, n = atoi(argv[2]);

	wire_open(&w, argv[0]);
	if (parse_mac(argv[1], dst))
		return 2;
	for (i = 0; i < n; i++) {
		v.sport = 1000 + i;
		tuple(&v, false, true, tup);
		frame_send(&w, f, frame_build(f, dst, w.mac, tup, false, false));
		printf("%u\n", ref_hash(&v, false, true));
	}
	return 0;
}

/* --- the NIC's hash, as a packet socket sees it ---------------------------- */

#define RING_BLOCK	65536
#define RING_BLOCKS	4

struct rx_ring {
	int fd;
	__u8 *map;
	unsigned int block;
};

static void rx_ring_open(struct rx_ring *r, const char *ifname)
{
	struct tpacket_req3 req = {
		.tp_block_size = RING_BLOCK,
		.tp_block_nr = RING_BLOCKS,
		.tp_frame_size = 2048,
		.tp_frame_nr = RING_BLOCK / 2048 * RING_BLOCKS,
		.tp_retire_blk_tov = 10,
		.tp_feature_req_word = TP_FT_REQ_FILL_RXHASH,
	};
	struct sockaddr_ll addr = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = if_nametoindex(ifname),
	};
	int ver = TPACKET_V3;

	r->fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (r->fd < 0 ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)) ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) ||
	    bind(r->fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("packet ring");
		exit(2);
	}
	r->map = mmap(NULL, RING_BLOCK * RING_BLOCKS, PROT_READ | PROT_WRITE,
		      MAP_SHARED, r->fd, 0);
	if (r->map == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	r->block = 0;
}

/*
 * The hash reported with the first frame of @six/@udp carrying the ports
 * in @tup, within @ms; false if none came.
 */
static bool rx_ring_hash(struct rx_ring *r, const __u8 *tup, bool six,
			 int ms, __u32 *hash)
{
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	size_t ip = six ? 40 : 20, alen = six ? 16 : 4;
	struct tpacket_block_desc *bd;
	struct tpacket3_hdr *h;
	bool found = false;
	unsigned int i;
	__u8 *f;

	while (!found) {
		bd = (void *)(r->map + r->block * RING_BLOCK);
		if (!(bd->hdr.bh1.block_status & TP_STATUS_USER)) {
			if (poll(&pfd, 1, ms) <= 0)
				return false;
			continue;
		}
		h = (void *)((__u8 *)bd + bd->hdr.bh1.offset_to_first_pkt);
		for (i = 0; i < bd->hdr.bh1.num_pkts; i++) {
			f = (__u8 *)h + h->tp_mac;
			if (!found && h->tp_snaplen >= ETH_HLEN + ip + 4 &&
			    !memcmp(f + ETH_HLEN + ip, tup + 2 * alen, 4)) {
				*hash = h->hv1.tp_rxhash;
				found = true;
			}
			h = (void *)((__u8 *)h + h->tp_next_offset);
		}
		bd->hdr.bh1.block_status = TP_STATUS_KERNEL;
		r->block = (r->block + 1) % RING_BLOCKS;
	}
	return true;
}

static int cmd_rxhash(char **argv)
{
	bool six = !strcmp(argv[2], "v6"), udp = !strcmp(argv[3], "udp");
	size_t i, n = six ? ARRAY_SIZE(v6) : ARRAY_SIZE(v4);
	__u8 dst[ETH_ALEN], tup[36], f[128];
	const struct vector *v;
	struct ifreq ifr = { 0 };
	struct rx_ring r;
	struct wire w;
	__u32 got;

	wire_open(&w, argv[0]);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", argv[1]);
	if (ioctl(w.fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror("SIOCGIFHWADDR");
		return 2;
	}
	memcpy(dst, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	rx_ring_open(&r, argv[1]);
	for (i = 0; i < n; i++) {
		v = six ? &v6[i] : &v4[i];
		tuple(v, six, true, tup);
		frame_send(&w, f, frame_build(f, dst, w.mac, tup, six, udp));
		if (!rx_ring_hash(&r, tup, six, 2000, &got)) {
			check(false, "%s %s vector %zu: no frame on %s",
			      argv[2], argv[3], i, argv[1]);
			continue;
		}
		check(got == v->l4, "%s %s vector %zu: NIC hash %#x, reference %#x",
		      argv[2], argv[3], i, got, v->l4);
	}
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		printf("vmq_rss: a helper of rss.sh, not a test\n");
		return KSFT_SKIP;
	}
	if (!strcmp(argv[1], "vectors"))
		return cmd_vectors();
	if (!strcmp(argv[1], "key")) {
		for (size_t i = 0; i < sizeof(ms_key); i++)
			printf("%02x%s", ms_key[i],
			       i + 1 < sizeof(ms_key) ? ":" : "\n");
		return 0;
	}
	if (!strcmp(argv[1], "expect") && argc == 5) {
		bool six;
		const struct vector *v = pick(argv[2], argv[4], &six);

		printf("%u\n", ref_hash(v, six, !strcmp(argv[3], "l4")));
		return 0;
	}
	if (!strcmp(argv[1], "send") && argc == 8)
		return cmd_send(argv + 2);
	if (!strcmp(argv[1], "feed") && argc >= 8)
		return cmd_feed(argc - 2, argv + 2);
	if (!strcmp(argv[1], "flows") && argc == 5)
		return cmd_flows(argv + 2);
	if (!strcmp(argv[1], "rxhash") && argc == 6)
		return cmd_rxhash(argv + 2);
	fprintf(stderr, "usage: see the top of vmq_rss.c\n");
	return 2;
}
