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

enum psci_action psci_decide(uint32_t fn, uint64_t a1, uint64_t *ret)
{
	/* SMC32 calls take W registers: the upper half of x1 is ignored. */
	if (!(fn & 0x40000000u))
		a1 &= 0xffffffffull;
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
		*ret = (a1 & MPIDR_AFF_MASK) == 0 ? PSCI_ALREADY_ON : PSCI_INVALID_PARAMETERS;
		return PSCI_RETURN;
	case PSCI_AFFINITY_INFO_32: case PSCI_AFFINITY_INFO_64:
		*ret = (a1 & MPIDR_AFF_MASK) == 0 ? 0 /* ON */ : PSCI_INVALID_PARAMETERS;
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
