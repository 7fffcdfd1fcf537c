/* SPDX-License-Identifier: GPL-2.0-only */
/* AArch64 system register access and barriers. */
#ifndef ARCH_SYSREG_H
#define ARCH_SYSREG_H

#include <mamoru/types.h>

#define read_sysreg(reg)                                                      \
	({                                                                    \
		uint64_t __v;                                                 \
		__asm__ volatile("mrs %0, " #reg : "=r"(__v));                \
		__v;                                                          \
	})

#define write_sysreg(reg, val)                                                \
	__asm__ volatile("msr " #reg ", %0" : : "r"((uint64_t)(val)) : "memory")

static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void dsb_sy(void) { __asm__ volatile("dsb sy" ::: "memory"); }
static inline void dsb_ish(void) { __asm__ volatile("dsb ish" ::: "memory"); }
static inline void wfi(void) { __asm__ volatile("wfi" ::: "memory"); }
static inline void irq_mask(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }
static inline void irq_unmask(void) { __asm__ volatile("msr daifclr, #2" ::: "memory"); }

static inline unsigned current_el(void)
{
	return (unsigned)((read_sysreg(CurrentEL) >> 2) & 3);
}

#endif
