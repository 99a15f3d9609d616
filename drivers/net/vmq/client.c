// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: clients, modules that build on every vmq device
 * without the drivers knowing them (vmq_vfio makes each an mdev parent).
 *
 * A client sees every device once: those registered before it at
 * vmq_register_client(), later ones as they come.  Removal is synchronous
 * and comes before the device's queue pairs go, so a client can block in
 * it until its users (VMMs) let go.  That wait must hold up no other
 * device: no lock another device's add or removal needs is held across
 * a callback.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include "vmq_priv.h"

/*
 * Clients, kept still by vmq_clients_rwsem while callbacks run: devices
 * coming and going read it, side by side; only a client module coming
 * or going writes it, and a client whose remove waits for a VMM cannot
 * go (the VMM's open device pins its module).
 */
static LIST_HEAD(vmq_clients);
static DECLARE_RWSEM(vmq_clients_rwsem);
/* Devices the clients know; changed under the rwsem's read side too. */
static LIST_HEAD(vmq_client_devs);
static DEFINE_MUTEX(vmq_client_devs_lock);

static void vmq_client_add_dev(struct vmq_client *client,
			       struct vmq_dev *vdev)
{
	int err = client->add(vdev);

	/* The NIC works without the client; say why it is missing. */
	if (err)
		netdev_warn(vdev->netdev, "vmq: %s: cannot attach: %d\n",
			    client->name, err);
}

void vmq_clients_dev_add(struct vmq_dev *vdev)
{
	struct vmq_client *client;

	down_read(&vmq_clients_rwsem);
	mutex_lock(&vmq_client_devs_lock);
	list_add_tail(&vdev->client_node, &vmq_client_devs);
	mutex_unlock(&vmq_client_devs_lock);
	list_for_each_entry(client, &vmq_clients, list)
		vmq_client_add_dev(client, vdev);
	up_read(&vmq_clients_rwsem);
}

void vmq_clients_dev_del(struct vmq_dev *vdev)
{
	struct vmq_client *client;

	down_read(&vmq_clients_rwsem);
	mutex_lock(&vmq_client_devs_lock);
	list_del(&vdev->client_node);
	mutex_unlock(&vmq_client_devs_lock);
	/* May wait for VMMs; other devices come and go meanwhile. */
	list_for_each_entry_reverse(client, &vmq_clients, list)
		client->remove(vdev);
	up_read(&vmq_clients_rwsem);
}

/**
 * vmq_register_client() - build on every vmq device
 * @client: its callbacks; must stay valid until vmq_unregister_client().
 *
 * Calls @client->add for every device registered now, and later for each
 * new one.  A failing add is logged and the device goes on without the
 * client.
 *
 * Context: process context, may sleep.
 * Return: 0.
 */
int vmq_register_client(struct vmq_client *client)
{
	struct vmq_dev *vdev;

	/* No device comes or goes while the writer holds it. */
	down_write(&vmq_clients_rwsem);
	list_add_tail(&client->list, &vmq_clients);
	list_for_each_entry(vdev, &vmq_client_devs, client_node)
		vmq_client_add_dev(client, vdev);
	up_write(&vmq_clients_rwsem);
	return 0;
}
EXPORT_SYMBOL_GPL(vmq_register_client);

/**
 * vmq_unregister_client() - undo vmq_register_client()
 * @client: the client.
 *
 * Calls @client->remove for every device; may block as long as those do,
 * and meanwhile devices cannot come or go.  A client's module exit calls
 * it, which cannot happen while a VMM holds one of its devices.
 *
 * Context: process context, may sleep.
 */
void vmq_unregister_client(struct vmq_client *client)
{
	struct vmq_dev *vdev;

	down_write(&vmq_clients_rwsem);
	list_for_each_entry_reverse(vdev, &vmq_client_devs, client_node)
		client->remove(vdev);
	list_del(&client->list);
	up_write(&vmq_clients_rwsem);
}
EXPORT_SYMBOL_GPL(vmq_unregister_client);
