// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: the registry of vmq devices, and the clients that
 * build on every one of them without the drivers knowing (vmq_vfio makes
 * each an mdev parent).
 *
 * A client sees every device once: those registered before it at
 * vmq_register_client(), later ones as they come.  What its add returns
 * for a device, its cookie, the core keeps and hands back to its remove,
 * which comes only after a successful add.  Removal is synchronous and
 * comes before the device's queue pairs go, so a client can block in it
 * until its users (VMMs) let go.  That wait must hold up no other
 * device: no lock another device's add or removal needs is held across
 * a callback.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include "vmq_priv.h"

/*
 * Every registered vmq device.  Changed with both vmq_clients_rwsem
 * (read side) and vmq_devs_lock held, so either keeps it still: the
 * mutex for a short look (never held across a callback), the rwsem's
 * write side for a walk that calls clients.
 */
static LIST_HEAD(vmq_devs);
static DEFINE_MUTEX(vmq_devs_lock);

/*
 * Clients, kept still by vmq_clients_rwsem while callbacks run: devices
 * coming and going read it, side by side; only a client module coming
 * or going writes it, and a client whose remove waits for a VMM cannot
 * go (the VMM's open device pins its module).
 */
static LIST_HEAD(vmq_clients);
static DECLARE_RWSEM(vmq_clients_rwsem);

/**
 * struct vmq_client_link - a client attached to a device
 * @node: in &vmq_dev.clients, in the order of the clients' list.
 * @client: the client.
 * @cookie: what its add returned for the device.
 *
 * Only the thread that holds the device's place in the registry (its
 * registration or removal, with the rwsem's read side, or a client's,
 * with its write side) touches a device's links.
 */
struct vmq_client_link {
	struct list_head node;
	struct vmq_client *client;
	void *cookie;
};

/* Is @netdev a registered vmq device?  Called with RTNL held. */
bool vmq_dev_is_ours(const struct net_device *netdev)
{
	struct vmq_dev *vdev;
	bool found = false;

	mutex_lock(&vmq_devs_lock);
	list_for_each_entry(vdev, &vmq_devs, list) {
		if (vdev->netdev == netdev) {
			found = true;
			break;
		}
	}
	mutex_unlock(&vmq_devs_lock);
	return found;
}

static void vmq_client_attach(struct vmq_client *client, struct vmq_dev *vdev)
{
	struct vmq_client_link *link;
	void *cookie;

	link = kzalloc(sizeof(*link), GFP_KERNEL);
	cookie = link ? client->add(vdev) : ERR_PTR(-ENOMEM);
	/* The NIC works without the client; say why it is missing. */
	if (IS_ERR(cookie)) {
		netdev_warn(vdev->netdev, "vmq: %s: cannot attach: %ld\n",
			    client->name, PTR_ERR(cookie));
		kfree(link);
		return;
	}
	link->client = client;
	link->cookie = cookie;
	list_add_tail(&link->node, &vdev->clients);
}

static void vmq_client_detach(struct vmq_client_link *link,
			      struct vmq_dev *vdev)
{
	list_del(&link->node);
	link->client->remove(vdev, link->cookie);
	kfree(link);
}

void vmq_registry_add(struct vmq_dev *vdev)
{
	struct vmq_client *client;

	down_read(&vmq_clients_rwsem);
	mutex_lock(&vmq_devs_lock);
	list_add_tail(&vdev->list, &vmq_devs);
	mutex_unlock(&vmq_devs_lock);
	list_for_each_entry(client, &vmq_clients, list)
		vmq_client_attach(client, vdev);
	up_read(&vmq_clients_rwsem);
}

void vmq_registry_del(struct vmq_dev *vdev)
{
	struct vmq_client_link *link, *tmp;

	down_read(&vmq_clients_rwsem);
	/* May wait for VMMs; other devices come and go meanwhile. */
	list_for_each_entry_safe_reverse(link, tmp, &vdev->clients, node)
		vmq_client_detach(link, vdev);
	mutex_lock(&vmq_devs_lock);
	list_del(&vdev->list);
	mutex_unlock(&vmq_devs_lock);
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
	list_for_each_entry(vdev, &vmq_devs, list)
		vmq_client_attach(client, vdev);
	up_write(&vmq_clients_rwsem);
	return 0;
}
EXPORT_SYMBOL_GPL(vmq_register_client);

/**
 * vmq_unregister_client() - undo vmq_register_client()
 * @client: the client.
 *
 * Calls @client->remove for every device its add succeeded on; may block
 * as long as those do, and meanwhile devices cannot come or go.  A
 * client's module exit calls it, which cannot happen while a VMM holds
 * one of its devices.
 *
 * Context: process context, may sleep.
 */
void vmq_unregister_client(struct vmq_client *client)
{
	struct vmq_client_link *link, *tmp;
	struct vmq_dev *vdev;

	down_write(&vmq_clients_rwsem);
	list_for_each_entry_reverse(vdev, &vmq_devs, list)
		list_for_each_entry_safe(link, tmp, &vdev->clients, node)
			if (link->client == client)
				vmq_client_detach(link, vdev);
	list_del(&client->list);
	up_write(&vmq_clients_rwsem);
}
EXPORT_SYMBOL_GPL(vmq_unregister_client);
