/* SPDX-License-Identifier: GPL-2.0-only */
/* MBR partition entries (see mamoru/mbr.h). */
#include <mamoru/mbr.h>

#define TABLE 0x1be
#define ENTRY 16

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void entry(const uint8_t *sector, unsigned i, struct mbr_part *p)
{
	const uint8_t *e = sector + TABLE + i * ENTRY;
	p->type = e[4];
	p->first = le32(e + 8);
	p->count = le32(e + 12);
}

static bool extended(uint8_t type)
{
	return type == 0x05 || type == 0x0f || type == 0x85;
}

const char *mbr_partition(const uint8_t *sector, uint64_t disk_sectors, unsigned n,
			  struct mbr_part *p)
{
	if (sector[510] != 0x55 || sector[511] != 0xaa)
		return "the disk has no MBR partition table (no 0x55aa signature)";
	if (n < 1 || n > MBR_PARTS)
		return "an MBR has primary partitions 1 to 4 only";
	entry(sector, n - 1, p);
	if (p->type == 0 || p->count == 0)
		return "the partition is unused or empty";
	if (extended(p->type))
		return "the partition is an extended partition (a container of others)";
	if (p->type == 0xee)
		return "the entry is a GPT's protective one (it covers the whole disk)";
	if (p->first == 0)
		return "the partition starts in the MBR itself";
	/* first and count are below 2^32: the sum cannot overflow 64 bits. */
	if (p->first + p->count > disk_sectors)
		return "the partition reaches beyond the end of the disk";
	for (unsigned i = 0; i < MBR_PARTS; i++) {
		struct mbr_part o;
		if (i == n - 1)
			continue;
		entry(sector, i, &o);
		if (o.type == 0 || o.count == 0)
			continue;
		/* An extended container overlaps its logical partitions, never a primary. */
		if (p->first < o.first + o.count && o.first < p->first + p->count)
			return "the partition overlaps another one";
	}
	return NULL;
}

static bool fat(uint8_t type)
{
	return type == 0x01 || type == 0x04 || type == 0x06 || type == 0x0b || type == 0x0c ||
	       type == 0x0e;
}

unsigned mbr_boot_partition(const uint8_t *sector)
{
	for (unsigned i = 0; i < MBR_PARTS; i++) {
		struct mbr_part p;
		entry(sector, i, &p);
		if (fat(p.type) && p.count)
			return i + 1;
	}
	return 0;
}
