// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vhost: a test VMM and virtio-net driver for a vmq_vdpa device bound
 * to vhost_vdpa (Documentation/networking/vmq.rst, "A queue pair as a
 * vDPA virtio-net device").
 *
 * It opens /dev/vhost-vdpa-N with the standard uapi only, maps anonymous
 * memory of its own at chosen IOVAs through the device's IOTLB
 * (struct vhost_msg_v2 written to the fd), lays out split virtqueues
 * there (0 receives, 1 transmits) and plays the guest's virtio_net: it
 * receives frames it sends itself from the link partner (AF_PACKET on the
 * wire netdev) and checks every byte and the virtio_net_hdr_v1 in front
 * of them, transmits and checks what the partner receives, and misbehaves
 * in every way the device must survive: each such case must set
 * VIRTIO_CONFIG_S_NEEDS_RESET with the config interrupt, and a reset
 * (status 0, then setting up again) must bring the device back.
 *
 *   vmq_vhost [-w WIRE] [-N NIC] [-m MAC] [-M MTU] [-s SYSFS_VMQ_DIR]
 *             [-n COUNT] [-t SECS] [-c COUNTERS] [-r PAGE_REFS] DEV CASE...
 *
 * CASE: info rx rx-burst rx-refill bcast filter tx spoof chain rx-small
 * no-irq kick-idle kick-start suspend suspend-busy hold ready toggle
 * toggle-unmap unmap-batch avail-end map-cost, and
 * the misbehaving driver's bad-addr bad-addr-rx loop bad-next tx-short
 * tx-long rx-ro tx-wo rx-perm tx-perm indirect ring-unmapped ring-gone
 * avail-past host-pa, and no-config-call (one of them without the config interrupt);
 * call-shared (the transmit virtqueue given the receive one's call
 * eventfd and then its own, while the device runs);
 * mtu-promise, which changes the MTU of NIC (default vmq0) and WIRE.
 * MAC and MTU are what the config space must say; SYSFS_VMQ_DIR is the
 * device's /sys/bus/vdpa/devices/NAME/vmq, whose "state" is then checked
 * too.  COUNTERS is the NIC's "name: value" counters file (vmqsim's
 * debugfs "counters"), which kick-idle reads; PAGE_REFS the device's
 * debugfs vmq_vdpa/NAME/page_refs, which map-cost reads.  Prints one line per
 * check; exits 0 if all passed, 1 otherwise, 4 if there is no vhost-vdpa
 * device to open.
 */

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/types.h>
#include <linux/vhost.h>
#include <linux/vhost_types.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "vmq_vhost_lib.h"

/* Guest memory, at IOVAs of our choosing. */
#define NUM		64		/* entries per virtqueue */
#define RING_IOVA	0x100000ULL	/* virtqueue q at q * VQ_STRIDE */
#define RING_SIZE	0x10000ULL
#define BUF_IOVA	0x400000ULL	/* receive, then transmit buffers */
#define BUF_SIZE	0x100000ULL
#define TX_BUFS		0x80000
#define RO_IOVA		0x800000ULL	/* the device may only read it */
#define WO_IOVA		0x900000ULL	/* the device may only write it */
#define PERM_SIZE	0x10000ULL
#define HELD_IOVA	0x10000000ULL	/* what unmap-batch maps */
#define COST_IOVA	0x20000000ULL	/* what map-cost maps and unmaps */
#define UNMAPPED_IOVA	0x40000000ULL
#define BUF_LEN		2048
#define HDR_LEN		((__u32)sizeof(struct virtio_net_hdr_v1))

#define VQ_RX		0
#define VQ_TX		1

#define WANT_FEATURES	(BIT_ULL(VIRTIO_F_VERSION_1) | \
			 BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) | \
			 BIT_ULL(VIRTIO_NET_F_MAC) | \
			 BIT_ULL(VIRTIO_NET_F_STATUS) | \
			 BIT_ULL(VIRTIO_NET_F_MTU))

struct vh {
	struct vhost h;
	__u8 *ring_mem, *buf_mem, *ro_mem, *wo_mem;
	struct vq vq[2];
	int config_call;
	bool no_config_call;	/* never VHOST_VDPA_SET_CONFIG_CALL */
	__u8 mac[ETH_ALEN], want_mac[ETH_ALEN], wire_mac[ETH_ALEN];
	bool have_want_mac;
	int want_mtu;
	__u16 mtu;
	const char *sysfs;
	const char *counters;	/* the NIC's counters file, or NULL */
	const char *page_refs;	/* the device's page_refs file, or NULL */
	const char *nic, *wire;	/* netdev names, for the MTU case */
	int wire_sock;
	bool rx_chain;		/* receive buffers as header + data chains */
	__u32 rx_len;		/* each receive buffer's length */
	__u32 seq;
	int count, timeout;
};

static int stop;

static int parse_mac(const char *s, __u8 *mac)
{
	char tail;

	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx%c", &mac[0], &mac[1],
		      &mac[2], &mac[3], &mac[4], &mac[5], &tail) == 6 ? 0 : -1;
}

static const char *mac_str(const __u8 *m)
{
	static char buf[2][18];
	static int n;

	n ^= 1;
	snprintf(buf[n], sizeof(buf[n]), "%02x:%02x:%02x:%02x:%02x:%02x",
		 m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf[n];
}

/* --- the vhost-vdpa device ------------------------------------------------ */

#define NR_MAPS		4

/* Where our memory is in the device's IOTLB. */
static void our_maps(struct vh *v, struct vhost_map maps[NR_MAPS])
{
	const struct vhost_map m[NR_MAPS] = {
		{ RING_IOVA, RING_SIZE, v->ring_mem, VHOST_ACCESS_RW },
		{ BUF_IOVA, BUF_SIZE, v->buf_mem, VHOST_ACCESS_RW },
		{ RO_IOVA, PERM_SIZE, v->ro_mem, VHOST_ACCESS_RO },
		{ WO_IOVA, PERM_SIZE, v->wo_mem, VHOST_ACCESS_WO },
	};

	memcpy(maps, m, sizeof(m));
}

/* Our memory into the device's IOTLB, again after a reset. */
static void map_all(struct vh *v)
{
	struct vhost_map maps[NR_MAPS];

	our_maps(v, maps);
	vhost_map(&v->h, maps, NR_MAPS);
}

/* The physical address of our byte at @p (root reads it in pagemap). */
static __u64 phys_of(const void *p)
{
	long psz = sysconf(_SC_PAGESIZE);
	__u64 ent = 0, pfn;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0 || pread(fd, &ent, sizeof(ent),
			    (uintptr_t)p / psz * sizeof(ent)) != sizeof(ent))
		die("/proc/self/pagemap");
	close(fd);
	pfn = ent & ((1ULL << 55) - 1);
	if (!(ent & (1ULL << 63)) || !pfn) {
		fprintf(stderr, "no frame number for %p in pagemap\n", p);
		exit(1);
	}
	return pfn * psz + (uintptr_t)p % psz;
}

static void vh_open(struct vh *v)
{
	vhost_open(&v->h);
	v->ring_mem = anon(RING_SIZE);
	v->buf_mem = anon(BUF_SIZE);
	v->ro_mem = anon(PERM_SIZE);
	v->wo_mem = anon(PERM_SIZE);
	vq_init(&v->vq[VQ_RX]);
	vq_init(&v->vq[VQ_TX]);
	v->config_call = eventfd(0, EFD_NONBLOCK);
	if (v->config_call < 0)
		die("eventfd");
}

static __u64 vq_iova(int q)
{
	return RING_IOVA + q * VQ_STRIDE;
}

static void vring_setup(struct vh *v, int q)
{
	vq_setup(&v->h, &v->vq[q], q, NUM, v->ring_mem + q * VQ_STRIDE,
		 vq_iova(q));
}

static __u64 rx_buf_iova(__u32 i)
{
	return BUF_IOVA + (__u64)i * BUF_LEN;
}

static __u8 *rx_buf(struct vh *v, __u32 i)
{
	return v->buf_mem + (size_t)i * BUF_LEN;
}

static __u64 tx_buf_iova(__u32 i)
{
	return BUF_IOVA + TX_BUFS + (__u64)i * BUF_LEN;
}

static __u8 *tx_buf(struct vh *v, __u32 i)
{
	return v->buf_mem + TX_BUFS + (size_t)i * BUF_LEN;
}

/*
 * Post receive buffer @i: one descriptor of v->rx_len bytes, or with
 * v->rx_chain the header in descriptor @i and the frame in @i + 1.
 */
static void rx_post(struct vh *v, __u32 i)
{
	struct vring_desc *d = v->vq[VQ_RX].desc;

	memset(rx_buf(v, i), 0xee, BUF_LEN);
	if (v->rx_chain) {
		memset(rx_buf(v, i + 1), 0xee, BUF_LEN);
		vq_desc_set(&d[i], rx_buf_iova(i), HDR_LEN,
			    VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, i + 1);
		vq_desc_set(&d[i + 1], rx_buf_iova(i + 1), BUF_LEN,
			    VRING_DESC_F_WRITE, 0);
	} else {
		vq_desc_set(&d[i], rx_buf_iova(i), v->rx_len,
			    VRING_DESC_F_WRITE, 0);
	}
	vq_avail_put(&v->vq[VQ_RX], i);
}

/*
 * Up to FEATURES_OK, the IOTLB, both virtqueues with every receive buffer
 * posted and enabled: all but DRIVER_OK, so that a case can spoil
 * something first.
 */
static void dev_prepare(struct vh *v)
{
	__u32 i;

	vhost_features_ok(&v->h, WANT_FEATURES);
	map_all(v);
	vring_setup(v, VQ_RX);
	vring_setup(v, VQ_TX);
	if (!v->no_config_call)
		vhost_xioctl(&v->h, VHOST_VDPA_SET_CONFIG_CALL,
			     &v->config_call, "VHOST_VDPA_SET_CONFIG_CALL");
	efd_drain(v->config_call);
	for (i = 0; i < NUM; i += v->rx_chain ? 2 : 1)
		rx_post(v, i);
	vq_enable(&v->h, VQ_RX);
	vq_enable(&v->h, VQ_TX);
}

static void dev_go(struct vh *v)
{
	vhost_status_set(&v->h, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			 VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
			 VIRTIO_CONFIG_S_DRIVER_OK);
	vq_kick(&v->vq[VQ_RX]);
}

static void dev_setup(struct vh *v)
{
	dev_prepare(v);
	dev_go(v);
}

