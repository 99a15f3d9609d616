// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_send_frames: send raw Ethernet frames for the vmqsim selftests.
 *
 *   vmq_send_frames IFNAME DST_MAC COUNT [VLAN|pause]
 *
 * Sends COUNT minimum-size frames (ethertype 0x88b5, local experimental)
 * from IFNAME's own MAC to DST_MAC, with an in-band 802.1Q tag if VLAN is
 * given; with "pause", 802.3x PAUSE frames (MAC Control, opcode 1, the
 * longest pause) instead.  It is a helper, not a test: run without
 * arguments (as the kselftest runner does) it says so and exits with the
 * skip code.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define KSFT_SKIP	4
#define FRAME_LEN	60
#define ETH_P_LOCAL_EXP	0x88b5
#define TAG_PAUSE	-2	/* not a VLAN: a PAUSE frame */

static int parse_mac(const char *str, unsigned char *mac)
{
	char tail;

	return sscanf(str, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx%c", &mac[0],
		      &mac[1], &mac[2], &mac[3], &mac[4], &mac[5],
		      &tail) == ETH_ALEN ? 0 : -1;
}

static int parse_uint(const char *str, unsigned long max, unsigned long *val)
{
	char *end;

	errno = 0;
	*val = strtoul(str, &end, 10);
	return errno || *end || end == str || *val > max ? -1 : 0;
}

static int build_frame(int fd, const char *ifname, const unsigned char *dst,
		       long vlan, unsigned char *frame)
{
	struct ifreq ifr = { 0 };
	unsigned char *p = frame;

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror("SIOCGIFHWADDR");
		return -1;
	}
	memset(frame, 0, FRAME_LEN);
	memcpy(p, dst, ETH_ALEN);
	p += ETH_ALEN;
	memcpy(p, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	p += ETH_ALEN;
	if (vlan == TAG_PAUSE) {
		*p++ = ETH_P_PAUSE >> 8;
		*p++ = ETH_P_PAUSE & 0xff;
		*p++ = 0x00;	/* opcode 1: PAUSE */
		*p++ = 0x01;
		*p++ = 0xff;	/* for 65535 quanta */
		*p = 0xff;
		return 0;
	}
	if (vlan >= 0) {
		*p++ = ETH_P_8021Q >> 8;
		*p++ = ETH_P_8021Q & 0xff;
		*p++ = vlan >> 8;
		*p++ = vlan & 0xff;
	}
	*p++ = ETH_P_LOCAL_EXP >> 8;
	*p = ETH_P_LOCAL_EXP & 0xff;
	return 0;
}

static int send_frames(int fd, const char *ifname, const unsigned char *dst,
		       unsigned long count, const unsigned char *frame)
{
	struct timespec pause = { .tv_nsec = 1000000 };
	struct sockaddr_ll sll = {
		.sll_family	= AF_PACKET,
		.sll_halen	= ETH_ALEN,
	};
	unsigned long sent = 0;
	int retries = 1000;

	sll.sll_ifindex = if_nametoindex(ifname);
	if (!sll.sll_ifindex) {
		perror(ifname);
		return -1;
	}
	memcpy(sll.sll_addr, dst, ETH_ALEN);
	while (sent < count) {
		if (sendto(fd, frame, FRAME_LEN, 0, (struct sockaddr *)&sll,
			   sizeof(sll)) == FRAME_LEN) {
			sent++;
			continue;
		}
		if (errno != ENOBUFS || !retries--) {
			perror("sendto");
			return -1;
		}
		nanosleep(&pause, NULL);
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned char dst[ETH_ALEN], frame[FRAME_LEN];
	unsigned long count, vlan;
	long tag = -1;
	int fd, ret;

	if (argc < 4 || argc > 5) {
		fprintf(stderr,
			"usage: %s IFNAME DST_MAC COUNT [VLAN|pause]\n"
			"(a helper of the sim_*.sh tests, not a test itself)\n",
			argv[0]);
		return argc == 1 ? KSFT_SKIP : 2;
	}
	if (parse_mac(argv[2], dst) || parse_uint(argv[3], 1000000, &count)) {
		fprintf(stderr, "bad DST_MAC or COUNT\n");
		return 2;
	}
	if (argc == 5 && !strcmp(argv[4], "pause")) {
		tag = TAG_PAUSE;
	} else if (argc == 5) {
		if (parse_uint(argv[4], 4095, &vlan)) {
			fprintf(stderr, "bad VLAN (0..4095)\n");
			return 2;
		}
		tag = vlan;
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	ret = build_frame(fd, argv[1], dst, tag, frame) ||
	      send_frames(fd, argv[1], dst, count, frame);
	close(fd);
	return ret ? 1 : 0;
}
