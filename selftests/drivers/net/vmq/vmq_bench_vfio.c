// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_bench_vfio: the receive side of a VMM on a vmq_vfio queue pair, for
 * the benchmarks' guest_rx metric.  Opens the mediated device through a
 * VFIO type1 container, maps guest memory, posts a full receive ring of
 * 2 KiB buffers and counts the frames the device writes into them over
 * fixed wall-clock windows, printing one "frames/s" figure per window.
 * Completed descriptors are reposted in batches with one doorbell each.
 *
 *   vmq_bench_vfio UUID WARM_S WIN_S RUNS
 *
 * Exits 0 after RUNS windows, 1 on a setup error, 4 without VFIO.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/types.h>
#include <linux/vfio.h>
#include <linux/vmq.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define KSFT_SKIP	4
#define RING_IOVA	0x100000ULL
#define BUF_IOVA	0x1000000ULL
#define BUF_LEN		2048
#define MAX_DESC	1024
#define TX_DESC		64
#define TX_RING		0x10000		/* offset in the ring mapping */
#define RING_BYTES	0x20000

struct bench {
	int container, group, dev, efd;
	struct vmq_desc *ring;
	__u8 *bufs;
	__u32 ndesc, head, tail;
};

static void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static __u32 rd(struct bench *b, __u32 reg)
{
	__u32 val = 0;

	if (pread(b->dev, &val, 4, VMQ_VFIO_REGION_OFFSET(0) + reg) != 4)
		die("register read");
	return val;
}

static void wr(struct bench *b, __u32 reg, __u32 val)
{
	if (pwrite(b->dev, &val, 4, VMQ_VFIO_REGION_OFFSET(0) + reg) != 4)
		die("register write");
}

static unsigned long long counter(struct bench *b, int n)
{
	return rd(b, VMQ_REG_COUNTER(n)) |
	       (unsigned long long)rd(b, VMQ_REG_COUNTER(n) + 4) << 32;
}

static void *map_guest(struct bench *b, __u64 iova, __u64 size)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	void *mem;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	map.vaddr = (unsigned long)mem;
	map.iova = iova;
	map.size = size;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	if (ioctl(b->container, VFIO_IOMMU_MAP_DMA, &map))
		die("VFIO_IOMMU_MAP_DMA");
	return mem;
}

static void set_rx_irq(struct bench *b)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(__s32)];
	struct vfio_irq_set *set = (void *)buf;

	b->efd = eventfd(0, EFD_NONBLOCK);
	if (b->efd < 0)
		die("eventfd");
	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VMQ_VFIO_IRQ_RX;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &b->efd, sizeof(__s32));
	if (ioctl(b->dev, VFIO_DEVICE_SET_IRQS, set))
		die("VFIO_DEVICE_SET_IRQS");
}

