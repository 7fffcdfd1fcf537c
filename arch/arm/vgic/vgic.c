/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Emulated GICv2 distributor for a guest (one vCPU, 64 interrupts) and the
 * interrupt state the backends deliver from. It registers as the guest's
 * interrupt controller emulator; the CPU interface is the backend's.
 *
 * Register access follows the GICv2 architecture specification (IHI 0048B,
 * 4.3): IPRIORITYR, ITARGETSR, CPENDSGIR and SPENDSGIR take byte and word
 * accesses, every other register word accesses only; anything else, and
 * registers of interrupts beyond the 64 implemented, read as zero and
 * ignore writes.
 */
#include <arch/guest_irq.h>
#include <arch/vgic.h>
#include <mamoru/console.h>
#include <mamoru/emulator.h>
#include <mamoru/guest.h>
#include <mamoru/libc.h>
#include <mamoru/passthrough.h>

#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_IIDR 0x008
#define GICD_IGROUPR 0x080
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ISPENDR 0x200
#define GICD_ICPENDR 0x280
#define GICD_ISACTIVER 0x300
#define GICD_ICACTIVER 0x380
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800
#define GICD_ICFGR 0xc00
#define GICD_SGIR 0xf00
#define GICD_CPENDSGIR 0xf10
#define GICD_SPENDSGIR 0xf20
#define GICD_ICPIDR2 0xfe8
#define GICD_SIZE 0x1000

static const struct vgic_backend *backend;

/* Backends built into this image, best first. */
static const struct vgic_backend *const backends[] = {
#ifdef CONFIG_DRIVER_GICV2
	&vgic_lr_backend,
#endif
	&vgic_sw_backend,
	NULL,
};

int vgic_host_init(void)
{
	for (const struct vgic_backend *const *b = backends; *b; b++)
		if ((*b)->host_init() == 0) {
			backend = *b;
			return 0;
		}
	return -1;
}

const char *vgic_backend_name(void)
{
	return backend ? backend->name : "none";
}

static void set_bit(uint32_t *w, unsigned irq, bool on)
{
	if (on)
		w[irq / 32] |= 1u << (irq % 32);
	else
		w[irq / 32] &= ~(1u << (irq % 32));
}

bool vgic_deliverable(const struct vgic *v, unsigned irq)
{
	return v->enabled && vgic_bit(v->enable, irq) && !vgic_bit(v->in_lr, irq) &&
	       !vgic_bit(v->active, irq) && (vgic_bit(v->pending, irq) || vgic_bit(v->level, irq));
}

bool vgic_has_pending(const struct vgic *v, unsigned cpu)
{
	(void)cpu;   /* TEMP until the multi-vCPU vGIC */
	for (unsigned w = 0; w < VGIC_WORDS; w++)
		if ((v->pending[w] | v->level[w] | v->in_lr[w]) & v->enable[w])
			return v->enabled;
	return false;
}

void vgic_set_level(struct vgic *v, unsigned irq, bool level)
{
	if (irq < VGIC_NR_IRQS)
		set_bit(v->level, irq, level);
}

void arch_guest_irq(struct guest *g, unsigned irq, bool level)
{
	vgic_set_level(&g->arch.vgic, irq, level);
}

void vgic_raise_private(struct vgic *v, unsigned cpu, unsigned irq)
{
	(void)cpu;
	vgic_raise(v, irq);
}

void vgic_raise(struct vgic *v, unsigned irq)
{
	if (irq < VGIC_NR_IRQS)
		set_bit(v->pending, irq, true);
}

void vgic_completed(struct vgic *v, unsigned irq)
{
	if (irq < VGIC_NR_IRQS) {
		set_bit(v->in_lr, irq, false);
		set_bit(v->active, irq, false);
		if (vgic_bit(v->forwarded, irq))
			passthrough_eoi(v->guest, irq);
	}
}

unsigned arch_guest_irq_count(void)
{
	return VGIC_NR_IRQS;
}

void arch_guest_irq_forward(struct guest *g, unsigned virq)
{
	if (virq >= 32 && virq < VGIC_NR_IRQS)
		set_bit(g->arch.vgic.forwarded, virq, true);
}

void arch_guest_irq_raise(struct guest *g, unsigned virq)
{
	vgic_raise(&g->arch.vgic, virq);
}

void vgic_flush(struct vgic *v, unsigned cpu)
{
	(void)cpu;
	if (backend)
		backend->flush(v);
}

