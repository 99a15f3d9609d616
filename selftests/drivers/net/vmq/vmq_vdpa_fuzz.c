// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vdpa_fuzz: a seeded fuzzer for a vmq_vdpa device bound to
 * vhost_vdpa, played as a hostile VMM (Documentation/networking/vmq.rst,
 * "A queue pair as a vDPA virtio-net device").
 *
 *   vmq_vdpa_fuzz [-s SEED] [-n OPS] [-t SECS] [-w WIRE] [-m MAC]
 *                 [-S STATE] [-N NIC -Q QP] DEV
 *
 * The VMM misbehaves at random, OPS times (default 10000) or for SECS:
 * descriptors at addresses inside, outside and straddling its mappings,
 * of length 0 or huge, with wrong-direction, INDIRECT and NEXT flags
 * (loops, entries past the ring), available index jumps, ring sizes,
 * misaligned ring addresses, status writes in odd orders (DRIVER_OK
 * without FEATURES_OK, resets under traffic), SET_VRING_ENABLE 0/1,
 * SUSPEND/RESUME, SET/GET_VRING_BASE in any state, IOTLB updates and
 * invalidations (of the rings and buffers under the device, overlapping,
 * inside batches), kicks, closing and reopening the device, while frames
 * arrive from WIRE (default vmq0w) and the guest transmits.  MAC is the
 * device's (default 52:54:00:00:00:01); STATE its
 * /sys/bus/vdpa/devices/NAME/vmq/state, which must read "error" while
 * the status shows NEEDS_RESET.  NIC and QP name the device's queue pair,
 * whose qpQP_rx_drops (ethtool -S NIC) says whether a round trip's frame
 * that never came was dropped.
 *
 * Guest memory is one area at IOVA GUEST_IOVA (and the same memory again
 * at ALIAS_IOVA): rings, receive buffers, transmit buffers, and canary
 * regions never posted as receive buffers or used rings.  The device may
 * write only the rings' area and the receive-buffer area: the rest is
 * compared with its first contents at every reset and at the end.  Receive
 * descriptors point into the receive-buffer area or at memory the device
 * may not write (read-only or never mapped); a map never gives more
 * access than a region's own.  Whenever the status shows NEEDS_RESET the
 * fuzzer checks, now and then, that the device then writes no guest
 * memory while frames arrive and both virtqueues are kicked.  Every
 * reset (status 0, and the close of the device) is followed by a clean
 * setup and a round trip: a frame sent on WIRE received, one transmitted
 * seen on WIRE.
 *
 * Findings are checks that failed, each printed with the seed and the
 * operation number.  The last line has the figures: seed, operations,
 * resets, NEEDS_RESET seen, findings, time.  Exits 0 without findings,
 * 1 with, 4 if the device cannot be opened.
 */

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/vhost.h>
#include <linux/vhost_types.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <pthread.h>
#include <unistd.h>
#include "vmq_vhost_lib.h"

/*
 * Guest memory, offsets from GUEST_IOVA (and ALIAS_IOVA): what each region
 * is, and the most access a map of it may give the device.
 */
#define GUEST_IOVA	0x100000ULL
#define ALIAS_IOVA	0x80000000ULL
#define FAR_IOVA	0x40000000ULL	/* never mapped */
#define PAGE		0x1000ULL

enum region { R_CANARY0, R_RING, R_CANARY1, R_RXBUF, R_RO, R_HOLE, R_TXBUF,
	      R_WO, NR_REGIONS };

static const struct {
	const char *name;
	__u64 off, size;
	__u8 perm;		/* 0: never mapped */
	bool writable;		/* the device may write it */
} reg[NR_REGIONS] = {
	[R_CANARY0] = { "canary0", 0x000000, 0x10000, VHOST_ACCESS_RW },
	[R_RING] = { "rings", 0x010000, 0x8000, VHOST_ACCESS_RW, true },
	[R_CANARY1] = { "canary1", 0x018000, 0x8000, VHOST_ACCESS_RW },
	[R_RXBUF] = { "rx buffers", 0x020000, 0x80000, VHOST_ACCESS_RW, true },
	[R_RO] = { "read-only canary", 0x0a0000, 0x10000, VHOST_ACCESS_RO },
	[R_HOLE] = { "unmapped canary", 0x0b0000, 0x10000, 0 },
	[R_TXBUF] = { "tx buffers", 0x0c0000, 0x80000, VHOST_ACCESS_RW },
	[R_WO] = { "write-only canary", 0x140000, 0x10000, VHOST_ACCESS_WO },
};

#define GUEST_SIZE	0x150000ULL
#define NUM		64		/* entries in a clean setup */
#define BUF_LEN		2048
#define HDR_LEN		((__u32)sizeof(struct virtio_net_hdr_v1))
#define TX_SLOTS	(reg[R_TXBUF].size / BUF_LEN)
/* The last receive-buffer slot carries the round trip's transmit frame. */
#define RT_TX_OFF	(reg[R_RXBUF].off + reg[R_RXBUF].size - BUF_LEN)
#define FUZZ_ETHERTYPE	0x88b6
#define NR_VQS		2
#define VQ_RX		0
#define VQ_TX		1

#define WANT_FEATURES	(BIT_ULL(VIRTIO_F_VERSION_1) | \
			 BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) | \
			 BIT_ULL(VIRTIO_NET_F_MAC) | \
			 BIT_ULL(VIRTIO_NET_F_STATUS) | \
			 BIT_ULL(VIRTIO_NET_F_MTU))

struct fuzz {
	struct vhost h;
	__u8 *mem, *shadow, *snap;
	struct vq vq[NR_VQS];
	int config_call;
	int wire_sock, wire_ifindex;
	__u8 mac[ETH_ALEN], wire_mac[ETH_ALEN];
	bool in_batch;
	bool quiet_checked;	/* this NEEDS_RESET episode's check done */
	bool hostile;		/* this run of the device's: bad buffers too */
	struct fuzz_run run;
	__u64 rng, rng2;
	__u64 resets, round_trips, needs_reset, quiet_checks, reopens;
	__u64 rx_used, tx_used, suspend_checks;
	__u32 seq;
	int timeout;
	const char *state;	/* the device's vmq/state in sysfs, or NULL */
	const char *nic;	/* the NIC whose queue pair it is, or NULL */
	unsigned int qp;	/* that queue pair */
};

static struct fuzz fz;

#define finding(...)	fuzz_finding(&fz.run, __VA_ARGS__)

/* --- figures and findings ------------------------------------------------ */

/* xorshift64*: the same seed, the same operations. */
static __u64 rnd(void)
{
	return xorshift64s(&fz.rng);
}

static __u32 below(__u32 n)
{
	return n ? rnd() % n : 0;
}

static bool chance(__u32 percent)
{
	return below(100) < percent;
}

/*
 * For choices that depend on what the device did when (an error seen
 * or not): from a generator of their own, so that the operations drawn
 * from rnd() stay the same from one run of a seed to the next.
 */
static bool chance2(__u32 percent)
{
	return xorshift64s(&fz.rng2) % 100 < percent;
}

/* --- guest memory ---------------------------------------------------------- */

static __u64 iova_of(__u64 off)
{
	return GUEST_IOVA + off;
}

/* A frame of ours in transmit slot @k, behind a zeroed virtio_net_hdr. */
static void tx_slot_fill(__u32 k)
{
	__u8 *p = fz.mem + reg[R_TXBUF].off + (__u64)k * BUF_LEN;
	__u32 len = 60 + (k * 97) % (1514 - 60);
	__u32 i;

	memset(p, 0, HDR_LEN);
	memcpy(p + HDR_LEN, fz.wire_mac, ETH_ALEN);
	memcpy(p + HDR_LEN + ETH_ALEN, fz.mac, ETH_ALEN);
	p[HDR_LEN + 12] = FUZZ_ETHERTYPE >> 8;
	p[HDR_LEN + 13] = FUZZ_ETHERTYPE & 0xff;
	for (i = 14; i < len; i++)
		p[HDR_LEN + i] = (__u8)(k + i);
}

/* Canary everywhere, frames in the transmit slots; the copy to compare. */
static void memory_setup(void)
{
	__u64 i;
	__u32 k;

	fz.mem = anon(GUEST_SIZE);
	fz.shadow = anon(GUEST_SIZE);
	fz.snap = anon(GUEST_SIZE);
	for (i = 0; i < GUEST_SIZE; i++)
		fz.mem[i] = (__u8)(0xa5 ^ (i * 131) ^ (i >> 9));
	for (k = 0; k < TX_SLOTS; k++)
		tx_slot_fill(k);
	memcpy(fz.shadow, fz.mem, GUEST_SIZE);
}

/* Every region the device may not write still holds what it held. */
static void check_canary(const char *when)
{
	__u64 i;
	int r;

	for (r = 0; r < NR_REGIONS; r++) {
		if (reg[r].writable)
			continue;
		for (i = reg[r].off; i < reg[r].off + reg[r].size; i++)
			if (fz.mem[i] != fz.shadow[i])
				break;
		if (i == reg[r].off + reg[r].size)
			continue;
		finding("%s: %s changed at offset %#llx (IOVA %#llx): %#x, was %#x",
			when, reg[r].name, (unsigned long long)i,
			(unsigned long long)iova_of(i), fz.mem[i], fz.shadow[i]);
		/* Put it back, so that one write is one finding. */
		memcpy(fz.mem + reg[r].off, fz.shadow + reg[r].off,
		       reg[r].size);
	}
}

/* --- the device ------------------------------------------------------------ */

static int iotlb(__u8 type, __u64 iova, __u64 size, void *mem, __u8 perm)
{
	return vhost_iotlb_msg(&fz.h, type, iova, size, mem, perm);
}

static bool has_backend(int feature)
{
	return fz.h.backend & BIT_ULL(feature);
}

static __u8 status_get(void)
{
	__u8 s = 0;

	if (vhost_ioctl(&fz.h, VHOST_VDPA_GET_STATUS, &s))
		finding("VHOST_VDPA_GET_STATUS failed: %s", strerror(errno));
	return s;
}

static int status_set(__u8 s)
{
	return vhost_ioctl(&fz.h, VHOST_VDPA_SET_STATUS, &s);
}

/* Every region mapped as a clean setup has it, after whatever was. */
static void map_clean(void)
{
	int r;

	if (has_backend(VHOST_BACKEND_F_IOTLB_BATCH))
		iotlb(VHOST_IOTLB_BATCH_BEGIN, 0, 0, NULL, 0);
	iotlb(VHOST_IOTLB_INVALIDATE, 0, ~0ULL, NULL, 0);
	for (r = 0; r < NR_REGIONS; r++) {
		if (!reg[r].perm)
			continue;
		if (iotlb(VHOST_IOTLB_UPDATE, iova_of(reg[r].off), reg[r].size,
			  fz.mem + reg[r].off, reg[r].perm))
			finding("clean map of %s refused: %s", reg[r].name,
				strerror(errno));
	}
	if (has_backend(VHOST_BACKEND_F_IOTLB_BATCH))
		iotlb(VHOST_IOTLB_BATCH_END, 0, 0, NULL, 0);
	fz.in_batch = false;
}

static __u64 ring_iova(int q)
{
	return iova_of(reg[R_RING].off) + q * VQ_STRIDE;
}

static void rx_post_clean(__u32 i)
{
	struct vq *vq = &fz.vq[VQ_RX];
	__u64 off = reg[R_RXBUF].off + (__u64)i * BUF_LEN;

	vq_desc_set(&vq->desc[i % vq->num], iova_of(off), BUF_LEN,
		    VRING_DESC_F_WRITE, 0);
	vq_avail_put(vq, i % vq->num);
}

/*
 * A reset, then a clean setup: a clean map, both virtqueues laid out
 * anew with every receive buffer posted, DRIVER_OK.  False (with a
 * finding) if the device refuses any of it.
 */
