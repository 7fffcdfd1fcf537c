/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host driver of the disk logic, run by tests/unit/test_disk_host.py:
 *   disk_check selftest       the checks below (MBR, CSD, virtqueue, virtio-blk requests)
 *   disk_check mbr FILE       FILE's first 512 bytes as an MBR of a 1 GiB disk: each
 *                             partition's "N type first count" or "N error: why"
 *   disk_check fuzz FILE      FILE's bytes as guest RAM holding a queue (size and ring
 *                             addresses from its first 32 bytes) served against a 64-sector
 *                             disk: the program must neither crash nor touch anything
 *                             outside RAM and the disk (ASan), and every request's data must
 *                             stay within the disk; prints "requests N, broken B"
 * core/lib/mbr.c, core/lib/virtq.c, drivers/mmc/sd_csd.c.
 */
#include <stdio.h>
#include <stdlib.h>

#include <mamoru/libc.h>
#include <mamoru/mbr.h>
#include <mamoru/virtq.h>

#include "hostcheck.h"
#include "../../drivers/mmc/sd_csd.h"

/* ---- MBR ---- */

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void part(uint8_t *mbr, unsigned n, uint8_t type, uint32_t first, uint32_t count)
{
	uint8_t *e = mbr + 0x1be + 16 * (n - 1);
	e[4] = type;
	put32(e + 8, first);
	put32(e + 12, count);
}

static void check_mbr(void)
{
	uint8_t m[512] = {0};
	struct mbr_part p;
	part(m, 1, 0x0c, 8192, 524288);
	part(m, 2, 0x83, 532480, 65536);
	CHECK(mbr_partition(m, 1u << 21, 1, &p) != NULL);        /* no signature */
	m[510] = 0x55;
	m[511] = 0xaa;
	CHECK_STR(mbr_partition(m, 1u << 21, 2, &p), NULL);
	CHECK_EQ(p.first, 532480);
	CHECK_EQ(p.count, 65536);
	CHECK_EQ(p.type, 0x83);
	CHECK_STR(mbr_partition(m, 1u << 21, 1, &p), NULL);
	CHECK_EQ(p.first, 8192);
	CHECK(mbr_partition(m, 1u << 21, 3, &p) != NULL);        /* unused */
	CHECK(mbr_partition(m, 1u << 21, 0, &p) != NULL);
	CHECK(mbr_partition(m, 1u << 21, 5, &p) != NULL);
	/* Ending exactly at the disk's end is fine; one sector more is not. */
	CHECK_STR(mbr_partition(m, 532480 + 65536, 2, &p), NULL);
	CHECK(mbr_partition(m, 532480 + 65535, 2, &p) != NULL);
	/* Overlapping, beyond the disk at 32-bit extremes, zero size, extended, in the MBR. */
	part(m, 3, 0x83, 532480 + 65535, 10);
	CHECK(mbr_partition(m, 1u << 21, 3, &p) != NULL);
	CHECK(mbr_partition(m, 1u << 21, 2, &p) != NULL);        /* 2 overlaps 3 now */
	part(m, 3, 0x83, 0xffffffffu, 0xffffffffu);
	CHECK(mbr_partition(m, 1ull << 40, 3, &p) == NULL);      /* 64-bit sum: fits a huge disk */
	CHECK(mbr_partition(m, 1u << 21, 3, &p) != NULL);
	part(m, 3, 0x83, 600000, 0);
	CHECK(mbr_partition(m, 1u << 21, 3, &p) != NULL);
	CHECK_STR(mbr_partition(m, 1u << 21, 2, &p), NULL);      /* an empty entry overlaps nothing */
	part(m, 3, 0x05, 600000, 100);
	CHECK(mbr_partition(m, 1u << 21, 3, &p) != NULL);
	part(m, 3, 0x0f, 600000, 100);
	CHECK(mbr_partition(m, 1u << 21, 3, &p) != NULL);
	part(m, 3, 0x83, 0, 100);
	CHECK(mbr_partition(m, 1u << 21, 3, &p) != NULL);
	/* A GPT's protective entry covers the whole disk: never a guest's partition. */
	part(m, 3, 0xee, 1, 100);
	CHECK(mbr_partition(m, 1u << 21, 3, &p) != NULL);
	part(m, 3, 0, 0, 0);
	/* The firmware's boot partition: the first FAT one (Mamoru's own files on its cards). */
	CHECK_EQ(mbr_boot_partition(m), 1);
	part(m, 1, 0x83, 8192, 524288);
	CHECK_EQ(mbr_boot_partition(m), 0);
	part(m, 4, 0x0b, 700000, 100);
	CHECK_EQ(mbr_boot_partition(m), 4);
	part(m, 2, 0x0e, 532480, 65536);
	CHECK_EQ(mbr_boot_partition(m), 2);
	part(m, 2, 0x0c, 532480, 0);                              /* empty: not a partition */
	CHECK_EQ(mbr_boot_partition(m), 4);
}

