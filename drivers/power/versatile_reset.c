/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reset through the ARM Versatile system registers: SYS_LOCK (0x20) must hold the
 * unlock value before SYS_RESETCTL (0x40) accepts a reset request. The board has
 * no power-off: poweroff returns, which the caller reports.
 */
#include <mamoru/console.h>
#include <mamoru/power.h>

#define SYS_LOCK 0x20
#define SYS_RESETCTL 0x40
#define SYS_SIZE_MIN 0x44
#define LOCK_UNLOCK 0xa05fu
#define RESETCTL_RESET 0x105u    /* what QEMU's model treats as a system reset */

static uintptr_t sysreg;

static int vreset_init(const struct fdt *fdt, int node)
{
	uint64_t addr, len;
	int err = fdt_get_reg(fdt, node, 0, &addr, &len);
	if (err < 0)
		return err;
	if (addr == 0 || len < SYS_SIZE_MIN || addr + len > UINTPTR_MAX)
		return FDT_ERR_BADVALUE;
	sysreg = (uintptr_t)addr;
	return 0;
}

static void vreset_reset(void)
{
	if (!sysreg)
		return;
	mmio_write32(sysreg + SYS_LOCK, LOCK_UNLOCK);
	mmio_write32(sysreg + SYS_RESETCTL, RESETCTL_RESET);
}

static void vreset_poweroff(void) {}

static const struct power_ops vreset_ops = {
	.init = vreset_init,
	.reset = vreset_reset,
	.poweroff = vreset_poweroff,
};

static const char *const vreset_compat[] = { "arm,core-module-versatile", NULL };

static const struct driver vreset_driver = {
	.name = "versatile-sysreg",
	.cls = DRV_POWER,
	.compatible = vreset_compat,
	.ops = &vreset_ops,
};
DRIVER(vreset_driver);
