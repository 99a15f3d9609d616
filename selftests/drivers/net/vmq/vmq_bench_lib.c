// SPDX-License-Identifier: GPL-2.0
/*
 * What the benchmarks' consumers share (vmq_bench_lib.h): windows and
 * host CPU time per frame.
 */

#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "vmq_bench_lib.h"

#define MAX_CPUS	64

/*
 * Marks for the vmq_insns QEMU plugin (tools/qemu-plugin/vmq_insns.c):
 * a call to VMQ_MARK_BASE + TAG, one "ret" each, which the plugin sees
 * translated there.  The same addresses as the plugin's.
 */
#define VMQ_MARK_BASE	0x5e5e00000000UL
#define VMQ_MARK_SIZE	0x10000UL

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/**
 * bench_mark() - pass a mark the vmq_insns plugin records
 * @tag: the mark's tag, below VMQ_MARK_SIZE.
 *
 * Without the plugin a mark costs a call and does nothing.  The page of
 * marks is mapped at the first one; if that fails, no mark is passed.
 */
void bench_mark(unsigned int tag)
{
	static unsigned char *marks;

	if (!marks) {
		void *p = mmap((void *)VMQ_MARK_BASE, VMQ_MARK_SIZE,
			       PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS |
			       MAP_FIXED_NOREPLACE, -1, 0);

		if (p == MAP_FAILED)
			return;
		if (p != (void *)VMQ_MARK_BASE) {
			munmap(p, VMQ_MARK_SIZE);
			return;
		}
		/* ret, at every byte: each tag has its own entry. */
		memset(p, 0xc3, VMQ_MARK_SIZE);
		if (mprotect(p, VMQ_MARK_SIZE, PROT_READ | PROT_EXEC)) {
			munmap(p, VMQ_MARK_SIZE);
			return;
		}
		marks = p;
	}
	((void (*)(void))(marks + tag % VMQ_MARK_SIZE))();
}

/* The CPUs a comma-separated list names; 0 if none or malformed. */
static int cpu_list(const char *s, int cpus[MAX_CPUS])
{
	int n = 0;
	char *end;

	while (s && *s && n < MAX_CPUS) {
		long c = strtol(s, &end, 10);

		if (end == s || c < 0 || c >= MAX_CPUS)
			return 0;
		cpus[n++] = c;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return 0;
	}
	return n;
}

/*
 * Idle time per CPU, in ns, from /proc/stat.  Its busy fields are
 * sampled at the tick, and the tick is stopped while an idle CPU takes
 * an interrupt: the host's receive work, in irq and softirq on CPUs that
 * were idle, went mostly uncounted, and what was counted had a spread of
 * 20% to 80% over a window of a second.  Idle time is not sampled: nohz
 * measures it at every idle entry and exit, and not during interrupts,
 * and /proc/stat gives it (an idle period still going on included) in
 * USER_HZ steps.  @now_ns is CLOCK_MONOTONIC, which it is measured on,
 * at the middle of the read.
 */
struct cpu_idle {
	double ns[MAX_CPUS];
	double now_ns;
};

static int proc_stat_idle(struct cpu_idle *ci)
{
	unsigned long long user, nice, sys, idle, iowait;
	double tick_ns = 1e9 / sysconf(_SC_CLK_TCK), t0;
	char line[512];
	int cpu, n = 0;
	FILE *f;

	f = fopen("/proc/stat", "r");
	if (!f)
		return -1;
	t0 = bench_now();
	while (fgets(line, sizeof(line), f))
		if (isdigit((unsigned char)line[3]) &&
		    sscanf(line, "cpu%d %llu %llu %llu %llu %llu", &cpu, &user,
			   &nice, &sys, &idle, &iowait) == 6 &&
		    cpu >= 0 && cpu < MAX_CPUS) {
			ci->ns[cpu] = (idle + iowait) * tick_ns;
			n++;
		}
	ci->now_ns = (t0 + bench_now()) / 2 * 1e9;
	fclose(f);
	return n ? 0 : -1;
}

/**
 * host_busy_ns() - the host CPUs' time outside idle, so far
 * @busy_ns: the sum over the CPUs VMQ_BENCH_HOST_CPUS names of their
 *	time since boot less their idle time.
 *
 * Differences of two readings are what matters.
 * Return: 1 if read, 0 if VMQ_BENCH_HOST_CPUS names no CPUs or the
 * kernel's idle accounting could not be read.
 */
int host_busy_ns(double *busy_ns)
{
	struct cpu_idle ci = { };
	int cpus[MAX_CPUS], n, i;

	n = cpu_list(getenv("VMQ_BENCH_HOST_CPUS"), cpus);
	if (!n || proc_stat_idle(&ci))
		return 0;
	*busy_ns = 0;
	for (i = 0; i < n; i++)
		*busy_ns += ci.now_ns - ci.ns[cpus[i]];
	return 1;
}

/**
 * host_cpu_read() - read the host CPUs' busy time and our own user time
 * @hc: filled.
 *
 * Return: 1 if VMQ_BENCH_HOST_CPUS names the host CPUs and they were read,
 * 0 otherwise (no CPU figures then).
 */
