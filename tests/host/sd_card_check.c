/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host driver of the SD card protocol layer (drivers/mmc/sd_card.c), run by
 * tests/unit/test_sd_card_host.py as `sd_card_check selftest`: a simulated SD
 * card behind a fake controller (struct sd_host_ops) answers like a card of
 * the SD Physical Layer Simplified Specification (states idle to transfer,
 * addressing by blocks or bytes, multi-block transfers ended by CMD12, busy
 * while programming), with faults to inject: no card, a card that never
 * powers up, a transfer that fails partway, a card that stays busy. The clock
 * is simulated (1 us a reading), so every bounded wait can be shown to end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostcheck.h"
#include "../../drivers/mmc/sd_host.h"

#define CARD_SECTORS 4096u          /* 2 MiB */
#define RCA 0x4d41u
#define MAX_LOG 4096

enum { IDLE, READY, IDENT, STBY, TRAN, DATA, RCV, PRG };

static struct card {
	bool present, v2, sdhc, csd_bad;
	unsigned ready_after;       /* ACMD41s until powered up (~0u: never) */
	unsigned acmd41s;
	unsigned busy_polls;        /* CMD13s answering "programming" after a write */
	bool busy_forever;
	int fail_at;                /* a data phase fails at this block of the next transfer (-1: none) */
	int state;
	bool app;
	bool wide;
	unsigned blocklen;
	uint8_t *data;
	/* What the host did. */
	uint8_t log[MAX_LOG];
	uint32_t args[MAX_LOG];
	unsigned nlog;
	bool reset_fails;
} card;

static uint64_t fake_ns;

static uint64_t now(void)
{
	return fake_ns += 1000;
}

static unsigned count_cmd(uint8_t idx)
{
	unsigned n = 0;
	for (unsigned i = 0; i < card.nlog; i++)
		n += card.log[i] == idx;
	return n;
}

/* Sets CSD bits [hi:lo] in the protocol layer's R2 layout (CSD bit n = bit n - 8). */
static void csd_set(uint32_t r[4], unsigned hi, unsigned lo, uint32_t v)
{
	for (unsigned b = lo; b <= hi; b++, v >>= 1) {
		unsigned x = b - 8;
		r[x / 32] = (r[x / 32] & ~(1u << (x % 32))) | ((v & 1) << (x % 32));
	}
}

static void csd(uint32_t r[4])
{
	memset(r, 0, 16);
	if (card.csd_bad) {
		csd_set(r, 127, 126, 3);
	} else if (card.sdhc) {
		/* version 2.0 counts 512 KiB units (1024 sectors) */
		csd_set(r, 127, 126, 1);
		csd_set(r, 69, 48, CARD_SECTORS / 1024 - 1);
	} else {
		/* version 1.0: (C_SIZE + 1) << (C_SIZE_MULT + 2) blocks of 512 bytes */
		csd_set(r, 127, 126, 0);
		csd_set(r, 83, 80, 9);
		csd_set(r, 73, 62, CARD_SECTORS / 8 - 1);
		csd_set(r, 49, 47, 1);
	}
}

static uint32_t status(void)
{
	return (uint32_t)card.state << 9 | (card.state == TRAN ? 1u << 8 : 0);
}

static const char *fake_reset(struct sd_host *h)
{
	(void)h;
	return card.reset_fails ? "the controller does not come out of its reset" : NULL;
}

static int fake_clock(struct sd_host *h, uint32_t hz)
{
	(void)h;
	return hz ? 0 : -1;
}

static int fake_wide(struct sd_host *h)
{
	(void)h;
	return 0;
}

static void fake_off(struct sd_host *h)
{
	(void)h;
}

/* A data command: the card's side of it. */
static int data_cmd(struct sd_host *h, struct sd_cmd *c, const struct sd_xfer *x)
{
	bool multi = c->idx == 18 || c->idx == 25;
	bool read = c->idx == 17 || c->idx == 18;
	if (card.state != TRAN || !x || x->read != read || (!multi && x->blocks != 1))
		return -1;
	uint64_t first = card.sdhc ? c->arg : c->arg / 512u;
	if (!card.sdhc && (c->arg % 512u || card.blocklen != 512))
		return -1;
	if (first + x->blocks > CARD_SECTORS)
		return -1;                  /* out of range: the card says so */
	c->r[0] = status();
	card.state = read ? DATA : RCV;
	for (uint32_t b = 0; b < x->blocks; b++) {
		if ((int)b == card.fail_at) {
			card.fail_at = -1;
			return -1;          /* left sending or receiving */
		}
		uint8_t *blk = card.data + (first + b) * 512;
		if (read)
			memcpy(x->buf + b * 512, blk, 512);
		else
			memcpy(blk, x->buf + b * 512, 512);
	}
	/* A single block ends by itself; a multi-block one only if the controller stops it. */
	if (!multi || h->auto_stop) {
		if (multi && card.nlog < MAX_LOG)
			card.log[card.nlog++] = 112;    /* logged as "CMD12 by the controller" */
		card.state = read ? TRAN : PRG;
	}
	return 0;
}

