/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Stage-2 descriptor tables as plain data (4 KiB granule, levels 1 to 3):
 * building them, looking an IPA up, and changing the write permission of a
 * range, splitting 1 GiB / 2 MiB blocks into tables where a range covers only
 * part of one. No system registers here: whatever touches the TLBs or the
 * allocator comes through the caller's ops, so the same code runs in the
 * hypervisor (arch/arm/stage2.c) and in a host test (tests/vmi/host/s2pt_test.c).
 *
 * Tables are addressed by their physical address, which must also be where
 * the caller can access them (the hypervisor's identity map; plain host
 * memory below 2^48 in the host test).
 */
#ifndef ARCH_STAGE2_PT_H
#define ARCH_STAGE2_PT_H

#include <mamoru/types.h>

#define S2PT_ENTRIES 512
#define S2PT_PAGE 4096ull
#define S2_VALID (1ull << 0)
#define S2_TABLE (1ull << 1)             /* at levels 1-2: table; at level 3: page */
#define S2_MEMATTR_NORMAL (0xfull << 2)  /* outer/inner write-back */
#define S2_MEMATTR_DEVICE (0x1ull << 2)  /* Device-nGnRE */
#define S2_AP_MASK (3ull << 6)
#define S2_AP_RO (1ull << 6)             /* S2AP 0b01: read-only */
#define S2_AP_RW (3ull << 6)             /* S2AP 0b11: read/write */
#define S2_SH_INNER (3ull << 8)
#define S2_AF (1ull << 10)
#define S2_XN (2ull << 53)               /* XN[1:0] = 0b10: not executable at EL1 or EL0 */
#define S2_ADDR 0x0000fffffffff000ull
#define S2PT_FIRST_LEVEL 1               /* VTCR_EL2.SL0 = 1 with a 39-bit IPA */

struct s2pt_ops {
	/* A zeroed, 4 KiB aligned page for a new table, or NULL. */
	uint64_t *(*alloc_table)(void *ctx);
	/* Called right after a valid entry covering [ipa, ipa + size) was
	 * replaced by an invalid one (break-before-make): must make that
	 * visible to the table walkers and drop every TLB entry derived from
	 * it (DSB, TLBI, DSB) before the new entry is written. */
	void (*invalidate)(void *ctx, uint64_t ipa, uint64_t size);
	void *ctx;
};

/* Entry span at a level: 1 GiB at level 1, 2 MiB at 2, 4 KiB at 3. */
uint64_t s2pt_span(int level);

/* Maps [ipa, ipa + size) to pa with the leaf attributes attrs (S2_AF, S2_AP_*,
 * memory type...), with blocks wherever alignment allows (2 MiB at most).
 * Fails (-1) on an unaligned argument, when the allocator runs dry, or when
 * an entry on the way is already a valid block. */
int s2pt_map(uint64_t *root, uint64_t ipa, uint64_t pa, uint64_t size, uint64_t attrs,
	     const struct s2pt_ops *ops);

/* The output address for ipa and its leaf descriptor (desc and level may
 * be NULL); -1 when ipa is not mapped. */
int s2pt_lookup(const uint64_t *root, uint64_t ipa, uint64_t *pa, uint64_t *desc, int *level);

/* Makes every page of [ipa, ipa + size) (4 KiB aligned, all of it mapped)
 * writable or read-only for the guest. A block that the range covers only
 * in part is first split into a table of smaller entries with the same
 * output addresses and attributes, with break-before-make (ops->invalidate).
 * Blocks stay split after the range is made writable again. *changed (if
 * not NULL) counts the leaf entries whose permission changed; *split the
 * blocks split. The caller invalidates the TLBs for the permission change
 * itself (one invalidation after the whole range). Returns -1 with nothing
 * changed on a bad argument or an unmapped page; -1 part-way only when a
 * table cannot be allocated. */
int s2pt_set_write(uint64_t *root, uint64_t ipa, uint64_t size, bool writable,
		   const struct s2pt_ops *ops, unsigned *changed, unsigned *split);

#endif
