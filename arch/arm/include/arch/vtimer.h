/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef ARCH_VTIMER_H
#define ARCH_VTIMER_H

struct fdt;
struct guest;

/* Routes the host's virtual-timer interrupt to the vCPU on the CPU. */
int vtimer_host_init(const struct fdt *fdt);
/* vCPU cpu of g has its timer on the CPU now (g NULL: nobody). */
void vtimer_set_owner(struct guest *g, unsigned cpu);

#endif
