// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_migrate: VFIO live migration of a vmq_vfio queue pair, tested from
 * a VMM's side (Documentation/networking/vmq.rst, "Live migration"; the
 * stream of include/uapi/linux/vmq.h).
 *
 *   vmq_migrate [-w WIRE] [-b BACKLOG0] [-B BACKLOG1] [-x SPARE_UUID]
 *               [-r ROUNDS] [-t SECS] UUID0 UUID1 CASE...
 *
 * Two hosts in one process: UUID0 is an mdev on NIC vmq0, UUID1 one on
 * NIC vmq1, both with the guest's MAC (the admin's, set beforehand), and
 * each VMM opening one has a VFIO container and guest RAM of its own.
 * WIRE (default br0) is a bridge over both NICs' link partners, the
 * switch between the hosts: a numbered stream of frames to the guest's
 * MAC leaves from there and reaches whichever NIC the bridge thinks has
 * the MAC.  BACKLOG0 and BACKLOG1 are the NICs' debugfs "backlog" (frames
 * the device holds), SPARE_UUID another mdev on vmq0 with no MAC.
 *
 * CASE:
 *  probe        whether the mdev offers VFIO migration (exit 4 if not)
 *  migrate      one migration vmq0 -> vmq1 under traffic, with dirty page
 *               tracking, every frame accounted for
 *  bad-streams  streams a destination must refuse, and how
 *  round-trips  ROUNDS (default 50) migrations back and forth
 *  rollback     STOP (and STOP_COPY) back to RUNNING on the source
 *  precopy      PRE_COPY where the kernel has it (6.2 and later)
 *  bench        ROUNDS timed migrations under a steady stream: BENCH
 *               lines of downtime and frames lost (scripts/guest/bench.sh)
 *
 * Prints one PASS or FAIL line per check; exits 0 if all passed, 1
 * otherwise, 4 if VFIO or VFIO migration is not there (precopy: if the
 * kernel has no pre-copy).
 */

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <linux/vfio.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "vmq_vfio_lib.h"

#define ETH_P_RARP_	0x8035
#define MAX_SEQ		4096	/* frames in the numbered stream, at most */
#define PAGE		4096ULL	/* x86's, type1's dirty bitmap granule */
#define RING_PAGES	(RING_SIZE / PAGE)
#define BUF_PAGES	(BUF_SIZE / PAGE)
#define REC_UNKNOWN	0x7ffe	/* a record type no reader knows */

/* The hosts: an mdev on each NIC and that NIC's debugfs backlog. */
static struct {
	const char *uuid, *backlog;
} hosts[2];

static struct vmm wire;		/* the sender on the bridge; its seq */
static __u8 guest_mac[ETH_ALEN];
static const char *spare_uuid;
static int timeout_ms = 3000;
static int rounds = 50;
static __u8 delivered[MAX_SEQ + 1];	/* times each frame reached a guest */
static __u64 consumed;		/* frames guests took off their rings */
static __u8 *stream, *scratch;	/* VMQ_MIG_MAX_SIZE bytes each */
static int kmsg_fd = -1;

/* A check that prints only when it fails. */
static bool expect(bool ok, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (ok)
		return true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	check(false, "%s", msg);
	return false;
}

/* --- the numbered stream -------------------------------------------------- */

static __u32 frame_len(__u32 seq)
{
	return test_len(seq);
}

/* Frame @seq of the stream, as sent and as the guest must see it. */
static void frame_build(__u8 *buf, __u32 seq)
{
	__u32 len = frame_len(seq), i;

	memcpy(buf, guest_mac, ETH_ALEN);
	memcpy(buf + ETH_ALEN, wire.wire_mac, ETH_ALEN);
	buf[12] = TEST_ETHERTYPE >> 8;
	buf[13] = TEST_ETHERTYPE & 0xff;
	memcpy(buf + 14, &seq, 4);
	for (i = 18; i < len; i++)
		buf[i] = (__u8)(seq * 7 + i);
}

/* Send the next @n frames of the stream; the number of the first. */
static __u32 send_frames(int n)
{
	__u32 first = wire.seq + 1, seq;
	__u8 buf[ETH_FRAME_LEN];

	while (n--) {
		seq = ++wire.seq;
		if (seq > MAX_SEQ) {
			printf("FAIL: more than %d frames\n", MAX_SEQ);
			exit(1);
		}
		frame_build(buf, seq);
		wire_send(&wire, buf, frame_len(seq), 0);
	}
	return first;
}

/* Does frame @f of @len bytes match frame @seq of the stream? */
static bool frame_is(const __u8 *f, __u32 len, __u32 seq)
{
	__u8 want[ETH_FRAME_LEN];

	frame_build(want, seq);
	return len == frame_len(seq) && !memcmp(f, want, len);
}

/* The number of test frame @f, 0 for other frames; damage is a failure. */
static __u32 frame_seq(const __u8 *f, __u32 len)
{
	__u32 seq;

	if (len < 18 || f[12] != TEST_ETHERTYPE >> 8 ||
	    f[13] != (TEST_ETHERTYPE & 0xff))
		return 0;
	memcpy(&seq, f + 14, 4);
	if (!expect(seq && seq <= wire.seq, "a frame numbered %u, never sent",
		    seq))
		return 0;
	if (!expect(frame_is(f, len, seq),
		    "frame %u: %u bytes (want %u), or its bytes differ", seq,
		    len, frame_len(seq)))
		return 0;
	return seq;
}

/* The guest takes its next test frame: its number, or 0 after @ms. */
static __u32 guest_rx(struct vmm *v, int ms)
{
	__u32 len, seq;
	__u8 *f;

	while ((f = rx_next(v, &len, ms))) {
		consumed++;
		seq = frame_seq(f, len);
		if (seq) {
			delivered[seq]++;
			return seq;
		}
	}
	return 0;
}

/* The guest receives frames @first .. @first + @n - 1, in that order. */
static bool guest_expect(struct vmm *v, __u32 first, int n, const char *what)
{
	__u32 seq;
	int k;

	for (k = 0; k < n; k++) {
		seq = guest_rx(v, v->timeout);
		if (!expect(seq == first + k, "%s: got frame %u, want %u (%d of %d)",
			    what, seq, first + k, k + 1, n))
			return false;
	}
	return true;
}

/* Frames of [@first, @last] that no guest received. */
static int lost(__u32 first, __u32 last)
{
	int n = 0;

	for (; first <= last; first++)
		n += !delivered[first];
	return n;
}

/* No frame of the stream reached a guest twice. */
static void no_duplicates(const char *name)
{
	__u32 seq, twice = 0, first = 0;

	for (seq = 1; seq <= wire.seq; seq++)
		if (delivered[seq] > 1 && !twice++)
			first = seq;
	check(!twice, "%s: %u of %u frames delivered more than once (first: %u)",
	      name, twice, wire.seq, first);
}

/* --- the guest ------------------------------------------------------------ */

/* Open host @h's mdev as a new VMM on the shared wire. */
static void host_open(struct vmm *v, int h)
{
	static const __u8 zero[ETH_ALEN];

	memset(v, 0, sizeof(*v));
	v->uuid = hosts[h].uuid;
	v->backlog = hosts[h].backlog;
	v->timeout = timeout_ms;
	v->wire_sock = wire.wire_sock;
	v->wire_ifindex = wire.wire_ifindex;
	memcpy(v->wire_mac, wire.wire_mac, ETH_ALEN);
	vmm_open(v);
	if (!memcmp(guest_mac, zero, ETH_ALEN))
		memcpy(guest_mac, v->mac, ETH_ALEN);
	if (memcmp(guest_mac, v->mac, ETH_ALEN)) {
		printf("FAIL: %s has not the guest's MAC\n", v->uuid);
		exit(1);
	}
}

/* Rings set up and enabled with only @posted receive buffers posted. */
static void guest_start_posted(struct vmm *v, __u32 posted)
{
	guest_setup(v, BUF_LEN);
	v->rx_tail = posted;
	wr(v, VMQ_REG_RX_TAIL, posted);
	wr(v, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE);
}

/* Wait until the device completed receive descriptors up to @head. */
static bool rx_wait_head(struct vmm *v, __u32 head)
{
	struct vmq_desc *d = rx_desc(v, (head + NDESC - 1) % NDESC);
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (rd(v, VMQ_REG_RX_HEAD) != head ||
	       !(__atomic_load_n(&d->flags, __ATOMIC_ACQUIRE) &
		 VMQ_DESC_F_DONE)) {
		if (ms_since(&t0) > v->timeout)
			return false;
		usleep(1000);
	}
	return true;
}

/* Wait until the NIC classified every frame sent to it. */
static bool port_wait_empty(struct vmm *v)
{
	struct timespec t0;
	long n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((n = sim_port_backlog(v)) != 0) {
		if (n < 0 || ms_since(&t0) > v->timeout)
			return false;
		usleep(1000);
	}
	return true;
}

/* Wait until register @reg reads @val. */
static bool reg_wait(struct vmm *v, __u32 reg, __u32 val)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (rd(v, reg) != val) {
		if (ms_since(&t0) > v->timeout)
			return false;
		usleep(1000);
	}
	return true;
}

/*
 * The guest's announce, a RARP from its MAC as QEMU sends after a
 * migration: true once the bridge passed it up to the wire's socket, by
 * which time it has learned which port the MAC is behind.
 */
static bool announce(struct vmm *v)
{
	struct pollfd pfd = { .fd = wire.wire_sock, .events = POLLIN };
	__u32 i = v->tx_tail, len = ETH_ZLEN;
	__u8 *f = tx_buf(v, i), got[ETH_FRAME_LEN + 8];
	struct sockaddr_ll from;
	struct timespec t0;
	socklen_t flen;
	__u16 flags;
	ssize_t n;
	bool done;

	memset(f, 0, len);
	memset(f, 0xff, ETH_ALEN);
	memcpy(f + ETH_ALEN, v->mac, ETH_ALEN);
	f[12] = ETH_P_RARP_ >> 8;
	f[13] = ETH_P_RARP_ & 0xff;
	f[15] = 1;			/* Ethernet */
	f[16] = 0x08;			/* IPv4 */
	f[18] = ETH_ALEN;
	f[19] = 4;
	f[21] = 3;			/* reverse request */
	memcpy(f + 22, v->mac, ETH_ALEN);
	memcpy(f + 32, v->mac, ETH_ALEN);
	wire_drain(&wire);
	tx_post(v, BUF_IOVA + TX_BUFS + (__u64)i * BUF_LEN, len);
	done = tx_wait_done(v, i, v->timeout);
	flags = tx_desc(v, i)->flags;
	if (!expect(done && !(flags & VMQ_DESC_F_ERR),
		    "%s: RARP: transmit flags %#x", v->uuid, flags))
		return false;
	v->tx_head = v->tx_tail;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ms_since(&t0) < v->timeout) {
		flen = sizeof(from);
		n = recvfrom(wire.wire_sock, got, sizeof(got), 0,
			     (void *)&from, &flen);
		if (n < 0) {
			poll(&pfd, 1, 100);
			continue;
		}
		if (from.sll_pkttype != PACKET_OUTGOING && n >= 14 &&
		    got[12] == ETH_P_RARP_ >> 8 &&
		    got[13] == (ETH_P_RARP_ & 0xff) &&
		    !memcmp(got + ETH_ALEN, v->mac, ETH_ALEN))
			return true;
	}
	return expect(false, "%s: the RARP never reached the bridge",
		      v->uuid);
}

/* A copy of a VMM's guest memory. */
struct snap {
	__u8 *ring, *buf;
};

static void snap_take(struct vmm *v, struct snap *s)
{
	s->ring = malloc(RING_SIZE);
	s->buf = malloc(BUF_SIZE);
	if (!s->ring || !s->buf)
		die("malloc");
	memcpy(s->ring, v->ring_mem, RING_SIZE);
	memcpy(s->buf, v->buf_mem, BUF_SIZE);
}

static bool snap_same(struct vmm *v, const struct snap *s)
{
	return !memcmp(s->ring, v->ring_mem, RING_SIZE) &&
	       !memcmp(s->buf, v->buf_mem, BUF_SIZE);
}

static void snap_free(struct snap *s)
{
	free(s->ring);
	free(s->buf);
}

/* What the guest driver knows (its vCPUs' state, migrated with it). */
static void guest_state_copy(struct vmm *to, const struct vmm *from)
{
	to->rx_head = from->rx_head;
	to->rx_tail = from->rx_tail;
	to->tx_head = from->tx_head;
	to->tx_tail = from->tx_tail;
}

