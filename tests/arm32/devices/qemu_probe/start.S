/* SPDX-License-Identifier: GPL-2.0-only */
/* Entry of the bare-metal probe: a stack, then C. */
	.global _start
_start:
	ldr	sp, =0x00080000
	bl	probe_main
1:	b	1b
