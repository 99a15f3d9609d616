/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmq: Virtual Machine Queue support for multi-queue NICs.
 *
 * The driver-facing API of the core library (vmq.ko).  A NIC driver
 * registers its netdev together with its queue-pair and filter
 * capabilities and a small table of hardware operations; the core owns the
 * queue-pair pool, the MAC/VLAN filter table and the user interfaces
 * (ethtool, macvlan offload, VFIO) built on them.
 */
#ifndef _NET_VMQ_H
#define _NET_VMQ_H

#include <net/vmq_compat.h>

/**
 * vmq_core_version() - version of the vmq core library
 *
 * Return: a string naming the core's version, for drivers' log lines.
 */
const char *vmq_core_version(void);

#endif /* _NET_VMQ_H */
