/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The BCM2835 "sdhost" SD controller ("brcm,bcm2835-sdhost"; a real Pi 3's SD
 * card) under the SD card protocol layer (sd_host.h). Not an SDHCI: Broadcom
 * published no chapter on it; the register layout and behaviour below were
 * learnt from public sources (QEMU's model, which the tests run against, and
 * what Linux's driver does with it), written anew here. PIO through its data
 * FIFO, polled (its interrupt line is never enabled in the interrupt
 * controller), every wait bounded.
 *
 * A command is its index, response and data flags and the "new" bit written to
 * the command register; the controller clears "new" when the command is done
 * and sets "fail" (with the reason in the status register) when it failed. For
 * data, block size and count are set first; words then pass through a 16-word
 * FIFO whose fill level the debug-mode register shows, as does the state of the
 * controller's data state machine, idle again when the data went out.
 */
#include <arch/cpu.h>
#include <mamoru/driver.h>
#include <mamoru/libc.h>

#include "sd_controllers.h"

#define SDCMD 0x00               /* command (and its flags) */
#define SDARG 0x04               /* argument */
#define SDTOUT 0x08              /* data timeout, in card clocks */
#define SDCDIV 0x0c              /* clock divisor: card clock = base / (SDCDIV + 2) */
#define SDRSP0 0x10              /* response, four words, SDRSP0 lowest */
#define SDHSTS 0x20              /* status (its flags write 1 to clear) */
#define SDVDD 0x30               /* power */
#define SDEDM 0x34               /* debug mode: FIFO level, data state machine */
#define SDHCFG 0x38              /* configuration */
#define SDHBCT 0x3c              /* block size in bytes */
#define SDDATA 0x40              /* data FIFO */
#define SDHBLC 0x50              /* block count */

#define CMD_READ (1u << 6)
#define CMD_WRITE (1u << 7)
#define CMD_LONG (1u << 9)       /* 136-bit response */
#define CMD_NO_RESPONSE (1u << 10)
#define CMD_BUSY (1u << 11)      /* R1b: wait for the card's busy to end */
#define CMD_FAIL (1u << 14)
#define CMD_NEW (1u << 15)

#define STS_FIFO_ERROR (1u << 3)
#define STS_CRC7_ERROR (1u << 4)
#define STS_CRC16_ERROR (1u << 5)
#define STS_CMD_TIMEOUT (1u << 6)
#define STS_DATA_TIMEOUT (1u << 7)
#define STS_BUSY_DONE (1u << 10) /* a busy-wait command's busy ended */
#define STS_ERRORS (STS_FIFO_ERROR | STS_CRC7_ERROR | STS_CRC16_ERROR | STS_CMD_TIMEOUT | \
		    STS_DATA_TIMEOUT)
#define STS_CLEAR 0x7f8u         /* every flag that clears by writing 1 */

#define CFG_WIDE_INT (1u << 1)   /* the FIFO side in words */
#define CFG_WIDE_EXT (1u << 2)   /* the card's 4-bit bus */
#define CFG_SLOW_CARD (1u << 3)  /* no clock switching of its own: the divisor as set */
#define CFG_BUSY_EN (1u << 10)   /* STS_BUSY_DONE reported */

#define EDM_STATE(e) ((e) & 0xfu)
#define EDM_FIFO(e) (((e) >> 4) & 0x1fu)
#define STATE_IDENT 0x0u
#define STATE_DATA 0x1u
#define STATE_READ_WAIT 0x4u     /* a multi-block read waiting for the host or CMD12 */
#define STATE_WRITE_START 0xau   /* a multi-block write waiting for the next block */

#define FIFO_WORDS 16u
#define CDIV_MAX 0x7ffu

static uint32_t rd(const struct sd_host *h, unsigned off)
{
	return mmio_read32(h->base + off);
}

static void wr(const struct sd_host *h, unsigned off, uint32_t v)
{
	mmio_write32(h->base + off, v);
}

/* Waits (bounded) until the previous command is done: 0 or -1. */
static int wait_not_new(const struct sd_host *h, uint32_t *cmd)
{
	uint64_t start = h->now_ns();
	for (;;) {
		*cmd = rd(h, SDCMD);
		if (!(*cmd & CMD_NEW))
			return 0;
		if (sd_expired(h, start, SD_CMD_TIMEOUT_NS))
			return -1;
	}
}

/* After a failed command or transfer: the flags cleared, no block left to move and
 * the FIFO drained, so the next command starts clean. */
static int failed(const struct sd_host *h)
{
	wr(h, SDHSTS, STS_CLEAR);
	wr(h, SDHBLC, 0);
	for (unsigned i = 0; i < FIFO_WORDS && EDM_FIFO(rd(h, SDEDM)); i++)
		(void)rd(h, SDDATA);
	return -1;
}

/* Moves x's words through the FIFO as its level allows: 0 or -1. The deadline is per
 * block: a card that goes on sending or taking data never times out. */
