/* SPDX-License-Identifier: GPL-2.0-only */
/* PSCI calls from a guest's vCPU (HVC/SMC): psci_decide says what, this does it. */
#include <arch/psci.h>
#include <arch/vcpu.h>
#include <arch/vcpu_run.h>
#include <arch/vgic.h>
#include <mamoru/guest.h>
#include "trap.h"

static struct psci_cpus cpus_of(const struct guest *g)
{
	struct psci_cpus c = {.n = g->nr_vcpus, .online = 0};
	for (unsigned i = 0; i < g->nr_vcpus; i++)
		if (g->arch.vcpus[i].online)
			c.online |= 1u << i;
	return c;
}

/* CPU_ON: the target starts at entry (an address in guest RAM) with x0 = context,
 * at EL1h, interrupts masked, MMU and caches off, as after a reset. It runs when the
 * scheduler next gives it a turn. */
static uint64_t cpu_on(struct guest *g, unsigned target, uint64_t entry, uint64_t context)
{
	if (entry < g->ram_ipa || entry - g->ram_ipa >= g->ram_size || (entry & 3))
		return PSCI_INVALID_ADDRESS;
	struct vcpu *t = &g->arch.vcpus[target];
	vcpu_reset(t, entry, context);
	vgic_vcpu_reset(&g->arch.vgic, target);
	t->online = true;
	t->fresh = true;
	return PSCI_SUCCESS;
}

enum trap_action vpsci_call(struct guest *g, struct vcpu *v)
{
	uint64_t ret = PSCI_NOT_SUPPORTED;
	uint32_t fn = (uint32_t)v->x[0];
	bool smc64 = fn & 0x40000000u;
	unsigned target = 0;
	struct psci_cpus cpus = cpus_of(g);
	switch (psci_decide(fn, v->x[1], v->x[2], &cpus, &ret, &target)) {
	case PSCI_DO_CPU_ON:
		v->x[0] = cpu_on(g, target, smc64 ? v->x[2] : (uint32_t)v->x[2],
				 smc64 ? v->x[3] : (uint32_t)v->x[3]);
		return TRAP_RESUME;
	case PSCI_DO_CPU_OFF:
		/* Does not return; CPU_ON starts it afresh. Off the CPU first, so that
		 * its list registers are in its vGIC state, then nothing of it is kept. */
		v->online = false;
		vcpu_put(g);
		vgic_vcpu_reset(&g->arch.vgic, v->id);
		return cpus.online & ~(1u << v->id) ? TRAP_YIELD : TRAP_CPU_OFF;
	case PSCI_DO_SYSTEM_OFF:
		return TRAP_SYSTEM_OFF;
	case PSCI_DO_SYSTEM_RESET:
		return TRAP_SYSTEM_RESET;
	case PSCI_RETURN:
	default:
		v->x[0] = ret;
		return TRAP_RESUME;
	}
}
