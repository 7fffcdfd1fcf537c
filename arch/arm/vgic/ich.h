/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The GICv3 virtual CPU interface control registers (ICH_*_EL2, IHI 0069
 * 12.5) as the ICH backend (vgic_ich.c) uses them: read and written through
 * ich_read/ich_write (ich_sysreg.c on the CPU; the host tests keep them in an
 * array), and the list register layout.
 */
#ifndef ARM_VGIC_ICH_H
#define ARM_VGIC_ICH_H

#include <mamoru/types.h>

enum ich_reg {
	ICH_HCR,        /* ICH_HCR_EL2 */
	ICH_VTR,        /* ICH_VTR_EL2 (read-only) */
	ICH_VMCR,       /* ICH_VMCR_EL2 */
	ICH_MISR,       /* ICH_MISR_EL2 (read-only) */
	ICH_EISR,       /* ICH_EISR_EL2 (read-only) */
	ICH_ELRSR,      /* ICH_ELRSR_EL2 (read-only) */
	ICH_AP0R,       /* ICH_AP0R<n>_EL2, n 0-3 */
	ICH_AP1R,       /* ICH_AP1R<n>_EL2, n 0-3 */
	ICH_LR,         /* ICH_LR<n>_EL2, n 0-15 */
	ICH_SRE_EL2,    /* ICC_SRE_EL2 */
	ICH_SRE_EL1,    /* ICC_SRE_EL1 (the guests' copy: the hypervisor has no EL1) */
};

uint64_t ich_read(enum ich_reg r, unsigned n);
void ich_write(enum ich_reg r, unsigned n, uint64_t val);
/* The CPU has the GICv3 system-register CPU interface (ID_AA64PFR0_EL1.GIC). */
bool ich_cpu_has_gicv3(void);

#define ICH_HCR_EN (1u << 0)
#define ICH_HCR_UIE (1u << 1)           /* maintenance when at most one LR is valid */

#define ICH_VTR_LISTREGS(vtr) (((unsigned)(vtr) & 0x1f) + 1)
#define ICH_VTR_PREBITS(vtr) ((((unsigned)(vtr) >> 26) & 7) + 1)

/* ICH_LR<n>_EL2 */
#define ICH_LR_EOI (1ull << 41)         /* HW = 0: maintenance when the guest deactivates it */
#define ICH_LR_PRIO_SHIFT 48
#define ICH_LR_GROUP1 (1ull << 60)
#define ICH_LR_HW (1ull << 61)
#define ICH_LR_STATE_SHIFT 62
#define ICH_LR_PENDING 1u
#define ICH_LR_ACTIVE 2u

static inline uint64_t ich_lr_make(unsigned intid, uint8_t prio, bool group1, bool eoi)
{
	return (uint64_t)intid | (eoi ? ICH_LR_EOI : 0) | (uint64_t)prio << ICH_LR_PRIO_SHIFT |
	       (group1 ? ICH_LR_GROUP1 : 0) | (uint64_t)ICH_LR_PENDING << ICH_LR_STATE_SHIFT;
}

static inline unsigned ich_lr_intid(uint64_t lr)
{
	return (unsigned)(lr & 0xffffffffu);
}

static inline unsigned ich_lr_state(uint64_t lr)
{
	return (unsigned)(lr >> ICH_LR_STATE_SHIFT);
}

/* The number of ICH_AP0R/AP1R registers: 1, 2 or 4 for 5, 6 or 7 preemption bits. */
static inline unsigned ich_apr_count(uint64_t vtr)
{
	unsigned pre = ICH_VTR_PREBITS(vtr);
	return pre >= 7 ? 4 : pre == 6 ? 2 : 1;
}

#endif