static int big_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
	(void)ctx, (void)lba, (void)buf;
	return count ? 0 : -1;
}

static int big_write(void *ctx, uint64_t lba, uint32_t count, const void *buf)
{
	(void)ctx, (void)lba, (void)buf;
	return count ? 0 : -1;
}

/* A request moves at most VIRTIO_BLK_REQ_MAX bytes, however its data is split: a guest
 * cannot hold the hypervisor in one request for longer than that takes. */
static void check_request_cap(void)
{
	static uint8_t hdr[16], data[VIRTIO_BLK_REQ_MAX + VIRTIO_BLK_SEG_BYTES], st;
	const struct vblk_backend big = {1u << 24, big_read, big_write, NULL, NULL};
	put32(hdr, VIRTIO_BLK_T_IN);
	struct vq_seg segs[VIRTIO_BLK_SEGS + 3] = {{hdr, 16, false}};
	segs[1] = (struct vq_seg){data, VIRTIO_BLK_REQ_MAX, true};
	segs[2] = (struct vq_seg){&st, 1, true};
	CHECK_EQ(vblk_request(segs, 3, &big), VIRTIO_BLK_REQ_MAX + 1);
	CHECK_EQ(st, VIRTIO_BLK_S_OK);
	segs[1].len += VIRTIO_BLK_SECTOR;
	CHECK_EQ(vblk_request(segs, 3, &big), 1);
	CHECK_EQ(st, VIRTIO_BLK_S_IOERR);
	/* One segment more than the device offers, each of size_max. */
	for (unsigned i = 0; i <= VIRTIO_BLK_SEGS; i++)
		segs[1 + i] = (struct vq_seg){data + (size_t)i * VIRTIO_BLK_SEG_BYTES / 16,
					      VIRTIO_BLK_SEG_BYTES, true};
	segs[VIRTIO_BLK_SEGS + 2] = (struct vq_seg){&st, 1, true};
	CHECK_EQ(vblk_request(segs, VIRTIO_BLK_SEGS + 3, &big), 1);
	CHECK_EQ(st, VIRTIO_BLK_S_IOERR);
	put32(hdr, VIRTIO_BLK_T_OUT);                     /* writes too */
	for (unsigned i = 0; i <= VIRTIO_BLK_SEGS; i++)
		segs[1 + i].write = false;
	CHECK_EQ(vblk_request(segs, VIRTIO_BLK_SEGS + 3, &big), 1);
	CHECK_EQ(st, VIRTIO_BLK_S_IOERR);
	segs[VIRTIO_BLK_SEGS + 1] = (struct vq_seg){&st, 1, true};     /* exactly the most */
	CHECK_EQ(vblk_request(segs, VIRTIO_BLK_SEGS + 2, &big), 1);
	CHECK_EQ(st, VIRTIO_BLK_S_OK);
}

