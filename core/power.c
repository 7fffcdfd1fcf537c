/* SPDX-License-Identifier: GPL-2.0-only */
/* Reset and power-off through whichever power driver the device tree offers. */
#include <mamoru/console.h>
#include <mamoru/power.h>

static const struct power_ops *ops;
static const char *name = "none";

int power_init(const struct fdt *fdt)
{
	const struct driver *drv;
	int node = driver_find_node(fdt, DRV_POWER, &drv);
	if (node < 0)
		return -1;
	const struct power_ops *o = drv->ops;
	if (o->init(fdt, node))
		return -1;
	ops = o;
	name = drv->name;
	return 0;
}

const char *power_driver_name(void) { return name; }

void power_reset(void)
{
	if (ops && ops->reset)
		ops->reset();
}

void power_poweroff(void)
{
	if (ops && ops->poweroff)
		ops->poweroff();
}
