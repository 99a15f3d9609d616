// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_bench_vhost: the receive side of a VMM on a vmq_vdpa device bound
 * to vhost_vdpa, for the benchmarks' guest_rx metric: what
 * vmq_bench_vfio is for a vmq_vfio queue pair, through the standard
 * vhost uapi (vmq_vhost_lib) instead of the mdev's registers.  Maps
 * memory of its own through the device's IOTLB, posts a full receive
 * virtqueue of 2 KiB buffers and counts the frames the device writes
 * into them over fixed wall-clock windows, printing one "frames/s"
 * figure per window.
 * Used buffers are made available again at once, and the virtqueue
 * kicked once REFILL_BATCH of them wait, as vmq_bench_vfio rings its
 * doorbell: in a VM each kick is a trap to the VMM.  With nothing to
 * reap it waits on the call eventfd, as a vCPU halted in the guest waits
 * for its interrupt, up to 10 ms (vmq_bench_vfio's poll).
 * With VMQ_BENCH_HOST_CPUS set, each figure is followed by "cpu NS", the
 * host CPU time per frame (vmq_bench_lib.h).
 *
 *   vmq_bench_vhost /dev/vhost-vdpa-N WARM_S WIN_S RUNS
 *
 * Exits 0 after RUNS windows, 1 on a setup error or a device that wants
 * a reset (its cause on stdout as "FAIL: ..."), 4 without the device.
 */

#include <endian.h>
#include <errno.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "vmq_bench_lib.h"
#include "vmq_vhost_lib.h"

/* Guest memory: both virtqueues, then the receive buffers. */
#define RING_IOVA	0x100000ULL	/* virtqueue q at q * VQ_STRIDE */
#define RING_SIZE	(2 * VQ_STRIDE)
#define BUF_IOVA	0x400000ULL
#define BUF_LEN		2048
#define BUF_SIZE	(VQ_MAX_NUM * BUF_LEN)
#define HDR_LEN		((__u32)sizeof(struct virtio_net_hdr_v1))
#define REFILL_BATCH	16

#define VQ_RX		0
#define VQ_TX		1

#define WANT_FEATURES	(BIT_ULL(VIRTIO_F_VERSION_1) | \
			 BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) | \
			 BIT_ULL(VIRTIO_NET_F_MAC) | \
			 BIT_ULL(VIRTIO_NET_F_STATUS))

struct bench {
	struct vhost h;
	struct vq vq[2];
	int config_call;
	__u8 *ring_mem, *buf_mem;
	__u32 unkicked;		/* made available since the last kick */
	unsigned long long kicks;
};

static __u8 *buf(struct bench *b, __u32 i)
{
	return b->buf_mem + (size_t)i * BUF_LEN;
}

/* Both virtqueues (the transmit one stays empty), receive buffers posted. */
static void rx_start(struct bench *b)
{
	const struct vhost_map maps[] = {
		{ RING_IOVA, RING_SIZE, b->ring_mem, VHOST_ACCESS_RW },
		{ BUF_IOVA, BUF_SIZE, b->buf_mem, VHOST_ACCESS_RW },
	};
	__u16 num = VQ_MAX_NUM, max = 0;
	int q;

	vhost_xioctl(&b->h, VHOST_VDPA_GET_VRING_NUM, &max,
		     "VHOST_VDPA_GET_VRING_NUM");
	while (num > max && num > 1)
		num /= 2;
	vhost_features_ok(&b->h, WANT_FEATURES);
	vhost_map(&b->h, maps, ARRAY_SIZE(maps));
	for (q = 0; q < 2; q++)
		vq_setup(&b->h, &b->vq[q], q, num,
			 b->ring_mem + q * VQ_STRIDE,
			 RING_IOVA + q * VQ_STRIDE);
	vhost_xioctl(&b->h, VHOST_VDPA_SET_CONFIG_CALL, &b->config_call,
		     "VHOST_VDPA_SET_CONFIG_CALL");
	efd_drain(b->config_call);
	for (q = 0; q < num; q++) {
		vq_desc_set(&b->vq[VQ_RX].desc[q], BUF_IOVA + (__u64)q * BUF_LEN,
			    BUF_LEN, VRING_DESC_F_WRITE, 0);
		vq_avail_put(&b->vq[VQ_RX], q);
	}
	vq_enable(&b->h, VQ_RX);
	vq_enable(&b->h, VQ_TX);
	vhost_status_set(&b->h, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			 VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
			 VIRTIO_CONFIG_S_DRIVER_OK);
	if (vhost_status_get(&b->h) & VIRTIO_CONFIG_S_NEEDS_RESET) {
		printf("FAIL: the device wants a reset after DRIVER_OK\n");
		exit(1);
	}
	vq_kick(&b->vq[VQ_RX]);
	b->kicks++;
}

