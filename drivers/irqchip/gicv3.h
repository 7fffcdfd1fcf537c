/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the GICv3 driver found, for the virtual GIC code (arch/arm/vgic/vgic_ich.c):
 * whether it runs the host's interrupts and the maintenance interrupt of the
 * virtual CPU interface (the GIC node's first interrupt, when it lists one).
 */
#ifndef DRIVERS_IRQCHIP_GICV3_H
#define DRIVERS_IRQCHIP_GICV3_H

#include <mamoru/types.h>

/* True once the GICv3 driver has initialised successfully on the boot CPU. */
bool gicv3_ready(void);
/* The maintenance interrupt's host interrupt number, -1 if the node names none. */
int gicv3_maint_irq(void);

#endif
