// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_fuzz: a seeded fuzzer for a vmq_vfio queue pair's ABI, and for the
 * NIC's classifier from the wire.
 *
 *   vmq_fuzz [-s SEED] [-n OPS] [-t SECS] [-w WIRE] vfio UUID
 *   vmq_fuzz [-s SEED] [-n FRAMES] [-t SECS] [-u UUID] [-b BACKLOG]
 *            wire IFNAME [MAC...]
 *
 * vfio: the VMM misbehaves at random, OPS times (default 10000) or for
 * SECS: register reads and writes at good and bad offsets and sizes,
 * random descriptors, TAIL values, ring geometry, ENABLE/disable/RESET,
 * VFIO_DEVICE_RESET, unmapping and remapping guest memory, bad
 * VFIO_IOMMU_MAP/UNMAP_DMA arguments, VFIO_DEVICE_SET_IRQS with random
 * and invalid arguments, and the guest's own transmits and receive
 * buffers, while frames arrive from WIRE (default vmq0w).  Guest memory
 * outside the rings and the receive buffers is filled with a canary
 * first and checked afterwards: the NIC may write only into receive
 * buffers the guest posted and into ring descriptors.  Ring bases are
 * kept out of other memory for that reason (an enable that would put a
 * ring there is not done, and counted as skipped); receive descriptors
 * point into the receive-buffer area or at unmapped IOVAs, transmit
 * descriptors anywhere.  Then CONTROL.RESET, and VFIO_DEVICE_RESET,
 * must each bring the queue back: a receive and transmit round trip.
 *
 * wire: FRAMES frames (default 10000) from IFNAME's raw socket: runts,
 * oversize frames, random bytes, 802.1Q, 802.1ad, QinQ and deeper or
 * truncated tag stacks, to the MACs given, broadcast, multicast and
 * random destinations.  With -u a guest queue receives meanwhile: each
 * unicast frame it gets must be its own, its counters must be sane, and
 * afterwards it must still receive and transmit.  The fuzzer sends
 * faster than the NIC takes frames, so before that it takes what the
 * guest queue receives until BACKLOG (vmqsim's debugfs "backlog") reads 0:
 * every frame sent has landed or was dropped (without -b it waits 300 ms).
 *
 * Findings are checks that failed; each is printed with the seed and the
 * operation number.  The last line has the figures: seed, operations,
 * frames, findings, time.  Exits 0 without findings, 1 with, 4 if VFIO
 * is missing.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/vfio.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "vmq_vfio_lib.h"

#define RING_HALF	0x8000ULL	/* RX ring area, then TX ring area */
#define RXZ_IOVA	(BUF_IOVA + RX_BUFS)
#define RXZ_SIZE	(TX_BUFS - RX_BUFS)
#define TXZ_IOVA	(BUF_IOVA + TX_BUFS)
#define TXZ_SLOTS	((BUF_SIZE - TX_BUFS) / BUF_LEN)
#define RX_MARGIN	4096	/* room after an rx buffer for any frame */
#define SCRATCH_IOVA	0x10000000ULL
#define FUZZ_ETHERTYPE	0x88b6	/* the guest's fuzz frames, not tests */

/* Guest RAM the fuzzer adds around vmm_open()'s: canary only. */
static const struct {
	__u64 iova, size;
} canary_maps[] = {
	{ RING_IOVA - 0x10000, 0x10000 },	/* below the rings */
	{ RING_IOVA + RING_SIZE, 0x10000 },	/* above the rings */
	{ BUF_IOVA - 0x10000, 0x10000 },	/* below the buffers */
	{ BUF_IOVA + BUF_SIZE, 0x40000 },	/* above the buffers */
};

#define NR_CANARY	ARRAY_SIZE(canary_maps)
#define NR_MAPS		(NR_CANARY + 2)	/* + rings + buffers */

enum zone_kind { Z_RX_RING, Z_TX_RING, Z_RX_BUF, Z_OTHER };

struct mapping {
	__u64 iova, size;
	__u8 *mem;
	bool mapped;
};

struct fuzz {
	struct vmm v;
	struct mapping map[NR_MAPS];
	__u8 *txz_copy;			/* what the transmit area holds */
	__u8 rx_posted[RXZ_SIZE];	/* receive area bytes ever posted */
	__u64 cnt[VMQ_CNT_MAX];		/* counters as last read */
	__u32 ring_min, ring_max;
	struct fuzz_run run;
	__u64 rng, frames, skipped;
	__u64 samples, running;		/* how often the queue ran */
	int null_fd, spare_efd;
};

static struct fuzz fz;

#define finding(...)	fuzz_finding(&fz.run, __VA_ARGS__)

/* --- figures and findings ------------------------------------------------- */

/* xorshift64*: the same seed, the same run. */
static __u64 rnd(void)
{
	return xorshift64s(&fz.rng);
}

static __u32 below(__u32 n)
{
	return n ? rnd() % n : 0;
}

static bool one_in(__u32 n)
{
	return !below(n);
}

/* A 32-bit value a register or descriptor might find interesting. */
static __u32 pick_u32(void)
{
	static const __u32 vals[] = {
		0, 1, 2, 3, 4, 7, 8, 14, 15, 16, 60, 63, 64, 65, 128, 1514,
		1518, 2048, 4095, 4096, 4097, 0x10000, 0x7fffffff, 0x80000000,
		0xfffffffe, 0xffffffff,
	};

	return one_in(3) ? (__u32)rnd() : vals[below(ARRAY_SIZE(vals))];
}

/* The canary: a byte that depends on where it is. */
static __u8 canary(__u64 iova)
{
	return (__u8)(iova * 0x9d ^ iova >> 9 ^ 0x5a);
}

static void fill_canary(__u8 *mem, __u64 iova, __u64 size)
{
	__u64 i;

	for (i = 0; i < size; i++)
		mem[i] = canary(iova + i);
}

/* --- guest memory --------------------------------------------------------- */

static bool overlaps(__u64 a, __u64 alen, __u64 b, __u64 blen)
{
	return alen && blen && a <= b + (blen - 1) && b <= a + (alen - 1);
}

static enum zone_kind zone_of(__u64 iova)
{
	if (iova - RING_IOVA < RING_HALF)
		return Z_RX_RING;
	if (iova - RING_IOVA - RING_HALF < RING_HALF)
		return Z_TX_RING;
	if (iova - RXZ_IOVA < RXZ_SIZE)
		return Z_RX_BUF;
	return Z_OTHER;
}

/*
 * May a ring of @kind sit at [@base, @base + @size descriptors)?  Only in
 * its own area or where nothing is mapped: the NIC writes descriptors
 * back, and the canary check could not tell that from a stray write.
 */
static bool range_placed_safely(__u64 first, __u64 last,
				enum zone_kind kind)
{
	unsigned int i;

	for (i = 0; i < NR_MAPS; i++) {
		__u64 a = fz.map[i].iova, b = a + fz.map[i].size - 1;
		__u64 lo = first > a ? first : a, hi = last < b ? last : b;

		/* The part inside this mapping: in the ring's own area. */
		if (lo <= hi && (zone_of(lo) != kind || zone_of(hi) != kind))
			return false;
	}
	return true;
}

static bool ring_placed_safely(__u64 base, __u32 size, enum zone_kind kind)
{
	__u64 len = (__u64)size * sizeof(struct vmq_desc), last;

	if (!len)
		return true;
	/* A ring that wraps past the top: judge both pieces. */
	if (__builtin_add_overflow(base, len - 1, &last))
		return range_placed_safely(base, ~0ULL, kind) &&
		       range_placed_safely(0, last, kind);
	return range_placed_safely(base, last, kind);
}

/* An IOVA range nothing is mapped at. */
static __u64 pick_unmapped(__u32 len)
{
	static const __u64 fixed[] = {
		0, UNMAPPED_IOVA, 0ULL - 4096, 0ULL - 16, 0x8000000000000000ULL,
		RING_IOVA + RING_SIZE + 0x10000, SCRATCH_IOVA + 0x100000,
	};
	__u64 iova;
	unsigned int i;

	for (;;) {
		iova = one_in(2) ? fixed[below(ARRAY_SIZE(fixed))] :
		       UNMAPPED_IOVA + below(1 << 30);
		if (one_in(4))
			iova = rnd();
		for (i = 0; i < NR_MAPS; i++)
			if (overlaps(iova, len ? len : 1, fz.map[i].iova,
				     fz.map[i].size))
				break;
		if (i == NR_MAPS)
			return iova;
	}
}

static void mapping_add(int i, __u8 *mem, __u64 iova, __u64 size)
{
	fz.map[i].mem = mem;
	fz.map[i].iova = iova;
	fz.map[i].size = size;
	fz.map[i].mapped = true;
}

/* Map back whatever is unmapped, each at its own memory. */
static void remap_all(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < NR_MAPS; i++) {
		err = map_dma(&fz.v, fz.map[i].mem, fz.map[i].iova,
			      fz.map[i].size);
		if (err && err != -EEXIST)
			finding("remapping %#llx+%#llx: %s",
				(unsigned long long)fz.map[i].iova,
				(unsigned long long)fz.map[i].size,
				strerror(-err));
		fz.map[i].mapped = true;
	}
}

