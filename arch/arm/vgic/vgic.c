/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Emulated GICv2 distributor for a guest (1 to VGIC_MAX_VCPUS vCPUs, 64
 * interrupts) and the interrupt state the backends deliver from. It registers
 * as the guest's interrupt controller emulator; the CPU interface is the
 * backend's.
 *
 * SGIs and PPIs are banked: their registers (ISENABLER0, IPRIORITYR0-7,
 * ITARGETSR0-7, CPENDSGIR, ...) act on the accessing vCPU's own
 * (vgic_current_vcpu()). An SGI is pending per (target, source); GICD_SGIR
 * sends from the accessing vCPU. An SPI goes to the lowest-numbered vCPU
 * of its GICD_ITARGETSR byte (none when it names no existing vCPU), which
 * owns it from delivery until EOI. With one vCPU the targets are fixed at
 * 0x01 (writes ignored), as for a uniprocessor GIC.
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
#include <mamoru/fdt_write.h>
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
#if defined(CONFIG_DRIVER_GICV3) && defined(CONFIG_VGIC_ICH)
	&vgic_ich_backend,
#endif
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

int vgic_cpu_init(void)
{
	if (!backend)
		return -1;
	return backend->cpu_init ? backend->cpu_init() : 0;
}

const char *vgic_backend_name(void)
{
	return backend ? backend->name : "none";
}

bool vgic_backend_gicv3(void)
{
	return backend && backend->gicv3;
}

static uint32_t bit_of(unsigned irq)
{
	return 1u << (irq % 32);
}

/* One bit per existing vCPU. */
static unsigned cpu_mask(const struct vgic *v)
{
	return (1u << v->nr_cpus) - 1;
}

/* The vCPU whose register access is being emulated. */
static unsigned accessor(const struct vgic *v)
{
	unsigned cpu = vgic_current_vcpu(v->guest);
	return cpu < v->nr_cpus ? cpu : 0;
}

unsigned vgic_spi_target(const struct vgic *v, unsigned irq)
{
	unsigned t = irq >= 32 && irq < VGIC_NR_IRQS ? v->targets[irq] & cpu_mask(v) : 0;
	return t ? (unsigned)__builtin_ctz(t) : VGIC_NO_VCPU;
}

bool vgic_deliverable(const struct vgic *v, unsigned cpu, unsigned irq)
{
	if (!v->enabled || cpu >= v->nr_cpus || irq >= VGIC_NR_IRQS)
		return false;
	const struct vgic_bits *b = vgic_cbits_of(v, cpu, irq);
	uint32_t m = bit_of(irq);
	if (!(b->enable & m) || ((b->in_lr | b->active) & m))
		return false;
	if (irq < 16)
		return v->cpu[cpu].sgi_pending[irq] != 0;
	if (irq >= 32 && vgic_spi_target(v, irq) != cpu)
		return false;
	return ((b->pending | b->level) & m) != 0;
}

bool vgic_has_pending(const struct vgic *v, unsigned cpu)
{
	if (!v->enabled || cpu >= v->nr_cpus)
		return false;
	for (unsigned irq = 0; irq < VGIC_NR_IRQS; irq++) {
		const struct vgic_bits *b = vgic_cbits_of(v, cpu, irq);
		uint32_t m = bit_of(irq);
		if (!(b->enable & m))
			continue;
		if (b->in_lr & m) {
			if (irq < 32 || v->owner[irq] == cpu)
				return true;
		} else if (irq < 16) {
			if (v->cpu[cpu].sgi_pending[irq])
				return true;
		} else if (((b->pending | b->level) & m) &&
			   (irq < 32 || vgic_spi_target(v, irq) == cpu)) {
			return true;
		}
	}
	return false;
}

/* Of the interrupts 32 * w.. in vCPU cpu's list registers without EOI maintenance asked,
 * those pending again (an SGI: from any source; an SPI: one this vCPU owns). */