static int fake_command(struct sd_host *h, struct sd_cmd *c, const struct sd_xfer *x)
{
	if (card.nlog < MAX_LOG) {
		card.args[card.nlog] = c->arg;
		card.log[card.nlog++] = (uint8_t)(card.app && c->idx != 55 ? 100 + c->idx : c->idx);
	}
	memset(c->r, 0, sizeof(c->r));
	bool app = card.app;
	card.app = false;
	if (!card.present)
		return c->idx == 0 ? 0 : -1;     /* nothing drives CMD; no response comes */
	if (x && c->idx != 17 && c->idx != 18 && c->idx != 24 && c->idx != 25)
		return -1;
	if (app) {
		switch (c->idx) {
		case 41:
			if (card.state != IDLE && card.state != READY)
				return -1;
			if (c->resp != SD_RESP_R3)
				return -1;
			card.acmd41s++;
			c->r[0] = 0x00ff8000u;
			if (card.ready_after != ~0u && card.acmd41s >= card.ready_after) {
				c->r[0] |= 1u << 31 | ((card.sdhc && (c->arg & 1u << 30)) ? 1u << 30 : 0);
				card.state = READY;
			}
			return 0;
		case 6:
			if (card.state != TRAN || c->arg != 2)
				return -1;
			card.wide = true;
			c->r[0] = status();
			return 0;
		default:
			return -1;
		}
	}
	switch (c->idx) {
	case 0:
		card.state = IDLE;
		card.acmd41s = 0;
		card.blocklen = 512;
		card.wide = false;
		return 0;
	case 8:
		if (!card.v2 || card.state != IDLE)
			return -1;
		c->r[0] = c->arg & 0xfffu;
		return 0;
	case 55:
		if (c->resp != SD_RESP_R1 || (card.state >= STBY && c->arg >> 16 != RCA))
			return -1;
		card.app = true;
		c->r[0] = status() | 1u << 5;
		return 0;
	case 2:
		if (card.state != READY || c->resp != SD_RESP_R2)
			return -1;
		card.state = IDENT;
		c->r[0] = 0x12345678u;
		return 0;
	case 3:
		if (card.state != IDENT)
			return -1;
		card.state = STBY;
		c->r[0] = RCA << 16;
		return 0;
	case 9:
		if (card.state != STBY || c->arg >> 16 != RCA || c->resp != SD_RESP_R2)
			return -1;
		csd(c->r);
		return 0;
	case 7:
		if (card.state != STBY || c->arg >> 16 != RCA || c->resp != SD_RESP_R1B)
			return -1;
		card.state = TRAN;
		c->r[0] = status();
		return 0;
	case 16:
		if (card.state != TRAN || card.sdhc)
			return -1;
		card.blocklen = c->arg;
		return 0;
	case 12:
		if ((card.state != DATA && card.state != RCV) || c->resp != SD_RESP_R1B)
			return -1;
		card.state = card.state == DATA ? TRAN : PRG;
		return 0;
	case 13:
		if (c->arg >> 16 != RCA)
			return -1;
		if (card.state == PRG) {
			if (card.busy_forever || card.busy_polls) {
				if (card.busy_polls)
					card.busy_polls--;
				c->r[0] = status();
				return 0;
			}
			card.state = TRAN;
		}
		c->r[0] = status();
		return 0;
	case 17: case 18: case 24: case 25:
		return data_cmd(h, c, x);
	default:
		return -1;
	}
}

static const struct sd_host_ops fake_ops = {
	.reset = fake_reset,
	.clock = fake_clock,
	.wide = fake_wide,
	.command = fake_command,
	.off = fake_off,
};

static struct sd_host host(bool auto_stop, unsigned width, uint32_t max_blocks)
{
	return (struct sd_host){.ops = &fake_ops, .base_hz = 100000000, .max_blocks = max_blocks,
				.bus_width = width, .auto_stop = auto_stop, .now_ns = now};
}

