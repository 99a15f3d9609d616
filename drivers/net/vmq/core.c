// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: queue pairs and MAC/VLAN filters for VMQ-capable NICs.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/vmq.h>

#define VMQ_CORE_VERSION "0.1"

/**
 * vmq_core_version() - version of the vmq core library
 *
 * Return: a string naming the core's version.
 */
const char *vmq_core_version(void)
{
	return VMQ_CORE_VERSION;
}
EXPORT_SYMBOL_GPL(vmq_core_version);

static int __init vmq_core_init(void)
{
	pr_info("core %s loaded\n", VMQ_CORE_VERSION);
	return 0;
}

static void __exit vmq_core_exit(void)
{
	pr_info("core unloaded\n");
}

module_init(vmq_core_init);
module_exit(vmq_core_exit);

MODULE_DESCRIPTION("Virtual Machine Queue core library");
MODULE_LICENSE("GPL");
MODULE_VERSION(VMQ_CORE_VERSION);