/*
 * The transmit area holds frames the guest may send: most from its own
 * MAC, some spoofed, some tagged; canary in the rest of each slot.
 */
static void fill_tx_area(void)
{
	static const __u8 bcast[ETH_ALEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const __u8 other[ETH_ALEN] = {
		0x02, 0x66, 0x66, 0x66, 0x66, 0x66 };
	struct vmm *v = &fz.v;
	__u32 k, len;
	__u8 *f;

	fill_canary(v->buf_mem + TX_BUFS, TXZ_IOVA, BUF_SIZE - TX_BUFS);
	for (k = 0; k < TXZ_SLOTS; k++) {
		f = v->buf_mem + TX_BUFS + (size_t)k * BUF_LEN;
		len = test_len(k);
		make_frame(v, f, k % 3 ? v->wire_mac : bcast,
			   k % 7 ? v->mac : other, len);
		f[12] = FUZZ_ETHERTYPE >> 8;
		f[13] = FUZZ_ETHERTYPE & 0xff;
		if (k % 11 == 5) {	/* an in-band tag: no trunk, refused */
			f[12] = 0x81;
			f[13] = 0x00;
		}
	}
	memcpy(fz.txz_copy, v->buf_mem + TX_BUFS, BUF_SIZE - TX_BUFS);
}

static __u32 tx_slot_len(__u32 k)
{
	return test_len(k);
}

static void mark_rx_posted(__u64 iova, __u32 len)
{
	__u64 off = iova - RXZ_IOVA, n;

	/* The NIC writes at most a frame, and writes back its length. */
	n = len > fz.v.max_frame ? len : fz.v.max_frame;
	if (n > RX_MARGIN)
		n = RX_MARGIN;
	if (off < RXZ_SIZE)
		memset(fz.rx_posted + off, 1,
		       off + n > RXZ_SIZE ? RXZ_SIZE - off : n);
}

static void memory_setup(void)
{
	struct vmm *v = &fz.v;
	unsigned int i;
	__u8 *mem;

	mapping_add(0, v->ring_mem, RING_IOVA, RING_SIZE);
	mapping_add(1, v->buf_mem, BUF_IOVA, BUF_SIZE);
	for (i = 0; i < NR_CANARY; i++) {
		mem = map_guest(v, canary_maps[i].iova, canary_maps[i].size);
		mapping_add(2 + i, mem, canary_maps[i].iova,
			    canary_maps[i].size);
		fill_canary(mem, canary_maps[i].iova, canary_maps[i].size);
	}
	fz.txz_copy = malloc(BUF_SIZE - TX_BUFS);
	if (!fz.txz_copy)
		die("malloc");
	fill_canary(v->buf_mem + RX_BUFS, RXZ_IOVA, RXZ_SIZE);
	/* guest_setup() posts these: the first NDESC buffers. */
	memset(fz.rx_posted, 1, NDESC * BUF_LEN);
	fill_tx_area();
}

/* Bytes of @mem that differ from @want; the first in @first. */
static __u64 count_changed(const __u8 *mem, const __u8 *want,
			   const __u8 *skip, __u64 iova, __u64 size,
			   __u64 *first)
{
	__u64 i, n = 0;

	for (i = 0; i < size; i++) {
		if (skip && skip[i])
			continue;
		if (mem[i] != (want ? want[i] : canary(iova + i))) {
			if (!n)
				*first = iova + i;
			n++;
		}
	}
	return n;
}

static void check_memory(void)
{
	struct vmm *v = &fz.v;
	__u64 n, first = 0;
	unsigned int i;

	for (i = 0; i < NR_CANARY; i++) {
		n = count_changed(fz.map[2 + i].mem, NULL, NULL,
				  fz.map[2 + i].iova, fz.map[2 + i].size,
				  &first);
		if (n)
			finding("%llu canary bytes written at %#llx+%#llx, first at %#llx",
				(unsigned long long)n,
				(unsigned long long)fz.map[2 + i].iova,
				(unsigned long long)fz.map[2 + i].size,
				(unsigned long long)first);
	}
	n = count_changed(v->buf_mem + RX_BUFS, NULL, fz.rx_posted, RXZ_IOVA,
			  RXZ_SIZE, &first);
	if (n)
		finding("%llu bytes written outside posted rx buffers, first at %#llx",
			(unsigned long long)n, (unsigned long long)first);
	n = count_changed(v->buf_mem + TX_BUFS, fz.txz_copy, NULL, TXZ_IOVA,
			  BUF_SIZE - TX_BUFS, &first);
	if (n)
		finding("%llu bytes of the transmit area written, first at %#llx",
			(unsigned long long)n, (unsigned long long)first);
	printf("memory: %u canary areas, rx area, tx area checked\n",
	       (unsigned int)NR_CANARY);
}

/* --- register access ------------------------------------------------------ */

/* A ring geometry register, at queue 0's offsets or in its block. */
static bool is_ring_reg(__u32 off)
{
	if (off >= VMQ_REG_QUEUE(0) && off < VMQ_REG_QUEUE(1))
		off += VMQ_REG_RX_BASE_LO - VMQ_REG_QUEUE(0);
	return (off >= VMQ_REG_RX_BASE_LO && off <= VMQ_REG_RX_SIZE) ||
	       (off >= VMQ_REG_TX_BASE_LO && off <= VMQ_REG_TX_SIZE);
}

/* Both rings as the device holds them, safe to enable? */
static bool rings_placed_safely(void)
{
	struct vmm *v = &fz.v;
	__u64 rx = rd(v, VMQ_REG_RX_BASE_LO) |
		   (__u64)rd(v, VMQ_REG_RX_BASE_HI) << 32;
	__u64 tx = rd(v, VMQ_REG_TX_BASE_LO) |
		   (__u64)rd(v, VMQ_REG_TX_BASE_HI) << 32;

	return ring_placed_safely(rx, rd(v, VMQ_REG_RX_SIZE), Z_RX_RING) &&
	       ring_placed_safely(tx, rd(v, VMQ_REG_TX_SIZE), Z_TX_RING);
}

static void op_control(__u32 val)
{
	int err;

	if (!(val & VMQ_CTRL_RESET) && (val & VMQ_CTRL_ENABLE) &&
	    !rings_placed_safely()) {
		fz.skipped++;
		return;
	}
	err = wr_err(&fz.v, VMQ_REG_CONTROL, val);
	if (err && err != -EBUSY && err != -ENOMEM)
		finding("CONTROL %#x: %s", val, strerror(-err));
}

/* Where a register access goes: good registers, or bad places. */
static __u64 pick_reg_pos(size_t *len, bool *valid)
{
	static const size_t lens[] = { 0, 1, 2, 3, 8, 16 };
	static const __u64 far[] = {
		VMQ_VFIO_REGS_SIZE, VMQ_VFIO_REGS_SIZE + 4,
		VMQ_VFIO_REGION_OFFSET(1), VMQ_VFIO_REGION_OFFSET(2) + 8,
		VMQ_VFIO_REGION_OFFSET(1) - 4, 0x7ffffffffffffff0ULL,
	};
	__u64 pos;

	*len = 4;
	switch (below(8)) {
	case 0:
		pos = 4 * below(VMQ_VFIO_REGS_SIZE / 4);
		break;
	case 1:
		pos = 4 * below(0x140 / 4) + 1 + below(3);
		break;
	case 2:
		pos = 4 * below(0x140 / 4);
		*len = lens[below(ARRAY_SIZE(lens))];
		break;
	case 3:
		pos = far[below(ARRAY_SIZE(far))];
		break;
	default:
		pos = 4 * below(0x140 / 4);
	}
	*valid = *len == 4 && pos < VMQ_VFIO_REGS_SIZE && !(pos & 3);
	return VMQ_VFIO_REGION_OFFSET(0) + pos;
}

static void op_reg_write(void)
{
	__u32 buf[4] = { pick_u32(), pick_u32(), pick_u32(), pick_u32() };
	bool valid;
	size_t len;
	ssize_t n;
	__u64 pos;

	pos = pick_reg_pos(&len, &valid);
	if (valid && pos == VMQ_REG_CONTROL) {
		op_control(buf[0]);
		return;
	}
	n = pwrite(fz.v.dev, buf, len, pos);
	if (!valid && n > 0)
		finding("a %zu-byte write at %#llx was accepted", len,
			(unsigned long long)pos);
	if (valid && n != 4 && !(n < 0 && errno == EBUSY && is_ring_reg(pos)))
		finding("write %#x to register %#llx: %zd (%s)", buf[0],
			(unsigned long long)pos, n, strerror(errno));
}

/* Counters only grow, and not by absurd amounts. */
static void check_counter(int c, __u64 val)
{
	if (val < fz.cnt[c] || val > (1ULL << 48))
		finding("counter %d went from %llu to %llu", c,
			(unsigned long long)fz.cnt[c],
			(unsigned long long)val);
	fz.cnt[c] = val;
}

static void check_reg_value(__u32 off, __u32 val)
{
	__u32 size;

	switch (off) {
	case VMQ_REG_VERSION:
		if (val != VMQ_VFIO_VERSION)
			finding("VERSION reads %u", val);
		break;
	case VMQ_REG_STATUS:
		if (val & ~(VMQ_STATUS_ENABLED | VMQ_STATUS_ERROR))
			finding("STATUS reads %#x", val);
		break;
	case VMQ_REG_ERROR:
		if (val > VMQ_ERR_UNMAP || val == VMQ_ERR_RX_LEN)
			finding("ERROR reads %u", val);
		break;
	case VMQ_REG_RX_HEAD:
	case VMQ_REG_TX_HEAD:
		size = rd(&fz.v, off - 8);
		if (val && val >= size)
			finding("HEAD at %#x reads %u, ring size %u", off, val,
				size);
		break;
	}
}

static void op_reg_read(void)
{
	__u32 buf[4] = { 0 };
	bool valid;
	size_t len;
	ssize_t n;
	__u64 pos;

	pos = pick_reg_pos(&len, &valid);
	n = pread(fz.v.dev, buf, len, pos);
	if (!valid && n > 0)
		finding("a %zu-byte read at %#llx was accepted", len,
			(unsigned long long)pos);
	if (valid && n != 4)
		finding("read of register %#llx: %zd (%s)",
			(unsigned long long)pos, n, strerror(errno));
	if (valid && n == 4)
		check_reg_value(pos, buf[0]);
}

static void op_counters(void)
{
	int c = below(VMQ_CNT_MAX);

	check_counter(c, counter(&fz.v, c));
	fz.samples++;
	fz.running += rd(&fz.v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED;
}

/* --- rings and descriptors ------------------------------------------------ */

static struct vmq_desc *slot(enum zone_kind kind, __u32 i)
{
	return (struct vmq_desc *)(fz.v.ring_mem +
				   (kind == Z_TX_RING ? RING_HALF : 0)) + i;
}

/* A receive buffer: somewhere in the receive area, or nowhere. */
static void random_rx_desc(struct vmq_desc *d)
{
	__u32 len = pick_u32();
	__u64 addr;

	if (one_in(16)) {
		addr = pick_unmapped(len);
	} else {
		addr = RXZ_IOVA + below(RXZ_SIZE - RX_MARGIN);
		if (one_in(2))
			addr &= ~63ULL;
		mark_rx_posted(addr, len);
	}
	d->addr = addr;
	d->len = len;
	d->flags = one_in(8) ? (__u16)rnd() : 0;
	d->rsvd = one_in(8) ? (__u16)rnd() : 0;
}

/* A transmit descriptor: a real frame, or anything the NIC may read. */
static void random_tx_desc(struct vmq_desc *d)
{
	unsigned int m = below(NR_MAPS);
	__u32 k = below(TXZ_SLOTS);

	if (!one_in(4)) {
		d->addr = TXZ_IOVA + (__u64)k * BUF_LEN;
		d->len = tx_slot_len(k);
	} else {
		d->addr = one_in(4) ? pick_unmapped(4096) :
			  fz.map[m].iova + below(fz.map[m].size);
		d->len = pick_u32();
	}
	d->flags = one_in(8) ? (__u16)rnd() : 0;
	d->rsvd = one_in(8) ? (__u16)rnd() : 0;
}

static void op_desc(void)
{
	__u32 n = 1 + below(8), i;

	for (i = 0; i < n; i++) {
		if (one_in(2))
			random_rx_desc(slot(Z_RX_RING, below(NDESC * 2)));
		else
			random_tx_desc(slot(Z_TX_RING, below(NDESC * 2)));
	}
}

static void op_tail(void)
{
	bool tx = one_in(2);
	__u32 reg = tx ? VMQ_REG_TX_TAIL : VMQ_REG_RX_TAIL, size, val;
	int err;

	size = rd(&fz.v, reg - 4);
	val = one_in(50) ? pick_u32() : below(size ? size : NDESC);
	err = wr_err(&fz.v, reg, val);
	if (err)
		finding("TAIL %u at %#x: %s", val, reg, strerror(-err));
}

static __u32 pick_ring_size(void)
{
	__u32 size = fz.ring_min;

	if (one_in(4))
		return pick_u32();
	while (size < fz.ring_max && one_in(2))
		size <<= 1;
	return size;
}

/* Ring geometry: sane in its own area, misaligned, unmapped, at the top. */
static void op_ring(void)
{
	bool tx = one_in(2);
	__u32 reg = tx ? VMQ_REG_TX_BASE_LO : VMQ_REG_RX_BASE_LO;
	__u32 size = pick_ring_size();
	__u64 bytes = (__u64)size * sizeof(struct vmq_desc), base;

	switch (below(6)) {
	case 0:
	case 1:
	case 2:
		base = RING_IOVA + (tx ? RING_HALF : 0);
		if (bytes < RING_HALF)
			base += 64 * below((RING_HALF - bytes) / 64 + 1);
		if (one_in(6))
			base += 8;
		break;
	case 3:
		base = pick_unmapped(bytes) & ~63ULL;
		break;
	case 4:
		base = 0 - bytes + (one_in(2) ? 64 : 0);
		break;
	default:
		base = rnd();
	}
	wr_err(&fz.v, reg, (__u32)base);
	wr_err(&fz.v, reg + 4, base >> 32);
	wr_err(&fz.v, reg + 8, size);
}

static void op_enable(void)
{
	switch (below(6)) {
	case 0:
		op_control(0);
		break;
	case 1:
		op_control(VMQ_CTRL_RESET | (one_in(2) ? VMQ_CTRL_ENABLE : 0));
		break;
	case 2:
		if (ioctl(fz.v.dev, VFIO_DEVICE_RESET))
			finding("VFIO_DEVICE_RESET: %s", strerror(errno));
		break;
	case 3:
		op_control(pick_u32());
		break;
	default:
		op_control(VMQ_CTRL_ENABLE);
	}
}

/*
 * The guest's own work on whatever rings are set up, if they sit where
 * this guest keeps rings: transmit real frames, post real buffers.
 */
static void op_guest(bool tx)
{
	struct vmm *v = &fz.v;
	__u32 reg = tx ? VMQ_REG_TX_BASE_LO : VMQ_REG_RX_BASE_LO;
	__u64 area = RING_IOVA + (tx ? RING_HALF : 0), base;
	__u32 size, tail, n, i, k;
	struct vmq_desc *d;

	base = rd(v, reg) | (__u64)rd(v, reg + 4) << 32;
	size = rd(v, reg + 8);
	tail = rd(v, reg + 12);
	if (base - area >= RING_HALF || base & 15 || !size ||
	    size & (size - 1) || base - area + (__u64)size * 16 > RING_HALF ||
	    tail >= size)
		return;
	n = 1 + below(size < 8 ? size : 8);
	for (i = 0; i < n; i++, tail = (tail + 1) % size) {
		d = (struct vmq_desc *)(v->ring_mem + (base - RING_IOVA)) + tail;
		k = below(tx ? TXZ_SLOTS : NDESC);
		d->addr = tx ? TXZ_IOVA + (__u64)k * BUF_LEN : rx_buf_iova(k);
		d->len = tx ? tx_slot_len(k) : BUF_LEN;
		d->flags = 0;
		d->rsvd = 0;
	}
	wr_err(v, reg + 12, tail);
}

/* Frames from the wire, to the guest or to everyone. */
static void op_wire(void)
{
	static const __u8 dsts[3][ETH_ALEN] = {
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x7b },
		{ 0 },
	};
	struct vmm *v = &fz.v;
	__u8 frame[ETH_FRAME_LEN];
	__u32 n = 1 + below(4), len, k = below(3);

	while (n--) {
		len = 60 + below(ETH_FRAME_LEN - 60 + 1);
		make_frame(v, frame, k == 2 ? v->mac : dsts[k], v->wire_mac,
			   len);
		if (send(v->wire_sock, frame, len, MSG_DONTWAIT) == (ssize_t)len)
			fz.frames++;
	}
}

/* --- guest memory mappings and interrupts --------------------------------- */

static void op_map(void)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	struct mapping *m = &fz.map[below(NR_MAPS)];
	bool bad;
	int err;

	switch (below(10)) {
	case 0:
	case 1:
	case 2:
		if (unmap_guest(&fz.v, m->iova, m->size))
			finding("unmapping %#llx+%#llx: %s",
				(unsigned long long)m->iova,
				(unsigned long long)m->size, strerror(errno));
		m->mapped = false;
		return;
	case 3:
	case 4:
	case 5:
		err = map_dma(&fz.v, m->mem, m->iova, m->size);
		if (err && !(err == -EEXIST && m->mapped))
			finding("mapping %#llx+%#llx: %s",
				(unsigned long long)m->iova,
				(unsigned long long)m->size, strerror(-err));
		m->mapped = true;
		return;
	case 6:		/* a range that only partly covers a mapping */
		unmap.iova = m->iova + 4096 * below(2);
		unmap.size = m->size - 4096;
		break;
	case 7:		/* wrapping, empty or everything */
		unmap.iova = one_in(2) ? 0ULL - 4096 : 0;
		unmap.size = one_in(2) ? 0 : one_in(2) ? 8192 : 1ULL << 40;
		break;
	default:	/* bad maps: overlapping, empty, unaligned, wrapping */
		map.vaddr = (uintptr_t)m->mem + (one_in(4) ? 1 : 0);
		map.iova = one_in(2) ? m->iova + 4096 : 0ULL - 4096;
		map.size = one_in(4) ? 0 : one_in(2) ? 8192 : 4095;
		map.flags = one_in(4) ? 0 : VFIO_DMA_MAP_FLAG_READ |
					    VFIO_DMA_MAP_FLAG_WRITE;
		bad = !map.size || (map.size | map.vaddr) & 4095 ||
		      !map.flags || map.iova + map.size - 1 < map.iova ||
		      (m->mapped && map.iova == m->iova + 4096);
		if (!ioctl(fz.v.container, VFIO_IOMMU_MAP_DMA, &map)) {
			unmap_guest(&fz.v, map.iova, map.size);
			if (!bad)
				return;
			finding("bad map %#llx+%#llx flags %#x accepted",
				(unsigned long long)map.iova,
				(unsigned long long)map.size, map.flags);
		}
		return;
	}
	/* Whatever such an unmap took, the guest maps back. */
	ioctl(fz.v.container, VFIO_IOMMU_UNMAP_DMA, &unmap);
	remap_all();
}

