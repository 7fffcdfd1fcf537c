/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared inside arch/arm/cpu/arm32/. */
#ifndef ARM32_ARM32_H
#define ARM32_ARM32_H

/* "SVC", "IRQ"... for a CPSR mode field. */
const char *arm32_mode_name(unsigned mode);

#endif