static uint32_t pending_again(const struct vgic *v, unsigned cpu, unsigned w)
{
	const struct vgic_bits *b = vgic_cbits_of(v, cpu, w * 32);
	uint32_t in = b->in_lr & b->enable & ~b->eoi_asked, again = 0;
	for (; in; in &= in - 1) {
		unsigned bit = (unsigned)__builtin_ctz(in), irq = w * 32 + bit;
		if (irq < 16 ? v->cpu[cpu].sgi_pending[irq] != 0
			     : (b->pending >> bit) & 1 && (irq < 32 || v->owner[irq] == cpu))
			again |= 1u << bit;
	}
	return again;
}

bool vgic_kick_wanted(const struct vgic *v, unsigned cpu)
{
	if (!v->enabled || cpu >= v->nr_cpus)
		return false;
	for (unsigned w = 0; w < VGIC_WORDS; w++) {
		const struct vgic_bits *b = vgic_cbits_of(v, cpu, w * 32);
		if (pending_again(v, cpu, w))
			return true;
		uint32_t cand = b->enable & ~(b->in_lr | b->active) & (b->pending | b->level);
		if (w == 0) {
			for (unsigned irq = 0; irq < 16; irq++)
				if (v->cpu[cpu].sgi_pending[irq] &&
				    (b->enable & ~(b->in_lr | b->active) & bit_of(irq)))
					return true;
			if (cand & 0xffff0000u)
				return true;
			continue;
		}
		for (; cand; cand &= cand - 1)
			if (vgic_spi_target(v, w * 32 + (unsigned)__builtin_ctz(cand)) == cpu)
				return true;
	}
	return false;
}

bool vgic_wakes(const struct vgic *v, unsigned cpu)
{
	/* The emulated CPU interface knows exactly what it would signal (its enable, the
	 * priority mask, the running priority); the hardware one is not asked. */
	if (backend == &vgic_sw_backend)
		return v->enabled && cpu < v->nr_cpus && vgic_cpuif_highest(v, cpu) != VGIC_SPURIOUS;
	return vgic_has_pending(v, cpu);
}

uint32_t vgic_take(struct vgic *v, unsigned cpu, unsigned irq)
{
	if (irq < 16) {
		struct vgic_cpu *c = &v->cpu[cpu];
		unsigned src = c->sgi_pending[irq] ? (unsigned)__builtin_ctz(c->sgi_pending[irq]) : 0;
		c->sgi_pending[irq] &= (uint8_t)~(1u << src);
		c->sgi_source[irq] = (uint8_t)src;
		return irq | src << 10;
	}
	vgic_bits_of(v, cpu, irq)->pending &= ~bit_of(irq);
	if (irq >= 32)
		v->owner[irq] = (uint8_t)cpu;
	return irq;
}

bool vgic_fill_lrs(struct vgic *v, unsigned cpu, uint64_t free, unsigned nr, vgic_put_lr *put)
{
	for (unsigned irq = 0; irq < VGIC_NR_IRQS; irq++) {
		if (!vgic_deliverable(v, cpu, irq))
			continue;
		unsigned n = 0;
		while (n < nr && !(free & (1ull << n)))
			n++;
		if (n == nr)
			return true;
		free &= ~(1ull << n);
		struct vgic_bits *b = vgic_bits_of(v, cpu, irq);
		uint32_t m = bit_of(irq);
		bool eoi = (b->level & m) || (b->forwarded & m);
		put(v, cpu, n, irq, vgic_take(v, cpu, irq), eoi);
		b->in_lr |= m;
		b->eoi_asked = eoi ? b->eoi_asked | m : b->eoi_asked & ~m;
		v->cpu[cpu].lr_of[irq] = (uint8_t)n;
	}
	return false;
}

void vgic_ask_eoi_if_pending_again(struct vgic *v, unsigned cpu, vgic_ask_eoi *ask_eoi)
{
	if (cpu >= v->nr_cpus)
		return;
	for (unsigned w = 0; w < VGIC_WORDS; w++) {
		uint32_t again = pending_again(v, cpu, w);
		for (; again; again &= again - 1) {
			unsigned irq = w * 32 + (unsigned)__builtin_ctz(again);
			ask_eoi(v->cpu[cpu].lr_of[irq]);
			vgic_bits_of(v, cpu, irq)->eoi_asked |= bit_of(irq);
		}
	}
}

