/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmq_vfio: a VMQ queue pair as a VFIO mediated device.
 *
 * Every vmq device is an mdev parent (main.c, mdev.c) with one type, a
 * queue pair.  Each mdev holds one guest queue pair of the core
 * (include/net/vmq_guest.h) from creation to removal; the VMM opening it
 * through VFIO (vfio.c) sees registers (regs.c) and eventfd interrupts
 * (irq.c) laid out in include/uapi/linux/vmq.h, and the NIC reads and
 * writes the guest's rings and buffers through pinned pages (pin.c).
 * A VMM migrates it with VFIO migration v2 (migration.c, stream.c).
 */
#ifndef _VMQ_VFIO_H
#define _VMQ_VFIO_H

#include <linux/eventfd.h>
#include <linux/mdev.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/spinlock.h>
#include <linux/vfio.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <net/vmq_guest.h>

#define VMQ_VFIO_DRV_NAME	"vmq_vfio"

/* Queue pairs of the mdev types: "qp" and "qp4". */
#define VMQ_VFIO_NUM_TYPES	2
#define VMQ_VFIO_QP4		4

/* Log lines of refused migration streams, per device: 40 in 5 s. */
#define VMQ_VFIO_MIG_LOG_BURST		40
#define VMQ_VFIO_MIG_LOG_INTERVAL	(5 * HZ)

/**
 * struct vmq_vfio_type - an mdev type: devices of so many queue pairs
 * @type: the mdev type.
 * @parent: its parent.
 * @queues: queue pairs of each device of the type.
 */
struct vmq_vfio_type {
	struct mdev_type type;
	struct vmq_vfio_parent *parent;
	u32 queues;
};

/**
 * struct vmq_vfio_parent - a vmq device as an mdev parent, the cookie
 *	the core keeps for it
 * @vdev: the vmq device.
 * @parent: its mdev parent.
 * @types: its mdev types: one queue pair, and four with RSS.
 * @type_list: the list of types mdev_register_parent() wants: @types.
 */
struct vmq_vfio_parent {
	struct vmq_dev *vdev;
	struct mdev_parent parent;
	struct vmq_vfio_type types[VMQ_VFIO_NUM_TYPES];
	struct mdev_type *type_list[VMQ_VFIO_NUM_TYPES];
};

/**
 * struct vmq_vfio_queue - one queue pair of an mdev, the core's context
 *	for its guest queue pair
 * @mvdev: the mdev.
 * @index: its queue index in the guest's view, 0..QUEUES - 1.
 * @regs: ring registers as the guest wrote them; heads saved at disable.
 */
struct vmq_vfio_queue {
	struct vmq_vfio_dev *mvdev;
	u32 index;
	struct vmq_queue_state regs;
};

/**
 * struct vmq_vfio_rss - the guest's RSS registers
 * @key: RSS_KEY.
 * @table: RSS_TABLE.
 */
struct vmq_vfio_rss {
	u8 key[VMQ_RSS_KEY_SIZE];
	u8 table[VMQ_RSS_TABLE_SIZE];
};

/* Entries of the pins' translation cache; a power of 2. */
#define VMQ_VFIO_TLB		32

/**
 * struct vmq_vfio_tlb - the last pins looked up, as an IOMMU's IOTLB
 * @idx: an IOVA page frame.
 * @page: its pin, or NULL: the entry is empty.
 *
 * Direct-mapped by @idx.  Guarded by the lock of &vmq_vfio_dev.pins: an
 * entry is filled from the xarray and emptied when its page leaves it,
 * both under that lock, so an entry's page is always one still pinned.
 */
struct vmq_vfio_tlb {
	unsigned long idx;
	struct page *page;
};

/* Ranges fenced at once before the whole device is. */
#define VMQ_VFIO_FENCES		8

/**
 * struct vmq_vfio_fences - guest memory ranges the device must not pin
 * @lock: guards the rest; taken with BHs off.
 * @range: page-frame ranges, first and last included, that .dma_unmap
 *	emptied of pins while type1 may still call it again.
 * @nr: entries in @range.
 * @all: @range overflowed: no page may be pinned until close.
 */
struct vmq_vfio_fences {
	spinlock_t lock;	/* see @lock above */
	struct {
		unsigned long first, last;
	} range[VMQ_VFIO_FENCES];
	u32 nr;
	bool all;
};

