// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vmm: a test VMM and guest driver for a vmq_vfio mediated device.
 *
 * It opens the mdev through a VFIO type1 container, maps anonymous memory
 * as guest RAM, sets up the queue's rings there (the layout of
 * include/uapi/linux/vmq.h) and plays the guest: it receives frames that
 * it sends itself from the link partner (AF_PACKET on the wire netdev)
 * and checks every byte landed at the posted IOVAs, transmits and checks
 * what the partner receives, and misbehaves in every way the device must
 * survive.
 *
 *   vmq_vmm [-w WIRE] [-p PEER_MAC] [-n COUNT] [-t SECS] [-V VID]
 *           [-b BACKLOG] [-u UUID2] UUID CASE...
 *
 * CASE: info rx tx spoof vlan bcast isolate recvfrom recvnone sendto
 * sendto-refused storm batch txloop fifo bad-desc bad-txlen bad-rxlen bad-tail
 * bad-ring unmap unmap-edge reset hold stuck stuck-enable stuck-exit
 * stuck-map stuck-two deaf demo nomac vlan-change rx-toolong irq-down
 * stop-race stop-count access-rx access-batch trunk-rx toggle forktoggle
 * exitjoin.  Prints one line
 * per check; exits 0 if all passed, 1 otherwise, 4 if VFIO (or, for the
 * stuck cases, userfaultfd) is missing.  UUID2 is stuck-two's second
 * device, opened into UUID's container.
 *
 * BACKLOG is vmqsim's debugfs "backlog": with it, fifo, reset and
 * vlan-change wait until every frame they sent was classified (and count
 * what the device holds) rather than for a fixed time; batch and
 * stop-count need it (they set the knobs beside it).
 *
 * hold, exitjoin and the stuck cases but stuck-enable run until the host asks for
 * the device back, SIGUSR1, or -t seconds; deaf ignores the host and
 * waits for SIGUSR1 or -t.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/if_packet.h>
#include <linux/userfaultfd.h>
#include <linux/vfio.h>
#include <linux/vmq.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include "vmq_vfio_lib.h"

#define EDGE_SIZE	0x1000ULL	/* mappings beside the rings */
#define TOP_SIZE	0x10000ULL	/* the mapping at the top of the space */
#define STUCK_IOVA	0x800000ULL	/* userfaultfd memory nobody serves */
#define STUCK_SIZE	0x20000ULL
#define TWO_IOVA	0xa00000ULL	/* stuck-two's second device's rings */
#define TOGGLES		25	/* toggle's resets, and its disables */

/* --- cases ---------------------------------------------------------------- */

static void case_info(struct vmm *v)
{
	printf("version %u features %#x status %#x\n", rd(v, VMQ_REG_VERSION),
	       rd(v, VMQ_REG_FEATURES), rd(v, VMQ_REG_STATUS));
	printf("mac %02x:%02x:%02x:%02x:%02x:%02x vlan %u\n", v->mac[0],
	       v->mac[1], v->mac[2], v->mac[3], v->mac[4], v->mac[5], v->vlan);
	printf("max_frame %u rings %u..%u\n", v->max_frame,
	       rd(v, VMQ_REG_RING_MIN), rd(v, VMQ_REG_RING_MAX));
	check(rd(v, VMQ_REG_VERSION) == VMQ_VFIO_VERSION, "register version");
}

/*
 * A device without RSS has no per-queue register blocks: writes there
 * are ignored and reads give 0, not queue 0's registers or counters.
 */