void vgic_set_level(struct vgic *v, unsigned irq, bool level)
{
	if (irq >= VGIC_NR_IRQS)
		return;
	struct vgic_bits *b = vgic_bits_of(v, 0, irq);
	b->level = level ? b->level | bit_of(irq) : b->level & ~bit_of(irq);
}

void arch_guest_irq(struct guest *g, unsigned irq, bool level)
{
	vgic_set_level(&g->arch.vgic, irq, level);
}

void vgic_raise_private(struct vgic *v, unsigned cpu, unsigned irq)
{
	if (cpu >= v->nr_cpus || irq >= 32)
		return;
	if (irq < 16)
		v->cpu[cpu].sgi_pending[irq] |= (uint8_t)(1u << cpu);
	else
		v->cpu[cpu].bits.pending |= bit_of(irq);
}

void vgic_raise(struct vgic *v, unsigned irq)
{
	if (irq < 32)
		vgic_raise_private(v, 0, irq);
	else if (irq < VGIC_NR_IRQS)
		vgic_bits_of(v, 0, irq)->pending |= bit_of(irq);
}

void vgic_completed(struct vgic *v, unsigned cpu, unsigned irq)
{
	if (irq >= VGIC_NR_IRQS || cpu >= VGIC_MAX_VCPUS)
		return;
	struct vgic_bits *b = vgic_bits_of(v, cpu, irq);
	b->in_lr &= ~bit_of(irq);
	b->eoi_asked &= ~bit_of(irq);
	b->active &= ~bit_of(irq);
	if (b->forwarded & bit_of(irq))
		passthrough_eoi(v->guest, irq);
}

unsigned arch_guest_irq_count(void)
{
	return VGIC_NR_IRQS;
}

void arch_guest_irq_forward(struct guest *g, unsigned virq)
{
	if (virq >= 32 && virq < VGIC_NR_IRQS)
		vgic_bits_of(&g->arch.vgic, 0, virq)->forwarded |= bit_of(virq);
}

void arch_guest_irq_raise(struct guest *g, unsigned virq)
{
	vgic_raise(&g->arch.vgic, virq);
}

void vgic_flush(struct vgic *v, unsigned cpu)
{
	if (backend && cpu < v->nr_cpus)
		backend->flush(v, cpu);
}

void vgic_sync(struct vgic *v, unsigned cpu)
{
	if (backend && cpu < v->nr_cpus)
		backend->sync(v, cpu);
}

void vgic_save(struct vgic *v, unsigned cpu)
{
	if (backend && backend->save && cpu < v->nr_cpus)
		backend->save(v, cpu);
}

void vgic_restore(struct vgic *v, unsigned cpu)
{
	if (backend && backend->restore && cpu < v->nr_cpus)
		backend->restore(v, cpu);
}

void vgic_vcpu_reset(struct vgic *v, unsigned cpu)
{
	if (cpu >= VGIC_MAX_VCPUS)
		return;
	for (unsigned irq = 32; irq < VGIC_NR_IRQS; irq++) {
		struct vgic_bits *b = vgic_bits_of(v, cpu, irq);
		uint32_t m = bit_of(irq);
		if (v->owner[irq] != cpu || !((b->in_lr | b->active) & m))
			continue;
		/* Given back: an edge is delivered again (one too many beats one lost), a
		 * level comes back from its line; a forwarded line is unmasked at the host. */
		if ((b->in_lr & m) && !(b->level & m))
			b->pending |= m;
		b->in_lr &= ~m;
		b->eoi_asked &= ~m;
		b->active &= ~m;
		if (b->forwarded & m)
			passthrough_eoi(v->guest, irq);
	}
	struct vgic_cpu *c = &v->cpu[cpu];
	memset(c, 0, sizeof(*c));
	memset(c->priority, 0xa0, sizeof(c->priority));
	c->bits.enable = 0xffff;             /* SGIs are always enabled */
}

