/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The emulated PL011 (emulators/pl011.c) on the host, its interrupt line
 * recorded by irq_stub.c:  pl011_test <guest.dtb>
 */
#include <string.h>

#include <mamoru/emulator.h>
#include <mamoru/guest.h>

#include "check.h"
#include "stub.h"

#define DR 0x000
#define RSR 0x004
#define FR 0x018
#define IBRD 0x024
#define FBRD 0x028
#define LCR_H 0x02c
#define CR 0x030
#define IFLS 0x034
#define IMSC 0x038
#define RIS 0x03c
#define MIS 0x040
#define ICR 0x044
#define DMACR 0x048
#define FR_RXFE 0x10
#define FR_RXFF 0x40
#define FR_TXFE 0x80
#define INT_RX 0x10
#define INT_TX 0x20
#define INT_RT 0x40

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
	CHECK(rd(FR) == (FR_TXFE | FR_RXFE));
	CHECK(rd(CR) == 0x300);                      /* TXE | RXE, UART disabled */
	CHECK(rd(IFLS) == 0x12 && rd(IMSC) == 0 && rd(LCR_H) == 0 && rd(IBRD) == 0 && rd(DMACR) == 0);
	CHECK(rd(RIS) == INT_TX && rd(MIS) == 0);
	CHECK(!stub_irq_level[irq]);
}

static void checks(void)
{
	after_reset();
	/* The AMBA identification the Linux driver matches on. */
	static const uint8_t ids[8] = {0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
	for (int i = 0; i < 8; i++)
		CHECK(rd(0xfe0 + 4 * i) == ids[i]);
	CHECK(rd(0x800) == 0 && rd(RSR) == 0);       /* reserved: zero */

	/* Register widths. */
	wr(IBRD, 0xffffffff);
	wr(FBRD, 0xffffffff);
	wr(LCR_H, 0xffffffff);
	wr(IFLS, 0xffffffff);
	wr(DMACR, 0xffffffff);
	CHECK(rd(IBRD) == 0xffff && rd(FBRD) == 0x3f && rd(LCR_H) == 0xff && rd(IFLS) == 0x3f &&
	      rd(DMACR) == 7);

	/* Transmit: into the console ring, and to the user while bound. */
	wr(DR, 'h');
	CHECK(g.out_head == 1 && g.out_ring[0] == 'h' && stub_raw_len == 0);
	g.bound = true;
	wr(DR, 'i');
	g.bound = false;
	CHECK(g.out_head == 2 && stub_raw_len == 1 && stub_raw_out[0] == 'i');

	/* The transmit interrupt is always asserted (the FIFO is always empty). */
	wr(IMSC, INT_TX);
	CHECK(stub_irq_level[irq] && rd(MIS) == INT_TX);
	wr(ICR, 0x7ff);                              /* a level, not a latch */
	CHECK(stub_irq_level[irq]);
	wr(IMSC, 0);
	CHECK(!stub_irq_level[irq]);

	/* Receive: a 32-byte FIFO; the 33rd byte is refused, not overwriting. */
	wr(IMSC, INT_RX | INT_RT);
	for (int i = 0; i < 32; i++)
		CHECK(guest_console_input(&g, (uint8_t)('A' + i)));
	CHECK(!guest_console_input(&g, '!'));
	CHECK(rd(FR) == (FR_TXFE | FR_RXFF));
	CHECK(rd(RIS) == (INT_TX | INT_RX | INT_RT) && rd(MIS) == (INT_RX | INT_RT));
	CHECK(stub_irq_level[irq]);
	for (int i = 0; i < 32; i++)
		CHECK(rd(DR) == (uint64_t)('A' + i));
	CHECK(rd(FR) == (FR_TXFE | FR_RXFE) && rd(DR) == 0);
	CHECK(!stub_irq_level[irq]);
	CHECK(guest_console_input(&g, 'z'));         /* room again */

	/* A reset empties the FIFO and drops the line; the console stays. */
	wr(IMSC, INT_RX);
	CHECK(stub_irq_level[irq]);
	guest_reset_vdevs(&g);
	after_reset();
	wr(DR, '!');
	CHECK(g.out_head == 3);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	size_t size;
	void *blob = read_file(argv[1], &size);
	static struct fdt fdt;
	CHECK(fdt_init(&fdt, blob, size) == 0);
	strcpy(g.name, "guest0");
	int node = fdt_find_compatible(&fdt, -1, "arm,pl011");
	const struct emulator *e = emulator_for_node(&fdt, node);
	CHECK(e && !strcmp(e->name, "pl011"));
	if (!e || e->probe(&g, &fdt, node))
		return 1;
	CHECK(g.nvdevs == 1 && g.console.ops);
	base = g.vdevs[0].base;
	uint32_t cells[3];
	int n;
	CHECK(fdt_get_interrupt(&fdt, node, 0, cells, 3, &n) == 0 && n == 3);
	irq = 32 + cells[1];
	checks();
	return check_summary("pl011_test");
}
