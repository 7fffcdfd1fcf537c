/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Page allocator: one bit per 4 KiB page (1 = used), the bitmap stored in
 * the first pages of the region it manages. Freeing checks the range is
 * inside the pool and fully allocated; it cannot tell two neighbouring
 * allocations from one, as no allocation boundaries are recorded.
 */
#include <mamoru/heap.h>
#include <mamoru/libc.h>

#define BITS 64u

static bool page_used(const struct page_pool *p, size_t i)
{
	return (p->bitmap[i / BITS] >> (i % BITS)) & 1u;
}

static void mark(struct page_pool *p, size_t first, size_t n, bool used)
{
	size_t i;

	for (i = first; i < first + n; i++) {
		uint64_t bit = (uint64_t)1 << (i % BITS);

		if (used)
			p->bitmap[i / BITS] |= bit;
		else
			p->bitmap[i / BITS] &= ~bit;
	}
}

int pages_init(struct page_pool *pool, uintptr_t start, size_t size)
{
	uintptr_t first, end;
	size_t total, bm_pages;

	memset(pool, 0, sizeof(*pool));
	if (size > UINTPTR_MAX - start || start > UINTPTR_MAX - (PAGE_SIZE - 1))
		return -1;
	first = ALIGN_UP(start, (uintptr_t)PAGE_SIZE);
	end = ALIGN_DOWN(start + size, (uintptr_t)PAGE_SIZE);
	if (end <= first)
		return -1;
	total = (end - first) / PAGE_SIZE;
	/* Sized for all pages of the region: a little more than needed. */
	bm_pages = ((total + BITS - 1) / BITS * sizeof(uint64_t) + PAGE_SIZE - 1) / PAGE_SIZE;
	if (bm_pages >= total)
		return -1;
	pool->bitmap = (uint64_t *)first;
	pool->base = first + bm_pages * PAGE_SIZE;
	pool->npages = total - bm_pages;
	pool->free_pages = pool->npages;
	memset(pool->bitmap, 0, (pool->npages + BITS - 1) / BITS * sizeof(uint64_t));
	return 0;
}

void *pages_alloc(struct page_pool *pool, size_t n, size_t align_pages)
{
	return pages_alloc_below(pool, n, align_pages, UINT64_MAX);
}

void *pages_alloc_below(struct page_pool *pool, size_t n, size_t align_pages, uint64_t limit)
{
	size_t i, j, align = align_pages ? align_pages : 1;
	size_t base_pfn = pool->base / PAGE_SIZE;

	if (n == 0 || n > pool->free_pages || (align & (align - 1))) {
		pool->failures++;
		return NULL;
	}
	/* First index whose physical page number is a multiple of align. */
	i = (align - base_pfn % align) % align;
	while (i < pool->npages && n <= pool->npages - i) {
		/* The first candidate ending above limit ends the search: later ones do too. */
		if ((uint64_t)pool->base + (uint64_t)(i + n) * PAGE_SIZE > limit)
			break;
		for (j = 0; j < n && !page_used(pool, i + j); j++)
			;
		if (j == n) {
			mark(pool, i, n, true);
			pool->free_pages -= n;
			pool->allocs++;
			return (void *)(pool->base + i * PAGE_SIZE);
		}
		/* Page i+j is used: the next candidate is aligned and after it. */
		i = ALIGN_UP(base_pfn + i + j + 1, align) - base_pfn;
	}
	pool->failures++;
	return NULL;
}

int pages_free(struct page_pool *pool, void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;
	size_t first, i;

	if (!p || n == 0 || a < pool->base || (a - pool->base) % PAGE_SIZE)
		return -1;
	first = (a - pool->base) / PAGE_SIZE;
	if (first >= pool->npages || n > pool->npages - first)
		return -1;
	for (i = first; i < first + n; i++)
		if (!page_used(pool, i))
			return -1;
	mark(pool, first, n, false);
	pool->free_pages += n;
	pool->frees++;
	return 0;
}

/*
 * A set of pools, one per free RAM region, kept in ascending order of address.
 * Ordinary allocations try the highest pool first and those below a limit the
 * lowest first: on a Pi 4 with more than 1 GiB, RAM below 1 GiB is what its DMA
 * masters reach, so it stays free for guests whose devices need it, and the
 * hypervisor's own allocations (its heap, translation tables) and other guests'
 * RAM lie above, out of those masters' reach (docs/passthrough.md).
 */
int page_set_add(struct page_set *set, uintptr_t start, size_t size)
{
	struct page_pool pool;
	size_t i;

	if (set->n == PAGE_SET_MAX || size > UINTPTR_MAX - start)
		return -1;
	/* Overlapping pools would hand out the same pages (and the second's bitmap would
	 * be written over the first's pages): refused before anything is written. */
	for (i = 0; i < set->n; i++) {
		const struct page_pool *p = &set->pool[i];
		uintptr_t lo = (uintptr_t)p->bitmap, hi = p->base + p->npages * PAGE_SIZE;
		if (start < hi && lo < start + size)
			return -1;
	}
	if (pages_init(&pool, start, size))
		return -1;
	for (i = set->n; i > 0 && set->pool[i - 1].base > pool.base; i--)
		set->pool[i] = set->pool[i - 1];
	set->pool[i] = pool;
	set->n++;
	return 0;
}

void *page_set_alloc(struct page_set *set, size_t n, size_t align_pages)
{
	for (size_t i = set->n; i > 0; i--) {
		void *p = pages_alloc(&set->pool[i - 1], n, align_pages);
		if (p)
			return p;
	}
	return NULL;
}

void *page_set_alloc_below(struct page_set *set, size_t n, size_t align_pages, uint64_t limit)
{
	for (size_t i = 0; i < set->n && set->pool[i].base < limit; i++) {
		void *p = pages_alloc_below(&set->pool[i], n, align_pages, limit);
		if (p)
			return p;
	}
	return NULL;
}

int page_set_free(struct page_set *set, void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;

	for (size_t i = 0; i < set->n; i++) {
		struct page_pool *pool = &set->pool[i];
		if (a >= pool->base && a - pool->base < pool->npages * (uintptr_t)PAGE_SIZE)
			return pages_free(pool, p, n);
	}
	return -1;
}

void page_set_count(const struct page_set *set, size_t *total, size_t *free)
{
	*total = *free = 0;
	for (size_t i = 0; i < set->n; i++) {
		*total += set->pool[i].npages;
		*free += set->pool[i].free_pages;
	}
}
