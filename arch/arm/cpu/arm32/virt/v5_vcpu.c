/* SPDX-License-Identifier: GPL-2.0-only */
/* The ARMv5 vCPU's registers, modes and exception entry (ARM ARM DDI 0100, A2). */
#include "v5_vcpu.h"

#define COUNT(c) ((c) += (c) != UINT32_MAX)

bool v5_mode_valid(uint32_t mode)
{
	switch (mode) {
	case V5_MODE_USR: case V5_MODE_FIQ: case V5_MODE_IRQ: case V5_MODE_SVC:
	case V5_MODE_ABT: case V5_MODE_UND: case V5_MODE_SYS:
		return true;
	default:
		return false;
	}
}

enum v5_bank v5_bank_of(uint32_t mode)
{
	switch (mode & V5_PSR_MODE) {
	case V5_MODE_FIQ: return V5_BANK_FIQ;
	case V5_MODE_IRQ: return V5_BANK_IRQ;
	case V5_MODE_SVC: return V5_BANK_SVC;
	case V5_MODE_ABT: return V5_BANK_ABT;
	case V5_MODE_UND: return V5_BANK_UND;
	default: return V5_BANK_USR;   /* USR, SYS (the CPSR never holds another value) */
	}
}

bool v5_privileged(const struct v5_vcpu *v)
{
	return (v->cpsr & V5_PSR_MODE) != V5_MODE_USR;
}

bool v5_has_spsr(const struct v5_vcpu *v)
{
	return v5_bank_of(v->cpsr) != V5_BANK_USR;
}

void v5_vcpu_reset(struct v5_vcpu *v, const struct v5_mmu_hooks *hooks)
{
	*v = (struct v5_vcpu){0};
	v->hooks = hooks;
	/* ARM ARM A2.6.1: reset enters SVC mode with IRQ and FIQ masked at vector 0. */
	v->cpsr = V5_MODE_SVC | V5_PSR_I | V5_PSR_F;
	v->cp15.sctlr = V5_SCTLR_ONES;
}

uint32_t v5_reg_in_mode(const struct v5_vcpu *v, uint32_t mode, unsigned n)
{
	enum v5_bank cur = v5_bank_of(v->cpsr), want = v5_bank_of(mode);

	if (n >= 15)
		return v->r[15];
	if (n >= 13) {
		if (cur == want)
			return v->r[n];
		return n == 13 ? v->bank_r13[want] : v->bank_r14[want];
	}
	if (n >= 8 && (cur == V5_BANK_FIQ) != (want == V5_BANK_FIQ))
		return want == V5_BANK_FIQ ? v->fiq_r8_12[n - 8] : v->usr_r8_12[n - 8];
	return v->r[n];
}

void v5_set_reg_in_mode(struct v5_vcpu *v, uint32_t mode, unsigned n, uint32_t val)
{
	enum v5_bank cur = v5_bank_of(v->cpsr), want = v5_bank_of(mode);

	if (n >= 15)
		v->r[15] = val;
	else if (n >= 13 && cur != want)
		*(n == 13 ? &v->bank_r13[want] : &v->bank_r14[want]) = val;
	else if (n >= 8 && n < 13 && (cur == V5_BANK_FIQ) != (want == V5_BANK_FIQ))
		*(want == V5_BANK_FIQ ? &v->fiq_r8_12[n - 8] : &v->usr_r8_12[n - 8]) = val;
	else
		v->r[n] = val;
}

void v5_switch_mode(struct v5_vcpu *v, uint32_t mode)
{
	uint32_t old = v->cpsr & V5_PSR_MODE;
	enum v5_bank from = v5_bank_of(old), to = v5_bank_of(mode);

	if (!v5_mode_valid(mode))
		return;   /* callers check; never leave the CPSR with an invalid mode */
	if (from != to) {
		v->bank_r13[from] = v->r[13];
		v->bank_r14[from] = v->r[14];
		v->r[13] = v->bank_r13[to];
		v->r[14] = v->bank_r14[to];
		if ((from == V5_BANK_FIQ) != (to == V5_BANK_FIQ)) {
			uint32_t *save = from == V5_BANK_FIQ ? v->fiq_r8_12 : v->usr_r8_12;
			uint32_t *load = to == V5_BANK_FIQ ? v->fiq_r8_12 : v->usr_r8_12;
			for (unsigned i = 0; i < 5; i++) {
				save[i] = v->r[8 + i];
				v->r[8 + i] = load[i];
			}
		}
	}
	v->cpsr = (v->cpsr & ~V5_PSR_MODE) | mode;
	if ((old == V5_MODE_USR) != (mode == V5_MODE_USR) && v->hooks && v->hooks->mode_change)
		v->hooks->mode_change(v->hooks->ctx, mode != V5_MODE_USR);
}