void vgic_reset(struct vgic *v)
{
	struct guest *g = v->guest;
	unsigned n = v->nr_cpus;
	bool v3 = v->v3;
	memset(v, 0, sizeof(*v));
	v->guest = g;
	v->v3 = v3;
	v->nr_cpus = n >= 1 && n <= VGIC_MAX_VCPUS ? n : 1;
	for (unsigned c = 0; c < VGIC_MAX_VCPUS; c++) {
		memset(v->cpu[c].priority, 0xa0, sizeof(v->cpu[c].priority));
		v->cpu[c].bits.enable = 0xffff;      /* SGIs are always enabled */
	}
	for (unsigned i = 32; i < VGIC_NR_IRQS; i++) {
		v->priority[i] = 0xa0;
		v->targets[i] = 0x01;
	}
	v->config[0] = 0xaaaaaaaau;          /* SGIs are edge-triggered */
	if (backend)
		backend->reset(v);
}

/* The byte-accessible registers: one byte per interrupt, lo..hi-1 implemented. */
static bool byte_reg(uint64_t off, uint64_t base, unsigned *irq)
{
	if (off < base || off - base >= 0x400)
		return false;
	*irq = (unsigned)(off - base);
	return true;
}

/* Bitmap word n (interrupts 32n..32n+31) as vCPU cpu sees it. */
static struct vgic_bits *word_bits(struct vgic *v, unsigned cpu, unsigned word)
{
	return vgic_bits_of(v, cpu, word * 32);
}

static uint8_t *priority_of(struct vgic *v, unsigned cpu, unsigned irq)
{
	return irq < 32 ? &v->cpu[cpu].priority[irq] : &v->priority[irq];
}

/* GICD_SGIR from vCPU self: the SGI to the vCPUs the target list filter names
 * (0: the list, 1: all but self, 2: self; 3 is reserved). */
static void send_sgi(struct vgic *v, unsigned self, uint32_t w)
{
	unsigned sgi = w & 0xf, filter = (w >> 24) & 3, targets = (w >> 16) & 0xff;
	if (filter == 1)
		targets = ~(1u << self);
	else if (filter == 2)
		targets = 1u << self;
	else if (filter == 3)
		targets = 0;
	targets &= cpu_mask(v);
	for (unsigned t = 0; t < v->nr_cpus; t++)
		if (targets & (1u << t))
			v->cpu[t].sgi_pending[sgi] |= (uint8_t)(1u << self);
}

void vgic_v3_sgi1r(struct vgic *v, unsigned self, uint64_t val)
{
	unsigned sgi = (unsigned)(val >> 24) & 0xf;
	unsigned targets;
	if (self >= v->nr_cpus)
		return;
	if (val & (1ull << 40)) {                          /* IRM: every PE but self */
		targets = cpu_mask(v) & ~(1u << self);
	} else {
		/* Aff3 [55:48], Aff2 [39:32], Aff1 [23:16] name the cluster: ours are 0.
		 * RS [47:44] picks the 16 Aff0 values the TargetList [15:0] covers. */
		bool cluster0 = ((val >> 48) & 0xff) == 0 && ((val >> 32) & 0xff) == 0 &&
				((val >> 16) & 0xff) == 0;
		unsigned rs = (unsigned)(val >> 44) & 0xf;
		targets = cluster0 && rs == 0 ? (unsigned)(val & 0xffff) & cpu_mask(v) : 0;
	}
	for (unsigned t = 0; t < v->nr_cpus; t++)
		if (targets & (1u << t))
			v->cpu[t].sgi_pending[sgi] |= (uint8_t)(1u << self);
}

/* ISPENDR0/ICPENDR0 as vCPU cpu reads them: an SGI is pending when a source waits. */
static uint32_t private_pending(const struct vgic_cpu *c)
{
	uint32_t w = c->bits.pending | c->bits.level;
	for (unsigned sgi = 0; sgi < 16; sgi++)
		if (c->sgi_pending[sgi])
			w |= 1u << sgi;
	return w;
}

