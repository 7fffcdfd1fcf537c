/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest's PL190 VIC and Versatile SIC (arch/vvic.h): register logic
 * after the PL190 TRM (ARM DDI 0181) and the Versatile PB user guide's
 * SIC description. Outputs are computed from the state on demand, so no
 * update step can be forgotten.
 */
#include <arch/vvic.h>
#include <drivers/hw/pl190.h>
#include <drivers/hw/versatile_sic.h>
#include <mamoru/libc.h>

static const uint8_t vic_ids[8] = {0x90, 0x11, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

void vvic_reset(struct vvic *v)
{
	memset(v, 0, sizeof(*v));
}

bool vvic_set_line(struct vvic *v, unsigned line, bool level)
{
	uint32_t *word;
	unsigned bit;
	if (line < VVIC_SIC_CASCADE) {
		word = &v->lines;
		bit = line;
	} else if (line >= VVIC_SIC_BASE && line < VVIC_LINES) {
		word = &v->sic_lines;
		bit = line - VVIC_SIC_BASE;
	} else {
		return false;
	}
	if (level)
		*word |= 1u << bit;
	else
		*word &= ~(1u << bit);
	return true;
}

static uint32_t sic_raw(const struct vvic *v)
{
	return v->sic_lines | v->sic_softint;
}

uint32_t vvic_sic_status(const struct vvic *v)
{
	return sic_raw(v) & v->sic_enable;
}

uint32_t vvic_rawintr(const struct vvic *v)
{
	uint32_t r = (v->lines & ~(1u << VVIC_SIC_CASCADE)) | v->softint;
	if (vvic_sic_status(v))
		r |= 1u << VVIC_SIC_CASCADE;
	r |= sic_raw(v) & v->sic_picenable & SIC_PIC_LINES;
	return r;
}

static uint32_t irq_status(const struct vvic *v)
{
	return vvic_rawintr(v) & v->intenable & ~v->intselect;
}

static uint32_t fiq_status(const struct vvic *v)
{
	return vvic_rawintr(v) & v->intenable & v->intselect;
}

/* Priority of IRQ source src: the first enabled vector slot naming it, else
 * the default (non-vectored) priority. */
static unsigned source_prio(const struct vvic *v, unsigned src)
{
	for (unsigned i = 0; i < VVIC_SLOTS; i++)
		if ((v->vectcntl[i] & PL190_VECTCNTL_ENABLE) &&
		    (v->vectcntl[i] & PL190_VECTCNTL_SOURCE) == src)
			return i;
	return VVIC_DEFAULT_PRIO;
}

unsigned vvic_current_prio(const struct vvic *v)
{
	for (unsigned p = 0; p <= VVIC_DEFAULT_PRIO; p++)
		if (v->in_service & (1u << p))
			return p;
	return VVIC_NO_PRIO;
}

/* The highest priority (lowest number) among pending IRQs, VVIC_NO_PRIO if none. */
static unsigned best_pending_prio(const struct vvic *v)
{
	uint32_t pending = irq_status(v);
	unsigned best = VVIC_NO_PRIO;
	for (unsigned src = 0; src < 32; src++)
		if (pending & (1u << src)) {
			unsigned p = source_prio(v, src);
			if (p < best)
				best = p;
		}
	return best;
}

bool vvic_irq_out(const struct vvic *v)
{
	/* Only interrupts of higher priority than the one in service get through. */
	return best_pending_prio(v) < vvic_current_prio(v);
}

bool vvic_fiq_out(const struct vvic *v)
{
	return fiq_status(v) != 0;
}

/* The vector address of the priority level p (a slot, or the default). */
static uint32_t prio_vector(const struct vvic *v, unsigned p)
{
	return p < VVIC_SLOTS ? v->vectaddr[p] : v->defvectaddr;
}

/* Reading VICVECTADDR: the vector of the highest-priority IRQ that may
 * interrupt now, which becomes the one in service until VICVECTADDR is
 * written. With none, the address of the interrupt in service (the default
 * address when there is none) and no state change: QEMU's versatilepb VIC
 * answers so too. */
static uint32_t acknowledge(struct vvic *v)
{
	unsigned p = best_pending_prio(v), cur = vvic_current_prio(v);
	if (p >= cur)
		return prio_vector(v, cur);
	v->in_service |= 1u << p;
	return prio_vector(v, p);
}

static bool word_access(uint32_t off, unsigned size)
{
	return size == 4 && !(off & 3);
}

int vvic_vic_read(struct vvic *v, uint32_t off, unsigned size, uint32_t *val)
{
	if (!word_access(off, size))
		return -1;
	*val = 0;
	if (off >= PL190_VECTADDR0 && off < PL190_VECTADDR0 + 4 * VVIC_SLOTS) {
		*val = v->vectaddr[(off - PL190_VECTADDR0) / 4];
		return 0;
	}
	if (off >= PL190_VECTCNTL0 && off < PL190_VECTCNTL0 + 4 * VVIC_SLOTS) {
		*val = v->vectcntl[(off - PL190_VECTCNTL0) / 4];
		return 0;
	}
	if (off >= PL190_PERIPHID0 && off < 0x1000) {
		*val = vic_ids[(off - PL190_PERIPHID0) / 4];
		return 0;
	}
	switch (off) {
	case PL190_IRQSTATUS: *val = irq_status(v); break;
	case PL190_FIQSTATUS: *val = fiq_status(v); break;
	case PL190_RAWINTR: *val = vvic_rawintr(v); break;
	case PL190_INTSELECT: *val = v->intselect; break;
	case PL190_INTENABLE: *val = v->intenable; break;
	case PL190_SOFTINT: *val = v->softint; break;
	case PL190_PROTECTION: *val = v->protection; break;
	case PL190_VECTADDR: *val = acknowledge(v); break;
	case PL190_DEFVECTADDR: *val = v->defvectaddr; break;
	case PL190_ITCR: *val = v->itcr; break;
	case PL190_INTENCLEAR:
	case PL190_SOFTINTCLEAR:
		break;                  /* write-only: zero */
	default:
		if (off >= PL190_ITIP1 && off <= PL190_ITOP2)
			break;          /* test inputs/outputs: not modelled, zero */
		v->unknown_accesses++;
		break;
	}
	return 0;
}

int vvic_vic_write(struct vvic *v, uint32_t off, unsigned size, uint32_t val)
{
	if (!word_access(off, size))
		return -1;
	if (off >= PL190_VECTADDR0 && off < PL190_VECTADDR0 + 4 * VVIC_SLOTS) {
		v->vectaddr[(off - PL190_VECTADDR0) / 4] = val;
		return 0;
	}
	if (off >= PL190_VECTCNTL0 && off < PL190_VECTCNTL0 + 4 * VVIC_SLOTS) {
		v->vectcntl[(off - PL190_VECTCNTL0) / 4] =
			val & (PL190_VECTCNTL_ENABLE | PL190_VECTCNTL_SOURCE);
		return 0;
	}
	switch (off) {
	case PL190_INTSELECT: v->intselect = val; break;
	case PL190_INTENABLE: v->intenable |= val; break;
	case PL190_INTENCLEAR: v->intenable &= ~val; break;
	case PL190_SOFTINT: v->softint |= val; break;
	case PL190_SOFTINTCLEAR: v->softint &= ~val; break;
	case PL190_PROTECTION: v->protection = val & 1; break;
	case PL190_VECTADDR:
		/* Any write ends the interrupt in service: the highest priority one. */
		v->in_service &= v->in_service - 1;
		break;
	case PL190_DEFVECTADDR: v->defvectaddr = val; break;
	case PL190_ITCR: v->itcr = val & 1; break;
	case PL190_IRQSTATUS:
	case PL190_FIQSTATUS:
	case PL190_RAWINTR:
		break;                  /* read-only */
	default:
		if ((off >= PL190_ITIP1 && off <= PL190_ITOP2) || off >= PL190_PERIPHID0)
			break;          /* test registers, identification: ignored */
		v->unknown_accesses++;
		break;
	}
	return 0;
}

int vvic_sic_read(struct vvic *v, uint32_t off, unsigned size, uint32_t *val)
{
	if (!word_access(off, size))
		return -1;
	*val = 0;
	switch (off) {
	case SIC_STATUS: *val = vvic_sic_status(v); break;
	case SIC_RAWSTAT: *val = sic_raw(v); break;
	case SIC_ENSET: *val = v->sic_enable; break;
	case SIC_SOFTINTSET: *val = v->sic_softint; break;
	case SIC_PICENSET: *val = v->sic_picenable; break;
	case SIC_ENCLR:
	case SIC_SOFTINTCLR:
	case SIC_PICENCLR:
		break;                  /* write-only: zero */
	default:
		v->unknown_accesses++;
		break;
	}
	return 0;
}

int vvic_sic_write(struct vvic *v, uint32_t off, unsigned size, uint32_t val)
{
	if (!word_access(off, size))
		return -1;
	switch (off) {
	case SIC_ENSET: v->sic_enable |= val; break;
	case SIC_ENCLR: v->sic_enable &= ~val; break;
	case SIC_SOFTINTSET: v->sic_softint |= val; break;
	case SIC_SOFTINTCLR: v->sic_softint &= ~val; break;
	case SIC_PICENSET: v->sic_picenable |= val & SIC_PIC_LINES; break;
	case SIC_PICENCLR: v->sic_picenable &= ~val; break;
	case SIC_STATUS:
	case SIC_RAWSTAT:
		break;                  /* read-only */
	default:
		v->unknown_accesses++;
		break;
	}
	return 0;
}
