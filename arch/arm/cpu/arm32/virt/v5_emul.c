/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Emulation of the ARMv5 instructions that behave differently in USR mode without
 * trapping (the patcher turns them into SVCs; we get the original word back): MRS, MSR,
 * data processing with S and Rd = PC, LDM/STM with the S bit. Written from the ARM ARM
 * (DDI 0100, A4.1); the choices for UNPREDICTABLE forms are in docs/armv5-virt.md.
 */
#include "v5_vcpu.h"

#define COUNT(c) ((c) += (c) != UINT32_MAX)
#define BIT(w, n) (((w) >> (n)) & 1u)
/* The CPSR bits MSR may write (ARMv5TE: flags and Q; mode, I, F when privileged). */
#define CPSR_USER_MASK 0xf8000000u
#define CPSR_PRIV_MASK 0xf80000dfu
/* The bits an SPSR holds (T and J included: they are checked at exception return). */
#define SPSR_MASK 0xf90000ffu

enum v5_insn v5_classify(uint32_t word)
{
	uint32_t cond = word >> 28;

	if ((word & 0x0c000000u) == 0x0c000000u) {   /* coprocessor and SWI space */
		if ((word & 0x0f000000u) == 0x0f000000u)
			return cond == 0xf ? V5_INSN_COPROC_OTHER : V5_INSN_NONE;  /* SWI */
		if ((word & 0x0f000010u) == 0x0e000010u && ((word >> 8) & 15) == 15 && cond != 0xf)
			return BIT(word, 20) ? V5_INSN_CP15_MRC : V5_INSN_CP15_MCR;
		return V5_INSN_COPROC_OTHER;
	}
	if (cond == 0xf)
		return V5_INSN_NONE;
	if ((word & 0x0f9000f0u) == 0x01000000u)
		return BIT(word, 21) ? V5_INSN_MSR_REG : V5_INSN_MRS;
	if ((word & 0x0fb00000u) == 0x03200000u)
		return V5_INSN_MSR_IMM;
	if ((word & 0x0c10f000u) == 0x0010f000u) {
		uint32_t op = (word >> 21) & 15;
		if (!BIT(word, 25) && (word & 0x90u) == 0x90u)
			return V5_INSN_NONE;   /* multiply / extra load-store space */
		if (op >= 8 && op <= 11)
			return V5_INSN_NONE;   /* TST/TEQ/CMP/CMN with Rd = 15: 26-bit forms */
		return V5_INSN_DP_PC_S;
	}
	if ((word & 0x0e400000u) == 0x08400000u) {
		if (!BIT(word, 20))
			return V5_INSN_STM_USER;
		return BIT(word, 15) ? V5_INSN_LDM_RETURN : V5_INSN_LDM_USER;
	}
	return V5_INSN_NONE;
}

static struct v5_result result(enum v5_result_kind kind)
{
	return (struct v5_result){.kind = kind};
}

static struct v5_result unpredictable(struct v5_vcpu *v)
{
	COUNT(v->stats.unpredictable);
	return result(V5_UNDEF);
}

static struct v5_result next(struct v5_vcpu *v)
{
	v->r[15] += 4;
	return result(V5_NEXT);
}

/* A register as an operand: the PC reads as the instruction's address + 8. */
static uint32_t operand_reg(const struct v5_vcpu *v, unsigned n)
{
	return n == 15 ? v->r[15] + 8 : v->r[n];
}

static uint32_t ror32(uint32_t x, unsigned n)
{
	n &= 31;
	return n ? (x >> n) | (x << (32 - n)) : x;
}

static uint32_t imm_operand(uint32_t word)
{
	return ror32(word & 0xff, ((word >> 8) & 15) * 2);
}

/* An SPSR is a state we may return to: a valid mode, ARM state (no Thumb, no Jazelle). */
static bool spsr_returnable(struct v5_vcpu *v, uint32_t spsr)
{
	if (!v5_mode_valid(spsr & V5_PSR_MODE)) {
		COUNT(v->stats.bad_mode);
		return false;
	}
	if (spsr & (V5_PSR_T | V5_PSR_J)) {
		COUNT(v->stats.thumb_refused);
		return false;
	}
	return true;
}

