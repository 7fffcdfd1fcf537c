/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The emulated GICv2 distributor (arch/arm/vgic/vgic.c) and the EMULATOR()
 * table (core/emulator.c) on the host, the vGIC backend stubbed.
 *   vgic_test probe <guest.dtb>   instantiate the guest's devices; print them or the error
 *   vgic_test regs <guest.dtb>    distributor register checks through guest_mmio()
 */
#include <inttypes.h>
#include <string.h>

#include <arch/guest_irq.h>
#include <arch/vgic.h>
#include <mamoru/emulator.h>
#include <mamoru/guest.h>

#include "check.h"
#include "stub.h"

#define CTLR 0x000
#define TYPER 0x004
#define IGROUPR 0x080
#define ISENABLER 0x100
#define ICENABLER 0x180
#define ISPENDR 0x200
#define ICPENDR 0x280
#define ISACTIVER 0x300
#define ICACTIVER 0x380
#define IPRIORITYR 0x400
#define ITARGETSR 0x800
#define ICFGR 0xc00
#define SGIR 0xf00
#define CPENDSGIR 0xf10
#define SPENDSGIR 0xf20
#define ICPIDR2 0xfe8

/* Reachable from here, so LeakSanitizer does not count the devices as leaks. */
static struct guest g;
static uint64_t gicd;

static const char *probe(const char *path)
{
	size_t size;
	void *blob = read_file(path, &size);
	static struct fdt fdt;
	if (fdt_init(&fdt, blob, size))
		return "bad device tree";
	if (vgic_host_init())
		return "no vgic backend";
	strcpy(g.name, "guest0");
	const char *why = emulators_probe(&g, &fdt);
	for (unsigned i = 0; i < g.nvdevs; i++) {
		if (!strcmp(g.vdevs[i].name, "gicv2-dist"))
			gicd = g.vdevs[i].base;
	}
	return why;
}

static uint64_t rd(uint64_t off, unsigned size)
{
	uint64_t v = 0xdeadbeef;
	CHECK(guest_mmio(&g, gicd + off, false, size, &v) == GUEST_MMIO_OK);
	return v;
}

static void wr(uint64_t off, unsigned size, uint64_t v)
{
	CHECK(guest_mmio(&g, gicd + off, true, size, &v) == GUEST_MMIO_OK);
}

static bool pending(unsigned irq)
{
	return (rd(ISPENDR + irq / 32 * 4, 4) >> (irq % 32)) & 1;
}