/* The device's vmq/state in sysfs, or "" without -s. */
static const char *sysfs_state(struct vh *v)
{
	static char buf[32];
	char path[512];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if (!v->sysfs)
		return buf;
	snprintf(path, sizeof(path), "%s/state", v->sysfs);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return "unreadable";
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static void check_state(struct vh *v, const char *want, const char *what)
{
	const char *got;
	int i;

	if (!v->sysfs)
		return;
	/* The device's work may trail what the driver sees by a moment. */
	for (i = 0; i < 50; i++) {
		got = sysfs_state(v);
		if (!strcmp(got, want))
			break;
		usleep(20000);
	}
	check(!strcmp(got, want), "%s: vmq/state %s, want %s", what, got, want);
}

/* --- the wire (link partner), through vmq_test_lib.c ---------------------- */

static void wire_open(struct vh *v, const char *ifname)
{
	int ifindex;

	v->wire_sock = wire_socket(ifname, &ifindex, v->wire_mac);
}

static __u32 make_frame(struct vh *v, __u8 *buf, const __u8 *dst,
			const __u8 *src, __u32 len)
{
	return test_frame(++v->seq, buf, dst, src, len);
}

/* Always untagged: no vhost-vdpa case sends a tagged frame. */
static void wire_send(struct vh *v, const __u8 *frame, __u32 len)
{
	wire_sock_send(v->wire_sock, frame, len, 0);
}

static int wire_recv(struct vh *v, __u8 *buf, __u16 *vlan, int ms)
{
	return wire_sock_recv(v->wire_sock, buf, vlan, ms);
}

static void wire_drain(struct vh *v)
{
	wire_sock_drain(v->wire_sock);
}

/* --- the driver's data path ----------------------------------------------- */

/*
 * Wait until the device used an entry of @q; count the call eventfd's
 * firings meanwhile.  False after @ms without.
 */
static bool used_wait(struct vh *v, int q, int ms)
{
	struct vq *vq = &v->vq[q];
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (le16toh(__atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE)) !=
		    vq->last_used)
			return true;
		if (ms_since(&t0) >= ms)
			return false;
		if (efd_wait(vq->call, 10))
			vq->calls++;
	}
}

/* Take the next used entry of @q: its head in @id, length in @len. */
static bool used_next(struct vh *v, int q, __u32 *id, __u32 *len, int ms)
{
	struct vq *vq = &v->vq[q];
	struct vring_used_elem *e;

	if (!used_wait(v, q, ms))
		return false;
	e = &vq->used->ring[vq->last_used % NUM];
	*id = le32toh(e->id);
	*len = le32toh(e->len);
	vq->last_used++;
	/* The call that announced it, if it has not been counted yet. */
	if (efd_wait(vq->call, 0))
		vq->calls++;
	return true;
}

/*
 * The next received frame, the virtio_net_hdr_v1 in front of it in
 * @hdr, its buffer made available again, with a kick if @kick; NULL
 * after @ms.  @len: the used length, header included.
 */
static __u8 *rx_take(struct vh *v, struct virtio_net_hdr_v1 *hdr, __u32 *len,
		     __u32 *id, int ms, bool kick)
{
	static __u8 frame[BUF_LEN * 2];
	__u32 n;

	if (!used_next(v, VQ_RX, id, len, ms))
		return NULL;
	if (*id >= NUM) {
		check(false, "rx: used id %u out of range", *id);
		return NULL;
	}
	n = *len;
	if (v->rx_chain) {
		memcpy(hdr, rx_buf(v, *id), HDR_LEN);
		if (n > HDR_LEN)
			memcpy(frame, rx_buf(v, *id + 1),
			       n - HDR_LEN < BUF_LEN ? n - HDR_LEN : BUF_LEN);
	} else {
		memcpy(hdr, rx_buf(v, *id), HDR_LEN);
		if (n > HDR_LEN)
			memcpy(frame, rx_buf(v, *id) + HDR_LEN,
			       n < BUF_LEN ? n - HDR_LEN : BUF_LEN - HDR_LEN);
	}
	rx_post(v, *id);
	if (kick)
		vq_kick(&v->vq[VQ_RX]);
	return frame;
}

/* rx_take(), kicking: the buffer posted again as a driver does. */
static __u8 *rx_next(struct vh *v, struct virtio_net_hdr_v1 *hdr, __u32 *len,
		     __u32 *id, int ms)
{
	return rx_take(v, hdr, len, id, ms, true);
}

/* The next received test frame; other traffic (broadcasts) skipped. */
static __u8 *rx_next_test(struct vh *v, struct virtio_net_hdr_v1 *hdr,
			  __u32 *len, int ms)
{
	__u32 id;
	__u8 *f;

	while ((f = rx_next(v, hdr, len, &id, ms)))
		if (*len >= HDR_LEN + 18 && f[12] == TEST_ETHERTYPE >> 8 &&
		    f[13] == (TEST_ETHERTYPE & 0xff))
			return f;
	return NULL;
}

static bool hdr_ok(const struct virtio_net_hdr_v1 *h)
{
	return !h->flags && !h->gso_type && !h->hdr_len && !h->gso_size &&
	       !h->csum_start && !h->csum_offset && le16toh(h->num_buffers) == 1;
}

static __u32 test_len(__u32 k)
{
	static const __u32 lens[] = { 60, 64, 127, 500, 1000, 1514 };

	return lens[k % ARRAY_SIZE(lens)];
}

/* Send @n frames to @dst from the wire; receive and compare each. */
static int rx_frames(struct vh *v, const __u8 *dst, int n, bool quiet)
{
	struct virtio_net_hdr_v1 hdr;
	__u8 sent[ETH_FRAME_LEN];
	__u32 len, got_len, seq;
	int k, ok = 0;
	__u8 *got;

	for (k = 0; k < n; k++) {
		len = test_len(k);
		seq = make_frame(v, sent, dst, v->wire_mac, len);
		wire_send(v, sent, len);
		got = rx_next_test(v, &hdr, &got_len, v->timeout);
		if (!got) {
			check(false, "rx frame %u (%u bytes): nothing arrived",
			      seq, len);
			return ok;
		}
		if (got_len != HDR_LEN + len || memcmp(got, sent, len)) {
			check(false, "rx frame %u: used length %u, want %u + %u, or bytes differ",
			      seq, got_len, HDR_LEN, len);
			return ok;
		}
		if (!hdr_ok(&hdr)) {
			check(false, "rx frame %u: header %u %u %u %u %u %u num_buffers %u: %s",
			      seq, hdr.flags, hdr.gso_type, le16toh(hdr.hdr_len),
			      le16toh(hdr.gso_size), le16toh(hdr.csum_start),
			      le16toh(hdr.csum_offset),
			      le16toh(hdr.num_buffers),
			      "want all 0 but num_buffers 1");
			return ok;
		}
		ok++;
	}
	if (!quiet)
		check(ok == n, "rx: %d frames (60..1514 bytes) to %s %s %u-byte header",
		      ok, mac_str(dst), "arrived byte for byte behind a",
		      HDR_LEN);
	return ok;
}

/*
 * Queue a frame of @len bytes at transmit slot @k, behind a zeroed
 * header: one descriptor, or with @chain the header and the frame in two.
 * Kicks; returns the head.
 */
static __u16 tx_post(struct vh *v, __u32 k, __u32 len, bool chain)
{
	struct vring_desc *d = v->vq[VQ_TX].desc;
	__u16 head = (2 * k) % NUM;

	if (chain) {
		vq_desc_set(&d[head], tx_buf_iova(head), HDR_LEN,
			    VRING_DESC_F_NEXT, head + 1);
		vq_desc_set(&d[head + 1], tx_buf_iova(head) + HDR_LEN, len,
			    0, 0);
	} else {
		vq_desc_set(&d[head], tx_buf_iova(head), HDR_LEN + len, 0, 0);
	}
	vq_avail_put(&v->vq[VQ_TX], head);
	vq_kick(&v->vq[VQ_TX]);
	return head;
}

/* The frame buffer of transmit slot @k (its header before it). */
static __u8 *tx_frame(struct vh *v, __u32 k)
{
	__u8 *b = tx_buf(v, (2 * k) % NUM);

	memset(b, 0, HDR_LEN);
	return b + HDR_LEN;
}

/*
 * Transmit @n frames from @src, alternately in one and two descriptors;
 * with @expect each must reach the partner intact, else none may.
 */
static int tx_frames(struct vh *v, const __u8 *src, int n, bool expect)
{
	__u8 got[ETH_FRAME_LEN + 8];
	__u32 len, id, ulen;
	__u16 head, vlan;
	int k, ok = 0;
	ssize_t glen;
	__u8 *f;

	wire_drain(v);
	for (k = 0; k < n; k++) {
		len = test_len(k);
		f = tx_frame(v, k);
		make_frame(v, f, v->wire_mac, src, len);
		head = tx_post(v, k, len, k & 1);
		if (!used_next(v, VQ_TX, &id, &ulen, v->timeout)) {
			check(false, "tx frame %d: never used", k);
			return ok;
		}
		if (id != head) {
			check(false, "tx frame %d: used id %u, want %u", k, id,
			      head);
			return ok;
		}
		if (!expect) {
			ok++;
			continue;
		}
		glen = wire_recv(v, got, &vlan, v->timeout);
		if (glen != (ssize_t)len || memcmp(got, f, len) || vlan) {
			check(false, "tx frame %d: partner got %zd bytes vlan %u, want %u untagged",
			      k, glen, vlan, len);
			return ok;
		}
		ok++;
	}
	if (!expect && wire_recv(v, got, &vlan, 300) >= 0)
		return -1;
	return ok;
}

/* --- the cases ------------------------------------------------------------- */

