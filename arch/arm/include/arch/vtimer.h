/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef ARCH_VTIMER_H
#define ARCH_VTIMER_H

struct fdt;
struct guest;

/* Routes the host's virtual-timer interrupt to the running guest. */
int vtimer_host_init(const struct fdt *fdt);
void vtimer_set_owner(struct guest *g);

#endif
