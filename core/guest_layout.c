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

/*
 * Guest RAM is rewritten at every guest reset (a reboot from inside, `guest reset`,
 * `guest kick`), mostly with what it already holds: the same kernel and initrd, and
 * zeroes. What already holds its value is left alone (zero() by the word, copy() by the
 * 64-byte block: a block with one changed word is stored whole). Under QEMU's TCG a
 * store into a page the guest ran code from throws away that page's translations,
 * so rewriting an unchanged kernel made every guest reset seconds slower than the
 * first boot; on hardware the extra read per word is cheap next to the store.
 *
 * Word loops (the hypervisor's memset and memcpy work byte by byte, and guest RAM
 * is large), kept from being turned back into library calls (GCC; the host fuzzer
 * is built with clang). may_alias: RAM is accessed as bytes elsewhere.
 */
typedef uint64_t __attribute__((may_alias)) ram_word;

#if defined(__GNUC__) && !defined(__clang__)
#define NO_LOOP_PATTERNS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define NO_LOOP_PATTERNS
#endif

/* Zeroes [p, p + len), storing only where a word is not zero already. Reading first
 * is what keeps a fresh guest's start short under QEMU: a store is the first touch of
 * a RAM page there, which costs the host a page of its own memory (about 3 s for 256
 * MiB), while a read of an untouched page costs nothing of the kind. Eight words are
 * looked at together. */
static NO_LOOP_PATTERNS void zero(uint8_t *p, uint64_t len)
{
	for (; len && ((uintptr_t)p & 7); len--, p++)
		if (*p)
			*p = 0;
	ram_word *w = (ram_word *)(void *)p;
	for (; len >= 64; len -= 64, w += 8)
		if (w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7])
			for (int i = 0; i < 8; i++)
				if (w[i])
					w[i] = 0;
	for (; len >= 8; len -= 8, w++)
		if (*w)
			*w = 0;
	for (p = (uint8_t *)w; len; len--, p++)
		if (*p)
			*p = 0;
}

/* A 32-bit word that may alias RAM, for images 4 bytes off an 8-byte boundary (a cpio
 * archive, the guest bundle, aligns its files to 4 bytes only). */
typedef uint32_t __attribute__((may_alias)) ram_word32;

/* Copies a 64-byte block: its source words all go into registers before the first
 * destination word is read, and the block is stored only if a word differs (one branch, as in
 * zero()). Going word by word from one to the other, a copy whose source and destination pages
 * share a slot of QEMU's direct-mapped TLB takes TCG's slow path on every access: the guest
 * bundle at 0x480000f4 and guest RAM at 0x4a600000 did on virt, and the 26 MiB kernel took
 * 0.45-0.75 s to copy, most of the hypervisor's start. The empty asm keeps the compiler from
 * interleaving the two halves again. */
#define COPY_BLOCK(word_t, d, s)                                                      \
	do {                                                                          \
		enum { N = 64 / sizeof(word_t) };                                     \
		word_t v[N], diff = 0;                                                \
		_Pragma("GCC unroll 16") for (unsigned i = 0; i < N; i++) v[i] = (s)[i]; \
		__asm__ volatile("" ::: "memory");                                    \
		_Pragma("GCC unroll 16") for (unsigned i = 0; i < N; i++)             \
			diff |= (d)[i] ^ v[i];                                        \
		if (diff)                                                             \
			_Pragma("GCC unroll 16") for (unsigned i = 0; i < N; i++)     \
				(d)[i] = v[i];                                        \
	} while (0)

static NO_LOOP_PATTERNS void copy(uint8_t *d, const uint8_t *s, uint64_t len)
{
	uintptr_t off = ((uintptr_t)d ^ (uintptr_t)s) & 7;
	uintptr_t step = off == 0 ? 8 : off == 4 ? 4 : 1;     /* the widest word both agree on */
	for (; len && ((uintptr_t)d & (step - 1)); len--, d++, s++)
		if (*d != *s)
			*d = *s;
	if (step == 8) {
		for (; len >= 64; len -= 64, d += 64, s += 64)
			COPY_BLOCK(ram_word, (ram_word *)(void *)d, (const ram_word *)(const void *)s);
	} else if (step == 4) {
		for (; len >= 64; len -= 64, d += 64, s += 64)
			COPY_BLOCK(ram_word32, (ram_word32 *)(void *)d,
				   (const ram_word32 *)(const void *)s);
	}
	for (; len; len--, d++, s++)
		if (*d != *s)
			*d = *s;
}

void guest_layout_load(uint8_t *ram, uint64_t ram_size, const struct guest_layout *l,
		       const uint8_t *kernel, uint64_t kernel_size, const uint8_t *initrd,
		       uint64_t initrd_size, const uint8_t *dtb, uint64_t dtb_size)
{
	/* In address order: kernel < initrd <= dtb, as guest_layout() made them. */
	zero(ram, l->kernel);
	copy(ram + l->kernel, kernel, kernel_size);
	zero(ram + l->kernel + kernel_size, l->initrd - (l->kernel + kernel_size));
	if (initrd_size)
		copy(ram + l->initrd, initrd, initrd_size);
	zero(ram + l->initrd + initrd_size, l->dtb - (l->initrd + initrd_size));
	copy(ram + l->dtb, dtb, dtb_size);
	zero(ram + l->dtb + dtb_size, ram_size - (l->dtb + dtb_size));
}
