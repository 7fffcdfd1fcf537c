/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host checks of the ARMv5 port's pure logic, run from tests/unit/test_arm32_host.py:
 *   arm32_check faults | mmu
 * Prints one line per failed check and "<section>: N checks, M failures".
 * Instructions and fault status values are literal encodings (ARMv5 ARM), so the
 * decoder is checked against the architecture rather than against its own tables.
 */
#include <stdio.h>
#include <string.h>

#include "arch/arm/cpu/arm32/fault_decode.h"
#include "arch/arm/cpu/arm32/mmu_tables.h"
#include "hostcheck.h"

static void check_faults(void)
{
	CHECK_STR(arm32_fault_status(0x0f), "permission fault (page)");
	CHECK_STR(arm32_fault_status(0x0d), "permission fault (section)");
	CHECK_STR(arm32_fault_status(0x05), "translation fault (section)");
	CHECK_STR(arm32_fault_status(0x07), "translation fault (page)");
	CHECK_STR(arm32_fault_status(0x1b), "domain fault (page)");      /* domain 1 in [7:4] */
	CHECK_STR(arm32_fault_status(0x01), "alignment fault");
	CHECK_STR(arm32_fault_status(0x03), "alignment fault");
	CHECK_STR(arm32_fault_status(0x08), "external abort (section)");
	CHECK_STR(arm32_fault_status(0x0c), "external abort on translation (level 1)");
	CHECK_STR(arm32_fault_status(0x00), NULL);
	CHECK_STR(arm32_fault_status(0x02), NULL);
	CHECK_STR(arm32_fault_status(0x06), NULL);

	CHECK_STR(arm32_access_of(0xe5832000), "write");   /* str r2, [r3] */
	CHECK_STR(arm32_access_of(0xe5932000), "read");    /* ldr r2, [r3] */
	CHECK_STR(arm32_access_of(0xe5c32000), "write");   /* strb r2, [r3] */
	CHECK_STR(arm32_access_of(0xe7932004), "read");    /* ldr r2, [r3, r4] */
	CHECK_STR(arm32_access_of(0xe1c320b0), "write");   /* strh r2, [r3] */
	CHECK_STR(arm32_access_of(0xe1d320b0), "read");    /* ldrh r2, [r3] */
	CHECK_STR(arm32_access_of(0xe1d320d0), "read");    /* ldrsb r2, [r3] */
	CHECK_STR(arm32_access_of(0xe1d320f0), "read");    /* ldrsh r2, [r3] */
	CHECK_STR(arm32_access_of(0xe1c320d0), "read");    /* ldrd r2, r3, [r3] */
	CHECK_STR(arm32_access_of(0xe1c320f0), "write");   /* strd r2, r3, [r3] */
	CHECK_STR(arm32_access_of(0xe893000c), "read");    /* ldm r3, {r2, r3} */
	CHECK_STR(arm32_access_of(0xe92d4010), "write");   /* push {r4, lr} */
	CHECK_STR(arm32_access_of(0xe0020392), NULL);      /* mul r2, r2, r3 */
	CHECK_STR(arm32_access_of(0xe1032092), NULL);      /* swp r2, r2, [r3] */
	CHECK_STR(arm32_access_of(0xe3a00000), NULL);      /* mov r0, #0 */
	CHECK_STR(arm32_access_of(0xe7f000f0), NULL);      /* udf #0 */
	CHECK_STR(arm32_access_of(0xea000000), NULL);      /* b . + 8 */
	CHECK_STR(arm32_access_of(0xf5d3f000), NULL);      /* pld [r3] */

	CHECK_STR(arm32_mode_name(0x60000153), "SVC");
	CHECK_STR(arm32_mode_name(0x12), "IRQ");
	CHECK_STR(arm32_mode_name(0x17), "ABT");
	CHECK_STR(arm32_mode_name(0x1b), "UND");
	CHECK_STR(arm32_mode_name(0x10), "USR");
	CHECK_STR(arm32_mode_name(0x1f), "SYS");
	CHECK_STR(arm32_mode_name(0x00), "invalid mode");
	CHECK_STR(arm32_mode_name(0x1a), "invalid mode");     /* HYP: not on ARMv5 */
}

static uint32_t l1[ARM32_L1_ENTRIES], l2_image[ARM32_L2_ENTRIES], l2_vec[ARM32_L2_ENTRIES];