/* Guest RAM the guest uses: rings, receive and transmit buffers. */
static void guest_ram_copy(struct vmm *to, const struct vmm *from)
{
	memcpy(to->ring_mem, from->ring_mem, RING_SIZE);
	memcpy(to->buf_mem + RX_BUFS, from->buf_mem + RX_BUFS,
	       NDESC * BUF_LEN);
	memcpy(to->buf_mem + TX_BUFS, from->buf_mem + TX_BUFS,
	       NDESC * BUF_LEN);
}

/* --- migration steps ------------------------------------------------------ */

/* Move @v to @state (its data fd in *@fd); false, a failure, if refused. */
static bool mig_to(struct vmm *v, __u32 state, int *fd, const char *what)
{
	__u32 now = ~0U;
	int err;

	err = mig_set(v, state, fd);
	if (!expect(!err, "%s: %s to %s refused: %s", what, v->uuid,
		    mig_state_name(state), strerror(-err)))
		return false;
	mig_get(v, &now);
	return expect(now == state, "%s: %s in %s, want %s", what, v->uuid,
		      mig_state_name(now), mig_state_name(state));
}

/* 6.2 and later have pre-copy and VFIO_DEVICE_FEATURE_MIG_DATA_SIZE. */
static bool kernel_6_2(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return true;
	return major > 6 || (major == 6 && minor >= 2);
}

/* VFIO migration offered as the contract says, or exit 4. */
static void require_migration(struct vmm *v)
{
	__u64 flags = 0, want = VFIO_MIGRATION_STOP_COPY;
	__u32 state = ~0U;
	int err;

	if (kernel_6_2())
		want |= MIG_PRE_COPY;

	err = mig_flags(v, &flags);
	if (err) {
		printf("SKIP: %s offers no VFIO migration (VFIO_DEVICE_FEATURE_MIGRATION: %s)\n",
		       v->uuid, strerror(-err));
		exit(KSFT_SKIP);
	}
	err = mig_get(v, &state);
	expect(flags == want && !err && state == VFIO_DEVICE_STATE_RUNNING,
	       "%s: migration flags %#llx (want %#llx), state %s", v->uuid,
	       (unsigned long long)flags, (unsigned long long)want,
	       err ? strerror(-err) : mig_state_name(state));
}

/* The kernel log from here on (/dev/kmsg). */
static void kmsg_skip(void)
{
	if (kmsg_fd < 0)
		kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
}

/* A kernel log line since kmsg_skip() that names @uuid, in @line. */
static bool kmsg_find(const char *uuid, char *line, size_t size)
{
	char rec[2048], *msg, *nl;
	bool found = false;
	ssize_t n;

	snprintf(line, size, "none");
	while (kmsg_fd >= 0) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten meanwhile */
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		if (!found && strstr(msg, uuid)) {
			snprintf(line, size, "%.200s", msg);
			found = true;
		}
	}
	return found;
}

/* A data fd used the wrong way: the VFS refuses it (read-only/write-only). */
static bool wrong_way(ssize_t n, int err)
{
	return n < 0 && err == EBADF;
}

/* --- the stream ----------------------------------------------------------- */

struct stream_want {
	struct vmm *v;			/* the source */
	__u32 rx_head, tx_head;		/* its heads at STOP */
	__u64 cnt[VMQ_CNT_MAX];		/* its counters at STOP */
	__u32 frame, frames;		/* the frames waiting in it */
};

static bool stream_device_ok(const char *name, const struct mig_rec *r,
			     struct vmm *v)
{
	struct vmq_mig_device d;

	if (!expect(r->len == sizeof(d), "%s: DEVICE of %u bytes", name,
		    r->len))
		return false;
	memcpy(&d, r->data, sizeof(d));
	/* A single queue pair's QUEUES: 1, or 0 as older devices wrote. */
	return expect(le32toh(d.features) == rd(v, VMQ_REG_FEATURES) &&
		      le32toh(d.flags) == VMQ_MIG_DEV_F_SPOOFCHK &&
		      !memcmp(d.mac, v->mac, ETH_ALEN) &&
		      le16toh(d.vlan) == v->vlan && le32toh(d.queues) <= 1,
		      "%s: DEVICE features %#x flags %#x vlan %u queues %u, or not the admin's MAC",
		      name, le32toh(d.features), le32toh(d.flags),
		      le16toh(d.vlan), le32toh(d.queues));
}

static bool stream_queue_ok(const char *name, const struct mig_rec *r,
			    const struct stream_want *w)
{
	struct vmq_queue_state q;

	if (!expect(r->len == sizeof(q), "%s: QUEUE of %u bytes", name,
		    r->len))
		return false;
	memcpy(&q, r->data, sizeof(q));
	le_queue(&q);
	return expect(q.version == VMQ_STATE_VERSION && q.size == sizeof(q) &&
		      q.flags == VMQ_STATE_F_ENABLED && !q.error &&
		      q.rx.base == RING_IOVA + RX_RING && q.rx.size == NDESC &&
		      q.rx.head == w->rx_head && q.rx.tail == w->v->rx_tail &&
		      q.tx.base == RING_IOVA + TX_RING && q.tx.size == NDESC &&
		      q.tx.head == w->tx_head && q.tx.tail == w->v->tx_tail,
		      "%s: QUEUE v%u %uB flags %#x err %u rx %#llx/%u %u..%u tx %#llx/%u %u..%u",
		      name, q.version, q.size, q.flags, q.error,
		      (unsigned long long)q.rx.base, q.rx.size, q.rx.head,
		      q.rx.tail, (unsigned long long)q.tx.base, q.tx.size,
		      q.tx.head, q.tx.tail) ||
	       expect(false, "%s: want rx %u..%u tx %u..%u", name, w->rx_head,
		      w->v->rx_tail, w->tx_head, w->v->tx_tail);
}

static bool stream_counters_ok(const char *name, const struct mig_rec *r,
			       const struct stream_want *w)
{
	__u64 val;
	int i;

	/* The counters before DMA_PINS: the DMA ones are the host's. */
	if (!expect(r->len == 8 * VMQ_CNT_DMA_PINS,
		    "%s: COUNTERS of %u bytes, want %d values", name,
		    r->len, VMQ_CNT_DMA_PINS))
		return false;
	for (i = 0; i < (int)r->len / 8; i++) {
		memcpy(&val, r->data + 8 * i, 8);
		if (!expect(le64toh(val) == w->cnt[i],
			    "%s: counter %d is %llu, the source's %llu", name,
			    i, (unsigned long long)le64toh(val),
			    (unsigned long long)w->cnt[i]))
			return false;
	}
	return true;
}

/*
 * Stream @s of @len bytes as the contract has it: the header, DEVICE
 * first, one QUEUE, the COUNTERS, the waiting frames in order, END last;
 * each record's content what the source was at STOP.
 */
static void stream_check(const char *name, const __u8 *s, ssize_t len,
			 const struct stream_want *w)
{
	bool dev = false, queue = false, cnt = false, end = false;
	bool order = true, ok = true, more;
	struct vmq_mig_header h = { 0 };
	__u32 frames = 0, recs = 0;
	struct mig_rec r;

	if (len >= (ssize_t)sizeof(h))
		memcpy(&h, s, sizeof(h));
	check(len >= (ssize_t)sizeof(h) && le32toh(h.magic) == VMQ_MIG_MAGIC &&
	      le32toh(h.version) == VMQ_MIG_VERSION &&
	      le32toh(h.hdr_size) == sizeof(h) && le64toh(h.size) == (__u64)len,
	      "%s: header: magic %#x version %u hdr_size %u size %llu, %zd bytes read",
	      name, le32toh(h.magic), le32toh(h.version), le32toh(h.hdr_size),
	      (unsigned long long)le64toh(h.size), len);
	if (len < (ssize_t)sizeof(h))
		return;
	check(le32toh(h.crc) == mig_crc(s, len), "%s: CRC-32 %#x, computed %#x",
	      name, le32toh(h.crc), mig_crc(s, len));
	for (more = mig_rec_first(s, len, &r); more && !end;
	     more = mig_rec_next(s, len, &r), recs++) {
		switch (r.type) {
		case VMQ_MIG_REC_DEVICE:
			order &= !recs;
			dev = true;
			ok &= stream_device_ok(name, &r, w->v);
			break;
		case VMQ_MIG_REC_QUEUE:
			order &= dev && !queue;
			queue = true;
			ok &= stream_queue_ok(name, &r, w);
			break;
		case VMQ_MIG_REC_COUNTERS:
			order &= dev && !cnt;
			cnt = true;
			ok &= stream_counters_ok(name, &r, w);
			break;
		case VMQ_MIG_REC_FRAME:
			order &= dev;
			ok &= expect(frames < w->frames &&
				     frame_is(r.data, r.len, w->frame + frames),
				     "%s: FRAME record %u (%u bytes) is not frame %u",
				     name, frames, r.len, w->frame + frames);
			frames++;
			break;
		case VMQ_MIG_REC_END:
			end = true;
			order &= !r.len && r.next == (size_t)len;
			break;
		default:
			order = expect(false, "%s: a record of type %u", name,
				       r.type);
		}
	}
	check(order && dev && queue && cnt && end,
	      "%s: %u records: DEVICE first, QUEUE and COUNTERS once, END last and at the end",
	      name, recs);
	check(ok && frames == w->frames,
	      "%s: records hold the source's state and its %u waiting frames (found %u)",
	      name, w->frames, frames);
}

/* The source's heads and counters at STOP, for stream_check(). */
static void stream_want_take(struct stream_want *w, struct vmm *v,
			     __u32 frame, __u32 frames)
{
	int i;

	w->v = v;
	w->rx_head = rd(v, VMQ_REG_RX_HEAD);
	w->tx_head = rd(v, VMQ_REG_TX_HEAD);
	for (i = 0; i < VMQ_CNT_MAX; i++)
		w->cnt[i] = counter(v, i);
	w->frame = frame;
	w->frames = frames;
}

/* Counters the stream carries to the destination, not DMA_*. */
static bool counter_moves(int i)
{
	return i != VMQ_CNT_DMA_PINS && i != VMQ_CNT_DMA_UNPINS &&
	       i != VMQ_CNT_DMA_SLOW;
}

/* --- cases ---------------------------------------------------------------- */

static void case_probe(void)
{
	struct vmm v;

	host_open(&v, 0);
	require_migration(&v);
	check(true, "probe: %s offers VFIO migration (STOP_COPY)", v.uuid);
	vmm_close(&v);
}

/* Mark the pages of guest RAM dirty in @bits that hold [@off, @off + @len). */
static bool pages_dirty(const __u64 *bits, __u64 off, __u64 len)
{
	__u64 p;

	for (p = off / PAGE; p <= (off + len - 1) / PAGE; p++)
		if (!bit_test(bits, p))
			return false;
	return true;
}

/* Copy the pages @bits marks from @from's mapping to @to's; how many. */
static int pages_copy(__u8 *to, const __u8 *from, const __u64 *bits,
		      __u64 pages)
{
	__u64 p;
	int n = 0;

	for (p = 0; p < pages; p++)
		if (bit_test(bits, p)) {
			memcpy(to + p * PAGE, from + p * PAGE, PAGE);
			n++;
		}
	return n;
}

/*
 * One migration vmq0 -> vmq1 under traffic, as a VMM does it: guest RAM
 * copied while the guest runs with dirty tracking on, then the device
 * stopped, the dirty pages copied, the stream moved, the destination
 * resumed and the guest announced.  Frames of the stream are consumed
 * by the guest (6), completed and left unread (5), waiting in the device
 * for buffers (4), sent while neither side runs (3: lost, counted), and
 * sent to the destination (4 + 3).
 */
