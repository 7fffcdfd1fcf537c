/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the GICv2 driver found, for the virtual GIC code: the physical
 * distributor and CPU interface, and (when the device tree lists them) the
 * virtualisation extension's hypervisor control (GICH) and virtual CPU
 * interface (GICV) frames plus the maintenance interrupt.
 */
#ifndef DRIVERS_IRQCHIP_GICV2_H
#define DRIVERS_IRQCHIP_GICV2_H

#include <mamoru/types.h>

struct gicv2_info {
	uintptr_t gicd, gicc;
	uint64_t gicd_size, gicc_size;
	uintptr_t gich, gicv;           /* 0 when the node does not have them */
	uint64_t gich_size, gicv_size;
	unsigned nr_irqs;               /* interrupt IDs 0..nr_irqs-1 exist */
	int maint_irq;                  /* host interrupt number, -1 if none */
};

/* NULL until the GICv2 driver has initialised successfully. */
const struct gicv2_info *gicv2_info(void);

#endif
