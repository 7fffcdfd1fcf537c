/* SPDX-License-Identifier: GPL-2.0-only */
/* Reads the register file vmi_tool and integrity_tool take (see regs_file.h). */
#include <stdio.h>
#include <string.h>

#include "regs_file.h"

int read_regs_file(const char *path, struct vmi_regs *r)
{
	/* The AArch64 names, then the neutral ones (struct vmi_regs). */
	static const char *const names[] = { "ttbr0_el1", "ttbr1_el1", "tcr_el1", "sctlr_el1",
					     "vbar_el1", "sp_el0", "pc", "image_pa",
					     "ttbr0", "ttbr1", "tcr", "sctlr", "vbar", "cur" };
	uint64_t *const dst[] = { &r->ttbr0, &r->ttbr1, &r->tcr, &r->sctlr, &r->vbar, &r->cur,
				  &r->pc, &r->image_pa,
				  &r->ttbr0, &r->ttbr1, &r->tcr, &r->sctlr, &r->vbar, &r->cur };
	FILE *f = fopen(path, "r");
	char name[32];
	unsigned long long val;

	memset(r, 0, sizeof(*r));
	if (!f)
		return -1;
	unsigned cpu;
	while (fscanf(f, "%31s %llx", name, &val) == 2) {
		/* vbar_el1@N: vCPU N's VBAR_EL1 (a guest of several vCPUs; given: on, MMU on). */
		if (sscanf(name, "vbar_el1@%u", &cpu) == 1 && cpu < VMI_MAX_VCPUS) {
			r->cpu_vbar[cpu] = val;
			r->cpu_on |= 1u << cpu;
			if (cpu + 1 > r->ncpus)
				r->ncpus = cpu + 1;
			continue;
		}
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcmp(name, names[i]))
				*dst[i] = val;
	}
	fclose(f);
	return 0;
}
