/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host checks of the AArch64 trap logic, run from tests/unit/test_arm64_traps.py:
 *   arm64_check decode | mmio | sysreg | psci
 * Prints one line per failed check and "<section>: N checks, M failures".
 * Syndromes are literal ESR values as the CPU reports them for known
 * instructions, so the decoder is checked against the architecture rather
 * than against its own macros.
 */
#include <stdio.h>
#include <string.h>

#include <arch/esr.h>
#include <arch/psci.h>
#include <arch/sysreg_emul.h>

#include "hostcheck.h"

static void check_decode(void)
{
	struct esr_info e;

	/* ldrsh w3, [x1] faulting at stage 2 (translation, level 3). */
	esr_decode(0x93630007ull, &e);
	CHECK_EQ(e.ec, EC_DABT_LOW);
	CHECK(e.il && e.isv && e.sse && !e.sf && !e.ar && !e.wnr);
	CHECK_EQ(e.sas, 1);
	CHECK_EQ(e.srt, 3);
	CHECK_EQ(e.dfsc, 0x07);
	CHECK(!e.fnv && !e.cm && !e.s1ptw);
	CHECK_EQ(esr_insn_len(&e), 4);

	/* str x30, [x2]: 64-bit store, level 2 translation fault. */
	esr_decode(0x93de8046ull, &e);
	CHECK(e.isv && e.wnr && e.sf && !e.sse);
	CHECK_EQ(e.sas, 3);
	CHECK_EQ(e.srt, 30);
	CHECK_EQ(e.dfsc, 0x06);

	/* stlr w0, [x1] (acquire/release) */
	esr_decode(0x93804046ull, &e);
	CHECK(e.isv && e.ar && e.wnr && !e.sf);
	CHECK_EQ(e.sas, 2);
	CHECK_EQ(e.srt, 0);

	/* A permission fault without a valid syndrome (e.g. ldp), write,
	 * cache maintenance, on a stage-1 walk, FAR not valid. */
	esr_decode(((uint64_t)EC_DABT_LOW << 26) | ESR_IL | ESR_FNV | ESR_CM | ESR_S1PTW | ESR_WNR |
		   0x0f, &e);
	CHECK(!e.isv && e.wnr && e.fnv && e.cm && e.s1ptw);
	CHECK_EQ(e.sas, 0);
	CHECK_EQ(e.srt, 0);
	CHECK_EQ(e.dfsc & FSC_TYPE_MASK, FSC_PERMISSION);
	/* ISV clear: bits 23:14 are not a syndrome even if set. */
	esr_decode(((uint64_t)EC_DABT_LOW << 26) | ESR_IL | (0x3ffu << 14), &e);
	CHECK(!e.isv && !e.sse && !e.sf && !e.ar);
	CHECK_EQ(e.srt, 0);

	/* A 16-bit instruction (T32 at EL0): IL clear. */
	esr_decode(((uint64_t)EC_DABT_LOW << 26) | ESR_ISV | 0x07, &e);
	CHECK(!e.il);
	CHECK_EQ(esr_insn_len(&e), 2);

	/* Instruction abort: the abort fields, never the data-abort ones. */
	esr_decode(0x8200000full | ESR_S1PTW | (1u << 24) | (1u << 6), &e);
	CHECK_EQ(e.ec, EC_IABT_LOW);
	CHECK(e.s1ptw && !e.isv && !e.wnr);
	CHECK_EQ(e.dfsc, 0x0f);

	/* mrs x0, id_aa64pfr0_el1 trapped by HCR_EL2.TID3. */
	esr_decode(0x62300009ull, &e);
	CHECK_EQ(e.ec, EC_SYSREG);
	CHECK(e.sysreg_read);
	CHECK_EQ(e.sysreg_rt, 0);
	CHECK_EQ(e.sysreg_enc, SYSREG_ID_AA64PFR0);
	/* msr mdscr_el1, x19 trapped by MDCR_EL2.TDA. */
	esr_decode(0x62240264ull, &e);
	CHECK(!e.sysreg_read);
	CHECK_EQ(e.sysreg_rt, 19);
	CHECK_EQ(e.sysreg_enc, SYSREG_MDSCR_EL1);
	/* mrs x1, pmcr_el0 (TPM): op0 3, op1 3, CRn 9, CRm 12, op2 0. */
	esr_decode(0x6230e439ull, &e);
	CHECK_EQ(e.sysreg_enc, SYSREG_PMCR_EL0);
	CHECK_EQ(e.sysreg_rt, 1);
	CHECK_EQ(SYSREG_OP1(e.sysreg_enc), 3);
	CHECK_EQ(SYSREG_CRN(e.sysreg_enc), 9);
	CHECK_EQ(SYSREG_CRM(e.sysreg_enc), 12);

	/* hvc #0, wfi, wfe, an unknown class. */
	esr_decode(0x5a000000ull, &e);
	CHECK_EQ(e.ec, EC_HVC64);
	CHECK_EQ(e.raw_iss, 0);
	esr_decode(0x06000000ull, &e);
	CHECK_EQ(e.ec, EC_WFX);
	CHECK_EQ(e.raw_iss & ESR_WFX_TI_MASK, ESR_WFX_WFI);
	esr_decode(0x06000001ull, &e);
	CHECK_EQ(e.raw_iss & ESR_WFX_TI_MASK, 1);
	esr_decode(0xfc000000ull | ESR_IL | 0xffffffull, &e);
	CHECK_EQ(e.ec, 0x3f);
	CHECK(!e.isv && !e.wnr && !e.sysreg_read);
	/* ISS2 (ESR bits 32+) is not part of the ISS. */
	esr_decode((0x1full << 32) | 0x93630007ull, &e);
	CHECK_EQ(e.raw_iss, 0x1630007);

	CHECK(strcmp(esr_class_name(EC_DABT_LOW), "Data Abort from lower EL") == 0);
	CHECK(strcmp(esr_class_name(0x3f), "Reserved or unhandled exception class") == 0);
}