static bool setup_clean(const char *why)
{
	__u64 features;
	__u8 s;
	int q;
	__u32 i;

	if (status_set(0))
		finding("%s: reset refused: %s", why, strerror(errno));
	s = status_get();
	if (s)
		finding("%s: status %#x after a reset", why, s);
	fz.quiet_checked = false;
	check_canary(why);
	map_clean();
	status_set(VIRTIO_CONFIG_S_ACKNOWLEDGE);
	status_set(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	features = WANT_FEATURES;
	if (vhost_ioctl(&fz.h, VHOST_SET_FEATURES, &features)) {
		finding("%s: VHOST_SET_FEATURES after a reset: %s", why,
			strerror(errno));
		return false;
	}
	status_set(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		   VIRTIO_CONFIG_S_FEATURES_OK);
	for (q = 0; q < NR_VQS; q++) {
		struct vhost_vring_state on = { .index = q, .num = 1 };

		/* vq_setup() dies on a refusal: a finding too. */
		vq_setup(&fz.h, &fz.vq[q], q, NUM,
			 fz.mem + reg[R_RING].off + q * VQ_STRIDE,
			 ring_iova(q));
		if (vhost_ioctl(&fz.h, VHOST_VDPA_SET_VRING_ENABLE, &on))
			finding("%s: enable of virtqueue %d: %s", why, q,
				strerror(errno));
	}
	if (vhost_ioctl(&fz.h, VHOST_VDPA_SET_CONFIG_CALL, &fz.config_call))
		finding("%s: VHOST_VDPA_SET_CONFIG_CALL: %s", why,
			strerror(errno));
	efd_drain(fz.config_call);
	for (i = 0; i < NUM; i++)
		rx_post_clean(i);
	status_set(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		   VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	vq_kick(&fz.vq[VQ_RX]);
	s = status_get();
	if (!(s & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    (s & VIRTIO_CONFIG_S_NEEDS_RESET)) {
		finding("%s: status %#x after a clean setup", why, s);
		return false;
	}
	return true;
}

/* The next used entry of @q within @ms: its head and length. */
static bool used_next(int q, __u32 *id, __u32 *len, int ms)
{
	struct vq *vq = &fz.vq[q];
	struct vring_used_elem *e;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (le16toh(__atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE)) ==
	       vq->last_used) {
		if (ms_since(&t0) >= ms)
			return false;
		efd_wait(vq->call, 5);
	}
	e = &vq->used->ring[vq->last_used % vq->num];
	*id = le32toh(e->id);
	*len = le32toh(e->len);
	vq->last_used++;
	return true;
}

/* The queue pair's qpQP_rx_drops, or -1 without -N and -Q. */
static long long rx_drops(void)
{
	char cmd[64], line[128], key[32], name[32];
	long long v, n = -1;
	FILE *f;

	if (!fz.nic)
		return -1;
	snprintf(cmd, sizeof(cmd), "ethtool -S %s", fz.nic);
	snprintf(key, sizeof(key), "qp%u_rx_drops", fz.qp);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %31[^:]: %lld", name, &v) == 2 &&
		    !strcmp(name, key))
			n = v;
	pclose(f);
	return n;
}

/*
 * A frame sent on the wire arrives whole in a receive buffer (the
 * background traffic's frames are taken and their buffers posted again);
 * one transmitted goes out on the wire.
 */
static void round_trip(const char *why)
{
	__u8 frame[ETH_FRAME_LEN], got[ETH_FRAME_LEN + 8];
	struct vq *rx = &fz.vq[VQ_RX], *tx = &fz.vq[VQ_TX];
	__u32 id, len, seq, flen = 200;
	long long drops = -1;
	struct timespec t0;
	int n, tries = 0, got_any = 0;
	bool ok = false;
	__u16 vlan;
	__u8 *p;

	fz.round_trips++;
	wire_sock_drain(fz.wire_sock);
	seq = test_frame(++fz.seq, frame, fz.mac, fz.wire_mac, flen);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/*
	 * The partner floods the device too, so the frame may find no
	 * buffer: sent again only while the queue pair counts a drop for
	 * each try that came to nothing.
	 */
	for (n = 0; !ok && n < 3; n++) {
		drops = rx_drops();
		wire_sock_send(fz.wire_sock, frame, flen, 0);
		tries++;
		while (!ok && used_next(VQ_RX, &id, &len, fz.timeout / 3)) {
			if (id >= NUM) {
				finding("%s: rx used id %u of %u", why, id,
					NUM);
				break;
			}
			p = fz.mem + reg[R_RXBUF].off + (__u64)id * BUF_LEN;
			ok = len == HDR_LEN + flen &&
			     !memcmp(p + HDR_LEN, frame, flen);
			rx_post_clean(id);
			vq_kick(rx);
			got_any++;
		}
		if (!ok && (drops < 0 || rx_drops() == drops))
			break;
	}
	if (!ok) {
		struct vhost_vring_state b = { .index = VQ_RX };

		vhost_ioctl(&fz.h, VHOST_GET_VRING_BASE, &b);
		finding("%s: rx round trip: frame %u lost in %ld ms after %d tries, %d others came",
			why, seq, ms_since(&t0), tries, got_any);
		finding("%s: status %#x, avail %u used %u, device at %u, drops %lld then %lld",
			why, status_get(), rx->avail_idx,
			le16toh(rx->used->idx), b.num, drops, rx_drops());
	}

	p = fz.mem + RT_TX_OFF;
	memset(p, 0, HDR_LEN);
	seq = test_frame(++fz.seq, p + HDR_LEN, fz.wire_mac, fz.mac, flen);
	vq_desc_set(&tx->desc[0], iova_of(RT_TX_OFF), HDR_LEN + flen, 0, 0);
	vq_avail_put(tx, 0);
	vq_kick(tx);
	ok = false;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!ok && ms_since(&t0) < fz.timeout) {
		n = wire_sock_recv(fz.wire_sock, got, &vlan, fz.timeout);
		if (n < 0)
			break;
		ok = n == (int)flen && !memcmp(got + 14, &seq, 4) &&
		     !memcmp(got, p + HDR_LEN, flen);
	}
	if (!ok)
		finding("%s: tx round trip: frame %u never went out (status %#x)",
			why, seq, status_get());
	else if (!used_next(VQ_TX, &id, &len, fz.timeout) || id)
		finding("%s: tx round trip: the buffer was not used", why);
}

