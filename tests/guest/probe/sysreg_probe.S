/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A bare-metal guest (an arm64 Image) that reads and writes the system
 * registers a guest must not share with other guests, and prints what it
 * got on its PL011: one "name=0x<value>" or "name=undef esr=0x<ESR_EL1>"
 * line each, then "PROBE DONE", then PSCI SYSTEM_OFF.
 * Built and run by tests/guest/test_sysreg_probe.py. Position-independent:
 * the hypervisor loads it at the guest's RAM base + text_offset.
 */
#include "probe.inc"

/* After a probe: "=0x<x1>" or "=undef esr=0x<x28>", and a newline. */
report:
	mov	x26, x30
	cmn	x28, #1
	b.ne	1f
	adr	x0, s_eq
	bl	puts
	bl	puthex
	b	2f
1:	adr	x0, s_undef
	bl	puts
	mov	x1, x28
	bl	puthex
2:	adr	x0, s_nl
	bl	puts
	mov	x30, x26
	ret

.macro name str
	adr	x0, 9f
	bl	puts
	mov	x28, #-1
	b	8f
9:	.asciz	"\str"
	.balign 4
8:
.endm

.macro probe_read str, reg
	name	\str
	mov	x1, #0
	mrs	x1, \reg
	bl	report
.endm

/* Writes val, then reads back. */
.macro probe_write_read str, reg, val
	name	\str
	ldr	x1, =\val
	msr	\reg, x1
	mov	x1, #0
	cmn	x28, #1
	b.ne	7f
	mrs	x1, \reg
7:	bl	report
.endm

entry:
	adr	x0, vectors
	msr	vbar_el1, x0
	isb
	adr	x0, s_start
	bl	puts
	probe_read "id_aa64pfr0", id_aa64pfr0_el1
	probe_read "id_aa64pfr1", id_aa64pfr1_el1
	probe_read "id_aa64isar1", id_aa64isar1_el1
	probe_read "id_aa64dfr0", id_aa64dfr0_el1
	probe_read "pmcr", pmcr_el0
	probe_read "pmccntr", pmccntr_el0
	probe_read "pmuserenr", pmuserenr_el0
	probe_write_read "dbgbvr0", dbgbvr0_el1, 0x12345678
	probe_write_read "dbgwvr0", dbgwvr0_el1, 0x87654320
	probe_write_read "dbgbcr0", dbgbcr0_el1, 0x1e7
	probe_write_read "mdscr", mdscr_el1, 0x8000
	probe_read "oslsr", oslsr_el1
	probe_read "actlr", actlr_el1
	probe_read "icc_sre", s3_0_c12_c12_5
	probe_read "apiakeylo", s3_0_c2_c1_0
	/* SVE enabled at EL1 as far as the guest's own CPACR_EL1.ZEN goes, so
	 * the access reaches CPTR_EL2.TZ. */
	mrs	x1, cpacr_el1
	orr	x1, x1, #(3 << 16)
	msr	cpacr_el1, x1
	isb
	probe_read "zcr", s3_0_c1_c2_0
	adr	x0, s_done
	bl	puts
	ldr	x0, =0x84000008			/* PSCI SYSTEM_OFF */
	hvc	#0
	b	.

	.ltorg

/* EL1 vectors: a synchronous exception (the UNDEFINED instructions the
 * probes expect) records ESR_EL1 in x28 and skips the instruction. */
	.balign 0x800
vectors:
	.skip	0x200
	mrs	x28, esr_el1
	mrs	x27, elr_el1
	add	x27, x27, #4
	msr	elr_el1, x27
	eret
	.balign 0x80
	.skip	0x600

s_start:	.asciz	"PROBE START\n"
s_eq:		.asciz	"="
s_undef:	.asciz	"=undef esr="
s_nl:		.asciz	"\n"
s_done:		.asciz	"PROBE DONE\n"
	.balign 16
image_end:
