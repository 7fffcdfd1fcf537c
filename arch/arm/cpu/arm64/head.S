/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Entry point. The image starts with the arm64 Linux Image header so that
 * QEMU's -kernel and the Raspberry Pi firmware load it like a kernel and
 * enter at offset 0 with x0 = DTB. The image is linked at 0 as a static PIE
 * and applies its own R_AARCH64_RELATIVE relocations, so it runs wherever
 * it is loaded.
 */
#define R_AARCH64_RELATIVE 1027

	.section .text.head0, "ax"
	.globl _start
_start:
	b	primary_entry			/* code0 */
	.long	0				/* code1 */
	.quad	CONFIG_IMAGE_TEXT_OFFSET	/* text_offset */
	/* image_size (bss included) is emitted by the linker script here:
	 * a constant must not become a run-time relocation. */

	.section .text.head1, "ax"
	.quad	0xa				/* flags: LE, 4K pages, anywhere in RAM */
	.quad	0, 0, 0				/* res2-res4 */
	.ascii	"ARM\x64"			/* magic */
	.long	0				/* res5 */

primary_entry:
	mov	x19, x0				/* DTB physical address */
	mrs	x20, CurrentEL
	ubfx	x20, x20, #2, #2

	/* Only CPU 0 boots Mamoru; any other core that arrives here parks. */
	mrs	x1, mpidr_el1
	and	x1, x1, #0xffffff
	cbnz	x1, park

	adrp	x1, __stack_top
	add	x1, x1, :lo12:__stack_top
	mov	sp, x1

	/* Clear .bss (16-byte aligned by the linker script). */
	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
1:	cmp	x1, x2
	b.hs	2f
	stp	xzr, xzr, [x1], #16
	b	1b
2:
	/* Apply relocations: *(base + offset) = base + addend. */
	adr	x0, _start
	adrp	x1, __rela_start
	add	x1, x1, :lo12:__rela_start
	adrp	x2, __rela_end
	add	x2, x2, :lo12:__rela_end
3:	cmp	x1, x2
	b.hs	5f
	ldp	x3, x4, [x1], #16		/* r_offset, r_info */
	ldr	x5, [x1], #8			/* r_addend */
	cmp	x4, #R_AARCH64_RELATIVE
	b.ne	4f
	add	x5, x5, x0
	str	x5, [x0, x3]
4:	b	3b
5:
	cmp	x20, #2
	b.ne	6f
	adrp	x1, el2_vectors
	add	x1, x1, :lo12:el2_vectors
	msr	vbar_el2, x1
	/* TPIDR_EL2: this CPU's entry in the CPU table (core/smp.c), index 0.
	 * Only at EL2: entered elsewhere, boot_main just says so and halts. */
	adrp	x1, smp_cpus
	add	x1, x1, :lo12:smp_cpus
	msr	tpidr_el2, x1
	isb
6:
	mov	x0, x19
	mov	x1, x20
	bl	boot_main
park:
	b	secondary_park

	/*
	 * image_move(dst, dtb) (image_place.c): copies the image up to its .bss to
	 * dst, which does not overlap it, and enters the copy at _start as the
	 * loader would (x0 = DTB), MMU off. The copy clears its own .bss and
	 * relocates itself for where it is.
	 */
	.globl	image_move
image_move:
	adr	x2, _start
	adrp	x3, __bss_start
	add	x3, x3, :lo12:__bss_start
	mov	x4, x0
1:	cmp	x2, x3				/* both 16-byte aligned */
	b.hs	2f
	ldp	x5, x6, [x2], #16
	stp	x5, x6, [x4], #16
	b	1b
2:	/* Written with the MMU off, past the cache: lines a loader that ran with the
	 * caches on may hold for the destination (the copy and its .bss) go, so the
	 * copy's caches, once on, see memory. */
	adr	x2, _start
	adrp	x3, __image_end
	add	x3, x3, :lo12:__image_end
	sub	x3, x3, x2
	add	x3, x3, x0			/* the copy's end */
	mrs	x5, ctr_el0
	ubfx	x5, x5, #16, #4			/* DminLine: log2 of words */
	mov	x6, #4
	lsl	x6, x6, x5			/* line size in bytes */
	mov	x4, x0				/* dst is 2 MiB aligned */
3:	dc	ivac, x4
	add	x4, x4, x6
	cmp	x4, x3
	b.lo	3b
	dsb	sy
	ic	iallu
	dsb	sy
	isb
	mov	x2, x0
	mov	x0, x1
	mov	x1, xzr
	br	x2

	/*
	 * A secondary core started by smp_boot.c (PSCI CPU_ON or the spin
	 * table): at EL2, MMU and caches off. smp_boot_block (cleaned to the
	 * point of coherency) says which core it is for and holds the boot
	 * CPU's translation registers; a core it is not for parks (one that
	 * came too late, after the next core's block was written).
	 */
	.globl	secondary_entry
secondary_entry:
	msr	daifset, #0xf
	msr	spsel, #1			/* the stack below is SP_EL2 */
	adrp	x1, smp_boot_block
	add	x1, x1, :lo12:smp_boot_block
	mrs	x3, mpidr_el1
	and	x4, x3, #0xffffff		/* Aff2:Aff1:Aff0 */
	ubfx	x3, x3, #32, #8			/* Aff3 */
	orr	x3, x4, x3, lsl #32
	ldr	x2, [x1, #0]
	cmp	x2, x3
	b.ne	secondary_park
	ldp	x2, x3, [x1, #8]		/* mair, tcr */
	msr	mair_el2, x2
	msr	tcr_el2, x3
	ldp	x2, x3, [x1, #24]		/* ttbr0, sctlr */
	msr	ttbr0_el2, x2
	ldr	x4, [x1, #40]			/* vbar */
	msr	vbar_el2, x4
	dsb	sy
	isb
	tlbi	alle2
	dsb	sy
	ic	iallu
	dsb	sy
	isb
	msr	sctlr_el2, x3
	isb
	ldp	x0, x2, [x1, #48]		/* its struct smp_cpu, stack top */
	mov	sp, x2
	msr	tpidr_el2, x0
	bl	smp_secondary_main
	b	secondary_park

	/*
	 * Where secondary cores wait: the spin table's entry point that
	 * smp_park.c gives them (MMU and caches off, at EL2), and any core
	 * that entered at _start. Each says it arrived (secondary_parked[Aff0],
	 * read by the boot CPU before its MMU is on), then sleeps in WFI with
	 * interrupts masked: no interrupt is routed to it, and unlike the
	 * firmware's WFE loop a core in WFI costs nothing (QEMU's TCG runs a
	 * WFE loop flat out).
	 */
	.globl	secondary_park
secondary_park:
	msr	daifset, #0xf
	mrs	x1, mpidr_el1
	and	x1, x1, #7
	adrp	x2, secondary_parked
	add	x2, x2, :lo12:secondary_parked
	mov	w3, #1
	strb	w3, [x2, x1]
	dsb	sy
1:	wfi
	b	1b

	/* The boot CPU's stack. */
	.section .bss.stack, "aw", %nobits
	.balign 16
	.globl __stack_bottom, __stack_top
__stack_bottom:
	.space	CONFIG_STACK_SIZE
__stack_top:
