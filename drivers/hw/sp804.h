/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ARM SP804 dual timer's registers (SP804 TRM, ARM DDI 0271), offsets from its
 * base, named once for the driver (drivers/timer/sp804.c), the guest's model
 * (emulators/sp804.c) and its tests.
 */
#ifndef DRIVERS_HW_SP804_H
#define DRIVERS_HW_SP804_H

/* Timer 1's registers; timer 2's are SP804_TIMER2 above them. */
#define SP804_LOAD 0x00
#define SP804_VALUE 0x04
#define SP804_CONTROL 0x08
#define SP804_INTCLR 0x0c
#define SP804_RIS 0x10
#define SP804_MIS 0x14
#define SP804_BGLOAD 0x18
#define SP804_TIMER_STRIDE 0x20
#define SP804_TIMER2 SP804_TIMER_STRIDE
#define SP804_ITCR 0xf00
#define SP804_ITOP 0xf04
#define SP804_PERIPHID0 0xfe0            /* PeriphID0..3, PCellID0..3 */

/* TimerXControl */
#define SP804_CTL_ONESHOT (1u << 0)
#define SP804_CTL_32BIT (1u << 1)
#define SP804_CTL_PRESCALE_SHIFT 2      /* 2 bits: divide by 1, 16, 256 */
#define SP804_CTL_DIV16 (1u << SP804_CTL_PRESCALE_SHIFT)
#define SP804_CTL_DIV256 (2u << SP804_CTL_PRESCALE_SHIFT)
#define SP804_CTL_INTEN (1u << 5)
#define SP804_CTL_PERIODIC (1u << 6)
#define SP804_CTL_ENABLE (1u << 7)

#endif
