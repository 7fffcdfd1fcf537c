/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The emulated GICv2 distributor (arch/arm/vgic/vgic.c) and the EMULATOR()
 * table (core/emulator.c) on the host, the vGIC backend stubbed.
 *   vgic_test probe <guest.dtb>   instantiate the guest's devices; print them or the error
 *   vgic_test regs <guest.dtb>    distributor register checks through guest_mmio()
 *   vgic_test smp <guest.dtb>     the same guest with 4 vCPUs: banked SGIs/PPIs, SGIR, SPI
 *                                 routing, the emulated CPU interface (vgic_cpuif.c) per vCPU,
 *                                 vgic_kick_wanted against vgic_deliverable on random states
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
	wr(IGROUPR + 4, 4, 0);                          /* a whole word: zeroes are written */
	CHECK(rd(IGROUPR + 4, 4) == 0);
	wr(IGROUPR + 4, 4, 0xf0);

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
	vgic_completed(&g.arch.vgic, 0, 51);
	vgic_completed(&g.arch.vgic, 0, 10);
	CHECK(stub_eoi_calls == 0);
	vgic_completed(&g.arch.vgic, 0, 50);
	CHECK(stub_eoi_calls == 1 && stub_eoi_virq == 50);

	/* A guest reset puts the distributor back (and forgets what is forwarded: core
	 * marks it again, passthrough_reset). */
	wr(ISPENDR + 4, 4, 1);
	guest_reset_vdevs(&g);
	vgic_completed(&g.arch.vgic, 0, 50);
	CHECK(stub_eoi_calls == 1);
	CHECK(rd(CTLR, 4) == 0 && rd(ISPENDR + 4, 4) == 0 && rd(IPRIORITYR + 36, 1) == 0xa0 &&
	      rd(ICFGR + 8, 4) == 0 && rd(IGROUPR + 4, 4) == 0);
}

/* --- several vCPUs ------------------------------------------------------------------- */

#define GICC_CTLR 0x000
#define GICC_PMR 0x004
#define GICC_IAR 0x00c
#define GICC_EOIR 0x010
#define GICC_RPR 0x014
#define GICC_HPPIR 0x018

/* The following accesses come from vCPU cpu. */
static void as(unsigned cpu)
{
	stub_current_vcpu = cpu;
}

static struct vdev cpuif;   /* the emulated CPU interface, driven directly */

static uint64_t cpu_rd(uint64_t off)
{
	uint64_t v = 0xdeadbeef;
	CHECK(vgic_cpuif_ops.read(&cpuif, off, 4, &v) == 0);
	return v;
}

static void cpu_wr(uint64_t off, uint64_t v)
{
	CHECK(vgic_cpuif_ops.write(&cpuif, off, 4, v) == 0);
}

static uint64_t sgi_sources(unsigned sgi)
{
	return rd(SPENDSGIR + sgi, 1);
}

static bool has_pending(unsigned cpu)
{
	return vgic_has_pending(&g.arch.vgic, cpu);
}

static bool deliverable(unsigned cpu, unsigned irq)
{
	return vgic_deliverable(&g.arch.vgic, cpu, irq);
}

