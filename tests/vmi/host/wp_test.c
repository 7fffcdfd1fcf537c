/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host test of the pure parts of stage-2 write protection: the descriptor
 * table logic (arch/arm/cpu/arm64/stage2_pt.c: mapping, block splitting with
 * break-before-make, permission changes) and `ids protect`'s plan (which
 * pages), naming and report rate limit (commands/ids/protect_plan.c).
 * Prints each failed check and "wp_test: N checks, M failures" last; exits 1 on a failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arch/stage2_pt.h>

#include "../../../commands/ids/protect_plan.h"
#include "hostcheck.h"

/* -- a table allocator and TLB model for stage2_pt.c ------------------------------------- */

#define MAX_TABLES 64

struct world {
	uint64_t *root;
	void *tables[MAX_TABLES];
	unsigned ntables, alloc_limit;
	unsigned invalidations, bbm_violations;
	uint64_t last_inval_ipa, last_inval_size;
};

static uint64_t *alloc_table(void *ctx)
{
	struct world *w = ctx;
	if (w->ntables >= w->alloc_limit || w->ntables >= MAX_TABLES)
		return NULL;
	uint64_t *t = aligned_alloc(4096, 4096);
	if (!t || ((uintptr_t)t >> 48)) {
		free(t);
		return NULL;
	}
	memset(t, 0, 4096);
	w->tables[w->ntables++] = t;
	return t;
}

/* Break-before-make: when told to invalidate, the entry must already be invalid. */
static void invalidate(void *ctx, uint64_t ipa, uint64_t size)
{
	struct world *w = ctx;
	w->invalidations++;
	w->last_inval_ipa = ipa;
	w->last_inval_size = size;
	if (s2pt_lookup(w->root, ipa, NULL, NULL, NULL) == 0 ||
	    s2pt_lookup(w->root, ipa + size - 4096, NULL, NULL, NULL) == 0)
		w->bbm_violations++;
}

static struct s2pt_ops ops_of(struct world *w)
{
	return (struct s2pt_ops){.alloc_table = alloc_table, .invalidate = invalidate, .ctx = w};
}

static void world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->alloc_limit = MAX_TABLES;
	struct s2pt_ops ops = ops_of(w);
	w->root = ops.alloc_table(w);
}

static void world_free(struct world *w)
{
	for (unsigned i = 0; i < w->ntables; i++)
		free(w->tables[i]);
}

#define RAM_IPA 0x40000000ull
#define RAM_PA 0x80000000ull
#define RAM_SIZE (64ull << 20)
#define ATTRS (S2_AF | S2_AP_RW | S2_MEMATTR_NORMAL | S2_SH_INNER)

/* Every page of RAM: maps to the same PA as before, attributes unchanged except
 * S2AP, read-only exactly inside [ro_lo, ro_hi). */
static void check_ram(struct world *w, uint64_t ro_lo, uint64_t ro_hi)
{
	unsigned bad_pa = 0, bad_ap = 0, bad_attr = 0;
	for (uint64_t ipa = RAM_IPA; ipa < RAM_IPA + RAM_SIZE; ipa += 4096) {
		uint64_t pa, desc;
		int level;
		if (s2pt_lookup(w->root, ipa + 0x123, &pa, &desc, &level)) {
			bad_pa++;
			continue;
		}
		if (pa != RAM_PA + (ipa - RAM_IPA) + 0x123)
			bad_pa++;
		bool ro = ipa >= ro_lo && ipa < ro_hi;
		if ((desc & S2_AP_MASK) != (ro ? S2_AP_RO : S2_AP_RW))
			bad_ap++;
		if ((desc & ~(S2_ADDR | S2_AP_MASK | 3ull)) != (ATTRS & ~S2_AP_MASK))
			bad_attr++;
	}
	CHECK(bad_pa == 0);
	CHECK(bad_ap == 0);
	CHECK(bad_attr == 0);
}

static int level_of(struct world *w, uint64_t ipa)
{
	int level = -1;
	s2pt_lookup(w->root, ipa, NULL, NULL, &level);
	return level;
}

