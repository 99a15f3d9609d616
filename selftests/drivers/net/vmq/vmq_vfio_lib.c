// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vfio_lib: the VFIO setup, registers, wire and guest driver that
 * the selftests' VMMs share (see vmq_vfio_lib.h).
 */

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "vmq_vfio_lib.h"

/* --- registers ------------------------------------------------------------ */

__u32 rd(struct vmm *v, __u32 reg)
{
	__u32 val = 0;

	if (pread(v->dev, &val, 4, VMQ_VFIO_REGION_OFFSET(0) + reg) != 4)
		die("register read");
	return val;
}

int wr_err(struct vmm *v, __u32 reg, __u32 val)
{
	if (pwrite(v->dev, &val, 4, VMQ_VFIO_REGION_OFFSET(0) + reg) != 4)
		return -errno;
	return 0;
}

void wr(struct vmm *v, __u32 reg, __u32 val)
{
	if (wr_err(v, reg, val))
		die("register write");
}

__u64 counter(struct vmm *v, int n)
{
	return rd(v, VMQ_REG_COUNTER(n)) |
	       (__u64)rd(v, VMQ_REG_COUNTER(n) + 4) << 32;
}

/*
 * Wait until counter @n reads at least @min, or v->timeout ms pass: the
 * engine or the port's thread counts when it runs, which on a slow
 * machine may be long after the event.
 */
bool counter_wait(struct vmm *v, int n, __u64 min)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (counter(v, n) < min) {
		if (ms_since(&t0) > v->timeout)
			return false;
		usleep(1000);
	}
	return true;
}

/* --- VFIO setup ----------------------------------------------------------- */

static int vfio_group_of(const char *uuid)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group",
		 uuid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		die(path);
	link[n] = 0;
	return atoi(strrchr(link, '/') + 1);
}

int map_dma(struct vmm *v, void *mem, __u64 iova, __u64 size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .vaddr = (uintptr_t)mem,
		.iova = iova, .size = size,
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
	};

	return ioctl(v->container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

void *map_guest(struct vmm *v, __u64 iova, __u64 size)
{
	void *mem;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	memset(mem, 0, size);
	errno = -map_dma(v, mem, iova, size);
	if (errno)
		die("VFIO_IOMMU_MAP_DMA");
	return mem;
}

int unmap_guest(struct vmm *v, __u64 iova, __u64 size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = iova, .size = size,
	};

	return ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &unmap);
}

int set_irq_err(struct vmm *v, int index, int fd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(__s32)];
	struct vfio_irq_set *set = (void *)buf;

	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = index;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &fd, sizeof(__s32));
	return ioctl(v->dev, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
}

void set_irq(struct vmm *v, int index, int fd)
{
	errno = -set_irq_err(v, index, fd);
	if (errno)
		die("VFIO_DEVICE_SET_IRQS");
}

static void check_device(struct vmm *v)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	struct vfio_irq_info irq = { .argsz = sizeof(irq) };

	if (ioctl(v->dev, VFIO_DEVICE_GET_INFO, &info))
		die("VFIO_DEVICE_GET_INFO");
	if (info.num_regions != VMQ_VFIO_NUM_REGIONS ||
	    info.num_irqs != VMQ_VFIO_NUM_IRQS ||
	    !(info.flags & VFIO_DEVICE_FLAGS_RESET)) {
		printf("FAIL: device info: %u regions %u irqs flags %#x\n",
		       info.num_regions, info.num_irqs, info.flags);
		exit(1);
	}
	reg.index = VMQ_VFIO_REGION_REGS;
	if (ioctl(v->dev, VFIO_DEVICE_GET_REGION_INFO, &reg) ||
	    reg.size != VMQ_VFIO_REGS_SIZE ||
	    reg.offset != VMQ_VFIO_REGION_OFFSET(0))
		die("VFIO_DEVICE_GET_REGION_INFO");
	irq.index = VMQ_VFIO_IRQ_ERR;
	if (ioctl(v->dev, VFIO_DEVICE_GET_IRQ_INFO, &irq) ||
	    !(irq.flags & VFIO_IRQ_INFO_EVENTFD) || irq.count != 1)
		die("VFIO_DEVICE_GET_IRQ_INFO");
}

