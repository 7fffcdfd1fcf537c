/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Drives the heap and page allocators over malloc'd arenas: scripted edge
 * cases, then a long random alloc/free sequence (fixed seed), checking after
 * every step that blocks are aligned and disjoint, contents survive, the
 * allocator's own consistency check passes and the statistics add up.
 * Usage: heap_sim [seed] [ops]. Exits 1 on the first violation.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mamoru/heap.h>

#define MAX_LIVE 512

struct live {
	unsigned char *p;
	size_t size;
	unsigned char fill;
};

static struct live live[MAX_LIVE];
static size_t nlive;
static uint64_t rng_state;

#define FAIL(...)                                                 \
	do {                                                      \
		printf("FAIL line %d: ", __LINE__);               \
		printf(__VA_ARGS__);                              \
		printf("\n");                                     \
		exit(1);                                          \
	} while (0)

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void check_heap(struct heap *h, size_t allocs, size_t frees)
{
	struct heap_stats st;

	if (heap_check(h))
		FAIL("heap_check failed");
	heap_get_stats(h, &st);
	if (st.used + st.free != st.total)
		FAIL("used %zu + free %zu != total %zu", st.used, st.free, st.total);
	if (st.live_blocks != nlive)
		FAIL("live_blocks %zu, expected %zu", st.live_blocks, nlive);
	if (st.allocs != allocs || st.frees != frees)
		FAIL("allocs/frees %zu/%zu, expected %zu/%zu", st.allocs, st.frees, allocs, frees);
	for (size_t i = 0; i < nlive; i++) {
		for (size_t k = 0; k < live[i].size; k++)
			if (live[i].p[k] != live[i].fill)
				FAIL("block %p corrupted at %zu", (void *)live[i].p, k);
	}
}

static void track(struct heap *h, unsigned char *p, size_t size)
{
	uintptr_t a = (uintptr_t)p;

	if (a % 16)
		FAIL("unaligned block %p", (void *)p);
	if (a < h->base || a + size > h->base + h->size)
		FAIL("block %p+%zu outside the heap", (void *)p, size);
	for (size_t i = 0; i < nlive; i++) {
		uintptr_t b = (uintptr_t)live[i].p;

		if (a < b + live[i].size && b < a + size)
			FAIL("block %p+%zu overlaps %p+%zu", (void *)p, size, (void *)live[i].p,
			     live[i].size);
	}
	live[nlive].p = p;
	live[nlive].size = size;
	live[nlive].fill = (unsigned char)(rnd() | 1);
	memset(p, live[nlive].fill, size);
	nlive++;
}

static void untrack(size_t i)
{
	live[i] = live[--nlive];
}

static void scripted_heap(void)
{
	size_t arena_size = 64 * 1024, allocs = 0, frees = 0;
	unsigned char *arena = malloc(arena_size + 3);
	unsigned char *outside = malloc(64);
	struct heap h;
	struct heap_stats st;
	void *p, *q;

	rng_state = 1;
	/* An unaligned base must still give 16-byte aligned blocks. */
	if (heap_init(&h, arena + 3, arena_size))
		FAIL("heap_init");
	if (heap_init(&(struct heap){ 0 }, arena, 8) != -1)
		FAIL("heap_init accepted a tiny region");
	check_heap(&h, 0, 0);
	heap_get_stats(&h, &st);
	if (st.largest_free + 16 != st.total)
		FAIL("fresh heap: largest_free %zu, total %zu", st.largest_free, st.total);

	if (heap_alloc(&h, 0) != NULL)
		FAIL("alloc(0) returned a block");
	if (heap_alloc(&h, SIZE_MAX) != NULL || heap_alloc(&h, arena_size) != NULL)
		FAIL("oversized alloc succeeded");
	heap_get_stats(&h, &st);
	if (st.failures != 2)
		FAIL("failures %zu, expected 2", st.failures);

	p = heap_zalloc(&h, 100);
	if (!p)
		FAIL("zalloc");
	for (int i = 0; i < 100; i++)
		if (((unsigned char *)p)[i])
			FAIL("zalloc not zeroed");
	allocs++;
	track(&h, p, 100);
	q = heap_alloc(&h, 1);
	allocs++;
	track(&h, q, 1);
	check_heap(&h, allocs, frees);

	/* Foreign and interior pointers, then double free: all refused. */
	if (heap_free(&h, outside) != -1 || heap_free(&h, (char *)p + 16) != -1 ||
	    heap_free(&h, (char *)p + 1) != -1 || heap_free(&h, (void *)h.base) != -1 ||
	    heap_free(&h, (char *)h.base + h.size) != -1)
		FAIL("bad pointer accepted");
	if (heap_free(&h, NULL) != 0)
		FAIL("free(NULL)");
	check_heap(&h, allocs, frees);
	if (heap_free(&h, p) != 0)
		FAIL("free");
	frees++;
	untrack(0);
	if (heap_free(&h, p) != -1)
		FAIL("double free accepted");
	check_heap(&h, allocs, frees);
	if (heap_free(&h, q) != 0)
		FAIL("free q");
	frees++;
	untrack(0);
	/* q merged into p's block: a stale pointer to either is refused. */
	if (heap_free(&h, q) != -1 || heap_free(&h, p) != -1)
		FAIL("stale pointer accepted after merge");
	check_heap(&h, allocs, frees);

	/* Fill the heap completely, then free in an interleaved order. */
	while ((p = heap_alloc(&h, 1000)) != NULL) {
		if (nlive == MAX_LIVE)
			FAIL("too many blocks");
		allocs++;
		track(&h, p, 1000);
	}
	check_heap(&h, allocs, frees);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = (size_t)pass; i < nlive; i++) {
			if (heap_free(&h, live[i].p))
				FAIL("free in fill test");
			frees++;
			untrack(i);
			check_heap(&h, allocs, frees);
		}
	}
	while (nlive) {
		if (heap_free(&h, live[0].p))
			FAIL("free rest");
		frees++;
		untrack(0);
	}
	check_heap(&h, allocs, frees);
	heap_get_stats(&h, &st);
	if (st.used != 0 || st.largest_free + 16 != st.total)
		FAIL("heap not whole again after freeing everything");
	free(arena);
	free(outside);
}

