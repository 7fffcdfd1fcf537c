/* SPDX-License-Identifier: GPL-2.0-only */
/* `meminfo`: RAM, the image, and the allocators' statistics. */
#include <arch/cpu.h>
#include <mamoru/command.h>
#include <mamoru/heap.h>
#include <mamoru/mm.h>

static int cmd_meminfo(struct console *con, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return CMD_USAGE;
	struct heap_stats hs;
	heap_get_stats(&sys_heap, &hs);
	uint64_t ram = 0, free = 0;
	for (size_t i = 0; i < mm.nram; i++)
		ram += mm.ram[i].size;
	for (size_t i = 0; i < mm.nfree; i++)
		free += mm.free[i].size;

	con_printf(con, "ram: %llu bytes in %zu bank(s)\n", (unsigned long long)ram, mm.nram);
	con_printf(con, "image: %llu bytes at 0x%llx (text %llu, rodata %llu, data+bss %llu)\n",
		   (unsigned long long)mm.image_size, (unsigned long long)mm.image_base,
		   (unsigned long long)((uintptr_t)__text_end - (uintptr_t)__image_start),
		   (unsigned long long)((uintptr_t)__rodata_end - (uintptr_t)__text_end),
		   (unsigned long long)((uintptr_t)__image_end - (uintptr_t)__rodata_end));
	con_printf(con, "free ram: %llu bytes in %zu region(s)\n", (unsigned long long)free, mm.nfree);
	size_t pages, free_pages;
	page_set_count(&sys_pages, &pages, &free_pages);
	con_printf(con, "pages total: %zu\npages free: %zu\n", pages, free_pages);
	for (size_t i = 0; i < sys_pages.n; i++) {
		const struct page_pool *p = &sys_pages.pool[i];
		con_printf(con, "  pool 0x%llx-0x%llx: %zu pages, %zu free\n", (unsigned long long)p->base,
			   (unsigned long long)(p->base + p->npages * PAGE_SIZE - 1), p->npages,
			   p->free_pages);
	}
	con_printf(con, "heap at 0x%llx\n", (unsigned long long)sys_heap.base);
	con_printf(con, "heap total: %zu\nheap used: %zu\nheap free: %zu\nheap largest free: %zu\n",
		   hs.total, hs.used, hs.free, hs.largest_free);
	con_printf(con, "heap allocs: %zu frees: %zu failures: %zu live: %zu\n", hs.allocs, hs.frees,
		   hs.failures, hs.live_blocks);
	return CMD_OK;
}

static const struct command meminfo_cmd = {
	.name = "meminfo",
	.summary = "show RAM, image size and allocator statistics",
	.usage = "meminfo",
	.exec = cmd_meminfo,
};
COMMAND(meminfo_cmd);