static void read_identity(struct vmm *v)
{
	__u32 lo = rd(v, VMQ_REG_MAC_LO), hi = rd(v, VMQ_REG_MAC_HI);
	int i;

	for (i = 0; i < 4; i++)
		v->mac[i] = lo >> (8 * i);
	v->mac[4] = hi;
	v->mac[5] = hi >> 8;
	v->vlan = rd(v, VMQ_REG_VLAN);
	v->max_frame = rd(v, VMQ_REG_MAX_FRAME);
}

/*
 * Put @v->uuid's group into @v->container and get the device; @first:
 * the container's first group, which sets its IOMMU.
 */
static void vmm_open_device(struct vmm *v, bool first)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];

	snprintf(path, sizeof(path), "/dev/vfio/%d", vfio_group_of(v->uuid));
	v->group = open(path, O_RDWR);
	if (v->group < 0)
		die(path);
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group not viable");
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container))
		die("VFIO_GROUP_SET_CONTAINER");
	if (first && ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("VFIO_SET_IOMMU");
	v->dev = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, v->uuid);
	if (v->dev < 0)
		die("VFIO_GROUP_GET_DEVICE_FD");
	check_device(v);
}

/* An eventfd on each of @v's interrupts; then what the device says it is. */
static void vmm_open_irqs(struct vmm *v)
{
	int i;

	for (i = 0; i < VMQ_VFIO_NUM_IRQS; i++) {
		v->efd[i] = eventfd(0, EFD_NONBLOCK);
		if (v->efd[i] < 0)
			die("eventfd");
		set_irq(v, i, v->efd[i]);
	}
	read_identity(v);
}

void vmm_open(struct vmm *v)
{
	v->container = open("/dev/vfio/vfio", O_RDWR);
	if (v->container < 0) {
		printf("SKIP: /dev/vfio/vfio: %s\n", strerror(errno));
		exit(KSFT_SKIP);
	}
	if (ioctl(v->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    !ioctl(v->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU)) {
		printf("SKIP: no VFIO type1v2 IOMMU\n");
		exit(KSFT_SKIP);
	}
	vmm_open_device(v, true);
	v->ring_mem = map_guest(v, RING_IOVA, RING_SIZE);
	v->buf_mem = map_guest(v, BUF_IOVA, BUF_SIZE);
	vmm_open_irqs(v);
}

/*
 * vmm_open() for a second device of the same VMM, @v->uuid, in @with's
 * container: the guest memory is @with's, and nothing is mapped for it
 * (its rings are the caller's to place).
 */
void vmm_open_beside(struct vmm *v, const struct vmm *with)
{
	v->container = with->container;
	vmm_open_device(v, false);
	vmm_open_irqs(v);
}

/*
 * Close what vmm_open() opened, as a VMM giving a device back does: the
 * device, then the group, whose release takes the container off it under
 * the group's lock (QEMU does that with VFIO_GROUP_UNSET_CONTAINER), and
 * the container last, with no IOMMU behind it any more.
 *
 * A process that just exits closes its files in another order: the
 * kernel releases them from the highest fd down, so the device (freeing a
 * host's removal waiting for it), then the container, while the group
 * (held by the device's file until then) still has it.  On 6.1 that
 * container release calls the type1 IOMMU's notify() without a lock
 * while the removal takes the container off the group and frees that
 * IOMMU (vfio_fops_release() against vfio_device_remove_group()): a use
 * after free.  Linux 6.3 dropped notify(); 6.1 has it still.
 */
void vmm_close(struct vmm *v)
{
	int i;

	close(v->dev);
	close(v->group);
	close(v->container);
	for (i = 0; i < VMQ_VFIO_NUM_IRQS; i++)
		close(v->efd[i]);
	munmap(v->ring_mem, RING_SIZE);
	munmap(v->buf_mem, BUF_SIZE);
	v->dev = -1;
	v->group = -1;
	v->container = -1;
}

int mdev_attr_set(const char *uuid, const char *attr, const char *val)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/vmq/%s", uuid,
		 attr);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? n : 0;
}

