/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmq_test_lib: what the VFIO test VMMs (vmq_vfio_lib.c) and the
 * vhost-vdpa ones (vmq_vhost_lib.c) share, so that one copy serves both:
 * the PASS/FAIL line of a check, dying on a failed call, the clock, the
 * link partner's raw socket, and the fuzzers' generator and findings.
 * Both libraries' headers include it; their programs link vmq_test_lib.c.
 */
#ifndef VMQ_TEST_LIB_H
#define VMQ_TEST_LIB_H

#include <linux/types.h>
#include <stdbool.h>
#include <time.h>

/* Every failed check() counts here; main() returns non-zero if any. */
extern int failures;

void check(bool ok, const char *fmt, ...);
void die(const char *what);
long ms_since(const struct timespec *t0);

/*
 * The link partner: a raw socket on the wire netdev, nonblocking, that
 * tells each received frame's VLAN.  Both kinds of VMM keep theirs in
 * their own struct and call these with it.
 */
#define TEST_ETHERTYPE	0x88b5
#define BIG_FRAME	4096	/* larger than any MTU the tests set */

/* The socket; @ifname's index in @ifindex, its MAC in @mac. */
int wire_socket(const char *ifname, int *ifindex, __u8 *mac);
__u32 test_frame(__u32 seq, __u8 *buf, const __u8 *dst, const __u8 *src,
		 __u32 len);
void wire_sock_send(int sock, const __u8 *frame, __u32 len, __u16 vlan);
int wire_sock_recv(int sock, __u8 *buf, __u16 *vlan, int ms);
void wire_sock_drain(int sock);

/*
 * A fuzzer's run (vmq_fuzz, vmq_vdpa_fuzz): its seed, the operation it is
 * at and its findings, each printed with the seed and the operation.
 */
struct fuzz_run {
	__u64 seed, ops, findings;
};

#define FUZZ_SHOWN	20	/* findings printed in full */

/* xorshift64*: from a non-zero state, the same sequence every run. */
__u64 xorshift64s(__u64 *state);
void fuzz_finding(struct fuzz_run *run, const char *fmt, ...);

#endif /* VMQ_TEST_LIB_H */
