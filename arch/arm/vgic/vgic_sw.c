/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vGIC backend without hardware help: the guest's GICv2 CPU interface is
 * emulated (its accesses trap through stage 2; the registers, banked per
 * vCPU, are vgic_cpuif.c) and a pending interrupt is signalled with
 * HCR_EL2.VI. Used on the Raspberry Pi 3, which has no GIC, and on GICv3
 * hosts. Costs a trap for each acknowledge and EOI.
 */
#include <arch/sysreg.h>
#include <arch/sysreg_bits.h>
#include <arch/vgic.h>
#include <mamoru/guest.h>

#define GICC_SIZE 0x2000

static int sw_host_init(void)
{
	return 0;   /* needs nothing from the host */
}

static int sw_guest_init(struct vgic *v, uint64_t gicc_ipa, uint64_t gicc_size)
{
	struct guest *g = v->guest;
	(void)gicc_size;
	return guest_add_vdev(g, "gicv2-cpu", gicc_ipa, GICC_SIZE, &vgic_cpuif_ops, v) ? 0 : -1;
}

/* Raise or drop vCPU cpu's virtual IRQ line before entering it. */
static void sw_flush(struct vgic *v, unsigned cpu)
{
	uint64_t hcr = read_sysreg(hcr_el2);
	uint64_t want = vgic_cpuif_highest(v, cpu) != VGIC_SPURIOUS ? (hcr | HCR_VI) : (hcr & ~HCR_VI);
	if (want != hcr)
		write_sysreg(hcr_el2, want);
}

/* The vCPU leaves the core: its line goes down with it. A VI left set would
 * signal an interrupt to whatever runs next on the core, and to the core itself:
 * a core whose vCPU is gone (reset, CPU_OFF) with VI set never sleeps in WFI
 * under QEMU, whose WFI wakes on a pending virtual IRQ even at EL2. */
static void sw_save(struct vgic *v, unsigned cpu)
{
	(void)v;
	(void)cpu;
	uint64_t hcr = read_sysreg(hcr_el2);
	if (hcr & HCR_VI) {
		write_sysreg(hcr_el2, hcr & ~HCR_VI);
		isb();
	}
}

static void sw_sync(struct vgic *v, unsigned cpu)
{
	(void)v;
	(void)cpu;
}

static void sw_reset(struct vgic *v)
{
	(void)v;    /* vgic_reset cleared every vCPU's CTLR, PMR and BPR */
}

const struct vgic_backend vgic_sw_backend = {
	.name = "emulated gicv2 cpu interface",
	.host_init = sw_host_init,
	.guest_init = sw_guest_init,
	.flush = sw_flush,
	.sync = sw_sync,
	.save = sw_save,
	.reset = sw_reset,
};
