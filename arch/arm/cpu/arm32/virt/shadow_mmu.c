/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARMv5 shadow page tables (short descriptors, ARMv5 ARM "Virtual Memory System
 * Architecture"). The guest runs in USR mode on shadow tables built on demand from its own;
 * its virtual privilege is a choice of shadow DACR (shadow_dacr): every shadow MiB carries
 * one of three shadow domains ("kinds") chosen so that one AP per page gives each virtual
 * mode exactly the rights the guest's tables grant it (docs/armv5-virt.md has the table).
 */
#include "shadow_mmu.h"

#define MIB_SHIFT 20
#define MIB (1u << MIB_SHIFT)
#define PAGE_SHIFT 12
#define PAGE 0x1000u

#define C1_M (1u << 0)
#define C1_S (1u << 8)
#define C1_R (1u << 9)

#define L1_FAULT 0u
#define L1_COARSE 1u
#define L1_SECTION 2u
#define L1_FINE 3u
#define L1_BIT4 (1u << 4)
#define L2_LARGE 1u
#define L2_SMALL 2u
#define DESC_CB 0xcu

/* Guest fault status codes (FSR[3:0]). */
#define FS_TRANS_SECTION 0x5u
#define FS_TRANS_PAGE 0x7u
#define FS_DOMAIN_SECTION 0x9u
#define FS_DOMAIN_PAGE 0xbu
#define FS_PERM_SECTION 0xdu
#define FS_PERM_PAGE 0xfu
#define FS_EXT_L1 0xcu
#define FS_EXT_L2 0xeu
#define FS_EXT_SECTION 0x8u
#define FS_EXT_PAGE 0xau

enum perm { P_NONE, P_RO, P_RW };
enum { MIB_EMPTY, MIB_SECTION, MIB_L2 };
#define FLAT_KEY 1u
#define KIND_BIT(k) (1u << (k))

/* ---- the guest's view ------------------------------------------------------------- */

/* ARMv5 AP with c1.S and c1.R: what privileged (priv) or user code may do. */
static enum perm ap_perm(unsigned ap, bool s, bool r, bool priv)
{
	switch (ap & 3u) {
	case 0:
		if (s && !r)
			return priv ? P_RO : P_NONE;
		if (r && !s)
			return P_RO;
		return P_NONE;              /* S=R=0: no access; S=R=1: unpredictable, refused */
	case 1:
		return priv ? P_RW : P_NONE;
	case 2:
		return priv ? P_RW : P_RO;
	default:
		return P_RW;
	}
}

struct gwalk {
	uint32_t l1raw, l2raw;
	bool section, coarse;
	unsigned dom;
	uint32_t gpa;            /* of va */
	uint8_t p[4], u[4];      /* rights of the four 1 KiB subpages of va's 4 KiB page */
	uint8_t cp[4], cu[4];    /* the same if the domain were client (from AP alone) */
	uint32_t fsr;            /* structural fault (translation, external, domain), or 0 */
	enum shadow_error err;
};

static bool read_desc(struct shadow_mmu *s, uint32_t gpa, uint32_t *out)
{
	s->st.desc_reads++;
	if (s->cfg.read32)
		return s->cfg.read32(s->cfg.read_ctx, gpa, out);
	const struct shadow_guest_ram *r = &s->cfg.ram;
	if (gpa & 3u || gpa < r->gpa_base || gpa - r->gpa_base > r->size - 4u)
		return false;
	const uint8_t *p = r->host + (gpa - r->gpa_base);
	*out = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return true;
}

static void rights_from_ap(struct gwalk *w, const unsigned ap[4], uint32_t dacr, uint32_t c1)
{
	unsigned dt = (dacr >> (2u * w->dom)) & 3u;
	bool s = c1 & C1_S, r = c1 & C1_R;
	for (unsigned i = 0; i < 4; i++) {
		w->cp[i] = (uint8_t)ap_perm(ap[i], s, r, true);
		w->cu[i] = (uint8_t)ap_perm(ap[i], s, r, false);
		w->p[i] = dt == 3 ? P_RW : w->cp[i];
		w->u[i] = dt == 3 ? P_RW : w->cu[i];
	}
	if (dt == 0 || dt == 2)        /* no access; 2 is reserved: treated as no access */
		w->fsr = (w->section ? FS_DOMAIN_SECTION : FS_DOMAIN_PAGE) | w->dom << 4;
}

/* The guest's two-level walk for va: fills w; w->fsr / w->err say why it stops. */
static void guest_walk(struct shadow_mmu *s, uint32_t va, struct gwalk *w)
{
	*w = (struct gwalk){ 0 };
	unsigned ap[4];
	if (!(s->control & C1_M)) {        /* MMU off: flat guest-physical, no checks */
		w->section = true;
		w->l1raw = (va & ~(MIB - 1)) | L1_SECTION;
		w->gpa = va;
		for (unsigned i = 0; i < 4; i++)
			w->p[i] = w->u[i] = w->cp[i] = w->cu[i] = P_RW;
		return;
	}
	uint32_t l1a = (s->ttbr & 0xffffc000u) | (va >> MIB_SHIFT) << 2;
	if (!read_desc(s, l1a, &w->l1raw)) {
		w->fsr = FS_EXT_L1;
		return;
	}
	w->dom = (w->l1raw >> 5) & 0xfu;
	switch (w->l1raw & 3u) {
	case L1_FAULT:
		w->fsr = FS_TRANS_SECTION;
		w->dom = 0;
		return;
	case L1_FINE:
		w->err = SHADOW_E_FINE_TABLE;
		return;
	case L1_SECTION:
		w->section = true;
		w->gpa = (w->l1raw & ~(MIB - 1)) | (va & (MIB - 1));
		for (unsigned i = 0; i < 4; i++)
			ap[i] = (w->l1raw >> 10) & 3u;
		break;
	default: {
		w->coarse = true;
		uint32_t l2a = (w->l1raw & 0xfffffc00u) | ((va >> PAGE_SHIFT) & 0xffu) << 2;
		if (!read_desc(s, l2a, &w->l2raw)) {
			w->fsr = FS_EXT_L2 | w->dom << 4;
			return;
		}
		switch (w->l2raw & 3u) {
		case L2_LARGE:
			w->gpa = (w->l2raw & 0xffff0000u) | (va & 0xffffu);
			for (unsigned i = 0; i < 4; i++)
				ap[i] = (w->l2raw >> (4u + 2u * ((va >> 14) & 3u))) & 3u;
			break;
		case L2_SMALL:
			w->gpa = (w->l2raw & 0xfffff000u) | (va & 0xfffu);
			for (unsigned i = 0; i < 4; i++)
				ap[i] = (w->l2raw >> (4u + 2u * i)) & 3u;
			break;
		default:      /* fault, or a tiny page (fine tables only): translation fault */
			w->fsr = FS_TRANS_PAGE | w->dom << 4;
			return;
		}
	}
	}
	rights_from_ap(w, ap, s->dacr, s->control);
}

static bool in_ram(const struct shadow_mmu *s, uint32_t gpa)
{
	return gpa >= s->cfg.ram.gpa_base && gpa - s->cfg.ram.gpa_base < s->cfg.ram.size;
}

static bool in_mmio(const struct shadow_mmu *s, uint32_t gpa)
{
	for (unsigned i = 0; i < s->cfg.nmmio; i++)
		if (gpa >= s->cfg.mmio[i].base && gpa - s->cfg.mmio[i].base < s->cfg.mmio[i].size)
			return true;
	return false;
}

static uint32_t host_pa(const struct shadow_mmu *s, uint32_t gpa)
{
	return s->cfg.ram.host_pa + (gpa - s->cfg.ram.gpa_base);
}

static bool in_window(const struct shadow_mmu *s, uint32_t va)
{
	return va - s->cfg.win_base < s->cfg.win_size;
}

static bool pinned_mib(const struct shadow_mmu *s, unsigned mib)
{
	return s->cfg.pin && (s->cfg.pin_va >> MIB_SHIFT) == mib;
}

static bool reserved_va(const struct shadow_mmu *s, uint32_t va)
{
	return in_window(s, va) || (s->cfg.pin && (va & ~(PAGE - 1)) == s->cfg.pin_va);
}

/* Applies the walk's verdict to one access; SHADOW_FILLED means "allowed, RAM". */
static enum shadow_result judge(struct shadow_mmu *s, uint32_t va, const struct gwalk *w,
				bool write, bool privileged, struct shadow_outcome *out)
{
	*out = (struct shadow_outcome){ .far = va };
	if (s->fcse) {
		out->error = SHADOW_E_FCSE;
		return out->kind = SHADOW_ERROR;
	}
	if (w->err) {
		out->error = w->err;
		return out->kind = SHADOW_ERROR;
	}
	if (w->fsr) {
		out->fsr = w->fsr;
		return out->kind = SHADOW_GUEST_FAULT;
	}
	unsigned sub = (va >> 10) & 3u;
	enum perm have = privileged ? w->p[sub] : w->u[sub];
	if (have == P_NONE || (write && have != P_RW)) {
		out->fsr = (w->section ? FS_PERM_SECTION : FS_PERM_PAGE) | w->dom << 4;
		return out->kind = SHADOW_GUEST_FAULT;
	}
	out->gpa = w->gpa;
	if (in_ram(s, w->gpa))
		return out->kind = SHADOW_FILLED;
	if (in_mmio(s, w->gpa))
		return out->kind = SHADOW_MMIO;
	out->fsr = (w->section ? FS_EXT_SECTION : FS_EXT_PAGE) | w->dom << 4;
	return out->kind = SHADOW_GUEST_FAULT;   /* nothing at that physical address */
}

enum shadow_result shadow_translate(struct shadow_mmu *s, uint32_t va, bool write, bool exec,
				    bool privileged, struct shadow_outcome *out)
{
	(void)exec;     /* ARMv5 has no execute permission: a fetch needs read */
	struct gwalk w;
	guest_walk(s, va, &w);
	return judge(s, va, &w, write, privileged, out);
}

/* ---- shadow tables ---------------------------------------------------------------- */

static unsigned enc_ap(enum perm p)
{
	return p == P_RW ? 3u : p == P_RO ? 2u : 1u;   /* USR rights with real S=1, R=0 */
}

static uint32_t *l1_of(struct shadow_mmu *s, unsigned r)
{
	return s->cfg.l1[r];
}

static uint32_t l2_desc(const struct shadow_mmu *s, unsigned idx, unsigned dom)
{
	return (s->cfg.l2_pa + idx * 1024u) | L1_COARSE | L1_BIT4 | dom << 5;
}

static void flush_all(struct shadow_mmu *s)
{
	s->st.flush_all_requests++;
	if (s->cfg.tlb_flush_all)
		s->cfg.tlb_flush_all(s->cfg.tlb_ctx);
}

static void flush_mva(struct shadow_mmu *s, uint32_t va)
{
	if (s->cfg.tlb_flush_mva)
		s->cfg.tlb_flush_mva(s->cfg.tlb_ctx, va);
}

static unsigned pin_index(const struct shadow_mmu *s)
{
	return (s->cfg.pin_va >> PAGE_SHIFT) & 0xffu;
}

/* Empties a shadow MiB (the window never; the pinned MiB keeps its table and page). */
static void drop_mib(struct shadow_mmu *s, unsigned r, unsigned i)
{
	struct shadow_mib *m = &s->roots[r].mib[i];
	if (m->state == MIB_EMPTY || in_window(s, i << MIB_SHIFT))
		return;
	s->st.drops++;
	if (pinned_mib(s, i)) {
		uint32_t *t = s->cfg.l2[m->l2];
		for (unsigned e = 0; e < SHADOW_L2_ENTRIES; e++)
			if (e != pin_index(s))
				t[e] = 0;
		m->kind = SHADOW_KIND_SAME;
		m->graw = 0;
		l1_of(s, r)[i] = l2_desc(s, m->l2, SHADOW_DOM_HYP);
		return;
	}
	if (m->state == MIB_L2)
		s->l2m[m->l2].used = false;
	l1_of(s, r)[i] = 0;
	*m = (struct shadow_mib){ .l2 = SHADOW_NO_L2, .state = MIB_EMPTY };
}

static void reset_root(struct shadow_mmu *s, unsigned r, uint32_t key)
{
	struct shadow_root *rt = &s->roots[r];
	for (unsigned i = 0; i < SHADOW_L1_ENTRIES; i++) {
		if (rt->used && rt->mib[i].state == MIB_L2 && !pinned_mib(s, i))
			s->l2m[rt->mib[i].l2].used = false;
		rt->mib[i] = (struct shadow_mib){ .l2 = SHADOW_NO_L2, .state = MIB_EMPTY };
		l1_of(s, r)[i] = 0;
	}
	for (uint32_t off = 0; off < s->cfg.win_size; off += MIB)
		l1_of(s, r)[(s->cfg.win_base + off) >> MIB_SHIFT] = s->cfg.win_l1[off >> MIB_SHIFT];
	if (s->cfg.pin) {       /* the pinned page's table: pool entry r, never evicted */
		unsigned i = s->cfg.pin_va >> MIB_SHIFT;
		uint32_t *t = s->cfg.l2[r];
		for (unsigned e = 0; e < SHADOW_L2_ENTRIES; e++)
			t[e] = 0;
		t[pin_index(s)] = s->cfg.pin_desc;
		s->l2m[r] = (struct shadow_l2meta){ .used = true, .pinned = true, .root = (uint8_t)r,
						    .mib = (uint16_t)i };
		rt->mib[i] = (struct shadow_mib){ .l2 = (uint16_t)r, .state = MIB_L2,
						  .kind = SHADOW_KIND_SAME };
		l1_of(s, r)[i] = l2_desc(s, r, SHADOW_DOM_HYP);
	}
	rt->key = key;
	rt->used = true;
	rt->stale = false;
	rt->stamp = ++s->clock;
}

/* Re-reads the guest descriptors every entry of root r came from and drops what changed. */
static void revalidate(struct shadow_mmu *s, unsigned r)
{
	struct shadow_root *rt = &s->roots[r];
	rt->stale = false;
	if (rt->key == FLAT_KEY)
		return;
	s->st.revalidations++;
	uint32_t ttbr = rt->key;
	for (unsigned i = 0; i < SHADOW_L1_ENTRIES; i++) {
		struct shadow_mib *m = &rt->mib[i];
		if (m->state == MIB_EMPTY || (pinned_mib(s, i) && m->graw == 0))
			continue;
		uint32_t now;
		if (!read_desc(s, ttbr | i << 2, &now) || now != m->graw) {
			drop_mib(s, r, i);
			continue;
		}
		if (m->state != MIB_L2 || (now & 3u) != L1_COARSE)
			continue;
		uint32_t *t = s->cfg.l2[m->l2];
		for (unsigned e = 0; e < SHADOW_L2_ENTRIES; e++) {
			if (!t[e] || (pinned_mib(s, i) && e == pin_index(s)))
				continue;
			uint32_t d;
			if (!read_desc(s, (now & 0xfffffc00u) | e << 2, &d) ||
			    d != s->l2m[m->l2].graw[e])
				t[e] = 0;
		}
	}
}

static void select_root(struct shadow_mmu *s, uint32_t key)
{
	unsigned n = s->cfg.nroots, victim = n;
	for (unsigned r = 0; r < n; r++)
		if (s->roots[r].used && s->roots[r].key == key) {
			victim = r;
			break;
		}
	if (victim < n) {
		s->st.roots_reused++;
		if (s->roots[victim].stale)
			revalidate(s, victim);
	} else {
		for (unsigned r = 0; r < n && victim == n; r++)
			if (!s->roots[r].used)
				victim = r;
		for (unsigned r = 0; r < n && !(victim < n && !s->roots[victim].used); r++) {
			if (r == s->cur && n > 1)
				continue;
			if (victim == n || s->roots[r].stamp < s->roots[victim].stamp)
				victim = r;      /* least recently used */
		}
		s->st.roots_created++;
		reset_root(s, victim, key);
	}
	s->roots[victim].stamp = ++s->clock;
	if (victim != s->cur)
		flush_all(s);          /* a new TTBR: ARMv5 TLBs are not tagged */
	s->cur = victim;
}

static void pick_root(struct shadow_mmu *s)
{
	select_root(s, (s->control & C1_M) ? (s->ttbr & 0xffffc000u) : FLAT_KEY);
}

/* A free coarse table, evicting the least recently filled one if the pool is full. */
static unsigned alloc_l2(struct shadow_mmu *s)
{
	unsigned victim = SHADOW_NO_L2;
	for (unsigned k = 0; k < s->cfg.nl2; k++) {
		if (!s->l2m[k].used) {
			victim = k;
			break;
		}
		if (!s->l2m[k].pinned &&
		    (victim == SHADOW_NO_L2 || s->l2m[k].stamp < s->l2m[victim].stamp))
			victim = k;
	}
	if (s->l2m[victim].used) {
		s->st.l2_evictions++;
		unsigned r = s->l2m[victim].root;
		drop_mib(s, r, s->l2m[victim].mib);
		if (r == s->cur)
			flush_all(s);
	}
	s->st.l2_allocs++;
	uint32_t *t = s->cfg.l2[victim];
	for (unsigned e = 0; e < SHADOW_L2_ENTRIES; e++)
		t[e] = 0;
	return victim;
}

/* Which kinds express both virtual modes' rights (p, u) of this page exactly. */
static unsigned kinds_for(const struct shadow_mmu *s, const uint8_t *p, const uint8_t *u,
			  unsigned mib)
{
	unsigned mask = KIND_BIT(SHADOW_KIND_SAME) | KIND_BIT(SHADOW_KIND_MGR) |
			KIND_BIT(SHADOW_KIND_KERN);
	for (unsigned i = 0; i < 4; i++) {
		unsigned ok = 0;
		/* SAME also takes privileged RW / user RO (user read-only and copy-on-write pages,
		 * the vectors page) with the user's RO: the privileged write is emulated. Manager
		 * would let the guest kernel's STRT (its copy_to_user with CPU_USE_DOMAINS) write
		 * such a page where the hardware checks user rights, and miss copy-on-write. */
		if (p[i] == u[i] || (p[i] == P_RW && u[i] == P_RO))
			ok |= KIND_BIT(SHADOW_KIND_SAME);
		if ((p[i] == P_RW && u[i] != P_RO) ||
		    (s->cfg.relax_kernel_ro && p[i] == P_RO && u[i] == P_NONE))
			ok |= KIND_BIT(SHADOW_KIND_MGR);
		if (u[i] == P_NONE)
			ok |= KIND_BIT(SHADOW_KIND_KERN);
		mask &= ok;
	}
	/* The pinned page is the hardware vector page: the CPU fetches it in whichever view
	 * is current, so its MiB's domain is client in both (no MGR, no KERN) and the guest's
	 * domain type goes into the AP of its entries instead (shadow_dacr_write drops them). */
	if (pinned_mib(s, mib))
		mask &= KIND_BIT(SHADOW_KIND_SAME);
	if (!(s->control & C1_M))     /* flat: domain 0, client always */
		mask &= KIND_BIT(SHADOW_KIND_SAME);
	return mask;
}

/* The AP a page gets in a MiB of this kind: never more than the guest grants either mode. */
static unsigned page_ap(const uint8_t *p, const uint8_t *u, unsigned kind, unsigned i)
{
	if (kind == SHADOW_KIND_KERN)
		return enc_ap((enum perm)p[i]);
	return enc_ap((enum perm)u[i]);      /* SAME: u <= p; MGR: the user view's AP */
}

/* Can this page go into a MiB of kind k without giving a mode more than it has (or than
 * relax_kernel_ro allows)? */
static bool kind_safe(const struct shadow_mmu *s, const uint8_t *p, const uint8_t *u,
		      unsigned kind)
{
	for (unsigned i = 0; i < 4; i++)
		if (kind == SHADOW_KIND_MGR && !(p[i] == P_RW && u[i] != P_RO) &&
		    !(s->cfg.relax_kernel_ro && p[i] == P_RO && u[i] == P_NONE))
			return false;
	return true;
}

/* The slot of shadow domains of guest domain g; the least recently used slot's MiBs are
 * dropped when a fifth guest domain needs one (Linux uses domains 0-3). */
static unsigned slot_for(struct shadow_mmu *s, unsigned g)
{
	int have = s->slot_of[g];
	if (have >= 0) {
		s->slot_stamp[have] = ++s->clock;
		return (unsigned)have;
	}
	unsigned v = 0;
	for (unsigned k = 0; k < SHADOW_SLOTS; k++)
		if (s->slot_stamp[k] < s->slot_stamp[v])
			v = k;
	if (s->slot_stamp[v]) {      /* in use: evict */
		unsigned old = s->slot_dom[v];
		s->st.slot_evictions++;
		for (unsigned r = 0; r < s->cfg.nroots; r++) {
			if (!s->roots[r].used || s->roots[r].key == FLAT_KEY)
				continue;
			for (unsigned i = 0; i < SHADOW_L1_ENTRIES; i++) {
				struct shadow_mib *m = &s->roots[r].mib[i];
				if (m->state != MIB_EMPTY && !pinned_mib(s, i) &&
				    ((m->graw >> 5) & 0xfu) == old)
					drop_mib(s, r, i);
			}
		}
		s->slot_of[old] = -1;
		flush_all(s);
	}
	s->slot_of[g] = (int8_t)v;
	s->slot_dom[v] = (uint8_t)g;
	s->slot_stamp[v] = ++s->clock;
	return v;
}

/* The shadow domain of MiB i of this kind (its guest domain g). */
static unsigned mib_domain(struct shadow_mmu *s, unsigned i, unsigned kind, unsigned g)
{
	if (!(s->control & C1_M))
		return SHADOW_DOM_HYP;
	if (pinned_mib(s, i))
		return SHADOW_DOM_PIN + (kind == SHADOW_KIND_KERN);
	return 2u + 3u * slot_for(s, g) + kind;
}

static unsigned prefer(unsigned mask)
{
	/* SAME before MGR: a user MiB's read-only pages fit SAME only (above). */
	if (mask & KIND_BIT(SHADOW_KIND_KERN))
		return SHADOW_KIND_KERN;
	if (mask & KIND_BIT(SHADOW_KIND_SAME))
		return SHADOW_KIND_SAME;
	return SHADOW_KIND_MGR;
}

static bool section_fits(const struct shadow_mmu *s, const struct gwalk *w, unsigned mib)
{
	uint32_t base = w->gpa & ~(MIB - 1);
	const struct shadow_guest_ram *r = &s->cfg.ram;
	return w->section && !pinned_mib(s, mib) && base >= r->gpa_base &&
	       (uint64_t)base + MIB <= (uint64_t)r->gpa_base + r->size &&
	       !(host_pa(s, base) & (MIB - 1));
}

/* What the real MMU would allow the guest (USR mode) with the current shadow state. */
static bool hw_allows(const struct shadow_mmu *s, uint32_t va, bool write)
{
	uint32_t l1 = s->cfg.l1[s->cur][va >> MIB_SHIFT];
	uint32_t dacr = shadow_dacr(s);
	unsigned ap;
	if ((l1 & 3u) == L1_SECTION) {
		ap = (l1 >> 10) & 3u;
	} else if ((l1 & 3u) == L1_COARSE) {
		unsigned idx = (unsigned)((l1 & 0xfffffc00u) - s->cfg.l2_pa) / 1024u;
		if (idx >= s->cfg.nl2)
			return false;
		uint32_t l2 = s->cfg.l2[idx][(va >> PAGE_SHIFT) & 0xffu];
		if ((l2 & 3u) != L2_SMALL)
			return false;
		ap = (l2 >> (4u + 2u * ((va >> 10) & 3u))) & 3u;
	} else {
		return false;
	}
	unsigned dt = (dacr >> (2u * ((l1 >> 5) & 0xfu))) & 3u;
	if (dt == 3)
		return true;
	if (dt != 1)
		return false;
	return ap == 3 || (ap == 2 && !write);
}

static enum shadow_result fill(struct shadow_mmu *s, uint32_t va, const struct gwalk *w,
			       struct shadow_outcome *out)
{
	unsigned r = s->cur, i = va >> MIB_SHIFT;
	struct shadow_mib *m = &s->roots[r].mib[i];
	uint32_t *l1 = l1_of(s, r);
	bool pin = pinned_mib(s, i);
	/* the pinned MiB's entries carry a guest manager domain's rights in their AP */
	const uint8_t *p = pin ? w->p : w->cp, *u = pin ? w->u : w->cu;
	unsigned mask = kinds_for(s, p, u, i);
	unsigned cb = !(s->control & C1_M) ? 0 : w->coarse ? w->l2raw & DESC_CB : w->l1raw & DESC_CB;

	if (m->state != MIB_EMPTY && m->graw != w->l1raw && !(pin && m->graw == 0)) {
		drop_mib(s, r, i);      /* built from another level 1 descriptor: rebuild */
		flush_all(s);
	}
	if (!pin && (s->control & C1_M))
		(void)slot_for(s, w->dom);     /* may evict other MiBs, before this one is built */
	if (m->state == MIB_EMPTY && mask && section_fits(s, w, i)) {
		unsigned kind = prefer(mask);
		l1[i] = host_pa(s, w->gpa & ~(MIB - 1)) | L1_SECTION | L1_BIT4 | cb |
			page_ap(p, u, kind, 0) << 10 | mib_domain(s, i, kind, w->dom) << 5;
		*m = (struct shadow_mib){ .graw = w->l1raw, .l2 = SHADOW_NO_L2,
					  .state = MIB_SECTION, .kind = (uint8_t)kind };
		s->roots[r].stamp = ++s->clock;
		return out->kind = SHADOW_FILLED;
	}
	if (m->state == MIB_SECTION) {      /* same descriptor, rights changed: rebuild */
		drop_mib(s, r, i);
		flush_all(s);
	}
	if (m->state == MIB_EMPTY) {
		unsigned k = alloc_l2(s);
		unsigned kind = prefer(mask);
		s->l2m[k] = (struct shadow_l2meta){ .used = true, .root = (uint8_t)r,
						    .mib = (uint16_t)i };
		*m = (struct shadow_mib){ .graw = w->l1raw, .l2 = (uint16_t)k, .state = MIB_L2,
					  .kind = (uint8_t)kind };
	}
	m->graw = w->l1raw;
	uint32_t *t = s->cfg.l2[m->l2];
	unsigned e = (va >> PAGE_SHIFT) & 0xffu;
	if (!(mask & KIND_BIT(m->kind)) && (mask || !kind_safe(s, p, u, m->kind))) {
		/* The page needs another kind: switch the MiB; its other pages refault. */
		s->st.kind_switches++;
		for (unsigned x = 0; x < SHADOW_L2_ENTRIES; x++)
			if (!(pin && x == pin_index(s)))
				t[x] = 0;
		m->kind = (uint8_t)(mask ? prefer(mask) : SHADOW_KIND_SAME);
		flush_all(s);
	}
	l1[i] = l2_desc(s, m->l2, mib_domain(s, i, m->kind, w->dom));
	uint32_t ap = 0;
	for (unsigned x = 0; x < 4; x++)
		ap |= page_ap(p, u, m->kind, x) << (4u + 2u * x);
	t[e] = host_pa(s, w->gpa & ~(PAGE - 1)) | L2_SMALL | cb | ap;
	s->l2m[m->l2].graw[e] = w->coarse ? w->l2raw : w->l1raw;
	s->l2m[m->l2].stamp = ++s->clock;
	s->roots[r].stamp = s->clock;
	return out->kind = SHADOW_FILLED;
}

enum shadow_result shadow_fault(struct shadow_mmu *s, uint32_t va, bool write, bool exec,
				bool privileged, struct shadow_outcome *out)
{
	s->st.faults++;
	struct gwalk w;
	guest_walk(s, va, &w);
	enum shadow_result res = judge(s, va, &w, write, privileged, out);
	if (res == SHADOW_FILLED && reserved_va(s, va)) {
		if (exec) {
			out->error = SHADOW_E_RESERVED_EXEC;
			res = out->kind = SHADOW_ERROR;
		} else {
			res = out->kind = SHADOW_EMULATE;
		}
	} else if (res == SHADOW_FILLED) {
		fill(s, va, &w, out);
		if (!hw_allows(s, va, write)) {    /* rights the shadow cannot give this mode */
			if (exec) {
				out->error = SHADOW_E_NO_PROGRESS;
				res = out->kind = SHADOW_ERROR;
			} else {
				res = out->kind = SHADOW_EMULATE;
			}
		} else {
			s->st.fills++;
		}
	}
	switch (res) {
	case SHADOW_GUEST_FAULT: s->st.guest_faults++; break;
	case SHADOW_MMIO: s->st.mmio++; break;
	case SHADOW_EMULATE: s->st.emulate++; break;
	case SHADOW_ERROR: s->st.errors++; break;
	default: break;
	}
	return res;
}

/* ---- hooks ------------------------------------------------------------------------ */

uint32_t shadow_ttbr(const struct shadow_mmu *s)
{
	return s->cfg.l1_pa + s->cur * 0x4000u;
}

/* A shadow domain's type: the kind's type in this view if the guest domain is client,
 * manager or no access as the guest's domain says. */
static uint32_t dom_type(unsigned guest_type, unsigned kind, bool privileged)
{
	static const uint32_t client_priv[3] = { 1u, 3u, 1u }, client_user[3] = { 1u, 1u, 0u };
	uint32_t t = privileged ? client_priv[kind] : client_user[kind];
	if (guest_type == 3)
		return 3u;
	return guest_type == 1 ? t : 0u;        /* 0 and 2 (reserved): no access */
}

uint32_t shadow_dacr(const struct shadow_mmu *s)
{
	uint32_t dacr = 1u;                     /* domain 0: client */
	for (unsigned k = 0; k < SHADOW_SLOTS; k++) {
		if (!s->slot_stamp[k])
			continue;
		unsigned gt = (s->dacr >> (2u * s->slot_dom[k])) & 3u;
		for (unsigned kind = 0; kind < 3; kind++)
			dacr |= dom_type(gt, kind, s->privileged) << (2u * (2u + 3u * k + kind));
	}
	if (s->cfg.pin)
		dacr |= 1u << (2u * SHADOW_DOM_PIN);   /* the pinned MiB: client always */
	return dacr;
}

void shadow_mode_change(void *ctx, bool privileged)
{
	((struct shadow_mmu *)ctx)->privileged = privileged;
}

void shadow_ttbr_write(void *ctx, uint32_t ttbr)
{
	struct shadow_mmu *s = ctx;
	s->ttbr = ttbr;
	if (s->control & C1_M)
		pick_root(s);
}

/* Drops the MiBs [0, nmib) of every root. */
static void drop_everything(struct shadow_mmu *s, unsigned nmib)
{
	for (unsigned r = 0; r < s->cfg.nroots; r++)
		if (s->roots[r].used)
			for (unsigned i = 0; i < nmib; i++)
				drop_mib(s, r, i);
	flush_all(s);
}

void shadow_dacr_write(void *ctx, uint32_t dacr)
{
	struct shadow_mmu *s = ctx;
	uint32_t old = s->dacr;
	s->dacr = dacr;
	if (old == dacr || !s->cfg.pin)
		return;          /* the shadow DACR follows (shadow_dacr): nothing to drop */
	/* but the pinned page's MiB where its guest domain changes type (its AP carries it) */
	unsigned i = s->cfg.pin_va >> MIB_SHIFT;
	bool cur_hit = false;
	for (unsigned r = 0; r < s->cfg.nroots; r++) {
		struct shadow_mib *m = &s->roots[r].mib[i];
		unsigned g = (m->graw >> 5) & 0xfu;
		if (!s->roots[r].used || m->graw == 0 || s->roots[r].key == FLAT_KEY ||
		    ((old >> (2u * g)) & 3u) == ((dacr >> (2u * g)) & 3u))
			continue;
		drop_mib(s, r, i);
		cur_hit |= r == s->cur;
	}
	if (cur_hit)
		flush_all(s);
}

void shadow_control_write(void *ctx, uint32_t old, uint32_t new_)
{
	struct shadow_mmu *s = ctx;
	(void)old;     /* s->control is the authority: the hook may be called with a stale old */
	uint32_t diff = s->control ^ new_;
	s->control = new_;
	if (diff & (C1_S | C1_R))
		drop_everything(s, SHADOW_L1_ENTRIES);
	if (diff & C1_M)
		pick_root(s);
}

static void drop_va(struct shadow_mmu *s, unsigned r, uint32_t va)
{
	unsigned i = va >> MIB_SHIFT;
	struct shadow_mib *m = &s->roots[r].mib[i];
	if (m->state == MIB_EMPTY || (pinned_mib(s, i) && m->graw == 0))
		return;
	if (m->state == MIB_SECTION || (m->graw & 3u) != L1_COARSE) {
		drop_mib(s, r, i);
		if (r == s->cur)
			flush_all(s);
		return;
	}
	uint32_t *t = s->cfg.l2[m->l2];
	unsigned e = (va >> PAGE_SHIFT) & 0xffu;
	/* a large page is one TLB entry: its sixteen shadow pages go together */
	unsigned first = e, n = 1;
	if ((s->l2m[m->l2].graw[e] & 3u) == L2_LARGE && t[e]) {
		first = e & ~15u;
		n = 16;
	}
	for (unsigned x = first; x < first + n; x++) {
		if ((pinned_mib(s, i) && x == pin_index(s)) || !t[x])
			continue;
		if (n == 16 && (s->l2m[m->l2].graw[x] & 3u) != L2_LARGE)
			continue;
		t[x] = 0;
		s->st.drops++;
		if (r == s->cur)
			flush_mva(s, (i << MIB_SHIFT) | x << PAGE_SHIFT);
	}
}

void shadow_tlb_op(void *ctx, unsigned op, uint32_t mva_or_asid)
{
	struct shadow_mmu *s = ctx;
	if (op == SHADOW_TLB_MVA) {
		for (unsigned r = 0; r < s->cfg.nroots; r++)
			if (s->roots[r].used && s->roots[r].key != FLAT_KEY)
				drop_va(s, r, mva_or_asid);
		return;
	}
	/* all, or by ASID (ARMv5 has no ASIDs): every root may be stale; the current one is
	 * checked now, the others when the guest switches back to them */
	for (unsigned r = 0; r < s->cfg.nroots; r++)
		if (s->roots[r].used)
			s->roots[r].stale = true;
	revalidate(s, s->cur);
	flush_all(s);
}

void shadow_fcse_write(void *ctx, uint32_t pid)
{
	struct shadow_mmu *s = ctx;
	s->fcse = pid >> 25;
	if (s->fcse)          /* refused: faults report SHADOW_E_FCSE from now on */
		drop_everything(s, 32u);
}

/* ---- set-up ----------------------------------------------------------------------- */

static bool window_entry_ok(uint32_t d)
{
	switch (d & 3u) {
	case L1_FAULT:
		return true;
	case L1_SECTION:
		return ((d >> 5) & 0xfu) == 0 && ((d >> 10) & 3u) <= 1u;
	case L1_COARSE:
		return ((d >> 5) & 0xfu) == 0;
	default:
		return false;
	}
}

int shadow_init(struct shadow_mmu *s, const struct shadow_config *cfg)
{
	const struct shadow_guest_ram *r = &cfg->ram;
	if (!cfg->l1 || !cfg->l2 || cfg->nroots < 1 || cfg->nroots > SHADOW_MAX_ROOTS ||
	    cfg->nl2 < cfg->nroots + 1u || cfg->nl2 > SHADOW_MAX_L2 || cfg->nmmio > SHADOW_MAX_MMIO ||
	    cfg->l1_pa & 0x3fffu || cfg->l2_pa & 0x3ffu || (!cfg->read32 && !r->host) ||
	    (r->gpa_base | r->size | r->host_pa) & (PAGE - 1) || !r->size ||
	    (uint64_t)r->gpa_base + r->size > (1ull << 32) ||
	    (uint64_t)r->host_pa + r->size > (1ull << 32) ||
	    (cfg->win_base | cfg->win_size) & (MIB - 1) ||
	    (uint64_t)cfg->win_base + cfg->win_size > (1ull << 32) ||
	    (cfg->win_size && !cfg->win_l1))
		return -1;
	for (uint32_t off = 0; off < cfg->win_size; off += MIB)
		if (!window_entry_ok(cfg->win_l1[off >> MIB_SHIFT]))
			return -1;
	if (cfg->pin) {
		uint32_t d = cfg->pin_desc;
		if (cfg->pin_va & (PAGE - 1) || cfg->pin_va - cfg->win_base < cfg->win_size ||
		    (d & 3u) != L2_SMALL)
			return -1;
		for (unsigned x = 0; x < 4; x++)
			if (((d >> (4u + 2u * x)) & 3u) > 1u)
				return -1;
	}
	/* field by field: the state is large, keep it off the stack */
	s->cfg = *cfg;
	s->ttbr = s->dacr = s->control = s->fcse = 0;
	s->privileged = true;
	s->cur = 0;
	s->clock = 0;
	s->st = (struct shadow_stats){ 0 };
	for (unsigned g = 0; g < 16; g++)
		s->slot_of[g] = -1;
	for (unsigned k = 0; k < SHADOW_SLOTS; k++)
		s->slot_stamp[k] = s->slot_dom[k] = 0;
	for (unsigned r = 0; r < SHADOW_MAX_ROOTS; r++) {
		s->roots[r].used = s->roots[r].stale = false;
		s->roots[r].key = 0;
		s->roots[r].stamp = 0;
	}
	for (unsigned k = 0; k < SHADOW_MAX_L2; k++) {
		s->l2m[k].used = s->l2m[k].pinned = k < cfg->nroots && cfg->pin;
		s->l2m[k].stamp = 0;
	}
	reset_root(s, 0, FLAT_KEY);
	return 0;
}
