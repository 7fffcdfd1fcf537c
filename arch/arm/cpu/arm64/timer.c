/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The EL2 physical timer (CNTHP) drives the hypervisor tick. Time itself
 * comes from the system counter (CNTPCT_EL0) and its frequency (CNTFRQ_EL0,
 * set by firmware or QEMU).
 */
#include <arch/cpu.h>
#include <arch/sysreg.h>
#include <arch/sysreg_bits.h>
#include <mamoru/console.h>
#include <mamoru/fdt.h>
#include <mamoru/irq.h>

#define TIMER_IRQ_INDEX_HYP 3   /* DT "arm,armv8-timer" order: sec, phys, virt, hyp */

static uint64_t freq, period, ticks, start_count;

uint64_t timer_freq(void) { return freq; }
uint64_t timer_ticks(void) { return ticks; }

uint64_t timer_now_ns(void)
{
	if (!freq)
		return 0;
	uint64_t c = read_sysreg(cntpct_el0) - start_count;
	return (c / freq) * 1000000000ull + ((c % freq) * 1000000000ull) / freq;
}

static void timer_tick(unsigned irq, void *arg)
{
	(void)irq;
	(void)arg;
	ticks++;
	/* Next deadline from the previous one, so the tick does not drift;
	 * if we fell far behind, restart from now. */
	uint64_t next = read_sysreg(cnthp_cval_el2) + period;
	uint64_t now = read_sysreg(cntpct_el0);
	if (next <= now)
		next = now + period;
	write_sysreg(cnthp_cval_el2, next);
}

int timer_dt_node(const void *fdtp)
{
	const struct fdt *fdt = fdtp;
	int node = fdt_find_compatible(fdt, -1, "arm,armv8-timer");
	return node >= 0 ? node : fdt_find_compatible(fdt, -1, "arm,armv7-timer");
}

int timer_init(const void *fdtp)
{
	const struct fdt *fdt = fdtp;
	unsigned irq;

	freq = read_sysreg(cntfrq_el0) & 0xffffffffu;
	start_count = read_sysreg(cntpct_el0);
	if (!freq) {
		printk("timer: CNTFRQ_EL0 is 0 (firmware did not set the counter frequency)\n");
		return -1;
	}
	int node = timer_dt_node(fdt);
	if (node < 0) {
		printk("timer: no arm,armv8-timer node in the device tree\n");
		return -1;
	}
	if (irq_of_node(fdt, node, TIMER_IRQ_INDEX_HYP, &irq)) {
		printk("timer: cannot decode the EL2 timer interrupt\n");
		return -1;
	}
	period = freq / CONFIG_TIMER_HZ;
	if (irq_register(irq, "timer (CNTHP)", timer_tick, NULL))
		return -1;
	write_sysreg(cnthp_cval_el2, read_sysreg(cntpct_el0) + period);
	write_sysreg(cnthp_ctl_el2, CNT_CTL_ENABLE);
	isb();
	irq_enable(irq);
	return 0;
}