static void case_info(struct vh *v)
{
	struct {
		struct vhost_vdpa_config c;
		struct virtio_net_config net;
	} cfg;
	__u64 features, bad;
	__u32 nvqs = 0;
	__u16 num = 0;
	int err;
	__u8 s;

	vhost_xioctl(&v->h, VHOST_GET_FEATURES, &features,
		     "VHOST_GET_FEATURES");
	check((features & WANT_FEATURES) == WANT_FEATURES,
	      "features %#llx offer VERSION_1 ACCESS_PLATFORM MAC STATUS MTU",
	      (unsigned long long)features);
	bad = features & (BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |
			  BIT_ULL(VIRTIO_RING_F_EVENT_IDX));
	check(!bad, "no indirect descriptors, no event index (%#llx)",
	      (unsigned long long)bad);
	err = vhost_ioctl(&v->h, VHOST_VDPA_GET_VQS_COUNT, &nvqs);
	check(!err && nvqs == 2, "two virtqueues (%u, %d)", nvqs, err);
	err = vhost_ioctl(&v->h, VHOST_VDPA_GET_VRING_NUM, &num);
	check(!err && num == 256, "virtqueues of up to 256 entries (%u, %d)",
	      num, err);

	dev_setup(v);
	s = vhost_status_get(&v->h);
	check((s & VIRTIO_CONFIG_S_DRIVER_OK) &&
	      !(s & VIRTIO_CONFIG_S_NEEDS_RESET),
	      "status %#x after DRIVER_OK", s);
	check_state(v, "running", "after DRIVER_OK");

	memset(&cfg, 0, sizeof(cfg));
	cfg.c.off = 0;
	cfg.c.len = offsetof(struct virtio_net_config, mtu) + 2;
	vhost_xioctl(&v->h, VHOST_VDPA_GET_CONFIG, &cfg,
		     "VHOST_VDPA_GET_CONFIG");
	memcpy(v->mac, cfg.net.mac, ETH_ALEN);
	v->mtu = le16toh(cfg.net.mtu);
	if (v->have_want_mac)
		check(!memcmp(v->mac, v->want_mac, ETH_ALEN),
		      "config mac %s, want %s", mac_str(v->mac),
		      mac_str(v->want_mac));
	check(le16toh(cfg.net.status) & VIRTIO_NET_S_LINK_UP,
	      "config status %#x: link up", le16toh(cfg.net.status));
	if (v->want_mtu)
		check(v->mtu == v->want_mtu, "config mtu %u, want %d", v->mtu,
		      v->want_mtu);
}

static void case_rx(struct vh *v)
{
	dev_setup(v);
	rx_frames(v, v->mac, v->count, false);
	check(v->vq[VQ_RX].calls > 0, "rx: call eventfd fired %ld times",
	      v->vq[VQ_RX].calls);
}

/*
 * Frames sent back to back, for the NIC to take several at a time: two
 * bursts of BURST, so that the second one's used elements run past the
 * ring's end (NUM entries) and wrap.
 */
#define BURST		48
#define BURSTS		2

static void case_rx_burst(struct vh *v)
{
	static __u8 sent[BURST][ETH_FRAME_LEN];
	struct virtio_net_hdr_v1 hdr;
	__u32 len[BURST], got_len;
	int b, k, ok = 0;
	__u8 *got;

	dev_setup(v);
	for (b = 0; b < BURSTS && ok == b * BURST; b++) {
		for (k = 0; k < BURST; k++) {
			len[k] = test_len(k + b);
			make_frame(v, sent[k], v->mac, v->wire_mac, len[k]);
			wire_send(v, sent[k], len[k]);
		}
		for (k = 0; k < BURST; k++) {
			got = rx_next_test(v, &hdr, &got_len, v->timeout);
			if (!got || got_len != HDR_LEN + len[k] ||
			    memcmp(got, sent[k], len[k]) || !hdr_ok(&hdr))
				break;
			ok++;
		}
	}
	check(ok == BURSTS * BURST,
	      "rx-burst: %d of %d frames sent back to back in %d bursts arrived in order, byte for byte, behind a %u-byte header",
	      ok, BURSTS * BURST, BURSTS, HDR_LEN);
}

/* Frames sent while every receive buffer is in use. */
#define REFILL_WAIT	8

/*
 * Frames that find no buffer wait in the NIC; buffers made available
 * again without a kick are found by the next frame, which arrives
 * behind the waiting ones: every frame in order, byte for byte.
 */
static void case_rx_refill(struct vh *v)
{
	static __u8 sent[NUM + REFILL_WAIT + 1][ETH_FRAME_LEN];
	const int total = NUM + REFILL_WAIT + 1;
	struct virtio_net_hdr_v1 hdr;
	__u32 len[NUM + REFILL_WAIT + 1], seq[NUM + REFILL_WAIT + 1];
	__u32 got_len = 0, got_seq = 0, id;
	struct vq *rx = &v->vq[VQ_RX];
	struct timespec t0;
	__u8 *got = NULL;
	int k;

	dev_setup(v);
	for (k = 0; k < total; k++) {
		len[k] = test_len(k);
		seq[k] = make_frame(v, sent[k], v->mac, v->wire_mac, len[k]);
	}
	for (k = 0; k < NUM + REFILL_WAIT; k++)
		wire_send(v, sent[k], len[k]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((__u16)(le16toh(__atomic_load_n(&rx->used->idx,
					       __ATOMIC_ACQUIRE)) -
		       rx->last_used) < NUM && ms_since(&t0) < v->timeout)
		usleep(1000);
	/* The device's passes over the frames with no buffer are over. */
	usleep(200 * 1000);
	for (k = 0; k < total; k++) {
		if (k == NUM)
			wire_send(v, sent[total - 1], len[total - 1]);
		/* The first NUM buffers come back without a kick. */
		if (k < NUM)
			got = rx_take(v, &hdr, &got_len, &id, v->timeout, false);
		else
			got = rx_next_test(v, &hdr, &got_len, v->timeout);
		if (got)
			memcpy(&got_seq, got + 14, 4);
		if (!got || got_len != HDR_LEN + len[k] ||
		    memcmp(got, sent[k], len[k]) || !hdr_ok(&hdr))
			break;
	}
	if (k == total) {
		check(true,
		      "rx-refill: %d frames in order, the %d sent with no buffer found by the one after the refill",
		      total, REFILL_WAIT);
		return;
	}
	check(false,
	      "rx-refill: frame %d of %d: %s seq %u length %u, want seq %u length %u",
	      k, total, got ? "got" : "none,", got ? got_seq : 0,
	      got ? got_len - HDR_LEN : 0, seq[k], len[k]);
}

static void case_bcast(struct vh *v)
{
	static const __u8 bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const __u8 mcast[ETH_ALEN] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x7b };

	dev_setup(v);
	rx_frames(v, bcast, 3, false);
	rx_frames(v, mcast, 3, false);
}

/* Frames to another unicast MAC never reach the device's rings. */
static void case_filter(struct vh *v)
{
	struct virtio_net_hdr_v1 hdr;
	__u8 other[ETH_ALEN], sent[ETH_FRAME_LEN];
	__u32 len, seq;
	__u8 *got;
	int k;

	dev_setup(v);
	memcpy(other, v->mac, ETH_ALEN);
	other[5] ^= 0x80;
	for (k = 0; k < v->count; k++) {
		make_frame(v, sent, other, v->wire_mac, 100);
		wire_send(v, sent, 100);
	}
	/* Then one of ours: whatever came first arrived before it. */
	seq = make_frame(v, sent, v->mac, v->wire_mac, 100);
	wire_send(v, sent, 100);
	got = rx_next_test(v, &hdr, &len, v->timeout);
	check(got && !memcmp(got, v->mac, ETH_ALEN) && !memcmp(got + 14, &seq, 4),
	      "filter: %d frames to %s did not arrive, the one to %s did",
	      v->count, mac_str(other), mac_str(v->mac));
}

static void case_tx(struct vh *v)
{
	int ok;

	dev_setup(v);
	ok = tx_frames(v, v->mac, v->count, true);
	check(ok == v->count,
	      "tx: %d of %d frames (one and two descriptors) reached the partner intact",
	      ok, v->count);
	check(v->vq[VQ_TX].calls > 0, "tx: call eventfd fired %ld times",
	      v->vq[VQ_TX].calls);
}

/* Frames from another source MAC are used, and never reach the wire. */
static void case_spoof(struct vh *v)
{
	__u8 other[ETH_ALEN];
	int ok;

	dev_setup(v);
	memcpy(other, v->mac, ETH_ALEN);
	other[5] ^= 0x40;
	ok = tx_frames(v, other, v->count, false);
	check(ok == v->count, "spoof: %d frames from %s used, none on the wire",
	      ok, mac_str(other));
	check(!(vhost_status_get(&v->h) & VIRTIO_CONFIG_S_NEEDS_RESET),
	      "spoof: no NEEDS_RESET (status %#x)", vhost_status_get(&v->h));
	ok = tx_frames(v, v->mac, 2, true);
	check(ok == 2, "spoof: frames from %s still go out", mac_str(v->mac));
}

static void no_interrupt(struct vh *v, bool on)
{
	int q;

	for (q = VQ_RX; q <= VQ_TX; q++)
		__atomic_store_n(&v->vq[q].avail->flags,
				 htole16(on ? VRING_AVAIL_F_NO_INTERRUPT : 0),
				 __ATOMIC_SEQ_CST);
}

/*
 * A driver that polls (VRING_AVAIL_F_NO_INTERRUPT) gets its frames and
 * no call; one that clears the flag gets calls again.
 */
/* Counter @name of the NIC's counters file; -1 without one. */
static long long nic_counter(struct vh *v, const char *name)
{
	char key[64], line[128];
	long long val = -1;
	FILE *f;

	if (!v->counters)
		return -1;
	f = fopen(v->counters, "r");
	if (!f)
		return -1;
	snprintf(key, sizeof(key), "%s:", name);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			val = strtoll(line + strlen(key), NULL, 10);
	fclose(f);
	return val;
}

#define IDLE_KICKS	1000

/* guest_passes once it is past @than, within the timeout; else as it is. */
static long long passes_past(struct vh *v, long long than)
{
	struct timespec t0;
	long long now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((now = nic_counter(v, "guest_passes")) <= than &&
	       ms_since(&t0) < v->timeout)
		usleep(10 * 1000);
	return now;
}

/*
 * Receive kicks while no frame waits for buffers give the device nothing
 * to do: they run none of its passes (the next frame finds the buffers
 * without them).  A transmit kick does run one: new chains there are not
 * seen otherwise.
 */
static void case_kick_idle(struct vh *v)
{
	long long p0, p1, p2;
	int k;

	dev_setup(v);
	/*
	 * A frame sent and used: every pass asked for until then has run
	 * (they are one work item, in order), and none is due.
	 */
	check(tx_frames(v, v->mac, 1, true) == 1, "kick-idle: a frame sent first");
	p0 = nic_counter(v, "guest_passes");
	if (p0 < 0) {
		check(false, "kick-idle: no guest_passes in the counters file (-c)");
		return;
	}
	for (k = 0; k < IDLE_KICKS; k++)
		vq_kick(&v->vq[VQ_RX]);
	usleep(100 * 1000);
	p1 = nic_counter(v, "guest_passes");
	check(p1 == p0,
	      "kick-idle: %d receive kicks with no frame waiting ran %lld passes, want none",
	      IDLE_KICKS, p1 - p0);
	vq_kick(&v->vq[VQ_TX]);
	p2 = passes_past(v, p1);
	check(p2 > p1, "kick-idle: a transmit kick ran %lld passes, want one at least",
	      p2 - p1);
	check(rx_frames(v, v->mac, 2, true) == 2,
	      "kick-idle: frames still arrive in the buffers posted");
}

