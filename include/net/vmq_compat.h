/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between the kernels vmq is built for (Debian's
 * 6.1 and 6.12), in one place.  compat.mk probes the headers for each
 * API and passes -DVMQ_HAVE_* (unless a type already tells); the rest of
 * the code is written against the newest API and these shims fill in for
 * older kernels.  Only what tells those two kernels apart belongs here.
 */
#ifndef _NET_VMQ_COMPAT_H
#define _NET_VMQ_COMPAT_H

#include <linux/device.h>
#include <linux/ethtool.h>
#include <linux/eventfd.h>
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

/*
 * struct bus_type became const (6.4): bus_register(), the pointers to it
 * (device.bus, device_driver.bus) and its attributes' show and store
 * callbacks all take it const.  The type of device.bus tells the two
 * kernels apart without a probe: a bus type, or a callback's argument,
 * declared as this is exactly as const as the kernel wants it.
 */
#define VMQ_COMPAT_BUS_TYPE typeof(*((struct device *)NULL)->bus)

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
