/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Field definitions of the AArch64 system registers Mamoru programs (Arm
 * ARM, D23 "AArch64 System Register Descriptions"). The one place these
 * bits are named: no other file defines them.
 */
#ifndef ARCH_SYSREG_BITS_H
#define ARCH_SYSREG_BITS_H

#define BIT64(n) (1ull << (n))

/* HCR_EL2: hypervisor configuration. */
#define HCR_VM BIT64(0)          /* stage-2 translation on */
#define HCR_SWIO BIT64(1)        /* DC ISW acts as DC CISW */
#define HCR_FMO BIT64(3)         /* physical FIQ to EL2, virtual FIQ on */
#define HCR_IMO BIT64(4)         /* physical IRQ to EL2, virtual IRQ on */
#define HCR_AMO BIT64(5)         /* SError to EL2, virtual SError on */
#define HCR_VI BIT64(7)          /* virtual IRQ pending */
#define HCR_TWI BIT64(13)        /* trap WFI */
#define HCR_TWE BIT64(14)        /* trap WFE */
#define HCR_TID3 BIT64(18)       /* trap ID group 3 (ID_AA64*, ID_*, MVFR*) */
#define HCR_TSC BIT64(19)        /* trap SMC */
#define HCR_TACR BIT64(21)       /* trap ACTLR_EL1 */
#define HCR_RW BIT64(31)         /* EL1 is AArch64 */
#define HCR_TLOR BIT64(35)       /* trap LORegion registers (FEAT_LOR) */
#define HCR_TERR BIT64(36)       /* trap RAS error record registers (FEAT_RAS) */
#define HCR_APK BIT64(40)        /* pointer authentication key registers not trapped */
#define HCR_API BIT64(41)        /* pointer authentication instructions not trapped */

/* CPTR_EL2 (E2H = 0): traps of FP/SIMD, SVE, SME, trace and AMU. */
#define CPTR_EL2_RES1 0x32ffull  /* bits 0-7, 9, 12, 13 */
#define CPTR_TZ BIT64(8)         /* trap SVE */
#define CPTR_TFP BIT64(10)       /* trap FP/SIMD */
#define CPTR_TSM BIT64(12)       /* trap SME (RES1 without FEAT_SME) */
#define CPTR_TTA BIT64(20)       /* trap trace registers */
#define CPTR_TAM BIT64(30)       /* trap activity monitors */

/* MDCR_EL2: debug and performance monitor traps. */
#define MDCR_HPMN_MASK 0x1full   /* event counters EL1 may use (all trapped here) */
#define MDCR_TPMCR BIT64(5)      /* trap PMCR_EL0 */
#define MDCR_TPM BIT64(6)        /* trap every PMU register */
#define MDCR_TDA BIT64(9)        /* trap debug registers (DBGB*, DBGW*, MDSCR, DCC) */
#define MDCR_TDOSA BIT64(10)     /* trap OS lock / power-down registers */
#define MDCR_TDRA BIT64(11)      /* trap MDRAR_EL1 */
#define MDCR_TPMS BIT64(14)      /* trap statistical profiling (SPE) controls */
#define MDCR_TTRF BIT64(19)      /* trap TRFCR_EL1 (trace filter) */
/* E2PB (bits 13:12) and E2TB (bits 25:24) left 0: the profiling and trace
 * buffers belong to EL2, so EL1 accesses to them trap. */

/* PMCR_EL0. */
#define PMCR_N(pmcr) (((pmcr) >> 11) & 0x1f)

/* SCTLR_EL1 bits that are RES1 in ARMv8.0; MMU and caches off. */
#define SCTLR_EL1_RES1 0x30d00800ull
/* SCTLR_EL2 (E2H = 0). */
#define SCTLR_EL2_RES1 0x30c50830ull
#define SCTLR_M BIT64(0)             /* stage-1 MMU on */
#define SCTLR_C BIT64(2)             /* data cache */
#define SCTLR_SA BIT64(3)            /* stack alignment check */
#define SCTLR_I BIT64(12)            /* instruction cache */
#define SCTLR_WXN BIT64(19)          /* writable implies never-executable */

/* TCR_EL2 (E2H = 0). */
#define TCR_EL2_T0SZ(va_bits) (64ull - (va_bits))
#define TCR_EL2_IRGN0_WBWA BIT64(8)
#define TCR_EL2_ORGN0_WBWA BIT64(10)
#define TCR_EL2_SH0_INNER (3ull << 12)
#define TCR_EL2_PS(parange) ((uint64_t)(parange) << 16)
#define TCR_EL2_RES1 (BIT64(23) | BIT64(31))
/* MAIR attribute encodings. */
#define MAIR_ATTR_NORMAL_WB 0xffull
#define MAIR_ATTR_DEVICE_nGnRE 0x04ull

/* Generic timer controls. */
#define CNT_CTL_ENABLE (1u << 0)
#define CNT_CTL_IMASK (1u << 1)
#define CNTHCTL_EL1PCTEN (1u << 0)   /* EL1/EL0 may read the physical counter */

/* OSLSR_EL1 as a guest reads it. */
#define OSLSR_OSLM_IMPLEMENTED (1u << 3)   /* OSLM = 0b10: the OS lock exists */
#define OSLSR_OSLK (1u << 1)

/* CPACR_EL1. */
#define CPACR_FPEN_ALL (3ull << 20)  /* FP/SIMD usable at EL1 and EL0 */

/* SPSR_ELx / PSTATE. */
#define PSTATE_MODE_MASK 0xfu
#define PSTATE_EL_MASK 0xcu
#define PSTATE_SP 0x1u               /* SP_ELx rather than SP_EL0 */
#define PSTATE_EL1H 0x5u
#define PSTATE_NRW 0x10u             /* the interrupted state was AArch32 */
#define PSTATE_DAIF (0xfu << 6)

/* ICC_SRE_EL2 (GICv3 system register interface). */
#define ICC_SRE_SRE (1u << 0)        /* system register interface at EL2 */
#define ICC_SRE_ENABLE (1u << 3)     /* EL1 may reach ICC_SRE_EL1 */

/* ISR_EL1. */
#define ISR_A (1ull << 8)            /* physical SError pending */

/* PAR_EL1 after an AT instruction. */
#define PAR_F 1ull                   /* translation aborted */
#define PAR_PA_MASK 0x000ffffffffff000ull

#endif
