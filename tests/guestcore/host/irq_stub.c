/* SPDX-License-Identifier: GPL-2.0-only */
/* Host stand-in for the arch's guest interrupt hook: records the line levels. */
#include <arch/guest_irq.h>

#include "stub.h"

bool stub_irq_level[STUB_IRQS];
unsigned stub_irq_calls;

void arch_guest_irq(struct guest *g, unsigned irq, bool level)
{
	(void)g;
	stub_irq_calls++;
	if (irq < STUB_IRQS)
		stub_irq_level[irq] = level;
}
