/* SPDX-License-Identifier: GPL-2.0-only */
#include "shadow_ref.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The ARMv5 ARM's access permission table (AP, S, R -> privileged, user). */
static enum ref_perm ap_table(unsigned ap, bool s, bool r, bool priv)
{
	static const unsigned char tab[4][4][2] = {
		/* S R = 00          10              01             11 (unpredictable) */
		{ { R_NONE, R_NONE }, { R_RO, R_NONE }, { R_RO, R_RO }, { R_NONE, R_NONE } },
		{ { R_RW, R_NONE }, { R_RW, R_NONE }, { R_RW, R_NONE }, { R_RW, R_NONE } },
		{ { R_RW, R_RO }, { R_RW, R_RO }, { R_RW, R_RO }, { R_RW, R_RO } },
		{ { R_RW, R_RW }, { R_RW, R_RW }, { R_RW, R_RW }, { R_RW, R_RW } },
	};
	return (enum ref_perm)tab[ap][(s ? 1 : 0) + (r ? 2 : 0)][priv ? 0 : 1];
}

uint32_t g_read32(const struct harness *h, uint32_t gpa)
{
	uint32_t v;
	memcpy(&v, h->ram + gpa - T_RAM_BASE, 4);
	return v;
}

void g_write32(struct harness *h, uint32_t gpa, uint32_t v)
{
	memcpy(h->ram + gpa - T_RAM_BASE, &v, 4);
}

static bool ram_word(uint32_t gpa)
{
	return !(gpa & 3) && gpa - T_RAM_BASE <= T_RAM_SIZE - 4;
}

struct ref_result ref_walk(const struct harness *h, uint32_t va, bool write, bool priv)
{
	struct ref_result res = { 0 };
	if (!(h->control & 1)) {
		res.gpa = va;
		goto physical;
	}
	uint32_t l1a = (h->ttbr & ~0x3fffu) + ((va >> 20) << 2);
	if (!ram_word(l1a))
		return (struct ref_result){ .fault = true, .fsr = 0xc };
	uint32_t d1 = g_read32(h, l1a), d2 = 0;
	unsigned dom = (d1 >> 5) & 15, ap;
	bool sect = false;
	switch (d1 & 3) {
	case 0:
		return (struct ref_result){ .fault = true, .fsr = 0x5 };
	case 3:
		return (struct ref_result){ .error = true };
	case 2:
		sect = true;
		ap = (d1 >> 10) & 3;
		res.gpa = (d1 & 0xfff00000u) + (va & 0xfffffu);
		break;
	default: {
		uint32_t l2a = (d1 & ~0x3ffu) + (((va >> 12) & 255) << 2);
		if (!ram_word(l2a))
			return (struct ref_result){ .fault = true, .fsr = 0xe | dom << 4 };
		d2 = g_read32(h, l2a);
		if ((d2 & 3) == 1) {          /* large page: 64 KiB, four 16 KiB subpages */
			ap = (d2 >> (4 + 2 * ((va >> 14) & 3))) & 3;
			res.gpa = (d2 & 0xffff0000u) + (va & 0xffffu);
		} else if ((d2 & 3) == 2) {   /* small page: 4 KiB, four 1 KiB subpages */
			ap = (d2 >> (4 + 2 * ((va >> 10) & 3))) & 3;
			res.gpa = (d2 & 0xfffff000u) + (va & 0xfffu);
		} else {
			return (struct ref_result){ .fault = true, .fsr = 0x7 | dom << 4 };
		}
	}
	}
	unsigned type = (h->dacr >> (2 * dom)) & 3;
	if (type == 0 || type == 2)
		return (struct ref_result){ .fault = true, .fsr = (sect ? 0x9 : 0xb) | dom << 4 };
	if (type == 1) {
		enum ref_perm p = ap_table(ap, h->control & (1u << 8), h->control & (1u << 9), priv);
		if (p == R_NONE || (write && p != R_RW))
			return (struct ref_result){ .fault = true,
						    .fsr = (sect ? 0xd : 0xf) | dom << 4 };
	}
	if (!(res.gpa - T_RAM_BASE < T_RAM_SIZE) && !((res.gpa & ~0xfffu) == T_DEV0) &&
	    !((res.gpa & ~0xfffu) == T_DEV1))
		return (struct ref_result){ .fault = true, .fsr = (sect ? 0x8 : 0xa) | dom << 4 };
	return res;
physical:
	if (!(res.gpa - T_RAM_BASE < T_RAM_SIZE) && !((res.gpa & ~0xfffu) == T_DEV0) &&
	    !((res.gpa & ~0xfffu) == T_DEV1))
		return (struct ref_result){ .fault = true, .fsr = 0x8 };
	return res;
}

