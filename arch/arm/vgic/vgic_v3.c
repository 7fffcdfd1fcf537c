/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest's GICv3 view (on hosts whose vGIC backend is the GICv3 virtual CPU
 * interface, vgic_ich.c): an emulated distributor with affinity routing only
 * (GICD_CTLR.ARE and DS read as one), one emulated redistributor per vCPU,
 * and the few CPU interface system registers that trap to EL2 (SGIs). The
 * state is the one struct vgic that the GICv2 view uses (vgic.c): banked
 * SGIs/PPIs per vCPU, SPIs routed by targets[] (GICD_IROUTER Aff0 = vCPU).
 *
 * Register layout: GIC architecture specification v3/v4 (IHI 0069), 12.9
 * (distributor) and 12.10-12.11 (redistributor RD_base and SGI_base frames).
 * Registers this model has no use for (LPIs, extended SPIs, message-based
 * SPIs, GICR_PROPBASER ...) read as zero and ignore writes; the 32-bit
 * registers take word accesses, IROUTER and GICR_TYPER also doublewords.
 *
 * SGIs: a GICv3 SGI is pending once per target (no source in ICC_IAR1);
 * the shared state keeps the source vCPUs as the GICv2 view needs them and
 * the ICH backend delivers all sources of an SGI as one.
 */
#include <arch/sysreg_emul.h>
#include <arch/vgic.h>
#include <mamoru/guest.h>
#include <mamoru/libc.h>

#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IIDR 0x0008
#define GICD_IROUTER 0x6000
#define GICD_PIDR2 0xffe8

#define GICD_CTLR_GRP_MASK 0x3u          /* EnableGrp0, EnableGrp1 (DS=1) */
#define GICD_CTLR_ARE (1u << 4)
#define GICD_CTLR_DS (1u << 6)
#define IROUTER_IRM (1ull << 31)

#define GICR_CTLR 0x0000
#define GICR_IIDR 0x0004
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_PIDR2 0xffe8
#define GICR_SGI_BASE 0x10000
#define GICR_TYPER_LAST (1ull << 4)
#define GICR_WAKER_SLEEP (1u << 1)
#define GICR_WAKER_ASLEEP (1u << 2)

#define IIDR_V3 0x0300043bu              /* implementer ARM (0x43b), a GICv3 product */
#define PIDR2_V3 (0x3u << 4)             /* ArchRev: GICv3 */

/* The CPU interface registers a guest's access traps on (HCR_EL2.IMO/FMO). */
#define ICC_SGI1R_EL1 SYSREG_ENC(3, 0, 12, 11, 5)
#define ICC_ASGI1R_EL1 SYSREG_ENC(3, 0, 12, 11, 6)
#define ICC_SGI0R_EL1 SYSREG_ENC(3, 0, 12, 11, 7)
#define ICC_SRE_EL1_VALUE 0x7u            /* SRE, DFB, DIB */
#define PFR0_GIC_SHIFT 24

static unsigned accessor(const struct vgic *v)
{
	unsigned cpu = vgic_current_vcpu(v->guest);
	return cpu < v->nr_cpus ? cpu : 0;
}

/* GICD_IROUTER<irq> as the state holds it: Aff0 the target vCPU, or IRM. */
static uint64_t irouter(const struct vgic *v, unsigned irq)
{
	if (v->irm & (1ull << irq))
		return IROUTER_IRM;
	unsigned t = vgic_spi_target(v, irq);
	return t == VGIC_NO_VCPU ? 0xff : t;  /* an Aff0 no vCPU has */
}

static void set_irouter(struct vgic *v, unsigned irq, uint64_t r)
{
	if (v->nr_cpus == 1)
		return;                                /* fixed at vCPU 0, as with GICv2 */
	if (r & IROUTER_IRM) {
		/* 1 of N: any vCPU; vgic_spi_target takes the lowest. */
		v->irm |= 1ull << irq;
		v->targets[irq] = (uint8_t)((1u << v->nr_cpus) - 1);
		return;
	}
	v->irm &= ~(1ull << irq);
	unsigned aff0 = (unsigned)(r & 0xff);
	bool cluster0 = (r & 0xff00ffff00ull) == 0;   /* Aff3, Aff2, Aff1 */
	v->targets[irq] = cluster0 && aff0 < v->nr_cpus ? (uint8_t)(1u << aff0) : 0;
}

static int v3_dist_read(struct vdev *d, uint64_t off, unsigned size, uint64_t *val)
{
	struct vgic *v = d->priv;
	*val = 0;
	if (off >= GICD_IROUTER && off < GICD_IROUTER + 8ull * VGIC_NR_IRQS) {
		unsigned irq = (unsigned)(off - GICD_IROUTER) / 8, half = (unsigned)(off & 7);
		if (irq < 32 || !(size == 8 ? half == 0 : size == 4 && (half == 0 || half == 4)))
			return 0;
		uint64_t r = irouter(v, irq);
		*val = size == 8 ? r : (uint32_t)(r >> (8 * half));
		return 0;
	}
	if (vgic_common_read(v, accessor(v), off, size, val, 32, VGIC_NR_IRQS) || size != 4 ||
	    (off & 3))
		return 0;
	switch (off) {
	case GICD_CTLR: *val = v->v3_ctlr | GICD_CTLR_ARE | GICD_CTLR_DS; return 0;
	/* ITLinesNumber (64 interrupts), IDbits (23:19) 9: 10-bit interrupt IDs. */
	case GICD_TYPER: *val = (VGIC_NR_IRQS / 32 - 1) | 9u << 19; return 0;
	case GICD_IIDR: *val = IIDR_V3; return 0;
	case GICD_PIDR2: *val = PIDR2_V3; return 0;
	default: return 0;
	}
}

