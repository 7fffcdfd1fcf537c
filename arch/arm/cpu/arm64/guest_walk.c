/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Software stage-1 walk of AArch64 EL1&0 translation tables (see
 * arch/guest_walk.h). Written from the VMSAv8-64 chapter of the Arm ARM:
 * the TCR_EL1 field layout, the start-level rule (one level per
 * log2(granule) - 3 bits of VA above the page offset) and the descriptor
 * formats for 48-bit, FEAT_LPA (64K) and FEAT_LPA2 (TCR.DS) output addresses.
 */
#include <arch/guest_walk.h>
#include <mamoru/libc.h>

#define BIT(n) (1ull << (n))
/* Bits hi..lo set (hi >= lo, hi < 64). */
#define MASK(hi, lo) ((~0ull >> (63 - (hi))) & ~(BIT(lo) - 1))

/* TCR_EL1 fields. */
#define TCR_T0SZ(t) ((unsigned)(t) & 0x3f)
#define TCR_EPD0 BIT(7)
#define TCR_TG0(t) ((unsigned)((t) >> 14) & 3)
#define TCR_T1SZ(t) ((unsigned)((t) >> 16) & 0x3f)
#define TCR_EPD1 BIT(23)
#define TCR_TG1(t) ((unsigned)((t) >> 30) & 3)
#define TCR_IPS(t) ((unsigned)((t) >> 32) & 7)
#define TCR_TBI0 BIT(37)
#define TCR_TBI1 BIT(38)
#define TCR_HPD0 BIT(41)
#define TCR_HPD1 BIT(42)
#define TCR_DS BIT(59)

/* Descriptor fields. */
#define D_VALID BIT(0)
#define D_TABLE BIT(1) /* table (levels < 3) or page (level 3) */
#define D_AP_SHIFT 6
#define D_AF BIT(10)
#define D_NG BIT(11)
#define D_PXN BIT(53)
#define D_UXN BIT(54)
#define T_PXN BIT(59)
#define T_UXN BIT(60)
#define T_AP_NOEL0 BIT(61)
#define T_AP_RO BIT(62)

static const char base_beyond[] = "translation table base beyond the PA size";
static const unsigned ips_bits[8] = { 32, 36, 40, 42, 44, 48, 52, 0 };

/* TG0 and TG1 encode the granules differently. */
static unsigned granule_bits(bool ttbr1, unsigned tg)
{
	static const unsigned tg0[4] = { 12, 16, 14, 0 };
	static const unsigned tg1[4] = { 0, 14, 12, 16 };
	return ttbr1 ? tg1[tg] : tg0[tg];
}

