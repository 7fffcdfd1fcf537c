/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the commands may know about a guest's CPU registers, without looking
 * inside struct arch_guest: the translation regime and current-task register
 * the introspection library starts from, whether the guest's MMU is on, and
 * the `guest regs` listing in the architecture's own names. Call
 * guest_snapshot() first so a running vCPU's live state is in the guest.
 */
#ifndef ARCH_GUEST_REGS_H
#define ARCH_GUEST_REGS_H

#include <mamoru/types.h>

struct console;
struct guest;
struct vmi_regs;

/* Fills every register field of *out (not image_pa, which is core's). */
void arch_guest_vmi_regs(const struct guest *g, struct vmi_regs *out);
/* The guest kernel's stage-1 MMU is enabled. */
bool arch_guest_mmu_on(const struct guest *g);
/* The vCPU's registers and exit counters, for `guest regs`. */
void arch_guest_print_regs(struct console *con, const struct guest *g);

#endif
