/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ARM PrimeCell PL190 vectored interrupt controller's registers (PL190 TRM,
 * ARM DDI 0181), offsets from its base, named once for the driver
 * (drivers/irqchip/pl190.c), the guest's model (arch/arm/vic/vvic.c) and its tests.
 */
#ifndef DRIVERS_HW_PL190_H
#define DRIVERS_HW_PL190_H

#define PL190_IRQSTATUS 0x000
#define PL190_FIQSTATUS 0x004
#define PL190_RAWINTR 0x008
#define PL190_INTSELECT 0x00c
#define PL190_INTENABLE 0x010
#define PL190_INTENCLEAR 0x014
#define PL190_SOFTINT 0x018
#define PL190_SOFTINTCLEAR 0x01c
#define PL190_PROTECTION 0x020
#define PL190_VECTADDR 0x030
#define PL190_DEFVECTADDR 0x034
#define PL190_VECTADDR0 0x100            /* VectAddr0..15 */
#define PL190_VECTCNTL0 0x200            /* VectCntl0..15 */
#define PL190_VECTADDRN(n) (PL190_VECTADDR0 + 4 * (n))
#define PL190_VECTCNTLN(n) (PL190_VECTCNTL0 + 4 * (n))
#define PL190_ITCR 0x300                 /* test registers: ITCR, ITIP1/2, ITOP1/2 */
#define PL190_ITIP1 0x304
#define PL190_ITOP2 0x310
#define PL190_PERIPHID0 0xfe0            /* PeriphID0..3, PCellID0..3 */

/* VectCntlN */
#define PL190_VECTCNTL_ENABLE (1u << 5)
#define PL190_VECTCNTL_SOURCE 0x1fu

#endif
