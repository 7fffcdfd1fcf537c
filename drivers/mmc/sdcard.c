/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The board's SD card (mamoru/sdcard.h): which controller holds it, from the
 * host's device tree, and the card brought up on it through the protocol layer
 * (sd_card.c).
 *
 * The controllers, tried in this order, each enabled node of its compatible,
 * the first with a card winning:
 * - EMMC2 ("brcm,bcm2711-emmc2", an SDHCI): a real Pi 4's card (untested on
 *   hardware).
 * - sdhost ("brcm,bcm2835-sdhost"): a real Pi 3's card. On the BCM2835/2837 the
 *   card's pins (GPIO 48-53) reach sdhost in ALT0 and the Arasan in ALT3; the
 *   node's default pin state (pinctrl-0, the Pi 3 tree's sdhost_gpio48: ALT0) is
 *   applied before it is tried. The firmware leaves those pins so on a real Pi 3
 *   (nothing changes there); QEMU raspi3b starts with the card on the Arasan and
 *   moves it to sdhost when the six pins are set to ALT0.
 * - the Arasan SD host ("brcm,bcm2835-sdhci", an SDHCI): where QEMU raspi4b
 *   holds -drive if=sd, and raspi3b when sdhost is disabled in its tree.
 */
#include <arch/cpu.h>
#include <mamoru/console.h>
#include <mamoru/fdt.h>
#include <mamoru/libc.h>
#include <mamoru/passthrough.h>
#include <mamoru/pinctrl.h>
#include <mamoru/sdcard.h>

#include "sd_controllers.h"
#include "../firmware/rpi_fw_msg.h"
#ifdef CONFIG_DRIVER_RPI_FIRMWARE
#include "../firmware/rpi_firmware.h"
#endif

#define FW_CLOCK_EMMC2 12u               /* the firmware's clock id of the Pi 4's EMMC2 */
#define CORE_HZ_FALLBACK 250000000u      /* sdhost's clock (the core's) when the firmware is silent:
					  * the card's config.txt pins core_freq=250 on the Pi 3 */

struct controller {
	const char *compatible;
	void (*host)(struct sd_host *h);
	uint32_t fw_clock;       /* the firmware's id of its input clock */
	uint32_t fallback_hz;    /* when the firmware does not say (0: the controller's own idea) */
	bool pins;               /* its default pin state applied first */
};

static const struct controller controllers[] = {
	{"brcm,bcm2711-emmc2", sdhci_host, FW_CLOCK_EMMC2, 0, false},
#ifdef CONFIG_DRIVER_BCM2835_SDHOST
	{"brcm,bcm2835-sdhost", bcm2835_sdhost_host, RPI_FW_CLOCK_CORE, CORE_HZ_FALLBACK, true},
#endif
	{"brcm,bcm2835-sdhci", sdhci_host, RPI_FW_CLOCK_EMMC, 0, false},
};

static struct {
	bool tried;
	const char *why;
	struct sdcard card;
	struct sd_host host;
} sd;

static uint64_t base_clock(const struct fdt *fdt, const struct controller *c)
{
	uint32_t hz = 0;
#ifdef CONFIG_DRIVER_RPI_FIRMWARE
	if (rpi_fw_clock_rate(fdt, c->fw_clock, &hz))
		hz = 0;
#else
	(void)fdt;
#endif
	return hz ? hz : c->fallback_hz;
}

static bool okay(const struct fdt *fdt, int node)
{
	const char *st = fdt_getprop_str(fdt, node, "status");
	return !st || !strcmp(st, "okay") || !strcmp(st, "ok");
}

/* The node's default pin state applied: 0, or -1 (said on the console). */
static int pins(const struct fdt *fdt, int node)
{
	struct pinctrl_result res;
	int err = pinctrl_apply_default(fdt, node, &res);
	const char *name = fdt_node_name(fdt, node);
	if (err) {
		printk("sd: %s: its pins cannot be set (%s at %s); not tried\n", name,
		       fdt_strerror(err), res.err_node >= 0 ? fdt_node_name(fdt, res.err_node) : "?");
		return -1;
	}
	for (int i = 0; i < res.ngroups; i++)
		printk("sd: %s: pins %s (from the device tree)\n", name,
		       fdt_node_name(fdt, res.groups[i]));
	return 0;
}

/* Tries the controller at node: 0 with the card up, or -1 (sd.why set). */
static int try_node(const struct fdt *fdt, int node, const struct controller *c)
{
	uint64_t base, size;
	uint32_t width = 1;
	if (!okay(fdt, node) || fdt_get_reg(fdt, node, 0, &base, &size) || size < 0x100)
		return -1;
	/* A controller a guest owns is not touched: a probe would reset it under the guest. */
	const char *owner = passthrough_owner(base, size);
	if (owner) {
		static char buf[80];
		printk("sd: %s: not tried: passed to %s\n", fdt_node_name(fdt, node), owner);
		m_snprintf(buf, sizeof(buf), "its controller %s is passed to %s",
			   fdt_node_name(fdt, node), owner);
		sd.why = buf;
		return -1;
	}
	if (c->pins && pins(fdt, node))
		return -1;
	memset(&sd.host, 0, sizeof(sd.host));
	c->host(&sd.host);
	sd.host.base = (uintptr_t)base;
	sd.host.base_hz = base_clock(fdt, c);
	sd.host.now_ns = timer_now_ns;
	sd.host.bus_width = !fdt_getprop_u32(fdt, node, "bus-width", &width) && width == 4 ? 4 : 1;
	const char *err = sd_card_init(&sd.host);
	printk("sd: %s: %s\n", fdt_node_name(fdt, node), err ? err : "card found");
	if (err) {
		sd.host.ops->off(&sd.host);
		sd.why = err;
		return -1;
	}
	sd.card.base = base;
	sd.card.size = size;
	sd.card.node = fdt_node_name(fdt, node);
	sd.card.sectors = sd.host.sectors;
	printk("sd: %llu MiB %s card, base clock %llu Hz, %u-bit bus\n",
	       (unsigned long long)(sd.card.sectors >> 11), sd.host.sdhc ? "SDHC/SDXC" : "SDSC",
	       (unsigned long long)sd.host.base_hz, sd.host.wide ? 4u : 1u);
	return 0;
}

const struct sdcard *sdcard_open(const struct fdt *host, const char **why)
{
	if (sd.tried) {
		*why = sd.why;
		return sd.why ? NULL : &sd.card;
	}
	sd.tried = true;
	sd.why = "no SD card controller in the device tree that Mamoru drives";
	for (size_t i = 0; host && i < ARRAY_SIZE(controllers); i++) {
		const char *compat = controllers[i].compatible;
		for (int n = fdt_find_compatible(host, -1, compat); n >= 0;
		     n = fdt_find_compatible(host, n, compat)) {
			if (!try_node(host, n, &controllers[i])) {
				sd.why = NULL;
				*why = NULL;
				return &sd.card;
			}
		}
	}
	*why = sd.why;
	return NULL;
}

int sdcard_read(uint64_t lba, uint32_t count, void *buf)
{
	if (!sd.tried || sd.why)
		return -1;
	return sd_card_io(&sd.host, lba, count, buf, true);
}

int sdcard_write(uint64_t lba, uint32_t count, const void *buf)
{
	if (!sd.tried || sd.why)
		return -1;
	/* sd_card_io only reads from buf when writing. */
	return sd_card_io(&sd.host, lba, count, (uint8_t *)(uintptr_t)buf, false);
}
