/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BCM2835 auxiliary mini UART (BCM2835 ARM Peripherals, section 2.2).
 *
 * The device-tree node's reg is the mini UART's own register block (bus
 * address 0x7e215040); the shared AUX block with AUX_ENABLES starts 0x40
 * below it. The baud rate derives from the VPU core clock, which only the
 * firmware knows: it is asked through the mailbox (GET_CLOCK_RATE, CORE),
 * else a clock the device tree states is used, else the divisor the
 * firmware programmed is kept, else 250 MHz (the Pi 3's UART clock) is
 * assumed.
 */
#include <mamoru/console.h>
#include <mamoru/serial.h>

#include "mu_baud.h"
#ifdef CONFIG_DRIVER_RPI_FIRMWARE
#include "../firmware/rpi_firmware.h"
#endif

/* Mini UART registers, relative to the node's reg. */
#define MU_IO 0x00
#define MU_IER 0x04
#define MU_IIR 0x08
#define MU_LCR 0x0c
#define MU_MCR 0x10
#define MU_LSR 0x14
#define MU_CNTL 0x20
#define MU_BAUD 0x28
#define MU_REG_END 0x2c

/* The AUX block (AUX_IRQ at +0, AUX_ENABLES at +4) sits 0x40 below. */
#define AUX_MU_OFFSET 0x40
#define AUX_ENABLES 0x04
#define AUX_ENABLES_MU (1u << 0)

/* Errata: the datasheet swaps bits 0 and 1 (RX is bit 0) and calls bits
 * 3:2 "don't care", but the receive interrupt needs bit 2 as well (the
 * published errata and Linux's driver use 0x05). QEMU's model looks at
 * bit 0 only, so only real hardware shows the difference. */
#define IER_RX ((1u << 0) | (1u << 2))

#define IIR_CLEAR_FIFOS 0x06u  /* bit 1 clears RX, bit 2 clears TX */
#define LCR_8BIT 0x03u         /* errata: both bits needed for 8-bit mode */
#define LSR_DATA_READY (1u << 0)
#define LSR_TX_EMPTY (1u << 5) /* TX FIFO can take at least one byte */
#define LSR_TX_IDLE (1u << 6)  /* FIFO empty and the last bit sent */
#define CNTL_RX_EN (1u << 0)
#define CNTL_TX_EN (1u << 1)

/* The clock assumed when nothing better is known: the Pi 3's core clock
 * with enable_uart=1. */
#define MU_ASSUMED_CLOCK 250000000u

#define POLL_LIMIT 1000000u

static inline uint32_t rd(const struct serial_port *p, uintptr_t off)
{
	return mmio_read32(p->base + off);
}

static inline void wr(const struct serial_port *p, uintptr_t off, uint32_t v)
{
	mmio_write32(p->base + off, v);
}

/* Where the core clock comes from, best first; sets p->clock_hz and
 * p->clock_from, or leaves clock_hz 0 to keep the firmware's divisor. */
static void find_clock(struct serial_port *p, uint32_t old_divisor)
{
	uint32_t hz;
#ifdef CONFIG_DRIVER_RPI_FIRMWARE
	int err = p->fdt ? rpi_fw_clock_rate(p->fdt, RPI_FW_CLOCK_CORE, &hz) : RPI_FW_ERR_NODEV;
	if (!err && mu_baud_divisor(hz, CONSOLE_BAUD)) {
		p->clock_hz = hz;
		p->clock_from = "firmware";
		return;
	}
#endif
	if (p->fdt && p->node >= 0 && !mu_dt_clock(p->fdt, p->node, &hz) &&
	    mu_baud_divisor(hz, CONSOLE_BAUD)) {
		p->clock_hz = hz;
		p->clock_from = "device tree";
	} else if (old_divisor) {
		p->clock_from = "unknown, firmware's divisor kept";
	} else {
		p->clock_hz = MU_ASSUMED_CLOCK;
		p->clock_from = "assumed";
	}
}

static int aux_init(struct serial_port *p)
{
	/* The AUX_ENABLES computation only makes sense at the known layout. */
	if (p->base < AUX_MU_OFFSET || (p->base & 0xffu) != AUX_MU_OFFSET || p->size < MU_REG_END) {
		printk("bcm2835-aux: bad register window 0x%lx+0x%lx\n", (unsigned long)p->base,
		       (unsigned long)p->size);
		return FDT_ERR_BADVALUE;
	}
	uintptr_t enables = p->base - AUX_MU_OFFSET + AUX_ENABLES;

	uint32_t en = mmio_read32(enables);
	uint32_t old_divisor = 0;
	if (!(en & AUX_ENABLES_MU)) {
		/* Not set up by firmware: the registers are dead until enabled. */
		mmio_write32(enables, en | AUX_ENABLES_MU);
		wr(p, MU_CNTL, 0);
		wr(p, MU_IER, 0);
		wr(p, MU_MCR, 0);
		wr(p, MU_LCR, LCR_8BIT);
		wr(p, MU_IIR, IIR_CLEAR_FIFOS);
	} else {
		old_divisor = rd(p, MU_BAUD) & MU_BAUD_MAX;
		/* Let what the firmware was sending leave at its old speed. */
		for (unsigned i = 0; i < POLL_LIMIT && !(rd(p, MU_LSR) & LSR_TX_IDLE); i++)
			;
	}
	wr(p, MU_IER, 0);  /* interrupts stay off until rx_irq() */
	if ((rd(p, MU_LCR) & LCR_8BIT) != LCR_8BIT)
		wr(p, MU_LCR, LCR_8BIT);
	find_clock(p, old_divisor);
	p->divisor = p->clock_hz ? mu_baud_divisor(p->clock_hz, CONSOLE_BAUD) : old_divisor;
	if (p->divisor != old_divisor) {
		wr(p, MU_CNTL, 0);
		wr(p, MU_BAUD, p->divisor);
	}
	wr(p, MU_CNTL, CNTL_RX_EN | CNTL_TX_EN);
	return 0;
}

static void aux_putc(struct serial_port *p, char c)
{
	for (unsigned i = 0; i < POLL_LIMIT && !(rd(p, MU_LSR) & LSR_TX_EMPTY); i++)
		;
	wr(p, MU_IO, (uint8_t)c);
}

/* The receive interrupt is level: it drops once the RX FIFO is empty. */
static int aux_getc(struct serial_port *p)
{
	if (!(rd(p, MU_LSR) & LSR_DATA_READY))
		return -1;
	return (int)(rd(p, MU_IO) & 0xffu);
}

static void aux_rx_irq(struct serial_port *p, bool on)
{
	uint32_t ier = rd(p, MU_IER) & 0xffu;
	wr(p, MU_IER, on ? (ier | IER_RX) : (ier & ~IER_RX));
}

static const struct serial_ops aux_ops = {
	.init = aux_init,
	.putc = aux_putc,
	.getc = aux_getc,
	.rx_irq = aux_rx_irq,
};

static const char *const aux_compat[] = { "brcm,bcm2835-aux-uart", NULL };

static const struct driver bcm2835_aux_driver = {
	.name = "bcm2835-aux",
	.cls = DRV_SERIAL,
	.compatible = aux_compat,
	.ops = &aux_ops,
};
DRIVER(bcm2835_aux_driver);
