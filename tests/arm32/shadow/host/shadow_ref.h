/* SPDX-License-Identifier: GPL-2.0-only */
/* The shadow MMU tests' own model, written from the ARMv5 ARM independently of
 * shadow_mmu.c: a reference walk of the guest's tables, a model of the real MMU walking the
 * shadow tables in USR mode, a fixed test memory map, and the invariant checker that the
 * property test and the fuzzer share. */
#ifndef SHADOW_REF_H
#define SHADOW_REF_H

#include "arch/arm/cpu/arm32/virt/shadow_mmu.h"

#define T_RAM_BASE 0x00000000u
#define T_RAM_SIZE (4u << 20)
#define T_RAM_PA 0x40000000u
#define T_DEV0 0x10000000u          /* emulated device pages (one page each) */
#define T_DEV1 0x10140000u
#define T_WIN_BASE 0xffa00000u       /* hypervisor window: 2 MiB, sections, AP 01 */
#define T_WIN_SIZE (2u << 20)
#define T_HYP_PA 0x80000000u
#define T_PIN_VA 0x00000000u         /* hardware vectors page (low vectors) */
#define T_PIN_PA 0x80200000u
#define T_L1_PA 0x90000000u
#define T_L2_PA 0x91000000u

enum ref_perm { R_NONE, R_RO, R_RW };

struct ref_result {
	bool fault;        /* the guest's tables refuse: fsr */
	bool error;        /* fine table: refused by design */
	uint32_t fsr;
	uint32_t gpa;
};

struct harness {
	struct shadow_mmu *s;
	struct shadow_config cfg;
	uint8_t *ram;
	uint32_t win[2];
	unsigned nroots, nl2;
	/* guest state, mirrored */
	uint32_t ttbr, dacr, control, fcse;
	bool priv;
};

/* Guest access as the ARM ARM defines it (priv: privileged code). */
struct ref_result ref_walk(const struct harness *h, uint32_t va, bool write, bool priv);
/* The real MMU, USR mode, on the current shadow tables: allowed, and the physical address. */
bool hw_model(const struct harness *h, uint32_t va, bool write, uint32_t *pa);

int harness_init(struct harness *h, unsigned nroots, unsigned nl2);
void harness_free(struct harness *h);
void g_write32(struct harness *h, uint32_t gpa, uint32_t v);
uint32_t g_read32(const struct harness *h, uint32_t gpa);
bool reserved(uint32_t va);

/* Guest state changes, through the hooks (and mirrored in h). */
void h_ttbr(struct harness *h, uint32_t v);
void h_dacr(struct harness *h, uint32_t v);
void h_control(struct harness *h, uint32_t v);
void h_mode(struct harness *h, bool priv);

/* Checks one access both ways (the shadow as it is, then shadow_fault if the real MMU
 * would fault); returns NULL or what is wrong. */
const char *check_access(struct harness *h, uint32_t va, bool write, bool exec);
/* No shadow entry gives either mode more than the guest's tables do (both views, read and
 * write), and the reserved addresses stay unreachable. */
const char *check_no_stale(struct harness *h, uint32_t va);

#endif
