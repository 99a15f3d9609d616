// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_toeplitz: the reference RSS hash (see vmq_toeplitz.h).
 */

#include "vmq_toeplitz.h"

const __u8 ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* Toeplitz as the specification states it, bit by bit. */
__u32 toeplitz(const __u8 *key, const __u8 *in, size_t len)
{
	__u32 hash = 0, window;
	size_t i;
	int b;

	window = (__u32)key[0] << 24 | key[1] << 16 | key[2] << 8 | key[3];
	for (i = 0; i < len; i++) {
		for (b = 7; b >= 0; b--) {
			if (in[i] >> b & 1)
				hash ^= window;
			window = window << 1 | (key[i + 4] >> b & 1);
		}
	}
	return hash;
}
