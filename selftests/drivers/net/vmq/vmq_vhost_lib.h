/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmq_vhost_lib: what the VMMs on a vmq_vdpa device bound to vhost_vdpa
 * share, with the standard uapi only: opening /dev/vhost-vdpa-N, the
 * device status and feature negotiation, anonymous memory of their own
 * mapped through the device's IOTLB (struct vhost_msg_v2 written to the
 * fd), split virtqueues laid out in it, with their kick and call
 * eventfds, and an ioctl issued from another thread (a vCPU's).
 * vmq_vhost (the test VMM vdpa.sh drives) and vmq_bench_vhost
 * (the benchmarks' guest_rx consumer) are built on it.
 */
#ifndef VMQ_VHOST_LIB_H
#define VMQ_VHOST_LIB_H

#include <linux/types.h>
#include <linux/virtio_ring.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include "vmq_test_lib.h"

#define KSFT_SKIP	4
/* Newer than Debian 12's uapi headers (Linux 6.4). */
#ifndef VHOST_VDPA_RESUME
#define VHOST_VDPA_RESUME	_IO(VHOST_VIRTIO, 0x7E)
#endif
#ifndef VHOST_BACKEND_F_RESUME
#define VHOST_BACKEND_F_RESUME	0x5
#endif
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BIT_ULL(n)	(1ULL << (n))

/*
 * A split virtqueue's layout in its VQ_STRIDE bytes of ring memory: the
 * descriptor table first, the avail ring at VQ_AVAIL_OFF, the used ring
 * at VQ_USED_OFF.  Room for up to VQ_MAX_NUM entries.
 */
#define VQ_STRIDE	0x4000
#define VQ_AVAIL_OFF	0x1000
#define VQ_USED_OFF	0x2000
#define VQ_MAX_NUM	256

/**
 * struct vq - the driver's side of one split virtqueue
 * @desc: descriptor table, in our ring memory.
 * @avail: avail ring.
 * @used: used ring.
 * @num: entries (a power of two, at most VQ_MAX_NUM).
 * @avail_idx: next free avail ring entry.
 * @last_used: next used ring entry we look at.
 * @kick: eventfd we write to notify the device.
 * @call: eventfd the device signals.
 * @calls: times the call eventfd fired (kept by the user).
 */
struct vq {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	__u16 num;
	__u16 avail_idx;
	__u16 last_used;
	int kick, call;
	long calls;
};

/**
 * struct vhost - an open vhost-vdpa device
 * @path: its /dev/vhost-vdpa-N.
 * @fd: open on @path.
 * @backend: backend features acked (IOTLB_MSG_V2; IOTLB_BATCH, SUSPEND
 *	and RESUME if offered).
 * @mapped: the IOTLB holds our maps (vhost_map() was called).
 */
struct vhost {
	const char *path;
	int fd;
	__u64 backend;
	bool mapped;
};

/**
 * struct vhost_map - one mapping of our memory in the device's IOTLB
 * @iova: where the device sees it.
 * @size: bytes.
 * @mem: our memory.
 * @perm: VHOST_ACCESS_RO, _WO or _RW.
 */
struct vhost_map {
	__u64 iova, size;
	void *mem;
	__u8 perm;
};

/**
 * struct vhost_bg - one ioctl of the device from another thread of the
 *	VMM (a vCPU's), while the caller's goes on
 * @h: the device.
 * @req: the ioctl.
 * @arg: its argument.
 * @err: 0 or -errno, once it returned.
 * @state: 0 not yet issued, 1 issued, 2 returned (atomic).
 * @thread: the thread that issues it.
 */
struct vhost_bg {
	struct vhost *h;
	unsigned long req;
	void *arg;
	int err;
	int state;
	pthread_t thread;
};

void *anon(size_t size);
bool efd_wait(int fd, int ms);
void efd_drain(int fd);

int vhost_ioctl(struct vhost *h, unsigned long req, void *arg);
void vhost_xioctl(struct vhost *h, unsigned long req, void *arg,
		  const char *what);
void vhost_open(struct vhost *h);
void vhost_bg_start(struct vhost_bg *bg, struct vhost *h, unsigned long req,
		    void *arg);
bool vhost_bg_returned(struct vhost_bg *bg);
int vhost_bg_join(struct vhost_bg *bg);
__u8 vhost_status_get(struct vhost *h);
void vhost_status_set(struct vhost *h, __u8 s);
void vhost_features_ok(struct vhost *h, __u64 want);
void vhost_map(struct vhost *h, const struct vhost_map *maps, size_t n);
int vhost_iotlb_msg(struct vhost *h, __u8 type, __u64 iova, __u64 size,
		    void *uaddr, __u8 perm);
void vhost_iotlb(struct vhost *h, __u8 type, __u64 iova, __u64 size,
		 void *mem, __u8 perm);

void vq_init(struct vq *vq);
void vq_addr(struct vhost *h, int q, __u64 desc, __u64 avail, __u64 used);
void vq_setup(struct vhost *h, struct vq *vq, int q, __u16 num, __u8 *mem,
	      __u64 iova);
void vq_program(struct vhost *h, struct vq *vq, int q, __u64 iova,
		__u16 start);
void vq_enable(struct vhost *h, int q);
void vq_desc_set(struct vring_desc *d, __u64 addr, __u32 len, __u16 flags,
		 __u16 next);
void vq_avail_put(struct vq *vq, __u16 head);
void vq_kick(struct vq *vq);

#endif /* VMQ_VHOST_LIB_H */
