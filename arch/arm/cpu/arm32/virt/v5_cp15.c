/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest's ARM926EJ-S system control coprocessor (cp15), reached by MCR/MRC words that
 * trapped as undefined instructions (the guest kernel runs in USR mode). Registers from the
 * ARM926EJ-S TRM (DDI 0198) and the ARM ARM (DDI 0100, B2-B5). Anything an ARM926 does not
 * have is an undefined instruction for the guest, as on the real core, and counted.
 */
#include <stddef.h>

#include "v5_vcpu.h"

#define COUNT(c) ((c) += (c) != UINT32_MAX)

enum reg_id {
	R_MIDR, R_CTR, R_TCMTR, R_SCTLR, R_TTBR, R_DACR, R_DFSR, R_IFSR, R_FAR, R_WFI,
	R_CACHE, R_TEST_CLEAN, R_TLB, R_LOCKDOWN, R_FCSE, R_CONTEXTID,
};
enum { RD = 1, WR = 2 };

struct cp15_reg {
	uint8_t crn, crm, opc2;
	uint8_t id, access;
	uint8_t op;   /* R_CACHE / R_TEST_CLEAN: enum v5_cache_op; R_TLB: enum v5_tlb_op */
	const char *name;
};

static const struct cp15_reg regs[] = {
	{0, 0, 0, R_MIDR, RD, 0, "MIDR"},
	{0, 0, 1, R_CTR, RD, 0, "CTR"},
	{0, 0, 2, R_TCMTR, RD, 0, "TCM status"},
	/* ARM ARM B2.3: reserved ID register numbers read as the main ID register. */
	{0, 0, 3, R_MIDR, RD, 0, "MIDR (reserved c0,c0,3)"},
	{0, 0, 4, R_MIDR, RD, 0, "MIDR (reserved c0,c0,4)"},
	{0, 0, 5, R_MIDR, RD, 0, "MIDR (reserved c0,c0,5)"},
	{0, 0, 6, R_MIDR, RD, 0, "MIDR (reserved c0,c0,6)"},
	{0, 0, 7, R_MIDR, RD, 0, "MIDR (reserved c0,c0,7)"},
	{1, 0, 0, R_SCTLR, RD | WR, 0, "control"},
	{2, 0, 0, R_TTBR, RD | WR, 0, "TTBR"},
	{3, 0, 0, R_DACR, RD | WR, 0, "DACR"},
	{5, 0, 0, R_DFSR, RD | WR, 0, "DFSR"},
	{5, 0, 1, R_IFSR, RD | WR, 0, "IFSR"},
	{6, 0, 0, R_FAR, RD | WR, 0, "FAR"},
	{7, 0, 4, R_WFI, WR, 0, "wait for interrupt"},
	{7, 5, 0, R_CACHE, WR, V5_CACHE_I_INV_ALL, "invalidate I-cache"},
	{7, 5, 1, R_CACHE, WR, V5_CACHE_I_INV_MVA, "invalidate I-cache line (MVA)"},
	{7, 5, 2, R_CACHE, WR, V5_CACHE_I_INV_ALL, "invalidate I-cache line (set/way)"},
	{7, 6, 0, R_CACHE, WR, V5_CACHE_D_CLEAN_INV_ALL, "invalidate D-cache"},
	{7, 6, 1, R_CACHE, WR, V5_CACHE_D_CLEAN_INV_MVA, "invalidate D-cache line (MVA)"},
	{7, 6, 2, R_CACHE, WR, V5_CACHE_D_CLEAN_INV_ALL, "invalidate D-cache line (set/way)"},
	{7, 7, 0, R_CACHE, WR, V5_CACHE_ALL_CLEAN_INV, "invalidate I- and D-cache"},
	{7, 10, 1, R_CACHE, WR, V5_CACHE_D_CLEAN_MVA, "clean D-cache line (MVA)"},
	{7, 10, 2, R_CACHE, WR, V5_CACHE_D_CLEAN_ALL, "clean D-cache line (set/way)"},
	{7, 10, 3, R_TEST_CLEAN, RD, V5_CACHE_D_CLEAN_ALL, "test and clean D-cache"},
	{7, 10, 4, R_CACHE, WR, V5_CACHE_DRAIN_WB, "drain write buffer"},
	{7, 13, 1, R_CACHE, WR, V5_CACHE_NONE, "prefetch I-cache line"},
	{7, 14, 1, R_CACHE, WR, V5_CACHE_D_CLEAN_INV_MVA, "clean+invalidate D-cache line (MVA)"},
	{7, 14, 2, R_CACHE, WR, V5_CACHE_D_CLEAN_INV_ALL,
	 "clean+invalidate D-cache line (set/way)"},
	{7, 14, 3, R_TEST_CLEAN, RD, V5_CACHE_D_CLEAN_INV_ALL, "test, clean and invalidate D-cache"},
	{8, 7, 0, R_TLB, WR, V5_TLB_INV_ALL, "invalidate TLBs"},
	{8, 7, 1, R_TLB, WR, V5_TLB_INV_MVA, "invalidate TLB entry (MVA)"},
	{8, 5, 0, R_TLB, WR, V5_TLB_INV_ALL, "invalidate I-TLB"},
	{8, 5, 1, R_TLB, WR, V5_TLB_INV_MVA, "invalidate I-TLB entry (MVA)"},
	{8, 6, 0, R_TLB, WR, V5_TLB_INV_ALL, "invalidate D-TLB"},
	{8, 6, 1, R_TLB, WR, V5_TLB_INV_MVA, "invalidate D-TLB entry (MVA)"},
	{9, 0, 0, R_LOCKDOWN, RD | WR, 0, "D-cache lockdown"},
	{9, 0, 1, R_LOCKDOWN, RD | WR, 0, "I-cache lockdown"},
	{9, 1, 0, R_LOCKDOWN, RD | WR, 0, "DTCM region"},
	{9, 1, 1, R_LOCKDOWN, RD | WR, 0, "ITCM region"},
	{10, 0, 0, R_LOCKDOWN, RD | WR, 0, "TLB lockdown"},
	{13, 0, 0, R_FCSE, RD | WR, 0, "FCSE PID"},
	{13, 0, 1, R_CONTEXTID, RD | WR, 0, "context ID"},
};

