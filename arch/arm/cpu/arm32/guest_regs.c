/* SPDX-License-Identifier: GPL-2.0-only */
/* A guest's registers for the commands (arch/guest_regs.h), from the v5 vCPU. */
#include <arch/guest_regs.h>
#include <mamoru/console.h>
#include <mamoru/guest.h>
#include <mamoru/vmi/vmi.h>
#include "guest_trap.h"

#define THREAD_SIZE 8192u    /* ARM Linux 6.1: the SVC stack and thread_info share 8 KiB */

void arch_guest_vmi_regs(const struct guest *g, struct vmi_regs *out)
{
	const struct v5_vcpu *v = &g->arch.vcpu;
	*out = (struct vmi_regs){
		.ttbr0 = v->cp15.ttbr,
		.sctlr = v->cp15.sctlr,
		.vbar = v5_vector_base(v),
		/* thread_info at the bottom of the kernel stack (SVC mode's sp) */
		.cur = v5_reg_in_mode(v, V5_MODE_SVC, 13) & ~(THREAD_SIZE - 1),
		.pc = v->r[15],
	};
}

bool arch_guest_mmu_on(const struct guest *g)
{
	return g->arch.vcpu.cp15.sctlr & V5_SCTLR_M;
}

static const char *mode_name(uint32_t mode)
{
	switch (mode) {
	case V5_MODE_USR: return "usr";
	case V5_MODE_FIQ: return "fiq";
	case V5_MODE_IRQ: return "irq";
	case V5_MODE_SVC: return "svc";
	case V5_MODE_ABT: return "abt";
	case V5_MODE_UND: return "und";
	case V5_MODE_SYS: return "sys";
	default: return "?";
	}
}

void arch_guest_print_regs(struct console *con, const struct guest *g)
{
	const struct arch_guest *a = &g->arch;
	const struct v5_vcpu *v = &a->vcpu;
	con_printf(con, "%s: pc 0x%08x  cpsr 0x%08x (virtual %s mode)\n", g->name, v->r[15], v->cpsr,
		   mode_name(v->cpsr & V5_PSR_MODE));
	for (int i = 0; i < 15; i++)
		con_printf(con, "r%-2d 0x%08x%s", i, v->r[i], i % 4 == 3 ? "\n" : "  ");
	con_printf(con, "\n");
	con_printf(con, "c1 0x%08x  ttbr 0x%08x  dacr 0x%08x  dfsr 0x%08x  far 0x%08x\n",
		   v->cp15.sctlr, v->cp15.ttbr, v->cp15.dacr, v->cp15.dfsr, v->cp15.far);
	con_printf(con, "traps: svc %llu (+%llu fast) undef %llu pabt %llu dabt %llu irq %llu; "
		   "emulated %llu, mmio %llu\n", (unsigned long long)a->traps[TRAP_SVC],
		   (unsigned long long)a->fast,
		   (unsigned long long)a->traps[TRAP_UNDEF], (unsigned long long)a->traps[TRAP_PABT],
		   (unsigned long long)a->traps[TRAP_DABT], (unsigned long long)a->traps[TRAP_IRQ],
		   (unsigned long long)a->emulated, (unsigned long long)a->mmio);
	if (a->mmu)
		con_printf(con, "shadow: faults %llu fills %llu guest faults %llu mmio %llu emulate %llu\n",
			   (unsigned long long)a->mmu->st.faults, (unsigned long long)a->mmu->st.fills,
			   (unsigned long long)a->mmu->st.guest_faults,
			   (unsigned long long)a->mmu->st.mmio, (unsigned long long)a->mmu->st.emulate);
}