/* ---- CSD ---- */

/* Sets CSD bits [hi:lo] of an R2 response (CSD bit n = response bit n - 8). */
static void csd_set(uint32_t r[4], unsigned hi, unsigned lo, uint32_t v)
{
	for (unsigned b = lo; b <= hi; b++, v >>= 1) {
		unsigned x = b - 8;
		r[x / 32] = (r[x / 32] & ~(1u << (x % 32))) | ((v & 1) << (x % 32));
	}
}

static void check_csd(void)
{
	uint32_t r[4] = {0};
	csd_set(r, 127, 126, 1);            /* v2: 64 MiB card: C_SIZE 127 */
	csd_set(r, 69, 48, 127);
	CHECK_EQ(sd_csd_sectors(r), 131072);
	csd_set(r, 69, 48, 0x3fffff);       /* the largest: 2 TiB */
	CHECK_EQ(sd_csd_sectors(r), 0x400000ull * 1024);
	memset(r, 0, sizeof(r));
	csd_set(r, 127, 126, 0);            /* v1: 2 GiB with 1024-byte blocks */
	csd_set(r, 83, 80, 10);
	csd_set(r, 73, 62, 4095);
	csd_set(r, 49, 47, 7);
	CHECK_EQ(sd_csd_sectors(r), 4096ull * 512 * 2);
	csd_set(r, 83, 80, 9);              /* 512-byte blocks */
	csd_set(r, 73, 62, 999);
	csd_set(r, 49, 47, 2);
	CHECK_EQ(sd_csd_sectors(r), 1000ull * 16);
	csd_set(r, 83, 80, 15);             /* an impossible block length */
	CHECK_EQ(sd_csd_sectors(r), 0);
	csd_set(r, 127, 126, 2);
	CHECK_EQ(sd_csd_sectors(r), 0);
	csd_set(r, 127, 126, 3);
	CHECK_EQ(sd_csd_sectors(r), 0);
}

/* ---- virtqueue and virtio-blk ---- */

#define DISK_SECTORS 64
static uint8_t *disk;                  /* malloc'd: ASan sees any access beyond it */
static unsigned io_calls;

static int d_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
	(void)ctx;
	io_calls++;
	if (lba > DISK_SECTORS || count > DISK_SECTORS - lba)
		abort();                   /* the request logic let a bad range through */
	memcpy(buf, disk + lba * 512, (size_t)count * 512);
	return 0;
}

static int d_write(void *ctx, uint64_t lba, uint32_t count, const void *buf)
{
	(void)ctx;
	io_calls++;
	if (lba > DISK_SECTORS || count > DISK_SECTORS - lba)
		abort();
	memcpy(disk + lba * 512, buf, (size_t)count * 512);
	return 0;
}

static const struct vblk_backend backend = {DISK_SECTORS, d_read, d_write, NULL, "mamoru-test"};

/* A guest RAM image of 64 KiB at guest-physical 0x40000000. */
#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x10000u
static uint8_t *ram;

static void desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	uint8_t *d = ram + (table - RAM_BASE) + 16 * i;
	put32(d, (uint32_t)addr);
	put32(d + 4, (uint32_t)(addr >> 32));
	put32(d + 8, len);
	d[12] = (uint8_t)flags;
	d[13] = (uint8_t)(flags >> 8);
	d[14] = (uint8_t)next;
	d[15] = (uint8_t)(next >> 8);
}

static void avail_put(uint64_t avail, unsigned num, uint16_t idx, uint16_t head)
{
	uint8_t *a = ram + (avail - RAM_BASE);
	a[4 + 2 * (idx % num)] = (uint8_t)head;
	a[5 + 2 * (idx % num)] = (uint8_t)(head >> 8);
	a[2] = (uint8_t)(idx + 1);
	a[3] = (uint8_t)((idx + 1) >> 8);
}

