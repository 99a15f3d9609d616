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
 *   vmq_bench_rxsink afxdp IFACE WARM_S WIN_S RUNS
 *	AF_XDP socket in copy mode (XDP_COPY) on queue 0 of IFACE: a UMEM of
 *	this process's, fill and rx rings, and an XDP program (hand-assembled,
 *	no libbpf) that redirects queue 0 into the socket's XSKMAP, attached
 *	through a BPF link so it goes when this process does.  A frame counts
 *	when the kernel has copied it into the UMEM and the reader has walked
 *	over its rx descriptor.
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
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <poll.h>
#include <linux/types.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "vmq_bench_lib.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define BLOCK_SIZE	(1024 * 1024)
#define BLOCK_NR	16
#define FRAME_SIZE	2048
#define RETIRE_MS	2
#define SLOT		2048
#define RING_BYTES	(4 * 1024 * 1024)

#define XSK_FRAMES	4096	/* UMEM frames, each FRAME_SIZE bytes */
#define XSK_RX_NR	4096
#define XSK_CQ_NR	64	/* bind wants one; nothing is ever sent */
#define XSK_BATCH	256	/* rx descriptors taken and refilled at once */

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

/* An AF_XDP ring as mapped into this process. */
struct xsk_ring {
	__u32 *producer;
	__u32 *consumer;
	void *descs;
	__u32 mask;
};

static int xsk_ring_map(int fd, const struct xdp_ring_offset *off,
			off_t pgoff, __u32 nr, size_t desc_size,
			struct xsk_ring *r)
{
	void *map;

	map = mmap(NULL, off->desc + nr * desc_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_POPULATE, fd, pgoff);
	if (map == MAP_FAILED)
		return -1;
	r->producer = (__u32 *)((__u8 *)map + off->producer);
	r->consumer = (__u32 *)((__u8 *)map + off->consumer);
	r->descs = (__u8 *)map + off->desc;
	r->mask = nr - 1;
	return 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/*
 * The XDP program, by hand (there is no libbpf in the test VM):
 *
 *	r2 = ctx->rx_queue_index
 *	r1 = the XSKMAP
 *	r3 = XDP_PASS		(what to do if the map has no socket at r2)
 *	return bpf_redirect_map(r1, r2, r3)
 *
 * Returns the program's fd, or -1 with its verifier log on stderr.
 */
static int xsk_prog_load(int map_fd)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_LDX | BPF_MEM | BPF_W,
		  .dst_reg = BPF_REG_2, .src_reg = BPF_REG_1,
		  .off = offsetof(struct xdp_md, rx_queue_index) },
		/* A 64-bit immediate takes two instructions. */
		{ .code = BPF_LD | BPF_DW | BPF_IMM,
		  .dst_reg = BPF_REG_1, .src_reg = BPF_PSEUDO_MAP_FD,
		  .imm = map_fd },
		{ 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K,
		  .dst_reg = BPF_REG_3, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect_map },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	static char log[16384];
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_XDP;
	attr.expected_attach_type = BPF_XDP;
	attr.insns = (__u64)(unsigned long)insns;
	attr.insn_cnt = ARRAY_SIZE(insns);
	attr.license = (__u64)(unsigned long)"GPL";
	attr.log_buf = (__u64)(unsigned long)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd < 0)
		fprintf(stderr, "afxdp: BPF_PROG_LOAD: %s\n%s\n",
			strerror(errno), log);
	return fd;
}

/*
 * AF_XDP in copy mode, the way a VMM receives into its own memory with
 * XDP sockets: the kernel copies each frame into a UMEM frame the reader
 * posted on the fill ring and hands it over on the rx ring.  Whether the
 * XDP program runs in the driver (veth has a native hook) or generically
 * on the skb is IFACE's business; the socket is XDP_COPY either way.
 */