static void case_no_irq(struct vh *v)
{
	long rx0, tx0;
	int rx, tx;

	dev_setup(v);
	no_interrupt(v, true);
	efd_drain(v->vq[VQ_RX].call);
	efd_drain(v->vq[VQ_TX].call);
	rx0 = v->vq[VQ_RX].calls;
	tx0 = v->vq[VQ_TX].calls;
	rx = rx_frames(v, v->mac, v->count, true);
	tx = tx_frames(v, v->mac, v->count, true);
	check(rx == v->count && tx == v->count &&
	      v->vq[VQ_RX].calls == rx0 && v->vq[VQ_TX].calls == tx0,
	      "no-irq: %d rx and %d tx of %d frames with NO_INTERRUPT, %ld and %ld calls, want none",
	      rx, tx, v->count, v->vq[VQ_RX].calls - rx0,
	      v->vq[VQ_TX].calls - tx0);
	no_interrupt(v, false);
	rx0 = v->vq[VQ_RX].calls;
	tx0 = v->vq[VQ_TX].calls;
	rx = rx_frames(v, v->mac, 2, true);
	tx = tx_frames(v, v->mac, 2, true);
	check(rx == 2 && tx == 2 && v->vq[VQ_RX].calls > rx0 &&
	      v->vq[VQ_TX].calls > tx0,
	      "no-irq: flag cleared, %ld rx and %ld tx calls for 2 frames each",
	      v->vq[VQ_RX].calls - rx0, v->vq[VQ_TX].calls - tx0);
}

static int vring_base(struct vh *v, int q)
{
	struct vhost_vring_state s = { .index = q };

	vhost_xioctl(&v->h, VHOST_GET_VRING_BASE, &s, "VHOST_GET_VRING_BASE");
	return s.num;
}

static __u16 used_idx(struct vh *v, int q)
{
	return le16toh(__atomic_load_n(&v->vq[q].used->idx, __ATOMIC_ACQUIRE));
}

/*
 * Stopped, with vmq/state @state: VHOST_GET_VRING_BASE of each virtqueue
 * is where the device got to, every buffer it took used; nothing moves,
 * a frame from the wire is dropped, a transmit buffer waits.
 */
static void check_still(struct vh *v, const char *state, const char *what)
{
	__u8 frame[ETH_ZLEN];
	__u16 urx, utx;
	int rx, tx;

	check_state(v, state, what);
	rx = vring_base(v, VQ_RX);
	tx = vring_base(v, VQ_TX);
	check(rx == used_idx(v, VQ_RX) && tx == used_idx(v, VQ_TX),
	      "%s: vring bases rx %d tx %d, used indices %u %u", what, rx, tx,
	      used_idx(v, VQ_RX), used_idx(v, VQ_TX));
	urx = used_idx(v, VQ_RX);
	utx = used_idx(v, VQ_TX);
	make_frame(v, frame, v->mac, v->wire_mac, ETH_ZLEN);
	wire_send(v, frame, ETH_ZLEN);
	make_frame(v, tx_frame(v, 0), v->wire_mac, v->mac, ETH_ZLEN);
	tx_post(v, 0, ETH_ZLEN, false);
	usleep(300 * 1000);
	check(used_idx(v, VQ_RX) == urx && used_idx(v, VQ_TX) == utx,
	      "%s: nothing used while %s (rx %u -> %u, tx %u -> %u)",
	      what, state, urx, used_idx(v, VQ_RX), utx, used_idx(v, VQ_TX));
}

static void check_suspended(struct vh *v, const char *what)
{
	check(!vhost_ioctl(&v->h, VHOST_VDPA_SUSPEND, NULL), "%s: VHOST_VDPA_SUSPEND",
	      what);
	check_still(v, "suspended", what);
}

static void vq_set_ready(struct vh *v, int q, bool ready)
{
	struct vhost_vring_state s = { .index = q, .num = ready };

	vhost_xioctl(&v->h, VHOST_VDPA_SET_VRING_ENABLE, &s,
		     "VHOST_VDPA_SET_VRING_ENABLE");
}

/*
 * The device runs only while both virtqueues are ready: DRIVER_OK with
 * the receive one not ready runs nothing, making it ready runs the
 * device; disabling the transmit one stops it where it got to, enabling
 * it again goes on from there, the transmit buffer that waited first.
 */
static void case_ready(struct vh *v)
{
	__u32 id, len;
	int ok;

	dev_prepare(v);
	vq_set_ready(v, VQ_RX, false);
	dev_go(v);
	check_still(v, "disabled", "ready (receive virtqueue not ready at DRIVER_OK)");
	vq_set_ready(v, VQ_RX, true);
	check_state(v, "running", "ready: both virtqueues ready");
	check(used_next(v, VQ_TX, &id, &len, v->timeout) && id == 0,
	      "ready: the transmit buffer posted before is used");
	ok = rx_frames(v, v->mac, 3, true) + tx_frames(v, v->mac, 3, true);
	check(ok == 6, "ready: %d of 6 frames once both are ready", ok);

	vq_set_ready(v, VQ_TX, false);
	check_still(v, "disabled", "ready (transmit virtqueue disabled)");
	vq_set_ready(v, VQ_TX, true);
	check_state(v, "running", "ready: transmit virtqueue enabled again");
	check(used_next(v, VQ_TX, &id, &len, v->timeout) && id == 0,
	      "ready: the transmit buffer that waited is used");
	ok = rx_frames(v, v->mac, 3, true) + tx_frames(v, v->mac, 3, true);
	check(ok == 6, "ready: %d of 6 frames after", ok);
}

#define START_ROUNDS	3	/* of each way to start */
#define START_KICK_MS	30	/* into the start, well inside its delay */

enum start_how { START_DRIVER_OK, START_ENABLE, START_RESUME, START_HOWS };

static const char *const start_name[START_HOWS] = {
	[START_DRIVER_OK] = "DRIVER_OK",
	[START_ENABLE] = "transmit virtqueue enabled",
	[START_RESUME] = "VHOST_VDPA_RESUME",
};

/*
 * Everything but the last step of a start the way @how says: the
 * device set up, its queue pair stopped.  The argument of the ioctl
 * that starts it in @status or @ready.
 */
static void start_prepare(struct vh *v, enum start_how how, __u8 *status,
			  struct vhost_vring_state *ready)
{
	vhost_status_set(&v->h, 0);
	*status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		  VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;
	ready->index = VQ_TX;
	ready->num = 1;
	dev_prepare(v);
	if (how == START_ENABLE) {
		vq_set_ready(v, VQ_TX, false);
		dev_go(v);
	} else if (how == START_RESUME) {
		dev_go(v);
		vhost_xioctl(&v->h, VHOST_VDPA_SUSPEND, NULL,
			     "VHOST_VDPA_SUSPEND");
	}
}

/*
 * A round of kick-start: another thread of ours starts the queue pair
 * the way @how says; START_KICK_MS into the start a transmit buffer is
 * made available and kicked, once.  Return: whether its frame went out;
 * *late set if the start had returned before the kick.
 */
static bool kick_start_round(struct vh *v, enum start_how how, int round,
			     bool *late)
{
	__u8 got[ETH_FRAME_LEN + 8], status, *f;
	__u32 len = test_len(1), id, ulen;
	struct vhost_vring_state ready;
	struct vhost_bg bg;
	__u16 head, vlan;
	ssize_t glen;
	bool used;
	int err;

	start_prepare(v, how, &status, &ready);
	wire_drain(v);
	f = tx_frame(v, 0);
	make_frame(v, f, v->wire_mac, v->mac, len);
	if (how == START_DRIVER_OK)
		vhost_bg_start(&bg, &v->h, VHOST_VDPA_SET_STATUS, &status);
	else if (how == START_ENABLE)
		vhost_bg_start(&bg, &v->h, VHOST_VDPA_SET_VRING_ENABLE, &ready);
	else
		vhost_bg_start(&bg, &v->h, VHOST_VDPA_RESUME, NULL);
	usleep(START_KICK_MS * 1000);
	head = tx_post(v, 0, len, false);
	*late = vhost_bg_returned(&bg);
	if (*late)
		printf("kick-start: %s round %d: the start had returned before the kick\n",
		       start_name[how], round);
	/* No other kick: the one above must be enough. */
	used = used_next(v, VQ_TX, &id, &ulen, v->timeout);
	err = vhost_bg_join(&bg);
	if (err) {
		errno = -err;
		die(start_name[how]);
	}
	glen = used ? wire_recv(v, got, &vlan, v->timeout) : -1;
	if (used && id == head && glen == (ssize_t)len && !memcmp(got, f, len))
		return true;
	printf("kick-start: %s round %d: the buffer kicked %s, %zd bytes on the wire\n",
	       start_name[how], round, used ? "was used" : "was never used",
	       glen);
	return false;
}

/*
 * A transmit buffer made available and kicked once while the queue pair
 * starts (at DRIVER_OK, the transmit virtqueue's enable, a resume),
 * after the NIC has looked at the rings and before the start returns:
 * the device sends it, with no other kick.  vdpa.sh holds each start
 * with vmq_vdpa.start_delay_ms, so that the kick comes inside it.
 */
static void case_kick_start(struct vh *v)
{
	int how, round, late = 0, lost = 0, n = 0;
	bool was_late;

	for (how = 0; how < START_HOWS; how++) {
		if (how == START_RESUME &&
		    !(v->h.backend & BIT_ULL(VHOST_BACKEND_F_RESUME))) {
			check(false, "kick-start: backend features %#llx lack RESUME",
			      (unsigned long long)v->h.backend);
			continue;
		}
		for (round = 0; round < START_ROUNDS; round++, n++) {
			if (!kick_start_round(v, how, round, &was_late))
				lost++;
			late += was_late;
		}
	}
	check(!late, "kick-start: the kick came while the start was held in %d of %d rounds",
	      n - late, n);
	check(!lost, "kick-start: the frame kicked once in the start went out in %d of %d rounds",
	      n - lost, n);
}

/*
 * A driver that disables and enables a virtqueue over and over, then
 * resets the device and sets it up again over and over, its map kept:
 * vdpa.sh counts the engine threads the NIC made for it.
 */
