/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Running a vCPU: enter the guest, and handle what traps to EL2 until the
 * hypervisor itself is needed: emulated device accesses (data aborts on
 * unmapped guest-physical addresses), PSCI calls, WFI, and host interrupts.
 * Anything the guest is not allowed to do becomes an exception injected
 * into the guest, never a crash of the hypervisor.
 */
#include <arch/sysreg.h>
#include <arch/vcpu_run.h>
#include <arch/vtimer.h>
#include <mamoru/guest.h>
#include <mamoru/irq.h>
#include <mamoru/libc.h>

#define HCR_VM (1ull << 0)
#define HCR_SWIO (1ull << 1)
#define HCR_FMO (1ull << 3)
#define HCR_IMO (1ull << 4)
#define HCR_AMO (1ull << 5)
#define HCR_TWI (1ull << 13)
#define HCR_TSC (1ull << 19)
#define HCR_RW (1ull << 31)
#define HCR_GUEST (HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_TWI | HCR_TSC | HCR_RW)

#define EC_UNKNOWN 0x00
#define EC_WFX 0x01
#define EC_HVC64 0x16
#define EC_SMC64 0x17
#define EC_SYSREG 0x18
#define EC_IABT_LOW 0x20
#define EC_DABT_LOW 0x24

#define ESR_IL (1u << 25)
#define ESR_ISV (1u << 24)
#define ESR_FNV (1u << 10)          /* FAR not valid */
#define ESR_CM (1u << 8)            /* cache maintenance */
#define ESR_S1PTW (1u << 7)         /* fault on a stage-1 table walk */
#define ESR_WNR (1u << 6)
#define FSC_TYPE_MASK 0x3c          /* fault status without the level */
#define FSC_PERMISSION 0x0c
#define FSC_EXT_ABORT 0x10
#define BURST 64           /* traps handled before giving the hypervisor a look */

static struct guest *loaded;   /* whose EL1 state and stage 2 are on the CPU */

void vcpu_put(struct guest *g)
{
	if (loaded == g) {
		vcpu_save_el1(&g->vcpu);
		g->vcpu.el1_live = false;
		vgic_save(&g->vgic);
		vtimer_set_owner(NULL);
		loaded = NULL;
	}
}

void vcpu_snapshot(struct guest *g)
{
	if (loaded == g)
		vcpu_save_el1(&g->vcpu);
}

static void vcpu_load(struct guest *g)
{
	if (loaded == g)
		return;
	if (loaded)
		vcpu_put(loaded);
	stage2_activate(g->s2);
	write_sysreg(vpidr_el2, read_sysreg(midr_el1));
	write_sysreg(vmpidr_el2, (1ull << 31));       /* uniprocessor-style affinity 0 */
	vcpu_load_el1(&g->vcpu);
	vgic_restore(&g->vgic);
	vtimer_set_owner(g);
	loaded = g;
}

/* Exception vector offset for an exception taken to EL1 from pstate. */
static uint64_t vector_offset(uint64_t pstate)
{
	if (pstate & 0x10)
		return 0x600;                      /* from AArch32 EL0 */
	if ((pstate & 0xc) == 0)
		return 0x400;                      /* from AArch64 EL0 */
	return (pstate & 1) ? 0x200 : 0x000;       /* EL1h : EL1t */
}

/* Makes the guest take a synchronous exception at EL1. */
static void inject_sync(struct vcpu *v, unsigned ec_same, bool lower_ec, uint32_t iss, uint64_t far)
{
	bool from_el0 = (v->pstate & 0xc) == 0;
	unsigned ec = ec_same + ((lower_ec && !from_el0) ? 1 : 0);
	write_sysreg(esr_el1, ((uint64_t)ec << 26) | ESR_IL | iss);
	write_sysreg(far_el1, far);
	write_sysreg(elr_el1, v->pc);
	write_sysreg(spsr_el1, v->pstate);
	v->pc = read_sysreg(vbar_el1) + vector_offset(v->pstate);
	v->pstate = PSTATE_EL1H | PSTATE_DAIF;
}

