/* SPDX-License-Identifier: GPL-2.0-only */
/* Device passthrough on the Raspberry Pis (docs/passthrough.md): the rate of a
 * passed device's clock, which the firmware knows; whether the SD host reaches
 * the board's SD card; silencing EMMC2, which shares the SD host's interrupt
 * line on the Pi 4; the USB controller's power domain, which the firmware
 * switches. */
#include <mamoru/console.h>
#include <mamoru/driver.h>
#include <mamoru/fdt.h>
#include "rpi_passthrough.h"
#include "rpi_sd_route.h"
#include "../../drivers/firmware/rpi_firmware.h"

int rpi_passthrough_clock(const struct fdt *host, int node, uint32_t *hz)
{
	/* The Arasan SD host's clock is cprman's EMMC clock (the firmware's clock 1). */
	if (!fdt_is_compatible(host, node, "brcm,bcm2835-sdhci"))
		return -1;
	return rpi_fw_clock_rate(host, RPI_FW_CLOCK_EMMC, hz);
}

const char *rpi_passthrough_check(const struct fdt *host, int node)
{
	if (!fdt_is_compatible(host, node, "brcm,bcm2835-sdhci"))
		return NULL;
	struct rpi_gpio_sd s = {.bcm2711 = true};
	int gpio = fdt_find_compatible(host, -1, "brcm,bcm2711-gpio");
	if (gpio < 0) {
		s.bcm2711 = false;
		gpio = fdt_find_compatible(host, -1, "brcm,bcm2835-gpio");
	}
	uint64_t base, size;
	if (gpio < 0 || fdt_get_reg(host, gpio, 0, &base, &size) || size < RPI_GPFSEL5 + 4)
		return "the GPIO block is not in the device tree: where its pins go is unknown";
	/* The GPIO block is the hypervisor's (its pin controller), mapped as device memory.
	 * The BCM2711's SD mux register at 0xd0 lies beyond the 0xb4 bytes its device tree
	 * gives the block, in the same 4 KiB page (the hypervisor's, like the whole page). */
	s.gpfsel4 = mmio_read32((uintptr_t)base + RPI_GPFSEL4);
	s.gpfsel5 = mmio_read32((uintptr_t)base + RPI_GPFSEL5);
	if (s.bcm2711)
		s.sd_mux = mmio_read32((uintptr_t)base + RPI_SD_MUX);
	return rpi_sd_route_refusal(&s);
}

/* SD Host Controller registers (SD Host Controller Simplified Specification): the
 * interrupt status (write 1 to clear), its status-enable and signal-enable, each
 * the normal interrupts in the low 16 bits and the error interrupts in the high. */
#define SDHCI_INT_STATUS 0x30
#define SDHCI_INT_ENABLE 0x34
#define SDHCI_SIGNAL_ENABLE 0x38

int rpi_passthrough_quiesce(const struct fdt *host, int node)
{
	uint64_t base, size;
	/* EMMC2, the Pi 4's SD card controller, an SDHCI: nothing in the hypervisor drives it. */
	if (!fdt_is_compatible(host, node, "brcm,bcm2711-emmc2") ||
	    fdt_get_reg(host, node, 0, &base, &size) || size < SDHCI_SIGNAL_ENABLE + 4)
		return -1;
	uintptr_t b = (uintptr_t)base;
	mmio_write32(b + SDHCI_SIGNAL_ENABLE, 0);
	mmio_write32(b + SDHCI_INT_ENABLE, 0);
	mmio_write32(b + SDHCI_INT_STATUS, 0xffffffffu);
	/* Read back: a controller that kept an enable bit is not quiet. */
	return mmio_read32(b + SDHCI_SIGNAL_ENABLE) || mmio_read32(b + SDHCI_INT_ENABLE) ? -1 : 0;
}

const char *rpi_passthrough_power(const struct fdt *host, int node)
{
	/* The guest does not get the firmware's power node: the hypervisor asks the
	 * firmware to switch the domain on for it, once, at selection. */
	uint32_t device;
	int err = rpi_fw_power_device(host, node, &device);
	if (!err)
		err = rpi_fw_set_power(host, device, true);
	if (err)
		return rpi_fw_strerror(err);
	printk("passthrough: %s: the firmware switched its power on (USB, device %u)\n",
	       fdt_node_name(host, node), device);
	return NULL;
}
