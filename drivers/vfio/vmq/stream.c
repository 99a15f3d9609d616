// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vfio: the migration stream (include/uapi/linux/vmq.h): written from
 * a stopped queue pair, and read back, checked whole, onto another.
 *
 * The stream comes from the VMM, so from anywhere: every length is
 * checked against what is left before it is followed, and nothing is
 * applied until every record has been.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crc32.h>
#include <linux/etherdevice.h>
#include <linux/vmalloc.h>
#include "vmq_vfio.h"

/* struct vmq_queue_state as the stream carries it: little-endian. */
struct vmq_vfio_mig_ring {
	__le64 base;
	__le32 size;
	__le32 head;
	__le32 tail;
	__le32 rsvd;
};

struct vmq_vfio_mig_queue {
	__le32 version;
	__le32 size;
	__le32 flags;
	__le32 error;
	struct vmq_vfio_mig_ring rx;
	struct vmq_vfio_mig_ring tx;
};

/* The counters that travel: not those of this host's pins. */
#define VMQ_VFIO_MIG_COUNTERS	VMQ_CNT_DMA_PINS

static size_t vmq_vfio_rec_size(size_t len)
{
	return sizeof(struct vmq_mig_record) + ALIGN(len, 8);
}

/* Room in a stream for frames, besides its other records. */
#define VMQ_VFIO_MIG_FRAME_ROOM	(VMQ_MIG_MAX_SIZE - PAGE_SIZE)

/**
 * struct vmq_vfio_frame_budget - what the stream's frames may still take
 * @n: FRAME records.
 * @room: bytes.
 */
struct vmq_vfio_frame_budget {
	u32 n;
	size_t room;
};

/*
 * Frames the stream carries of one queue: the held ones, oldest first,
 * as far as @budget goes, which they take from; the queue's clear drops
 * the rest at the end.
 */
static u32 vmq_vfio_stream_frames(struct vmq_guest_qp *gqp,
				  struct vmq_vfio_frame_budget *budget)
{
	struct sk_buff *skb;
	u32 n = 0;

	spin_lock_bh(&gqp->held.lock);
	skb_queue_walk(&gqp->held, skb) {
		if (!budget->n || vmq_vfio_rec_size(skb->len) > budget->room)
			break;
		budget->room -= vmq_vfio_rec_size(skb->len);
		budget->n--;
		n++;
	}
	spin_unlock_bh(&gqp->held.lock);
	return n;
}

static void vmq_vfio_budget_init(struct vmq_vfio_frame_budget *budget)
{
	budget->n = VMQ_MIG_MAX_FRAMES;
	budget->room = VMQ_VFIO_MIG_FRAME_ROOM;
}

/**
 * vmq_vfio_stream_size() - the bytes a stream of the device takes now
 * @mvdev: the device, its register lock held.
 *
 * Return: the size, exact while the queue pairs are stopped.
 */
size_t vmq_vfio_stream_size(struct vmq_vfio_dev *mvdev)
{
	size_t size = sizeof(struct vmq_mig_header);
	struct vmq_vfio_frame_budget budget;
	u32 q;

	vmq_vfio_budget_init(&budget);
	for (q = 0; q < mvdev->nr_queues; q++)
		vmq_vfio_stream_frames(vmq_vfio_qgqp(mvdev, q), &budget);
	size += vmq_vfio_rec_size(sizeof(struct vmq_mig_device));
	size += mvdev->nr_queues *
		(vmq_vfio_rec_size(sizeof(struct vmq_vfio_mig_queue)) +
		 vmq_vfio_rec_size(VMQ_VFIO_MIG_COUNTERS * sizeof(__le64)));
	if (mvdev->nr_queues > 1)
		size += vmq_vfio_rec_size(sizeof(struct vmq_mig_rss));
	size += vmq_vfio_rec_size(0);
	return size + VMQ_VFIO_MIG_FRAME_ROOM - budget.room;
}

struct vmq_vfio_writer {
	u8 *buf;
	size_t off;
	size_t size;
};

