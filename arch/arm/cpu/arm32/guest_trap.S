/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The world switch (guest_trap.h says where this page is mapped). Everything here runs at
 * the window address, not where it was linked: only PC-relative addressing.
 *
 * Enter: called in SVC mode with IRQs and FIQs masked; saves the callee-saved registers on
 * the SVC stack, switches to the guest's shadow tables (DACR, TTBR, c1 without V, TLB
 * flushed, caches cleaned: ARMv5 caches are virtually tagged and the two address spaces
 * overlap) and returns to the guest's USR registers.
 * Trap: every vector saves the guest's registers in the context, switches back to the
 * hypervisor's tables and returns from arm32_guest_enter with the vector's number.
 */
#include "cp15.h"
#include "guest_trap.h"

	.section .data.guest_trap, "aw"
	.arm
	.balign 4096
	.globl arm32_trap_page, arm32_guest_enter
arm32_trap_page:
	/* VA 0 while a guest runs: the hardware vectors. */
	ldr	pc, v_reset
	ldr	pc, v_undef
	ldr	pc, v_svc
	ldr	pc, v_pabt
	ldr	pc, v_dabt
	ldr	pc, v_unused
	ldr	pc, v_irq
	ldr	pc, v_fiq
v_reset:	.word	ARM32_GUEST_WINDOW + (t_reset - arm32_trap_page)
v_undef:	.word	ARM32_GUEST_WINDOW + (t_undef - arm32_trap_page)
v_svc:		.word	ARM32_GUEST_WINDOW + (t_svc - arm32_trap_page)
v_pabt:		.word	ARM32_GUEST_WINDOW + (t_pabt - arm32_trap_page)
v_dabt:		.word	ARM32_GUEST_WINDOW + (t_dabt - arm32_trap_page)
v_unused:	.word	ARM32_GUEST_WINDOW + (t_unused - arm32_trap_page)
v_irq:		.word	ARM32_GUEST_WINDOW + (t_irq - arm32_trap_page)
v_fiq:		.word	ARM32_GUEST_WINDOW + (t_fiq - arm32_trap_page)

	.org	ARM32_TRAP_CTX
ctx:
	.space	TRAP_CTX_WORDS * 4

/* Clean and invalidate the D-cache, invalidate the I-cache, drain the write buffer
 * (ARM926EJ-S TRM: "test, clean and invalidate"). Uses r1. */
flush_caches:
1:	mrc	p15, 0, APSR_nzcv, c7, c14, 3
	bne	1b
	mov	r1, #0
	mcr	p15, 0, r1, c7, c5, 0
	mcr	p15, 0, r1, c7, c10, 4
	mov	pc, lr

arm32_guest_enter:
	stmfd	sp!, {r4-r12, lr}
	adr	r0, ctx
	str	sp, [r0, #TRAP_CTX_HYP_SP]
	bl	flush_caches
	ldr	r1, [r0, #TRAP_CTX_G_DACR]
	mcr	p15, 0, r1, c3, c0, 0
	ldr	r1, [r0, #TRAP_CTX_G_TTBR]
	mcr	p15, 0, r1, c2, c0, 0
	ldr	r1, [r0, #TRAP_CTX_G_SCTLR]
	mcr	p15, 0, r1, c1, c0, 0
	mov	r1, #0
	mcr	p15, 0, r1, c8, c7, 0
	/* From here only this page is the hypervisor's: no stack. */
	ldr	r1, [r0, #TRAP_CTX_CPSR]
	msr	spsr_cxsf, r1
	mov	lr, r0
	ldmia	lr, {r0-r14}^
	nop				/* no banked register access right after LDM ^ */
	ldr	lr, [lr, #TRAP_CTX_PC]
	movs	pc, lr

/* In the exception's mode: r0 goes to the scratch word first (a PC-relative store), then
 * r1-r12 and the USR sp, lr into the context. */
.macro TRAP kind
	str	r0, ctx + TRAP_CTX_SCRATCH
	adr	r0, ctx + 4
	stmia	r0, {r1-r12}
	ldr	r1, ctx + TRAP_CTX_SCRATCH
	str	r1, [r0, #-4]
	add	r1, r0, #(13 * 4 - 4)
	stmia	r1, {sp, lr}^
	nop
	mov	r2, #\kind
	b	trap_common
.endm

t_reset:	TRAP	TRAP_RESET
t_undef:	TRAP	TRAP_UNDEF
t_svc:		b	svc_fast
t_svc_trap:	TRAP	TRAP_SVC
t_pabt:		TRAP	TRAP_PABT
t_dabt:		TRAP	TRAP_DABT
t_unused:	TRAP	TRAP_UNUSED
t_irq:		TRAP	TRAP_IRQ
t_fiq:		TRAP	TRAP_FIQ

/*
 * The SVC fast path. Most traps of a Linux guest are the patched MRS/MSR of its
 * local_irq_save/restore: with the virtual mode privileged (fast_ok bit 0) they only read or
 * change the virtual CPSR's I and F bits (kept in vctl) and the real flags (the SPSR), so they
 * are done here, in SVC mode, on the shadow tables, and the guest resumes at lr. Anything
 * else goes the slow way (the full trap, vcpu_run.c): another patch kind, the SPSR, r13 to
 * r15, a mode or T change, or I cleared while the guest has an IRQ pending (fast_ok bit 1
 * clear). The SVC word is read at lr - 4: the guest has just executed it from USR mode, so
 * its page is mapped and readable. r0-r3 are kept in ctx.save meanwhile.
 */
svc_fast:
	str	lr, ctx + TRAP_CTX_SCRATCH	/* get_reg and set_reg are called with bl */
	str	r0, ctx + TRAP_CTX_SAVE
	str	r1, ctx + TRAP_CTX_SAVE + 4
	str	r2, ctx + TRAP_CTX_SAVE + 8
	str	r3, ctx + TRAP_CTX_SAVE + 12
	ldr	r0, ctx + TRAP_CTX_FAST_OK
	tst	r0, #1
	beq	svc_slow
	ldr	r0, [lr, #-4]			/* SVC<cond> #imm24 (lr is still the guest's) */
	and	r1, r0, #0x00f00000
	cmp	r1, #0x00a00000			/* MRS Rd, CPSR: imm24 = kind | R << 4 | Rd */
	beq	fast_mrs
	cmp	r1, #0x00b00000			/* MSR CPSR_<mask>, Rm: kind | R << 8 | mask << 4 | Rm */
	bne	svc_slow
	tst	r0, #0x100			/* the SPSR */
	bne	svc_slow
	and	r3, r0, #0xf			/* Rm */
	cmp	r3, #13
	bhs	svc_slow
	bl	get_reg				/* r2 = guest Rm */
	ldr	r1, ctx + TRAP_CTX_VCTL
	tst	r0, #0x10			/* mask bit c: the control byte */
	beq	1f
	eor	r3, r2, r1
	tst	r3, #0x3f			/* the mode and T must stay */
	bne	svc_slow
	tst	r2, #0x80			/* I cleared ... */
	bne	2f
	ldr	r3, ctx + TRAP_CTX_FAST_OK
	tst	r3, #2				/* ... with an IRQ pending: the slow way injects it */
	beq	svc_slow
2:	and	r1, r2, #0xff
1:	tst	r0, #0x80			/* mask bit f: the flags */
	beq	3f
	mrs	r3, spsr
	bic	r3, r3, #0xf8000000
	and	r0, r2, #0xf8000000
	orr	r3, r3, r0
	msr	spsr_f, r3
3:	str	r1, ctx + TRAP_CTX_VCTL
	b	fast_done

fast_mrs:
	tst	r0, #0x10			/* the SPSR */
	bne	svc_slow
	and	r3, r0, #0xf			/* Rd */
	cmp	r3, #13
	bhs	svc_slow
	mrs	r2, spsr
	and	r2, r2, #0xf8000000		/* the real flags */
	ldr	r1, ctx + TRAP_CTX_VCTL
	orr	r2, r2, r1			/* the virtual mode, I, F */
	bl	set_reg
fast_done:
	ldr	r0, ctx + TRAP_CTX_FAST_COUNT
	add	r0, r0, #1
	str	r0, ctx + TRAP_CTX_FAST_COUNT
	ldr	r0, ctx + TRAP_CTX_SAVE
	ldr	r1, ctx + TRAP_CTX_SAVE + 4
	ldr	r2, ctx + TRAP_CTX_SAVE + 8
	ldr	r3, ctx + TRAP_CTX_SAVE + 12
	ldr	lr, ctx + TRAP_CTX_SCRATCH
	movs	pc, lr				/* the next instruction, CPSR = SPSR (USR) */

svc_slow:
	ldr	lr, ctx + TRAP_CTX_SCRATCH
	ldr	r0, ctx + TRAP_CTX_SAVE
	ldr	r1, ctx + TRAP_CTX_SAVE + 4
	ldr	r2, ctx + TRAP_CTX_SAVE + 8
	ldr	r3, ctx + TRAP_CTX_SAVE + 12
	b	t_svc_trap

/* r2 = guest register r3 (0-12); r0-r3 are in ctx.save. */
get_reg:
	add	pc, pc, r3, lsl #3
	nop
	ldr	r2, ctx + TRAP_CTX_SAVE
	bx	lr
	ldr	r2, ctx + TRAP_CTX_SAVE + 4
	bx	lr
	ldr	r2, ctx + TRAP_CTX_SAVE + 8
	bx	lr
	ldr	r2, ctx + TRAP_CTX_SAVE + 12
	bx	lr
	mov	r2, r4
	bx	lr
	mov	r2, r5
	bx	lr
	mov	r2, r6
	bx	lr
	mov	r2, r7
	bx	lr
	mov	r2, r8
	bx	lr
	mov	r2, r9
	bx	lr
	mov	r2, r10
	bx	lr
	mov	r2, r11
	bx	lr
	mov	r2, r12
	bx	lr

/* guest register r3 (0-12) = r2; r0-r3 are in ctx.save. */
set_reg:
	add	pc, pc, r3, lsl #3
	nop
	str	r2, ctx + TRAP_CTX_SAVE
	bx	lr
	str	r2, ctx + TRAP_CTX_SAVE + 4
	bx	lr
	str	r2, ctx + TRAP_CTX_SAVE + 8
	bx	lr
	str	r2, ctx + TRAP_CTX_SAVE + 12
	bx	lr
	mov	r4, r2
	bx	lr
	mov	r5, r2
	bx	lr
	mov	r6, r2
	bx	lr
	mov	r7, r2
	bx	lr
	mov	r8, r2
	bx	lr
	mov	r9, r2
	bx	lr
	mov	r10, r2
	bx	lr
	mov	r11, r2
	bx	lr
	mov	r12, r2
	bx	lr

trap_common:
	str	lr, [r0, #(TRAP_CTX_PC - 4)]
	mrs	r1, spsr
	str	r1, [r0, #(TRAP_CTX_CPSR - 4)]
	str	r2, [r0, #(TRAP_CTX_KIND - 4)]
	msr	cpsr_c, #(MODE_SVC | PSR_I | PSR_F)
	adr	r0, ctx
	ldr	r1, [r0, #TRAP_CTX_HYP_DACR]
	mcr	p15, 0, r1, c3, c0, 0
	ldr	r1, [r0, #TRAP_CTX_HYP_TTBR]
	mcr	p15, 0, r1, c2, c0, 0
	ldr	r1, [r0, #TRAP_CTX_HYP_SCTLR]
	mcr	p15, 0, r1, c1, c0, 0
	mov	r1, #0
	mcr	p15, 0, r1, c8, c7, 0
	bl	flush_caches
	ldr	sp, [r0, #TRAP_CTX_HYP_SP]
	ldr	r0, [r0, #TRAP_CTX_KIND]
	ldmfd	sp!, {r4-r12, pc}

	.org	4096			/* the page, whole (an error if the code outgrew it) */
