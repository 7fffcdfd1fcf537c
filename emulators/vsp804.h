/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An emulated ARM SP804 dual timer (ARM DDI 0271) for a guest: two
 * down-counters clocked by TIMCLK (1 MHz on the Versatile boards), each
 * free-running, periodic or one-shot, 16 or 32 bits, prescaled by 1, 16 or
 * 256, sharing one combined interrupt line. Time is the caller's: every
 * function takes the current time in nanoseconds (the hypervisor's
 * timer_now_ns()), and sp804_next_event_ns() says when the interrupt line
 * next rises so the hypervisor can program its own timer for that moment
 * and call sp804_sync() then. Pure logic; emulators/sp804.c also holds the
 * EMULATOR() glue for "arm,sp804" nodes.
 */
#ifndef EMULATORS_VSP804_H
#define EMULATORS_VSP804_H

#include <mamoru/types.h>

#define SP804_TIMCLK_HZ 1000000u   /* Versatile: 24 MHz / 24 */
#define SP804_NO_EVENT UINT64_MAX

struct sp804_timer {
	uint32_t load;            /* TimerXLoad (also what BGLoad writes) */
	uint32_t count;           /* the counter at last_ticks */
	uint32_t control;
	bool ris;                 /* raw interrupt status */
	uint32_t phase;           /* TIMCLK ticks towards the next prescaled decrement */
	uint64_t last_ticks;      /* TIMCLK ticks since time 0 when count was valid */
};

struct vsp804 {
	struct sp804_timer t[2];
	uint32_t itcr, itop;      /* integration test registers: recorded only */
	uint32_t freq_hz;         /* TIMCLK */
	uint32_t unknown_accesses;   /* offsets with no register: read 0, write ignored */
};

/* Reset state (Load 0, Value 0xffffffff, Control 0x20: disabled, free-running,
 * 16-bit, interrupt enabled) at time now_ns with a TIMCLK of freq_hz (non-zero). */
void sp804_reset(struct vsp804 *s, uint32_t freq_hz, uint64_t now_ns);
/* Brings both counters up to now_ns (raising RIS on the way). */
void sp804_sync(struct vsp804 *s, uint64_t now_ns);
/* The combined interrupt output (TIMINTC): any MIS bit, as of the last sync. */
bool sp804_irq(const struct vsp804 *s);
/* The earliest time >= the last sync at which the combined interrupt output
 * rises (a timer enabled with interrupts enabled reaches zero and its RIS
 * was clear); SP804_NO_EVENT when none will without a register write. */
uint64_t sp804_next_event_ns(const struct vsp804 *s);
/* Register accesses at now_ns (offset in the 4 KiB window): aligned 32-bit
 * only, -1 otherwise. */
int sp804_read(struct vsp804 *s, uint32_t off, unsigned size, uint64_t now_ns, uint32_t *val);
int sp804_write(struct vsp804 *s, uint32_t off, unsigned size, uint64_t now_ns, uint32_t val);

struct guest;
/* For the hypervisor's timer: brings every SP804 of g up to now_ns and drives
 * their interrupt lines; returns the earliest next event of them
 * (SP804_NO_EVENT when none). */
uint64_t sp804_guest_sync(struct guest *g, uint64_t now_ns);

#endif
