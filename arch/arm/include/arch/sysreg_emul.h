/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * System registers a guest's MRS/MSR traps to EL2 for, and what it gets
 * (pure logic, host-tested; docs/architecture.md "CPU features and
 * PMU/debug"):
 *  - ID registers (HCR_EL2.TID3): the CPU's value with every feature the
 *    guest may not use masked out (SVE, SME, MTE, pointer authentication,
 *    AMU, SPE, trace, PMU, RAS, LOR, nested virtualization, ...);
 *  - debug registers (MDCR_EL2.TDA/TDOSA/TDRA): the OS lock and MDSCR_EL1
 *    are per-vCPU copies that never reach the CPU; breakpoints,
 *    watchpoints and the debug comms channel are RAZ/WI;
 *  - ACTLR_EL1 (HCR_EL2.TACR), ICC_SRE_EL1 (ICC_SRE_EL2.Enable clear):
 *    RAZ/WI;
 *  - anything else that traps (PMU registers under MDCR_EL2.TPM, pointer
 *    authentication keys, MTE, LOR, RAS error records, ...): UNDEFINED in
 *    the guest.
 */
#ifndef ARCH_SYSREG_EMUL_H
#define ARCH_SYSREG_EMUL_H

#include <arch/esr.h>

/* The debug state a guest sees (per vCPU). */
struct vcpu_dbg {
	uint64_t mdscr;          /* MDSCR_EL1 as the guest wrote it */
	bool os_lock;            /* OSLSR_EL1.OSLK: set at reset */
};

enum sysreg_result {
	SYSREG_DONE,             /* emulated: step over the instruction */
	SYSREG_UNDEF,            /* inject an Undefined Instruction exception */
};

/* Reads the CPU's own value of an ID register (encoding SYSREG_ENC()). */
typedef uint64_t (*idreg_reader)(uint32_t enc);

void vcpu_dbg_reset(struct vcpu_dbg *d);
/* True for the encodings HCR_EL2.TID3 traps: op0 3, op1 0, CRn 0, CRm 1-7. */
bool idreg_in_group3(uint32_t enc);
/* What the guest reads from ID register enc whose CPU value is real. */
uint64_t idreg_guest_value(uint32_t enc, uint64_t real);
/* Emulates one trapped MRS (read: *val is set) or MSR (write of *val). */
enum sysreg_result sysreg_emulate(struct vcpu_dbg *d, uint32_t enc, bool read, uint64_t *val,
				  idreg_reader rd);
/* The CPU's ID register enc (an idreg_reader; EL2 only, idregs.c). */
uint64_t idreg_read_cpu(uint32_t enc);

/* Encodings used by the emulation and its tests. */
#define SYSREG_ID_AA64PFR0 SYSREG_ENC(3, 0, 0, 4, 0)
#define SYSREG_ID_AA64PFR1 SYSREG_ENC(3, 0, 0, 4, 1)
#define SYSREG_ID_AA64ZFR0 SYSREG_ENC(3, 0, 0, 4, 4)
#define SYSREG_ID_AA64SMFR0 SYSREG_ENC(3, 0, 0, 4, 5)
#define SYSREG_ID_AA64DFR0 SYSREG_ENC(3, 0, 0, 5, 0)
#define SYSREG_ID_AA64ISAR0 SYSREG_ENC(3, 0, 0, 6, 0)
#define SYSREG_ID_AA64ISAR1 SYSREG_ENC(3, 0, 0, 6, 1)
#define SYSREG_ID_AA64ISAR2 SYSREG_ENC(3, 0, 0, 6, 2)
#define SYSREG_ID_AA64MMFR0 SYSREG_ENC(3, 0, 0, 7, 0)
#define SYSREG_ID_AA64MMFR1 SYSREG_ENC(3, 0, 0, 7, 1)
#define SYSREG_ID_AA64MMFR2 SYSREG_ENC(3, 0, 0, 7, 2)
#define SYSREG_ID_DFR0 SYSREG_ENC(3, 0, 0, 1, 2)
#define SYSREG_ACTLR_EL1 SYSREG_ENC(3, 0, 1, 0, 1)
#define SYSREG_ICC_SRE_EL1 SYSREG_ENC(3, 0, 12, 12, 5)
#define SYSREG_MDSCR_EL1 SYSREG_ENC(2, 0, 0, 2, 2)
#define SYSREG_OSLAR_EL1 SYSREG_ENC(2, 0, 1, 0, 4)
#define SYSREG_OSLSR_EL1 SYSREG_ENC(2, 0, 1, 1, 4)
#define SYSREG_OSDLR_EL1 SYSREG_ENC(2, 0, 1, 3, 4)
#define SYSREG_DBGBVR0_EL1 SYSREG_ENC(2, 0, 0, 0, 4)
#define SYSREG_PMCR_EL0 SYSREG_ENC(3, 3, 9, 12, 0)
#define SYSREG_APIAKEYLO_EL1 SYSREG_ENC(3, 0, 2, 1, 0)

#endif
