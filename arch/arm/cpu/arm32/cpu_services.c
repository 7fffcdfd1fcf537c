/* SPDX-License-Identifier: GPL-2.0-only */
/* The CPU services core calls through arch/cpu.h, for ARMv5 in SVC mode. */
#include <arch/cpu.h>
#include <mamoru/console.h>
#include <mamoru/smp.h>
#include "cp15.h"
#include "fault_decode.h"

/* The CPSR mode (0x13 for SVC) rather than an exception level: ARMv5 has none. */
unsigned cpu_current_el(void) { return read_cpsr() & MODE_MASK; }

const unsigned cpu_boot_level = MODE_SVC;
const char cpu_boot_hint[] = "start it in SVC mode, as a Linux kernel is (QEMU: -kernel)";

const char *cpu_level_name(unsigned level) { return arm32_mode_name(level); }

void cpu_irq_mask(void) { write_cpsr_c(read_cpsr() | PSR_I); }
void cpu_irq_unmask(void) { write_cpsr_c(read_cpsr() & ~PSR_I); }

/* Wakes on a pending interrupt even while the CPSR masks it (ARM926EJ-S TRM). */
void cpu_wait_irq(void) { cp15_wait_for_interrupt(0); }

__noreturn void cpu_halt(void)
{
	cpu_irq_mask();
	for (;;)
		cpu_wait_irq();
}

/* Nothing to route: there is no higher exception level on ARMv5. */
void el2_init_registers(void) {}

void arch_park_secondaries(const void *fdt) { (void)fdt; }   /* the ARM926 has one core */
void arch_image_place(uintptr_t dtb_pa) { (void)dtb_pa; }    /* linked where it runs */
uintptr_t arch_image_loaded_at(void) { return 0; }
uintptr_t arch_image_low_page(void) { return 0; }
void arch_smp_report(void) {}

/* One core: the CPU table's entry 0 (core/smp.c), no lock to take. */
extern struct smp_cpu smp_cpus[];
struct smp_cpu *arch_this_cpu(void) { return &smp_cpus[0]; }
uint64_t arch_cpu_mpidr(void) { return 0; }
const char *arch_cpu_start(const void *fdt, struct smp_cpu *c, int method, uint64_t release_addr)
{
	(void)fdt;
	(void)c;
	(void)method;
	(void)release_addr;
	return "the ARM926 has one core";
}
void arch_spin_lock(uint32_t *lock) { (void)lock; }
void arch_spin_unlock(uint32_t *lock) { (void)lock; }
unsigned long cpu_irq_save(void)
{
	unsigned long flags = read_cpsr() & PSR_I;
	cpu_irq_mask();
	return flags;
}
void cpu_irq_restore(unsigned long flags)
{
	if (!flags)
		cpu_irq_unmask();
}
void cpu_relax(void) {}

#ifdef CONFIG_GUESTS
/* Software virtualization: nothing to set up until a guest is created (guest_setup.c). */
int arch_virt_init(const void *fdt)
{
	(void)fdt;
	printk("guests: ARMv5 software virtualization (patched guest kernels, shadow page tables)\n");
	return 0;
}
#else
int arch_virt_init(const void *fdt)
{
	(void)fdt;
	printk("guests: not built in (Kconfig GUESTS)\n");
	return -1;
}

const char *arch_guest_irq_model(void) { return "none"; }
#endif
