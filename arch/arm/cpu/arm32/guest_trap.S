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
	.space	26 * 4

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
t_svc:		TRAP	TRAP_SVC
t_pabt:		TRAP	TRAP_PABT
t_dabt:		TRAP	TRAP_DABT
t_unused:	TRAP	TRAP_UNUSED
t_irq:		TRAP	TRAP_IRQ
t_fiq:		TRAP	TRAP_FIQ

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
