/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reads the CPU's ID registers by encoding, for the emulation of the
 * guest's trapped reads (sysreg_emul.c masks them). The generic
 * s3_0_c0_c<m>_<n> names work with any assembler, whatever features it
 * knows by name. Encodings op0 3, op1 0, CRn 0, CRm 1-7 are allocated or
 * read as zero, so reading any of them at EL2 is safe.
 */
#include <arch/sysreg.h>
#include <arch/sysreg_emul.h>

#define IDREG_CASE(crm, op2)                                                          \
	case SYSREG_ENC(3, 0, 0, crm, op2):                                            \
		return read_sysreg(s3_0_c0_c##crm##_##op2)
#define IDREG_ROW(crm)                                                                \
	IDREG_CASE(crm, 0); IDREG_CASE(crm, 1); IDREG_CASE(crm, 2); IDREG_CASE(crm, 3); \
	IDREG_CASE(crm, 4); IDREG_CASE(crm, 5); IDREG_CASE(crm, 6); IDREG_CASE(crm, 7)

uint64_t idreg_read_cpu(uint32_t enc)
{
	switch (enc) {
	IDREG_ROW(1);
	IDREG_ROW(2);
	IDREG_ROW(3);
	IDREG_ROW(4);
	IDREG_ROW(5);
	IDREG_ROW(6);
	IDREG_ROW(7);
	default:
		return 0;
	}
}
