/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vGIC backend for hosts with the GICv2 virtualisation extension (QEMU virt
 * with GICv2, the Raspberry Pi 4's GIC-400): the guest's GICC accesses go
 * straight to the hardware virtual CPU interface (GICV, mapped by stage 2),
 * and the hypervisor presents interrupts through the list registers (GICH).
 * Level-triggered interrupts ask for an EOI maintenance interrupt so a line
 * that is still high is presented again as soon as the guest finishes it;
 * forwarded ones (passthrough) too, so their host interrupt is unmasked then.
 */
#include <arch/stage2.h>
#include <arch/vgic.h>
#include <mamoru/console.h>
#include <mamoru/driver.h>
#include <mamoru/guest.h>
#include <mamoru/irq.h>
#include <mamoru/libc.h>

#include <drivers/irqchip/gicv2.h>

#define GICH_HCR 0x000
#define GICH_VTR 0x004
#define GICH_VMCR 0x008
#define GICH_EISR0 0x020
#define GICH_ELRSR0 0x030
#define GICH_APR 0x0f0
#define GICH_LR(n) (0x100 + 4 * (n))

#define GICH_HCR_EN (1u << 0)
#define GICH_HCR_UIE (1u << 1)
#define LR_EOI (1u << 19)
#define LR_PENDING (1u << 28)
#define LR_STATE(lr) (((lr) >> 28) & 3)
#define LR_GRP1 (1u << 30)
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
	wr(GICH_HCR, 0);
	for (unsigned n = 0; n < nr_lrs; n++)
		wr(GICH_LR(n), 0);
	if (info->maint_irq >= 0 &&
	    irq_register((unsigned)info->maint_irq, "vgic maintenance", maintenance, NULL) == 0)
		irq_enable((unsigned)info->maint_irq);
	return 0;
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
 * its parked copy is cleared; restore() loads that copy. */
static void lr_reset(struct vgic *v)
{
	memset(v->saved_lr, 0, sizeof(v->saved_lr));
	v->saved_vmcr = v->saved_apr = v->saved_hcr = 0;
}

static void lr_sync(struct vgic *v)
{
	for (unsigned irq = 0; irq < VGIC_NR_IRQS; irq++) {
		if (!vgic_bit(v->in_lr, irq))
			continue;
		unsigned n = v->lr_of[irq];
		uint32_t lr = rd(GICH_LR(n));
		if ((lr & 0x3ff) != irq || LR_STATE(lr) == 0) {
			wr(GICH_LR(n), 0);
			vgic_completed(v, irq);
		}
	}
}

static void lr_flush(struct vgic *v)
{
	bool overflow = false;

	lr_sync(v);
	uint64_t free = rd(GICH_ELRSR0) | ((uint64_t)rd(GICH_ELRSR0 + 4) << 32);
	for (unsigned irq = 0; irq < VGIC_NR_IRQS; irq++) {
		if (!vgic_deliverable(v, irq))
			continue;
		unsigned n = 0;
		while (n < nr_lrs && !(free & (1ull << n)))
			n++;
		if (n == nr_lrs) {
			overflow = true;
			break;
		}
		free &= ~(1ull << n);
		bool level = vgic_bit(v->level, irq);
		uint32_t lr = irq | ((uint32_t)(v->priority[irq] >> 3) << 23) | LR_PENDING |
			      (vgic_bit(v->group, irq) ? LR_GRP1 : 0) |
			      (level || vgic_bit(v->forwarded, irq) ? LR_EOI : 0);
		wr(GICH_LR(n), lr);
		v->in_lr[irq / 32] |= 1u << (irq % 32);
		v->pending[irq / 32] &= ~(1u << (irq % 32));
		v->lr_of[irq] = (uint8_t)n;
	}
	/* More waiting than list registers: ask for an underflow interrupt. */
	wr(GICH_HCR, GICH_HCR_EN | (overflow ? GICH_HCR_UIE : 0));
}

/* The list registers, VMCR (the guest's GICV_CTLR/PMR/BPR) and the active
 * priorities belong to the guest on the CPU: park them on a switch. */
static void lr_save(struct vgic *v)
{
	v->saved_hcr = rd(GICH_HCR);
	v->saved_vmcr = rd(GICH_VMCR);
	v->saved_apr = rd(GICH_APR);
	wr(GICH_HCR, 0);
	for (unsigned n = 0; n < nr_lrs; n++) {
		v->saved_lr[n] = rd(GICH_LR(n));
		wr(GICH_LR(n), 0);
	}
}

static void lr_restore(struct vgic *v)
{
	wr(GICH_VMCR, v->saved_vmcr);
	wr(GICH_APR, v->saved_apr);
	for (unsigned n = 0; n < nr_lrs; n++)
		wr(GICH_LR(n), v->saved_lr[n]);
	wr(GICH_HCR, v->saved_hcr);
}

const struct vgic_backend vgic_lr_backend = {
	.name = "gicv2 list registers",
	.host_init = lr_host_init,
	.guest_init = lr_guest_init,
	.flush = lr_flush,
	.sync = lr_sync,
	.reset = lr_reset,
	.save = lr_save,
	.restore = lr_restore,
};
