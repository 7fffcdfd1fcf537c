/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The board's SD card through an SD host controller (SD Host Controller
 * Simplified Specification register interface; commands from the SD Physical
 * Layer Simplified Specification): PIO through the Buffer Data Port, polled,
 * no interrupts signalled, every wait bounded by a deadline (a timeout is an
 * error, never a hang). 1-bit bus, default speed (25 MHz).
 *
 * Which controller holds the card: an EMMC2 ("brcm,bcm2711-emmc2", a real Pi
 * 4's card; untested on hardware) is tried first, then the Arasan SD host
 * ("brcm,bcm2835-sdhci": QEMU raspi3b/raspi4b put -drive if=sd there); the
 * first with a card wins. A real Pi 3's card is on sdhost
 * ("brcm,bcm2835-sdhost", not an SDHCI), which is not driven.
 *
 * Every register is accessed 32 bits wide (the Pis' Arasan takes no other
 * width): the 8- and 16-bit registers by read-modify-write of their word.
 */
#include <arch/cpu.h>
#include <mamoru/console.h>
#include <mamoru/driver.h>
#include <mamoru/fdt.h>
#include <mamoru/libc.h>
#include <mamoru/sdcard.h>

#include "sd_csd.h"
#ifdef CONFIG_DRIVER_RPI_FIRMWARE
#include "../firmware/rpi_firmware.h"
#endif

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
#define PRESENT_CARD (1u << 16)

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

#define R1 (RESP_48 | CMD_CRC | CMD_INDEX)
#define R1B (RESP_48_BUSY | CMD_CRC | CMD_INDEX)
#define R2 (RESP_136 | CMD_CRC)
#define R3 RESP_48
#define R6 R1
#define R7 R1

#define BLOCK 512u
#define MAX_BLOCKS 0xffffu               /* the block count register */
#define CMD_TIMEOUT_NS 100000000ull      /* 100 ms for a command */
#define DATA_TIMEOUT_NS 1000000000ull    /* 1 s per block */
#define READY_TIMEOUT_NS 1000000000ull   /* ACMD41 until the card is ready */
#define OCR_BUSY (1u << 31)
#define OCR_CCS (1u << 30)
#define OCR_HCS (1u << 30)
#define OCR_VOLTAGES 0x00ff8000u         /* 2.7-3.6 V */

#define FW_CLOCK_EMMC2 12u               /* the firmware's clock id of the Pi 4's EMMC2 */

static struct {
	bool tried;
	const char *why;
	struct sdcard card;
	uintptr_t base;
	uint32_t rca;
	bool sdhc;                      /* block addressing (else bytes) */
	uint64_t base_hz;
} sd;

static uint32_t rd(unsigned off)
{
	return mmio_read32(sd.base + off);
}

static void wr(unsigned off, uint32_t v)
{
	mmio_write32(sd.base + off, v);
}

/* Waits until (reg & mask) == want: 0, or -1 after timeout_ns. */
static int wait_for(unsigned off, uint32_t mask, uint32_t want, uint64_t timeout_ns)
{
	uint64_t end = timer_now_ns() + timeout_ns;
	for (;;) {
		if ((rd(off) & mask) == want)
			return 0;
		if (timer_now_ns() > end)
			return (rd(off) & mask) == want ? 0 : -1;
	}
}

static void delay_ns(uint64_t ns)
{
	uint64_t end = timer_now_ns() + ns;
	while (timer_now_ns() < end)
		;
}

/* Software reset of the command or data line (RESET_CMD/RESET_DAT), after an error. */
static void reset_line(uint32_t which)
{
	wr(REG_CLOCK, (rd(REG_CLOCK) & 0x00ffffffu) | which);
	wait_for(REG_CLOCK, which, 0, CMD_TIMEOUT_NS);
}

/* Waits for a status bit (or an error): 0, or -1 (the error bits cleared, the lines reset). */
static int wait_int(uint32_t bit, uint64_t timeout_ns)
{
	uint64_t end = timer_now_ns() + timeout_ns;
	for (;;) {
		uint32_t s = rd(REG_INT);
		if (s & (INT_ERROR | INT_ERRORS)) {
			wr(REG_INT, s & (INT_ERROR | INT_ERRORS));
			reset_line(RESET_CMD | RESET_DAT);
			return -1;
		}
		if (s & bit) {
			wr(REG_INT, bit);
			return 0;
		}
		if (timer_now_ns() > end) {
			reset_line(RESET_CMD | RESET_DAT);
			return -1;
		}
	}
}

/* Sends command idx with arg; flags the command register's response/data bits, mode the
 * transfer mode. The 48-bit response in resp[0] (136-bit: resp[0..3]). 0 or -1. */
static int command(unsigned idx, uint32_t arg, uint32_t flags, uint32_t mode, uint32_t resp[4])
{
	uint32_t inhibit = PRESENT_CMD_INHIBIT | ((flags & CMD_DATA) || (flags & 3) == RESP_48_BUSY ?
						 PRESENT_DAT_INHIBIT : 0);
	if (wait_for(REG_PRESENT, inhibit, 0, CMD_TIMEOUT_NS)) {
		reset_line(RESET_CMD | RESET_DAT);    /* a line still busy from an earlier failure */
		return -1;
	}
	/* Status bits on, the interrupt line off, every time: on a Pi 4 passthrough silences
	 * EMMC2 (both enables cleared) when the Arasan goes to a guest (docs/passthrough.md);
	 * the status enables alone do not raise the line. */
	wr(REG_INT_ENABLE, 0xffffffffu);
	wr(REG_SIGNAL_ENABLE, 0);
	wr(REG_INT, 0xffffffffu);
	wr(REG_ARG, arg);
	wr(REG_CMD, (idx << 24) | (flags << 16) | mode);
	if (wait_int(INT_CMD_DONE, CMD_TIMEOUT_NS))
		return -1;
	if (resp)
		for (unsigned i = 0; i < 4; i++)
			resp[i] = rd(REG_RESP0 + 4 * i);
	if ((flags & 3) == RESP_48_BUSY && !(flags & CMD_DATA))
		return wait_int(INT_XFER_DONE, DATA_TIMEOUT_NS);
	return 0;
}

/* The SD clock at most hz from the base clock: divided by 2N, N a power of 2 (what both
 * the version 2 8-bit and the version 3 10-bit divider fields mean), the clock stopped
 * while it changes. */
static int set_clock(uint64_t hz)
{
	uint32_t n = 0;
	while (n < 512 && sd.base_hz / (n ? 2 * n : 1) > hz)
		n = n ? 2 * n : 1;
	uint32_t field = ((n & 0xff) << 8) | ((n >> 8) & 3) << 6;
	uint32_t v = rd(REG_CLOCK) & 0xffff0000u & ~(RESET_ALL | RESET_CMD | RESET_DAT);
	wr(REG_CLOCK, v);                                    /* SD clock off */
	wr(REG_CLOCK, v | TIMEOUT_MAX | field | CLOCK_INTERNAL);
	if (wait_for(REG_CLOCK, CLOCK_STABLE, CLOCK_STABLE, CMD_TIMEOUT_NS))
		return -1;
	wr(REG_CLOCK, rd(REG_CLOCK) | CLOCK_SD);
	delay_ns(1000000);
	return 0;
}

/* Brings up the card on the controller at sd.base: NULL, or why not. */
static const char *card_init(void)
{
	uint32_t r[4];
	wr(REG_CLOCK, RESET_ALL);
	if (wait_for(REG_CLOCK, RESET_ALL, 0, CMD_TIMEOUT_NS))
		return "the controller does not come out of its reset";
	wr(REG_HOST, POWER_33V_ON);                          /* 1-bit bus, 3.3 V */
	wr(REG_INT_ENABLE, 0xffffffffu);                     /* status bits, polled */
	wr(REG_SIGNAL_ENABLE, 0);                            /* never an interrupt */
	if (!sd.base_hz)
		sd.base_hz = ((rd(REG_CAPS) >> 8) & 0xff) * 1000000ull;
	if (!sd.base_hz)
		return "the controller's base clock is unknown";
	if (set_clock(400000))
		return "its clock does not become stable";
	delay_ns(2000000);                                   /* 74 clocks and more */
	if (command(0, 0, RESP_NONE, 0, NULL))
		return "no card (GO_IDLE_STATE not accepted)";
	bool v2 = !command(8, 0x1aa, R7, 0, r) && (r[0] & 0xfff) == 0x1aa;
	uint64_t end = timer_now_ns() + READY_TIMEOUT_NS;
	for (;;) {
		if (command(55, 0, R1, 0, r) || command(41, OCR_VOLTAGES | (v2 ? OCR_HCS : 0), R3, 0, r))
			return "no card (it does not answer SD_SEND_OP_COND)";
		if (r[0] & OCR_BUSY)
			break;
		if (timer_now_ns() > end)
			return "the card did not become ready within 1 s";
		delay_ns(10000000);
	}
	sd.sdhc = v2 && (r[0] & OCR_CCS);
	if (command(2, 0, R2, 0, r) || command(3, 0, R6, 0, r))
		return "the card does not give its address";
	sd.rca = r[0] >> 16;
	if (command(9, sd.rca << 16, R2, 0, r))
		return "the card does not give its CSD";
	sd.card.sectors = sd_csd_sectors(r);
	if (!sd.card.sectors)
		return "the card's CSD has an unknown structure";
	if (command(7, sd.rca << 16, R1B, 0, r))
		return "the card cannot be selected";
	if (set_clock(25000000))
		return "its clock does not become stable at 25 MHz";
	if (!sd.sdhc && command(16, BLOCK, R1, 0, r))
		return "the card refuses 512-byte blocks";
	return NULL;
}

/* The base clock of the controller at node: what the firmware says (the Pis), else 0
 * (then the capabilities register's). */
static uint64_t base_clock(const struct fdt *host, bool emmc2)
{
	uint32_t hz = 0;
#ifdef CONFIG_DRIVER_RPI_FIRMWARE
	if (rpi_fw_clock_rate(host, emmc2 ? FW_CLOCK_EMMC2 : RPI_FW_CLOCK_EMMC, &hz))
		hz = 0;
#else
	(void)host;
	(void)emmc2;
#endif
	return hz;
}

static const char *const controllers[] = {"brcm,bcm2711-emmc2", "brcm,bcm2835-sdhci"};

const struct sdcard *sdcard_open(const struct fdt *host, const char **why)
{
	if (sd.tried) {
		*why = sd.why;
		return sd.why ? NULL : &sd.card;
	}
	sd.tried = true;
	sd.why = "no SD host controller in the device tree that Mamoru drives (SDHCI)";
	for (size_t i = 0; host && i < ARRAY_SIZE(controllers); i++) {
		for (int n = fdt_find_compatible(host, -1, controllers[i]); n >= 0;
		     n = fdt_find_compatible(host, n, controllers[i])) {
			const char *st = fdt_getprop_str(host, n, "status");
			uint64_t base, size;
			if ((st && strcmp(st, "okay") && strcmp(st, "ok")) ||
			    fdt_get_reg(host, n, 0, &base, &size) || size < 0x100)
				continue;
			sd.base = (uintptr_t)base;
			sd.base_hz = base_clock(host, i == 0);
			const char *err = card_init();
			printk("sd: %s: %s\n", fdt_node_name(host, n), err ? err : "card found");
			if (err) {
				wr(REG_CLOCK, RESET_ALL);     /* left stopped */
				sd.why = err;
				continue;
			}
			sd.card.base = base;
			sd.card.size = size;
			sd.card.node = fdt_node_name(host, n);
			sd.why = NULL;
			printk("sd: %llu MiB %s card, base clock %llu Hz\n",
			       (unsigned long long)(sd.card.sectors >> 11), sd.sdhc ? "SDHC/SDXC" : "SDSC",
			       (unsigned long long)sd.base_hz);
			*why = NULL;
			return &sd.card;
		}
	}
	/* A real Pi 3's card is on sdhost, not an SDHCI: say so when it is there. */
	int sdhost = host ? fdt_find_compatible(host, -1, "brcm,bcm2835-sdhost") : -1;
	const char *st = sdhost >= 0 ? fdt_getprop_str(host, sdhost, "status") : NULL;
	if (sdhost >= 0 && (!st || !strcmp(st, "okay") || !strcmp(st, "ok"))) {
		static char buf[160];
		m_snprintf(buf, sizeof(buf), "%s; a Pi 3's card is on sdhost (brcm,bcm2835-sdhost), "
			   "which Mamoru does not drive", sd.why);
		sd.why = buf;
	}
	*why = sd.why;
	return NULL;
}

/* count blocks from lba through the data port, buf unaligned; 0 or -1. */
static int move(uint64_t lba, uint32_t count, uint8_t *buf, bool read);

/* A multi-block transfer that failed partway (the controller's Auto CMD12 only ends one
 * that completes) leaves the card sending or receiving, where every later read or write
 * command is illegal for it: STOP_TRANSMISSION (CMD12, R1b) takes it back to its transfer
 * state. Its own failure changes nothing more: the request has failed already. Written
 * from the SD specification; QEMU injects no such failure, so untested. */
static int transfer(uint64_t lba, uint32_t count, uint8_t *buf, bool read)
{
	if (move(lba, count, buf, read) == 0)
		return 0;
	if (count > 1) {
		uint32_t r[4];
		command(12, 0, R1B, 0, r);
	}
	return -1;
}

static int move(uint64_t lba, uint32_t count, uint8_t *buf, bool read)
{
	uint64_t addr = sd.sdhc ? lba : lba * BLOCK;
	if (addr > 0xffffffffu)
		return -1;
	bool multi = count > 1;
	unsigned idx = read ? (multi ? 18 : 17) : (multi ? 25 : 24);
	uint32_t mode = (read ? XFER_READ : 0) | (multi ? XFER_COUNT | XFER_MULTI | XFER_AUTO_CMD12 : 0);
	wr(REG_BLOCK, (count << 16) | BLOCK);
	if (command(idx, (uint32_t)addr, R1 | CMD_DATA, mode, NULL))
		return -1;
	for (uint32_t b = 0; b < count; b++) {
		if (wait_int(read ? INT_READ_READY : INT_WRITE_READY, DATA_TIMEOUT_NS))
			return -1;
		for (unsigned w = 0; w < BLOCK / 4; w++, buf += 4) {
			uint32_t v;
			if (read) {
				v = rd(REG_DATA);
				memcpy(buf, &v, 4);
			} else {
				memcpy(&v, buf, 4);
				wr(REG_DATA, v);
			}
		}
	}
	return wait_int(INT_XFER_DONE, DATA_TIMEOUT_NS);
}

static int io(uint64_t lba, uint32_t count, uint8_t *buf, bool read)
{
	if (!sd.tried || sd.why || lba > sd.card.sectors || count > sd.card.sectors - lba)
		return -1;
	while (count) {
		uint32_t n = MIN(count, MAX_BLOCKS);
		if (transfer(lba, n, buf, read))
			return -1;
		lba += n;
		count -= n;
		buf += (size_t)n * BLOCK;
	}
	return 0;
}

int sdcard_read(uint64_t lba, uint32_t count, void *buf)
{
	return io(lba, count, buf, true);
}

int sdcard_write(uint64_t lba, uint32_t count, const void *buf)
{
	/* io() only reads from buf when writing. */
	return io(lba, count, (uint8_t *)(uintptr_t)buf, false);
}
