/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The MBR partition table of a disk (its first sector): which sectors primary
 * partition N (1-4) covers. Pure logic, host-tested (tests/host/disk_check.c)
 * with hostile tables: the sector comes from a card anyone could have written.
 */
#ifndef MAMORU_MBR_H
#define MAMORU_MBR_H

#include <mamoru/types.h>

#define MBR_SECTOR 512u
#define MBR_PARTS 4u

struct mbr_part {
	uint8_t type;            /* the partition type byte (0x0c FAT32 LBA, 0x83 Linux) */
	uint64_t first, count;   /* in 512-byte sectors */
};

/*
 * Partition n (1-4) of the MBR in sector (512 bytes) of a disk of disk_sectors
 * sectors: NULL and *p filled in, or why it cannot be used (a sentence fragment):
 * no 0x55aa signature, n out of range, an empty or unused entry, an extended
 * partition (a container, not a file system), a GPT's protective entry (0xee), a
 * partition that starts in the MBR itself or reaches beyond the disk, or one that
 * overlaps another used entry.
 */
const char *mbr_partition(const uint8_t *sector, uint64_t disk_sectors, unsigned n,
			  struct mbr_part *p);

/* The partition a Raspberry Pi's firmware boots from, the first (non-empty) FAT one of
 * the table: 1-4, or 0 when there is none. On Mamoru's cards it holds the hypervisor's
 * own files, so no guest may have it. */
unsigned mbr_boot_partition(const uint8_t *sector);

#endif