static void op_irqs(void)
{
	static const __u32 data_types[] = {
		VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_DATA_BOOL,
		VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_DATA_EVENTFD,
		VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_DATA_BOOL, 0,
	};
	static const __u32 actions[] = {
		VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_ACTION_TRIGGER,
		VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_ACTION_MASK,
		VFIO_IRQ_SET_ACTION_UNMASK,
		VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_ACTION_MASK,
	};
	char buf[sizeof(struct vfio_irq_set) + 64] = { 0 };
	struct vfio_irq_set *set = (void *)buf;
	__s32 fds[4];
	bool bad;
	int i;

	set->argsz = one_in(8) ? pick_u32() : sizeof(*set) + 4 * below(4);
	set->index = below(VMQ_VFIO_NUM_IRQS + 2);
	set->start = one_in(8) ? pick_u32() : 0;
	set->count = one_in(4) ? below(4) : 1;
	set->flags = data_types[below(ARRAY_SIZE(data_types))] |
		     actions[below(ARRAY_SIZE(actions))];
	for (i = 0; i < 4; i++) {
		switch (below(6)) {
		case 0:
			fds[i] = -1;
			break;
		case 1:
			fds[i] = fz.null_fd;	/* no eventfd */
			break;
		case 2:
			fds[i] = 1000 + below(1000);	/* no file */
			break;
		case 3:
			fds[i] = fz.spare_efd;
			break;
		default:
			fds[i] = fz.v.efd[set->index % VMQ_VFIO_NUM_IRQS];
		}
	}
	memcpy(set->data, fds, sizeof(fds));
	bad = set->index >= VMQ_VFIO_NUM_IRQS || set->start ||
	      set->count > 1 ||
	      (set->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) !=
	      VFIO_IRQ_SET_ACTION_TRIGGER;
	if (!ioctl(fz.v.dev, VFIO_DEVICE_SET_IRQS, set) && bad)
		finding("VFIO_DEVICE_SET_IRQS index %u start %u count %u flags %#x accepted",
			set->index, set->start, set->count, set->flags);
	/* Sometimes the VMM closes an eventfd the device may hold. */
	if (one_in(16)) {
		close(fz.spare_efd);
		fz.spare_efd = eventfd(0, EFD_NONBLOCK);
	}
}

