/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * EL2 stage-1 translation: an identity map with 4 KiB granule and a 39-bit
 * address space (three levels, starting at level 1). The low 4 GiB are
 * device memory (the peripherals of every supported board live there), RAM
 * regions from the device tree are normal write-back memory, and the image
 * itself gets W^X permissions: text read-only executable, rodata read-only,
 * data and bss read-write never-executable.
 */
#include <arch/cpu.h>
#include <arch/sysreg.h>
#include <arch/sysreg_bits.h>
#include <mamoru/console.h>
#include <mamoru/libc.h>

#define VA_BITS 39
#define TABLE_ENTRIES 512
#define POOL_PAGES 32

#define DESC_VALID (1ull << 0)
#define DESC_TABLE (1ull << 1)    /* table at levels 1-2, page at level 3 */
#define DESC_ATTR(i) ((uint64_t)(i) << 2)
#define DESC_AP_RO (1ull << 7)    /* AP[2] */
#define DESC_AP_RES1 (1ull << 6)  /* AP[1]: RES1 in a single-privilege regime */
#define DESC_SH_INNER (3ull << 8)
#define DESC_AF (1ull << 10)
#define DESC_XN (1ull << 54)
#define DESC_ADDR_MASK 0x0000fffffffff000ull
#define DESC_ATTR_MASK (DESC_ADDR_MASK | 3ull) /* inverted: what is not attributes */

#define MAIR_NORMAL 0      /* attribute indexes into MAIR_EL2 */
#define MAIR_DEVICE 1

#define PROT_DEVICE (DESC_ATTR(MAIR_DEVICE) | DESC_AF | DESC_XN | DESC_AP_RES1)
#define PROT_RAM (DESC_ATTR(MAIR_NORMAL) | DESC_AF | DESC_SH_INNER | DESC_XN | DESC_AP_RES1)
#define PROT_TEXT (DESC_ATTR(MAIR_NORMAL) | DESC_AF | DESC_SH_INNER | DESC_AP_RO | DESC_AP_RES1)
#define PROT_RODATA (PROT_RAM | DESC_AP_RO)

static uint64_t table_pool[POOL_PAGES][TABLE_ENTRIES] __aligned(4096);
static unsigned pool_used;
static uint64_t *root;

static uint64_t *table_alloc(void)
{
	if (pool_used >= POOL_PAGES)
		return NULL;
	uint64_t *t = table_pool[pool_used++];
	memset(t, 0, sizeof(table_pool[0]));
	return t;
}

static unsigned level_shift(int level)
{
	return 12 + 9 * (unsigned)(3 - level);
}

/* Maps [va, va+size) to pa with prot, using the largest blocks that fit and
 * splitting existing blocks into tables where a finer mapping is needed. */
static int map_range(uint64_t *table, int level, uint64_t va, uint64_t pa, uint64_t size, uint64_t prot)
{
	uint64_t block = 1ull << level_shift(level);

	while (size) {
		unsigned idx = (unsigned)(va >> level_shift(level)) & (TABLE_ENTRIES - 1);
		uint64_t chunk = block - (va & (block - 1));
		if (chunk > size)
			chunk = size;
		uint64_t *e = &table[idx];

		if (level == 3) {
			*e = (pa & DESC_ADDR_MASK) | prot | DESC_VALID | DESC_TABLE;
		} else if (chunk == block && (pa & (block - 1)) == 0 && level >= 1) {
			*e = (pa & DESC_ADDR_MASK) | prot | DESC_VALID; /* block */
		} else {
			uint64_t *next;
			if ((*e & (DESC_VALID | DESC_TABLE)) == (DESC_VALID | DESC_TABLE)) {
				next = (uint64_t *)(uintptr_t)(*e & DESC_ADDR_MASK);
			} else {
				next = table_alloc();
				if (!next)
					return -1;
				if (*e & DESC_VALID) {
					/* Split the existing block, keeping its attributes. */
					uint64_t old_pa = *e & DESC_ADDR_MASK & ~(block - 1);
					uint64_t old_prot = *e & ~DESC_ATTR_MASK;
					uint64_t sub = block >> 9;
					uint64_t type = (level + 1 == 3) ? DESC_TABLE : 0;
					for (unsigned i = 0; i < TABLE_ENTRIES; i++)
						next[i] = (old_pa + i * sub) | old_prot | DESC_VALID | type;
				}
				*e = (uint64_t)(uintptr_t)next | DESC_VALID | DESC_TABLE;
			}
			if (map_range(next, level + 1, va, pa, chunk, prot))
				return -1;
		}
		va += chunk;
		pa += chunk;
		size -= chunk;
	}
	return 0;
}

static int map(uint64_t base, uint64_t size, uint64_t prot)
{
	uint64_t start = ALIGN_DOWN(base, 4096ull), end = ALIGN_UP(base + size, 4096ull);
	if (end > (1ull << VA_BITS) || end <= start)
		return -1;
	return map_range(root, 1, start, start, end - start, prot);
}

int mmu_init(const struct mem_region *ram, size_t nram)
{
	uintptr_t img = (uintptr_t)__image_start;

	pool_used = 0;
	root = table_alloc();
	if (map(0, 1ull << 32, PROT_DEVICE))
		return -1;
	for (size_t i = 0; i < nram; i++)
		if (map(ram[i].base, ram[i].size, PROT_RAM))
			return -1;
	if (map(img, (uintptr_t)__text_end - img, PROT_TEXT) ||
	    map((uintptr_t)__text_end, (uintptr_t)__rodata_end - (uintptr_t)__text_end, PROT_RODATA) ||
	    map((uintptr_t)__rodata_end, (uintptr_t)__image_end - (uintptr_t)__rodata_end, PROT_RAM))
		return -1;

	uint64_t parange = read_sysreg(id_aa64mmfr0_el1) & 0xf;
	if (parange > 5)
		parange = 5;
	uint64_t tcr = TCR_EL2_T0SZ(VA_BITS) | TCR_EL2_IRGN0_WBWA | TCR_EL2_ORGN0_WBWA |
		       TCR_EL2_SH0_INNER | TCR_EL2_PS(parange) | TCR_EL2_RES1;
	write_sysreg(mair_el2, (MAIR_ATTR_NORMAL_WB << (8 * MAIR_NORMAL)) |
			       (MAIR_ATTR_DEVICE_nGnRE << (8 * MAIR_DEVICE)));
	write_sysreg(tcr_el2, tcr);
	write_sysreg(ttbr0_el2, (uintptr_t)root);
	dsb_sy();
	isb();
	__asm__ volatile("tlbi alle2\n\tdsb sy\n\tic iallu\n\tdsb sy\n\tisb" ::: "memory");

	write_sysreg(sctlr_el2, SCTLR_EL2_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I | SCTLR_WXN);
	isb();
	return 0;
}
