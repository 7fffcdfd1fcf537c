/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The BCM2835 mailbox (ARM side), used to talk to the VideoCore firmware:
 * mailbox 0 carries the firmware's answers to the ARM, mailbox 1 the ARM's
 * requests. Each word is a 16-byte aligned buffer address with a channel
 * number in its low 4 bits; the firmware answers by writing into the buffer
 * and sending the same word back.
 */
#include <arch/cpu.h>
#include <mamoru/driver.h>

#include "rpi_firmware.h"

#define MBOX0_READ 0x00
#define MBOX0_STATUS 0x18
#define MBOX1_WRITE 0x20
#define MBOX1_STATUS 0x38
#define MBOX_REG_END 0x3c
#define MBOX_FULL (1u << 31)
#define MBOX_EMPTY (1u << 30)

/* Polls; the firmware answers a clock query within microseconds (a power switch with
 * "wait" may take longer: the limit is generous). */
#define MBOX_POLL_LIMIT 2000000u

/* Every message has the same 8 words. The VideoCore reaches RAM only through the soc
 * bus's window: when the image was moved above it (the Pi 4 with more than 1 GiB,
 * arch_image_place), the buffer is a page the hypervisor keeps inside the window. */
_Static_assert(RPI_FW_CLOCK_MSG_WORDS == RPI_FW_POWER_MSG_WORDS, "one message buffer");
static uint32_t image_msg[RPI_FW_CLOCK_MSG_WORDS] __attribute__((aligned(64)));

static uint32_t *msg_buffer(void)
{
	uintptr_t low = arch_image_low_page();
	return low ? (uint32_t *)low : image_msg;
}

static int find_mailbox(const struct fdt *fdt, int *node, uintptr_t *base)
{
	int fw = fdt_find_compatible(fdt, -1, "raspberrypi,bcm2835-firmware");
	uint32_t phandle;
	if (fw < 0 || fdt_getprop_u32(fdt, fw, "mboxes", &phandle))
		return RPI_FW_ERR_NODEV;
	int mbox = fdt_node_by_phandle(fdt, phandle);
	uint64_t addr, size;
	if (mbox < 0 || !fdt_is_compatible(fdt, mbox, "brcm,bcm2835-mbox") ||
	    fdt_get_reg(fdt, mbox, 0, &addr, &size) || size < MBOX_REG_END)
		return RPI_FW_ERR_NODEV;
	*node = mbox;
	*base = (uintptr_t)addr;
	return RPI_FW_OK;
}

static bool wait_clear(uintptr_t status, uint32_t bit)
{
	for (unsigned i = 0; i < MBOX_POLL_LIMIT; i++)
		if (!(mmio_read32(status) & bit))
			return true;
	return false;
}

/* Sends word on mailbox 1 and waits for the same word on mailbox 0. */
static int mbox_call(uintptr_t base, uint32_t word)
{
	/* Answers to requests nobody waits for any more are dropped. */
	for (unsigned i = 0; i < 64 && !(mmio_read32(base + MBOX0_STATUS) & MBOX_EMPTY); i++)
		(void)mmio_read32(base + MBOX0_READ);
	if (!wait_clear(base + MBOX1_STATUS, MBOX_FULL))
		return RPI_FW_ERR_TIMEOUT;
	__asm__ volatile("dsb sy" ::: "memory");
	mmio_write32(base + MBOX1_WRITE, word);
	for (unsigned tries = 0; tries < 64; tries++) {
		if (!wait_clear(base + MBOX0_STATUS, MBOX_EMPTY))
			return RPI_FW_ERR_TIMEOUT;
		if (mmio_read32(base + MBOX0_READ) == word) {
			__asm__ volatile("dsb sy" ::: "memory");
			return RPI_FW_OK;
		}
	}
	return RPI_FW_ERR_TIMEOUT;
}

/* Sends msg (filled in by the caller) to the firmware and waits for its answer there. */
static int property_call(const struct fdt *fdt, uint32_t *msg)
{
	int node;
	uintptr_t base;
	int err = find_mailbox(fdt, &node, &base);
	uint32_t bus;
	if (!err)
		err = rpi_fw_bus_address(fdt, node, (uintptr_t)msg, sizeof(image_msg), &bus);
	if (err)
		return err;
	/* Whether or not the data cache is on yet, the firmware must see the
	 * request in memory, and the CPU must then read its answer from there. */
	dcache_clean_inval_range(msg, sizeof(image_msg));
	err = mbox_call(base, rpi_mbox_word(bus, RPI_MBOX_CHANNEL_PROPERTY));
	dcache_clean_inval_range(msg, sizeof(image_msg));
	return err;
}

int rpi_fw_clock_rate(const struct fdt *fdt, uint32_t clock_id, uint32_t *hz)
{
	uint32_t *msg = msg_buffer();
	rpi_fw_clock_request(msg, clock_id);
	int err = property_call(fdt, msg);
	return err ? err : rpi_fw_clock_response((const uint32_t *)msg, clock_id, hz);
}

int rpi_fw_set_power(const struct fdt *fdt, uint32_t device, bool on)
{
	uint32_t *msg = msg_buffer();
	rpi_fw_power_request(msg, device, on);
	int err = property_call(fdt, msg);
	return err ? err : rpi_fw_power_response((const uint32_t *)msg, device, on);
}