static struct esr_info access(unsigned sas, unsigned srt, bool sse, bool sf, bool write)
{
	return (struct esr_info){.ec = EC_DABT_LOW, .il = true, .isv = true, .sas = (uint8_t)sas,
				 .srt = (uint8_t)srt, .sse = sse, .sf = sf, .wnr = write};
}

static void check_mmio(void)
{
	uint64_t r[31];
	for (unsigned i = 0; i < 31; i++)
		r[i] = 0x1111111111111111ull * (i + 1);
	r[1] = 0xfedcba9876543210ull;

	/* Stores: truncated to the access size; register 31 is XZR. */
	struct esr_info e = access(0, 1, false, false, true);
	CHECK_EQ(mmio_store_value(r, &e), 0x10);
	e = access(1, 1, false, false, true);
	CHECK_EQ(mmio_store_value(r, &e), 0x3210);
	e = access(2, 1, false, false, true);
	CHECK_EQ(mmio_store_value(r, &e), 0x76543210);
	e = access(3, 1, false, true, true);
	CHECK_EQ(mmio_store_value(r, &e), 0xfedcba9876543210ull);
	e = access(3, 31, false, true, true);
	CHECK_EQ(mmio_store_value(r, &e), 0);
	e = access(2, 31, false, false, true);
	CHECK_EQ(mmio_store_value(r, &e), 0);

	/* ldrb w2: zero-extended, the register's upper half cleared. */
	e = access(0, 2, false, false, false);
	mmio_load_apply(r, &e, 0xabcdef80);
	CHECK_EQ(r[2], 0x80);
	/* ldrsb x2 / ldrsb w2 */
	e = access(0, 2, true, true, false);
	mmio_load_apply(r, &e, 0x80);
	CHECK_EQ(r[2], 0xffffffffffffff80ull);
	e = access(0, 2, true, false, false);
	mmio_load_apply(r, &e, 0x80);
	CHECK_EQ(r[2], 0xffffff80ull);
	e = access(0, 2, true, true, false);
	mmio_load_apply(r, &e, 0x7f);
	CHECK_EQ(r[2], 0x7f);
	/* ldrsh x3 / ldrh w3 */
	e = access(1, 3, true, true, false);
	mmio_load_apply(r, &e, 0x8001);
	CHECK_EQ(r[3], 0xffffffffffff8001ull);
	e = access(1, 3, false, false, false);
	mmio_load_apply(r, &e, 0xffff8001);
	CHECK_EQ(r[3], 0x8001);
	/* ldrsw x4, ldr w4 (upper half of x4 cleared), ldr x4 */
	e = access(2, 4, true, true, false);
	mmio_load_apply(r, &e, 0x80000000);
	CHECK_EQ(r[4], 0xffffffff80000000ull);
	r[4] = ~0ull;
	e = access(2, 4, false, false, false);
	mmio_load_apply(r, &e, 0xdeadbeef);
	CHECK_EQ(r[4], 0xdeadbeef);
	e = access(3, 4, false, true, false);
	mmio_load_apply(r, &e, 0x8000000000000001ull);
	CHECK_EQ(r[4], 0x8000000000000001ull);
	/* SSE on a 64-bit load changes nothing. */
	e = access(3, 4, true, true, false);
	mmio_load_apply(r, &e, 0x8000000000000001ull);
	CHECK_EQ(r[4], 0x8000000000000001ull);
	/* A load into XZR is discarded: no register changes. */
	uint64_t before[31];
	memcpy(before, r, sizeof(r));
	e = access(3, 31, false, true, false);
	mmio_load_apply(r, &e, 0x1234);
	CHECK(memcmp(before, r, sizeof(r)) == 0);
	e = access(0, 31, true, true, false);
	mmio_load_apply(r, &e, 0xff);
	CHECK(memcmp(before, r, sizeof(r)) == 0);
	/* x30 is the last real register. */
	e = access(2, 30, false, false, false);
	mmio_load_apply(r, &e, 0x55);
	CHECK_EQ(r[30], 0x55);
}

