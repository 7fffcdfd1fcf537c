/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An SD card's capacity from its CSD register (SD Physical Layer Simplified
 * Specification, 5.3): pure logic, host-tested (tests/host/disk_check.c).
 */
#ifndef DRIVERS_MMC_SD_CSD_H
#define DRIVERS_MMC_SD_CSD_H

#include <mamoru/types.h>

/* The CSD as an SD host controller leaves the R2 response in its four Response
 * registers (SD Host Controller Simplified Specification, 2.2.7): CSD bits
 * [127:8] in resp[0..3] bits [119:0] (the CRC byte stripped), resp[0] lowest. The
 * card's capacity in 512-byte sectors: 0 when the CSD structure is neither
 * version 1.0 (SDSC) nor 2.0 (SDHC/SDXC) or its fields are out of range. */
uint64_t sd_csd_sectors(const uint32_t resp[4]);

#endif
