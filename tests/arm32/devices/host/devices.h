/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared between the ARMv5 device checks and the fuzzer. */
#ifndef ARM32_DEVICES_H
#define ARM32_DEVICES_H

#include <arch/vvic.h>
#include <mamoru/guest.h>

#include "emulators/vsp804.h"
#include "emulators/vsysregs.h"

#define VIC_BASE 0x10140000u
#define SIC_BASE 0x10003000u
#define TIMER_BASE 0x101e2000u
#define UART_BASE 0x101f1000u
#define SYS_BASE 0x10000000u

extern struct guest g;

/* The models behind the guest's windows. */
struct vvic *the_vic(void);
struct vsp804 *the_timer(void);
struct vsysregs *the_sys(void);

/* One hostile-guest step (an access, a line, time, a reset) drawn from next(ctx),
 * then the invariants; returns the failures so far. */
int fuzz_step(unsigned long step, uint64_t (*next)(void *ctx), void *ctx);
/* iterations steps from a PRNG seeded with seed; 0 when no invariant broke. */
int fuzz(unsigned long seed, unsigned long iterations);
/* The guest g with the devices of the tree at dtb_path; NULL or why not. */
const char *devices_setup(const char *dtb_path);

#endif
