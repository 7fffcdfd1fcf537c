/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Versatile PB's secondary interrupt controller ("arm,versatile-sic", the board's
 * user guide; QEMU's model), offsets from its base, named once for the driver
 * (drivers/irqchip/pl190.c), the guest's model (arch/arm/vic/vvic.c) and its tests.
 */
#ifndef DRIVERS_HW_VERSATILE_SIC_H
#define DRIVERS_HW_VERSATILE_SIC_H

#define SIC_STATUS 0x00       /* pending and enabled */
#define SIC_RAWSTAT 0x04
#define SIC_ENSET 0x08        /* reads SIC_ENABLE */
#define SIC_ENCLR 0x0c
#define SIC_SOFTINTSET 0x10   /* reads the software interrupts */
#define SIC_SOFTINTCLR 0x14
#define SIC_PICENSET 0x20     /* reads SIC_PICENABLE */
#define SIC_PICENCLR 0x24

#define SIC_PIC_LINES 0x7fe00000u   /* lines 21..30 can bypass the SIC (PICENABLE) */

#endif
