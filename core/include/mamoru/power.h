/* SPDX-License-Identifier: GPL-2.0-only */
/* System reset and power-off (PSCI, BCM2835 power manager). */
#ifndef MAMORU_POWER_H
#define MAMORU_POWER_H

#include <mamoru/driver.h>

struct power_ops {
	int (*init)(const struct fdt *fdt, int node);
	void (*reset)(void);
	void (*poweroff)(void);
};

int power_init(const struct fdt *fdt);
const char *power_driver_name(void);
/* Return only if the hardware did not act. */
void power_reset(void);
void power_poweroff(void);

#endif