static void case_toggle(struct vh *v)
{
	int k, ok;

	dev_setup(v);
	for (k = 0; k < 50; k++) {
		vq_set_ready(v, VQ_TX, false);
		vq_set_ready(v, VQ_TX, true);
	}
	check_state(v, "running", "toggle: after 50 disables");
	for (k = 0; k < 25; k++) {
		vhost_status_set(&v->h, 0);
		dev_setup(v);
	}
	check_state(v, "running", "toggle: after 25 resets");
	ok = rx_frames(v, v->mac, 3, true) + tx_frames(v, v->mac, 3, true);
	check(ok == 6, "toggle: %d of 6 frames after", ok);
}

/*
 * Live migration as QEMU does it over vhost-vdpa: suspend, read each
 * virtqueue's base; resume, or reset and set the device up again at
 * those bases on the same memory (the destination's copy of it).  Frames
 * go on from where they were either way.
 */
static void case_suspend(struct vh *v)
{
	struct vhost_vring_state state = {};
	__u16 base[2];
	__u32 id, len;
	int q, ok, err;

	if (!(v->h.backend & BIT_ULL(VHOST_BACKEND_F_SUSPEND)) ||
	    !(v->h.backend & BIT_ULL(VHOST_BACKEND_F_RESUME))) {
		check(false, "suspend: backend features %#llx lack SUSPEND and RESUME",
		      (unsigned long long)v->h.backend);
		return;
	}
	dev_setup(v);
	ok = rx_frames(v, v->mac, 3, true) + tx_frames(v, v->mac, 3, true);
	check(ok == 6, "suspend: 3 frames each way before");
	state.index = VQ_RX;
	err = vhost_ioctl(&v->h, VHOST_SET_VRING_BASE, &state);
	check(err == -EINVAL,
	      "suspend: VHOST_SET_VRING_BASE while running fails: %s (want EINVAL)",
	      strerror(-err));
	check_suspended(v, "suspend");
	check(!vhost_ioctl(&v->h, VHOST_VDPA_RESUME, NULL), "resume: VHOST_VDPA_RESUME");
	check_state(v, "running", "after VHOST_VDPA_RESUME");
	/* The waiting transmit buffer goes; the dropped frame never comes. */
	check(used_next(v, VQ_TX, &id, &len, v->timeout) && id == 0,
	      "resume: the transmit buffer posted while suspended is used");
	ok = rx_frames(v, v->mac, 3, true);
	check(ok == 3, "resume: %d of 3 frames received after", ok);

	check_suspended(v, "migrate");
	for (q = VQ_RX; q <= VQ_TX; q++)
		base[q] = vring_base(v, q);
	/* The destination: same memory, the bases the source read. */
	vhost_features_ok(&v->h, WANT_FEATURES);
	map_all(v);
	for (q = VQ_RX; q <= VQ_TX; q++)
		vq_program(&v->h, &v->vq[q], q, vq_iova(q), base[q]);
	vhost_xioctl(&v->h, VHOST_VDPA_SET_CONFIG_CALL, &v->config_call,
		     "VHOST_VDPA_SET_CONFIG_CALL");
	vq_enable(&v->h, VQ_RX);
	vq_enable(&v->h, VQ_TX);
	dev_go(v);
	vq_kick(&v->vq[VQ_TX]);
	check(used_next(v, VQ_TX, &id, &len, v->timeout) && id == 0,
	      "migrate: the transmit buffer posted on the source is used at base %u",
	      base[VQ_TX]);
	ok = rx_frames(v, v->mac, 3, true) + tx_frames(v, v->mac, 3, true);
	check(ok == 6, "migrate: %d of 6 frames after, used indices %u %u from bases %u %u",
	      ok, used_idx(v, VQ_RX), used_idx(v, VQ_TX), base[VQ_RX],
	      base[VQ_TX]);
}

#define BUSY_ROUNDS	20

/* Make @n transmit buffers available at once, and kick. */
static void tx_post_many(struct vh *v, int n)
{
	struct vq *vq = &v->vq[VQ_TX];
	__u16 head;
	int k;

	for (k = 0; k < n; k++) {
		head = (2 * k) % NUM;
		make_frame(v, tx_frame(v, k), v->wire_mac, v->mac, ETH_ZLEN);
		vq_desc_set(&vq->desc[head], tx_buf_iova(head),
			    HDR_LEN + ETH_ZLEN, 0, 0);
		vq_avail_put(vq, head);
	}
	vq_kick(vq);
}

/* Wait up to @ms until the device used every transmit buffer. */
static bool tx_all_used(struct vh *v, int ms)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (used_idx(v, VQ_TX) != v->vq[VQ_TX].avail_idx) {
		if (ms_since(&t0) > ms)
			return false;
		usleep(1000);
	}
	return true;
}

/*
 * Suspend while the NIC is busy with a burst of transmit buffers (run
 * with vmqsim's guest_take_delay_us, so that it is), again and again:
 * whatever it had taken when the suspend came, the base it reports is
 * the used index the driver sees, and after the resume every buffer is
 * used.
 */
static void case_suspend_busy(struct vh *v)
{
	const char *what = "suspend-busy";
	int round, base, bad = 0, lost = 0;
	__u8 got[ETH_FRAME_LEN + 8];
	__u16 used, vlan;

	dev_setup(v);
	wire_drain(v);
	for (round = 0; round < BUSY_ROUNDS; round++) {
		tx_post_many(v, NUM / 2);
		/* The first frame out: the NIC is in the burst. */
		if (wire_recv(v, got, &vlan, v->timeout) < 0) {
			check(false, "%s: round %d: no frame went out", what,
			      round);
			return;
		}
		if (vhost_ioctl(&v->h, VHOST_VDPA_SUSPEND, NULL)) {
			check(false, "%s: VHOST_VDPA_SUSPEND", what);
			return;
		}
		base = vring_base(v, VQ_TX);
		used = used_idx(v, VQ_TX);
		if (base != used) {
			printf("%s: round %d: vring base %d, used index %u\n",
			       what, round, base, used);
			bad++;
		}
		if (vhost_ioctl(&v->h, VHOST_VDPA_RESUME, NULL)) {
			check(false, "%s: VHOST_VDPA_RESUME", what);
			return;
		}
		vq_kick(&v->vq[VQ_TX]);
		if (!tx_all_used(v, v->timeout)) {
			/*
			 * Counted lost all the same; what follows only tells
			 * a slow NIC from a kick the resume lost.
			 */
			used = used_idx(v, VQ_TX);
			vq_kick(&v->vq[VQ_TX]);
			printf("%s: round %d: used %u of %u; after another kick %s\n",
			       what, round, used, v->vq[VQ_TX].avail_idx,
			       tx_all_used(v, v->timeout) ? "all" : "still not all");
			lost++;
		}
		wire_drain(v);
	}
	check(!bad, "%s: the vring base was the used index at %d of %d suspends under load",
	      what, BUSY_ROUNDS - bad, BUSY_ROUNDS);
	check(!lost, "%s: every buffer used after %d of %d resumes", what,
	      BUSY_ROUNDS - lost, BUSY_ROUNDS);
}

/*
 * The transmit available ring ending exactly where its mapping does,
 * nothing mapped after it: the device starts and runs on it, for it
 * reaches for none of the bytes past the ring's end.
 */
static void case_avail_end(struct vh *v)
{
	const char *what = "avail-end (available ring ending at its mapping's end)";
	const __u64 len = 6 + 2 * NUM, off = RING_SIZE - len;
	struct vq *vq = &v->vq[VQ_TX];
	__u8 s;

	dev_prepare(v);
	vq->avail = (void *)(v->ring_mem + off);
	memset(vq->avail, 0, len);
	vq_addr(&v->h, VQ_TX, vq_iova(VQ_TX), RING_IOVA + off,
		vq_iova(VQ_TX) + VQ_USED_OFF);
	dev_go(v);
	s = vhost_status_get(&v->h);
	check(!(s & VIRTIO_CONFIG_S_NEEDS_RESET), "%s: status %#x without NEEDS_RESET",
	      what, s);
	check(tx_frames(v, v->mac, 2, true) == 2, "%s: frames go out", what);
}

/* Header and frame in descriptors of their own, both ways. */
static void case_chain(struct vh *v)
{
	v->rx_chain = true;
	dev_setup(v);
	rx_frames(v, v->mac, v->count, false);
	v->rx_chain = false;
	check(tx_frames(v, v->mac, v->count, true) == v->count,
	      "chain: tx of one and two descriptors");
}

/*
 * A frame longer than the buffer posted: dropped, its buffer returned
 * with length 0; the device goes on.
 */
static void case_rx_small(struct vh *v)
{
	struct virtio_net_hdr_v1 hdr;
	__u8 sent[ETH_FRAME_LEN];
	__u32 len, id;
	__u8 *got;
	__u8 s;

	v->rx_len = HDR_LEN + 100;
	dev_setup(v);
	make_frame(v, sent, v->mac, v->wire_mac, 500);
	wire_send(v, sent, 500);
	/* Skip what else came (broadcasts of 100 bytes or less). */
	do {
		got = rx_next(v, &hdr, &len, &id, v->timeout);
	} while (got && len);
	check(got && !len, "rx-small: a 500-byte frame in a %u-byte buffer came back with length 0",
	      v->rx_len);
	s = vhost_status_get(&v->h);
	check(!(s & VIRTIO_CONFIG_S_NEEDS_RESET), "rx-small: no NEEDS_RESET (status %#x)",
	      s);
	check(rx_frames(v, v->mac, 2, true) == 2,
	      "rx-small: a 60- and a 64-byte frame still arrive");
	v->rx_len = BUF_LEN;
}

/* Keep the device running (frames received, buffers reposted) until a
 * signal or -t seconds are over: for the host to act meanwhile.
 */
static void on_signal(int sig)
{
	(void)sig;
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
}