static void header(uint64_t at, uint32_t type, uint64_t sector)
{
	uint8_t *h = ram + (at - RAM_BASE);
	put32(h, type);
	put32(h + 4, 0);
	put32(h + 8, (uint32_t)sector);
	put32(h + 12, (uint32_t)(sector >> 32));
}

/* Serves the queue's next request: the used length (-1: broken), the status byte at
 * status. */
static int64_t serve(struct virtq *q, struct vq_mem *m, uint64_t status_at, uint8_t *status)
{
	uint16_t head;
	struct vq_seg segs[VIRTQ_MAX];
	unsigned n;
	if (virtq_next(q, m, &head) != 1 || virtq_chain(q, m, head, segs, VIRTQ_MAX, &n))
		return -1;
	int64_t len = vblk_request(segs, n, &backend);
	if (len >= 0)
		virtq_push(q, m, head, (uint32_t)len);
	*status = ram[status_at - RAM_BASE];
	return len;
}

#define T (RAM_BASE + 0x0000)          /* descriptor table (128 * 16) */
#define A (RAM_BASE + 0x1000)          /* avail */
#define U (RAM_BASE + 0x2000)          /* used */
#define H (RAM_BASE + 0x3000)          /* request header */
#define S (RAM_BASE + 0x3100)          /* status */
#define B (RAM_BASE + 0x4000)          /* data: 8 sectors */

