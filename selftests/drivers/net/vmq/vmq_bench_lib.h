/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmarks' consumers share: fixed wall-clock windows that
 * print one frames/s figure each, and the host CPU time each window cost
 * per frame.
 *
 * The bench VM's CPUs have roles (scripts/guest/bench.sh): the traffic
 * generator's, the simulated NIC's (its port thread and guest queue
 * engines, the silicon's work) and the host's.  Host CPU time is what the
 * host CPUs (VMQ_BENCH_HOST_CPUS, e.g. "1,2") spent outside idle, less the
 * consumer's own user time: the consumer stands for the guest, and what
 * it does in user space is the guest's work, not the host's.
 */
#ifndef VMQ_BENCH_LIB_H
#define VMQ_BENCH_LIB_H

/**
 * struct host_cpu - one reading of the host CPUs' time
 * @busy_ns: the host CPUs' time outside idle (host_busy_ns()).
 * @self_user_ns: this process's user time.
 */
struct host_cpu {
	double busy_ns;
	double self_user_ns;
};

/*
 * The window state: frames counted since the window began; windows_tick()
 * prints a figure whenever a window is over and says when all are done.
 */
struct windows {
	double warm, win, start, t0;
	int runs, done;
	unsigned long long frames;
	int warming;
	int host_cpus;		/* VMQ_BENCH_HOST_CPUS was given */
	int mark;		/* VMQ_BENCH_MARK, the first mark's tag, or -1 */
	struct host_cpu cpu0;
};

double bench_now(void);
void bench_mark(unsigned int tag);
int host_busy_ns(double *busy_ns);
int host_cpu_read(struct host_cpu *hc);
void bench_threads_pin(void);
int windows_parse(struct windows *w, const char *warm, const char *win,
		  const char *runs);
void windows_init(struct windows *w);
int windows_tick(struct windows *w);

#endif /* VMQ_BENCH_LIB_H */
