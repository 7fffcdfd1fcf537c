/* SPDX-License-Identifier: GPL-2.0-only */
/* Turns on the ARMv5 identity map (mmu_tables.c says what it maps) with the caches and
 * the high vectors. */
#include <arch/cpu.h>
#include <mamoru/console.h>
#include "cp15.h"
#include "mmu_tables.h"

static uint32_t l1[ARM32_L1_ENTRIES] __aligned(16384);
static uint32_t l2_image[ARM32_L2_ENTRIES] __aligned(1024);
static uint32_t l2_vectors[ARM32_L2_ENTRIES] __aligned(1024);

extern char __vectors_start[];

int mmu_init(const struct mem_region *ram, size_t nram)
{
	const struct arm32_map map = {
		.ram = ram,
		.nram = nram,
		.image_start = (uint32_t)(uintptr_t)__image_start,
		.ro_end = (uint32_t)(uintptr_t)__rodata_end,
		.vectors_pa = (uint32_t)(uintptr_t)__vectors_start,
		.l2_image_pa = (uint32_t)(uintptr_t)l2_image,
		.l2_vectors_pa = (uint32_t)(uintptr_t)l2_vectors,
	};
	if (arm32_mmu_tables(&map, l1, l2_image, l2_vectors)) {
		printk("mmu: the image's MiB at 0x%08x is not all RAM\n", map.image_start & 0xfff00000u);
		return -1;
	}
	/* Caches were off until now, so no line is dirty: invalidating is enough. The
	 * table walks read memory, not the data cache, and the tables never change. */
	cp15_idcache_inval_all(0);
	cp15_drain_write_buffer(0);
	cp15_tlb_inval_all(0);
	write_dacr(1);              /* domain 0: client (the AP bits apply) */
	write_ttbr0((uint32_t)(uintptr_t)l1);
	uint32_t sctlr = read_sctlr();
	sctlr &= ~(SCTLR_R | SCTLR_A);
	sctlr |= SCTLR_M | SCTLR_C | SCTLR_I | SCTLR_S | SCTLR_V;
	write_sctlr(sctlr);
	return 0;
}
