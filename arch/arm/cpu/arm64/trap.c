/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the hypervisor does with each exception class a guest traps with:
 * one handler per class in a table, one default for the rest. Anything the
 * guest is not allowed to do becomes an exception injected into the guest
 * (UNDEFINED instruction, external abort), never a crash of the
 * hypervisor; only a class nothing expects stops the guest.
 * docs/architecture.md has the table.
 */
#include <arch/sysreg.h>
#include <arch/sysreg_bits.h>
#include <arch/sysreg_emul.h>
#include <arch/vgic.h>
#include <mamoru/guest.h>
#include <mamoru/guest_wp.h>
#include <mamoru/libc.h>
#include "trap.h"

typedef enum trap_action (*trap_handler)(struct trap_ctx *t);

/* Exception vector offset for an exception taken to EL1 from pstate. */
static uint64_t vector_offset(uint64_t pstate)
{
	if (pstate & PSTATE_NRW)
		return 0x600;                      /* from AArch32 EL0 */
	if ((pstate & PSTATE_EL_MASK) == 0)
		return 0x400;                      /* from AArch64 EL0 */
	return (pstate & PSTATE_SP) ? 0x200 : 0x000;   /* EL1h : EL1t */
}

/* Makes the guest take a synchronous exception at EL1. The vCPU's EL1
 * registers are live on the CPU while its exits are handled. */
static void inject_sync(struct vcpu *v, unsigned ec_same, bool lower_ec, uint32_t iss, uint64_t far)
{
	bool from_el0 = (v->pstate & PSTATE_EL_MASK) == 0;
	unsigned ec = ec_same + ((lower_ec && !from_el0) ? 1 : 0);
	write_sysreg(esr_el1, ((uint64_t)ec << ESR_EC_SHIFT) | ESR_IL | iss);
	write_sysreg(far_el1, far);
	write_sysreg(elr_el1, v->pc);
	write_sysreg(spsr_el1, v->pstate);
	v->pc = read_sysreg(vbar_el1) + vector_offset(v->pstate);
	v->pstate = PSTATE_EL1H | PSTATE_DAIF;
}

void trap_inject_undef(struct vcpu *v)
{
	inject_sync(v, EC_UNKNOWN, false, 0, 0);
}

static void inject_abort(struct vcpu *v, unsigned ec_low, bool write)
{
	inject_sync(v, ec_low, true, FSC_EXT_ABORT | (write ? ESR_WNR : 0), v->far);
}

static void skip_insn(struct trap_ctx *t)
{
	t->v->pc += esr_insn_len(&t->esr);
}

static uint64_t fault_ipa(const struct vcpu *v)
{
	return ((v->hpfar >> 4) << 12) | (v->far & 0xfff);
}

/*
 * The IPA of a stage-2 permission fault. HPFAR_EL2 need not hold it (the
 * architecture guarantees it for translation and access flag faults and
 * for faults on a stage-1 table walk), so it is worked out from FAR_EL2
 * with the guest's own stage-1 translation: AT S1E1R. That clobbers
 * PAR_EL1, a guest register still live on the CPU, so it is saved and put
 * back. -1 when the translation fails.
 */
static int far_to_ipa(uint64_t far, uint64_t *ipa)
{
	uint64_t saved = read_sysreg(par_el1);
	__asm__ volatile("at s1e1r, %0" : : "r"(far) : "memory");
	isb();
	uint64_t par = read_sysreg(par_el1);
	write_sysreg(par_el1, saved);
	if (par & PAR_F)
		return -1;
	*ipa = (par & PAR_PA_MASK) | (far & 0xfff);
	return 0;
}

/*
 * A write to a page the IDS made read-only in stage 2 (guest_wp): refused.
 * The instruction is skipped (ESR.IL), the guest runs on with the memory
 * unchanged, and the write is queued for a report from the main loop.
 * Cache maintenance on such a page (ESR.CM: DC IVAC needs write
 * permission) is skipped silently: the page's contents are not changing.
 * False when the fault is not one of these (not a permission fault, a
 * fault on a stage-1 table walk, a page that is not protected).
 */
static bool refuse_protected_write(struct trap_ctx *t, bool *report)
{
	struct guest *g = t->g;
	struct vcpu *v = t->v;
	const struct esr_info *e = &t->esr;
	uint64_t ipa;
	*report = false;
	if ((e->dfsc & FSC_TYPE_MASK) != FSC_PERMISSION || e->s1ptw || !e->wnr || !g->wp.armed)
		return false;
	if (e->fnv || far_to_ipa(v->far, &ipa))
		ipa = fault_ipa(v);
	if (!guest_wp_covers(g, ipa))
		return false;
	if (e->cm) {
		g->wp.cm_skipped++;
	} else {
		struct guest_wp_event ev = {.pc = v->pc, .pstate = v->pstate, .far = v->far, .ipa = ipa,
					    .esr = ((uint64_t)e->ec << ESR_EC_SHIFT) |
						   (e->il ? ESR_IL : 0) | e->raw_iss};
		*report = guest_wp_record(g, &ev);
	}
	skip_insn(t);
	return true;
}

