/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What libgcc's 32-bit ARM division helpers call on a division by zero (the ARM
 * run-time ABI's __aeabi_idiv0/__aeabi_ldiv0). Ours report and halt; libgcc's own
 * would call raise(), which a freestanding image does not have.
 */
#include <arch/cpu.h>
#include <mamoru/console.h>

int __aeabi_idiv0(int r);
long long __aeabi_ldiv0(long long r);

__noreturn static void div0(void *caller)
{
	printk("\n*** Mamoru: division by zero (called from %p)\n*** HALTED\n", caller);
	cpu_halt();
}

int __aeabi_idiv0(int r)
{
	(void)r;
	div0(__builtin_return_address(0));
}

long long __aeabi_ldiv0(long long r)
{
	(void)r;
	div0(__builtin_return_address(0));
}
