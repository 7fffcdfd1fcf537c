/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel text and read-only data integrity (docs/integrity.md).
 *
 * The baseline is the kernel Image the host put into the guest bundle; the
 * integrity manifest (made on the host from the same Image and System.map,
 * tools/mamoru/integrity.py) lists the ranges to check and every place the
 * kernel legitimately changes: relocated words (addend + KASLR slide) and
 * patch sites (alternatives, jump labels, ftrace entries) with the states
 * they may hold. integ_load() validates the whole manifest once (it comes
 * from the bundle: hostile-input safe); integ_compare_range() is the pure
 * comparison, reading the guest's bytes through a callback; integ_scan()
 * runs it over guest memory through the guest's own page tables.
 */
#ifndef MAMORU_VMI_INTEGRITY_H
#define MAMORU_VMI_INTEGRITY_H

#include <mamoru/types.h>

struct vmi;

#define INTEG_MAGIC "MAMORUIM"
#define INTEG_VERSION 1u
#define INTEG_HEAD_CRC_BYTES 65536u
#define INTEG_MAX_SITE_WORDS 16u
#define INTEG_MAX_RANGES 16u

enum integ_region { INTEG_TEXT = 1, INTEG_RODATA = 2, INTEG_VECTORS = 3 };
enum integ_site_kind { INTEG_SITE_NONE = 0, INTEG_SITE_ALT = 1, INTEG_SITE_JUMP = 2,
		       INTEG_SITE_FTRACE = 3, INTEG_SITE_CALLBACK = 4, INTEG_SITE_KVM_CALLBACK = 5,
		       INTEG_SITE_HYP_RELOC = 6 };

#define INTEG_NOP 0xd503201fu
#define INTEG_MOV_X9_X30 0xaa1e03e9u

struct integ_manifest {
	uint64_t text_base;        /* link address of _text: offsets are from it */
	uint32_t image_size, head_crc;
	uint32_t nranges, nrelocs, nsites, nwords, nsyms, strtab_len;
	const uint8_t *ranges, *relocs, *sites, *words, *syms, *strtab;
	/* Per range, set by integ_load: its first relocation, site and the
	 * word-pool index of that site's alternatives. */
	uint32_t first_reloc[INTEG_MAX_RANGES], first_site[INTEG_MAX_RANGES];
	uint32_t first_word[INTEG_MAX_RANGES];
};

/* Validates the manifest (magic, version, sizes, CRC, every table's bounds,
 * ascending non-overlapping ranges, relocations and sites each inside one
 * range, site lengths and word pool, symbol names). 0, or -1 with a reason. */
int integ_load(struct integ_manifest *m, const void *data, size_t len, char *err, size_t errlen);
/* Does the Image in the bundle match the manifest (size, CRC of its head)? */
int integ_match_image(const struct integ_manifest *m, const void *image, size_t size, char *err,
		      size_t errlen);

struct integ_range {
	uint32_t start, end;       /* offsets from _text */
	enum integ_region region;
};
int integ_range_at(const struct integ_manifest *m, uint32_t i, struct integ_range *r);

enum integ_what {
	INTEG_CHANGED = 1,   /* differs from the Image where the kernel never writes */
	INTEG_RELOC,         /* a relocated word is not its addend + slide */
	INTEG_SITE,          /* a patch site holds none of its allowed states */
	INTEG_FTRACE,        /* an ftrace entry calls out (mov x9, x30; bl ...) */
	INTEG_REMAPPED,      /* the page maps another physical page than the kernel's */
	INTEG_UNMAPPED,      /* the page does not translate (or lies outside RAM) */
};

struct integ_finding {
	enum integ_region region;
	enum integ_what what;
	enum integ_site_kind site;
	uint32_t off;              /* from _text: link address = text_base + off */
	uint32_t len;              /* bytes that differ (a run, for data) */
	uint32_t words[INTEG_MAX_SITE_WORDS]; /* text: the instructions now there (len/4, at most 16) */
	uint64_t now, was;         /* data/relocation: the 8-byte word now and expected */
	uint64_t pa, expected_pa;  /* INTEG_REMAPPED */
};

/* Returns non-zero to stop the scan (returned as is). */
typedef int (*integ_finding_cb)(void *ctx, const struct integ_finding *f);
/* The len runtime bytes at offset off (from _text), valid until the next
 * call; NULL if they cannot be read (the fetcher reports why itself). The
 * comparison asks for at most 4 KiB that do not cross a 4 KiB boundary, or
 * for one relocation or patch site (at most 64 bytes). */
typedef const uint8_t *(*integ_fetch_fn)(void *ctx, uint32_t off, size_t len);

/* Compares range i of the manifest. image: the Image file (size checked by
 * integ_match_image); slide: runtime - link address. Returns the number of
 * findings reported, or the callback's non-zero value. */
long integ_compare_range(const struct integ_manifest *m, uint32_t i, const uint8_t *image,
			 uint64_t slide, integ_fetch_fn fetch, void *fctx, integ_finding_cb cb,
			 void *cctx);

/* Every range through the guest's page tables: VA = text_base + off + slide,
 * its PA must be load_pa + off (the kernel does not move its image once
 * placed). Returns the number of findings, or < 0 with vmi_error() set.
 * pages: if not NULL, the number of pages read. */
long integ_scan(struct vmi *v, const struct integ_manifest *m, const uint8_t *image,
		uint64_t load_pa, integ_finding_cb cb, void *ctx, uint64_t *pages);

/* Name of the read-only data symbol at or below off (NULL when none), and
 * off's distance from it. */
const char *integ_rodata_symbol(const struct integ_manifest *m, uint32_t off, uint32_t *delta);

/* A64 instruction at pc in words: "b 0x...", "bl 0x...", "brk #0x4", "nop",
 * "mov x9, x30" (ftrace's entry),
 * "br x16", "blr x1", "ret", "ldr x1, 0x...", "adrp x16, 0x...", else
 * ".inst 0x...". *target: the branch/literal/page address when there is
 * one (else 0). */
void integ_describe(uint32_t insn, uint64_t pc, char *buf, size_t size, uint64_t *target);

#endif