void vgic_sync(struct vgic *v, unsigned cpu)
{
	(void)cpu;
	if (backend)
		backend->sync(v);
}

void vgic_save(struct vgic *v, unsigned cpu)
{
	(void)cpu;
	if (backend && backend->save)
		backend->save(v);
}

void vgic_restore(struct vgic *v, unsigned cpu)
{
	(void)cpu;
	if (backend && backend->restore)
		backend->restore(v);
}

void vgic_reset(struct vgic *v)
{
	struct guest *g = v->guest;
	memset(v, 0, sizeof(*v));
	v->guest = g;
	for (unsigned i = 0; i < VGIC_NR_IRQS; i++)
		v->priority[i] = 0xa0;
	for (unsigned i = 0; i < 16; i++)    /* SGIs are always enabled */
		set_bit(v->enable, i, true);
	v->config[0] = 0xaaaaaaaau;          /* SGIs are edge-triggered */
	if (backend)
		backend->reset(v);
}

/* The byte-accessible registers: one byte per interrupt. */
static bool byte_reg(uint64_t off, uint64_t base, unsigned *irq)
{
	if (off < base || off - base >= VGIC_NR_IRQS)
		return false;
	*irq = (unsigned)(off - base);
	return true;
}

/* Word n (32 interrupts) of a bitmap register at base; false when off is
 * not in [base, base + 0x80) or beyond the implemented interrupts. */
static bool bitmap_word(uint64_t off, uint64_t base, unsigned *word)
{
	if (off < base || off - base >= 0x80)
		return false;
	*word = (unsigned)(off - base) / 4;
	return *word < VGIC_WORDS;
}

/* GICD_SGIR: SGI to the vCPUs the target list filter names. With one vCPU
 * (number 0) it is the requester: "others only" reaches nobody. */
static void send_sgi(struct vgic *v, uint32_t w)
{
	unsigned sgi = w & 0xf, filter = (w >> 24) & 3, targets = (w >> 16) & 0xff;
	bool self = (filter == 0 && (targets & 1)) || filter == 2;
	if (self)
		set_bit(v->pending, sgi, true);
}

static int dist_read(struct vdev *d, uint64_t off, unsigned size, uint64_t *val)
{
	struct vgic *v = d->priv;
	unsigned irq, word;
	*val = 0;
	if (size == 1 || size == 4) {
		if (byte_reg(off, GICD_IPRIORITYR, &irq)) {
			for (unsigned i = 0; i < size && irq + i < VGIC_NR_IRQS; i++)
				*val |= (uint64_t)v->priority[irq + i] << (8 * i);
			return 0;
		}
		if (byte_reg(off, GICD_ITARGETSR, &irq)) {
			for (unsigned i = 0; i < size && irq + i < VGIC_NR_IRQS; i++)
				*val |= 1ull << (8 * i);    /* everything targets vCPU 0 */
			return 0;
		}
		if (off >= GICD_CPENDSGIR && off < GICD_SPENDSGIR + 16) {
			unsigned sgi = (unsigned)(off - GICD_CPENDSGIR) % 16;
			for (unsigned i = 0; i < size && sgi + i < 16; i++)
				*val |= (uint64_t)vgic_bit(v->pending, sgi + i) << (8 * i);  /* source vCPU 0 */
			return 0;
		}
	}
	if (size != 4 || (off & 3))
		return 0;
	switch (off) {
	case GICD_CTLR: *val = v->enabled; return 0;
	case GICD_TYPER: *val = VGIC_NR_IRQS / 32 - 1; return 0;   /* ITLinesNumber; one CPU */
	case GICD_IIDR: *val = 0x0200043b; return 0;               /* ARM implementer, GICv2 */
	case GICD_ICPIDR2: *val = 0x2u << 4; return 0;             /* ArchRev: GICv2 */
	default: break;
	}
	if (bitmap_word(off, GICD_IGROUPR, &word))
		*val = v->group[word];
	else if (bitmap_word(off, GICD_ISENABLER, &word) || bitmap_word(off, GICD_ICENABLER, &word))
		*val = v->enable[word];
	else if (bitmap_word(off, GICD_ISPENDR, &word) || bitmap_word(off, GICD_ICPENDR, &word))
		*val = v->pending[word] | v->level[word];
	else if (bitmap_word(off, GICD_ISACTIVER, &word) || bitmap_word(off, GICD_ICACTIVER, &word))
		*val = v->active[word];
	else if (off >= GICD_ICFGR && off < GICD_ICFGR + VGIC_NR_IRQS / 4)
		*val = v->config[(off - GICD_ICFGR) / 4];
	return 0;
}