/* CPSR := SPSR, PC := pc (checked by spsr_returnable beforehand). */
static void exception_return(struct v5_vcpu *v, uint32_t spsr, uint32_t pc)
{
	v5_switch_mode(v, spsr & V5_PSR_MODE);
	v->cpsr = spsr & CPSR_PRIV_MASK;
	v->r[15] = pc & ~3u;   /* ARM state: a misaligned PC is UNPREDICTABLE; word-align it */
}

static uint32_t field_mask(uint32_t word)
{
	uint32_t m = 0;
	for (unsigned i = 0; i < 4; i++)
		if (BIT(word, 16 + i))
			m |= 0xffu << (8 * i);
	return m;
}

static struct v5_result emulate_mrs(struct v5_vcpu *v, uint32_t word)
{
	unsigned rd = (word >> 12) & 15;

	if (rd == 15)
		return unpredictable(v);
	if (BIT(word, 22)) {
		if (!v5_has_spsr(v))
			return unpredictable(v);
		v->r[rd] = v->spsr[v5_bank_of(v->cpsr)];
	} else {
		v->r[rd] = v->cpsr;
	}
	return next(v);
}

static struct v5_result emulate_msr(struct v5_vcpu *v, uint32_t word, bool imm)
{
	uint32_t val, mask = field_mask(word);

	if (imm) {
		val = imm_operand(word);
	} else {
		if ((word & 15) == 15)
			return unpredictable(v);
		val = v->r[word & 15];
	}
	if (BIT(word, 22)) {
		if (!v5_has_spsr(v))
			return unpredictable(v);
		uint32_t *spsr = &v->spsr[v5_bank_of(v->cpsr)];
		mask &= SPSR_MASK;
		*spsr = (*spsr & ~mask) | (val & mask);
	} else {
		mask &= v5_privileged(v) ? CPSR_PRIV_MASK : CPSR_USER_MASK;
		v5_write_cpsr(v, val, mask);
	}
	return next(v);
}

/* Shifter operand of an immediate-shift register form (A5.1). */
static uint32_t shifted_reg(const struct v5_vcpu *v, uint32_t word)
{
	uint32_t rm = operand_reg(v, word & 15), amount = (word >> 7) & 31;

	switch ((word >> 5) & 3) {
	case 0:
		return amount ? rm << amount : rm;
	case 1:
		return amount ? rm >> amount : 0;
	case 2:
		if (!amount)
			return (rm & 0x80000000u) ? 0xffffffffu : 0;
		return (rm >> amount) | ((rm & 0x80000000u) ? ~(0xffffffffu >> amount) : 0);
	default:
		if (!amount)   /* RRX */
			return (BIT(v->cpsr, 29) << 31) | (rm >> 1);
		return ror32(rm, amount);
	}
}

static struct v5_result emulate_dp_pc(struct v5_vcpu *v, uint32_t word)
{
	uint32_t op2, rn, res, c = BIT(v->cpsr, 29);

	if (!v5_has_spsr(v))
		return unpredictable(v);
	if (BIT(word, 25))
		op2 = imm_operand(word);
	else if (BIT(word, 4))
		return unpredictable(v);   /* register-shifted register with Rd = PC */
	else
		op2 = shifted_reg(v, word);
	rn = operand_reg(v, (word >> 16) & 15);
	switch ((word >> 21) & 15) {
	case 0: res = rn & op2; break;           /* AND */
	case 1: res = rn ^ op2; break;           /* EOR */
	case 2: res = rn - op2; break;           /* SUB */
	case 3: res = op2 - rn; break;           /* RSB */
	case 4: res = rn + op2; break;           /* ADD */
	case 5: res = rn + op2 + c; break;       /* ADC */
	case 6: res = rn - op2 - !c; break;      /* SBC */
	case 7: res = op2 - rn - !c; break;      /* RSC */
	case 12: res = rn | op2; break;          /* ORR */
	case 13: res = op2; break;               /* MOV */
	case 14: res = rn & ~op2; break;         /* BIC */
	case 15: res = ~op2; break;              /* MVN */
	default: return unpredictable(v);        /* TST..CMN: not classified as this */
	}
	uint32_t spsr = v->spsr[v5_bank_of(v->cpsr)];
	if (!spsr_returnable(v, spsr))
		return result(V5_UNDEF);
	exception_return(v, spsr, res);
	return result(V5_NEXT);
}