static void case_migrate(void)
{
	static __u64 rbits[RING_PAGES / 64 + 1], bbits[BUF_PAGES / 64 + 1];
	__u32 n1, n2, n3, n4, n5, n6, n2_desc, k, idx;
	struct stream_want w;
	struct vmm src, dst;
	int fd, err, rb, bb;
	bool ok, has_size;
	__u64 size = 0;
	struct snap snap = { 0 };
	char line[256];
	ssize_t len, n;

	host_open(&src, 0);
	require_migration(&src);
	host_open(&dst, 1);
	require_migration(&dst);
	/* The destination waits in STOP for the stream, matching nothing. */
	mig_to(&dst, VFIO_DEVICE_STATE_STOP, NULL, "migrate");

	/* The guest on the source: five receive buffers posted. */
	guest_start_posted(&src, 5);
	check(tx_frames(&src, src.mac, 3, true) == 3,
	      "migrate: the guest sends from the source (the bridge learns its MAC there)");
	n1 = send_frames(6);
	check(guest_expect(&src, n1, 6, "migrate"),
	      "migrate: frames %u..%u received on the source", n1, n1 + 5);

	/* Dirty tracking on; a first copy of all guest RAM (pre-copy). */
	err = dirty_start(&src);
	check(!err, "migrate: VFIO_IOMMU_DIRTY_PAGES START: %s", strerror(-err));
	dirty_bitmap(&src, RING_IOVA, RING_SIZE, rbits);
	dirty_bitmap(&src, BUF_IOVA, BUF_SIZE, bbits);
	memcpy(dst.ring_mem, src.ring_mem, RING_SIZE);
	memcpy(dst.buf_mem, src.buf_mem, BUF_SIZE);

	/* Five frames fill the five buffers; the guest leaves them unread. */
	n2_desc = src.rx_head;
	n2 = send_frames(5);
	check(rx_wait_head(&src, (n2_desc + 5) % NDESC),
	      "migrate: frames %u..%u completed in descriptors %u..%u, unread",
	      n2, n2 + 4, n2_desc, (n2_desc + 4) % NDESC);
	/* No buffer left: four frames wait in the device. */
	n3 = send_frames(4);
	check(sim_wait_backlog(&src, 4, 300),
	      "migrate: frames %u..%u wait in the device", n3, n3 + 3);

	/* STOP: no DMA, registers readable, interrupts settable, no writes. */
	ok = mig_to(&src, VFIO_DEVICE_STATE_STOP, NULL, "migrate");
	check(ok, "migrate: source RUNNING -> STOP");
	drain_irq(&src, VMQ_VFIO_IRQ_RX);
	stream_want_take(&w, &src, n3, 4);
	check(w.rx_head == (n2_desc + 5) % NDESC &&
	      rd(&src, VMQ_REG_STATUS) != ~0U,
	      "migrate: registers read in STOP (RX_HEAD %u)", w.rx_head);
	err = set_irq_err(&src, VMQ_VFIO_IRQ_RX, src.efd[VMQ_VFIO_IRQ_RX]);
	check(!err, "migrate: VFIO_DEVICE_SET_IRQS in STOP: %s", strerror(-err));
	/* The guest posts buffers in memory; its doorbell is refused. */
	for (k = 0; k < 4; k++) {
		idx = (src.rx_tail + k) % NDESC;
		rx_post(&src, idx, rx_buf_iova(idx), BUF_LEN);
	}
	kmsg_skip();
	err = wr_err(&src, VMQ_REG_RX_TAIL, (src.rx_tail + 4) % NDESC);
	check(err == -EBUSY, "migrate: a doorbell in STOP fails: %s (want EBUSY)",
	      strerror(-err));
	err = wr_err(&src, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE);
	check(err == -EBUSY, "migrate: CONTROL written in STOP fails: %s (want EBUSY)",
	      strerror(-err));
	check(kmsg_find(src.uuid, line, sizeof(line)),
	      "migrate: the refused write is logged: %s", line);

	/* The last dirty pages: every page the device wrote, the ring's. */
	err = dirty_bitmap(&src, RING_IOVA, RING_SIZE, rbits);
	err = err ? err : dirty_bitmap(&src, BUF_IOVA, BUF_SIZE, bbits);
	ok = !err && pages_dirty(rbits, RX_RING, NDESC * sizeof(struct vmq_desc));
	for (k = 0; k < 5; k++)
		ok &= pages_dirty(bbits, RX_BUFS + (__u64)((n2_desc + k) % NDESC) *
				  BUF_LEN, frame_len(n2 + k));
	rb = pages_copy(dst.ring_mem, src.ring_mem, rbits, RING_PAGES);
	bb = pages_copy(dst.buf_mem, src.buf_mem, bbits, BUF_PAGES);
	check(ok, "migrate: dirty bitmap (%s): receive ring, buffers written (%d + %d pages)",
	      strerror(-err), rb, bb);
	snap_take(&src, &snap);

	/* Downtime: frames to the guest while neither side runs. */
	n5 = send_frames(3);
	check(port_wait_empty(&src),
	      "migrate: frames %u..%u sent while the source is stopped were taken by vmq0",
	      n5, n5 + 2);

	/* STOP_COPY: the stream. */
	ok = mig_to(&src, VFIO_DEVICE_STATE_STOP_COPY, &fd, "migrate");
	check(ok && fd >= 0, "migrate: source STOP -> STOP_COPY, data fd %d", fd);
	if (!ok || fd < 0)
		goto out;
	err = mig_data_size(&src, &size);
	has_size = !err;
	len = mig_read(fd, stream, VMQ_MIG_MAX_SIZE);
	n = read(fd, scratch, 16);
	check(len > 0 && !n, "migrate: read %zd bytes of stream, then end of file (%zd)",
	      len, n);
	if (kernel_6_2())
		check(has_size && size == (__u64)len,
		      "migrate: VFIO_DEVICE_FEATURE_MIG_DATA_SIZE %llu (%s), stream %zd",
		      (unsigned long long)size, strerror(-err), len);
	else
		printf("migrate: no VFIO_DEVICE_FEATURE_MIG_DATA_SIZE before 6.2 (%s)\n",
		       has_size ? "offered" : strerror(-err));
	n = write(fd, stream, 8);
	err = errno;
	check(wrong_way(n, err), "migrate: write to the STOP_COPY data fd fails: %s",
	      n < 0 ? strerror(err) : "written");
	stream_check("migrate: stream", stream, len, &w);
	mig_to(&src, VFIO_DEVICE_STATE_STOP, NULL, "migrate");
	n = read(fd, scratch, 16);
	err = errno;
	check(n < 0 && err == ENODEV,
	      "migrate: the STOP_COPY data fd read after STOP: %s (want ENODEV)",
	      n < 0 ? strerror(err) : "not refused");
	close(fd);
	if (len <= 0)
		goto out;

	/* The destination takes the stream, in two writes. */
	ok = mig_to(&dst, VFIO_DEVICE_STATE_RESUMING, &fd, "migrate");
	check(ok && fd >= 0, "migrate: destination STOP -> RESUMING, data fd %d", fd);
	if (!ok || fd < 0)
		goto out;
	n = read(fd, scratch, 16);
	err = errno;
	check(wrong_way(n, err), "migrate: read of the RESUMING data fd fails: %s",
	      n < 0 ? strerror(err) : "read");
	/* A VMM reads registers and re-arms interrupts while resuming. */
	check(rd(&dst, VMQ_REG_VERSION) == VMQ_VFIO_VERSION &&
	      !(rd(&dst, VMQ_REG_STATUS) & VMQ_STATUS_ENABLED),
	      "migrate: registers read in RESUMING, the queue not running");
	err = set_irq_err(&dst, VMQ_VFIO_IRQ_RX, dst.efd[VMQ_VFIO_IRQ_RX]);
	check(!err, "migrate: VFIO_DEVICE_SET_IRQS in RESUMING: %s",
	      strerror(-err));
	n = mig_write(fd, stream, 13);
	if (n == 13)
		n = mig_write(fd, stream + 13, len - 13);
	check(n == len - 13, "migrate: stream written to the destination: %s",
	      n < 0 ? strerror(-n) : "ok");
	check(mig_to(&dst, VFIO_DEVICE_STATE_STOP, NULL, "migrate"),
	      "migrate: destination RESUMING -> STOP takes the stream");
	close(fd);
	check(rd(&dst, VMQ_REG_RX_HEAD) == w.rx_head &&
	      rd(&dst, VMQ_REG_TX_HEAD) == w.tx_head &&
	      rd(&dst, VMQ_REG_RX_TAIL) == src.rx_tail &&
	      rd(&dst, VMQ_REG_TX_TAIL) == src.tx_tail,
	      "migrate: destination heads, tails %u %u %u %u, the source's %u %u %u %u",
	      rd(&dst, VMQ_REG_RX_HEAD), rd(&dst, VMQ_REG_TX_HEAD),
	      rd(&dst, VMQ_REG_RX_TAIL), rd(&dst, VMQ_REG_TX_TAIL), w.rx_head,
	      w.tx_head, src.rx_tail, src.tx_tail);
	ok = true;
	for (k = 0; k < VMQ_CNT_MAX; k++)
		ok &= !counter_moves(k) || counter(&dst, k) == w.cnt[k];
	check(ok, "migrate: destination counters are the source's (RX_PACKETS %llu, source %llu)",
	      (unsigned long long)counter(&dst, VMQ_CNT_RX_PACKETS),
	      (unsigned long long)w.cnt[VMQ_CNT_RX_PACKETS]);
	/* What the source completed is in the destination's RAM, in place. */
	ok = true;
	for (k = 0; k < 5; k++) {
		idx = (n2_desc + k) % NDESC;
		ok &= expect((rx_desc(&dst, idx)->flags & VMQ_DESC_F_DONE) &&
			     frame_is(rx_buf(&dst, idx), rx_desc(&dst, idx)->len,
				      n2 + k),
			     "migrate: destination descriptor %u: flags %#x len %u, not frame %u",
			     idx, rx_desc(&dst, idx)->flags,
			     rx_desc(&dst, idx)->len, n2 + k);
	}
	check(ok, "migrate: frames %u..%u completed on the source in descriptors %u..%u there",
	      n2, n2 + 4, n2_desc, (n2_desc + 4) % NDESC);

	/* RUNNING on the destination; the guest announces itself there. */
	guest_state_copy(&dst, &src);
	ok = mig_to(&dst, VFIO_DEVICE_STATE_RUNNING, NULL, "migrate");
	k = rd(&dst, VMQ_REG_STATUS);
	check(ok && k == VMQ_STATUS_ENABLED,
	      "migrate: destination STOP -> RUNNING, queue enabled (status %#x)",
	      k);
	ok = announce(&dst) && reg_wait(&dst, VMQ_REG_TX_HEAD, dst.tx_tail);
	k = rd(&dst, VMQ_REG_TX_HEAD);
	check(ok, "migrate: the guest announces itself from the destination (TX_HEAD %u, want %u)",
	      k, dst.tx_tail);
	n4 = send_frames(4);
	check(sim_wait_backlog(&dst, 4 + 4, 300),
	      "migrate: frames %u..%u wait in the destination behind the source's",
	      n4, n4 + 3);
	ok = guest_expect(&dst, n2, 5, "migrate: unread") &&
	     guest_expect(&dst, n3, 4, "migrate: waiting") &&
	     guest_expect(&dst, n4, 4, "migrate: new");
	check(ok, "migrate: destination: %u..%u unread, %u..%u from the source's device, %u..%u",
	      n2, n2 + 4, n3, n3 + 3, n4, n4 + 3);
	n6 = send_frames(3);
	check(guest_expect(&dst, n6, 3, "migrate: later"),
	      "migrate: frames %u..%u sent later arrive on the destination", n6,
	      n6 + 2);
	/* The counters may trail the last DONE until the batch's interrupt. */
	check(counter_wait(&dst, VMQ_CNT_RX_PACKETS,
			   w.cnt[VMQ_CNT_RX_PACKETS] + 4 + 4 + 3),
	      "migrate: destination RX_PACKETS %llu continues from the source's %llu",
	      (unsigned long long)counter(&dst, VMQ_CNT_RX_PACKETS),
	      (unsigned long long)w.cnt[VMQ_CNT_RX_PACKETS]);

	/* The stopped source wrote nothing and signalled nothing since. */
	n = read(src.efd[VMQ_VFIO_IRQ_RX], &size, sizeof(size));
	check(snap_same(&src, &snap) && rd(&src, VMQ_REG_RX_HEAD) == w.rx_head &&
	      n < 0, "migrate: the source wrote nothing to guest memory after STOP%s",
	      n < 0 ? "" : ", and raised a receive interrupt");
	printf("migrate: %d frames lost in the downtime (%u..%u sent while stopped)\n",
	       lost(1, wire.seq), n5, n5 + 2);
	no_duplicates("migrate");
	check(!dirty_stop(&src), "migrate: VFIO_IOMMU_DIRTY_PAGES STOP");
out:
	snap_free(&snap);
	vmm_close(&src);
	vmm_close(&dst);
}

/* --- bad streams ---------------------------------------------------------- */

