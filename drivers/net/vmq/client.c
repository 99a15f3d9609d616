// SPDX-License-Identifier: GPL-2.0
/*
 * vmq core library: the registry of vmq devices, and the clients that
 * build on every one of them without the drivers knowing (vmq_vfio makes
 * each an mdev parent, vmq_vdpa a vDPA management device).
 *
 * A client sees every device once: those registered before it at
 * vmq_register_client(), later ones as they come.  What its add returns
 * for a device, its cookie, the core keeps and hands back to its remove,
 * which comes only after a successful add.  Removal is synchronous and
 * comes before the device's queue pairs go, so a client can block in it
 * until its users (VMMs) let go, and its add may block too (vmq_vdpa's
 * waits for the vDPA bus's lock, which a "vdpa dev del" holds while
 * vhost-vdpa waits for its VMM).  Such a wait must hold up no other
 * device and no other client's module: no callback runs under the
 * registry's lock.
 *
 * So each link of a client to a device is a small state machine, and the
 * thread that moves it to ADDING or REMOVING owns it and runs the
 * callback with no lock held.  A device or client going waits for its
 * links that another thread owns to be gone; a link whose device or
 * client went while its add ran is removed by the thread that added it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include "vmq_priv.h"

/*
 * Every registered vmq device, every client, and every device's links.
 * Held only for looks and list changes, never across a callback.
 */
static DEFINE_MUTEX(vmq_registry_lock);
static LIST_HEAD(vmq_devs);
static LIST_HEAD(vmq_clients);

/* Woken when a link is gone: a device or client going waits for its own. */
static DECLARE_WAIT_QUEUE_HEAD(vmq_links_wq);

enum vmq_link_state {
	VMQ_LINK_ADDING,	/* its client's add runs */
	VMQ_LINK_LIVE,		/* added; nobody owns it */
	VMQ_LINK_REMOVING,	/* its client's remove runs */
};

/**
 * struct vmq_client_link - a client attached to a device
 * @node: in &vmq_dev.clients, in the order of the clients' list.
 * @work: on the list of adds its creator runs (ADDING).
 * @client: the client.
 * @vdev: the device.
 * @cookie: what its add returned for the device.
 * @state: &enum vmq_link_state.
 * @doomed: its device or client went while its add ran: the thread that
 *	added it removes it.
 *
 * A link counts in &vmq_dev.nr_client_links and &vmq_client.nr_links
 * from its creation until its remove returned (or its add failed), so
 * neither device nor client goes while a callback on it runs.  @node,
 * @state and @doomed change under vmq_registry_lock.
 */
struct vmq_client_link {
	struct list_head node;
	struct list_head work;
	struct vmq_client *client;
	struct vmq_dev *vdev;
	void *cookie;
	enum vmq_link_state state;
	bool doomed;
};

/* Every registered vmq device, published or not: vmq_dev_is_ours(). */
static LIST_HEAD(vmq_all_devs);

void vmq_registry_track(struct vmq_dev *vdev)
{
	mutex_lock(&vmq_registry_lock);
	list_add_tail(&vdev->all, &vmq_all_devs);
	mutex_unlock(&vmq_registry_lock);
}

void vmq_registry_untrack(struct vmq_dev *vdev)
{
	mutex_lock(&vmq_registry_lock);
	list_del(&vdev->all);
	mutex_unlock(&vmq_registry_lock);
}

/*
 * Is @netdev a vmq device, from vmq_dev_register() to
 * vmq_dev_unregister()?  Called with RTNL held.
 */
bool vmq_dev_is_ours(const struct net_device *netdev)
{
	struct vmq_dev *vdev;
	bool found = false;

	mutex_lock(&vmq_registry_lock);
	list_for_each_entry(vdev, &vmq_all_devs, all) {
		if (vdev->netdev == netdev) {
			found = true;
			break;
		}
	}
	mutex_unlock(&vmq_registry_lock);
	return found;
}

/* The NIC works without the client; say why it is missing. */
static void vmq_link_failed(struct vmq_dev *vdev, struct vmq_client *client,
			    long err)
{
	netdev_warn(vdev->netdev, "vmq: %s: cannot attach: %ld\n",
		    client->name, err);
}

/* A link in ADDING for the caller to add, on @mine.  Registry lock held. */
static void vmq_link_new(struct vmq_client *client, struct vmq_dev *vdev,
			 struct list_head *mine)
{
	struct vmq_client_link *link;

	lockdep_assert_held(&vmq_registry_lock);
	link = kzalloc(sizeof(*link), GFP_KERNEL);
	if (!link) {
		vmq_link_failed(vdev, client, -ENOMEM);
		return;
	}
	link->client = client;
	link->vdev = vdev;
	link->state = VMQ_LINK_ADDING;
	list_add_tail(&link->node, &vdev->clients);
	list_add_tail(&link->work, mine);
	atomic_inc(&vdev->nr_client_links);
	atomic_inc(&client->nr_links);
}

/*
 * The link is gone from its device's list: free it and let whoever waits
 * for its device or client know.  Neither is touched after its count
 * drops: the waiter may free it at once.
 */
static void vmq_link_free(struct vmq_client_link *link)
{
	atomic_t *dev_links = &link->vdev->nr_client_links;
	atomic_t *client_links = &link->client->nr_links;

	kfree(link);
	atomic_dec(dev_links);
	atomic_dec(client_links);
	wake_up_all(&vmq_links_wq);
}

/* Run the remove of a link the caller moved to REMOVING, and free it. */
static void vmq_link_remove(struct vmq_client_link *link)
{
	link->client->remove(link->vdev, link->cookie);
	mutex_lock(&vmq_registry_lock);
	list_del(&link->node);
	mutex_unlock(&vmq_registry_lock);
	vmq_link_free(link);
}

