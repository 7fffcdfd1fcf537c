/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Emulated GICv2 distributor for a guest (one vCPU, 64 interrupts) and the
 * interrupt state the backends deliver from.
 */
#include <arch/guest_irq.h>
#include <arch/vgic.h>
#include <mamoru/console.h>
#include <mamoru/guest.h>
#include <mamoru/libc.h>

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

bool vgic_has_pending(const struct vgic *v)
{
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
	vgic_set_level(&g->vgic, irq, level);
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
	}
}

void vgic_flush(struct vgic *v)
{
	if (backend)
		backend->flush(v);
}

void vgic_sync(struct vgic *v)
{
	if (backend)
		backend->sync(v);
}

void vgic_save(struct vgic *v)
{
	if (backend && backend->save)
		backend->save(v);
}

void vgic_restore(struct vgic *v)
{
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
	if (backend)
		backend->reset(v);
}

static int dist_read(struct vdev *d, uint64_t off, unsigned size, uint64_t *val)
{
	struct vgic *v = d->priv;
	unsigned word = (unsigned)((off & 0x7f) / 4);
	*val = 0;
	if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + VGIC_NR_IRQS) {
		unsigned irq = (unsigned)(off - GICD_IPRIORITYR);
		for (unsigned i = 0; i < size && irq + i < VGIC_NR_IRQS; i++)
			*val |= (uint64_t)v->priority[irq + i] << (8 * i);
		return 0;
	}
	if (off >= GICD_ITARGETSR && off < GICD_ITARGETSR + VGIC_NR_IRQS) {
		for (unsigned i = 0; i < size; i++)
			*val |= 1ull << (8 * i);            /* everything targets vCPU 0 */
		return 0;
	}
	if (size != 4)
		return 0;   /* other registers are word-sized: RAZ */
	if (off >= GICD_ICFGR && off < GICD_ICFGR + VGIC_NR_IRQS / 4) {
		*val = v->config[(off - GICD_ICFGR) / 4];
		return 0;
	}
	switch (off & ~0x7full) {
	case 0:
		if (off == GICD_CTLR)
			*val = v->enabled;
		else if (off == GICD_TYPER)
			*val = VGIC_NR_IRQS / 32 - 1;  /* ITLinesNumber; one CPU */
		else if (off == GICD_IIDR)
			*val = 0x0200043b;             /* ARM implementer, GICv2 */
		return 0;
	case GICD_IGROUPR:
		*val = word < VGIC_WORDS ? v->group[word] : 0;
		return 0;
	case GICD_ISENABLER:
	case GICD_ICENABLER:
		*val = word < VGIC_WORDS ? v->enable[word] : 0;
		return 0;
	case GICD_ISPENDR:
	case GICD_ICPENDR:
		*val = word < VGIC_WORDS ? (v->pending[word] | v->level[word]) : 0;
		return 0;
	case GICD_ISACTIVER:
	case GICD_ICACTIVER:
		*val = word < VGIC_WORDS ? v->active[word] : 0;
		return 0;
	default:
		break;
	}
	if (off == GICD_ICPIDR2)
		*val = 0x2u << 4;                      /* ArchRev: GICv2 */
	return 0;
}

static int dist_write(struct vdev *d, uint64_t off, unsigned size, uint64_t val)
{
	struct vgic *v = d->priv;
	unsigned word = (unsigned)((off & 0x7f) / 4);
	uint32_t w = (uint32_t)val;

	if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + VGIC_NR_IRQS) {
		unsigned irq = (unsigned)(off - GICD_IPRIORITYR);
		for (unsigned i = 0; i < size && irq + i < VGIC_NR_IRQS; i++)
			v->priority[irq + i] = (uint8_t)(val >> (8 * i));
		return 0;
	}
	if (off >= GICD_ITARGETSR && off < GICD_ITARGETSR + 0x400)
		return 0;                                  /* one vCPU: fixed */
	if (size != 4)
		return 0;
	if (off >= GICD_ICFGR && off < GICD_ICFGR + VGIC_NR_IRQS / 4) {
		unsigned idx = (unsigned)(off - GICD_ICFGR) / 4;
		if (idx >= 2)                               /* SGI/PPI config is fixed */
			v->config[idx] = w;
		return 0;
	}
	if (word >= VGIC_WORDS && off >= GICD_IGROUPR && off < GICD_ICFGR)
		return 0;
	switch (off & ~0x7full) {
	case 0:
		if (off == GICD_CTLR)
			v->enabled = w & 1;
		return 0;
	case GICD_IGROUPR:
		v->group[word] = w;
		return 0;
	case GICD_ISENABLER:
		v->enable[word] |= w;
		return 0;
	case GICD_ICENABLER:
		v->enable[word] &= ~w | (word == 0 ? 0xffffu : 0);  /* SGIs stay enabled */
		return 0;
	case GICD_ISPENDR:
		v->pending[word] |= w;
		return 0;
	case GICD_ICPENDR:
		v->pending[word] &= ~w;
		return 0;
	case GICD_ISACTIVER:
		v->active[word] |= w;
		return 0;
	case GICD_ICACTIVER:
		v->active[word] &= ~w;
		return 0;
	default:
		return 0;   /* SGIR with one vCPU, reserved registers: ignored */
	}
}

static const struct vdev_ops dist_ops = {
	.read = dist_read,
	.write = dist_write,
};

int vgic_guest_init(struct guest *g, uint64_t gicd_ipa, uint64_t gicc_ipa, uint64_t gicc_size)
{
	struct vgic *v = &g->vgic;
	if (!backend) {
		printk("%s: no virtual interrupt controller on this host\n", g->name);
		return -1;
	}
	v->guest = g;
	vgic_reset(v);
	if (!guest_add_vdev(g, "gicv2-dist", gicd_ipa, GICD_SIZE, &dist_ops, v))
		return -1;
	return backend->guest_init(v, gicc_ipa, gicc_size);
}
