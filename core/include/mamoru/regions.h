/* SPDX-License-Identifier: GPL-2.0-only */
/* Physical memory regions: lists of [base, base+size) ranges. */
#ifndef MAMORU_REGIONS_H
#define MAMORU_REGIONS_H

#include <mamoru/types.h>

struct mem_region {
	uint64_t base, size;
};

/* Removes [base, base+size) from the list (splitting a region in two when
 * the hole is inside it). Returns the new count, or -1 if a split would
 * need more than max entries (the list is then unchanged). */
int regions_subtract(struct mem_region *r, size_t n, size_t max, uint64_t base, uint64_t size);
/* Index of the largest region, -1 if the list is empty. */
int regions_largest(const struct mem_region *r, size_t n);

#endif
