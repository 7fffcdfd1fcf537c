/* SPDX-License-Identifier: GPL-2.0-only */
/* The ARMv5 identity map's tables, computed from the memory map (pure: built for the host
 * too, tests/arch/host). mmu.c describes the map and turns it on. */
#ifndef ARM32_MMU_TABLES_H
#define ARM32_MMU_TABLES_H

#include <mamoru/regions.h>

#define ARM32_L1_ENTRIES 4096u
#define ARM32_L2_ENTRIES 256u

#define ARM32_DEVICE_LIMIT 0xe0000000u   /* device sections below, nothing mapped above */
#define ARM32_HIGH_VECTORS 0xffff0000u

struct arm32_map {
	const struct mem_region *ram;
	size_t nram;
	uint32_t image_start;        /* the image: its read-only part is [image_start, ro_end) */
	uint32_t ro_end;
	uint32_t vectors_pa;         /* the vector page, mapped again at ARM32_HIGH_VECTORS */
	uint32_t l2_image_pa;        /* where the two coarse tables are (1 KiB aligned) */
	uint32_t l2_vectors_pa;
};

/* Fills the level 1 table and the coarse tables for the image's MiB and the vector
 * page's; -1 when the image's MiB is not all RAM or an address is misaligned. */
int arm32_mmu_tables(const struct arm32_map *m, uint32_t l1[ARM32_L1_ENTRIES],
		     uint32_t l2_image[ARM32_L2_ENTRIES], uint32_t l2_vectors[ARM32_L2_ENTRIES]);

#endif
