/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The lock over what vCPUs share (mamoru/vcpu_pin.h). One lock, not one per
 * device: exits are short, and under QEMU's single TCG thread the cores never
 * run at once anyway. It nests on one CPU because an exit's handling takes a
 * host interrupt (irq_handle) whose handler takes it again.
 */
#include <arch/cpu.h>
#include <mamoru/smp.h>
#include <mamoru/vcpu_pin.h>

#define NOBODY 0xffffffffu

static spinlock_t lock;
static uint32_t owner = NOBODY;     /* the CPU holding it; read by others (single-copy atomic) */
static unsigned depth;              /* written by the owner only */

bool vcpu_lock_held(void)
{
	return *(volatile uint32_t *)&owner == smp_this_cpu();
}

unsigned long vcpu_lock(void)
{
	unsigned long flags = cpu_irq_save();
	uint32_t me = smp_this_cpu();
	if (*(volatile uint32_t *)&owner == me) {
		depth++;
		return flags;
	}
	(void)spin_lock_irqsave(&lock);     /* interrupts are masked already */
	*(volatile uint32_t *)&owner = me;
	depth = 1;
	return flags;
}

void vcpu_unlock(unsigned long flags)
{
	if (depth == 1) {
		vcpu_kick_waiting();
		depth = 0;
		*(volatile uint32_t *)&owner = NOBODY;
		spin_unlock_irqrestore(&lock, flags);
		return;
	}
	depth--;
	cpu_irq_restore(flags);
}
