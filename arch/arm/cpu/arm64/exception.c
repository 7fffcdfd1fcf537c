/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Crash reports for exceptions the hypervisor does not expect: the
 * exception class decoded from ESR_EL2, the fault status for aborts, the
 * faulting address and every register, then the CPU halts.
 */
#include <arch/cpu.h>
#include <arch/esr.h>
#include <arch/sysreg.h>
#include <arch/sysreg_bits.h>
#include <mamoru/console.h>
#include <mamoru/smp.h>
#include "el2.h"

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
void el2_serror(struct exc_frame *f);

static volatile bool serror_expected;
static volatile uint64_t serror_esr;

/*
 * An SError the last guest left pending (ISR_EL1.A after its exit): taken
 * here, at EL2, by unmasking it for a moment, so it is charged to that
 * guest instead of the next one to run. Returns whether there was one.
 */
bool el2_take_pending_serror(uint64_t *esr)
{
	dsb_sy();
	isb();
	if (!(read_sysreg(isr_el1) & ISR_A))
		return false;
	serror_expected = true;
	__asm__ volatile("msr daifclr, #4\n\tisb\n\tmsr daifset, #4" ::: "memory");
	serror_expected = false;
	*esr = serror_esr;
	return true;
}

/* SError taken at EL2 (vector "SError, current EL with SP_ELx"). */
void el2_serror(struct exc_frame *f)
{
	if (serror_expected) {
		serror_esr = f->esr;
		return;
	}
	exception_fatal(f, 7);
}

/* The faulting core's index, or -1: TPIDR_EL2 is read as it is, and may be what broke,
 * so it must point at an entry of the CPU table to be trusted. */
static int fatal_cpu(void)
{
	const struct smp_cpu *me = (const struct smp_cpu *)read_sysreg(tpidr_el2);
	for (unsigned i = 0; smp_cpu(i); i++)
		if (smp_cpu(i) == me)
			return (int)i;
	return -1;
}

void exception_fatal(struct exc_frame *f, unsigned kind)
{
	unsigned ec = (unsigned)(f->esr >> ESR_EC_SHIFT) & 0x3f;
	uintptr_t base = (uintptr_t)__image_start;
	const char *owner = el2_guest_on_cpu();

	/* Which core: with Mamoru on every core the others go on, and may print too. */
	int cpu = fatal_cpu();
	if (cpu >= 0)
		printk("\n*** Mamoru: unexpected exception on CPU %d: %s\n", cpu,
		       exception_kinds[kind & 15]);
	else
		printk("\n*** Mamoru: unexpected exception on CPU ? (TPIDR_EL2 0x%llx): %s\n",
		       (unsigned long long)read_sysreg(tpidr_el2), exception_kinds[kind & 15]);
	if ((kind & 3) == 3)    /* SError: asynchronous, its cause may be a guest's access */
		printk("  SError at EL2; EL1 state on the CPU: %s%s\n", owner ? "guest " : "",
		       owner ? owner : "none (no guest loaded)");
	printk("  ESR_EL2  0x%016llx  EC 0x%02x %s", (unsigned long long)f->esr, ec, esr_class_name(ec));
	if (ec == EC_IABT_LOW || ec == EC_IABT_CUR || ec == EC_DABT_LOW || ec == EC_DABT_CUR) {
		unsigned fsc = (unsigned)f->esr & 0x3f;
		printk(": %s", fault_status(fsc));
		if ((fsc & 0x30) == 0)
			printk(", level %u", fsc & 3);
		if (ec == EC_DABT_LOW || ec == EC_DABT_CUR)
			printk(", %s", (f->esr & ESR_WNR) ? "write" : "read");
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
