/* SPDX-License-Identifier: GPL-2.0-only */
/* ARM926EJ-S system control coprocessor (CP15) and CPSR bits (ARMv5 ARM, ARM926EJ-S TRM). */
#ifndef ARM32_CP15_H
#define ARM32_CP15_H

#define MODE_USR 0x10u
#define MODE_FIQ 0x11u
#define MODE_IRQ 0x12u
#define MODE_SVC 0x13u
#define MODE_ABT 0x17u
#define MODE_UND 0x1bu
#define MODE_SYS 0x1fu
#define MODE_MASK 0x1fu
#define PSR_F 0x40u
#define PSR_I 0x80u

/* Control register (c1). */
#define SCTLR_M (1u << 0)    /* MMU */
#define SCTLR_A (1u << 1)    /* alignment checking */
#define SCTLR_C (1u << 2)    /* data cache */
#define SCTLR_S (1u << 8)    /* system protection: AP 00 = privileged read-only */
#define SCTLR_R (1u << 9)    /* ROM protection */
#define SCTLR_I (1u << 12)   /* instruction cache */
#define SCTLR_V (1u << 13)   /* high exception vectors at 0xffff0000 */

/* Fault status register (c5): the status in bits [3:0] (fault_decode.c), the domain in [7:4]. */
#define FSR_DOMAIN_SHIFT 4

#ifndef __ASSEMBLY__
#include <mamoru/types.h>

#define CP15_READ(name, crn, op1, crm, op2)                                            \
	static inline uint32_t name(void)                                              \
	{                                                                              \
		uint32_t v;                                                            \
		__asm__ volatile("mrc p15, " #op1 ", %0, " #crn ", " #crm ", " #op2     \
				 : "=r"(v));                                           \
		return v;                                                              \
	}
#define CP15_WRITE(name, crn, op1, crm, op2)                                           \
	static inline void name(uint32_t v)                                            \
	{                                                                              \
		__asm__ volatile("mcr p15, " #op1 ", %0, " #crn ", " #crm ", " #op2     \
				 : : "r"(v) : "memory");                               \
	}

CP15_READ(read_midr, c0, 0, c0, 0)
CP15_READ(read_sctlr, c1, 0, c0, 0)
CP15_WRITE(write_sctlr, c1, 0, c0, 0)
CP15_WRITE(write_ttbr0, c2, 0, c0, 0)
CP15_WRITE(write_dacr, c3, 0, c0, 0)
CP15_READ(read_dfsr, c5, 0, c0, 0)
CP15_READ(read_ifsr, c5, 0, c0, 1)
CP15_READ(read_far, c6, 0, c0, 0)
CP15_WRITE(cp15_wait_for_interrupt, c7, 0, c0, 4)
CP15_WRITE(cp15_icache_inval_all, c7, 0, c5, 0)
CP15_WRITE(cp15_idcache_inval_all, c7, 0, c7, 0)
CP15_WRITE(cp15_dcache_clean_inval_mva, c7, 0, c14, 1)
CP15_WRITE(cp15_drain_write_buffer, c7, 0, c10, 4)
CP15_WRITE(cp15_tlb_inval_all, c8, 0, c7, 0)

static inline uint32_t read_cpsr(void)
{
	uint32_t v;
	__asm__ volatile("mrs %0, cpsr" : "=r"(v));
	return v;
}

static inline void write_cpsr_c(uint32_t v)
{
	__asm__ volatile("msr cpsr_c, %0" : : "r"(v) : "memory", "cc");
}
#endif

#endif
