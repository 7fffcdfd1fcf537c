/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ICH_*_EL2 and ICC_SRE_EL1/EL2 on the CPU (ich.h). System register names need
 * constants, hence the switches; encodings (op0 3, op1 4, CRn 12) rather than
 * names, which older assemblers lack.
 */
#include <arch/sysreg.h>

#include "ich.h"

/* One level of indirection so the names expand before read_sysreg() stringifies. */
#define RD(r) read_sysreg(r)
#define WR(r, v) write_sysreg(r, v)

uint64_t ich_read(enum ich_reg r, unsigned n)
{
	switch (r) {
	case ICH_HCR: return RD(s3_4_c12_c11_0);
	case ICH_VTR: return RD(s3_4_c12_c11_1);
	case ICH_MISR: return RD(s3_4_c12_c11_2);
	case ICH_EISR: return RD(s3_4_c12_c11_3);
	case ICH_ELRSR: return RD(s3_4_c12_c11_5);
	case ICH_VMCR: return RD(s3_4_c12_c11_7);
	case ICH_SRE_EL2: return RD(s3_4_c12_c9_5);
	case ICH_SRE_EL1: return RD(s3_0_c12_c12_5);
	case ICH_AP0R:
		switch (n) {
		case 0: return RD(s3_4_c12_c8_0);
		case 1: return RD(s3_4_c12_c8_1);
		case 2: return RD(s3_4_c12_c8_2);
		case 3: return RD(s3_4_c12_c8_3);
		default: return 0;
		}
	case ICH_AP1R:
		switch (n) {
		case 0: return RD(s3_4_c12_c9_0);
		case 1: return RD(s3_4_c12_c9_1);
		case 2: return RD(s3_4_c12_c9_2);
		case 3: return RD(s3_4_c12_c9_3);
		default: return 0;
		}
	case ICH_LR:
		switch (n) {
		case 0: return RD(s3_4_c12_c12_0);
		case 1: return RD(s3_4_c12_c12_1);
		case 2: return RD(s3_4_c12_c12_2);
		case 3: return RD(s3_4_c12_c12_3);
		case 4: return RD(s3_4_c12_c12_4);
		case 5: return RD(s3_4_c12_c12_5);
		case 6: return RD(s3_4_c12_c12_6);
		case 7: return RD(s3_4_c12_c12_7);
		case 8: return RD(s3_4_c12_c13_0);
		case 9: return RD(s3_4_c12_c13_1);
		case 10: return RD(s3_4_c12_c13_2);
		case 11: return RD(s3_4_c12_c13_3);
		case 12: return RD(s3_4_c12_c13_4);
		case 13: return RD(s3_4_c12_c13_5);
		case 14: return RD(s3_4_c12_c13_6);
		case 15: return RD(s3_4_c12_c13_7);
		default: return 0;
		}
	default:
		return 0;
	}
}

void ich_write(enum ich_reg r, unsigned n, uint64_t val)
{
	switch (r) {
	case ICH_HCR: WR(s3_4_c12_c11_0, val); break;
	case ICH_VMCR: WR(s3_4_c12_c11_7, val); break;
	case ICH_SRE_EL2: WR(s3_4_c12_c9_5, val); isb(); break;
	case ICH_SRE_EL1: WR(s3_0_c12_c12_5, val); isb(); break;
	case ICH_AP0R:
		switch (n) {
		case 0: WR(s3_4_c12_c8_0, val); break;
		case 1: WR(s3_4_c12_c8_1, val); break;
		case 2: WR(s3_4_c12_c8_2, val); break;
		case 3: WR(s3_4_c12_c8_3, val); break;
		default: break;
		}
		break;
	case ICH_AP1R:
		switch (n) {
		case 0: WR(s3_4_c12_c9_0, val); break;
		case 1: WR(s3_4_c12_c9_1, val); break;
		case 2: WR(s3_4_c12_c9_2, val); break;
		case 3: WR(s3_4_c12_c9_3, val); break;
		default: break;
		}
		break;
	case ICH_LR:
		switch (n) {
		case 0: WR(s3_4_c12_c12_0, val); break;
		case 1: WR(s3_4_c12_c12_1, val); break;
		case 2: WR(s3_4_c12_c12_2, val); break;
		case 3: WR(s3_4_c12_c12_3, val); break;
		case 4: WR(s3_4_c12_c12_4, val); break;
		case 5: WR(s3_4_c12_c12_5, val); break;
		case 6: WR(s3_4_c12_c12_6, val); break;
		case 7: WR(s3_4_c12_c12_7, val); break;
		case 8: WR(s3_4_c12_c13_0, val); break;
		case 9: WR(s3_4_c12_c13_1, val); break;
		case 10: WR(s3_4_c12_c13_2, val); break;
		case 11: WR(s3_4_c12_c13_3, val); break;
		case 12: WR(s3_4_c12_c13_4, val); break;
		case 13: WR(s3_4_c12_c13_5, val); break;
		case 14: WR(s3_4_c12_c13_6, val); break;
		case 15: WR(s3_4_c12_c13_7, val); break;
		default: break;
		}
		break;
	default:
		break;    /* read-only */
	}
}

bool ich_cpu_has_gicv3(void)
{
	return ((read_sysreg(id_aa64pfr0_el1) >> 24) & 0xf) != 0;
}