static void new_card(bool v2, bool sdhc)
{
	uint8_t *data = card.data;
	memset(&card, 0, sizeof(card));
	card.data = data;
	card.present = true;
	card.v2 = v2;
	card.sdhc = sdhc;
	card.ready_after = 3;
	card.fail_at = -1;
	card.state = TRAN;              /* as the firmware left it */
	for (unsigned i = 0; i < CARD_SECTORS * 512; i++)
		card.data[i] = (uint8_t)(i * 7 + i / 512);
}

static void pattern(uint8_t *buf, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 13);
}

/* An SDHC card, 4-bit board, no Auto CMD12, 3 blocks a command at most (sdhost-like). */
static void check_sdhc_no_auto_stop(void)
{
	new_card(true, true);
	struct sd_host h = host(false, 4, 3);
	CHECK_STR(sd_card_init(&h), NULL);
	CHECK_EQ(h.sectors, CARD_SECTORS);
	CHECK(h.sdhc);
	CHECK(h.wide && card.wide);
	CHECK_EQ(h.rca, RCA);
	static const uint8_t start[] = {0, 8, 55, 141, 55, 141, 55, 141, 2, 3, 9, 7, 55, 106};
	CHECK_EQ(card.nlog, sizeof(start));
	CHECK(!memcmp(card.log, start, sizeof(start)));
	CHECK_EQ(card.args[3] & (1u << 30), 1u << 30);          /* HCS: block addressing taken */
	CHECK_EQ(count_cmd(16), 0);                             /* SDHC: blocks are 512 bytes */

	uint8_t out[7 * 512], in[7 * 512];
	pattern(out, sizeof(out), 1);
	card.nlog = 0;
	CHECK_EQ(sd_card_io(&h, 5, 7, out, false), 0);
	CHECK(!memcmp(card.data + 5 * 512, out, sizeof(out)));
	/* 3 + 3 + 1 blocks: two multi-block writes each stopped by CMD12, one single; each
	 * write then waits for the card with SEND_STATUS. */
	static const uint8_t writes[] = {25, 12, 13, 25, 12, 13, 24, 13};
	CHECK_EQ(card.nlog, sizeof(writes));
	CHECK(!memcmp(card.log, writes, sizeof(writes)));
	CHECK_EQ(card.args[0], 5);                              /* block addressed */
	CHECK_EQ(card.args[3], 8);
	CHECK_EQ(card.args[6], 11);
	card.nlog = 0;
	CHECK_EQ(sd_card_io(&h, 5, 7, in, true), 0);
	CHECK(!memcmp(in, out, sizeof(in)));
	static const uint8_t reads[] = {18, 12, 18, 12, 17};
	CHECK_EQ(card.nlog, sizeof(reads));
	CHECK(!memcmp(card.log, reads, sizeof(reads)));
	CHECK_EQ(card.state, TRAN);
	/* The last sector is there; one beyond it, or a count that wraps, is refused
	 * without a command. */
	card.nlog = 0;
	CHECK_EQ(sd_card_io(&h, CARD_SECTORS - 1, 1, in, true), 0);
	CHECK(!memcmp(in, card.data + (CARD_SECTORS - 1) * 512, 512));
	card.nlog = 0;
	CHECK_EQ(sd_card_io(&h, CARD_SECTORS, 1, in, true), -1);
	CHECK_EQ(sd_card_io(&h, CARD_SECTORS - 1, 2, in, true), -1);
	CHECK_EQ(sd_card_io(&h, 1, 0xffffffffu, in, true), -1);
	CHECK_EQ(sd_card_io(&h, ~0ull, 1, in, true), -1);
	CHECK_EQ(card.nlog, 0);
}

/* A version 1 SDSC card (no answer to CMD8), 1-bit board, SDHCI-like Auto CMD12. */
static void check_sdsc_auto_stop(void)
{
	new_card(false, false);
	struct sd_host h = host(true, 1, 0xffff);
	CHECK_STR(sd_card_init(&h), NULL);
	CHECK_EQ(h.sectors, CARD_SECTORS);
	CHECK(!h.sdhc);
	CHECK(!h.wide && !card.wide);
	CHECK_EQ(count_cmd(141), 3);
	CHECK_EQ(card.args[2] & (1u << 30), 0);                 /* no HCS without CMD8's echo */
	CHECK_EQ(count_cmd(16), 1);                             /* 512-byte blocks asked for */
	CHECK_EQ(count_cmd(106), 0);                            /* no 4-bit bus on this board */
	uint8_t out[4 * 512], in[4 * 512];
	pattern(out, sizeof(out), 9);
	card.nlog = 0;
	CHECK_EQ(sd_card_io(&h, 100, 4, out, false), 0);
	CHECK_EQ(card.args[0], 100 * 512);                      /* byte addressed */
	CHECK_EQ(count_cmd(12), 0);                             /* the controller stopped it */
	CHECK_EQ(count_cmd(112), 1);
	CHECK_EQ(sd_card_io(&h, 100, 4, in, true), 0);
	CHECK(!memcmp(in, out, sizeof(in)));
	CHECK_EQ(count_cmd(12), 0);
	/* A transfer failing partway is ended with CMD12 even here (Auto CMD12 covers only
	 * complete ones): the card is back in its transfer state and the next works. */
	card.fail_at = 2;
	card.nlog = 0;
	CHECK_EQ(sd_card_io(&h, 100, 4, in, true), -1);
	CHECK_EQ(count_cmd(12), 1);
	CHECK_EQ(card.state, TRAN);
	memset(in, 0, sizeof(in));
	CHECK_EQ(sd_card_io(&h, 100, 4, in, true), 0);
	CHECK(!memcmp(in, out, sizeof(in)));
	card.fail_at = 1;
	CHECK_EQ(sd_card_io(&h, 100, 4, out, false), -1);
	CHECK_EQ(card.state, PRG);                              /* stopped; programming */
	CHECK_EQ(sd_card_io(&h, 100, 1, out, false), -1);       /* not in tran: refused */
	card.state = TRAN;
	CHECK_EQ(sd_card_io(&h, 100, 1, out, false), 0);
}

/* The card programs for a while after a write; one that never stops is an error, in
 * bounded time. */
static void check_busy(void)
{
	new_card(true, true);
	struct sd_host h = host(false, 1, 8);
	CHECK_STR(sd_card_init(&h), NULL);
	uint8_t buf[512];
	pattern(buf, sizeof(buf), 3);
	card.busy_polls = 5;
	card.nlog = 0;
	CHECK_EQ(sd_card_io(&h, 0, 1, buf, false), 0);
	CHECK_EQ(count_cmd(13), 6);
	CHECK_EQ(card.state, TRAN);
	card.busy_forever = true;
	uint64_t t0 = fake_ns;
	CHECK_EQ(sd_card_io(&h, 0, 1, buf, false), -1);
	CHECK_MSG(fake_ns - t0 >= SD_DATA_TIMEOUT_NS && fake_ns - t0 < 2 * SD_DATA_TIMEOUT_NS,
		  "waited %llu ns", (unsigned long long)(fake_ns - t0));
}

/* What the boot log says when there is no card, a card that never powers up, a CSD of
 * an unknown structure, a controller that does not reset. */
static void check_no_card(void)
{
	new_card(true, true);
	card.present = false;
	struct sd_host h = host(false, 4, 8);
	CHECK_STR(sd_card_init(&h), "no card (it does not answer SD_SEND_OP_COND)");
	CHECK_EQ(h.sectors, 0);
	uint8_t buf[512];
	CHECK_EQ(sd_card_io(&h, 0, 1, buf, true), -1);          /* no card: no I/O */

	new_card(true, true);
	card.ready_after = ~0u;
	h = host(false, 4, 8);
	uint64_t t0 = fake_ns;
	CHECK_STR(sd_card_init(&h), "the card did not become ready within 1 s");
	CHECK_MSG(fake_ns - t0 >= 1000000000ull && fake_ns - t0 < 2000000000ull,
		  "waited %llu ns", (unsigned long long)(fake_ns - t0));
	CHECK(card.acmd41s > 10);

	new_card(true, true);
	card.csd_bad = true;
	h = host(false, 4, 8);
	CHECK_STR(sd_card_init(&h), "the card's CSD has an unknown structure");
	CHECK_EQ(h.sectors, 0);

	new_card(true, true);
	card.reset_fails = true;
	h = host(false, 4, 8);
	CHECK_STR(sd_card_init(&h), "the controller does not come out of its reset");
	CHECK_EQ(card.nlog, 0);
}

int main(int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], "selftest")) {
		fprintf(stderr, "usage: sd_card_check selftest\n");
		return 2;
	}
	card.data = calloc(CARD_SECTORS, 512);
	if (!card.data)
		return 2;
	check_sdhc_no_auto_stop();
	check_sdsc_auto_stop();
	check_busy();
	check_no_card();
	free(card.data);
	return check_summary("sd card selftest");
}
