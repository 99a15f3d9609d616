// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vhost_lib: a VMM's side of a vhost-vdpa device (vmq_vhost_lib.h).
 */

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <linux/vhost_types.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include "vmq_vhost_lib.h"

void *anon(size_t size)
{
	void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (mem == MAP_FAILED)
		die("mmap");
	return mem;
}

/* Wait up to @ms for eventfd @fd to fire, and consume it. */
bool efd_wait(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	__u64 n;

	if (poll(&pfd, 1, ms) <= 0)
		return false;
	return read(fd, &n, sizeof(n)) == sizeof(n);
}

void efd_drain(int fd)
{
	__u64 n;

	while (read(fd, &n, sizeof(n)) == sizeof(n))
		;
}

/* --- the device ------------------------------------------------------------ */

int vhost_ioctl(struct vhost *h, unsigned long req, void *arg)
{
	return ioctl(h->fd, req, arg) ? -errno : 0;
}

void vhost_xioctl(struct vhost *h, unsigned long req, void *arg,
		  const char *what)
{
	errno = -vhost_ioctl(h, req, arg);
	if (errno)
		die(what);
}

/**
 * vhost_open() - open h->path as its owner, with IOTLB messages v2
 * @h: path set.
 *
 * Exits KSFT_SKIP if the device cannot be opened, 1 if it is no
 * virtio-net device or lacks IOTLB_MSG_V2.
 */
void vhost_open(struct vhost *h)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	__u64 features;
	__u32 id = 0;

	h->fd = open(h->path, O_RDWR);
	if (h->fd < 0) {
		printf("SKIP: %s: %s\n", h->path, strerror(errno));
		exit(KSFT_SKIP);
	}
	/* vhost-vdpa pins what the IOTLB maps, against RLIMIT_MEMLOCK. */
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	vhost_xioctl(h, VHOST_SET_OWNER, NULL, "VHOST_SET_OWNER");
	vhost_xioctl(h, VHOST_GET_BACKEND_FEATURES, &features,
		     "VHOST_GET_BACKEND_FEATURES");
	if (!(features & BIT_ULL(VHOST_BACKEND_F_IOTLB_MSG_V2))) {
		printf("FAIL: backend features %#llx lack IOTLB_MSG_V2\n",
		       (unsigned long long)features);
		exit(1);
	}
	h->backend = features & (BIT_ULL(VHOST_BACKEND_F_IOTLB_MSG_V2) |
				 BIT_ULL(VHOST_BACKEND_F_IOTLB_BATCH) |
				 BIT_ULL(VHOST_BACKEND_F_SUSPEND) |
				 BIT_ULL(VHOST_BACKEND_F_RESUME));
	vhost_xioctl(h, VHOST_SET_BACKEND_FEATURES, &h->backend,
		     "VHOST_SET_BACKEND_FEATURES");
	vhost_xioctl(h, VHOST_VDPA_GET_DEVICE_ID, &id,
		     "VHOST_VDPA_GET_DEVICE_ID");
	if (id != VIRTIO_ID_NET) {
		printf("FAIL: device id %u, not %u (net)\n", id, VIRTIO_ID_NET);
		exit(1);
	}
}

static void *vhost_bg_run(void *arg)
{
	struct vhost_bg *bg = arg;

	__atomic_store_n(&bg->state, 1, __ATOMIC_RELEASE);
	bg->err = vhost_ioctl(bg->h, bg->req, bg->arg);
	__atomic_store_n(&bg->state, 2, __ATOMIC_RELEASE);
	return NULL;
}

/**
 * vhost_bg_start() - issue an ioctl from another thread of ours
 * @bg: filled in here.
 * @h: open (its owner is our process, so any of our threads may ask).
 * @req: the ioctl.
 * @arg: its argument, to stay valid until vhost_bg_join().
 *
 * Returns once the thread is about to issue it.
 */
void vhost_bg_start(struct vhost_bg *bg, struct vhost *h, unsigned long req,
		    void *arg)
{
	bg->h = h;
	bg->req = req;
	bg->arg = arg;
	bg->err = 0;
	bg->state = 0;
	errno = pthread_create(&bg->thread, NULL, vhost_bg_run, bg);
	if (errno)
		die("pthread_create");
	while (!__atomic_load_n(&bg->state, __ATOMIC_ACQUIRE))
		usleep(100);
}

/* Whether the ioctl vhost_bg_start() issued has returned. */
bool vhost_bg_returned(struct vhost_bg *bg)
{
	return __atomic_load_n(&bg->state, __ATOMIC_ACQUIRE) == 2;
}

