/* SPDX-License-Identifier: GPL-2.0-only */
#include <mamoru/regions.h>

int regions_subtract(struct mem_region *r, size_t n, size_t max, uint64_t base, uint64_t size)
{
	if (size == 0)
		return (int)n;
	uint64_t hole_end = base + size < base ? UINT64_MAX : base + size;

	/* A hole strictly inside one region splits it: check room first. */
	size_t splits = 0;
	for (size_t i = 0; i < n; i++)
		if (base > r[i].base && hole_end < r[i].base + r[i].size)
			splits++;
	if (n + splits > max)
		return -1;

	size_t out = n;
	for (size_t i = 0; i < n; i++) {
		uint64_t start = r[i].base, end = r[i].base + r[i].size;
		if (hole_end <= start || base >= end)
			continue;                       /* no overlap */
		if (base > start && hole_end < end) {   /* split */
			r[out].base = hole_end;
			r[out].size = end - hole_end;
			out++;
			r[i].size = base - start;
		} else if (base <= start && hole_end >= end) {
			r[i].size = 0;                  /* swallowed */
		} else if (base <= start) {
			r[i].base = hole_end;           /* cut the front */
			r[i].size = end - hole_end;
		} else {
			r[i].size = base - start;       /* cut the back */
		}
	}
	/* Drop emptied regions. */
	size_t k = 0;
	for (size_t i = 0; i < out; i++)
		if (r[i].size)
			r[k++] = r[i];
	return (int)k;
}

int regions_largest(const struct mem_region *r, size_t n)
{
	int best = -1;
	for (size_t i = 0; i < n; i++)
		if (best < 0 || r[i].size > r[best].size)
			best = (int)i;
	return best;
}
