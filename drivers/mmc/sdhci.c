/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An SD host controller (SD Host Controller Simplified Specification register
 * interface) under the SD card protocol layer (sd_host.h): the Pi 4's EMMC2 and
 * the Arasan SD host of the Pis. PIO through the Buffer Data Port, polled, no
 * interrupts signalled, every wait bounded.
 *
 * Every register is accessed 32 bits wide (the Pis' Arasan takes no other
 * width): the 8- and 16-bit registers by read-modify-write of their word.
 */
#include <arch/cpu.h>
#include <mamoru/driver.h>
#include <mamoru/libc.h>

#include "sd_controllers.h"

#define REG_BLOCK 0x04           /* block size (low half), block count (high) */
#define REG_ARG 0x08
#define REG_CMD 0x0c             /* transfer mode (low half), command (high) */
#define REG_RESP0 0x10
#define REG_DATA 0x20
#define REG_PRESENT 0x24
#define REG_HOST 0x28            /* host control 1, power control (byte 1) */
#define REG_CLOCK 0x2c           /* clock control, timeout control (byte 2), reset (byte 3) */
#define REG_INT 0x30             /* normal (low half) and error (high) status, write 1 to clear */
#define REG_INT_ENABLE 0x34
#define REG_SIGNAL_ENABLE 0x38
#define REG_CAPS 0x40

#define PRESENT_CMD_INHIBIT (1u << 0)
#define PRESENT_DAT_INHIBIT (1u << 1)

#define HOST_4BIT (1u << 1)             /* Data Transfer Width */
#define POWER_33V_ON (0x0fu << 8)       /* 3.3 V (111b) and bus power on */
#define CLOCK_INTERNAL (1u << 0)
#define CLOCK_STABLE (1u << 1)
#define CLOCK_SD (1u << 2)
#define TIMEOUT_MAX (0x0eu << 16)
#define RESET_ALL (1u << 24)
#define RESET_CMD (1u << 25)
#define RESET_DAT (1u << 26)

#define INT_CMD_DONE (1u << 0)
#define INT_XFER_DONE (1u << 1)
#define INT_WRITE_READY (1u << 4)
#define INT_READ_READY (1u << 5)
#define INT_ERROR (1u << 15)
#define INT_ERRORS 0xffff0000u

/* The command register (high half of REG_CMD). */
#define RESP_NONE 0u
#define RESP_136 1u
#define RESP_48 2u
#define RESP_48_BUSY 3u
#define CMD_CRC (1u << 3)
#define CMD_INDEX (1u << 4)
#define CMD_DATA (1u << 5)
/* The transfer mode (low half). */
#define XFER_COUNT (1u << 1)
#define XFER_AUTO_CMD12 (1u << 2)
#define XFER_READ (1u << 4)
#define XFER_MULTI (1u << 5)

static const uint32_t resp_flags[] = {
	[SD_RESP_NONE] = RESP_NONE,
	[SD_RESP_R1] = RESP_48 | CMD_CRC | CMD_INDEX,
	[SD_RESP_R1B] = RESP_48_BUSY | CMD_CRC | CMD_INDEX,
	[SD_RESP_R2] = RESP_136 | CMD_CRC,
	[SD_RESP_R3] = RESP_48,
};

static uint32_t rd(const struct sd_host *h, unsigned off)
{
	return mmio_read32(h->base + off);
}

static void wr(const struct sd_host *h, unsigned off, uint32_t v)
{
	mmio_write32(h->base + off, v);
}

/* Waits until (reg & mask) == want: 0, or -1 after timeout_ns. */
static int wait_for(const struct sd_host *h, unsigned off, uint32_t mask, uint32_t want,
		    uint64_t timeout_ns)
{
	uint64_t start = h->now_ns();
	for (;;) {
		if ((rd(h, off) & mask) == want)
			return 0;
		if (sd_expired(h, start, timeout_ns))
			return (rd(h, off) & mask) == want ? 0 : -1;
	}
}

/* Software reset of the command or data line (RESET_CMD/RESET_DAT), after an error. */
static void reset_line(const struct sd_host *h, uint32_t which)
{
	wr(h, REG_CLOCK, (rd(h, REG_CLOCK) & 0x00ffffffu) | which);
	wait_for(h, REG_CLOCK, which, 0, SD_CMD_TIMEOUT_NS);
}

/* Waits for a status bit (or an error): 0, or -1 (the error bits cleared, the lines reset). */
static int wait_int(const struct sd_host *h, uint32_t bit, uint64_t timeout_ns)
{
	uint64_t start = h->now_ns();
	for (;;) {
		uint32_t s = rd(h, REG_INT);
		if (s & (INT_ERROR | INT_ERRORS)) {
			wr(h, REG_INT, s & (INT_ERROR | INT_ERRORS));
			reset_line(h, RESET_CMD | RESET_DAT);
			return -1;
		}
		if (s & bit) {
			wr(h, REG_INT, bit);
			return 0;
		}
		if (sd_expired(h, start, timeout_ns)) {
			reset_line(h, RESET_CMD | RESET_DAT);
			return -1;
		}
	}
}

static int data(const struct sd_host *h, const struct sd_xfer *x)
{
	uint8_t *buf = x->buf;
	for (uint32_t b = 0; b < x->blocks; b++) {
		if (wait_int(h, x->read ? INT_READ_READY : INT_WRITE_READY, SD_DATA_TIMEOUT_NS))
			return -1;
		for (unsigned w = 0; w < SD_BLOCK / 4; w++, buf += 4) {
			uint32_t v;
			if (x->read) {
				v = rd(h, REG_DATA);
				memcpy(buf, &v, 4);
			} else {
				memcpy(&v, buf, 4);
				wr(h, REG_DATA, v);
			}
		}
	}
	return wait_int(h, INT_XFER_DONE, SD_DATA_TIMEOUT_NS);
}

static int command(struct sd_host *h, struct sd_cmd *c, const struct sd_xfer *x)
{
	uint32_t flags = resp_flags[c->resp] | (x ? CMD_DATA : 0);
	uint32_t mode = 0;
	if (x) {
		bool multi = x->blocks > 1;
		mode = (x->read ? XFER_READ : 0) |
		       (multi ? XFER_COUNT | XFER_MULTI | XFER_AUTO_CMD12 : 0);
	}
	bool busy = c->resp == SD_RESP_R1B;
	uint32_t inhibit = PRESENT_CMD_INHIBIT | (x || busy ? PRESENT_DAT_INHIBIT : 0);
	if (wait_for(h, REG_PRESENT, inhibit, 0, SD_CMD_TIMEOUT_NS)) {
		reset_line(h, RESET_CMD | RESET_DAT);  /* a line still busy from an earlier failure */
		return -1;
	}
	/* Status bits on, the interrupt line off, every time: on a Pi 4 passthrough silences
	 * EMMC2 (both enables cleared) when the Arasan goes to a guest (docs/passthrough.md);
	 * the status enables alone do not raise the line. */
	wr(h, REG_INT_ENABLE, 0xffffffffu);
	wr(h, REG_SIGNAL_ENABLE, 0);
	wr(h, REG_INT, 0xffffffffu);
	if (x)
		wr(h, REG_BLOCK, (x->blocks << 16) | SD_BLOCK);
	wr(h, REG_ARG, c->arg);
	wr(h, REG_CMD, ((uint32_t)c->idx << 24) | (flags << 16) | mode);
	if (wait_int(h, INT_CMD_DONE, SD_CMD_TIMEOUT_NS))
		return -1;
	for (unsigned i = 0; i < 4; i++)
		c->r[i] = rd(h, REG_RESP0 + 4 * i);
	if (x)
		return data(h, x);
	if (busy)
		return wait_int(h, INT_XFER_DONE, SD_DATA_TIMEOUT_NS);
	return 0;
}

/* The SD clock at most hz from the base clock: divided by 2N, N a power of 2 (what both
 * the version 2 8-bit and the version 3 10-bit divider fields mean), the clock stopped
 * while it changes. */
static int clock(struct sd_host *h, uint32_t hz)
{
	uint32_t n = 0;
	while (n < 512 && h->base_hz / (n ? 2 * n : 1) > hz)
		n = n ? 2 * n : 1;
	uint32_t field = ((n & 0xff) << 8) | ((n >> 8) & 3) << 6;
	uint32_t v = rd(h, REG_CLOCK) & 0xffff0000u & ~(RESET_ALL | RESET_CMD | RESET_DAT);
	wr(h, REG_CLOCK, v);                                    /* SD clock off */
	wr(h, REG_CLOCK, v | TIMEOUT_MAX | field | CLOCK_INTERNAL);
	if (wait_for(h, REG_CLOCK, CLOCK_STABLE, CLOCK_STABLE, SD_CMD_TIMEOUT_NS))
		return -1;
	wr(h, REG_CLOCK, rd(h, REG_CLOCK) | CLOCK_SD);
	sd_delay(h, 1000000);
	return 0;
}

static const char *reset(struct sd_host *h)
{
	wr(h, REG_CLOCK, RESET_ALL);
	if (wait_for(h, REG_CLOCK, RESET_ALL, 0, SD_CMD_TIMEOUT_NS))
		return "the controller does not come out of its reset";
	wr(h, REG_HOST, POWER_33V_ON);                          /* 1-bit bus, 3.3 V */
	wr(h, REG_INT_ENABLE, 0xffffffffu);                     /* status bits, polled */
	wr(h, REG_SIGNAL_ENABLE, 0);                            /* never an interrupt */
	if (!h->base_hz)
		h->base_hz = ((rd(h, REG_CAPS) >> 8) & 0xff) * 1000000ull;
	if (!h->base_hz)
		return "the controller's base clock is unknown";
	return NULL;
}

static int wide(struct sd_host *h)
{
	wr(h, REG_HOST, rd(h, REG_HOST) | HOST_4BIT);
	return 0;
}

static void off(struct sd_host *h)
{
	wr(h, REG_CLOCK, RESET_ALL);                            /* left stopped */
}

static const struct sd_host_ops sdhci_ops = {
	.reset = reset,
	.clock = clock,
	.wide = wide,
	.command = command,
	.off = off,
};

void sdhci_host(struct sd_host *h)
{
	h->ops = &sdhci_ops;
	h->max_blocks = 0xffffu;                                /* the block count register */
	h->auto_stop = true;
}
