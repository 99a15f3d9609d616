/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmq_vfio_lib: what the selftests' VMMs share.  Opening a vmq_vfio mdev
 * through a VFIO type1 container with guest RAM in two mappings (rings,
 * buffers), its registers and interrupts, the link partner's raw socket,
 * and a minimal guest driver: rings set up, frames received and sent
 * and compared byte for byte; VFIO migration (device states, the
 * stream of include/uapi/linux/vmq.h, type1 dirty page tracking).
 * vmq_vmm, vmq_fuzz and vmq_migrate are built on it.
 */
#ifndef VMQ_VFIO_LIB_H
#define VMQ_VFIO_LIB_H

#include <linux/types.h>
#include <linux/vmq.h>
#include <net/ethernet.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>
#include "vmq_test_lib.h"

#define KSFT_SKIP	4
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Guest memory: rings in one mapping, buffers in another. */
#define RING_IOVA	0x100000ULL
#define RING_SIZE	0x10000ULL
#define BUF_IOVA	0x400000ULL
#define BUF_SIZE	0x200000ULL
#define RX_RING		0x0000		/* offsets in the ring mapping */
#define TX_RING		0x8000
#define RX_BUFS		0x000000	/* offsets in the buffer mapping */
#define TX_BUFS		0x100000
#define BUF_LEN		2048
#define NDESC		64
#define UNMAPPED_IOVA	0x40000000ULL

struct vmm {
	const char *uuid;
	int container, group, dev;
	__u8 *ring_mem, *buf_mem;
	int efd[VMQ_VFIO_NUM_IRQS];
	int wire_sock, wire_ifindex;
	__u8 mac[ETH_ALEN], wire_mac[ETH_ALEN], peer_mac[ETH_ALEN];
	bool have_peer;
	__u16 vlan;
	__u16 tag;		/* -V: the 802.1Q tag the guest puts on */
	__u32 max_frame;
	__u32 rx_head, tx_head;	/* next descriptor the guest expects */
	__u32 rx_tail, tx_tail;
	__u32 seq;
	int count, timeout;
	const char *backlog;	/* -b: vmqsim's debugfs "backlog" */
};

long sim_backlog(const struct vmm *v);
long sim_port_backlog(const struct vmm *v);
bool sim_knob(const struct vmm *v, const char *name, const char *val);
bool sim_hold_port(const struct vmm *v);
long sim_read_knob(const struct vmm *v, const char *name);
bool sim_wait_knob(const struct vmm *v, const char *name, long want, int ms);
long long sim_counter(const struct vmm *v, const char *name);
bool sim_wait_backlog(const struct vmm *v, long want, int ms);
int parse_mac(const char *s, __u8 *mac);

/* Registers of region 0; wr() and rd() die on a failed access. */
__u32 rd(struct vmm *v, __u32 reg);
int wr_err(struct vmm *v, __u32 reg, __u32 val);
void wr(struct vmm *v, __u32 reg, __u32 val);
__u64 counter(struct vmm *v, int n);
bool counter_wait(struct vmm *v, int n, __u64 min);

/* The device, guest RAM and interrupts; VFIO missing exits with skip. */
void vmm_open(struct vmm *v);
void vmm_open_beside(struct vmm *v, const struct vmm *with);
void vmm_close(struct vmm *v);
int map_dma(struct vmm *v, void *mem, __u64 iova, __u64 size);
void *map_guest(struct vmm *v, __u64 iova, __u64 size);
int unmap_guest(struct vmm *v, __u64 iova, __u64 size);
int set_irq_err(struct vmm *v, int index, int fd);
void set_irq(struct vmm *v, int index, int fd);
bool wait_irq(struct vmm *v, int index, int ms);
void drain_irq(struct vmm *v, int index);

/* The link partner. */
void wire_open(struct vmm *v, const char *ifname);
__u32 make_frame(struct vmm *v, __u8 *buf, const __u8 *dst,
		 const __u8 *src, __u32 len);
void wire_send(struct vmm *v, const __u8 *frame, __u32 len, __u16 vlan);
int wire_recv(struct vmm *v, __u8 *buf, __u16 *vlan, int ms);
void wire_drain(struct vmm *v);