static int dist_write(struct vdev *d, uint64_t off, unsigned size, uint64_t val)
{
	struct vgic *v = d->priv;
	unsigned irq, word;
	uint32_t w = (uint32_t)val;

	if (size == 1 || size == 4) {
		if (byte_reg(off, GICD_IPRIORITYR, &irq)) {
			for (unsigned i = 0; i < size && irq + i < VGIC_NR_IRQS; i++)
				v->priority[irq + i] = (uint8_t)(val >> (8 * i));
			return 0;
		}
		if (off >= GICD_CPENDSGIR && off < GICD_SPENDSGIR + 16) {
			bool set = off >= GICD_SPENDSGIR;
			unsigned sgi = (unsigned)(off - GICD_CPENDSGIR) % 16;
			for (unsigned i = 0; i < size && sgi + i < 16; i++)
				if ((val >> (8 * i)) & 1)              /* source vCPU 0 */
					set_bit(v->pending, sgi + i, set);
			return 0;
		}
		/* ITARGETSR: one vCPU, the targets are fixed. */
	}
	if (size != 4 || (off & 3))
		return 0;
	if (off == GICD_CTLR) {
		v->enabled = w & 1;
	} else if (off == GICD_SGIR) {
		send_sgi(v, w);
	} else if (bitmap_word(off, GICD_IGROUPR, &word)) {
		v->group[word] = w;
	} else if (bitmap_word(off, GICD_ISENABLER, &word)) {
		v->enable[word] |= w;
	} else if (bitmap_word(off, GICD_ICENABLER, &word)) {
		v->enable[word] &= ~w | (word == 0 ? 0xffffu : 0);  /* SGIs stay enabled */
	} else if (bitmap_word(off, GICD_ISPENDR, &word)) {
		v->pending[word] |= w & (word == 0 ? 0xffff0000u : ~0u);   /* SGIs: SPENDSGIR */
	} else if (bitmap_word(off, GICD_ICPENDR, &word)) {
		v->pending[word] &= ~(w & (word == 0 ? 0xffff0000u : ~0u));
	} else if (bitmap_word(off, GICD_ISACTIVER, &word)) {
		v->active[word] |= w;
	} else if (bitmap_word(off, GICD_ICACTIVER, &word)) {
		v->active[word] &= ~w;
	} else if (off >= GICD_ICFGR + 8 && off < GICD_ICFGR + VGIC_NR_IRQS / 4) {
		/* SPIs only (SGI and PPI configuration is fixed); bit 0 of each
		 * field is reserved. */
		v->config[(off - GICD_ICFGR) / 4] = w & 0xaaaaaaaau;
	}
	return 0;   /* read-only and reserved registers: ignored */
}

static void dist_reset(struct vdev *d)
{
	vgic_reset(d->priv);
}

static const struct vdev_ops dist_ops = {
	.read = dist_read,
	.write = dist_write,
	.reset = dist_reset,
};

/* The guest's GICv2 from its device tree: distributor (reg 0), emulated
 * here, and CPU interface (reg 1), the backend's. */
static int gicv2_probe(struct guest *g, const struct fdt *fdt, int node)
{
	struct vgic *v = &g->arch.vgic;
	uint64_t gicd, gicd_size, gicc, gicc_size;
	if (fdt_get_reg(fdt, node, 0, &gicd, &gicd_size) || fdt_get_reg(fdt, node, 1, &gicc, &gicc_size)) {
		printk("%s: the GICv2 node needs a distributor and a CPU interface (reg)\n", g->name);
		return -1;
	}
	if (!backend) {
		printk("%s: no virtual interrupt controller on this host\n", g->name);
		return -1;
	}
	v->guest = g;
	vgic_reset(v);
	if (!guest_add_vdev(g, "gicv2-dist", gicd, GICD_SIZE, &dist_ops, v) ||
	    backend->guest_init(v, gicc, gicc_size)) {
		printk("%s: cannot place the GICv2 at 0x%llx/0x%llx\n", g->name, (unsigned long long)gicd,
		       (unsigned long long)gicc);
		return -1;
	}
	return 0;
}

static const char *const gicv2_compatible[] = {"arm,cortex-a15-gic", "arm,gic-400", NULL};
static const struct emulator gicv2_emulator = {
	.name = "gicv2",
	.compatible = gicv2_compatible,
	.irqchip = true,
	.probe = gicv2_probe,
};
EMULATOR(gicv2_emulator);