static const struct cp15_reg *lookup(uint32_t word)
{
	enum v5_insn kind = v5_classify(word);
	uint32_t crn = (word >> 16) & 15, crm = word & 15, opc2 = (word >> 5) & 7;

	if ((kind != V5_INSN_CP15_MCR && kind != V5_INSN_CP15_MRC) || ((word >> 21) & 7))
		return NULL;   /* opcode_1 is 0 for every ARM926 cp15 register */
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		const struct cp15_reg *r = &regs[i];
		if (r->crn == crn && r->crm == crm && r->opc2 == opc2)
			return (r->access & (kind == V5_INSN_CP15_MRC ? RD : WR)) ? r : NULL;
	}
	return NULL;
}

const char *v5_cp15_name(uint32_t word)
{
	const struct cp15_reg *r = lookup(word);
	return r ? r->name : NULL;
}

static uint32_t read_reg(struct v5_vcpu *v, const struct cp15_reg *r, struct v5_result *res)
{
	const struct v5_cp15 *c = &v->cp15;

	switch (r->id) {
	case R_MIDR: return V5_MIDR_ARM926;
	case R_CTR: return V5_CTR_ARM926;
	case R_TCMTR: return 0;   /* no tightly coupled memory */
	case R_SCTLR: return c->sctlr;
	case R_TTBR: return c->ttbr;
	case R_DACR: return c->dacr;
	case R_DFSR: return c->dfsr;
	case R_IFSR: return c->ifsr;
	case R_FAR: return c->far;
	case R_TEST_CLEAN:
		/* The host does the whole clean, so the cache is clean: Z set ends the loop. */
		res->cache = (enum v5_cache_op)r->op;
		return V5_PSR_FLAGS & (1u << 30);
	case R_FCSE: return c->fcse_pid;
	case R_CONTEXTID: return c->context_id;
	default: return 0;   /* lockdown and TCM regions: nothing locked, no TCM */
	}
}