/* The mask of interrupts lo..hi-1 within bitmap word `word`. */
static uint32_t word_mask(unsigned word, unsigned lo, unsigned hi)
{
	uint32_t m = 0;
	for (unsigned i = 0; i < 32; i++)
		if (word * 32 + i >= lo && word * 32 + i < hi)
			m |= 1u << i;
	return m;
}

/* What an access to the distributor at off is among the registers vgic_common_read and
 * vgic_common_write serve, for the interrupts lo..hi-1 of a view. */
struct common_reg {
	enum { REG_OTHER, REG_IGNORED, REG_PRIORITY, REG_CONFIG, REG_BITMAP } kind;
	unsigned irq;      /* REG_PRIORITY: the interrupt of the access's first byte */
	unsigned n;        /* REG_CONFIG: the GICD_ICFGR word; REG_BITMAP: the bitmap word */
	uint64_t base;     /* REG_BITMAP: which bitmap register (GICD_IGROUPR, ...) */
	uint32_t mask;     /* REG_BITMAP: the view's interrupts in that word */
};

/* REG_IGNORED: one of these registers, but an access the view answers with zeroes and
 * ignores (a width or alignment they do not take, interrupts outside lo..hi-1). */
static struct common_reg common_decode(uint64_t off, unsigned size, unsigned lo, unsigned hi)
{
	struct common_reg r = {.kind = REG_IGNORED};
	if (byte_reg(off, GICD_IPRIORITYR, &r.irq)) {
		if (size == 1 || size == 4)
			r.kind = REG_PRIORITY;
		return r;
	}
	if (off >= GICD_ICFGR && off < GICD_ICFGR + 0x100) {
		r.n = (unsigned)(off - GICD_ICFGR) / 4;
		if (size == 4 && !(off & 3) && r.n * 16 >= lo && r.n * 16 < hi)
			r.kind = REG_CONFIG;
		return r;
	}
	if (off < GICD_IGROUPR || off >= GICD_ICACTIVER + 0x80) {
		r.kind = REG_OTHER;
		return r;
	}
	if (size != 4 || (off & 3))
		return r;
	r.base = off & ~0x7full;      /* each bitmap register is 0x80 bytes, so aligned */
	r.n = (unsigned)(off - r.base) / 4;
	r.mask = word_mask(r.n, lo, hi);
	if (r.mask)
		r.kind = REG_BITMAP;
	return r;
}

bool vgic_common_read(struct vgic *v, unsigned cpu, uint64_t off, unsigned size, uint64_t *val,
		      unsigned lo, unsigned hi)
{
	hi = MIN(hi, (unsigned)VGIC_NR_IRQS);
	struct common_reg r = common_decode(off, size, lo, hi);
	*val = 0;
	switch (r.kind) {
	case REG_OTHER:
		return false;
	case REG_IGNORED:
		return true;
	case REG_PRIORITY:
		for (unsigned i = 0; i < size; i++)
			if (r.irq + i >= lo && r.irq + i < hi)
				*val |= (uint64_t)*priority_of(v, cpu, r.irq + i) << (8 * i);
		return true;
	case REG_CONFIG:
		*val = v->config[r.n];         /* 0-1: fixed, the same on every vCPU */
		return true;
	case REG_BITMAP:
		break;
	}
	const struct vgic_bits *b = word_bits(v, cpu, r.n);
	switch (r.base) {
	case GICD_IGROUPR:
		*val = b->group;
		break;
	case GICD_ISENABLER: case GICD_ICENABLER:
		*val = b->enable;
		break;
	case GICD_ISPENDR: case GICD_ICPENDR:
		*val = r.n == 0 ? private_pending(&v->cpu[cpu]) : b->pending | b->level;
		break;
	case GICD_ISACTIVER: case GICD_ICACTIVER:
		*val = b->active;
		break;
	}
	*val &= r.mask;
	return true;
}

