// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_bench_cpu: the host CPUs' time outside idle so far, in ns, for
 * scripts/guest/bench.sh's windows without a consumer of their own (the
 * consumers read it through vmq_bench_lib themselves).
 *
 *   VMQ_BENCH_HOST_CPUS=1,2 vmq_bench_cpu [MARK]
 *
 * With MARK, first passes that mark for the vmq_insns plugin
 * (bench_mark()).  Prints one number (see host_busy_ns()) and exits 0; prints nothing and
 * exits 1 without host CPUs or the kernel's idle accounting.
 */

#include <stdio.h>
#include <stdlib.h>
#include "vmq_bench_lib.h"

int main(int argc, char **argv)
{
	double busy;

	if (argc > 1)
		bench_mark(atoi(argv[1]));

	if (!host_busy_ns(&busy))
		return 1;
	printf("%.0f\n", busy);
	return 0;
}