static __u8 *good;		/* a stream the destination takes */
static ssize_t good_len;
static struct snap good_ram;	/* the source's guest RAM at STOP */
static struct vmm good_vmm;	/* the source's guest driver state */
static __u32 good_unread, good_waiting;

/*
 * The good stream: from the source with two frames completed unread and
 * one waiting in the device.
 */
static bool good_stream(void)
{
	struct vmm src;
	int fd;

	host_open(&src, 0);
	require_migration(&src);
	guest_start_posted(&src, 2);
	announce(&src);
	good_unread = send_frames(2);
	good_waiting = good_unread + 2;
	send_frames(1);
	if (!expect(rx_wait_head(&src, 2) && sim_wait_backlog(&src, 1, 300),
		    "bad-streams: the source has no frames completed and waiting") ||
	    !mig_to(&src, VFIO_DEVICE_STATE_STOP, NULL, "bad-streams") ||
	    !mig_to(&src, VFIO_DEVICE_STATE_STOP_COPY, &fd, "bad-streams"))
		return false;
	good = malloc(VMQ_MIG_MAX_SIZE);
	if (!good)
		die("malloc");
	good_len = mig_read(fd, good, VMQ_MIG_MAX_SIZE);
	close(fd);
	snap_take(&src, &good_ram);
	good_vmm = src;
	vmm_close(&src);
	return expect(good_len > 0, "bad-streams: no stream: %s",
		      strerror(-good_len));
}

/* The destination's RAM and guest state as the good stream's source left them. */
static void good_ram_put(struct vmm *d)
{
	memcpy(d->ring_mem, good_ram.ring, RING_SIZE);
	memcpy(d->buf_mem, good_ram.buf, BUF_SIZE);
	guest_state_copy(d, &good_vmm);
}

/* @d is usable: rings set up afresh, it receives a frame. */
static void usable(struct vmm *d, const char *name)
{
	__u32 state = ~0U, first;

	mig_get(d, &state);
	if (!expect(state == VFIO_DEVICE_STATE_RUNNING, "%s: device in %s",
		    name, mig_state_name(state)))
		return;
	guest_start(d, BUF_LEN);
	announce(d);
	first = send_frames(1);
	check(guest_rx(d, d->timeout) == first,
	      "%s: then the device receives a frame (%u)", name, first);
}

/* Out of ERROR with VFIO_DEVICE_RESET, to RUNNING, and usable. */
static void recover(struct vmm *d, const char *name)
{
	__u32 state = ~0U;
	int err;

	err = ioctl(d->dev, VFIO_DEVICE_RESET) ? -errno : 0;
	mig_get(d, &state);
	check(!err && state == VFIO_DEVICE_STATE_RUNNING,
	      "%s: VFIO_DEVICE_RESET (%s) -> %s", name, strerror(-err),
	      mig_state_name(state));
	usable(d, name);
}

/*
 * Destination @d takes @len bytes of @s in RESUMING.  Where they hold a
 * whole segment (@complete), the write that completes it fails with
 * @want, and so does every later one; RESUMING -> STOP fails with @want
 * in any case.  The kernel says why, and the device is in ERROR, which
 * only a reset leaves.
 */
static void refuse_at(struct vmm *d, const char *name, const __u8 *s,
		      size_t split, size_t len, int want, bool complete)
{
	__u32 state = ~0U;
	char line[256];
	ssize_t n;
	int fd, err;

	good_ram_put(d);
	if (!mig_to(d, VFIO_DEVICE_STATE_STOP, NULL, name) ||
	    !mig_to(d, VFIO_DEVICE_STATE_RESUMING, &fd, name))
		return;
	kmsg_skip();
	/* The first @split bytes in a write of their own, taken. */
	n = split ? mig_write(fd, s, split) : 0;
	check(n == (ssize_t)split, "%s: the first %zu bytes taken: %s", name,
	      split, n < 0 ? strerror(-n) : "ok");
	s += split;
	len -= split;
	n = len ? mig_write(fd, s, len) : 0;
	if (complete) {
		check(n == -want, "%s: the write refused: %s (want %s)", name,
		      n < 0 ? strerror(-n) : "written", strerror(want));
		n = write(fd, s, 1);
		err = errno;
		check(n < 0 && err == want, "%s: a later write: %s", name,
		      n < 0 ? strerror(err) : "written");
	} else {
		check(n == (ssize_t)len, "%s: %zu bytes written: %s", name, len,
		      n < 0 ? strerror(-n) : "ok");
	}
	err = mig_set(d, VFIO_DEVICE_STATE_STOP, NULL);
	check(err == -want, "%s: RESUMING -> STOP refused: %s (want %s)", name,
	      err ? strerror(-err) : "taken", strerror(want));
	mig_get(d, &state);
	err = mig_set(d, VFIO_DEVICE_STATE_RUNNING, NULL);
	check(state == VFIO_DEVICE_STATE_ERROR && err == -EINVAL,
	      "%s: device in %s, RUNNING %s", name, mig_state_name(state),
	      err ? strerror(-err) : "allowed");
	check(kmsg_find(d->uuid, line, sizeof(line)), "%s: kernel log: %s", name,
	      line);
	close(fd);
}

static void refuse(struct vmm *d, const char *name, const __u8 *s,
		   size_t len, int want, bool complete)
{
	refuse_at(d, name, s, 0, len, want, complete);
}

/* A copy of the good stream in scratch, for editing. */
static __u8 *edit(void)
{
	memcpy(scratch, good, good_len);
	return scratch;
}

/* The payload of the first record of @type in the scratch copy. */
static __u8 *edit_rec(__u16 type, struct mig_rec *r)
{
	if (!mig_rec_find(scratch, good_len, type, r)) {
		printf("FAIL: the good stream has no record of type %u\n", type);
		exit(1);
	}
	return (__u8 *)r->data;
}

/* Insert @bytes at @at of a stream of @len in scratch; the new length. */
static size_t edit_insert(size_t len, size_t at, const __u8 *bytes,
			  size_t n)
{
	memmove(scratch + at + n, scratch + at, len - at);
	memcpy(scratch + at, bytes, n);
	return len + n;
}

/* The good stream with an extra record before END. */
static size_t with_record(__u16 type, __u16 flags)
{
	static const __u8 payload[5] = { 1, 2, 3, 4, 5 };
	__u8 rec[32];
	struct mig_rec r;
	size_t n, len;

	edit();
	edit_rec(VMQ_MIG_REC_END, &r);
	n = mig_rec_put(rec, type, flags, payload, sizeof(payload));
	len = edit_insert(good_len, r.off, rec, n);
	mig_seal(scratch, len);
	return len;
}

/* The good stream with more FRAME records than a device takes. */
static size_t with_frames(__u32 frames)
{
	__u8 frame[ETH_ZLEN];
	struct mig_rec r;
	size_t len = 0;
	bool more;

	memcpy(scratch, good, sizeof(struct vmq_mig_header));
	len = sizeof(struct vmq_mig_header);
	for (more = mig_rec_first(good, good_len, &r); more;
	     more = mig_rec_next(good, good_len, &r)) {
		if (r.type == VMQ_MIG_REC_FRAME || r.type == VMQ_MIG_REC_END)
			continue;
		memcpy(scratch + len, good + r.off, r.next - r.off);
		len += r.next - r.off;
	}
	memset(frame, 0, sizeof(frame));
	memcpy(frame, guest_mac, ETH_ALEN);
	while (frames--)
		len += mig_rec_put(scratch + len, VMQ_MIG_REC_FRAME, 0, frame,
				   sizeof(frame));
	len += mig_rec_put(scratch + len, VMQ_MIG_REC_END, 0, NULL, 0);
	mig_seal(scratch, len);
	return len;
}

/* An admin setting of the destination's mdev. */
static void admin_set(struct vmm *d, const char *attr, const char *val)
{
	int err = mdev_attr_set(d->uuid, attr, val);

	expect(!err, "admin %s %s on %s: %s", attr, val, d->uuid,
	       strerror(-err));
}

/*
 * After the refusal of an admin mismatch, the admin's setting @attr
 * back to @val before the reset.
 */
static void refuse_admin(struct vmm *d, const char *name, const char *attr,
			 const char *bad, const char *val)
{
	admin_set(d, attr, bad);
	refuse(d, name, good, good_len, EADDRNOTAVAIL, true);
	admin_set(d, attr, val);
	recover(d, name);
}

/*
 * Destination @d takes @len bytes of @s, the source's RAM put in first:
 * RESUMING, then STOP.  False, a failure, if it does not.
 */
static bool take_stream(struct vmm *d, const char *name, const __u8 *s,
			size_t len)
{
	ssize_t n;
	int fd;

	good_ram_put(d);
	if (!mig_to(d, VFIO_DEVICE_STATE_STOP, NULL, name) ||
	    !mig_to(d, VFIO_DEVICE_STATE_RESUMING, &fd, name))
		return false;
	n = mig_write(fd, s, len);
	check(n == (ssize_t)len && mig_to(d, VFIO_DEVICE_STATE_STOP, NULL, name),
	      "%s: the stream taken: %s", name, n < 0 ? strerror(-n) : "ok");
	close(fd);
	return n == (ssize_t)len;
}

/*
 * After the good stream (or one the device must take as it) was taken:
 * RUNNING, the guest's frames where the source left them, and usable.
 */
static void running_on(struct vmm *d, const char *name)
{
	check(mig_to(d, VFIO_DEVICE_STATE_RUNNING, NULL, name) &&
	      guest_expect(d, good_unread, 2, name) &&
	      guest_expect(d, good_waiting, 1, name),
	      "%s: the guest runs on: frames %u, %u unread, then %u that waited",
	      name, good_unread, good_unread + 1, good_waiting);
	usable(d, name);
}

/* The good stream with an unknown OPTIONAL record: taken, and it runs. */
static void take_optional(struct vmm *d)
{
	const char *name = "bad-streams: unknown optional record";
	size_t len = with_record(REC_UNKNOWN, VMQ_MIG_REC_F_OPTIONAL);

	take_stream(d, name, scratch, len);
	running_on(d, name);
}

/* A data fd outlives its state: ENODEV once the device left RESUMING. */
static void fd_after_state(struct vmm *d)
{
	const char *name = "bad-streams: data fd after RESUMING";
	ssize_t n;
	int fd, err;

	good_ram_put(d);
	if (!mig_to(d, VFIO_DEVICE_STATE_STOP, NULL, name) ||
	    !mig_to(d, VFIO_DEVICE_STATE_RESUMING, &fd, name))
		return;
	n = read(fd, scratch, 16);
	err = errno;
	check(wrong_way(n, err), "bad-streams: read of a RESUMING data fd fails: %s",
	      n < 0 ? strerror(err) : "read");
	n = mig_write(fd, good, good_len);
	check(n == good_len && mig_to(d, VFIO_DEVICE_STATE_STOP, NULL, name),
	      "%s: the good stream taken", name);
	n = write(fd, good, 8);
	err = errno;
	check(n < 0 && err == ENODEV, "%s: write then fails: %s (want ENODEV)",
	      name, n < 0 ? strerror(err) : "written");
	close(fd);
	mig_to(d, VFIO_DEVICE_STATE_RUNNING, NULL, name);
	/* The rings set up afresh: a reset drops the frame that waited. */
	usable(d, name);
}

/* A STOP_COPY data fd takes no write; STOP_COPY -> STOP -> RUNNING. */
static void stop_copy_write(struct vmm *d)
{
	const char *name = "bad-streams: write to STOP_COPY";
	ssize_t n, len;
	int fd, err;

	if (!mig_to(d, VFIO_DEVICE_STATE_STOP, NULL, name) ||
	    !mig_to(d, VFIO_DEVICE_STATE_STOP_COPY, &fd, name))
		return;
	n = write(fd, good, 8);
	err = errno;
	len = mig_read(fd, stream, VMQ_MIG_MAX_SIZE);
	check(wrong_way(n, err) && len > 0,
	      "%s: refused: %s; the stream reads (%zd bytes)", name,
	      n < 0 ? strerror(err) : "written", len);
	close(fd);
	check(mig_to(d, VFIO_DEVICE_STATE_STOP, NULL, name) &&
	      mig_to(d, VFIO_DEVICE_STATE_RUNNING, NULL, name),
	      "%s: back to RUNNING", name);
	usable(d, name);
}

/*
 * More than VMQ_MIG_MAX_SIZE bytes: EFBIG.  A segment that says it is
 * larger, so that none of it is complete (and checked) before.
 */
