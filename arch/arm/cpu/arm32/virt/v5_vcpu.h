/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ARMv5 (ARM926EJ-S) vCPU core of issue 15, pure logic: the guest's registers as its
 * virtual mode sees them, its virtual CPSR and SPSRs, its cp15, the emulation of the
 * sensitive instructions the patcher turned into SVCs (given the original word), cp15
 * accesses (the undefined-instruction word) and exception injection. No hardware access:
 * every function takes the state explicitly. Behaviour is in docs/armv5-virt.md, "vCPU core".
 *
 * PC convention: r[15] is the address of the instruction being emulated (not +8) when an
 * emulation function is called; after V5_NEXT or V5_IDLE it is the address of the next
 * instruction. For injection, see v5_inject().
 */
#ifndef ARM32_VIRT_V5_VCPU_H
#define ARM32_VIRT_V5_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "v5_hooks.h"

/* CPSR fields (ARM ARM A2.5). */
#define V5_PSR_MODE 0x1fu
#define V5_PSR_T (1u << 5)
#define V5_PSR_F (1u << 6)
#define V5_PSR_I (1u << 7)
#define V5_PSR_J (1u << 24)
#define V5_PSR_Q (1u << 27)
#define V5_PSR_FLAGS 0xf8000000u   /* N Z C V Q */
#define V5_PSR_C (1u << 29)

enum v5_mode {
	V5_MODE_USR = 0x10, V5_MODE_FIQ = 0x11, V5_MODE_IRQ = 0x12, V5_MODE_SVC = 0x13,
	V5_MODE_ABT = 0x17, V5_MODE_UND = 0x1b, V5_MODE_SYS = 0x1f,
};

/* Register banks: USR and SYS share one. */
enum v5_bank { V5_BANK_USR, V5_BANK_SVC, V5_BANK_ABT, V5_BANK_UND, V5_BANK_IRQ, V5_BANK_FIQ,
	       V5_BANKS };

/* cp15 c1 bits (ARM926EJ-S TRM). */
#define V5_SCTLR_M (1u << 0)
#define V5_SCTLR_A (1u << 1)
#define V5_SCTLR_C (1u << 2)
#define V5_SCTLR_S (1u << 8)
#define V5_SCTLR_R (1u << 9)
#define V5_SCTLR_I (1u << 12)
#define V5_SCTLR_V (1u << 13)
#define V5_SCTLR_RR (1u << 14)
#define V5_SCTLR_L4 (1u << 15)
#define V5_SCTLR_WRITABLE 0x0000f307u  /* M A C S R I V RR L4 (B is kept 0: little-endian) */
#define V5_SCTLR_ONES 0x00050078u      /* should-be-one bits: W, P, D, L and 16, 18 */

#define V5_MIDR_ARM926 0x41069265u
/* Cache type: write-back, c7 clean/invalidate, format C lockdown (ctype 1110), Harvard,
 * 16 KB 4-way 32-byte-line instruction and data caches. */
#define V5_CTR_ARM926 0x1d152152u

struct v5_cp15 {
	uint32_t sctlr;         /* c1 */
	uint32_t ttbr;          /* c2 */
	uint32_t dacr;          /* c3 */
	uint32_t dfsr, ifsr;    /* c5 */
	uint32_t far;           /* c6 */
	uint32_t fcse_pid;      /* c13, 0 */
	uint32_t context_id;    /* c13, 1 */
};

/* Things the guest did that the emulation refused or tidied, for the crash report and the
 * tests (saturating counters). */
struct v5_stats {
	uint32_t cp15_unknown;      /* cp15 accesses to registers an ARM926 does not have */
	uint32_t cp15_user;         /* cp15 accesses from virtual USR mode */
	uint32_t coproc_other;      /* accesses to coprocessors other than 15 */
	uint32_t bad_mode;          /* CPSR writes with an invalid mode, ignored */
	uint32_t unpredictable;     /* UNPREDICTABLE forms turned into undefined */
	uint32_t thumb_refused;     /* exception returns to Thumb/Jazelle state refused */
	uint32_t lockdown_ignored;  /* c9/c10 lockdown and TCM writes ignored */
};

struct v5_vcpu {
	uint32_t r[16];              /* r0-r15 of the current virtual mode */
	uint32_t cpsr;               /* virtual CPSR: mode always valid, T and J always 0 */
	uint32_t spsr[V5_BANKS];     /* [V5_BANK_USR] is never used */
	/* r13/r14 of the banks that are not current (the current bank's slot is stale). */
	uint32_t bank_r13[V5_BANKS], bank_r14[V5_BANKS];
	/* r8-r12 of the set not in r[]: FIQ's while not in FIQ mode, everyone else's in it. */
	uint32_t usr_r8_12[5], fiq_r8_12[5];
	struct v5_cp15 cp15;
	struct v5_stats stats;
	const struct v5_mmu_hooks *hooks;
};

/* Guest memory as the emulated LDM/STM see it: `access` reads (*val out) or writes (*val
 * in) `size` bytes (always 4 here) at virtual address `va` with the privilege given. It
 * returns true, or false with *fsr the ARM926 DFSR value (domain and status) to report. */
struct v5_mem {
	void *ctx;
	bool (*access)(void *ctx, uint32_t va, unsigned size, bool write, bool privileged,
		       uint32_t *val, uint32_t *fsr);
};

/* What the host must do to its real caches for a guest c7 operation. The guest's caches
 * are the real ones (same CPU), so maintenance it asks for is done for real; invalidation
 * without clean is widened to clean+invalidate (never discard someone else's dirty data),
 * set/way forms to the whole cache. */