enum gw_fault gw_config(const struct gw_regs *r, uint64_t va, struct gw_cfg *c,
			const char **detail)
{
	uint64_t tcr = r->tcr;
	bool hi = (va >> 55) & 1;
	unsigned tsz = hi ? TCR_T1SZ(tcr) : TCR_T0SZ(tcr);
	uint64_t ttbr = hi ? r->ttbr1 : r->ttbr0;

	memset(c, 0, sizeof(*c));
	*detail = "";
	c->ttbr1 = hi;
	c->gbits = granule_bits(hi, hi ? TCR_TG1(tcr) : TCR_TG0(tcr));
	c->tbi = (tcr & (hi ? TCR_TBI1 : TCR_TBI0)) != 0;
	c->hpd = (tcr & (hi ? TCR_HPD1 : TCR_HPD0)) != 0;
	if (c->gbits == 0) {
		*detail = hi ? "reserved TG1 granule encoding" : "reserved TG0 granule encoding";
		return GW_FAULT_CONFIG;
	}
	c->stride = c->gbits - 3;
	c->ds = c->gbits != 16 && (tcr & TCR_DS);
	c->oa_bits = ips_bits[TCR_IPS(tcr)];
	if (c->oa_bits == 0) {
		*detail = "reserved IPS encoding";
		return GW_FAULT_CONFIG;
	}
	if (c->oa_bits == 52 && c->gbits != 16 && !c->ds)
		c->oa_bits = 48; /* 52-bit output needs the 64K granule or DS */
	c->lpa52 = c->oa_bits == 52;

	unsigned min_tsz = (c->gbits == 16 || c->ds) ? 12 : 16;
	unsigned max_tsz = c->gbits == 16 ? 47 : 48;
	if (tsz < min_tsz || tsz > max_tsz) {
		*detail = hi ? "T1SZ out of range for the granule" : "T0SZ out of range for the granule";
		return GW_FAULT_CONFIG;
	}
	c->ia_bits = 64 - tsz;

	/* Bits [top-1:ia_bits] must all equal VA[55]. */
	unsigned top = c->tbi ? 56 : 64;
	uint64_t range = MASK(top - 1, c->ia_bits);
	if ((va & range) != (hi ? range : 0)) {
		*detail = "";
		return GW_FAULT_RANGE;
	}
	if (tcr & (hi ? TCR_EPD1 : TCR_EPD0))
		return GW_FAULT_DISABLED;

	unsigned levels = (c->ia_bits - c->gbits + c->stride - 1) / c->stride;
	c->start = 4 - (int)levels;

	/* The start table holds 2^(bits at start level) descriptors and is
	 * aligned to its size (at least 64 bytes with 52-bit addresses). */
	unsigned start_bits = c->ia_bits - (c->gbits + c->stride * (unsigned)(3 - c->start));
	unsigned align = start_bits + 3;
	if (c->lpa52 && align < 6)
		align = 6;
	c->base = ttbr & MASK(47, align);
	if (c->lpa52)
		c->base |= ((ttbr >> 2) & 0xf) << 48;
	return GW_OK;
}

/* The output (or next-table) address held in a descriptor. With 48-bit
 * descriptors bits [51:48] are not address bits (51 is DBM, 50 GP). The 64K
 * granule's OA[51:48] field (FEAT_LPA) is kept even when IPS is smaller, so
 * a set bit there shows up as an address beyond the PA size. */
static uint64_t desc_addr(const struct gw_cfg *c, uint64_t d)
{
	if (c->ds)
		return (d & MASK(49, c->gbits)) | (((d >> 8) & 3) << 50);
	if (c->gbits == 16)
		return (d & MASK(47, 16)) | (((d >> 12) & 0xf) << 48);
	return d & MASK(47, c->gbits);
}

static bool block_allowed(const struct gw_cfg *c, int level)
{
	if (level == 2)
		return true;
	if (level == 1)
		return c->gbits == 12 || (c->gbits == 14 && c->ds) || (c->gbits == 16 && c->lpa52);
	if (level == 0)
		return c->gbits == 12 && c->ds;
	return false;
}

static unsigned level_shift(const struct gw_cfg *c, int level)
{
	return c->gbits + c->stride * (unsigned)(3 - level);
}

static unsigned level_bits(const struct gw_cfg *c, int level)
{
	return level == c->start ? c->ia_bits - level_shift(c, level) : c->stride;
}

static int stop(struct gw_result *res, enum gw_fault f, const char *detail)
{
	res->fault = f;
	res->detail = detail;
	return -1;
}

int gw_translate(const struct gw_regs *r, const struct gw_mem *m, uint64_t va,
		 struct gw_result *res)
{
	struct gw_cfg c;
	const char *detail;

	memset(res, 0, sizeof(*res));
	res->va = va;
	res->detail = "";
	res->ttbr1 = (va >> 55) & 1;
	enum gw_fault f = gw_config(r, va, &c, &detail);
	res->level = c.start;
	res->oa_bits = c.oa_bits;
	if (f != GW_OK)
		return stop(res, f, detail);
	if (c.base >> c.oa_bits) {
		res->desc_pa = c.base;
		return stop(res, GW_FAULT_ADDRESS_SIZE, base_beyond);
	}