static void too_big(struct vmm *d)
{
	const char *name = "bad-streams: over VMQ_MIG_MAX_SIZE";
	struct vmq_mig_header h;
	ssize_t n;
	int fd, err;

	if (!mig_to(d, VFIO_DEVICE_STATE_STOP, NULL, name) ||
	    !mig_to(d, VFIO_DEVICE_STATE_RESUMING, &fd, name))
		return;
	memset(scratch, 0, VMQ_MIG_MAX_SIZE);
	memcpy(&h, good, sizeof(h));
	h.size = htole64(VMQ_MIG_MAX_SIZE + 4096ULL);
	memcpy(scratch, &h, sizeof(h));
	n = mig_write(fd, scratch, VMQ_MIG_MAX_SIZE);
	check(n == VMQ_MIG_MAX_SIZE, "%s: %u bytes taken: %s", name,
	      VMQ_MIG_MAX_SIZE, n < 0 ? strerror(-n) : "ok");
	n = write(fd, scratch, 1);
	err = errno;
	check(n < 0 && err == EFBIG, "%s: one more byte: %s (want EFBIG)",
	      name, n < 0 ? strerror(err) : "written");
	err = mig_set(d, VFIO_DEVICE_STATE_STOP, NULL);
	check(err == -EINVAL, "%s: refused at STOP: %s (want EINVAL)",
	      name, err ? strerror(-err) : "taken");
	close(fd);
	recover(d, name);
}

/* A pre-copy segment: the good stream's DEVICE record alone. */
static size_t precopy_segment(__u8 *out)
{
	size_t len = sizeof(struct vmq_mig_header);
	struct mig_rec r;

	memcpy(out, good, len);
	if (!mig_rec_find(good, good_len, VMQ_MIG_REC_DEVICE, &r)) {
		printf("FAIL: the good stream has no DEVICE record\n");
		exit(1);
	}
	memcpy(out + len, good + r.off, r.next - r.off);
	len += r.next - r.off;
	len += mig_rec_put(out + len, VMQ_MIG_REC_END, 0, NULL, 0);
	mig_seal(out, len);
	return len;
}

/*
 * Two segments, a pre-copy one and the good stream, as a source with
 * pre-copy sends them: taken on any kernel, the first checked at once.
 */
static void take_two_segments(struct vmm *d)
{
	const char *name = "bad-streams: pre-copy segment, then the stream";
	size_t len = precopy_segment(scratch);
	ssize_t n;
	int fd;

	good_ram_put(d);
	if (!mig_to(d, VFIO_DEVICE_STATE_STOP, NULL, name) ||
	    !mig_to(d, VFIO_DEVICE_STATE_RESUMING, &fd, name))
		return;
	n = mig_write(fd, scratch, len);
	check(n == (ssize_t)len, "%s: first segment taken: %s", name,
	      n < 0 ? strerror(-n) : "ok");
	n = mig_write(fd, good, good_len);
	check(n == good_len && mig_to(d, VFIO_DEVICE_STATE_STOP, NULL, name),
	      "%s: second taken, RESUMING -> STOP", name);
	close(fd);
	running_on(d, name);
}

/*
 * A stream whose COUNTERS record has two values (a source with fewer
 * counters): taken; those two are restored, the others read 0.
 */
static void take_short_counters(struct vmm *d)
{
	const char *name = "bad-streams: a COUNTERS record of 2 values";
	__u64 want[VMQ_CNT_DMA_PINS] = { 0 };
	struct mig_rec r;
	size_t len = good_len, cut;
	bool same = true;
	__u8 *c;
	int i;

	c = edit_rec(VMQ_MIG_REC_COUNTERS, &r);
	memcpy(want, c, 2 * sizeof(__u64));
	for (i = 0; i < 2; i++)
		want[i] = le64toh(want[i]);
	/* The record's header says 16 bytes; the rest of it goes. */
	((struct vmq_mig_record *)(scratch + r.off))->len = htole32(16);
	cut = r.next - (size_t)(c - scratch) - 16;
	memmove(c + 16, c + 16 + cut, len - (size_t)(c + 16 + cut - scratch));
	len -= cut;
	mig_seal(scratch, len);
	if (!take_stream(d, name, scratch, len))
		return;
	for (i = 0; i < VMQ_CNT_DMA_PINS; i++)
		same = same && counter(d, i) == want[i];
	check(same, "%s: counters %llu %llu %llu ... (want %llu %llu 0 ...)",
	      name, (unsigned long long)counter(d, 0),
	      (unsigned long long)counter(d, 1),
	      (unsigned long long)counter(d, 2),
	      (unsigned long long)want[0], (unsigned long long)want[1]);
	check(mig_to(d, VFIO_DEVICE_STATE_RUNNING, NULL, name),
	      "%s: RUNNING", name);
	usable(d, name);
}

/* Refused streams the log-bound check makes, and vmq_vfio's bound. */
#define FLOOD_STREAMS	120
#define MIG_LOG_BURST	40
#define MIG_LOG_SECS	5

/*
 * Lines since kmsg_skip() that contain @uuid and @what; those that
 * contain @also, if given, in *@also_n.
 */
static int kmsg_count(const char *uuid, const char *what, const char *also,
		      int *also_n)
{
	char rec[2048], *msg;
	int count = 0;
	ssize_t n;

	while (kmsg_fd >= 0) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		if (strstr(msg, uuid) && strstr(msg, what))
			count++;
		if (also && strstr(msg, also))
			(*also_n)++;
	}
	return count;
}

/*
 * A VMM refusing streams in a loop does not flood the kernel log: at most
 * MIG_LOG_BURST lines per device in MIG_LOG_SECS.  The pause first lets
 * the window of the lines before run out.
 */
static void log_bound(struct vmm *d)
{
	struct vmq_mig_header h;
	struct timespec t0;
	int k, fd, lines;
	long ms, most;

	memcpy(&h, edit(), sizeof(h));
	h.magic = htole32(VMQ_MIG_MAGIC ^ 1);
	memcpy(scratch, &h, sizeof(h));
	sleep(MIG_LOG_SECS + 1);
	kmsg_skip();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = 0; k < FLOOD_STREAMS; k++) {
		if (mig_set(d, VFIO_DEVICE_STATE_STOP, NULL) ||
		    mig_set(d, VFIO_DEVICE_STATE_RESUMING, &fd))
			break;
		mig_write(fd, scratch, sizeof(h));
		close(fd);
		if (ioctl(d->dev, VFIO_DEVICE_RESET))
			break;
	}
	ms = ms_since(&t0);
	lines = kmsg_count(d->uuid, "migration stream refused", NULL, NULL);
	most = MIG_LOG_BURST * (ms / (MIG_LOG_SECS * 1000) + 1);
	check(k == FLOOD_STREAMS, "bad-streams: %d streams refused in a loop", k);
	/* Some left out: vmq_vfio refuses far more than 8 a second. */
	check(lines >= 1 && lines <= most && lines < k,
	      "bad-streams: %d of %d refused streams logged in %ld ms, at most %ld",
	      lines, k, ms, most);
	recover(d, "bad-streams: the log bound");
}

static void case_bad_streams(void)
{
	char mac[18], own_mac[18];
	struct vmq_mig_header h;
	struct mig_rec r;
	struct vmm d;
	size_t len;
	__u8 *p;

	if (!good_stream())
		return;
	host_open(&d, 1);
	require_migration(&d);
	usable(&d, "bad-streams: destination");

	refuse(&d, "bad-streams: truncated", good, good_len - 8, EINVAL, false);
	recover(&d, "bad-streams: truncated");
	refuse(&d, "bad-streams: no header", good, 12, EINVAL, false);
	recover(&d, "bad-streams: no header");
	refuse(&d, "bad-streams: empty", good, 0, EINVAL, false);
	recover(&d, "bad-streams: empty");

	edit()[good_len / 2] ^= 0x10;
	refuse(&d, "bad-streams: one byte corrupted", scratch, good_len,
	       EINVAL, true);
	recover(&d, "bad-streams: one byte corrupted");

	memcpy(&h, edit(), sizeof(h));
	h.magic = htole32(VMQ_MIG_MAGIC ^ 1);
	memcpy(scratch, &h, sizeof(h));
	mig_seal(scratch, good_len);
	refuse(&d, "bad-streams: bad magic", scratch, good_len, EINVAL, true);
	recover(&d, "bad-streams: bad magic");

	memcpy(&h, edit(), sizeof(h));
	h.version = htole32(VMQ_MIG_VERSION + 1);
	memcpy(scratch, &h, sizeof(h));
	mig_seal(scratch, good_len);
	refuse(&d, "bad-streams: unknown version", scratch, good_len,
	       EPROTONOSUPPORT, true);
	recover(&d, "bad-streams: unknown version");

	edit();
	p = edit_rec(VMQ_MIG_REC_DEVICE, &r);
	p[offsetof(struct vmq_mig_device, features)] ^= 1U << 3;
	mig_seal(scratch, good_len);
	refuse(&d, "bad-streams: other FEATURES", scratch, good_len,
	       EOPNOTSUPP, true);
	recover(&d, "bad-streams: other FEATURES");

	edit();
	p = edit_rec(VMQ_MIG_REC_QUEUE, &r);
	*(__le32 *)(p + offsetof(struct vmq_queue_state, rx.size)) =
		htole32(rd(&d, VMQ_REG_RING_MAX) * 2);
	mig_seal(scratch, good_len);
	refuse(&d, "bad-streams: ring above RING_MAX", scratch, good_len,
	       EOPNOTSUPP, true);
	recover(&d, "bad-streams: ring above RING_MAX");

	edit();
	p = edit_rec(VMQ_MIG_REC_QUEUE, &r);
	*(__le32 *)(p + offsetof(struct vmq_queue_state, version)) =
		htole32(VMQ_STATE_VERSION + 1);
	mig_seal(scratch, good_len);
	refuse(&d, "bad-streams: QUEUE version", scratch, good_len, EINVAL,
	       true);
	recover(&d, "bad-streams: QUEUE version");

	edit();
	edit_rec(VMQ_MIG_REC_QUEUE, &r);
	*(__le32 *)(scratch + r.off + offsetof(struct vmq_mig_record, len)) =
		htole32(good_len);
	mig_seal(scratch, good_len);
	refuse(&d, "bad-streams: record past the end", scratch, good_len,
	       EINVAL, true);
	recover(&d, "bad-streams: record past the end");

	edit();
	edit_rec(VMQ_MIG_REC_DEVICE, &r);
	len = edit_insert(good_len, r.next, good + r.off, r.next - r.off);
	mig_seal(scratch, len);
	refuse(&d, "bad-streams: DEVICE twice", scratch, len, EINVAL, true);
	recover(&d, "bad-streams: DEVICE twice");

	edit();
	mig_seal(scratch, good_len - sizeof(struct vmq_mig_record));
	refuse(&d, "bad-streams: no END", scratch,
	       good_len - sizeof(struct vmq_mig_record), EINVAL, true);
	recover(&d, "bad-streams: no END");

	len = with_record(REC_UNKNOWN, 0);
	refuse(&d, "bad-streams: unknown mandatory record", scratch, len,
	       EINVAL, true);
	recover(&d, "bad-streams: unknown mandatory record");
	take_optional(&d);

	len = with_frames(VMQ_MIG_MAX_FRAMES + 1);
	refuse(&d, "bad-streams: too many frames", scratch, len, EINVAL,
	       true);
	recover(&d, "bad-streams: too many frames");

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
		 guest_mac[0], guest_mac[1], guest_mac[2], guest_mac[3],
		 guest_mac[4], guest_mac[5] ^ 0x80);
	snprintf(own_mac, sizeof(own_mac), "%02x:%02x:%02x:%02x:%02x:%02x",
		 guest_mac[0], guest_mac[1], guest_mac[2], guest_mac[3],
		 guest_mac[4], guest_mac[5]);
	refuse_admin(&d, "bad-streams: other MAC", "mac", mac, own_mac);
	refuse_admin(&d, "bad-streams: other VLAN", "vlan", "100", "0");
	refuse_admin(&d, "bad-streams: other spoofchk", "spoofchk", "0", "1");

	memcpy(edit() + good_len, good, good_len);
	refuse(&d, "bad-streams: the stream twice", scratch, 2 * good_len,
	       EINVAL, true);
	recover(&d, "bad-streams: the stream twice");
	take_two_segments(&d);
	len = precopy_segment(scratch);
	memcpy(scratch + len, scratch, len);
	memcpy(scratch + 2 * len, good, good_len);
	refuse(&d, "bad-streams: two pre-copy segments", scratch,
	       2 * len + good_len, EINVAL, true);
	recover(&d, "bad-streams: two pre-copy segments");
	memcpy(edit() + good_len, good, good_len);
	refuse_at(&d, "bad-streams: the stream again, in a later write",
		  scratch, good_len, 2 * good_len, EINVAL, true);
	recover(&d, "bad-streams: the stream again, in a later write");
	/* Fewer bytes than a header after the stream: as many too many. */
	memcpy(edit() + good_len, good, 8);
	refuse(&d, "bad-streams: 8 bytes after the stream", scratch,
	       good_len + 8, EINVAL, true);
	recover(&d, "bad-streams: 8 bytes after the stream");
	refuse_at(&d, "bad-streams: 8 bytes after the stream, in a later write",
		  scratch, good_len, good_len + 8, EINVAL, true);
	recover(&d, "bad-streams: 8 bytes after the stream, in a later write");
	take_short_counters(&d);
	/* The first segment alone is refused while the source still runs. */
	admin_set(&d, "mac", mac);
	len = precopy_segment(scratch);
	refuse(&d, "bad-streams: pre-copy segment for another MAC", scratch,
	       len, EADDRNOTAVAIL, true);
	admin_set(&d, "mac", own_mac);
	recover(&d, "bad-streams: pre-copy segment for another MAC");

	too_big(&d);
	fd_after_state(&d);
	stop_copy_write(&d);
	log_bound(&d);
	vmm_close(&d);
	snap_free(&good_ram);
	free(good);
}

