/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Decoding the ARM-state load/store that faulted on an emulated device page (ARMv5 has no
 * syndrome register) and carrying it out on a register file through callbacks, so that
 * the vCPU core's structure need not be known here. From the ARMv5 ARM, "Load and Store
 * Instructions" and "Addressing modes 2 and 3".
 */
#ifndef ARM32_VIRT_V5_LDST_H
#define ARM32_VIRT_V5_LDST_H

#include <stdbool.h>
#include <stdint.h>

enum v5_ldst_status {
	V5_LDST_OK,
	V5_LDST_UNSUPPORTED,  /* LDM/STM, coprocessor, unpredictable forms, anything else */
	V5_LDST_ABORT,        /* a memory callback failed: nothing was changed */
};

struct v5_access {
	bool write;         /* a store (SWP/SWPB: both; write is true and swap is set) */
	bool swap;
	unsigned size;      /* 1, 2, 4, or 8 for LDRD/STRD (two words) */
	bool sign_extend;
	bool user;          /* LDRT/STRT/LDRBT/STRBT: user-mode rights */
	unsigned rt, rt2;   /* transfer register(s): rt2 = rt + 1 for LDRD/STRD, Rm for SWP */
	unsigned rn;        /* base */
	bool pre, up, writeback;
	/* offset: imm, or rm shifted (shift 0 LSL, 1 LSR, 2 ASR, 3 ROR; RRX is ROR #0) */
	bool reg_offset;
	unsigned rm, shift, shift_imm;
	uint32_t imm;
};

/* Decodes the 32-bit ARM instruction word insn (its condition is taken as passed). */
enum v5_ldst_status v5_ldst_decode(uint32_t insn, struct v5_access *a);

struct v5_regs {
	void *ctx;
	uint32_t (*get)(void *ctx, unsigned r);   /* r0..r14 as the guest's current mode sees */
	void (*set)(void *ctx, unsigned r, uint32_t v);  /* r15: a load to the PC (a branch) */
	bool (*carry)(void *ctx);                 /* CPSR.C, for RRX */
};

struct v5_mem {
	void *ctx;
	bool (*read)(void *ctx, uint32_t va, unsigned size, uint32_t *v);
	bool (*write)(void *ctx, uint32_t va, unsigned size, uint32_t v);
};

/* The address of the access and the base register's value after it (writeback).
 * pc is the address of the instruction (the PC reads as pc + 8). */
uint32_t v5_ldst_address(const struct v5_access *a, uint32_t pc, const struct v5_regs *r,
			 uint32_t *new_base);

/* Carries out a decoded access: memory through m, registers through r (loads, writeback).
 * Word loads from an unaligned address rotate (ARMv5 with c1.A clear); stores align. */
enum v5_ldst_status v5_ldst_execute(const struct v5_access *a, uint32_t pc,
				    const struct v5_regs *r, const struct v5_mem *m);

#endif