/*
 * Take the used receive buffers, make them available again (their
 * descriptors are as posted); returns how many.
 */
static __u32 reap(struct bench *b, __u8 *sum)
{
	struct vq *vq = &b->vq[VQ_RX];
	__u16 used = le16toh(__atomic_load_n(&vq->used->idx,
					     __ATOMIC_ACQUIRE));
	__u32 n = 0;

	while (vq->last_used != used) {
		struct vring_used_elem *e = &vq->used->ring[vq->last_used %
							     vq->num];
		__u32 id = le32toh(e->id);

		/* Touch the frame behind its header, as a guest driver would. */
		*sum += buf(b, id % vq->num)[HDR_LEN];
		vq_avail_put(vq, id);
		vq->last_used++;
		n++;
	}
	b->unkicked += n;
	if (b->unkicked >= REFILL_BATCH) {
		vq_kick(vq);
		b->kicks++;
		b->unkicked = 0;
	}
	return n;
}

int main(int argc, char **argv)
{
	unsigned long long wakeups = 0, frames = 0;
	struct bench b = { 0 };
	struct windows w;
	__u8 sum = 0;
	int q;

	if (argc != 5 || windows_parse(&w, argv[2], argv[3], argv[4])) {
		fprintf(stderr, "usage: %s /dev/vhost-vdpa-N WARM_S WIN_S RUNS\n",
			argv[0]);
		return 2;
	}
	b.h.path = argv[1];
	vhost_open(&b.h);
	b.ring_mem = anon(RING_SIZE);
	b.buf_mem = anon(BUF_SIZE);
	for (q = 0; q < 2; q++)
		vq_init(&b.vq[q]);
	b.config_call = eventfd(0, EFD_NONBLOCK);
	if (b.config_call < 0)
		die("eventfd");
	rx_start(&b);
	windows_init(&w);
	do {
		/* A guest driver's interrupts: completions, and the config. */
		struct pollfd pfd[2] = {
			{ .fd = b.vq[VQ_RX].call, .events = POLLIN },
			{ .fd = b.config_call, .events = POLLIN },
		};
		__u32 n = reap(&b, &sum);
		__u64 ev;

		if (!n && poll(pfd, 2, 10) > 0) {
			if (pfd[1].revents) {
				printf("FAIL: device status %#x\n",
				       vhost_status_get(&b.h));
				return 1;
			}
			if (read(pfd[0].fd, &ev, sizeof(ev)) < 0 &&
			    errno != EAGAIN)
				die("eventfd read");
			wakeups++;
		}
		w.frames += n;
		frames += n;
	} while (!windows_tick(&w));
	/* Keep the compiler from eliding the reads. */
	__asm__ volatile("" : : "r"(sum));
	/* Our view (the queue pair's counters are the bench's to read). */
	printf("info frames %llu\n", frames);
	printf("info kicks %llu\n", b.kicks);
	printf("info wakeups %llu\n", wakeups);
	vhost_status_set(&b.h, 0);
	return 0;
}
