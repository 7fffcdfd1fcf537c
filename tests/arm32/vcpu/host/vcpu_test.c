/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host checks of the ARMv5 vCPU core (arch/arm/cpu/arm32/virt), expected values worked out
 * from the ARM ARM (DDI 0100) and the ARM926EJ-S TRM. Sanitizers on.
 *   vcpu_test SECTION    banking | psr | dp | ldstm | exceptions | cp15 | all
 *   vcpu_test decode     reads hex words on stdin, prints "word kind result name" each
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arm/cpu/arm32/virt/v5_vcpu.h"
#include "hostcheck.h"

/* --- hooks: record every call --- */
struct rec {
	unsigned ttbr_n, dacr_n, control_n, tlb_n, mode_n, fcse_n;
	uint32_t ttbr, dacr, control_old, control_new, tlb_op, tlb_mva, fcse;
	bool privileged;
};
static void h_ttbr(void *c, uint32_t v) { struct rec *r = c; r->ttbr_n++; r->ttbr = v; }
static void h_dacr(void *c, uint32_t v) { struct rec *r = c; r->dacr_n++; r->dacr = v; }
static void h_control(void *c, uint32_t o, uint32_t n)
{
	struct rec *r = c;
	r->control_n++;
	r->control_old = o;
	r->control_new = n;
}
static void h_tlb(void *c, unsigned op, uint32_t mva)
{
	struct rec *r = c;
	r->tlb_n++;
	r->tlb_op = op;
	r->tlb_mva = mva;
}
static void h_mode(void *c, bool p) { struct rec *r = c; r->mode_n++; r->privileged = p; }
static void h_fcse(void *c, uint32_t v) { struct rec *r = c; r->fcse_n++; r->fcse = v; }

static struct rec rec;
static const struct v5_mmu_hooks hooks = {&rec, h_ttbr, h_dacr, h_control, h_tlb, h_mode, h_fcse};

/* --- guest memory: 4 KiB at VA 0x1000; anything else faults with DFSR 0x05 --- */
#define MEM_VA 0x1000u
static uint8_t mem_buf[4096];
static unsigned mem_accesses;
static bool m_access(void *ctx, uint32_t va, unsigned size, bool write, bool priv,
		     uint32_t *val, uint32_t *fsr)
{
	(void)ctx;
	mem_accesses++;
	if (size != 4 || !priv || va < MEM_VA || va - MEM_VA > sizeof(mem_buf) - 4 || (va & 3)) {
		*fsr = 0x05;
		return false;
	}
	if (write)
		memcpy(&mem_buf[va - MEM_VA], val, 4);
	else
		memcpy(val, &mem_buf[va - MEM_VA], 4);
	return true;
}
static const struct v5_mem mem = {NULL, m_access};
static uint32_t peek(uint32_t va) { uint32_t v; memcpy(&v, &mem_buf[va - MEM_VA], 4); return v; }
static void poke(uint32_t va, uint32_t v) { memcpy(&mem_buf[va - MEM_VA], &v, 4); }

static void fresh(struct v5_vcpu *v)
{
	memset(&rec, 0, sizeof(rec));
	memset(mem_buf, 0, sizeof(mem_buf));
	mem_accesses = 0;
	v5_vcpu_reset(v, &hooks);
	v->r[15] = 0x8000;
}

static uint32_t mode(const struct v5_vcpu *v) { return v->cpsr & V5_PSR_MODE; }

/* MCR/MRC p15 word (cond AL). */
static uint32_t cp15w(bool mrc, unsigned opc1, unsigned rd, unsigned crn, unsigned crm,
		      unsigned opc2)
{
	return 0xee000f10u | (uint32_t)mrc << 20 | opc1 << 21 | crn << 16 | rd << 12 | opc2 << 5 | crm;
}

static struct v5_result emu(struct v5_vcpu *v, uint32_t w) { return v5_emulate(v, w, &mem); }

/* ------------------------------------------------------------------------------------ */

static void test_banking(void)
{
	struct v5_vcpu v;
	fresh(&v);
	CHECK_EQ(v.cpsr, 0xd3);   /* reset: SVC, I and F set */
	for (unsigned i = 0; i < 15; i++)
		v.r[i] = 0x100 + i;
	v5_switch_mode(&v, V5_MODE_IRQ);
	CHECK_EQ(mode(&v), V5_MODE_IRQ);
	CHECK_EQ(v.r[12], 0x10c);     /* r0-r12 shared */
	CHECK_EQ(v.r[13], 0);         /* IRQ's own sp/lr */
	v.r[13] = 0xaaa;
	v.r[14] = 0xbbb;
	v5_switch_mode(&v, V5_MODE_FIQ);
	for (unsigned i = 8; i < 15; i++) {
		CHECK_EQ(v.r[i], 0);      /* FIQ banks r8-r14 */
		v.r[i] = 0xf00 + i;
	}
	CHECK_EQ(v.r[7], 0x107);
	CHECK_EQ(v5_reg_in_mode(&v, V5_MODE_USR, 8), 0x108);
	CHECK_EQ(v5_reg_in_mode(&v, V5_MODE_SVC, 13), 0x10d);
	CHECK_EQ(v5_reg_in_mode(&v, V5_MODE_IRQ, 14), 0xbbb);
	CHECK_EQ(rec.mode_n, 0);      /* privileged all along */
	v5_switch_mode(&v, V5_MODE_USR);
	CHECK_EQ(rec.mode_n, 1);
	CHECK(!rec.privileged);
	for (unsigned i = 8; i < 13; i++)
		CHECK_EQ(v.r[i], 0x100 + i);  /* USR's r8-r12 back */
	CHECK_EQ(v.r[13], 0);
	v.r[13] = 0x5555;
	v.r[14] = 0x6666;
	CHECK_EQ(v5_reg_in_mode(&v, V5_MODE_FIQ, 12), 0xf0c);
	v5_switch_mode(&v, V5_MODE_SYS);   /* SYS shares USR's registers */
	CHECK_EQ(rec.mode_n, 2);
	CHECK(rec.privileged);
	CHECK_EQ(v.r[13], 0x5555);
	CHECK_EQ(v.r[14], 0x6666);
	v5_switch_mode(&v, V5_MODE_SVC);
	CHECK_EQ(v.r[13], 0x10d);
	CHECK_EQ(v.r[14], 0x10e);
	v5_switch_mode(&v, V5_MODE_FIQ);
	for (unsigned i = 8; i < 15; i++)
		CHECK_EQ(v.r[i], 0xf00 + i);
	v5_switch_mode(&v, V5_MODE_ABT);
	CHECK_EQ(v.r[8], 0x108);
	v5_switch_mode(&v, V5_MODE_UND);
	v5_switch_mode(&v, 0x15);          /* invalid: refused */
	CHECK_EQ(mode(&v), V5_MODE_UND);
	/* set_reg_in_mode reaches every bank from anywhere */
	v5_set_reg_in_mode(&v, V5_MODE_FIQ, 9, 0x99);
	v5_set_reg_in_mode(&v, V5_MODE_USR, 14, 0x77);
	v5_set_reg_in_mode(&v, V5_MODE_UND, 13, 0x88);
	CHECK_EQ(v.r[13], 0x88);
	v5_switch_mode(&v, V5_MODE_FIQ);
	CHECK_EQ(v.r[9], 0x99);
	v5_switch_mode(&v, V5_MODE_USR);
	CHECK_EQ(v.r[14], 0x77);
	CHECK_EQ(v.r[9], 0x109);
	/* the CPSR never takes T, J or reserved bits */
	v5_write_cpsr(&v, 0xffffffff, 0xffffffff);
	CHECK_EQ(v.cpsr, 0xf80000df);
	/* condition codes (A3.2) */
	CHECK(v5_cond_passed(0x0, 0x40000000) && !v5_cond_passed(0x1, 0x40000000));
	CHECK(v5_cond_passed(0x8, 0x20000000) && !v5_cond_passed(0x8, 0x60000000));  /* HI */
	CHECK(v5_cond_passed(0xa, 0x90000000) && !v5_cond_passed(0xa, 0x80000000));  /* GE */
	CHECK(v5_cond_passed(0xd, 0x40000000) && !v5_cond_passed(0xc, 0x10000000));  /* LE/GT */
	CHECK(v5_cond_passed(0xe, 0) && !v5_cond_passed(0xf, 0));
}

