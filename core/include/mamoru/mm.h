/* SPDX-License-Identifier: GPL-2.0-only */
/* The hypervisor's view of physical memory, built from the device tree. */
#ifndef MAMORU_MM_H
#define MAMORU_MM_H

#include <mamoru/fdt.h>
#include <mamoru/regions.h>

#define MM_MAX_RAM 8
#define MM_MAX_FREE 48

struct mm_info {
	struct mem_region ram[MM_MAX_RAM];
	size_t nram;
	struct mem_region free[MM_MAX_FREE];   /* RAM nobody else uses */
	size_t nfree;
	uint64_t image_base, image_size;
	uint64_t dtb_base, dtb_size;
	uint64_t initrd_base, initrd_size;
};

extern struct mm_info mm;

/* Reads RAM and every reservation (image, where it was loaded when arch_image_place
 * moved it, DTB, /memreserve/, /reserved-memory,
 * initrd, the pages of the CPUs' spin-table release slots, page 0) from the device
 * tree. Prints and returns -1 on unusable input. */
int mm_discover(const struct fdt *fdt, uintptr_t dtb_pa);
/* Sets up the page pools over the free regions and the heap in them. */
int mm_init(void);

#endif
