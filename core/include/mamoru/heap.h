/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Memory allocators. A page allocator (bitmap over a range of 4 KiB pages,
 * for page tables and guest memory) and a small-object heap (first fit with
 * coalescing, for everything else). Both keep statistics for `meminfo`.
 * They work on a region handed to them, so the host unit tests drive the
 * same code over a malloc'd buffer.
 */
#ifndef MAMORU_HEAP_H
#define MAMORU_HEAP_H

#include <mamoru/types.h>

#define PAGE_SIZE 4096u

struct page_pool {
	uintptr_t base;        /* first page (page aligned) */
	size_t npages;
	size_t free_pages;
	uint64_t *bitmap;      /* 1 = used; lives inside the pool's own pages */
	size_t allocs, frees, failures;
};

/* Manages the pages in [start, start+size) (rounded inwards to pages). The
 * bitmap is carved from the start of the region. Returns 0 or -1 if the
 * region is too small. */
int pages_init(struct page_pool *pool, uintptr_t start, size_t size);
/* n contiguous pages, aligned to align_pages (a power of two, 0 or 1 = any);
 * NULL when none are free. */
void *pages_alloc(struct page_pool *pool, size_t n, size_t align_pages);
/* The same, the pages ending at or below physical address limit (a device's DMA
 * window); NULL when no such run is free. */
void *pages_alloc_below(struct page_pool *pool, size_t n, size_t align_pages, uint64_t limit);
/* Returns -1 (and changes nothing) if the range was not allocated from pool. */
int pages_free(struct page_pool *pool, void *p, size_t n);

/* Pools over several RAM regions (ascending addresses). page_set_alloc tries the
 * highest pool first, page_set_alloc_below the lowest first: low RAM, the part DMA
 * masters reach on the Pis, is kept for what must be there. */
#define PAGE_SET_MAX 8
struct page_set {
	struct page_pool pool[PAGE_SET_MAX];
	size_t n;
};

/* Adds a pool over [start, start+size); -1 (nothing written) if the set is full, the
 * region too small, wrapping, or overlapping a pool of the set. */
int page_set_add(struct page_set *set, uintptr_t start, size_t size);
void *page_set_alloc(struct page_set *set, size_t n, size_t align_pages);
void *page_set_alloc_below(struct page_set *set, size_t n, size_t align_pages, uint64_t limit);
/* -1 (and nothing changes) if the range was not allocated from one of the set's pools. */
int page_set_free(struct page_set *set, void *p, size_t n);
/* Pages managed and pages free over all pools. */
void page_set_count(const struct page_set *set, size_t *total, size_t *free);

struct heap_stats {
	size_t total;          /* bytes managed */
	size_t used;           /* bytes in allocated blocks, headers included */
	size_t free;
	size_t largest_free;   /* largest allocation that would succeed now */
	size_t allocs, frees, failures;
	size_t live_blocks;
};

struct heap {
	uintptr_t base;
	size_t size;
	void *free_list;
	struct heap_stats stats;
};

int heap_init(struct heap *h, void *base, size_t size);
/* 16-byte aligned; NULL on size 0 or when no block fits. */
void *heap_alloc(struct heap *h, size_t size);
void *heap_zalloc(struct heap *h, size_t size);
/* Freeing NULL does nothing; a pointer that is not a live block of h is
 * detected (header check) and rejected with -1. */
int heap_free(struct heap *h, void *p);
void heap_get_stats(const struct heap *h, struct heap_stats *out);
/* Walks every block and the free list checking headers, tiling, ordering,
 * coalescing and the statistics. 0 if consistent, else -1. */
int heap_check(const struct heap *h);

/* The hypervisor's global instances (set up by core/mm.c). */
extern struct page_set sys_pages;
extern struct heap sys_heap;
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);

#endif
