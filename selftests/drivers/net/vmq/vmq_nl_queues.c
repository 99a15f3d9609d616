// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_nl_queues: what the netdev generic netlink family says of a
 * netdev's queues and NAPI instances, for netlink_queues.sh.
 *
 *   vmq_nl_queues IFNAME
 *
 * Prints "queue rx|tx ID napi NAPI_ID" for each queue (NAPI_ID 0 when the
 * queue names none) and "napi NAPI_ID irq IRQ" for each NAPI instance.
 * Exits 0, 1 on error, 4 when the kernel has no queue dumps.  The
 * numbers are those of the 6.12 uapi (include/uapi/linux/netdev.h), which
 * the build host's headers may predate.
 */

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#define KSFT_SKIP		4

#define NETDEV_CMD_QUEUE_GET	10
#define NETDEV_CMD_NAPI_GET	11
#define NETDEV_A_NAPI_IFINDEX	1
#define NETDEV_A_NAPI_ID	2
#define NETDEV_A_NAPI_IRQ	3
#define NETDEV_A_QUEUE_ID	1
#define NETDEV_A_QUEUE_IFINDEX	2
#define NETDEV_A_QUEUE_TYPE	3
#define NETDEV_A_QUEUE_NAPI_ID	4

#define BUF_SIZE		65536

static char buf[BUF_SIZE];

struct req {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[64];
};

static void put_attr(struct req *r, __u16 type, const void *data, __u16 len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static int send_req(int fd, __u16 family, __u8 cmd, __u16 flags,
		    __u16 attr, const void *data, __u16 len)
{
	struct req r = {
		.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN),
		.nh.nlmsg_type = family,
		.nh.nlmsg_flags = NLM_F_REQUEST | flags,
		.gh.cmd = cmd,
		.gh.version = 1,
	};

	put_attr(&r, attr, data, len);
	return send(fd, &r, r.nh.nlmsg_len, 0) < 0 ? -1 : 0;
}

/*
 * Calls @fn on each message's attributes: of a dump until DONE, else of
 * the one answer.  0, or -errno.
 */
static int recv_all(int fd, int dump,
		    void (*fn)(struct nlattr **tb, void *ctx), void *ctx)
{
	struct nlattr *tb[16];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nh;

		if (n < 0)
			return -errno;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n);
		     nh = NLMSG_NEXT(nh, n)) {
			struct nlattr *a;
			int rem;

			if (nh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);

				if (e->error)
					return e->error;
				if (!(nh->nlmsg_flags & NLM_F_MULTI))
					return 0;
				continue;
			}
			memset(tb, 0, sizeof(tb));
			a = (struct nlattr *)((char *)NLMSG_DATA(nh) + GENL_HDRLEN);
			rem = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
			while (rem >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
			       a->nla_len <= rem) {
				if ((a->nla_type & NLA_TYPE_MASK) < 16)
					tb[a->nla_type & NLA_TYPE_MASK] = a;
				rem -= NLA_ALIGN(a->nla_len);
				a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
			}
			fn(tb, ctx);
		}
		if (!dump)
			return 0;
	}
}

static __u32 u32_of(const struct nlattr *a)
{
	__u32 v = 0;

	if (a)
		memcpy(&v, (const char *)a + NLA_HDRLEN, sizeof(v));
	return v;
}

static void family_cb(struct nlattr **tb, void *ctx)
{
	__u16 id = 0;

	if (tb[CTRL_ATTR_FAMILY_ID]) {
		memcpy(&id, (char *)tb[CTRL_ATTR_FAMILY_ID] + NLA_HDRLEN,
		       sizeof(id));
		*(__u16 *)ctx = id;
	}
}

static void queue_cb(struct nlattr **tb, void *ctx)
{
	(void)ctx;
	printf("queue %s %u napi %u\n",
	       u32_of(tb[NETDEV_A_QUEUE_TYPE]) ? "tx" : "rx",
	       u32_of(tb[NETDEV_A_QUEUE_ID]),
	       u32_of(tb[NETDEV_A_QUEUE_NAPI_ID]));
}

static void napi_cb(struct nlattr **tb, void *ctx)
{
	(void)ctx;
	printf("napi %u irq %d\n", u32_of(tb[NETDEV_A_NAPI_ID]),
	       tb[NETDEV_A_NAPI_IRQ] ? (int)u32_of(tb[NETDEV_A_NAPI_IRQ]) : -1);
}

int main(int argc, char **argv)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	__u32 ifindex;
	__u16 family = 0;
	int fd, err;

	if (argc != 2) {
		fprintf(stderr, "usage: vmq_nl_queues IFNAME\n");
		return 1;
	}
	ifindex = if_nametoindex(argv[1]);
	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (!ifindex || fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror(argv[1]);
		return 1;
	}
	if (send_req(fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0,
		     CTRL_ATTR_FAMILY_NAME, "netdev", sizeof("netdev")) ||
	    recv_all(fd, 0, family_cb, &family) || !family) {
		printf("no netdev netlink family\n");
		return KSFT_SKIP;
	}
	err = send_req(fd, family, NETDEV_CMD_QUEUE_GET, NLM_F_DUMP,
		       NETDEV_A_QUEUE_IFINDEX, &ifindex, sizeof(ifindex));
	if (!err)
		err = recv_all(fd, 1, queue_cb, NULL);
	if (err == -EOPNOTSUPP || err == -EINVAL) {
		printf("no queue dumps: %s\n", strerror(-err));
		return KSFT_SKIP;
	}
	if (!err)
		err = send_req(fd, family, NETDEV_CMD_NAPI_GET, NLM_F_DUMP,
			       NETDEV_A_NAPI_IFINDEX, &ifindex,
			       sizeof(ifindex));
	if (!err)
		err = recv_all(fd, 1, napi_cb, NULL);
	if (err) {
		fprintf(stderr, "netlink: %s\n", strerror(err < 0 ? -err : errno));
		return 1;
	}
	close(fd);
	return 0;
}
