/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmq_test_lib: what the VFIO test VMMs (vmq_vfio_lib.c) and the
 * vhost-vdpa ones (vmq_vhost_lib.c) share, so that one copy serves both:
 * the PASS/FAIL line of a check, dying on a failed call, the clock.
 * Both libraries' headers include it; their programs link vmq_test_lib.c.
 */
#ifndef VMQ_TEST_LIB_H
#define VMQ_TEST_LIB_H

#include <stdbool.h>
#include <time.h>

/* Every failed check() counts here; main() returns non-zero if any. */
extern int failures;

void check(bool ok, const char *fmt, ...);
void die(const char *what);
long ms_since(const struct timespec *t0);

#endif /* VMQ_TEST_LIB_H */
