/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Emulation of the system registers a guest traps on (see
 * arch/sysreg_emul.h for the policy). Pure logic: the CPU's ID register
 * values come through a reader, so the host unit tests run this file as
 * it is (tests/arch/host/sysreg_check.c).
 */
#include <arch/sysreg_bits.h>
#include <arch/sysreg_emul.h>

/* Field n (4 bits wide, at bit 4n) of an ID register. */
#define F(n) (0xfull << (4 * (n)))

/*
 * The fields a guest sees, per ID register; every other field reads as 0
 * ("not implemented"). Only fields whose 0 means "absent" are dropped:
 * signed fields where 0 would claim a feature (FP, AdvSIMD, TGran4/64,
 * DoubleLock) are kept. An encoding that is not listed reads as 0.
 */
struct idreg_policy {
	uint32_t enc;
	uint64_t keep;
};

static const struct idreg_policy idregs[] = {
	/* ID_AA64PFR0: EL0, EL1, EL3, FP, AdvSIMD, DIT, CSV2, CSV3. Dropped:
	 * EL2 (no nested virtualization), GIC (guests see a GICv2), RAS, SVE,
	 * SEL2, MPAM, AMU, RME. */
	{SYSREG_ID_AA64PFR0, F(0) | F(1) | F(3) | F(4) | F(5) | F(12) | F(14) | F(15)},
	/* ID_AA64PFR1: BT, SSBS, CSV2_frac. Dropped: MTE, RAS_frac, MPAM_frac,
	 * SME, RNDR_trap, NMI, GCS, THE, ... */
	{SYSREG_ID_AA64PFR1, F(0) | F(1) | F(8)},
	{SYSREG_ENC(3, 0, 0, 4, 2), 0},                 /* ID_AA64PFR2 */
	{SYSREG_ID_AA64ZFR0, 0},                        /* SVE */
	{SYSREG_ID_AA64SMFR0, 0},                       /* SME */
	{SYSREG_ENC(3, 0, 0, 4, 7), 0},                 /* ID_AA64FPFR0 */
	/* ID_AA64DFR0: DebugVer, BRPs, WRPs, CTX_CMPs, DoubleLock. Dropped:
	 * TraceVer, PMUVer, PMSVer (SPE), TraceFilt, TraceBuffer, MTPMU, BRBE,
	 * HPMN0, ... */
	{SYSREG_ID_AA64DFR0, F(0) | F(3) | F(5) | F(7) | F(9)},
	{SYSREG_ENC(3, 0, 0, 5, 1), 0},                 /* ID_AA64DFR1 */
	{SYSREG_ENC(3, 0, 0, 5, 4), 0},                 /* ID_AA64AFR0 */
	{SYSREG_ENC(3, 0, 0, 5, 5), 0},                 /* ID_AA64AFR1 */
	/* ID_AA64ISAR0: instructions only (crypto, CRC32, atomics, ...). */
	{SYSREG_ID_AA64ISAR0, ~0ull},
	/* ID_AA64ISAR1: DPB, JSCVT, FCMA, LRCPC, FRINTTS, SB, SPECRES, BF16,
	 * DGH, I8MM. Dropped: APA, API, GPA, GPI (pointer authentication),
	 * XS, LS64. */
	{SYSREG_ID_AA64ISAR1, F(0) | F(3) | F(4) | F(5) | F(8) | F(9) | F(10) | F(11) | F(12) | F(13)},
	/* ID_AA64ISAR2: RPRES, BC, CLRBHB, PRFMSLC, RPRFM, CSSC. Dropped: WFxT,
	 * GPA3, APA3, MOPS, PAC_frac, SYSREG_128, ... */
	{SYSREG_ID_AA64ISAR2, F(1) | F(5) | F(7) | F(10) | F(12) | F(13)},
	{SYSREG_ENC(3, 0, 0, 6, 3), 0},                 /* ID_AA64ISAR3 */
	/* ID_AA64MMFR0: the translation regime as the CPU has it. */
	{SYSREG_ID_AA64MMFR0, ~0ull},
	/* ID_AA64MMFR1 without VH, LO (LORegions), TWED, HCX, TIDCP1. */
	{SYSREG_ID_AA64MMFR1, ~(F(2) | F(4) | F(8) | F(10) | F(13))},
	/* ID_AA64MMFR2 without NV, FWB, EVT. */
	{SYSREG_ID_AA64MMFR2, ~(F(6) | F(10) | F(14))},
	{SYSREG_ENC(3, 0, 0, 7, 3), 0},                 /* ID_AA64MMFR3: TCR2, SCTLR2, PIE, POE, ... */
	{SYSREG_ENC(3, 0, 0, 7, 4), 0},                 /* ID_AA64MMFR4 */
	/* AArch32 ID registers (an AArch32 EL0 only): as the CPU has them,
	 * but no GIC system registers or virtualization in ID_PFR1, no PMU or
	 * trace in ID_DFR0. */
	{SYSREG_ENC(3, 0, 0, 1, 0), ~0ull},             /* ID_PFR0 */
	{SYSREG_ENC(3, 0, 0, 1, 1), ~(F(3) | F(7))},    /* ID_PFR1 */
	{SYSREG_ID_DFR0, F(0) | F(1) | F(2)},           /* ID_DFR0: CopDbg, CopSDbg, MMapDbg */
	{SYSREG_ENC(3, 0, 0, 1, 4), ~0ull},             /* ID_MMFR0 */
	{SYSREG_ENC(3, 0, 0, 1, 5), ~0ull},             /* ID_MMFR1 */
	{SYSREG_ENC(3, 0, 0, 1, 6), ~0ull},             /* ID_MMFR2 */
	{SYSREG_ENC(3, 0, 0, 1, 7), ~0ull},             /* ID_MMFR3 */
	{SYSREG_ENC(3, 0, 0, 2, 0), ~0ull},             /* ID_ISAR0 */
	{SYSREG_ENC(3, 0, 0, 2, 1), ~0ull},             /* ID_ISAR1 */
	{SYSREG_ENC(3, 0, 0, 2, 2), ~0ull},             /* ID_ISAR2 */
	{SYSREG_ENC(3, 0, 0, 2, 3), ~0ull},             /* ID_ISAR3 */
	{SYSREG_ENC(3, 0, 0, 2, 4), ~0ull},             /* ID_ISAR4 */
	{SYSREG_ENC(3, 0, 0, 2, 5), ~0ull},             /* ID_ISAR5 */
	{SYSREG_ENC(3, 0, 0, 2, 6), ~0ull},             /* ID_MMFR4 */
	{SYSREG_ENC(3, 0, 0, 2, 7), ~0ull},             /* ID_ISAR6 */
	{SYSREG_ENC(3, 0, 0, 3, 0), ~0ull},             /* MVFR0 */
	{SYSREG_ENC(3, 0, 0, 3, 1), ~0ull},             /* MVFR1 */
	{SYSREG_ENC(3, 0, 0, 3, 2), ~0ull},             /* MVFR2 */
};