bool hw_model(const struct harness *h, uint32_t va, bool write, uint32_t *pa)
{
	uint32_t ttbr = shadow_ttbr(h->s), dacr = shadow_dacr(h->s);
	unsigned root = (ttbr - T_L1_PA) / 0x4000u;
	if (ttbr & 0x3fff || root >= h->nroots)
		return false;
	uint32_t d1 = h->cfg.l1[root][va >> 20], ap;
	if ((d1 & 3) == 2) {
		ap = (d1 >> 10) & 3;
		*pa = (d1 & 0xfff00000u) | (va & 0xfffffu);
	} else if ((d1 & 3) == 1) {
		uint32_t t = (d1 & ~0x3ffu) - T_L2_PA;
		if (t % 1024 || t / 1024 >= h->nl2)
			return false;
		uint32_t d2 = h->cfg.l2[t / 1024][(va >> 12) & 255];
		if ((d2 & 3) != 2)
			return false;           /* the shadow uses small pages only */
		ap = (d2 >> (4 + 2 * ((va >> 10) & 3))) & 3;
		*pa = (d2 & ~0xfffu) | (va & 0xfffu);
	} else {
		return false;
	}
	unsigned type = (dacr >> (2 * ((d1 >> 5) & 15))) & 3;
	if (type == 3)
		return true;
	if (type != 1)
		return false;
	/* USR mode, real c1 S=1 R=0: AP 00 and 01 none, 10 read, 11 read/write */
	return ap == 3 || (ap == 2 && !write);
}

bool reserved(uint32_t va)
{
	return va - T_WIN_BASE < T_WIN_SIZE || (va & ~0xfffu) == T_PIN_VA;
}

int harness_init(struct harness *h, unsigned nroots, unsigned nl2)
{
	memset(h, 0, sizeof(*h));
	h->s = calloc(1, sizeof(*h->s));
	h->ram = calloc(1, T_RAM_SIZE);
	h->cfg.l1 = aligned_alloc(16384, nroots * 16384u);
	h->cfg.l2 = aligned_alloc(1024, nl2 * 1024u);
	if (!h->s || !h->ram || !h->cfg.l1 || !h->cfg.l2)
		return -1;
	h->nroots = nroots;
	h->nl2 = nl2;
	h->cfg.ram = (struct shadow_guest_ram){ T_RAM_BASE, T_RAM_SIZE, h->ram, T_RAM_PA };
	h->cfg.mmio[0] = (struct shadow_range){ T_DEV0, 0x1000 };
	h->cfg.mmio[1] = (struct shadow_range){ T_DEV1, 0x1000 };
	h->cfg.nmmio = 2;
	h->win[0] = T_HYP_PA | 0x412u;          /* section, AP 01, domain 0 */
	h->win[1] = (T_HYP_PA + 0x100000u) | 0x412u;
	h->cfg.win_base = T_WIN_BASE;
	h->cfg.win_size = T_WIN_SIZE;
	h->cfg.win_l1 = h->win;
	h->cfg.pin = true;
	h->cfg.pin_va = T_PIN_VA;
	h->cfg.pin_desc = T_PIN_PA | 0x552u;    /* small page, AP 01 x4 */
	h->cfg.l1_pa = T_L1_PA;
	h->cfg.nroots = nroots;
	h->cfg.l2_pa = T_L2_PA;
	h->cfg.nl2 = nl2;
	h->priv = true;
	return shadow_init(h->s, &h->cfg);
}

void harness_free(struct harness *h)
{
	free(h->s);
	free(h->ram);
	free(h->cfg.l1);
	free(h->cfg.l2);
}

void h_ttbr(struct harness *h, uint32_t v) { h->ttbr = v; shadow_ttbr_write(h->s, v); }
void h_dacr(struct harness *h, uint32_t v) { h->dacr = v; shadow_dacr_write(h->s, v); }
void h_mode(struct harness *h, bool priv) { h->priv = priv; shadow_mode_change(h->s, priv); }
void h_control(struct harness *h, uint32_t v)
{
	uint32_t old = h->control;
	h->control = v;
	shadow_control_write(h->s, old, v);
}

static bool is_dev(uint32_t gpa)
{
	return (gpa & ~0xfffu) == T_DEV0 || (gpa & ~0xfffu) == T_DEV1;
}

static char msg[256];

static enum ref_perm rights(const struct harness *h, uint32_t va, bool priv)
{
	if (!ref_walk(h, va, true, priv).fault)
		return R_RW;
	return ref_walk(h, va, false, priv).fault ? R_NONE : R_RO;
}

/* Every 1 KiB subpage of va's page gives the same rights, and they fit one shadow domain
 * (in the pinned MiB, client in both views, only rights both modes share). */
static bool expressible(const struct harness *h, uint32_t va)
{
	uint32_t page = va & ~0xfffu;
	enum ref_perm p = rights(h, page, true), u = rights(h, page, false);
	for (uint32_t sub = 1; sub < 4; sub++)
		if (rights(h, page + sub * 1024, true) != p || rights(h, page + sub * 1024, false) != u)
			return false;
	/* the pinned MiB is client in both views: only rights both modes share */
	return !((va >> 20) == (T_PIN_VA >> 20) && p != u);
}

