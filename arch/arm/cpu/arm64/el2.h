/* SPDX-License-Identifier: GPL-2.0-only */
/* EL2 configuration shared inside cpu/arm64/ (not an interface for core). */
#ifndef ARM64_EL2_H
#define ARM64_EL2_H

#include <mamoru/types.h>

/* HCR_EL2 while a guest runs (worked out by el2_init_registers). */
uint64_t el2_guest_hcr(void);

/* Name of the guest whose EL1 state is on the CPU, or NULL (vcpu_run.c). */
const char *el2_guest_on_cpu(void);
/* Takes an SError left pending at EL2 (after a guest exit); true and its
 * syndrome in *esr if there was one (exception.c). */
bool el2_take_pending_serror(uint64_t *esr);

#endif