static void check_virtq(void)
{
	struct vq_mem m = {ram, RAM_BASE, RAM_SIZE};
	struct virtq q = {.num = 8, .desc = T, .avail = A, .used = U};
	CHECK_STR(virtq_check(&q, &m), NULL);
	struct virtq bad = q;
	bad.num = 6;
	CHECK(virtq_check(&bad, &m) != NULL);
	bad.num = 256;
	CHECK(virtq_check(&bad, &m) != NULL);
	bad = q;
	bad.desc = T + 8;
	CHECK(virtq_check(&bad, &m) != NULL);
	bad = q;
	bad.used = RAM_BASE + RAM_SIZE - 8;
	CHECK(virtq_check(&bad, &m) != NULL);
	bad = q;
	bad.avail = 0xfffffffffffffff0ull;          /* wraps around */
	CHECK(virtq_check(&bad, &m) != NULL);
	CHECK(vq_at(&m, RAM_BASE + RAM_SIZE, 0) != NULL);
	CHECK(vq_at(&m, RAM_BASE + RAM_SIZE, 1) == NULL);
	CHECK(vq_at(&m, RAM_BASE + 1, 0xffffffffffffffffull) == NULL);

	uint16_t head;
	CHECK_EQ(virtq_next(&q, &m, &head), 0);     /* nothing available */

	/* A write of sector 63 (the last), then read it back. */
	uint8_t st;
	for (unsigned i = 0; i < 512; i++)
		ram[B - RAM_BASE + i] = (uint8_t)(i * 7);
	header(H, VIRTIO_BLK_T_OUT, 63);
	desc(T, 0, H, 16, 1, 1);
	desc(T, 1, B, 512, 1, 2);
	desc(T, 2, S, 1, 2, 0);
	avail_put(A, 8, 0, 0);
	CHECK_EQ(serve(&q, &m, S, &st), 1);
	CHECK_EQ(st, VIRTIO_BLK_S_OK);
	CHECK(!memcmp(disk + 63 * 512, ram + (B - RAM_BASE), 512));
	CHECK_EQ(ram[U - RAM_BASE + 2], 1);              /* used idx */
	header(H, VIRTIO_BLK_T_IN, 63);
	desc(T, 1, B + 512, 512, 3, 2);
	avail_put(A, 8, 1, 0);
	CHECK_EQ(serve(&q, &m, S, &st), 513);
	CHECK_EQ(st, VIRTIO_BLK_S_OK);
	CHECK(!memcmp(ram + (B - RAM_BASE) + 512, ram + (B - RAM_BASE), 512));
	/* Beyond the end: sector 64, and 63 with two sectors; a huge sector that would wrap. */
	unsigned before = io_calls;
	uint64_t sectors[] = {64, 0xffffffffffffffffull, 0x8000000000000000ull};
	unsigned idx = 2;
	for (size_t i = 0; i < ARRAY_SIZE(sectors); i++, idx++) {
		header(H, VIRTIO_BLK_T_IN, sectors[i]);
		avail_put(A, 8, (uint16_t)idx, 0);
		CHECK_EQ(serve(&q, &m, S, &st), 1);
		CHECK_EQ(st, VIRTIO_BLK_S_IOERR);
	}
	header(H, VIRTIO_BLK_T_OUT, 63);
	desc(T, 1, B, 1024, 1, 2);
	avail_put(A, 8, (uint16_t)idx++, 0);
	CHECK_EQ(serve(&q, &m, S, &st), 1);
	CHECK_EQ(st, VIRTIO_BLK_S_IOERR);
	/* A data length that is not whole sectors; the wrong direction. */
	header(H, VIRTIO_BLK_T_OUT, 0);
	desc(T, 1, B, 500, 1, 2);
	avail_put(A, 8, (uint16_t)idx++, 0);
	CHECK_EQ(serve(&q, &m, S, &st), 1);
	CHECK_EQ(st, VIRTIO_BLK_S_IOERR);
	header(H, VIRTIO_BLK_T_IN, 0);
	desc(T, 1, B, 512, 1, 2);                        /* device-readable buffer for IN */
	avail_put(A, 8, (uint16_t)idx++, 0);
	CHECK_EQ(serve(&q, &m, S, &st), 1);
	CHECK_EQ(st, VIRTIO_BLK_S_IOERR);
	CHECK_EQ(io_calls, before);                      /* none of them reached the disk */
	/* GET_ID, FLUSH, an unknown type. */
	header(H, VIRTIO_BLK_T_GET_ID, 0);
	desc(T, 1, B, 20, 3, 2);
	avail_put(A, 8, (uint16_t)idx++, 0);
	CHECK_EQ(serve(&q, &m, S, &st), 21);
	CHECK_EQ(st, VIRTIO_BLK_S_OK);
	CHECK(!memcmp(ram + (B - RAM_BASE), "mamoru-test\0\0\0\0\0\0\0\0", 20));
	header(H, VIRTIO_BLK_T_FLUSH, 0);
	desc(T, 0, H, 16, 1, 2);
	avail_put(A, 8, (uint16_t)idx++, 0);
	CHECK_EQ(serve(&q, &m, S, &st), 1);
	CHECK_EQ(st, VIRTIO_BLK_S_OK);
	header(H, 77, 0);
	avail_put(A, 8, (uint16_t)idx++, 0);
	CHECK_EQ(serve(&q, &m, S, &st), 1);
	CHECK_EQ(st, VIRTIO_BLK_S_UNSUPP);
	/* Broken chains: a loop, a descriptor outside RAM, an indirect one, readable after
	 * writable, a head out of range, the avail index too far ahead. */
	struct vq_seg segs[VIRTQ_MAX];
	unsigned n;
	desc(T, 0, H, 16, 1, 1);
	desc(T, 1, B, 512, 1, 0);                        /* 1 -> 0 -> 1 ... */
	CHECK_EQ(virtq_chain(&q, &m, 0, segs, VIRTQ_MAX, &n), -1);
	CHECK(n <= q.num);
	desc(T, 1, RAM_BASE + RAM_SIZE - 100, 512, 1, 2);
	desc(T, 2, S, 1, 2, 0);
	CHECK_EQ(virtq_chain(&q, &m, 0, segs, VIRTQ_MAX, &n), -1);
	desc(T, 1, 0xfffffffffffffe00ull, 0x400, 1, 2);
	CHECK_EQ(virtq_chain(&q, &m, 0, segs, VIRTQ_MAX, &n), -1);
	desc(T, 1, B, 512, 4 | 1, 2);
	CHECK_EQ(virtq_chain(&q, &m, 0, segs, VIRTQ_MAX, &n), -1);
	desc(T, 0, S, 1, 2 | 1, 1);
	desc(T, 1, B, 512, 1, 2);
	CHECK_EQ(virtq_chain(&q, &m, 0, segs, VIRTQ_MAX, &n), -1);
	desc(T, 0, H, 16, 1, 9);                         /* next beyond the queue */
	CHECK_EQ(virtq_chain(&q, &m, 0, segs, VIRTQ_MAX, &n), -1);
	CHECK_EQ(virtq_chain(&q, &m, 8, segs, VIRTQ_MAX, &n), -1);
	desc(T, 0, H, 16, 1, 1);
	desc(T, 1, B, 512, 3, 2);
	desc(T, 2, S, 1, 2, 0);
	CHECK_EQ(virtq_chain(&q, &m, 0, segs, 2, &n), -1);   /* longer than the caller's room */
	CHECK_EQ(virtq_chain(&q, &m, 0, segs, VIRTQ_MAX, &n), 0);
	CHECK_EQ(n, 3);
	/* No status place: nothing written. */
	CHECK_EQ(vblk_request(segs, 1, &backend), -1);
	CHECK_EQ(vblk_request(segs, 0, &backend), -1);
	/* Write-protected memory (the IDS's ranges): a device-writable descriptor touching one
	 * is found, a readable one is not; edges exact; no wrap-around. */
	struct vq_range wp[2] = {{B + 512, 4096}, {0xfffffffffffff000ull, 0x1000}};
	CHECK(!vq_writes_into(&m, segs, 3, wp, 2));           /* B..B+511, status */
	desc(T, 1, B + 256, 512, 3, 2);
	CHECK_EQ(virtq_chain(&q, &m, 0, segs, VIRTQ_MAX, &n), 0);
	CHECK(vq_writes_into(&m, segs, 3, wp, 2));            /* B+256..B+767 */
	desc(T, 1, B + 256, 512, 1, 2);
	CHECK_EQ(virtq_chain(&q, &m, 0, segs, VIRTQ_MAX, &n), 0);
	CHECK(!vq_writes_into(&m, segs, 3, wp, 2));           /* readable: the device reads it */
	CHECK(!vq_writes_into(&m, segs, 3, wp, 0));
	CHECK(vq_overlaps(B + 512 + 4095, 1, wp, 2));
	CHECK(!vq_overlaps(B + 512 + 4096, 100, wp, 2));
	CHECK(!vq_overlaps(B, 512, wp, 2));
	CHECK(vq_overlaps(B, 513, wp, 2));
	CHECK(!vq_overlaps(B, 0, wp, 2));
	CHECK(vq_overlaps(0xffffffffffffffffull, 1, wp, 2));
	CHECK(!vq_overlaps(0, 0x1000, wp, 2));
	avail_put(A, 8, (uint16_t)(q.last_avail + 8), 9);   /* 9 entries pending on a queue of 8 */
	CHECK_EQ(virtq_next(&q, &m, &head), -1);
	avail_put(A, 8, q.last_avail, 9);                   /* head 9 on a queue of 8 */
	CHECK_EQ(virtq_next(&q, &m, &head), -1);
}