static void random_heap(uint64_t seed, long ops)
{
	size_t arena_size = 256 * 1024, allocs = 0, frees = 0;
	unsigned char *arena = malloc(arena_size);
	struct heap h;

	rng_state = seed ? seed : 1;
	if (heap_init(&h, arena, arena_size))
		FAIL("heap_init");
	for (long op = 0; op < ops; op++) {
		if (nlive < MAX_LIVE && (nlive == 0 || rnd() % 100 < 55)) {
			/* Mostly small sizes, sometimes large ones. */
			size_t size = rnd() % 8 ? 1 + rnd() % 256 : 1 + rnd() % 20000;
			unsigned char *p = rnd() % 4 ? heap_alloc(&h, size) : heap_zalloc(&h, size);

			if (p) {
				allocs++;
				track(&h, p, size);
			}
		} else {
			size_t i = rnd() % nlive;

			if (heap_free(&h, live[i].p))
				FAIL("free of a live block refused");
			frees++;
			void *stale = live[i].p;
			untrack(i);
			if (rnd() % 8 == 0 && heap_free(&h, stale) != -1)
				FAIL("double free accepted");
		}
		if (op % 64 == 0)
			check_heap(&h, allocs, frees);
	}
	check_heap(&h, allocs, frees);
	while (nlive) {
		if (heap_free(&h, live[0].p))
			FAIL("final free");
		frees++;
		untrack(0);
	}
	check_heap(&h, allocs, frees);
	free(arena);
}

static void check_pages(struct page_pool *pp, size_t used)
{
	if (pp->free_pages + used != pp->npages)
		FAIL("free_pages %zu + used %zu != %zu", pp->free_pages, used, pp->npages);
}