static void regs(void)
{
	/* What a guest reads after reset. */
	CHECK(rd(CTLR, 4) == 0);
	CHECK(rd(TYPER, 4) == 1);                    /* 64 interrupts, one CPU */
	CHECK(rd(ICPIDR2, 4) == 0x20);
	CHECK(rd(ISENABLER, 4) == 0xffff);           /* SGIs always enabled */
	CHECK(rd(IPRIORITYR + 40, 4) == 0xa0a0a0a0);
	CHECK(rd(ICFGR, 4) == 0xaaaaaaaa);           /* SGIs edge-triggered */
	wr(CTLR, 4, 1);
	CHECK(rd(CTLR, 4) == 1);

	/* Byte access where the architecture allows it: priorities and targets. */
	wr(IPRIORITYR + 33, 1, 0x80);
	CHECK(rd(IPRIORITYR + 32, 4) == 0xa0a080a0);
	CHECK(rd(IPRIORITYR + 33, 1) == 0x80);
	wr(IPRIORITYR + 36, 4, 0x11223344);
	CHECK(rd(IPRIORITYR + 36, 1) == 0x44 && rd(IPRIORITYR + 39, 1) == 0x11);
	CHECK(rd(ITARGETSR + 40, 1) == 0x01 && rd(ITARGETSR + 40, 4) == 0x01010101);
	wr(ITARGETSR + 40, 1, 0x02);                 /* one vCPU: fixed */
	CHECK(rd(ITARGETSR + 40, 1) == 0x01);

	/* Word-only registers ignore byte, halfword and misaligned accesses. */
	wr(ISENABLER + 4, 1, 0xff);
	wr(ISENABLER + 4, 2, 0xffff);
	wr(ISENABLER + 6, 4, 0xffffffff);
	CHECK(rd(ISENABLER + 4, 4) == 0);
	CHECK(rd(ISENABLER, 1) == 0 && rd(CTLR, 1) == 0);

	/* Beyond the 64 implemented interrupts: read as zero, writes ignored. */
	wr(ISENABLER + 8, 4, 0xffffffff);
	CHECK(rd(ISENABLER + 8, 4) == 0);
	wr(IPRIORITYR + 64, 4, 0x12345678);
	CHECK(rd(IPRIORITYR + 64, 4) == 0 && rd(IPRIORITYR + 63, 1) == 0xa0);
	wr(IPRIORITYR + 62, 4, 0x12345678);          /* straddles the end */
	CHECK(rd(IPRIORITYR + 62, 4) == 0x5678);
	CHECK(rd(ITARGETSR + 64, 4) == 0);
	CHECK(rd(ICFGR + 16, 4) == 0);
	CHECK(rd(0xffc, 4) == 0);
	wr(0xffc, 4, 1);

	/* Enable, pending, active. */
	wr(ISENABLER + 4, 4, 1u << 1);
	CHECK(rd(ISENABLER + 4, 4) == 2 && rd(ICENABLER + 4, 4) == 2);
	wr(ICENABLER + 4, 4, 0xffffffff);
	wr(ICENABLER, 4, 0xffffffff);
	CHECK(rd(ISENABLER + 4, 4) == 0 && rd(ISENABLER, 4) == 0xffff);
	wr(ISPENDR + 4, 4, 1u << 7);
	CHECK(pending(39) && rd(ICPENDR + 4, 4) == 1u << 7);
	wr(ICPENDR + 4, 4, 1u << 7);
	CHECK(!pending(39));
	wr(ISPENDR, 4, 0xffffffff);                  /* SGI bits: use SPENDSGIR */
	CHECK(rd(ISPENDR, 4) == 0xffff0000);
	wr(ICPENDR, 4, 0xffffffff);
	CHECK(rd(ISPENDR, 4) == 0);
	wr(ISACTIVER + 4, 4, 5);
	CHECK(rd(ISACTIVER + 4, 4) == 5 && rd(ICACTIVER + 4, 4) == 5);
	wr(ICACTIVER + 4, 4, 1);
	CHECK(rd(ISACTIVER + 4, 4) == 4);
	wr(ICACTIVER + 4, 4, 4);
	wr(IGROUPR + 4, 4, 0xf0);
	CHECK(rd(IGROUPR + 4, 4) == 0xf0);

	/* ICFGR: SGI/PPI configuration fixed, SPIs take only the edge bits. */
	wr(ICFGR, 4, 0);
	wr(ICFGR + 4, 4, 0xffffffff);
	CHECK(rd(ICFGR, 4) == 0xaaaaaaaa && rd(ICFGR + 4, 4) == 0);
	wr(ICFGR + 8, 4, 0xffffffff);
	CHECK(rd(ICFGR + 8, 4) == 0xaaaaaaaa);
	wr(ICFGR + 12, 4, 0x00000002);
	CHECK(rd(ICFGR + 12, 4) == 2);

	/* GICD_SGIR: target list filter 0 (list), 1 (others), 2 (self). */
	CHECK(rd(ISPENDR, 4) == 0);
	wr(SGIR, 4, (0u << 24) | (0x01u << 16) | 5);   /* list: vCPU 0 */
	CHECK(pending(5));
	wr(SGIR, 4, (0u << 24) | (0x02u << 16) | 6);   /* list: vCPU 1, which does not exist */
	CHECK(!pending(6));
	wr(SGIR, 4, (1u << 24) | (0xffu << 16) | 7);   /* all but self: nobody */
	CHECK(!pending(7));
	wr(SGIR, 4, (2u << 24) | 8);                   /* self */
	CHECK(pending(8));
	wr(SGIR, 4, (3u << 24) | (0xffu << 16) | 9);   /* reserved filter */
	CHECK(!pending(9));
	CHECK(rd(SGIR, 4) == 0);                       /* write-only */
	CHECK(vgic_has_pending(&g.arch.vgic, 0));              /* SGIs are enabled, the distributor too */
	CHECK(rd(SPENDSGIR + 5, 1) == 1 && rd(CPENDSGIR + 4, 4) == 0x00000100);
	wr(CPENDSGIR + 5, 1, 1);
	wr(CPENDSGIR + 8, 1, 1);
	CHECK(!pending(5) && !pending(8));
	wr(SPENDSGIR + 12, 4, 0x01000001);             /* SGIs 12 and 15 */
	CHECK(pending(12) && pending(15) && !pending(13));
	wr(CPENDSGIR + 12, 4, 0x01000001);
	CHECK(rd(ISPENDR, 4) == 0);

	/* The guest's UART raises its SPI through arch_guest_irq(): a level. */
	struct vdev *uart = NULL;
	for (unsigned i = 0; i < g.nvdevs; i++)
		if (!strcmp(g.vdevs[i].name, "pl011"))
			uart = &g.vdevs[i];
	CHECK(uart != NULL);
	if (uart) {
		uint64_t v = 1u << 4;                  /* IMSC: receive */
		CHECK(guest_mmio(&g, uart->base + 0x38, true, 4, &v) == GUEST_MMIO_OK);
		CHECK(guest_console_input(&g, 'a'));
		CHECK(pending(33));
		CHECK(guest_mmio(&g, uart->base, false, 4, &v) == GUEST_MMIO_OK && v == 'a');
		CHECK(!pending(33));
	}

	/* Passthrough: a forwarded SPI's completion is reported (the host then unmasks
	 * it); other interrupts', and SGIs/PPIs marked forwarded, are not. */
	arch_guest_irq_forward(&g, 50);
	arch_guest_irq_forward(&g, 10);
	CHECK(arch_guest_irq_count() == 64);
	arch_guest_irq_raise(&g, 50);
	CHECK(pending(50));
	vgic_completed(&g.arch.vgic, 51);
	vgic_completed(&g.arch.vgic, 10);
	CHECK(stub_eoi_calls == 0);
	vgic_completed(&g.arch.vgic, 50);
	CHECK(stub_eoi_calls == 1 && stub_eoi_virq == 50);

	/* A guest reset puts the distributor back (and forgets what is forwarded: core
	 * marks it again, passthrough_reset). */
	wr(ISPENDR + 4, 4, 1);
	guest_reset_vdevs(&g);
	vgic_completed(&g.arch.vgic, 50);
	CHECK(stub_eoi_calls == 1);
	CHECK(rd(CTLR, 4) == 0 && rd(ISPENDR + 4, 4) == 0 && rd(IPRIORITYR + 36, 1) == 0xa0 &&
	      rd(ICFGR + 8, 4) == 0 && rd(IGROUPR + 4, 4) == 0);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	const char *why = probe(argv[2]);
	if (!strcmp(argv[1], "probe")) {
		if (why) {
			printf("error: %s\n", why);
			return 0;
		}
		for (unsigned i = 0; i < g.nvdevs; i++)
			printf("device %s 0x%" PRIx64 " 0x%" PRIx64 "\n", g.vdevs[i].name, g.vdevs[i].base,
			       g.vdevs[i].size);
		printf("cpu interface 0x%" PRIx64 "\n", stub_gicc_ipa);
		printf("ok irqchip=%s console=%s\n", g.irqchip ? g.irqchip : "-", g.console.ops ? "yes" : "no");
		return 0;
	}
	if (why) {
		printf("error: %s\n", why);
		return 1;
	}
	regs();
	return check_summary("vgic_test");
}
