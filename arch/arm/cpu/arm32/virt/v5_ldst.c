/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARM-state load/store decoding for MMIO emulation on ARMv5 (ARMv5 ARM "Addressing Mode 2:
 * Load and Store Word or Unsigned Byte", "Addressing Mode 3: Miscellaneous Loads and
 * Stores", SWP/SWPB). Forms the architecture calls UNPREDICTABLE are refused, so a guest
 * cannot make the emulation do something the hardware would not define.
 */
#include "v5_ldst.h"

#define BIT(insn, n) (((insn) >> (n)) & 1u)
#define REG(insn, lsb) (((insn) >> (lsb)) & 0xfu)

static enum v5_ldst_status word_or_byte(uint32_t insn, struct v5_access *a)
{
	bool p = BIT(insn, 24), w = BIT(insn, 21), load = BIT(insn, 20);
	if (BIT(insn, 25) && BIT(insn, 4))
		return V5_LDST_UNSUPPORTED;            /* media / undefined space */
	a->pre = p;
	a->up = BIT(insn, 23);
	a->size = BIT(insn, 22) ? 1 : 4;
	a->write = !load;
	a->user = !p && w;                             /* LDRT, STRT, LDRBT, STRBT */
	a->writeback = !p || w;
	a->rn = REG(insn, 16);
	a->rt = a->rt2 = REG(insn, 12);
	a->reg_offset = BIT(insn, 25);
	if (a->reg_offset) {
		a->rm = REG(insn, 0);
		a->shift = (insn >> 5) & 3u;
		a->shift_imm = (insn >> 7) & 31u;
		if (a->rm == 15 || (a->writeback && a->rm == a->rn))
			return V5_LDST_UNSUPPORTED;
	} else {
		a->imm = insn & 0xfffu;
	}
	if (a->writeback && (a->rn == 15 || a->rn == a->rt))
		return V5_LDST_UNSUPPORTED;
	if (a->rt == 15 && (a->write || a->size != 4 || a->user))
		return V5_LDST_UNSUPPORTED;            /* stored PC value is implementation defined */
	return V5_LDST_OK;
}

static enum v5_ldst_status misc(uint32_t insn, struct v5_access *a)
{
	unsigned sh = (insn >> 5) & 3u;
	bool p = BIT(insn, 24), w = BIT(insn, 21), load = BIT(insn, 20);
	if (!p && w)
		return V5_LDST_UNSUPPORTED;
	a->pre = p;
	a->up = BIT(insn, 23);
	a->writeback = !p || w;
	a->rn = REG(insn, 16);
	a->rt = a->rt2 = REG(insn, 12);
	if (BIT(insn, 22)) {
		a->imm = (insn >> 4 & 0xf0u) | (insn & 0xfu);
	} else {
		a->reg_offset = true;
		a->rm = REG(insn, 0);
		if ((insn >> 8) & 0xfu || a->rm == 15)
			return V5_LDST_UNSUPPORTED;
	}
	if (load) {
		a->size = sh == 2 ? 1 : 2;
		a->sign_extend = sh != 1;
	} else if (sh == 1) {
		a->size = 2;
		a->write = true;
	} else {                                       /* LDRD (sh 2), STRD (sh 3) */
		a->size = 8;
		a->write = sh == 3;
		a->rt2 = a->rt + 1;
		if (a->rt & 1u || a->rt == 14 ||
		    (a->reg_offset && (a->rm == a->rt || a->rm == a->rt2) && !a->write) ||
		    (a->writeback && a->rn == a->rt2))
			return V5_LDST_UNSUPPORTED;
	}
	if (a->rt == 15 || (a->writeback && (a->rn == 15 || a->rn == a->rt)) ||
	    (a->reg_offset && a->writeback && a->rm == a->rn))
		return V5_LDST_UNSUPPORTED;
	return V5_LDST_OK;
}

enum v5_ldst_status v5_ldst_decode(uint32_t insn, struct v5_access *a)
{
	*a = (struct v5_access){ 0 };
	if (insn >> 28 == 0xfu)
		return V5_LDST_UNSUPPORTED;            /* unconditional space (PLD, ...) */
	if ((insn & 0x0c000000u) == 0x04000000u)
		return word_or_byte(insn, a);
	if ((insn & 0x0fb00ff0u) == 0x01000090u) {     /* SWP, SWPB */
		a->swap = a->write = true;
		a->size = BIT(insn, 22) ? 1 : 4;
		a->pre = a->up = true;
		a->rn = REG(insn, 16);
		a->rt = REG(insn, 12);
		a->rt2 = REG(insn, 0);
		if (a->rn == 15 || a->rt == 15 || a->rt2 == 15 || a->rn == a->rt || a->rn == a->rt2)
			return V5_LDST_UNSUPPORTED;
		return V5_LDST_OK;
	}
	if ((insn & 0x0e000090u) == 0x00000090u && (insn & 0x60u))
		return misc(insn, a);
	return V5_LDST_UNSUPPORTED;
}

static uint32_t reg(const struct v5_regs *r, unsigned n, uint32_t pc)
{
	return n == 15 ? pc + 8u : r->get(r->ctx, n);
}

static uint32_t shifted(const struct v5_access *a, uint32_t v, const struct v5_regs *r)
{
	unsigned n = a->shift_imm;
	switch (a->shift) {
	case 0:
		return v << n;
	case 1:
		return n ? v >> n : 0;
	case 2:
		return n ? (uint32_t)((v >> n) | (v & 0x80000000u ? ~(0xffffffffu >> n) : 0))
			 : (v & 0x80000000u ? 0xffffffffu : 0);
	default:
		if (!n)
			return (r->carry && r->carry(r->ctx) ? 0x80000000u : 0) | v >> 1;  /* RRX */
		return v >> n | v << (32u - n);
	}
}

uint32_t v5_ldst_address(const struct v5_access *a, uint32_t pc, const struct v5_regs *r,
			 uint32_t *new_base)
{
	uint32_t base = reg(r, a->rn, pc);
	uint32_t off = a->imm;
	if (a->reg_offset)
		off = shifted(a, reg(r, a->rm, pc), r);
	uint32_t moved = a->up ? base + off : base - off;
	if (new_base)
		*new_base = moved;
	return a->swap ? base : a->pre ? moved : base;
}

static uint32_t extend(uint32_t v, unsigned size, bool sx)
{
	if (size == 1)
		return sx && (v & 0x80u) ? (v & 0xffu) | 0xffffff00u : v & 0xffu;
	if (size == 2)
		return sx && (v & 0x8000u) ? (v & 0xffffu) | 0xffff0000u : v & 0xffffu;
	return v;
}

enum v5_ldst_status v5_ldst_execute(const struct v5_access *a, uint32_t pc,
				    const struct v5_regs *r, const struct v5_mem *m)
{
	uint32_t new_base;
	uint32_t addr = v5_ldst_address(a, pc, r, &new_base);
	uint32_t v0 = 0, v1 = 0;
	if ((a->size == 2 && addr & 1u) || (a->size == 8 && addr & 3u))
		return V5_LDST_UNSUPPORTED;            /* unpredictable on ARMv5 */
	if (a->swap) {
		uint32_t out = reg(r, a->rt2, pc), old;
		uint32_t at = a->size == 4 ? addr & ~3u : addr;
		if (!m->read(m->ctx, at, a->size, &old) ||
		    !m->write(m->ctx, at, a->size, a->size == 1 ? out & 0xffu : out))
			return V5_LDST_ABORT;
		unsigned rot = a->size == 4 ? (addr & 3u) * 8u : 0;
		v0 = rot ? old >> rot | old << (32u - rot) : extend(old, a->size, false);
		r->set(r->ctx, a->rt, v0);
		return V5_LDST_OK;
	}
	if (a->write) {
		uint32_t d = reg(r, a->rt, pc);
		bool ok;
		if (a->size == 8)
			ok = m->write(m->ctx, addr, 4, d) &&
			     m->write(m->ctx, addr + 4u, 4, reg(r, a->rt2, pc));
		else
			ok = m->write(m->ctx, a->size == 4 ? addr & ~3u : addr, a->size,
				      extend(d, a->size, false));
		if (!ok)
			return V5_LDST_ABORT;
	} else if (a->size == 8) {
		if (!m->read(m->ctx, addr, 4, &v0) || !m->read(m->ctx, addr + 4u, 4, &v1))
			return V5_LDST_ABORT;
	} else if (a->size == 4) {
		if (!m->read(m->ctx, addr & ~3u, 4, &v0))
			return V5_LDST_ABORT;
		unsigned rot = (addr & 3u) * 8u;
		if (rot)
			v0 = v0 >> rot | v0 << (32u - rot);
	} else {
		if (!m->read(m->ctx, addr, a->size, &v0))
			return V5_LDST_ABORT;
		v0 = extend(v0, a->size, a->sign_extend);
	}
	if (a->writeback)
		r->set(r->ctx, a->rn, new_base);
	if (!a->write) {
		r->set(r->ctx, a->rt, v0);
		if (a->size == 8)
			r->set(r->ctx, a->rt2, v1);
	}
	return V5_LDST_OK;
}
