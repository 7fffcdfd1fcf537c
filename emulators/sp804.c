/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest's SP804 dual timer (emulators/vsp804.h), after the SP804 TRM
 * (ARM DDI 0271). The counters are not stepped by anything: each access
 * first brings them up to the current time from how many TIMCLK ticks have
 * passed since the last one (sp804_sync), so an idle timer costs nothing
 * and the result does not depend on how often the guest looks.
 */
#include <arch/cpu.h>
#include <arch/guest_irq.h>
#include <mamoru/console.h>
#include <mamoru/emulator.h>
#include <mamoru/guest.h>
#include <mamoru/heap.h>
#include <mamoru/libc.h>

#include <drivers/hw/sp804.h>

#include "vsp804.h"

#define CTL_MASK 0xefu            /* bit 4 is reserved */
#define CTL_RESET SP804_CTL_INTEN

#define NS_PER_S 1000000000ull

static const uint8_t sp804_ids[8] = {0x04, 0x18, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

/* TIMCLK ticks in [0, ns], without overflowing for any ns. */
static uint64_t ns_to_ticks(uint64_t ns, uint32_t hz)
{
	return ns / NS_PER_S * hz + ns % NS_PER_S * hz / NS_PER_S;
}

/* The first time (ns) at which ns_to_ticks() reaches ticks. */
static uint64_t ticks_to_ns(uint64_t ticks, uint32_t hz)
{
	uint64_t secs = ticks / hz, rem = ticks % hz;
	if (secs > (UINT64_MAX - NS_PER_S) / NS_PER_S)
		return SP804_NO_EVENT;
	return secs * NS_PER_S + (rem * NS_PER_S + hz - 1) / hz;
}

static uint32_t div_of(uint32_t control)
{
	/* 00: 1, 01: 16, 10: 256; 11 is undefined in the TRM: taken as 256. */
	static const uint32_t div[4] = {1, 16, 256, 256};
	return div[(control >> SP804_CTL_PRESCALE_SHIFT) & 3];
}

static uint32_t divider(const struct sp804_timer *t)
{
	return div_of(t->control);
}

static uint32_t width_mask(const struct sp804_timer *t)
{
	return t->control & SP804_CTL_32BIT ? 0xffffffffu : 0xffffu;
}

/* The value the counter takes after it passes zero. */
static uint64_t reload(const struct sp804_timer *t)
{
	return t->control & SP804_CTL_PERIODIC ? (t->load & width_mask(t)) : width_mask(t);
}

/* dec decrements of the counter; RIS rises each time it arrives at zero. */
static void advance(struct sp804_timer *t, uint64_t dec)
{
	uint64_t c = t->count;
	bool oneshot = t->control & SP804_CTL_ONESHOT;
	if (dec == 0 || (oneshot && c == 0))
		return;                   /* a one-shot timer halts at zero */
	if (dec <= c) {
		c -= dec;
		if (c == 0)
			t->ris = true;
	} else {
		if (c > 0)
			t->ris = true;    /* arrived at zero after c decrements */
		if (oneshot) {
			c = 0;
		} else {
			uint64_t r = dec - c - 1, top = reload(t);   /* r: decrements after the reload */
			if (r >= top)
				t->ris = true;
			c = top - r % (top + 1);
		}
	}
	t->count = (uint32_t)c;
}

static void sync_timer(struct sp804_timer *t, uint64_t ticks)
{
	if (ticks > t->last_ticks && (t->control & SP804_CTL_ENABLE)) {
		uint32_t div = divider(t);
		uint64_t elapsed = ticks - t->last_ticks + t->phase;
		t->phase = (uint32_t)(elapsed % div);
		advance(t, elapsed / div);
	}
	if (ticks > t->last_ticks)
		t->last_ticks = ticks;
}

void sp804_sync(struct vsp804 *s, uint64_t now_ns)
{
	uint64_t ticks = ns_to_ticks(now_ns, s->freq_hz);
	sync_timer(&s->t[0], ticks);
	sync_timer(&s->t[1], ticks);
}

void sp804_reset(struct vsp804 *s, uint32_t freq_hz, uint64_t now_ns)
{
	memset(s, 0, sizeof(*s));
	s->freq_hz = freq_hz ? freq_hz : SP804_TIMCLK_HZ;
	for (int i = 0; i < 2; i++) {
		s->t[i].count = 0xffffffffu;
		s->t[i].control = CTL_RESET;
		s->t[i].last_ticks = ns_to_ticks(now_ns, s->freq_hz);
	}
}

static bool mis(const struct sp804_timer *t)
{
	return t->ris && (t->control & SP804_CTL_INTEN);
}

bool sp804_irq(const struct vsp804 *s)
{
	return mis(&s->t[0]) || mis(&s->t[1]);
}

static uint64_t timer_next_event(const struct vsp804 *s, const struct sp804_timer *t)
{
	if (!(t->control & SP804_CTL_ENABLE) || !(t->control & SP804_CTL_INTEN) || t->ris)
		return SP804_NO_EVENT;
	uint64_t steps = t->count;
	if (steps == 0) {
		if (t->control & SP804_CTL_ONESHOT)
			return SP804_NO_EVENT;
		steps = reload(t) + 1;    /* through the reload and down again */
	}
	return ticks_to_ns(t->last_ticks + steps * divider(t) - t->phase, s->freq_hz);
}

uint64_t sp804_next_event_ns(const struct vsp804 *s)
{
	uint64_t a = timer_next_event(s, &s->t[0]), b = timer_next_event(s, &s->t[1]);
	return a < b ? a : b;
}

int sp804_read(struct vsp804 *s, uint32_t off, unsigned size, uint64_t now_ns, uint32_t *val)
{
	if (size != 4 || (off & 3))
		return -1;
	*val = 0;
	if (off < 2 * SP804_TIMER_STRIDE) {
		sp804_sync(s, now_ns);
		const struct sp804_timer *t = &s->t[off / SP804_TIMER_STRIDE];
		switch (off % SP804_TIMER_STRIDE) {
		case SP804_LOAD:
		case SP804_BGLOAD: *val = t->load; break;
		case SP804_VALUE: *val = t->count; break;
		case SP804_CONTROL: *val = t->control; break;
		case SP804_RIS: *val = t->ris; break;
		case SP804_MIS: *val = mis(t); break;
		case SP804_INTCLR: break;       /* write-only */
		default: s->unknown_accesses++; break;
		}
		return 0;
	}
	if (off >= SP804_PERIPHID0 && off < 0x1000)
		*val = sp804_ids[(off - SP804_PERIPHID0) / 4];
	else if (off == SP804_ITCR)
		*val = s->itcr;
	else if (off == SP804_ITOP)
		*val = 0;                 /* write-only */
	else
		s->unknown_accesses++;
	return 0;
}

int sp804_write(struct vsp804 *s, uint32_t off, unsigned size, uint64_t now_ns, uint32_t val)
{
	if (size != 4 || (off & 3))
		return -1;
	if (off < 2 * SP804_TIMER_STRIDE) {
		sp804_sync(s, now_ns);
		struct sp804_timer *t = &s->t[off / SP804_TIMER_STRIDE];
		switch (off % SP804_TIMER_STRIDE) {
		case SP804_LOAD:
			/* Loads the counter at once, restarting the prescaler. */
			t->load = val;
			t->count = val & width_mask(t);
			t->phase = 0;
			break;
		case SP804_BGLOAD: t->load = val; break;   /* taken at the next reload */
		case SP804_CONTROL: {
			uint32_t old = t->control;
			t->control = val & CTL_MASK;
			t->count &= width_mask(t);
			/* Enabling, or a new prescaler, starts a fresh prescaler period:
			 * ticks counted towards /256 are not decrements at /1. */
			if (!(old & SP804_CTL_ENABLE) || divider(t) != div_of(old))
				t->phase = 0;
			break;
		}
		case SP804_INTCLR: t->ris = false; break;
		case SP804_VALUE:
		case SP804_RIS:
		case SP804_MIS: break;          /* read-only */
		default: s->unknown_accesses++; break;
		}
		return 0;
	}
	if (off == SP804_ITCR)
		s->itcr = val & 1;
	else if (off == SP804_ITOP)
		s->itop = val & 3;
	else if (off < SP804_PERIPHID0)
		s->unknown_accesses++;
	return 0;
}

/* --- the emulated device ----------------------------------------------------------- */

struct sp804_dev {
	struct vsp804 m;
	struct vdev *dev;
	unsigned irq;
};

static void drive(struct sp804_dev *t)
{
	arch_guest_irq(t->dev->guest, t->irq, sp804_irq(&t->m));
}

static int dev_read(struct vdev *d, uint64_t off, unsigned size, uint64_t *val)
{
	struct sp804_dev *t = d->priv;
	uint32_t v = 0;
	int r = sp804_read(&t->m, (uint32_t)off, size, timer_now_ns(), &v);
	*val = v;
	drive(t);
	return r;
}

static int dev_write(struct vdev *d, uint64_t off, unsigned size, uint64_t val)
{
	struct sp804_dev *t = d->priv;
	int r = sp804_write(&t->m, (uint32_t)off, size, timer_now_ns(), (uint32_t)val);
	drive(t);
	return r;
}

static void dev_reset(struct vdev *d)
{
	struct sp804_dev *t = d->priv;
	sp804_reset(&t->m, SP804_TIMCLK_HZ, timer_now_ns());
	drive(t);
}

static const struct vdev_ops sp804_ops = {.read = dev_read, .write = dev_write, .reset = dev_reset};

uint64_t sp804_guest_sync(struct guest *g, uint64_t now_ns)
{
	uint64_t next = SP804_NO_EVENT;
	for (unsigned i = 0; i < g->nvdevs; i++) {
		if (g->vdevs[i].ops != &sp804_ops)
			continue;
		struct sp804_dev *t = g->vdevs[i].priv;
		sp804_sync(&t->m, now_ns);
		drive(t);
		uint64_t n = sp804_next_event_ns(&t->m);
		if (n < next)
			next = n;
	}
	return next;
}

/* An SP804 node: registers (reg 0) and its combined interrupt. TIMCLK is the
 * Versatile boards' 1 MHz whatever the clocks property says. */
static int sp804_probe(struct guest *g, const struct fdt *fdt, int node)
{
	uint64_t base, size;
	unsigned irq;
	if (fdt_get_reg(fdt, node, 0, &base, &size) || emulator_irq(fdt, node, 0, &irq)) {
		printk("%s: the SP804 node needs registers and an interrupt\n", g->name);
		return -1;
	}
	struct sp804_dev *t = kzalloc(sizeof(*t));
	if (!t)
		return -1;
	struct vdev *d = guest_add_vdev(g, "sp804", base, 0x1000, &sp804_ops, t);
	if (!d) {
		kfree(t);
		return -1;
	}
	t->dev = d;
	t->irq = irq;
	dev_reset(d);
	return 0;
}

static const char *const sp804_compatible[] = {"arm,sp804", NULL};
static const struct emulator sp804_emulator = {
	.name = "sp804",
	.compatible = sp804_compatible,
	.probe = sp804_probe,
};
EMULATOR(sp804_emulator);
