/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Creating a guest, the CPU side: what core/guest.c asks of the architecture while it
 * sets a guest up and resets it. Core owns the guest's RAM (it allocates it and loads the
 * images); the architecture owns everything in struct arch_guest (arch/guest_arch.h,
 * one per CPU architecture under arch/arm/cpu/<arch>/include): the translation of guest
 * memory (stage 2 on arm64, shadow page tables on ARMv5) and the vCPU.
 */
#ifndef ARCH_GUEST_SETUP_H
#define ARCH_GUEST_SETUP_H

#include <mamoru/types.h>

struct guest;

/* Checks that kernel[0..size) is a kernel image this CPU boots and says where it goes:
 * *text_offset, its offset from the start of guest RAM, and *image_size, the memory it
 * needs from there (at least size). NULL, or why not. */
const char *arch_guest_kernel(const uint8_t *kernel, size_t size, uint64_t *text_offset,
			      uint64_t *image_size);
/* Guest-physical addresses must be below this. */
uint64_t arch_guest_ipa_limit(void);
/* How many vCPUs a guest may have here (the cpu nodes of its device tree). */
unsigned arch_guest_max_vcpus(void);
/* Prepares g->arch (after core zeroed it): 0, or -1 when out of memory. */
int arch_guest_init(struct guest *g);
/* Makes guest RAM (g->ram_ipa, g->ram_size at host g->ram_host) reachable by the guest. */
int arch_guest_map_ram(struct guest *g);
/* Maps host device registers [pa, pa + size) (page aligned) at ipa for the guest:
 * device memory, never executable (passthrough). 0, or -1 when this CPU cannot. */
int arch_guest_map_device(struct guest *g, uint64_t ipa, uint64_t pa, uint64_t size);
/* Puts the vCPU at the kernel's entry, as the boot protocol wants it (dtb: the device
 * tree's guest-physical address), with its MMU off. */
void arch_guest_reset(struct guest *g, uint64_t entry, uint64_t dtb);
/* Returns what arch_guest_init/map_ram took (a guest that failed to set up). */
void arch_guest_free(struct guest *g);
/* Makes [ipa, ipa + size) of guest RAM read-only (writable false) or writable again for
 * the guest (core/guest_wp.c): 0, or -1 when this CPU cannot (or the range is bad). */
int arch_guest_set_write(struct guest *g, uint64_t ipa, uint64_t size, bool writable);

#endif
