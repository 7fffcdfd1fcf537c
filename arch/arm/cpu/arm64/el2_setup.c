/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * EL2 control registers. Firmware (or QEMU) may leave them in any state the
 * architecture allows, and several reset to UNKNOWN values on real CPUs, so
 * every one that decides what traps to EL2 is set explicitly here. What a
 * guest may use is in docs/architecture.md ("CPU features and PMU/debug").
 */
#include <arch/cpu.h>
#include <arch/sysreg.h>
#include <arch/sysreg_bits.h>
#include <mamoru/smp.h>
#include "el2.h"

/* ID register fields that say whether a trap control exists (else it is
 * RES0 and stays 0). */
#define ID_AA64PFR0_RAS(v) (((v) >> 28) & 0xf)
#define ID_AA64PFR0_AMU(v) (((v) >> 44) & 0xf)
#define ID_AA64MMFR1_LO(v) (((v) >> 16) & 0xf)
#define ID_AA64DFR0_PMSVER(v) (((v) >> 32) & 0xf)
#define ID_AA64DFR0_TRACEFILT(v) (((v) >> 40) & 0xf)

/*
 * Guest traps: stage 2, physical interrupts and SErrors to EL2, WFI, SMC
 * (PSCI), the ID registers (TID3: the guest sees only the features it may
 * use) and ACTLR_EL1 (TACR: implementation-defined CPU controls are shared
 * by every guest on the core, so no guest may change them). API and APK
 * stay clear: pointer authentication is hidden from the guest and its
 * instructions and keys trap (and are UNDEFINED in the guest). LORegion
 * and RAS error-record registers trap where the CPU has them.
 */
#define HCR_GUEST_BASE (HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_TWI | HCR_TSC | \
			HCR_RW | HCR_TID3 | HCR_TACR)

static uint64_t guest_hcr;

uint64_t el2_guest_hcr(void)
{
	return guest_hcr;
}

void el2_init_registers(void)
{
	uint64_t pfr0 = read_sysreg(id_aa64pfr0_el1), dfr0 = read_sysreg(id_aa64dfr0_el1);

	/* FP/SIMD usable at EL2 and below (the hypervisor switches it between
	 * guests); SVE, SME, trace and activity monitors trap: no guest has
	 * them. */
	write_sysreg(cptr_el2, CPTR_EL2_RES1 | CPTR_TZ | CPTR_TTA |
			       (ID_AA64PFR0_AMU(pfr0) ? CPTR_TAM : 0));
	/* Every PMU, debug, OS lock, SPE and trace-filter register access from
	 * EL1/EL0 traps: one guest must not read or program counters and
	 * watchpoints the next one inherits. HPMN keeps every counter in the
	 * EL1 range (they all trap anyway). */
	write_sysreg(mdcr_el2, PMCR_N(read_sysreg(pmcr_el0)) | MDCR_TPMCR | MDCR_TPM | MDCR_TDA |
			       MDCR_TDOSA | MDCR_TDRA |
			       (ID_AA64DFR0_PMSVER(dfr0) ? MDCR_TPMS : 0) |
			       (ID_AA64DFR0_TRACEFILT(dfr0) ? MDCR_TTRF : 0));
	/* The guest's debug state is emulated; the CPU's stays off. */
	write_sysreg(mdscr_el1, 0);
	/* ACTLR_EL2 0: EL1 gets no access to the implementation-defined
	 * registers it gates (e.g. CPUACTLR/CPUECTLR/L2CTLR on Cortex-A53/A72). */
	write_sysreg(actlr_el2, 0);
	/* No traps of AArch32 EL1 system registers. */
	write_sysreg(hstr_el2, 0);
	/* Physical IRQs, FIQs and SErrors go to EL2; EL1 is AArch64. */
	write_sysreg(hcr_el2, HCR_RW | HCR_AMO | HCR_IMO | HCR_FMO);
	isb();

	/* Every core runs this (mamoru/smp.h); the guests' HCR is worked out once. */
	if (smp_this_cpu() != 0)
		return;
	guest_hcr = HCR_GUEST_BASE;
	if (ID_AA64PFR0_RAS(pfr0))
		guest_hcr |= HCR_TERR;
	if (ID_AA64MMFR1_LO(read_sysreg(id_aa64mmfr1_el1)))
		guest_hcr |= HCR_TLOR;
}
