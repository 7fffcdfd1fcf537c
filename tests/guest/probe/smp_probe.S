/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A bare-metal guest of four vCPUs (an arm64 Image) that tries PSCI and the
 * emulated GIC the way a buggy or hostile kernel would, and prints what it got
 * on its PL011: one "name=0x<value>" line each, then "PROBE DONE".
 *
 * vCPU 0 asks for vCPUs that do not exist, entry points outside its RAM, a
 * vCPU that is already on; starts vCPU 1 (which reports its context and MPIDR
 * through memory, waits to be told, and stops with CPU_OFF), starts it again;
 * writes GIC registers with targets beyond its four vCPUs (GICv2: ITARGETSR and
 * GICD_SGIR; GICv3, found by its PIDR2: IROUTER and ICC_SGI1R_EL1, after walking
 * the redistributors); then starts vCPU 2
 * on a page of zeros: it takes an undefined-instruction exception to a vector
 * base of 0, outside its RAM, and so on for ever (every fetch an abort the
 * hypervisor injects). vCPU 0 then idles. Built and run by
 * tests/guest/test_smp_probe.py; position-independent.
 */
#include "probe.inc"

#define GICD 0x08000000
#define GICR 0x080a0000                 /* a GICv3's redistributors (vgic.h) */
#define PSCI_VERSION 0x84000000
#define PSCI_CPU_OFF 0x84000002
#define PSCI_CPU_ON 0xc4000003
#define PSCI_AFFINITY_INFO 0xc4000004

/* Prints the string at x0, then x1 as 0x + 16 hex digits, then a newline.
 * Clobbers x0, x2-x6. */
report:
	mov	x6, x30
	bl	puts
	bl	puthex
	mov	x2, #UART
	mov	w3, #'\n'
	strb	w3, [x2]
	ret	x6

/* PSCI call: x0 function, x1-x3 arguments; result in x1 (for report). */
.macro psci fn
	ldr	x0, =\fn
	hvc	#0
	mov	x1, x0
.endm

.macro say name
	adr	x0, \name
	bl	report
.endm

/* Waits (WFE: another vCPU gets the CPU) until the word at mailbox+off is val. */
.macro wait_for off, val
	adr	x9, mailbox