static void test_psr(void)
{
	struct v5_vcpu v;
	struct v5_result r;

	fresh(&v);
	r = emu(&v, 0xe10f0000);              /* mrs r0, cpsr */
	CHECK_EQ(r.kind, V5_NEXT);
	CHECK_EQ(v.r[0], 0xd3);
	CHECK_EQ(v.r[15], 0x8004);
	v.spsr[V5_BANK_SVC] = 0x60000010;
	r = emu(&v, 0xe14f1000);              /* mrs r1, spsr */
	CHECK_EQ(v.r[1], 0x60000010);
	v.r[3] = 0x1f;
	v.r[13] = 0x13;
	r = emu(&v, 0xe121f003);              /* msr cpsr_c, r3: SYS, I and F clear */
	CHECK_EQ(r.kind, V5_NEXT);
	CHECK_EQ(v.cpsr, 0x1f);
	CHECK_EQ(v.r[13], 0);                 /* SYS's (USR's) sp */
	CHECK_EQ(v.r[15], 0x800c);
	r = emu(&v, 0xe321f0d3);              /* msr cpsr_c, #0xd3 */
	CHECK_EQ(v.cpsr, 0xd3);
	CHECK_EQ(v.r[13], 0x13);
	v.r[0] = 0xf00000d2;
	r = emu(&v, 0xe129f000);              /* msr cpsr_fc, r0: IRQ mode, flags */
	CHECK_EQ(v.cpsr, 0xf00000d2);
	v.r[0] = 0x0f0fff00;                  /* reserved bits, J; x and s fields */
	r = emu(&v, 0xe12ff000);              /* msr cpsr_fsxc, r0: mode 0 invalid */
	CHECK_EQ(r.kind, V5_NEXT);
	CHECK_EQ(v.cpsr, 0x08000012);         /* Q set; mode kept; I, F cleared; J, rest 0 */
	CHECK_EQ(v.stats.bad_mode, 1);
	v.r[3] = 0xb5;                        /* I, T, invalid mode 0x15 */
	r = emu(&v, 0xe121f003);
	CHECK_EQ(v.cpsr, 0x08000092);         /* I written, T never, mode kept */
	CHECK_EQ(v.stats.bad_mode, 2);
	/* SPSR writes: field by field */
	v.r[4] = 0xffffffff;
	r = emu(&v, 0xe161f004);              /* msr spsr_c, r4 */
	CHECK_EQ(v.spsr[V5_BANK_IRQ], 0x000000ff);
	r = emu(&v, 0xe368f4f0);              /* msr spsr_f, #0xf0000000 */
	CHECK_EQ(v.spsr[V5_BANK_IRQ], 0xf00000ff);
	r = emu(&v, 0xe16ff004);              /* msr spsr_fsxc, r4: defined bits only */
	CHECK_EQ(v.spsr[V5_BANK_IRQ], 0xf90000ff);
	CHECK_EQ(v.spsr[V5_BANK_SVC], 0x60000010);   /* other modes' SPSRs untouched */
	/* condition: msrne with Z set does nothing but advance */
	v.cpsr |= 0x40000000;
	uint32_t before = v.cpsr, pc = v.r[15];
	r = emu(&v, 0x1121f003);
	CHECK_EQ(r.kind, V5_NEXT);
	CHECK_EQ(v.cpsr, before);
	CHECK_EQ(v.r[15], pc + 4);
	/* USR: flags only; no SPSR */
	fresh(&v);
	v5_switch_mode(&v, V5_MODE_USR);
	v.cpsr = V5_MODE_USR;
	v.r[0] = 0xf80000d3;
	r = emu(&v, 0xe12ff000);              /* msr cpsr_fsxc, r0 */
	CHECK_EQ(r.kind, V5_NEXT);
	CHECK_EQ(v.cpsr, 0xf8000010);
	pc = v.r[15];
	r = emu(&v, 0xe14f1000);              /* mrs r1, spsr: UNPREDICTABLE -> undefined */
	CHECK_EQ(r.kind, V5_UNDEF);
	CHECK_EQ(v.r[15], pc);
	r = emu(&v, 0xe16ff000);              /* msr spsr_fsxc, r0 */
	CHECK_EQ(r.kind, V5_UNDEF);
	CHECK_EQ(v.stats.unpredictable, 2);
	r = emu(&v, 0xe10ff000);              /* mrs pc, cpsr */
	CHECK_EQ(r.kind, V5_UNDEF);
	r = emu(&v, 0xe121f00f);              /* msr cpsr_c, pc */
	CHECK_EQ(r.kind, V5_UNDEF);
	r = emu(&v, 0xe10f0000);              /* mrs r0, cpsr in USR: the virtual one */
	CHECK_EQ(v.r[0], 0xf8000010);
	r = emu(&v, 0xe1a00000);              /* mov r0, r0: not sensitive */
	CHECK_EQ(r.kind, V5_UNDEF);
	r = emu(&v, 0xf10f0000);              /* cond 1111: not an MRS on ARMv5 */
	CHECK_EQ(r.kind, V5_UNDEF);
}

