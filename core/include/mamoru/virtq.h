/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The device side of a virtio split virtqueue (VIRTIO 1.x, 2.7) in guest RAM,
 * and the virtio-blk requests carried on it (5.2.6): pure logic, host-tested
 * (tests/host/disk_check.c). The guest is hostile: every ring and descriptor is
 * checked against its RAM (overflow-safe), a chain is at most the queue size
 * long (a loop ends there), each descriptor is read once into local memory.
 * No indirect descriptors, no event index (neither is offered).
 */
#ifndef MAMORU_VIRTQ_H
#define MAMORU_VIRTQ_H

#include <mamoru/types.h>

#define VIRTQ_MAX 128u           /* the queue size offered (QueueNumMax) */

/* Guest RAM: guest-physical [base, base + size) is host memory at host. */
struct vq_mem {
	uint8_t *host;
	uint64_t base, size;
};

struct virtq {
	uint32_t num;                /* queue size, a power of 2 up to VIRTQ_MAX */
	uint64_t desc, avail, used;  /* guest-physical */
	uint16_t last_avail;         /* the next available entry to take */
	uint16_t used_idx;           /* the next used entry to fill */
};

/* One descriptor of a chain: where it is in host memory, its length, whether the
 * device writes it (else reads it). */
struct vq_seg {
	uint8_t *p;
	uint32_t len;
	bool write;
};

/* The host address of guest-physical [ipa, ipa + len) when all of it is in m, else NULL. */
uint8_t *vq_at(const struct vq_mem *m, uint64_t ipa, uint64_t len);
/* NULL when q's size and ring addresses are usable in m (aligned, inside RAM), else why. */
const char *virtq_check(const struct virtq *q, const struct vq_mem *m);
/* The head of the next available chain in *head: 1; 0 when none; -1 when the
 * driver's ring is broken (an index more than the queue size ahead, a head out of
 * range): the device then needs a reset. q must have passed virtq_check. */
int virtq_next(struct virtq *q, const struct vq_mem *m, uint16_t *head);
/* The chain from head in segs (at most max): 0 and *n set, or -1 when it is broken
 * (a descriptor outside RAM, longer than the queue or max, indirect, or a
 * device-readable one after a device-writable one). */
int virtq_chain(const struct virtq *q, const struct vq_mem *m, uint16_t head,
		struct vq_seg *segs, unsigned max, unsigned *n);
/* Returns chain head to the driver, len bytes written into it. True when the driver
 * wants an interrupt for it (no VIRTQ_AVAIL_F_NO_INTERRUPT). */
bool virtq_push(struct virtq *q, const struct vq_mem *m, uint16_t head, uint32_t len);

/* Guest-physical [ipa, ipa + size): memory the device must not write (the IDS's
 * write-protected ranges: the device writes guest RAM through the hypervisor's own
 * mapping, which stage 2 does not check). */
struct vq_range {
	uint64_t ipa, size;
};

/* Whether [ipa, ipa + len) (len > 0, not wrapping) touches one of r[0..nr). */
bool vq_overlaps(uint64_t ipa, uint64_t len, const struct vq_range *r, unsigned nr);
/* Whether a device-writable descriptor of segs[0..n) (in m) touches one of r[0..nr). */
bool vq_writes_into(const struct vq_mem *m, const struct vq_seg *segs, unsigned n,
		    const struct vq_range *r, unsigned nr);

/* virtio-blk requests (5.2.6). */
#define VIRTIO_BLK_T_IN 0u
#define VIRTIO_BLK_T_OUT 1u
#define VIRTIO_BLK_T_FLUSH 4u
#define VIRTIO_BLK_T_GET_ID 8u
#define VIRTIO_BLK_S_OK 0u
#define VIRTIO_BLK_S_IOERR 1u
#define VIRTIO_BLK_S_UNSUPP 2u
#define VIRTIO_BLK_ID_BYTES 20u
#define VIRTIO_BLK_SECTOR 512u
/* The data of one request, at most (the device offers size_max x seg_max = this): a
 * request moves through the hypervisor's SD driver while every guest waits. */
#define VIRTIO_BLK_SEG_BYTES (64u * 1024u)
#define VIRTIO_BLK_SEGS 16u
#define VIRTIO_BLK_REQ_MAX (VIRTIO_BLK_SEG_BYTES * VIRTIO_BLK_SEGS)

/* What serves the sectors: [0, sectors) of a disk or partition. read/write move
 * count sectors from sector lba; 0, or -1 on an I/O error. */
struct vblk_backend {
	uint64_t sectors;
	int (*read)(void *ctx, uint64_t lba, uint32_t count, void *buf);
	int (*write)(void *ctx, uint64_t lba, uint32_t count, const void *buf);
	void *ctx;
	const char *id;              /* GET_ID's answer (up to 20 bytes used) */
};

/* Serves the request in chain segs[0..n), however its bytes are split across
 * descriptors: the device-readable part (the first descriptors) holds the 16-byte header
 * and an OUT request's data, the device-writable part an IN request's data (or
 * GET_ID's) and, in its last byte, the status. Returns the bytes written into the
 * chain (data and status) for the used ring, with the status written: OK, IOERR for a
 * malformed request (no header, data in the wrong part, not whole sectors), more data
 * than VIRTIO_BLK_REQ_MAX, a range beyond b->sectors or an I/O error, UNSUPP for an
 * unknown type. -1 (nothing written) when the chain has no place for a status (no
 * device-writable byte, or a readable descriptor after a writable one). */
int64_t vblk_request(const struct vq_seg *segs, unsigned n, const struct vblk_backend *b);
/* Where vblk_request writes the status of chain segs[0..n): the last byte of its
 * device-writable part; NULL when it has none. */
uint8_t *vblk_status_place(const struct vq_seg *segs, unsigned n);

#endif