/**
 * struct vmq_vfio_mig_file - a migration data fd
 * @filp: its file.
 * @lock: guards the rest.
 * @buf: the stream (kvmalloc()ed): all of it when saving, what the VMM
 *	wrote so far when resuming.
 * @len: bytes of stream in @buf.
 * @cap: bytes allocated at @buf.
 * @pos: where the next read() starts.
 * @disabled: the device left the state this fd was for.
 * @precopy: the device is in PRE_COPY: the end of @buf is for now.
 * @mvdev: the device, while not @disabled (resuming: to check segments).
 * @checked: resuming: bytes of complete segments found good.
 * @queued: resuming: the last of them has the queue's state: nothing may
 *	follow it.
 * @bad: resuming: the errno a segment was refused with, or 0.
 */
struct vmq_vfio_mig_file {
	struct file *filp;
	struct mutex lock;	/* see @lock above */
	u8 *buf;
	size_t len;
	size_t cap;
	size_t pos;
	bool disabled;
	bool precopy;
	struct vmq_vfio_dev *mvdev;
	size_t checked;
	bool queued;
	int bad;
};

/**
 * struct vmq_vfio_dev - one mdev, one queue pair
 * @vfio: the VFIO device; first, as vfio_alloc_device() requires.
 * @parent: its parent.
 * @vdev: the vmq device.
 * @qp: its first queue pair; the others follow it.
 * @nr_queues: how many it has (QUEUES).
 * @q: each one's registers.
 * @lock: serialises registers, enable/disable and interrupt
 *	configuration.  Taken before the core's device mutex.  An enable
 *	holds it while it reads the guest's rings, which a VMM can make
 *	wait (a fault its userfaultfd never serves): nothing of the host's
 *	may need it.
 * @attr_lock: serialises the admin's MAC, VLAN and spoofchk writers, so
 *	that writers of different ones at once all keep their value; not
 *	@lock, which a VMM can hold.
 * @control: CONTROL as the guest last wrote it.
 * @rss: the RSS registers as the guest wrote them.
 * @rss_loaded: as it last loaded them (RSS_LOAD): what the NIC uses.
 * @mm: the address space of the VMM that has the device open, grabbed
 *	(not its users): the NIC's access failing once it has no users is
 *	the VMM exiting, not a guest error.
 * @vmm: the task that opened the device (the VMM), held: whether the
 *	VMM is dying (watch.c).
 * @watch: while an access through the VMM's page tables is in
 *	progress, ends it once the VMM is dying (watch.c).
 * @watched: accesses through the VMM's page tables in progress.
 * @vmm_gone: the VMM was seen dying while the device is open (watch.c).
 * @irq_lock: guards @trigger against the notify path (any context).
 * @trigger: eventfd per VMQ_VFIO_IRQ_* and subindex (queue), or NULL.
 * @pins: guest pages the device pinned, by IOVA page frame: the NIC's
 *	way into guest memory (pin.c).  Its lock covers each copy through
 *	a pin.
 * @tlb: the last pins looked up (pin.c), under @pins' lock.
 * @npins: entries in @pins.
 * @pinning: pins in flight (pinned, not yet in @pins).
 * @pin_wait: where .dma_unmap waits for @pinning to drop to 0.
 * @fences: ranges not to pin (pin.c).
 * @mig_lock: orders migration state changes, resets and close; taken
 *	before @lock (migration.c).
 * @mig_state: the VFIO migration state.
 * @mig_stopped: not RUNNING: register writes are refused.  Written
 *	under both locks.
 * @mig_save: the STOP_COPY data fd, while in STOP_COPY.
 * @mig_resume: the RESUMING data fd, while in RESUMING.
 * @mig_log: bounds the log lines of refused streams and of arcs that
 *	cannot run, which a VMM can make in a loop.
 */
struct vmq_vfio_dev {
	struct vfio_device vfio;
	struct vmq_vfio_parent *parent;
	struct vmq_dev *vdev;
	u32 qp;
	u32 nr_queues;
	struct vmq_vfio_queue q[VMQ_VFIO_MAX_QUEUES];
	struct mutex lock;	/* see @lock above */
	struct mutex attr_lock;	/* see @attr_lock above */
	u32 control;
	struct vmq_vfio_rss rss;
	struct vmq_vfio_rss rss_loaded;
	struct mm_struct *mm;
	struct task_struct *vmm;
	struct delayed_work watch;
	atomic_t watched;
	bool vmm_gone;
	spinlock_t irq_lock;	/* see @irq_lock above */
	struct eventfd_ctx *trigger[VMQ_VFIO_NUM_IRQS][VMQ_VFIO_MAX_QUEUES];
	struct xarray pins;
	struct vmq_vfio_tlb tlb[VMQ_VFIO_TLB];
	atomic_t npins;
	atomic_t pinning;
	wait_queue_head_t pin_wait;
	struct vmq_vfio_fences fences;
	struct mutex mig_lock;	/* see @mig_lock above */
	enum vfio_device_mig_state mig_state;
	bool mig_stopped;
	struct vmq_vfio_mig_file *mig_save;
	struct vmq_vfio_mig_file *mig_resume;
	struct ratelimit_state mig_log;
};

