/* SPDX-License-Identifier: GPL-2.0-only */
/* PSCI calls from the guest (HVC/SMC): psci_decide says what, this does it. */
#include <arch/psci.h>
#include <mamoru/guest.h>
#include "trap.h"

enum trap_action vpsci_call(struct guest *g)
{
	struct vcpu *v = &g->arch.vcpu;
	uint64_t ret = PSCI_NOT_SUPPORTED;
	switch (psci_decide((uint32_t)v->x[0], v->x[1], &ret)) {
	case PSCI_DO_CPU_OFF:
		return TRAP_CPU_OFF;
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