static void inject_undef(struct vcpu *v)
{
	inject_sync(v, EC_UNKNOWN, false, 0, 0);
}

/*
 * The IPA of a stage-2 permission fault. HPFAR_EL2 need not hold it (the
 * architecture guarantees it for translation and access flag faults and
 * for faults on a stage-1 table walk), so it is worked out from FAR_EL2
 * with the guest's own stage-1 translation: AT S1E1R. That clobbers
 * PAR_EL1, a guest register still live on the CPU, so it is saved and put
 * back. -1 when FAR is not valid or the translation fails.
 */
static int far_to_ipa(uint64_t far, uint64_t *ipa)
{
	uint64_t saved = read_sysreg(par_el1);
	__asm__ volatile("at s1e1r, %0" : : "r"(far) : "memory");
	isb();
	uint64_t par = read_sysreg(par_el1);
	write_sysreg(par_el1, saved);
	if (par & 1)
		return -1;
	*ipa = (par & 0x000ffffffffff000ull) | (far & 0xfff);
	return 0;
}

/*
 * A write to a page the IDS made read-only in stage 2 (guest_wp): refused.
 * The instruction is skipped (PC += its length, ESR.IL), the guest runs on
 * with the memory unchanged, and the write is queued for a report from the
 * main loop. Cache maintenance on such a page (ESR.CM: DC IVAC needs write
 * permission) is skipped silently: the page's contents are not changing.
 * Returns false when the fault is not one of these (not a permission
 * fault, a fault on a stage-1 table walk, a page that is not protected):
 * the caller treats it as before.
 */
static bool refuse_protected_write(struct guest *g, uint64_t esr, bool *report)
{
	struct vcpu *v = &g->vcpu;
	uint64_t ipa;
	*report = false;
	if ((esr & FSC_TYPE_MASK) != FSC_PERMISSION || (esr & ESR_S1PTW) || !(esr & ESR_WNR) ||
	    !g->wp.armed)
		return false;
	if ((esr & ESR_FNV) || far_to_ipa(v->far, &ipa))
		ipa = ((v->hpfar >> 4) << 12) | (v->far & 0xfff);
	if (!guest_wp_covers(g, ipa))
		return false;
	if (esr & ESR_CM) {
		g->wp.cm_skipped++;
	} else {
		struct guest_wp_event ev = {.pc = v->pc, .pstate = v->pstate, .far = v->far, .ipa = ipa,
					    .esr = esr};
		*report = guest_wp_record(g, &ev);
	}
	v->pc += (esr & ESR_IL) ? 4 : 2;
	return true;
}

/* Returns true when the main loop should have a look before the guest runs
 * on (a refused write to report). */
static bool handle_dabt(struct guest *g, uint64_t esr)
{
	struct vcpu *v = &g->vcpu;
	bool report;
	if (refuse_protected_write(g, esr, &report))
		return report;
	uint64_t ipa = ((v->hpfar >> 4) << 12) | (v->far & 0xfff);
	bool write = (esr >> 6) & 1;

	if (!(esr & ESR_ISV)) {
		/* No syndrome to emulate it from (a load pair, say). */
		guest_bad_access(g, "undecodable access", ipa, v->pc);
		inject_sync(v, EC_DABT_LOW, true, FSC_EXT_ABORT | (write ? 1u << 6 : 0), v->far);
		return false;
	}
	unsigned size = 1u << ((esr >> 22) & 3);
	unsigned reg = (esr >> 16) & 31;
	uint64_t mask = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
	uint64_t val = 0;
	int err;
	if (write)
		val = (reg == 31 ? 0 : v->x[reg]) & mask;
	err = guest_mmio(g, ipa, write, size, &val);
	if (err == GUEST_MMIO_OK) {
		v->mmio_exits++;
		if (!write) {
			val &= mask;
			if (((esr >> 21) & 1) && size < 8 && (val >> (8 * size - 1)) & 1)
				val |= ~mask;                  /* sign-extending load */
			if (!((esr >> 15) & 1))
				val &= 0xffffffffu;            /* W register */
			if (reg != 31)
				v->x[reg] = val;
		}
		v->pc += 4;
		return false;
	}
	guest_bad_access(g, err == GUEST_MMIO_REJECTED ? "rejected device access" :
			 (write ? "write to unmapped memory" : "read of unmapped memory"), ipa, v->pc);
	inject_sync(v, EC_DABT_LOW, true, FSC_EXT_ABORT | (write ? 1u << 6 : 0), v->far);
	return false;
}

