/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Work the main loop does now and then (between console input and guest time
 * slices, so guests are stopped while it runs): e.g. the IDS watch. A task
 * returns true when it printed on the console, so the shell redraws its line.
 */
#ifndef MAMORU_PERIODIC_H
#define MAMORU_PERIODIC_H

#include <mamoru/types.h>

/* How a task keeps out of the way of vCPUs running on other cores (mamoru/vcpu_pin.h). */
enum periodic_guests {
	PERIODIC_STOPS_GUESTS,       /* the default: the other cores' vCPUs stop while it runs */
	PERIODIC_LOCKS_GUESTS,       /* it only touches emulated state: it runs under vcpu_lock */
	PERIODIC_ITS_OWN,            /* it stops them itself, when it has work (cheap when idle) */
};

struct periodic {
	const char *name;
	uint64_t interval_ns;        /* 0: not scheduled */
	uint64_t next_ns;
	bool (*run)(struct periodic *p);
	struct periodic *next;
	enum periodic_guests guests;
};

/* Registers a task that runs from boot on, every var.interval_ns (set in its
 * initialiser), in the linker-collected table "mamoru_periodic"; such a task
 * is not passed to periodic_start. */
#define PERIODIC_TASK(var)                                                    \
	static struct periodic *const __periodic_ptr_##var                    \
		__attribute__((section("mamoru_periodic"), used, aligned(sizeof(void *)))) = &(var)

/* Schedules p every interval_ns from now (interval 0 unschedules it). */
void periodic_start(struct periodic *p, uint64_t interval_ns);
/* Runs the tasks that are due; true if any printed. */
bool periodic_run_due(uint64_t now_ns);

#endif
