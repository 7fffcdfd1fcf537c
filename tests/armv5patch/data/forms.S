/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Every instruction form the ARMv5 patcher handles, for tests/armv5patch. A global label
 * site_<kind>_<n> marks each word that must be patched; nothing else may be.
 * Built with: arm-linux-gnueabi-gcc -march=armv5te -marm -c forms.S
 */
	.syntax unified
	.arm
	.text
	.global	forms
forms:
site_mrs_cpsr_1:	mrs	r0, cpsr
site_mrs_cpsr_2:	mrsne	r3, cpsr
site_mrs_spsr_1:	mrs	lr, spsr
site_msr_cpsr_reg_1:	msr	cpsr_c, r1
site_msr_cpsr_reg_2:	msr	cpsr_fsxc, r2
site_msr_cpsr_reg_3:	msrmi	cpsr_f, ip
site_msr_spsr_reg_1:	msreq	spsr_fsxc, r4
site_msr_spsr_reg_2:	msr	spsr_x, lr
site_msr_cpsr_imm_1:	msr	cpsr_c, #0xd3
site_msr_cpsr_imm_2:	msrgt	cpsr_fc, #0x13
site_msr_spsr_imm_1:	msr	spsr_f, #0xf0000000
site_dp_pc_s_1:	movs	pc, lr
site_dp_pc_s_2:	subs	pc, lr, #4
site_dp_pc_s_3:	subsne	pc, lr, #8
site_dp_pc_s_4:	adds	pc, r1, r2, lsl #3
site_dp_pc_s_5:	.inst	0xe0b0f312	/* adcs pc, r0, r2, lsl r3 (register-shifted) */
site_dp_pc_s_6:	mvnscc	pc, #0
site_ldm_exc_return_1:	ldm	sp, {r0-pc}^
site_ldm_exc_return_2:	ldmfd	sp!, {pc}^
site_ldm_exc_return_3:	ldmiane	r1, {r0, pc}^	/* not contiguous: side table */
site_ldm_user_1:	ldmdb	r2, {r1-lr}^
site_stm_user_1:	stmdb	r0, {sp, lr}^
site_stm_user_2:	stm	r0, {r0, r2, lr}^	/* not contiguous: side table */
site_mrs_cpsr_3:	.inst	0xe10f0001	/* MRS with a should-be-zero bit set: side table */
	/* Not sensitive: */
	mov	pc, lr
	movs	r0, r1
	subs	r0, lr, #4
	ldm	sp, {r0-r3}
	stmdb	sp!, {r4, lr}
	ldrls	pc, [pc, r3, lsl #2]
	mul	r0, r1, r2
	ldrh	r0, [r1]
	svc	#0
	.inst	0xe130f00e	/* teqs with Rd = pc: UNPREDICTABLE, reported, not patched */
	/* Counted only: */
	mcr	p15, 0, r0, c7, c0, 4	/* wfi */
	mcr	p15, 0, r0, c3, c0, 0
	mrc	p15, 0, r0, c1, c0, 0
	mrcne	p15, 0, r1, c0, c0, 0
	mrc	p14, 0, r0, c0, c0, 0
	bl	external_function	/* a relocation next to, not on, the sites */
	ldr	r0, =0xe10f0000		/* literal pool word = mrs r0, cpsr */
	ldr	r1, =0xe8fd8000		/* = ldm sp!, {pc}^ */
	bx	lr
	.ltorg
	.word	0xe169f001		/* data that decodes as msr spsr_fsxc, r1 */
	.word	0xe1b0f00e		/* = movs pc, lr */
after_data:
site_mrs_cpsr_4:	mrscs	r5, cpsr
	bx	lr

	.section .text.thumb, "ax"
	.thumb
	.global	thumb_code
thumb_code:
	movs	r0, #1
	bx	lr
	.arm

	.data
	.word	0xe10f0000