	uint64_t table = c.base;
	bool ro = false, noel0 = false, uxn = false, pxn = false;
	/* One descriptor per level: at most five iterations. */
	for (int level = c.start; level <= 3; level++) {
		unsigned shift = level_shift(&c, level);
		uint64_t idx = (va >> shift) & (BIT(level_bits(&c, level)) - 1);
		uint64_t d;

		res->level = level;
		res->index = (unsigned)idx;
		res->desc_pa = table + idx * 8;
		if (m->read64(m->ctx, res->desc_pa, &d))
			return stop(res, GW_FAULT_READ, "descriptor address not readable");
		res->desc = d;
		if (!(d & D_VALID))
			return stop(res, GW_FAULT_TRANSLATION, "invalid descriptor");
		uint64_t addr = desc_addr(&c, d);
		if (level < 3 && (d & D_TABLE)) {
			if (addr >> c.oa_bits)
				return stop(res, GW_FAULT_ADDRESS_SIZE,
					    "next-level table beyond the PA size");
			if (!c.hpd) {
				ro |= (d & T_AP_RO) != 0;
				noel0 |= (d & T_AP_NOEL0) != 0;
				uxn |= (d & T_UXN) != 0;
				pxn |= (d & T_PXN) != 0;
			}
			table = addr;
			continue;
		}
		if (level == 3 && !(d & D_TABLE))
			return stop(res, GW_FAULT_TRANSLATION, "reserved descriptor type at level 3");
		if (level < 3 && !block_allowed(&c, level))
			return stop(res, GW_FAULT_TRANSLATION, "block descriptor not allowed at this level");
		if (addr >> c.oa_bits)
			return stop(res, GW_FAULT_ADDRESS_SIZE, "output address beyond the PA size");
		res->size = BIT(shift);
		res->pa = (addr & ~(res->size - 1)) | (va & (res->size - 1));
		unsigned ap = (unsigned)(d >> D_AP_SHIFT) & 3;
		if (ro)
			ap |= 2;
		if (noel0)
			ap &= ~1u;
		res->ap = ap;
		res->uxn = uxn || (d & D_UXN);
		res->pxn = pxn || (d & D_PXN);
		res->af = (d & D_AF) != 0;
		res->ng = (d & D_NG) != 0;
		res->fault = GW_OK;
		return 0;
	}
	return stop(res, GW_FAULT_TRANSLATION, "walk did not end"); /* not reached */
}

/* -- reverse lookup ------------------------------------------------------- */

struct finder {
	const struct gw_mem *m;
	const struct gw_cfg *c;
	uint64_t pa, lo, last;
	uint64_t *out;
	int max, n;
	uint32_t budget;
	bool exhausted;
};

static void find_in(struct finder *s, uint64_t table, int level, uint64_t va_base)
{
	unsigned shift = level_shift(s->c, level);
	uint64_t entries = BIT(level_bits(s->c, level));
	uint64_t first = s->lo > va_base ? (s->lo - va_base) >> shift : 0;

	for (uint64_t i = first; i < entries && s->n < s->max; i++) {
		uint64_t va = va_base + (i << shift);
		uint64_t d;

		if (va > s->last)
			return;
		if (s->budget == 0) {
			s->exhausted = true;
			return;
		}
		s->budget--;
		if (s->m->read64(s->m->ctx, table + i * 8, &d) || !(d & D_VALID))
			continue;
		uint64_t addr = desc_addr(s->c, d);
		if (addr >> s->c->oa_bits)
			continue;
		if (level < 3 && (d & D_TABLE)) {
			find_in(s, addr, level + 1, va); /* depth <= 5 */
			if (s->exhausted)
				return;
			continue;
		}
		if ((level == 3 && !(d & D_TABLE)) || (level < 3 && !block_allowed(s->c, level)))
			continue;
		uint64_t size = BIT(shift);
		addr &= ~(size - 1);
		if (s->pa >= addr && s->pa - addr < size) {
			uint64_t hit = va + (s->pa - addr);
			if (hit >= s->lo && hit <= s->last)
				s->out[s->n++] = hit;
		}
	}
}