bool vgic_common_write(struct vgic *v, unsigned cpu, uint64_t off, unsigned size, uint64_t val,
		       unsigned lo, unsigned hi, bool sgi_pend)
{
	hi = MIN(hi, (unsigned)VGIC_NR_IRQS);
	struct common_reg r = common_decode(off, size, lo, hi);
	switch (r.kind) {
	case REG_OTHER:
		return false;
	case REG_IGNORED:
		return true;
	case REG_PRIORITY:
		for (unsigned i = 0; i < size; i++)
			if (r.irq + i >= lo && r.irq + i < hi)
				*priority_of(v, cpu, r.irq + i) = (uint8_t)(val >> (8 * i));
		return true;
	case REG_CONFIG:
		/* SPIs only (SGI and PPI configuration is fixed); bit 0 of each
		 * field is reserved. */
		if (r.n >= 2)
			v->config[r.n] = (uint32_t)val & 0xaaaaaaaau;
		return true;
	case REG_BITMAP:
		break;
	}
	struct vgic_cpu *c = &v->cpu[cpu];
	struct vgic_bits *b = word_bits(v, cpu, r.n);
	uint32_t w = (uint32_t)val & r.mask;
	/* SGIs' pending state is their sources' (sgi_pending), not the bitmap's. */
	uint32_t not_sgis = r.n == 0 ? 0xffff0000u : ~0u;
	if (r.base == GICD_IGROUPR) {
		b->group = (b->group & ~r.mask) | w;   /* the whole word: zeroes too (group 0) */
		return true;
	}
	if (!w)
		return true;            /* the set and clear registers: zeroes change nothing */
	switch (r.base) {
	case GICD_ISENABLER:
		b->enable |= w;
		break;
	case GICD_ICENABLER:
		b->enable &= ~w | (r.n == 0 ? 0xffffu : 0);    /* SGIs stay on */
		break;
	case GICD_ISPENDR:
		/* GICv2's SGIs: SPENDSGIR and CPENDSGIR; GICv3's: here, from the writer. */
		for (unsigned sgi = 0; sgi_pend && r.n == 0 && sgi < 16; sgi++)
			if (w & (1u << sgi))
				c->sgi_pending[sgi] |= (uint8_t)(1u << cpu);
		b->pending |= w & not_sgis;
		break;
	case GICD_ICPENDR:
		for (unsigned sgi = 0; sgi_pend && r.n == 0 && sgi < 16; sgi++)
			if (w & (1u << sgi))
				c->sgi_pending[sgi] = 0;
		b->pending &= ~(w & not_sgis);
		break;
	case GICD_ISACTIVER: {
		/* An SPI in a vCPU's list register keeps its state there: left alone. */
		uint32_t set = r.n > 0 ? w & ~b->in_lr : w;
		for (unsigned i = 0; r.n > 0 && i < 32; i++)   /* an SPI made active is the writer's */
			if ((set & ~b->active) & (1u << i))
				v->owner[r.n * 32 + i] = (uint8_t)cpu;
		b->active |= set;
		break;
	}
	case GICD_ICACTIVER:
		b->active &= ~w;
		break;
	}
	return true;
}