/* --- migration ------------------------------------------------------------ */

/* VFIO_DEVICE_FEATURE on @v with @len bytes of @data; 0 or -errno. */
static int device_feature(struct vmm *v, __u32 flags, void *data, size_t len)
{
	__u64 buf[(sizeof(struct vfio_device_feature) + 64) / sizeof(__u64)];
	struct vfio_device_feature *f = (void *)buf;
	int err = 0;

	if (len > 64)
		return -EINVAL;
	f->argsz = sizeof(*f) + len;
	f->flags = flags;
	memcpy(f->data, data, len);
	if (ioctl(v->dev, VFIO_DEVICE_FEATURE, f))
		err = -errno;
	memcpy(data, f->data, len);
	return err;
}

int mig_flags(struct vmm *v, __u64 *flags)
{
	struct vfio_device_feature_migration mig = { 0 };
	int err;

	err = device_feature(v, VFIO_DEVICE_FEATURE_GET |
			     VFIO_DEVICE_FEATURE_MIGRATION, &mig, sizeof(mig));
	*flags = mig.flags;
	return err;
}

int mig_get(struct vmm *v, __u32 *state)
{
	struct vfio_device_feature_mig_state mig = { .data_fd = -1 };
	int err;

	err = device_feature(v, VFIO_DEVICE_FEATURE_GET |
			     VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &mig,
			     sizeof(mig));
	*state = mig.device_state;
	return err;
}

int mig_set(struct vmm *v, __u32 state, int *fd)
{
	struct vfio_device_feature_mig_state mig = {
		.device_state = state, .data_fd = -1,
	};
	int err;

	err = device_feature(v, VFIO_DEVICE_FEATURE_SET |
			     VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &mig,
			     sizeof(mig));
	if (err)
		mig.data_fd = -1;
	if (fd)
		*fd = mig.data_fd;
	else if (mig.data_fd >= 0)
		close(mig.data_fd);
	return err;
}

/* Not in the uapi headers of kernels before 6.2. */
#ifndef VFIO_DEVICE_FEATURE_MIG_DATA_SIZE
#define VFIO_DEVICE_FEATURE_MIG_DATA_SIZE 9
struct vfio_device_feature_mig_data_size {
	__aligned_u64 stop_copy_length;
};
#endif

int mig_data_size(struct vmm *v, __u64 *bytes)
{
	struct vfio_device_feature_mig_data_size size = { 0 };
	int err;

	err = device_feature(v, VFIO_DEVICE_FEATURE_GET |
			     VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, &size,
			     sizeof(size));
	*bytes = size.stop_copy_length;
	return err;
}

const char *mig_state_name(__u32 state)
{
	static const char * const names[] = {
		[VFIO_DEVICE_STATE_ERROR] = "ERROR",
		[VFIO_DEVICE_STATE_STOP] = "STOP",
		[VFIO_DEVICE_STATE_RUNNING] = "RUNNING",
		[VFIO_DEVICE_STATE_STOP_COPY] = "STOP_COPY",
		[VFIO_DEVICE_STATE_RESUMING] = "RESUMING",
		[VFIO_DEVICE_STATE_RUNNING_P2P] = "RUNNING_P2P",
		[MIG_STATE_PRE_COPY] = "PRE_COPY",
		[MIG_STATE_PRE_COPY_P2P] = "PRE_COPY_P2P",
	};

	return state < ARRAY_SIZE(names) && names[state] ? names[state] : "?";
}

#ifndef VFIO_MIG_GET_PRECOPY_INFO
struct vfio_precopy_info {
	__u32 argsz;
	__u32 flags;
	__aligned_u64 initial_bytes;
	__aligned_u64 dirty_bytes;
};

#define VFIO_MIG_GET_PRECOPY_INFO _IO(VFIO_TYPE, VFIO_BASE + 21)
#endif