/* A record's header; its payload follows at w->off, zero-padded. */
static void *vmq_vfio_put_rec(struct vmq_vfio_writer *w, u16 type, u32 len)
{
	struct vmq_mig_record *rec = (void *)(w->buf + w->off);
	void *payload = rec + 1;

	if (WARN_ON(w->off + vmq_vfio_rec_size(len) > w->size))
		return NULL;
	rec->type = cpu_to_le16(type);
	rec->flags = 0;
	rec->len = cpu_to_le32(len);
	w->off += vmq_vfio_rec_size(len);
	return payload;
}

static void vmq_vfio_put_device(struct vmq_vfio_dev *mvdev,
				struct vmq_vfio_writer *w)
{
	struct vmq_guest_qp *gqp = vmq_vfio_gqp(mvdev);
	struct vmq_mig_device *d;
	u32 flags = 0;

	d = vmq_vfio_put_rec(w, VMQ_MIG_REC_DEVICE, sizeof(*d));
	if (!d)
		return;
	if (READ_ONCE(gqp->spoofchk))
		flags |= VMQ_MIG_DEV_F_SPOOFCHK;
	if (READ_ONCE(gqp->trunk))
		flags |= VMQ_MIG_DEV_F_TRUNK;
	d->features = cpu_to_le32(vmq_vfio_features(mvdev));
	d->flags = cpu_to_le32(flags);
	d->vlan = cpu_to_le16(vmq_guest_qp_l2(gqp, d->mac));
	if (mvdev->nr_queues > 1)
		d->queues = cpu_to_le32(mvdev->nr_queues);
}

static void vmq_vfio_put_ring(struct vmq_vfio_mig_ring *to,
			      const struct vmq_ring_state *ring, u32 head)
{
	to->base = cpu_to_le64(ring->base);
	to->size = cpu_to_le32(ring->size);
	to->head = cpu_to_le32(head);
	to->tail = cpu_to_le32(ring->tail);
}

/* What the guest sees of queue @qi: the rings it wrote, the heads. */
static void vmq_vfio_put_queue(struct vmq_vfio_dev *mvdev, u32 qi,
			       struct vmq_vfio_writer *w)
{
	struct vmq_guest_qp *gqp = vmq_vfio_qgqp(mvdev, qi);
	struct vmq_queue_state *regs = &mvdev->q[qi].regs;
	struct vmq_vfio_mig_queue *q;
	u32 flags = 0;

	q = vmq_vfio_put_rec(w, VMQ_MIG_REC_QUEUE, sizeof(*q));
	if (!q)
		return;
	q->version = cpu_to_le32(VMQ_STATE_VERSION);
	q->size = cpu_to_le32(sizeof(struct vmq_queue_state));
	if (mvdev->control & VMQ_CTRL_ENABLE)
		flags |= VMQ_STATE_F_ENABLED;
	if (mvdev->control & VMQ_CTRL_RX_HASH)
		flags |= VMQ_STATE_F_RX_HASH;
	q->flags = cpu_to_le32(flags);
	q->error = cpu_to_le32(READ_ONCE(gqp->error));
	vmq_vfio_put_ring(&q->rx, &regs->rx, READ_ONCE(gqp->rx.head));
	vmq_vfio_put_ring(&q->tx, &regs->tx, READ_ONCE(gqp->tx.head));
}

static void vmq_vfio_put_frames(struct vmq_vfio_dev *mvdev, u32 qi,
				struct vmq_vfio_frame_budget *budget,
				struct vmq_vfio_writer *w)
{
	struct vmq_guest_qp *gqp = vmq_vfio_qgqp(mvdev, qi);
	struct sk_buff *skb;
	void *data;
	u32 n;

	n = vmq_vfio_stream_frames(gqp, budget);
	spin_lock_bh(&gqp->held.lock);
	skb_queue_walk(&gqp->held, skb) {
		if (!n--)
			break;
		data = vmq_vfio_put_rec(w, VMQ_MIG_REC_FRAME, skb->len);
		if (data)
			skb_copy_bits(skb, 0, data, skb->len);
	}
	spin_unlock_bh(&gqp->held.lock);
}

static void vmq_vfio_put_counters(struct vmq_vfio_dev *mvdev, u32 qi,
				  struct vmq_vfio_writer *w)
{
	struct vmq_guest_qp *gqp = vmq_vfio_qgqp(mvdev, qi);
	__le64 *cnt;
	int i;