static int dist_read(struct vdev *d, uint64_t off, unsigned size, uint64_t *val)
{
	struct vgic *v = d->priv;
	unsigned cpu = accessor(v), irq;
	struct vgic_cpu *c = &v->cpu[cpu];
	*val = 0;
	if (size == 1 || size == 4) {
		if (byte_reg(off, GICD_ITARGETSR, &irq)) {
			/* SGIs and PPIs: the reader's own bit (ITARGETSR0-7 are read-only). */
			for (unsigned i = 0; i < size && irq + i < VGIC_NR_IRQS; i++)
				*val |= (uint64_t)(irq + i < 32 ? 1u << cpu : v->targets[irq + i]) << (8 * i);
			return 0;
		}
		if (off >= GICD_CPENDSGIR && off < GICD_SPENDSGIR + 16) {
			/* One byte per SGI: the source vCPUs pending at the reader. */
			unsigned sgi = (unsigned)(off - GICD_CPENDSGIR) % 16;
			for (unsigned i = 0; i < size && sgi + i < 16; i++)
				*val |= (uint64_t)c->sgi_pending[sgi + i] << (8 * i);
			return 0;
		}
	}
	if (vgic_common_read(v, cpu, off, size, val, 0, VGIC_NR_IRQS) || size != 4 || (off & 3))
		return 0;
	switch (off) {
	case GICD_CTLR: *val = v->enabled; return 0;
	case GICD_TYPER:                                           /* ITLinesNumber, CPUNumber */
		*val = (VGIC_NR_IRQS / 32 - 1) | (v->nr_cpus - 1) << 5;
		return 0;
	case GICD_IIDR: *val = 0x0200043b; return 0;               /* ARM implementer, GICv2 */
	case GICD_ICPIDR2: *val = 0x2u << 4; return 0;             /* ArchRev: GICv2 */
	default: return 0;
	}
}

