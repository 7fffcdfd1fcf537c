/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Creating a guest on ARMv5 (arch/guest_setup.h): a raw 32-bit ARM Linux Image (patched by
 * ./mamoru patch-guest), loaded 32 KiB into guest RAM; memory translated by the shadow
 * MMU (virt/shadow_mmu.c), whose tables come from the page allocator; the v5 vCPU at the
 * kernel's entry as the ARM Linux boot protocol wants it (SVC, IRQs and FIQs masked, MMU
 * and caches off, r0 = 0, r1 = machine number, r2 = the device tree).
 */
#include <arch/cpu.h>
#include <arch/guest_setup.h>
#include <mamoru/console.h>
#include <mamoru/guest.h>
#include <mamoru/heap.h>
#include <mamoru/libc.h>
#include "cp15.h"
#include "guest_trap.h"

#define KERNEL_OFFSET 0x8000u       /* TEXT_OFFSET of ARM Linux: the Image runs from here */
#define BSS_ALLOWANCE (4u << 20)    /* a raw Image says nothing of its .bss: room kept for it */
#define MACHINE_DT 0xffffffffu      /* r1: "no machine number, use the device tree" */
#define ROOTS 4u                    /* cached shadow level 1 tables (16 KiB each) */
#define L2_TABLES 256u              /* shadow coarse tables (1 KiB each) */
#define ZIMAGE_MAGIC 0x016f2818u    /* at offset 0x24 of a zImage: refused (not patchable) */
#define PAGES(bytes) (((bytes) + PAGE_SIZE - 1) / PAGE_SIZE)

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

const char *arch_guest_kernel(const uint8_t *kernel, size_t size, uint64_t *text_offset,
			      uint64_t *image_size)
{
	if (!kernel || size < 64)
		return "kernel is missing or too small";
	if (le32(kernel + 0x24) == ZIMAGE_MAGIC)
		return "kernel is a zImage: give the patched raw Image (./mamoru patch-guest)";
	if (le32(kernel + 0x38) == 0x644d5241u)
		return "kernel is an arm64 Image: this board runs 32-bit ARM guests";
	*text_offset = KERNEL_OFFSET;
	*image_size = ALIGN_UP((uint64_t)size, PAGE_SIZE) + BSS_ALLOWANCE;
	return NULL;
}

/* Guest-physical space is 32 bits; the devices sit at 0x10000000 and up. */
unsigned arch_guest_max_vcpus(void)
{
	return ARCH_GUEST_VCPUS;
}

uint64_t arch_guest_ipa_limit(void)
{
	return 0x10000000u;
}

static void tlb_flush_all(void *ctx)
{
	(void)ctx;
	cp15_tlb_inval_all(0);
}

static void tlb_flush_mva(void *ctx, uint32_t va)
{
	(void)ctx;
	__asm__ volatile("mcr p15, 0, %0, c8, c7, 1" : : "r"(va & ~0xfffu) : "memory");
}

static size_t mmu_pages(void)
{
	return PAGES(sizeof(struct shadow_mmu));
}

int arch_guest_init(struct guest *g)
{
	struct arch_guest *a = &g->arch;
	a->mmu = page_set_alloc(&sys_pages, mmu_pages(), 1);
	a->l1 = page_set_alloc(&sys_pages, PAGES(ROOTS * 16384u), 4);      /* 16 KiB aligned */
	a->l2 = page_set_alloc(&sys_pages, PAGES(L2_TABLES * 1024u), 1);
	if (!a->mmu || !a->l1 || !a->l2)
		return -1;
	a->hooks = (struct v5_mmu_hooks){
		.ctx = a->mmu,
		.ttbr_write = shadow_ttbr_write,
		.dacr_write = shadow_dacr_write,
		.control_write = shadow_control_write,
		.tlb_op = shadow_tlb_op,
		.mode_change = shadow_mode_change,
		.fcse_write = shadow_fcse_write,
	};
	return 0;
}

int arch_guest_map_ram(struct guest *g)
{
	/* Done at each reset (arch_guest_reset): the shadow MMU needs the device windows,
	 * which the emulators add after this. Here only what cannot change is checked. */
	return g->ram_ipa + g->ram_size <= arch_guest_ipa_limit() ? 0 : -1;
}

void arch_guest_free(struct guest *g)
{
	struct arch_guest *a = &g->arch;
	if (a->mmu)
		page_set_free(&sys_pages, a->mmu, mmu_pages());
	if (a->l1)
		page_set_free(&sys_pages, a->l1, PAGES(ROOTS * 16384u));
	if (a->l2)
		page_set_free(&sys_pages, a->l2, PAGES(L2_TABLES * 1024u));
	a->mmu = NULL;
	a->l1 = NULL;
	a->l2 = NULL;
}

/* A fresh shadow MMU (MMU off) with the guest's RAM, its device windows, the world
 * switch's page in the window and at VA 0. */
static int shadow_setup(struct guest *g)
{
	struct arch_guest *a = &g->arch;
	struct shadow_config cfg = {
		.ram = {.gpa_base = (uint32_t)g->ram_ipa, .size = (uint32_t)g->ram_size,
			.host = (uint8_t *)g->ram_host, .host_pa = (uint32_t)g->ram_host},
		.win_base = ARM32_GUEST_WINDOW, .win_size = 1u << 20,
		.win_l1 = &arm32_hyp_l1()[ARM32_GUEST_WINDOW >> 20],
		.pin = true, .pin_va = 0,
		.pin_desc = (uint32_t)(uintptr_t)arm32_trap_page | 0x2u | 0xcu | (0x55u << 4),
		.l1 = a->l1, .l1_pa = (uint32_t)(uintptr_t)a->l1, .nroots = ROOTS,
		.l2 = a->l2, .l2_pa = (uint32_t)(uintptr_t)a->l2, .nl2 = L2_TABLES,
		.tlb_flush_all = tlb_flush_all, .tlb_flush_mva = tlb_flush_mva,
	};
	for (unsigned i = 0; i < g->nvdevs && cfg.nmmio < SHADOW_MAX_MMIO; i++)
		cfg.mmio[cfg.nmmio++] = (struct shadow_range){(uint32_t)g->vdevs[i].base,
							      (uint32_t)g->vdevs[i].size};
	return shadow_init(a->mmu, &cfg);
}

void arch_guest_reset(struct guest *g, uint64_t entry, uint64_t dtb)
{
	struct arch_guest *a = &g->arch;
	if (shadow_setup(g)) {
		printk("%s: the shadow MMU refused its configuration\n", g->name);
		a->broken = true;
	}
	v5_vcpu_reset(&a->vcpu, &a->hooks);
	a->vcpu.r[0] = 0;
	a->vcpu.r[1] = MACHINE_DT;
	a->vcpu.r[2] = (uint32_t)dtb;
	a->vcpu.r[15] = (uint32_t)entry;
	memset(a->traps, 0, sizeof(a->traps));
	a->next_timer_ns = 0;
}

/* No passthrough on ARMv5: the guest's device accesses are all emulated. */
int arch_guest_map_device(struct guest *g, uint64_t ipa, uint64_t pa, uint64_t size)
{
	(void)g, (void)ipa, (void)pa, (void)size;
	return -1;
}

/* The IDS write protection needs a stage 2: ARMv5 has none (yet: the shadow tables could
 * refuse the writes, not done). */
int arch_guest_set_write(struct guest *g, uint64_t ipa, uint64_t size, bool writable)
{
	(void)g;
	(void)ipa;
	(void)size;
	return writable ? 0 : -1;
}