static void test_dp(void)
{
	struct v5_vcpu v;
	struct v5_result r;

	fresh(&v);
	v.r[13] = 0x13130000;
	v.r[14] = 0x9000;
	v.spsr[V5_BANK_SVC] = 0x20000010;     /* USR, C set */
	r = emu(&v, 0xe1b0f00e);              /* movs pc, lr */
	CHECK_EQ(r.kind, V5_NEXT);
	CHECK_EQ(v.r[15], 0x9000);
	CHECK_EQ(v.cpsr, 0x20000010);
	CHECK_EQ(v.r[13], 0);                 /* USR's sp now */
	CHECK_EQ(v5_reg_in_mode(&v, V5_MODE_SVC, 13), 0x13130000);
	CHECK_EQ(rec.mode_n, 1);
	CHECK(!rec.privileged);

	struct { uint32_t word, r0, r1, c, expect; } cases[] = {
		{0xe25ef004, 0, 0, 0, 0x9000 - 4},          /* subs pc, lr, #4 */
		{0xe090f101, 0x1000, 3, 0, 0x100c},         /* adds pc, r0, r1, lsl #2 */
		{0xe2b0f000, 0x1003, 0, 1, 0x1004},         /* adcs pc, r0, #0 (C=1) */
		{0xe2d0f004, 0x1000, 0, 0, 0x1000 - 5},    /* sbcs pc, r0, #4 (C=0) */
		{0xe270f000, 0x10, 0, 1, 0xfffffff0},       /* rsbs pc, r0, #0 */
		{0xe2f0f000, 0x10, 0, 0, 0xffffffec},       /* rscs pc, r0, #0 (C=0): -r0-1 */
		{0xe1b0f062, 0, 0, 1, 0x80001004},         /* movs pc, r2, rrx (C=1, r2 0x2008) */
		{0xe1b0f0a1, 0, 0x80000000, 0, 0x40000000}, /* movs pc, r1, lsr #1 */
		{0xe1b0f021, 0, 0x80000000, 0, 0},          /* movs pc, r1, lsr #32 */
		{0xe1b0f041, 0, 0x80000000, 0, 0xffffffff & ~3u}, /* movs pc, r1, asr #32 */
		{0xe1b0f0c1, 0, 0x80000000, 0, 0xc0000000}, /* movs pc, r1, asr #1 */
		{0xe1b0f461, 0, 0x12345678, 0, 0x78123456}, /* movs pc, r1, ror #8 */
		{0xe3f0f0ff, 0, 0, 0, 0xffffff00},          /* mvns pc, #0xff */
		{0xe3d0f003, 0xabcd, 0, 0, 0xabcc},         /* bics pc, r0, #3 */
		{0xe390f001, 0x2000, 0, 0, 0x2000},         /* orrs pc, r0, #1 (aligned) */
		{0xe230f0ff, 0x0f0f, 0, 0, 0x0ff0},         /* eors pc, r0, #0xff */
		{0xe210f4ff, 0xabcdef01, 0, 0, 0xab000000}, /* ands pc, r0, #0xff000000 */
		{0xe29ff000, 0, 0, 0, 0x7008},              /* adds pc, pc, #0 (at 0x7000) */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fresh(&v);
		v.r[0] = cases[i].r0;
		v.r[1] = cases[i].r1;
		v.r[2] = 0x2008;
		v.r[14] = 0x9000;
		v.r[15] = 0x7000;
		v.cpsr |= cases[i].c ? V5_PSR_C : 0;
		v.spsr[V5_BANK_SVC] = 0x80000013;   /* back to SVC, N set, interrupts on */
		uint32_t expect = cases[i].expect;
		r = emu(&v, cases[i].word);
		CHECK_EQ(r.kind, V5_NEXT);
		CHECK_EQ(v.r[15], expect & ~3u);
		CHECK_EQ(v.cpsr, 0x80000013);
		CHECK_EQ(v.r[0], cases[i].r0);
	}
	/* refusals, state unchanged */
	fresh(&v);
	v.spsr[V5_BANK_SVC] = 0x10 | V5_PSR_T;
	struct v5_vcpu before = v;
	r = emu(&v, 0xe1b0f00e);
	CHECK_EQ(r.kind, V5_UNDEF);
	CHECK_EQ(v.stats.thumb_refused, 1);
	v.stats = before.stats;
	CHECK(memcmp(&v, &before, sizeof(v)) == 0);
	v.spsr[V5_BANK_SVC] = 0x10 | V5_PSR_J;
	CHECK_EQ(emu(&v, 0xe1b0f00e).kind, V5_UNDEF);
	v.spsr[V5_BANK_SVC] = 0x1e;           /* invalid mode */
	CHECK_EQ(emu(&v, 0xe1b0f00e).kind, V5_UNDEF);
	CHECK_EQ(mode(&v), V5_MODE_SVC);
	v.spsr[V5_BANK_SVC] = 0x10;
	CHECK_EQ(emu(&v, 0xe1b0f110).kind, V5_UNDEF);   /* movs pc, r0, lsl r1 */
	CHECK_EQ(emu(&v, 0xe15ff00e).kind, V5_UNDEF);   /* cmp pc-form: not classified */
	v5_switch_mode(&v, V5_MODE_SYS);
	CHECK_EQ(emu(&v, 0xe1b0f00e).kind, V5_UNDEF);   /* no SPSR in SYS */
	v5_switch_mode(&v, V5_MODE_SVC);
	v.cpsr |= 0x40000000;
	v.r[15] = 0x100;
	r = emu(&v, 0x11b0f00e);                         /* movsne pc, lr, Z set */
	CHECK_EQ(r.kind, V5_NEXT);
	CHECK_EQ(v.r[15], 0x104);
	CHECK_EQ(mode(&v), V5_MODE_SVC);
}

