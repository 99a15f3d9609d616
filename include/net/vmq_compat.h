/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between the kernels vmq is built for (Debian's
 * 6.1 and 6.12).  Every version test lives here so the rest of the code is
 * written against one API: the newest one, with shims for older kernels.
 */
#ifndef _NET_VMQ_COMPAT_H
#define _NET_VMQ_COMPAT_H

#include <linux/version.h>

#endif /* _NET_VMQ_COMPAT_H */
