/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The call slot of smp_call (core/lib/smp_slot.c) on the host: the protocol
 * step by step, then a caller thread and a target thread racing: every call
 * the caller did not withdraw runs exactly once, a withdrawn call never runs,
 * and the caller never reuses a slot before it is free.
 * Prints "smp_slot_check: ok" and exits 0, or names the first failure.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <mamoru/smp_slot.h>

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			printf("smp_slot_check: FAIL line %d: %s\n", __LINE__, #cond); \
			exit(1);                                                      \
		}                                                                     \
	} while (0)

static void count(void *arg)
{
	(*(unsigned *)arg)++;
}

static void steps(void)
{
	struct smp_slot s = {0};
	unsigned ran = 0;

	CHECK(smp_slot_free(&s));
	CHECK(!smp_slot_run(&s));                       /* nothing posted */
	uint32_t a = smp_slot_post(&s, count, &ran);
	CHECK(!smp_slot_free(&s));
	CHECK(smp_slot_poll(&s, a) == SMP_SLOT_PENDING);
	CHECK(smp_slot_run(&s) && ran == 1);
	CHECK(smp_slot_poll(&s, a) == SMP_SLOT_DONE && smp_slot_free(&s));
	CHECK(!smp_slot_run(&s) && ran == 1);           /* a second IPI: nothing new */

	/* Withdrawn before the target looked: it skips fn but finishes the call. */
	uint32_t b = smp_slot_post(&s, count, &ran);
	CHECK(b == a + 1);
	CHECK(smp_slot_cancel(&s, b) == SMP_SLOT_CANCELLED);
	CHECK(!smp_slot_free(&s));                      /* not before the target says so */
	CHECK(smp_slot_poll(&s, b) == SMP_SLOT_PENDING);
	CHECK(!smp_slot_run(&s) && ran == 1);
	CHECK(smp_slot_free(&s) && smp_slot_poll(&s, b) == SMP_SLOT_SKIPPED);

	/* Withdrawn after the target took it: the caller learns fn runs. */
	uint32_t c = smp_slot_post(&s, count, &ran);
	CHECK(smp_slot_run(&s) && ran == 2);
	CHECK(smp_slot_cancel(&s, c) == SMP_SLOT_RUNNING);
	CHECK(smp_slot_free(&s) && smp_slot_poll(&s, c) == SMP_SLOT_DONE);

	/* Both sides see each other: the caller hears RUNNING, the target skips. */
	uint32_t e = smp_slot_post(&s, count, &ran);
	s.taken = e;                                    /* the target stored taken... */
	CHECK(smp_slot_cancel(&s, e) == SMP_SLOT_RUNNING);
	s.taken = e - 1;                                /* (replayed by smp_slot_run) */
	CHECK(!smp_slot_run(&s) && ran == 2);           /* ...and then saw the cancel */
	CHECK(smp_slot_poll(&s, e) == SMP_SLOT_SKIPPED && smp_slot_free(&s));

	/* Sequence numbers wrap without harm. */
	struct smp_slot w = {.posted = UINT32_MAX, .taken = UINT32_MAX, .done = UINT32_MAX,
			     .ran = UINT32_MAX};
	uint32_t d = smp_slot_post(&w, count, &ran);
	CHECK(d == 0 && !smp_slot_free(&w));
	CHECK(smp_slot_run(&w) && ran == 3 && smp_slot_free(&w));
}

/* The race: the target thread polls its slot like an IPI handler would. */
#define CALLS 20000u

static struct smp_slot race_slot;
static unsigned char ran_count[CALLS];
static volatile int stop;

static void mark(void *arg)
{
	ran_count[(uintptr_t)arg]++;
}

static void *target(void *unused)
{
	(void)unused;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
		smp_slot_run(&race_slot);
	smp_slot_run(&race_slot);
	return NULL;
}

static void race(unsigned seed)
{
	static unsigned char withdrawn[CALLS], running[CALLS];
	pthread_t t;

	srand(seed);
	CHECK(pthread_create(&t, NULL, target, NULL) == 0);
	for (unsigned i = 0; i < CALLS; i++) {
		while (!smp_slot_free(&race_slot))
			;                               /* a withdrawn call's target not done yet */
		uint32_t seq = smp_slot_post(&race_slot, mark, (void *)(uintptr_t)i);
		unsigned patience = (unsigned)rand() % 64;  /* 0: give up at once */
		while (patience && smp_slot_poll(&race_slot, seq) == SMP_SLOT_PENDING)
			patience--;
		if (smp_slot_poll(&race_slot, seq) == SMP_SLOT_DONE)
			continue;
		if (smp_slot_cancel(&race_slot, seq) == SMP_SLOT_CANCELLED) {
			withdrawn[i] = 1;
			continue;
		}
		running[i] = 1;
		enum smp_slot_wait w;
		while ((w = smp_slot_poll(&race_slot, seq)) == SMP_SLOT_PENDING)
			;
		withdrawn[i] = w == SMP_SLOT_SKIPPED;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	CHECK(pthread_join(t, NULL) == 0);
	unsigned nwithdrawn = 0, nrunning = 0;
	for (unsigned i = 0; i < CALLS; i++) {
		CHECK(ran_count[i] == (withdrawn[i] ? 0 : 1));
		nwithdrawn += withdrawn[i];
		nrunning += running[i];
	}
	printf("smp_slot_check: %u calls, %u withdrawn, %u cancels after the take\n", CALLS, nwithdrawn,
	       nrunning);
}

int main(int argc, char **argv)
{
	steps();
	race(argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 1);
	printf("smp_slot_check: ok\n");
	return 0;
}
