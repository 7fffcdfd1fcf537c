/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vGIC backend for GICv3 hosts whose CPUs have the GICv3 virtual CPU
 * interface (QEMU virt with gic-version=3): the guest sees a GICv3
 * (vgic_v3.c) and its ICC_* system register accesses (acknowledge, EOI,
 * priority mask, ...) go to the virtual CPU interface (ICV_*, HCR_EL2.IMO and
 * FMO set) without a trap; the hypervisor presents interrupts through the
 * ICH_LR<n>_EL2 list registers. As in the GICv2 list-register backend
 * (vgic_lr.c): level-triggered and forwarded (passthrough) interrupts ask for
 * EOI maintenance, so a line still high is presented again and a forwarded
 * one is unmasked at the host as soon as the guest completes it; more
 * interrupts than list registers ask for an underflow maintenance interrupt.
 * The list registers, ICH_VMCR (the guest's PMR, BPRs, group enables) and the
 * active priorities belong to one vCPU at a time: save/restore park them.
 *
 * A GICv3 SGI has no source in ICC_IAR1_EL1: an SGI pending from several
 * vCPUs is delivered once, its sources all consumed.
 */
#include <arch/vgic.h>
#include <mamoru/console.h>
#include <mamoru/guest.h>
#include <mamoru/irq.h>
#include <mamoru/libc.h>

#include <drivers/irqchip/gicv3.h>

#include "ich.h"

#define MAX_LRS 16
#define SRE_SRE (1u << 0)
#define SRE_DFB (1u << 1)
#define SRE_DIB (1u << 2)
#define SRE_ENABLE (1u << 3)

static unsigned nr_lrs, nr_aprs;

/* The guest deactivated an interrupt that asked for EOI maintenance, or the list
 * registers ran low while more waits: clear the EOI bits (EISR drops) and the
 * underflow request so the level interrupt goes away; sync() and flush() do the
 * rest on the way back into the guest. */
static void maintenance(unsigned irq, void *arg)
{
	(void)irq;
	(void)arg;
	uint64_t eisr = ich_read(ICH_EISR, 0);
	for (unsigned n = 0; n < nr_lrs; n++)
		if (eisr & (1ull << n))
			ich_write(ICH_LR, n, ich_read(ICH_LR, n) & ~ICH_LR_EOI);
	ich_write(ICH_HCR, 0, ich_read(ICH_HCR, 0) & ~(uint64_t)ICH_HCR_UIE);
}

static int maint_irq = -1;

/* This core's ICH_* registers: the system-register interface on for EL1, the
 * list registers empty, its maintenance interrupt (a PPI) on. */
static int ich_cpu_init(void)
{
	if (!ich_cpu_has_gicv3())
		return -1;
	/* EL1 may use the system-register interface (ICC_SRE_EL1 does not trap) and
	 * finds it on: SRE, with IRQ/FIQ bypass disabled. */
	ich_write(ICH_SRE_EL2, 0, ich_read(ICH_SRE_EL2, 0) | SRE_SRE | SRE_ENABLE);
	ich_write(ICH_SRE_EL1, 0, SRE_SRE | SRE_DFB | SRE_DIB);
	if (!(ich_read(ICH_SRE_EL2, 0) & SRE_SRE))
		return -1;
	ich_write(ICH_HCR, 0, 0);
	ich_write(ICH_VMCR, 0, 0);
	for (unsigned n = 0; n < nr_aprs; n++) {
		ich_write(ICH_AP0R, n, 0);
		ich_write(ICH_AP1R, n, 0);
	}
	for (unsigned n = 0; n < nr_lrs; n++)
		ich_write(ICH_LR, n, 0);
	if (maint_irq >= 0)
		irq_enable((unsigned)maint_irq);
	return 0;
}

static int ich_host_init(void)
{
	if (!gicv3_ready() || !ich_cpu_has_gicv3())
		return -1;
	uint64_t vtr = ich_read(ICH_VTR, 0);
	nr_lrs = MIN(ICH_VTR_LISTREGS(vtr), (unsigned)MAX_LRS);
	nr_aprs = ich_apr_count(vtr);
	int maint = gicv3_maint_irq();
	if (maint < 0 || irq_register_vcpu((unsigned)maint, "vgic maintenance", maintenance, NULL))
		printk("vgic: no GICv3 maintenance interrupt; level and passed-through interrupts "
		       "complete only at the next exit\n");
	else
		maint_irq = maint;
	return ich_cpu_init();
}

static int ich_guest_init(struct vgic *v, uint64_t gicc_ipa, uint64_t gicc_size)
{
	(void)v;
	(void)gicc_ipa;
	(void)gicc_size;
	return 0;    /* nothing to map: the CPU interface is system registers */
}

/* A reset guest is never the one on the CPU (guest_reset puts it first), so only
 * its vCPUs' parked copies are cleared; restore() loads such a copy. */
static void ich_reset(struct vgic *v)
{
	for (unsigned c = 0; c < VGIC_MAX_VCPUS; c++) {
		struct vgic_cpu *vc = &v->cpu[c];
		memset(vc->saved_lr, 0, sizeof(vc->saved_lr));
		memset(vc->saved_ap0r, 0, sizeof(vc->saved_ap0r));
		memset(vc->saved_ap1r, 0, sizeof(vc->saved_ap1r));
		vc->saved_vmcr = vc->saved_hcr = 0;
	}
}

/* irq sits in one of vCPU cpu's list registers (an SPI in no other vCPU's). */
static bool in_lr(const struct vgic *v, unsigned cpu, unsigned irq)
{
	return ((vgic_cbits_of(v, cpu, irq)->in_lr >> (irq % 32)) & 1) &&
	       (irq < 32 || v->owner[irq] == cpu);
}

/* The list registers hold vCPU cpu (the one loaded): collect what it finished. */
static void ich_sync(struct vgic *v, unsigned cpu)
{
	for (unsigned irq = 0; irq < VGIC_NR_IRQS; irq++) {
		if (!in_lr(v, cpu, irq))
			continue;
		unsigned n = v->cpu[cpu].lr_of[irq];
		uint64_t lr = ich_read(ICH_LR, n);
		if (ich_lr_intid(lr) != irq || ich_lr_state(lr) == 0) {
			ich_write(ICH_LR, n, 0);
			vgic_completed(v, cpu, irq);
		}
	}
}

/* A GICv3 IAR has no SGI source: an SGI pending from several vCPUs goes once. */
static void ich_put(struct vgic *v, unsigned cpu, unsigned n, unsigned irq, uint32_t iar, bool eoi)
{
	(void)iar;
	if (irq < 16)
		v->cpu[cpu].sgi_pending[irq] = 0;     /* one SGI for every source */
	bool grp1 = vgic_cbits_of(v, cpu, irq)->group & (1u << (irq % 32));
	ich_write(ICH_LR, n, ich_lr_make(irq, vgic_priority(v, cpu, irq), grp1, eoi));
}

static void ich_ask_eoi(unsigned n)
{
	ich_write(ICH_LR, n, ich_read(ICH_LR, n) | ICH_LR_EOI);
}

static void ich_flush(struct vgic *v, unsigned cpu)
{
	ich_sync(v, cpu);
	bool overflow = vgic_fill_lrs(v, cpu, ich_read(ICH_ELRSR, 0), nr_lrs, ich_put);
	vgic_ask_eoi_if_pending_again(v, cpu, ich_ask_eoi);
	ich_write(ICH_HCR, 0, ICH_HCR_EN | (overflow ? ICH_HCR_UIE : 0));
}

static void ich_save(struct vgic *v, unsigned cpu)
{
	struct vgic_cpu *c = &v->cpu[cpu];
	c->saved_hcr = (uint32_t)ich_read(ICH_HCR, 0);
	c->saved_vmcr = (uint32_t)ich_read(ICH_VMCR, 0);
	ich_write(ICH_HCR, 0, 0);
	for (unsigned n = 0; n < nr_aprs; n++) {
		c->saved_ap0r[n] = (uint32_t)ich_read(ICH_AP0R, n);
		c->saved_ap1r[n] = (uint32_t)ich_read(ICH_AP1R, n);
		ich_write(ICH_AP0R, n, 0);
		ich_write(ICH_AP1R, n, 0);
	}
	for (unsigned n = 0; n < nr_lrs; n++) {
		c->saved_lr[n] = ich_read(ICH_LR, n);
		ich_write(ICH_LR, n, 0);
	}
}

static void ich_restore(struct vgic *v, unsigned cpu)
{
	const struct vgic_cpu *c = &v->cpu[cpu];
	ich_write(ICH_VMCR, 0, c->saved_vmcr);
	for (unsigned n = 0; n < nr_aprs; n++) {
		ich_write(ICH_AP0R, n, c->saved_ap0r[n]);
		ich_write(ICH_AP1R, n, c->saved_ap1r[n]);
	}
	for (unsigned n = 0; n < nr_lrs; n++)
		ich_write(ICH_LR, n, c->saved_lr[n]);
	ich_write(ICH_HCR, 0, c->saved_hcr);
}

const struct vgic_backend vgic_ich_backend = {
	.name = "gicv3 list registers (ich)",
	.gicv3 = true,
	.host_init = ich_host_init,
	.cpu_init = ich_cpu_init,
	.guest_init = ich_guest_init,
	.flush = ich_flush,
	.sync = ich_sync,
	.reset = ich_reset,
	.save = ich_save,
	.restore = ich_restore,
};
