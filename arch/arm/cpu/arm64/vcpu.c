/* SPDX-License-Identifier: GPL-2.0-only */
/* vCPU boot state and EL1 system-register context. */
#include <arch/sysreg.h>
#include <arch/vcpu.h>
#include <mamoru/libc.h>

void vcpu_reset(struct vcpu *v, uint64_t entry, uint64_t dtb)
{
	memset(v->x, 0, sizeof(v->x));
	memset(&v->el1, 0, sizeof(v->el1));
	memset(&v->fp, 0, sizeof(v->fp));
	v->x[0] = dtb;                       /* arm64 boot protocol: x0 = DTB, x1-x3 = 0 */
	v->pc = entry;
	v->pstate = PSTATE_EL1H | PSTATE_DAIF;
	v->el1.sctlr = SCTLR_EL1_RES1;
	v->el1.cpacr = CPACR_FPEN_ALL;
	vcpu_dbg_reset(&v->dbg);
	v->el1_live = false;                 /* the saved (reset) copy is the truth */
}

void vcpu_save_el1(struct vcpu *v)
{
	if (!v->el1_live)
		return;
	struct vcpu_el1 *e = &v->el1;
	e->sctlr = read_sysreg(sctlr_el1);
	e->ttbr0 = read_sysreg(ttbr0_el1);
	e->ttbr1 = read_sysreg(ttbr1_el1);
	e->tcr = read_sysreg(tcr_el1);
	e->mair = read_sysreg(mair_el1);
	e->amair = read_sysreg(amair_el1);
	e->vbar = read_sysreg(vbar_el1);
	e->contextidr = read_sysreg(contextidr_el1);
	e->tpidr_el0 = read_sysreg(tpidr_el0);
	e->tpidrro_el0 = read_sysreg(tpidrro_el0);
	e->tpidr_el1 = read_sysreg(tpidr_el1);
	e->sp_el0 = read_sysreg(sp_el0);
	e->sp_el1 = read_sysreg(sp_el1);
	e->elr = read_sysreg(elr_el1);
	e->spsr = read_sysreg(spsr_el1);
	e->esr = read_sysreg(esr_el1);
	e->far = read_sysreg(far_el1);
	e->afsr0 = read_sysreg(afsr0_el1);
	e->afsr1 = read_sysreg(afsr1_el1);
	e->par = read_sysreg(par_el1);
	e->cpacr = read_sysreg(cpacr_el1);
	e->cntkctl = read_sysreg(cntkctl_el1);
	e->csselr = read_sysreg(csselr_el1);
	e->cntv_ctl = read_sysreg(cntv_ctl_el0);
	e->cntv_cval = read_sysreg(cntv_cval_el0);
	fp_save(&v->fp);
}

void vcpu_load_el1(struct vcpu *v)
{
	if (v->el1_live)
		return;
	const struct vcpu_el1 *e = &v->el1;
	write_sysreg(sctlr_el1, e->sctlr);
	write_sysreg(ttbr0_el1, e->ttbr0);
	write_sysreg(ttbr1_el1, e->ttbr1);
	write_sysreg(tcr_el1, e->tcr);
	write_sysreg(mair_el1, e->mair);
	write_sysreg(amair_el1, e->amair);
	write_sysreg(vbar_el1, e->vbar);
	write_sysreg(contextidr_el1, e->contextidr);
	write_sysreg(tpidr_el0, e->tpidr_el0);
	write_sysreg(tpidrro_el0, e->tpidrro_el0);
	write_sysreg(tpidr_el1, e->tpidr_el1);
	write_sysreg(sp_el0, e->sp_el0);
	write_sysreg(sp_el1, e->sp_el1);
	write_sysreg(elr_el1, e->elr);
	write_sysreg(spsr_el1, e->spsr);
	write_sysreg(esr_el1, e->esr);
	write_sysreg(far_el1, e->far);
	write_sysreg(afsr0_el1, e->afsr0);
	write_sysreg(afsr1_el1, e->afsr1);
	write_sysreg(par_el1, e->par);
	write_sysreg(cpacr_el1, e->cpacr);
	write_sysreg(cntkctl_el1, e->cntkctl);
	write_sysreg(csselr_el1, e->csselr);
	write_sysreg(cntv_cval_el0, e->cntv_cval);
	write_sysreg(cntv_ctl_el0, e->cntv_ctl);
	fp_restore(&v->fp);
	isb();
	v->el1_live = true;
}
