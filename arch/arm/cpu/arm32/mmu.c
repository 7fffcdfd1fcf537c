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

#ifdef CONFIG_GUESTS
#include "guest_trap.h"

/* The world switch's page at ARM32_GUEST_WINDOW, privileged read/write (guest_trap.h). */
static uint32_t l2_window[ARM32_L2_ENTRIES] __aligned(1024);

static void map_guest_window(void)
{
	l2_window[0] = (uint32_t)(uintptr_t)arm32_trap_page | 0x2u /* small page */ |
		       0xcu /* C, B */ | (0x55u << 4) /* AP 01 in all four subpages */;
	l1[ARM32_GUEST_WINDOW >> 20] = (uint32_t)(uintptr_t)l2_window | 0x1u /* coarse */ |
				       (1u << 4) /* should be one */;
}

uint32_t *arm32_hyp_l1(void)
{
	return l1;
}
#else
static void map_guest_window(void) {}
#endif

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
	map_guest_window();
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
