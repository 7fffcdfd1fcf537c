/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host tests of the ARMv5 shadow MMU (arch/arm/cpu/arm32/virt/shadow_mmu.c), under
 * ASan/UBSan. Usage: shadow_test tables | perms | property [seed] [steps] | hostile | window
 * Prints "<section>: <checks> checks, <n> failures" last; exit 1 on a failure.
 */
#include "shadow_ref.h"

#include "hostcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define L1T 0x00100000u     /* guest level 1 tables (16 KiB each) */
#define L2T 0x00110000u     /* guest coarse tables (1 KiB each) */
#define S_BIT (1u << 8)
#define R_BIT (1u << 9)

static uint32_t section(uint32_t pa, unsigned ap, unsigned dom)
{
	return (pa & 0xfff00000u) | ap << 10 | dom << 5 | 0x10u | 0xcu | 2u;
}

static uint32_t coarse(uint32_t pa, unsigned dom) { return pa | dom << 5 | 0x10u | 1u; }
static uint32_t small(uint32_t pa, unsigned ap) { return pa | ap * 0x55u << 4 | 0xcu | 2u; }
static uint32_t large(uint32_t pa, unsigned ap) { return pa | ap * 0x55u << 4 | 0xcu | 1u; }

static void set_l1(struct harness *h, unsigned t, uint32_t va, uint32_t d)
{
	g_write32(h, L1T + t * 0x4000u + (va >> 20) * 4u, d);
}

static void set_l2(struct harness *h, unsigned t, uint32_t va, uint32_t d)
{
	g_write32(h, L2T + t * 1024u + ((va >> 12) & 255) * 4u, d);
}

static void set_large(struct harness *h, unsigned t, uint32_t va, uint32_t d)
{
	for (unsigned i = 0; i < 16; i++)
		set_l2(h, t, (va & ~0xffffu) + i * 0x1000u, d);
}

static void mmu_on(struct harness *h, uint32_t dacr)
{
	h_dacr(h, dacr);
	h_ttbr(h, L1T);
	h_control(h, 1u | S_BIT);
}

static uint32_t cur_l1(struct harness *h, uint32_t va)
{
	return h->cfg.l1[(shadow_ttbr(h->s) - T_L1_PA) / 0x4000u][va >> 20];
}

static uint32_t cur_l2(struct harness *h, uint32_t va)
{
	uint32_t d = cur_l1(h, va);
	return h->cfg.l2[((d & ~0x3ffu) - T_L2_PA) / 1024u][(va >> 12) & 255];
}

/* The DACR types (0 no access, 1 client, 3 manager) of a shadow entry's domain in the
 * privileged and user views, as two digits: 10 = client / no access. */
static unsigned views(struct harness *h, uint32_t desc)
{
	unsigned d = (desc >> 5) & 15, t[2];
	bool saved = h->priv;
	for (int v = 0; v < 2; v++) {
		shadow_mode_change(h->s, v == 0);
		t[v] = (shadow_dacr(h->s) >> (2 * d)) & 3;
	}
	shadow_mode_change(h->s, saved);
	return t[0] * 10 + t[1];
}

#define NO_DOM(d) ((d) & ~0x1e0u)

static enum shadow_result fault(struct harness *h, uint32_t va, bool w, struct shadow_outcome *o)
{
	return shadow_fault(h->s, va, w, false, h->priv, o);
}

