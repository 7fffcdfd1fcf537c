/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where the Pis' Arasan SD host (mmc@7e300000, "brcm,bcm2835-sdhci") is wired,
 * from the GPIO block's state: it must not reach the board's own SD card (the
 * hypervisor's boot files) when it is passed to a guest. Pure logic, built
 * for the host tests too (tests/host/passthrough_check.c).
 *
 * - BCM2835/2837 (Pi 3): the card is on GPIO 48-53. ALT0 there is sdhost (the
 *   firmware's default), ALT3 the Arasan (a config.txt overlay can choose it).
 * - BCM2711 (Pi 4): the card has pins of its own, not GPIOs, behind a mux
 *   between EMMC2 and the Arasan: bit 1 of the GPIO block's register at 0xd0
 *   (0: EMMC2, 1: the Arasan). Not in the BCM2711 datasheet; what Raspberry Pi
 *   engineers said publicly (docs/passthrough.md). GPIO 48-53 do not reach the
 *   card on a Pi 4.
 */
#ifndef BOARDS_RPI_SD_ROUTE_H
#define BOARDS_RPI_SD_ROUTE_H

#include <mamoru/types.h>

#define RPI_GPFSEL4 0x10u       /* GPIO 40-49 */
#define RPI_GPFSEL5 0x14u       /* GPIO 50-59 */
#define RPI_SD_MUX 0xd0u        /* BCM2711: the SD card pins' mux */
#define RPI_SD_MUX_ARASAN (1u << 1)

struct rpi_gpio_sd {
	bool bcm2711;
	uint32_t gpfsel4, gpfsel5;   /* as read */
	uint32_t sd_mux;             /* as read, BCM2711 only */
};

/* NULL when the Arasan SD host cannot reach the board's SD card in state s, else
 * why it can (a sentence fragment for the boot log). */
const char *rpi_sd_route_refusal(const struct rpi_gpio_sd *s);

#endif
