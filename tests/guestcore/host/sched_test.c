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

static uint64_t now_ns;             /* a slice takes 100 us of this clock */

uint64_t timer_now_ns(void)
{
	return now_ns;
}

bool guest_run_slice(struct guest *g, unsigned cpu)
{
	now_ns += 100000;
	if (nran < 16)
		ran[nran++] = g->id * 10 + (int)cpu;
	return !idles[g->id][cpu];
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
