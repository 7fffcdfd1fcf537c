/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a guest holds for the CPU side: struct guest (core) has exactly one
 * member of this type, `arch`, which only arch code and the arch interface
 * functions look inside. A second CPU architecture brings its own
 * struct arch_guest under its own include path.
 */
#ifndef ARCH_GUEST_ARCH_H
#define ARCH_GUEST_ARCH_H

#include <arch/stage2.h>
#include <arch/vcpu.h>
#include <arch/vgic.h>

/* vCPUs a guest may have (the emulated GICv2 banks its SGIs and PPIs for as many). */
#define ARCH_GUEST_VCPUS 4
_Static_assert(ARCH_GUEST_VCPUS <= VGIC_MAX_VCPUS, "the vGIC banks SGIs and PPIs per vCPU");

struct arch_guest {
	struct vcpu vcpus[ARCH_GUEST_VCPUS];   /* the first g->nr_vcpus are used */
	struct stage2 s2;            /* its stage-2 translation tables */
	struct vgic vgic;            /* its interrupt controller as the guest sees it */
};

#endif
