// SPDX-License-Identifier: GPL-2.0
/*
 * vmqsim: bring one simulated NIC to life, and take it apart again.
 *
 * Creation is a straight line of steps, each undone by the one before it
 * in vmqsim_dev_destroy(): queue pairs, silicon, vectors, the NIC netdev
 * (which registers with the vmq core), the receive port, the link
 * partner, debugfs.
 */

#include <linux/slab.h>
#include "vmqsim.h"

static int vmqsim_qps_alloc(struct vmqsim_dev *sdev)
{
	u32 i;

	sdev->qps = kcalloc(sdev->num_qps, sizeof(*sdev->qps), GFP_KERNEL);
	if (!sdev->qps)
		return -ENOMEM;
	for (i = 0; i < sdev->num_qps; i++) {
		sdev->qps[i].sdev = sdev;
		sdev->qps[i].id = i;
	}
	return 0;
}

static void vmqsim_qps_free(struct vmqsim_dev *sdev)
{
	kfree(sdev->qps);
	sdev->qps = NULL;
}

/**
 * vmqsim_dev_create() - build a simulated NIC on its bus device
 * @sdev: the bus device, registered, with id, queue pairs and filters set;
 *	called when the driver binds to it.
 *
 * A device bound again starts as new: the settings and test knobs of its
 * last binding are gone with the netdevs they were made through.
 *
 * Return: 0, or a negative errno with nothing left behind.
 */
int vmqsim_dev_create(struct vmqsim_dev *sdev)
{
	int err;

	sdev->rx_ring_size = VMQSIM_RING_DEFAULT;
	sdev->tx_ring_size = VMQSIM_RING_DEFAULT;
	sdev->dbg_rx_delay_us = 0;
	sdev->dbg_raise_delay_us = 0;
	sdev->dbg_take_delay_us = 0;
	atomic_set(&sdev->dbg_take_budget, -1);
	sdev->dbg_publish_delay_us = 0;
	sdev->dbg_port_hold = false;
	sdev->dbg_guest_rx_fifo = false;
	sdev->dbg_cls_hold = false;
	atomic_set(&sdev->dbg_cls_holds, 0);
	/* Before the NIC's ethtool ops can set it (ethtool -A). */
	sdev->port.pause_tx = false;

	err = vmqsim_qps_alloc(sdev);
	if (err)
		goto err_out;
	err = vmqsim_silicon_init(sdev);
	if (err)
		goto err_qps_free;
	err = vmqsim_irqs_init(sdev);
	if (err)
		goto err_silicon_fini;
	err = vmqsim_nic_create(sdev);
	if (err)
		goto err_irqs_fini;
	err = vmqsim_port_init(sdev);
	if (err)
		goto err_nic_destroy;
	err = vmqsim_wire_create(sdev);
	if (err)
		goto err_port_fini;
	vmqsim_debugfs_dev_add(sdev);
	/* Last: a VMM may start a guest queue pair from here on. */
	vmq_dev_publish(sdev->vdev);
	return 0;

err_port_fini:
	vmqsim_port_fini(sdev);
err_nic_destroy:
	vmqsim_nic_destroy(sdev);
err_irqs_fini:
	vmqsim_irqs_fini(sdev);
err_silicon_fini:
	vmqsim_silicon_fini(sdev);
err_qps_free:
	vmqsim_qps_free(sdev);
err_out:
	dev_err(&sdev->dev, "cannot create device: %d\n", err);
	return err;
}

/**
 * vmqsim_dev_destroy() - undo vmqsim_dev_create()
 * @sdev: the device; called when the driver unbinds from it.
 *
 * Safe while traffic flows: the partner stops feeding the receive port,
 * and the port the silicon, before the NIC closes, and the NIC stops all
 * DMA before its memory goes.
 */
void vmqsim_dev_destroy(struct vmqsim_dev *sdev)
{
	/* First: VMMs let go of the queue pairs while all they use is there. */
	vmq_dev_unpublish(sdev->vdev);
	vmqsim_debugfs_dev_del(sdev);
	vmqsim_wire_destroy(sdev);
	vmqsim_port_fini(sdev);
	vmqsim_nic_destroy(sdev);
	vmqsim_irqs_fini(sdev);
	vmqsim_silicon_fini(sdev);
	vmqsim_qps_free(sdev);
}
