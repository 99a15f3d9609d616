// SPDX-License-Identifier: GPL-2.0
/*
 * vmqsim: a simulated VMQ-capable NIC, the first driver on the vmq core.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/vmq.h>

static int __init vmqsim_init(void)
{
	pr_info("loaded\n");
	return 0;
}

static void __exit vmqsim_exit(void)
{
	pr_info("unloaded\n");
}

module_init(vmqsim_init);
module_exit(vmqsim_exit);

MODULE_DESCRIPTION("Simulated VMQ network device");
MODULE_LICENSE("GPL");
/* Queue pairs of every vmqsim device are mdev parents. */
MODULE_SOFTDEP("post: vmq_vfio");
