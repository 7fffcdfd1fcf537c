/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vCPUs pinned to cores (Kconfig VCPU_PIN, docs/smp.md "Pinned vCPUs"): vCPU i
 * of a guest runs on core i when that core is online and set up for guests,
 * else on the boot CPU, taking turns with whatever else runs there. What the
 * cores share while their vCPUs run (the vGIC, emulated devices, a guest's
 * state) is changed under one lock; the boot CPU, which runs the shell and
 * the IDS, stops the other cores' vCPUs while a command or a periodic task
 * looks at guests.
 */
#ifndef MAMORU_VCPU_PIN_H
#define MAMORU_VCPU_PIN_H

#include <mamoru/types.h>

struct guest;

/* The lock over state vCPUs share: taken around every exit's handling, every
 * host interrupt handler and the boot CPU's console input to a guest. It nests
 * on one CPU and masks its interrupts. On the last unlock, vCPUs on other cores
 * that now have an interrupt to take (or were just started) are kicked. */
unsigned long vcpu_lock(void);
void vcpu_unlock(unsigned long flags);
/* This CPU holds the lock. */
bool vcpu_lock_held(void);
/* vcpu_unlock's kicks (vcpu_pin.c), under the lock. */
void vcpu_kick_waiting(void);

/* The core vCPU vcpu of g runs on. */
unsigned vcpu_core(const struct guest *g, unsigned vcpu);
/* Some core other than the boot CPU runs vCPUs. */
bool vcpus_pinned(void);
/* Each vCPU of g runs on a core of its own number (none shares with another of g's). */
bool vcpus_own_cores(const struct guest *g);
/* Core cpu's vCPUs may have something to take: it clears its kick flag before
 * flushing (called on that core, by the scheduler). */
void vcpu_kick_clear(unsigned cpu);
/* A kick to core is on its way (not yet taken by its scheduler): for diagnostics. */
bool vcpu_core_kicked(unsigned core);
/* This core should not sleep: it was kicked since it last ran its vCPUs, or
 * (the boot CPU) a guest stop is posted. Call with interrupts masked. */
bool vcpus_wake_pending(void);

/*
 * Boot CPU: every other core leaves its guests (EL1 state saved) and waits
 * until vcpus_resume_others(). Nests. Bounded: returns the cores that did not
 * answer within VCPU_STOP_TIMEOUT_MS (a bitmask; 0 when all stopped), which
 * are then still running their vCPUs.
 */
#define VCPU_STOP_TIMEOUT_MS 200
uint32_t vcpus_stop_others(void);
void vcpus_resume_others(void);
/* The cores that did not stop at the current stop (0 outside one). */
uint32_t vcpus_not_stopped(void);
/* Which of g's vCPUs (bit i: vCPU i) sit on a core that did not stop (outside
 * a stop: every one on a core other than the boot CPU). */
uint32_t vcpus_of_guest_running(const struct guest *g);
/* Boot CPU, with the others stopped: lets them run for ns (and the boot CPU's
 * own vCPUs of g), then stops them again. */
void vcpus_let_run(struct guest *g, uint64_t ns);

/* A vCPU on another core stopped its guest (reset, power off, crash): what it
 * asked is posted for the boot CPU, which acts with the others stopped. */
void guests_act_on_posted(void);

/* On a core other than the boot CPU (whose tick does it there): while on, a timer ends
 * each vCPU's turn, for a core with more than one vCPU to run. Without it, a vCPU that
 * never exits (interrupts masked in the guest, no timer of its own armed) would keep the
 * core from the others. */
void vcpu_turns_timed(bool on);
/* How many turns core's timer ended (the `cpus` command). */
uint64_t vcpu_turns_ended(unsigned core);

/* A secondary core once it is online: runs its vCPUs, or idles. */
__noreturn void vcpus_secondary_loop(void);

#endif
