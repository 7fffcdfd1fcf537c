/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARMv5 short-descriptor translation (see mamoru/vmi/walk_short.h), written
 * from the Virtual Memory System Architecture chapter of the ARM Architecture
 * Reference Manual (ARMv5: first-level section/coarse/fine descriptors,
 * second-level large/small/tiny page descriptors, AP subpage fields).
 */
#include <mamoru/libc.h>
#include <mamoru/vmi/walk_short.h>

#define L1_SECTION_MASK 0xfff00000u
#define L1_COARSE_MASK 0xfffffc00u
#define L1_FINE_MASK 0xfffff000u
#define L2_LARGE_MASK 0xffff0000u
#define L2_SMALL_MASK 0xfffff000u
#define L2_TINY_MASK 0xfffffc00u

static int stop(struct gws_result *res, enum gws_fault f, const char *detail)
{
	res->fault = f;
	res->detail = detail;
	return -1;
}

static int leaf(struct gws_result *res, uint32_t mask, uint32_t size, unsigned ap,
		const char *kind)
{
	uint32_t va = (uint32_t)res->va;

	res->pa = (res->desc & mask & ~(size - 1)) | (va & (size - 1));
	res->size = size;
	res->ap = ap;
	res->kind = kind;
	res->fault = GWS_OK;
	return 0;
}

/* Large and small pages carry four AP fields, one per quarter of the page. */
static unsigned subpage_ap(uint32_t desc, uint32_t va, unsigned page_shift)
{
	unsigned quarter = (va >> (page_shift - 2)) & 3;
	return (desc >> (4 + 2 * quarter)) & 3;
}

int gws_translate(uint64_t ttbr, const struct gws_mem *m, uint64_t va, struct gws_result *res)
{
	uint32_t d;

	memset(res, 0, sizeof(*res));
	res->va = va;
	res->level = 1;
	res->kind = "";
	res->detail = "";
	if (va >> 32)
		return stop(res, GWS_FAULT_RANGE, "not a 32-bit address");
	uint32_t va32 = (uint32_t)va;

	/* Level 1: one word per MiB. */
	res->index = va32 >> 20;
	res->desc_pa = ((uint32_t)ttbr & GWS_TTB_MASK) + 4u * res->index;
	if (m->read32(m->ctx, res->desc_pa, &d))
		return stop(res, GWS_FAULT_READ, "descriptor address not readable");
	res->desc = d;
	res->domain = (d >> 5) & 0xf;
	uint32_t table;
	bool fine;
	switch (d & 3) {
	case 0:
		return stop(res, GWS_FAULT_TRANSLATION, "invalid descriptor");
	case 2:
		return leaf(res, L1_SECTION_MASK, 1u << 20, (d >> 10) & 3, "section");
	case 1:
		table = d & L1_COARSE_MASK;
		fine = false;
		res->index = (va32 >> 12) & 0xff;
		break;
	default:
		table = d & L1_FINE_MASK;
		fine = true;
		res->index = (va32 >> 10) & 0x3ff;
		break;
	}

	/* Level 2. */
	res->level = 2;
	res->desc_pa = (uint64_t)table + 4u * res->index;
	if (m->read32(m->ctx, res->desc_pa, &d))
		return stop(res, GWS_FAULT_READ, "descriptor address not readable");
	res->desc = d;
	switch (d & 3) {
	case 0:
		return stop(res, GWS_FAULT_TRANSLATION, "invalid descriptor");
	case 1:
		return leaf(res, L2_LARGE_MASK, 1u << 16, subpage_ap(d, va32, 16), "large page");
	case 2:
		return leaf(res, L2_SMALL_MASK, 1u << 12, subpage_ap(d, va32, 12), "small page");
	default:
		if (!fine)
			return stop(res, GWS_FAULT_TRANSLATION,
				    "extended small page descriptor in a coarse table (not ARMv5)");
		return leaf(res, L2_TINY_MASK, 1u << 10, (d >> 4) & 3, "tiny page");
	}
}

const char *gws_fault_name(enum gws_fault f)
{
	switch (f) {
	case GWS_OK: return "ok";
	case GWS_FAULT_RANGE: return "address beyond 32 bits";
	case GWS_FAULT_TRANSLATION: return "translation fault";
	case GWS_FAULT_READ: return "descriptor not readable";
	}
	return "unknown fault";
}

int gws_describe(const struct gws_result *res, char *buf, size_t size)
{
	unsigned long long va = res->va, dpa = res->desc_pa;

	switch (res->fault) {
	case GWS_OK:
		return m_snprintf(buf, size, "0x%llx -> 0x%llx (level %d %s, 0x%x bytes, domain %u, AP %u)",
				  va, (unsigned long long)res->pa, res->level, res->kind,
				  (unsigned)res->size, res->domain, res->ap);
	case GWS_FAULT_RANGE:
		return m_snprintf(buf, size, "0x%llx is not a 32-bit address", va);
	case GWS_FAULT_READ:
		return m_snprintf(buf, size,
				  "0x%llx: level %d descriptor at 0x%llx (index %u) is outside guest RAM",
				  va, res->level, dpa, res->index);
	case GWS_FAULT_TRANSLATION:
		return m_snprintf(buf, size,
				  "0x%llx: level %d translation fault at descriptor 0x%llx "
				  "(entry 0x%x, index %u): %s",
				  va, res->level, dpa, (unsigned)res->desc, res->index, res->detail);
	}
	return m_snprintf(buf, size, "0x%llx: unknown fault %d", va, (int)res->fault);
}
