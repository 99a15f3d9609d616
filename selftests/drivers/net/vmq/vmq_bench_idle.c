// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_bench_idle: a VMM holding several vmq_vfio queue pairs enabled and
 * idle, for the benchmarks' qp_memory metric.  One process for all of
 * them, started before the bench reads the host's memory, so what the
 * bench sees grow is what the queue pairs cost, not a process per queue.
 *
 *   vmq_bench_idle UUID...
 *
 * Prints "ready", waits for a line on stdin, opens every device (each in
 * a VFIO type1 container of its own with vmq_vfio_lib's guest memory),
 * enables its queue with a full receive ring, prints "holding N", and
 * holds them until stdin reaches its end.  Exits 0, 1 on an error (its
 * cause on stdout as "FAIL: ..."), 4 without VFIO.
 */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "vmq_vfio_lib.h"

int main(int argc, char **argv)
{
	char line[16];
	struct vmm *v;
	int i, n = argc - 1;

	if (n < 1) {
		fprintf(stderr, "usage: %s UUID...\n", argv[0]);
		return 2;
	}
	v = calloc(n, sizeof(*v));
	if (!v)
		die("calloc");
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	for (i = 0; i < n; i++) {
		v[i].uuid = argv[i + 1];
		v[i].timeout = 1000;
		vmm_open(&v[i]);
		guest_start(&v[i], BUF_LEN);
		if (rd(&v[i], VMQ_REG_STATUS) != VMQ_STATUS_ENABLED) {
			printf("FAIL: %s: status %#x error %u\n", v[i].uuid,
			       rd(&v[i], VMQ_REG_STATUS),
			       rd(&v[i], VMQ_REG_ERROR));
			return 1;
		}
	}
	printf("holding %d\n", n);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
