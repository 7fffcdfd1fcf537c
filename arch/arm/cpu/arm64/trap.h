/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Synchronous exits from a guest: the syndrome is decoded once (esr_decode)
 * and dispatched through a table indexed by exception class (trap.c).
 * Internal to cpu/arm64/.
 */
#ifndef ARM64_TRAP_H
#define ARM64_TRAP_H

#include <arch/esr.h>

struct guest;
struct vcpu;

enum trap_action {
	TRAP_RESUME,             /* handled: the guest runs on */
	TRAP_YIELD,              /* handled, but the main loop should look now (or another vCPU
				  * should run) */
	TRAP_IDLE,               /* WFI with nothing pending */
	TRAP_CPU_OFF,            /* PSCI CPU_OFF of the guest's last vCPU on */
	TRAP_SYSTEM_OFF,
	TRAP_SYSTEM_RESET,
	TRAP_CRASHED,            /* an exit nothing handles: why[] says what */
};

struct trap_ctx {
	struct guest *g;
	struct vcpu *v;          /* the vCPU that trapped */
	struct esr_info esr;
	char *why;               /* TRAP_CRASHED: a description */
	size_t why_size;
};

enum trap_action trap_dispatch(struct trap_ctx *t);

/* Makes the guest take an Undefined Instruction exception at EL1. */
void trap_inject_undef(struct vcpu *v);

/* PSCI call of vCPU v (vpsci.c): x0 = function id. */
enum trap_action vpsci_call(struct guest *g, struct vcpu *v);

#endif