static enum trap_action trap_dabt(struct trap_ctx *t)
{
	struct guest *g = t->g;
	struct vcpu *v = t->v;
	const struct esr_info *e = &t->esr;
	bool report;
	if (refuse_protected_write(t, &report))
		return report ? TRAP_YIELD : TRAP_RESUME;

	uint64_t ipa = fault_ipa(v);
	if (!e->isv) {
		/* No syndrome to emulate it from (a load pair, say). */
		guest_bad_access(g, "undecodable access", ipa, v->pc);
		inject_abort(v, EC_DABT_LOW, e->wnr);
		return TRAP_RESUME;
	}
	unsigned size = 1u << e->sas;
	uint64_t val = e->wnr ? mmio_store_value(v->x, e) : 0;
	int err = guest_mmio(g, ipa, e->wnr, size, &val);
	if (err != GUEST_MMIO_OK) {
		guest_bad_access(g, err == GUEST_MMIO_REJECTED ? "rejected device access" :
				 (e->wnr ? "write to unmapped memory" : "read of unmapped memory"),
				 ipa, v->pc);
		inject_abort(v, EC_DABT_LOW, e->wnr);
		return TRAP_RESUME;
	}
	v->mmio_exits++;
	if (!e->wnr)
		mmio_load_apply(v->x, e, val);
	skip_insn(t);
	return TRAP_RESUME;
}

static enum trap_action trap_iabt(struct trap_ctx *t)
{
	struct vcpu *v = t->v;
	guest_bad_access(t->g, "instruction fetch from unmapped memory", fault_ipa(v), v->pc);
	inject_abort(v, EC_IABT_LOW, false);
	return TRAP_RESUME;
}

/* WFI with nothing pending for the vCPU: it idles. WFE (trapped only in guests of
 * several vCPUs) waits for another vCPU: give it the CPU. */
static enum trap_action trap_wfx(struct trap_ctx *t)
{
	struct guest *g = t->g;
	skip_insn(t);
	t->v->wfi_exits++;
	if ((t->esr.raw_iss & ESR_WFX_TI_MASK) != ESR_WFX_WFI)
		return TRAP_YIELD;
	return vgic_wakes(&g->arch.vgic, t->v->id) ? TRAP_RESUME : TRAP_IDLE;
}

static enum trap_action trap_hvc(struct trap_ctx *t)
{
	t->v->hvc_exits++;
	return vpsci_call(t->g, t->v);       /* HVC's preferred return is the next instruction */
}

static enum trap_action trap_smc(struct trap_ctx *t)
{
	skip_insn(t);                  /* a trapped SMC returns to itself */
	return trap_hvc(t);
}

static enum trap_action trap_sysreg(struct trap_ctx *t)
{
	struct vcpu *v = t->v;
	const struct esr_info *e = &t->esr;
	unsigned rt = e->sysreg_rt;
	uint64_t val = (!e->sysreg_read && rt != 31) ? v->x[rt] : 0;
	v->sysreg_exits++;
	/* A guest that sees a GICv3 sends SGIs with ICC_SGI1R_EL1, which traps. */
	enum vgic_sysreg_result r = vgic_sysreg(&t->g->arch.vgic, v->id, e->sysreg_enc,
						e->sysreg_read, &val);
	if (r == VGIC_SYSREG_NOT_MINE)
		r = sysreg_emulate(&v->dbg, e->sysreg_enc, e->sysreg_read, &val, idreg_read_cpu) ==
			    SYSREG_UNDEF ? VGIC_SYSREG_UNDEF : VGIC_SYSREG_DONE;
	if (r == VGIC_SYSREG_UNDEF) {
		trap_inject_undef(v);
		return TRAP_RESUME;
	}
	if (e->sysreg_read && e->sysreg_enc == SYSREG_ID_AA64PFR0)
		val = vgic_guest_pfr0(&t->g->arch.vgic, val);
	if (e->sysreg_read && rt != 31)
		v->x[rt] = val;
	skip_insn(t);
	return TRAP_RESUME;
}

/* Features the guest is not offered (docs/architecture.md): their
 * instructions are UNDEFINED in the guest. */
static enum trap_action trap_undef(struct trap_ctx *t)
{
	trap_inject_undef(t->v);
	return TRAP_RESUME;
}

static enum trap_action trap_unexpected(struct trap_ctx *t)
{
	m_snprintf(t->why, t->why_size, "crashed: unhandled exception class 0x%02x (%s) at pc 0x%llx",
		   t->esr.ec, esr_class_name(t->esr.ec), (unsigned long long)t->v->pc);
	return TRAP_CRASHED;
}

static const trap_handler handlers[EC_COUNT] = {
	[EC_UNKNOWN] = trap_undef,
	[EC_WFX] = trap_wfx,
	[EC_PAC] = trap_undef,
	[EC_HVC64] = trap_hvc,
	[EC_SMC64] = trap_smc,
	[EC_SYSREG] = trap_sysreg,
	[EC_SVE] = trap_undef,
	[EC_SME] = trap_undef,
	[EC_IABT_LOW] = trap_iabt,
	[EC_DABT_LOW] = trap_dabt,
};

enum trap_action trap_dispatch(struct trap_ctx *t)
{
	trap_handler h = handlers[t->esr.ec % EC_COUNT];
	return (h ? h : trap_unexpected)(t);
}
