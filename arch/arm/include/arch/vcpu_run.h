/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Running a vCPU: arch code enters the guest and handles what it can (MMIO
 * through core's guest_mmio(), PSCI queries, WFI with something pending),
 * then reports why the vCPU stopped. Core decides what that means for the
 * guest (halt, reset, report): arch never changes the guest's state.
 */
#ifndef ARCH_VCPU_RUN_H
#define ARCH_VCPU_RUN_H

#include <mamoru/types.h>

struct guest;

enum vcpu_stop {
	VCPU_PREEMPTED,    /* a host interrupt, or its burst used up: the hypervisor looks
			    * around, and the vCPU's turn goes on if time is left of it */
	VCPU_YIELD,        /* it gives up its turn: WFE (it waits for another vCPU), a
			    * refused write to report, its CPU_OFF */
	VCPU_IDLE,         /* WFI, nothing pending */
	VCPU_POWER_OFF,    /* PSCI SYSTEM_OFF (or CPU_OFF of the last CPU on): info->why says which */
	VCPU_RESET,        /* PSCI SYSTEM_RESET */
	VCPU_CRASHED,      /* unhandled exit: info->why says what */
};

struct vcpu_stop_info {
	char why[96];      /* for VCPU_POWER_OFF and VCPU_CRASHED */
};

/* Runs vCPU cpu (0 .. g->nr_vcpus - 1) of the guest until the hypervisor is needed. */
enum vcpu_stop vcpu_run(struct guest *g, unsigned cpu, struct vcpu_stop_info *info);
/* vCPU cpu is powered on (the boot vCPU after a reset; the others from the guest's
 * PSCI CPU_ON until its CPU_OFF): the scheduler gives it turns. */
bool vcpu_online(const struct guest *g, unsigned cpu);
/* vCPU cpu has an interrupt to take (it would not idle if it ran now). */
bool vcpu_pending(const struct guest *g, unsigned cpu);
/* Every vCPU idles and the CPU is about to sleep (interrupts masked): the vCPU whose
 * timer fires first gets the CPU's timer. */
void vcpu_before_idle(void);
/* The guest no longer owns the CPU's EL1 state (saved into its vCPUs). */
void vcpu_put(struct guest *g);
/* Saves whatever vCPU is on this core into its struct (a core told to stop). */
void vcpu_put_here(void);
/* vCPU cpu, running or idle on another core, should look at its vGIC again: it has
 * an interrupt to take that it does not hold yet, or was just started. */
bool vcpu_wants_kick(const struct guest *g, unsigned cpu);
/* Copies the live EL1 state of g's vCPU on the CPU (if any) into its struct. */
void vcpu_snapshot(struct guest *g);

#endif
