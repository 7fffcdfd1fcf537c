/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ARMv5 world switch's page (guest_trap.S): one 4 KiB page of position-independent
 * code and data, mapped privileged-only at ARM32_GUEST_WINDOW in the hypervisor's tables
 * and in every shadow table (the shadow MMU's window), and again at VA 0 in the shadow
 * tables (the pinned page), where its first eight words are the hardware vectors while a
 * guest runs (c1.V clear). The guest's registers pass through the context at
 * ARM32_TRAP_CTX in the page; C reaches it through the window address, so the page is
 * only ever used at one virtual address (VIVT caches: no alias).
 */
#ifndef ARM32_GUEST_TRAP_H
#define ARM32_GUEST_TRAP_H

#define ARM32_GUEST_WINDOW 0xffa00000u   /* docs/armv5-virt.md, "The hypervisor's window" */

#define ARM32_TRAP_CTX 0x100             /* struct arm32_trap_ctx in the page */
#define TRAP_CTX_PC (15 * 4)
#define TRAP_CTX_CPSR (16 * 4)
#define TRAP_CTX_KIND (17 * 4)
#define TRAP_CTX_HYP_SP (18 * 4)
#define TRAP_CTX_HYP_TTBR (19 * 4)
#define TRAP_CTX_HYP_DACR (20 * 4)
#define TRAP_CTX_HYP_SCTLR (21 * 4)
#define TRAP_CTX_G_TTBR (22 * 4)
#define TRAP_CTX_G_DACR (23 * 4)
#define TRAP_CTX_G_SCTLR (24 * 4)
#define TRAP_CTX_SCRATCH (25 * 4)
#define TRAP_CTX_VCTL (26 * 4)
#define TRAP_CTX_FAST_OK (27 * 4)
#define TRAP_CTX_FAST_COUNT (28 * 4)
#define TRAP_CTX_SAVE (29 * 4)         /* r0-r3 while the fast path runs */
#define TRAP_CTX_WORDS 33

/* Why the guest stopped: the vector it took. */
#define TRAP_RESET 0
#define TRAP_UNDEF 1
#define TRAP_SVC 2
#define TRAP_PABT 3
#define TRAP_DABT 4
#define TRAP_UNUSED 5
#define TRAP_IRQ 6
#define TRAP_FIQ 7

#ifndef __ASSEMBLY__
#include <mamoru/types.h>

struct arm32_trap_ctx {
	uint32_t r[15];      /* the guest's USR r0-r14 */
	uint32_t pc;         /* in: where it resumes; out: the mode's lr as the trap left it */
	uint32_t cpsr;       /* in: the real CPSR to run it with (USR); out: the SPSR */
	uint32_t kind;       /* out: TRAP_* */
	uint32_t hyp_sp;     /* the hypervisor's SVC stack while the guest runs */
	uint32_t hyp_ttbr, hyp_dacr, hyp_sctlr;
	uint32_t g_ttbr, g_dacr, g_sctlr;
	uint32_t scratch;
	/* The SVC fast path (guest_trap.S): MRS/MSR of the CPSR in a privileged virtual mode
	 * done without leaving the shadow tables. */
	uint32_t vctl;       /* in/out: the virtual CPSR's mode, I and F (bits 7:0) */
	uint32_t fast_ok;    /* in: bit 0 the virtual mode is privileged, bit 1 no guest IRQ is
			      * pending (I may be cleared on the fast path) */
	uint32_t fast_count; /* out: how many it did (C clears it) */
	uint32_t save[4];
};

extern char arm32_trap_page[], arm32_guest_enter[];

/* The context, at its window address. */
#define ARM32_TRAP(ctx) ((volatile struct arm32_trap_ctx *)(ARM32_GUEST_WINDOW + ARM32_TRAP_CTX))

/* Runs the guest from the context until it traps: returns TRAP_*. IRQs masked. */
static inline unsigned arm32_run_guest(void)
{
	unsigned (*enter)(void) = (unsigned (*)(void))(ARM32_GUEST_WINDOW +
		((uintptr_t)arm32_guest_enter - (uintptr_t)arm32_trap_page));
	return enter();
}

/* The hypervisor's level 1 table (mmu.c), for the window entry and the switch back. */
uint32_t *arm32_hyp_l1(void);
#endif

#endif
