/* SPDX-License-Identifier: GPL-2.0-only */
/* The guest's PSCI function ids and what each does (pure; see arch/psci.h). */
#include <arch/psci.h>

#define MPIDR_AFF_MASK 0xff00ffffffull

static bool implemented(uint32_t fn)
{
	switch (fn) {
	case PSCI_VERSION: case PSCI_CPU_OFF: case PSCI_CPU_ON_32: case PSCI_CPU_ON_64:
	case PSCI_AFFINITY_INFO_32: case PSCI_AFFINITY_INFO_64: case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_OFF: case PSCI_SYSTEM_RESET: case PSCI_FEATURES:
		return true;
	default:
		return false;
	}
}

/* The vCPU an MPIDR argument names, or -1: Aff0 below the guest's count, the other
 * affinity fields zero (bits 31 and 30 of MPIDR_EL1 are not affinity: ignored). */
static int target_of(uint64_t mpidr, const struct psci_cpus *cpus)
{
	mpidr &= MPIDR_AFF_MASK;
	return mpidr < cpus->n ? (int)mpidr : -1;
}

enum psci_action psci_decide(uint32_t fn, uint64_t a1, uint64_t a2, const struct psci_cpus *cpus,
			     uint64_t *ret, unsigned *target)
{
	if (!(fn & 0x40000000u)) {
		a1 &= 0xffffffffull;
		a2 &= 0xffffffffull;
	}
	int t;
	switch (fn) {
	case PSCI_VERSION:
		*ret = PSCI_VERSION_1_0;
		return PSCI_RETURN;
	case PSCI_FEATURES:
		*ret = implemented((uint32_t)a1) ? PSCI_SUCCESS : PSCI_NOT_SUPPORTED;
		return PSCI_RETURN;
	case PSCI_MIGRATE_INFO_TYPE:
		*ret = PSCI_TOS_NOT_PRESENT;
		return PSCI_RETURN;
	case PSCI_CPU_ON_32: case PSCI_CPU_ON_64:
		t = target_of(a1, cpus);
		if (t < 0) {
			*ret = PSCI_INVALID_PARAMETERS;
			return PSCI_RETURN;
		}
		if (cpus->online & (1u << t)) {
			*ret = PSCI_ALREADY_ON;
			return PSCI_RETURN;
		}
		*target = (unsigned)t;
		return PSCI_DO_CPU_ON;
	case PSCI_AFFINITY_INFO_32: case PSCI_AFFINITY_INFO_64:
		t = target_of(a1, cpus);
		if (t < 0 || a2 != 0)      /* only level 0: a vCPU, no clusters */
			*ret = PSCI_INVALID_PARAMETERS;
		else
			*ret = (cpus->online & (1u << t)) ? PSCI_AFF_ON : PSCI_AFF_OFF;
		return PSCI_RETURN;
	case PSCI_CPU_OFF:
		return PSCI_DO_CPU_OFF;
	case PSCI_SYSTEM_OFF:
		return PSCI_DO_SYSTEM_OFF;
	case PSCI_SYSTEM_RESET:
		return PSCI_DO_SYSTEM_RESET;
	default:
		*ret = PSCI_NOT_SUPPORTED;
		return PSCI_RETURN;
	}
}