static void restore_irqs(void)
{
	int i;

	for (i = 0; i < VMQ_VFIO_NUM_IRQS; i++) {
		drain_irq(&fz.v, i);
		set_irq(&fz.v, i, fz.v.efd[i]);
	}
}

/* A well-behaved guest again: memory mapped, interrupts, rings, enable. */
static void op_repair(void)
{
	remap_all();
	restore_irqs();
	guest_start(&fz.v, BUF_LEN);
	if (rd(&fz.v, VMQ_REG_STATUS) != VMQ_STATUS_ENABLED)
		finding("a clean set-up does not run: status %#x error %u",
			rd(&fz.v, VMQ_REG_STATUS), rd(&fz.v, VMQ_REG_ERROR));
}

/* --- the runs ------------------------------------------------------------- */

static bool more(__u64 done, __u64 limit, const struct timespec *t0,
		 long ms)
{
	if (ms)
		return !(done % 64) ? ms_since(t0) < ms : true;
	return done < limit;
}

/* After a reset, the queue is clean and carries frames both ways. */
static void reset_round_trip(const char *how)
{
	struct vmm *v = &fz.v;
	int before = failures;

	check(rd(v, VMQ_REG_STATUS) == 0 && rd(v, VMQ_REG_ERROR) == 0 &&
	      rd(v, VMQ_REG_RX_HEAD) == 0 && rd(v, VMQ_REG_TX_HEAD) == 0 &&
	      rd(v, VMQ_REG_RX_SIZE) == 0,
	      "fuzz: after %s the queue is stopped and clear", how);
	restore_irqs();
	guest_start(v, BUF_LEN);
	check(rx_frames(v, v->mac, 4, true) == 4,
	      "fuzz: after %s frames arrive byte for byte", how);
	check(tx_frames(v, v->mac, 4, true) == 4,
	      "fuzz: after %s frames leave byte for byte", how);
	fz.run.findings += failures - before;
}