	cnt = vmq_vfio_put_rec(w, VMQ_MIG_REC_COUNTERS,
			       VMQ_VFIO_MIG_COUNTERS * sizeof(*cnt));
	if (!cnt)
		return;
	for (i = 0; i < VMQ_VFIO_MIG_COUNTERS; i++)
		cnt[i] = cpu_to_le64(atomic64_read(&gqp->cnt[i]));
}

/* The guest's key and table, as the NIC has them. */
static void vmq_vfio_put_rss(struct vmq_vfio_dev *mvdev,
			     struct vmq_vfio_writer *w)
{
	struct vmq_mig_rss *rss;

	rss = vmq_vfio_put_rec(w, VMQ_MIG_REC_RSS, sizeof(*rss));
	if (!rss)
		return;
	memcpy(rss->key, mvdev->rss_loaded.key, sizeof(rss->key));
	memcpy(rss->table, mvdev->rss_loaded.table, sizeof(rss->table));
}

/* Each queue's state, counters and frames, then the RSS registers. */
static void vmq_vfio_put_queues(struct vmq_vfio_dev *mvdev,
				struct vmq_vfio_writer *w)
{
	struct vmq_vfio_frame_budget budget;
	u32 q;

	vmq_vfio_budget_init(&budget);
	for (q = 0; q < mvdev->nr_queues; q++) {
		vmq_vfio_put_queue(mvdev, q, w);
		vmq_vfio_put_frames(mvdev, q, &budget, w);
		vmq_vfio_put_counters(mvdev, q, w);
	}
	if (mvdev->nr_queues > 1)
		vmq_vfio_put_rss(mvdev, w);
}

/* A segment with just the DEVICE record: what pre-copy sends. */
static size_t vmq_vfio_precopy_size(void)
{
	return sizeof(struct vmq_mig_header) +
	       vmq_vfio_rec_size(sizeof(struct vmq_mig_device)) +
	       vmq_vfio_rec_size(0);
}

/**
 * vmq_vfio_stream_save() - a segment of the device's stream
 * @mvdev: the device, its register lock held; stopped for a full one.
 * @full: the queue, its counters and frames too, else only what the
 *	device is (pre-copy).
 * @bufp: set to the segment, kvmalloc()ed.
 * @lenp: set to its length.
 *
 * Return: 0 or -ENOMEM.
 */
int vmq_vfio_stream_save(struct vmq_vfio_dev *mvdev, bool full, u8 **bufp,
			 size_t *lenp)
{
	struct vmq_vfio_writer w;
	struct vmq_mig_header *hdr;

	w.size = full ? vmq_vfio_stream_size(mvdev) : vmq_vfio_precopy_size();
	w.buf = kvzalloc(w.size, GFP_KERNEL_ACCOUNT);
	if (!w.buf)
		return -ENOMEM;
	w.off = sizeof(*hdr);
	vmq_vfio_put_device(mvdev, &w);
	if (full)
		vmq_vfio_put_queues(mvdev, &w);
	vmq_vfio_put_rec(&w, VMQ_MIG_REC_END, 0);
	hdr = (void *)w.buf;
	hdr->magic = cpu_to_le32(VMQ_MIG_MAGIC);
	hdr->version = cpu_to_le32(VMQ_MIG_VERSION);
	hdr->hdr_size = cpu_to_le32(sizeof(*hdr));
	hdr->size = cpu_to_le64(w.off);
	hdr->crc = cpu_to_le32(crc32_le(~0, w.buf, w.off) ^ ~0);
	*bufp = w.buf;
	*lenp = w.off;
	return 0;
}

/**
 * struct vmq_vfio_parsed - a stream checked, not yet applied
 * @dev: its DEVICE record.
 * @queue: its QUEUE records, in queue order.
 * @nqueues: how many.
 * @cnt: each queue's COUNTERS, or NULL.
 * @ncnt: entries in each @cnt.
 * @rss: its RSS record, or NULL.
 * @nframes: FRAME records.
 * @seg: the segment these are of.
 * @seg_len: its size.
 */
struct vmq_vfio_parsed {
	const struct vmq_mig_device *dev;
	const struct vmq_vfio_mig_queue *queue[VMQ_VFIO_MAX_QUEUES];
	u32 nqueues;
	const __le64 *cnt[VMQ_VFIO_MAX_QUEUES];
	u32 ncnt[VMQ_VFIO_MAX_QUEUES];
	const struct vmq_mig_rss *rss;
	u32 nframes;
	const u8 *seg;
	size_t seg_len;
};

