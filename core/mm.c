/* SPDX-License-Identifier: GPL-2.0-only */
/* Physical memory discovery and the global allocators. */
#include <arch/cpu.h>
#include <mamoru/console.h>
#include <mamoru/fdt_cpus.h>
#include <mamoru/heap.h>
#include <mamoru/libc.h>
#include <mamoru/mm.h>

struct mm_info mm;
struct page_set sys_pages;
struct heap sys_heap;

static int reserve(uint64_t base, uint64_t size, const char *what)
{
	int n = regions_subtract(mm.free, mm.nfree, MM_MAX_FREE, base, size);
	if (n < 0) {
		printk("mm: too many memory holes (at %s)\n", what);
		return -1;
	}
	mm.nfree = (size_t)n;
	return 0;
}

/* A 1- or 2-cell big-endian value from a property. */
static bool prop_addr(const struct fdt *fdt, int node, const char *name, uint64_t *out)
{
	int len;
	const uint8_t *p = fdt_getprop(fdt, node, name, &len);
	if (!p || (len != 4 && len != 8))
		return false;
	*out = len == 4 ? fdt32_to_cpu(p) : ((uint64_t)fdt32_to_cpu(p) << 32) | fdt32_to_cpu(p + 4);
	return true;
}

static int discover_ram(const struct fdt *fdt)
{
	mm.nram = 0;
	for (int n = fdt_first_child(fdt, fdt_root(fdt)); n >= 0; n = fdt_next_sibling(fdt, n)) {
		const char *type = fdt_getprop_str(fdt, n, "device_type");
		if (!type || strcmp(type, "memory"))
			continue;
		uint64_t base, size;
		for (int i = 0; fdt_get_reg(fdt, n, i, &base, &size) == 0; i++) {
			if (size == 0)
				continue;
			if (mm.nram == MM_MAX_RAM) {
				printk("mm: more than %d RAM banks; ignoring the rest\n", MM_MAX_RAM);
				return 0;
			}
			mm.ram[mm.nram].base = base;
			mm.ram[mm.nram].size = size;
			mm.nram++;
		}
	}
	return mm.nram ? 0 : -1;
}

int mm_discover(const struct fdt *fdt, uintptr_t dtb_pa)
{
	if (discover_ram(fdt)) {
		printk("mm: the device tree describes no RAM (no memory node with a usable reg)\n");
		return -1;
	}
	memcpy(mm.free, mm.ram, sizeof(mm.ram[0]) * mm.nram);
	mm.nfree = mm.nram;

	mm.image_base = (uintptr_t)__image_start;
	mm.image_size = (uintptr_t)__image_end - (uintptr_t)__image_start;
	mm.dtb_base = dtb_pa;
	mm.dtb_size = fdt->totalsize;
	if (reserve(mm.image_base, mm.image_size, "image") || reserve(mm.dtb_base, mm.dtb_size, "dtb"))
		return -1;
	/* Where the loader put the image before it was moved (arch_image_place): a core
	 * that entered there may still be parked in it. */
	if (arch_image_loaded_at() && reserve(arch_image_loaded_at(), mm.image_size, "image as loaded"))
		return -1;

	for (int i = 0; i < fdt_num_mem_rsv(fdt); i++) {
		uint64_t base, size;
		if (fdt_get_mem_rsv(fdt, i, &base, &size) == 0 && reserve(base, size, "memreserve"))
			return -1;
	}
	int rm = fdt_path_offset(fdt, "/reserved-memory");
	for (int n = rm >= 0 ? fdt_first_child(fdt, rm) : -1; n >= 0; n = fdt_next_sibling(fdt, n)) {
		uint64_t base, size;
		for (int i = 0; fdt_get_reg(fdt, n, i, &base, &size) == 0; i++)
			if (reserve(base, size, fdt_node_name(fdt, n)))
				return -1;
	}
	int chosen = fdt_path_offset(fdt, "/chosen");
	uint64_t start, end;
	if (chosen >= 0 && prop_addr(fdt, chosen, "linux,initrd-start", &start) &&
	    prop_addr(fdt, chosen, "linux,initrd-end", &end) && end > start) {
		mm.initrd_base = start;
		mm.initrd_size = end - start;
		if (reserve(start, end - start, "initrd"))
			return -1;
	}
	/* The page of every spin-table release slot: a secondary core that was not moved
	 * into the hypervisor (arch_park_secondaries refused it, or it did not come) keeps
	 * polling its slot, and would jump to whatever a guest wrote there. On the Pis
	 * the slots are in page 0 (0xd8-0xf0), reserved below anyway; this holds wherever
	 * a firmware puts them. */
	uint64_t slot;
	for (int n = -1; (n = fdt_next_release_slot(fdt, n, &slot)) >= 0; ) {
		uint64_t page = ALIGN_DOWN(slot, PAGE_SIZE);
		if (slot < UINT64_MAX - 2 * PAGE_SIZE && reserve(page, ALIGN_UP(slot + 8, PAGE_SIZE) - page,
					       "spin-table release slot"))
			return -1;
	}
	/* The exception vectors' and firmware's low page stays out of use. */
	return reserve(0, PAGE_SIZE, "page 0");
}

/* The page allocator manages every free region (the PAGE_SET_MAX largest, if there
 * are more), so a board whose RAM comes in banks (a Pi 4 with more than 1 GiB) has
 * all of it, and its low bank for the guests whose DMA needs it. Regions under
 * POOL_MIN besides the largest are left alone: they would hold no guest's RAM and
 * cost a bitmap page each. */
#define POOL_MIN (2u << 20)

int mm_init(void)
{
	struct mem_region left[MM_MAX_FREE];
	size_t nleft = mm.nfree;

	memcpy(left, mm.free, sizeof(left[0]) * nleft);
	while (nleft && sys_pages.n < PAGE_SET_MAX) {
		int big = regions_largest(left, nleft);
		struct mem_region r = left[big];
		left[big] = left[--nleft];
		if (sys_pages.n && r.size < POOL_MIN)
			break;                          /* the rest are smaller still */
		/* Beyond what the CPU addresses (a bank above 4 GiB on ARMv5), or overlapping
		 * a region already managed (RAM banks that overlap in the tree). */
		if (r.base > UINTPTR_MAX || r.size > UINTPTR_MAX - r.base ||
		    page_set_add(&sys_pages, (uintptr_t)r.base, (size_t)r.size))
			printk("mm: free RAM 0x%llx-0x%llx not managed (out of reach or overlapping)\n",
			       (unsigned long long)r.base, (unsigned long long)(r.base + r.size - 1));
	}
	if (!sys_pages.n) {
		printk("mm: no free RAM for the page allocator\n");
		return -1;
	}
	size_t heap_pages = (size_t)CONFIG_HEAP_SIZE_KB * 1024 / PAGE_SIZE;
	void *heap = page_set_alloc(&sys_pages, heap_pages, 1);
	if (!heap || heap_init(&sys_heap, heap, heap_pages * PAGE_SIZE)) {
		printk("mm: cannot set up a %d KiB heap\n", CONFIG_HEAP_SIZE_KB);
		return -1;
	}
	return 0;
}

void *kmalloc(size_t size) { return heap_alloc(&sys_heap, size); }
void *kzalloc(size_t size) { return heap_zalloc(&sys_heap, size); }

void kfree(void *p)
{
	if (heap_free(&sys_heap, p))
		printk("kfree: %p is not a live heap block\n", p);
}