enum v5_cache_op {
	V5_CACHE_NONE = 0,
	V5_CACHE_I_INV_ALL,        /* invalidate the whole I-cache */
	V5_CACHE_I_INV_MVA,        /* invalidate the I line holding mva */
	V5_CACHE_D_CLEAN_MVA,      /* clean the D line holding mva */
	V5_CACHE_D_CLEAN_INV_MVA,  /* clean and invalidate the D line holding mva */
	V5_CACHE_D_CLEAN_ALL,      /* clean the whole D-cache */
	V5_CACHE_D_CLEAN_INV_ALL,  /* clean and invalidate the whole D-cache */
	V5_CACHE_ALL_CLEAN_INV,    /* clean+invalidate D, invalidate I */
	V5_CACHE_DRAIN_WB,         /* drain the write buffer */
};

enum v5_result_kind {
	V5_NEXT,    /* done: r[15] is the next instruction */
	V5_UNDEF,   /* inject an undefined-instruction exception (state unchanged) */
	V5_DABT,    /* inject a data abort at far with fsr (see partial failure in the doc) */
	V5_IDLE,    /* wait for interrupt: done, r[15] is the next instruction; idle the vCPU */
};

struct v5_result {
	enum v5_result_kind kind;
	uint32_t far, fsr;           /* V5_DABT */
	enum v5_cache_op cache;      /* V5_NEXT after a c7 operation */
	uint32_t cache_mva;
};

/* What a word is, for the integration and the cross-check against a real kernel. */
enum v5_insn {
	V5_INSN_NONE,          /* not one this core emulates */
	V5_INSN_MRS, V5_INSN_MSR_REG, V5_INSN_MSR_IMM,
	V5_INSN_DP_PC_S,       /* data processing, S=1, Rd=PC: exception return */
	V5_INSN_LDM_USER,      /* LDM ^ without PC */
	V5_INSN_LDM_RETURN,    /* LDM ^ with PC */
	V5_INSN_STM_USER,      /* STM ^ */
	V5_INSN_CP15_MCR, V5_INSN_CP15_MRC,
	V5_INSN_COPROC_OTHER,  /* other coprocessor instructions (and CDP/LDC/STC/MCRR to cp15) */
};

/* --- state (v5_vcpu.c) --- */
void v5_vcpu_reset(struct v5_vcpu *v, const struct v5_mmu_hooks *hooks);
bool v5_mode_valid(uint32_t mode);
bool v5_privileged(const struct v5_vcpu *v);
enum v5_bank v5_bank_of(uint32_t mode);
bool v5_has_spsr(const struct v5_vcpu *v);
/* Register n (0-14; 15 is r[15]) as mode `mode` sees it, wherever it is stored now. An
 * invalid mode is taken as USR. */
uint32_t v5_reg_in_mode(const struct v5_vcpu *v, uint32_t mode, unsigned n);
void v5_set_reg_in_mode(struct v5_vcpu *v, uint32_t mode, unsigned n, uint32_t val);
/* Switches to `mode` (must be valid) swapping the banked registers; calls mode_change
 * when the privilege changes. Does not touch the other CPSR bits. */
void v5_switch_mode(struct v5_vcpu *v, uint32_t mode);
/* Writes the CPSR bits in `mask` (only N Z C V Q I F and mode: never T, J or reserved
 * bits); an invalid mode is ignored and counted. */
void v5_write_cpsr(struct v5_vcpu *v, uint32_t val, uint32_t mask);
bool v5_cond_passed(uint32_t cond, uint32_t cpsr);

/* --- exceptions (v5_vcpu.c) --- */
enum v5_exception {
	V5_EXC_UNDEF, V5_EXC_SVC, V5_EXC_PABT, V5_EXC_DABT, V5_EXC_IRQ, V5_EXC_FIQ,
};
/* Enters the guest's exception vector. r[15] must be: the address of the instruction for
 * UNDEF/SVC/PABT/DABT, the address of the next instruction to execute for IRQ/FIQ. */
void v5_inject(struct v5_vcpu *v, enum v5_exception exc);
void v5_inject_dabt(struct v5_vcpu *v, uint32_t far, uint32_t fsr);
void v5_inject_pabt(struct v5_vcpu *v, uint32_t ifsr);
uint32_t v5_vector_base(const struct v5_vcpu *v);
/* Should an IRQ (FIQ) be taken now: the line is high and CPSR.I (F) is clear. */
bool v5_irq_should_take(const struct v5_vcpu *v, bool irq_line);
bool v5_fiq_should_take(const struct v5_vcpu *v, bool fiq_line);
/* Carries out a result: injects V5_UNDEF / V5_DABT; nothing for V5_NEXT / V5_IDLE. */
void v5_apply(struct v5_vcpu *v, const struct v5_result *res);

/* --- sensitive instructions (v5_emul.c) --- */
enum v5_insn v5_classify(uint32_t word);
/* Emulates the original word at r[15]; mem is used by LDM/STM only. */
struct v5_result v5_emulate(struct v5_vcpu *v, uint32_t word, const struct v5_mem *mem);

/* --- cp15 (v5_cp15.c) --- */
/* Emulates a coprocessor instruction that trapped as undefined (MCR/MRC to cp15). */
struct v5_result v5_cp15_emulate(struct v5_vcpu *v, uint32_t word);
/* The register or operation an MCR/MRC word names, or NULL if an ARM926 has none. */
const char *v5_cp15_name(uint32_t word);

#endif
