/* SPDX-License-Identifier: GPL-2.0-only */
/* Private to core/vmi: the anchors vmi_init records (kaslr.c) and the 32-bit
 * ARM kernel locator (locate_armv5.c) share. */
#ifndef CORE_VMI_LOCATE_H
#define CORE_VMI_LOCATE_H

#include <mamoru/vmi/vmi.h>

#define SCTLR_M 1ull /* MMU enable: SCTLR_EL1.M and the ARMv5 control register's M */

/* Appends an anchor to v->anchors (dropped when full). */
void vmi_anchor(struct vmi *v, const char *name, bool ok, const char *fmt, ...) __printf(4, 5);
/* Copies s for a message: printable ASCII only, at most max bytes. */
void vmi_printable(char *out, size_t size, const char *s, size_t max);
/* linux_banner at this slide reads "Linux version <release> "? */
int vmi_check_banner(struct vmi *v, uint64_t slide, const char *release);
/* init_task at this slide: pid 0, "swapper...", a kernel pointer as tasks.next? */
int vmi_check_init_task(struct vmi *v, uint64_t slide);
/* vmi_init for a 32-bit ARM (ARMv5) guest: no KASLR, the anchors confirm the
 * profile matches. */
int vmi_locate_armv5(struct vmi *v, const char *release);

#endif
