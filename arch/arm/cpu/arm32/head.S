/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Entry point. QEMU's -kernel loads the raw image at 0x00010000 (the address it
 * is linked at) and enters here with r0 = 0, r1 = the machine number and r2 =
 * the device tree's address (with -dtb). The CPU mode at entry is passed to
 * boot_main as its "level"; the hypervisor then runs in SVC mode with its own
 * stacks for the IRQ, abort and undefined-instruction modes.
 */
#include "cp15.h"

	.section .text.head, "ax"
	.arm
	.globl _start
_start:
	mov	r4, r2				/* device tree address */
	mrs	r5, cpsr
	and	r5, r5, #MODE_MASK		/* the mode we were started in */

	/* One stack per exception mode we take exceptions in; IRQ and FIQ stay masked. */
	msr	cpsr_c, #(MODE_IRQ | PSR_I | PSR_F)
	ldr	sp, =__irq_stack_top
	msr	cpsr_c, #(MODE_ABT | PSR_I | PSR_F)
	ldr	sp, =__exc_stack_top
	msr	cpsr_c, #(MODE_UND | PSR_I | PSR_F)
	ldr	sp, =__exc_stack_top
	msr	cpsr_c, #(MODE_SVC | PSR_I | PSR_F)
	ldr	sp, =__stack_top

	/* Clear .bss (16-byte aligned by the linker script). */
	ldr	r0, =__bss_start
	ldr	r1, =__bss_end
	mov	r2, #0
	mov	r3, #0
1:	cmp	r0, r1
	stmloia	r0!, {r2, r3}
	blo	1b

	mov	r0, r4
	mov	r1, r5
	bl	boot_main
2:	b	2b

	/* The SVC stack (where everything but interrupts runs), the IRQ stack and one
	 * stack shared by the abort and undefined modes (both only report and halt). */
	.section .bss.stack, "aw", %nobits
	.balign 16
	.globl __stack_bottom, __stack_top
__stack_bottom:
	.space	CONFIG_STACK_SIZE
__stack_top:
	.space	4096
__irq_stack_top:
	.space	2048
__exc_stack_top:
