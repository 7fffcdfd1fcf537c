/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ARMv5 identity map (short descriptors, ARMv5 ARM "Virtual Memory System
 * Architecture"; every entry in domain 0):
 *  - RAM: 1 MiB sections, write-back cached, privileged read/write;
 *  - the MiB holding the image: a coarse table of 4 KiB pages, so that its text and
 *    read-only data are read-only (AP 00 with SCTLR.S) and page 0 is not mapped
 *    (NULL dereferences abort). ARMv5 has no execute-never: W^X here means the code
 *    cannot be written, not that data cannot run;
 *  - everything else below ARM32_DEVICE_LIMIT: device sections (uncached,
 *    unbuffered), which covers the Versatile's I/O at 0x10000000-0x1fffffff;
 *  - ARM32_DEVICE_LIMIT and up: unmapped, but for the vector page at 0xffff0000.
 */
#include "mmu_tables.h"

#define SECTION_SHIFT 20
#define SECTION_SIZE (1u << SECTION_SHIFT)
#define SMALL_SHIFT 12

#define L1_SECTION 0x2u
#define L1_COARSE 0x1u
#define L1_BIT4 (1u << 4)          /* "should be one" on the ARM926EJ-S */
#define DESC_B (1u << 2)           /* bufferable */
#define DESC_C (1u << 3)           /* cacheable: C and B = write-back */
#define SECTION_AP(ap) ((uint32_t)(ap) << 10)
#define L2_SMALL 0x2u
#define SMALL_AP(ap) ((uint32_t)(ap) * 0x55u << 4)   /* the same AP for all four subpages */

#define AP_RO 0u       /* privileged read-only with SCTLR.S=1, R=0 */
#define AP_RW 1u       /* privileged read/write, no user access */

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

int arm32_mmu_tables(const struct arm32_map *m, uint32_t l1[ARM32_L1_ENTRIES],
		     uint32_t l2_image[ARM32_L2_ENTRIES], uint32_t l2_vectors[ARM32_L2_ENTRIES])
{
	uint32_t image_section = m->image_start & ~(SECTION_SIZE - 1);
	if (!section_in_ram(image_section, m->ram, m->nram) || m->ro_end < m->image_start ||
	    (m->vectors_pa | m->image_start | m->ro_end) & ((1u << SMALL_SHIFT) - 1) ||
	    (m->l2_image_pa | m->l2_vectors_pa) & 0x3ffu)
		return -1;
	for (uint32_t i = 0; i < ARM32_L1_ENTRIES; i++) {
		uint32_t base = i << SECTION_SHIFT;
		if (section_in_ram(base, m->ram, m->nram))
			l1[i] = section(base, true);
		else
			l1[i] = base < ARM32_DEVICE_LIMIT ? section(base, false) : 0;
	}

	for (uint32_t p = 0; p < ARM32_L2_ENTRIES; p++) {
		uint32_t a = image_section + (p << SMALL_SHIFT);
		bool ro = a >= m->image_start && a < m->ro_end;
		l2_image[p] = a == 0 ? 0 : small_page(a, ro ? AP_RO : AP_RW);
	}
	l1[image_section >> SECTION_SHIFT] = m->l2_image_pa | L1_COARSE | L1_BIT4;

	for (uint32_t p = 0; p < ARM32_L2_ENTRIES; p++)
		l2_vectors[p] = 0;
	l2_vectors[(ARM32_HIGH_VECTORS >> SMALL_SHIFT) & 0xffu] = small_page(m->vectors_pa, AP_RO);
	l1[ARM32_HIGH_VECTORS >> SECTION_SHIFT] = m->l2_vectors_pa | L1_COARSE | L1_BIT4;
	return 0;
}
