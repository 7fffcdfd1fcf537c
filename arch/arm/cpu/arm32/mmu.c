/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ARMv5 identity map (short descriptors, domain 0 as a client):
 *  - RAM: 1 MiB sections, write-back cached, privileged read/write;
 *  - the MiB holding the image: a coarse table of 4 KiB pages, so that its
 *    text and read-only data are read-only (SCTLR.S with AP 00) and page 0 is
 *    not mapped at all (NULL dereferences abort). ARMv5 has no execute-never:
 *    W^X here means the code cannot be written, not that data cannot run;
 *  - everything else below 0xe0000000: device sections (uncached,
 *    unbuffered), which covers the Versatile's I/O at 0x10000000-0x1fffffff;
 *  - 0xe0000000 and up: unmapped, but for the exception vector page at
 *    0xffff0000 (SCTLR.V: high vectors).
 */
#include <arch/cpu.h>
#include <mamoru/console.h>
#include <mamoru/libc.h>
#include "cp15.h"

#define SECTION_SHIFT 20
#define SECTION_SIZE (1u << SECTION_SHIFT)
#define NSECTIONS 4096u
#define PAGE_SHIFT_4K 12

#define L1_SECTION 0x2u
#define L1_COARSE 0x1u
#define L1_BIT4 (1u << 4)          /* "should be one" on the ARM926EJ-S */
#define DESC_B (1u << 2)           /* bufferable */
#define DESC_C (1u << 3)           /* cacheable: C and B = write-back */
#define SECTION_AP(ap) ((uint32_t)(ap) << 10)
#define L2_SMALL 0x2u
#define SMALL_AP(ap) (((uint32_t)(ap) * 0x55u) << 4)   /* the same AP for all four subpages */

#define AP_RO 0u       /* privileged read-only with SCTLR.S=1, R=0 */
#define AP_RW 1u       /* privileged read/write, no user access */

#define DEVICE_LIMIT 0xe0000000u
#define HIGH_VECTORS 0xffff0000u

static uint32_t l1[NSECTIONS] __attribute__((aligned(16384)));
static uint32_t l2_image[256] __attribute__((aligned(1024)));
static uint32_t l2_vectors[256] __attribute__((aligned(1024)));

extern char __vectors_start[];

static uint32_t section(uint32_t base, bool normal)
{
	return base | L1_SECTION | L1_BIT4 | SECTION_AP(AP_RW) | (normal ? DESC_C | DESC_B : 0);
}

static uint32_t small_page(uint32_t base, unsigned ap)
{
	return base | L2_SMALL | DESC_C | DESC_B | SMALL_AP(ap);
}

static bool section_in_ram(uint32_t base, const struct mem_region *ram, size_t nram)
{
	for (size_t i = 0; i < nram; i++)
		if (base >= ram[i].base && (uint64_t)base + SECTION_SIZE <= ram[i].base + ram[i].size)
			return true;
	return false;
}

int mmu_init(const struct mem_region *ram, size_t nram)
{
	uint32_t image = (uint32_t)(uintptr_t)__image_start;
	uint32_t image_section = image & ~(SECTION_SIZE - 1);
	if (!section_in_ram(image_section, ram, nram)) {
		printk("mmu: the image's MiB at 0x%08x is not all RAM\n", image_section);
		return -1;
	}
	for (uint32_t i = 0; i < NSECTIONS; i++) {
		uint32_t base = i << SECTION_SHIFT;
		if (section_in_ram(base, ram, nram))
			l1[i] = section(base, true);
		else
			l1[i] = base < DEVICE_LIMIT ? section(base, false) : 0;
	}

	for (uint32_t p = 0; p < 256; p++) {
		uint32_t a = image_section + (p << PAGE_SHIFT_4K);
		bool ro = a >= image && a < (uint32_t)(uintptr_t)__rodata_end;
		l2_image[p] = a == 0 ? 0 : small_page(a, ro ? AP_RO : AP_RW);
	}
	l1[image_section >> SECTION_SHIFT] = (uint32_t)(uintptr_t)l2_image | L1_COARSE | L1_BIT4;

	l2_vectors[(HIGH_VECTORS >> PAGE_SHIFT_4K) & 0xffu] =
		small_page((uint32_t)(uintptr_t)__vectors_start, AP_RO);
	l1[HIGH_VECTORS >> SECTION_SHIFT] = (uint32_t)(uintptr_t)l2_vectors | L1_COARSE | L1_BIT4;

	/* Caches were off until now, so no line is dirty: invalidating is enough. */
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
