/* SPDX-License-Identifier: GPL-2.0-only */
/* The arm64 guest's exits by kind for `guest stats` (mamoru/guest_stats.h), from the
 * vCPU's counters (vcpu_run.c, trap.c). */
#include <arch/cpu.h>
#include <mamoru/guest.h>

unsigned arch_guest_stats(const struct guest *g, struct guest_stat *rows, unsigned max)
{
	const struct vcpu *v = &g->arch.vcpu;
	uint64_t sync = v->exits[EXIT_SYNC];
	uint64_t known = v->mmio_exits + v->sysreg_exits + v->hvc_exits + v->wfi_exits;
	const struct guest_stat all[] = {
		{"device (mmio)", v->mmio_exits, false},
		{"system register", v->sysreg_exits, false},
		{"hvc/smc (psci)", v->hvc_exits, false},
		{"wfi/wfe", v->wfi_exits, false},
		/* faults refused or injected, write-protected pages, undefined insns */
		{"other sync", sync > known ? sync - known : 0, false},
		{"irq", v->exits[EXIT_IRQ] + v->exits[EXIT_FIQ], false},
		{"serror", v->exits[EXIT_SERROR], false},
	};
	unsigned n = 0;
	for (; n < max && n < sizeof(all) / sizeof(all[0]); n++)
		rows[n] = all[n];
	return n;
}

uint64_t arch_guest_run_ns(const struct guest *g)
{
	uint64_t t = g->arch.vcpu.run_ticks, f = timer_freq();
	return f ? t / f * 1000000000ull + t % f * 1000000000ull / f : 0;
}