static void write_reg(struct v5_vcpu *v, const struct cp15_reg *r, uint32_t val,
		      struct v5_result *res)
{
	struct v5_cp15 *c = &v->cp15;
	const struct v5_mmu_hooks *h = v->hooks;

	switch (r->id) {
	case R_SCTLR: {
		uint32_t old = c->sctlr;
		c->sctlr = (old & ~V5_SCTLR_WRITABLE) | (val & V5_SCTLR_WRITABLE) | V5_SCTLR_ONES;
		if (h && h->control_write)
			h->control_write(h->ctx, old, c->sctlr);
		break;
	}
	case R_TTBR:
		c->ttbr = val & 0xffffc000u;
		if (h && h->ttbr_write)
			h->ttbr_write(h->ctx, c->ttbr);
		break;
	case R_DACR:
		c->dacr = val;
		if (h && h->dacr_write)
			h->dacr_write(h->ctx, val);
		break;
	case R_DFSR: c->dfsr = val & 0xff; break;
	case R_IFSR: c->ifsr = val & 0xff; break;
	case R_FAR: c->far = val; break;
	case R_CACHE:
		res->cache = (enum v5_cache_op)r->op;
		res->cache_mva = val & ~31u;   /* ARM926 lines are 32 bytes */
		break;
	case R_TLB:
		if (h && h->tlb_op)
			h->tlb_op(h->ctx, r->op, r->op == V5_TLB_INV_MVA ? val : 0);
		break;
	case R_FCSE:
		c->fcse_pid = val & 0xfe000000u;
		if (h && h->fcse_write)
			h->fcse_write(h->ctx, c->fcse_pid);
		break;
	case R_CONTEXTID: c->context_id = val; break;
	case R_WFI: res->kind = V5_IDLE; break;
	default: COUNT(v->stats.lockdown_ignored); break;
	}
}

struct v5_result v5_cp15_emulate(struct v5_vcpu *v, uint32_t word)
{
	struct v5_result res = {.kind = V5_UNDEF};
	enum v5_insn kind = v5_classify(word);
	unsigned rd = (word >> 12) & 15;

	if (kind != V5_INSN_CP15_MCR && kind != V5_INSN_CP15_MRC) {
		if (kind == V5_INSN_COPROC_OTHER)
			COUNT(v->stats.coproc_other);
		return res;
	}
	if (!v5_cond_passed(word >> 28, v->cpsr)) {
		v->r[15] += 4;
		res.kind = V5_NEXT;
		return res;
	}
	if (!v5_privileged(v)) {
		COUNT(v->stats.cp15_user);
		return res;
	}
	const struct cp15_reg *r = lookup(word);
	if (!r) {
		COUNT(v->stats.cp15_unknown);
		return res;
	}
	res.kind = V5_NEXT;
	if (kind == V5_INSN_CP15_MRC) {
		uint32_t val = read_reg(v, r, &res);
		if (rd == 15)   /* MRC to r15 sets N Z C V from bits 31:28 (ARM ARM A4.1.32) */
			v->cpsr = (v->cpsr & ~0xf0000000u) | (val & 0xf0000000u);
		else
			v->r[rd] = val;
	} else {
		if (rd == 15) {
			COUNT(v->stats.unpredictable);
			res.kind = V5_UNDEF;
			return res;
		}
		write_reg(v, r, v->r[rd], &res);
	}
	v->r[15] += 4;
	return res;
}
