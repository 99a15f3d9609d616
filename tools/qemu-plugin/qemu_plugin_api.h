/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The part of QEMU's TCG plugin ABI, version 1 (QEMU 4.2 to 8.1, so
 * Debian 12's QEMU 7.2), that vmq_insns uses.  Debian ships no
 * qemu-plugin.h, so these declarations are written down here from the
 * ABI's documentation; the names and types are QEMU's, resolved at load
 * time against the qemu-system binary.
 */
#ifndef VMQ_QEMU_PLUGIN_API_H
#define VMQ_QEMU_PLUGIN_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMQ_PLUGIN_EXPORT __attribute__((visibility("default")))

/* The ABI version this plugin is built for. */
#define VMQ_QEMU_PLUGIN_VERSION 1

typedef uint64_t qemu_plugin_id_t;

/*
 * What QEMU tells the plugin at install time (only read during it): its
 * qemu_info_t, whose layout is the ABI's.
 */
struct vmq_qemu_info {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
	bool system_emulation;
	union {
		struct {
			int smp_vcpus;
			int max_vcpus;
		} system;
	};
};

struct qemu_plugin_tb;

enum qemu_plugin_cb_flags {
	QEMU_PLUGIN_CB_NO_REGS,
	QEMU_PLUGIN_CB_R_REGS,
	QEMU_PLUGIN_CB_RW_REGS,
};

typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index,
					    void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
					       struct qemu_plugin_tb *tb);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags,
					  void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
				    qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);

#endif /* VMQ_QEMU_PLUGIN_API_H */