/* A reset and a clean setup, then a round trip must work. */
static void recover(const char *why)
{
	fz.resets++;
	if (setup_clean(why))
		round_trip(why);
	/*
	 * Half the device's runs the driver posts only good buffers, so
	 * that the rest (suspends, enables, map changes, resets) meets a
	 * device at work rather than one stopped by an error.
	 */
	fz.hostile = chance2(50);
}

static void reopen(void)
{
	int fd;

	close(fz.h.fd);
	fz.h.mapped = false;
	fz.reopens++;
	/* Released by the close: opening again must work at once. */
	fd = open(fz.h.path, O_RDWR);
	if (fd < 0) {
		finding("open after close: %s: %s", fz.h.path,
			strerror(errno));
		usleep(100000);
	} else {
		close(fd);
	}
	vhost_open(&fz.h);
	/* The close reset the device: it must not have written since. */
	check_canary("close");
}

/* The device's vmq/state, "" without -S. */
static const char *sysfs_state(void)
{
	static char buf[32];
	ssize_t n = 0;
	int fd;

	buf[0] = '\0';
	if (!fz.state)
		return buf;
	fd = open(fz.state, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/*
 * The device in NEEDS_RESET starts nothing more: a pass it was already
 * in when the error came may still land its writes (as in virtio, the
 * reset is what fences DMA), so after a moment's settling it writes no
 * guest memory, not while frames arrive for it, not when both
 * virtqueues are kicked with buffers available.
 */
static void check_quiet(void)
{
	__u8 frame[ETH_FRAME_LEN];
	__u64 i, end;
	int r, k;

	fz.quiet_checks++;
	fz.quiet_checked = true;
	usleep(100000);
	memcpy(fz.snap, fz.mem, GUEST_SIZE);
	/* "error" first, whatever else holds (vmq.rst). */
	if (fz.state && strcmp(sysfs_state(), "error"))
		finding("NEEDS_RESET (%#x): vmq/state reads \"%s\"",
			status_get(), sysfs_state());
	for (k = 0; k < 4; k++) {
		test_frame(++fz.seq, frame, fz.mac, fz.wire_mac, 100);
		wire_sock_send(fz.wire_sock, frame, 100, 0);
	}
	vq_kick(&fz.vq[VQ_RX]);
	vq_kick(&fz.vq[VQ_TX]);
	usleep(20000);
	for (r = 0; r < NR_REGIONS; r++) {
		end = reg[r].off + reg[r].size;
		for (i = reg[r].off; i < end; i++)
			if (fz.mem[i] != fz.snap[i])
				break;
		if (i < end)
			finding("NEEDS_RESET (%#x): the device wrote %s at %#llx: %#x, was %#x",
				status_get(), reg[r].name,
				(unsigned long long)iova_of(i), fz.mem[i],
				fz.snap[i]);
	}
}

/* --- addresses the operations use ------------------------------------------ */

/* Somewhere anywhere: the device may read it (or must refuse). */
static __u64 any_addr(__u32 len)
{
	static const __u64 far[] = {
		0, FAR_IOVA, ~0ULL - 0xfff, ~0ULL, 0xfffffffffffff000ULL,
		GUEST_IOVA - 1, GUEST_IOVA + GUEST_SIZE - 8,
	};

	switch (below(6)) {
	case 0:
		return far[below(ARRAY_SIZE(far))];
	case 1:
		return ALIAS_IOVA + below(GUEST_SIZE);
	case 2:	/* straddling the end of a region */
		return iova_of(reg[below(NR_REGIONS)].off) - below(len + 1);
	default:
		return iova_of(below(GUEST_SIZE));
	}
}

/*
 * A receive buffer: in the receive-buffer area, or where the device may
 * not write (a read-only or unmapped region, straddling into one, far).
 * @len: its length, which stays inside what the device may write.
 */
static __u64 rx_addr(__u32 *len)
{
	const __u64 lo = reg[R_RXBUF].off, size = reg[R_RXBUF].size;
	__u64 off;

	switch (below(10)) {
	case 0:	/* from the buffers into the read-only canary */
		return iova_of(reg[R_RO].off) -
		       below((*len < size ? *len : size) + 1);
	case 1:
		off = reg[below(2) ? R_RO : R_HOLE].off;
		return iova_of(off + below(0x10000 - *len % 0x10000));
	case 2:
		return below(2) ? FAR_IOVA : ~0ULL - below(0x1000);
	case 3: /* the same, through the alias */
		if (*len > size)
			*len = size;
		return ALIAS_IOVA + lo + below(size - *len + 1);
	default:
		if (*len > size)
			*len = size;
		return iova_of(lo + below(size - *len + 1));
	}
}

static __u32 any_len(void)
{
	static const __u32 lens[] = {
		0, 1, 11, 12, 13, 14, 26, 60, 1514, 1526, 1532, 1533, 2048,
		4096, 9000, 65536, 0x7fffffff, 0xffffffff,
	};

	return below(3) ? HDR_LEN + 60 + below(1500) :
			  lens[below(ARRAY_SIZE(lens))];
}

static __u16 any_flags(__u16 usual)
{
	static const __u16 flags[] = {
		0, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE, VRING_DESC_F_INDIRECT,
		VRING_DESC_F_NEXT | VRING_DESC_F_WRITE,
		VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE, 0xffff,
	};

	return chance(70) ? usual : flags[below(ARRAY_SIZE(flags))];
}

static __u16 any_next(struct vq *vq, __u16 i)
{
	switch (below(5)) {
	case 0:
		return i;				/* a loop */
	case 1:
		return vq->num + below(300);		/* past the ring */
	case 2:
		return 0xffff;
	default:
		return (i + 1) % vq->num;
	}
}

/* --- the operations -------------------------------------------------------- */

static void op_rx_post(void)
{
	struct vq *vq = &fz.vq[VQ_RX];
	__u16 i = below(vq->num), n = 1 + (chance(20) ? below(4) : 0), k;
	__u32 len;
	__u16 flags;

	if (!fz.hostile) {
		rx_post_clean(below(NUM));
		if (chance(80))
			vq_kick(vq);
		return;
	}

	for (k = 0; k < n; k++) {
		__u16 d = (i + k) % vq->num;

		len = chance(80) ? BUF_LEN : any_len();
		flags = any_flags(VRING_DESC_F_WRITE |
				  (k + 1 < n ? VRING_DESC_F_NEXT : 0));
		/*
		 * Whatever the flags say, the address is one a write may
		 * reach (an INDIRECT table the device would read, too).
		 */
		vq_desc_set(&vq->desc[d], rx_addr(&len), len, flags,
			    flags & VRING_DESC_F_NEXT ? any_next(vq, d) :
			    below(vq->num));
	}
	vq_avail_put(vq, chance(95) ? i : below(0x10000));
	if (chance(80))
		vq_kick(vq);
}

static void op_tx_post(void)
{
	struct vq *vq = &fz.vq[VQ_TX];
	__u16 i = below(vq->num), n = 1 + (chance(20) ? below(4) : 0), k;
	__u32 slot, len;
	__u16 flags;
	__u64 addr;

	if (!fz.hostile) {
		/* A good frame, in one descriptor or header and frame apart. */
		slot = below(TX_SLOTS);
		addr = iova_of(reg[R_TXBUF].off + (__u64)slot * BUF_LEN);
		len = HDR_LEN + 60 + (slot * 97) % (1514 - 60);
		if (chance(50)) {
			vq_desc_set(&vq->desc[i], addr, HDR_LEN,
				    VRING_DESC_F_NEXT, (i + 1) % vq->num);
			vq_desc_set(&vq->desc[(i + 1) % vq->num],
				    addr + HDR_LEN, len - HDR_LEN, 0, 0);
		} else {
			vq_desc_set(&vq->desc[i], addr, len, 0, 0);
		}
		vq_avail_put(vq, i);
		if (chance(80))
			vq_kick(vq);
		return;
	}

	for (k = 0; k < n; k++) {
		__u16 d = (i + k) % vq->num;

		slot = below(TX_SLOTS);
		if (chance(70)) {
			addr = iova_of(reg[R_TXBUF].off + (__u64)slot * BUF_LEN);
			len = HDR_LEN + 60 + (slot * 97) % (1514 - 60);
		} else {
			len = any_len();
			addr = any_addr(len);
		}
		flags = any_flags(k + 1 < n ? VRING_DESC_F_NEXT : 0);
		/*
		 * Wrong-way buffers the device must refuse, but still where
		 * a write would be allowed: any descriptor the device reads
		 * (a table the driver moved) must be one it may write.
		 */
		if (flags & VRING_DESC_F_WRITE)
			addr = rx_addr(&len);
		vq_desc_set(&vq->desc[d], addr, len, flags,
			    flags & VRING_DESC_F_NEXT ? any_next(vq, d) :
			    below(vq->num));
	}
	vq_avail_put(vq, chance(95) ? i : below(0x10000));
	if (chance(80))
		vq_kick(vq);
}

static void op_avail_jump(void)
{
	struct vq *vq = &fz.vq[below(NR_VQS)];
	static const __u16 jumps[] = { 1, 2, 63, 64, 65, 128, 256, 257,
				       0x7fff, 0x8000, 0xffff };

	if (!fz.hostile)
		return;

	vq->avail_idx += jumps[below(ARRAY_SIZE(jumps))];
	if (chance(10))
		vq->avail_idx = rnd();
	__atomic_store_n(&vq->avail->idx, htole16(vq->avail_idx),
			 __ATOMIC_RELEASE);
	if (chance(30))
		vq->avail->flags = htole16(below(4));
	vq_kick(vq);
}

/* Take what the device used, and post the receive buffers again. */
static void op_used_take(void)
{
	struct vq *vq = &fz.vq[VQ_RX];
	__u16 idx = le16toh(__atomic_load_n(&vq->used->idx,
					    __ATOMIC_ACQUIRE));
	int n = 0;

	struct vring_used_elem *e;
	__u32 id, len;

	while (vq->last_used != idx && n++ < 64) {
		e = &vq->used->ring[vq->last_used % vq->num];
		id = le32toh(e->id);
		len = le32toh(e->len);
		/* Only good buffers were posted since the last reset. */
		if (!fz.hostile && (id >= NUM || len > BUF_LEN ||
				    (len && len < HDR_LEN + 14)))
			finding("rx used element %u: id %u len %u, of %u buffers of %u bytes",
				vq->last_used, id, len, NUM, BUF_LEN);
		rx_post_clean(id % NUM);
		vq->last_used++;
		fz.rx_used++;
	}
	vq = &fz.vq[VQ_TX];
	idx = le16toh(__atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE));
	while (vq->last_used != idx && n++ < 128) {
		id = le32toh(vq->used->ring[vq->last_used % vq->num].id);
		if (!fz.hostile && id >= vq->num)
			finding("tx used element %u: id %u of %u",
				vq->last_used, id, vq->num);
		vq->last_used++;
		fz.tx_used++;
	}
	vq = &fz.vq[VQ_RX];
	vq_kick(vq);
	efd_drain(fz.vq[VQ_RX].call);
	efd_drain(fz.vq[VQ_TX].call);
	wire_sock_drain(fz.wire_sock);
}

static void op_kick(void)
{
	vq_kick(&fz.vq[below(NR_VQS)]);
}

static void op_wire_send(void)
{
	__u8 frame[ETH_FRAME_LEN];
	__u32 len = 60 + below(1454);

	test_frame(++fz.seq, frame, chance(80) ? fz.mac :
		   (const __u8 *)"\xff\xff\xff\xff\xff\xff", fz.wire_mac, len);
	wire_sock_send(fz.wire_sock, frame, len, 0);
}

static void op_vring_num(void)
{
	static const __u32 nums[] = { 0, 1, 2, 3, 16, 64, 100, 128, 255, 256,
				      257, 512, 1024, 32768, 65535 };
	int q = below(NR_VQS + 1);
	struct vhost_vring_state s = { .index = q,
				       .num = nums[below(ARRAY_SIZE(nums))] };

	if (!fz.hostile)
		s.num = NUM;	/* the same again */
	if (!vhost_ioctl(&fz.h, VHOST_SET_VRING_NUM, &s) && q < NR_VQS &&
	    s.num && s.num <= VQ_MAX_NUM)
		fz.vq[q].num = s.num;
}

static void op_vring_addr(void)
{
	int q = below(NR_VQS);
	__u64 base = ring_iova(q), desc, avail, used;
	struct vhost_vring_addr addr = {};

	desc = chance(70) ? base + (chance(50) ? 0 : below(16)) :
			    any_addr(16 * VQ_MAX_NUM);
	avail = chance(70) ? base + VQ_AVAIL_OFF + (chance(50) ? 0 : below(4)) :
			     any_addr(6 + 2 * VQ_MAX_NUM);
	/* The used ring: only in the rings' area, or where no write lands. */
	switch (below(6)) {
	case 0:
		used = base + VQ_USED_OFF + below(0x1000);
		break;
	case 1:
		used = iova_of(reg[below(2) ? R_RO : R_HOLE].off) + below(0x8000);
		break;
	case 2:
		used = chance(50) ? FAR_IOVA : ~0ULL - below(0x3000);
		break;
	default:
		used = base + VQ_USED_OFF + (chance(80) ? 0 : below(8));
	}
	if (!fz.hostile) {	/* where they are */
		desc = base;
		avail = base + VQ_AVAIL_OFF;
		used = base + VQ_USED_OFF;
	}
	addr.index = q;
	addr.desc_user_addr = desc;
	addr.avail_user_addr = avail;
	addr.used_user_addr = used;
	vhost_ioctl(&fz.h, VHOST_SET_VRING_ADDR, &addr);
}

static void op_vring_base(void)
{
	struct vhost_vring_state s = { .index = below(NR_VQS + 1) };

	if (chance(50)) {
		vhost_ioctl(&fz.h, VHOST_GET_VRING_BASE, &s);
		return;
	}
	if (!fz.hostile) {
		/* Where the device is, as a migration sets it. */
		if (vhost_ioctl(&fz.h, VHOST_GET_VRING_BASE, &s))
			return;
	} else {
		s.num = chance(50) ? below(0x10000) :
				     fz.vq[s.index % NR_VQS].avail_idx;
	}
	vhost_ioctl(&fz.h, VHOST_SET_VRING_BASE, &s);
}

static void op_vring_enable(void)
{
	struct vhost_vring_state s = { .index = below(NR_VQS + 1),
				       .num = chance(60) };

	if (chance(5))
		s.num = rnd();
	vhost_ioctl(&fz.h, VHOST_VDPA_SET_VRING_ENABLE, &s);
}

/*
 * A virtqueue's kick or call eventfd: none, its own, the other
 * virtqueue's, the config interrupt's.  (Both virtqueues with one call
 * eventfd once crashed 6.12 through irq bypass: vmq_vhost's call-shared
 * case.)
 */
static void op_vring_fds(void)
{
	struct vhost_vring_file f = { .index = below(NR_VQS) };
	int fds[] = { -1, fz.vq[f.index].kick, fz.vq[f.index].call,
		      fz.config_call, fz.vq[!f.index].kick,
		      fz.vq[!f.index].call };

	f.fd = fds[below(ARRAY_SIZE(fds))];
	if (chance(50))
		vhost_ioctl(&fz.h, VHOST_SET_VRING_KICK, &f);
	else
		vhost_ioctl(&fz.h, VHOST_SET_VRING_CALL, &f);
	/* Put them back mostly: the round trip waits on them. */
	if (chance(70)) {
		f.fd = fz.vq[f.index].kick;
		vhost_ioctl(&fz.h, VHOST_SET_VRING_KICK, &f);
		f.fd = fz.vq[f.index].call;
		vhost_ioctl(&fz.h, VHOST_SET_VRING_CALL, &f);
	}
}

static void op_status(void)
{
	static const __u8 steps[] = {
		VIRTIO_CONFIG_S_ACKNOWLEDGE,
		VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER,
		VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			VIRTIO_CONFIG_S_FEATURES_OK,
		VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			VIRTIO_CONFIG_S_DRIVER_OK,
		VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK,
		VIRTIO_CONFIG_S_DRIVER_OK,
		VIRTIO_CONFIG_S_FAILED,
		VIRTIO_CONFIG_S_NEEDS_RESET,
		0xff,
	};
	__u8 s = chance(80) ? steps[below(ARRAY_SIZE(steps))] : rnd();

	if (!s)
		s = VIRTIO_CONFIG_S_ACKNOWLEDGE;
	status_set(s);
}

static void op_features(void)
{
	__u64 f = chance(60) ? WANT_FEATURES : rnd();

	if (chance(20))
		f &= ~BIT_ULL(VIRTIO_F_VERSION_1);
	if (chance(50))
		vhost_ioctl(&fz.h, VHOST_GET_FEATURES, &f);
	else
		vhost_ioctl(&fz.h, VHOST_SET_FEATURES, &f);
}

/*
 * Suspended, the device completed every buffer it took (vmq.rst): each
 * virtqueue's base is the used index the driver sees.  Where the driver
 * moved nothing (no bad buffer, no base or ring of its own making) and
 * the device met no error.
 */
static void check_suspended(void)
{
	struct vhost_vring_state s;
	__u16 used;
	__u8 st;
	int q;

	st = status_get();
	if (fz.hostile || !(st & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    (st & VIRTIO_CONFIG_S_NEEDS_RESET))
		return;
	fz.suspend_checks++;
	for (q = 0; q < NR_VQS; q++) {
		s.index = q;
		if (vhost_ioctl(&fz.h, VHOST_GET_VRING_BASE, &s)) {
			finding("suspended: GET_VRING_BASE %d: %s", q,
				strerror(errno));
			continue;
		}
		used = le16toh(__atomic_load_n(&fz.vq[q].used->idx,
					       __ATOMIC_ACQUIRE));
		if (s.num != used)
			finding("suspended: virtqueue %d at %u, its used index %u (status %#x)",
				q, s.num, used, status_get());
	}
}

static void op_suspend(void)
{
	struct vhost_vring_state s = { .index = below(NR_VQS) };

	if (chance(50)) {
		if (!vhost_ioctl(&fz.h, VHOST_VDPA_SUSPEND, NULL))
			check_suspended();
		/* Read a virtqueue's base while suspended, as QEMU does. */
		if (chance(50))
			vhost_ioctl(&fz.h, VHOST_GET_VRING_BASE, &s);
	} else {
		vhost_ioctl(&fz.h, VHOST_VDPA_RESUME, NULL);
	}
}

static void op_config(void)
{
	__u8 buf[sizeof(struct vhost_vdpa_config) + 64];
	struct vhost_vdpa_config *c = (void *)buf;

	c->off = chance(70) ? below(16) : rnd();
	c->len = chance(70) ? below(16) : (chance(50) ? below(64) : rnd());
	if (c->len > 64 && chance(90))
		c->len = 64;
	memset(c->buf, below(256), 64);
	if (c->len > 64)	/* the kernel refuses it before reading */
		c->len = 64 + below(4096);
	if (c->len <= 64 || chance(1))
		vhost_ioctl(&fz.h, chance(70) ? VHOST_VDPA_GET_CONFIG :
			    VHOST_VDPA_SET_CONFIG, c);
}

/*
 * A map change: a region's own memory at its IOVA (or the alias's), never
 * with more access than the region's; parts of it, overlapping what is
 * mapped; invalidations of anything, the rings and buffers under the
 * device too; batches begun and ended; malformed messages.
 */
static void op_iotlb(void)
{
	static const __u8 perms[] = { VHOST_ACCESS_RO, VHOST_ACCESS_WO,
				      VHOST_ACCESS_RW };
	int r = below(NR_REGIONS), r2 = r + below(3);
	__u64 off, size, base = chance(80) ? GUEST_IOVA : ALIAS_IOVA;
	__u8 perm;
	int i;

	if (r2 >= NR_REGIONS)
		r2 = NR_REGIONS - 1;
	off = reg[r].off + (chance(50) ? 0 : below(reg[r].size / PAGE) * PAGE);
	size = reg[r2].off + reg[r2].size - off;
	if (chance(40))
		size = PAGE * (1 + below(size / PAGE));
	/* The access every region it covers allows. */
	perm = VHOST_ACCESS_RW;
	for (i = r; i < NR_REGIONS && reg[i].off < off + size; i++)
		perm &= reg[i].perm;

	switch (below(10)) {
	case 0:
	case 1:
	case 2:
	case 3:
		if (!perm)
			break;
		if (chance(30))
			perm &= perms[below(ARRAY_SIZE(perms))];
		if (perm)
			iotlb(VHOST_IOTLB_UPDATE, base + off, size,
			      fz.mem + off, perm);
		break;
	case 4:
	case 5:
	case 6:
		iotlb(VHOST_IOTLB_INVALIDATE, base + off, size, NULL, 0);
		break;
	case 7:
		if (!has_backend(VHOST_BACKEND_F_IOTLB_BATCH))
			break;
		iotlb(fz.in_batch ? VHOST_IOTLB_BATCH_END :
		      VHOST_IOTLB_BATCH_BEGIN, 0, 0, NULL, 0);
		fz.in_batch = !fz.in_batch;
		break;
	case 8:	/* malformed: no size, wrapping, memory we do not have */
		switch (below(4)) {
		case 0:
			iotlb(VHOST_IOTLB_UPDATE, base + off, 0, fz.mem + off,
			      VHOST_ACCESS_RO);
			break;
		case 1:
			iotlb(VHOST_IOTLB_UPDATE, ~0ULL - PAGE + 1, 2 * PAGE,
			      fz.mem, VHOST_ACCESS_RO);
			break;
		case 2:
			iotlb(VHOST_IOTLB_UPDATE, FAR_IOVA, PAGE,
			      (void *)(uintptr_t)0x1000, VHOST_ACCESS_RO);
			break;
		default:
			iotlb(below(256), base + off, size, fz.mem + off,
			      below(256) & ~VHOST_ACCESS_WO);
		}
		break;
	default: /* everything back as a clean setup maps it */
		map_clean();
	}
}

static void op_reset(void)
{
	/* Under traffic, then set up again and checked. */
	recover("reset");
}

static void op_reopen(void)
{
	reopen();
	recover("reopen");
}

static const struct {
	const char *name;
	void (*fn)(void);
	__u32 weight;
} ops[] = {
	{ "rx_post",	op_rx_post,	200 },
	{ "tx_post",	op_tx_post,	200 },
	{ "used_take",	op_used_take,	100 },
	{ "kick",	op_kick,	60 },
	{ "wire_send",	op_wire_send,	60 },
	{ "avail_jump",	op_avail_jump,	15 },
	{ "vring_num",	op_vring_num,	10 },
	{ "vring_addr",	op_vring_addr,	15 },
	{ "vring_base",	op_vring_base,	20 },
	{ "enable",	op_vring_enable, 25 },
	{ "vring_fds",	op_vring_fds,	5 },
	{ "status",	op_status,	15 },
	{ "features",	op_features,	5 },
	{ "suspend",	op_suspend,	25 },
	{ "config",	op_config,	5 },
	{ "iotlb",	op_iotlb,	40 },
	{ "reset",	op_reset,	6 },
	{ "reopen",	op_reopen,	1 },
};

static __u64 op_count[ARRAY_SIZE(ops)];
static int kicker_stop;

/*
 * A vCPU of the guest's that kicks both virtqueues all along: its kicks
 * reach the device (through vhost-vdpa's eventfd wakeups) whatever the
 * VMM's thread is doing to it meanwhile.
 */
static void *kicker(void *arg)
{
	struct vq *vq = arg;
	__u64 one = 1;
	int q = 0;

	while (!__atomic_load_n(&kicker_stop, __ATOMIC_RELAXED)) {
		if (write(vq[q].kick, &one, sizeof(one)) < 0 &&
		    errno != EAGAIN)
			break;
		q ^= 1;
		usleep(200);
	}
	return NULL;
}

static bool more(__u64 n, __u64 limit, const struct timespec *t0, long ms)
{
	return ms ? ms_since(t0) < ms : n < limit;
}

static void run(__u64 limit, long ms)
{
	struct timespec t0;
	__u32 total = 0, r;
	pthread_t kt;
	size_t k;
	__u8 s;

	for (k = 0; k < ARRAY_SIZE(ops); k++)
		total += ops[k].weight;
	recover("start");
	errno = pthread_create(&kt, NULL, kicker, fz.vq);
	if (errno)
		die("pthread_create");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (fz.run.ops = 0; more(fz.run.ops, limit, &t0, ms); fz.run.ops++) {
		for (r = below(total), k = 0; r >= ops[k].weight; k++)
			r -= ops[k].weight;
		ops[k].fn();
		op_count[k]++;
		if (!(fz.run.ops % 256))
			check_canary("run");
		/*
		 * The config interrupt of an error: at once, while the
		 * frames that arrive meanwhile may still be in flight.
		 */
		if (!fz.quiet_checked && efd_wait(fz.config_call, 0) &&
		    status_get() & VIRTIO_CONFIG_S_NEEDS_RESET)
			check_quiet();
		if (fz.run.ops % 16)
			continue;
		s = status_get();
		if (s & VIRTIO_CONFIG_S_NEEDS_RESET) {
			fz.needs_reset++;
			if (!fz.quiet_checked)
				check_quiet();
			/* A device in error does little: now and then, anew. */
			if (chance2(25))
				recover("needs_reset");
		}
	}
	printf("vdpa: %llu ops in %ld ms; %llu resets (%llu round trips), %llu reopens\n",
	       (unsigned long long)fz.run.ops, ms_since(&t0),
	       (unsigned long long)fz.resets,
	       (unsigned long long)fz.round_trips,
	       (unsigned long long)fz.reopens);
	printf("vdpa: NEEDS_RESET seen %llu times, %llu quiet checks, %llu suspended checks\n",
	       (unsigned long long)fz.needs_reset,
	       (unsigned long long)fz.quiet_checks,
	       (unsigned long long)fz.suspend_checks);
	printf("vdpa: %llu rx and %llu tx buffers used\n",
	       (unsigned long long)fz.rx_used, (unsigned long long)fz.tx_used);
	for (k = 0; k < ARRAY_SIZE(ops); k++)
		printf("vdpa: %-10s %7llu\n", ops[k].name,
		       (unsigned long long)op_count[k]);
	__atomic_store_n(&kicker_stop, 1, __ATOMIC_RELAXED);
	pthread_join(kt, NULL);
	/* The end: a reset and a round trip, then the memory once more. */
	recover("end");
	status_set(0);
	usleep(100000);
	check_canary("end");
}

static void print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-s SEED] [-n OPS] [-t SECS] [-w WIRE] [-m MAC] [-S STATE] [-N NIC -Q QP] /dev/vhost-vdpa-N\n",
		prog);
}