static unsigned reads;

/* A CPU with every feature: each ID register reads all ones. */
static uint64_t all_ones(uint32_t enc)
{
	(void)enc;
	reads++;
	return ~0ull;
}

/* QEMU 10 -cpu max's values of the registers the policy cuts most. */
static uint64_t qemu_max(uint32_t enc)
{
	switch (enc) {
	case SYSREG_ID_AA64PFR0: return 0x1201111123111112ull;
	case SYSREG_ID_AA64PFR1: return 0x0000000001000321ull;   /* BT, SSBS, MTE 3, SME 1 */
	case SYSREG_ID_AA64ISAR1: return 0x0011111101211052ull;  /* APA 5, GPA 1, ... */
	case SYSREG_ID_AA64DFR0: return 0x000001f210305619ull;   /* PMUVer 6, PMSVer 1 */
	default: return ~0ull;
	}
}

static uint64_t field(uint64_t v, unsigned n)
{
	return (v >> (4 * n)) & 0xf;
}

static uint64_t id_read(uint32_t enc, idreg_reader rd)
{
	struct vcpu_dbg d;
	vcpu_dbg_reset(&d);
	uint64_t v = 0xbad;
	CHECK(sysreg_emulate(&d, enc, true, &v, rd) == SYSREG_DONE);
	return v;
}