int host_cpu_read(struct host_cpu *hc)
{
	struct rusage ru;

	if (!host_busy_ns(&hc->busy_ns))
		return 0;
	getrusage(RUSAGE_SELF, &ru);
	hc->self_user_ns = ru.ru_utime.tv_sec * 1e9 + ru.ru_utime.tv_usec * 1e3;
	return 1;
}

/* Whether task @pid's name starts with @prefix. */
static int comm_has_prefix(const char *pid, const char *prefix)
{
	char path[300], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	return !strncmp(comm, prefix, strlen(prefix));
}

/* Put every task whose name starts with @prefix on the CPUs @set. */
static void threads_pin(const char *prefix, const cpu_set_t *set)
{
	struct dirent *de;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return;
	while ((de = readdir(d)))
		if (isdigit((unsigned char)de->d_name[0]) &&
		    comm_has_prefix(de->d_name, prefix) &&
		    sched_setaffinity(atoi(de->d_name), sizeof(*set), set))
			perror("sched_setaffinity");
	closedir(d);
}

/**
 * bench_threads_pin() - put kernel threads where their role says
 *
 * The simulated NIC's threads (vmqsim*: port threads, guest queue
 * engines) do the silicon's work: on VMQ_BENCH_NIC_CPU.  Threads named by
 * the prefix VMQ_BENCH_HOST_THREADS (a threaded NAPI, say) do the host's:
 * on VMQ_BENCH_HOST_CPUS.  Nothing happens for an unset variable.  Such
 * threads may start with the consumer's queue or socket, so a consumer
 * calls this once those are set up.
 */
void bench_threads_pin(void)
{
	const char *nic = getenv("VMQ_BENCH_NIC_CPU");
	const char *host = getenv("VMQ_BENCH_HOST_THREADS");
	int cpus[MAX_CPUS], n, i;
	cpu_set_t set;

	if (nic && *nic) {
		CPU_ZERO(&set);
		CPU_SET(atoi(nic), &set);
		threads_pin("vmqsim", &set);
	}
	n = cpu_list(getenv("VMQ_BENCH_HOST_CPUS"), cpus);
	if (host && *host && n) {
		CPU_ZERO(&set);
		for (i = 0; i < n; i++)
			CPU_SET(cpus[i], &set);
		threads_pin(host, &set);
	}
}

/**
 * windows_parse() - the window settings from the command line
 * @w: filled.
 * @warm: seconds of warm-up before the first window.
 * @win: seconds per window.
 * @runs: number of windows.
 *
 * Return: 0, or -1 if a value is out of range.
 */
int windows_parse(struct windows *w, const char *warm, const char *win,
		  const char *runs)
{
	memset(w, 0, sizeof(*w));
	w->warm = atof(warm);
	w->win = atof(win);
	w->runs = atoi(runs);
	return w->win > 0 && w->runs > 0 ? 0 : -1;
}

/*
 * Window @i's boundary mark (0: the warm-up's end), with VMQ_BENCH_MARK
 * set: the vmq_insns plugin's counts at each.  "insn S E FRAMES" gives
 * the window's first and last marks and its frames.
 */
static void window_mark(struct windows *w, int i)
{
	if (w->mark < 0)
		return;
	bench_mark(w->mark + i);
	if (i)
		printf("insn %d %d %llu\n", w->mark + i - 1, w->mark + i,
		       w->frames);
}

/**
 * windows_init() - start the warm-up, once the consumer is set up
 * @w: parsed by windows_parse().
 */
void windows_init(struct windows *w)
{
	const char *mark;

	bench_threads_pin();
	w->start = bench_now();
	w->warming = w->warm > 0;
	w->t0 = w->start;
	w->done = 0;
	w->frames = 0;
	w->host_cpus = host_cpu_read(&w->cpu0);
	mark = getenv("VMQ_BENCH_MARK");
	w->mark = mark && *mark ? atoi(mark) : -1;
	if (!w->warming)
		window_mark(w, 0);
}

/* "cpu NS": host CPU time per frame of the window just over. */
static void window_cpu(struct windows *w)
{
	struct host_cpu now;
	double ns;

	if (!w->host_cpus || !host_cpu_read(&now))
		return;
	ns = (now.busy_ns - w->cpu0.busy_ns) -
	     (now.self_user_ns - w->cpu0.self_user_ns);
	if (ns < 0)
		ns = 0;
	if (w->frames)
		printf("cpu %.0f\n", ns / w->frames);
	w->cpu0 = now;
}

/**
 * windows_tick() - account time; print a window's figures when it is over
 * @w: the windows; the caller adds to @w->frames.
 *
 * Return: 1 once all windows have been printed.
 */
int windows_tick(struct windows *w)
{
	double t = bench_now();

	if (w->warming) {
		if (t - w->start < w->warm)
			return 0;
		w->warming = 0;
		w->t0 = t;
		w->frames = 0;
		if (w->host_cpus)
			host_cpu_read(&w->cpu0);
		window_mark(w, 0);
		return 0;
	}
	if (t - w->t0 < w->win)
		return 0;
	window_mark(w, w->done + 1);
	printf("%.0f\n", w->frames / (t - w->t0));
	window_cpu(w);
	fflush(stdout);
	w->frames = 0;
	w->t0 = t;
	return ++w->done >= w->runs;
}
