/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The mini UART's baud rate (BCM2835 ARM Peripherals, section 2.2.1):
 * baud = core_clock / (8 * (AUX_MU_BAUD + 1)), so the divisor register is
 * core_clock / (8 * baud) - 1, rounded to the nearest whole number.
 * Pure logic, built for the host tests too.
 */
#ifndef DRIVERS_MU_BAUD_H
#define DRIVERS_MU_BAUD_H

#include <mamoru/fdt.h>

#define MU_BAUD_MAX 0xffffu

/* The AUX_MU_BAUD value for baud at clock_hz; 0 when there is none (a
 * clock too slow or too fast for a 16-bit divisor of at least 1). */
uint32_t mu_baud_divisor(uint32_t clock_hz, uint32_t baud);
/* The baud rate a divisor gives at clock_hz. */
uint32_t mu_baud_rate(uint32_t clock_hz, uint32_t divisor);

/* The mini UART's clock as the device tree states it: node's own
 * clock-frequency, else that of the provider its first "clocks" entry
 * names (a fixed-clock). The upstream Pi DTBs state neither (the firmware
 * owns the core clock), so this is for trees that pin it. */
int mu_dt_clock(const struct fdt *fdt, int node, uint32_t *hz);

#endif
