/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where a guest's images go in its RAM, worked out without touching memory
 * so that it can be checked (and fuzzed) on its own: kernel at RAM base +
 * text_offset, device tree at the start of the top 2 MiB, initrd just below
 * it. Every accepted layout lies inside RAM and nothing overlaps; anything
 * else is refused with a message, never wrapped around.
 */
#ifndef MAMORU_GUEST_LAYOUT_H
#define MAMORU_GUEST_LAYOUT_H

#include <mamoru/types.h>

#define GUEST_DTB_AREA (2ull << 20)      /* the arm64 boot protocol's DTB limit */
#define GUEST_RAM_ALIGN (2ull << 20)
#define GUEST_RAM_MIN (16 * GUEST_DTB_AREA)
#define GUEST_RAM_MAX (1ull << 30)

struct guest_layout_in {
	uint64_t ram_ipa, ram_size;
	uint64_t text_offset, image_size;    /* from the Image header */
	uint64_t kernel_size, initrd_size, dtb_size;   /* the files */
};

/* Offsets from the RAM base (the guest-physical address is ram_ipa + offset). */
struct guest_layout {
	uint64_t kernel, kernel_end;         /* kernel_end: text_offset + image_size (bss too) */
	uint64_t initrd, dtb;
};

/* Checks the guest's RAM from its device tree against what stage 2 can map
 * (ipa_limit: 1 << IPA bits); NULL when fine, else why not. */
const char *guest_ram_check(uint64_t ram_ipa, uint64_t ram_size, uint64_t ipa_limit);
/* Places the images; NULL on success, else why they do not fit. */
const char *guest_layout(const struct guest_layout_in *in, struct guest_layout *out);
/* Fills guest RAM (ram, ram_size bytes, 8-byte aligned) for a boot: the
 * images at their places and zero everywhere else, so nothing of an earlier
 * boot (or of whoever had the memory before) stays visible. */
void guest_layout_load(uint8_t *ram, uint64_t ram_size, const struct guest_layout *l,
		       const uint8_t *kernel, uint64_t kernel_size, const uint8_t *initrd,
		       uint64_t initrd_size, const uint8_t *dtb, uint64_t dtb_size);

#endif
