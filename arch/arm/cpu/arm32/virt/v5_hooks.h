/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the ARMv5 vCPU core tells the shadow MMU (issue 15). The vCPU core owns this file;
 * the shadow MMU implements functions with these signatures and may add fields at the end.
 * Every pointer may be NULL (nothing to tell). Values are the guest's, untrusted.
 */
#ifndef ARM32_VIRT_V5_HOOKS_H
#define ARM32_VIRT_V5_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

/* tlb_op's op. The ARM926's instruction- and data-side TLB operations (c8, c5 and c8, c6)
 * are passed as their unified forms: the shadow tables serve both sides. mva_or_asid is
 * the MVA as the guest wrote it for V5_TLB_INV_MVA, 0 otherwise (ARMv5 has no ASIDs). */
enum v5_tlb_op {
	V5_TLB_INV_ALL = 0,     /* c8, c7, 0 / c8, c5, 0 / c8, c6, 0 */
	V5_TLB_INV_MVA = 1,     /* c8, c7, 1 / c8, c5, 1 / c8, c6, 1 */
};

struct v5_mmu_hooks {
	void *ctx;
	/* c2: the guest's translation table base (bits 13:0 already cleared). */
	void (*ttbr_write)(void *ctx, uint32_t ttbr);
	/* c3: every write, even of an unchanged value. */
	void (*dacr_write)(void *ctx, uint32_t dacr);
	/* c1: the control register before and after a write (only writable bits differ). */
	void (*control_write)(void *ctx, uint32_t old, uint32_t new_);
	void (*tlb_op)(void *ctx, unsigned op, uint32_t mva_or_asid);
	/* The virtual mode went from USR to a privileged mode or back (not on every mode
	 * change: only when the privilege, hence the guest's access rights, changes). */
	void (*mode_change)(void *ctx, bool privileged);
	/* c13 FCSE PID (bits 31:25; the rest cleared), every write. */
	void (*fcse_write)(void *ctx, uint32_t pid);
};

#endif
