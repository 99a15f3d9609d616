// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module for the VM runner's own test: writing 1 to the
 * "trigger" parameter raises a kernel WARNING, which the runner must
 * report as a failure of the test that did it.
 */

#include <linux/bug.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

static int vmq_rig_warn_set(const char *val, const struct kernel_param *kp)
{
	bool fire;
	int err;

	err = kstrtobool(val, &fire);
	if (err)
		return err;
	WARN(fire, "vmq_rig_warn: WARNING injected on request\n");
	return 0;
}

static const struct kernel_param_ops vmq_rig_warn_ops = {
	.set = vmq_rig_warn_set,
};

module_param_cb(trigger, &vmq_rig_warn_ops, NULL, 0200);
MODULE_PARM_DESC(trigger, "write 1 to raise a kernel WARNING");

MODULE_DESCRIPTION("vmq test rig: injects a kernel WARNING on request");
MODULE_LICENSE("GPL");