/* Requests split across descriptors in other ways than Linux's (header | data... |
 * status): the bytes decide, not the descriptors (VIRTIO 1.x, "Message Framing"). */
static void check_framing(void)
{
	static uint8_t buf[4096], back[1024];
	uint8_t hdr[16] = {0}, st = 0xff;
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 13 + 5);
	/* OUT of sectors 10-11: the header and the first 300 bytes in one descriptor, the
	 * rest in two more (a sector split 300 | 212, the next 512 | 0 | ...). */
	uint8_t *one = buf + 2048;
	put32(one, VIRTIO_BLK_T_OUT);
	memset(one + 4, 0, 4);
	put32(one + 8, 10);
	memset(one + 12, 0, 4);
	memcpy(back, buf, 1024);                         /* the data, for comparing */
	memcpy(one + 16, back, 300);
	struct vq_seg segs[6] = {
		{one, 16 + 300, false}, {back + 300, 200, false}, {back + 500, 0, false},
		{back + 500, 524, false}, {&st, 1, true},
	};
	CHECK_EQ(vblk_request(segs, 5, &backend), 1);
	CHECK_EQ(st, VIRTIO_BLK_S_OK);
	CHECK(!memcmp(disk + 10 * 512, back, 1024));
	/* IN of the same two sectors into 100 | 700 | 224+status bytes, the header split 8 | 8
	 * and the status sharing the last data descriptor. */
	static uint8_t in[1025];
	memset(in, 0, sizeof(in));
	put32(hdr, VIRTIO_BLK_T_IN);
	put32(hdr + 8, 10);
	segs[0] = (struct vq_seg){hdr, 8, false};
	segs[1] = (struct vq_seg){hdr + 8, 8, false};
	segs[2] = (struct vq_seg){in, 100, true};
	segs[3] = (struct vq_seg){in + 100, 700, true};
	segs[4] = (struct vq_seg){in + 800, 225, true};
	in[1024] = 0xff;
	CHECK_EQ(vblk_request(segs, 5, &backend), 1024 + 1);
	CHECK_EQ(in[1024], VIRTIO_BLK_S_OK);
	CHECK(!memcmp(in, back, 1024));
	CHECK_EQ(*vblk_status_place(segs, 5), VIRTIO_BLK_S_OK);
	/* An empty writable descriptor last: the status goes in the one before. */
	segs[5] = (struct vq_seg){in, 0, true};
	in[1024] = 0xff;
	CHECK_EQ(vblk_request(segs, 6, &backend), 1024 + 1);
	CHECK_EQ(in[1024], VIRTIO_BLK_S_OK);
	/* Data in the wrong part: IN with readable data, OUT with writable data. */
	uint8_t hdr_in[16 + 512] = {0};
	put32(hdr_in, VIRTIO_BLK_T_IN);
	segs[0] = (struct vq_seg){hdr_in, 16 + 512, false};
	segs[1] = (struct vq_seg){&st, 1, true};
	CHECK_EQ(vblk_request(segs, 2, &backend), 1);
	CHECK_EQ(st, VIRTIO_BLK_S_IOERR);
	put32(hdr, VIRTIO_BLK_T_OUT);
	segs[0] = (struct vq_seg){hdr, 16, false};
	segs[1] = (struct vq_seg){in, 513, true};
	CHECK_EQ(vblk_request(segs, 2, &backend), 1);
	CHECK_EQ(in[512], VIRTIO_BLK_S_IOERR);
	/* Not whole sectors; a header cut short; a readable descriptor after a writable one
	 * (no status place, nothing written). */
	put32(hdr, VIRTIO_BLK_T_IN);
	segs[1] = (struct vq_seg){in, 300, true};
	CHECK_EQ(vblk_request(segs, 2, &backend), 1);
	CHECK_EQ(in[299], VIRTIO_BLK_S_IOERR);
	segs[0] = (struct vq_seg){hdr, 15, false};
	segs[1] = (struct vq_seg){&st, 1, true};
	CHECK_EQ(vblk_request(segs, 2, &backend), 1);
	CHECK_EQ(st, VIRTIO_BLK_S_IOERR);
	segs[0] = (struct vq_seg){hdr, 16, false};
	segs[1] = (struct vq_seg){&st, 1, true};
	segs[2] = (struct vq_seg){back, 512, false};
	st = 0x77;
	CHECK_EQ(vblk_request(segs, 3, &backend), -1);
	CHECK_EQ(st, 0x77);
	CHECK(vblk_status_place(segs, 3) == NULL);
	/* GET_ID into 8 + 12 bytes, the status alone. */
	uint8_t id[21];
	memset(id, 0xee, sizeof(id));
	put32(hdr, VIRTIO_BLK_T_GET_ID);
	segs[1] = (struct vq_seg){id, 8, true};
	segs[2] = (struct vq_seg){id + 8, 12, true};
	segs[3] = (struct vq_seg){&st, 1, true};
	CHECK_EQ(vblk_request(segs, 4, &backend), 20 + 1);
	CHECK_EQ(st, VIRTIO_BLK_S_OK);
	CHECK(!memcmp(id, "mamoru-test\0\0\0\0\0\0\0\0\0", 20));
}

