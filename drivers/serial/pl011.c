/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARM PrimeCell PL011 UART (PL011 TRM, ARM DDI 0183).
 *
 * If firmware already enabled the UART we keep its baud divisors; otherwise
 * we program 115200 baud for a 48 MHz UARTCLK, which is the Raspberry Pi
 * firmware's default (QEMU ignores the divisors).
 */
#include <mamoru/console.h>
#include <mamoru/serial.h>

#include <drivers/hw/pl011.h>

#define UART_REG_END 0x48  /* the window must reach past PL011_ICR */

#define LCR_H_8N1_FIFO (PL011_LCR_H_WLEN8 | PL011_LCR_H_FEN)  /* 1 stop bit, no parity */

/* RX interrupt at 1/8 full (bits 5:3 = 0) for low latency, TX at 1/2. */
#define IFLS_RX_1_8_TX_1_2 0x02u

#define DEFAULT_CLK_HZ 48000000u
#define DEFAULT_BAUD 115200u
/* Divisor in 1/64 units: clk / (16 * baud) * 64, rounded to nearest. */
#define BAUD_DIV64 ((DEFAULT_CLK_HZ * 4u + DEFAULT_BAUD / 2u) / DEFAULT_BAUD)

/* Bounded polling so a stuck UART (e.g. CTS flow control) cannot hang us. */
#define POLL_LIMIT 1000000u

static inline uint32_t rd(const struct serial_port *p, uintptr_t off)
{
	return mmio_read32(p->base + off);
}

static inline void wr(const struct serial_port *p, uintptr_t off, uint32_t v)
{
	mmio_write32(p->base + off, v);
}

static void wait_idle(const struct serial_port *p)
{
	for (unsigned i = 0; i < POLL_LIMIT && (rd(p, PL011_FR) & PL011_FR_BUSY); i++)
		;
}

static int pl011_init(struct serial_port *p)
{
	if (p->base == 0 || p->size < UART_REG_END) {
		printk("pl011: bad register window 0x%lx+0x%lx\n", (unsigned long)p->base,
		       (unsigned long)p->size);
		return FDT_ERR_BADVALUE;
	}

	/* Interrupts stay masked until rx_irq() asks for them. */
	wr(p, PL011_IMSC, 0);
	wr(p, PL011_ICR, PL011_INT_ALL);

	uint32_t cr = rd(p, PL011_CR);
	const uint32_t want_cr = PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE;
	if (cr & PL011_CR_UARTEN) {
		/* Already running with the firmware's baud: touch the line
		 * settings only if they differ, since that needs a disable. */
		if ((rd(p, PL011_LCR_H) & 0xffu) == LCR_H_8N1_FIFO && (cr & want_cr) == want_cr)
			return 0;
		wait_idle(p);
		wr(p, PL011_CR, cr & ~PL011_CR_UARTEN);
		/* Writing LCR_H also latches the (unchanged) IBRD/FBRD. */
		wr(p, PL011_LCR_H, LCR_H_8N1_FIFO);
	} else {
		wait_idle(p);
		wr(p, PL011_CR, 0);
		wr(p, PL011_IBRD, BAUD_DIV64 >> 6);
		wr(p, PL011_FBRD, BAUD_DIV64 & 0x3fu);
		wr(p, PL011_LCR_H, LCR_H_8N1_FIFO);  /* must follow IBRD/FBRD */
	}
	wr(p, PL011_IFLS, IFLS_RX_1_8_TX_1_2);
	wr(p, PL011_CR, (cr & ~PL011_CR_UARTEN) | want_cr);
	return 0;
}

static void pl011_putc(struct serial_port *p, char c)
{
	for (unsigned i = 0; i < POLL_LIMIT && (rd(p, PL011_FR) & PL011_FR_TXFF); i++)
		;
	wr(p, PL011_DR, (uint8_t)c);
}

static int pl011_getc(struct serial_port *p)
{
	if (rd(p, PL011_FR) & PL011_FR_RXFE) {
		/* Drained: make sure no stale receive interrupt stays latched. */
		wr(p, PL011_ICR, PL011_INT_RX | PL011_INT_RT);
		return -1;
	}
	uint32_t dr = rd(p, PL011_DR);
	if (dr & PL011_DR_ERRORS)
		wr(p, PL011_RSR, 0);
	return (int)(dr & 0xffu);
}

static void pl011_rx_irq(struct serial_port *p, bool on)
{
	uint32_t imsc = rd(p, PL011_IMSC);
	const uint32_t rx = PL011_INT_RX | PL011_INT_RT;
	wr(p, PL011_ICR, rx);
	wr(p, PL011_IMSC, on ? (imsc | rx) : (imsc & ~rx));
}

static const struct serial_ops pl011_ops = {
	.init = pl011_init,
	.putc = pl011_putc,
	.getc = pl011_getc,
	.rx_irq = pl011_rx_irq,
};

static const char *const pl011_compat[] = { "arm,pl011", NULL };

static const struct driver pl011_driver = {
	.name = "pl011",
	.cls = DRV_SERIAL,
	.compatible = pl011_compat,
	.ops = &pl011_ops,
};
DRIVER(pl011_driver);
