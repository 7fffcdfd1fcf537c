/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small-object heap: first fit over an address-ordered free list. Every
 * block (free or used) starts with a 16-byte header and the blocks tile the
 * region, so neighbours are found by address and merged on free. Headers
 * carry a magic and a check word tied to their address and size: freeing a
 * pointer that is not a live block (double free, interior or foreign
 * pointer) is detected and refused.
 */
#include <mamoru/heap.h>
#include <mamoru/libc.h>

#define HDR        16u
#define ALIGNMENT  16u
#define MIN_BLOCK  32u            /* header + room for the free-list link */
#define MAGIC_USED 0x6d616c6cu
#define MAGIC_FREE 0x66726565u

struct block {
	size_t size;              /* whole block, header included */
	uint32_t magic;
	uint32_t check;
};

struct free_block {
	struct block hdr;
	struct free_block *next;  /* next free block, higher address */
};

_Static_assert(sizeof(struct block) <= HDR, "block header must fit in HDR");
_Static_assert(sizeof(struct free_block) <= MIN_BLOCK, "free block must fit in MIN_BLOCK");

static uint32_t hdr_check(const struct block *b)
{
	uint64_t s = b->size;

	return (uint32_t)((uintptr_t)b >> 4) ^ (uint32_t)s ^ (uint32_t)(s >> 32) ^ b->magic;
}

static void set_hdr(struct block *b, size_t size, uint32_t magic)
{
	b->size = size;
	b->magic = magic;
	b->check = hdr_check(b);
}

static bool hdr_ok(const struct heap *h, const struct block *b, uint32_t magic)
{
	uintptr_t a = (uintptr_t)b, end = h->base + h->size;

	return b->magic == magic && b->check == hdr_check(b) && b->size >= MIN_BLOCK &&
	       b->size % ALIGNMENT == 0 && b->size <= end - a;
}

static size_t largest_free(const struct heap *h)
{
	const struct free_block *f;
	size_t best = 0;

	for (f = h->free_list; f; f = f->next)
		if (f->hdr.size > best)
			best = f->hdr.size;
	return best ? best - HDR : 0;
}

int heap_init(struct heap *h, void *base, size_t size)
{
	uintptr_t start = (uintptr_t)base, a;

	memset(h, 0, sizeof(*h));
	/* Room for one minimal block after aligning; no sums can wrap. */
	if (!base || size > UINTPTR_MAX - start || size < MIN_BLOCK + ALIGNMENT)
		return -1;
	a = ALIGN_UP(start, (uintptr_t)ALIGNMENT);
	h->base = a;
	h->size = ALIGN_DOWN(start + size - a, (size_t)ALIGNMENT);
	set_hdr((struct block *)a, h->size, MAGIC_FREE);
	((struct free_block *)a)->next = NULL;
	h->free_list = (void *)a;
	h->stats.total = h->size;
	h->stats.free = h->size;
	h->stats.largest_free = h->size - HDR;
	return 0;
}

void *heap_alloc(struct heap *h, size_t size)
{
	struct free_block *prev = NULL, *cur, *rest;
	size_t need;

	if (size == 0)
		return NULL;
	if (size > h->size) {
		h->stats.failures++;
		return NULL;
	}
	need = ALIGN_UP(size, (size_t)ALIGNMENT) + HDR;
	for (cur = h->free_list; cur; prev = cur, cur = cur->next) {
		if (!hdr_ok(h, &cur->hdr, MAGIC_FREE))
			break;   /* corrupted free list: refuse rather than crash */
		if (cur->hdr.size < need)
			continue;
		if (cur->hdr.size - need >= MIN_BLOCK) {
			/* Split: the tail stays free in cur's place in the list. */
			rest = (struct free_block *)((char *)cur + need);
			set_hdr(&rest->hdr, cur->hdr.size - need, MAGIC_FREE);
			rest->next = cur->next;
		} else {
			need = cur->hdr.size;
			rest = cur->next;
		}
		if (prev)
			prev->next = rest;
		else
			h->free_list = rest;
		set_hdr(&cur->hdr, need, MAGIC_USED);
		h->stats.used += need;
		h->stats.free -= need;
		h->stats.allocs++;
		h->stats.live_blocks++;
		h->stats.largest_free = largest_free(h);
		return (char *)cur + HDR;
	}
	h->stats.failures++;
	return NULL;
}

void *heap_zalloc(struct heap *h, size_t size)
{
	void *p = heap_alloc(h, size);

	if (p)
		memset(p, 0, size);
	return p;
}

int heap_free(struct heap *h, void *p)
{
	uintptr_t a = (uintptr_t)p;
	struct free_block *b, *prev = NULL, *next;
	size_t size;

	if (!p)
		return 0;
	if (a % ALIGNMENT || a < h->base + HDR || a - h->base >= h->size)
		return -1;
	b = (struct free_block *)(a - HDR);
	if (!hdr_ok(h, &b->hdr, MAGIC_USED))
		return -1;
	size = b->hdr.size;
	for (next = h->free_list; next && (uintptr_t)next < (uintptr_t)b; next = next->next)
		prev = next;
	set_hdr(&b->hdr, size, MAGIC_FREE);
	b->next = next;
	if (prev)
		prev->next = b;
	else
		h->free_list = b;
	/* Merge with the following and the preceding block when they touch;
	 * the absorbed header is wiped so a stale pointer to it is refused. */
	if (next && (uintptr_t)b + b->hdr.size == (uintptr_t)next) {
		set_hdr(&b->hdr, b->hdr.size + next->hdr.size, MAGIC_FREE);
		b->next = next->next;
		memset(next, 0, sizeof(struct block));
	}
	if (prev && (uintptr_t)prev + prev->hdr.size == (uintptr_t)b) {
		set_hdr(&prev->hdr, prev->hdr.size + b->hdr.size, MAGIC_FREE);
		prev->next = b->next;
		memset(b, 0, sizeof(struct block));
	}
	h->stats.used -= size;
	h->stats.free += size;
	h->stats.frees++;
	h->stats.live_blocks--;
	h->stats.largest_free = largest_free(h);
	return 0;
}

void heap_get_stats(const struct heap *h, struct heap_stats *out)
{
	*out = h->stats;
}

int heap_check(const struct heap *h)
{
	uintptr_t a = h->base, end = h->base + h->size, last_free = 0;
	size_t used = 0, free = 0, live = 0, nfree = 0, listed = 0;
	const struct free_block *f;
	bool prev_free = false;

	while (a < end) {
		const struct block *b = (const struct block *)a;
		bool is_free = hdr_ok(h, b, MAGIC_FREE);

		if (!is_free && !hdr_ok(h, b, MAGIC_USED))
			return -1;
		if (is_free && prev_free)
			return -1;   /* two free neighbours: a missed merge */
		if (is_free) {
			free += b->size;
			nfree++;
		} else {
			used += b->size;
			live++;
		}
		prev_free = is_free;
		a += b->size;
	}
	if (a != end)
		return -1;
	for (f = h->free_list; f; f = f->next) {
		uintptr_t fa = (uintptr_t)f;

		if (++listed > nfree || fa < h->base || fa >= end || fa <= last_free ||
		    !hdr_ok(h, &f->hdr, MAGIC_FREE))
			return -1;
		last_free = fa;
	}
	if (listed != nfree || used != h->stats.used || free != h->stats.free ||
	    live != h->stats.live_blocks || h->stats.total != h->size ||
	    h->stats.largest_free != largest_free(h))
		return -1;
	return 0;
}