static void test_ldstm(void)
{
	struct v5_vcpu v;
	struct v5_result r;

	/* stmdb r0, {sp, lr}^ (Linux's vector entry) */
	fresh(&v);
	v5_set_reg_in_mode(&v, V5_MODE_USR, 13, 0xaaaa0000);
	v5_set_reg_in_mode(&v, V5_MODE_USR, 14, 0xbbbb0000);
	v.r[13] = 0x5000;
	v.r[0] = 0x1100;
	r = emu(&v, 0xe9406000);
	CHECK_EQ(r.kind, V5_NEXT);
	CHECK_EQ(peek(0x10f8), 0xaaaa0000);
	CHECK_EQ(peek(0x10fc), 0xbbbb0000);
	CHECK_EQ(v.r[0], 0x1100);
	CHECK_EQ(v.r[15], 0x8004);

	/* ldmdb r2, {r0-lr}^ (ret_to_user): r13/r14 go to the USR bank */
	fresh(&v);
	v.r[13] = 0x5000;
	v.r[14] = 0x6000;
	v.r[2] = 0x1200;
	for (unsigned i = 0; i < 15; i++)
		poke(0x1200 - 60 + 4 * i, 0x40 + i);
	r = emu(&v, 0xe9527fff);
	CHECK_EQ(r.kind, V5_NEXT);
	for (unsigned i = 0; i < 13; i++)
		CHECK_EQ(v.r[i], 0x40 + i);
	CHECK_EQ(v.r[13], 0x5000);
	CHECK_EQ(v.r[14], 0x6000);
	CHECK_EQ(v5_reg_in_mode(&v, V5_MODE_USR, 13), 0x4d);
	CHECK_EQ(v5_reg_in_mode(&v, V5_MODE_USR, 14), 0x4e);
	CHECK_EQ(mode(&v), V5_MODE_SVC);

	/* In FIQ mode, r8 of the user bank is not FIQ's r8 */
	fresh(&v);
	v5_switch_mode(&v, V5_MODE_FIQ);
	v.r[8] = 0xf8;
	v.r[0] = 0x1000;
	poke(0x1000, 0x1234);
	poke(0x1004, 0x5678);
	r = emu(&v, 0xe8d02100);              /* ldmia r0, {r8, sp}^ */
	CHECK_EQ(r.kind, V5_NEXT);
	CHECK_EQ(v.r[8], 0xf8);
	CHECK_EQ(v5_reg_in_mode(&v, V5_MODE_USR, 8), 0x1234);
	CHECK_EQ(v5_reg_in_mode(&v, V5_MODE_USR, 13), 0x5678);
	r = emu(&v, 0xe8c00100);              /* stmia r0, {r8}^ stores USR's r8 */
	CHECK_EQ(peek(0x1000), 0x1234);

	/* ldm sp, {r0-pc}^ (__irq_svc): back to SVC, sp loaded into SVC's sp */
	fresh(&v);
	v5_switch_mode(&v, V5_MODE_SVC);
	v.r[13] = 0x1400;
	for (unsigned i = 0; i < 16; i++)
		poke(0x1400 + 4 * i, 0x80 + 4 * i);
	v.spsr[V5_BANK_SVC] = 0x60000013;
	r = emu(&v, 0xe8ddffff);
	CHECK_EQ(r.kind, V5_NEXT);
	CHECK_EQ(v.cpsr, 0x60000013);
	CHECK_EQ(v.r[15], 0x80 + 60);
	CHECK_EQ(v.r[13], 0x80 + 52);
	CHECK_EQ(v.r[0], 0x80);

	/* the same returning to USR: r13/r14 were SVC's, now banked away */
	fresh(&v);
	v.r[13] = 0x1400;
	v5_set_reg_in_mode(&v, V5_MODE_USR, 13, 0x3333);
	for (unsigned i = 0; i < 16; i++)
		poke(0x1400 + 4 * i, 0x80 + 4 * i);
	v.spsr[V5_BANK_SVC] = 0x10;
	r = emu(&v, 0xe8ddffff);
	CHECK_EQ(mode(&v), V5_MODE_USR);
	CHECK_EQ(v.r[13], 0x3333);
	CHECK_EQ(v5_reg_in_mode(&v, V5_MODE_SVC, 13), 0x80 + 52);
	CHECK_EQ(v.r[12], 0x80 + 48);
	CHECK_EQ(v.r[15], 0x80 + 60);
	CHECK_EQ(rec.mode_n, 1);

	/* writeback: ldmia r0!, {r1, pc}^; with r0 in the list the loaded value wins */
	fresh(&v);
	v.r[0] = 0x1000;
	poke(0x1000, 0x11);
	poke(0x1004, 0x2000);
	v.spsr[V5_BANK_SVC] = 0x13;
	r = emu(&v, 0xe8f08002);
	CHECK_EQ(v.r[0], 0x1008);
	CHECK_EQ(v.r[1], 0x11);
	CHECK_EQ(v.r[15], 0x2000);
	v.r[0] = 0x1000;
	r = emu(&v, 0xe8f08001);              /* ldmia r0!, {r0, pc}^ */
	CHECK_EQ(v.r[0], 0x11);
	v.r[0] = 0x1008;
	r = emu(&v, 0xe9708002);              /* ldmdb r0!, {r1, pc}^ */
	CHECK_EQ(v.r[0], 0x1000);
	CHECK_EQ(v.r[15], 0x2000);
	v.r[0] = 0x1000;
	r = emu(&v, 0xe9f08002);              /* ldmib r0!, {r1, pc}^: 0x1004, 0x1008 */
	CHECK_EQ(v.r[1], 0x2000);
	CHECK_EQ(v.r[0], 0x1008);
	v.r[0] = 0x1004;
	r = emu(&v, 0xe8508002);              /* ldmda r0, {r1, pc}^: 0x1000, 0x1004 */
	CHECK_EQ(v.r[1], 0x11);
	CHECK_EQ(v.r[15], 0x2000);

	/* ldm r8, {pc}^ returning with the PC only */
	fresh(&v);
	v.r[8] = 0x1010;
	poke(0x1010, 0xc0001234);
	v.spsr[V5_BANK_SVC] = 0x93;
	r = emu(&v, 0xe8d88000);
	CHECK_EQ(v.r[15], 0xc0001234);
	CHECK_EQ(v.cpsr, 0x93);

	/* stm with the PC stores its address + 8 */
	fresh(&v);
	v.r[0] = 0x1000;
	r = emu(&v, 0xe8c08000);
	CHECK_EQ(peek(0x1000), 0x8008);

	/* UNPREDICTABLE forms -> undefined, nothing touched */
	fresh(&v);
	v.r[0] = 0x1000;
	unsigned acc = mem_accesses;
	CHECK_EQ(emu(&v, 0xe8e00002).kind, V5_UNDEF);   /* stmia r0!, {r1}^ */
	CHECK_EQ(emu(&v, 0xe8f00002).kind, V5_UNDEF);   /* ldmia r0!, {r1}^ */
	CHECK_EQ(emu(&v, 0xe8d00000).kind, V5_UNDEF);   /* empty list */
	CHECK_EQ(emu(&v, 0xe8df0002).kind, V5_UNDEF);   /* base pc */
	CHECK_EQ(mem_accesses, acc);
	v.spsr[V5_BANK_SVC] = 0x33;                     /* Thumb */
	CHECK_EQ(emu(&v, 0xe8d08000).kind, V5_UNDEF);
	CHECK_EQ(mem_accesses, acc);
	CHECK_EQ(v5_emulate(&v, 0xe8d00002, NULL).kind, V5_UNDEF);
	v5_switch_mode(&v, V5_MODE_USR);
	CHECK_EQ(emu(&v, 0xe8d00002).kind, V5_UNDEF);   /* no user bank to pick in USR */
	CHECK_EQ(v.r[15], 0x8000);

	/* partial failure: ldmia r0, {r1-r4}^ at 0x1ff8: third word faults */
	fresh(&v);
	v.r[0] = MEM_VA + 4096 - 8;
	v.spsr[V5_BANK_SVC] = 0x13;
	poke(MEM_VA + 4096 - 8, 0x1);
	poke(MEM_VA + 4096 - 4, 0x2);
	r = emu(&v, 0xe8d0001e);
	CHECK_EQ(r.kind, V5_DABT);
	CHECK_EQ(r.far, MEM_VA + 4096);
	CHECK_EQ(r.fsr, 0x05);
	CHECK_EQ(v.r[1], 0);
	CHECK_EQ(v.r[15], 0x8000);
	r = emu(&v, 0xe8d0801e);              /* ldmia r0, {r1-r4, pc}^: no return */
	CHECK_EQ(r.kind, V5_DABT);
	CHECK_EQ(v.cpsr, 0xd3);
	/* stmia r0, {r1-r4}^: the first two stored, the rest not */
	v.r[1] = 0xa1; v.r[2] = 0xa2; v.r[3] = 0xa3; v.r[4] = 0xa4;
	r = emu(&v, 0xe8c0001e);
	CHECK_EQ(r.kind, V5_DABT);
	CHECK_EQ(r.far, MEM_VA + 4096);
	CHECK_EQ(peek(MEM_VA + 4096 - 8), 0xa1);
	CHECK_EQ(peek(MEM_VA + 4096 - 4), 0xa2);
	v5_apply(&v, &r);                     /* the caller injects it */
	CHECK_EQ(mode(&v), V5_MODE_ABT);
	CHECK_EQ(v.cp15.far, MEM_VA + 4096);
	CHECK_EQ(v.cp15.dfsr, 0x05);
	CHECK_EQ(v.r[14], 0x8008);
	CHECK_EQ(v.r[15], 0x10);

	/* alignment: with c1.A a misaligned base aborts (FSR 1), without it is rounded */
	fresh(&v);
	v.r[0] = 0x1002;
	poke(0x1000, 0x77);
	r = emu(&v, 0xe8d00002);
	CHECK_EQ(r.kind, V5_NEXT);
	CHECK_EQ(v.r[1], 0x77);
	v.cp15.sctlr |= V5_SCTLR_A;
	r = emu(&v, 0xe8d00002);
	CHECK_EQ(r.kind, V5_DABT);
	CHECK_EQ(r.fsr, 1);
	CHECK_EQ(r.far, 0x1002);

	/* condition failed: nothing but the PC */
	fresh(&v);
	v.r[0] = 0x1000;
	acc = mem_accesses;
	r = emu(&v, 0x08d00002);              /* ldmeqia r0, {r1}^ with Z clear */
	CHECK_EQ(r.kind, V5_NEXT);
	CHECK_EQ(v.r[15], 0x8004);
	CHECK_EQ(mem_accesses, acc);
}

