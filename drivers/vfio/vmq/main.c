// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_vfio: expose VMQ queue pairs to VMMs as VFIO mediated devices.
 *
 * The module registers one mdev driver and asks the vmq core to be told
 * about every vmq device, each of which becomes an mdev parent.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include "vmq_vfio.h"

static struct vmq_client vmq_vfio_client = {
	.name	= VMQ_VFIO_DRV_NAME,
	.add	= vmq_vfio_parent_add,
	.remove	= vmq_vfio_parent_del,
};

static int __init vmq_vfio_init(void)
{
	int err;

	err = mdev_register_driver(&vmq_vfio_mdev_driver);
	if (err)
		return err;
	err = vmq_register_client(&vmq_vfio_client);
	if (err) {
		mdev_unregister_driver(&vmq_vfio_mdev_driver);
		return err;
	}
	pr_info("loaded\n");
	return 0;
}

static void __exit vmq_vfio_exit(void)
{
	/* Waits for VMMs to close their devices, asking them to. */
	vmq_unregister_client(&vmq_vfio_client);
	mdev_unregister_driver(&vmq_vfio_mdev_driver);
	pr_info("unloaded\n");
}

module_init(vmq_vfio_init);
module_exit(vmq_vfio_exit);

MODULE_DESCRIPTION("VFIO mediated devices for VMQ queue pairs");
MODULE_LICENSE("GPL");