static void open_mdev(struct bench *b, const char *uuid)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	b->container = open("/dev/vfio/vfio", O_RDWR);
	if (b->container < 0) {
		fprintf(stderr, "/dev/vfio/vfio: %s\n", strerror(errno));
		exit(KSFT_SKIP);
	}
	if (ioctl(b->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    !ioctl(b->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU)) {
		fprintf(stderr, "no VFIO type1v2 IOMMU\n");
		exit(KSFT_SKIP);
	}
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group",
		 uuid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		die(path);
	link[n] = 0;
	snprintf(path, sizeof(path), "/dev/vfio/%s", strrchr(link, '/') + 1);
	b->group = open(path, O_RDWR);
	if (b->group < 0)
		die(path);
	if (ioctl(b->group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group not viable");
	if (ioctl(b->group, VFIO_GROUP_SET_CONTAINER, &b->container))
		die("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(b->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("VFIO_SET_IOMMU");
	b->dev = ioctl(b->group, VFIO_GROUP_GET_DEVICE_FD, uuid);
	if (b->dev < 0)
		die("VFIO_GROUP_GET_DEVICE_FD");
}

static void post(struct bench *b, __u32 i)
{
	struct vmq_desc *d = &b->ring[i];

	d->addr = BUF_IOVA + (__u64)i * BUF_LEN;
	d->len = BUF_LEN;
	d->rsvd = 0;
	__atomic_store_n(&d->flags, 0, __ATOMIC_RELEASE);
}

static void rx_start(struct bench *b)
{
	__u32 i, max = rd(b, VMQ_REG_RING_MAX), min = rd(b, VMQ_REG_RING_MIN);
	__u32 ntx = TX_DESC;

	b->ndesc = MAX_DESC;
	while (b->ndesc > max && b->ndesc > 1)
		b->ndesc /= 2;
	while (ntx < min)
		ntx *= 2;
	b->ring = map_guest(b, RING_IOVA, RING_BYTES);
	b->bufs = map_guest(b, BUF_IOVA, (__u64)MAX_DESC * BUF_LEN);
	set_rx_irq(b);
	wr(b, VMQ_REG_CONTROL, VMQ_CTRL_RESET);
	for (i = 0; i < b->ndesc - 1; i++)
		post(b, i);
	b->head = 0;
	b->tail = b->ndesc - 1;
	wr(b, VMQ_REG_RX_BASE_LO, RING_IOVA);
	wr(b, VMQ_REG_RX_BASE_HI, 0);
	wr(b, VMQ_REG_RX_SIZE, b->ndesc);
	/* The transmit ring stays empty; the device wants it set up. */
	wr(b, VMQ_REG_TX_BASE_LO, RING_IOVA + TX_RING);
	wr(b, VMQ_REG_TX_BASE_HI, 0);
	wr(b, VMQ_REG_TX_SIZE, ntx);
	wr(b, VMQ_REG_RX_TAIL, b->tail);
	wr(b, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE);
	if (!(rd(b, VMQ_REG_STATUS) & VMQ_STATUS_ENABLED)) {
		fprintf(stderr, "queue did not start: status %#x error %u\n",
			rd(b, VMQ_REG_STATUS), rd(b, VMQ_REG_ERROR));
		exit(1);
	}
}

/* Take the completed descriptors, repost them; returns how many. */
static __u32 reap(struct bench *b, __u8 *sum)
{
	__u32 n = 0;

	for (;;) {
		struct vmq_desc *d = &b->ring[b->head];

		if (!(__atomic_load_n(&d->flags, __ATOMIC_ACQUIRE) &
		      VMQ_DESC_F_DONE))
			break;
		/* Touch the frame, as a guest driver would. */
		*sum += b->bufs[(size_t)b->head * BUF_LEN];
		post(b, b->tail);
		b->tail = (b->tail + 1) % b->ndesc;
		b->head = (b->head + 1) % b->ndesc;
		n++;
	}
	if (n)
		wr(b, VMQ_REG_RX_TAIL, b->tail);
	return n;
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	double warm, win, t0, t;
	unsigned long long frames = 0, wakeups = 0;
	int runs, done = 0, warming;
	__u8 sum = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: %s UUID WARM_S WIN_S RUNS\n", argv[0]);
		return 2;
	}
	warm = atof(argv[2]);
	win = atof(argv[3]);
	runs = atoi(argv[4]);
	if (win <= 0 || runs <= 0)
		return 2;
	open_mdev(&b, argv[1]);
	rx_start(&b);
	t0 = now();
	warming = warm > 0;
	while (done < runs) {
		struct pollfd pfd = { .fd = b.efd, .events = POLLIN };
		__u32 n = reap(&b, &sum);
		__u64 ev;

		if (!n) {
			if (poll(&pfd, 1, 10) > 0) {
				if (read(b.efd, &ev, sizeof(ev)) < 0 &&
				    errno != EAGAIN)
					die("eventfd read");
				wakeups++;
			}
			if (rd(&b, VMQ_REG_STATUS) & VMQ_STATUS_ERROR) {
				fprintf(stderr, "queue error %u\n",
					rd(&b, VMQ_REG_ERROR));
				return 1;
			}
		}
		frames += n;
		t = now();
		if (warming) {
			if (t - t0 >= warm) {
				warming = 0;
				t0 = t;
				frames = 0;
			}
			continue;
		}
		if (t - t0 >= win) {
			printf("%.0f\n", frames / (t - t0));
			fflush(stdout);
			frames = 0;
			t0 = t;
			done++;
		}
	}
	/* Keep the compiler from eliding the reads. */
	__asm__ volatile("" : : "r"(sum));
	/* The device's view, for the bench to tell what limited us. */
	printf("info rx_packets %llu\n", counter(&b, VMQ_CNT_RX_PACKETS));
	printf("info rx_drops %llu\n", counter(&b, VMQ_CNT_RX_DROPS));
	printf("info doorbells %llu\n", counter(&b, VMQ_CNT_DOORBELLS));
	printf("info wakeups %llu\n", wakeups);
	wr(&b, VMQ_REG_CONTROL, VMQ_CTRL_RESET);
	return 0;
}