/* Hand-built tables: the shadow entries and the faults are the ones worked out by hand. */
static void tables(void)
{
	struct harness h;
	CHECK_MSG(harness_init(&h, 4, 32) == 0, "init");
	set_l1(&h, 0, 0xc0000000u, section(0x00000000u, 1, 0));   /* kernel RW */
	set_l1(&h, 0, 0xc0100000u, section(0x00100000u, 0, 0));   /* kernel RO (S=1) */
	set_l1(&h, 0, 0x00800000u, coarse(L2T, 1));               /* user, domain 1 */
	set_l2(&h, 0, 0x00801000u, small(0x00201000u, 3));        /* user RW */
	set_large(&h, 0, 0x00810000u, large(0x00230000u, 2));     /* user RO */
	set_l1(&h, 0, 0xd0000000u, section(T_DEV0, 1, 2));        /* device, domain 2 */
	set_l1(&h, 0, 0xe0000000u, section(0x00300000u, 1, 3));   /* domain 3: no access */
	set_l1(&h, 0, 0xe0100000u, section(0x00300000u, 1, 4));   /* domain 4: manager */
	set_l1(&h, 0, 0xe0200000u, section(0x07000000u, 1, 0));   /* nothing there */
	mmu_on(&h, 0x1u | 1u << 2 | 1u << 4 | 3u << 8);
	struct shadow_outcome o;

	CHECK_MSG(fault(&h, 0xc0012345u, true, &o) == SHADOW_FILLED, "kernel RW section");
	CHECK_MSG(NO_DOM(cur_l1(&h, 0xc0000000u)) == (T_RAM_PA | 3u << 10 | 0x1eu) &&
	          views(&h, cur_l1(&h, 0xc0000000u)) == 10,
	          "kernel RW shadow %#x: AP 11, client / no access", cur_l1(&h, 0xc0000000u));
	CHECK_MSG(fault(&h, 0xc0100000u, false, &o) == SHADOW_FILLED, "kernel RO section");
	CHECK_MSG(NO_DOM(cur_l1(&h, 0xc0100000u)) == ((T_RAM_PA + 0x100000u) | 2u << 10 | 0x1eu) &&
	          views(&h, cur_l1(&h, 0xc0100000u)) == 10,
	          "kernel RO shadow %#x: AP 10, client / no access", cur_l1(&h, 0xc0100000u));
	CHECK_MSG(fault(&h, 0xc0100000u, true, &o) == SHADOW_GUEST_FAULT && o.fsr == 0xd &&
	          o.far == 0xc0100000u, "write to kernel RO: permission fault %#x", o.fsr);

	CHECK_MSG(fault(&h, 0x00801004u, true, &o) == SHADOW_FILLED, "user RW page");
	CHECK_MSG((NO_DOM(cur_l1(&h, 0x00800000u)) & 0x3ffu) == 0x11u &&
	          views(&h, cur_l1(&h, 0x00800000u)) == 11,
	          "user MiB: client / client (SAME) %#x", cur_l1(&h, 0x00800000u));
	CHECK_MSG(cur_l2(&h, 0x00801000u) == ((T_RAM_PA + 0x201000u) | 0xff0u | 0xeu),
	          "user RW shadow %#x", cur_l2(&h, 0x00801000u));
	CHECK_MSG(fault(&h, 0x00815000u, false, &o) == SHADOW_FILLED, "user RO large page");
	CHECK_MSG(cur_l2(&h, 0x00815000u) == ((T_RAM_PA + 0x235000u) | 0xaa0u | 0xeu),
	          "large page piece %#x", cur_l2(&h, 0x00815000u));
	CHECK_MSG(fault(&h, 0x00802000u, false, &o) == SHADOW_GUEST_FAULT && o.fsr == 0x17,
	          "unmapped page: translation fault domain 1: %#x", o.fsr);
	h_mode(&h, false);
	CHECK_MSG(fault(&h, 0x00815000u, true, &o) == SHADOW_GUEST_FAULT && o.fsr == 0x1f,
	          "user write to RO page: permission fault %#x", o.fsr);
	CHECK_MSG(fault(&h, 0xc0000000u, false, &o) == SHADOW_GUEST_FAULT && o.fsr == 0xd,
	          "user read of kernel: permission fault %#x", o.fsr);
	h_mode(&h, true);

	/* the software walk (LDRT/STRT emulation): user rights, no fill */
	uint64_t fills = h.s->st.fills, faults = h.s->st.faults;
	CHECK_MSG(shadow_translate(h.s, 0x00816004u, true, false, false, &o) == SHADOW_GUEST_FAULT &&
	          o.fsr == 0x1f, "STRT to a user read-only page: permission fault %#x", o.fsr);
	CHECK_MSG(shadow_translate(h.s, 0x00816004u, true, false, true, &o) == SHADOW_FILLED &&
	          o.gpa == 0x00236004u, "privileged write allowed: gpa %#x", o.gpa);
	CHECK_MSG(shadow_translate(h.s, 0xd0000008u, false, false, true, &o) == SHADOW_MMIO,
	          "translate: device");
	CHECK_MSG(h.s->st.fills == fills && h.s->st.faults == faults && !cur_l2(&h, 0x00816000u),
	          "translate fills nothing");
	CHECK_MSG(fault(&h, 0xd0000004u, true, &o) == SHADOW_MMIO && o.gpa == T_DEV0 + 4,
	          "device: MMIO %#x", o.gpa);
	CHECK_MSG(cur_l1(&h, 0xd0000000u) == 0, "device pages are never mapped");
	CHECK_MSG(fault(&h, 0xe0000000u, false, &o) == SHADOW_GUEST_FAULT && o.fsr == 0x39,
	          "no-access domain: domain fault %#x", o.fsr);
	CHECK_MSG(fault(&h, 0xe0100000u, true, &o) == SHADOW_FILLED, "manager domain");
	h_mode(&h, false);
	uint32_t pa;
	CHECK_MSG(hw_model(&h, 0xe0100000u, true, &pa), "manager domain: user RW too");
	h_mode(&h, true);
	CHECK_MSG(fault(&h, 0xe0200000u, false, &o) == SHADOW_GUEST_FAULT && o.fsr == 0x8,
	          "no memory: external abort %#x", o.fsr);
	CHECK_MSG(fault(&h, 0xf0000000u, false, &o) == SHADOW_GUEST_FAULT && o.fsr == 0x5,
	          "unmapped section: translation fault %#x", o.fsr);

	/* a guest fine table: refused */
	set_l1(&h, 0, 0xe0300000u, L2T | 3u);
	CHECK_MSG(fault(&h, 0xe0300000u, false, &o) == SHADOW_ERROR && o.error == SHADOW_E_FINE_TABLE,
	          "fine table refused");
	/* FCSE PID: refused */
	shadow_fcse_write(h.s, 1u << 25);
	CHECK_MSG(fault(&h, 0xc0000000u, false, &o) == SHADOW_ERROR && o.error == SHADOW_E_FCSE,
	          "FCSE refused");
	shadow_fcse_write(h.s, 0);
	CHECK_MSG(fault(&h, 0xc0000000u, false, &o) == SHADOW_FILLED, "FCSE 0 again");

	/* MMU off: flat guest-physical, devices are MMIO */
	h_control(&h, S_BIT);
	CHECK_MSG(fault(&h, 0x00300008u, true, &o) == SHADOW_FILLED, "flat RAM");
	CHECK_MSG(hw_model(&h, 0x00300008u, true, &pa) && pa == T_RAM_PA + 0x300008u, "flat pa %#x", pa);
	CHECK_MSG(fault(&h, T_DEV1 + 8, false, &o) == SHADOW_MMIO && o.gpa == T_DEV1 + 8, "flat MMIO");
	CHECK_MSG(fault(&h, 0x20000000u, false, &o) == SHADOW_GUEST_FAULT, "flat: no memory");
	CHECK_MSG(fault(&h, 0x00000100u, false, &o) == SHADOW_EMULATE && o.gpa == 0x100,
	          "flat page 0 (pinned vectors): emulated");
	h_control(&h, 1u | S_BIT);
	CHECK_MSG(hw_model(&h, 0xc0000000u, true, &pa), "MMU back on: the cached root is kept");
	harness_free(&h);
}