static int v3_dist_write(struct vdev *d, uint64_t off, unsigned size, uint64_t val)
{
	struct vgic *v = d->priv;
	if (off >= GICD_IROUTER && off < GICD_IROUTER + 8ull * VGIC_NR_IRQS) {
		unsigned irq = (unsigned)(off - GICD_IROUTER) / 8, half = (unsigned)(off & 7);
		if (irq < 32)
			return 0;
		if (size == 8 && half == 0) {
			set_irouter(v, irq, val);
		} else if (size == 4 && (half == 0 || half == 4)) {
			uint64_t r = irouter(v, irq) & (half ? 0xffffffffull : ~0xffffffffull);
			set_irouter(v, irq, r | (uint64_t)(uint32_t)val << (8 * half));
		}
		return 0;
	}
	if (vgic_common_write(v, accessor(v), off, size, val, 32, VGIC_NR_IRQS, true) || size != 4 ||
	    (off & 3))
		return 0;
	if (off == GICD_CTLR) {
		v->v3_ctlr = (uint8_t)(val & GICD_CTLR_GRP_MASK);
		v->enabled = v->v3_ctlr != 0;
	}
	return 0;
}

/* The redistributors: vCPU n's frames at n * VGIC_V3_GICR_STRIDE. */
static int v3_rdist_read(struct vdev *d, uint64_t off, unsigned size, uint64_t *val)
{
	struct vgic *v = d->priv;
	unsigned cpu = (unsigned)(off / VGIC_V3_GICR_STRIDE);
	off %= VGIC_V3_GICR_STRIDE;
	*val = 0;
	if (cpu >= v->nr_cpus)
		return 0;
	if (off >= GICR_SGI_BASE) {
		vgic_common_read(v, cpu, off - GICR_SGI_BASE, size, val, 0, 32);
		return 0;
	}
	if (off == GICR_TYPER && (size == 8 || size == 4)) {
		/* Affinity Aff0 = vCPU [63:32], Processor_Number [23:8], Last [4]. */
		uint64_t t = (uint64_t)cpu << 32 | (uint64_t)cpu << 8 |
			     (cpu + 1 == v->nr_cpus ? GICR_TYPER_LAST : 0);
		*val = size == 8 ? t : (uint32_t)t;
		return 0;
	}
	if (off == GICR_TYPER + 4 && size == 4) {
		*val = cpu;
		return 0;
	}
	if (size != 4 || (off & 3))
		return 0;
	switch (off) {
	case GICR_IIDR: *val = IIDR_V3; return 0;
	case GICR_WAKER:
		*val = v->cpu[cpu].rd_asleep ? GICR_WAKER_SLEEP | GICR_WAKER_ASLEEP : 0;
		return 0;
	case GICR_PIDR2: *val = PIDR2_V3; return 0;
	default: return 0;              /* GICR_CTLR: no LPIs, RWP never set */
	}
}

static int v3_rdist_write(struct vdev *d, uint64_t off, unsigned size, uint64_t val)
{
	struct vgic *v = d->priv;
	unsigned cpu = (unsigned)(off / VGIC_V3_GICR_STRIDE);
	off %= VGIC_V3_GICR_STRIDE;
	if (cpu >= v->nr_cpus)
		return 0;
	if (off >= GICR_SGI_BASE)
		vgic_common_write(v, cpu, off - GICR_SGI_BASE, size, val, 0, 32, true);
	else if (off == GICR_WAKER && size == 4)
		v->cpu[cpu].rd_asleep = (val & GICR_WAKER_SLEEP) != 0;
	return 0;
}

/* A guest reset (guest_reset_vdevs): the whole GIC as after power-on, the parked
 * CPU interface state of every vCPU included (the backend's reset). */
static void v3_dist_reset(struct vdev *d)
{
	vgic_reset(d->priv);
}

const struct vdev_ops vgic_v3_dist_ops = {
	.read = v3_dist_read,
	.write = v3_dist_write,
	.reset = v3_dist_reset,
};

const struct vdev_ops vgic_v3_rdist_ops = {
	.read = v3_rdist_read,
	.write = v3_rdist_write,
};

enum vgic_sysreg_result vgic_sysreg(struct vgic *v, unsigned cpu, uint32_t enc, bool read,
				    uint64_t *val)
{
	if (!v->v3)
		return VGIC_SYSREG_NOT_MINE;
	switch (enc) {
	case ICC_SGI1R_EL1:
		if (read)
			return VGIC_SYSREG_UNDEF;      /* write-only */
		vgic_v3_sgi1r(v, cpu, *val);
		return VGIC_SYSREG_DONE;
	case ICC_ASGI1R_EL1:
	case ICC_SGI0R_EL1:
		/* Group 0 SGIs, or group 1 of the other security state: the guest's
		 * GIC has one security state and its interrupts are all group 1. */
		return read ? VGIC_SYSREG_UNDEF : VGIC_SYSREG_DONE;
	case SYSREG_ICC_SRE_EL1:
		if (read)
			*val = ICC_SRE_EL1_VALUE;
		return VGIC_SYSREG_DONE;
	default:
		return VGIC_SYSREG_NOT_MINE;
	}
}

uint64_t vgic_guest_pfr0(const struct vgic *v, uint64_t val)
{
	val &= ~(0xfull << PFR0_GIC_SHIFT);
	return v->v3 ? val | 1ull << PFR0_GIC_SHIFT : val;
}
