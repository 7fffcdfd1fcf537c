/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which vCPU runs next: round robin over the vCPUs that are on in the running
 * guests (each guest's in order), starting after the last one that got the CPU.
 * A vCPU that idles (WFI with nothing pending) gives its turn to the next one, so
 * the main loop only sleeps when every vCPU on idles. All of them take turns on
 * the boot CPU: a guest of four vCPUs gets a quarter of it each when all four are
 * busy.
 */
#include <arch/vcpu_run.h>
#include <arch/cpu.h>
#include <mamoru/guest.h>

#define SLOTS (GUEST_MAX * ARCH_GUEST_VCPUS)

bool guests_run(void)
{
	static unsigned next;
	for (unsigned k = 0; k < SLOTS; k++) {
		unsigned slot = (next + k) % SLOTS;
		struct guest *g = &guests[slot / ARCH_GUEST_VCPUS];
		unsigned cpu = slot % ARCH_GUEST_VCPUS;
		if (g->state != GUEST_RUNNING || !vcpu_online(g, cpu))
			continue;
		if (guest_run_slice(g, cpu)) {
			next = (slot + 1) % SLOTS;
			return true;
		}
	}
	/* Every vCPU idled, but one that idled early in the pass may have been sent an
	 * interrupt since (an IPI from a vCPU that ran after it): not a time to sleep. */
	for (unsigned slot = 0; slot < SLOTS; slot++) {
		struct guest *g = &guests[slot / ARCH_GUEST_VCPUS];
		unsigned cpu = slot % ARCH_GUEST_VCPUS;
		if (g->state == GUEST_RUNNING && vcpu_online(g, cpu) && vcpu_pending(g, cpu))
			return true;
	}
	return false;
}

bool guest_run_for(struct guest *g, uint64_t ns)
{
	uint64_t end = timer_now_ns() + ns;
	while (g->state == GUEST_RUNNING && timer_now_ns() < end) {
		bool ran = false;
		for (unsigned cpu = 0; cpu < ARCH_GUEST_VCPUS && g->state == GUEST_RUNNING; cpu++)
			if (vcpu_online(g, cpu))
				ran |= guest_run_slice(g, cpu);
		if (!ran)
			break;              /* every vCPU idles: nothing is in the middle of anything */
	}
	return g->state == GUEST_RUNNING;
}