/* --- round trips ---------------------------------------------------------- */

/*
 * From @src (host @h) to a VMM on the other host, @dst, as far as STOP:
 * the stream and guest RAM taken, the rings where the source left them.
 * False on the first failure.
 */
static bool migrate_to_stop(struct vmm *src, struct vmm *dst, int h,
			    const char *what)
{
	__u32 rx_head, tx_head;
	ssize_t len, n;
	int fd;

	host_open(dst, !h);
	if (!mig_to(dst, VFIO_DEVICE_STATE_STOP, NULL, what) ||
	    !mig_to(src, VFIO_DEVICE_STATE_STOP, NULL, what) ||
	    !mig_to(src, VFIO_DEVICE_STATE_STOP_COPY, &fd, what))
		return false;
	len = mig_read(fd, stream, VMQ_MIG_MAX_SIZE);
	close(fd);
	rx_head = rd(src, VMQ_REG_RX_HEAD);
	tx_head = rd(src, VMQ_REG_TX_HEAD);
	if (!expect(len > 0, "%s: stream: %s", what, strerror(-len)) ||
	    !mig_to(src, VFIO_DEVICE_STATE_STOP, NULL, what))
		return false;
	guest_ram_copy(dst, src);
	guest_state_copy(dst, src);
	if (!mig_to(dst, VFIO_DEVICE_STATE_RESUMING, &fd, what))
		return false;
	n = mig_write(fd, stream, len);
	close(fd);
	return expect(n == len, "%s: stream written: %s", what,
		      n < 0 ? strerror(-n) : "short") &&
	       mig_to(dst, VFIO_DEVICE_STATE_STOP, NULL, what) &&
	       expect(rd(dst, VMQ_REG_RX_HEAD) == rx_head &&
		      rd(dst, VMQ_REG_TX_HEAD) == tx_head,
		      "%s: destination RX_HEAD %u TX_HEAD %u, source %u %u",
		      what, rd(dst, VMQ_REG_RX_HEAD), rd(dst, VMQ_REG_TX_HEAD),
		      rx_head, tx_head);
}

/*
 * One migration from @src (host @h) to the other host: the VMM there
 * opens its mdev, takes the stream and guest RAM, resumes and announces;
 * @src closes.  False on the first failure.
 */
static bool migrate_once(struct vmm *src, struct vmm *dst, int h, int round)
{
	char what[32];

	snprintf(what, sizeof(what), "round-trips, round %d", round);
	if (!migrate_to_stop(src, dst, h, what) ||
	    !mig_to(dst, VFIO_DEVICE_STATE_RUNNING, NULL, what) ||
	    !announce(dst))
		return false;
	vmm_close(src);
	return true;
}

/*
 * @rounds migrations vmq0 -> vmq1 -> vmq0 ...: each time two frames are
 * completed and unread and one waits in the device; the guest takes
 * them on the other side, before that side's own frames.
 */
static void case_round_trips(void)
{
	struct vmm vmms[2], *cur = &vmms[0], *next;
	__u32 first = 0, pending = 0;
	__u64 rx0, consumed0, rx, unread;
	struct timespec t0;
	int r, h = 0;
	bool ok = true;

	host_open(cur, h);
	require_migration(cur);
	guest_start_posted(cur, 2);
	ok = announce(cur);
	rx0 = counter(cur, VMQ_CNT_RX_PACKETS);
	consumed0 = consumed;
	for (r = 0; ok && r < rounds; r++) {
		if (pending)
			ok = guest_expect(cur, first, pending, "round-trips");
		first = send_frames(3);
		pending = 3;
		ok = ok &&
		     expect(rx_wait_head(cur, (cur->rx_head + 2) % NDESC),
			    "round %d: frames %u, %u not completed", r, first,
			    first + 1) &&
		     expect(sim_wait_backlog(cur, 1, 300),
			    "round %d: frame %u does not wait in the device", r,
			    first + 2);
		next = &vmms[!(cur - vmms)];
		ok = ok && migrate_once(cur, next, h, r);
		if (ok) {
			cur = next;
			h = !h;
		}
	}
	check(ok, "round-trips: %d migrations between vmq0 and vmq1", r);
	ok = guest_expect(cur, first, pending, "round-trips");
	check(ok && !lost(1, wire.seq),
	      "round-trips: all %u frames received in order, none lost",
	      wire.seq);
	no_duplicates("round-trips");
	/* HEAD and the counter may trail the last DONE for a moment. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		rx = counter(cur, VMQ_CNT_RX_PACKETS) - rx0;
		unread = (rd(cur, VMQ_REG_RX_HEAD) + NDESC - cur->rx_head) %
			 NDESC;
		if (rx == consumed - consumed0 + unread)
			break;
		usleep(1000);
	} while (ms_since(&t0) < cur->timeout);
	check(rx == consumed - consumed0 + unread,
	      "round-trips: RX_PACKETS moved by %llu across them, frames taken %llu (%llu unread)",
	      (unsigned long long)rx,
	      (unsigned long long)(consumed - consumed0),
	      (unsigned long long)unread);
	vmm_close(cur);
}

/* --- rollback ------------------------------------------------------------- */

/*
 * STOP (through STOP_COPY when @copy) and back to RUNNING: the queue
 * goes on where it stopped; what the device kept comes first.
 */
static void rollback_once(struct vmm *v, bool copy)
{
	const char *name = copy ? "rollback via STOP_COPY" : "rollback";
	__u32 unread, waiting, down, later, head, now;
	struct stream_want w;
	struct snap snap;
	ssize_t len, n;
	__u64 irqs;
	bool ok;
	int fd;

	check(guest_expect(v, send_frames(2), 2, name),
	      "%s: the guest receives", name);
	head = v->rx_head;
	unread = send_frames(3);
	waiting = unread + 3;
	send_frames(2);
	ok = expect(rx_wait_head(v, (head + 3) % NDESC),
		    "%s: frames %u..%u not completed", name, unread,
		    unread + 2) &&
	     expect(sim_wait_backlog(v, 2, 300),
		    "%s: frames %u, %u do not wait in the device", name,
		    waiting, waiting + 1);
	if (!ok || !mig_to(v, VFIO_DEVICE_STATE_STOP, NULL, name))
		return;
	drain_irq(v, VMQ_VFIO_IRQ_RX);
	snap_take(v, &snap);
	head = rd(v, VMQ_REG_RX_HEAD);
	if (copy) {
		stream_want_take(&w, v, waiting, 2);
		if (!mig_to(v, VFIO_DEVICE_STATE_STOP_COPY, &fd, name))
			goto out;
		len = mig_read(fd, stream, VMQ_MIG_MAX_SIZE);
		close(fd);
		stream_check(name, stream, len, &w);
		if (!mig_to(v, VFIO_DEVICE_STATE_STOP, NULL, name))
			goto out;
	}
	down = send_frames(2);
	check(port_wait_empty(v),
	      "%s: frames %u, %u sent while stopped were taken by the NIC", name,
	      down, down + 1);
	n = read(v->efd[VMQ_VFIO_IRQ_RX], &irqs, sizeof(irqs));
	check(snap_same(v, &snap) && n < 0,
	      "%s: nothing written to guest memory, no interrupt, while stopped",
	      name);
	ok = mig_to(v, VFIO_DEVICE_STATE_RUNNING, NULL, name) &&
	     rd(v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED;
	now = rd(v, VMQ_REG_RX_HEAD);
	check(ok && now == head,
	      "%s: STOP -> RUNNING, enabled, RX_HEAD %u (was %u)", name, now,
	      head);
	later = send_frames(2);
	check(sim_wait_backlog(v, 2 + 2, 300),
	      "%s: frames %u, %u wait behind the kept ones", name, later,
	      later + 1);
	check(guest_expect(v, unread, 3, name) &&
	      guest_expect(v, waiting, 2, name) &&
	      guest_expect(v, later, 2, name),
	      "%s: frames %u..%u unread, %u, %u kept by the device first, then %u, %u",
	      name, unread, unread + 2, waiting, waiting + 1, later, later + 1);
	printf("%s: %d frames lost while stopped (%u, %u sent then)\n", name,
	       lost(down, down + 1), down, down + 1);
out:
	snap_free(&snap);
}

/*
 * While the queue is stopped another mdev takes its MAC: STOP ->
 * RUNNING fails and the device stays in STOP until the MAC is free.
 */
static void rollback_mac_taken(struct vmm *v)
{
	const char *name = "rollback, MAC taken";
	int err, k, lines, steer = 0;
	__u32 state = ~0U, first;
	struct timespec t0;
	char mac[18];
	long ms, most;

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", v->mac[0],
		 v->mac[1], v->mac[2], v->mac[3], v->mac[4], v->mac[5]);
	if (!mig_to(v, VFIO_DEVICE_STATE_STOP, NULL, name))
		return;
	err = mdev_attr_set(spare_uuid, "mac", mac);
	check(!err, "%s: the admin gives the stopped queue's MAC to %s: %s",
	      name, spare_uuid, strerror(-err));
	if (!err) {
		/* Asked again and again: the log says why, boundedly. */
		kmsg_skip();
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (k = 0; k < FLOOD_STREAMS; k++) {
			err = mig_set(v, VFIO_DEVICE_STATE_RUNNING, NULL);
			mig_get(v, &state);
			if ((err != -EEXIST && err != -ENOSPC) ||
			    state != VFIO_DEVICE_STATE_STOP)
				break;
		}
		ms = ms_since(&t0);
		check(k == FLOOD_STREAMS,
		      "%s: STOP -> RUNNING fails: %s (want EEXIST or ENOSPC), device in %s, %d times",
		      name, err ? strerror(-err) : "allowed",
		      mig_state_name(state), k);
		lines = kmsg_count(v->uuid, "cannot run", "cannot steer",
				   &steer);
		most = MIG_LOG_BURST * (ms / (MIG_LOG_SECS * 1000) + 1);
		check(lines >= 1 && lines <= most && !steer,
		      "%s: %d of %d refused arcs logged in %ld ms (at most %ld), %d lines of the core's (want 0)",
		      name, lines, k, ms, most, steer);
		err = mdev_attr_set(spare_uuid, "mac", "52:54:00:00:41:77");
		expect(!err, "%s: %s gives the MAC back: %s", name, spare_uuid,
		       strerror(-err));
	}
	check(mig_to(v, VFIO_DEVICE_STATE_RUNNING, NULL, name),
	      "%s: RUNNING once the MAC is free", name);
	first = send_frames(1);
	check(guest_expect(v, first, 1, name), "%s: the queue receives", name);
}

/* vmq_vfio's test knob: the next @n saves of a device's state fail. */
static bool set_fail_saves(unsigned int n)
{
	const char *path = "/sys/module/vmq_vfio/parameters/fail_saves";
	FILE *f = fopen(path, "w");
	bool ok;

	if (!f)
		return expect(false, "open %s: %s", path, strerror(errno));
	ok = fprintf(f, "%u\n", n) > 0;
	ok = !fclose(f) && ok;
	return expect(ok, "write %s: %s", path, strerror(errno));
}

/*
 * A device whose state cannot be saved: RUNNING -> STOP_COPY fails with
 * ENOMEM, logged, at the arc STOP -> STOP_COPY, and leaves it in STOP,
 * from which it runs again.
 */
static void rollback_save_fails(struct vmm *v)
{
	const char *name = "rollback, save fails";
	__u32 state = ~0U, first;
	char line[256];
	int err, fd = -1;

	kmsg_skip();
	err = set_fail_saves(1) ? mig_set(v, VFIO_DEVICE_STATE_STOP_COPY, &fd) :
			      -EBADF;
	mig_get(v, &state);
	check(err == -ENOMEM && state == VFIO_DEVICE_STATE_STOP && fd < 0,
	      "%s: RUNNING -> STOP_COPY %s (want ENOMEM), device in %s (want STOP)",
	      name, err ? strerror(-err) : "allowed", mig_state_name(state));
	check(kmsg_find(v->uuid, line, sizeof(line)) &&
	      strstr(line, "cannot save the device's state"),
	      "%s: logged: %s", name, line);
	if (fd >= 0)
		close(fd);
	set_fail_saves(0);
	check(mig_to(v, VFIO_DEVICE_STATE_RUNNING, NULL, name),
	      "%s: STOP -> RUNNING", name);
	first = send_frames(1);
	check(guest_expect(v, first, 1, name), "%s: the queue receives", name);
}

/* A line of @v's mdev attribute @attr, or "?". */
static void mdev_attr(struct vmm *v, const char *attr, char *buf, int size)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/vmq/%s",
		 v->uuid, attr);
	f = fopen(path, "r");
	if (!f || !fgets(buf, size, f))
		snprintf(buf, size, "?");
	buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

