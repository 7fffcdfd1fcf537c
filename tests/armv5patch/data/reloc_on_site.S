/* SPDX-License-Identifier: GPL-2.0-only */
/* A sensitive instruction that is itself a relocation target: the patcher must refuse. */
	.syntax unified
	.arm
	.text
	.global	f
f:
	.reloc	., R_ARM_NONE, external_symbol
	mrs	r0, cpsr
	bx	lr