/* Guest domains and the shadow DACR: more guest domains than slots (the evicted domain's
 * MiBs go), DACR writes that need no drop (PAN), the pinned MiB's manager crossing. */
static void domains(void)
{
	struct harness h;
	CHECK_MSG(harness_init(&h, 2, 16) == 0, "init");
	for (unsigned d = 0; d < 5; d++)
		set_l1(&h, 0, 0xc0000000u + d * 0x100000u, section((d % 4) * 0x100000u, 1, d));
	set_l1(&h, 0, 0, coarse(L2T, 5));                      /* the pinned page's MiB */
	set_l2(&h, 0, 0x1000, small(0x00301000u, 1));
	mmu_on(&h, 0x55555555u);
	struct shadow_outcome o;
	const char *why;
	for (unsigned d = 0; d < 5; d++)      /* the fifth domain takes domain 0's slot */
		CHECK_MSG(fault(&h, 0xc0000000u + d * 0x100000u, true, &o) == SHADOW_FILLED, "fill %u", d);
	CHECK_MSG(h.s->st.slot_evictions == 1, "one slot evicted");
	h_dacr(&h, 0x55555555u & ~3u);           /* domain 0: no access */
	why = check_no_stale(&h, 0xc0000000u);
	CHECK_MSG(!why, "evicted domain: %s", why);
	CHECK_MSG(fault(&h, 0xc0000000u, false, &o) == SHADOW_GUEST_FAULT && o.fsr == 0x09,
	          "domain fault %#x", o.fsr);
	uint64_t drops = h.s->st.drops;
	uint32_t pa;
	for (unsigned i = 0; i < 4; i++) {        /* PAN-style: domain 1 off and on */
		h_dacr(&h, 0x55555555u & ~(3u << 2));
		CHECK_MSG(!hw_model(&h, 0xc0100000u, false, &pa), "domain 1 off: no access");
		why = check_no_stale(&h, 0xc0100000u);
		CHECK_MSG(!why, "domain 1 off: %s", why);
		h_dacr(&h, 0x55555555u);
		CHECK_MSG(hw_model(&h, 0xc0100000u, true, &pa), "domain 1 on: no refault");
	}
	CHECK_MSG(h.s->st.drops == drops, "DACR writes dropped nothing");
	h_dacr(&h, 0x55555555u | 3u << 8);       /* domain 4 manager: user gets RW */
	h_mode(&h, false);
	CHECK_MSG(hw_model(&h, 0xc0400000u, true, &pa), "manager domain without refault");
	/* the pinned MiB: manager rights live in its AP, so leaving manager drops it */
	h_dacr(&h, 0x55555555u | 3u << 10);
	CHECK_MSG(fault(&h, 0x1000, true, &o) == SHADOW_FILLED, "pinned MiB, manager domain");
	for (int v = 0; v < 2; v++) {
		h_mode(&h, v == 0);
		CHECK_MSG(!hw_model(&h, T_PIN_VA, false, &pa), "pinned page reachable (manager guest)");
		CHECK_MSG(views(&h, cur_l1(&h, T_PIN_VA)) / 10 != 3 && views(&h, cur_l1(&h, T_PIN_VA)) % 10 != 3,
		          "pinned MiB in a manager domain");
	}
	h_mode(&h, false);
	h_dacr(&h, 0x55555555u);
	why = check_no_stale(&h, 0x1000);
	CHECK_MSG(!why, "pinned MiB after manager: %s", why);
	CHECK_MSG(!hw_model(&h, 0x1000, false, &pa), "user: kernel page again");
	harness_free(&h);
}

/* Every AP x S/R x domain type x page size x virtual mode x access, against the ARM ARM's
 * table (the expectations below are that table, not the code's). */
static void perms(void)
{
	/* AP, S, R -> privileged access, user access: 0 none, 1 read, 2 read/write */
	static const struct { unsigned ap, s, r, priv, user; } AP[] = {
		{ 0, 0, 0, 0, 0 }, { 0, 1, 0, 1, 0 }, { 0, 0, 1, 1, 1 },
		{ 1, 0, 0, 2, 0 }, { 1, 1, 0, 2, 0 }, { 1, 0, 1, 2, 0 },
		{ 2, 0, 0, 2, 1 }, { 2, 1, 0, 2, 1 }, { 2, 0, 1, 2, 1 },
		{ 3, 0, 0, 2, 2 }, { 3, 1, 0, 2, 2 }, { 3, 0, 1, 2, 2 },
	};
	static const unsigned DT[] = { 0, 1, 3 };   /* no access, client, manager */
	for (unsigned a = 0; a < sizeof(AP) / sizeof(AP[0]); a++)
	for (unsigned d = 0; d < 3; d++)
	for (unsigned size = 0; size < 3; size++)
	for (unsigned first = 0; first < 2; first++) {     /* which mode faults it in first */
		struct harness h;
		CHECK_MSG(harness_init(&h, 2, 8) == 0, "init");
		unsigned dom = 5;
		uint32_t va = 0xc0345000u;
		if (size == 0) {
			set_l1(&h, 0, va, section(0x00300000u, AP[a].ap, dom));
		} else {
			set_l1(&h, 0, va, coarse(L2T, dom));
			set_large(&h, 0, va, size == 1 ? small(0x00200000u, AP[a].ap)
						      : large(0x00200000u, AP[a].ap));
			if (size == 1)
				for (unsigned i = 0; i < 16; i++)
					set_l2(&h, 0, (va & ~0xffffu) + i * 0x1000u,
					       small(0x00200000u + i * 0x1000u, AP[a].ap));
		}
		h_dacr(&h, DT[d] << (2 * dom));
		h_ttbr(&h, L1T);
		h_control(&h, 1u | AP[a].s << 8 | AP[a].r << 9);
		for (unsigned round = 0; round < 2; round++)
		for (unsigned m = 0; m < 2; m++) {
			bool priv = (m ^ first) == 0;
			h_mode(&h, priv);
			unsigned want = DT[d] == 3 ? 2 : DT[d] == 0 ? 0 : priv ? AP[a].priv : AP[a].user;
			/* privileged RW / user RO in a client domain: the privileged write is
			 * emulated (the hardware sees the user's RO, so STRT faults as it must) */
			bool emulated = DT[d] == 1 && priv && AP[a].priv == 2 && AP[a].user == 1;
			for (unsigned w = 0; w < 2; w++) {
				struct shadow_outcome o;
				uint32_t pa;
				bool allowed = want == 2 || (want == 1 && !w);
				bool hw = hw_model(&h, va, w, &pa);
				if (!hw && emulated && w) {
					CHECK_MSG(shadow_fault(h.s, va, w, false, priv, &o) == SHADOW_EMULATE &&
						  o.gpa == T_RAM_BASE + (size ? 0x200000u + (va & 0xffffu)
									      : 0x300000u + (va & 0xfffffu)),
						  "ap %u s%u r%u dt %u size %u priv w1: not emulated",
						  AP[a].ap, AP[a].s, AP[a].r, DT[d], size);
					CHECK_MSG(!hw_model(&h, va, w, &pa),
						  "the hardware allows it after all");
					continue;
				}
				if (!hw) {
					enum shadow_result k = shadow_fault(h.s, va, w, false, priv, &o);
					CHECK_MSG(k == (allowed ? SHADOW_FILLED : SHADOW_GUEST_FAULT),
					          "ap %u s%u r%u dt %u size %u %s w%d: result %d", AP[a].ap,
					          AP[a].s, AP[a].r, DT[d], size, priv ? "priv" : "user", w, k);
					if (!allowed) {
						unsigned st = DT[d] == 0 ? (size ? 0xb : 0x9)
									 : (size ? 0xf : 0xd);
						CHECK_MSG(o.fsr == (st | dom << 4), "fsr %#x", o.fsr);
					}
					hw = hw_model(&h, va, w, &pa);
				}
				CHECK_MSG(hw == allowed, "ap %u s%u r%u dt %u size %u %s w%d: shadow %d",
				          AP[a].ap, AP[a].s, AP[a].r, DT[d], size,
				          priv ? "priv" : "user", w, hw);
				if (hw)
					CHECK_MSG(pa == T_RAM_PA + (size ? 0x200000u + (va & 0xffffu)
								          : 0x300000u + (va & 0xfffffu)),
					          "pa %#x", pa);
			}
		}
		harness_free(&h);
	}
}

/* Random guest tables, random edits each followed by the TLB maintenance it needs, random
 * DACR, TTBR (two processes), control and mode changes; after every step the shadow never
 * grants more than the guest's tables (no stale entry), faults give the guest's answer. */
static uint64_t rng;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static const uint32_t MIBS[] = { 0x000, 0x008, 0x009, 0xc00, 0xc01, 0xc02, 0xbf0, 0xffa, 0xfff };
#define NMIBS (sizeof(MIBS) / sizeof(MIBS[0]))

static uint32_t rand_pa(void)
{
	switch (rnd() % 8) {
	case 0: return T_DEV0;
	case 1: return 0x08000000u + (rnd() % 16) * 0x1000u;      /* nothing */
	case 2: return T_HYP_PA;                                  /* the hypervisor's PA */
	default: return 0x00200000u + (rnd() % 512) * 0x1000u;    /* RAM */
	}
}

static unsigned rand_ap(void) { return rnd() % 4; }

static uint32_t rand_l1(void)
{
	unsigned dom = rnd() % 8 ? rnd() % 4 : 4 + rnd() % 3;  /* more domains than slots */
	switch (rnd() % 8) {
	case 0: return 0;
	case 1: return rnd() % 16 ? section(0x00200000u + (rnd() % 2) * 0x100000u, rand_ap(), dom)
				 : section(rand_pa(), rand_ap(), dom);
	case 2: return rnd() % 32 ? coarse(L2T + (rnd() % 8) * 1024u, dom) : (L2T | 3u);
	case 3: return coarse(rnd() % 2 ? L1T : 0x0f000000u, dom);   /* self-reference, outside */
	default: return coarse(L2T + (rnd() % 8) * 1024u, rnd() % 4 ? 0 : dom);
	}
}

static uint32_t rand_l2(void)
{
	switch (rnd() % 8) {
	case 0: return 0;
	case 1: return rand_pa() | rnd() % 256 << 4 | 2u;          /* mixed subpages */
	case 2: return (rand_pa() & ~0xffffu) | rand_ap() * 0x55u << 4 | 1u;
	case 3: return rand_pa() | 3u;                               /* tiny: fault */
	default: return rand_pa() | rand_ap() * 0x55u << 4 | 0xcu | 2u;
	}
}

static uint32_t rand_va(void)
{
	uint32_t va = MIBS[rnd() % NMIBS] << 20 | (rnd() % 64) << 12 | (rnd() % 4096);
	if (rnd() % 8 == 0)
		va = (va & 0xfff00000u) | 0xf0000u | (rnd() % 65536);   /* the vectors area */
	return va;
}

static bool self_ref(struct harness *h)
{
	for (unsigned t = 0; t < 2; t++)
		for (unsigned i = 0; i < NMIBS; i++) {
			uint32_t d = g_read32(h, L1T + t * 0x4000u + MIBS[i] * 4u);
			if ((d & 3) == 1 && (d & ~0x3ffu) - L1T < 0x8000u)
				return true;
		}
	return false;
}

static void flush_mib(struct harness *h, uint32_t mib)
{
	for (unsigned p = 0; p < 256; p++)
		shadow_tlb_op(h->s, SHADOW_TLB_MVA, mib << 20 | p << 12);
}

static void property(uint64_t seed, unsigned steps)
{
	struct harness h;
	rng = seed * 2654435761u + 1;
	CHECK_MSG(harness_init(&h, 2 + seed % 3, 6 + seed % 10) == 0, "init");
	if (seed % 4 == 0) {       /* every fourth seed with relax_kernel_ro */
		h.cfg.relax_kernel_ro = true;
		CHECK_MSG(shadow_init(h.s, &h.cfg) == 0, "init relaxed");
	}
	for (unsigned t = 0; t < 2; t++)
		for (unsigned i = 0; i < NMIBS; i++)
			set_l1(&h, t, MIBS[i] << 20, rand_l1());
	for (unsigned k = 0; k < 8; k++)
		for (unsigned e = 0; e < 256; e++)
			g_write32(&h, L2T + k * 1024u + e * 4u, rand_l2());
	mmu_on(&h, 0x55555555u);
	unsigned bad = 0, nrecent = 0;
	uint32_t recent[32];
	for (unsigned i = 0; i < 32; i++)
		recent[i] = rand_va();
	for (unsigned step = 0; step < steps && bad < 5; step++) {
		switch (rnd() % 16) {
		case 0: case 1: {                  /* edit a level 1 entry of either table */
			unsigned t = rnd() % 2;
			uint32_t mib = MIBS[rnd() % NMIBS];
			set_l1(&h, t, mib << 20, rand_l1());
			/* a level 1 table used as a coarse table too: its words are level 2
			 * entries of other MiBs, so the guest flushes everything */
			if (rnd() % 2 || self_ref(&h))
				shadow_tlb_op(h.s, SHADOW_TLB_ALL, 0);
			else
				flush_mib(&h, mib);
			break;
		}
		case 2: case 3: case 4: {          /* edit a coarse table entry (or a large page) */
			/* mostly entries the accesses use (pages 0-63 and 240-255) */
			uint32_t k = rnd() % 8, e = rnd() % 4 ? rnd() % 64 : 240 + rnd() % 16;
			uint32_t d = rand_l2();
			bool big = (d & 3) == 1 || (g_read32(&h, L2T + k * 1024 + e * 4) & 3) == 1;
			unsigned first = big ? e & ~15u : e, n = big ? 16 : 1;
			for (unsigned x = first; x < first + n; x++)
				g_write32(&h, L2T + k * 1024u + x * 4u, d);
			/* any VA of any table may use it: the guest flushes all (or every MVA) */
			if (rnd() % 4)
				shadow_tlb_op(h.s, SHADOW_TLB_ALL, 0);
			else
				for (unsigned i = 0; i < NMIBS; i++)
					for (unsigned x = first; x < first + n; x++)
						shadow_tlb_op(h.s, SHADOW_TLB_MVA, MIBS[i] << 20 | x << 12);
			break;
		}
		case 5: {
			uint32_t dacr = 0;
			for (unsigned d = 0; d < 8; d++)
				dacr |= (rnd() % 4) << (2 * d);
			unsigned how = rnd() % 4;     /* mostly client, sometimes one domain flips */
			h_dacr(&h, how == 0 ? dacr : how == 1 ? 0x55555555u ^ (rnd() % 4) << (2 * (rnd() % 4))
						      : 0x55555555u);
			break;
		}
		case 6:
			h_ttbr(&h, L1T + (rnd() % 2) * 0x4000u);
			if (rnd() % 2)
				shadow_tlb_op(h.s, SHADOW_TLB_ALL, 0);
			break;
		case 7: {
			static const uint32_t SR[] = { 0, S_BIT, R_BIT };
			h_control(&h, (rnd() % 8 ? 1u : 0u) | SR[rnd() % 3]);
			break;
		}
		case 8:
			h_mode(&h, !h.priv);
			break;
		default:
			for (unsigned n = 0; n < 8; n++) {
				uint32_t va = rnd() % 2 ? recent[rnd() % 32] ^ (rnd() % 4096) : rand_va();
				bool x = rnd() % 8 == 0;
				const char *why = check_access(&h, va, rnd() % 2, x);
				CHECK_MSG(!why, "seed %llu step %u: %s", (unsigned long long)seed, step, why);
				bad += why != NULL;
				recent[nrecent++ % 32] = va;
			}
		}
		/* staleness shows on entries that exist: check the recently used pages */
		for (unsigned i = 0; i < 32; i++) {
			const char *why = check_no_stale(&h, recent[i]);
			CHECK_MSG(!why, "seed %llu step %u: %s", (unsigned long long)seed, step, why);
			bad += why != NULL;
		}
	}
	/* a full sweep at the end: every page of every MiB used */
	for (unsigned i = 0; i < NMIBS; i++)
		for (unsigned p = 0; p < 256; p++) {
			const char *why = check_no_stale(&h, MIBS[i] << 20 | p << 12 | (rnd() % 4) << 10);
			if (why) {
				CHECK_MSG(0, "seed %llu sweep: %s", (unsigned long long)seed, why);
				break;
			}
		}
	const struct shadow_stats *st = &h.s->st;
	printf("stats: faults %llu fills %llu guest_faults %llu mmio %llu emulate %llu errors %llu "
	       "l2_evictions %llu kind_switches %llu drops %llu revalidations %llu roots_created %llu "
	       "slot_evictions %llu\n",
	       (unsigned long long)st->faults, (unsigned long long)st->fills,
	       (unsigned long long)st->guest_faults, (unsigned long long)st->mmio,
	       (unsigned long long)st->emulate, (unsigned long long)st->errors,
	       (unsigned long long)st->l2_evictions, (unsigned long long)st->kind_switches,
	       (unsigned long long)st->drops, (unsigned long long)st->revalidations,
	       (unsigned long long)st->roots_created, (unsigned long long)st->slot_evictions);
	/* the run must have exercised every path, or it proves little */
	CHECK_MSG(st->fills > 50 && st->guest_faults > 50 && st->drops > 20 && st->revalidations > 5,
	          "too little exercised");
	harness_free(&h);
}

/* Tables a hostile guest could write: results are guest faults, work is bounded. */
static void hostile(void)
{
	struct harness h;
	CHECK_MSG(harness_init(&h, 2, 8) == 0, "init");
	struct shadow_outcome o;
	static const uint32_t TTBRS[] = { 0x0ff00000u, T_DEV0, T_HYP_PA, T_L1_PA, 0xffffc000u,
					  T_RAM_SIZE - 0x4000u };
	for (unsigned i = 0; i < sizeof(TTBRS) / sizeof(TTBRS[0]); i++) {
		mmu_on(&h, 0x55555555u);
		h_ttbr(&h, TTBRS[i]);
		enum shadow_result k = fault(&h, 0xfff00000u, false, &o);
		bool inside = TTBRS[i] + 0x3ffcu < T_RAM_SIZE;
		CHECK_MSG(inside ? k == SHADOW_GUEST_FAULT && o.fsr == 0x5
			         : k == SHADOW_GUEST_FAULT && o.fsr == 0xc,
		          "TTBR %#x: %d fsr %#x", TTBRS[i], k, o.fsr);
	}
	h_ttbr(&h, L1T);
	/* level 1 entries: coarse tables outside RAM, in device space, in the hypervisor, on
	 * the level 1 table itself; sections onto the hypervisor and the shadow tables */
	set_l1(&h, 0, 0x00100000u, coarse(0xfffffc00u, 7));
	set_l1(&h, 0, 0x00200000u, coarse(T_DEV0, 7));
	set_l1(&h, 0, 0x00300000u, coarse(T_HYP_PA, 7));
	set_l1(&h, 0, 0x00400000u, coarse(L1T, 7));
	set_l1(&h, 0, 0x00500000u, section(T_HYP_PA, 3, 0));
	set_l1(&h, 0, 0x00600000u, section(T_L1_PA, 3, 0));
	set_l1(&h, 0, 0x00700000u, section(T_RAM_PA, 3, 0));       /* host PA as guest PA */
	for (uint32_t mib = 1; mib <= 3; mib++) {
		CHECK_MSG(fault(&h, mib << 20, false, &o) == SHADOW_GUEST_FAULT && o.fsr == 0x7e,
		          "coarse table outside RAM (%u): %#x", mib, o.fsr);
	}
	for (uint32_t p = 0; p < 256; p++) {     /* the L1 table read as a coarse table */
		const char *why = check_access(&h, 0x00400000u | p << 12, p & 1, false);
		CHECK_MSG(!why, "self-reference: %s", why);
	}
	for (uint32_t mib = 5; mib <= 7; mib++)
		CHECK_MSG(fault(&h, mib << 20, true, &o) == SHADOW_GUEST_FAULT && o.fsr == 0x8,
		          "section outside guest RAM (%u): %#x", mib, o.fsr);
	/* every word of guest RAM's first tables random: never more than two reads a fault */
	rng = 7;
	for (uint32_t a = L1T; a < L1T + 0x4000u; a += 4)
		g_write32(&h, a, rnd() << 16 ^ rnd());
	const char *why = NULL;
	for (unsigned i = 0; i < 20000 && !why; i++) {
		uint32_t va = rnd() << 16 ^ rnd();
		why = check_access(&h, va, rnd() % 2, rnd() % 4 == 0);
	}
	CHECK_MSG(!why, "random table: %s", why ? why : "");
	harness_free(&h);
}

