/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmq_toeplitz: the reference RSS hash vmq_rss and vmq_vmmq hold the
 * NIC's against, in one copy, so that the published vectors "vmq_rss
 * vectors" proves it with prove it for vmq_vmmq too.
 */
#ifndef VMQ_TOEPLITZ_H
#define VMQ_TOEPLITZ_H

#include <linux/types.h>
#include <stddef.h>

/* The key of Microsoft's "Verifying the RSS Hash Calculation". */
extern const __u8 ms_key[40];

__u32 toeplitz(const __u8 *key, const __u8 *in, size_t len);

#endif /* VMQ_TOEPLITZ_H */
