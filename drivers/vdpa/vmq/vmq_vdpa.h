/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmq_vdpa: a VMQ queue pair as a vDPA virtio-net device.
 *
 * Every vmq device is a vDPA management device (main.c); each vDPA device
 * holds one guest queue pair of the core in the virtio ring format, from
 * "vdpa dev add" to "vdpa dev del", and speaks the vDPA bus's config ops
 * (dev.c): features, config space, status, virtqueue setup.  The NIC
 * runs the virtqueues itself through the device's IOTLB (dma.c).  The
 * host admin's settings are sysfs attributes of the device (attr.c).
 */
#ifndef _VMQ_VDPA_H
#define _VMQ_VDPA_H

#include <linux/debugfs.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/vdpa.h>
#include <linux/vhost_iotlb.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <net/vmq_guest.h>

#define VMQ_VDPA_DRV_NAME	"vmq_vdpa"
/* IOVA pages whose mapping the device remembers (dma.c). */
#define VMQ_VDPA_TLB_SIZE	256
/* Virtqueues: receive and transmit of one queue pair. */
#define VMQ_VDPA_NVQS		2
/* What the device offers: no offloads, one queue pair. */
#define VMQ_VDPA_FEATURES	(BIT_ULL(VIRTIO_F_VERSION_1) |		\
				 BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) |	\
				 BIT_ULL(VIRTIO_NET_F_MAC) |		\
				 BIT_ULL(VIRTIO_NET_F_STATUS) |		\
				 BIT_ULL(VIRTIO_NET_F_MTU))

/**
 * struct vmq_vdpa_mgmt - a vmq device as a vDPA management device, the
 *	cookie the core keeps for it
 * @vdev: the vmq device.
 * @mgmt: the management device.
 * @id_table: the virtio devices it makes: net.
 */
struct vmq_vdpa_mgmt {
	struct vmq_dev *vdev;
	struct vdpa_mgmt_dev mgmt;
	struct virtio_device_id id_table[2];
};

/**
 * struct vmq_vdpa_vq - a virtqueue as the driver set it up
 * @desc: descriptor table address.
 * @avail: driver area address.
 * @used: device area address.
 * @num: entries.
 * @avail_index: where the device starts (set_vq_state).
 * @ready: the driver enabled it.
 * @cb: its callback.
 */
struct vmq_vdpa_vq {
	u64 desc;
	u64 avail;
	u64 used;
	u32 num;
	u16 avail_index;
	bool ready;
	struct vdpa_callback cb;
};

/**
 * struct vmq_vdpa_dev - one vDPA device, one queue pair
 * @vdpa: the vDPA device; first, as vdpa_alloc_device() requires.
 * @vdev: the vmq device.
 * @qp: its queue pair.
 * @mac: the MAC it was added with, in config space.
 * @lock: serialises status, features, virtqueue setup and start.
 * @status: the virtio device status.
 * @features: the driver's features.
 * @mtu: the MTU config space gave the driver when it set FEATURES_OK,
 *	kept until a reset (virtio-net's MTU does not change once set);
 *	0 before: config space then shows the NIC's.
 * @generation: config generation, moved by each reset.
 * @started: the queue pair runs (DRIVER_OK, not suspended, no start
 *	error).
 * @suspended: suspended since DRIVER_OK; resume or a reset ends it.
 * @vq: the virtqueues, VMQ_VQ_RX and VMQ_VQ_TX.
 * @cb_lock: guards the callbacks against the notify path (any context).
 * @config_cb: the config change callback.
 * @map_lock: serialises the map's writers (set_map, reset_map, the
 *	device's end), which read @iotlb without @iotlb_lock: only they
 *	change it.
 * @iotlb_lock: guards @iotlb, @tlb and @passthrough against the NIC's
 *	access.
 * @iotlb: the driver's mappings, IOVA to physical address, each holding
 *	a reference on each page it reaches; NULL: none.
 * @tlb: the mapping the last access to each IOVA page went through, at
 *	its page number modulo %VMQ_VDPA_TLB_SIZE, or NULL; whatever
 *	changes @iotlb clears it.
 * @passthrough: the host's own virtio_vdpa set DRIVER_OK: an IOVA is a
 *	physical address (its DMA API's, for a device without an IOMMU).
 * @page_refs: references @iotlb took on pages since the device was
 *	made; written under @map_lock, read by debugfs.
 * @debugfs: the device's debugfs directory, vmq_vdpa/NAME.
 */
struct vmq_vdpa_dev {
	struct vdpa_device vdpa;
	struct vmq_dev *vdev;
	u32 qp;
	u8 mac[ETH_ALEN];
	struct mutex lock;	/* see @lock above */
	u8 status;
	u64 features;
	u32 mtu;
	u32 generation;
	bool started;
	bool suspended;
	struct vmq_vdpa_vq vq[VMQ_VDPA_NVQS];
	spinlock_t cb_lock;	/* see @cb_lock above */
	struct vdpa_callback config_cb;
	struct mutex map_lock;	/* see @map_lock above */
	spinlock_t iotlb_lock;	/* see @iotlb_lock above */
	struct vhost_iotlb *iotlb;
	struct vhost_iotlb_map *tlb[VMQ_VDPA_TLB_SIZE];
	bool passthrough;
	u64 page_refs;
	struct dentry *debugfs;
};

static inline struct vmq_vdpa_dev *vmq_vdpa_from(struct vdpa_device *vdpa)
{
	return container_of(vdpa, struct vmq_vdpa_dev, vdpa);
}

/* dev.c */
extern const struct vdpa_config_ops vmq_vdpa_config_ops;
extern const struct vmq_guest_ops vmq_vdpa_guest_ops;
void vmq_vdpa_init_dev(struct vmq_vdpa_dev *vd);

/* dma.c */
int vmq_vdpa_dma_rw(void *ctx, u64 iova, void *buf, size_t len, bool write);
int vmq_vdpa_dma_try(void *ctx, u64 iova, void *buf, size_t len, bool write);
int vmq_vdpa_set_map(struct vdpa_device *vdpa, unsigned int asid,
		     struct vhost_iotlb *iotlb);
int vmq_vdpa_reset_map(struct vdpa_device *vdpa, unsigned int asid);
bool vmq_vdpa_host_driver(struct vmq_vdpa_dev *vd);
bool vmq_vdpa_dma_start(struct vmq_vdpa_dev *vd);
void vmq_vdpa_dma_stop(struct vmq_vdpa_dev *vd);
void vmq_vdpa_dma_init(struct vmq_vdpa_dev *vd);
void vmq_vdpa_dma_fini(struct vmq_vdpa_dev *vd);

/* main.c */
extern struct dentry *vmq_vdpa_debugfs;

/* attr.c */
extern const struct attribute_group *vmq_vdpa_groups[];

#endif /* _VMQ_VDPA_H */
