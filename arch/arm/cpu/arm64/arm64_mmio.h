/* SPDX-License-Identifier: GPL-2.0-only */
/* The emulated-device side of a guest data abort (internal to cpu/arm64/). */
#ifndef ARM64_MMIO_H
#define ARM64_MMIO_H

#include <mamoru/types.h>

struct guest;

#define ARM64_MMIO_OK 0
#define ARM64_MMIO_NODEV (-1)      /* no emulated device at ipa */
#define ARM64_MMIO_REJECTED (-2)   /* the device refused the access */

/* One access of size bytes at ipa to the guest's emulated devices. */
int arm64_mmio(struct guest *g, uint64_t ipa, bool write, unsigned size, uint64_t *val);
/* Reports (rate-limited) and counts an access the guest gets an abort for. */
void arm64_bad_access(struct guest *g, const char *what, uint64_t ipa);

#endif