/* The queue the records after the last QUEUE record belong to. */
static u32 vmq_vfio_parsed_q(const struct vmq_vfio_parsed *p)
{
	return p->nqueues - 1;
}

/* The next record at *off, its payload checked to lie inside @len. */
static const struct vmq_mig_record *
vmq_vfio_next_rec(const u8 *buf, size_t len, size_t *off)
{
	const struct vmq_mig_record *rec;
	size_t left = len - *off;

	if (left < sizeof(*rec))
		return NULL;
	rec = (const void *)(buf + *off);
	if (le32_to_cpu(rec->len) > left - sizeof(*rec) ||
	    vmq_vfio_rec_size(le32_to_cpu(rec->len)) > left)
		return NULL;
	*off += vmq_vfio_rec_size(le32_to_cpu(rec->len));
	return rec;
}

static int vmq_vfio_bad(struct vmq_vfio_dev *mvdev, int err, const char *why)
{
	if (__ratelimit(&mvdev->mig_log))
		dev_warn(mvdev->vfio.dev, "migration stream refused: %s\n",
			 why);
	return err;
}

/* One record into @p; -EINVAL with the reason logged if out of place. */
static int vmq_vfio_parse_rec(struct vmq_vfio_dev *mvdev,
			      const struct vmq_mig_record *rec,
			      struct vmq_vfio_parsed *p)
{
	u32 len = le32_to_cpu(rec->len);
	u16 type = le16_to_cpu(rec->type);

	if (type != VMQ_MIG_REC_DEVICE && !p->dev)
		return vmq_vfio_bad(mvdev, -EINVAL, "DEVICE is not the first record");
	switch (type) {
	case VMQ_MIG_REC_DEVICE:
		if (p->dev || len < sizeof(*p->dev))
			return vmq_vfio_bad(mvdev, -EINVAL, "bad DEVICE record");
		p->dev = (const void *)(rec + 1);
		return 0;
	case VMQ_MIG_REC_QUEUE:
		if (p->nqueues == VMQ_VFIO_MAX_QUEUES ||
		    len < sizeof(*p->queue[0]))
			return vmq_vfio_bad(mvdev, -EINVAL, "bad QUEUE record");
		p->queue[p->nqueues++] = (const void *)(rec + 1);
		return 0;
	case VMQ_MIG_REC_COUNTERS:
		if (!p->nqueues || p->cnt[vmq_vfio_parsed_q(p)] ||
		    len % sizeof(__le64))
			return vmq_vfio_bad(mvdev, -EINVAL, "bad COUNTERS record");
		p->cnt[vmq_vfio_parsed_q(p)] = (const void *)(rec + 1);
		p->ncnt[vmq_vfio_parsed_q(p)] = len / sizeof(__le64);
		return 0;
	case VMQ_MIG_REC_FRAME:
		if (!p->nqueues || len < ETH_HLEN ||
		    ++p->nframes > VMQ_MIG_MAX_FRAMES)
			return vmq_vfio_bad(mvdev, -EINVAL, "bad FRAME record");
		return 0;
	case VMQ_MIG_REC_RSS:
		if (p->rss || len < sizeof(*p->rss))
			return vmq_vfio_bad(mvdev, -EINVAL, "bad RSS record");
		p->rss = (const void *)(rec + 1);
		return 0;
	}
	if (le16_to_cpu(rec->flags) & VMQ_MIG_REC_F_OPTIONAL)
		return 0;
	return vmq_vfio_bad(mvdev, -EINVAL, "unknown record type");
}

/*
 * The segment at @buf (@avail bytes there): its header, then every record
 * up to END, which must end it.  Its size in *@seg.
 */