/* ---- fuzz: a hostile guest's RAM ---- */

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int fuzz(const char *path)
{
	static uint8_t buf[RAM_SIZE];
	FILE *f = fopen(path, "rb");
	if (!f)
		return 2;
	size_t len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (len < 32)
		return 2;
	/* RAM exactly the file's size, in its own allocation (ASan guards its ends). */
	uint8_t *mem = malloc(len);
	memcpy(mem, buf, len);
	struct vq_mem m = {mem, RAM_BASE, len};
	struct virtq q = {.num = 1u << (buf[0] % 9), .desc = RAM_BASE + (get64(buf + 8) % len),
			  .avail = RAM_BASE + (get64(buf + 16) % len),
			  .used = RAM_BASE + (get64(buf + 24) % len)};
	if (buf[1] & 1)
		q.desc = get64(buf + 8);                 /* anywhere at all */
	unsigned requests = 0, broken = 0;
	if (!virtq_check(&q, &m)) {
		uint16_t head;
		struct vq_seg segs[VIRTQ_MAX];
		unsigned n;
		int r;
		for (unsigned i = 0; i < 2 * VIRTQ_MAX && (r = virtq_next(&q, &m, &head)) != 0; i++) {
			if (r < 0 || virtq_chain(&q, &m, head, segs, VIRTQ_MAX, &n)) {
				broken++;
				break;
			}
			int64_t used = vblk_request(segs, n, &backend);
			if (used >= 0)
				virtq_push(&q, &m, head, (uint32_t)used);
			requests++;
		}
	}
	printf("requests %u, broken %u\n", requests, broken);
	free(mem);
	return 0;
}