int gw_find_va(const struct gw_regs *r, const struct gw_mem *m, uint64_t pa, uint64_t lo,
	       uint64_t last, uint64_t *out, int max, uint32_t budget)
{
	struct gw_cfg c, c2;
	const char *detail;

	if (lo > last || gw_config(r, lo, &c, &detail) != GW_OK ||
	    gw_config(r, last, &c2, &detail) != GW_OK || c.ttbr1 != c2.ttbr1 ||
	    (c.base >> c.oa_bits))
		return -1;
	struct finder s = { m, &c, pa, lo, last, out, max, 0, budget, false };
	uint64_t base = c.ttbr1 ? ~0ull << c.ia_bits : 0;
	find_in(&s, c.base, c.start, base);
	return s.exhausted ? -1 : s.n;
}

/* -- messages -------------------------------------------------------------- */

const char *gw_fault_name(enum gw_fault f)
{
	switch (f) {
	case GW_OK: return "ok";
	case GW_FAULT_RANGE: return "address outside both translation ranges";
	case GW_FAULT_DISABLED: return "translation disabled (EPD)";
	case GW_FAULT_CONFIG: return "unusable TCR_EL1 configuration";
	case GW_FAULT_TRANSLATION: return "translation fault";
	case GW_FAULT_ADDRESS_SIZE: return "address size fault";
	case GW_FAULT_READ: return "descriptor not readable";
	}
	return "unknown fault";
}

int gw_describe(const struct gw_result *res, char *buf, size_t size)
{
	const char *half = res->ttbr1 ? "TTBR1" : "TTBR0";
	unsigned long long va = res->va, dpa = res->desc_pa, d = res->desc;

	switch (res->fault) {
	case GW_OK:
		return m_snprintf(buf, size, "0x%llx -> 0x%llx (%s level %d, 0x%llx bytes, AP %u%s%s)",
				  va, (unsigned long long)res->pa, half, res->level,
				  (unsigned long long)res->size, res->ap, res->uxn ? " UXN" : "",
				  res->pxn ? " PXN" : "");
	case GW_FAULT_RANGE:
		return m_snprintf(buf, size, "0x%llx is in neither the TTBR0 nor the TTBR1 range", va);
	case GW_FAULT_DISABLED:
		return m_snprintf(buf, size, "0x%llx: %s walks disabled (TCR_EL1.EPD%d)", va, half,
				  res->ttbr1 ? 1 : 0);
	case GW_FAULT_CONFIG:
		return m_snprintf(buf, size, "0x%llx: unusable TCR_EL1 for %s: %s", va, half,
				  res->detail);
	case GW_FAULT_READ:
		return m_snprintf(buf, size,
				  "0x%llx: level %d descriptor at 0x%llx (index %u) is outside guest RAM",
				  va, res->level, dpa, res->index);
	case GW_FAULT_TRANSLATION:
		return m_snprintf(buf, size,
				  "0x%llx: level %d translation fault at descriptor 0x%llx "
				  "(entry 0x%llx, index %u): %s",
				  va, res->level, dpa, d, res->index, res->detail);
	case GW_FAULT_ADDRESS_SIZE:
		if (res->detail == base_beyond)
			return m_snprintf(buf, size, "0x%llx: %s table 0x%llx is beyond the %u-bit PA size",
					  va, half, dpa, res->oa_bits);
		return m_snprintf(buf, size,
				  "0x%llx: level %d address size fault at descriptor 0x%llx "
				  "(entry 0x%llx, index %u): %s (%u-bit)",
				  va, res->level, dpa, d, res->index, res->detail, res->oa_bits);
	}
	return m_snprintf(buf, size, "0x%llx: unknown fault %d", va, (int)res->fault);
}
