/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vGIC backend without hardware help: the guest's GICv2 CPU interface is
 * emulated (its accesses trap through stage 2) and a pending interrupt is
 * signalled with HCR_EL2.VI. Used on the Raspberry Pi 3, which has no GIC,
 * and on GICv3 hosts. Costs a trap for each acknowledge and EOI.
 */
#include <arch/sysreg.h>
#include <arch/sysreg_bits.h>
#include <arch/vgic.h>
#include <mamoru/guest.h>
#include <mamoru/libc.h>

#define GICC_CTLR 0x000
#define GICC_PMR 0x004
#define GICC_BPR 0x008
#define GICC_IAR 0x00c
#define GICC_EOIR 0x010
#define GICC_RPR 0x014
#define GICC_HPPIR 0x018
#define GICC_AIAR 0x020
#define GICC_AEOIR 0x024
#define GICC_AHPPIR 0x028
#define GICC_IIDR 0x0fc
#define GICC_DIR 0x1000
#define GICC_SIZE 0x2000
#define SPURIOUS 1023

/* Priority of the highest-priority active interrupt (0x100: none). */
static unsigned running_priority(const struct vgic *v)
{
	unsigned best = 0x100;
	for (unsigned irq = 0; irq < VGIC_NR_IRQS; irq++)
		if (vgic_bit(v->active, irq) && v->priority[irq] < best)
			best = v->priority[irq];
	return best;
}

/* The interrupt the guest would be given now, or SPURIOUS. */
static unsigned highest_pending(const struct vgic *v)
{
	unsigned best = SPURIOUS, best_prio = MIN(running_priority(v), v->cpu_pmr);
	if (!(v->cpu_ctlr & 1))
		return SPURIOUS;
	for (unsigned irq = 0; irq < VGIC_NR_IRQS; irq++)
		if (vgic_deliverable(v, irq) && v->priority[irq] < best_prio) {
			best = irq;
			best_prio = v->priority[irq];
		}
	return best;
}

static int cpu_read(struct vdev *d, uint64_t off, unsigned size, uint64_t *val)
{
	struct vgic *v = d->priv;
	(void)size;
	switch (off) {
	case GICC_CTLR: *val = v->cpu_ctlr; return 0;
	case GICC_PMR: *val = v->cpu_pmr; return 0;
	case GICC_BPR: *val = v->cpu_bpr; return 0;
	case GICC_IAR:
	case GICC_AIAR: {
		unsigned irq = highest_pending(v);
		if (irq != SPURIOUS) {
			v->active[irq / 32] |= 1u << (irq % 32);
			v->pending[irq / 32] &= ~(1u << (irq % 32));
			v->injected++;
		}
		*val = irq;
		return 0;
	}
	case GICC_RPR: {
		unsigned p = running_priority(v);
		*val = p == 0x100 ? 0xff : p;
		return 0;
	}
	case GICC_HPPIR:
	case GICC_AHPPIR: *val = highest_pending(v); return 0;
	case GICC_IIDR: *val = 0x0202043b; return 0;   /* GICv2, ARM */
	default: *val = 0; return 0;
	}
}

static int cpu_write(struct vdev *d, uint64_t off, unsigned size, uint64_t val)
{
	struct vgic *v = d->priv;
	(void)size;
	switch (off) {
	case GICC_CTLR: v->cpu_ctlr = (uint32_t)val & 0x3ff; return 0;
	case GICC_PMR: v->cpu_pmr = (uint32_t)val & 0xff; return 0;
	case GICC_BPR: v->cpu_bpr = (uint32_t)val & 7; return 0;
	case GICC_EOIR:
	case GICC_AEOIR:
	case GICC_DIR: {
		unsigned irq = (unsigned)val & 0x3ff;
		if (irq < VGIC_NR_IRQS)
			vgic_completed(v, irq);
		return 0;
	}
	default: return 0;
	}
}

static const struct vdev_ops cpu_ops = {
	.read = cpu_read,
	.write = cpu_write,
};

static int sw_host_init(void)
{
	return 0;   /* needs nothing from the host */
}

static int sw_guest_init(struct vgic *v, uint64_t gicc_ipa, uint64_t gicc_size)
{
	struct guest *g = v->guest;
	(void)gicc_size;
	return guest_add_vdev(g, "gicv2-cpu", gicc_ipa, GICC_SIZE, &cpu_ops, v) ? 0 : -1;
}

/* Raise or drop the virtual IRQ line before entering the guest. */
static void sw_flush(struct vgic *v)
{
	uint64_t hcr = read_sysreg(hcr_el2);
	uint64_t want = highest_pending(v) != SPURIOUS ? (hcr | HCR_VI) : (hcr & ~HCR_VI);
	if (want != hcr)
		write_sysreg(hcr_el2, want);
}

static void sw_sync(struct vgic *v)
{
	(void)v;
}

static void sw_reset(struct vgic *v)
{
	v->cpu_ctlr = 0;
	v->cpu_pmr = 0;
	v->cpu_bpr = 0;
}

const struct vgic_backend vgic_sw_backend = {
	.name = "emulated gicv2 cpu interface",
	.host_init = sw_host_init,
	.guest_init = sw_guest_init,
	.flush = sw_flush,
	.sync = sw_sync,
	.reset = sw_reset,
};
