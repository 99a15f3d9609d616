// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_test_lib: what the VFIO and the vhost-vdpa test VMMs share (see
 * vmq_test_lib.h).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include "vmq_test_lib.h"

int failures;

void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", ok ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

void die(const char *what)
{
	printf("FAIL: %s: %s\n", what, strerror(errno));
	exit(1);
}

long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* --- fuzzing --------------------------------------------------------------- */

__u64 xorshift64s(__u64 *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

void fuzz_finding(struct fuzz_run *run, const char *fmt, ...)
{
	va_list ap;

	if (++run->findings > FUZZ_SHOWN)
		return;
	printf("FINDING: seed %llu op %llu: ", (unsigned long long)run->seed,
	       (unsigned long long)run->ops);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* --- the wire (link partner) ---------------------------------------------- */

int wire_socket(const char *ifname, int *ifindex, __u8 *mac)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr = { 0 };
	int one = 1, sock;

	sock = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
	if (sock < 0)
		die("AF_PACKET socket");
	*ifindex = if_nametoindex(ifname);
	if (!*ifindex)
		die(ifname);
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = *ifindex;
	if (bind(sock, (void *)&sll, sizeof(sll)))
		die("bind wire");
	if (setsockopt(sock, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)))
		die("PACKET_AUXDATA");
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(sock, SIOCGIFHWADDR, &ifr))
		die("SIOCGIFHWADDR");
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	return sock;
}

/* A test frame: dst, src, our ethertype, seq, a pattern; @len bytes. */
__u32 test_frame(__u32 seq, __u8 *buf, const __u8 *dst, const __u8 *src,
		 __u32 len)
{
	__u32 i;

	memcpy(buf, dst, ETH_ALEN);
	memcpy(buf + ETH_ALEN, src, ETH_ALEN);
	buf[12] = TEST_ETHERTYPE >> 8;
	buf[13] = TEST_ETHERTYPE & 0xff;
	memcpy(buf + 14, &seq, 4);
	for (i = 18; i < len; i++)
		buf[i] = (__u8)(seq * 7 + i);
	return seq;
}

void wire_sock_send(int sock, const __u8 *frame, __u32 len, __u16 vlan)
{
	__u8 tagged[BIG_FRAME + 8];

	if (vlan) {
		memcpy(tagged, frame, 12);
		tagged[12] = 0x81;
		tagged[13] = 0x00;
		tagged[14] = vlan >> 8;
		tagged[15] = vlan & 0xff;
		memcpy(tagged + 16, frame + 12, len - 12);
		frame = tagged;
		len += 4;
	}
	if (send(sock, frame, len, 0) != (ssize_t)len)
		die("send on wire");
}

/* Next frame of ours the partner received; its VLAN in @vlan (0: none). */
int wire_sock_recv(int sock, __u8 *buf, __u16 *vlan, int ms)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	char cbuf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	struct iovec iov = { .iov_base = buf, .iov_len = ETH_FRAME_LEN + 8 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct sockaddr_ll from;
	struct cmsghdr *cmsg;
	ssize_t n;

	for (;;) {
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		msg.msg_controllen = sizeof(cbuf);
		n = recvmsg(sock, &msg, 0);
		if (n < 0) {
			if (errno != EAGAIN || poll(&pfd, 1, ms) <= 0)
				return -1;
			continue;
		}
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		*vlan = 0;
		for (cmsg = CMSG_FIRSTHDR(&msg); cmsg;
		     cmsg = CMSG_NXTHDR(&msg, cmsg)) {
			struct tpacket_auxdata *aux = (void *)CMSG_DATA(cmsg);

			if (cmsg->cmsg_level == SOL_PACKET &&
			    cmsg->cmsg_type == PACKET_AUXDATA &&
			    (aux->tp_status & TP_STATUS_VLAN_VALID))
				*vlan = aux->tp_vlan_tci & 0xfff;
		}
		if (n >= 14 && buf[12] == TEST_ETHERTYPE >> 8 &&
		    buf[13] == (TEST_ETHERTYPE & 0xff))
			return n;
	}
}

void wire_sock_drain(int sock)
{
	__u8 buf[ETH_FRAME_LEN + 8];

	while (recv(sock, buf, sizeof(buf), 0) > 0)
		;
}