static int dist_write(struct vdev *d, uint64_t off, unsigned size, uint64_t val)
{
	struct vgic *v = d->priv;
	unsigned cpu = accessor(v), irq;
	struct vgic_cpu *c = &v->cpu[cpu];
	uint32_t w = (uint32_t)val;

	if (size == 1 || size == 4) {
		if (byte_reg(off, GICD_ITARGETSR, &irq)) {
			/* SPIs only, and not with one vCPU (fixed at 0x01). */
			for (unsigned i = 0; i < size && irq + i < VGIC_NR_IRQS; i++)
				if (irq + i >= 32 && v->nr_cpus > 1)
					v->targets[irq + i] = (uint8_t)((val >> (8 * i)) & cpu_mask(v));
			return 0;
		}
		if (off >= GICD_CPENDSGIR && off < GICD_SPENDSGIR + 16) {
			bool set = off >= GICD_SPENDSGIR;
			unsigned sgi = (unsigned)(off - GICD_CPENDSGIR) % 16;
			for (unsigned i = 0; i < size && sgi + i < 16; i++) {
				uint8_t src = (uint8_t)((val >> (8 * i)) & cpu_mask(v));
				if (set)
					c->sgi_pending[sgi + i] |= src;
				else
					c->sgi_pending[sgi + i] &= (uint8_t)~src;
			}
			return 0;
		}
	}
	if (vgic_common_write(v, cpu, off, size, val, 0, VGIC_NR_IRQS, false) || size != 4 ||
	    (off & 3))
		return 0;
	if (off == GICD_CTLR)
		v->enabled = w & 1;
	else if (off == GICD_SGIR)
		send_sgi(v, cpu, w);
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

/* The guest's GIC from its device tree: a GICv2 node, distributor (reg 0)
 * and CPU interface (reg 1). With a GICv2 backend the distributor is emulated
 * here and the CPU interface is the backend's. With a GICv3 backend the guest
 * gets a GICv3 instead (vgic_v3.c): the distributor where the tree's was, its
 * redistributors VGIC_V3_GICR_OFFSET above, and the node in the tree it boots
 * with says so (gic_dt_prop, gic_dt_end). */
static int gicv2_probe(struct guest *g, const struct fdt *fdt, int node)
{
	struct vgic *v = &g->arch.vgic;
	uint64_t gicd, gicd_size, gicc = 0, gicc_size = 0;
	if (!backend) {
		printk("%s: no virtual interrupt controller on this host\n", g->name);
		return -1;
	}
	if (fdt_get_reg(fdt, node, 0, &gicd, &gicd_size) ||
	    (!backend->gicv3 && fdt_get_reg(fdt, node, 1, &gicc, &gicc_size))) {
		printk("%s: the GICv2 node needs a distributor and a CPU interface (reg)\n", g->name);
		return -1;
	}
	unsigned n = vgic_guest_vcpus(g);
	v->guest = g;
	v->nr_cpus = n < 1 ? 1 : MIN(n, VGIC_MAX_VCPUS);
	v->v3 = backend->gicv3;
	vgic_reset(v);
	if (v->v3) {
		uint64_t gicr = gicd + VGIC_V3_GICR_OFFSET;
		if (!guest_add_vdev(g, "gicv3-dist", gicd, VGIC_V3_GICD_SIZE, &vgic_v3_dist_ops, v) ||
		    !guest_add_vdev(g, "gicv3-redist", gicr, v->nr_cpus * VGIC_V3_GICR_STRIDE,
				    &vgic_v3_rdist_ops, v) ||
		    backend->guest_init(v, 0, 0)) {
			printk("%s: cannot place its GICv3 at 0x%llx/0x%llx\n", g->name,
			       (unsigned long long)gicd, (unsigned long long)gicr);
			return -1;
		}
		g->dt_rewrite = true;
		return 0;
	}
	if (!guest_add_vdev(g, "gicv2-dist", gicd, GICD_SIZE, &dist_ops, v) ||
	    backend->guest_init(v, gicc, gicc_size)) {
		printk("%s: cannot place the GICv2 at 0x%llx/0x%llx\n", g->name, (unsigned long long)gicd,
		       (unsigned long long)gicc);
		return -1;
	}
	return 0;
}

/* Big-endian cells of an address or size (1 or 2 cells) at c. */
static unsigned put_cells(uint32_t *c, unsigned n, uint64_t x)
{
	if (n == 2)
		*c++ = (uint32_t)(x >> 32);
	*c = (uint32_t)x;
	return n;
}

/* The GIC node of a guest that sees a GICv3: compatible "arm,gic-v3", reg the
 * distributor and one redistributor region for its vCPUs, no interrupts (a GICv2
 * host's maintenance interrupt is the hypervisor's). The rest is copied. */
static bool gic_dt_prop(struct guest *g, struct fdt_writer *w, const struct fdt *src, int node,
			const char *name, const void *val, int len)
{
	struct vgic *v = &g->arch.vgic;
	(void)val;
	(void)len;
	if (!v->v3)
		return false;
	if (!strcmp(name, "compatible")) {
		static const char compat[] = "arm,gic-v3";
		fdtw_prop(w, "compatible", compat, sizeof(compat));
		return true;
	}
	if (!strcmp(name, "reg")) {
		uint64_t gicd, size;
		uint32_t ac = 2, sc = 1, cells[8];
		int parent = fdt_parent(src, node);
		fdt_getprop_u32(src, parent, "#address-cells", &ac);
		fdt_getprop_u32(src, parent, "#size-cells", &sc);
		if (fdt_get_reg(src, node, 0, &gicd, &size) || ac < 1 || ac > 2 || sc < 1 || sc > 2)
			return false;    /* the probe read this reg: cannot happen */
		unsigned n = 0;
		n += put_cells(cells + n, ac, gicd);
		n += put_cells(cells + n, sc, VGIC_V3_GICD_SIZE);
		n += put_cells(cells + n, ac, gicd + VGIC_V3_GICR_OFFSET);
		n += put_cells(cells + n, sc, v->nr_cpus * VGIC_V3_GICR_STRIDE);
		fdtw_prop_cells(w, "reg", cells, n);
		return true;
	}
	return !strcmp(name, "interrupts") || !strcmp(name, "#redistributor-regions") ||
	       !strcmp(name, "redistributor-stride");
}

static void gic_dt_end(struct guest *g, struct fdt_writer *w, const struct fdt *src, int node)
{
	(void)src;
	(void)node;
	if (g->arch.vgic.v3)
		fdtw_prop_u32(w, "#redistributor-regions", 1);
}

static const char *const gicv2_compatible[] = {"arm,cortex-a15-gic", "arm,gic-400", NULL};
static const struct emulator gicv2_emulator = {
	.name = "gicv2",
	.compatible = gicv2_compatible,
	.irqchip = true,
	.probe = gicv2_probe,
	.dt_prop = gic_dt_prop,
	.dt_end = gic_dt_end,
};
EMULATOR(gicv2_emulator);