static void check_sysreg(void)
{
	/* ID registers: what the guest may not use reads as absent. */
	uint64_t pfr0 = id_read(SYSREG_ID_AA64PFR0, qemu_max);
	CHECK_EQ(field(pfr0, 8), 0);       /* SVE */
	CHECK_EQ(field(pfr0, 11), 0);      /* AMU */
	CHECK_EQ(field(pfr0, 7), 0);       /* RAS */
	CHECK_EQ(field(pfr0, 6), 0);       /* GIC system registers */
	CHECK_EQ(field(pfr0, 2), 0);       /* EL2 */
	CHECK_EQ(field(pfr0, 4), 1);       /* FP kept */
	CHECK_EQ(field(pfr0, 5), 1);       /* AdvSIMD kept */
	CHECK_EQ(field(pfr0, 1), 1);       /* EL1 kept */
	CHECK_EQ(field(pfr0, 15), 1);      /* CSV3 kept */
	uint64_t pfr1 = id_read(SYSREG_ID_AA64PFR1, qemu_max);
	CHECK_EQ(field(pfr1, 2), 0);       /* MTE */
	CHECK_EQ(field(pfr1, 6), 0);       /* SME */
	CHECK_EQ(field(pfr1, 0), 1);       /* BT kept */
	CHECK_EQ(field(pfr1, 1), 2);       /* SSBS kept */
	uint64_t isar1 = id_read(SYSREG_ID_AA64ISAR1, qemu_max);
	CHECK_EQ(field(isar1, 1), 0);      /* APA */
	CHECK_EQ(field(isar1, 2), 0);      /* API */
	CHECK_EQ(field(isar1, 6), 0);      /* GPA */
	CHECK_EQ(field(isar1, 7), 0);      /* GPI */
	CHECK_EQ(field(isar1, 0), 2);      /* DPB kept */
	CHECK_EQ(field(isar1, 5), 2);      /* LRCPC kept */
	uint64_t dfr0 = id_read(SYSREG_ID_AA64DFR0, qemu_max);
	CHECK_EQ(field(dfr0, 2), 0);       /* PMUVer */
	CHECK_EQ(field(dfr0, 8), 0);       /* PMSVer (SPE) */
	CHECK_EQ(field(dfr0, 1), 0);       /* TraceVer */
	CHECK_EQ(field(dfr0, 0), 9);       /* DebugVer kept */
	CHECK_EQ(field(dfr0, 3), 5);       /* BRPs kept */
	CHECK_EQ(field(dfr0, 9), 0xf & (0x000001f210305619ull >> 36));   /* DoubleLock kept */
	uint64_t isar2 = id_read(SYSREG_ID_AA64ISAR2, all_ones);
	CHECK_EQ(field(isar2, 0), 0);      /* WFxT */
	CHECK_EQ(field(isar2, 2), 0);      /* GPA3 */
	CHECK_EQ(field(isar2, 3), 0);      /* APA3 */
	CHECK_EQ(field(isar2, 4), 0);      /* MOPS */
	CHECK_EQ(id_read(SYSREG_ID_AA64ISAR0, qemu_max), ~0ull);   /* instructions only */
	CHECK_EQ(id_read(SYSREG_ID_AA64MMFR0, all_ones), ~0ull);   /* TGran4/64 "absent" kept */
	CHECK_EQ(field(id_read(SYSREG_ID_AA64MMFR1, all_ones), 4), 0);   /* LO */
	CHECK_EQ(field(id_read(SYSREG_ID_AA64MMFR1, all_ones), 2), 0);   /* VH */
	CHECK_EQ(field(id_read(SYSREG_ID_AA64MMFR2, all_ones), 6), 0);   /* NV */
	CHECK_EQ(field(id_read(SYSREG_ID_DFR0, all_ones), 6), 0);        /* AArch32 PerfMon */
	/* Registers that are all cut are not even read from the CPU. */
	reads = 0;
	CHECK_EQ(id_read(SYSREG_ID_AA64ZFR0, all_ones), 0);
	CHECK_EQ(id_read(SYSREG_ID_AA64SMFR0, all_ones), 0);
	CHECK_EQ(id_read(SYSREG_ENC(3, 0, 0, 7, 3), all_ones), 0);   /* MMFR3 */
	CHECK_EQ(reads, 0);
	/* Unallocated ID encodings read as zero. */
	CHECK_EQ(id_read(SYSREG_ENC(3, 0, 0, 3, 7), all_ones), 0);
	CHECK_EQ(id_read(SYSREG_ENC(3, 0, 0, 6, 7), all_ones), 0);
	/* idreg_guest_value agrees with the emulation. */
	CHECK_EQ(idreg_guest_value(SYSREG_ID_AA64PFR0, 0x1201111123111112ull), pfr0);
	CHECK(idreg_in_group3(SYSREG_ID_AA64MMFR2));
	CHECK(idreg_in_group3(SYSREG_ID_DFR0));
	CHECK(!idreg_in_group3(SYSREG_ENC(3, 0, 0, 0, 0)));   /* MIDR_EL1: VPIDR_EL2 */
	CHECK(!idreg_in_group3(SYSREG_ENC(3, 1, 0, 0, 1)));   /* CLIDR_EL1 */
	CHECK(!idreg_in_group3(SYSREG_MDSCR_EL1));

	struct vcpu_dbg a, b;
	vcpu_dbg_reset(&a);
	vcpu_dbg_reset(&b);
	uint64_t v = 0;
	/* ID registers are read-only. */
	CHECK(sysreg_emulate(&a, SYSREG_ID_AA64PFR0, false, &v, all_ones) == SYSREG_UNDEF);

	/* OS lock: set at reset, cleared by OSLAR, seen in OSLSR (OSLM 0b10). */
	CHECK(sysreg_emulate(&a, SYSREG_OSLSR_EL1, true, &v, all_ones) == SYSREG_DONE);
	CHECK_EQ(v, 0xa);
	v = 0;
	CHECK(sysreg_emulate(&a, SYSREG_OSLAR_EL1, false, &v, all_ones) == SYSREG_DONE);
	CHECK(sysreg_emulate(&a, SYSREG_OSLSR_EL1, true, &v, all_ones) == SYSREG_DONE);
	CHECK_EQ(v, 0x8);
	CHECK(sysreg_emulate(&b, SYSREG_OSLSR_EL1, true, &v, all_ones) == SYSREG_DONE);
	CHECK_EQ(v, 0xa);                  /* the other vCPU still locked */
	CHECK(sysreg_emulate(&a, SYSREG_OSLAR_EL1, true, &v, all_ones) == SYSREG_UNDEF);
	CHECK(sysreg_emulate(&a, SYSREG_OSLSR_EL1, false, &v, all_ones) == SYSREG_UNDEF);
	CHECK(sysreg_emulate(&a, SYSREG_OSDLR_EL1, true, &v, all_ones) == SYSREG_DONE);
	CHECK_EQ(v, 0);

	/* MDSCR_EL1 is each vCPU's own. */
	v = 0x8000;
	CHECK(sysreg_emulate(&a, SYSREG_MDSCR_EL1, false, &v, all_ones) == SYSREG_DONE);
	CHECK(sysreg_emulate(&b, SYSREG_MDSCR_EL1, true, &v, all_ones) == SYSREG_DONE);
	CHECK_EQ(v, 0);
	CHECK(sysreg_emulate(&a, SYSREG_MDSCR_EL1, true, &v, all_ones) == SYSREG_DONE);
	CHECK_EQ(v, 0x8000);

	/* A watchpoint/breakpoint value written by one guest is not read back
	 * (by it or anyone): RAZ/WI. Same for the debug comms channel. */
	v = 0xffff000012345678ull;
	CHECK(sysreg_emulate(&a, SYSREG_DBGBVR0_EL1, false, &v, all_ones) == SYSREG_DONE);
	CHECK(sysreg_emulate(&a, SYSREG_DBGBVR0_EL1, true, &v, all_ones) == SYSREG_DONE);
	CHECK_EQ(v, 0);
	v = 7;
	CHECK(sysreg_emulate(&a, SYSREG_ENC(2, 0, 0, 15, 7), true, &v, all_ones) == SYSREG_DONE);
	CHECK_EQ(v, 0);                    /* DBGWCR15_EL1 */
	v = 7;
	CHECK(sysreg_emulate(&a, SYSREG_ENC(2, 3, 0, 1, 0), true, &v, all_ones) == SYSREG_DONE);
	CHECK_EQ(v, 0);                    /* MDCCSR_EL0 */

	/* PMU, pointer authentication keys, trace: UNDEFINED. */
	CHECK(sysreg_emulate(&a, SYSREG_PMCR_EL0, true, &v, all_ones) == SYSREG_UNDEF);
	CHECK(sysreg_emulate(&a, SYSREG_ENC(3, 3, 9, 13, 0), true, &v, all_ones) == SYSREG_UNDEF);
	CHECK(sysreg_emulate(&a, SYSREG_APIAKEYLO_EL1, false, &v, all_ones) == SYSREG_UNDEF);
	CHECK(sysreg_emulate(&a, SYSREG_ENC(2, 1, 0, 0, 0), true, &v, all_ones) == SYSREG_UNDEF);
	CHECK(sysreg_emulate(&a, SYSREG_ENC(3, 0, 1, 2, 1), true, &v, all_ones) == SYSREG_UNDEF);

	/* ACTLR_EL1 and ICC_SRE_EL1: RAZ/WI. */
	v = 5;
	CHECK(sysreg_emulate(&a, SYSREG_ACTLR_EL1, true, &v, all_ones) == SYSREG_DONE);
	CHECK_EQ(v, 0);
	v = 0xf;
	CHECK(sysreg_emulate(&a, SYSREG_ICC_SRE_EL1, false, &v, all_ones) == SYSREG_DONE);
	CHECK(sysreg_emulate(&a, SYSREG_ICC_SRE_EL1, true, &v, all_ones) == SYSREG_DONE);
	CHECK_EQ(v, 0);
}