/* VFIO_MIG_GET_PRECOPY_INFO on a PRE_COPY data fd; 0 or -errno. */
int mig_precopy_info(int fd, __u64 *initial, __u64 *dirty)
{
	struct vfio_precopy_info info = { .argsz = sizeof(info) };

	if (ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, &info))
		return -errno;
	*initial = info.initial_bytes;
	*dirty = info.dirty_bytes;
	return 0;
}

static int dirty_op(struct vmm *v, __u32 flag)
{
	struct vfio_iommu_type1_dirty_bitmap dirty = {
		.argsz = sizeof(dirty), .flags = flag,
	};

	return ioctl(v->container, VFIO_IOMMU_DIRTY_PAGES, &dirty) ? -errno : 0;
}

int dirty_start(struct vmm *v)
{
	return dirty_op(v, VFIO_IOMMU_DIRTY_PAGES_FLAG_START);
}

int dirty_stop(struct vmm *v)
{
	return dirty_op(v, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP);
}

/*
 * The pages of mapping [@iova, @iova + @size) dirtied since the last
 * query, one bit per page in @bits (room for @size / page size bits,
 * rounded up to 64).
 */
int dirty_bitmap(struct vmm *v, __u64 iova, __u64 size, __u64 *bits)
{
	__u64 buf[(sizeof(struct vfio_iommu_type1_dirty_bitmap) +
		   sizeof(struct vfio_iommu_type1_dirty_bitmap_get)) /
		  sizeof(__u64) + 1];
	struct vfio_iommu_type1_dirty_bitmap *dirty = (void *)buf;
	struct vfio_iommu_type1_dirty_bitmap_get *range = (void *)dirty->data;
	__u64 page = sysconf(_SC_PAGESIZE), npages = size / page;

	memset(buf, 0, sizeof(buf));
	dirty->argsz = sizeof(*dirty) + sizeof(*range);
	dirty->flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	range->iova = iova;
	range->size = size;
	range->bitmap.pgsize = page;
	range->bitmap.size = (npages + 63) / 64 * 8;
	range->bitmap.data = bits;
	memset(bits, 0, range->bitmap.size);
	return ioctl(v->container, VFIO_IOMMU_DIRTY_PAGES, dirty) ? -errno : 0;
}

/* zlib's crc32(): IEEE 802.3, reflected, bit by bit. */
__u32 crc32_zlib(__u32 crc, const void *buf, size_t len)
{
	const __u8 *p = buf;
	int k;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320U & -(crc & 1));
	}
	return ~crc;
}

/* The CRC a stream of @len bytes must carry: its crc field taken as 0. */
__u32 mig_crc(const __u8 *s, size_t len)
{
	size_t at = offsetof(struct vmq_mig_header, crc);
	static const __u8 zero[4];
	__u32 crc;

	if (len < sizeof(struct vmq_mig_header))
		return crc32_zlib(0, s, len);
	crc = crc32_zlib(0, s, at);
	crc = crc32_zlib(crc, zero, sizeof(zero));
	return crc32_zlib(crc, s + at + 4, len - at - 4);
}

/* Read a data fd to its end: the bytes read, or -errno. */
ssize_t mig_read(int fd, __u8 *buf, size_t max)
{
	size_t got = 0;
	ssize_t n;

	while (got < max) {
		n = read(fd, buf + got, max - got);
		if (n < 0)
			return -errno;
		if (!n)
			break;
		got += n;
	}
	return got;
}

/* Write all of @buf to a data fd, in pieces: the bytes written, or -errno. */
ssize_t mig_write(int fd, const __u8 *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(fd, buf + done, len - done);
		if (n < 0)
			return -errno;
		if (!n)
			return -EIO;
		done += n;
	}
	return done;
}

/* The record at @off, if a whole one is there. */
static bool mig_rec_at(const __u8 *s, size_t len, size_t off,
		       struct mig_rec *r)
{
	struct vmq_mig_record rec;

	if (off + sizeof(rec) > len)
		return false;
	memcpy(&rec, s + off, sizeof(rec));
	r->type = le16toh(rec.type);
	r->flags = le16toh(rec.flags);
	r->len = le32toh(rec.len);
	r->off = off;
	r->data = s + off + sizeof(rec);
	if (r->len > len - off - sizeof(rec))
		return false;
	r->next = off + sizeof(rec) + ((r->len + 7ULL) & ~7ULL);
	return true;
}