static void op_guest_tx(void)
{
	op_guest(true);
}

static void op_guest_rx(void)
{
	op_guest(false);
}

/*
 * The operations, and how often each comes (in 1000).  Stopping and
 * starting the queue costs milliseconds (an RCU grace period) where the
 * others cost microseconds: they come rarely, so that a bounded run
 * does many operations.
 */
static struct {
	const char *name;
	void (*fn)(void);
	__u32 weight;
	__u64 count, ns;
} vfio_ops[] = {
	{ .name = "reg-write", .fn = op_reg_write, .weight = 200 },
	{ .name = "reg-read", .fn = op_reg_read, .weight = 150 },
	{ .name = "desc", .fn = op_desc, .weight = 150 },
	{ .name = "tail", .fn = op_tail, .weight = 150 },
	{ .name = "control", .fn = op_enable, .weight = 10 },
	{ .name = "ring", .fn = op_ring, .weight = 60 },
	{ .name = "map", .fn = op_map, .weight = 20 },
	{ .name = "irqs", .fn = op_irqs, .weight = 60 },
	{ .name = "guest-tx", .fn = op_guest_tx, .weight = 70 },
	{ .name = "guest-rx", .fn = op_guest_rx, .weight = 70 },
	{ .name = "wire", .fn = op_wire, .weight = 20 },
	{ .name = "counters", .fn = op_counters, .weight = 38 },
	{ .name = "repair", .fn = op_repair, .weight = 2 },
};

