/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest's virtual timer. The guest programs CNTV_* directly; when it
 * fires, the physical PPI 27 reaches the hypervisor, which masks the timer
 * (CNTV_CTL.IMASK, as the guest's own handler would) and injects virtual
 * PPI 27. The guest sees the mask and rearms the timer as usual.
 */
#include <arch/cpu.h>
#include <arch/sysreg.h>
#include <arch/sysreg_bits.h>
#include <arch/vtimer.h>
#include <mamoru/console.h>
#include <mamoru/fdt.h>
#include <mamoru/fdt_cpus.h>
#include <mamoru/guest.h>
#include <mamoru/irq.h>
#include <mamoru/smp.h>

#define VTIMER_PPI 27

/* Per core: the guest whose vCPU's timer state is on it, and which of its vCPUs. */
static struct guest *owner_on[FDT_CPUS_MAX];
static unsigned owner_cpu_on[FDT_CPUS_MAX];
static int timer_irq = -1;

void vtimer_set_owner(struct guest *g, unsigned cpu)
{
	owner_on[smp_this_cpu()] = g;
	owner_cpu_on[smp_this_cpu()] = cpu;
}

static void vtimer_fired(unsigned irq, void *arg)
{
	(void)irq;
	(void)arg;
	write_sysreg(cntv_ctl_el0, read_sysreg(cntv_ctl_el0) | CNT_CTL_IMASK);
	isb();
	struct guest *owner = owner_on[smp_this_cpu()];
	if (owner)
		vgic_raise_private(&owner->arch.vgic, owner_cpu_on[smp_this_cpu()], VTIMER_PPI);
}

static void timer_regs(void)
{
	/* EL1 may read the physical counter; the physical timer is not offered. */
	write_sysreg(cnthctl_el2, CNTHCTL_EL1PCTEN);
	write_sysreg(cntvoff_el2, 0);
}

int vtimer_host_init(const struct fdt *fdt)
{
	unsigned irq;
	int node = timer_dt_node(fdt);
	/* DT order: secure phys, non-secure phys, virtual, hyp. */
	if (node < 0 || irq_of_node(fdt, node, 2, &irq))
		return -1;
	timer_regs();
	if (irq_register_vcpu(irq, "guest virtual timer", vtimer_fired, NULL))
		return -1;
	timer_irq = (int)irq;
	return vtimer_cpu_init();
}

int vtimer_cpu_init(void)
{
	timer_regs();
	if (timer_irq < 0)
		return -1;
	irq_enable((unsigned)timer_irq);    /* a PPI: this core's */
	return 0;
}
