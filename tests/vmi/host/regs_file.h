/* SPDX-License-Identifier: GPL-2.0-only */
/* The host tools' vCPU register file: lines "<name> <hex value>" (vmi_fake.py writes them);
 * names: ttbr0_el1 ttbr1_el1 tcr_el1 sctlr_el1 vbar_el1 sp_el0 pc image_pa, or the neutral
 * ttbr0 ttbr1 tcr sctlr vbar cur (a 32-bit ARM guest: ttbr0 and sctlr). */
#ifndef TESTS_VMI_HOST_REGS_FILE_H
#define TESTS_VMI_HOST_REGS_FILE_H

#include <mamoru/vmi/vmi.h>

/* Fills r from path (unnamed registers 0); -1 when the file cannot be opened. */
int read_regs_file(const char *path, struct vmi_regs *r);

#endif