/* The hypervisor window and the pinned page: the same in every shadow table, after every
 * operation; guest mappings there are emulated (data) or refused (instruction fetch). */
static void window(void)
{
	struct harness h;
	CHECK_MSG(harness_init(&h, 3, 8) == 0, "init");
	set_l1(&h, 0, T_WIN_BASE, section(0x00200000u, 3, 0));     /* the guest maps it */
	set_l1(&h, 1, T_WIN_BASE, section(0x00200000u, 3, 0));
	set_l1(&h, 0, 0, coarse(L2T, 0));                         /* and page 0 */
	set_l2(&h, 0, 0, small(0x00300000u, 3));
	set_l2(&h, 0, 0x1000, small(0x00301000u, 3));
	mmu_on(&h, 0x55555555u);
	struct shadow_outcome o;
	CHECK_MSG(fault(&h, T_WIN_BASE + 4, true, &o) == SHADOW_EMULATE && o.gpa == 0x00200004u,
	          "guest data access in the window: emulated");
	CHECK_MSG(shadow_fault(h.s, T_WIN_BASE, false, true, true, &o) == SHADOW_ERROR &&
	          o.error == SHADOW_E_RESERVED_EXEC, "instruction fetch in the window: refused");
	CHECK_MSG(fault(&h, 8, false, &o) == SHADOW_EMULATE && o.gpa == 0x00300008u,
	          "guest page 0: emulated");
	CHECK_MSG(fault(&h, 0x1008, true, &o) == SHADOW_FILLED, "page 1 of MiB 0: mapped");
	for (unsigned round = 0; round < 3; round++) {
		h_ttbr(&h, L1T + (round % 2) * 0x4000u);
		shadow_tlb_op(h.s, SHADOW_TLB_ALL, 0);
		h_dacr(&h, round == 1 ? 0xffffffffu : 0x55555555u);
		for (unsigned r = 0; r < 3; r++) {
			if (!h.s->roots[r].used)
				continue;
			CHECK_MSG(h.cfg.l1[r][T_WIN_BASE >> 20] == h.win[0] &&
			          h.cfg.l1[r][(T_WIN_BASE >> 20) + 1] == h.win[1], "window entries kept");
			uint32_t d = h.cfg.l1[r][0];
			CHECK_MSG((d & 3) == 1 && views(&h, d) / 10 != 3 && views(&h, d) % 10 != 3 &&
			          h.cfg.l2[((d & ~0x3ffu) - T_L2_PA) / 1024][0] == h.cfg.pin_desc,
			          "pinned page kept, never in a manager domain (%#x)", d);
		}
		for (int view = 0; view < 2; view++) {
			h_mode(&h, view == 0);
			uint32_t pa;
			for (uint32_t va = T_WIN_BASE; va < T_WIN_BASE + T_WIN_SIZE; va += 0x1000)
				CHECK_MSG(!hw_model(&h, va, false, &pa), "window reachable at %#x", va);
			CHECK_MSG(!hw_model(&h, 0, false, &pa), "pinned page reachable");
		}
		h_mode(&h, true);
	}
	/* a bad window is refused at init */
	struct harness h2;
	CHECK_MSG(harness_init(&h2, 2, 8) == 0, "init");
	struct shadow_mmu *s2 = calloc(1, sizeof(*s2));
	struct shadow_config c = h2.cfg;
	uint32_t userwin[2] = { T_HYP_PA | 0xc12u, T_HYP_PA | 0x412u };
	c.win_l1 = userwin;
	CHECK_MSG(shadow_init(s2, &c) == -1, "window entry with user access refused");
	c = h2.cfg;
	c.pin_desc = T_PIN_PA | 0xff2u;
	CHECK_MSG(shadow_init(s2, &c) == -1, "pinned page with user access refused");
	c = h2.cfg;
	c.l1_pa = T_L1_PA + 0x1000u;
	CHECK_MSG(shadow_init(s2, &c) == -1, "misaligned L1 refused");
	free(s2);
	harness_free(&h2);
	harness_free(&h);
}

/* A Linux-like guest (with CONFIG_CPU_SW_DOMAIN_PAN's DACR writes around user access):
 * a kernel linear map of sections (text read-only), the vectors MiB
 * (vectors page user-readable, stubs page kernel-only), four processes with their own
 * level 1 tables sharing the kernel entries. Each time slice: TTBR write and TLB flush-all
 * (what Linux's switch_mm does on ARMv5), user work, a kuser helper call, a system call
 * (vectors, stubs, kernel text and data, a copy to user). Prints the faults per slice. */
