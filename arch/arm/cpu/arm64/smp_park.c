/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The secondary cores of spin-table boards (the Raspberry Pis): Mamoru runs on
 * the boot CPU only, so the others are moved out of the firmware's spin loop
 * into secondary_park (head.S), where they sleep in WFI inside the
 * hypervisor's image. They no longer depend on the firmware's page staying
 * intact, and under QEMU they stop burning host time. Done before the MMU is
 * on: both sides then access memory uncached, so no cache maintenance is needed.
 * A core refused here or silent stays in the firmware's loop reading its release
 * slot: mm_discover has reserved every slot's page (fdt_next_release_slot), so no
 * guest can write an entry address there. PSCI boards (QEMU virt) keep their
 * secondaries off until CPU_ON.
 *
 * This is the single-core build (Kconfig SMP off); with SMP the cores come into
 * the hypervisor proper (smp_boot.c) and this does nothing.
 */
#include <arch/cpu.h>
#include <arch/sysreg.h>
#include <mamoru/console.h>
#include <mamoru/fdt_cpus.h>
#include <mamoru/mm.h>

#define MPIDR_AFF_MASK 0xff00ffffffull
#define PARK_WAIT_MS 1000

extern char secondary_park[];
volatile uint8_t secondary_parked[8];   /* by Aff0 & 7, written by secondary_park */

#ifdef CONFIG_SMP
void arch_park_secondaries(const void *fdt) { (void)fdt; }
void arch_smp_report(void) {}
#else

static struct {
	int cpus, parked, silent, refused;
	enum cpu_enable method;
} smp;

static bool slot_usable(uint64_t addr)
{
	uint64_t img = (uintptr_t)__image_start, img_end = (uintptr_t)__image_end;

	if (addr + 8 < addr || (addr < img_end && addr + 8 > img))
		return false;           /* wraps, or would overwrite the hypervisor */
	for (size_t i = 0; i < mm.nram; i++)
		if (addr >= mm.ram[i].base && addr + 8 <= mm.ram[i].base + mm.ram[i].size)
			return true;
	return false;
}

/* Waits (up to PARK_WAIT_MS in all) for every released core to say it arrived. */
static void wait_parked(const uint8_t *released)
{
	uint64_t freq = read_sysreg(cntfrq_el0), start = read_sysreg(cntpct_el0);
	uint64_t limit = freq / 1000 * PARK_WAIT_MS;

	for (;;) {
		int waiting = 0;

		for (unsigned i = 0; i < 8; i++)
			waiting += released[i] && !secondary_parked[i];
		if (!waiting || read_sysreg(cntpct_el0) - start > limit)
			break;
		__asm__ volatile("yield");  /* QEMU's TCG: let the other vCPUs run now */
	}
	for (unsigned i = 0; i < 8; i++) {
		if (released[i] && secondary_parked[i])
			smp.parked++;
		else if (released[i])
			smp.silent++;
	}
}

void arch_park_secondaries(const void *fdt_)
{
	const struct fdt *fdt = fdt_;
	struct fdt_cpu cpus[FDT_CPUS_MAX];
	uint8_t released[8] = {0};
	uint64_t self = read_sysreg(mpidr_el1) & MPIDR_AFF_MASK;
	int n = fdt_cpus(fdt, cpus, FDT_CPUS_MAX), nreleased = 0;

	smp.cpus = n < 0 ? 1 : n;
	for (int i = 0; i < n && i < FDT_CPUS_MAX; i++) {
		struct fdt_cpu *c = &cpus[i];

		if ((c->mpidr & MPIDR_AFF_MASK) == self)
			continue;
		if (c->enable != CPU_ENABLE_SPIN_TABLE) {
			if (c->enable == CPU_ENABLE_BAD)
				smp.refused++;
			else if (!smp.method)
				smp.method = c->enable;
			continue;
		}
		smp.method = CPU_ENABLE_SPIN_TABLE;
		if (!slot_usable(c->release_addr) || (c->mpidr & ~7ull) != (self & ~7ull) ||
		    released[c->mpidr & 7]) {
			smp.refused++;      /* outside RAM, on us, or an Aff0 we cannot index */
			continue;
		}
		*(volatile uint64_t *)(uintptr_t)c->release_addr = (uintptr_t)secondary_park;
		released[c->mpidr & 7] = 1;
		nreleased++;
	}
	if (!nreleased)
		return;
	dsb_sy();
	__asm__ volatile("sev" ::: "memory");
	wait_parked(released);
}

void arch_smp_report(void)
{
	printk("  cpus: %d in the device tree, Mamoru on the boot CPU", smp.cpus);
	if (smp.method == CPU_ENABLE_SPIN_TABLE)
		printk("; %d parked in the hypervisor (spin-table)", smp.parked);
	else if (smp.method == CPU_ENABLE_PSCI)
		printk("; the others off (psci)");
	if (smp.silent)
		printk("; %d did not come (still in the firmware)", smp.silent);
	if (smp.refused)
		printk("; %d left alone (unusable enable method or release address)", smp.refused);
	printk("\n");
}
#endif
