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

/*
 * Frames the stream carries: the held ones, oldest first, up to the
 * format's limits; the queue's clear drops the rest at the end.
 */
static u32 vmq_vfio_stream_frames(struct vmq_guest_qp *gqp, size_t *bytes)
{
	struct sk_buff *skb;
	size_t size = 0;
	u32 n = 0;

	spin_lock_bh(&gqp->held.lock);
	skb_queue_walk(&gqp->held, skb) {
		if (n == VMQ_MIG_MAX_FRAMES ||
		    size + vmq_vfio_rec_size(skb->len) > VMQ_VFIO_MIG_FRAME_ROOM)
			break;
		size += vmq_vfio_rec_size(skb->len);
		n++;
	}
	spin_unlock_bh(&gqp->held.lock);
	*bytes = size;
	return n;
}

/**
 * vmq_vfio_stream_size() - the bytes a stream of the device takes now
 * @mvdev: the device, its register lock held.
 *
 * Return: the size, exact while the queue pair is stopped.
 */
size_t vmq_vfio_stream_size(struct vmq_vfio_dev *mvdev)
{
	size_t size = sizeof(struct vmq_mig_header), frames;

	vmq_vfio_stream_frames(vmq_vfio_gqp(mvdev), &frames);
	size += vmq_vfio_rec_size(sizeof(struct vmq_mig_device));
	size += vmq_vfio_rec_size(sizeof(struct vmq_vfio_mig_queue));
	size += vmq_vfio_rec_size(VMQ_VFIO_MIG_COUNTERS * sizeof(__le64));
	size += vmq_vfio_rec_size(0);
	return size + frames;
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

static u32 vmq_vfio_features(void)
{
	return VMQ_FEAT_VLAN | VMQ_FEAT_SPOOFCHK | VMQ_FEAT_MCAST;
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
	d->features = cpu_to_le32(vmq_vfio_features());
	d->flags = cpu_to_le32(flags);
	d->vlan = cpu_to_le16(vmq_guest_qp_l2(gqp, d->mac));
}

static void vmq_vfio_put_ring(struct vmq_vfio_mig_ring *to,
			      const struct vmq_ring_state *ring, u32 head)
{
	to->base = cpu_to_le64(ring->base);
	to->size = cpu_to_le32(ring->size);
	to->head = cpu_to_le32(head);
	to->tail = cpu_to_le32(ring->tail);
}

/* What the guest sees: the rings it wrote, the device's heads. */
static void vmq_vfio_put_queue(struct vmq_vfio_dev *mvdev,
			       struct vmq_vfio_writer *w)
{
	struct vmq_guest_qp *gqp = vmq_vfio_gqp(mvdev);
	struct vmq_vfio_mig_queue *q;

	q = vmq_vfio_put_rec(w, VMQ_MIG_REC_QUEUE, sizeof(*q));
	if (!q)
		return;
	q->version = cpu_to_le32(VMQ_STATE_VERSION);
	q->size = cpu_to_le32(sizeof(struct vmq_queue_state));
	if (mvdev->control & VMQ_CTRL_ENABLE)
		q->flags = cpu_to_le32(VMQ_STATE_F_ENABLED);
	q->error = cpu_to_le32(READ_ONCE(gqp->error));
	vmq_vfio_put_ring(&q->rx, &mvdev->regs.rx, READ_ONCE(gqp->rx.head));
	vmq_vfio_put_ring(&q->tx, &mvdev->regs.tx, READ_ONCE(gqp->tx.head));
}

static void vmq_vfio_put_frames(struct vmq_vfio_dev *mvdev,
				struct vmq_vfio_writer *w)
{
	struct vmq_guest_qp *gqp = vmq_vfio_gqp(mvdev);
	struct sk_buff *skb;
	size_t bytes;
	void *data;
	u32 n;

	n = vmq_vfio_stream_frames(gqp, &bytes);
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

static void vmq_vfio_put_counters(struct vmq_vfio_dev *mvdev,
				  struct vmq_vfio_writer *w)
{
	struct vmq_guest_qp *gqp = vmq_vfio_gqp(mvdev);
	__le64 *cnt;
	int i;

	cnt = vmq_vfio_put_rec(w, VMQ_MIG_REC_COUNTERS,
			       VMQ_VFIO_MIG_COUNTERS * sizeof(*cnt));
	if (!cnt)
		return;
	for (i = 0; i < VMQ_VFIO_MIG_COUNTERS; i++)
		cnt[i] = cpu_to_le64(atomic64_read(&gqp->cnt[i]));
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
	if (full) {
		vmq_vfio_put_queue(mvdev, &w);
		vmq_vfio_put_frames(mvdev, &w);
		vmq_vfio_put_counters(mvdev, &w);
	}
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
 * @queue: its QUEUE record.
 * @cnt: its COUNTERS, or NULL.
 * @ncnt: entries in @cnt.
 * @first_frame: offset of the first record that may be a FRAME.
 * @nframes: FRAME records.
 * @seg: the segment these are of.
 * @seg_len: its size.
 */
struct vmq_vfio_parsed {
	const struct vmq_mig_device *dev;
	const struct vmq_vfio_mig_queue *queue;
	const __le64 *cnt;
	u32 ncnt;
	size_t first_frame;
	u32 nframes;
	const u8 *seg;
	size_t seg_len;
};

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
	dev_warn(mvdev->vfio.dev, "migration stream refused: %s\n", why);
	return err;
}

/* One record into @p; -EINVAL with the reason logged if out of place. */
static int vmq_vfio_parse_rec(struct vmq_vfio_dev *mvdev,
			      const struct vmq_mig_record *rec, size_t off,
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
		if (p->queue || len < sizeof(*p->queue))
			return vmq_vfio_bad(mvdev, -EINVAL, "bad QUEUE record");
		p->queue = (const void *)(rec + 1);
		return 0;
	case VMQ_MIG_REC_COUNTERS:
		if (p->cnt || len % sizeof(__le64))
			return vmq_vfio_bad(mvdev, -EINVAL, "bad COUNTERS record");
		p->cnt = (const void *)(rec + 1);
		p->ncnt = len / sizeof(__le64);
		return 0;
	case VMQ_MIG_REC_FRAME:
		if (len < ETH_HLEN || ++p->nframes > VMQ_MIG_MAX_FRAMES)
			return vmq_vfio_bad(mvdev, -EINVAL, "bad FRAME record");
		if (!p->first_frame)
			p->first_frame = off;
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
		size_t at = off;

		rec = vmq_vfio_next_rec(buf, len, &off);
		if (!rec)
			return vmq_vfio_bad(mvdev, -EINVAL,
					    "record runs past the end, or no END");
		if (le16_to_cpu(rec->type) == VMQ_MIG_REC_END)
			break;
		err = vmq_vfio_parse_rec(mvdev, rec, at, p);
		if (err)
			return err;
	}
	if (off != len || rec->len)
		return vmq_vfio_bad(mvdev, -EINVAL, "data after END");
	if (!p->dev)
		return vmq_vfio_bad(mvdev, -EINVAL, "no DEVICE record");
	if (!p->queue && (p->cnt || p->nframes))
		return vmq_vfio_bad(mvdev, -EINVAL,
				    "COUNTERS or FRAME without QUEUE");
	p->seg = buf;
	p->seg_len = len;
	*seg = len;
	return 0;
}

/* Whether this device can be what the stream's device was. */
static int vmq_vfio_check_fit(struct vmq_vfio_dev *mvdev,
			      const struct vmq_vfio_parsed *p)
{
	struct vmq_guest_qp *gqp = vmq_vfio_gqp(mvdev);
	const struct vmq_vfio_mig_queue *q = p->queue;
	u32 flags = le32_to_cpu(p->dev->flags);
	u32 min, max, rx = q ? le32_to_cpu(q->rx.size) : 0;
	u32 tx = q ? le32_to_cpu(q->tx.size) : 0;
	u8 mac[ETH_ALEN];
	u16 vlan;

	if (q && (le32_to_cpu(q->version) != VMQ_STATE_VERSION ||
		  le32_to_cpu(q->size) != sizeof(struct vmq_queue_state) ||
		  le32_to_cpu(q->error) > VMQ_ERR_UNMAP))
		return vmq_vfio_bad(mvdev, -EINVAL, "bad queue state");
	if (le32_to_cpu(p->dev->features) != vmq_vfio_features())
		return vmq_vfio_bad(mvdev, -EOPNOTSUPP,
				    "the source device had other features");
	vmq_guest_ring_limits(mvdev->vdev, &min, &max);
	if ((rx && (rx < min || rx > max)) || (tx && (tx < min || tx > max)))
		return vmq_vfio_bad(mvdev, -EOPNOTSUPP,
				    "a ring size this device cannot run");
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

/* The stream's frames, in order, for the queue's next start. */
static void vmq_vfio_load_frames(struct vmq_vfio_dev *mvdev,
				 const struct vmq_vfio_parsed *p)
{
	const u8 *buf = p->seg;
	size_t len = p->seg_len;
	const struct vmq_mig_record *rec;
	size_t off = p->first_frame;
	struct sk_buff *skb;
	u32 n = p->nframes, flen;

	while (n && (rec = vmq_vfio_next_rec(buf, len, &off))) {
		if (le16_to_cpu(rec->type) != VMQ_MIG_REC_FRAME)
			continue;
		n--;
		flen = le32_to_cpu(rec->len);
		skb = alloc_skb(flen, GFP_KERNEL_ACCOUNT);
		if (!skb) {
			vmq_guest_count(vmq_vfio_gqp(mvdev), VMQ_CNT_RX_DROPS, 1);
			continue;
		}
		skb_put_data(skb, rec + 1, flen);
		vmq_guest_qp_hold(mvdev->vdev, mvdev->qp, skb);
	}
}

/*
 * Every segment from *@checked that @len bytes hold in full, checked
 * against this device; *@checked moves past those that pass.  The last
 * is the one with the queue (@p), and nothing may follow it.
 */
static int vmq_vfio_check_segs(struct vmq_vfio_dev *mvdev, const u8 *buf,
			       size_t len, size_t *checked,
			       struct vmq_vfio_parsed *p)
{
	size_t seg;
	int err;

	while (len - *checked >= sizeof(struct vmq_mig_header)) {
		const struct vmq_mig_header *hdr = (const void *)(buf + *checked);

		if (le64_to_cpu(hdr->size) > len - *checked &&
		    le32_to_cpu(hdr->magic) == VMQ_MIG_MAGIC &&
		    le32_to_cpu(hdr->version) == VMQ_MIG_VERSION)
			return 0;	/* the rest has yet to come */
		if (p->queue)
			return vmq_vfio_bad(mvdev, -EINVAL,
					    "data after the QUEUE segment");
		err = vmq_vfio_parse_seg(mvdev, buf + *checked, len - *checked,
					 p, &seg);
		if (!err)
			err = vmq_vfio_check_fit(mvdev, p);
		if (err)
			return err;
		*checked += seg;
	}
	return 0;
}

/**
 * vmq_vfio_stream_check() - check the segments a stream has in full
 * @mvdev: the device, resuming, its register lock held.
 * @buf: the stream so far.
 * @len: its length.
 * @checked: bytes found good so far; moved on.
 *
 * A stream from a device of another kind, or for another MAC, is refused
 * as soon as its first segment is in (pre-copy sends it while the source
 * still runs), not only at the end.
 *
 * Return: 0, or the errno of vmq.rst's table.
 */
int vmq_vfio_stream_check(struct vmq_vfio_dev *mvdev, const u8 *buf,
			  size_t len, size_t *checked)
{
	struct vmq_vfio_parsed p = { };

	return vmq_vfio_check_segs(mvdev, buf, len, checked, &p);
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
	struct vmq_guest_qp *gqp = vmq_vfio_gqp(mvdev);
	struct vmq_vfio_parsed p;
	struct vmq_queue_state state = {
		.version = VMQ_STATE_VERSION,
		.size = sizeof(state),
	};
	int err, i;

	size_t checked = 0;

	memset(&p, 0, sizeof(p));
	err = vmq_vfio_check_segs(mvdev, buf ? buf : (const u8 *)"", len,
				  &checked, &p);
	if (err)
		return err;
	if (checked != len)
		return vmq_vfio_bad(mvdev, -EINVAL, "truncated");
	if (!p.queue)
		return vmq_vfio_bad(mvdev, -EINVAL, "no QUEUE record");
	/* This device's own frames, rings and error go first. */
	vmq_guest_qp_clear(mvdev->vdev, mvdev->qp);
	state.error = le32_to_cpu(p.queue->error);
	vmq_vfio_get_ring(&state.rx, &p.queue->rx);
	vmq_vfio_get_ring(&state.tx, &p.queue->tx);
	err = vmq_guest_qp_restore(mvdev->vdev, mvdev->qp, &state);
	if (WARN_ON_ONCE(err))
		return err;
	mvdev->regs = state;
	mvdev->control = le32_to_cpu(p.queue->flags) & VMQ_STATE_F_ENABLED ?
			 VMQ_CTRL_ENABLE : 0;
	for (i = 0; i < min_t(u32, p.ncnt, VMQ_VFIO_MIG_COUNTERS); i++)
		atomic64_set(&gqp->cnt[i], le64_to_cpu(p.cnt[i]));
	vmq_vfio_load_frames(mvdev, &p);
	return 0;
}
