/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target of the guest disk's pure logic (tests/unit/test_disk_host.py):
 * the input is a hostile guest's RAM. Its first 32 bytes choose the queue (size and
 * ring addresses, as disk_check fuzz reads them) and its first sector doubles as an
 * MBR; every available request is served against a 64-sector fake disk that aborts on
 * an access beyond it. ASan/UBSan catch any access outside the RAM buffer.
 */
#include <stdlib.h>

#include <mamoru/libc.h>
#include <mamoru/mbr.h>
#include <mamoru/virtq.h>

#define SECTORS 64
#define RAM_BASE 0x40000000ull
static uint8_t disk[SECTORS * 512];

static void in_range(uint64_t lba, uint32_t count)
{
	if (lba > SECTORS || count > SECTORS - lba)
		abort();
}

static int d_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
	(void)ctx;
	in_range(lba, count);
	memcpy(buf, disk + lba * 512, (size_t)count * 512);
	return 0;
}

static int d_write(void *ctx, uint64_t lba, uint32_t count, const void *buf)
{
	(void)ctx;
	in_range(lba, count);
	memcpy(disk + lba * 512, buf, (size_t)count * 512);
	return 0;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 32)
		return 0;
	/* The RAM in its own allocation: ASan guards both ends. */
	uint8_t *ram = malloc(size);
	memcpy(ram, data, size);
	if (size >= MBR_SECTOR) {
		struct mbr_part p;
		for (unsigned n = 0; n <= MBR_PARTS + 1; n++)
			if (!mbr_partition(ram, get64(data + 24) >> (data[2] % 64), n, &p) &&
			    (p.first == 0 || p.count == 0))
				abort();
	}
	struct vq_mem m = {ram, RAM_BASE, size};
	struct virtq q = {.num = 1u << (data[0] % 9), .desc = RAM_BASE + get64(data + 8) % size,
			  .avail = RAM_BASE + get64(data + 16) % size,
			  .used = RAM_BASE + get64(data + 24) % size};
	if (data[1] & 1)
		q.desc = get64(data + 8);
	static const struct vblk_backend b = {SECTORS, d_read, d_write, NULL, "fuzz"};
	struct vq_range wp = {RAM_BASE + (data[3] << 8), 4096};
	if (!virtq_check(&q, &m)) {
		struct vq_seg segs[VIRTQ_MAX];
		uint16_t head;
		unsigned n;
		int r;
		for (unsigned i = 0; i < 2 * VIRTQ_MAX && (r = virtq_next(&q, &m, &head)) != 0; i++) {
			if (r < 0 || virtq_chain(&q, &m, head, segs, VIRTQ_MAX, &n))
				break;
			if ((data[1] & 2) && vq_writes_into(&m, segs, n, &wp, 1))
				break;
			int64_t used = vblk_request(segs, n, &b);
			if (used >= 0)
				virtq_push(&q, &m, head, (uint32_t)used);
		}
	}
	free(ram);
	return 0;
}
