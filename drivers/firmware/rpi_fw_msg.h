/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Messages of the Raspberry Pi firmware's mailbox property interface
 * (channel 8, ARM to VideoCore): a buffer of 32-bit words, 16-byte
 * aligned, holding its size in bytes, a request/response code, tags and a
 * zero end tag. Each tag is its id, the size of its value buffer in bytes,
 * a request/response word (bit 31 set in a response, with the response's
 * length in bits 30..0) and the value buffer.
 * Pure logic, built for the host tests too.
 */
#ifndef DRIVERS_RPI_FW_MSG_H
#define DRIVERS_RPI_FW_MSG_H

#include <mamoru/fdt.h>

#define RPI_MBOX_CHANNEL_PROPERTY 8u

#define RPI_FW_REQUEST 0x00000000u
#define RPI_FW_RESPONSE_OK 0x80000000u
#define RPI_FW_RESPONSE_ERROR 0x80000001u
#define RPI_FW_TAG_RESPONSE (1u << 31)

#define RPI_FW_TAG_GET_CLOCK_RATE 0x00030002u
#define RPI_FW_CLOCK_CORE 4u     /* the VPU core clock, the mini UART's */
#define RPI_FW_CLOCK_EMMC 1u     /* the Arasan SD host's (cprman's EMMC clock) */

/* A GET_CLOCK_RATE message: 2 header words, a tag of 3 + 2 words, end tag. */
#define RPI_FW_CLOCK_MSG_WORDS 8u

/* SET_POWER_STATE (the firmware wiki's "Mailbox property interface"): value buffer
 * device id, state; state bit 0 on, bit 1 "wait until stable" in the request and
 * "no such device" in the answer. Device 3 is the USB host controller (DWC2). */
#define RPI_FW_TAG_SET_POWER_STATE 0x00028001u
#define RPI_FW_POWER_USB_HCD 3u
#define RPI_FW_POWER_ON (1u << 0)
#define RPI_FW_POWER_WAIT (1u << 1)
#define RPI_FW_POWER_MISSING (1u << 1)
/* The same shape as a clock message: 2 header words, 3 + 2 tag words, end tag. */
#define RPI_FW_POWER_MSG_WORDS 8u
/* The domain of the USB controller in the device tree's Raspberry Pi firmware power
 * node ("raspberrypi,bcm2835-power", one cell: its domain number, as the device tree
 * binding numbers them). */
#define RPI_FW_DT_DOMAIN_USB 6u

enum rpi_fw_err {
	RPI_FW_OK = 0,
	RPI_FW_ERR_NOANSWER = -1,   /* the firmware did not process the buffer */
	RPI_FW_ERR_REFUSED = -2,    /* it answered 0x80000001 (request parse error) */
	RPI_FW_ERR_TAG = -3,        /* the tag is unanswered or has the wrong length */
	RPI_FW_ERR_VALUE = -4,      /* another clock's answer, or a rate of 0 */
	RPI_FW_ERR_TIMEOUT = -5,    /* the mailbox stayed full or empty */
	RPI_FW_ERR_NODEV = -6,      /* no firmware or mailbox node in the device tree */
	RPI_FW_ERR_ADDRESS = -7,    /* the buffer is outside what the VideoCore sees */
	RPI_FW_ERR_POWER_MISSING = -8,   /* SET_POWER_STATE: "no such device" */
	RPI_FW_ERR_POWER_STATE = -9,     /* SET_POWER_STATE: not in the state asked for */
	RPI_FW_ERR_DOMAIN = -10,    /* a power-domains entry the firmware has no device for */
};

const char *rpi_fw_strerror(int err);

/* Writes the request for clock clock_id's current rate into msg. */
void rpi_fw_clock_request(uint32_t msg[RPI_FW_CLOCK_MSG_WORDS], uint32_t clock_id);
/* Checks the firmware's answer in msg; on success *hz is the rate. */
int rpi_fw_clock_response(const uint32_t msg[RPI_FW_CLOCK_MSG_WORDS], uint32_t clock_id,
			  uint32_t *hz);

/* Writes the request to switch firmware power device `device` on (and wait until it
 * is stable) or off into msg. */
void rpi_fw_power_request(uint32_t msg[RPI_FW_POWER_MSG_WORDS], uint32_t device, bool on);
/* Checks the firmware's answer to that request: 0 when the device is now in the
 * state asked for. */
int rpi_fw_power_response(const uint32_t msg[RPI_FW_POWER_MSG_WORDS], uint32_t device, bool on);
/* The firmware power device of node's power-domains, when it names the firmware's
 * power node ("raspberrypi,bcm2835-power") and a domain the firmware switches for a
 * passed device (only USB); 0, or RPI_FW_ERR_DOMAIN (none, another provider, another
 * domain, malformed). */
int rpi_fw_power_device(const struct fdt *fdt, int node, uint32_t *device);

/* The word written to the mailbox: the buffer's bus address (16-byte
 * aligned) with the channel in the low 4 bits. */
static inline uint32_t rpi_mbox_word(uint32_t bus_addr, unsigned channel)
{
	return (bus_addr & ~0xfu) | (channel & 0xfu);
}

/* The VideoCore bus address of CPU physical address phys (len bytes), seen
 * from a device on the bus whose node is dev: the parent bus's dma-ranges
 * (child address, parent address, size). An empty dma-ranges is 1:1; none
 * at all is RPI_FW_ERR_ADDRESS, as is an address no entry covers. */
int rpi_fw_bus_address(const struct fdt *fdt, int dev, uint64_t phys, uint64_t len, uint32_t *bus);

#endif
