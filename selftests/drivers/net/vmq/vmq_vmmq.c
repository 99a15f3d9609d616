// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vmmq: a test VMM and guest driver for a vmq_vfio mediated device
 * with several queue pairs and guest-controlled RSS (VMMQ; the paragraph
 * "Several queue pairs" of include/uapi/linux/vmq.h).
 *
 * Each queue has its rings and buffers in guest memory of its own (a
 * mapping beside the lib's), its own receive and transmit eventfd
 * (subindex q of VMQ_VFIO_IRQ_RX and VMQ_VFIO_IRQ_TX).  Frames come from
 * the link partner (AF_PACKET on WIRE); every one of them must land on
 * the queue a reference Toeplitz hash (Microsoft's RSS specification,
 * checked against its published vectors at start) and the guest's
 * indirection table pick.
 *
 *   vmq_vmmq [-w WIRE] [-t SECS] [-b BACKLOG] [-x OTHER_UUID]
 *            [-m DST_UUID] [-s SINGLE_UUID] UUID CASE...
 *
 * CASE:
 *  info         VERSION, FEATURES (RSS, RX_HASH), QUEUES, interrupt counts
 *  rss          IPv4/IPv6 TCP/UDP flows, fragments, other IP, non-IP:
 *               queue, hash in the completion, bytes, spread, interrupts,
 *               per-queue counters
 *  one-flow     32 frames of one flow: all on its queue, one interrupt
 *  table        the table reloaded live: all to queue 2; entries >= 4 are
 *               taken modulo QUEUES; OTHER_UUID (-x) gets nothing
 *  noqueue      queue 3 not set up: its frames dropped and counted there
 *  tx           one frame sent from each queue; its own TX interrupt
 *  queue-error  a bad TAIL on queue 2: its error only; a reset clears it
 *  enable-error queue 0's ring refused at ENABLE: no queue runs, neither
 *               then nor once ENABLE is cleared
 *  disable-error queue 0 in error at run time: clearing ENABLE stops 1-3
 *  nohash       without CONTROL.RX_HASH completions keep their addresses
 *  single       UUID is of the single queue pair type: no RSS, one queue
 *  stop-run     queue 2 in error, then STOP and RUNNING: queues 0, 1 and 3
 *               run again, queue 2 keeps its error
 *  migrate      UUID (on the source NIC) -> DST_UUID (another NIC, same
 *               MAC), both of this type, under traffic on every queue;
 *               the stream into SINGLE_UUID, a single queue pair mdev
 *               holding the guest's MAC meanwhile, is refused first.
 *               WIRE is then the bridge over both NICs' partners; the
 *               guest's MAC moves from SINGLE_UUID to DST_UUID here.
 *
 * BACKLOG is vmqsim's debugfs "backlog" of the source NIC.  Prints one
 * line per check; exits 0 if all passed, 1 otherwise, 4 (KSFT_SKIP) if
 * VFIO (migrate: VFIO migration) is missing.
 */

#include <arpa/inet.h>
#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <linux/vfio.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "vmq_toeplitz.h"
#include "vmq_vfio_lib.h"

#define NQ_WANT		4		/* the type under test: vmq_vfio-qp4 */
#define QMAX		VMQ_VFIO_MAX_QUEUES
#define QDESC		256		/* descriptors per ring, at most */
#define QMEM_IOVA	0x1000000ULL	/* the queues' guest RAM */
#define QMEM_PER_Q	0x100000ULL
#define Q_RX_RING	0x00000		/* offsets in a queue's RAM */
#define Q_TX_RING	0x04000
#define Q_RX_BUFS	0x10000
#define Q_TX_BUFS	0x90000
#define Q_TX_NBUF	64
#define FRAME_MAX	400
#define MAX_SENT	4096
#define MAGIC		0x514d4d56	/* "VMMQ" */
#define IPPROTO_OTHER	253		/* RFC 3692: experiments */
#define TOLERANCE	40		/* a queue's share: 25% +- 40% of it */
#define SHOW_MAX	5		/* problems shown per case */

/* ms_key, of vmq_toeplitz.c, is the NIC's key whole. */
static_assert(sizeof(ms_key) == VMQ_RSS_KEY_SIZE, "ms_key is not an RSS key");

/* The flows' endpoints: the first vectors of Microsoft's document. */
static const char *const src4 = "66.9.149.187", *const dst4 = "161.142.100.80";
static const char *const src6 = "3ffe:2501:200:1fff::7";
static const char *const dst6 = "3ffe:2501:200:3::1";
#define DPORT		1766

static const __u8 bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* One queue pair as the guest driver knows it. */
struct gq {
	struct vmq_desc *rx, *tx;
	__u8 *mem;			/* its guest RAM */
	__u64 iova;
	__u32 rx_head, rx_tail, tx_tail;
	__u64 posted[QDESC];		/* buffer IOVA at each rx descriptor */
	int rxfd, txfd;
	__u64 rx_irqs, tx_irqs;		/* eventfd counts read so far */
	bool started;
};

/* A device of this type and the guest driving it. */
struct mq {
	struct vmm v;			/* the lib's: fds, wire, MAC */
	__u8 *qmem;
	__u32 nq, nd;			/* queues, descriptors per ring */
	struct gq q[QMAX];
	__u8 table[VMQ_RSS_TABLE_SIZE];	/* as last loaded */
};

enum kind { K_UDP4, K_TCP4, K_UDP6, K_TCP6, K_FRAG4, K_IP4, K_RAW };

/* Every frame sent, by its number. */
struct sent {
	__u8 f[FRAME_MAX];
	__u32 len;
	int q;				/* the queue it must land on */
	__u32 hash;
	__u8 type;			/* VMQ_RX_HASH_* */
	__u8 got;			/* times received */
	__u8 got_q;			/* where, the last time */
	bool check_addr;		/* the completion's addr is predicted */
	bool type_only;			/* of addr, only the type is */
};

static struct sent *sent;
static __u32 nsent;
static int timeout_ms = 3000;
static const char *wire_if = "vmq0w", *backlog;
static const char *other_uuid, *dst_uuid, *single_uuid;
static __u8 wire_mac[ETH_ALEN];
static struct vmm wire;			/* the socket all devices share */
static int shown;

/* A problem worth a line, the first SHOW_MAX of a case. */
static void show(const char *fmt, ...)
{
	va_list ap;

	if (shown++ >= SHOW_MAX)
		return;
	printf("  ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void drain_irq_fd(int fd)
{
	__u64 n;

	while (read(fd, &n, sizeof(n)) == sizeof(n))
		;
}

/* --- the reference hash --------------------------------------------------- */

static void addr_of(const char *s, int af, __u8 *out)
{
	if (inet_pton(af, s, out) != 1) {
		fprintf(stderr, "bad address %s\n", s);
		exit(2);
	}
}

/* Source, destination, then the ports when @sport: the hash's input. */
static __u32 ref_hash(bool six, __u16 sport, __u16 dport, bool ports)
{
	size_t alen = six ? 16 : 4;
	__u8 in[36];
	__u16 p;

	addr_of(six ? src6 : src4, six ? AF_INET6 : AF_INET, in);
	addr_of(six ? dst6 : dst4, six ? AF_INET6 : AF_INET, in + alen);
	if (!ports)
		return toeplitz(ms_key, in, 2 * alen);
	p = htons(sport);
	memcpy(in + 2 * alen, &p, 2);
	p = htons(dport);
	memcpy(in + 2 * alen + 2, &p, 2);
	return toeplitz(ms_key, in, 2 * alen + 4);
}

/* The reference against the document's published hashes. */
static void ref_check(void)
{
	bool ok = ref_hash(false, 2794, 1766, true) == 0x51ccc178 &&
		  ref_hash(false, 0, 0, false) == 0x323e8fc2 &&
		  ref_hash(true, 2794, 1766, true) == 0x40207d3d &&
		  ref_hash(true, 0, 0, false) == 0x2cc18cd5;

	if (!ok) {
		check(false, "reference Toeplitz: not Microsoft's published hashes");
		exit(1);
	}
}

/* --- frames --------------------------------------------------------------- */

static __u16 ip_csum(const __u8 *p, size_t len)
{
	__u32 sum = 0;
	size_t i;

	for (i = 0; i < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/*
 * Frame @seq of kind @k from the wire to @dst, source port @sport: its
 * length.  Headers, then MAGIC, @seq and a pattern.
 */
static __u32 frame_build(__u8 *f, const __u8 *dst, enum kind k,
			 __u16 sport, __u32 seq)
{
	bool six = k == K_UDP6 || k == K_TCP6;
	bool udp = k == K_UDP4 || k == K_UDP6 || k == K_FRAG4;
	size_t ip = six ? 40 : 20, l4, off, len, i;
	__u16 type = htons(six ? ETH_P_IPV6 : ETH_P_IP), v16;
	__u8 *p = f + ETH_HLEN;
	__u32 v32;

	l4 = k == K_RAW || k == K_IP4 ? 0 : udp ? 8 : 20;
	if (k == K_RAW) {
		type = htons(TEST_ETHERTYPE);
		ip = 0;
	}
	off = ETH_HLEN + ip + l4;
	len = off + 8 + 16 + (seq * 37) % 200;
	if (len < ETH_ZLEN)
		len = ETH_ZLEN;
	memset(f, 0, off);
	memcpy(f, dst, ETH_ALEN);
	memcpy(f + ETH_ALEN, wire_mac, ETH_ALEN);
	memcpy(f + 2 * ETH_ALEN, &type, 2);
	if (six) {
		p[0] = 0x60;
		v16 = htons(len - ETH_HLEN - ip);
		memcpy(p + 4, &v16, 2);
		p[6] = udp ? IPPROTO_UDP : IPPROTO_TCP;
		p[7] = 64;
		addr_of(src6, AF_INET6, p + 8);
		addr_of(dst6, AF_INET6, p + 24);
	} else if (k != K_RAW) {
		p[0] = 0x45;
		v16 = htons(len - ETH_HLEN);
		memcpy(p + 2, &v16, 2);
		v16 = htons(seq);
		memcpy(p + 4, &v16, 2);
		if (k == K_FRAG4)
			p[6] = 0x20;		/* MF, offset 0: a first fragment */
		p[8] = 64;
		p[9] = k == K_IP4 ? IPPROTO_OTHER : udp ? IPPROTO_UDP :
		       IPPROTO_TCP;
		addr_of(src4, AF_INET, p + 12);
		addr_of(dst4, AF_INET, p + 16);
		v16 = ip_csum(p, 20);
		memcpy(p + 10, &v16, 2);
	}
	if (l4) {
		v16 = htons(sport);
		memcpy(p + ip, &v16, 2);
		v16 = htons(DPORT);
		memcpy(p + ip + 2, &v16, 2);
		if (udp) {
			v16 = htons(len - ETH_HLEN - ip);
			memcpy(p + ip + 4, &v16, 2);
		} else {
			p[ip + 12] = 5 << 4;
			p[ip + 13] = 0x10;	/* ACK */
		}
	}
	v32 = htonl(MAGIC);
	memcpy(f + off, &v32, 4);
	memcpy(f + off + 4, &seq, 4);
	for (i = off + 8; i < len; i++)
		f[i] = (__u8)(seq * 7 + i);
	return len;
}

/*
 * The number of a frame of ours, found after its headers whatever their
 * kind; 0 for anything else.
 */
static __u32 frame_seq(const __u8 *f, __u32 len)
{
	static const __u32 offs[] = { 14, 34, 42, 54, 62, 74 };
	__u32 magic = htonl(MAGIC), seq;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		if (offs[i] + 8 > len || memcmp(f + offs[i], &magic, 4))
			continue;
		memcpy(&seq, f + offs[i] + 4, 4);
		if (seq && seq <= nsent && sent[seq].len == len &&
		    !memcmp(sent[seq].f, f, len))
			return seq;
		return ~0U;		/* ours, damaged */
	}
	return 0;
}

/* The queue a frame's hash picks under @m's table; @raw: not IP. */
static int pick(struct mq *m, __u32 hash, bool raw)
{
	return m->table[raw ? 0 : hash % VMQ_RSS_TABLE_SIZE] % m->nq;
}

/*
 * Send a frame of kind @k, port @sport, to @dst (the device's MAC or
 * broadcast), predicted against @m: its number.
 */
static __u32 send_one(struct mq *m, const __u8 *dst, enum kind k,
		      __u16 sport)
{
	bool six = k == K_UDP6 || k == K_TCP6;
	bool l3 = k == K_FRAG4 || k == K_IP4;
	struct sent *s;
	__u32 seq;

	if (nsent + 1 >= MAX_SENT) {
		printf("FAIL: more than %d frames\n", MAX_SENT);
		exit(1);
	}
	seq = ++nsent;
	s = &sent[seq];
	memset(s, 0, sizeof(*s));
	s->len = frame_build(s->f, dst, k, sport, seq);
	if (k == K_RAW) {
		s->type = VMQ_RX_HASH_NONE;
		s->hash = 0;
	} else {
		s->type = l3 ? VMQ_RX_HASH_L3 : VMQ_RX_HASH_L4;
		s->hash = ref_hash(six, sport, DPORT, !l3);
	}
	s->check_addr = !(dst[0] & 1);
	s->q = s->check_addr ? pick(m, s->hash, k == K_RAW) : 0;
	wire_send(&wire, s->f, s->len, 0);
	return seq;
}

/* --- the device ----------------------------------------------------------- */

static __u64 qcounter(struct mq *m, __u32 q, int n)
{
	return rd(&m->v, VMQ_REG_QCOUNTER(q, n)) |
	       (__u64)rd(&m->v, VMQ_REG_QCOUNTER(q, n) + 4) << 32;
}

static int set_irqs_err(struct mq *m, int index, const int *fds, __u32 n)
{
	char buf[sizeof(struct vfio_irq_set) + (QMAX + 1) * sizeof(__s32)];
	struct vfio_irq_set *set = (void *)buf;

	set->argsz = sizeof(*set) + n * sizeof(__s32);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = index;
	set->start = 0;
	set->count = n;
	memcpy(set->data, fds, n * sizeof(__s32));
	return ioctl(m->v.dev, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
}

/* Each queue's receive and transmit eventfd, at its subindex. */
static void set_queue_irqs(struct mq *m)
{
	int rx[QMAX], tx[QMAX];
	__u32 q;

	for (q = 0; q < m->nq; q++) {
		rx[q] = m->q[q].rxfd;
		tx[q] = m->q[q].txfd;
	}
	errno = -set_irqs_err(m, VMQ_VFIO_IRQ_RX, rx, m->nq);
	if (errno)
		die("VFIO_DEVICE_SET_IRQS RX, one eventfd per queue");
	errno = -set_irqs_err(m, VMQ_VFIO_IRQ_TX, tx, m->nq);
	if (errno)
		die("VFIO_DEVICE_SET_IRQS TX, one eventfd per queue");
}

static void mq_open(struct mq *m, const char *uuid)
{
	__u32 q, max;

	memset(m, 0, sizeof(*m));
	m->v.uuid = uuid;
	m->v.timeout = timeout_ms;
	m->v.backlog = backlog;
	m->v.wire_sock = wire.wire_sock;
	m->v.wire_ifindex = wire.wire_ifindex;
	memcpy(m->v.wire_mac, wire_mac, ETH_ALEN);
	vmm_open(&m->v);
	m->nq = rd(&m->v, VMQ_REG_FEATURES) & VMQ_FEAT_RSS ?
		rd(&m->v, VMQ_REG_QUEUES) : 1;
	if (!m->nq || m->nq > QMAX) {
		printf("FAIL: %s: QUEUES %u\n", uuid, m->nq);
		exit(1);
	}
	max = rd(&m->v, VMQ_REG_RING_MAX);
	m->nd = max < QDESC ? max : QDESC;
	m->qmem = map_guest(&m->v, QMEM_IOVA, m->nq * QMEM_PER_Q);
	for (q = 0; q < m->nq; q++) {
		struct gq *g = &m->q[q];

		g->mem = m->qmem + q * QMEM_PER_Q;
		g->iova = QMEM_IOVA + q * QMEM_PER_Q;
		g->rx = (struct vmq_desc *)(g->mem + Q_RX_RING);
		g->tx = (struct vmq_desc *)(g->mem + Q_TX_RING);
		g->rxfd = eventfd(0, EFD_NONBLOCK);
		g->txfd = eventfd(0, EFD_NONBLOCK);
		if (g->rxfd < 0 || g->txfd < 0)
			die("eventfd");
	}
	set_queue_irqs(m);
}

static void mq_close(struct mq *m)
{
	__u32 q;

	if (m->v.dev < 0)
		return;
	vmm_close(&m->v);
	for (q = 0; q < m->nq; q++) {
		close(m->q[q].rxfd);
		close(m->q[q].txfd);
	}
	m->v.dev = -1;
}

/* The guest's RSS: the document's key and @table, loaded together. */
static void rss_write(struct mq *m, const __u8 *table, bool load)
{
	__u32 i, val;

	for (i = 0; i < VMQ_RSS_KEY_SIZE / 4; i++) {
		memcpy(&val, ms_key + 4 * i, 4);
		wr(&m->v, VMQ_REG_RSS_KEY(i), le32toh(val));
	}
	for (i = 0; i < VMQ_RSS_TABLE_SIZE / 4; i++) {
		memcpy(&val, table + 4 * i, 4);
		wr(&m->v, VMQ_REG_RSS_TABLE(i), le32toh(val));
	}
	if (!load)
		return;
	wr(&m->v, VMQ_REG_RSS_LOAD, 1);
	memcpy(m->table, table, VMQ_RSS_TABLE_SIZE);
}

static void rss_load(struct mq *m, const __u8 *table)
{
	rss_write(m, table, true);
}

/* Entry i -> queue i % QUEUES. */
static void rss_spread(struct mq *m)
{
	__u8 table[VMQ_RSS_TABLE_SIZE];
	__u32 i;

	for (i = 0; i < VMQ_RSS_TABLE_SIZE; i++)
		table[i] = i % m->nq;
	rss_load(m, table);
}

static __u64 rx_buf_iova_q(struct gq *g, __u32 i)
{
	return g->iova + Q_RX_BUFS + (__u64)i * BUF_LEN;
}

static void rx_post_q(struct gq *g, __u32 i)
{
	struct vmq_desc *d = &g->rx[i];

	g->posted[i] = rx_buf_iova_q(g, i);
	memset(g->mem + Q_RX_BUFS + (size_t)i * BUF_LEN, 0xee, BUF_LEN);
	d->addr = htole64(g->posted[i]);
	d->len = htole32(BUF_LEN);
	d->rsvd = 0;
	__atomic_store_n(&d->flags, 0, __ATOMIC_RELEASE);
}

/*
 * Reset, the guest's RSS (entry i -> i % QUEUES), the rings of the
 * queues in @mask, all their receive buffers posted; enabled with @ctrl
 * unless it is 0.
 */
static void mq_setup(struct mq *m, __u32 mask, __u32 ctrl)
{
	__u32 q, i;

	wr(&m->v, VMQ_REG_CONTROL, VMQ_CTRL_RESET);
	rss_spread(m);
	memset(m->qmem, 0, m->nq * QMEM_PER_Q);
	for (q = 0; q < m->nq; q++) {
		struct gq *g = &m->q[q];
		__u64 base;

		g->rx_head = 0;
		g->rx_tail = 0;
		g->tx_tail = 0;
		g->started = mask & (1U << q);
		if (!g->started)
			continue;
		for (i = 0; i < m->nd - 1; i++)
			rx_post_q(g, i);
		g->rx_tail = m->nd - 1;
		base = g->iova + Q_RX_RING;
		wr(&m->v, VMQ_REG_Q(q, VMQ_REG_RX_BASE_LO), (__u32)base);
		wr(&m->v, VMQ_REG_Q(q, VMQ_REG_RX_BASE_HI), base >> 32);
		wr(&m->v, VMQ_REG_Q(q, VMQ_REG_RX_SIZE), m->nd);
		base = g->iova + Q_TX_RING;
		wr(&m->v, VMQ_REG_Q(q, VMQ_REG_TX_BASE_LO), (__u32)base);
		wr(&m->v, VMQ_REG_Q(q, VMQ_REG_TX_BASE_HI), base >> 32);
		wr(&m->v, VMQ_REG_Q(q, VMQ_REG_TX_SIZE), m->nd);
		wr(&m->v, VMQ_REG_Q(q, VMQ_REG_RX_TAIL), g->rx_tail);
	}
	drain_irq(&m->v, VMQ_VFIO_IRQ_ERR);
	for (q = 0; q < m->nq; q++) {
		drain_irq_fd(m->q[q].rxfd);
		drain_irq_fd(m->q[q].txfd);
	}
	if (ctrl)
		wr(&m->v, VMQ_REG_CONTROL, ctrl);
}

static __u32 all_queues(struct mq *m)
{
	return (1U << m->nq) - 1;
}

/* --- receiving ------------------------------------------------------------ */

/* What a case received, per queue. */
struct tally {
	int mine[QMAX];			/* frames of ours */
	int comp[QMAX];			/* every completion */
	int wrong_q, wrong_addr, damaged, foreign, errs;
	bool expect_hash;		/* completions carry the hash */
};

static __u64 irqs_read(int fd)
{
	__u64 n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/*
 * The next completion on any started queue, recycled: true with its
 * queue, descriptor, addr and a copy of the frame; false after @ms.
 */
static bool mq_next(struct mq *m, int *qout, __u64 *addr, __u8 *frame,
		    __u32 *len, int ms)
{
	struct pollfd pfd[QMAX];
	struct timespec t0;
	__u32 q, i, n;
	long left;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		for (q = 0; q < m->nq; q++) {
			struct gq *g = &m->q[q];
			struct vmq_desc *d;
			__u16 flags;

			if (!g->started)
				continue;
			i = g->rx_head;
			d = &g->rx[i];
			flags = __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE);
			if (!(flags & VMQ_DESC_F_DONE))
				continue;
			*qout = q;
			*addr = le64toh(d->addr);
			*len = le32toh(d->len);
			if (flags & VMQ_DESC_F_ERR)
				*len |= 1U << 31;
			else
				memcpy(frame, g->mem + (g->posted[i] - g->iova),
				       *len < BUF_LEN ? *len : BUF_LEN);
			rx_post_q(g, g->rx_tail);
			g->rx_head = (i + 1) % m->nd;
			g->rx_tail = (g->rx_tail + 1) % m->nd;
			wr(&m->v, VMQ_REG_Q(q, VMQ_REG_RX_TAIL), g->rx_tail);
			return true;
		}
		left = ms - ms_since(&t0);
		if (left <= 0)
			return false;
		for (q = n = 0; q < m->nq; q++)
			if (m->q[q].started) {
				pfd[n].fd = m->q[q].rxfd;
				pfd[n++].events = POLLIN;
			}
		if (poll(pfd, n, left) <= 0)
			return false;
		for (q = 0; q < m->nq; q++)
			if (m->q[q].started)
				m->q[q].rx_irqs += irqs_read(m->q[q].rxfd);
	}
}

/* Judge one completion on queue @q: where it landed, its addr, its bytes. */
static void judge(struct tally *t, int q, __u64 addr,
		  const __u8 *f, __u32 len, __u64 buf_iova, const char *name)
{
	struct sent *s;
	__u32 seq;
	__u64 want;

	t->comp[q]++;
	if (len >> 31) {
		t->errs++;
		show("%s: queue %d: a completion with DESC_F_ERR (len %u)",
		     name, q, len & ~(1U << 31));
		return;
	}
	seq = frame_seq(f, len);
	if (!seq) {
		t->foreign++;
		return;
	}
	if (seq == ~0U) {
		t->damaged++;
		show("%s: queue %d: a frame of ours of %u bytes, damaged", name,
		     q, len);
		return;
	}
	s = &sent[seq];
	s->got++;
	s->got_q = q;
	t->mine[q]++;
	if (q != s->q) {
		t->wrong_q++;
		show("%s: frame %u (hash %#x, entry %u) on queue %d, want %d",
		     name, seq, s->hash, s->hash % VMQ_RSS_TABLE_SIZE, q, s->q);
	}
	if (!s->check_addr)
		return;
	want = t->expect_hash ? s->hash | (__u64)s->type << 32 : buf_iova;
	if (s->type_only && t->expect_hash && addr >> 32 == s->type)
		return;
	if (addr != want) {
		t->wrong_addr++;
		show("%s: frame %u on queue %d: addr %#llx, want %#llx", name,
		     seq, q, (unsigned long long)addr,
		     (unsigned long long)want);
	}
}

/*
 * Receive until the frames numbered [@first, @last] all arrived or
 * nothing came for the timeout, then what else comes within @extra_ms.
 */
static void collect(struct mq *m, struct tally *t, __u32 first, __u32 last,
		    int extra_ms, const char *name)
{
	__u8 frame[BUF_LEN];
	__u32 len, seq, missing;
	__u64 addr, buf;
	int q;

	for (;;) {
		for (missing = 0, seq = first; seq <= last; seq++)
			missing += !sent[seq].got;
		if (!mq_next(m, &q, &addr, frame, &len,
			     missing ? m->v.timeout : extra_ms))
			break;
		/* The buffer the device was given: what the guest posted. */
		buf = m->q[q].posted[(m->q[q].rx_head + m->nd - 1) % m->nd];
		judge(t, q, addr, frame, len, buf, name);
	}
}

/* Frames of [@first, @last] not received, and received more than once. */
static void lost_dups(__u32 first, __u32 last, int *lost, int *dups)
{
	*lost = 0;
	*dups = 0;
	for (; first <= last; first++) {
		*lost += !sent[first].got;
		*dups += sent[first].got > 1;
	}
}

/* The per-case verdicts on where frames landed and how. */
static void verdicts(struct tally *t, __u32 first, __u32 last,
		     const char *name)
{
	int lost, dups;

	lost_dups(first, last, &lost, &dups);
	check(!lost && !dups && !t->damaged && !t->errs,
	      "%s: %u frames received once each, intact (%d lost, %d twice, %d damaged, %d with ERR)",
	      name, last - first + 1, lost, dups, t->damaged, t->errs);
	check(!t->wrong_q,
	      "%s: each on the queue the reference hash and the table pick (%d elsewhere)",
	      name, t->wrong_q);
	check(!t->wrong_addr, "%s: completions' addr %s (%d wrong)", name,
	      t->expect_hash ? "= hash | type << 32" : "= the buffer's IOVA",
	      t->wrong_addr);
}

/* The queues' RX_PACKETS now. */
static void rx_counts(struct mq *m, __u64 *c, int n)
{
	__u32 q;

	for (q = 0; q < m->nq; q++)
		c[q] = qcounter(m, q, n);
}

/*
 * Per-queue counter @n moved by what the tally says (@want per queue),
 * and the device's counter by their sum.  The counters move at the end
 * of a batch: wait for them a while.
 */
static void counters_match(struct mq *m, int n, const __u64 *before_q,
			   __u64 before, const int *want, const char *name,
			   const char *what)
{
	__u64 now[QMAX], sum = 0, sum0 = 0, total;
	struct timespec t0;
	bool ok;
	__u32 q;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		rx_counts(m, now, n);
		for (ok = true, q = 0; q < m->nq; q++)
			ok &= now[q] - before_q[q] == (__u64)want[q];
		if (ok)
			break;
		usleep(10000);
	} while (ms_since(&t0) < m->v.timeout);
	for (q = 0; q < m->nq; q++) {
		check(now[q] - before_q[q] == (__u64)want[q],
		      "%s: QCOUNTER(%u, %s) moved by %llu, want %d", name, q,
		      what, (unsigned long long)(now[q] - before_q[q]),
		      want[q]);
		sum += now[q];
		sum0 += before_q[q];
	}
	total = counter(&m->v, n);
	check(total - before == sum - sum0 && total == sum,
	      "%s: COUNTER(%s) %llu is the queues' sum %llu (moved by %llu)",
	      name, what, (unsigned long long)total, (unsigned long long)sum,
	      (unsigned long long)(total - before));
}

/* Snapshot of the receive counters before a case. */
struct snap {
	__u64 q[QMAX], all, drops_q[QMAX], drops;
};

static void snap_take(struct mq *m, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	rx_counts(m, s->q, VMQ_CNT_RX_PACKETS);
	rx_counts(m, s->drops_q, VMQ_CNT_RX_DROPS);
	s->all = counter(&m->v, VMQ_CNT_RX_PACKETS);
	s->drops = counter(&m->v, VMQ_CNT_RX_DROPS);
}

/* Send @n flows of kinds cycling through @kinds, ports from @port. */
static __u32 send_flows(struct mq *m, const enum kind *kinds, int nkinds,
			int n, __u16 port)
{
	__u32 first = nsent + 1;
	int i;

	for (i = 0; i < n; i++)
		send_one(m, m->v.mac, kinds[i % nkinds], port + i);
	return first;
}

/*
 * Send @n flows in batches the rings and FIFOs hold, collecting each
 * batch: the number of the first.
 */
static __u32 flows_rx(struct mq *m, struct tally *t, const enum kind *kinds,
		      int nkinds, int n, __u16 port, const char *name)
{
	__u32 first = nsent + 1, b;
	int k, batch;

	for (k = 0; k < n; k += batch) {
		batch = n - k < 32 ? n - k : 32;
		b = send_flows(m, kinds, nkinds, batch, port + k);
		collect(m, t, b, nsent, 0, name);
	}
	return first;
}

static const enum kind udp_tcp4[] = { K_UDP4, K_TCP4 };
static const enum kind udp_tcp6[] = { K_UDP6, K_TCP6 };
static const enum kind all_l4[] = { K_UDP4, K_TCP4, K_UDP6, K_TCP6 };

/* --- cases ---------------------------------------------------------------- */

static void case_info(struct mq *m)
{
	struct vfio_irq_info irq = { .argsz = sizeof(irq) };
	static const struct {
		int index;
		const char *name;
		__u32 count;
	} irqs[] = {
		{ VMQ_VFIO_IRQ_RX, "RX", NQ_WANT },
		{ VMQ_VFIO_IRQ_TX, "TX", NQ_WANT },
		{ VMQ_VFIO_IRQ_ERR, "ERR", 1 },
		{ VMQ_VFIO_IRQ_REQ, "REQ", 1 },
	};
	__u32 feat = rd(&m->v, VMQ_REG_FEATURES), want, q;
	int fds[QMAX + 1], err;
	size_t i;

	check(rd(&m->v, VMQ_REG_VERSION) == VMQ_VFIO_VERSION,
	      "info: VERSION %u", rd(&m->v, VMQ_REG_VERSION));
	want = VMQ_FEAT_RSS | VMQ_FEAT_RX_HASH;
	check((feat & want) == want,
	      "info: FEATURES %#x has RSS and RX_HASH (%#x)", feat, want);
	check(rd(&m->v, VMQ_REG_QUEUES) == NQ_WANT && m->nq == NQ_WANT,
	      "info: QUEUES %u, want %d", rd(&m->v, VMQ_REG_QUEUES), NQ_WANT);
	for (i = 0; i < ARRAY_SIZE(irqs); i++) {
		irq.index = irqs[i].index;
		irq.count = 0;
		err = ioctl(m->v.dev, VFIO_DEVICE_GET_IRQ_INFO, &irq) ? -errno : 0;
		check(!err && irq.count == irqs[i].count &&
		      (irq.flags & VFIO_IRQ_INFO_EVENTFD),
		      "info: IRQ %s: count %u (want %u), flags %#x: %s",
		      irqs[i].name, irq.count, irqs[i].count, irq.flags,
		      strerror(-err));
	}
	/* One eventfd more than the RX subindexes: refused. */
	for (q = 0; q <= m->nq; q++)
		fds[q] = m->q[q < m->nq ? q : 0].rxfd;
	err = set_irqs_err(m, VMQ_VFIO_IRQ_RX, fds, m->nq + 1);
	check(err == -EINVAL, "info: SET_IRQS RX with %u eventfds refused: %s",
	      m->nq + 1, strerror(-err));
	set_queue_irqs(m);
	/* Queue 0's registers are also at the single queue offsets. */
	wr(&m->v, VMQ_REG_CONTROL, VMQ_CTRL_RESET);
	wr(&m->v, VMQ_REG_RX_SIZE, 128);
	wr(&m->v, VMQ_REG_Q(1, VMQ_REG_RX_SIZE), 64);
	check(rd(&m->v, VMQ_REG_Q(0, VMQ_REG_RX_SIZE)) == 128 &&
	      rd(&m->v, VMQ_REG_Q(1, VMQ_REG_RX_SIZE)) == 64 &&
	      rd(&m->v, VMQ_REG_RX_SIZE) == 128,
	      "info: RX_SIZE and VMQ_REG_Q(0, RX_SIZE) are one register, queue 1's its own (%u %u %u)",
	      rd(&m->v, VMQ_REG_RX_SIZE), rd(&m->v, VMQ_REG_Q(0, VMQ_REG_RX_SIZE)),
	      rd(&m->v, VMQ_REG_Q(1, VMQ_REG_RX_SIZE)));
	wr(&m->v, VMQ_REG_CONTROL, VMQ_CTRL_RESET);
	check(!rd(&m->v, VMQ_REG_Q(1, VMQ_REG_RX_SIZE)) &&
	      !rd(&m->v, VMQ_REG_RX_SIZE) && !rd(&m->v, VMQ_REG_STATUS),
	      "info: RESET clears every queue's ring registers");
	printf("info: %u queues, rings %u..%u, max_frame %u\n", m->nq,
	       rd(&m->v, VMQ_REG_RING_MIN), rd(&m->v, VMQ_REG_RING_MAX),
	       rd(&m->v, VMQ_REG_MAX_FRAME));
}

/* A device of the single queue pair type: as it was before VMMQ. */
static void case_single(struct mq *m)
{
	struct vfio_irq_info irq = { .argsz = sizeof(irq) };
	__u32 feat = rd(&m->v, VMQ_REG_FEATURES);
	int index, err;

	check(!(feat & (VMQ_FEAT_RSS | VMQ_FEAT_RX_HASH)) &&
	      rd(&m->v, VMQ_REG_QUEUES) == 1,
	      "single: FEATURES %#x without RSS and RX_HASH, QUEUES %u",
	      feat, rd(&m->v, VMQ_REG_QUEUES));
	for (index = VMQ_VFIO_IRQ_RX; index <= VMQ_VFIO_IRQ_TX; index++) {
		irq.index = index;
		irq.count = 0;
		err = ioctl(m->v.dev, VFIO_DEVICE_GET_IRQ_INFO, &irq) ? -errno : 0;
		check(!err && irq.count == 1, "single: IRQ %s count %u",
		      index == VMQ_VFIO_IRQ_RX ? "RX" : "TX", irq.count);
	}
}

/* Every queue's RX interrupt fired for the queues @want says. */
static void irqs_fired(struct mq *m, const int *want, const char *name)
{
	struct timespec t0;
	__u32 q;

	for (q = 0; q < m->nq; q++) {
		struct gq *g = &m->q[q];

		/* The interrupt comes after the batch's completions. */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (want[q] && !g->rx_irqs && ms_since(&t0) < m->v.timeout) {
			g->rx_irqs += irqs_read(g->rxfd);
			if (!g->rx_irqs)
				usleep(10000);
		}
		g->rx_irqs += irqs_read(g->rxfd);
		check(want[q] ? g->rx_irqs > 0 : !g->rx_irqs,
		      "%s: queue %u's RX eventfd (subindex %u) fired %llu times for its %d frames",
		      name, q, q, (unsigned long long)g->rx_irqs, want[q]);
	}
}

static void irqs_reset(struct mq *m)
{
	__u32 q;

	for (q = 0; q < m->nq; q++) {
		m->q[q].rx_irqs = 0;
		m->q[q].tx_irqs = 0;
	}
}

static void case_rss(struct mq *m)
{
	static const enum kind l3[] = { K_FRAG4, K_IP4 };
	static const enum kind raw[] = { K_RAW };
	int want[QMAX] = { 0 }, lo, hi, total = 0;
	struct tally t = { .expect_hash = true };
	__u32 first, q;
	struct snap s;

	shown = 0;
	mq_setup(m, all_queues(m), VMQ_CTRL_ENABLE | VMQ_CTRL_RX_HASH);
	check(rd(&m->v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED,
	      "rss: enabled with RX_HASH (status %#x)",
	      rd(&m->v, VMQ_REG_STATUS));
	irqs_reset(m);
	snap_take(m, &s);
	first = flows_rx(m, &t, udp_tcp4, 2, 256, 1000, "rss");
	flows_rx(m, &t, udp_tcp6, 2, 32, 2000, "rss");
	for (q = 0; q < m->nq; q++)
		total += t.mine[q];
	/* 288 flows of distinct ports: a quarter each, give or take. */
	lo = total * (100 - TOLERANCE) / 100 / 4;
	hi = total * (100 + TOLERANCE) / 100 / 4;
	for (q = 0; q < m->nq; q++)
		check(t.mine[q] >= lo && t.mine[q] <= hi,
		      "rss: queue %u got %d of %d TCP/UDP flows (%d..%d)", q,
		      t.mine[q], total, lo, hi);
	flows_rx(m, &t, l3, 2, 4, 3000, "rss");
	flows_rx(m, &t, raw, 1, 2, 0, "rss");
	verdicts(&t, first, nsent, "rss");
	check(sent[nsent].got && sent[nsent - 1].got &&
	      sent[nsent].got_q == m->table[0] % m->nq &&
	      sent[nsent - 1].got_q == m->table[0] % m->nq,
	      "rss: non-IP frames on queue table[0] = %u (with type NONE: see addr above)",
	      m->table[0] % m->nq);
	irqs_fired(m, t.comp, "rss");
	for (q = 0; q < m->nq; q++)
		want[q] = t.comp[q];
	counters_match(m, VMQ_CNT_RX_PACKETS, s.q, s.all, want, "rss",
		       "RX_PACKETS");
}

/* A UDP/IPv4 source port whose flow the table sends to a queue not 0. */
static __u16 port_for_queue(struct mq *m, __u32 q)
{
	__u16 p;

	for (p = 5000; p < 6000; p++)
		if (pick(m, ref_hash(false, p, DPORT, true), false) == (int)q)
			return p;
	return 5000;
}

static void case_one_flow(struct mq *m)
{
	struct tally t = { .expect_hash = true };
	__u32 first, q, want_q;
	__u16 port;
	int k;

	shown = 0;
	mq_setup(m, all_queues(m), VMQ_CTRL_ENABLE | VMQ_CTRL_RX_HASH);
	irqs_reset(m);
	port = port_for_queue(m, m->nq - 1);
	want_q = pick(m, ref_hash(false, port, DPORT, true), false);
	first = nsent + 1;
	for (k = 0; k < 32; k++)
		send_one(m, m->v.mac, K_UDP4, port);
	collect(m, &t, first, nsent, 200, "one-flow");
	verdicts(&t, first, nsent, "one-flow");
	check(t.mine[want_q] == 32,
	      "one-flow: all 32 frames of UDP port %u on queue %u (%d %d %d %d)",
	      port, want_q, t.mine[0], t.mine[1], t.mine[2], t.mine[3]);
	for (q = 0; q < m->nq; q++)
		t.comp[q] = t.mine[q];
	irqs_fired(m, t.comp, "one-flow");
}

/* A second device (-x) of this NIC: receives, and must get nothing. */
static void other_open(struct mq *o, struct snap *s)
{
	mq_open(o, other_uuid);
	mq_setup(o, all_queues(o), VMQ_CTRL_ENABLE);
	snap_take(o, s);
}

static void other_check(struct mq *o, const struct snap *s)
{
	struct tally t = { 0 };
	__u8 frame[BUF_LEN];
	__u32 len, q, mine = 0;
	__u64 addr, drops = 0;
	int qq;

	while (mq_next(o, &qq, &addr, frame, &len, 300))
		judge(&t, qq, addr, frame, len, 0, "table: other device");
	for (q = 0; q < o->nq; q++) {
		mine += t.mine[q];
		drops += qcounter(o, q, VMQ_CNT_RX_DROPS) - s->drops_q[q];
	}
	check(!mine && !t.damaged && !drops &&
	      counter(&o->v, VMQ_CNT_RX_DROPS) == s->drops,
	      "table: the other device %s got none of them (%u frames, %llu drops)",
	      o->v.uuid, mine, (unsigned long long)drops);
	mq_close(o);
}

static void case_table(struct mq *m)
{
	static const __u8 high[] = { 0xff, 0x07, 4, 5, 6, 7, 0x80, 0x0a };
	static const enum kind raw[] = { K_RAW };
	__u8 table[VMQ_RSS_TABLE_SIZE];
	struct tally t = { .expect_hash = true };
	struct mq other;
	struct snap os;
	__u32 part, i, seq;
	int k, spread;

	shown = 0;
	mq_setup(m, all_queues(m), VMQ_CTRL_ENABLE | VMQ_CTRL_RX_HASH);
	snap_take(m, &os);
	flows_rx(m, &t, all_l4, 4, 32, 7000, "table");
	for (spread = 0, i = 0; i < m->nq; i++)
		spread += t.mine[i] > 0;

	/* Table registers written, not loaded: the old table holds. */
	memset(table, 1, sizeof(table));
	rss_write(m, table, false);
	part = flows_rx(m, &t, all_l4, 4, 16, 7050, "table");
	verdicts(&t, part, nsent, "table: written, not loaded");

	/* Every entry 2, loaded while the queues run. */
	memset(table, 2, sizeof(table));
	rss_load(m, table);
	memset(&t.mine, 0, sizeof(t.mine));
	part = flows_rx(m, &t, all_l4, 4, 64, 7100, "table");
	seq = flows_rx(m, &t, raw, 1, 1, 0, "table");
	check(sent[seq].got && sent[seq].got_q == 2,
	      "table: a non-IP frame on queue 2, table[0]");
	check(t.mine[2] == 65 && spread == (int)m->nq,
	      "table: before the reload on %d queues; after it every entry 2: %d of 65 frames on queue 2 (%d %d %d %d)",
	      spread, t.mine[2], t.mine[0], t.mine[1], t.mine[2], t.mine[3]);
	/* Broadcast goes to queue 0, whatever the table. */
	seq = send_one(m, bcast, K_UDP4, 7200);
	collect(m, &t, seq, seq, 0, "table");
	check(sent[seq].got == 1 && sent[seq].got_q == 0,
	      "table: a broadcast UDP frame lands on queue 0 (on %d)",
	      sent[seq].got ? sent[seq].got_q : -1);
	verdicts(&t, part, nsent, "table: all entries 2");

	/* Entries of 4 and more: modulo QUEUES, nothing leaves the device. */
	if (other_uuid)
		other_open(&other, &os);
	for (i = 0; i < VMQ_RSS_TABLE_SIZE; i++)
		table[i] = high[i % ARRAY_SIZE(high)];
	rss_load(m, table);
	memset(&t.mine, 0, sizeof(t.mine));
	part = flows_rx(m, &t, all_l4, 4, 128, 7300, "table");
	seq = flows_rx(m, &t, raw, 1, 1, 0, "table");
	check(sent[seq].got && sent[seq].got_q == high[0] % m->nq,
	      "table: a non-IP frame on queue %u, table[0] %#x %% %u",
	      high[0] % m->nq, high[0], m->nq);
	verdicts(&t, part, nsent, "table: entries 4 and more");
	for (spread = 0, k = 0; k < (int)m->nq; k++)
		spread += t.mine[k] > 0;
	check(spread == (int)m->nq,
	      "table: entries 0xff 0x07 4 5 6 7 0x80 0x0a reach queues %d %d %d %d (entry %% %u)",
	      t.mine[0], t.mine[1], t.mine[2], t.mine[3], m->nq);
	if (other_uuid)
		other_check(&other, &os);
}

static void case_noqueue(struct mq *m)
{
	struct tally t = { .expect_hash = true };
	int want[QMAX] = { 0 }, drops[QMAX] = { 0 };
	__u32 first, seq, dead = m->nq - 1, q;
	struct snap s;

	shown = 0;
	/* Queue 3's ring sizes left 0: ENABLE does not start it. */
	mq_setup(m, all_queues(m) & ~(1U << dead),
		 VMQ_CTRL_ENABLE | VMQ_CTRL_RX_HASH);
	check(rd(&m->v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED &&
	      !rd(&m->v, VMQ_REG_Q(dead, VMQ_REG_Q_ERROR)),
	      "noqueue: enabled without queue %u, no error (status %#x)", dead,
	      rd(&m->v, VMQ_REG_STATUS));
	irqs_reset(m);
	snap_take(m, &s);
	first = nsent + 1;
	send_flows(m, udp_tcp4, 2, 64, 8000);
	/* Frames for the dead queue never come: no waiting for them. */
	for (seq = first; seq <= nsent; seq++)
		if (sent[seq].q == (int)dead)
			sent[seq].got = 1;
	collect(m, &t, first, nsent, 300, "noqueue");
	for (seq = first; seq <= nsent; seq++)
		if (sent[seq].q == (int)dead)
			drops[dead]++;
	verdicts(&t, first, nsent, "noqueue");
	check(!t.comp[dead] && drops[dead] > 0,
	      "noqueue: nothing on queue %u, %d frames hashed to it", dead,
	      drops[dead]);
	for (q = 0; q < m->nq; q++)
		want[q] = t.comp[q];
	counters_match(m, VMQ_CNT_RX_PACKETS, s.q, s.all, want, "noqueue",
		       "RX_PACKETS");
	counters_match(m, VMQ_CNT_RX_DROPS, s.drops_q, s.drops, drops,
		       "noqueue", "RX_DROPS");
}

/* Transmit one frame on queue @q from @src; its descriptor's flags. */
static int tx_one(struct mq *m, __u32 q, const __u8 *src, __u32 len,
		  __u8 *frame)
{
	struct gq *g = &m->q[q];
	__u32 i = g->tx_tail, b = i % Q_TX_NBUF;
	__u8 *buf = g->mem + Q_TX_BUFS + (size_t)b * BUF_LEN;
	struct vmq_desc *d = &g->tx[i];
	struct pollfd pfd = { .fd = g->txfd, .events = POLLIN };
	struct timespec t0;
	__u16 flags;

	make_frame(&m->v, buf, wire_mac, src, len);
	memcpy(frame, buf, len);
	d->addr = htole64(g->iova + Q_TX_BUFS + (__u64)b * BUF_LEN);
	d->len = htole32(len);
	d->rsvd = 0;
	__atomic_store_n(&d->flags, 0, __ATOMIC_RELEASE);
	g->tx_tail = (i + 1) % m->nd;
	wr(&m->v, VMQ_REG_Q(q, VMQ_REG_TX_TAIL), g->tx_tail);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!((flags = __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE)) &
		 VMQ_DESC_F_DONE)) {
		if (ms_since(&t0) > m->v.timeout)
			return -1;
		if (poll(&pfd, 1, 100) > 0)
			g->tx_irqs += irqs_read(g->txfd);
	}
	return flags;
}

/* The TX eventfd of @q fired (within the timeout), no other's did. */
static bool tx_irq_only(struct mq *m, __u32 q)
{
	struct timespec t0;
	bool others = false;
	__u32 o;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!m->q[q].tx_irqs && ms_since(&t0) < m->v.timeout) {
		m->q[q].tx_irqs += irqs_read(m->q[q].txfd);
		if (!m->q[q].tx_irqs)
			usleep(10000);
	}
	for (o = 0; o < m->nq; o++)
		if (o != q) {
			m->q[o].tx_irqs += irqs_read(m->q[o].txfd);
			others |= m->q[o].tx_irqs > 0;
		}
	return m->q[q].tx_irqs && !others;
}

/* Queue @q sends a frame from the admin's MAC; the partner gets it. */
static void tx_queue(struct mq *m, __u32 q, const char *name)
{
	static const __u8 other[ETH_ALEN] = { 0x02, 0x66, 0x66, 0x66, 0x66, 0x66 };
	__u8 frame[ETH_FRAME_LEN], got[ETH_FRAME_LEN + 8];
	__u64 before = qcounter(m, q, VMQ_CNT_TX_PACKETS);
	__u64 spoofed = qcounter(m, q, VMQ_CNT_TX_SPOOFED);
	__u32 len = test_len(q + 1), o;
	struct timespec t0;
	ssize_t n;
	__u16 vlan;
	int flags;

	irqs_reset(m);
	for (o = 0; o < m->nq; o++)
		drain_irq_fd(m->q[o].txfd);
	wire_drain(&wire);
	flags = tx_one(m, q, m->v.mac, len, frame);
	check(flags >= 0 && !(flags & VMQ_DESC_F_ERR),
	      "%s: queue %u: transmit completed, flags %#x", name, q, flags);
	n = wire_recv(&wire, got, &vlan, m->v.timeout);
	check(n == (ssize_t)len && !memcmp(got, frame, len),
	      "%s: queue %u: the partner got the %u-byte frame intact (%zd bytes)",
	      name, q, len, n);
	check(tx_irq_only(m, q),
	      "%s: queue %u: its TX eventfd (subindex %u) fired, no other queue's",
	      name, q, q);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (qcounter(m, q, VMQ_CNT_TX_PACKETS) == before &&
	       ms_since(&t0) < m->v.timeout)
		usleep(10000);
	check(qcounter(m, q, VMQ_CNT_TX_PACKETS) - before == 1,
	      "%s: queue %u: QCOUNTER(%u, TX_PACKETS) moved by %llu", name, q,
	      q, (unsigned long long)(qcounter(m, q, VMQ_CNT_TX_PACKETS) - before));
	if (q != m->nq - 1)
		return;
	/* Anti-spoofing is the device's: on every queue. */
	flags = tx_one(m, q, other, 60, frame);
	check(flags >= 0 && (flags & VMQ_DESC_F_ERR) &&
	      qcounter(m, q, VMQ_CNT_TX_SPOOFED) - spoofed == 1 &&
	      wire_recv(&wire, got, &vlan, 300) < 0,
	      "%s: queue %u: a frame from another MAC completes with ERR, counted in TX_SPOOFED, not sent",
	      name, q);
}

static void case_tx(struct mq *m)
{
	__u64 before = counter(&m->v, VMQ_CNT_TX_PACKETS);
	__u32 q;

	mq_setup(m, all_queues(m), VMQ_CTRL_ENABLE | VMQ_CTRL_RX_HASH);
	for (q = 0; q < m->nq; q++)
		tx_queue(m, q, "tx");
	for (q = 0; q < m->nq; q++)
		check(rd(&m->v, VMQ_REG_Q(q, VMQ_REG_TX_HEAD)) == m->q[q].tx_tail,
		      "tx: queue %u: TX_HEAD %u, want %u", q,
		      rd(&m->v, VMQ_REG_Q(q, VMQ_REG_TX_HEAD)), m->q[q].tx_tail);
	check(counter(&m->v, VMQ_CNT_TX_PACKETS) - before == m->nq,
	      "tx: COUNTER(TX_PACKETS) moved by %llu, want %u",
	      (unsigned long long)(counter(&m->v, VMQ_CNT_TX_PACKETS) - before),
	      m->nq);
}

/*
 * Frames to every queue, from UDP/IPv4 and TCP/IPv4 port @port on: each
 * queue but @bad delivers, intact, and @bad nothing.  Return: how many
 * were for @bad.
 */
static int others_receive(struct mq *m, __u32 bad, __u16 port,
			  const char *name)
{
	struct tally t = { .expect_hash = true };
	__u32 first = nsent + 1, seq, q;
	bool others = true;
	int n = 0;

	send_flows(m, udp_tcp4, 2, 64, port);
	for (seq = first; seq <= nsent; seq++)
		if (sent[seq].q == (int)bad) {
			sent[seq].got = 1;
			n++;
		}
	collect(m, &t, first, nsent, 300, name);
	verdicts(&t, first, nsent, name);
	for (q = 0; q < m->nq; q++)
		others &= q == bad || t.mine[q] > 0;
	check(!t.comp[bad] && n > 0 && others,
	      "%s: the other queues receive (%d %d %d %d), queue %u nothing of its %d",
	      name, t.mine[0], t.mine[1], t.mine[2], t.mine[3], bad, n);
	return n;
}

static void case_queue_error(struct mq *m)
{
	__u64 errs = counter(&m->v, VMQ_CNT_ERRORS), drops;
	struct tally t = { .expect_hash = true };
	__u32 bad = 2, q, first, st;
	struct timespec t0;
	int n;

	shown = 0;
	mq_setup(m, all_queues(m), VMQ_CTRL_ENABLE | VMQ_CTRL_RX_HASH);
	wr(&m->v, VMQ_REG_Q(bad, VMQ_REG_RX_TAIL), m->nd);
	check(wait_irq(&m->v, VMQ_VFIO_IRQ_ERR, m->v.timeout),
	      "queue-error: the error interrupt fired");
	st = rd(&m->v, VMQ_REG_STATUS);
	check(rd(&m->v, VMQ_REG_Q(bad, VMQ_REG_Q_ERROR)) == VMQ_ERR_RING_INDEX,
	      "queue-error: Q_ERROR of queue %u reads %u (want RING_INDEX %u)",
	      bad, rd(&m->v, VMQ_REG_Q(bad, VMQ_REG_Q_ERROR)),
	      VMQ_ERR_RING_INDEX);
	for (q = 0; q < m->nq; q++)
		if (q != bad)
			check(!rd(&m->v, VMQ_REG_Q(q, VMQ_REG_Q_ERROR)),
			      "queue-error: Q_ERROR of queue %u reads %u (want 0)",
			      q, rd(&m->v, VMQ_REG_Q(q, VMQ_REG_Q_ERROR)));
	check(st == (VMQ_STATUS_ERROR | VMQ_STATUS_ENABLED) &&
	      rd(&m->v, VMQ_REG_ERROR) == VMQ_ERR_RING_INDEX,
	      "queue-error: STATUS %#x has ERROR and, the others running, ENABLED; ERROR reads %u",
	      st, rd(&m->v, VMQ_REG_ERROR));
	check(counter(&m->v, VMQ_CNT_ERRORS) - errs == 1,
	      "queue-error: COUNTER(ERRORS) moved by %llu",
	      (unsigned long long)(counter(&m->v, VMQ_CNT_ERRORS) - errs));

	/* The other queues go on; queue 2 writes nothing. */
	drops = qcounter(m, bad, VMQ_CNT_RX_DROPS);
	n = others_receive(m, bad, 9000, "queue-error");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (qcounter(m, bad, VMQ_CNT_RX_DROPS) - drops < (__u64)n &&
	       ms_since(&t0) < m->v.timeout)
		usleep(10000);
	check(qcounter(m, bad, VMQ_CNT_RX_DROPS) - drops == (__u64)n,
	      "queue-error: QCOUNTER(%u, RX_DROPS) moved by %llu, want %d", bad,
	      (unsigned long long)(qcounter(m, bad, VMQ_CNT_RX_DROPS) - drops), n);

	wr(&m->v, VMQ_REG_CONTROL, VMQ_CTRL_RESET);
	for (st = 0, q = 0; q < m->nq; q++)
		st |= rd(&m->v, VMQ_REG_Q(q, VMQ_REG_Q_ERROR));
	check(!st && !rd(&m->v, VMQ_REG_STATUS) && !rd(&m->v, VMQ_REG_ERROR),
	      "queue-error: RESET clears it: Q_ERRORs %#x, STATUS %#x, ERROR %u",
	      st, rd(&m->v, VMQ_REG_STATUS), rd(&m->v, VMQ_REG_ERROR));
	/* And all four work again. */
	memset(&t, 0, sizeof(t));
	t.expect_hash = true;
	mq_setup(m, all_queues(m), VMQ_CTRL_ENABLE | VMQ_CTRL_RX_HASH);
	first = flows_rx(m, &t, udp_tcp4, 2, 32, 9100, "queue-error");
	verdicts(&t, first, nsent, "queue-error: after the reset");
	check(t.mine[0] && t.mine[1] && t.mine[2] && t.mine[3],
	      "queue-error: after the reset every queue receives (%d %d %d %d)",
	      t.mine[0], t.mine[1], t.mine[2], t.mine[3]);
}

/*
 * Frames to every queue, from UDP/IPv4 and TCP/IPv4 port @port on: none
 * may be delivered, on any queue.
 */
static void none_receive(struct mq *m, __u16 port, const char *name)
{
	struct tally t = { .expect_hash = true };
	__u32 first = nsent + 1, seq;

	send_flows(m, udp_tcp4, 2, 64, port);
	for (seq = first; seq <= nsent; seq++)
		sent[seq].got = 1;
	collect(m, &t, first, nsent, 1000, name);
	check(!t.comp[0] && !t.comp[1] && !t.comp[2] && !t.comp[3],
	      "%s: no queue delivers (%d %d %d %d)", name, t.comp[0],
	      t.comp[1], t.comp[2], t.comp[3]);
}

static void case_enable_error(struct mq *m)
{
	__u32 q, st, ctrl;

	shown = 0;
	/* Queues 1-3 valid; queue 0's receive ring not a power of 2. */
	mq_setup(m, all_queues(m), 0);
	wr(&m->v, VMQ_REG_Q(0, VMQ_REG_RX_SIZE), m->nd - 1);
	wr(&m->v, VMQ_REG_CONTROL, VMQ_CTRL_ENABLE | VMQ_CTRL_RX_HASH);
	check(wait_irq(&m->v, VMQ_VFIO_IRQ_ERR, m->v.timeout),
	      "enable-error: the error interrupt fired");
	st = rd(&m->v, VMQ_REG_STATUS);
	ctrl = rd(&m->v, VMQ_REG_CONTROL);
	check(rd(&m->v, VMQ_REG_Q(0, VMQ_REG_Q_ERROR)) == VMQ_ERR_RING_CFG &&
	      st == VMQ_STATUS_ERROR && !(ctrl & VMQ_CTRL_ENABLE),
	      "enable-error: Q_ERROR of queue 0 %u (want RING_CFG %u), STATUS %#x (want ERROR only), CONTROL %#x (want ENABLE clear)",
	      rd(&m->v, VMQ_REG_Q(0, VMQ_REG_Q_ERROR)), VMQ_ERR_RING_CFG, st,
	      ctrl);
	for (q = 1; q < m->nq; q++)
		check(!rd(&m->v, VMQ_REG_Q(q, VMQ_REG_Q_ERROR)),
		      "enable-error: Q_ERROR of queue %u reads %u (want 0)", q,
		      rd(&m->v, VMQ_REG_Q(q, VMQ_REG_Q_ERROR)));
	none_receive(m, 11000, "enable-error: after ENABLE");
	wr(&m->v, VMQ_REG_CONTROL, VMQ_CTRL_RX_HASH);
	none_receive(m, 11100, "enable-error: after ENABLE cleared");
	check(rd(&m->v, VMQ_REG_Q(0, VMQ_REG_Q_ERROR)) == VMQ_ERR_RING_CFG,
	      "enable-error: queue 0 keeps its error (%u)",
	      rd(&m->v, VMQ_REG_Q(0, VMQ_REG_Q_ERROR)));
	wr(&m->v, VMQ_REG_CONTROL, VMQ_CTRL_RESET);
}

static void case_disable_error(struct mq *m)
{
	__u32 ctrl;

	shown = 0;
	mq_setup(m, all_queues(m), VMQ_CTRL_ENABLE | VMQ_CTRL_RX_HASH);
	wr(&m->v, VMQ_REG_Q(0, VMQ_REG_RX_TAIL), m->nd);
	check(wait_irq(&m->v, VMQ_VFIO_IRQ_ERR, m->v.timeout) &&
	      rd(&m->v, VMQ_REG_Q(0, VMQ_REG_Q_ERROR)) == VMQ_ERR_RING_INDEX,
	      "disable-error: queue 0 in error %u (want RING_INDEX %u)",
	      rd(&m->v, VMQ_REG_Q(0, VMQ_REG_Q_ERROR)), VMQ_ERR_RING_INDEX);
	/* Queues 1-3 go on... */
	others_receive(m, 0, 11200, "disable-error");
	/* ...until the guest clears ENABLE. */
	wr(&m->v, VMQ_REG_CONTROL, VMQ_CTRL_RX_HASH);
	ctrl = rd(&m->v, VMQ_REG_CONTROL);
	check(!(ctrl & VMQ_CTRL_ENABLE),
	      "disable-error: CONTROL %#x once ENABLE cleared", ctrl);
	none_receive(m, 11300, "disable-error: after ENABLE cleared");
	wr(&m->v, VMQ_REG_CONTROL, VMQ_CTRL_RESET);
}

static void case_nohash(struct mq *m)
{
	struct tally t = { .expect_hash = false };
	__u32 first;

	shown = 0;
	mq_setup(m, all_queues(m), VMQ_CTRL_ENABLE);
	first = flows_rx(m, &t, all_l4, 4, 64, 10000, "nohash");
	verdicts(&t, first, nsent, "nohash");
	check(t.mine[0] && t.mine[1] && t.mine[2] && t.mine[3],
	      "nohash: RSS spreads all the same (%d %d %d %d)", t.mine[0],
	      t.mine[1], t.mine[2], t.mine[3]);
}

/* --- migration ------------------------------------------------------------ */

/* Move @v to @state; false, a failure, if refused or elsewhere. */
static bool mig_to(struct vmm *v, __u32 state, int *fd, const char *what)
{
	__u32 now = ~0U;
	int err;

	err = mig_set(v, state, fd);
	if (err) {
		check(false, "%s: %s to %s refused: %s", what, v->uuid,
		      mig_state_name(state), strerror(-err));
		return false;
	}
	mig_get(v, &now);
	if (now != state)
		check(false, "%s: %s in %s, want %s", what, v->uuid,
		      mig_state_name(now), mig_state_name(state));
	return now == state;
}

static void require_migration(struct vmm *v)
{
	__u64 flags = 0;
	int err = mig_flags(v, &flags);

	if (err || !(flags & VFIO_MIGRATION_STOP_COPY)) {
		printf("SKIP: %s offers no VFIO migration: %s\n", v->uuid,
		       strerror(-err));
		exit(KSFT_SKIP);
	}
}

/*
 * Queue 2 in error, then STOP and RUNNING through the migration state:
 * the other queues run again, queue 2 keeps its error.
 */
static void case_stop_run(struct mq *m)
{
	__u32 bad = 2, q, st, ctrl;

	shown = 0;
	require_migration(&m->v);
	mq_setup(m, all_queues(m), VMQ_CTRL_ENABLE | VMQ_CTRL_RX_HASH);
	wr(&m->v, VMQ_REG_Q(bad, VMQ_REG_RX_TAIL), m->nd);
	check(wait_irq(&m->v, VMQ_VFIO_IRQ_ERR, m->v.timeout),
	      "stop-run: the error interrupt fired");
	if (!mig_to(&m->v, VFIO_DEVICE_STATE_STOP, NULL, "stop-run") ||
	    !mig_to(&m->v, VFIO_DEVICE_STATE_RUNNING, NULL, "stop-run"))
		return;
	st = rd(&m->v, VMQ_REG_STATUS);
	ctrl = rd(&m->v, VMQ_REG_CONTROL);
	check(rd(&m->v, VMQ_REG_Q(bad, VMQ_REG_Q_ERROR)) == VMQ_ERR_RING_INDEX &&
	      (st & VMQ_STATUS_ERROR) && (ctrl & VMQ_CTRL_ENABLE),
	      "stop-run: after RUNNING Q_ERROR of queue %u %u (want RING_INDEX %u), STATUS %#x, CONTROL %#x",
	      bad, rd(&m->v, VMQ_REG_Q(bad, VMQ_REG_Q_ERROR)),
	      VMQ_ERR_RING_INDEX, st, ctrl);
	for (q = 0; q < m->nq; q++)
		if (q != bad)
			check(!rd(&m->v, VMQ_REG_Q(q, VMQ_REG_Q_ERROR)),
			      "stop-run: Q_ERROR of queue %u reads %u (want 0)",
			      q, rd(&m->v, VMQ_REG_Q(q, VMQ_REG_Q_ERROR)));
	others_receive(m, bad, 11400, "stop-run: after RUNNING");
	wr(&m->v, VMQ_REG_CONTROL, VMQ_CTRL_RESET);
}

/* What the source was at STOP, per queue. */
struct qsave {
	__u32 rx_head, tx_head, rx_tail, tx_tail;
	__u64 cnt[VMQ_CNT_DMA_PINS];
};

/* QUEUE record @r is queue @q's state at STOP (@sv). */
static bool stream_queue_ok(struct mq *m, __u32 q, const struct mig_rec *r,
			    const struct qsave *sv)
{
	struct vmq_queue_state qs;

	if (r->len != sizeof(qs))
		return false;
	memcpy(&qs, r->data, sizeof(qs));
	le_queue(&qs);
	if (qs.rx.base == m->q[q].iova + Q_RX_RING &&
	    qs.tx.base == m->q[q].iova + Q_TX_RING &&
	    qs.flags == (VMQ_STATE_F_ENABLED | VMQ_STATE_F_RX_HASH) &&
	    !qs.error && qs.rx.size == m->nd && qs.tx.size == m->nd &&
	    qs.rx.head == sv->rx_head && qs.rx.tail == sv->rx_tail &&
	    qs.tx.head == sv->tx_head && qs.tx.tail == sv->tx_tail)
		return true;
	printf("  QUEUE %u: rx %#llx %u..%u tx %#llx %u..%u flags %#x error %u\n",
	       q, (unsigned long long)qs.rx.base, qs.rx.head, qs.rx.tail,
	       (unsigned long long)qs.tx.base, qs.tx.head, qs.tx.tail,
	       qs.flags, qs.error);
	printf("  want rx %u..%u tx %u..%u, flags ENABLED|RX_HASH\n",
	       sv->rx_head, sv->rx_tail, sv->tx_head, sv->tx_tail);
	return false;
}

/*
 * The stream of a qp4 device: DEVICE first (QUEUES 4), one QUEUE per
 * queue in order, each with its own counters and waiting frames after
 * it (@waiting[q] of them), one RSS with the key and @m's table, END.
 */
static void stream_check(struct mq *m, const __u8 *s, ssize_t len,
			 const struct qsave *sv, const int *waiting)
{
	int queues = 0, rss = 0, dev = 0, frames[QMAX] = { 0 }, cur = -1;
	bool order = true, ok = true, end = false, more;
	struct vmq_mig_header h = { 0 };
	struct vmq_mig_device d;
	struct vmq_mig_rss r;
	struct mig_rec rec;
	__u64 val;
	__u32 q, i;

	if (len >= (ssize_t)sizeof(h))
		memcpy(&h, s, sizeof(h));
	check(len >= (ssize_t)sizeof(h) && le32toh(h.magic) == VMQ_MIG_MAGIC &&
	      le64toh(h.size) == (__u64)len && le32toh(h.crc) == mig_crc(s, len),
	      "migrate: stream of %zd bytes: magic %#x, size %llu, CRC right",
	      len, le32toh(h.magic), (unsigned long long)le64toh(h.size));
	if (len < (ssize_t)sizeof(h))
		return;
	for (more = mig_rec_first(s, len, &rec); more && !end;
	     more = mig_rec_next(s, len, &rec)) {
		switch (rec.type) {
		case VMQ_MIG_REC_DEVICE:
			order &= !dev++ && cur < 0 && !rss;
			memcpy(&d, rec.data, sizeof(d));
			ok &= rec.len == sizeof(d) &&
			      le32toh(d.features) == rd(&m->v, VMQ_REG_FEATURES) &&
			      le32toh(d.queues) == m->nq &&
			      !memcmp(d.mac, m->v.mac, ETH_ALEN);
			if (rec.len == sizeof(d))
				printf("migrate: DEVICE features %#x queues %u\n",
				       le32toh(d.features), le32toh(d.queues));
			break;
		case VMQ_MIG_REC_QUEUE:
			q = ++cur;
			ok &= q < m->nq && stream_queue_ok(m, q, &rec, &sv[q]);
			queues++;
			break;
		case VMQ_MIG_REC_COUNTERS:
			order &= cur >= 0;
			if (cur < 0 || cur >= (int)m->nq)
				break;
			for (i = 0; i < rec.len / 8 && i < VMQ_CNT_DMA_PINS; i++) {
				memcpy(&val, rec.data + 8 * i, 8);
				if (le64toh(val) != sv[cur].cnt[i]) {
					ok = false;
					printf("  COUNTERS of queue %d: %u is %llu, want %llu\n",
					       cur, i,
					       (unsigned long long)le64toh(val),
					       (unsigned long long)sv[cur].cnt[i]);
				}
			}
			break;
		case VMQ_MIG_REC_FRAME:
			order &= cur >= 0;
			if (cur >= 0 && cur < (int)m->nq)
				frames[cur]++;
			break;
		case VMQ_MIG_REC_RSS:
			rss++;
			memcpy(&r, rec.data, sizeof(r));
			ok &= rec.len == sizeof(r) &&
			      !memcmp(r.key, ms_key, sizeof(r.key)) &&
			      !memcmp(r.table, m->table, sizeof(r.table));
			break;
		case VMQ_MIG_REC_END:
			end = true;
			order &= !rec.len && rec.next == (size_t)len;
			break;
		default:
			order = false;
			printf("  a record of type %u\n", rec.type);
		}
	}
	check(order && end && dev == 1 && queues == (int)m->nq && rss == 1,
	      "migrate: stream: DEVICE first, %d QUEUE records (want %u), %d RSS (want 1), END last",
	      queues, m->nq, rss);
	check(ok, "migrate: records hold QUEUES, rings, counters, key and table at STOP");
	for (q = 0; q < m->nq; q++)
		check(frames[q] == waiting[q],
		      "migrate: queue %u: %d FRAME records after its QUEUE (want %d)",
		      q, frames[q], waiting[q]);
}

/* Take every receive buffer of queue @q back: frames wait in the device. */
static void rx_unpost(struct mq *m, __u32 q, __u32 ctrl)
{
	wr(&m->v, VMQ_REG_CONTROL, 0);
	m->q[q].rx_tail = rd(&m->v, VMQ_REG_Q(q, VMQ_REG_RX_HEAD));
	wr(&m->v, VMQ_REG_Q(q, VMQ_REG_RX_TAIL), m->q[q].rx_tail);
	wr(&m->v, VMQ_REG_CONTROL, ctrl);
}

/* Wait until queue @q's RX_HEAD reads @head. */
static bool head_wait(struct mq *m, __u32 q, __u32 head)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (rd(&m->v, VMQ_REG_Q(q, VMQ_REG_RX_HEAD)) != head) {
		if (ms_since(&t0) > m->v.timeout)
			return false;
		usleep(5000);
	}
	return true;
}

/*
 * The qp4 stream into @single (a single queue pair mdev with the
 * guest's MAC): refused at the write that completes it or at RESUMING
 * -> STOP, the device in ERROR until a reset.
 */
static void refuse_single(struct mq *single, const __u8 *s, ssize_t len)
{
	const char *name = "migrate: qp4 stream into a single queue pair";
	struct vmm *v = &single->v;
	__u32 state = ~0U;
	ssize_t n;
	int fd, err, want = EINVAL;

	if (!mig_to(v, VFIO_DEVICE_STATE_STOP, NULL, name) ||
	    !mig_to(v, VFIO_DEVICE_STATE_RESUMING, &fd, name))
		return;
	n = mig_write(fd, s, len);
	err = mig_set(v, VFIO_DEVICE_STATE_STOP, NULL);
	check((n == len || n == -want) && err == -want,
	      "%s: refused with %s (write: %s, RESUMING -> STOP: %s)", name,
	      strerror(want), n < 0 ? strerror(-n) : "taken",
	      err ? strerror(-err) : "taken");
	mig_get(v, &state);
	err = mig_set(v, VFIO_DEVICE_STATE_RUNNING, NULL);
	check(state == VFIO_DEVICE_STATE_ERROR && err == -EINVAL,
	      "%s: device in %s, RUNNING %s", name, mig_state_name(state),
	      err ? strerror(-err) : "allowed");
	close(fd);
	err = ioctl(v->dev, VFIO_DEVICE_RESET) ? -errno : 0;
	mig_get(v, &state);
	check(!err && state == VFIO_DEVICE_STATE_RUNNING,
	      "%s: VFIO_DEVICE_RESET (%s) -> %s", name, strerror(-err),
	      mig_state_name(state));
}

static void admin_mac(const char *uuid, const __u8 *mac)
{
	char val[18];
	int err;

	snprintf(val, sizeof(val), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
	err = mdev_attr_set(uuid, "mac", val);
	check(!err, "migrate: admin: %s's mac %s: %s", uuid, val,
	      strerror(-err));
}

/*
 * The guest on @m (the source) receives on every queue and sends from
 * each; leaves frames completed and unread on every queue and two
 * waiting in the device for queue 1's buffers; returns in STOP with
 * @sv, @waiting and @unread filled.
 */
static bool mig_source(struct mq *m, struct qsave *sv, int *waiting,
		       __u32 *unread, __u32 *nunread, __u32 *wait_first)
{
	struct tally t = { .expect_hash = true };
	__u32 first, q, seq, head[QMAX], i;
	__u16 port;
	bool ok = true;

	shown = 0;
	mq_setup(m, all_queues(m), VMQ_CTRL_ENABLE | VMQ_CTRL_RX_HASH);
	first = flows_rx(m, &t, all_l4, 4, 64, 11000, "migrate: source");
	verdicts(&t, first, nsent, "migrate: source");
	for (q = 0; q < m->nq; q++)
		tx_queue(m, q, "migrate: source");

	/* Completed, left unread: two per queue. */
	*unread = nsent + 1;
	for (q = 0; q < m->nq; q++)
		head[q] = m->q[q].rx_head;
	for (port = 11500, i = 0; i < 2 * m->nq && port < 12000; port++) {
		__u32 want = pick(m, ref_hash(false, port, DPORT, true), false);
		__u32 have = 0;

		for (seq = *unread; seq <= nsent; seq++)
			have += sent[seq].q == (int)want;
		if (have >= 2)
			continue;
		send_one(m, m->v.mac, K_UDP4, port);
		i++;
	}
	*nunread = nsent + 1 - *unread;
	for (q = 0; q < m->nq; q++)
		ok &= head_wait(m, q, (head[q] + 2) % m->nd);
	check(ok, "migrate: source: two frames completed and unread on each queue");

	/* Queue 1 without buffers: two frames wait in the device. */
	memset(waiting, 0, QMAX * sizeof(*waiting));
	rx_unpost(m, 1, VMQ_CTRL_ENABLE | VMQ_CTRL_RX_HASH);
	*wait_first = nsent + 1;
	port = port_for_queue(m, 1);
	send_one(m, m->v.mac, K_UDP4, port);
	send_one(m, m->v.mac, K_TCP4, port);
	if (sent[nsent].q != 1) {
		/* TCP's hash is UDP's for the same ports: same queue. */
		check(false, "migrate: frame %u predicted on queue %d", nsent,
		      sent[nsent].q);
	}
	waiting[1] = 2;
	check(sim_wait_backlog(&m->v, 2, 300),
	      "migrate: source: frames %u, %u wait in the device for queue 1's buffers",
	      *wait_first, *wait_first + 1);

	if (!mig_to(&m->v, VFIO_DEVICE_STATE_STOP, NULL, "migrate"))
		return false;
	for (q = 0; q < m->nq; q++) {
		sv[q].rx_head = rd(&m->v, VMQ_REG_Q(q, VMQ_REG_RX_HEAD));
		sv[q].tx_head = rd(&m->v, VMQ_REG_Q(q, VMQ_REG_TX_HEAD));
		sv[q].rx_tail = m->q[q].rx_tail;
		sv[q].tx_tail = m->q[q].tx_tail;
		for (i = 0; i < VMQ_CNT_DMA_PINS; i++)
			sv[q].cnt[i] = qcounter(m, q, i);
	}
	return true;
}

/* The guest driver's state moves with the guest (its vCPUs, its RAM). */
static void guest_move(struct mq *to, const struct mq *from)
{
	__u32 q;

	memcpy(to->qmem, from->qmem, from->nq * QMEM_PER_Q);
	memcpy(to->table, from->table, sizeof(to->table));
	for (q = 0; q < from->nq; q++) {
		to->q[q].rx_head = from->q[q].rx_head;
		to->q[q].rx_tail = from->q[q].rx_tail;
		to->q[q].tx_tail = from->q[q].tx_tail;
		to->q[q].started = from->q[q].started;
		memcpy(to->q[q].posted, from->q[q].posted,
		       sizeof(to->q[q].posted));
	}
}

/* @d's rings and counters are the source's at STOP. */
static void restored(struct mq *d, const struct qsave *sv)
{
	bool ok = true;
	__u32 q, i;

	for (q = 0; q < d->nq; q++) {
		__u32 rh = rd(&d->v, VMQ_REG_Q(q, VMQ_REG_RX_HEAD));
		__u32 th = rd(&d->v, VMQ_REG_Q(q, VMQ_REG_TX_HEAD));
		__u32 rt = rd(&d->v, VMQ_REG_Q(q, VMQ_REG_RX_TAIL));
		__u32 tt = rd(&d->v, VMQ_REG_Q(q, VMQ_REG_TX_TAIL));

		check(rh == sv[q].rx_head && th == sv[q].tx_head &&
		      rt == sv[q].rx_tail && tt == sv[q].tx_tail,
		      "migrate: destination queue %u: heads %u %u tails %u %u, the source's %u %u %u %u",
		      q, rh, th, rt, tt, sv[q].rx_head, sv[q].tx_head,
		      sv[q].rx_tail, sv[q].tx_tail);
		for (i = 0; i < VMQ_CNT_DMA_PINS; i++)
			ok &= qcounter(d, q, i) == sv[q].cnt[i];
	}
	check(ok, "migrate: destination's queue counters are the source's (RX_PACKETS %llu, %llu)",
	      (unsigned long long)qcounter(d, 0, VMQ_CNT_RX_PACKETS),
	      (unsigned long long)sv[0].cnt[VMQ_CNT_RX_PACKETS]);
}

/*
 * @m (UUID, source NIC) -> DST_UUID (the other NIC) under traffic on
 * every queue; the stream refused by SINGLE_UUID on the way.
 */
static void case_migrate(struct mq *m)
{
	static const __u8 zero[ETH_ALEN];
	struct tally t = { .expect_hash = true }, tc = { .expect_hash = true };
	struct qsave sv[QMAX];
	__u32 unread, nunread, wait_first, first, q, seq;
	int waiting[QMAX], want[QMAX];
	struct mq *dst, *single;
	__u8 *stream;
	ssize_t len;
	int fd;

	if (!dst_uuid || !single_uuid) {
		check(false, "migrate: needs -m DST_UUID and -s SINGLE_UUID");
		return;
	}
	dst = calloc(1, sizeof(*dst));
	single = calloc(1, sizeof(*single));
	stream = malloc(VMQ_MIG_MAX_SIZE);
	if (!dst || !single || !stream)
		die("malloc");
	require_migration(&m->v);
	mq_open(dst, dst_uuid);
	require_migration(&dst->v);
	mq_open(single, single_uuid);
	check(dst->nq == m->nq && single->nq == 1,
	      "migrate: destination of %u queues, the single queue pair device of %u",
	      dst->nq, single->nq);
	/* The destination waits in STOP for the stream, matching nothing. */
	if (!mig_to(&dst->v, VFIO_DEVICE_STATE_STOP, NULL, "migrate") ||
	    !mig_source(m, sv, waiting, &unread, &nunread, &wait_first))
		goto out;

	if (!mig_to(&m->v, VFIO_DEVICE_STATE_STOP_COPY, &fd, "migrate"))
		goto out;
	len = mig_read(fd, stream, VMQ_MIG_MAX_SIZE);
	close(fd);
	mig_to(&m->v, VFIO_DEVICE_STATE_STOP, NULL, "migrate");
	stream_check(m, stream, len, sv, waiting);
	if (len <= 0)
		goto out;

	refuse_single(single, stream, len);
	/* The admin moves the guest's MAC to the destination's mdev. */
	admin_mac(single_uuid, zero);
	admin_mac(dst_uuid, m->v.mac);
	memcpy(dst->v.mac, m->v.mac, ETH_ALEN);
	mq_close(single);

	guest_move(dst, m);
	if (!mig_to(&dst->v, VFIO_DEVICE_STATE_RESUMING, &fd, "migrate"))
		goto out;
	check(mig_write(fd, stream, len) == len,
	      "migrate: the destination takes the %zd-byte stream", len);
	close(fd);
	if (!mig_to(&dst->v, VFIO_DEVICE_STATE_STOP, NULL, "migrate"))
		goto out;
	restored(dst, sv);
	if (!mig_to(&dst->v, VFIO_DEVICE_STATE_RUNNING, NULL, "migrate"))
		goto out;
	check(rd(&dst->v, VMQ_REG_STATUS) == VMQ_STATUS_ENABLED,
	      "migrate: destination RUNNING, enabled (status %#x)",
	      rd(&dst->v, VMQ_REG_STATUS));
	/* Each queue sends (the bridge learns where the guest went). */
	for (q = 0; q < dst->nq; q++)
		tx_queue(dst, q, "migrate: destination");
	for (q = 0; q < dst->nq; q++)
		check(rd(&dst->v, VMQ_REG_Q(q, VMQ_REG_TX_HEAD)) ==
		      dst->q[q].tx_tail && dst->q[q].tx_tail != sv[q].tx_tail,
		      "migrate: destination queue %u: TX_HEAD %u went on from the source's %u",
		      q, rd(&dst->v, VMQ_REG_Q(q, VMQ_REG_TX_HEAD)),
		      sv[q].tx_head);

	/* Unread frames in place; then queue 1's waiting ones, unhashed. */
	shown = 0;
	irqs_reset(dst);
	for (seq = wait_first; seq <= wait_first + 1; seq++) {
		sent[seq].type = VMQ_RX_HASH_NONE;
		sent[seq].type_only = true;
	}
	dst->q[1].rx_tail = (dst->q[1].rx_head + dst->nd - 1) % dst->nd;
	wr(&dst->v, VMQ_REG_Q(1, VMQ_REG_RX_TAIL), dst->q[1].rx_tail);
	collect(dst, &tc, unread, wait_first + 1, 0,
		"migrate: destination, carried over");
	verdicts(&tc, unread, wait_first + 1,
		 "migrate: destination, carried over");
	check(sent[wait_first].got_q == 1 && sent[wait_first + 1].got_q == 1,
	      "migrate: the %u frames unread, then the 2 that waited for queue 1's buffers, there",
	      nunread);

	/* The table still spreads as before, the rings go on. */
	first = flows_rx(dst, &t, all_l4, 4, 64, 12000,
			 "migrate: destination");
	verdicts(&t, first, nsent, "migrate: destination");
	check(t.mine[0] && t.mine[1] && t.mine[2] && t.mine[3],
	      "migrate: destination: flows spread over every queue as before (%d %d %d %d)",
	      t.mine[0], t.mine[1], t.mine[2], t.mine[3]);
	for (q = 0; q < dst->nq; q++) {
		check(rd(&dst->v, VMQ_REG_Q(q, VMQ_REG_RX_HEAD)) ==
		      dst->q[q].rx_head,
		      "migrate: destination queue %u: RX_HEAD %u where the guest is (%u)",
		      q, rd(&dst->v, VMQ_REG_Q(q, VMQ_REG_RX_HEAD)),
		      dst->q[q].rx_head);
		/* The unread ones were counted on the source. */
		want[q] = t.comp[q] + tc.comp[q] - 2;
	}
	{
		__u64 before[QMAX], all = 0;

		for (q = 0; q < dst->nq; q++) {
			before[q] = sv[q].cnt[VMQ_CNT_RX_PACKETS];
			all += before[q];
		}
		counters_match(dst, VMQ_CNT_RX_PACKETS, before, all, want,
			       "migrate: destination", "RX_PACKETS");
	}
out:
	mq_close(single);
	mq_close(dst);
	free(single);
	free(dst);
	free(stream);
}

static const struct {
	const char *name;
	void (*fn)(struct mq *m);
} cases[] = {
	{ "info", case_info },
	{ "rss", case_rss },
	{ "one-flow", case_one_flow },
	{ "table", case_table },
	{ "noqueue", case_noqueue },
	{ "tx", case_tx },
	{ "queue-error", case_queue_error },
	{ "enable-error", case_enable_error },
	{ "disable-error", case_disable_error },
	{ "nohash", case_nohash },
	{ "single", case_single },
	{ "stop-run", case_stop_run },
	{ "migrate", case_migrate },
};

int main(int argc, char **argv)
{
	struct mq *m;
	size_t c;
	int opt, i;

	while ((opt = getopt(argc, argv, "w:t:b:x:m:s:")) != -1) {
		switch (opt) {
		case 'w':
			wire_if = optarg;
			break;
		case 't':
			timeout_ms = atoi(optarg) * 1000;
			break;
		case 'b':
			backlog = optarg;
			break;
		case 'x':
			other_uuid = optarg;
			break;
		case 'm':
			dst_uuid = optarg;
			break;
		case 's':
			single_uuid = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s %s\n", argv[0],
				"[-w WIRE] [-t SECS] [-b BACKLOG] [-x OTHER_UUID] [-m DST_UUID] [-s SINGLE_UUID] UUID CASE...");
			return 2;
		}
	}
	if (optind + 2 > argc)
		return 2;
	for (i = optind + 1; i < argc; i++) {
		for (c = 0; c < ARRAY_SIZE(cases); c++)
			if (!strcmp(argv[i], cases[c].name))
				break;
		if (c == ARRAY_SIZE(cases)) {
			fprintf(stderr, "unknown case %s\n", argv[i]);
			return 2;
		}
	}
	ref_check();
	sent = calloc(MAX_SENT, sizeof(*sent));
	m = calloc(1, sizeof(*m));
	if (!sent || !m)
		die("calloc");
	wire_open(&wire, wire_if);
	memcpy(wire_mac, wire.wire_mac, ETH_ALEN);
	mq_open(m, argv[optind]);
	for (i = optind + 1; i < argc; i++) {
		for (c = 0; c < ARRAY_SIZE(cases); c++)
			if (!strcmp(argv[i], cases[c].name))
				break;
		printf("# case %s\n", argv[i]);
		fflush(stdout);
		cases[c].fn(m);
	}
	mq_close(m);
	printf("%s: %d failure(s)\n", argv[optind], failures);
	return failures ? 1 : 0;
}
