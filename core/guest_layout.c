/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest image placement (see guest_layout.h). All arithmetic is on offsets
 * into RAM, each step checked against what is left, so a hostile Image
 * header or device tree cannot make a sum wrap around.
 */
#include <mamoru/guest_layout.h>
#include <mamoru/libc.h>

#define PAGE 4096ull

const char *guest_ram_check(uint64_t ram_ipa, uint64_t ram_size, uint64_t ipa_limit)
{
	if (ram_size < GUEST_RAM_MIN || ram_size > GUEST_RAM_MAX || ram_ipa % GUEST_RAM_ALIGN ||
	    ram_size % GUEST_RAM_ALIGN || ram_ipa > ipa_limit || ram_size > ipa_limit - ram_ipa)
		return "guest RAM must be 32 MiB to 1 GiB, 2 MiB aligned, below 512 GiB";
	return NULL;
}

const char *guest_layout(const struct guest_layout_in *in, struct guest_layout *out)
{
	uint64_t image_size = in->image_size ? in->image_size : in->kernel_size; /* pre-3.17: none */
	if (in->ram_size < GUEST_RAM_MIN)
		return "guest RAM is too small";
	if (in->dtb_size > GUEST_DTB_AREA)
		return "the device tree is larger than 2 MiB";
	uint64_t dtb = in->ram_size - GUEST_DTB_AREA;
	if (image_size < in->kernel_size)
		return "the kernel file is larger than its header's image_size";
	if (in->text_offset >= dtb || image_size > dtb - in->text_offset)
		return "the kernel (text_offset + image_size from its header) does not fit in guest RAM";
	uint64_t kernel_end = in->text_offset + image_size;
	if (in->initrd_size > dtb - kernel_end)
		return "the initrd does not fit between the kernel and the device tree";
	uint64_t initrd = ALIGN_DOWN(dtb - in->initrd_size, PAGE);
	if (initrd < kernel_end)
		return "the initrd does not fit between the kernel and the device tree";
	out->kernel = in->text_offset;
	out->kernel_end = kernel_end;
	out->initrd = initrd;
	out->dtb = dtb;
	return NULL;
}

/* A word loop: the hypervisor's memset works byte by byte, and guest RAM is
 * large. Kept from being turned back into a memset call (GCC; the host
 * fuzzer is built with clang). */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
static void zero(uint8_t *p, uint64_t len)
{
	while (len && ((uintptr_t)p & 7)) {
		*p++ = 0;
		len--;
	}
	for (; len >= 8; len -= 8, p += 8)
		*(uint64_t *)(void *)p = 0;
	while (len--)
		*p++ = 0;
}

void guest_layout_load(uint8_t *ram, uint64_t ram_size, const struct guest_layout *l,
		       const uint8_t *kernel, uint64_t kernel_size, const uint8_t *initrd,
		       uint64_t initrd_size, const uint8_t *dtb, uint64_t dtb_size)
{
	/* In address order: kernel < initrd <= dtb, as guest_layout() made them. */
	zero(ram, l->kernel);
	memcpy(ram + l->kernel, kernel, kernel_size);
	zero(ram + l->kernel + kernel_size, l->initrd - (l->kernel + kernel_size));
	if (initrd_size)
		memcpy(ram + l->initrd, initrd, initrd_size);
	zero(ram + l->initrd + initrd_size, l->dtb - (l->initrd + initrd_size));
	memcpy(ram + l->dtb, dtb, dtb_size);
	zero(ram + l->dtb + dtb_size, ram_size - (l->dtb + dtb_size));
}