static void test_split_and_restore(void)
{
	struct world w;
	world_init(&w);
	struct s2pt_ops ops = ops_of(&w);
	CHECK(s2pt_map(w.root, RAM_IPA, RAM_PA, RAM_SIZE, ATTRS, &ops) == 0);
	CHECK(level_of(&w, RAM_IPA) == 2);
	CHECK(w.invalidations == 0);
	check_ram(&w, 0, 0);

	/* A Debian 6.1 kernel's .rodata: from mid 2 MiB block to mid 2 MiB block. */
	uint64_t lo = RAM_IPA + 0xbe0000, hi = RAM_IPA + 0x1384000;
	unsigned changed, split, tables = w.ntables;
	CHECK(s2pt_set_write(w.root, lo, hi - lo, false, &ops, &changed, &split) == 0);
	CHECK(split == 2);                       /* the two partly covered blocks */
	CHECK(w.ntables == tables + 2);
	CHECK(w.invalidations == 2 && w.bbm_violations == 0);
	CHECK(changed == (0xc00000 - 0xbe0000) / 4096 + 3 + 0x184000 / 4096);
	CHECK(level_of(&w, lo) == 3 && level_of(&w, RAM_IPA + 0xc00000) == 2);
	check_ram(&w, lo, hi);

	/* Again: nothing changes, nothing splits. */
	CHECK(s2pt_set_write(w.root, lo, hi - lo, false, &ops, &changed, &split) == 0);
	CHECK(changed == 0 && split == 0 && w.invalidations == 2);

	/* Back to writable: the splits stay, every page RW, same addresses. */
	CHECK(s2pt_set_write(w.root, lo, hi - lo, true, &ops, &changed, &split) == 0);
	CHECK(split == 0 && w.ntables == tables + 2);
	check_ram(&w, 0, 0);

	/* One page at the end of RAM. */
	CHECK(s2pt_set_write(w.root, RAM_IPA + RAM_SIZE - 4096, 4096, false, &ops, &changed, &split) == 0);
	CHECK(changed == 1 && split == 1);
	check_ram(&w, RAM_IPA + RAM_SIZE - 4096, RAM_IPA + RAM_SIZE);
	world_free(&w);
}

static void test_errors(void)
{
	struct world w;
	world_init(&w);
	struct s2pt_ops ops = ops_of(&w);
	unsigned changed = 99, split = 99;
	CHECK(s2pt_map(w.root, RAM_IPA, RAM_PA, RAM_SIZE, ATTRS, &ops) == 0);
	CHECK(s2pt_set_write(w.root, RAM_IPA + 1, 4096, false, &ops, &changed, &split) == -1);
	CHECK(changed == 0 && split == 0);
	CHECK(s2pt_set_write(w.root, RAM_IPA, 0, false, &ops, NULL, NULL) == -1);
	CHECK(s2pt_set_write(w.root, RAM_IPA, 100, false, &ops, NULL, NULL) == -1);
	/* Partly outside RAM: refused before anything changes. */
	CHECK(s2pt_set_write(w.root, RAM_IPA + RAM_SIZE - 8192, 16384, false, &ops, NULL, NULL) == -1);
	CHECK(w.invalidations == 0);
	check_ram(&w, 0, 0);
	CHECK(s2pt_set_write(w.root, 0x1000, 4096, false, &ops, NULL, NULL) == -1);
	/* Out of table memory while splitting: -1, the block intact. */
	w.alloc_limit = w.ntables;
	CHECK(s2pt_set_write(w.root, RAM_IPA + 0x1000, 4096, false, &ops, NULL, NULL) == -1);
	CHECK(w.invalidations == 0);
	check_ram(&w, 0, 0);
	/* Mapping over an existing block is refused. */
	w.alloc_limit = MAX_TABLES;
	CHECK(s2pt_map(w.root, RAM_IPA, RAM_PA, 4096, ATTRS, &ops) == -1);
	world_free(&w);
}

static void test_level1_block(void)
{
	struct world w;
	world_init(&w);
	struct s2pt_ops ops = ops_of(&w);
	/* A 1 GiB block at level 1 (the mapper never makes one; the splitter must cope). */
	w.root[1] = 0x80000000ull | ATTRS | S2_VALID;
	uint64_t ipa = 0x40000000ull + 0x12345000ull;
	unsigned changed, split;
	CHECK(s2pt_set_write(w.root, ipa, 4096, false, &ops, &changed, &split) == 0);
	CHECK(split == 2 && changed == 1 && w.bbm_violations == 0 && w.invalidations == 2);
	uint64_t pa, desc;
	int level;
	CHECK(s2pt_lookup(w.root, ipa + 8, &pa, &desc, &level) == 0);
	CHECK(pa == 0x80000000ull + 0x12345008ull && level == 3 && (desc & S2_AP_MASK) == S2_AP_RO);
	CHECK(s2pt_lookup(w.root, ipa + 4096, &pa, &desc, &level) == 0);
	CHECK(pa == 0x80000000ull + 0x12346000ull && (desc & S2_AP_MASK) == S2_AP_RW);
	CHECK(s2pt_lookup(w.root, 0x40000000ull + 0x3fe00000ull, &pa, &desc, &level) == 0);
	CHECK(pa == 0xbfe00000ull && level == 2 && (desc & S2_AP_MASK) == S2_AP_RW);
	world_free(&w);
}

/* -- protect_plan.c ----------------------------------------------------------------------- */

static const struct protect_layout debian61 = {
	.text = 0xffff800008000000ull,
	.sct = 0xffff800008be09f0ull, .sct_size = 451 * 8,
	.csct = 0xffff800008be7088ull, .csct_size = 452 * 8,
	.rodata = 0xffff800008be0000ull, .rodata_end = 0xffff800009384000ull,
};

