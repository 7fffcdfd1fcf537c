/* SPDX-License-Identifier: GPL-2.0-only */
/* Whether the Arasan SD host reaches the board's SD card (see rpi_sd_route.h). */
#include "rpi_sd_route.h"
#include "../../drivers/pinctrl/bcm2835_fsel.h"

#define CARD_FIRST 48u          /* the Pi 3's SD card: GPIO 48 (CLK) to 53 (DAT3) */
#define CARD_LAST 53u

const char *rpi_sd_route_refusal(const struct rpi_gpio_sd *s)
{
	if (s->bcm2711)
		return s->sd_mux & RPI_SD_MUX_ARASAN
			       ? "the board's SD card (the hypervisor's boot files) is switched to it "
				 "(SD pin mux at GPIO+0xd0)"
			       : NULL;
	for (unsigned pin = CARD_FIRST; pin <= CARD_LAST; pin++) {
		uint32_t reg = pin < 50 ? s->gpfsel4 : s->gpfsel5;
		if (fsel_get(reg, pin) == FSEL_ALT3)
			return "GPIO 48-53, the board's SD card (the hypervisor's boot files), are "
			       "switched to it (ALT3)";
	}
	return NULL;
}