/* Same registers in every mode but lr of `clobbered` (the exception mode entered). */
static void same_regs(const struct v5_vcpu *a, const struct v5_vcpu *b, uint32_t clobbered)
{
	for (unsigned i = 0; i < 16; i++)
		CHECK_EQ(a->r[i], b->r[i]);
	CHECK_EQ(a->cpsr, b->cpsr);
	for (unsigned m = 0; m < 7; m++) {
		static const uint32_t modes[] = {0x10, 0x11, 0x12, 0x13, 0x17, 0x1b, 0x1f};
		for (unsigned i = 0; i < 15; i++)
			if (modes[m] != clobbered || i != 14)
				CHECK_EQ(v5_reg_in_mode(a, modes[m], i),
					 v5_reg_in_mode(b, modes[m], i));
	}
}

static void test_exceptions(void)
{
	struct v5_vcpu v, saved;
	struct v5_result r;

	/* IRQ round trip from SVC: subs pc, lr, #4 returns exactly */
	for (int high = 0; high < 2; high++) {
		fresh(&v);
		if (high)
			v.cp15.sctlr |= V5_SCTLR_V;
		v.cpsr = 0x60000013;
		for (unsigned i = 0; i < 15; i++)
			v.r[i] = 0x1000 * i + 1;
		v.r[15] = 0xc0005000;             /* the next instruction */
		CHECK(!v5_irq_should_take(&v, false));
		CHECK(v5_irq_should_take(&v, true));
		saved = v;
		v5_inject(&v, V5_EXC_IRQ);
		CHECK_EQ(mode(&v), V5_MODE_IRQ);
		CHECK_EQ(v.cpsr, 0x60000092);
		CHECK_EQ(v.spsr[V5_BANK_IRQ], 0x60000013);
		CHECK_EQ(v.r[14], 0xc0005004);
		CHECK_EQ(v.r[15], (high ? 0xffff0000u : 0) + 0x18);
		CHECK(!v5_irq_should_take(&v, true));   /* I set on entry */
		r = emu(&v, 0xe25ef004);
		CHECK_EQ(r.kind, V5_NEXT);
		same_regs(&v, &saved, V5_MODE_IRQ);
	}
	/* from USR (a guest process): mode_change hook both ways */
	fresh(&v);
	v5_switch_mode(&v, V5_MODE_USR);
	v.cpsr = 0x10;
	v.r[15] = 0x10000;
	v.r[13] = 0xbeef0000;
	saved = v;
	rec.mode_n = 0;
	v5_inject(&v, V5_EXC_IRQ);
	CHECK_EQ(rec.mode_n, 1);
	CHECK(rec.privileged);
	r = emu(&v, 0xe25ef004);
	CHECK_EQ(rec.mode_n, 2);
	CHECK(!rec.privileged);
	same_regs(&v, &saved, V5_MODE_IRQ);

	struct { enum v5_exception exc; uint32_t mode, vec, lr, bank, extra_mask; } t[] = {
		{V5_EXC_UNDEF, V5_MODE_UND, 0x04, 0x3004, V5_BANK_UND, 0},
		{V5_EXC_SVC, V5_MODE_SVC, 0x08, 0x3004, V5_BANK_SVC, 0},
		{V5_EXC_PABT, V5_MODE_ABT, 0x0c, 0x3004, V5_BANK_ABT, 0},
		{V5_EXC_DABT, V5_MODE_ABT, 0x10, 0x3008, V5_BANK_ABT, 0},
		{V5_EXC_IRQ, V5_MODE_IRQ, 0x18, 0x3004, V5_BANK_IRQ, 0},
		{V5_EXC_FIQ, V5_MODE_FIQ, 0x1c, 0x3004, V5_BANK_FIQ, V5_PSR_F},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		fresh(&v);
		v5_switch_mode(&v, V5_MODE_USR);
		v.cpsr = 0xa0000010;
		v.r[8] = 0x888;
		v.r[15] = 0x3000;
		v5_inject(&v, t[i].exc);
		CHECK_EQ(mode(&v), t[i].mode);
		CHECK_EQ(v.r[14], t[i].lr);
		CHECK_EQ(v.r[15], t[i].vec);
		CHECK_EQ(v.spsr[t[i].bank], 0xa0000010);
		CHECK_EQ(v.cpsr, 0xa0000000 | t[i].mode | V5_PSR_I | t[i].extra_mask);
		CHECK_EQ(v5_reg_in_mode(&v, V5_MODE_USR, 8), 0x888);
		CHECK_EQ(v.r[8], t[i].exc == V5_EXC_FIQ ? 0 : 0x888);
	}
	/* SVC from the guest kernel, then movs pc, lr back */
	fresh(&v);
	v.cpsr = 0x13;
	v.r[15] = 0xc0001000;
	v.r[14] = 0x4444;
	v5_inject(&v, V5_EXC_SVC);
	CHECK_EQ(v.r[14], 0xc0001004);
	CHECK_EQ(v.spsr[V5_BANK_SVC], 0x13);
	r = emu(&v, 0xe1b0f00e);
	CHECK_EQ(v.r[15], 0xc0001004);
	CHECK_EQ(v.cpsr, 0x13);
	/* data abort: subs pc, lr, #8 retries the instruction; undefined: movs pc, lr skips it */
	fresh(&v);
	v.cpsr = 0x13;
	v.r[15] = 0xc0002000;
	v.r[8] = 0x88;
	saved = v;
	v5_inject_dabt(&v, 0x1234, 0x05);
	CHECK_EQ(emu(&v, 0xe25ef008).kind, V5_NEXT);
	same_regs(&v, &saved, V5_MODE_ABT);
	saved = v;
	v5_inject(&v, V5_EXC_UNDEF);
	CHECK_EQ(emu(&v, 0xe1b0f00e).kind, V5_NEXT);
	CHECK_EQ(v.r[15], 0xc0002004);
	v.r[15] = saved.r[15];
	same_regs(&v, &saved, V5_MODE_UND);
	/* FIQ from SVC and back: r8-r12 of FIQ do not leak */
	saved = v;
	v5_inject(&v, V5_EXC_FIQ);
	for (unsigned i = 8; i < 13; i++)
		v.r[i] = 0xf1f0 + i;
	CHECK_EQ(emu(&v, 0xe25ef004).kind, V5_NEXT);
	CHECK_EQ(v.r[8], 0x88);
	CHECK_EQ(v.cpsr, 0x13);
	CHECK_EQ(v5_reg_in_mode(&v, V5_MODE_FIQ, 8), 0xf1f8);
	/* aborts record their status */
	fresh(&v);
	v.r[15] = 0x2000;
	v5_inject_dabt(&v, 0xdead0000, 0x1f5);
	CHECK_EQ(v.cp15.far, 0xdead0000);
	CHECK_EQ(v.cp15.dfsr, 0xf5);
	CHECK_EQ(v.r[14], 0x2008);
	fresh(&v);
	v.cp15.far = 0x1234;
	v.r[15] = 0x2000;
	v5_inject_pabt(&v, 0x07);
	CHECK_EQ(v.cp15.ifsr, 0x07);
	CHECK_EQ(v.cp15.far, 0x1234);
	CHECK_EQ(v.r[14], 0x2004);
	struct v5_result u = {.kind = V5_UNDEF};
	v.r[15] = 0x5000;
	v5_apply(&v, &u);
	CHECK_EQ(mode(&v), V5_MODE_UND);
	CHECK_EQ(v.r[14], 0x5004);
	CHECK_EQ(v.spsr[V5_BANK_UND], 0xd7);
	/* FIQ masking */
	fresh(&v);
	v.cpsr = 0x13 | V5_PSR_I;
	CHECK(v5_fiq_should_take(&v, true) && !v5_irq_should_take(&v, true));
	CHECK(!v5_fiq_should_take(&v, false));
	v5_inject(&v, V5_EXC_FIQ);
	CHECK(!v5_fiq_should_take(&v, true));
	v5_inject(&v, (enum v5_exception)42);   /* out of range: ignored */
	CHECK_EQ(mode(&v), V5_MODE_FIQ);
}

