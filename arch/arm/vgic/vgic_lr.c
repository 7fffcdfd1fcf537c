/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vGIC backend for hosts with the GICv2 virtualisation extension (QEMU virt
 * with GICv2, the Raspberry Pi 4's GIC-400): the guest's GICC accesses go
 * straight to the hardware virtual CPU interface (GICV, mapped by stage 2),
 * and the hypervisor presents interrupts through the list registers (GICH).
 * Level-triggered interrupts ask for an EOI maintenance interrupt so a line
 * that is still high is presented again as soon as the guest finishes it;
 * forwarded ones (passthrough) too, so their host interrupt is unmasked then.
 * The list registers hold one vCPU at a time (save/restore swap them with
 * the vCPU's parked copy); the maintenance interrupt serves the one loaded.
 */
#include <arch/stage2.h>
#include <arch/vgic.h>
#include <mamoru/console.h>
#include <mamoru/driver.h>
#include <mamoru/guest.h>
#include <mamoru/irq.h>
#include <mamoru/libc.h>

#include <drivers/irqchip/gicv2.h>

#include "gich.h"

#define MAX_LRS 16      /* GICv2 has at most 64; list-register hosts here have 4 */

static uintptr_t gich, gicv;
static uint64_t gicv_size;
static unsigned nr_lrs;

static uint32_t rd(unsigned off) { return mmio_read32(gich + off); }
static void wr(unsigned off, uint32_t v) { mmio_write32(gich + off, v); }

/* The guest finished an interrupt that asked for EOI maintenance: clear the
 * EOI bit so the maintenance interrupt drops; sync() collects it. */
static void maintenance(unsigned irq, void *arg)
{
	(void)irq;
	(void)arg;
	uint64_t eisr = rd(GICH_EISR0) | ((uint64_t)rd(GICH_EISR0 + 4) << 32);
	for (unsigned n = 0; n < nr_lrs; n++)
		if (eisr & (1ull << n))
			wr(GICH_LR(n), rd(GICH_LR(n)) & ~LR_EOI);
	wr(GICH_HCR, rd(GICH_HCR) & ~GICH_HCR_UIE);
}

static int maint_irq = -1;

/* This core's GICH (banked per core at the same address): empty, and its
 * maintenance interrupt (a PPI) on. */
static int lr_cpu_init(void)
{
	wr(GICH_HCR, 0);
	for (unsigned n = 0; n < nr_lrs; n++)
		wr(GICH_LR(n), 0);
	if (maint_irq >= 0)
		irq_enable((unsigned)maint_irq);
	return 0;
}

static int lr_host_init(void)
{
	const struct gicv2_info *info = gicv2_info();
	if (!info || !info->gich || !info->gicv)
		return -1;
	gich = info->gich;
	gicv = info->gicv;
	gicv_size = info->gicv_size;
	nr_lrs = (rd(GICH_VTR) & 0x3f) + 1;
	if (nr_lrs > MAX_LRS)
		nr_lrs = MAX_LRS;
	if (info->maint_irq >= 0 &&
	    irq_register_vcpu((unsigned)info->maint_irq, "vgic maintenance", maintenance, NULL) == 0)
		maint_irq = info->maint_irq;
	return lr_cpu_init();
}

static int lr_guest_init(struct vgic *v, uint64_t gicc_ipa, uint64_t gicc_size)
{
	struct guest *g = v->guest;
	/* The GICC frame is 8 KiB (GICC_DIR lives in the second page). */
	uint64_t size = MIN(MAX(gicc_size, 0x2000ull), gicv_size ? gicv_size : 0x2000ull);
	if (stage2_map(&g->arch.s2, gicc_ipa, gicv, ALIGN_UP(size, 0x1000ull), S2_DEVICE)) {
		printk("%s: cannot map the virtual CPU interface at 0x%llx\n", g->name,
		       (unsigned long long)gicc_ipa);
		return -1;
	}
	return 0;
}

/* A reset guest is never the one on the CPU (guest_reset puts it first), so only
 * its vCPUs' parked copies are cleared; restore() loads such a copy. */
static void lr_reset(struct vgic *v)
{
	for (unsigned c = 0; c < VGIC_MAX_VCPUS; c++) {
		struct vgic_cpu *vc = &v->cpu[c];
		memset(vc->saved_lr, 0, sizeof(vc->saved_lr));
		vc->saved_vmcr = vc->saved_apr = vc->saved_hcr = 0;
	}
}

/* irq sits in one of vCPU cpu's list registers (an SPI in no other vCPU's). */
static bool in_lr(const struct vgic *v, unsigned cpu, unsigned irq)
{
	return ((vgic_cbits_of(v, cpu, irq)->in_lr >> (irq % 32)) & 1) &&
	       (irq < 32 || v->owner[irq] == cpu);
}

/* The list registers hold vCPU cpu (the one loaded): collect what it finished. */
static void lr_sync(struct vgic *v, unsigned cpu)
{
	for (unsigned irq = 0; irq < VGIC_NR_IRQS; irq++) {
		if (!in_lr(v, cpu, irq))
			continue;
		unsigned n = v->cpu[cpu].lr_of[irq];
		uint32_t lr = rd(GICH_LR(n));
		if ((lr & 0x3ff) != irq || LR_STATE(lr) == 0) {
			wr(GICH_LR(n), 0);
			vgic_completed(v, cpu, irq);
		}
	}
}

/* vgic_take gives an SGI's source in bits 12:10, the LR's CPUID field. */
static void lr_put(struct vgic *v, unsigned cpu, unsigned n, unsigned irq, uint32_t iar, bool eoi)
{
	bool grp1 = vgic_cbits_of(v, cpu, irq)->group & (1u << (irq % 32));
	wr(GICH_LR(n), iar | ((uint32_t)(vgic_priority(v, cpu, irq) >> 3) << 23) | LR_PENDING |
		       (grp1 ? LR_GRP1 : 0) | (eoi ? LR_EOI : 0));
}

static void lr_ask_eoi(unsigned n)
{
	wr(GICH_LR(n), rd(GICH_LR(n)) | LR_EOI);
}

static void lr_flush(struct vgic *v, unsigned cpu)
{
	lr_sync(v, cpu);
	uint64_t free = rd(GICH_ELRSR0) | ((uint64_t)rd(GICH_ELRSR0 + 4) << 32);
	bool overflow = vgic_fill_lrs(v, cpu, free, nr_lrs, lr_put);
	vgic_ask_eoi_if_pending_again(v, cpu, lr_ask_eoi);
	/* More waiting than list registers: ask for an underflow interrupt. */
	wr(GICH_HCR, GICH_HCR_EN | (overflow ? GICH_HCR_UIE : 0));
}

/* The list registers, VMCR (the guest's GICV_CTLR/PMR/BPR) and the active
 * priorities belong to the vCPU on the CPU: park them when another vCPU (of
 * this guest or another) gets the CPU interface. */
static void lr_save(struct vgic *v, unsigned cpu)
{
	struct vgic_cpu *c = &v->cpu[cpu];
	c->saved_hcr = rd(GICH_HCR);
	c->saved_vmcr = rd(GICH_VMCR);
	c->saved_apr = rd(GICH_APR);
	wr(GICH_HCR, 0);
	for (unsigned n = 0; n < nr_lrs; n++) {
		c->saved_lr[n] = rd(GICH_LR(n));
		wr(GICH_LR(n), 0);
	}
}

static void lr_restore(struct vgic *v, unsigned cpu)
{
	const struct vgic_cpu *c = &v->cpu[cpu];
	wr(GICH_VMCR, c->saved_vmcr);
	wr(GICH_APR, c->saved_apr);
	for (unsigned n = 0; n < nr_lrs; n++)
		wr(GICH_LR(n), (uint32_t)c->saved_lr[n]);
	wr(GICH_HCR, c->saved_hcr);
}

const struct vgic_backend vgic_lr_backend = {
	.name = "gicv2 list registers",
	.host_init = lr_host_init,
	.cpu_init = lr_cpu_init,
	.guest_init = lr_guest_init,
	.flush = lr_flush,
	.sync = lr_sync,
	.reset = lr_reset,
	.save = lr_save,
	.restore = lr_restore,
};
