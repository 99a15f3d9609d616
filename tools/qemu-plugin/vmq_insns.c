// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_insns: a QEMU TCG plugin that counts the instructions each vCPU
 * executes, in user and in kernel mode, and writes every vCPU's counts
 * whenever the guest passes a mark, so that the benchmarks can tell the
 * work a path cost each CPU from its busy time (which, under TCG, also
 * counts a vCPU's waits for its turn on the host thread).
 *
 *   qemu-system-x86_64 ... -plugin build/tools/vmq_insns.so,out=FILE
 *
 * A mark is a call to an address in [VMQ_MARK_BASE, + VMQ_MARK_SIZE) of
 * the guest's user space, where the guest's bench helpers map a run of
 * "ret" instructions (vmq_bench_lib.c, bench_mark()): the offset is the
 * mark's tag.  Each mark writes one line,
 *
 *   mark TAG VCPU U0 K0 U1 K1 ...
 *
 * with the user (Un) and kernel (Kn) instructions vCPU n executed since
 * boot.  Kernel mode is told by the instructions' addresses: the upper
 * half of x86-64's address space.  Counts are per translation block, as
 * it is entered: a block left early by an exception counts whole.
 *
 * With profile=S:E, the instructions each of the first PROF_VCPUS vCPUs
 * executed between the marks tagged S and E are also written at E, by
 * the address of the block they were in, one line per block and vCPU:
 *
 *   prof VCPU ADDR INSNS
 *
 * (scripts/bench-profile names the kernel's functions from them).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "qemu_plugin_api.h"

#define VMQ_MARK_BASE	0x5e5e00000000ULL
#define VMQ_MARK_SIZE	0x10000ULL
#define VMQ_KERNEL_BASE	0xffff800000000000ULL
#define MAX_VCPUS	64
#define PROF_VCPUS	4

VMQ_PLUGIN_EXPORT int qemu_plugin_version = VMQ_QEMU_PLUGIN_VERSION;

struct vcpu_insns {
	uint64_t user;
	uint64_t kernel;
};

/* A translated block, when profiling: its instructions run, by vCPU. */
struct block {
	uint64_t vaddr;
	uint64_t insns;
	int kernel;
	uint64_t run[PROF_VCPUS];
	struct block *next;
};

static struct vcpu_insns insns[MAX_VCPUS];
static unsigned int nr_vcpus;
static FILE *out;
static int profiling;
static unsigned long prof_start, prof_end;
static struct block *blocks;

/* A block's user data: its instructions, and bit 0 set for kernel mode. */
static void block_exec(unsigned int vcpu, void *userdata)
{
	uintptr_t d = (uintptr_t)userdata;

	if (vcpu >= MAX_VCPUS)
		return;
	if (d & 1)
		insns[vcpu].kernel += d >> 1;
	else
		insns[vcpu].user += d >> 1;
}

static void block_exec_profiled(unsigned int vcpu, void *userdata)
{
	struct block *b = userdata;

	if (vcpu >= MAX_VCPUS)
		return;
	if (b->kernel)
		insns[vcpu].kernel += b->insns;
	else
		insns[vcpu].user += b->insns;
	if (vcpu < PROF_VCPUS)
		b->run[vcpu] += b->insns;
}

static void profile_mark(unsigned long tag)
{
	struct block *b;
	unsigned int i;

	for (b = blocks; b; b = b->next) {
		for (i = 0; i < PROF_VCPUS; i++) {
			if (tag == prof_end && b->run[i])
				fprintf(out, "prof %u %#llx %llu\n", i,
					(unsigned long long)b->vaddr,
					(unsigned long long)b->run[i]);
			b->run[i] = 0;
		}
	}
}

static void mark_exec(unsigned int vcpu, void *userdata)
{
	unsigned long tag = (uintptr_t)userdata;
	unsigned int i;

	if (vcpu < MAX_VCPUS)
		insns[vcpu].user++;
	if (profiling && (tag == prof_start || tag == prof_end))
		profile_mark(tag);
	fprintf(out, "mark %lu %u", tag, vcpu);
	for (i = 0; i < nr_vcpus; i++)
		fprintf(out, " %llu %llu", (unsigned long long)insns[i].user,
			(unsigned long long)insns[i].kernel);
	fputc('\n', out);
	/* QEMU may be killed at the end of the run: every mark is kept. */
	fflush(out);
}

static void block_translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t va = qemu_plugin_tb_vaddr(tb);
	uintptr_t n = qemu_plugin_tb_n_insns(tb);

	if (va - VMQ_MARK_BASE < VMQ_MARK_SIZE) {
		qemu_plugin_register_vcpu_tb_exec_cb(tb, mark_exec,
						     QEMU_PLUGIN_CB_NO_REGS,
						     (void *)(uintptr_t)(va - VMQ_MARK_BASE));
		return;
	}
	if (profiling) {
		struct block *b = calloc(1, sizeof(*b));

		if (b) {
			b->vaddr = va;
			b->insns = n;
			b->kernel = va >= VMQ_KERNEL_BASE;
			b->next = blocks;
			blocks = b;
			qemu_plugin_register_vcpu_tb_exec_cb(tb,
							     block_exec_profiled,
							     QEMU_PLUGIN_CB_NO_REGS,
							     b);
			return;
		}
	}
	qemu_plugin_register_vcpu_tb_exec_cb(tb, block_exec,
					     QEMU_PLUGIN_CB_NO_REGS,
					     (void *)(n << 1 |
						      (va >= VMQ_KERNEL_BASE)));
}

static void at_exit(qemu_plugin_id_t id, void *userdata)
{
	unsigned int i;

	for (i = 0; i < nr_vcpus; i++)
		fprintf(out, "total %u %llu %llu\n", i,
			(unsigned long long)insns[i].user,
			(unsigned long long)insns[i].kernel);
	fclose(out);
}

VMQ_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					  const struct vmq_qemu_info *info,
					  int argc, char **argv)
{
	const char *path = NULL;
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			path = argv[i] + 4;
		else if (sscanf(argv[i], "profile=%lu:%lu", &prof_start,
				&prof_end) == 2)
			profiling = 1;
	}
	if (!path || !info->system_emulation) {
		fprintf(stderr, "vmq_insns: needs out=FILE, system emulation\n");
		return -1;
	}
	out = fopen(path, "w");
	if (!out) {
		perror(path);
		return -1;
	}
	nr_vcpus = info->system.smp_vcpus;
	if (nr_vcpus > MAX_VCPUS)
		nr_vcpus = MAX_VCPUS;
	qemu_plugin_register_vcpu_tb_trans_cb(id, block_translated);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
