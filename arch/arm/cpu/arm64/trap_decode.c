/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Decoding an exception syndrome once, and the register side of an
 * emulated load/store. Pure functions: the host unit tests build this file
 * as it is (tests/arch/host/trap_check.c).
 */
#include <arch/esr.h>

void esr_decode(uint64_t esr, struct esr_info *out)
{
	uint32_t iss = (uint32_t)esr & ESR_ISS_MASK;
	*out = (struct esr_info){
		.raw_iss = iss,
		.ec = (uint8_t)((esr >> ESR_EC_SHIFT) & 0x3f),
		.il = (esr & ESR_IL) != 0,
	};
	switch (out->ec) {
	case EC_DABT_LOW: case EC_DABT_CUR:
		out->isv = (iss & ESR_ISV) != 0;
		if (out->isv) {
			out->sas = (uint8_t)((iss >> 22) & 3);
			out->sse = (iss & ESR_SSE) != 0;
			out->srt = (uint8_t)((iss >> 16) & 31);
			out->sf = (iss & ESR_SF) != 0;
			out->ar = (iss & ESR_AR) != 0;
		}
		out->wnr = (iss & ESR_WNR) != 0;
		/* the rest is shared with instruction aborts */
		__attribute__((fallthrough));
	case EC_IABT_LOW: case EC_IABT_CUR:
		out->fnv = (iss & ESR_FNV) != 0;
		out->cm = (iss & ESR_CM) != 0;
		out->s1ptw = (iss & ESR_S1PTW) != 0;
		out->dfsc = (uint8_t)(iss & 0x3f);
		break;
	case EC_SYSREG:
		out->sysreg_read = (iss & ESR_SYSREG_READ) != 0;
		out->sysreg_rt = (uint8_t)ESR_SYSREG_RT(iss);
		out->sysreg_enc = iss & SYSREG_ENC_MASK;
		break;
	default:
		break;
	}
}

const char *esr_class_name(unsigned ec)
{
	switch (ec) {
	case EC_UNKNOWN: return "Unknown reason";
	case EC_WFX: return "WFI/WFE trapped";
	case EC_FP_ASIMD: return "SIMD/FP access trapped";
	case EC_PAC: return "Pointer authentication trapped";
	case EC_ILLEGAL: return "Illegal execution state";
	case EC_SVC64: return "SVC from AArch64";
	case EC_HVC64: return "HVC from AArch64";
	case EC_SMC64: return "SMC from AArch64";
	case EC_SYSREG: return "MSR/MRS/system instruction trapped";
	case EC_SVE: return "SVE access trapped";
	case EC_SME: return "SME access trapped";
	case EC_IABT_LOW: return "Instruction Abort from lower EL";
	case EC_IABT_CUR: return "Instruction Abort (same EL)";
	case EC_PC_ALIGN: return "PC alignment fault";
	case EC_DABT_LOW: return "Data Abort from lower EL";
	case EC_DABT_CUR: return "Data Abort (same EL)";
	case EC_SP_ALIGN: return "SP alignment fault";
	case EC_SERROR: return "SError interrupt";
	case 0x30: case 0x31: return "Breakpoint";
	case 0x32: case 0x33: return "Software step";
	case 0x34: case 0x35: return "Watchpoint";
	case EC_BRK64: return "BRK instruction";
	default: return "Reserved or unhandled exception class";
	}
}

static uint64_t size_mask(unsigned sas)
{
	return sas >= 3 ? ~0ull : (1ull << (8u << sas)) - 1;
}

uint64_t mmio_store_value(const uint64_t regs[31], const struct esr_info *e)
{
	if (e->srt == 31)
		return 0;
	return regs[e->srt] & size_mask(e->sas);
}

void mmio_load_apply(uint64_t regs[31], const struct esr_info *e, uint64_t val)
{
	uint64_t mask = size_mask(e->sas);
	val &= mask;
	if (e->sse && e->sas < 3 && (val >> ((8u << e->sas) - 1)) & 1)
		val |= ~mask;
	if (!e->sf)
		val &= 0xffffffffull;
	if (e->srt != 31)
		regs[e->srt] = val;
}
