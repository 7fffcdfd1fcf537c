/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Running a vCPU: load its state, enter the guest, and handle its exits
 * (trap.c dispatches the synchronous ones by exception class) until the
 * hypervisor itself is needed: a host interrupt, a refused write to report,
 * WFI with nothing pending, a power or reset request, or a crash.
 */
#include <arch/sysreg.h>
#include <arch/sysreg_bits.h>
#include <arch/vcpu_run.h>
#include <arch/vtimer.h>
#include <mamoru/guest.h>
#include <mamoru/irq.h>
#include <mamoru/libc.h>
#include "el2.h"
#include "trap.h"

#define BURST 64           /* traps handled before giving the hypervisor a look */

static struct guest *loaded;   /* whose EL1 state and stage 2 are on the CPU */

const char *el2_guest_on_cpu(void)
{
	return loaded ? loaded->name : NULL;
}

void vcpu_put(struct guest *g)
{
	if (loaded == g) {
		vcpu_save_el1(&g->arch.vcpu);
		g->arch.vcpu.el1_live = false;
		vgic_save(&g->arch.vgic, 0);
		vtimer_set_owner(NULL);
		loaded = NULL;
	}
}

void vcpu_snapshot(struct guest *g)
{
	if (loaded == g)
		vcpu_save_el1(&g->arch.vcpu);
}

static void vcpu_load(struct guest *g)
{
	if (loaded == g)
		return;
	if (loaded)
		vcpu_put(loaded);
	stage2_activate(&g->arch.s2);
	write_sysreg(vpidr_el2, read_sysreg(midr_el1));
	write_sysreg(vmpidr_el2, (1ull << 31));       /* uniprocessor-style affinity 0 */
	vcpu_load_el1(&g->arch.vcpu);
	vgic_restore(&g->arch.vgic, 0);
	vtimer_set_owner(g);
	loaded = g;
}

/* What a trap's outcome means for vcpu_run: why the vCPU stops, or
 * *resume when the guest runs on within this burst. */
static enum vcpu_stop trap_stop(enum trap_action a, struct vcpu_stop_info *info, bool *resume)
{
	*resume = a == TRAP_RESUME;
	switch (a) {
	case TRAP_RESUME: case TRAP_YIELD:
		return VCPU_YIELD;
	case TRAP_IDLE:
		return VCPU_IDLE;
	case TRAP_CPU_OFF:
		m_snprintf(info->why, sizeof(info->why), "stopped its only CPU (PSCI CPU_OFF)");
		return VCPU_POWER_OFF;
	case TRAP_SYSTEM_OFF:
		m_snprintf(info->why, sizeof(info->why), "powered off (PSCI SYSTEM_OFF)");
		return VCPU_POWER_OFF;
	case TRAP_SYSTEM_RESET:
		return VCPU_RESET;
	case TRAP_CRASHED:
	default:
		return VCPU_CRASHED;           /* the handler wrote info->why */
	}
}

enum vcpu_stop vcpu_run(struct guest *g, struct vcpu_stop_info *info)
{
	struct vcpu *v = &g->arch.vcpu;
	enum vcpu_stop result = VCPU_YIELD;

	irq_mask();
	vcpu_load(g);
	write_sysreg(hcr_el2, el2_guest_hcr());
	isb();
	for (int i = 0; i < BURST; i++) {
		vgic_flush(&g->arch.vgic, 0);
		uint64_t entered = read_sysreg(cntpct_el0);
		enum vcpu_exit_kind kind = guest_enter(v);
		v->run_ticks += read_sysreg(cntpct_el0) - entered;
		uint64_t serror_esr = 0;
		if (kind == EXIT_SYNC) {
			v->esr = read_sysreg(esr_el2);
			v->far = read_sysreg(far_el2);
			v->hpfar = read_sysreg(hpfar_el2);
		}
		/* An SError the guest caused but that is still pending is its own:
		 * take it now, before another guest's EL1 state is on the CPU. */
		if (kind == EXIT_SERROR)
			serror_esr = read_sysreg(esr_el2);
		else if (el2_take_pending_serror(&serror_esr))
			kind = EXIT_SERROR;
		v->exits[kind & 3]++;
		g->exits_seen++;
		vgic_sync(&g->arch.vgic, 0);
		if (kind == EXIT_IRQ || kind == EXIT_FIQ) {
			irq_handle();
			break;
		}
		if (kind == EXIT_SERROR) {
			m_snprintf(info->why, sizeof(info->why), "crashed: SError (ESR 0x%llx) at pc 0x%llx",
				   (unsigned long long)serror_esr, (unsigned long long)v->pc);
			result = VCPU_CRASHED;
			break;
		}
		struct trap_ctx t = {.g = g, .why = info->why, .why_size = sizeof(info->why)};
		esr_decode(v->esr, &t.esr);
		bool resume;
		result = trap_stop(trap_dispatch(&t), info, &resume);
		if (!resume)
			break;
	}
	irq_unmask();
	return result;
}
