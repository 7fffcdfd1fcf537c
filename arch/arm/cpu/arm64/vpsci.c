/* SPDX-License-Identifier: GPL-2.0-only */
/* PSCI 1.0 for the guest: version, features, CPU_OFF, SYSTEM_OFF, SYSTEM_RESET. */
#include <arch/vcpu_run.h>
#include <mamoru/guest.h>
#include <mamoru/libc.h>

#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_OFF 0x84000002u
#define PSCI_CPU_ON_64 0xc4000003u
#define PSCI_AFFINITY_INFO_64 0xc4000004u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_FEATURES 0x8400000au

#define PSCI_SUCCESS 0
#define PSCI_NOT_SUPPORTED ((uint64_t)-1)
#define PSCI_INVALID_PARAMETERS ((uint64_t)-2)
#define PSCI_ALREADY_ON ((uint64_t)-4)
#define PSCI_TOS_NOT_PRESENT 2

static bool known(uint32_t fn)
{
	switch (fn) {
	case PSCI_VERSION: case PSCI_CPU_OFF: case PSCI_CPU_ON_64: case PSCI_AFFINITY_INFO_64:
	case PSCI_MIGRATE_INFO_TYPE: case PSCI_SYSTEM_OFF: case PSCI_SYSTEM_RESET: case PSCI_FEATURES:
		return true;
	default:
		return false;
	}
}

enum vcpu_stop vpsci_call(struct guest *g, struct vcpu_stop_info *info, bool *handled)
{
	struct vcpu *v = &g->vcpu;
	uint32_t fn = (uint32_t)v->x[0];
	*handled = true;
	switch (fn) {
	case PSCI_VERSION:
		v->x[0] = 0x10000;                       /* 1.0 */
		return VCPU_YIELD;
	case PSCI_FEATURES:
		v->x[0] = known((uint32_t)v->x[1]) ? PSCI_SUCCESS : PSCI_NOT_SUPPORTED;
		return VCPU_YIELD;
	case PSCI_MIGRATE_INFO_TYPE:
		v->x[0] = PSCI_TOS_NOT_PRESENT;
		return VCPU_YIELD;
	case PSCI_CPU_ON_64:
		/* One vCPU: only MPIDR 0 exists, and it is running. */
		v->x[0] = (v->x[1] & 0xff00ffffffull) == 0 ? PSCI_ALREADY_ON : PSCI_INVALID_PARAMETERS;
		return VCPU_YIELD;
	case PSCI_AFFINITY_INFO_64:
		v->x[0] = (v->x[1] & 0xff00ffffffull) == 0 ? 0 /* ON */ : PSCI_INVALID_PARAMETERS;
		return VCPU_YIELD;
	case PSCI_CPU_OFF:
		m_snprintf(info->why, sizeof(info->why), "stopped its only CPU (PSCI CPU_OFF)");
		return VCPU_POWER_OFF;
	case PSCI_SYSTEM_OFF:
		m_snprintf(info->why, sizeof(info->why), "powered off (PSCI SYSTEM_OFF)");
		return VCPU_POWER_OFF;
	case PSCI_SYSTEM_RESET:
		return VCPU_RESET;
	default:
		*handled = false;
		return VCPU_YIELD;
	}
}
