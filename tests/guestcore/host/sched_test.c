/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which guest gets the CPU (core/guest_sched.c) on the host: guest_run_slice()
 * is replaced by a script of what each guest does when it runs.
 */
#include <string.h>

#include <arch/vcpu_run.h>
#include <mamoru/guest.h>

#include "check.h"

#define NV ARCH_GUEST_VCPUS

struct guest guests[GUEST_MAX];

static bool idles[GUEST_MAX][NV];   /* the vCPU's next slice ends in WFI with nothing pending */
static bool on[GUEST_MAX][NV];      /* the vCPU is powered on */
static bool pend[GUEST_MAX][NV];    /* the vCPU has an interrupt to take */
static int ran[16], nran;           /* guest * 10 + vCPU, in the order they ran */
/* A slice ends at a host interrupt (its turn goes on), not by giving up the turn. */
static bool preempted[GUEST_MAX][NV];
static uint64_t slice_ns[GUEST_MAX][NV];   /* how long its slices take (0: 100 us) */
static uint64_t had_ns[GUEST_MAX][NV];     /* the time it has had */
static int kick_after = -1;                 /* guest1's vCPU 0 is sent an interrupt at that run */
static bool masks;                          /* guest1's vCPU 0 keeps its interrupts masked */

static uint64_t now_ns;

uint64_t timer_now_ns(void)
{
	return now_ns;
}

enum guest_slice guest_run_slice(struct guest *g, unsigned cpu)
{
	uint64_t ns = slice_ns[g->id][cpu] ? slice_ns[g->id][cpu] : 100000;
	now_ns += ns;
	had_ns[g->id][cpu] += ns;
	if (nran < 16)
		ran[nran++] = g->id * 10 + (int)cpu;
	if (nran - 1 == kick_after)
		pend[1][0] = true;
	if (g->id == 1 && cpu == 0 && !masks)
		pend[1][0] = false;                  /* it took it */
	if (idles[g->id][cpu])
		return GUEST_SLICE_IDLE;
	return preempted[g->id][cpu] ? GUEST_SLICE_PREEMPTED : GUEST_SLICE_TURN_OVER;
}

/* One CPU: vcpu_pin.c built without VCPU_PIN runs every vCPU here. */
unsigned smp_this_cpu(void) { return 0; }
void cpu_irq_mask(void) {}
void cpu_irq_unmask(void) {}
void cpu_relax(void) {}
__noreturn void smp_idle(void) { abort(); }      /* a secondary's loop: never here */

void guest_act_on_stop(struct guest *g, int stop, const char *why)
{
	(void)g;
	(void)stop;
	(void)why;
}

bool vcpu_pending(const struct guest *g, unsigned cpu)
{
	return pend[g->id][cpu];
}

bool vcpu_online(const struct guest *g, unsigned cpu)
{
	return cpu < NV && on[g->id][cpu];
}

static void reset(void)
{
	memset(guests, 0, sizeof(guests));
	for (int i = 0; i < GUEST_MAX; i++) {
		guests[i].id = i;
		guests[i].nr_vcpus = 1;
	}
	memset(idles, 0, sizeof(idles));
	memset(on, 0, sizeof(on));
	memset(pend, 0, sizeof(pend));
	memset(preempted, 0, sizeof(preempted));
	memset(slice_ns, 0, sizeof(slice_ns));
	memset(had_ns, 0, sizeof(had_ns));
	kick_after = -1;
	masks = false;
	for (int i = 0; i < GUEST_MAX; i++)
		on[i][0] = true;
	nran = 0;
}

static int count(int who)
{
	int n = 0;
	for (int i = 0; i < nran; i++)
		n += ran[i] == who;
	return n;
}

/* From the first change of vCPU in ran[] on (the turn before it may have begun in a
 * case before), the two take turns of n runs each, for two turns. */