static void pages_test(uint64_t seed)
{
	size_t region = 300 * PAGE_SIZE + 123, used = 0;
	unsigned char *mem = malloc(region);
	struct { unsigned char *p; size_t n; } al[64];
	size_t nal = 0;
	struct page_pool pp;
	void *p;

	rng_state = seed ? seed : 1;
	if (pages_init(&pp, (uintptr_t)mem + 5, region - 5))
		FAIL("pages_init");
	if (pp.base % PAGE_SIZE || pp.base < (uintptr_t)mem ||
	    pp.base + pp.npages * PAGE_SIZE > (uintptr_t)mem + region)
		FAIL("pool outside region");
	if ((uintptr_t)pp.bitmap < (uintptr_t)mem || (uintptr_t)pp.bitmap >= pp.base)
		FAIL("bitmap not carved from the region start");
	if (pages_init(&(struct page_pool){ 0 }, (uintptr_t)mem, PAGE_SIZE) != -1)
		FAIL("pages_init accepted a one-page region");
	if (pages_alloc(&pp, 0, 1) || pages_alloc(&pp, 1, 3) || pages_alloc(&pp, pp.npages + 1, 1))
		FAIL("bad page request succeeded");
	/* Below a limit (a DMA window's end): the run ends at or below it, or nothing. */
	{
		uintptr_t limit = pp.base + 8 * PAGE_SIZE;
		void *low = pages_alloc_below(&pp, 8, 1, limit);
		if (low != (void *)pp.base)
			FAIL("pages_alloc_below missed the run ending at its limit");
		if (pages_alloc_below(&pp, 1, 1, limit) || pages_alloc_below(&pp, 1, 1, pp.base))
			FAIL("pages_alloc_below went above its limit");
		void *next = pages_alloc_below(&pp, 2, 2, limit + 4 * PAGE_SIZE);
		if (!next || (uintptr_t)next + 2 * PAGE_SIZE > limit + 4 * PAGE_SIZE ||
		    (uintptr_t)next < limit)
			FAIL("pages_alloc_below: %p", next);
		if (pages_free(&pp, low, 8) || pages_free(&pp, next, 2))
			FAIL("pages_alloc_below's pages not freeable");
	}
	for (int round = 0; round < 2000; round++) {
		if (nal < 64 && (nal == 0 || rnd() % 2)) {
			size_t n = 1 + rnd() % 8, align = (size_t)1 << (rnd() % 5);

			p = pages_alloc(&pp, n, align);
			if (!p)
				continue;
			if ((uintptr_t)p % (align * PAGE_SIZE))
				FAIL("page block %p not aligned to %zu pages", p, align);
			for (size_t i = 0; i < nal; i++)
				if ((unsigned char *)p < al[i].p + al[i].n * PAGE_SIZE &&
				    al[i].p < (unsigned char *)p + n * PAGE_SIZE)
					FAIL("page blocks overlap");
			memset(p, 0x5a, n * PAGE_SIZE);
			al[nal].p = p;
			al[nal].n = n;
			nal++;
			used += n;
		} else {
			size_t i = rnd() % nal;

			if (pages_free(&pp, al[i].p, al[i].n))
				FAIL("pages_free refused a live block");
			if (pages_free(&pp, al[i].p, al[i].n) != -1)
				FAIL("double page free accepted");
			used -= al[i].n;
			al[i] = al[--nal];
		}
		check_pages(&pp, used);
	}
	if (pages_free(&pp, mem, 1) != -1 || pages_free(&pp, (char *)pp.base + 1, 1) != -1 ||
	    pages_free(&pp, (char *)pp.base + pp.npages * PAGE_SIZE, 1) != -1)
		FAIL("foreign page pointer accepted");
	while (nal) {
		if (pages_free(&pp, al[nal - 1].p, al[nal - 1].n))
			FAIL("final page free");
		used -= al[nal - 1].n;
		nal--;
	}
	check_pages(&pp, used);
	/* Everything free again: one allocation of the whole pool fits. */
	if (!pages_alloc(&pp, pp.npages, 1))
		FAIL("whole pool not allocatable after freeing");
	free(mem);
}

/* Pools over separate regions: ordinary allocations from the highest pool first,
 * those below a limit from the lowest, frees routed to the pool that owns them. */