static int vmq_vfio_parse_seg(struct vmq_vfio_dev *mvdev, const u8 *buf,
			      size_t avail, struct vmq_vfio_parsed *p,
			      size_t *seg)
{
	const struct vmq_mig_header *hdr = (const void *)buf;
	struct vmq_mig_header copy;
	const struct vmq_mig_record *rec;
	size_t off, len;
	int err;

	if (avail < sizeof(*hdr))
		return vmq_vfio_bad(mvdev, -EINVAL, "truncated header");
	if (le32_to_cpu(hdr->magic) != VMQ_MIG_MAGIC)
		return vmq_vfio_bad(mvdev, -EINVAL, "bad magic");
	if (le32_to_cpu(hdr->version) != VMQ_MIG_VERSION)
		return vmq_vfio_bad(mvdev, -EPROTONOSUPPORT, "unknown version");
	if (le64_to_cpu(hdr->size) > avail)
		return vmq_vfio_bad(mvdev, -EINVAL, "truncated");
	len = le64_to_cpu(hdr->size);
	off = le32_to_cpu(hdr->hdr_size);
	if (off < sizeof(*hdr) || off > len || !IS_ALIGNED(off, 8))
		return vmq_vfio_bad(mvdev, -EINVAL, "bad header size");
	copy = *hdr;
	copy.crc = 0;
	if ((crc32_le(crc32_le(~0, (const u8 *)&copy, sizeof(copy)),
		      buf + sizeof(copy), len - sizeof(copy)) ^ ~0) !=
	    le32_to_cpu(hdr->crc))
		return vmq_vfio_bad(mvdev, -EINVAL, "bad CRC");
	memset(p, 0, sizeof(*p));
	for (;;) {
		rec = vmq_vfio_next_rec(buf, len, &off);
		if (!rec)
			return vmq_vfio_bad(mvdev, -EINVAL,
					    "record runs past the end, or no END");
		if (le16_to_cpu(rec->type) == VMQ_MIG_REC_END)
			break;
		err = vmq_vfio_parse_rec(mvdev, rec, p);
		if (err)
			return err;
	}
	if (off != len || rec->len)
		return vmq_vfio_bad(mvdev, -EINVAL, "data after END");
	if (!p->dev)
		return vmq_vfio_bad(mvdev, -EINVAL, "no DEVICE record");
	p->seg = buf;
	p->seg_len = len;
	*seg = len;
	return 0;
}

/* Whether this device can run queue state @q. */
static int vmq_vfio_check_queue(struct vmq_vfio_dev *mvdev,
				const struct vmq_vfio_mig_queue *q)
{
	u32 min, max, rx = le32_to_cpu(q->rx.size);
	u32 tx = le32_to_cpu(q->tx.size);

	if (le32_to_cpu(q->version) != VMQ_STATE_VERSION ||
	    le32_to_cpu(q->size) != sizeof(struct vmq_queue_state) ||
	    le32_to_cpu(q->error) > VMQ_ERR_UNMAP)
		return vmq_vfio_bad(mvdev, -EINVAL, "bad queue state");
	vmq_guest_ring_limits(mvdev->vdev, &min, &max);
	if ((rx && (rx < min || rx > max)) || (tx && (tx < min || tx > max)))
		return vmq_vfio_bad(mvdev, -EOPNOTSUPP,
				    "a ring size this device cannot run");
	return 0;
}

/* Whether this device can be what the stream's device was. */
static int vmq_vfio_check_fit(struct vmq_vfio_dev *mvdev,
			      const struct vmq_vfio_parsed *p)
{
	struct vmq_guest_qp *gqp = vmq_vfio_gqp(mvdev);
	u32 flags = le32_to_cpu(p->dev->flags);
	u32 queues = le32_to_cpu(p->dev->queues);
	u8 mac[ETH_ALEN];
	int err;
	u32 q;
	u16 vlan;

	if ((queues ? queues : 1) != mvdev->nr_queues)
		return vmq_vfio_bad(mvdev, -EINVAL,
				    "the source device had another number of queue pairs");
	if (p->nqueues > mvdev->nr_queues ||
	    (p->rss && mvdev->nr_queues == 1))
		return vmq_vfio_bad(mvdev, -EINVAL,
				    "more QUEUE records than queue pairs, or RSS without RSS");
	for (q = 0; q < p->nqueues; q++) {
		err = vmq_vfio_check_queue(mvdev, p->queue[q]);
		if (err)
			return err;
	}
	if (le32_to_cpu(p->dev->features) != vmq_vfio_features(mvdev))
		return vmq_vfio_bad(mvdev, -EOPNOTSUPP,
				    "the source device had other features");
	vlan = vmq_guest_qp_l2(gqp, mac);
	if (!ether_addr_equal(mac, p->dev->mac) ||
	    vlan != le16_to_cpu(p->dev->vlan) ||
	    !!(flags & VMQ_MIG_DEV_F_SPOOFCHK) != READ_ONCE(gqp->spoofchk) ||
	    !!(flags & VMQ_MIG_DEV_F_TRUNK) != READ_ONCE(gqp->trunk))
		return vmq_vfio_bad(mvdev, -EADDRNOTAVAIL,
				    "MAC, VLAN, spoofchk or trunk differ from this mdev's");
	return 0;
}

