/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Crash reports for exceptions the hypervisor does not expect: the
 * exception class decoded from ESR_EL2, the fault status for aborts, the
 * faulting address and every register, then the CPU halts.
 */
#include <arch/cpu.h>
#include <arch/sysreg.h>
#include <mamoru/console.h>

struct exc_frame {
	uint64_t x[31];
	uint64_t sp, elr, spsr, esr, far;
};

static const char *const exception_kinds[16] = {
	"Synchronous from EL2 (SP_EL0)", "IRQ from EL2 (SP_EL0)", "FIQ from EL2 (SP_EL0)",
	"SError from EL2 (SP_EL0)",      "Synchronous from EL2", "IRQ from EL2",
	"FIQ from EL2",                  "SError from EL2",      "Synchronous from lower EL (AArch64)",
	"IRQ from lower EL (AArch64)",   "FIQ from lower EL (AArch64)",
	"SError from lower EL (AArch64)", "Synchronous from lower EL (AArch32)",
	"IRQ from lower EL (AArch32)",   "FIQ from lower EL (AArch32)",
	"SError from lower EL (AArch32)",
};

static const char *ec_name(unsigned ec)
{
	switch (ec) {
	case 0x00: return "Unknown reason";
	case 0x01: return "WFI/WFE trapped";
	case 0x07: return "SIMD/FP access trapped";
	case 0x0e: return "Illegal execution state";
	case 0x15: return "SVC from AArch64";
	case 0x16: return "HVC from AArch64";
	case 0x17: return "SMC from AArch64";
	case 0x18: return "MSR/MRS/system instruction trapped";
	case 0x20: return "Instruction Abort from lower EL";
	case 0x21: return "Instruction Abort (same EL)";
	case 0x22: return "PC alignment fault";
	case 0x24: return "Data Abort from lower EL";
	case 0x25: return "Data Abort (same EL)";
	case 0x26: return "SP alignment fault";
	case 0x2f: return "SError interrupt";
	case 0x30: case 0x31: return "Breakpoint";
	case 0x32: case 0x33: return "Software step";
	case 0x34: case 0x35: return "Watchpoint";
	case 0x3c: return "BRK instruction";
	default: return "Reserved or unhandled exception class";
	}
}

/* Fault status code of an instruction or data abort (ISS[5:0]). */
static const char *fault_status(unsigned fsc)
{
	switch (fsc & 0x3c) {
	case 0x00: return "address size fault";
	case 0x04: return "translation fault";
	case 0x08: return "access flag fault";
	case 0x0c: return "permission fault";
	default: break;
	}
	switch (fsc) {
	case 0x10: return "synchronous external abort";
	case 0x11: return "synchronous tag check fault";
	case 0x21: return "alignment fault";
	case 0x30: return "TLB conflict abort";
	default: return "other fault";
	}
}

__noreturn void cpu_halt(void)
{
	irq_mask();
	for (;;)
		wfi();
}

void exception_fatal(struct exc_frame *f, unsigned kind);

void exception_fatal(struct exc_frame *f, unsigned kind)
{
	unsigned ec = (unsigned)(f->esr >> 26) & 0x3f;
	uintptr_t base = (uintptr_t)__image_start;

	printk("\n*** Mamoru: unexpected exception: %s\n", exception_kinds[kind & 15]);
	printk("  ESR_EL2  0x%016llx  EC 0x%02x %s", (unsigned long long)f->esr, ec, ec_name(ec));
	if (ec == 0x20 || ec == 0x21 || ec == 0x24 || ec == 0x25) {
		unsigned fsc = (unsigned)f->esr & 0x3f;
		printk(": %s", fault_status(fsc));
		if ((fsc & 0x30) == 0)
			printk(", level %u", fsc & 3);
		if (ec == 0x24 || ec == 0x25)
			printk(", %s", (f->esr & (1u << 6)) ? "write" : "read");
	}
	printk("\n  FAR_EL2  0x%016llx\n", (unsigned long long)f->far);
	printk("  ELR_EL2  0x%016llx", (unsigned long long)f->elr);
	if (f->elr >= base && f->elr < (uintptr_t)__text_end)
		printk(" (image+0x%llx)", (unsigned long long)(f->elr - base));
	printk("\n  SPSR_EL2 0x%016llx  SP 0x%016llx\n", (unsigned long long)f->spsr,
	       (unsigned long long)f->sp);
	for (unsigned i = 0; i < 31; i++)
		printk("  x%-2u 0x%016llx%s", i, (unsigned long long)f->x[i], (i % 4 == 3) ? "\n" : "");
	printk("\n  image at 0x%llx\n*** HALTED\n", (unsigned long long)base);
	cpu_halt();
}
