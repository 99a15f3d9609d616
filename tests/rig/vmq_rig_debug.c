// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module for the debug kernel lane's own test: writing 1 to a
 * parameter commits one defect that the debug kernel (KASAN,
 * DEBUG_ATOMIC_SLEEP, kmemleak) must report and the rig must catch.
 *
 *   use_after_free   reads a kmalloc'd byte after kfree
 *   sleep_in_atomic  might_sleep() under a spinlock
 *   leak             kmallocs 128 bytes and drops the pointer
 */

#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

static DEFINE_SPINLOCK(vmq_rig_debug_lock);

static void vmq_rig_use_after_free(void)
{
	char *p = kmalloc(32, GFP_KERNEL);

	if (!p)
		return;
	kfree(p);
	OPTIMIZER_HIDE_VAR(p);
	pr_info("vmq_rig_debug: read %d after free\n", READ_ONCE(p[8]));
}

static void vmq_rig_sleep_in_atomic(void)
{
	spin_lock(&vmq_rig_debug_lock);
	might_sleep();
	spin_unlock(&vmq_rig_debug_lock);
}

static void vmq_rig_leak(void)
{
	void *p = kmalloc(128, GFP_KERNEL);

	OPTIMIZER_HIDE_VAR(p);
	pr_info("vmq_rig_debug: leaked 128 bytes%s\n", p ? "" : " (none)");
}

static int vmq_rig_debug_set(const char *val, const struct kernel_param *kp)
{
	void (*defect)(void) = kp->arg;
	bool fire;
	int err;

	err = kstrtobool(val, &fire);
	if (err)
		return err;
	if (fire)
		defect();
	return 0;
}

static const struct kernel_param_ops vmq_rig_debug_ops = {
	.set = vmq_rig_debug_set,
};

module_param_cb(use_after_free, &vmq_rig_debug_ops, vmq_rig_use_after_free,
		0200);
MODULE_PARM_DESC(use_after_free, "write 1 to read freed memory (KASAN)");
module_param_cb(sleep_in_atomic, &vmq_rig_debug_ops, vmq_rig_sleep_in_atomic,
		0200);
MODULE_PARM_DESC(sleep_in_atomic,
		 "write 1 to call might_sleep() under a spinlock");
module_param_cb(leak, &vmq_rig_debug_ops, vmq_rig_leak, 0200);
MODULE_PARM_DESC(leak, "write 1 to leak 128 bytes (kmemleak)");

MODULE_DESCRIPTION("vmq test rig: commits defects a debug kernel must report");
MODULE_LICENSE("GPL");
