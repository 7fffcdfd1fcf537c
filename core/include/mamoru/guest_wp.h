/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Write protection of guest memory through stage 2 (the mechanism; the IDS
 * decides what to protect and when, commands/ids/protect.c). A write to a
 * protected page faults to EL2 with a stage-2 permission fault; the vCPU
 * code skips the instruction (the guest runs on, the memory unchanged),
 * counts it and queues it here, and the IDS reports it from the main loop.
 */
#ifndef MAMORU_GUEST_WP_H
#define MAMORU_GUEST_WP_H

#include <mamoru/types.h>

struct guest;

#define GUEST_WP_RANGES 4
#define GUEST_WP_QUEUE 8        /* refused writes waiting to be reported */

struct guest_wp_range {
	uint64_t ipa, size;
};

struct guest_wp_event {
	uint64_t pc, pstate;    /* where the guest was: its PC and PSTATE */
	uint64_t far, ipa;      /* the virtual and guest-physical address written */
	uint64_t esr;
};

struct guest_wp {
	bool armed;
	struct guest_wp_range range[GUEST_WP_RANGES];
	unsigned nranges;
	uint64_t pages;             /* pages protected while armed */
	uint64_t refused;           /* writes refused, ever */
	uint64_t cm_skipped;        /* cache maintenance on protected pages, skipped */
	uint64_t arms;              /* times armed */
	struct guest_wp_event last; /* the latest refused write (refused != 0) */
	struct guest_wp_event queue[GUEST_WP_QUEUE];
	unsigned q_head, q_len;
	uint64_t dropped;           /* refused while the queue was full */
};

/* Makes the ranges (page aligned, inside guest RAM) read-only in g's stage 2.
 * Disarms first if armed. -1 (nothing protected) on a bad range. */
int guest_wp_arm(struct guest *g, const struct guest_wp_range *r, unsigned n);
/* Makes them writable again (no-op when not armed). Called on reset and halt. */
void guest_wp_disarm(struct guest *g);
/* Disarms and forgets queued reports: the guest is reset or halted, a new
 * boot will relocate the kernel, so it must not be protected while it boots. */
void guest_wp_reset(struct guest *g);
/* Is ipa in a protected range? */
bool guest_wp_covers(const struct guest *g, uint64_t ipa);
/* Records a refused write; true when the queue was empty before (the vCPU
 * loop then returns to the main loop so the report goes out at once). */
bool guest_wp_record(struct guest *g, const struct guest_wp_event *ev);
/* Takes the oldest queued event; false when none. */
bool guest_wp_take(struct guest *g, struct guest_wp_event *ev);

#endif
