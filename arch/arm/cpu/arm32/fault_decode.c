/* SPDX-License-Identifier: GPL-2.0-only */
/* Decoding what an ARMv5 abort reports (ARMv5 ARM, the VMSA fault status encodings). */
#include "fault_decode.h"

static const char *const fault_status[16] = {
	[0x1] = "alignment fault", [0x3] = "alignment fault",
	[0x5] = "translation fault (section)", [0x7] = "translation fault (page)",
	[0x9] = "domain fault (section)", [0xb] = "domain fault (page)",
	[0xd] = "permission fault (section)", [0xf] = "permission fault (page)",
	[0x8] = "external abort (section)", [0xa] = "external abort (page)",
	[0xc] = "external abort on translation (level 1)",
	[0xe] = "external abort on translation (level 2)",
};

const char *arm32_fault_status(uint32_t fsr)
{
	return fault_status[fsr & 0xfu];
}

const char *arm32_access_of(uint32_t insn)
{
	uint32_t op = (insn >> 25) & 7u;
	bool load = insn & (1u << 20);
	if ((insn >> 28) == 0xfu)                 /* the unconditional space: no loads/stores here */
		return NULL;
	if (op == 2u || op == 3u) {               /* LDR/STR(B); op 3 with bit 4 set is undefined */
		if (op == 3u && (insn & 0x10u))
			return NULL;
		return load ? "read" : "write";
	}
	if (op == 4u)                             /* LDM/STM */
		return load ? "read" : "write";
	/* Extra loads/stores: bits 7 and 4 set, SH (6:5) not 00 (that is multiply/swap). */
	if (op != 0u || (insn & 0x90u) != 0x90u || !(insn & 0x60u))
		return NULL;
	if (!load)       /* L = 0: STRH (SH = 01), LDRD (10), STRD (11) */
		return (insn & 0x60u) == 0x40u ? "read" : "write";
	return "read";   /* LDRH, LDRSB, LDRSH */
}

static const char *const mode_names[32] = {
	[0x10] = "USR", [0x11] = "FIQ", [0x12] = "IRQ", [0x13] = "SVC",
	[0x17] = "ABT", [0x1b] = "UND", [0x1f] = "SYS",
};

const char *arm32_mode_name(unsigned mode)
{
	const char *n = mode_names[mode & 0x1fu];
	return n ? n : "invalid mode";
}
