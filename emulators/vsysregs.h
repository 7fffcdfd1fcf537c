/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Versatile PB system registers (0x10000000, "arm,core-module-versatile"
 * in the guest's device tree), as the Versatile PB user guide (ARM DUI 0224)
 * describes them: ID, LEDs, oscillators, the lock, the 100 Hz and 24 MHz
 * counters, flags, reset control. A reset the guest requests through
 * SYS_RESETCTL resets the guest, never the board: it only sets
 * reset_requested, which the vCPU loop turns into VCPU_RESET
 * (vsysregs_take_reset). Pure logic plus the EMULATOR() glue
 * (emulators/versatile_sys.c).
 */
#ifndef EMULATORS_VSYSREGS_H
#define EMULATORS_VSYSREGS_H

#include <mamoru/types.h>

#define VSYS_ID 0x41007004u         /* Versatile PB926EJ-S, what the board reports */
#define VSYS_LOCK_KEY 0xa05fu
#define VSYS_RESET_BIT 0x100u       /* SYS_RESETCTL: start the reset at the level in 7:0 */

struct vsysregs {
	uint32_t leds;
	uint32_t osc[5];
	uint32_t lockval;             /* last value written to SYS_LOCK (15:0) */
	uint32_t cfgdata[2];
	uint32_t flags, nvflags;
	uint32_t resetctl;
	uint32_t flash, clcd, misc;
	uint32_t dmapsr[3];
	uint64_t epoch_ns;            /* the counters count from here */
	bool reset_requested;
	uint32_t unknown_accesses;    /* offsets with no register: read 0, write ignored */
};

void vsysregs_reset(struct vsysregs *s, uint64_t now_ns);
bool vsysregs_locked(const struct vsysregs *s);
/* Aligned 32-bit accesses at now_ns; -1 for anything else. */
int vsysregs_read(struct vsysregs *s, uint32_t off, unsigned size, uint64_t now_ns, uint32_t *val);
int vsysregs_write(struct vsysregs *s, uint32_t off, unsigned size, uint64_t now_ns, uint32_t val);

struct guest;
/* True (once) when g's system registers asked for a reset since the last
 * call: the arm32 vcpu_run returns VCPU_RESET for it. */
bool vsysregs_take_reset(struct guest *g);

#endif
