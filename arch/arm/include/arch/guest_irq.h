/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one way core and emulated devices raise a guest's interrupts: they
 * never see the guest's interrupt controller model or how the CPU gets the
 * interrupt (list registers, HCR_EL2.VI, ...).
 */
#ifndef ARCH_GUEST_IRQ_H
#define ARCH_GUEST_IRQ_H

#include <mamoru/types.h>

struct guest;

/* Drives the level of the guest's interrupt line irq (the interrupt number
 * the guest's device tree gives, SPIs counted from 32 on a GIC). */
void arch_guest_irq(struct guest *g, unsigned irq, bool level);

/* Passthrough (core/passthrough.c): how many interrupts the guest's controller has
 * (GIC numbers below this); marks virq as forwarded from a host interrupt, so that
 * the guest completing it calls passthrough_eoi() (after every guest reset: a
 * reset forgets it); makes a forwarded interrupt pending (edge, one delivery). */
unsigned arch_guest_irq_count(void);
void arch_guest_irq_forward(struct guest *g, unsigned virq);
void arch_guest_irq_raise(struct guest *g, unsigned virq);

/* What delivers guest interrupts on this host, for the user (irqstat). */
const char *arch_guest_irq_model(void);

#endif