static void case_hold(struct vh *v)
{
	struct virtio_net_hdr_v1 hdr;
	struct timespec t0;
	__u32 len, id;

	dev_setup(v);
	printf("holding the device\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED) && ms_since(&t0) < v->timeout)
		rx_next(v, &hdr, &len, &id, 100);
	check(true, "hold: held for %ld ms", ms_since(&t0));
}

/* --- the misbehaving driver ----------------------------------------------- */

/*
 * After the driver's error: NEEDS_RESET in the status, the config
 * interrupt, and vmq/state "error".
 */
static void expect_reset(struct vh *v, const char *what)
{
	bool fired = efd_wait(v->config_call, v->timeout);
	__u8 s = vhost_status_get(&v->h);

	check(fired, "%s: config call eventfd fired", what);
	check(s & VIRTIO_CONFIG_S_NEEDS_RESET, "%s: status %#x has NEEDS_RESET",
	      what, s);
	check_state(v, "error", what);
}

/* A reset brings the device back: status 0, set up again, frames flow. */
static void expect_recovery(struct vh *v, const char *what)
{
	bool ok;
	__u8 s;

	vhost_status_set(&v->h, 0);
	s = vhost_status_get(&v->h);
	check(s == 0, "%s: status %#x after reset", what, s);
	check_state(v, "disabled", what);
	dev_setup(v);
	ok = rx_frames(v, v->mac, 2, true) == 2 &&
	     tx_frames(v, v->mac, 2, true) == 2;
	s = vhost_status_get(&v->h);
	check(ok && !(s & VIRTIO_CONFIG_S_NEEDS_RESET),
	      "%s: after a reset frames flow again (status %#x)", what, s);
}

/* Take back every mapping of ours, one invalidation each. */
static void unmap_all(struct vh *v)
{
	struct vhost_map maps[NR_MAPS];
	int i;

	our_maps(v, maps);
	for (i = 0; i < NR_MAPS; i++)
		vhost_iotlb(&v->h, VHOST_IOTLB_INVALIDATE, maps[i].iova,
			    maps[i].size, NULL, 0);
}

/*
 * A driver that takes its whole map back before each reset, and starts
 * the device with no map in between, over and over: a start with no
 * map is its error at once, and vdpa.sh counts the engine threads the
 * NIC made for it (as many as for one start).
 */
static void case_toggle_unmap(struct vh *v)
{
	int k, ok;

	for (k = 0; k < 10; k++) {
		dev_setup(v);
		check_state(v, "running", "toggle-unmap: mapped");
		unmap_all(v);
		vhost_status_set(&v->h, 0);
		dev_prepare(v);
		unmap_all(v);
		dev_go(v);
		expect_reset(v, "toggle-unmap: started with no map");
		vhost_status_set(&v->h, 0);
	}
	dev_setup(v);
	ok = rx_frames(v, v->mac, 3, true) + tx_frames(v, v->mac, 3, true);
	check(ok == 6, "toggle-unmap: %d of 6 frames after", ok);
}

/*
 * Spoil transmit descriptor 0 as @fn says (a good frame without @fn),
 * make it available, kick.
 */
static void tx_post_spoiled(struct vh *v,
			    void (*fn)(struct vh *v, int q, __u32 i))
{
	memset(tx_buf(v, 0), 0, BUF_LEN);
	make_frame(v, tx_buf(v, 0) + HDR_LEN, v->wire_mac, v->mac, 100);
	vq_desc_set(&v->vq[VQ_TX].desc[0], tx_buf_iova(0), HDR_LEN + 100, 0,
		    0);
	if (fn)
		fn(v, VQ_TX, 0);
	vq_avail_put(&v->vq[VQ_TX], 0);
	vq_kick(&v->vq[VQ_TX]);
}

/* The driver error tx_post_spoiled() makes, and the reset after it. */
static void tx_bad(struct vh *v, const char *what,
		   void (*fn)(struct vh *v, int q, __u32 i))
{
	dev_setup(v);
	efd_drain(v->config_call);
	tx_post_spoiled(v, fn);
	expect_reset(v, what);
	expect_recovery(v, what);
}

/*
 * Spoil every receive descriptor as @fn says before DRIVER_OK, then send
 * a frame for the device to put somewhere.
 */
static void rx_bad(struct vh *v, const char *what,
		   void (*fn)(struct vh *v, int q, __u32 i))
{
	__u8 sent[ETH_FRAME_LEN];
	__u32 i;

	dev_prepare(v);
	for (i = 0; i < NUM; i++)
		fn(v, VQ_RX, i);
	dev_go(v);
	efd_drain(v->config_call);
	make_frame(v, sent, v->mac, v->wire_mac, 100);
	wire_send(v, sent, 100);
	expect_reset(v, what);
	expect_recovery(v, what);
}

static void spoil_addr(struct vh *v, int q, __u32 i)
{
	struct vring_desc *d = &v->vq[q].desc[i];

	d->addr = htole64(UNMAPPED_IOVA);
}

static void spoil_loop(struct vh *v, int q, __u32 i)
{
	struct vring_desc *d = &v->vq[q].desc[i];

	vq_desc_set(&d[0], tx_buf_iova(0), HDR_LEN, VRING_DESC_F_NEXT, 1);
	vq_desc_set(&d[1], tx_buf_iova(0) + HDR_LEN, 100, VRING_DESC_F_NEXT,
		    0);
}

static void spoil_next(struct vh *v, int q, __u32 i)
{
	struct vring_desc *d = &v->vq[q].desc[i];

	vq_desc_set(&d[0], tx_buf_iova(0), HDR_LEN, VRING_DESC_F_NEXT,
		    NUM + 3);
}

static void spoil_short(struct vh *v, int q, __u32 i)
{
	struct vring_desc *d = &v->vq[q].desc[i];

	d->len = htole32(HDR_LEN + 10);
}

static void spoil_long(struct vh *v, int q, __u32 i)
{
	struct vring_desc *d = &v->vq[q].desc[i];

	d->len = htole32(HDR_LEN + v->mtu + 18 + 1);
}

static void spoil_write(struct vh *v, int q, __u32 i)
{
	struct vring_desc *d = &v->vq[q].desc[i];

	d->flags = htole16(le16toh(d->flags) | VRING_DESC_F_WRITE);
}

static void spoil_nowrite(struct vh *v, int q, __u32 i)
{
	struct vring_desc *d = &v->vq[q].desc[i];

	d->flags = htole16(le16toh(d->flags) & ~VRING_DESC_F_WRITE);
}

/* A transmit frame in memory the device may only write. */
static void spoil_tx_perm(struct vh *v, int q, __u32 i)
{
	struct vring_desc *d = &v->vq[q].desc[i];

	memcpy(v->wo_mem, tx_buf(v, 0), HDR_LEN + 100);
	d->addr = htole64(WO_IOVA);
}

/* Receive buffers in memory the device may only read. */
static void spoil_rx_perm(struct vh *v, int q, __u32 i)
{
	struct vring_desc *d = &v->vq[q].desc[i];

	d->addr = htole64(RO_IOVA + (le64toh(d->addr) - BUF_IOVA) % PERM_SIZE);
	d->len = htole32(BUF_LEN);
}

/* An indirect table (itself well formed) holding the frame. */
static void spoil_indirect(struct vh *v, int q, __u32 i)
{
	struct vring_desc *table = (void *)tx_buf(v, NUM - 1);
	struct vring_desc *d = &v->vq[q].desc[i];

	vq_desc_set(&table[0], tx_buf_iova(0), HDR_LEN + 100, 0, 0);
	vq_desc_set(&d[0], tx_buf_iova(NUM - 1), sizeof(*table),
		    VRING_DESC_F_INDIRECT, 0);
}

/*
 * A driver error on a device whose VMM never asked for the config
 * interrupt: NEEDS_RESET in the status all the same, and nothing called
 * that the device's last driver (virtio_vdpa, before a rebind) left.
 */
static void case_no_config_call(struct vh *v)
{
	const char *what = "no-config-call (tx buffer outside the IOTLB)";
	struct timespec t0;
	__u8 s;

	v->no_config_call = true;
	dev_setup(v);
	tx_post_spoiled(v, spoil_addr);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		s = vhost_status_get(&v->h);
		if (s & VIRTIO_CONFIG_S_NEEDS_RESET)
			break;
		usleep(10000);
	} while (ms_since(&t0) < v->timeout);
	check(s & VIRTIO_CONFIG_S_NEEDS_RESET, "%s: status %#x has NEEDS_RESET",
	      what, s);
	check_state(v, "error", what);
	expect_recovery(v, what);
	v->no_config_call = false;
}

/*
 * The transmit virtqueue given the receive one's call eventfd while the
 * device runs, then its own again, as a VMM may (vmq_vdpa_fuzz found
 * it).  Were the device to offer get_vq_irq, vhost-vdpa would make each
 * virtqueue's interrupt an irq bypass producer keyed by its call
 * eventfd: the second one with the same key is refused (-EBUSY, "irq
 * bypass producer ... registration fails"), and taking it back
 * unregisters by key, so that 6.12's irqbypass unlinks the transmit
 * virtqueue's producer, never linked, from the receive one's place:
 * list_del corruption, a kernel BUG, and the VMM's thread dies holding
 * irqbypass's lock.  The device must go on as if nothing happened.
 */
static void case_call_shared(struct vh *v)
{
	const char *what = "call-shared";
	struct vhost_vring_file f = { .index = VQ_TX };

	dev_setup(v);
	check(rx_frames(v, v->mac, 1, true) == 1 &&
	      tx_frames(v, v->mac, 1, true) == 1,
	      "%s: frames flow before", what);
	f.fd = v->vq[VQ_RX].call;
	vhost_xioctl(&v->h, VHOST_SET_VRING_CALL, &f,
		     "VHOST_SET_VRING_CALL (virtqueue 0's eventfd)");
	printf("%s: virtqueue 1 has virtqueue 0's call eventfd; now its own\n",
	       what);
	fflush(stdout);
	f.fd = v->vq[VQ_TX].call;
	vhost_xioctl(&v->h, VHOST_SET_VRING_CALL, &f,
		     "VHOST_SET_VRING_CALL (its own eventfd)");
	check(rx_frames(v, v->mac, 2, true) == 2 &&
	      tx_frames(v, v->mac, 2, true) == 2,
	      "%s: frames flow after", what);
	expect_recovery(v, what);
}

/* The MTU in config space, as the driver reads it. */
static __u16 config_mtu(struct vh *v)
{
	struct {
		struct vhost_vdpa_config c;
		struct virtio_net_config net;
	} cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.c.off = offsetof(struct virtio_net_config, mtu);
	cfg.c.len = 2;
	vhost_xioctl(&v->h, VHOST_VDPA_GET_CONFIG, &cfg,
		     "VHOST_VDPA_GET_CONFIG");
	return le16toh(*(__le16 *)cfg.c.buf);
}

/* ip link set @dev mtu @mtu (SIOCSIFMTU); true if it took. */
static bool set_mtu(const char *dev, unsigned int mtu)
{
	struct ifreq ifr = { .ifr_mtu = (int)mtu };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	bool ok;

	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ok = !ioctl(fd, SIOCSIFMTU, &ifr);
	if (!ok)
		printf("SIOCSIFMTU %s %u: %s\n", dev, mtu, strerror(errno));
	close(fd);
	return ok;
}

