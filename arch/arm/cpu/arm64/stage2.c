/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Stage-2 page tables: 4 KiB granule, 39-bit IPA space starting at level 1
 * (VTCR_EL2.SL0 = 1), 2 MiB blocks wherever alignment allows. Tables come
 * from the page allocator. Anything not mapped faults to EL2, which is how
 * device emulation and the isolation of host memory work. The descriptor
 * logic itself is in stage2_pt.c (host-testable); this file adds the
 * allocator, the registers and the TLB maintenance.
 */
#include <arch/stage2.h>
#include <arch/stage2_pt.h>
#include <arch/sysreg.h>
#include <mamoru/heap.h>
#include <mamoru/libc.h>

static uint64_t *new_table(void *ctx)
{
	struct stage2 *s2 = ctx;
	uint64_t *t = page_set_alloc(&sys_pages, 1, 1);
	if (t) {
		memset(t, 0, PAGE_SIZE);
		s2->tables++;
	}
	return t;
}

/*
 * TLB maintenance for s2's VMID, which need not be the one in VTTBR_EL2 at
 * the moment (another guest may be loaded): VTTBR_EL2 is switched for the
 * duration. Only EL1&0 translations use it, so EL2 itself is unaffected.
 */
static uint64_t vmid_enter(const struct stage2 *s2)
{
	uint64_t saved = read_sysreg(vttbr_el2);
	write_sysreg(vttbr_el2, s2->vttbr);
	isb();
	return saved;
}

static void vmid_leave(uint64_t saved)
{
	write_sysreg(vttbr_el2, saved);
	isb();
}

/* Break-before-make, the "break" half: the entry for [ipa, ipa + size) was
 * just made invalid. TLBI IPAS2E1IS drops the stage-2 entries for the IPA
 * (one address of a block is enough: the entry covers the block), but
 * entries combining stage 1 and stage 2 are tagged by VA, so the EL1&0
 * entries of the VMID go too (VMALLE1IS). */
static void invalidate_ipa(void *ctx, uint64_t ipa, uint64_t size)
{
	(void)size;
	const struct stage2 *s2 = ctx;
	uint64_t saved = vmid_enter(s2);
	__asm__ volatile("dsb ishst\n\t"
			 "tlbi ipas2e1is, %0\n\t"
			 "dsb ish\n\t"
			 "tlbi vmalle1is\n\t"
			 "dsb ish\n\t"
			 "isb" : : "r"(ipa >> 12) : "memory");
	vmid_leave(saved);
}

static void invalidate_vmid(const struct stage2 *s2)
{
	uint64_t saved = vmid_enter(s2);
	__asm__ volatile("dsb ishst\n\t"
			 "tlbi vmalls12e1is\n\t"
			 "dsb ish\n\t"
			 "isb" ::: "memory");
	vmid_leave(saved);
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

int stage2_map(struct stage2 *s2, uint64_t ipa, uint64_t pa, uint64_t size, enum s2_prot prot)
{
	if (ipa + size > (1ull << S2_IPA_BITS) || ipa + size < ipa)
		return -1;
	uint64_t attrs = S2_AF | S2_AP_RW |
			 (prot == S2_RAM ? S2_MEMATTR_NORMAL | S2_SH_INNER : S2_MEMATTR_DEVICE | S2_XN);
	struct s2pt_ops ops = {.alloc_table = new_table, .invalidate = invalidate_ipa, .ctx = s2};
	int r = s2pt_map(s2->root, ipa, pa, size, attrs, &ops);
	dsb_ish();
	return r;
}

int stage2_set_write(struct stage2 *s2, uint64_t ipa, uint64_t size, bool writable,
		     unsigned *changed)
{
	unsigned n = 0, split = 0;
	if (ipa + size > (1ull << S2_IPA_BITS) || ipa + size < ipa)
		return -1;
	struct s2pt_ops ops = {.alloc_table = new_table, .invalidate = invalidate_ipa, .ctx = s2};
	int r = s2pt_set_write(s2->root, ipa, size, writable, &ops, &n, &split);
	if (n || split)
		invalidate_vmid(s2);   /* also publishes the descriptor writes (DSB) */
	if (changed)
		*changed = n;
	return r;
}

void stage2_activate(const struct stage2 *s2)
{
	write_sysreg(vtcr_el2, s2->vtcr);
	write_sysreg(vttbr_el2, s2->vttbr);
	isb();
	__asm__ volatile("tlbi vmalls12e1\n\tdsb ish\n\tisb" ::: "memory");
}
