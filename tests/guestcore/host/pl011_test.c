/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The emulated PL011 (emulators/pl011.c) on the host, its interrupt line
 * recorded by irq_stub.c:  pl011_test <guest.dtb>
 */
#include <string.h>

#include <mamoru/emulator.h>
#include <mamoru/guest.h>

#include <drivers/hw/pl011.h>

#include "check.h"
#include "stub.h"

static struct guest g;
static uint64_t base;
static unsigned irq;

static uint64_t rd(uint64_t off)
{
	uint64_t v = 0xdeadbeef;
	CHECK(guest_mmio(&g, base + off, false, 4, &v) == GUEST_MMIO_OK);
	return v;
}

static void wr(uint64_t off, uint64_t v)
{
	CHECK(guest_mmio(&g, base + off, true, 4, &v) == GUEST_MMIO_OK);
}

static void after_reset(void)
{
	CHECK(rd(PL011_FR) == (PL011_FR_TXFE | PL011_FR_RXFE));
	CHECK(rd(PL011_CR) == 0x300);                      /* TXE | RXE, UART disabled */
	CHECK(rd(PL011_IFLS) == 0x12 && rd(PL011_IMSC) == 0 && rd(PL011_LCR_H) == 0 &&
	      rd(PL011_IBRD) == 0 && rd(PL011_DMACR) == 0);
	CHECK(rd(PL011_RIS) == PL011_INT_TX && rd(PL011_MIS) == 0);
	CHECK(!stub_irq_level[irq]);
}

static void checks(void)
{
	after_reset();
	/* The AMBA identification the Linux driver matches on. */
	static const uint8_t ids[8] = {0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
	for (int i = 0; i < 8; i++)
		CHECK(rd(PL011_PERIPHID0 + 4 * i) == ids[i]);
	CHECK(rd(0x800) == 0 && rd(PL011_RSR) == 0);       /* reserved: zero */

	/* Register widths. */
	wr(PL011_IBRD, 0xffffffff);
	wr(PL011_FBRD, 0xffffffff);
	wr(PL011_LCR_H, 0xffffffff);
	wr(PL011_IFLS, 0xffffffff);
	wr(PL011_DMACR, 0xffffffff);
	CHECK(rd(PL011_IBRD) == 0xffff && rd(PL011_FBRD) == 0x3f && rd(PL011_LCR_H) == 0xff &&
	      rd(PL011_IFLS) == 0x3f && rd(PL011_DMACR) == 7);

	/* Transmit: into the console ring, and to the user while bound. */
	wr(PL011_DR, 'h');
	CHECK(g.out_head == 1 && g.out_ring[0] == 'h' && stub_raw_len == 0);
	guest_console_bind(&g, true);
	wr(PL011_DR, 'i');
	guest_console_bind(&g, false);
	wr(PL011_DR, 'j');
	CHECK(g.out_head == 3 && stub_raw_len == 1 && stub_raw_out[0] == 'i');

	/* The transmit interrupt is always asserted (the FIFO is always empty). */
	wr(PL011_IMSC, PL011_INT_TX);
	CHECK(stub_irq_level[irq] && rd(PL011_MIS) == PL011_INT_TX);
	wr(PL011_ICR, 0x7ff);                              /* a level, not a latch */
	CHECK(stub_irq_level[irq]);
	wr(PL011_IMSC, 0);
	CHECK(!stub_irq_level[irq]);

	/* Receive: a 32-byte FIFO; the 33rd byte is refused, not overwriting. */
	wr(PL011_IMSC, PL011_INT_RX | PL011_INT_RT);
	for (int i = 0; i < 32; i++)
		CHECK(guest_console_input(&g, (uint8_t)('A' + i)));
	CHECK(!guest_console_input(&g, '!'));
	CHECK(rd(PL011_FR) == (PL011_FR_TXFE | PL011_FR_RXFF));
	CHECK(rd(PL011_RIS) == (PL011_INT_TX | PL011_INT_RX | PL011_INT_RT) &&
	      rd(PL011_MIS) == (PL011_INT_RX | PL011_INT_RT));
	CHECK(stub_irq_level[irq]);
	for (int i = 0; i < 32; i++)
		CHECK(rd(PL011_DR) == (uint64_t)('A' + i));
	CHECK(rd(PL011_FR) == (PL011_FR_TXFE | PL011_FR_RXFE) && rd(PL011_DR) == 0);
	CHECK(!stub_irq_level[irq]);
	CHECK(guest_console_input(&g, 'z'));         /* room again */

	/* A reset empties the FIFO and drops the line; the console stays. */
	wr(PL011_IMSC, PL011_INT_RX);
	CHECK(stub_irq_level[irq]);
	guest_reset_vdevs(&g);
	after_reset();
	wr(PL011_DR, '!');
	CHECK(g.out_head == 4);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	const struct fdt *fdt = read_fdt(argv[1]);
	strcpy(g.name, "guest0");
	int node = fdt_find_compatible(fdt, -1, "arm,pl011");
	const struct emulator *e = emulator_for_node(fdt, node);
	CHECK(e && !strcmp(e->name, "pl011"));
	if (!e || e->probe(&g, fdt, node))
		return 1;
	CHECK(g.nvdevs == 1 && g.console.ops);
	base = g.vdevs[0].base;
	uint32_t cells[3];
	int n;
	CHECK(fdt_get_interrupt(fdt, node, 0, cells, 3, &n) == 0 && n == 3);
	irq = 32 + cells[1];
	checks();
	return check_summary("pl011_test");
}
