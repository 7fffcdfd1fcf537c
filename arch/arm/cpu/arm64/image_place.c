/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Moving the image above the RAM a board's DMA masters reach (docs/passthrough.md).
 * The Pi firmware loads the image at 0x80000, inside the 1 GiB the Pi 4's legacy
 * bus masters (DWC2 among them) reach: a guest that owns one could rewrite the
 * hypervisor's code and data through it. When the tree describes free RAM above
 * that, the boot CPU copies the image there before anything else runs and enters
 * the copy at _start, which clears its .bss and applies its relocations for the
 * new place (the image is a static PIE). The copy then boots as usual; the RAM it
 * was loaded at stays reserved: its last page holds the firmware mailbox's messages
 * (arch_image_low_page), and a core a loader started at _start would be parked in it
 * (none on the Pis, whose cores wait in the firmware's spin table; such a core, in
 * DMA-reachable code, would undo what the move is for).
 */
#include <arch/cpu.h>
#include <mamoru/board.h>
#include <mamoru/fdt.h>
#include <mamoru/heap.h>
#include <mamoru/mm.h>

#define IMAGE_ALIGN (2ull << 20)

/* Copies [_start, __bss_start) to dst and jumps to dst's _start with x0 = dtb (head.S). */
void __noreturn image_move(uintptr_t dst, uintptr_t dtb);

/* In .data, not .bss: the copy keeps the value the old image set (its .bss is cleared). */
static uintptr_t loaded_at __attribute__((section(".data"))) = 0;

uintptr_t arch_image_loaded_at(void)
{
	return loaded_at;
}

uintptr_t arch_image_low_page(void)
{
	/* The linker script's last page: padding after .bss. */
	return loaded_at ? loaded_at + (uintptr_t)(__image_end - __image_start) - PAGE_SIZE : 0;
}

void arch_image_place(uintptr_t dtb_pa)
{
	struct fdt f;
	uint64_t low_end = board_desc.dma_low_end, best = 0;

	/* mm_discover writes only mm (.bss, cleared again at the new place). Moved only
	 * from wholly inside the window: the page arch_image_low_page gives the firmware
	 * mailbox must be in it. */
	if (loaded_at || !low_end || fdt_init(&f, (const void *)dtb_pa, DTB_MAX_SIZE) ||
	    mm_discover(&f, dtb_pa) || mm.image_base + mm.image_size > low_end)
		return;
	for (size_t i = 0; i < mm.nfree; i++) {
		/* Not above what the EL2 map covers (mmu.c: 39-bit addresses). */
		uint64_t lo = MAX(mm.free[i].base, low_end);
		uint64_t hi = MIN(mm.free[i].base + mm.free[i].size, 1ull << 39);
		if (hi <= lo || hi - lo < mm.image_size + IMAGE_ALIGN)
			continue;
		uint64_t dst = ALIGN_DOWN(hi - mm.image_size, IMAGE_ALIGN);
		if (dst >= lo && dst > best)
			best = dst;
	}
	if (!best)
		return;
	loaded_at = mm.image_base;
	image_move((uintptr_t)best, dtb_pa);
}
