/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Software stage-1 translation of AArch64 EL1&0 guest virtual addresses,
 * from the guest's TTBR0_EL1/TTBR1_EL1/TCR_EL1 (Arm ARM, VMSAv8-64).
 *
 * Covers the 4K, 16K and 64K granules, T0SZ/T1SZ 12..48 (52-bit VAs with
 * the 64K granule or TCR.DS), block and page descriptors, hierarchical
 * permissions, EPD0/EPD1, TBI0/TBI1 and the IPS output-size limit.
 *
 * The walker never touches memory: every descriptor comes through the
 * caller's read64 callback, which decides what is readable. A walk reads at
 * most five descriptors, so it is bounded whatever the tables contain.
 */
#ifndef ARCH_GUEST_WALK_H
#define ARCH_GUEST_WALK_H

#include <mamoru/types.h>

struct gw_regs {
	uint64_t ttbr0;
	uint64_t ttbr1;
	uint64_t tcr;
};

/* Reads the 64-bit little-endian word at guest-physical pa (8-aligned).
 * Returns 0, or non-zero when pa is not readable. */
typedef int (*gw_read64_fn)(void *ctx, uint64_t pa, uint64_t *val);

struct gw_mem {
	gw_read64_fn read64;
	void *ctx;
};

enum gw_fault {
	GW_OK = 0,
	GW_FAULT_RANGE,        /* VA in neither the TTBR0 nor the TTBR1 range */
	GW_FAULT_DISABLED,     /* walks for this half disabled by TCR.EPDn */
	GW_FAULT_CONFIG,       /* reserved or unsupported TCR encoding */
	GW_FAULT_TRANSLATION,  /* invalid or reserved descriptor */
	GW_FAULT_ADDRESS_SIZE, /* table or output address beyond the PA size */
	GW_FAULT_READ,         /* a descriptor's address is not readable */
};

struct gw_result {
	enum gw_fault fault;
	int level;         /* level of the leaf, or where the walk stopped */
	bool ttbr1;        /* which half the VA selected */
	uint64_t va;
	uint64_t pa;       /* GW_OK: the translated address */
	uint64_t size;     /* GW_OK: size of the block or page */
	uint64_t desc;     /* last descriptor read (the leaf, or the bad one) */
	uint64_t desc_pa;  /* where it was read */
	unsigned index;    /* its index in its table */
	unsigned ap;       /* AP[2:1] after APTable: bit 1 read-only, bit 0 EL0 */
	bool uxn, pxn;     /* after UXNTable/PXNTable */
	bool af, ng;
	unsigned oa_bits;  /* PA size the walk used (TCR.IPS) */
	const char *detail; /* static text on the failure, or "" */
};

/* Decoded TCR/TTBR settings for one half of the address space. */
struct gw_cfg {
	unsigned gbits;    /* log2 of the granule: 12, 14 or 16 */
	unsigned stride;   /* index bits per full level: gbits - 3 */
	unsigned ia_bits;  /* input (VA) bits: 64 - TnSZ */
	unsigned oa_bits;  /* output (PA) bits from TCR.IPS */
	int start;         /* start level: -1..3 */
	bool ds, lpa52, tbi, hpd, ttbr1;
	uint64_t base;     /* start table's physical address */
};

/* Translates va. Returns 0 and fills res (always filled). */
int gw_translate(const struct gw_regs *r, const struct gw_mem *m, uint64_t va,
		 struct gw_result *res);

/* Decodes the configuration for the half holding va (checks its range). */
enum gw_fault gw_config(const struct gw_regs *r, uint64_t va, struct gw_cfg *cfg,
			const char **detail);

/* Finds up to max VAs in [lo, hi) (one half of the space) whose leaf maps
 * the physical address pa; reads at most budget descriptors. Returns the
 * number found, or -1 when the configuration is unusable or the budget ran
 * out before the range was covered. */
int gw_find_va(const struct gw_regs *r, const struct gw_mem *m, uint64_t pa, uint64_t lo,
	       uint64_t hi, uint64_t *out, int max, uint32_t budget);

const char *gw_fault_name(enum gw_fault f);
/* "level 2 translation fault at descriptor 0x... (entry 0x...)"-style text. */
int gw_describe(const struct gw_result *res, char *buf, size_t size);

#endif
