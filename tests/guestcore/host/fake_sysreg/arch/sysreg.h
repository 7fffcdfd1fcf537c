/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host stand-in for arch/sysreg.h (found first on this folder's include path):
 * a system register is a variable fake_<name> the test defines and reads.
 */
#ifndef ARCH_SYSREG_H
#define ARCH_SYSREG_H

#include <mamoru/types.h>

extern uint64_t fake_hcr_el2;

#define read_sysreg(reg) (fake_##reg)
#define write_sysreg(reg, val) ((void)(fake_##reg = (uint64_t)(val)))

static inline void isb(void) {}

#endif
