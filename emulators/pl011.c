/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An emulated ARM PL011 UART for a guest. Transmit is instantaneous: bytes
 * go to the guest's console ring (and to the user while `vserial bind` is
 * active), so the transmit FIFO is always empty. Receive has a 32-byte FIFO
 * fed from the user's keystrokes. Only the behaviour Linux's amba-pl011
 * driver relies on is modelled; the peripheral ID registers let the AMBA
 * bus recognise the device. It registers with EMULATOR() for "arm,pl011"
 * nodes of a guest's device tree and offers itself as the guest's console.
 */
#include <arch/guest_irq.h>
#include <mamoru/console.h>
#include <mamoru/emulator.h>
#include <mamoru/guest.h>
#include <mamoru/heap.h>
#include <mamoru/libc.h>

#include <drivers/hw/pl011.h>

#define RX_FIFO 32

struct vpl011 {
	struct vdev *dev;
	unsigned irq;
	bool console;                /* the guest's console: output goes to its ring */
	uint32_t ibrd, fbrd, lcr_h, cr, ifls, imsc, dmacr;
	uint8_t rx[RX_FIFO];
	unsigned rx_head, rx_count;
};

static const uint8_t ids[8] = {0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

static uint32_t raw_status(const struct vpl011 *u)
{
	uint32_t ris = PL011_INT_TX;    /* transmit FIFO always below its trigger */
	if (u->rx_count)
		ris |= PL011_INT_RX | PL011_INT_RT;
	return ris;
}

static void update_irq(struct vpl011 *u)
{
	arch_guest_irq(u->dev->guest, u->irq, (raw_status(u) & u->imsc) != 0);
}

static int uart_read(struct vdev *d, uint64_t off, unsigned size, uint64_t *val)
{
	struct vpl011 *u = d->priv;
	(void)size;
	switch (off) {
	case PL011_DR:
		*val = 0;
		if (u->rx_count) {
			*val = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % RX_FIFO;
			u->rx_count--;
		}
		update_irq(u);
		return 0;
	case PL011_RSR: *val = 0; return 0;
	case PL011_FR:
		*val = PL011_FR_TXFE | (u->rx_count ? 0 : PL011_FR_RXFE) |
		       (u->rx_count == RX_FIFO ? PL011_FR_RXFF : 0);
		return 0;
	case PL011_IBRD: *val = u->ibrd; return 0;
	case PL011_FBRD: *val = u->fbrd; return 0;
	case PL011_LCR_H: *val = u->lcr_h; return 0;
	case PL011_CR: *val = u->cr; return 0;
	case PL011_IFLS: *val = u->ifls; return 0;
	case PL011_IMSC: *val = u->imsc; return 0;
	case PL011_RIS: *val = raw_status(u); return 0;
	case PL011_MIS: *val = raw_status(u) & u->imsc; return 0;
	case PL011_DMACR: *val = u->dmacr; return 0;
	default:
		if (off >= PL011_PERIPHID0 && off < 0x1000 && !(off & 3)) {
			*val = ids[(off - PL011_PERIPHID0) / 4];
			return 0;
		}
		*val = 0;       /* reserved: read as zero */
		return 0;
	}
}

static int uart_write(struct vdev *d, uint64_t off, unsigned size, uint64_t val)
{
	struct vpl011 *u = d->priv;
	uint32_t v = (uint32_t)val;
	(void)size;
	switch (off) {
	case PL011_DR:
		if (u->console)
			guest_console_put(d->guest, (uint8_t)v);
		break;
	case PL011_RSR: break;                   /* clears errors: there are none */
	case PL011_IBRD: u->ibrd = v & 0xffff; break;
	case PL011_FBRD: u->fbrd = v & 0x3f; break;
	case PL011_LCR_H: u->lcr_h = v & 0xff; break;
	case PL011_CR: u->cr = v & 0xffff; break;
	case PL011_IFLS: u->ifls = v & 0x3f; break;
	case PL011_IMSC: u->imsc = v & 0x7ff; break;
	case PL011_ICR: break;                   /* conditions are levels recomputed from state */
	case PL011_DMACR: u->dmacr = v & 7; break;
	default: break;                    /* reserved and ID registers: ignored */
	}
	update_irq(u);
	return 0;
}

static void uart_reset(struct vdev *d)
{
	struct vpl011 *u = d->priv;
	struct vdev *dev = u->dev;
	unsigned irq = u->irq;
	bool console = u->console;
	memset(u, 0, sizeof(*u));
	u->dev = dev;
	u->irq = irq;
	u->console = console;
	u->cr = PL011_CR_RXE | PL011_CR_TXE;
	u->lcr_h = 0;
	u->ifls = 0x12;
	update_irq(u);          /* nothing masked in: the line goes low */
}

static const struct vdev_ops pl011_ops = {
	.read = uart_read,
	.write = uart_write,
	.reset = uart_reset,
};

/* A byte typed for the guest (vserial): false when the receive FIFO is full. */
static bool uart_receive(void *priv, uint8_t c)
{
	struct vpl011 *u = priv;
	if (u->rx_count == RX_FIFO)
		return false;           /* vserial keeps or drops it */
	u->rx[(u->rx_head + u->rx_count) % RX_FIFO] = c;
	u->rx_count++;
	update_irq(u);
	return true;
}

static const struct guest_console_ops pl011_console_ops = {
	.receive = uart_receive,
};

/* A PL011 node: its registers (reg 0) and its interrupt (emulator_irq()). */
static int pl011_probe(struct guest *g, const struct fdt *fdt, int node)
{
	uint64_t base, size;
	unsigned irq;
	if (fdt_get_reg(fdt, node, 0, &base, &size) || emulator_irq(fdt, node, 0, &irq)) {
		printk("%s: the PL011 node needs registers and an interrupt (an SPI below 32 on a GIC)\n",
		       g->name);
		return -1;
	}
	struct vpl011 *u = kzalloc(sizeof(*u));
	if (!u)
		return -1;
	struct vdev *d = guest_add_vdev(g, "pl011", base, 0x1000, &pl011_ops, u);
	if (!d) {
		kfree(u);
		return -1;
	}
	u->dev = d;
	u->irq = irq;
	u->console = guest_console_attach(g, fdt, node, &pl011_console_ops, u);
	uart_reset(d);
	return 0;
}

static const char *const pl011_compatible[] = {"arm,pl011", NULL};
static const struct emulator pl011_emulator = {
	.name = "pl011",
	.compatible = pl011_compatible,
	.probe = pl011_probe,
};
EMULATOR(pl011_emulator);