static void test_cp15(void)
{
	struct v5_vcpu v;
	struct v5_result r;

	fresh(&v);
	r = v5_cp15_emulate(&v, cp15w(1, 0, 0, 0, 0, 0));
	CHECK_EQ(r.kind, V5_NEXT);
	CHECK_EQ(v.r[0], 0x41069265);
	CHECK_EQ(v.r[15], 0x8004);
	r = v5_cp15_emulate(&v, cp15w(1, 0, 1, 0, 0, 1));
	CHECK_EQ(v.r[1], V5_CTR_ARM926);
	r = v5_cp15_emulate(&v, cp15w(1, 0, 2, 0, 0, 2));
	CHECK_EQ(v.r[2], 0);
	r = v5_cp15_emulate(&v, cp15w(1, 0, 2, 0, 0, 5));   /* reserved ID: MIDR */
	CHECK_EQ(v.r[2], 0x41069265);
	/* c1: writable bits only, should-be-one kept, hook with old and new */
	r = v5_cp15_emulate(&v, cp15w(1, 0, 3, 1, 0, 0));
	CHECK_EQ(v.r[3], 0x00050078);
	v.r[3] = 0xffffffff;
	r = v5_cp15_emulate(&v, cp15w(0, 0, 3, 1, 0, 0));
	CHECK_EQ(r.kind, V5_NEXT);
	CHECK_EQ(v.cp15.sctlr, 0x0005f37f);
	CHECK_EQ(rec.control_n, 1);
	CHECK_EQ(rec.control_old, 0x00050078);
	CHECK_EQ(rec.control_new, 0x0005f37f);
	CHECK_EQ(v5_vector_base(&v), 0xffff0000);
	v.r[3] = 0;
	r = v5_cp15_emulate(&v, cp15w(0, 0, 3, 1, 0, 0));
	CHECK_EQ(v.cp15.sctlr, 0x00050078);
	CHECK_EQ(v5_vector_base(&v), 0);
	/* c2, c3, c13: hooks */
	v.r[4] = 0x12345678;
	r = v5_cp15_emulate(&v, cp15w(0, 0, 4, 2, 0, 0));
	CHECK_EQ(rec.ttbr_n, 1);
	CHECK_EQ(rec.ttbr, 0x12344000);
	r = v5_cp15_emulate(&v, cp15w(1, 0, 5, 2, 0, 0));
	CHECK_EQ(v.r[5], 0x12344000);
	r = v5_cp15_emulate(&v, cp15w(0, 0, 4, 3, 0, 0));
	r = v5_cp15_emulate(&v, cp15w(0, 0, 4, 3, 0, 0));
	CHECK_EQ(rec.dacr_n, 2);          /* every write, even unchanged */
	CHECK_EQ(rec.dacr, 0x12345678);
	r = v5_cp15_emulate(&v, cp15w(1, 0, 6, 3, 0, 0));
	CHECK_EQ(v.r[6], 0x12345678);
	v.r[4] = 0xffffffff;
	r = v5_cp15_emulate(&v, cp15w(0, 0, 4, 13, 0, 0));
	CHECK_EQ(rec.fcse_n, 1);
	CHECK_EQ(rec.fcse, 0xfe000000);
	r = v5_cp15_emulate(&v, cp15w(0, 0, 4, 13, 0, 1));
	r = v5_cp15_emulate(&v, cp15w(1, 0, 7, 13, 0, 1));
	CHECK_EQ(v.r[7], 0xffffffff);
	CHECK_EQ(rec.fcse_n, 1);
	/* c5, c6 */
	v.r[4] = 0x1f7;
	r = v5_cp15_emulate(&v, cp15w(0, 0, 4, 5, 0, 0));
	r = v5_cp15_emulate(&v, cp15w(0, 0, 4, 5, 0, 1));
	r = v5_cp15_emulate(&v, cp15w(0, 0, 4, 6, 0, 0));
	CHECK_EQ(v.cp15.dfsr, 0xf7);
	CHECK_EQ(v.cp15.ifsr, 0xf7);
	CHECK_EQ(v.cp15.far, 0x1f7);
	r = v5_cp15_emulate(&v, cp15w(1, 0, 8, 5, 0, 0));
	CHECK_EQ(v.r[8], 0xf7);
	/* c8: TLB hooks */
	v.r[1] = 0xc0001234;
	struct { unsigned crm, opc2, op; uint32_t mva; } tlb[] = {
		{7, 0, V5_TLB_INV_ALL, 0}, {7, 1, V5_TLB_INV_MVA, 0xc0001234},
		{5, 0, V5_TLB_INV_ALL, 0}, {5, 1, V5_TLB_INV_MVA, 0xc0001234},
		{6, 0, V5_TLB_INV_ALL, 0}, {6, 1, V5_TLB_INV_MVA, 0xc0001234},
	};
	for (size_t i = 0; i < sizeof(tlb) / sizeof(tlb[0]); i++) {
		r = v5_cp15_emulate(&v, cp15w(0, 0, 1, 8, tlb[i].crm, tlb[i].opc2));
		CHECK_EQ(r.kind, V5_NEXT);
		CHECK_EQ(rec.tlb_n, i + 1);
		CHECK_EQ(rec.tlb_op, tlb[i].op);
		CHECK_EQ(rec.tlb_mva, tlb[i].mva);
	}
	/* c7: what the host must do */
	struct { unsigned crm, opc2; enum v5_cache_op op; } c7[] = {
		{5, 0, V5_CACHE_I_INV_ALL}, {5, 1, V5_CACHE_I_INV_MVA},
		{6, 0, V5_CACHE_D_CLEAN_INV_ALL}, {6, 1, V5_CACHE_D_CLEAN_INV_MVA},
		{7, 0, V5_CACHE_ALL_CLEAN_INV}, {10, 1, V5_CACHE_D_CLEAN_MVA},
		{10, 2, V5_CACHE_D_CLEAN_ALL}, {10, 4, V5_CACHE_DRAIN_WB}, {13, 1, V5_CACHE_NONE},
		{14, 1, V5_CACHE_D_CLEAN_INV_MVA}, {14, 2, V5_CACHE_D_CLEAN_INV_ALL},
	};
	for (size_t i = 0; i < sizeof(c7) / sizeof(c7[0]); i++) {
		r = v5_cp15_emulate(&v, cp15w(0, 0, 1, 7, c7[i].crm, c7[i].opc2));
		CHECK_EQ(r.kind, V5_NEXT);
		CHECK_EQ(r.cache, c7[i].op);
		CHECK_EQ(r.cache_mva, 0xc0001220);
	}
	v.cpsr = 0xf0000013;
	r = v5_cp15_emulate(&v, cp15w(1, 0, 15, 7, 14, 3));   /* mrc APSR_nzcv test,clean,inv */
	CHECK_EQ(r.kind, V5_NEXT);
	CHECK_EQ(r.cache, V5_CACHE_D_CLEAN_INV_ALL);
	CHECK_EQ(v.cpsr, 0x40000013);                          /* Z only: loop ends */
	r = v5_cp15_emulate(&v, cp15w(1, 0, 2, 7, 10, 3));
	CHECK_EQ(r.cache, V5_CACHE_D_CLEAN_ALL);
	CHECK_EQ(v.r[2], 0x40000000);
	uint32_t pc = v.r[15];
	r = v5_cp15_emulate(&v, cp15w(0, 0, 0, 7, 0, 4));     /* wait for interrupt */
	CHECK_EQ(r.kind, V5_IDLE);
	CHECK_EQ(v.r[15], pc + 4);
	/* lockdown and TCM: read 0, writes ignored and counted */
	v.r[4] = 0xffff;
	r = v5_cp15_emulate(&v, cp15w(0, 0, 4, 9, 0, 0));
	CHECK_EQ(r.kind, V5_NEXT);
	r = v5_cp15_emulate(&v, cp15w(0, 0, 4, 10, 0, 0));
	r = v5_cp15_emulate(&v, cp15w(1, 0, 4, 9, 0, 1));
	CHECK_EQ(v.r[4], 0);
	CHECK_EQ(v.stats.lockdown_ignored, 2);
	/* refusals: undefined, counted, nothing changed */
	struct v5_vcpu before = v;
	uint32_t refused[] = {
		cp15w(1, 0, 0, 15, 0, 0),   /* c15 test/debug */
		cp15w(0, 0, 0, 15, 1, 0),
		cp15w(1, 0, 0, 1, 0, 2),    /* CPACR: ARMv6 */
		cp15w(1, 0, 0, 13, 0, 3),   /* TPIDRURO: ARMv6K */
		cp15w(1, 1, 0, 0, 0, 0),    /* CCSIDR: opc1 1 */
		cp15w(0, 2, 0, 0, 0, 0),    /* CSSELR */
		cp15w(1, 0, 0, 0, 1, 4),    /* ID_MMFR0 */
		cp15w(1, 0, 0, 2, 0, 1),    /* TTBR1 */
		cp15w(0, 0, 0, 0, 0, 0),    /* write to MIDR */
		cp15w(1, 0, 0, 8, 7, 0),    /* read a TLB operation */
		cp15w(1, 0, 0, 7, 5, 0),    /* read a cache operation */
		cp15w(0, 0, 0, 7, 14, 3),   /* write a test-and-clean */
		cp15w(1, 0, 0, 4, 0, 0), cp15w(1, 0, 0, 11, 0, 0), cp15w(1, 0, 0, 12, 0, 0),
		cp15w(1, 0, 0, 14, 0, 0), cp15w(1, 0, 0, 6, 0, 2),
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		CHECK(v5_cp15_name(refused[i]) == NULL);
		r = v5_cp15_emulate(&v, refused[i]);
		CHECK_EQ(r.kind, V5_UNDEF);
	}
	CHECK_EQ(v.stats.cp15_unknown, sizeof(refused) / sizeof(refused[0]));
	v.stats = before.stats;
	CHECK(memcmp(&v, &before, sizeof(v)) == 0);
	r = v5_cp15_emulate(&v, cp15w(0, 0, 15, 3, 0, 0));  /* mcr from pc */
	CHECK_EQ(r.kind, V5_UNDEF);
	CHECK_EQ(v.stats.unpredictable, 1);
	r = v5_cp15_emulate(&v, 0xee100a10);                /* fmrx-like cp10 access */
	CHECK_EQ(r.kind, V5_UNDEF);
	CHECK_EQ(v.stats.coproc_other, 1);
	r = v5_cp15_emulate(&v, 0xfe100f10);                /* mrc2 */
	CHECK_EQ(r.kind, V5_UNDEF);
	r = v5_cp15_emulate(&v, 0xee000f00 | (3 << 16));    /* cdp p15 */
	CHECK_EQ(r.kind, V5_UNDEF);
	CHECK_EQ(v.stats.coproc_other, 3);
	/* condition failed: skipped */
	pc = v.r[15];
	v.cpsr = 0x13;
	r = v5_cp15_emulate(&v, 0x0e100f10);                /* mrceq with Z clear */
	CHECK_EQ(r.kind, V5_NEXT);
	CHECK_EQ(v.r[15], pc + 4);
	/* virtual USR mode: every cp15 access refused, no hook */
	fresh(&v);
	v5_switch_mode(&v, V5_MODE_USR);
	unsigned hooks_before = rec.ttbr_n + rec.dacr_n + rec.control_n + rec.tlb_n;
	uint32_t user_words[] = {cp15w(1, 0, 0, 0, 0, 0), cp15w(0, 0, 0, 3, 0, 0),
				 cp15w(0, 0, 0, 8, 7, 0), cp15w(0, 0, 0, 7, 0, 4)};
	for (size_t i = 0; i < sizeof(user_words) / sizeof(user_words[0]); i++)
		CHECK_EQ(v5_cp15_emulate(&v, user_words[i]).kind, V5_UNDEF);
	CHECK_EQ(v.stats.cp15_user, 4);
	CHECK_EQ(rec.ttbr_n + rec.dacr_n + rec.control_n + rec.tlb_n, hooks_before);
	CHECK_EQ(v.r[15], 0x8000);
	/* names */
	CHECK(strcmp(v5_cp15_name(0xee130f10), "DACR") == 0);   /* mcr p15,0,r0,c3,c0,0 */
	CHECK(strcmp(v5_cp15_name(0xee070f90), "wait for interrupt") == 0);
	CHECK(v5_cp15_name(0xe1a00000) == NULL);
	/* hooks may be absent */
	v5_vcpu_reset(&v, NULL);
	v.r[0] = 0x4000;
	CHECK_EQ(v5_cp15_emulate(&v, cp15w(0, 0, 0, 2, 0, 0)).kind, V5_NEXT);
	CHECK_EQ(v.cp15.ttbr, 0x4000);
}

