/* SPDX-License-Identifier: GPL-2.0-only */
/* `reset` and `poweroff`. */
#include <mamoru/command.h>
#include <mamoru/power.h>

static int cmd_reset(struct console *con, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return CMD_USAGE;
	con_printf(con, "resetting (%s)...\n", power_driver_name());
	power_reset();
	con_printf(con, "error: reset did not happen\n");
	return CMD_FAIL;
}

static int cmd_poweroff(struct console *con, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return CMD_USAGE;
	con_printf(con, "powering off (%s)...\n", power_driver_name());
	power_poweroff();
	con_printf(con, "error: power-off did not happen\n");
	return CMD_FAIL;
}

static const struct command reset_cmd = {
	.name = "reset",
	.summary = "reset the board (QEMU restarts the machine)",
	.usage = "reset",
	.exec = cmd_reset,
};
COMMAND(reset_cmd);

static const struct command poweroff_cmd = {
	.name = "poweroff",
	.summary = "power off (QEMU exits; a Raspberry Pi halts in its firmware)",
	.usage = "poweroff",
	.exec = cmd_poweroff,
};
COMMAND(poweroff_cmd);
