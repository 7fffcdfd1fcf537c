/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * console_hw_check: the pure parts of the Raspberry Pi console set-up, run
 * on the host under the sanitizers.
 *
 *   pins <file.dtb> <node> [GPFSEL0..5]  the node's default pin state: each
 *       group, its pins and functions, and the GPFSELn values that result
 *       from the given starting values (hex, default 0)
 *   divisor <clock_hz> <baud>            mini UART divisor and the baud it gives
 *   dtclock <file.dtb> <node>            the clock the device tree states
 *   clock-request <clock_id>             a GET_CLOCK_RATE message, word by word
 *   clock-response <clock_id> <8 words>  the firmware's answer checked
 *   bus <file.dtb> <node> <phys> <len>   a buffer's bus address for that device
 *
 * Prints "error: <message>" and exits 1 on a refused input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mamoru/fdt.h>
#include <mamoru/pinctrl.h>

#include "../../drivers/firmware/rpi_fw_msg.h"
#include "../../drivers/pinctrl/bcm2835_fsel.h"
#include "../../drivers/serial/mu_baud.h"

static struct fdt fdt;
static unsigned char blob[1 << 20];

static int fail(const char *what)
{
	printf("error: %s\n", what);
	return 1;
}

static unsigned long long num(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || end == s) {
		printf("error: bad number '%s'\n", s);
		exit(1);
	}
	return v;
}

static int load(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return fail("cannot open the DTB");
	size_t n = fread(blob, 1, sizeof(blob), f);
	fclose(f);
	int err = fdt_init(&fdt, blob, n);
	if (err) {
		printf("error: %s\n", fdt_strerror(err));
		return 1;
	}
	return 0;
}

static int node_of(const char *path)
{
	int node = fdt_path_offset(&fdt, path);
	if (node < 0) {
		printf("error: no node %s\n", path);
		exit(1);
	}
	return node;
}

static int cmd_pins(int argc, char **argv)
{
	if (argc < 2 || load(argv[0]))
		return argc < 2 ? fail("usage: pins <dtb> <node> [GPFSEL0..5]") : 1;
	int node = node_of(argv[1]);
	uint32_t regs[6] = {0}, start[6];
	for (int i = 0; i < 6 && 2 + i < argc; i++)
		regs[i] = (uint32_t)num(argv[2 + i]);
	memcpy(start, regs, sizeof(regs));
	int groups[PINCTRL_MAX_GROUPS];
	int n = pinctrl_state_groups(&fdt, node, "default", groups, PINCTRL_MAX_GROUPS);
	if (n < 0) {
		printf("error: %s\n", fdt_strerror(n));
		return 1;
	}
	printf("groups: %d\n", n);
	for (int g = 0; g < n; g++) {
		int ctrl = fdt_parent(&fdt, groups[g]);
		unsigned npins = fdt_is_compatible(&fdt, ctrl, "brcm,bcm2711-gpio") ? 58 : 54;
		struct fsel_pin pins[FSEL_MAX_GROUP_PINS];
		int np = fsel_group(&fdt, groups[g], npins, pins, FSEL_MAX_GROUP_PINS);
		printf("group %s of %s\n", fdt_node_name(&fdt, groups[g]), fdt_node_name(&fdt, ctrl));
		if (np < 0) {
			printf("error: %s\n", fdt_strerror(np));
			return 1;
		}
		for (int i = 0; i < np; i++) {
			unsigned r = fsel_reg_offset(pins[i].pin) / 4;
			regs[r] = fsel_update(regs[r], pins[i].pin, pins[i].func);
			printf("pin %u %s (GPFSEL%u now %s)\n", pins[i].pin, fsel_name(pins[i].func), r,
			       fsel_name(fsel_get(regs[r], pins[i].pin)));
		}
	}
	for (int i = 0; i < 6; i++)
		if (regs[i] != start[i])
			printf("GPFSEL%d 0x%08x -> 0x%08x\n", i, start[i], regs[i]);
	return 0;
}

static int cmd_divisor(int argc, char **argv)
{
	if (argc != 2)
		return fail("usage: divisor <clock_hz> <baud>");
	uint32_t hz = (uint32_t)num(argv[0]), baud = (uint32_t)num(argv[1]);
	uint32_t d = mu_baud_divisor(hz, baud);
	if (!d)
		return fail("no divisor");
	printf("divisor %u baud %u\n", d, mu_baud_rate(hz, d));
	return 0;
}

static int cmd_dtclock(int argc, char **argv)
{
	if (argc != 2 || load(argv[0]))
		return argc != 2 ? fail("usage: dtclock <dtb> <node>") : 1;
	uint32_t hz;
	if (mu_dt_clock(&fdt, node_of(argv[1]), &hz))
		return fail("no clock in the device tree");
	printf("clock %u\n", hz);
	return 0;
}

static int cmd_request(int argc, char **argv)
{
	if (argc != 1)
		return fail("usage: clock-request <clock_id>");
	uint32_t msg[RPI_FW_CLOCK_MSG_WORDS];
	memset(msg, 0xa5, sizeof(msg));
	rpi_fw_clock_request(msg, (uint32_t)num(argv[0]));
	for (unsigned i = 0; i < RPI_FW_CLOCK_MSG_WORDS; i++)
		printf("%s0x%08x", i ? " " : "", msg[i]);
	printf("\n");
	return 0;
}

static int cmd_response(int argc, char **argv)
{
	if (argc != 1 + (int)RPI_FW_CLOCK_MSG_WORDS)
		return fail("usage: clock-response <clock_id> <8 words>");
	uint32_t msg[RPI_FW_CLOCK_MSG_WORDS], hz = 0;
	for (unsigned i = 0; i < RPI_FW_CLOCK_MSG_WORDS; i++)
		msg[i] = (uint32_t)num(argv[1 + i]);
	int err = rpi_fw_clock_response(msg, (uint32_t)num(argv[0]), &hz);
	if (err)
		return fail(rpi_fw_strerror(err));
	printf("rate %u\n", hz);
	return 0;
}

static int cmd_bus(int argc, char **argv)
{
	if (argc != 4 || load(argv[0]))
		return argc != 4 ? fail("usage: bus <dtb> <node> <phys> <len>") : 1;
	uint32_t bus;
	int err = rpi_fw_bus_address(&fdt, node_of(argv[1]), num(argv[2]), num(argv[3]), &bus);
	if (err)
		return fail(rpi_fw_strerror(err));
	printf("bus 0x%08x word 0x%08x\n", bus, rpi_mbox_word(bus, RPI_MBOX_CHANNEL_PROPERTY));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return fail("usage: console_hw_check pins|divisor|dtclock|clock-request|"
			    "clock-response|bus ...");
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{"pins", cmd_pins}, {"divisor", cmd_divisor}, {"dtclock", cmd_dtclock},
		{"clock-request", cmd_request}, {"clock-response", cmd_response}, {"bus", cmd_bus},
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 2, argv + 2);
	return fail("unknown command");
}