void v5_write_cpsr(struct v5_vcpu *v, uint32_t val, uint32_t mask)
{
	mask &= 0xf80000dfu;   /* N Z C V Q, I, F, mode: never T, J or reserved bits */
	if (mask & V5_PSR_MODE) {
		uint32_t mode = val & V5_PSR_MODE;
		if (v5_mode_valid(mode))
			v5_switch_mode(v, mode);
		else
			COUNT(v->stats.bad_mode);
		mask &= ~V5_PSR_MODE;
	}
	v->cpsr = (v->cpsr & ~mask) | (val & mask);
}

bool v5_cond_passed(uint32_t cond, uint32_t cpsr)
{
	bool n = cpsr >> 31 & 1, z = cpsr >> 30 & 1, c = cpsr >> 29 & 1, vf = cpsr >> 28 & 1;
	bool r;

	switch (cond >> 1 & 7) {
	case 0: r = z; break;                 /* EQ / NE */
	case 1: r = c; break;                 /* CS / CC */
	case 2: r = n; break;                 /* MI / PL */
	case 3: r = vf; break;                /* VS / VC */
	case 4: r = c && !z; break;           /* HI / LS */
	case 5: r = n == vf; break;           /* GE / LT */
	case 6: r = !z && n == vf; break;     /* GT / LE */
	default: return (cond & 15) == 14;    /* AL; 1111 is not a condition on ARMv5 */
	}
	return (cond & 1) ? !r : r;
}

uint32_t v5_vector_base(const struct v5_vcpu *v)
{
	return (v->cp15.sctlr & V5_SCTLR_V) ? 0xffff0000u : 0;
}

void v5_inject(struct v5_vcpu *v, enum v5_exception exc)
{
	/* ARM ARM A2.6: mode, vector offset, and LR = r[15] + offset (r[15] as documented in
	 * the header: the instruction concerned, or the next one for IRQ/FIQ). */
	static const struct { uint8_t mode, vector, lr_off; } tab[] = {
		[V5_EXC_UNDEF] = {V5_MODE_UND, 0x04, 4},
		[V5_EXC_SVC] = {V5_MODE_SVC, 0x08, 4},
		[V5_EXC_PABT] = {V5_MODE_ABT, 0x0c, 4},
		[V5_EXC_DABT] = {V5_MODE_ABT, 0x10, 8},
		[V5_EXC_IRQ] = {V5_MODE_IRQ, 0x18, 4},
		[V5_EXC_FIQ] = {V5_MODE_FIQ, 0x1c, 4},
	};
	if ((unsigned)exc >= sizeof(tab) / sizeof(tab[0]))
		return;
	uint32_t old = v->cpsr, lr = v->r[15] + tab[exc].lr_off;

	v5_switch_mode(v, tab[exc].mode);
	v->r[14] = lr;
	v->spsr[v5_bank_of(tab[exc].mode)] = old;
	v->cpsr |= V5_PSR_I | (exc == V5_EXC_FIQ ? V5_PSR_F : 0);
	v->cpsr &= ~(V5_PSR_T | V5_PSR_J);
	v->r[15] = v5_vector_base(v) + tab[exc].vector;
}

void v5_inject_dabt(struct v5_vcpu *v, uint32_t far, uint32_t fsr)
{
	v->cp15.dfsr = fsr & 0xff;
	v->cp15.far = far;
	v5_inject(v, V5_EXC_DABT);
}

void v5_inject_pabt(struct v5_vcpu *v, uint32_t ifsr)
{
	/* The ARM926 records prefetch aborts in the IFSR only; its FAR is for data aborts. */
	v->cp15.ifsr = ifsr & 0xff;
	v5_inject(v, V5_EXC_PABT);
}

bool v5_irq_should_take(const struct v5_vcpu *v, bool irq_line)
{
	return irq_line && !(v->cpsr & V5_PSR_I);
}

bool v5_fiq_should_take(const struct v5_vcpu *v, bool fiq_line)
{
	return fiq_line && !(v->cpsr & V5_PSR_F);
}

void v5_apply(struct v5_vcpu *v, const struct v5_result *res)
{
	if (res->kind == V5_UNDEF)
		v5_inject(v, V5_EXC_UNDEF);
	else if (res->kind == V5_DABT)
		v5_inject_dabt(v, res->far, res->fsr);
}