static int sink_afxdp(const char *ifname, struct windows *w)
{
	struct xdp_mmap_offsets off;
	struct xdp_statistics st;
	struct xdp_umem_reg mr;
	struct sockaddr_xdp sxdp;
	struct xsk_ring fq, rx;
	union bpf_attr attr;
	socklen_t len;
	int fd, map_fd, prog_fd, link_fd, nr, key = 0;
	unsigned int ifindex;
	__u32 fq_prod, rx_cons, i;
	__u8 sum = 0;
	__u8 *umem;

	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		fprintf(stderr, "afxdp: %s: %s\n", ifname, strerror(errno));
		return 1;
	}
	fd = socket(AF_XDP, SOCK_RAW, 0);
	if (fd < 0) {
		perror("afxdp: socket(AF_XDP)");
		return 1;
	}
	umem = mmap(NULL, (size_t)XSK_FRAMES * FRAME_SIZE,
		    PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (umem == MAP_FAILED) {
		perror("afxdp: mmap UMEM");
		return 1;
	}
	/* Zeroed whole: the kernel reads fields this header may not know. */
	memset(&mr, 0, sizeof(mr));
	mr.addr = (__u64)(unsigned long)umem;
	mr.len = (__u64)XSK_FRAMES * FRAME_SIZE;
	mr.chunk_size = FRAME_SIZE;
	if (setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr))) {
		perror("afxdp: XDP_UMEM_REG");
		return 1;
	}
	/*
	 * The fill ring holds every UMEM frame, so whatever the reader
	 * takes off the rx ring always fits back on it.
	 */
	nr = XSK_FRAMES;
	if (setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, &nr, sizeof(nr))) {
		perror("afxdp: XDP_UMEM_FILL_RING");
		return 1;
	}
	nr = XSK_CQ_NR;
	if (setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &nr,
		       sizeof(nr))) {
		perror("afxdp: XDP_UMEM_COMPLETION_RING");
		return 1;
	}
	nr = XSK_RX_NR;
	if (setsockopt(fd, SOL_XDP, XDP_RX_RING, &nr, sizeof(nr))) {
		perror("afxdp: XDP_RX_RING");
		return 1;
	}
	len = sizeof(off);
	if (getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &len)) {
		perror("afxdp: XDP_MMAP_OFFSETS");
		return 1;
	}
	if (xsk_ring_map(fd, &off.fr, XDP_UMEM_PGOFF_FILL_RING, XSK_FRAMES,
			 sizeof(__u64), &fq) ||
	    xsk_ring_map(fd, &off.rx, XDP_PGOFF_RX_RING, XSK_RX_NR,
			 sizeof(struct xdp_desc), &rx)) {
		perror("afxdp: mmap rings");
		return 1;
	}
	for (i = 0; i < XSK_FRAMES; i++)
		((__u64 *)fq.descs)[i] = (__u64)i * FRAME_SIZE;
	fq_prod = XSK_FRAMES;
	__atomic_store_n(fq.producer, fq_prod, __ATOMIC_RELEASE);

	memset(&sxdp, 0, sizeof(sxdp));
	sxdp.sxdp_family = AF_XDP;
	sxdp.sxdp_ifindex = ifindex;
	sxdp.sxdp_queue_id = 0;
	sxdp.sxdp_flags = XDP_COPY;
	if (bind(fd, (struct sockaddr *)&sxdp, sizeof(sxdp))) {
		fprintf(stderr, "afxdp: bind to %s queue 0 (XDP_COPY): %s\n",
			ifname, strerror(errno));
		return 1;
	}

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_XSKMAP;
	attr.key_size = sizeof(int);
	attr.value_size = sizeof(int);
	attr.max_entries = 1;	/* queue 0 only: others go to the stack */
	map_fd = sys_bpf(BPF_MAP_CREATE, &attr);
	if (map_fd < 0) {
		perror("afxdp: BPF_MAP_CREATE (XSKMAP)");
		return 1;
	}
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map_fd;
	attr.key = (__u64)(unsigned long)&key;
	attr.value = (__u64)(unsigned long)&fd;
	if (sys_bpf(BPF_MAP_UPDATE_ELEM, &attr)) {
		perror("afxdp: BPF_MAP_UPDATE_ELEM (XSKMAP)");
		return 1;
	}
	prog_fd = xsk_prog_load(map_fd);
	if (prog_fd < 0)
		return 1;
	/*
	 * A link, not a netlink attach: the program goes when this process
	 * exits, however it exits.  Driver mode: the measured path is the
	 * NIC driver's XDP hook, never generic XDP behind our back.
	 */
	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = prog_fd;
	attr.link_create.target_ifindex = ifindex;
	attr.link_create.attach_type = BPF_XDP;
	attr.link_create.flags = XDP_FLAGS_DRV_MODE;
	link_fd = sys_bpf(BPF_LINK_CREATE, &attr);
	if (link_fd < 0) {
		fprintf(stderr, "afxdp: BPF_LINK_CREATE (XDP, driver mode) on %s: %s\n",
			ifname, strerror(errno));
		return 1;
	}

	rx_cons = *rx.consumer;
	windows_init(w);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		__u32 n = __atomic_load_n(rx.producer, __ATOMIC_ACQUIRE) -
			  rx_cons;

		if (!n) {
			poll(&pfd, 1, 10);
			if (windows_tick(w))
				break;
			continue;
		}
		if (n > XSK_BATCH)
			n = XSK_BATCH;
		for (i = 0; i < n; i++) {
			const struct xdp_desc *d;

			d = (struct xdp_desc *)rx.descs +
			    ((rx_cons + i) & rx.mask);
			/* Touch the frame, as a VMM would. */
			sum += umem[d->addr];
			/* Its frame back to the kernel (aligned mode). */
			((__u64 *)fq.descs)[(fq_prod + i) & fq.mask] =
				d->addr & ~(__u64)(FRAME_SIZE - 1);
		}
		rx_cons += n;
		fq_prod += n;
		__atomic_store_n(rx.consumer, rx_cons, __ATOMIC_RELEASE);
		__atomic_store_n(fq.producer, fq_prod, __ATOMIC_RELEASE);
		w->frames += n;
		if (windows_tick(w))
			break;
	}
	/* Keep the compiler from eliding the reads. */
	__asm__ volatile("" : : "r"(sum));
	len = sizeof(st);
	if (!getsockopt(fd, SOL_XDP, XDP_STATISTICS, &st, &len))
		printf("info rx_dropped %llu\ninfo rx_ring_full %llu\ninfo fill_ring_empty %llu\n",
		       (unsigned long long)st.rx_dropped,
		       (unsigned long long)st.rx_ring_full,
		       (unsigned long long)st.rx_fill_ring_empty_descs);
	close(link_fd);
	close(prog_fd);
	close(map_fd);
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
			"usage: %s afpacket|afxdp|macvtap|memcpy IFACE|DEVNODE|SIZE WARM_S WIN_S RUNS\n",
			argv[0]);
		return 2;
	}
	if (windows_parse(&w, argv[3], argv[4], argv[5]))
		return 2;
	if (!strcmp(argv[1], "afpacket"))
		return sink_afpacket(argv[2], &w);
	if (!strcmp(argv[1], "afxdp"))
		return sink_afxdp(argv[2], &w);
	if (!strcmp(argv[1], "macvtap"))
		return sink_macvtap(argv[2], &w);
	if (!strcmp(argv[1], "memcpy"))
		return sink_memcpy(strtoul(argv[2], NULL, 0), &w);
	fprintf(stderr, "unknown mode %s\n", argv[1]);
	return 2;
}