static struct v5_result emulate_ldstm(struct v5_vcpu *v, uint32_t word, enum v5_insn kind,
				      const struct v5_mem *mem)
{
	unsigned rn = (word >> 16) & 15, n = 0;
	uint32_t list = word & 0xffff, tmp[16] = {0};
	bool load = kind != V5_INSN_STM_USER, wback = BIT(word, 21);

	for (unsigned i = 0; i < 16; i++)
		n += BIT(list, i);
	if (!n || rn == 15 || !v5_has_spsr(v) || (wback && kind != V5_INSN_LDM_RETURN))
		return unpredictable(v);
	if (!mem || !mem->access)
		return result(V5_UNDEF);
	uint32_t spsr = v->spsr[v5_bank_of(v->cpsr)];
	if (kind == V5_INSN_LDM_RETURN && !spsr_returnable(v, spsr))
		return result(V5_UNDEF);

	uint32_t base = v->r[rn], span = 4 * n, addr;
	bool up = BIT(word, 23), pre = BIT(word, 24);
	if (up)
		addr = pre ? base + 4 : base;
	else
		addr = pre ? base - span : base - span + 4;
	if ((v->cp15.sctlr & V5_SCTLR_A) && (addr & 3))
		return (struct v5_result){.kind = V5_DABT, .far = addr, .fsr = 0x1};  /* alignment */
	addr &= ~3u;

	/* Ascending addresses, lowest register first. A failed access stops here: no
	 * register has changed (loads go to tmp first); stores before it have been made. */
	for (unsigned i = 0; i < 16; i++) {
		if (!BIT(list, i))
			continue;
		uint32_t fsr = 0;
		if (!load)
			tmp[i] = i == 15 ? v->r[15] + 8 : v5_reg_in_mode(v, V5_MODE_USR, i);
		if (!mem->access(mem->ctx, addr, 4, !load, true, &tmp[i], &fsr))
			return (struct v5_result){.kind = V5_DABT, .far = addr, .fsr = fsr & 0xff};
		addr += 4;
	}
	if (kind == V5_INSN_STM_USER)
		return next(v);
	if (kind == V5_INSN_LDM_USER) {
		for (unsigned i = 0; i < 15; i++)
			if (BIT(list, i))
				v5_set_reg_in_mode(v, V5_MODE_USR, i, tmp[i]);
		return next(v);
	}
	/* Exception return: current-mode registers, then CPSR := SPSR. With Rn in the list
	 * and writeback (UNPREDICTABLE), the loaded value wins. */
	if (wback && !BIT(list, rn))
		v->r[rn] = up ? base + span : base - span;
	for (unsigned i = 0; i < 15; i++)
		if (BIT(list, i))
			v->r[i] = tmp[i];
	exception_return(v, spsr, tmp[15]);
	return result(V5_NEXT);
}

struct v5_result v5_emulate(struct v5_vcpu *v, uint32_t word, const struct v5_mem *mem)
{
	enum v5_insn kind = v5_classify(word);

	switch (kind) {
	case V5_INSN_MRS: case V5_INSN_MSR_REG: case V5_INSN_MSR_IMM: case V5_INSN_DP_PC_S:
	case V5_INSN_LDM_USER: case V5_INSN_LDM_RETURN: case V5_INSN_STM_USER:
		break;
	default:
		return result(V5_UNDEF);   /* not a word the patcher replaces */
	}
	if (!v5_cond_passed(word >> 28, v->cpsr))
		return next(v);
	switch (kind) {
	case V5_INSN_MRS: return emulate_mrs(v, word);
	case V5_INSN_MSR_REG: return emulate_msr(v, word, false);
	case V5_INSN_MSR_IMM: return emulate_msr(v, word, true);
	case V5_INSN_DP_PC_S: return emulate_dp_pc(v, word);
	default: return emulate_ldstm(v, word, kind, mem);
	}
}
