/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Running a vCPU: load its state, enter the guest, and handle its exits
 * (trap.c dispatches the synchronous ones by exception class) until the
 * hypervisor itself is needed: a host interrupt, a refused write to report,
 * WFI with nothing pending, a power or reset request, or a crash.
 */
#include <arch/cpu.h>
#include <arch/sysreg.h>
#include <arch/sysreg_bits.h>
#include <arch/vcpu_run.h>
#include <arch/vtimer.h>
#include <mamoru/fdt_cpus.h>
#include <mamoru/guest.h>
#include <mamoru/irq.h>
#include <mamoru/libc.h>
#include <mamoru/smp.h>
#include <mamoru/vcpu_pin.h>
#include "el2.h"
#include "trap.h"

#define BURST 64           /* traps handled before giving the hypervisor a look */

/* Per core: whose EL1 state, stage 2 and CPU-interface state are on it, one vCPU
 * of one guest. The vCPUs a core runs take turns on it (core/guest_sched.c). */
static struct guest *loaded_on[FDT_CPUS_MAX];
static unsigned loaded_cpu_on[FDT_CPUS_MAX];

#define loaded (loaded_on[smp_this_cpu()])
#define loaded_cpu (loaded_cpu_on[smp_this_cpu()])

const char *el2_guest_on_cpu(void)
{
	return loaded ? loaded->name : NULL;
}

/* The vGIC's banked registers belong to the vCPU whose access traps here. */
unsigned vgic_current_vcpu(const struct guest *g)
{
	return loaded == g ? loaded_cpu : 0;
}

bool vcpu_online(const struct guest *g, unsigned cpu)
{
	return cpu < g->nr_vcpus && g->arch.vcpus[cpu].online;
}

bool vcpu_pending(const struct guest *g, unsigned cpu)
{
	return g->arch.vcpus[cpu].fresh || vgic_wakes(&g->arch.vgic, cpu);
}

void vcpu_put(struct guest *g)
{
	if (loaded == g) {
		struct vcpu *v = &g->arch.vcpus[loaded_cpu];
		vcpu_save_el1(v);
		v->el1_live = false;
		vgic_save(&g->arch.vgic, loaded_cpu);
		vtimer_set_owner(NULL, 0);
		loaded = NULL;
	}
}

void vcpu_put_here(void)
{
	if (loaded)
		vcpu_put(loaded);
}

bool vcpu_wants_kick(const struct guest *g, unsigned cpu)
{
	return g->arch.vcpus[cpu].fresh || vgic_kick_wanted(&g->arch.vgic, cpu);
}

void vcpu_snapshot(struct guest *g)
{
	if (loaded == g)
		vcpu_save_el1(&g->arch.vcpus[loaded_cpu]);
}

/* MPIDR_EL1 as vCPU cpu reads it: RES1 bit 31, Aff0 its index; U (bit 30, a
 * uniprocessor system) for a guest of one vCPU, as before guests had several. */
static uint64_t guest_mpidr(const struct guest *g, unsigned cpu)
{
	return (1ull << 31) | (g->nr_vcpus == 1 ? 1ull << 30 : 0) | cpu;
}

static void vcpu_load(struct guest *g, unsigned cpu)
{
	if (loaded == g && loaded_cpu == cpu)
		return;
	if (loaded)
		vcpu_put(loaded);
	stage2_activate(&g->arch.s2);
	write_sysreg(vpidr_el2, read_sysreg(midr_el1));
	write_sysreg(vmpidr_el2, guest_mpidr(g, cpu));
	vcpu_load_el1(&g->arch.vcpus[cpu]);
	vgic_restore(&g->arch.vgic, cpu);
	vtimer_set_owner(g, cpu);
	loaded = g;
	loaded_cpu = cpu;
}

/* When vCPU v's virtual timer fires next (counter value), or UINT64_MAX when it is off
 * or masked. Its saved copy, or the CPU's registers when it is on the CPU. */
static uint64_t timer_deadline(const struct vcpu *v)
{
	uint64_t ctl = v->el1_live ? read_sysreg(cntv_ctl_el0) : v->el1.cntv_ctl;
	uint64_t cval = v->el1_live ? read_sysreg(cntv_cval_el0) : v->el1.cntv_cval;
	return (ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK)) == CNT_CTL_ENABLE ? cval : UINT64_MAX;
}

/*
 * The CPU is about to sleep: every vCPU idles. Only the vCPU on the CPU has its timer in
 * the hardware, so the one whose timer fires first is put there; the others' timers are
 * looked at when they next run (the hypervisor's tick at the latest).
 */