4:	ldr	w10, [x9, #\off]
	cmp	w10, #\val
	b.eq	5f
	wfe
	b	4b
5:
.endm

entry:
	adr	x0, s_start
	mov	x1, #0
	bl	report
	mrs	x1, mpidr_el1
	say	s_mpidr0

	mov	x1, #1
	mov	x2, #0
	psci	PSCI_AFFINITY_INFO
	say	s_aff1_initial			/* 1: off */

	mov	x1, #7
	adr	x2, secondary
	mov	x3, #0
	psci	PSCI_CPU_ON
	say	s_on7				/* -2: no such vCPU */

	mov	x1, #1
	ldr	x2, =0xdead0000
	mov	x3, #0
	psci	PSCI_CPU_ON
	say	s_on1_badentry			/* -9: outside RAM */

	mov	x1, #0
	adr	x2, secondary
	mov	x3, #0
	psci	PSCI_CPU_ON
	say	s_on0				/* -4: the caller is on */

	mov	x1, #1
	adr	x2, secondary
	ldr	x3, =0x1111
	psci	PSCI_CPU_ON
	say	s_on1				/* 0 */

	wait_for 0, 1				/* vCPU 1 ran */
	mov	x1, #1
	adr	x2, secondary
	mov	x3, #0
	psci	PSCI_CPU_ON
	say	s_on1_again			/* -4: on */
	mov	x1, #1
	mov	x2, #0
	psci	PSCI_AFFINITY_INFO
	say	s_aff1_on			/* 0: on */
	adr	x9, mailbox
	ldr	x1, [x9, #8]
	say	s_ctx1				/* 0x1111 */
	ldr	x1, [x9, #16]
	say	s_mpidr1
	mov	w10, #1
	str	w10, [x9, #4]			/* go: vCPU 1 stops */
	sev

	ldr	x19, =100000			/* AFFINITY_INFO until off, bounded */
6:	mov	x1, #1
	mov	x2, #0
	psci	PSCI_AFFINITY_INFO
	cmp	x1, #1
	b.eq	7f
	subs	x19, x19, #1
	b.ne	6b
7:	say	s_aff1_off			/* 1: off */

	ldr	x20, =GICD			/* x20: report leaves it alone */
	ldr	w1, [x20, #0xfe8]		/* GICv2's ICPIDR2 (reserved on a GICv3) */
	ubfx	w1, w1, #4, #4
	cmp	w1, #2
	b.ne	gicv3
	say	s_gic				/* 2: the guest sees a GICv2 */
	ldr	w1, [x20, #4]
	say	s_typer				/* CPUNumber (bits 7:5) = 3 */
	mov	w21, #0xff
	strb	w21, [x20, #0x820]		/* SPI 32 to vCPUs 0-7 */
	ldrb	w1, [x20, #0x820]
	say	s_itargets32			/* 0x0f: the four there are */
	ldr	w21, =0x03000001		/* reserved target filter */
	str	w21, [x20, #0xf00]
	ldr	w21, =0x00ff0001		/* SGI 1 to vCPUs 0-7 */
	str	w21, [x20, #0xf00]
	mov	x1, #0
	say	s_sgir
	b	gic_done

gicv3:						/* a GICv3 host: the guest sees a GICv3 */
	add	x21, x20, #0xf000
	ldr	w1, [x21, #0xfe8]		/* GICD_PIDR2 */
	ubfx	w1, w1, #4, #4
	say	s_gic				/* 3 */
	ldr	x21, =GICR
	mov	x22, #0				/* redistributors up to the one marked Last */
8:	ldr	x23, [x21, #8]			/* GICR_TYPER */
	add	x22, x22, #1
	add	x21, x21, #0x20000
	tbnz	x23, #4, 9f
	cmp	x22, #8
	b.lo	8b
9:	mov	x1, x22
	say	s_rdists			/* 4 */
	lsr	x1, x23, #32
	say	s_last_aff			/* the last one's affinity: vCPU 3 */
	add	x21, x20, #0x6000
	mov	x23, #7
	str	x23, [x21, #0x100]		/* GICD_IROUTER32: Aff0 7, no such vCPU */
	ldr	x1, [x21, #0x100]
	say	s_irouter32			/* 0xff: routed to none */
	ldr	x23, =0x00ff00000001ffff	/* SGI 1, Aff3 0xff: to no vCPU here */
	orr	x23, x23, #(1 << 24)
	msr	s3_0_c12_c11_5, x23		/* ICC_SGI1R_EL1 (traps) */
	ldr	x23, =0x0000f0000000ffff	/* RS 15: Aff0 240-255, none of ours */
	msr	s3_0_c12_c11_5, x23
	mov	x23, #(1 << 24)
	orr	x23, x23, #(1 << 40)		/* IRM: every vCPU but this one */
	msr	s3_0_c12_c11_5, x23
	msr	s3_0_c12_c11_7, x23		/* ICC_SGI0R_EL1: group 0, ignored */
	mov	x1, #0
	say	s_sgir
gic_done:

	mov	x1, #1				/* vCPU 1 again, after its CPU_OFF */
	adr	x2, secondary
	ldr	x3, =0x2222
	psci	PSCI_CPU_ON
	say	s_on1_restart			/* 0 */
	wait_for 0, 2
	adr	x9, mailbox
	ldr	x1, [x9, #8]
	say	s_ctx1b				/* 0x2222 */

	mov	x1, #2				/* vCPU 2 on a page of zeros */
	adr	x2, zeros
	mov	x3, #0
	psci	PSCI_CPU_ON
	say	s_on2_hostile			/* 0 */
	mov	x1, #0
	say	s_done
8:	wfi
	b	8b

/* vCPU 1: x0 = its context. Reports it and its MPIDR, counts its start in
 * mailbox+0, waits for mailbox+4 to say go (the first time), then stops. */
secondary:
	adr	x9, mailbox
	str	x0, [x9, #8]
	mrs	x10, mpidr_el1
	str	x10, [x9, #16]
	ldr	w10, [x9]
	add	w10, w10, #1
	str	w10, [x9]
	sev
	wait_for 4, 1
	ldr	x0, =PSCI_CPU_OFF
	hvc	#0
	b	.				/* CPU_OFF does not return */

	.ltorg
s_start:	.asciz "PROBE START "
s_mpidr0:	.asciz "mpidr0="
s_aff1_initial:	.asciz "aff1_initial="
s_on7:		.asciz "on7="
s_on1_badentry:	.asciz "on1_badentry="
s_on0:		.asciz "on0="
s_on1:		.asciz "on1="
s_on1_again:	.asciz "on1_again="
s_aff1_on:	.asciz "aff1_on="
s_ctx1:		.asciz "ctx1="
s_mpidr1:	.asciz "mpidr1="
s_aff1_off:	.asciz "aff1_off="
s_gic:	.asciz "gic="
s_rdists:	.asciz "rdists="
s_last_aff:	.asciz "last_aff="
s_irouter32:	.asciz "irouter32="
s_typer:	.asciz "typer="
s_itargets32:	.asciz "itargets32="
s_sgir:		.asciz "sgir="
s_on1_restart:	.asciz "on1_restart="
s_ctx1b:	.asciz "ctx1b="
s_on2_hostile:	.asciz "on2_hostile="
s_done:		.asciz "PROBE DONE "

	.balign	8
mailbox:	.quad 0, 0, 0			/* starts, go | context | mpidr */

	.balign	4096
zeros:		.skip 4096			/* UDF #0 all the way */
image_end:
