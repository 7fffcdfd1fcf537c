/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BCM2835/BCM2711 GPIO as a pin controller: sets the function select of
 * the pins a device's pin group names (for the console: uart1_gpio14, the
 * mini UART on GPIO 14/15 as ALT5, or uart0_gpio14, the PL011 as ALT0).
 * Pull-up/down settings (brcm,pull) are left as the firmware set them; the
 * UART groups of the upstream DTBs name none.
 */
#include <mamoru/pinctrl.h>

#include "bcm2835_fsel.h"

#define GPFSEL_END 0x18u   /* GPFSEL0..GPFSEL5 */

static int gpio_apply(const struct fdt *fdt, int ctrl, int group, uintptr_t base)
{
	unsigned npins = fdt_is_compatible(fdt, ctrl, "brcm,bcm2711-gpio") ? 58 : 54;
	struct fsel_pin pins[FSEL_MAX_GROUP_PINS];
	int n = fsel_group(fdt, group, npins, pins, FSEL_MAX_GROUP_PINS);
	for (int i = 0; i < n; i++) {
		uintptr_t reg = base + fsel_reg_offset(pins[i].pin);
		uint32_t old = mmio_read32(reg);
		uint32_t val = fsel_update(old, pins[i].pin, pins[i].func);
		if (val != old)
			mmio_write32(reg, val);
	}
	return n;
}

static const struct pinctrl_ops gpio_ops = {
	.apply = gpio_apply,
};

static const char *const gpio_compat[] = {"brcm,bcm2711-gpio", "brcm,bcm2835-gpio", NULL};

static const struct driver bcm2835_gpio_driver = {
	.name = "bcm2835-gpio",
	.cls = DRV_PINCTRL,
	.compatible = gpio_compat,
	.ops = &gpio_ops,
};
DRIVER(bcm2835_gpio_driver);
