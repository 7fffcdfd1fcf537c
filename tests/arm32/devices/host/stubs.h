/* SPDX-License-Identifier: GPL-2.0-only */
/* What the host stubs of the ARMv5 device tests provide. */
#ifndef ARM32_DEVICES_STUBS_H
#define ARM32_DEVICES_STUBS_H

#include <mamoru/types.h>

extern uint64_t stub_now_ns;     /* the fake clock timer_now_ns() returns */
extern unsigned stub_irq_calls;  /* arch_guest_irq() calls */

/* printk() goes to stderr from now on. */
void stub_console_init(void);

#endif