static void test_plan(void)
{
	struct guest_wp_range r[GUEST_WP_RANGES];
	char why[96] = "";
	int n = protect_plan(&debian61, 0x40000000ull, true, r, GUEST_WP_RANGES, why, sizeof(why));
	CHECK(n == 1 && r[0].ipa == 0x40be0000ull && r[0].size == 0x7a4000ull);

	n = protect_plan(&debian61, 0x40000000ull, false, r, GUEST_WP_RANGES, why, sizeof(why));
	CHECK(n == 2);
	CHECK(r[0].ipa == 0x40be0000ull && r[0].size == 0x2000ull);      /* 0x9f0 + 0xe18 */
	CHECK(r[1].ipa == 0x40be7000ull && r[1].size == 0x1000ull);      /* 0x7088 + 0xe20 */

	/* Adjacent tables merge into one range; the compat table is optional. */
	struct protect_layout l = debian61;
	l.csct = l.sct + l.sct_size;
	n = protect_plan(&l, 0x80000000ull, false, r, GUEST_WP_RANGES, why, sizeof(why));
	CHECK(n == 1 && r[0].ipa == 0x80be0000ull && r[0].size == 0x3000ull);
	l.csct_size = 0;
	n = protect_plan(&l, 0x80000000ull, false, r, GUEST_WP_RANGES, why, sizeof(why));
	CHECK(n == 1 && r[0].size == 0x2000ull);

	/* .rodata not page aligned: only its whole pages. */
	l = debian61;
	l.rodata += 0x10;
	l.rodata_end -= 0x10;
	n = protect_plan(&l, 0x40000000ull, true, r, GUEST_WP_RANGES, why, sizeof(why));
	CHECK(n == 1 && r[0].ipa == 0x40be0000ull && r[0].size == 0x7a3000ull);  /* the tables' page too */

	l = debian61;
	l.sct_size = 0;
	CHECK(protect_plan(&l, 0x40000000ull, true, r, GUEST_WP_RANGES, why, sizeof(why)) == -1);
	CHECK(strstr(why, "sys_call_table") != NULL);
	l = debian61;
	l.sct = l.text - 8;
	CHECK(protect_plan(&l, 0x40000000ull, false, r, GUEST_WP_RANGES, why, sizeof(why)) == -1);
	CHECK(strstr(why, "not inside the kernel image") != NULL);
	CHECK(protect_plan(&debian61, 0x40000800ull, true, r, GUEST_WP_RANGES, why, sizeof(why)) == -1);
	l = debian61;
	l.rodata_end = l.rodata;
	CHECK(protect_plan(&l, 0x40000000ull, true, r, GUEST_WP_RANGES, why, sizeof(why)) == -1);
	CHECK(protect_plan(&l, 0x40000000ull, false, r, GUEST_WP_RANGES, why, sizeof(why)) == 2);
	CHECK(protect_plan(&debian61, 0x40000000ull, false, r, 1, why, sizeof(why)) == -1);

	char buf[64] = "";
	CHECK(protect_name_table(&debian61, debian61.sct + 61 * 8, buf, sizeof(buf)));
	CHECK(strcmp(buf, "sys_call_table+0x1e8") == 0);
	CHECK(protect_name_table(&debian61, debian61.csct, buf, sizeof(buf)));
	CHECK(strcmp(buf, "compat_sys_call_table+0x0") == 0);
	CHECK(!protect_name_table(&debian61, debian61.sct + debian61.sct_size, buf, sizeof(buf)));
	CHECK(!protect_name_table(&debian61, debian61.sct - 1, buf, sizeof(buf)));
}

static void test_rate(void)
{
	struct protect_rate r = {0};
	uint64_t s = 1000000000ull;
	unsigned ok = 0;
	for (int i = 0; i < 100; i++)
		ok += protect_rate_take(&r, 5 * s);
	CHECK(ok == PROTECT_BURST);                      /* a flood: the burst, then nothing */
	CHECK(!protect_rate_take(&r, 5 * s + PROTECT_REFILL_NS - 1));
	CHECK(protect_rate_take(&r, 5 * s + PROTECT_REFILL_NS));
	CHECK(!protect_rate_take(&r, 5 * s + PROTECT_REFILL_NS));
	/* A long quiet spell refills up to the burst, not beyond. */
	ok = 0;
	for (int i = 0; i < 100; i++)
		ok += protect_rate_take(&r, 1000 * s);
	CHECK(ok == PROTECT_BURST);
	CHECK(protect_rate_take(&r, 1000 * s + PROTECT_REFILL_NS));
}

int main(void)
{
	test_split_and_restore();
	test_errors();
	test_level1_block();
	test_plan();
	test_rate();
	return check_summary("wp_test");
}
