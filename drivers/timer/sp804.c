/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARM SP804 dual timer (ARM DDI 0271) as the hypervisor's tick and clock, on CPUs
 * without the generic timer (ARMv5): timer 1 interrupts CONFIG_TIMER_HZ times a
 * second (periodic mode), timer 2 counts down freely from 0xffffffff and is
 * extended to 64 bits in software (it wraps after 71 minutes at 1 MHz; the tick
 * reads it far more often). Implements the timer_* functions of arch/cpu.h.
 */
#include <arch/cpu.h>
#include <mamoru/console.h>
#include <mamoru/irq.h>

#include <drivers/hw/sp804.h>

#define SP804_SIZE_MIN 0x40

#define DEFAULT_HZ 1000000u      /* TIMCLK on the Versatile boards and in QEMU */

static uintptr_t base;
static uint64_t freq, ticks, count;
static uint32_t last;

uint64_t timer_freq(void) { return freq; }
uint64_t timer_ticks(void) { return ticks; }

/* The free-running count, extended to 64 bits; IRQs masked so the tick cannot
 * interleave its own update. */
static uint64_t counter(void)
{
	uint32_t cpsr;
	__asm__ volatile("mrs %0, cpsr\n\torr r12, %0, #0x80\n\tmsr cpsr_c, r12"
			 : "=r"(cpsr) : : "r12", "memory", "cc");
	uint32_t now = mmio_read32(base + SP804_TIMER2 + SP804_VALUE);
	count += (uint32_t)(last - now);      /* counts down */
	last = now;
	uint64_t c = count;
	__asm__ volatile("msr cpsr_c, %0" : : "r"(cpsr) : "memory", "cc");
	return c;
}

uint64_t timer_now_ns(void)
{
	if (!freq)
		return 0;
	uint64_t c = counter();
	return (c / freq) * 1000000000ull + ((c % freq) * 1000000000ull) / freq;
}

static void timer_tick(unsigned irq, void *arg)
{
	(void)irq;
	(void)arg;
	mmio_write32(base + SP804_INTCLR, 1);
	ticks++;
	(void)counter();
}

int timer_dt_node(const void *fdtp)
{
	const struct driver *drv;
	return driver_find_node(fdtp, DRV_TIMER, &drv);
}

int timer_init(const void *fdtp)
{
	const struct fdt *fdt = fdtp;
	uint64_t addr, len;
	unsigned irq;
	uint32_t hz;

	int node = timer_dt_node(fdt);
	if (node < 0) {
		printk("timer: no arm,sp804 node in the device tree\n");
		return -1;
	}
	if (fdt_get_reg(fdt, node, 0, &addr, &len) < 0 || addr == 0 || len < SP804_SIZE_MIN ||
	    addr + len > UINTPTR_MAX) {
		printk("timer: bad reg in %s\n", fdt_node_name(fdt, node));
		return -1;
	}
	base = (uintptr_t)addr;
	freq = fdt_getprop_u32(fdt, node, "clock-frequency", &hz) == FDT_OK && hz ? hz : DEFAULT_HZ;
	if (irq_of_node(fdt, node, 0, &irq)) {
		printk("timer: cannot decode the SP804's interrupt\n");
		return -1;
	}
	if (irq_register(irq, "timer (SP804)", timer_tick, NULL))
		return -1;

	mmio_write32(base + SP804_TIMER2 + SP804_CONTROL, 0);
	mmio_write32(base + SP804_TIMER2 + SP804_LOAD, 0xffffffffu);
	/* timer 2 counts down freely */
	mmio_write32(base + SP804_TIMER2 + SP804_CONTROL, SP804_CTL_ENABLE | SP804_CTL_32BIT);
	last = mmio_read32(base + SP804_TIMER2 + SP804_VALUE);
	count = 0;

	mmio_write32(base + SP804_CONTROL, 0);
	mmio_write32(base + SP804_INTCLR, 1);
	mmio_write32(base + SP804_LOAD, (uint32_t)(freq / CONFIG_TIMER_HZ));
	mmio_write32(base + SP804_CONTROL,
	             SP804_CTL_ENABLE | SP804_CTL_PERIODIC | SP804_CTL_INTEN | SP804_CTL_32BIT);
	irq_enable(irq);
	return 0;
}

static const char *const sp804_compat[] = { "arm,sp804", NULL };

static const struct driver sp804_driver = {
	.name = "sp804",
	.cls = DRV_TIMER,
	.compatible = sp804_compat,
	.ops = NULL,
};
DRIVER(sp804_driver);
