// SPDX-License-Identifier: GPL-2.0
/*
 * vmq_bench_rules: install or delete many ethtool ntuple MAC rules fast,
 * with one ioctl each instead of one ethtool process each, for the
 * benchmarks' filter_scaling metric.
 *
 *   vmq_bench_rules DEV add BASE_MAC FIRST COUNT QUEUE
 *   vmq_bench_rules DEV del FIRST COUNT
 *
 * "add" installs rule i (FIRST <= i < FIRST + COUNT) at location i,
 * matching the destination MAC BASE_MAC + i (the MAC counted as a 40-bit
 * number below its first byte, the way pktgen's dst_mac_count steps), and
 * steering it to QUEUE.  "del" removes the rules at those locations.
 * Exits 0 when every rule was installed or removed, 1 otherwise.
 */

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int rxnfc(int fd, const char *dev, struct ethtool_rxnfc *nfc)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ifr.ifr_data = (void *)nfc;
	return ioctl(fd, SIOCETHTOOL, &ifr);
}

static int parse_mac(const char *s, unsigned char *mac)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
		      &mac[2], &mac[3], &mac[4], &mac[5]) == 6 ? 0 : -1;
}

/* mac = base + n, carrying from the last byte towards the second. */
static void mac_add(const unsigned char *base, unsigned long n,
		    unsigned char *mac)
{
	unsigned int carry = 0;
	int b;

	memcpy(mac, base, 6);
	for (b = 5; b >= 1; b--) {
		unsigned int v = base[b] + (n & 0xff) + carry;

		mac[b] = v & 0xff;
		carry = v >> 8;
		n >>= 8;
	}
}

static int add_rules(int fd, const char *dev, const unsigned char *base,
		     unsigned long first, unsigned long count,
		     unsigned long queue)
{
	struct ethtool_rxnfc nfc;
	unsigned long i;

	for (i = first; i < first + count; i++) {
		memset(&nfc, 0, sizeof(nfc));
		nfc.cmd = ETHTOOL_SRXCLSRLINS;
		nfc.fs.flow_type = ETHER_FLOW;
		mac_add(base, i, nfc.fs.h_u.ether_spec.h_dest);
		memset(nfc.fs.m_u.ether_spec.h_dest, 0xff, 6);
		nfc.fs.ring_cookie = queue;
		nfc.fs.location = i;
		if (rxnfc(fd, dev, &nfc)) {
			fprintf(stderr, "rule %lu: %s\n", i, strerror(errno));
			return 1;
		}
	}
	return 0;
}

static int del_rules(int fd, const char *dev, unsigned long first,
		     unsigned long count)
{
	struct ethtool_rxnfc nfc;
	unsigned long i;
	int rc = 0;

	for (i = first; i < first + count; i++) {
		memset(&nfc, 0, sizeof(nfc));
		nfc.cmd = ETHTOOL_SRXCLSRLDEL;
		nfc.fs.location = i;
		if (rxnfc(fd, dev, &nfc)) {
			fprintf(stderr, "rule %lu: %s\n", i, strerror(errno));
			rc = 1;
		}
	}
	return rc;
}

static int bad_args(const char *prog)
{
	fprintf(stderr,
		"usage: %s DEV add BASE_MAC FIRST COUNT QUEUE\n"
		"       %s DEV del FIRST COUNT\n", prog, prog);
	return 2;
}

int main(int argc, char **argv)
{
	unsigned char base[6];
	int fd, rc;

	if (argc < 3)
		return bad_args(argv[0]);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	if (!strcmp(argv[2], "add") && argc == 7) {
		if (parse_mac(argv[3], base))
			return bad_args(argv[0]);
		rc = add_rules(fd, argv[1], base, strtoul(argv[4], NULL, 0),
			       strtoul(argv[5], NULL, 0),
			       strtoul(argv[6], NULL, 0));
	} else if (!strcmp(argv[2], "del") && argc == 5) {
		rc = del_rules(fd, argv[1], strtoul(argv[3], NULL, 0),
			       strtoul(argv[4], NULL, 0));
	} else {
		rc = bad_args(argv[0]);
	}
	close(fd);
	return rc;
}