static enum vcpu_stop handle_sync(struct guest *g, struct vcpu_stop_info *info, bool *resume)
{
	struct vcpu *v = &g->vcpu;
	unsigned ec = (unsigned)(v->esr >> 26) & 0x3f;
	*resume = true;
	switch (ec) {
	case EC_DABT_LOW:
		if (handle_dabt(g, v->esr))
			*resume = false;       /* report the refused write now */
		return VCPU_YIELD;
	case EC_IABT_LOW:
		guest_bad_access(g, "instruction fetch from unmapped memory",
				 ((v->hpfar >> 4) << 12) | (v->far & 0xfff), v->pc);
		inject_sync(v, EC_IABT_LOW, true, FSC_EXT_ABORT, v->far);
		return VCPU_YIELD;
	case EC_WFX:
		v->pc += 4;
		v->wfi_exits++;
		if (!(v->esr & 1) && !vgic_has_pending(&g->vgic)) {
			*resume = false;
			return VCPU_IDLE;
		}
		return VCPU_YIELD;
	case EC_SMC64:
		v->pc += 4;     /* a trapped SMC returns to itself */
		/* fall through */
	case EC_HVC64: {
		bool handled;
		v->hvc_exits++;
		enum vcpu_stop r = vpsci_call(g, info, &handled);
		if (!handled)
			v->x[0] = (uint64_t)-1;    /* SMCCC: NOT_SUPPORTED */
		if (r != VCPU_YIELD)
			*resume = false;
		return r;
	}
	case EC_SYSREG:
	case EC_UNKNOWN:
		inject_undef(v);
		return VCPU_YIELD;
	default:
		*resume = false;
		m_snprintf(info->why, sizeof(info->why), "crashed: unhandled exception class 0x%02x at pc 0x%llx",
			   ec, (unsigned long long)v->pc);
		return VCPU_CRASHED;
	}
}

enum vcpu_stop vcpu_run(struct guest *g, struct vcpu_stop_info *info)
{
	struct vcpu *v = &g->vcpu;
	enum vcpu_stop result = VCPU_YIELD;

	irq_mask();
	vcpu_load(g);
	write_sysreg(hcr_el2, HCR_GUEST);
	isb();
	for (int i = 0; i < BURST; i++) {
		vgic_flush(&g->vgic);
		enum vcpu_exit_kind kind = guest_enter(v);
		v->exits[kind & 3]++;
		g->exits_seen++;
		if (kind == EXIT_SYNC) {
			v->esr = read_sysreg(esr_el2);
			v->far = read_sysreg(far_el2);
			v->hpfar = read_sysreg(hpfar_el2);
		}
		vgic_sync(&g->vgic);
		if (kind == EXIT_IRQ || kind == EXIT_FIQ) {
			irq_handle();
			break;
		}
		if (kind == EXIT_SERROR) {
			m_snprintf(info->why, sizeof(info->why), "crashed: SError at pc 0x%llx",
				   (unsigned long long)v->pc);
			result = VCPU_CRASHED;
			break;
		}
		bool resume;
		result = handle_sync(g, info, &resume);
		if (!resume)
			break;
	}
	irq_unmask();
	return result;
}
