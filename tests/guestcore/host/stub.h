/* SPDX-License-Identifier: GPL-2.0-only */
/* What the host stubs record. */
#ifndef GUESTCORE_STUB_H
#define GUESTCORE_STUB_H

#include <mamoru/types.h>

#define STUB_IRQS 64

extern uint64_t stub_gicc_ipa;          /* where the vGIC backend put the CPU interface */
extern char stub_raw_out[256];          /* raw console output (a bound guest's bytes) */
extern size_t stub_raw_len;
extern bool stub_irq_level[STUB_IRQS];  /* irq_stub.c: the last level of each line */
extern unsigned stub_irq_calls;
extern unsigned stub_vcpus, stub_current_vcpu;   /* vgic_guest_vcpus(), vgic_current_vcpu() */
extern unsigned stub_eoi_calls, stub_eoi_virq;   /* passthrough_eoi() calls, the last one's */

#endif
