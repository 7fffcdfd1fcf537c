/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The SD card protocol over any controller (see sd_host.h): identification
 * (SD Physical Layer Simplified Specification, 4.2), then single- and
 * multi-block transfers in the transfer state (4.3).
 */
#include "sd_host.h"
#include "sd_csd.h"

#define OCR_BUSY (1u << 31)              /* set when the card finished powering up */
#define OCR_CCS (1u << 30)               /* card capacity status: block addressed */
#define OCR_HCS (1u << 30)               /* the host takes block-addressed cards */
#define OCR_VOLTAGES 0x00ff8000u         /* 2.7-3.6 V */
#define IF_COND_CHECK 0x1aau             /* CMD8: 2.7-3.6 V and a check pattern */
#define READY_TIMEOUT_NS 1000000000ull   /* ACMD41 until the card is ready (the spec's 1 s) */

/* The card status (R1): its state and whether it takes data. */
#define STATUS_STATE(s) (((s) >> 9) & 0xfu)
#define STATE_TRAN 4u
#define STATUS_READY_FOR_DATA (1u << 8)

void sd_delay(const struct sd_host *h, uint64_t ns)
{
	uint64_t start = h->now_ns();
	while (!sd_expired(h, start, ns))
		;
}

static int cmd(struct sd_host *h, uint8_t idx, uint32_t arg, enum sd_resp resp, uint32_t r[4])
{
	struct sd_cmd c = {.arg = arg, .idx = idx, .resp = (uint8_t)resp};
	int err = h->ops->command(h, &c, NULL);
	if (r)
		for (unsigned i = 0; i < 4; i++)
			r[i] = c.r[i];
	return err;
}

/* An application command: APP_CMD (CMD55) with the card's address, then ACMD idx. */
static int acmd(struct sd_host *h, uint8_t idx, uint32_t arg, enum sd_resp resp, uint32_t r[4])
{
	if (cmd(h, 55, h->rca << 16, SD_RESP_R1, r))
		return -1;
	return cmd(h, idx, arg, resp, r);
}

const char *sd_card_init(struct sd_host *h)
{
	uint32_t r[4];
	h->rca = 0;
	h->sdhc = h->wide = false;
	h->sectors = 0;
	const char *why = h->ops->reset(h);
	if (why)
		return why;
	if (h->ops->clock(h, 400000))
		return "its clock does not become stable";
	sd_delay(h, 2000000);                                /* 74 clocks and more */
	if (cmd(h, 0, 0, SD_RESP_NONE, NULL))
		return "no card (GO_IDLE_STATE not accepted)";
	/* SEND_IF_COND: a version 2 card echoes the pattern; an older one does not answer. */
	bool v2 = !cmd(h, 8, IF_COND_CHECK, SD_RESP_R1, r) && (r[0] & 0xfff) == IF_COND_CHECK;
	uint64_t start = h->now_ns();
	for (;;) {
		if (acmd(h, 41, OCR_VOLTAGES | (v2 ? OCR_HCS : 0), SD_RESP_R3, r))
			return "no card (it does not answer SD_SEND_OP_COND)";
		if (r[0] & OCR_BUSY)
			break;
		if (sd_expired(h, start, READY_TIMEOUT_NS))
			return "the card did not become ready within 1 s";
		sd_delay(h, 10000000);
	}
	h->sdhc = v2 && (r[0] & OCR_CCS);
	if (cmd(h, 2, 0, SD_RESP_R2, r) || cmd(h, 3, 0, SD_RESP_R1, r))
		return "the card does not give its address";
	h->rca = r[0] >> 16;
	if (cmd(h, 9, h->rca << 16, SD_RESP_R2, r))
		return "the card does not give its CSD";
	h->sectors = sd_csd_sectors(r);
	if (!h->sectors)
		return "the card's CSD has an unknown structure";
	if (cmd(h, 7, h->rca << 16, SD_RESP_R1B, r))
		return "the card cannot be selected";
	if (h->ops->clock(h, 25000000))
		return "its clock does not become stable at 25 MHz";
	/* Every SD memory card has the 4-bit bus; the board may wire only DAT0. */
	if (h->bus_width == 4 && h->ops->wide) {
		if (acmd(h, 6, 2, SD_RESP_R1, r))
			return "the card refuses the 4-bit bus (SET_BUS_WIDTH)";
		if (h->ops->wide(h))
			return "the controller does not take the 4-bit bus";
		h->wide = true;
	}
	if (!h->sdhc && cmd(h, 16, SD_BLOCK, SD_RESP_R1, r))
		return "the card refuses 512-byte blocks";
	return NULL;
}

/* After a write the card programs its flash and may not take the next command
 * until it is done: SEND_STATUS until it is back in its transfer state, ready
 * for data (bounded). 0 or -1. */
static int wait_ready(struct sd_host *h)
{
	uint64_t start = h->now_ns();
	for (;;) {
		uint32_t r[4];
		if (cmd(h, 13, h->rca << 16, SD_RESP_R1, r) == 0 &&
		    STATUS_STATE(r[0]) == STATE_TRAN && (r[0] & STATUS_READY_FOR_DATA))
			return 0;
		if (sd_expired(h, start, SD_DATA_TIMEOUT_NS))
			return -1;
	}
}

/* One command's worth of blocks. A multi-block transfer the controller did not end
 * (it has no Auto CMD12, or the transfer failed partway, which Auto CMD12 does not
 * cover) leaves the card sending or receiving, where every later read or write
 * command is illegal for it: STOP_TRANSMISSION (CMD12, R1b) takes it back to its
 * transfer state. Its own failure changes nothing more for a transfer that failed. */
static int transfer(struct sd_host *h, uint64_t lba, uint32_t count, uint8_t *buf, bool read)
{
	uint64_t addr = h->sdhc ? lba : lba * SD_BLOCK;
	if (addr > 0xffffffffu)
		return -1;
	bool multi = count > 1;
	struct sd_cmd c = {.arg = (uint32_t)addr, .resp = SD_RESP_R1,
			   .idx = read ? (multi ? 18 : 17) : (multi ? 25 : 24)};
	struct sd_xfer x = {.buf = buf, .blocks = count, .read = read};
	int err = h->ops->command(h, &c, &x);
	if (multi && (err || !h->auto_stop) && cmd(h, 12, 0, SD_RESP_R1B, NULL))
		err = -1;
	if (!err && !read)
		err = wait_ready(h);
	return err;
}

int sd_card_io(struct sd_host *h, uint64_t lba, uint32_t count, uint8_t *buf, bool read)
{
	if (!h->sectors || !h->max_blocks || lba > h->sectors || count > h->sectors - lba)
		return -1;
	while (count) {
		uint32_t n = count < h->max_blocks ? count : h->max_blocks;
		if (transfer(h, lba, n, buf, read))
			return -1;
		lba += n;
		count -= n;
		buf += (size_t)n * SD_BLOCK;
	}
	return 0;
}
