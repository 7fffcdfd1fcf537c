/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Bare-metal program for QEMU's versatilepb (-kernel, entered in SVC mode
 * with interrupts masked): runs probe_ops.h on the real (emulated) devices,
 * prints every read on UART0, then asks the system registers for a reset,
 * which makes QEMU exit under -no-reboot.
 */
#include "probe_ops.h"

#define REG(a) (*(volatile unsigned int *)(a))
#define UART 0x101f1000u

static void out(char c)
{
	while (REG(UART + 0x18) & 0x20)
		;
	REG(UART) = (unsigned int)c;
}

static void text(const char *s)
{
	while (*s)
		out(*s++);
}

static void hex(unsigned int v, int digits)
{
	for (int i = 4 * (digits - 1); i >= 0; i -= 4)
		out("0123456789abcdef"[(v >> i) & 15]);
}

void probe_main(void);

void probe_main(void)
{
	text("probe start\n");
	for (unsigned int i = 0; i < PROBE_OPS; i++) {
		const struct probe_op *op = &probe_ops[i];
		if (op->kind == WR) {
			REG(op->addr) = op->val;
			continue;
		}
		unsigned int v = REG(op->addr);
		hex(i, 3);
		out(' ');
		hex(op->addr, 8);
		out('=');
		hex(v, 8);
		text(op->kind == DIFFERS ? " differs\n" : "\n");
	}
	text("probe end\n");
	REG(SYS + 0x20) = 0xa05fu;
	REG(SYS + 0x40) = 0x105u;
	for (;;)
		;
}