static __u64 ns_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000000000ULL + t.tv_nsec -
	       t0->tv_nsec;
}

static void run_vfio(const char *wire, __u64 limit, long ms)
{
	struct vmm *v = &fz.v;
	struct timespec t0, t;
	__u32 r, total = 0;
	size_t k;

	for (k = 0; k < ARRAY_SIZE(vfio_ops); k++)
		total += vfio_ops[k].weight;

	vmm_open(v);
	wire_open(v, wire);
	fz.ring_min = rd(v, VMQ_REG_RING_MIN);
	fz.ring_max = rd(v, VMQ_REG_RING_MAX);
	fz.null_fd = open("/dev/null", O_RDONLY);
	fz.spare_efd = eventfd(0, EFD_NONBLOCK);
	memory_setup();
	op_repair();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (fz.run.ops = 0; more(fz.run.ops, limit, &t0, ms); fz.run.ops++) {
		for (r = below(total), k = 0; r >= vfio_ops[k].weight; k++)
			r -= vfio_ops[k].weight;
		clock_gettime(CLOCK_MONOTONIC, &t);
		vfio_ops[k].fn();
		vfio_ops[k].ns += ns_since(&t);
		vfio_ops[k].count++;
		/* A queue in error does little: now and then, start over. */
		if (!(fz.run.ops % 256) &&
		    rd(v, VMQ_REG_STATUS) != VMQ_STATUS_ENABLED)
			op_repair();
	}
	printf("vfio: %llu ops in %ld ms (%llu/s), %llu enables skipped (rings elsewhere)\n",
	       (unsigned long long)fz.run.ops, ms_since(&t0),
	       (unsigned long long)(fz.run.ops * 1000 / (ms_since(&t0) + 1)),
	       (unsigned long long)fz.skipped);
	printf("vfio: the queue ran at %llu of %llu samples\n",
	       (unsigned long long)fz.running,
	       (unsigned long long)fz.samples);
	for (k = 0; k < ARRAY_SIZE(vfio_ops); k++)
		printf("vfio: %-10s %7llu ops, %5llu us each\n", vfio_ops[k].name,
		       (unsigned long long)vfio_ops[k].count,
		       (unsigned long long)(vfio_ops[k].ns / 1000 /
					    (vfio_ops[k].count + !vfio_ops[k].count)));

	/* Quiesce, then look at memory: the NIC is done with it. */
	remap_all();
	wr(v, VMQ_REG_CONTROL, 0);
	usleep(200000);
	check_memory();
	wr(v, VMQ_REG_CONTROL, VMQ_CTRL_RESET);
	reset_round_trip("CONTROL.RESET");
	if (ioctl(v->dev, VFIO_DEVICE_RESET))
		die("VFIO_DEVICE_RESET");
	reset_round_trip("VFIO_DEVICE_RESET");
	for (r = 0; r < VMQ_CNT_MAX; r++)
		check_counter(r, counter(v, r));
}

