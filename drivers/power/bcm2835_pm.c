/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BCM2835/BCM2711 power manager watchdog: reset, and "halt" for power-off.
 *
 * Reset arms the watchdog with a short timeout and selects a full reset.
 * There is no real power-off: the firmware convention is to reset with the
 * boot partition in PM_RSTS set to 63, which makes the VideoCore firmware
 * halt instead of booting (and QEMU's power manager model shut down).
 * Every register write must carry the password in bits 31:24.
 */
#include <arch/sysreg.h>
#include <mamoru/console.h>
#include <mamoru/power.h>

#define PM_RSTC 0x1c
#define PM_RSTS 0x20
#define PM_WDOG 0x24
#define PM_SIZE_MIN 0x28

#define PM_PASSWORD 0x5a000000u
#define PM_PASSWORD_MASK 0xff000000u
#define PM_RSTC_WRCFG_MASK 0x30u
#define PM_RSTC_WRCFG_FULL_RESET 0x20u
#define PM_WDOG_TIME_MASK 0x000fffffu
#define PM_WDOG_TICKS 10u                /* ~16 us per tick */
/* The partition number's six bits live in RSTS bits 0,2,4,6,8,10. */
#define PM_RSTS_PARTITION_MASK 0x555u
#define PM_RSTS_PARTITION_HALT 0x555u    /* partition 63 */

/* How long to wait for the watchdog before reporting failure. */
#define RESET_WAIT_MS 100u

static uintptr_t pm_base;

static int pm_init(const struct fdt *fdt, int node)
{
	uint64_t addr, size;
	int err = fdt_get_reg(fdt, node, 0, &addr, &size);

	pm_base = 0;
	if (err == 0 && (addr == 0 || size < PM_SIZE_MIN || addr + size < addr))
		err = FDT_ERR_BADVALUE;
	if (err < 0) {
		printk("bcm2835-pm: bad or missing reg: %s\n", fdt_strerror(err));
		return err;
	}
	pm_base = (uintptr_t)addr;
	return 0;
}

/* Busy-waits on the generic counter, which needs no driver. */
static void wait_ms(unsigned ms)
{
	uint64_t freq = read_sysreg(cntfrq_el0);
	if (freq == 0)
		freq = 1000000;    /* unset by firmware: any finite wait will do */
	uint64_t start = read_sysreg(cntpct_el0);
	uint64_t ticks = freq / 1000u * ms;
	while (read_sysreg(cntpct_el0) - start < ticks)
		;
}

static void pm_watchdog_reset(void)
{
	mmio_write32(pm_base + PM_WDOG, PM_PASSWORD | (PM_WDOG_TICKS & PM_WDOG_TIME_MASK));
	uint32_t rstc = mmio_read32(pm_base + PM_RSTC) & ~PM_PASSWORD_MASK;
	mmio_write32(pm_base + PM_RSTC, PM_PASSWORD | (rstc & ~PM_RSTC_WRCFG_MASK) | PM_RSTC_WRCFG_FULL_RESET);
	dsb_sy();
	wait_ms(RESET_WAIT_MS);
}

static void pm_reset(void)
{
	if (pm_base)
		pm_watchdog_reset();
}

static void pm_poweroff(void)
{
	if (!pm_base)
		return;
	uint32_t rsts = mmio_read32(pm_base + PM_RSTS) & ~(PM_PASSWORD_MASK | PM_RSTS_PARTITION_MASK);
	mmio_write32(pm_base + PM_RSTS, PM_PASSWORD | rsts | PM_RSTS_PARTITION_HALT);
	pm_watchdog_reset();
}

static const struct power_ops pm_ops = {
	.init = pm_init,
	.reset = pm_reset,
	.poweroff = pm_poweroff,
};

static const char *const pm_compat[] = {
	"brcm,bcm2835-pm-wdt",
	"brcm,bcm2835-pm",
	"brcm,bcm2711-pm",
	NULL,
};

static const struct driver bcm2835_pm_driver = {
	.name = "bcm2835-pm",
	.cls = DRV_POWER,
	.compatible = pm_compat,
	.ops = &pm_ops,
};
DRIVER(bcm2835_pm_driver);
