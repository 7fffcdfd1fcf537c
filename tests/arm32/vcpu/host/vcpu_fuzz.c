/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for the ARMv5 vCPU core: the input is a guest state (registers, CPSR,
 * SPSRs, cp15) and a sequence of (operation, instruction word) pairs, run through the
 * sensitive-instruction emulation, the cp15 emulation and exception injection. After every
 * step: the mode is valid, T and J are clear, a refusal or abort changed nothing. Crashes,
 * sanitizer reports and broken invariants abort.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arm/cpu/arm32/virt/v5_vcpu.h"

static const uint8_t *mem_bits;
static size_t mem_nbits, mem_pos;

/* Succeeds or fails as the input says; reads return the address. */
static bool m_access(void *ctx, uint32_t va, unsigned size, bool write, bool priv,
		     uint32_t *val, uint32_t *fsr)
{
	(void)ctx;
	if (size != 4 || !priv || (va & 3))
		abort();   /* the core only makes aligned, privileged word accesses */
	bool ok = !mem_nbits || !(mem_bits[(mem_pos / 8) % mem_nbits] >> (mem_pos % 8) & 1);
	mem_pos++;
	if (!ok) {
		*fsr = va & 0xff;
		return false;
	}
	if (!write)
		*val = va ^ 0x5a5a5a5a;
	return true;
}

static void noop_u32(void *c, uint32_t v) { (void)c; (void)v; }
static void noop_2(void *c, uint32_t a, uint32_t b) { (void)c; (void)a; (void)b; }
static void noop_tlb(void *c, unsigned op, uint32_t m) { (void)c; if (op > V5_TLB_INV_MVA) abort(); (void)m; }
static void noop_mode(void *c, bool p) { (void)c; (void)p; }
static const struct v5_mmu_hooks hooks = {NULL, noop_u32, noop_u32, noop_2, noop_tlb,
					  noop_mode, noop_u32};

static uint32_t take32(const uint8_t **p, size_t *n)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		v = v << 8 | (*n ? **p : 0);
		if (*n) {
			(*p)++;
			(*n)--;
		}
	}
	return v;
}

static void invariants(const struct v5_vcpu *v)
{
	if (!v5_mode_valid(v->cpsr & V5_PSR_MODE) || (v->cpsr & (V5_PSR_T | V5_PSR_J)))
		abort();
	if ((v->cp15.sctlr & V5_SCTLR_ONES) != V5_SCTLR_ONES)
		abort();
}

/* Everything but the counters (refusals and failed accesses leave the state alone). */
static bool same_state(const struct v5_vcpu *a, const struct v5_vcpu *b)
{
	return !memcmp(a->r, b->r, sizeof(a->r)) && a->cpsr == b->cpsr &&
	       !memcmp(a->spsr, b->spsr, sizeof(a->spsr)) &&
	       !memcmp(a->bank_r13, b->bank_r13, sizeof(a->bank_r13)) &&
	       !memcmp(a->bank_r14, b->bank_r14, sizeof(a->bank_r14)) &&
	       !memcmp(a->usr_r8_12, b->usr_r8_12, sizeof(a->usr_r8_12)) &&
	       !memcmp(a->fiq_r8_12, b->fiq_r8_12, sizeof(a->fiq_r8_12)) &&
	       !memcmp(&a->cp15, &b->cp15, sizeof(a->cp15));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct v5_vcpu v;
	const uint8_t *p = data;
	size_t n = size;

	v5_vcpu_reset(&v, &hooks);
	for (unsigned i = 0; i < 16; i++)
		v.r[i] = take32(&p, &n);
	v5_write_cpsr(&v, take32(&p, &n), 0xffffffffu);
	for (unsigned b = 0; b < V5_BANKS; b++)
		v.spsr[b] = take32(&p, &n);
	v.cp15.sctlr = (take32(&p, &n) & V5_SCTLR_WRITABLE) | V5_SCTLR_ONES;
	mem_bits = p;
	mem_nbits = n < 4 ? n : 4;
	mem_pos = 0;
	p += mem_nbits;
	n -= mem_nbits;
	invariants(&v);

	const struct v5_mem mem = {NULL, m_access};
	for (unsigned step = 0; step < 64 && n >= 5; step++) {
		uint8_t op = *p++;
		n--;
		uint32_t word = take32(&p, &n);
		struct v5_vcpu before = v;
		struct v5_result r = {.kind = V5_NEXT};
		switch (op % 6) {
		case 0: r = v5_emulate(&v, word, &mem); break;
		case 1: r = v5_cp15_emulate(&v, word); break;
		case 2: v5_inject(&v, (enum v5_exception)(word % 7)); break;
		case 3: v5_inject_dabt(&v, word, word >> 8); break;
		case 4:
			if (v5_irq_should_take(&v, word & 1))
				v5_inject(&v, V5_EXC_IRQ);
			break;
		default:   /* reach another bank's registers */
			v5_set_reg_in_mode(&v, word & V5_PSR_MODE, (word >> 8) % 16, word);
			(void)v5_reg_in_mode(&v, word & V5_PSR_MODE, (word >> 16) % 16);
			break;
		}
		invariants(&v);
		if (op % 6 <= 1) {
			if ((r.kind == V5_UNDEF || r.kind == V5_DABT) && !same_state(&v, &before))
				abort();   /* refused or aborted: nothing changed */
			if (r.kind == V5_IDLE && v.r[15] != before.r[15] + 4)
				abort();
			v5_apply(&v, &r);
			invariants(&v);
		}
	}
	return 0;
}
