/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A hostile guest: random accesses (any offset of each device window, any
 * size, any value), random line levels from devices and random time steps,
 * with the models' invariants checked after every step. The sanitizers
 * turn undefined behaviour or a bad memory access into a failure.
 */
#include <stdio.h>

#include <arch/guest_irq.h>

#include "devices.h"
#include "stubs.h"

static uint64_t rng;

/* xorshift64*: reproducible from the seed the test prints. */
static uint64_t prng(void *ctx)
{
	(void)ctx;
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

static int failures;

#define INVARIANT(cond)                                                                       \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			fprintf(stderr, "step %lu: invariant broken: %s\n", step, #cond);       \
			failures++;                                                           \
		}                                                                             \
	} while (0)

static void invariants(unsigned long step)
{
	const struct vvic *v = the_vic();
	for (int i = 0; i < VVIC_SLOTS; i++)
		INVARIANT((v->vectcntl[i] & ~0x3fu) == 0);
	INVARIANT(v->protection <= 1 && v->itcr <= 1);
	INVARIANT(v->in_service < (1u << (VVIC_DEFAULT_PRIO + 1)));
	INVARIANT((v->sic_picenable & ~0x7fe00000u) == 0);
	INVARIANT((v->lines & (1u << VVIC_SIC_CASCADE)) == 0);
	INVARIANT(vvic_current_prio(v) <= VVIC_NO_PRIO);
	uint32_t raw = vvic_rawintr(v);
	INVARIANT(vvic_fiq_out(v) == ((raw & v->intenable & v->intselect) != 0));
	if (vvic_irq_out(v))
		INVARIANT((raw & v->intenable & ~v->intselect) != 0);
	if (v->in_service == 0)
		INVARIANT(vvic_irq_out(v) == ((raw & v->intenable & ~v->intselect) != 0));
	INVARIANT(((raw >> VVIC_SIC_CASCADE) & 1) ==
		  (vvic_sic_status(v) != 0 || ((v->softint >> VVIC_SIC_CASCADE) & 1)));

	const struct vsp804 *s = the_timer();
	for (int i = 0; i < 2; i++) {
		const struct sp804_timer *t = &s->t[i];
		INVARIANT((t->control & ~0xefu) == 0);
		/* 16-bit: the counter fits, except the reset value before Control is written. */
		if (!(t->control & 2))
			INVARIANT(t->count <= 0xffff || (t->count == 0xffffffffu && !(t->control & 0x80)));
		static const uint32_t div[4] = {1, 16, 256, 256};
		INVARIANT(t->phase < div[(t->control >> 2) & 3]);   /* less than one prescaled tick */
	}
	/* The next event is exact: the line is still low just before it, high at it. */
	uint64_t nxt = sp804_next_event_ns(s);
	if (nxt != SP804_NO_EVENT) {
		uint64_t synced = s->t[0].last_ticks < s->t[1].last_ticks ? s->t[0].last_ticks : s->t[1].last_ticks;
		INVARIANT(nxt / 1000 > synced);         /* TIMCLK is 1 MHz */
		if (!sp804_irq(s)) {
			struct vsp804 copy = *s;
			sp804_sync(&copy, nxt - 1);
			INVARIANT(!sp804_irq(&copy));
			sp804_sync(&copy, nxt);
			INVARIANT(sp804_irq(&copy));
		}
	}

	const struct vsysregs *y = the_sys();
	INVARIANT(y->leds <= 0xff && y->lockval <= 0xffff && y->resetctl <= 0x1ff);
}

static const uint32_t bases[] = {VIC_BASE, SIC_BASE, TIMER_BASE, UART_BASE, SYS_BASE};

int fuzz_step(unsigned long step, uint64_t (*next)(void *ctx), void *ctx)
{
	uint64_t r = next(ctx);
	switch (r % 16) {
	case 0:         /* time passes: up to about a second, mostly little */
		stub_now_ns += (next(ctx) % 4 == 0) ? next(ctx) % 1000000000ull : next(ctx) % 100000ull;
		break;
	case 1:         /* the hypervisor's timer fires */
		sp804_guest_sync(&g, stub_now_ns);
		break;
	case 2:         /* a device drives a line, any number */
		arch_guest_irq(&g, (unsigned)(next(ctx) % 80), next(ctx) & 1);
		break;
	case 3:
		if (next(ctx) % 64 == 0)
			guest_reset_vdevs(&g);
		break;
	default: {      /* an access anywhere in a window */
		static const unsigned sizes[] = {1, 2, 4, 8, 4, 4};
		uint32_t base = bases[next(ctx) % 5];
		uint64_t where = next(ctx);
		uint32_t off = (uint32_t)(next(ctx) % 0x1000);
		if (where % 4 == 1)
			off %= 0x40;                /* the VIC's, SIC's and SP804's registers */
		else if (where % 4 == 2)
			off = 0x100 + off % 0x140;  /* the VIC's vector slots */
		if ((where >> 8) % 4)
			off &= ~3u;                 /* mostly aligned */
		unsigned size = sizes[next(ctx) % 6];
		uint64_t val = next(ctx);
		bool write = (r >> 8) & 1;
		int rc = guest_mmio(&g, base + off, write, size, &val);
		INVARIANT(rc == GUEST_MMIO_OK || rc == GUEST_MMIO_REJECTED);
		if (!write && rc == GUEST_MMIO_OK)
			INVARIANT(val <= 0xffffffffu);
		break;
	}
	}
	invariants(step);
	return failures;
}

int fuzz(unsigned long seed, unsigned long iterations)
{
	rng = seed * 0x9e3779b97f4a7c15ull + 1;
	for (unsigned long step = 0; step < iterations; step++)
		if (fuzz_step(step, prng, NULL) > 20)
			break;
	(void)vsysregs_take_reset(&g);
	printf("devices fuzz: seed %lu, %lu steps, unknown accesses vic %u timer %u sys %u\n",
	       seed, iterations, the_vic()->unknown_accesses, the_timer()->unknown_accesses,
	       the_sys()->unknown_accesses);
	return failures ? 1 : 0;
}
