/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmq: the user ABI of a VMQ queue pair exposed as a VFIO mediated device.
 *
 * A VMM opens the mdev through a VFIO type1 container, maps guest RAM with
 * VFIO_IOMMU_MAP_DMA, and drives the queue pair through:
 *
 *  - region %VMQ_VFIO_REGION_REGS: 32-bit registers, accessed with 4-byte
 *    aligned pread/pwrite at VMQ_VFIO_REGION_OFFSET(index) + register
 *    (a write to a read-only register succeeds and changes nothing);
 *  - interrupts %VMQ_VFIO_IRQ_RX .. %VMQ_VFIO_IRQ_REQ, one eventfd each,
 *    set with VFIO_DEVICE_SET_IRQS (ACTION_TRIGGER, DATA_EVENTFD);
 *  - two descriptor rings in guest memory, in the hardware's format
 *    (&struct vmq_desc), addressed by IOVA.
 *
 * Rings: SIZE descriptors (a power of two within [RING_MIN, RING_MAX]),
 * BASE aligned to %VMQ_RING_ALIGN.  HEAD and TAIL are indices in
 * [0, SIZE).  The guest owns [TAIL, HEAD) and hands descriptors to the
 * device by writing TAIL (the doorbell); the device owns [HEAD, TAIL),
 * completes them in order, writing each back with %VMQ_DESC_F_DONE, and
 * advances HEAD.  A ring holds at most SIZE - 1 posted descriptors.
 * HEAD survives disable and enable; writing another BASE or SIZE (only
 * while disabled) sets it to 0.
 *
 * Receive: the guest posts empty buffers (addr, len = buffer size).  The
 * device writes each frame destined to the queue (its MAC, VLAN stripped
 * when the host admin set one; broadcast and multicast too) into the next
 * buffer and sets len to the frame length.  MAX_FRAME is the NIC's
 * current MTU + 18 (header and one VLAN tag) and follows it: frames
 * longer than MAX_FRAME as the guest would see them are dropped and
 * counted in rx_drops; a frame longer than the posted buffer completes
 * with %VMQ_DESC_F_DONE | %VMQ_DESC_F_ERR and its length, nothing
 * written, counted in rx_drops.  Neither stops the queue.  Frames waiting
 * in the device when the admin changes the VLAN are dropped and counted
 * in rx_drops.  Transmit: the guest posts
 * frames (addr, len = frame length); the device sends them (VLAN inserted
 * when set) and completes them; a frame dropped by anti-spoofing (its
 * source is not the admin's MAC, or the admin set none) completes with
 * %VMQ_DESC_F_ERR.  One interrupt per completed batch.
 *
 * The guest is untrusted.  A descriptor outside mapped memory, a transmit
 * length outside [ETH_HLEN, MAX_FRAME], a TAIL out of range, a bad ring
 * setup, or an unmap of ring memory while enabled put the queue into the
 * ERROR state: the device
 * stops, STATUS has %VMQ_STATUS_ERROR, ERROR says why (enum vmq_err), the
 * error interrupt fires and the "errors" counter counts it.  Writing
 * %VMQ_CTRL_RESET (or VFIO_DEVICE_RESET) stops the queue and clears every
 * ring register and the error; the admin's settings and the counters
 * stay, also across a close of the device.
 *
 * Several queue pairs (VMMQ): a device whose FEATURES has %VMQ_FEAT_RSS
 * has QUEUES queue pairs (up to %VMQ_VFIO_MAX_QUEUES), each with its own
 * ring registers at VMQ_REG_Q(q, reg) (queue 0's are also at the single
 * queue offsets above), its own error at VMQ_REG_Q(q, VMQ_REG_Q_ERROR),
 * its own counters at VMQ_REG_QCOUNTER(q, n) (VMQ_REG_COUNTER(n) reads
 * the sum over the queues; %VMQ_CNT_DMA_PINS, %VMQ_CNT_DMA_UNPINS and
 * %VMQ_CNT_DMA_SLOW count on queue 0 only; a device without RSS has
 * neither block: writes there are ignored and reads give 0), and its
 * own receive and
 * transmit interrupt:
 * subindex q of %VMQ_VFIO_IRQ_RX and %VMQ_VFIO_IRQ_TX, whose count is
 * QUEUES.  MAC, VLAN, anti-spoofing and the error interrupt are the
 * device's.  CONTROL.ENABLE starts queue 0 and every other queue whose
 * RX_SIZE or TX_SIZE is not 0, all or none (a queue whose rings are
 * refused goes into error, and ENABLE reads clear); clearing it stops
 * them all; RESET clears them all.  A guest error stops the queue it
 * happened on only: its Q_ERROR says why, STATUS has %VMQ_STATUS_ERROR
 * while any queue is in error and %VMQ_STATUS_ENABLED while any runs,
 * ERROR reads the error of the lowest-numbered queue in error, and the
 * error interrupt fires.  ENABLE is ignored while a queue is in
 * error; only a reset clears it, and resets the RSS key and table to 0.
 *
 * The device spreads unicast frames to its MAC over its queues by a
 * Toeplitz hash (Microsoft's RSS specification) of the IPv4 or IPv6
 * source and destination address, then the TCP or UDP source and
 * destination port (addresses only for other IP and for fragments; no
 * hash, entry 0, for other frames), with a 40-byte key (RSS_KEY) and a
 * 128-entry indirection table (RSS_TABLE) the guest sets: the hash modulo
 * 128 picks the entry, the entry the queue.  An entry is a queue index;
 * the device uses it modulo QUEUES, so no value reaches another device's
 * queue.  A frame sent to a queue that is not running is dropped and
 * counted in that queue's rx_drops.  Key and table registers take effect
 * together when the guest writes RSS_LOAD, at any time, also while the
 * queues run; until the first load every entry is 0.  Broadcast and
 * multicast go to queue 0.  With %VMQ_CTRL_RX_HASH set when the queues
 * are enabled (%VMQ_FEAT_RX_HASH), each receive completion carries the
 * frame's hash in place of the buffer address: addr = hash | type << 32,
 * type a VMQ_RX_HASH_* value; the guest keeps its buffer addresses
 * itself.  A frame carried over a live migration completes with
 * %VMQ_RX_HASH_NONE.
 */
#ifndef _UAPI_LINUX_VMQ_H
#define _UAPI_LINUX_VMQ_H

#include <linux/types.h>

/* The mdev's "device_api" string: not PCI, this ABI. */
#define VMQ_VFIO_DEVICE_API		"vmq-qp"
/* What the VERSION register reads. */
#define VMQ_VFIO_VERSION		1

/* VFIO region indexes, and where each starts in the device fd. */
#define VMQ_VFIO_REGION_REGS		0
#define VMQ_VFIO_NUM_REGIONS		1
#define VMQ_VFIO_REGION_SHIFT		40
#define VMQ_VFIO_REGION_OFFSET(index)	((__u64)(index) << VMQ_VFIO_REGION_SHIFT)
#define VMQ_VFIO_REGS_SIZE		0x1000

/* VFIO interrupt indexes; one eventfd each. */
#define VMQ_VFIO_IRQ_RX			0	/* receive completions */
#define VMQ_VFIO_IRQ_TX			1	/* transmit completions */
#define VMQ_VFIO_IRQ_ERR		2	/* entered the error state */
#define VMQ_VFIO_IRQ_REQ		3	/* the host wants the device back */
#define VMQ_VFIO_NUM_IRQS		4

/* Registers (byte offsets in region 0); all 32 bits wide. */
#define VMQ_REG_VERSION		0x000	/* ro: VMQ_VFIO_VERSION */
#define VMQ_REG_FEATURES	0x004	/* ro: VMQ_FEAT_* */
#define VMQ_REG_STATUS		0x008	/* ro: VMQ_STATUS_* */
#define VMQ_REG_CONTROL		0x00c	/* rw: VMQ_CTRL_* */
#define VMQ_REG_ERROR		0x010	/* ro: enum vmq_err, first error */
#define VMQ_REG_MAC_LO		0x014	/* ro: MAC bytes 0-3, byte 0 lowest */
#define VMQ_REG_MAC_HI		0x018	/* ro: MAC bytes 4-5 */
#define VMQ_REG_VLAN		0x01c	/* ro: VLAN ID the host set, 0: none */
#define VMQ_REG_MAX_FRAME	0x020	/* ro: MTU + 18, FCS excluded */
#define VMQ_REG_RING_MIN	0x024	/* ro: smallest ring */
#define VMQ_REG_RING_MAX	0x028	/* ro: largest ring */
#define VMQ_REG_QUEUES		0x02c	/* ro: queue pairs, 1 without RSS */
#define VMQ_REG_RSS_LOAD	0x030	/* wo: apply RSS_KEY and RSS_TABLE */
#define VMQ_REG_RX_BASE_LO	0x040	/* rw while disabled */
#define VMQ_REG_RX_BASE_HI	0x044	/* rw while disabled */
#define VMQ_REG_RX_SIZE		0x048	/* rw while disabled */
#define VMQ_REG_RX_TAIL		0x04c	/* rw: doorbell */
#define VMQ_REG_RX_HEAD		0x050	/* ro */
#define VMQ_REG_TX_BASE_LO	0x060
#define VMQ_REG_TX_BASE_HI	0x064
#define VMQ_REG_TX_SIZE		0x068
#define VMQ_REG_TX_TAIL		0x06c
#define VMQ_REG_TX_HEAD		0x070
#define VMQ_REG_Q_ERROR		0x078	/* ro: enum vmq_err of this queue */
/* RSS key bytes 4i..4i+3, byte 4i lowest; i < VMQ_RSS_KEY_SIZE / 4. */
#define VMQ_REG_RSS_KEY(i)	(0x200 + 4 * (i))
/* RSS table entries 4i..4i+3, entry 4i lowest; i < VMQ_RSS_TABLE_SIZE / 4. */
#define VMQ_REG_RSS_TABLE(i)	(0x240 + 4 * (i))
/*
 * Queue q's ring registers (VMQ_REG_RX_BASE_LO to VMQ_REG_Q_ERROR, the
 * same meaning): VMQ_REG_Q(q, VMQ_REG_RX_TAIL) is its receive doorbell.
 */
#define VMQ_REG_QUEUE(q)	(0x400 + 0x40 * (q))
#define VMQ_REG_Q(q, reg)	(VMQ_REG_QUEUE(q) + (reg) - VMQ_REG_RX_BASE_LO)
/* Queue q's counter n (enum vmq_counter), low word then high word. */
#define VMQ_REG_QCOUNTER(q, n)	(0x800 + 0x80 * (q) + 8 * (n))

/* The most queue pairs a device has; RSS key and table sizes. */
#define VMQ_VFIO_MAX_QUEUES	8
#define VMQ_RSS_KEY_SIZE	40
#define VMQ_RSS_TABLE_SIZE	128
/* Counter N (enum vmq_counter) is 64 bits: low word, then high word. */
#define VMQ_REG_COUNTER(n)	(0x100 + 8 * (n))

/* FEATURES bits. */
#define VMQ_FEAT_VLAN		(1U << 0)	/* host-set VLAN, transparent */
#define VMQ_FEAT_SPOOFCHK	(1U << 1)	/* transmit anti-spoofing */
#define VMQ_FEAT_MCAST		(1U << 2)	/* gets broadcast and multicast */
#define VMQ_FEAT_RSS		(1U << 3)	/* QUEUES queue pairs, RSS regs */
#define VMQ_FEAT_RX_HASH	(1U << 4)	/* CONTROL.RX_HASH */

/* STATUS bits. */
#define VMQ_STATUS_ENABLED	(1U << 0)	/* the device may DMA */
#define VMQ_STATUS_ERROR	(1U << 1)	/* stopped on an error */

/* CONTROL bits. */
#define VMQ_CTRL_ENABLE		(1U << 0)	/* 1: start, 0: stop */
#define VMQ_CTRL_RESET		(1U << 1)	/* stop and clear; reads 0 */
#define VMQ_CTRL_RX_HASH	(1U << 2)	/* with ENABLE: hash in completions */

/* The hash type in a receive completion's addr bits 32-39 (RX_HASH). */
#define VMQ_RX_HASH_NONE	0	/* not hashed: not IP */
#define VMQ_RX_HASH_L3		1	/* addresses */
#define VMQ_RX_HASH_L4		2	/* addresses and ports */

/* Ring base alignment, in bytes. */
#define VMQ_RING_ALIGN		64

/**
 * enum vmq_err - why a queue entered the error state
 * @VMQ_ERR_NONE: no error.
 * @VMQ_ERR_RING_CFG: ring size or base invalid at enable.
 * @VMQ_ERR_RING_INDEX: a TAIL written out of [0, SIZE) while the queue
 *	runs (one written while it is disabled makes the next enable fail
 *	with %VMQ_ERR_RING_CFG).
 * @VMQ_ERR_DMA: a ring (at enable) or buffer outside mapped guest memory.
 * @VMQ_ERR_TX_LEN: a transmit length outside [ETH_HLEN, MAX_FRAME].
 * @VMQ_ERR_RX_LEN: no longer raised (a received frame longer than the
 *	posted buffer completes with %VMQ_DESC_F_ERR); kept for the ABI.
 * @VMQ_ERR_UNMAP: ring memory unmapped while enabled, found at the
 *	device's next access to it: the receive ring's when a frame finds
 *	buffers posted there, the transmit ring's when a TAIL write posts
 *	descriptors.  A receive TAIL written while no frame waits reads
 *	nothing.
 * @VMQ_ERR_CHAIN: a virtio descriptor chain that loops, names an entry
 *	out of the ring, is indirect, or has the wrong direction (vDPA
 *	devices only; a VFIO queue pair never raises it).
 */
enum vmq_err {
	VMQ_ERR_NONE,
	VMQ_ERR_RING_CFG,
	VMQ_ERR_RING_INDEX,
	VMQ_ERR_DMA,
	VMQ_ERR_TX_LEN,
	VMQ_ERR_RX_LEN,
	VMQ_ERR_UNMAP,
	VMQ_ERR_CHAIN,
};

/**
 * enum vmq_counter - the counters at VMQ_REG_COUNTER()
 * @VMQ_CNT_RX_PACKETS: frames written to guest buffers.
 * @VMQ_CNT_RX_BYTES: their bytes.
 * @VMQ_CNT_RX_DROPS: frames dropped: the on-chip queue was full, the
 *	frame was longer than MAX_FRAME or than the posted buffer, it
 *	waited across a VLAN change, or the queue did not run (disabled,
 *	never started, stopped, or in error) when it came.
 * @VMQ_CNT_TX_PACKETS: frames sent.
 * @VMQ_CNT_TX_BYTES: their bytes.
 * @VMQ_CNT_TX_SPOOFED: frames dropped by anti-spoofing, and VLAN-tagged
 *	frames sent on a queue without a VLAN that is not a trunk.
 * @VMQ_CNT_ERRORS: entries into the error state.
 * @VMQ_CNT_DOORBELLS: TAIL writes.
 * @VMQ_CNT_DOORBELLS_COALESCED: TAIL writes that found work pending.
 * @VMQ_CNT_DMA_PINS: guest pages the device pinned for its access.
 * @VMQ_CNT_DMA_UNPINS: pinned pages it let go (unmapped, or the device
 *	closed); PINS - UNPINS are pinned now.
 * @VMQ_CNT_DMA_SLOW: accesses to a guest page the device could not pin,
 *	made through the VMM's page tables instead.
 * @VMQ_CNT_MAX: number of counters.
 */
enum vmq_counter {
	VMQ_CNT_RX_PACKETS,
	VMQ_CNT_RX_BYTES,
	VMQ_CNT_RX_DROPS,
	VMQ_CNT_TX_PACKETS,
	VMQ_CNT_TX_BYTES,
	VMQ_CNT_TX_SPOOFED,
	VMQ_CNT_ERRORS,
	VMQ_CNT_DOORBELLS,
	VMQ_CNT_DOORBELLS_COALESCED,
	VMQ_CNT_DMA_PINS,
	VMQ_CNT_DMA_UNPINS,
	VMQ_CNT_DMA_SLOW,
	VMQ_CNT_MAX,
};

/**
 * struct vmq_desc - a receive or transmit descriptor in guest memory
 * @addr: IOVA of the buffer.
 * @len: receive: buffer size from the guest, frame length from the
 *	device; transmit: frame length.
 * @flags: VMQ_DESC_F_*; the guest writes 0, the device writes back.
 * @rsvd: zero.
 */
struct vmq_desc {
	__le64 addr;
	__le32 len;
	__le16 flags;
	__le16 rsvd;
};

#define VMQ_DESC_F_DONE		(1U << 0)	/* completed by the device */
#define VMQ_DESC_F_ERR		(1U << 1)	/* frame dropped, see above */

/**
 * struct vmq_ring_state - one ring in a saved queue state
 * @base: IOVA of the ring.
 * @size: descriptors.
 * @head: next descriptor the device completes.
 * @tail: the guest's last doorbell.
 * @rsvd: zero.
 */
struct vmq_ring_state {
	__u64 base;
	__u32 size;
	__u32 head;
	__u32 tail;
	__u32 rsvd;
};

#define VMQ_STATE_VERSION	1
#define VMQ_STATE_F_ENABLED	(1U << 0)
#define VMQ_STATE_F_RX_HASH	(1U << 1)	/* enabled with CONTROL.RX_HASH */

/**
 * struct vmq_queue_state - a stopped queue's state, for migration
 * @version: %VMQ_STATE_VERSION; a newer reader rejects what it does not
 *	know.
 * @size: sizeof() this structure as written.
 * @flags: VMQ_STATE_F_*.
 * @error: enum vmq_err.
 * @rx: the receive ring.
 * @tx: the transmit ring.
 *
 * The guest-visible state of a queue pair: restoring it on another device
 * and enabling resumes the rings where they stopped.  MAC, VLAN and
 * anti-spoofing belong to the host admin and are set on the destination
 * by the management stack, not migrated with the guest.
 */
struct vmq_queue_state {
	__u32 version;
	__u32 size;
	__u32 flags;
	__u32 error;
	struct vmq_ring_state rx;
	struct vmq_ring_state tx;
};

/*
 * Live migration: VFIO migration v2 (VFIO_DEVICE_FEATURE_MIGRATION reports
 * VFIO_MIGRATION_STOP_COPY; VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE moves the
 * device between RUNNING, STOP, STOP_COPY and RESUMING).  In STOP the
 * queue pair does no DMA and its MAC matches nothing; the data fd of
 * STOP_COPY (and PRE_COPY before it, where the kernel has it) reads, and
 * the one of RESUMING takes, one stream of segments, each:
 *
 *   struct vmq_mig_header
 *   records: struct vmq_mig_record, then len bytes of payload, padded with
 *   zeroes to a multiple of 8 bytes; the last one is %VMQ_MIG_REC_END.
 *
 * PRE_COPY's segment has only %VMQ_MIG_REC_DEVICE; the last segment has
 * the queue.  Every number in the stream is little-endian.  The CRC is
 * the CRC-32 of zlib's crc32() (IEEE 802.3) over all @size bytes of the
 * segment, taken with the crc field as 0.
 * Documentation/networking/vmq.rst, "Live migration", says which errno
 * refuses which stream.
 */
#define VMQ_MIG_MAGIC		0x4d514d56	/* "VMQM" */
#define VMQ_MIG_VERSION		1
/* The largest stream a device accepts, in bytes. */
#define VMQ_MIG_MAX_SIZE	(4U << 20)
/* The most %VMQ_MIG_REC_FRAME records in a stream. */
#define VMQ_MIG_MAX_FRAMES	1024

/**
 * struct vmq_mig_header - the start of a segment of a migration stream
 * @magic: %VMQ_MIG_MAGIC.
 * @version: %VMQ_MIG_VERSION.
 * @hdr_size: sizeof(struct vmq_mig_header): where the first record is.
 * @crc: CRC-32 of the segment, see above.
 * @size: bytes in the segment, this header and every record included.
 */
struct vmq_mig_header {
	__le32 magic;
	__le32 version;
	__le32 hdr_size;
	__le32 crc;
	__le64 size;
};

/**
 * struct vmq_mig_record - a record of the stream
 * @type: enum vmq_mig_rec.
 * @flags: VMQ_MIG_REC_F_*.
 * @len: bytes of payload that follow, padding excluded.
 */
struct vmq_mig_record {
	__le16 type;
	__le16 flags;
	__le32 len;
};

/* A reader that does not know the record's type skips it. */
#define VMQ_MIG_REC_F_OPTIONAL	(1U << 0)

/**
 * enum vmq_mig_rec - record types
 * @VMQ_MIG_REC_END: no payload; the last record.
 * @VMQ_MIG_REC_DEVICE: struct vmq_mig_device; exactly one, the first.
 * @VMQ_MIG_REC_QUEUE: struct vmq_queue_state (little-endian); exactly one
 *	per queue pair, in queue order.  The COUNTERS and FRAME records
 *	after one belong to its queue.
 * @VMQ_MIG_REC_COUNTERS: __le64 values of enum vmq_counter, in its
 *	order from %VMQ_CNT_RX_PACKETS, len / 8 of them; at most one.  A
 *	device sends those before %VMQ_CNT_DMA_PINS (the DMA counters
 *	describe the host's pins, not the guest) and restores as many of
 *	those as the record has; the others start from 0.
 * @VMQ_MIG_REC_FRAME: a frame the device accepted but had not written to
 *	guest memory when it stopped, as the guest will see it; in arrival
 *	order, at most %VMQ_MIG_MAX_FRAMES in all.
 * @VMQ_MIG_REC_RSS: struct vmq_mig_rss; exactly one from a device with
 *	%VMQ_FEAT_RSS, none from another.
 */
enum vmq_mig_rec {
	VMQ_MIG_REC_END,
	VMQ_MIG_REC_DEVICE,
	VMQ_MIG_REC_QUEUE,
	VMQ_MIG_REC_COUNTERS,
	VMQ_MIG_REC_FRAME,
	VMQ_MIG_REC_RSS,
};

/* struct vmq_mig_device flags: the host admin's settings. */
#define VMQ_MIG_DEV_F_SPOOFCHK	(1U << 0)
#define VMQ_MIG_DEV_F_TRUNK	(1U << 1)

/**
 * struct vmq_mig_device - what the source device was
 * @features: its FEATURES register.
 * @flags: VMQ_MIG_DEV_F_*.
 * @mac: the admin's MAC (MAC_LO, MAC_HI).
 * @vlan: the admin's VLAN (VLAN register).
 * @queues: its QUEUES register; 0 (from a device without
 *	%VMQ_FEAT_RSS) reads as 1.  A device with another number of queue
 *	pairs refuses the stream.
 */
struct vmq_mig_device {
	__le32 features;
	__le32 flags;
	__u8 mac[6];
	__le16 vlan;
	__le32 queues;
};

/**
 * struct vmq_mig_rss - the guest's RSS registers
 * @key: RSS_KEY, byte 0 first.
 * @table: RSS_TABLE as last loaded, entry 0 first.
 */
struct vmq_mig_rss {
	__u8 key[VMQ_RSS_KEY_SIZE];
	__u8 table[VMQ_RSS_TABLE_SIZE];
};

#endif /* _UAPI_LINUX_VMQ_H */
