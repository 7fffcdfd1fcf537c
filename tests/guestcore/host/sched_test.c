/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which guest gets the CPU (core/guest_sched.c) on the host: guest_run_slice()
 * is replaced by a script of what each guest does when it runs.
 */
#include <string.h>

#include <mamoru/guest.h>

#include "check.h"

struct guest guests[GUEST_MAX];

static bool idles[GUEST_MAX];      /* the guest's next slice ends in WFI with nothing pending */
static int ran[16], nran;

bool guest_run_slice(struct guest *g)
{
	if (nran < 16)
		ran[nran++] = g->id;
	return !idles[g->id];
}

static void reset(void)
{
	memset(guests, 0, sizeof(guests));
	for (int i = 0; i < GUEST_MAX; i++)
		guests[i].id = i;
	memset(idles, 0, sizeof(idles));
	nran = 0;
}

int main(void)
{
	_Static_assert(GUEST_MAX == 2, "the cases below are written for two guests");
	reset();
	CHECK(!guests_run() && nran == 0);             /* nobody running: the caller may sleep */

	/* Two busy guests take turns. */
	guests[0].state = guests[1].state = GUEST_RUNNING;
	bool a = guests_run(), b = guests_run(), c = guests_run();
	CHECK(a && b && c && nran == 3 && ran[1] != ran[0] && ran[2] == ran[0]);

	/* The first guest idles, the second can run: the second runs, no sleep. */
	reset();
	guests[0].state = guests[1].state = GUEST_RUNNING;
	idles[0] = true;
	for (int i = 0; i < 4; i++)
		CHECK(guests_run());
	int second = 0;
	for (int i = 0; i < nran; i++)
		second += ran[i] == 1;
	CHECK(second == 4);

	/* Both idle: false, after each had its chance. */
	reset();
	guests[0].state = guests[1].state = GUEST_RUNNING;
	idles[0] = idles[1] = true;
	CHECK(!guests_run() && nran == 2);

	/* A paused guest is not run. */
	reset();
	guests[0].state = GUEST_PAUSED;
	guests[1].state = GUEST_RUNNING;
	CHECK(guests_run() && nran == 1 && ran[0] == 1);

	return check_summary("sched_test");
}
