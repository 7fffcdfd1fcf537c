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
#include <mamoru/console.h>
#include <mamoru/guest.h>
#include <mamoru/irq.h>
#include <mamoru/libc.h>
#include "arm64_mmio.h"
#include "el2.h"
#include "trap.h"

#define BURST 64           /* traps handled before giving the hypervisor a look */
#define REPORT_LIMIT 8     /* bad accesses reported per guest before going quiet */

static struct guest *loaded;   /* whose EL1 state and stage 2 are on the CPU */

const char *el2_guest_on_cpu(void)
{
	return loaded ? loaded->name : NULL;
}

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

void arm64_bad_access(struct guest *g, const char *what, uint64_t ipa)
{
	g->bad_accesses++;
	if (g->bad_accesses <= REPORT_LIMIT)
		printk("%s: %s at guest-physical 0x%llx (pc 0x%llx): abort injected%s\n", g->name, what,
		       (unsigned long long)ipa, (unsigned long long)g->vcpu.pc,
		       g->bad_accesses == REPORT_LIMIT ? "; further reports suppressed" : "");
}

int arm64_mmio(struct guest *g, uint64_t ipa, bool write, unsigned size, uint64_t *val)
{
	for (unsigned i = 0; i < g->nvdevs; i++) {
		struct vdev *d = &g->vdevs[i];
		if (ipa < d->base || ipa - d->base >= d->size)
			continue;
		int err = write ? d->ops->write(d, ipa - d->base, size, *val)
				: d->ops->read(d, ipa - d->base, size, val);
		return err ? ARM64_MMIO_REJECTED : ARM64_MMIO_OK;
	}
	return ARM64_MMIO_NODEV;
}

static void crash(struct guest *g, const char *why)
{
	m_snprintf(g->reason, sizeof(g->reason), "crashed: %s", why);
	printk("%s: %s; guest halted\n", g->name, g->reason);
	guest_halt(g, NULL);
}

/* What a trap's outcome means for vcpu_run: its result, and whether the
 * guest runs on within this burst. */
static enum run_result trap_result(struct guest *g, enum trap_action a, const char *why,
				   bool *resume)
{
	*resume = a == TRAP_RESUME;
	switch (a) {
	case TRAP_RESUME: case TRAP_YIELD:
		return RUN_INTERRUPTED;
	case TRAP_IDLE:
		return RUN_IDLE;
	case TRAP_CPU_OFF:
		guest_halt(g, "stopped its only CPU (PSCI CPU_OFF)");
		return RUN_STOPPED;
	case TRAP_SYSTEM_OFF:
		guest_halt(g, "powered off (PSCI SYSTEM_OFF)");
		return RUN_STOPPED;
	case TRAP_SYSTEM_RESET:
		g->reset_requested = true;
		return RUN_STOPPED;
	case TRAP_CRASHED:
	default:
		crash(g, why);
		return RUN_STOPPED;
	}
}

enum run_result vcpu_run(struct guest *g)
{
	struct vcpu *v = &g->vcpu;
	enum run_result result = RUN_INTERRUPTED;
	char why[96];

	irq_mask();
	vcpu_load(g);
	write_sysreg(hcr_el2, el2_guest_hcr());
	isb();
	for (int i = 0; i < BURST; i++) {
		vgic_flush(&g->vgic);
		enum vcpu_exit_kind kind = guest_enter(v);
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
		vgic_sync(&g->vgic);
		if (kind == EXIT_IRQ || kind == EXIT_FIQ) {
			irq_handle();
			break;
		}
		if (kind == EXIT_SERROR) {
			m_snprintf(why, sizeof(why), "SError (ESR 0x%llx) at pc 0x%llx",
				   (unsigned long long)serror_esr, (unsigned long long)v->pc);
			crash(g, why);
			result = RUN_STOPPED;
			break;
		}
		struct trap_ctx t = {.g = g, .why = why, .why_size = sizeof(why)};
		esr_decode(v->esr, &t.esr);
		bool resume;
		result = trap_result(g, trap_dispatch(&t), why, &resume);
		if (!resume || g->state != GUEST_RUNNING)
			break;
	}
	irq_unmask();
	return result;
}