/* Short-descriptor fields (ARMv5 ARM). */
#define TYPE(d) ((d) & 3u)
#define SECTION_AP(d) (((d) >> 10) & 3u)
#define CB(d) (((d) >> 2) & 3u)
#define SMALL_APS(d) (((d) >> 4) & 0xffu)

static void check_mmu(void)
{
	/* versatilepb: 256 MiB at 0, the image at 0x10000, its text and rodata up to 0x1b000. */
	const struct mem_region ram[] = {{0, 256u << 20}};
	struct arm32_map m = {
		.ram = ram, .nram = 1, .image_start = 0x10000, .ro_end = 0x1b000,
		.vectors_pa = 0x18000, .l2_image_pa = 0x20400, .l2_vectors_pa = 0x20800,
	};
	CHECK_EQ(arm32_mmu_tables(&m, l1, l2_image, l2_vec), 0);

	CHECK_EQ(l1[0], 0x20400u | 0x11u);                    /* coarse, domain 0 */
	CHECK_EQ(l2_image[0], 0);                             /* page 0: unmapped */
	CHECK_EQ(TYPE(l2_image[1]), 2u);
	CHECK_EQ(SMALL_APS(l2_image[1]), 0x55u);              /* RW below the image */
	for (unsigned p = 0x10; p < 0x1b; p++) {              /* text, vectors, rodata: RO */
		CHECK_EQ(l2_image[p] & ~0xfffu, p << 12);
		CHECK_EQ(SMALL_APS(l2_image[p]), 0x00u);
		CHECK_EQ(CB(l2_image[p]), 3u);                    /* write-back */
	}
	CHECK_EQ(SMALL_APS(l2_image[0x1b]), 0x55u);           /* data: RW */
	CHECK_EQ(SMALL_APS(l2_image[0xff]), 0x55u);
	CHECK_EQ(l2_image[0xff] & ~0xfffu, 0xff000u);

	CHECK_EQ(l1[1], 0x00100000u | 0x41eu);                /* RAM: AP 01 (privileged RW), write-back */
	CHECK_EQ(l1[255], 0x0ff00000u | 0x41eu);
	CHECK_EQ(l1[256], 0x10000000u | 0x412u);              /* I/O: RW, uncached, unbuffered */
	CHECK_EQ(l1[0x101], 0x10100000u | 0x412u);
	CHECK_EQ(l1[0xdff], 0xdff00000u | 0x412u);
	CHECK_EQ(l1[0xe00], 0);                               /* top 512 MiB unmapped... */
	CHECK_EQ(l1[0xf00], 0);
	CHECK_EQ(l1[0xffe], 0);
	CHECK_EQ(l1[0xfff], 0x20800u | 0x11u);                /* ...but the vector page's MiB */
	for (unsigned p = 0; p < ARM32_L2_ENTRIES; p++)
		CHECK_EQ(l2_vec[p], p == 0xf0 ? (0x18000u | 0x00eu) : 0u);   /* RO, cached */

	/* A RAM bank that does not cover a whole MiB leaves the rest as device memory. */
	const struct mem_region odd[] = {{0, 0x180000}};
	m.ram = odd;
	CHECK_EQ(arm32_mmu_tables(&m, l1, l2_image, l2_vec), 0);
	CHECK_EQ(l1[1], 0x00100000u | 0x412u);

	/* Refused: the image's MiB not RAM, misaligned pages or tables. */
	const struct mem_region high[] = {{0x20000000, 256u << 20}};
	m.ram = high;
	CHECK(arm32_mmu_tables(&m, l1, l2_image, l2_vec) < 0);
	m.ram = ram;
	m.ro_end = 0x1b004;
	CHECK(arm32_mmu_tables(&m, l1, l2_image, l2_vec) < 0);
	m.ro_end = 0x1b000;
	m.l2_vectors_pa = 0x20a00;
	CHECK(arm32_mmu_tables(&m, l1, l2_image, l2_vec) < 0);
	m.l2_vectors_pa = 0x20800;
	m.ro_end = 0xf000;
	CHECK(arm32_mmu_tables(&m, l1, l2_image, l2_vec) < 0);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: arm32_check faults|mmu\n");
		return 2;
	}
	const char *what = argv[1];
	if (!strcmp(what, "faults"))
		check_faults();
	else if (!strcmp(what, "mmu"))
		check_mmu();
	else {
		fprintf(stderr, "unknown section %s\n", what);
		return 2;
	}
	return check_summary(what);
}
