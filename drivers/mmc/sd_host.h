/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The SD card protocol (sd_card.c) over a controller (sdhci.c,
 * bcm2835_sdhost.c): the protocol layer knows the card (SD Physical Layer
 * Simplified Specification: identification, addressing, block transfers,
 * stopping them); a controller knows how a command goes out, where its
 * response lands and how data moves through its port. Polled PIO, every wait
 * bounded. Pure logic on the protocol side: built for the host tests too
 * (tests/host/sd_card_check.c, a simulated card behind a fake controller).
 */
#ifndef DRIVERS_MMC_SD_HOST_H
#define DRIVERS_MMC_SD_HOST_H

#include <mamoru/types.h>

#define SD_BLOCK 512u

/* The response a command expects. R6 and R7 have R1's format. */
enum sd_resp {
	SD_RESP_NONE,
	SD_RESP_R1,          /* 48 bits, CRC and index checked */
	SD_RESP_R1B,         /* R1, then the card holds DAT0 low while busy */
	SD_RESP_R2,          /* 136 bits (CID, CSD), CRC checked */
	SD_RESP_R3,          /* 48 bits, no CRC, no index (the OCR) */
};

struct sd_cmd {
	uint32_t arg;
	uint8_t idx;
	uint8_t resp;        /* enum sd_resp */
	/* The response: 48-bit ones their 32 card bits in r[0]; R2 the register's bits
	 * [127:8] in r[0..3] bits [119:0], r[0] lowest (the layout sd_csd.h reads). */
	uint32_t r[4];
};

/* A command's data phase: blocks of SD_BLOCK bytes to or from buf (any alignment). */
struct sd_xfer {
	uint8_t *buf;
	uint32_t blocks;
	bool read;
};

struct sd_host;

struct sd_host_ops {
	/* Resets the controller and powers the card: 1-bit bus, no clock yet. NULL or why
	 * not (a sentence fragment). */
	const char *(*reset)(struct sd_host *h);
	/* The card's clock at most hz, from h->base_hz: 0 or -1. */
	int (*clock)(struct sd_host *h, uint32_t hz);
	/* The 4-bit data bus (the card was told, ACMD6): 0 or -1. NULL: 1-bit only. */
	int (*wide)(struct sd_host *h);
	/* Sends c, with x's data phase when x is not NULL, and waits (bounded) until it
	 * is done: 0, or -1 after an error or a timeout, the controller then ready for the
	 * next command. A multi-block transfer is ended with CMD12 by the controller
	 * itself only when h->auto_stop says so and it completed. */
	int (*command)(struct sd_host *h, struct sd_cmd *c, const struct sd_xfer *x);
	/* Leaves the controller stopped (no card on it). */
	void (*off)(struct sd_host *h);
};

struct sd_host {
	const struct sd_host_ops *ops;
	uintptr_t base;              /* the controller's registers */
	uint64_t base_hz;            /* its input clock */
	uint32_t max_blocks;         /* the most blocks one command moves (its counter) */
	unsigned bus_width;          /* 1 or 4: what the board wires (device tree bus-width) */
	bool auto_stop;              /* it sends CMD12 itself after a complete multi-block transfer */
	uint64_t (*now_ns)(void);    /* a monotonic clock for the bounded waits */
	uint32_t ctrl_word;          /* the controller's own use (a write-only register's value) */
	/* The card, filled in by sd_card_init. */
	uint32_t rca;
	bool sdhc;                   /* block addressing (SDHC/SDXC), else bytes (SDSC) */
	bool wide;                   /* on the 4-bit bus */
	uint64_t sectors;            /* 512-byte sectors */
};

/* Brings up the card behind h: NULL, or why not (a sentence fragment for the boot
 * log: "no card (...)" when nothing answers). */
const char *sd_card_init(struct sd_host *h);
/* count sectors from lba, to (read) or from buf: 0, or -1 (an error, a timeout, a range
 * beyond the card). A failed multi-block transfer is ended with CMD12. */
int sd_card_io(struct sd_host *h, uint64_t lba, uint32_t count, uint8_t *buf, bool read);

/* Bounded waits for the controllers: the time is up (now past start + ns). */
static inline bool sd_expired(const struct sd_host *h, uint64_t start, uint64_t ns)
{
	return h->now_ns() - start > ns;
}

void sd_delay(const struct sd_host *h, uint64_t ns);

#define SD_CMD_TIMEOUT_NS 100000000ull      /* 100 ms for a command */
#define SD_DATA_TIMEOUT_NS 1000000000ull    /* 1 s for a block (or a busy card) */

#endif
