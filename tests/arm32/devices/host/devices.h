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
extern int check_failures;

/* The models behind the guest's windows. */
struct vvic *the_vic(void);
struct vsp804 *the_timer(void);
struct vsysregs *the_sys(void);

int fuzz(unsigned long seed, unsigned long iterations);

#endif
