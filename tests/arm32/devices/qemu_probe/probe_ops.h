/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One sequence of register accesses run twice: on QEMU's versatilepb by a
 * bare-metal program (probe.c) and on Mamoru's models by devices_test
 * ("replay"); both print "<index> <address>=<value>" for every read, and the
 * test compares the two outputs, except for reads marked DIFFERS (printed
 * with " differs" after them), where
 * Mamoru follows the TRM or the user guide (docs/armv5-virt.md lists them).
 * Interrupts stay masked: only register state is compared.
 */
#ifndef PROBE_OPS_H
#define PROBE_OPS_H

enum { RD, WR, DIFFERS };

struct probe_op {
	unsigned char kind;
	unsigned int addr, val;
};

#define SIC 0x10003000u
#define VIC 0x10140000u
#define TIM 0x101e2000u
#define SYS 0x10000000u

static const struct probe_op probe_ops[] = {
	/* SIC: reset, enable set/clear, pass-through enable mask, unknown offsets */
	{RD, SIC + 0x00, 0}, {RD, SIC + 0x04, 0}, {RD, SIC + 0x08, 0}, {RD, SIC + 0x20, 0},
	{WR, SIC + 0x08, 0xffffffffu}, {RD, SIC + 0x08, 0},
	{WR, SIC + 0x0c, 0x0000ff00u}, {RD, SIC + 0x08, 0},
	{WR, SIC + 0x0c, 0xffffffffu}, {RD, SIC + 0x08, 0},
	{WR, SIC + 0x20, 0xffffffffu}, {RD, SIC + 0x20, 0},
	{WR, SIC + 0x24, 0x00e00000u}, {RD, SIC + 0x20, 0},
	{WR, SIC + 0x24, 0xffffffffu}, {RD, SIC + 0x20, 0},
	{WR, SIC + 0x10, 0x8u}, {DIFFERS, SIC + 0x10, 0}, {DIFFERS, SIC + 0x04, 0},
	{WR, SIC + 0x14, 0xffffffffu},
	{RD, SIC + 0x18, 0}, {RD, SIC + 0x40, 0}, {RD, SIC + 0xfe0, 0},
	/* VIC: identification, enables, select, soft interrupts, status */
	{RD, VIC + 0xfe0, 0}, {RD, VIC + 0xfe4, 0}, {RD, VIC + 0xfe8, 0}, {RD, VIC + 0xfec, 0},
	{RD, VIC + 0xff0, 0}, {RD, VIC + 0xff4, 0}, {RD, VIC + 0xff8, 0}, {RD, VIC + 0xffc, 0},
	{WR, VIC + 0x10, 0x000000f0u}, {WR, VIC + 0x10, 0x00000100u}, {RD, VIC + 0x10, 0},
	{WR, VIC + 0x14, 0x00000030u}, {RD, VIC + 0x10, 0},
	{WR, VIC + 0x18, 0x00000180u}, {RD, VIC + 0x18, 0}, {RD, VIC + 0x08, 0}, {RD, VIC + 0x00, 0},
	{WR, VIC + 0x0c, 0x00000080u}, {RD, VIC + 0x0c, 0}, {RD, VIC + 0x00, 0}, {RD, VIC + 0x04, 0},
	{WR, VIC + 0x0c, 0}, {WR, VIC + 0x1c, 0xffffffffu}, {RD, VIC + 0x08, 0},
	{WR, VIC + 0x14, 0xffffffffu}, {RD, VIC + 0x10, 0},
	{WR, VIC + 0x20, 0xffffffffu}, {RD, VIC + 0x20, 0}, {WR, VIC + 0x20, 0},
	{WR, VIC + 0x200, 0xffffffffu}, {DIFFERS, VIC + 0x200, 0}, {WR, VIC + 0x200, 0},
	/* VIC vectored priorities: idle, ack, nesting, end, default */
	{WR, VIC + 0x34, 0xd00u}, {RD, VIC + 0x34, 0}, {RD, VIC + 0x30, 0},
	{WR, VIC + 0x100, 0x1234u}, {WR, VIC + 0x200, 0x23u},
	{WR, VIC + 0x104, 0x5678u}, {WR, VIC + 0x204, 0x25u},
	{RD, VIC + 0x100, 0}, {RD, VIC + 0x204, 0},
	{WR, VIC + 0x10, 0xa8u},
	{WR, VIC + 0x18, 0x20u}, {RD, VIC + 0x30, 0}, {RD, VIC + 0x30, 0},
	{WR, VIC + 0x18, 0x80u}, {RD, VIC + 0x30, 0},
	{WR, VIC + 0x18, 0x08u}, {RD, VIC + 0x30, 0}, {RD, VIC + 0x00, 0},
	{WR, VIC + 0x1c, 0x08u}, {WR, VIC + 0x30, 0}, {RD, VIC + 0x30, 0},
	{WR, VIC + 0x30, 0}, {RD, VIC + 0x30, 0},
	{WR, VIC + 0x1c, 0x20u}, {RD, VIC + 0x30, 0}, {WR, VIC + 0x30, 0}, {RD, VIC + 0x30, 0},
	{WR, VIC + 0x30, 0}, {WR, VIC + 0x30, 0}, {WR, VIC + 0x30, 0},
	{WR, VIC + 0x1c, 0xffffffffu}, {WR, VIC + 0x14, 0xffffffffu},
	{RD, VIC + 0x30, 0}, {RD, VIC + 0x40, 0}, {RD, VIC + 0x300, 0},
	/* SP804: reset values, identification, registers of a stopped timer */
	{RD, TIM + 0x00, 0}, {DIFFERS, TIM + 0x04, 0}, {RD, TIM + 0x08, 0}, {RD, TIM + 0x10, 0},
	{RD, TIM + 0x14, 0}, {RD, TIM + 0x18, 0}, {RD, TIM + 0x1c, 0},
	{RD, TIM + 0x28, 0},
	{RD, TIM + 0xfe0, 0}, {RD, TIM + 0xfe4, 0}, {RD, TIM + 0xfe8, 0}, {RD, TIM + 0xfec, 0},
	{RD, TIM + 0xff0, 0}, {RD, TIM + 0xff4, 0}, {RD, TIM + 0xff8, 0}, {RD, TIM + 0xffc, 0},
	{WR, TIM + 0x08, 0x62u}, {RD, TIM + 0x08, 0},
	{WR, TIM + 0x00, 0x12345u}, {RD, TIM + 0x00, 0}, {RD, TIM + 0x04, 0},
	{WR, TIM + 0x18, 0x777u}, {RD, TIM + 0x00, 0}, {RD, TIM + 0x18, 0}, {RD, TIM + 0x04, 0},
	{WR, TIM + 0x08, 0xefu}, {RD, TIM + 0x08, 0}, {WR, TIM + 0x08, 0x20u},
	/* System registers: ID, LEDs, the lock and what it guards, flags */
	{RD, SYS + 0x00, 0}, {DIFFERS, SYS + 0x20, 0},
	{WR, SYS + 0x1c, 0x55u}, {RD, SYS + 0x1c, 0},
	{WR, SYS + 0x20, 0xa05fu}, {RD, SYS + 0x20, 0},
	{WR, SYS + 0x1c, 0x2c77u}, {DIFFERS, SYS + 0x1c, 0},
	{WR, SYS + 0x20, 0}, {WR, SYS + 0x1c, 0x1u}, {DIFFERS, SYS + 0x1c, 0},
	{WR, SYS + 0x08, 0x5au}, {RD, SYS + 0x08, 0},
	{WR, SYS + 0x30, 0x11u}, {WR, SYS + 0x34, 0x1u}, {RD, SYS + 0x30, 0},
	{WR, SYS + 0x38, 0x3u}, {WR, SYS + 0x3c, 0x2u}, {RD, SYS + 0x38, 0},
	{RD, SYS + 0x40, 0}, {RD, SYS + 0x70, 0}, {RD, SYS + 0x80, 0},
	/* Locked: no reset. The last op (probe.c) unlocks and resets, which ends QEMU. */
	{WR, SYS + 0x40, 0x105u}, {RD, SYS + 0x00, 0},
};

#define PROBE_OPS (sizeof(probe_ops) / sizeof(probe_ops[0]))

#endif
