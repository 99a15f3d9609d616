// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_bench_vfio: the receive side of a VMM on a vmq_vfio queue pair, for
 * the benchmarks' guest_rx metric.  Opens the mediated device through a
 * VFIO type1 container with vmq_vfio_lib's guest memory, posts a full
 * receive ring of 2 KiB buffers and counts the frames the device writes
 * into them over fixed wall-clock windows, printing one "frames/s" figure
 * per window.
 * Completed descriptors are reposted at once, and the doorbell rung once
 * REFILL_BATCH of them wait, as NIC drivers do (ixgbe's and ixgbevf's
 * IXGBE_RX_BUFFER_WRITE): in a VM each doorbell is a trap to the VMM.
 * With VMQ_BENCH_HOST_CPUS set, each figure is followed by "cpu NS", the
 * host CPU time per frame (vmq_bench_lib.h).
 *
 *   vmq_bench_vfio UUID WARM_S WIN_S RUNS
 *
 * Exits 0 after RUNS windows, 1 on a setup error (its cause on stdout as
 * "FAIL: ..."), 4 without VFIO.
 */

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "vmq_bench_lib.h"
#include "vmq_vfio_lib.h"

/*
 * The receive ring takes up to MAX_DESC descriptors and the whole buffer
 * mapping: nothing is ever sent, so the transmit buffers' half is free.
 */
#define MAX_DESC	1024
#define BENCH_BUF(i)	((__u64)(i) * BUF_LEN)
#define REFILL_BATCH	16

static_assert(MAX_DESC * sizeof(struct vmq_desc) <= TX_RING - RX_RING,
	      "the receive ring overlaps the transmit ring");
static_assert(MAX_DESC * BUF_LEN <= BUF_SIZE,
	      "the receive buffers outgrow the buffer mapping");

struct bench {
	struct vmm v;
	struct vmq_desc *ring;
	__u32 ndesc, head, tail;
	__u32 unrung;		/* reposted since the last doorbell */
};

/* No buffer poisoning (rx_post's): it would cost more than the device. */
static void post(struct bench *b, __u32 i)
{
	struct vmq_desc *d = &b->ring[i];

	d->addr = BUF_IOVA + BENCH_BUF(i);
	d->len = BUF_LEN;
	d->rsvd = 0;
	__atomic_store_n(&d->flags, 0, __ATOMIC_RELEASE);
}

static void rx_start(struct bench *b)
{
	struct vmm *v = &b->v;
	__u32 i, max = rd(v, VMQ_REG_RING_MAX), min = rd(v, VMQ_REG_RING_MIN);
	__u32 ntx = NDESC;

	b->ndesc = MAX_DESC;
	while (b->ndesc > max && b->ndesc > 1)
		b->ndesc /= 2;
	while (ntx < min)
		ntx *= 2;
	b->ring = rx_desc(v, 0);
	wr(v, VMQ_REG_CONTROL, VMQ_CTRL_RESET);
	for (i = 0; i < b->ndesc - 1; i++)
		post(b, i);
	b->head = 0;
	b->tail = b->ndesc - 1;
	wr(v, VMQ_REG_RX_BASE_LO, RING_IOVA + RX_RING);
	wr(v, VMQ_REG_RX_BASE_HI, 0);
	wr(v, VMQ_REG_RX_SIZE, b->ndesc);
	/* The transmit ring stays empty; the device wants it set up. */
	wr(v, VMQ_REG_TX_BASE_LO, RING_IOVA + TX_RING);
	wr(v, VMQ_REG_TX_BASE_HI, 0);
	wr(v, VMQ_REG_TX_SIZE, ntx);
	wr(v, VMQ_REG_RX_TAIL, b->tail);
	wr(v, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE);
	if (!(rd(v, VMQ_REG_STATUS) & VMQ_STATUS_ENABLED)) {
		fprintf(stderr, "queue did not start: status %#x error %u\n",
			rd(v, VMQ_REG_STATUS), rd(v, VMQ_REG_ERROR));
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
		*sum += b->v.buf_mem[BENCH_BUF(b->head)];
		post(b, b->tail);
		b->tail = (b->tail + 1) % b->ndesc;
		b->head = (b->head + 1) % b->ndesc;
		n++;
	}
	b->unrung += n;
	if (b->unrung >= REFILL_BATCH) {
		wr(&b->v, VMQ_REG_RX_TAIL, b->tail);
		b->unrung = 0;
	}
	return n;
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	unsigned long long wakeups = 0;
	struct windows w;
	__u8 sum = 0;

	if (argc != 5 || windows_parse(&w, argv[2], argv[3], argv[4])) {
		fprintf(stderr, "usage: %s UUID WARM_S WIN_S RUNS\n", argv[0]);
		return 2;
	}
	b.v.uuid = argv[1];
	vmm_open(&b.v);
	rx_start(&b);
	windows_init(&w);
	do {
		/* A guest driver's interrupts: completions, and the error. */
		struct pollfd pfd[2] = {
			{ .fd = b.v.efd[VMQ_VFIO_IRQ_RX], .events = POLLIN },
			{ .fd = b.v.efd[VMQ_VFIO_IRQ_ERR], .events = POLLIN },
		};
		__u32 n = reap(&b, &sum);
		__u64 ev;

		if (!n && poll(pfd, 2, 10) > 0) {
			if (pfd[1].revents) {
				fprintf(stderr, "queue error %u\n",
					rd(&b.v, VMQ_REG_ERROR));
				return 1;
			}
			if (read(pfd[0].fd, &ev, sizeof(ev)) < 0 &&
			    errno != EAGAIN)
				die("eventfd read");
			wakeups++;
		}
		w.frames += n;
	} while (!windows_tick(&w));
	/* Keep the compiler from eliding the reads. */
	__asm__ volatile("" : : "r"(sum));
	/* The device's view, for the bench to tell what limited us. */
	printf("info rx_packets %llu\n", counter(&b.v, VMQ_CNT_RX_PACKETS));
	printf("info rx_drops %llu\n", counter(&b.v, VMQ_CNT_RX_DROPS));
	printf("info doorbells %llu\n", counter(&b.v, VMQ_CNT_DOORBELLS));
	printf("info wakeups %llu\n", wakeups);
	wr(&b.v, VMQ_REG_CONTROL, VMQ_CTRL_RESET);
	return 0;
}