static bool turns_of(int n)
{
	int f = 1;
	while (f < nran && ran[f] == ran[0])
		f++;
	if (f > n || f + 2 * n > nran)
		return false;
	for (int i = f; i < f + 2 * n; i++)
		if (ran[i] != ((i - f) / n ? ran[0] : ran[f]))
			return false;
	return true;
}

int main(void)
{
	_Static_assert(GUEST_MAX == 2, "the cases below are written for two guests");
	_Static_assert(NV >= 4, "the cases below give a guest four vCPUs");
	reset();
	CHECK(!guests_run() && nran == 0);             /* nobody running: the caller may sleep */

	/* Two busy guests take turns. */
	guests[0].state = guests[1].state = GUEST_RUNNING;
	bool a = guests_run(), b = guests_run(), c = guests_run();
	CHECK(a && b && c && nran == 3 && ran[1] != ran[0] && ran[2] == ran[0]);

	/* The first guest idles, the second can run: the second runs, no sleep. */
	reset();
	guests[0].state = guests[1].state = GUEST_RUNNING;
	idles[0][0] = true;
	for (int i = 0; i < 4; i++)
		CHECK(guests_run());
	CHECK(count(10) == 4);

	/* Both idle: false, after each had its chance. */
	reset();
	guests[0].state = guests[1].state = GUEST_RUNNING;
	idles[0][0] = idles[1][0] = true;
	CHECK(!guests_run() && nran == 2);

	/* A paused guest is not run. */
	reset();
	guests[0].state = GUEST_PAUSED;
	guests[1].state = GUEST_RUNNING;
	CHECK(guests_run() && nran == 1 && ran[0] == 10);

	/* A guest of four vCPUs, three on: each on vCPU gets its turn, in order; the
	 * one that is off never runs. */
	reset();
	guests[0].state = GUEST_RUNNING;
	guests[0].nr_vcpus = 4;
	on[0][1] = on[0][3] = true;
	for (int i = 0; i < 6; i++)
		CHECK(guests_run());
	CHECK(nran == 6 && ran[0] == 0 && ran[1] == 1 && ran[2] == 3 && ran[3] == 0 && ran[4] == 1 &&
	      ran[5] == 3 && count(2) == 0);

	/* Its busy vCPU shares the CPU with the other guest; the idle ones are looked at
	 * on the way but do not stop the busy ones from running. */
	reset();
	guests[0].state = guests[1].state = GUEST_RUNNING;
	guests[0].nr_vcpus = 4;
	on[0][1] = on[0][2] = on[0][3] = true;
	idles[0][0] = idles[0][1] = idles[0][3] = true;
	for (int i = 0; i < 4; i++)
		CHECK(guests_run());
	CHECK(count(2) == 2 && count(10) == 2);

	/* All idle: false once every vCPU on had its chance, each once. */
	reset();
	guests[0].state = GUEST_RUNNING;
	guests[0].nr_vcpus = 4;
	on[0][1] = on[0][2] = on[0][3] = true;
	idles[0][0] = idles[0][1] = idles[0][2] = idles[0][3] = true;
	CHECK(!guests_run() && nran == 4 && count(0) == 1 && count(3) == 1);

	/* All idle, but vCPU 1 was sent an interrupt after its turn: no sleep. */
	reset();
	guests[0].state = GUEST_RUNNING;
	guests[0].nr_vcpus = 2;
	on[0][1] = true;
	idles[0][0] = idles[0][1] = true;
	pend[0][1] = true;
	CHECK(guests_run() && nran == 2);
	/* ...and a vCPU that is off or in a guest that is not running does not count. */
	on[0][1] = false;
	CHECK(!guests_run());
	on[0][1] = true;
	guests[0].state = GUEST_PAUSED;
	CHECK(!guests_run());

	/* Timed turns (half a tick, 5 ms at 100 Hz): a vCPU stopped by host interrupts
	 * keeps the core until its turn's time is used, then the other has its turn. */
	reset();
	guests[0].state = guests[1].state = GUEST_RUNNING;
	preempted[0][0] = preempted[1][0] = true;
	slice_ns[0][0] = slice_ns[1][0] = 1000000;
	for (int i = 0; i < 15; i++)
		CHECK(guests_run());
	CHECK(nran == 15 && turns_of(5));
	/* One giving up its turn (WFE) hands the core over at once, time left or not. */
	reset();
	guests[0].state = guests[1].state = GUEST_RUNNING;
	preempted[1][0] = true;
	slice_ns[0][0] = slice_ns[1][0] = 1000000;
	for (int i = 0; i < 12; i++)
		CHECK(guests_run());
	CHECK(count(0) == 2 && count(10) == 10);
	for (int i = 0, run = 0; i < 12; i++) {        /* guest1's runs come five at a time */
		run = ran[i] == 10 ? run + 1 : 0;
		CHECK(run <= 5 && (ran[i] == 10 || i == 0 || ran[i - 1] == 10));
	}
	/* Fair shares: guest0's slices end at its timer every 4 ms, guest1's only at the
	 * tick (10 ms). When any interrupt ended a turn, guest0 had 4 ms to guest1's 10
	 * (29 %); with timed turns 8 ms to 10. */
	reset();
	guests[0].state = guests[1].state = GUEST_RUNNING;
	preempted[0][0] = preempted[1][0] = true;
	slice_ns[0][0] = 4000000;
	slice_ns[1][0] = 10000000;
	for (uint64_t end = now_ns + 1000000000ull; now_ns < end; )
		CHECK(guests_run());
	uint64_t a0 = had_ns[0][0], a1 = had_ns[1][0];
	CHECK(a0 * 100 >= (a0 + a1) * 40 && a0 * 100 <= (a0 + a1) * 60);

	/* Another vCPU here sent an interrupt during a turn gets the core at the next exit,
	 * not at the turn's end; one that waited already when the turn began (an interrupt
	 * it keeps masked) does not cut turns short. */
	reset();
	guests[0].state = guests[1].state = GUEST_RUNNING;
	preempted[0][0] = preempted[1][0] = true;
	slice_ns[0][0] = slice_ns[1][0] = 1000000;
	for (int i = 0; i < 15 && (nran < 2 || ran[nran - 2] != 10 || ran[nran - 1] != 0); i++)
		CHECK(guests_run());                   /* until guest0's turn has begun */
	CHECK(nran >= 2 && ran[nran - 2] == 10 && ran[nran - 1] == 0);
	nran = 0;
	kick_after = 0;                              /* in guest0's second slice */
	for (int i = 0; i < 3; i++)
		CHECK(guests_run());
	CHECK(nran == 3 && ran[0] == 0 && ran[1] == 10);
	reset();
	guests[0].state = guests[1].state = GUEST_RUNNING;
	preempted[0][0] = preempted[1][0] = true;
	slice_ns[0][0] = slice_ns[1][0] = 1000000;
	masks = pend[1][0] = true;                   /* guest1 spins with interrupts masked */
	for (int i = 0; i < 15; i++)
		CHECK(guests_run());
	CHECK(nran == 15 && turns_of(5));

	/* guest_run_for (the IDS lets a guest it stopped mid-update run on): only that
	 * guest's vCPUs that are on, in turn, for about the time asked. */
	reset();
	guests[0].state = guests[1].state = GUEST_RUNNING;
	guests[1].nr_vcpus = 4;
	on[1][1] = on[1][2] = true;
	CHECK(guest_run_for(&guests[1], 500000));
	CHECK(nran == 6 && count(0) == 0 && count(10) == 2 && count(11) == 2 && count(12) == 2 &&
	      count(13) == 0);
	/* All its vCPUs idle: one round, then back. */
	reset();
	guests[0].state = GUEST_RUNNING;
	idles[0][0] = true;
	CHECK(guest_run_for(&guests[0], 10000000) && nran == 1);
	/* Not running: nothing runs, false. */
	reset();
	guests[0].state = GUEST_PAUSED;
	CHECK(!guest_run_for(&guests[0], 1000000) && nran == 0);

	return check_summary("sched_test");
}