static int mbr_file(const char *path)
{
	uint8_t m[512] = {0};
	FILE *f = fopen(path, "rb");
	if (!f)
		return 2;
	size_t got = fread(m, 1, sizeof(m), f);
	fclose(f);
	(void)got;
	for (unsigned n = 1; n <= 4; n++) {
		struct mbr_part p;
		const char *why = mbr_partition(m, 1u << 21, n, &p);
		if (why)
			printf("%u error: %s\n", n, why);
		else
			printf("%u 0x%02x %llu %llu\n", n, p.type, (unsigned long long)p.first,
			       (unsigned long long)p.count);
	}
	return 0;
}

int main(int argc, char **argv)
{
	disk = calloc(DISK_SECTORS, 512);
	ram = calloc(1, RAM_SIZE);
	int rc = 2;
	if (argc == 2 && !strcmp(argv[1], "selftest")) {
		check_mbr();
		check_request_cap();
		check_framing();
		check_csd();
		check_virtq();
		rc = check_summary("disk selftest");
	} else if (argc == 3 && !strcmp(argv[1], "fuzz")) {
		rc = fuzz(argv[2]);
	} else if (argc == 3 && !strcmp(argv[1], "mbr")) {
		rc = mbr_file(argv[2]);
	} else {
		fprintf(stderr, "usage: disk_check selftest | fuzz FILE | mbr FILE\n");
	}
	free(disk);
	free(ram);
	return rc;
}