static void vmq_vfio_get_ring(struct vmq_ring_state *ring,
			      const struct vmq_vfio_mig_ring *from)
{
	ring->base = le64_to_cpu(from->base);
	ring->size = le32_to_cpu(from->size);
	ring->head = le32_to_cpu(from->head);
	ring->tail = le32_to_cpu(from->tail);
	ring->rsvd = 0;
}

/*
 * The stream's frames, in order, each for its queue's next start: the
 * queue of the last QUEUE record before it.
 */
static void vmq_vfio_load_frames(struct vmq_vfio_dev *mvdev,
				 const struct vmq_vfio_parsed *p)
{
	const u8 *buf = p->seg;
	size_t len = p->seg_len;
	const struct vmq_mig_header *hdr = (const void *)buf;
	const struct vmq_mig_record *rec;
	size_t off = le32_to_cpu(hdr->hdr_size);
	u32 n = p->nframes, flen, queues = 0, q;
	struct sk_buff *skb;

	while (n && (rec = vmq_vfio_next_rec(buf, len, &off))) {
		if (le16_to_cpu(rec->type) == VMQ_MIG_REC_QUEUE)
			queues++;
		if (le16_to_cpu(rec->type) != VMQ_MIG_REC_FRAME)
			continue;
		n--;
		q = queues - 1;	/* parsing put a QUEUE record before it */
		flen = le32_to_cpu(rec->len);
		skb = alloc_skb(flen, GFP_KERNEL_ACCOUNT);
		if (!skb) {
			vmq_guest_count(vmq_vfio_qgqp(mvdev, q),
					VMQ_CNT_RX_DROPS, 1);
			continue;
		}
		skb_put_data(skb, rec + 1, flen);
		vmq_guest_qp_hold(mvdev->vdev, mvdev->qp + q, skb);
	}
}

/*
 * Every segment from *@checked that @len bytes hold in full, checked
 * against this device; *@checked moves past those that pass.  A stream
 * is one pre-copy segment (DEVICE only) at most, then the one with the
 * queue (@p), after which nothing may come: *@queued says it came, also
 * to a later call with more of the stream.
 */
static int vmq_vfio_check_segs(struct vmq_vfio_dev *mvdev, const u8 *buf,
			       size_t len, size_t *checked, bool *queued,
			       struct vmq_vfio_parsed *p)
{
	size_t seg;
	int err;

	while (len > *checked) {
		const struct vmq_mig_header *hdr = (const void *)(buf + *checked);

		/* Even a byte: no header is needed to know it is too many. */
		if (*queued)
			return vmq_vfio_bad(mvdev, -EINVAL,
					    "data after the QUEUE segment");
		if (len - *checked < sizeof(*hdr))
			return 0;	/* the header has yet to come */
		if (le64_to_cpu(hdr->size) > len - *checked &&
		    le32_to_cpu(hdr->magic) == VMQ_MIG_MAGIC &&
		    le32_to_cpu(hdr->version) == VMQ_MIG_VERSION)
			return 0;	/* the rest has yet to come */
		err = vmq_vfio_parse_seg(mvdev, buf + *checked, len - *checked,
					 p, &seg);
		if (!err && !p->nqueues && *checked)
			err = vmq_vfio_bad(mvdev, -EINVAL,
					   "more than one pre-copy segment");
		if (!err)
			err = vmq_vfio_check_fit(mvdev, p);
		if (err)
			return err;
		*checked += seg;
		*queued = p->nqueues > 0;
	}
	return 0;
}

