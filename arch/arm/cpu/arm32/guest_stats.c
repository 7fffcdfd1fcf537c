/* SPDX-License-Identifier: GPL-2.0-only */
/* The ARMv5 guest's exits by kind for `guest stats` (mamoru/guest_stats.h): the vector
 * each trap took, and the privileged instructions the SVC fast path handled without a
 * full exit (guest_trap.S); below them what the slow path did with them. */
#include <mamoru/guest.h>
#include "guest_trap.h"

unsigned arch_guest_stats(const struct guest *g, struct guest_stat *rows, unsigned max)
{
	const struct arch_guest *a = &g->arch;
	uint64_t other = a->traps[TRAP_RESET] + a->traps[TRAP_UNUSED] + a->traps[TRAP_FIQ];
	const struct guest_stat all[] = {
		{"svc (patched insn)", a->traps[TRAP_SVC], false},
		{"svc fast path", a->fast, false},
		{"undefined insn", a->traps[TRAP_UNDEF], false},
		{"insns emulated", a->emulated, true},
		{"prefetch abort", a->traps[TRAP_PABT], false},
		{"data abort", a->traps[TRAP_DABT], false},
		{"device accesses", a->mmio, true},
		{"irq", a->traps[TRAP_IRQ], false},
		{"other", other, false},
	};
	unsigned n = 0;
	for (; n < max && n < sizeof(all) / sizeof(all[0]); n++)
		rows[n] = all[n];
	return n;
}

uint64_t arch_guest_run_ns(const struct guest *g)
{
	return g->arch.run_ns;
}
