/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A vCPU's interrupt state as the vGIC holds it, for `guest regs` (a guest that
 * stopped answering: is an interrupt waiting that nothing delivers?).
 */
#include <arch/vgic.h>
#include <mamoru/console.h>

static void print_bits(struct console *con, unsigned lo, const struct vgic_bits *b)
{
	con_printf(con, "  %2u-%2u: en %08x pend %08x lvl %08x act %08x lr %08x eoi %08x\n", lo,
		   lo + 31, b->enable, b->pending, b->level, b->active, b->in_lr, b->eoi_asked);
}

void vgic_print_vcpu(struct console *con, const struct vgic *v, unsigned cpu)
{
	if (cpu >= v->nr_cpus)
		return;
	const struct vgic_cpu *c = &v->cpu[cpu];
	con_printf(con, "vgic: %s, distributor %s, wakes %s, kick wanted %s\n", vgic_backend_name(),
		   v->enabled ? "on" : "off", vgic_wakes(v, cpu) ? "yes" : "no",
		   vgic_kick_wanted(v, cpu) ? "yes" : "no");
	print_bits(con, 0, &c->bits);
	if (cpu == 0)        /* the SPIs are the guest's, shown once */
		for (unsigned w = 1; w < VGIC_WORDS; w++)
			print_bits(con, 32 * w, &v->spi[w - 1]);
	for (unsigned i = 0; i < 16; i++)
		if (c->sgi_pending[i] || (c->bits.in_lr | c->bits.active) & (1u << i))
			con_printf(con, "  sgi %u: waiting sources %02x, in flight from %u\n", i,
				   c->sgi_pending[i], c->sgi_source[i]);
	con_printf(con, "  emulated cpu interface ctlr %x pmr %02x; saved hcr %08x vmcr %08x\n",
		   c->cpu_ctlr, c->cpu_pmr, c->saved_hcr, c->saved_vmcr);
}
