/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The exception syndrome (ESR_ELx): exception classes, the fields of the
 * instruction-specific syndrome Mamoru uses, and their decoding into a
 * struct (esr_decode, a pure function: trap_decode.c).
 */
#ifndef ARCH_ESR_H
#define ARCH_ESR_H

#include <mamoru/types.h>

/* Exception classes (ESR[31:26]). */
#define EC_UNKNOWN 0x00
#define EC_WFX 0x01
#define EC_FP_ASIMD 0x07
#define EC_PAC 0x09              /* pointer authentication trapped by HCR_EL2.API */
#define EC_ILLEGAL 0x0e
#define EC_SVC64 0x15
#define EC_HVC64 0x16
#define EC_SMC64 0x17
#define EC_SYSREG 0x18           /* MSR, MRS or system instruction */
#define EC_SVE 0x19
#define EC_SME 0x1d
#define EC_IABT_LOW 0x20
#define EC_IABT_CUR 0x21
#define EC_PC_ALIGN 0x22
#define EC_DABT_LOW 0x24
#define EC_DABT_CUR 0x25
#define EC_SP_ALIGN 0x26
#define EC_SERROR 0x2f
#define EC_BRK64 0x3c
#define EC_COUNT 64

#define ESR_EC_SHIFT 26
#define ESR_IL (1u << 25)        /* 32-bit instruction (else 16-bit) */
#define ESR_ISS_MASK 0x1ffffffu

/* Data and instruction abort ISS. */
#define ESR_ISV (1u << 24)       /* bits 23:14 hold a valid syndrome */
#define ESR_SSE (1u << 21)       /* sign-extending load */
#define ESR_SF (1u << 15)        /* 64-bit register (else W) */
#define ESR_AR (1u << 14)        /* acquire/release */
#define ESR_FNV (1u << 10)       /* FAR not valid */
#define ESR_CM (1u << 8)         /* cache maintenance */
#define ESR_S1PTW (1u << 7)      /* fault on a stage-1 table walk */
#define ESR_WNR (1u << 6)        /* write */
#define FSC_TYPE_MASK 0x3c       /* fault status without the level */
#define FSC_ADDR_SIZE 0x00
#define FSC_TRANSLATION 0x04
#define FSC_ACCESS 0x08
#define FSC_PERMISSION 0x0c
#define FSC_EXT_ABORT 0x10

/* WFx ISS[1:0]. */
#define ESR_WFX_TI_MASK 3u
#define ESR_WFX_WFI 0u

/* MSR/MRS ISS: the register's encoding keeps its place in the ISS, so
 * sysreg_enc() of a trapped access compares equal to SYSREG_ENC(). */
#define ESR_SYSREG_READ 1u                 /* MRS (else MSR) */
#define ESR_SYSREG_RT(iss) (((iss) >> 5) & 31u)
#define SYSREG_ENC(op0, op1, crn, crm, op2)                                          \
	(((uint32_t)(op0) << 20) | ((uint32_t)(op2) << 17) | ((uint32_t)(op1) << 14) |  \
	 ((uint32_t)(crn) << 10) | ((uint32_t)(crm) << 1))
#define SYSREG_ENC_MASK 0x3ffc1eu
#define SYSREG_OP0(enc) (((enc) >> 20) & 3u)
#define SYSREG_OP2(enc) (((enc) >> 17) & 7u)
#define SYSREG_OP1(enc) (((enc) >> 14) & 7u)
#define SYSREG_CRN(enc) (((enc) >> 10) & 15u)
#define SYSREG_CRM(enc) (((enc) >> 1) & 15u)

/* One syndrome, decoded. The data-abort fields are meaningful only for
 * EC_DABT_LOW/CUR, and sas..ar only when isv. */
struct esr_info {
	uint32_t raw_iss;
	uint8_t ec;
	bool il;                 /* 32-bit instruction */
	/* data/instruction abort */
	bool isv, sse, sf, ar, wnr, fnv, cm, s1ptw;
	uint8_t sas;             /* log2 of the access size */
	uint8_t srt;             /* register number, 31 = XZR */
	uint8_t dfsc;            /* fault status code (ISS[5:0]) */
	/* MSR/MRS */
	bool sysreg_read;
	uint8_t sysreg_rt;
	uint32_t sysreg_enc;
};

void esr_decode(uint64_t esr, struct esr_info *out);
/* Bytes to add to the PC to step over the trapped instruction. */
static inline unsigned esr_insn_len(const struct esr_info *e)
{
	return e->il ? 4 : 2;
}
/* A short name of the exception class, for reports. */
const char *esr_class_name(unsigned ec);

/*
 * The register side of an emulated load or store (pure, host-tested).
 * mmio_store_value: the value a store of 1 << sas bytes from register srt
 * writes (register 31 is XZR: zero). mmio_load_apply: puts the value a
 * device returned for a load into regs[srt] as the instruction would:
 * truncated to the access size, sign-extended when sse (to 64 bits when
 * sf, else to 32), a W destination zero-extended; a load into XZR is
 * discarded.
 */
uint64_t mmio_store_value(const uint64_t regs[31], const struct esr_info *e);
void mmio_load_apply(uint64_t regs[31], const struct esr_info *e, uint64_t val);

#endif
