/* SPDX-License-Identifier: GPL-2.0-only */
/* Decoding what an ARMv5 abort reports (pure: built for the host too, tests/arch/host). */
#ifndef ARM32_FAULT_DECODE_H
#define ARM32_FAULT_DECODE_H

#include <mamoru/types.h>

/* "permission fault (page)"... for a data or instruction FSR; NULL: a status ARMv5 does
 * not define. */
const char *arm32_fault_status(uint32_t fsr);
/* "read" or "write" for the ARM-state load/store instruction insn, NULL for any other
 * instruction (ARMv5's FSR does not tell reads from writes). */
const char *arm32_access_of(uint32_t insn);
/* "SVC", "IRQ"... for the mode field of a PSR; "invalid mode" otherwise. */
const char *arm32_mode_name(unsigned mode);

#endif
