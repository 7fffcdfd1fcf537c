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

/* Register offsets. */
#define UART_DR 0x00
#define UART_ECR 0x04      /* write: clear receive errors */
#define UART_FR 0x18
#define UART_IBRD 0x24
#define UART_FBRD 0x28
#define UART_LCR_H 0x2c
#define UART_CR 0x30
#define UART_IFLS 0x34
#define UART_IMSC 0x38
#define UART_ICR 0x44
#define UART_REG_END 0x48  /* the window must reach past UART_ICR */

#define FR_BUSY (1u << 3)
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)

#define DR_ERRORS 0xf00u   /* FE, PE, BE, OE flags stored with each byte */

#define LCR_H_FEN (1u << 4)
#define LCR_H_WLEN8 (3u << 5)
#define LCR_H_8N1_FIFO (LCR_H_WLEN8 | LCR_H_FEN)  /* 1 stop bit, no parity */

#define CR_UARTEN (1u << 0)
#define CR_TXE (1u << 8)
#define CR_RXE (1u << 9)

/* RX interrupt at 1/8 full (bits 5:3 = 0) for low latency, TX at 1/2. */
#define IFLS_RX_1_8_TX_1_2 0x02u

#define INT_RX (1u << 4)   /* receive FIFO level */
#define INT_RT (1u << 6)   /* receive timeout */
#define INT_ALL 0x7ffu

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
	for (unsigned i = 0; i < POLL_LIMIT && (rd(p, UART_FR) & FR_BUSY); i++)
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
	wr(p, UART_IMSC, 0);
	wr(p, UART_ICR, INT_ALL);

	uint32_t cr = rd(p, UART_CR);
	const uint32_t want_cr = CR_UARTEN | CR_TXE | CR_RXE;
	if (cr & CR_UARTEN) {
		/* Already running with the firmware's baud: touch the line
		 * settings only if they differ, since that needs a disable. */
		if ((rd(p, UART_LCR_H) & 0xffu) == LCR_H_8N1_FIFO && (cr & want_cr) == want_cr)
			return 0;
		wait_idle(p);
		wr(p, UART_CR, cr & ~CR_UARTEN);
		/* Writing LCR_H also latches the (unchanged) IBRD/FBRD. */
		wr(p, UART_LCR_H, LCR_H_8N1_FIFO);
	} else {
		wait_idle(p);
		wr(p, UART_CR, 0);
		wr(p, UART_IBRD, BAUD_DIV64 >> 6);
		wr(p, UART_FBRD, BAUD_DIV64 & 0x3fu);
		wr(p, UART_LCR_H, LCR_H_8N1_FIFO);  /* must follow IBRD/FBRD */
	}
	wr(p, UART_IFLS, IFLS_RX_1_8_TX_1_2);
	wr(p, UART_CR, (cr & ~CR_UARTEN) | want_cr);
	return 0;
}

static void pl011_putc(struct serial_port *p, char c)
{
	for (unsigned i = 0; i < POLL_LIMIT && (rd(p, UART_FR) & FR_TXFF); i++)
		;
	wr(p, UART_DR, (uint8_t)c);
}

static int pl011_getc(struct serial_port *p)
{
	if (rd(p, UART_FR) & FR_RXFE) {
		/* Drained: make sure no stale receive interrupt stays latched. */
		wr(p, UART_ICR, INT_RX | INT_RT);
		return -1;
	}
	uint32_t dr = rd(p, UART_DR);
	if (dr & DR_ERRORS)
		wr(p, UART_ECR, 0);
	return (int)(dr & 0xffu);
}

static void pl011_rx_irq(struct serial_port *p, bool on)
{
	uint32_t imsc = rd(p, UART_IMSC);
	wr(p, UART_ICR, INT_RX | INT_RT);
	wr(p, UART_IMSC, on ? (imsc | INT_RX | INT_RT) : (imsc & ~(INT_RX | INT_RT)));
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