static int data(const struct sd_host *h, const struct sd_xfer *x)
{
	uint8_t *buf = x->buf;
	uint32_t words = x->blocks * (SD_BLOCK / 4);
	uint32_t done = 0;
	uint64_t start = h->now_ns();
	while (done < words) {
		if (rd(h, SDHSTS) & STS_ERRORS)
			return -1;
		uint32_t level = EDM_FIFO(rd(h, SDEDM));
		uint32_t n = x->read ? level : (level < FIFO_WORDS ? FIFO_WORDS - level : 0);
		if (n > words - done)
			n = words - done;
		if (!n) {
			if (sd_expired(h, start, SD_DATA_TIMEOUT_NS))
				return -1;
			continue;
		}
		for (uint32_t i = 0; i < n; i++, buf += 4) {
			uint32_t v;
			if (x->read) {
				v = rd(h, SDDATA);
				memcpy(buf, &v, 4);
			} else {
				memcpy(&v, buf, 4);
				wr(h, SDDATA, v);
			}
		}
		if ((done + n) / (SD_BLOCK / 4) != done / (SD_BLOCK / 4))
			start = h->now_ns();
		done += n;
	}
	/* The last words still have to go out on (or come in from) the card: the data state
	 * machine back at rest, or waiting for the next block of a multi-block transfer. */
	uint32_t rest = x->read ? STATE_READ_WAIT : STATE_WRITE_START;
	start = h->now_ns();
	for (;;) {
		uint32_t s = EDM_STATE(rd(h, SDEDM));
		if (s == STATE_IDENT || s == STATE_DATA || (x->blocks > 1 && s == rest))
			break;
		if (sd_expired(h, start, SD_DATA_TIMEOUT_NS))
			return -1;
	}
	return rd(h, SDHSTS) & STS_ERRORS ? -1 : 0;
}

static int command(struct sd_host *h, struct sd_cmd *c, const struct sd_xfer *x)
{
	uint32_t v;
	if (wait_not_new(h, &v))
		return failed(h);
	wr(h, SDHSTS, STS_CLEAR);
	uint32_t flags = c->idx & 0x3fu;
	switch (c->resp) {
	case SD_RESP_NONE:
		flags |= CMD_NO_RESPONSE;
		break;
	case SD_RESP_R2:
		flags |= CMD_LONG;
		break;
	case SD_RESP_R1B:
		flags |= CMD_BUSY;
		break;
	default:
		break;
	}
	if (x) {
		flags |= x->read ? CMD_READ : CMD_WRITE;
		wr(h, SDHBCT, SD_BLOCK);                /* the size before the count */
		wr(h, SDHBLC, x->blocks);
	}
	wr(h, SDARG, c->arg);
	wr(h, SDCMD, flags | CMD_NEW);
	if (wait_not_new(h, &v))
		return failed(h);
	if (v & CMD_FAIL) {
		/* R3 has no CRC (all ones there): a CRC7 complaint alone is no failure. */
		uint32_t s = rd(h, SDHSTS) & STS_ERRORS;
		if (!(c->resp == SD_RESP_R3 && s == STS_CRC7_ERROR))
			return failed(h);
	}
	uint32_t r[4];
	for (unsigned i = 0; i < 4; i++)
		r[i] = rd(h, SDRSP0 + 4 * i);
	if (c->resp == SD_RESP_R2) {
		/* The controller keeps all 128 bits, the CRC byte lowest: the protocol layer
		 * takes bits [127:8] (sd_host.h). */
		for (unsigned i = 0; i < 4; i++)
			c->r[i] = r[i] >> 8 | (i < 3 ? r[i + 1] << 24 : 0);
	} else {
		c->r[0] = r[0];
		c->r[1] = c->r[2] = c->r[3] = 0;
	}
	if (x && data(h, x))
		return failed(h);
	if (c->resp == SD_RESP_R1B) {
		uint64_t start = h->now_ns();
		while (!(rd(h, SDHSTS) & STS_BUSY_DONE)) {
			if (sd_expired(h, start, SD_DATA_TIMEOUT_NS))
				return failed(h);
		}
		wr(h, SDHSTS, STS_BUSY_DONE);
	}
	return 0;
}

static int clock(struct sd_host *h, uint32_t hz)
{
	if (!hz)
		return -1;
	/* The smallest divisor that gives at most hz. */
	uint64_t div = (h->base_hz + hz - 1) / hz;
	div = div < 2 ? 0 : div - 2;
	if (div > CDIV_MAX)
		div = CDIV_MAX;
	wr(h, SDCDIV, (uint32_t)div);
	/* A data timeout of half a second in card clocks. */
	wr(h, SDTOUT, (uint32_t)(h->base_hz / (div + 2) / 2));
	sd_delay(h, 1000000);
	return 0;
}

static const char *reset(struct sd_host *h)
{
	if (!h->base_hz)
		return "the controller's base clock is unknown";
	/* Power off, every register to rest, power on again. */
	wr(h, SDVDD, 0);
	wr(h, SDCMD, 0);
	wr(h, SDARG, 0);
	wr(h, SDCDIV, CDIV_MAX);
	wr(h, SDHSTS, STS_CLEAR);
	wr(h, SDHCFG, 0);
	wr(h, SDHBCT, 0);
	wr(h, SDHBLC, 0);
	sd_delay(h, 10000000);
	wr(h, SDVDD, 1);
	sd_delay(h, 10000000);
	/* The configuration is kept in h->ctrl_word: QEMU's model does not read it back. */
	h->ctrl_word = CFG_WIDE_INT | CFG_SLOW_CARD | CFG_BUSY_EN;     /* 1-bit bus */
	wr(h, SDHCFG, h->ctrl_word);
	uint32_t v;
	if (wait_not_new(h, &v))
		return "the controller does not come out of its reset";
	return NULL;
}

static int wide(struct sd_host *h)
{
	h->ctrl_word |= CFG_WIDE_EXT;
	wr(h, SDHCFG, h->ctrl_word);
	return 0;
}

static void off(struct sd_host *h)
{
	wr(h, SDHCFG, 0);
	wr(h, SDVDD, 0);                                        /* left powered off */
}

static const struct sd_host_ops sdhost_ops = {
	.reset = reset,
	.clock = clock,
	.wide = wide,
	.command = command,
	.off = off,
};

void bcm2835_sdhost_host(struct sd_host *h)
{
	h->ops = &sdhost_ops;
	h->max_blocks = 0x1ffu;                                 /* its block counter's width */
	h->auto_stop = false;
}
