// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_bench_rxsink: the receive side of a VMM that is not vmq, for the
 * benchmarks' guest_rx metric, and the memory-copy yardstick for
 * copy_limit.  Counts frames that reach this process's memory over fixed
 * wall-clock windows and prints one "frames/s" figure per window.
 *
 *   vmq_bench_rxsink afpacket IFACE WARM_S WIN_S RUNS
 *	AF_PACKET socket with a TPACKET_V3 mmap ring bound to IFACE; a frame
 *	counts when the kernel has handed its block to user space and the
 *	reader has walked over it.
 *   vmq_bench_rxsink macvtap DEVNODE WARM_S WIN_S RUNS
 *	read() from a macvtap character device (/dev/tapN), one frame per
 *	read, into a buffer of this process.
 *   vmq_bench_rxsink memcpy SIZE WARM_S WIN_S RUNS
 *	memcpy() of SIZE-byte frames from one buffer into 2 KiB slots of a
 *	ring of 4 MiB, the way a device fills a guest's receive buffers.
 *
 * With VMQ_BENCH_HOST_CPUS set, each window's figure is followed by a line
 * "cpu NS": the host CPU time it cost per frame (vmq_bench_lib.h).
 *
 * Exits 0 after RUNS windows, 1 on a setup error.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "vmq_bench_lib.h"

#define BLOCK_SIZE	(1024 * 1024)
#define BLOCK_NR	16
#define FRAME_SIZE	2048
#define RETIRE_MS	2
#define SLOT		2048
#define RING_BYTES	(4 * 1024 * 1024)

static int sink_afpacket(const char *ifname, struct windows *w)
{
	struct tpacket_req3 req = {
		.tp_block_size = BLOCK_SIZE,
		.tp_block_nr = BLOCK_NR,
		.tp_frame_size = FRAME_SIZE,
		.tp_frame_nr = BLOCK_SIZE / FRAME_SIZE * BLOCK_NR,
		.tp_retire_blk_tov = RETIRE_MS,
	};
	struct sockaddr_ll ll = { .sll_family = AF_PACKET };
	struct tpacket_stats_v3 st;
	socklen_t stlen = sizeof(st);
	int fd, ver = TPACKET_V3;
	unsigned int blk = 0;
	__u8 sum = 0;
	__u8 *ring;

	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req))) {
		perror("PACKET_RX_RING");
		return 1;
	}
	ring = mmap(NULL, (size_t)BLOCK_SIZE * BLOCK_NR, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_LOCKED | MAP_POPULATE, fd, 0);
	if (ring == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	ll.sll_protocol = htons(ETH_P_ALL);
	ll.sll_ifindex = if_nametoindex(ifname);
	if (!ll.sll_ifindex || bind(fd, (struct sockaddr *)&ll, sizeof(ll))) {
		perror(ifname);
		return 1;
	}
	windows_init(w);
	for (;;) {
		struct tpacket_block_desc *bd;
		struct tpacket3_hdr *ph;
		struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLERR };
		unsigned int i, n;

		bd = (void *)(ring + (size_t)blk * BLOCK_SIZE);
		if (!(__atomic_load_n(&bd->hdr.bh1.block_status,
				      __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
			poll(&pfd, 1, 10);
			if (windows_tick(w))
				break;
			continue;
		}
		n = bd->hdr.bh1.num_pkts;
		ph = (void *)((__u8 *)bd + bd->hdr.bh1.offset_to_first_pkt);
		for (i = 0; i < n; i++) {
			/* Touch the frame, as a VMM would. */
			sum += ((__u8 *)ph + ph->tp_mac)[0];
			ph = (void *)((__u8 *)ph + ph->tp_next_offset);
		}
		w->frames += n;
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL,
				 __ATOMIC_RELEASE);
		blk = (blk + 1) % BLOCK_NR;
		if (windows_tick(w))
			break;
	}
	/* Keep the compiler from eliding the reads. */
	__asm__ volatile("" : : "r"(sum));
	if (!getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &stlen))
		printf("info ring_drops %u\ninfo ring_freezes %u\n",
		       st.tp_drops, st.tp_freeze_q_cnt);
	close(fd);
	return 0;
}

static int sink_macvtap(const char *node, struct windows *w)
{
	static __u8 buf[65536];
	int fd;

	fd = open(node, O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		perror(node);
		return 1;
	}
	windows_init(w);
	for (;;) {
		ssize_t len = read(fd, buf, sizeof(buf));

		if (len > 0) {
			w->frames++;
		} else if (len < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			poll(&pfd, 1, 10);
		} else {
			perror("read");
			return 1;
		}
		if (windows_tick(w))
			break;
	}
	close(fd);
	return 0;
}

static int sink_memcpy(size_t size, struct windows *w)
{
	__u8 *src, *dst;
	size_t off = 0;
	unsigned int i;

	if (!size || size > SLOT) {
		fprintf(stderr, "size must be 1..%d\n", SLOT);
		return 1;
	}
	src = malloc(SLOT);
	dst = malloc(RING_BYTES);
	if (!src || !dst)
		return 1;
	memset(src, 0x5a, SLOT);
	memset(dst, 0, RING_BYTES);
	windows_init(w);
	for (;;) {
		/* Check the clock every 256 copies, not every one. */
		for (i = 0; i < 256; i++) {
			memcpy(dst + off, src, size);
			/* Keep the compiler from eliding the copies. */
			__asm__ volatile("" : : "r"(dst + off) : "memory");
			off = (off + SLOT) % RING_BYTES;
		}
		w->frames += 256;
		if (windows_tick(w))
			break;
	}
	free(src);
	free(dst);
	return 0;
}

int main(int argc, char **argv)
{
	struct windows w;

	if (argc != 6) {
		fprintf(stderr,
			"usage: %s afpacket|macvtap|memcpy IFACE|DEVNODE|SIZE WARM_S WIN_S RUNS\n",
			argv[0]);
		return 2;
	}
	if (windows_parse(&w, argv[3], argv[4], argv[5]))
		return 2;
	if (!strcmp(argv[1], "afpacket"))
		return sink_afpacket(argv[2], &w);
	if (!strcmp(argv[1], "macvtap"))
		return sink_macvtap(argv[2], &w);
	if (!strcmp(argv[1], "memcpy"))
		return sink_memcpy(strtoul(argv[2], NULL, 0), &w);
	fprintf(stderr, "unknown mode %s\n", argv[1]);
	return 2;
}