/* --- the wire fuzzer ------------------------------------------------------ */

static const __u16 tpids[] = { 0x8100, 0x88a8, 0x9100, 0x8100 };

/* One frame of a random kind for the wire; its length. */
static __u32 wire_frame(__u8 *f, __u32 max, __u8 (*macs)[ETH_ALEN],
			int nmacs)
{
	static const __u8 mcast[2][3] = { { 0x01, 0x00, 0x5e },
					  { 0x33, 0x33, 0x00 } };
	__u32 len, tags, i, p = 12;
	__u64 r;

	for (i = 0; i < max; i += sizeof(r)) {
		r = rnd();
		memcpy(f + i, &r, sizeof(r));
	}
	switch (below(6)) {
	case 0:
		memset(f, 0xff, ETH_ALEN);
		break;
	case 1:
		memcpy(f, mcast[below(2)], 3);
		break;
	case 2:
		f[0] &= ~1;		/* random unicast */
		break;
	case 3:
		break;			/* anything */
	default:
		if (nmacs)
			memcpy(f, macs[below(nmacs)], ETH_ALEN);
	}
	if (one_in(2))
		memcpy(f + ETH_ALEN, fz.v.wire_mac, ETH_ALEN);

	switch (below(8)) {
	case 0:		/* a runt: the stack pads nothing below 60 */
		return ETH_HLEN + below(60 - ETH_HLEN);
	case 1:		/* random bytes, any length */
		return ETH_HLEN + below(max - ETH_HLEN + 1);
	case 2:		/* longer than the NIC's MTU allows */
		return max - 4 - below(64);
	case 3:		/* a tag cut short */
		f[12] = 0x81;
		f[13] = 0x00;
		return ETH_HLEN + below(4);
	default:	/* one to three tags, any TPID and TCI */
		tags = 1 + below(3);
		for (i = 0; i < tags; i++, p += 4) {
			__u16 tpid = tpids[below(ARRAY_SIZE(tpids))];

			f[p] = tpid >> 8;
			f[p + 1] = tpid & 0xff;
			if (one_in(3)) {	/* VLAN 0, 1, 4095 */
				f[p + 2] = one_in(2) ? 0x0f : 0;
				f[p + 3] = one_in(2) ? 0xff : one_in(2);
			}
		}
		if (one_in(2)) {
			f[p] = TEST_ETHERTYPE >> 8;
			f[p + 1] = TEST_ETHERTYPE & 0xff;
		}
		len = 60 + below(ETH_FRAME_LEN - 60 + 1);
		return len > max ? max : len;
	}
}

/* Take what the guest queue received; only its own unicast, please. */
static void guest_reap(void)
{
	struct vmm *v = &fz.v;
	__u32 len;
	__u8 *f;

	while ((f = rx_next(v, &len, 0))) {
		if (len > v->max_frame)
			finding("the guest got a frame of %u bytes", len);
		else if (len >= ETH_ALEN && !(f[0] & 1) &&
			 memcmp(f, v->mac, ETH_ALEN))
			finding("the guest got a frame for %02x:%02x:%02x:%02x:%02x:%02x",
				f[0], f[1], f[2], f[3], f[4], f[5]);
	}
}