bool mig_rec_first(const __u8 *s, size_t len, struct mig_rec *r)
{
	struct vmq_mig_header h;

	if (len < sizeof(h))
		return false;
	memcpy(&h, s, sizeof(h));
	return mig_rec_at(s, len, le32toh(h.hdr_size), r);
}

bool mig_rec_next(const __u8 *s, size_t len, struct mig_rec *r)
{
	return mig_rec_at(s, len, r->next, r);
}

/* The first record of @type. */
bool mig_rec_find(const __u8 *s, size_t len, __u16 type, struct mig_rec *r)
{
	bool ok;

	for (ok = mig_rec_first(s, len, r); ok; ok = mig_rec_next(s, len, r))
		if (r->type == type)
			return true;
	return false;
}

/* A record at @p, padded; the bytes it takes. */
size_t mig_rec_put(__u8 *p, __u16 type, __u16 flags, const void *data,
		   __u32 len)
{
	struct vmq_mig_record rec = {
		.type = htole16(type), .flags = htole16(flags),
		.len = htole32(len),
	};
	size_t padded = (len + 7ULL) & ~7ULL;

	memcpy(p, &rec, sizeof(rec));
	if (len)
		memcpy(p + sizeof(rec), data, len);
	memset(p + sizeof(rec) + len, 0, padded - len);
	return sizeof(rec) + padded;
}

void mig_seal(__u8 *s, size_t len)
{
	struct vmq_mig_header h;

	memcpy(&h, s, sizeof(h));
	h.size = htole64(len);
	h.crc = 0;
	memcpy(s, &h, sizeof(h));
	h.crc = htole32(mig_crc(s, len));
	memcpy(s, &h, sizeof(h));
}

/* A QUEUE record's state, in place from the stream's little-endian. */
void le_queue(struct vmq_queue_state *q)
{
	q->version = le32toh(q->version);
	q->size = le32toh(q->size);
	q->flags = le32toh(q->flags);
	q->error = le32toh(q->error);
	q->rx.base = le64toh(q->rx.base);
	q->rx.size = le32toh(q->rx.size);
	q->rx.head = le32toh(q->rx.head);
	q->rx.tail = le32toh(q->rx.tail);
	q->tx.base = le64toh(q->tx.base);
	q->tx.size = le32toh(q->tx.size);
	q->tx.head = le32toh(q->tx.head);
	q->tx.tail = le32toh(q->tx.tail);
}

/* --- the wire (link partner), through vmq_test_lib.c ---------------------- */

void wire_open(struct vmm *v, const char *ifname)
{
	v->wire_sock = wire_socket(ifname, &v->wire_ifindex, v->wire_mac);
}

__u32 make_frame(struct vmm *v, __u8 *buf, const __u8 *dst,
		 const __u8 *src, __u32 len)
{
	return test_frame(++v->seq, buf, dst, src, len);
}

void wire_send(struct vmm *v, const __u8 *frame, __u32 len, __u16 vlan)
{
	wire_sock_send(v->wire_sock, frame, len, vlan);
}

int wire_recv(struct vmm *v, __u8 *buf, __u16 *vlan, int ms)
{
	return wire_sock_recv(v->wire_sock, buf, vlan, ms);
}

void wire_drain(struct vmm *v)
{
	wire_sock_drain(v->wire_sock);
}

/* --- the guest driver ----------------------------------------------------- */

struct vmq_desc *rx_desc(struct vmm *v, __u32 i)
{
	return (struct vmq_desc *)(v->ring_mem + RX_RING) + i;
}

struct vmq_desc *tx_desc(struct vmm *v, __u32 i)
{
	return (struct vmq_desc *)(v->ring_mem + TX_RING) + i;
}

__u64 rx_buf_iova(__u32 i)
{
	return BUF_IOVA + RX_BUFS + (__u64)i * BUF_LEN;
}