/* Wait for the ioctl vhost_bg_start() issued: 0 or -errno. */
int vhost_bg_join(struct vhost_bg *bg)
{
	errno = pthread_join(bg->thread, NULL);
	if (errno)
		die("pthread_join");
	return bg->err;
}

__u8 vhost_status_get(struct vhost *h)
{
	__u8 s = 0;

	vhost_xioctl(h, VHOST_VDPA_GET_STATUS, &s, "VHOST_VDPA_GET_STATUS");
	return s;
}

void vhost_status_set(struct vhost *h, __u8 s)
{
	vhost_xioctl(h, VHOST_VDPA_SET_STATUS, &s, "VHOST_VDPA_SET_STATUS");
}

/**
 * vhost_features_ok() - reset the device and negotiate up to FEATURES_OK
 * @h: open.
 * @want: the features to ack; the device must offer all of them.
 *
 * Exits 1 if the device lacks one or refuses them.
 */
void vhost_features_ok(struct vhost *h, __u64 want)
{
	__u64 features;

	vhost_status_set(h, 0);
	vhost_status_set(h, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vhost_status_set(h, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			 VIRTIO_CONFIG_S_DRIVER);
	vhost_xioctl(h, VHOST_GET_FEATURES, &features, "VHOST_GET_FEATURES");
	if ((features & want) != want) {
		printf("FAIL: device features %#llx lack %#llx\n",
		       (unsigned long long)features,
		       (unsigned long long)(want & ~features));
		exit(1);
	}
	features = want;
	vhost_xioctl(h, VHOST_SET_FEATURES, &features, "VHOST_SET_FEATURES");
	vhost_status_set(h, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			 VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(vhost_status_get(h) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		printf("FAIL: device refused features %#llx\n",
		       (unsigned long long)features);
		exit(1);
	}
}

/*
 * One IOTLB message (struct vhost_msg_v2); 0 or -errno.  For a VMM that
 * expects refusals (vmq_vdpa_fuzz); vhost_iotlb() dies on one.
 */
int vhost_iotlb_msg(struct vhost *h, __u8 type, __u64 iova, __u64 size,
		    void *uaddr, __u8 perm)
{
	struct vhost_msg_v2 msg;

	memset(&msg, 0, sizeof(msg));
	msg.type = VHOST_IOTLB_MSG_V2;
	msg.iotlb.iova = iova;
	msg.iotlb.size = size;
	msg.iotlb.uaddr = (uintptr_t)uaddr;
	msg.iotlb.perm = perm;
	msg.iotlb.type = type;
	if (write(h->fd, &msg, sizeof(msg)) != sizeof(msg))
		return errno ? -errno : -EIO;
	return 0;
}

static void batch(struct vhost *h, __u8 type)
{
	if (!(h->backend & BIT_ULL(VHOST_BACKEND_F_IOTLB_BATCH)))
		return;
	errno = -vhost_iotlb_msg(h, type, 0, 0, NULL, 0);
	if (errno)
		die("VHOST_IOTLB_BATCH_BEGIN/END");
}

/**
 * vhost_iotlb() - one IOTLB message, or die
 * @h: open.
 * @type: VHOST_IOTLB_UPDATE, _INVALIDATE, _BATCH_BEGIN or _BATCH_END
 *	(these two only where the device takes batches).
 * @iova: where.
 * @size: bytes.
 * @mem: our memory (UPDATE), else NULL.
 * @perm: its access (UPDATE), else 0.
 */
void vhost_iotlb(struct vhost *h, __u8 type, __u64 iova, __u64 size,
		 void *mem, __u8 perm)
{
	errno = -vhost_iotlb_msg(h, type, iova, size, mem, perm);
	if (errno)
		die("IOTLB message");
}

/**
 * vhost_map() - our memory into the device's IOTLB
 * @h: open.
 * @maps: the mappings, the same each call.
 * @n: how many.
 *
 * One batch where the device takes batches.  A reset may have made the
 * device forget its map while vhost-vdpa keeps it: what is mapped goes
 * first, then comes back.
 */
void vhost_map(struct vhost *h, const struct vhost_map *maps, size_t n)
{
	size_t i;

	batch(h, VHOST_IOTLB_BATCH_BEGIN);
	for (i = 0; h->mapped && i < n; i++)
		if (vhost_iotlb_msg(h, VHOST_IOTLB_INVALIDATE, maps[i].iova,
				    maps[i].size, NULL, 0))
			die("VHOST_IOTLB_INVALIDATE");
	for (i = 0; i < n; i++)
		if (vhost_iotlb_msg(h, VHOST_IOTLB_UPDATE, maps[i].iova,
				    maps[i].size, maps[i].mem, maps[i].perm))
			die("VHOST_IOTLB_UPDATE");
	batch(h, VHOST_IOTLB_BATCH_END);
	h->mapped = true;
}

/* --- virtqueues ------------------------------------------------------------ */

/* The virtqueue's kick and call eventfds, once. */
void vq_init(struct vq *vq)
{
	vq->kick = eventfd(0, EFD_NONBLOCK);
	vq->call = eventfd(0, EFD_NONBLOCK);
	if (vq->kick < 0 || vq->call < 0)
		die("eventfd");
}

void vq_addr(struct vhost *h, int q, __u64 desc, __u64 avail, __u64 used)
{
	struct vhost_vring_addr addr = {
		.index = q,
		.desc_user_addr = desc,
		.avail_user_addr = avail,
		.used_user_addr = used,
	};

	vhost_xioctl(h, VHOST_SET_VRING_ADDR, &addr, "VHOST_SET_VRING_ADDR");
}

/**
 * vq_setup() - lay virtqueue @q out empty and give it to the device
 * @h: open, features negotiated.
 * @vq: its eventfds made by vq_init().
 * @q: the virtqueue's index.
 * @num: entries, at most VQ_MAX_NUM.
 * @mem: VQ_STRIDE bytes of our ring memory...
 * @iova: ...where the device sees them.
 */
void vq_setup(struct vhost *h, struct vq *vq, int q, __u16 num, __u8 *mem,
	      __u64 iova)
{
	memset(mem, 0, VQ_STRIDE);
	vq->desc = (void *)mem;
	vq->avail = (void *)(mem + VQ_AVAIL_OFF);
	vq->used = (void *)(mem + VQ_USED_OFF);
	vq->num = num;
	vq->avail_idx = 0;
	vq->last_used = 0;
	vq->calls = 0;
	vq_program(h, vq, q, iova, 0);
}

/**
 * vq_program() - tell the device where virtqueue @q is and where it
 *	starts from, its memory as it is (a migrated virtqueue's)
 * @h: the device.
 * @vq: the virtqueue, laid out by vq_setup() before.
 * @q: its index.
 * @iova: where the device sees its ring memory.
 * @start: the available index the device takes next (VHOST_SET_VRING_BASE).
 */
void vq_program(struct vhost *h, struct vq *vq, int q, __u64 iova,
		__u16 start)
{
	struct vhost_vring_state vnum = { .index = q, .num = vq->num };
	struct vhost_vring_state base = { .index = q, .num = start };
	struct vhost_vring_file kfile = { .index = q, .fd = vq->kick };
	struct vhost_vring_file cfile = { .index = q, .fd = vq->call };

	vhost_xioctl(h, VHOST_SET_VRING_NUM, &vnum, "VHOST_SET_VRING_NUM");
	vq_addr(h, q, iova, iova + VQ_AVAIL_OFF, iova + VQ_USED_OFF);
	vhost_xioctl(h, VHOST_SET_VRING_BASE, &base, "VHOST_SET_VRING_BASE");
	vhost_xioctl(h, VHOST_SET_VRING_KICK, &kfile, "VHOST_SET_VRING_KICK");
	vhost_xioctl(h, VHOST_SET_VRING_CALL, &cfile, "VHOST_SET_VRING_CALL");
	efd_drain(vq->call);
}

void vq_enable(struct vhost *h, int q)
{
	struct vhost_vring_state s = { .index = q, .num = 1 };

	vhost_xioctl(h, VHOST_VDPA_SET_VRING_ENABLE, &s,
		     "VHOST_VDPA_SET_VRING_ENABLE");
}

void vq_desc_set(struct vring_desc *d, __u64 addr, __u32 len, __u16 flags,
		 __u16 next)
{
	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

/* Make entry @head available (not kicked). */
void vq_avail_put(struct vq *vq, __u16 head)
{
	vq->avail->ring[vq->avail_idx % vq->num] = htole16(head);
	vq->avail_idx++;
	/* The entry before the index: pairs with the device's read of it. */
	__atomic_store_n(&vq->avail->idx, htole16(vq->avail_idx),
			 __ATOMIC_RELEASE);
}

void vq_kick(struct vq *vq)
{
	__u64 one = 1;

	if (write(vq->kick, &one, sizeof(one)) != sizeof(one))
		die("kick");
}
