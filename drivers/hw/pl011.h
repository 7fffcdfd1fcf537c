/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ARM PrimeCell PL011 UART's registers (PL011 TRM, ARM DDI 0183), offsets from its
 * base, named once for the driver (drivers/serial/pl011.c), the guest's model
 * (emulators/pl011.c) and its tests.
 */
#ifndef DRIVERS_HW_PL011_H
#define DRIVERS_HW_PL011_H

#define PL011_DR 0x000
#define PL011_RSR 0x004           /* read: receive status; write (ECR): clears the errors */
#define PL011_FR 0x018
#define PL011_IBRD 0x024
#define PL011_FBRD 0x028
#define PL011_LCR_H 0x02c
#define PL011_CR 0x030
#define PL011_IFLS 0x034
#define PL011_IMSC 0x038
#define PL011_RIS 0x03c
#define PL011_MIS 0x040
#define PL011_ICR 0x044
#define PL011_DMACR 0x048
#define PL011_PERIPHID0 0xfe0     /* PeriphID0..3, PCellID0..3 */

#define PL011_DR_ERRORS 0xf00u    /* FE, PE, BE, OE flags stored with each byte */

#define PL011_FR_BUSY (1u << 3)
#define PL011_FR_RXFE (1u << 4)
#define PL011_FR_TXFF (1u << 5)
#define PL011_FR_RXFF (1u << 6)
#define PL011_FR_TXFE (1u << 7)

#define PL011_LCR_H_FEN (1u << 4)
#define PL011_LCR_H_WLEN8 (3u << 5)

#define PL011_CR_UARTEN (1u << 0)
#define PL011_CR_TXE (1u << 8)
#define PL011_CR_RXE (1u << 9)

/* IMSC, RIS, MIS, ICR */
#define PL011_INT_RX (1u << 4)    /* receive FIFO level */
#define PL011_INT_TX (1u << 5)
#define PL011_INT_RT (1u << 6)    /* receive timeout */
#define PL011_INT_ALL 0x7ffu

#endif
