/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Data cache maintenance. A guest kernel starts with its MMU and caches off
 * and reads memory directly, so whatever the hypervisor wrote there through
 * its cached mapping (the kernel, initrd and DTB) must be written back to the
 * point of coherency first (the arm64 boot protocol asks the same of any
 * loader). QEMU has no caches, so only real hardware shows the difference.
 */
#include <arch/cpu.h>
#include <arch/sysreg.h>

void dcache_clean_inval_range(const void *start, size_t size)
{
	uint64_t ctr = read_sysreg(ctr_el0);
	uintptr_t line = 4u << ((ctr >> 16) & 0xf);     /* DminLine: log2 of words */
	uintptr_t p = (uintptr_t)start & ~(line - 1), end = (uintptr_t)start + size;
	for (; p < end; p += line)
		__asm__ volatile("dc civac, %0" : : "r"(p) : "memory");
	dsb_sy();
}

void icache_invalidate_all(void)
{
	/* Inner shareable: the cores that ran a guest's previous boot too. */
	__asm__ volatile("ic ialluis\n\tdsb sy\n\tisb" ::: "memory");
}
