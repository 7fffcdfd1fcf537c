/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Stage-2 descriptor tables as plain data: see arch/stage2_pt.h. The rules
 * followed here (Arm ARM, VMSAv8-64 translation table maintenance):
 *  - a permission change of a valid leaf needs no break-before-make, only a
 *    TLB invalidation afterwards (the caller's);
 *  - changing the block size (a block replaced by a table of smaller
 *    entries) does: the new table is filled first, the old entry is made
 *    invalid, the walkers and TLBs are told (ops->invalidate: DSB, TLBI,
 *    DSB), and only then is the table descriptor written.
 */
#include <arch/stage2_pt.h>

static unsigned shift_of(int level)
{
	return 12 + 9 * (unsigned)(3 - level);
}

uint64_t s2pt_span(int level)
{
	return 1ull << shift_of(level);
}

static unsigned index_of(uint64_t ipa, int level)
{
	return (unsigned)((ipa >> shift_of(level)) & (S2PT_ENTRIES - 1));
}

static uint64_t *next_table(uint64_t desc)
{
	return (uint64_t *)(uintptr_t)(desc & S2_ADDR);
}

/* One 64-bit store the compiler may neither split nor drop: the table
 * walker reads these words concurrently with us. */
static void set_desc(uint64_t *e, uint64_t v)
{
	*(volatile uint64_t *)e = v;
}

static bool is_table(uint64_t desc, int level)
{
	return level < 3 && (desc & (S2_VALID | S2_TABLE)) == (S2_VALID | S2_TABLE);
}

static int map_level(uint64_t *table, int level, uint64_t ipa, uint64_t pa, uint64_t size,
		     uint64_t attrs, const struct s2pt_ops *ops)
{
	uint64_t block = s2pt_span(level);
	while (size) {
		uint64_t *e = &table[index_of(ipa, level)];
		uint64_t chunk = MIN(block - (ipa & (block - 1)), size);
		if (level == 3) {
			set_desc(e, (pa & S2_ADDR) | attrs | S2_VALID | S2_TABLE);
		} else if (level >= 2 && chunk == block && (pa & (block - 1)) == 0 && !(*e & S2_VALID)) {
			set_desc(e, (pa & S2_ADDR) | attrs | S2_VALID);          /* 2 MiB block */
		} else {
			if (!is_table(*e, level)) {
				if (*e & S2_VALID)
					return -1;   /* remapping over a block: not supported */
				uint64_t *t = ops->alloc_table(ops->ctx);
				if (!t)
					return -1;
				set_desc(e, (uintptr_t)t | S2_VALID | S2_TABLE);
			}
			if (map_level(next_table(*e), level + 1, ipa, pa, chunk, attrs, ops))
				return -1;
		}
		ipa += chunk;
		pa += chunk;
		size -= chunk;
	}
	return 0;
}

int s2pt_map(uint64_t *root, uint64_t ipa, uint64_t pa, uint64_t size, uint64_t attrs,
	     const struct s2pt_ops *ops)
{
	if (!root || ((ipa | pa | size) & (S2PT_PAGE - 1)) || !size || ipa + size < ipa)
		return -1;
	return map_level(root, S2PT_FIRST_LEVEL, ipa, pa, size, attrs, ops);
}

int s2pt_lookup(const uint64_t *root, uint64_t ipa, uint64_t *pa, uint64_t *desc, int *level)
{
	const uint64_t *t = root;
	for (int lvl = S2PT_FIRST_LEVEL; lvl <= 3; lvl++) {
		uint64_t e = t[index_of(ipa, lvl)];
		if (!(e & S2_VALID))
			return -1;
		if (is_table(e, lvl)) {
			t = next_table(e);
			continue;
		}
		if (lvl == 3 && !(e & S2_TABLE))
			return -1;   /* reserved encoding at level 3 */
		uint64_t span = s2pt_span(lvl);
		if (pa)
			*pa = (e & S2_ADDR & ~(span - 1)) | (ipa & (span - 1));
		if (desc)
			*desc = e;
		if (level)
			*level = lvl;
		return 0;
	}
	return -1;
}

/* Replaces the block at *e (level 1 or 2) by a table of entries one level
 * down that map the same addresses with the same attributes. */
static int split_block(uint64_t *e, int level, uint64_t block_ipa, const struct s2pt_ops *ops)
{
	uint64_t desc = *e;
	uint64_t span = s2pt_span(level), sub = s2pt_span(level + 1);
	uint64_t base = desc & S2_ADDR & ~(span - 1);
	uint64_t attrs = desc & ~(S2_ADDR | S2_VALID | S2_TABLE);
	/* Level 3 entries are pages (bit 1 set); level 2 entries blocks. */
	uint64_t kind = S2_VALID | (level + 1 == 3 ? S2_TABLE : 0);
	uint64_t *t = ops->alloc_table(ops->ctx);
	if (!t)
		return -1;
	for (unsigned i = 0; i < S2PT_ENTRIES; i++)
		t[i] = (base + i * sub) | attrs | kind;
	set_desc(e, 0);                                      /* break */
	ops->invalidate(ops->ctx, block_ipa, span);
	set_desc(e, (uintptr_t)t | S2_VALID | S2_TABLE);     /* make */
	return 0;
}

static uint64_t with_ap(uint64_t desc, bool writable)
{
	return (desc & ~S2_AP_MASK) | (writable ? S2_AP_RW : S2_AP_RO);
}

static int set_level(uint64_t *table, int level, uint64_t ipa, uint64_t size, bool writable,
		     const struct s2pt_ops *ops, unsigned *changed, unsigned *split)
{
	uint64_t span = s2pt_span(level);
	while (size) {
		uint64_t *e = &table[index_of(ipa, level)];
		uint64_t chunk = MIN(span - (ipa & (span - 1)), size);
		if (!(*e & S2_VALID))
			return -1;
		if (is_table(*e, level)) {
			if (set_level(next_table(*e), level + 1, ipa, chunk, writable, ops, changed, split))
				return -1;
		} else if (level == 3 || chunk == span) {
			uint64_t nd = with_ap(*e, writable);
			if (nd != *e) {
				set_desc(e, nd);
				(*changed)++;
			}
		} else {
			if (split_block(e, level, ipa & ~(span - 1), ops))
				return -1;
			(*split)++;
			if (set_level(next_table(*e), level + 1, ipa, chunk, writable, ops, changed, split))
				return -1;
		}
		ipa += chunk;
		size -= chunk;
	}
	return 0;
}

int s2pt_set_write(uint64_t *root, uint64_t ipa, uint64_t size, bool writable,
		   const struct s2pt_ops *ops, unsigned *changed, unsigned *split)
{
	unsigned n_changed = 0, n_split = 0;
	if (changed)
		*changed = 0;
	if (split)
		*split = 0;
	if (!root || ((ipa | size) & (S2PT_PAGE - 1)) || !size || ipa + size < ipa)
		return -1;
	/* All of it must be mapped: check before changing anything. */
	for (uint64_t a = ipa; a - ipa < size;) {
		uint64_t pa;
		int level;
		if (s2pt_lookup(root, a, &pa, NULL, &level))
			return -1;
		uint64_t span = s2pt_span(level);
		uint64_t next = (a & ~(span - 1)) + span;
		if (next <= a)
			break;               /* the top of the address space */
		a = next;
	}
	int r = set_level(root, S2PT_FIRST_LEVEL, ipa, size, writable, ops, &n_changed, &n_split);
	if (changed)
		*changed = n_changed;
	if (split)
		*split = n_split;
	return r;
}