/**
 * vmq_vfio_stream_check() - check the segments a stream has in full
 * @mvdev: the device, resuming, its register lock held.
 * @buf: the stream so far.
 * @len: its length.
 * @checked: bytes found good so far; moved on.
 * @queued: whether those end with the queue's segment; updated.
 *
 * A stream from a device of another kind, or for another MAC, is refused
 * as soon as its first segment is in (pre-copy sends it while the source
 * still runs), not only at the end.
 *
 * Return: 0, or the errno of vmq.rst's table.
 */
int vmq_vfio_stream_check(struct vmq_vfio_dev *mvdev, const u8 *buf,
			  size_t len, size_t *checked, bool *queued)
{
	struct vmq_vfio_parsed p = { };

	return vmq_vfio_check_segs(mvdev, buf, len, checked, queued, &p);
}

/* Queue @qi as the stream has it; the device's own state went first. */
static void vmq_vfio_load_queue(struct vmq_vfio_dev *mvdev, u32 qi,
				const struct vmq_vfio_parsed *p)
{
	struct vmq_guest_qp *gqp = vmq_vfio_qgqp(mvdev, qi);
	const struct vmq_vfio_mig_queue *q = p->queue[qi];
	struct vmq_queue_state state = {
		.version = VMQ_STATE_VERSION,
		.size = sizeof(state),
	};
	u32 i;

	state.error = le32_to_cpu(q->error);
	vmq_vfio_get_ring(&state.rx, &q->rx);
	vmq_vfio_get_ring(&state.tx, &q->tx);
	if (WARN_ON_ONCE(vmq_guest_qp_restore(mvdev->vdev, mvdev->qp + qi,
					      &state)))
		return;
	mvdev->q[qi].regs = state;
	/* A source with fewer counters: the others start from 0 here. */
	for (i = 0; i < VMQ_VFIO_MIG_COUNTERS; i++)
		atomic64_set(&gqp->cnt[i], i < p->ncnt[qi] ?
			     le64_to_cpu(p->cnt[qi][i]) : 0);
}

/**
 * vmq_vfio_stream_load() - check a stream whole, then make it the device's
 * @mvdev: the device, stopped, its register lock held.
 * @buf: the stream.
 * @len: its length.
 *
 * Return: 0, or the errno of vmq.rst's table with nothing applied.
 */
int vmq_vfio_stream_load(struct vmq_vfio_dev *mvdev, const u8 *buf,
			 size_t len)
{
	const struct vmq_vfio_mig_queue *q0;
	struct vmq_vfio_parsed p;
	bool queued = false;
	size_t checked = 0;
	u32 q, flags;
	int err;

	memset(&p, 0, sizeof(p));
	err = vmq_vfio_check_segs(mvdev, buf ? buf : (const u8 *)"", len,
				  &checked, &queued, &p);
	if (err)
		return err;
	if (checked != len)
		return vmq_vfio_bad(mvdev, -EINVAL, "truncated");
	if (p.nqueues != mvdev->nr_queues)
		return vmq_vfio_bad(mvdev, -EINVAL,
				    "not one QUEUE record per queue pair");
	if (mvdev->nr_queues > 1 && !p.rss)
		return vmq_vfio_bad(mvdev, -EINVAL, "no RSS record");
	if (p.rss) {
		memcpy(mvdev->rss.key, p.rss->key, sizeof(mvdev->rss.key));
		memcpy(mvdev->rss.table, p.rss->table,
		       sizeof(mvdev->rss.table));
		err = vmq_vfio_rss_load(mvdev);
		if (err) {
			mvdev->rss = mvdev->rss_loaded;
			return err;
		}
	}
	/* This device's own frames, rings and errors go first. */
	for (q = 0; q < mvdev->nr_queues; q++)
		vmq_guest_qp_clear(mvdev->vdev, mvdev->qp + q);
	for (q = 0; q < mvdev->nr_queues; q++)
		vmq_vfio_load_queue(mvdev, q, &p);
	q0 = p.queue[0];
	flags = le32_to_cpu(q0->flags);
	mvdev->control = (flags & VMQ_STATE_F_ENABLED ? VMQ_CTRL_ENABLE : 0) |
			 (flags & VMQ_STATE_F_RX_HASH &&
			  mvdev->nr_queues > 1 ? VMQ_CTRL_RX_HASH : 0);
	vmq_vfio_load_frames(mvdev, &p);
	return 0;
}