__u8 *rx_buf(struct vmm *v, __u32 i)
{
	return v->buf_mem + RX_BUFS + (size_t)i * BUF_LEN;
}

__u8 *tx_buf(struct vmm *v, __u32 i)
{
	return v->buf_mem + TX_BUFS + (size_t)i * BUF_LEN;
}

/* Post receive buffer @i (buffer of @len bytes). */
void rx_post(struct vmm *v, __u32 i, __u64 iova, __u32 len)
{
	struct vmq_desc *d = rx_desc(v, i);

	d->addr = iova;
	d->len = len;
	d->flags = 0;
	d->rsvd = 0;
	memset(rx_buf(v, i), 0xee, BUF_LEN);
}

/* Reset the device and set rings up, all receive buffers posted. */
/* Tell the device its rings: NDESC each, at their offsets from @iova. */
void guest_rings_at(struct vmm *v, __u64 iova)
{
	wr(v, VMQ_REG_RX_BASE_LO, iova + RX_RING);
	wr(v, VMQ_REG_RX_BASE_HI, iova >> 32);
	wr(v, VMQ_REG_RX_SIZE, NDESC);
	wr(v, VMQ_REG_TX_BASE_LO, iova + TX_RING);
	wr(v, VMQ_REG_TX_BASE_HI, iova >> 32);
	wr(v, VMQ_REG_TX_SIZE, NDESC);
}

void guest_setup(struct vmm *v, __u32 rx_len)
{
	__u32 i;

	wr(v, VMQ_REG_CONTROL, VMQ_CTRL_RESET);
	memset(v->ring_mem, 0, RING_SIZE);
	v->rx_head = 0;
	v->tx_head = 0;
	v->tx_tail = 0;
	for (i = 0; i < NDESC - 1; i++)
		rx_post(v, i, rx_buf_iova(i), rx_len);
	v->rx_tail = NDESC - 1;
	guest_rings_at(v, RING_IOVA);
	wr(v, VMQ_REG_RX_TAIL, v->rx_tail);
}

/* guest_setup(), and enable the queue. */
void guest_start(struct vmm *v, __u32 rx_len)
{
	guest_setup(v, rx_len);
	wr(v, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE);
}

/* Wait for interrupt @index; true if it fired. */
bool wait_irq(struct vmm *v, int index, int ms)
{
	struct pollfd pfd = { .fd = v->efd[index], .events = POLLIN };
	__u64 n;

	if (poll(&pfd, 1, ms) <= 0)
		return false;
	return read(v->efd[index], &n, sizeof(n)) == sizeof(n);
}

void drain_irq(struct vmm *v, int index)
{
	__u64 n;

	while (read(v->efd[index], &n, sizeof(n)) == sizeof(n))
		;
}

/* Next completed receive descriptor, recycled; NULL after @ms. */
__u8 *rx_next(struct vmm *v, __u32 *len, int ms)
{
	static __u8 frame[BUF_LEN];
	struct vmq_desc *d;
	__u32 i;

	for (;;) {
		i = v->rx_head;
		d = rx_desc(v, i);
		if (__atomic_load_n(&d->flags, __ATOMIC_ACQUIRE) &
		    VMQ_DESC_F_DONE)
			break;
		if (!wait_irq(v, VMQ_VFIO_IRQ_RX, ms))
			return NULL;
	}
	*len = d->len;
	memcpy(frame, rx_buf(v, i), *len < BUF_LEN ? *len : BUF_LEN);
	/* Post a fresh buffer at the tail; @i goes back when the tail
	 * comes round to it.
	 */
	rx_post(v, v->rx_tail, rx_buf_iova(v->rx_tail), BUF_LEN);
	v->rx_head = (i + 1) % NDESC;
	v->rx_tail = (v->rx_tail + 1) % NDESC;
	wr(v, VMQ_REG_RX_TAIL, v->rx_tail);
	return frame;
}

