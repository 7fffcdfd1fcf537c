/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef ARCH_VTIMER_H
#define ARCH_VTIMER_H

struct fdt;
struct guest;

/* Routes the host's virtual-timer interrupt to the vCPU on the CPU. */
int vtimer_host_init(const struct fdt *fdt);
/* Another core that is to run vCPUs: its timer registers and its own PPI. */
int vtimer_cpu_init(void);
/* vCPU cpu of g has its timer on the CPU now (g NULL: nobody). */
void vtimer_set_owner(struct guest *g, unsigned cpu);

#endif