static inline struct vmq_vfio_dev *vmq_vfio_from(struct vfio_device *vfio)
{
	return container_of(vfio, struct vmq_vfio_dev, vfio);
}

/*
 * Its first guest queue pair: the admin's settings, the error and DMA
 * counters of the device.
 */
static inline struct vmq_guest_qp *vmq_vfio_gqp(struct vmq_vfio_dev *mvdev)
{
	return vmq_guest_qp(mvdev->vdev, mvdev->qp);
}

/* The guest queue pair of its queue @q. */
static inline struct vmq_guest_qp *vmq_vfio_qgqp(struct vmq_vfio_dev *mvdev,
						 u32 q)
{
	return vmq_guest_qp(mvdev->vdev, mvdev->qp + q);
}

/* mdev.c */
extern struct mdev_driver vmq_vfio_mdev_driver;
void *vmq_vfio_parent_add(struct vmq_dev *vdev);
void vmq_vfio_parent_del(struct vmq_dev *vdev, void *cookie);

/* vfio.c */
extern const struct vfio_device_ops vmq_vfio_dev_ops;
extern const struct vmq_guest_ops vmq_vfio_guest_ops;

/* regs.c */
int vmq_vfio_reg_read(struct vmq_vfio_dev *mvdev, u32 off, u32 *val);
int vmq_vfio_reg_write(struct vmq_vfio_dev *mvdev, u32 off, u32 val);
int vmq_vfio_restart(struct vmq_vfio_dev *mvdev);
u32 vmq_vfio_features(struct vmq_vfio_dev *mvdev);
int vmq_vfio_rss_load(struct vmq_vfio_dev *mvdev);
void vmq_vfio_reset(struct vmq_vfio_dev *mvdev);
void vmq_vfio_release_dma(struct vmq_vfio_dev *mvdev);

/* pin.c */
int vmq_vfio_pin_rw(struct vmq_vfio_dev *mvdev, u64 iova, void *buf,
		    size_t len, bool write);
int vmq_vfio_pin_try(struct vmq_vfio_dev *mvdev, u64 iova, void *buf,
		     size_t len, bool write);
void vmq_vfio_dma_unmap(struct vfio_device *vfio, u64 iova, u64 length);
void vmq_vfio_unpin_all(struct vmq_vfio_dev *mvdev);

/* watch.c */
bool vmq_vfio_vmm_dying(struct vmq_vfio_dev *mvdev);
int vmq_vfio_watch_enter(struct vmq_vfio_dev *mvdev);
void vmq_vfio_watch_leave(struct vmq_vfio_dev *mvdev);
void vmq_vfio_watch_init(struct vmq_vfio_dev *mvdev);
void vmq_vfio_watch_open(struct vmq_vfio_dev *mvdev);
void vmq_vfio_watch_close(struct vmq_vfio_dev *mvdev);

/* migration.c */
void vmq_vfio_mig_init(struct vmq_vfio_dev *mvdev);
void vmq_vfio_mig_reset(struct vmq_vfio_dev *mvdev);

/* stream.c */
size_t vmq_vfio_stream_size(struct vmq_vfio_dev *mvdev);
int vmq_vfio_stream_save(struct vmq_vfio_dev *mvdev, bool full, u8 **bufp,
			 size_t *lenp);
int vmq_vfio_stream_check(struct vmq_vfio_dev *mvdev, const u8 *buf,
			  size_t len, size_t *checked, bool *queued);
int vmq_vfio_stream_load(struct vmq_vfio_dev *mvdev, const u8 *buf,
			 size_t len);

/* irq.c */
int vmq_vfio_irq_info(struct vmq_vfio_dev *mvdev, unsigned long arg);
int vmq_vfio_set_irqs(struct vmq_vfio_dev *mvdev, unsigned long arg);
void vmq_vfio_irq_fire(struct vmq_vfio_dev *mvdev, u32 index, u32 sub);
void vmq_vfio_irqs_release(struct vmq_vfio_dev *mvdev);

#endif /* _VMQ_VFIO_H */
