/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A kernel-module-like object for tests/armv5patch: the interrupt save/restore pattern
 * Linux inlines everywhere (MRS/MSR cpsr), in .text, .init.text and .exit.text, around
 * calls to undefined functions (relocations), with literal pools from constants.
 * Built with: arm-linux-gnueabi-gcc -O2 -fno-pic -march=armv5te -marm -c module.c
 */
extern void external_work(unsigned long v);
extern unsigned long external_table[];

static inline unsigned long irq_save(void)
{
	unsigned long flags, tmp;

	__asm__ volatile("mrs %0, cpsr\n\torr %1, %0, #128\n\tmsr cpsr_c, %1"
			 : "=r"(flags), "=r"(tmp) : : "memory", "cc");
	return flags;
}

static inline void irq_restore(unsigned long flags)
{
	__asm__ volatile("msr cpsr_c, %0" : : "r"(flags) : "memory", "cc");
}

void module_work(unsigned long v)
{
	unsigned long flags = irq_save();

	external_work(v + 0xe10f0001ul);	/* a literal that decodes as an MRS */
	irq_restore(flags);
}

__attribute__((section(".init.text"))) int module_init_fn(void)
{
	unsigned long flags = irq_save();

	external_table[3] = 0x12345678ul;
	irq_restore(flags);
	return 0;
}

__attribute__((section(".exit.text"))) void module_exit_fn(void)
{
	unsigned long flags = irq_save();

	external_work(external_table[1]);
	irq_restore(flags);
}
