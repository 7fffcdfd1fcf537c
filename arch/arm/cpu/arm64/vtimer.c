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
#include <mamoru/guest.h>
#include <mamoru/irq.h>

#define VTIMER_PPI 27

static struct guest *owner;   /* the guest whose timer state is on the CPU */

void vtimer_set_owner(struct guest *g)
{
	owner = g;
}

static void vtimer_fired(unsigned irq, void *arg)
{
	(void)irq;
	(void)arg;
	write_sysreg(cntv_ctl_el0, read_sysreg(cntv_ctl_el0) | CNT_CTL_IMASK);
	isb();
	if (owner)
		vgic_raise_private(&owner->arch.vgic, 0, VTIMER_PPI);
}

int vtimer_host_init(const struct fdt *fdt)
{
	unsigned irq;
	int node = timer_dt_node(fdt);
	/* DT order: secure phys, non-secure phys, virtual, hyp. */
	if (node < 0 || irq_of_node(fdt, node, 2, &irq))
		return -1;
	/* EL1 may read the physical counter; the physical timer is not offered. */
	write_sysreg(cnthctl_el2, CNTHCTL_EL1PCTEN);
	write_sysreg(cntvoff_el2, 0);
	if (irq_register(irq, "guest virtual timer", vtimer_fired, NULL))
		return -1;
	irq_enable(irq);
	return 0;
}
