/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PSCI 1.0 as a guest sees it: which function id does what (pure logic,
 * host-tested; vpsci.c carries the decision out). A guest's vCPUs are
 * named by MPIDR Aff0 = their index (the other affinity fields 0), as the
 * cpu nodes of its device tree say.
 */
#ifndef ARCH_PSCI_H
#define ARCH_PSCI_H

#include <mamoru/types.h>

#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_OFF 0x84000002u
#define PSCI_CPU_ON_32 0x84000003u
#define PSCI_CPU_ON_64 0xc4000003u
#define PSCI_AFFINITY_INFO_32 0x84000004u
#define PSCI_AFFINITY_INFO_64 0xc4000004u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_FEATURES 0x8400000au

#define PSCI_SUCCESS 0ull
#define PSCI_NOT_SUPPORTED ((uint64_t)-1)
#define PSCI_INVALID_PARAMETERS ((uint64_t)-2)
#define PSCI_ALREADY_ON ((uint64_t)-4)
#define PSCI_INVALID_ADDRESS ((uint64_t)-9)
#define PSCI_AFF_ON 0ull
#define PSCI_AFF_OFF 1ull
#define PSCI_TOS_NOT_PRESENT 2ull
#define PSCI_VERSION_1_0 0x10000ull

enum psci_action {
	PSCI_RETURN,             /* x0 = ret, the guest runs on */
	PSCI_DO_CPU_ON,          /* power vCPU *target on (it is off) */
	PSCI_DO_CPU_OFF,         /* the calling vCPU stops */
	PSCI_DO_SYSTEM_OFF,
	PSCI_DO_SYSTEM_RESET,
};

/* The guest's vCPUs as PSCI needs them. */
struct psci_cpus {
	unsigned n;              /* how many the guest has */
	uint32_t online;         /* bit i: vCPU i is on */
};

/* What the call fn (x0) with arguments a1, a2 (x1, x2) does; for
 * PSCI_RETURN, *ret is the guest's new x0. Unknown function ids (PSCI or
 * any other SMCCC service) return NOT_SUPPORTED. SMC32 calls take W
 * registers: the upper halves of a1 and a2 are ignored for them. */
enum psci_action psci_decide(uint32_t fn, uint64_t a1, uint64_t a2, const struct psci_cpus *cpus,
			     uint64_t *ret, unsigned *target);

#endif
