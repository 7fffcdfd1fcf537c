/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a guest holds for the CPU side on ARMv5 (issue 15): struct guest (core) has
 * exactly one member of this type, `arch`, which only arch code looks inside. The guest
 * kernel runs in the CPU's USR mode: its vCPU is the v5 core's virtual CPU (virtual CPSR,
 * banked registers, cp15) and its memory is translated by shadow page tables built from
 * its own tables (docs/armv5-virt.md). The shadow MMU's state is large (its roots and
 * pool bookkeeping) and lives in pages allocated when the guest is created.
 */
#ifndef ARCH_GUEST_ARCH_H
#define ARCH_GUEST_ARCH_H

#include <mamoru/types.h>

#include "../../virt/shadow_mmu.h"
#include "../../virt/v5_vcpu.h"

#define ARCH_GUEST_VCPUS 1             /* the ARM926 has one core */

struct arch_guest {
	struct v5_vcpu vcpu;           /* the guest's one vCPU */
	struct v5_mmu_hooks hooks;     /* the vCPU core's cp15 writes, to the shadow MMU */
	struct shadow_mmu *mmu;        /* its shadow MMU's state (allocated) */
	uint32_t (*l1)[SHADOW_L1_ENTRIES];   /* the shadow tables (allocated) */
	uint32_t (*l2)[SHADOW_L2_ENTRIES];
	bool broken;                   /* the shadow MMU refused its configuration */
	uint64_t next_timer_ns;        /* the guest timer's next event (SP804_NO_EVENT: none) */
	uint64_t traps[8];             /* traps by vector, for `guest regs` (vcpu_run.c) */
	uint64_t emulated, mmio;       /* instructions emulated, device accesses */
	uint64_t fast;                 /* MRS/MSR done on guest_trap.S's fast path */
	uint64_t run_ns;               /* time spent in the guest (vcpu_run.c) */
};

#endif
