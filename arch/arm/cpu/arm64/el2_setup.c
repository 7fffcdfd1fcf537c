/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * EL2 control registers. Firmware (or QEMU) may leave them in any state the
 * architecture allows, and several reset to UNKNOWN values on real CPUs, so
 * every one that decides what traps to EL2 is set explicitly here.
 */
#include <arch/cpu.h>
#include <arch/sysreg.h>

#define CPTR_EL2_RES1 0x33ffull          /* bits 0-9, 12, 13; TFP (10) and TTA (20) clear */
#define HCR_RW (1ull << 31)
#define HCR_AMO (1ull << 5)
#define HCR_IMO (1ull << 4)
#define HCR_FMO (1ull << 3)

void el2_init_registers(void)
{
	/* FP/SIMD and trace usable at EL2 and below without traps: the
	 * hypervisor saves a guest's FP state, the guest uses its own. */
	write_sysreg(cptr_el2, CPTR_EL2_RES1);
	/* No debug or PMU traps; the guest may use every event counter. */
	write_sysreg(mdcr_el2, (read_sysreg(pmcr_el0) >> 11) & 0x1f);
	/* No traps of AArch32 EL1 system registers. */
	write_sysreg(hstr_el2, 0);
	/* Physical IRQs, FIQs and SErrors go to EL2; EL1 is AArch64. */
	write_sysreg(hcr_el2, HCR_RW | HCR_AMO | HCR_IMO | HCR_FMO);
	isb();
}
