/* SPDX-License-Identifier: GPL-2.0-only */
/* The arm64 guest's exits by kind for `guest stats` (mamoru/guest_stats.h), from its
 * vCPUs' counters (vcpu_run.c, trap.c), added up. */
#include <arch/cpu.h>
#include <mamoru/guest.h>

struct counts {
	uint64_t exits[4], mmio_exits, hvc_exits, wfi_exits, sysreg_exits, run_ticks;
};

/* The counters of all of g's vCPUs in one. */
static struct counts sum(const struct guest *g)
{
	struct counts s = {0};
	for (unsigned i = 0; i < g->nr_vcpus && i < ARCH_GUEST_VCPUS; i++) {
		const struct vcpu *v = &g->arch.vcpus[i];
		for (unsigned k = 0; k < 4; k++)
			s.exits[k] += v->exits[k];
		s.mmio_exits += v->mmio_exits;
		s.hvc_exits += v->hvc_exits;
		s.wfi_exits += v->wfi_exits;
		s.sysreg_exits += v->sysreg_exits;
		s.run_ticks += v->run_ticks;
	}
	return s;
}

unsigned arch_guest_stats(const struct guest *g, struct guest_stat *rows, unsigned max)
{
	const struct counts all_vcpus = sum(g), *v = &all_vcpus;
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
	/* vCPUs take turns on one CPU: their times add up to the CPU's. */
	uint64_t t = sum(g).run_ticks, f = timer_freq();
	return f ? t / f * 1000000000ull + t % f * 1000000000ull / f : 0;
}
