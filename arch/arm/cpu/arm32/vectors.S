/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The exception vector page. mmu.c maps it at 0xffff0000 and sets SCTLR.V, so
 * the NULL page stays unmapped. Each vector loads its handler's address from
 * the table after the vectors (absolute addresses: the image is not moved).
 *
 * IRQs are handled in IRQ mode on the IRQ stack, with interrupts masked, by
 * irq_handle(). Aborts and undefined instructions save every register in a
 * frame (struct exc_frame in exception.c) and report; they do not return.
 */
#include "cp15.h"

	.section .vectors, "ax"
	.arm
	.balign 4096
	.globl vectors
vectors:
	ldr	pc, vec_reset
	ldr	pc, vec_undef
	ldr	pc, vec_swi
	ldr	pc, vec_pabt
	ldr	pc, vec_dabt
	ldr	pc, vec_unused
	ldr	pc, vec_irq
	ldr	pc, vec_fiq
vec_reset:	.word	exc_reset
vec_undef:	.word	exc_undef
vec_swi:	.word	exc_swi
vec_pabt:	.word	exc_pabt
vec_dabt:	.word	exc_dabt
vec_unused:	.word	exc_unused
vec_irq:	.word	exc_irq
vec_fiq:	.word	exc_fiq

	.text
	.arm
exc_irq:
	sub	lr, lr, #4
	stmfd	sp!, {r0-r3, r12, lr}		/* 24 bytes: sp stays 8-byte aligned */
	bl	irq_handle
	ldmfd	sp!, {r0-r3, r12, pc}^		/* return, restoring CPSR from SPSR */

/* Frame: r0-r12, sp, lr (of the interrupted mode), pc, cpsr: 17 words. kind is
 * exception.c's enum; adjust turns lr into the address of the faulting instruction. */
.macro EXC_ENTRY kind, adjust
	sub	lr, lr, #\adjust
	sub	sp, sp, #(17 * 4)
	stmia	sp, {r0-r12}
	str	lr, [sp, #(15 * 4)]
	mov	r0, #\kind
	b	exc_common
.endm

exc_reset:	EXC_ENTRY 0, 0
exc_undef:	EXC_ENTRY 1, 4
exc_swi:	EXC_ENTRY 2, 4
exc_pabt:	EXC_ENTRY 3, 4
exc_dabt:	EXC_ENTRY 4, 8
exc_unused:	EXC_ENTRY 5, 0
exc_fiq:	EXC_ENTRY 6, 4

exc_common:
	mrs	r1, spsr
	str	r1, [sp, #(16 * 4)]
	/* The interrupted mode's banked sp and lr: switch there for a moment
	 * (SYS for USR, which shares its registers), interrupts masked. */
	and	r2, r1, #MODE_MASK
	cmp	r2, #MODE_USR
	moveq	r2, #MODE_SYS
	orr	r2, r2, #(PSR_I | PSR_F)
	mrs	r3, cpsr
	msr	cpsr_c, r2
	mov	r4, sp
	mov	r5, lr
	msr	cpsr_c, r3
	str	r4, [sp, #(13 * 4)]
	str	r5, [sp, #(14 * 4)]
	mov	r1, sp
	bl	exception_fatal
3:	b	3b