void vcpu_before_idle(void)
{
	struct guest *best = NULL;
	unsigned best_cpu = 0;
	uint64_t first = UINT64_MAX;
	for (int i = 0; i < GUEST_MAX; i++) {
		struct guest *g = &guests[i];
		if (g->state != GUEST_RUNNING || smp_load_acquire(&g->posted))
			continue;
		for (unsigned c = 0; c < g->nr_vcpus; c++) {
			bool here = vcpu_online(g, c) && vcpu_core(g, c) == smp_this_cpu();
			uint64_t d = here ? timer_deadline(&g->arch.vcpus[c]) : UINT64_MAX;
			if (d < first) {
				first = d;
				best = g;
				best_cpu = c;
			}
		}
	}
	/* None has a timer to wait for (off, paused, halted, stopping, or running with
	 * no timer armed): none stays on the CPU, so nothing of a vCPU (a virtual IRQ
	 * line still up) keeps signalling to the sleeping core. The next run loads it
	 * again (an EL1 save and restore per such sleep). */
	if (best)
		vcpu_load(best, best_cpu);
	else
		vcpu_put_here();
}

/* What a trap's outcome means for vcpu_run: why the vCPU stops, or
 * *resume when the guest runs on within this burst. */
static enum vcpu_stop trap_stop(enum trap_action a, struct vcpu_stop_info *info, bool *resume)
{
	*resume = a == TRAP_RESUME;
	switch (a) {
	case TRAP_RESUME:
		return VCPU_PREEMPTED;
	case TRAP_YIELD:
		return VCPU_YIELD;
	case TRAP_IDLE:
		return VCPU_IDLE;
	case TRAP_CPU_OFF:
		m_snprintf(info->why, sizeof(info->why), "stopped its last CPU (PSCI CPU_OFF)");
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

enum vcpu_stop vcpu_run(struct guest *g, unsigned cpu, struct vcpu_stop_info *info)
{
	if (!vcpu_online(g, cpu))
		return VCPU_IDLE;
	struct vcpu *v = &g->arch.vcpus[cpu];
	enum vcpu_stop result = VCPU_PREEMPTED;      /* the burst used up */
	v->fresh = false;

	irq_mask();
	unsigned long lock = vcpu_lock();
	vcpu_load(g, cpu);
	/* A vCPU of several that waits with WFE (a spinlock, a cross-call) waits for
	 * another vCPU, which may only run when this one gives up the CPU: trap WFE,
	 * unless each of its vCPUs has a core of its own. */
	write_sysreg(hcr_el2, el2_guest_hcr() | (g->nr_vcpus > 1 && !vcpus_own_cores(g) ? HCR_TWE : 0));
	isb();
	struct smp_cpu *core = smp_this();
	for (int i = 0; i < BURST; i++) {
		vgic_flush(&g->arch.vgic, cpu);
		vcpu_unlock(lock);
		guest_console_flush(g);    /* what it wrote under the lock, on a core that had to wait */
#ifdef CONFIG_VCPU_PIN
		timer_turn_enter();
#endif
		uint64_t entered = read_sysreg(cntpct_el0);
		enum vcpu_exit_kind kind = guest_enter(v);
		uint64_t ran = read_sysreg(cntpct_el0) - entered;
		lock = vcpu_lock();
		v->run_ticks += ran;
		__atomic_store_n(&core->guest_ticks, core->guest_ticks + ran, __ATOMIC_RELAXED);
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
		vgic_sync(&g->arch.vgic, cpu);
		if (kind == EXIT_IRQ || kind == EXIT_FIQ) {
			irq_handle();
			result = VCPU_PREEMPTED;
			break;
		}
		if (kind == EXIT_SERROR) {
			m_snprintf(info->why, sizeof(info->why), "crashed: SError (ESR 0x%llx) at pc 0x%llx",
				   (unsigned long long)serror_esr, (unsigned long long)v->pc);
			result = VCPU_CRASHED;
			break;
		}
		struct trap_ctx t = {.g = g, .v = v, .why = info->why, .why_size = sizeof(info->why)};
		esr_decode(v->esr, &t.esr);
		bool resume;
		result = trap_stop(trap_dispatch(&t), info, &resume);
		if (!resume)
			break;
	}
	vcpu_unlock(lock);
	guest_console_flush(g);
	irq_unmask();
	return result;
}
