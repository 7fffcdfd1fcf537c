/* SPDX-License-Identifier: GPL-2.0-only */
/* A guest's AArch64 EL1 registers for the commands (arch/guest_regs.h). */
#include <arch/guest_regs.h>
#include <arch/sysreg.h>
#include <arch/vgic.h>
#include <mamoru/console.h>
#include <mamoru/guest.h>
#include <mamoru/vcpu_pin.h>
#include <mamoru/vmi/vmi.h>

/* The vCPU the IDS reads the kernel's registers from: the boot vCPU, unless it is off
 * or its MMU is (then the first vCPU on with its MMU on). Every vCPU of a Linux guest
 * shares the kernel's tables (TTBR1) and vectors. */
static const struct vcpu *vmi_vcpu(const struct guest *g)
{
	for (unsigned i = 0; i < g->nr_vcpus && i < ARCH_GUEST_VCPUS; i++) {
		const struct vcpu *v = &g->arch.vcpus[i];
		if (v->online && (v->el1.sctlr & 1))
			return v;
	}
	return &g->arch.vcpus[0];
}

void arch_guest_vmi_regs(const struct guest *g, struct vmi_regs *out)
{
	const struct vcpu *v = vmi_vcpu(g);
	*out = (struct vmi_regs){
		.ttbr0 = v->el1.ttbr0, .ttbr1 = v->el1.ttbr1, .tcr = v->el1.tcr,
		.sctlr = v->el1.sctlr, .vbar = v->el1.vbar,
		.cur = v->el1.sp_el0,  /* the kernel keeps `current` in SP_EL0 */
		.pc = v->pc,
	};
	if (g->nr_vcpus > 1)
		for (unsigned i = 0; i < g->nr_vcpus && i < VMI_MAX_VCPUS; i++) {
			const struct vcpu *c = &g->arch.vcpus[i];
			out->cpu_vbar[i] = c->el1.vbar;
			if (c->online && (c->el1.sctlr & 1))     /* on, MMU on (SCTLR_EL1.M) */
				out->cpu_on |= 1u << i;
			out->ncpus = i + 1;
		}
}

bool arch_guest_mmu_on(const struct guest *g)
{
	return vmi_vcpu(g)->el1.sctlr & 1;  /* SCTLR_EL1.M */
}

static void print_vcpu(struct console *con, const struct guest *g, const struct vcpu *v)
{
	if (g->nr_vcpus > 1)
		con_printf(con, "%s vcpu %u (%s): pc 0x%016llx  pstate 0x%08llx\n", g->name, v->id,
			   v->online ? "on" : "off", (unsigned long long)v->pc,
			   (unsigned long long)v->pstate);
	else
		con_printf(con, "%s: pc 0x%016llx  pstate 0x%08llx\n", g->name,
			   (unsigned long long)v->pc, (unsigned long long)v->pstate);
	for (int i = 0; i < 31; i++)
		con_printf(con, "x%-2d 0x%016llx%s", i, (unsigned long long)v->x[i], i % 4 == 3 ? "\n" : "  ");
	con_printf(con, "\n");
	const struct vcpu_el1 *e = &v->el1;
	con_printf(con, "sctlr_el1 0x%016llx  tcr_el1   0x%016llx\n", (unsigned long long)e->sctlr,
		   (unsigned long long)e->tcr);
	con_printf(con, "ttbr0_el1 0x%016llx  ttbr1_el1 0x%016llx\n", (unsigned long long)e->ttbr0,
		   (unsigned long long)e->ttbr1);
	con_printf(con, "vbar_el1  0x%016llx  sp_el1    0x%016llx\n", (unsigned long long)e->vbar,
		   (unsigned long long)e->sp_el1);
	con_printf(con, "sp_el0    0x%016llx  elr_el1   0x%016llx\n", (unsigned long long)e->sp_el0,
		   (unsigned long long)e->elr);
	con_printf(con, "esr_el1   0x%016llx  far_el1   0x%016llx\n", (unsigned long long)e->esr,
		   (unsigned long long)e->far);
	con_printf(con, "exits: sync %llu irq %llu mmio %llu hvc %llu wfi %llu\n",
		   (unsigned long long)v->exits[EXIT_SYNC], (unsigned long long)v->exits[EXIT_IRQ],
		   (unsigned long long)v->mmio_exits, (unsigned long long)v->hvc_exits,
		   (unsigned long long)v->wfi_exits);
	/* Why it might not run: its timer (as last saved), its core's kick, its interrupts. */
	unsigned core = vcpu_core(g, v->id);
	bool live = vcpus_of_guest_running(g) & (1u << v->id);
	con_printf(con, "core %u (kick %s)%s%s  cntv_ctl %llx cval 0x%llx now 0x%llx\n", core,
		   vcpu_core_kicked(core) ? "on its way" : "none", v->fresh ? " fresh" : "",
		   live ? " (its core did not stop: this vCPU's values may be stale)" : "",
		   (unsigned long long)e->cntv_ctl, (unsigned long long)e->cntv_cval,
		   (unsigned long long)read_sysreg(cntvct_el0));
	vgic_print_vcpu(con, &g->arch.vgic, v->id);
}

void arch_guest_print_regs(struct console *con, const struct guest *g)
{
	for (unsigned i = 0; i < g->nr_vcpus && i < ARCH_GUEST_VCPUS; i++) {
		if (i)
			con_printf(con, "\n");
		print_vcpu(con, g, &g->arch.vcpus[i]);
	}
}