static unsigned touch(struct harness *h, uint32_t va, bool w, bool x, bool priv)
{
	if (h->priv != priv)
		h_mode(h, priv);
	uint32_t pa;
	if (hw_model(h, va, w, &pa))
		return 0;
	struct shadow_outcome o;
	enum shadow_result k = shadow_fault(h->s, va, w, x, priv, &o);
	CHECK_MSG(k == SHADOW_FILLED && hw_model(h, va, w, &pa), "linux: va %#x w%d x%d priv %d: %d",
	          va, w, x, priv, k);
	return 1;
}

static void linux_like(unsigned nroots, bool relax)
{
	struct harness h;
	CHECK_MSG(harness_init(&h, nroots, 64) == 0, "init");
	if (relax) {
		h.cfg.relax_kernel_ro = true;
		CHECK_MSG(shadow_init(h.s, &h.cfg) == 0, "init relaxed");
	}
	const uint32_t vec_l2 = L2T + 15 * 1024u;
	for (unsigned p = 0; p < 4; p++) {
		unsigned t = p;
		for (uint32_t m = 0; m < 4; m++)     /* kernel: 4 MiB of sections, MiB 1 text */
			set_l1(&h, t, 0xc0000000u + m * 0x100000u, section(m << 20, m == 1 ? 0 : 1, 0));
		set_l1(&h, t, 0xffff0000u, coarse(vec_l2, 0));
		for (unsigned j = 0; j < 3; j++) {  /* user: text+data, heap, stack */
			static const uint32_t UVA[] = { 0x00000000u, 0x00800000u, 0xbef00000u };
			uint32_t l2 = L2T + (p * 3 + j) * 1024u;
			set_l1(&h, t, UVA[j], coarse(l2, 1));
			for (unsigned pg = 8; pg < 24; pg++)
				g_write32(&h, l2 + pg * 4u,
					  small(0x00200000u + p * 0x40000u + (j * 16 + pg) * 0x1000u,
						j == 0 && pg < 16 ? 2 : 3));
		}
	}
	g_write32(&h, vec_l2 + 0xf0 * 4u, small(0x003f0000u, 2));   /* vectors: user RO */
	g_write32(&h, vec_l2 + 0xf1 * 4u, small(0x003f1000u, 0));   /* stubs: kernel RO */
	h_dacr(&h, 0x55555555u);
	h_ttbr(&h, L1T);
	h_control(&h, 1u | S_BIT);
	unsigned faults = 0, slices = 400, warm = 100;
	uint64_t reads0 = 0, kinds0 = 0;
	for (unsigned sl = 0; sl < slices; sl++) {
		if (sl == warm) {
			faults = 0;
			reads0 = h.s->st.desc_reads;
			kinds0 = h.s->st.kind_switches;
		}
		unsigned p = sl % 4;
		h_ttbr(&h, L1T + p * 0x4000u);
		shadow_tlb_op(h.s, SHADOW_TLB_ALL, 0);
		for (unsigned pg = 8; pg < 24; pg++) {          /* user work */
			faults += touch(&h, 0x00000000u + pg * 0x1000u, false, pg < 16, false);
			faults += touch(&h, 0x00800000u + pg * 0x1000u, true, false, false);
		}
		faults += touch(&h, 0xbef17ff0u, true, false, false);
		faults += touch(&h, 0xffff0fe0u, false, true, false);   /* kuser helper */
		faults += touch(&h, 0xffff0008u, false, true, true);    /* SVC vector */
		h_dacr(&h, 0x55555555u & ~(3u << 2));         /* PAN: user domain 1 no access */
		faults += touch(&h, 0xffff1000u, false, true, true);    /* stub */
		for (uint32_t k = 0; k < 16; k++) {                    /* kernel text and data */
			faults += touch(&h, 0xc0100000u + k * 0x3000u, false, true, true);
			static const uint32_t DATA[] = { 0, 2, 3 };      /* MiB 1 is text */
			faults += touch(&h, 0xc0000000u + DATA[k % 3] * 0x100000u + k * 0x1000u,
					true, false, true);
		}
		h_dacr(&h, 0x55555555u);                      /* uaccess enable */
		faults += touch(&h, 0x00800000u + 0x9000u, true, false, true);   /* copy to user */
		h_dacr(&h, 0x55555555u & ~(3u << 2));         /* uaccess disable */
		h_dacr(&h, 0x55555555u);                      /* back to user */
		faults += touch(&h, 0xbef17ff0u, false, false, false);
	}
	unsigned n = slices - warm;
	printf("linux: roots %u%s: %.2f faults, %.1f descriptor reads, %.2f kind switches per slice\n",
	       nroots, relax ? " relaxed" : "", (double)faults / n, (double)(h.s->st.desc_reads - reads0) / n,
	       (double)(h.s->st.kind_switches - kinds0) / n);
	harness_free(&h);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (!strcmp(what, "tables")) {
		tables();
	} else if (!strcmp(what, "domains")) {
		domains();
	} else if (!strcmp(what, "perms")) {
		perms();
	} else if (!strcmp(what, "property")) {
		uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
		unsigned steps = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 0) : 2000;
		property(seed, steps);
	} else if (!strcmp(what, "linux")) {
		linux_like(argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 4,
			   argc > 3 && !strcmp(argv[3], "relaxed"));
	} else if (!strcmp(what, "hostile")) {
		hostile();
	} else if (!strcmp(what, "window")) {
		window();
	} else {
		fprintf(stderr, "usage: shadow_test tables|perms|property [seed] [steps]|hostile|window\n");
		return 2;
	}
	return check_summary(what);
}