/* Run the add of each link on @mine, which the caller made. */
static void vmq_links_add(struct list_head *mine)
{
	struct vmq_client_link *link, *tmp;
	bool doomed;
	void *cookie;

	list_for_each_entry_safe(link, tmp, mine, work) {
		list_del(&link->work);
		cookie = link->client->add(link->vdev);
		mutex_lock(&vmq_registry_lock);
		if (IS_ERR(cookie)) {
			list_del(&link->node);
			mutex_unlock(&vmq_registry_lock);
			vmq_link_failed(link->vdev, link->client,
					PTR_ERR(cookie));
			vmq_link_free(link);
			continue;
		}
		link->cookie = cookie;
		doomed = link->doomed;
		link->state = doomed ? VMQ_LINK_REMOVING : VMQ_LINK_LIVE;
		mutex_unlock(&vmq_registry_lock);
		if (doomed)
			vmq_link_remove(link);
	}
}

/*
 * The next link of a going device or client for the caller to remove, or
 * NULL when none is live: one being added is left to its adder, one
 * being removed to its remover.  One at a time, so that a remove which
 * waits leaves the device's other links to their clients going meanwhile.
 * Registry lock held.
 */
static struct vmq_client_link *vmq_link_claim(struct vmq_dev *vdev,
					      struct vmq_client *client)
{
	struct vmq_client_link *link;

	lockdep_assert_held(&vmq_registry_lock);
	list_for_each_entry_reverse(link, &vdev->clients, node) {
		if (client && link->client != client)
			continue;
		if (link->state == VMQ_LINK_ADDING)
			link->doomed = true;
		if (link->state != VMQ_LINK_LIVE)
			continue;
		link->state = VMQ_LINK_REMOVING;
		return link;
	}
	return NULL;
}

void vmq_registry_add(struct vmq_dev *vdev)
{
	struct vmq_client *client;
	LIST_HEAD(mine);

	vdev->registry_dying = false;
	atomic_set(&vdev->nr_client_links, 0);
	mutex_lock(&vmq_registry_lock);
	list_add_tail(&vdev->list, &vmq_devs);
	list_for_each_entry(client, &vmq_clients, list)
		vmq_link_new(client, vdev, &mine);
	mutex_unlock(&vmq_registry_lock);
	vmq_links_add(&mine);
}

void vmq_registry_del(struct vmq_dev *vdev)
{
	struct vmq_client_link *link;

	mutex_lock(&vmq_registry_lock);
	/* Not published, or taken back already: no client knows it. */
	if (list_empty(&vdev->list)) {
		mutex_unlock(&vmq_registry_lock);
		return;
	}
	/* No client coming from now on attaches to it. */
	vdev->registry_dying = true;
	for (;;) {
		link = vmq_link_claim(vdev, NULL);
		mutex_unlock(&vmq_registry_lock);
		if (!link)
			break;
		/* May wait for VMMs; other devices and clients go on. */
		vmq_link_remove(link);
		mutex_lock(&vmq_registry_lock);
	}
	/* The links a client going or an adder owns. */
	wait_event(vmq_links_wq, !atomic_read(&vdev->nr_client_links));
	mutex_lock(&vmq_registry_lock);
	list_del_init(&vdev->list);
	mutex_unlock(&vmq_registry_lock);
}

/* The next link of a going client for the caller.  Registry lock held. */
static struct vmq_client_link *vmq_next_link_of(struct vmq_client *client)
{
	struct vmq_client_link *link;
	struct vmq_dev *vdev;

	list_for_each_entry_reverse(vdev, &vmq_devs, list) {
		link = vmq_link_claim(vdev, client);
		if (link)
			return link;
	}
	return NULL;
}

/**
 * vmq_register_client() - build on every vmq device
 * @client: its callbacks; must stay valid until vmq_unregister_client().
 *
 * Calls @client->add for every device registered now, and later for each
 * new one.  A failing add is logged and the device goes on without the
 * client.  No lock of the registry is held across @client->add or
 * @client->remove: one that blocks holds up no other device or client.
 *
 * Context: process context, may sleep.
 * Return: 0.
 */
int vmq_register_client(struct vmq_client *client)
{
	struct vmq_dev *vdev;
	LIST_HEAD(mine);

	atomic_set(&client->nr_links, 0);
	mutex_lock(&vmq_registry_lock);
	list_add_tail(&client->list, &vmq_clients);
	list_for_each_entry(vdev, &vmq_devs, list)
		if (!vdev->registry_dying)
			vmq_link_new(client, vdev, &mine);
	mutex_unlock(&vmq_registry_lock);
	vmq_links_add(&mine);
	return 0;
}
EXPORT_SYMBOL_GPL(vmq_register_client);

/**
 * vmq_unregister_client() - undo vmq_register_client()
 * @client: the client.
 *
 * Calls @client->remove for every device its add succeeded on, or waits
 * for the thread of a device going to do so, and returns when none is
 * left; may block as long as those removes do.  Other devices and
 * clients come and go meanwhile, without this client.
 *
 * Context: process context, may sleep.
 */
void vmq_unregister_client(struct vmq_client *client)
{
	struct vmq_client_link *link;

	mutex_lock(&vmq_registry_lock);
	/* No device coming from now on gets it. */
	list_del(&client->list);
	while ((link = vmq_next_link_of(client))) {
		mutex_unlock(&vmq_registry_lock);
		vmq_link_remove(link);
		mutex_lock(&vmq_registry_lock);
	}
	mutex_unlock(&vmq_registry_lock);
	/* The links a device going or an adder owns. */
	wait_event(vmq_links_wq, !atomic_read(&client->nr_links));
}
EXPORT_SYMBOL_GPL(vmq_unregister_client);
