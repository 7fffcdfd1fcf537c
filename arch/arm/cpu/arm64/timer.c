/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The EL2 physical timer (CNTHP) drives the hypervisor tick on the boot CPU. On
 * the other cores the same timer, one shot, ends a vCPU's turn when the core has
 * another vCPU to run (timer_turn). Time itself comes from the system counter
 * (CNTPCT_EL0) and its frequency (CNTFRQ_EL0, set by firmware or QEMU).
 */
#include <arch/cpu.h>
#include <arch/sysreg.h>
#include <arch/sysreg_bits.h>
#include <mamoru/console.h>
#include <mamoru/fdt.h>
#include <mamoru/fdt_cpus.h>
#include <mamoru/irq.h>
#include <mamoru/smp.h>

#define TIMER_IRQ_INDEX_HYP 3   /* DT "arm,armv8-timer" order: sec, phys, virt, hyp */

static uint64_t freq, period, ticks, start_count;
static int hyp_irq = -1;
/* Per core: turns are timed (timer_turn), and the current one's end is on the timer. */
static bool turn_wanted[FDT_CPUS_MAX], turn_armed[FDT_CPUS_MAX];
static uint64_t turns_ended[FDT_CPUS_MAX];

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
	unsigned me = smp_this_cpu();
	if (me != 0) {                  /* a turn ended: the interrupt made the vCPU exit */
		write_sysreg(cnthp_ctl_el2, 0);
		isb();
		if (me < FDT_CPUS_MAX) {
			turn_armed[me] = false;
			/* Only this core writes it; `cpus` reads it on the boot CPU. */
			__atomic_store_n(&turns_ended[me], turns_ended[me] + 1, __ATOMIC_RELAXED);
		}
		return;
	}
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
	hyp_irq = (int)irq;
	write_sysreg(cnthp_cval_el2, read_sysreg(cntpct_el0) + period);
	write_sysreg(cnthp_ctl_el2, CNT_CTL_ENABLE);
	isb();
	irq_enable(irq);
	return 0;
}

int timer_cpu_init(void)
{
	if (hyp_irq < 0)
		return -1;
	write_sysreg(cnthp_ctl_el2, 0);
	isb();
	irq_enable((unsigned)hyp_irq);  /* a PPI (the Pi 3: a local source): this core's */
	return 0;
}

static void turn_arm(unsigned me)
{
	write_sysreg(cnthp_cval_el2, read_sysreg(cntpct_el0) + period);
	write_sysreg(cnthp_ctl_el2, CNT_CTL_ENABLE);
	isb();
	turn_armed[me] = true;
}

void timer_turn(bool on)
{
	unsigned me = smp_this_cpu();
	if (me == 0 || me >= FDT_CPUS_MAX)
		return;                 /* the boot CPU's tick ends turns there */
	turn_wanted[me] = on;
	if (on) {
		turn_arm(me);           /* a full tick from this pass of the scheduler */
	} else if (turn_armed[me]) {
		write_sysreg(cnthp_ctl_el2, 0);
		isb();
		turn_armed[me] = false;
	}
}

/* A turn whose timer went off before the vCPU got into the guest (an interrupt handled
 * meanwhile ran long) would have no end: the entry arms it again. Interrupts masked. */
void timer_turn_enter(void)
{
	unsigned me = smp_this_cpu();
	if (me != 0 && me < FDT_CPUS_MAX && turn_wanted[me] && !turn_armed[me])
		turn_arm(me);
}

uint64_t timer_turns_ended(unsigned core)
{
	return core < FDT_CPUS_MAX ? __atomic_load_n(&turns_ended[core], __ATOMIC_RELAXED) : 0;
}
