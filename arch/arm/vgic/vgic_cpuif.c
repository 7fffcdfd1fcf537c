/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The emulated GICv2 CPU interface (GICC) of the software backend, banked per
 * vCPU: each vCPU's accesses reach its own CTLR, PMR, BPR and running
 * priority (vgic_current_vcpu()). GICC_IAR gives an SGI's source vCPU in
 * bits 12:10 and GICC_EOIR/DIR take it back. Pure logic, also built for the
 * host tests; vgic_sw.c signals the result with HCR_EL2.VI.
 */
#include <arch/vgic.h>
#include <mamoru/guest.h>

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

static bool active_on(const struct vgic *v, unsigned cpu, unsigned irq)
{
	const struct vgic_bits *b = vgic_cbits_of(v, cpu, irq);
	return ((b->active >> (irq % 32)) & 1) && (irq < 32 || v->owner[irq] == cpu);
}

/* Priority of vCPU cpu's highest-priority active interrupt (0x100: none). */
static unsigned running_priority(const struct vgic *v, unsigned cpu)
{
	unsigned best = 0x100;
	for (unsigned irq = 0; irq < VGIC_NR_IRQS; irq++)
		if (active_on(v, cpu, irq) && vgic_priority(v, cpu, irq) < best)
			best = vgic_priority(v, cpu, irq);
	return best;
}

unsigned vgic_cpuif_highest(const struct vgic *v, unsigned cpu)
{
	const struct vgic_cpu *c = &v->cpu[cpu];
	unsigned best = VGIC_SPURIOUS, best_prio = MIN(running_priority(v, cpu), c->cpu_pmr);
	if (!(c->cpu_ctlr & 1))
		return VGIC_SPURIOUS;
	for (unsigned irq = 0; irq < VGIC_NR_IRQS; irq++)
		if (vgic_deliverable(v, cpu, irq) && vgic_priority(v, cpu, irq) < best_prio) {
			best = irq;
			best_prio = vgic_priority(v, cpu, irq);
		}
	return best;
}

static unsigned reader(const struct vgic *v)
{
	unsigned cpu = vgic_current_vcpu(v->guest);
	return cpu < v->nr_cpus ? cpu : 0;
}

static int cpu_read(struct vdev *d, uint64_t off, unsigned size, uint64_t *val)
{
	struct vgic *v = d->priv;
	unsigned cpu = reader(v);
	struct vgic_cpu *c = &v->cpu[cpu];
	(void)size;
	switch (off) {
	case GICC_CTLR: *val = c->cpu_ctlr; return 0;
	case GICC_PMR: *val = c->cpu_pmr; return 0;
	case GICC_BPR: *val = c->cpu_bpr; return 0;
	case GICC_IAR:
	case GICC_AIAR: {
		unsigned irq = vgic_cpuif_highest(v, cpu);
		*val = irq;
		if (irq != VGIC_SPURIOUS) {
			*val = vgic_take(v, cpu, irq);
			vgic_bits_of(v, cpu, irq)->active |= 1u << (irq % 32);
		}
		return 0;
	}
	case GICC_RPR: {
		unsigned p = running_priority(v, cpu);
		*val = p == 0x100 ? 0xff : p;
		return 0;
	}
	case GICC_HPPIR:
	case GICC_AHPPIR: {
		unsigned irq = vgic_cpuif_highest(v, cpu);
		/* An SGI: the source the next acknowledge takes, the lowest-numbered. */
		*val = irq < 16 ? irq | (unsigned)__builtin_ctz(c->sgi_pending[irq]) << 10 : irq;
		return 0;
	}
	case GICC_IIDR: *val = 0x0202043b; return 0;   /* GICv2, ARM */
	default: *val = 0; return 0;
	}
}

/* EOIR/DIR: completes what this vCPU has active; an SGI only with the source
 * its acknowledge returned, an SPI only on the vCPU that acknowledged it. */
static void end_of_interrupt(struct vgic *v, unsigned cpu, uint32_t val)
{
	unsigned irq = val & 0x3ff, src = (val >> 10) & 7;
	if (irq >= VGIC_NR_IRQS || !active_on(v, cpu, irq))
		return;
	if (irq < 16 && v->cpu[cpu].sgi_source[irq] != src)
		return;
	vgic_completed(v, cpu, irq);
}

static int cpu_write(struct vdev *d, uint64_t off, unsigned size, uint64_t val)
{
	struct vgic *v = d->priv;
	unsigned cpu = reader(v);
	struct vgic_cpu *c = &v->cpu[cpu];
	(void)size;
	switch (off) {
	case GICC_CTLR: c->cpu_ctlr = (uint32_t)val & 0x3ff; return 0;
	case GICC_PMR: c->cpu_pmr = (uint32_t)val & 0xff; return 0;
	case GICC_BPR: c->cpu_bpr = (uint32_t)val & 7; return 0;
	case GICC_EOIR:
	case GICC_AEOIR:
	case GICC_DIR:
		end_of_interrupt(v, cpu, (uint32_t)val);
		return 0;
	default: return 0;
	}
}

const struct vdev_ops vgic_cpuif_ops = {
	.read = cpu_read,
	.write = cpu_write,
};
