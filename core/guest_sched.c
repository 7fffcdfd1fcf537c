/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which vCPU runs next on this core: round robin over the vCPUs that are on in
 * the running guests and run on this core (vcpu_core: with pinned vCPUs, vCPU i
 * on core i, else all of them on the boot CPU), starting after the last one
 * that got the core. A vCPU that idles (WFI with nothing pending) gives its turn
 * to the next one, so the core only sleeps when every vCPU it runs idles. A turn
 * lasts TURN_NS of time: a host interrupt (the guest's own timer, a device) stops
 * the vCPU for a moment but leaves it the core while its turn lasts, so that a vCPU
 * with many interrupts gets as much of the core as one with few. The hypervisor's
 * tick (the boot CPU) or, on a core with more than one vCPU to run, a timer of its
 * own (vcpu_turns_timed) makes sure a turn comes to an end; a vCPU that gives up
 * its turn (WFE: it waits for another vCPU) ends it at once, and so does an exit
 * after another vCPU here was sent an interrupt (an IPI, a device's).
 */
#include <arch/vcpu_run.h>
#include <arch/cpu.h>
#include <mamoru/guest.h>
#include <mamoru/fdt_cpus.h>
#include <mamoru/smp.h>
#include <mamoru/vcpu_pin.h>

#define SLOTS (GUEST_MAX * ARCH_GUEST_VCPUS)
/* Half a tick: the first interrupt after it ends the turn, the tick (or the turn
 * timer) at the latest. */
#define TURN_NS (1000000000ull / CONFIG_TIMER_HZ / 2)

static bool runs_here(const struct guest *g, unsigned cpu, unsigned me)
{
	return g->state == GUEST_RUNNING && !smp_load_acquire(&g->posted) &&
	       vcpu_online(g, cpu) && vcpu_core(g, cpu) == me;
}

/* The slots of the vCPUs here that have an interrupt to take (a bit per slot). */
static uint32_t pending_here(unsigned me)
{
	uint32_t m = 0;
	for (unsigned slot = 0; slot < SLOTS; slot++) {
		struct guest *g = &guests[slot / ARCH_GUEST_VCPUS];
		unsigned cpu = slot % ARCH_GUEST_VCPUS;
		if (runs_here(g, cpu, me) && vcpu_pending(g, cpu))
			m |= 1u << slot;
	}
	return m;
}

bool guests_run(void)
{
	_Static_assert(SLOTS <= 32, "pending_here's mask has a bit per slot");
	static unsigned next[FDT_CPUS_MAX];      /* where the next pass starts */
	static unsigned holder[FDT_CPUS_MAX];    /* the slot whose turn it is, + 1; 0: none */
	static uint64_t turn_end[FDT_CPUS_MAX];  /* when that turn is over */
	static uint32_t waiting[FDT_CPUS_MAX];   /* pending_here() when it began */
	unsigned me = smp_this_cpu();
	if (me >= FDT_CPUS_MAX)
		return false;
	vcpu_kick_clear(me);
	unsigned here = 0;
	for (unsigned slot = 0; slot < SLOTS && here < 2; slot++)
		here += runs_here(&guests[slot / ARCH_GUEST_VCPUS], slot % ARCH_GUEST_VCPUS, me);
	if (me != 0)                    /* the boot CPU's tick is its turn timer */
		vcpu_turns_timed(here > 1);
	for (unsigned k = 0; k < SLOTS; k++) {
		unsigned slot = (next[me] + k) % SLOTS;
		struct guest *g = &guests[slot / ARCH_GUEST_VCPUS];
		unsigned cpu = slot % ARCH_GUEST_VCPUS;
		if (!runs_here(g, cpu, me))
			continue;
		if (slot + 1 != holder[me]) {
			holder[me] = slot + 1;
			turn_end[me] = timer_now_ns() + TURN_NS;
			waiting[me] = here > 1 ? pending_here(me) : 0;
		}
		enum guest_slice r = guest_run_slice(g, cpu);
		if (r == GUEST_SLICE_IDLE) {
			holder[me] = 0;        /* it gave its turn to the next one */
			continue;
		}
		/* It goes on after an interrupt while its turn lasts, unless another vCPU
		 * here was sent an interrupt meanwhile (a kick: an IPI, a device's): that
		 * one should not wait out the turn. One that waited already when the turn
		 * began (masked, say) does not cut it short, or it would cut every turn. */
		bool goes_on = r == GUEST_SLICE_PREEMPTED && timer_now_ns() < turn_end[me] &&
			       (here < 2 || !(pending_here(me) & ~waiting[me] & ~(1u << slot)));
		next[me] = goes_on ? slot : (slot + 1) % SLOTS;
		if (!goes_on)
			holder[me] = 0;        /* its next run is a new turn */
		return true;
	}
	/* Every vCPU idled, but one that idled early in the pass may have been sent an
	 * interrupt since (an IPI from a vCPU that ran after it): not a time to sleep. */
	return pending_here(me) != 0;
}

bool guest_run_for(struct guest *g, uint64_t ns)
{
	vcpus_let_run(g, ns);
	/* A stop a vCPU posted (a reboot, say) is as good as done. */
	return g->state == GUEST_RUNNING && !smp_load_acquire(&g->posted);
}