/* ethtool -S @nic's statistic @name (SIOCETHTOOL), or ~0. */
static __u64 nic_stat(const char *nic, const char *name)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ethtool_gstrings *str = NULL;
	struct ethtool_stats *st = NULL;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr = { 0 };
	__u64 val = ~0ULL;
	__u32 i, n;

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", nic);
	ifr.ifr_data = (void *)&info;
	if (fd < 0 || ioctl(fd, SIOCETHTOOL, &ifr))
		goto out;
	n = info.n_stats;
	str = calloc(1, sizeof(*str) + n * ETH_GSTRING_LEN);
	st = calloc(1, sizeof(*st) + n * sizeof(__u64));
	if (!str || !st)
		goto out;
	str->cmd = ETHTOOL_GSTRINGS;
	str->string_set = ETH_SS_STATS;
	str->len = n;
	ifr.ifr_data = (void *)str;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		goto out;
	st->cmd = ETHTOOL_GSTATS;
	st->n_stats = n;
	ifr.ifr_data = (void *)st;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		goto out;
	for (i = 0; i < n; i++)
		if (!strncmp((char *)str->data + i * ETH_GSTRING_LEN, name,
			     ETH_GSTRING_LEN))
			val = st->data[i];
out:
	free(str);
	free(st);
	if (fd >= 0)
		close(fd);
	return val;
}

/* @nic's qpN_rx_drops for @v's queue pair, or ~0. */
static __u64 nic_rx_drops(struct vmm *v, const char *nic)
{
	char qp[16], name[ETH_GSTRING_LEN];

	mdev_attr(v, "qp", qp, sizeof(qp));
	snprintf(name, sizeof(name), "qp%s_rx_drops", qp);
	return nic_stat(nic, name);
}

/*
 * A reset after STOP: the frames the device kept are dropped, each
 * counted in the guest's RX_DROPS and the NIC's qpN_rx_drops, and the
 * admin's state reads "disabled", as for a device never enabled.
 */
static void rollback_reset_held(struct vmm *v)
{
	const char *name = "rollback, reset";
	__u64 guest0, nic0, guest1, nic1;
	__u32 head = v->rx_head;
	char state[32];
	int err;

	send_frames(3 + 2);
	if (!expect(rx_wait_head(v, (head + 3) % NDESC) &&
		    sim_wait_backlog(v, 2, 300),
		    "%s: 3 frames completed, 2 wait in the device", name) ||
	    !mig_to(v, VFIO_DEVICE_STATE_STOP, NULL, name))
		return;
	guest0 = counter(v, VMQ_CNT_RX_DROPS);
	nic0 = nic_rx_drops(v, "vmq0");
	err = ioctl(v->dev, VFIO_DEVICE_RESET) ? -errno : 0;
	guest1 = counter(v, VMQ_CNT_RX_DROPS);
	nic1 = nic_rx_drops(v, "vmq0");
	check(!err && guest1 - guest0 == 2 && nic0 != ~0ULL &&
	      nic1 - nic0 == 2,
	      "%s: VFIO_DEVICE_RESET (%s) drops the 2 kept frames: RX_DROPS %llu -> %llu, qpN_rx_drops %llu -> %llu (want +2, +2)",
	      name, strerror(-err), (unsigned long long)guest0,
	      (unsigned long long)guest1, (unsigned long long)nic0,
	      (unsigned long long)nic1);
	mdev_attr(v, "state", state, sizeof(state));
	check(!strcmp(state, "disabled"),
	      "%s: the admin's state reads %s (want disabled)", name, state);
}

static void case_rollback(void)
{
	struct vmm v;

	host_open(&v, 0);
	require_migration(&v);
	guest_start_posted(&v, 3);
	announce(&v);
	rollback_once(&v, false);
	rollback_once(&v, true);
	if (spare_uuid)
		rollback_mac_taken(&v);
	rollback_save_fails(&v);
	rollback_reset_held(&v);
	no_duplicates("rollback");
	vmm_close(&v);
}

/* --- a queue in error ---------------------------------------------------- */

/*
 * Queue 0, in error with ENABLE set, holds its rings: BASE and SIZE
 * writes fail with EBUSY, CONTROL reads ENABLE, STATUS ERROR alone.
 */
static void error_rings_held(struct vmm *v, const char *what)
{
	int base = wr_err(v, VMQ_REG_RX_BASE_LO, (__u32)RING_IOVA + 0x1000);
	int size = wr_err(v, VMQ_REG_TX_SIZE, NDESC / 2);
	__u32 ctl = rd(v, VMQ_REG_CONTROL), st = rd(v, VMQ_REG_STATUS);
	__u32 err = rd(v, VMQ_REG_ERROR);

	check(base == -EBUSY && size == -EBUSY && (ctl & VMQ_CTRL_ENABLE) &&
	      st == VMQ_STATUS_ERROR && err == VMQ_ERR_RING_INDEX,
	      "error-kept: %s: RX_BASE_LO write %s, TX_SIZE write %s (want EBUSY); CONTROL %#x, STATUS %#x, ERROR %u (want ENABLE, ERROR, %u)",
	      what, base ? strerror(-base) : "taken",
	      size ? strerror(-size) : "taken", ctl, st, err,
	      VMQ_ERR_RING_INDEX);
}

/*
 * A queue that entered its error state while running keeps its rings
 * until a reset: also through STOP and back to RUNNING, and on the
 * destination that restores it in error.
 */
static void case_error_kept(void)
{
	const char *name = "error-kept";
	struct vmm src, dst;
	int err;

	host_open(&src, 0);
	require_migration(&src);
	guest_start_posted(&src, 3);
	wr(&src, VMQ_REG_RX_TAIL, NDESC);
	if (!expect(reg_wait(&src, VMQ_REG_STATUS, VMQ_STATUS_ERROR),
		    "%s: RX_TAIL %u (SIZE %u): STATUS %#x, want ERROR", name,
		    NDESC, NDESC, rd(&src, VMQ_REG_STATUS)))
		return;
	error_rings_held(&src, "running");
	if (!mig_to(&src, VFIO_DEVICE_STATE_STOP, NULL, name) ||
	    !mig_to(&src, VFIO_DEVICE_STATE_RUNNING, NULL, name))
		return;
	error_rings_held(&src, "STOP -> RUNNING");
	if (!migrate_to_stop(&src, &dst, 0, name) ||
	    !mig_to(&dst, VFIO_DEVICE_STATE_RUNNING, NULL, name))
		return;
	error_rings_held(&dst, "restored in error");
	wr(&dst, VMQ_REG_CONTROL, VMQ_CTRL_RESET);
	err = wr_err(&dst, VMQ_REG_RX_SIZE, NDESC);
	check(!err && rd(&dst, VMQ_REG_STATUS) == 0,
	      "%s: after CONTROL.RESET RX_SIZE write %s, STATUS %#x (want taken, 0)",
	      name, err ? strerror(-err) : "taken", rd(&dst, VMQ_REG_STATUS));
	vmm_close(&src);
	vmm_close(&dst);
}

/* --- pre-copy ------------------------------------------------------------ */

/* A pre-copy segment as the contract has it: DEVICE, then END. */
static void precopy_check(const __u8 *s, ssize_t len, struct vmm *v)
{
	struct vmq_mig_header h = { 0 };
	struct mig_rec r;
	bool ok;

	if (len >= (ssize_t)sizeof(h))
		memcpy(&h, s, sizeof(h));
	ok = len >= (ssize_t)sizeof(h) && le32toh(h.magic) == VMQ_MIG_MAGIC &&
	     le32toh(h.version) == VMQ_MIG_VERSION &&
	     le64toh(h.size) == (__u64)len && le32toh(h.crc) == mig_crc(s, len);
	ok = ok && mig_rec_first(s, len, &r) && r.type == VMQ_MIG_REC_DEVICE &&
	     stream_device_ok("precopy: first segment", &r, v);
	ok = ok && mig_rec_next(s, len, &r) && r.type == VMQ_MIG_REC_END &&
	     !r.len && r.next == (size_t)len;
	check(ok, "precopy: first segment: %zd bytes, DEVICE and END only", len);
}

/*
 * PRE_COPY -> STOP_COPY on a device whose state cannot be saved: ENOMEM,
 * and the device is where the VMM finds it, PRE_COPY, running, its data
 * fd with nothing more for now.
 */
static void precopy_save_fails(struct vmm *v, int fd)
{
	__u32 state = ~0U, first;
	ssize_t n;
	int err;

	err = set_fail_saves(1) ? mig_set(v, VFIO_DEVICE_STATE_STOP_COPY, NULL) :
			      -EBADF;
	mig_get(v, &state);
	set_fail_saves(0);
	check(err == -ENOMEM && state == MIG_STATE_PRE_COPY,
	      "precopy: a save that fails: PRE_COPY -> STOP_COPY %s (want ENOMEM), device in %s (want PRE_COPY)",
	      err ? strerror(-err) : "allowed", mig_state_name(state));
	n = read(fd, scratch, VMQ_MIG_MAX_SIZE);
	check(n < 0 && errno == ENOMSG,
	      "precopy: the data fd then reads %s (want ENOMSG)",
	      n < 0 ? strerror(errno) : "data");
	first = send_frames(2);
	check(guest_expect(v, first, 2, "precopy"),
	      "precopy: the guest receives after the failed STOP_COPY");
}

/*
 * Pre-copy, where the kernel has it: RUNNING -> PRE_COPY reads the first
 * segment while the guest runs, then ENOMSG; the destination checks it
 * at once; PRE_COPY -> STOP_COPY stops the device and the same fd goes
 * on with the rest.  PRE_COPY -> RUNNING gives a session up.
 */
