/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Versatile PB guest's devices on the host, probed from its device tree
 * through the EMULATOR() table and reached through guest_mmio():
 *   devices_test <guest.dtb> list            the windows the probe created
 *   devices_test <guest.dtb> checks          register-level behaviour
 *   devices_test <guest.dtb> fuzz SEED N     N random accesses (devices_fuzz.c)
 *   devices_test <guest.dtb> replay          the QEMU probe's accesses (qemu_probe/)
 *   devices_test <guest.dtb> trace FILE      recorded accesses ("r|w addr value size")
 * Register behaviour follows the PL190 TRM (DDI 0181), the SP804 TRM
 * (DDI 0271) and docs/armv5-virt.md for the SIC and the system registers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arch/guest_irq.h>
#include <drivers/hw/pl190.h>
#include <drivers/hw/sp804.h>
#include <drivers/hw/versatile_sic.h>

#include "devices.h"
#include "tests/arm32/devices/qemu_probe/probe_ops.h"
#include "stubs.h"
#include "hostcheck.h"

/* System registers */
#define SYS_ID 0x00
#define SYS_LED 0x08
#define SYS_OSC4 0x1c
#define SYS_LOCK 0x20
#define SYS_100HZ 0x24
#define SYS_FLAGS 0x30
#define SYS_FLAGSCLR 0x34
#define SYS_RESETCTL 0x40
#define SYS_24MHZ 0x5c

/* The timer as Linux runs it: periodic, 32 bits, interrupting. */
#define PERIODIC_IRQ (SP804_CTL_ENABLE | SP804_CTL_PERIODIC | SP804_CTL_32BIT | SP804_CTL_INTEN)
#define US 1000ull
#define TIMER_IRQ 4
#define UART_IRQ 12

static uint32_t rd(uint32_t base, uint32_t off)
{
	uint64_t v = 0xdeadbeef;
	CHECK(guest_mmio(&g, base + off, false, 4, &v) == GUEST_MMIO_OK);
	CHECK(v <= 0xffffffffu);
	return (uint32_t)v;
}

static void wr(uint32_t base, uint32_t off, uint32_t val)
{
	uint64_t v = val;
	CHECK(guest_mmio(&g, base + off, true, 4, &v) == GUEST_MMIO_OK);
}

/* The hypervisor's timer fired: what the ARMv5 vcpu loop will do. */
static void tick(uint64_t now)
{
	stub_now_ns = now;
	sp804_guest_sync(&g, now);
}