/* One vCPU, on: what every call but CPU_ON/AFFINITY_INFO sees. */
static const struct psci_cpus one = {.n = 1, .online = 1};

static enum psci_action call(uint32_t fn, uint64_t a1, uint64_t *r)
{
	unsigned t = 99;
	return psci_decide(fn, a1, 0, &one, r, &t);
}

static void check_psci(void)
{
	uint64_t r = 0xbad;
	unsigned t = 99;
	CHECK(call(PSCI_VERSION, 0, &r) == PSCI_RETURN);
	CHECK_EQ(r, 0x10000);
	CHECK(call(PSCI_MIGRATE_INFO_TYPE, 0, &r) == PSCI_RETURN);
	CHECK_EQ(r, 2);

	/* FEATURES: implemented ids succeed, others are NOT_SUPPORTED. */
	static const uint32_t impl[] = {0x84000000, 0x84000002, 0x84000003, 0xc4000003, 0x84000004,
					0xc4000004, 0x84000006, 0x84000008, 0x84000009, 0x8400000a};
	for (size_t i = 0; i < sizeof(impl) / sizeof(impl[0]); i++) {
		r = 0xbad;
		CHECK(call(PSCI_FEATURES, impl[i], &r) == PSCI_RETURN);
		CHECK_EQ(r, 0);
	}
	static const uint32_t absent[] = {0x84000001, 0xc4000001, 0xc4000008, 0xc4000009,
					  0x80000000, 0x8400000e, 0x12345678};
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		CHECK(call(PSCI_FEATURES, absent[i], &r) == PSCI_RETURN);
		CHECK_EQ(r, (uint64_t)-1);
		r = 0;
		/* ...and calling them returns NOT_SUPPORTED too. */
		CHECK(call(absent[i], 0, &r) == PSCI_RETURN);
		CHECK_EQ(r, (uint64_t)-1);
	}
	/* FEATURES is an SMC32 call: its argument is a W register. */
	CHECK(call(PSCI_FEATURES, 0xffffffff84000000ull, &r) == PSCI_RETURN);
	CHECK_EQ(r, 0);

	/* CPU_ON / AFFINITY_INFO with one vCPU: only MPIDR 0, which is on. The
	 * 32-bit calls ignore the upper half of x1; the 64-bit ones do not. */
	CHECK(call(PSCI_CPU_ON_64, 0, &r) == PSCI_RETURN);
	CHECK_EQ(r, (uint64_t)-4);
	CHECK(call(PSCI_CPU_ON_64, 1, &r) == PSCI_RETURN);
	CHECK_EQ(r, (uint64_t)-2);
	CHECK(call(PSCI_CPU_ON_64, 0xff00000000ull, &r) == PSCI_RETURN);
	CHECK_EQ(r, (uint64_t)-2);
	CHECK(call(PSCI_CPU_ON_64, 0x80000000ull, &r) == PSCI_RETURN);   /* MPIDR bit 31 */
	CHECK_EQ(r, (uint64_t)-4);
	CHECK(call(PSCI_CPU_ON_32, 0xffffffff00000000ull, &r) == PSCI_RETURN);
	CHECK_EQ(r, (uint64_t)-4);
	CHECK(call(PSCI_AFFINITY_INFO_64, 0, &r) == PSCI_RETURN);
	CHECK_EQ(r, 0);
	CHECK(call(PSCI_AFFINITY_INFO_32, 0x100, &r) == PSCI_RETURN);
	CHECK_EQ(r, (uint64_t)-2);
	CHECK(call(PSCI_AFFINITY_INFO_32, 0x100000000ull, &r) == PSCI_RETURN);
	CHECK_EQ(r, 0);

	/* Four vCPUs, 0 and 2 on. */
	const struct psci_cpus four = {.n = 4, .online = 0x5};
	CHECK(psci_decide(PSCI_CPU_ON_64, 1, 0x40080000, &four, &r, &t) == PSCI_DO_CPU_ON);
	CHECK_EQ(t, 1);
	CHECK(psci_decide(PSCI_CPU_ON_64, 0x80000003ull, 0, &four, &r, &t) == PSCI_DO_CPU_ON);
	CHECK_EQ(t, 3);
	r = 0xbad;
	CHECK(psci_decide(PSCI_CPU_ON_64, 2, 0, &four, &r, &t) == PSCI_RETURN);      /* already on */
	CHECK_EQ(r, (uint64_t)-4);
	CHECK(psci_decide(PSCI_CPU_ON_64, 4, 0, &four, &r, &t) == PSCI_RETURN);      /* no vCPU 4 */
	CHECK_EQ(r, (uint64_t)-2);
	CHECK(psci_decide(PSCI_CPU_ON_64, 0x101, 0, &four, &r, &t) == PSCI_RETURN);  /* Aff1 */
	CHECK_EQ(r, (uint64_t)-2);
	CHECK(psci_decide(PSCI_CPU_ON_32, 0x100000001ull, 0, &four, &r, &t) == PSCI_DO_CPU_ON);
	CHECK_EQ(t, 1);
	CHECK(psci_decide(PSCI_AFFINITY_INFO_64, 2, 0, &four, &r, &t) == PSCI_RETURN);
	CHECK_EQ(r, 0);                                                             /* ON */
	CHECK(psci_decide(PSCI_AFFINITY_INFO_64, 3, 0, &four, &r, &t) == PSCI_RETURN);
	CHECK_EQ(r, 1);                                                             /* OFF */
	CHECK(psci_decide(PSCI_AFFINITY_INFO_64, 3, 1, &four, &r, &t) == PSCI_RETURN);
	CHECK_EQ(r, (uint64_t)-2);                             /* no affinity levels above 0 */
	CHECK(psci_decide(PSCI_AFFINITY_INFO_32, 3, 0x100000000ull, &four, &r, &t) == PSCI_RETURN);
	CHECK_EQ(r, 1);                                         /* SMC32: x2's upper half ignored */
	CHECK(psci_decide(PSCI_AFFINITY_INFO_64, 7, 0, &four, &r, &t) == PSCI_RETURN);
	CHECK_EQ(r, (uint64_t)-2);

	/* Power: the caller carries these out. */
	CHECK(call(PSCI_SYSTEM_OFF, 0, &r) == PSCI_DO_SYSTEM_OFF);
	CHECK(call(PSCI_SYSTEM_RESET, 0, &r) == PSCI_DO_SYSTEM_RESET);
	CHECK(call(PSCI_CPU_OFF, 0, &r) == PSCI_DO_CPU_OFF);
	/* x0 holds a 32-bit function id: upper bits of x0 are the caller's
	 * business (vpsci.c passes (uint32_t)x0). */
	CHECK(call((uint32_t)0xffffffff84000008ull, 0, &r) == PSCI_DO_SYSTEM_OFF);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: arm64_check decode|mmio|sysreg|psci\n");
		return 2;
	}
	const char *what = argv[1];
	if (!strcmp(what, "decode"))
		check_decode();
	else if (!strcmp(what, "mmio"))
		check_mmio();
	else if (!strcmp(what, "sysreg"))
		check_sysreg();
	else if (!strcmp(what, "psci"))
		check_psci();
	else {
		fprintf(stderr, "unknown section %s\n", what);
		return 2;
	}
	return check_summary(what);
}
