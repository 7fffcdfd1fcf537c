/* SPDX-License-Identifier: GPL-2.0-only */
/* The small CPU services core calls through arch/cpu.h (no inline asm in core). */
#include <arch/cpu.h>
#include <arch/guest_irq.h>
#include <arch/sysreg.h>
#include <arch/vgic.h>
#include <arch/vtimer.h>
#include <mamoru/console.h>
#include <mamoru/smp.h>

unsigned cpu_current_el(void) { return current_el(); }

const unsigned cpu_boot_level = 2;
const char cpu_boot_hint[] = "start it as a Linux kernel from EL2 (QEMU: -M virt,virtualization=on; "
			     "Raspberry Pi: the firmware's default armstub)";

const char *cpu_level_name(unsigned level)
{
	static const char *const names[] = {"EL0", "EL1", "EL2", "EL3"};
	return level < 4 ? names[level] : "EL?";
}
void cpu_irq_mask(void) { irq_mask(); }
void cpu_irq_unmask(void) { irq_unmask(); }
void cpu_wait_irq(void) { wfi(); }

#ifdef CONFIG_VCPU_PIN
/* On another core (smp_call): its virtual CPU interface and timer; then its
 * vCPUs may run there (vcpu_pin.h). */
static void virt_init_here(void *arg)
{
	int *err = arg;
	*err = vgic_cpu_init() || vtimer_cpu_init() || timer_cpu_init();
	if (!*err)
		smp_store_release(&smp_this()->runs_vcpus, 1);
}

static void virt_init_cores(void)
{
	unsigned ready = 0, n = smp_cpu_count();
	for (unsigned k = 1; k < n; k++) {
		static int err;
		err = -1;
		int r = smp_call(k, virt_init_here, &err);
		if (r || err)
			printk("vcpus: cpu%u cannot run vCPUs (%s)\n", k,
			       r ? smp_err_name(r) : "its virtual CPU interface or timers did not start");
		else
			ready++;
	}
	if (n > 1)
		printk("vcpus: pinned, vCPU i on cpu i (%u of %u cores ready)\n", ready + 1, n);
}
#else
static void virt_init_cores(void) {}
#endif

int arch_virt_init(const void *fdt)
{
	if (vgic_host_init()) {
		printk("guests: this host has no usable virtual interrupt controller; guests cannot run\n");
		return -1;
	}
	printk("vgic: %s\n", vgic_backend_name());
	if (vtimer_host_init(fdt))
		printk("warning: no virtual timer interrupt; guests will not get timer ticks\n");
	virt_init_cores();
	return 0;
}

const char *arch_guest_irq_model(void) { return vgic_backend_name(); }
