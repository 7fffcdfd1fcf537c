/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef ARCH_VCPU_RUN_H
#define ARCH_VCPU_RUN_H

#include <mamoru/types.h>

struct guest;

enum run_result {
	RUN_INTERRUPTED,   /* a host interrupt was handled: let the hypervisor look around */
	RUN_IDLE,          /* the guest waits for an interrupt (WFI) */
	RUN_STOPPED,       /* the guest stopped (powered off, reset, crashed) */
};

/* Runs the guest's vCPU until the hypervisor is needed. */
enum run_result vcpu_run(struct guest *g);
/* The guest no longer owns the CPU's EL1 state (saved into its vcpu). */
void vcpu_put(struct guest *g);
/* Copies the live EL1 state of g (if on the CPU) into g->vcpu. */
void vcpu_snapshot(struct guest *g);

#endif
