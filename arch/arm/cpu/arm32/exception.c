/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Crash reports for the exceptions the hypervisor never expects on ARMv5: aborts
 * (the fault status register decoded, the fault address), undefined instructions,
 * SWI, FIQ. Every register is printed, then the CPU halts.
 */
#include <arch/cpu.h>
#include <mamoru/console.h>
#include "cp15.h"
#include "fault_decode.h"

struct exc_frame {
	uint32_t r[13];
	uint32_t sp, lr, pc, cpsr;    /* sp, lr: the interrupted mode's; pc: the faulting instruction */
};

enum exc_kind { EXC_RESET, EXC_UNDEF, EXC_SWI, EXC_PABT, EXC_DABT, EXC_UNUSED, EXC_FIQ };

static const char *const kind_names[] = {
	[EXC_RESET] = "Reset vector taken",
	[EXC_UNDEF] = "Undefined Instruction",
	[EXC_SWI] = "Software Interrupt (SWI)",
	[EXC_PABT] = "Prefetch Abort (instruction fetch)",
	[EXC_DABT] = "Data Abort",
	[EXC_UNUSED] = "Reserved vector taken",
	[EXC_FIQ] = "FIQ (never enabled)",
};

/* Whether a is a word of the image (readable: the image is mapped). */
static bool in_image(uint32_t a)
{
	return a >= (uintptr_t)__image_start && a < (uintptr_t)__image_end && (a & 3u) == 0;
}

__noreturn void exception_fatal(unsigned kind, struct exc_frame *f);

__noreturn void exception_fatal(unsigned kind, struct exc_frame *f)
{
	const char *what = kind < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[kind] : "?";
	printk("\n*** Mamoru: unexpected exception: %s in %s mode\n", what, arm32_mode_name(f->cpsr));
	if (kind == EXC_DABT || kind == EXC_PABT) {
		uint32_t fsr = kind == EXC_DABT ? read_dfsr() : read_ifsr();
		const char *st = arm32_fault_status(fsr);
		printk("  %s 0x%08x  %s, domain %u", kind == EXC_DABT ? "DFSR" : "IFSR", fsr,
		       st ? st : "other fault", (fsr >> FSR_DOMAIN_SHIFT) & 0xfu);
		const char *acc = NULL;
		if (kind == EXC_DABT && in_image(f->pc))
			acc = arm32_access_of(*(const uint32_t *)f->pc);
		if (acc)
			printk(", %s", acc);
		printk("\n  FAR  0x%08x%s\n", kind == EXC_DABT ? read_far() : f->pc,
		       kind == EXC_DABT ? "" : " (the instruction's address)");
	} else if (kind == EXC_UNDEF && in_image(f->pc)) {
		printk("  instruction 0x%08x\n", *(const uint32_t *)f->pc);
	}
	printk("  PC   0x%08x", f->pc);
	if (f->pc >= (uintptr_t)__image_start && f->pc < (uintptr_t)__text_end)
		printk(" (image+0x%x)", f->pc - (uint32_t)(uintptr_t)__image_start);
	printk("\n  CPSR 0x%08x  SP 0x%08x  LR 0x%08x\n", f->cpsr, f->sp, f->lr);
	for (unsigned i = 0; i < 13; i++)
		printk("  r%-2u 0x%08x%s", i, f->r[i], (i % 4 == 3) ? "\n" : "");
	printk("\n  image at 0x%08x\n*** HALTED\n", (uint32_t)(uintptr_t)__image_start);
	cpu_halt();
}