static void page_set_test(void)
{
	enum { REGIONS = 3, PAGES = 40 };
	unsigned char *mem[REGIONS];
	struct page_set set = { 0 };
	size_t total, nfree, all = 0;

	for (int i = 0; i < REGIONS; i++) {
		mem[i] = aligned_alloc(PAGE_SIZE, PAGES * PAGE_SIZE);
		if (!mem[i] || page_set_add(&set, (uintptr_t)mem[i], PAGES * PAGE_SIZE))
			FAIL("page_set_add");
	}
	for (size_t i = 1; i < set.n; i++)
		if (set.pool[i - 1].base >= set.pool[i].base)
			FAIL("pools not in ascending order");
	for (size_t i = 0; i < set.n; i++)
		all += set.pool[i].npages;
	page_set_count(&set, &total, &nfree);
	if (set.n != REGIONS || total != all || nfree != all)
		FAIL("page_set_count: %zu/%zu of %zu", nfree, total, all);
	if (page_set_add(&set, (uintptr_t)mem[0], PAGE_SIZE) != -1)
		FAIL("a one-page region became a pool");
	/* Overlapping a pool (its bitmap page, its last page, all of it): refused, and the
	 * pool's bitmap is not touched. */
	memset((void *)set.pool[1].base, 0xa5, PAGE_SIZE);
	if (page_set_add(&set, set.pool[1].base - PAGE_SIZE, 4 * PAGE_SIZE) != -1 ||
	    page_set_add(&set, set.pool[1].base + (set.pool[1].npages - 1) * PAGE_SIZE,
			 8 * PAGE_SIZE) != -1 ||
	    page_set_add(&set, (uintptr_t)set.pool[1].bitmap, PAGES * PAGE_SIZE) != -1 ||
	    page_set_add(&set, UINTPTR_MAX - PAGE_SIZE, 4 * PAGE_SIZE) != -1)
		FAIL("page_set_add took an overlapping or wrapping region");
	if (set.n != REGIONS || page_set_alloc(&set, 1, 1) == NULL)
		FAIL("a refused region changed the set");
	page_set_count(&set, &total, &nfree);
	if (nfree != all - 1 || page_set_free(&set, (void *)set.pool[REGIONS - 1].base, 1))
		FAIL("the set's pages after refused adds");

	struct page_pool *low = &set.pool[0], *high = &set.pool[REGIONS - 1];
	size_t hn = high->npages;
	void *a = page_set_alloc(&set, hn, 1);
	if (a != (void *)high->base)
		FAIL("the first allocation did not come from the highest pool");
	void *b = page_set_alloc(&set, 1, 1);
	if (b != (void *)set.pool[REGIONS - 2].base)
		FAIL("the highest pool full, the next did not serve");
	if (page_set_alloc(&set, all, 1))
		FAIL("a request no pool can hold succeeded");

	/* Below a limit inside the lowest pool: from it, ending at or below the limit. */
	uint64_t limit = low->base + 4 * PAGE_SIZE;
	void *c = page_set_alloc_below(&set, 4, 1, limit);
	if (c != (void *)low->base)
		FAIL("page_set_alloc_below did not take the lowest pool's first pages");
	if (page_set_alloc_below(&set, 1, 1, limit) || page_set_alloc_below(&set, 1, 1, low->base))
		FAIL("page_set_alloc_below went above its limit");
	/* The lowest pool too small for a request: the next pool up, still below the limit. */
	struct page_pool *mid = &set.pool[1];          /* b holds its first page */
	size_t dn = low->npages - 3;                   /* 4 of low's pages are c's */
	void *d = page_set_alloc_below(&set, dn, 1, mid->base + mid->npages * PAGE_SIZE);
	if (d != (void *)(mid->base + PAGE_SIZE))
		FAIL("page_set_alloc_below did not go on to the next pool: %p", d);
	if (page_set_free(&set, d, dn))
		FAIL("page_set_free of the next pool's block");

	if (page_set_free(&set, mem[0] + 3, 1) != -1 || page_set_free(&set, &set, 1) != -1)
		FAIL("page_set_free took a pointer no pool gave out");
	if (page_set_free(&set, a, hn) || page_set_free(&set, b, 1) || page_set_free(&set, c, 4))
		FAIL("page_set_free refused a live block");
	if (page_set_free(&set, b, 1) != -1)
		FAIL("double free across the set accepted");
	page_set_count(&set, &total, &nfree);
	if (nfree != all)
		FAIL("pages lost: %zu of %zu free", nfree, all);

	/* A set holds at most PAGE_SET_MAX pools. */
	unsigned char *more[PAGE_SET_MAX];
	size_t nmore = 0;
	while (set.n < PAGE_SET_MAX) {
		more[nmore] = aligned_alloc(PAGE_SIZE, 4 * PAGE_SIZE);
		if (!more[nmore] || page_set_add(&set, (uintptr_t)more[nmore], 4 * PAGE_SIZE))
			FAIL("page_set_add below the maximum");
		nmore++;
	}
	unsigned char *extra = aligned_alloc(PAGE_SIZE, 4 * PAGE_SIZE);
	if (!extra || page_set_add(&set, (uintptr_t)extra, 4 * PAGE_SIZE) != -1)
		FAIL("page_set_add past PAGE_SET_MAX");
	free(extra);
	while (nmore)
		free(more[--nmore]);
	for (int i = 0; i < REGIONS; i++)
		free(mem[i]);
}

int main(int argc, char **argv)
{
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 12345;
	long ops = argc > 2 ? strtol(argv[2], NULL, 0) : 100000;

	scripted_heap();
	random_heap(seed, ops);
	pages_test(seed);
	page_set_test();
	printf("heap_sim: ok (seed %llu, %ld ops)\n", (unsigned long long)seed, ops);
	return 0;
}