static void case_precopy(void)
{
	__u64 flags = 0, initial = ~0ULL, dirty = ~0ULL, left = ~0ULL;
	__u32 first, unread, waiting, later;
	ssize_t l1 = 0, l2, n;
	struct stream_want w;
	struct vmm src, dst;
	int fd, rfd, err;
	bool ok;

	host_open(&src, 0);
	require_migration(&src);
	mig_flags(&src, &flags);
	if (!(flags & MIG_PRE_COPY)) {
		/* require_migration() checked that the kernel has none. */
		printf("SKIP: precopy: no PRE_COPY on this kernel (before 6.2)\n");
		exit(failures ? 1 : KSFT_SKIP);
	}
	host_open(&dst, 1);
	require_migration(&dst);
	mig_to(&dst, VFIO_DEVICE_STATE_STOP, NULL, "precopy");
	guest_start_posted(&src, 2);
	announce(&src);
	first = send_frames(2);
	check(guest_expect(&src, first, 2, "precopy"),
	      "precopy: the guest receives on the source");

	/* A session given up. */
	ok = mig_to(&src, MIG_STATE_PRE_COPY, &fd, "precopy") && fd >= 0 &&
	     mig_to(&src, VFIO_DEVICE_STATE_RUNNING, NULL, "precopy");
	n = read(fd, stream, VMQ_MIG_MAX_SIZE);
	err = errno;
	check(ok && n < 0 && err == ENODEV,
	      "precopy: PRE_COPY -> RUNNING; the data fd then reads %s (want ENODEV)",
	      n < 0 ? strerror(err) : "data");
	close(fd);
	first = send_frames(1);
	check(guest_expect(&src, first, 1, "precopy"),
	      "precopy: the queue runs on after the session given up");

	/* The first segment, while the guest runs. */
	ok = mig_to(&src, MIG_STATE_PRE_COPY, &fd, "precopy") && fd >= 0;
	check(ok, "precopy: RUNNING -> PRE_COPY, data fd %d", fd);
	if (!ok)
		goto out;
	err = mig_precopy_info(fd, &initial, &dirty);
	while ((n = read(fd, stream + l1, VMQ_MIG_MAX_SIZE - l1)) > 0)
		l1 += n;
	check(!err && n < 0 && errno == ENOMSG && (__u64)l1 == initial &&
	      !dirty,
	      "precopy: PRECOPY_INFO %s: %llu initial bytes, %llu dirty; %zd read, then %s",
	      strerror(-err), (unsigned long long)initial,
	      (unsigned long long)dirty, l1, n < 0 ? strerror(errno) : "EOF");
	err = mig_precopy_info(fd, &left, &dirty);
	check(!err && !left && !dirty,
	      "precopy: then %llu initial bytes, %llu dirty left (%s)",
	      (unsigned long long)left, (unsigned long long)dirty,
	      strerror(-err));
	precopy_check(stream, l1, &src);
	first = send_frames(1);
	check(guest_expect(&src, first, 1, "precopy"),
	      "precopy: the guest receives in PRE_COPY");
	ok = mig_to(&dst, VFIO_DEVICE_STATE_RESUMING, &rfd, "precopy");
	n = ok ? mig_write(rfd, stream, l1) : -EBADF;
	check(n == l1, "precopy: the destination takes the first segment at once: %s",
	      n < 0 ? strerror(-n) : "ok");
	if (!ok)
		goto out;
	precopy_save_fails(&src, fd);

	/* Frames for the stream: two completed unread, one waiting. */
	unread = send_frames(2);
	waiting = unread + 2;
	send_frames(1);
	check(rx_wait_head(&src, (src.rx_head + 2) % NDESC) &&
	      sim_wait_backlog(&src, 1, 300),
	      "precopy: frames %u, %u completed unread, %u waits in the device",
	      unread, unread + 1, waiting);
	stream_want_take(&w, &src, waiting, 1);
	ok = mig_to(&src, VFIO_DEVICE_STATE_STOP_COPY, NULL, "precopy");
	l2 = ok ? mig_read(fd, stream + l1, VMQ_MIG_MAX_SIZE - l1) : -EBADF;
	check(l2 > 0, "precopy: PRE_COPY -> STOP_COPY; the same fd reads %zd bytes more, then EOF",
	      l2);
	if (l2 <= 0)
		goto out_fds;
	stream_check("precopy: second segment", stream + l1, l2, &w);
	n = mig_write(rfd, stream + l1, l2);
	check(n == l2 && mig_to(&dst, VFIO_DEVICE_STATE_STOP, NULL, "precopy"),
	      "precopy: the destination takes the second segment, RESUMING -> STOP");
	mig_to(&src, VFIO_DEVICE_STATE_STOP, NULL, "precopy");
	n = read(fd, stream, 16);
	err = errno;
	check(n < 0 && err == ENODEV, "precopy: the source's fd after STOP: %s",
	      n < 0 ? strerror(err) : "data");
	guest_ram_copy(&dst, &src);
	guest_state_copy(&dst, &src);
	check(mig_to(&dst, VFIO_DEVICE_STATE_RUNNING, NULL, "precopy") &&
	      announce(&dst), "precopy: the destination runs, the guest announced");
	later = send_frames(2);
	check(guest_expect(&dst, unread, 2, "precopy") &&
	      guest_expect(&dst, waiting, 1, "precopy") &&
	      guest_expect(&dst, later, 2, "precopy"),
	      "precopy: destination: %u, %u unread, %u that waited, then %u, %u",
	      unread, unread + 1, waiting, later, later + 1);
	no_duplicates("precopy");
out_fds:
	close(rfd);
out:
	close(fd);
	vmm_close(&src);
	vmm_close(&dst);
}

/* --- bench ---------------------------------------------------------------- */

/* The bench's stream: one frame every BENCH_GAP_US from another process. */
#define BENCH_GAP_US	1000
#define BENCH_RUN_MS	150	/* the guest receives this long per side */

/* The number of the last frame the sender sent, shared with it. */
static __u32 *bench_sent;

/* The sender: the stream, numbered from 1, until killed. */
static pid_t bench_sender(void)
{
	struct timespec gap = { .tv_nsec = BENCH_GAP_US * 1000 };
	__u8 buf[ETH_FRAME_LEN];
	pid_t pid;
	__u32 seq;

	pid = fork();
	if (pid)
		return pid;
	for (seq = 1; seq <= MAX_SEQ; seq++) {
		frame_build(buf, seq);
		wire_send(&wire, buf, frame_len(seq), 0);
		__atomic_store_n(bench_sent, seq, __ATOMIC_RELAXED);
		nanosleep(&gap, NULL);
	}
	_exit(0);
}

/* The guest takes what comes for @ms, reposting each buffer. */
static void bench_rx(struct vmm *v, int ms)
{
	struct timespec t0;
	__u32 len, seq;
	__u8 *f;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ms_since(&t0) < ms) {
		f = rx_next(v, &len, 10);
		if (!f || len < 18)
			continue;
		memcpy(&seq, f + 14, 4);
		if (seq && seq <= MAX_SEQ)
			delivered[seq]++;
	}
}

static long us_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000L +
	       (b->tv_nsec - a->tv_nsec) / 1000;
}

/*
 * One migration as a VMM makes it, timed: guest RAM copied while the
 * guest runs with dirty tracking on; then STOP, the stream out, the dirty
 * pages copied, the stream in, RUNNING on the destination (the downtime
 * ends there), and the announce.
 */
static bool bench_migrate(struct vmm *src, struct vmm *dst, int h,
			  long *downtime_us)
{
	static __u64 rbits[RING_PAGES / 64 + 1], bbits[BUF_PAGES / 64 + 1];
	struct timespec t0, t1;
	ssize_t len, n;
	int fd;

	host_open(dst, !h);
	if (dirty_start(src) ||
	    !mig_to(dst, VFIO_DEVICE_STATE_STOP, NULL, "bench"))
		return false;
	guest_ram_copy(dst, src);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!mig_to(src, VFIO_DEVICE_STATE_STOP, NULL, "bench") ||
	    !mig_to(src, VFIO_DEVICE_STATE_STOP_COPY, &fd, "bench"))
		return false;
	len = mig_read(fd, stream, VMQ_MIG_MAX_SIZE);
	close(fd);
	if (len <= 0 || dirty_bitmap(src, RING_IOVA, RING_SIZE, rbits) ||
	    dirty_bitmap(src, BUF_IOVA, BUF_SIZE, bbits))
		return false;
	pages_copy(dst->ring_mem, src->ring_mem, rbits, RING_PAGES);
	pages_copy(dst->buf_mem, src->buf_mem, bbits, BUF_PAGES);
	guest_state_copy(dst, src);
	if (!mig_to(dst, VFIO_DEVICE_STATE_RESUMING, &fd, "bench"))
		return false;
	n = mig_write(fd, stream, len);
	close(fd);
	if (n != len || !mig_to(dst, VFIO_DEVICE_STATE_STOP, NULL, "bench") ||
	    !mig_to(dst, VFIO_DEVICE_STATE_RUNNING, NULL, "bench"))
		return false;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*downtime_us = us_between(&t0, &t1);
	if (!announce(dst))
		return false;
	vmm_close(src);
	return true;
}

/*
 * ROUNDS migrations back and forth under a steady stream; per migration
 * "BENCH migration downtime_us D" (STOP on the source to RUNNING on the
 * destination, guest time) and "BENCH migration lost_frames L" (frames
 * of the stream sent in that round that no guest received).
 */
static void case_bench(void)
{
	struct vmm vmms[2], *cur = &vmms[0], *next;
	__u32 *marks, first, last, seq;
	long *down;
	pid_t pid;
	int r, h = 0, lost_n;
	bool ok;

	bench_sent = mmap(NULL, sizeof(*bench_sent), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	marks = calloc(rounds + 1, sizeof(*marks));
	down = calloc(rounds, sizeof(*down));
	if (bench_sent == MAP_FAILED || !marks || !down)
		die("bench memory");
	/* The guest's MAC for the sender, then no VFIO fd open to inherit. */
	host_open(cur, h);
	vmm_close(cur);
	pid = bench_sender();
	host_open(cur, h);
	require_migration(cur);
	guest_start(cur, BUF_LEN);
	ok = announce(cur);
	bench_rx(cur, BENCH_RUN_MS);
	for (r = 0; ok && r < rounds; r++) {
		marks[r] = __atomic_load_n(bench_sent, __ATOMIC_RELAXED);
		next = &vmms[!(cur - vmms)];
		ok = bench_migrate(cur, next, h, &down[r]);
		if (!ok)
			break;
		cur = next;
		h = !h;
		bench_rx(cur, BENCH_RUN_MS);
	}
	marks[r] = __atomic_load_n(bench_sent, __ATOMIC_RELAXED);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	bench_rx(cur, BENCH_RUN_MS);
	check(ok, "bench: %d migrations under a stream of one frame per %d us",
	      r, BENCH_GAP_US);
	for (r = 0; ok && r < rounds; r++) {
		/* From the last frame before STOP to the last one sent before the next. */
		first = marks[r] + 1;
		last = marks[r + 1];
		lost_n = 0;
		for (seq = first; seq <= last; seq++)
			lost_n += !delivered[seq];
		check(lost_n <= (int)(last - first),
		      "bench: migration %d: frames of the stream arrived (%d of %u lost)",
		      r, lost_n, last - first + 1);
		printf("BENCH migration downtime_us %ld\n", down[r]);
		printf("BENCH migration lost_frames %d\n", lost_n);
	}
	for (seq = 1; seq <= MAX_SEQ; seq++)
		if (delivered[seq] > 1)
			break;
	check(seq > MAX_SEQ, "bench: no frame delivered twice");
	vmm_close(cur);
	free(marks);
	free(down);
}

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "probe", case_probe },
	{ "migrate", case_migrate },
	{ "bad-streams", case_bad_streams },
	{ "round-trips", case_round_trips },
	{ "rollback", case_rollback },
	{ "error-kept", case_error_kept },
	{ "precopy", case_precopy },
	{ "bench", case_bench },
};

int main(int argc, char **argv)
{
	const char *wire_if = "br0";
	size_t c;
	int opt, i;

	while ((opt = getopt(argc, argv, "w:b:B:x:r:t:")) != -1) {
		switch (opt) {
		case 'w':
			wire_if = optarg;
			break;
		case 'b':
			hosts[0].backlog = optarg;
			break;
		case 'B':
			hosts[1].backlog = optarg;
			break;
		case 'x':
			spare_uuid = optarg;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 't':
			timeout_ms = atoi(optarg) * 1000;
			break;
		default:
			fprintf(stderr, "usage: %s %s %s\n", argv[0],
				"[-w WIRE] [-b BACKLOG0] [-B BACKLOG1] [-x UUID]",
				"[-r ROUNDS] [-t SECS] UUID0 UUID1 CASE...");
			return 2;
		}
	}
	if (optind + 3 > argc)
		return 2;
	hosts[0].uuid = argv[optind++];
	hosts[1].uuid = argv[optind++];
	stream = malloc(VMQ_MIG_MAX_SIZE);
	scratch = malloc(VMQ_MIG_MAX_SIZE + 4096);
	if (!stream || !scratch)
		die("malloc");
	wire_open(&wire, wire_if);
	for (i = optind; i < argc; i++) {
		for (c = 0; c < ARRAY_SIZE(cases); c++)
			if (!strcmp(argv[i], cases[c].name))
				break;
		if (c == ARRAY_SIZE(cases)) {
			fprintf(stderr, "unknown case %s\n", argv[i]);
			return 2;
		}
		cases[c].fn();
	}
	printf("vmq_migrate: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}
