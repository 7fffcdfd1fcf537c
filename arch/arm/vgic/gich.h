/* SPDX-License-Identifier: GPL-2.0-only */
/* The GICv2 virtual interface control registers (GICH, IHI 0048B 5.3): what the
 * list-register backend (vgic_lr.c) programs, and its host test fakes. */
#ifndef ARM_VGIC_GICH_H
#define ARM_VGIC_GICH_H

#define GICH_HCR 0x000
#define GICH_VTR 0x004
#define GICH_VMCR 0x008
#define GICH_EISR0 0x020
#define GICH_ELRSR0 0x030
#define GICH_APR 0x0f0
#define GICH_LR(n) (0x100 + 4 * (n))

#define GICH_HCR_EN (1u << 0)
#define GICH_HCR_UIE (1u << 1)
#define LR_EOI (1u << 19)
#define LR_PENDING (1u << 28)
#define LR_STATE(lr) (((lr) >> 28) & 3)
#define LR_GRP1 (1u << 30)

#endif
