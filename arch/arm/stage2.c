/*
 * Stage-2 page tables: 4 KiB granule, 39-bit IPA space starting at level 1
 * (VTCR_EL2.SL0 = 1), 2 MiB blocks wherever alignment allows. Tables come
 * from the page allocator. Anything not mapped faults to EL2, which is how
 * device emulation and the isolation of host memory work.
 */
#include <arch/stage2.h>
#include <arch/sysreg.h>
#include <mamoru/heap.h>
#include <mamoru/libc.h>

#define ENTRIES 512
#define D_VALID (1ull << 0)
#define D_TABLE (1ull << 1)
#define D_MEMATTR_NORMAL (0xfull << 2)   /* outer/inner write-back */
#define D_MEMATTR_DEVICE (0x1ull << 2)   /* Device-nGnRE */
#define D_S2AP_RW (3ull << 6)
#define D_SH_INNER (3ull << 8)
#define D_AF (1ull << 10)
#define D_XN (2ull << 53)                /* XN[1:0] = 0b10: not executable at EL1 or EL0 */
#define D_ADDR 0x0000fffffffff000ull

static uint64_t *new_table(struct stage2 *s2)
{
	uint64_t *t = pages_alloc(&sys_pages, 1, 1);
	if (t) {
		memset(t, 0, PAGE_SIZE);
		s2->tables++;
	}
	return t;
}

int stage2_init(struct stage2 *s2, uint16_t vmid)
{
	memset(s2, 0, sizeof(*s2));
	s2->root = new_table(s2);
	if (!s2->root)
		return -1;
	s2->vmid = vmid;
	s2->vttbr = (uintptr_t)s2->root | ((uint64_t)vmid << 48);
	uint64_t parange = read_sysreg(id_aa64mmfr0_el1) & 0xf;
	if (parange > 5)
		parange = 5;
	s2->vtcr = (64 - S2_IPA_BITS)       /* T0SZ */
		 | (1ull << 6)               /* SL0: start at level 1 */
		 | (1ull << 8) | (1ull << 10) /* inner/outer write-back walks */
		 | (3ull << 12)              /* inner shareable */
		 | (parange << 16)           /* PS */
		 | (1ull << 31);             /* RES1 */
	return 0;
}

static unsigned shift_of(int level)
{
	return 12 + 9 * (unsigned)(3 - level);
}

static int map_level(struct stage2 *s2, uint64_t *table, int level, uint64_t ipa, uint64_t pa,
		     uint64_t size, uint64_t attrs)
{
	uint64_t block = 1ull << shift_of(level);
	while (size) {
		uint64_t *e = &table[(ipa >> shift_of(level)) & (ENTRIES - 1)];
		uint64_t chunk = MIN(block - (ipa & (block - 1)), size);
		if (level == 3) {
			*e = (pa & D_ADDR) | attrs | D_VALID | D_TABLE;
		} else if (level >= 2 && chunk == block && (pa & (block - 1)) == 0 && !(*e & D_VALID)) {
			*e = (pa & D_ADDR) | attrs | D_VALID;           /* 2 MiB block */
		} else {
			if ((*e & (D_VALID | D_TABLE)) != (D_VALID | D_TABLE)) {
				if (*e & D_VALID)
					return -1;   /* remapping over a block: not supported */
				uint64_t *t = new_table(s2);
				if (!t)
					return -1;
				*e = (uintptr_t)t | D_VALID | D_TABLE;
			}
			uint64_t *next = (uint64_t *)(uintptr_t)(*e & D_ADDR);
			if (map_level(s2, next, level + 1, ipa, pa, chunk, attrs))
				return -1;
		}
		ipa += chunk;
		pa += chunk;
		size -= chunk;
	}
	return 0;
}

int stage2_map(struct stage2 *s2, uint64_t ipa, uint64_t pa, uint64_t size, enum s2_prot prot)
{
	if ((ipa | pa | size) & (PAGE_SIZE - 1) || !size || ipa + size > (1ull << S2_IPA_BITS) ||
	    ipa + size < ipa)
		return -1;
	uint64_t attrs = D_AF | D_S2AP_RW |
			 (prot == S2_RAM ? D_MEMATTR_NORMAL | D_SH_INNER : D_MEMATTR_DEVICE | D_XN);
	int r = map_level(s2, s2->root, 1, ipa, pa, size, attrs);
	dsb_ish();
	return r;
}

void stage2_activate(const struct stage2 *s2)
{
	write_sysreg(vtcr_el2, s2->vtcr);
	write_sysreg(vttbr_el2, s2->vttbr);
	isb();
	__asm__ volatile("tlbi vmalls12e1\n\tdsb ish\n\tisb" ::: "memory");
}

int stage2_lookup(const struct stage2 *s2, uint64_t ipa, uint64_t *pa)
{
	const uint64_t *t = s2->root;
	if (ipa >> S2_IPA_BITS)
		return -1;
	for (int level = 1; level <= 3; level++) {
		uint64_t e = t[(ipa >> shift_of(level)) & (ENTRIES - 1)];
		if (!(e & D_VALID))
			return -1;
		if (level < 3 && (e & D_TABLE)) {
			t = (const uint64_t *)(uintptr_t)(e & D_ADDR);
			continue;
		}
		uint64_t span = 1ull << shift_of(level);
		*pa = (e & D_ADDR & ~(span - 1)) | (ipa & (span - 1));
		return 0;
	}
	return -1;
}