/*
 * Until the wire's frames have all landed, the guest queue may be full:
 * a frame sent now could be dropped, rightly.  So take what it receives
 * until the silicon holds nothing more (without -b: for 300 ms).
 */
static void wait_quiet(void)
{
	struct timespec t0;
	long left = 0;

	if (!fz.v.backlog) {
		usleep(300000);
		guest_reap();
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ms_since(&t0) < 30000) {
		guest_reap();
		left = sim_backlog(&fz.v);
		if (left <= 0)
			break;
		usleep(10000);
	}
	if (left < 0)
		finding("cannot read %s", fz.v.backlog);
	else if (left)
		finding("the silicon still holds %ld frames after %ld ms",
			left, ms_since(&t0));
	guest_reap();
	printf("wire: quiet after %ld ms\n", ms_since(&t0));
}

static void run_wire(const char *ifname, __u8 (*macs)[ETH_ALEN], int nmacs,
		     __u64 limit, long ms)
{
	struct vmm *v = &fz.v;
	struct ifreq ifr = { 0 };
	__u64 refused = 0, rx0 = 0;
	__u8 frame[16384];
	struct timespec t0;
	__u32 len, max;
	int c;

	wire_open(v, ifname);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(v->wire_sock, SIOCGIFMTU, &ifr))
		die("SIOCGIFMTU");
	max = ifr.ifr_mtu + ETH_HLEN + 4;
	if (max > sizeof(frame))
		max = sizeof(frame);
	if (v->uuid) {
		vmm_open(v);
		guest_start(v, BUF_LEN);
		for (c = 0; c < VMQ_CNT_MAX; c++)
			fz.cnt[c] = counter(v, c);
		rx0 = fz.cnt[VMQ_CNT_RX_PACKETS] + fz.cnt[VMQ_CNT_RX_DROPS];
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (fz.run.ops = 0; more(fz.run.ops, limit, &t0, ms); fz.run.ops++) {
		len = wire_frame(frame, max, macs, nmacs);
		if (send(v->wire_sock, frame, len, 0) == (ssize_t)len)
			fz.frames++;
		else
			refused++;
		if (v->uuid && !(fz.run.ops % 16))
			guest_reap();
	}
	printf("wire: %llu frames sent in %ld ms, %llu refused by the sending stack\n",
	       (unsigned long long)fz.frames, ms_since(&t0),
	       (unsigned long long)refused);
	if (!v->uuid)
		return;
	wait_quiet();
	for (c = 0; c < VMQ_CNT_MAX; c++)
		check_counter(c, counter(v, c));
	/* Some slack for the host's own broadcasts. */
	if (fz.cnt[VMQ_CNT_RX_PACKETS] + fz.cnt[VMQ_CNT_RX_DROPS] - rx0 >
	    fz.frames + 100)
		finding("the guest queue counted %llu frames of %llu sent",
			(unsigned long long)(fz.cnt[VMQ_CNT_RX_PACKETS] +
					     fz.cnt[VMQ_CNT_RX_DROPS] - rx0),
			(unsigned long long)fz.frames);
	check(rd(v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED,
	      "fuzz: the guest queue runs (status %#x error %u)",
	      rd(v, VMQ_REG_STATUS), rd(v, VMQ_REG_ERROR));
	check(rx_frames(v, v->mac, 4, true) == 4 &&
	      tx_frames(v, v->mac, 4, true) == 4,
	      "fuzz: the guest queue still receives and transmits");
	fz.run.findings += failures;
}

static void print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-s SEED] [-n OPS] [-t SECS] [-w WIRE] vfio UUID\n"
		"       %s [-s SEED] [-n FRAMES] [-t SECS] [-u UUID] [-b BACKLOG] wire IFNAME [MAC...]\n",
		prog, prog);
}

int main(int argc, char **argv)
{
	__u8 macs[8][ETH_ALEN];
	const char *mode, *wire = "vmq0w";
	__u64 limit = 10000;
	struct timespec t0;
	int opt, nmacs = 0;
	long ms = 0;

	fz.run.seed = time(NULL) ^ getpid();
	fz.v.timeout = 3000;
	while ((opt = getopt(argc, argv, "s:n:t:u:w:b:")) != -1) {
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
		case 'u':
			fz.v.uuid = optarg;
			break;
		case 'w':
			wire = optarg;
			break;
		case 'b':
			fz.v.backlog = optarg;
			break;
		default:
			print_usage(argv[0]);
			return 2;
		}
	}
	if (optind + 2 > argc) {
		print_usage(argv[0]);
		return argc == 1 ? KSFT_SKIP : 2;
	}
	mode = argv[optind];
	fz.rng = fz.run.seed ? fz.run.seed : 1;
	printf("vmq_fuzz %s: seed %llu (replay: -s %llu)\n", mode,
	       (unsigned long long)fz.run.seed, (unsigned long long)fz.run.seed);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!strcmp(mode, "vfio")) {
		fz.v.uuid = argv[optind + 1];
		run_vfio(wire, limit, ms);
	} else if (!strcmp(mode, "wire")) {
		wire = argv[optind + 1];
		for (optind += 2; optind < argc && nmacs < 8; optind++)
			if (parse_mac(argv[optind], macs[nmacs++]))
				return 2;
		run_wire(wire, macs, nmacs, limit, ms);
	} else {
		print_usage(argv[0]);
		return 2;
	}
	printf("vmq_fuzz %s: seed %llu ops %llu frames %llu findings %llu time %ld ms\n",
	       mode, (unsigned long long)fz.run.seed, (unsigned long long)fz.run.ops,
	       (unsigned long long)fz.frames,
	       (unsigned long long)fz.run.findings, ms_since(&t0));
	return fz.run.findings ? 1 : 0;
}
