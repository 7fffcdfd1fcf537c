/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Cache maintenance on the ARM926EJ-S: virtually indexed, virtually tagged
 * caches with 32-byte lines. Data lines are written back and invalidated by
 * virtual address (the hypervisor's mapping is an identity map, so that is the
 * physical address too); the write buffer is drained afterwards so the data
 * has reached memory.
 */
#include <arch/cpu.h>
#include "cp15.h"

#define CACHE_LINE 32u

void dcache_clean_inval_range(const void *start, size_t size)
{
	uintptr_t p = (uintptr_t)start & ~(uintptr_t)(CACHE_LINE - 1);
	uintptr_t end = (uintptr_t)start + size;
	for (; p < end; p += CACHE_LINE)
		cp15_dcache_clean_inval_mva(p);
	cp15_drain_write_buffer(0);
}

void icache_invalidate_all(void)
{
	cp15_icache_inval_all(0);
}
