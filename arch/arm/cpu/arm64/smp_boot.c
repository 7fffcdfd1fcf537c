/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Bringing a secondary core into the hypervisor (Kconfig SMP): PSCI CPU_ON
 * (QEMU virt; the host device tree's /psci method, "smc" from EL2) or the
 * spin table (the Raspberry Pis: the firmware's loop reads the core's
 * release slot). Either way the core enters secondary_entry (head.S) at EL2
 * with its MMU and caches off. There it reads the boot block below, checks
 * that it is the core the block is for, loads the boot CPU's translation
 * registers, turns its MMU on, takes its stack and TPIDR_EL2 from its CPU
 * table entry and calls smp_secondary_main (core/smp.c).
 *
 * The boot block is written with the boot CPU's caches on and read by a core
 * whose caches are off: it is cleaned to the point of coherency before the
 * core is released, and so is the spin table's release slot. One core is
 * started at a time (core/smp.c waits for each).
 */
#include <arch/cpu.h>
#include <arch/sysreg.h>
#include <mamoru/console.h>
#include <mamoru/fdt_cpus.h>
#include <mamoru/libc.h>
#include <mamoru/mm.h>
#include <mamoru/smp.h>

#define PSCI_CPU_ON_64 0xc4000003u
#define PSCI_SUCCESS 0
#define PSCI_ALREADY_ON (-4)

/* Read by secondary_entry (head.S) with the MMU off: offsets fixed there. */
struct smp_boot_block {
	uint64_t mpidr;         /* 0: the core this block is for */
	uint64_t mair, tcr, ttbr0, sctlr, vbar;   /* 8..40: the boot CPU's values */
	uint64_t cpu;           /* 48: its struct smp_cpu */
	uint64_t stack_top;     /* 56 */
} __aligned(64);

_Static_assert(offsetof(struct smp_boot_block, cpu) == 48, "head.S reads cpu at 48");
_Static_assert(offsetof(struct smp_boot_block, stack_top) == 56, "head.S reads stack_top at 56");
_Static_assert(offsetof(struct smp_cpu, vcpu) == 0, "guest_entry.S reads vcpu at 0");

struct smp_boot_block smp_boot_block;
extern char secondary_entry[];

struct smp_cpu *arch_this_cpu(void) { return (struct smp_cpu *)read_sysreg(tpidr_el2); }
uint64_t arch_cpu_mpidr(void) { return read_sysreg(mpidr_el1); }
void cpu_relax(void) { __asm__ volatile("yield" ::: "memory"); }

unsigned long cpu_irq_save(void)
{
	unsigned long flags = read_sysreg(daif);
	irq_mask();
	return flags;
}

void cpu_irq_restore(unsigned long flags)
{
	write_sysreg(daif, flags);
}

void arch_spin_lock(uint32_t *lock)
{
	uint32_t tmp, busy;

	/* Spin, not WFE: QEMU's TCG lets a CPU in WFE sleep through the owner's
	 * release (it signals neither the exclusive monitor's loss nor SEV to
	 * another CPU), and the locks are held for a few microseconds. */
	__asm__ volatile("1:	ldaxr	%w0, [%2]\n"
			 "	cbz	%w0, 2f\n"
			 "	yield\n"
			 "	b	1b\n"
			 "2:	stxr	%w1, %w3, [%2]\n"
			 "	cbnz	%w1, 1b\n"
			 : "=&r"(busy), "=&r"(tmp)
			 : "r"(lock), "r"(1u)
			 : "memory");
}

void arch_spin_unlock(uint32_t *lock)
{
	__asm__ volatile("stlr	wzr, [%0]" : : "r"(lock) : "memory");
}

static uint64_t psci_call(bool smc, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	if (smc)
		__asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
	else
		__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
	return x0;
}

static const char *psci_start(const struct fdt *fdt, struct smp_cpu *c)
{
	int node = fdt_find_compatible(fdt, -1, "arm,psci-1.0");
	if (node < 0)
		node = fdt_find_compatible(fdt, -1, "arm,psci-0.2");
	if (node < 0)
		return "no PSCI 0.2+ node in the device tree";
	const char *m = fdt_getprop_str(fdt, node, "method");
	/* An hvc from EL2 would trap to ourselves: only a firmware at EL3 (smc) can start cores. */
	if (!m || strcmp(m, "smc") != 0)
		return "PSCI method is not smc (hvc cannot reach firmware from EL2)";
	int64_t r = (int64_t)psci_call(true, PSCI_CPU_ON_64, c->mpidr, (uintptr_t)secondary_entry,
				       (uintptr_t)c);
	if (r == PSCI_SUCCESS)
		return NULL;
	return r == PSCI_ALREADY_ON ? "PSCI CPU_ON: already on" : "PSCI CPU_ON refused";
}

/* The release slot must be RAM outside the hypervisor's image. */
static bool slot_usable(uint64_t addr)
{
	uint64_t img = (uintptr_t)__image_start, img_end = (uintptr_t)__image_end;

	if (addr + 8 < addr || (addr < img_end && addr + 8 > img) || addr % 8)
		return false;
	for (size_t i = 0; i < mm.nram; i++)
		if (addr >= mm.ram[i].base && addr + 8 <= mm.ram[i].base + mm.ram[i].size)
			return true;
	return false;
}

static const char *spin_table_start(struct smp_cpu *c, uint64_t release_addr)
{
	if (!slot_usable(release_addr))
		return "spin-table release address outside RAM or on the hypervisor";
	volatile uint64_t *slot = (volatile uint64_t *)(uintptr_t)release_addr;
	*slot = (uintptr_t)secondary_entry;
	dcache_clean_inval_range((const void *)(uintptr_t)release_addr, 8);
	__asm__ volatile("sev" ::: "memory");
	(void)c;
	return NULL;
}

const char *arch_cpu_start(const void *fdt_, struct smp_cpu *c, int method, uint64_t release_addr)
{
	struct smp_boot_block *b = &smp_boot_block;

	if (method != CPU_ENABLE_PSCI && method != CPU_ENABLE_SPIN_TABLE)
		return method == CPU_ENABLE_NONE ? "no enable-method in its cpu node"
						 : "unknown or malformed enable-method";
	b->mpidr = c->mpidr;
	b->mair = read_sysreg(mair_el2);
	b->tcr = read_sysreg(tcr_el2);
	b->ttbr0 = read_sysreg(ttbr0_el2);
	b->sctlr = read_sysreg(sctlr_el2);
	b->vbar = read_sysreg(vbar_el2);
	b->cpu = (uintptr_t)c;
	b->stack_top = c->stack_top;
	/* What the core reads with its caches off, and its table entry (read
	 * with them on, but cleaned anyway: nothing stale for its first loads). */
	dcache_clean_inval_range(b, sizeof(*b));
	dcache_clean_inval_range(c, sizeof(*c));
	if (method == CPU_ENABLE_PSCI)
		return psci_start(fdt_, c);
	return spin_table_start(c, release_addr);
}