/* The guest driver: NDESC descriptors per ring, BUF_LEN buffers. */
struct vmq_desc *rx_desc(struct vmm *v, __u32 i);
struct vmq_desc *tx_desc(struct vmm *v, __u32 i);
__u64 rx_buf_iova(__u32 i);
__u8 *rx_buf(struct vmm *v, __u32 i);
__u8 *tx_buf(struct vmm *v, __u32 i);
void rx_post(struct vmm *v, __u32 i, __u64 iova, __u32 len);
void guest_rings_at(struct vmm *v, __u64 iova);
void guest_setup(struct vmm *v, __u32 rx_len);
void guest_start(struct vmm *v, __u32 rx_len);
__u8 *rx_next(struct vmm *v, __u32 *len, int ms);
__u8 *rx_next_test(struct vmm *v, __u32 *len, int ms);
__u32 tx_post(struct vmm *v, __u64 iova, __u32 len);
bool tx_wait_done(struct vmm *v, __u32 i, int ms);
__u32 test_len(__u32 k);
int rx_frames(struct vmm *v, const __u8 *dst, int n, bool quiet);
int tx_frames(struct vmm *v, const __u8 *src, int n, bool expect);

/* An admin attribute of mdev @uuid (its vmq/ directory); 0 or -errno. */
int mdev_attr_set(const char *uuid, const char *attr, const char *val);

/*
 * VFIO migration v2 through VFIO_DEVICE_FEATURE: 0 or -errno.  mig_set()
 * gives the data fd of the state reached in *@fd (-1: none), or closes it
 * when @fd is NULL.
 */
/* Kernels before 6.2 have no pre-copy: their uapi headers lack these. */
#define MIG_STATE_PRE_COPY	6	/* VFIO_DEVICE_STATE_PRE_COPY */
#define MIG_STATE_PRE_COPY_P2P	7
#define MIG_PRE_COPY		0x4	/* VFIO_MIGRATION_PRE_COPY */

int mig_flags(struct vmm *v, __u64 *flags);
int mig_get(struct vmm *v, __u32 *state);
int mig_set(struct vmm *v, __u32 state, int *fd);
int mig_data_size(struct vmm *v, __u64 *bytes);
const char *mig_state_name(__u32 state);
int mig_precopy_info(int fd, __u64 *initial, __u64 *dirty);

/* VFIO type1 dirty page tracking of @v's container; 0 or -errno. */
int dirty_start(struct vmm *v);
int dirty_stop(struct vmm *v);
int dirty_bitmap(struct vmm *v, __u64 iova, __u64 size, __u64 *bits);
static inline bool bit_test(const __u64 *bits, __u64 n)
{
	return bits[n / 64] & (1ULL << (n % 64));
}

/*
 * The migration stream: zlib's CRC-32, reading and writing a data fd,
 * the records of a segment, and rewriting one (mig_seal: size and CRC
 * made right for @len bytes, as a stream editor must to get past the CRC
 * check).  A stream is one or more segments, each a header and records.
 */
struct mig_rec {
	__u16 type, flags;
	__u32 len;
	size_t off;		/* of the record header in the stream */
	size_t next;		/* of the record after it */
	const __u8 *data;
};

__u32 crc32_zlib(__u32 crc, const void *buf, size_t len);
__u32 mig_crc(const __u8 *s, size_t len);
ssize_t mig_read(int fd, __u8 *buf, size_t max);
ssize_t mig_write(int fd, const __u8 *buf, size_t len);
bool mig_rec_first(const __u8 *s, size_t len, struct mig_rec *r);
bool mig_rec_next(const __u8 *s, size_t len, struct mig_rec *r);
bool mig_rec_find(const __u8 *s, size_t len, __u16 type, struct mig_rec *r);
size_t mig_rec_put(__u8 *p, __u16 type, __u16 flags, const void *data,
		   __u32 len);
void mig_seal(__u8 *s, size_t len);
void le_queue(struct vmq_queue_state *q);

#endif /* VMQ_VFIO_LIB_H */
