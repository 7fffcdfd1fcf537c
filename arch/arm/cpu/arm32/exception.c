/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Crash reports for the exceptions the hypervisor never expects on ARMv5: aborts
 * (the fault status register decoded, the fault address), undefined instructions,
 * SWI, FIQ. Every register is printed, then the CPU halts.
 */
#include <arch/cpu.h>
#include <mamoru/console.h>
#include "cp15.h"
#include "arm32.h"

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

/* The fault status (FSR[3:0]) of the ARMv5 VMSA. */
static const char *const fault_status[16] = {
	[0x1] = "alignment fault", [0x3] = "alignment fault",
	[0x5] = "translation fault (section)", [0x7] = "translation fault (page)",
	[0x9] = "domain fault (section)", [0xb] = "domain fault (page)",
	[0xd] = "permission fault (section)", [0xf] = "permission fault (page)",
	[0x8] = "external abort (section)", [0xa] = "external abort (page)",
	[0xc] = "external abort on translation (level 1)",
	[0xe] = "external abort on translation (level 2)",
};

static const char *const mode_names[32] = {
	[0x10] = "USR", [0x11] = "FIQ", [0x12] = "IRQ", [0x13] = "SVC",
	[0x17] = "ABT", [0x1b] = "UND", [0x1f] = "SYS",
};

const char *arm32_mode_name(unsigned mode)
{
	const char *n = mode_names[mode & MODE_MASK];
	return n ? n : "invalid mode";
}

/* ARMv5's data FSR does not say whether the access was a read or a write; the
 * load/store bit (20) of the faulting instruction does, for the ARM-state
 * single, halfword/doubleword and multiple transfers. NULL: not such an instruction. */
static const char *access_of(uint32_t insn)
{
	uint32_t op = (insn >> 25) & 7u;
	bool load = insn & (1u << 20);
	if (op == 2u || op == 3u || op == 4u)     /* LDR/STR(B), LDM/STM */
		return load ? "read" : "write";
	if (op != 0u || (insn & 0x90u) != 0x90u || !(insn & 0x60u))
		return NULL;
	if (!load)       /* L = 0: STRH (SH = 01), LDRD (10), STRD (11) */
		return (insn & 0x60u) == 0x40u ? "read" : "write";
	return "read";   /* LDRH, LDRSB, LDRSH */
}

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
		const char *st = fault_status[fsr & FSR_STATUS_MASK];
		printk("  %s 0x%08x  %s, domain %u", kind == EXC_DABT ? "DFSR" : "IFSR", fsr,
		       st ? st : "other fault", (fsr >> FSR_DOMAIN_SHIFT) & 0xfu);
		const char *acc = kind == EXC_DABT && in_image(f->pc) ? access_of(*(const uint32_t *)f->pc)
								       : NULL;
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