static void vic_ids_and_reset(void)
{
	static const uint8_t ids[8] = {0x90, 0x11, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
	for (int i = 0; i < 8; i++)
		CHECK(rd(VIC_BASE, 0xfe0 + 4 * i) == ids[i]);
	CHECK(rd(VIC_BASE, PL190_IRQSTATUS) == 0 && rd(VIC_BASE, PL190_FIQSTATUS) == 0);
	CHECK(rd(VIC_BASE, PL190_INTENABLE) == 0 && rd(VIC_BASE, PL190_INTSELECT) == 0 &&
	      rd(VIC_BASE, PL190_SOFTINT) == 0);
	CHECK(rd(VIC_BASE, PL190_DEFVECTADDR) == 0 && rd(VIC_BASE, PL190_PROTECTION) == 0);
	/* The UART drives its line low after reset (nothing masked in). */
	CHECK((rd(VIC_BASE, PL190_RAWINTR) & (1u << UART_IRQ)) == 0);
	CHECK(!vvic_irq_out(the_vic()) && !vvic_fiq_out(the_vic()));
}

/* What an OS does first: everything off, soft interrupts cleared, the
 * priority hardware drained by reading and writing VECTADDR. */
static void vic_os_init(void)
{
	wr(VIC_BASE, PL190_INTSELECT, 0);
	wr(VIC_BASE, PL190_INTENCLEAR, ~0u);
	wr(VIC_BASE, PL190_SOFTINTCLEAR, ~0u);
	wr(VIC_BASE, PL190_VECTADDR, 0);
	for (int i = 0; i < 19; i++)
		wr(VIC_BASE, PL190_VECTADDR, rd(VIC_BASE, PL190_VECTADDR));
	for (int i = 0; i < 16; i++)
		wr(VIC_BASE, PL190_VECTCNTLN(i), 0);
	CHECK(vvic_current_prio(the_vic()) == VVIC_NO_PRIO);
	CHECK(the_vic()->unknown_accesses == 0);
}

static void vic_registers(void)
{
	struct vvic *v = the_vic();
	/* Enable set/clear semantics. */
	wr(VIC_BASE, PL190_INTENABLE, 0x0000f00f);
	wr(VIC_BASE, PL190_INTENABLE, 0x00000100);
	CHECK(rd(VIC_BASE, PL190_INTENABLE) == 0x0000f10f);
	wr(VIC_BASE, PL190_INTENCLEAR, 0x0000000f);
	CHECK(rd(VIC_BASE, PL190_INTENABLE) == 0x0000f100);
	CHECK(rd(VIC_BASE, PL190_INTENCLEAR) == 0);            /* write-only */
	wr(VIC_BASE, PL190_INTENCLEAR, ~0u);
	/* Software interrupts go to RAWINTR, and past the enable to IRQSTATUS. */
	wr(VIC_BASE, PL190_SOFTINT, 1u << 7);
	CHECK(rd(VIC_BASE, PL190_RAWINTR) == 1u << 7 && rd(VIC_BASE, PL190_IRQSTATUS) == 0 &&
	      !vvic_irq_out(v));
	wr(VIC_BASE, PL190_INTENABLE, 1u << 7);
	CHECK(rd(VIC_BASE, PL190_IRQSTATUS) == 1u << 7 && vvic_irq_out(v) && !vvic_fiq_out(v));
	/* INTSELECT makes it an FIQ. */
	wr(VIC_BASE, PL190_INTSELECT, 1u << 7);
	CHECK(rd(VIC_BASE, PL190_IRQSTATUS) == 0 && rd(VIC_BASE, PL190_FIQSTATUS) == 1u << 7);
	CHECK(!vvic_irq_out(v) && vvic_fiq_out(v));
	wr(VIC_BASE, PL190_INTSELECT, 0);
	wr(VIC_BASE, PL190_SOFTINTCLEAR, 1u << 7);
	CHECK(rd(VIC_BASE, PL190_RAWINTR) == 0 && !vvic_irq_out(v));
	wr(VIC_BASE, PL190_INTENCLEAR, ~0u);
	/* Register widths. */
	wr(VIC_BASE, PL190_VECTCNTLN(3), ~0u);
	CHECK(rd(VIC_BASE, PL190_VECTCNTLN(3)) == 0x3f);
	wr(VIC_BASE, PL190_VECTCNTLN(3), 0);
	wr(VIC_BASE, PL190_VECTADDRN(15), 0xcafef00d);
	CHECK(rd(VIC_BASE, PL190_VECTADDRN(15)) == 0xcafef00d);
	wr(VIC_BASE, PL190_PROTECTION, ~0u);
	CHECK(rd(VIC_BASE, PL190_PROTECTION) == 1);
	wr(VIC_BASE, PL190_PROTECTION, 0);
	/* Read-only registers ignore writes. */
	wr(VIC_BASE, PL190_RAWINTR, ~0u);
	wr(VIC_BASE, PL190_IRQSTATUS, ~0u);
	CHECK(rd(VIC_BASE, PL190_RAWINTR) == 0);
	/* Only aligned words are registers: the access is refused (an abort). */
	uint64_t val = 0;
	CHECK(guest_mmio(&g, VIC_BASE + PL190_INTENABLE, false, 1, &val) == GUEST_MMIO_REJECTED);
	CHECK(guest_mmio(&g, VIC_BASE + PL190_INTENABLE + 2, true, 4, &val) == GUEST_MMIO_REJECTED);
	CHECK(v->unknown_accesses == 0);
}

/* The vectored interrupt priority logic (PL190 TRM, "interrupt priority"). */
static void vic_vectored(void)
{
	struct vvic *v = the_vic();
	wr(VIC_BASE, PL190_VECTADDRN(0), 0x1000);
	wr(VIC_BASE, PL190_VECTCNTLN(0), 0x20 | 4);
	wr(VIC_BASE, PL190_VECTADDRN(1), 0x2000);
	wr(VIC_BASE, PL190_VECTCNTLN(1), 0x20 | 12);
	wr(VIC_BASE, PL190_VECTADDRN(2), 0x3000);
	wr(VIC_BASE, PL190_VECTCNTLN(2), 9);            /* slot 2 names line 9 but is disabled */
	wr(VIC_BASE, PL190_DEFVECTADDR, 0xd000);
	wr(VIC_BASE, PL190_INTENABLE, (1u << 4) | (1u << 12) | (1u << 7) | (1u << 9));
	/* Nothing pending: the default address, nothing acknowledged. */
	CHECK(rd(VIC_BASE, PL190_VECTADDR) == 0xd000 && vvic_current_prio(v) == VVIC_NO_PRIO);

	wr(VIC_BASE, PL190_SOFTINT, 1u << 12);
	CHECK(vvic_irq_out(v));
	CHECK(rd(VIC_BASE, PL190_VECTADDR) == 0x2000);          /* acknowledges slot 1 */
	CHECK(vvic_current_prio(v) == 1 && !vvic_irq_out(v));
	/* Nothing higher pending: the address of the one in service, nothing acknowledged. */
	CHECK(rd(VIC_BASE, PL190_VECTADDR) == 0x2000 && vvic_current_prio(v) == 1 &&
	      v->in_service == 2);
	/* A non-vectored interrupt cannot preempt a vectored one. */
	wr(VIC_BASE, PL190_SOFTINT, 1u << 7);
	CHECK(!vvic_irq_out(v));
	CHECK(rd(VIC_BASE, PL190_VECTADDR) == 0x2000 && v->in_service == 2);
	CHECK(rd(VIC_BASE, PL190_IRQSTATUS) == ((1u << 12) | (1u << 7)));   /* status is unmasked */
	/* A higher priority one does: nested. */
	wr(VIC_BASE, PL190_SOFTINT, 1u << 4);
	CHECK(vvic_irq_out(v));
	CHECK(rd(VIC_BASE, PL190_VECTADDR) == 0x1000 && vvic_current_prio(v) == 0 &&
	      !vvic_irq_out(v));
	/* Ending slot 0 returns to slot 1; line 4 still pending, so it interrupts again. */
	wr(VIC_BASE, PL190_VECTADDR, 0);
	CHECK(vvic_current_prio(v) == 1 && vvic_irq_out(v));
	wr(VIC_BASE, PL190_SOFTINTCLEAR, 1u << 4);
	CHECK(!vvic_irq_out(v));
	wr(VIC_BASE, PL190_VECTADDR, 0);                        /* end slot 1 */
	CHECK(vvic_current_prio(v) == VVIC_NO_PRIO && vvic_irq_out(v));
	wr(VIC_BASE, PL190_SOFTINTCLEAR, 1u << 12);
	/* Line 9's slot is disabled: it is non-vectored, like line 7. */
	wr(VIC_BASE, PL190_SOFTINT, 1u << 9);
	CHECK(rd(VIC_BASE, PL190_VECTADDR) == 0xd000 && vvic_current_prio(v) == VVIC_DEFAULT_PRIO);
	CHECK(!vvic_irq_out(v));                          /* 7 and 9 wait for the end */
	/* a vectored one preempts the default */
	wr(VIC_BASE, PL190_SOFTINT, 1u << 12);
	CHECK(vvic_irq_out(v) && rd(VIC_BASE, PL190_VECTADDR) == 0x2000);
	wr(VIC_BASE, PL190_VECTADDR, 0);
	wr(VIC_BASE, PL190_VECTADDR, 0);
	CHECK(vvic_current_prio(v) == VVIC_NO_PRIO);
	/* Two enabled slots naming the same line: the first (higher priority) wins. */
	wr(VIC_BASE, PL190_SOFTINTCLEAR, ~0u);
	wr(VIC_BASE, PL190_VECTCNTLN(5), 0x20 | 9);
	wr(VIC_BASE, PL190_VECTADDRN(5), 0x5000);
	wr(VIC_BASE, PL190_VECTCNTLN(6), 0x20 | 9);
	wr(VIC_BASE, PL190_VECTADDRN(6), 0x6000);
	wr(VIC_BASE, PL190_SOFTINT, 1u << 9);
	CHECK(rd(VIC_BASE, PL190_VECTADDR) == 0x5000 && vvic_current_prio(v) == 5);
	/* Writing VECTADDR with nothing in service changes nothing. */
	wr(VIC_BASE, PL190_VECTADDR, 0);
	wr(VIC_BASE, PL190_VECTADDR, 0);
	CHECK(vvic_current_prio(v) == VVIC_NO_PRIO);
	wr(VIC_BASE, PL190_SOFTINTCLEAR, ~0u);
	wr(VIC_BASE, PL190_INTENCLEAR, ~0u);
	for (int i = 0; i < 16; i++)
		wr(VIC_BASE, PL190_VECTCNTLN(i), 0);
	CHECK(v->unknown_accesses == 0);
}

static void sic(void)
{
	struct vvic *v = the_vic();
	CHECK(rd(SIC_BASE, SIC_STATUS) == 0 && rd(SIC_BASE, SIC_RAWSTAT) == 0 &&
	      rd(SIC_BASE, SIC_ENSET) == 0 && rd(SIC_BASE, SIC_PICENSET) == 0);
	wr(VIC_BASE, PL190_INTENABLE, 1u << 31);
	/* SIC line 3 (line 35 for arch_guest_irq): raw, then enabled, then VIC 31. */
	arch_guest_irq(&g, VVIC_SIC_BASE + 3, true);
	CHECK(rd(SIC_BASE, SIC_RAWSTAT) == 1u << 3 && rd(SIC_BASE, SIC_STATUS) == 0);
	CHECK((rd(VIC_BASE, PL190_RAWINTR) & (1u << 31)) == 0 && !vvic_irq_out(v));
	wr(SIC_BASE, SIC_ENSET, 1u << 3);
	wr(SIC_BASE, SIC_ENSET, 1u << 6);
	CHECK(rd(SIC_BASE, SIC_ENSET) == ((1u << 3) | (1u << 6)));
	CHECK(rd(SIC_BASE, SIC_STATUS) == 1u << 3);
	CHECK(rd(VIC_BASE, PL190_IRQSTATUS) == 1u << 31 && vvic_irq_out(v));
	arch_guest_irq(&g, VVIC_SIC_BASE + 3, false);
	CHECK(rd(VIC_BASE, PL190_RAWINTR) == 0 && !vvic_irq_out(v));
	/* Software interrupts of the SIC. */
	wr(SIC_BASE, SIC_SOFTINTSET, 1u << 6);
	CHECK(rd(SIC_BASE, SIC_SOFTINTSET) == 1u << 6 && rd(SIC_BASE, SIC_RAWSTAT) == 1u << 6);
	CHECK(vvic_irq_out(v));
	wr(SIC_BASE, SIC_SOFTINTCLR, 1u << 6);
	CHECK(!vvic_irq_out(v));
	wr(SIC_BASE, SIC_ENCLR, ~0u);
	CHECK(rd(SIC_BASE, SIC_ENSET) == 0);
	/* Pass-through: SIC lines 21..30 straight to the same VIC lines. */
	wr(SIC_BASE, SIC_PICENSET, ~0u);
	CHECK(rd(SIC_BASE, SIC_PICENSET) == 0x7fe00000u);
	arch_guest_irq(&g, VVIC_SIC_BASE + 25, true);
	CHECK(rd(VIC_BASE, PL190_RAWINTR) == 1u << 25);
	wr(SIC_BASE, SIC_PICENCLR, 1u << 25);
	CHECK(rd(VIC_BASE, PL190_RAWINTR) == 0);
	arch_guest_irq(&g, VVIC_SIC_BASE + 25, false);
	wr(SIC_BASE, SIC_PICENCLR, ~0u);
	/* Line 31 is the SIC's; nothing else drives it; beyond 63 there is nothing. */
	CHECK(!vvic_set_line(v, VVIC_SIC_CASCADE, true) && !vvic_set_line(v, VVIC_LINES, true));
	CHECK(rd(VIC_BASE, PL190_RAWINTR) == 0);
	wr(VIC_BASE, PL190_INTENCLEAR, ~0u);
	CHECK(v->unknown_accesses == 0);
}

/* The SP804's interrupt reaches the CPU: timer 0 -> VIC line 4 -> nIRQ. */
static void timer_to_cpu(void)
{
	struct vvic *v = the_vic();
	uint64_t t0 = stub_now_ns;
	wr(VIC_BASE, PL190_INTENABLE, 1u << TIMER_IRQ);
	wr(TIMER_BASE, SP804_LOAD, 1000);            /* 1 ms at 1 MHz */
	wr(TIMER_BASE, SP804_CONTROL, PERIODIC_IRQ);
	CHECK(sp804_guest_sync(&g, t0) == t0 + 1000 * US);
	tick(t0 + 999 * US);
	CHECK(!vvic_irq_out(v) && rd(TIMER_BASE, SP804_RIS) == 0 &&
	      rd(TIMER_BASE, SP804_VALUE) == 1);
	tick(t0 + 1000 * US);
	CHECK(rd(TIMER_BASE, SP804_RIS) == 1 && rd(TIMER_BASE, SP804_MIS) == 1);
	CHECK(rd(VIC_BASE, PL190_IRQSTATUS) == 1u << TIMER_IRQ && vvic_irq_out(v));
	/* Pending: no further event until it is cleared. */
	CHECK(sp804_guest_sync(&g, stub_now_ns) == SP804_NO_EVENT);
	wr(TIMER_BASE, SP804_INTCLR, 1);
	CHECK(rd(VIC_BASE, PL190_RAWINTR) == 0 && !vvic_irq_out(v));
	/* Next period: the counter reloaded at 1001 us, reaches zero at 2001 us. */
	CHECK(sp804_guest_sync(&g, stub_now_ns) == t0 + 2001 * US);
	/* The interrupt mask of the timer gates the line, not RIS. */
	wr(TIMER_BASE, SP804_CONTROL, SP804_CTL_ENABLE | SP804_CTL_PERIODIC | SP804_CTL_32BIT);
	tick(t0 + 2001 * US);
	CHECK(rd(TIMER_BASE, SP804_RIS) == 1 && rd(TIMER_BASE, SP804_MIS) == 0 && !vvic_irq_out(v));
	wr(TIMER_BASE, SP804_CONTROL, PERIODIC_IRQ);
	CHECK(vvic_irq_out(v));
	wr(TIMER_BASE, SP804_CONTROL, 0);
	wr(TIMER_BASE, SP804_INTCLR, 0);
	CHECK(!vvic_irq_out(v));
	wr(VIC_BASE, PL190_INTENCLEAR, ~0u);
}

static void timer_registers(void)
{
	struct vsp804 *s = the_timer();
	static const uint8_t ids[8] = {0x04, 0x18, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
	for (int i = 0; i < 8; i++)
		CHECK(rd(TIMER_BASE, 0xfe0 + 4 * i) == ids[i]);
	/* After reset: both timers disabled, free-running, 16-bit, interrupt enabled. */
	sp804_reset(s, SP804_TIMCLK_HZ, stub_now_ns);
	for (uint32_t t = 0; t <= SP804_TIMER2; t += SP804_TIMER2) {
		CHECK(rd(TIMER_BASE, t + SP804_LOAD) == 0 &&
		      rd(TIMER_BASE, t + SP804_VALUE) == 0xffffffffu);
		CHECK(rd(TIMER_BASE, t + SP804_CONTROL) == 0x20 &&
		      rd(TIMER_BASE, t + SP804_RIS) == 0);
	}
	uint64_t t0 = stub_now_ns;
	/* A disabled timer does not count. */
	stub_now_ns = t0 + 5000 * US;
	CHECK(rd(TIMER_BASE, SP804_VALUE) == 0xffffffffu);
	CHECK(sp804_next_event_ns(s) == SP804_NO_EVENT);
	/* Free-running 32-bit: the clocksource. */
	t0 = stub_now_ns;
	wr(TIMER_BASE, SP804_CONTROL, SP804_CTL_ENABLE | SP804_CTL_32BIT);
	stub_now_ns = t0 + 1000 * US;
	CHECK(rd(TIMER_BASE, SP804_VALUE) == 0xffffffffu - 1000);
	/* Sub-tick time does not count (1 MHz: 999 ns is no tick). */
	stub_now_ns += 999;
	CHECK(rd(TIMER_BASE, SP804_VALUE) == 0xffffffffu - 1000);
	stub_now_ns += 1;
	CHECK(rd(TIMER_BASE, SP804_VALUE) == 0xffffffffu - 1001);
	wr(TIMER_BASE, SP804_CONTROL, 0);
	/* Free-running 16-bit wraps to 0xffff, raising RIS at zero. */
	wr(TIMER_BASE, SP804_LOAD, 3);
	t0 = stub_now_ns;
	wr(TIMER_BASE, SP804_CONTROL, SP804_CTL_ENABLE | SP804_CTL_INTEN);
	CHECK(sp804_next_event_ns(s) == t0 + 3 * US);
	stub_now_ns = t0 + 3 * US;
	CHECK(rd(TIMER_BASE, SP804_VALUE) == 0 && rd(TIMER_BASE, SP804_RIS) == 1);
	stub_now_ns = t0 + 4 * US;
	CHECK(rd(TIMER_BASE, SP804_VALUE) == 0xffff);
	wr(TIMER_BASE, SP804_INTCLR, 0);
	stub_now_ns = t0 + (4 + 0xffff) * US;
	CHECK(rd(TIMER_BASE, SP804_VALUE) == 0 && rd(TIMER_BASE, SP804_RIS) == 1);
	wr(TIMER_BASE, SP804_INTCLR, 0);
	/* Switching to 16 bits truncates the counter. */
	wr(TIMER_BASE, SP804_CONTROL, SP804_CTL_32BIT);
	wr(TIMER_BASE, SP804_LOAD, 0x12345);
	CHECK(rd(TIMER_BASE, SP804_VALUE) == 0x12345);
	wr(TIMER_BASE, SP804_CONTROL, 0);
	CHECK(rd(TIMER_BASE, SP804_VALUE) == 0x2345 && rd(TIMER_BASE, SP804_LOAD) == 0x12345);
	/* Periodic: Load, 0, Load, ... a period of Load + 1 ticks. */
	wr(TIMER_BASE, SP804_LOAD, 10);
	t0 = stub_now_ns;
	wr(TIMER_BASE, SP804_CONTROL, SP804_CTL_ENABLE | SP804_CTL_PERIODIC | SP804_CTL_32BIT);
	stub_now_ns = t0 + 25 * US;              /* 0 at 10, 10 at 11, 0 at 21, 10 at 22 */
	CHECK(rd(TIMER_BASE, SP804_VALUE) == 7 && rd(TIMER_BASE, SP804_RIS) == 1);
	wr(TIMER_BASE, SP804_INTCLR, 0);
	/* BGLoad: the next reload, the counter untouched. */
	wr(TIMER_BASE, SP804_BGLOAD, 3);
	CHECK(rd(TIMER_BASE, SP804_VALUE) == 7 && rd(TIMER_BASE, SP804_LOAD) == 3 &&
	      rd(TIMER_BASE, SP804_BGLOAD) == 3);
	stub_now_ns = t0 + 33 * US;              /* 0 at 32, 3 at 33 */
	CHECK(rd(TIMER_BASE, SP804_VALUE) == 3);
	wr(TIMER_BASE, SP804_INTCLR, 0);
	wr(TIMER_BASE, SP804_CONTROL, 0);
	/* Prescale 16 and 256: exact event times. */
	wr(TIMER_BASE, SP804_LOAD, 100);
	t0 = stub_now_ns;
	wr(TIMER_BASE, SP804_CONTROL, PERIODIC_IRQ | SP804_CTL_DIV16);
	CHECK(sp804_next_event_ns(s) == t0 + 1600 * US);
	stub_now_ns = t0 + 1599 * US;
	CHECK(rd(TIMER_BASE, SP804_RIS) == 0 && rd(TIMER_BASE, SP804_VALUE) == 1);
	stub_now_ns = t0 + 1600 * US;
	CHECK(rd(TIMER_BASE, SP804_RIS) == 1 && rd(TIMER_BASE, SP804_VALUE) == 0);
	wr(TIMER_BASE, SP804_INTCLR, 0);
	wr(TIMER_BASE, SP804_CONTROL, 0);
	wr(TIMER_BASE, SP804_LOAD, 2);
	t0 = stub_now_ns;
	wr(TIMER_BASE, SP804_CONTROL, PERIODIC_IRQ | SP804_CTL_DIV256);
	CHECK(sp804_next_event_ns(s) == t0 + 512 * US);
	wr(TIMER_BASE, SP804_CONTROL, 0);
	/* Changing the prescaler starts a fresh period: 200 TIMCLK ticks towards a /256
	 * decrement are not 200 decrements at /1. */
	wr(TIMER_BASE, SP804_LOAD, 1000);
	t0 = stub_now_ns;
	wr(TIMER_BASE, SP804_CONTROL, PERIODIC_IRQ | SP804_CTL_DIV256);
	stub_now_ns = t0 + 200 * US;
	CHECK(rd(TIMER_BASE, SP804_VALUE) == 1000);
	wr(TIMER_BASE, SP804_CONTROL, PERIODIC_IRQ);
	CHECK(sp804_next_event_ns(s) == stub_now_ns + 1000 * US);
	stub_now_ns += 1 * US;
	CHECK(rd(TIMER_BASE, SP804_VALUE) == 999);
	wr(TIMER_BASE, SP804_CONTROL, 0);
	/* One-shot: interrupts once, halts at zero. */
	wr(TIMER_BASE, SP804_LOAD, 10);
	t0 = stub_now_ns;
	wr(TIMER_BASE, SP804_CONTROL,
	   SP804_CTL_ENABLE | SP804_CTL_ONESHOT | SP804_CTL_32BIT | SP804_CTL_INTEN);
	CHECK(sp804_next_event_ns(s) == t0 + 10 * US);
	stub_now_ns = t0 + 100 * US;
	CHECK(rd(TIMER_BASE, SP804_VALUE) == 0 && rd(TIMER_BASE, SP804_RIS) == 1);
	wr(TIMER_BASE, SP804_INTCLR, 0);
	stub_now_ns = t0 + 10000 * US;
	CHECK(rd(TIMER_BASE, SP804_VALUE) == 0 && rd(TIMER_BASE, SP804_RIS) == 0);
	CHECK(sp804_next_event_ns(s) == SP804_NO_EVENT);
	/* Reloading re-arms it. */
	wr(TIMER_BASE, SP804_LOAD, 5);
	CHECK(sp804_next_event_ns(s) == stub_now_ns + 5 * US);
	wr(TIMER_BASE, SP804_CONTROL, 0);
	/* Timer 2 is independent; the earlier of the two is the next event. */
	wr(TIMER_BASE, SP804_LOAD, 50);
	wr(TIMER_BASE, SP804_TIMER2 + SP804_LOAD, 20);
	t0 = stub_now_ns;
	wr(TIMER_BASE, SP804_CONTROL, PERIODIC_IRQ);
	wr(TIMER_BASE, SP804_TIMER2 + SP804_CONTROL, PERIODIC_IRQ);
	CHECK(sp804_next_event_ns(s) == t0 + 20 * US);
	stub_now_ns = t0 + 20 * US;
	CHECK(rd(TIMER_BASE, SP804_TIMER2 + SP804_RIS) == 1 && rd(TIMER_BASE, SP804_RIS) == 0 &&
	      sp804_irq(s));
	CHECK(sp804_next_event_ns(s) == t0 + 50 * US);   /* timer 2 already pending */
	wr(TIMER_BASE, SP804_TIMER2 + SP804_INTCLR, 0);
	wr(TIMER_BASE, SP804_CONTROL, 0);
	wr(TIMER_BASE, SP804_TIMER2 + SP804_CONTROL, 0);
	/* Integration test registers are recorded, IDs read-only. */
	wr(TIMER_BASE, 0xf00, ~0u);
	CHECK(rd(TIMER_BASE, 0xf00) == 1);
	wr(TIMER_BASE, 0xf00, 0);
	wr(TIMER_BASE, 0xfe0, 0x55);
	CHECK(rd(TIMER_BASE, 0xfe0) == 0x04);
	CHECK(s->unknown_accesses == 0);
	/* A far-away event does not overflow: 2^32 ticks at prescale 256 is ~13 days. */
	wr(TIMER_BASE, SP804_CONTROL, SP804_CTL_32BIT);
	wr(TIMER_BASE, SP804_LOAD, ~0u);
	t0 = stub_now_ns;
	wr(TIMER_BASE, SP804_CONTROL,
	   SP804_CTL_ENABLE | SP804_CTL_32BIT | SP804_CTL_INTEN | SP804_CTL_DIV256);
	CHECK(sp804_next_event_ns(s) == t0 + 0xffffffffull * 256 * US);
	wr(TIMER_BASE, SP804_CONTROL, 0);
	wr(TIMER_BASE, SP804_INTCLR, 0);
}

static void sysregs(void)
{
	struct vsysregs *s = the_sys();
	uint64_t t0 = stub_now_ns;
	vsysregs_reset(s, t0);
	CHECK(rd(SYS_BASE, SYS_ID) == 0x41007004u);
	wr(SYS_BASE, SYS_LED, 0x1ff);
	CHECK(rd(SYS_BASE, SYS_LED) == 0xff);
	/* Locked: oscillators and reset control ignore writes. */
	CHECK(rd(SYS_BASE, SYS_LOCK) == 0x10000);
	wr(SYS_BASE, SYS_OSC4, 0x2c77);
	CHECK(rd(SYS_BASE, SYS_OSC4) == 0);
	wr(SYS_BASE, SYS_RESETCTL, 0x105);
	CHECK(!vsysregs_take_reset(&g) && rd(SYS_BASE, SYS_RESETCTL) == 0);
	/* Unlocked. */
	wr(SYS_BASE, SYS_LOCK, 0xa05f);
	CHECK(rd(SYS_BASE, SYS_LOCK) == 0xa05f);
	wr(SYS_BASE, SYS_OSC4, 0x2c77);
	CHECK(rd(SYS_BASE, SYS_OSC4) == 0x2c77);
	/* A level without the start bit is recorded, no reset. */
	wr(SYS_BASE, SYS_RESETCTL, 0x05);
	CHECK(!vsysregs_take_reset(&g) && rd(SYS_BASE, SYS_RESETCTL) == 0x05);
	/* The reset request: the guest's, once. */
	wr(SYS_BASE, SYS_RESETCTL, 0x105);
	CHECK(vsysregs_take_reset(&g) && !vsysregs_take_reset(&g));
	wr(SYS_BASE, SYS_LOCK, 0);
	CHECK(rd(SYS_BASE, SYS_LOCK) == 0x10000);
	/* Counters from the reset: 24 MHz and 100 Hz, wrapping at 32 bits. */
	stub_now_ns = t0 + 1000000000ull;
	CHECK(rd(SYS_BASE, SYS_24MHZ) == 24000000u && rd(SYS_BASE, SYS_100HZ) == 100);
	stub_now_ns = t0 + 250 * US;
	CHECK(rd(SYS_BASE, SYS_24MHZ) == 6000u);
	stub_now_ns = t0 + 200ull * 1000000000ull;
	CHECK(rd(SYS_BASE, SYS_24MHZ) == (uint32_t)(24000000ull * 200));
	/* Flags: set and clear registers. */
	wr(SYS_BASE, SYS_FLAGS, 0x11);
	wr(SYS_BASE, SYS_FLAGSCLR, 0x01);
	CHECK(rd(SYS_BASE, SYS_FLAGS) == 0x10);
	CHECK(s->unknown_accesses == 0);
}

/* Every aligned word of each window: offsets with no register read 0, ignore
 * writes, and are counted; the registers are the ones documented. */
static bool vic_has(uint32_t off)
{
	return off <= 0x020 || off == 0x030 || off == 0x034 || (off >= 0x100 && off < 0x140) ||
	       (off >= 0x200 && off < 0x240) || (off >= 0x300 && off <= 0x310) || off >= 0xfe0;
}
static bool sic_has(uint32_t off)
{
	return off <= 0x14 || off == 0x20 || off == 0x24;
}
static bool timer_has(uint32_t off)
{
	return (off < 0x40 && (off & 0x1f) != 0x1c) || off == 0xf00 || off == 0xf04 || off >= 0xfe0;
}
static bool sys_has(uint32_t off)
{
	return off <= 0x6c;
}

static void sweep(uint32_t base, uint32_t *counter, bool (*has)(uint32_t))
{
	for (uint32_t off = 0; off < 0x1000; off += 4) {
		uint32_t before = *counter;
		if (has(off)) {
			(void)rd(base, off);
			CHECK(*counter == before);
			continue;
		}
		CHECK(rd(base, off) == 0);
		wr(base, off, 0xffffffffu);
		CHECK(rd(base, off) == 0);
		CHECK(*counter == before + 3);
		if (*counter != before + 3)
			fprintf(stderr, "  offset 0x%03x\n", off);
	}
}

static void unknown_offsets(void)
{
	sweep(VIC_BASE, &the_vic()->unknown_accesses, vic_has);
	wr(VIC_BASE, PL190_VECTADDR, 0);
	sweep(SIC_BASE, &the_vic()->unknown_accesses, sic_has);
	sweep(TIMER_BASE, &the_timer()->unknown_accesses, timer_has);
	sweep(SYS_BASE, &the_sys()->unknown_accesses, sys_has);
}

/* The PL011 the versatile guest's console is on: 32-bit accesses, its line on VIC 12. */
static void uart(void)
{
	struct vvic *v = the_vic();
	CHECK(rd(UART_BASE, 0xfe0) == 0x11 && rd(UART_BASE, 0x018) == 0x90);   /* FR: TXFE|RXFE */
	wr(VIC_BASE, PL190_INTENABLE, 1u << UART_IRQ);
	wr(UART_BASE, 0x038, 0x20);          /* IMSC: TX */
	CHECK(rd(VIC_BASE, PL190_IRQSTATUS) == 1u << UART_IRQ && vvic_irq_out(v));
	wr(UART_BASE, 0x038, 0);
	CHECK(!vvic_irq_out(v));
	size_t before = g.out_head;
	wr(UART_BASE, 0x000, 'k');
	CHECK(g.out_head == before + 1 && g.out_ring[before % GUEST_CONSOLE_RING] == 'k');
	wr(VIC_BASE, PL190_INTENCLEAR, ~0u);
}

/* A guest reset puts every device back and the lines with them. */
static void guest_reset_devices(void)
{
	wr(SIC_BASE, SIC_ENSET, ~0u);
	wr(VIC_BASE, PL190_INTENABLE, ~0u);
	wr(TIMER_BASE, SP804_LOAD, 1);
	wr(TIMER_BASE, SP804_CONTROL, SP804_CTL_ENABLE | SP804_CTL_PERIODIC | SP804_CTL_INTEN);
	stub_now_ns += 10 * US;
	CHECK(rd(TIMER_BASE, SP804_RIS) == 1 && vvic_irq_out(the_vic()));
	guest_reset_vdevs(&g);
	CHECK(rd(VIC_BASE, PL190_INTENABLE) == 0 && rd(SIC_BASE, SIC_ENSET) == 0 &&
	      rd(VIC_BASE, PL190_RAWINTR) == 0);
	CHECK(rd(TIMER_BASE, SP804_CONTROL) == 0x20 && rd(TIMER_BASE, SP804_RIS) == 0);
	CHECK(!vvic_irq_out(the_vic()));
}

/* The accesses the QEMU probe makes (tests/arm32/devices/qemu_probe), in its format. */
static int replay(void)
{
	printf("probe start\n");
	for (unsigned i = 0; i < PROBE_OPS; i++) {
		const struct probe_op *op = &probe_ops[i];
		uint64_t v = op->val;
		if (guest_mmio(&g, op->addr, op->kind == WR, 4, &v) != GUEST_MMIO_OK)
			return 1;
		if (op->kind != WR)
			printf("%03x %08x=%08x%s\n", i, op->addr, (unsigned)v,
			       op->kind == DIFFERS ? " differs" : "");
	}
	printf("probe end\n");
	/* The probe then unlocks and requests a reset, which ends QEMU: here too. */
	uint64_t key = 0xa05f, req = 0x105;
	guest_mmio(&g, SYS + 0x20, true, 4, &key);
	guest_mmio(&g, SYS + 0x40, true, 4, &req);
	if (!vsysregs_take_reset(&g))
		return 1;
	printf("reset requested\n");
	return 0;
}

/* Accesses recorded elsewhere ("r|w address value size" lines, e.g. Linux booting on
 * QEMU): every one through guest_mmio(); prints how many each model did not know. */
static int trace(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 2;
	char rw;
	unsigned long long addr, val;
	unsigned size, n = 0, refused = 0, nodev = 0;
	while (fscanf(f, " %c %llx %llx %u", &rw, &addr, &val, &size) == 4) {
		uint64_t v = val;
		int rc = guest_mmio(&g, addr, rw == 'w', size, &v);
		n++;
		refused += rc == GUEST_MMIO_REJECTED;
		nodev += rc == GUEST_MMIO_NODEV;
	}
	fclose(f);
	printf("accesses %u refused %u nodev %u unknown vic+sic %u timer %u sys %u reset %d\n", n,
	       refused, nodev, the_vic()->unknown_accesses, the_timer()->unknown_accesses,
	       the_sys()->unknown_accesses, vsysregs_take_reset(&g));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	const char *err = devices_setup(argv[1]);
	if (err) {
		printf("error: %s\n", err);
		return 1;
	}
	if (!strcmp(argv[2], "list")) {
		printf("irqchip %s\n", g.irqchip);
		for (unsigned i = 0; i < g.nvdevs; i++)
			printf("%s 0x%llx 0x%llx\n", g.vdevs[i].name, (unsigned long long)g.vdevs[i].base,
			       (unsigned long long)g.vdevs[i].size);
		return 0;
	}
	if (!strcmp(argv[2], "trace") && argc == 4)
		return trace(argv[3]);
	if (!strcmp(argv[2], "replay"))
		return replay();
	if (!strcmp(argv[2], "fuzz") && argc == 5)
		return fuzz(strtoul(argv[3], NULL, 0), strtoul(argv[4], NULL, 0));
	if (strcmp(argv[2], "checks"))
		return 2;
	vic_ids_and_reset();
	vic_os_init();
	vic_registers();
	vic_vectored();
	sic();
	timer_to_cpu();
	timer_registers();
	sysregs();
	uart();
	unknown_offsets();
	guest_reset_devices();
	return check_summary("devices_test");
}