bool idreg_in_group3(uint32_t enc)
{
	return SYSREG_OP0(enc) == 3 && SYSREG_OP1(enc) == 0 && SYSREG_CRN(enc) == 0 &&
	       SYSREG_CRM(enc) >= 1 && SYSREG_CRM(enc) <= 7;
}

static const struct idreg_policy *idreg_find(uint32_t enc)
{
	for (size_t i = 0; i < ARRAY_SIZE(idregs); i++)
		if (idregs[i].enc == enc)
			return &idregs[i];
	return NULL;
}

uint64_t idreg_guest_value(uint32_t enc, uint64_t real)
{
	const struct idreg_policy *p = idreg_find(enc);
	return p ? real & p->keep : 0;
}

void vcpu_dbg_reset(struct vcpu_dbg *d)
{
	d->mdscr = 0;
	d->os_lock = true;       /* the OS lock is set by a cold reset */
}

/* Debug registers (op0 2, op1 0 or 3): the OS lock and MDSCR_EL1 per vCPU,
 * the rest RAZ/WI. Nothing reaches the CPU's own debug registers. */
static enum sysreg_result debug_access(struct vcpu_dbg *d, uint32_t enc, bool read, uint64_t *val)
{
	switch (enc) {
	case SYSREG_MDSCR_EL1:
		if (read)
			*val = d->mdscr;
		else
			d->mdscr = *val;
		return SYSREG_DONE;
	case SYSREG_OSLAR_EL1:
		if (read)
			return SYSREG_UNDEF;       /* write-only */
		d->os_lock = (*val & 1) != 0;
		return SYSREG_DONE;
	case SYSREG_OSLSR_EL1:
		if (!read)
			return SYSREG_UNDEF;       /* read-only */
		*val = OSLSR_OSLM_IMPLEMENTED | (d->os_lock ? OSLSR_OSLK : 0);
		return SYSREG_DONE;
	default:
		if (read)
			*val = 0;
		return SYSREG_DONE;
	}
}

enum sysreg_result sysreg_emulate(struct vcpu_dbg *d, uint32_t enc, bool read, uint64_t *val,
				  idreg_reader rd)
{
	if (idreg_in_group3(enc)) {
		if (!read)
			return SYSREG_UNDEF;       /* ID registers are read-only */
		const struct idreg_policy *p = idreg_find(enc);
		*val = (p && p->keep) ? rd(enc) & p->keep : 0;
		return SYSREG_DONE;
	}
	if (SYSREG_OP0(enc) == 2 && (SYSREG_OP1(enc) == 0 || SYSREG_OP1(enc) == 3))
		return debug_access(d, enc, read, val);
	if (enc == SYSREG_ACTLR_EL1 || enc == SYSREG_ICC_SRE_EL1) {
		if (read)
			*val = 0;
		return SYSREG_DONE;
	}
	return SYSREG_UNDEF;
}
