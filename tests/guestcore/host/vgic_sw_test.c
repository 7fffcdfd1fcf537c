/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The emulated CPU interface's backend (arch/arm/vgic/vgic_sw.c) on the host,
 * HCR_EL2 faked (fake_sysreg/arch/sysreg.h): it raises a vCPU's virtual IRQ
 * line (HCR_EL2.VI) when the vCPU has an interrupt to take, drops it when it
 * has none, and drops it when the vCPU leaves the core (vgic_save): a line
 * left up on a core whose vCPU is gone kept that core from sleeping.
 *   vgic_sw_test <guest.dtb>
 */
#include <string.h>

#include <arch/sysreg_bits.h>
#include <arch/vgic.h>
#include <mamoru/emulator.h>
#include <mamoru/guest.h>

#include "check.h"
#include "stub.h"

#define GICD_CTLR 0x000
#define GICD_ISENABLER 0x100
#define GICD_IPRIORITYR 0x400
#define GICC_CTLR 0x000
#define GICC_PMR 0x004
#define GICC_IAR 0x00c
#define GICC_EOIR 0x010
#define VTIMER 27

uint64_t fake_hcr_el2;

static struct guest g;     /* reachable: LeakSanitizer does not count its devices */

static uint64_t base_of(const char *name)
{
	for (unsigned i = 0; i < g.nvdevs; i++)
		if (!strcmp(g.vdevs[i].name, name))
			return g.vdevs[i].base;
	return 0;
}

static uint64_t mmio(uint64_t addr, bool write, uint64_t val)
{
	CHECK(guest_mmio(&g, addr, write, 4, &val) == GUEST_MMIO_OK);
	return val;
}

static bool line_up(void)
{
	return (fake_hcr_el2 & HCR_VI) != 0;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	const struct fdt *fdt = read_fdt(argv[1]);
	CHECK(vgic_host_init() == 0);
	strcpy(g.name, "guest0");
	CHECK(emulators_probe(&g, fdt) == NULL);
	uint64_t gicd = base_of("gicv2-dist"), gicc = base_of("gicv2-cpu");
	CHECK(gicd && gicc);
	struct vgic *v = &g.arch.vgic;
	fake_hcr_el2 = HCR_VM | HCR_IMO;      /* the other bits stay as they are */

	/* Nothing pending: the line stays down. */
	vgic_flush(v, 0);
	CHECK(!line_up());

	/* The virtual timer's PPI, enabled, above the priority mask: up. */
	mmio(gicd + GICD_CTLR, true, 1);
	mmio(gicd + GICD_ISENABLER, true, 1u << VTIMER);
	mmio(gicd + GICD_IPRIORITYR + VTIMER / 4 * 4, true, 0xa0u << (VTIMER % 4 * 8));
	mmio(gicc + GICC_CTLR, true, 1);
	mmio(gicc + GICC_PMR, true, 0xff);
	vgic_raise_private(v, 0, VTIMER);
	vgic_flush(v, 0);
	CHECK(line_up());
	CHECK((fake_hcr_el2 & (HCR_VM | HCR_IMO)) == (HCR_VM | HCR_IMO));

	/* The vCPU leaves the core with it pending: the line goes down with it... */
	vgic_save(v, 0);
	CHECK(!line_up());
	CHECK((fake_hcr_el2 & (HCR_VM | HCR_IMO)) == (HCR_VM | HCR_IMO));
	/* ...and comes back up when it is entered again, the interrupt still pending. */
	vgic_restore(v, 0);
	vgic_flush(v, 0);
	CHECK(line_up());

	/* Acknowledged: nothing else to take, down; after the EOI still down. */
	CHECK(mmio(gicc + GICC_IAR, false, 0) == VTIMER);
	vgic_flush(v, 0);
	CHECK(!line_up());
	mmio(gicc + GICC_EOIR, true, VTIMER);
	vgic_flush(v, 0);
	CHECK(!line_up());

	/* Saved with nothing pending: nothing changes. */
	vgic_save(v, 0);
	CHECK(fake_hcr_el2 == (HCR_VM | HCR_IMO));
	return check_summary("vgic_sw_test");
}
