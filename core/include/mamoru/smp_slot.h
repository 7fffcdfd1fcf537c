/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One CPU's call slot: another CPU posts a function and its argument, the
 * slot's CPU runs it (from its IPI handler) and says it is done. Pure logic
 * on sequence numbers, host-tested (tests/host/smp_slot_check.c).
 *
 * One caller at a time (core/smp.c holds a lock per slot around a call).
 * Sequence numbers only grow: a call n is posted when posted == n, taken when
 * taken == n, finished when done == n. A caller that gives up (its deadline
 * passed) cancels: the cancel and the target's take are each a store, a full
 * barrier and a load of the other side's word, so at least one of them sees
 * the other. If the target saw the cancel it skips the function; if the
 * caller saw the take the function may have started (both may see each
 * other: then it is skipped), so the caller waits for the call to finish and
 * learns from smp_slot_poll whether fn ran. Either way the slot is free again
 * only once the target has finished with it.
 */
#ifndef MAMORU_SMP_SLOT_H
#define MAMORU_SMP_SLOT_H

#include <mamoru/types.h>

typedef void (*smp_fn)(void *arg);

struct smp_slot {
	uint32_t posted;        /* written by the caller */
	uint32_t taken;         /* written by the target before it decides */
	uint32_t cancelled;     /* written by the caller that gave up */
	uint32_t ran;           /* written by the target before done if fn ran */
	uint32_t done;          /* written by the target after fn (or the skip) */
	smp_fn fn;
	void *arg;
};

enum smp_slot_wait {
	SMP_SLOT_PENDING,       /* not finished yet */
	SMP_SLOT_DONE,          /* fn ran and returned */
	SMP_SLOT_SKIPPED,       /* cancelled: the target finished without running fn */
};

enum smp_slot_cancel {
	SMP_SLOT_CANCELLED,     /* the target will not run fn */
	SMP_SLOT_RUNNING,       /* the target took the call: poll until it finishes */
};

/* Caller side. A slot is free when every posted call is done. */
bool smp_slot_free(const struct smp_slot *s);
/* Posts fn(arg) (the slot must be free) and returns its sequence number. */
uint32_t smp_slot_post(struct smp_slot *s, smp_fn fn, void *arg);
enum smp_slot_wait smp_slot_poll(const struct smp_slot *s, uint32_t seq);
/* After the deadline: withdraws the call if the target has not taken it. */
enum smp_slot_cancel smp_slot_cancel(struct smp_slot *s, uint32_t seq);

/* Target side (its IPI handler): runs the posted call if there is one that
 * was not cancelled; returns true if it ran fn. */
bool smp_slot_run(struct smp_slot *s);

#endif