/* Next received test frame (other traffic skipped). */
__u8 *rx_next_test(struct vmm *v, __u32 *len, int ms)
{
	__u8 *f;

	while ((f = rx_next(v, len, ms)))
		if (*len >= 18 && f[12] == TEST_ETHERTYPE >> 8 &&
		    f[13] == (TEST_ETHERTYPE & 0xff))
			return f;
	return NULL;
}

/* Queue one frame for transmit and ring the doorbell. */
__u32 tx_post(struct vmm *v, __u64 iova, __u32 len)
{
	__u32 i = v->tx_tail;
	struct vmq_desc *d = tx_desc(v, i);

	d->addr = iova;
	d->len = len;
	d->flags = 0;
	v->tx_tail = (i + 1) % NDESC;
	wr(v, VMQ_REG_TX_TAIL, v->tx_tail);
	return i;
}

bool tx_wait_done(struct vmm *v, __u32 i, int ms)
{
	while (!(__atomic_load_n(&tx_desc(v, i)->flags, __ATOMIC_ACQUIRE) &
		 VMQ_DESC_F_DONE))
		if (!wait_irq(v, VMQ_VFIO_IRQ_TX, ms))
			return false;
	return true;
}

__u32 test_len(__u32 k)
{
	static const __u32 lens[] = { 60, 64, 127, 500, 1000, 1514 };

	return lens[k % ARRAY_SIZE(lens)];
}

/* Send @n frames to @dst from the wire; receive and compare each. */
int rx_frames(struct vmm *v, const __u8 *dst, int n, bool quiet)
{
	__u8 sent[ETH_FRAME_LEN];
	__u32 len, got_len, seq;
	int k, ok = 0;
	__u8 *got;

	for (k = 0; k < n; k++) {
		len = test_len(k);
		seq = make_frame(v, sent, dst, v->wire_mac, len);
		wire_send(v, sent, len, v->vlan);
		got = rx_next_test(v, &got_len, v->timeout);
		if (!got) {
			check(false, "rx frame %u (%u bytes): nothing arrived",
			      seq, len);
			return ok;
		}
		if (got_len != len || memcmp(got, sent, len)) {
			char to[18];
			__u32 got_seq;

			/* Whose frame it was tells a stray from a corruption. */
			memcpy(&got_seq, got + 14, sizeof(got_seq));
			snprintf(to, sizeof(to), "%02x:%02x:%02x:%02x:%02x:%02x",
				 got[0], got[1], got[2], got[3], got[4], got[5]);
			check(false, "rx frame %u: %u bytes, want %u, or differs (got %u to %s)",
			      seq, got_len, len, got_seq, to);
			return ok;
		}
		ok++;
	}
	if (!quiet)
		check(ok == n, "rx: %d frames (60..1514 bytes) landed %s",
		      ok, "byte for byte at the posted IOVAs");
	return ok;
}

/* Transmit @n frames from @src; true if each reached the wire intact. */
int tx_frames(struct vmm *v, const __u8 *src, int n, bool expect)
{
	__u8 got[ETH_FRAME_LEN + 8];
	__u32 len, i;
	__u16 vlan;
	int k, ok = 0;
	ssize_t glen;

	wire_drain(v);
	for (k = 0; k < n; k++) {
		len = test_len(k);
		make_frame(v, tx_buf(v, k % NDESC), v->wire_mac, src, len);
		i = tx_post(v, BUF_IOVA + TX_BUFS + (__u64)(k % NDESC) * BUF_LEN,
			    len);
		if (!tx_wait_done(v, i, v->timeout)) {
			check(false, "tx frame %d: no completion", k);
			return ok;
		}
		if (!expect) {
			ok += !!(tx_desc(v, i)->flags & VMQ_DESC_F_ERR);
			continue;
		}
		glen = wire_recv(v, got, &vlan, v->timeout);
		if (glen != (ssize_t)len || memcmp(got, tx_buf(v, k % NDESC), len) ||
		    vlan != v->vlan) {
			check(false, "tx frame %d: partner got %zd bytes vlan %u, want %u vlan %u",
			      k, glen, vlan, len, v->vlan);
			return ok;
		}
		ok++;
	}
	if (!expect) {
		__u16 vlan2;

		ok = wire_recv(v, got, &vlan2, 300) < 0 ? ok : -1;
	}
	return ok;
}