/*
 * The MTU the driver negotiated (FEATURES_OK) stays its own: the NIC's
 * MTU going down leaves config space as it was, and a frame within the
 * promise but past the NIC's MTU is dropped (qpN_tx_drops), no driver
 * error; the NIC's MTU going up brings the driver no frame past the
 * promise.  A reset takes the NIC's MTU of then.
 */
static void case_mtu_promise(struct vh *v)
{
	const char *what = "mtu-promise";
	__u8 sent[BUF_LEN], got[ETH_FRAME_LEN + 8];
	struct virtio_net_hdr_v1 hdr;
	__u16 m0, m, vlan;
	__u32 len, id, ulen;
	__u8 s;

	dev_setup(v);
	m0 = config_mtu(v);
	check(set_mtu(v->nic, m0 - 100), "%s: %s mtu %u", what, v->nic,
	      m0 - 100);
	m = config_mtu(v);
	check(m == m0, "%s: config space MTU %u after the NIC's went to %u, want %u",
	      what, m, m0 - 100, m0);
	/* A frame of the promised MTU, past the NIC's now. */
	len = m0 + ETH_HLEN;
	make_frame(v, tx_frame(v, 0), v->wire_mac, v->mac, len);
	tx_post(v, 0, len, false);
	check(used_next(v, VQ_TX, &id, &ulen, v->timeout),
	      "%s: the %u-byte frame's buffer used", what, len);
	check(wire_recv(v, got, &vlan, 300) < 0,
	      "%s: the %u-byte frame did not go out at the NIC's MTU %u",
	      what, len, m0 - 100);
	s = vhost_status_get(&v->h);
	check(!(s & VIRTIO_CONFIG_S_NEEDS_RESET),
	      "%s: status %#x without NEEDS_RESET", what, s);
	check_state(v, "running", what);
	check(tx_frames(v, v->mac, 2, true) == 2, "%s: frames go out after it",
	      what);
	/* The NIC's MTU past the promise: no frame longer than that comes. */
	check(set_mtu(v->nic, m0 + 500) && set_mtu(v->wire, m0 + 500),
	      "%s: %s and %s mtu %u", what, v->nic, v->wire, m0 + 500);
	len = m0 + ETH_HLEN + 100;
	make_frame(v, sent, v->mac, v->wire_mac, len);
	wire_send(v, sent, len);
	check(!rx_next_test(v, &hdr, &ulen, 500),
	      "%s: no %u-byte frame reached the driver promised MTU %u", what,
	      len, m0);
	check(rx_frames(v, v->mac, 2, true) == 2, "%s: frames come in after it",
	      what);
	/* A reset: the next FEATURES_OK takes the NIC's MTU of then. */
	check(set_mtu(v->wire, m0) && set_mtu(v->nic, m0 - 100),
	      "%s: %s mtu %u", what, v->nic, m0 - 100);
	vhost_status_set(&v->h, 0);
	dev_setup(v);
	m = config_mtu(v);
	check(m == m0 - 100, "%s: config space MTU %u after a reset, want %u",
	      what, m, m0 - 100);
	check(set_mtu(v->nic, m0), "%s: %s mtu %u again", what, v->nic, m0);
}

static void case_bad_addr(struct vh *v)
{
	tx_bad(v, "bad-addr (tx buffer outside the IOTLB)", spoil_addr);
}

static void case_bad_addr_rx(struct vh *v)
{
	rx_bad(v, "bad-addr-rx (rx buffer outside the IOTLB)", spoil_addr);
}

static void case_loop(struct vh *v)
{
	tx_bad(v, "loop (a chain whose next points back)", spoil_loop);
}

static void case_bad_next(struct vh *v)
{
	tx_bad(v, "bad-next (next index past the ring)", spoil_next);
}

static void case_tx_short(struct vh *v)
{
	tx_bad(v, "tx-short (a 10-byte frame)", spoil_short);
}

static void case_tx_long(struct vh *v)
{
	char what[64];

	if (!v->mtu)
		case_info(v);
	snprintf(what, sizeof(what), "tx-long (a %u-byte frame, MTU %u)",
		 v->mtu + 18 + 1, v->mtu);
	tx_bad(v, what, spoil_long);
}

static void case_rx_ro(struct vh *v)
{
	rx_bad(v, "rx-ro (rx descriptor without VRING_DESC_F_WRITE)",
	       spoil_nowrite);
}

static void case_tx_wo(struct vh *v)
{
	tx_bad(v, "tx-wo (tx descriptor with VRING_DESC_F_WRITE)", spoil_write);
}

static void case_rx_perm(struct vh *v)
{
	rx_bad(v, "rx-perm (rx buffer in a read-only mapping)", spoil_rx_perm);
}

static void case_tx_perm(struct vh *v)
{
	tx_bad(v, "tx-perm (tx buffer in a write-only mapping)", spoil_tx_perm);
}

static void case_indirect(struct vh *v)
{
	tx_bad(v, "indirect (an indirect descriptor)", spoil_indirect);
}

/* The transmit descriptor table at an IOVA nothing maps. */
static void case_ring_unmapped(struct vh *v)
{
	const char *what = "ring-unmapped (tx descriptor table not mapped)";

	dev_prepare(v);
	vq_addr(&v->h, VQ_TX, UNMAPPED_IOVA, vq_iova(VQ_TX) + VQ_AVAIL_OFF,
		vq_iova(VQ_TX) + VQ_USED_OFF);
	efd_drain(v->config_call);
	vq_avail_put(&v->vq[VQ_TX], 0);
	dev_go(v);
	vq_kick(&v->vq[VQ_TX]);
	expect_reset(v, what);
	expect_recovery(v, what);
}

/*
 * The rings' mapping taken back while the queue pair runs: the device
 * finds it gone at its next look at the transmit ring.
 */
static void case_ring_gone(struct vh *v)
{
	const char *what = "ring-gone (the rings' mapping invalidated while running)";

	dev_setup(v);
	efd_drain(v->config_call);
	vhost_iotlb(&v->h, VHOST_IOTLB_INVALIDATE, RING_IOVA, RING_SIZE, NULL,
		    0);
	tx_post_spoiled(v, NULL);
	expect_reset(v, what);
	expect_recovery(v, what);
}

#define HELD_SIZE	(32LL << 20)

