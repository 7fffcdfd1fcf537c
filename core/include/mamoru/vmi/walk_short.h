/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Software translation of 32-bit ARM guest virtual addresses through ARMv5
 * (VMSAv5, "short-descriptor") translation tables, from the TTBR alone: one
 * table base, no TTBCR split (N = 0), as on an ARM926 guest.
 *
 * Level 1 (4096 word entries, VA[31:20]): fault, 1 MiB section, coarse table
 * (256 entries, VA[19:12]) or fine table (1024 entries, VA[19:10]).
 * Level 2: 64 KiB large pages, 4 KiB small pages and, in fine tables only,
 * 1 KiB tiny pages. The ARMv6/XScale "extended small page" encoding in a
 * coarse table is UNPREDICTABLE on ARMv5 and taken as a translation fault.
 *
 * Portable: it lives in the introspection library (core/vmi/walk_short.c),
 * so any hypervisor build and the host tests have it, beside the AArch64
 * walker (arch/guest_walk.h). Every descriptor comes through the caller's
 * read32 callback; a walk reads at most two, whatever the tables hold.
 * Linux's software PTE copies are never looked at: only what the MMU uses.
 */
#ifndef MAMORU_VMI_WALK_SHORT_H
#define MAMORU_VMI_WALK_SHORT_H

#include <mamoru/types.h>

/* Reads the 32-bit little-endian word at guest-physical pa (4-aligned).
 * Returns 0, or non-zero when pa is not readable. */
typedef int (*gws_read32_fn)(void *ctx, uint64_t pa, uint32_t *val);

struct gws_mem {
	gws_read32_fn read32;
	void *ctx;
};

enum gws_fault {
	GWS_OK = 0,
	GWS_FAULT_RANGE,        /* VA wider than 32 bits */
	GWS_FAULT_TRANSLATION,  /* fault or reserved descriptor */
	GWS_FAULT_READ,         /* a descriptor's address is not readable */
};

#define GWS_TTB_MASK 0xffffc000u /* TTBR[31:14]: the 16 KiB-aligned table */

struct gws_result {
	enum gws_fault fault;
	int level;          /* 1 or 2: of the leaf, or where the walk stopped */
	uint64_t va;
	uint64_t pa;        /* GWS_OK: the translated address */
	uint32_t size;      /* GWS_OK: 1 MiB, 64 KiB, 4 KiB or 1 KiB */
	uint32_t desc;      /* last descriptor read (the leaf, or the bad one) */
	uint64_t desc_pa;   /* where it was read */
	unsigned index;     /* its index in its table */
	unsigned domain;    /* from the level 1 descriptor */
	unsigned ap;        /* AP bits that govern va (its subpage's, for pages) */
	const char *kind;   /* "section", "large page", "small page", "tiny page" */
	const char *detail; /* static text on the failure, or "" */
};

/* Translates va through the tables at ttbr & GWS_TTB_MASK. Returns 0, or -1
 * with res->fault saying why (res is always filled). */
int gws_translate(uint64_t ttbr, const struct gws_mem *m, uint64_t va, struct gws_result *res);

const char *gws_fault_name(enum gws_fault f);
/* "level 2 translation fault at descriptor 0x... (entry 0x..., index N): ..." */
int gws_describe(const struct gws_result *res, char *buf, size_t size);

#endif
