/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vmi_init for a 32-bit ARM (ARMv5) Linux guest. There is no KASLR on 32-bit
 * ARM: symbols are at their link addresses (slide 0). What is left to
 * establish is which translation table to trust and that the memory holds
 * the profile's kernel, from independent anchors (v->anchors):
 *  - "swapper_pg_dir": TTBR0 (the only table base on ARMv5; a process's
 *    table while a process runs, whose kernel half is a copy) translates
 *    swapper_pg_dir's VA, and the table found there maps its own VA to
 *    itself. Kernel VAs are then read through swapper_pg_dir, the master
 *    copy of the kernel's mappings, whatever TTBR0 says;
 *  - "kernel mapping": linux_banner and init_task translate through it with
 *    the same linear-map offset (PA - VA) as swapper_pg_dir itself;
 *  - "linux_banner": reads "Linux version <the profile's release> ";
 *  - "init_task": pid 0, named swapper, a kernel pointer as tasks.next.
 * The kernel counts as found when the banner or init_task agrees.
 */
#include <mamoru/libc.h>
#include <mamoru/vmi/profile.h>
#include <mamoru/vmi/vmi.h>

#include "locate.h"

#define L1_TABLE_ALIGN 0x4000ull /* a first-level table is 16 KiB, aligned to it */
#define KVA_END 0xffffffffull

/* Where swapper_pg_dir is, through the table at ttb: 0 and *pa when that
 * table maps swapper_pg_dir's VA to a 16 KiB-aligned table that maps its own
 * VA to itself. */
static int find_swapper(struct vmi *v, uint64_t ttb, uint64_t swapper, uint64_t *pa)
{
	uint64_t self;
	int rc;

	v->walk.ttbr0 = ttb;
	vmi_flush(v);
	if ((rc = vmi_translate(v, swapper, pa)))
		return rc;
	if (*pa % L1_TABLE_ALIGN)
		return vmi_fail(v, VMI_ECORRUPT, "swapper_pg_dir maps to 0x%llx, not a 16 KiB-aligned "
				"table", (unsigned long long)*pa);
	v->walk.ttbr0 = *pa;
	vmi_flush(v);
	if ((rc = vmi_translate(v, swapper, &self)))
		return vmi_context(v, rc, "the table at 0x%llx", (unsigned long long)*pa);
	if (self != *pa)
		return vmi_fail(v, VMI_ECORRUPT, "the table at 0x%llx maps swapper_pg_dir to 0x%llx, "
				"not to itself", (unsigned long long)*pa, (unsigned long long)self);
	return VMI_OK;
}

/* linux_banner and init_task at PA = VA + delta, like swapper_pg_dir. */
static void check_mapping(struct vmi *v, uint64_t delta)
{
	static const char *const syms[] = { "linux_banner", "init_task" };

	for (size_t i = 0; i < ARRAY_SIZE(syms); i++) {
		uint64_t va, pa;
		int rc = vmi_sym(v, syms[i], &va);
		if (!rc)
			rc = vmi_translate(v, va, &pa);
		if (rc) {
			vmi_anchor(v, "kernel mapping", false, "%s: %s", syms[i], vmi_error(v));
			return;
		}
		if (pa - va != delta) {
			vmi_anchor(v, "kernel mapping", false,
				   "%s at 0x%llx maps to 0x%llx, not 0x%llx as the linear map of "
				   "swapper_pg_dir says", syms[i], (unsigned long long)va,
				   (unsigned long long)pa, (unsigned long long)(va + delta));
			return;
		}
	}
	vmi_anchor(v, "kernel mapping", true, "linear map PA = VA - 0x%llx",
		   (unsigned long long)(0 - delta));
}

int vmi_locate_armv5(struct vmi *v, const char *release)
{
	uint64_t page_offset, kva_start, swapper, pa;
	const struct profile *p = v->prof;

	if (!(v->regs.sctlr & SCTLR_M))
		return vmi_fail(v, VMI_ESTATE, "the guest's MMU is off (control register 0x%llx)",
				(unsigned long long)v->regs.sctlr);
	if (v->regs.ttbr0 > KVA_END)
		return vmi_fail(v, VMI_ESTATE, "TTBR0 0x%llx is not a 32-bit value",
				(unsigned long long)v->regs.ttbr0);
	if (profile_value(p, "const.page_offset", &page_offset) ||
	    profile_value(p, "const.kva_start", &kva_start) || kva_start > page_offset ||
	    page_offset > KVA_END)
		return vmi_fail(v, VMI_ENOKEY, "the profile lacks a usable const.page_offset and "
				"const.kva_start");
	if (profile_value(p, "sym.swapper_pg_dir", &swapper))
		return vmi_fail(v, VMI_ENOKEY, "the profile has no sym.swapper_pg_dir");
	v->kva_start = kva_start;
	v->kva_end = KVA_END;
	v->slide = 0;

	uint64_t ttb = v->regs.ttbr0 & GWS_TTB_MASK;
	if (find_swapper(v, ttb, swapper, &pa) == VMI_OK) {
		if (pa == ttb)
			vmi_anchor(v, "swapper_pg_dir", true, "TTBR0 holds swapper_pg_dir at 0x%llx",
				   (unsigned long long)pa);
		else
			vmi_anchor(v, "swapper_pg_dir", true, "at 0x%llx; TTBR0 holds a process's "
				   "table at 0x%llx", (unsigned long long)pa, (unsigned long long)ttb);
		check_mapping(v, pa - swapper);
	} else {
		vmi_anchor(v, "swapper_pg_dir", false, "not found through TTBR0 0x%llx: %s",
			   (unsigned long long)v->regs.ttbr0, vmi_error(v));
		v->walk.ttbr0 = ttb; /* the vCPU's table is all there is */
		vmi_flush(v);
	}

	char why[VMI_ERR_LEN] = "";
	bool banner = vmi_check_banner(v, 0, release) == VMI_OK;
	if (banner)
		vmi_anchor(v, "linux_banner", true, "Linux version %s", release);
	else {
		memcpy(why, v->err, sizeof(why));
		vmi_anchor(v, "linux_banner", false, "%s", v->err);
	}
	bool init = vmi_check_init_task(v, 0) == VMI_OK;
	if (init)
		vmi_anchor(v, "init_task", true, "pid 0, swapper");
	else
		vmi_anchor(v, "init_task", false, "%s", v->err);
	if (!banner && !init)
		return vmi_fail(v, VMI_EKASLR, "the profile's kernel is not in guest memory: %s; and %s",
				why, v->anchors[v->nanchors - 1].detail);
	v->slide_source = "no KASLR (32-bit ARM)";
	v->err[0] = 0;
	return VMI_OK;
}