/* Pages the kernel freed so far: pgfree in /proc/vmstat. */
static long long pages_freed(void)
{
	char line[128];
	long long n = -1;
	FILE *f;

	f = fopen("/proc/vmstat", "r");
	if (!f)
		die("/proc/vmstat");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "pgfree %lld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/*
 * vhost-vdpa unpins a range the VMM invalidates before it tells the
 * device, and inside an IOTLB batch tells it only at the batch's end:
 * until then the device's map must hold the pages itself, or a VMM that
 * unmaps them meanwhile has the NIC write memory the host gave to
 * someone else.  So 32 MiB the VMM invalidates and unmaps inside a batch
 * must not be freed before the batch's end, and must be then (pgfree
 * counts every page freed, on any CPU's list).  Small pages: a huge one
 * would stay whole, in use, for its other mappings.
 */
static void case_unmap_batch(struct vh *v)
{
	const char *what = "unmap-batch (32 MiB invalidated and unmapped inside an IOTLB batch)";
	const long long half = HELD_SIZE / sysconf(_SC_PAGESIZE) / 2;
	long long m0, m1, m2;
	__u8 *mem;

	check(v->h.backend & BIT_ULL(VHOST_BACKEND_F_IOTLB_BATCH),
	      "%s: the device takes IOTLB batches", what);
	dev_setup(v);
	mem = mmap(NULL, HELD_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || madvise(mem, HELD_SIZE, MADV_NOHUGEPAGE))
		die("mmap, madvise");
	memset(mem, 0x5a, HELD_SIZE);
	vhost_iotlb(&v->h, VHOST_IOTLB_UPDATE, HELD_IOVA, HELD_SIZE, mem,
		    VHOST_ACCESS_RW);
	m0 = pages_freed();
	vhost_iotlb(&v->h, VHOST_IOTLB_BATCH_BEGIN, 0, 0, NULL, 0);
	vhost_iotlb(&v->h, VHOST_IOTLB_INVALIDATE, HELD_IOVA, HELD_SIZE, NULL,
		    0);
	munmap(mem, HELD_SIZE);
	m1 = pages_freed();
	vhost_iotlb(&v->h, VHOST_IOTLB_BATCH_END, 0, 0, NULL, 0);
	m2 = pages_freed();
	check(m1 - m0 < half,
	      "%s: the device held the pages until the batch's end (%lld pages freed before it)",
	      what, m1 - m0);
	check(m2 - m1 >= half,
	      "%s: at the batch's end the device let them go (%lld pages freed)",
	      what, m2 - m1);
	check(rx_frames(v, v->mac, 2, true) == 2 &&
	      tx_frames(v, v->mac, 2, true) == 2,
	      "%s: frames flow on the map after it", what);
}

#define COST_PAIRS	64	/* one-page update+invalidate pairs */
#define COST_PAGES	512	/* one-page mappings map-cost adds */

/* The device's page_refs (-r), or -1. */
static long long page_refs(struct vh *v)
{
	long long n = -1;
	FILE *f;

	if (!v->page_refs)
		return -1;
	f = fopen(v->page_refs, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

static double secs_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * COST_PAIRS one-page updates, each invalidated again, outside a batch,
 * as a VMM that does not batch (or a guest behind a virtual IOMMU) sends
 * them: the seconds they took, and the page references the device took
 * for them in @refs.
 */
static double map_pairs(struct vh *v, __u8 *page, long long *refs)
{
	const long ps = sysconf(_SC_PAGESIZE);
	struct timespec t0;
	long long r0;
	double t;
	int k;

	r0 = page_refs(v);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = 0; k < COST_PAIRS; k++) {
		vhost_iotlb(&v->h, VHOST_IOTLB_UPDATE, COST_IOVA, ps, page,
			    VHOST_ACCESS_RW);
		vhost_iotlb(&v->h, VHOST_IOTLB_INVALIDATE, COST_IOVA, ps, NULL,
			    0);
	}
	t = secs_since(&t0);
	*refs = page_refs(v) - r0;
	return t;
}

/*
 * Outside a batch vhost-vdpa hands the device its whole map after every
 * IOTLB message.  What the device does for one must be what the message
 * changed, not what is mapped: a one-page update takes one page
 * reference however many other pages are mapped, an invalidate none.
 * Counted (page_refs), so that a slow or busy machine cannot make it
 * pass or fail; the times are printed beside.  The pages go in one
 * mapping each, at IOVAs a page apart, so that their number is the
 * number of mappings, whatever memory they happen to lie in.
 */
static void case_map_cost(struct vh *v)
{
	const char *what = "map-cost (one-page IOTLB messages outside a batch)";
	const long ps = sysconf(_SC_PAGESIZE);
	long long r0, small, big, added, removed;
	double t_small, t_big, t_add;
	struct timespec t0;
	__u8 *page, *mem;
	int i;

	if (page_refs(v) < 0) {
		check(false, "%s: no page_refs file (-r)", what);
		return;
	}
	dev_setup(v);
	page = anon(ps);
	mem = anon(COST_PAGES * ps);
	memset(page, 0x5a, ps);
	memset(mem, 0xa5, COST_PAGES * ps);

	t_small = map_pairs(v, page, &small);
	r0 = page_refs(v);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < COST_PAGES; i++)
		vhost_iotlb(&v->h, VHOST_IOTLB_UPDATE,
			    COST_IOVA + (2 * i + 2) * ps, ps, mem + i * ps,
			    VHOST_ACCESS_RW);
	t_add = secs_since(&t0);
	added = page_refs(v) - r0;
	t_big = map_pairs(v, page, &big);
	r0 = page_refs(v);
	for (i = 0; i < COST_PAGES; i++)
		vhost_iotlb(&v->h, VHOST_IOTLB_INVALIDATE,
			    COST_IOVA + (2 * i + 2) * ps, ps, NULL, 0);
	removed = page_refs(v) - r0;
	munmap(mem, COST_PAGES * ps);
	munmap(page, ps);

	printf("map-cost: %d update+invalidate pairs, rings mapped: %.3f s, %lld page refs\n",
	       COST_PAIRS, t_small, small);
	printf("map-cost: %d pairs, %d more pages mapped: %.3f s (%.1fx), %lld page refs\n",
	       COST_PAIRS, COST_PAGES, t_big,
	       t_small > 0 ? t_big / t_small : 0, big);
	printf("map-cost: %d one-page updates: %.3f s, %lld page refs\n",
	       COST_PAGES, t_add, added);
	check(small == COST_PAIRS,
	      "%s: %d pairs with the rings mapped took %lld page references, want %d",
	      what, COST_PAIRS, small, COST_PAIRS);
	check(big == COST_PAIRS,
	      "%s: %d pairs with %d more pages mapped took %lld page references, want %d",
	      what, COST_PAIRS, COST_PAGES, big, COST_PAIRS);
	check(added == COST_PAGES,
	      "%s: %d one-page updates took %lld page references, want %d",
	      what, COST_PAGES, added, COST_PAGES);
	check(removed == 0,
	      "%s: invalidating them took %lld page references, want 0",
	      what, removed);
	check(rx_frames(v, v->mac, 2, true) == 2 &&
	      tx_frames(v, v->mac, 2, true) == 2,
	      "%s: frames flow on the map after them", what);
}

/*
 * A VMM that opens the device and maps nothing, with its virtqueues and
 * a frame at the physical addresses of its own pages: what the host's
 * own virtio_vdpa hands the device, a VMM may not.  The device must
 * reach none of it: NEEDS_RESET at DRIVER_OK, and no frame for the wire.
 * The device is opened anew, so that it never had a map from us.
 */
static void case_host_pa(struct vh *v)
{
	const char *what = "host-pa (rings at physical addresses, nothing mapped)";
	__u8 got[ETH_FRAME_LEN + 8], *ring, *f;
	__u32 len = test_len(0);
	__u16 vlan;
	int q;

	vhost_status_set(&v->h, 0);
	close(v->h.fd);
	vhost_open(&v->h);
	v->h.mapped = false;
	vhost_features_ok(&v->h, WANT_FEATURES);
	for (q = VQ_RX; q <= VQ_TX; q++) {
		ring = v->ring_mem + q * VQ_STRIDE;
		vring_setup(v, q);
		vq_addr(&v->h, q, phys_of(ring), phys_of(ring + VQ_AVAIL_OFF),
			phys_of(ring + VQ_USED_OFF));
	}
	vhost_xioctl(&v->h, VHOST_VDPA_SET_CONFIG_CALL, &v->config_call,
		     "VHOST_VDPA_SET_CONFIG_CALL");
	efd_drain(v->config_call);
	wire_drain(v);
	f = tx_frame(v, 0);
	make_frame(v, f, v->wire_mac, v->mac, len);
	vq_desc_set(&v->vq[VQ_TX].desc[0], phys_of(f - HDR_LEN), HDR_LEN + len,
		    0, 0);
	vq_avail_put(&v->vq[VQ_TX], 0);
	vq_enable(&v->h, VQ_RX);
	vq_enable(&v->h, VQ_TX);
	dev_go(v);
	vq_kick(&v->vq[VQ_TX]);
	expect_reset(v, what);
	check(wire_recv(v, got, &vlan, 300) < 0, "%s: no frame for the wire",
	      what);
	expect_recovery(v, what);
}

/*
 * The transmit available index set more than the ring's size ahead, once
 * the device has read it and taken every buffer it knew of.
 */
static void case_avail_past(struct vh *v)
{
	const char *what = "avail-past (available index past the ring)";
	struct vq *vq = &v->vq[VQ_TX];

	dev_setup(v);
	efd_drain(v->config_call);
	check(tx_frames(v, v->mac, 2, true) == 2, "%s: two frames first",
	      what);
	__atomic_store_n(&vq->avail->idx, htole16(vq->avail_idx + NUM + 1),
			 __ATOMIC_RELEASE);
	vq_kick(vq);
	expect_reset(v, what);
	expect_recovery(v, what);
}

static const struct {
	const char *name;
	void (*fn)(struct vh *v);
	bool wire;
} cases[] = {
	{ "info", case_info, false },
	{ "rx", case_rx, true },
	{ "rx-burst", case_rx_burst, true },
	{ "rx-refill", case_rx_refill, true },
	{ "bcast", case_bcast, true },
	{ "filter", case_filter, true },
	{ "tx", case_tx, true },
	{ "spoof", case_spoof, true },
	{ "chain", case_chain, true },
	{ "rx-small", case_rx_small, true },
	{ "no-irq", case_no_irq, true },
	{ "kick-idle", case_kick_idle, true },
	{ "kick-start", case_kick_start, true },
	{ "suspend", case_suspend, true },
	{ "suspend-busy", case_suspend_busy, true },
	{ "avail-end", case_avail_end, true },
	{ "hold", case_hold, true },
	{ "ready", case_ready, true },
	{ "toggle", case_toggle, true },
	{ "toggle-unmap", case_toggle_unmap, true },
	{ "mtu-promise", case_mtu_promise, true },
	{ "bad-addr", case_bad_addr, true },
	{ "no-config-call", case_no_config_call, true },
	{ "call-shared", case_call_shared, true },
	{ "bad-addr-rx", case_bad_addr_rx, true },
	{ "loop", case_loop, true },
	{ "bad-next", case_bad_next, true },
	{ "tx-short", case_tx_short, true },
	{ "tx-long", case_tx_long, true },
	{ "rx-ro", case_rx_ro, true },
	{ "tx-wo", case_tx_wo, true },
	{ "rx-perm", case_rx_perm, true },
	{ "tx-perm", case_tx_perm, true },
	{ "indirect", case_indirect, true },
	{ "ring-unmapped", case_ring_unmapped, true },
	{ "ring-gone", case_ring_gone, true },
	{ "avail-past", case_avail_past, true },
	{ "host-pa", case_host_pa, true },
	{ "unmap-batch", case_unmap_batch, true },
	{ "map-cost", case_map_cost, true },
};

static void help(const char *prog)
{
	size_t c;

	fprintf(stderr, "usage: %s %s\ncases:", prog,
		"[-w WIRE] [-N NIC] [-m MAC] [-M MTU] [-s SYSFS_VMQ_DIR] [-n N] [-t S] [-c COUNTERS] [-r PAGE_REFS] DEV CASE...");
	for (c = 0; c < ARRAY_SIZE(cases); c++)
		fprintf(stderr, " %s", cases[c].name);
	fprintf(stderr, "\n");
}

int main(int argc, char **argv)
{
	struct vh v = { .count = 12, .timeout = 3000, .rx_len = BUF_LEN,
			.wire_sock = -1, .nic = "vmq0" };
	const char *wire = "vmq0w";
	bool config_read = false;
	size_t c;
	int opt, i;

	while ((opt = getopt(argc, argv, "w:m:M:s:n:t:c:N:r:")) != -1) {
		switch (opt) {
		case 'w':
			wire = optarg;
			break;
		case 'N':
			v.nic = optarg;
			break;
		case 'm':
			if (parse_mac(optarg, v.want_mac)) {
				help(argv[0]);
				return 2;
			}
			v.have_want_mac = true;
			break;
		case 'M':
			v.want_mtu = atoi(optarg);
			break;
		case 's':
			v.sysfs = optarg;
			break;
		case 'n':
			v.count = atoi(optarg);
			break;
		case 't':
			v.timeout = atoi(optarg) * 1000;
			break;
		case 'c':
			v.counters = optarg;
			break;
		case 'r':
			v.page_refs = optarg;
			break;
		default:
			help(argv[0]);
			return 2;
		}
	}
	v.wire = wire;
	if (optind + 2 > argc) {
		/* Run bare (as a kselftest runner would): a helper, not a test. */
		help(argv[0]);
		return KSFT_SKIP;
	}
	v.h.path = argv[optind++];
	for (i = optind; i < argc; i++) {
		for (c = 0; c < ARRAY_SIZE(cases); c++)
			if (!strcmp(argv[i], cases[c].name))
				break;
		if (c == ARRAY_SIZE(cases)) {
			fprintf(stderr, "unknown case %s\n", argv[i]);
			help(argv[0]);
			return 2;
		}
	}
	signal(SIGUSR1, on_signal);
	signal(SIGTERM, on_signal);
	vh_open(&v);
	for (i = optind; i < argc; i++) {
		for (c = 0; c < ARRAY_SIZE(cases); c++)
			if (!strcmp(argv[i], cases[c].name))
				break;
		if (cases[c].wire && v.wire_sock < 0)
			wire_open(&v, wire);
		/* Every case needs the device's MAC and MTU: info reads them. */
		if (!config_read && cases[c].fn != case_info) {
			int saved = failures;

			case_info(&v);
			if (failures == saved)
				printf("(info checked first: MAC %s MTU %u)\n",
				       mac_str(v.mac), v.mtu);
		}
		config_read = true;
		cases[c].fn(&v);
	}
	vhost_status_set(&v.h, 0);
	close(v.h.fd);
	printf("%s: %d failure(s)\n", v.h.path, failures);
	return failures ? 1 : 0;
}