static void sgis(void)
{
	/* Reset: TYPER.CPUNumber, each vCPU reads its own bit in ITARGETSR0-7. */
	CHECK(rd(TYPER, 4) == (1u | 3u << 5));
	as(2);
	CHECK(rd(ITARGETSR, 4) == 0x04040404 && rd(ITARGETSR + 27, 1) == 0x04);
	wr(ITARGETSR + 27, 1, 0x01);                   /* read-only */
	CHECK(rd(ITARGETSR + 27, 1) == 0x04);
	as(1);
	CHECK(rd(ITARGETSR + 31, 1) == 0x02 && rd(ITARGETSR + 32, 1) == 0x01);
	wr(CTLR, 4, 1);
	for (unsigned c = 0; c < 4; c++)
		CHECK_MSG(!has_pending(c), "vCPU %u has something pending after reset", c);

	/* Filter 0: the list (vCPUs 1 and 2; bit 6 names no vCPU), source vCPU 0. */
	as(0);
	wr(SGIR, 4, (0u << 24) | (0x46u << 16) | 3);
	as(1);
	CHECK(sgi_sources(3) == 0x01 && pending(3));
	as(2);
	CHECK(sgi_sources(3) == 0x01 && pending(3));
	as(0);
	CHECK(sgi_sources(3) == 0 && !pending(3));
	as(3);
	CHECK(sgi_sources(3) == 0 && !pending(3));
	CHECK(has_pending(1) && has_pending(2) && !has_pending(0) && !has_pending(3));

	/* Filter 1: all but the sender (vCPU 2). */
	as(2);
	wr(SGIR, 4, (1u << 24) | (0x00u << 16) | 4);
	CHECK(sgi_sources(4) == 0 && !pending(4));
	for (unsigned c = 0; c < 4; c += 1 + (c == 1)) {   /* 0, 1, 3 */
		as(c);
		CHECK_MSG(sgi_sources(4) == 0x04, "vCPU %u: SGI 4 sources 0x%x", c,
			  (unsigned)sgi_sources(4));
	}

	/* Filter 2: the sender only. */
	as(3);
	wr(SGIR, 4, (2u << 24) | (0x0fu << 16) | 5);
	CHECK(sgi_sources(5) == 0x08);
	for (unsigned c = 0; c < 3; c++) {
		as(c);
		CHECK(sgi_sources(5) == 0);
	}

	/* A second source of SGI 3 at vCPU 1 (from vCPU 3); the word view of SPENDSGIR0. */
	as(3);
	wr(SGIR, 4, (0u << 24) | (0x02u << 16) | 3);
	as(1);
	CHECK(sgi_sources(3) == 0x09 && rd(SPENDSGIR, 4) == 0x09000000);
	CHECK(rd(SPENDSGIR + 4, 4) == 0x04);            /* SGI 4 from vCPU 2 */

	/* vCPU 1's CPU interface takes them one source at a time, the source in IAR[12:10]. */
	cpuif.priv = &g.arch.vgic;
	as(1);
	cpu_wr(GICC_CTLR, 1);
	cpu_wr(GICC_PMR, 0xff);
	CHECK(cpu_rd(GICC_HPPIR) == 3);
	CHECK(cpu_rd(GICC_IAR) == 3);                  /* from vCPU 0 */
	CHECK(sgi_sources(3) == 0x08 && cpu_rd(GICC_RPR) == 0xa0);
	CHECK(cpu_rd(GICC_IAR) == 1023);               /* SGI 4 has no higher priority */
	cpu_wr(GICC_EOIR, 3 | 3u << 10);               /* not the source it acknowledged */
	CHECK(rd(ISACTIVER, 4) == 1u << 3);
	cpu_wr(GICC_EOIR, 3);
	CHECK(rd(ISACTIVER, 4) == 0 && cpu_rd(GICC_RPR) == 0xff);
	CHECK(cpu_rd(GICC_HPPIR) == (3 | 3u << 10));
	CHECK(cpu_rd(GICC_IAR) == (3 | 3u << 10));     /* the second source, after the first */
	cpu_wr(GICC_EOIR, 3 | 3u << 10);
	CHECK(cpu_rd(GICC_IAR) == (4 | 2u << 10));
	cpu_wr(GICC_EOIR, 4 | 2u << 10);
	CHECK(cpu_rd(GICC_IAR) == 1023 && !has_pending(1));

	/* The other vCPUs' interfaces are their own: still disabled, nothing acknowledged. */
	as(0);
	CHECK(cpu_rd(GICC_CTLR) == 0 && cpu_rd(GICC_PMR) == 0 && cpu_rd(GICC_IAR) == 1023);
	CHECK(sgi_sources(4) == 0x04 && has_pending(0));
	cpu_wr(GICC_CTLR, 1);
	cpu_wr(GICC_PMR, 0xff);
	CHECK(cpu_rd(GICC_IAR) == (4 | 2u << 10));
	as(1);
	CHECK(cpu_rd(GICC_RPR) == 0xff);               /* vCPU 0's active SGI is not vCPU 1's */
	as(0);
	CHECK(cpu_rd(GICC_RPR) == 0xa0);
	cpu_wr(GICC_EOIR, 4 | 2u << 10);
	CHECK(!has_pending(0));

	/* CPENDSGIR/SPENDSGIR: the reader's bank, source bits of existing vCPUs only. */
	as(3);
	CHECK(rd(SPENDSGIR + 4, 4) == 0x0804);          /* SGI 4 from 2, SGI 5 from 3 */
	wr(CPENDSGIR + 4, 4, 0xffff);
	CHECK(!has_pending(3) && rd(ISPENDR, 4) == 0);
	wr(SPENDSGIR + 9, 1, 0xff);
	CHECK(sgi_sources(9) == 0x0f);
	as(2);
	CHECK(sgi_sources(9) == 0);
	as(3);
	wr(CPENDSGIR + 8, 4, 0x0f00);
	CHECK(sgi_sources(9) == 0 && !has_pending(3));
	as(2);
	CHECK(sgi_sources(3) == 0x01);                  /* from the first SGIR, never taken */
	wr(CPENDSGIR + 3, 1, 0x01);
	for (unsigned c = 0; c < 4; c++)
		CHECK_MSG(!has_pending(c), "vCPU %u still has something pending", c);
}