/* A privileged write to a page the guest gives privileged RW and user RO: the shadow maps
 * it with the user's RO in both views and emulates the write, so the guest kernel's STRT
 * (user rights) faults there as on hardware. */
static bool ro_user_priv_write(const struct harness *h, uint32_t va, bool write, bool exec)
{
	uint32_t page = va & ~0xfffu;
	return h->priv && write && !exec && rights(h, page, true) == R_RW &&
	       rights(h, page, false) == R_RO;
}

/* With relax_kernel_ro, a privileged write to a kernel read-only page (privileged RO, user
 * none) outside the pinned MiB may be allowed: the one documented over-grant. */
static bool relaxed_ok(const struct harness *h, uint32_t va, bool write, bool priv, uint32_t pa)
{
	if (!h->cfg.relax_kernel_ro || !write || !priv || (va >> 20) == (T_PIN_VA >> 20))
		return false;
	struct ref_result r = ref_walk(h, va, false, true);
	return !r.fault && !r.error && ref_walk(h, va, false, false).fault &&
	       r.gpa - T_RAM_BASE < T_RAM_SIZE && pa == T_RAM_PA + (r.gpa - T_RAM_BASE);
}

const char *check_no_stale(struct harness *h, uint32_t va)
{
	bool saved = h->priv;
	const char *bad = NULL;
	for (int view = 0; view < 2 && !bad; view++) {
		shadow_mode_change(h->s, view == 0);
		for (int w = 0; w < 2 && !bad; w++) {
			uint32_t pa;
			if (!hw_model(h, va, w, &pa))
				continue;
			struct ref_result r = ref_walk(h, va, w, view == 0);
			if (reserved(va)) {
				snprintf(msg, sizeof(msg), "reserved va %#x reachable (view %d w %d)",
					 va, view, w);
				bad = msg;
			} else if (relaxed_ok(h, va, w, view == 0, pa)) {
				continue;
			} else if (r.fault || r.error || r.gpa - T_RAM_BASE >= T_RAM_SIZE ||
				   pa != T_RAM_PA + (r.gpa - T_RAM_BASE)) {
				snprintf(msg, sizeof(msg),
					 "stale: va %#x view %s write %d: shadow pa %#x, guest %s %#x",
					 va, view ? "user" : "priv", w, pa,
					 r.fault ? "fault" : "gpa", r.fault ? r.fsr : r.gpa);
				bad = msg;
			}
		}
	}
	shadow_mode_change(h->s, saved);
	return bad;
}

const char *check_access(struct harness *h, uint32_t va, bool write, bool exec)
{
	if (exec)
		write = false;
	const char *bad = check_no_stale(h, va);
	if (bad)
		return bad;
	uint32_t pa;
	if (hw_model(h, va, write, &pa))
		return NULL;
	struct ref_result r = ref_walk(h, va, write, h->priv);
	struct shadow_outcome o;
	uint64_t reads = h->s->st.desc_reads;
	enum shadow_result k = shadow_fault(h->s, va, write, exec, h->priv, &o);
	if (h->s->st.desc_reads - reads > 2) {
		snprintf(msg, sizeof(msg), "va %#x: %llu descriptor reads", va,
			 (unsigned long long)(h->s->st.desc_reads - reads));
		return msg;
	}
	bool ok;
	if (h->fcse >> 25)      /* a non-zero FCSE PID is refused by design */
		ok = k == SHADOW_ERROR && o.error == SHADOW_E_FCSE;
	else if (r.error)
		ok = k == SHADOW_ERROR && o.error == SHADOW_E_FINE_TABLE;
	else if (r.fault)
		ok = k == SHADOW_GUEST_FAULT && o.fsr == r.fsr && o.far == va;
	else if (is_dev(r.gpa))
		ok = k == SHADOW_MMIO && o.gpa == r.gpa;
	else if (reserved(va))
		ok = exec ? k == SHADOW_ERROR && o.error == SHADOW_E_RESERVED_EXEC
			  : k == SHADOW_EMULATE && o.gpa == r.gpa;
	else if (k == SHADOW_FILLED)
		ok = hw_model(h, va, write, &pa) && pa == T_RAM_PA + (r.gpa - T_RAM_BASE);
	else   /* a right the shadow cannot express: only with mixed rights in a page, or a
		* privileged write to a privileged RW / user RO page (emulated by design) */
		ok = (!expressible(h, va) || ro_user_priv_write(h, va, write, exec)) &&
		     ((k == SHADOW_EMULATE && !exec && o.gpa == r.gpa) ||
		     (k == SHADOW_ERROR && exec && o.error == SHADOW_E_NO_PROGRESS));
	if (!ok) {
		snprintf(msg, sizeof(msg),
			 "va %#x w%d x%d %s: shadow says %d (fsr %#x gpa %#x err %d), guest %s %#x",
			 va, write, exec, h->priv ? "priv" : "user", k, o.fsr, o.gpa, o.error,
			 r.fault ? "fault" : r.error ? "error" : "gpa", r.fault ? r.fsr : r.gpa);
		return msg;
	}
	return check_no_stale(h, va);
}
