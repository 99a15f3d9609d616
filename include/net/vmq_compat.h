/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between the kernels vmq is built for (Debian's
 * 6.1 and 6.12), in one place.  compat.mk probes the headers for each
 * API and passes -DVMQ_HAVE_*; the rest of the code is written against
 * the newest API and these shims fill in for older kernels.
 */
#ifndef _NET_VMQ_COMPAT_H
#define _NET_VMQ_COMPAT_H

#include <linux/ethtool.h>
#include <linux/eventfd.h>
#include <linux/netdevice.h>
#include <linux/string.h>
#include <linux/vfio.h>

/* page_pool's header was split (6.6). */
#ifdef VMQ_HAVE_PAGE_POOL_HELPERS
#include <net/page_pool/helpers.h>
#else
#include <net/page_pool.h>
#endif

/* ethtool_puts() (6.8); ethtool_sprintf() is in both. */
#ifndef VMQ_HAVE_ETHTOOL_PUTS
static inline void ethtool_puts(u8 **data, const char *str)
{
	strscpy(*data, str, ETH_GSTRING_LEN);
	*data += ETH_GSTRING_LEN;
}
#endif

/* Tell netlink which NAPI serves a queue (6.8); nothing to tell on 6.1. */
static inline void vmq_compat_queue_set_napi(struct net_device *dev, u32 q,
					     bool tx, struct napi_struct *napi)
{
#ifdef VMQ_HAVE_QUEUE_SET_NAPI
	netif_queue_set_napi(dev, q, tx ? NETDEV_QUEUE_TYPE_TX :
				     NETDEV_QUEUE_TYPE_RX, napi);
#endif
}

/* NETIF_F_LLTX became dev->lltx (6.12). */
static inline void vmq_compat_set_lltx(struct net_device *dev)
{
#ifdef VMQ_HAVE_NETDEV_LLTX
	dev->lltx = true;
#else
	dev->features |= NETIF_F_LLTX;
#endif
}

/* bus_type and its attribute callbacks became const (6.4). */
#ifdef VMQ_HAVE_CONST_BUS_TYPE
#define VMQ_COMPAT_BUS_CONST const
#else
#define VMQ_COMPAT_BUS_CONST
#endif

/*
 * A software irq chip needs IRQ_MOVE_PCNTXT for affinity writes to take
 * effect at once: no ack path ever runs irq_move_irq().  Kernels without
 * the flag move affinity in process context anyway.
 */
#ifdef VMQ_HAVE_IRQ_MOVE_PCNTXT
#define VMQ_COMPAT_IRQ_MOVE_PCNTXT IRQ_MOVE_PCNTXT
#else
#define VMQ_COMPAT_IRQ_MOVE_PCNTXT 0
#endif

/* eventfd_signal() lost its count argument (6.8). */
static inline void vmq_compat_eventfd_signal(struct eventfd_ctx *ctx)
{
#ifdef VMQ_HAVE_EVENTFD_SIGNAL_1ARG
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/*
 * Before 6.2 a vfio_device_ops.release must free the device itself with
 * vfio_free_device(); later the VFIO core frees it after .release.
 */
static inline void vmq_compat_vfio_release_done(struct vfio_device *vdev)
{
#ifdef VMQ_HAVE_VFIO_FREE_DEVICE
	vfio_free_device(vdev);
#endif
}

/* Emulated-IOMMU devices name the iommufd helpers (6.2+). */
#ifdef VMQ_HAVE_VFIO_IOMMUFD_EMULATED
#define VMQ_COMPAT_VFIO_IOMMUFD_OPS					\
	.bind_iommufd	= vfio_iommufd_emulated_bind,			\
	.unbind_iommufd	= vfio_iommufd_emulated_unbind,			\
	.attach_ioas	= vfio_iommufd_emulated_attach_ioas,		\
	.detach_ioas	= vfio_iommufd_emulated_detach_ioas,
#else
#define VMQ_COMPAT_VFIO_IOMMUFD_OPS
#endif

#endif /* _NET_VMQ_COMPAT_H */