static void ppis(void)
{
	struct vgic *v = &g.arch.vgic;
	/* Enable and priority of PPI 27 written by vCPU 1 are invisible to vCPU 0. */
	as(1);
	wr(ISENABLER, 4, 1u << 27);
	wr(IPRIORITYR + 27, 1, 0x40);
	CHECK(rd(ISENABLER, 4) == (0xffffu | 1u << 27) && rd(IPRIORITYR + 24, 4) == 0x40a0a0a0);
	as(0);
	CHECK(rd(ISENABLER, 4) == 0xffff && rd(IPRIORITYR + 27, 1) == 0xa0);

	/* The virtual timer's PPI of one vCPU. */
	vgic_raise_private(v, 0, 27);                  /* vCPU 0: pending, not enabled */
	CHECK(pending(27) && !has_pending(0) && !deliverable(0, 27));
	as(1);
	CHECK(!pending(27));
	vgic_raise_private(v, 1, 27);
	CHECK(pending(27) && has_pending(1) && deliverable(1, 27));
	CHECK(cpu_rd(GICC_IAR) == 27 && cpu_rd(GICC_RPR) == 0x40);
	cpu_wr(GICC_EOIR, 27);
	CHECK(!has_pending(1));
	as(0);
	wr(ICPENDR, 4, 1u << 27);
	CHECK(!pending(27));

	/* ISPENDR0 and ICENABLER0 writes stay in the writer's bank. */
	as(3);
	wr(ISPENDR, 4, 1u << 20);
	wr(ICENABLER, 4, 0xffffffff);
	CHECK(pending(20) && rd(ISENABLER, 4) == 0xffff);
	as(2);
	CHECK(!pending(20));
	as(1);
	CHECK(rd(ISENABLER, 4) == (0xffffu | 1u << 27));
	as(3);
	wr(ICPENDR, 4, 1u << 20);
	vgic_raise_private(v, 4, 27);                  /* no vCPU 4: ignored */
	for (unsigned c = 0; c < 4; c++)
		CHECK(!has_pending(c));
}