static const char *kind_name(enum v5_insn k)
{
	static const char *const names[] = {
		"none", "mrs", "msr_reg", "msr_imm", "dp_pc_s", "ldm_user", "ldm_return",
		"stm_user", "mcr", "mrc", "coproc_other"};
	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

static const char *result_name(enum v5_result_kind k)
{
	static const char *const names[] = {"next", "undef", "dabt", "idle"};
	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

/* One word as Linux would execute it: in SVC mode, with valid SPSRs and registers pointing
 * into memory, condition forced to AL so the decoding is really exercised. */
static void decode(void)
{
	char line[64];
	while (fgets(line, sizeof(line), stdin)) {
		uint32_t word = (uint32_t)strtoul(line, NULL, 16);
		uint32_t al = (word & 0x0fffffffu) | 0xe0000000u;
		struct v5_vcpu v;
		fresh(&v);
		for (unsigned i = 0; i < 15; i++)
			v.r[i] = MEM_VA + 0x800;
		for (unsigned b = 1; b < V5_BANKS; b++)
			v.spsr[b] = 0x13;
		enum v5_insn k = v5_classify(word);
		struct v5_result r;
		const char *name = "-";
		if (k == V5_INSN_CP15_MCR || k == V5_INSN_CP15_MRC) {
			r = v5_cp15_emulate(&v, al);
			name = v5_cp15_name(al) ? v5_cp15_name(al) : "?";
		} else {
			r = v5_emulate(&v, al, &mem);
		}
		CHECK(v5_mode_valid(v.cpsr & V5_PSR_MODE));
		printf("%08" PRIx32 " %s %s %s\n", word, kind_name(k), result_name(r.kind), name);
	}
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "all";
	bool all = strcmp(what, "all") == 0;

	if (strcmp(what, "decode") == 0) {
		decode();
		return check_failures ? 1 : 0;
	}
	if (all || !strcmp(what, "banking"))
		test_banking();
	if (all || !strcmp(what, "psr"))
		test_psr();
	if (all || !strcmp(what, "dp"))
		test_dp();
	if (all || !strcmp(what, "ldstm"))
		test_ldstm();
	if (all || !strcmp(what, "exceptions"))
		test_exceptions();
	if (all || !strcmp(what, "cp15"))
		test_cp15();
	return check_summary(what);
}