int main(int argc, char **argv)
{
	const char *wire = "vmq0w";
	__u64 limit = 10000;
	struct timespec t0;
	__u8 *m = fz.mac;
	long ms = 0;
	int opt;

	fz.run.seed = time(NULL) ^ getpid();
	fz.timeout = 3000;
	memcpy(fz.mac, "\x52\x54\x00\x00\x00\x01", ETH_ALEN);
	while ((opt = getopt(argc, argv, "s:n:t:w:m:S:N:Q:")) != -1) {
		switch (opt) {
		case 's':
			fz.run.seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			limit = strtoull(optarg, NULL, 0);
			break;
		case 't':
			ms = atol(optarg) * 1000;
			break;
		case 'w':
			wire = optarg;
			break;
		case 'S':
			fz.state = optarg;
			break;
		case 'N':
			fz.nic = optarg;
			break;
		case 'Q':
			fz.qp = strtoul(optarg, NULL, 0);
			break;
		case 'm':
			if (sscanf(optarg, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx",
				   &m[0], &m[1], &m[2], &m[3], &m[4],
				   &m[5]) != 6) {
				print_usage(argv[0]);
				return 2;
			}
			break;
		default:
			print_usage(argv[0]);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		print_usage(argv[0]);
		return argc == 1 ? KSFT_SKIP : 2;
	}
	fz.h.path = argv[optind];
	fz.rng = fz.run.seed ? fz.run.seed : 1;
	fz.rng2 = fz.rng ^ 0x9e3779b97f4a7c15ULL;
	printf("vmq_fuzz vdpa: seed %llu (replay: -s %llu)\n",
	       (unsigned long long)fz.run.seed, (unsigned long long)fz.run.seed);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	fz.wire_sock = wire_socket(wire, &fz.wire_ifindex, fz.wire_mac);
	vhost_open(&fz.h);
	memory_setup();
	vq_init(&fz.vq[VQ_RX]);
	vq_init(&fz.vq[VQ_TX]);
	fz.config_call = eventfd(0, EFD_NONBLOCK);
	if (fz.config_call < 0)
		die("eventfd");
	run(limit, ms);
	close(fz.h.fd);
	printf("vmq_fuzz vdpa: seed %llu ops %llu resets %llu findings %llu time %ld ms\n",
	       (unsigned long long)fz.run.seed, (unsigned long long)fz.run.ops,
	       (unsigned long long)fz.resets,
	       (unsigned long long)fz.run.findings, ms_since(&t0));
	return fz.run.findings ? 1 : 0;
}