static void spis(void)
{
	struct vgic *v = &g.arch.vgic;
	as(0);
	wr(ISENABLER + 4, 4, 1u << 8);                 /* SPI 40 */
	/* ITARGETSR: byte and word writes, masked to the 4 vCPUs. */
	wr(ITARGETSR + 40, 1, 0xf4);
	CHECK(rd(ITARGETSR + 40, 1) == 0x04 && rd(ITARGETSR + 40, 4) == 0x01010104);
	wr(ITARGETSR + 44, 4, 0x0201ff08);
	CHECK(rd(ITARGETSR + 44, 4) == 0x02010f08);
	as(3);
	CHECK(rd(ITARGETSR + 40, 1) == 0x04);          /* one state, whoever reads it */

	/* SPI 40 to vCPU 2: deliverable there, nowhere else. */
	arch_guest_irq_raise(&g, 40);
	CHECK(vgic_spi_target(v, 40) == 2);
	CHECK(deliverable(2, 40) && has_pending(2));
	CHECK(!deliverable(0, 40) && !has_pending(0) && !has_pending(1) && !has_pending(3));

	/* Several targets: the lowest-numbered only. */
	wr(ITARGETSR + 40, 1, 0x0a);
	CHECK(deliverable(1, 40) && !deliverable(3, 40) && has_pending(1) && !has_pending(3));

	/* No target: not delivered, still pending. */
	wr(ITARGETSR + 40, 1, 0x00);
	CHECK(vgic_spi_target(v, 40) == VGIC_NO_VCPU);
	for (unsigned c = 0; c < 4; c++)
		CHECK(!deliverable(c, 40) && !has_pending(c));
	as(0);
	CHECK(pending(40));

	/* The vCPU that acknowledged it owns it until its EOI. */
	wr(ITARGETSR + 40, 1, 0x04);
	as(2);
	cpu_wr(GICC_CTLR, 1);
	cpu_wr(GICC_PMR, 0xff);
	CHECK(cpu_rd(GICC_IAR) == 40 && cpu_rd(GICC_RPR) == 0xa0);
	wr(ITARGETSR + 40, 1, 0x01);                   /* retargeted while active */
	arch_guest_irq_raise(&g, 40);                  /* and raised again */
	CHECK(!deliverable(0, 40));                    /* never active on two vCPUs */
	as(0);
	CHECK(cpu_rd(GICC_RPR) == 0xff);
	cpu_wr(GICC_EOIR, 40);                         /* not vCPU 0's: ignored */
	CHECK(rd(ISACTIVER + 4, 4) == 1u << 8);
	as(2);
	cpu_wr(GICC_EOIR, 40);
	CHECK(rd(ISACTIVER + 4, 4) == 0 && deliverable(0, 40) && !deliverable(2, 40));

	/* List-register style: in one vCPU's list register it is deliverable nowhere
	 * else, and pending for WFI only there. */
	CHECK(vgic_take(v, 0, 40) == 40);
	vgic_bits_of(v, 0, 40)->in_lr |= 1u << 8;
	wr(ITARGETSR + 40, 1, 0x08);
	CHECK(!deliverable(3, 40) && !deliverable(0, 40));
	CHECK(has_pending(0) && !has_pending(3));
	vgic_completed(v, 0, 40);
	CHECK(!has_pending(0) && !has_pending(3));

	/* A level SPI follows its line on the targeted vCPU. */
	vgic_set_level(v, 40, true);
	CHECK(deliverable(3, 40) && !deliverable(0, 40));
	vgic_set_level(v, 40, false);
	CHECK(!deliverable(3, 40));

	/* An SGI taken for a list register carries its source in bits 12:10. */
	as(2);
	wr(SGIR, 4, (0u << 24) | (0x01u << 16) | 7);
	CHECK(deliverable(0, 7) && vgic_take(v, 0, 7) == (7 | 2u << 10));
	vgic_bits_of(v, 0, 7)->in_lr |= 1u << 7;
	CHECK(!deliverable(0, 7) && has_pending(0));
	vgic_completed(v, 0, 7);
	CHECK(!has_pending(0));

	/* vCPU 3 goes off (PSCI CPU_OFF) holding SPI 41 in a list register, SPI 42 active
	 * (acknowledged), an SGI and a PPI of its own: the SPIs are given back (41 pending
	 * again, 42 neither pending nor active), nothing of its bank stays. */
	wr(ITARGETSR + 41, 1, 0x08);
	wr(ITARGETSR + 42, 1, 0x08);
	wr(ISENABLER + 4, 4, 3u << 9);
	arch_guest_irq_raise(&g, 41);
	arch_guest_irq_raise(&g, 42);
	CHECK(vgic_take(v, 3, 41) == 41 && vgic_take(v, 3, 42) == 42);
	vgic_bits_of(v, 3, 41)->in_lr |= 1u << 9;
	vgic_bits_of(v, 3, 42)->active |= 1u << 10;
	as(0);
	wr(SGIR, 4, (0u << 24) | (0x08u << 16) | 5);
	as(3);
	wr(ISENABLER, 4, 1u << 27);
	wr(IPRIORITYR + 27, 1, 0x40);
	vgic_raise_private(v, 3, 27);
	cpu_wr(GICC_CTLR, 1);
	vgic_vcpu_reset(v, 3);
	CHECK(!(vgic_bits_of(v, 3, 41)->in_lr & (1u << 9)) && pending(41));
	CHECK(!(rd(ISACTIVER + 4, 4) & (1u << 10)) && !pending(42));
	CHECK(sgi_sources(5) == 0 && !(rd(ISENABLER, 4) & (1u << 27)));
	CHECK(rd(IPRIORITYR + 24, 4) == 0xa0a0a0a0 && cpu_rd(GICC_CTLR) == 0);
	wr(ITARGETSR + 41, 1, 0x01);
	CHECK(deliverable(0, 41) && !has_pending(3));  /* delivered again elsewhere */

	/* An SPI in a vCPU's list register cannot be made another's through ISACTIVER. */
	CHECK(vgic_take(v, 0, 41) == 41);
	vgic_bits_of(v, 0, 41)->in_lr |= 1u << 9;
	as(1);
	wr(ISACTIVER + 4, 4, 1u << 9);
	CHECK(v->owner[41] == 0 && !(rd(ISACTIVER + 4, 4) & (1u << 9)));
	vgic_completed(v, 0, 41);

	/* A guest reset keeps the vCPU count and puts the targets back. */
	guest_reset_vdevs(&g);
	as(1);
	CHECK(rd(TYPER, 4) == (1u | 3u << 5) && rd(ITARGETSR + 40, 4) == 0x01010101);
	CHECK(rd(ITARGETSR + 4, 1) == 0x02 && rd(IPRIORITYR + 24, 4) == 0xa0a0a0a0);
	CHECK(cpu_rd(GICC_CTLR) == 0);
}