/* A number a debugfs file holds, or -1. */
static long sim_read_long(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = path ? open(path, O_RDONLY) : -1;
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * Frames from the wire the simulated NIC still holds (its debugfs
 * "backlog", v->backlog), or -1 if that cannot be read.
 */
long sim_backlog(const struct vmm *v)
{
	return sim_read_long(v->backlog);
}

/* vmqsim's debugfs file @name, beside "backlog" (v->backlog), in @path. */
static bool sim_file(const struct vmm *v, const char *name, char *path)
{
	const char *slash = v->backlog ? strrchr(v->backlog, '/') : NULL;

	if (!slash)
		return false;
	snprintf(path, PATH_MAX, "%.*s%s", (int)(slash + 1 - v->backlog),
		 v->backlog, name);
	return true;
}

/* The same for the receive port's part alone ("port_backlog" beside it). */
long sim_port_backlog(const struct vmm *v)
{
	char path[PATH_MAX];

	return sim_file(v, "port_backlog", path) ? sim_read_long(path) : -1;
}

/* Set vmqsim's debugfs knob @name (beside v->backlog); false if not. */
bool sim_knob(const struct vmm *v, const char *name, const char *val)
{
	char path[PATH_MAX];
	bool ok;
	FILE *f;

	if (!sim_file(v, name, path))
		return false;
	f = fopen(path, "w");
	if (!f)
		return false;
	ok = fputs(val, f) >= 0;
	return !fclose(f) && ok;
}

/*
 * Hold vmqsim's receive port (its port_hold knob) once every frame that
 * reached the port so far is classified: the held port's backlog is then
 * the frames sent after this, and only those.  False if it cannot.
 */
bool sim_hold_port(const struct vmm *v)
{
	struct timespec t0;
	long port;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((port = sim_port_backlog(v)) > 0 && ms_since(&t0) < 10000)
		usleep(1000);
	return !port && sim_knob(v, "port_hold", "Y");
}

/* vmqsim's debugfs knob @name (beside v->backlog), or -1. */
long sim_read_knob(const struct vmm *v, const char *name)
{
	char path[PATH_MAX];

	return sim_file(v, name, path) ? sim_read_long(path) : -1;
}

/* Wait at most @ms for vmqsim's debugfs knob @name to read @want. */
bool sim_wait_knob(const struct vmm *v, const char *name, long want, int ms)
{
	char path[PATH_MAX];
	struct timespec t0;

	if (!sim_file(v, name, path))
		return false;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (sim_read_long(path) != want) {
		if (ms_since(&t0) > ms)
			return false;
		usleep(1000);
	}
	return true;
}

/* vmqsim's device-level counter @name ("counters"), or -1. */
long long sim_counter(const struct vmm *v, const char *name)
{
	char path[PATH_MAX], key[64];
	long long val, found = -1;
	FILE *f;

	if (!sim_file(v, "counters", path))
		return -1;
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63[^:]: %lld ", key, &val) == 2)
		if (!strcmp(key, name))
			found = val;
	fclose(f);
	return found;
}

/*
 * Wait until the simulated NIC holds @want frames from the wire: every
 * frame sent so far classified, and those still held where @want says.
 * At most 10 s; without -b (v->backlog) just @ms.  False if never.
 */
bool sim_wait_backlog(const struct vmm *v, long want, int ms)
{
	long held = 0, port;
	struct timespec t0;

	if (!v->backlog) {
		usleep(ms * 1000);
		return true;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((port = sim_port_backlog(v)) != 0 ||
	       (held = sim_backlog(v)) != want) {
		if (port < 0 || held < 0 || ms_since(&t0) > 10000) {
			printf("the device holds %ld frames (%ld unclassified), want %ld\n",
			       held, port, want);
			return false;
		}
		usleep(10000);
	}
	return true;
}

int parse_mac(const char *s, __u8 *mac)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
		      &mac[2], &mac[3], &mac[4], &mac[5]) == 6 ? 0 : -1;
}
