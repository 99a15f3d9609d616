// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vfio: expose VMQ queue pairs to VMMs as VFIO mediated devices.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/vmq.h>

static int __init vmq_vfio_init(void)
{
	pr_info("loaded\n");
	return 0;
}

static void __exit vmq_vfio_exit(void)
{
	pr_info("unloaded\n");
}

module_init(vmq_vfio_init);
module_exit(vmq_vfio_exit);

MODULE_DESCRIPTION("VFIO mediated devices for VMQ queue pairs");
MODULE_LICENSE("GPL");