static uint32_t rand_state = 12345;

static uint32_t rnd(void)
{
	rand_state = rand_state * 1103515245u + 12345u;
	return rand_state >> 8;
}

/* A word of random bits, most of them clear (a few interrupts in each state). */
static uint32_t sparse(void)
{
	return rnd() & rnd() & rnd() & (rnd() | rnd() << 24);
}

static void random_bits(struct vgic_bits *b)
{
	b->enable = sparse() | sparse();
	b->pending = sparse();
	b->level = sparse();
	b->active = sparse();
	b->in_lr = sparse();
	b->eoi_asked = b->in_lr & (rnd() | rnd());
}

/* The reference for vgic_kick_wanted, irq by irq: pending again while in a list register
 * that asks for no EOI maintenance (an SGI from any source, an SPI this vCPU owns). */
static bool pending_again_ref(const struct vgic *v, unsigned cpu, unsigned irq)
{
	const struct vgic_bits *b = irq < 32 ? &v->cpu[cpu].bits : &v->spi[irq / 32 - 1];
	uint32_t m = 1u << (irq % 32);
	if (!(b->in_lr & m) || !(b->enable & m) || (b->eoi_asked & m))
		return false;
	if (irq < 16)
		return v->cpu[cpu].sgi_pending[irq] != 0;
	return (b->pending & m) && (irq < 32 || v->owner[irq] == cpu);
}

/* vgic_kick_wanted is vgic_deliverable's rule, and the pending-again one, worked word by
 * word (it runs on every last release of vcpu_lock): on random states they must agree
 * for every vCPU. */
static void kick_agrees(void)
{
	struct vgic *v = &g.arch.vgic;
	unsigned disagree = 0;
	for (unsigned round = 0; round < 3000; round++) {
		v->enabled = rnd() % 8 != 0;
		for (unsigned c = 0; c < VGIC_MAX_VCPUS; c++) {
			random_bits(&v->cpu[c].bits);
			for (unsigned sgi = 0; sgi < 16; sgi++)
				v->cpu[c].sgi_pending[sgi] = rnd() % 6 ? 0 : (uint8_t)(rnd() & 0xf);
		}
		for (unsigned w = 0; w < VGIC_WORDS - 1; w++)
			random_bits(&v->spi[w]);
		for (unsigned irq = 32; irq < VGIC_NR_IRQS; irq++) {
			v->targets[irq] = (uint8_t)(rnd() % 3 ? 1u << (rnd() % 4) : rnd() & 0xff);
			v->owner[irq] = (uint8_t)(rnd() % 4);
		}
		for (unsigned c = 0; c < VGIC_MAX_VCPUS + 1; c++) {
			bool any = false;
			for (unsigned irq = 0; irq < VGIC_NR_IRQS && !any; irq++)
				any = vgic_deliverable(v, c, irq) ||
				      (v->enabled && c < v->nr_cpus && pending_again_ref(v, c, irq));
			if (any != vgic_kick_wanted(v, c) && disagree++ < 5)
				CHECK_MSG(0, "round %u vCPU %u: deliverable %d, kick wanted %d", round, c,
					  any, !any);
		}
	}
	CHECK(disagree == 0);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	if (!strcmp(argv[1], "smp"))
		stub_vcpus = 4;
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
	if (!strcmp(argv[1], "smp")) {
		sgis();
		ppis();
		spis();
		kick_agrees();
	} else {
		regs();
	}
	return check_summary("vgic_test");
}
