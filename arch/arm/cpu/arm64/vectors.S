/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * EL2 exception vectors. Interrupts taken from EL2 itself are dispatched to
 * irq_handle() and SErrors to el2_serror(); every other exception taken
 * from EL2 is unexpected and ends in a crash report.
 */
#define FRAME_SIZE	(36 * 8)

/* Save x0-x30, the interrupted SP, ELR_EL2, SPSR_EL2, ESR_EL2 and FAR_EL2. */
.macro save_frame
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0 * 8]
	stp	x2, x3, [sp, #2 * 8]
	stp	x4, x5, [sp, #4 * 8]
	stp	x6, x7, [sp, #6 * 8]
	stp	x8, x9, [sp, #8 * 8]
	stp	x10, x11, [sp, #10 * 8]
	stp	x12, x13, [sp, #12 * 8]
	stp	x14, x15, [sp, #14 * 8]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #18 * 8]
	stp	x20, x21, [sp, #20 * 8]
	stp	x22, x23, [sp, #22 * 8]
	stp	x24, x25, [sp, #24 * 8]
	stp	x26, x27, [sp, #26 * 8]
	stp	x28, x29, [sp, #28 * 8]
	add	x0, sp, #FRAME_SIZE
	stp	x30, x0, [sp, #30 * 8]
	mrs	x0, elr_el2
	mrs	x1, spsr_el2
	stp	x0, x1, [sp, #32 * 8]
	mrs	x0, esr_el2
	mrs	x1, far_el2
	stp	x0, x1, [sp, #34 * 8]
.endm

.macro restore_frame
	ldp	x0, x1, [sp, #32 * 8]
	msr	elr_el2, x0
	msr	spsr_el2, x1
	ldp	x0, x1, [sp, #0 * 8]
	ldp	x2, x3, [sp, #2 * 8]
	ldp	x4, x5, [sp, #4 * 8]
	ldp	x6, x7, [sp, #6 * 8]
	ldp	x8, x9, [sp, #8 * 8]
	ldp	x10, x11, [sp, #10 * 8]
	ldp	x12, x13, [sp, #12 * 8]
	ldp	x14, x15, [sp, #14 * 8]
	ldp	x16, x17, [sp, #16 * 8]
	ldp	x18, x19, [sp, #18 * 8]
	ldp	x20, x21, [sp, #20 * 8]
	ldp	x22, x23, [sp, #22 * 8]
	ldp	x24, x25, [sp, #24 * 8]
	ldp	x26, x27, [sp, #26 * 8]
	ldp	x28, x29, [sp, #28 * 8]
	ldr	x30, [sp, #30 * 8]
	add	sp, sp, #FRAME_SIZE
.endm

/* An unexpected exception: report and halt. \kind indexes exception_kinds[]. */
.macro unexpected kind
	.align 7
	save_frame
	mov	x0, sp
	mov	x1, #\kind
	bl	exception_fatal
	b	.
.endm

/* An exception from the guest: x1 = kind (enum vcpu_exit_kind). */
.macro guest_exit kind
	.align 7
	stp	x0, x1, [sp, #-16]!
	mov	x1, #\kind
	b	el2_guest_exit
.endm

	.text
	.align 11
	.globl el2_vectors
el2_vectors:
	/* Current EL with SP_EL0 */
	unexpected 0
	unexpected 1
	unexpected 2
	unexpected 3
	/* Current EL with SP_EL2 */
	unexpected 4
	.align 7
	b	el2_irq
	unexpected 6
	.align 7
	b	el2_serror_entry
	/* Lower EL (a guest), AArch64 and AArch32 alike: back to guest_enter's caller. */
	guest_exit 0
	guest_exit 1
	guest_exit 2
	guest_exit 3
	guest_exit 0
	guest_exit 1
	guest_exit 2
	guest_exit 3

el2_irq:
	save_frame
	bl	irq_handle
	restore_frame
	eret

/* An SError at EL2: one a guest left pending returns here (exception.c);
 * any other ends in a crash report. */
el2_serror_entry:
	save_frame
	mov	x0, sp
	bl	el2_serror
	restore_frame
	eret
