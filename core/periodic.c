/* SPDX-License-Identifier: GPL-2.0-only */
#include <arch/cpu.h>
#include <mamoru/periodic.h>
#include <mamoru/vcpu_pin.h>

static struct periodic *tasks;

void periodic_start(struct periodic *p, uint64_t interval_ns)
{
	struct periodic **pp = &tasks;
	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (!*pp) {
		p->next = NULL;
		*pp = p;
	}
	p->interval_ns = interval_ns;
	p->next_ns = 0;    /* due at once */
}

extern struct periodic *const __start_mamoru_periodic[], *const __stop_mamoru_periodic[];

static bool run_if_due(struct periodic *p, uint64_t now_ns)
{
	if (!p->interval_ns || now_ns < p->next_ns)
		return false;
	bool printed;
	if (p->guests == PERIODIC_LOCKS_GUESTS) {
		unsigned long f = vcpu_lock();
		printed = p->run(p);
		vcpu_unlock(f);
	} else if (p->guests == PERIODIC_ITS_OWN) {
		printed = p->run(p);
	} else {
		/* The IDS reads guests: vCPUs on other cores stop meanwhile. */
		vcpus_stop_others();
		printed = p->run(p);
		vcpus_resume_others();
	}
	/* The interval counts from the end of a run: a task that takes long
	 * (an IDS scan holds the guests) still leaves them the interval. */
	p->next_ns = timer_now_ns() + p->interval_ns;
	return printed;
}

bool periodic_run_due(uint64_t now_ns)
{
	bool printed = false;
	for (struct periodic *const *pp = __start_mamoru_periodic; pp < __stop_mamoru_periodic; pp++)
		printed |= run_if_due(*pp, now_ns);
	for (struct periodic *p = tasks; p; p = p->next)
		printed |= run_if_due(p, now_ns);
	return printed;
}