static void case_unused(struct vmm *v)
{
	__u32 size = rd(v, VMQ_REG_RX_SIZE);
	struct timespec t0;

	if (rd(v, VMQ_REG_FEATURES) & VMQ_FEAT_RSS) {
		check(false, "unused: wants a device without RSS");
		return;
	}
	wr(v, VMQ_REG_Q(0, VMQ_REG_RX_SIZE), size == 64 ? 128 : 64);
	check(rd(v, VMQ_REG_RX_SIZE) == size &&
	      !rd(v, VMQ_REG_Q(0, VMQ_REG_RX_SIZE)),
	      "unused: RX_SIZE %u, its queue block %u after a write there (want %u, 0)",
	      rd(v, VMQ_REG_RX_SIZE), rd(v, VMQ_REG_Q(0, VMQ_REG_RX_SIZE)),
	      size);
	guest_start(v, BUF_LEN);
	check(rx_frames(v, v->mac, 2, true) == 2, "unused: rx");
	/* The counters move after the completions: see case_rx(). */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (counter(v, VMQ_CNT_RX_PACKETS) < 2 && ms_since(&t0) < v->timeout)
		usleep(1000);
	wr(v, VMQ_REG_Q(0, VMQ_REG_RX_TAIL), ~0U);
	check(rd(v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED &&
	      !rd(v, VMQ_REG_ERROR),
	      "unused: a doorbell past the ring in the queue block: status %#x error %u",
	      rd(v, VMQ_REG_STATUS), rd(v, VMQ_REG_ERROR));
	check(counter(v, VMQ_CNT_RX_PACKETS) >= 2 &&
	      !rd(v, VMQ_REG_QCOUNTER(0, VMQ_CNT_RX_PACKETS)),
	      "unused: RX_PACKETS %llu, the queue counter block reads %u (want 0)",
	      (unsigned long long)counter(v, VMQ_CNT_RX_PACKETS),
	      rd(v, VMQ_REG_QCOUNTER(0, VMQ_CNT_RX_PACKETS)));
}

static void case_rx(struct vmm *v)
{
	__u64 before = counter(v, VMQ_CNT_RX_PACKETS);
	struct timespec t0;

	guest_start(v, BUF_LEN);
	check(rd(v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED, "rx: enabled");
	rx_frames(v, v->mac, v->count, false);
	/*
	 * The device writes a completion, then moves HEAD and the counters
	 * at the end of its batch (the interrupt comes after both): a guest
	 * that has just seen the last DONE may read them a moment early.
	 */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((rd(v, VMQ_REG_RX_HEAD) != v->rx_head ||
		counter(v, VMQ_CNT_RX_PACKETS) - before < (__u64)v->count) &&
	       ms_since(&t0) < v->timeout)
		usleep(1000);
	check(counter(v, VMQ_CNT_RX_PACKETS) - before >= (__u64)v->count,
	      "rx: rx_packets counter moved by %llu",
	      (unsigned long long)(counter(v, VMQ_CNT_RX_PACKETS) - before));
	check(rd(v, VMQ_REG_RX_HEAD) == v->rx_head, "rx: RX_HEAD %u = %u",
	      rd(v, VMQ_REG_RX_HEAD), v->rx_head);
}

static void case_bcast(struct vmm *v)
{
	static const __u8 bcast[ETH_ALEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const __u8 mcast[ETH_ALEN] = {
		0x01, 0x00, 0x5e, 0x00, 0x00, 0x7b };

	guest_start(v, BUF_LEN);
	check(rx_frames(v, bcast, 3, true) == 3, "bcast: broadcast reaches the guest");
	check(rx_frames(v, mcast, 3, true) == 3, "bcast: multicast reaches the guest");
}

static void case_tx(struct vmm *v)
{
	guest_start(v, BUF_LEN);
	check(tx_frames(v, v->mac, v->count, true) == v->count,
	      "tx: %d frames reached the partner byte for byte%s", v->count,
	      v->vlan ? ", VLAN tag inserted" : "");
	check(counter(v, VMQ_CNT_TX_PACKETS) >= (__u64)v->count,
	      "tx: tx_packets counter %llu",
	      (unsigned long long)counter(v, VMQ_CNT_TX_PACKETS));
}

static void case_spoof(struct vmm *v)
{
	static const __u8 other[ETH_ALEN] = {
		0x02, 0x66, 0x66, 0x66, 0x66, 0x66 };
	__u64 before = counter(v, VMQ_CNT_TX_SPOOFED);

	guest_start(v, BUF_LEN);
	check(tx_frames(v, other, 5, false) == 5,
	      "spoof: 5 frames from a foreign MAC completed with ERR, none on the wire");
	check(counter(v, VMQ_CNT_TX_SPOOFED) - before == 5,
	      "spoof: tx_spoofed counted 5");
	check(rd(v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED,
	      "spoof: queue still enabled");
	check(tx_frames(v, v->mac, 2, true) == 2,
	      "spoof: own MAC still goes out");
}

static void case_vlan(struct vmm *v)
{
	if (!v->vlan) {
		check(false, "vlan: admin set no VLAN");
		return;
	}
	guest_start(v, BUF_LEN);
	/* rx_frames/tx_frames tag on the wire and expect no tag in guest. */
	rx_frames(v, v->mac, 6, false);
	check(tx_frames(v, v->mac, 6, true) == 6,
	      "vlan: guest frames leave with VLAN %u", v->vlan);
}

/* How long frames that must not come get once the expected ones are in. */
#define STRAY_MS	500

/* Frames to the peer's MAC never reach us; ours all do. */
static void case_isolate(struct vmm *v)
{
	__u8 sent[ETH_FRAME_LEN];
	__u32 len;
	int k, mine = 0, foreign = 0;
	__u8 *got;

	if (!v->have_peer) {
		check(false, "isolate: needs -p PEER_MAC");
		return;
	}
	guest_start(v, BUF_LEN);
	for (k = 0; k < v->count; k++) {
		make_frame(v, sent, v->peer_mac, v->wire_mac, 100);
		wire_send(v, sent, 100, v->vlan);
		make_frame(v, sent, v->mac, v->wire_mac, 100);
		wire_send(v, sent, 100, v->vlan);
	}
	/* Ours may take long on a slow machine; strays only a short while. */
	while ((got = rx_next_test(v, &len, mine < v->count ? v->timeout :
						       STRAY_MS))) {
		if (!memcmp(got, v->mac, ETH_ALEN))
			mine++;
		else if (!(got[0] & 1))
			foreign++;
	}
	/* A peer VMM running at the same time sends us as many again. */
	check(mine >= v->count && !foreign,
	      "isolate: %d frames for our MAC (at least %d), %d for the peer's",
	      mine, v->count, foreign);
}

static bool frame_intact(const __u8 *f, __u32 len)
{
	__u32 seq, i;

	memcpy(&seq, f + 14, 4);
	for (i = 18; i < len; i++)
		if (f[i] != (__u8)(seq * 7 + i))
			return false;
	return true;
}

/* Frames from the peer queue arrive switched inside the NIC. */
static void case_recvfrom(struct vmm *v)
{
	int got = 0, bad = 0;
	__u32 len;
	__u8 *f;

	guest_start(v, BUF_LEN);
	printf("holding the device\n");
	fflush(stdout);
	while (got + bad < v->count && (f = rx_next_test(v, &len, v->timeout))) {
		if (memcmp(f + ETH_ALEN, v->peer_mac, ETH_ALEN))
			continue;
		if (memcmp(f, v->mac, ETH_ALEN) || !frame_intact(f, len))
			bad++;
		else
			got++;
	}
	check(got == v->count && !bad,
	      "recvfrom: %d of %d frames from the peer queue, %d damaged",
	      got, v->count, bad);
}

/* Nothing from the peer queue arrives while we wait. */
static void case_recvnone(struct vmm *v)
{
	int got = 0;
	__u32 len;
	__u8 *f;

	guest_start(v, BUF_LEN);
	printf("holding the device\n");
	fflush(stdout);
	while ((f = rx_next_test(v, &len, v->timeout)))
		got += !memcmp(f + ETH_ALEN, v->peer_mac, ETH_ALEN);
	check(!got, "recvnone: %d frames from the peer queue arrived", got);
}

/*
 * Test frame @k for the peer in transmit buffer @k % NDESC, with the -V
 * tag in band when there is one; its length.
 */
static __u32 peer_frame(struct vmm *v, int k)
{
	__u8 *buf = tx_buf(v, k % NDESC);
	__u32 len = test_len(k);

	if (!v->tag) {
		make_frame(v, buf, v->peer_mac, v->mac, len);
		return len;
	}
	/* Short enough that the tag keeps it within MAX_FRAME. */
	len = 100;
	make_frame(v, buf + 4, v->peer_mac, v->mac, len);
	memmove(buf, buf + 4, 2 * ETH_ALEN);
	buf[12] = 0x81;
	buf[13] = 0x00;
	buf[14] = v->tag >> 8;
	buf[15] = v->tag & 0xff;
	return len + 4;
}

/* Tagged frames from a queue that is no trunk: ERR, spoofed, not sent. */
static void case_sendto_refused(struct vmm *v)
{
	__u64 spoofed = counter(v, VMQ_CNT_TX_SPOOFED);
	__u8 got[ETH_FRAME_LEN + 8];
	int k, refused = 0, wire = 0;
	__u16 vlan;
	__u32 i;

	guest_start(v, BUF_LEN);
	wire_drain(v);
	for (k = 0; k < v->count; k++) {
		i = tx_post(v, BUF_IOVA + TX_BUFS + (__u64)(k % NDESC) * BUF_LEN,
			    peer_frame(v, k));
		if (tx_wait_done(v, i, v->timeout) &&
		    (tx_desc(v, i)->flags & VMQ_DESC_F_ERR))
			refused++;
	}
	while (wire_recv(v, got, &vlan, 300) > 0)
		wire++;
	check(refused == v->count && !wire,
	      "sendto-refused: %d of %d tagged frames completed with ERR, %d on the wire",
	      refused, v->count, wire);
	check(counter(v, VMQ_CNT_TX_SPOOFED) - spoofed == (__u64)v->count,
	      "sendto-refused: tx_spoofed moved by %llu, want %d",
	      (unsigned long long)(counter(v, VMQ_CNT_TX_SPOOFED) - spoofed),
	      v->count);
	check(rd(v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED,
	      "sendto-refused: queue still enabled");
}

/* Frames to the peer queue's MAC never touch the wire. */
static void case_sendto(struct vmm *v)
{
	__u8 got[ETH_FRAME_LEN + 8];
	int k, done = 0, wire = 0;
	__u16 vlan;
	__u32 i;

	guest_start(v, BUF_LEN);
	wire_drain(v);
	for (k = 0; k < v->count; k++) {
		i = tx_post(v, BUF_IOVA + TX_BUFS +
			    (__u64)(k % NDESC) * BUF_LEN, peer_frame(v, k));
		if (tx_wait_done(v, i, v->timeout) &&
		    !(tx_desc(v, i)->flags & VMQ_DESC_F_ERR))
			done++;
	}
	while (wire_recv(v, got, &vlan, 300) > 0)
		wire++;
	check(done == v->count && !wire,
	      "sendto: %d of %d frames sent to the peer queue, %d on the wire",
	      done, v->count, wire);
}

/* Wait for the error interrupt and check the error code. */
static void expect_error(struct vmm *v, const char *name, __u32 err)
{
	bool irq = wait_irq(v, VMQ_VFIO_IRQ_ERR, v->timeout);

	check(irq, "%s: error interrupt", name);
	check(rd(v, VMQ_REG_STATUS) == VMQ_STATUS_ERROR &&
	      rd(v, VMQ_REG_ERROR) == err,
	      "%s: status %#x error %u (want error %u)", name,
	      rd(v, VMQ_REG_STATUS), rd(v, VMQ_REG_ERROR), err);
}

/* After an error, a reset brings the queue back to work. */
static void expect_recovery(struct vmm *v, const char *name)
{
	drain_irq(v, VMQ_VFIO_IRQ_ERR);
	guest_start(v, BUF_LEN);
	check(rd(v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED &&
	      rx_frames(v, v->mac, 2, true) == 2,
	      "%s: after reset the queue works again", name);
}

static void case_bad_desc(struct vmm *v)
{
	__u64 errs = counter(v, VMQ_CNT_ERRORS);
	__u8 sent[ETH_FRAME_LEN];

	guest_start(v, BUF_LEN);
	drain_irq(v, VMQ_VFIO_IRQ_ERR);
	/* The next receive buffer lies outside mapped memory. */
	wr(v, VMQ_REG_CONTROL, 0);
	rx_desc(v, v->rx_head)->addr = UNMAPPED_IOVA;
	wr(v, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE);
	make_frame(v, sent, v->mac, v->wire_mac, 100);
	wire_send(v, sent, 100, v->vlan);
	expect_error(v, "bad-desc rx", VMQ_ERR_DMA);
	check(counter(v, VMQ_CNT_ERRORS) == errs + 1, "bad-desc: errors counted");
	expect_recovery(v, "bad-desc rx");

	/* A transmit descriptor pointing nowhere. */
	drain_irq(v, VMQ_VFIO_IRQ_ERR);
	tx_post(v, UNMAPPED_IOVA, 100);
	expect_error(v, "bad-desc tx", VMQ_ERR_DMA);
	expect_recovery(v, "bad-desc tx");

	/* A ring in unmapped memory. */
	wr(v, VMQ_REG_CONTROL, VMQ_CTRL_RESET);
	drain_irq(v, VMQ_VFIO_IRQ_ERR);
	wr(v, VMQ_REG_RX_BASE_LO, (__u32)UNMAPPED_IOVA);
	wr(v, VMQ_REG_RX_SIZE, NDESC);
	wr(v, VMQ_REG_TX_BASE_LO, RING_IOVA + TX_RING);
	wr(v, VMQ_REG_TX_SIZE, NDESC);
	wr(v, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE);
	expect_error(v, "bad-desc ring", VMQ_ERR_DMA);
	expect_recovery(v, "bad-desc ring");
}

static void case_bad_txlen(struct vmm *v)
{
	guest_start(v, BUF_LEN);
	drain_irq(v, VMQ_VFIO_IRQ_ERR);
	tx_post(v, BUF_IOVA + TX_BUFS, v->max_frame + 1);
	expect_error(v, "bad-txlen long", VMQ_ERR_TX_LEN);
	expect_recovery(v, "bad-txlen long");
	tx_post(v, BUF_IOVA + TX_BUFS, 3);
	expect_error(v, "bad-txlen short", VMQ_ERR_TX_LEN);
	expect_recovery(v, "bad-txlen short");
}

/*
 * A frame longer than the posted buffer is not the guest's doing: the
 * descriptor completes DONE|ERR with the frame's length, nothing is
 * written, rx_drops counts it, and the queue goes on.
 */
static void case_bad_rxlen(struct vmm *v)
{
	__u64 drops = counter(v, VMQ_CNT_RX_DROPS);
	__u8 sent[ETH_FRAME_LEN];
	struct vmq_desc *d;
	__u32 i;

	guest_start(v, 64);	/* buffers too small for what comes */
	drain_irq(v, VMQ_VFIO_IRQ_ERR);
	make_frame(v, sent, v->mac, v->wire_mac, 200);
	wire_send(v, sent, 200, v->vlan);
	i = v->rx_head;
	d = rx_desc(v, i);
	while (!(__atomic_load_n(&d->flags, __ATOMIC_ACQUIRE) & VMQ_DESC_F_DONE))
		if (!wait_irq(v, VMQ_VFIO_IRQ_RX, v->timeout))
			break;
	check(d->flags == (VMQ_DESC_F_DONE | VMQ_DESC_F_ERR) && d->len == 200,
	      "bad-rxlen: completed flags %#x len %u (want DONE|ERR, 200)",
	      d->flags, d->len);
	check(rx_buf(v, i)[0] == 0xee, "bad-rxlen: nothing written to the buffer");
	check(counter(v, VMQ_CNT_RX_DROPS) - drops == 1,
	      "bad-rxlen: rx_drops counted it");
	check(rd(v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED &&
	      !wait_irq(v, VMQ_VFIO_IRQ_ERR, 100),
	      "bad-rxlen: queue still enabled, no error interrupt");
	v->rx_head = (i + 1) % NDESC;
	make_frame(v, sent, v->mac, v->wire_mac, 60);
	wire_send(v, sent, 60, v->vlan);
	check(rx_next_test(v, &i, v->timeout) && i == 60,
	      "bad-rxlen: the next frame that fits arrives");
}

/* Take every receive buffer back: frames wait in the device's FIFO. */
static void rx_unpost(struct vmm *v)
{
	wr(v, VMQ_REG_CONTROL, 0);
	v->rx_tail = v->rx_head;
	wr(v, VMQ_REG_RX_TAIL, v->rx_tail);
	wr(v, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE);
}

/* Frames a bad tail finds waiting for receive buffers. */
#define BAD_TAIL_WAITING	3

/*
 * A tail out of range is the guest's error whichever ring it is for, and
 * the frames that wait in the FIFO for receive buffers then are dropped
 * and counted at once, as for an error the device finds itself, not only
 * at the reset that follows.
 */
static void bad_tail(struct vmm *v, const char *name, __u32 reg, __u32 tail)
{
	__u8 sent[ETH_ZLEN];
	__u64 drops;
	bool gone;
	int k;

	drain_irq(v, VMQ_VFIO_IRQ_ERR);
	rx_unpost(v);
	for (k = 0; k < BAD_TAIL_WAITING; k++) {
		make_frame(v, sent, v->mac, v->wire_mac, ETH_ZLEN);
		wire_send(v, sent, ETH_ZLEN, v->vlan);
	}
	check(sim_wait_backlog(v, BAD_TAIL_WAITING, 2000),
	      "%s: %d frames wait for buffers", name, BAD_TAIL_WAITING);
	drops = counter(v, VMQ_CNT_RX_DROPS);
	wr(v, reg, tail);
	expect_error(v, name, VMQ_ERR_RING_INDEX);
	gone = counter_wait(v, VMQ_CNT_RX_DROPS, drops + BAD_TAIL_WAITING) &&
	       sim_wait_backlog(v, 0, 2000);
	check(gone, "%s: the %d waiting frames dropped and counted with the error (rx_drops +%llu)",
	      name, BAD_TAIL_WAITING,
	      (unsigned long long)(counter(v, VMQ_CNT_RX_DROPS) - drops));
	expect_recovery(v, name);
}

static void case_bad_tail(struct vmm *v)
{
	guest_start(v, BUF_LEN);
	bad_tail(v, "bad-tail rx", VMQ_REG_RX_TAIL, NDESC);
	bad_tail(v, "bad-tail tx", VMQ_REG_TX_TAIL, 0xffffffff);
}

static void bad_ring(struct vmm *v, const char *name, __u32 base,
		     __u32 size)
{
	wr(v, VMQ_REG_CONTROL, VMQ_CTRL_RESET);
	drain_irq(v, VMQ_VFIO_IRQ_ERR);
	wr(v, VMQ_REG_RX_BASE_LO, base);
	wr(v, VMQ_REG_RX_SIZE, size);
	wr(v, VMQ_REG_TX_BASE_LO, RING_IOVA + TX_RING);
	wr(v, VMQ_REG_TX_SIZE, NDESC);
	wr(v, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE);
	expect_error(v, name, VMQ_ERR_RING_CFG);
	expect_recovery(v, name);
}

static void case_bad_ring(struct vmm *v)
{
	bad_ring(v, "bad-ring size 100", RING_IOVA, 100);
	bad_ring(v, "bad-ring size 0", RING_IOVA, 0);
	bad_ring(v, "bad-ring size 1<<20", RING_IOVA, 1 << 20);
	bad_ring(v, "bad-ring misaligned", RING_IOVA + 8, NDESC);
	guest_start(v, BUF_LEN);
	check(wr_err(v, VMQ_REG_RX_SIZE, 128) == -EBUSY,
	      "bad-ring: ring registers refused while enabled");
}

/*
 * For the timeout, hand the device the same transmit descriptors again
 * and again, a full ring at a time: frames from a foreign MAC, which the
 * device must read and refuse, so that it works hard and the VMM hardly
 * at all.  Whose CPU that is, the caller measures.
 */
static void case_txloop(struct vmm *v)
{
	static const __u8 other[ETH_ALEN] = {
		0x02, 0x66, 0x66, 0x66, 0x66, 0x66 };
	struct timespec t0;
	long frames = 0;
	__u32 i, last;

	guest_start(v, BUF_LEN);
	make_frame(v, tx_buf(v, 0), v->wire_mac, other, 60);
	printf("holding the device\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ms_since(&t0) < v->timeout) {
		for (i = 0; i < NDESC - 1; i++) {
			struct vmq_desc *d = tx_desc(v, (v->tx_tail + i) % NDESC);

			d->addr = BUF_IOVA + TX_BUFS;
			d->len = 60;
			d->flags = 0;
		}
		last = (v->tx_tail + NDESC - 2) % NDESC;
		v->tx_tail = (v->tx_tail + NDESC - 1) % NDESC;
		wr(v, VMQ_REG_TX_TAIL, v->tx_tail);
		if (!tx_wait_done(v, last, v->timeout))
			break;
		frames += NDESC - 1;
	}
	check(frames && rd(v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED,
	      "txloop: device refused %ld frames in %ld ms", frames,
	      ms_since(&t0));
}

/* No buffers posted: the on-chip FIFO fills, then drops and counts. */
static void case_fifo(struct vmm *v)
{
	__u64 drops = counter(v, VMQ_CNT_RX_DROPS);
	__u8 sent[ETH_FRAME_LEN];
	int k, got = 0;
	__u32 len;

	guest_start(v, BUF_LEN);
	wr(v, VMQ_REG_CONTROL, 0);
	v->rx_tail = v->rx_head;
	wr(v, VMQ_REG_RX_TAIL, v->rx_tail);	/* take every buffer back */
	wr(v, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE);
	for (k = 0; k < 400; k++) {
		make_frame(v, sent, v->mac, v->wire_mac, 60);
		wire_send(v, sent, 60, v->vlan);
	}
	/* Every frame classified: the FIFO holds its 256, the rest dropped. */
	check(sim_wait_backlog(v, 256, 500),
	      "fifo: the device's FIFO for the queue filled up");
	check(counter(v, VMQ_CNT_RX_DROPS) - drops >= 400 - 256,
	      "fifo: %llu of 400 frames dropped and counted with no buffers",
	      (unsigned long long)(counter(v, VMQ_CNT_RX_DROPS) - drops));
	/* Buffers posted now drain what the FIFO kept. */
	v->rx_tail = (v->rx_head + NDESC - 1) % NDESC;
	wr(v, VMQ_REG_RX_TAIL, v->rx_tail);
	while (got < NDESC - 1 && rx_next_test(v, &len, v->timeout))
		got++;
	check(got == NDESC - 1 && rd(v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED,
	      "fifo: %d queued frames delivered once buffers came", got);
}

/* Frames the port takes at once, and how many go into one descriptor read. */
#define BATCH_FRAMES	32
#define BATCH_CHUNK	16

/*
 * Frames the receive port takes together for the queue go into guest
 * memory a chunk at a time: one descriptor read and one write-back per
 * chunk (vmqsim's rx_guest_direct_batches).  So 32 frames held back at
 * the port, then let go at once, land in order in 2 chunks (3 if the
 * ring's end splits one); one at a time they would take 32.
 */
static void case_batch(struct vmm *v)
{
	__u8 sent[BATCH_FRAMES][ETH_ZLEN];
	long long direct, batches;
	struct timespec t0;
	int k, got = 0;
	__u32 len;
	__u8 *f;

	guest_start(v, BUF_LEN);
	/* Every ring and buffer page pinned: the classifier's way in. */
	check(rx_frames(v, v->mac, 2 * NDESC, true) == 2 * NDESC,
	      "batch: %d frames pinned the ring and buffers", 2 * NDESC);
	direct = sim_counter(v, "rx_guest_direct");
	batches = sim_counter(v, "rx_guest_direct_batches");
	if (direct < 0 || batches < 0 || !sim_hold_port(v)) {
		check(false, "batch: vmqsim's counters and port_hold (-b)");
		return;
	}
	for (k = 0; k < BATCH_FRAMES; k++) {
		make_frame(v, sent[k], v->mac, v->wire_mac, ETH_ZLEN);
		wire_send(v, sent[k], ETH_ZLEN, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (sim_port_backlog(v) < BATCH_FRAMES && ms_since(&t0) < 5000)
		usleep(10000);
	check(sim_port_backlog(v) == BATCH_FRAMES,
	      "batch: %ld frames wait at the held port, want %d",
	      sim_port_backlog(v), BATCH_FRAMES);
	check(sim_knob(v, "port_hold", "N") && sim_wait_backlog(v, 0, 2000),
	      "batch: the port let go, every frame classified");
	for (k = 0; k < BATCH_FRAMES; k++) {
		f = rx_next_test(v, &len, v->timeout);
		if (!f || len != ETH_ZLEN || memcmp(f, sent[k], ETH_ZLEN))
			break;
		got++;
	}
	check(got == BATCH_FRAMES, "batch: %d of %d frames landed in order",
	      got, BATCH_FRAMES);
	direct = sim_counter(v, "rx_guest_direct") - direct;
	batches = sim_counter(v, "rx_guest_direct_batches") - batches;
	check(direct == BATCH_FRAMES,
	      "batch: %lld frames written straight into guest memory, want %d",
	      direct, BATCH_FRAMES);
	check(batches >= BATCH_FRAMES / BATCH_CHUNK &&
	      batches <= BATCH_FRAMES / BATCH_CHUNK + 1,
	      "batch: %lld descriptor reads for %d frames, want %d or %d",
	      batches, BATCH_FRAMES, BATCH_FRAMES / BATCH_CHUNK,
	      BATCH_FRAMES / BATCH_CHUNK + 1);
}

/*
 * Frames the stop-count case sends; the engine's chunk (vmqsim's
 * VMQSIM_GUEST_RX_CHUNK); how many of the next chunk it takes before the
 * disable.
 */
#define COUNT_FRAMES	60
#define COUNT_CHUNK	16
#define COUNT_HELD	8

/*
 * A disable in the middle of a receive pass loses no frame uncounted:
 * each frame sent to the queue is delivered (RX_PACKETS) or dropped
 * (RX_DROPS).  The frames wait in the FIFO with no buffer posted; then
 * buffers come, and vmqsim's guest_take_budget lets the engine fill one
 * chunk and take part of the next, where it waits: the disable finds
 * one chunk delivered, frames in the engine's hands and the rest in the
 * FIFO.  Only the first chunk's completions were written back, so it
 * alone is delivered, and signalled: the pass ended at the disable.
 */
static void case_stop_count(struct vmm *v)
{
	unsigned long long p0, d0, packets, drops;
	char budget[16];
	long waits;
	__u8 sent[ETH_ZLEN];
	struct timespec t0;
	__u16 done, next;
	int k;

	/* HEAD at 0: the first chunk is a whole one. */
	guest_start(v, BUF_LEN);
	wr(v, VMQ_REG_CONTROL, 0);
	v->rx_tail = v->rx_head;
	wr(v, VMQ_REG_RX_TAIL, v->rx_tail);	/* no buffer posted */
	wr(v, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE);
	p0 = counter(v, VMQ_CNT_RX_PACKETS);
	d0 = counter(v, VMQ_CNT_RX_DROPS);
	for (k = 0; k < COUNT_FRAMES; k++) {
		make_frame(v, sent, v->mac, v->wire_mac, ETH_ZLEN);
		wire_send(v, sent, ETH_ZLEN, v->vlan);
	}
	check(sim_wait_backlog(v, COUNT_FRAMES, 500),
	      "stop-count: %d frames wait in the FIFO", COUNT_FRAMES);
	snprintf(budget, sizeof(budget), "%d", COUNT_CHUNK + COUNT_HELD);
	if (!sim_knob(v, "guest_take_budget", budget)) {
		check(false, "stop-count: vmqsim's guest_take_budget (-b)");
		return;
	}
	waits = sim_read_knob(v, "guest_take_waits");
	v->rx_tail = (v->rx_head + NDESC - 1) % NDESC;
	wr(v, VMQ_REG_RX_TAIL, v->rx_tail);
	check(waits >= 0 &&
	      sim_wait_knob(v, "guest_take_waits", waits + 1, 10000) &&
	      sim_read_knob(v, "guest_take_budget") == 0,
	      "stop-count: the engine took %d frames and waits",
	      COUNT_CHUNK + COUNT_HELD);
	/* Polled: the interrupt comes at the end of the pass. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!(done = __atomic_load_n(&rx_desc(v, (v->rx_head + COUNT_CHUNK -
						       1) % NDESC)->flags,
				       __ATOMIC_ACQUIRE) & VMQ_DESC_F_DONE) &&
	       ms_since(&t0) < v->timeout)
		usleep(1000);
	/* The pass has not ended: nothing signalled the chunk yet. */
	drain_irq(v, VMQ_VFIO_IRQ_RX);
	wr(v, VMQ_REG_CONTROL, 0);
	check(wait_irq(v, VMQ_VFIO_IRQ_RX, 1000),
	      "stop-count: the first chunk's completions signalled at the disable");
	check(sim_knob(v, "guest_take_budget", "-1"),
	      "stop-count: guest_take_budget back to -1");
	check(done, "stop-count: the first %d frames delivered before the disable",
	      COUNT_CHUNK);
	/* An engine the disable did not wait for counts as it ends. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		packets = counter(v, VMQ_CNT_RX_PACKETS) - p0;
		drops = counter(v, VMQ_CNT_RX_DROPS) - d0;
		if (packets + drops >= COUNT_FRAMES || ms_since(&t0) > 2000)
			break;
		usleep(10000);
	}
	next = __atomic_load_n(&rx_desc(v, (v->rx_head + COUNT_CHUNK) %
					NDESC)->flags, __ATOMIC_ACQUIRE);
	check(!(next & VMQ_DESC_F_DONE),
	      "stop-count: the held chunk's first completion not written back");
	check(packets == COUNT_CHUNK && drops == COUNT_FRAMES - COUNT_CHUNK,
	      "stop-count: %llu frames delivered and %llu dropped, want %d and %d",
	      packets, drops, COUNT_CHUNK, COUNT_FRAMES - COUNT_CHUNK);
}

/* Many doorbells: each costs no more than the work it brings. */
static void case_storm(struct vmm *v)
{
	__u64 bells = counter(v, VMQ_CNT_DOORBELLS);
	__u64 coal = counter(v, VMQ_CNT_DOORBELLS_COALESCED);
	int k;

	guest_start(v, BUF_LEN);
	for (k = 0; k < 20000; k++)
		wr(v, VMQ_REG_RX_TAIL, v->rx_tail);
	check(counter(v, VMQ_CNT_DOORBELLS) - bells >= 20000,
	      "storm: 20000 doorbells counted");
	printf("storm: %llu of them coalesced\n",
	       (unsigned long long)(counter(v, VMQ_CNT_DOORBELLS_COALESCED) - coal));
	check(rd(v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED &&
	      rx_frames(v, v->mac, 4, true) == 4,
	      "storm: queue still works");
}

static void case_unmap(struct vmm *v)
{
	guest_start(v, BUF_LEN);
	drain_irq(v, VMQ_VFIO_IRQ_ERR);
	check(!unmap_guest(v, RING_IOVA, RING_SIZE),
	      "unmap: VMM may unmap ring memory of a running queue");
	/* The device finds out at its next access to the ring. */
	wr(v, VMQ_REG_TX_TAIL, (v->tx_tail + 1) % NDESC);
	expect_error(v, "unmap", VMQ_ERR_UNMAP);
	munmap(v->ring_mem, RING_SIZE);
	v->ring_mem = map_guest(v, RING_IOVA, RING_SIZE);
	expect_recovery(v, "unmap");
}

/* Map @size bytes at @iova; false if the container refuses. */
static bool map_try(struct vmm *v, __u64 iova, __u64 size, void **mem)
{
	int err;

	*mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*mem == MAP_FAILED)
		die("mmap");
	err = map_dma(v, *mem, iova, size);
	errno = -err;
	return !err;
}

/* Is the queue still enabled, with no error raised? */
static bool still_running(struct vmm *v)
{
	return rd(v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED &&
	       !wait_irq(v, VMQ_VFIO_IRQ_ERR, 100);
}

/*
 * Unmaps at the edges of the ring memory and of the IOVA space: ranges
 * next to the rings, a range that would wrap, and a ring whose last byte
 * is the last IOVA.  Only an unmap that covers ring memory stops the
 * queue, whatever the arithmetic at the top of the space does.
 */
static void case_unmap_edge(struct vmm *v)
{
	const __u64 top = 0ULL - TOP_SIZE;
	void *below, *above, *high;
	__u8 sent[ETH_ZLEN];
	__u32 err, status;
	int uerr;

	if (!map_try(v, RING_IOVA - EDGE_SIZE, EDGE_SIZE, &below) ||
	    !map_try(v, RING_IOVA + RING_SIZE, EDGE_SIZE, &above) ||
	    !map_try(v, top, TOP_SIZE, &high)) {
		check(false, "unmap-edge: mapping beside the rings or at the top: %s",
		      strerror(errno));
		return;
	}

	/* A receive ring ending at the last IOVA is well formed. */
	wr(v, VMQ_REG_CONTROL, VMQ_CTRL_RESET);
	drain_irq(v, VMQ_VFIO_IRQ_ERR);
	wr(v, VMQ_REG_RX_BASE_LO, (__u32)(0ULL - NDESC * sizeof(struct vmq_desc)));
	wr(v, VMQ_REG_RX_BASE_HI, 0xffffffff);
	wr(v, VMQ_REG_RX_SIZE, NDESC);
	wr(v, VMQ_REG_TX_BASE_LO, RING_IOVA + TX_RING);
	wr(v, VMQ_REG_TX_BASE_HI, 0);
	wr(v, VMQ_REG_TX_SIZE, NDESC);
	wr(v, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE);
	status = rd(v, VMQ_REG_STATUS);
	err = rd(v, VMQ_REG_ERROR);
	if (status == VMQ_STATUS_ENABLED) {
		/* The IOMMU reaches the top: unmapping it must stop us. */
		check(!unmap_guest(v, top, TOP_SIZE),
		      "unmap-edge: top of the IOVA space unmapped");
		/* A frame to receive makes the device read that ring. */
		make_frame(v, sent, v->mac, v->wire_mac, 60);
		wire_send(v, sent, 60, v->vlan);
		expect_error(v, "unmap-edge ring at the top", VMQ_ERR_UNMAP);
	} else {
		/* Debian's type1 cannot reach the last mapping (its end
		 * wraps to 0): the queue fails to run, as a DMA error.
		 */
		check(status == VMQ_STATUS_ERROR && err == VMQ_ERR_DMA,
		      "unmap-edge: ring at the top: status %#x error %u (want running, or DMA error)",
		      status, err);
		printf("unmap-edge: this IOMMU cannot reach the top of the IOVA space\n");
	}

	/* Rings in the middle: nothing beside them, nothing wrapping hits. */
	guest_start(v, BUF_LEN);
	drain_irq(v, VMQ_VFIO_IRQ_ERR);
	check(!unmap_guest(v, RING_IOVA - EDGE_SIZE, EDGE_SIZE) &&
	      !unmap_guest(v, RING_IOVA + RING_SIZE, EDGE_SIZE),
	      "unmap-edge: ranges right below and right above the rings unmapped");
	uerr = unmap_guest(v, 0ULL - EDGE_SIZE, 2 * EDGE_SIZE) ? errno : 0;
	check(uerr == EINVAL, "unmap-edge: a range wrapping past the top refused (%s)",
	      strerror(uerr));
	unmap_guest(v, top, TOP_SIZE);
	check(still_running(v), "unmap-edge: queue still running (status %#x error %u)",
	      rd(v, VMQ_REG_STATUS), rd(v, VMQ_REG_ERROR));
	check(rx_frames(v, v->mac, 2, true) == 2, "unmap-edge: queue still works");
	munmap(below, EDGE_SIZE);
	munmap(above, EDGE_SIZE);
	munmap(high, TOP_SIZE);
}

/*
 * HEAD across a disabled queue: kept through disable, enable and a
 * rewrite of the same SIZE; 0 once SIZE changes, never beyond SIZE.
 */
static void ring_resize(struct vmm *v)
{
	__u32 head = rd(v, VMQ_REG_RX_HEAD);

	wr(v, VMQ_REG_CONTROL, 0);
	wr(v, VMQ_REG_RX_SIZE, NDESC);
	check(head && rd(v, VMQ_REG_RX_HEAD) == head,
	      "reset: HEAD %u kept through disable and the same SIZE (reads %u)",
	      head, rd(v, VMQ_REG_RX_HEAD));
	wr(v, VMQ_REG_RX_SIZE, NDESC / 2);
	check(rd(v, VMQ_REG_RX_HEAD) == 0,
	      "reset: a new SIZE starts the ring at 0 (HEAD reads %u)",
	      rd(v, VMQ_REG_RX_HEAD));
	wr(v, VMQ_REG_RX_TAIL, 0);
	wr(v, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE);
	check(rd(v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED,
	      "reset: the resized ring enables (status %#x, error %u)",
	      rd(v, VMQ_REG_STATUS), rd(v, VMQ_REG_ERROR));
	wr(v, VMQ_REG_CONTROL, VMQ_CTRL_RESET);
}

/* Guest pages the device holds pinned now. */
static __u64 pinned(struct vmm *v)
{
	return counter(v, VMQ_CNT_DMA_PINS) - counter(v, VMQ_CNT_DMA_UNPINS);
}

/*
 * The device pins a guest page at its first access and keeps it until
 * the VMM unmaps it or closes the device: two ring sweeps of frames
 * leave both ring pages and every buffer page pinned, none reached
 * through the VMM's page tables; unmapping the buffers lets their pages
 * go, and mapped back they are not pinned again (fenced).  Nothing is
 * pinned at the start: the last VMM's close let go and lifted fences.
 */
static void case_pin(struct vmm *v)
{
	__u64 bufs = NDESC * BUF_LEN / sysconf(_SC_PAGESIZE), slow;

	check(!pinned(v), "pin: %llu pages pinned before the queue runs",
	      (unsigned long long)pinned(v));
	slow = counter(v, VMQ_CNT_DMA_SLOW);
	guest_start(v, BUF_LEN);
	rx_frames(v, v->mac, 2 * NDESC, false);
	check(pinned(v) == 2 + bufs,
	      "pin: %llu pages pinned, want %llu (2 ring pages, the buffers')",
	      (unsigned long long)pinned(v), (unsigned long long)(2 + bufs));
	check(counter(v, VMQ_CNT_DMA_SLOW) == slow,
	      "pin: %llu accesses through the VMM's page tables, want 0",
	      (unsigned long long)(counter(v, VMQ_CNT_DMA_SLOW) - slow));
	check(!unmap_guest(v, BUF_IOVA, BUF_SIZE),
	      "pin: the VMM may unmap pinned buffers");
	check(pinned(v) == 2, "pin: %llu pages pinned after the buffers' unmap, want 2",
	      (unsigned long long)pinned(v));
	/* Unmapped while pinned: fenced, reached through the page tables. */
	check(!map_dma(v, v->buf_mem, BUF_IOVA, BUF_SIZE),
	      "pin: the VMM maps the buffers back");
	slow = counter(v, VMQ_CNT_DMA_SLOW);
	check(rx_frames(v, v->mac, 4, true) == 4,
	      "pin: frames land in the buffers mapped back");
	check(pinned(v) == 2 && counter(v, VMQ_CNT_DMA_SLOW) > slow,
	      "pin: mapped back, the range stays fenced: %llu pinned (want 2), %llu accesses through the page tables",
	      (unsigned long long)pinned(v),
	      (unsigned long long)(counter(v, VMQ_CNT_DMA_SLOW) - slow));
}

/*
 * The VMM unmaps and maps back the buffers over and over while frames
 * keep the device pinning pages in them: VFIO's type1 calls dma_unmap
 * again while a page of the range is pinned and BUG()s after ten tries,
 * so no pin may slip in between.  The host survives (a BUG fails the
 * run), every unmap succeeds, and after a reset the queue works.
 */
static void case_unmap_storm(struct vmm *v)
{
	__u8 sent[ETH_ZLEN];
	int round, k, failed = 0;

	guest_start(v, BUF_LEN);
	for (round = 0; round < 300; round++) {
		for (k = 0; k < 4; k++) {
			make_frame(v, sent, v->mac, v->wire_mac, ETH_ZLEN);
			wire_send(v, sent, ETH_ZLEN, v->vlan);
		}
		if (unmap_guest(v, BUF_IOVA, BUF_SIZE) ||
		    map_dma(v, v->buf_mem, BUF_IOVA, BUF_SIZE))
			failed++;
		/* Buffers back for the guest; an error state is fine here. */
		if (!(round % 16))
			guest_start(v, BUF_LEN);
	}
	check(!failed, "unmap-storm: %d of 300 unmap/map rounds failed",
	      failed);
	expect_recovery(v, "unmap-storm");
	check(pinned(v) <= 2 + NDESC * BUF_LEN / (__u64)sysconf(_SC_PAGESIZE),
	      "unmap-storm: %llu pages pinned, no more than the rings and buffers",
	      (unsigned long long)pinned(v));
}

/*
 * With max_pinned_pages 0 nothing is pinned: every access goes through
 * the VMM's page tables, and frames land as before.
 */
static void case_nopin(struct vmm *v)
{
	__u64 pins = counter(v, VMQ_CNT_DMA_PINS);
	__u64 slow = counter(v, VMQ_CNT_DMA_SLOW);

	guest_start(v, BUF_LEN);
	rx_frames(v, v->mac, NDESC, false);
	check(counter(v, VMQ_CNT_DMA_PINS) == pins,
	      "nopin: %llu pages pinned, want none",
	      (unsigned long long)(counter(v, VMQ_CNT_DMA_PINS) - pins));
	check(counter(v, VMQ_CNT_DMA_SLOW) - slow >= NDESC,
	      "nopin: %llu accesses through the VMM's page tables, want one per frame at least",
	      (unsigned long long)(counter(v, VMQ_CNT_DMA_SLOW) - slow));
}

/* Interrupts signalled on @index since the last look. */
static __u64 irqs_since(struct vmm *v, int index)
{
	__u64 n;

	return read(v->efd[index], &n, sizeof(n)) == sizeof(n) ? n : 0;
}

/* The burst of the moderation case; the shell's rx-frames and rx-usecs. */
#define MOD_FRAMES	48
#define MOD_RX_FRAMES	16
#define MOD_RX_MS	10

/*
 * The @n descriptors from the guest's HEAD on all completed: polled, no
 * interrupt consumed, for at most the VMM's timeout.
 */
static bool rx_wait_done(struct vmm *v, __u32 n)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!(__atomic_load_n(&rx_desc(v, (v->rx_head + n - 1) % NDESC)->flags,
				 __ATOMIC_ACQUIRE) & VMQ_DESC_F_DONE)) {
		if (ms_since(&t0) > v->timeout)
			return false;
		usleep(100);
	}
	return true;
}

/*
 * Interrupt moderation on a guest queue, with the shell's rx-frames 16
 * and rx-usecs 10000 for its queue pair.
 *
 * A burst of 48 frames held back at the port, then let go at once, goes
 * into the pinned buffers in chunks of 16 (see case_batch), and each
 * chunk reaches rx-frames: at most one interrupt per chunk, whatever
 * the machine's speed (one more if the ring's end or a stray splits a
 * chunk, or a timer of the pinning frames comes late).
 *
 * Then 48 frames sent one at a time, each landed before the next: besides
 * the rx-frames interrupts, the rx-usecs timer gives at most one per
 * 10 ms this lasts, so the bound follows from the time it took, and
 * without moderation each frame would signal.
 *
 * And a lone frame still gets its interrupt when rx-usecs have passed.
 */
static void case_moderation(struct vmm *v)
{
	__u8 sent[ETH_ZLEN];
	struct timespec t0;
	int k, got = 0;
	__u64 irqs, max;
	long span;
	__u32 len;

	guest_start(v, BUF_LEN);
	/* Every ring and buffer page pinned: the classifier's way in. */
	check(rx_frames(v, v->mac, 2 * NDESC, true) == 2 * NDESC,
	      "moderation: %d frames pinned the ring and buffers", 2 * NDESC);
	if (!sim_hold_port(v)) {
		check(false, "moderation: vmqsim's port_hold (-b)");
		return;
	}
	for (k = 0; k < MOD_FRAMES; k++) {
		make_frame(v, sent, v->mac, v->wire_mac, ETH_ZLEN);
		wire_send(v, sent, ETH_ZLEN, v->vlan);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (sim_port_backlog(v) < MOD_FRAMES && ms_since(&t0) < v->timeout)
		usleep(10000);
	check(sim_port_backlog(v) == MOD_FRAMES,
	      "moderation: %ld frames wait at the held port, want %d",
	      sim_port_backlog(v), MOD_FRAMES);
	/* The pinning frames' last timer is long past. */
	drain_irq(v, VMQ_VFIO_IRQ_RX);
	check(sim_knob(v, "port_hold", "N") && sim_wait_backlog(v, 0, 2000),
	      "moderation: the port let go, every frame classified");
	check(rx_wait_done(v, MOD_FRAMES),
	      "moderation: the held burst of %d frames landed", MOD_FRAMES);
	/* A timer for a split chunk's rest, if any, fires meanwhile. */
	usleep(10 * MOD_RX_MS * 1000);
	irqs = irqs_since(v, VMQ_VFIO_IRQ_RX);
	while (got < MOD_FRAMES && rx_next_test(v, &len, v->timeout))
		got++;
	check(got == MOD_FRAMES, "moderation: %d of %d held frames received",
	      got, MOD_FRAMES);
	check(irqs >= 1 && irqs <= MOD_FRAMES / MOD_RX_FRAMES + 1,
	      "moderation: %llu interrupts for a held burst of %d frames, want 1 to %d",
	      (unsigned long long)irqs, MOD_FRAMES,
	      MOD_FRAMES / MOD_RX_FRAMES + 1);

	/*
	 * One frame at a time, each landed before the next goes: each its
	 * own completion to signal, so rx-frames' interrupts and rx-usecs'
	 * timer are what keep the count down.
	 */
	drain_irq(v, VMQ_VFIO_IRQ_RX);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = 0; k < MOD_FRAMES; k++) {
		make_frame(v, sent, v->mac, v->wire_mac, ETH_ZLEN);
		wire_send(v, sent, ETH_ZLEN, v->vlan);
		if (!rx_wait_done(v, k + 1))
			break;
	}
	span = ms_since(&t0);
	check(k == MOD_FRAMES,
	      "moderation: %d of %d frames sent one at a time landed",
	      k, MOD_FRAMES);
	/* Past rx-usecs: a timer's interrupt for the last few is in. */
	usleep(10 * MOD_RX_MS * 1000);
	irqs = irqs_since(v, VMQ_VFIO_IRQ_RX);
	/*
	 * One per rx-frames completions; the timer's, at least rx-usecs
	 * apart, while the burst lasted and one after; one for a stray.
	 */
	max = MOD_FRAMES / MOD_RX_FRAMES + span / MOD_RX_MS + 2;
	got = 0;
	while (got < MOD_FRAMES && rx_next_test(v, &len, v->timeout))
		got++;
	check(got == MOD_FRAMES, "moderation: %d of %d frames received",
	      got, MOD_FRAMES);
	check(irqs >= 1 && irqs <= max,
	      "moderation: %llu interrupts for %d frames in %ld ms, want 1 to %llu",
	      (unsigned long long)irqs, MOD_FRAMES, span,
	      (unsigned long long)max);

	drain_irq(v, VMQ_VFIO_IRQ_RX);
	make_frame(v, sent, v->mac, v->wire_mac, ETH_ZLEN);
	wire_send(v, sent, ETH_ZLEN, v->vlan);
	check(wait_irq(v, VMQ_VFIO_IRQ_RX, 2000) &&
	      rx_next_test(v, &len, 100),
	      "moderation: a lone frame is signalled after rx-usecs");
}

/* Reset while frames flow in: stopped, clean, and usable again. */
static void case_reset(struct vmm *v)
{
	__u8 sent[ETH_FRAME_LEN];
	int k;

	guest_start(v, BUF_LEN);
	for (k = 0; k < 40; k++) {
		make_frame(v, sent, v->mac, v->wire_mac, 300);
		wire_send(v, sent, 300, v->vlan);
		tx_post(v, BUF_IOVA + TX_BUFS, 60);
		if (k == 20)
			check(!ioctl(v->dev, VFIO_DEVICE_RESET),
			      "reset: VFIO_DEVICE_RESET mid-traffic");
	}
	check(rd(v, VMQ_REG_STATUS) == 0 && rd(v, VMQ_REG_ERROR) == 0 &&
	      rd(v, VMQ_REG_RX_HEAD) == 0 && rd(v, VMQ_REG_RX_SIZE) == 0,
	      "reset: queue stopped and cleared (status %#x)",
	      rd(v, VMQ_REG_STATUS));
	/* Frames sent before the reset must not arrive after the restart. */
	check(sim_wait_backlog(v, 0, 200),
	      "reset: the frames sent before it were all classified");
	drain_irq(v, VMQ_VFIO_IRQ_RX);
	guest_start(v, BUF_LEN);
	check(rx_frames(v, v->mac, 3, true) == 3, "reset: queue works again");
	ring_resize(v);
}

/*
 * A guest that stops and starts its queue over and over, by reset and by
 * ENABLE: vfio_queue.sh counts the engine threads the NIC made for it.
 */
static void case_toggle(struct vmm *v)
{
	int k;

	for (k = 0; k < TOGGLES; k++) {
		guest_start(v, BUF_LEN);
		wr(v, VMQ_REG_CONTROL, 0);
		wr(v, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE);
	}
	check(rd(v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED,
	      "toggle: enabled after %d resets and %d disables", TOGGLES,
	      TOGGLES);
	check(rx_frames(v, v->mac, 2, true) == 2, "toggle: the queue works after");
}

/*
 * Processes of one VMM that take turns at the queue, the device's file
 * shared across a fork: each child enables it and exits, the parent
 * disables and enables it again.  vfio_queue.sh counts the engine
 * threads the NIC made for them.
 */
static void case_forktoggle(struct vmm *v)
{
	int k, status;
	pid_t pid;

	guest_start(v, BUF_LEN);
	for (k = 0; k < TOGGLES; k++) {
		wr(v, VMQ_REG_CONTROL, 0);
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			die("fork");
		if (!pid)
			_exit(wr_err(v, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE) ? 1 : 0);
		check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		      !WEXITSTATUS(status), "forktoggle: child %d enabled", k);
		wr(v, VMQ_REG_CONTROL, 0);
		wr(v, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE);
	}
	check(rd(v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED,
	      "forktoggle: enabled after %d children's and %d own starts",
	      TOGGLES, TOGGLES);
	check(rx_frames(v, v->mac, 2, true) == 2,
	      "forktoggle: the queue works after");
}

/* Set by SIGUSR1: the test is done with a holding VMM. */
static int released;

static void on_sigusr1(int sig)
{
	(void)sig;
	__atomic_store_n(&released, 1, __ATOMIC_RELAXED);
}

static bool is_released(void)
{
	return __atomic_load_n(&released, __ATOMIC_RELAXED);
}

/* Wait for the host's request, SIGUSR1 or @timeout; true on a request. */
static bool hold_until_released(struct vmm *v)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!is_released() && ms_since(&t0) < v->timeout)
		if (wait_irq(v, VMQ_VFIO_IRQ_REQ, 100))
			return true;
	return false;
}

/* Where map_stuck() put that memory in the VMM's address space. */
static void *stuck_mem;

/* Guest RAM that faults into a userfaultfd which never answers. */
static int map_stuck(struct vmm *v)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	void *mem;
	int uffd;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0) {
		printf("SKIP: userfaultfd: %s\n", strerror(errno));
		exit(KSFT_SKIP);
	}
	if (ioctl(uffd, UFFDIO_API, &api))
		die("UFFDIO_API");
	/* Never touched here: every page is missing. */
	mem = mmap(NULL, STUCK_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	stuck_mem = mem;
	reg.range.start = (uintptr_t)mem;
	reg.range.len = STUCK_SIZE;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER");
	map.vaddr = (uintptr_t)mem;
	map.iova = STUCK_IOVA;
	map.size = STUCK_SIZE;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	if (ioctl(v->container, VFIO_IOMMU_MAP_DMA, &map))
		die("VFIO_IOMMU_MAP_DMA");
	return uffd;
}

/* Another thread of the VMM (a vCPU) disables the queue; it reports. */
static pid_t disable_in_child(struct vmm *v, int uffd)
{
	struct timespec t0;
	pid_t pid;
	int err;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid)
		return pid;
	/* Only the parent's close may release the fault. */
	close(uffd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = wr_err(v, VMQ_REG_CONTROL, 0);
	printf("stuck: disable returned %d after %ld ms\n", err,
	       ms_since(&t0));
	fflush(stdout);
	_exit(err ? 1 : 0);
}

/*
 * The NIC writes a frame into guest memory whose fault the VMM never
 * answers.  Disabling the queue must not wait for it, nor may the host
 * (the test script, meanwhile); once the memory resolves, nothing more
 * lands in the guest and the queue works again.
 */
/*
 * Get the NIC stuck writing a frame into guest memory whose fault is
 * never served.  Return: the userfaultfd, or -1 if the NIC never faulted.
 */
static int stuck_engine(struct vmm *v, const char *name)
{
	struct pollfd pfd = { .events = POLLIN };
	__u8 sent[ETH_FRAME_LEN];
	struct uffd_msg msg;
	__u32 i;

	pfd.fd = map_stuck(v);
	guest_start(v, BUF_LEN);
	for (i = 0; i < NDESC; i++)
		rx_desc(v, i)->addr = STUCK_IOVA + (__u64)i * BUF_LEN;
	make_frame(v, sent, v->mac, v->wire_mac, 300);
	wire_send(v, sent, 300, v->vlan);
	if (poll(&pfd, 1, 5000) != 1 ||
	    read(pfd.fd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT) {
		check(false, "%s: the NIC never faulted on guest memory", name);
		return -1;
	}
	check(true, "%s: the NIC waits for a fault nobody serves", name);
	return pfd.fd;
}

static void case_stuck(struct vmm *v)
{
	struct timespec t0;
	bool child_done;
	int uffd, status, err;
	pid_t child;

	uffd = stuck_engine(v, "stuck");
	if (uffd < 0)
		return;

	child = disable_in_child(v, uffd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!(child_done = waitpid(child, &status, WNOHANG) == child) &&
	       ms_since(&t0) < 5000)
		usleep(50000);
	check(child_done && WIFEXITED(status) && !WEXITSTATUS(status),
	      "stuck: disable returned without waiting for guest memory");
	if (child_done) {
		check(!(rd(v, VMQ_REG_STATUS) & VMQ_STATUS_ENABLED),
		      "stuck: the queue is disabled");
		err = wr_err(v, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE);
		check(err == -EBUSY,
		      "stuck: enable refused while the NIC waits (%d)", err);
	}

	printf("holding the device\n");
	fflush(stdout);
	hold_until_released(v);

	/* Closing the userfaultfd resolves the fault with a zero page. */
	close(uffd);
	if (!child_done)
		waitpid(child, &status, 0);
	usleep(300000);
	check(!(rx_desc(v, v->rx_head)->flags & VMQ_DESC_F_DONE) &&
	      rd(v, VMQ_REG_RX_HEAD) == v->rx_head,
	      "stuck: nothing written back once the memory resolved");

	guest_setup(v, BUF_LEN);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((err = wr_err(v, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE)) == -EBUSY &&
	       ms_since(&t0) < 5000)
		usleep(100000);
	check(!err && rx_frames(v, v->mac, 3, true) == 3,
	      "stuck: the queue works again (%d)", err);
}

/*
 * stuck-enable's watcher, in a child: once ENABLE waits in the VMM's own
 * fault, a grandchild writes the admin's vlan attribute (the write may
 * wait uninterruptibly, so not here); then the userfaultfd is closed,
 * which lets the enable go on.  0 if the write came back within 5 s.
 */
static int stuck_enable_admin(struct vmm *v, int uffd)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;
	struct timespec t0;
	bool done = false;
	int status = -1;
	long ms;
	pid_t w;

	if (poll(&pfd, 1, 5000) != 1 ||
	    read(uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT) {
		printf("FAIL: stuck-enable: ENABLE never faulted on the ring\n");
		close(uffd);
		return 1;
	}
	printf("PASS: stuck-enable: ENABLE waits for a fault nobody serves\n");
	fflush(stdout);
	w = fork();
	if (w < 0)
		die("fork");
	if (!w) {
		/* Only our close may resolve the fault. */
		close(uffd);
		_exit(mdev_attr_set(v->uuid, "vlan", "0") ? 1 : 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!(done = waitpid(w, &status, WNOHANG) == w) &&
	       ms_since(&t0) < 5000)
		usleep(20000);
	ms = ms_since(&t0);
	close(uffd);
	if (!done)
		waitpid(w, &status, 0);
	done = done && WIFEXITED(status) && !WEXITSTATUS(status);
	printf("%s: stuck-enable: the admin's vlan write came back after %ld ms%s\n",
	       done ? "PASS" : "FAIL", ms, done ? "" : " (want < 5000, and done)");
	fflush(stdout);
	return done ? 0 : 1;
}

/*
 * The receive ring in guest memory whose fault the VMM never answers:
 * ENABLE reads it from the VMM's own thread, which waits there.  The
 * host's admin must meanwhile still set the device's attributes.
 */
static void case_stuck_enable(struct vmm *v)
{
	int uffd, status;
	pid_t child;

	uffd = map_stuck(v);
	guest_setup(v, BUF_LEN);
	wr(v, VMQ_REG_RX_BASE_LO, STUCK_IOVA);
	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork");
	if (!child)
		_exit(stuck_enable_admin(v, uffd));
	/* The child's copy is the last: its close resolves the fault. */
	close(uffd);
	wr_err(v, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE);
	waitpid(child, &status, 0);
	check(WIFEXITED(status) && !WEXITSTATUS(status),
	      "stuck-enable: the admin's attributes did not wait for the VMM's memory");
	wr(v, VMQ_REG_CONTROL, VMQ_CTRL_RESET);
}

/*
 * The NIC waits in guest memory of a VMM that is then killed with its
 * device fd above its userfaultfd: an exiting task's files are released
 * last opened first, so the device's close comes first, and the fault is
 * served (by the userfaultfd's release) only after it.  The close must
 * not wait for the memory.  Holds the device until killed (or -t).
 */
static void case_stuck_exit(struct vmm *v)
{
	int uffd, high;

	uffd = stuck_engine(v, "stuck-exit");
	if (uffd < 0)
		return;
	high = fcntl(v->dev, F_DUPFD_CLOEXEC, uffd + 1);
	if (high < 0)
		die("F_DUPFD");
	close(v->dev);
	v->dev = high;
	printf("holding the device (fd %d, userfaultfd %d)\n", high, uffd);
	fflush(stdout);
	hold_until_released(v);
}

/* Serve every fault of map_stuck()'s memory with zero pages. */
static void serve_stuck(int uffd)
{
	struct uffdio_zeropage zp = { 0 };
	__u64 off;

	for (off = 0; off < STUCK_SIZE; off += getpagesize()) {
		zp.range.start = (uintptr_t)stuck_mem + off;
		zp.range.len = getpagesize();
		/* EEXIST: a page already there. */
		ioctl(uffd, UFFDIO_ZEROPAGE, &zp);
	}
}

/* Linux's PF_EXITING in /proc/PID/stat's flags: the task is exiting. */
#define TASK_PF_EXITING	0x4

/* Has thread @tid (the VMM's main thread) started to exit, or gone? */
static bool task_exiting(pid_t tid)
{
	char path[64];
	unsigned int flags;
	bool exiting;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return true;
	/* pid (comm) state ppid pgrp session tty_nr tpgid flags */
	exiting = fscanf(f, "%*d (%*[^)]) %*c %*d %*d %*d %*d %*d %u",
			 &flags) != 1 || (flags & TASK_PF_EXITING);
	fclose(f);
	return exiting;
}

/*
 * The rescuer of stuck case @name, a child holding only @uffd and stdout:
 * should the VMM, killed, not finish exiting within 5 s of its main
 * thread starting to, it serves the fault, so that the VMM can and the
 * test goes on, and says so.  Exits with the VMM otherwise.  It looks
 * every 100 ms: the main thread may be the one that hangs in its exit.
 */
static void stuck_rescuer(int uffd, const char *name)
{
	struct pollfd pfd = { .events = POLLIN };
	pid_t vmm = getpid();
	struct timespec t0;
	bool exiting = false;
	int fd;

	fflush(stdout);
	if (fork())
		return;
	pfd.fd = syscall(SYS_pidfd_open, vmm, 0);
	if (pfd.fd < 0) {
		printf("FAIL: %s: no rescuer: pidfd_open: %s\n", name,
		       strerror(errno));
		_exit(1);
	}
	/* Not the VMM's device, group or container. */
	for (fd = 3; fd < 1024; fd++)
		if (fd != uffd && fd != pfd.fd)
			close(fd);
	/* Readable once every thread of the VMM is out. */
	while (poll(&pfd, 1, 100) != 1) {
		if (!exiting && task_exiting(vmm)) {
			exiting = true;
			clock_gettime(CLOCK_MONOTONIC, &t0);
		}
		if (exiting && ms_since(&t0) >= 5000) {
			printf("FAIL: %s: rescued: %s\n", name,
			       "the killed VMM's exit waited 5 s for its memory");
			fflush(stdout);
			serve_stuck(uffd);
			_exit(0);
		}
	}
	_exit(0);
}

/* stuck-map's vCPU: its thread id, and whether its mapping came back. */
static pid_t stuck_map_tid;
static int stuck_map_done;

/* Map one more page of guest RAM, as a vCPU thread adding memory does. */
static void *stuck_map_thread(void *arg)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vmm *v = arg;
	void *mem;

	mem = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	map.vaddr = (uintptr_t)mem;
	map.iova = STUCK_IOVA + STUCK_SIZE;
	map.size = getpagesize();
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	__atomic_store_n(&stuck_map_tid, syscall(SYS_gettid), __ATOMIC_RELEASE);
	ioctl(v->container, VFIO_IOMMU_MAP_DMA, &map);
	__atomic_store_n(&stuck_map_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The state letter of thread @tid of this process ('?' if none). */
static char thread_state(pid_t tid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	p = strrchr(buf, ')');
	return p && p[1] && p[2] ? p[2] : '?';
}

/*
 * The NIC waits in guest memory of a VMM, and another thread of the VMM
 * maps more guest RAM: VFIO type1 holds the container's lock while the
 * NIC is in the memory, so the mapping waits, uninterruptibly.  A VMM
 * killed then must still finish exiting, although that thread keeps its
 * files, and so its userfaultfd, from being released.  Holds the device
 * until killed (or -t).
 */
static void case_stuck_map(struct vmm *v)
{
	struct timespec t0;
	pthread_t thread;
	bool waits;
	pid_t tid;
	int uffd;

	uffd = stuck_engine(v, "stuck-map");
	if (uffd < 0)
		return;
	stuck_rescuer(uffd, "stuck-map");
	if (pthread_create(&thread, NULL, stuck_map_thread, v))
		die("pthread_create");
	while (!(tid = __atomic_load_n(&stuck_map_tid, __ATOMIC_ACQUIRE)))
		usleep(10000);
	/* In D state within 5 s, then still there, not back, for 1 s. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (thread_state(tid) != 'D' && ms_since(&t0) < 5000)
		usleep(10000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		waits = !__atomic_load_n(&stuck_map_done, __ATOMIC_ACQUIRE) &&
			thread_state(tid) == 'D';
		usleep(100000);
	} while (waits && ms_since(&t0) < 1000);
	check(waits, "stuck-map: the mapping waits for the NIC's access");
	printf("holding the device\n");
	fflush(stdout);
	hold_until_released(v);
}

/* -u: the second device, for stuck-two. */
static const char *second_uuid;

/* Some thread of the NIC's engines ("vmqsim*") is in D state. */
static bool engine_in_d_state(void)
{
	char path[300], comm[32], state;
	struct dirent *de;
	bool found = false;
	FILE *f;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		found = fscanf(f, "%*d (%31[^)]) %c", comm, &state) == 2 &&
			!strncmp(comm, "vmqsim", 6) && state == 'D';
		fclose(f);
	}
	closedir(d);
	return found;
}

/*
 * Enable @w's queue with its rings at TWO_IOVA (mapped here) and its
 * receive buffers in map_stuck()'s memory, past the first device's.
 */
static void stuck_two_start(struct vmm *v, struct vmm *w)
{
	__u32 i;

	w->ring_mem = map_guest(v, TWO_IOVA, RING_SIZE);
	wr(w, VMQ_REG_CONTROL, VMQ_CTRL_RESET);
	/* Not rx_post(): @w has no buffer mapping of its own to fill. */
	for (i = 0; i < 8; i++) {
		rx_desc(w, i)->addr = STUCK_IOVA + STUCK_SIZE / 2 +
				      (__u64)i * BUF_LEN;
		rx_desc(w, i)->len = BUF_LEN;
	}
	guest_rings_at(w, TWO_IOVA);
	wr(w, VMQ_REG_RX_TAIL, 8);
	wr(w, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE);
}

/*
 * Two vmq devices of one VMM in one container, and both NICs wait: the
 * first in a fault nobody serves, holding VFIO type1's container lock,
 * the second for that lock.  Killed, the VMM releases the second
 * device's fd first (the higher), and its close waits for its engine,
 * behind the first's; the first's close, or the userfaultfd's release,
 * comes only after.  The VMM must still exit.  Holds the devices until
 * killed (or -t).
 */
static void case_stuck_two(struct vmm *v)
{
	struct vmm w = { .uuid = second_uuid, .timeout = v->timeout };
	__u8 sent[ETH_FRAME_LEN];
	struct timespec t0;
	int uffd, high;
	bool waits;

	if (!second_uuid) {
		check(false, "stuck-two: no second device (-u)");
		return;
	}
	/* Its rings pinned before the lock is taken: ENABLE pins them. */
	vmm_open_beside(&w, v);
	stuck_two_start(v, &w);
	uffd = stuck_engine(v, "stuck-two");
	if (uffd < 0)
		return;
	high = fcntl(w.dev, F_DUPFD_CLOEXEC, uffd + 1);
	if (high < 0)
		die("F_DUPFD");
	close(w.dev);
	w.dev = high;
	stuck_rescuer(uffd, "stuck-two");
	make_frame(v, sent, w.mac, v->wire_mac, 300);
	wire_send(v, sent, 300, w.vlan);
	/* In D state within 5 s, then still there for 1 s. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!engine_in_d_state() && ms_since(&t0) < 5000)
		usleep(10000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		waits = engine_in_d_state();
		usleep(100000);
	} while (waits && ms_since(&t0) < 1000);
	check(waits, "stuck-two: the second NIC waits for the container's lock");
	printf("holding the devices (fds %d, %d; userfaultfd %d)\n",
	       v->dev, w.dev, uffd);
	fflush(stdout);
	hold_until_released(v);
}

/* Keep the device however often the host asks for it back. */
static void case_deaf(struct vmm *v)
{
	struct timespec t0;
	bool asked = false;

	guest_start(v, BUF_LEN);
	printf("holding the device\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!is_released() && ms_since(&t0) < v->timeout)
		asked |= wait_irq(v, VMQ_VFIO_IRQ_REQ, 100);
	check(asked, "deaf: the host asked for the device back");
}

/* Run until the host asks for the device back (or @timeout). */
static void case_hold(struct vmm *v)
{
	guest_start(v, BUF_LEN);
	printf("holding the device\n");
	fflush(stdout);
	check(wait_irq(v, VMQ_VFIO_IRQ_REQ, v->timeout),
	      "hold: host asked for the device back");
}

/*
 * Enable the queue from a thread that exits right after, before the
 * NIC's engine thread can join its cgroups: SCHED_FIFO on its own CPU,
 * it runs to its exit before that CPU's workqueue does.  Return: NULL;
 * the write's result in *arg.
 */
static void *enable_and_exit(void *arg)
{
	struct sched_param sp = { .sched_priority = 1 };
	struct vmm **vp = arg;
	unsigned long mask;
	unsigned int cpu;

	if (syscall(SYS_getcpu, &cpu, NULL, NULL) || cpu >= 64)
		cpu = 0;
	mask = 1UL << cpu;
	if (syscall(SYS_sched_setaffinity, 0, sizeof(mask), &mask) ||
	    sched_setscheduler(0, SCHED_FIFO, &sp))
		return (void *)-1L;
	return (void *)(long)wr_err(*vp, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE);
}

/*
 * The queue's first start comes from a thread that is gone before the
 * engine's thread joins its cgroups; the VMM then disables and enables
 * the queue and holds it: vfio_queue.sh wants the engine's thread in
 * the VMM's cgroup by then.
 */
static void case_exitjoin(struct vmm *v)
{
	pthread_t thread;
	void *ret;

	guest_setup(v, BUF_LEN);
	if (pthread_create(&thread, NULL, enable_and_exit, &v))
		die("pthread_create");
	pthread_join(thread, &ret);
	check(!ret, "exitjoin: a thread enabled the queue and exited (%ld)",
	      (long)ret);
	check(rd(v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED,
	      "exitjoin: enabled by the thread");
	wr(v, VMQ_REG_CONTROL, 0);
	wr(v, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE);
	check(rx_frames(v, v->mac, 2, true) == 2,
	      "exitjoin: the queue works after the VMM's own start");
	printf("holding the device\n");
	fflush(stdout);
	hold_until_released(v);
}

/* With no admin MAC and anti-spoofing on, nothing goes out, 00:..:00 too. */
static void case_nomac(struct vmm *v)
{
	static const __u8 zero[ETH_ALEN];
	__u64 before = counter(v, VMQ_CNT_TX_SPOOFED);

	if (memcmp(v->mac, zero, ETH_ALEN)) {
		check(false, "nomac: the admin set a MAC");
		return;
	}
	guest_start(v, BUF_LEN);
	check(tx_frames(v, zero, 5, false) == 5,
	      "nomac: 5 frames from 00:00:00:00:00:00 completed with ERR, none on the wire");
	check(counter(v, VMQ_CNT_TX_SPOOFED) - before == 5,
	      "nomac: tx_spoofed counted %llu",
	      (unsigned long long)(counter(v, VMQ_CNT_TX_SPOOFED) - before));
	check(rd(v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED,
	      "nomac: queue still enabled");
}

/* The admin's sysfs attribute @attr of our mdev. */
static void admin_set(struct vmm *v, const char *attr, const char *val)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/vmq/%s",
		 v->uuid, attr);
	f = fopen(path, "w");
	if (!f || fputs(val, f) < 0 || fclose(f))
		die(path);
}

static void rx_repost(struct vmm *v)
{
	v->rx_tail = (v->rx_head + NDESC - 1) % NDESC;
	wr(v, VMQ_REG_RX_TAIL, v->rx_tail);
}

/*
 * Frames of VLAN @from wait in the FIFO when the admin moves the queue
 * to VLAN @to: none reaches the guest, each counted in rx_drops; then
 * the new VLAN's frames arrive intact.
 */
static void vlan_change(struct vmm *v, __u16 from, __u16 to)
{
	__u8 sent[ETH_FRAME_LEN], *f;
	__u64 drops;
	char val[8];
	int k, got = 0;
	__u32 len;

	snprintf(val, sizeof(val), "%u", from);
	admin_set(v, "vlan", val);
	v->vlan = from;
	guest_start(v, BUF_LEN);
	rx_unpost(v);
	drops = counter(v, VMQ_CNT_RX_DROPS);
	for (k = 0; k < 4; k++) {
		make_frame(v, sent, v->mac, v->wire_mac, 100);
		wire_send(v, sent, 100, from);
	}
	/* All four classified and waiting in the FIFO, then the change. */
	check(sim_wait_backlog(v, 4, 300),
	      "vlan-change %u->%u: four frames wait in the FIFO", from, to);
	snprintf(val, sizeof(val), "%u", to);
	admin_set(v, "vlan", val);
	v->vlan = to;
	rx_repost(v);
	/* Any frame from the partner: a rewritten one is no test frame. */
	while ((f = rx_next(v, &len, 500)))
		got += len >= 12 && !memcmp(f + ETH_ALEN, v->wire_mac, ETH_ALEN);
	check(!got, "vlan-change %u->%u: %d frames queued for VLAN %u reached the guest",
	      from, to, got, from);
	counter_wait(v, VMQ_CNT_RX_DROPS, drops + 4);
	check(counter(v, VMQ_CNT_RX_DROPS) - drops == 4,
	      "vlan-change %u->%u: rx_drops counted %llu of 4", from, to,
	      (unsigned long long)(counter(v, VMQ_CNT_RX_DROPS) - drops));
	check(rx_frames(v, v->mac, 3, true) == 3,
	      "vlan-change %u->%u: frames of VLAN %u arrive intact", from, to,
	      to);
}

static void case_vlan_change(struct vmm *v)
{
	vlan_change(v, 0, 100);
	vlan_change(v, 100, 200);
	vlan_change(v, 200, 0);
}

/* Frames from the wire (source the partner's MAC) now in the guest's ring. */
static int rx_from_wire(struct vmm *v, int *tagged, __u16 vid)
{
	int got = 0;
	__u32 len;
	__u8 *f;

	*tagged = 0;
	while ((f = rx_next(v, &len, 500))) {
		if (len < 18 || memcmp(f + ETH_ALEN, v->wire_mac, ETH_ALEN))
			continue;
		got++;
		*tagged += f[12] == 0x81 && f[13] == 0x00 &&
			   ((f[14] << 8 | f[15]) & 0xfff) == vid;
	}
	return got;
}

/*
 * An access port (no VLAN, trunk 0) receives untagged frames only: VLAN
 * 200 frames for its MAC are dropped and counted, a VLAN 200 broadcast
 * does not come; untagged frames still do.
 */
static void case_access_rx(struct vmm *v)
{
	static const __u8 bcast[ETH_ALEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	__u8 sent[ETH_ZLEN];
	int k, got, tagged;
	__u64 drops;

	if (v->vlan) {
		check(false, "access-rx: needs a queue without a VLAN");
		return;
	}
	guest_start(v, BUF_LEN);
	drops = counter(v, VMQ_CNT_RX_DROPS);
	for (k = 0; k < 3; k++) {
		make_frame(v, sent, v->mac, v->wire_mac, ETH_ZLEN);
		wire_send(v, sent, ETH_ZLEN, 200);
	}
	make_frame(v, sent, bcast, v->wire_mac, ETH_ZLEN);
	wire_send(v, sent, ETH_ZLEN, 200);
	got = rx_from_wire(v, &tagged, 200);
	check(!got, "access-rx: %d of the VLAN 200 frames reached the guest", got);
	counter_wait(v, VMQ_CNT_RX_DROPS, drops + 3);
	check(counter(v, VMQ_CNT_RX_DROPS) - drops == 3,
	      "access-rx: rx_drops counted %llu, want the 3 sent to its MAC",
	      (unsigned long long)(counter(v, VMQ_CNT_RX_DROPS) - drops));
	check(rx_frames(v, v->mac, 2, true) == 2,
	      "access-rx: untagged frames still arrive");
}

/* Frame pairs the access-batch case holds at the port. */
#define ACCESS_PAIRS	8

/*
 * The same access port when a burst mixes untagged frames and VLAN 200
 * ones for its MAC, and the classifier writes the burst straight into
 * guest memory: each tagged frame is kept out and counted there too.
 */
static void case_access_batch(struct vmm *v)
{
	__u8 sent[ETH_ZLEN];
	struct timespec t0;
	long long direct;
	int k, got, tagged;
	__u64 drops;

	guest_start(v, BUF_LEN);
	/* Every ring and buffer page pinned: the classifier's way in. */
	check(rx_frames(v, v->mac, 2 * NDESC, true) == 2 * NDESC,
	      "access-batch: %d frames pinned the ring and buffers", 2 * NDESC);
	drops = counter(v, VMQ_CNT_RX_DROPS);
	direct = sim_counter(v, "rx_guest_direct");
	if (direct < 0 || !sim_hold_port(v)) {
		check(false, "access-batch: vmqsim's counters and port_hold (-b)");
		return;
	}
	for (k = 0; k < ACCESS_PAIRS; k++) {
		make_frame(v, sent, v->mac, v->wire_mac, ETH_ZLEN);
		wire_send(v, sent, ETH_ZLEN, 0);
		make_frame(v, sent, v->mac, v->wire_mac, ETH_ZLEN);
		wire_send(v, sent, ETH_ZLEN, 200);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (sim_port_backlog(v) < 2 * ACCESS_PAIRS && ms_since(&t0) < 5000)
		usleep(10000);
	check(sim_port_backlog(v) == 2 * ACCESS_PAIRS,
	      "access-batch: %ld frames wait at the held port, want %d",
	      sim_port_backlog(v), 2 * ACCESS_PAIRS);
	check(sim_knob(v, "port_hold", "N") && sim_wait_backlog(v, 0, 2000),
	      "access-batch: the port let go, every frame classified");
	got = rx_from_wire(v, &tagged, 200);
	check(got == ACCESS_PAIRS && !tagged,
	      "access-batch: %d frames arrived, %d of them VLAN 200, want %d untagged",
	      got, tagged, ACCESS_PAIRS);
	check(counter(v, VMQ_CNT_RX_DROPS) - drops == ACCESS_PAIRS,
	      "access-batch: rx_drops counted %llu, want the %d tagged",
	      (unsigned long long)(counter(v, VMQ_CNT_RX_DROPS) - drops),
	      ACCESS_PAIRS);
	direct = sim_counter(v, "rx_guest_direct") - direct;
	check(direct == ACCESS_PAIRS,
	      "access-batch: %lld frames written straight into guest memory, want the %d untagged",
	      direct, ACCESS_PAIRS);
}

/*
 * A trunk port (no VLAN, trunk 1) receives VLAN 200 frames for its MAC
 * and broadcasts of VLAN 200, tags in band.
 */
static void case_trunk_rx(struct vmm *v)
{
	static const __u8 bcast[ETH_ALEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	__u8 sent[ETH_ZLEN];
	int got, tagged;

	guest_start(v, BUF_LEN);
	make_frame(v, sent, v->mac, v->wire_mac, ETH_ZLEN);
	wire_send(v, sent, ETH_ZLEN, 200);
	make_frame(v, sent, bcast, v->wire_mac, ETH_ZLEN);
	wire_send(v, sent, ETH_ZLEN, 200);
	got = rx_from_wire(v, &tagged, 200);
	check(got == 2 && tagged == 2,
	      "trunk-rx: %d frames arrived, %d with their VLAN 200 tag in band, want 2",
	      got, tagged);
}

static __u32 sysfs_u32(const char *path)
{
	unsigned int val = 0;
	FILE *f = fopen(path, "r");

	if (!f || fscanf(f, "%u", &val) != 1)
		die(path);
	fclose(f);
	return val;
}

/*
 * MAX_FRAME is the NIC's current MTU plus a header with one VLAN tag,
 * and the device writes nothing longer: with buffers of exactly
 * MAX_FRAME, a tagged frame of MAX_FRAME fits, longer ones from a wire
 * of a larger MTU are dropped and counted; the queue goes on.
 */
static void case_rx_toolong(struct vmm *v)
{
	__u32 mtu = sysfs_u32("/sys/class/net/vmq0/mtu");
	__u8 sent[BIG_FRAME], *got;
	__u32 len, max;
	__u64 drops;

	v->max_frame = rd(v, VMQ_REG_MAX_FRAME);
	max = v->max_frame;
	check(max == mtu + 18, "rx-toolong: MAX_FRAME %u with MTU %u (want %u)",
	      max, mtu, mtu + 18);
	if (max > BUF_LEN || v->vlan) {
		check(false, "rx-toolong: needs MAX_FRAME <= %u and no VLAN",
		      BUF_LEN);
		return;
	}
	guest_start(v, max);
	drops = counter(v, VMQ_CNT_RX_DROPS);
	/* Tagged on the wire, tag kept in band (a trunk): MAX_FRAME bytes. */
	make_frame(v, sent, v->mac, v->wire_mac, max - 4);
	wire_send(v, sent, max - 4, 7);
	while ((got = rx_next(v, &len, v->timeout)) &&
	       (len < 16 || memcmp(got + ETH_ALEN, v->wire_mac, ETH_ALEN)))
		;
	check(got && len == max && got[12] == 0x81 && got[15] == 7,
	      "rx-toolong: a frame of MAX_FRAME with a VLAN 7 tag arrives (%u bytes)",
	      got ? len : 0);
	make_frame(v, sent, v->mac, v->wire_mac, max - 3);
	wire_send(v, sent, max - 3, 7);
	make_frame(v, sent, v->mac, v->wire_mac, max + 1);
	wire_send(v, sent, max + 1, 0);
	make_frame(v, sent, v->mac, v->wire_mac, 3000);
	wire_send(v, sent, 3000, 0);
	got = rx_next_test(v, &len, 500);
	check(!got, "rx-toolong: no frame longer than MAX_FRAME delivered (got %u bytes)",
	      got ? len : 0);
	counter_wait(v, VMQ_CNT_RX_DROPS, drops + 3);
	check(counter(v, VMQ_CNT_RX_DROPS) - drops == 3,
	      "rx-toolong: rx_drops counted %llu of 3",
	      (unsigned long long)(counter(v, VMQ_CNT_RX_DROPS) - drops));
	check(rd(v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED &&
	      rx_frames(v, v->mac, 2, true) == 2,
	      "rx-toolong: queue still works");
}

/*
 * Transmit completions while the NIC goes down and up (the shell does
 * that): every completion interrupt arrives, whether the vector or the
 * engine itself delivers it.
 */
static void case_irq_down(struct vmm *v)
{
	struct timespec t0, t;
	int k = 0, lost = 0;
	__u32 i;

	guest_start(v, BUF_LEN);
	drain_irq(v, VMQ_VFIO_IRQ_TX);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		make_frame(v, tx_buf(v, 0), v->wire_mac, v->mac, 60);
		i = tx_post(v, BUF_IOVA + TX_BUFS, 60);
		if (!wait_irq(v, VMQ_VFIO_IRQ_TX, 2000)) {
			lost++;
			printf("frame %d: %s, no interrupt\n", k,
			       tx_desc(v, i)->flags & VMQ_DESC_F_DONE ?
			       "completed" : "not completed");
			break;
		}
		k++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 4);
	check(!lost && k > 10, "irq-down: %d transmit completions, %d interrupts lost",
	      k, lost);
}

/*
 * Stop and start the queue over and over under a broadcast flood from
 * the wire: the classifier never uses a stopped queue's engine.  What
 * this proves the kernel log says (no slab poison, no oops).
 */
static void case_stop_race(struct vmm *v)
{
	static const __u8 bcast[ETH_ALEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct timespec t0, t;
	__u8 sent[ETH_FRAME_LEN];
	int n = 0, strays = 0, bad = 0, status;
	__u8 *got;
	__u32 len;
	pid_t pid;

	/* Made here, so that the checks' frames have sequence numbers of
	 * their own.
	 */
	make_frame(v, sent, bcast, v->wire_mac, 60);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		for (;;)
			send(v->wire_sock, sent, 60, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		/* Each start posts fresh buffers: the engine is busy at stop. */
		guest_start(v, BUF_LEN);
		usleep(1000);
		n++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 3);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	guest_start(v, BUF_LEN);
	/*
	 * The flood's last frames, sent before the kill, may still be on
	 * their way (the wire's qdisc, the port's FIFO) and reach the new
	 * queue: they are test frames too, to broadcast.  Let them land.
	 */
	while ((got = rx_next_test(v, &len, 200))) {
		strays++;
		bad += len != 60 || memcmp(got, sent, 60);
	}
	check(!bad, "stop-race: the flood's %d frames after the last start intact (%d not)",
	      strays, bad);
	check(rx_frames(v, v->mac, 2, true) == 2,
	      "stop-race: %d stops under a broadcast flood, queue still works", n);
}

static void hexdump(const __u8 *p, __u32 len, __u64 iova)
{
	__u32 i;

	for (i = 0; i < len; i++) {
		if (!(i % 16))
			printf("  %08llx:", (unsigned long long)(iova + i));
		printf(" %02x", p[i]);
		if (i % 16 == 15 || i == len - 1)
			printf("\n");
	}
}

static void case_demo(struct vmm *v)
{
	__u8 sent[ETH_FRAME_LEN];
	__u32 len, idx;
	__u8 *got;

	guest_start(v, BUF_LEN);
	make_frame(v, sent, v->mac, v->wire_mac, 64);
	snprintf((char *)sent + 18, 46, "%s", "hello, guest memory");
	wire_send(v, sent, 64, v->vlan);
	idx = v->rx_head;
	got = rx_next_test(v, &len, v->timeout);
	if (!got) {
		check(false, "demo: no frame");
		return;
	}
	printf("frame of %u bytes written by the NIC into guest buffer %u at IOVA %#llx:\n",
	       len, idx, (unsigned long long)rx_buf_iova(idx));
	hexdump(got, len, rx_buf_iova(idx));
	check(!memcmp(got, sent, len), "demo: bytes match what the partner sent");
}

static const struct {
	const char *name;
	void (*fn)(struct vmm *v);
	bool wire;
} cases[] = {
	{ "info", case_info, false },
	{ "unused", case_unused, true },
	{ "rx", case_rx, true },
	{ "bcast", case_bcast, true },
	{ "tx", case_tx, true },
	{ "spoof", case_spoof, true },
	{ "vlan", case_vlan, true },
	{ "isolate", case_isolate, true },
	{ "recvfrom", case_recvfrom, false },
	{ "recvnone", case_recvnone, false },
	{ "sendto", case_sendto, true },
	{ "sendto-refused", case_sendto_refused, true },
	{ "storm", case_storm, true },
	{ "batch", case_batch, true },
	{ "txloop", case_txloop, true },
	{ "fifo", case_fifo, true },
	{ "bad-desc", case_bad_desc, true },
	{ "bad-txlen", case_bad_txlen, true },
	{ "bad-rxlen", case_bad_rxlen, true },
	{ "bad-tail", case_bad_tail, true },
	{ "bad-ring", case_bad_ring, true },
	{ "unmap", case_unmap, true },
	{ "unmap-edge", case_unmap_edge, true },
	{ "reset", case_reset, true },
	{ "toggle", case_toggle, true },
	{ "forktoggle", case_forktoggle, true },
	{ "exitjoin", case_exitjoin, true },
	{ "pin", case_pin, true },
	{ "nopin", case_nopin, true },
	{ "unmap-storm", case_unmap_storm, true },
	{ "moderation", case_moderation, true },
	{ "hold", case_hold, false },
	{ "stuck", case_stuck, true },
	{ "stuck-enable", case_stuck_enable, false },
	{ "stuck-exit", case_stuck_exit, true },
	{ "stuck-map", case_stuck_map, true },
	{ "stuck-two", case_stuck_two, true },
	{ "deaf", case_deaf, false },
	{ "demo", case_demo, true },
	{ "nomac", case_nomac, true },
	{ "vlan-change", case_vlan_change, true },
	{ "rx-toolong", case_rx_toolong, true },
	{ "irq-down", case_irq_down, true },
	{ "stop-race", case_stop_race, true },
	{ "stop-count", case_stop_count, true },
	{ "access-rx", case_access_rx, true },
	{ "access-batch", case_access_batch, true },
	{ "trunk-rx", case_trunk_rx, true },
};

int main(int argc, char **argv)
{
	struct vmm v = { .count = 12, .timeout = 3000 };
	const char *wire = "vmq0w";
	bool wire_open_done = false;
	size_t c;
	int opt, i;

	while ((opt = getopt(argc, argv, "w:p:n:t:V:b:u:")) != -1) {
		switch (opt) {
		case 'w':
			wire = optarg;
			break;
		case 'p':
			if (parse_mac(optarg, v.peer_mac))
				return 2;
			v.have_peer = true;
			break;
		case 'n':
			v.count = atoi(optarg);
			break;
		case 't':
			v.timeout = atoi(optarg) * 1000;
			break;
		case 'V':
			v.tag = atoi(optarg);
			break;
		case 'b':
			v.backlog = optarg;
			break;
		case 'u':
			second_uuid = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s %s\n", argv[0],
				"[-w WIRE] [-p PEER_MAC] [-n N] [-t S] [-V VID] [-b BACKLOG] [-u UUID2] UUID CASE...");
			return 2;
		}
	}
	if (optind + 2 > argc)
		return 2;
	v.uuid = argv[optind++];
	signal(SIGUSR1, on_sigusr1);
	vmm_open(&v);
	for (i = optind; i < argc; i++) {
		for (c = 0; c < ARRAY_SIZE(cases); c++)
			if (!strcmp(argv[i], cases[c].name))
				break;
		if (c == ARRAY_SIZE(cases)) {
			fprintf(stderr, "unknown case %s\n", argv[i]);
			return 2;
		}
		if (cases[c].wire && !wire_open_done) {
			wire_open(&v, wire);
			wire_open_done = true;
		}
		cases[c].fn(&v);
	}
	printf("%s: %d failure(s)\n", v.uuid, failures);
	fflush(stdout);
	/* Give the device back before exiting: see vmm_close(). */
	vmm_close(&v);
	return failures ? 1 : 0;
}
