/* SPDX-License-Identifier: GPL-2.0-only */
/* Device passthrough on the Raspberry Pis (docs/passthrough.md): the rate of a
 * passed device's clock, which the firmware knows. */
#include <mamoru/fdt.h>
#include "rpi_passthrough.h"
#include "../../drivers/firmware/rpi_firmware.h"

int rpi_passthrough_clock(const struct fdt *host, int node, uint32_t *hz)
{
	/* The Arasan SD host's clock is cprman's EMMC clock (the firmware's clock 1). */
	if (!fdt_is_compatible(host, node, "brcm,bcm2835-sdhci"))
		return -1;
	return rpi_fw_clock_rate(host, RPI_FW_CLOCK_EMMC, hz);
}
